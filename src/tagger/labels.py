"""The label set (fixed ids in a fixed order) and the one grammar of a label cell.

A label cell — in ``labels/seeds.csv``, a filled suggestion CSV, a review decision — lists label ids
separated by ``;`` (also read as separators: ``,`` ``|`` ``、`` ``；`` ``，`` and white space, so a
Chinese input method or Alt+Enter in a spreadsheet cell does no harm; case is ignored, and a leading
``'`` a spreadsheet adds is dropped). ``none`` means "no label applies"; an empty cell means "not
reviewed yet".

Example:
    >>> parse_label_cell("volunteer_work; elderly_care", "x"), parse_label_cell("none", "x"), parse_label_cell("", "x")
    (('elderly_care', 'volunteer_work'), (), None)
    >>> format_label_cell(()), format_label_cell(("elderly_care",))
    ('none', 'elderly_care')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from .errors import quote_cell

__all__ = ["LABELS", "LABEL_NAMES", "SHORT", "TABLE_NAMES", "EARLIER_TABLE_NAMES", "NONE", "validate_labels",
           "parse_label_cell", "format_label_cell", "closest_label"]

LABELS: tuple[str, ...] = (
    "elderly_care",
    "old_neighbourhood_retrofit",
    "elevator_power_hookup",
    "business_connection_speed",
    "volunteer_work",
)

LABEL_NAMES: dict[str, str] = {
    "elderly_care": "services for elderly people",
    "old_neighbourhood_retrofit": "power upgrades of old residential compounds",
    "elevator_power_hookup": "power for elevators added to existing buildings",
    "business_connection_speed": "faster / easier power connection for enterprises and projects",
    "volunteer_work": "volunteer and charity activity",
}

SHORT: dict[str, str] = {"elderly_care": "elderly", "old_neighbourhood_retrofit": "retrofit",
                         "elevator_power_hookup": "elevator", "business_connection_speed": "business",
                         "volunteer_work": "volunteer"}
TABLE_NAMES: dict[str, str] = SHORT
"""The names of the display table's score and count cells (``elderly=0.99 retrofit=0.02 …``): the short names
stats and evaluate use, written by ``tagger tag`` and recognised in a file it wrote
(:func:`tagger.data.tagged.looks_tagged`)."""
EARLIER_TABLE_NAMES: dict[str, str] = {lab: lab.split("_")[0] for lab in LABELS}
"""The display table's names in earlier releases (``old=0.02``): a table they wrote is still recognised."""

NONE = "none"
_SEPARATORS = re.compile(r"[;,|、；，\s]+")


def validate_labels(labels: Sequence[str], where: str, no_label: str = "an empty list [] for no label"
                    ) -> tuple[str, ...]:
    """Return ``labels`` (a list of ids) in canonical order; raise ``ValueError`` naming ``where`` for
    unknown ids (``no_label``: how the message says to write "no label" where ``labels`` came from).

    Example:
        >>> validate_labels(["volunteer_work", "elderly_care"], "x")
        ('elderly_care', 'volunteer_work')
        >>> validate_labels(["none"], "f.jsonl:2")
        Traceback (most recent call last):
        ...
        ValueError: f.jsonl:2: 'none' is not a label id: a list of label ids is empty ([]) for no label
    """
    unknown = [lab for lab in labels if lab not in LABELS]
    if unknown and no_label != NONE and str(unknown[0]).strip().lower() == NONE:
        raise ValueError(f"{where}: {unknown[0]!r} is not a label id: a list of label ids is empty ([]) for no label")
    if unknown:
        raise ValueError(f"{where}: unknown label id {unknown[0]!r}; valid ids: {', '.join(LABELS)} "
                         f"({'or ' + NONE if no_label == NONE else no_label})")
    if len(set(labels)) != len(labels):
        raise ValueError(f"{where}: a label is listed twice: {list(labels)}")
    return tuple(lab for lab in LABELS if lab in labels)


def parse_label_cell(cell: str | None, where: str) -> tuple[str, ...] | None:
    """Labels of a cell: a tuple (empty for ``none``), or ``None`` when the cell is empty (not reviewed).

    Raises:
        ValueError: unknown id, a label twice, or ``none`` together with labels (names ``where`` and the
            value as written).

    Example:
        >>> parse_label_cell("Elderly_Care", "x"), parse_label_cell("NONE", "x")
        (('elderly_care',), ())
        >>> parse_label_cell("ｅｌｄｅｒｌｙ＿ｃａｒｅ；ｎｏｎｅ", "x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: x: 'none' together with labels ['elderly_care', 'none']; write either labels or none
        >>> parse_label_cell("volunteer_work;Elderly", "f.csv:3")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: f.csv:3: unknown label id 'Elderly'; valid ids: ...
    """
    # full-width ids as a Chinese input method types them (ｅｌｄｅｒｌｙ＿ｃａｒｅ), as the separators are
    written = [p for p in _SEPARATORS.split(unicodedata.normalize("NFKC", cell or "").strip().lstrip("'")) if p]
    parts = [p.lower() for p in written]
    if not parts:
        return None
    if NONE in parts:
        if len(parts) > 1:
            raise ValueError(f"{where}: {NONE!r} together with labels {written}; write either labels or {NONE}")
        return ()
    unknown = [w for w, p in zip(written, parts) if p not in LABELS]
    if unknown:
        try:
            validate_labels(unknown, where, NONE)  # the unknown ids, as written
        except ValueError as exc:
            raise ValueError(f"{exc}{_meant(cell or '')}") from None
    return validate_labels(parts, where, NONE)


def _meant(cell: str) -> str:
    """A hint for a cell whose words were meant as label ids ("elderly care", "Old-Neighbourhood retrofit"):
    the cell as label ids joined with ``_``, when that reads as valid ids; else the nearest id to a word."""
    cell = cell.strip().lstrip("'")
    groups = [re.sub(r"[\s\-]+", "_", g.strip().lower()) for g in re.split(r"[;,|、；，]+", cell) if g.strip()]
    if groups and all(g in LABELS or g == NONE for g in groups):
        return f" (the cell reads {quote_cell(cell)}; label ids join their words with _: write {';'.join(groups)!r})"
    words = [w for w in _SEPARATORS.split(cell.lower()) if w and w not in LABELS and w != NONE]
    close = closest_label(words[0]) if words else None
    quoted = quote_cell(cell)  # a paragraph in the labels column is cut, as every quoted cell
    return f" (the cell reads {quoted}; did you mean {close!r}?)" if close else f" (the cell reads {quoted})"


def closest_label(word: str) -> str | None:
    """The label id a mistyped ``word`` most likely means, or ``None`` when none is close.

    Example:
        >>> closest_label("volunter_work"), closest_label("Elderly-Care"), closest_label("会议")
        ('volunteer_work', 'elderly_care', None)
    """
    import difflib

    close = difflib.get_close_matches(re.sub(r"[\s\-]+", "_", word.strip().lower()), LABELS, n=1, cutoff=0.6)
    return close[0] if close else None


def format_label_cell(labels: Sequence[str]) -> str:
    """The cell for ``labels`` (``none`` for no label).

    Raises:
        ValueError: an unknown label id (it was written as ``none``, which reads back as "reviewed: no label"), or
            a single id given as a string.

    Example:
        >>> format_label_cell(["volunteer_work", "elderly_care"])
        'elderly_care;volunteer_work'
    """
    if isinstance(labels, str):  # its letters are no labels: "work" became none
        raise ValueError(f"format_label_cell takes a list of label ids, got the string {labels!r}; pass [{labels!r}]")
    return ";".join(validate_labels(list(dict.fromkeys(labels)), "format_label_cell")) or NONE
