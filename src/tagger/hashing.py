"""Feature hashing over code points, vectorised with numpy.

A term's hash is a polynomial over its code points modulo 2**64 (``h = h * B + ord(c) + 1``) passed
through the MurmurHash3 64-bit finaliser; its column is ``hash % n_features``. Polynomial hashes
compose, so the hash of every substring of a long buffer is O(1) from prefix sums: character
n-grams, segmented words and ``"a b"`` word pairs of a whole batch are hashed in a few array passes
instead of one Python call per term. :func:`term_column` is the plain-Python reference (used to name
columns); tests check both agree.

Example:
    >>> X = char_counts(["老旧小区"], 2, 2, 2**10)
    >>> int(X.sum()), X.shape
    (3, (1, 1024))
    >>> term_column("小区", 2**10) in set(X.indices.tolist())
    True
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["term_hash", "term_column", "codepoints", "PrefixHash", "char_counts", "counts_from_keys",
           "word_counts"]

_MASK = (1 << 64) - 1
_B = 0x100000001B3  # odd base (the FNV-64 prime), so it is invertible modulo 2**64
_B_INV = pow(_B, -1, 1 << 64)
_F1, _F2 = 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53


def _fmix_int(h: int) -> int:
    h ^= h >> 33
    h = (h * _F1) & _MASK
    h ^= h >> 33
    h = (h * _F2) & _MASK
    return h ^ (h >> 33)


def term_hash(term: str) -> int:
    """64-bit hash of a term (plain Python reference of the vectorised code).

    Example:
        >>> term_hash("电梯") == term_hash("电梯") != term_hash("梯电")
        True
    """
    h = 0
    for ch in term:
        h = (h * _B + ord(ch) + 1) & _MASK
    return _fmix_int(h)


def term_column(term: str, n_features: int) -> int:
    """The feature column of ``term`` among ``n_features`` hash buckets."""
    return term_hash(term) % n_features


def _fmix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 fmix64 on a uint64 array (in place; returned)."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(_F1)
    h ^= h >> np.uint64(33)
    h *= np.uint64(_F2)
    h ^= h >> np.uint64(33)
    return h


def codepoints(text: str) -> np.ndarray:
    """Code points of ``text`` as uint32 (lone surrogates included)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


_POW_CACHE: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``B**i`` and ``B**-i`` (mod 2**64) for i in 0..n, grown on demand and shared."""
    have = _POW_CACHE.get("pq")
    if have is None or len(have[0]) <= n:
        size = max(n + 1, 1 << 16, 0 if have is None else 2 * len(have[0]))
        p = np.full(size, _B, dtype=np.uint64)
        q = np.full(size, _B_INV, dtype=np.uint64)
        p[0] = q[0] = 1
        with np.errstate(over="ignore"):
            have = _POW_CACHE["pq"] = (np.cumprod(p), np.cumprod(q))  # one assignment: never mismatched
    return have


class PrefixHash:
    """Prefix sums that give the polynomial hash of any substring ``[a, b)`` of a buffer in O(1).

    Example:
        >>> ph = PrefixHash(codepoints("加装电梯"))
        >>> int(ph.final(np.array([2]), np.array([4]))[0]) == term_hash("电梯")
        True
    """

    def __init__(self, cp: np.ndarray) -> None:
        n = len(cp)
        self.pow, inv = _powers(n)
        s = np.zeros(n + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            np.cumsum((cp.astype(np.uint64) + np.uint64(1)) * inv[:n], out=s[1:])
        self.s = s

    def raw(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Un-finalised polynomial hash of ``[a, b)`` (``b > a``)."""
        with np.errstate(over="ignore"):
            return (self.s[b] - self.s[a]) * self.pow[b - 1]

    def final(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Finalised hash of ``[a, b)`` (equal to :func:`term_hash` of that substring)."""
        with np.errstate(over="ignore"):
            return _fmix(self.raw(a, b))


def _key_dtype(n_rows: int, n_features: int):
    return np.uint32 if n_rows * n_features < 2**32 else np.uint64


def _columns(hashes: np.ndarray, n_features: int) -> np.ndarray:
    """Columns of finalised hashes (in place on ``hashes``): the low bits, or a modulo."""
    if n_features & (n_features - 1) == 0:
        hashes &= np.uint64(n_features - 1)
    else:
        hashes %= np.uint64(n_features)
    return hashes


def _keys(rows: np.ndarray, hashes: np.ndarray, n_rows: int, n_features: int) -> np.ndarray:
    """``row * n_features + column`` for finalised hashes, in the narrowest dtype that fits."""
    dtype = _key_dtype(n_rows, n_features)
    return rows.astype(dtype) * dtype(n_features) + _columns(hashes, n_features).astype(dtype)


def _csr_from_keys(keys: np.ndarray, n_rows: int, n_features: int, presorted: bool = False) -> sp.csr_matrix:
    """Counts matrix (sorted indices, no duplicates) from one key per term occurrence."""
    if not presorted:
        keys.sort()
    if len(keys):
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        uniq = keys[starts]
        counts = np.diff(np.append(starts, len(keys)))
    else:
        uniq, counts = keys, np.zeros(0, dtype=np.int64)
    nf = keys.dtype.type(n_features)
    r = uniq // nf
    c = (uniq - r * nf).astype(np.int32)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(r.astype(np.intp), minlength=n_rows), out=indptr[1:])
    X = sp.csr_matrix((counts.astype(np.float64), c, indptr), shape=(n_rows, n_features))
    X.has_sorted_indices = True
    return X


def counts_from_keys(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_features: int) -> sp.csr_matrix:
    """Counts matrix (sorted indices, no duplicates) from one (row, column) pair per occurrence."""
    dtype = _key_dtype(n_rows, n_features)
    keys = rows.astype(dtype) * dtype(n_features) + cols.astype(dtype)
    return _csr_from_keys(keys, n_rows, n_features)


def char_counts(texts: list[str], min_n: int, max_n: int, n_features: int) -> sp.csr_matrix:
    """Counts of the lower-cased character ``min_n``..``max_n``-grams of each text.

    Example:
        >>> char_counts(["ab", "abc"], 1, 2, 64).sum(axis=1).ravel().tolist()
        [[3.0, 5.0]]
    """
    lowered = [t.lower() for t in texts]
    lens = np.fromiter(map(len, lowered), dtype=np.int64, count=len(lowered))
    cp = codepoints("".join(lowered)).astype(np.uint64) + np.uint64(1)
    n = len(cp)
    dtype = _key_dtype(len(texts), n_features)
    # characters left in its own text from each position on (n-grams never cross texts)
    left = (np.repeat(np.cumsum(lens), lens) - np.arange(n)).astype(np.int32)
    base = np.repeat(np.arange(len(texts), dtype=dtype) * dtype(n_features), lens)
    invalid = np.iinfo(dtype).max  # key of an n-gram that would cross into the next text
    keys = []
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(1, max_n + 1):
            m = n - k + 1
            if m <= 0:
                break
            h = h[:m] * np.uint64(_B) + cp[k - 1:]  # hash of [i, i + k)
            if k < min_n:
                continue
            key = _columns(_fmix(h.copy()), n_features).astype(dtype)
            key += base[:m]
            key[left[:m] < k] = invalid
            keys.append(key)
    if not keys:
        return sp.csr_matrix((len(texts), n_features))
    keys = np.concatenate(keys)
    keys.sort()
    return _csr_from_keys(keys[:np.searchsorted(keys, invalid)], len(texts), n_features, presorted=True)


def word_counts(ph: PrefixHash, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray, n_rows: int,
                max_n: int, n_features: int) -> sp.csr_matrix:
    """Counts of words and space-joined word n-grams (up to ``max_n``) from word spans in a buffer.

    ``starts``/``ends`` are the words' offsets in the buffer hashed by ``ph``, in reading order,
    ``rows`` the text each word belongs to. An n-gram's column is that of its ``" "``-joined
    string (the hash of ``a + " " + b`` composes from the hashes of ``a`` and ``b``).
    """
    n = len(starts)
    raw = ph.raw(starts, ends) if n else np.zeros(0, dtype=np.uint64)
    lens = ends - starts
    keys = [_keys(rows, _fmix(raw.copy()), n_rows, n_features)]
    acc = raw
    space = np.uint64(ord(" ") + 1)
    with np.errstate(over="ignore"):
        for k in range(2, max_n + 1):
            m = n - k + 1
            if m <= 0:
                break
            nxt, nxt_len = raw[k - 1:], lens[k - 1:]
            acc = (acc[:m] * ph.pow[nxt_len + 1] + space * ph.pow[nxt_len]) + nxt
            ok = np.flatnonzero(rows[:m] == rows[k - 1:])
            keys.append(_keys(rows[ok], _fmix(acc[ok]), n_rows, n_features))
    return _csr_from_keys(np.concatenate(keys), n_rows, n_features)
