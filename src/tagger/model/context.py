"""Report context: a second stage that moves a paragraph's score by what the rest of its report says.

A paragraph that continues a story ("经过仔细检查,原来是线路老化……") rarely repeats the cue words
the story opened with; a paragraph in a report where nothing else is about elders is less likely to
be about elders than its own words suggest. For each label the first stage's logit ``z`` of a body
paragraph becomes

    z + w · (logit(m) − μ)

where ``m`` is the highest first-stage score of that label among the *other* body paragraphs of the
same report, ``μ`` its mean in training and ``w`` one weight per label, learnt by an L2-penalised
logistic regression that keeps ``z`` as an offset, on out-of-fold first-stage scores of the training
paragraphs that belong to whole reports. A paragraph alone in its report (or scored without report
ids) keeps its own score, so ``predict`` on loose sentences is unchanged; the decision thresholds
stay those of the first stage.

Example:
    >>> s = np.array([[0.9], [0.3], [0.2]])
    >>> others_max(s, np.array(["a", "a", "b"]), np.ones(3, bool)).round(2).tolist()
    [[0.3], [0.9], [nan]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["others_max", "fit_context", "apply_context", "CONTEXT_PENALTY"]

CONTEXT_PENALTY = 10.0  # L2 penalty on each label's weight (a few hundred report paragraphs train it)
_EPS = 1e-4


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def others_max(scores: np.ndarray, reports: Sequence[str] | np.ndarray, body: np.ndarray) -> np.ndarray:
    """Per row and label, the highest score among the other ``body`` rows of the same report (``nan``
    for rows that are not body rows or have no other body row in their report)."""
    scores = np.asarray(scores, dtype=float)
    n, k = scores.shape
    out = np.full((n, k), np.nan)
    rows = np.flatnonzero(body)
    if len(rows) < 2:
        return out
    _, codes = np.unique(np.asarray(reports, dtype=object)[rows].astype(str), return_inverse=True)
    for j in range(k):
        s = scores[rows, j]
        order = np.lexsort((-s, codes))  # by report, best first
        g, v = codes[order], s[order]
        first = np.r_[True, g[1:] != g[:-1]]
        starts = np.flatnonzero(first)
        size = np.diff(np.r_[starts, len(g)])
        top1 = np.repeat(v[starts], size)
        second = np.where(size >= 2, v[np.minimum(starts + 1, len(v) - 1)], np.nan)
        top2 = np.repeat(second, size)
        value = np.where(first, top2, top1)  # the best row of a report sees the runner-up
        value[np.repeat(size, size) < 2] = np.nan
        out[rows[order], j] = value
    return out


def fit_context(oof: np.ndarray, Y: np.ndarray, reports: Sequence[str] | np.ndarray, body: np.ndarray,
                penalty: float = CONTEXT_PENALTY) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``w`` and centres ``μ`` (one per label) from out-of-fold first-stage scores of body
    paragraphs of whole reports (training only; uses scipy). A label without positives there, or
    rows without any context, get ``w = 0``."""
    from scipy.optimize import minimize

    oof = np.asarray(oof, dtype=float)
    k = oof.shape[1]
    w, mu = np.zeros(k), np.zeros(k)
    ctx = others_max(oof, reports, body)
    for j in range(k):
        has = ~np.isnan(ctx[:, j])
        y = np.asarray(Y[has, j], dtype=float)
        if not has.any() or y.min() == y.max():
            continue
        x = _logit(ctx[has, j])
        mu[j] = x.mean()
        x = x - mu[j]
        z0 = _logit(oof[has, j])

        def loss(v: np.ndarray) -> tuple[float, np.ndarray]:
            z = z0 + x * v[0]
            p = 1.0 / (1.0 + np.exp(-z))
            return float(np.sum(np.logaddexp(0.0, z) - y * z) + penalty * v[0] ** 2), \
                np.array([x @ (p - y) + 2 * penalty * v[0]])

        w[j] = minimize(loss, np.zeros(1), jac=True, method="L-BFGS-B").x[0]
    return w, mu


def apply_context(scores: np.ndarray, reports: Sequence[str] | np.ndarray, body: np.ndarray, weights: np.ndarray,
                  centres: np.ndarray) -> np.ndarray:
    """First-stage ``scores`` moved by report context (rows without context are returned unchanged)."""
    scores = np.asarray(scores, dtype=float)
    if not np.any(weights):
        return scores
    ctx = others_max(scores, reports, body)
    has = ~np.isnan(ctx)
    shift = np.where(has, (_logit(np.where(has, ctx, 0.5)) - centres) * weights, 0.0)
    out = scores.copy()
    moved = has & (scores > 0) & (weights != 0)
    own = np.clip(scores[moved], 1e-12, 1 - 1e-12)
    out[moved] = 1.0 / (1.0 + np.exp(-(np.log(own) - np.log1p(-own) + shift[moved])))
    return out
