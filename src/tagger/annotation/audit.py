"""Label audit: labelled paragraphs whose gold labels disagree most with confident out-of-fold
predictions (``tagger labels audit``; :func:`audit` from Python). Nothing is changed.

Example:
    >>> print(format_audit(audit(".", top=5)))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..common.terminal import counted
from ..labels import LABELS

__all__ = ["AUDIT_METHOD", "audit_rule", "find_label_issues_oof", "audit", "format_audit"]

log = logging.getLogger(__name__)

AUDIT_METHOD = "out-of-fold margin rule (cleanlab is not used)"


def audit_rule(min_confidence: float = 0.5, top: int = 20) -> str:
    """The audit rule in words (printed with every audit).

    Example:
        >>> audit_rule().startswith("method: out-of-fold margin rule")
        True
    """
    from ..evaluation.cv import IMPORTED_FOLDS

    return (f"method: {AUDIT_METHOD}. Out-of-fold (OOF) scores s from cross-validation by report of the "
            "shipped model over the real labelled paragraphs (seed + imported; authored rows only train: "
            f"a fold per seed report, the imported reports a fold each up to {IMPORTED_FOLDS}, else "
            f"{IMPORTED_FOLDS} folds of whole reports), "
            "each compared with the threshold t tuned inside its own training fold. Per label, a "
            "paragraph is a candidate when gold and OOF prediction disagree confidently: gold 1 and "
            "s < t with confidence (t - s) / t, or gold 0 and s >= t with confidence (s - t) / (1 - t) "
            f"(0 = at the threshold, 1 = the far end); listed when confidence >= {min_confidence:.2f}, "
            f"most confident first, at most {top} per label. Nothing is changed.")


def find_label_issues_oof(y_true: np.ndarray, scores: np.ndarray, thresholds: np.ndarray,
                          top: int = 20, min_confidence: float = 0.5) -> list[dict]:
    """The out-of-fold margin rule of :func:`audit_rule` on plain arrays.

    Args:
        y_true: gold labels, shape ``(n, len(LABELS))``, 0/1.
        scores: OOF scores, same shape.
        thresholds: the decision threshold for each score (same shape, or one per label).
        top: most candidates per label.
        min_confidence: smallest confidence listed, in [0, 1].

    Returns:
        Dicts ``{"row", "label", "gold", "score", "threshold", "confidence"}`` in label order, most
        confident first within a label (ties by row).

    Example:
        >>> y = np.array([[1, 0], [1, 0], [0, 0]])
        >>> s = np.array([[0.02, 0.1], [0.4, 0.1], [0.1, 0.95]])
        >>> [(d["row"], d["label"], d["confidence"]) for d in find_label_issues_oof(y, s, np.full(2, 0.5))]
        [(0, 'elderly_care', 0.96), (2, 'old_neighbourhood_retrofit', 0.9)]
    """
    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=float)
    thr = np.broadcast_to(np.asarray(thresholds, dtype=float), scores.shape)
    t = np.clip(thr, 1e-9, 1 - 1e-9)
    conf = np.where(y_true, (t - scores) / t, (scores - t) / (1 - t))
    disagree = np.where(y_true, scores < thr, scores >= thr)
    out = []
    for j in range(scores.shape[1]):
        rows = [i for i in range(len(scores)) if disagree[i, j] and conf[i, j] >= min_confidence]
        rows.sort(key=lambda i: (-conf[i, j], i))
        for i in rows[:top]:
            out.append({"row": i, "label": LABELS[j], "gold": int(y_true[i, j]),
                        "score": round(float(scores[i, j]), 4), "threshold": round(float(thr[i, j]), 4),
                        "confidence": round(float(conf[i, j]), 4)})
    return out


def audit(root: str | Path = ".", top: int = 20, *, min_confidence: float = 0.5, use_authored: bool = True,
          jobs: int = 1, seed: int = 0) -> list[dict]:
    """Labelled paragraphs whose gold labels disagree most with confident out-of-fold predictions.

    Runs the cross-validation ``train`` runs, of the shipped system (:data:`tagger.evaluation.cv.SHIPPED`, through
    :func:`~tagger.evaluation.cv.run_systems` on the folds of :func:`~tagger.evaluation.cv.make_folds`: a fit per
    seed report, plus one per imported report up to :data:`~tagger.evaluation.cv.IMPORTED_FOLDS` of them, else that
    many grouped by report) and applies :func:`find_label_issues_oof` (rule: :func:`audit_rule`): every labelled
    paragraph needs an out-of-fold score, so the audit cannot do without it. Reads the project, changes nothing.

    Args:
        root: project checkout.
        top: most candidates per label.
        min_confidence: smallest confidence listed.
        use_authored: train folds with the authored supplement (as the shipped model does).
        jobs: worker processes for the CV folds.
        seed: the model's ``random_state`` (as ``train --seed``).

    Returns:
        One dict per candidate: ``label``, ``id``, ``doc``, ``source``, ``text``, ``gold`` (1: the
        gold labels have it, 0: they do not), ``score``, ``threshold``, ``confidence``,
        ``gold_labels``, ``predicted_labels`` (OOF).

    Raises:
        LabelFileError: the project or one of its label files is missing or invalid.
    """
    from ..evaluation.cv import SHIPPED, cv_plan, make_folds, run_systems
    from ..training import load_resources

    res = load_resources(root, use_authored=use_authored)
    folds = make_folds(res.examples, "lodo")
    log.info("out-of-fold scores for every labelled paragraph: cross-validation, %s: %s, each about as long as "
             "python train.py's training", cv_plan(res.examples), counted(len(folds), "fit"))
    run = run_systems(res.examples, res, [SHIPPED], folds, "lodo", jobs=jobs, seed=seed)[0]
    # Each paragraph is compared with the thresholds of the fold model that scored it.
    thresholds = np.array([run.fold_thresholds[f] for f in run.fold_of])
    by_id = {ex.id: ex for ex in res.examples}
    out = []
    for item in find_label_issues_oof(run.y_true, run.scores, thresholds, top, min_confidence):
        i = item.pop("row")
        ex = by_id[run.ids[i]]
        out.append({"label": item["label"], "id": ex.id, "doc": ex.doc, "source": ex.source, "text": ex.text,
                    **{key: item[key] for key in ("gold", "score", "threshold", "confidence")},
                    "gold_labels": list(ex.labels),
                    "predicted_labels": [lab for lab, hit in zip(LABELS, run.y_pred[i]) if hit]})
    return out


def format_audit(items: Sequence[dict], min_confidence: float = 0.5, top: int = 20, width: int = 70) -> str:
    """Plain-text audit listing: the rule, then one section per label.

    Example:
        >>> format_audit([]).splitlines()[-1].startswith("Nothing was changed.")
        True
    """
    lines = [*textwrap.wrap(f"Label audit — {audit_rule(min_confidence, top)}", 100), ""]
    for lab in LABELS:
        mine = [d for d in items if d["label"] == lab]
        lines.append(f"## {lab}: {len(mine)} candidate(s)")
        for d in mine:
            what = "gold has it, model says no" if d["gold"] else "gold lacks it, model says yes"
            text = d["text"] if len(d["text"]) <= width else d["text"][: width - 1] + "…"
            lines.append(f"  {d['id']}  confidence {d['confidence']:.2f}  score {d['score']:.2f} vs threshold "
                         f"{d['threshold']:.2f}  ({what}; gold: {';'.join(d['gold_labels']) or 'none'})")
            lines.append(f"      {text}")
        lines.append("")
    lines.append("Nothing was changed. Re-check these paragraphs against labels/CODEBOOK.md and fix the label "
                 "files by hand (labels/seeds.csv, or tagger labels import --update for imported rows).")
    return "\n".join(lines)
