"""``tagger review TAGGED_FILE``: work through the review queue of a tagged corpus in the browser.

``tagger tag ... --review 15% -o tagged.jsonl`` flags the paragraphs the model is least sure of and
ranks them so a reviewer meets whole stories (:class:`tagger.apps.batch.ReviewQueue`). This page shows
them one by one — the paragraph (its evidence terms highlighted), its neighbours in the report, the predicted
labels with scores and evidence terms — with one click (or key 1-5) per label, an undo (key u) that takes a decision
back (the paragraph not reviewed again), progress ("37 of 120") and resumption where the last session stopped.

Decisions are kept in the tagged file itself, next to the model's own tags, which are never changed:
``reviewed_labels`` (a list in JSONL, a label cell in CSV: ``none`` for no label), ``reviewed_by``,
``reviewed_at`` and ``reviewed_sha`` (the :func:`~tagger.data.examples.text_sha` of the text it was made on). Each
decision is appended (and fsynced) to a journal beside the file at once, and the
file is rewritten atomically with every decision merged every :data:`FLUSH_EVERY` decisions (in the background:
no decision waits for it), on "save" (key ``s``) and when the server stops; a session that was killed is completed from the journal
when the file is opened again (a journalled decision counts only while its paragraph still has the text
it was made on). So does a decision in the file: one whose paragraph's text was corrected since (its
``reviewed_sha`` is another text's) is taken out of the file when it is opened, kept in the stale journal
(:func:`~tagger.data.tagged.stale_journal`) and named in a warning; the paragraph is open for review again.
One session at a time has a file open: a second is refused. ``--export`` copies the
reviewed paragraphs into ``labels/imported.jsonl`` for retraining, through the validated import of ``tagger labels import``
— but for paragraphs whose text an ``.xlsx`` output cut at the Excel cell limit (:func:`tagger.common.xlsx.is_cut`;
a queue whose rows came from such a workbook holds them): the page says such a text is cut, and the export leaves
them out with a warning naming them. The export only reads, in any folder (:attr:`TaggedFile.read_only`): a killed
session's journal counts and a stale decision is left out, in memory only — nothing is merged, moved or made beside
the file, so a file in a folder not writable is exported as it is; ``--id-prefix`` keeps apart the ids of files
tagged separately (:meth:`TaggedFile.export_rows`).

Example:
    >>> store = TaggedFile("tagged.jsonl")  # doctest: +SKIP
    >>> store.decide(store.queue[0], ["elderly_care"], "ana")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import csv
import functools
import itertools
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING

from ..annotation.labelfiles import LabelRow, raise_errors, validate_record
from ..common.atomic import atomic_write
from ..common.cells import guard_cell, guard_hash
from ..common.locks import renote
from ..common.signals import signals_held
from ..common.files import (NO_SUCH_FILE, PAGE_FONTS, check_header, iter_json_lines, path_exists,
                            replace_surrogates)
from ..common.xlsx import cut_left_out, is_cut
from ..common.terminal import counted, shell_arg, terminal_safe
from ..data.examples import text_sha
from ..data.tagged import (REVIEW_FIELDS, JournalConflict, StaleDecision, as_score, csv_row_place,
                           decision_sha, hold_review_lock, review_lock, review_session_note,
                           is_paragraph_row, journal_lines, keep_stale_decisions, label_list, paragraph_id_problem,
                           read_csv_rows, replay_journal, review_commands, review_copy, review_journal,
                           review_name_problem, journal_conflicts_note, stale_decision, stale_journal,
                           stale_decisions_note, stray_row, whole_number)
from ..errors import InputError, LabelFileError, quote_cell
from ..labels import LABEL_NAMES, LABELS, format_label_cell, validate_labels
from ..text.report import NO_LABEL_KINDS, report_id_problem

if TYPE_CHECKING:
    from ..model.tagger import Tagger
    from .web import WebServer

__all__ = ["TaggedFile", "QueueApp", "DecidedMeanwhile", "ANY_DECISION", "make_review_server", "id_prefix_problem",
           "free_id_prefix", "to_review_as_csv", "TAGGED_ONLY_SUFFIXES", "FLUSH_EVERY",
           "PAGE_HTML", "PAGE_JS", "PAGE_CSS"]

log = logging.getLogger(__name__)

FLUSH_EVERY = 20
_NEIGHBOURS = 2
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")
"""A number cell as ``tagger tag`` (or a spreadsheet, with a decimal comma) writes it: ``-0.2287``."""


def _csv_cell(value):
    """A cell to write back into a tagged CSV that was not guarded in it: text guarded as ``tagger tag`` guards it
    (:func:`tagger.common.cells.guard_cell`), but a number such as a negative ``review_margin`` as the number
    tag wrote (a number is no formula; ``'-0.2287`` would turn it into text in a spreadsheet). A cell guarded in the
    file (a paragraph whose text is ``-2.5``) is guarded again.

    Example:
        >>> _csv_cell("-0.2287"), _csv_cell("=SUM(A1)"), _csv_cell("-x"), _csv_cell(None)
        ('-0.2287', "'=SUM(A1)", "'-x", None)
    """
    if isinstance(value, str) and not _NUMBER.fullmatch(value):
        return guard_cell(value)
    return value


def _decision_fields(entry: dict) -> dict:
    """The review cells of a row a journalled decision (``labels``, ``by``, ``at``, ``sha``) gives it; an undo's
    (``labels`` ``None``) empties them: not reviewed.

    Example:
        >>> _decision_fields({"labels": None, "by": "ana", "at": "2026-12-06T10:00:00+00:00", "sha": "0" * 16})
        {'reviewed_labels': None, 'reviewed_by': None, 'reviewed_at': None, 'reviewed_sha': None}
    """
    if entry["labels"] is None:
        return dict.fromkeys(REVIEW_FIELDS)
    return {"reviewed_labels": list(entry["labels"]), "reviewed_by": entry["by"], "reviewed_at": entry["at"],
            "reviewed_sha": entry["sha"]}


def _as_bool(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"))


def _paragraph_index(pid: str) -> int | None:
    """A paragraph id's place in its report (``<report>:<index>``), ``None`` for an id without one."""
    tail = str(pid).rsplit(":", 1)[-1]
    return int(tail) if tail.isascii() and tail.isdigit() else None


MAX_ID_PREFIX = 100
"""The longest ``--id-prefix``: it goes before every paragraph and report id exported."""


def id_prefix_problem(prefix: str) -> str | None:
    """Why ``prefix`` cannot be an ``--id-prefix`` (:meth:`TaggedFile.export_rows`), or ``None``: what a report id
    may not hold (:func:`tagger.text.report.report_id_problem`), more than :data:`MAX_ID_PREFIX` characters, a
    backslash, a ``/`` at its ends (the one between prefix and id is added) or an empty, ``.`` or ``..`` part.

    Example:
        >>> id_prefix_problem("2024/m2") is None, id_prefix_problem("m2/")
        (True, "ends with / ('m2/'): the / between the prefix and each id is added (--id-prefix m2 gives m2/export:2:0)")
        >>> id_prefix_problem("a/../b")
        "has a '..' part ('a/../b'): parts are names, as m1, 2024/m2"
    """
    if problem := report_id_problem(prefix, column=False):
        return problem
    if len(prefix) > MAX_ID_PREFIX:
        return (f"is {len(prefix):,} characters long; keep it to {MAX_ID_PREFIX} or fewer (it goes before every id "
                "exported)")
    if "\\" in prefix:
        return f"contains a backslash ({prefix!r}); separate the parts of a prefix with / (2024/m2)"
    for end, at in (("starts", prefix.startswith("/")), ("ends", prefix.endswith("/"))):
        if at:
            return (f"{end} with / ({prefix!r}): the / between the prefix and each id is added (--id-prefix m2 "
                    "gives m2/export:2:0)")
    parts = prefix.split("/")
    if bad := next((part for part in parts if part in (".", "..")), None):
        return f"has a {bad!r} part ({prefix!r}): parts are names, as m1, 2024/m2"
    if "" in parts:
        return f"has an empty part, // ({prefix!r}): parts are names, as m1, 2024/m2"
    return None


def free_id_prefix(path: str | Path, taken: Collection[str]) -> str:
    """An ``--id-prefix`` for the decisions of the tagged file ``path`` that no id in ``taken`` (imported, seed and
    authored paragraphs) starts with, the first free of: the file's name without suffix, its folder's name and that
    (``reviews/june.jsonl``: ``june``, ``reviews/june``), then the first of these with a number, ``-2``, ``-3`` …
    (``june-2``). A name that cannot be a prefix (:func:`id_prefix_problem`: white space at its ends, an invisible
    character, over :data:`MAX_ID_PREFIX` characters; or a leading ``-``, read as an option) is passed over; with
    neither, ``batch``, ``batch-2`` …; a name numbered past the limit is cut to fit. What it returns is always a
    prefix ``--id-prefix`` takes.

    Example:
        >>> free_id_prefix("reviews/june.jsonl", ["export:2:0", "may/export:2:0"])
        'june'
        >>> free_id_prefix("reviews/june.jsonl", ["june/export:2:0"])
        'reviews/june'
        >>> free_id_prefix("reviews/june.jsonl", ["june/export:2:0", "reviews/june/export:2:0", "june-2/a:1"])
        'june-3'
        >>> free_id_prefix("reviews/june\u200b.jsonl", []), free_id_prefix("reviews/june\u200b.jsonl", ["batch/a:1"])
        ('batch', 'batch-2')
    """
    used = {pid[:at] for pid in taken for at, ch in enumerate(pid) if ch == "/"}
    path = Path(path).resolve()
    stem, folder = path.stem, path.parent.name

    def fits(prefix: str) -> bool:
        return not id_prefix_problem(prefix) and not prefix.startswith("-")  # "-x" would read as an option

    named = [p for p in (stem, f"{folder}/{stem}" if folder else "") if p and fits(p)] or ["batch"]

    def numbered(n: int) -> str:  # the first name and -n, cut to MAX_ID_PREFIX; batch-n if that will not do
        tail = f"-{n}"
        prefix = named[0][:MAX_ID_PREFIX - len(tail)] + tail
        return prefix if fits(prefix) else f"batch{tail}"

    return next(p for p in itertools.chain(named, map(numbered, itertools.count(2))) if p not in used)


ANY_DECISION = object()
"""What :meth:`TaggedFile.decide` decides over when the page did not say which decision it showed (any)."""


class DecidedMeanwhile(InputError):
    """A decision on a paragraph whose decision changed since the page showed it (another tab decided it):
    answered with 409."""

    status = HTTPStatus.CONFLICT


TAGGED_ONLY_SUFFIXES = {".xlsx": "an Excel workbook", ".parquet": "a Parquet file", ".sqlite": "a SQLite database"}
"""The files tagger tag writes that a review does not open: it saves its decisions by rewriting the file, and these
are not rewritten (a workbook would lose what was done to it in Excel, and every save of a large one takes long)."""


def to_review_as_csv(path: str | Path, queue: bool = True) -> str:
    """Why ``tagger review`` (``queue=False``: ``--export``) does not open the ``.xlsx``, ``.parquet`` or ``.sqlite``
    file ``path``, and the commands that review it: a file tagger tag wrote (:func:`~tagger.data.tagged.tagged_table`,
    by its columns) is tagged to a CSV file beside it (a name no file has: ``june.csv``, else ``june-2.csv`` …), which
    carries its review decisions (``--review`` flags the paragraphs no one decided yet: the old queue's flags do not
    come along), and that is reviewed; any other file (an input table) is no tagged file: its reports are tagged to a
    CSV queue, naming the column of their text if it is not ``text``.

    Example:
        >>> print(to_review_as_csv("june.xlsx").split("review that: ")[1])  # doctest: +NORMALIZE_WHITESPACE
        tagger tag june.xlsx -o june.csv --review 15% (with --text-column NAME if its reports' text is in a column
        not named text), then tagger review june.csv
    """
    from ..data.tagged import tagged_table

    path = Path(path)
    what = TAGGED_ONLY_SUFFIXES.get(path.suffix.lower(), "such a file")
    out = review_copy(path)
    if tagged_table(path) is None:  # an input table: its columns are not tag's, the commands below would fail
        return (f"{path}: not a file tagger tag wrote (its columns are not tag's), so it has no review "
                f"{'queue' if queue else 'decisions to export'}; to review its reports, tag them to a CSV queue and "
                f"review that: tagger tag {shell_arg(path)} -o {out} --review 15% (with --text-column NAME if its "
                f"reports' text is in a column not named text), then tagger review {out}")
    if not queue:
        return (f"{path}: tagger review --export reads .jsonl or .csv files, not {what}; tag it to a CSV file (its "
                f"review decisions come along) and export that: tagger tag {shell_arg(path)} -o {out}, then tagger "
                f"review {out} --export")
    why = " (a workbook would lose what was done to it in Excel)" if path.suffix.lower() == ".xlsx" else ""
    return (f"{path}: tagger review saves its decisions into .jsonl or .csv files and does not rewrite {what}{why}; "
            "tag it to a CSV file — its review decisions come along, and --review flags the paragraphs no one decided "
            f"yet — and review that: {review_commands(path)}")


class TaggedFile:
    """A tagged corpus with a review queue (JSONL or CSV written by ``tagger tag --review``).

    With ``queue=False`` (``--export``: any tagged JSONL or CSV, its decisions only) the file is opened to read
    only (:attr:`read_only`): a killed session's journal is applied and a stale decision set aside in memory, and
    nothing is written, moved or made beside the file; a session opens it to write. ``reviewer``: who reviews, named
    (with the session's process, since when and, once :meth:`serving`, its page) to a command the session refuses.

    Raises:
        InputError: the file cannot be read, is not a tagged file, or has no review queue.
    """

    def __init__(self, path: str | Path, queue: bool = True, reviewer: str = "") -> None:
        self.path = Path(path)
        self.needs_queue = queue  # False: the decisions only (``--export``), in any file tag wrote to JSONL or CSV
        self.format = "csv" if self.path.suffix.lower() == ".csv" else "jsonl"
        if self.path.is_dir():  # before its name: a folder has no suffix, or any
            raise InputError(f"{self.path}: is a directory; give the file tagger tag --review wrote")
        if self.path.suffix.lower() in TAGGED_ONLY_SUFFIXES:  # named if missing: the commands would tag no file
            raise InputError(to_review_as_csv(self.path, queue) if self.path.is_file()
                             else f"{self.path}: {NO_SUCH_FILE}")
        if self.path.suffix.lower() not in (".jsonl", ".ndjson", ".csv"):
            raise InputError(f"{self.path}: review works on .jsonl or .csv files written by tagger tag --review")
        if not self.path.is_file():  # checked before a lock file is made beside it
            raise InputError(f"{self.path}: {NO_SUCH_FILE}")
        # a folder not writable: decisions could be neither journalled nor saved. --export (no queue needed) only
        # reads, in any folder: a killed session's journal and the stale decisions count in memory, and nothing is
        # merged, moved or made beside the file (a session does that when it opens the file)
        self.writable = os.access(self.path.resolve().parent, os.W_OK)
        self.read_only = not self.needs_queue  # a queue in a folder not writable is refused just below
        if not self.writable and self.needs_queue:
            raise InputError(f"{self.path}: its folder is not writable, so decisions could not be saved; copy the "
                             "file to a folder you can write and review it there")
        if not self.read_only:  # a name too long for the journal: refused before a decision is made, not at it
            problem = review_name_problem(self.path)
            if problem:
                raise InputError(problem)
        self._session = contextlib.ExitStack()  # one session per file: two would overwrite each other's decisions
        # the lock file stays when the session ends, by design: the flock on it ends with this process (a file left
        # by a session that stopped or was killed blocks no one); tag -o and a re-tag take the lock too, and remove
        # a lock file they made (hold_review_lock). A reader (--export) takes it as they do (a session holding it
        # refuses the export; in a folder not writable through a read-only descriptor, or none where none can be
        # made: no session can have the file open there) and leaves nothing beside the file
        self._note = functools.partial(review_session_note, reviewer, since=datetime.now(timezone.utc).isoformat(
            timespec="seconds"))  # what the lock names this session by: review_session_note
        try:
            with signals_held():  # the lock taken and its let-go registered as one step, as a with statement does
                self._session.enter_context(hold_review_lock(
                    self.path, "stop it first — two sessions would overwrite each other's decisions",
                    stays=not self.read_only, who="another review session", holder=self._note()))
            self._open()
        except BaseException:
            self.close()
            raise

    def _stamp(self) -> tuple[int, int, int]:
        st = self.path.stat()
        return st.st_ino, st.st_size, st.st_mtime_ns

    def _open(self) -> None:
        self._read_stamp = self._stamp()  # before reading: a change during the read shows as a change
        self.rows, self.columns = self._read()
        self._require(self.columns)  # a file without a row
        self.by_id = {}
        for i, r in enumerate(self.rows):
            if not is_paragraph_row(r, self._at(self.lines[i])):  # a summary row
                continue
            problem = paragraph_id_problem(str(r["paragraph"]), str(r.get("report")))
            if problem:  # a report id a spreadsheet mangled: the context shown would be other reports' paragraphs
                raise InputError(f"{self._at(self.lines[i])}: {problem}")
            if r["paragraph"] in self.by_id:
                first = self._at(self.lines[self.by_id[r["paragraph"]]])  # the file line (a CSV's spreadsheet row)
                raise InputError(f"{self._at(self.lines[i])}: paragraph id {r['paragraph']!r} appears twice (first at "
                                 f"{first}): give each report its own id (tagger tag --id-column) and tag again")
            self.by_id[r["paragraph"]] = i
        # each report's paragraphs in reading order, whatever order the rows are in (a spreadsheet sorted them); a
        # report with an id without an index keeps the file's order
        self._reading: dict[str, list[int]] = {}
        for i in self.by_id.values():
            self._reading.setdefault(self.rows[i]["report"], []).append(i)
        for rows in self._reading.values():
            index = {i: _paragraph_index(self.rows[i]["paragraph"]) for i in rows}
            if None not in index.values():
                rows.sort(key=index.__getitem__)
        flagged = [i for i in self.by_id.values()  # paragraph rows only: a summary row flagged by hand is not one
                   if _as_bool(self.rows[i].get("review")) and self.rows[i].get("review_rank") not in (None, "")]
        self.queue = [self.rows[i]["paragraph"] for i in sorted(flagged, key=lambda i: int(self.rows[i]["review_rank"]))]
        self.queue_set = set(self.queue)
        stale = self._stale_decisions()
        if not self.queue and not stale and self.needs_queue:  # a decision set aside joins the queue
            open_rows = [i for i in self.by_id.values() if self.rows[i].get("kind") not in NO_LABEL_KINDS
                         and self.rows[i].get("reviewed_labels") is None]
            if not open_rows:  # tagging again flags none either (tag warned "none ... can be flagged")
                raise InputError(f"{self.path}: no paragraph is flagged for review, and tagging it again flags none: "
                                 f"each of its {counted(len(self.by_id), 'paragraph')} is a heading or caption "
                                 "(never flagged) or decided already; nothing to review")
            raise InputError(f"{self.path}: no paragraph is flagged for review; tag it again to flag the ones the "
                             f"model is least sure of: {review_commands(self.path)}")
        self.journal = review_journal(self.path)
        self._lock = threading.Lock()  # the rows, the journal and the counts: held briefly, never for a rewrite
        self._save_lock = threading.Lock()  # one rewrite at a time, in the order their rows were taken
        self._writing = False  # a rewrite is under way (its rows taken, the file not yet replaced): under _lock
        self._saver: threading.Thread | None = None  # the rewrite a decision started, in the background
        self._save_failed: str | None = None  # why that rewrite failed: the next decision's answer says it
        self.decided: set[str] = set()  # the paragraphs decided in this session (what its end reports as new)
        # decisions not in the file yet (it is rewritten every FLUSH_EVERY): the stale ones set aside, the file to be
        # saved without them (they are kept in its stale journal)
        self._pending = self._set_stale_aside(stale)
        self._replay_journal()
        self._decided_before = {pid for pid in self.queue if self.row(pid)["reviewed_labels"] is not None}
        if self._pending and not self.read_only:
            self.flush()
        self.rewritten = False  # the session wrote the file since it opened it: its end says so

    def _stale_decisions(self) -> list[StaleDecision]:
        """The decisions in the rows made on another text than their paragraph holds now (their ``reviewed_sha``
        is another text's: the text was edited since), in the file's order."""
        stale = []
        for pid, i in self.by_id.items():
            row = self.rows[i]
            decision = stale_decision(pid, row["reviewed_labels"], row.get("reviewed_sha"), row["text"],
                                      self._at(self.lines[i]), row.get("reviewed_by"), row.get("reviewed_at"))
            if decision is not None:
                stale.append(decision)
        return stale

    def _set_stale_aside(self, stale: list[StaleDecision]) -> int:
        """Take the ``stale`` decisions (:meth:`_stale_decisions`) out of the rows, keep them in the file's stale
        journal (:func:`~tagger.data.tagged.keep_stale_decisions`: never thrown away) and name them in a warning;
        the paragraphs show as not reviewed and join the review queue at its end (flagged in the file, ranked after
        the last), to be decided again — in a file without a queue (tagged without ``--review``: ``--export``) they
        are left undecided. Returns how many."""
        if not stale:
            return 0
        queued = "review" in self.columns and "review_rank" in self.columns
        ranks = [r for r in (self.rows[i].get("review_rank") for i in self.by_id.values()) if isinstance(r, int)]
        rank = max(ranks, default=0)
        joined = 0
        for s in stale:
            row = self.rows[self.by_id[s.paragraph]]
            row.update(reviewed_labels=None, reviewed_by=None, reviewed_at=None, reviewed_sha=None)
            if queued and s.paragraph not in self.queue_set:
                rank += 1
                row.update(review=True, review_rank=rank)
                self.queue.append(s.paragraph)
                self.queue_set.add(s.paragraph)
                joined += 1
        it = "it" if len(stale) == 1 else "them"
        if self.read_only:  # --export only reads: the file keeps them, as it is
            log.warning("%s: %s", self.path, stale_decisions_note(
                self.path, stale, "left out of this export (it only reads: the file is left as it is, and still "
                f"holds {it})", None if self.writable else "(tagger review needs a folder you can write: copy the "
                f"file to one and review {it} there)"))
            return len(stale)
        kept = keep_stale_decisions(self.path, [s.journal_line() for s in stale])
        log.warning("%s: %s", self.path, stale_decisions_note(  # a session's file has a queue (_require)
            self.path, stale, f"taken out of the file and kept in {kept.name}"
            + (f"; {joined} added to the end of the review queue" if joined else ""),
            f"(tagger review {shell_arg(self.path)} has {it} in its review queue)"))
        return len(stale)

    def serving(self, url: str) -> None:
        """Say in the review lock that the session's page is at ``url``: a command the session refuses names it."""
        if not self.read_only:
            renote(review_lock(self.path), self._note(url))

    def close(self) -> None:
        """End the session: another one may open the file (unsaved decisions stay in the journal). A rewrite under
        way in the background is finished first: the file is never left to the next session mid-write."""
        saver = getattr(self, "_saver", None)
        if saver is not None:
            saver.join()
        self._session.close()

    def __enter__(self) -> TaggedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reading
    ROW_COLUMNS = ("report", "paragraph", "text", "labels")  # what --export needs of a tagged file
    QUEUE_COLUMNS = (*ROW_COLUMNS, "review", "review_rank")

    def _require(self, columns: list[str] | dict) -> None:
        """Refuse a file without the columns a queue has (the reports themselves, or a file tagged without
        ``--review``), naming them and the command that writes them, before any row is parsed."""
        missing = [c for c in (self.QUEUE_COLUMNS if self.needs_queue else self.ROW_COLUMNS) if c not in columns]
        if missing:
            tagged = all(c in columns for c in self.ROW_COLUMNS)  # tagged without --review: no queue
            what = ("it was tagged without --review, so it has no review queue; tag it again with one (its review "
                    "decisions come along)" if tagged else "it is no file tagger tag wrote; tag it with --review")
            raise InputError(f"{self.path}: no {', '.join(missing)} column(s): {what} and review that: "
                             f"{review_commands(self.path)}")

    def _at(self, line_no: int) -> str:
        """How a message names the row on file line ``line_no``: ``file:line``, a CSV's spreadsheet row added where
        that differs (:func:`~tagger.common.files.sheet_row_note`, as every reader of a CSV names its rows)."""
        return csv_row_place(self.path, line_no, self._sheet_rows)

    def _read(self) -> tuple[list[dict], list[str]]:
        """The file's rows and columns; :attr:`lines` gets each row's line (a CSV's spreadsheet rows that differ:
        ``_sheet_rows``)."""
        self._sheet_rows: dict[int, int] = {}
        if self.format == "jsonl":
            rows, columns = [], {}
            checked = False
            self.lines: list[int] = []
            for line_no, obj, problem in iter_json_lines(self.path):
                if problem:
                    raise InputError(f"{self.path}:{line_no}: {problem}")
                for key, value in obj.items():
                    if isinstance(value, str):  # a JSON "\ud800" escape
                        obj[key] = replace_surrogates(value)[0]
                if is_paragraph_row(obj, f"{self.path}:{line_no}"):  # an unknown row_type: an error
                    if not checked:
                        self._require(obj)  # the first paragraph row: its keys are the file's columns
                        checked = True
                    self._parse_row(obj, f"{self.path}:{line_no}")
                rows.append(obj)
                self.lines.append(line_no)
                columns.update(dict.fromkeys(obj))
            for r in rows:
                for key in REVIEW_FIELDS:
                    r.setdefault(key, None)
            return rows, list(columns)
        # a spreadsheet may save with ";": kept on saving
        self._guarded: list[set[str]] = []  # each row's cells tag guarded: guarded again whatever they hold
        self._delimiter, columns, rows, self.lines = read_csv_rows(
            self.path, skip_blank=False, guarded=self._guarded, sheet_rows=self._sheet_rows,
            check=lambda path, cols: (check_header(cols, str(path)), self._require(cols)))
        for row, line_no in zip(rows, self.lines):
            self._parse_row(row, self._at(line_no))
            for key in REVIEW_FIELDS[1:]:
                row.setdefault(key, None)
        return rows, columns

    @staticmethod
    def _parse_row(row: dict, where: str) -> None:
        """Labels as lists, the review rank as a whole number, ids and text as strings (a spreadsheet or
        pandas may have turned ``2`` into ``2.0``), or an error naming the line (a totals row typed under the rows:
        :func:`~tagger.data.tagged.stray_row`)."""
        problem = stray_row(row)
        if problem:
            raise InputError(f"{where}: {problem}")
        row["labels"] = list(label_list(row.get("labels"), where) or ())
        reviewed = label_list(row.get("reviewed_labels"), where, False)
        row["reviewed_labels"] = None if reviewed is None else list(reviewed)
        if "reviewed_sha" in row:  # a file written before decisions kept a hash has none: set later, for each row
            row["reviewed_sha"] = decision_sha(row["reviewed_sha"], where)
        rank = row.get("review_rank")
        if rank not in (None, ""):
            number = whole_number(rank)
            if number is None:
                raise InputError(f"{where}: review_rank must be a whole number, got {str(rank)[:40]!r}; "
                                 "tag the file again with tagger tag ... --review")
            row["review_rank"] = number
        for lab in LABELS:  # the page shows them: a cell typed over in a spreadsheet is named here, not there
            score = row.get(f"score_{lab}")
            if score not in (None, "") and as_score(score) is None:  # empty: a report or corpus row
                raise InputError(f"{where}: score_{lab} is {quote_cell(score)}, expected a score between 0 and 1; "
                                 "tag the file again with tagger tag ... --review")
        if is_paragraph_row(row, where):
            for key in ("report", "paragraph", "text"):
                value = row.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and key != "text":
                    row[key] = str(value)
                elif not isinstance(value, str):
                    raise InputError(f"{where}: {key} must be text, got {type(value).__name__}; is this the file "
                                     "tagger tag wrote?")

    def _replay_journal(self) -> None:
        """Apply decisions a killed session journalled but did not merge into the file. Opened to read only
        (:attr:`read_only`: ``--export``) they are applied here only: the journal and the file stay as they are."""
        if not path_exists(self.journal):  # none, or its name too long (--export only: a session refuses such a file)
            return
        # its lines as bytes: set aside as journalled (a kill may cut a line anywhere)
        replay = replay_journal(journal_lines(self.path), {pid: self.rows[i] for pid, i in self.by_id.items()})
        for pid, entry in replay.applied.items():
            self.rows[self.by_id[pid]].update(_decision_fields(vars(entry)))
        replayed = replay.applied  # the paragraphs: one decided again (a change of mind) is one decision
        # set aside: a line a kill cut (left in the journal, the next decision would be appended onto it, no line end,
        # and lost with it); gone: the file was tagged again since; edited: the decision was about another text
        unread, gone, edited = (replay.lines(why) for why in (replay.CUT, replay.GONE, replay.EDITED))
        replaced = [conflict.file_line(self._at(self.lines[self.by_id[pid]]), sha)
                    for pid, (_, conflict, sha) in replay.conflicts.items() if conflict.journal_stands]
        if replay.conflicts:
            self._warn_conflicts([conflict for _, conflict, _ in replay.conflicts.values()])
        stale = gone + edited + replay.overruled + replaced
        if self.read_only:  # --export: counted here only; the next session merges them
            if replayed:
                log.info("%s: %s of an interrupted session read from %s (the export only reads: not merged into "
                         "the file)", self.path.name, counted(len(replayed), "decision"), self.journal.name)
            if unread or gone or edited:  # the overruled ones are named above
                log.warning("%s: %s of %s left out (cut by a kill, or made on a text this file no longer holds); the "
                            "journal is left as it is", self.path.name,
                            counted(len(unread) + len(gone) + len(edited), "line"),
                            self.journal.name)
            return
        if unread:
            kept = keep_stale_decisions(self.path, unread)
            log.warning("%s: %s of %s could not be read (cut by a kill?): not applied, kept in %s",
                        self.path.name, counted(len(unread), "line"), self.journal.name, kept.name)
            if not (replayed or stale):  # else the flush below empties the journal
                self.journal.unlink()
        if stale:
            kept = keep_stale_decisions(self.path, stale)  # the reviewer's work is never thrown away
            why = [f"{len(gone)} made on paragraphs this file no longer holds: tagged again since?"] if gone else []
            why += [f"{len(edited)} made on another text than the paragraph holds now: its text was edited (or the "
                    "file tagged again) since"] if edited else []
            if gone or edited:  # the overruled ones are named above
                log.warning("%s: %s in %s not applied (%s); kept in %s", self.path.name,
                            counted(len(gone) + len(edited), "decision"), self.journal.name, "; ".join(why), kept.name)
        if replayed:
            log.info("%s: %s of an interrupted session restored from %s", self.path.name,
                     counted(len(replayed), "decision"), self.journal.name)
        if replayed or stale:
            self._pending += len(replayed) + len(stale)
            self.flush()  # merges what applies and empties the journal

    def _warn_conflicts(self, conflicts: list[JournalConflict]) -> None:
        """One warning naming the journalled decisions in conflict with one the file was given after the session
        read the row (:meth:`~tagger.data.tagged.JournalEntry.conflict`; the later one stands): each paragraph, the
        decision that stands and the one set aside, who made them and when
        (:func:`~tagger.data.tagged.journal_conflicts_note`): a session keeps the one set aside in the stale
        journal; ``--export`` leaves the file and the journal as they are."""
        stale = stale_journal(self.path).name
        if self.read_only:
            fates = ("left out of this export (it only reads: the journal is left as it is)",
                     "left out of this export (it only reads: the file is left as it is)")
        else:
            fates = (f"kept in {stale}", f"kept in {stale} (with the row it was in)")
        log.warning("%s: %s", self.path.name, journal_conflicts_note(self.path, conflicts, *fates))

    # ---- state
    def row(self, pid: str) -> dict:
        if pid not in self.by_id:
            raise InputError(f"no paragraph {pid!r} in {self.path.name}")
        return self.rows[self.by_id[pid]]

    def done(self) -> int:
        return sum(self.row(pid)["reviewed_labels"] is not None for pid in self.queue)

    def first_open(self) -> int:
        """Position (from 0) of the first paragraph of the queue not reviewed yet (resume there)."""
        return next((k for k, pid in enumerate(self.queue) if self.row(pid)["reviewed_labels"] is None), 0)

    def neighbours(self, pid: str) -> tuple[list[dict], list[dict]]:
        """The paragraphs before and after ``pid`` in its report, in reading order (by paragraph index, not by the
        file's row order: a spreadsheet may have sorted the rows)."""
        i = self.by_id[pid]
        same = self._reading[self.rows[i]["report"]]
        at = same.index(i)
        return ([self.rows[k] for k in same[max(0, at - _NEIGHBOURS):at]],
                [self.rows[k] for k in same[at + 1:at + 1 + _NEIGHBOURS]])

    # ---- writing
    def decide(self, pid: str, labels: list[str] | None, reviewer: str = "", seen: object = ANY_DECISION) -> dict:
        """Record a decision (``labels`` ``None``: an :meth:`undo`): journalled (and fsynced) at once, then every
        :data:`FLUSH_EVERY` the file is rewritten with the decisions merged — in the background
        (:meth:`_save_in_background`), so no decision waits for a rewrite of a large file; a decision made meanwhile
        goes into the journal and the next rewrite. When that
        merge is refused (another program changed the file) or a rewrite failed, the decision is kept in the journal
        and the returned entry carries the reason as ``warning``: the decision is not lost, and the page says why the
        file waits. ``seen``: the paragraph's decision as the page showed it (``None``: none), which must be its
        decision still, else :class:`DecidedMeanwhile` (another tab decided it since) — unless ``labels`` are that
        decision."""
        if labels is not None:
            labels = list(validate_labels(list(labels), f"decision on {pid}"))
        if self.read_only:
            raise InputError(f"{self.path}: opened to read only (for --export): no "
                             "decision can be saved")
        with self._lock:
            if pid not in self.queue_set:
                raise InputError(f"paragraph {pid!r} is not in the review queue of {self.path.name}")
            i = self.by_id[pid]
            row = self.rows[i]
            now = row["reviewed_labels"]
            if seen is not ANY_DECISION and now != seen and now != labels:
                who = " ".join(f"{word} {row[key]}" for word, key in (("by", "reviewed_by"), ("at", "reviewed_at"))
                               if row.get(key))
                said = "not reviewed (undone)" if now is None else ", ".join(now) or "no label"
                raise DecidedMeanwhile(f"{pid} was decided meanwhile, in another tab or window of this review: "
                                       f"{said}{f' ({who})' if who else ''}; shown now: decide again to change it")
            if labels is None and now is None:  # nothing to undo (another tab undid it): nothing journalled
                return {"paragraph": pid, "labels": None, "was": None}
            entry = {"paragraph": pid, "labels": labels, "by": reviewer or None,
                     "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "sha": text_sha(row["text"]),
                     "was": row["reviewed_labels"]}  # what it replaced: a later decision in the file is told apart
            with open(self.journal, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            # a new row, not the old one changed: a rewrite under way writes the rows as they were when it began
            self.rows[i] = {**row, **_decision_fields(entry)}
            if labels is None:
                self.decided.discard(pid)
            else:
                self.decided.add(pid)
            self._pending += 1
            failed, self._save_failed = self._save_failed, None
            if failed:
                return {**entry, "warning": failed}
            if self._pending >= FLUSH_EVERY and not self._writing and not (self._saver and self._saver.is_alive()):
                try:
                    self._check_unchanged()  # at once: the answer to this decision says a refusal
                except InputError as exc:  # the file changed on disk: the decision is journalled all the same
                    return {**entry, "warning": str(exc)}
                self._saver = threading.Thread(target=self._save_in_background, name="tagger-review-save")
                self._saver.start()
        return entry

    def undo(self, pid: str, reviewer: str = "", seen: object = ANY_DECISION) -> dict:
        """Take the decision on ``pid`` back: the paragraph is not reviewed again (its ``reviewed_*`` cells empty,
        the model's labels shown), as if it had not been decided in this session (:attr:`decided` leaves it out).
        Journalled as a decision is (``labels`` ``null``), so a killed session's replay and the file agree, and
        refused as one is when another tab decided it since the page showed ``seen`` (:class:`DecidedMeanwhile`).
        A paragraph not decided: nothing to do, nothing journalled."""
        return self.decide(pid, None, reviewer, seen)

    def undone(self) -> int:
        """How many paragraphs decided before this session opened (in the file, or a killed session's journal) it
        took back to not reviewed (:meth:`undo`)."""
        return sum(self.row(pid)["reviewed_labels"] is None for pid in self._decided_before)

    def flush(self, stopped: bool = False) -> None:
        """Rewrite the file atomically with every decision, then take them out of the journal; waits for a rewrite
        under way. ``stopped``: the session has stopped (its last save), which a refusal's advice says."""
        self._save(stopped)

    def _save_in_background(self) -> None:
        """The rewrite a decision started (:meth:`decide`); a failure is logged and said in the next decision's
        answer (the decisions stay in the journal, and the next rewrite, save or stop tries again)."""
        try:
            self._save()
        except (InputError, OSError) as exc:
            log.warning("%s: the decisions are kept in %s, not yet in the file: %s", self.path, self.journal.name, exc)
            with self._lock:
                self._save_failed = str(exc)

    def _save(self, stopped: bool = False) -> None:
        """Take the rows as they are (under the lock: quick), write them without holding it (decisions go on into
        the journal meanwhile), then take out of the journal the decisions the file now holds, keeping those made
        during the write."""
        with self._save_lock:
            with self._lock:
                rows = self._rows_to_save(stopped)
                if rows is None:
                    return
                columns = list(self.columns) + [c for c in REVIEW_FIELDS if c not in self.columns]
                guarded = list(self._guarded) if self.format == "csv" else []
                pending = self._pending
                try:
                    journalled = self.journal.stat().st_size  # every decision journalled so far is in ``rows``
                except FileNotFoundError:
                    journalled = 0
                self._writing = True
            try:
                self._write(self._recount(rows), columns, guarded, stopped)
            except BaseException:
                with self._lock:
                    self._writing = False
                raise
            with self._lock:  # the new file's stamp before a decision checks it (_writing): no false "changed"
                self._writing = False
                self.rewritten = True
                self._read_stamp = self._stamp()
                self.columns = columns
                self._pending -= pending
                self._keep_journal_after(journalled)

    def _check_unchanged(self, stopped: bool = False) -> None:
        """Refuse to write over the file another program wrote since this session read (or last wrote) it (a
        spreadsheet's save): never write old rows over it."""
        try:
            changed = self._stamp() != self._read_stamp
        except FileNotFoundError:
            changed = True
        if changed:
            then = "open" if stopped else "stop this session and open"  # said as the session stops, or while on
            raise InputError(f"{self.path}: changed on disk since this review session opened it; not overwritten. "
                             f"The decisions are kept in {self.journal.name}: {then} tagger review {shell_arg(self.path)} again "
                             "to merge them into the file as it is now")

    def _rows_to_save(self, stopped: bool = False) -> list[dict] | None:
        """The rows to write (a copy of the list: a decision replaces its row, never changes it), ``None`` with
        nothing to save (the file stays as it is, even if another program changed it). Called under the lock."""
        if self.read_only:  # what it applied (a journal, stale decisions set aside) lives in memory only
            raise InputError(f"{self.path}: opened to read only (for --export): "
                             "nothing is written")
        if not self._pending:
            return None
        self._check_unchanged(stopped)
        return list(self.rows)

    def _write(self, rows: list[dict], columns: list[str], guarded: list[set[str]], stopped: bool = False) -> None:
        """Replace the file atomically with ``rows``, as tagger tag writes it — unless another program wrote it while
        they were written (a rewrite of a large file takes seconds, in the background): then it is left as that
        program wrote it (:meth:`_check_unchanged`), the decisions kept in the journal."""
        with atomic_write(self.path, "w", encoding="utf-8", newline="") as fh:
            if self.format == "jsonl":
                fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
            else:
                fh.write("\ufeff")  # as tagger tag writes it: Excel needs the BOM to read UTF-8
                writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n",
                                        delimiter=self._delimiter)
                csv.writer(fh, delimiter=self._delimiter, lineterminator="\r\n").writerow(
                    [guard_cell(c) for c in columns])  # header cells guarded as tagger tag writes them
                for r, kept in zip(rows, guarded):
                    out = dict(r)
                    out["labels"] = ";".join(r.get("labels") or [])
                    out["reviewed_labels"] = "" if r["reviewed_labels"] is None else format_label_cell(r["reviewed_labels"])
                    out["reviewed_sha"] = guard_hash(r["reviewed_sha"]) if r.get("reviewed_sha") else ""
                    writer.writerow({k: guard_cell(v) if k in kept and isinstance(v, str) else _csv_cell(v)
                                     for k, v in out.items()})
            self._check_unchanged(stopped)  # last, before the new file replaces it: the edit is never written over

    def _keep_journal_after(self, journalled: int) -> None:
        """Take the decisions a rewrite merged (the journal's first ``journalled`` bytes) out of the journal, keeping
        those made while it wrote (replaced atomically: a kill leaves the old journal, whose merged decisions
        apply again as they are). Called under the lock."""
        try:
            later = self.journal.read_bytes()[journalled:]
        except FileNotFoundError:
            return
        if not later:
            self.journal.unlink()
            return
        with atomic_write(self.journal, "wb") as fh:
            fh.write(later)
            fh.flush()
            os.fsync(fh.fileno())

    def _recount(self, rows: list[dict]) -> list[dict]:
        """``rows`` with their summary rows (``--summary``: per report, and the corpus) counting the final labels,
        decisions included, as ``tagger stats`` does: their ``labels`` and ``count_<label>`` cells follow the
        decisions (new rows: those in memory are left as they are)."""
        from .batch import final_labels

        final: dict[str, list[list[str]]] = {}
        for i in self.by_id.values():
            final.setdefault(rows[i]["report"], []).append(final_labels(rows[i]))
        out = list(rows)
        for k, row in enumerate(rows):
            kind = row.get("row_type")
            if kind not in ("report", "corpus"):
                continue
            decided = final.get(str(row.get("report")), []) if kind == "report" else [f for fs in final.values() for f in fs]
            counts = {lab: sum(lab in labels for labels in decided) for lab in LABELS}
            out[k] = row = {**row, "labels": [lab for lab in LABELS if counts[lab]]}
            for lab in LABELS:
                if f"count_{lab}" in row:
                    row[f"count_{lab}"] = counts[lab]
        return out

    def export_rows(self, id_prefix: str = "") -> list[LabelRow]:
        """The reviewed paragraphs as rows for :func:`tagger.annotation.labelfiles.import_rows`, each named by its
        line of the file (``tagged.jsonl:12``), but those whose text was cut at the Excel cell limit (a warning
        names them: labelled, a cut text is wrong training data).
        ``id_prefix`` (``--id-prefix m2``) goes before each paragraph's and report's id (``m2/export:2:0``): the
        decisions of files tagged separately (monthly queues of one input name) need ids of their own to be
        imported together.

        Raises:
            LabelFileError: a row that is no label row (:func:`~tagger.annotation.labelfiles.validate_record`),
                every such row named.
        """
        prefix = f"{id_prefix}/" if id_prefix else ""
        out, cut, errors = [], [], []
        for pid, i in self.by_id.items():  # every reviewed paragraph: a file tagged again may hold some off its queue
            row = self.rows[i]
            if row["reviewed_labels"] is None:
                continue
            if is_cut(row["text"]):
                cut.append(f"{self._at(self.lines[i])} ({pid})")
                continue
            record = {"id": prefix + pid, "report": prefix + row["report"], "text": row["text"],
                      "text_sha": text_sha(row["text"]), "labels": row["reviewed_labels"]}
            try:
                out.append(validate_record(record, self._at(self.lines[i])))
            except LabelFileError as exc:
                errors.append(str(exc))
        if cut:
            log.warning("%s: %s (the decisions stay in the file and count in tagger stats)", self.path,
                        cut_left_out(cut, "reviewed paragraph(s)"))
        raise_errors(self.path, errors)
        return out


class QueueApp:
    """The review page's data (see :mod:`tagger.apps.web` for the HTTP around it)."""

    max_bytes = 64 * 1024

    def __init__(self, store: TaggedFile, reviewer: str = "", model=None) -> None:
        self.store, self.reviewer, self.model = store, reviewer, model

    @property
    def static(self) -> dict[str, tuple[str, str]]:
        return {"/": (PAGE_HTML, "text/html; charset=utf-8"), "/app.js": (PAGE_JS, "text/javascript; charset=utf-8"),
                "/app.css": (PAGE_CSS, "text/css; charset=utf-8")}

    def info(self) -> dict:
        return {"labels": list(LABELS), "names": LABEL_NAMES, "file": terminal_safe(self.store.path.name),
                "reviewer": self.reviewer,
                "total": len(self.store.queue), "done": self.store.done(), "resume": self.store.first_open()}

    def item(self, position: int) -> dict:
        """The paragraph at ``position`` of the queue, with what the page shows of it: its neighbours, the model's
        labels and scores, the evidence terms and the text's ``segments`` with the evidence marked
        (:func:`tagger.apps.server.highlight_segments`, as ``tagger serve`` marks it: across a character reference
        such as ``&nbsp;``)."""
        from .server import highlight_segments

        store = self.store
        if not 0 <= position < len(store.queue):
            raise InputError(f"position {position} is outside the queue (0 to {len(store.queue) - 1})")
        pid = store.queue[position]
        row = store.row(pid)
        before, after = store.neighbours(pid)
        evidence = row.get("evidence") if isinstance(row.get("evidence"), dict) else {}
        if not evidence and self.model is not None:
            evidence = {lab: self.model.evidence(row["text"], lab) for lab in LABELS if lab in row["labels"]}
        # terms as text: a file edited by hand may hold anything there
        evidence = {str(lab): [str(t) for t in terms] for lab, terms in evidence.items() if isinstance(terms, list)}

        def brief(r: dict) -> dict:
            return {"paragraph": r["paragraph"], "kind": r.get("kind", "body"), "text": r["text"],
                    "labels": r["labels"]}

        return {"position": position, "total": len(store.queue), "done": store.done(), "paragraph": pid,
                "report": row["report"], "kind": row.get("kind", "body"), "text": row["text"],
                "segments": highlight_segments(row["text"], evidence), "cut": is_cut(row["text"]),
                "labels": row["labels"],
                "scores": {lab: as_score(row.get(f"score_{lab}")) or 0.0 for lab in LABELS},
                "evidence": evidence, "reviewed_labels": row["reviewed_labels"], "reviewed_by": row["reviewed_by"],
                "before": [brief(r) for r in before], "after": [brief(r) for r in after]}

    # ---- HTTP routes (tagger.apps.web routes the requests)
    @property
    def get_routes(self) -> dict[str, Callable[[dict], object]]:
        return {"/api/info": lambda query: self.info(), "/api/item": self.item_request}

    @property
    def post_routes(self) -> dict[str, Callable[[object], object]]:
        return {"/api/decide": self.decide_request, "/api/undo": self.undo_request, "/api/save": self.save_request}

    def item_request(self, query: dict) -> dict:
        """``GET /api/item?position=N``: :meth:`item`."""
        try:
            position = int((query.get("position") or ["0"])[0])
        except ValueError:
            raise InputError("position must be a number") from None
        return self.item(position)

    def decide_request(self, payload: object) -> dict:
        """``POST /api/decide``: ``{"paragraph": "<id>", "labels": [...], "seen": [...] or null}`` — ``seen``, the
        decision the page showed (another tab may have made one since: :class:`DecidedMeanwhile`, 409)."""
        if not isinstance(payload, dict) or not isinstance(payload.get("paragraph"), str) \
                or not isinstance(payload.get("labels"), list) \
                or not isinstance(payload.get("seen", []), (list, type(None))):
            raise InputError('expected {"paragraph": "<id>", "labels": [...], "seen": [...] or null}')
        return self._decided(payload["paragraph"], payload["labels"], payload.get("seen", ANY_DECISION))

    def undo_request(self, payload: object) -> dict:
        """``POST /api/undo``: ``{"paragraph": "<id>", "seen": [...] or null}`` — the paragraph back to not reviewed
        (:meth:`TaggedFile.undo`), unless another tab decided it since the page showed ``seen`` (409)."""
        if not isinstance(payload, dict) or not isinstance(payload.get("paragraph"), str) \
                or not isinstance(payload.get("seen", []), (list, type(None))):
            raise InputError('expected {"paragraph": "<id>", "seen": [...] or null}')
        return self._decided(payload["paragraph"], None, payload.get("seen", ANY_DECISION))

    def _decided(self, pid: str, labels: list | None, seen: object) -> dict:
        try:
            entry = self.store.decide(pid, labels, self.reviewer, seen)
        except InputError:  # said as it is (DecidedMeanwhile: 409)
            raise
        except ValueError as exc:
            raise InputError(str(exc)) from None
        return {"ok": True, **entry, "done": self.store.done(), "total": len(self.store.queue)}

    def save_request(self, payload: object) -> dict:
        """``POST /api/save``: the file rewritten with every decision (:meth:`TaggedFile.flush`)."""
        self.store.flush()
        return {"ok": True, "done": self.store.done(), "file": terminal_safe(self.store.path.name)}


def make_review_server(path: str | Path, reviewer: str = "",
                       model: Tagger | Callable[[], Tagger | None] | None = None, host: str = "127.0.0.1",
                       port: int = 8765) -> WebServer:
    """Open ``path`` and bind (not start) the review page for its queue; ``model`` (its evidence terms) may be a
    function that loads it, called once the file is open: a file that cannot be reviewed is refused at once, before
    a model is loaded."""
    from .web import bind

    store = TaggedFile(path, reviewer=reviewer)
    try:
        server = bind(QueueApp(store, reviewer, model() if callable(model) else model), host, port)
        store.serving(server.url)
        return server
    except BaseException:
        store.close()  # the port cannot be had (or the model load was stopped): the file is free for the next try
        raise


# --------------------------------------------------------------------------- the page
PAGE_HTML = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>tagger review queue</title>
<link rel="stylesheet" href="/app.css"></head>
<body>
<header><h1>Review queue — <span id="file"></span></h1>
<div id="progress" aria-live="polite"></div></header>
<main>
<section id="context-before" class="context"></section>
<p id="cut" role="note" hidden>The paragraph below was cut at the Excel cell limit of 32,767 characters (an .xlsx
output): it goes on beyond what is shown. Your decision counts in tagger stats, but tagger review --export leaves it
out of the training labels; to review it whole, tag its report to .jsonl or .csv and review that file.</p>
<article id="current"><div id="meta"></div><p id="text"></p><div id="evidence"></div>
<form id="labels"></form></article>
<nav><button id="prev" type="button">← previous (p)</button>
<button id="accept" type="button">accept and next (Enter)</button>
<button id="none" type="button">no label (0)</button>
<button id="undo" type="button">undo decision (u)</button>
<button id="next" type="button">skip (n)</button>
<button id="save" type="button">save to file (s)</button></nav>
<p id="status" role="status"></p>
<section id="context-after" class="context"></section>
<p class="help">Ticked: the labels this paragraph will be saved with (the model's, or your decision once made);
"model's label" (bold) marks what the model gave; the number after each label is the model's score, 0 to 1 (each label has
its own threshold: a score of 0.3 can be a given label); highlighted words in the paragraph are the evidence behind
the model's labels.
Keys: 1-5 toggle a label, 0 no label, Enter accept and go on, n skip, p back, u undo the decision (the paragraph
is not reviewed again), s save; Space only scrolls.
Decisions are written into the tagged file beside the model's tags.</p>
</main>
<script src="/app.js"></script></body></html>
"""

PAGE_CSS = "\nbody{font-family:" + PAGE_FONTS + """;max-width:60em;margin:1.5em auto;padding:0 1em;color:#222;
overflow-wrap:break-word}
header{display:flex;justify-content:space-between;align-items:baseline;border-bottom:1px solid #ddd}
h1{font-size:1.2em;min-width:0;overflow-wrap:anywhere}#progress{font-variant-numeric:tabular-nums}
.context p{color:#777;font-size:.92em;margin:.3em 0}.context .labels{font-size:.8em;color:#999}
#current{border:2px solid #4a7;border-radius:6px;padding:.6em 1em;margin:.6em 0}
#text{font-size:1.08em;line-height:1.6}mark.ev{background:#ffe58a;padding:0 1px}#cut{color:#b00;font-weight:600}#meta,#evidence{font-size:.85em;color:#555}
#labels{border-top:1px solid #cde;margin-top:.5em;padding-top:.3em}#labels label{display:block;padding:.25em 0;cursor:pointer}#labels .score{color:#888;font-size:.85em}
#labels .predicted{font-weight:600}#labels .model{font-size:.75em;font-weight:normal;color:#fff;background:#4a7;
border-radius:3px;padding:0 .35em;vertical-align:middle}nav button{margin:.3em .3em 0 0}
#status{min-height:1.2em;color:#2a6}#status.error{color:#b00}.help{color:#888;font-size:.8em}
"""

PAGE_JS = r"""
"use strict";
let info = null, item = null, position = 0, deciding = false;
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls; return e; }
async function api(path, body) {
  const opts = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"},
                                          body: JSON.stringify(body)};
  let r;
  try { r = await fetch(path, opts); }
  catch (e) { throw new Error(`no answer from tagger review (was it stopped?): ${e.message}`); }
  const data = await r.json();
  if (!r.ok) throw Object.assign(new Error(data.error || r.statusText), {status: r.status}); return data;
}
function status(text, error) { $("status").textContent = text; $("status").className = error ? "error" : ""; }
function context(box, rows) {
  box.replaceChildren();
  for (const r of rows) {  // the text isolated (bdi): a bidi override in it never turns the labels after it around
    const p = el("p");
    p.append(el("bdi", r.text), " ", el("span", "[" + (r.labels.join(", ") || "-") + "]", "labels"));
    box.append(p); }
}
function chosen() { return info.labels.filter((l) => $("cb-" + l).checked); }
function render() {
  $("progress").textContent = `${item.position + 1} of ${item.total} · ${item.done} reviewed`;
  $("meta").textContent = `${item.paragraph} (${item.kind})` + (item.reviewed_labels ? " · reviewed" +
    (item.reviewed_by ? " by " + item.reviewed_by : "") : "");
  const text = $("text"); text.replaceChildren();  // the evidence marked as tagger serve marks it; text, never markup
  for (const seg of item.segments) {
    if (!seg.labels.length) { text.append(document.createTextNode(seg.text)); continue; }
    const mark = el("mark", seg.text, "ev"); mark.title = "evidence: " + seg.labels.join(", "); text.append(mark);
  }
  $("cut").hidden = !item.cut;
  $("undo").disabled = item.reviewed_labels === null;  // nothing to undo
  const ev = Object.entries(item.evidence || {}).map(([l, t]) => l + ": " + t.join(", "));
  $("evidence").textContent = ev.length ? "evidence — " + ev.join(" · ") : "";
  context($("context-before"), item.before); context($("context-after"), item.after);
  const current = item.reviewed_labels || item.labels, form = $("labels"); form.replaceChildren();
  info.labels.forEach((l, k) => {
    const cb = el("input"); cb.type = "checkbox"; cb.id = "cb-" + l; cb.checked = current.includes(l);
    const lab = el("label"); lab.htmlFor = cb.id;
    const score = el("span", item.scores[l].toFixed(2), "score"); score.title = "the model's score for " + l;
    lab.append(cb, ` ${k + 1}  ${l} — ${info.names[l]} `, score);
    if (item.labels.includes(l)) { lab.classList.add("predicted"); lab.append(" ", el("span", "model's label", "model")); }
    form.append(lab);
  });
}
async function show(pos) {
  try { item = await api("/api/item?position=" + pos); position = pos; render();
    if ($("status").className === "error") status("");  // an error was about what came before this paragraph
    return true; }
  catch (e) { status(e.message, true); return false; }
}
async function decide(labels) {
  if (deciding) return;  // a second Enter before the answer: it would decide this paragraph again and skip the next
  deciding = true;
  const decided = item, at = position;  // n or p may move the page before the answer comes
  try { const r = await api("/api/decide", {paragraph: decided.paragraph, labels: labels,
                                             seen: decided.reviewed_labels});  // another tab may have decided it
    const said = `saved ${decided.paragraph}: ${labels.join(", ") || "no label"} (${r.done} of ${r.total})`;
    const last = at + 1 >= decided.total;
    if (!await show(last ? at : at + 1)) return;  // its error stays on screen
    if (r.warning) status(`${said}; kept in the journal, not in the file: ${r.warning}`, true);
    else if (!last) status(said);
    else if (r.done < r.total) status(`end of the queue, but ${r.total - r.done} of ${r.total} not reviewed yet ` +
                                      "(skipped): reload the page to go to the first of them");
    else status("end of the queue: all saved"); }
  catch (e) {  // decided meanwhile in another tab: that decision shown, to be decided again
    if (e.status === 409) await show(at);
    status(e.message, true); }
  finally { deciding = false; }
}
async function undo() {  // the paragraph shown back to not reviewed; the page stays on it
  if (deciding) return;
  if (item.reviewed_labels === null) { status(`nothing to undo: ${item.paragraph} is not reviewed`); return; }
  deciding = true;
  const undone = item, at = position;
  try { const r = await api("/api/undo", {paragraph: undone.paragraph, seen: undone.reviewed_labels});
    if (!await show(at)) return;
    const said = `undone ${undone.paragraph}: not reviewed (${r.done} of ${r.total})`;
    if (r.warning) status(`${said}; kept in the journal, not in the file: ${r.warning}`, true);
    else status(said); }
  catch (e) {  // decided meanwhile in another tab: that decision shown
    if (e.status === 409) await show(at);
    status(e.message, true); }
  finally { deciding = false; }
}
async function save() { try { const r = await api("/api/save", {}); status(`written to ${r.file}`); }
  catch (e) { status(e.message, true); } }
function typing(t) {  // keys typed into a text box (the page's or an extension's) are text, not shortcuts
  return t.isContentEditable || t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
    (t.tagName === "INPUT" && !["checkbox", "radio", "button", "submit", "reset"].includes(t.type));
}
const buttons = ["prev", "accept", "none", "undo", "next", "save"];
function pressable(t) { return t.tagName === "BUTTON" && buttons.includes(t.id); }
function labelBox(t) { return t.tagName === "INPUT" && t.type === "checkbox" && t.id.startsWith("cb-"); }
document.addEventListener("keydown", (ev) => {
  if (ev.key === " " && (pressable(ev.target) || labelBox(ev.target))) {  // Space is the page's scroll key, never
    ev.preventDefault();  // a press of a button or a label's toggle: held by a button, it would decide paragraph
    window.scrollBy(0, (ev.shiftKey ? -0.8 : 0.8) * window.innerHeight); return;  // after paragraph nobody read
  }
  if (!item || ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
  const k = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;  // Caps Lock or Shift: N, P, S work too
  if (ev.repeat && (k === "Enter" || k === "0" || k === "u" || (k >= "1" && k <= "5"))) {  // a held key decides
    ev.preventDefault(); return;  // (or toggles, or undoes) once: its repeats would accept the next paragraphs unread
  }
  if (k >= "1" && k <= "5") { const cb = $("cb-" + info.labels[Number(k) - 1]); cb.checked = !cb.checked; ev.preventDefault(); }
  else if (k === "0") { decide([]); }
  else if (k === "Enter") {  // a button reached by Tab: Enter presses it, once (it lets go of the focus); else accept
    ev.preventDefault(); if (pressable(ev.target)) ev.target.click(); else decide(chosen()); }
  else if (k === "n") { if (position + 1 < item.total) show(position + 1); }
  else if (k === "p") { if (position > 0) show(position - 1); }
  else if (k === "u") { undo(); }
  else if (k === "s") { save(); }
});
function button(id, act) {  // a pressed button lets go of the focus: Space or Enter never presses it again on the
  $(id).addEventListener("click", (ev) => { ev.currentTarget.blur(); act(); });  // next paragraph
}
button("accept", () => decide(chosen()));
button("none", () => decide([]));
button("undo", undo);
button("next", () => { if (position + 1 < item.total) show(position + 1); });
button("prev", () => { if (position > 0) show(position - 1); });
button("save", save);
$("labels").addEventListener("click", (ev) => {  // a label box clicked lets go of the focus too: Space would
  if (labelBox(ev.target)) ev.target.blur();   // toggle it back (keys 1-5 toggle the labels)
});
(async () => { try { info = await api("/api/info"); } catch (e) { status(e.message, true); return; }
  $("file").textContent = info.file; await show(info.resume); })();
"""
