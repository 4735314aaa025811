"""Text features: hashed TF-IDF over word and character n-grams.

Hashing (no vocabulary to build or sort) keeps fitting and transforming fast and memory flat; the
column of any term can be recomputed (:func:`column_of`), so evidence terms and top features stay
readable. Analyzers are module-level, picklable callables (never lambdas).

Example:
    >>> vec = HashedTfidf(CharNgrams(2, 2), n_features=2**10)
    >>> X = vec.fit_transform(["老旧小区", "加装电梯"])
    >>> X.shape, round(float(X[0].multiply(X[0]).sum()), 6)
    ((2, 1024), 1.0)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import FeatureHasher
from sklearn.utils import murmurhash3_32

from .hashing import char_counts, word_counts
from .segment import Segmenter

__all__ = ["CharNgrams", "WordNgrams", "HashedTfidf", "column_of"]


class _Memo:
    """A small LRU memo of analyzer output: cross-validation analyses the same paragraphs many times;
    bounded so that tagging a large corpus keeps memory flat."""

    def __init__(self, size: int = 4096) -> None:
        self.size, self.data = size, OrderedDict()
        self.lock = threading.Lock()  # threaded schedulers (e.g. Dask threads) share it

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            if len(self.data) > self.size:
                self.data.popitem(last=False)


_MEMO = _Memo()


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
        """The segmented words of ``text`` (memoised)."""
        key = ("w", self.segmenter, text)  # Segmenter hashes on (backend, user words)
        hit = _MEMO.get(key)
        if hit is None:
            hit = self.segmenter(text)
            _MEMO.put(key, hit)
        return hit

    def __call__(self, text: str) -> list[str]:
        words = self.tokens(text)
        terms = list(words)
        for k in range(2, self.max_n + 1):
            terms += [" ".join(words[i:i + k]) for i in range(len(words) - k + 1)]
        return terms

    def __repr__(self) -> str:
        return f"WordNgrams({self.segmenter!r}, {self.max_n})"


def column_of(term: str, n_features: int) -> int:
    """The column a term hashes to (same as :class:`sklearn.feature_extraction.FeatureHasher`)."""
    return abs(murmurhash3_32(term, seed=0)) % n_features


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
        # The package's own analyzers are hashed in bulk with numpy (same columns as FeatureHasher).
        if type(self.analyzer) is CharNgrams:
            return char_counts(texts, self.analyzer.min_n, self.analyzer.max_n, self.n_features)
        if type(self.analyzer) is WordNgrams:
            return word_counts([self.analyzer.tokens(t) for t in texts], self.analyzer.max_n, self.n_features)
        hasher = FeatureHasher(n_features=self.n_features, input_type="string", alternate_sign=False)
        X = hasher.transform(self.analyzer(t) for t in texts)
        X.sum_duplicates()
        return X.tocsr()

    def fit_transform(self, texts: Sequence[str], y=None) -> sp.csr_matrix:
        counts = self._counts(texts)
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=self.n_features)
        idf = np.log((1 + n) / (1 + df)) + 1.0
        idf[df < self.min_df] = 0.0
        self.idf_ = idf.astype(np.float32)
        return self._weight(counts)

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
        X = counts.astype(np.float64)
        X.data = np.log(X.data) + 1.0  # sublinear tf
        X = X @ sp.diags(self.idf_.astype(np.float64))
        X = sp.csr_matrix(X)
        X.eliminate_zeros()
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ X)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = getattr(self, "names_", {})
        return np.array([names.get(i, f"#{i}") for i in range(self.n_features)], dtype=object)
