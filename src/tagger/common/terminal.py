"""Text printed to a terminal: report text never drives it, and never breaks a line of a table.

Control characters (C0 but tab and line feed, DEL, C1 — also U+0085, next line), bidi overrides and
isolates, and the Unicode line and paragraph separators U+2028 / U+2029 (some terminals and editors start
a new line there) are shown as escapes.

Example:
    >>> terminal_safe("a\\x1b[31mb\\u202ec")
    'a\\\\x1b[31mb\\\\u202ec'
    >>> terminal_safe("a\\u2028b\\u2029c\\x85d")
    'a\\\\u2028b\\\\u2029c\\\\x85d'
"""

from __future__ import annotations

import re

__all__ = ["terminal_safe"]

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Control characters, bidi overrides and line/paragraph separators shown as ``\\xNN`` / ``\\uNNNN``
    escapes (tabs and line feeds kept)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
