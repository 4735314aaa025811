"""How sure the model is of a paragraph: the ranking behind the review queue and ``tagger suggest``.

A paragraph is as uncertain as its labels are close to their decision thresholds, measured in
log-odds (so a threshold of 0.2 and one of 0.5 are compared fairly) and combined as a soft minimum:
one label right at its threshold makes the paragraph uncertain; two near theirs make it more so.
On the real dev set this ordering reaches a given corpus F1 with fewer reviewed paragraphs than the
plain ``min |score - threshold|`` (README, *Review queue*).

Example:
    >>> margin(np.array([[0.9, 0.32], [0.1, 0.1], [0.0, 0.0]]), [0.5, 0.3]).round(2).tolist()
    [-0.02, 0.99, 12.61]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .linear import logit

__all__ = ["margin"]


def margin(scores: np.ndarray, thresholds: Sequence[float] | np.ndarray) -> np.ndarray:
    """Uncertainty margin per paragraph (smaller = less certain): ``-log Σ_labels exp(-|logit(score) -
    logit(threshold)|)``. Paragraphs whose scores are all 0 (headings, empty) get a large margin."""
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    distance = np.abs(logit(scores) - logit(np.asarray(thresholds, dtype=float)))
    return -np.log(np.exp(-distance).sum(axis=1))
