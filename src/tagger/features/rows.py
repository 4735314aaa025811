"""Feature rows as a compressed sparse row matrix in plain numpy: built by every feature block,
multiplied by weights at prediction time (no scipy needed), turned into ``scipy.sparse`` for training.

Example:
    >>> r = Rows.from_pairs(np.array([0, 0, 1]), np.array([0, 2, 1]), np.array([1.0, 2.0, 3.0]), 2, 3)
    >>> r.dot(np.array([[1.0], [10.0], [100.0]])).tolist()
    [[201.0], [30.0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Rows", "count_pairs", "runs"]


def runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array and how often each occurs: ``np.unique(keys,
    return_counts=True)`` for keys already sorted (and without ``np.unique``, whose plain form is
    slow on large integer arrays in recent numpy).

    Example:
        >>> [a.tolist() for a in runs(np.array([1, 1, 4, 7, 7, 7]))]
        [[1, 4, 7], [2, 1, 3]]
    """
    if len(keys) == 0:
        return keys, np.zeros(0, dtype=np.int64)
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.empty(len(starts), dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1])
    counts[-1] = len(keys) - starts[-1]
    return keys[starts], counts


def count_pairs(rows: np.ndarray, cols: np.ndarray, n_rows: int,
                n_cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each distinct ``(row, column)`` pair of the entries, sorted by row then column, and how often
    it occurs (rows and columns as ``np.intp``, ready to index with). The pair is sorted as one integer
    ``row * n_cols + col``, 32-bit when that fits.

    Example:
        >>> [a.tolist() for a in count_pairs(np.array([1, 0, 1, 1]), np.array([2, 5, 0, 2]), 2, 6)]
        [[0, 1, 1], [5, 0, 2], [1, 1, 2]]
    """
    dtype = np.int32 if n_rows * n_cols < 2**31 else np.int64
    keys = np.multiply(rows, n_cols, dtype=dtype)
    keys += cols
    keys.sort()
    pairs, counts = runs(keys)
    r, c = np.divmod(pairs, n_cols, dtype=np.intp)
    return r, c, counts


@dataclass(frozen=True)
class Rows:
    """``n_rows × n_cols`` sparse matrix: row ``i`` holds ``data[indptr[i]:indptr[i+1]]`` in columns
    ``indices[...]`` (sorted within a row, no duplicates)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_cols: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def from_pairs(cls, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_rows: int, n_cols: int) -> Rows:
        """From entries sorted by (row, column) with no duplicate pair."""
        indptr = np.searchsorted(rows, np.arange(n_rows + 1)).astype(np.int64)  # where each row starts
        return cls(indptr, np.asarray(cols, dtype=np.int64), np.asarray(values, dtype=np.float64), n_cols)

    @classmethod
    def dense(cls, values: np.ndarray) -> Rows:
        """All entries of a dense ``(n, k)`` array (zeros included)."""
        n, k = values.shape
        return cls(np.arange(n + 1, dtype=np.int64) * k, np.tile(np.arange(k, dtype=np.int64), n),
                   np.asarray(values, dtype=np.float64).ravel(), k)

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """``self @ weights`` for a dense ``(n_cols, k)`` array; shape ``(n_rows, k)``."""
        out = np.zeros((self.n_rows, weights.shape[1]))
        filled = np.flatnonzero(np.diff(self.indptr))
        if len(filled):
            # float32 weights (the model file's precision) widen exactly: sums are float64 either way
            contrib = self.data[:, None] * np.take(weights, self.indices, axis=0)
            out[filled] = np.add.reduceat(contrib, self.indptr[filled], axis=0)
        return out

    def to_scipy(self):
        """As ``scipy.sparse.csr_matrix`` (training only)."""
        import scipy.sparse as sp

        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=(self.n_rows, self.n_cols))
