"""Text printed to a terminal: report text never drives it.

Example:
    >>> terminal_safe("a\\x1b[31mb\\u202ec")
    'a\\\\x1b[31mb\\\\u202ec'
"""

from __future__ import annotations

import re

__all__ = ["terminal_safe"]

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Control characters and bidi overrides shown as ``\\xNN`` escapes (tabs and line feeds kept)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
