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

__all__ = ["term_hash", "term_column", "codepoints", "PrefixHash", "ColumnMap", "char_keys", "char_counts",
           "word_keys", "counts_from_keys", "csr_from_keys",
           "sorted_counts", "split_keys"]

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


def _key_dtype(n_rows: int, width: int):
    return np.uint32 if n_rows * width < 2**32 else np.uint64


def _columns(hashes: np.ndarray, n_features: int) -> np.ndarray:
    """Columns of finalised hashes (in place on ``hashes``): the low bits, or a modulo."""
    if n_features & (n_features - 1) == 0:
        hashes &= np.uint64(n_features - 1)
    else:
        hashes %= np.uint64(n_features)
    return hashes


class ColumnMap:
    """The hashed columns that are counted, numbered ``0..width-1``.

    ``kept=None`` counts all ``n_features`` columns under their own numbers (training). At
    prediction only columns with a non-zero idf change a score or a row norm, so the others are
    dropped before counting and the kept ones renumbered densely (smaller sorts and tables).

    Example:
        >>> cm = ColumnMap(8, kept=[3, 5])
        >>> cm.width, cm.ids(np.array([5, 3, 4], dtype=np.uint64)).tolist()
        (2, [1, 0, -1])
    """

    def __init__(self, n_features: int, kept: np.ndarray | None = None) -> None:
        self.n_features = n_features
        self.remap = None
        self.width = n_features
        if kept is not None:
            kept = np.asarray(kept, dtype=np.int64)
            self.remap = np.full(n_features, -1, dtype=np.int32)
            self.remap[kept] = np.arange(len(kept), dtype=np.int32)
            self.width = len(kept)

    def ids(self, hashes: np.ndarray) -> np.ndarray:
        """Column numbers of finalised hashes (``hashes`` is overwritten); -1 for dropped columns."""
        cols = _columns(hashes, self.n_features)
        if self.remap is None:
            return cols
        return np.take(self.remap, cols.view(np.int64))  # columns < 2**31: the same number as int64


def _keys(rows: np.ndarray, hashes: np.ndarray, n_rows: int, cmap: ColumnMap) -> np.ndarray:
    """``row * width + column`` of every counted term (finalised ``hashes``), narrowest dtype."""
    dtype = _key_dtype(n_rows, cmap.width)
    ids = cmap.ids(hashes)
    with np.errstate(over="ignore"):  # dropped columns (-1) wrap around; they are not kept
        keys = rows.astype(dtype) * dtype(cmap.width) + ids.astype(dtype)
    return keys if cmap.remap is None else np.compress(ids >= 0, keys)  # (compress: faster than a mask)


def sorted_counts(keys: np.ndarray, presorted: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (ascending) and how often each occurs; sorts ``keys`` in place.

    Example:
        >>> [a.tolist() for a in sorted_counts(np.array([7, 2, 7], dtype=np.uint32))]
        [[2, 7], [1, 2]]
    """
    if not presorted:
        keys.sort()
    if not len(keys):
        return keys, np.zeros(0, dtype=np.int64)
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return keys[starts], np.diff(np.append(starts, len(keys)))


def split_keys(uniq: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and column numbers of keys ``row * width + column``."""
    w = uniq.dtype.type(width)
    r = uniq // w
    return r.astype(np.intp), (uniq - r * w).astype(np.intp)


def csr_from_keys(keys: np.ndarray, n_rows: int, n_features: int, presorted: bool = False) -> sp.csr_matrix:
    """Counts matrix (sorted indices, no duplicates) from one key per term occurrence."""
    uniq, counts = sorted_counts(keys, presorted)
    r, c = split_keys(uniq, n_features)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n_rows), out=indptr[1:])
    X = sp.csr_matrix((counts.astype(np.float64), c.astype(np.int32), indptr), shape=(n_rows, n_features))
    X.has_sorted_indices = True
    return X


def counts_from_keys(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_features: int) -> sp.csr_matrix:
    """Counts matrix (sorted indices, no duplicates) from one (row, column) pair per occurrence."""
    dtype = _key_dtype(n_rows, n_features)
    keys = rows.astype(dtype) * dtype(n_features) + cols.astype(dtype)
    return csr_from_keys(keys, n_rows, n_features)


def char_keys(texts: list[str], min_n: int, max_n: int, cmap: ColumnMap) -> np.ndarray:
    """Sorted keys (see :func:`_keys`) of the lower-cased character ``min_n``..``max_n``-grams of
    each text whose column ``cmap`` counts; n-grams never cross texts."""
    lowered = [t.lower() for t in texts]
    lens = np.fromiter(map(len, lowered), dtype=np.int64, count=len(lowered))
    cp = codepoints("".join(lowered)).astype(np.uint64) + np.uint64(1)
    n = len(cp)
    dtype = _key_dtype(len(texts), cmap.width)
    # characters left in its own text from each position on
    left = (np.repeat(np.cumsum(lens), lens) - np.arange(n)).astype(np.int32)
    base = np.repeat(np.arange(len(texts), dtype=dtype) * dtype(cmap.width), lens)
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
            ids = cmap.ids(_fmix(h.copy()))
            ok = left[:m] >= k
            if cmap.remap is not None:
                ok &= ids >= 0
            keys.append(np.compress(ok, base[:m] + ids.astype(dtype)))  # dropped ids wrap; not kept
    keys = np.concatenate(keys) if keys else np.zeros(0, dtype=dtype)
    keys.sort()
    return keys


def char_counts(texts: list[str], min_n: int, max_n: int, n_features: int) -> sp.csr_matrix:
    """Counts of the lower-cased character ``min_n``..``max_n``-grams of each text.

    Example:
        >>> char_counts(["ab", "abc"], 1, 2, 64).sum(axis=1).ravel().tolist()
        [[3.0, 5.0]]
    """
    keys = char_keys(texts, min_n, max_n, ColumnMap(n_features))
    return csr_from_keys(keys, len(texts), n_features, presorted=True)


def word_keys(ph: PrefixHash, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray, n_rows: int,
              max_n: int, cmap: ColumnMap) -> np.ndarray:
    """Keys (unsorted, see :func:`_keys`) of words and space-joined word n-grams (up to ``max_n``)
    from word spans in a buffer.

    ``starts``/``ends`` are the words' offsets in the buffer hashed by ``ph``, in reading order,
    ``rows`` the text each word belongs to. An n-gram's column is that of its ``" "``-joined
    string (the hash of ``a + " " + b`` composes from the hashes of ``a`` and ``b``).
    """
    n = len(starts)
    raw = ph.raw(starts, ends) if n else np.zeros(0, dtype=np.uint64)
    lens = ends - starts
    keys = [_keys(rows, _fmix(raw.copy()), n_rows, cmap)]
    acc = raw
    space = np.uint64(ord(" ") + 1)
    with np.errstate(over="ignore"):
        for k in range(2, max_n + 1):
            m = n - k + 1
            if m <= 0:
                break
            nxt, nxt_len = raw[k - 1:], lens[k - 1:]
            acc = (acc[:m] * ph.pow[nxt_len + 1] + space * ph.pow[nxt_len]) + nxt
            same = rows[:m] == rows[k - 1:]  # n-grams never cross texts
            keys.append(_keys(np.compress(same, rows[:m]), _fmix(np.compress(same, acc)), n_rows, cmap))
    return np.concatenate(keys)
