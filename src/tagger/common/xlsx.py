"""Excel cells and workbooks: one rule for every ``.xlsx`` writer of the package.

Report text is data: a text cell is always stored as text (never a formula, even when it starts with
``=``), characters XML cannot hold (C0 controls but tab and line breaks) are written as ``\\xNN``, and
a cell longer than Excel's 32,767 characters is cut (Excel refuses to open longer ones). openpyxl is
imported only when a cell is made.

Example:
    >>> import openpyxl
    >>> ws = openpyxl.Workbook(write_only=True).create_sheet("s")
    >>> c = text_cell(ws, "=SUM(A1)\\x00")
    >>> c.value, c.data_type
    ('=SUM(A1)\\\\x00', 's')
"""

from __future__ import annotations

import contextlib
import logging
import re

__all__ = ["text_cell", "safe_text", "discard_workbook", "MAX_CELL"]

log = logging.getLogger(__name__)

MAX_CELL = 32_767
"""Characters in one Excel cell."""
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not allowed in XML 1.0


def safe_text(value: str, where: str | None = None) -> str:
    """``value`` as Excel can store it: illegal characters escaped, cut to :data:`MAX_CELL` characters
    (with a warning naming ``where`` when given)."""
    value = _ILLEGAL_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)
    if len(value) > MAX_CELL:
        if where is not None:
            log.warning("%s: cut to Excel's %d characters per cell in the .xlsx (use .jsonl/.parquet/.sqlite for "
                        "full text)", where, MAX_CELL)
        value = value[:MAX_CELL]
    return value


def text_cell(ws, value: str, where: str | None = None):
    """A write-only cell of ``ws`` holding ``value`` as text (see :func:`safe_text`), never a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=safe_text(value, where))
    cell.data_type = "s"
    return cell


def discard_workbook(wb) -> None:
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
