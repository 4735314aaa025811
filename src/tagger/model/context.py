"""Report context: a second stage that moves a paragraph's score by what the rest of its report says.

A paragraph that continues a story ("经过仔细检查,原来是线路老化……") rarely repeats the cue words
the story opened with; a paragraph in a report where nothing else is about elders is less likely to
be about elders than its own words suggest. For each label the first stage's logit ``z`` of a body
paragraph becomes

    z + w · (logit(m) − μ)

where ``m`` is the highest first-stage score of that label among the *other* body paragraphs of the
same report, ``μ`` its mean in training and ``w`` one weight per label, learnt by an L2-penalised
logistic regression that keeps ``z`` as an offset, on out-of-fold first-stage scores of the training
paragraphs that belong to whole reports. The paragraphs of a report share almost the same context, so
a report counts as one observation: the penalty grows with the paragraphs per report, and with fewer
than :data:`MIN_REPORTS` reports nothing is learnt (``w = 0``). A paragraph alone in its report (or
scored without report ids) keeps its own score, so ``predict`` on loose sentences is unchanged;
headings and empty paragraphs are neither moved nor used as context; the decision thresholds stay
those of the first stage.

Example:
    >>> s = np.array([[0.9], [0.3], [0.2]])
    >>> others_max(s, np.array(["a", "a", "b"]), np.ones(3, bool)).round(2).tolist()
    [[0.3], [0.9], [nan]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .linear import logistic, logit

__all__ = ["others_max", "fit_context", "apply_context", "may_learn", "CONTEXT_PENALTY", "MIN_REPORTS"]

CONTEXT_PENALTY = 10.0  # L2 penalty on a label's weight, per paragraph-per-report
MIN_REPORTS = 20  # fewer training reports than this: no context is learnt


def others_max(scores: np.ndarray, reports: Sequence[object] | np.ndarray, body: np.ndarray) -> np.ndarray:
    """Per row and label, the highest score among the other ``body`` rows of the same report.

    Args:
        scores: ``(n, k)`` scores.
        reports: the report of each row (any hashable values, compared as given: the estimator passes the ids
            :func:`~tagger.model.inputs.report_keys` read).
        body: ``(n,)`` booleans: rows that may be moved and may serve as context.

    Returns:
        ``(n, k)``: ``nan`` for rows that are not body rows or have no other body row in their report.

    Example:
        >>> others_max(np.array([[0.2], [0.7], [0.4]]), ["r", "r", "r"], np.array([True, True, False])).tolist()
        [[0.7], [0.2], [nan]]
    """
    scores = np.asarray(scores, dtype=float)
    n, k = scores.shape
    out = np.full((n, k), np.nan)
    rows = np.flatnonzero(body)
    if len(rows) < 2:
        return out
    ids = list(reports)
    codes = _codes([ids[i] for i in rows])
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


def _codes(reports: Sequence[object]) -> np.ndarray:
    """A number per row, one per report (compared as given: ``1`` and ``"1"`` are two reports)."""
    seen: dict[object, int] = {}
    return np.array([seen.setdefault(r, len(seen)) for r in reports], dtype=np.int64)


def may_learn(reports: Sequence[object], min_reports: int = MIN_REPORTS) -> bool:
    """Whether :func:`fit_context` can learn anything from rows of these ``reports`` (``None``: a loose row): a row
    gives context only with another row of its report, and with fewer than ``min_reports`` such reports every
    weight is 0. ``False`` here means the stage stays off (and needs no out-of-fold scores); ``True``, that it may
    learn (fit_context also leaves out headings and labels of one class).

    Example:
        >>> may_learn(["a", "a", None] * 3), may_learn([f"r{i // 2}" for i in range(40)])
        (False, True)
    """
    from collections import Counter

    counts = Counter(r for r in reports if r is not None)
    return sum(n >= 2 for n in counts.values()) >= min_reports


def fit_context(oof: np.ndarray, Y: np.ndarray, reports: Sequence[object] | np.ndarray, body: np.ndarray,
                penalty: float = CONTEXT_PENALTY, min_reports: int = MIN_REPORTS) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``w`` and centres ``μ``, one per label (training only; uses scipy).

    Args:
        oof: ``(n, k)`` out-of-fold first-stage scores of the training rows.
        Y: ``(n, k)`` their 0/1 labels.
        reports: the report of each row.
        body: rows that are body paragraphs of whole reports (the only rows used).
        penalty: L2 penalty per paragraph-per-report (the penalty used is ``penalty × rows / reports``).
        min_reports: with fewer reports that give context, every ``w`` is 0.

    Returns:
        ``(w, μ)``; ``w = 0`` for a label without both classes among the rows with context.

    Example:
        >>> fit_context(np.full((4, 1), 0.5), np.zeros((4, 1)), list("aabb"), np.ones(4, bool))[0].tolist()
        [0.0]
    """
    from scipy.optimize import minimize

    oof = np.asarray(oof, dtype=float)
    k = oof.shape[1]
    w, mu = np.zeros(k), np.zeros(k)
    ctx = others_max(oof, reports, body)
    for j in range(k):
        has = ~np.isnan(ctx[:, j])
        n_reports = len({r for r, h in zip(reports, has) if h})
        y = np.asarray(Y, dtype=float)[has, j]
        if n_reports < min_reports or y.min() == y.max():
            continue
        lam = penalty * has.sum() / n_reports
        x = logit(ctx[has, j])
        mu[j] = x.mean()
        x = x - mu[j]
        z0 = logit(oof[has, j])

        def loss(v: np.ndarray) -> tuple[float, np.ndarray]:
            z = z0 + x * v[0]
            p = logistic(z)
            return float(np.sum(np.logaddexp(0.0, z) - y * z) + lam * v[0] ** 2), \
                np.array([x @ (p - y) + 2 * lam * v[0]])

        w[j] = minimize(loss, np.zeros(1), jac=True, method="L-BFGS-B").x[0]
    return w, mu


def apply_context(scores: np.ndarray, reports: Sequence[object] | np.ndarray, body: np.ndarray, weights: np.ndarray,
                  centres: np.ndarray) -> np.ndarray:
    """First-stage ``scores`` moved by report context.

    Args:
        scores: ``(n, k)`` first-stage scores.
        reports: the report of each row.
        body: rows that may be moved and may serve as context (not headings, empty or loose rows).
        weights, centres: from :func:`fit_context`.

    Returns:
        New ``(n, k)`` scores; rows without context, scores of 0 and labels with ``w = 0`` unchanged.

    Example:
        >>> s = np.array([[0.5], [0.9]])
        >>> apply_context(s, ["r", "r"], np.ones(2, bool), np.array([0.5]), np.array([0.0])).round(3).tolist()
        [[0.75], [0.9]]
    """
    scores = np.asarray(scores, dtype=float)
    if not np.any(weights):
        return scores
    ctx = others_max(scores, reports, body)
    has = ~np.isnan(ctx)
    shift = np.where(has, (logit(np.where(has, ctx, 0.5)) - centres) * weights, 0.0)
    out = scores.copy()
    moved = has & (scores > 0) & (weights != 0)
    out[moved] = logistic(logit(scores[moved]) + shift[moved])
    return out
