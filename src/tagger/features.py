"""Text features: hashed TF-IDF over word and character n-grams.

Hashing (no vocabulary to build or sort) keeps fitting and transforming fast and memory flat; the
column of any term can be recomputed (:func:`column_of`), so evidence terms and top features stay
readable. The package's analyzers are hashed for a whole batch at once with numpy
(:mod:`tagger.hashing`); any other picklable analyzer callable works through the generic path.

Example:
    >>> vec = HashedTfidf(CharNgrams(2, 2), n_features=2**10)
    >>> X = vec.fit_transform(["老旧小区", "加装电梯"])
    >>> X.shape, round(float(X[0].multiply(X[0]).sum()), 6)
    ((2, 1024), 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .hashing import (
    ColumnMap,
    PrefixHash,
    char_keys,
    codepoints,
    counts_from_keys,
    csr_from_keys,
    sorted_counts,
    split_keys,
    term_column,
    word_keys,
)
from .native import kernels
from .segment import Segmenter

__all__ = ["CharNgrams", "WordNgrams", "HashedTfidf", "column_of", "linear_scorer"]


class CharNgrams:
    """Character n-grams of a (normalised) text, ``min_n`` to ``max_n`` long, spaces kept."""

    def __init__(self, min_n: int = 2, max_n: int = 4) -> None:
        self.min_n, self.max_n = min_n, max_n

    def __call__(self, text: str) -> list[str]:
        text = text.lower()
        n = len(text)
        return [text[i:i + k] for k in range(self.min_n, self.max_n + 1) for i in range(n - k + 1)]

    def __repr__(self) -> str:
        return f"CharNgrams({self.min_n}, {self.max_n})"


class WordNgrams:
    """Segmented words and word n-grams (joined by a space) up to ``max_n``."""

    def __init__(self, segmenter: Segmenter, max_n: int = 2) -> None:
        self.segmenter, self.max_n = segmenter, max_n

    def tokens(self, text: str) -> list[str]:
        """The segmented words of ``text``."""
        return self.segmenter(text)

    def __call__(self, text: str) -> list[str]:
        words = self.tokens(text)
        terms = list(words)
        for k in range(2, self.max_n + 1):
            terms += [" ".join(words[i:i + k]) for i in range(len(words) - k + 1)]
        return terms

    def __repr__(self) -> str:
        return f"WordNgrams({self.segmenter!r}, {self.max_n})"


def _sublinear_tf(counts: np.ndarray) -> np.ndarray:
    """Term frequency weight ``1 + log(count)`` (as ``TfidfVectorizer(sublinear_tf=True)``)."""
    return np.log(counts) + 1.0


def _row_sums(values: np.ndarray, per_row: np.ndarray) -> np.ndarray:
    """Sums of consecutive runs of ``values``, ``per_row[i]`` of them for row ``i`` (0 for an
    empty row).

    Example:
        >>> _row_sums(np.array([1.0, 2.0, 4.0]), np.array([2, 0, 1])).tolist()
        [3.0, 0.0, 4.0]
    """
    out = np.zeros(len(per_row))
    filled = per_row > 0
    if filled.any():  # segments between the starts of non-empty rows are exactly those rows
        out[filled] = np.add.reduceat(values, (np.cumsum(per_row) - per_row)[filled])
    return out


class _ProductScorer:
    """``transform(texts) @ weights`` for any transformer."""

    def __init__(self, vec, weights: np.ndarray) -> None:
        self.vec, self.weights = vec, weights

    def __call__(self, texts: list[str], spans: tuple | None = None) -> np.ndarray:
        return np.asarray(self.vec.transform(texts) @ self.weights)


class _HashedScorer:
    """``HashedTfidf.transform(texts) @ weights`` from counted terms (see :meth:`HashedTfidf.scorer`)."""

    def __init__(self, vec: HashedTfidf, weights: np.ndarray) -> None:
        self.vec = vec
        kept = np.flatnonzero(vec.idf_ > 0)
        self.cmap = ColumnMap(vec.n_features, kept)
        idf = vec.idf_[kept].astype(np.float64)
        # one row per weight column with idf·w, then idf² for the row norms: (k + 1) × kept
        self.table = np.ascontiguousarray(np.vstack([(weights[kept] * idf[:, None]).T, idf * idf]))
        # for the compiled kernels: a kept column's values side by side, and the column map in 16
        # bits when it fits (less memory traffic)
        self.by_column = np.ascontiguousarray(self.table.T)
        self.remap = self.cmap.remap
        if self.remap is not None and self.table.shape[1] < 0xFFFF:
            self.remap = np.where(self.remap < 0, 0xFFFF, self.remap).astype(np.uint16)

    def __call__(self, texts: list[str], spans: tuple | None = None) -> np.ndarray:
        n, k = len(texts), self.table.shape[0] - 1
        compiled = kernels()
        if self.cmap.width == 0 or n == 0:  # no text, or no column kept (every term dropped)
            sums = np.zeros((k + 1, n))
        elif compiled is not None:
            sums = self._compiled_sums(compiled, texts, spans)
        else:
            sums = self._numpy_sums(texts, spans)
        out = np.zeros((n, k))
        norm = np.sqrt(sums[k])
        ok = norm > 0
        out[ok] = (sums[:k, ok] / norm[ok]).T
        return out

    def _numpy_sums(self, texts: list[str], spans: tuple | None) -> np.ndarray:
        """Per table row and text, the sum over its distinct terms (ascending column) of the table
        value times tf (tf² for the last row), as ``np.add.reduceat`` sums them."""
        n, k = len(texts), self.table.shape[0] - 1
        keys, presorted = self.vec._keys(texts, self.cmap, spans)
        uniq, counts = sorted_counts(keys, presorted)
        rows, ids = split_keys(uniq, self.cmap.width)
        repeated = np.flatnonzero(counts > 1)
        tf = _sublinear_tf(counts[repeated])  # the norm sums its square
        per_row = np.bincount(rows, minlength=n)
        sums = np.zeros((k + 1, n))
        for j in range(k + 1):  # one table row at a time: memory of one value per term
            values = np.take(self.table[j], ids)
            if len(repeated):
                values[repeated] *= tf * tf if j == k else tf
            sums[j] = _row_sums(values, per_row)
        return sums

    def _tf(self, size: int) -> np.ndarray:
        """``1 + log(c)`` for counts ``c = 1..size`` (at least), computed by numpy as in
        :meth:`_numpy_sums` (so the compiled kernels multiply by the very same floats)."""
        have = self.__dict__.get("_tf_table")
        if have is None or len(have) < size:
            have = _sublinear_tf(np.arange(1, max(size, 4096) + 1))
            if size <= 1 << 18:  # kept for the next call; a huge one (a very long paragraph) is not
                self._tf_table = have
        return have

    def _compiled_sums(self, compiled, texts: list[str], spans: tuple | None) -> np.ndarray:
        """:meth:`_numpy_sums` by the compiled kernels (:mod:`tagger.native`)."""
        n = len(texts)
        an, vec = self.vec.analyzer, self.vec
        sums = np.empty((self.table.shape[0], n))
        if type(an) is CharNgrams:
            joined = "".join(texts)
            lowered = joined.lower()
            # lower-cased at once when that is the same as text by text: no character changed length,
            # and no capital sigma (whose lower case depends on the next character: final sigma)
            if len(lowered) == len(joined) and "\u03a3" not in joined:
                lens = np.fromiter(map(len, texts), dtype=np.int64, count=n)
            else:
                each = [t.lower() for t in texts]
                lens, lowered = np.fromiter(map(len, each), dtype=np.int64, count=n), "".join(each)
            longest = int(lens.max()) if n else 0
            compiled.char_sums(codepoints(lowered), lens, an.min_n, an.max_n, vec.n_features,
                               self.remap, self.by_column, self._tf(longest * (an.max_n - an.min_n + 1)), sums)
            return sums
        buf, starts, ends, rows = spans if spans is not None else an.segmenter.spans(texts)
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        longest = int(np.bincount(rows).max()) if len(rows) else 0
        compiled.word_sums(codepoints(buf), np.ascontiguousarray(starts, dtype=np.int64),
                           np.ascontiguousarray(ends, dtype=np.int64), rows, n, an.max_n, vec.n_features,
                           self.remap, self.by_column, self._tf(longest * an.max_n), sums)
        return sums


def linear_scorer(vec, weights: np.ndarray):
    """A callable ``texts -> vec.transform(texts) @ weights`` for a fitted feature block:
    :meth:`HashedTfidf.scorer` for hashed blocks, the plain product for any other transformer."""
    if isinstance(vec, HashedTfidf):
        return vec.scorer(weights)
    return _ProductScorer(vec, np.asarray(weights, dtype=np.float64))


def column_of(term: str, n_features: int) -> int:
    """The column a term hashes to (see :mod:`tagger.hashing`)."""
    return term_column(term, n_features)


class HashedTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF over hashed terms: sublinear tf, smoothed idf, terms in fewer than ``min_df``
    training documents dropped, rows L2-normalised (the ``TfidfVectorizer`` recipe, minus the
    vocabulary).

    Args:
        analyzer: callable text → list of terms.
        n_features: number of hash buckets.
        min_df: minimum document frequency in the training texts.

    Column names (for top-feature tables) are not kept by default; :meth:`learn_names` records them.
    """

    def __init__(self, analyzer=None, n_features: int = 2**18, min_df: int = 1) -> None:
        self.analyzer = analyzer
        self.n_features = n_features
        self.min_df = min_df

    def __getstate__(self) -> dict:
        """The pickled state, with the column names of :meth:`learn_names` packed into three
        objects (columns, lengths, one string): as tens of thousands of small objects they took
        ~0.1 s of ``tagger.load()``, since joblib unpickles with the pure-Python unpickler."""
        state = dict(super().__getstate__())  # a copy: the live attributes stay as they are
        names = state.pop("names_", None)
        if names is not None:
            terms = list(names.values())
            state["names_packed_"] = (np.fromiter(names, dtype=np.int64, count=len(names)),
                                      np.fromiter(map(len, terms), dtype=np.int64, count=len(terms)),
                                      "".join(terms))
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        packed = state.pop("names_packed_", None)
        if packed is not None:
            cols, lens, joined = packed
            ends = np.cumsum(lens).tolist()
            state["names_"] = dict(zip(cols.tolist(), (joined[a - n:a] for a, n in zip(ends, lens.tolist()))))
        super().__setstate__(state)

    def _fast(self) -> bool:
        """Whether the analyzer is one of the package's, hashed for a whole batch with numpy."""
        return type(self.analyzer) in (CharNgrams, WordNgrams)

    def _keys(self, texts: list[str], cmap: ColumnMap, spans: tuple | None = None) -> tuple[np.ndarray, bool]:
        """Term keys of a batch (package analyzers only) and whether they are sorted; ``spans``:
        the batch's word spans when already segmented."""
        an = self.analyzer
        if type(an) is CharNgrams:
            return char_keys(texts, an.min_n, an.max_n, cmap), True
        buf, starts, ends, rows = spans if spans is not None else an.segmenter.spans(texts)
        return word_keys(PrefixHash(codepoints(buf)), starts, ends, rows, len(texts), an.max_n, cmap), False

    def _counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        texts = list(texts)
        if self._fast():
            keys, presorted = self._keys(texts, ColumnMap(self.n_features))
            return csr_from_keys(keys, len(texts), self.n_features, presorted)
        rows, cols = [], []
        for i, t in enumerate(texts):
            terms = self.analyzer(t)
            rows += [i] * len(terms)
            cols += [term_column(term, self.n_features) for term in terms]
        return counts_from_keys(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64),
                                len(texts), self.n_features)

    def scorer(self, weights: np.ndarray):
        """A callable ``(texts, spans=None) -> self.transform(texts) @ weights`` (``weights``:
        n_features × k; ``spans``: the texts' :meth:`Segmenter.spans`, if already at hand).

        For the package's analyzers it never builds the TF-IDF matrix: terms in columns with a zero
        idf (they change neither the product nor the row norm) are dropped before counting, and
        each row's sums of ``tf·idf·w`` and ``(tf·idf)²`` are taken straight from the counted terms.
        Equal to the matrix product up to float rounding.

        Example:
            >>> vec = HashedTfidf(CharNgrams(2, 2), n_features=2**10).fit(["老旧小区", "加装电梯"])
            >>> w = np.random.default_rng(0).normal(size=(2**10, 3))
            >>> bool(np.allclose(vec.scorer(w)(["老旧电梯"]), vec.transform(["老旧电梯"]) @ w))
            True
        """
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim != 2 or weights.shape[0] != self.n_features:
            raise ValueError(f"weights must have shape ({self.n_features}, k), got {weights.shape}")
        if not self._fast():
            return _ProductScorer(self, weights)
        return _HashedScorer(self, weights)

    def fit_transform(self, texts: Sequence[str], y=None) -> sp.csr_matrix:
        counts = self._counts(texts)
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=self.n_features)
        idf = np.log((1 + n) / (1 + df)) + 1.0
        idf[df < self.min_df] = 0.0
        self.idf_ = idf.astype(np.float32)
        X = self._weight(counts)
        X.eliminate_zeros()  # columns below min_df: not stored, so the classifier never sees them
        return X

    def learn_names(self, texts: Iterable[str]) -> HashedTfidf:
        """Remember, for every kept column, the first term of ``texts`` that hashes to it."""
        names: dict[int, str] = {}
        for t in texts:
            for term in self.analyzer(t):
                col = column_of(term, self.n_features)
                if self.idf_[col] > 0:
                    names.setdefault(col, term)
        self.names_ = names
        return self

    def fit(self, texts: Sequence[str], y=None) -> HashedTfidf:
        self.fit_transform(texts)
        return self

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        return self._weight(self._counts(list(texts)))

    def _weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Sublinear tf × idf, rows scaled to unit length. Columns with idf 0 (below ``min_df``)
        stay as explicit zeros: they change no product, and skipping them costs a pass. ``counts``
        must have sorted indices and no duplicates."""
        data = self.idf_[counts.indices].astype(np.float64)
        repeated = counts.data > 1
        if repeated.any():
            data[repeated] *= _sublinear_tf(counts.data[repeated])
        indices, indptr = counts.indices, counts.indptr
        per_row = np.diff(indptr)
        sq = _row_sums(data * data, per_row)
        scale = np.ones(len(per_row))
        np.divide(1.0, np.sqrt(sq), out=scale, where=sq > 0)
        data *= np.repeat(scale, per_row)
        X = sp.csr_matrix((data, indices, indptr), shape=counts.shape)
        X.has_sorted_indices = True
        return X

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = getattr(self, "names_", {})
        return np.array([names.get(i, f"#{i}") for i in range(self.n_features)], dtype=object)
