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
import sys
import unicodedata
from collections.abc import Iterable

__all__ = ["terminal_safe", "message_safe", "name_safe", "escape_matches", "cut_middle", "cut_apart",
           "terminal_columns", "counted", "grouped", "shell_arg"]

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_LINE_START = re.compile(r"\n(?!  )")  # a line feed that does not open an indented continuation line


def terminal_safe(text: str) -> str:
    """Control characters, bidi overrides and line/paragraph separators shown as ``\\xNN`` / ``\\uNNNN``
    escapes (tabs and line feeds kept)."""
    return escape_matches(_CONTROL, text)


def escape_matches(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with each character ``pattern`` matches written as Python writes it escaped (``\\xNN``,
    ``\\uNNNN``, ``\\UNNNNNNNN``): the one escaping of what is not to be shown as it is — a control character on a
    terminal (:func:`terminal_safe`), one XML cannot hold in a cell (:mod:`tagger.common.xlsx`), the lone surrogate
    of an undecodable file name in a message.

    Example:
        >>> escape_matches(re.compile("[\\x00-\\x08\\udc80-\\udcff]"), "a\\x00b\\udcffc")
        'a\\\\x00b\\\\udcffc'
    """
    return pattern.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


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


_UNIT = re.compile(r"<U\+[0-9A-F]{4,6}>|\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})|[\U0001F1E6-\U0001F1FF]{2}|.",
                   re.S)
"""One piece :func:`cut_middle` never cuts inside: a ``<U+XXXX>`` escape (:func:`name_safe`), a ``\\xNN`` /
``\\uNNNN`` escape (:func:`terminal_safe`), a flag's pair of regional indicators, else one character (to which
:func:`_units` joins what belongs to it)."""


def _joins(ch: str) -> bool:
    """Whether ``ch`` belongs to the character before it: a combining mark, a variation selector, a zero-width
    joiner, an emoji modifier or tag character."""
    code = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch == "\u200d" or 0xFE00 <= code <= 0xFE0F
            or 0xE0100 <= code <= 0xE01EF or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F)


def _units(text: str) -> list[str]:
    """``text`` in the pieces a cut may fall between: an escape whole, and a character with the combining marks,
    variation selectors and emoji modifiers after it, and what a zero-width joiner joins to it (👩‍💻).

    Example:
        >>> [len(u) for u in _units("a<U+200B>e\\u0301\\U0001F469\\u200d\\U0001F4BB")]  # a, the escape, é, 👩‍💻
        [1, 8, 2, 3]
    """
    units: list[str] = []
    for piece in _UNIT.findall(text):
        if units and (len(piece) == 1 and _joins(piece) or units[-1].endswith("\u200d")):
            units[-1] += piece
        else:
            units.append(piece)
    return units


_GAP = "…"


def cut_middle(text: str, width: int, at: int | None = None) -> str:
    """``text`` in at most ``width`` columns of a terminal (a CJK character takes two:
    :func:`tagger.common.xlsx.display_width`), shortened where it is longer by an ellipsis in its middle, so that
    both its start and its end show (国网…供电公司); with ``at`` (the index of a piece of :func:`_units`, where the
    text differs from another's), that piece and what is around it show too, between two ellipses
    (国网浙…州市余杭区供电服…一分部). A cut never falls inside an escape (``<U+200B>``) or a character made of several (a combining
    accent, an emoji joined by a zero-width joiner).

    Example:
        >>> cut_middle("国网" + "甲" * 300 + "供电公司", 20), cut_middle("Acme", 20)
        ('国网甲甲甲…供电公司', 'Acme')
        >>> cut_middle("国网浙江省电力有限公司杭州市余杭区供电服务中心营业厅第一分部", 30, at=14)
        '国网浙…州市余杭区供电服…一分部'
    """
    from .xlsx import display_width

    if display_width(text) <= width:
        return text
    units = _units(text)
    widths = [display_width(u) for u in units]
    n = len(units)
    keep = [False] * n

    def fits() -> bool:
        gaps = sum(1 for i in range(n) if not keep[i] and (i == 0 or keep[i - 1]))
        return sum(w for w, k in zip(widths, keep) if k) + gaps <= width

    if at is None or not 0 <= at < n:  # the start and the end, the start taking the odd column
        room = max(width - 1, 2)
        head = used = 0
        while head < n and used + widths[head] <= (room + 1) // 2:
            used += widths[head]
            head += 1
        tail = n
        while tail > head and used + widths[tail - 1] <= room:
            used += widths[tail - 1]
            tail -= 1
        return "".join(units[:head]) + _GAP + "".join(units[tail:])
    # the differing piece first, then by turns: the text after it, the start, the end, the text before it
    keep[at] = True
    ends = {"after": at, "head": -1, "tail": n, "before": at}
    grow = ["after", "head", "tail", "before", "after"]
    done: set[str] = set()
    while len(done) < len(set(grow)):
        for side in grow:
            if side in done:
                continue
            i = ends[side] + (1 if side in ("after", "head") else -1)
            if not 0 <= i < n or keep[i]:
                done.add(side)
                continue
            keep[i] = True
            if fits():
                ends[side] = i
            else:
                keep[i] = False
                done.add(side)
    return "".join(u if k else _GAP for u, k in _runs(units, keep))


def _runs(units: list[str], keep: list[bool]):
    """The kept units, and one placeholder per run of left-out ones."""
    gap = False
    for u, k in zip(units, keep):
        if k:
            gap = False
            yield u, True
        elif not gap:
            gap = True
            yield u, False


def cut_apart(values: Iterable[str], width: int) -> dict[str, str]:
    """Each of ``values`` (the names of one table column, all different) in at most ``width`` columns
    (:func:`cut_middle`), cut so that no two show alike: names that a cut in the middle would show alike (they
    differ in their middle: 国网浙江…杭州市余杭区…第一分部 and …萧山区…) show where they differ; where that does
    not tell them apart either, more of them is kept, up to the whole name. ``{value: shown}``.

    Example:
        >>> names = [f"国网浙江省电力有限公司杭州市{d}区供电服务中心营业厅第一分部" for d in ("余杭", "萧山")]
        >>> list(cut_apart(names, 30).values())
        ['国网浙…州市余杭区供电服…一分部', '国网浙…州市萧山区供电服…一分部']
    """
    from .xlsx import display_width

    values = list(dict.fromkeys(values))
    shown = {v: cut_middle(v, width) for v in values}
    at: dict[str, int] = {}
    for group in _alike(shown):  # shown where each first differs from the others it would look like
        units = {v: _units(v) for v in group}  # each value's pieces once (the groups are disjoint)
        for v in group:
            at[v] = min(_first_difference(units[v], units[o]) for o in group if o != v)
            shown[v] = cut_middle(v, width, at[v])
    longest = max((display_width(v) for v in values), default=width)
    wider = width
    while wider < longest and (alike := _alike(shown)):  # still alike: more of them kept, up to the whole names
        wider += 1
        for group in alike:
            for v in group:
                shown[v] = cut_middle(v, wider, at.get(v))
    return shown


def _alike(shown: dict[str, str]) -> list[list[str]]:
    """The groups of values shown as the same text (a cut, or a whole name another is cut to)."""
    groups: dict[str, list[str]] = {}
    for value, text in shown.items():
        groups.setdefault(text, []).append(value)
    return [g for g in groups.values() if len(g) > 1]


def _first_difference(a: list[str], b: list[str]) -> int:
    """The index of the first piece where ``a`` differs from ``b`` (the last of ``a``'s when ``b`` starts with it)."""
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b)) if len(a) > len(b) else max(len(a) - 1, 0)


def terminal_columns() -> int | None:
    """The width of the terminal standard output shows, in columns, as :func:`shutil.get_terminal_size` reads it:
    ``COLUMNS`` where it is set (a positive whole number), else the terminal's own; ``None`` when standard output is
    no terminal (a pipe, a file) and ``COLUMNS`` is not set, or the terminal says no width.

    Example:
        >>> terminal_columns()  # COLUMNS=100 tagger stats t.jsonl --by company | less  # doctest: +SKIP
        100
    """
    import os
    import shutil

    stream = sys.stdout
    if not os.environ.get("COLUMNS") and not (stream is not None and hasattr(stream, "isatty") and stream.isatty()):
        return None  # shutil asks the terminal of sys.__stdout__: not where output redirected in Python goes
    return shutil.get_terminal_size(fallback=(0, 0)).columns or None  # 0: no terminal, no COLUMNS


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
