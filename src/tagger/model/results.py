"""Tags of a whole report: :class:`TagResult` per paragraph, from split paragraphs or a report's text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..common.cells import report_id_of
from ..labels import LABELS
from ..text.report import Paragraph, report_id_problem, split_report

if TYPE_CHECKING:
    from .tagger import Tagger

__all__ = ["TagResult", "tag_paragraphs", "tag_report", "label_evidence"]


@dataclass
class TagResult:
    """Tags of one paragraph of a report: its id, text, kind (body/heading/caption), labels, a score per
    label and the evidence terms behind each label."""

    id: str
    text: str
    kind: str
    labels: list[str]
    scores: dict[str, float]
    evidence: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "kind": self.kind, "labels": self.labels,
                "scores": self.scores, "evidence": self.evidence}


def tag_paragraphs(model: Tagger, paragraphs: Sequence[Paragraph], evidence: bool = True,
                   reports: Sequence[object] | None = None) -> list[TagResult]:
    """Tag split paragraphs (their normalised text is reused). Paragraphs of one report are scored with
    report context; ``reports`` says which paragraphs form one report (default: the same ``doc``)."""
    if not paragraphs:
        return []
    scores = model.scores_from_norms([p.norm for p in paragraphs], [p.kind for p in paragraphs],
                                     [p.doc for p in paragraphs] if reports is None else list(reports),
                                     names=[p.doc for p in paragraphs])
    results = []
    for p, row, labels in zip(paragraphs, scores, model.decide(scores)):
        results.append(TagResult(
            # the scores the labels were decided on, unrounded: a score rounded to 4 places could sit on the other
            # side of its threshold than the label says (display rounds, files and results do not)
            p.id, p.text, p.kind, labels, {lab: float(s) for lab, s in zip(LABELS, row)},
            label_evidence(model, p.norm, labels) if evidence else {}))
    return results


def label_evidence(model: Tagger, norm: str, labels: Sequence[str]) -> dict[str, list[str]]:
    """The evidence terms behind each of a paragraph's ``labels`` (:meth:`~tagger.model.tagger.Tagger.evidence`
    of its normalised text ``norm``), as :class:`TagResult` and ``tag_frame``'s ``evidence`` column hold them.

    Example:
        >>> label_evidence(model, "为孤寡老人义务检查线路。", ["elderly_care"])  # doctest: +SKIP
        {'elderly_care': ['孤寡老人', '检查线路']}
    """
    return {lab: model.evidence(norm, lab, normalized=True) for lab in labels}


def tag_report(model: Tagger, report: str, doc: str | int = "report", evidence: bool = True) -> list[TagResult]:
    """Split a whole report into paragraphs and tag each one; headings and captions are returned,
    marked by ``kind`` (headings carry no labels).

    Raises:
        TypeError: if ``report`` is not a ``str``, or ``doc`` (the report id, which starts each paragraph id) is
            neither a ``str`` nor a whole number (as ``tag_frame`` takes ids).
        ValueError: if ``doc`` cannot be a report id (empty, white space at its ends, invisible characters).
    """
    if not isinstance(report, str):
        hint = "; decode it first, e.g. data.decode('utf-8')" if isinstance(report, (bytes, bytearray)) else ""
        raise TypeError(f"tag() expects the report text as str, got {type(report).__name__}{hint}")
    given, doc = doc, report_id_of(doc)  # as tag_frame reads ids
    if doc is None:  # else paragraph ids such as 'None:0'
        whole = isinstance(given, float) and given.is_integer()  # 7.0: str() would make the id '7.0', not '7'
        raise TypeError(f"tag() expects the report id (doc) as str or a whole number, got {type(given).__name__}; "
                        + (f"e.g. doc={int(given)}" if whole else "e.g. doc=str(report_id)"))
    problem = report_id_problem(doc, column=False)  # else ids such as ':0', which no file or table reads back
    if problem:
        raise ValueError(f"tag(): the report id (doc) {problem}; pass a name such as doc='report'")
    return tag_paragraphs(model, split_report(report, doc), evidence)
