"""CSV cells a spreadsheet would run: the one rule every CSV writer and reader of the project applies.

A text cell starting with ``= + - @``, a tab or a carriage return is a formula to Excel, LibreOffice and
Google Sheets (CSV injection). Writers put one ``'`` in front of such a cell — spreadsheets then show it
as text — and readers take it off again. Cells that already start with ``'`` before such a character
get one more, so the rule is exact both ways: ``unguard_cell(guard_cell(s)) == s`` for every ``s``.

Example:
    >>> guard_cell("=SUM(A1)"), guard_cell("'=x"), guard_cell("文字"), guard_cell("'ok")
    ("'=SUM(A1)", "''=x", '文字', "'ok")
    >>> unguard_cell("'=SUM(A1)"), unguard_cell("''=x"), unguard_cell("'ok")
    ('=SUM(A1)', "'=x", "'ok")

It is also the home of the one rule for a *missing* cell of a frame (:func:`is_missing`): ``None``, NaN,
pandas' ``NA``/``NaT`` — what a nullable ``string``/``Int64``/``boolean``/``Float64`` column holds is the same
gap as the ``None``/NaN of an ``object``/``float64`` one —, and of a *report id* (:func:`report_id_of`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["guard_cell", "unguard_cell", "guard_row", "unguard_row", "guard_hash", "is_missing", "report_id_of",
           "paragraph_index_written", "time_of_day_hint"]

_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_NUMBER_LIKE = re.compile(r"[0-9]*[eE]?[0-9]+")


def paragraph_index_written(index: str) -> bool:
    """Whether ``index`` (a paragraph id's part after its last ``:``) is a paragraph index as tagger writes it: ASCII
    digits, no leading 0 (``2:00`` is what a spreadsheet saves of the id ``2:0``, read as a time of day). Judged as
    written, so an index of any length is judged.

    Example:
        >>> [paragraph_index_written(i) for i in ("0", "12", "00", "012", "１", "")]
        [True, True, False, False, False, False]
    """
    return index.isascii() and index.isdigit() and (index == "0" or not index.startswith("0"))


_TIME_OF_DAY = re.compile(r"\d{1,2}:\d\d(?::\d\d)?")


def time_of_day_hint(pid: str) -> str | None:
    """Why a paragraph id is what a spreadsheet saves of one it read as a time of day (``2:0`` → ``2:00``), and what
    to do; ``None`` for an id that is no time.

    Example:
        >>> time_of_day_hint("2:00")[:42], time_of_day_hint("r1:00")
        ('a spreadsheet read the id as a time of day', None)
    """
    if not _TIME_OF_DAY.fullmatch(pid):
        return None
    return ("a spreadsheet read the id as a time of day and saved it so: format the id column as text, or use the "
            ".xlsx file")


def guard_cell(cell: str) -> str:
    """``cell`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + cell if _FORMULA.match(cell) else cell


def unguard_cell(cell: str) -> str:
    """``cell`` without the ``'`` :func:`guard_cell` added (a cell it did not guard is unchanged)."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell, 1) else cell


def guard_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every text cell of a row guarded (other values unchanged)."""
    return {k: guard_cell(v) if isinstance(v, str) else v for k, v in row.items()}


def unguard_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every text cell of a row as written before :func:`guard_row`."""
    return {k: unguard_cell(v) if isinstance(v, str) else v for k, v in row.items()}


def guard_hash(sha: str) -> str:
    """A text hash a spreadsheet would read as a number (``1234…``, ``12e45…``) with a leading ``'`` (readers of
    a hash cell take off a leading ``'``).

    Example:
        >>> guard_hash("1234567890123456"), guard_hash("0a1b2c3d4e5f6a7b")
        ("'1234567890123456", '0a1b2c3d4e5f6a7b')
    """
    return "'" + sha if _NUMBER_LIKE.fullmatch(sha) else sha


def is_missing(value: object) -> bool:
    """Whether a cell of a frame is missing: ``None``, a float or numpy NaN, pandas' ``NA`` (what nullable
    ``string``, ``string[pyarrow]``, ``Int64``, ``boolean`` and ``Float64`` columns hold for a gap) or ``NaT``.
    The one rule every reader of frames and tagged files applies (``value != value`` raises on ``pd.NA``;
    ``value is None`` misses it). A non-scalar (a list or array a JSONL or Parquet cell holds) is a value,
    never missing, even when empty; so is text, even empty text (callers that treat ``""`` as empty say so).

    Example:
        >>> import pandas as pd
        >>> [is_missing(v) for v in (None, float("nan"), pd.NA, pd.NaT, "", "r1", 0, [], (None,))]
        [True, True, True, True, False, False, False, False, False]
    """
    if value is None:
        return True
    if isinstance(value, (str, bytes, int)):  # the most common cells, decided without pandas
        return False
    if isinstance(value, float):
        return value != value
    import pandas as pd

    if not pd.api.types.is_scalar(value):  # a list, tuple, dict or array: a value
        return False
    return bool(pd.isna(value))


def report_id_of(cell: object) -> str | None:
    """The report id a value gives, the one rule of every reader of ids — ``tag_frame``, ``tag(doc=)``,
    ``predict_proba(reports=)``, ``fit(reports=)``, an id column of ``tagger tag``: text as written, a whole number
    (``int``, numpy's integers) as its digits, the form every output writes it in — so the text ``"1"`` and the number
    ``1`` are one id. ``None`` for a missing value (:func:`is_missing`) and for a value that is no id (a boolean, a
    float, bytes, a date, a tuple …): callers tell the two apart with :func:`is_missing` and refuse the second, naming
    it (a float column of whole numbers, as pandas makes an integer column with a gap: ``.astype("Int64")``). A file
    ``tagger tag`` reads holds whole numbers as floats where it cannot hold them otherwise (a workbook, pandas' JSON or
    Parquet of a column with a gap): its reader gives a whole float up to 2**53 as the number (``101.0``: ``"101"``).

    Example:
        >>> import numpy as np
        >>> report_id_of("r1"), report_id_of(np.int64(1)), report_id_of(1), report_id_of(None)
        ('r1', '1', '1', None)
        >>> report_id_of(True), report_id_of(7.0), report_id_of(b"r1"), report_id_of(float("nan"))
        (None, None, None, None)
    """
    if isinstance(cell, str):
        return str(cell)  # numpy's str_ too, as a plain str
    if isinstance(cell, bool) or is_missing(cell):
        return None
    import numpy as np

    return str(int(cell)) if isinstance(cell, (int, np.integer)) and not isinstance(cell, np.bool_) else None
