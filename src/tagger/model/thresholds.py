"""Per-label decision thresholds chosen on out-of-fold scores."""

from __future__ import annotations

import numpy as np

__all__ = ["best_f1_threshold"]


def best_f1_threshold(y_true: np.ndarray, scores: np.ndarray, default: float = 0.5,
                      lo: float = 0.05, hi: float = 0.95) -> float:
    """Threshold maximising F1 of ``scores >= t``: the middle of the best plateau; ``default`` if there
    are no positives.

    Example:
        >>> best_f1_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.3, 0.6, 0.8]))
        0.45
    """
    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=float)
    if not y_true.any():
        return default
    cand = np.unique(np.clip(scores, lo, hi))
    cuts = np.unique(np.concatenate([[lo], (cand[:-1] + cand[1:]) / 2, [hi]]))
    pred = scores[None, :] >= cuts[:, None]
    tp = (pred & y_true).sum(1)
    fp = (pred & ~y_true).sum(1)
    fn = (~pred & y_true).sum(1)
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    best = f1 >= f1.max() - 1e-12
    start = int(np.argmax(best))
    end = start
    while end + 1 < len(cuts) and best[end + 1]:
        end += 1
    return float(round((cuts[start] + cuts[end]) / 2, 6))
