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

from .hashing import PrefixHash, char_counts, codepoints, counts_from_keys, term_column, word_counts
from .segment import Segmenter

__all__ = ["CharNgrams", "WordNgrams", "HashedTfidf", "column_of"]


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

    def _counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        texts = list(texts)
        an = self.analyzer
        if type(an) is CharNgrams:
            return char_counts(texts, an.min_n, an.max_n, self.n_features)
        if type(an) is WordNgrams:
            buf, starts, ends, rows = an.segmenter.spans(texts)
            return word_counts(PrefixHash(codepoints(buf)), starts, ends, rows, len(texts), an.max_n,
                               self.n_features)
        rows, cols = [], []
        for i, t in enumerate(texts):
            terms = an(t)
            rows += [i] * len(terms)
            cols += [term_column(term, self.n_features) for term in terms]
        return counts_from_keys(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64),
                                len(texts), self.n_features)

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
            data[repeated] *= np.log(counts.data[repeated]) + 1.0  # sublinear tf (1 + log count)
        indices, indptr = counts.indices, counts.indptr
        per_row = np.diff(indptr)
        sq = np.zeros(len(per_row))
        filled = per_row > 0
        if filled.any():  # segments between the starts of non-empty rows are exactly those rows
            sq[filled] = np.add.reduceat(data * data, indptr[:-1][filled])
        scale = np.ones(len(per_row))
        np.divide(1.0, np.sqrt(sq), out=scale, where=sq > 0)
        data *= np.repeat(scale, per_row)
        X = sp.csr_matrix((data, indices, indptr), shape=counts.shape)
        X.has_sorted_indices = True
        return X

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = getattr(self, "names_", {})
        return np.array([names.get(i, f"#{i}") for i in range(self.n_features)], dtype=object)
