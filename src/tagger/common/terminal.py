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
import shlex

__all__ = ["terminal_safe", "message_safe", "name_safe", "cut_middle", "terminal_columns", "counted", "grouped",
           "shell_arg"]

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_LINE_START = re.compile(r"\n(?!  )")  # a line feed that does not open an indented continuation line


def terminal_safe(text: str) -> str:
    """Control characters, bidi overrides and line/paragraph separators shown as ``\\xNN`` / ``\\uNNNN``
    escapes (tabs and line feeds kept)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def name_safe(text: str) -> str:
    """A name written in report data (a company, a group value) as terminal text and the HTML page show it: what
    :func:`terminal_safe` escapes, and tabs and line feeds, as ``<U+XXXX>`` — the notation that also shows the
    invisible characters of names that would look alike (:func:`tagger.analysis.stats.shown_names`), so a bidi
    override cannot turn a line or a page's row around, and a name reads the same in a table and a warning.

    Example:
        >>> name_safe("ABC\\u202eXYZ"), name_safe("a\\tb\\x1b")
        ('ABC<U+202E>XYZ', 'a<U+0009>b<U+001B>')
    """
    return _NAME_ESCAPED.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


_NAME_ESCAPED = re.compile(f"[{_CONTROL.pattern[1:-1]}\t\n]")


def cut_middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` columns of a terminal (a CJK character takes two:
    :func:`tagger.common.xlsx.display_width`), shortened where it is longer by an ellipsis in its middle, so that
    both its start and its end show (国网…供电公司).

    Example:
        >>> cut_middle("国网" + "甲" * 300 + "供电公司", 20), cut_middle("Acme", 20)
        ('国网甲甲甲…供电公司', 'Acme')
    """
    from .xlsx import display_width

    if display_width(text) <= width:
        return text
    room = max(width - 1, 2)  # the ellipsis takes one
    head_room = (room + 1) // 2
    head = tail = ""
    for ch in text:
        if display_width(head + ch) > head_room:
            break
        head += ch
    for ch in reversed(text):
        if display_width(head) + display_width(ch + tail) > room:
            break
        tail = ch + tail
    return f"{head}…{tail}"


def terminal_columns() -> int | None:
    """The width of the terminal standard output shows, in columns; ``None`` when it is no terminal (a pipe, a
    file) or says no width."""
    import os
    import sys

    try:
        if not sys.stdout.isatty():
            return None
        columns = os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return None
    return columns or None


def message_safe(text: str) -> str:
    """A message line (an error, a warning, a log line) as :func:`terminal_safe` shows it, and on its own line:
    a line feed is escaped too unless an indented line follows it (how a message lists its problems), so a file
    name holding a line feed cannot start a line that reads as another message (``INFO tagger: wrote …``).

    Example:
        >>> print(message_safe("z\\nINFO tagger: wrote t.csv.txt: no such file"))
        z\\nINFO tagger: wrote t.csv.txt: no such file
        >>> print(message_safe("f.csv: 2 problems:\\n  row 2: bad\\n  row 3: bad"))
        f.csv: 2 problems:
          row 2: bad
          row 3: bad
    """
    return _LINE_START.sub(r"\\n", terminal_safe(text))


def grouped(n: int) -> str:
    """A count as every report and message prints one: thousands grouped by commas (``1,635``), the one rule —
    :func:`counted` too — so that a report never says ``1635`` beside ``1,635``.

    Example:
        >>> grouped(4199), grouped(999), grouped(0)
        ('4,199', '999', '0')
    """
    return f"{n:,}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` (thousands grouped) and an English noun, singular for one (messages said "1 reports"); ``plural``
    where adding ``s`` does not make it.

    Example:
        >>> counted(1, "report"), counted(2, "paragraph"), counted(0, "report"), counted(12345, "paragraph row")
        ('1 report', '2 paragraphs', '0 reports', '12,345 paragraph rows')
        >>> counted(1, "heading or caption", "headings and captions")
        '1 heading or caption'
    """
    return f"{grouped(n)} {noun}" if n == 1 else f"{grouped(n)} {plural or noun + 's'}"


def shell_arg(value: object) -> str:
    """``value`` (a file path) as a command the CLI suggests names it, quoted for the shell where it must be (a
    space, ``;``, a quote …) and, when it starts with ``-``, after ``./`` (an argument parser would read ``-x.xlsx``
    as an option, quoted or not), so the command can be pasted as it is.

    Example:
        >>> shell_arg("reviews/june.jsonl"), shell_arg("a b/c d.jsonl"), shell_arg("-dash.xlsx")
        ('reviews/june.jsonl', "'a b/c d.jsonl'", './-dash.xlsx')
    """
    text = str(value)
    return shlex.quote(f"./{text}" if text.startswith("-") else text)
