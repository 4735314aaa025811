"""Counting a tagged corpus: paragraphs and reports per label, overall and per group, with shares, a
pivot, label co-occurrence and a monthly trend.

Groups are the values of any column of the tagged file (``company``, ``kind``, ``report`` …) or a
period derived from a date column: ``month`` (``2023-05``), ``quarter`` (``2023-Q2``), ``year``
(``2023``). Dates are read by :func:`parse_date` (ISO ``2023-05-06`` is safest; ``2023/5/6``, ``20230506``,
``2023年5月6日``, with a time or not, ``上午``/``下午``, ``晚上``/``凌晨``/``中午``/``傍晚``/``早上``, full-width digits are read too;
a time of day never moves the date it follows); an empty date cell is a
missing date, a cell that is not a date is an error naming its row and why, or with ``on_error="skip"`` a missing
date too. A numeric date with the year last (``03/04/2024``, ``13.04.2024``) is not a date here: whether it is day
or month first is a convention the cell does not say. A month written with a dot is read from the text the cell
shows, a number's as a CSV copy holds it (``2023.9`` and the number 2023.9 are September); only ``2023.1`` is no
month (January, or ``2023.10`` stored as a number, its 0 lost?), a number or a text. A date with a UTC offset counts at the clock time written
(:attr:`CorpusStats.offsets`, :func:`offsets_note`; not when every one is Beijing's ``+08:00``). A year alone (``2024``, ``2024年``) has no month: grouped by ``month`` or ``quarter`` it
is handled like a date that cannot be read; grouped by ``year`` it counts for its year; it is never in
the monthly trend. A quarter (``2024-Q2``, ``2024年第二季度``) likewise has no month: it counts for its
quarter and year, is an unreadable date grouped by ``month`` and is never in the trend. Group values are
compared without white space at their ends (``"Acme "`` is ``"Acme"``), and values that are the same but for
script, width, white space inside and invisible characters (as :func:`tagger.text.normalize.normalize` sets them
aside: ``南方電網珠海供電局``, ``南方电网 珠海供电局`` and ``南方电网\u200b珠海供电局`` are ``南方电网珠海供电局``) are one group, shown under
the spelling most rows have (:func:`merge_spellings`; :attr:`CorpusStats.merged` lists the spellings;
:func:`spelling_notes` says so); counted apart (``merge=False``), names that would look the same are shown in the
terminal and on the HTML page with what tells them apart as ``<U+200B>`` (:func:`shown_names`; the group keys, and
the data outputs, hold the values as written); missing values (an empty cell, or
one of white space only) form the group :data:`MISSING`, and a real value that reads like it
(``(missing)``) is shown with a leading ``'`` (``'(missing)``; one more ``'`` for a value that already has
some), so that no value falls into the missing group.

Headings and captions (``kind``), which carry no label, are not counted, nor in the base of a share
(:func:`counted_rows`); a group whose rows are all headings and captions still has its rows, of 0s
(:func:`_uncounted_groups`). A paragraph counts for a label if its effective labels have it (a person's decision where it was
reviewed, else the model's: :func:`tagger.data.tagged.read_tagged`); a report counts for a label
if any of its paragraphs does. Shares are of the paragraphs / reports of the same group. Every table
says how many of its paragraphs a person reviewed (``reviewed_paragraphs``) and how many of those
with the label (``reviewed_with_label``).

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"report": ["a", "a", "b"], "company": ["X", "X", "Y"], "reviewed": [False, True, False],
    ...                    "effective_labels": [("elderly_care",), (), ("elderly_care", "volunteer_work")]})
    >>> s = corpus_stats(df, by=["company"])
    >>> s.tables["pivot"][["company", "paragraphs", "reports", "reviewed_paragraphs", "elderly_care"]]
      company  paragraphs  reports  reviewed_paragraphs  elderly_care
    0       X           2        1                    1             1
    1       Y           1        1                    0             1
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from ..common.cells import is_missing
from ..common.terminal import counted, name_safe
from ..errors import InputError, SkippableError, UsageError, quote_cell
from ..labels import LABELS, format_label_cell
from ..text.report import NO_LABEL_KINDS

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["CorpusStats", "corpus_stats", "check_groups", "group_keys", "GroupKeys", "merge_spellings", "spelling_notes",
           "same_model", "model_groups", "model_notes", "shown_names", "show_groups", "parse_date", "utc_offset",
           "offsets_note", "damaged_names_notes", "LOCAL_OFFSET", "month_of", "month_and_offset", "year_only", "quarter_only",
           "indicator", "long_table", "counted_rows", "WrongWeekday",
           "PERIODS", "MISSING", "COUNT_COLUMNS", "TABLES", "RESERVED"]

MISSING = "(missing)"
"""The group of rows without a value (an empty cell, or no date)."""
_LOOKS_MISSING = re.compile(r"'*" + re.escape(MISSING))
PERIODS = ("month", "quarter", "year")
_PERIOD_WORDS = {"年": "year", "年份": "year", "年度": "year", "月": "month", "月份": "month", "季度": "quarter",
                 "季": "quarter"}
"""Chinese names of a period a ``--by`` may ask for, as :func:`check_groups` suggests the period."""
COUNT_COLUMNS = ["paragraphs", "reports", "paragraph_share", "report_share", "reviewed_paragraphs",
                 "reviewed_with_label", "total_paragraphs", "total_reports"]
TABLES = ("corpus", "groups", "pivot", "trend", "cooccurrence")
"""The tables, in the order they are written (``groups``/``pivot`` need groups, ``trend`` a date column)."""
RESERVED = frozenset(["table", "label", "other_label", *COUNT_COLUMNS, *LABELS])
"""Output column names a group column cannot have."""
# Every white space run below is read by one \s* or \s+ (an optional part begins with what is not white space), so
# that no cell is read in more than linear time ("2023" and 20,000 spaces took 45 s).
_CJK_DATE = re.compile(r"\s*(\d{4})\s*年(?:\s*(\d{1,2})\s*月份?(?:\s*(\d{1,2})\s*[日号])?)?\s*")
_YEAR_LAST = re.compile(r"\s*\d{1,2}(?:\s*[/.\-]\s*|\s+)\d{1,2}(?:\s*[/.\-]\s*|\s+)\d{4}\b.*", re.S)
_YEAR_ONLY = re.compile(r"\s*\d{4}(?:\s*年)?\s*")
_QUARTER = re.compile(r"\s*(\d{4})\s*(?:年\s*)?(?:(?:[-/]\s*)?[Qq]\s*([1-4])|(?:第\s*)?([1-4一二三四])\s*季度?)\s*")
_DAY_PARTS: dict[str, frozenset[int]] = {
    **dict.fromkeys(("凌晨",), frozenset(range(0, 7))),
    **dict.fromkeys(("早上", "早"), frozenset(range(4, 12))),
    **dict.fromkeys(("上午", "AM", "am"), frozenset(range(0, 12))),
    **dict.fromkeys(("中午",), frozenset(range(11, 15))),
    **dict.fromkeys(("下午", "PM", "pm"), frozenset(range(12, 24))),
    **dict.fromkeys(("傍晚",), frozenset(range(16, 21))),
    **dict.fromkeys(("晚上", "晚"), frozenset([*range(17, 24), *range(0, 4)])),
}
"""The words for a part of the day, each with the hours (0-23) it covers, which :func:`_hour_of` reads the hour
written after it in: 晚上 covers the evening and the small hours of the night, which stay on the date written."""
_DAY_WORD = "|".join(sorted(_DAY_PARTS, key=len, reverse=True))  # 晚上 before 晚
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = "(?:[二三四五]?十[一二三四五六七八九]?|[零〇][一二三四五六七八九]?|[一二两三四五六七八九])"
"""A number 0-59 in Chinese numerals, as an hour, minute or second is written: 八, 两, 十二, 二十三, 三十, 零五."""
# a time of day after a date: 10:20, 10:20:30.5, 10时20分(30秒), 10点20(分), 10点, 8点半, 10点20秒 (no minutes), with a
# word for the part of the day (_DAY_PARTS) before or after it; after a space, a T, 日/号, or a date's digit directly
# before the word. With 时/点 the numbers may be Chinese numerals (八点, 下午三点半, 十点零五分); with ":" digits only.
# Minutes without 分 are followed by no number (十点二十秒 is 10:00:20, not 十点二 and 十秒)
_CN_DIGIT = "[零〇一二两三四五六七八九十]"
_TIME_TAIL = re.compile(rf"(?:\s|T|(?<=[日号])|(?<=[0-9])(?=(?:{_DAY_WORD})))(?:(?P<pre>{_DAY_WORD})\s*)?"
                        rf"(?:(?P<h>[0-9]{{1,2}})|(?P<ch>{_CN_NUMBER}))\s*"
                        rf"(?:(?P<sep>:|[时点])\s*(?:(?P<m>[0-9]{{1,2}})|(?P<cm>{_CN_NUMBER}))"
                        rf"(?:\s*分|(?![0-9]|{_CN_DIGIT}))"
                        rf"(?:\s*:\s*(?P<s>[0-9]{{1,2}}(?:\.[0-9]+)?)|\s*(?:(?P<s2>[0-9]{{1,2}})|(?P<cs>{_CN_NUMBER}))\s*秒)?"
                        rf"|[时点]\s*(?:(?P<s3>[0-9]{{1,2}})|(?P<cs3>{_CN_NUMBER}))\s*秒"
                        r"|[时点](?:\s*(?P<half>半))?)"
                        rf"(?:\s*(?P<post>{_DAY_WORD}))?\s*\Z")
_OFFSET_TAIL = re.compile(r"\s?(?:(?P<name>UTC|GMT)\s?)?(?P<sign>[+-])(?P<hm>[0-9][0-9:]*)\Z|\s?(?P<zone>UTC|GMT|Z)\Z",
                          re.I)
"""A UTC offset at the end of a date cell's text: ``UTC+8``, ``GMT-05:30``, ``+08:00``, ``-0500``, ``+8``, ``Z``,
``UTC``; after a time :func:`_read_date` reads the time before it as one without an offset is read and the offset
itself (:func:`_offset_of`), the same after any date; a sign and digits that are no offset (``+123``) are refused."""
_NO_OFFSET = "no such UTC offset (from -23:59 to +23:59, such as +08:00)"
_AM_PM = r"[AaPp]\.?\s?[Mm]\.?"
"""AM or PM as written after a time: ``PM``, ``pm``, ``p.m.``, ``P M``."""
_RANGE_END = re.compile(rf"\s*(?:(?P<pre>{_DAY_WORD})\s*)?(?:[0-9]{{1,2}}|{_CN_NUMBER})"
                        rf"(?:\s*(?P<sep>[:时点])(?:\s*(?:[0-9]{{1,2}}|{_CN_NUMBER}|半))?(?:\s*分)?)?"
                        rf"(?:\s*(?P<post>{_DAY_WORD}|{_AM_PM}))?", re.I)
"""The end of a time range after its dash (:data:`_RANGE_DASHES`): a time, after a minus one no UTC offset is
written as, with a word for the part of the day (``4:00 PM``, ``4:00pm``, ``4:00 p.m.``, ``4:00 下午``,
``下午4:00``) or 点/时 (``5点``): :func:`_refuse_range`."""
_RANGE_DASHES = "-~\u301c\u2010\u2011\u2012\u2013\u2014\u2015\u2212至到"
"""What joins the two times of a time range (NFKC: a full-width ``～`` or ``－`` is ASCII): a minus, a tilde or wave
dash (``3:00~4:00``, ``3:00〜4:00``), a hyphen or dash (``3:00–4:00``, ``3:00—4:00``), a minus sign, 至 and 到
(``下午3点至4点``). Only the minus is also a UTC offset's sign (``15:00-04:00``)."""
_HOUR_START = re.compile(rf"(?:(?<=\s)|(?<=[日号])|(?<=[0-9])(?=(?:{_DAY_WORD})))(?:(?P<pre>{_DAY_WORD})\s*)?"
                         rf"(?:[0-9]{{1,2}}(?::[0-9]{{2}})?|{_CN_NUMBER})\s*(?:(?P<post>{_DAY_WORD}|{_AM_PM})\s*)?\Z",
                         re.I)
"""An hour at the end of a text, alone or with minutes, with a word for the part of the day or not (``3``, ``3PM``,
``3 p.m.``, ``3:00 p.m.``, ``下午3``): the start of a time range (``3-4 PM``, ``3PM-4PM``, ``下午3-4``,
``3:00 p.m.-4 p.m.``) that :data:`_TIME_TAIL` does not read (an hour without 点/时 or minutes; p.m.)."""
_TIME_CHAIN = re.compile(rf"[0-9]{{1,2}}:[0-9]{{2}}(?::[0-9]{{2}})?(?:\s*[{_RANGE_DASHES}]\s*[0-9]{{1,2}}"
                         r"(?::[0-9]{2}){0,2}){2,}\s*\Z")
"""Three times or more joined by dashes at a cell's end (``3:00-4:00-5:00``, ``3:00~4:00~5:00``): no time and
offset is written so (refused by :func:`_read_date`)."""
_WEEKDAY_NUMBER = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAY = re.compile(r"(?<!\s)\s*(?:\(\s*(?P<a>(?:星期|礼拜|禮拜|周|週)\s*[一二三四五六日天])\s*\)"
                      r"|(?P<b>(?:星期|礼拜|禮拜|周|週)\s*[一二三四五六日天]))"
                      rf"\s*(?:\Z|(?=[0-9]|{_DAY_WORD}|{_CN_DIGIT}))")
"""A day of the week after a date, as report pages write it: ``星期六``, ``周六``, ``礼拜六``, in brackets or not
(``2023-05-06 (周六)``; full-width brackets are ASCII after NFKC), at the end or before a time of day
(``2023-05-06 星期六 10:20``, ``2023年5月6日星期六上午10:20``): read, and checked against the date."""
_NO_DAY = re.compile(r"\s*[0-9]{4}(?:\s*年)?(?:\s*[-/.])?(?:\s*(?:[0-9]{1,2}(?:\s*月份?)?|[Qq]\s*[1-4]"
                     r"|(?:第\s*)?[1-4一二三四]\s*季度?))?\s*")
"""A year, a year and month or a quarter: a date without its day (a day of the week after it is refused)."""
_DECIMAL = re.compile(r"([+-]?)([0-9]+)\.([0-9]+)")
_YMD = re.compile(r"([0-9]{4})(?:[-/.]([0-9]{1,2})(?:[-/.]([0-9]{1,2}))?|([0-9]{2})([0-9]{2}))\b")
_QUARTER_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_MONTH_PERIODS = ("month", "quarter")


@dataclass
class CorpusStats:
    """The counts of a tagged corpus: ``tables`` (pandas DataFrames by name, see :data:`TABLES`) and what
    they cover."""

    source: str
    by: list[str]
    date_column: str | None
    paragraphs: int
    reports: int
    reviewed: int
    missing_dates: int = 0
    unreadable_dates: int = 0
    not_counted: int = 0
    """Headings and captions (``kind``), which carry no label: left out of every count and share, so that a
    group of short reports (more headings per paragraph) is not made to look as if it did less."""
    titles_only: int = 0
    """Reports whose every row is a heading or caption (a report of titles only): with them, in no count of reports
    (:attr:`reports` has them not), which :meth:`summary` says."""
    year_only_dates: int = 0
    """Rows whose date is a year or a quarter alone (no month): not in the monthly trend; grouped by a
    period the date does not give (a year by month or quarter, a quarter by month) they are unreadable
    dates (``on_error="skip"``: in :data:`MISSING`, also counted in ``unreadable_dates``)."""
    stale: int = 0
    """Review decisions the rows counted hold on paragraphs whose text was edited after them (their
    ``reviewed_sha`` is another text's: the :data:`tagger.data.tagged.STALE` column
    :func:`tagger.data.tagged.read_tagged` adds, which names them in a warning): counted with the model's labels."""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    keys: pd.DataFrame | None = field(default=None, repr=False)
    """Every counted row's group values (the ``by`` columns, as text), for the HTML report."""
    counted: np.ndarray | None = field(default=None, repr=False)
    """Which rows of the frame were counted (:func:`counted_rows`): the HTML report shows those."""
    first_unreadable: tuple[str, str] | None = None
    """The first date that could not be read (:attr:`GroupKeys.first_unreadable`), when some were skipped."""
    merged: dict[str, dict[str, list[tuple[str, int]]]] = field(default_factory=dict)
    """Group values written differently counted as one group: column → the group's shown spelling → every
    spelling with its rows, most rows first (:func:`merge_spellings`)."""
    columns_by: tuple[str, ...] = ()
    """The ``by`` names that are the file's own columns (a column named ``month`` too), not periods of the dates."""
    notes: list[str] = field(default_factory=list)
    """What the counts had to decide about the rows, one line each (:func:`corpus_stats` warns them; ``tagger stats``
    logs them): paragraph ids that repeat, reports whose rows disagree on a group value, dates with a UTC offset
    (:func:`offsets_note`), no ``kind`` column (headings counted as paragraphs), spellings of a group value counted
    as one (:func:`spelling_notes`, each spelling named)."""
    damaged: list[str] = field(default_factory=list)
    """Group names damaged by a save in an encoding that could not hold their characters (``?`` for each lost one:
    :func:`damaged_names_notes`), one line per column; also in :attr:`notes`, and on the HTML page."""
    offsets: dict[str, int] = field(default_factory=dict)
    """The UTC offsets the counted dates carry (``+00:00`` → paragraphs, most first): each such date is counted
    at the clock time written, not converted (:func:`offsets_note` says so)."""
    model: dict | None = None
    """The :func:`~tagger.model.persistence.provenance` record of the model that tagged the file, as the file
    carries it (:func:`tagger.data.tagged.model_record`; ``None``: the file has none); :meth:`model_line` says it."""

    files: list[str] = field(default_factory=list)
    """The files counted, when a frame of several (:func:`tagger.data.tagged.read_tagged_files`, its
    ``attrs["files"]``) was counted."""
    models: list[tuple[str, dict | None]] = field(default_factory=list)
    """Each counted file with its record, when several files were counted together (``tagger stats A B``; set with
    :meth:`set_models`): :meth:`model_line` names each file's model where they differ, and :func:`model_notes` warns."""

    def set_models(self, records: list[tuple[str, dict | None]]) -> None:
        """Record the model record of each counted file (``(file, record or None)``, in the order counted): ``model``
        is their record when all files carry the same model and thresholds (:func:`same_model`), else ``None``.

        Example:
            >>> s = CorpusStats("a.xlsx, b.xlsx", [], None, 0, 0, 0)
            >>> s.set_models([("a.xlsx", {"model_sha256": "ab", "thresholds": {"elderly_care": 0.4}}),
            ...               ("b.xlsx", {"model_sha256": "ab", "thresholds": {"elderly_care": 0.5}})])
            >>> s.model is None, s.model_line().startswith("different models: ")
            (True, True)
        """
        self.models = list(records)
        first = self.models[0][1] if self.models else None
        self.model = first if all(same_model(first, r) for _, r in self.models) else None

    def model_line(self) -> str:
        """One line naming the model that tagged the counted file, or saying that the file does not record it; for
        several files of different models (:meth:`set_models`), each model with the files it tagged.

        Example:
            >>> CorpusStats("t.jsonl", [], None, 0, 0, 0).model_line()
            'not recorded in the file (JSONL and CSV have no place for it; a .sqlite, .xlsx or .parquet file has it when tagger tag or tag_frame wrote it, not when an earlier tagger or another program did)'
        """
        from ..model.persistence import describe_provenance

        from ..data.tagged import file_names

        groups = model_groups(self.models)
        shown = file_names([f for f, _ in self.models])
        unknown = [shown[f] for f, r in self.models if r is None]
        if self.model is None and groups:
            said = "; ".join(f"{describe_provenance(record)} for {', '.join(shown[f] for f in names)}"
                             for record, names in groups)
            return (("different models: " if len(groups) > 1 else "") + said
                    + (f"; not recorded in {', '.join(unknown)}" if unknown else ""))
        if self.model is None:
            return (f"not recorded in the {'files' if len(self.models) > 1 else 'file'} (JSONL and CSV have no place "
                    "for it; a .sqlite, .xlsx or .parquet file has it when tagger tag or tag_frame wrote it, not when an "
                    "earlier tagger or another program did)")
        return describe_provenance(self.model)

    @property
    def dates_grouped(self) -> bool:
        """Whether a ``by`` name is a period of the dates (month, quarter, year), not a column of that name: rows
        without a readable date then form the group :data:`MISSING`."""
        return any(b in PERIODS and b not in self.columns_by for b in self.by)

    def summary(self) -> str:
        """One line: what was counted and how many paragraphs a person reviewed."""
        share = f" ({self.reviewed / self.paragraphs:.1%})" if self.paragraphs else ""
        nor = (f", nor {counted(self.titles_only, 'report')} that {'holds' if self.titles_only == 1 else 'hold'} "
               "nothing else" if self.titles_only else "")
        left = (f" ({counted(self.not_counted, 'heading or caption', 'headings and captions')}, which "
                f"{'carries' if self.not_counted == 1 else 'carry'} no label, not counted{nor})"
                if self.not_counted else "")
        text = (f"{counted(self.paragraphs, 'paragraph')} in {counted(self.reports, 'report')}{left}; "
                f"{self.reviewed:,} reviewed by a person{share}, counted with their labels")
        if self.stale:
            named = "named above" if self.stale <= 5 else "the first five of each file named above, --debug names all"
            text += (f"; {counted(self.stale, 'review decision')} made on a text edited since, counted with the "
                     f"model's labels ({named}: review {'it' if self.stale == 1 else 'them'} again)")
        if self.date_column and self.missing_dates:
            grouped = self.dates_grouped
            first = f", the first at {self.first_unreadable[1]}" if self.first_unreadable else ""
            text += (f"; {self.missing_dates:,} without a readable {self.date_column!r} "
                     f"({self.unreadable_dates:,} unreadable{first}) {'is' if self.missing_dates == 1 else 'are'} "
                     + (f"in group {MISSING!r} and not in the trend" if grouped else "not in the trend"))
        if self.date_column and self.offsets:
            offset = sum(self.offsets.values())
            text += (f"; {offset:,} with a UTC offset in {self.date_column!r} ({', '.join(self.offsets)}) "
                     f"{'is' if offset == 1 else 'are'} counted at the clock time written")
        if self.date_column and self.year_only_dates:
            text += (f"; {self.year_only_dates:,} with a year or quarter only in {self.date_column!r} "
                     f"(no month) {'is' if self.year_only_dates == 1 else 'are'} not in the trend")
        return text


# --------------------------------------------------------------------------- groups and dates
def _key(value) -> str:
    """A group value as text, without white space at its ends; missing values (also a cell of white space
    only) are :data:`MISSING`, and a real value that reads like it gets a leading ``'`` (see the module doc);
    label ids (a label column :func:`tagger.data.tagged.read_tagged` parsed) as a label cell
    (``elderly_care;volunteer_work``, ``none``).

    Example:
        >>> _key(("elderly_care", "volunteer_work")), _key(()), _key(None), _key(" "), _key(3.0), _key("Acme ")
        ('elderly_care;volunteer_work', 'none', '(missing)', '(missing)', '3', 'Acme')
        >>> _key("(missing)"), _key(" '(missing)")
        ("'(missing)", "''(missing)")
    """
    if isinstance(value, tuple) and all(v in LABELS for v in value):
        return format_label_cell(value)
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return MISSING
        return "'" + value if _LOOKS_MISSING.fullmatch(value) else value
    if is_missing(value):  # None, NaN, pandas' NA (a nullable column's gap), NaT
        return MISSING
    if isinstance(value, float) and value.is_integer():  # an integer column with gaps reads as float
        return str(int(value))
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


_NO_GLYPH = re.compile("[\ufe00-\ufe0f\u034f\U000e0100-\U000e01ef]")
"""Characters that change no glyph of a name in these outputs besides those
:func:`tagger.text.normalize.remove_invisible` removes: variation selectors (``国网甲市\ufe0f供电公司``) and the
combining grapheme joiner."""


def _unseen_removed(value: str) -> str:
    """``value`` without the characters a reader does not see (:func:`tagger.text.normalize.remove_invisible` and
    :data:`_NO_GLYPH`)."""
    from ..text.normalize import remove_invisible

    return _NO_GLYPH.sub("", remove_invisible(value))


def _spelling_form(values: list[str]) -> list[str]:
    """What two spellings of one group value share: invisible characters removed (zero-width space, soft hyphen,
    BOM …: :func:`tagger.text.normalize.remove_invisible`, as the model's normaliser removes them; a variation
    selector), width (NFKC)
    and script (:func:`tagger.text.normalize.to_simplified`) made alike, white space removed — nothing else (the
    model's normaliser also drops a bracketed letter and digit after a Chinese character as pinyin, which would
    make 幸福小区(a1) and 幸福小区(a2) one).

    A value of nothing but such characters (``"\\x1b"``) is a spelling of no other: its form is itself, marked
    with a NUL (which no other form holds), not the empty form all of them would share.

    Example:
        >>> _spelling_form(["国网\u200b甲市", "\ufeff國網 甲市", "国网甲市(a1)", "国网\ufe0f甲市"])
        ['国网甲市', '国网甲市', '国网甲市(a1)', '国网甲市']
        >>> _spelling_form(["\\x1b", "\\x7f"])
        ['\\x00\\x1b', '\\x00\\x7f']
    """
    import unicodedata

    from ..text.normalize import to_simplified

    forms = ["".join(v.split())
             for v in to_simplified([unicodedata.normalize("NFKC", _unseen_removed(v)) for v in values])]
    return [form or "\x00" + value for form, value in zip(forms, values)]


def merge_spellings(keys: pd.Series) -> tuple[pd.Series, dict[str, list[tuple[str, int]]]]:
    """Group values (:func:`_key`'s text) that are the same but for script, width, white space and invisible
    characters (:func:`_spelling_form`) made one value: the spelling most rows have among those that show what they
    hold — no invisible character, no-break space or run of spaces — (on a tie, the first in :func:`_natural_key`
    order), a name some rows hold as written (a shared "tidy" form would be a name no row has,
    and script conversion is lossy: 乾县 is no 干县). :data:`MISSING` stays itself. Two corpora counted apart (two
    months) may thus name a group differently; counted together (``tagger stats JAN.jsonl FEB.jsonl``) it has one.

    Returns:
        (the values merged, {shown spelling: [(spelling, rows), ...] most rows first} for each merged group)

    Example:
        >>> import pandas as pd
        >>> merged, spellings = merge_spellings(pd.Series(["国网 甲", "國網甲", "国网甲", "国网甲", "国网乙"]))
        >>> merged.tolist()
        ['国网甲', '国网甲', '国网甲', '国网甲', '国网乙']
        >>> spellings
        {'国网甲': [('国网甲', 2), ('国网 甲', 1), ('國網甲', 1)]}
        >>> merge_spellings(pd.Series(["国网\u200b甲"] * 3 + ["国网甲"]))[0].tolist()  # the look-alike is not shown
        ['国网甲', '国网甲', '国网甲', '国网甲']
    """
    counts = keys[keys != MISSING].value_counts(sort=False)
    if len(counts) < 2:
        return keys, {}
    values = [str(v) for v in counts.index]
    by_form: dict[str, list[tuple[str, int]]] = {}
    for value, form, n in zip(values, _spelling_form(values), counts.tolist()):
        by_form.setdefault(form, []).append((value, int(n)))
    spellings, rename = {}, {}
    for found in by_form.values():
        if len(found) > 1:
            # a spelling that shows what it holds (no invisible character, no odd space) first: the shown name
            found.sort(key=lambda vn: (vn[0] != _as_seen(vn[0]), -vn[1], _natural_key(vn[0])))
            shown = found[0][0]
            spellings[shown] = found
            rename.update((value, shown) for value, _ in found[1:])
    if not rename:
        return keys, {}
    return keys.map(lambda v: rename.get(v, v)), dict(sorted(spellings.items(), key=lambda kv: _natural_key(kv[0])))


def _as_seen(value: str) -> str:
    """``value`` as a reader sees it in the terminal or on the HTML page: without the characters that show nothing
    (:func:`_unseen_removed`), each run of white space (a no-break or ideographic space too) one space."""
    return " ".join(_unseen_removed(value).split())


def shown_names(values: Iterable[str]) -> dict[str, str]:
    """How to show the group values of one column that would look like another (counted apart with
    ``--keep-spellings``, they are one group when merged, :func:`_spelling_form`: ``国网甲`` and ``国网\\u200b甲``,
    ``国网 甲`` and ``国网\\xa0甲``, one space and two, ``\\x1b`` and ``\\x7f``): each with what a reader does not see
    as ``<U+XXXX>`` — invisible characters, variation selectors, white space other than one plain space (a no-break
    space, a second space), and any ``<`` (``国网<U+200B>甲``) — so that no two names shown look alike
    (:func:`_as_seen`); in every name, control characters, bidi overrides and isolates, tabs and line feeds too
    (:func:`tagger.common.terminal.name_safe`: an override would turn the line or the page's row around);
    ``{value: shown}`` for the values shown otherwise than written: the one way a name is shown in the terminal
    table, the warnings (:func:`spelling_notes`) and the HTML page. The group keys stay as they
    are: this is how the terminal and the HTML page show them (the data outputs hold the values as written).

    Example:
        >>> shown_names(["国网甲", "国网\u200b甲", "国网乙", "\x1b", "\x7f", "国网 乙", "国网\xa0乙", "国网  乙"])
        {'国网\\u200b甲': '国网<U+200B>甲', '\\x1b': '<U+001B>', '\\x7f': '<U+007F>', '国网\\xa0乙': '国网<U+00A0>乙', '国网  乙': '国网 <U+0020>乙'}
        >>> shown_names(["ABC\u202eXYZ", "A"])
        {'ABC\\u202eXYZ': 'ABC<U+202E>XYZ'}
        >>> shown_names(["ABC\u202eXYZ", "ABC<U+202E>XYZ"])  # the one written so shows its "<" as an escape
        {'ABC\\u202eXYZ': 'ABC<U+202E>XYZ', 'ABC<U+202E>XYZ': 'ABC<U+003C>U+202E>XYZ'}
    """
    def visible(value: str) -> str:  # as seen (_as_seen gives it back unchanged), and another value's never
        last = len(value) - 1
        return "".join(f"<U+{ord(c):04X}>" if c == "<" or not _unseen_removed(c) or c.isspace() and (
            c != " " or i in (0, last) or value[i - 1].isspace()) else c for i, c in enumerate(value))

    values = list(dict.fromkeys(values))
    # a name holding what no terminal line or page row may show raw (a control, a bidi override: name_safe) is
    # shown with all it holds unseen escaped, look-alike or not
    shown = {v: visible(v) if name_safe(v) != v else v for v in values}
    forms: dict[tuple[int, str], list[str]] = {}  # one group when merged, or already seen alike ("\\x1b" and " ")
    for value, form in zip(values, _spelling_form(values)):
        forms.setdefault((0, form), []).append(value)
        forms.setdefault((1, _as_seen(value)), []).append(value)
    alike = {v for group in forms.values() if len(group) > 1 for v in group}
    escaped: set[str] = set()
    while True:  # an escaped name may be another value as written ('a<U+200B>b', or 'ABC<U+202E>XYZ' beside
        escaped |= alike  # 'ABC\u202eXYZ', escaped as it holds an override): that one is escaped too
        shown.update((v, visible(v)) for v in alike)
        seen: dict[str, list[str]] = {}
        for value, name in shown.items():
            seen.setdefault(_as_seen(name), []).append(value)
        alike = {v for group in seen.values() if len(group) > 1 for v in group}
        if not alike - escaped:
            break
    return {v: name for v, name in shown.items() if name != v}


def show_groups(stats: CorpusStats, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (a table of ``stats``) with its group columns as the terminal shows them (:func:`shown_names`: names that
    would look alike, with their invisible characters as ``<U+XXXX>``); ``frame`` itself when none would.

    Example:
        >>> import pandas as pd
        >>> s = CorpusStats("t.csv", ["company"], None, 2, 2, 0, tables={"pivot": pd.DataFrame({"company": ["A", "A\u00ad"]})})
        >>> show_groups(s, s.tables["pivot"])["company"].tolist()
        ['A', 'A<U+00AD>']
    """
    pivot = stats.tables.get("pivot")
    if pivot is None:
        return frame
    names = {b: shown_names(v for v in pivot[b].tolist() if isinstance(v, str)) for b in stats.by if b in frame}
    names = {b: n for b, n in names.items() if n}
    if not names:
        return frame
    frame = frame.copy()
    for b, shown in names.items():
        frame[b] = frame[b].map(lambda v, shown=shown: shown.get(v, v) if isinstance(v, str) else v)
    return frame


def spelling_notes(stats: CorpusStats) -> list[str]:
    """One line per group column whose values were merged (:func:`merge_spellings`), naming every spelling.

    Example:
        >>> s = CorpusStats("t.csv", ["company"], None, 3, 2, 0, merged={"company": {"国网甲": [("国网甲", 2), ("國網甲", 1)]}})
        >>> spelling_notes(s)
        ["company: 2 spellings counted as one group '国网甲' (the same after normalising script, width, white space and invisible characters): '国网甲' (2 paragraphs), '國網甲' (1)"]
    """
    notes = []
    for column, groups in stats.merged.items():
        parts = []
        for group, found in groups.items():  # each spelling as the table would show it (shown_names: <U+200B>)
            names = shown_names(v for v, _ in found)
            parts.append(f"{len(found)} spellings counted as one group '{names.get(group, group)}' (the same after "
                         "normalising script, width, white space and invisible characters): " + ", ".join(
                             f"'{names.get(v, v)}' ({counted(n, 'paragraph') if i == 0 else n})"
                             for i, (v, n) in enumerate(found)))
        notes.append(f"{column}: " + "; ".join(parts))
    return notes


LOCAL_OFFSET = "+08:00"
"""The UTC offset of the reports' local time (Beijing): dates that all carry it are in local time already."""


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LOST = re.compile(rf"[{_HAN}]\?|\?[{_HAN}]|\A\s*\?{{2,}}[?\s]*\Z")
"""A ``?`` where characters were lost: beside a Chinese character (国网邯郸供电公司?, 国网??供电公司), or a name of
``?`` only (every character lost)."""

_NAMED_DAMAGED = 5


def damaged_names_notes(df: pd.DataFrame, by: Sequence[str], merge: bool = True) -> list[str]:
    """One line per group column of ``df`` (a column named in ``by``) holding names damaged by a save in an encoding
    that could not hold their characters: each lost character is a ``?`` (a GBK or ANSI save in Excel or Notepad
    writes 国网??供电公司), so the name is a group of its own beside the whole one. The names (the first five; every
    one in a debug message), their rows, the likely cause and what to do are said; the groups are not merged (which
    name was meant is a guess).
    A ``？`` (full-width) is Chinese punctuation, and a ``?`` among Latin letters a question: neither is taken for one.
    An invisible character beside the ``?`` does not hide it; spellings the counts merge (``merge``:
    :func:`merge_spellings`) are one name, shown as the spelling most of its rows have.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"report": list("abcdef"),
        ...                    "company": ["国网邯郸供电公司", "国网邯郸供电公司?", "国网??供电公司", "国网??供电公司", "谁？", "Q?"]})
        >>> print(damaged_names_notes(df, ["company", "month"])[0])
        company: 2 names have '?' where characters were lost ('国网??供电公司' (2 reports, 2 rows), '国网邯郸供电公司?' (1 report, 1 row)), each counted as a group of its own: a file saved in an encoding that could not hold those characters (GBK or ANSI in Excel or Notepad) writes '?' for each; export the reports again as UTF-8 (CSV UTF-8, or .xlsx) and tag them again (the names are not merged here: which one was meant is not known)
    """
    from collections import Counter

    notes = []
    for column in dict.fromkeys(by):
        if column not in df.columns:  # a period of the dates
            continue
        values = df[column].tolist()
        spellings = Counter(v for v in values if isinstance(v, str) and _LOST.search(_unseen_removed(v)))
        if not spellings:
            continue
        lost = list(spellings)
        name_of = dict(zip(lost, _spelling_form(lost) if merge else lost))  # a spelling → its name, as counted
        shown: dict[str, str] = {}  # a name → its spelling most rows have (the first on a tie)
        for spelling, _ in spellings.most_common():
            shown.setdefault(name_of[spelling], spelling)
        found: Counter[str] = Counter()
        for spelling, n in spellings.items():
            found[shown[name_of[spelling]]] += n
        reports: dict[str, set] = {}
        if "report" in df.columns:
            for value, report in zip(values, df["report"].tolist()):
                if value in spellings:
                    reports.setdefault(shown[name_of[value]], set()).add(report)
        names = shown_names(found)
        top = found.most_common()
        said = [f"'{names.get(v, v)}' ({counted(len(reports.get(v, ())), 'report') + ', ' if reports else ''}"
                f"{counted(n, 'row')})" for v, n in top]
        listed = ", ".join(said[:_NAMED_DAMAGED])
        more = ""
        if len(top) > _NAMED_DAMAGED:  # --debug: every one, to find and correct them
            more = f" and {len(top) - _NAMED_DAMAGED} more: tagger --debug stats names them all"
            log.debug("all %d names in %s with '?' where characters were lost: %s", len(top), column, ", ".join(said))
        notes.append(f"{column}: {counted(len(top), 'name')} {'has' if len(top) == 1 else 'have'} '?' where characters "
                     f"were lost ({listed}{more}), each counted as a group of its own: a file saved in an encoding "
                     "that could not hold those characters (GBK or ANSI in Excel or Notepad) writes '?' for each; "
                     "export the reports again as UTF-8 (CSV UTF-8, or .xlsx) and tag them again (the names are not "
                     "merged here: which one was meant is not known)")
    return notes


def offsets_note(offsets: Mapping[str, int], column: str | None, rows: str = "paragraphs") -> str | None:
    """The warning that dates with a UTC offset (``offsets``: offset → ``rows`` whose date in ``column`` carries it,
    as :func:`month_and_offset` reads them; :attr:`CorpusStats.offsets`) count at the clock time written: the one
    sentence of ``tagger stats`` (and the HTML page's notes) and of ``tagger tag``'s ``.sqlite`` ``date_month``.
    ``None`` when there is nothing to warn of: no offset, or every one :data:`LOCAL_OFFSET` (Beijing time, the local
    time of these reports: its clock time is the local time).

    Example:
        >>> offsets_note({"+00:00": 12, "+08:00": 2}, "date")[:78]
        "14 of the paragraphs' dates in 'date' carry a UTC offset (12 +00:00, 2 +08:00)"
        >>> offsets_note({}, "date"), offsets_note({"+08:00": 5}, "date", rows="reports")
        (None, None)
    """
    if not offsets or set(offsets) == {LOCAL_OFFSET}:
        return None
    n = sum(offsets.values())
    return (f"{n:,} of the {rows}' dates in {column!r} {'carries' if n == 1 else 'carry'} a UTC offset ("
            + ", ".join(f"{k:,} {offset}" for offset, k in offsets.items())
            + "): each is counted at the clock time written, not converted (2023-12-31T16:30:00+00:00 is in 2023-12, "
              f"though it is 2024-01-01 00:30 in Beijing); convert such dates to local time ({LOCAL_OFFSET}) before "
              "tagging to count them in the months, quarters and years of local time")


def same_model(a: dict | None, b: dict | None) -> bool:
    """Whether two model records (:func:`~tagger.model.persistence.provenance`, as files carry them) say the same
    model decided the labels: no :func:`~tagger.model.persistence.record_differences` either way (the same ``.npz``
    by sha256, thresholds, scoring settings, user words and word lists), whatever its file was called; two missing
    records are the same (nothing is known), a missing one and a known one are not.

    Example:
        >>> same_model({"model_sha256": "ab", "model_file": "a.npz"}, {"model_sha256": "ab", "model_file": "b.npz"})
        True
        >>> same_model({"model_sha256": "ab"}, None), same_model(None, None)
        (False, True)
    """
    from ..model.persistence import record_differences

    if a is None or b is None:
        return a is None and b is None
    return a.get("model_sha256") == b.get("model_sha256") and not record_differences(a, b) \
        and not record_differences(b, a)


def model_groups(models: list[tuple[str, dict | None]]) -> list[tuple[dict, list[str]]]:
    """The files of ``models`` (``(file, record or None)``) that record a model, grouped by model
    (:func:`same_model`), in the order the files came: ``[(record, [file, …]), …]``.

    Example:
        >>> model_groups([("a", {"model_sha256": "ab"}), ("b", None), ("c", {"model_sha256": "ab"})])
        [({'model_sha256': 'ab'}, ['a', 'c'])]
    """
    groups: list[tuple[dict, list[str]]] = []
    for f, r in models:
        if r is None:
            continue
        for record, names in groups:
            if same_model(record, r):
                names.append(f)
                break
        else:
            groups.append((r, [f]))
    return groups


def model_notes(stats: CorpusStats) -> list[str]:
    """A note when several counted files were tagged by different models, or one ``.npz`` with other thresholds
    (both recorded): a change between the files' counts may then be the models' difference, not the work's.

    Example:
        >>> s = CorpusStats("a.xlsx, b.xlsx", [], None, 0, 0, 0)
        >>> s.set_models([("a.xlsx", {"model_sha256": "ab"}), ("b.xlsx", {"model_sha256": "cd"})])
        >>> model_notes(s)[0][:60]
        'the files were tagged by different models or thresholds (a.x'
    """
    from ..model.persistence import describe_provenance

    from ..data.tagged import file_names

    groups = model_groups(stats.models)
    if len(groups) < 2:
        return []
    shown = file_names([f for f, _ in stats.models])
    said = "; ".join(f"{', '.join(shown[f] for f in names)}: {describe_provenance(record)}"
                     for record, names in groups)
    return [f"the files were tagged by different models or thresholds ({said}): their counts mix the models' "
            "decisions, so a difference between the files may be the models', not the work's; for counts that "
            "compare, tag them again with one model (tagger tag FILE ... -o all.jsonl: review decisions come along)"]


def parse_date(value: object) -> pd.Timestamp | None:
    """A date cell as a ``pandas.Timestamp`` at the clock time it was written (a UTC offset, ``+08:00``, is
    dropped and its clock time kept: :func:`utc_offset` says which cells carry one; the offset is read alike after
    any date and time, :func:`_offset_of`, and a time range, ``8:00-10:00``, is refused, not read as a time and an
    offset), ``None`` when empty.

    Read: ISO ``2023-05-06`` (with a time, ``2023-05-06 10:20``), ``2023/5/6``, ``20230506``, ``2023年5月6日``
    (``2023年5月6日 10:20``, ``10时20分``, ``10点``, ``8点半``; with 点/时 the numbers in Chinese numerals too: ``八点``,
    ``下午三点半``, ``十二时``, ``十点零五分``), ``2023年5月`` and ``2023年5月份``, ``2023.10`` and
    ``2023.9`` (a month written with a dot, as text or as a number: a number as the text it shows), times with
    ``上午``/``下午`` or AM/PM (``2023/12/31 下午 11:30:00``, the Chinese Windows/.NET export) and with ``晚上``,
    ``凌晨``, ``中午``, ``傍晚``, ``早上`` (``2023年12月31日晚上8点`` is 20:00, ``凌晨2时30分`` 02:30; the date is the one
    written: ``12月31日晚上12点`` is 00:00 of 12月31日, as ``上午 12:30`` is half past its midnight), full-width
    digits and punctuation in every form (``２０２３－１２－３１``). A year alone is read as its January 1st, a
    quarter (``2024-Q2``, ``2024年第二季度``) as its first day (:func:`year_only` and :func:`quarter_only` tell
    such cells apart).

    Not read, each with its reason: ``2023.1``, as text or as a number (January, or October typed ``2023.10`` and
    stored as a number, its 0 lost? a cell's number format is not read: write such months as text, 2023-10), a dot and no month (``2023.13``, ``2023.20``), ``45291.75`` (an Excel
    date number with a time), a numeric date with the year last (``03/04/2024``: day first or
    month first?), 5 to 7 or 9 and more digits (an Excel date number, a time stamp, a two-digit year).

    Raises:
        ValueError: the cell is not a date; the message says why, in words for the person who wrote it.

    Example:
        >>> parse_date("2023-05-06").date(), parse_date("2023年5月").date(), parse_date(20230506).date()
        (datetime.date(2023, 5, 6), datetime.date(2023, 5, 1), datetime.date(2023, 5, 6))
        >>> str(parse_date("2023/12/31 下午 11:30:00")), str(parse_date("２０２３－１２－３１"))
        ('2023-12-31 23:30:00', '2023-12-31 00:00:00')
        >>> parse_date(""), parse_date(None)
        (None, None)
        >>> parse_date("03/04/2024")
        Traceback (most recent call last):
        ...
        ValueError: a numeric date with the year last is not read: day-first and month-first dates look alike
        >>> parse_date("240312")
        Traceback (most recent call last):
        ...
        ValueError: 6 digits: a year and month (write 2023-05 for May 2023), an Excel date number, a time stamp or a two-digit year?
        >>> str(parse_date(2023.9)), str(parse_date("2023年12月31日晚上8点"))
        ('2023-09-01 00:00:00', '2023-12-31 20:00:00')
        >>> str(parse_date("2023年12月31日下午三点半")), str(parse_date("2023年12月31日 23:30 UTC+8"))
        ('2023-12-31 15:30:00', '2023-12-31 23:30:00')
        >>> parse_date(2023.1)
        Traceback (most recent call last):
        ...
        ValueError: January, or October written 2023.10 that lost its 0 as a number (in Excel or JSON)? write 2023-01 or 2023-10
    """
    return _read_date(value)[0]


def utc_offset(value: object) -> str | None:
    """The UTC offset a date cell carries (``+08:00``; ``+00:00`` for ``Z``), which :func:`parse_date` drops
    (it keeps the clock time as written); ``None`` for a cell without one.

    Raises:
        ValueError: the cell is not a date (:func:`parse_date`).

    Example:
        >>> utc_offset("2023-12-31T16:30:00Z"), utc_offset("2024-01-01T00:30:00+08:00"), utc_offset("2024-01-01")
        ('+00:00', '+08:00', None)
        >>> utc_offset("2023-12-31 23:30 UTC+8"), utc_offset("2023-12-31 23:30 GMT-05:30")  # as people write it
        ('+08:00', '-05:30')
        >>> utc_offset("2023年12月31日 23:30 UTC+8"), utc_offset("2023年12月31日晚上8点+08:00")  # after any time read
        ('+08:00', '+08:00')
    """
    return _read_date(value)[1]


def _date_text(value: object) -> str:
    """A date cell's text as the readers of dates see it: without the characters that show nothing (a zero-width
    space or BOM copied from a web page: :func:`tagger.text.normalize.remove_invisible`, as group values and the
    model's text are compared), NFKC (full-width digits and punctuation made ASCII, the ideographic space a space),
    no white space at its ends."""
    import unicodedata

    from ..text.normalize import remove_invisible

    return unicodedata.normalize("NFKC", remove_invisible(str(value))).strip()


def _decimal_reason(sign: str, whole: str, decimals: str) -> str:
    """Why a decimal number (``2023.1``: ``whole`` ``2023``, ``decimals`` ``1``; a cell's text, or a number's shortest
    form, as a CSV copy of its General cell holds it) is no month: only 2023.1 stands for two (January, or October typed 2023.10 and stored as the
    number 2023.1, its 0 lost); 2023.2 is February (2023.20 is no month), 2023.12 December."""
    if sign:
        return "a signed number, not a date"
    if len(whole) == 5:
        return (f"an Excel date number with a {'time' if decimals.strip('0') else 'decimal part'} (days since "
                "1900, the time as a fraction of a day): give the column a date format in Excel before saving, or "
                "write the date as YYYY-MM-DD (2023-12-31, with a time 2023-12-31 10:20)")
    if len(whole) == 4 and len(decimals) <= 2:
        month = int(decimals)
        if decimals == "1":
            return (f"January, or October written {whole}.10 that lost its 0 as a number (in Excel or JSON)? write "
                    f"{whole}-01 or {whole}-10")
        if decimals == "0":  # 2023.0: a year as pandas' to_csv writes it
            return f"no month 0 (the year {whole} written as a decimal? {_PANDAS_FLOAT})"
        return f"no month {month}"
    if not decimals.strip("0"):  # 20230501.0
        return f"a whole number written as a decimal ({_PANDAS_FLOAT})"
    return "a decimal number, not a date"


_PANDAS_FLOAT = ("pandas' to_csv writes a column of whole numbers with gaps so: .astype('Int64') before to_csv keeps "
                 "them whole")


class WrongWeekday(ValueError):
    """A date cell whose day of the week is not its date's: ``reason`` says which, ``fix`` what to do (not "write
    dates as YYYY-MM-DD": the date may be right and the day wrong).

    Example:
        >>> print(WrongWeekday("2023-05-06 is a Saturday (星期六), not 星期五 as written"))
        2023-05-06 is a Saturday (星期六), not 星期五 as written: correct the date, or remove or correct the day of the week
    """

    fix = "correct the date, or remove or correct the day of the week"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{reason}: {self.fix}")


def _read_date(value: object) -> tuple[pd.Timestamp | None, str | None]:
    """:func:`parse_date` and :func:`utc_offset` in one reading: (the timestamp, its UTC offset's text)."""
    import datetime

    import pandas as pd

    weekday = None  # a day of the week written after the date (_WEEKDAY)
    if is_missing(value):
        return None, None
    if isinstance(value, (datetime.date, pd.Timestamp)):
        ts = pd.Timestamp(value)
    else:
        if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral)):
            number = float(value)
            if not math.isfinite(number):
                raise ValueError("not a number a date is written as")
            # a number with a decimal part is read as the text a CSV copy of its General cell holds: its shortest
            # form (2023.9; 2023.10 typed in a cell is the number 2023.1, refused: its number format is not read)
            value = int(number) if number.is_integer() else repr(number)
        text = _date_text(value)
        if not text:
            return None, None
        if (day := _WEEKDAY.search(text)) and day.start() > 0:  # 2023年5月6日 星期六 (10:20): checked once read
            weekday, date, time = "".join((day["a"] or day["b"]).split()), text[:day.start()], text[day.end():]
            if _NO_DAY.fullmatch(date):
                raise ValueError(f"a day of the week ({weekday}) after a date without its day")
            text = f"{date} {time}" if time else date
        decimal = _DECIMAL.fullmatch(text)
        if decimal and (decimal[1] or len(decimal[2]) != 4 or len(decimal[3]) > 2 or decimal[3] == "1"
                        or not 1 <= int(decimal[3]) <= 12):
            raise ValueError(_decimal_reason(*decimal.groups()))
        if decimal:  # 2023.10, 2023.9: a month written with a dot (pandas reads 2023.13 as January)
            text = f"{decimal[2]}-{int(decimal[3]):02d}"
        whole = text  # with its time: a range's end after a space (3:00 PM ~ 4:00 PM) is split off as the time
        text, time = _split_time(text)
        offset = ""
        z = _OFFSET_TAIL.search(text) if time is None else None
        # a range that ends in a time no offset is written as (9:00-10:00 AM), offset or not
        if chain := _TIME_CHAIN.search(whole):  # 3:00-4:00-5:00: read as 03:00 at UTC-05:00 before
            raise _range_error(chain[0].strip())
        _refuse_range(whole[:z.start()] if z else whole)
        if z:  # a time and a UTC offset: the time as without one
            before = text[:z.start()]
            t = _TIME_TAIL.search(before)  # matched once: the time split off, then the offset checked after it
            date, time = _split_time(before, t) if t else (before, None)
            if time is not None:
                text, offset = date, _offset_of(z, t, time)
            elif z["name"]:  # a time this does not split (20231231T102030 UTC+8) or none, left to pandas, which
                text = f"{before} {_offset_of(z)}"  # would read UTC+8 with POSIX's sign (-08:00)
            elif z["sign"] == "-" and (h := _HOUR_START.search(before)) and (h["pre"] or h["post"]) and (
                    before[:h.start()].strip()):  # 3PM-4: a 12-hour clock, on which a minus ends a range
                first = before[h.start():].strip()  # (was read by pandas as 15:00 at UTC-04:00)
                raise _range_error(f"{first}{z[0].strip()}", f"; a UTC offset is written after UTC ({first} "
                                                             f"UTC{_offset_of(z)})")
        m = _CJK_DATE.fullmatch(text)
        q = _QUARTER.fullmatch(text) if time is None else None
        if m:
            text = "-".join(g for g in m.groups() if g)
        elif q:  # read here: pandas' own reading of quarters is deprecated
            text = f"{q[1]}-{3 * _QUARTER_DIGITS[q[2] or q[3]] - 2:02d}-01"
        if time is not None:
            if _YEAR_ONLY.fullmatch(text) or q:
                raise ValueError("a time after a year or quarter without its day")
            text = f"{text} {time}{offset}"
        if text.isdigit() and len(text) not in (4, 8):  # 2024 and 20240312 read; 240312 would be a guess
            raise ValueError(f"{len(text)} digits: " + ("a year and month (write 2023-05 for May 2023), "
                                                         if len(text) == 6 else "")
                             + "an Excel date number, a time stamp or a two-digit year?")
        if not re.search(r"[0-9]{4}", text):
            raise ValueError("no four-digit year")
        if _YEAR_LAST.fullmatch(text):
            raise ValueError("a numeric date with the year last is not read: day-first and month-first dates "
                             "look alike")
        try:
            ts = pd.Timestamp(text)
        except Exception:  # pandas' messages are for programmers (and may quote the cell, in pieces)
            raise ValueError(_unread_reason(text)) from None
    if ts is pd.NaT or ts != ts:
        return None, None
    if ts.year < 1:  # "0000-01-01", a database's zero date: no year 0 in the calendar
        raise ValueError("year 0 is no year (a database's empty date?)")
    if weekday is not None and _WEEKDAY_NUMBER[weekday[-1]] != ts.weekday():
        raise WrongWeekday(f"{ts:%Y-%m-%d} is a {ts:%A} (星期{'一二三四五六日'[ts.weekday()]}), not {weekday} as written")
    if ts.tzinfo is None:
        return ts, None
    offset = ts.utcoffset()
    minutes = round(offset.total_seconds() / 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    return ts.tz_localize(None), f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _range_error(shown: str, hint: str = "") -> ValueError:
    """The refusal of a date cell that holds a time range (``shown``, as written), ``hint`` after it."""
    return ValueError(f"a time range ({shown})? a date cell holds one time: give that{hint}")


def _refuse_range(text: str) -> None:
    """Refuse ``text`` (NFKC, without a UTC offset at its end) when it ends in a time range: two times joined by a
    dash (:data:`_RANGE_DASHES`), the first a time of day (:data:`_TIME_TAIL`) or an hour alone (:data:`_HOUR_START`),
    the end a time (:data:`_RANGE_END`) — after a minus one no offset is written as (with a word for the part of the
    day, or 点/时: ``9:00-10:00 AM`` was read by pandas as 09:00 at UTC-10:00; the ranges whose end may be an offset,
    ``8:00-10:00``, are :func:`_offset_of`'s), and after an hour alone one of them names the part of the day or the
    end has minutes or 点/时 (``3~4`` is left alone). ``3-4 PM``, ``3PM-4PM``, ``下午3:00~4:00``, ``3:00–4:00 PM`` and
    ``下午3点至4点`` were refused as "time-zone names are not read" or "a form not read".

    Raises:
        ValueError: such a time range (:func:`_range_error`).

    Example:
        >>> _refuse_range("2023-12-31 9:00-10:00 AM")
        Traceback (most recent call last):
        ...
        ValueError: a time range (9:00-10:00 AM)? a date cell holds one time: give that
        >>> _refuse_range("2023-12-31 下午3点至4点")
        Traceback (most recent call last):
        ...
        ValueError: a time range (下午3点至4点)? a date cell holds one time: give that
        >>> _refuse_range("2023-12-31 PM"), _refuse_range("2023-12-31 15:00"), _refuse_range("2023-12-31 3~4")
        (None, None, None)
    """
    at = max(text.rfind(dash) for dash in _RANGE_DASHES)
    if at < 0:
        return
    before, dash, end = text[:at].rstrip(), text[at], text[at + 1:]
    r = _RANGE_END.fullmatch(end)
    if r is None or dash == "-" and not (r["pre"] or r["post"] or r["sep"] in ("时", "点") or end[:1].isspace()):
        return
    t = _TIME_TAIL.search(before)
    if t is None and (h := _HOUR_START.search(before)) is not None and (h["pre"] or h["post"] or r["pre"]
                                                                         or r["post"] or r["sep"]):
        t = h
    if t is not None and before[:t.start()].strip():
        raise _range_error(text[t.start():].strip())  # as written


def _offset_of(z: re.Match, t: re.Match | None = None, time: str | None = None) -> str:
    """The UTC offset :data:`_OFFSET_TAIL` matched (``z``), as ``+HH:MM``; ``t``: the time of day the text before it
    ends in, as :data:`_TIME_TAIL` matched it there, and ``time`` that time (``HH:MM:SS``, :func:`_split_time`), or
    ``None`` when it ends in none. Signed as people write it (``UTC+8`` is ``+08:00``; POSIX's sign is the other way).

    Raises:
        ValueError: no such offset (``+24``, ``+123``, ``+08:60``), or a time range: a bare minus sign and a
            time of day (``8:00-10:00``, ``9点-12``) later than the one before it, or any such time after one
            that names the part of the day (``下午3点-5``, ``下午 3:00-4:00``, ``晚上 11:00-12:00``, ``晚上
            11:00-1:00``, ``下午 3:00-02:00``: a 12-hour clock, on which people write ranges, not
            offsets); not after a time stamp (with seconds or after ``T``), never after UTC or GMT, and never
            with a plus sign (``2023-12-31 02:00+08:00`` is Beijing time: ranges are written with a dash).

    Example:
        >>> [_offset_of(_OFFSET_TAIL.search(t)) for t in ("10:20 UTC+8", "10:20+0530", "10:20-8:00", "10:20Z")]
        ['+08:00', '+05:30', '-08:00', '+00:00']
        >>> _offset_of(_OFFSET_TAIL.search("2023-12-31 8:00-10:00"), _TIME_TAIL.search("2023-12-31 8:00"), "08:00:00")
        Traceback (most recent call last):
        ...
        ValueError: a time range (8:00-10:00)? a date cell holds one time: give that; a UTC offset is written after \
UTC (8:00 UTC-10:00)
        >>> _offset_of(_OFFSET_TAIL.search("2023-12-31 15:00-04:00"), _TIME_TAIL.search("2023-12-31 15:00"), "15:00:00")
        '-04:00'
    """
    if z["zone"]:
        return "+00:00"
    v = re.fullmatch(r"([0-9]{1,2})(?::([0-9]{2}))?|([0-9]{2})([0-9]{2})", z["hm"])
    if v is None or int(v[1] or v[3]) > 23 or int(v[2] or v[4] or 0) > 59:
        raise ValueError(_NO_OFFSET)
    hours, minutes = int(v[1] or v[3]), int(v[2] or v[4] or 0)
    if t is not None and time is not None and not z["name"] and z["sign"] == "-" and not (
            t["s"] or t["s2"] or t["s3"] or t["cs"] or t["cs3"] or t[0][0] == "T"):
        # after a word for the part of the day the clock is a 12-hour one, on which people write ranges, not
        # minus offsets: any time after the minus ends a range, also one at or past midnight (晚上 11:00-12:00
        # and 晚上 11:00-1:00 were read as offsets, the end read as no later: 12 as noon, 1 as 1 a.m.)
        start = int(time[:2]) * 60 + int(time[3:5])
        if t["pre"] or t["post"] or hours * 60 + minutes > start:
            first = t.string[t.start():].strip()
            raise _range_error(f"{first}{z[0].strip()}", f"; a UTC offset is written after UTC ({first} "
                                                         f"UTC{z['sign']}{hours:02d}:{minutes:02d})")
    return f"{z['sign']}{hours:02d}:{minutes:02d}"


def _hour_of(word: str, hour: int) -> int | None:
    """The hour (0-23) of ``hour`` written after the word ``word`` for a part of the day (:data:`_DAY_PARTS`), ``None``
    when the word covers no such hour (``上午 13``, ``中午 8``, ``傍晚 1``, ``下午 0``). One rule for every word: the
    hour as written if the word covers it (``下午 15``, ``晚上 1``: the small hours), else an hour 1-11 twelve hours
    later (``晚上 5`` is 17:00, ``中午 1`` 13:00), else 12 as midnight (``上午 12:30`` is 00:30, as the Windows export
    writes it; ``晚上 12``). A time of day never moves its date: 晚上12点 and 晚上1点 are on the date written.

    Example:
        >>> [_hour_of(w, h) for w, h in (("上午", 12), ("下午", 3), ("晚上", 5), ("晚上", 12), ("凌晨", 2), ("中午", 1))]
        [0, 15, 17, 0, 2, 13]
        >>> _hour_of("傍晚", 1), _hour_of("下午", 0), _hour_of("中午", 8)
        (None, None, None)
    """
    hours = _DAY_PARTS[word]
    if hour in hours:
        return hour
    if 1 <= hour <= 11 and hour + 12 in hours:
        return hour + 12
    if hour == 12 and 0 in hours:
        return 0
    return None


def _split_time(text: str, t: re.Match | None = None) -> tuple[str, str | None]:
    """``text`` (NFKC) as its date and the time of day after it (:data:`_TIME_TAIL`: ``下午 11:30``, ``10时20分``,
    ``晚上8点``, ``晚8点``, ``8点半``, ``下午三点半``: Chinese numerals with 时/点 only) written ``HH:MM:SS`` (24 hours,
    on the date written: :func:`_hour_of`); ``(text, None)`` when it ends in no such time (a time with a UTC offset
    after it is left in the text: :func:`_read_date` splits the offset off first). ``t``: :data:`_TIME_TAIL`'s match
    in ``text``, where the caller has it.

    Raises:
        ValueError: no such time of day (``25:00``, ``上午 13:00``).

    Example:
        >>> _split_time("2023/12/31 下午 11:30:00"), _split_time("2023年12月31日10时5分"), _split_time("2023-05-06")
        (('2023/12/31', '23:30:00'), ('2023年12月31日', '10:05:00'), ('2023-05-06', None))
        >>> _split_time("2023年12月31日晚上8点"), _split_time("2023年12月31日凌晨2时30分")
        (('2023年12月31日', '20:00:00'), ('2023年12月31日', '02:30:00'))
        >>> _split_time("2023-12-31晚上8点"), _split_time("2023-12-31 早8点半")
        (('2023-12-31', '20:00:00'), ('2023-12-31', '08:30:00'))
        >>> _split_time("2023年12月31日下午三点半"), _split_time("2023年12月31日 十二时零五分")
        (('2023年12月31日', '15:30:00'), ('2023年12月31日', '12:05:00'))
        >>> _split_time("2023年12月31日十点二十秒"), _split_time("2023年12月31日10点20秒")
        (('2023年12月31日', '10:00:20'), ('2023年12月31日', '10:00:20'))
    """
    t = t or _TIME_TAIL.search(text)
    if t is None or not text[:t.start()].strip() or (t["sep"] == ":" and (t["ch"] or t["cm"] or t["cs"])):
        return text, None  # Chinese numerals only with 时/点 (八:30 is no time written)
    half = [h for h in (t["pre"], t["post"]) if h]
    hour = int(t["h"]) if t["h"] else _cn_number(t["ch"])
    seconds = t["cs"] or t["cs3"]  # 10点20秒, 十点二十秒: seconds without minutes
    second = t["s"] or t["s2"] or t["s3"] or (f"{_cn_number(seconds):02d}" if seconds else "00")
    minute = 30 if t["half"] else int(t["m"]) if t["m"] else _cn_number(t["cm"]) if t["cm"] else 0
    written = f"{t['h']}:{t['m'] or f'{minute:02d}'}" if t["h"] and not t["cm"] else f"{hour}:{minute:02d}"
    if len(half) > 1:
        raise ValueError(f"two times of day in one time: {half[0]} and {half[1]}")
    if half:
        hour = _hour_of(half[0], hour)
        if hour is None:
            raise ValueError(f"no such time of day: {half[0]} {written}")
    if hour > 23 or minute > 59 or float(second) >= 60:
        raise ValueError(f"no such time of day: {written}" + (f":{second}" if t["s"] or t["s2"] else ""))
    if len(second.split(".")[0]) < 2:
        second = "0" + second
    return text[:t.start()].strip(), f"{hour:02d}:{minute:02d}:{second}"


def _cn_number(written: str) -> int:
    """The value of a number 0-59 in Chinese numerals (:data:`_CN_NUMBER`).

    Example:
        >>> [_cn_number(w) for w in ("八", "两", "十", "十二", "二十三", "三十", "零五", "〇")]
        [8, 2, 10, 12, 23, 30, 5, 0]
    """
    tens, ten, ones = written.rpartition("十")
    if ten:
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS[written[-1]]  # 八, 零五: its last digit


def _unread_reason(text: str) -> str:
    """Why pandas could not read ``text`` (NFKC, times made 24 hours), in the words of the person who wrote it."""
    import calendar

    if (name := re.search(r"(?<![A-Za-z])[A-Za-z]{2,}\Z", text)) and name[0].upper() not in ("AM", "PM"):
        return "time-zone names are not read: give the local time"  # 25 PM is no time zone
    ymd = _YMD.match(text)
    if ymd:
        year, month, day = ymd[1], ymd[2] or ymd[4], ymd[3] or ymd[5]
        if month is not None and not 1 <= int(month) <= 12:
            return f"no month {int(month)}"
        if day is not None and not 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
            return f"no day {int(day)} in {year}-{int(month):02d}"
    if re.search(r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]*)?)?\s*[+-][0-9]", text):
        return "no such UTC offset (from -23:59 to +23:59, such as +08:00)"
    return "no such date, or a form not read (such as 2023-05-06 or 2023年5月6日 10:20)"


def month_of(value: object, strict: bool = False) -> str | None:
    """The month (``YYYY-MM``) tagger stats counts a date cell in (``--by month``, the monthly trend), read by
    :func:`parse_date`; ``None`` for an empty cell or a date without a month (a year or a quarter alone).

    Raises:
        ValueError: the cell is not a date (:func:`parse_date`); with ``strict``, also a year or a quarter
            alone (grouped by month, stats refuses those too).

    Example:
        >>> month_of("2022/6/1"), month_of("2022年11月3日"), month_of(20221105), month_of(""), month_of("2024-Q2")
        ('2022-06', '2022-11', '2022-11', None, None)
        >>> month_of("2024", strict=True)
        Traceback (most recent call last):
        ...
        ValueError: a year without a month
    """
    return month_and_offset(value, strict)[0]


def month_and_offset(value: object, strict: bool = False) -> tuple[str | None, str | None]:
    """:func:`month_of` and :func:`utc_offset` in one reading of the cell: the month tagger stats counts it in, at
    the clock time written, and the UTC offset it carries (``None``: none), which :func:`offsets_note` warns of.

    Raises:
        ValueError: as :func:`month_of`.

    Example:
        >>> month_and_offset("2023-12-31T16:30:00Z"), month_and_offset("2023-12-31")
        (('2023-12', '+00:00'), ('2023-12', None))
    """
    ts, offset = _read_date(value)
    if ts is None:
        return None, None
    for alone, what in ((year_only, "year"), (quarter_only, "quarter")):
        if alone(value):
            if strict:
                raise ValueError(f"a {what} without a month")
            return None, None
    return _period(ts, "month"), offset


def year_only(value: object) -> bool:
    """Whether a date cell is a year alone (``2024``, ``2024年``): a date without a month.

    Example:
        >>> year_only("2024"), year_only(2024), year_only("2024年"), year_only("2024-01"), year_only(20240101)
        (True, True, True, False, False)
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)):
        return False
    return _YEAR_ONLY.fullmatch(_date_text(value)) is not None


def quarter_only(value: object) -> bool:
    """Whether a date cell is a quarter (``2024-Q2``, ``2024Q2``, ``2024年第二季度``): a date without a month.

    Example:
        >>> quarter_only("2024-Q2"), quarter_only("2024年2季度"), quarter_only("2024-02"), quarter_only(2024)
        (True, True, False, False)
    """
    return isinstance(value, str) and _QUARTER.fullmatch(_date_text(value)) is not None


def _period(ts, period: str) -> str:
    if period == "month":
        return f"{ts.year:04d}-{ts.month:02d}"
    if period == "quarter":
        return f"{ts.year:04d}-Q{(ts.month - 1) // 3 + 1}"
    return f"{ts.year:04d}"


def _dates(df: pd.DataFrame, column: str, on_error: str, source: str,
           need: str | None = None) -> tuple[list, list[bool], int, int, tuple[str, str] | None, dict[str, int]]:
    """Each row's date (``None`` = missing), whether it has no month (a year or quarter alone), the number
    missing, the number unreadable (skipped), the first of those (the error it would be, and its
    ``line N: 'cell'``) and the UTC offsets the dates carry (offset → rows, most rows first). ``need``: the
    finest period grouped by (``month`` or ``quarter``); a date that does not give it (a year alone, or a quarter
    by month) is an unreadable date."""
    from collections import Counter

    from ..data.tagged import line_of

    parsed: dict = {}
    out, years, unreadable, first, offsets = [], [], 0, None, Counter()
    for index, value in zip(df.index, df[column]):
        try:
            hashable = value if not hasattr(value, "tolist") else repr(value)
            hash(hashable)
        except TypeError:
            hashable = repr(value)
        if hashable not in parsed:
            try:
                parsed[hashable] = _read_date(value)
            except ValueError as exc:
                parsed[hashable] = exc, None
        ts, offset = parsed[hashable]
        dated = ts is not None and not isinstance(ts, ValueError)
        only_year = dated and year_only(value)
        only_quarter = dated and not only_year and quarter_only(value)
        if only_year and need is not None:
            ts = ValueError("a year without a month; grouping by month or quarter needs the month")
        elif only_quarter and need == "month":
            ts = ValueError("a quarter without a month; grouping by month needs the month")
        if isinstance(ts, ValueError):
            place, row = _row_place(df, index, source)
            named = f"{place}: {column}" if row is None else f"{place}, column {column!r},"
            weekday = isinstance(ts, WrongWeekday)  # the date may be right: correct or remove the day of the week
            said = f"{named} is {quote_cell(value)}, not a date ({ts.reason if weekday else ts})"
            if on_error != "skip":
                raise SkippableError(said, WrongWeekday.fix if weekday else "write dates as YYYY-MM-DD (2023-05-06)",
                                     "count such rows as having no date")
            unreadable += 1
            if first is None:
                first = (said, f"{line_of(df, index) if row is None else row}: {quote_cell(value)}")
            ts = None
        elif offset is not None:
            offsets[offset] += 1
        out.append(ts)
        years.append(only_year or only_quarter)
    return out, years, sum(ts is None for ts in out), unreadable, first, dict(offsets.most_common())


def check_groups(columns: Collection[str], by: Sequence[str], date_column: str | None = None,
                 source: str = "") -> str | None:
    """Refuse what ``by`` and ``date_column`` ask of a tagged file with ``columns`` (its header will do: the
    rows need not be read); the date column the counts use: ``date_column``, else ``date`` when the file has
    it, else None.

    Raises:
        UsageError: a ``by`` name that is no column (the message lists the columns and the nearest name),
            named twice, or an output column's name, or a column only summary rows fill (``n_paragraphs``:
            :data:`~tagger.data.tagged.SUMMARY_ROW_COLUMNS`); a period without a date column; a ``date_column``
            that is no column.

    Example:
        >>> check_groups(["report", "company", "date"], ["company", "month"])
        'date'
        >>> check_groups(["report", "company"], ["compnay"], source="t.csv")
        Traceback (most recent call last):
        ...
        tagger.errors.UsageError: t.csv: no column 'compnay' to group by; columns are report, company (did you mean 'company'?)
    """
    import difflib

    by = list(by)
    twice = sorted({b for b in by if by.count(b) > 1})
    if twice:
        raise UsageError(f"--by {twice[0]} is given twice")
    taken = [b for b in by if b in RESERVED]
    if taken:
        raise UsageError(f"{source}: " * bool(source) + f"--by {taken[0]}: that name is an output column of tagger "
                         "stats; rename the column in the tagged file")
    from ..data.tagged import SUMMARY_ROW_COLUMNS, kept_columns

    summary = [b for b in by if b in columns and b in SUMMARY_ROW_COLUMNS]
    if summary:  # empty in every paragraph row: all of them would be one (missing) group, without a word
        kept = ", ".join(kept_columns(source, columns)) or "this file has none: tag with --keep-columns NAME"
        periods = " or a period of the dates (month, quarter, year)" if date_column or "date" in columns else ""
        raise UsageError(f"{source}: " * bool(source) + f"--by {summary[0]}: only the summary rows of tagger tag "
                         f"--summary fill that column, not the paragraphs stats counts (every one would be in the "
                         f"group {MISSING!r}); group by a column kept from the reports ({kept}){periods}")
    if date_column is None and "date" in columns:
        date_column = "date"
    if date_column is not None and date_column not in columns:
        raise UsageError(f"{source}: no date column {date_column!r}; columns are {_columns(columns, date_column)}")
    missing = [b for b in by if b not in columns and not (b in PERIODS and date_column)]
    if missing:
        hint = ""
        if missing[0] in PERIODS:  # a column of dates, if the file has any; else where dates come from
            hint = (" (a period needs --date-column COL)" if kept_columns(source, columns) else
                    " (the file has no date column: tag the reports from a table with a date column and "
                    "--keep-columns date; text files have none)")
        listed = _columns(columns, missing[0])
        period = _PERIOD_WORDS.get(missing[0].strip().lower()) or next(iter(
            difflib.get_close_matches(missing[0].strip().lower(), PERIODS, n=1)), None)
        if missing[0] not in PERIODS and date_column and period and "did you mean" not in listed:
            # hunt: --by years was told to tag again with --keep-columns years
            listed += f" (did you mean {period!r}, the {period} of the date column {date_column!r}?)"
        if missing[0] not in PERIODS and "did you mean" not in listed:  # user test: where would it come from?
            listed += (f"; a column of the reports is in the tagged file when tagging keeps it: tagger tag … "
                       f"--keep-columns {missing[0]}")
        raise UsageError(f"{source}: no column {missing[0]!r} to group by{hint}; columns are {listed}")
    return date_column


class GroupKeys(NamedTuple):
    """What :func:`group_keys` returns."""

    keys: pd.DataFrame
    date_column: str | None
    missing_dates: int
    """Rows without a readable date."""
    unreadable_dates: int
    """Rows with a date that cannot be read (skipped: ``on_error="skip"``, or dates read for the trend only)."""
    year_only_dates: int
    """Rows with a date without a month (a year or a quarter alone)."""
    merged: dict[str, dict[str, list[tuple[str, int]]]]
    """The spellings merged: column → :func:`merge_spellings`' groups."""
    first_unreadable: tuple[str, str] | None
    """The first unreadable date: the error it would be (``file:line: date is …, not a date (why)``) and
    ``line N: 'cell'``."""
    offsets: dict[str, int] = {}
    """The UTC offsets the dates carry (``+00:00`` → rows, most rows first): each such date is counted at the
    clock time written (:func:`parse_date`)."""


def group_keys(df: pd.DataFrame, by: Sequence[str], date_column: str | None = None, on_error: str = "fail",
               source: str = "", merge: bool = True) -> GroupKeys:
    """The group values of every row as text: one column per ``by`` name (periods derived from the date
    column unless the file has a column of that name; spellings of one value merged by :func:`merge_spellings`),
    plus, when there is a date column (``date_column``,
    else a column named ``date`` if the file has one, whatever ``by`` asks for), each row's month for the
    trend (column ``"\\x00month"``, ``None`` without a date).

    A date that is a year or a quarter alone has no month: grouped by a period it does not give (a year by
    month or quarter, a quarter by month) it is an unreadable date; it is never in the trend (``None`` there).

    Returns:
        :class:`GroupKeys`.

    Raises:
        UsageError: see :func:`check_groups`. InputError: an unreadable date (unless ``on_error="skip"``, or
            the dates are read only for the trend: the default ``date`` column and no period grouped by).
    """
    import pandas as pd

    # the default: the trend whenever the file has dates; read only for the trend (no period grouped by, no
    # --date-column), a date that cannot be read is left out of the trend with a count, never fatal
    trend_only = date_column is None and not any(b in PERIODS and b not in df.columns for b in by)
    date_column = check_groups(df.columns, by, date_column, source)
    for b in by:
        if b in PERIODS and b in df.columns and date_column:  # the file's own column wins; said, not silently
            log.warning("%s: --by %s counts the file's column %r, not the %s of the date column %r (rename that "
                        "column, or keep it out of the tagged file, to group by the %s of the dates)", source, b, b, b,
                        date_column, b)
    keys = pd.DataFrame(index=df.index)
    dates, years, n_missing, n_bad, first, offsets = None, [], 0, 0, None, {}
    if date_column is not None:
        asked = [b for b in by if b in _MONTH_PERIODS and b not in df.columns]
        need = "month" if "month" in asked else "quarter" if asked else None
        dates, years, n_missing, n_bad, first, offsets = _dates(df, date_column, "skip" if trend_only else on_error,
                                                                source, need)
    merged = {}
    for b in by:
        if b in df.columns:
            keys[b], spellings = merge_spellings(df[b].map(_key)) if merge else (df[b].map(_key), {})
            if spellings:
                merged[b] = spellings
        else:
            keys[b] = [MISSING if ts is None else _period(ts, b) for ts in dates]
    if dates is not None:
        keys["\x00month"] = [None if ts is None or only else _period(ts, "month") for ts, only in zip(dates, years)]
    return GroupKeys(keys, date_column, n_missing, n_bad, sum(years), merged, first, offsets)


def _columns(columns: Collection[str], asked: str) -> str:
    """The columns of a tagged file as a message lists them: not those :func:`tagger.data.tagged.read_tagged`
    adds, nor those only ``--summary``'s rows fill (``n_paragraphs``: refused as a group), with the one nearest to
    the name ``asked`` for, if one is near.

    Example:
        >>> _columns(["report", "company", "n_paragraphs", "effective_labels"], "compnay")
        "report, company (did you mean 'company'?)"
    """
    import difflib

    from ..data.tagged import DERIVED_COLUMNS, SUMMARY_ROW_COLUMNS

    names = [c for c in columns if c not in DERIVED_COLUMNS and c not in SUMMARY_ROW_COLUMNS]
    near = difflib.get_close_matches(asked, names, n=1)
    return ", ".join(names) + (f" (did you mean {near[0]!r}?)" if near else "")


# --------------------------------------------------------------------------- counting
def indicator(df: pd.DataFrame) -> np.ndarray:
    """0/1 matrix (paragraphs × labels) of the effective labels."""
    import numpy as np

    y = np.zeros((len(df), len(LABELS)), dtype=bool)
    col = {lab: j for j, lab in enumerate(LABELS)}
    for i, labels in enumerate(df["effective_labels"]):
        for lab in labels:
            y[i, col[lab]] = True
    return y


def _natural_key(key) -> tuple:
    """Sort key of a group (a value, or a tuple of them for several group columns): numbers inside text
    compare as numbers ('公司2' < '公司10'), other values keep their own order.

    Example:
        >>> sorted(["公司10", "公司2", "B", "a1"], key=_natural_key)
        ['B', 'a1', '公司2', '公司10']
    """
    parts = key if isinstance(key, tuple) else (key,)
    return tuple((1, tuple((0, int(t), "") if t.isdecimal() else (1, 0, t) for t in re.split(r"(\d+)", v) if t))
                 if isinstance(v, str) else (0, v) for v in parts)


def _tidy(keys: pd.DataFrame, names: list[str], report, reviewed, y, empty: Collection = ()) -> pd.DataFrame:
    """Counts per group (``names`` columns of ``keys``) × label, long. Without ``names`` (the corpus) a row per
    label however few rows there are: no rows at all (headings only, or none) count 0 of each, their shares empty
    (NaN: a share of no paragraphs is none). ``empty``: more groups (a value, or a tuple of them for several
    ``names``) that no row counted is in — those of headings and captions only (:func:`_uncounted_groups`) —, each
    with its rows of 0 too.

    Example:
        >>> import numpy as np, pandas as pd
        >>> no = np.zeros((0, len(LABELS)), bool)
        >>> t = _tidy(pd.DataFrame(), [], np.array([], dtype=object), np.zeros(0, bool), no)
        >>> t[["label", "paragraphs", "total_paragraphs"]].values.tolist()[0], len(t), bool(t.paragraph_share.isna().all())
        (['elderly_care', 0, 0], 5, True)
    """
    import numpy as np
    import pandas as pd

    work = pd.DataFrame({f"g{k}": keys[n].to_numpy() for k, n in enumerate(names)}, index=pd.RangeIndex(len(report)))
    gcols = list(work.columns) or ["all"]
    if not names:
        work["all"] = 0
    work["report"] = report
    work["rev"] = reviewed
    for j in range(len(LABELS)):
        work[f"y{j}"] = y[:, j]
        work[f"r{j}"] = y[:, j] & reviewed
    ycols = [f"y{j}" for j in range(len(LABELS))]
    grouped = work.groupby(gcols, sort=True)
    para = grouped[ycols].sum()
    order = sorted(set(para.index) | set(empty), key=_natural_key)  # 公司2 before 公司10, as a reader counts
    if not names and not order:  # nothing to count: the corpus is still one group, of 0 paragraphs
        order = [0]
    # a group of no counted row (empty) is in none of the group-bys: its index built as theirs is
    order = (pd.MultiIndex.from_tuples(order, names=gcols) if len(gcols) > 1 else pd.Index(order, name=gcols[0]))
    para = para.reindex(order, fill_value=0)
    rev_with = grouped[[f"r{j}" for j in range(len(LABELS))]].sum().reindex(order, fill_value=0)
    totals = grouped.agg(total_paragraphs=("rev", "size"), total_reports=("report", "nunique"),
                         reviewed_paragraphs=("rev", "sum")).reindex(order, fill_value=0)
    reps = work.groupby([*gcols, "report"], sort=False)[ycols].any().groupby(level=list(range(len(gcols)))).sum()
    reps = reps.reindex(para.index, fill_value=0)
    k, n = len(LABELS), len(para)
    out = para.index.to_frame(index=False).iloc[np.repeat(np.arange(n), k)].reset_index(drop=True)
    out.columns = names or ["all"]
    if not names:
        out = out.drop(columns="all")
    p, r = para.to_numpy().ravel().astype(np.int64), reps.to_numpy().ravel().astype(np.int64)
    tp = np.repeat(totals["total_paragraphs"].to_numpy(dtype=np.int64), k)
    tr = np.repeat(totals["total_reports"].to_numpy(dtype=np.int64), k)
    out["label"] = np.tile(np.array(LABELS, dtype=object), n)
    out["paragraphs"], out["reports"] = p, r
    out["paragraph_share"], out["report_share"] = _share(p, tp), _share(r, tr)
    out["reviewed_paragraphs"] = np.repeat(totals["reviewed_paragraphs"].to_numpy(dtype=np.int64), k)
    out["reviewed_with_label"] = rev_with.to_numpy().ravel().astype(np.int64)
    out["total_paragraphs"], out["total_reports"] = tp, tr
    return out


def _uncounted_groups(rest: pd.DataFrame, keys: pd.DataFrame, by: list[str], date_column: str | None, merge: bool,
                      source: str) -> list:
    """The groups (a value each, or a tuple of them for several ``by`` names) of the rows ``rest`` — headings and
    captions, not counted — that no counted row is in (their group ``keys``): a company whose paragraphs are all
    headings has a row of 0s in the tables, not none (a reader would wonder whether its reports were read).

    A value is read as a counted row's is (:func:`_key`); with ``merge``, a spelling of a counted group's value
    (:func:`_spelling_form`) is that group, and spellings of one value among these rows are one group
    (:func:`merge_spellings`). A period comes from the row's date as the counted rows' (``on_error`` skip): a row
    whose date cannot be read, or does not give the period, is in no group (it is not counted, so nothing is lost);
    a row without a date is in :data:`MISSING`, as a counted one would be.

    Example:
        >>> import pandas as pd
        >>> keys = pd.DataFrame({"company": ["甲", "甲"]})
        >>> rest = pd.DataFrame({"company": ["乙", "甲 ", "丙"], "kind": ["heading", "heading", "caption"]})
        >>> _uncounted_groups(rest, keys, ["company"], None, True, "")
        ['丙', '乙']
    """
    import pandas as pd

    columns = {}
    usable = pd.Series(True, index=rest.index)
    dates = None
    for b in by:
        if b in rest.columns:
            values = rest[b].map(_key)
            if merge:
                counted_values = [v for v in keys[b].unique().tolist() if v != MISSING]
                shown = dict(zip(_spelling_form(counted_values), counted_values))  # merged: one value per form
                mine = values[values != MISSING]
                forms = dict(zip(mine.tolist(), _spelling_form(mine.tolist())))
                values = values.map(lambda v: shown.get(forms.get(v), v))
                values = merge_spellings(values)[0]
            columns[b] = values.tolist()
        else:  # a period of the date column
            if dates is None:
                asked = [p for p in by if p in _MONTH_PERIODS and p not in rest.columns]
                need = "month" if "month" in asked else "quarter" if asked else None
                dates = _dates(rest, date_column, "skip", source, need)[0]
                unread = [ts is None and _key(v) != MISSING for ts, v in zip(dates, rest[date_column].tolist())]
                usable &= ~pd.Series(unread, index=rest.index, dtype=bool)
            columns[b] = [MISSING if ts is None else _period(ts, b) for ts in dates]
    frame = pd.DataFrame(columns, index=rest.index)[usable]
    seen = set(zip(*(keys[b].tolist() for b in by)))
    found = dict.fromkeys(zip(*(frame[b].tolist() for b in by)))
    return sorted((k if len(by) > 1 else k[0] for k in found if k not in seen), key=_natural_key)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """``part / whole`` rounded to 4 places; NaN (an empty cell) where ``whole`` is 0: a share of nothing is none."""
    import numpy as np

    out = np.full(len(part), np.nan)
    np.divide(part, whole, out=out, where=whole > 0)
    return np.round(out, 4)


def _pivot(groups: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Group × label paragraph counts, wide, with each group's totals (groups in the order of ``groups``)."""
    import numpy as np

    k = len(LABELS)
    first = groups.iloc[::k]
    out = first[names].reset_index(drop=True)
    out["paragraphs"] = first["total_paragraphs"].to_numpy(dtype=np.int64)
    out["reports"] = first["total_reports"].to_numpy(dtype=np.int64)
    out["reviewed_paragraphs"] = first["reviewed_paragraphs"].to_numpy(dtype=np.int64)
    counts = groups["paragraphs"].to_numpy(dtype=np.int64).reshape(-1, k)
    for j, lab in enumerate(LABELS):
        out[lab] = counts[:, j]
    return out


def _cooccurrence(report, reviewed, y) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    yi = y.astype(np.int64)
    para = yi.T @ yi
    rev = (yi * reviewed[:, None]).T @ yi
    per_report = pd.DataFrame(yi).groupby(np.asarray(report), sort=False).max().to_numpy()
    reps = per_report.T @ per_report
    rows = [[a, b, int(para[i, j]), int(reps[i, j]), int(rev[i, j])]
            for i, a in enumerate(LABELS) for j, b in enumerate(LABELS)]
    return pd.DataFrame(rows, columns=["label", "other_label", "paragraphs", "reports", "reviewed_paragraphs"])


def corpus_stats(df: pd.DataFrame, by: Sequence[str] = (), date_column: str | None = None, on_error: str = "fail",
                 source: str = "", merge: bool = True, warn: bool = True) -> CorpusStats:
    """Count a frame :func:`tagger.data.tagged.read_tagged` returned (``report``,
    ``effective_labels``, ``reviewed`` and the group columns are used) — or one :func:`tagger.pipeline.tag_frame`
    returned (its ``labels`` are the final labels: nobody reviewed them); ``merge``: spellings of one group value
    counted as one (:func:`merge_spellings`; ``tagger stats --keep-spellings`` turns it off).

    Each paragraph is counted in its row's groups, and a report in the groups of its rows. Reports whose rows
    disagree on a group (a date corrected on one row: the report is then in two months), paragraph ids that
    repeat (the same rows twice, or several reports given one id), dates with a UTC offset other than Beijing's
    (:func:`offsets_note`), a frame without ``kind`` (its headings are counted: they cannot be told apart; the
    texts are not read to guess them) and spellings of a group value counted as one (:func:`spelling_notes`) are
    described in the result's ``notes`` and, with ``warn``, as a ``UserWarning`` each
    (``tagger stats`` logs them).

    A frame with a ``row_type`` column (a tagged file read with pandas) is counted by its paragraph rows: the summary
    rows ``tagger tag --summary`` writes (``row_type`` report and corpus) are left out, as
    :func:`tagger.data.tagged.read_tagged` leaves them out.

    Raises:
        UsageError, InputError: see :func:`group_keys`; a ``kind`` other than body, heading or caption (an empty
            cell is body: :func:`tagger.data.tagged.checked_kinds`, the rule the file readers follow); a ``row_type``
            other than paragraph, report or corpus (:func:`tagger.data.tagged.is_paragraph_row`).
        ValueError: a frame with neither ``effective_labels`` nor ``labels``; one with review decisions in
            ``reviewed_labels`` but no ``effective_labels`` (a tagged file read with pandas, not
            :func:`tagger.data.tagged.read_tagged`: the decisions would be ignored); ``on_error`` neither "fail" nor
            "skip".
        TypeError: ``by`` given as one string (``by=["company"]`` is meant).

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"report": ["r1", "r1", "r2"], "paragraph": ["r1:0", "r1:1", "r2:0"],
        ...                    "labels": [["elderly_care"], [], []], "date": ["2023-12-31", "2024-01-02", "2024-01-05"]})
        >>> stats = corpus_stats(df, by=["month"], warn=False)
        >>> stats.tables["pivot"][["month", "reports", "paragraphs", "elderly_care"]].values.tolist()
        [['2023-12', 1, 1, 1], ['2024-01', 2, 2, 0]]
        >>> stats.notes[0][:80]
        "1 report has rows in more than one month group (e.g. report 'r1': '2023-12' on 1"
    """
    if isinstance(by, str):  # iterating it would group by the columns named by its letters
        raise TypeError(f"by takes a list of column names, got a single str; pass by=[{by!r}]")
    if on_error not in ("fail", "skip"):
        raise ValueError(f"on_error is 'fail' or 'skip', not {on_error!r}")
    import numpy as np

    position = np.arange(len(df))  # each row's place in the frame given, for messages where its index repeats
    if "row_type" in df.columns:  # a tagged file read with pandas: --summary's rows are no paragraphs (left out, as
        paragraphs = _paragraph_rows(df, source)  # read_tagged leaves them out; they were counted as paragraphs)
        df, position = df[paragraphs], position[paragraphs]
    if "effective_labels" not in df.columns:  # a tag_frame result: the model's labels are the final ones
        if "labels" not in df.columns or "report" not in df.columns:
            raise ValueError(f"corpus_stats counts a tagged frame (tagger.data.tagged.read_tagged(path), or "
                             f"tagger.tag_frame's result); this one has no labels or report column: {list(df.columns)}")
        if "reviewed" in df.columns:  # whose decisions? counting the labels would ignore them, silently
            raise ValueError("the frame has a reviewed column but no effective_labels (the labels to count): "
                             "read_tagged adds both; read the file with tagger.data.tagged.read_tagged, or drop "
                             "reviewed to count the model's labels")
        if "reviewed_labels" in df.columns:  # a tagged file read with pandas: its decisions would be ignored
            _refuse_decisions(df, source)
        df = df.assign(effective_labels=df["labels"], reviewed=False)
        column = "labels"
    else:
        column = "effective_labels"
        if "reviewed" not in df.columns:
            raise ValueError("the frame has an effective_labels column but no reviewed (whether a person decided): "
                             "read_tagged adds both; read the file with tagger.data.tagged.read_tagged, or drop "
                             "effective_labels to count the model's labels")
    df = df.assign(effective_labels=_label_tuples(df, column, source))
    if column == "effective_labels" and "labels" in df.columns:
        _check_effective(df, source)
    from ..data.tagged import STALE

    stale = int(df[STALE].fillna(False).to_numpy(bool).sum()) if STALE in df.columns else 0  # the rows given: a file, several, a part
    if "kind" in df.columns:  # the one rule (an empty cell is body; "foo" refused), a caller's own frame too
        from ..data.tagged import checked_kinds

        df = df.assign(kind=checked_kinds(df["kind"], lambda i: _row_place(df, i, source)[0]))
    damaged = damaged_names_notes(df, by, merge)  # every paragraph row's, headings too: a group of headings is shown too
    counted = counted_rows(df)
    rest = None  # the rows not counted (headings, captions): their groups are in the tables too, with 0s
    titles_only = 0  # reports of those rows only: in no count of reports, said in the summary
    if not counted.all():
        titles_only = len(set(df.loc[~counted, "report"].tolist()) - set(df.loc[counted, "report"].tolist()))
        rest = df[~counted] if by else None
        df, position = df[counted], position[counted]
    keys, date_column, n_missing, n_bad, n_year, merged, first, offsets = group_keys(df, by, date_column, on_error,
                                                                                     source, merge)
    by = list(by)
    report = df["report"].to_numpy()
    repeated = _repeated_paragraphs(df, source, position)
    notes = [*repeated, *_split_reports(keys, report, shared_ids=bool(repeated), columns=df.columns),
             *filter(None, [offsets_note(offsets, date_column)]), *damaged]  # a date moved across a period: said
    if not len(df) and not (~counted).any():  # a file of reports without paragraphs: counts of 0, said why
        notes.append("no paragraph rows to count (tagged from reports without paragraphs — empty, or page chrome "
                     "only?): every count is 0")
    elif not len(df):  # headings and captions only: as empty for the counts, said too (it was silent)
        rows = int((~counted).sum())
        which = ("the row is a heading or caption, which carries" if rows == 1 else
                 f"the {rows:,} rows are headings and captions, which carry")
        notes.append(f"no paragraph rows to count: {which} no label (tagged from reports of titles only?): every "
                     "count is 0")
    elif "kind" not in df.columns:  # headings counted as paragraphs change every share's base: said, not guessed
        from ..data.tagged import NO_KIND_NOTE

        notes.append(NO_KIND_NOTE)
    reviewed = df["reviewed"].to_numpy(dtype=bool)
    y = indicator(df)
    stats = CorpusStats(source=str(source), by=by, date_column=date_column, paragraphs=len(df),
                        reports=int(df["report"].nunique()), reviewed=int(reviewed.sum()),
                        missing_dates=n_missing, unreadable_dates=n_bad, year_only_dates=n_year,
                        not_counted=int((~counted).sum()), titles_only=titles_only, merged=merged,
                        first_unreadable=first, offsets=offsets,
                        columns_by=tuple(b for b in by if b in df.columns), notes=notes, stale=stale,
                        files=list(df.attrs.get("files", [])), damaged=damaged)
    notes.extend(spelling_notes(stats))  # every spelling counted in another's group, named (as README promises)
    if warn:
        import warnings

        for note in notes:
            warnings.warn(f"{source}: {note}" if source else note, UserWarning, stacklevel=2)
    stats.tables["corpus"] = _tidy(keys, [], report, reviewed, y)
    if by:
        empty = _uncounted_groups(rest, keys, by, date_column, merge, source) if rest is not None else []
        stats.tables["groups"] = _tidy(keys, by, report, reviewed, y, empty)
        stats.tables["pivot"] = _pivot(stats.tables["groups"], by)
    if date_column is not None:
        dated = keys["\x00month"].notna().to_numpy()
        months = keys.loc[dated, ["\x00month"]].rename(columns={"\x00month": "month"})
        if dated.any():
            stats.tables["trend"] = _tidy(months, ["month"], report[dated], reviewed[dated], y[dated])
    stats.tables["cooccurrence"] = _cooccurrence(report, reviewed, y)
    stats.keys = keys[by]
    stats.counted = counted
    return stats


def _paragraph_rows(df: pd.DataFrame, source: str) -> np.ndarray:
    """Which rows of ``df`` are paragraph rows by their ``row_type``: the rule of
    :func:`tagger.data.tagged.is_paragraph_row` (an empty or missing cell, or ``paragraph``: a paragraph; ``report``
    and ``corpus``, the summary rows ``tagger tag --summary`` writes: not), as :func:`tagger.data.tagged.read_tagged`
    reads a tagged file.

    Raises:
        InputError: any other ``row_type``, naming its row.

    Example:
        >>> import pandas as pd
        >>> _paragraph_rows(pd.DataFrame({"row_type": ["paragraph", "report", None, "corpus"]}), "").tolist()
        [True, False, True, False]
    """
    import numpy as np

    from ..data.tagged import PARAGRAPH_ROW_TYPES, SUMMARY_ROW_TYPES, is_paragraph_row

    kind = df["row_type"]
    para = (kind.isna() | kind.isin(PARAGRAPH_ROW_TYPES)).to_numpy(bool)  # a missing cell, however it is held
    odd = ~para & ~kind.isin(SUMMARY_ROW_TYPES).to_numpy(bool)
    for k in np.flatnonzero(odd):  # by the one rule: the first refused, named (a list, a number, another word)
        value = kind.iloc[[k]].tolist()[0]  # as Python's (1.0, not np.float64(1.0)); its index label likewise
        para[k] = is_paragraph_row({"row_type": value}, _row_place(df, df.index[[k]].tolist()[0], source)[0])
    return para


def _refuse_decisions(df: pd.DataFrame, source: str) -> None:
    """Refuse a frame with review decisions in ``reviewed_labels`` but no ``effective_labels`` — a tagged
    file read with pandas (``pd.read_parquet``, ``pd.read_csv``), not :func:`tagger.data.tagged.read_tagged`:
    counting its ``labels`` would ignore the decisions. A column without a decision (every cell empty) is let
    through: the model's labels are then the ones to count. What a decision is, is the rule ``read_tagged``
    follows (:func:`tagger.data.tagged.label_list`: an empty cell is none; ``none`` or an empty list is a
    decision of no label).

    Raises:
        ValueError: naming the first row with a decision, how many there are, and what to do.
    """
    decided = []  # the rows' indexes and labels
    for index, value in zip(df.index, df["reviewed_labels"].tolist()):
        if is_missing(value):  # most rows
            continue
        labels = _cell_labels(df, index, value, "reviewed_labels", source, empty_means_none=False)
        if labels is not None:
            decided.append((index, labels))
    if decided:
        place, labels = _row_place(df, decided[0][0], source)[0], decided[0][1]
        raise ValueError(f"the frame holds review decisions in reviewed_labels ({counted(len(decided), 'row')}, "
                         f"e.g. {place}: {list(labels) or 'no label'}) but no effective_labels: counting its "
                         "labels would ignore them. Read the tagged file with "
                         "tagger.data.tagged.read_tagged(path) — it applies each decision (and leaves out one "
                         "made on a text edited since) as effective_labels and reviewed — or drop "
                         "reviewed_labels to count the model's labels")


def _check_effective(df: pd.DataFrame, source: str) -> None:
    """Refuse a frame whose ``effective_labels`` are not the model's ``labels`` on a row nobody reviewed: not a frame
    :func:`tagger.data.tagged.read_tagged` built (a person's decision where one was made, else the model's labels) —
    e.g. columns of those names kept from a tag_frame input, whose values would be counted instead of the labels.

    Raises:
        ValueError: naming the rows, the cells and what to do.
    """
    from ..data.tagged import label_list

    reviewed = df["reviewed"].fillna(False).to_numpy(dtype=bool)
    wrong = []
    for index, decided, effective, labels in zip(df.index, reviewed, df["effective_labels"], df["labels"].tolist()):
        if decided:
            continue
        if not isinstance(labels, tuple):  # a list as read, a Parquet array, a label cell
            place, row = _row_place(df, index, source)
            labels = label_list(labels, f"{place} (labels)" if row is None else f"{place}, column 'labels'")
        if effective != labels and set(effective) != set(labels):  # equal tuples (read_tagged's frames): no sets
            wrong.append((index, effective, labels))
    if wrong:
        index, effective, labels = wrong[0]
        place = _row_place(df, index, source)[0]
        one = len(wrong) == 1
        raise ValueError(f"{counted(len(wrong), 'row')} not reviewed {'has' if one else 'have'} effective_labels "
                         f"other than {'its' if one else 'their'} labels (e.g. {place}: effective_labels "
                         f"{list(effective)}, labels {list(labels)}): these are not the columns read_tagged adds (a person's decision "
                         "where reviewed, else the model's labels) — columns of those names kept from the input? Drop "
                         "effective_labels and reviewed to count the model's labels, or read the tagged file with "
                         "tagger.data.tagged.read_tagged")


def _label_tuples(df: pd.DataFrame, column: str, source: str) -> list[tuple[str, ...]]:
    """Each row's labels (of its ``column``, copied into ``effective_labels``) as a tuple of label ids: a list or
    tuple as read, a numpy array (a Parquet file's list cell, read back with pandas), a label cell as a tagged CSV
    holds it (``elderly_care;volunteer_work``), nothing (an empty cell) for no label.

    Raises:
        InputError: a cell that is no labels (the text of a Python list, as pandas' ``to_csv`` writes one; an unknown
            label id; a number), naming its row, column and the cell, and what to do.
    """
    known = frozenset(LABELS)
    out = []
    for index, value in zip(df.index, df["effective_labels"].tolist()):
        if isinstance(value, tuple) and known.issuperset(value):  # read_tagged's: checked as read
            out.append(value)
            continue
        out.append(_cell_labels(df, index, value, column, source))
    return out


def _cell_labels(df: pd.DataFrame, index: object, value: object, column: str, source: str,
                 empty_means_none: bool = True) -> tuple[str, ...] | None:
    """:func:`tagger.data.tagged.label_list` of the cell ``value`` of ``column`` in row ``index``, naming it in an
    error only: the row's place (:func:`_row_place`) is built for a cell that is no labels (built for every cell, it
    took as long as the check)."""
    from ..data.tagged import label_list

    try:
        return label_list(value, "", empty_means_none)
    except InputError:
        place, row = _row_place(df, index, source)
        label_list(value, f"{place} ({column})" if row is None else f"{place}, column {column!r}",
                   empty_means_none)  # raises again, naming the cell
        raise


def _row_place(df: pd.DataFrame, index: object, source: str) -> tuple[str, str | None]:
    """Where a row of ``df`` is, for a message: ``(file:line, None)`` in a frame :func:`tagger.data.tagged.read_tagged`
    returned; in another frame (a caller's own) ``("[source: ]row 1 of the frame", "row 1 of the frame")`` — its
    index label, as ``df.loc`` finds it (a file name and ``:1`` would name no line of any file).

    Example:
        >>> import pandas as pd
        >>> _row_place(pd.DataFrame({"date": ["x"]}, index=[1]), 1, "")
        ('row 1 of the frame', 'row 1 of the frame')
    """
    from ..data.tagged import PLACE, where

    if df.index.name in (PLACE, "line", "row"):  # a frame read_tagged returned: its file and line
        return where(source, df, index), None
    row = f"row {index!r} of the frame"
    return f"{source}: {row}" if source else row, row


def _repeated_paragraphs(df: pd.DataFrame, source: str, position: np.ndarray) -> list[str]:
    """Notes on paragraph ids that appear on more than one row: the same rows given twice (every such row has a
    twin equal in every column, its text too), several reports given one id, or — the texts not read — either;
    in a frame of several files (:func:`tagger.data.tagged.read_tagged_files`, which names a report of one file
    that shares its id with another file's by its file unless their texts are the same), a note on ids in more than
    one file too — one report tagged into two files — and the first note is on repeats within a file. None: none
    repeat. ``position``: each row's place in the frame the caller gave (``df`` may be some of its rows), to name
    rows by where their index labels repeat (a Dask result's partitions each start at 0)."""
    import numpy as np
    import pandas as pd

    from ..data.tagged import PLACE, where

    if "paragraph" not in df.columns:
        return []
    pid = df["paragraph"].astype(str)
    notes = []
    within = pid
    if df.index.name == PLACE:  # several files: ids in more than one of them, then repeats within one
        file_of = pd.Series([str(i).rsplit(":", 1)[0] for i in df.index], index=df.index)
        twice = pid.duplicated(keep=False).to_numpy()
        spread = file_of[twice].groupby(pid[twice].to_numpy()).nunique()
        across = set(spread.index[spread.to_numpy() > 1])
        if across:
            first = next(v for v in pid[twice] if v in across)  # the first in the files' order
            mine = df.index[(pid == first).to_numpy()]
            other = next(i for i in mine if file_of[i] != file_of[mine[0]])
            ids = f"{counted(len(across), 'paragraph id')} {'appears' if len(across) == 1 else 'appear'}"
            notes.append(f"{ids} in more than one of the files for the same texts (e.g. {first!r} at {mine[0]} and "
                         f"{other}): the same reports were tagged into two files, and their paragraphs are counted "
                         "twice (their reports once): count each report in one file only (leave it out of the other "
                         "one)")
        within = file_of + "\x00" + pid
    twice = within.duplicated(keep=False).to_numpy()
    if not twice.any():
        return notes
    rows = df[twice]
    key = within.iloc[int(np.argmax(twice))]  # the first repeated id: its first two rows are named
    pos = np.flatnonzero((within == key).to_numpy())[:2]
    first = pid.iloc[pos[0]]
    at = list(df.index[pos])
    if source:
        one, two = where(source, df, at[0]), where(source, df, at[1])
        places = f"{one} and {two.rsplit(':', 1)[-1]}"
    elif at[0] == at[1]:  # an index that restarts: a Dask result's partitions, frames concatenated
        one, two = position[pos]
        places = f"df.iloc[[{int(one)}, {int(two)}]], the frame's index repeating"
    else:
        places = f"rows {at[0]!r} and {at[1]!r}"
    n = int(within[twice].nunique())
    ids = f"{counted(n, 'paragraph id')} {'appears' if n == 1 else 'appear'}"
    in_a_file = " within a file" if df.index.name == PLACE else ""
    # the same rows twice only when the texts were compared too (tagger stats reads them for --html only)
    if "text" in rows.columns and rows.astype(str).duplicated(keep=False).all():  # lists as their text
        return [f"{ids} on two or more rows{in_a_file} that repeat whole (e.g. {first!r} at {places}): the same rows "
                "are in the data twice (a file appended to itself, a frame concatenated twice?); their paragraphs are "
                "counted twice, their reports once: remove the repeated rows (keep one row per paragraph id) and "
                "count again", *notes]
    if "text" not in rows.columns:
        return [f"{ids} on more than one row{in_a_file} (e.g. {first!r} at {places}): the same rows are in the file "
                "twice (a file appended to itself: their paragraphs are counted twice; remove the repeated rows), or "
                "several reports were given one id (each such id is counted as one report; tag their reports again "
                "with an id per report): the rows named tell which", *notes]
    return [f"{ids} on more than one row{in_a_file} (e.g. {first!r} at {places}): several reports were given one id, "
            "and each such id is counted as one report; tag them again with an id per report (tag_dask tags "
            "partitions apart: check its input first with tagger.apps.dask.check_ids)", *notes]


def _split_reports(keys: pd.DataFrame, report: np.ndarray, shared_ids: bool = False,
                   columns: Collection[str] = ()) -> list[str]:
    """A note per column of ``keys`` where a report's rows hold more than one group value — the report's columns
    (kept from the input, and the periods of its date), not those tag writes per paragraph (``--by kind``; which
    they are: :func:`~tagger.data.tagged.tag_columns` of the frame's ``columns``, so a ``left_out`` kept from the
    input is checked unless the file has ``--summary``'s own). ``shared_ids``: paragraph ids repeat, so one id may
    stand for several reports."""
    from collections import Counter

    import pandas as pd

    from ..data.tagged import DERIVED_COLUMNS, tag_columns

    tags = tag_columns(columns)
    notes: list[str] = []
    said_period = False
    if not len(keys):
        return notes
    codes, names = pd.factorize(pd.Series(report, dtype=object).astype(str), sort=False)
    for column in keys.columns:
        if column in tags or column in DERIVED_COLUMNS or column in LABELS:  # a paragraph's own: kind,
            continue  # reviewed_labels, reviewed, a workbook's 0/1 column — its rows may differ
        values = keys[column].to_numpy(dtype=object)
        spread = pd.Series(values).groupby(codes, sort=False).nunique(dropna=False)
        split = spread.index[spread.to_numpy() > 1].to_numpy()
        if not len(split) or (column == "\x00month" and said_period):  # the trend: the same dates, said once
            continue
        said_period = said_period or column in PERIODS
        tally = Counter(values[codes == split[0]].tolist())  # in the order the rows hold them
        example = ", ".join(f"{v!r} on {counted(n, 'row')}" for v, n in tally.items())
        name = "trend month" if column == "\x00month" else column
        notes.append(f"{counted(len(split), 'report')} {'has' if len(split) == 1 else 'have'} rows in more than one "
                     f"{name} group (e.g. report {names[split[0]]!r}: {example}): each paragraph is counted in its "
                     "row's group and the report in each of them, so the groups' report counts add up to more than "
                     "the reports; correct the cells so that a report's rows agree"
                     + (" (or, where several reports were given one id, give each its own)" if shared_ids else ""))
    return notes


def counted_rows(df: pd.DataFrame) -> np.ndarray:
    """Which rows count: all but headings and captions (``kind``), unless a person gave one a label (its labels
    then count, as every reviewed decision does); every row of a file without a ``kind`` column.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"kind": ["heading", "body", "caption", None],
        ...                    "effective_labels": [(), ("elderly_care",), ("volunteer_work",), ()]})
        >>> counted_rows(df).tolist()
        [False, True, True, True]
    """
    import numpy as np

    if "kind" not in df.columns:
        return np.ones(len(df), dtype=bool)
    labelled = np.fromiter((len(v) > 0 if hasattr(v, "__len__") else False for v in df["effective_labels"]), dtype=bool,
                           count=len(df))  # a numpy array of labels (a Parquet list cell) has no truth value
    return ~df["kind"].isin(NO_LABEL_KINDS).to_numpy() | labelled


def long_table(stats: CorpusStats) -> pd.DataFrame:
    """Every table but the pivot (a reshape of ``groups``) in one long, tidy frame: a ``table`` column
    says which (``corpus``, ``groups``, ``trend``, ``cooccurrence``), then the group columns, ``label``
    (and ``other_label``) and the counts; cells a table does not have are empty."""
    import pandas as pd

    parts = []
    for name in TABLES:
        if name in stats.tables and name != "pivot":
            part = stats.tables[name].copy()
            part.insert(0, "table", name)
            parts.append(part)
    out = pd.concat(parts, ignore_index=True, sort=False)
    lead = ["table", *stats.by, *(["month"] if "trend" in stats.tables and "month" not in stats.by else []),
            "label", "other_label"]
    out = out[[*lead, *[c for c in COUNT_COLUMNS if c in out.columns]]]
    for c in out.columns:
        if c not in lead and "share" not in c:
            out[c] = out[c].astype("Int64")
    return out
