"""Annotation tools: hand paragraphs to Label Studio or doccano, bring the decisions back.

``tagger labels export FILE --to labelstudio|doccano`` turns a tagged file (``tagger tag`` JSONL/CSV,
with or without ``evidence``, review columns and metadata columns kept from the input) or a label file
of ours (the ``tagger suggest`` CSV, ``labels/seeds.csv``, ``labels/*.jsonl``) into the tool's import
format, the labels to start from as pre-annotations: a reviewer's (``reviewed_labels``) when there
are some, else the model's (``label_source`` in the task data says which). Every task carries the
paragraph's ``id`` (also as ``paragraph``: Label Studio's JSON-MIN and CSV exports replace ``id`` by
their own task number), ``report`` and ``text_sha``, so ``tagger labels import EXPORT`` can tie each
decision to its paragraph and refuse a text edited in the tool; metadata columns go into the task
data too (a name the tool uses itself gets a ``kept_`` prefix). ``tagger labels import`` and
``python evaluate.py --test`` read the tools' exports (:func:`sniff_format` tells them apart;
``--from`` overrides it) — through :func:`tagger.annotation.labelfiles.import_rows`, the one
validated, atomic, locked import.

Decisions, as read back:

* **Label Studio** (JSON export: ``annotations[].result[].value.choices``; JSON-MIN: the choices under
  the ``labels`` key, a string for one and a ``{"choices": [...]}`` object or a list for several; CSV
  the same as text). An annotation with ``was_cancelled`` (skipped) is no decision; a task with several
  annotations takes the latest one that is not cancelled (``updated_at``, else ``created_at``, else the
  last in the file); a submitted annotation with no choice means "no label"; a task nobody annotated
  is "not reviewed".
* **doccano** (JSONL or JSON export of a text classification project: ``label``, 1.x files ``labels``):
  an empty list means "no label". doccano has no pre-annotations apart from labels, so the exported
  paragraphs come back with the labels they were given unless someone changed them: export from
  doccano with *Export only approved documents*; the import says how many came back unchanged.
* **Prodigy** (``prodigy db-out`` of a ``choice`` task: ``accept`` lists the chosen label ids;
  ``answer`` ``accept`` is a decision, ``reject``/``ignore`` are not reviewed).
* Several decisions on one paragraph: the latest (by the tool's time stamp, else file order) wins.
* Choices are our label ids (Label Studio shows a readable name and stores the id, see
  :func:`labelstudio_config`; the readable name and ``none`` are read too); any other choice is an
  error listing the valid ids.
* Rows without a paragraph id and ``text_sha`` (tasks created in the tool) are refused by the import,
  with the row named; ``--test`` needs only text and labels and scores them too.

The shapes follow the tools' documentation and code:

* Label Studio import with pre-annotations: https://labelstud.io/guide/predictions,
  https://labelstud.io/guide/task_format (``data``; ``predictions[]`` with ``model_version``, ``score``
  and ``result[]`` of ``from_name``/``to_name``/``type``/``value.choices``); the labelling config:
  https://labelstud.io/tags/choices (``choice="multiple"``), https://labelstud.io/tags/choice
  (``alias`` replaces the value in results; ``hotkey``);
  https://api.labelstud.io/api-reference/api-reference/predictions/create (``score``: sorts tasks by
  model confidence, lowest first).
* Label Studio exports: https://labelstud.io/guide/export (JSON, JSON_MIN, CSV; ``was_cancelled``),
  written by label-studio-converter (``label_studio_converter/converter.py``:
  ``annotation_result_from_task``, ``convert_to_json_min``, ``_prettify``; ``exports/csv2.py``).
* doccano: import ``{"text": ..., "label": [...]}`` with other keys kept as the example's metadata
  (``backend/data_import/pipeline/builders.py``, ``readers.py``), written back at the top level of the
  export beside ``id``, ``text`` and ``label`` (``backend/data_export/models.py``,
  ``pipeline/factories.py``); https://doccano.github.io/doccano/tutorial/#import-a-dataset.
* Prodigy: https://prodi.gy/docs/api-interfaces#choice (``options``, ``accept``, ``answer``) and
  ``textcat.manual`` in https://github.com/explosion/prodigy-recipes.

Example:
    >>> item = ExportItem("r:1", "r", "党员为孤寡老人检查线路。", text_sha("党员为孤寡老人检查线路。"), ("elderly_care",), "model")
    >>> task = to_labelstudio([item], "tagger 0.2.0, data 1a2b3c")[0]
    >>> task["data"]["paragraph"], task["predictions"][0]["result"][0]["value"]
    ('r:1', {'choices': ['elderly_care']})
    >>> task["annotations"] = [{"result": [{"from_name": "labels", "to_name": "text", "type": "choices",
    ...                                     "value": {"choices": ["elderly_care", "volunteer_work"]}}]}]
    >>> [(a.id, a.labels) for a in from_labelstudio([("tasks.json, task 1", task)], "tasks.json")]
    [('r:1', ('elderly_care', 'volunteer_work'))]
"""

from __future__ import annotations

import csv
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from functools import cached_property
from itertools import count
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import quoteattr

from ..common.atomic import refuse_an_input
from ..common.cells import is_missing, unguard_cell
from ..common.files import (EMPTY_FILE, CsvDictRows, JsonProblem, cells_beyond_header, check_header,
                            csv_text_start, json_start, load_json, parse_json_lines, quote_after_space_hint,
                            read_text_file, strict_rows,
                            jsonl_line, text_lines, universal_newlines)  # jsonl_line: re-exported
from ..common.terminal import counted, shell_arg
from ..common.xlsx import cut_left_out, date_text, is_cut
from ..data.examples import (AS_READ, IMPORTED_FILE, REVIEWED_SOURCE, SEED_COLUMNS, Example, load_jsonl, text_keys,
                             text_sha)
from ..data.tagged import READERS as TAGGED_READERS
from ..data.tagged import (SUMMARY_ROW_TYPES, StaleDecision, check_columns, checked_kinds, csv_row_place,
                           decimal_point, decision_sha, head_lines, is_paragraph_row, read_csv_rows, stale_decision,
                           stale_decisions_note, tag_columns, tag_shaped, tag_written, warn_unmerged)
from ..data.tagged import where as tagged_where
from ..errors import InputError, LabelFileError, label_file_error, quote_cell
from ..labels import LABEL_NAMES, LABELS, NONE, closest_label, format_label_cell, parse_label_cell, validate_labels
from ..text.report import KINDS, NO_LABEL_KINDS
from .labelfiles import (
    LEGACY_SUGGEST_COLUMNS,
    SUGGEST_COLUMNS,
    ImportResult,
    LabelRow,
    RefusedFile,
    cut_text_error,
    import_csv,
    import_rows,
    raise_errors,
    read_label_csv,
    validate_record,
)

log = logging.getLogger(__name__)

__all__ = ["FORMATS", "FROM_NAME", "TO_NAME", "ExportItem", "ExportSource", "Annotation", "AnnotationFile",
           "choice_value", "labelstudio_config", "model_version", "to_labelstudio", "to_doccano", "jsonl_line",
           "read_export_source", "sniff_format", "from_labelstudio", "from_doccano", "latest", "Chosen", "KEEP_LATEST",
           "read_annotations", "to_label_rows", "to_examples", "import_file", "load_test_file", "read_test_file",
           "config_path"]

FORMATS = ("labelstudio", "doccano", "prodigy", "tagger")
"""Values of ``--from``: the tool that wrote a file (``tagger``: our suggestion CSV or a labelled JSONL)."""

FROM_NAME, TO_NAME = "labels", "text"
"""``name`` of the ``<Choices>`` control and of the ``<Text>`` object in the Label Studio config."""

# Keys of our tasks, and keys the tools write themselves next to the task data (or that tell the formats
# apart): a kept column of such a name gets a prefix.
_RESERVED = {"text", "id", "paragraph", "report", "text_sha", "label_source", "predicted", FROM_NAME, "label",
             "data", "annotations", "predictions", "completions", "meta", "annotator", "annotation_id",
             "created_at", "updated_at", "lead_time", "was_cancelled", "agreement", "Comments",
             "annotation_approver", "answer", "accept", "options", "_input_hash", "_task_hash", "_timestamp"}
_LS_FLAT_MARKERS = ("annotation_id", "annotator", "lead_time")
_DOCCANO_MARKERS = ("annotation_approver", "meta", "Comments")
_TAGGER_MARKERS = ("doc", "index", "kind", "text_sha")  # fields of our label files that doccano never writes
_PRODIGY_MARKERS = ("answer", "_input_hash", "_task_hash")


def choice_value(label: str) -> str:
    """What Label Studio shows for a label: its meaning, then the id (the result stores the id).

    Example:
        >>> choice_value("elderly_care")
        'services for elderly people (elderly_care)'
    """
    return f"{LABEL_NAMES[label]} ({label})"


_BY_NAME = {choice_value(lab): lab for lab in LABELS}


# --------------------------------------------------------------------------- export
@dataclass(frozen=True)
class ExportItem:
    """One paragraph to hand to an annotation tool.

    Attributes:
        id: paragraph id ``<report>:<index>``.
        report: report id.
        text: paragraph text.
        text_sha: :func:`tagger.data.examples.text_sha` of the text.
        labels: labels to start from (pre-annotations); ``None``: none to offer.
        label_source: where ``labels`` come from: ``model``, ``reviewed`` (a reviewer's, in the tagged
            file) or ``label file`` (a person's, in a label file).
        scores: the model's score per label (:data:`tagger.labels.LABELS` order), when known.
        extra: metadata columns carried into the task data.
        where: file and row it was read from, for messages (``""``: not from a file).
    """

    id: str
    report: str
    text: str
    text_sha: str
    labels: tuple[str, ...] | None
    label_source: str
    scores: tuple[float, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    where: str = field(default="", compare=False)


@dataclass
class ExportSource:
    """What :func:`read_export_source` read: the kind of file, its paragraphs, notes to print, and warnings
    (paragraphs left out that a person should see to)."""

    kind: str
    items: list[ExportItem]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_model(self) -> bool:
        """True when some pre-annotations are the model's (their ``model_version`` names the model)."""
        return any(item.label_source == "model" for item in self.items)


def model_version(record: Mapping[str, Any]) -> str:
    """Label Studio's ``model_version`` for a model: the tagger version and training-data hash of its
    :func:`~tagger.model.persistence.provenance` record (a loaded model's, or the one a tagged file keeps) and the
    :func:`~tagger.model.persistence.settings_digest` of its thresholds and scoring settings that ``tagger stats``
    shows, so that two threshold sets of one ``.npz`` (an edited manifest) are two versions (``?``: unknown).

    Example:
        >>> model_version({"tagger_version": "0.2.0", "data_hash": "1a2b3c4d5e6f7a8b9c",
        ...                "thresholds": {"elderly_care": 0.42}, "scoring": {"suppress_plans": True}})
        'tagger 0.2.0, data 1a2b3c4d5e6f, thresholds+scoring 1e0bcebd'
        >>> model_version({"tagger_version": "0.2.0", "data_hash": None})
        'tagger 0.2.0, data ?, thresholds+scoring ?'
    """
    from ..model.persistence import settings_digest

    return (f"tagger {record.get('tagger_version') or '?'}, data {str(record.get('data_hash') or '?')[:12]}, "
            f"thresholds+scoring {settings_digest(dict(record))}")


def config_path(output: str | Path) -> Path:
    """Where the Label Studio labelling config goes beside the tasks file ``output``.

    Example:
        >>> config_path("out/tasks.json").as_posix()
        'out/tasks.label_config.xml'
    """
    output = Path(output)
    return output.with_name(output.stem + ".label_config.xml")


def labelstudio_config() -> str:
    """The labelling config matching :func:`to_labelstudio`: the paragraph as ``$text``, one multiple-choice
    ``<Choices name="labels">`` whose choices show the label's meaning and store its id (``alias``), with
    the review page's hotkeys 1-5. Submitting with nothing chosen means "no label".

    Example:
        >>> print(labelstudio_config().splitlines()[3])
            <Choice value="services for elderly people (elderly_care)" alias="elderly_care" hotkey="1"/>
    """
    choices = "\n".join(f"    <Choice value={quoteattr(choice_value(lab))} alias={quoteattr(lab)} hotkey=\"{k}\"/>"
                        for k, lab in enumerate(LABELS, start=1))
    return (f'<View>\n  <Text name="{TO_NAME}" value="${TO_NAME}"/>\n'
            f'  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="multiple">\n{choices}\n'
            '  </Choices>\n</View>\n')


def _extra(extra: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in extra.items():
        if isinstance(value, float) and not math.isfinite(value):
            value = None  # NaN / inf are not JSON
        name = key
        while name in _RESERVED or name in out:
            name = f"kept_{name}"
        out[name] = value
    return out


def _certainty(items: Sequence[ExportItem], thresholds: Sequence[float] | None) -> list[float | None]:
    """Per item, the model's certainty in (0, 1]: the logistic of
    :func:`tagger.model.uncertainty.margin`, i.e. ``1 / (1 + expected wrong label decisions)``, so sorting
    by it (lowest first) is the review queue's order.
    ``None`` where the labels are not the model's or its scores are unknown."""
    import numpy as np

    from ..model.uncertainty import margin

    out: list[float | None] = [None] * len(items)
    rows = [i for i, item in enumerate(items) if item.label_source == "model" and item.scores is not None]
    if thresholds is None or not rows:
        return out
    values = margin(np.array([items[i].scores for i in rows], dtype=float), thresholds)
    for i, m in zip(rows, values.tolist()):
        out[i] = round(1.0 / (1.0 + math.exp(-m)), 4)
    return out


def _data(item: ExportItem) -> dict[str, Any]:
    return {"text": item.text, "id": item.id, "paragraph": item.id, "report": item.report,
            "text_sha": item.text_sha, "label_source": item.label_source, **_extra(item.extra)}


def to_labelstudio(items: Sequence[ExportItem], version: str,
                   thresholds: Sequence[float] | None = None) -> list[dict[str, Any]]:
    """Label Studio tasks (its JSON import format): ``data`` with the text, ids and metadata, and the
    labels to start from as one prediction of ``version`` (``score``: see :func:`_certainty`).

    Example:
        >>> item = ExportItem("r:1", "r", "公司召开会议。", text_sha("公司召开会议。"), (), "model", (0.1,) * 5)
        >>> to_labelstudio([item], "tagger 0.2.0, data x", [0.5] * 5)[0]["predictions"]
        [{'model_version': 'tagger 0.2.0, data x', 'result': [], 'score': 0.6667}]
    """
    tasks = []
    for n, (item, score) in enumerate(zip(items, _certainty(items, thresholds)), start=1):
        task: dict[str, Any] = {"data": _data(item)}
        if item.labels is not None:
            result = [{"id": f"tagger-{n}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices",
                       "value": {"choices": list(item.labels)}}] if item.labels else []
            prediction: dict[str, Any] = {"model_version": version, "result": result}
            if score is not None:
                prediction["score"] = score
            task["predictions"] = [prediction]
        tasks.append(task)
    return tasks


def to_doccano(items: Sequence[ExportItem]) -> list[dict[str, Any]]:
    """doccano text-classification rows (its JSONL import): ``text``, ``label`` (the labels to start
    from), our ids and metadata (kept by doccano as the example's metadata and exported again), and
    ``predicted``: the labels given, to tell on import which came back unchanged.

    Example:
        >>> item = ExportItem("r:1", "r", "文字。", text_sha("文字。"), ("volunteer_work",), "reviewed")
        >>> to_doccano([item])[0]["label"]
        ['volunteer_work']
    """
    rows = []
    for item in items:
        labels = list(item.labels or ())
        rows.append({"text": item.text, "label": labels, **{k: v for k, v in _data(item).items()
                                                              if k != "text"}, "predicted": labels})
    return rows


# --------------------------------------------------------------------------- reading what to export
def _table(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """``(where, row)`` for every row of a JSONL or CSV file (rows of a CSV are strings)."""
    warn_unmerged(path)  # a tagged file's review decisions still in a journal are not exported
    suffix = path.suffix.lower()
    if suffix in TAGGED_READERS and suffix not in (".jsonl", ".ndjson", ".csv"):
        frame = TAGGED_READERS[suffix](path)  # .parquet, .xlsx, .sqlite: only tagger tag writes these
        return [(tagged_where(path, frame, i), {k: _plain(v) for k, v in row.items()})
                for i, row in zip(frame.index, frame.to_dict("records"))]
    if suffix not in (".jsonl", ".ndjson", ".csv"):
        raise InputError(f"{path}: expected a file written by tagger tag (.jsonl, .csv, .parquet, .xlsx, .sqlite) "
                         "or tagger suggest, or a label file (.jsonl or .csv)")
    if suffix == ".csv":  # the one reader of tagged CSV files: strict quoting, cells and header unguarded
        sheet_rows: dict[int, int] = {}
        _, _, rows, lines = read_csv_rows(path, check=lambda p, columns: check_header(columns, str(p)),
                                          sheet_rows=sheet_rows)
        return [(csv_row_place(path, n, sheet_rows), row) for row, n in zip(rows, lines)]
    text = read_text_file(path, newline="").lstrip("\ufeff")
    rows = []
    for line_no, obj, problem in parse_json_lines(text_lines(text)):  # split as every JSONL reader splits them
        if problem:
            raise InputError(f"{path}:{line_no}: {problem}; one JSON object per line")
        rows.append((f"{path}:{line_no}", obj))
    return rows


def _plain(value: Any) -> Any:
    """A cell of a frame as JSON can hold it: numpy arrays and scalars as Python values, NaN as None, dates
    and times (a date typed into a workbook, a Parquet timestamp) as ISO text.

    Example:
        >>> _plain(datetime(2024, 3, 12, 9, 30)), _plain(float("nan"))
        ('2024-03-12T09:30:00', None)
    """
    if hasattr(value, "tolist"):
        value = value.tolist()
    if is_missing(value):  # NaN, pandas' NA (a nullable column's gap), NaT
        return None
    if isinstance(value, (date, time)):  # datetime and pandas' Timestamp too
        return date_text(value)
    return value


def _cell_labels(value: Any, where: str, column: str, empty_is_none: bool) -> tuple[str, ...] | None:
    """Labels of a tagged file's ``labels``/``reviewed_labels`` cell: a JSON list or a CSV label cell."""
    if value is None:
        return None
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise InputError(f"{where}: {column!r} must list label ids")
        try:
            return validate_labels(value, where)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    if not isinstance(value, str):
        raise InputError(f"{where}: {column!r} must be a list of label ids or a label cell")
    if not value.strip():
        return None if empty_is_none else ()
    try:
        return parse_label_cell(value, where)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _scores(row: Mapping[str, Any], where: str) -> tuple[float, ...] | None:
    cols = [f"score_{lab}" for lab in LABELS]
    if not all(row.get(c) not in (None, "") for c in cols):
        return None
    try:
        values = tuple(float(decimal_point(str(row[c]).lstrip("'"))) for c in cols)
    except ValueError:
        raise InputError(f"{where}: the score_* columns must be numbers") from None
    if not all(0.0 <= v <= 1.0 for v in values):
        raise InputError(f"{where}: a score is outside [0, 1]")
    return values


def _checked(pid: Any, report: Any, text: Any, where: str) -> LabelRow:
    """The ids and text of a paragraph to export, checked as the import will check them."""
    for name, value in (("paragraph id", pid), ("report", report), ("text", text)):
        if not isinstance(value, str):
            raise InputError(f"{where}: the {name} must be text, got {type(value).__name__}")
    try:
        return validate_record({"id": pid, "report": report, "text": text, "text_sha": text_sha(text)}, where)
    except LabelFileError as exc:
        raise InputError(f"cannot export: {exc}") from None


def read_export_source(path: str | Path) -> ExportSource:
    """The paragraphs of a tagged file or a label file, ready for :func:`to_labelstudio` / :func:`to_doccano`.

    * tagged file (``tagger tag`` JSONL/CSV: ``paragraph``, ``text``, ``labels``): reviewed labels when
      present, else the model's; headings and captions are left out (they carry no labels), and so are paragraphs whose
      text a workbook cut at the Excel cell limit (:func:`tagger.common.xlsx.is_cut`; a warning names them);
      summary rows skipped; columns that are not ours become :attr:`ExportItem.extra`;
    * suggestion CSV / ``labels/seeds.csv`` (``id``, ``text``, ``text_sha``, ``labels``): filled labels
      when present, else ``predicted``;
    * labelled JSONL (``text``, ``labels``): the file's labels.

    A text met again is left out (one decision per text: the import refuses the same text twice).

    Raises:
        InputError: naming the file and row (ids that the import could not match back included).
    """
    path = Path(path)
    rows = _table(path)
    if not rows:
        raise InputError(f"{path}: no rows to export")
    if path.suffix.lower() == ".csv":  # a label CSV as a spreadsheet may save it: its header in capitals
        known = set(SUGGEST_COLUMNS) | set(LEGACY_SUGGEST_COLUMNS) | set(SEED_COLUMNS)
        rows = [(where, {(k.lower() if isinstance(k, str) and k.lower() in known else k): v for k, v in row.items()})
                for where, row in rows]
    columns = {k for _, row in rows for k in row}
    if {"paragraph", "text", "labels"} <= columns:
        return _from_tagged(path, rows, columns)
    if {"id", "text", "text_sha", "labels"} <= columns and path.suffix.lower() == ".csv":
        return _from_label_csv(path, rows)
    if {"text", "labels"} <= columns and path.suffix.lower() != ".csv":
        return _from_label_jsonl(path)
    raise InputError(f"{path}: not a tagged file (columns paragraph, text, labels: tagger tag -o FILE) nor a "
                     "label file (id, text, text_sha, labels: tagger suggest; or text, labels in JSONL); "
                     f"columns are {sorted(columns)}")


def _from_tagged(path: Path, rows: list[tuple[str, dict[str, Any]]], columns: set[str]) -> ExportSource:
    """:func:`read_export_source` of a tagged file: its ``rows`` (``columns``: every row's names)."""
    # the columns that are ours (tag_columns: left_out only in a --summary file; .xlsx: a 0/1 column per label,
    # derived from labels); every other one was kept from the input and goes into the task
    ours = {*tag_columns(columns), *LABELS}
    items: list[ExportItem] = []
    no_label = dict.fromkeys(NO_LABEL_KINDS, 0)  # left out, counted by kind
    cut: list[str] = []
    stale: list[StaleDecision] = []  # decisions made on another text than the row holds: the model's labels go
    errors: list[str] = []
    import pandas as pd

    # the kind cells under the one rule of every reader of tagged files (Body, ' HEADING ', empty: body; foo refused)
    kinds = checked_kinds(pd.Series([row.get("kind") for _, row in rows], dtype=object), lambda i: rows[i][0])
    for (where, row), kind in zip(rows, kinds.tolist()):
        if not is_paragraph_row(row, where):  # a summary row; an unknown row_type is an error
            continue
        if kind in no_label:
            no_label[kind] += 1
            continue
        if is_cut(row.get("text")):
            cut.append(f"{where} ({row.get('paragraph')})")
            continue
        try:
            checked = _checked(row.get("paragraph"), row.get("report"), row.get("text"), where)
            model = _cell_labels(row.get("labels"), where, "labels", empty_is_none=False) or ()
            reviewed = _cell_labels(row.get("reviewed_labels"), where, "reviewed_labels", empty_is_none=True)
            sha = decision_sha(row.get("reviewed_sha"), where)
            decision = stale_decision(checked.id, reviewed, sha, checked.text, where, row.get("reviewed_by"),
                                      row.get("reviewed_at"))
            if decision is not None:  # the text was edited since
                stale.append(decision)
                reviewed = None
            extra = {k: v for k, v in row.items() if k not in ours}
            items.append(ExportItem(checked.id, checked.doc, checked.text, checked.text_sha,
                                    reviewed if reviewed is not None else model,
                                    "reviewed" if reviewed is not None else "model", _scores(row, where), extra,
                                    where))
        except InputError as exc:
            errors.append(str(exc))
    _raise_input(path, errors)
    kinds = [kind for kind, n in no_label.items() if n]
    left = " and ".join(f"{no_label[kind]} {kind}(s)" for kind in kinds)
    notes = [f"left out {left}: {'they' if len(kinds) > 1 else kinds[0] + 's'} carry no labels (codebook)"] \
        if kinds else []
    warnings = [cut_left_out(cut)] if cut else []
    if stale:
        warnings.append(stale_decisions_note(path, stale, "exported with the model's labels instead"))
    return ExportSource("tagged", _unique(path, items, notes, _two_reports), notes, warnings)


def _from_label_csv(path: Path, rows: list[tuple[str, dict[str, Any]]]) -> ExportSource:
    items: list[ExportItem] = []
    errors: list[str] = []
    known = set(SUGGEST_COLUMNS) | set(LEGACY_SUGGEST_COLUMNS) | set(SEED_COLUMNS)
    for where, row in rows:
        try:
            checked = validate_record(row, where)
        except LabelFileError as exc:
            errors.append(f"cannot export: {exc}")
            continue
        try:
            predicted = _cell_labels(row.get("predicted"), where, "predicted", empty_is_none=True)
            scores = _scores(row, where)
        except InputError as exc:
            errors.append(str(exc))
            continue
        if checked.labels is not None:
            labels, source = checked.labels, "label file"
        elif predicted is not None:
            labels, source = predicted, "model"
        else:
            labels, source = None, "none"
        items.append(ExportItem(checked.id, checked.doc, checked.text, checked.text_sha, labels, source, scores,
                                {k: v for k, v in row.items() if k not in known}, where))
    _raise_input(path, errors)
    notes: list[str] = []
    return ExportSource("label file", _unique(path, items, notes, lambda report: "give one of the two rows another id"),
                        notes)


_PARAGRAPH_ID = re.compile(r".+:\d+")


def _from_label_jsonl(path: Path) -> ExportSource:
    try:
        examples = load_jsonl(path, source="label file")
    except LabelFileError as exc:
        raise InputError(str(exc)) from None
    items: list[ExportItem] = []
    errors: list[str] = []
    numbered: dict[str, Iterator[int]] = {}  # a report given by "doc" without "index": its rows numbered in file order
    if examples and all(ex.doc == ex.id and not _PARAGRAPH_ID.fullmatch(ex.id) for ex in examples):
        raise InputError(f"{path}: its ids (e.g. {examples[0].id!r}) are not '<report>:<paragraph index>' and its rows "
                         "name no report (doc): loose paragraphs, such as authored training text, not paragraphs of "
                         "reports; labels export takes a filled suggestion CSV, labels/imported.jsonl, or a label file "
                         "whose rows give doc (and index)")
    for ex in examples:
        where = f"{path}, paragraph {ex.id}"
        pid = ex.id
        if ex.doc != ex.id and ex.id.rpartition(":")[0] != ex.doc:  # the row's "doc" names its report: keep it
            # every row of a report has its index, or none has (load_jsonl refuses the rest)
            pid = f"{ex.doc}:{ex.index if ex.index >= 0 else next(numbered.setdefault(ex.doc, count()))}"
        try:
            checked = _checked(pid, pid.rpartition(":")[0], ex.text, where)
        except InputError as exc:
            errors.append(str(exc))
            continue
        items.append(ExportItem(checked.id, checked.doc, checked.text, checked.text_sha, ex.labels, "label file",
                                where=where))
    _raise_input(path, errors)
    notes: list[str] = []
    return ExportSource("label file", _unique(path, items, notes, _numbered_twice), notes)


def _two_reports(report: str) -> str:
    return f"two input reports had the report id {report!r}; give them distinct ids in the input and tag it again"


def _numbered_twice(report: str) -> str:
    return (f"a row of report {report!r} without an \"index\" is numbered by its place among the report's rows "
            f"({report}:0, {report}:1 …), and another row's id names the same paragraph: give each row of the report "
            "its \"index\", or that row another id")


def _unique(path: Path, items: list[ExportItem], notes: list[str], fix: Callable[[str], str]) -> list[ExportItem]:
    """``items`` without repeated texts (one decision per text: the import refuses a text twice, and a copy in the other
    script or with full-width letters, one text as the model reads it: :func:`~tagger.data.examples.text_keys`), ids
    unique; ``fix(report)``: what to do about an id given twice, as the input's kind allows.

    Raises:
        InputError: an id given to two paragraphs of different texts, each named with its row.
    """
    ids: dict[str, ExportItem] = {}
    texts: set[str] = set()
    out, errors = [], []
    for item, key in zip(items, text_keys(items)):
        first = ids.setdefault(item.id, item)
        if first.text_sha != item.text_sha:  # the same paragraph again (a report given twice) is a repeated text
            errors.append(f"{item.where or path}: paragraph id {item.id} appears twice, with another text (first at "
                          f"{first.where or '?'}); ids must be unique to be matched back: {fix(item.report)}")
        if key not in texts:
            out.append(item)
        texts.add(key)
    _raise_input(path, errors)
    if len(out) < len(items):
        notes.append(f"left out {len(items) - len(out)} repeated paragraph(s): same text as one exported before, "
                     f"{AS_READ}")
    return out


def _raise_input(path: Path, errors: list[str]) -> None:
    try:
        raise_errors(path, errors)
    except LabelFileError as exc:
        raise InputError(str(exc.for_command("export") if isinstance(exc, RefusedFile) else exc)) from None


# --------------------------------------------------------------------------- reading exports
@dataclass(frozen=True)
class Annotation:
    """One decision read from an annotation tool's export.

    Attributes:
        where: file and task/row/line, for messages.
        text: the paragraph text as the tool has it.
        labels: label ids (``()``: no label), or ``None``: not reviewed (skipped, rejected, not annotated).
        id, report, text_sha: what :func:`to_labelstudio` / :func:`to_doccano` put into the task (``None``
            for a task created in the tool).
        key: paragraphs with the same key are one paragraph (:func:`latest` picks their decision).
        stamp: when the decision was made (seconds since 1970), if the tool says.
        order: position in the file.
        predicted: labels tagger gave the paragraph (doccano), to count those that came back unchanged.
        by: who decided, as the tool names them (Label Studio's ``completed_by`` / ``annotator``: ``user 3`` or
            an e-mail; Prodigy's ``_annotator_id``, else ``_session_id``), ``None`` where it does not say.
        settled: Label Studio's ground truth mark: the decision a project settled on among its annotators'.
        session: ``by`` names a session (Prodigy's), not a person: the server's start time in older Prodigy,
            ``<dataset>-default`` in newer, ``<dataset>-<name>`` for a named session — one person revising in a
            later session (or dataset, after ``prodigy db-merge``) is another session.
    """

    where: str
    text: str
    labels: tuple[str, ...] | None
    id: str | None = None
    report: str | None = None
    text_sha: str | None = None
    key: Any = None
    stamp: float | None = None
    order: tuple[int, int] = (0, 0)
    predicted: tuple[str, ...] | None = None
    by: str | None = None
    settled: bool = False
    session: bool = False


@dataclass
class AnnotationFile:
    """What :func:`read_annotations` read: the tool, the decisions (one per paragraph: :func:`latest`), notes to
    print, and what to do about the problems its reader returned (:data:`CONFLICT_ADVICE` when annotators
    disagree)."""

    format: str
    annotations: list[Annotation]
    notes: list[str] = field(default_factory=list)
    advice: str = ""


def _first_json_value(text: str, name: object) -> Any:
    """The first element of a JSON list (parsed alone; the rest is not read here); ``None`` when it is not
    valid JSON.

    Raises:
        LabelFileError: JSON too deep or with a number too long to read (:func:`_unreadable_json`)."""
    body = text.lstrip()[1:].lstrip()
    if not body or body.startswith("]"):
        return None
    try:
        return load_json(body, first=True)
    except JsonProblem as exc:
        return _unreadable_json(exc, name)


def _unreadable_json(exc: JsonProblem, name: object) -> None:
    """``None`` for JSON with a syntax error (not told from another format here: ``cannot tell which tool``, or
    its reader says where); JSON nested too deeply or with a number too long for Python is JSON no reader can
    read: :class:`LabelFileError` naming the file, as :func:`_json_records` would."""
    if exc.lineno is None:
        raise LabelFileError(f"{name}: {exc.located()}") from None
    return None


def _kind_of(obj: Any, listed: bool = False) -> str | None:
    """Which tool wrote a file by its first record ``obj`` (``listed``: an item of a JSON list, not a JSON line): the
    tools' own keys as they write them; our files' (``text``, ``labels``, ``report``, …) in any case, as their readers
    read them (:func:`_json_table_rows`). A ``labels`` row with a ``report`` or ``paragraph`` is a JSON line of ours
    whatever its ``id`` (a table of labelled paragraphs made by hand may number its rows); in a JSON list (never a
    file of ours) a numeric ``id`` makes it doccano's, as a doccano 1.x export's.

    Example:
        >>> _kind_of({"Text": "a", "Labels": "none", "Report": "r"}), _kind_of({"id": 1, "report": "r", "labels": []})
        ('tagger', 'tagger')
        >>> _kind_of({"id": 1, "report": "r", "text": "a", "labels": []}, listed=True)
        'doccano'
    """
    if not isinstance(obj, Mapping):
        return None
    if isinstance(obj.get("data"), Mapping) or "annotations" in obj and "predictions" in obj:
        return "labelstudio"
    if any(k in obj for k in _LS_FLAT_MARKERS):
        return "labelstudio"
    if isinstance(obj.get("labels"), Mapping) and "choices" in obj["labels"]:  # JSON-MIN's several choices
        return "labelstudio"
    if any(k in obj for k in _PRODIGY_MARKERS):
        return "prodigy"
    if "label" in obj or "annotations" in obj:
        return "doccano"
    keys = {k.strip().lower() for k in obj if isinstance(k, str)}
    if "labels" in keys:
        if any(k in obj for k in _DOCCANO_MARKERS):
            return "doccano"
        if "labels" not in obj or any(k in keys for k in _TAGGER_MARKERS):  # "Labels": no tool writes it
            return "tagger"  # our label file's fields: a numeric id does not make it doccano's
        if not listed and keys & {"report", "paragraph"}:  # JSON lines of labelled paragraphs naming their reports
            return "tagger"
        return "doccano" if isinstance(obj.get("id"), int) else "tagger"
    return None


_EMPTY_LIST = re.compile(r"\[\s*\]\s*")


def _no_tasks(name: object) -> LabelFileError:
    """The error for an export that is an empty JSON list (whichever tool wrote it)."""
    return RefusedFile(f"{name}: the export holds no tasks (an empty JSON list): ",
                       "; annotate (submit) tasks in the tool, then export again", "to")


class _CsvHead(NamedTuple):
    """The head of a CSV held as text (:func:`_csv_head`)."""

    names: list[str]  #: the header's column names, as read (white space at their ends dropped, unguarded)
    first: dict[str, str] | None  #: the first row under it that is not blank, cells by lower-case name (or None)


def _csv_head(text: str, name: str | Path) -> _CsvHead:
    """The header of a CSV (or TSV) file held as ``text`` and its first row, read as its rows' readers read them
    (:func:`_csv_rows`, :func:`tagger.annotation.labelfiles.read_label_csv`): the delimiter by the file ``name``'s
    extension and the first line (:func:`~tagger.common.files.csv_text_delimiter`), the header from the file's first
    line on (:func:`~tagger.common.files.csv_header`: a quoted name may hold a line break; a blank first line is a
    header naming no column), the first row by :class:`~tagger.common.files.CsvDictRows`. The one reading of a CSV's
    header of format detection (:class:`_Head`) and of the readers here, from lines that are slices of ``text``
    (:func:`~tagger.common.files.csv_text_lines`: the text is not copied). A malformed header names no column (its
    reader says why); a malformed first row is ``None``.

    Example:
        >>> _csv_head('Text,labels,"备\\n注"\\n\\n老人。,elderly_care,x\\n', "a.csv")
        _CsvHead(names=['Text', 'labels', '备\\n注'], first={'text': '老人。', 'labels': 'elderly_care', '备\\n注': 'x'})
        >>> _csv_head("\\ntext,labels\\n", "a.csv").names
        []
    """
    try:
        delimiter, (names, header_lines, spaced), lines = csv_text_start(text.lstrip("\ufeff"), name)
    except InputError:
        return _NO_CSV
    names = [unguard_cell(n) for n in names]
    rows = CsvDictRows(lines, [n.lower() for n in names], delimiter, spaced, start=header_lines)
    try:
        first = next((row for row in rows if any((v or "").strip() for k, v in row.items() if k is not None)), None)
    except csv.Error:
        first = None
    if first is not None:
        first = {k: (v or "").strip() for k, v in first.items() if isinstance(k, str)}
    return _CsvHead(names, first)


class _Head:
    """What a labelled file's ``text`` (a whole file, decoded, or its head) is told by, each part read once, when
    first asked for, and passed on with the file: the one JSON sniff (:attr:`opens`) and the one reading of a CSV's
    header (:func:`_csv_head`) or of a JSONL file's first lines (:func:`_json_head`) of :func:`sniff_format`,
    :func:`_tagger_kind` and the readers here. ``name``: the file's (a CSV's delimiter is told by its extension too;
    messages name it). The text and name are kept (:attr:`text`, :attr:`name`): what a head is told from goes with it.

    Example:
        >>> head = _Head('\\ufeff {"text": "a", "labels": []}\\n', "a.jsonl")
        >>> head.opens, head.rows, head.csv
        ('{', [{'text': 'a', 'labels': []}], _CsvHead(names=[], first=None))
        >>> _Head("Text,Labels\\n", "a.csv").header == {"text", "labels"}, _Head(" \\n", "a.csv").opens
        (True, '')
    """

    def __init__(self, text: str, name: str | Path) -> None:
        #: the text told by this head, and the file's name
        self.text, self.name = text, name
        #: its first character that is no white space or byte-order mark (:func:`_opens`): ``{`` JSON lines, ``[`` a
        #: JSON list, else a CSV (``""``: none, an empty text)
        self.opens = _opens(text)

    @cached_property
    def csv(self) -> _CsvHead:
        """A CSV's header and first row (:func:`_csv_head`)."""
        return _NO_CSV if self.opens in ("{", "[") else _csv_head(self.text, self.name)

    @cached_property
    def rows(self) -> list[dict]:
        """JSON lines: the objects of its first lines (:func:`_json_head`; lines that are none left out)."""
        return ([obj for _, obj, problem in _json_head(self.text.lstrip("\ufeff")) if not problem]
                if self.opens == "{" else [])

    @property
    def header(self) -> set[str]:
        """A CSV's column names, in lower case."""
        return {h.lower() for h in self.csv.names}


_NO_CSV = _CsvHead([], None)


def _opens(text: str) -> str:
    """The first character of ``text`` (a file's, decoded) that is no white space or byte-order mark, found without
    copying the text (``""``: none): ``{`` JSON lines, ``[`` a JSON list, else a CSV. The one JSON sniff here.

    Example:
        >>> _opens("\\ufeff \\r\\n{}"), _opens("  "), _opens("text,labels")
        ('{', '', 't')
    """
    start = json_start(text)  # the white space load_json reads as such: one rule
    return text[start:start + 1]


def sniff_format(text: str, name: str = "<file>") -> str:
    """Which tool wrote ``text`` (a whole file, decoded): one of :data:`FORMATS`.

    A JSON list of tasks with ``data``, or of flat rows with ``annotation_id``, is Label Studio's (JSON /
    JSON-MIN); so is a CSV with an ``annotation_id`` or ``lead_time`` column. JSONL lines with ``answer``
    are Prodigy's, with ``label`` doccano's; ``{"text", "labels"}`` lines are ours (doccano 1.x files also
    have ``meta`` or a numeric ``id`` — but a line with our ``doc``, ``index``, ``kind`` or ``text_sha`` is ours
    whatever its ``id``), and so is a CSV with ``text`` and ``labels`` columns (the suggestion CSV, a CSV
    ``tagger tag`` wrote, or a table of labelled paragraphs made by hand).

    Raises:
        LabelFileError: an empty file, an empty JSON list (an export without tasks, as Label Studio writes
            when none was annotated), or a file none of them wrote (pass ``--from``).

    Example:
        >>> sniff_format('[{"data": {"text": "a"}, "annotations": []}]'), sniff_format('{"text": "a", "label": []}')
        ('labelstudio', 'doccano')
        >>> sniff_format('{"text": "a", "accept": [], "answer": "accept"}')
        'prodigy'
        >>> sniff_format('{"text": "a", "labels": []}'), sniff_format('{"id": 0, "doc": "d", "text": "a", "labels": []}')
        ('tagger', 'tagger')
    """
    return _sniff(_Head(text, name))


def _sniff(head: _Head) -> str:
    """:func:`sniff_format` of the text ``head`` (:class:`_Head`) is of, told by it."""
    text, name = head.text, str(head.name)
    if not head.opens:
        raise LabelFileError(f"{name}: {EMPTY_FILE}")
    found: str | None = None
    header = head.header  # from line 1, as the readers read it (a blank line 1 names no column)
    body = text[json_start(text):] if head.opens in ("{", "[") else ""  # a JSON text (white space as _opens skips)
    if head.opens == "[":
        if _EMPTY_LIST.fullmatch(body):
            raise _no_tasks(name)
        found = _kind_of(_first_json_value(body, name), listed=True)
    elif head.opens == "{":
        if head.rows:
            found = _kind_of(head.rows[0])
        if found is None:
            try:
                whole = load_json(body)
            except JsonProblem as exc:
                whole = _unreadable_json(exc, name)
            found = _kind_of(whole)
    elif header & {"annotation_id", "lead_time"}:
        found = "labelstudio"
    elif {"text", "labels"} <= header:
        found = "tagger"  # a label CSV, a CSV tagger tag wrote or a hand-made one (told apart by _tagger_kind)
    if found is None:
        table = ""
        if head.opens not in ("{", "["):
            missing = [c for c in ("text", "labels") if c not in header]
            doccano = _doccano_csv(header)
            blank = "its first line, the header, names no column: " if not header else ""
            table = doccano or (f"; {f'this one has no {missing[0]} column: ' if len(missing) == 1 else ''}{blank}"
                                f"{_TABLE_NEEDS}")
        raise LabelFileError(f"{name}: cannot tell which tool wrote this file; expected an export of Label Studio "
                             "(JSON, JSON-MIN or CSV), doccano (JSONL) or Prodigy (db-out JSONL), or tagger's own "
                             f"CSV/JSONL{table}; pass --from labelstudio|doccano|prodigy|tagger")
    return found


_SNIFF_CHARS = 1 << 22
"""The characters of a JSONL file's start whose lines :func:`sniff_format` reads (twenty lines of paragraphs)."""


def _json_head(text: str) -> list[tuple[int, dict | None, str | None]]:
    """The first lines of JSON lines ``text`` (a file's, decoded, or its head), parsed
    (:func:`~tagger.common.files.parse_json_lines`): the one reading of a JSONL file's head that tells what it is
    (:class:`_Head`). Lines are split at any line break, lone CRs too: a file saved with
    them is told as what it is (its reader then refuses it, saying how its lines end); the lines of
    :func:`tagger.data.tagged.head_lines`, blank ones left out; only its first :data:`_SNIFF_CHARS` are copied.

    Example:
        >>> [obj for _, obj, _ in _json_head('{"a": 1}\\r{"b": 2}\\r')]
        [{'a': 1}, {'b': 2}]
    """
    return list(parse_json_lines(head_lines(universal_newlines(text[:_SNIFF_CHARS]))))

_TOOL_FILES = {"labelstudio": "a Label Studio export", "doccano": "a doccano export", "prodigy": "a Prodigy db-out file",
              "tagger": "a file of tagger's own (a labelled JSONL or CSV, or a file tagger tag wrote)"}
"""What a file of each of :data:`FORMATS` is called in messages."""
_TAGGER_FILES = {"jsonl": "a labelled JSONL file of tagger's own", "csv": "the CSV tagger suggest wrote",
                 "tagged": "a file tagger tag wrote",
                 "table": "a table of labelled paragraphs made by hand (text and labels, to score with python "
                          "evaluate.py --test)"}
"""What each kind of file ``--from tagger`` reads (:func:`_tagger_kind`) is called in messages."""


def _looks_like(head: _Head, fmt: str) -> str:
    """``"; this looks like <a tool's file>: drop --from or use --from <it>"`` when the content of a file read as
    ``--from fmt`` says another tool wrote it (:func:`sniff_format`); else, for a CSV with a doccano CSV export's
    header, that such a file is not read (:func:`_doccano_csv`, as when the format is told from the content); else
    ``""``: the hint for a file that did not read as the format given. ``head``: the file's (:class:`_Head`: its
    text and name).

    Example:
        >>> _looks_like(_Head('[{"data": {"text": "a"}, "annotations": []}]', "x.json"), "doccano")
        '; this looks like a Label Studio export: drop --from or use --from labelstudio'
        >>> _looks_like(_Head('{"text": "a", "label": []}', "x.jsonl"), "doccano")
        ''
        >>> _looks_like(_Head('id,text,label\\n1,a,b\\n', "x.csv"), "doccano")[:46]
        '; a doccano CSV export (id,text,label) is not '
    """
    try:
        seen: str | None = _sniff(head)
    except LabelFileError:
        seen = None
    if seen is not None and seen != fmt:
        what = _TAGGER_FILES[_tagger_kind(head)] if seen == "tagger" else _TOOL_FILES[seen]
        return f"; this looks like {what}: drop --from or use --from {seen}"
    return "" if head.opens in ("{", "[") else _doccano_csv(head.header)


def _stamp(value: Any) -> float | None:
    """Seconds since 1970 of a time stamp (ISO text, or a number as Prodigy's ``_timestamp``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


def _annotator(value: Any) -> str | None:
    """Who made a decision, as a tool's export names them: Label Studio's user id (``completed_by``, or
    ``annotator`` in JSON-MIN / CSV) as ``user <id>``, its user object by e-mail (else its id), a name or e-mail as
    written (Prodigy's ``_annotator_id``); ``None`` where the export does not say.

    Example:
        >>> _annotator(3), _annotator("3"), _annotator({"id": 3, "email": "ana@example.org"}), _annotator(""), _annotator(None)
        ('user 3', 'user 3', 'ana@example.org', None, None)
        >>> _annotator("ner_news-alice")
        'ner_news-alice'
    """
    if isinstance(value, Mapping):
        return _annotator(value.get("email") or value.get("username")) or _annotator(value.get("id"))
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) or isinstance(value, float) and value.is_integer():
        return f"user {int(value)}"
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return f"user {text}" if text.isascii() and text.isdigit() else text
    return None


def _labels_from_choices(values: Sequence[Any], where: str, what: str = "choice") -> tuple[str, ...]:
    """Label ids of the chosen values: ids, the readable names of :func:`choice_value`, or ``none`` alone."""
    ids: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ValueError(f"{where}: a {what} must be text, got {type(value).__name__} {value!r}")
        name = value.strip()
        lab = name if name in LABELS else _BY_NAME.get(name) or name.lower()
        if lab not in LABELS and lab != NONE:
            close = closest_label(name)
            raise ValueError(f"{where}: unknown {what} {value!r}" + (f" (did you mean {close!r}?)" if close else "")
                             + f"; valid label ids: {', '.join(LABELS)} (or {NONE} alone for no label)")
        if lab not in ids:
            ids.append(lab)
    if NONE in ids:
        if len(ids) > 1:
            raise ValueError(f"{where}: {NONE!r} together with labels {ids}; choose labels or {NONE}")
        return ()
    return validate_labels(ids, where)


def _ids(obj: Mapping[str, Any], where: str) -> tuple[str | None, str | None, str | None]:
    """Our ``(paragraph id, report, text_sha)`` in a task's data (``None`` each when absent)."""
    def text(key: str) -> str | None:
        value = obj.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise ValueError(f"{where}: {key!r} must be text, got {type(value).__name__} {value!r}")
        return value

    pid = text("paragraph")
    if pid is None and isinstance(obj.get("id"), str) and ":" in obj["id"]:
        pid = obj["id"]
    return pid, text("report"), text("text_sha")


def _text(obj: Mapping[str, Any], where: str, key: str = "text") -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{where}: {key!r} is missing or not text" + ("" if value is None else
                                                                        f" ({type(value).__name__})"))
    if not value.strip():
        raise ValueError(f"{where}: {key!r} is empty")
    return value


def _ls_result(result: Any, where: str) -> tuple[str, ...]:
    if not isinstance(result, list):
        raise ValueError(f"{where}: \"result\" must be a list (Label Studio's JSON export)")
    choices: list[Any] = []
    elsewhere: list[str] = []
    for j, item in enumerate(result, start=1):
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}, result {j}: expected an object, got {type(item).__name__}")
        value = item.get("value")
        if item.get("from_name") != FROM_NAME:
            if isinstance(value, Mapping) and "choices" in value:
                elsewhere.append(str(item.get("from_name")))
            continue
        if not isinstance(value, Mapping) or not isinstance(value.get("choices"), list):
            raise ValueError(f"{where}, result {j}: \"value\" must hold a \"choices\" list")
        choices += value["choices"]
    if elsewhere and not choices:
        raise ValueError(f"{where}: choices under {sorted(set(elsewhere))}, none under {FROM_NAME!r}; use the "
                         "labelling config tagger labels export wrote (<Choices name=\"labels\" ...>)")
    return _labels_from_choices(choices, where)


def _min_choices(value: Any, where: str) -> tuple[str, ...]:
    """JSON-MIN / CSV: one choice as a string, several as ``{"choices": [...]}``, or a list of either."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            value = load_json(value)
        except JsonProblem as exc:
            raise ValueError(f"{where}: the {FROM_NAME!r} cell is {exc}") from None
    parts = value if isinstance(value, list) else [value]
    choices: list[Any] = []
    for part in parts:
        if isinstance(part, Mapping):
            if not isinstance(part.get("choices"), list):
                raise ValueError(f"{where}: {FROM_NAME!r} holds an object without a \"choices\" list")
            choices += part["choices"]
        else:
            choices.append(part)
    return _labels_from_choices(choices, where)


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"))


def _collect(parse, records: Iterable[tuple[str, Any]]) -> tuple[list[Annotation], list[str]]:
    """Run ``parse(where, obj, order)`` over ``records``: the annotations, and every problem (not only the
    first)."""
    out: list[Annotation] = []
    errors: list[str] = []
    for order, (where, obj) in enumerate(records):
        try:
            if not isinstance(obj, Mapping):
                raise ValueError(f"{where}: expected a JSON object, got {type(obj).__name__}")
            out += parse(where, obj, order)
        except ValueError as exc:
            errors.append(str(exc))
    return out, errors


def from_labelstudio(records: Iterable[tuple[str, Any]], source: str) -> list[Annotation]:
    """Decisions in a Label Studio export: tasks of its JSON export, or the flat rows of JSON-MIN / CSV.

    ``records`` are ``(where, task or row)`` pairs. One :class:`Annotation` per annotation (per row for
    JSON-MIN / CSV; a task nobody annotated gives one that is not reviewed); :func:`latest` picks one per
    paragraph.

    Raises:
        LabelFileError: listing every malformed task with its position.
    """
    out, errors = _collect(_ls_record, records)
    raise_errors(source, errors)
    return out


def _ls_record(where: str, task: Mapping[str, Any], order: int) -> list[Annotation]:
    if "data" in task or "annotations" in task or "completions" in task:
        return _ls_task(where, task, order)
    return [_ls_flat(where, task, order)]


def _ls_task(where: str, task: Mapping[str, Any], order: int) -> list[Annotation]:
    data = task.get("data")
    if task.get("id") is not None:
        where = f"{where} (Label Studio id {task['id']})"
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: no \"data\" object; expected a task of Label Studio's JSON export")
    text = _text(data, where, TO_NAME)
    pid, report, sha = _ids(data, where)
    key = pid or ("task", task.get("id") if task.get("id") is not None else order)
    annotations = task.get("annotations", task.get("completions")) or []
    if not isinstance(annotations, list):
        raise ValueError(f"{where}: \"annotations\" must be a list")
    out = []
    for k, ann in enumerate(annotations):
        w = f"{where}, annotation {k + 1}"
        if not isinstance(ann, Mapping):
            raise ValueError(f"{w}: expected an object, got {type(ann).__name__}")
        cancelled = _truthy(ann.get("was_cancelled")) or _truthy(ann.get("skipped"))
        labels = None if cancelled else _ls_result(ann.get("result"), w)
        out.append(Annotation(w, text, labels, pid, report, sha, key,
                              _stamp(ann.get("updated_at") or ann.get("created_at")), (order, k),
                              by=_annotator(ann.get("completed_by")), settled=_truthy(ann.get("ground_truth"))))
    return out or [Annotation(where, text, None, pid, report, sha, key, None, (order, -1))]


def _ls_flat(where: str, row: Mapping[str, Any], order: int) -> Annotation:
    text = _text(row, where, TO_NAME)
    pid, report, sha = _ids(row, where)
    raw = row.get(FROM_NAME)
    if _truthy(row.get("was_cancelled")):
        labels = None
    elif raw not in (None, ""):
        labels = _min_choices(raw, where)
    elif row.get("annotation_id") not in (None, ""):
        labels = ()  # submitted with nothing chosen
    else:
        labels = None  # a task nobody annotated
    key = pid or ("task", row.get("id") if row.get("id") not in (None, "") else order)
    return Annotation(where, text, labels, pid, report, sha, key,
                      _stamp(row.get("updated_at") or row.get("created_at")), (order, 0),
                      by=_annotator(row.get("annotator")))


def from_doccano(records: Iterable[tuple[str, Any]], source: str) -> list[Annotation]:
    """Decisions in a doccano export of a text classification project (``text``, ``label`` list — 1.x:
    ``labels`` — and our ids kept as metadata). An empty list means "no label".

    Raises:
        LabelFileError: listing every malformed row (numeric label ids or spans included).
    """
    out, errors = _collect(_doccano_record, records)
    raise_errors(source, errors)
    return out


def _doccano_record(where: str, obj: Mapping[str, Any], order: int) -> list[Annotation]:
    text = _text(obj, where)
    if "label" in obj:
        raw = obj["label"]
    elif "labels" in obj:
        raw = obj["labels"]
    elif "annotations" in obj:
        raise ValueError(f"{where}: labels given as doccano's numeric label ids (\"annotations\"); export the "
                         "project again as JSONL, which names the labels")
    else:
        raise ValueError(f"{where}: no \"label\" list; expected doccano's JSONL export of a text classification "
                         "project")
    raw = [raw] if isinstance(raw, str) else raw
    if not isinstance(raw, list):
        raise ValueError(f"{where}: \"label\" must be a list of label names, got {type(raw).__name__}")
    if any(isinstance(x, list) for x in raw):
        raise ValueError(f"{where}: \"label\" holds spans [start, end, label]: a sequence labelling project; "
                         "export paragraphs to a text classification project")
    labels = _labels_from_choices(raw, where, "label")
    pid, report, sha = _ids(obj, where)
    predicted = obj.get("predicted")
    predicted = (_labels_from_choices(predicted, where, "label") if isinstance(predicted, list) and
                 obj.get("label_source") == "model" else None)
    key = pid or (("doccano", obj["id"]) if isinstance(obj.get("id"), int) else None)
    return [Annotation(where, text, labels, pid, report, sha, key, None, (order, 0), predicted)]


def _prodigy_record(where: str, obj: Mapping[str, Any], order: int) -> list[Annotation]:
    """A line of a ``prodigy db-out`` file of a ``choice`` task: ``accept`` lists the chosen ids when ``answer`` is
    ``accept``; ``reject`` and ``ignore`` are not reviewed. Our ids may sit at the top level or under ``meta``."""
    text = _text(obj, where)
    answer = obj.get("answer")
    if answer not in ("accept", "reject", "ignore"):
        raise ValueError(f"{where}: \"answer\" is {answer!r}, expected accept, reject or ignore (an annotated "
                         "example: prodigy db-out DATASET)")
    labels: tuple[str, ...] | None = None
    if answer == "accept":
        if "accept" in obj:
            if not isinstance(obj["accept"], list):
                raise ValueError(f"{where}: \"accept\" must be a list of the chosen option ids")
            labels = _labels_from_choices(obj["accept"], where, "option")
        elif "label" in obj:
            raise ValueError(f"{where}: a binary decision on one label ({obj['label']!r}) does not give the "
                             "paragraph's labels; annotate with the choice interface (all five labels as options, "
                             "several allowed), so that \"accept\" lists them")
        else:
            raise ValueError(f"{where}: no \"accept\" list (the options chosen)")
    meta = obj.get("meta") if isinstance(obj.get("meta"), Mapping) else {}
    pid, report, sha = _ids(obj, where)
    mpid, mreport, msha = _ids(meta, where)
    pid, report, sha = pid or mpid, report or mreport, sha or msha
    key = pid or (("input", obj["_input_hash"]) if "_input_hash" in obj else None)
    by = _annotator(obj.get("_annotator_id")) or _annotator(obj.get("_session_id"))
    return [Annotation(where, text, labels, pid, report, sha, key, _stamp(obj.get("_timestamp")), (order, 0), by=by,
                       session=True)]


def _alike(a: str, b: str) -> bool:
    """Whether two texts are one paragraph told a little otherwise (most characters in common, in order): an export
    made after the reader changed, say — not two reports' paragraphs that happen to share an id.

    Example:
        >>> _alike("党员为孤寡老人检查线路。", "党员为孤寡老人检查线路"), _alike("党员为孤寡老人检查线路。", "企业接电时间压缩至15天。")
        (True, False)
    """
    import difflib

    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.6


def _shared_ids(annotations: Sequence[Annotation]) -> list[str]:
    """Problems: paragraph ids given to two different texts in one export (two batches of one project whose reports
    had one id) — they are not several decisions on one paragraph, and keeping the latest would drop the other.

    Example:
        >>> a = Annotation("t, 1", "老人", ("elderly_care",), id="r:1", key="r:1")
        >>> b = Annotation("t, 7", "企业", ("business_connection_speed",), id="r:1", key="r:1")
        >>> _shared_ids([a, b])
        ["t, 1 and t, 7: two different paragraphs have the id 'r:1' (two batches whose reports had one id?): one would be lost; give each report an id of its own across batches (distinct file names, or tagger tag --id-column) and export them again"]
        >>> _shared_ids([a, Annotation("t, 9", "老人", (), id="r:1", key="r:1")])
        []
        >>> _shared_ids([a, Annotation("t, 9", "老人们", (), id="r:1", key="r:1")])  # read a little otherwise: one
        []
    """
    first: dict[Any, Annotation] = {}
    out = []
    for ann in annotations:
        if ann.id is None:  # a task made in the tool: keyed by the tool's own id
            continue
        seen = first.setdefault(ann.key, ann)
        same = (seen.text == ann.text or seen.text_sha is not None and seen.text_sha == ann.text_sha
                or _alike(seen.text, ann.text))  # one paragraph read a little otherwise in a later batch
        if not same:
            out.append(f"{seen.where} and {ann.where}: two different paragraphs have the id {ann.id!r} (two batches "
                       "whose reports had one id?): one would be lost; give each report an id of its own across "
                       "batches (distinct file names, or tagger tag --id-column) and export them again")
            first[ann.key] = ann  # one problem per further text
    return out


class Chosen(NamedTuple):
    """What :func:`latest` chose: one decision per paragraph, and how paragraphs with several were settled."""

    annotations: list[Annotation]  #: one per paragraph, in the order the paragraphs first appear
    revised: int  #: paragraphs one annotator decided several times (or annotators the export does not name; or
    #: several Prodigy sessions, alike: those that differ are in :attr:`sessions` only)
    agreed: int  #: paragraphs several annotators decided, all alike
    settled: int  #: paragraphs with several decisions, settled in Label Studio by a ground truth mark
    conflicts: list[str]  #: paragraphs whose annotators disagree, each named with its decisions (see :func:`latest`)
    sessions: list[str]  #: paragraphs Prodigy sessions decided differently (the latest kept), each named likewise


_NAMED = 5
"""How many paragraphs decided differently in several Prodigy sessions a warning names (all of them at DEBUG)."""

KEEP_LATEST = "--keep-latest"
"""The option of ``tagger labels import`` and ``evaluate.py --test`` that keeps the latest of conflicting decisions
of different annotators (:func:`latest`)."""

CONFLICT_ADVICE = ("Settle each in the tool and export again (Label Studio: mark the right annotation as ground "
                   f"truth, or delete the others), or pass {KEEP_LATEST} to keep the latest decision of each")
"""What to do about conflicting decisions of different annotators (:attr:`Chosen.conflicts`)."""


def _by_time(pool: Sequence[Annotation]) -> bool:
    """Whether the decisions of ``pool`` are ordered by time stamp (every one has one), else by their place in the
    file."""
    return all(a.stamp is not None for a in pool)


def _when(by_time: bool):
    """The order of decisions (the later, the greater): by time stamp (``by_time``: :func:`_by_time`), else by place in
    the file."""
    return (lambda a: (a.stamp, a.order)) if by_time else (lambda a: a.order)


def _last(pool: Sequence[Annotation]) -> Annotation:
    """The latest decision of ``pool``: by time stamp when every one has one, else the last in the file."""
    return max(pool, key=_when(_by_time(pool)))


def _wheres(wheres: Sequence[str]) -> str:
    """Where several decisions are, what they share said once: one file's lines (``f.jsonl:1 and 2``), one task's
    annotations (``t.json, task 3, annotation 1 and annotation 2``).

    Example:
        >>> _wheres(["d/merged.jsonl:1", "d/merged.jsonl:12", "d/merged.jsonl:3"])
        'd/merged.jsonl:1, 12 and 3'
        >>> _wheres(["t.json, task 3, annotation 1", "t.json, task 3, annotation 2"])
        't.json, task 3, annotation 1 and annotation 2'
        >>> _wheres(["t.json, task 3, annotation 1", "t.json, task 4, annotation 1"])
        't.json, task 3, annotation 1 and task 4, annotation 1'
    """
    common = os.path.commonprefix(list(wheres))
    cut = max(common.rfind(", ") + 2, common.rfind(":") + 1)  # after the file (and task) all of them name
    shown = [wheres[0], *(w[cut:] for w in wheres[1:])] if cut > 1 else list(wheres)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def _conflict(decisions: dict[str | None, Annotation], who: str = "annotators") -> str:
    """The problem of a paragraph whose annotators (``who``) disagree: the paragraph, and each one's decision and
    where it is (as the CSV duplicate check names its rows). A decision under ``None`` names no annotator (or, for
    Prodigy sessions, no session): the latest such, said apart.

    Example:
        >>> a = Annotation("t.json, task 3, annotation 1", "x", ("elderly_care",), id="r:1", by="ana")
        >>> b = Annotation("t.json, task 3, annotation 2", "x", ("elderly_care",), id="r:1", order=(0, 1), by="bo")
        >>> c = Annotation("t.json, task 3, annotation 3", "x", ("volunteer_work",), id="r:1", order=(0, 2))
        >>> _conflict({"ana": a, "bo": b, None: c})
        "t.json, task 3, annotation 1, annotation 2 and annotation 3: paragraph 'r:1': 2 annotators and an annotation that names no annotator decided it differently: 'ana' chose elderly_care, 'bo' chose elderly_care, the annotation that names none chose volunteer_work"
    """
    ordered = sorted(decisions.items(), key=lambda item: item[1].order)
    first = ordered[0][1]
    name = repr(first.id) if first.id is not None else f"with the text {quote_cell(first.text, 20)}"
    what = "line" if first.session else "annotation"  # a Prodigy line names a session, if any
    nobody = f"{'a' if first.session else 'an'} {what} that names no {'session' if first.session else 'annotator'}"
    said = ", ".join(f"{f'the {what} that names none' if by is None else quote_cell(by)} chose "
                     f"{format_label_cell(a.labels or ())}" for by, a in ordered)
    named = sum(by is not None for by in decisions)
    return (f"{_wheres([a.where for _, a in ordered])}: paragraph {name}: {named} {who}"
            f"{' and ' + nobody if None in decisions else ''} decided it differently: {said}")


def latest(annotations: Sequence[Annotation]) -> Chosen:
    """One annotation per paragraph (same :attr:`Annotation.key`). A skip never replaces a decision. A decision marked
    as ground truth (Label Studio) settles its paragraph, whatever else was decided on it (the latest of several so
    marked, when they are alike). Else one annotator's several decisions (and decisions whose annotator the export
    does not name) are one person revising: the latest wins — by time stamp when every candidate has one, else the
    last in the file. Different annotators (:attr:`Annotation.by`) are compared by their own latest decision, and by
    the latest decision that names nobody unless every one of them decided again after it (it may be anyone's last
    word): alike, the paragraph keeps their decision; different, it is a conflict, named in :attr:`Chosen.conflicts`
    — with the latest decision chosen, for callers that keep it (:data:`KEEP_LATEST`). A Prodigy session is no person
    (:attr:`Annotation.session`): its decisions are one annotator's, the latest wins, and paragraphs that different
    sessions (or a line naming none, likewise) decided differently are named in :attr:`Chosen.sessions`, with the
    decision kept and why.

    Example:
        >>> a = Annotation("t.json, task 3, annotation 1", "x", ("elderly_care",), id="r:1", key="r:1", stamp=2.0,
        ...                by="ana")
        >>> b = Annotation("t.json, task 3, annotation 2", "x", ("volunteer_work",), id="r:1", key="r:1", stamp=1.0,
        ...                order=(0, 1), by="ana")
        >>> chosen = latest([a, b])
        >>> [x.labels for x in chosen.annotations], chosen.revised, chosen.conflicts
        ([('elderly_care',)], 1, [])
        >>> from dataclasses import replace
        >>> chosen = latest([a, replace(b, by="bo")])
        >>> [x.labels for x in chosen.annotations], chosen.conflicts
        ([('elderly_care',)], ["t.json, task 3, annotation 1 and annotation 2: paragraph 'r:1': 2 annotators decided it differently: 'ana' chose elderly_care, 'bo' chose volunteer_work"])
        >>> [x.labels for x in latest([a, replace(b, settled=True)]).annotations]  # marked ground truth: it settles
        [('volunteer_work',)]
        >>> c = Annotation("t.json, task 3, annotation 3", "x", ("volunteer_work",), id="r:1", key="r:1", stamp=3.0,
        ...                order=(0, 2))
        >>> chosen = latest([a, replace(b, by="bo", labels=a.labels), c])  # they agree; a later decision names nobody
        >>> chosen.agreed, chosen.conflicts[0][-51:]
        (0, 'the annotation that names none chose volunteer_work')
        >>> chosen = latest([replace(a, where="d.jsonl:1", by="ds-default", session=True),
        ...                  replace(b, where="d.jsonl:2", by="ds-other", session=True)])
        >>> [x.labels for x in chosen.annotations], chosen.revised, chosen.conflicts
        ([('elderly_care',)], 0, [])
        >>> print(chosen.sessions[0])
        d.jsonl:1 and 2: paragraph 'r:1': 2 Prodigy sessions decided it differently: 'ds-default' chose elderly_care, 'ds-other' chose volunteer_work; kept: line 1 (session 'ds-default': the latest time stamp)
    """
    groups: dict[Any, list[Annotation]] = {}
    for n, ann in enumerate(annotations):
        groups.setdefault(ann.key if ann.key is not None else ("row", n), []).append(ann)
    out: list[Annotation] = []
    revised = agreed = settled = 0
    conflicts: list[str] = []
    sessions: list[str] = []
    for group in groups.values():
        decided = [a for a in group if a.labels is not None]
        out.append(_last(decided or group))
        if len(decided) < 2:
            continue
        if (truth := [a for a in decided if a.settled]) and len({frozenset(a.labels or ()) for a in truth}) == 1:
            out[-1] = _last(truth)
            settled += 1
            continue
        mine: dict[str | None, list[Annotation]] = {}
        for a in decided:
            mine.setdefault(a.by, []).append(a)
        unnamed = mine.pop(None, [])  # a decision nobody is named for is no annotator of its own: anyone's revision
        by_time = _by_time(decided)
        when = _when(by_time)  # one order for the whole paragraph, as _last(decided) chose the kept one by: each
        final = {by: max(theirs, key=when) for by, theirs in mine.items()}  # one's latest is then named as kept
        named = len(final)
        if unnamed and named > 1 and when(anon := max(unnamed, key=when)) > min(map(when, final.values())):
            final[None] = anon  # not decided again since by every one named: it may be anyone's last word
        alike = len({frozenset(a.labels or ()) for a in final.values()}) == 1
        if named < 2:  # one annotator (or session) revising
            revised += 1
        elif not any(a.session for a in final.values()):  # people
            if alike:
                agreed += 1
                out[-1] = _last(list(final.values()))  # the decision they agree on
            else:
                conflicts.append(_conflict(final))
        elif not alike:  # Prodigy sessions that differ: the latest kept (a session is no person), said which and why
            kept = out[-1]
            line = re.search(r"(?::(\d+)|, (example \d+))$", kept.where)  # as the file's lines are named above
            place = kept.where if line is None else f"line {line[1]}" if line[1] else line[2]
            who = "no session named" if kept.by is None else f"session {quote_cell(kept.by)}"
            why = "the latest time stamp" if by_time else "the last in the file: not every line has a time stamp"
            sessions.append(f"{_conflict(final, 'Prodigy sessions')}; kept: {place} ({who}: {why})")
        else:
            revised += 1
    return Chosen(out, revised, agreed, settled, conflicts, sessions)


# --------------------------------------------------------------------------- files
def _json_records(text: str, path: Path, what: str) -> list[tuple[str, Any]]:
    try:
        data = load_json(text)
    except JsonProblem as exc:
        raise LabelFileError(f"{path}: {exc.located()}") from None
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, list):
        raise LabelFileError(f"{path}: expected a JSON list of {what}s, got {type(data).__name__}")
    return [(f"{path}, {what} {n}", obj) for n, obj in enumerate(data, start=1)]


def _jsonl_records(text: str, path: Path, errors: list[str]) -> list[tuple[str, Any]]:
    """The objects of a JSONL export (doccano, Prodigy) as ``(where, object)``, its lines split as every JSONL reader
    splits them (:func:`~tagger.common.files.text_lines`: at ``\\n`` alone, ``text`` as read with ``newline=""``: a
    lone ``\\r`` is no line break); a line that is no JSON object goes to ``errors``.

    Example:
        >>> errors = []
        >>> _jsonl_records('{"text": "a\\rb", "label": []}\\r\\n{"text": "c", "label": []}\\n', Path("d.jsonl"), errors)
        [('d.jsonl:2', {'text': 'c', 'label': []})]
        >>> errors
        ['d.jsonl:1: not valid JSON (Invalid control character at)']
    """
    records = []
    for line_no, obj, problem in parse_json_lines(text_lines(text)):
        if problem:
            errors.append(f"{path}:{line_no}: {problem}")
        else:
            records.append((f"{path}:{line_no}", obj))
    return records


def _csv_records(text: str, path: Path, errors: list[str]) -> list[tuple[str, Any]]:
    problems: list[tuple[int, str]] = []
    rows = _csv_rows(text, path, problems)
    errors += [message for _, message in problems]
    return [(row.where, row.cells) for row in rows]


class _TableRow(NamedTuple):
    """A row of a table of labelled paragraphs (:func:`_csv_rows`, :func:`_json_table_rows`)."""

    line: int  #: the file line it starts on
    row: int  #: its number as a person sees it: a CSV's spreadsheet row (names it when it has no id), a JSONL line
    where: str  #: how messages name it: ``file:line``, a CSV's spreadsheet row added where that differs
    cells: dict[str, Any]  #: its cells by column name (key)


def _csv_rows(text: str, path: Path, errors: list[tuple[int, str]]) -> list[_TableRow]:
    """The rows of a CSV (or TSV) file that are not blank, each with the file line it starts on, its spreadsheet row
    (blank lines counted, line breaks inside cells not: the row Excel shows, and a row's paragraph id when it has
    none) and ``where``, naming it as every CSV reader does: by the file line, and its spreadsheet row where that
    differs (:func:`~tagger.common.files.sheet_row_note`); a row with more cells than the header has columns goes to
    ``errors`` as ``(line, message)``.

    Example:
        >>> rows = _csv_rows('text,labels\\n\\n"多行\\n文本",none\\n单行,none\\n', Path("mine.csv"), [])
        >>> [(r.line, r.row, r.where) for r in rows]
        [(3, 3, 'mine.csv:3'), (5, 4, 'mine.csv:5 (row 4 in a spreadsheet)')]
    """
    # also Label Studio's TSV export, and a CSV a spreadsheet saved again with ';'; the header as _csv_head
    # (sniff_format) reads it
    delimiter, (names, header_lines, spaced), lines = csv_text_start(text, path, error=LabelFileError)
    records: list[_TableRow] = []
    if not header_lines:
        return records
    try:
        check_header(names, str(path))
    except InputError as exc:
        raise LabelFileError(str(exc)) from None
    # the cells as the header was read: "1", "s:1", … "volunteer_work" in a file written with ", "; the lines
    # counted from the file's first
    reader = CsvDictRows(lines, names, delimiter, spaced, start=header_lines)
    for row in strict_rows(reader, path, error=LabelFileError):
        where = reader.where(path)
        if cells_beyond_header(row):  # a trailing comma gives only empty ones: read as the row
            errors.append((reader.row_line, f"{where}: more cells than the header has columns (cells with commas "
                                             f"must be quoted){quote_after_space_hint(row)}"))
            continue
        row.pop(None, None)
        if any((v or "").strip() for v in row.values()):
            records.append(_TableRow(reader.row_line, reader.sheet_row, where, row))
    return records


def _read(path: Path) -> str:
    """The text of the file ``path`` as its reader reads it, decoded once (:func:`~tagger.common.files.read_text_file`)
    without a byte-order mark: JSON (lines, or a list) as it is, its lines split at ``\\n`` alone
    (:func:`~tagger.common.files.text_lines`, as a JSONL file read from its path is: a lone ``\\r`` is no line break),
    a CSV with its line breaks as ``\\n`` (:func:`~tagger.common.files.universal_newlines`, as every CSV reader reads
    one)."""
    try:
        raw = read_text_file(path, newline="").lstrip("\ufeff")
    except InputError as exc:
        raise label_file_error(exc) from None  # no --encoding: save as UTF-8
    return raw if _opens(raw) in ("{", "[") else universal_newlines(raw)


_PARSERS = {"labelstudio": _ls_record, "doccano": _doccano_record, "prodigy": _prodigy_record}


def _read_annotations(file: _Labelled, keep_latest: bool = False) -> tuple[AnnotationFile, list[str]]:
    """:func:`read_annotations` of a file read (:func:`_identify`), with the problems of single tasks/rows returned
    rather than raised. A file that does not read as the ``--from`` format given while its content looks like another
    tool's: one problem, saying so."""
    with file.hinted():
        return _parse_annotations(file, keep_latest)


def _with_hint(exc: LabelFileError, hint: str) -> LabelFileError:
    """``exc`` with ``hint`` at the end of its message (a :class:`RefusedFile` stays one, to be said in the words of
    the command that read the file)."""
    return exc.with_hint(hint) if isinstance(exc, RefusedFile) else LabelFileError(f"{exc}{hint}")


def _parse_annotations(file: _Labelled, keep_latest: bool = False) -> tuple[AnnotationFile, list[str]]:
    """The decisions in a file read (:func:`_identify`) as its format, and the problems of single tasks/rows; when the
    format was given (``--from``) and some did not read while the content looks like another tool's, one problem
    instead, saying so (:attr:`_Labelled.hint`). Paragraphs whose annotators disagree are problems too (each named:
    :func:`latest`), unless ``keep_latest`` (:data:`KEEP_LATEST`): then the latest decision of each is kept, and a
    note says so."""
    path, text, fmt, opens = file.path, file.text, file.fmt, file.head.opens
    if fmt not in _PARSERS:
        raise LabelFileError(f"{path}: --from {fmt!r}: use one of labelstudio, doccano, prodigy")
    if not opens:
        raise LabelFileError(f"{path}: {EMPTY_FILE}")
    errors: list[str] = []
    what = {"labelstudio": "task", "doccano": "row", "prodigy": "example"}[fmt]
    if opens == "[" or (fmt == "labelstudio" and opens == "{"):
        records = _json_records(text, path, what)
        if not records:
            raise _no_tasks(path)
    elif fmt == "labelstudio":
        records = _csv_records(text, path, errors)
    else:
        records = _jsonl_records(text, path, errors)
    annotations, problems = _collect(_PARSERS[fmt], records)
    errors += problems
    hint = file.hint if errors else ""
    as_csv = bool(errors) and fmt != "labelstudio" and opens not in ("[", "{")  # a CSV read as JSON lines?
    if hint or (as_csv and not records):  # every task named with the same problem would hide what is wrong:
        bad, total = len(errors), len(records) + len(errors) - len(problems)  # the file (lines no JSON)
        if as_csv:
            try:  # its header line is no row, a quoted cell may hold several lines
                bad = total = len(_csv_rows(text, path, []))
            except LabelFileError:  # no CSV: without a hint each line is named as no JSON
                bad = total = max(total - 1, 0) if hint else total
        read_as = f"{path}: read as {_TOOL_FILES[fmt]} (--from {fmt})"
        if not total:  # a CSV of a header alone, with a hint or not ("text" said "h.csv:1: not valid JSON");
            errors = [f"{read_as}, the file has no {what}s: it holds a CSV header alone{hint}"]  # no "0 of 0"
        elif hint:
            errors = [f"{read_as}, {bad} of its {counted(total, what)} could not be read (first: {errors[0]})"
                      f"{hint}"]
    if not annotations and not errors:
        raise LabelFileError(f"{path}: no tasks in the file")
    errors += _shared_ids(annotations)
    picked = latest(annotations)
    chosen, notes, advice = picked.annotations, [], ""
    if picked.revised:
        notes.append(f"{counted(picked.revised, 'paragraph')} had several decisions by one annotator in {path.name} "
                     f"(or by annotators the export does not name{', or in several sessions' if fmt == 'prodigy' else ''}"
                     "): the latest of each was kept")
    if picked.agreed:
        notes.append(f"{counted(picked.agreed, 'paragraph')} decided by several annotators in {path.name}: they agree "
                     "on each")
    if picked.settled:
        notes.append(f"{counted(picked.settled, 'paragraph')} with several decisions in {path.name}: the decision "
                     "marked ground truth was kept")
    if picked.sessions:  # a session is no person: the latest kept, the first paragraphs named (all at DEBUG)
        n = len(picked.sessions)
        named = "; ".join(picked.sessions[:_NAMED]) + (f"; and {n - _NAMED} more (--debug names them all)"
                                                       if n > _NAMED else "")
        log.warning("%s: %s decided differently in several Prodigy sessions: the latest decision of each was kept (a "
                    "Prodigy session is not a person: one annotator revising in a later session is another one); if "
                    "the sessions were different annotators, settle %s with prodigy review into a new dataset and "
                    "db-out that. %s%s", path, counted(n, "paragraph"), "it" if n == 1 else "them",
                    "The first five: " if n > _NAMED else "", named)
        if n > _NAMED and log.isEnabledFor(logging.DEBUG):
            log.debug("%s: all %d paragraphs decided differently in several Prodigy sessions: %s", path, n,
                      "; ".join(picked.sessions))
        # the warning names them (the first five): the note (printed under it, and in a report on the file) counts
        notes.append(f"{counted(len(picked.sessions), 'paragraph')} decided differently in several Prodigy sessions "
                     f"in {path.name}: the latest decision of each was kept")
    if picked.conflicts and keep_latest:
        notes.append(f"{counted(len(picked.conflicts), 'paragraph')} decided differently by several annotators in "
                     f"{path.name}: the latest decision of each was kept ({KEEP_LATEST}); the first: "
                     f"{picked.conflicts[0]}")
    elif picked.conflicts:
        errors += picked.conflicts
        advice = CONFLICT_ADVICE
    unchanged = [a for a in chosen if a.predicted is not None and a.labels == a.predicted]
    if unchanged:
        notes.append(f"{counted(len(unchanged), 'paragraph')} came back with exactly the model's labels tagger gave "
                     "them; doccano cannot tell confirmed from untouched: if not every one was checked, export again "
                     "from doccano with 'Export only approved documents'")
    return AnnotationFile(fmt, chosen, notes, advice), errors


def read_annotations(path: str | Path, fmt: str | None = None, text: str | None = None,
                     keep_latest: bool = False) -> AnnotationFile:
    """Read an annotation tool's export (``fmt`` one of :data:`FORMATS` but ``tagger``; ``None``: sniffed),
    one decision per paragraph (:func:`latest`); ``text``: the file's, when read already (the file is not read again);
    ``keep_latest``: keep the latest of conflicting decisions of different annotators rather than refuse them.

    Raises:
        LabelFileError: an unreadable or malformed file, every bad task, row or line named; paragraphs different
            annotators decided differently, each named with its annotators and their labels (unless
            ``keep_latest``).
    """
    parsed, errors = _read_annotations(_identify(path, fmt, text), keep_latest)
    raise_errors(path, errors, parsed.advice if errors else "")
    return parsed


def _label_rows(annotations: Sequence[Annotation], source: str) -> tuple[list[LabelRow], list[str]]:
    rows, errors = [], []
    for ann in annotations:
        if ann.id is None or ann.text_sha is None:
            missing = " and ".join(name for name, value in (("paragraph id", ann.id), ("text_sha", ann.text_sha))
                                   if value is None)
            errors.append(f"{ann.where}: no {missing} in the task (a task created in the tool, not exported by "
                          "tagger labels export): its labels cannot be tied to a paragraph; import only tasks "
                          f"tagger exported (python evaluate.py --test {shell_arg(source)} scores any labelled export)")
            continue
        record = {"id": ann.id, "report": ann.report, "text": ann.text, "text_sha": ann.text_sha,
                  "labels": None if ann.labels is None else list(ann.labels)}
        try:
            rows.append(validate_record(record, ann.where))
        except LabelFileError as exc:
            errors.append(str(exc))
    return rows, errors


def to_label_rows(annotations: Sequence[Annotation], source: str) -> list[LabelRow]:
    """Validated rows for :func:`tagger.annotation.labelfiles.import_rows`: each decision tied to its
    paragraph by the id and ``text_sha`` in the task (an edited text no longer matches and is refused).

    Raises:
        LabelFileError: rows without ids (tasks created in the tool) or failing validation, all named.
    """
    rows, errors = _label_rows(annotations, source)
    raise_errors(source, errors)
    return rows


def _place(pid: str | None, doc: str) -> int:
    """A paragraph's index in its report from an id ``<doc>:<n>`` (``-1`` when the id says nothing), so
    the paragraphs of one report are scored with their report, as ``tagger tag`` scored them.

    Example:
        >>> _place("r1:3", "r1"), _place("r1:3", "r2"), _place("r1:x", "r1"), _place(None, "r1")
        (3, -1, -1, -1)
    """
    prefix, _, suffix = (pid or "").rpartition(":")
    return int(suffix) if prefix == doc and suffix.isascii() and suffix.isdigit() else -1


_SCORED_CUT = "scored it would judge the model on part of a paragraph against labels for the whole"


def to_examples(annotations: Sequence[Annotation], path: str | Path) -> list[Example]:
    """Labelled paragraphs to score (``evaluate.py --test``): every reviewed decision, ids or not; the
    report (``doc``) groups the bootstrap when the task has one, and a paragraph id ``<report>:<n>``
    gives its place there, so paragraphs of one report are scored together, as ``tagger tag`` did.

    Raises:
        LabelFileError: the same paragraph id twice, or no reviewed paragraph at all.
    """
    path = Path(path)
    examples = _examples((ann, ann.id or f"{path.stem}:{n}") for n, ann in enumerate(annotations, start=1))
    if not examples:
        raise LabelFileError(f"{path}: no reviewed paragraph to score (every task skipped, rejected or not "
                             "annotated)")
    return examples


def _examples(named: Iterable[tuple[Annotation, str]], fix: str = "") -> list[Example]:
    """The decided annotations of ``(annotation, paragraph id)`` pairs as examples to score (:func:`to_examples`);
    ``fix``: what to do about a repeated id, added to its message.

    Raises:
        LabelFileError: the same paragraph id twice, or a text cut at the Excel cell limit."""
    examples: list[Example] = []
    seen: dict[str, str] = {}
    for ann, pid in named:
        if ann.labels is None:
            continue
        if is_cut(ann.text):
            raise cut_text_error(ann.where, pid, _SCORED_CUT)
        if pid in seen:
            raise LabelFileError(f"{ann.where}: duplicate paragraph id {pid!r} (first at {seen[pid]}){fix}")
        seen[pid] = ann.where
        doc = ann.report or (pid.rpartition(":")[0] if ann.id and ":" in ann.id else pid)
        examples.append(Example(pid, doc, ann.text, ann.labels, "external", _place(ann.id, doc)))
    return examples


_LABELS_CELL = "label ids in the labels cell, ; between several, none for no label, empty for a row not labelled"
"""How a labels cell is filled, for messages about a file with nothing to score."""
_TABLE_COLUMNS = (f"{_LABELS_CELL}; optional columns: report (groups a report's paragraphs), paragraph (its number in "
                  "the report, or <report>:<n>), id")
"""What a CSV of labelled paragraphs made by hand holds (:func:`_table_examples`), for messages."""
_TABLE_NEEDS = f"a CSV of labelled paragraphs needs a text and a labels column ({_TABLE_COLUMNS})"
"""The advice for a CSV that is not one of labelled paragraphs (:func:`sniff_format`, :func:`_table_examples`)."""


def _no_labelled_rows(path: Path, rows: bool) -> LabelFileError:
    """The error for a CSV with a labels column but nothing to score: ``rows`` under its header, each with an empty
    labels cell, or none (the suggestion CSV and a CSV made by hand say it alike)."""
    why = "every labels cell is empty" if rows else "no rows under the header"
    return LabelFileError(f"{path} has no labelled rows to score: {why} ({_LABELS_CELL})")


def _doccano_csv(header: Iterable[str]) -> str:
    """For a header like a doccano CSV export's (``text`` and ``label``, no ``labels``): that such a file is not read
    and what to export instead; ``""`` for any other header.

    Example:
        >>> _doccano_csv(["id", "text", "label"])[:46], _doccano_csv(["text", "labels"])
        ('; a doccano CSV export (id,text,label) is not ', '')
    """
    have = set(header)
    return ("; a doccano CSV export (id,text,label) is not read: export the project from doccano as JSONL and give "
            "that file" if {"text", "label"} <= have and "labels" not in have else "")


def _table_id(cells: Mapping[str, str]) -> str | None:
    """The paragraph id a row of a CSV made by hand gives: its ``id``; else its ``paragraph``, as ``tagger tag`` writes
    it (``<report>:<n>``), or its number in the row's ``report`` (``<report>:<n>`` then), or as written when there
    is no report; ``None`` when the row has neither (it is named by its row number).

    Example:
        >>> _table_id({"paragraph": "3", "report": "r1"}), _table_id({"paragraph": "r1:3"}), _table_id({"text": "x"})
        ('r1:3', 'r1:3', None)
    """
    paragraph, report = cells.get("paragraph", ""), cells.get("report", "")
    if cells.get("id"):
        return cells["id"]
    if paragraph and report and ":" not in paragraph:
        return f"{report}:{paragraph}"
    return paragraph or None


def _table_examples(path: Path, head: _Head) -> tuple[list[Example], list[str]]:
    """The labelled rows of a CSV of paragraphs made by hand — or of the same rows as JSON lines
    (:func:`_json_table_rows`), read by the same rules —, to score (``python evaluate.py --test``): a ``text`` and
    a ``labels`` column (a label cell: :func:`tagger.labels.parse_label_cell`; an empty one is a row not labelled,
    left out), optional ``report`` (the paragraphs of one report: the bootstrap resamples reports; a row without one
    is a report of its own, and a note counts such rows), ``paragraph`` and ``id`` (:func:`_table_id`; else
    ``<file name>:<row>``, the row a spreadsheet shows — blank rows and line breaks inside cells as Excel counts them:
    ``mine.csv:5 (row 4 in a spreadsheet)`` is ``mine:4``, as messages name it; an id ``<report>:<n>`` places the
    paragraph in its report, as to :func:`to_examples`). No ``text_sha`` is needed: scoring ties no decision to a
    paragraph of the training data (the report checks that by the texts themselves). Column names in any case.
    ``head``: the file's text and its head (:class:`_Head`). Returns the examples and notes for the report.

    Raises:
        LabelFileError: a column missing, bad rows (all named), a repeated id, no labelled row.

    Example:
        >>> text = "text,labels\\n党员为老人检查线路。,elderly_care\\n\\n志愿者开展义务维修。,volunteer_work\\n"
        >>> examples, notes = _table_examples(Path("mine.csv"), _Head(text, "mine.csv"))
        >>> [(e.id, e.doc, e.labels) for e in examples]
        [('mine:2', 'mine:2', ('elderly_care',)), ('mine:4', 'mine:4', ('volunteer_work',))]
    """
    if head.opens == "[":
        raise LabelFileError(f"{path}: a JSON list, neither a CSV nor a labelled JSONL file (one JSON object a line); "
                             "an annotation tool's export is read with --from labelstudio|doccano|prodigy")
    errors: list[tuple[int, str]] = []  # (file line, message): said in line order, whichever check found them
    if head.opens == "{":
        rows = _json_table_rows(head.text, path, errors)
        header = sorted({k for row in rows for k in row.cells})
    else:
        header, rows = _csv_table_rows(head, path, errors)
    named: list[tuple[Annotation, str]] = []
    empty = alone = 0
    for line, row_no, where, cells in rows:
        try:
            labels = _table_labels(cells.get("labels"), where)
        except ValueError as exc:
            errors.append((line, str(exc)))
            continue
        if labels is None:
            empty += 1
            continue
        if not cells.get("text"):
            errors.append((line, f"{where}: empty text cell, labels {cells.get('labels')!r}"))
            continue
        pid = _table_id(cells)
        alone += not cells.get("report") and not (pid and ":" in pid)  # a report of its own
        named.append((Annotation(where, cells["text"], labels, pid, cells.get("report") or None),
                      pid or f"{path.stem}:{row_no}"))
    raise_errors(path, [message for _, message in sorted(errors, key=lambda error: error[0])])
    examples = _examples(named, "; give each row an id of its own, or drop the id column (rows are then named by "
                                "their row numbers)")
    if not examples:
        raise _no_labelled_rows(path, bool(empty))
    notes = []
    if empty:
        notes.append(f"{counted(empty, 'row')} of {path.name} with an empty labels cell left out (not labelled): write "
                     "none in the labels cell of a paragraph that has no label.")
        log.warning("%s: %s with an empty labels cell left out (not labelled; none: no label)", path,
                    counted(empty, "row"))
    if alone and "report" not in header and alone == len(examples):
        notes.append(f"{path.name} has no report column: each row is a report of its own (the bootstrap resamples "
                     "rows); add a report column to group the paragraphs of one report.")
    elif alone:
        why = "an empty report cell" if "report" in header else "no report (no report column, an id without :)"
        notes.append(f"{counted(alone, 'scored row')} of {path.name} with {why}: each is a report of its own (the "
                     "bootstrap resamples it alone); fill in its report to group it with that report's paragraphs.")
        log.warning("%s: %s with %s, each a report of its own", path, counted(alone, "scored row"), why)
    return examples, notes


def _csv_table_rows(head: _Head, path: Path, errors: list[tuple[int, str]]) -> tuple[list[str], list[_TableRow]]:
    """The header (lower case) and rows of a CSV of labelled paragraphs made by hand (:func:`_csv_rows`: file line,
    spreadsheet row, where, cells by column name in lower case, without white space at their ends); a row with too many
    cells goes to ``errors`` as ``(line, message)``; the file's text and header as its ``head`` (:class:`_Head`) holds
    them.

    Raises:
        LabelFileError: no text or no labels column (what such a CSV holds), a column twice, malformed CSV.
    """
    header = [h.lower() for h in head.csv.names]
    missing = [c for c in ("text", "labels") if c not in header]
    if missing:
        named = ", ".join(repr(h) for h in header[:12] if h) or "no column"
        raise LabelFileError(f"{path}: no {' and no '.join(missing)} column (the header names {named}"
                             f"{', …' if len(header) > 12 else ''}){_doccano_csv(header)}; {_TABLE_NEEDS}, or is the "
                             "CSV tagger suggest wrote (id,text,labels,text_sha)")
    try:
        check_header(header, str(path))  # Text and text: one column twice
    except InputError as exc:
        raise LabelFileError(str(exc)) from None
    return header, [row._replace(cells={str(k).strip().lower(): (v or "").strip() for k, v in row.cells.items()
                                        if k is not None}) for row in _csv_rows(head.text, path, errors)]


def _json_table_rows(text: str, path: Path, errors: list[tuple[int, str]]) -> list[_TableRow]:
    """The rows of JSON lines of labelled paragraphs made by hand, as :func:`_csv_table_rows` gives a CSV's: line
    number (twice: a JSONL line is the row a person sees), where (``file:line``, as every JSONL reader names a line)
    and cells, with keys in lower case; ``text``, ``report``, ``paragraph`` and ``id`` as text (a whole
    number as its digits; missing or ``null``: empty), ``labels`` a label cell (text) or a list of label ids, as
    written. A line that is no JSON object, a key twice (in another case) or a cell of another type goes to
    ``errors`` as ``(line, message)``.

    Example:
        >>> line = '{"Report": "r1", "paragraph": 3, "text": " 甲。", "labels": ["none"]}'
        >>> row = _json_table_rows(line, Path("f.jsonl"), [])[0]
        >>> row.line, row.where, row.cells
        (1, 'f.jsonl:1', {'report': 'r1', 'paragraph': '3', 'text': '甲。', 'labels': ['none']})
    """
    rows = []
    for line_no, obj, problem in parse_json_lines(text_lines(text)):  # lines as load_jsonl splits them
        where = f"{path}:{line_no}"
        if problem:
            errors.append((line_no, f"{where}: {problem}; one JSON object per line"))
            continue
        keys = [k.strip().lower() for k in obj]
        try:
            check_header(keys, where)  # "Text" and "text": one key twice
        except InputError as exc:
            errors.append((line_no, str(exc)))
            continue
        cells: dict[str, Any] = dict(zip(keys, obj.values()))
        try:
            for key in ("report", "paragraph", "text", "id"):
                if key in cells:
                    cells[key] = _json_cell(cells[key], where, key)
        except ValueError as exc:
            errors.append((line_no, str(exc)))
            continue
        rows.append(_TableRow(line_no, line_no, where, cells))
    return rows


def _json_cell(value: Any, where: str, key: str) -> str:
    """A JSON value as the text a CSV cell holds (:func:`_json_table_rows`)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2 ** 53:  # 101.0: pandas' id column
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{where}: {key!r} must be text or a whole number, got {type(value).__name__}")
    return str(value).strip()


def _table_labels(value: Any, where: str) -> tuple[str, ...] | None:
    """The labels of a row of labelled paragraphs made by hand: a label cell (:func:`tagger.labels.parse_label_cell`:
    ``none`` no label, empty or missing not labelled, full-width ids as typed), or — JSON lines — a list of label
    ids read as one cell (``[]``: no label, as a labelled JSONL and tag's files write it; a list of blank strings
    only, ``[""]``, is an empty cell: not labelled, left out and counted).

    Example:
        >>> _table_labels("ｅｌｄｅｒｌｙ＿ｃａｒｅ", "x"), _table_labels(["none"], "x"), _table_labels([], "x"), _table_labels("", "x")
        (('elderly_care',), (), (), None)
        >>> _table_labels([""], "x"), _table_labels([" ", ""], "x")
        (None, None)
    """
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise ValueError(f"{where}: \"labels\" must list label ids (text), got {value!r}")
        return parse_label_cell(";".join(value), where) if value else ()
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}: \"labels\" must be a label cell (ids separated by ;, none for no label) or a list "
                         f"of label ids, got {type(value).__name__} {value!r}")
    return parse_label_cell(value or "", where)


def _tagger_kind(head: _Head) -> str:
    """``jsonl`` or ``csv`` (our own files: a labelled JSONL, the suggestion CSV, with ``id`` and ``text_sha``);
    ``tagged`` for a file written by ``tagger tag`` (:func:`tagger.data.tagged.tag_written`: with a column only tag
    writes, whatever was deleted from it since; or tag's columns without ``labels``); ``table`` for another CSV with
    ``text`` and ``labels``, one of labelled paragraphs made by hand (:func:`_table_examples`; a ``report`` or
    ``paragraph`` column does not make it tag's) — and for JSON lines of such rows, ``text`` and ``labels`` with a
    ``report`` or ``paragraph`` (not our labelled JSONL: that names its report ``doc``). Tag's rows with their scores
    deleted are tag's (:func:`_tag_row`), in a CSV as in JSON lines. A JSONL file is told by its first row that is no
    summary row, a CSV by its header and first row: its ``head`` (:class:`_Head`).

    Example:
        >>> kind = lambda text: _tagger_kind(_Head(text, "a.csv"))
        >>> kind("id,text,labels,text_sha\\n"), kind("Text,Labels\\n")
        ('csv', 'table')
        >>> kind("report,paragraph,text,labels\\n"), kind("row_type,text,labels\\n")
        ('table', 'tagged')
        >>> kind('{"report": "r", "paragraph": 1, "text": "x", "labels": "none"}')
        'table'
        >>> kind('{"report": "r", "paragraph": 1, "text": "x", "labels": [], "score_elderly_care": 0.1}')
        'tagged'
        >>> kind("report,paragraph,kind,text,labels\\nr2,r2:0,body,甲。,elderly_care\\n")
        'tagged'
    """
    if head.opens == "{":
        first = next((obj for obj in head.rows if obj.get("row_type") not in SUMMARY_ROW_TYPES), {})
        keys = {k.strip().lower() for k in first}
        if tag_written(keys):  # the rule of a CSV's header, on the row's keys
            return "tagged"
        if {"text", "labels"} <= keys and keys & {"report", "paragraph"} and not keys & {"doc", "text_sha"}:
            return "tagged" if _tag_row(first) else "table"
        return "tagged" if "paragraph" in keys or tag_shaped(keys) else "jsonl"
    header, first = head.header, head.csv.first
    if tag_written(header):
        return "tagged"
    if {"id", "text_sha"} <= header:
        return "csv"
    if {"text", "labels"} <= header:  # tag's rows with their scores deleted are still tag's, as JSON lines
        return "tagged" if first is not None and _tag_row(first, listed=False) else "table"
    return "tagged" if tag_shaped(header) else "csv" if "text_sha" in header else "table"


def _refuse_trimmed(path: Path, head: _Head) -> None:
    """Refuse tag's CSV (``head``: the file's, :class:`_Head`) with columns deleted since, saying which and what made it
    tag's (:func:`tagger.data.tagged.check_columns`): its columns, or — a CSV of ``text`` and ``labels`` that is tag's
    by its first row (:func:`_tag_row`, as :func:`_tagger_kind` tells it) — that row's ``kind``. A JSONL file is left
    to its reader (its first row may be a summary row), and so is a binary table (no text: :data:`_NO_HEAD`).

    Raises:
        InputError: as :func:`tagger.data.tagged.check_columns` (as the file's reader refuses it).

    Example:
        >>> _refuse_trimmed(Path("t.csv"), _Head("text,labels,kind\\n甲。,none,body\\n", "t.csv"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: t.csv: a tagged file without ... Read as tag's by its kind column ('body' ...
    """
    if head.opens in ("", "{"):
        return
    names, first = head.csv
    by_row = not tag_written(head.header) and first is not None and _tag_row(first, listed=False)
    check_columns(path, names, kind=first["kind"] if by_row else None)


def _tag_row(row: Mapping[str, Any], listed: bool = True) -> bool:
    """Whether a row of ``report``, ``paragraph``, ``text`` and ``labels`` is one ``tagger tag`` wrote, its scores
    deleted since (``jq '{report,paragraph,kind,text,labels}'``, or the score columns deleted in a spreadsheet): with
    tag's ``kind`` (``body``, ``heading`` or ``caption``) or a paragraph id ``<report>:<n>`` of its report, no ``id``
    (tag writes none), and — a JSON row (``listed``) — its ``labels`` a list, as tag writes them: its labels are the
    model's. A JSON row made by hand gives its labels as a label cell (``"elderly_care;volunteer_work"``), its
    paragraph as a number, or an id of its own. A CSV row (``listed=False``: every cell is text) is tag's only by its
    ``kind``: a table made by hand may name its paragraphs ``<report>:<n>`` (the table's advice says so), and has no
    ``kind`` column.

    Example:
        >>> _tag_row({"report": "r1", "paragraph": "r1:0", "text": "x", "labels": []})
        True
        >>> _tag_row({"report": "r1", "paragraph": 0, "text": "x", "labels": []})
        False
        >>> _tag_row({"report": "r1", "paragraph": "r1:0", "text": "x", "labels": "none"})
        False
        >>> _tag_row({"report": "r1", "paragraph": "r1:0", "text": "x", "labels": "none"}, listed=False)
        False
        >>> _tag_row({"report": "r1", "paragraph": "r1:0", "kind": "body", "text": "x", "labels": "none"}, listed=False)
        True
        >>> _tag_row({"report": "r1", "paragraph": "0", "kind": "", "text": "x", "labels": "none"}, listed=False)
        False
    """
    cells = {k.strip().lower(): v for k, v in row.items() if isinstance(k, str)}
    if "id" in cells or not isinstance(cells.get("labels"), list if listed else str):
        return False
    report, pid = cells.get("report"), cells.get("paragraph")
    tag_id = (isinstance(report, str) and isinstance(pid, str) and pid.startswith(f"{report}:")
              and pid[len(report) + 1:].isdigit())
    kind = cells.get("kind")
    return (isinstance(kind, str) and kind.strip().lower() in KINDS) or (listed and tag_id)


@dataclass
class _Labelled:
    """A labelled file read once (:func:`_identify`): its text, decoded once, and its head (:class:`_Head`), the format
    given (``--from``; ``None``: told from the content), the one it is read as and, for our own files (``tagger``),
    their kind (:func:`_tagger_kind`; else the format again)."""

    path: Path
    text: str
    head: _Head
    given: str | None
    fmt: str
    kind: str

    @cached_property
    def hint(self) -> str:
        """What the file looks like when it does not read as the format given (:func:`_looks_like`), told once."""
        return _looks_like(self.head, self.given) if self.given else ""

    @contextmanager
    def hinted(self) -> Iterator[None]:
        """Reading the file: an error of the reader says what the file looks like when that is another tool's
        (:attr:`hint`; once: :func:`_parse_annotations` says it of the records it cannot read)."""
        try:
            yield
        except LabelFileError as exc:
            if not self.hint or self.hint in str(exc):
                raise
            raise _with_hint(exc, self.hint) from None


def _identify(path: str | Path, fmt: str | None, text: str | None = None) -> _Labelled:
    """A labelled file read once (``text``: the file's, when read already; :func:`_read`), its head read once and
    its format (``fmt``, or told by :func:`sniff_format`) and kind told from it."""
    path = Path(path)
    text = _read(path) if text is None else text
    head = _Head(text, path)
    told = fmt or _sniff(head)
    return _Labelled(path, text, head, fmt, told, _tagger_kind(head) if told == "tagger" else told)


def import_file(path: str | Path, root: str | Path = ".", *, fmt: str | None = None, update: bool = False,
                dry_run: bool = False, keep_latest: bool = False) -> tuple[ImportResult, list[str]]:
    """``tagger labels import``: an annotation tool's export, or our suggestion CSV, merged into
    ``labels/imported.jsonl`` through :func:`tagger.annotation.labelfiles.import_rows`. A paragraph different
    annotators decided differently is refused, unless ``keep_latest`` (``--keep-latest``: :func:`latest`).

    Returns:
        What the import did, and notes to print before its summary.

    Raises:
        LabelFileError: naming file and row; nothing is written.
        InputError: ``path`` is ``labels/imported.jsonl`` itself (or a link to it): refused before it is read.

    Example:
        >>> result, notes = import_file("project-1-at-2024.json", ".")  # doctest: +SKIP
    """
    target = Path(root) / IMPORTED_FILE
    refuse_an_input(target, [path], fix=f"the file to import ({path}) is the one labels are merged into: import "
                                        "the filled CSV tagger suggest wrote, or the annotation tool's export")
    file = _identify(path, fmt)
    path, kind = file.path, file.kind
    if file.fmt == "tagger":
        if kind == "tagged":
            try:
                _refuse_trimmed(path, file.head)
            except InputError as exc:
                raise LabelFileError(str(exc)) from None
            raise LabelFileError(f"{path}: a file written by tagger tag; its reviewed paragraphs are imported "
                                 f"with: tagger review {shell_arg(path)} --export")
        if kind == "jsonl" or kind == "table" and file.head.opens == "{":
            raise LabelFileError(f"{path}: a labelled JSONL file; tagger labels import reads the CSV tagger "
                                 "suggest wrote, or an export of Label Studio, doccano or Prodigy (--from); score a "
                                 f"JSONL file with: python evaluate.py --test {shell_arg(path)}")
        header = file.head.header
        if kind == "table" and {"text", "labels"} <= header:
            missing = [c for c in ("id", "text_sha") if c not in header]
            raise LabelFileError(f"{path}: a CSV of labelled paragraphs without the {' and '.join(missing)} "
                                 f"column{'s' if len(missing) > 1 else ''} of the CSV tagger suggest wrote (id and "
                                 "text_sha tie each row to its paragraph); tagger labels import reads that CSV, or an "
                                 "export of Label Studio, doccano or Prodigy (--from); score this file with: python "
                                 f"evaluate.py --test {shell_arg(path)}")
        with file.hinted():
            return import_csv(path, root, update=update, dry_run=dry_run, text=file.text), []
    parsed, errors = _read_annotations(file, keep_latest)
    rows, problems = _label_rows(parsed.annotations, str(path))
    raise_errors(path, errors + problems, parsed.advice)  # every problem of the file at once
    return import_rows(rows, root, update=update, dry_run=dry_run, source=str(path)), parsed.notes


def load_test_file(path: str | Path, fmt: str | None = None, keep_latest: bool = False) -> list[Example]:
    """The labelled paragraphs of a test file: our JSONL (:func:`tagger.data.examples.load_jsonl`), a
    filled suggestion CSV, a CSV of ``text`` and ``labels`` made by hand, or an annotation tool's export
    (text and decision suffice). :func:`read_test_file` without its notes.

    Raises:
        LabelFileError: naming file and row.
    """
    return read_test_file(path, fmt, keep_latest)[0]


def read_test_file(path: str | Path, fmt: str | None = None,
                   keep_latest: bool = False) -> tuple[list[Example], list[str]]:
    """The labelled paragraphs of a test file (:func:`load_test_file`), and what a report on them must say about the
    file (a tool's several decisions on one paragraph, a CSV's rows left out or without reports). A tool's paragraph
    that different annotators decided differently is refused, unless ``keep_latest`` (``--keep-latest``:
    :func:`latest`).

    Raises:
        LabelFileError: naming file and row (when ``fmt`` is given and the file looks like another tool's, saying so).

    Example:
        >>> examples, notes = read_test_file("project-export.json")  # doctest: +SKIP
    """
    try:
        return _load_test_file(path, fmt, keep_latest)
    except RefusedFile as exc:  # the readers are shared with labels import, whose messages say "imported"
        raise exc.for_command("score") from None


STALE_SCORED = "left out of the evaluation (a decision is scored only on the text it was made on)"
"""What :func:`reviewed_examples` says of a decision made on another text than its paragraph holds now."""


def reviewed_examples(path: str | Path) -> list[Example]:
    """The paragraphs of a tagged file a person decided (``tagger review``), labelled with the decisions, in
    file order; ``source`` is :data:`REVIEWED_SOURCE`. Decisions still in the review journal (a session open, or
    stopped before it wrote them) are not in the file: they are not read, and a warning says so
    (:func:`~tagger.data.tagged.warn_unmerged`, which :func:`~tagger.data.tagged.read_tagged` calls). A decision made on
    another text than its paragraph holds now (:data:`tagger.data.tagged.STALE`) is left out, and named.

    Raises:
        LabelFileError: the file holds no decision yet (what to do), or a decision's paragraph is a text cut at
            the Excel cell limit.
        InputError: as :func:`tagger.data.tagged.read_tagged`.

    Example:
        >>> [(e.id, e.labels) for e in reviewed_examples("tagged.jsonl")]  # doctest: +SKIP
        [('r1:3', ('elderly_care',)), ('r2:0', ())]
    """
    from ..data.tagged import read_tagged

    path = Path(path)
    df = read_tagged(path, columns=("text", "reviewed_labels"), stale_outcome=STALE_SCORED)
    done = df[df["reviewed"]]
    if done.empty:
        raise LabelFileError(f"{path}: a file written by tagger tag and not reviewed: it holds only the model's own "
                             "labels, nothing to score them against; decide its paragraphs first (tagger review "
                             f"{path}; tag with --review to have the least certain flagged) or label a sample in an "
                             "annotation tool (tagger labels export), then score the decisions")
    out = []
    for report, pid, text, labels in zip(done["report"], done["paragraph"], done["text"], done["effective_labels"]):
        if is_cut(text):
            raise cut_text_error(f"{path} (paragraph {pid})", pid, _SCORED_CUT)
        out.append(Example(pid, report, text, tuple(labels), REVIEWED_SOURCE, _place(pid, report)))
    return out


def _load_test_file(path: str | Path, fmt: str | None, keep_latest: bool = False) -> tuple[list[Example], list[str]]:
    path = Path(path)
    head = _tag_output(path) if fmt in (None, "tagger") else None
    if head is not None:
        _refuse_trimmed(path, head)
        return reviewed_examples(path), []  # tag's file: its review decisions, read (and decoded) by its reader alone
    # the one decoding of the whole file: what it is and what it holds are told from this text (_read: JSON lines
    # split at "\n" alone, as a JSONL file read from its path is)
    file = _identify(path, fmt)
    text, kind = file.text, file.kind
    with file.hinted():
        if file.fmt != "tagger":  # read as a tool's export with nothing decided in it: maybe another tool's file
            parsed, errors = _parse_annotations(file, keep_latest)
            raise_errors(path, errors, parsed.advice)
            return to_examples(parsed.annotations, path), parsed.notes
        if not file.head.opens:  # --from tagger: as a file told by its content is (no header: no columns to name)
            raise LabelFileError(f"{path}: {EMPTY_FILE}")
        if kind == "tagged":
            _refuse_trimmed(path, file.head)
            return reviewed_examples(path), []
        if kind == "jsonl":
            examples = load_jsonl(path, source="external", text=text)
            cut = next((e for e in examples if is_cut(e.text)), None)
            if cut is not None:  # the suggestion CSV (validate_record) and tool exports (to_examples) refuse it too
                raise cut_text_error(f"{path} (id {cut.id})", cut.id, _SCORED_CUT)
            return examples, []
        if kind == "table":
            return _table_examples(path, file.head)
        every = read_label_csv(path, allow_empty=True, text=text)
        rows = [r for r in every if r.labels is not None]
        if not rows:
            raise _no_labelled_rows(path, bool(every))
        return [Example(r.id, r.doc, r.text, r.labels or (), "external", _place(r.id, r.doc)) for r in rows], []


_TEXT_TABLES = (".jsonl", ".ndjson", ".csv")
"""The extensions of :data:`tagger.data.tagged.READERS` whose files are text (told tag's or not from their head)."""


def _tag_output(path: Path) -> _Head | None:
    """Whether ``path`` is a file ``tagger tag`` wrote, whose review decisions are scored (:func:`reviewed_examples`):
    a ``.parquet``, ``.xlsx`` or ``.sqlite`` one by :func:`tagger.data.tagged.is_tagged_file`; a JSONL or CSV one by
    its head alone (:func:`tagger.data.tagged.head_text`: the file is decoded whole once, by the reader of what it
    is), unless it is a table of labelled paragraphs made by hand (:func:`_tagger_kind`). Its head (:class:`_Head`;
    :data:`_NO_HEAD` for a binary table) when it is, else None."""
    from ..data.tagged import head_text, is_tagged_file, is_tagged_text

    suffix = path.suffix.lower()
    if suffix not in TAGGED_READERS:
        return None
    if suffix not in _TEXT_TABLES:
        return _NO_HEAD if is_tagged_file(path) else None
    text = head_text(path)
    head = _Head(text, path) if is_tagged_text(text, path) else None
    return head if head is not None and _tagger_kind(head) != "table" else None


_NO_HEAD = _Head("", "")
"""The head of a file without text (a binary table)."""

