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
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["guard_cell", "unguard_cell", "guard_row", "unguard_row", "guard_hash"]

_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_NUMBER_LIKE = re.compile(r"[0-9]*[eE]?[0-9]+")


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
