"""One class-weighted logistic regression per label (scikit-learn's liblinear, training only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["fit_linear", "fit_dense_linear", "logistic", "logit"]

LOGIT_EPS = 1e-6  # scores are clipped to [eps, 1 - eps] before taking log-odds


def logistic(z: np.ndarray) -> np.ndarray:
    """The logistic function, ``1 / (1 + exp(-z))``."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of scores, clipped to ``[LOGIT_EPS, 1 - LOGIT_EPS]`` so that 0 and 1 stay finite.

    Example:
        >>> logit(np.array([0.5, 0.0])).round(2).tolist()
        [0.0, -13.82]
    """
    p = np.clip(np.asarray(p, dtype=float), LOGIT_EPS, 1 - LOGIT_EPS)
    return np.log(p / (1 - p))


def _per_label(Y: np.ndarray, n_features: int, fit_one) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``(n_features, n_labels)`` and intercepts from ``fit_one(y) -> (coef, intercept)`` per label;
    a label that is absent (or everywhere) in ``Y`` gets zero weights and a saturated intercept."""
    coef = np.zeros((n_features, Y.shape[1]))
    intercept = np.zeros(Y.shape[1])
    for j in range(Y.shape[1]):
        y = Y[:, j]
        if y.min() == y.max():
            intercept[j] = 10.0 if y[0] else -10.0
            continue
        coef[:, j], intercept[j] = fit_one(y)
    return coef, intercept


def fit_linear(X: sp.csr_matrix, Y: np.ndarray, C: float, class_weight: str | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``(n_features, n_labels)`` and intercepts ``(n_labels,)`` for a scipy sparse ``X``.

    A label that is absent (or everywhere) in ``Y`` gets zero weights and a saturated intercept.
    """
    from sklearn.linear_model import LogisticRegression

    X = X.tocsr()
    # only columns present in these rows can get a weight: fit on those, scatter back
    cols = np.flatnonzero(np.bincount(X.indices, minlength=X.shape[1]))  # np.unique: ~60x slower (numpy 2.4)
    Xa = X[:, cols]

    def fit_one(y: np.ndarray) -> tuple[np.ndarray, float]:
        # dual liblinear: the primal's solution, much faster with many more features than rows
        clf = LogisticRegression(C=C, class_weight=class_weight, solver="liblinear", dual=True,
                                 random_state=seed, max_iter=1000, tol=1e-3).fit(Xa, y)
        full = np.zeros(X.shape[1])
        full[cols] = clf.coef_[0]
        return full, clf.intercept_[0]

    return _per_label(Y, X.shape[1], fit_one)


def fit_dense_linear(X: np.ndarray, Y: np.ndarray, C: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``(n_features, n_labels)`` and intercepts of one L2 logistic regression per label on a
    dense ``X`` (Newton steps with a Cholesky solve: exact, deterministic, fast on a few hundred
    columns); an absent (or everywhere) label as in :func:`fit_linear`."""
    from sklearn.linear_model import LogisticRegression

    def fit_one(y: np.ndarray) -> tuple[np.ndarray, float]:
        clf = LogisticRegression(C=C, solver="newton-cholesky", max_iter=100).fit(X, y)
        return clf.coef_[0], clf.intercept_[0]

    return _per_label(Y, X.shape[1], fit_one)
