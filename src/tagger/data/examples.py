"""Labelled paragraphs: the seed label CSV, JSONL files (authored text, imported labels, test sets).

Seed labels live in ``labels/seeds.csv`` (one row per content paragraph, spreadsheet-friendly):
``id,text_sha,labels,kind,text``; ``labels`` is a label cell (:mod:`tagger.labels`: ids separated by
``;``, ``none`` for no label) and ``text_sha`` ties the row to the paragraph: if a seed file changes so
that a row no longer matches, loading stops and names the row.

JSONL rows: ``{"text": ..., "labels": [...]}`` plus optional ``id``, ``doc`` (the report: the CV
group; a report's rows are in one label file; a row without one is a report of its own, named by its ``id``, which may
be no other row's ``doc``), ``index`` (position in the report, given with its ``doc``: every row
of a ``doc`` has its own, or none has one), ``kind`` and ``source``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..common.files import (LONE_SURROGATE, CsvRow, cells_beyond_header, iter_json_lines, parse_json_lines,
                            read_label_table, text_lines)
from ..errors import InputError, LabelFileError, label_file_error
from ..labels import LABELS, closest_label, parse_label_cell, validate_labels
from ..text.normalize import normalize_many
from ..text.report import KINDS, read_report

if TYPE_CHECKING:
    from .devset import DevTexts

log = logging.getLogger(__name__)

__all__ = ["Example", "HasText", "text_sha", "text_keys", "same_text", "AS_READ", "load_seed_labels", "load_jsonl",
           "load_training_data", "training_rows", "report_in_two_files", "label_matrix", "data_hash", "SEED_COLUMNS",
           "AUTHORED_GLOB", "IMPORTED_FILE", "REVIEWED_SOURCE", "is_real", "report_ids"]

SEED_COLUMNS = ("id", "text_sha", "labels", "kind", "text")
IMPORTED_FILE = Path("labels") / "imported.jsonl"
AUTHORED_GLOB = "authored*.jsonl"  # labels/authored.jsonl, labels/authored_<part>.jsonl


@dataclass(frozen=True)
class Example:
    """A labelled paragraph. ``doc`` groups the paragraphs of one report (the CV group); ``index`` is
    its position there (``-1`` when unknown) and ``kind`` the reader's body / heading / caption."""

    id: str
    doc: str
    text: str
    labels: tuple[str, ...]
    source: str = "seed"
    index: int = -1
    kind: str = "body"


REVIEWED_SOURCE = "reviewed"
"""The ``source`` of a person's decision read from a tagged file (``evaluate --test`` on a reviewed file)."""


def is_real(ex: Example) -> bool:
    """Real text (seed, imported, dev set), as opposed to authored training text."""
    return ex.source != "authored"


def report_ids(examples: list[Example]) -> list[str | None]:
    """The report of each example that is a paragraph of a whole report (a known position in a report
    with other placed paragraphs), ``None`` for loose sentences and contrast items: what
    :meth:`~tagger.model.tagger.Tagger.fit` and ``predict_proba`` take as ``reports`` (report context).

    Example:
        >>> report_ids([Example("a", "d", "x", (), index=0), Example("b", "d", "y", (), index=1),
        ...             Example("c", "e", "z", (), index=0), Example("f", "g", "w", ())])
        ['d', 'd', None, None]
    """
    placed = Counter(e.doc for e in examples if e.index >= 0)
    return [e.doc if e.index >= 0 and placed[e.doc] >= 2 else None for e in examples]


def text_sha(text: str) -> str:
    """Short content hash of a paragraph's original text (white space at the ends ignored).

    Example:
        >>> text_sha("  段落。 ") == text_sha("段落。"), len(text_sha("段落。"))
        (True, 16)
    """
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


class HasText(Protocol):
    """A paragraph with its original text: an :class:`Example`, a label file's row, a paragraph of a report."""

    @property
    def text(self) -> str: ...


def text_keys(examples: Sequence[HasText]) -> list[str]:
    """Each paragraph's text as the model reads it (:func:`~tagger.text.normalize.normalize_many`): one key for the
    copies it cannot tell apart (another script, full-width letters, other white space), what every check for "the
    same text" of labelled paragraphs compares (one text labelled two ways; a test paragraph the model trained on; a
    paragraph labelled already, which ``tagger suggest`` leaves out and ``tagger labels import`` skips; a paragraph of
    the real dev set). ``examples``: :class:`Example` objects, or anything else with a ``text`` (a label file's row, a
    paragraph of a report).

    Example:
        >>> text_keys([Example("a", None, "為老人檢修線路。", ()), Example("b", None, " 为老人检修线路。", ())])
        ['为老人检修线路。', '为老人检修线路。']
    """
    return normalize_many([ex.text for ex in examples])


AS_READ = "as the model reads it (traditional or simplified script, full-width letters and white space aside)"
"""How a message says that two texts that differ as written are one text to the model (:func:`text_keys`)."""


def same_text(a: str, b: str) -> str:
    """How a message names two paragraphs that are one text as the model reads it
    (:func:`~tagger.text.normalize.normalize_many`: the key of every check for one text labelled two ways).

    Example:
        >>> same_text("为老人检修线路。", " 为老人检修线路。")
        'the same text'
        >>> same_text("為老人檢修線路。", "为老人检修线路。")[:35]
        'the same text as the model reads it'
    """
    if a.strip() == b.strip():
        return "the same text"
    return f"the same text {AS_READ}"


def _read_csv_rows(path: Path) -> tuple[list[CsvRow], str]:
    """The rows of a seed label CSV, each with the file line it starts on, and its delimiter (as a spreadsheet
    saved it)."""
    # as a spreadsheet saves it: ';' or tabs in a locale whose list separator is not ',', a header in capitals; the
    # rows as the header was read (a space after each comma: "s:1", "…"), a malformed one's cells beyond the header
    # under None; strict, as every reader of a label CSV: a stray quote, or a row that reads two ways, is refused by
    # its line, never read as another text
    def check(header: list[str]) -> None:
        missing = [c for c in ("id", "text_sha", "labels") if c not in header]
        if missing:
            raise LabelFileError(f"{path}: missing column(s) {', '.join(missing)}; header must be "
                                 f"{','.join(SEED_COLUMNS)} (it is {','.join(header)[:120]})")

    delimiter, _, rows = read_label_table(path, lower=True, check=check,  # BOM, CRLF, GB18030 (Excel exports)
                                          empty=f"the label file is empty; expected a header {','.join(SEED_COLUMNS)}")
    return rows, delimiter


def load_seed_labels(labels_csv: str | Path, seeds_dir: str | Path) -> list[Example]:
    """Load and validate the seed label file against the seed reports: every content paragraph of
    every ``*.txt`` in ``seeds_dir`` must have exactly one reviewed row.

    Raises:
        LabelFileError: naming file and line for malformed rows, unknown labels, empty (unreviewed)
            cells, duplicate or missing rows, and rows whose text no longer matches the paragraph.
    """
    return [ex for ex, _ in _seed_rows(labels_csv, seeds_dir)]


def _seed_rows(labels_csv: str | Path, seeds_dir: str | Path) -> list[tuple[Example, str]]:
    """:func:`load_seed_labels`, each paragraph with where its row is (``seeds.csv:12``, as messages name it)."""
    labels_csv, seeds_dir = Path(labels_csv), Path(seeds_dir)
    paragraphs = {p.id: p for path in sorted(seeds_dir.glob("*.txt")) for p in read_report(path)}
    if not paragraphs:
        raise LabelFileError(f"{seeds_dir}: no seed reports (*.txt) found")
    seen: dict[str, int] = {}
    examples = []
    rows, delimiter = _read_csv_rows(labels_csv)
    for line_no, where, row in rows:
        extra = cells_beyond_header(row)  # a trailing comma gives only empty ones: read as the row
        if extra:
            raise LabelFileError(f"{where}: {len(extra)} cell(s) more than the header's columns "
                                 f"({delimiter.join(SEED_COLUMNS)}); a cell holding the delimiter must be quoted "
                                 '("a,b"); labels may be separated by ";"')
        pid = (row.get("id") or "").strip()
        if not pid:
            raise LabelFileError(f"{where}: empty id; give the paragraph's id as train.py printed it "
                                 "(<report>:<index>), or remove the row")
        if pid in seen:
            raise LabelFileError(f"{where}: duplicate row for paragraph {pid} (first at line {seen[pid]})")
        seen[pid] = line_no
        if pid not in paragraphs:
            raise LabelFileError(f"{where}: paragraph {pid} does not exist in {seeds_dir}; remove the row")
        para = paragraphs[pid]
        if (row.get("text_sha") or "").strip() != text_sha(para.text):
            raise LabelFileError(f"{where}: paragraph {pid} changed since it was labelled (text hash mismatch); "
                                 "re-check its labels and update text_sha (and text) in the label file")
        try:
            labels = parse_label_cell(row.get("labels"), where)
        except ValueError as exc:
            raise LabelFileError(str(exc)) from None
        if labels is None:
            raise LabelFileError(f"{where}: paragraph {pid} has an empty labels cell (not reviewed); "
                                 "give its labels, or none")
        examples.append((Example(pid, para.doc, para.text, labels, "seed", para.index, para.kind), where))
    unlabelled = [pid for pid in paragraphs if pid not in seen]
    if unlabelled:
        error = LabelFileError(f"{labels_csv}: {len(unlabelled)} seed paragraph(s) have no row, e.g. "
                               f"{unlabelled[0]}; label every content paragraph (none for no label)"
                               + _rows_to_add([paragraphs[pid] for pid in unlabelled], delimiter))
        error.keeps_lines = True  # the rows are to be copied into the file as they are
        raise error
    return examples


_ROWS_SHOWN = 30


def _rows_to_add(paras: list, delimiter: str = ",") -> str:
    """The missing seed rows as CSV lines to append (labels cell empty: the reader fills it), so nobody has to
    work out a paragraph's id, ``text_sha`` or kind by hand; cells separated by the file's own ``delimiter``."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for p in paras[:_ROWS_SHOWN]:
        writer.writerow([p.id, text_sha(p.text), "", p.kind, p.text])
    more = f"\n… and {len(paras) - _ROWS_SHOWN} more (fill these and run again)" if len(paras) > _ROWS_SHOWN else ""
    return (f"; append these rows ({delimiter.join(SEED_COLUMNS)}) and fill each empty labels cell with label ids "
            f"separated by ; or none:\n{out.getvalue().rstrip()}{more}")


def load_jsonl(path: str | Path, source: str = "external", require_labels: bool = True,
               text: str | None = None) -> list[Example]:
    """Load labelled paragraphs from JSONL (see the module doc); ``text``: the file's text when the caller has read it
    already, decoded with its line ends as they are (``read_text_file(path, newline="")``: the file is not read
    again) — its lines are split as the file's are when it is read from ``path``
    (:func:`~tagger.common.files.text_lines`: at ``\\n``; a lone ``\\r`` is no line break).

    Raises:
        LabelFileError: naming file and line for invalid JSON, a missing ``text``, unknown labels,
            duplicate ids, an ``index`` without a ``doc``, a row without a ``doc`` whose id is another row's ``doc``,
            and a row of a report without an index among rows with one or at an index taken.
    """
    return [ex for ex, _ in _jsonl_rows(path, source, require_labels, text)]


def _labels_hint(obj: dict) -> str:
    """What to write for a JSONL row whose ``labels`` is no list of label ids: the list its label cell means (a label
    cell written as text, ``"elderly_care;volunteer_work"``), or the keys it has when it has none (``"lables"``).

    Example:
        >>> _labels_hint({"text": "段落。", "labels": "elderly_care;volunteer_work"})
        ': got the text "elderly_care;volunteer_work"; write ["elderly_care", "volunteer_work"]'
        >>> _labels_hint({"text": "段落。", "lables": []})
        ': the row has no "labels" (its keys: "text", "lables"); write "labels": [label ids] ([] for no label)'
    """
    if "labels" not in obj:
        keys = ", ".join(json.dumps(k, ensure_ascii=False) for k in list(obj)[:8])
        return f': the row has no "labels" (its keys: {keys}); write "labels": [label ids] ([] for no label)'
    given = obj["labels"]
    if isinstance(given, str):
        try:
            meant = parse_label_cell(given, "")
        except ValueError:
            meant = None
        said = json.dumps(given, ensure_ascii=False)[:80]
        return f"; got the text {said}" if meant is None else \
            f": got the text {said}; write {json.dumps(list(meant), ensure_ascii=False)}"
    return f", got {json.dumps(given, ensure_ascii=False)[:80]}"


def _jsonl_rows(path: str | Path, source: str = "external", require_labels: bool = True,
                text: str | None = None) -> list[tuple[Example, str]]:
    """:func:`load_jsonl`, each paragraph with where its line is (``file:line``, as messages name it)."""
    path = Path(path)
    examples, seen = [], {}
    placed: dict[str, dict[int, int]] = {}  # per report given by "doc": the line of each position (index)
    unplaced: dict[str, int] = {}  # per report given by "doc": the first line of a row without one
    named: dict[str, int] = {}  # per report given by "doc": its first line
    alone: dict[str, int] = {}  # per row without "doc" (a report of its own, named by its id): its line
    try:
        lines = list(iter_json_lines(path) if text is None else parse_json_lines(text_lines(text)))
    except InputError as exc:
        raise label_file_error(exc) from None
    for line_no, obj, problem in lines:
        where = f"{path}:{line_no}"
        if problem:
            raise LabelFileError(f"{where}: {problem}; one JSON object per line")
        if not isinstance(obj.get("text"), str):
            raise LabelFileError(f"{where}: missing or non-string \"text\"")
        if not obj["text"].strip():
            raise LabelFileError(f"{where}: empty \"text\" (only white space); give the paragraph's text, or "
                                 "remove the row (empty paragraphs carry no labels)")
        for key in ("text", "id", "doc"):
            if isinstance(obj.get(key), str) and LONE_SURROGATE.search(obj[key]):
                raise LabelFileError(f"{where}: \"{key}\" holds a lone surrogate (a \\ud800-style escape that is "
                                     "not valid Unicode text); fix or remove that character")
        labels = obj.get("labels", None if require_labels else [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise LabelFileError(f"{where}: \"labels\" must be a list of label ids (may be empty){_labels_hint(obj)}")
        try:
            labels = validate_labels(labels, where)
        except ValueError as exc:
            close = next((closest_label(lab) for lab in labels if lab not in LABELS), None)
            raise LabelFileError(f"{exc}{f' (did you mean {close!r}?)' if close else ''}") from None
        for key in ("id", "doc"):
            value = obj.get(key)
            if value is None:
                continue
            if isinstance(value, float) and value.is_integer() and abs(value) <= 2 ** 53:  # 101.0: pandas' id column
                value = obj[key] = int(value)
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                shown = json.dumps(value, ensure_ascii=False)[:60]
                raise LabelFileError(f"{where}: \"{key}\" must be text or a whole number, got {shown}")
            if isinstance(value, str) and value != value.strip():
                raise LabelFileError(f"{where}: \"{key}\" {value!r} has white space at its ends (it would be another "
                                     f"{'paragraph' if key == 'id' else 'report'} than {value.strip()!r}); remove it")
        pid = str(obj["id"]) if obj.get("id") not in (None, "") else f"{path.stem}:{line_no}"  # 0 is an id
        if pid in seen:
            raise LabelFileError(f"{where}: duplicate id {pid!r} (first at line {seen[pid]})")
        seen[pid] = line_no
        index = obj.get("index", -1)
        if not isinstance(index, int) or isinstance(index, bool):
            raise LabelFileError(f"{where}: \"index\" must be an integer (the paragraph's position in its report)")
        kind = obj.get("kind") or "body"
        if kind not in KINDS:
            raise LabelFileError(f"{where}: \"kind\" {json.dumps(kind, ensure_ascii=False)[:40]} is none of "
                                 f"{', '.join(KINDS)} (what the reader calls a line; a heading or caption gets no "
                                 "label); leave it out for body text")
        doc = str(obj["doc"]) if obj.get("doc") not in (None, "") else pid
        given = obj.get("doc") not in (None, "")
        if doc in (alone if given else named):  # a row without "doc" would be read as a paragraph of that report
            lone, other = (alone[doc], line_no) if given else (line_no, named[doc])
            raise LabelFileError(_alone_in_a_report(path, lone, other, doc))
        (named if given else alone).setdefault(doc, line_no)
        if given:  # a report's rows: each at its own place, or none is placed
            _check_place(path, line_no, doc, index, placed, unplaced)
        elif index >= 0:  # a place in no report: read as a paragraph of its own, the index was unused
            raise LabelFileError(f"{where}: \"index\" {index} but no \"doc\": an index is the paragraph's place in "
                                 "its report, and the row names no report; add the report's \"doc\" (every row of "
                                 "that report with its own index), or drop \"index\" (a paragraph of its own)")
        examples.append((Example(pid, doc, obj["text"], labels, str(obj.get("source") or source), index, kind),
                         where))
    if not examples:
        raise LabelFileError(f"{path}: no rows; expected one JSON object per line")
    return examples


def _alone_in_a_report(path: Path, lone: int, other: int, pid: str) -> str:
    """What a message says of the JSONL row at line ``lone`` of ``path``, without a ``doc`` (a report of its own,
    named by its id ``pid``), whose id is the ``doc`` of the row at line ``other``: it would be read as a paragraph of
    that report (its cross-validation fold, its context).

    Example:
        >>> print(_alone_in_a_report(Path("a.jsonl"), 3, 1, "r1"))  # doctest: +NORMALIZE_WHITESPACE
        a.jsonl:3: the row with id "r1" has no "doc", so it is a report of its own named by its id, but the row at
        line 1 names a report "r1" as its "doc": the two would be read as one report (one cross-validation fold, one
        context); if it is a paragraph of that report, give it "doc": "r1" (with its "index" where that report's rows
        have one), else give it another id
    """
    quoted = json.dumps(pid, ensure_ascii=False)
    return (f"{path}:{lone}: the row with id {quoted} has no \"doc\", so it is a report of its own named by its id, "
            f"but the row at line {other} names a report {quoted} as its \"doc\": the two would be read as one "
            f"report (one cross-validation fold, one context); if it is a paragraph of that report, give it "
            f"\"doc\": {quoted} (with its \"index\" where that report's rows have one), else give it another id")


def _check_place(path: Path, line_no: int, doc: str, index: int, placed: dict[str, dict[int, int]],
                 unplaced: dict[str, int]) -> None:
    """Refuse the JSONL row at line ``line_no`` of ``path``, of the report ``doc``, where it breaks the report's
    order: its ``index`` given to an earlier row of the report already, or an index (a place) given to some of the
    report's rows and not to others — a row without one is no paragraph of the report: its order and context (the
    paragraphs around it, its strongest other paragraph) would be made without it. A negative index is no place.
    ``placed``: per report, the line of each index seen; ``unplaced``: per report, the first line without one.
    Both are updated.

    Raises:
        LabelFileError: naming both rows and what to write.
    """
    quoted = json.dumps(doc, ensure_ascii=False)
    indexes = placed.setdefault(doc, {})
    if index >= 0 and index in indexes:
        raise LabelFileError(f"{path}:{line_no}: report {quoted} has a paragraph at index {index} already (line "
                             f"{indexes[index]}); each paragraph of a report has its own: number them 0, 1, 2, … in "
                             "reading order")
    if index >= 0 and doc in unplaced:
        without, other, other_index = unplaced[doc], line_no, index
    elif index < 0 and indexes:
        (other_index, other), without = next(iter(indexes.items())), line_no
    elif index >= 0:
        indexes[index] = line_no
        return
    else:
        unplaced.setdefault(doc, line_no)
        return
    raise LabelFileError(f"{path}:{without}: this row of report {quoted} has no \"index\" (or a negative one) but its "
                         f"row at line {other} has one ({other_index}): a row without one is left out of the report's "
                         f"order and context; give every row of {quoted} its \"index\" (0, 1, 2, … in reading order), "
                         "or none (sentences grouped without an order)")


def load_training_data(root: str | Path = ".", use_authored: bool = True, dev: DevTexts | None = None
                       ) -> list[Example]:
    """All labelled training paragraphs of a project checkout:

    * ``labels/seeds.csv`` over ``seeds/*.txt`` — real paragraphs, source ``seed``;
    * ``labels/imported.jsonl`` (if present) — real paragraphs labelled by annotators, source ``imported``;
    * ``labels/authored*.jsonl`` (if ``use_authored``) — authored training text, source ``authored``.

    ``dev``: the project's :func:`~tagger.data.devset.dev_texts`, when the caller has them already (they are read
    from the dev texts on disk); else read here.

    Raises:
        LabelFileError: for any invalid label file, an id present in two files, a report (``doc``) with rows in
            two files, or a paragraph of the real dev set (``labels/dev_manifest.csv``: scoring only).
    """
    return [ex for ex, _ in training_rows(root, use_authored, dev)]


def training_rows(root: str | Path = ".", use_authored: bool = True, dev: DevTexts | None = None
                  ) -> list[tuple[Example, str]]:
    """:func:`load_training_data`, each paragraph with where its row is (``file:line``, as messages name it).

    Raises:
        LabelFileError: as :func:`load_training_data`.
    """
    root = Path(root)
    files = [_seed_rows(root / "labels" / "seeds.csv", root / "seeds")]
    if (root / IMPORTED_FILE).exists():
        files.append(_jsonl_rows(root / IMPORTED_FILE, source="imported"))
    if use_authored:
        for path in sorted((root / "labels").glob(AUTHORED_GLOB)):
            files.append([(ex if ex.source == "authored" else Example(ex.id, ex.doc, ex.text, ex.labels, "authored",
                                                                       ex.index, ex.kind), where)
                          for ex, where in _jsonl_rows(path, source="authored")])
    rows = [row for file_rows in files for row in file_rows]
    examples, wheres = [ex for ex, _ in rows], [where for _, where in rows]
    seen: dict[str, tuple[str, str]] = {}
    for ex, where in rows:
        if ex.id in seen:  # in two files (one file refuses its own repeats): both named, so either can be changed
            source, first = seen[ex.id]
            raise LabelFileError(f"paragraph id {ex.id!r} appears twice ({source} at {first} and {ex.source} at "
                                 f"{where}); ids must be unique: change one of them")
        seen[ex.id] = (ex.source, where)
    reports: dict[str, tuple[int, str]] = {}  # per report (doc): its file and its first row
    for n, file_rows in enumerate(files):
        for ex, where in file_rows:
            k, first = reports.setdefault(ex.doc, (n, where))
            if k != n:  # one report of two authors (or batches): its paragraphs would be mixed into one
                raise LabelFileError(f"{report_in_two_files(ex.doc, first, where)}; give the report in one of the "
                                     "files another \"doc\" (a row without \"doc\" is a report named by its id: "
                                     "give it another id)")
    from .devset import MANIFEST_FILE, dev_texts  # here: devset builds on this module

    dev, keys = dev if dev is not None else dev_texts(root), text_keys(examples)
    leaked = [(ex, at, found) for ex, key, at in zip(examples, keys, wheres) if (found := dev.find(ex.text, key))]
    if leaked:
        ex, at, found = leaked[0]
        raise LabelFileError(f"{len(leaked)} training paragraph(s) are paragraphs of the real dev set "
                             f"({MANIFEST_FILE}), e.g. {ex.source} {ex.id} ({at}) = dev {found}: the dev set is for "
                             "scoring only; remove them from the label files")
    _check_label_conflicts(examples, wheres, keys)
    return rows


def report_in_two_files(doc: str, first: str, second: str) -> str:
    """What a message says of a report (``doc``) with rows in two label files (``first``, ``second``: a row of each,
    ``file:line``): training groups paragraphs by ``doc`` alone, so the two would be one report.

    Example:
        >>> report_in_two_files("r7", "authored_a.jsonl:3", "authored_b.jsonl:1")[:61]
        'report "r7" has rows in two label files (authored_a.jsonl:3 a'
    """
    return (f"report {json.dumps(doc, ensure_ascii=False)} has rows in two label files ({first} and {second}): "
            "training would read them as one report (one story for the report-context scores, one cross-validation "
            "fold, their positions in it mixed)")


def _check_label_conflicts(examples: list[Example], wheres: list[str], keys: list[str]) -> None:
    """One text labelled two ways: refused where two paragraphs that sit in no report disagree (nothing tells them
    apart, and the model would learn each label half-way, as ``evaluate --test`` refuses them); a warning where the
    labels differ only between a paragraph of a report and others (a continuation paragraph may take its label from
    the story around it). One text is one text as the model reads it (:func:`~tagger.text.normalize.normalize_many`):
    a copy in traditional script, with full-width letters or another run of white space is the same paragraph to it.
    ``wheres``: where each example's row is (``file:line``); ``keys``: their :func:`text_keys`.

    Raises:
        LabelFileError: naming both paragraphs, their rows and their labels.
    """
    groups: dict[str, list[tuple[Example, str | None, str]]] = {}
    for ex, norm, report, where in zip(examples, keys, report_ids(examples), wheres):
        groups.setdefault(norm, []).append((ex, report, where))

    def what(a: tuple[Example, str | None, str], b: tuple[Example, str | None, str]) -> str:
        (x, _, at_x), (y, _, at_y) = a, b
        return (f"{x.source} paragraph {x.id!r} ({at_x}) and {y.source} paragraph {y.id!r} ({at_y}) have "
                f"{same_text(x.text, y.text)} but different labels ({';'.join(x.labels) or 'none'} / "
                f"{';'.join(y.labels) or 'none'})")

    warned: list[str] = []
    for group in groups.values():
        if len({frozenset(ex.labels) for ex, _, _ in group}) < 2:
            continue
        loose = [row for row in group if row[1] is None]
        clash = next(((a, b) for i, a in enumerate(loose) for b in loose[i + 1:]
                      if set(a[0].labels) != set(b[0].labels)), None)
        if clash:
            raise LabelFileError(f"{what(*clash)}, and neither is a paragraph of a report (whose story could decide "
                                 "it): settle them in the label files, then train again")
        first = group[0]
        warned.append(what(first, next(row for row in group if set(row[0].labels) != set(first[0].labels))))
    if warned:
        log.warning("%s; one is a paragraph of a report, so the story around it may decide: check that this is "
                    "meant%s", warned[0], f" ({len(warned) - 1} more such texts)" if len(warned) > 1 else "")


def label_matrix(examples: list[Example]) -> np.ndarray:
    """Binary indicator matrix, shape ``(len(examples), 5)``."""
    y = np.zeros((len(examples), len(LABELS)), dtype=np.int8)
    for i, ex in enumerate(examples):
        for lab in ex.labels:
            y[i, LABELS.index(lab)] = 1
    return y


def data_hash(examples: list[Example], extra: bytes = b"") -> str:
    """sha256 over ids, sources, reports (``doc``), positions, kinds, texts and labels — identifies the
    exact training data — and ``extra`` (what else the model was trained from:
    :func:`tagger.training.training_hash` adds the lexicon, the user dictionary, the seed and the encoder).
    Deterministic: the same input gives the same hash on every machine and run.

    Example:
        >>> a = [Example("r:0", "r", "段落。", ("elderly_care",), index=0)]
        >>> data_hash(a) == data_hash(list(a)), data_hash(a) == data_hash([Example("r:0", "r", "段落。", ("elderly_care",), index=1)])
        (True, False)
    """
    h = hashlib.sha256()
    for ex in examples:
        h.update("\x1f".join((ex.id, ex.source, ex.doc, str(ex.index), ex.kind, ex.text,
                              ";".join(ex.labels))).encode("utf-8"))
        h.update(b"\x1e")
    if extra:
        h.update(b"\x1d" + extra)
    return h.hexdigest()
