"""Model insight for the report: top terms per label, most confident out-of-fold errors."""

from __future__ import annotations

import numpy as np

from .evaluation import CVRun
from .schema import LABELS

__all__ = ["top_terms", "confident_errors"]


def top_terms(model, k: int = 10) -> dict[str, dict]:
    """Per label, the ``k`` most positive and negative features of a fitted :class:`Tagger`."""
    return {lab: model.top_terms(lab, k) for lab in LABELS}


def confident_errors(run: CVRun, texts: dict[str, str], n: int = 10) -> list[dict]:
    """The ``n`` paragraphs whose wrong out-of-fold decisions were made with the largest margin.

    Margin of a wrong decision = ``|score − threshold of the fold that scored it|``. Evidence terms
    come from that fold's model (which never saw the paragraph).
    """
    if run.scores is None or not run.fold_thresholds:
        return []
    thr = np.array([run.fold_thresholds[f] for f in run.fold_of])
    wrong = run.y_true != run.y_pred
    margin = np.where(wrong, np.abs(run.scores - thr), 0.0)
    order = np.argsort(-margin.max(1), kind="stable")
    out = []
    for i in order[:n]:
        if margin[i].max() <= 0:
            break
        model = run.models[run.fold_of[i]] if run.models else None
        gold = [LABELS[j] for j in np.flatnonzero(run.y_true[i])]
        pred = [LABELS[j] for j in np.flatnonzero(run.y_pred[i])]
        evidence = {}
        if model is not None:
            for lab in sorted(set(gold) ^ set(pred), key=LABELS.index):
                evidence[lab] = model.evidence(texts[run.ids[i]], lab)
        out.append({"id": run.ids[i], "text": texts[run.ids[i]], "gold": gold, "predicted": pred,
                    "scores": {lab: round(float(run.scores[i, j]), 3) for j, lab in enumerate(LABELS)},
                    "margin": round(float(margin[i].max()), 3), "evidence": evidence})
    return out
