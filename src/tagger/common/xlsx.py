"""Excel cells and workbooks: one rule for every ``.xlsx`` writer of the package.

Report text is data: a text cell is always stored as text (never a formula, even when it starts with
``=``), written as Excel writes it (:func:`safe_text`: a character XML cannot hold or keep — a C0 control but tab and
line feed, a carriage return — as its ``_xHHHH_`` escape, and the ``_`` of a literal ``_xHHHH_`` as ``_x005F_``) and
read back as Excel reads it (:func:`~tagger.common.files.open_workbook`), so that the text comes back as it was
written, also after Excel saved the workbook again; a cell longer than Excel's 32,767 characters is cut (Excel refuses to open longer ones) and ends with a note
saying so (:func:`cut_note`), by which whoever reads the text back knows it (:func:`is_cut`): a cut text is not
the report's paragraph, so ``labels export`` and ``review --export`` leave it out, ``labels import`` refuses it and
the review page says it is cut (counts, ``tagger stats``, need no whole text). The note is in the text itself, not in
a column of its own, so that it goes wherever the text goes: a spreadsheet that sorts the rows, drops or moves
columns, or saves the sheet as CSV keeps it, as does a cell copied into another file, and a person reading the
cell sees it. It is plain ASCII (a CSV saved in a Chinese Windows code page keeps it too). A workbook is
saved byte-identically from the same rows (:func:`save_workbook`: fixed zip time stamps and document
dates). openpyxl is imported only when a cell is made.

A workbook read as a table of reports is read from its first visible sheet (:func:`table_sheet`: a hidden
sheet before it, an old draft, is passed over with a warning); :func:`scan_sheet` finds what openpyxl's
read-only mode does not show of it: its merged cells, and whether it holds formulas. A date or time cell is
read as ISO 8601 text (:func:`date_text`); kept, it is marked as such (:class:`DateText`) and written as a
date cell again (:func:`date_cell`).

Example:
    >>> import openpyxl
    >>> ws = openpyxl.Workbook(write_only=True).create_sheet("s")
    >>> c = text_cell(ws, "=SUM(A1)\\x00")
    >>> c.value, c.data_type
    ('=SUM(A1)_x0000_', 's')
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import logging
import re
import shutil
import tempfile
import unicodedata
import zipfile
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO
from xml.etree.ElementTree import ParseError

from ..errors import InputError

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = ["text_cell", "safe_text", "KEPT_CUT", "discard_workbook", "save_workbook", "start_sheet", "finish_sheet",
           "display_width", "MAX_CELL", "cut_note", "is_cut", "CUT_ADVICE", "cut_left_out", "date_text",
           "table_sheet", "SheetScan", "scan_sheet", "DAMAGED_SHEET", "DateText", "date_cell", "MergedCells",
           "SheetFormulas", "ABOUT_SHEET", "TEXT_ESCAPES", "escapes_text", "write_about_sheet", "read_about_sheet",
           "number_cell", "EXCEL_DIGITS", "excel_length", "cell_text"]

log = logging.getLogger(__name__)


def date_text(value: object) -> str | None:
    """A date or time cell (a workbook's, a Parquet timestamp, pandas' ``Timestamp``) as ISO 8601 text: a datetime
    at midnight — a date typed into a spreadsheet — as its date alone; ``NaT`` as ``None``.

    Example:
        >>> import datetime as dt
        >>> date_text(dt.datetime(2024, 5, 10)), date_text(dt.datetime(2024, 5, 10, 9, 30)), date_text(dt.date(2024, 5, 1))
        ('2024-05-10', '2024-05-10T09:30:00', '2024-05-01')
    """
    import datetime as dt

    if str(value) == "NaT":
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time(0) and value.tzinfo is None:
        return value.date().isoformat()
    return value.isoformat()  # type: ignore[attr-defined]


class DateText(str):
    """The ISO 8601 text of an input's date or time value (:func:`date_text`: an ``.xlsx`` date cell, a
    Parquet date or timestamp) kept with ``--keep-columns``: text in the outputs without dates (JSONL, CSV,
    SQLite); an ``.xlsx`` workbook's writer makes it a date cell again (:func:`date_cell`), so that a
    spreadsheet's date filters and pivots see a date, and a Parquet file's a date or timestamp column when the
    column holds no other values. Text typed as a date (a CSV cell, a JSON
    string) is a plain ``str`` and stays text in a workbook too: the mark is where the value came from, not its
    look.

    Example:
        >>> import datetime as dt, json, pickle
        >>> d = DateText(date_text(dt.datetime(2024, 9, 12)))
        >>> json.dumps(d), type(pickle.loads(pickle.dumps(d))).__name__
        ('"2024-09-12"', 'DateText')
    """

    __slots__ = ()


DATE_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss", "time": "hh:mm:ss"}
"""The number formats of the cells :func:`date_cell` writes, by the kind of value."""


def date_cell(ws: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    """A write-only cell of ``ws`` holding the ISO 8601 text ``value`` (:class:`DateText`) as the date, date
    and time or time of day it was, in the number format :data:`DATE_FORMATS` gives it; as text
    (:func:`text_cell`) when Excel cannot hold it as a date: a time zone, a year before 1900, no ISO date.

    Example:
        >>> import openpyxl
        >>> ws = openpyxl.Workbook(write_only=True).create_sheet("s")
        >>> day, moment = date_cell(ws, "2024-09-12"), date_cell(ws, "2024-09-12T09:30:00")
        >>> day.value, day.number_format, moment.number_format
        (datetime.date(2024, 9, 12), 'yyyy-mm-dd', 'yyyy-mm-dd hh:mm:ss')
        >>> date_cell(ws, "2024-09-12T09:30:00+08:00").data_type, date_cell(ws, "0099-01-01").data_type
        ('s', 's')
    """
    import datetime as dt

    from openpyxl.cell import WriteOnlyCell

    kind = "datetime" if "T" in value else "time" if ":" in value else "date"
    try:
        when = getattr(dt, kind).fromisoformat(value)
    except ValueError:
        return text_cell(ws, value)
    if getattr(when, "tzinfo", None) is not None or getattr(when, "year", 1900) < 1900:
        return text_cell(ws, value)
    cell = WriteOnlyCell(ws, value=when)
    cell.number_format = DATE_FORMATS[kind]
    return cell


def table_sheet(wb: Workbook, name: str) -> ReadOnlyWorksheet:
    """The sheet of ``wb`` (a workbook :func:`tagger.common.files.open_workbook` opened) a table is read from:
    its first visible worksheet, the first tab a person sees in Excel. Hidden sheets before it (an old draft
    kept out of sight) are passed over with a warning naming them; a workbook whose every sheet is hidden (a
    script can write one) is read from its first, with a warning. ``name`` names the file in messages.

    Raises:
        InputError: the workbook has no worksheet (only chart sheets).
    """
    sheets = wb.worksheets
    if not sheets:
        raise InputError(f"{name}: the workbook has no worksheet (only charts); save the table of reports in "
                         "a worksheet, or as .csv")
    visible = next((ws for ws in sheets if ws.sheet_state == "visible"), None)
    if visible is None:
        log.warning("%s: %s, and no sheet is visible: read sheet %r", name, _hidden(sheets), sheets[0].title)
        return sheets[0]
    passed = sheets[:sheets.index(visible)]
    if passed:
        log.warning("%s: %s: read sheet %r, the first visible one (to read a hidden sheet instead, unhide it "
                    "and move it first)", name, _hidden(passed), visible.title)
    return visible


def _hidden(sheets: Sequence) -> str:
    """``sheet 'a' is hidden`` or ``sheets 'a', 'b' are hidden``."""
    titles = ", ".join(repr(ws.title) for ws in sheets)
    return f"sheet {titles} is hidden" if len(sheets) == 1 else f"sheets {titles} are hidden"



@dataclass(frozen=True)
class SheetScan:
    """What :func:`scan_sheet` found in a sheet's XML: its merged ranges, as ``(min_col, min_row, max_col,
    max_row)`` (from 1, as Excel counts) with their references (``C3:C5``), and whether it may hold a
    formula."""

    merged: tuple[tuple[tuple[int, int, int, int], str], ...] = ()
    formulas: bool = True
    formula_columns: frozenset[int] | None = None  # the columns (from 0) whose cells hold one; None: not known

    def may_hold_formula(self, column: int) -> bool:
        """Whether a cell of ``column`` (from 0) may hold a formula: only those are looked up in the sheet's
        formulas (a second read of the whole sheet), so an empty kept cell beside a computed column costs nothing.

        Example:
            >>> SheetScan(formulas=True, formula_columns=frozenset({4})).may_hold_formula(2)
            False
        """
        return self.formulas and (self.formula_columns is None or column in self.formula_columns)


DAMAGED_SHEET = (ParseError, zipfile.BadZipFile, zlib.error, EOFError)
"""What reading a damaged sheet raises (its XML cut short or garbled, its compressed bytes broken), in
openpyxl's rows or :func:`scan_sheet`."""
_MERGE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell[\s/>]")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
# a cell whose first child is its formula, as Excel, LibreOffice and openpyxl write it: <c r="E12" …><f>…
_CELL_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\br=\"([A-Z]{1,3})[0-9]+\"[^>]*>\s*"
                           rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")


def _column_index(letters: bytes) -> int:
    """``b"A"`` → 0, ``b"AB"`` → 27: a column's letters as its index from 0."""
    from openpyxl.utils.cell import column_index_from_string

    return column_index_from_string(letters.decode("ascii")) - 1


def scan_sheet(path: str | Path, ws: ReadOnlyWorksheet) -> SheetScan:
    """The merged ranges of the read-only sheet ``ws`` of the workbook at ``path``, and whether it may hold a
    formula: openpyxl's read-only mode, which keeps a sheet of 60,000 rows out of memory, reads neither. The
    sheet's XML is read in 1 MiB pieces and searched for the tags of a merged range and of a formula, and for the
    columns of the cells that hold one (cell
    text cannot hold them: its ``<`` is written ``&lt;``); only when a ``mergeCell`` tag is there is the XML
    parsed, row by row, for the ranges (a sheet of 60,000 rows: about 0.1 s to search, 1 s to parse). A sheet
    whose XML cannot be found is taken to hold formulas and no merged range.

    Example:
        >>> import openpyxl, tempfile, os
        >>> wb = openpyxl.Workbook()
        >>> wb.active.append(["id", "company"]); wb.active.merge_cells("B2:B4")
        >>> path = os.path.join(tempfile.mkdtemp(), "m.xlsx"); wb.save(path)
        >>> book = openpyxl.load_workbook(path, read_only=True)
        >>> scan_sheet(path, book.worksheets[0])
        SheetScan(merged=(((2, 2, 2, 4), 'B2:B4'),), formulas=False, formula_columns=frozenset())
        >>> book.close()
    """
    part = getattr(ws, "_worksheet_path", None)  # where openpyxl's read-only sheet reads its XML
    merged = formulas = False
    columns: set[int] = set()
    try:
        with zipfile.ZipFile(path) as zf:
            with zf.open(part) as fh:
                tail = b""
                while piece := fh.read(1 << 20):
                    window = tail + piece  # a tag cut between two pieces is whole in the window
                    merged = merged or _MERGE_TAG.search(window) is not None
                    if _FORMULA_TAG.search(window) is not None:
                        formulas = True
                        columns.update(_column_index(m[1]) for m in _CELL_FORMULA.finditer(window))
                    tail = window[-256:]
            # a formula in a layout not recognised: any column may hold one
            known = frozenset(columns) if columns or not formulas else None
            if not merged:
                return SheetScan((), formulas, known)
            with zf.open(part) as fh:
                return SheetScan(tuple(_merged_refs(fh)), formulas, known)
    except (KeyError, TypeError, OSError, zipfile.BadZipFile):  # no such part: openpyxl read it elsewhere
        return SheetScan()


def _merged_refs(fh: IO[bytes]) -> Iterator[tuple[tuple[int, int, int, int], str]]:
    """The ``ref`` of each ``mergeCell`` element of a sheet's XML, as bounds and text; the rows are dropped as
    they are parsed (memory stays flat)."""
    import xml.etree.ElementTree as ET

    from openpyxl.utils.cell import range_boundaries

    parents: list = []
    for event, elem in ET.iterparse(fh, events=("start", "end")):
        name = elem.tag.rpartition("}")[2]
        if event == "start":
            parents.append(elem)
            continue
        parents.pop()
        if name == "row" and parents:
            parents[-1].remove(elem)  # its only child: the rows before it went the same way
        elif name == "mergeCell":
            ref = (elem.get("ref") or "").strip().upper()
            try:
                bounds = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
            except (ValueError, TypeError):
                continue
            if None not in bounds:
                yield bounds, ref


MAX_CELL = 32_767
"""Characters in one Excel cell."""
_OOXML_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
"""What a cell's text holds that :func:`safe_text` writes as an ``_xHHHH_`` escape (ECMA-376's ST_Xstring, as Excel
writes it): a character XML 1.0 cannot hold (C0 controls but tab and line feed; a UTF-16 half, U+FFFE, U+FFFF),
a carriage return (XML reads ``\\r\\n`` and a lone ``\\r`` as ``\\n``: Excel writes ``_x000D_``), and the ``_`` that
starts a literal ``_xHHHH_`` (``_x005F_``: else it is read as an escape, by Excel and by
:func:`~tagger.common.files.excel_unescape`)."""
_NOTE = (f" [cut by tagger at the Excel cell limit of {MAX_CELL:,} characters: the text has {{}} in all; "
         "write .jsonl, .csv, .parquet or .sqlite for the whole text]")
_NOTE_AT_END = re.compile(re.escape(_NOTE).replace(r"\{\}", r"[0-9][0-9,]*") + r"\Z")
_NOTE_TAIL = len(_NOTE) + 100  # how much of a cell's end holds the note, its count and white space after it
CUT_ADVICE = "tag the report to .jsonl, .csv, .parquet or .sqlite, which keep the whole text, and label it from there"
"""What to do about a paragraph :func:`is_cut` finds, for messages."""


def cut_left_out(places: Sequence[str], what: str = "paragraph(s)") -> str:
    """The warning of an export that left out paragraphs :func:`is_cut` found (``places``: file:line (id) of each).

    Example:
        >>> cut_left_out(["t.csv:4 (r1:2)"]).split(":")[0]
        'left out 1 paragraph(s) whose text an .xlsx output cut at the Excel cell limit of 32,767 characters (labelled, a cut text would be wrong training data)'
    """
    shown = ", ".join(places[:5]) + (", …" if len(places) > 5 else "")
    return (f"left out {len(places)} {what} whose text an .xlsx output cut at the Excel cell limit of {MAX_CELL:,} "
            f"characters (labelled, a cut text would be wrong training data): {shown}; to label such a paragraph, "
            f"{CUT_ADVICE}")


def cut_note(total: int) -> str:
    """The note that ends a cell :func:`safe_text` cut: ``total`` is the length of the whole text, as written in the
    report, in Excel's units (:func:`excel_length`).

    Example:
        >>> cut_note(40_012).split(": ")[1]
        'the text has 40,012 in all; write .jsonl, .csv, .parquet or .sqlite for the whole text]'
        >>> is_cut("甲" * 10 + cut_note(40_012)), is_cut(cut_note(40_012) + "。")
        (True, False)
    """
    return _NOTE.format(f"{total:,}")


def is_cut(text: object) -> bool:
    """Whether ``text`` (a cell read back from a tagged file, whatever program saved it since) ends with the
    :func:`cut_note` of a cut cell, white space after it aside: its paragraph is not whole.

    Example:
        >>> is_cut(safe_text("长" * 40_000)), is_cut("长" * 40_000), is_cut(None)
        (True, False, False)
    """
    return isinstance(text, str) and _NOTE_AT_END.search(text[-_NOTE_TAIL:].rstrip()) is not None


def _escaped(value: str) -> str:
    """``value`` as a cell's XML holds it: each character :data:`_OOXML_ESCAPED` finds as ``_xHHHH_``.

    Example:
        >>> _escaped("a\\x01b\\r\\n_x0041_ a_b")
        'a_x0001_b_x000D_\\n_x005F_x0041_ a_b'
    """
    return _OOXML_ESCAPED.sub(lambda m: f"_x{ord(m[0]):04X}_", value)


def excel_length(text: str) -> int:
    """The length of ``text`` as Excel counts it (its ``LEN``, its cell limit :data:`MAX_CELL`): UTF-16 code units, so
    a character beyond the Basic Multilingual Plane (𠀀, an emoji) counts two.

    Example:
        >>> excel_length("老人"), excel_length("𠀀"), len("𠀀")
        (2, 2, 1)
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


KEPT_CUT = ("a kept value, not the paragraph's text: its labels, labels export and review --export are unaffected; "
            "use .jsonl, .csv, .parquet or .sqlite for the whole value")
"""What the warning of a kept column's value :func:`safe_text` cut says (``what=KEPT_CUT``)."""
_TEXT_CUT = ("use .jsonl, .csv, .parquet or .sqlite for full text; labels export and review --export leave a cut "
             "paragraph out")


def cell_text(value: str, where: str | None = None, what: str = _TEXT_CUT) -> str:
    """The text of the cell :func:`text_cell` writes for ``value``, as a reader of the workbook (Excel, this package)
    gets it back: ``value`` itself, or, when it is longer than :data:`MAX_CELL` (in Excel's units,
    :func:`excel_length`) as written, its escapes seven each (:func:`safe_text`: Excel reads them as one
    character, but its limit is kept however it is counted), cut at a whole character (never inside a character of
    two units) so that the text and its :func:`cut_note`, which gives the length of ``value`` itself, fit the cell
    (with a warning naming ``where`` when given, and saying ``what`` of it: by default that a paragraph's text was
    cut; :data:`KEPT_CUT` for a kept column's value).

    Example:
        >>> cell = cell_text("长" * 40_000)
        >>> len(cell), cell.endswith(cut_note(40_000))
        (32767, True)
        >>> cell = cell_text("𠀀" * 32_000)  # 64,000 units: cut, though 32,000 characters
        >>> excel_length(cell), cell.endswith(cut_note(64_000))
        (32767, True)
        >>> cell_text("a\\x01\\r\\n_x0041_")
        'a\\x01\\r\\n_x0041_'
    """
    return _cell(value, where, what)[0]


def _cell(value: str, where: str | None, what: str) -> tuple[str, str | None]:
    """:func:`cell_text` of ``value``, and that text escaped as :func:`safe_text` writes it where measuring
    ``value`` escaped it already (a long text that fits), else ``None`` (not escaped here)."""
    if len(value) <= MAX_CELL // 7:  # a character takes 7 units at most: it fits
        return value, None
    escaped = _escaped(value)
    if excel_length(escaped) <= MAX_CELL:
        return value, escaped
    if where is not None:
        log.warning("%s: cut to Excel's %d characters per cell in the .xlsx, with a note at its end saying so "
                    "(%s)", where, MAX_CELL, what)
    note = cut_note(excel_length(value))
    # every character takes a unit or more: what is kept lies in the first MAX_CELL (a long text is not walked whole)
    head = value[:MAX_CELL]
    escapes = {m.start() for m in _OOXML_ESCAPED.finditer(head)}
    ends = list(itertools.accumulate(7 if i in escapes else 2 if ord(ch) > 0xFFFF else 1 for i, ch in enumerate(head)))
    keep = bisect.bisect_right(ends, MAX_CELL - len(note))
    return value[:keep] + note, None


def safe_text(value: str, where: str | None = None, what: str = _TEXT_CUT) -> str:
    """``value`` as an ``.xlsx`` cell stores it: its :func:`cell_text` (cut to Excel's cell size, with a note), each
    character XML cannot hold or keep (a control character, a carriage return) written as Excel writes it,
    ``_xHHHH_``, and the ``_`` of a literal ``_xHHHH_`` as ``_x005F_`` (:data:`_OOXML_ESCAPED`), so that Excel and
    :func:`~tagger.common.files.open_workbook` read the text back as it was (``\\x01`` was written as the text
    ``\\x01``; ``\\r`` read back as ``\\n``; a literal ``_x0041_`` became ``A`` once Excel saved the workbook).

    Example:
        >>> safe_text("暖心服务\\r\\n\\x01_x000D_")
        '暖心服务_x000D_\\n_x0001__x005F_x000D_'
        >>> from tagger.common.files import excel_unescape
        >>> excel_unescape(safe_text("暖心服务\\r\\n\\x01_x000D_")) == "暖心服务\\r\\n\\x01_x000D_"
        True
    """
    text, escaped = _cell(value, where, what)
    return _escaped(text) if escaped is None else escaped


def text_cell(ws: WriteOnlyWorksheet, value: str, where: str | None = None, what: str = _TEXT_CUT) -> WriteOnlyCell:
    """A write-only cell of ``ws`` holding ``value`` as text (see :func:`safe_text`), never a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=safe_text(value, where, what))
    cell.data_type = "s"
    return cell


EXCEL_DIGITS = 15
"""Significant digits Excel keeps of a number (more are rounded away on reading and on saving)."""


def number_cell(ws: WriteOnlyWorksheet, value: int | float) -> WriteOnlyCell | int | float:
    """A whole number as an ``.xlsx`` keeps it exactly: one of more than :data:`EXCEL_DIGITS` digits (an id of 19
    digits; openpyxl would write ``1.730000000123457e+18`` and Excel keep 15 digits) is a text cell of its digits; one
    of 12 to 15 digits is a number shown with every digit (number format ``0``: the General format shows
    ``2.02405E+13``, and a CSV Excel saves keeps only that). Anything else as it is: a float stays a number (Excel
    sums it; ``0.30000000000000004`` comes back as ``0.3``, as Excel itself would keep it).

    Example:
        >>> import openpyxl
        >>> ws = openpyxl.Workbook(write_only=True).create_sheet()
        >>> [getattr(c, "value", c) for c in (number_cell(ws, 1730000000123456789), number_cell(ws, 7),
        ...                                   number_cell(ws, 0.1 + 0.2), number_cell(ws, 1.5))]
        ['1730000000123456789', 7, 0.30000000000000004, 1.5]
    """
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, bool) or not isinstance(value, int):
        return value
    if abs(value) >= 10 ** EXCEL_DIGITS:
        return text_cell(ws, str(value))
    if abs(value) >= 10 ** 11:
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "0"
        return cell
    return value


MIN_WIDTH, MAX_WIDTH = 8, 60
"""Narrowest and widest column :func:`start_sheet` sets (in Excel's character widths)."""


def display_width(value: object) -> int:
    """Character widths a spreadsheet gives ``value`` in its default font: CJK characters take two.

    Example:
        >>> display_width("国网"), display_width("label"), display_width(0.25)
        (4, 5, 4)
    """
    text = value if isinstance(value, str) else "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def start_sheet(ws: WriteOnlyWorksheet, header: Sequence[str], samples: Iterable[Sequence] = (), fixed: dict[str, float] | None = None
                ) -> None:
    """Lay out the write-only sheet ``ws`` before its first row is written (openpyxl writes the layout at the
    top of the sheet): the header row frozen, so it stays in view while scrolling, and each column as wide as
    its header and the ``samples`` rows need (CJK characters count twice), between :data:`MIN_WIDTH` and
    :data:`MAX_WIDTH`; ``fixed`` names columns whose width is given (a column of long text).

    Example:
        >>> import openpyxl
        >>> ws = openpyxl.Workbook(write_only=True).create_sheet("s")
        >>> start_sheet(ws, ["company", "n"], [["国网江北供电公司", 3]], fixed={"n": 6})
        >>> ws.freeze_panes, ws.column_dimensions["A"].width, ws.column_dimensions["B"].width
        ('A2', 18.0, 6.0)
    """
    from openpyxl.utils import get_column_letter

    widths = [display_width(h) for h in header]
    for row in samples:
        for i, value in enumerate(row[:len(widths)]):
            widths[i] = max(widths[i], display_width(value))
    fixed = fixed or {}
    for i, (name, width) in enumerate(zip(header, widths), 1):
        ws.column_dimensions[get_column_letter(i)].width = fixed.get(name, min(MAX_WIDTH, max(MIN_WIDTH, width + 2)))
    ws.freeze_panes = "A2"


ABOUT_SHEET = "about"
"""The sheet of key/value rows saying what a workbook holds and who wrote it (``tagger stats``: what was counted;
``tagger tag``: the model that tagged the rows)."""


TEXT_ESCAPES = ("text escapes", "_xHHHH_ (as Excel writes them)")
"""The row of the :data:`ABOUT_SHEET` (key, value) saying that the workbook's text cells are written as Excel writes
them (:func:`safe_text`: a control character or carriage return as its ``_xHHHH_`` escape, the ``_`` of a literal
``_xHHHH_`` as ``_x005F_``), its inline strings too. A workbook an earlier tagger wrote lacks it: its inline
strings hold their text as it is (a literal ``_x0041_`` is that text), and are read so
(:func:`~tagger.common.files.open_workbook`)."""


def escapes_text(path: str | Path | IO[bytes]) -> bool:
    """Whether the workbook ``path`` says that its inline strings are written escaped (:data:`TEXT_ESCAPES` in its
    :data:`ABOUT_SHEET`, which every workbook this package writes has); ``False`` for any other workbook, and for a
    file that is no readable workbook (whose reader says why).

    Example:
        >>> import io, openpyxl
        >>> wb = openpyxl.Workbook(write_only=True)
        >>> write_about_sheet(wb, [("source", "x.csv")])
        >>> buf = io.BytesIO()
        >>> wb.save(buf)
        >>> escapes_text(buf), escapes_text(io.BytesIO(b"not a workbook"))
        (True, False)
    """
    try:
        rows = read_about_sheet(path)
    except (OSError, zipfile.BadZipFile, KeyError, ParseError, StopIteration, ValueError):
        return False
    return any(tuple(row) == TEXT_ESCAPES for row in rows or ())


def write_about_sheet(wb: Workbook, rows: Sequence[tuple[str, object]], where: str = "the about sheet") -> None:
    """Add the :data:`ABOUT_SHEET` of the write-only workbook ``wb``: one row per ``(key, value)``, keys and text
    values as text cells (:func:`text_cell`: a file name such as ``=x.csv`` is never a formula), numbers and
    flags as they are, ``None`` as an empty cell, then :data:`TEXT_ESCAPES` (how the workbook's text is written:
    :func:`escapes_text`). :func:`read_about_sheet` reads them back.

    Example:
        >>> import openpyxl
        >>> wb = openpyxl.Workbook(write_only=True)
        >>> write_about_sheet(wb, [("source", "=x.csv"), ("paragraphs", 3)])
        >>> wb.sheetnames
        ['about']
        >>> discard_workbook(wb)  # not saved here: its sheets closed quietly
    """
    ws = wb.create_sheet(ABOUT_SHEET)
    rows = [*rows, TEXT_ESCAPES]
    start_sheet(ws, ["", ""], rows)
    for key, value in rows:
        if value is not None and not isinstance(value, (bool, int, float)):
            value = text_cell(ws, str(value), where)
        ws.append([text_cell(ws, key, where), value])


_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def read_about_sheet(path: str | Path, max_rows: int = 200) -> list[tuple[object, object]] | None:
    """The ``(key, value)`` rows (the first two cells of each of its first ``max_rows`` rows) of the
    :data:`ABOUT_SHEET` of the workbook ``path``, or ``None`` when it has none. Only that sheet's part of the zip is
    read — not the workbook: openpyxl, even read-only, scans every sheet whole when it opens one (its size), which
    on a workbook of 100,000 paragraphs takes seconds. Values as openpyxl gives them: text (inline, shared or a
    formula's saved result, as Excel shows it: :func:`~tagger.common.files.excel_unescape`), whole numbers as
    ``int``, others as ``float``, flags as ``bool``, an empty cell as ``None``.

    Raises:
        OSError, zipfile.BadZipFile, KeyError, xml.etree.ElementTree.ParseError: not a readable workbook.

    Example:
        >>> import openpyxl, tempfile, os
        >>> wb = openpyxl.Workbook(write_only=True)
        >>> write_about_sheet(wb, [("model_file", "=m.npz"), ("thresholds.elderly_care", 0.4), ("encoder", None)])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     wb.save(os.path.join(d, "a.xlsx"))
        ...     rows = read_about_sheet(os.path.join(d, "a.xlsx"))
        >>> rows[:3], rows[3] == TEXT_ESCAPES
        ([('model_file', '=m.npz'), ('thresholds.elderly_care', 0.4), ('encoder', None)], True)
    """
    import posixpath
    from xml.etree.ElementTree import fromstring, iterparse

    from .files import excel_unescape

    def text_of(node) -> str:  # an inline or shared string: its text, or its runs' (not its phonetic guide)
        return "".join(t.text or "" for t in [*node.findall(f"{_MAIN_NS}t"), *node.findall(f"{_MAIN_NS}r/{_MAIN_NS}t")])

    with zipfile.ZipFile(path) as zf:
        book = fromstring(zf.read("xl/workbook.xml"))
        rid = next((sheet.get(_REL_ID) for sheet in book.iter(f"{_MAIN_NS}sheet")
                    if sheet.get("name") == ABOUT_SHEET), None)
        if rid is None:
            return None
        rels = fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in rels.iter(_PACKAGE_RELS) if r.get("Id") == rid)
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        rows: list[list[tuple[str | None, object]]] = []  # per row: (type, raw value) of columns A and B
        with zf.open(part) as fh:
            for _, node in iterparse(fh):
                if node.tag != f"{_MAIN_NS}row":
                    continue
                cells: list[tuple[str | None, object]] = [("", None), ("", None)]
                for i, c in enumerate(node.iter(f"{_MAIN_NS}c")):
                    ref = c.get("r") or ""
                    col = ord(ref[0]) - ord("A") if ref[:1].isalpha() and not ref[1:2].isalpha() else i
                    if col > 1:
                        continue
                    kind = c.get("t", "n")
                    v = c.find(f"{_MAIN_NS}v")
                    if kind == "inlineStr":
                        found = c.find(f"{_MAIN_NS}is")
                        cells[col] = ("str", None if found is None else text_of(found))
                    else:
                        cells[col] = (kind, None if v is None else v.text)
                rows.append(cells)
                node.clear()
                if len(rows) >= max_rows:
                    break
        wanted = {int(raw) for row in rows for kind, raw in row if kind == "s" and raw is not None}
        shared: dict[int, str] = {}
        if wanted:  # a workbook saved again by Excel keeps its text in the shared strings: only those needed
            with zf.open("xl/sharedStrings.xml") as fh:
                n = 0
                for _, node in iterparse(fh):
                    if node.tag == f"{_MAIN_NS}si":
                        if n in wanted:
                            shared[n] = text_of(node)
                        n += 1
                        node.clear()
                        if n > max(wanted):
                            break

    def value(kind: str | None, raw: object) -> object:
        if raw is None:
            return None
        if kind == "s":
            raw = shared.get(int(raw))
            return None if raw is None else excel_unescape(raw)
        if kind in ("str", "inlineStr"):
            return excel_unescape(raw)
        if kind == "b":
            return raw == "1"
        if kind == "e":
            return raw
        return float(raw) if any(ch in raw for ch in ".eE") else int(raw)

    return [(value(*row[0]), value(*row[1])) for row in rows]


def finish_sheet(ws: WriteOnlyWorksheet, columns: int, rows: int) -> None:
    """After the last row of ``ws`` (``rows`` of them, the header included): an autofilter over the table, so
    the spreadsheet shows its filter buttons on the header row (openpyxl writes it at the sheet's end)."""
    from openpyxl.utils import get_column_letter

    if columns > 0:
        ws.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(rows, 1)}"


_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the zip format's first date: no clock time in an output file
_DOC_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def save_workbook(wb: Workbook, fh: BinaryIO) -> None:
    """Save ``wb`` into the binary stream ``fh`` so that the same rows give the same bytes: openpyxl stamps
    the zip entries and the document's created/modified dates with the clock; both are fixed here (at
    1980-01-01, the zip format's first date), so a tagged corpus can be compared with ``cmp`` or kept
    under version control like every other output.

    Example:
        >>> import io, openpyxl
        >>> def saved():
        ...     wb = openpyxl.Workbook(write_only=True)
        ...     wb.create_sheet("s").append(["a", 1])
        ...     buf = io.BytesIO()
        ...     save_workbook(wb, buf)
        ...     return buf.getvalue()
        >>> saved() == saved()
        True
    """
    with tempfile.TemporaryFile() as raw:  # on disk: a workbook of a million rows never sits in memory
        wb.save(raw)
        raw.seek(0)
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
                fixed.compress_type, fixed.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
                if info.filename == "docProps/core.xml":  # a few hundred bytes
                    out.writestr(fixed, _DOC_DATES.sub(rb"\g<1>1980-01-01T00:00:00Z\g<2>", src.read(info)))
                    continue
                with src.open(info) as part, out.open(fixed, "w", force_zip64=True) as dest:
                    shutil.copyfileobj(part, dest, 1 << 20)


def discard_workbook(wb: Workbook) -> None:
    """Close the sheets of a write-only workbook that will not be saved (an error came first), quietly:
    otherwise openpyxl finishes their half-written streams when they are garbage-collected and prints
    an ``Exception ignored`` traceback long after the error was reported."""
    for ws in wb.worksheets:
        with contextlib.suppress(Exception):
            ws.close()
        writer = getattr(ws, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
            with contextlib.suppress(Exception):
                writer.cleanup()  # its temp file


class MergedCells:
    """The merged ranges of a sheet (:func:`~tagger.common.xlsx.scan_sheet`) over the columns read (from 0),
    followed row by row (:meth:`see` each row in order, blank ones too): whether a cell lies inside a range
    (its first cell aside), and the value of the range's first cell, which Excel shows over the whole range.
    Memory: a few numbers per range, however many rows a range spans."""

    def __init__(self, ranges: Iterable[tuple[tuple[int, int, int, int], str]],
                 columns: Iterable[int]) -> None:
        ranges = sorted(ranges, key=lambda r: r[0][1])  # by first row
        self._ranges = {k: deque(r for r in ranges if r[0][0] <= k + 1 <= r[0][2]) for k in columns}
        self._first: dict[str, object] = {}  # the value of the first cell of each range begun, by reference

    def note(self, name: str, kept: dict[str, int], level: int = logging.INFO, what: str = "kept column(s)") -> None:
        """Say (at ``level``) which ranges give the ``kept`` columns (name: column; ``what`` they are) the value of
        their first cell in other rows."""
        refs: dict[str, None] = {}
        columns: dict[str, None] = {}
        for col, k in kept.items():
            for (min_col, min_row, max_col, max_row), ref in self._ranges.get(k, ()):
                if min_row >= 2 and (max_row > min_row or k + 1 > min_col):  # below the header, not one cell
                    refs[ref] = columns[col] = None
        if refs:
            shown = ", ".join(list(refs)[:5]) + (f", … ({len(refs)} in all)" if len(refs) > 5 else "")
            log.log(level, "%s: merged cells in the %s %s (%s): each row of a merged range gets its "
                     "value, as Excel shows it", name, what, ", ".join(map(repr, columns)), shown)

    def see(self, excel_row: int, values: tuple | None) -> None:
        """Move on to ``excel_row`` (holding ``values``): ranges above it are done, those starting on it
        begin."""
        for queue in self._ranges.values():
            while queue and queue[0][0][3] < excel_row:
                self._first.pop(queue.popleft()[1], None)
            if queue and queue[0][0][1] == excel_row:
                (min_col, *_), ref = queue[0]
                inside = values is not None and min_col <= len(values)
                self._first[ref] = values[min_col - 1] if inside else None

    def inside(self, excel_row: int, column: int) -> tuple[str, object] | None:
        """The reference of the range whose cell in ``column`` of ``excel_row`` (:meth:`see` last) is not its
        first, and the value of its first cell (``None`` for a range starting on the header row); else
        ``None``."""
        queue = self._ranges.get(column)
        if not queue:
            return None
        (min_col, min_row, _, max_row), ref = queue[0]
        if not min_row <= excel_row <= max_row or (excel_row, column + 1) == (min_row, min_col):
            return None
        return ref, self._first.get(ref)


class SheetFormulas:
    """A second read of the sheet ``title`` of a workbook, formulas as written, advanced row by row: a cell
    that reads as empty may hold a formula a script wrote and no program ever computed (openpyxl keeps no
    value for it)."""

    def __init__(self, path: Path, title: str) -> None:
        from .files import open_workbook

        self._wb = open_workbook(path, data_only=False)
        self._rows = enumerate(self._wb[title].iter_rows(values_only=True), start=1)
        self._row: tuple[int, tuple | None] = (0, None)

    def at(self, excel_row: int, column: int) -> str | None:
        """The formula in ``column`` of ``excel_row`` (rows are asked for in order), or ``None``."""
        while self._row[0] < excel_row:
            self._row = next(self._rows, (excel_row, None))
        values = self._row[1] if self._row[0] == excel_row else None
        value = values[column] if values is not None and column < len(values) else None
        value = getattr(value, "text", value)  # an array formula ({=…}) keeps its text there
        return value if isinstance(value, str) and value.startswith("=") else None

    def close(self) -> None:
        self._wb.close()
