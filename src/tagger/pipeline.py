"""Tagging many reports: report → paragraphs → scores → tags, as flat rows or a data frame.

:func:`tag_report` (also ``Tagger.tag``) gives :class:`TagResult` objects for one report.

Example:
    >>> model = tagger.load()  # doctest: +SKIP
    >>> [r.labels for r in tag_report(model, "为民服务\\n党员为孤寡老人义务检查线路。")]  # doctest: +SKIP
    [[], ['elderly_care', 'volunteer_work']]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from .common.cells import is_missing, report_id_of
from .data.tagged import earlier_copy, report_content
from .labels import LABELS
from .model.results import TagResult, tag_paragraphs, tag_report
from .text.report import Paragraph, report_id_problem, split_report

if TYPE_CHECKING:
    import pandas as pd

    from .model.tagger import Tagger

__all__ = ["TagResult", "tag_report", "tag_paragraphs", "paragraph_rows", "tag_frame", "decide_frame", "check_keep",
           "report_content", "earlier_copy",
           "report_id_of", "ROW_COLUMNS"]

ROW_COLUMNS = ["report", "paragraph", "kind", "text", "labels", *(f"score_{lab}" for lab in LABELS)]


def paragraph_rows(model: Tagger, reports: Iterable[tuple[str, str | Sequence[Paragraph]]], evidence: bool = False,
                   meta: Sequence[Mapping[str, object]] | None = None) -> Iterator[dict]:
    """One flat row per paragraph of ``(report id, text)`` pairs, tagged together: ``report``,
    ``paragraph``, ``kind``, ``text``, the report's ``meta`` items (one mapping per report: kept input
    columns), ``labels`` and ``score_<label>`` (and ``evidence``). A report given as its paragraphs instead of
    its text (a report read back from a tagged file) is scored as they are, not split again."""
    reports = list(reports)
    if meta is not None and len(meta) != len(reports):
        raise ValueError(f"meta has {len(meta)} entries for {len(reports)} reports")
    paragraphs, extra, which = [], [], []
    for i, (rid, text) in enumerate(reports):
        parts = split_report(text, rid) if isinstance(text, str) else list(text)
        paragraphs += parts
        extra += [meta[i] if meta is not None else {}] * len(parts)
        which += [i] * len(parts)  # the report each paragraph came from (two inputs may share an id)
    for p, m, r in zip(paragraphs, extra, tag_paragraphs(model, paragraphs, evidence, which)):
        row = {"report": p.doc, "paragraph": p.id, "kind": p.kind, "text": p.text, **m, "labels": r.labels,
               **{f"score_{lab}": r.scores[lab] for lab in LABELS}}
        if evidence:
            row["evidence"] = r.evidence
        yield row


def check_keep(keep: Sequence[str], reserved: Iterable[str] = ()) -> list[str]:
    """The kept column names, refused when one would overwrite an output column, or has the name of a column a
    tagged file holds (:data:`~tagger.data.tagged.TAG_COLUMNS`: a kept ``reviewed_labels`` would be read back as
    decisions) or that :func:`~tagger.data.tagged.read_tagged` and ``tagger stats`` compute
    (:data:`~tagger.data.tagged.DERIVED_COLUMNS`: a kept ``effective_labels`` would be counted instead of the
    labels); ``reserved``: more names (those of :data:`~tagger.data.tagged.SUMMARY_ONLY_COLUMNS` when the output has
    a summary: without one they may be kept).

    Example:
        >>> check_keep(["company", "date"])
        ['company', 'date']
        >>> check_keep(["company", "effective_labels"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: kept column(s) ['effective_labels'] have the name of a column read_tagged and tagger stats compute ...
        >>> check_keep(["left_out"]), check_keep(["company"], reserved=["left_out"])  # without a summary, it is free
        (['left_out'], ['company'])
        >>> check_keep(["left_out"], reserved=["left_out"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: kept column(s) ['left_out'] clash with the column(s) of that name --summary writes ...
    """
    from .data.tagged import DERIVED_COLUMNS, SUMMARY_ONLY_COLUMNS, TAG_COLUMNS

    derived = [c for c in keep if c in DERIVED_COLUMNS]
    if derived:  # counted instead of the labels (stats), or the file refused when read back (read_tagged)
        raise ValueError(f"kept column(s) {derived} have the name of a column read_tagged and tagger stats compute "
                         "themselves (the labels to count: a person's decision, else the model's); kept, the model's "
                         "labels would not be the ones counted. Rename or drop them in the input (e.g. "
                         f"df.drop(columns={derived}))")
    taken = {*ROW_COLUMNS, "evidence", *(TAG_COLUMNS - SUMMARY_ONLY_COLUMNS), *reserved}  # no summary here
    clash = [c for c in keep if c in taken]
    summary = [c for c in clash if c in SUMMARY_ONLY_COLUMNS]  # reserved: the output has a summary (--summary)
    if summary:
        raise ValueError(f"kept column(s) {summary} clash with the column(s) of that name --summary writes (left_out: "
                         "how many input reports had nothing to tag); keep them without --summary, or rename them in the "
                         "input")
    if clash:
        raise ValueError(f"kept column(s) {clash} have the name of an output column; rename them in the input")
    dupes = sorted({c for c in keep if list(keep).count(c) > 1})
    if dupes:
        raise ValueError(f"column(s) {dupes} given twice to keep")
    return list(keep)


def _is_frame(df) -> bool:
    return hasattr(df, "columns") and hasattr(df, "iloc")


def _check_frame_args(model, df, text_column: str) -> None:
    """A clear ``TypeError`` for arguments :func:`tag_frame` cannot use (swapped, a path, a column, text)."""
    import os

    from .model.tagger import Tagger

    if not isinstance(model, Tagger):
        if _is_frame(model):
            hint = "; the DataFrame comes second: tag_frame(model, df)"
        elif isinstance(model, (str, os.PathLike)):
            hint = f"; load it: tag_frame(tagger.load({str(model)!r}), df)"
        else:
            hint = "; load one with tagger.load()"
        raise TypeError(f"tag_frame() expects a trained model first, got {type(model).__name__}{hint}")
    if not _is_frame(df):
        if hasattr(df, "iloc"):  # a Series: one column
            hint = (f"; pass the whole frame and name the text column: tag_frame(model, df, "
                    f"text_column={getattr(df, 'name', None) or text_column!r})")
        else:
            hint = "; for paragraphs use model.predict(texts), for one report model.tag(text)"
        raise TypeError(f"tag_frame() expects a pandas DataFrame of reports (one per row), got "
                        f"{type(df).__name__}{hint}")


def tag_frame(model: Tagger, df: pd.DataFrame, text_column: str = "text", id_column: str | None = None,
              evidence: bool = False, keep: Sequence[str] = ()) -> pd.DataFrame:
    """Tag a pandas DataFrame of reports (one report per row); one output row per paragraph.

    The building block for batch engines (Dask ``map_partitions``, Spark ``mapInPandas``): a pure
    function of its input frame. Columns: ``report``, ``paragraph`` (``<report>:<index>``), ``kind``,
    ``text``, the ``keep`` columns (copied from the report's row, dtype kept), ``labels`` (list of ids),
    ``score_<label>`` (and ``evidence``). A report without paragraphs (an empty or blank text, a missing one —
    ``None``, ``NaN``, ``pd.NA`` —, page chrome only) has no rows, with a ``UserWarning`` naming it by id: the rule
    of ``tagger tag``, which leaves such a report out and names it; an id given to two reports (whose paragraph
    ids then repeat) is named in a ``UserWarning`` too, and so is a report that repeats an earlier one's paragraphs
    and kept cells under another id (:func:`~tagger.data.tagged.earlier_copy`: its paragraphs would count twice).
    The frame's ``attrs`` hold which model tagged it (``attrs["tagger"]["model"]``: its
    :func:`~tagger.model.persistence.provenance` record): pandas' ``to_parquet`` keeps them in the file, where
    ``tagger stats`` finds them (a CSV or JSONL has no place for them). To decide its labels again with other
    thresholds, use :func:`decide_frame`, which records them (labels written into it otherwise leave the record
    naming thresholds that did not decide them).

    Raises:
        KeyError: a named column is missing. TypeError: ``model`` is not a model, ``df`` not a
        DataFrame or ``keep`` a single name (the message says what to pass), or a text cell holds no text
        (a number: names the report). ValueError: a kept column has the name of an output column, a named
        column is in the frame twice, or a report id is missing or unusable (names the row; the rules
        of ``tagger tag``).

    Example:
        >>> tag_frame(model, df, keep=["company", "date"])  # doctest: +SKIP
        >>> tag_frame("models/tagger.npz", None)
        Traceback (most recent call last):
        ...
        TypeError: tag_frame() expects a trained model first, got str; load it: tag_frame(tagger.load('models/tagger.npz'), df)
    """
    import pandas as pd

    from .model.persistence import PARQUET_KEY, output_facts, provenance

    _check_frame_args(model, df, text_column)
    if isinstance(keep, str):  # iterating it would keep the columns named by its letters
        raise TypeError(f"keep takes a list of column names, got a single str; pass keep=[{keep!r}]")
    for name, col, default in (("text_column", text_column, "'text'"), ("id_column", id_column, "None")):
        if isinstance(col, (list, tuple, set, dict)) or (col is None and name == "text_column"):
            one = f"{name}={next(iter(col))!r}" if isinstance(col, (list, tuple)) and len(col) == 1 else f"{name}=..."
            raise TypeError(f"{name} takes one column name, got {col!r}; e.g. {one} (default {default})")
    keep = check_keep(() if keep is None else keep)
    for col in (text_column, id_column, *keep):
        if col is not None and col not in df.columns:
            raise KeyError(f"column {col!r} not found; columns are {list(df.columns)}")
        if col is not None and list(df.columns).count(col) > 1:  # df[col] would be a frame of the copies
            raise ValueError(f"the frame has {list(df.columns).count(col)} columns named {col!r}; give each its own "
                             "name, or drop the copies: df.loc[:, ~df.columns.duplicated()]")
    if id_column is None and isinstance(df.index, pd.MultiIndex):
        raise ValueError("the frame has a MultiIndex; give each report one id: df.reset_index() and pass "
                         "id_column=, or tag_frame(model, df.reset_index(drop=True))")
    if id_column is None and not df.index.is_unique:  # e.g. pd.concat without ignore_index: reports would merge
        dup = df.index[df.index.duplicated()][0]
        raise ValueError(f"the frame's index repeats ({str(dup)!r}), so two reports would share an id; use "
                         "df.reset_index(drop=True) or pass id_column= with one id per report")
    ids = df[id_column] if id_column is not None else pd.Series(df.index, index=df.index)
    seen: dict[str, tuple[object, object]] = {}  # id -> (its first row, its value there as written)
    repeated: list[tuple[object, object, str, bool]] = []  # (first row, row, id, written alike) of an id given twice
    reports = []
    for row, rid, text in zip(df.index, ids, df[text_column]):
        if is_missing(rid):  # None, NaN or pandas' NA: two such reports would merge, their paragraph ids collide
            raise ValueError(f"row {row!r}: no {id_column or 'index'!r} value; give every report an id")
        given, rid = rid, report_id_of(rid)
        if rid is None:  # as tagger tag reads ids
            raise ValueError(f"row {row!r}: {id_column or 'index'!r} value {given!r} is a {type(given).__name__}, not an "
                             "id: give each report its id as text or a whole number (a float column of whole numbers: "
                             f"df[{(id_column or 'id')!r}].astype('Int64'); a boolean or date: make an id of it first)")
        if rid in seen:  # as tagger tag warns: the two reports' paragraph ids would repeat ("a:0" twice)
            first_row, first = seen[rid]
            repeated.append((first_row, row, rid, isinstance(first, str) == isinstance(given, str)))
        seen.setdefault(rid, (row, given))
        problem = report_id_problem(rid)
        if problem:  # the rule tagger tag applies: the id travels into paragraph ids, journals, label files
            raise ValueError(f"row {row!r}: {id_column or 'index'!r} value {problem}")
        if is_missing(text):  # None, NaN, pandas' NA: an empty cell, as tagger tag reads a null text — a report
            text = ""  # with nothing to tag, left out and named by its id in the warning below
        if not isinstance(text, str):
            raise TypeError(f"report {rid!r}: {text_column!r} is {type(text).__name__}, expected text")
        reports.append((rid, text))
    if repeated:  # said once, as tagger tag says it
        import warnings

        first, row, rid, alike = repeated[0]
        more = f" ({len(repeated) - 1} more such rows)" if len(repeated) > 1 else ""
        why = "" if alike else f" (the text {rid} and the number {rid} are one id)"  # "1" and 1: written otherwise
        warnings.warn(f"rows {first!r} and {row!r}: {id_column or 'index'!r} value {rid!r} is given to two reports"
                      f"{why}{more}: their paragraph ids repeat, and a join or count by paragraph or report mixes "
                      "them; give each report its own id", UserWarning, stacklevel=2)
    positions = [{"_pos": i} for i in range(len(reports))]
    rows = list(paragraph_rows(model, reports, evidence, meta=positions))
    tagged = {r["_pos"] for r in rows}
    empty = [rid for i, (rid, _) in enumerate(reports) if i not in tagged]
    if empty:  # as tagger tag says it: such a report would vanish from the counts unnoticed (user test)
        import warnings

        warnings.warn(f"{len(empty)} report(s) had no paragraphs (an empty, blank or missing text, or page chrome "
                      f"only) and have no rows: "
                      f"{', '.join(map(repr, empty[:5]))}{', …' if len(empty) > 5 else ''}", UserWarning, stacklevel=2)
    texts: dict[int, list[str]] = {}
    for r in rows:
        texts.setdefault(r["_pos"], []).append(r["text"])
    kept = df[list(keep)].to_numpy(dtype=object) if keep else None
    contents: dict[int, str] = {}
    copies = [(rid, first) for i, (rid, _) in enumerate(reports) if i in texts
              and (first := earlier_copy(contents, rid, report_content(
                  texts[i], dict(zip(keep, kept[i])) if kept is not None else {}))) is not None]
    if copies:  # as tagger tag says it: counted, a copy is a report of its own and its paragraphs count twice
        import warnings

        warnings.warn(f"{len(copies)} report(s) repeat the paragraphs and kept columns of an earlier one under another "
                      f"id (e.g. {copies[0][0]!r} is {copies[0][1]!r} again): each counts as a report of its own, its "
                      "paragraphs twice; if they are one report given twice, drop the copies "
                      f"(df.drop_duplicates({[text_column, *keep]!r}))", UserWarning, stacklevel=2)
    columns = ROW_COLUMNS + (["evidence"] if evidence else [])
    out = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype="object") for c in columns[:4]})
    if keep:
        source = df[keep].iloc[[r["_pos"] for r in rows]].reset_index(drop=True)
        for col in keep:
            out[col] = source[col]
    out["labels"] = pd.Series([r["labels"] for r in rows], dtype="object")
    for lab in LABELS:
        out[f"score_{lab}"] = pd.Series([r[f"score_{lab}"] for r in rows], dtype="float64")
    if evidence:
        out["evidence"] = pd.Series([r["evidence"] for r in rows], dtype="object")
    out.attrs[PARQUET_KEY] = output_facts(provenance(model))  # the model that tagged it: to_parquet keeps it
    return out


def decide_frame(model: Tagger, df: pd.DataFrame, record: dict | None = None) -> pd.DataFrame:
    """A copy of a :func:`tag_frame` result whose ``labels`` ``model`` decided again from its scores
    (:meth:`~tagger.model.tagger.Tagger.decide`: with its thresholds, e.g. a manifest's edited ones) and whose
    record (``attrs``) names the thresholds that now decided them, so that ``tagger stats`` and a re-tag of its
    Parquet file trust the right ones. Its scores must be ``model``'s: a frame recording another model file, other
    scoring hyperparameters or other user words is refused (tag the reports again with ``model``), as is one that
    records no model (which thresholds decide its labels could not be said: its ``attrs`` were dropped).

    A frame read from a file ``tagger tag`` wrote (``pd.read_parquet``) has no ``attrs``: the file keeps its record
    in its own way, so pass it as ``record`` (:func:`tagger.data.tagged.model_record` of the file). An ``evidence``
    column is brought up to date: the rows whose labels changed get the evidence of their new labels (as
    :func:`tag_frame` finds it, from the ``text`` column; without one, the frame is refused).

    Raises:
        ValueError: the frame records no model, or another one than ``model`` but for its thresholds (says how
            it differs); an ``evidence`` column without the ``text`` column. KeyError: a ``score_<label>`` column
            is missing. TypeError: no model, or no frame.

    Example:
        >>> strict = tagger.load("models/strict.npz")  # the same .npz, edited manifest thresholds  # doctest: +SKIP
        >>> tagged = decide_frame(strict, tag_frame(tagger.load(), reports))  # doctest: +SKIP
        >>> read = decide_frame(strict, pd.read_parquet("tagged.parquet"),  # doctest: +SKIP
        ...                     record=tagger.data.tagged.model_record("tagged.parquet"))
        >>> decide_frame("models/strict.npz", None)
        Traceback (most recent call last):
        ...
        TypeError: decide_frame() expects a trained model and a tag_frame result, decide_frame(model, df); got str and NoneType
    """
    import pandas as pd

    from .model.persistence import (PARQUET_KEY, as_provenance, frame_record, output_facts, provenance,
                                    record_differences)
    from .model.results import label_evidence
    from .model.tagger import Tagger
    from .text.normalize import normalize_many

    if not isinstance(model, Tagger) or not _is_frame(df):
        raise TypeError(f"decide_frame() expects a trained model and a tag_frame result, decide_frame(model, df); got "
                        f"{type(model).__name__} and {type(df).__name__}")
    columns = [f"score_{lab}" for lab in LABELS]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"column(s) {missing} not found: decide_frame takes a tag_frame result (columns are "
                       f"{list(df.columns)})")
    given = record
    record = as_provenance(given) if given is not None else frame_record(df)
    if given is not None and record is None:
        raise ValueError(f"record is no model record (a dict with model_sha256, as "
                         f"tagger.data.tagged.model_record(path) gives), got {type(given).__name__}")
    if record is None:
        raise ValueError("the frame records no model (attrs['tagger']['model'], which tag_frame writes, was dropped "
                         "or it is no tag_frame result): whose scores these are cannot be known, so labels decided "
                         "here could not be recorded. A frame read from a file tagger tag wrote: pass the file's "
                         "record, decide_frame(model, df, record=tagger.data.tagged.model_record(path)); else tag the "
                         "reports again with tag_frame(model, reports), or decide them with "
                         "model.decide(df[score columns]) and keep no record")
    evidence = "evidence" in df.columns
    if evidence and "text" not in df.columns:
        raise ValueError("the frame has an evidence column but no text column: the evidence of labels decided anew "
                         "cannot be found, and the old evidence would name labels the rows no longer have; keep the "
                         "text column, or drop the evidence (df.drop(columns='evidence'))")
    now = provenance(model)
    other = record_differences(record, {**now, "thresholds": record.get("thresholds")})  # all but the thresholds
    if other:
        raise ValueError(f"the frame was tagged by another model than this one ({'; '.join(other)}): its scores are "
                         "not this model's, so its thresholds cannot decide them; tag the reports again with "
                         "tag_frame(model, reports)")
    out = df.copy()
    labels = model.decide(df[columns].to_numpy(dtype=float))
    if evidence:  # the evidence of a label a row keeps stands; a changed row's is found for its new labels
        changed = [i for i, (old, new) in enumerate(zip(df["labels"] if "labels" in df.columns else [None] * len(df),
                                                        labels)) if _label_list(old) != new]
        texts = [df["text"].iat[i] for i in changed]
        bad = next((i for i, t in zip(changed, texts) if not isinstance(t, str)), None)
        if bad is not None:
            raise ValueError(f"row {df.index[bad]!r}: its text is {df['text'].iat[bad]!r}, not a paragraph's text; "
                             "its evidence cannot be found (tag_frame writes the paragraph's text there)")
        found = dict(zip(changed, (label_evidence(model, norm, labels[i])
                                   for i, norm in zip(changed, normalize_many(texts)))))
        out["evidence"] = pd.Series([found.get(i, e) for i, e in enumerate(df["evidence"])], index=out.index,
                                    dtype="object")
    out["labels"] = pd.Series(labels, index=out.index, dtype="object")
    out.attrs[PARQUET_KEY] = output_facts({**record, "thresholds": now["thresholds"]})
    return out


def _label_list(value: object) -> list[str] | None:
    """A ``labels`` cell as a list (pandas reads a Parquet list back as an array), ``None`` when it is none."""
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        return None
    return [str(v) for v in value]
