"""``tagger tag``: read many inputs as a stream of reports, tag them in chunks, write one row per
paragraph (plus optional per-report / corpus summary rows), atomically.

Inputs: report text files, directories (recursive glob, matched without regard to case), ``-`` (stdin,
as text or ``--input-format``), and tables with one report per row — JSONL (``.jsonl``/``.ndjson``, and
``.json`` holding one object per line), CSV (``.csv``; ``.tsv``/``.tab``: tab-separated), Parquet
(``.parquet``), Excel (``.xlsx``) — in ``text_column`` (optional ``id_column``). Web pages, office
documents, old ``.xls`` workbooks, PDFs and archives are refused with what to save them as. Memory stays
flat: at most ``chunk_size`` reports (and, with ``jobs > 1``, ``2 × jobs`` chunks) are held at a time. pandas is
not needed except for Parquet.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import itertools
import json
import logging
import math
import re
import shutil
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..common.cells import guard_cell, guard_hash, guard_row, is_missing, report_id_of
from ..common.terminal import counted, terminal_safe
from ..common.files import (LONE_SURROGATE, REPORT_SUFFIXES, TAB_SEPARATED_SUFFIXES, UNDECODABLE, CsvDictRows,
                            EntryKind, JsonBlock, LeftOut, cells_beyond_header, csv_delimiter, csv_header, csv_problem,
                            decode_bytes, describe_tab_table, entry_kind, file_name_text, first_line_of,
                            folder_files, glob_matches, iter_json_blocks, jsonl_line, names_nothing, no_such,
                            not_a_file, open_text_stream, open_workbook, parse_json_lines, quote_after_space_hint,
                            read_report_text, replace_surrogates, retold, tab_table_header, undecodable_row)
from ..common.xlsx import (DAMAGED_SHEET, DateText, MergedCells, SheetFormulas, cell_text, date_text, is_cut,
                           scan_sheet, table_sheet)
from ..data.tagged import COUNT_COLUMNS as TAGGED_COUNT_COLUMNS
from ..data.tagged import (EARLIER_OUTPUTS, KEPT_BYTES, QUEUE_COLUMNS, REVIEW_FIELDS, SCIENTIFIC_NUMBER, Decision,
                           ReadBack, TaggedReport, earlier_copy, earlier_output, hand_edit, head_columns,
                           is_tagged_head, journal_conflicts_note, looks_tagged, read_back_streamed, report_content,
                           stale_decisions_note, streams_back, unknowable_edit, without_earlier_outputs)
from ..data.tagged import SCORE_COLUMNS as TAGGED_SCORE_COLUMNS
from ..errors import QUOTE_CHARS, FileInUseError, InputError, SkippableError, TaggerError, UsageError, quote_cell
from ..labels import LABEL_NAMES, LABELS, TABLE_NAMES, format_label_cell
from ..model.persistence import PARQUET_KEY, output_facts
from ..text.report import NO_LABEL_KINDS, report_id_problem

if TYPE_CHECKING:
    from ..model.tagger import Tagger
from .args import they_apply

__all__ = ["Record", "BadRow", "JsonRows", "iter_records", "carried_over", "final_labels", "BatchStats", "tag_records",
           "open_writer", "INPUT_KEY", "SET_ASIDE_KEY",
           "FORMATS", "format_for", "EXIT_SKIPPED", "review_budget", "ReviewQueue", "table_kind", "is_table",
           "output_columns", "keep_columns", "RowEncoder", "EncodedRows", "ChunkTally", "Writer", "KeptTypes",
           "XlsxSheets", "SqliteTables", "InfiniteNumber", "SQLITE_DERIVED", "DATE_COLUMN", "DATE_MONTH"]

log = logging.getLogger(__name__)

FORMATS = ("table", "jsonl", "csv", "parquet", "xlsx", "sqlite")
FILE_ONLY = ("parquet", "xlsx", "sqlite")  # binary formats: need -o FILE
LINE_FORMATS = ("jsonl", "csv", "table")  # text, row by row: a chunk can be encoded where it is tagged
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx",
              ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite", ".txt": "table"}
# what an output name with another extension may have meant (it is refused: the display table loses text)
_PAGE_HINT = ("for a web page of the counts and paragraphs, write .jsonl, then: tagger stats FILE.jsonl "
              "--html PAGE.html")
_OUTPUT_HINTS = {".json": "for JSON, one object per line, name it .jsonl",
                 **dict.fromkeys(TAB_SEPARATED_SUFFIXES, "for a table, name it .csv or .xlsx"),
                 ".xls": "for Excel, name it .xlsx", ".html": _PAGE_HINT, ".htm": _PAGE_HINT}
TABULAR = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", **dict.fromkeys(TAB_SEPARATED_SUFFIXES, "tsv"),
           ".parquet": "parquet", ".xlsx": "xlsx", ".json": "json"}
# inputs that are not report text, by extension, and what to do with them instead of reading their bytes
_SAVE_AS_TEXT = ("save it as .txt (plain text, one report per file), .docx or .html, or a table of reports as .xlsx "
                 "or .csv")
_SAVE_AS_TABLE = "save it as .xlsx or .csv (one report per row)"
REFUSED_WORKBOOKS = frozenset((".xls", ".xlsm", ".xlsb", ".et", ".ods"))
"""Workbooks tag cannot read (old Excel, macro and binary Excel, WPS, OpenDocument): refused with what to save them
as (:data:`NOT_TEXT`), yet tables all the same, whose ids are a table's (:func:`is_table`)."""
NOT_TEXT = {**dict.fromkeys((".xhtml", ".mht", ".mhtml", ".doc", ".wps", ".rtf",
                             ".odt", ".pdf", ".ppt", ".pptx"), _SAVE_AS_TEXT),
            **dict.fromkeys(sorted(REFUSED_WORKBOOKS), _SAVE_AS_TABLE),
            **dict.fromkeys((".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar"),
                            "unpack it and tag the folder of .txt files")}
EXIT_SKIPPED = 3
# the column names tagged files have are data.tagged's; lists here, as the writers build headers by adding lists
SCORE_COLUMNS = list(TAGGED_SCORE_COLUMNS)
COUNT_COLUMNS = list(TAGGED_COUNT_COLUMNS)
REVIEW_COLUMNS = list(QUEUE_COLUMNS)


@dataclass(frozen=True)
class Record:
    """One report to tag; ``where`` locates it for messages (file and line/row), ``source`` names its file."""

    report: str
    text: str
    where: str
    meta: dict = field(default_factory=dict, compare=False)  # kept input columns (--keep-columns)
    source: str = field(default="", compare=False)  # the file it was read from (<stdin>), as TaggedReport's


@dataclass(frozen=True)
class BadRow:
    """An input that cannot be tagged (reported, then skipped or fatal per ``--on-error``). ``setup``: the
    options do not fit the file (a column they name is not there), a file named is not there, or another run has
    the only input open (its message says what to do: there is no other input to tag): skipping it is no fix, so
    the error does not offer ``--on-error skip``."""

    where: str
    reason: str
    setup: bool = False
    empty: bool = False  # a row whose text cell is empty: nothing to read in it, not a wrong file


class _ColumnProblem(InputError):
    """A table's header does not have the columns the options name (or names one twice)."""


class _NoSuchFile(InputError):
    """An input named on the command line is not there: a mistyped name, which skipping does not fix."""


@dataclass(frozen=True)
class TaggedInputs:
    """The input reports a chunk tagged, as (report id, where, source file) in input order: what the run needs to
    see one id given to two input reports (an id column holding a title twice, two files' id columns numbering
    their reports alike), which the chunks cannot see alone; and which of those files are tagged files read back
    (``read_back``: their reports keep the ids the file holds)."""

    reports: tuple[tuple[str, str, str], ...]
    read_back: tuple[str, ...] = ()
    left_out: tuple[tuple[str, int], ...] = ()  # per tagged file read back: the input reports its run left out
    contents: tuple[tuple[int, int], ...] = ()
    """Per report (in the order of :attr:`reports`; none: not compared): the length of its paragraphs' texts and a
    digest of them with its kept cells (:func:`~tagger.data.tagged.report_content`), to see one report given twice
    under two ids."""


@dataclass(frozen=True)
class EmptyReport:
    """An input report that holds no paragraph (an empty text, only page chrome or blank lines): nothing is written for
    it; not an error, but said once the run is done, or it would vanish from the output unnoticed."""

    where: str
    report: str

    def __str__(self) -> str:
        return f"{self.where} (report {self.report!r})"


def format_for(output: str | None, fmt: str | None) -> str:
    """The output format: ``--format`` if given (refused when it contradicts the ``-o`` extension), else
    the extension's, else ``table`` for stdout, a terminal, a pipe or a device (``/dev/stdout``). A file
    name with another extension (``.json``, ``.tsv``, none) and no ``--format`` is refused: the display
    table it would get cuts text and no reader takes it back.

    Example:
        >>> format_for("out.csv", None), format_for(None, None), format_for("x.out", "jsonl")
        ('csv', 'table', 'jsonl')
        >>> format_for("out.json", None)
        Traceback (most recent call last):
        ...
        tagger.errors.UsageError: out.json: unknown output extension .json (for JSON, one object per line, name it .jsonl); use .jsonl, .csv, .parquet, .xlsx or .sqlite (or .txt for the display table), or pass --format
    """
    suffix = Path(output).suffix.lower() if output else ""
    implied = EXTENSIONS.get(suffix)
    if output and not fmt and not implied:
        from ..common.atomic import write_target

        if not write_target(output)[1]:  # a file, not a device or pipe written in place
            hint = f" ({_OUTPUT_HINTS[suffix]})" if suffix in _OUTPUT_HINTS else ""
            raise UsageError(f"{output}: unknown output extension {suffix or '(none)'}{hint}; use .jsonl, .csv, "
                             ".parquet, .xlsx or .sqlite (or .txt for the display table), or pass --format")
    if fmt and implied and fmt != implied:
        raise UsageError(f"{output}: the extension says {implied} but --format is {fmt}; use a matching "
                         f"extension or drop --format")
    chosen = fmt or implied or "table"
    if chosen in FILE_ONLY and not output:
        raise UsageError(f"--format {chosen} needs --output FILE.{chosen}")
    return chosen


# ----------------------------------------------------------------------------------- reading
_SURROGATES = "lone surrogate characters replaced by U+FFFD"
_NULS = "NUL characters replaced by U+FFFD (a binary value in a text cell?)"


def _clean(text: str, where: str, column: str | None = None, found: dict[str, list[str]] | None = None) -> str:
    """Lone surrogates (from a JSON ``\\ud800`` escape) cannot be written as UTF-8, and a NUL (a JSON ``\\u0000``,
    or a CSV row past the first 64 KiB the binary check reads) ends the text for SQLite's search and makes a CSV
    output unreadable: each becomes U+FFFD, with a warning naming the input — or, given ``found``, noted there
    (what was replaced → the ``column`` it was in) for one warning per row naming its columns (:func:`_say_cleaned`).

    Example:
        >>> _clean("敬老院\\x00老人", "t.jsonl:2")
        '敬老院\\ufffd老人'
    """
    text, bad = replace_surrogates(text)
    replaced = [_SURROGATES] if bad else []
    if "\x00" in text:
        replaced.append(_NULS)
        text = text.replace("\x00", "\ufffd")
    for what in replaced:
        if found is None:
            log.warning("%s: %s", where, what)
        else:
            found.setdefault(what, []).append(str(column))
    return text


def _say_cleaned(where: str, found: dict[str, list[str]]) -> None:
    """One warning per kind of character :func:`_clean` replaced in a row, naming the row and each column once.

    Example:
        >>> _say_cleaned("sur.jsonl:1", {_SURROGATES: ["text", "company", "company"]})  # doctest: +SKIP
        WARNING tagger.apps.batch: sur.jsonl:1: lone surrogate characters replaced by U+FFFD in 'text', 'company'
    """
    for what, columns in found.items():
        log.warning("%s: %s in %s", where, what, ", ".join(repr(c) for c in dict.fromkeys(columns)))


_NAMED_LEFT_OUT = (*REPORT_SUFFIXES, ".md", ".markdown", ".text")  # kinds of file a report may be: named when left out
_NAMED_NOT_CARRIED = 5  # journalled decisions not carried over that a warning names (then "…")
_OTHERS_CHECKED = 200  # files of a kind --glob leaves out whose heads are read to tell tagger's outputs from reports


def _folder_files(folder: Path, glob: str, exclude: set[Path], left_out: LeftOut
                  ) -> tuple[list[Path], list[tuple[int, str]]]:
    """In one walk of ``folder`` (:func:`~tagger.common.files.folder_files`: what no file can be read from is put in
    ``left_out``, to be named once the files are read): the files :func:`glob_matches`
    takes, sorted, but those in ``exclude`` (:func:`_excluded`); and each kind of report file (``.txt``, ``.docx``,
    ``.html``, ``.htm``, and text such as ``.md``) of its non-hidden part that ``glob`` does not take, as ``(how
    many, suffix)``, the commonest first, not counting the files tagger wrote (:func:`looks_tagged`: a stats page
    is no report to read) among the first ``_OTHERS_CHECKED`` of a kind."""
    found: list[Path] = []
    others: dict[str, list[Path]] = {}
    for p in folder_files(folder, lambda relative: glob_matches(relative, glob), glob, left_out):
        relative = p.relative_to(folder)
        if glob_matches(relative, glob):
            if not _excluded(p, exclude):
                found.append(p)
        elif p.suffix.lower() in _NAMED_LEFT_OUT and glob_matches(relative, "*"):
            others.setdefault(p.suffix.lower(), []).append(p)
    counts = {suffix: len(files) - sum(map(looks_tagged, sorted(files)[:_OTHERS_CHECKED]))
              for suffix, files in others.items()}
    kinds = sorted(((n, suffix) for suffix, n in counts.items() if n), key=lambda c: (-c[0], c[1]))
    return sorted(found), kinds


def _id_problem(rid: str) -> str | None:
    """Why a file name cannot give the report id ``rid`` (:func:`report_id_problem`), in a file's terms."""
    problem = report_id_problem(rid, column=False)
    if problem is None:
        return None
    if "/" in rid.rsplit(":", 1)[0]:  # a path in the folder: another file there has this one's name
        return (f"the file's path in the folder, {rid.rsplit(':', 1)[0]!r}, is its report id (another file there "
                f"has its name), and it {problem}; rename the folder or the file")
    return f"the file name cannot be a report id: it {problem}; rename the file"


def table_kind(path: str | Path) -> str | None:
    """The table reader a file's extension picks (``csv``, ``tsv``, ``jsonl``, ``json``, ``parquet``, ``xlsx``:
    one report per row, ids ``<file id>:<row>``), or ``None`` for any other file: one tag reads as one report's
    text (id ``<file id>``), or refuses (a workbook it cannot read, ``.xls``: :func:`is_table` tells those apart).
    A ``.json`` file's content then says whether it is JSON Lines (else it is refused, as a table).

    Example:
        >>> table_kind("2023-02/export.CSV"), table_kind("a#b.xlsx"), table_kind("a.txt"), table_kind("a.XLS")
        ('csv', 'xlsx', None, None)
    """
    return TABULAR.get(Path(path).suffix.lower())


def is_table(path: str | Path) -> bool:
    """Whether a file is a table by its extension, its reports one per row with ids ``<file id>:<row>``: one tag
    reads (:func:`table_kind`) or a workbook it refuses (:data:`REFUSED_WORKBOOKS`: ``.xls``, ``.xlsm``, ``.xlsb``,
    ``.et``, ``.ods``; :data:`NOT_TEXT` says what to save it as), which takes the ids of a table all the same.

    Example:
        >>> [is_table(name) for name in ("export.csv", "a.XLS", "a.txt", "a.doc")]
        [True, True, False, False]
    """
    suffix = Path(path).suffix.lower()
    return suffix in TABULAR or suffix in REFUSED_WORKBOOKS


def _refused(path: Path) -> bool:
    """Whether tag refuses the file ``path`` by its extension (:data:`NOT_TEXT`): it takes no report id."""
    return path.suffix.lower() in NOT_TEXT


_ROW_ID = re.compile(r"(.*):(\d+)", re.DOTALL)  # a table's report id: <file id>:<line or row>


def _expand(inputs: Sequence[str], glob: str, exclude: set[Path], input_format: str = "text"
            ) -> Iterator[tuple[str | Path, str, str | None, LeftOut | None] | BadRow]:
    """``(path, report id, first id, left out)`` per input file (``("-", "stdin", None, None)`` for stdin; ``left
    out``: what the walk of the input folder that found the file left out (:class:`~tagger.common.files.LeftOut`),
    where its reader puts the file if it is no file any more (gone since the walk), named in one warning once the
    folder's files are read; ``None`` for a file named as an input). The id is the file
    stem, or the path inside the folder given (without suffix) for every file of a folder whose stem another file
    of its kind there has too, or one an earlier input of its kind took; a further clash gets ``#2``. A text file's
    report has this id, a table's reports this id and their line or row (``export:2``, ``2023-02/export:2``,
    ``export#2:2``), so files of one name never share ids. The kinds (:func:`is_table`; stdin is a table with an
    ``input_format`` of one) take ids apart: a text's ``a`` and a table's ``a:2`` never clash, so ``a.txt a.csv``
    give ``a`` and ``a:2``, and ``#`` in a name is only part of that name — but for a text's id that has a row's
    form, ``X:<digits>`` (a file ``a:2.txt``): it takes ``#2`` when a table took ``X``, and a later table ``X``
    takes ``X#2``, so no text has a table row's id. A file tag refuses by its extension (``.doc``, ``.xls``:
    :func:`_refused`) takes no id (``""``): a good file's id never depends on one. ``first id`` is the id a file
    given more than once got the first time (:func:`iter_records` says what its second reading does), else
    ``None``.
    A name that is not UTF-8 is read as GB18030 (:func:`file_name_text`, with a warning). Files in
    ``exclude`` (the output and its temp files) are never read.

    Example:
        >>> [entry[1:3] for entry in _expand(["a.csv", "a.csv"], "*.txt", set())]
        [('a', None), ('a#2', 'a')]
        >>> [entry[1] for entry in _expand(["a.txt", "a#b.csv", "a.csv", "a.xlsx"], "*.txt", set())]
        ['a', 'a#b', 'a', 'a#2']
        >>> [entry[1] for entry in _expand(["a.doc", "a.txt", "a.csv", "a:2.txt", "b:2.txt", "b.csv"], "*", set())]
        ['', 'a', 'a', 'a:2#2', 'b:2', 'b#2']
    """
    seen: dict[bool, set[str]] = {False: set(), True: set()}  # the ids text files and tables took
    row_like: set[str] = set()  # the X of each text id X:<digits>: a table with the id X would give its row that id
    files: dict[Path, str] = {}  # each file read, as resolved, and the id it was given first

    def taken(rid: str, table: bool) -> bool:
        if table:
            return rid in seen[True] or rid in row_like
        row = _ROW_ID.fullmatch(rid)
        return rid in seen[False] or (row is not None and row[1] in seen[True])

    def unique(rid: str, table: bool) -> str:
        base, n = rid, 1
        while taken(rid, table):
            n += 1
            rid = f"{base}#{n}"
        seen[table].add(rid)
        if not table and (row := _ROW_ID.fullmatch(rid)):
            row_like.add(row[1])
        return rid

    def stem(f: Path, folder: Path | None = None) -> str:
        return file_name_text(f.stem if folder is None else f.relative_to(folder).with_suffix("").as_posix())

    def named(f: Path, rid: str, left_out: LeftOut | None = None) -> tuple[Path, str, str | None, LeftOut | None]:
        if LONE_SURROGATE.search(str(f)):
            log.warning("%s: the file name is not UTF-8 (GBK?); read as %s, report id %r", f,
                        file_name_text(str(f)), rid)
        # gone, or a loop of links since the walk (Python < 3.13 raises RuntimeError for a loop): its reader
        # says so
        first = None
        with contextlib.suppress(OSError, RuntimeError):
            first = files.setdefault(f.resolve(), rid)
        return f, rid, None if first == rid else first, left_out

    for item in inputs:
        if item == "-":
            yield item, unique("stdin", input_format != "text"), None, None
            continue
        path = Path(item)
        if path.is_dir():
            left_out = LeftOut(path, "tag its files")
            try:
                found, others = _folder_files(path, glob, exclude, left_out)
            except InputError as exc:  # the folder itself cannot be read
                yield BadRow(str(path), str(exc).removeprefix(f"{path}: "))
                continue
            what = ", ".join(f"{n} {suffix} file{'s' if n > 1 else ''}" for n, suffix in others)
            reads = " or ".join(f"--glob '*{suffix}'" for _, suffix in others)
            if not found:
                left_out.warn()
                yield BadRow(str(path), f"directory contains no files matching {glob!r}" + (
                    f" (it holds {what}; {reads} reads them)" if others else ""))
                continue
            if others:
                log.warning("%s: %s left out (not %s files; %s reads them)", path, what, glob, reads)
            try:
                found = without_earlier_outputs(path, found)
                names = {f: (stem(f), is_table(f)) for f in found if not _refused(f)}
                shared = {name for name, n in Counter(names.values()).items() if n > 1}
                for f in found:
                    if f not in names:
                        yield f, "", None, left_out
                        continue
                    rid, table = names[f]
                    # files of one name and kind in two subfolders both get their paths (x/a, y/a): which one kept
                    # the bare name depended on the order of the walk, and changed when such a file was added
                    rid = rid if not taken(rid, table) and (rid, table) not in shared else stem(f, path)
                    yield named(f, unique(rid, table), left_out)
            finally:  # its files read (or the run stopped): what the walk left out and what was gone when read
                left_out.warn()
        elif _refused(path):
            yield path, "", None, None
        elif (what := _not_a_named_file(path)) is not None:
            yield BadRow(str(path), what)
        else:
            yield named(path, unique(stem(path), is_table(path)))


def _not_a_named_file(path: Path) -> str | None:
    """Why ``path``, named as an input, is no file tag reads — a FIFO, a socket, a device: read until it ends,
    which it may never do (a FIFO nothing writes to waits for ever) — or ``None``. Standard input is read as ``-``,
    and as ``/dev/stdin`` or a shell's ``<(command)`` (``/dev/fd/63``), which a pipe feeds; a path that is not
    there, or cannot be read, is left for the reader to name.

    Example:
        >>> _not_a_named_file(Path("/dev/zero")), _not_a_named_file(Path("/dev/stdin"))
        ('a device, not a file: tag reads report files and tables (for standard input, give -)', None)
    """
    if path.as_posix() == "/dev/stdin" or path.parent.as_posix() in ("/dev/fd", "/proc/self/fd"):
        return None
    what = not_a_file(path)
    if what not in EntryKind.SPECIAL:
        return None
    return f"{what}, not a file: tag reads report files and tables (for standard input, give -)"


def _excluded(path: Path, exclude: set[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == out or (resolved.parent == out.parent and resolved.name.startswith(f".{out.name}."))
               for out in exclude)


class InfiniteNumber(str):
    """The text ``inf`` or ``-inf`` of an input's infinite number kept with ``--keep-columns`` (JSON has none: a JSONL
    line with Infinity is no JSON): text in every output but a Parquet file, whose column of numbers it stays a
    ``double`` of (:class:`KeptTypes`); text typed as ``inf`` (a CSV cell) is a plain ``str``.

    Example:
        >>> InfiniteNumber("inf") == "inf", float(InfiniteNumber("-inf")), _kept_kind(InfiniteNumber("inf"))
        (True, -inf, 'float')
    """

    __slots__ = ()


def _meta_value(value: object, where: str, column: str | None = None,
                found: dict[str, list[str]] | None = None) -> object:
    """A kept cell as a JSON-ready value: text (cleaned), numbers, booleans, None (also for NaN/NaT), the text ``inf``
    or ``-inf`` for an infinite number (:class:`InfiniteNumber`: JSON has none);
    dates and times as ISO 8601 text (:func:`~tagger.common.xlsx.date_text`) marked as such
    (:class:`~tagger.common.xlsx.DateText`: an ``.xlsx`` output writes it as a date cell); lists and mappings
    as they are (``column``, ``found``: see :func:`_clean`)."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value if math.isfinite(value) else InfiniteNumber(value)
    if isinstance(value, DateText):  # a date read back from a workbook's date cell (a tagged file): one again
        return value
    if isinstance(value, str):
        return _clean(value, where, column, found)
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date; pandas' Timestamp is a datetime
        text = date_text(value)
        return None if text is None else DateText(text)
    if hasattr(value, "item") and not isinstance(value, (list, dict)):  # numpy scalars
        return _meta_value(value.item(), where, column, found)
    if isinstance(value, (list, tuple)):
        return [_meta_value(v, where, column, found) for v in value]
    if isinstance(value, dict):
        return {str(k): _meta_value(v, where, column, found) for k, v in value.items()}
    return str(value)


_ID_FIX = ("each report needs its id, as text or a whole number (fill it in, or tag without --id-column: ids are "
           "then the file's name and row)")


def _id_kind(value: object) -> str:
    """What an id cell that is neither text nor a whole number holds, for :func:`_row`'s message.

    Example:
        >>> _id_kind(True), _id_kind(1.5), _id_kind([1]), _id_kind(b"r1")
        ('true (a boolean)', '1.5 (a number with a fraction part)', '[1] (a list)', "b'r1' (bytes)")
    """
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, float):
        if value.is_integer():  # beyond 2**53: the digits of a long id a float column rounded
            return (f"{value!r} (a number too long for a float column to hold exactly: read the id column as text, "
                    "e.g. pandas dtype=str)")
        return f"{value!r} (a number with a fraction part)"
    if isinstance(value, (dt.date, dt.time)):  # an .xlsx date cell, a Parquet timestamp
        return f"{date_text(value)} (a date or time)"
    if isinstance(value, (list, tuple, dict)):  # as JSON writes it
        shown = json.dumps(value, ensure_ascii=False, default=repr)
        shown = shown if len(shown) <= QUOTE_CHARS else shown[:QUOTE_CHARS] + "…"
        return f"{shown} ({'an object' if isinstance(value, dict) else 'a list'})"
    return f"{quote_cell(value)} ({'bytes' if isinstance(value, bytes) else type(value).__name__})"


def _row(obj: dict, text_column: str, id_column: str | None, default_id: str, where: str,
         keep: Sequence[str], source: str) -> Record | BadRow:
    said = report_id_of(obj.get(id_column)) if id_column else None
    named = where  # a bad text named with its report's id too (user test: an empty text's row was hard to find)
    if said is not None and said.strip():
        named = f"{where} (id {quote_cell(said)})"
    if text_column not in obj:
        return BadRow(named, f"no {text_column!r} field (use --text-column)")
    value = obj[text_column]
    if value is None:  # an empty cell (null): a report with nothing to tag, as one of page chrome only is — left
        value = ""  # out with a warning naming it once the run is done (a CMS export with one blank body goes on)
    if not isinstance(value, str):
        return BadRow(named, f"{text_column!r} is {type(value).__name__}, expected text")
    if is_cut(value):  # a paragraph of a tagged workbook, tagged again: its labels are those of a part
        log.warning("%s: the text ends with the note of a cell an .xlsx output cut at the Excel cell limit: it is "
                    "tagged as it is, but it is not the whole text; tag the report it came from instead", where)
    key = None  # the report id an id column gives (without one: default_id)
    if id_column:
        rid = obj.get(id_column)
        if is_missing(rid):  # --id-column was given: naming it again helps nothing (bad-input test)
            return BadRow(where, f"no {id_column!r} field" if id_column not in obj else
                          f"the {id_column!r} cell is empty: {_ID_FIX}")
        if isinstance(rid, float) and rid.is_integer() and abs(rid) <= 2**53:
            # 101.0: an id column with an empty cell, as pandas writes it; the id 101, as in a workbook
            # (beyond 2**53 a float holds no exact whole number: 20240101000000123 and …125 are one float,
            # refused below)
            rid = int(rid)
        key = report_id_of(rid)
        if key is None:  # str(True) would be an id
            return BadRow(where, f"the {id_column!r} cell holds {_id_kind(rid)}, not an id: {_ID_FIX}")
    missing = [col for col in keep if col not in obj]
    if missing:
        return BadRow(where, f"no {missing[0]!r} field (named in --keep-columns)")
    found: dict[str, list[str]] = {}  # one warning for the row, naming its columns (user saw one line twice)
    text = _clean(value, where, text_column, found)
    meta = {col: _meta_value(obj[col], where, col, found) for col in keep}
    _say_cleaned(where, found)
    problem = report_id_problem(key) if key is not None else None
    if problem:  # it would break paragraph ids, the review journal and labels import further on
        return BadRow(where, f"{id_column!r} value {problem}")
    return Record(default_id if key is None else key, text, where, meta, source)


def _jsonl_lines(lines: Iterable[tuple[int, dict | None, str | None]], name: str, stem: str, text_column: str,
                 id_column: str | None, keep: Sequence[str] = (), first: bool = True):
    """The records of JSON lines (``first``: these are the file's first lines, whose first object's keys stand
    for a header: :func:`_id_column_hint`)."""
    hint = first and not id_column
    for line_no, obj, problem in lines:
        if hint and isinstance(obj, dict):
            _id_column_hint(name, obj)
            hint = False
        where = f"{name}:{line_no}"
        yield BadRow(where, problem) if problem else _row(obj, text_column, id_column, f"{stem}:{line_no}", where,
                                                          keep, name)


@dataclass(frozen=True)
class JsonRows:
    """Lines of a JSONL input not parsed yet: :meth:`records` parses them where they are tagged (in a
    worker process with ``--jobs``, so the parent only reads the file). Picklable."""

    block: JsonBlock
    stem: str
    text_column: str
    id_column: str | None
    keep: tuple[str, ...] = ()

    def records(self) -> Iterator[Record | BadRow]:
        """The block's records and bad rows, in line order."""
        return _jsonl_lines(self.block.parse(), self.block.name, self.stem, self.text_column, self.id_column,
                            self.keep, first=self.block.start == 1)


ID_COLUMNS = ("id", "report_id", "编号", "报告编号")
"""Column names that look like report ids: a table that has one, tagged without ``--id-column``, gets a hint."""


def _id_column_hint(name: str, columns: Iterable[str]) -> None:
    """Say which id-like column a table has, when its report ids will be its name and line instead."""
    found = next((c for c in columns if isinstance(c, str) and c.strip().lower() in ID_COLUMNS), None)
    if found is not None:
        log.info("%s: report ids are the file's name and line (or row); to use its column %r as the ids, pass "
                 "--id-column %s", name, found, found)


@dataclass(frozen=True)
class _SheetHeader:
    """Where a workbook's header was read, for :func:`_check_columns`' messages: the sheet, the workbook's
    sheets (``'Sheet', '说明'``) and where else a column the header lacks is (:func:`_column_elsewhere`)."""

    sheet: str
    sheets: str
    elsewhere: Callable[[str], str | None]


def _check_columns(name: str, columns: Sequence[str], text_column: str, id_column: str | None,
                   keep: Sequence[str], book: _SheetHeader | None = None) -> None:
    """Refuse a header without the columns the options name, or naming one twice (``book``: the workbook's
    sheet the header is in: a missing column is looked for elsewhere in it); without ``id_column``, a hint
    when a column looks like report ids."""
    if not columns:
        raise _ColumnProblem(f"{name}: empty file: no header row (a table of reports starts with one naming its "
                             "columns, such as id,text)")
    if not id_column:
        _id_column_hint(name, columns)
    for col in dict.fromkeys(c for c in (text_column, id_column, *keep) if c):
        at = [i + 1 for i, c in enumerate(columns) if c == col]
        if len(at) > 1:  # a reader would silently take one of them
            in_sheet = f" in sheet {book.sheet!r}" if book else ""
            raise _ColumnProblem(f"{name}: the header names column {col!r} {len(at)} times{in_sheet} (columns "
                                 f"{', '.join(map(str, at))}); rename all but one")
    if book is None:
        there = f"; the columns are {list(columns)}"
    else:  # a title row above the header, or the table on another sheet: no option helps; say where
        there = (f" in the header of sheet {book.sheet!r}: tagger reads the column names from the first "
                 f"row of the first visible sheet; the columns there are {list(columns)}")

    def advice(col: str, fix: str) -> str:
        found = book.elsewhere(col) if book else None
        if found:
            return f"; {found} (the workbook's sheets: {book.sheets})"
        return f" ({fix}; the workbook's sheets: {book.sheets})" if book else f" ({fix})"

    for col in (text_column, id_column):
        if col and col not in columns:
            raise _ColumnProblem(f"{name}: no column {col!r}{there}"
                                 f"{advice(col, 'use --text-column/--id-column')}")
    missing = [col for col in keep if col not in columns]
    if missing:
        raise _ColumnProblem(f"{name}: no column {missing[0]!r} to keep{there}"
                             f"{advice(missing[0], 'fix --keep-columns')}")


def _csv_rows(fh: IO[str], name: str, stem: str, text_column: str, id_column: str | None, keep: Sequence[str]):
    # strict: a stray quote is an error naming its row, and an unclosed one does not swallow the rest of
    # the file into one cell; after a bad row the reader goes on with the next line
    first = fh.readline()  # Excel in many locales saves CSV with ";" (or tabs): the header line decides
    lines = itertools.chain([first] if first else [], fh)
    delimiter = csv_delimiter(first, name)
    try:  # names without white space at their ends, as a workbook's header is read (and head_columns reads it)
        columns, head_lines, spaced = csv_header(lines, delimiter)
    except csv.Error as exc:
        raise InputError(f"{name}: line 1: the header is {csv_problem(exc)}") from None
    except UnicodeDecodeError:
        raise _undecodable(name, 1) from None
    # the cells as the header was read (with a space after each comma: ``1, 公司…, "总部, 北京"``; a text's own
    # spaces at its start go with them there), the lines counted from the file's first
    reader = CsvDictRows(lines, columns, delimiter, spaced, start=head_lines)
    _check_columns(name, columns, text_column, id_column, keep)
    try:
        while True:
            # a report's id: the line after the previous row's last, which is the first of any blank lines before
            # this row (not the row's own first line, where blank lines precede it: ids always were so)
            line_no = reader.line_num + 1
            try:
                row = next(reader, None)
            except csv.Error as exc:
                yield BadRow(reader.where(name), csv_problem(exc))
                if "end of data" in str(exc):
                    return
                continue
            if row is None:
                break
            # messages name the row by the line its first cell is on, past any blank lines before it, and by its
            # spreadsheet row where line breaks inside cells above it make that another number
            where = reader.where(name)
            if cells_beyond_header(row):  # a trailing delimiter (an empty column a spreadsheet saved) gives only
                # empty ones: read as the row
                yield BadRow(where, "more fields than the header" + (
                    quote_after_space_hint(row) or f" (a cell that holds the delimiter {delimiter!r} must be quoted; "
                                                   "a column of your own needs a name in the header)"))
                continue
            row.pop(None, None)
            if any(isinstance(v, str) and UNDECODABLE.search(v) for v in row.values()):
                yield BadRow(where, undecodable_row(fh))
                continue
            if not any(v.strip() for v in row.values() if isinstance(v, str)):
                continue  # a row of empty cells (a spreadsheet saves its empty rows as ",,,"), as in a workbook
            yield _row(row, text_column, id_column, f"{stem}:{line_no}", where, keep, name)
    except UnicodeDecodeError:
        raise _undecodable(name, reader.line_num) from None


def _undecodable(name: str, near: int) -> InputError:
    """A table whose bytes stop decoding near line ``near`` (in its header or a row)."""
    return InputError(f"{name}: cannot decode near line {near}; pass --encoding")


def _parquet_records(path: Path, text_column: str, id_column: str | None, batch_rows: int, keep: Sequence[str],
                     stem: str):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow: pip install pyarrow") from None
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    _check_columns(str(path), pf.schema_arrow.names, text_column, id_column, keep)
    wanted = list(dict.fromkeys(c for c in (text_column, id_column, *keep) if c))
    for col in wanted:
        kind = _binary_type(pf.schema_arrow.field(col).type)
        if kind is not None:  # str(b'\x00') would be written: Python's repr, not the value
            raise _ColumnProblem(f"{path}: column {col!r} holds binary values (Parquet type {kind}), not text: "
                                 "tagger cannot write them as they are; " + (
                                     "drop it from --keep-columns, or " if col in keep and col not in
                                     (text_column, id_column) else "") +
                                 "convert the column to text first (decode it, or write it as hex or base64)")
    row = 0
    for batch in pf.iter_batches(batch_size=batch_rows, columns=wanted):
        for obj in batch.to_pylist():
            # rows from 1
            yield _row(obj, text_column, id_column, f"{stem}:{row}", f"{path}:row {row + 1}", keep, str(path))
            row += 1


def _binary_type(kind: Any) -> str | None:
    """The binary Arrow type (``binary``, ``large_binary``, ``fixed_size_binary[4]``) of a Parquet column's
    type ``kind`` or of a type nested in it (a list of binaries, a struct field), as pyarrow names it; else
    ``None``.

    Example:
        >>> import pyarrow as pa
        >>> _binary_type(pa.binary()), _binary_type(pa.list_(pa.large_binary())), _binary_type(pa.string())
        ('binary', 'large_binary', None)
    """
    import pyarrow.types as pat

    if pat.is_binary(kind) or pat.is_large_binary(kind) or pat.is_fixed_size_binary(kind):
        return str(kind)
    for i in range(getattr(kind, "num_fields", 0)):  # lists, structs, maps
        found = _binary_type(kind.field(i).type)
        if found is not None:
            return found
    return None


def _xlsx_records(path: Path, text_column: str, id_column: str | None, keep: Sequence[str], stem: str):
    """Rows of the first visible sheet of an Excel workbook (:func:`~tagger.common.xlsx.table_sheet`); the
    first row holds the column names. An empty cell of a column read may be what Excel does not save as a
    value: a formula a script wrote and no program computed (a bad row saying so), or a cell inside a merged
    range (Excel shows the range's value in each of its cells: a kept column gets it, with a note naming the
    ranges; an empty text or id cell there is a bad row saying to unmerge it, since one report's text twice,
    or one id for two reports, would be wrong)."""
    wb = open_workbook(path)
    formulas = None  # the sheet's formulas (SheetFormulas), read only when a cell read has no value
    ws = None
    try:
        ws = table_sheet(wb, str(path))
        sheets = ", ".join(repr(sheet.title) + ("" if sheet.sheet_state == "visible" else " (hidden)")
                           for sheet in wb.worksheets)
        book = _SheetHeader(ws.title, sheets, lambda col: _column_elsewhere(wb, ws, col))
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            found = _column_elsewhere(wb, ws, text_column)
            todo = f"tagger reads the column names from its first row; {found}" if found else \
                "put the column names in its first row"
            raise InputError(f"{path}: sheet {ws.title!r}, the first visible one, is empty: {todo} (the "
                             f"workbook's sheets: {book.sheets})")
        names = ["" if h is None else str(h).strip() for h in header]
        _check_columns(str(path), names, text_column, id_column, keep, book)
        read = {col: names.index(col) for col in dict.fromkeys((text_column, id_column, *keep)) if col}
        scan = scan_sheet(path, ws)
        merged = MergedCells(scan.merged, read.values()) if scan.merged else None
        if merged is not None:
            merged.note(str(path), {col: k for col, k in read.items()
                                    if col in keep and col not in (text_column, id_column)})
        for excel_row, values in enumerate(rows, start=2):
            if merged is not None:
                merged.see(excel_row, values)
            if values is None or all(v is None for v in values):
                continue
            obj = {name: value for name, value in zip(names, values) if name}
            if isinstance(obj.get(text_column), (int, float)) and not isinstance(obj.get(text_column), bool):
                obj[text_column] = str(obj[text_column])  # a number typed into a text column
            where = f"{path}:row {excel_row}"
            problem, empty = None, False
            for col, k in read.items():
                key = col in (text_column, id_column)
                if key and obj.get(col) in _EXCEL_ERRORS:
                    problem = (f"{col!r} holds the Excel error {obj[col]}: fix its formula, or paste the column as "
                               "values")
                elif obj.get(col) is None and (cell := merged and merged.inside(excel_row, k)):
                    ref, value = cell
                    if not key:  # a kept column: the value Excel shows in the cell
                        obj[col] = value
                        continue
                    problem = (f"{col!r} is empty: a merged cell ({ref}) shows one value over several rows: "
                               "unmerge it and fill each row")
                    empty = col == text_column
                elif col in obj and obj[col] is None and scan.may_hold_formula(k):
                    formulas = formulas or SheetFormulas(path, ws.title)
                    formula = formulas.at(excel_row, k)
                    if formula:
                        problem = (f"{col!r} holds a formula whose value was never saved ({formula[:40]}): open the "
                                   "workbook in Excel or LibreOffice and save it, or paste the column as values")
                if problem:
                    break
            if problem:
                yield BadRow(where, problem, empty=empty)
                continue
            yield _row(obj, text_column, id_column, f"{stem}:{excel_row}", where, keep, str(path))
    except DAMAGED_SHEET as exc:
        title = getattr(ws, "title", "?")
        raise InputError(f"{path}: sheet {title!r} cannot be read ({type(exc).__name__}: {exc}): the "
                         "workbook is damaged: open it in Excel or LibreOffice and save it again, or save "
                         "the sheet as .csv") from None
    finally:
        wb.close()
        if formulas is not None:
            formulas.close()


HEADER_SEARCH_ROWS = 10
"""How many rows of each sheet :func:`_column_elsewhere` searches for a column the header lacks."""


def _column_elsewhere(wb: Any, ws: Any, col: str) -> str | None:
    """Where the column ``col``, missing from the header (the first row) of the sheet ``ws`` read, is in the
    workbook ``wb``, with what to do: in a later row of ``ws`` (a title row above the header), or in another
    sheet, within their first :data:`HEADER_SEARCH_ROWS` rows; ``None`` when it is in none of them."""
    def row_of(sheet: Any) -> int | None:
        for n, values in enumerate(sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1):
            if any(v is not None and str(v).strip() == col for v in values or ()):
                return n
        return None

    n = row_of(ws)
    if n is not None:
        return f"row {n} of sheet {ws.title!r} holds the column {col!r}: delete the rows above it"
    for sheet in wb.worksheets:
        n = row_of(sheet) if sheet is not ws else None
        if n is None:
            continue
        hidden = "" if sheet.sheet_state == "visible" else " (hidden)"
        move = "unhide it and move it first" if hidden else "move it first"
        if n == 1:
            return f"sheet {sheet.title!r}{hidden} has the column {col!r}: {move}, or save it as .csv"
        return (f"row {n} of sheet {sheet.title!r}{hidden} holds the column {col!r}: {move} and delete the "
                "rows above it")
    return None


_EXCEL_ERRORS = frozenset(("#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#SPILL!", "#CALC!",
                           "#GETTING_DATA"))


def _stdin_records(rid: str, stdin, encoding: str | None, input_format: str, text_column: str,
                   id_column: str | None, keep: Sequence[str]) -> Iterator[Record | BadRow]:
    stream = stdin if stdin is not None else sys.stdin
    if stream is None or getattr(stream, "closed", False):
        yield BadRow("<stdin>", "standard input is closed; give input files or pipe text in")
        return
    data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    text = decode_bytes(data, "<stdin>", encoding)
    if not text.strip():
        yield BadRow("<stdin>", "empty input, nothing to tag")
        return
    if is_tagged_head(first_line_of(text.lstrip("\ufeff"))):  # its paragraph rows are no reports
        yield BadRow("<stdin>", "holds a file tagger tag wrote, not reports: its rows would each be tagged as a "
                                "report; give the file by its name (tagger tag FILE), which reads its reports back")
        return
    if input_format == "jsonl":
        yield from _jsonl_lines(parse_json_lines(text.split("\n")), "<stdin>", rid, text_column, id_column, keep)
    elif input_format == "csv":
        yield from _csv_rows(io.StringIO(text, newline=""), "<stdin>", rid, text_column, id_column, keep)
    elif (header := tab_table_header(text)) is not None:  # a sheet copied from a spreadsheet and piped in
        columns, how = describe_tab_table(header)
        yield BadRow("<stdin>", f"{columns}, not a report's text; to tag one report per row, pipe it with "
                                f"tagger tag - --input-format csv{how} (tab-separated tables are read too)")
    else:
        yield Record(rid, _clean(text, "<stdin>"), "<stdin>", dict.fromkeys(keep), "<stdin>")


def _table_options(text_column: str, id_column: str | None, input_format: str) -> list[str]:
    """The options given that only a table can follow (an input read as plain text has no columns)."""
    given = [f"--id-column {id_column}"] if id_column else []
    given += [f"--text-column {text_column}"] if text_column != "text" else []
    return given + ([f"--input-format {input_format}"] if input_format != "text" else [])


def _header_names(path: Path) -> list[str]:
    """The column names of a table file's header, read cheaply (its first line, a Parquet schema, a workbook's
    first row); ``[]`` for a file that is none or cannot be read (its reader says why, later)."""
    kind = table_kind(path)
    try:
        if kind in ("csv", "tsv", "jsonl", "json"):
            with open_text_stream(path, None, errors="surrogateescape") as fh:
                return [str(name) for name in head_columns(fh.readline(), path)]
        if kind == "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        if kind == "xlsx":
            wb = open_workbook(path)
            try:
                first = next(table_sheet(wb, str(path)).iter_rows(max_row=1, values_only=True), None) or ()
            finally:
                wb.close()
            return ["" if cell is None else str(cell).strip() for cell in first]
    except Exception:  # noqa: BLE001 - any reason: the file's own reader names it
        return []
    return []


def keep_columns(arguments: Sequence[str], inputs: Sequence[str] = ()) -> list[str]:
    """The column names ``--keep-columns`` gives: each argument split at its commas (``company,date``), except an
    argument that names a column of a table among ``inputs`` whole (``company, branch``), or a run of its
    comma-separated parts that does (``date,company, branch``). A blank argument or part names nothing (even where a
    table has a column without a name).

    Example:
        >>> keep_columns(["company,date", "region"])
        ['company', 'date', 'region']
    """
    wanted = [arg for arg in arguments if "," in arg]
    names: set[str] = set()
    if wanted:
        for item in inputs:
            path = Path(item)
            if item != "-" and table_kind(path) is not None and path.is_file():
                names.update(_header_names(path))
    kept: list[str] = []
    for arg in arguments:
        parts, start = arg.split(","), 0
        while start < len(parts):  # the longest run of parts from here that is a column (the whole argument first)
            end = next((end for end in range(len(parts), start + 1, -1)
                        if ",".join(parts[start:end]).strip() in names), start + 1)
            part = ",".join(parts[start:end]).strip()
            if part:  # else one blank part
                kept.append(part)
            start = end
    return kept


def check_table_options(inputs: Sequence[str], text_column: str = "text", id_column: str | None = None,
                        input_format: str = "text", glob: str = "*.txt") -> None:
    """Refuse, before any work, table options when no input can be a table (every input a plain-text
    file, or stdin read as text): they would apply to nothing. With some table among the inputs they
    apply to it, and :func:`iter_records` warns once that the text files ignore them.

    Raises:
        UsageError: naming the first input and what to do.
    """
    options = _table_options(text_column, id_column, input_format if "-" not in inputs else "text")
    if not options:
        return
    for item in inputs:
        if item == "-":
            if input_format != "text":
                return
            continue
        path = Path(item)
        if _refused(path):  # refused for what it is, with what to save it as (an .xls: as .xlsx)
            return
        if table_kind(path) is not None or (path.is_dir() and any(glob_matches(Path("x" + ext), glob)
                                                                  for ext in TABULAR)):
            return
    first, given = inputs[0], " and ".join(options)
    if first == "-":
        raise UsageError(f"<stdin>: read as one report (not a table), so {given} cannot apply to it; for a "
                         "table on stdin pass --input-format jsonl or csv")
    if Path(first).is_dir():
        raise UsageError(f"{Path(first)}: its files (--glob {glob}) are read as reports, one each (not "
                         f"tables), so {given} cannot apply to them; drop the option, or pass a --glob that "
                         "takes the tables")
    suffix = Path(first).suffix
    raise UsageError(f"{first}: read as one report (not a table, by its extension {suffix or '(none)'}), so "
                     f"{given} cannot apply to it; tables are read from .jsonl, .json, .csv, .tsv, .parquet "
                     "and .xlsx files (--input-format is for stdin, -): rename the file to its format's "
                     f"extension, or drop {'the option' if len(options) == 1 else 'the options'}")


def _json_start(path: Path, encoding: str | None) -> str | None:
    """The start of the first non-blank line of a ``.json`` file (up to 200 characters): what kind of JSON
    it is; ``""`` for a blank file, ``None`` when its first megabyte cannot be decoded (the JSONL reader
    then names the place)."""
    seen, read = "", 0
    with open_text_stream(path, encoding) as fh:
        try:
            while read < 1 << 20:
                chunk = fh.read(1 << 16)
                if not chunk:
                    break
                read += len(chunk)
                seen = (seen + chunk).lstrip().lstrip("\ufeff")
                if seen and ("\n" in seen or len(seen) >= 200):
                    break
        except UnicodeDecodeError:
            return None
    return seen.split("\n", 1)[0].strip()[:200]


def iter_records(inputs: Sequence[str], text_column: str = "text", id_column: str | None = None,
                 glob: str = "*.txt", encoding: str | None = None, batch_rows: int = 2000, stdin: IO[bytes] | None = None,
                 input_format: str = "text", exclude: Iterable[str | Path] = (),
                 keep: Sequence[str] = (), lazy_json: bool = False, model_name: str = "the model",
                 progress: bool | None = None) -> Iterator[Record | BadRow | JsonRows | TaggedReport]:
    """A :class:`Record` per report (or a :class:`BadRow`), file by file, lazily. A whole file that
    cannot be read is one ``BadRow`` naming it (so ``--on-error skip`` can go on).

    With ``lazy_json`` a JSONL file comes as :class:`JsonRows` blocks of ``batch_rows`` lines, parsed
    where :func:`tag_records` tags them (in the workers with ``jobs > 1``).

    ``keep`` names input columns copied into ``Record.meta`` (a table missing one is refused; a plain
    text report has no columns: its kept values are empty, with a warning).

    An input named (not found in a folder: there such files are left out) that ``tagger tag`` wrote is not read
    as reports: its reports come back as they were tagged, a :class:`~tagger.data.tagged.TaggedReport` each
    (:func:`_read_back`; ``model_name`` says in the log what scores them again; ``progress``: how the lines of its
    first reading are shown, see :func:`~tagger.data.tagged.read_back_streamed`); stats counts are refused.

    A file the walk of a folder found that is no file any more when it is read — gone, a link to nothing, a folder, a
    FIFO (:meth:`~tagger.common.files.LeftOut.no_file`) — is left out as the walk leaves out such an entry, named in
    the one warning for the folder once its files are read (with what the walk left out), and the rest is read; one
    still there that cannot be read (not allowed), one whose reading began, and a file named as an input that is not
    there (``"no such file"``) are a ``BadRow``."""
    excluded = {Path(p).resolve() for p in exclude}
    named = {Path(item): item for item in inputs if item != "-"}  # as given: reports/ (Path drops the /) is a folder
    warned_text = warned_options = False
    read = False  # the reader of the file being read gave something (or: it opened it): what fails after is the file's

    def reading(records: Iterable) -> Iterator:
        nonlocal read
        for record in records:
            read = True
            yield record

    for entry in _expand(inputs, glob, excluded, input_format):
        if isinstance(entry, BadRow):
            yield entry
            continue
        item, rid, first, left_out = entry
        read = False
        try:
            if item == "-":
                options = _table_options(text_column, id_column, "text")
                if input_format == "text" and options and not warned_options:
                    log.warning("<stdin>: read as one report (not a table): %s only to the tables among the inputs",
                                they_apply(options))
                    warned_options = True
                if keep and input_format == "text" and not warned_text:
                    log.warning("<stdin>: plain text has no columns; the kept columns %s are empty for it", list(keep))
                    warned_text = True
                yield from _stdin_records(rid, stdin, encoding, input_format, text_column, id_column, keep)
                continue
            # not Path.exists(): an error where not allowed to look (Python < 3.14), False (3.14): not "no such file"
            # a mistyped name: said so, whatever reader its extension picks (one that cannot be looked at: its reader)
            if names_nothing(item):
                raise _NoSuchFile(f"{item}: {no_such(named.get(item, item))}")
            if item in named and entry_kind(item) is None:
                earlier = earlier_output(item)
                if earlier == EARLIER_OUTPUTS["tag"]:
                    if first is not None:
                        _given_again(item, "read back again: its reports keep the report ids the file holds", own_ids=False)
                    try:  # checked whole before any report comes
                        reports = _read_back(item, keep, model_name, _table_options(text_column, id_column, "text"),
                                             progress)
                    except (_ColumnProblem, FileInUseError):  # another run has it open: nothing in it to correct
                        raise
                    except InputError as exc:  # checked whole: one bad cell leaves out every report in it
                        raise InputError(f"{exc} (a file tagger tag wrote is read back whole: none of its reports "
                                         "or review decisions can be tagged until it is corrected)") from None
                    try:
                        yield from reports
                    finally:  # a run stopped early (an error after): the file's review lock goes now
                        reports.close()
                    continue
                if earlier == EARLIER_OUTPUTS["stats"]:
                    raise InputError(f"{item}: stats counts (tagger stats wrote them), not reports nor a file tagger "
                                     "tag wrote: there is nothing in it to tag; give the tagged file they count, or "
                                     "its reports")
            suffix = item.suffix.lower()
            kind = table_kind(item)
            if suffix in NOT_TEXT:
                raise InputError(f"{item}: a {item.suffix} file is not report text; {NOT_TEXT[suffix]}")
            # default ids of a table: the file's id and the line (export:2, 2023-02/export:2, export#2:2)
            if kind and not id_column and _id_problem(f"{rid}:1"):
                yield BadRow(str(item), _id_problem(f"{rid}:1") + " (or pass --id-column)")
                continue
            if kind and first is not None:
                _given_again(item, f"read again, its reports keep the ids of its column {id_column!r}" if id_column
                             else f"tagged again with report ids {rid + ':…'!r} (first {first + ':…'!r})",
                             own_ids=not id_column)
            if kind == "json":
                start = _json_start(item, encoding) or "{}"  # blank or undecodable: the JSONL reader says so
                if start.startswith("["):
                    raise InputError(f"{item}: is a JSON array; write one object per line (.jsonl), e.g. "
                                     f"jq -c '.[]' {item.name} > {Path(item.name).with_suffix('.jsonl')}")
                if start == "{":
                    raise InputError(f"{item}: is one JSON object written over several lines; write one object "
                                     f"per line (.jsonl), e.g. jq -c . {item.name} > "
                                     f"{Path(item.name).with_suffix('.jsonl')}")
                if not start.startswith("{"):
                    raise InputError(f"{item}: not JSON Lines: a .json input holds one JSON object per line "
                                     "(a report per line, its text in --text-column)")
                kind = "jsonl"
            if kind == "jsonl":
                for block in reading(iter_json_blocks(item, encoding, batch_rows)):
                    rows = JsonRows(block, rid, text_column, id_column, tuple(keep))
                    if lazy_json:
                        yield rows
                    else:
                        yield from rows.records()
            elif kind in ("csv", "tsv"):
                with open_text_stream(item, encoding, errors="surrogateescape") as fh:
                    read = True  # opened: what goes wrong from here is the file's
                    yield from _csv_rows(fh, str(item), rid, text_column, id_column, keep)
            elif kind == "parquet":
                yield from reading(_parquet_records(item, text_column, id_column, batch_rows, keep, rid))
            elif kind == "xlsx":
                yield from reading(_xlsx_records(item, text_column, id_column, keep, rid))
            else:
                options = _table_options(text_column, id_column, input_format)
                if options and not warned_options:  # some other input is a table (check_table_options)
                    log.warning("%s: read as one report (not a table, by its extension): %s only to the tables "
                                "among the inputs (and the same for other text files)", item, they_apply(options))
                    warned_options = True
                problem = _id_problem(rid)
                if problem:
                    yield BadRow(str(item), problem)
                    continue
                if first is not None:
                    _given_again(item, f"tagged again as {rid!r} (first as {first!r})", own_ids=True)
                if keep and not warned_text:
                    log.warning("%s: a text file has no columns; the kept columns %s are empty for it (and for "
                                "other text files)", item, list(keep))
                    warned_text = True
                text = read_report_text(item, encoding)
                if not text.strip():
                    yield BadRow(str(item), "empty file, nothing to tag")
                    continue
                yield Record(rid, _clean(text, str(item)), str(item), dict.fromkeys(keep), str(item))
        except InputError as exc:
            if left_out is not None and not read and left_out.no_file(item):
                continue  # found by the walk, no file since (gone): left out, as the walk leaves such an entry out
            name, message = "<stdin>" if item == "-" else str(item), str(exc)
            # the message names the file, or a line of it ("f.jsonl:10: …"): that is where, not a second name
            where, reason = message.partition(": ")[::2] if message.startswith(f"{name}:") else (name, message)
            # skipping is no fix where the options do not fit, a name is mistyped, or the only input is in use
            alone = isinstance(exc, FileInUseError) and len(named) + ("-" in inputs) == 1
            yield BadRow(where, reason, alone or isinstance(exc, (_ColumnProblem, _NoSuchFile)))


def _given_again(path: Path, how: str, own_ids: bool) -> None:
    """Warn that ``path`` is given more than once, saying ``how`` its second reading is tagged: with ids of its own
    (``own_ids``: ``tagged again as 'a#2'``) each of its reports is counted twice; with the ids it held the first
    time (an id column, a tagged file read back) each is one report whose paragraphs are counted twice."""
    if own_ids:
        log.warning("%s is given more than once: %s; its counts double (each report counted twice): give it once",
                    path, how)
    else:
        log.warning("%s is given more than once: %s, so its paragraph ids repeat and tagger stats counts each of its "
                    "reports once with its paragraphs twice: give it once", path, how)


def carried_over(inputs: Sequence[str], keep: Sequence[str] = (), thresholds: Sequence[float] | None = None
                 ) -> tuple[list[str], bool]:
    """What the inputs that ``tagger tag`` wrote (named ones: :func:`iter_records` reads their reports back) bring
    to the output, known before it is written: the kept columns (``keep``, then each such file's own, in its order)
    and whether any of them holds a review decision (the output then has the decision columns) — or, scored with a
    model of these ``thresholds``, may hold labels a person edited in it, which become decisions
    (:func:`~tagger.data.tagged.may_hold_hand_edits`). A file that cannot be read here is left to
    :func:`iter_records`, which says why.

    Example:
        >>> carried_over(["reports.csv"], ["company"])  # doctest: +SKIP
        (['company'], False)
    """
    from ..data.tagged import is_tagged_file, kept_columns, may_hold_hand_edits, review_work, tagged_columns

    columns, reviewed = list(keep), False
    for item in dict.fromkeys(inputs):
        path = Path(item)
        if item == "-" or not path.is_file() or not is_tagged_file(path):
            continue
        try:
            names = tagged_columns(path)
        except InputError:
            continue
        columns += [c for c in kept_columns(path, names) if c not in columns]
        reviewed = reviewed or review_work(path) > 0 or (
            thresholds is not None and may_hold_hand_edits(path, thresholds))
    return columns, reviewed


def _read_back(path: Path, keep: Sequence[str], model_name: str, options: list[str], progress: bool | None
               ) -> Generator[TaggedReport, None, None]:
    """The reports of ``path``, a file ``tagger tag`` wrote, read back to be scored again
    (:func:`~tagger.data.tagged.read_back_streamed`: a JSONL or CSV file of over ``KEPT_BYTES`` is checked whole
    first, then read a report at a time as they are scored; a smaller one and other formats are read whole): their ids, paragraphs, kinds, kept columns and
    review decisions as the file holds them. The file is checked (and its warnings said) before this returns; the
    reports come as the iterator is consumed.

    Raises:
        InputError: what :func:`~tagger.data.tagged.read_back` refuses, or a ``keep`` column the file lacks.
    """
    try:
        size = path.stat().st_size
    except OSError:  # read_back says what is wrong with it
        size = None
    if size is not None:  # said first: a large file takes a while (a bar, or logged lines, count the lines read)
        how = ("checking it whole, then reading it back a report at a time as" if streams_back(path, size) else
               f"reading it back whole (a .jsonl or .csv file of over {KEPT_BYTES / 1e6:.0f} MB is read a report at a "
               "time) before" if streams_back(path) else
               f"reading it back whole (a {path.suffix or 'suffix-less'} file; a .jsonl or .csv one is read a report "
               "at a time) before")
        log.info("%s: a file tagger tag wrote (%s): %s its reports are scored again", path,
                 f"{size / 1e6:.1f} MB" if size >= 999_500 else f"{max(1, round(size / 1e3))} kB", how)
    back = read_back_streamed(path, progress=progress)
    try:
        return _carried_back(path, back, keep, model_name, options)
    except BaseException:
        _close(back.reports)  # lets the file's review lock go
        raise


def _carried_back(path: Path, back: ReadBack, keep: Sequence[str], model_name: str, options: list[str]
                  ) -> Generator[TaggedReport, None, None]:
    """Say what :func:`_read_back` read back from ``path`` (``back``) and give its reports, their kept values
    cleaned as an input's are."""
    missing = [c for c in keep if c not in back.kept]
    if missing:
        has = ", ".join(map(repr, back.kept)) or "none"
        raise _ColumnProblem(f"{path}: no column {missing[0]!r} to keep: a file tagger tag wrote, read back with the "
                             f"columns it kept (here: {has}); fix --keep-columns")
    if options:
        log.warning("%s: a file tagger tag wrote, read back with its own report ids and texts: %s only to the tables "
                    "of reports among the inputs", path, they_apply(options))
    log.info("%s: a file tagger tag wrote: its %s read back and scored again with %s; %s carried over", path,
             counted(back.count, "report"), model_name, counted(back.decisions, "review decision"))
    if back.stale:  # the file is not changed: they stay in it, and are named
        one = len(back.stale) == 1
        stay, flagged = ("it stays", "it is") if one else ("they stay", "they are")
        log.warning("%s: %s", path, stale_decisions_note(
            path, back.stale, f"not carried over, the model's labels stand ({stay} in {path}, which this run leaves as "
            f"it is)", f"in the new output: tagged with --review (to .jsonl or .csv), {flagged} flagged for tagger "
            "review whatever the share"))
    if back.conflicts:  # the file read is never changed: the decision set aside stays where it is
        log.warning("%s: %s", path, journal_conflicts_note(
            path, back.conflicts, "not carried over (it stays in the journal)",
            f"not carried over (it stays in {path}, which this run leaves as it is)"))
    if back.not_carried:
        one = len(back.not_carried) == 1
        more = (f"; … and {len(back.not_carried) - _NAMED_NOT_CARRIED} more"
                if len(back.not_carried) > _NAMED_NOT_CARRIED else "")
        log.warning("%s: %s journalled beside it by a review session not carried over: %s%s; %s in the journal",
                    path, counted(len(back.not_carried), "review decision"),
                    "; ".join(back.not_carried[:_NAMED_NOT_CARRIED]), more, "it stays" if one else "they stay")
    cut = back.cut_kept
    if cut:  # an .xlsx output's note ends such a value (written by tagger): carried on as it is, said once
        log.warning("%s: %s of kept columns %s cut at Excel's cell limit in it (e.g. %s, column %r), with the note "
                    "saying so at its end: carried on as %s; the whole value is in the reports the file came from",
                    path, counted(len(cut), "value"), "was" if len(cut) == 1 else "were", cut[0][0], cut[0][1],
                    "it is" if len(cut) == 1 else "they are")
    return _cleaned(back.reports)


def _cleaned(reports: Iterable[TaggedReport]) -> Generator[TaggedReport, None, None]:
    """``reports`` read back, their kept values cleaned as an input's are (said as they come); closed with it."""
    try:
        for report in reports:
            found: dict[str, list[str]] = {}
            meta = {c: _meta_value(v, report.where, c, found) for c, v in report.meta.items()}
            _say_cleaned(report.where, found)
            yield dataclasses.replace(report, meta=meta)
    finally:  # the file's review lock goes with it
        _close(reports)


def _close(reports: Iterable[TaggedReport]) -> None:
    """Close ``reports`` where they are an iterator reading a tagged file (its review lock goes); a list: nothing."""
    close = getattr(reports, "close", None)
    if close is not None:
        close()


# ----------------------------------------------------------------------------------- tagging
_WORKER: dict = {}


def _load_worker_model(model_path: str) -> None:
    """Make the workers' model ready and warm it (segmenter dictionary, OpenCC): where workers fork this
    runs once here, on the model this process already holds, and they start ready (see
    :mod:`tagger.common.parallel`); a worker that does not fork loads it from ``model_path``."""
    model = _WORKER.get("model")
    if model is None:
        from ..model.persistence import load_model

        model = _WORKER["model"] = load_model(model_path)
    model.predict_proba(["供电所为老人检查线路。"])


class _Events(logging.Handler):
    """Collects the package's log records while a chunk is parsed, in order with its bad rows, so that
    the process writing the output reports both in input order (a worker's own stderr would interleave
    with the main process's)."""

    def __init__(self, events: list) -> None:
        super().__init__()
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None  # formatted here: the arguments need not pickle
        self.events.append(record)


INPUT_KEY = "_input"  # on a tagged row until it is written: which input report it came from ([chunk, n, where])
SET_ASIDE_KEY = "_set_aside"  # on a tagged row until it is written: its decision in the file read back was made on
# another text (set aside): a review queue flags it whatever its share (ReviewQueue)


MAX_PARAGRAPH_CHARS = 1_000_000  # a news report's paragraphs have hundreds; tagging one this long peaks at ~0.4 GB


def _paragraph_too_long(rec: Record) -> BadRow | None:
    """A bad input for a report with a paragraph over ``MAX_PARAGRAPH_CHARS`` (a file whose line breaks were lost,
    or no report: a data dump, a minified script), else ``None``: tagging it would take gigabytes of memory."""
    from ..text.report import split_report

    longest = max(split_report(rec.text, rec.report), key=lambda p: len(p.text), default=None)
    if longest is None or len(longest.text) <= MAX_PARAGRAPH_CHARS:
        return None
    return BadRow(rec.where, f"paragraph {longest.id} has {len(longest.text):,} characters (a report's paragraphs "
                             "have hundreds): not a report's text, or its line breaks were lost; put each paragraph "
                             "on a line of its own")


def _misdecoded(rec: Record | TaggedReport) -> BadRow | None:
    """A bad input for a report whose text reads as Chinese decoded with a wrong encoding (``--encoding latin-1`` on
    a UTF-8 or GBK file: :func:`~tagger.text.report.misdecoded`, the check ``tagger suggest`` makes; a report read
    back from a tagged file is checked on its paragraphs, as suggest does), else ``None``: its labels would mean
    nothing, so it is refused, or skipped with ``--on-error skip``, never tagged."""
    from ..text.report import misdecoded

    text = rec.text if isinstance(rec, Record) else "\n".join(p.text for p in rec.paragraphs)
    said = misdecoded({rec.report: text}, "{its} labels would mean nothing")
    return None if said is None else BadRow(rec.where, said.removeprefix(f"{rec.report}: "))


def _tag_chunk(args: tuple[int, list[Record | BadRow | JsonRows], bool, RowEncoder | None, bool]
               ) -> tuple[list[dict] | EncodedRows,
                          list[BadRow | EmptyReport | TaggedInputs | HandEdits | logging.LogRecord]]:
    """A chunk's paragraph rows (with an encoder, already written out as the output's text, so the
    encoding runs in the worker and only one string travels back), and what is to be reported about it
    in input order: the bad rows it came with or found parsing its :class:`JsonRows`, and what the package
    logged meanwhile (lone surrogates replaced, a report read as HTML: said by the process that writes, once per
    run however many workers said it, :func:`~tagger.common.files.retold`)."""
    from ..pipeline import paragraph_rows

    number, items, evidence, encoder, keep_edits = args
    records: list[Record | TaggedReport] = []
    events: list[BadRow | EmptyReport | TaggedInputs | HandEdits | logging.LogRecord] = []
    package = logging.getLogger("tagger")  # every module's records come here (a worker's: not to its own stderr)
    handlers, propagate = package.handlers, package.propagate
    package.handlers, package.propagate = [_Events(events)], False
    try:
        for item in items:
            for rec in item.records() if isinstance(item, JsonRows) else (item,):
                if isinstance(rec, Record) and len(rec.text) > MAX_PARAGRAPH_CHARS:
                    rec = _paragraph_too_long(rec) or rec
                if not isinstance(rec, BadRow):
                    rec = _misdecoded(rec) or rec
                (events if isinstance(rec, BadRow) else records).append(rec)
        rows = list(paragraph_rows(_WORKER["model"], [(r.report, _content(r)) for r in records], evidence,
                                   meta=[{**r.meta, INPUT_KEY: [number, n, r.where]} for n, r in enumerate(records)]))
        events += _carry_decisions(rows, records, keep_edits)
        tagged = {r[INPUT_KEY][1] for r in rows}
        # said at the end of the run (BatchStats.empty), or such a report would vanish from the output unnoticed
        events += [EmptyReport(rec.where, rec.report) for n, rec in enumerate(records) if n not in tagged]
        texts: dict[int, list[str]] = {}
        for row in rows:
            texts.setdefault(row[INPUT_KEY][1], []).append(row["text"])
        events.append(TaggedInputs(tuple((rec.report, rec.where, rec.source) for n, rec in enumerate(records)
                                         if n in tagged),
                                   tuple(dict.fromkeys(r.source for r in records if isinstance(r, TaggedReport))),
                                   tuple({r.source: r.left_out for r in records
                                          if isinstance(r, TaggedReport) and r.left_out}.items()),
                                   tuple(report_content(texts[n], rec.meta) for n, rec in enumerate(records)
                                         if n in tagged)))
    finally:
        package.handlers, package.propagate = handlers, propagate
    return (encoder.encode_chunk(rows) if encoder is not None else rows), events


def _content(rec: Record | TaggedReport) -> str | list:
    """What :func:`~tagger.pipeline.paragraph_rows` scores of an input report: a report's text (split there), or
    the paragraphs of a report read back from a tagged file, as they were split then (ids, kinds, texts)."""
    from ..text.normalize import normalize_many
    from ..text.report import Paragraph

    if isinstance(rec, Record):
        return rec.text
    norms = normalize_many([p.text for p in rec.paragraphs])
    return [Paragraph(p.id, rec.report, p.index, p.text, norm, p.kind) for p, norm in zip(rec.paragraphs, norms)]


def _carry_decisions(rows: list[dict], records: list[Record | TaggedReport], keep_edits: bool = False
                     ) -> list[HandEdits]:
    """Put on each row of a report read back from a tagged file the review decision its paragraph had there
    (``reviewed_labels`` as a list, ``reviewed_by``, ``reviewed_at``; the writer adds ``reviewed_sha``, the hash of
    the row's text: a decision the file holds on another text than the paragraph's is never read back, see
    :attr:`~tagger.data.tagged.ReadBack.stale`); rows come in each report's paragraph order.
    Where the file's labels differ from the model's on the scores it holds (:func:`~tagger.data.tagged.hand_edit`:
    a person's edit, or other thresholds) they are that — with ``keep_edits`` (``--keep-edited-labels``) a
    decision too (``reviewed_by`` "edited in FILE") —, unless the file records the thresholds that decided its labels
    and they give the row's labels (``Written.recorded``: another model's labels, nobody's edit; noted as
    ``recorded``). Returns what was seen of such rows, per file."""
    place: dict[int, int] = {}
    cuts: dict[int, str | None] = {}  # per report: its first paragraph cut at the cell limit (looked for once)
    edits: dict[str, HandEdits] = {}
    for row in rows:
        n = row[INPUT_KEY][1]
        rec = records[n]
        if not isinstance(rec, TaggedReport):
            continue
        k = place[n] = place.get(n, -1) + 1
        paragraph = rec.paragraphs[k]
        decision = paragraph.decision
        if decision is None and paragraph.written is not None:
            scores = [row[f"score_{lab}"] for lab in LABELS]
            edited = hand_edit(paragraph.written, row["labels"], scores)
            seen = edits.setdefault(rec.source, HandEdits(rec.source, model=rec.model))
            if n not in cuts:
                cuts[n] = next((p.id for p in rec.paragraphs if is_cut(p.text)), None)
            cut = cuts[n]
            changed = set(paragraph.written.labels) != set(row["labels"])
            if cut is not None and changed and (paragraph.written.recorded or paragraph.id == cut):
                # its report context now comes from a cut paragraph (or it is that one): no other model decided
                seen.note(paragraph.id, "cut")
                seen.cut = seen.cut or cut
            elif paragraph.written.recorded and changed:
                seen.note(paragraph.id, "recorded")
            elif edited is not None and keep_edits:
                decision = Decision(edited, f"edited in {Path(rec.source).name}")
                seen.note(paragraph.id, "carried")
            elif edited is not None:
                seen.note(paragraph.id, "differs")
            elif unknowable_edit(paragraph.written, row["labels"], scores):
                seen.note(paragraph.id, "unknown")
        if decision is not None:
            row.update(reviewed_labels=list(decision.labels), reviewed_by=decision.by, reviewed_at=decision.at)
        elif paragraph.set_aside:  # its decision was made on another text: to be decided again
            row[SET_ASIDE_KEY] = True
    return [e for e in edits.values() if e.counts]


@dataclass
class HandEdits:
    """Paragraphs of a tagged file read back whose labels in the file differ from the model's, by what became of
    them (``counts``, with the first paragraph of each): ``carried`` (``--keep-edited-labels``: kept as review
    decisions), ``differs`` (on the scores the file holds: a person's edit, or labels written with other
    thresholds; the model's labels stand), ``unknown`` (they look edited, but the scores differ: an edit cannot
    be told there) and ``recorded`` (the file records the model that tagged it, ``model``, and its thresholds give
    the file's labels: that model's labels, not an edit; this model's labels stand) and ``cut`` (the report holds
    a paragraph an .xlsx output cut at the cell limit, ``cut``: its text, and so its report's context, is no longer
    what the labels were decided on)."""

    source: str
    counts: dict[str, int] = field(default_factory=dict)
    first: dict[str, str] = field(default_factory=dict)
    model: dict | None = None
    cut: str | None = None

    def note(self, paragraph: str, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1
        self.first.setdefault(what, paragraph)

    def merge(self, other: HandEdits) -> None:
        for what, n in other.counts.items():
            self.counts[what] = self.counts.get(what, 0) + n
            self.first.setdefault(what, other.first[what])
        self.model = self.model or other.model
        self.cut = self.cut or other.cut

    def warnings(self) -> list[str]:
        """What to say once the run is done.

        Example:
            >>> e = HandEdits("t.xlsx"); e.note("r:2", "differs"); e.note("r:5", "unknown"); e.note("r:7", "unknown")
            >>> print("\\n".join(e.warnings()))
            t.xlsx: 1 paragraph has other labels in the file than this model gives it on the scores the file holds (r:2): edited by hand, or the file was tagged with other thresholds; it now has this model's labels. If they are a person's corrections, tag t.xlsx again with --keep-edited-labels: they become review decisions
            t.xlsx: 2 paragraphs whose labels look edited by hand (e.g. r:5: they disagree with the file's own scores, or with its 0/1 columns) were scored otherwise than the file holds (another model, a row deleted, rounded scores): an edit cannot be told there, and they now have this model's labels. To keep edits, tag t.xlsx again with the model that wrote it and --keep-edited-labels (they become review decisions), or make them with tagger review
            >>> e = HandEdits("t.sqlite", model={"model_file": "m.npz", "model_sha256": "ab12", "thresholds": {"elderly_care": 0.9}})
            >>> e.note("r:1", "recorded"); print(e.warnings()[0])
            t.sqlite: 1 paragraph has other labels in the file than this model gives it (r:1): no one edited it — the file records that other thresholds or another model decided its labels (m.npz (sha256 ab12, thresholds+scoring 383613f3, data ?, by tagger ?); thresholds elderly_care 0.9); it now has this model's labels (--keep-edited-labels keeps only labels edited in the file)
        """
        from ..model.persistence import describe_provenance

        name = Path(self.source).name
        said = []
        recorded = self.model is not None and isinstance(self.model.get("thresholds"), dict)
        for what in ("cut", "recorded", "carried", "differs", "unknown"):
            n = self.counts.get(what, 0)
            if not n:
                continue
            one, first = n == 1, self.first[what]
            eg = first if one else f"e.g. {first}"
            it, has, now_has = ("it", "has", "it now has") if one else ("them", "have", "they now have")
            decisions = "a review decision" if one else "review decisions"
            if what == "cut":
                text = (f"{has} other labels in the file than {'it gets' if one else 'they get'} now ({eg}): "
                        f"no one edited {it} — paragraph {self.cut} was cut at Excel's cell limit in the "
                        "file, and a paragraph's labels are scored with its report's context, which now "
                        f"comes from the cut text; {now_has} the labels of the cut report. Tag the report "
                        "the file came from (or a .jsonl, .csv, .parquet or .sqlite output of it) for the "
                        "labels of the whole text")
            elif what == "recorded":
                thresholds = "; ".join(f"{lab} {value}" for lab, value in self.model["thresholds"].items())
                text = (f"{has} other labels in the file than this model gives {it} ({eg}): no one edited "
                        f"{it} — the file records that other thresholds or another model decided "
                        f"{'its' if one else 'their'} labels ({describe_provenance(self.model)}; thresholds "
                        f"{thresholds}); {now_has} this model's labels (--keep-edited-labels keeps only "
                        "labels edited in the file)")
            elif what == "carried" and recorded:
                text = (f"with other labels in the file than the thresholds it records give {it} ({eg}), "
                        f"edited by hand, kept as {decisions} (--keep-edited-labels; reviewed_by 'edited in "
                        f"{name}'): counted as a person's labels and never flagged for review")
            elif what == "differs" and recorded:
                text = (f"{has} other labels in the file than the thresholds it records give {it} ({eg}): "
                        f"edited by hand; {now_has} this model's labels. To keep {it} as a person's "
                        f"corrections, tag {self.source} again with --keep-edited-labels: they become review "
                        "decisions")
            elif what == "carried":
                text = (f"with other labels in the file than this model gives {it} on the scores the file "
                        f"holds ({eg}) kept as {decisions} (--keep-edited-labels; reviewed_by 'edited in "
                        f"{name}'): counted as a person's labels and never flagged for review. A file tagged "
                        "with other thresholds than this model's differs there too: check the count")
            elif what == "differs":
                text = (f"{has} other labels in the file than this model gives {it} on the scores the file "
                        f"holds ({eg}): edited by hand, or the file was tagged with other thresholds; "
                        f"{now_has} this model's labels. If they are a person's corrections, tag "
                        f"{self.source} again with --keep-edited-labels: they become review decisions")
            else:
                columns = ", or with its 0/1 columns" if name.lower().endswith(".xlsx") else ""
                text = (f"whose labels look edited by hand ({eg}: they disagree with the file's own "
                        f"scores{columns}) {'was' if one else 'were'} scored otherwise than the file holds "
                        "(another model, a row deleted, rounded scores): an edit cannot be told there, and "
                        f"{now_has} this model's labels. To keep edits, tag {self.source} again with the "
                        "model that wrote it and --keep-edited-labels (they become review decisions), or "
                        "make them with tagger review")
            said.append(f"{self.source}: {counted(n, 'paragraph')} {text}")
        return said


@dataclass
class BatchStats:
    """What a tagging run did: distinct report ids with paragraphs, paragraphs, skipped inputs, and the
    inputs that held no paragraph (``empty``: not errors, said once the run is done). ``id_column``: the
    ``--id-column`` of the run, for the advice of :meth:`shared_ids_warning`."""

    paragraphs: int = 0
    skipped: list[BadRow] = field(default_factory=list)
    empty: list[EmptyReport] = field(default_factory=list)
    shared_ids: dict[str, list[str]] = field(default_factory=dict)  # an id given again: where it was given again
    hand_edits: dict[str, HandEdits] = field(default_factory=dict)  # per tagged file read back: labels edited in it
    id_column: str | None = None
    _ids: dict[str, str] = field(default_factory=dict, repr=False)  # each id: the file it came from first
    _shared_files: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)  # a shared id: first, again
    _sources: dict[str, str] = field(default_factory=dict, repr=False)  # one string per file name (not one per id)
    _read_back: set[str] = field(default_factory=set, repr=False)  # the tagged files read back
    copies: list[tuple[str, str, str]] = field(default_factory=list)
    """Input reports with the texts and kept cells of an earlier one under another id: (id, where, the earlier id)."""
    _contents: dict[int, str] = field(default_factory=dict, repr=False)  # a report's content digest: its first id
    earlier_left_out: dict[str, int] = field(default_factory=dict)
    """Per tagged file read back: the input reports with nothing to tag its own run left out (its corpus row's
    ``left_out``), which are in none of its rows: the new corpus row counts them with :attr:`empty`."""

    @property
    def left_out(self) -> int:
        """The input reports with nothing to tag that the output leaves out: this run's (:attr:`empty`) and those
        the runs that wrote the tagged files read back left out (:attr:`earlier_left_out`).

        Example:
            >>> s = BatchStats(empty=[EmptyReport("a.csv:3", "r2")], earlier_left_out={"old.jsonl": 2})
            >>> s.left_out
            3
        """
        return len(self.empty) + sum(self.earlier_left_out.values())

    def left_out_line(self) -> str:
        """The end of the run's last line on what the output leaves out: this run's empty reports, and those carried
        from tagged files read back (named); ``""`` for none.

        Example:
            >>> BatchStats(empty=[EmptyReport("a.csv:3", "r2")], earlier_left_out={"old.jsonl": 2}).left_out_line()
            '; 3 input reports with nothing to tag left out (2 of them by the run that wrote old.jsonl)'
            >>> BatchStats(earlier_left_out={"old.jsonl": 1}).left_out_line()
            '; 1 input report with nothing to tag left out (by the run that wrote old.jsonl)'
        """
        if not self.left_out:
            return ""
        line = f"; {counted(self.left_out, 'input report')} with nothing to tag left out"
        earlier = sum(self.earlier_left_out.values())
        if not earlier:
            return line
        files = list(self.earlier_left_out)
        named = files[0] if len(files) == 1 else f"{', '.join(files[:-1])} and {files[-1]}"
        runs = f"the run{'s' if len(files) > 1 else ''} that wrote {named}"
        return line + (f" (by {runs})" if earlier == self.left_out else f" ({earlier:,} of them by {runs})")

    def nothing_to_tag(self) -> str:
        """Why a run that tagged no paragraph has nothing to write: every input was skipped (``--on-error skip``), its
        reports held no paragraph, or it read no report.

        Example:
            >>> BatchStats().nothing_to_tag()
            'nothing to tag: no report in the inputs (a table without rows, or every file left out: a warning above says which)'
            >>> BatchStats(skipped=[BadRow("a.txt", "empty file, nothing to tag")]).nothing_to_tag()
            'no input could be tagged: skipped 1 bad input, first: a.txt: empty file, nothing to tag; fix or leave out the inputs the warnings above name, then run again'
        """
        if self.skipped:
            first = self.skipped[0]
            return (f"no input could be tagged: skipped {counted(len(self.skipped), 'bad input')}, first: {first.where}: "
                    f"{first.reason}; fix or leave out the inputs the warnings above name, then run again")
        if self.empty:
            return "nothing to tag: no paragraphs in the input (empty texts, only blank lines or page chrome)"
        return ("nothing to tag: no report in the inputs (a table without rows, or every file left out: a warning "
                "above says which)")

    def note_inputs(self, tagged: TaggedInputs) -> None:
        """Note the input reports of a chunk (before :meth:`add` counts it): an id an earlier input report had —
        in an earlier chunk, or earlier in this one — goes to :attr:`shared_ids` with where it came again (said
        once the run is done: its paragraph ids repeat, and counts by report merge). Only repeats keep their places:
        a run of millions of reports holds each id once with the name of its file (one string per file), not its
        place too."""
        self._read_back.update(tagged.read_back)
        self.earlier_left_out.update(tagged.left_out)
        for (report, where, _), content in zip(tagged.reports, tagged.contents):
            if (seen := earlier_copy(self._contents, report, content)) is not None:
                self.copies.append((report, where, seen))
        for report, where, source in tagged.reports:
            first = self._ids.get(report)
            if first is None:
                self._ids[report] = self._sources.setdefault(source, source)
                continue
            self.shared_ids.setdefault(report, []).append(where)
            self._shared_files.setdefault(report, (first, source))

    def shared_ids_warning(self) -> str | None:
        """The warning for ids given to several input reports, or ``None``: one id's places (the file it came from
        first, and where it came again), and what to do, for what gave the ids (an id column in one file or
        across files, a tagged file read back).

        Example:
            >>> s = BatchStats(id_column="id")
            >>> s.note_inputs(TaggedInputs((("t", "a.csv:2", "a.csv"), ("t", "a.csv:3", "a.csv"),
            ...                             ("u", "a.csv:4", "a.csv"), ("t", "a.csv:5", "a.csv"))))
            >>> print(s.shared_ids_warning())
            1 report id is given to several input reports (e.g. 't' first in a.csv, again at a.csv:3, a.csv:5): their paragraph ids repeat and tagger stats counts them as one report; give each report its own value in the column 'id' (or tag without --id-column: ids are then the file's name and line)
            >>> s = BatchStats(id_column="id")
            >>> s.note_inputs(TaggedInputs((("1", "01/a.csv:2", "01/a.csv"), ("1", "02/a.csv:2", "02/a.csv"))))
            >>> print(s.shared_ids_warning())
            1 report id is given to several input reports (e.g. '1' first in 01/a.csv, again at 02/a.csv:2): their paragraph ids repeat and tagger stats counts them as one report; the files' column 'id' gives the same ids in 01/a.csv and 02/a.csv (each numbering its reports alike?): make the ids differ across the files (e.g. put the month or the file's name before them), or tag without --id-column (ids are then each file's name and line, distinct across files)
        """
        if not self.shared_ids:
            return None
        rid, wheres = next(iter(self.shared_ids.items()))
        first, again = self._shared_files.get(rid, ("", ""))
        shown = ", ".join(wheres[:3]) + (f" and {len(wheres) - 3} more" if len(wheres) > 3 else "")
        n = len(self.shared_ids)
        excel = (f"; {rid!r} is a long number a spreadsheet saved in scientific notation: format the id column as "
                 "text (or the number format 0) and save the file again" if SCIENTIFIC_NUMBER.fullmatch(rid) else "")
        read_back = [f for f in dict.fromkeys((first, again)) if f in self._read_back]
        if len(read_back) == 2:  # two tagged files (two months tagged one at a time from files of one name?)
            todo = (f"{read_back[0]} and {read_back[1]} are files tagger tag wrote that hold the same report ids, "
                    "and a file read back keeps its ids: tag the reports they came from together in one run (files "
                    "of one name then get distinct ids), or count each tagged file on its own")
        elif read_back:
            todo = (f"{read_back[0]} is a file tagger tag wrote, read back with the report ids it holds: give each "
                    "tagged file once, and not together with the reports it was tagged from")
        elif self.id_column and first != again:
            todo = (f"the files' column {self.id_column!r} gives the same ids in {first} and {again} (each numbering "
                    "its reports alike?): make the ids differ across the files (e.g. put the month or the file's name "
                    "before them), or tag without --id-column (ids are then each file's name and line, distinct "
                    "across files)")
        elif self.id_column:
            todo = (f"give each report its own value in the column {self.id_column!r} (or tag without --id-column: "
                    "ids are then the file's name and line)")
        else:
            todo = "give each report its own id (tag with --id-column and a column holding one value per report)"
        place = f"first in {first}, again at " if first else "again at "
        return (f"{n} report id{' is' if n == 1 else 's are'} given to several input reports (e.g. {rid!r} {place}"
                f"{shown}): their paragraph ids repeat and tagger stats counts them as one report; {todo}{excel}")

    def copies_warning(self) -> str | None:
        """The warning for input reports that repeat an earlier one's paragraphs and kept cells under another id (a
        story a CMS exported twice, a month's rows pasted into the next month's sheet), or ``None``: counted, each
        is a report of its own and its paragraphs count twice (:func:`~tagger.data.tagged.earlier_copy`).

        Example:
            >>> s = BatchStats()
            >>> s.note_inputs(TaggedInputs((("a", "x.csv:2", "x.csv"), ("b", "x.csv:5", "x.csv")),
            ...                            contents=((60, 7), (60, 7))))
            >>> print(s.copies_warning())
            1 input report repeats the paragraphs and kept cells of an earlier one under another id (e.g. 'b' at x.csv:5 is 'a' again): each counts as a report of its own in tagger stats, its paragraphs twice; if they are one report given twice, remove the copies from the input and tag it again
        """
        if not self.copies:
            return None
        report, where, first = self.copies[0]
        n = len(self.copies)
        return (f"{counted(n, 'input report')} {'repeats' if n == 1 else 'repeat'} the paragraphs and kept cells of "
                f"an earlier one under another id (e.g. {report!r} at {where} is {first!r} again): each counts as a "
                "report of its own in tagger stats, its paragraphs twice; if they are one report given twice, "
                "remove the copies from the input and tag it again")

    @property
    def reports(self) -> int:
        """Distinct report ids tagged (an id repeated across chunks counts once)."""
        return len(self._ids)

    def add(self, report_ids: Iterable[str], paragraphs: int) -> None:
        for rid in report_ids:
            self._ids.setdefault(rid, "")
        self.paragraphs += paragraphs


def tag_records(records: Iterable[Record | BadRow | JsonRows], model: Tagger, model_path: str | None = None, chunk_size: int = 500,
                jobs: int = 1, evidence: bool = False, on_error: str = "fail",
                stats: BatchStats | None = None,
                encoder: RowEncoder | None = None, keep_edits: bool = False,
                decision_columns: bool = True) -> Iterator[list[dict] | EncodedRows]:
    """Tagged paragraph rows, chunk by chunk, in input order.

    ``on_error="fail"`` raises :class:`InputError` at the first bad input (a :class:`~tagger.errors.SkippableError`
    unless skipping is no fix: :attr:`BadRow.setup`); ``"skip"`` logs it, records it
    in ``stats.skipped`` and goes on. ``jobs > 1`` tags chunks in worker processes: forked ones share
    ``model`` (warmed once before they start); elsewhere each worker loads ``model_path``. With
    ``encoder`` (a line format's, :attr:`Writer.line_encoder`) each chunk comes as :class:`EncodedRows`,
    encoded where it was tagged, for :meth:`Writer.write`. :class:`JsonRows` blocks are parsed where they
    are tagged; their bad rows and warnings are reported here, in input order, like the others. Each row
    carries :data:`INPUT_KEY` (the input report it came from, so that two reports given one id stay
    apart); :class:`Writer` uses it and does not write it. A report read back from a tagged file keeps its review
    decisions; with ``keep_edits`` the labels its file gives where they differ from the model's on the scores the
    file holds become decisions too (:func:`_carry_decisions`) — refused (an error, no output) when the output was
    opened without ``decision_columns``, which would drop them.

    Example:
        >>> with open_writer("jsonl", None) as writer:  # doctest: +SKIP
        ...     for chunk in tag_records(records, model, "m.npz", jobs=2, encoder=writer.line_encoder):
        ...         writer.write(chunk)
    """
    from ..common.parallel import imap_ordered

    stats = stats if stats is not None else BatchStats()

    def skip(rec: BadRow) -> None:
        if on_error == "fail":
            if rec.setup:
                raise InputError(f"{rec.where}: {rec.reason}")
            raise SkippableError(f"{rec.where}: {rec.reason}", "", "skip such inputs and tag the rest")
        log.warning("skipped %s: %s", rec.where, rec.reason)
        stats.skipped.append(rec)

    def chunks() -> Iterator[list[Record | BadRow | JsonRows]]:
        """Chunks of about ``chunk_size`` reports (a :class:`JsonRows` block counts its lines, so blocks
        of small files share a chunk); bad rows ride along, so that they are reported in input order
        with those a worker finds."""
        chunk: list[Record | BadRow | JsonRows] = []
        weight = 0
        for rec in records:
            chunk.append(rec)
            weight += len(rec.block.lines) if isinstance(rec, JsonRows) else not isinstance(rec, BadRow)
            if weight >= chunk_size:
                yield chunk
                chunk, weight = [], 0
        if chunk:
            yield chunk

    if jobs > 1 and model_path is None:
        raise ValueError("jobs > 1 needs model_path (a worker that does not fork loads the model from it)")
    _WORKER["model"] = model  # what tags here, and what forked workers inherit
    tasks = ((number, chunk, evidence, encoder, keep_edits) for number, chunk in enumerate(chunks()))
    for rows, events in imap_ordered(_tag_chunk, tasks, jobs=jobs,
                                     initializer=_load_worker_model if jobs > 1 else None,
                                     initargs=(str(model_path),) if jobs > 1 else ()):
        for event in events:
            if isinstance(event, EmptyReport):
                stats.empty.append(event)
            elif isinstance(event, TaggedInputs):
                stats.note_inputs(event)
            elif isinstance(event, HandEdits):
                if event.counts.get("carried") and not decision_columns:
                    raise TaggerError(f"{event.source}: labels edited in it were to be kept as review decisions, but "
                                      "the output was opened without decision columns (a bug: please report it); "
                                      "nothing was written")
                stats.hand_edits.setdefault(event.source, HandEdits(event.source)).merge(event)
            elif isinstance(event, BadRow):
                skip(event)
            elif (told := retold(event)) is not None:
                log.handle(told)
        if isinstance(rows, EncodedRows):
            stats.add(rows.tally.reports, rows.tally.paragraphs)
        else:
            stats.add((r["report"] for r in rows), len(rows))
        yield rows


# ----------------------------------------------------------------------------------- writing
def _table_line(row: dict) -> str:
    if row["row_type"] == "paragraph":  # the final labels: a person's decision where there is one, so marked
        final = final_labels(row)
        labels = (", ".join(final) if final else "-") + (" (reviewed)" if row.get("reviewed_labels") is not None else "")
        scores = " ".join(f"{TABLE_NAMES[lab]}={row[f'score_{lab}']:.2f}" for lab in LABELS)
        text = row["text"] if len(row["text"]) <= 60 else row["text"][:59] + "…"
        kind = "" if row["kind"] == "body" else f" [{row['kind']}]"
        cells = (f"{row['paragraph']}{kind}", labels, scores, text)  # a tab inside a cell would shift the columns
        return terminal_safe("\t".join(c.replace("\t", "\\t") for c in cells))
    counts = " ".join(f"{TABLE_NAMES[lab]}={row[f'count_{lab}']}" for lab in LABELS)
    if row["row_type"] == "report":
        return terminal_safe(f"== report {row['report']}: {', '.join(row['labels']) or '-'} "
                              f"({row['n_paragraphs']} paragraphs; {counts})")
    left = f" ({counted(row['left_out'], 'input report')} with nothing to tag left out)" if row.get("left_out") else ""
    return (f"== corpus: {row['reports']} reports{left}, {row['n_paragraphs']} paragraphs; paragraphs per label: "
            f"{counts}")


def output_columns(keep: Sequence[str] = (), evidence: bool = False, summary: bool = False,
                   review: bool = False, reviewed: bool = False) -> list[str]:
    """The columns of a tagged file, in order (``reviewed``: it holds review decisions, carried over from a
    tagged file read back).

    Example:
        >>> output_columns(["company"])[:8]
        ['row_type', 'report', 'paragraph', 'kind', 'text', 'company', 'labels', 'score_elderly_care']
        >>> output_columns(reviewed=True)[-4:]
        ['reviewed_labels', 'reviewed_by', 'reviewed_at', 'reviewed_sha']
    """
    cols = ["row_type", "report", "paragraph", "kind", "text", *keep, "labels", *SCORE_COLUMNS]
    if evidence:
        cols.append("evidence")
    if summary:
        cols += ["n_paragraphs", *COUNT_COLUMNS, "reports"]
    if review:
        cols += REVIEW_COLUMNS
    if reviewed:
        cols += REVIEW_FIELDS
    if summary:  # last: added after the columns above, which scripts may find by their place
        cols.append("left_out")
    return cols


def final_labels(row: dict) -> list[str]:
    """The labels a paragraph row counts with: a person's decision (``reviewed_labels``) where there is one, else
    the model's ``labels`` (as :func:`tagger.data.tagged.read_tagged`'s ``effective_labels``).

    Example:
        >>> final_labels({"labels": ["elderly_care"], "reviewed_labels": []}), final_labels({"labels": ["elderly_care"]})
        ([], ['elderly_care'])
    """
    reviewed = row.get("reviewed_labels")
    return row["labels"] if reviewed is None else reviewed


def _decision_sha(row: dict, text: str) -> str | None:
    """The ``reviewed_sha`` of a paragraph row: the :func:`~tagger.data.examples.text_sha` of ``text`` (the row's
    text as the output holds it) where the row holds a decision — every decision written was made on, or carried
    over onto, that text (a decision made on another text is never carried) —, else ``None``.

    Example:
        >>> _decision_sha({"reviewed_labels": []}, "文字。"), _decision_sha({"reviewed_labels": None}, "文字。")
        ('50cd5b17ad773e3c', None)
    """
    from ..data.examples import text_sha

    return None if row.get("reviewed_labels") is None else text_sha(text)


def _decision_cell(row: dict) -> str | None:
    """The ``reviewed_labels`` cell of a flat table (CSV, .xlsx, SQLite), as ``tagger review`` writes it: ``none`` for
    a decision of no label, empty (``None``) for no decision."""
    reviewed = row.get("reviewed_labels")
    return None if reviewed is None else format_label_cell(reviewed)


def _cell(value: object) -> object:
    """A value for a flat table cell: lists and mappings as JSON text, the rest as it is."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _csv_cell(value: object) -> object:
    """A kept value for a CSV cell (:func:`_cell`), a whole float as its whole number (``2021.0`` as ``2021``), as
    Excel saves a General cell's number and as ``tagger stats`` names a group of such numbers. A column of whole
    numbers with gaps is a float column (pandas, Parquet, JSON from pandas): written ``20240708.0`` and ``2021.0``,
    ``tagger stats`` read the CSV's dates as decimal numbers, no dates, and counted its ``2021.0`` as a group apart
    from the ``2021`` of the same run's JSONL, ``.xlsx``, ``.sqlite`` or Parquet output. Other floats keep their
    shortest form (``1.5``).

    Example:
        >>> [_csv_cell(v) for v in (20240708.0, 2021.0, -3.0, 1.5, 7, "2021.0", ["a"])]
        [20240708, 2021, -3, 1.5, 7, '2021.0', '["a"]']
    """
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():  # not an int or bool: no float
        return int(value)
    return _cell(value)


_EXACT_IN_FLOAT = 2**53  # beyond it a whole number is not a float exactly: such ints and floats make a text column


def _kept_kind(value: object) -> str | None:
    """What a kept value (:func:`_meta_value`'s) is, for the type of its column in a Parquet output
    (:class:`KeptTypes`): ``None`` for no value; ``bool``, ``int`` (``int53`` beyond what a float holds exactly),
    ``float`` (also an infinite number, :class:`InfiniteNumber`); for a date or time of the input
    (:class:`~tagger.common.xlsx.DateText`) ``date``, ``time``, ``datetime`` or ``datetime+08:00`` (with its UTC
    offset); ``text`` for anything else — text (a CSV cell, a
    JSON string, also one that looks like a number or a date), a list or mapping, an int beyond 64 bits, a time
    finer than microseconds.

    Example:
        >>> import datetime as dt
        >>> [_kept_kind(v) for v in (None, True, 2024, 2**60, 1.5, "2024", [1])]
        [None, 'bool', 'int', 'int53', 'float', 'text', 'text']
        >>> [_kept_kind(DateText(v)) for v in ("2024-09-12", "2024-09-12T09:30:00", "2024-09-12T09:30:00+08:00")]
        ['date', 'datetime', 'datetime+08:00']
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "text" if not -(2**63) <= value < 2**63 else "int53" if abs(value) > _EXACT_IN_FLOAT else "int"
    if isinstance(value, (float, InfiniteNumber)):  # inf: a double too
        return "float"
    if not isinstance(value, DateText) or re.search(r"\.\d{7}", value):  # nanoseconds: no Python time holds them
        return "text"
    try:
        if "T" not in value and ":" in value:
            return "time" if dt.time.fromisoformat(value).tzinfo is None else "text"
        if "T" not in value:
            dt.date.fromisoformat(value)
            return "date"
        offset = dt.datetime.fromisoformat(value).utcoffset()
    except ValueError:
        return "text"
    if offset is None:
        return "datetime"
    minutes, seconds = divmod(int(offset.total_seconds()), 60)
    if seconds:
        return "text"
    return f"datetime{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _joined_kind(a: str | None, b: str | None) -> str | None:
    """The kind of a column holding values of kinds ``a`` and ``b`` (:func:`_kept_kind`): either when the other
    is ``None``; whole numbers with fractions are ``float`` (unless one is beyond what a float holds exactly);
    dates with dates and times are ``datetime``; any other mix is ``text`` — times with different UTC offsets (a
    time zone's summer and winter time) too: held in UTC their clock times would change, and ``tagger stats``
    counts a date at the clock time written (2024-03-01 00:30+01:00 is in March, 2024-02-29 23:30 UTC in February).

    Example:
        >>> _joined_kind("datetime+02:00", "datetime+01:00"), _joined_kind("datetime", "datetime+01:00")
        ('text', 'text')
    """
    if a is None or a == b:
        return b
    if b is None:
        return a
    pair = {a, b}
    if pair in ({"int", "int53"}, {"int", "float"}, {"date", "datetime"}):
        return max(pair, key=["int", "int53", "float", "date", "datetime"].index)
    return "text"


class KeptTypes:
    """The type each kept column of a Parquet output gets, from every value written in it (:func:`_kept_kind`,
    :func:`_joined_kind`): the input's own where all its values had one — a year column of whole numbers is
    ``int64``, true/false ``bool``, a date ``date32``, a date and time ``timestamp`` (with its UTC offset as the
    time zone, when every value has the same one; text with each value's offset otherwise) —, text otherwise (text
    cells, mixed values, no value at all).

    Example:
        >>> kinds = KeptTypes(["year", "note"])
        >>> kinds.see([{"year": 2023, "note": "a"}, {"year": None, "note": 1}])
        >>> {name: str(kind) for name, kind in kinds.arrow_types().items()}
        {'year': 'int64'}
        >>> kinds.typed_value("year", "2023"), kinds.text_value(2023)
        (2023, '2023')
    """

    def __init__(self, columns: Sequence[str]) -> None:
        self.kinds: dict[str, str | None] = dict.fromkeys(columns)

    def see(self, rows: Iterable[dict]) -> None:
        """Take in the kept values of ``rows``."""
        for row in rows:
            for name, kind in self.kinds.items():
                if kind != "text":
                    self.kinds[name] = _joined_kind(kind, _kept_kind(row.get(name)))

    @property
    def all_text(self) -> bool:
        """Whether every kept column is text for good (a value of another kind cannot change that)."""
        return all(kind == "text" for kind in self.kinds.values())

    def arrow_types(self) -> dict[str, Any]:
        """The kept columns that are not text, with their Arrow types."""
        import pyarrow as pa

        types = {"bool": pa.bool_(), "int": pa.int64(), "int53": pa.int64(), "float": pa.float64(),
                 "date": pa.date32(), "time": pa.time64("us"), "datetime": pa.timestamp("us")}
        return {name: types[kind] if kind in types else pa.timestamp("us", tz=kind[len("datetime"):])
                for name, kind in self.kinds.items() if kind not in (None, "text")}

    @staticmethod
    def text_value(value: object) -> str | None:
        """A kept value as a text cell: lists and mappings as JSON, the rest as Python writes it (``True``, ``1.5``,
        a date's ISO 8601 text); what :meth:`typed_value` reads back when the column has a type."""
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, tuple, dict)) else str(value)

    def typed_value(self, name: str, text: str | None) -> object:
        """The value of column ``name``'s type that :meth:`text_value` wrote as ``text``."""
        kind = self.kinds[name]
        if text is None or kind in (None, "text"):
            return text
        if kind == "bool":
            return text == "True"
        if kind in ("int", "int53"):
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "date":
            return dt.date.fromisoformat(text)
        if kind == "time":
            return dt.time.fromisoformat(text)
        return dt.datetime.fromisoformat(text)


def _sql_cell(value: object) -> object:
    """:func:`_cell` for SQLite: an integer beyond its 64 bits is stored as text (as Parquet does)."""
    value = _cell(value)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return str(value)
    return value


XLSX_MAX_ROWS = 1_048_576  # Excel's limit, the header row included


@dataclass(frozen=True)
class ChunkTally:
    """What one chunk adds to a file's totals: its reports (each once, in order of first appearance), its
    paragraph count, and paragraphs per label (empty when no summary is counted)."""

    reports: list[str]
    paragraphs: int
    counts: dict[str, int]


@dataclass(frozen=True)
class EncodedRows:
    """A chunk already written out in a line format (``text``, to go to the stream as it is), with its
    :class:`ChunkTally`: what a worker sends back instead of the rows (one string pickles cheaply)."""

    text: str
    tally: ChunkTally
    layout: tuple = ()  # the encoder's :attr:`RowEncoder.layout`: a writer takes only its own


class RowEncoder:
    """How a chunk's paragraph rows appear in one output format: the rows laid out (``row_type``, a
    summary row after each report when ``summary``) and, for the line formats (JSONL, CSV, table),
    encoded as text. It keeps no state between chunks, so a worker process can run it on the chunk it
    tagged (:func:`tag_records` with ``encoder``); the running totals stay with :class:`Writer`.

    Example:
        >>> enc = RowEncoder("jsonl")
        >>> row = {"report": "r", "paragraph": "r:0", "kind": "body", "text": "t", "labels": []}
        >>> enc.encode_chunk([row]).text
        '{"row_type": "paragraph", "report": "r", "paragraph": "r:0", "kind": "body", "text": "t", "labels": []}\\n'
    """

    def __init__(self, fmt: str, summary: bool = False, review: bool = False, keep: Sequence[str] = (),
                 evidence: bool = False, reviewed: bool = False) -> None:
        self.fmt, self.summary = fmt, summary
        self.keep, self.evidence, self.reviewed = list(keep), evidence, reviewed
        self.columns = output_columns(self.keep, evidence, summary and fmt not in ("xlsx", "sqlite"), review, reviewed)
        self.counted = summary or fmt in ("xlsx", "sqlite")  # per-report counts: summary rows, sheet or table
        self._set_apart = {INPUT_KEY, SET_ASIDE_KEY, *REVIEW_FIELDS, *self.keep}

    def paragraph_row(self, row: dict) -> dict:
        """A tagged row as the output's paragraph row: ``row_type``, the row's own cells with every kept column
        after the text (empty where its input had none: a report read back beside a table of reports) and, when
        the output holds decisions, the review decision last (empty where there is none), with the hash of the text
        it was made on (:func:`_decision_sha`; an ``.xlsx`` cell's text may differ: :meth:`XlsxSheets.add`)."""
        out = {"row_type": "paragraph"}
        for key in ("report", "paragraph", "kind", "text"):
            out[key] = row[key]
        out.update({k: row.get(k) for k in self.keep})
        out.update({k: v for k, v in row.items() if k not in out and k not in self._set_apart})
        if self.reviewed:
            out.update({k: row.get(k) for k in REVIEW_FIELDS})
            out["reviewed_sha"] = _decision_sha(row, row["text"])
        return out

    def lay_out(self, rows: list[dict]) -> tuple[list[dict], list[dict], ChunkTally]:
        """The chunk's output rows (paragraph rows in input order, and a report's summary row after its
        paragraphs when summaries are written inline: one per input report, so an id given to two
        reports gets two), the report summary rows an ``xlsx``/``sqlite`` file writes to its summary
        sheet/table, and the chunk's tally."""
        out: list[dict] = []
        report_rows: list[dict] = []
        reports: list[str] = []
        totals = dict.fromkeys(LABELS, 0) if self.counted else {}
        for report, group in _groups(rows):
            reports.append(report)
            out += [self.paragraph_row(r) for r in group]
            if self.counted:  # a person's decision counts where there is one, as in tagger stats
                counts = {lab: sum(lab in final_labels(r) for r in group) for lab in LABELS}
                for lab in LABELS:
                    totals[lab] += counts[lab]
                summary = {"row_type": "report", "report": report, **{k: group[0].get(k) for k in self.keep},
                           "labels": [lab for lab in LABELS if counts[lab]], "n_paragraphs": len(group),
                           **{f"count_{lab}": counts[lab] for lab in LABELS}}
                (report_rows if self.fmt in ("xlsx", "sqlite") else out).append(summary)
        return out, report_rows, ChunkTally(list(dict.fromkeys(reports)), len(rows), totals)

    def header(self) -> str:
        """The text a file starts with (after any byte-order mark): CSV's header line, else nothing."""
        if self.fmt != "csv":
            return ""
        buf = io.StringIO(newline="")
        # header cells guarded like body cells: a kept column's name is whoever made the input's choice
        csv.writer(buf, lineterminator="\r\n").writerow([guard_cell(c) for c in self.columns])
        return buf.getvalue()

    def encode(self, rows: list[dict]) -> str:
        """Laid-out rows as the text of a line format (``jsonl``, ``csv``, ``table``)."""
        if self.fmt == "jsonl":
            return "".join(jsonl_line(row) for row in rows)
        if self.fmt == "csv":
            buf = io.StringIO(newline="")
            # CRLF rows (RFC 4180, as Excel writes them): a field holding a lone \r is then quoted too
            writer = csv.DictWriter(buf, fieldnames=self.columns, extrasaction="ignore",
                                    lineterminator="\r\n")
            for row in rows:
                # kept list/dict values as JSON text (after the row, which holds them raw)
                cells = guard_row({**row, **{k: _csv_cell(row.get(k)) for k in self.keep},
                                   "labels": ";".join(row.get("labels") or []),
                                   **({"evidence": _cell(row.get("evidence"))} if self.evidence else {}),
                                   **({"reviewed_labels": _decision_cell(row)} if self.reviewed else {})})
                if cells.get("reviewed_sha"):  # a hash of digits is a number to a spreadsheet: guarded
                    cells["reviewed_sha"] = guard_hash(cells["reviewed_sha"])
                writer.writerow(cells)
            return buf.getvalue()
        if self.fmt == "table":
            return "".join(_table_line(row) + "\n" for row in rows)
        raise ValueError(f"{self.fmt} is not a line format; use one of {LINE_FORMATS}")

    def encode_chunk(self, rows: list[dict]) -> EncodedRows:
        """A chunk's paragraph rows laid out and encoded (a line format's), with its tally."""
        out, _, tally = self.lay_out(rows)
        return EncodedRows(self.encode(out), tally, self.layout)

    @property
    def layout(self) -> tuple:
        """What decides the encoded text: format, columns and whether summary rows are written."""
        return (self.fmt, tuple(self.columns), self.summary, self.reviewed)


class Writer:
    """Writes paragraph rows (and summary rows) in one format to a stream (a connection for SQLite).

    ``keep`` are kept input columns, written after ``text``; ``bom`` starts a CSV with a UTF-8 byte-order
    mark so that Excel reads it as UTF-8. An ``.xlsx`` workbook has a ``paragraphs`` sheet (one 0/1 column
    per label plus the scores), a ``summary`` sheet (one row per report and the corpus total) and an ``about``
    sheet (who wrote it, and ``model``'s facts); SQLite output is described in :class:`SqliteTables`; a Parquet
    file holds ``model`` in its schema's key-value metadata (:func:`~tagger.model.persistence.output_facts`, key
    :data:`~tagger.model.persistence.PARQUET_KEY`), and each kept column in the type its values had
    (:class:`KeptTypes`): known only once every row is in, so the rows go to a scratch file first, unless every
    kept column is text from the first rows on, and are copied out with their types at :meth:`close`. The scratch
    file is made beside the output file ``scratch`` (:func:`~tagger.common.atomic.temp_path_beside`: a run
    killed meanwhile leaves nothing the next one does not remove), or in the system's temporary folder without
    one (a stream). A write that fails for want of room (a full disk) is an error naming ``scratch`` and what to
    do: one that says it was the scratch file, when the rows went to one, else the output itself.

    ``model``: the :func:`~tagger.model.persistence.provenance` record of the model that tagged the rows, which
    ``.xlsx``, ``.sqlite`` and ``.parquet`` outputs carry (the line formats have no place for it but in every row).
    """

    def __init__(self, fmt: str, stream, summary: bool = False, review: bool = False, keep: Sequence[str] = (),
                 evidence: bool = False, bom: bool = False, reviewed: bool = False, model: dict | None = None,
                 scratch: str | Path | None = None) -> None:
        self.fmt, self.stream, self.summary, self.review = fmt, stream, summary, review
        self.keep, self.evidence, self.reviewed, self.model = list(keep), evidence, reviewed, model
        self.encoder = RowEncoder(fmt, summary, review, keep, evidence, reviewed)
        self.totals = dict.fromkeys(LABELS, 0)
        self.reports: set[str] = set()
        self.n_paragraphs = 0
        self.left_out = 0  # input reports with nothing to tag, left out of the rows: set by the caller before close
        self._parquet = None
        self._kept_types = KeptTypes(self.keep)
        self._output_path = Path(scratch) if scratch is not None else None  # the scratch file is made beside it
        self._scratch: IO[bytes] | None = None
        self._scratch_path: Path | None = None  # only while it could not be unlinked as it was opened (Windows)
        # a CSV's byte-order mark and header go out with its first rows (or at close): a run that ends in an
        # error before any row, its rows streamed to stdout, has written nothing there
        self._head = ("\ufeff" if bom else "") + self.encoder.header() if fmt == "csv" else ""
        if fmt == "xlsx":
            self._xlsx = XlsxSheets(stream, self.keep, evidence, review, reviewed, model)
        elif fmt == "sqlite":
            self._sqlite = SqliteTables(stream, self.keep, evidence, review, reviewed, model)

    @property
    def line_encoder(self) -> RowEncoder | None:
        """This writer's :class:`RowEncoder` when its format is a line format (chunks can then be encoded
        where they are tagged and come as :class:`EncodedRows`), else ``None``."""
        return self.encoder if self.fmt in LINE_FORMATS else None

    def write(self, chunk: list[dict] | EncodedRows) -> None:
        """Write a chunk: its paragraph rows, or the same rows already encoded by :attr:`line_encoder`."""
        if isinstance(chunk, EncodedRows):
            if self.fmt not in LINE_FORMATS:
                raise ValueError(f"encoded rows cannot go to a {self.fmt} file")
            if chunk.layout != self.encoder.layout:
                raise ValueError("rows encoded with other settings (format, columns or summary rows) than this "
                                 "writer's; encode them with writer.line_encoder")
            self._count(chunk.tally)
            if chunk.text:
                self._write_text(chunk.text)
            return
        out, report_rows, tally = self.encoder.lay_out(chunk)
        self._count(tally)
        if report_rows:  # xlsx/sqlite: the summary sheet/table, written as its reports finish (memory stays flat)
            (self._xlsx if self.fmt == "xlsx" else self._sqlite).add_reports(report_rows)
        self._emit(out)

    def _write_text(self, text: str) -> None:
        """Write a line format's text, after the file's head (a CSV's header) the first time."""
        head, self._head = self._head, ""
        self.stream.write(head + text)

    def _count(self, tally: ChunkTally) -> None:
        if self.encoder.counted:
            self.reports.update(tally.reports)
            self.n_paragraphs += tally.paragraphs
            for lab, n in tally.counts.items():
                self.totals[lab] += n

    def close(self) -> None:
        corpus = {"row_type": "corpus", "report": "(all)", "n_paragraphs": self.n_paragraphs,
                  "labels": [lab for lab in LABELS if self.totals[lab]],
                  **{f"count_{lab}": self.totals[lab] for lab in LABELS}, "reports": len(self.reports),
                  "left_out": self.left_out}
        if self.fmt == "xlsx":
            self._xlsx.close(corpus)
            return
        if self.fmt == "sqlite":
            self._sqlite.close(self.left_out)
            return
        if self.summary:
            self._emit([corpus])
        if self._head:  # no rows: a CSV that is its header
            self._write_text("")
        if self.fmt == "parquet" and self._parquet is None:  # nothing tagged: still a valid (empty) file
            self._write_parquet([])
        if self._parquet is not None:
            with self._write_errors():
                self._parquet.close()
        if self._scratch is not None:
            self._copy_typed()

    def abort(self) -> None:
        """The output will not be committed (an error came first): release what the format holds open."""
        if self.fmt == "xlsx":
            self._xlsx.abort()
        if self._parquet is not None:  # else pyarrow's __del__ finishes the file later, on a closed stream, and
            parquet, self._parquet = self._parquet, None  # prints "Exception ignored ... write to closed file"
            with contextlib.suppress(Exception):  # the temp file is removed: its footer does not matter
                parquet.close()
            parquet.is_open = False  # even when close failed (a full disk): nothing left for __del__ to finish
        self._drop_scratch()

    def _open_scratch(self) -> IO[bytes]:
        """The scratch file of the rows (:class:`KeptTypes`): beside the output, named as the project's temp files
        are (a killed run's is removed by the next), unlinked as soon as it is open; in the system's temporary
        folder when there is no output file."""
        from ..common.atomic import temp_path_beside
        from ..common.signals import signals_held

        if self._output_path is None:
            return tempfile.TemporaryFile()  # noqa: SIM115 - closed by close/abort
        with self._write_errors(scratch=True), signals_held():  # guarded from the moment it exists, as atomic's
            path = temp_path_beside(self._output_path, ".scratch")  # temp files
            try:
                fh = open(path, "w+b")  # noqa: SIM115 - closed by close/abort
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            try:
                path.unlink()  # anonymous from now on: nothing is left whatever ends the run
            except OSError:  # an open file cannot be removed here: removed when closed
                self._scratch_path = path
        return fh

    def _drop_scratch(self) -> None:
        scratch, self._scratch = self._scratch, None
        if scratch is not None:
            scratch.close()
        if self._scratch_path is not None:
            with contextlib.suppress(OSError):
                self._scratch_path.unlink()
            self._scratch_path = None

    @contextlib.contextmanager
    def _write_errors(self, scratch: bool | None = None, copying: bool = False) -> Iterator[None]:
        """A failed write of the Parquet rows (an ``OSError`` that names no file: a full disk, a file system gone
        read-only, ...) as an error naming the output, whether it was the ``scratch`` file they went to first (by
        default: whether they go to one now), their copy from it into the output (``copying``: :meth:`_copy_typed`)
        or the output itself, and what to do for its cause (:func:`tagger.common.atomic.write_fix`); the room a
        scratch file needs is explained where room ran out. Without an output path (a stream) an error writing
        the stream is left as it is, for whoever opened the stream to name it."""
        from ..common.atomic import out_of_space, write_fix

        try:
            yield
        except OSError as exc:
            if exc.filename is not None:
                raise
            reason = exc.strerror or exc
            scratched = self._scratch is not None if scratch is None else scratch
            if self._output_path is None and (copying or not scratched):
                raise
            fix = write_fix(exc.errno, "write the output elsewhere")
            if not (copying or scratched):
                raise InputError(f"{self._output_path}: {reason} (writing the Parquet output); {fix}") from None
            if copying:
                where = f"{self._output_path}: {reason} (copying its rows into it from the scratch file beside it"
            elif self._output_path is not None:
                where = f"{self._output_path}: {reason} (writing its rows to a scratch file beside it first"
            else:
                where = f"{tempfile.gettempdir()}: {reason} (writing the rows to a scratch file there first"
            room = (": a Parquet output with kept columns of numbers or dates needs room for its rows twice while it "
                    "is written" if out_of_space(exc.errno) else "")
            raise InputError(f"{where}{room}); {fix}") from None

    def _emit(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self.fmt in LINE_FORMATS:
            self._write_text(self.encoder.encode(rows))
        elif self.fmt == "xlsx":
            self._xlsx.add(rows)
        elif self.fmt == "sqlite":
            self._sqlite.add(rows)
        else:
            self._write_parquet(rows)

    def _write_parquet(self, rows: list[dict]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # output_columns with their types; kept values as text: one schema for every chunk (_copy_typed types
        # them at the end); labels and decisions as JSONL holds them: a list of ids (empty: no label), null
        # where no one decided
        types = {"labels": pa.list_(pa.string()), "reviewed_labels": pa.list_(pa.string()),
                 "review": pa.bool_(), **dict.fromkeys([*SCORE_COLUMNS, "review_margin"], pa.float64()),
                 **dict.fromkeys(["n_paragraphs", *COUNT_COLUMNS, "reports", "review_rank", "left_out"],
                                 pa.int64())}
        fields = [(c, pa.string() if c in self.keep else types.get(c, pa.string()))
                  for c in self.encoder.columns]
        facts = json.dumps(output_facts(self.model), ensure_ascii=False)
        schema = pa.schema(fields, metadata={PARQUET_KEY: facts})
        text_cols = {*self.keep, "evidence"}
        if self.keep:  # the kept types choose whether there is a scratch file (first rows), then type its copy
            self._kept_types.see(rows)

        def value(row: dict, name: str) -> object:
            v = row.get(name)
            return KeptTypes.text_value(v) if name in text_cols else v

        table = pa.Table.from_pylist([{name: value(r, name) for name in schema.names} for r in rows], schema=schema)
        if self._parquet is None:
            if self.keep and rows and not self._kept_types.all_text:  # a kept column's type is known at the end
                self._scratch = self._open_scratch()
            with self._write_errors():
                self._parquet = pq.ParquetWriter(self._scratch or self.stream, schema)
        with self._write_errors():
            self._parquet.write_table(table)

    def _copy_typed(self) -> None:
        """Copy the rows written to the scratch file into the output, each kept column of one type in that type
        (:class:`KeptTypes`), row group by row group (memory stays flat); a full disk meanwhile is named by
        :meth:`_write_errors`, as while the rows were written."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        scratch = self._scratch
        try:
            with self._write_errors(copying=True):
                scratch.seek(0)
                types = self._kept_types.arrow_types()
                if not types:  # every kept column text after all (or no value): the file as it was written
                    shutil.copyfileobj(scratch, self.stream)
                    return
                schema = self._parquet.schema  # as written to the scratch file
                for name, kind in types.items():
                    schema = schema.set(schema.get_field_index(name), pa.field(name, kind))
                source = pq.ParquetFile(scratch)
                out = pq.ParquetWriter(self.stream, schema)
                try:
                    for group in range(source.num_row_groups):
                        table = source.read_row_group(group)
                        for name, kind in types.items():
                            at = table.schema.get_field_index(name)
                            values = [self._kept_types.typed_value(name, v) for v in table.column(at).to_pylist()]
                            table = table.set_column(at, pa.field(name, kind), pa.array(values, kind))
                        out.write_table(table)
                    out.close()
                finally:  # also after a failed write or close (a full disk): nothing left for pyarrow's __del__ to
                    out.is_open = False  # finish on the closed output (as abort does for the rows' writer)
        finally:
            self._drop_scratch()


class XlsxSheets:
    """An Excel workbook written row by row (openpyxl's write-only mode, so memory stays flat): the
    ``paragraphs`` sheet and the ``summary`` sheet are both open from the start, and each report's summary
    row is appended as the report is written.

    Text is stored as text, never as a formula (a cell starting with ``=`` stays text), and a kept value read
    from a date or time (:class:`~tagger.common.xlsx.DateText`) as a date cell; characters Excel cannot store
    (C0 controls) and a carriage return as Excel writes them, ``_xHHHH_``, a literal ``_xHHHH_`` with its ``_``
    escaped (``_x005F_``), so that the text reads back as written (:func:`~tagger.common.xlsx.safe_text`); a cell
    longer than Excel's 32,767 characters is cut with a warning naming the paragraph (use another format for full text), and ends with a note saying so
    (:func:`tagger.common.xlsx.cut_note`), by which the readers of the file know it is not whole.
    """

    FIXED_WIDTHS = {"text": 60, "evidence": 40}
    """Columns of long text get a given width in the ``paragraphs`` sheet (the others fit their values)."""

    def __init__(self, stream, keep: Sequence[str], evidence: bool, review: bool, reviewed: bool = False,
                 model: dict | None = None) -> None:
        try:
            import openpyxl
        except ImportError:
            raise UsageError("writing .xlsx needs openpyxl: pip install openpyxl") from None
        self.stream, self.keep, self.model = stream, frozenset(keep), model
        self._cut_said: set[tuple[str, str]] = set()  # (report, kept column) whose value's cut was said
        self.wb = openpyxl.Workbook(write_only=True)
        self.ws = self.wb.create_sheet("paragraphs")
        self.header = ["report", "paragraph", "kind", "text", *keep, "labels", *LABELS, *SCORE_COLUMNS]
        self.header += (["evidence"] if evidence else []) + (REVIEW_COLUMNS if review else [])
        self.header += list(REVIEW_FIELDS) if reviewed else []
        self.rows = 0  # the header is written with the first rows: their widths lay out the sheet
        self.summary = self.wb.create_sheet("summary")  # sheets are saved in the order they are made
        self.summary_header = ["row_type", "report", *keep, "n_paragraphs", *COUNT_COLUMNS, "reports",
                               "left_out"]
        self.summary_rows = 0

    def _value(self, ws, value: object, where: str | None, column: str | None = None):
        """A cell of ``ws`` for ``value``: a date cell for a kept date, a number (a whole one of 16+ digits as text:
        :func:`~tagger.common.xlsx.number_cell`), text never a formula. Text cut at Excel's cell limit is said
        naming ``where`` (``None``: not said), and, for a kept ``column`` (``None``: another one), the column
        and that a kept value was cut — once per report and column (the paragraphs and summary sheets hold the same
        value)."""
        from ..common.xlsx import KEPT_CUT, MAX_CELL, date_cell, number_cell, text_cell

        value = _cell(value)
        if isinstance(value, DateText):  # a kept value read from a date cell: a date cell again
            return date_cell(ws, value)
        if isinstance(value, (int, float)):  # a whole number of 16+ digits is text: Excel keeps 15 (a 19-digit id)
            return number_cell(ws, value)
        if not isinstance(value, str):
            return value
        if len(value) <= MAX_CELL // 7:  # too short to be cut (a character takes 7 units at most)
            return text_cell(ws, value)
        if column is None:
            return text_cell(ws, value, where)
        said = (where, column) in self._cut_said
        self._cut_said.add((where, column))
        return text_cell(ws, value, None if said else f"{where}: kept column {column!r}", KEPT_CUT)

    def _append(self, ws: Any, header: list[str], written: int, cells: list[list],
                fixed: dict[str, float] | None = None, limit: int | None = None) -> int:
        """Append ``cells`` under ``header`` to ``ws``, which holds ``written`` rows so far (none: first the
        header row, frozen, and columns as wide as it and the first rows need; ``fixed``: columns of a given
        width, such as text and evidence: paragraphs are long); returns the rows written. ``limit``: the
        sheet's most rows."""
        if not written:
            from ..common.xlsx import start_sheet, text_cell

            start_sheet(ws, header, [[getattr(c, "value", c) for c in r] for r in cells[:1000]], fixed=fixed)
            # a kept column's name ("=备注") is text, never a formula
            ws.append([text_cell(ws, name) for name in header])
            written = 1
        for values in cells:
            written += 1
            if limit is not None and written > limit:
                raise InputError(f"more than {limit - 1:,} paragraphs: too many for one Excel sheet; write "
                                 ".parquet, .sqlite, .csv or .jsonl instead")
            ws.append(values)
        return written

    def add(self, rows: list[dict]) -> None:
        """Append paragraph rows to the ``paragraphs`` sheet (labels as one cell and a 0/1 column each: the final
        labels, a person's decision where there is one, as the summary sheet counts them)."""
        cells = []
        for row in rows:
            final = final_labels(row)
            flat = {**row, "labels": ";".join(row["labels"]), **{lab: int(lab in final) for lab in LABELS},
                    "reviewed_labels": _decision_cell(row)}
            if row.get("reviewed_sha") is not None:  # the text as its cell reads back (cut at Excel's limit)
                flat["reviewed_sha"] = _decision_sha(row, cell_text(row["text"]))
            report = f"report {row['report']}"
            cells.append([self._value(self.ws, flat.get(col), report, col) if col in self.keep else
                          self._value(self.ws, flat.get(col), row["paragraph"]) for col in self.header])
        self.rows = self._append(self.ws, self.header, self.rows, cells, self.FIXED_WIDTHS, XLSX_MAX_ROWS)

    def add_reports(self, summary_rows: list[dict]) -> None:
        """Append rows to the ``summary`` sheet (a report's, or the corpus total)."""
        cells = []
        for row in summary_rows:
            report = f"report {row['report']}"
            cells.append([self._value(self.summary, row.get(col), report, col if col in self.keep else None)
                          for col in self.summary_header])
        self.summary_rows = self._append(self.summary, self.summary_header, self.summary_rows, cells)

    def close(self, corpus: dict) -> None:
        """Append the corpus total to the ``summary`` sheet, put a filter over both tables, add the ``about`` sheet
        (who wrote the workbook; the model's facts, one row each: :func:`~tagger.model.persistence.provenance_rows`)
        and save the workbook."""
        from .. import __version__
        from ..common.xlsx import finish_sheet, save_workbook, write_about_sheet
        from ..model.persistence import provenance_rows

        if not self.rows:
            self.rows = self._append(self.ws, self.header, 0, [], self.FIXED_WIDTHS)
        self.add_reports([corpus])
        finish_sheet(self.ws, len(self.header), self.rows)
        finish_sheet(self.summary, len(self.summary_header), self.summary_rows)
        about = [("written by", f"tagger {__version__} (tagger tag)")]
        about += provenance_rows(self.model) if self.model else [("model", "not recorded")]
        write_about_sheet(self.wb, about)
        save_workbook(self.wb, self.stream)

    def abort(self) -> None:
        """The workbook will not be saved (an error came first): close its sheets quietly."""
        from ..common.xlsx import discard_workbook

        discard_workbook(self.wb)


SQLITE_DERIVED = ("normalized_text",)
"""Columns of a ``.sqlite`` output's ``paragraphs`` table derived for SQL queries (not in the other formats):
listed in its ``tagger_meta`` (``derived_columns``), left out when the file is read back
(:func:`tagger.data.tagged.read_tagged`); a kept column of such a name is refused. A kept ``date`` column adds
:data:`DATE_MONTH`."""
DATE_COLUMN, DATE_MONTH = "date", "date_month"
"""A kept column ``date`` (the one tagger stats reads dates from unless told otherwise) gets ``date_month`` in
the ``.sqlite`` output's ``paragraphs`` and ``reports`` tables: the month stats counts the date in
(:func:`tagger.analysis.stats.month_of`), for SQL's ``GROUP BY``."""


def _ident(name: str) -> str:
    """A quoted SQL identifier (column names come from the input: data, never SQL)."""
    return '"' + name.replace('"', '""') + '"'


class SqliteTables:
    """A tagged corpus as SQLite tables with a full-text index that works on Chinese.

    Tables: ``paragraphs`` (one row per paragraph: ``id``, ``report``, ``paragraph``, ``kind``, ``text``,
    kept columns, ``labels`` as a ``;`` cell, ``score_<label>``, and ``evidence`` as JSON / review columns
    when written; ``reviewed_labels`` — a label cell, ``none`` for no label, NULL where no one decided —,
    ``reviewed_by``, ``reviewed_at`` and ``reviewed_sha`` — the hash of the text the decision was made on — when the
    output holds review decisions), ``paragraph_labels``
    (``paragraph_id``, ``label``: one row per final label — a person's decision where there is one, else the
    model's —, so that counts over it are ``tagger stats``' counts),
    ``labels`` (ids and names), ``reports`` (per report: kept columns, paragraph count, paragraphs per
    final label), ``tagger_meta`` (file facts as ``key``/``value`` text: ``tagger_version``, ``labels``,
    ``kept_columns``, ``derived_columns`` and ``model``, the JSON :func:`~tagger.model.persistence.provenance`
    record of the model that tagged it; no clock time: the same rows give the same bytes) and ``paragraphs_fts``, an
    FTS5 index over the text
    with the ``trigram`` tokenizer: ``MATCH`` finds any run of 3 or more characters; shorter words
    (``老人``) are found with ``LIKE '%老人%'``.

    ``paragraphs.normalized_text`` is the text as the model reads it (:func:`tagger.text.normalize.normalize`:
    simplified script, NFKC, white space made one space), indexed beside ``text``: a query written in simplified
    Chinese finds a paragraph written in either script (``MATCH '独居老人'`` finds ``獨居老人``). It is listed in
    ``tagger_meta`` as a derived column (:data:`SQLITE_DERIVED`), which readers of the file leave out; so is
    ``date_month`` (:data:`DATE_MONTH`), the month of a kept ``date`` column as tagger stats reads it
    (``2022/6/1`` and ``2022年6月`` are ``2022-06``), empty for an empty date and, with a warning naming the
    first, for a date stats does not read as a month.
    """

    def __init__(self, conn, keep: Sequence[str], evidence: bool, review: bool, reviewed: bool = False,
                 model: dict | None = None) -> None:
        self.conn, self.keep, self.model = conn, list(keep), model
        self.derived = [*SQLITE_DERIVED, *([DATE_MONTH] if DATE_COLUMN in self.keep else [])]
        taken = {c.lower() for c in ("id", "report", "paragraph", "kind", "text", "labels", *SCORE_COLUMNS,
                                     "evidence", *REVIEW_COLUMNS, *REVIEW_FIELDS, *self.derived)}
        clash = [c for c in self.keep if c.lower() in taken]
        clash += [c for n, c in enumerate(self.keep) if c.lower() in {k.lower() for k in self.keep[:n]}]
        if clash:
            raise UsageError(f"kept column(s) {clash} clash with SQLite columns or with each other (names are "
                             f"case-insensitive there); rename them in the input")
        month = [DATE_MONTH] if DATE_MONTH in self.derived else []
        self.columns = ["report", "paragraph", "kind", "text", "normalized_text", *self.keep, *month, "labels",
                        *SCORE_COLUMNS]
        self.columns += (["evidence"] if evidence else []) + (REVIEW_COLUMNS if review else [])
        self.columns += list(REVIEW_FIELDS) if reviewed else []
        types = {**dict.fromkeys(SCORE_COLUMNS, "REAL"), "review": "INTEGER", "review_rank": "INTEGER",
                 "review_margin": "REAL"}
        defs = ", ".join(f"{_ident(c)} {types.get(c, '' if c in self.keep else 'TEXT')}".rstrip()
                         for c in self.columns)
        conn.execute("PRAGMA journal_mode=OFF")  # the file is renamed into place when complete
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(f"CREATE TABLE paragraphs (id INTEGER PRIMARY KEY, {defs})")
        conn.execute("CREATE TABLE labels (label TEXT PRIMARY KEY, name TEXT NOT NULL)")
        conn.executemany("INSERT INTO labels VALUES (?, ?)", [(lab, LABEL_NAMES[lab]) for lab in LABELS])
        conn.execute("CREATE TABLE paragraph_labels (paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id), "
                     "label TEXT NOT NULL REFERENCES labels(label))")
        self._insert = (f"INSERT INTO paragraphs (id, {', '.join(map(_ident, self.columns))}) "
                        f"VALUES ({', '.join('?' * (len(self.columns) + 1))})")
        self.next_id = 1
        self.report_columns = ["report", *self.keep, *month, "n_paragraphs", *COUNT_COLUMNS]
        self._months: dict = {}  # date cell -> month, or the reason it has none
        self._no_month: list = [0, None]  # reports whose date gives no month, the first (report, cell, reason)
        self._offsets: Counter = Counter()  # reports whose date carries a UTC offset, by offset
        conn.execute(f"CREATE TABLE reports ({', '.join(_ident(c) for c in self.report_columns)})")
        self._insert_report = f"INSERT INTO reports VALUES ({', '.join('?' * len(self.report_columns))})"

    def add(self, rows: list[dict]) -> None:
        from ..text.normalize import normalize_many

        values, labels = [], []
        norms = normalize_many([row.get("text") if isinstance(row.get("text"), str) else "" for row in rows])
        for row, norm in zip(rows, norms):
            flat = {**row, "labels": ";".join(row["labels"]), "reviewed_labels": _decision_cell(row),
                    "normalized_text": norm}
            if DATE_MONTH in self.derived:
                flat[DATE_MONTH] = self._month(row)
            values.append((self.next_id, *(_sql_cell(flat.get(c)) for c in self.columns)))
            # the final labels, a person's decision where there is one: counts over paragraph_labels are tagger stats'
            labels += [(self.next_id, lab) for lab in final_labels(row)]
            self.next_id += 1
        self.conn.executemany(self._insert, values)
        self.conn.executemany("INSERT INTO paragraph_labels VALUES (?, ?)", labels)

    def add_reports(self, report_rows: list[dict]) -> None:
        """Insert rows into the ``reports`` table (one per report, as its paragraphs are written)."""
        month = DATE_MONTH in self.derived
        self.conn.executemany(self._insert_report,
                              [tuple(_sql_cell(self._month(r, count=r.get("row_type") == "report")
                                               if month and c == DATE_MONTH else r.get(c))
                                     for c in self.report_columns) for r in report_rows])

    def _month(self, row: dict, count: bool = False) -> str | None:
        """The ``date_month`` of a row's ``date`` (None: empty, or no month stats reads; ``count``: a report's
        row, counted for the warnings :meth:`close` gives: no month, a UTC offset)."""
        from ..analysis.stats import month_and_offset

        value = row.get(DATE_COLUMN)
        try:
            key = ("v", value) if value is None or isinstance(value, (str, int, float)) else ("r", repr(value))
            hash(key)
        except TypeError:
            key = ("r", repr(value))
        if key not in self._months:
            try:
                self._months[key] = month_and_offset(value, strict=True)
            except (ValueError, TypeError, OverflowError) as exc:
                self._months[key] = exc
        month = self._months[key]
        if isinstance(month, Exception):
            if count:
                self._no_month[0] += 1
                self._no_month[1] = self._no_month[1] or (row.get("report"), value, str(month))
            return None
        month, offset = month
        if count and offset is not None:
            self._offsets[offset] += 1
        return month

    def close(self, left_out: int = 0) -> None:
        """Index the tables, build the full-text index and ``tagger_meta`` (``left_out``: the input reports with nothing
        to tag, left out of the rows — the other formats' corpus row has them), and commit."""
        from .. import __version__

        if self._no_month[0]:  # the SQL month counts put them with the empty dates: said, never silent
            report, cell, why = self._no_month[1]
            log.warning("SQLite output: %s is empty for %d report(s) whose %s gives no month tagger stats reads "
                        "(the first: report %r, %s %s: %s); SQL's GROUP BY %s counts them with the reports without a "
                        "date, and tagger stats --by month stops at them: write dates as YYYY-MM-DD (2023-05-06)",
                        DATE_MONTH, self._no_month[0], DATE_COLUMN, report, DATE_COLUMN, quote_cell(cell), why,
                        DATE_MONTH)
        if self._offsets:  # counted at the clock time written, as tagger stats counts them: said, as stats says it
            from ..analysis.stats import offsets_note

            note = offsets_note(dict(self._offsets.most_common()), DATE_COLUMN, rows="reports")
            if note is not None:  # None: all Beijing time (+08:00), the local time already
                log.warning("SQLite output: %s: %s", DATE_MONTH, note)
        conn = self.conn
        conn.execute("CREATE INDEX paragraphs_report ON paragraphs(report)")
        conn.execute("CREATE INDEX paragraph_labels_label ON paragraph_labels(label, paragraph_id)")
        conn.execute("CREATE VIRTUAL TABLE paragraphs_fts USING fts5(text, normalized_text, content='paragraphs', "
                     "content_rowid='id', tokenize='trigram')")
        conn.execute("INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('rebuild')")
        conn.execute("CREATE TABLE tagger_meta (key TEXT PRIMARY KEY, value TEXT)")
        meta = [("tagger_version", __version__), ("labels", json.dumps(list(LABELS))),
                ("kept_columns", json.dumps(self.keep, ensure_ascii=False)),
                ("derived_columns", json.dumps(self.derived)),  # no clock time: the same rows, the same bytes
                ("left_out", str(left_out))]  # what the other formats' corpus row says (recorded_left_out reads it)
        if self.model:
            meta.append(("model", json.dumps(self.model, ensure_ascii=False)))
        conn.executemany("INSERT INTO tagger_meta VALUES (?, ?)", meta)
        conn.commit()


def _groups(rows: list[dict]) -> Iterator[tuple[str, list[dict]]]:
    """The rows of a chunk by input report, in input order: rows tagged here carry the input report
    they came from (:data:`INPUT_KEY`), so two reports given the same id keep their own rows and summary
    row wherever the chunks are cut.

    Example:
        >>> rows = [{"report": "a", "paragraph": p, INPUT_KEY: [0, n]} for p, n in (("a:0", 0), ("a:1", 1))]
        >>> [len(g) for _, g in _groups(rows)]
        [1, 1]
    """
    for (report, _), group in itertools.groupby(rows, key=lambda r: (r["report"], r.get(INPUT_KEY))):
        yield report, list(group)


class open_writer:  # noqa: N801 - used as a context manager, like open()
    """A :class:`Writer` on ``output`` (atomic: see :mod:`tagger.common.atomic`) or on stdout.

    A CSV file gets a UTF-8 byte-order mark (Excel needs it; stdout gets none). ``exclusive``: an output that
    does not exist yet is not replaced if another program writes it meanwhile (no ``--force``). ``model``: the
    :func:`~tagger.model.persistence.provenance` record of the model, which a ``.xlsx``, ``.sqlite`` or ``.parquet``
    file carries (:class:`Writer`)."""

    def __init__(self, fmt: str, output: str | None, summary: bool = False, review: bool = False,
                 keep: Sequence[str] = (), evidence: bool = False, exclusive: bool = False,
                 reviewed: bool = False, model: dict | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
        if fmt in FILE_ONLY and not output:
            raise UsageError(f"--format {fmt} needs --output FILE.{fmt}")
        self.fmt, self.output, self.summary, self.review = fmt, output, summary, review
        self.keep, self.evidence, self.exclusive, self.reviewed = list(keep), evidence, exclusive, reviewed
        self.model = model
        self._cm = None
        self._conn = None

    def __enter__(self) -> Writer:
        from ..common.atomic import atomic_path, atomic_write, write_target

        stream = sys.stdout
        if self.fmt == "sqlite":
            self._cm = atomic_path(self.output, "SQLite output", exclusive=self.exclusive, sqlite=True)
            tmp = self._cm.__enter__()
        elif self.output:
            binary = self.fmt in ("parquet", "xlsx")
            self._cm = atomic_write(self.output, "wb" if binary else "w", encoding=None if binary else "utf-8",
                                    newline=None if binary else "", exclusive=self.exclusive)
            stream = self._cm.__enter__()
        try:
            if self.fmt == "sqlite":
                stream = self._conn = sqlite3.connect(tmp)
            scratch = None  # a Parquet file's scratch file beside it (not on a device: -o /dev/stdout)
            target, streamed = write_target(self.output) if self.fmt == "parquet" and self.output else (None, True)
            if not streamed:
                scratch = target
            self.writer = Writer(self.fmt, stream, self.summary, self.review, self.keep, self.evidence,
                                 bom=self.fmt == "csv" and bool(self.output), reviewed=self.reviewed,
                                 model=self.model, scratch=scratch)
        except BaseException as exc:
            self._close_conn()
            if self._cm is not None:
                _advised(self._cm.__exit__, type(exc), exc, exc.__traceback__)
            raise
        return self.writer

    def _close_conn(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self.writer.close()
        except BaseException as err:
            exc_type, exc, tb = type(err), err, err.__traceback__
            raise
        finally:
            if exc_type is not None and getattr(self, "writer", None) is not None:
                self.writer.abort()
            self._close_conn()
            if self._cm is not None:
                _advised(self._cm.__exit__, exc_type, exc, tb)
            if isinstance(exc, sqlite3.Error):  # a full disk, an I/O error: named like any other write error
                raise InputError(f"{self.output}: cannot write the SQLite file ({exc})") from None
        return False


def _advised(close: Callable[..., object], *args: object) -> None:
    """``close(*args)`` (an atomic output's end), a failed write of the output it names (a full disk while CSV or
    JSONL rows were written or flushed) said with what to do for its cause, as a Parquet output's is
    (:func:`~tagger.common.atomic.write_fix`)."""
    from ..common.atomic import write_fix

    try:
        close(*args)
    except OSError as exc:
        if exc.filename is None or exc.filename2 is not None or exc.errno is None:  # a rename's: said as it is
            raise
        raise InputError(f"{exc.filename}: {exc.strerror or exc} (writing the output); "
                         f"{write_fix(exc.errno, 'write the output elsewhere')}") from None


# ----------------------------------------------------------------------------------- review queue
def review_budget(value: str) -> tuple[str, float]:
    """``"15%"`` or ``"0.15"`` (a share of the paragraphs) or ``"120"`` (a number of paragraphs).

    Example:
        >>> review_budget("15%"), review_budget("0.2"), review_budget("120")
        (('share', 0.15), ('share', 0.2), ('count', 120))
    """
    text = value.strip()
    try:
        if text.endswith("%"):
            share = float(text[:-1]) / 100
        elif "." in text:
            share = float(text)
        else:
            count = int(text)
            if count < 0:
                raise ValueError
            if count == 0:
                raise UsageError(f"--review {value!r} flags nothing, and tagger review then has no queue: give a "
                                 "share (15%) or a number of paragraphs (120)")
            return "count", count
    except ValueError:
        raise UsageError(f"--review {value!r}: give a share (15% or 0.15) or a number of paragraphs (120)") from None
    if not 0.0 < share <= 1.0:  # 0: a queue with nothing flagged, which tagger review refuses (bad-input test)
        count_hint = "; a number of paragraphs is a whole number (120)" if not text.endswith("%") else ""
        raise UsageError(f"--review {value!r}: a share must be above 0% and at most 100% (0 to 1){count_hint}")
    return "share", share


class ReviewQueue:
    """Collects every paragraph's uncertainty while rows stream past, then says which to review and in
    what order: the least certain share (or count) is flagged — never a heading or a caption, which carry no
    label, nor a paragraph a person decided already (a tagged file's decision, carried over) — and the queue shows
    whole stories —
    reports ordered by their least certain flagged paragraph, a report's flagged paragraphs in
    reading order, so a reviewer meets each paragraph beside its neighbours. A paragraph whose decision in a tagged
    file read back was set aside (made on another text: :data:`SET_ASIDE_KEY`) is flagged whatever the share, beyond
    it (``set_aside_count``)."""

    def __init__(self, thresholds, budget: tuple[str, float]) -> None:
        self.thresholds, self.budget = thresholds, budget
        self.margins: list[float] = []
        self.reports: list[str] = []
        self.reviewable: list[bool] = []  # headings and captions carry no label (codebook): never queued
        self.no_label_count = 0  # headings and captions taken
        self.decided_count = 0  # paragraphs a person decided (a tagged file read back), never queued again
        self.set_aside: list[int] = []  # rows whose decision was set aside (made on another text): always queued
        self.set_aside_count = 0  # of those, flagged beyond the share (ranks)
        self._inputs: dict[str, object] = {}  # report id -> the input report that has it

    def add(self, rows: list[dict]) -> None:
        """Take a chunk of tagged rows (in stream order).

        Raises:
            InputError: two input reports have the same id: their paragraph ids would repeat, and a
                review needs each paragraph once.
        """
        import numpy as np

        from ..model.uncertainty import margin

        if not rows:
            return
        for row in rows:
            first = self._inputs.setdefault(row["report"], row.get(INPUT_KEY))
            if first != row.get(INPUT_KEY):
                where = f"{row[INPUT_KEY][2]}: " if row.get(INPUT_KEY) else ""
                also = f" (first at {first[2]})" if first else ""
                raise InputError(f"{where}report id {row['report']!r} is given to two input reports{also}: their "
                                 "paragraph ids would repeat, and a review needs each paragraph once; give each "
                                 "report its own id (a table's --id-column; a text file's name, which is its id; a "
                                 "tagged file keeps the ids it holds) or tag without --review")
        scores = np.array([[r[c] for c in SCORE_COLUMNS] for r in rows], dtype=float)
        values = margin(scores, self.thresholds)
        for row, m in zip(rows, values.tolist()):
            row["review_margin"] = round(m, 4)
            self.margins.append(m)
            self.reports.append(row["report"])
            # headings and captions carry no label; a paragraph a person decided (a tagged file read back) is settled
            no_label = row.get("kind") in NO_LABEL_KINDS
            self.no_label_count += no_label
            self.decided_count += not no_label and row.get("reviewed_labels") is not None
            self.reviewable.append(not no_label and row.get("reviewed_labels") is None)
            if self.reviewable[-1] and row.get(SET_ASIDE_KEY):
                self.set_aside.append(len(self.margins) - 1)

    @property
    def reviewable_count(self) -> int:
        """How many of the rows taken can be flagged (not a heading or a caption, not decided already)."""
        return sum(self.reviewable)

    def ranks(self) -> dict[int, int]:
        """Row number (in stream order) → position in the review queue, from 1."""
        import numpy as np

        kind, amount = self.budget
        n = len(self.margins)  # a share is of every paragraph, as the review curves count it
        candidates = np.flatnonzero(np.asarray(self.reviewable, dtype=bool))
        # a share flags at least one paragraph when any can be: 0.5% of 11 rounded to none, and the queue it
        # suggested opening was refused ("no paragraph is flagged")
        k = min(len(candidates), max(1, int(round(amount * n))) if kind == "share" else int(amount))
        if kind == "count" and 2 * k > len(candidates) and amount < 50:  # "15" for 15 %? (50 or more: either way)
            log.warning("--review %d flags %d of the %d paragraphs that can be reviewed (a number is a count of "
                        "paragraphs; a share is written with %%, e.g. 15%%)", amount, k, len(candidates))
        order = np.argsort(np.asarray(self.margins)[candidates], kind="stable")
        chosen = candidates[order[:k]].tolist()
        beyond = sorted(set(self.set_aside) - set(chosen))  # a decision set aside: to be decided again, always
        self.set_aside_count = len(beyond)
        flagged = sorted([*chosen, *beyond], key=lambda i: self.margins[i])
        first_seen: dict[str, float] = {}
        for i in flagged:
            first_seen.setdefault(self.reports[i], self.margins[i])  # flagged is by margin: first = least certain
        report_order = {r: pos for pos, r in enumerate(first_seen)}
        order = sorted(flagged, key=lambda i: (report_order[self.reports[i]], i))
        return {i: rank for rank, i in enumerate(order, start=1)}
