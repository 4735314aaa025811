"""Vectorised feature hashing: the columns :class:`sklearn.feature_extraction.FeatureHasher` gives
(MurmurHash3 of the UTF-8 bytes, signed, ``abs(h) % n_features``), computed with numpy over a whole
batch at once instead of one Python string per n-gram. Exact: tests compare it with FeatureHasher.

Example:
    >>> X = char_counts(["老旧小区"], 2, 2, 2**10)
    >>> int(X.sum()), X.shape
    (3, (1, 1024))
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["murmur_ranges", "hash_columns", "char_counts", "word_counts"]

_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)
_M5, _N = np.uint32(5), np.uint32(0xE6546B64)
_F1, _F2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def murmur_ranges(buf: bytes, starts: np.ndarray, lengths: np.ndarray, seed: int = 0) -> np.ndarray:
    """``murmurhash3_32(buf[s:s+l], seed)`` (signed int32) for every range, vectorised.

    Ranges are processed in groups of equal byte length; 4-byte little-endian words at every offset
    are read from one precomputed array, so a block costs one gather.
    """
    b = np.frombuffer(buf + b"\0\0\0", dtype=np.uint8).astype(np.uint32)
    words = b[:-3] | (b[1:-2] << 8) | (b[2:-1] << 16) | (b[3:] << 24)
    out = np.empty(len(starts), dtype=np.uint32)
    small = lengths.astype(np.uint16) if len(lengths) and lengths.max() < 2**16 else lengths
    order = np.argsort(small, kind="stable")  # radix sort for 16-bit keys
    sorted_len = small[order]
    bounds = np.flatnonzero(np.diff(sorted_len)) + 1
    with np.errstate(over="ignore"):
        for sel in np.split(order, bounds):
            if not len(sel):
                continue
            length = int(lengths[sel[0]])
            s = starts[sel]
            h = np.full(len(sel), seed, dtype=np.uint32)
            nblocks = length // 4
            for blk in range(nblocks):
                k = words[s + 4 * blk] * _C1
                k = _rotl(k, 15) * _C2
                h = _rotl(h ^ k, 13) * _M5 + _N
            tail = length & 3
            if tail:
                k = words[s + 4 * nblocks] & np.uint32((1 << (8 * tail)) - 1)
                h ^= _rotl(k * _C1, 15) * _C2
            h ^= np.uint32(length)
            h ^= h >> np.uint32(16)
            h *= _F1
            h ^= h >> np.uint32(13)
            h *= _F2
            h ^= h >> np.uint32(16)
            out[sel] = h
    return out.view(np.int32)


def hash_columns(h: np.ndarray, n_features: int) -> np.ndarray:
    """FeatureHasher's signed hash → column rule (including its special case for -2**31)."""
    h64 = h.astype(np.int64)
    cols = np.abs(h64) % n_features
    cols[h64 == -(2**31)] = (2147483647 - (n_features - 1)) % n_features
    return cols.astype(np.int32)


def _utf8_offsets(text: str) -> tuple[bytes, np.ndarray]:
    """UTF-8 bytes of ``text`` and the byte offset of every code point (plus the end)."""
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    width = 1 + (cp >= 0x80) + (cp >= 0x800) + (cp >= 0x10000)
    off = np.zeros(len(cp) + 1, dtype=np.int64)
    np.cumsum(width, out=off[1:])
    return text.encode("utf-8"), off


def _csr_from_rows(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_features: int) -> sp.csr_matrix:
    """Counts matrix from (row, column) pairs listed in non-decreasing row order."""
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    X = sp.csr_matrix((np.ones(len(cols)), cols, indptr), shape=(n_rows, n_features))
    X.sum_duplicates()
    return X


def char_counts(norms: list[str], min_n: int, max_n: int, n_features: int) -> sp.csr_matrix:
    """Counts of ``CharNgrams(min_n, max_n)`` terms, hashed like FeatureHasher (exact)."""
    lowered = [t.lower() for t in norms]
    lens = np.fromiter(map(len, lowered), dtype=np.int64, count=len(lowered))
    buf, off = _utf8_offsets("".join(lowered))
    total = int(lens.sum())
    row = np.repeat(np.arange(len(norms)), lens)
    end = np.repeat(np.cumsum(lens), lens)  # end (exclusive) of each position's text
    pos = np.arange(total)
    ks = np.arange(min_n, max_n + 1)
    # grid (position, k) in row-major order, so rows stay non-decreasing
    stop = pos[:, None] + ks[None, :]
    valid = stop <= end[:, None]
    p = np.broadcast_to(pos[:, None], stop.shape)[valid]
    q = stop[valid]
    starts = off[p]
    h = murmur_ranges(buf, starts, off[q] - starts)
    return _csr_from_rows(np.broadcast_to(row[:, None], stop.shape)[valid], hash_columns(h, n_features),
                          len(norms), n_features)


def word_counts(token_lists: list[list[str]], max_n: int, n_features: int) -> sp.csr_matrix:
    """Counts of ``WordNgrams`` terms (tokens and ``" "``-joined n-grams up to ``max_n``), exact."""
    flat = [t for toks in token_lists for t in toks]
    per = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    tlen = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
    buf, off = _utf8_offsets(" ".join(flat))
    cstart = np.zeros(len(flat), dtype=np.int64)
    if len(flat):
        np.cumsum(tlen[:-1] + 1, out=cstart[1:])
    cend = cstart + tlen
    row = np.repeat(np.arange(len(token_lists)), per)
    n = len(flat)
    j = np.arange(n)
    cols_k, rows_k, valid_k = [], [], []
    for k in range(1, max_n + 1):
        last = j + k - 1
        ok = last < n
        ok[ok] &= row[last[ok]] == row[j[ok]]
        lastc = np.minimum(last, n - 1)
        starts = off[cstart]
        h = murmur_ranges(buf, starts, off[cend[lastc]] - starts)
        cols_k.append(hash_columns(h, n_features))
        rows_k.append(row)
        valid_k.append(ok)
    # order: token position first, then n (as WordNgrams lists them per text: all 1-grams then
    # 2-grams; the order of terms does not change the counts)
    cols = np.stack(cols_k, axis=1)
    valid = np.stack(valid_k, axis=1)
    rows = np.broadcast_to(row[:, None], cols.shape)
    return _csr_from_rows(rows[valid], cols[valid], len(token_lists), n_features)
