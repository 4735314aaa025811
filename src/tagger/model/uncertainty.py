"""How sure the model is of a paragraph: the ranking behind the review queue and ``tagger suggest``.

Each score is read as the probability that its label applies (on the real dev set the scores are close
to probabilities: README, *Are the scores probabilities?*), so a label decided yes is wrong with
probability ``1 - score`` and one decided no with probability ``score``. A paragraph is as uncertain
as the expected number of its wrong label decisions, their sum over the labels: reviewing it fixes that
many errors on average, which is what a review budget should buy. On the real dev set this ordering
reaches a given corpus F1 with fewer reviewed paragraphs than the log-odds distance of the scores to
their thresholds, which under-ranks paragraphs tagged with a middling score above a low threshold
(README, *Review queue*).

The margin is ``-log`` of that expected number: smaller is less certain, and ``exp(-margin)`` gives
the expected number of wrong decisions back.

Example:
    >>> margin(np.array([[0.9, 0.32], [0.1, 0.1], [0.0, 0.0]]), [0.5, 0.3]).round(2).tolist()
    [0.25, 1.61, 27.63]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["margin", "expected_errors"]

_FLOOR = 1e-12  # expected errors of a paragraph whose scores are all 0 or 1: margin -log(1e-12) = 27.6


def expected_errors(scores: np.ndarray, thresholds: Sequence[float] | np.ndarray) -> np.ndarray:
    """Expected number of wrong label decisions per paragraph, reading scores as probabilities.

    Example:
        >>> expected_errors(np.array([[0.9, 0.32]]), [0.5, 0.3]).round(2).tolist()
        [0.78]
    """
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    decided_yes = scores >= np.asarray(thresholds, dtype=float)
    return np.where(decided_yes, 1.0 - scores, scores).sum(axis=1)


def margin(scores: np.ndarray, thresholds: Sequence[float] | np.ndarray) -> np.ndarray:
    """Uncertainty margin per paragraph (smaller = less certain): ``-log`` of
    :func:`expected_errors`. Paragraphs whose scores are all 0 (headings, empty) get the largest margin."""
    return -np.log(np.maximum(expected_errors(scores, thresholds), _FLOOR))
