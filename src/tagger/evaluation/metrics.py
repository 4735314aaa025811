"""Metrics of multi-label predictions, and bootstrap intervals that resample whole reports.

Example:
    >>> y = np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]])
    >>> metrics(y, y)["micro_f1"], report_bootstrap(y, y, ["a", "b"], n_boot=50)["micro_f1"]
    (1.0, (1.0, 1.0))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..labels import LABELS

__all__ = ["metrics", "report_bootstrap", "average_precision", "calibration", "f1_from_counts", "review_curve",
           "threshold_ceiling", "per_report", "report_sums"]


def f1_from_counts(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike) -> np.ndarray:
    """F1 from true positive, false positive and false negative counts, element-wise; NaN where there is
    nothing to score (no gold and no predicted label: callers decide what that counts as).

    Example:
        >>> f1_from_counts([8, 0], [2, 0], [2, 0]).tolist()
        [0.8, nan]
    """
    tp, fp, fn = (np.asarray(x, dtype=float) for x in (tp, fp, fn))
    denom = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)


def metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Per-label precision/recall/F1/support, micro and macro F1, subset accuracy, Hamming loss
    (an undefined ratio counts as 0, as scikit-learn's ``zero_division=0``)."""
    t, p = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    tp, fp, fn = (t & p).sum(0), (~t & p).sum(0), (t & ~p).sum(0)
    f1 = np.nan_to_num(f1_from_counts(tp, fp, fn))
    per_label = {lab: {"precision": float(tp[j] / max(tp[j] + fp[j], 1)),
                       "recall": float(tp[j] / max(tp[j] + fn[j], 1)), "f1": float(f1[j]),
                       "support": int(t[:, j].sum())} for j, lab in enumerate(LABELS)}
    micro = f1_from_counts(tp.sum(), fp.sum(), fn.sum())
    supported = t.sum(0) > 0
    return {"per_label": per_label, "micro_f1": float(np.nan_to_num(micro)), "macro_f1": float(f1.mean()),
            "macro_f1_supported": float(f1[supported].mean()) if supported.any() else 0.0,
            "labels_supported": int(supported.sum()),
            "precision": float(tp.sum() / max(tp.sum() + fp.sum(), 1)),
            "recall": float(tp.sum() / max(tp.sum() + fn.sum(), 1)),
            "subset_accuracy": float((t == p).all(1).mean()) if len(t) else 0.0,
            "hamming_loss": float((t != p).mean()) if len(t) else 0.0, "n": int(len(t))}


def calibration(y_true: np.ndarray, scores: np.ndarray, bins: int = 10) -> list[dict]:
    """How far each label's scores are from probabilities: the label's rate, the mean score, the Brier
    score and the expected calibration error (``bins`` equal-width bins, weighted by their size).

    Example:
        >>> y = np.array([[1], [0], [0], [0]]); s = np.array([[0.9], [0.1], [0.1], [0.1]])
        >>> calibration(y, s)
        [{'rate': 0.25, 'mean_score': 0.3, 'brier': 0.01, 'ece': 0.1}]
    """
    y_true, scores = np.asarray(y_true, float), np.asarray(scores, float)
    edges = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    out = []
    for j in range(y_true.shape[1]):
        y, s = y_true[:, j], scores[:, j]
        which = np.searchsorted(edges, s, side="right")
        n = np.bincount(which, minlength=bins)
        gap = np.abs(np.bincount(which, weights=s, minlength=bins) - np.bincount(which, weights=y, minlength=bins))
        out.append({"rate": round(float(y.mean()), 4), "mean_score": round(float(s.mean()), 4),
                    "brier": round(float(np.mean((s - y) ** 2)), 4),
                    "ece": round(float(gap.sum() / max(n.sum(), 1)), 4)})
    return out


def average_precision(y_true: np.ndarray, scores: np.ndarray) -> list[float | None]:
    """Average precision per label (the area under the precision-recall step curve; ``None`` for a
    label without positives). Ties are taken together, as scikit-learn does."""
    out: list[float | None] = []
    for j in range(y_true.shape[1]):
        y, s = np.asarray(y_true[:, j], bool), np.asarray(scores[:, j], float)
        if not y.any():
            out.append(None)
            continue
        order = np.argsort(-s, kind="stable")
        y, s = y[order], s[order]
        last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # end of each block of tied scores
        tp = np.cumsum(y)[last]
        precision = tp / (last + 1)
        recall = tp / y.sum()
        out.append(float(np.sum(np.diff(np.r_[0.0, recall]) * precision)))
    return out


_RESAMPLE_CELLS = 1 << 22
"""Resampled reports counted at a time (:func:`_resamples`): 32 MB of counts, whatever the number of reports."""


def _resamples(rng: np.random.Generator, k: int, n_boot: int) -> Iterator[np.ndarray]:
    """``n_boot`` resamples of ``k`` reports with replacement, as rows of counts (how often each report is drawn,
    as floats), a few rows at a time: the same draws, in the same order, as one ``rng.integers(0, k, (n_boot, k))``,
    without holding ``n_boot × k`` of them at once (a file of 40,000 one-paragraph reports took 1.4 GB).

    Example:
        >>> [c.tolist() for c in _resamples(np.random.default_rng(0), 2, 2)]
        [[[0.0, 2.0], [1.0, 1.0]]]
    """
    step = max(1, _RESAMPLE_CELLS // max(k, 1))
    for start in range(0, n_boot, step):
        draws = rng.integers(0, k, size=(min(step, n_boot - start), k))
        rows = len(draws)
        flat = (draws + np.arange(rows)[:, None] * k).ravel()
        yield np.bincount(flat, minlength=rows * k).reshape(rows, k).astype(float)


def per_report(docs: Sequence[str], values: np.ndarray) -> np.ndarray:
    """Column sums of ``values`` (one row per paragraph) over the paragraphs of each report: one row per report, in
    the sorted order of the report ids ``docs`` — the one grouping of rows by report (:func:`report_sums`; the
    bootstraps resample its rows). The sums are of whole numbers (counts): exact, in any order of addition.

    Example:
        >>> per_report(["b", "a", "b"], np.array([[1, 0], [0, 1], [1, 1]])).tolist()
        [[0.0, 1.0], [2.0, 1.0]]
        >>> per_report([], np.zeros((0, 2))).shape  # no rows: no reports
        (0, 2)
    """
    return report_sums(docs, values)[0]


def report_sums(docs: Sequence[str], values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`per_report`'s sums and, from the same sorting of the report ids ``docs``, each report's first row (the
    index in ``docs`` of its first paragraph; :func:`tagger.evaluation.cv.per_doc_scores` names and orders the
    reports by it): the report ids are sorted once.

    Example:
        >>> sums, first = report_sums(["b", "a", "b"], np.array([[1, 0], [0, 1], [1, 1]]))
        >>> sums.tolist(), first.tolist()  # reports a, b: a's first row is 1, b's 0
        ([[0.0, 1.0], [2.0, 1.0]], [1, 0])
    """
    _, first, inverse = np.unique(np.array(list(docs), dtype=object), return_index=True, return_inverse=True)
    k = len(first)
    values = np.asarray(values, dtype=float)
    values = values.reshape(len(inverse), values.shape[-1] if values.ndim > 1 else 1)  # no rows: still c columns
    c = values.shape[1]
    cells = (inverse.reshape(-1, 1) * c + np.arange(c)).ravel()
    return np.bincount(cells, weights=values.ravel(), minlength=k * c).reshape(k, c), first


def _resampled_sums(per: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """The column sums of ``per`` (one row per report: :func:`per_report`) over each of ``n_boot`` resamples of its
    reports (:func:`_resamples`, from ``seed``): one row per resample, filled a chunk of resamples at a time (each
    one product), the one array of them.

    Example:
        >>> _resampled_sums(np.array([[1.0], [10.0]]), 2, 0).tolist()  # reports drawn [b, b], then [a, b]
        [[20.0], [11.0]]
    """
    sums = np.empty((max(n_boot, 0), per.shape[1]))
    start = 0
    for counts in _resamples(np.random.default_rng(seed), len(per), n_boot):
        sums[start:start + len(counts)] = counts @ per
        start += len(counts)
    return sums


def report_bootstrap(y_true: np.ndarray, y_pred: np.ndarray, docs: Sequence[str], n_boot: int = 2000,
                     seed: int = 0, level: float = 0.95) -> dict:
    """Percentile intervals of the headline metrics, resampling reports (not paragraphs) with replacement.

    Paragraphs of one report are correlated, so the report is the unit of resampling. A metric that is
    undefined in a resample (a label with no gold and no predicted paragraph) is left out of that
    label's interval (``None`` when undefined in every resample). Macro F1 is the mean over the five labels
    in every resample, as in :func:`metrics`: a label a resample lacks (no gold and no predicted paragraph
    there) counts with its F1 on the whole data — counted as 0 it dragged the interval of a model right on
    every paragraph down to 0.4, and left out it made a resample's mean one of four labels, not five — and a
    label the whole data lacks counts 0, as in :func:`metrics`.

    Example:
        >>> y = np.eye(5, dtype=int)  # five reports, one label each, all predicted right
        >>> report_bootstrap(y, y, list("abcde"), n_boot=200)["macro_f1"]
        (1.0, 1.0)
    """
    y_true, y_pred = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    m = y_true.shape[1]
    # per report: tp, fp, fn per label, paragraphs, exact rows, wrong label decisions — one matrix, so that each chunk
    # of resamples is one product (sums of whole numbers: the same figures in any order of addition)
    per = per_report(docs, np.column_stack([y_true & y_pred, ~y_true & y_pred, y_true & ~y_pred, np.ones(len(y_true)),
                                            (y_true == y_pred).all(1), (y_true != y_pred).sum(1)]))
    tp, fp, fn = per[:, :m], per[:, m:2 * m], per[:, 2 * m:3 * m]
    boot = _resampled_sums(per, n_boot, seed)  # no resample (n_boot 0): no interval (None), as for no rows
    TP, FP, FN = boot[:, :m], boot[:, m:2 * m], boot[:, 2 * m:3 * m]
    n, EXACT, WRONG = boot[:, 3 * m], boot[:, 3 * m + 1], boot[:, 3 * m + 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(TP + FP > 0, TP / np.maximum(TP + FP, 1), np.nan)
        rec = np.where(TP + FN > 0, TP / np.maximum(TP + FN, 1), np.nan)
        exact, wrong = EXACT / n, WRONG / (n * len(LABELS))  # a resample of no rows (none to draw): NaN, no interval
    f1 = f1_from_counts(TP, FP, FN)
    micro = f1_from_counts(TP.sum(1), FP.sum(1), FN.sum(1))
    # a label a resample lacks keeps its F1 on the whole data (0 for one the data lacks, as in metrics()): every
    # resample's macro mean is over the same five labels, as the point estimate's
    whole = np.nan_to_num(f1_from_counts(tp.sum(0), fp.sum(0), fn.sum(0)), nan=0.0)
    macro = np.where(np.isnan(f1), whole, f1).mean(1)
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]

    def ci(values: np.ndarray) -> tuple[float, float] | None:
        values = values[~np.isnan(values)]
        if values.size == 0:
            return None
        lo, hi = np.percentile(values, q)
        return (round(float(lo), 4), round(float(hi), 4))

    return {"micro_f1": ci(micro), "macro_f1": ci(macro), "subset_accuracy": ci(exact), "hamming_loss": ci(wrong),
            "per_label": {lab: {"precision": ci(prec[:, j]), "recall": ci(rec[:, j]), "f1": ci(f1[:, j])}
                          for j, lab in enumerate(LABELS)},
            "n_boot": n_boot, "unit": "report", "level": level}


def review_curve(y_true: np.ndarray, y_pred: np.ndarray, margins: np.ndarray, docs: Sequence[str],
                 shares: Sequence[float] | None = None, n_boot: int = 1000, seed: int = 0,
                 reviewable: np.ndarray | None = None) -> dict:
    """Corpus micro-F1 when a person reviews the least certain paragraphs and the rest keep the model's
    tags: for each share of paragraphs reviewed (the smallest ``margins`` first), the reviewed rows take
    their gold labels. Bands: 95% intervals resampling whole reports (the reviewed set fixed).
    ``reviewable``: the rows a queue may flag (``tag --review`` never flags headings and captions); a share
    counts every row, as the queue's does, and reviews no more than the reviewable ones.

    Returns ``{"shares": [...], "micro_f1": [...], "low": [...], "high": [...], "needed": {0.85: share or
    None, 0.89: ...}}`` (``needed``: the smallest share on the grid reaching each target).

    Example:
        >>> y = np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]]); p = np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 0]])
        >>> review_curve(y, p, np.array([5.0, 0.1]), ["a", "b"], shares=[0, 0.5], n_boot=10)["micro_f1"]
        [0.6667, 1.0]
    """
    shares = list(shares) if shares is not None else [round(x, 2) for x in np.arange(0, 0.51, 0.01)]
    y_true, y_pred = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    margins = np.asarray(margins, dtype=float)
    if reviewable is not None:
        reviewable = np.asarray(reviewable, dtype=bool)
        margins = np.where(reviewable, margins, np.inf)
    cap = len(margins) if reviewable is None else int(reviewable.sum())
    order = np.argsort(margins, kind="stable")
    out: dict = {"shares": shares, "micro_f1": [], "low": [], "high": []}
    # per share: each row's tp, fp, fn with the share reviewed — the model's counts, but a reviewed row takes its gold
    # labels: all its labels right (tp the labels it has, no fp, no fn)
    model = np.column_stack([(y_true & y_pred).sum(1), (~y_true & y_pred).sum(1), (y_true & ~y_pred).sum(1)])
    gold = np.column_stack([y_true.sum(1), np.zeros((len(y_true), 2), dtype=int)])
    columns = np.empty((len(y_true), 3 * len(shares)))
    reviewed = np.zeros(len(y_true), dtype=bool)
    for i, share in enumerate(shares):
        reviewed[:] = False
        reviewed[order[:min(cap, int(round(share * len(y_true))))]] = True
        columns[:, 3 * i:3 * i + 3] = np.where(reviewed[:, None], gold, model)
    per = per_report(docs, columns)
    sums = _resampled_sums(per, n_boot, seed)  # each resample scored at every share at once
    for i in range(len(shares) if len(sums) else 0):  # the share's tp, fp, fn: columns 3i, 3i+1, 3i+2 (n_boot 0: none)
        out["micro_f1"].append(round(float(np.nan_to_num(f1_from_counts(*per[:, 3 * i:3 * i + 3].sum(0)))), 4))
        boot = f1_from_counts(*sums[:, 3 * i:3 * i + 3].T)
        # a resample of reports with no label, given none, is left out (as in report_bootstrap), not counted 0
        lo, hi = np.percentile(boot[~np.isnan(boot)], [2.5, 97.5]) if not np.isnan(boot).all() else (0.0, 0.0)
        out["low"].append(round(float(lo), 4))
        out["high"].append(round(float(hi), 4))
    out["needed"] = {target: next((s for s, f in zip(shares, out["micro_f1"]) if f >= target), None)
                     for target in (0.85, 0.89)}
    return out


def threshold_ceiling(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray,
                      thresholds: Sequence[float]) -> dict:
    """How far better thresholds alone could take the model on labelled paragraphs: each label's F1 at
    ``thresholds`` and at the best threshold for these very paragraphs (an upper bound: it is chosen on
    the data it is scored on), and the micro-F1 of both. Labels without positives are left out.

    ``y_pred`` is the model's decision (thresholds and no-label rules applied); the best threshold is
    applied to ``scores`` with the same rows forced to no label (rows the model decided no on with a score
    at or above its threshold, such as headings and plans).

    Example:
        >>> y = np.zeros((3, 5), int); y[[0, 2], 0] = 1
        >>> s = np.zeros((3, 5)); s[:, 0] = [0.9, 0.6, 0.4]
        >>> c = threshold_ceiling(y, s >= 0.5, s, [0.5] * 5)
        >>> round(c["micro_f1"], 3), round(c["best_micro_f1"], 3), c["per_label"]["elderly_care"]["best_f1"]
        (0.5, 0.8, 0.8)
    """
    from ..model.thresholds import best_f1_threshold

    y_true = np.asarray(y_true, bool)
    y_pred = np.asarray(y_pred, bool)
    scores = np.asarray(scores, dtype=float)
    forced_no = (scores >= np.asarray(thresholds, dtype=float)) & ~y_pred
    best_pred = y_pred.copy()
    per_label: dict = {}
    aps = average_precision(y_true, np.where(forced_no, 0.0, scores))
    for j, lab in enumerate(LABELS):
        if not y_true[:, j].any():
            continue
        usable = ~forced_no[:, j]  # a forced row is a no at every threshold (its positives stay misses)
        t = best_f1_threshold(y_true[:, j], np.where(usable, scores[:, j], -1.0), lo=0.0, hi=1.0)
        best_pred[:, j] = usable & (scores[:, j] >= t)
        per_label[lab] = {"threshold": float(thresholds[j]), "f1": float(f1_from_counts(
            *_counts(y_true[:, j], y_pred[:, j]))), "best_threshold": t,
            "best_f1": float(f1_from_counts(*_counts(y_true[:, j], best_pred[:, j]))),
            "average_precision": aps[j]}
    return {"per_label": per_label, "micro_f1": metrics(y_true, y_pred)["micro_f1"],
            "best_micro_f1": metrics(y_true, best_pred)["micro_f1"]}


def _counts(y: np.ndarray, p: np.ndarray) -> tuple[int, int, int]:
    return int((y & p).sum()), int((~y & p).sum()), int((y & ~p).sum())
