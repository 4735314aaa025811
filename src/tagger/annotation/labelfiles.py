"""Filled-in label files: the suggestion CSV's format, its validation, and the merge into
``labels/imported.jsonl``.

``tagger suggest`` writes a CSV (:data:`SUGGEST_COLUMNS`); a person fills its ``labels`` column, a
label cell as :mod:`tagger.labels` defines it (ids separated by ``;``, ``none`` for no label, an
empty cell = not reviewed yet: the row is skipped and counted, so a half-filled file can be imported
and finished later). ``tagger labels import`` then runs :func:`import_csv`; the review page
(:mod:`tagger.apps.server`) saves through the same :func:`import_rows`. ``python train.py`` trains on
the imported paragraphs (source ``imported``, grouped by report in cross-validation).

Example:
    >>> row = validate_record({"id": "r:3", "text": "段落。", "text_sha": text_sha("段落。"),
    ...                        "labels": "volunteer_work;elderly_care"}, "f.csv, row 2")
    >>> row.doc, row.labels
    ('r', ('elderly_care', 'volunteer_work'))
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..common.atomic import atomic_write
from ..common.cells import guard_hash, paragraph_index_written, time_of_day_hint
from ..common.locks import file_lock
from ..common.files import EMPTY_FILE, csv_rows, csv_text_start, jsonl_line, read_text_file, strict_rows
from ..common.terminal import counted, grouped
from ..common.xlsx import CUT_ADVICE, is_cut
from ..data.examples import (AS_READ, IMPORTED_FILE, Example, load_jsonl, report_in_two_files, text_keys, text_sha,
                             training_rows)
from ..data.devset import MANIFEST_FILE as DEV_MANIFEST, dev_texts
from ..errors import InputError, LabelFileError, label_file_error
from ..labels import LABELS, NONE, format_label_cell, parse_label_cell
from ..text.normalize import paragraph_lines
from ..text.report import report_id_problem

__all__ = ["SUGGEST_COLUMNS", "LEGACY_SUGGEST_COLUMNS", "REQUIRED_COLUMNS", "MAX_ERRORS", "LabelRow",
           "ImportResult", "guard_hash", "check_project", "validate_record", "read_label_csv", "raise_errors",
           "import_rows", "import_csv", "cut_text_error", "RefusedFile", "OWN_ID", "reports_elsewhere", "report_taken"]

SUGGEST_COLUMNS = ("id", "report", "text", "predicted", *(f"score_{lab}" for lab in LABELS), "margin",
                   "labels", "text_sha")
"""Columns of the CSV written by :func:`tagger.annotation.suggest.write_suggestions`.

* ``id`` — paragraph id ``<report>:<index>`` (index among the report's non-blank lines, as
  :mod:`tagger.text.report` counts them);
* ``report`` — the report id (file stem);
* ``text`` — the original paragraph text (do not edit; it is checked against ``text_sha``);
* ``predicted`` — the model's labels as a label cell (``none``: no label);
* ``score_<label>`` — one column per label: the model's score in [0, 1] (3 decimals);
* ``margin`` — the ranking key, :func:`tagger.model.uncertainty.margin`: ``-log`` of the expected number of
  wrong label decisions, so smaller = less certain, ranked first (up to 27.6310 for a paragraph the model is
  sure of, below 0 when it expects more than one wrong decision);
* ``labels`` — **the column to fill**: label ids separated by ``;``, ``none`` for no label, empty to skip;
* ``text_sha`` — :func:`tagger.data.examples.text_sha` of ``text``.
"""

LEGACY_SUGGEST_COLUMNS = ("uncertainty",)
"""Columns files of earlier releases have in place of one of :data:`SUGGEST_COLUMNS`: ``uncertainty`` held
the same values as ``margin`` (a certainty margin, despite its name). Such files import as they did: like
``margin``, the column is optional and not read."""

REQUIRED_COLUMNS = ("id", "text", "labels", "text_sha")
"""Columns :func:`read_label_csv` needs; all others (``report``, scores, …) are optional."""

MAX_ERRORS = 20
"""Most problems listed in one error message."""

_SHA_RE = re.compile(r"[0-9a-f]{16}")
_IMPORT_LOCK = threading.Lock()  # threads of one process (the review server); the file lock covers processes


# --------------------------------------------------------------------------- the CSV format
def check_project(root: str | Path) -> Path:
    """``root`` as a path, if it is a project checkout (``labels/seeds.csv`` and ``seeds/``).

    Raises:
        LabelFileError: saying to run from the checkout or pass ``--root``.
    """
    root = Path(root)
    if not (root / "labels" / "seeds.csv").exists() or not (root / "seeds").is_dir():
        raise LabelFileError(f"{root}: not a tagger project (no labels/seeds.csv and seeds/); run from the "
                             "project checkout or pass --root")
    return root


# --------------------------------------------------------------------------- rows
@dataclass(frozen=True)
class LabelRow:
    """One validated row of a filled-in label file.

    Attributes:
        where: ``"<file>, row N"`` for messages.
        id: paragraph id ``<report>:<index>``.
        doc: report id.
        text: original paragraph text (stripped).
        text_sha: hash of ``text``.
        labels: canonical labels, ``()`` for none, ``None`` when not reviewed yet.
    """

    where: str
    id: str
    doc: str
    text: str
    text_sha: str
    labels: tuple[str, ...] | None


@dataclass
class ImportResult:
    """What :func:`import_rows` did (or, with ``dry_run``, would do)."""

    path: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    not_reviewed: list[str] = field(default_factory=list)
    already_labelled: list[tuple[str, str]] = field(default_factory=list)
    disagreements: list[tuple[str, str]] = field(default_factory=list)
    """Rows whose text is labelled elsewhere with other labels: (row id, "<row's labels> vs <other> (<its labels>)")."""
    elsewhere: dict[str, tuple[str, str]] = field(default_factory=dict)
    """For each row skipped as labelled elsewhere (:attr:`already_labelled`, :attr:`disagreements`): the source and
    id of the labelling kept (``("imported", "m2/export:2:0")``)."""
    dry_run: bool = False
    same_text: int = 0
    """Rows left out because an earlier row has their text and their labels (``same_text_once``)."""

    @property
    def changed(self) -> bool:
        """True when the label file was (or would be) rewritten."""
        return bool(self.added or self.updated)

    def summary(self) -> str:
        """Human-readable account of the import, several lines; counts grouped by thousands as everywhere else
        (:func:`tagger.common.terminal.grouped`).

        Example:
            >>> print(ImportResult(Path("labels/imported.jsonl"), added=["x"] * 50_000, dry_run=True).summary())
            labels/imported.jsonl: 50,000 added, 0 updated, 0 unchanged (dry run: nothing written)
        """
        verb = "would be" if self.dry_run else "were"
        once = "would be" if self.dry_run else "was"
        lines = [f"{self.path}: {grouped(len(self.added))} added, {grouped(len(self.updated))} updated, "
                 f"{grouped(len(self.unchanged))} unchanged" + (" (dry run: nothing written)" if self.dry_run else "")]
        if self.same_text:
            lines.append(f"{counted(self.same_text, 'paragraph')} with the text and the decision of another one "
                         f"(the same paragraph in two reports) {verb if self.same_text > 1 else once} imported once")
        if self.not_reviewed:
            lines.append(f"{grouped(len(self.not_reviewed))} row(s) not reviewed yet (empty labels cell, or skipped "
                         f"in the annotation tool) {verb} skipped; fill them ('{NONE}' for no label) and import again")
        if self.already_labelled:
            ex = ", ".join(f"{i} (= {o})" for i, o in self.already_labelled[:5])
            lines.append(f"{grouped(len(self.already_labelled))} row(s) already labelled elsewhere {verb} skipped: "
                         f"{ex}")
        if self.disagreements:
            ex = "; ".join(f"{i}: {d}" for i, d in self.disagreements[:5])
            lines.append(f"{grouped(len(self.disagreements))} row(s) repeat a paragraph labelled elsewhere with "
                         f"OTHER labels and {verb} skipped, the other labelling kept: {ex}; settle each (edit that file, "
                         "or labels/imported.jsonl with --update under the id shown)")
        if self.conflicts:
            lines.append(f"{grouped(len(self.conflicts))} row(s) differ from labels imported earlier and {verb} "
                         f"kept as they were: {', '.join(self.conflicts[:10])}; pass --update to overwrite them")
        if self.changed and not self.dry_run:
            lines.append("next: python train.py (it trains on these paragraphs)")
        return "\n".join(lines)


def _labels(raw: object, where: str) -> tuple[str, ...] | None:
    """The labels of a row: a label cell, or a list of ids (the review page; empty list = no label)."""
    if raw is None or isinstance(raw, str):
        return parse_label_cell(raw, where)
    if not isinstance(raw, (list, tuple)):
        raise ValueError(f"{where}: labels must be a ;-separated cell or a list of label ids")
    if not all(isinstance(t, str) for t in raw):
        raise ValueError(f"{where}: labels must be label ids (strings)")
    return parse_label_cell(";".join(raw), where) or ()


OWN_ID = ("give each report an id of its own across batches (a batch prefix in the --id-column values, e.g. "
          "2024q2-R1, or another file name), tag it again (or run tagger suggest again) and label it there")
"""What to do about a report whose paragraph ids, or whose id, another report's rows in the label files have."""


def reports_elsewhere(rows: Iterable[tuple[Example, str]]) -> dict[str, str]:
    """Each report (``doc``) of the label files other than ``labels/imported.jsonl`` (seeds, authored) among a
    project's training ``rows`` (:func:`~tagger.data.examples.training_rows`), with its first row (``file:line``):
    the reports an import may add no rows to (:func:`report_taken`)."""
    elsewhere: dict[str, str] = {}
    for ex, where in rows:
        if ex.source != "imported":
            elsewhere.setdefault(ex.doc, where)
    return elsewhere


def report_taken(doc: str, first: str, target: Path) -> str:
    """What ``tagger labels import`` says of a new row of the report ``doc`` that a seed or authored report has
    (``first``: its first row, :func:`reports_elsewhere`), imported into ``target``, and ``tagger suggest`` of such a
    report before it is labelled (with :data:`OWN_ID`, the way out): training would read the two as one report.

    Example:
        >>> report_taken("r7", "labels/authored_a.jsonl:3", Path("labels/imported.jsonl"))[:99]
        'report "r7" has rows in two label files (labels/authored_a.jsonl:3 and labels/imported.jsonl, where'
    """
    return report_in_two_files(doc, first, f"{target}, where it would be imported")


def cut_text_error(where: str, pid: str, harm: str) -> LabelFileError:
    """The refusal of a paragraph whose text an ``.xlsx`` output cut at the Excel cell limit
    (:func:`tagger.common.xlsx.is_cut`); ``harm`` says what using it would do.

    Example:
        >>> print(cut_text_error("f.csv, row 2", "r:0", "scored it would judge part of a paragraph"))  # doctest: +ELLIPSIS
        f.csv, row 2: the text of r:0 was cut at the Excel cell limit (...): it is not the report's paragraph, and scored it ...
    """
    return LabelFileError(f"{where}: the text of {pid} was cut at the Excel cell limit (an .xlsx output of tagger tag; "
                          f"the note at its end says so): it is not the report's paragraph, and {harm}; drop this "
                          f"row, or {CUT_ADVICE}")


def validate_record(record: Mapping[str, object], where: str) -> LabelRow:
    """Validate one row (CSV cells, or a JSON object from the review page).

    Keys: ``id``, ``text``, ``text_sha``, ``labels`` (a label cell, or a list of ids), optional
    ``report``. A leading ``'`` that :func:`tagger.common.cells.guard_cell` / :func:`guard_hash` added is removed.
    A text cut at the Excel cell limit (:func:`tagger.common.xlsx.is_cut`) is refused: it is not the paragraph.

    Raises:
        LabelFileError: naming ``where`` and what to do.
    """
    def cell(key: str) -> str:
        value = record.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise LabelFileError(f"{where}: {key!r} must be text, got {type(value).__name__}")
        return value.strip()

    pid = cell("id").lstrip("'")
    if not pid:
        raise LabelFileError(f"{where}: empty id; every row needs the id written by tagger suggest")
    doc, sep, index = pid.rpartition(":")
    # the index as tagger writes it: 2:00 is no id of its (a spreadsheet read the id 2:0 as a time and saved 2:00)
    if not sep or not paragraph_index_written(index) or report_id_problem(doc):
        raise LabelFileError(f"{where}: id {pid!r} is not '<report>:<paragraph index>'"
                             + (f" ({hint})" if (hint := time_of_day_hint(pid)) else "")
                             + "; restore it from the file tagger suggest wrote")
    report = cell("report")
    if report.startswith("'") and report[1:] == doc:
        report = report[1:]
    if report and report != doc:
        raise LabelFileError(f"{where}: report {report!r} does not match id {pid!r}; restore both from the "
                             "file tagger suggest wrote")
    sha = cell("text_sha").lstrip("'").lower()
    if not _SHA_RE.fullmatch(sha):
        raise LabelFileError(f"{where}: text_sha {sha!r} is not a 16-character hex hash (a spreadsheet may have "
                             "turned it into a number: format the column as text and copy it back from the "
                             "file tagger suggest wrote)")
    text = cell("text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise LabelFileError(f"{where}: the text of {pid} holds a lone surrogate (not valid Unicode text); "
                             "restore the original text") from None
    if text.startswith("'") and text_sha(text[1:]) == sha:
        text = text[1:].strip()
    if not text:
        raise LabelFileError(f"{where}: empty text; restore the paragraph text from the file tagger suggest wrote")
    if len(paragraph_lines(text)) > 1 or "\x00" in text:  # tagger's paragraphs are lines: none is this text
        what = "a NUL character" if "\x00" in text else "a line break"
        raise LabelFileError(f"{where}: the text of {pid} holds {what}, which no paragraph tagger reads does (a report "
                             "is split at its line breaks); restore the paragraph text from the file tagger suggest "
                             "wrote")
    if is_cut(text):
        raise cut_text_error(where, pid, "labelled it would be wrong training data")
    if text_sha(text) != sha:
        raise LabelFileError(f"{where}: the text of {pid} was changed (it no longer matches text_sha); restore "
                             "the original text: correct the labels column only")
    try:
        labels = _labels(record.get("labels"), where)
    except ValueError as exc:
        raise LabelFileError(str(exc)) from None
    return LabelRow(where, pid, doc, text, sha, labels)


# --------------------------------------------------------------------------- reading the CSV
def read_label_csv(path: str | Path, *, allow_empty: bool = False, text: str | None = None) -> list[LabelRow]:
    """Read and validate a filled-in suggestion CSV (rows checked one by one); ``allow_empty``: a file with no rows
    under its header gives ``[]`` (the caller says what that means for it) rather than an error; ``text``: the file's
    text when the caller has read it already (decoded as below: the file is not read again).

    Handles spreadsheet variants: UTF-8 with or without BOM, GB18030 (decoded by
    :func:`tagger.common.files.read_text_file`), CRLF line ends, quoted newlines, ``,``/tab/``;``
    delimiters, spaces after them (``"s:1", "志愿者…"``, while an unquoted ``s, "他说"是…`` is read as it is, and
    a row with both is refused: :func:`~tagger.common.files.csv_rows`; every cell is read without white space at
    its ends),
    trailing empty rows. Row numbers in messages are spreadsheet rows (the header is row 1).

    Raises:
        LabelFileError: for an empty or unreadable file, missing columns, malformed rows, an unknown
            label id, a changed text, a bad id or hash — every problem (up to 20) named by row.
    """
    path = Path(path)
    if text is None:
        try:
            text = read_text_file(path)
        except InputError as exc:
            raise label_file_error(exc) from None  # no --encoding: save as UTF-8
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise LabelFileError(f"{path}: {EMPTY_FILE}")
    # "id", "text": as head_columns reads it
    delimiter, (names, head_lines, _), lines = csv_text_start(text, path, error=LabelFileError)
    header = [h.lstrip("\ufeff").strip().lower() for h in names]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise LabelFileError(f"{path}: missing column(s) {', '.join(missing)}; the header must include "
                             f"{','.join(REQUIRED_COLUMNS)} (as written by tagger suggest)")
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise LabelFileError(f"{path}: column {dupes[0]!r} appears twice in the header")
    records: list[tuple[str, dict[str, str]]] = []
    errors: list[str] = []
    # a row's cells are stripped: read with spaces after the commas ("s:1", "志愿者…") or without (s, "他说"是…); the
    # lines counted from the file's first
    reader = csv_rows(lines, delimiter, spaced=True, start=head_lines)  # spaced or not: its cells are stripped
    for cells in strict_rows(reader, path, error=LabelFileError):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            errors.append(f"{reader.where(path)}: {len(cells)} cells but the header has {len(header)} columns; "
                          "quote cells that contain the delimiter")
            continue
        records.append((reader.where(path), dict(zip(header, cells + [""] * (len(header) - len(cells))))))
    rows = []
    for where, record in records:
        try:
            rows.append(validate_record(record, where))
        except LabelFileError as exc:
            errors.append(str(exc))
    errors += _duplicates(rows)[0]
    raise_errors(path, errors)
    if not rows and not allow_empty:
        raise RefusedFile(f"{path}: no rows under the header; ", "", "to")
    return rows


def _duplicates(rows: Sequence[LabelRow], same_text_once: bool = False) -> tuple[list[str], list[LabelRow]]:
    """Errors for repeated ids and repeated paragraph texts, and the rows to import. ``same_text_once``: a text
    given again with the same labels (one press release in two reports, reviewed alike) is no error — the later row
    is left out (:attr:`ImportResult.same_text`); with other labels it is, naming both rows' ids and labels. One text
    is one text as the model reads it (:func:`~tagger.data.examples.text_keys`): a copy in traditional script or with
    full-width letters repeats it."""
    errors = []
    kept: list[LabelRow] = []
    first_id: dict[str, LabelRow] = {}
    first_key: dict[str, LabelRow] = {}
    for row, key in zip(rows, text_keys(rows)):
        first = first_key.get(key)
        how = "" if first is None or first.text_sha == row.text_sha else f", {AS_READ},"
        if row.id in first_id:
            errors.append(f"{row.where}: duplicate id {row.id} (first at {first_id[row.id].where}); keep one row")
        elif first is not None and same_text_once and first.labels == row.labels:
            first_id.setdefault(row.id, row)
            continue  # one decision on one text: imported once (said in the summary)
        elif first is not None and first.labels != row.labels:
            errors.append(f"{row.where} ({row.id}, labels {_cell(row.labels)}): same paragraph text as "
                          f"{first.where} ({first.id}, labels {_cell(first.labels)}){how} with other labels; decide "
                          "it once: make the two decisions agree, or keep one row")
        elif first is not None:
            errors.append(f"{row.where}: same paragraph text as {first.where} ({first.id}){how.rstrip(',')}; keep one "
                          "row")
        first_id.setdefault(row.id, row)
        first_key.setdefault(key, row)
        kept.append(row)
    return errors, kept


def _cell(labels: tuple[str, ...] | None) -> str:
    """Labels as a message names them: a label cell, ``none``, or ``not reviewed``."""
    return "not reviewed" if labels is None else format_label_cell(labels) or NONE


_VERBS = {"import": "imported", "score": "scored", "export": "exported"}
"""The commands that read label files, and what their messages say they did not do."""


class RefusedFile(LabelFileError):
    """A label file refused as a whole, its message ``before`` + what was not done + ``after``: ``nothing was
    imported`` (``how="was"``) or ``nothing to import`` (``how="to"``) for ``labels import``, the command the
    readers are written for; :meth:`for_command` says it for another command reading the same file (evaluate
    scores it, labels export exports it), :meth:`with_hint` adds to its end — no message text is rewritten.

    Example:
        >>> exc = RefusedFile("f.csv, row 2: bad; ", "", "was")
        >>> str(exc), str(exc.for_command("score").with_hint(" (hint)"))
        ('f.csv, row 2: bad; nothing was imported', 'f.csv, row 2: bad; nothing was scored (hint)')
    """

    def __init__(self, before: str, after: str, how: str, command: str = "import") -> None:
        self.before, self.after, self.how, self.command = before, after, how, command
        done = f"nothing was {_VERBS[command]}" if how == "was" else f"nothing to {command}"
        super().__init__(f"{before}{done}{after}")

    def __reduce__(self):  # picklable with its parts (raised by public functions, e.g. in a worker process)
        return type(self), (self.before, self.after, self.how, self.command)

    def for_command(self, command: str) -> RefusedFile:
        """The same refusal, in the words of ``command`` (a key of :data:`_VERBS`)."""
        return RefusedFile(self.before, self.after, self.how, command)

    def with_hint(self, hint: str) -> RefusedFile:
        """The same refusal with ``hint`` at its end."""
        return RefusedFile(self.before, self.after + hint, self.how, self.command)


def raise_errors(source: str | Path, errors: list[str], advice: str = "") -> None:
    """Raise one :class:`LabelFileError` listing ``errors`` (at most :data:`MAX_ERRORS`); nothing when empty.
    ``advice``: what to do about several of them, said once — after the one error, or on an indented line after the
    list (a line the CLI shows as it is, :func:`~tagger.common.terminal.message_safe`).

    Example:
        >>> raise_errors("f.csv", [])
        >>> raise_errors("f.csv", ["f.csv, row 2: bad"], "Fix it")
        Traceback (most recent call last):
        ...
        tagger.annotation.labelfiles.RefusedFile: f.csv, row 2: bad. Fix it; nothing was imported
        >>> raise_errors("f.csv", ["row 2: bad", "row 3: bad"], "Fix them")
        Traceback (most recent call last):
        ...
        tagger.annotation.labelfiles.RefusedFile: f.csv: 2 problems, nothing was imported:
          row 2: bad
          row 3: bad
          Fix them
    """
    if not errors:
        return
    if len(errors) == 1:
        raise RefusedFile(f"{errors[0]}{'. ' + advice if advice else ''}; ", "", "was")
    shown = "\n  ".join(errors[:MAX_ERRORS])
    more = f"\n  … and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
    after = f"\n  {advice}" if advice else ""
    raise RefusedFile(f"{source}: {len(errors)} problems, ", f":\n  {shown}{more}{after}", "was")


# --------------------------------------------------------------------------- the merge
def _row_json(row: LabelRow, labels: tuple[str, ...], doc: str | None = None) -> str:
    return jsonl_line({"id": row.id, "doc": doc or row.doc, "text": row.text, "labels": list(labels),
                       "source": "imported", "text_sha": row.text_sha})[:-1]


def _skip_labelled(result: ImportResult, row: LabelRow, other: Example) -> None:
    """A row whose text is labelled already (``other``: its text, or a copy the model reads as it) is skipped; a
    different decision is named, not lost."""
    result.elsewhere[row.id] = (other.source, other.id)
    name = f"{other.source} {other.id}" + ("" if text_sha(other.text) == row.text_sha else " as the model reads it")
    if set(other.labels) == set(row.labels or ()):
        result.already_labelled.append((row.id, name))
    else:
        result.disagreements.append((row.id, f"{format_label_cell(row.labels or ()) or NONE} vs {name} "
                                             f"({format_label_cell(other.labels) or NONE})"))


def _taken_advice(taken: Mapping[str, int], target: Path, own_id: Callable[[Collection[str]], str] | None,
                  ids: Collection[str], listed: bool) -> str:
    """What to do about rows whose id another text has (``taken``: how many were imported earlier, how many are a
    seed's or authored paragraph's), said once after them (``listed``: after a list of problems): the two causes of
    an id imported earlier with another text, or the one of a seed's (another report has the same id), with
    ``own_id``'s way out (else :data:`OWN_ID`)."""
    way = own_id(ids) if own_id else OWN_ID
    if not taken["imported"]:
        advice = way
    else:
        also = " (the only cause where a seed or authored paragraph has the id)" if taken["other"] else ""
        advice = (f"either the report was corrected since that import: remove the old rows from {target} and import "
                  f"again (--update overwrites labels, never a text); or another report has the same id{also}: {way}")
    if listed:
        return f"For the {counted(sum(taken.values()), 'id')} above that other texts have: {advice}"
    return advice[:1].upper() + advice[1:]


def import_rows(rows: Sequence[LabelRow | Mapping[str, object]], root: str | Path = ".", *,
                update: bool = False, dry_run: bool = False, source: str = "label rows",
                own_id: Callable[[Collection[str]], str] | None = None, same_text_once: bool = False
                ) -> ImportResult:
    """Merge validated label rows into ``labels/imported.jsonl`` of project ``root``.

    For each reviewed row (rows whose labels are ``None`` are counted as not reviewed):

    * its id is already imported: same labels → unchanged; other labels → updated with ``update``,
      otherwise kept and reported as a conflict; a different text → error;
    * its id belongs to a seed or authored paragraph: same text → skipped (edit that file instead),
      a different text → error (rename the report);
    * its text is already labelled under another id (any source), or a copy the model reads as it (in the other
      script, with full-width letters: :func:`~tagger.data.examples.text_keys`) → skipped (with other labels: reported
      as a disagreement, naming both decisions);
    * its report (``doc``) is a report of a seed or authored file → error (a report's rows are in one label file:
      rename the report);
    * otherwise → added.

    The whole input is validated (also duplicate ids and duplicate texts) before anything is written;
    the file is then rewritten atomically under a lock, existing rows byte-for-byte unless updated.

    Args:
        rows: :class:`LabelRow` objects, or mappings validated here with :func:`validate_record`.
        root: project checkout.
        update: overwrite labels of rows imported earlier.
        dry_run: validate and count, write nothing.
        source: name used in messages for mapping rows (e.g. ``"review page"``).
        own_id: what to do when a row's id is taken by another report's text (imported earlier, or a seed's), if
            the caller has a way to give the rows ids of their own that keeps their labels (``tagger review --export
            --id-prefix``): called once with the ids taken (imported, seed and authored paragraphs); by default: tag
            the reports again under ids of their own.
        same_text_once: rows that repeat a text with the same labels (``tagger review --export``: one press release
            reposted in two reports, reviewed alike) are imported once, and counted in the summary; by default (a
            label file a person filled in) they are refused as all repeated texts are. Repeated texts with other
            labels are refused either way, naming both rows, their ids and labels.

    Raises:
        LabelFileError: naming the rows, with nothing written.
    """
    root = check_project(root)
    errors: list[str] = []
    valid: list[LabelRow] = []
    for i, row in enumerate(rows, start=1):
        if isinstance(row, LabelRow):
            valid.append(row)
            continue
        try:
            valid.append(validate_record(row, f"{source}, row {i}"))
        except LabelFileError as exc:
            errors.append(str(exc))
    repeated, once = _duplicates(valid, same_text_once)
    raise_errors(source, errors + repeated)
    same_text, valid = len(valid) - len(once), once  # each row left out repeats a text and its decision
    target = root / IMPORTED_FILE
    lock = root / IMPORTED_FILE.parent / ".imported.lock"
    if not dry_run:
        lock.parent.mkdir(parents=True, exist_ok=True)
    # a dry run only reads (the file is rewritten atomically): it takes the lock an import made, and makes none
    with _IMPORT_LOCK, (file_lock(lock) if not dry_run or lock.exists() else contextlib.nullcontext()):
        dev = dev_texts(root)
        rows_read = training_rows(root, use_authored=True, dev=dev)
        examples = [ex for ex, _ in rows_read]
        by_id: dict[str, Example] = {ex.id: ex for ex in examples}
        elsewhere = reports_elsewhere(rows_read)
        clashed: set[str] = set()  # the reports refused so (once each)
        by_key: dict[str, Example] = {}  # the text as the model reads it: a copy in the other script is labelled too
        for ex, key in zip(examples, text_keys(examples)):
            by_key.setdefault(key, ex)
        result = ImportResult(target, dry_run=dry_run, same_text=same_text)
        replace: dict[str, str] = {}
        new_lines: list[str] = []
        taken = {"imported": 0, "other": 0}  # rows whose id another text has: the advice is said once, after them
        for row, key in zip(valid, text_keys(valid)):
            if row.labels is None:
                result.not_reviewed.append(row.id)
                continue
            found = dev.find(row.text, key)
            if found:
                errors.append(f"{row.where}: {row.id} is paragraph {found} of the real dev set ({DEV_MANIFEST}), "
                              "which is for scoring only; drop this row")
                continue
            ex = by_id.get(row.id)
            if ex is not None and ex.source != "imported":
                if text_sha(ex.text) == row.text_sha:
                    _skip_labelled(result, row, ex)
                else:
                    taken["other"] += 1
                    errors.append(f"{row.where}: id {row.id} is already used by a {ex.source} paragraph with "
                                  "another text")
            elif ex is not None:
                if text_sha(ex.text) != row.text_sha:
                    taken["imported"] += 1
                    errors.append(f"{row.where}: {row.id} was imported earlier with another text")
                elif ex.labels == row.labels:
                    result.unchanged.append(row.id)
                elif update:
                    result.updated.append(row.id)
                    replace[row.id] = _row_json(row, row.labels, ex.doc)
                else:
                    result.conflicts.append(row.id)
            elif key in by_key:
                _skip_labelled(result, row, by_key[key])
            elif row.doc in elsewhere:
                if row.doc not in clashed:
                    clashed.add(row.doc)
                    taken["other"] += 1
                    errors.append(f"{row.where}: id {row.id}: {report_taken(row.doc, elsewhere[row.doc], target)}")
            else:
                result.added.append(row.id)
                new_lines.append(_row_json(row, row.labels))
        raise_errors(source, errors, _taken_advice(taken, target, own_id, by_id.keys(), len(errors) > 1)
                     if any(taken.values()) else "")
        if result.changed and not dry_run:
            old_lines: list[str] = []
            if target.exists():
                for line in read_text_file(target).split("\n"):
                    if not line.strip():
                        continue
                    pid = json.loads(line).get("id")  # valid: training_rows read it above
                    old_lines.append(replace.get(pid, line))
            with atomic_write(target, "w", encoding="utf-8") as fh:
                fh.write("\n".join(old_lines + new_lines) + "\n")
            load_jsonl(target, source="imported")  # the written file reads back
    return result


def import_csv(path: str | Path, root: str | Path = ".", *, update: bool = False,
               dry_run: bool = False, text: str | None = None) -> ImportResult:
    """``tagger labels import``: :func:`read_label_csv` then :func:`import_rows` (``text``: the file's, read already).

    Example:
        >>> import_csv("to_label.csv", ".").summary()  # doctest: +SKIP
        'labels/imported.jsonl: 8 added, 0 updated, 0 unchanged\\n…'
    """
    return import_rows(read_label_csv(path, text=text), root, update=update, dry_run=dry_run, source=str(path))
