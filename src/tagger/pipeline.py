"""Tagging many reports: report → paragraphs → scores → tags, as flat rows or a data frame.

:func:`tag_report` (also ``Tagger.tag``) gives :class:`TagResult` objects for one report.

Example:
    >>> model = tagger.load()  # doctest: +SKIP
    >>> [r.labels for r in tag_report(model, "为民服务\\n党员为孤寡老人义务检查线路。")]  # doctest: +SKIP
    [[], ['elderly_care', 'volunteer_work']]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .labels import LABELS
from .model.results import TagResult, tag_paragraphs, tag_report
from .text.report import split_report

__all__ = ["TagResult", "tag_report", "tag_paragraphs", "paragraph_rows", "tag_frame", "ROW_COLUMNS"]

ROW_COLUMNS = ["report", "paragraph", "kind", "text", "labels", *(f"score_{lab}" for lab in LABELS)]


def paragraph_rows(model, reports: Iterable[tuple[str, str]], evidence: bool = False) -> Iterator[dict]:
    """One flat row per paragraph of ``(report id, text)`` pairs, tagged together: ``report``,
    ``paragraph``, ``kind``, ``text``, ``labels`` and ``score_<label>`` (and ``evidence``)."""
    paragraphs = [p for rid, text in reports for p in split_report(text, rid)]
    for p, r in zip(paragraphs, tag_paragraphs(model, paragraphs, evidence)):
        row = {"report": p.doc, "paragraph": p.id, "kind": p.kind, "text": p.text, "labels": r.labels,
               **{f"score_{lab}": r.scores[lab] for lab in LABELS}}
        if evidence:
            row["evidence"] = r.evidence
        yield row


def tag_frame(model, df, text_column: str = "text", id_column: str | None = None, evidence: bool = False):
    """Tag a pandas DataFrame of reports (one report per row); one output row per paragraph.

    The building block for batch engines (Dask ``map_partitions``, Spark ``mapInPandas``): a pure
    function of its input frame. Columns: ``report``, ``paragraph`` (``<report>:<index>``), ``kind``,
    ``text``, ``labels`` (list of ids), ``score_<label>`` (and ``evidence``).

    Raises:
        KeyError: a named column is missing. TypeError: a non-text cell (names the row).
    """
    import pandas as pd

    for col in (text_column, id_column):
        if col is not None and col not in df.columns:
            raise KeyError(f"column {col!r} not found; columns are {list(df.columns)}")
    ids = df[id_column] if id_column is not None else pd.Series(df.index, index=df.index)
    reports = []
    for rid, text in zip(ids.astype(str), df[text_column]):
        if not isinstance(text, str):
            raise TypeError(f"report {rid!r}: {text_column!r} is {type(text).__name__}, expected text")
        reports.append((rid, text))
    rows = list(paragraph_rows(model, reports, evidence))
    columns = ROW_COLUMNS + (["evidence"] if evidence else [])
    out = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype="object") for c in columns[:5]})
    for lab in LABELS:
        out[f"score_{lab}"] = pd.Series([r[f"score_{lab}"] for r in rows], dtype="float64")
    if evidence:
        out["evidence"] = pd.Series([r["evidence"] for r in rows], dtype="object")
    return out
