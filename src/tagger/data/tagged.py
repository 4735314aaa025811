"""Reading a tagged corpus: the file ``tagger tag … -o FILE`` writes (JSONL, CSV, Parquet, .xlsx, SQLite),
one row per paragraph, as a pandas DataFrame with the labels to count.

The labels to count are the *effective* ones: a person's decision (``reviewed_labels``, written by
``tagger review``) where a paragraph was reviewed, else the model's ``labels``. A decision whose ``reviewed_sha``
(the hash of the text it was made on) is not the hash of the text its row holds now — the text was corrected
since — counts as none: the model's labels count, and the decision is named (:class:`StaleDecision`, a warning)
and marked (the column :data:`STALE`); a decision without a hash (a file written before it was kept) counts as it
did.
:func:`read_tagged` adds them as ``effective_labels`` (a tuple of label ids in :data:`tagger.labels.LABELS`
order) and ``reviewed`` (whether a person decided). Summary rows (``row_type`` ``report``/``corpus``, from
``--summary``) are dropped, and so are blank rows (CSV and .xlsx rows of empty cells, Parquet rows of
nulls: a spreadsheet keeps rows once formatted). Any other column (``company``, ``date`` … carried over with
``--keep-columns``) is kept as it is. The frame's index is the line (JSONL, CSV) or row (Parquet,
.xlsx, SQLite ``id``) of the file, so messages can name it: :func:`where`.

A large file is read in part: ``columns`` names what to read besides :data:`COUNTED_COLUMNS` (the text
of 500,000 paragraphs is most of a file and of the memory it takes), and a caller's ``check`` refuses
before any row is read (a column the file lacks).

One reader per file extension, in :data:`READERS`. A reader returns the file's rows with their cells
as read (labels as a list or a label cell) after :func:`check_columns`; the rest is shared.

Example:
    >>> df = read_tagged("tagged.jsonl")  # doctest: +SKIP
    >>> df[["paragraph", "effective_labels", "reviewed"]].head()  # doctest: +SKIP
    >>> counted = read_tagged("tagged.jsonl", ["company"])  # doctest: +SKIP
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import itertools
import json
import logging
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ..common.atomic import SQLITE_HEADER
from ..common.cells import is_missing, paragraph_index_written, time_of_day_hint, unguard_cell, unguard_row
from ..common.files import (EMPTY_FILE, GENERATOR_MARK, NO_SUCH_FILE, CsvDictRows, JsonProblem, cells_beyond_header,
                            check_header, csv_delimiter, csv_header, csv_lines_start, first_in_run, first_line_of,
                            iter_json_lines, json_start, load_json, open_text_stream, open_workbook, path_exists,
                            quote_after_space_hint, read_text_lines, replace_surrogates, sheet_row_note, strict_rows,
                            text_lines)
from ..common.progress import progress_bar, shows_progress
from ..common.signals import signals_held
from ..common.terminal import counted, shell_arg
from ..common.xlsx import DateText, date_text, is_cut
from ..errors import FileInUseError, InputError, TaggerError, quote_cell
from ..labels import EARLIER_TABLE_NAMES, LABELS, TABLE_NAMES, format_label_cell, parse_label_cell, validate_labels

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from openpyxl import Workbook

log = logging.getLogger(__name__)

__all__ = ["SCIENTIFIC_NUMBER", "paragraph_id_problem", "model_record", "read_tagged", "review_journal", "review_lock", "review_work",
           "warn_unmerged", "READERS", "REQUIRED_COLUMNS",
           "SCORE_COLUMNS", "COUNTED_COLUMNS", "HeaderCheck", "as_score", "DERIVED_COLUMNS", "WRITTEN_BY",
           "check_columns", "where", "line_of", "PLACE", "SHEET_ROWS", "TAGGED_FILE", "read_tagged_files", "file_names", "label_list",
           "decimal_point", "whole_number", "recorded_left_out", "LEFT_OUT", "read_csv_rows", "looks_tagged", "earlier_output", "EARLIER_OUTPUTS",
           "without_earlier_outputs", "stale_journal", "COPY_MIN_CHARS", "report_content", "earlier_copy",
           "journal_lines", "JournalEntry", "JournalConflict", "replay_journal", "JournalReplay",
           "decision_time", "journal_decision",
           "journal_conflicts_note", "keep_stale_decisions", "StaleDecision", "STALE", "decision_sha",
           "made_on_text", "stale_decision", "stale_decisions_note", "set_journal_aside", "is_paragraph_row",
           "unknown_row_type", "checked_kinds", "NO_KIND_NOTE", "hold_review_lock", "review_session_note",
           "review_name_problem", "review_commands", "review_copy", "csv_row_place", "read_back_streamed",
           "streams_back", "jsonl_frames",
           "csv_row_parts", "STREAM_ROWS", "KEPT_BYTES", "REVIEW_SESSION", "RETAG", "TAG_OUTPUT",
           "PARAGRAPH_ROW_TYPES", "SUMMARY_ROW_TYPES", "REVIEW_FIELDS", "QUEUE_COLUMNS", "COUNT_COLUMNS", "TAG_COLUMNS",
           "SUMMARY_ONLY_COLUMNS", "SUMMARY_ROW_COLUMNS", "tag_columns", "is_tagged_file", "is_tagged_head",
           "is_tagged_text", "head_text", "kept_columns", "tagged_columns", "Decision", "TaggedParagraph",
           "TaggedReport", "ReadBack", "read_back", "has_tagged_columns", "head_columns", "head_lines", "tagged_table",
           "tagged_sheet",
           "TaggedTable", "stray_row", "has_marks", "tag_shaped", "tag_written", "tag_sign"]

SCORE_COLUMNS = tuple(f"score_{lab}" for lab in LABELS)
REQUIRED_COLUMNS = ("report", "paragraph", "text", "labels", *SCORE_COLUMNS)
"""Columns every paragraph row of a tagged file has."""
COUNTED_COLUMNS = ("row_type", "report", "paragraph", "kind", "labels", "reviewed_labels", "reviewed_sha")
"""Columns :func:`read_tagged` always reads (``row_type``, ``kind``, ``reviewed_labels`` and ``reviewed_sha`` where
the file has them): what counting needs besides the group columns (headings and captions are not counted; a
decision's hash, to tell whether it was made on the text its row holds, has the texts read as well)."""
STALE = "stale_decision"
"""The column :func:`read_tagged` adds beside ``reviewed``: whether the row holds a review decision made on another
text than the row holds now (its ``reviewed_sha`` is another text's: the text was edited since), which is not
applied (``reviewed`` is ``False``, ``reviewed_labels`` empty there). ``frame[frame[STALE]]`` lists them all."""
DERIVED_COLUMNS = ("effective_labels", "reviewed", STALE)
"""Columns :func:`read_tagged` adds (an input column of the same name is refused)."""
WRITTEN_BY = "tagger tag REPORTS -o FILE.jsonl (or .csv, .parquet, .xlsx, .sqlite)"
PARAGRAPH_ROW_TYPES = ("paragraph", "")
"""``row_type`` values of a paragraph row (a missing or null ``row_type`` is one too)."""
SUMMARY_ROW_TYPES = ("report", "corpus")
"""``row_type`` values of the summary rows ``--summary`` adds: not paragraphs, left out."""


def unknown_row_type(where: str, value: object) -> InputError:
    """The error for a ``row_type`` that is neither a paragraph's nor a summary's: a file cut short inside a
    row's first cell, or not a tagged file.

    Example:
        >>> print(unknown_row_type("t.csv:4", "par"))
        t.csv:4: row_type 'par' is not paragraph, report or corpus; is this the file tagger tag wrote, and was it cut short?
    """
    if isinstance(value, str) and value.lstrip("\ufeff").strip() == "row_type":  # a header again: `cat a.csv b.csv`
        return InputError(f"{where}: a second header row (row_type, report, …) inside the rows: files joined one "
                          "after another (cat a.csv b.csv)? give them to tagger stats as separate files (tagger "
                          "stats a.csv b.csv counts them together), or join them without the later files' header rows "
                          "(JSONL files join as they are)")
    return InputError(f"{where}: row_type {quote_cell(value)} is not paragraph, report or corpus; is this the file "
                      "tagger tag wrote, and was it cut short?")


def is_paragraph_row(row: dict, where: str) -> bool:
    """Whether a row of a tagged file is a paragraph (``True``) or a summary row (``False``).

    Raises:
        InputError: for any other ``row_type`` (:func:`unknown_row_type`), naming ``where``.

    Example:
        >>> is_paragraph_row({"row_type": "paragraph"}, "t.jsonl:1"), is_paragraph_row({"row_type": "report"}, "t.jsonl:2")
        (True, False)
    """
    kind = row.get("row_type")
    if is_missing(kind) or kind in PARAGRAPH_ROW_TYPES:
        return True
    if kind in SUMMARY_ROW_TYPES:
        return False
    raise unknown_row_type(where, kind)


PLACE = "place"
"""The index name of a frame of several tagged files (:func:`read_tagged_files`): each row's ``file:line``."""


def where(path: str | Path, df: pd.DataFrame, index: object) -> str:
    """``file:line`` (or ``file:row N`` for Parquet) of a row of a frame :func:`read_tagged` returned — a CSV's row
    with its spreadsheet row where that differs (:func:`~tagger.common.files.sheet_row_note`, as every message naming
    a CSV row says it); a row of a frame of several files (:func:`read_tagged_files`) is named by its own place,
    whatever ``path`` says. An empty ``path``: the file the frame was read from (:data:`TAGGED_FILE`), else
    ``row 3 of the frame``.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"report": ["r"]}, index=pd.Index([3], name="line"))
        >>> where("t.jsonl", df, 3), where("t.jsonl", df.rename_axis(PLACE).rename(index={3: "feb.csv:3"}), "feb.csv:3")
        ('t.jsonl:3', 'feb.csv:3')
        >>> df.attrs[SHEET_ROWS] = {3: 2}
        >>> where("t.csv", df, 3)
        't.csv:3 (row 2 in a spreadsheet)'
        >>> where("", df, 3)
        'row 3 of the frame'
        >>> df.attrs[TAGGED_FILE] = "t.csv"
        >>> where("", df, 3)
        't.csv:3 (row 2 in a spreadsheet)'
    """
    if df.index.name == PLACE:
        return str(index)
    path = str(path) or df.attrs.get(TAGGED_FILE, "")
    if not path:  # a frame whose file is not known (no name given, its attrs dropped): ":row 3" named nothing
        return f"row {index!r} of the frame"
    if df.index.name == "row":
        return f"{path}:row {index}"
    return csv_row_place(path, index, df.attrs.get(SHEET_ROWS, {}))  # type: ignore[arg-type]


def line_of(df: pd.DataFrame, index: object) -> str:
    """The place of a row of a frame :func:`read_tagged` returned within its file, as a message names it after the
    file: ``line 5`` (a CSV's with its spreadsheet row where that differs: ``line 5 (row 4 in a spreadsheet)``),
    ``row 5`` (Parquet) — or ``feb.csv:5`` for a frame of several files.

    Example:
        >>> import pandas as pd
        >>> line_of(pd.DataFrame(index=pd.Index([5], name="line")), 5)
        'line 5'
    """
    if df.index.name == PLACE:
        return str(index)
    sheet_row = df.attrs.get(SHEET_ROWS, {}).get(index, index)
    return f"row {index}" if df.index.name == "row" else f"line {index}{sheet_row_note(index, sheet_row)}"


def csv_row_place(path: str | Path, line: int, sheet_rows: dict[int, int]) -> str:
    """How a message names the row of the tagged CSV ``path`` on file line ``line``: ``path:line``, its spreadsheet
    row added where that differs (``sheet_rows``: what :func:`read_csv_rows` filled; :func:`sheet_row_note`).

    Example:
        >>> csv_row_place("t.csv", 4, {4: 3}), csv_row_place("t.csv", 2, {})
        ('t.csv:4 (row 3 in a spreadsheet)', 't.csv:2')
    """
    return f"{path}:{line}{sheet_row_note(line, sheet_rows.get(line, line))}"


TAGGED_FILE = "tagged_file"
"""The ``attrs`` key of a frame :func:`read_tagged` returned under which the file it was read from is kept: the rows of
a frame given without its file name (``corpus_stats(read_tagged(path))``) are named by it (:func:`where`)."""
SHEET_ROWS = "sheet_rows"
"""The ``attrs`` key of a frame read from a CSV (:func:`read_tagged`) under which the spreadsheet row of each row whose
file line differs is kept (line breaks inside cells above it: :func:`read_csv_rows`), for :func:`where` and
:func:`line_of`."""


def check_columns(path: str | Path, columns: Iterable[str], *, kind: str | None = None) -> None:
    """Refuse a file that is not a tagged file (a required column is missing), whose header names a column
    twice, or whose columns clash with the ones :func:`read_tagged` adds. ``kind``: the first row's ``kind`` cell
    when that is what makes the table tag's (a CSV of tag's with its score columns deleted, told by its rows, not its
    columns): a refusal names it as the reason, and what a person who made the file turns it into a table of theirs
    with (the one wording of why a file was read as tag's, by its columns or by ``kind``).

    Raises:
        InputError: naming the file, the missing columns and the command that writes a tagged file.

    Example:
        >>> check_columns("x.csv", ["id", "text"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: x.csv: not a tagged file: no column report, paragraph, labels, score_elderly_care, ...; write one with tagger tag REPORTS -o FILE.jsonl (or .csv, .parquet, .xlsx, .sqlite)
        >>> check_columns("x.csv", ["text", "labels", "kind"], kind="body")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: x.csv: a tagged file without ... Read as tag's by its kind column ('body' in its first row, as tag writes it): if you made this file by hand, drop or rename kind, or add an id column
    """
    columns = list(columns)
    have = set(columns)
    missing = [c for c in REQUIRED_COLUMNS if c not in have]
    if missing and (kind is not None or tag_shaped(columns)):  # tag's table with columns deleted since
        if kind is not None:
            why = (f"by its kind column ({kind!r} in its first row, as tag writes it): if you made this file by hand, "
                   "drop or rename kind, or add an id column")
        else:
            sign = tag_sign(columns)
            why = (f"by its column(s) {', '.join(sign)}: if you made this file by hand, rename or drop "
                   + ("that column" if len(sign) == 1 else "them"))
        raise InputError(f"{path}: a tagged file without its column(s) {', '.join(missing)} (deleted in a spreadsheet, "
                         "or a trimmed copy?): put them back from the file tagger tag wrote, or tag the reports it "
                         f"came from again. Read as tag's {why}")
    if missing:
        kind = _written_as(path) if Path(path).is_file() else None
        if kind is not None and kind != "tag":  # what it is instead, as tag says it: stats counts, an export …
            raise InputError(f"{path}: not a tagged file but {EARLIER_OUTPUTS[kind]}; give the tagged file it came "
                             f"from (written by {WRITTEN_BY})")
        raise InputError(f"{path}: not a tagged file: no column {', '.join(missing)}; write one with {WRITTEN_BY}")
    check_header(columns, str(path))
    clash = [c for c in DERIVED_COLUMNS if c in have]
    if clash:
        raise InputError(f"{path}: has a column named {clash[0]!r}, which tagger stats computes itself; "
                         "rename that column")


def decimal_point(cell: object) -> object:
    """A number cell with a decimal comma (``0,98``: a spreadsheet saved it in a locale that writes numbers
    so) written with a point; other cells unchanged.

    Example:
        >>> decimal_point("0,98"), decimal_point("0.98"), decimal_point(0.5)
        ('0.98', '0.98', 0.5)
    """
    return cell.replace(",", ".") if isinstance(cell, str) else cell


def as_score(cell: object) -> float | None:
    """A score cell as a number between 0 and 1 (text too, with a decimal comma: :func:`decimal_point`), or
    ``None`` for anything else (empty, NaN, out of range, a word, a boolean): the one test of a score cell.

    Example:
        >>> as_score("0,98"), as_score(0.5), as_score(" 1 "), as_score("1.5"), as_score(""), as_score(True)
        (0.98, 0.5, 1.0, None, None, None)
    """
    if isinstance(cell, bool):
        return None
    try:
        value = float(decimal_point(cell.strip()) if isinstance(cell, str) else cell)
    except (TypeError, ValueError):
        return None
    return value if 0.0 <= value <= 1.0 else None  # NaN fails both comparisons


_LIST_TEXT = re.compile(r"\s*\[.*\]\s*", re.DOTALL)


def label_list(value: object, where: str, empty_means_none: bool = True) -> tuple[str, ...] | None:
    """Labels of a cell as read: a list of ids (JSONL, Parquet) or a label cell (CSV; see
    :func:`tagger.labels.parse_label_cell`). An empty cell is no label (``labels``) or not reviewed
    (``reviewed_labels``, ``empty_means_none=False``: then ``None``).

    Raises:
        InputError: an unknown label id or a cell that is not labels (names ``where``).

    Example:
        >>> label_list("volunteer_work;elderly_care", "x"), label_list("", "x"), label_list("", "x", False)
        (('elderly_care', 'volunteer_work'), (), None)
        >>> label_list(["elderly_care"], "x"), label_list("none", "x", False)
        (('elderly_care',), ())
    """
    try:
        if is_missing(value):
            return () if empty_means_none else None
        if isinstance(value, str):
            if _LIST_TEXT.fullmatch(value):  # "[]", "['elderly_care']": a list pandas' to_csv wrote as its repr
                raise InputError(f"{where}: the labels cell {quote_cell(value)} is a Python list written as text (what "
                                 "pandas' to_csv makes of tag_frame's label lists), not a label cell; before to_csv, "
                                 "write label cells: df['labels'] = df['labels'].map(tagger.labels.format_label_cell) "
                                 "(reviewed_labels likewise), or save the frame with to_parquet (its cells stay lists); "
                                 "a frame read back with read_csv: df['labels'] = df['labels'].map(ast.literal_eval)")
            parsed = parse_label_cell(value, where)
            return parsed if parsed is not None else (() if empty_means_none else None)
        if hasattr(value, "tolist"):  # a numpy array (Parquet list cell)
            value = value.tolist()
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return validate_labels(list(value), where)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    raise InputError(f"{where}: labels must be a list of label ids or a label cell, got {type(value).__name__}")


# --------------------------------------------------------------------------- readers, one per extension
HeaderCheck = Callable[[list[str]], None]
"""A caller's own check of a tagged file's columns before its rows are read (see :func:`read_tagged`)."""


def _check_header(path: Path, names: list[str], check: HeaderCheck | None) -> None:
    """:func:`check_columns`, then the caller's ``check`` with the columns the frame can have."""
    check_columns(path, names)
    if check is not None:
        check([*names, *DERIVED_COLUMNS])


def _kept(names: Iterable[str], columns: Collection[str] | None) -> list[str]:
    """The names of ``names`` a reader keeps: all of them, or those in ``columns``, in the file's order."""
    return [n for n in names if columns is None or n in columns]


def _mentions(path: Path, words: Iterable[str], as_key: bool = False) -> set[str]:
    """Which of ``words`` the bytes of the file ``path`` hold, in any encoding a tagged file is read in (or as
    JSON writes it with ``\\u`` escapes); a false alarm now and then (a text cell quoting the word). ``as_key``:
    only as a JSON object's key (``"word":``), never a word in a text, whose quotes JSON escapes (a key of an object
    inside a cell still counts). One pass over the bytes, never decoded, ended once every word is found.

    Raises:
        OSError: the file cannot be read.
    """
    needles: dict[str, set[bytes]] = {}
    for word in words:
        forms = {json.dumps(word, ensure_ascii=False)[1:-1], json.dumps(word)[1:-1]}
        if as_key:
            forms = {f'"{form}"{colon}' for form in forms for colon in (":", " :")}
        else:
            forms.add(word)
        needles[word] = {form.encode(enc) for form in forms for enc in _NEEDLE_ENCODINGS if _encodes(form, enc)}
    if not needles:
        return set()
    overlap = max(len(n) for forms in needles.values() for n in forms) - 1
    found: set[str] = set()
    tail = b""
    with open(path, "rb") as fh:
        while len(found) < len(needles) and (block := fh.read(1 << 20)):
            data = tail + block
            found.update(w for w, forms in needles.items() if w not in found and any(n in data for n in forms))
            tail = data[-overlap:] if overlap else b""
    return found


_NEEDLE_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "gb18030", "cp950")


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _check_jsonl_header(path: Path, first: dict, columns: Collection[str] | None, check: HeaderCheck | None) -> None:
    """:func:`_check_header` for a JSONL file, whose first paragraph row stands for a header. Later rows may have
    keys it lacks (``reviewed_labels`` only where a person decided, in a file written by other means): a name
    of ``columns`` the row lacks, when ``check`` refuses the row's keys, is looked for as a key in the file's
    bytes (:func:`_mentions`, a fraction of the time the rows take to read) and refused only if no row has it:
    at once, the row's keys named as the file's columns (a word in the texts, or a label, is no column)."""
    check_columns(path, first)
    if check is None:
        return
    names = [*first, *DERIVED_COLUMNS]
    try:
        check(names)
    except TaggerError:
        later = sorted(_mentions(path, [c for c in columns or () if c not in first], as_key=True))
        if not later:
            raise
        check([*names, *later])


def _line_count(path: Path, lone_cr: bool = False) -> int | None:
    """How many lines the file ``path`` has (a progress bar's total): one pass over its bytes; ``None`` for
    UTF-16/32, where a byte 10 is not always a line end. ``lone_cr``: a lone ``\\r`` ends a line too (a file saved
    by an old Mac program), as a CSV reader takes lines.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = Path(d, "t.csv")
        ...     _ = p.write_bytes(b"a\\r\\nb\\rc")
        ...     _line_count(p, lone_cr=True), _line_count(p)
        (3, 2)
    """
    count, last = 0, b"\n"
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\0" in head:
            return None
        fh.seek(0)
        while block := fh.read(1 << 20):
            count += block.count(b"\n")
            if lone_cr:  # a \r\n cut between two blocks is one line end
                count += block.count(b"\r") - block.count(b"\r\n") - (last == b"\r" and block[:1] == b"\n")
            last = block[-1:]
    return count + (last not in (b"\n", b"\r" if lone_cr else b"\n"))


def _read_jsonl(path: Path, columns: Collection[str] | None = None, check: HeaderCheck | None = None,
                progress: bool | None = False, decided_texts: bool = False) -> pd.DataFrame:
    """The rows of a JSONL file, parsed line by line; only the keys in ``columns`` are kept from each object
    as it is parsed (a key a row lacks is NaN there, as pandas makes it). ``decided_texts``: as :data:`READERS`
    say (the text of a row whose ``reviewed_sha`` is filled, in any row)."""
    return next(jsonl_frames(path, columns, check, progress, decided_texts=decided_texts))


def jsonl_frames(path: Path, columns: Collection[str] | None = None, check: HeaderCheck | None = None,
                 progress: bool | None = False, as_written: bool = False, decided_texts: bool = False,
                 rows: int | None = None, logged: bool = False, check_keys: bool = True) -> Iterator[pd.DataFrame]:
    """The rows of a JSONL file as :func:`_read_jsonl` reads them, in frames of about ``rows`` rows (``None``: one
    frame, the whole file), each ending where the next row's ``report`` cell differs (``tagger tag`` writes a
    report's rows together: they stay in one frame); a frame's columns are its own rows' keys. ``as_written``: every
    cell the value JSON gave (``dtype=object``: a kept whole number stays one beside an empty cell, not ``12.0``).
    ``progress``: a bar of the lines read (:func:`~tagger.common.progress.progress_bar`); with ``logged`` and
    ``progress`` ``None``, logged lines instead where no terminal shows a bar. ``check_keys``: as :func:`~tagger.common.files.iter_json_lines`
    (``False`` only for a file read with it and unchanged since).

    Example:
        >>> import tempfile
        >>> row = dict.fromkeys(["paragraph", "labels", *SCORE_COLUMNS], "")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = Path(d, "t.jsonl")
        ...     _ = p.write_text("".join(json.dumps({**row, "report": r, "text": t}) + "\\n" for r, t in
        ...                              [("a", "x"), ("a", "y"), ("b", "z")]))
        ...     [f["text"].tolist() for f in jsonl_frames(p, rows=1)]
        [['x', 'y'], ['z']]
    """
    import pandas as pd

    data: dict[str, list] = {}  # column → its cells, in the order the keys first appear
    lines: list[int] = []
    seen: set[str] = set()  # the keys of the rows before the first paragraph row
    checked = False
    show = shows_progress(progress)
    enabled = None if logged and progress is None else show  # None: a bar on a terminal, else logged lines
    items = progress_bar(iter_json_lines(path, check_keys=check_keys), f"reading {path.name}", unit="lines",
                         enabled=enabled,
                         total=_line_count(path) if show or enabled is None else None)
    last: object = None

    def frame() -> pd.DataFrame:
        for cells in data.values():
            cells.extend([math.nan] * (len(lines) - len(cells)))
        return pd.DataFrame(data, index=pd.Index(lines, name="line"), dtype=object if as_written else None)

    for line_no, obj, problem in items:
        if problem:
            raise InputError(f"{path}:{line_no}: {problem}; a tagged JSONL file has one JSON object per line")
        if not checked:
            if is_paragraph_row(obj, f"{path}:{line_no}"):
                _check_jsonl_header(path, obj, columns, check)  # before the whole file is read
                checked = True
            else:
                seen.update(obj)
        report = obj.get("report")
        if rows is not None and len(lines) >= rows and report != last:  # a report's rows stay together
            yield frame()
            data, lines = {}, []
        last = report
        n = len(lines)
        text_too = decided_texts and not _empty(obj.get("reviewed_sha"))  # a decision to check: its text, no other
        for key, value in obj.items():
            if columns is not None and key not in columns and not (text_too and key == "text"):
                continue
            if isinstance(value, str):  # a JSON "\ud800" escape
                value = replace_surrogates(value)[0]
            cells = data.setdefault(key, [])
            if len(cells) < n:
                cells.extend([math.nan] * (n - len(cells)))
            cells.append(value)
        lines.append(line_no)
    if not checked:
        _check_header(path, list(seen), check)
    yield frame()


def read_csv_rows(path: Path, skip_blank: bool = True, check: Callable[[Path, list[str]], None] | None = None,
                  guarded: list[set[str]] | None = None, columns: Collection[str] | None = None,
                  progress: bool | None = False, decided_texts: bool = False, sheet_rows: dict[int, int] | None = None
                  ) -> tuple[str, list[str], list[dict], list[int]]:
    """The rows of a tagged CSV file as ``tagger tag`` wrote it (or a spreadsheet saved it): its
    delimiter, columns, rows (cells unguarded) and each row's line number; ``check(path, columns)``
    runs on the header before any row is read; ``guarded`` gets, row by row, the columns whose cell was
    guarded in the file (to write it back as it was); ``columns``: the only columns each row keeps (all
    by default; a row is blank, and skipped, when all its cells are); ``progress``: a bar of the lines read
    (see :func:`tagger.common.progress.progress_bar`); ``decided_texts``: the ``text`` cell kept too, but only
    in rows whose ``reviewed_sha`` cell is filled (``None`` in the others), as :data:`READERS` say; ``sheet_rows``
    gets the spreadsheet row of each row whose file line differs (line breaks inside cells above it), by line, for
    messages (:func:`~tagger.common.files.sheet_row_note`). The one CSV reader of tagged files (``stats``,
    ``review``, ``labels export``).

    Raises:
        InputError: malformed CSV or a row with more cells than the header, naming file and line (and spreadsheet
            row).
    """
    return next(csv_row_parts(path, skip_blank, check, guarded, columns, progress, decided_texts, sheet_rows))


def csv_row_parts(path: Path, skip_blank: bool = True, check: Callable[[Path, list[str]], None] | None = None,
                  guarded: list[set[str]] | None = None, columns: Collection[str] | None = None,
                  progress: bool | None = False, decided_texts: bool = False, sheet_rows: dict[int, int] | None = None,
                  rows: int | None = None, logged: bool = False
                  ) -> Iterator[tuple[str, list[str], list[dict], list[int]]]:
    """The rows of a tagged CSV file as :func:`read_csv_rows` gives them, in parts of about ``rows`` rows (``None``:
    one part, the whole file), each ending where the next row's ``report`` cell differs (a report's rows stay in one
    part); the file is read as a stream (:func:`~tagger.common.files.read_text_lines`), its text never held whole.
    ``logged``: as :func:`jsonl_frames`.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = Path(d, "t.csv")
        ...     _ = p.write_text("report,text\\na,x\\na,y\\nb,z\\n")
        ...     [[r["text"] for r in part] for _, _, part, _ in csv_row_parts(p, rows=1)]
        [['x', 'y'], ['z']]
    """
    # names as head_columns reads them (spaces after the commas skipped: ``row_type, report``)
    delimiter, (names, head_lines, spaced), source = csv_lines_start(read_text_lines(path, newline=""), path,
                                                                     hint="; is this the file tagger tag wrote?")
    header = [unguard_cell(c) for c in names]  # as tag guarded them
    # the cells as the header was read (a file saved with ", ": kind " body" is "body"), the lines counted from the
    # file's first
    reader = CsvDictRows(source, header, delimiter, spaced, start=head_lines)
    if check is not None:
        check(path, header)
    text_too, read = _decided_texts(header, columns, decided_texts)
    kept = None if read is None else _kept(header, read)
    show = shows_progress(progress)
    enabled = None if logged and progress is None else show  # None: a bar on a terminal, else logged lines
    total = _line_count(path, lone_cr=True) if show or enabled is None else None  # lines: a row may span several
    part, lines = [], []
    last: object = None
    for row in progress_bar(strict_rows(reader, path), f"reading {path.name}", total=total, enabled=enabled,
                            unit="rows"):
        if cells_beyond_header(row):  # a note typed right of the last column: never dropped silently (a trailing
            # comma, an empty column a spreadsheet saved, gives only empty cells: read as the row)
            raise InputError(f"{reader.where(path)}: more fields than the header; is this the file tagger tag "
                             "wrote? (a note typed right of the last column needs a column name in the header)"
                             f"{quote_after_space_hint(row)}")
        row.pop(None, None)
        if not skip_blank or any(row.values()):  # not a row of empty cells (a spreadsheet keeps rows once formatted)
            if rows is not None and len(part) >= rows and row.get("report") != last:  # a report's rows stay together
                yield delimiter, header, part, lines
                part, lines = [], []
            last = row.get("report")
            if text_too and not row["reviewed_sha"]:  # no decision to check: its text is not kept
                row["text"] = None
            part.append(unguard_row(row if kept is None else {k: row[k] for k in kept}))
            lines.append(reader.row_line)  # after any blank lines before it
            if sheet_rows is not None and reader.sheet_row != reader.row_line:
                sheet_rows[reader.row_line] = reader.sheet_row
            if guarded is not None:
                guarded.append({k for k, v in part[-1].items() if row[k] != v})
    yield delimiter, header, part, lines


def _csv_frames(path: Path, progress: bool | None, rows: int | None) -> Iterator[pd.DataFrame]:
    """The rows of a tagged CSV file as :func:`_read_csv` reads them (all columns), in frames of whole reports
    (:func:`csv_row_parts`, ``logged``), each with the spreadsheet rows of its own lines."""
    import pandas as pd

    sheet_rows: dict[int, int] = {}
    for _, header, part, lines in csv_row_parts(path, check=lambda p, names: _check_header(p, names, None),
                                                progress=progress, sheet_rows=sheet_rows, rows=rows, logged=True):
        df = pd.DataFrame(part, columns=header, index=pd.Index(lines, name="line"), dtype=object)
        if sheet_rows:
            df.attrs[SHEET_ROWS] = dict(sheet_rows)
            sheet_rows.clear()
        yield df


def _read_csv(path: Path, columns: Collection[str] | None = None, check: HeaderCheck | None = None,
              progress: bool | None = False, decided_texts: bool = False) -> pd.DataFrame:
    import pandas as pd

    sheet_rows: dict[int, int] = {}
    _, header, rows, lines = read_csv_rows(path, check=lambda p, names: _check_header(p, names, check),
                                           columns=columns, progress=progress, decided_texts=decided_texts,
                                           sheet_rows=sheet_rows)
    df = pd.DataFrame(rows, columns=_kept(header, _decided_texts(header, columns, decided_texts)[1]),
                      index=pd.Index(lines, name="line"), dtype=object)
    if sheet_rows:
        df.attrs[SHEET_ROWS] = sheet_rows  # where() and line_of() name these rows by their spreadsheet rows too
    return df


def _decided_texts(names: Collection[str], columns: Collection[str] | None,
                   decided_texts: bool) -> tuple[bool, Collection[str] | None]:
    """Whether a reader asked for ``decided_texts`` reads ``text`` beside ``columns`` (which lack it) to keep it in
    the rows whose ``reviewed_sha`` is filled only (the file, its column ``names``, has that column), and the
    columns it reads: ``columns``, with ``text`` then.

    Example:
        >>> text_too, read = _decided_texts(["text", "reviewed_sha"], ["report"], True)
        >>> text_too, sorted(read), _decided_texts(["text"], ["report"], True)
        (True, ['report', 'text'], (False, ['report']))
    """
    if decided_texts and columns is not None and "text" not in columns and "reviewed_sha" in names:
        return True, {*columns, "text"}
    return False, columns


def _read_parquet(path: Path, columns: Collection[str] | None = None, check: HeaderCheck | None = None,
                  progress: bool | None = False, decided_texts: bool = False) -> pd.DataFrame:
    """The rows of a Parquet file (``columns`` only are read: the format stores each column apart; read in
    one go, in a second or two, without a bar); a row of nulls only is blank, and skipped (index: the row's
    number in the file, from 0). A kept column of whole numbers with empty cells holds ints and ``None`` (2024,
    not the 2024.0 pandas makes of it), as the file does."""
    import pandas as pd
    import pyarrow.types as pat

    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow: pip install pyarrow") from None
    try:
        pf = pq.ParquetFile(path)
    except FileNotFoundError:
        raise InputError(f"{path}: {NO_SUCH_FILE}") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    names = pf.schema_arrow.names
    _check_header(path, names, check)
    text_too, read = _decided_texts(names, columns, decided_texts)
    table = pf.read(columns=_kept(names, read))
    if text_too:  # a decision's text, to check it; no other (null)
        import pyarrow as pa
        import pyarrow.compute as pc

        sha = table.column("reviewed_sha")
        decided = pc.fill_null(pc.invert(pc.equal(pc.utf8_trim_whitespace(pc.cast(sha, pa.string())), "")), False)
        k = table.schema.get_field_index("text")
        table = table.set_column(k, "text", pc.if_else(decided, table.column("text"),
                                                       pa.nulls(len(table), table.schema.field(k).type)))
    rows = _filled_rows(pf, table)
    if rows is not None:
        table = table.take(rows)
    frame = table.to_pandas()
    tags = tag_columns(table.column_names)
    for name in table.column_names:
        column = table.column(name)
        if name not in tags and pat.is_integer(column.type) and column.null_count:
            frame[name] = pd.Series(column.to_pylist(), index=frame.index, dtype=object)
    # rows named from 1 (row 1: the first), as tag's reader of Parquet and the xlsx and SQLite readers name them
    frame.index = pd.Index(rows + 1, name="row") if rows is not None else pd.RangeIndex(1, len(frame) + 1, name="row")
    return frame


def _filled_rows(pf, table) -> np.ndarray | None:
    """The numbers of the rows of the Parquet file ``pf`` (a ``pyarrow.parquet.ParquetFile``) that hold a value
    (not null, not NaN) in some column, or ``None`` when every row does. ``table``: the columns already read.
    A column whose statistics count no null in any row group answers for every row unread (so it is for a file
    tagger tag wrote: its text is never null); the other columns of the file are read one at a time."""
    import pyarrow.compute as pc

    meta = pf.metadata
    leaves: dict[str, list[int]] = {}
    for j in range(meta.num_columns):
        leaves.setdefault(meta.schema.column(j).path.split(".")[0], []).append(j)

    def never_null(name: str) -> bool:
        if len(leaves.get(name, ())) != 1 or meta.schema.column(leaves[name][0]).path != name:
            return False  # a nested column (labels, evidence): its leaves count other nulls
        stats = [meta.row_group(g).column(leaves[name][0]).statistics for g in range(meta.num_row_groups)]
        return all(s is not None and s.has_null_count and s.null_count == 0 for s in stats)

    names = pf.schema_arrow.names
    if meta.num_rows == 0 or any(never_null(name) for name in names):
        return None
    blank = None
    for name in names:
        column = table.column(name) if name in table.column_names else pf.read(columns=[name]).column(name)
        null = pc.is_null(column, nan_is_null=True)
        blank = null if blank is None else pc.and_(blank, null)
    if not pc.any(blank).as_py():
        return None
    return pc.indices_nonzero(pc.invert(blank)).to_numpy()


def _read_xlsx(path: Path, columns: Collection[str] | None = None, check: HeaderCheck | None = None,
               progress: bool | None = False, decided_texts: bool = False) -> pd.DataFrame:
    """The ``paragraphs`` sheet of a workbook ``tagger tag -o FILE.xlsx`` wrote, or the sheet that holds its table
    under another name (:func:`tagged_sheet`: renamed, or saved by pandas as ``Sheet1``; the log names it) (the
    ``summary`` sheet and
    the 0/1 column per label are derived from the ``labels`` and ``reviewed_labels`` cells, which are what is
    read). A date cell (a kept date, :func:`tagger.common.xlsx.date_cell`) is read as the ISO text the other
    formats hold (:class:`~tagger.common.xlsx.DateText`: written again, it is a date cell again)."""
    import datetime as dt

    import pandas as pd

    from ..common.xlsx import MergedCells, SheetFormulas, scan_sheet

    wb = open_workbook(path)
    formulas = None  # the sheet's formulas, read only when a cell read has no value and may hold one
    try:
        sheet = wb[_sheet_read(path, wb)]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None) or ()
        names = ["" if h is None else str(h) for h in header]
        _check_header(path, names, check)
        text_too, columns = _decided_texts(names, columns, decided_texts)
        kept = [k for k, name in enumerate(names) if columns is None or name in columns]
        # a decision's text, to check it; no other (None)
        text_at, sha_at = (kept.index(names.index("text")), names.index("reviewed_sha")) if text_too else (-1, -1)
        # cells a person merged (a report's company over its rows) read as Excel shows them, in every row; a formula
        # a script wrote and nothing computed is no value (it read as an empty labels cell: "no label")
        scan = scan_sheet(path, sheet)
        merged = MergedCells(scan.merged, kept) if scan.merged else None
        if merged is not None:
            merged.note(f"{path} ({sheet.title} sheet)", {names[k]: k for k in kept}, logging.WARNING, "column(s)")
        show = shows_progress(progress)
        total = max(sheet.max_row - 1, 0) if show and sheet.max_row else None
        data, index = [], []
        for row_no, row in enumerate(progress_bar(rows, f"reading {path.name}", total=total, enabled=show,
                                                  unit="rows"), start=2):
            if merged is not None:
                merged.see(row_no, row)
            if row is None or all(v is None for v in row):
                continue
            if len(row) > len(names) and any(v is not None for v in row[len(names):]):
                raise InputError(f"{path}:row {row_no}: more cells than the header; is this the file tagger tag wrote?")
            values = []
            for k in kept:
                value = row[k] if k < len(row) else None
                if value is None and merged is not None and (cell := merged.inside(row_no, k)):
                    value = cell[1]
                elif value is None and scan.may_hold_formula(k):
                    formulas = formulas or SheetFormulas(path, sheet.title)
                    formula = formulas.at(row_no, k)
                    if formula:
                        raise InputError(f"{path}:row {row_no}: {names[k]!r} holds a formula whose value was never "
                                         f"saved ({formula[:40]}): open the workbook in Excel or LibreOffice and save "
                                         "it, or type the value")
                values.append("" if value is None else DateText(date_text(value))
                              if isinstance(value, (dt.date, dt.time)) else value)
            if text_too and (sha_at >= len(row) or row[sha_at] is None or row[sha_at] == ""):
                values[text_at] = None
            data.append(values)
            index.append(row_no)
    finally:
        wb.close()
        if formulas is not None:
            formulas.close()
    return pd.DataFrame(data, columns=[names[k] for k in kept], index=pd.Index(index, name="row"), dtype=object)


def _sheet_read(path: Path, wb: Workbook) -> str:
    """The name of the sheet of the workbook ``wb`` (the file ``path``) to read as a tagged table
    (:func:`tagged_sheet`), said in the log when it is not ``paragraphs``; a ``paragraphs`` sheet without the
    tagged columns when no sheet has them (:func:`check_columns` names what it lacks).

    Raises:
        InputError: no such sheet, naming the columns a sheet needs.
    """
    name = tagged_sheet(wb)
    if name is None and "paragraphs" in wb.sheetnames:
        return "paragraphs"
    if name is None and _written_as(path) == "stats":  # stats -o counts.xlsx, caught by a glob of the tagged files
        raise InputError(f"{path}: not a tagged file but {EARLIER_OUTPUTS['stats']}; give the tagged file it came from "
                         f"(written by {WRITTEN_BY})")
    if name is None:
        raise InputError(f"{path}: no sheet named 'paragraphs'; write a tagged workbook with tagger tag REPORTS -o "
                         f"FILE.xlsx (its first sheet is read under another name when its first row has the columns "
                         f"{', '.join(REQUIRED_COLUMNS)})")
    if name != "paragraphs":
        try:
            said = (str(path.resolve()), path.stat().st_mtime_ns, name)
        except OSError:
            said = (str(path), 0, name)
        if first_in_run(f"sheet {said!r}"):  # once per file and run: a re-tag reads its header, then its rows
            log.info("%s: read the sheet %r as the tagged table (the first sheet, its first row a tagged table's)",
                     path, name)
    return name


def _read_sqlite(path: Path, columns: Collection[str] | None = None, check: HeaderCheck | None = None,
                 progress: bool | None = False, decided_texts: bool = False) -> pd.DataFrame:
    """The ``paragraphs`` table of a database ``tagger tag -o FILE.sqlite`` wrote, opened read-only (``columns``
    only are selected; the bar's total is counted first)."""
    import sqlite3

    import pandas as pd

    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InputError(f"{path}: cannot open as SQLite ({exc})") from None
    try:
        try:
            names = [r[1] for r in conn.execute("PRAGMA table_info(paragraphs)")]
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{path}: not a SQLite database ({exc}); write one with "
                             "tagger tag REPORTS -o FILE.sqlite") from None
        if not names:
            raise InputError(f"{path}: no table named 'paragraphs'; write one with tagger tag REPORTS -o FILE.sqlite")
        derived = _sqlite_derived(conn)
        names = [c for c in names if c not in derived]
        _check_header(path, [c for c in names if c != "id"], check)  # id: the frame's index
        if "id" not in names:
            raise InputError(f"{path}: the paragraphs table has no id column; is this the file tagger tag wrote?")
        conn.text_factory = lambda b: b.decode("utf-8", errors="replace")
        text_too, read = _decided_texts(names, columns, decided_texts)
        kept = _kept([c for c in names if c != "id"], read)
        quoted = "".join(', "' + c.replace('"', '""') + '"' if not (text_too and c == "text") else
                         """, CASE WHEN trim(coalesce(reviewed_sha, '')) = '' THEN NULL ELSE text END"""
                         for c in kept)  # a decision's text, to check it; no other
        show = shows_progress(progress)
        try:
            total = conn.execute("SELECT count(*) FROM paragraphs").fetchone()[0] if show else None
            rows = list(progress_bar(conn.execute(f'SELECT id{quoted} FROM paragraphs ORDER BY id'),
                                     f"reading {path.name}", total=total, enabled=show, unit="rows"))
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{path}: cannot read the paragraphs table ({exc})") from None
    finally:
        conn.close()
    return pd.DataFrame([r[1:] for r in rows], columns=kept,
                        index=pd.Index([r[0] for r in rows], name="row"), dtype=object)


def _sqlite_derived(conn) -> set[str]:
    """The columns a ``.sqlite`` output derived for SQL queries (``normalized_text``, a date's ``date_month``: see
    :data:`tagger.apps.batch.SQLITE_DERIVED`), as its ``tagger_meta`` lists them: not columns of the tagged rows."""
    import sqlite3

    try:
        found = conn.execute("SELECT value FROM tagger_meta WHERE key = 'derived_columns'").fetchone()
        names = json.loads(found[0]) if found else []
    except (sqlite3.DatabaseError, ValueError, TypeError):
        return set()
    return {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()


def model_record(path: str | Path) -> dict | None:
    """The :func:`~tagger.model.persistence.provenance` record of the model that tagged the file ``path``, as the
    file carries it: a SQLite output's ``tagger_meta`` (key ``model``), a workbook's ``about`` sheet (read alone:
    :func:`~tagger.common.xlsx.read_about_sheet`), a Parquet file's schema metadata (key
    :data:`~tagger.model.persistence.PARQUET_KEY`, as ``tagger tag`` writes it, or in the ``DataFrame.attrs`` pandas
    keeps there, as a :func:`~tagger.pipeline.tag_frame` result's ``to_parquet`` writes it). The format is the
    file's as :func:`read_tagged` reads it (:func:`_reader_of`: by its extension, else by what it holds — ``-o
    NAME --format sqlite``). ``None`` for a file that has none: JSONL and CSV (no place for it), a file an earlier
    tagger wrote or another program saved again, or one whose record is unreadable — a record is what the file
    says of itself, so a damaged one never stops the rows from being read.

    Example:
        >>> model_record("tagged.jsonl") is None  # doctest: +SKIP
        True
    """
    import sqlite3

    from ..common.xlsx import read_about_sheet
    from ..model.persistence import PARQUET_KEY, as_provenance, provenance_from_rows

    path = Path(path)
    try:
        reader = _reader_of(path)
        if reader is _read_sqlite:
            with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
                found = conn.execute("SELECT value FROM tagger_meta WHERE key = 'model'").fetchone()
            return as_provenance(json.loads(found[0])) if found else None
        if reader is _read_parquet:
            import pyarrow.parquet as pq

            meta = pq.read_schema(path).metadata or {}
            facts = json.loads(meta[PARQUET_KEY.encode()]) if PARQUET_KEY.encode() in meta else None
            if facts is None and b"PANDAS_ATTRS" in meta:  # DataFrame.attrs, as pyarrow keeps them for pandas
                attrs = json.loads(meta[b"PANDAS_ATTRS"])
                facts = attrs.get(PARQUET_KEY) if isinstance(attrs, dict) else None
            return as_provenance(facts.get("model")) if isinstance(facts, dict) else None
        if reader is _read_xlsx:
            rows = read_about_sheet(path)
            return provenance_from_rows(rows) if rows else None
    except Exception:  # noqa: BLE001 - OSError, JSON, SQLite, pyarrow, zip, XML: an unreadable record is none
        return None
    return None


READERS: dict[str, Callable[..., pd.DataFrame]] = {
    ".jsonl": _read_jsonl, ".ndjson": _read_jsonl, ".csv": _read_csv, ".parquet": _read_parquet,
    ".xlsx": _read_xlsx, ".sqlite": _read_sqlite, ".sqlite3": _read_sqlite, ".db": _read_sqlite}
"""File extension → reader ``(path, columns=None, check=None, progress=False) -> DataFrame`` of the rows as
read, index named ``line`` or ``row``: ``columns`` the only columns kept (all by default; names the file lacks
are ignored), ``check`` the caller's :data:`HeaderCheck`, run after :func:`check_columns` before any row is
read, ``progress`` a bar of the rows read (``None``: on a terminal; see :func:`read_tagged`), ``decided_texts``
(with ``columns`` that lack ``text``): the ``text`` column read too where the file has ``reviewed_sha``, but kept
only in the rows whose ``reviewed_sha`` is filled — a decision whose text is to be checked (:func:`made_on_text`) —
and empty in the others, so that the texts of a large file are not held for a few decisions."""
_READER_OF_FORMAT: dict[str, Callable[..., pd.DataFrame]] = {
    "jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet, "xlsx": _read_xlsx, "sqlite": _read_sqlite}
"""A :class:`TaggedTable`'s format → its reader (a file whose extension :data:`READERS` lacks: :func:`_reader_of`)."""


# --------------------------------------------------------------------------- shared
def _label_column(df: pd.DataFrame, column: str, path: Path, empty_means_none: bool) -> list:
    out = []
    for i, value in zip(df.index, df[column].tolist()):
        if empty_means_none and is_missing(value):
            raise InputError(f"{where(path, df, i)}: no {column!r} value in a paragraph row; is this the file "
                             "tagger tag wrote?")
        try:
            out.append(label_list(value, "", empty_means_none))
        except InputError:  # again, to name the line (only on error: formatting it per row costs)
            label_list(value, where(path, df, i), empty_means_none)
            raise
    return out


def _evidence_column(df: pd.DataFrame, path: Path) -> list:
    """Evidence cells as ``{label: [terms]}``: JSONL and Parquet hold the mapping, CSV, .xlsx and .sqlite
    its JSON text; an empty cell is no evidence."""
    out = []
    for i, value in zip(df.index, df["evidence"].tolist()):
        if isinstance(value, str):
            if not value.strip():
                value = {}
            else:
                try:
                    value = load_json(value)
                except JsonProblem:
                    value = None
                if not isinstance(value, dict):
                    raise InputError(f"{where(path, df, i)}: the evidence cell is not the JSON object tagger tag "
                                     "writes; remove the evidence column or tag again with --evidence")
        elif is_missing(value):
            value = {}
        out.append(value)
    return out


# the display table's line: <report>:<n> [kind], labels, a score per label ("elderly=0.99 retrofit=0.02 …"), text;
# an earlier release named each score by its id's first word ("old=0.02")
_TABLE_LINE = re.compile(r"[^\t\n]+:\d+( \[\w+\])?\t[^\t\n]*\t"
                         + " ".join(rf"(?:{TABLE_NAMES[lab]}|{EARLIER_TABLE_NAMES[lab]})=[\d.]+" for lab in LABELS)
                         + "\t")


# --------------------------------------------------------------------------- the one rule: is this a tagged table?
def has_tagged_columns(names: Iterable[object]) -> bool:
    """Whether a table with these column ``names`` is a tagged table: it has the paragraph columns tag writes
    (:data:`REQUIRED_COLUMNS`: ``report``, ``paragraph``, ``text``, ``labels`` and a ``score_`` per label), in any
    order, beside any others (``row_type``, kept columns, an index column a spreadsheet or pandas added, unnamed
    cells): what a tagged file needs for its rows to be read (:func:`check_columns`); :func:`tag_shaped` is what
    tells one.

    Example:
        >>> has_tagged_columns(["", "labels", "text", "paragraph", "report", *SCORE_COLUMNS, "company"])
        True
        >>> has_tagged_columns(["row_type", "report", "text"])
        False
    """
    have = {n for n in names if isinstance(n, str)}
    return all(c in have for c in REQUIRED_COLUMNS)


def tag_shaped(names: Iterable[object]) -> bool:
    """Whether a table with these column ``names`` is one tag wrote, whole (:func:`has_tagged_columns`) or with
    columns deleted since (an analyst removed the scores, or ``labels`` beside the 0/1 columns; a trimmed JSONL):
    ``report`` and ``paragraph`` beside ``row_type``, ``labels`` or a score, or a column only tag writes
    (:func:`tag_written`: a tagged CSV that lost its ``paragraph`` column) — not an annotation tool's export of
    our paragraphs (it has ``text_sha``). Such a file is recognised as tag's (never read as new reports, one per
    paragraph) and refused, naming what it lacks, where rows are read.

    Example:
        >>> tag_shaped(["row_type", "report", "paragraph", "text"]), tag_shaped(["id", "report", "text"])
        (True, False)
        >>> tag_shaped(["report", "paragraph", "text", "labels", "text_sha"])  # Label Studio's CSV of our export
        False
    """
    return bool(tag_sign(names))  # the rule is tag_sign's: what makes a table tag's is what a refusal names


_TAG_ONLY_COLUMNS = ("row_type", "reviewed_labels", "reviewed_sha", "review_rank", "review_margin")
"""Columns no file but one ``tagger tag`` or ``tagger review`` wrote has, named as no person labelling by hand would
name a column (:func:`tag_written`; not ``kind``: a labelled JSONL and the seed CSV have one too; not ``evidence``,
``reviewed_by`` or ``reviewed_at``, which tag writes too but a hand-made CSV of labels may well have)."""


def tag_written(names: Iterable[object]) -> bool:
    """Whether a table with these column ``names`` holds, beside ``labels``, a column only ``tagger tag`` or ``tagger
    review`` write, named as no person would name one (:data:`_TAG_ONLY_COLUMNS`): ``row_type``, a review decision's
    ``reviewed_labels``/``reviewed_sha``, a queue's ``review_rank``/``review_margin``, or a ``score_`` per label
    beside no ``predicted`` column (the suggestion CSV has scores too) — and no ``text_sha`` (an export of our
    paragraphs, the suggestion CSV). Such a table is tag's whatever columns were deleted from it since (``paragraph``,
    the scores): its ``labels`` are the model's, never a person's to score the model on (:func:`tag_shaped`
    recognises it; :func:`tag_sign` names the column; a CSV of text and labels made by hand has none of these
    columns — an ``evidence`` or ``reviewed_by`` column does not make it tag's — and a table of reports with a
    ``row_type`` column but no ``labels`` stays one).

    Example:
        >>> tag_written(["row_type", "report", "kind", "text", "labels"]), tag_written(["row_type", "report", "text"])
        (True, False)
        >>> tag_written(["report", "paragraph", "text", "labels"]), tag_written(["labels", *SCORE_COLUMNS, "predicted"])
        (False, False)
        >>> tag_written(["text", "labels", "evidence"]), tag_written(["text", "labels", "reviewed_by"])
        (False, False)
    """
    return _written_sign({n for n in names if isinstance(n, str)}) is not None


def _written_sign(have: set[str]) -> str | None:
    """The column of ``have`` that makes a table :func:`tag_written`, or None."""
    if "text_sha" in have or "labels" not in have:
        return None
    own = next((c for c in _TAG_ONLY_COLUMNS if c in have), None)
    if own is None and "predicted" not in have:
        own = next((c for c in SCORE_COLUMNS if c in have), None)
    return own


def tag_sign(names: Iterable[object]) -> tuple[str, ...]:
    """The column(s) that make a table with these column ``names`` tag's (:func:`tag_shaped`): a column only tag
    writes beside ``labels`` (:func:`tag_written`), else ``report`` and ``paragraph`` with the column beside them;
    empty when it is not tag's. What a refusal names, so that the author of a hand-made file knows which column to
    rename or drop.

    Example:
        >>> tag_sign(["text", "labels", "row_type"]), tag_sign(["report", "paragraph", "text", "score_elderly_care"])
        (('row_type',), ('report', 'paragraph', 'score_elderly_care'))
        >>> tag_sign(["text", "labels", "evidence"])
        ()
    """
    have = {n for n in names if isinstance(n, str)}
    own = _written_sign(have)
    if own is not None:
        return (own,)
    if has_tagged_columns(have) or ({"report", "paragraph"} <= have and "text_sha" not in have):
        beside = next((c for c in ("row_type", "labels", *SCORE_COLUMNS) if c in have), None)
        if beside is not None:
            return ("report", "paragraph", beside)
    return ()


def head_columns(first_line: str, name: str | Path | None = None) -> list[str]:
    """The column names a table's first line gives: a JSON object's keys (a JSONL row), else the cells of a CSV
    header, split at the delimiter :func:`~tagger.common.files.csv_delimiter` finds for the file ``name`` (``,``,
    ``;`` or a tab) and read as every CSV reader reads a header (:func:`~tagger.common.files.csv_header`: a quoted
    name whole after the spaces before it, ``"id", "text"``, without white space at its ends), and unguarded as tag
    guards them; ``[]`` for a line that is neither (a JSON line that is no object, a quote never closed). A
    JSON line is told and read as every reader of JSON reads it (:func:`~tagger.common.files.load_json`: an
    ideographic or no-break space before its ``{`` is white space).

    Example:
        >>> head_columns('{"text": "x", "report": "r"}'), head_columns("\\ufeff,row_type,report"), head_columns("a\\tb")
        (['text', 'report'], ['', 'row_type', 'report'], ['a', 'b'])
        >>> head_columns('"id", "text", labels '), head_columns('\\u3000{"text": "x"}')
        (['id', 'text', 'labels'], ['text'])
    """
    line = first_line.lstrip("\ufeff").rstrip("\r\n")
    if line.startswith("{", json_start(line)):
        try:
            row = load_json(line)
        except JsonProblem:
            return []
        return list(row) if isinstance(row, dict) else []
    try:
        cells = csv_header(iter([line]), csv_delimiter(line, name)).names
    except csv.Error:
        return []
    return [unguard_cell(c) for c in cells]


@dataclass(frozen=True)
class TaggedTable:
    """What :func:`tagged_table` found: the format the rows are read in (``jsonl``, ``csv`` — any delimited
    text, tab-separated too —, ``parquet``, ``xlsx``, ``sqlite``), the table's columns, and a workbook's sheet."""

    format: str
    columns: tuple[str, ...]
    sheet: str | None = None


_HEAD_LINES = 20  # JSONL lines looked at for the first one that is no summary row
_LINE_CHARS = 1 << 20  # a first line longer than this is read no further (a paragraph is shorter)


def _blank_head_line(line: str) -> bool:
    """Whether a line of a file's head is blank: only white space, or byte-order marks — one the decoding left (a
    file saved with two, files joined with ``cat`` each with its own) belongs to the encoding, not to the text.

    Example:
        >>> _blank_head_line("\\ufeff\\r\\n"), _blank_head_line(" \\n"), _blank_head_line("\\ufeff{}")
        (True, True, False)
    """
    return not line.lstrip("\ufeff").strip()


def _empty_file(path: Path) -> bool:
    """Whether the file ``path`` holds nothing: no byte, or (a text file) nothing but white space and byte-order
    marks (:func:`_blank_head_line`); ``False`` for a file that cannot be read or decoded, or a binary one (its
    reader says what it is).

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     a, b = os.path.join(d, "a.csv"), os.path.join(d, "b.csv")
        ...     _ = open(a, "w", encoding="utf-8-sig").write(" \\n\\n")
        ...     _ = open(b, "w").write("\\nreport\\n")
        ...     _empty_file(Path(a)), _empty_file(Path(b))
        (True, False)
    """
    try:
        if path.stat().st_size == 0:
            return True
        with open_text_stream(path) as fh:  # stops at the first line that is not blank
            return all(_blank_head_line(line) for line in iter(lambda: fh.readline(_LINE_CHARS), ""))
    except (InputError, OSError, UnicodeDecodeError):
        return False


def _head_lines(path: Path) -> list[str]:
    """The first lines of the text file ``path`` (up to :data:`_HEAD_LINES`, blank ones left out:
    :func:`_blank_head_line`), decoded as every text file is (:func:`~tagger.common.files.open_text_stream`: UTF-8
    with or without a byte-order mark, UTF-16/32 with one, GB18030, Big5).

    Raises:
        InputError, OSError, UnicodeDecodeError: the file cannot be read or decoded.
    """
    lines = []
    with open_text_stream(path) as fh:
        for _ in range(_HEAD_LINES):
            line = fh.readline(_LINE_CHARS)
            if not line:
                break
            if not _blank_head_line(line):
                lines.append(line)
    return lines


def tagged_sheet(wb: Workbook) -> str | None:
    """The sheet of the workbook ``wb`` that holds a tagged table: the sheet a workbook's rows are read from (the
    first visible one: tag writes ``paragraphs`` first; a sheet renamed, or a table saved by pandas as ``Sheet1``)
    when its first row is a tagged table's (:func:`tag_shaped`) — or ``paragraphs``, when tag's other sheets were
    moved before it; ``None`` otherwise: a workbook of reports is read as reports whatever its other sheets hold
    (tagged rows pasted in, under any name) and whatever its sheet is called.

    Example:
        >>> import openpyxl
        >>> wb = openpyxl.Workbook()
        >>> wb.active.append(["", "report", "paragraph", "text", "labels", *SCORE_COLUMNS])
        >>> tagged_sheet(wb)
        'Sheet'
    """
    def shaped(ws) -> bool:
        row = next(ws.iter_rows(max_row=1, values_only=True), None) or ()
        return tag_shaped("" if v is None else str(v) for v in row)

    first = next((ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"), None)
    if first is None:
        return None
    if shaped(first):
        return first.title
    if first.title in ("summary", "about") and "paragraphs" in wb.sheetnames and shaped(wb["paragraphs"]):
        return "paragraphs"
    return None


def tagged_table(path: str | Path) -> TaggedTable | None:
    """Whether the file ``path`` is a tagged table, by its columns (:func:`tag_shaped`), whatever its name
    and however it was saved: a Parquet file's schema, a SQLite file's ``paragraphs`` table, any sheet of a
    workbook (:func:`tagged_sheet`), a JSONL file's first row that is no summary row (keys in any order), a
    delimited text's header (``,``, ``;`` or tabs: a ``.csv``, or a ``.txt``/``.tsv`` Excel saved as "Unicode
    Text"), in any encoding a text file is read in. ``None`` for anything else, or a file that cannot be read.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     a = os.path.join(d, "a.txt")
        ...     with open(a, "w", encoding="utf-16") as fh:
        ...         _ = fh.write("\\t".join(["", "text", "labels", "paragraph", "report", *SCORE_COLUMNS]) + "\\n")
        ...     tagged_table(a).format
        'csv'
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
        if head.startswith(b"PAR1"):
            import pyarrow.parquet as pq

            names = tuple(pq.read_schema(path).names)
            return TaggedTable("parquet", names) if tag_shaped(names) else None
        if head.startswith(SQLITE_HEADER):
            import sqlite3

            with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
                names = tuple(r[1] for r in conn.execute("PRAGMA table_info(paragraphs)"))
            return TaggedTable("sqlite", names) if tag_shaped(names) else None
        if head.startswith(b"PK"):
            if not _is_workbook(path):
                return None
            wb = open_workbook(path)
            try:
                sheet = tagged_sheet(wb)
                if sheet is None:
                    return None
                row = next(wb[sheet].iter_rows(max_row=1, values_only=True), None) or ()
                return TaggedTable("xlsx", tuple("" if v is None else str(v) for v in row), sheet)
            finally:
                wb.close()
        lines = _head_lines(path)
    except Exception:  # noqa: BLE001 - unreadable, undecodable or not what it seems: no tagged table
        return None
    return _tagged_head(lines, path)


def _tagged_head(lines: list[str], name: str | Path) -> TaggedTable | None:
    """:func:`tagged_table` of a text file by its first lines that are not blank (:func:`_head_lines`)."""
    if not lines:
        return None
    if lines[0].startswith("{", json_start(lines[0])):  # JSONL, as head_columns tells it: the first row that
        for line in lines:  # is no summary row
            names = head_columns(line)
            if not names:
                return None
            row_type = load_json(line).get("row_type")  # as head_columns read it
            if row_type not in SUMMARY_ROW_TYPES:
                return TaggedTable("jsonl", tuple(names)) if tag_shaped(names) else None
        return None
    names = head_columns(lines[0], name)
    return TaggedTable("csv", tuple(names)) if tag_shaped(names) else None


def is_tagged_text(text: str, name: str | Path) -> bool:
    """:func:`is_tagged_file` of a text file already read (``text``, decoded; ``name``: the file's, for the delimiter
    its extension implies): its first line is the display table's, or its head a tagged table's (:func:`tagged_table`'s
    rule, on the same first lines) — so that a reader that has the text need not open the file again to ask.

    Example:
        >>> is_tagged_text(",".join(["", "text", "report", "paragraph", "labels", *SCORE_COLUMNS]) + "\\n", "a.csv")
        True
        >>> is_tagged_text("text,labels\\n老人。,elderly_care\\n", "a.csv")
        False
    """
    head = head_lines(text)
    if head and _TABLE_LINE.match(head[0].lstrip("\ufeff")):
        return True
    return _tagged_head(head, name) is not None


def head_lines(text: str) -> list[str]:
    """The first lines of ``text`` (a file's, decoded, or its :func:`head_text`) a file is told by: up to
    :data:`_HEAD_LINES` lines, blank ones (:func:`_blank_head_line`) left out — as :func:`_head_lines` reads them
    from a file —, split as a JSONL file's (:func:`~tagger.common.files.text_lines`), the rest of the text not
    copied. The one rule of every reader that tells a file by its first lines.

    Example:
        >>> head_lines('{"a": 1}\\n\\n{"b": 2}\\n')
        ['{"a": 1}', '{"b": 2}']
    """
    return [line for line in itertools.islice(text_lines(text), _HEAD_LINES) if not _blank_head_line(line)]


def head_text(path: str | Path) -> str:
    """The head of the text file ``path`` that :func:`is_tagged_text` tells a tagged file by: its first lines (up to
    :data:`_HEAD_LINES`, blank ones left out), decoded as the file is read (:func:`_head_lines`) — the rest of the file
    is neither read nor decoded; ``""`` when it cannot be read or decoded (its reader says why).

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     a = os.path.join(d, "a.csv")
        ...     _ = open(a, "w", encoding="utf-8").write("text,labels\\n\\n老人。,elderly_care\\n")
        ...     head_text(a)
        'text,labels\\n老人。,elderly_care\\n'
    """
    try:
        return "".join(_head_lines(Path(path)))
    except Exception:  # noqa: BLE001 - unreadable or undecodable: not told tag's here
        return ""


def _is_workbook(path: Path) -> bool:
    """Whether the zip file ``path`` is a workbook (a Word file is a zip too: only a workbook is opened as one).

    Raises:
        OSError, zipfile.BadZipFile: the file cannot be read as a zip.
    """
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return "xl/workbook.xml" in zf.namelist()


def _display_table(path: Path) -> bool:
    """Whether ``path`` is the display table tag writes (``--format table``): its first line is one of its lines
    (an unreadable or undecodable file is not: :func:`head_text`)."""
    return bool(_TABLE_LINE.match(head_text(path).lstrip("\ufeff")))


def _reader_of(path: Path) -> Callable[..., pd.DataFrame] | None:
    """The reader of the tagged file ``path``: by its extension (:data:`READERS`), else by what the file is
    (:func:`tagged_table`: a tab-separated ``.txt`` or ``.tsv``, a JSONL ``.json``); ``None`` when neither."""
    reader = READERS.get(path.suffix.lower())
    if reader is not None:
        return reader
    found = tagged_table(path) if path.is_file() else None
    return None if found is None else _READER_OF_FORMAT[found.format]


def looks_tagged(path: str | Path) -> bool:
    """Whether the file ``path`` is recognisably one ``tagger tag`` wrote: a tagged table (:func:`tagged_table`:
    the paragraph columns tag writes, in any format, order or encoding, saved again by a spreadsheet or pandas),
    the display table (its first line: id, labels, a score per label), or a web page the package wrote (``tagger
    stats --html``, the CV report: :data:`~tagger.common.files.GENERATOR_MARK` in its head). An unreadable or
    empty file is not.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     a, b = os.path.join(d, "a.jsonl"), os.path.join(d, "b.txt")
        ...     _ = open(a, "w").write(json.dumps(dict.fromkeys(["paragraph", "report", "text", "labels",
        ...                                                      *SCORE_COLUMNS], "")) + "\\n")
        ...     _ = open(b, "w").write("党员为老人检查线路。\\n")
        ...     looks_tagged(a), looks_tagged(b)
        (True, False)
    """
    return _written_as(path) in ("tag", "page")


EARLIER_OUTPUTS = {
    "tag": "tag's output",
    "page": "a stats or CV report page",
    "paragraphs": "paragraphs with their text_sha (labels export, suggest, a label file, or a tool's export of them)",
    "labelstudio-config": "the Label Studio labelling config labels export wrote",
    "stats": "stats counts",
}
"""What each kind of file tagger writes that :func:`earlier_output` knows is, for the warning of
:func:`without_earlier_outputs`."""


def earlier_output(path: str | Path) -> str | None:
    """What the file ``path`` is, when tagger (or an annotation tool, from tagger's export) wrote it and it is
    no report to read: what :func:`looks_tagged` knows; paragraphs with their ``text_sha`` (``tagger labels
    export`` for doccano or Label Studio, the ``tagger suggest`` CSV, ``labels/*.jsonl``, the tools' exports of
    them: a JSON line, a JSON list of tasks or a CSV header with ``text`` and ``text_sha``); the Label Studio
    labelling config ``labels export`` writes beside its tasks; ``tagger stats`` counts (a CSV whose header
    starts ``table,`` and names ``label``, ``paragraphs`` and ``reports``, a workbook with ``corpus`` and
    ``about`` sheets, the latter naming tagger stats). ``None`` for anything else: a table of reports is read as one (its rows have no ``text_sha``).

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     a, b = os.path.join(d, "a.jsonl"), os.path.join(d, "b.jsonl")
        ...     _ = open(a, "w").write('{"text": "文字。", "label": [], "text_sha": "0f1e2d3c4b5a6978"}\\n')
        ...     _ = open(b, "w").write('{"id": "r1", "text": "党员为老人检查线路。"}\\n')
        ...     earlier_output(a).split(" (")[0], earlier_output(b)
        ('paragraphs with their text_sha', None)
    """
    kind = _written_as(path)
    return None if kind is None else EARLIER_OUTPUTS[kind]


_PARAGRAPH_KEYS = re.compile(r'"text_sha"\s*:')
_LABEL_CONFIG = re.compile(r'<View>\s*<Text name="text" value="\$text"\s*/>\s*<Choices name="labels" toName="text"')


def _written_as(path: str | Path) -> str | None:
    """The kind (a key of :data:`EARLIER_OUTPUTS`) of a file tagger wrote, or ``None``
    (:func:`looks_tagged`, :func:`earlier_output`)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        if head.startswith((b"PAR1", SQLITE_HEADER)):
            return "tag" if tagged_table(path) is not None else None
        if head.startswith(b"PK"):
            if not _is_workbook(path):
                return None
            wb = open_workbook(path)
            try:
                if tagged_sheet(wb) is not None:
                    return "tag"
                if {"corpus", "about"} <= set(wb.sheetnames):  # the about sheet's last row: written by
                    about = [v for row in wb["about"].iter_rows(max_row=20, values_only=True) for v in row]
                    return "stats" if any(str(v).endswith("(tagger stats)") for v in about) else None
                return None
            finally:
                wb.close()
        head_text = head[:4096].decode("utf-8", "replace")
        start = head_text.lstrip("\ufeff \t\r\n")
        if start.lower().startswith(("<!doctype html", "<html")):
            return "page" if GENERATOR_MARK in head_text else None
        if _LABEL_CONFIG.match(start):
            return "labelstudio-config"
        if start.startswith("[") and _PARAGRAPH_KEYS.search(head.decode("utf-8", "replace")):
            return "paragraphs"  # Label Studio tasks (JSON): our fields are in each task's data
    except Exception:  # noqa: BLE001 - unreadable or not what it seems: not recognisably ours
        return None
    first = first_line_of(head.decode("utf-8", "replace")).lstrip("\ufeff")
    if _TABLE_LINE.match(first) or tagged_table(path) is not None:  # the display table, or a tagged table
        return "tag"
    if first.startswith("{", json_start(first)):  # as head_columns tells a JSON line
        try:
            row = load_json(first)
        except JsonProblem:  # a line longer than the head read, or not JSON
            return None
        return "paragraphs" if isinstance(row, dict) and {"text", "text_sha"} <= row.keys() else None
    columns = set(head_columns(first, path))  # quotes respected, as every reader of a header
    if {"text", "text_sha"} <= columns:
        return "paragraphs"
    # stats counts: table, the --by columns and month (with a date column), label, … (a trend's month column too)
    return "stats" if first.startswith("table,") and {"label", "paragraphs", "reports"} <= columns else None


def without_earlier_outputs(folder: str | Path, files: list[Path], what: str = "tag its text") -> list[Path]:
    """``files`` found in ``folder`` but those tagger wrote (:func:`earlier_output`), with a warning naming them
    and what each is: read as reports, an earlier run's rows would be tagged again and counted twice, a label
    file's or an export's paragraphs each taken for a report, a stats page's tables read as a story. ``what``:
    what naming such a file as an input does instead."""
    earlier = {f: kind for f in files if (kind := _written_as(f)) is not None}
    if not earlier:
        return files
    by_kind: dict[str, list[Path]] = {}
    for f, kind in earlier.items():  # the display table apart: named as an input, it is refused, not read back
        by_kind.setdefault("display" if kind == "tag" and _display_table(f) else kind, []).append(f)
    named = {"tag": "named as an input, its reports are read back and scored again",
             "display": "named as an input it is refused: it cuts texts, so it cannot be read back",
             "paragraphs": f"name one as an input to {what} anyway",
             "labelstudio-config": f"name it as an input to {what} anyway"}  # pages and stats counts: nothing to read
    kinds = {**EARLIER_OUTPUTS, "display": "tag's display table"}
    shown = "; ".join(f"{kinds[kind]}: " + ", ".join(map(str, found[:5]))
                      + (f", … ({len(found)} in all)" if len(found) > 5 else "")
                      + (f" ({named[kind]})" if kind in named else "") for kind, found in by_kind.items())
    log.warning("%s: left out %s tagger wrote earlier, %s", folder, counted(len(earlier), "file"), shown)
    return [f for f in files if f not in earlier]


def _beside(path: str | Path, suffix: str) -> Path:
    """The hidden file ``.<name><suffix>`` beside the tagged file ``path`` (through a symlink: beside the
    file itself, so that every name of one file shares its journal and lock)."""
    path = Path(path).resolve()
    return path.with_name(f".{path.name}{suffix}")


def review_journal(path: str | Path) -> Path:
    """Where ``tagger review`` journals the decisions it has not merged into the tagged file ``path`` yet.

    Example:
        >>> review_journal("out/tagged.jsonl").name
        '.tagged.jsonl.review-journal.jsonl'
    """
    return _beside(path, ".review-journal.jsonl")


_STALE_JOURNAL = ".review-journal.stale.jsonl"
_REVIEW_NAME_ADDS = len(f".{_STALE_JOURNAL}")
"""What the longest file a review session keeps beside a tagged file (:func:`stale_journal`) adds to its name, in
bytes (28)."""


def stale_journal(path: str | Path) -> Path:
    """Where decisions that no longer apply to the tagged file ``path`` are kept (never thrown away).

    Example:
        >>> stale_journal("out/tagged.jsonl").name
        '.tagged.jsonl.review-journal.stale.jsonl'
    """
    return _beside(path, _STALE_JOURNAL)


def _name_max(folder: Path) -> int:
    """The longest file name (in bytes) the file system of ``folder`` takes; 255 where it does not say (a folder
    not made yet)."""
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def review_name_problem(path: str | Path, fix: str = "rename the file to at most {most} bytes (keep "
                                                    "{suffix}) and review it again") -> str | None:
    """Why a review session cannot keep its files beside the tagged file ``path`` — its name is too long for
    the longest of them, the :func:`stale_journal` (28 bytes more; the lock, the journal and the temp file of
    a save are shorter), in the file system of its folder — said naming ``path`` with the way out, ``fix``
    (``{most}``: the longest name that fits, in bytes; ``{suffix}``: the file's extension); ``None`` when they
    fit. The one check of a session (``tagger review``) and of the file ``tagger tag --review`` is to write.

    Example:
        >>> review_name_problem("tagged.jsonl") is None
        True
        >>> print(review_name_problem("a" * 240 + ".csv"))  # doctest: +ELLIPSIS
        a...a.csv: its name (244 bytes) is too long for the journal tagger review keeps beside it, which adds 28 bytes to it (a name in this folder is at most 255 bytes); rename the file to at most 227 bytes (keep .csv) and review it again
        >>> print(review_name_problem("a" * 240 + ".csv", "at most {most} bytes"))  # doctest: +ELLIPSIS
        a...a.csv: ... (a name in this folder is at most 255 bytes); at most 227 bytes
    """
    real = Path(path).resolve()
    most = _name_max(real.parent)
    name, longest = len(os.fsencode(real.name)), len(os.fsencode(stale_journal(real).name))
    if longest <= most:
        return None
    linked = f" (the file it links to, {real})" if real.name != Path(path).name else ""
    return (f"{path}: its name{linked} ({name} bytes) is too long for the journal tagger review keeps beside it, "
            f"which adds {longest - name} bytes to it (a name in this folder is at most {most} bytes); "
            + fix.format(most=most - (longest - name), suffix=real.suffix))


def journal_lines(path: str | Path) -> list[bytes]:
    """The decisions journalled for the tagged file ``path``, one line each, as bytes (a line cut by a kill may
    end inside a character: never decoded here).

    Raises:
        OSError: the journal cannot be read (``FileNotFoundError`` when there is none).
    """
    return [line for line in review_journal(path).read_bytes().split(b"\n") if line.strip()]


_WAS_UNKNOWN = "unknown"
"""A :class:`JournalEntry`'s ``was`` in a journal written before it was kept: what the row held cannot be told."""


@dataclass(frozen=True)
class JournalEntry:
    """One decision a review session journalled: the paragraph, its labels (``None``: an undo, the paragraph
    taken back to not reviewed), who and when (as text, ``None`` for none: as a file's review cells are read), the
    :func:`~tagger.data.examples.text_sha` of the text it was made on (``None`` in journals written before that
    was kept) and the labels the paragraph's decision held when it was made (``was``: ``None`` for no decision;
    "unknown" in journals written before that was kept): :meth:`conflict` tells a decision made in the
    file after it (by hand, by another program) from the one it replaced."""

    paragraph: str
    labels: tuple[str, ...] | None
    by: str | None
    at: str | None
    sha: str | None
    was: tuple[str, ...] | None | str = _WAS_UNKNOWN

    @classmethod
    def parse(cls, line: bytes | str) -> JournalEntry:
        """A journal line read.

        Raises:
            ValueError: a line that is not a decision (cut by a kill, or not JSON of one).

        Example:
            >>> JournalEntry.parse('{"paragraph": "r:1", "labels": [], "by": "ana"}').labels
            ()
            >>> JournalEntry.parse('{"paragraph": "r:1", "labels": null, "was": []}').labels is None  # an undo
            True
        """
        try:
            entry = json.loads(line)
            # an edited journal's line of another shape (a list, a paragraph id or a hash that is no text) is no
            # decision either: it never reaches a row
            if not isinstance(entry, dict) or not isinstance(entry["paragraph"], str) or not isinstance(
                    entry.get("sha"), (str, type(None))):
                raise TypeError("not an object with a paragraph id and its text's hash")
            was = entry.get("was", _WAS_UNKNOWN)
            if was is not None and was != _WAS_UNKNOWN:
                was = validate_labels(list(was), "journal")
            labels = entry["labels"]
            # who and when read as a file's reviewed_by / reviewed_at cells are (_cell_text): a decision reads the
            # same from the journal as from the file a session merged it into
            return cls(entry["paragraph"], None if labels is None else validate_labels(list(labels), "journal"),
                       _cell_text(entry.get("by")), _cell_text(entry.get("at")), entry.get("sha"), was)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a journalled decision ({exc})") from None

    def conflict(self, labels: Sequence[str] | None, by: object = None, at: object = None,
                 earlier: JournalConflict | None = None) -> JournalConflict | None:
        """The conflict between this decision and the one the paragraph's row holds now (``labels``; ``None``: no
        decision; ``by`` and ``at`` its ``reviewed_by`` and ``reviewed_at`` cells), where that one was written into
        the file after the session read the row (by hand, by another program): it differs from this decision's
        labels and from the ones this decision replaced (``was``; a row that still holds those is this session's
        file before the decision was merged). ``None`` where there is none: this decision applies. A journal written
        before ``was`` was kept cannot tell: its decision applies, as it always did. Which of the two stands:
        :attr:`JournalConflict.journal_stands`. ``earlier``: the conflict of the session's previous decision on
        the paragraph (the journal read in order), where that one stood over the file's and the row holds it now:
        this decision, a change of mind, is in conflict with the file's in its place, and is the one named.

        Example:
            >>> entry = JournalEntry.parse('{"paragraph": "r:1", "labels": ["elderly_care"], "was": null, '
            ...                            '"at": "2026-12-06T16:39:40+00:00"}')
            >>> entry.conflict(None) is None, entry.conflict(["elderly_care"]) is None
            (True, True)
            >>> entry.conflict(["volunteer_work"], "excel", "2026-12-06T16:39:38+00:00").journal_stands
            True
            >>> entry.conflict(["volunteer_work"], "excel", "").journal_stands  # no time: the file's stands
            False
            >>> JournalEntry.parse('{"paragraph": "r:1", "labels": []}').conflict(["volunteer_work"]) is None
            True
        """
        if earlier is not None and earlier.journal_stands:
            return replace(earlier, entry=self)
        if self.was == _WAS_UNKNOWN:
            return None
        def same(a: Sequence[str] | None, b: Sequence[str] | None) -> bool:
            return (a is None) == (b is None) and set(a or ()) == set(b or ())

        if same(labels, self.labels) or same(labels, self.was):  # type: ignore[arg-type]
            return None
        return JournalConflict(self, None if labels is None else tuple(labels), _cell_text(by), _cell_text(at))

    def made_on(self, text: str) -> bool:
        """Whether the decision was made on ``text`` (a paragraph tagged again since holds another):
        :func:`made_on_text`."""
        return made_on_text(self.sha, text)


def made_on_text(sha: str | None, text: str) -> bool:
    """Whether a review decision made on the text whose :func:`~tagger.data.examples.text_sha` is ``sha`` applies
    to a paragraph that holds ``text`` now: the one test, for a session's journal and for a tagged file's
    ``reviewed_sha`` alike. White space at the ends does not count (``text_sha``), nor a leading ``'`` a spreadsheet
    kept of a CSV cell's guard (:func:`tagger.common.cells.guard_cell`; as ``labels import`` allows it);
    ``sha`` ``None`` (a decision written before hashes were kept) applies to any text, as it always did.

    Example:
        >>> from tagger.data.examples import text_sha
        >>> sha = text_sha("-5户")
        >>> made_on_text(sha, " -5户 "), made_on_text(sha, "'-5户"), made_on_text(sha, "-6户")
        (True, True, False)
        >>> made_on_text(None, "any text")
        True
    """
    from .examples import text_sha

    if sha is None:
        return True
    return sha == text_sha(text) or text.startswith("'") and sha == text_sha(text[1:])


def decision_time(value: object) -> datetime | None:
    """A review decision's time (a journal's ``at``, a ``reviewed_at`` cell) as read, ``None`` where it has none
    or one that does not parse as an ISO time (a spreadsheet may write it its own way). A time without an offset
    is taken as UTC, the time ``tagger review`` writes (a spreadsheet may drop the ``+00:00``).

    Example:
        >>> decision_time("2026-12-06T16:39:38+00:00") == decision_time("2026-12-06 16:39:38")
        True
        >>> decision_time(""), decision_time(None), decision_time("6/12/2026 16:39")
        (None, None, None)
    """
    text = _cell_text(value)
    if text is None:
        return None
    try:
        time = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return time if time.tzinfo is not None else time.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class JournalConflict:
    """A journalled decision (``entry``) and another decision its paragraph's row was given after the session
    read it (``labels``, ``None`` for a decision cleared by hand; ``by``, ``at``): :meth:`JournalEntry.conflict`.
    The later one stands where both carry a time that parses (:func:`decision_time`); where either has none (a
    spreadsheet cleared it; a decision cleared by hand has none, whatever its ``reviewed_at`` cell still holds),
    the file's stands: it was made after the session read the row."""

    entry: JournalEntry
    labels: tuple[str, ...] | None
    by: str | None
    at: str | None

    @property
    def timed(self) -> bool:
        """Whether both decisions carry a time that parses, and so which is later is known."""
        return (self.labels is not None and decision_time(self.entry.at) is not None
                and decision_time(self.at) is not None)

    @property
    def journal_stands(self) -> bool:
        """Whether the journal's decision stands over the file's (it is the later one), not the file's over it."""
        return self.timed and decision_time(self.entry.at) > decision_time(self.at)  # type: ignore[operator]

    def described(self) -> str:
        """The paragraph, the decision that stands and the one set aside, each with who made it and when.

        Example:
            >>> entry = JournalEntry.parse('{"paragraph": "r:1", "labels": ["elderly_care"], "by": "ana", '
            ...                            '"at": "2026-12-06T16:39:40+00:00", "was": null}')
            >>> entry.conflict([], "excel", "2026-12-06T16:39:38+00:00").described()
            "r:1 takes the journal's elderly_care by ana at 2026-12-06T16:39:40+00:00, later than the file's none by excel at 2026-12-06T16:39:38+00:00"
            >>> JournalConflict(entry, None, "excel", None).described()  # cleared by hand
            "r:1 keeps the file's no decision (cleared) (no time to tell which is later: the file's decision, made after the session read the row, stands over the session's), not the journal's elderly_care by ana at 2026-12-06T16:39:40+00:00"
        """
        journal = journal_decision(self.entry.labels, self.entry.by, self.entry.at)
        file = journal_decision(self.labels, self.by, self.at)
        if self.journal_stands:
            return f"{self.entry.paragraph} takes the journal's {journal}, later than the file's {file}"
        if self.timed:
            return f"{self.entry.paragraph} keeps the file's {file}, later than the journal's {journal}"
        return (f"{self.entry.paragraph} keeps the file's {file} (no time to tell which is later: the file's "
                f"decision, made after the session read the row, stands over the session's), not the journal's "
                f"{journal}")

    def file_line(self, where: str, sha: str | None = None) -> bytes:
        """The file's decision, which the journal's replaces, as a line of a review journal (``from``: its row
        ``where``; ``sha``: its ``reviewed_sha``), to keep in the :func:`stale_journal`."""
        return json.dumps({"paragraph": self.entry.paragraph, "labels": None if self.labels is None else
                           list(self.labels), "by": self.by, "at": self.at, "sha": sha, "from": where},
                          ensure_ascii=False).encode("utf-8")


def journal_decision(labels: Collection[str] | None, by: object, at: object) -> str:
    """A review decision as a warning names it: its labels (``no decision (cleared)`` for ``None``, a decision
    emptied by hand, without who or when: those cells, if left, are the cleared decision's; ``none`` for the
    decision "no label"), who made it and when.

    Example:
        >>> journal_decision(["elderly_care"], "ana", "2026-12-06T16:39:40+00:00")
        'elderly_care by ana at 2026-12-06T16:39:40+00:00'
        >>> journal_decision(None, None, None), journal_decision([], "bo", "")
        ('no decision (cleared)', 'none by bo')
    """
    if labels is None:  # its reviewed_by and reviewed_at cells, if any, are the decision's that was cleared
        return "no decision (cleared)"
    by, at = _cell_text(by), _cell_text(at)
    return f"{format_label_cell(list(labels))} by {by or 'no reviewer named'}" + (f" at {at}" if at else "")


_NAMED_CONFLICTS = 5
"""How many journalled decisions in conflict with the file's a warning names (:func:`journal_conflicts_note`)."""


def journal_conflicts_note(path: str | Path, conflicts: Sequence[JournalConflict], journal_fate: str,
                           file_fate: str) -> str:
    """The warning (after ``path:``) that names the decisions journalled beside the tagged file ``path`` that
    conflict with a decision the file was given after the session read its row (:meth:`JournalEntry.conflict`):
    how many, the first five (each paragraph, which decision stands, the one set aside, who made them and when)
    and what became of the ones set aside: the journal's (``journal_fate``) and the file's (``file_fate``), and
    what to do. The one wording of ``tagger review``, ``--export`` and ``tagger tag``. A paragraph the session
    decided more than once (a change of mind) is one conflict, named with its last decision, the session's word.

    Example:
        >>> entry = JournalEntry.parse('{"paragraph": "r:1", "labels": [], "by": "ana", "at": "2026-12-06T10:00:00Z", '
        ...                            '"was": null}')
        >>> print(journal_conflicts_note("t.csv", [entry.conflict(["elderly_care"], "bo", "2026-12-06T11:00:00Z")],
        ...                              "kept in .t.csv.review-journal.stale.jsonl", "kept there too"))
        1 review decision in .t.csv.review-journal.jsonl conflicts with one the file was given after the session read it (by hand or by another program): the later one stands (the file's where their times cannot tell): r:1 keeps the file's elderly_care by bo at 2026-12-06T11:00:00Z, later than the journal's none by ana at 2026-12-06T10:00:00Z. The journal's decision set aside is kept in .t.csv.review-journal.stale.jsonl; decide the paragraph again in tagger review to prefer the other
    """
    conflicts = list({c.entry.paragraph: c for c in conflicts}.values())  # each paragraph's last: journal order
    one = len(conflicts) == 1
    named = "; ".join(c.described() for c in conflicts[:_NAMED_CONFLICTS])
    more = f"; … and {len(conflicts) - _NAMED_CONFLICTS} more" if len(conflicts) > _NAMED_CONFLICTS else ""
    lost_journal = sum(not c.journal_stands for c in conflicts)
    lost_file = len(conflicts) - lost_journal
    fates = ([f"the journal's {'decision' if lost_journal == 1 else 'decisions'} set aside "
              f"{'is' if lost_journal == 1 else 'are'} {journal_fate}"] if lost_journal else [])
    fates += ([f"the file's {'decision' if lost_file == 1 else 'decisions'} replaced "
               f"{'is' if lost_file == 1 else 'are'} {file_fate}"] if lost_file else [])
    fate = "; ".join(fates)
    return (f"{counted(len(conflicts), 'review decision')} in {review_journal(path).name} "
            f"{'conflicts' if one else 'conflict'} with {'one' if one else 'ones'} the file was given after the "
            f"session read {'it' if one else 'them'} (by hand or by another program): the later one stands (the "
            f"file's where their times cannot tell): "
            f"{named}{more}. {fate[0].upper()}{fate[1:]}; decide {'the paragraph' if one else 'them'} again in "
            f"tagger review to prefer the other")


_SHA = re.compile(r"[0-9a-f]{16}")


def decision_sha(value: object, where: str) -> str | None:
    """A ``reviewed_sha`` cell as read: the text hash (without the leading ``'`` a CSV writer guards a hash of
    digits with, :func:`tagger.common.cells.guard_hash`), ``None`` for an empty cell (no decision, or one written
    before decisions kept a hash: it applies to any text).

    Raises:
        InputError: a cell that is no text hash (a spreadsheet turned it into a number, or it was typed over),
            naming ``where``.

    Example:
        >>> decision_sha("'1234567890123456", "t.csv:2"), decision_sha("", "t.csv:2"), decision_sha(None, "x")
        ('1234567890123456', None, None)
    """
    if is_missing(value):
        return None
    if isinstance(value, str):
        sha = value.strip().lstrip("'").lower()
        if not sha:
            return None
        if _SHA.fullmatch(sha):
            return sha
    raise InputError(f"{where}: reviewed_sha is {quote_cell(value)}, not the 16-character text hash tagger writes "
                     "(a spreadsheet may have turned it into a number); copy it back from the file tagger wrote (or, "
                     "if the decision holds for the text as it is now, empty the cell)")


@dataclass(frozen=True)
class StaleDecision:
    """A review decision a tagged file holds on a paragraph whose text has changed since (its ``reviewed_sha`` is
    another text's): never applied, never dropped unsaid. ``where`` is its row (:func:`where`)."""

    paragraph: str
    labels: tuple[str, ...]
    by: str | None
    at: str | None
    sha: str
    where: str

    def journal_line(self) -> bytes:
        """The decision as a line of a review journal (what :func:`keep_stale_decisions` keeps; ``from`` names the
        row it was in)."""
        return json.dumps({"paragraph": self.paragraph, "labels": list(self.labels), "by": self.by, "at": self.at,
                           "sha": self.sha, "from": self.where}, ensure_ascii=False).encode("utf-8")


def stale_decision(paragraph: str, labels: Sequence[str] | None, sha: str | None, text: str, where: str,
                   by: object = None, at: object = None) -> StaleDecision | None:
    """The review decision ``labels`` (``None``: no decision) on ``paragraph``, made on the text whose hash is
    ``sha`` (:func:`decision_sha`), as a :class:`StaleDecision` when that is another text than ``text``, the one
    its row holds now (:func:`made_on_text`), else ``None`` (it applies). ``where`` is its row; ``by`` and ``at``
    its ``reviewed_by`` and ``reviewed_at`` cells as read: an empty one (``None``, ``""``, NaN) is ``None`` in the
    decision, any other value its text. The one test of a tagged file's decisions, for every reader of them
    (:func:`read_tagged`, ``tagger review``, ``labels export``).

    Example:
        >>> from tagger.data.examples import text_sha
        >>> stale = stale_decision("r:2", ["elderly_care"], text_sha("走访五户"), "走访六户", "t.csv:3", "", None)
        >>> stale.labels, stale.by, stale.where
        (('elderly_care',), None, 't.csv:3')
        >>> stale_decision("r:2", ["elderly_care"], text_sha("走访五户"), "走访五户", "t.csv:3", "ana") is None
        True
    """
    if labels is None or sha is None or made_on_text(sha, text):
        return None
    return StaleDecision(paragraph, tuple(labels), _cell_text(by), _cell_text(at), sha, where)


_NAMED = 5
"""How many decisions made on another text a warning names (:func:`stale_decisions_note`)."""


def review_copy(path: str | Path) -> str:
    """A CSV file beside the tagged file ``path`` to tag it into, for a review (``june.csv``, else the first of
    ``june-2.csv``, ``june-3.csv`` … no file has), as a command names it (:func:`~tagger.common.terminal.shell_arg`).
    A name a review session would refuse, too long for its journal (:func:`review_name_problem`), is not given: the
    stem is cut short at its end, to the longest name a session takes (``june`` stays the start of ``june….csv``).

    Example:
        >>> review_copy("reviews/-june.xlsx"), review_copy("june.csv")
        ('reviews/-june.csv', 'june-2.csv')
        >>> len(review_copy("a" * 250 + ".xlsx"))  # its .csv, 254 bytes, cut to the 227 review takes
        227
    """
    path = Path(path)
    most = _name_max(path.parent.resolve()) - _REVIEW_NAME_ADDS  # the copy is a file of its own: its journal beside it

    def named(n: int) -> Path:
        tail = f"{f'-{n}' if n > 1 else ''}.csv"
        stem = path.stem
        while stem and len(os.fsencode(stem + tail)) > most:  # a character at a time: none is cut in two
            stem = stem[:-1]
        return path.with_name(stem + tail)

    names = (named(n) for n in itertools.count(1))
    return shell_arg(next(p for p in names if p != path and not p.exists()))


def review_commands(path: str | Path) -> str:
    """The commands that review the tagged file ``path`` where it has no review queue (tagged without ``--review``,
    or to a file review does not open): tag it to a CSV file (:func:`review_copy`; its review decisions come along,
    and ``--review`` flags the paragraphs no one decided, those decided on another text too), and review that.

    Example:
        >>> review_commands("-june.xlsx")
        'tagger tag ./-june.xlsx -o ./-june.csv --review 15%, then tagger review ./-june.csv'
    """
    out = review_copy(path)
    return f"tagger tag {shell_arg(path)} -o {out} --review 15%, then tagger review {out}"


def stale_decisions_note(path: str | Path, stale: Sequence[StaleDecision], outcome: str, where_again: str | None = None
                         ) -> str:
    """The warning (after ``path:``) that names the decisions of the tagged file ``path`` made on another text than
    their paragraph holds now: how many, the first paragraphs (with their rows), ``outcome`` (what became of them
    here) and what to do: review them again (``where_again``: where and how; by default in ``path`` itself).

    Example:
        >>> print(stale_decisions_note("t.csv", [StaleDecision("r:2", (), None, None, "0" * 16, "t.csv:4")],
        ...                            "counted with the model's labels"))
        1 review decision was made on another text than its paragraph holds now (the text was edited after the decision: r:2 at t.csv:4): counted with the model's labels; review it again (tagger review t.csv adds it to its review queue; a file tagged without --review has none: tag it again with --review, which flags it whatever the share: tagger tag t.csv -o t-2.csv --review 15%, then tagger review t-2.csv)
    """
    one = len(stale) == 1
    it = "it" if one else "them"
    how = (where_again if where_again is not None else
           f"(tagger review {shell_arg(path)} adds {it} to its review queue; a file tagged without --review has none: tag it "
           f"again with --review, which flags {it} whatever the share: {review_commands(path)})"
           if Path(path).suffix.lower() in (".jsonl", ".ndjson", ".csv") else
           f"(tagger review works on .jsonl and .csv: tag the file to one with --review, which flags {it} whatever "
           f"the share: {review_commands(path)})")
    named = ("" if len(stale) <= _NAMED else "the first five: ") + ", ".join(
        f"{s.paragraph} at {s.where}" for s in stale[:_NAMED]) + (", …" if len(stale) > _NAMED else "")
    return (f"{len(stale)} review decision{'' if one else 's'} {'was' if one else 'were'} made on another "
            f"text than {'its paragraph holds' if one else 'their paragraphs hold'} now (the text was edited after "
            f"the decision: {named}): {outcome}; review {'it' if one else 'them'} again {how}")


def keep_stale_decisions(path: str | Path, lines: list[bytes]) -> Path:
    """Append journal ``lines`` (decisions that do not apply to the tagged file ``path``) to its
    :func:`stale_journal`, byte for byte as journalled (never re-encoded: an id may hold any character); the one
    place decisions are set aside."""
    kept = stale_journal(path)
    with open(kept, "ab") as fh:
        fh.write(b"".join(line + b"\n" for line in lines))
    return kept


def set_journal_aside(path: str | Path) -> int:
    """Move the decisions journalled for ``path`` (a killed session's) to its :func:`stale_journal`, byte for
    byte, so that they are not applied to the file written there now (``tag --force --discard-reviews``); how many
    paragraphs they decided."""
    journal = review_journal(path)
    try:
        lines = journal_lines(path)
    except FileNotFoundError:
        return 0
    keep_stale_decisions(path, lines)
    journal.unlink()
    return len(_journalled_paragraphs(lines)[0])


def _journalled_paragraphs(lines: list[bytes]) -> tuple[set[str | bytes], set[str | bytes]]:
    """The paragraphs the journal ``lines`` (:func:`journal_lines`) would change, and those whose last line is an
    undo (they end with no decision). A paragraph decided again (a change of mind) is one decision, its last; one
    whose last line is an undo is a change only where the file held a decision when the journal's first line on it
    was made (its ``was``; unknown in an old journal): an undo of a decision made in the same session changes
    nothing; a line a kill cut (or of another shape: :meth:`JournalEntry.parse`) counts as one of its own."""
    first_was: dict[str | bytes, object] = {}
    undone: dict[str | bytes, bool] = {}
    for line in lines:
        try:
            entry = JournalEntry.parse(line)  # as replay_journal reads it
        except ValueError:  # a line cut by a kill, or of another shape: set aside when replayed
            undone[line] = False
            continue
        first_was.setdefault(entry.paragraph, entry.was)
        undone[entry.paragraph] = entry.labels is None
    changed = {p for p, undo in undone.items() if not (undo and first_was[p] is None)}
    return changed, {p for p, undo in undone.items() if undo}


@dataclass
class JournalReplay:
    """What the decisions a review session journalled but did not merge into the tagged file (a killed session's) do
    to its rows (:func:`replay_journal`), in journal order."""

    applied: dict[str, JournalEntry] = field(default_factory=dict)
    """Each paragraph a decision applies to, with the last that does (an undo, ``labels`` ``None``: no decision)."""
    left_out: list[tuple[str, bytes, JournalEntry | None]] = field(default_factory=list)
    """The lines not applied: why (a kill cut it, its paragraph id is no longer in the file: tagged again since, or
    the decision was made on another text than the paragraph holds now), the line and its decision (``None`` for a
    line a kill cut)."""
    conflicts: dict[str, tuple[bytes, JournalConflict, str | None]] = field(default_factory=dict)
    """Each paragraph whose row the file gave another decision after the session read it
    (:meth:`JournalEntry.conflict`): the line of the session's last decision on it, the conflict and the file's
    ``reviewed_sha``."""
    overruled: list[bytes] = field(default_factory=list)
    """The journal's lines the file's later decision stands over."""
    CUT, GONE, EDITED = "cut", "gone", "edited"  # why a line was left out

    def lines(self, why: str) -> list[bytes]:
        """The lines left out for the reason ``why``."""
        return [line for reason, line, _ in self.left_out if reason == why]


def replay_journal(lines: Iterable[bytes], rows: Mapping[str, Mapping]) -> JournalReplay:
    """Read the journal ``lines`` (:func:`journal_lines`) onto the tagged file's paragraphs ``rows`` (paragraph id →
    its row: ``text`` and the review cells ``reviewed_labels`` (``None``: no decision), ``reviewed_by``,
    ``reviewed_at``, ``reviewed_sha``), in order: a decision applies where its paragraph still has the text it was
    made on and, where the file was given another decision after the session read the row
    (:meth:`JournalEntry.conflict`), where the journal's is the later one. ``rows`` are left as they are. The one
    reader of a journal's decisions, for ``tagger review`` (a killed session completed) and :func:`read_back`.

    Example:
        >>> rows = {"r:1": {"text": "走访五户", "reviewed_labels": None}}
        >>> replay = replay_journal([b'{"paragraph": "r:1", "labels": ["elderly_care"]}', b'{"paragr',
        ...                          b'{"paragraph": "r:9", "labels": []}'], rows)
        >>> replay.applied["r:1"].labels, replay.lines(JournalReplay.CUT)
        (('elderly_care',), [b'{"paragr'])
    """
    replay = JournalReplay()
    now: dict[str, tuple] = {}  # each paragraph's decision as the lines applied so far left it: labels, by, at, sha
    for line in lines:
        try:
            entry = JournalEntry.parse(line)
        except ValueError:  # a line a kill cut (or of another shape: no decision)
            replay.left_out.append((JournalReplay.CUT, line, None))
            continue
        pid = entry.paragraph
        row = rows.get(pid)
        if row is None:  # the file was tagged again since: that paragraph is gone
            replay.left_out.append((JournalReplay.GONE, line, entry))
            continue
        if not entry.made_on(row["text"]):  # its text was edited since: that decision was about another text
            replay.left_out.append((JournalReplay.EDITED, line, entry))
            continue
        labels, by, at, sha = now.get(pid) or (row.get("reviewed_labels"), row.get("reviewed_by"),
                                               row.get("reviewed_at"), row.get("reviewed_sha"))
        earlier = replay.conflicts.get(pid)
        conflict = entry.conflict(labels, by, at, earlier and earlier[1])
        if conflict is not None:  # the file was given another decision after the session read the row
            if earlier is not None and not earlier[1].journal_stands:  # the file's stood: that line is set aside
                replay.overruled.append(earlier[0])
            replay.conflicts[pid] = (line, conflict, earlier[2] if earlier else sha)
            if not conflict.journal_stands:
                continue
        now[pid] = (None,) * 4 if entry.labels is None else (entry.labels, entry.by, entry.at, entry.sha)
        replay.applied[pid] = entry
    replay.overruled += [line for line, conflict, _ in replay.conflicts.values() if not conflict.journal_stands]
    return replay


def review_lock(path: str | Path) -> Path:
    """The lock file a ``tagger review`` session holds while it has the tagged file ``path`` open. It stays
    when the session ends (:mod:`tagger.common.locks`: the flock ends with the process, the file is never
    removed), so a stale one blocks no session.

    Example:
        >>> review_lock("out/tagged.jsonl").name
        '.tagged.jsonl.review-lock'
    """
    return _beside(path, ".review-lock")


REVIEW_SESSION = "a review session"
"""What holds a tagged file's review lock (:func:`hold_review_lock`): a ``tagger review`` session (its note names
which: :func:`review_session_note`)."""
RETAG = "a re-tag (tagger tag reading it back to score its reports again)"
"""What holds a tagged file's review lock (:func:`hold_review_lock`): ``tagger tag`` reading it back."""
TAG_OUTPUT = "tagger tag (writing its output into it)"
"""What holds a tagged file's review lock (:func:`hold_review_lock`): ``tagger tag -o`` writing it."""


def review_session_note(reviewer: str = "", url: str | None = None, since: str | None = None) -> str:
    """What a ``tagger review`` session writes into the review lock it holds (:func:`hold_review_lock`'s
    ``holder``), so that a command refused names the session: who reviews, its process, since when (``since``, an
    ISO time; now when not given) and, once known, the address of its page (``url``).

    Example:
        >>> review_session_note("ana", "http://127.0.0.1:8766/", "2026-12-06T10:00:00+00:00")  # doctest: +ELLIPSIS
        'a review session (tagger review by ana, process ..., since 2026-12-06T10:00:00+00:00, at http://127.0.0.1:8766/)'
        >>> review_session_note(since="2026-12-06T10:00:00+00:00")  # doctest: +ELLIPSIS
        'a review session (tagger review, process ..., since 2026-12-06T10:00:00+00:00)'
    """
    since = since or datetime.now(timezone.utc).isoformat(timespec="seconds")
    said = ["tagger review" + (f" by {reviewer}" if reviewer else ""), f"process {os.getpid()}", f"since {since}"]
    return f"{REVIEW_SESSION} ({', '.join(said + ([f'at {url}'] if url else []))})"


@contextlib.contextmanager
def hold_review_lock(path: str | Path, fix: str, *, stays: bool = False, who: str = "a review session",
                     holder: str = REVIEW_SESSION) -> Iterator[None]:
    """Hold the lock a review session holds on the tagged file ``path`` (:func:`review_lock`) for the ``with``
    block, refused at once when a session holds it: the one lock logic of a session (``tagger review``), of a file
    read back and of a file tag writes into — taken whether a session ever opened the file or not, so that two runs
    that write it (a session, ``tagger tag -o``) and one that reads it back never work on it at once. The lock file
    is made if missing; with ``stays`` (a session's) it stays when the lock is let go, by design, else one made here
    goes with the lock (no lock file is left beside every file tagged). Where none can be made (a read-only folder)
    or its name is too long for the file system (:func:`~tagger.common.files.path_exists`), no session can have
    opened the file: none is taken. ``holder``: what holds it here (:data:`REVIEW_SESSION`, :data:`RETAG`,
    :data:`TAG_OUTPUT`), written into the lock file while it is held (:func:`~tagger.common.locks.file_lock`), so
    that one refused names it (a session's :func:`review_session_note` names the session) — but a re-tag, which only
    reads the file, shares the lock with other re-tags (two runs tag one file again side by side, with two models)
    and writes nothing there: one refused while only re-tags hold it names :data:`RETAG`.

    Raises:
        FileInUseError: a session holds the lock: ``"<path>: <who> has this file open (tagger review by <reviewer>,
            process <pid>, since <time>, at <url>); <fix>"`` (what its note says of it); another
            holder: ``"<path>: <its holder> has this file open; wait for it to end, then try again"``.

    Example:
        >>> with hold_review_lock("out/tagged.jsonl", "stop it first"):  # doctest: +SKIP
        ...     rewrite("out/tagged.jsonl")
    """
    from ..common.locks import LockHeld, file_lock, lock_note

    lock = review_lock(path)
    reads = holder == RETAG
    entered = False
    try:
        path_exists(lock)  # one that cannot be looked at (not allowed to) is said, not taken for none
        # a with statement, not an ExitStack: nothing runs between the lock taken and its let-go's registration,
        # where a SIGTERM would leave a lock file made here
        with file_lock(lock, shared=reads, wait=False, note=holder, tidy=not stays):
            entered = True
            yield
    except LockHeld:
        if entered:  # from the block: not this lock's
            raise
        other = RETAG if not reads and _held_shared(lock) else lock_note(lock)
        if other in (RETAG, TAG_OUTPUT):  # not a review session: named, without a session's fix
            raise FileInUseError(f"{path}: {other} has this file open; wait for it to end, then try again") \
                from None
        said = other[len(REVIEW_SESSION):].strip() if other and other.startswith(REVIEW_SESSION + " (") else ""
        raise FileInUseError(f"{path}: {who} has this file open {said or '(tagger review)'}; {fix}") from None


def _held_shared(lock: Path) -> bool:
    """Whether the lock file ``lock``, refused to one who would hold it alone, is held by re-tags only (who share it
    and write no note there): a shared hold of it is granted."""
    from ..common.locks import LockHeld, file_lock

    try:
        with file_lock(lock, shared=True, wait=False, tidy=True):
            return True
    except LockHeld:
        return False


def warn_unmerged(path: str | Path) -> None:
    """Warn when review decisions on ``path`` wait in its journal (a session still open, or one killed):
    whoever reads the file now (counts, an export) leaves them out."""
    journal = review_journal(path)
    try:
        pending = len(_journalled_paragraphs(journal_lines(path))[0])  # a paragraph decided again: one decision
    except OSError:
        return
    if pending:
        log.warning("%s: %s %s not in the file yet (a review session still open, or one that was killed; %s): left "
                    "out here; stop the session, or open tagger review %s again, to merge %s", path,
                    counted(pending, "review decision"), "is" if pending == 1 else "are", journal.name, path,
                    "it" if pending == 1 else "them")


def _names_reviewed_column(path: Path) -> bool:
    """Whether ``path`` may have a ``reviewed_labels`` column (with a false alarm now and then): the header of a
    workbook's tagged sheet (:func:`tagged_sheet`) names it, or any other file's bytes do (:func:`_mentions`; a text cell quoting the
    name only makes :func:`review_work` read the file).

    Raises:
        OSError, InputError: the file cannot be read.
    """
    if path.suffix.lower() == ".xlsx":  # compressed: the header row of its sheet
        wb = open_workbook(path)
        try:
            sheet = tagged_sheet(wb)
            if sheet is None:
                return False
            header = next(wb[sheet].iter_rows(values_only=True, max_row=1), None) or ()
            return "reviewed_labels" in {str(h) for h in header}
        finally:
            wb.close()
    return bool(_mentions(path, ["reviewed_labels"]))


def review_work(path: str | Path) -> int:
    """How many review decisions ``path`` holds: paragraphs with ``reviewed_labels`` in the file plus the others
    decided in its journal (a paragraph decided again, in the journal or there and in the file, is one decision;
    one the journal ends with an undo is none, as the file holds it once merged and ``--export`` exports it; 0 for a
    file that is not a tagged file or cannot be read). Whoever replaces the file checks it first: a
    person's decisions are never dropped unasked.

    Example:
        >>> review_work("no-such-file.jsonl")
        0
    """
    path = Path(path)
    try:
        lines = journal_lines(path)
    except OSError:
        lines = []
    # a paragraph the journal ends with an undo holds no decision, in the file or not: nothing of it to lose
    changed, undone = _journalled_paragraphs(lines)
    pending = changed - undone
    reader = _reader_of(path)
    if reader is None or not path.is_file():
        return len(pending)
    try:
        if not _names_reviewed_column(path):  # a tagged file of a million rows is not read whole to learn that
            return len(pending)
        # not the texts: a big file is not read whole for a count
        df = reader(path, columns=("paragraph", "reviewed_labels"))
    except (InputError, OSError, ValueError):
        return len(pending)
    if "reviewed_labels" not in df.columns:
        return len(pending)
    cells = df["reviewed_labels"]
    # a list cell (JSONL) or a numpy array (Parquet) is a decision, even an empty one (no label)
    done = cells.map(lambda v: not is_missing(v) and (not isinstance(v, str) or v != ""))
    if "paragraph" in df.columns:  # decided in the file and again in the journal: one decision; undone there: none
        in_file = {str(p) for p in df.loc[done, "paragraph"]}
        return int(done.sum()) - len(in_file & undone) + len(pending - in_file)
    return int(done.sum()) + len(pending)


STALE_COUNTED = "not used here, the model's labels count instead (the decision stays in the file)"
"""What :func:`read_tagged` says became of a decision made on another text (``stats``)."""


def read_tagged(path: str | Path, columns: Iterable[str] | None = None, check: HeaderCheck | None = None,
                progress: bool | None = False, stale_outcome: str | None = STALE_COUNTED, *,
                texts_optional: bool = False) -> pd.DataFrame:
    """The paragraph rows of a tagged file, with ``effective_labels``, ``reviewed`` and :data:`STALE` added (a
    decision made on another text than its row holds now is no decision here: marked in the :data:`STALE` column and
    named in a warning; to tell, the texts of the rows with a ``reviewed_sha`` are read too — those only, in the
    same pass — and left out again when not asked for). A file of tag's without paragraph rows (tagged from reports
    without paragraphs) gives an empty frame. ``attrs[TAGGED_FILE]`` names the file, for messages about its rows.

    The frame's index names where each row is in its file, as messages name it — not its position: ``line``, the
    file's line, for JSONL (from 1; the summary rows of ``--summary`` are lines too, so the paragraph rows' numbers
    can skip) and CSV or a ``.txt``/``.tsv`` table (the header is line 1: the first row is 2, one line further for a
    row that follows a cell holding a line break); ``row`` for ``.xlsx`` (the Excel row: the header is row 1, the
    first paragraph 2), Parquet and SQLite (the table's row, from 1). Take positions with ``.iloc`` (``df.iloc[0]``
    is the first row), never ``.loc`` by a number; ``df.reset_index(drop=True)`` numbers them from 0.
    (:func:`read_tagged_files` names each row's file and place in its index, ``place``.)

    Example:
        >>> df = read_tagged("tagged.csv")  # doctest: +SKIP
        >>> df.index.name, df.index[0], df.iloc[0]["paragraph"]  # doctest: +SKIP
        ('line', 2, 'r1:0')

    Args:
        columns: the columns to read besides :data:`COUNTED_COLUMNS` (names the file lacks are ignored); the
            others are not read (nor checked). ``None``: every column.
        check: called with the columns the frame can have (the file's header, a JSONL file's first paragraph
            row, and :data:`DERIVED_COLUMNS`) once the file is known to be a tagged file, before its rows are
            read: the caller's refusals (``tagger stats``: a ``--by`` column the file lacks).
        progress: a bar of the rows read, as :func:`tagger.common.progress.progress_bar`'s ``enabled``
            (``None``: when stderr is a terminal).
        stale_outcome: what the warning naming decisions made on another text says became of them here
            (:func:`stale_decisions_note`; the first five are named, all of them in a debug message); ``None``: no
            warning (a caller that says it itself, or has said it).
        texts_optional: the ``text`` column is read only to tell reports apart (:func:`read_tagged_files`): a row
            without a text (a cell cleared by hand) reads as an empty text instead of being refused.

    Raises:
        InputError: an unknown extension, an unreadable file, a file that is not a tagged file, or a bad
            cell of a column read (names the file, the line and what to do); what ``check`` raises.
        TypeError: ``columns`` given as one string (``columns=["company"]`` is meant).
    """
    if isinstance(columns, str):  # iterating it would read the columns named by its letters
        raise TypeError(f"columns takes a list of column names, got a single str; pass columns=[{columns!r}]")
    path = Path(path)
    if path.is_dir():  # before its name: a folder has no suffix, and one was called "a suffix-less file"
        raise InputError(f"{path}: is a directory; give the tagged file" + _parts_hint(path))
    if not path.exists():
        raise InputError(f"{path}: {NO_SUCH_FILE}")
    empty = f"{path}: {EMPTY_FILE}; give the file tagger tag wrote ({WRITTEN_BY})"
    if path.stat().st_size == 0:  # was "not a tagged file: no column report, …"
        raise InputError(empty)
    try:
        reader = _reader_of(path)
        if reader is None and _display_table(path):
            raise InputError(f"{path}: the display table tagger tag writes (texts cut to 60 characters), not a tagged "
                             f"table; write one with {WRITTEN_BY}")
        if reader is None and path.suffix.lower() in (".html", ".htm") and _written_as(path) == "page":
            raise InputError(f"{path}: not a tagged file but {EARLIER_OUTPUTS['page']}; give the tagged file it came "
                             f"from (written by {WRITTEN_BY})")
        if reader is None:
            raise InputError(f"{path}: cannot read a {path.suffix or 'suffix-less'} file; a tagged file is "
                             f"{', '.join(sorted(READERS))} (written by {WRITTEN_BY}), or a .txt or .tsv table "
                             f"(Excel's 'Unicode Text') whose header has the columns {', '.join(REQUIRED_COLUMNS)}")
        # a workbook's 0/1 columns (in a sheet saved as CSV too: :func:`has_marks`): read to say where they differ
        wanted = None if columns is None else {*COUNTED_COLUMNS, "n_paragraphs", *columns}  # a summary row's mark
        read = None if wanted is None else {*wanted, *LABELS}
        # a decision's hash is checked against its row's text: the texts of decided rows only, in the same pass
        decided_texts = read is not None and "text" not in read
        df = reader(path, read, check, progress, **({"decided_texts": True} if decided_texts else {}))
    except InputError:
        if _empty_file(path):  # only white space and byte-order marks: looked at only when the file is refused,
            raise InputError(empty) from None  # so a good file is opened no more often than before
        raise
    warn_unmerged(path)
    frame, stale = _paragraph_frame(path, df, decided_texts, empty=True, texts_optional=texts_optional)
    if stale and stale_outcome is not None:
        log.warning("%s: %s", path, stale_decisions_note(path, stale, stale_outcome))
        if len(stale) > _NAMED and log.isEnabledFor(logging.DEBUG):
            log.debug("%s: all %d review decisions made on another text than their paragraph holds now: %s", path,
                      len(stale), ", ".join(f"{s.paragraph} at {s.where}" for s in stale))
    if has_marks(frame.columns):
        stale_at = frame[STALE].to_numpy(bool)  # its 0/1 columns are the decision's: named above
        differ = _marks_differ(path, frame[~stale_at], frame.loc[~stale_at, "effective_labels"])
        if differ:
            one = len(differ) == 1
            log.warning("%s: %s %s 0/1 columns that differ from %s labels (e.g. %s): counted by %s labels "
                        "(reviewed_labels where a person decided) — the 0/1 columns are written from them, not read; "
                        "to correct a label, use tagger review, or tag the file again with --keep-edited-labels", path,
                        counted(len(differ), "paragraph row"), "has" if one else "have", "its" if one else "their",
                        differ[0], "its" if one else "their")
    if wanted is not None:
        frame = frame.drop(columns=[c for c in (*LABELS, "text") if c not in wanted and c in frame.columns])
    frame.attrs[TAGGED_FILE] = str(path)  # its rows' messages name the file, if the caller does not (where)
    return frame


def _parts_hint(folder: Path) -> str:
    """For a folder given as a tagged file: when it holds Parquet files (the parts ``to_parquet("tagged/")`` writes
    after :func:`tagger.apps.dask.tag_dask`), how to count them together; else nothing."""
    try:
        parts = sum(1 for p in folder.glob("*.parquet") if p.is_file())
    except OSError:
        return ""
    if not parts:
        return ""
    return (f" (it holds {counted(parts, 'Parquet file')}, the parts of a Dask run's output?): count them together "
            f"with tagger stats {shell_arg(folder)}/*.parquet (from Python: read_tagged_files(sorted(glob)))")


def read_tagged_files(paths: Sequence[str | Path], columns: Iterable[str] | None = None,
                      check: Callable[[list[str], Path], None] | None = None,
                      progress: bool | None = False) -> pd.DataFrame:
    """The paragraph rows of several tagged files (a month's output each, say) as one frame, in the order given:
    each file read by :func:`read_tagged`, its rows indexed by their place (``jan.jsonl:5``, ``feb.parquet:row 3``;
    index name :data:`PLACE`), so that every message about a row names its file, and ``attrs["files"]`` naming the
    files (one file: its frame as :func:`read_tagged` gives it). Columns one file lacks (a kept column the other
    month's run did not keep) are missing values in its rows. Reports of different files that share an id are told
    apart by their texts (:func:`_own_report_ids`), and a report given again under another id, in another file or in
    the same one, is named (:func:`_copies_under_other_ids`): the texts and kept columns are read for that (a
    missing text as an empty one), and dropped unless asked for.

    Args:
        columns: as :func:`read_tagged`'s, for every file.
        check: called with each file's columns (as :func:`read_tagged` calls its ``check``) and the file's path.
        progress: as :func:`read_tagged`'s.

    Raises:
        InputError: what :func:`read_tagged` raises for a file; a file given twice — by another path, or a link to
            it — (its rows would count twice).
        TypeError: ``paths`` given as one path (``[path]`` is meant), or ``columns`` as one string.

    Example:
        >>> df = read_tagged_files(["2023-01.jsonl", "2023-02.jsonl"])  # doctest: +SKIP
        >>> df.index[0], df.attrs["files"]  # doctest: +SKIP
        ('2023-01.jsonl:1', ['2023-01.jsonl', '2023-02.jsonl'])
    """
    if isinstance(paths, (str, Path)):  # iterating it would read the files named by its letters
        raise TypeError(f"paths takes a list of files, got a single path; pass [{str(paths)!r}], or use read_tagged")
    if isinstance(columns, str):  # iterating it would read the columns named by its letters
        raise TypeError(f"columns takes a list of column names, got a single str; pass columns=[{columns!r}]")
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("read_tagged_files needs at least one file")
    _given_once(paths)
    import pandas as pd

    columns = None if columns is None else list(columns)
    frames, extra = [], []  # extra: per file, the columns read only to tell reports apart
    for path in paths:
        wanted = columns
        if columns is not None:  # the texts and every kept column: what tells a report tagged into two files
            try:  # apart, and a report given twice under two ids (:func:`_copies_under_other_ids`)
                wanted = [*columns, "text", *kept_columns(path, tagged_columns(path))]
            except InputError:  # not a tagged file: read_tagged says what it is
                pass
        extra.append([] if wanted is None else [c for c in dict.fromkeys(wanted) if c not in columns])
        frame = read_tagged(path, wanted, None if check is None else (lambda names, p=path: check(names, p)),
                            progress, texts_optional="text" in extra[-1])
        if len(paths) > 1:  # one file: its rows by line (or row), as read_tagged gives them
            frame.index = pd.Index([where(path, frame, i) for i in frame.index], name=PLACE, dtype=object)
        frames.append(frame)
    if len(frames) == 1:  # a report given twice in it under two ids (two outputs joined, a file tagged before
        _copies_under_other_ids(paths, [_report_prints(frames[0])[2]])  # tagger tag said so) is named too
        return frames[0].drop(columns=[c for c in extra[0] if c in frames[0].columns])
    lacking = [p for p, f in zip(paths, frames) if "kind" not in f.columns]
    if lacking and len(lacking) < len(paths):  # joined, the frame has the column (none has it: corpus_stats says so)
        for path in lacking:
            log.warning("%s: %s", path, NO_KIND_NOTE)
    _own_report_ids(paths, frames)
    frames = [f.drop(columns=[c for c in cols if c in f.columns]) for f, cols in zip(frames, extra)]
    import warnings

    with warnings.catch_warnings():  # all-missing columns of one file: pandas' FutureWarning about their dtype
        warnings.simplefilter("ignore", FutureWarning)
        df = pd.concat(frames, sort=False)
    df.attrs["files"] = [str(p) for p in paths]
    return df


def file_names(files: Sequence[str | Path]) -> dict[str, str]:
    """How messages name each of several files: its name, or the path as given where two files share a name
    (``01/tagged.xlsx`` and ``02/tagged.xlsx``).

    Example:
        >>> file_names(["01/tagged.xlsx", "02/tagged.xlsx", "03/other.xlsx"])
        {'01/tagged.xlsx': '01/tagged.xlsx', '02/tagged.xlsx': '02/tagged.xlsx', '03/other.xlsx': 'other.xlsx'}
    """
    from collections import Counter

    names = Counter(Path(f).name for f in files)
    return {str(f): Path(f).name if names[Path(f).name] == 1 else str(f) for f in files}


def _given_once(paths: list[Path]) -> None:
    """Refuse a file given twice: by the same path, another path, or a link (hard or symbolic) to it."""
    import os

    seen: dict[tuple[int, int], Path] = {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:  # read_tagged names a missing or unreadable file
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            same = "twice" if seen[key] == path else f"twice (as {seen[key]} and {path}: one file)"
            raise InputError(f"{path}: given {same}: its paragraphs would be counted twice; give each file once")
        seen[key] = path


def _cell_key(value: object) -> str:
    """A kept cell as the same value reads in every format (a CSV's text ``1.0``, a workbook's number 1, a JSON 1;
    a date as text or as a date): what :func:`_own_report_ids` compares.

    Example:
        >>> import datetime
        >>> [_cell_key(v) for v in ("1.0", 1, 1.0, " 国网甲 ", None, float("nan"), datetime.datetime(2023, 1, 5))]
        ['1', '1', '1', '国网甲', '', '', '2023-01-05']
    """
    import datetime

    if is_missing(value):
        return ""
    if isinstance(value, datetime.datetime) and not value.tzinfo and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    text = str(value).strip()
    if isinstance(value, (int, float)) or _NUMBER_TEXT.fullmatch(text):
        try:
            number = float(text)
        except ValueError:
            return text
        return str(int(number)) if number.is_integer() and abs(number) < 2 ** 53 else repr(number)
    if text.endswith(" 00:00:00") and len(text) == 19:  # a date and midnight, as text
        return text[:10]
    return text


def _cell_keys(values: list) -> list[str]:
    """:func:`_cell_key` of each value, each distinct value worked out once (a report's company and date repeat on
    each of its rows); by type too, as ``True``, ``1`` and ``1.0`` are one dict key but not one cell.

    Example:
        >>> _cell_keys([True, 1, 1.0, "1.0", ["a"], " 甲 ", " 甲 "])
        ['true', '1', '1', '1', "['a']", '甲', '甲']
    """
    known: dict[tuple[type, object], str] = {}
    out = []
    for value in values:
        try:
            key = known.get((type(value), value))
        except TypeError:  # a list or dict a JSON line holds
            out.append(_cell_key(value))
            continue
        if key is None:
            key = known[(type(value), value)] = _cell_key(value)
        out.append(key)
    return out


_NUMBER_TEXT = re.compile(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?")


def _report_prints(frame: pd.DataFrame) -> tuple[dict[str, str], dict[str, dict[str, str]], dict[str, tuple[int, int]]]:
    """Per report of one file's frame: a digest of its paragraph ids and texts; per kept column, a digest of its
    cells (:func:`_cell_key`) in paragraph order; and its :func:`report_content`, of its texts and kept cells without
    the ids (for :func:`_copies_under_other_ids`), the reports in the order the file first has them. One sort of
    the file's rows, then one pass over each report's (a groupby's Python aggregations cost seconds a corpus).

    Example:
        >>> import pandas as pd
        >>> base, cells, content = _report_prints(pd.DataFrame({
        ...     "report": ["b", "a", "b", "a"], "paragraph": ["b:1", "a:0", "b:0", "a:1"], "text": ["二", "一", "一", "二"],
        ...     "company": ["甲", "甲", "甲", "甲"]}))
        >>> list(content), content["a"] == content["b"], base["a"] == base["b"], list(cells)
        (['b', 'a'], True, False, ['company'])
    """
    import hashlib

    from .examples import text_sha

    ids = frame["report"].astype(str).tolist()
    paragraphs = frame["paragraph"].astype(str).tolist()
    texts = frame["text"].tolist() if "text" in frame.columns else [None] * len(ids)
    shas = [text_sha(t) if isinstance(t, str) else "" for t in texts]
    texts = [t if isinstance(t, str) else "" for t in texts]
    tags = tag_columns(list(frame.columns))
    kept = [c for c in frame.columns if c not in tags and c not in DERIVED_COLUMNS and c not in LABELS]
    keys = {c: _cell_keys(frame[c].tolist()) for c in kept}
    order = sorted(range(len(ids)), key=lambda i: (ids[i], paragraphs[i]))  # stable: a paragraph id twice keeps
    digest = lambda parts: hashlib.sha256("\x1e".join(parts).encode("utf-8", "surrogatepass")).hexdigest()  # noqa: E731
    base: dict[str, str] = {}
    cells: dict[str, dict[str, str]] = {c: {} for c in kept}
    joined: dict[str, tuple[int, int]] = {}
    start = 0
    while start < len(order):  # each report's rows, in paragraph order
        report = ids[order[start]]
        end = start + 1
        while end < len(order) and ids[order[end]] == report:
            end += 1
        rows = order[start:end]
        base[report] = digest([f"{paragraphs[i]}\x1f{shas[i]}" for i in rows])
        for c in kept:
            cells[c][report] = digest([keys[c][i] for i in rows])
        joined[report] = _content_of([texts[i] for i in rows], {c: [keys[c][i] for i in rows] for c in kept})
        start = end
    content = {r: joined[r] for r in dict.fromkeys(ids)}  # in the file's order
    return base, cells, content


def _copies_under_other_ids(paths: list[Path], contents: list[dict[str, tuple[int, int]]]) -> None:
    """Warn about reports whose paragraphs — texts and kept cells — an earlier report holds under another id, in
    another file or in the same one (``contents``: per file, :func:`_report_prints`' third part): a month exported
    again with a row added at the top, then tagged again, numbers its reports anew (``export:3`` is now
    ``export:4``), and counting both files counts its reports twice; a story given twice to one ``tagger tag`` run
    (which warns, since; not a file tagged before it did), or two outputs joined into one file, count twice in that
    file. Short reports (under :data:`COPY_MIN_CHARS` characters: one-line replies such as 本月无新增情况, which
    months repeat) are not taken for copies; one id holding the same paragraphs in two files is one report tagged
    into both (:func:`_own_report_ids`): the rule of :func:`earlier_copy`, which ``tagger tag`` applies within its run.
    """
    for within, copies in _copy_pairs(contents).items():
        if not copies:
            continue
        (k1, r1), (k2, r2) = copies[0]
        log.warning("%s in one file %s %s under another id, with the same texts and kept cells (e.g. %r in %s is %r "
                    "in %s): the same reports tagged %s are counted twice: if so, %s",
                    counted(len(copies), "report"), "is in" if len(copies) == 1 else "are in",
                    "that file again" if within else "another file", r1, paths[k1], r2, paths[k2],
                    "twice into one file (a story exported twice, or two outputs joined?)" if within else
                    "into two files (a month exported again with its rows numbered anew?)",
                    "delete the rows of one of them (or the copy from the reports, and tag them again)" if within else
                    "count each report in one file only")
        if len(copies) > 1 and log.isEnabledFor(logging.DEBUG):  # --debug: every one, to find and delete them
            log.debug("all %d reports %s under another id: %s", len(copies),
                      "in their file again" if within else "in another file",
                      "; ".join(f"{a!r} in {paths[i]} is {b!r} in {paths[j]}" for (i, a), (j, b) in copies))


def _copy_pairs(contents: list[dict[str, tuple[int, int]]]) -> dict[bool, list[tuple[tuple[int, str], tuple[int, str]]]]:
    """The copies :func:`_copies_under_other_ids` names (by :func:`earlier_copy`): ``(file, id)`` of the earlier
    report and of its copy, those within one file under ``True``, those across files under ``False``.

    Example:
        >>> _copy_pairs([{"a": (60, 1), "b": (60, 1), "c": (9, 2), "x": (9, 2)}, {"a": (60, 1), "z": (60, 1)}])
        {True: [((0, 'a'), (0, 'b'))], False: [((0, 'a'), (1, 'z'))]}
    """
    seen: dict[int, str] = {}
    held: dict[int, int] = {}  # the file of each content's first id
    found: dict[bool, list[tuple[tuple[int, str], tuple[int, str]]]] = {True: [], False: []}
    for k, content in enumerate(contents):
        for report, (length, digest) in content.items():
            earlier = earlier_copy(seen, report, (length, digest))
            first_file = held.setdefault(digest, k)
            if earlier is not None:
                found[first_file == k].append(((first_file, earlier), (k, report)))
    return found


COPY_MIN_CHARS = 40
"""The length of text below which two reports with the same texts under other ids are not taken for copies (here
across tagged files; by ``tagger tag`` within its run)."""


def report_content(texts: Sequence[str], meta: Mapping[str, object]) -> tuple[int, int]:
    """What tells one tagged report from another of the same content: the length of its paragraphs' texts, and a
    64-bit digest of those texts with its kept cells (``meta``: a column's cell, or its cells paragraph by paragraph
    as a list), for :func:`earlier_copy` (8 bytes a report however long the run). A cell counts as the same value
    reads in every format (:func:`_cell_key`: ``1.0`` is 1, `` 国网甲 `` is 国网甲), in ``tagger tag`` as in ``tagger
    stats``.

    Example:
        >>> a = report_content(["标题", "正文。"], {"company": "国网甲"})
        >>> a == report_content(["标题", "正文。"], {"company": "国网甲"}), a == report_content(["标题", "正文。"], {})
        (True, False)
        >>> a[0], a == report_content([" 标题", "正文。 "], {"company": "国网甲 "})
        (5, True)
        >>> report_content(["正文。"], {"n": "1.0"}) == report_content(["正文。"], {"n": 1})
        True
    """
    return _content_of(texts, {column: _cell_keys(value) if isinstance(value, list) else _cell_key(value)
                               for column, value in meta.items()})


def _content_of(texts: Sequence[str], keys: Mapping[str, object]) -> tuple[int, int]:
    """:func:`report_content` of kept cells read already (``keys``: their :func:`_cell_key`, as
    :func:`_report_prints` has them)."""
    import hashlib

    texts = [t.strip() for t in texts]  # a space added by hand at a text's end (tag writes texts trimmed)
    cells = json.dumps(dict(keys), ensure_ascii=False, sort_keys=True)
    digest = hashlib.blake2b("\x1e".join([*texts, cells]).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return sum(map(len, texts)), int.from_bytes(digest, "big")


def earlier_copy(seen: dict[int, str], report: str, content: tuple[int, int]) -> str | None:
    """The id of an earlier report whose paragraphs and kept cells ``report`` repeats under another id (its
    :func:`report_content`; ``seen``, each content's first id, is filled in), else ``None``: a story a CMS exported
    twice, rows pasted into the next month's sheet, which a count takes for two reports. Reports under
    :data:`COPY_MIN_CHARS` characters are no copies (one-line replies such as 本月无新增情况 repeat), nor is an id
    given twice (its own warning: its paragraph ids repeat): the rule of ``tagger tag`` within its run and of
    ``tagger stats`` within a file and across files (:func:`_copies_under_other_ids`).

    Example:
        >>> seen = {}
        >>> [earlier_copy(seen, r, c) for r, c in (("a", (60, 7)), ("b", (60, 7)), ("a", (60, 7)), ("c", (9, 8)),
        ...                                        ("d", (9, 8)))]
        [None, 'a', None, None, None]
    """
    if content[0] < COPY_MIN_CHARS:
        return None
    first = seen.setdefault(content[1], report)
    return None if first == report else first


def _own_report_ids(paths: list[Path], frames: list[pd.DataFrame]) -> None:
    """Tell apart, in place, reports of several files that share an id: each month's ``tagger tag export.csv`` names
    its rows ``export:1``, ``export:2`` …, so two months' files hold the same ids for different reports. A report
    is known by its paragraphs' ids and texts (in any row order; not by its scores, which a retrained model
    changes) and the cells of the kept columns both files have (a date, a company, as the same value reads in any
    format: one-line replies such as 本月无新增情况 repeat from month to month under one row number): one whose id
    another file holds for other paragraphs gets a file's name after its id and its paragraph ids (``export:2
    (2023-02.jsonl)``; the path where two files share a name), and a log line says so; files holding the same
    paragraphs for an id (one report tagged into both) name it alike (by the first of them), so that the count names
    the copies (:func:`tagger.analysis.stats.corpus_stats`). One sort of each file's rows."""
    from collections import defaultdict

    prints = [_report_prints(frame) for frame in frames]
    _copies_under_other_ids(paths, [content for _, _, content in prints])
    holders: dict[str, list[int]] = defaultdict(list)
    for k, (base, _, _) in enumerate(prints):
        for report in base:
            holders[report].append(k)
    shared = {r: ks for r, ks in holders.items() if len(ks) > 1}
    if not shared:
        return

    def same(report: str, a: int, b: int) -> bool:
        (base_a, cells_a, _), (base_b, cells_b, _) = prints[a], prints[b]
        return base_a[report] == base_b[report] and all(cells_a[c][report] == cells_b[c][report]
                                                        for c in cells_a.keys() & cells_b.keys())

    shown = list(file_names(paths).values())
    renamed: dict[int, dict[str, int]] = defaultdict(dict)  # file → report id → the file it is named by
    for report, ks in shared.items():
        groups: list[int] = []  # the first file of each group of files holding the same report
        for k in ks:
            named_by = next((g for g in groups if same(report, g, k)), None)
            if named_by is None:
                groups.append(k)
                named_by = k
            renamed[k][report] = named_by
        if len(groups) == 1:  # every file holds the same paragraphs: copies of one report, named as they are
            for k in ks:
                del renamed[k][report]
    first = None
    for k, reports in renamed.items():
        if not reports:
            continue
        frame = frames[k]
        ids = frame["report"].astype(str)
        mark = ids.map(lambda r, reports=reports: f" ({shown[reports[r]]})" if r in reports else "")
        mine = (mark != "").to_numpy()
        frame.loc[mine, "report"] = ids[mine] + mark[mine]
        frame.loc[mine, "paragraph"] = frame.loc[mine, "paragraph"].astype(str) + mark[mine]
        first = first or ids[mine].iloc[0]
    if first is not None:
        n = len(set().union(*(set(r) for r in renamed.values())))
        named = sorted({reports[first] for reports in renamed.values() if first in reports})
        log.info("%s used in more than one file for different reports (e.g. %r in %s): counted as different reports, "
                 "each named with its file: %s", "a report id is" if n == 1 else f"{n:,} report ids are", first,
                 " and ".join(shown[k] for k in named[:2]), " and ".join(repr(f"{first} ({shown[k]})")
                                                                        for k in named[:2]))


def _marks_differ(path: Path, df: pd.DataFrame, labels: Iterable[Collection[str]]) -> list[str]:
    """Where (:func:`where`) a workbook's paragraph rows have 0/1 columns that differ from ``labels`` (per row)."""
    marks = _marks(path, df)
    return [where(path, df, i) for i, row, given in zip(df.index, marks.tolist(), labels)
            if row != [lab in given for lab in LABELS]]


_MARK_CELLS = {1: True, 0: False, "1": True, "1.0": True, "true": True, "0": False, "0.0": False, "false": False,
               "": False}  # what a 0/1 cell may hold (1 == 1.0 == True: one key)


def _marks(path: Path, df: pd.DataFrame) -> np.ndarray:
    """A workbook's 0/1 column per label as flags (rows × :data:`~tagger.labels.LABELS`), each cell read by
    :func:`_mark` from the column's values (not looked up cell by cell in the frame: a corpus has many).

    Raises:
        InputError: a cell that is none of those values (:func:`_mark` names it).
    """
    import numpy as np

    out = np.zeros((len(df), len(LABELS)), bool)
    for j, lab in enumerate(LABELS):
        for k, value in enumerate(df[lab].tolist()):
            out[k, j] = _mark(value, path, df, df.index[k], lab)
    return out


SCIENTIFIC_NUMBER = re.compile(r"[+-]?\d(?:\.\d+)?E\+?\d+", re.IGNORECASE)
"""A number as a spreadsheet shows a long one in its General format (2.02405E+13): an id it has rounded."""


def paragraph_id_problem(pid: str, report: str) -> str | None:
    """What is wrong with a tagged row whose paragraph id is not ``<report>:<index>`` of its report, with the likely
    cause (a long numeric report id a spreadsheet wrote in scientific notation, or with a ``.0``); ``None`` when
    it is.

    Example:
        >>> paragraph_id_problem("r:0", "r") is None
        True
        >>> paragraph_id_problem("20240501001234:0", "2.02405E+13")[:60]
        "paragraph id '20240501001234:0' is not <report>:<index> of i"
    """
    prefix, _, tail = pid.rpartition(":")
    if prefix == report and paragraph_index_written(tail):
        return None
    said = f"paragraph id {pid!r} is not <report>:<index> of its report {report!r}"
    if hint := time_of_day_hint(pid):
        return f"{said}: {hint}"
    if SCIENTIFIC_NUMBER.fullmatch(report.strip()):
        return (f"{said}: a spreadsheet saved the long number as {report!r} (scientific notation), and several reports "
                "may now share it; format the report column as text (or the number format 0) and save the file "
                "again, or write the report ids from the paragraph ids (the part before the last ':')")
    if report.endswith(".0") and prefix == report[:-2]:
        return (f"{said}: the id became a number with a '.0' (a number column with an empty cell, saved by pandas); "
                "save the report column as text")
    return (f"{said}: tagger tag writes each paragraph id as <report>:<index>, and reads a tagged file's reports "
            "back by them; put back this row's report id (or its paragraph id)")


TOTAL_WORDS = frozenset(("合计", "总计", "小计", "共计", "总数", "汇总", "合計", "總計", "小計", "total", "totals",
                         "subtotal", "grand total", "sum", "summe", "count"))
"""Words a totals row an analyst types under a table holds in its first cells (compared stripped, lower case)."""
_TOTAL_CELLS = frozenset(form for word in TOTAL_WORDS for form in (word, word.title(), word.upper(), word.capitalize()))
_ID_COLUMNS = ("row_type", "report", "paragraph")  # where a totals row says it is one


def _blank(value: object) -> bool:
    return is_missing(value) or (isinstance(value, str) and not value.strip())


def stray_row(cells: dict) -> str | None:
    """What a row of a tagged file that is no paragraph row looks like, and what to do, from its ``cells`` (column
    → value, as read): a totals row typed under the tagged rows (``合计``/``Total`` in its id cells, sums in score
    columns), a summary row whose ``row_type`` column was deleted, a row without report and paragraph ids (or
    without one and without text or scores). ``None`` for a summary row, a blank row, or a row that may be a
    paragraph row (its cells are checked one by one after: a cleared id cell is named for itself).

    Example:
        >>> print(stray_row({"report": "合计", "paragraph": "", "labels": "", "score_elderly_care": "3.2"}))
        not a paragraph row: it looks like a totals row typed under the tagged rows (report '合计', paragraph empty, labels empty, score_elderly_care '3.2'); delete the row (tagger stats counts the paragraphs itself) and save the file again
        >>> stray_row({"report": "r1", "paragraph": "r1:0"}) is None
        True
    """
    if cells.get("row_type") in SUMMARY_ROW_TYPES or all(_blank(v) for v in cells.values()):
        return None
    words = [c for c in _ID_COLUMNS if isinstance(cells.get(c), str) and cells[c].strip().lower() in TOTAL_WORDS]
    no_id = [c for c in ("report", "paragraph") if c in cells and _blank(cells[c])]
    sums = [f"{c} {quote_cell(cells[c])}" for c in SCORE_COLUMNS
            if c in cells and not _blank(cells[c]) and as_score(cells[c]) is None]
    pid, report = cells.get("paragraph"), cells.get("report")
    if (words and not no_id and not sums and isinstance(pid, str) and isinstance(report, str)
            and paragraph_id_problem(pid.strip(), report.strip()) is None):
        words = []  # a report named 汇总 or Total (a file 汇总.txt): its paragraph rows are paragraph rows
    # a paragraph row that lost an id cell (its text and scores there) is named for that cell by the caller
    summary = "row_type" not in cells and not _blank(cells.get("n_paragraphs"))  # --summary's, row_type deleted
    if not words and not (len(no_id) == 2 or no_id and (sums or summary or "text" in cells and _blank(cells["text"]))):
        return None
    seen = [f"{c} {quote_cell(cells[c])}" for c in words]
    seen += [f"{c} empty" for c in ("report", "paragraph", "text", "labels") if c in cells and _blank(cells[c])]
    seen += sums[:2] + (["…"] if len(sums) > 2 else [])
    if not words and summary:
        return (f"not a paragraph row: it looks like a summary row tagger tag --summary wrote (n_paragraphs "
                f"{quote_cell(cells['n_paragraphs'])}, {', '.join(seen)}), in a file whose row_type column was deleted; "
                "delete the summary rows (row_type report and corpus), or put back the row_type column")
    if words or sums:
        return (f"not a paragraph row: it looks like a totals row typed under the tagged rows ({', '.join(seen)}); "
                "delete the row (tagger stats counts the paragraphs itself) and save the file again")
    return (f"not a paragraph row ({', '.join(seen)}): a row added by hand, or one whose cells were cleared; delete "
            "it, or put back its report and paragraph ids (tagger tag writes them as <report> and <report>:<index>)")


def _refuse_stray_rows(path: Path, df: pd.DataFrame) -> None:
    """Refuse a reader's frame ``df`` whose first row with an empty id cell or a totals word there (a summary row
    is none) that is no paragraph row by :func:`stray_row` (a report named 汇总 is one), naming the row."""
    import numpy as np

    look = np.zeros(len(df), bool)
    total = np.zeros(len(df), bool)
    for col in _ID_COLUMNS:
        if col in df.columns:
            cells = df[col]
            total |= cells.isin(_TOTAL_CELLS).to_numpy()
            if col != "row_type":
                look |= (cells.isna() | (cells == "")).to_numpy()
    if total.any() and {"report", "paragraph"} <= set(df.columns):  # a report named 汇总: its paragraph rows are
        pid = df["paragraph"].astype(str).str.strip().str.rpartition(":")  # <report>:<index>, no totals row
        total &= ~((pid[0] == df["report"].astype(str).str.strip()) & pid[2].str.isdigit()).to_numpy()
    look |= total
    if "row_type" in df.columns:
        look &= ~df["row_type"].isin(SUMMARY_ROW_TYPES).to_numpy()
    for k in np.flatnonzero(look):  # the first that is no paragraph row (a report may be named 汇总: its rows are)
        problem = stray_row(df.iloc[k].to_dict())
        if problem:
            raise InputError(f"{where(path, df, df.index[k])}: {problem}")
        if not df.iloc[k].isin(list(_TOTAL_CELLS)).any():  # a cleared id cell: named by the checks after
            return


NO_KIND_NOTE = ("no 'kind' column: headings and captions cannot be told from body paragraphs, and are counted as "
                "paragraphs (in every count and the base of every share); count the file tagger tag wrote (it has the "
                "column), or put the column back (body, heading or caption per row)")
"""What ``tagger stats`` says of a file (or frame) without a ``kind`` column."""


def checked_kinds(kinds: pd.Series, place: Callable[[object], str]) -> pd.Series:
    """The ``kind`` cells of paragraph rows under the one rule every reader of them follows (:func:`read_tagged`,
    :func:`tagger.analysis.stats.corpus_stats`, tag's :func:`read_back`): ``body``, ``heading`` or ``caption`` in any
    case and with spaces around (``Body``, ``HEADING ``: a spreadsheet's autocorrect capitalises a cell's first letter),
    given back as tag writes them, and an empty cell (a cell cleared in a spreadsheet, spaces only, a missing value)
    is ``body``; any other value is refused where it is (``place(index)`` names the row).

    Raises:
        InputError: a value other than those, named with its row.

    Example:
        >>> import pandas as pd
        >>> checked_kinds(pd.Series(["heading", "", None, "body", "Body", " HEADING ", " "]), str).tolist()
        ['heading', 'body', 'body', 'body', 'body', 'heading', 'body']
        >>> checked_kinds(pd.Series(["body", "foo"]), lambda i: f"t.csv:{i + 2}")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: t.csv:3: kind 'foo' is not body, heading or caption; correct the cell ...
    """
    from ..text.report import KINDS

    read = kinds
    if not (read.isna() | read.isin(("", *KINDS))).all():  # as tag wrote them (the rule for most files): kept as read
        read = kinds.map(lambda cell: cell.strip().lower() if isinstance(cell, str) else cell)
    empty = read.isna() | (read == "")
    odd = ~(empty | read.isin(KINDS))
    if odd.any():
        i = kinds.index[odd.to_numpy().argmax()]
        raise InputError(f"{place(i)}: kind {quote_cell(kinds.at[i])} is not {', '.join(KINDS[:-1])} or {KINDS[-1]}; "
                         "correct the cell (a heading or caption carries no label and is not counted; a body paragraph "
                         f"is; an empty cell is a body paragraph), or write the file again with {WRITTEN_BY}")
    return read.mask(empty, "body") if empty.any() else read


def _paragraph_frame(path: Path, df: pd.DataFrame, decided_texts: bool = False, empty: bool = False,
                     texts_optional: bool = False) -> tuple[pd.DataFrame, list[StaleDecision]]:
    """The paragraph rows of a reader's frame ``df`` of the tagged file ``path``, cells checked, with
    ``effective_labels``, ``reviewed`` and :data:`STALE` added (:func:`read_tagged`, :func:`read_back`), and the
    decisions made on another text (:func:`_stale_decisions`). ``decided_texts``: the reader kept the texts of the
    rows with a ``reviewed_sha`` only (:data:`READERS`): those are checked, and the column is left out after.
    ``empty``: a file without paragraph rows (its columns tag's: checked as it was read) gives an empty frame, as
    tag writes one of reports without paragraphs; else it is refused. ``texts_optional``: the texts are read only to
    tell reports apart (:func:`read_tagged_files`): a missing one is an empty text, not a refusal."""
    import pandas as pd

    _refuse_stray_rows(path, df)
    if "row_type" in df.columns:
        kind = df["row_type"]
        paragraph = kind.isna() | kind.isin(PARAGRAPH_ROW_TYPES)
        odd = ~paragraph & ~kind.isin(SUMMARY_ROW_TYPES)  # a summary row is left out; anything else is no row of ours
        if odd.any():
            i = df.index[odd.to_numpy().argmax()]
            raise unknown_row_type(where(path, df, i), df.at[i, "row_type"])
        df = df[paragraph]
    if df.empty and not empty:
        raise InputError(f"{path}: holds no paragraph rows (tagged from reports without paragraphs?): nothing to read "
                         f"back; tag the reports again with {WRITTEN_BY}")
    if "kind" in df.columns:  # "foo" was counted as a paragraph, silently
        df = df.assign(kind=checked_kinds(df["kind"], lambda i: where(path, df, i)))
    df = df.copy()
    for col in ("report", "paragraph", "text"):
        if col not in df.columns:  # text: not read
            continue
        bad = df[col].isna() | (df[col] == "") if col != "text" else df[col].isna()
        if col == "text" and decided_texts:  # read where a decision has a hash only
            bad &= ~df["reviewed_sha"].map(_empty) if "reviewed_sha" in df.columns else False
        if col == "text" and texts_optional:  # counted without it: its copy digest takes ""
            df[col] = df[col].mask(bad, "")
        elif bad.any():
            raise InputError(f"{where(path, df, df.index[bad.to_numpy().argmax()])}: no {col!r} value in a paragraph "
                             f"row; is this the file tagger tag wrote?")
        df[col] = df[col].map(lambda v: v if isinstance(v, str) or col == "text" and decided_texts and _empty(v)
                              else str(v))
    if "paragraph" in df.columns and "report" in df.columns:  # stats and review relied on it too (review: a report
        for i, pid, report in zip(df.index, df["paragraph"], df["report"]):  # id Excel wrote as 2.02405E+13)
            problem = paragraph_id_problem(pid, report)
            if problem:
                raise InputError(f"{where(path, df, i)}: {problem}")
    for col in SCORE_COLUMNS:
        if col not in df.columns:  # not read
            continue
        values = pd.to_numeric(df[col].map(as_score), errors="coerce")  # None → NaN
        bad = values.isna()
        if bad.any():
            i = df.index[bad.to_numpy().argmax()]
            raise InputError(f"{where(path, df, i)}: {col} is {quote_cell(df.at[i, col])}, expected a score between 0 and 1")
        df[col] = values.astype(float)
    labels = _label_column(df, "labels", path, empty_means_none=True)
    if "reviewed_labels" in df.columns:
        reviewed = _label_column(df, "reviewed_labels", path, empty_means_none=False)
    else:
        reviewed = [None] * len(df)
    stale, marked = _stale_decisions(path, df, reviewed)
    df["labels"] = labels
    if "reviewed_labels" in df.columns:
        df["reviewed_labels"] = reviewed
    if "evidence" in df.columns:
        df["evidence"] = _evidence_column(df, path)
    df["effective_labels"] = [r if r is not None else m for m, r in zip(labels, reviewed)]
    df["reviewed"] = [r is not None for r in reviewed]
    df[STALE] = marked
    if decided_texts and "text" in df.columns:
        df = df.drop(columns=["text"])
    return df, stale


def _empty(value: object) -> bool:
    """An empty cell: ``None``, NaN or ``""``."""
    return is_missing(value) or isinstance(value, str) and value == ""


def _stale_decisions(path: Path, df: pd.DataFrame, reviewed: list) -> tuple[list[StaleDecision], np.ndarray]:
    """The decisions of ``df``'s rows (``reviewed``: each row's decided labels, ``None`` for none) whose
    ``reviewed_sha`` is not the hash of the text the row holds (:func:`stale_decision`): set to ``None`` in
    ``reviewed`` (not applied) and returned, with a mark per row (``True`` on theirs: the :data:`STALE` column).
    ``df["reviewed_sha"]`` becomes the hashes as read (:func:`decision_sha`). A file without the column (written
    before decisions kept a hash) has none.

    Raises:
        InputError: a ``reviewed_sha`` cell that is no hash (:func:`decision_sha`).
    """
    import numpy as np
    import pandas as pd

    marked = np.zeros(len(df), dtype=bool)
    if "reviewed_sha" not in df.columns:
        return [], marked
    shas = [None if _empty(value) else decision_sha(value, where(path, df, i))
            for i, value in zip(df.index, df["reviewed_sha"].tolist())]
    df["reviewed_sha"] = pd.Series(shas, index=df.index, dtype=object)  # None where empty (not NaN)
    if "text" not in df.columns:  # not read: no row has a hash (read_tagged reads the texts of those that have)
        return [], marked
    stale = []
    by = df["reviewed_by"].tolist() if "reviewed_by" in df.columns else [None] * len(df)
    at = df["reviewed_at"].tolist() if "reviewed_at" in df.columns else [None] * len(df)
    for k, (i, pid, text, sha) in enumerate(zip(df.index, df["paragraph"], df["text"], shas)):
        if reviewed[k] is None:  # no decision (most rows): no place to work out
            continue
        decision = stale_decision(pid, reviewed[k], sha, text, where(path, df, i), by[k], at[k])
        if decision is not None:
            stale.append(decision)
            reviewed[k] = None
            marked[k] = True
    return stale, marked


# --------------------------------------------------------------------------- reading a tagged file back (tag again)
REVIEW_FIELDS = ("reviewed_labels", "reviewed_by", "reviewed_at", "reviewed_sha")
"""The columns of a review decision: ``tagger review`` writes them, ``tagger tag`` carries them over;
``reviewed_sha`` is the :func:`~tagger.data.examples.text_sha` of the text it was made on (empty in files written
before it was kept: such a decision applies to the text as it is)."""
QUEUE_COLUMNS = ("review", "review_rank", "review_margin")
"""The columns of a review queue (``tagger tag --review``)."""
COUNT_COLUMNS = tuple(f"count_{lab}" for lab in LABELS)
TAG_COLUMNS = frozenset(("row_type", "report", "paragraph", "kind", "text", "labels", *SCORE_COLUMNS, "evidence",
                         "n_paragraphs", *COUNT_COLUMNS, "reports", "left_out", *QUEUE_COLUMNS, *REVIEW_FIELDS))
"""The columns ``tagger tag`` and ``tagger review`` write themselves: any other column of a tagged file was kept
from the input (``--keep-columns``) — but see :data:`SUMMARY_ONLY_COLUMNS`."""
SUMMARY_ROW_COLUMNS = frozenset(("n_paragraphs", *COUNT_COLUMNS))
"""The counts ``tagger tag --summary`` writes in its summary rows only (per report, and the corpus): empty in every
paragraph row (its ``reports`` is an output column of ``tagger stats``; ``left_out`` may be a column kept from the
input)."""
SUMMARY_ONLY_COLUMNS = frozenset(("left_out",))
"""Columns of :data:`TAG_COLUMNS` that tag writes only with ``--summary``, added after input columns of that name
could be kept: such a column is refused as a kept one only with ``--summary``, and is tag's own only in a file with
the summary's ``reports`` column (:func:`tag_columns`)."""


def tag_columns(names: Collection[str]) -> frozenset[str]:
    """The columns tag and review wrote in a tagged file with these column ``names`` (:data:`TAG_COLUMNS`): a column
    of :data:`SUMMARY_ONLY_COLUMNS` is tag's only in a ``--summary`` file (one with ``reports``), else it was kept.

    Example:
        >>> "left_out" in tag_columns(["report", "reports", "left_out"]), "left_out" in tag_columns(["left_out"])
        (True, False)
    """
    return TAG_COLUMNS if "reports" in names else TAG_COLUMNS - SUMMARY_ONLY_COLUMNS


def is_tagged_file(path: str | Path) -> bool:
    """Whether ``path`` is a file ``tagger tag`` wrote (what :func:`earlier_output` calls tag's output: a tagged
    table by :func:`tagged_table`'s rule, or the display table; not a stats page, an export or stats counts),
    whatever its name.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     a = os.path.join(d, "a.csv")
        ...     _ = open(a, "w").write(",".join(["", "text", "report", "paragraph", "labels", *SCORE_COLUMNS]) + "\\n")
        ...     is_tagged_file(a), is_tagged_file(os.path.join(d, "none.jsonl"))
        (True, False)
    """
    return _written_as(path) == "tag"


def is_tagged_head(first_line: str) -> bool:
    """Whether ``first_line`` (a stream's, such as stdin's, decoded) starts a tagged table: a JSONL row or a
    delimited header with a tagged table's columns (:func:`head_columns`, :func:`tag_shaped`), in any order, or a
    JSONL summary row (a tagged file sorted).

    Example:
        >>> row = dict.fromkeys(["text", "report", "paragraph", "labels", *SCORE_COLUMNS], "")
        >>> is_tagged_head(json.dumps(row)), is_tagged_head("\\t".join(row)), is_tagged_head("id,text")
        (True, True, False)
    """
    names = head_columns(first_line)
    if tag_shaped(names):
        return True
    if first_line.startswith("{", json_start(first_line)) and "report" in names:  # a summary row first
        row = load_json(first_line)  # as head_columns read it
        return row.get("row_type") in SUMMARY_ROW_TYPES
    return False


def kept_columns(path: str | Path, names: Iterable[str]) -> list[str]:
    """The columns of the tagged file ``path`` (its column ``names``) that ``--keep-columns`` carried over from the
    input: all but those tag and review write (:func:`tag_columns`; a workbook's 0/1 column per label too) and an
    index column a spreadsheet or pandas added (an empty name, ``Unnamed: 0``).

    Example:
        >>> kept_columns("t.xlsx", ["", "report", "company", "labels", "elderly_care", "score_elderly_care", "date"])
        ['company', 'date']
        >>> kept_columns("t.csv", ["Unnamed: 0", "report", "company"])
        ['company']
    """
    names = list(names)
    marks = Path(path).suffix.lower() == ".xlsx" or has_marks(names)
    tags = tag_columns(names)
    return [n for n in names if n and n not in tags and n not in DERIVED_COLUMNS and not (marks and n in LABELS)
            and not _INDEX_COLUMN.fullmatch(n)]


def has_marks(names: Collection[str]) -> bool:
    """Whether a tagged table with these column ``names`` has a workbook's 0/1 column per label (one named by each
    label id): in a workbook tag wrote, or its sheet saved as CSV or "Unicode Text" (the columns kept, the
    labels edited there read as in the workbook: :func:`hand_edit`).

    Example:
        >>> has_marks(["report", *LABELS]), has_marks(["report", "elderly_care"])
        (True, False)
    """
    return all(lab in names for lab in LABELS)


_INDEX_COLUMN = re.compile(r"Unnamed: \d+(?:\.\d+)?|__index_level_\d+__")
"""The name pandas gives a column with an empty header cell (``Unnamed: 0``: the index column ``to_csv`` wrote, read
and saved again), and the index ``to_parquet`` keeps (``__index_level_0__``): an index, like an empty name, never a
kept column."""


class _Header(Exception):
    """Raised by :func:`tagged_columns`' header check to stop a reader once the columns are known."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("header read")
        self.names = names


def tagged_columns(path: str | Path) -> list[str]:
    """The columns of the tagged file ``path`` (its header; a JSONL file's first paragraph row), read without its
    rows (a CSV file is decoded, not parsed).

    Raises:
        InputError: not a tagged file, or one no reader takes (see :func:`read_tagged`).
    """
    path = Path(path)
    reader = _reader_of(path)
    if reader is None:
        raise InputError(f"{path}: cannot read a {path.suffix or 'suffix-less'} file as a tagged file")

    def stop(names: list[str]) -> None:
        raise _Header([n for n in names if n not in DERIVED_COLUMNS])

    try:
        reader(path, (), stop)
    except _Header as header:
        return header.names
    return []


@dataclass(frozen=True)
class Decision:
    """A person's decision on a paragraph (``tagger review``): its labels (empty: no label), who and when."""

    labels: tuple[str, ...]
    by: str | None = None
    at: str | None = None


@dataclass(frozen=True)
class TaggedParagraph:
    """A paragraph row of a tagged file, as read back: id (``<report>:<index>``), index, kind, text, the
    review decision on it (``None``: not reviewed), what its cells say of the model's labels (``written``:
    what tells a hand edit of them, :func:`hand_edit`) and whether the file held a decision on it made on another
    text, set aside (``set_aside``: :attr:`ReadBack.stale`; a fresh review queue flags it)."""

    id: str
    index: int
    kind: str
    text: str
    decision: Decision | None = None
    written: Written | None = field(default=None, compare=False)
    set_aside: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Written:
    """What a paragraph row of a tagged file says of the model's labels: its ``labels`` cell, a workbook's 0/1
    column per label (``marks``; ``None`` in other formats), its scores (in :data:`~tagger.labels.LABELS` order)
    and whether its labels disagree with its scores by the file's own cut per label (``suspect``:
    :func:`label_disagreements`) — what tells a hand edit of a label (:func:`hand_edit`)."""

    labels: tuple[str, ...]
    scores: tuple[float, ...]
    marks: tuple[str, ...] | None = None
    suspect: bool = False
    edited: tuple[str, ...] | None = None
    """With the thresholds the file records (:func:`model_record`): the labels on which the row's cells (its 0/1
    columns, else its labels cell) may differ from what those thresholds give its scores — a person's edits (a
    score within rounding of a threshold counts); on the others the recording model decided. ``None``: the file
    records no thresholds."""

    @property
    def recorded(self) -> bool:
        """The file records the thresholds that decided its labels, and its labels cell and 0/1 columns are surely
        what they give its scores: the recording model's labels, which nobody edited."""
        return self.edited == () and (self.marks is None or set(self.marks) == set(self.labels))


SCORE_TOLERANCE = 6e-5
"""Scores within this of each other are the same score: a tagged file holds them rounded to 4 decimals."""


def label_disagreements(labels: Sequence[Collection[str]], scores: np.ndarray,
                        thresholds: Sequence[float] | None = None, tolerance: float = SCORE_TOLERANCE) -> np.ndarray:
    """Per row and label (a matrix in :data:`~tagger.labels.LABELS` order), whether a row's labels disagree with its
    scores (``scores``: one column per label). With ``thresholds`` (a model's), a label held on a score below its
    threshold or a score at or above it without the label — a score within ``tolerance`` of a threshold counts as
    disagreeing (a file holds rounded scores: only a row that surely agrees is passed). Without, the cut per label
    that the most rows agree with stands in for the threshold (the file's own, not knowing the model that wrote it).

    Example:
        >>> import numpy as np
        >>> s = np.zeros((4, 5)); s[:, 0] = [0.9, 0.8, 0.3, 0.1]
        >>> label_disagreements([("elderly_care",), (), (), ("elderly_care",)], s).any(axis=1).tolist()
        [False, False, False, True]
        >>> label_disagreements([("elderly_care",), ("elderly_care",), (), ()], s, [0.5] * 5).any(axis=1).tolist()
        [False, False, False, False]
    """
    import numpy as np

    n = len(labels)
    out = np.zeros((n, len(LABELS)), bool)
    for j, lab in enumerate(LABELS):
        has = np.fromiter((lab in row for row in labels), bool, n)
        s = scores[:, j]
        if thresholds is not None:
            t = float(thresholds[j])
            out[:, j] = (has & (s < t + tolerance)) | (~has & (s >= t - tolerance))
            continue
        t = _own_cut(has, s)
        out[:, j] = (has & (s < t)) | (~has & (s >= t))
    return out


def _own_cut(has: np.ndarray, s: np.ndarray) -> float:
    """The cut of one label that the most rows agree with (``has``: whether each row holds it, ``s``: its scores):
    the lowest of the best, ``inf`` where none holds it."""
    import numpy as np

    cuts = np.append(np.unique(s), np.inf)  # a cut at each score, or above all: no row holds the label
    held, free = np.sort(s[has]), np.sort(s[~has])
    wrong = np.searchsorted(held, cuts, "left") + (len(free) - np.searchsorted(free, cuts, "left"))
    return float(cuts[int(np.argmin(wrong))])


def _scored_alike(written: Written, scores: Sequence[float]) -> set[str]:
    """The labels whose score now (``scores``) is the one the file holds (``written.scores``, rounded there)."""
    return {lab for lab, a, b in zip(LABELS, written.scores, scores) if abs(a - b) <= SCORE_TOLERANCE}


def hand_edit(written: Written | None, labels: Collection[str], scores: Sequence[float]) -> tuple[str, ...] | None:
    """The labels the ``written`` cells of a paragraph row give it where they differ from the ``labels`` the model
    now gives it on a label it scores as the file holds it (``scores``: the model's, now), or ``None`` where they
    do not: the workbook's 0/1 columns first (they hold the final labels), then the ``labels`` cell. On a label
    whose score differs (another model, a neighbour deleted, a rounded cell) the model's labels stand: there an
    edit cannot be told from the old labels. What such a difference is — a person's edit, or labels written with
    other thresholds — the caller's user says (``tagger tag --keep-edited-labels``).

    Example:
        >>> w = Written(labels=("volunteer_work",), scores=(0.1, 0.0, 0.0, 0.0, 0.3))
        >>> hand_edit(w, [], [0.1, 0.0, 0.0, 0.0, 0.3]), hand_edit(w, [], [0.1, 0.0, 0.0, 0.0, 0.2])
        (('volunteer_work',), None)
        >>> hand_edit(w, ["volunteer_work"], [0.1, 0.0, 0.0, 0.0, 0.3]) is None
        True
    """
    if written is None or written.recorded:  # the file's record says its model gave these labels
        return None
    if written.edited is not None:  # recorded thresholds: a person decided the labels edited, the model the rest
        given = set(written.marks if written.marks is not None else written.labels)
        now = set(labels)
        decided = tuple(lab for lab in LABELS if (lab in given if lab in written.edited else lab in now))
        return decided if set(decided) != now else None  # an edit the model now makes too: nothing to keep
    same = _scored_alike(written, scores)
    now = set(labels)
    for given in (written.marks, written.labels):
        if given is not None and (set(given) ^ now) & same:
            return tuple(lab for lab in LABELS if lab in (set(given) & same) | (now - same))
    return None


def unknowable_edit(written: Written | None, labels: Collection[str], scores: Sequence[float]) -> bool:
    """Whether a paragraph row may hold a person's edit that :func:`hand_edit` cannot tell: its cells give other
    labels than the model now does on a label it scores otherwise than the file holds, and they look edited —
    the ``labels`` cell disagrees with the file's own scores (``Written.suspect``), or a workbook's 0/1 columns
    differ from it.

    Example:
        >>> w = Written(labels=("volunteer_work",), scores=(0.1, 0.0, 0.0, 0.0, 0.3), suspect=True)
        >>> unknowable_edit(w, [], [0.1, 0.0, 0.0, 0.0, 0.2]), unknowable_edit(w, [], [0.1, 0.0, 0.0, 0.0, 0.3])
        (True, False)
    """
    if written is None or written.recorded:
        return False
    other = set(LABELS) - _scored_alike(written, scores)
    looks_edited = written.suspect or (written.marks is not None and set(written.marks) != set(written.labels))
    return looks_edited and any((set(given) ^ set(labels)) & other
                                for given in (written.marks, written.labels) if given is not None)


@dataclass(frozen=True)
class TaggedReport:
    """A report read back from a tagged file (:func:`read_back`): its id, where its first row is (for
    messages), its kept columns (``meta``) and its paragraphs in reading order. Picklable: a worker process
    scores it."""

    report: str
    where: str
    meta: dict = field(default_factory=dict, compare=False)
    paragraphs: tuple[TaggedParagraph, ...] = ()
    source: str = field(default="", compare=False)  # the file it was read back from
    model: dict | None = field(default=None, compare=False)  # the file's record of the model that tagged it
    left_out: int = field(default=0, compare=False)  # the file's: input reports its run left out (ReadBack.left_out)


@dataclass
class ReadBack:
    """What :func:`read_back` read: the reports, the kept columns, the review decisions carried over (in the
    file, and a session's journalled ones made on the text the file holds) and those not carried (journalled
    on a paragraph whose text differs, or a journal line cut by a kill) — and the file's own decisions whose
    ``reviewed_sha`` is another text's than their row holds (``stale``: the text was edited since; never carried)."""

    path: Path
    reports: list[TaggedReport] | Iterator[TaggedReport]
    kept: list[str]
    decisions: int = 0
    not_carried: list[str] = field(default_factory=list)
    """The decisions journalled beside the file not carried over (but those in :attr:`conflicts`), each named
    with its reason."""
    model: dict | None = None  # the file's record of the model that tagged it (model_record)
    stale: list[StaleDecision] = field(default_factory=list)  # in the file, made on another text: not carried
    left_out: int = 0
    """The input reports with nothing to tag that the run which wrote the file left out, as the file records them
    (:func:`recorded_left_out`): not in its rows, so a run tagging it again carries the count on."""
    conflicts: list[JournalConflict] = field(default_factory=list)
    """Decisions journalled beside the file in conflict with one the file was given after the session read the
    row (:meth:`JournalEntry.conflict`): the later one was carried over."""
    count: int = 0
    """How many reports :attr:`reports` holds (it may be an iterator: :func:`read_back_streamed`)."""
    cut_kept: list[tuple[str, str]] = field(default_factory=list)
    """Each kept value an .xlsx output cut at Excel's cell limit: where its report's first row is, and the column."""


def _cell_text(value: object) -> str | None:
    """A ``reviewed_by`` / ``reviewed_at`` cell as text, ``None`` for an empty one."""
    if is_missing(value) or value == "":
        return None
    return value if isinstance(value, str) else str(value)


LEFT_OUT = "left_out"
"""The corpus row's count of the input reports with nothing to tag, left out of the rows (``--summary``; a
workbook's summary sheet; SQLite's ``tagger_meta`` key of that name)."""


def _summary_rows(path: Path, raw: pd.DataFrame) -> list[tuple[str, object, object, str, object]]:
    """The summary rows of the tagged file ``path`` as ``(row_type, report, n_paragraphs, where, left_out)``: those
    among the rows (``raw``: JSONL, CSV, Parquet), the workbook's ``summary`` sheet, SQLite's ``reports`` table
    (``left_out``: the cell of that column, ``None`` where there is none)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        wb = open_workbook(path)
        try:
            if "summary" not in wb.sheetnames:
                return []
            rows = wb["summary"].iter_rows(values_only=True)
            names = [str(h) for h in next(rows, None) or ()]
            if not {"row_type", "report", "n_paragraphs"} <= set(names):
                return []
            at = {n: names.index(n) for n in ("row_type", "report", "n_paragraphs")}
            # the last: tag's own (a kept input column of that name comes before it)
            left = len(names) - 1 - names[::-1].index(LEFT_OUT) if LEFT_OUT in names else None
            return [(row[at["row_type"]], row[at["report"]], row[at["n_paragraphs"]], f"{path}:summary row {n}",
                     row[left] if left is not None and len(row) > left else None)
                    for n, row in enumerate(rows, start=2) if row and len(row) > max(at.values())
                    and row[at["row_type"]] in SUMMARY_ROW_TYPES]
        finally:
            wb.close()
    if suffix in (".sqlite", ".sqlite3", ".db"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            try:
                found = conn.execute("SELECT report, n_paragraphs, rowid FROM reports").fetchall()
            except sqlite3.DatabaseError:  # no reports table (written by other means): nothing to check
                return []
        return [("report", report, n, f"{path}:reports table row {rowid}", None) for report, n, rowid in found]
    if "row_type" not in raw.columns or "n_paragraphs" not in raw.columns:
        return []
    summary = raw[raw["row_type"].isin(SUMMARY_ROW_TYPES)]
    return [(kind, report, n, where(path, raw, i), left) for i, kind, report, n, left in
            zip(summary.index, summary["row_type"], summary.get("report", [None] * len(summary)),
                summary["n_paragraphs"], summary.get(LEFT_OUT, [None] * len(summary)))]


def recorded_left_out(path: str | Path, summary: Sequence[tuple]) -> int:
    """The input reports with nothing to tag that the run which wrote the tagged file ``path`` left out of its rows:
    its corpus row's ``left_out`` (``--summary``, a workbook's summary sheet), SQLite's ``tagger_meta`` key
    ``left_out``; 0 where the file records none (no summary rows, an empty cell, a file from before the count).
    ``summary``: the file's :func:`_summary_rows` (a SQLite file's are not looked at).

    Raises:
        InputError: a ``left_out`` cell that is no whole number, naming its row.

    Example:
        >>> recorded_left_out("t.jsonl", [("corpus", "(all)", 3, "t.jsonl:5", 2)])
        2
        >>> recorded_left_out("t.jsonl", [("report", "r1", 3, "t.jsonl:4", None)])
        0
    """
    path = Path(path)
    if path.suffix.lower() in (".sqlite", ".sqlite3", ".db"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            try:
                found = conn.execute("SELECT value FROM tagger_meta WHERE key = ?", (LEFT_OUT,)).fetchone()
            except sqlite3.DatabaseError:  # no tagger_meta (written by other means): none recorded
                return 0
        summary = [("corpus", None, None, f"{path}: tagger_meta", found[0] if found else None)]
    total = 0
    for kind, _, _, at, cell in summary:
        if kind != "corpus" or _blank(cell):
            continue
        n = whole_number(cell)
        if n is None or n < 0:
            raise InputError(f"{at}: left_out is {quote_cell(cell)}, not a number of input reports left out; correct "
                             "it (the run that wrote the file said how many in its last line), or empty it")
        total += n
    return total


def _check_summary(path: Path, have: Counter, total: int, summary: list[tuple[str, object, object, str, object]]
                   ) -> None:
    """Refuse a tagged file whose summary rows (``--summary``; a workbook's summary sheet, SQLite's reports table)
    count other paragraphs than its paragraph rows: rows were deleted or added since tag wrote it, and its
    reports would be read back without them (or with others), their scores changed without a word. ``have``: the
    paragraph rows of each report, in the order the reports come; ``total``: all paragraph rows."""
    if not summary:
        return
    want: Counter = Counter()
    summary_rows = {".xlsx": "the summary sheet", ".sqlite": "every row of the reports table: DELETE FROM reports"}
    fix = ("its reports cannot be read back whole; tag the reports it came from again (or, if the paragraph rows "
           f"are right, delete {summary_rows.get(path.suffix.lower(), 'the summary rows: row_type report and corpus')})")
    corpus = []
    for kind, report, n, at, _ in summary:
        count = whole_number(n)
        if count is None:
            raise InputError(f"{at}: n_paragraphs is {quote_cell(n)}, not a number of paragraphs; {fix}")
        if kind == "corpus":
            corpus.append(count)
        else:
            want[str(report)] += count
    for report in dict.fromkeys([*want, *have]) if want else ():
        if want[report] != have[report]:
            raise InputError(f"{path}: report {report!r} has {counted(have[report], 'paragraph row')}, but its "
                             f"summary row counts {want[report]:,} (rows deleted or added since tagger tag wrote "
                             f"it?): {fix}")
    for count in corpus:
        if count != total:
            raise InputError(f"{path}: its corpus row counts {counted(count, 'paragraph')}, but it holds "
                             f"{counted(total, 'paragraph row')} (rows deleted or added since tagger tag wrote "
                             f"it?): {fix}")


_DECIMAL_COMMA = re.compile(r"\s*\d+,\d{1,2}\s*")  # "4,0" (never "1,000": three digits may be a thousands separator)


def whole_number(value: object) -> int | None:
    """A count or rank cell as a whole number (``3``, ``3.0``, ``"3"``, and ``"3,0"``: a spreadsheet saved it in a
    locale with decimal commas), else ``None``.

    Example:
        >>> whole_number(3), whole_number("3"), whole_number(3.0), whole_number("3,0"), whole_number("1,000")
        (3, 3, 3, 3, None)
        >>> whole_number("x"), whole_number(None), whole_number(2.5), whole_number(True)
        (None, None, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _DECIMAL_COMMA.fullmatch(value):
        value = decimal_point(value)
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


_NO_KIND_COLUMN = ("no 'kind' column: which paragraphs are headings and captions is not known, and they are scored as "
                   "such; tag the reports it came from again")
"""What :func:`read_back` (and :func:`read_back_streamed`) says of a tagged file without the ``kind`` column."""


def read_back(path: str | Path) -> ReadBack:
    """The reports of a file ``tagger tag`` wrote (any format but the display table), read back from its
    paragraph rows: the same report ids, paragraph ids, indexes, kinds and texts, in reading order (a report whose
    rows a spreadsheet sorted is put back in order; an id given to two input reports — its paragraph ids
    repeat — gives two reports again), its kept columns and every review decision: those in the file and those
    a session journalled beside it on the text the file holds (others are counted in
    :attr:`ReadBack.not_carried`) — but a decision in the file whose ``reviewed_sha`` is another text's than its
    row holds (the text corrected since: :attr:`ReadBack.stale`, the file left as it is). The file is read whole; a
    review session that has it open is refused.

    Raises:
        InputError: not a file tag wrote in a format read back, a review session has it open, a bad cell (names
            the line), no ``kind`` column, a paragraph id that is not ``<report>:<index>``, or summary rows that
            count other paragraphs than the file holds (rows deleted or added: its reports would not be whole).

    Example:
        >>> back = read_back("out/all.jsonl")  # doctest: +SKIP
        >>> back.reports[0].paragraphs[0]  # doctest: +SKIP
        TaggedParagraph(id='r1:0', index=0, kind='heading', text='为民服务 暖心行动', decision=None)
    """
    path = Path(path)
    reader = _reader_of(path)
    if reader is None and not _display_table(path):
        raise InputError(f"{path}: cannot read a {path.suffix or 'suffix-less'} file as a tagged file; save it as "
                         ".jsonl, .csv, .parquet, .xlsx or .sqlite (or a tab-separated .tsv)")
    if reader is None:
        raise InputError(f"{path}: the display table tagger tag writes (texts cut to 60 characters): it cannot be "
                         f"read back; tag the reports it came from, or tag them to .jsonl (or .csv, .parquet, .xlsx, "
                         ".sqlite): such a file can be tagged again")
    with hold_review_lock(path, "stop it first, so that every decision is read back with it", holder=RETAG):
        return _first_pass(path, None, False).back(path)


def _reports_of(path: Path, rows: dict[str, list], repeated: Collection[str], kept: Sequence[str],
                has: dict[str, bool], decided: dict[str, Decision], record: dict | None, left_out: int,
                disagree: list[tuple[str, str, int]]) -> list[TaggedReport]:
    """The reports of ``rows`` (report id → its rows ``(index, where, record)``, in the file's order), in the order
    of their first rows (:func:`read_back`): a report's rows in reading order, its kept columns' values, its
    paragraphs' decisions (``decided``; a ``repeated`` paragraph id's rows each keep their own); a kept column whose
    rows hold different values is added to ``disagree``."""
    reports: list[tuple[int, TaggedReport]] = []  # with the place of its first row: reports come in the file's order
    for report, found in rows.items():
        copies = _copies(report, found) if any(rec["paragraph"] in repeated for _, _, rec in found) else [found]
        for copy in copies:
            first_row = min(rec[_POSITION] for _, _, rec in copy)
            copy.sort(key=lambda r: r[0])  # reading order, whatever order a spreadsheet left the rows in
            meta = {}
            for column in kept:
                meta[column], values = _kept_cell([_kept_value(rec.get(column), path) for _, _, rec in copy])
                if values > 1:
                    disagree.append((report, column, values))
            paragraphs = tuple(  # a repeated id: each row keeps its own decision
                TaggedParagraph(rec["paragraph"], index, rec["kind"], rec["text"],
                                _row_decision(rec, has) if rec["paragraph"] in repeated else decided.get(rec["paragraph"]),
                                rec[_WRITTEN], bool(rec[STALE]))
                for index, _, rec in copy)
            reports.append((first_row, TaggedReport(report, copy[0][1], meta, paragraphs, str(path), record,
                                                    left_out)))
    return [r for _, r in sorted(reports, key=lambda pair: pair[0])]


def _say_disagree(path: Path, n: int, first: tuple[str, str, int]) -> None:
    """Warn that ``n`` reports' rows hold different values of a kept column, ``first`` (report, column, values) named."""
    report, column, values = first
    log.warning("%s: in %s the paragraph rows hold different values of a kept column (e.g. report %r: %d "
                "values of %r; edited on some rows only?): each report takes the value most of its rows hold (on a "
                "tie, the first row's), on all its rows and in its counts; make a report's rows agree to choose",
                path, counted(n, "report"), report, values, column)


def _cut_kept(reports: Iterable[TaggedReport]) -> list[tuple[str, str]]:
    """Where (a report's first row) and in which kept column a value an .xlsx output cut at Excel's cell limit is."""
    return [(report.where, c) for report in reports for c, v in report.meta.items() if is_cut(v)]


def _say_differ(path: Path, differ: list[str]) -> None:
    """Warn of the reviewed rows (``differ``: where each is) whose workbook 0/1 columns differ from their decision:
    an undecided row's are hand edits (:func:`hand_edit`); a decision's are not read."""
    one = len(differ) == 1
    log.warning("%s: %s %s 0/1 columns that differ from %s decision (e.g. %s): the decision (reviewed_labels) "
                "stands; to change it, edit its reviewed_labels cell or review it again", path,
                counted(len(differ), "reviewed paragraph row"), "has" if one else "have",
                "its" if one else "their", differ[0])


def _say_cut(path: Path, cut: list[str]) -> None:
    """Warn of the ``cut`` paragraphs (each ``<paragraph id> at <its row>``) whose text an .xlsx output cut at the
    Excel cell limit, naming the first five."""
    one = len(cut) == 1
    named = ("" if len(cut) <= _NAMED else "the first five: ") + ", ".join(cut[:_NAMED]) + (
        ", …" if len(cut) > _NAMED else "")
    log.warning("%s: %s %s a text an .xlsx output cut at the Excel cell limit (%s): scored again as %s, not on the "
                "whole text; tag the %s to get %s", path, counted(len(cut), "paragraph"), "holds" if one else "hold",
                named, "it is" if one else "they are", "report it came from" if one else "reports they came from",
                "its score" if one else "their scores")


STREAM_ROWS = 5000
"""About how many rows of a tagged file :func:`read_back_streamed` holds at a time (whole reports)."""

KEPT_BYTES = 32_000_000
"""The size on disk (bytes) up to which :func:`read_back_streamed` reads a tagged JSONL or CSV file once and keeps
its reports, as :func:`read_back` does (no second pass). Holding a file read whole costs about 5 bytes of memory a
byte of it (JSONL: 18 MB took 66 MB more than read in parts, 72 MB 340 MB more), so at most ~160 MB here; reading it
twice instead costs 45-90 % more time."""


class _NotStreamed(Exception):
    """Raised by :func:`read_back_streamed`'s first pass where the file cannot be read a part at a time (a report's
    rows not together, a key first found after the first part): it is read whole (:func:`read_back`)."""


def read_back_streamed(path: str | Path, rows: int = STREAM_ROWS, progress: bool | None = None,
                       kept_bytes: int | None = None) -> ReadBack:
    """:func:`read_back`, but a JSONL or CSV file larger than ``kept_bytes`` on disk has its reports read from the file
    as :attr:`ReadBack.reports` (an iterator here) is iterated, about ``rows`` rows at a time, never held all at once
    (a CSV file's text is decoded whole, its rows parsed a part at a time): the same reports, in the same order,
    with the same checks and warnings. A file of at most ``kept_bytes`` (``None``: :data:`KEPT_BYTES`) is read once
    by the same first pass, as one part, and its reports are kept from it: no second pass, and its review lock goes
    as this returns.

    A first pass reads the file a part at a time and makes every check :func:`read_back` makes, so a bad cell
    anywhere is refused before any report is given (where a file has several problems, the first part's is
    named first). It keeps only what concerns the whole file: the report ids, each row's labels and scores (for the
    file's own cut per label, :func:`_own_cut`), the decisions, the summary rows and the texts of the paragraphs a
    review session journalled. ``progress``: a bar of the lines read on a terminal, logged lines off one
    (:func:`~tagger.common.progress.progress_bar`; ``False``: none). The second pass, as the reports are iterated,
    reads the file again; the review lock is held from the first pass to the end of the second (a caller that stops
    early closes the iterator), and a file changed in between is refused; it does not look again for a key given
    twice in a JSONL line (the first pass did, on the unchanged file), every other check is made as the rows are
    converted. Read whole (:func:`read_back`, said in an
    ``INFO`` line): Parquet, ``.xlsx`` and SQLite files (their readers read them whole), and a file whose rows of a
    report are not together (sorted or moved by hand) or, in JSONL, whose paragraph rows have keys its first part's
    rows lack.

    Raises:
        InputError: what :func:`read_back` refuses; while the reports are iterated, a file changed since the first
            pass.

    Example:
        >>> back = read_back_streamed("out/all.jsonl")  # doctest: +SKIP
        >>> back.count, next(back.reports).report  # doctest: +SKIP
        (3000, 'r1')
    """
    path = Path(path)
    if not _read_in_parts(path):
        return read_back(path)
    stack = contextlib.ExitStack()
    try:  # to its return: a signal anywhere before the reports hold the lock lets it go (and its file)
        with signals_held():  # the lock taken and its let-go registered as one step, as a with statement does
            stack.enter_context(hold_review_lock(path, "stop it first, so that every decision is read back with it",
                                                 holder=RETAG))
        try:
            scan = _first_pass(path, rows, progress, KEPT_BYTES if kept_bytes is None else kept_bytes)
        except _NotStreamed as why:
            log.info("%s: %s: read back whole", path, why)
            stack.close()
            return read_back(path)
        if scan.reports is not None:  # read once and kept: the file is not read again
            stack.close()

        def reports() -> Iterator[TaggedReport]:
            if scan.reports is not None:
                yield from scan.reports
                return
            with stack:
                yield from _second_pass(path, rows, scan)

        return scan.back(path, reports())
    except BaseException:
        stack.close()
        raise


def streams_back(path: str | Path, size: int | None = None) -> bool:
    """Whether :func:`read_back_streamed` reads the tagged file ``path`` of ``size`` bytes on disk a report at a time
    (JSONL, CSV of over :data:`KEPT_BYTES`), not once and whole; ``None``: whether a large enough one of its format is.

    Example:
        >>> streams_back("t.jsonl", 10**9), streams_back("t.jsonl", 10**6), streams_back("t.csv")
        (True, False, True)
        >>> streams_back("t.xlsx", 10**9)
        False
    """
    return _read_in_parts(Path(path)) and (size is None or size > KEPT_BYTES)


def _read_in_parts(path: Path) -> bool:
    """Whether :func:`read_back_streamed`'s passes can read the tagged file ``path`` (JSONL, CSV) a part at a time."""
    return _reader_of(path) in (_read_jsonl, _read_csv)


def _frames(path: Path, rows: int | None, progress: bool | None, again: bool = False) -> Iterator[pd.DataFrame]:
    """The tagged file ``path`` in frames of whole reports (``rows``: about so many, ``None``: one frame), as its reader
    reads it whole; a Parquet, .xlsx or SQLite file in one frame, as its reader reads it. ``again``: the file was read
    so and is unchanged: a JSONL line's keys are not looked at again for one given twice
    (:func:`~tagger.common.files.iter_json_lines`)."""
    reader = _reader_of(path)
    if reader is _read_jsonl:
        return jsonl_frames(path, None, None, progress, as_written=True, rows=rows, logged=True, check_keys=not again)
    if reader is _read_csv:
        return _csv_frames(path, progress, rows)
    return iter([reader(path, None, None, False)])


_SUMMARY_KEYS = SUMMARY_ROW_COLUMNS | {"reports", LEFT_OUT}
"""The keys of a JSONL file's summary rows only (``tagger tag --summary``, after the paragraph rows)."""


@dataclass
class _Scan:
    """What :func:`read_back_streamed`'s first pass keeps of a tagged file for its second."""

    stamp: tuple[int, int, int]
    columns: list[str]
    kept: list[str]
    has: dict[str, bool]
    record: dict | None
    thresholds: list[float] | None
    cuts: list[float]
    repeated: set[str]
    decided: dict[str, Decision]
    left_out: int
    count: int
    carried: int
    stale: list[StaleDecision]
    not_carried: list[str]
    conflicts: list[JournalConflict]
    cut_kept: list[tuple[str, str]]
    reports: list[TaggedReport] | None = None
    """The file's reports where it was read as one part and they are kept (no second pass)."""

    def back(self, path: Path, reports: Iterator[TaggedReport] | None = None) -> ReadBack:
        """What was read back from ``path``: its ``reports`` (by default, those kept)."""
        return ReadBack(path, self.reports if reports is None else reports, self.kept, self.carried,
                        self.not_carried, self.record, self.stale, self.left_out, self.conflicts, self.count,
                        self.cut_kept)


def _stamp(path: Path) -> tuple[int, int, int]:
    """What tells that the file ``path`` changed: its inode, size and time of change."""
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def _as_columns(raw: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A part of a tagged file (``raw``) with the file's ``columns``, in their order: one its rows lack is empty (NaN),
    as in the frame of the whole file."""
    import pandas as pd

    if list(raw.columns) == columns:
        return raw
    missing = {c: pd.Series(math.nan, index=raw.index, dtype=object) for c in columns if c not in raw.columns}
    return (raw.assign(**missing) if missing else raw)[columns]


def _part_written(path: Path, df: pd.DataFrame, thresholds: list[float] | None, cuts: list[float] | None
                  ) -> list[Written | None]:
    """Each paragraph row's :class:`Written` (``None`` on a row whose decision was set aside: its cells are the
    decision's, no hand edit), as :func:`read_back` has it."""
    written: list[Written | None] = list(_written(path, df, thresholds, cuts))
    for k, set_aside in enumerate(df[STALE].tolist()):
        if set_aside:
            written[k] = None
    return written


def _differing(path: Path, df: pd.DataFrame, written: list[Written | None]) -> list[str]:
    """Where each decided paragraph row of ``df`` is whose workbook 0/1 columns differ from its decision
    (:func:`_say_differ`)."""
    return [where(path, df, i) for i, w, final, decided_row in zip(df.index, written, df["effective_labels"],
                                                                   df["reviewed"])
            if decided_row and w is not None and w.marks is not None and set(w.marks) != set(final)]


def _part_rows(path: Path, df: pd.DataFrame, written: list[Written | None], position: int) -> dict[str, list]:
    """The paragraph rows of a part, by report (``(index, where, record)`` each, in the file's order; ``position``:
    the file's rows before the part), as :func:`read_back` gathers them."""
    rows: dict[str, list] = {}
    for k, (i, rec, cells) in enumerate(zip(df.index, df.to_dict("records"), written)):
        rec[_WRITTEN], rec[_POSITION] = cells, position + k
        rows.setdefault(rec["report"], []).append((int(rec["paragraph"].rpartition(":")[2]), where(path, df, i), rec))
    return rows


def _first_pass(path: Path, rows: int | None, progress: bool | None, kept_bytes: int = 0) -> _Scan:
    """Read the tagged file ``path`` a part at a time (JSONL, CSV: :func:`read_back_streamed`), check it, say what is
    to be said of it and keep what the second pass needs. A file of at most ``kept_bytes`` on disk, or any file with
    ``rows`` ``None`` (:func:`read_back`: Parquet, .xlsx and SQLite files too), is read as one part and its reports
    are kept (:attr:`_Scan.reports`): no second pass is needed.

    Raises:
        InputError: what :func:`read_back` refuses.
        _NotStreamed: the file cannot be read a part at a time.
    """
    import numpy as np

    stamp = _stamp(path)
    keep = rows is None or stamp[1] <= kept_bytes  # one part, its reports kept: its own cut is the file's
    try:
        lines = journal_lines(path)
    except OSError:
        lines = []
    wanted: set[str] = set()  # paragraph ids a review session journalled: their texts are kept
    for line in lines:
        with contextlib.suppress(ValueError):  # a line a kill cut: replay_journal names it
            wanted.add(JournalEntry.parse(line).paragraph)
    record = model_record(path)
    thresholds = recorded_thresholds(record)
    columns: list[str] = []
    kept: list[str] = []
    has: dict[str, bool] = {}
    summary: list[tuple[str, object, object, str, object]] = []
    have: Counter = Counter()  # paragraph rows per report, in the file's order
    done: set[str] = set()  # the reports of the parts read
    flags: list[np.ndarray] = []  # per part, per row and label: the row holds it
    scores: list[np.ndarray] = []
    decided: dict[str, Decision] = {}
    own = 0  # rows with a decision of their own
    repeated: set[str] = set()
    texts: dict[str, str] = {}  # the journalled paragraph ids the file holds, with their texts
    stale: list[StaleDecision] = []
    differ: list[str] = []
    disagree: list[tuple[str, str, int]] = []
    cut_kept: list[tuple[str, str]] = []
    whole: dict[str, list] = {}  # kept: the rows of the one part, by report
    count = position = 0
    cut: list[str] = []  # each paragraph whose text an .xlsx output cut: its id and row
    first = True
    for raw in _frames(path, None if keep else rows, progress):
        if first:
            columns, kept, first = list(raw.columns), kept_columns(path, raw.columns), False
            has = {c: c in columns for c in REVIEW_FIELDS}
        else:  # keys only summary rows have (--summary writes them last): no paragraph row has them, as read whole
            new = [c for c in raw.columns if c not in columns]
            if any(c not in _SUMMARY_KEYS for c in new):
                raise _NotStreamed(f"key {next(c for c in new if c not in _SUMMARY_KEYS)!r} first appears on line "
                                   f"{raw.index[0]:,} or after")
            columns += new
        raw = _as_columns(raw, columns)
        # a summary row is one with n_paragraphs in the whole file: a part without the key has it empty (none is,
        # if no part has it); one part: as read (a workbook's summary sheet, SQLite's reports table)
        summary += _summary_rows(path, raw if keep else
                                 _as_columns(raw, [*columns, *({"n_paragraphs"} - set(columns))]))
        df, found = _paragraph_frame(path, raw, empty=True)
        stale += found
        have.update(df["report"].tolist())
        if "kind" not in df.columns or df.empty:  # said once the whole file is checked, as read_back does
            position += len(df)
            continue
        written = _part_written(path, df, thresholds, None)  # its own cut: known at the end
        differ += _differing(path, df, written)
        if not keep:  # for the file's own cut, which the second pass needs
            flags.append(np.array([[lab in v for lab in LABELS] for v in df["labels"]], bool).reshape(len(df),
                                                                                                     len(LABELS)))
            scores.append(df[list(SCORE_COLUMNS)].to_numpy(float))
        by_report = _part_rows(path, df, written, position)
        position += len(df)
        again = done.intersection(by_report)
        if again:
            raise _NotStreamed(f"the rows of report {next(iter(again))!r} are not together")
        done.update(by_report)
        seen: set[str] = set()
        for found_rows in by_report.values():
            for _, at, rec in found_rows:
                pid = rec["paragraph"]
                if pid in seen:
                    repeated.add(pid)
                seen.add(pid)
                if is_cut(rec["text"]):
                    cut.append(f"{pid} at {at}")
                if pid in wanted:
                    texts[pid] = rec["text"]
                decision = _row_decision(rec, has)
                if decision is not None:
                    decided[pid] = decision
                    own += 1
        if keep:  # its reports are made once the journal's decisions are known
            whole = by_report
            continue
        reports = _reports_of(path, by_report, repeated, kept, has, decided, record, 0, disagree)
        count += len(reports)
        cut_kept += _cut_kept(reports)
    if kept_columns(path, columns) != kept:  # a late key changed which columns were kept (left_out without reports)
        raise _NotStreamed("its kept columns are known only at its end")
    if "n_paragraphs" not in columns and not keep:
        summary = []
    if not position:
        raise InputError(f"{path}: holds no paragraph rows (tagged from reports without paragraphs?): nothing to read "
                         f"back; tag the reports again with {WRITTEN_BY}")
    if "kind" not in columns:
        raise InputError(f"{path}: {_NO_KIND_COLUMN}")
    _check_summary(path, have, position, summary)
    left_out = recorded_left_out(path, summary)
    if differ:
        _say_differ(path, differ)
    not_carried: list[str] = []
    conflicts: list[JournalConflict] = []
    if not repeated:  # a review session's journal: only a file without repeated ids can have one
        journalled = {p: {"text": text} for p, text in texts.items()}  # as replay_journal takes the rows
        for p, row in journalled.items():
            if (d := decided.get(p)) is not None:
                row.update(reviewed_labels=d.labels, reviewed_by=d.by, reviewed_at=d.at)
        replay = replay_journal(lines, journalled)
        for p, entry in replay.applied.items():
            if entry.labels is None:  # taken back by an undo
                decided.pop(p, None)
            else:
                decided[p] = Decision(tuple(entry.labels), entry.by, entry.at)
        reasons = {replay.GONE: "no such paragraph id in the file: renamed, or tagged again since?",
                   replay.EDITED: "made on another text than the paragraph holds now"}
        not_carried = ["a line a kill cut" if entry is None else
                       f"{entry.paragraph} ({journal_decision(entry.labels, entry.by, entry.at)}: {reasons[why]})"
                       for why, _, entry in replay.left_out]
        conflicts = [conflict for _, conflict, _ in replay.conflicts.values()]
    if cut:
        _say_cut(path, cut)
    reports = None
    if keep:  # as read_back makes them, from the rows as read (no second pass)
        reports = _reports_of(path, whole, repeated, kept, has, decided, record, left_out, disagree)
        count, cut_kept, cuts = len(reports), _cut_kept(reports), []
    else:
        flag, score = np.concatenate(flags), np.concatenate(scores)
        cuts = [_own_cut(flag[:, j], score[:, j]) for j in range(len(LABELS))]
    if disagree:
        _say_disagree(path, len(disagree), disagree[0])
    return _Scan(stamp, columns, kept, has, record, thresholds, cuts, repeated, decided, left_out, count,
                 own if repeated else len(decided), stale, not_carried, conflicts, cut_kept, reports)


def _second_pass(path: Path, rows: int, scan: _Scan) -> Iterator[TaggedReport]:
    """The reports of the tagged file ``path`` (JSONL, CSV), read again a part at a time after :func:`_first_pass`.

    Raises:
        InputError: the file changed since the first pass.
    """
    def unchanged() -> None:
        if _stamp(path) != scan.stamp:
            raise InputError(f"{path}: changed while it was read back (written to since its rows were checked): its "
                             "reports cannot be read back as checked; tag it again once nothing writes to it")

    unchanged()
    position = 0
    for raw in _frames(path, rows, False, again=True):
        df, _ = _paragraph_frame(path, _as_columns(raw, scan.columns), empty=True)
        if df.empty:
            continue
        by_report = _part_rows(path, df, _part_written(path, df, scan.thresholds, scan.cuts), position)
        position += len(df)
        yield from _reports_of(path, by_report, scan.repeated, scan.kept, scan.has, scan.decided, scan.record,
                               scan.left_out, [])
    unchanged()


def may_hold_hand_edits(path: str | Path, thresholds: Sequence[float]) -> bool:
    """Whether tagging the tagged file ``path`` again with a model of these ``thresholds`` may find labels a person
    edited in it (:func:`hand_edit`): a paragraph row without a decision whose labels disagree with its scores at
    those thresholds (:func:`label_disagreements`: a row near a threshold counts), or whose workbook 0/1 columns
    differ from its labels cell — but not a row whose labels are surely those the thresholds the file records give
    its scores (:func:`model_record`: no one edited them). Known before the output is written (it then has the decision columns); may say
    yes where there is none (another model's labels), never no where there is one. A file that cannot be read
    here: no (reading it back says why).

    Example:
        >>> may_hold_hand_edits("no-such-file.jsonl", [0.5] * 5)
        False
    """
    import numpy as np

    path = Path(path)
    reader = _reader_of(path)
    if reader is None or not path.is_file():
        return False
    try:
        df, _ = _paragraph_frame(path, reader(path, ("row_type", "labels", "reviewed_labels", *SCORE_COLUMNS,
                                                     *LABELS)))
        written = _written(path, df, recorded_thresholds(model_record(path)))
    except (InputError, OSError, ValueError, KeyError):
        return False
    undecided = ~df["reviewed"].to_numpy(bool)
    scores = np.array([w.scores for w in written], float).reshape(len(written), len(LABELS))
    odd = label_disagreements([w.labels for w in written], scores, thresholds).any(axis=1)
    odd |= np.array([w.marks is not None and set(w.marks) != set(w.labels) for w in written], bool)
    odd &= ~np.array([w.recorded for w in written], bool)  # the labels the file's recorded thresholds give
    return bool((odd & undecided).any())


def _copies(report: str, found: list[tuple[int, str, dict]]) -> list[list[tuple[int, str, dict]]]:
    """The rows (``(index, where, record)``, in file order) of a report id given to several input reports — its
    paragraph ids repeat — split into one list per report: tag writes each report's rows together, in reading
    order, so a report ends where the index stops rising.

    Raises:
        InputError: the rows are not in that order (a spreadsheet sorted them): there would be more such runs than
            any paragraph id has rows, or a run holding a paragraph id twice — which paragraph belongs to which
            report cannot be told (matched by order, they would mix).
    """
    from collections import Counter

    runs: list[list] = []
    for row in found:
        if not runs or row[0] <= runs[-1][-1][0]:
            runs.append([])
        runs[-1].append(row)
    most = max(Counter(rec["paragraph"] for _, _, rec in found).values())
    bad = next((run for run in runs if len({rec["paragraph"] for _, _, rec in run}) < len(run)), None)
    if len(runs) != most or bad is not None:
        at = (bad or runs[min(most, len(runs) - 1)])[0][1]  # the run that breaks the order, or the last one
        raise InputError(f"{at}: report id {report!r} is given to {most} reports here and its rows are not in the "
                         "order tagger tag wrote them (sorted in a spreadsheet?): which paragraph belongs to which "
                         "report cannot be told. Put the rows back in their order, or tag the reports it came from "
                         "again with an id per report")
    return runs


_WRITTEN = "\0written"  # a row's Written, carried in its record by read_back (no column has this name)
_POSITION = "\0position"  # a row's place in the file, likewise


def recorded_thresholds(record: dict | None) -> list[float] | None:
    """The threshold of each label (in :data:`~tagger.labels.LABELS` order) that a file's :func:`model_record` says
    decided its labels, or ``None`` when it does not say so for every label (no record, or an incomplete one).

    Example:
        >>> recorded_thresholds({"thresholds": dict.fromkeys(LABELS, 0.5)}), recorded_thresholds({"thresholds": {}})
        ([0.5, 0.5, 0.5, 0.5, 0.5], None)
    """
    found = (record or {}).get("thresholds")
    if not isinstance(found, dict):
        return None
    values = [found.get(lab) for lab in LABELS]
    ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1 for v in values)
    return [float(v) for v in values] if ok else None


def _written(path: Path, df: pd.DataFrame, thresholds: Sequence[float] | None = None,
             cuts: Sequence[float] | None = None) -> list[Written]:
    """What each paragraph row of ``df`` (read back from ``path``) says of the model's labels
    (:class:`Written`): its labels, scores, a workbook's 0/1 columns, whether they disagree with its scores
    by the file's own cut, and — with the ``thresholds`` the file records (:func:`recorded_thresholds`) — the
    labels on which they may not be the ones those give its scores. ``cuts``: the file's own cut per label
    (:func:`_own_cut`) where ``df`` holds only some of its rows."""
    scores = df[list(SCORE_COLUMNS)].to_numpy(float)
    labels = [tuple(v) for v in df["labels"]]
    marks: list[tuple[str, ...] | None] = [None] * len(df)
    if has_marks(df.columns):
        flags = _marks(path, df)
        marks = [tuple(lab for lab, on in zip(LABELS, row) if on) for row in flags]
    suspect = (label_disagreements(labels, scores) if cuts is None else  # a decided row's labels cell is the model's
               label_disagreements(labels, scores, cuts, tolerance=0.0)).any(axis=1)
    edited: list[tuple[str, ...] | None] = [None] * len(df)
    if thresholds is not None:  # a row near a recorded threshold counts as disagreeing: it may hold an edit
        given = [m if m is not None else lab for lab, m in zip(labels, marks)]  # the 0/1 columns hold the final labels
        differ = label_disagreements(given, scores, thresholds)
        edited = [tuple(lab for lab, d in zip(LABELS, row) if d) for row in differ]
    return [Written(lab, tuple(map(float, row)), m, bool(x), e)
            for lab, row, m, x, e in zip(labels, scores, marks, suspect, edited)]


def _mark(value: object, path: Path, df: pd.DataFrame, index: object, label: str) -> bool:
    """A workbook's 0/1 cell of ``label`` (1, 1.0, "1", TRUE or "TRUE"; 0, FALSE, empty) as a flag.

    Raises:
        InputError: another value (names the cell and what it may hold).
    """
    flag = _MARK_CELLS.get(value.strip().lower() if isinstance(value, str) else value) \
        if isinstance(value, (str, int, float)) else None
    if flag is not None:
        return flag
    if is_missing(value):
        return False
    raise InputError(f"{where(path, df, index)}: column {label} is {quote_cell(value)}, expected 1 (the paragraph has "
                     "the label) or 0; correct the cell")


def _row_decision(rec: dict, has: dict[str, bool]) -> Decision | None:
    """The decision of one row (a paragraph id the file holds twice: each row keeps its own), ``None`` where no one
    decided."""
    if not has["reviewed_labels"] or rec.get("reviewed_labels") is None:
        return None
    return Decision(tuple(rec["reviewed_labels"]), _cell_text(rec.get("reviewed_by")) if has["reviewed_by"] else None,
                    _cell_text(rec.get("reviewed_at")) if has["reviewed_at"] else None)


def _kept_cell(values: list[object]) -> tuple[object, int]:
    """The value of a kept column for a whole report read back, from its rows' values in reading order: the one most
    rows hold (on a tie, the earliest), and how many different values the rows hold (an empty cell is one).

    Example:
        >>> _kept_cell(["甲", "乙", "乙"]), _kept_cell(["甲", "乙"]), _kept_cell([None, None])
        (('乙', 2), ('甲', 2), (None, 1))
    """
    def key(value: object) -> object:
        if is_missing(value):
            return None
        try:
            hash(value)
        except TypeError:  # a JSON list or object kept from a JSONL input
            return repr(value)
        return value

    counts: dict[object, list] = {}
    for value in values:
        counts.setdefault(key(value), [0, value])[0] += 1
    most = max(n for n, _ in counts.values())
    return next(v for n, v in counts.values() if n == most), len(counts)


def _kept_value(value: object, path: Path) -> object:
    """A kept cell read back: a workbook's empty cell (read as ``""``) is empty (``None``), as it was written."""
    if value == "" and path.suffix.lower() == ".xlsx":
        return None
    return value
