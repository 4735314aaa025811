"""Uncertainty: bootstrap confidence intervals that resample whole documents."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .schema import LABELS

__all__ = ["document_bootstrap"]


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denom = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)


def document_bootstrap(y_true: np.ndarray, y_pred: np.ndarray, docs: Sequence[str], n_boot: int = 2000,
                       seed: int = 0, level: float = 0.95) -> dict:
    """Percentile CIs of the headline metrics, resampling documents (not paragraphs) with replacement.

    Paragraphs of one report are correlated, so the document is the unit of resampling. Metrics that
    are undefined in a resample (a label with no gold and no predicted paragraph) are left out of
    that label's interval (``None`` when it is undefined in every resample).

    Returns:
        ``{"micro_f1": (lo, hi), "macro_f1": ..., "subset_accuracy": ..., "hamming_loss": ...,
        "per_label": {label: {"precision": (lo, hi), "recall": ..., "f1": ...}}, "n_boot": ...,
        "unit": "document"}``.

    Example:
        >>> y = np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]])
        >>> ci = document_bootstrap(y, y, ["a", "b"], n_boot=50)
        >>> ci["micro_f1"]
        (1.0, 1.0)
    """
    y_true, y_pred = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    docs = np.asarray(docs)
    uniq = list(dict.fromkeys(docs.tolist()))
    # Per-document sufficient statistics: counts per label, exact matches, wrong cells, paragraphs.
    tp = np.array([(y_true[docs == d] & y_pred[docs == d]).sum(0) for d in uniq], float)
    fp = np.array([(~y_true[docs == d] & y_pred[docs == d]).sum(0) for d in uniq], float)
    fn = np.array([(y_true[docs == d] & ~y_pred[docs == d]).sum(0) for d in uniq], float)
    exact = np.array([(y_true[docs == d] == y_pred[docs == d]).all(1).sum() for d in uniq], float)
    wrong = np.array([(y_true[docs == d] != y_pred[docs == d]).sum() for d in uniq], float)
    size = np.array([(docs == d).sum() for d in uniq], float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(uniq), size=(n_boot, len(uniq)))
    counts = np.stack([np.bincount(d, minlength=len(uniq)) for d in draws]).astype(float)  # (B, docs)
    TP, FP, FN = counts @ tp, counts @ fp, counts @ fn  # (B, labels)
    n = counts @ size
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(TP + FP > 0, TP / np.maximum(TP + FP, 1), np.nan)
        rec = np.where(TP + FN > 0, TP / np.maximum(TP + FN, 1), np.nan)
    f1 = _f1(TP, FP, FN)
    micro = _f1(TP.sum(1), FP.sum(1), FN.sum(1))
    macro = np.nanmean(np.where(np.isnan(f1), 0.0, f1), axis=1)  # sklearn: undefined F1 counts as 0
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]

    def ci(values: np.ndarray) -> tuple[float, float] | None:
        values = values[~np.isnan(values)]
        if values.size == 0:
            return None  # undefined in every resample
        lo, hi = np.percentile(values, q)
        return (round(float(lo), 4), round(float(hi), 4))

    return {
        "micro_f1": ci(micro), "macro_f1": ci(macro),
        "subset_accuracy": ci((counts @ exact) / n),
        "hamming_loss": ci((counts @ wrong) / (n * len(LABELS))),
        "per_label": {lab: {"precision": ci(prec[:, j]), "recall": ci(rec[:, j]), "f1": ci(f1[:, j])}
                      for j, lab in enumerate(LABELS)},
        "n_boot": n_boot, "unit": "document", "level": level,
    }
