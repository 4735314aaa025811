"""Growing the labelled set: suggest what to label next, import filled-in labels, audit labels.

The annotation loop:

1. ``tagger suggest REPORTS... --n 30 --output to_label.csv`` splits new reports into paragraphs,
   drops headings and paragraphs whose text is already labelled (by :func:`tagger.data.text_sha`
   in ``labels/seeds.csv``, ``labels/imported.jsonl`` or ``labels/authored.jsonl``), and picks the
   paragraphs the model is least sure about, spread over the new material (:func:`suggest`).
2. A person fills the ``labels`` column of the CSV in a spreadsheet (see :data:`SUGGEST_COLUMNS`).
3. ``tagger labels import to_label.csv`` validates the file and merges it into
   ``labels/imported.jsonl`` (:func:`import_csv`); the review page (:mod:`tagger.server`) saves
   through the same :func:`import_rows`. ``python train.py`` then trains on the new paragraphs
   (source ``imported``, grouped by report in cross-validation).
4. ``tagger labels audit`` lists labelled paragraphs whose gold labels disagree most with confident
   out-of-fold predictions (:func:`audit`); nothing is changed.

The ``labels`` cell of the CSV: ``;``-separated label ids (``,`` ``|`` ``、`` ``;`` and spaces
also separate); the token ``none`` means "reviewed: no label applies"; an **empty cell means "not
reviewed yet"** and the row is skipped (and counted), so a half-filled file can be imported and
finished later.

Example:
    >>> parse_label_cell("volunteer_work; elderly_care"), parse_label_cell("none"), parse_label_cell("")
    (('elderly_care', 'volunteer_work'), (), None)
"""

from __future__ import annotations

import contextlib
import unicodedata

import csv
import io
import json
import re
import textwrap
import threading
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .data import IMPORTED_FILE, Example, load_jsonl, load_training_data, text_sha
from .errors import InputError, LabelFileError
from .reader import Paragraph, read_text_file, split_report
from .schema import LABELS, validate_labels

__all__ = [
    "NONE_TOKEN",
    "SUGGEST_COLUMNS",
    "REQUIRED_COLUMNS",
    "AUDIT_METHOD",
    "Suggestion",
    "SuggestResult",
    "LabelRow",
    "ImportResult",
    "parse_label_cell",
    "uncertainty",
    "pick_diverse",
    "collect_reports",
    "labelled_hashes",
    "suggest",
    "suggest_from_reports",
    "write_suggestions",
    "read_label_csv",
    "validate_record",
    "import_rows",
    "import_csv",
    "audit_rule",
    "find_label_issues_oof",
    "audit",
    "format_audit",
]

NONE_TOKEN = "none"
"""``labels`` cell value meaning "reviewed, no label applies" (an empty cell means "not reviewed")."""

SCORE_COLUMNS = tuple(f"score_{lab}" for lab in LABELS)
SUGGEST_COLUMNS = ("id", "report", "text", "predicted", *SCORE_COLUMNS, "uncertainty", "labels", "text_sha")
"""Columns of the CSV written by :func:`write_suggestions`.

* ``id`` — paragraph id ``<report>:<index>`` (index among the report's non-blank lines);
* ``report`` — the report id (file stem);
* ``text`` — the original paragraph text (do not edit; it is checked against ``text_sha``);
* ``predicted`` — the model's labels, ``;``-separated (empty: none);
* ``score_<label>`` — one column per label: the model's score in [0, 1] (3 decimals);
* ``uncertainty`` — the ranking key, ``min`` over labels of ``|score - threshold|`` (smaller: less sure);
* ``labels`` — **the column to fill**: ``;``-separated label ids, ``none`` for no label, empty to skip;
* ``text_sha`` — :func:`tagger.data.text_sha` of ``text``.
"""

REQUIRED_COLUMNS = ("id", "text", "labels", "text_sha")
"""Columns :func:`read_label_csv` needs; all others (``report``, scores, …) are optional."""

AUDIT_METHOD = "out-of-fold margin rule (cleanlab is not used)"

_SHA_RE = re.compile(r"[0-9a-f]{16}")
_LABEL_SPLIT = re.compile(r"[;,|\s\u3001\uff1b\uff0c]+")  # also 、 ; ,
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE = re.compile(r"[0-9]*[eE]?[0-9]+")
_IMPORT_LOCK = threading.Lock()


@contextlib.contextmanager
def _file_lock(path: Path):
    """An OS-level lock, so a CLI import and a running review server cannot interleave their
    read-modify-write of labels/imported.jsonl (no-op where fcntl is unavailable)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
_MAX_ERRORS = 20


# --------------------------------------------------------------------------- labels cell
def parse_label_cell(cell: str | Sequence[str] | None, where: str = "labels") -> tuple[str, ...] | None:
    """Parse a ``labels`` cell (or a list of ids) into canonical label order.

    Args:
        cell: ``"elderly_care;volunteer_work"``, ``"none"``, ``""`` or a list of label ids (the
            review page sends lists; an empty list means "no label").
        where: prefix for error messages (file and row).

    Returns:
        The labels in :data:`tagger.schema.LABELS` order; ``()`` for ``none``; ``None`` for an empty
        cell ("not reviewed yet").

    Raises:
        ValueError: for an unknown id, a repeated id, or ``none`` mixed with labels.
    """
    if cell is None:
        return None
    if isinstance(cell, str):
        tokens = [t.lower() for t in _LABEL_SPLIT.split(cell.strip().lstrip("'")) if t]
        if not tokens:
            return None
    else:
        if not all(isinstance(t, str) for t in cell):
            raise ValueError(f"{where}: labels must be label ids (strings)")
        tokens = [t.strip().lower() for t in cell if t.strip()]
    if NONE_TOKEN in tokens:
        if len(tokens) > 1:
            raise ValueError(f"{where}: '{NONE_TOKEN}' cannot be combined with labels ({'; '.join(tokens)})")
        return ()
    unknown = [t for t in tokens if t not in LABELS]
    if unknown:
        raise ValueError(f"{where}: unknown label id {unknown[0]!r}; valid ids: {', '.join(LABELS)} "
                         f"(or '{NONE_TOKEN}' for no label, or leave the cell empty to skip the row)")
    return validate_labels(tokens, where)


# --------------------------------------------------------------------------- suggest
@dataclass(frozen=True)
class Suggestion:
    """One paragraph proposed for labelling.

    Attributes:
        id: paragraph id ``<report>:<index>``.
        report: report id (file stem).
        text: original paragraph text.
        kind: ``"body"`` or ``"caption"`` (headings are never suggested).
        text_sha: :func:`tagger.data.text_sha` of ``text``.
        scores: the model's score per label.
        predicted: labels whose score reaches the model's threshold.
        uncertainty: ``min`` over labels of ``|score - threshold|``; smaller is less certain.
        cluster: the diversity cluster it was picked from.
    """

    id: str
    report: str
    text: str
    kind: str
    text_sha: str
    scores: dict[str, float]
    predicted: tuple[str, ...]
    uncertainty: float
    cluster: int


@dataclass
class SuggestResult:
    """Suggestions plus what was filtered out on the way (for the CLI summary)."""

    suggestions: list[Suggestion]
    n_paragraphs: int = 0
    n_headings: int = 0
    n_labelled: int = 0
    n_duplicates: int = 0
    n_candidates: int = 0

    def summary(self) -> str:
        """One line saying how the suggestions were chosen."""
        return (f"{len(self.suggestions)} of {self.n_candidates} unlabelled paragraphs suggested "
                f"({self.n_paragraphs} paragraphs read: {self.n_headings} headings skipped, "
                f"{self.n_labelled} already labelled, {self.n_duplicates} repeated texts)")


def uncertainty(scores: np.ndarray, thresholds: Sequence[float] | np.ndarray) -> np.ndarray:
    """Uncertainty margin per paragraph: ``min`` over labels of ``|score - threshold|``.

    A paragraph is as uncertain as its least certain label: a score right at a label's decision
    threshold means the model could go either way on that label, so a human answer teaches it the
    most. Smaller values are more uncertain.

    Example:
        >>> uncertainty(np.array([[0.9, 0.32], [0.1, 0.1]]), [0.5, 0.3]).round(2).tolist()
        [0.02, 0.2]
    """
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    return np.abs(scores - np.asarray(thresholds, dtype=float)).min(axis=1)


def pick_diverse(norm_texts: Sequence[str], margins: Sequence[float], n: int, seed: int = 0
                 ) -> tuple[list[int], list[int]]:
    """Pick ``n`` uncertain but mutually different paragraphs.

    The candidates are clustered with K-means (``k = n``, fixed ``random_state``) on a character
    2–3-gram TF-IDF of their normalised text; from each cluster the paragraph with the smallest
    margin is taken, so near-duplicates (one cluster) yield one pick. If fewer than ``n`` clusters
    are non-empty, the remaining slots go to the most uncertain paragraphs not yet picked.

    Args:
        norm_texts: normalised paragraph texts.
        margins: uncertainty margins (see :func:`uncertainty`), smaller first.
        n: how many to pick.
        seed: K-means random state.

    Returns:
        ``(indices, clusters)``: the picked indices, most uncertain first, and each one's cluster.
    """
    margins = np.asarray(margins, dtype=float)
    count = len(norm_texts)
    order = sorted(range(count), key=lambda i: (margins[i], i))
    if n <= 0 or count == 0:
        return [], []
    if count <= n:
        return order, order[:]  # every candidate is its own cluster
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    X = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True).fit_transform(
        [t or "\u2205" for t in norm_texts])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # fewer distinct points than clusters
        assign = KMeans(n_clusters=n, random_state=seed, n_init=4).fit_predict(X)
    best: dict[int, int] = {}
    for i in order:  # most uncertain first, so the first member seen is the cluster's pick
        best.setdefault(int(assign[i]), i)
    picked = sorted(best.values(), key=lambda i: (margins[i], i))
    if len(picked) < n:
        taken = set(picked)
        picked += [i for i in order if i not in taken][: n - len(picked)]
        picked.sort(key=lambda i: (margins[i], i))
    return picked, [int(assign[i]) for i in picked]


def suggest(model, paragraphs: Sequence[Paragraph], labelled: Collection[str] = (), n: int = 30,
            seed: int = 0) -> SuggestResult:
    """Rank unlabelled paragraphs for labelling by uncertainty, with diversity.

    Headings are skipped (the codebook gives them no label), as are paragraphs whose text hash is in
    ``labelled`` and repeats of a text seen earlier in ``paragraphs``. The rest are scored with
    ``model.predict_proba`` and picked with :func:`pick_diverse` on the margin of
    :func:`uncertainty` against ``model.thresholds_``.

    Args:
        model: a fitted :class:`~tagger.model.Tagger` (anything with ``predict_proba`` and
            ``thresholds_``).
        paragraphs: paragraphs of the new reports (see :func:`collect_reports`).
        labelled: text hashes of paragraphs that already have labels (see :func:`labelled_hashes`).
        n: how many paragraphs to suggest.
        seed: random state of the clustering.
    """
    labelled = set(labelled)
    seen: set[str] = set()
    result = SuggestResult([], n_paragraphs=len(paragraphs))
    candidates: list[tuple[Paragraph, str]] = []
    for p in paragraphs:
        if p.kind == "heading":
            result.n_headings += 1
            continue
        sha = text_sha(p.text)
        if sha in labelled:
            result.n_labelled += 1
        elif sha in seen:
            result.n_duplicates += 1
        else:
            seen.add(sha)
            candidates.append((p, sha))
    result.n_candidates = len(candidates)
    if not candidates or n <= 0:
        return result
    scores = np.asarray(model.predict_proba([p.text for p, _ in candidates]), dtype=float)
    thresholds = np.asarray(model.thresholds_, dtype=float)
    margins = uncertainty(scores, thresholds)
    picked, clusters = pick_diverse([p.norm for p, _ in candidates], margins, n, seed)
    for i, cluster in zip(picked, clusters):
        p, sha = candidates[i]
        result.suggestions.append(Suggestion(
            p.id, p.doc, p.text, p.kind, sha,
            {lab: round(float(s), 4) for lab, s in zip(LABELS, scores[i])},
            tuple(lab for lab, s, t in zip(LABELS, scores[i], thresholds) if s >= t),
            round(float(margins[i]), 4), cluster))
    return result


def collect_reports(paths: Sequence[str | Path], encoding: str | None = None) -> list[Paragraph]:
    """Read report files (``.txt`` files, or directories searched recursively for ``*.txt``).

    Raises:
        InputError: for a missing or unreadable file, a directory without reports, or two reports
            with the same file name (their paragraph ids would clash).
    """
    seen: dict[str, Path] = {}
    paragraphs: list[Paragraph] = []
    for raw in paths:
        path = Path(raw)
        files = sorted(path.rglob("*.txt")) if path.is_dir() else [path]
        if path.is_dir() and not files:
            raise InputError(f"{path}: directory contains no *.txt reports")
        for f in files:
            if f.stem in seen and seen[f.stem].resolve() != f.resolve():
                raise InputError(f"{f}: another report has the same name ({seen[f.stem]}); paragraph ids "
                                 "<report>:<index> would clash: rename one of them")
            if f.stem in seen:
                continue
            seen[f.stem] = f
            paragraphs += split_report(read_text_file(f, encoding), f.stem)
    return paragraphs


def _check_project(root: Path) -> None:
    if not (root / "labels" / "seeds.csv").exists() or not (root / "seeds").is_dir():
        raise LabelFileError(f"{root}: not a tagger project (no labels/seeds.csv and seeds/); run from the "
                             "project checkout or pass --root")


def labelled_hashes(root: str | Path = ".") -> dict[str, str]:
    """Text hashes of every labelled paragraph of a project: ``{text_sha: "source id"}``.

    Covers ``labels/seeds.csv`` (seed reports), ``labels/imported.jsonl`` and
    ``labels/authored.jsonl``.

    Raises:
        LabelFileError: if ``root`` is not a project or a label file is invalid.
    """
    root = Path(root)
    _check_project(root)
    out: dict[str, str] = {}
    for ex in load_training_data(root, use_authored=True):
        out.setdefault(text_sha(ex.text), f"{ex.source} {ex.id}")
    return out


def suggest_from_reports(model, paths: Sequence[str | Path], root: str | Path = ".", n: int = 30,
                         seed: int = 0, encoding: str | None = None) -> SuggestResult:
    """:func:`suggest` over report files, skipping paragraphs already labelled in project ``root``."""
    return suggest(model, collect_reports(paths, encoding), labelled_hashes(root), n=n, seed=seed)


def _csv_safe(cell: str) -> str:
    """Neutralise spreadsheet formulas: a cell starting with ``= + - @`` gets a leading ``'``."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _csv_hash(sha: str) -> str:
    """A hash a spreadsheet would read as a number (``1234…``, ``12e45…``) gets a leading ``'``."""
    return "'" + sha if _NUMBER_LIKE.fullmatch(sha) else sha


def write_suggestions(suggestions: Sequence[Suggestion], path: str | Path, force: bool = False) -> Path:
    """Write suggestions as a spreadsheet-friendly CSV (UTF-8 with BOM, CRLF), atomically.

    Columns: :data:`SUGGEST_COLUMNS`. Cells that a spreadsheet would read as a formula (``=``, ``+``,
    ``-``, ``@`` first) or a hash it would read as a number get a leading ``'`` (removed again by
    :func:`read_label_csv`).

    Raises:
        InputError: if ``path`` exists and ``force`` is false (it may hold labels someone filled in).
    """
    from .persistence import atomic_write, would_overwrite

    path = Path(path)
    if would_overwrite(path) and not force:
        raise InputError(f"{path}: already exists and may hold labels you filled in; choose another "
                         "--output, or pass --force to overwrite it")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(SUGGEST_COLUMNS)
    for s in suggestions:
        writer.writerow([_csv_safe(s.id), _csv_safe(s.report), _csv_safe(s.text), ";".join(s.predicted),
                         *(f"{s.scores[lab]:.3f}" for lab in LABELS), f"{s.uncertainty:.4f}", "",
                         _csv_hash(s.text_sha)])
    with atomic_write(path, "wb") as fh:
        fh.write(buf.getvalue().encode("utf-8-sig"))
    return path


# --------------------------------------------------------------------------- import
@dataclass(frozen=True)
class LabelRow:
    """One validated row of a filled-in label file.

    Attributes:
        where: ``"<file>, row N"`` for messages.
        id: paragraph id ``<report>:<index>``.
        doc: report id.
        text: original paragraph text (stripped).
        text_sha: hash of ``text``.
        labels: canonical labels, ``()`` for none, ``None`` when not reviewed yet.
    """

    where: str
    id: str
    doc: str
    text: str
    text_sha: str
    labels: tuple[str, ...] | None


@dataclass
class ImportResult:
    """What :func:`import_rows` did (or, with ``dry_run``, would do)."""

    path: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    not_reviewed: list[str] = field(default_factory=list)
    already_labelled: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        """True when the label file was (or would be) rewritten."""
        return bool(self.added or self.updated)

    def summary(self) -> str:
        """Human-readable account of the import, several lines."""
        verb = "would be" if self.dry_run else "were"
        lines = [f"{self.path}: {len(self.added)} added, {len(self.updated)} updated, "
                 f"{len(self.unchanged)} unchanged" + (" (dry run: nothing written)" if self.dry_run else "")]
        if self.not_reviewed:
            lines.append(f"{len(self.not_reviewed)} row(s) not reviewed yet (empty labels cell) {verb} skipped; "
                         f"fill them ('{NONE_TOKEN}' for no label) and import again")
        if self.already_labelled:
            ex = ", ".join(f"{i} (= {o})" for i, o in self.already_labelled[:5])
            lines.append(f"{len(self.already_labelled)} row(s) already labelled elsewhere {verb} skipped: {ex}")
        if self.conflicts:
            lines.append(f"{len(self.conflicts)} row(s) differ from labels imported earlier and {verb} kept as "
                         f"they were: {', '.join(self.conflicts[:10])}; pass --update to overwrite them")
        if self.changed and not self.dry_run:
            lines.append("next: python train.py (it trains on these paragraphs)")
        return "\n".join(lines)


def _sniff_delimiter(header_line: str) -> str:
    for delim in (",", "\t", ";"):
        cells = [c.strip().strip('"').lstrip("\ufeff").lower() for c in header_line.split(delim)]
        if "id" in cells and "labels" in cells:
            return delim
    return ","


def validate_record(record: Mapping[str, object], where: str) -> LabelRow:
    """Validate one row (CSV cells, or a JSON object from the review page).

    Keys: ``id``, ``text``, ``text_sha``, ``labels`` (cell string or list of ids), optional
    ``report``. A leading ``'`` that :func:`write_suggestions` added against spreadsheet formulas
    is removed.

    Raises:
        LabelFileError: naming ``where`` and what to do.
    """
    def cell(key: str) -> str:
        value = record.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise LabelFileError(f"{where}: {key!r} must be text, got {type(value).__name__}")
        return value.strip()

    pid = cell("id").lstrip("'")
    if not pid:
        raise LabelFileError(f"{where}: empty id; every row needs the id written by tagger suggest")
    doc, sep, index = pid.rpartition(":")
    # No control/format/separator characters in ids: they are printed to terminals and persisted.
    if not sep or not doc or not index.isdigit() or any(unicodedata.category(ch)[0] in "CZ" and ch != " "
                                                         for ch in doc):
        raise LabelFileError(f"{where}: id {pid!r} is not '<report>:<paragraph index>'; restore it from "
                             "the file tagger suggest wrote")
    report = cell("report")
    if report.startswith("'") and report[1:] == doc:
        report = report[1:]
    if report and report != doc:
        raise LabelFileError(f"{where}: report {report!r} does not match id {pid!r}; restore both from the "
                             "file tagger suggest wrote")
    sha = cell("text_sha").lstrip("'").lower()
    if not _SHA_RE.fullmatch(sha):
        raise LabelFileError(f"{where}: text_sha {sha!r} is not a 16-character hex hash (a spreadsheet may have "
                             "turned it into a number: format the column as text and copy it back from the "
                             "file tagger suggest wrote)")
    text = cell("text")
    if text.startswith("'") and text_sha(text[1:]) == sha:
        text = text[1:].strip()
    if not text:
        raise LabelFileError(f"{where}: empty text; restore the paragraph text from the file tagger suggest wrote")
    if text_sha(text) != sha:
        raise LabelFileError(f"{where}: the text of {pid} was changed (it no longer matches text_sha); restore "
                             "the original text: correct the labels column only")
    raw = record.get("labels")
    if raw is not None and not isinstance(raw, (str, list, tuple)):
        raise LabelFileError(f"{where}: labels must be a ;-separated cell or a list of label ids")
    try:
        labels = parse_label_cell(raw, where)
    except ValueError as exc:
        raise LabelFileError(str(exc)) from None
    return LabelRow(where, pid, doc, text, sha, labels)


def read_label_csv(path: str | Path) -> list[LabelRow]:
    """Read and validate a filled-in suggestion CSV (rows checked one by one).

    Handles Excel variants: UTF-8 with or without BOM, GB18030, CRLF line ends, quoted newlines,
    ``,``/tab/``;`` delimiters, trailing empty rows. Row numbers in messages are spreadsheet rows
    (the header is row 1).

    Raises:
        LabelFileError: for an empty or unreadable file, missing columns, malformed rows, an unknown
            label id, a changed text, a bad id or hash — every problem (up to 20) named by row.
    """
    path = Path(path)
    try:
        text = read_text_file(path)
    except InputError as exc:
        raise LabelFileError(str(exc)) from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise LabelFileError(f"{path}: the file is empty; expected the CSV written by tagger suggest "
                             f"(header {','.join(SUGGEST_COLUMNS)})")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text.split("\n", 1)[0]))
    try:
        header = [h.strip().lstrip("\ufeff").lower() for h in next(reader)]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise LabelFileError(f"{path}: missing column(s) {', '.join(missing)}; the header must include "
                                 f"{','.join(REQUIRED_COLUMNS)} (as written by tagger suggest)")
        dupes = sorted({h for h in header if h and header.count(h) > 1})
        if dupes:
            raise LabelFileError(f"{path}: column {dupes[0]!r} appears twice in the header")
        records: list[tuple[str, dict[str, str]]] = []
        errors: list[str] = []
        line_end = reader.line_num
        for row_no, cells in enumerate(reader, start=2):
            start, line_end = line_end + 1, reader.line_num
            where = f"{path}, row {row_no}" + (f" (line {start})" if start != row_no else "")
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                errors.append(f"{where}: {len(cells)} cells but the header has {len(header)} columns; "
                              "quote cells that contain the delimiter")
                continue
            records.append((where, dict(zip(header, cells + [""] * (len(header) - len(cells))))))
    except csv.Error as exc:
        raise LabelFileError(f"{path}, line {reader.line_num}: malformed CSV ({exc})") from None
    rows = []
    for where, record in records:
        try:
            rows.append(validate_record(record, where))
        except LabelFileError as exc:
            errors.append(str(exc))
    errors += _duplicates(rows)
    _raise_errors(path, errors)
    if not rows:
        raise LabelFileError(f"{path}: no rows under the header; nothing to import")
    return rows


def _duplicates(rows: Sequence[LabelRow]) -> list[str]:
    """Errors for repeated ids and repeated paragraph texts."""
    errors = []
    first_id: dict[str, LabelRow] = {}
    first_sha: dict[str, LabelRow] = {}
    for row in rows:
        if row.id in first_id:
            errors.append(f"{row.where}: duplicate id {row.id} (first at {first_id[row.id].where}); keep one row")
        elif row.text_sha in first_sha:
            errors.append(f"{row.where}: same paragraph text as {first_sha[row.text_sha].where} "
                          f"({first_sha[row.text_sha].id}); keep one row")
        first_id.setdefault(row.id, row)
        first_sha.setdefault(row.text_sha, row)
    return errors


def _raise_errors(source: str | Path, errors: list[str]) -> None:
    if not errors:
        return
    if len(errors) == 1:
        raise LabelFileError(f"{errors[0]}\nnothing was imported")
    shown = "\n  ".join(errors[:_MAX_ERRORS])
    more = f"\n  … and {len(errors) - _MAX_ERRORS} more" if len(errors) > _MAX_ERRORS else ""
    raise LabelFileError(f"{source}: {len(errors)} problems, nothing was imported:\n  {shown}{more}")


def _row_json(row: LabelRow, labels: tuple[str, ...], doc: str | None = None) -> str:
    return json.dumps({"id": row.id, "doc": doc or row.doc, "text": row.text, "labels": list(labels),
                       "source": "imported", "text_sha": row.text_sha}, ensure_ascii=False)


def import_rows(rows: Sequence[LabelRow | Mapping[str, object]], root: str | Path = ".", *,
                update: bool = False, dry_run: bool = False, source: str = "label rows") -> ImportResult:
    """Merge validated label rows into ``labels/imported.jsonl`` of project ``root``.

    For each reviewed row (rows whose labels are ``None`` are counted as not reviewed):

    * its id is already imported: same labels → unchanged; other labels → updated with ``update``,
      otherwise kept and reported as a conflict; a different text → error;
    * its id belongs to a seed or authored paragraph: same text → skipped (edit that file instead),
      a different text → error (rename the report);
    * its text is already labelled under another id (any source) → skipped;
    * otherwise → added.

    The whole input is validated (also duplicate ids and duplicate texts) before anything is written;
    the file is then rewritten atomically, existing rows byte-for-byte unless updated.

    Args:
        rows: :class:`LabelRow` objects, or mappings validated here with :func:`validate_record`.
        root: project checkout.
        update: overwrite labels of rows imported earlier.
        dry_run: validate and count, write nothing.
        source: name used in messages for mapping rows (e.g. ``"review page"``).

    Raises:
        LabelFileError: naming the rows, with nothing written.
    """
    from .persistence import atomic_write

    root = Path(root)
    _check_project(root)
    errors: list[str] = []
    valid: list[LabelRow] = []
    for i, row in enumerate(rows, start=1):
        if isinstance(row, LabelRow):
            valid.append(row)
            continue
        try:
            valid.append(validate_record(row, f"{source}, row {i}"))
        except LabelFileError as exc:
            errors.append(str(exc))
    errors += _duplicates(valid)
    _raise_errors(source, errors)
    target = root / IMPORTED_FILE
    with _IMPORT_LOCK, _file_lock(root / IMPORTED_FILE.parent / ".imported.lock"):
        examples = load_training_data(root, use_authored=True)
        by_id: dict[str, Example] = {ex.id: ex for ex in examples}
        by_sha: dict[str, Example] = {}
        for ex in examples:
            by_sha.setdefault(text_sha(ex.text), ex)
        result = ImportResult(target, dry_run=dry_run)
        replace: dict[str, str] = {}
        new_lines: list[str] = []
        for row in valid:
            if row.labels is None:
                result.not_reviewed.append(row.id)
                continue
            ex = by_id.get(row.id)
            if ex is not None and ex.source != "imported":
                if text_sha(ex.text) == row.text_sha:
                    result.already_labelled.append((row.id, f"{ex.source} {ex.id}"))
                else:
                    errors.append(f"{row.where}: id {row.id} is already used by a {ex.source} paragraph with "
                                  "another text; rename the report file and run tagger suggest again")
            elif ex is not None:
                if text_sha(ex.text) != row.text_sha:
                    errors.append(f"{row.where}: {row.id} was imported earlier with another text (the report "
                                  f"changed?); give the new version another file name, or remove the old "
                                  f"rows from {target}")
                elif ex.labels == row.labels:
                    result.unchanged.append(row.id)
                elif update:
                    result.updated.append(row.id)
                    replace[row.id] = _row_json(row, row.labels, ex.doc)
                else:
                    result.conflicts.append(row.id)
            elif row.text_sha in by_sha:
                other = by_sha[row.text_sha]
                result.already_labelled.append((row.id, f"{other.source} {other.id}"))
            else:
                result.added.append(row.id)
                new_lines.append(_row_json(row, row.labels))
        _raise_errors(source, errors)
        if result.changed and not dry_run:
            old_lines: list[str] = []
            if target.exists():
                for line in read_text_file(target).split("\n"):
                    if not line.strip():
                        continue
                    pid = json.loads(line).get("id")  # valid: load_training_data read it above
                    old_lines.append(replace.get(pid, line))
            with atomic_write(target, "w", encoding="utf-8") as fh:
                fh.write("\n".join(old_lines + new_lines) + "\n")
            load_jsonl(target, source="imported")  # the written file reads back
    return result


def import_csv(path: str | Path, root: str | Path = ".", *, update: bool = False,
               dry_run: bool = False) -> ImportResult:
    """``tagger labels import``: :func:`read_label_csv` then :func:`import_rows`."""
    return import_rows(read_label_csv(path), root, update=update, dry_run=dry_run, source=str(path))


# --------------------------------------------------------------------------- audit
def audit_rule(min_confidence: float = 0.5, top: int = 20) -> str:
    """The audit rule in words (printed with every audit)."""
    return (f"method: {AUDIT_METHOD}. Out-of-fold (OOF) scores s from leave-one-document-out CV of the "
            "shipped model over the real labelled paragraphs (seed + imported; authored rows only train), "
            "each compared with the threshold t tuned inside its own training fold. Per label, a "
            "paragraph is a candidate when gold and OOF prediction disagree confidently: gold 1 and "
            "s < t with confidence (t - s) / t, or gold 0 and s >= t with confidence (s - t) / (1 - t) "
            f"(0 = at the threshold, 1 = the far end); listed when confidence >= {min_confidence:.2f}, "
            f"most confident first, at most {top} per label. Nothing is changed.")


def find_label_issues_oof(y_true: np.ndarray, scores: np.ndarray, thresholds: np.ndarray,
                          top: int = 20, min_confidence: float = 0.5) -> list[dict]:
    """The out-of-fold margin rule of :func:`audit_rule` on plain arrays.

    Args:
        y_true: gold labels, shape ``(n, len(LABELS))``, 0/1.
        scores: OOF scores, same shape.
        thresholds: the decision threshold for each score (same shape, or one per label).
        top: most candidates per label.
        min_confidence: smallest confidence listed, in [0, 1].

    Returns:
        Dicts ``{"row", "label", "gold", "score", "threshold", "confidence"}`` in label order, most
        confident first within a label (ties by row).

    Example:
        >>> y = np.array([[1, 0], [1, 0], [0, 0]])
        >>> s = np.array([[0.02, 0.1], [0.4, 0.1], [0.1, 0.95]])
        >>> [(d["row"], d["label"], d["confidence"]) for d in find_label_issues_oof(y, s, np.full(2, 0.5))]
        [(0, 'elderly_care', 0.96), (2, 'old_neighbourhood_retrofit', 0.9)]
    """
    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=float)
    thr = np.broadcast_to(np.asarray(thresholds, dtype=float), scores.shape)
    t = np.clip(thr, 1e-9, 1 - 1e-9)
    conf = np.where(y_true, (t - scores) / t, (scores - t) / (1 - t))
    disagree = np.where(y_true, scores < thr, scores >= thr)
    out = []
    for j in range(scores.shape[1]):
        rows = [i for i in range(len(scores)) if disagree[i, j] and conf[i, j] >= min_confidence]
        rows.sort(key=lambda i: (-conf[i, j], i))
        for i in rows[:top]:
            out.append({"row": i, "label": LABELS[j], "gold": int(y_true[i, j]),
                        "score": round(float(scores[i, j]), 4), "threshold": round(float(thr[i, j]), 4),
                        "confidence": round(float(conf[i, j]), 4)})
    return out


def audit(root: str | Path = ".", top: int = 20, *, min_confidence: float = 0.5, use_authored: bool = True,
          jobs: int = 1, seed: int = 0) -> list[dict]:
    """Labelled paragraphs whose gold labels disagree most with confident out-of-fold predictions.

    Runs leave-one-document-out CV of the shipped system
    (:func:`tagger.evaluation.default_systems` ``[0]``) and applies :func:`find_label_issues_oof`
    (rule: :func:`audit_rule`). Reads the project, changes nothing.

    Args:
        root: project checkout.
        top: most candidates per label.
        min_confidence: smallest confidence listed.
        use_authored: train folds with the authored supplement (as the shipped model does).
        jobs: parallel processes for the CV folds.
        seed: hyperparameter seed (as ``train --seed``).

    Returns:
        One dict per candidate: ``label``, ``id``, ``doc``, ``source``, ``text``, ``gold`` (1: the
        gold labels have it, 0: they do not), ``score``, ``threshold``, ``confidence``,
        ``gold_labels``, ``predicted_labels`` (OOF).
    """
    from .config import Hyperparameters
    from .evaluation import default_systems, make_folds, run_cv
    from .training import load_resources

    res = load_resources(root, use_authored=use_authored)
    system = default_systems(Hyperparameters(seed=seed), res.lexicon, res.user_words, ablations=False,
                             has_authored=res.n_authored > 0)[0]
    run = run_cv(res.examples, system, make_folds(res.examples, "lodo"), "lodo", n_jobs=jobs)
    scores = run.scores
    # Each paragraph is compared with the thresholds of the fold model that scored it.
    thresholds = np.array([run.fold_thresholds[f] for f in run.fold_of])
    by_id = {ex.id: ex for ex in res.examples}
    out = []
    for item in find_label_issues_oof(run.y_true, scores, thresholds, top, min_confidence):
        i = item.pop("row")
        ex = by_id[run.ids[i]]
        out.append({"label": item["label"], "id": ex.id, "doc": ex.doc, "source": ex.source, "text": ex.text,
                    **{key: item[key] for key in ("gold", "score", "threshold", "confidence")},
                    "gold_labels": list(ex.labels),
                    "predicted_labels": [lab for lab, hit in zip(LABELS, run.y_pred[i]) if hit]})
    return out


def format_audit(items: Sequence[dict], min_confidence: float = 0.5, top: int = 20, width: int = 70) -> str:
    """Plain-text audit listing: the rule, then one section per label."""
    lines = [*textwrap.wrap(f"Label audit — {audit_rule(min_confidence, top)}", 100), ""]
    for lab in LABELS:
        mine = [d for d in items if d["label"] == lab]
        lines.append(f"## {lab}: {len(mine)} candidate(s)")
        for d in mine:
            what = "gold has it, model says no" if d["gold"] else "gold lacks it, model says yes"
            text = d["text"] if len(d["text"]) <= width else d["text"][: width - 1] + "…"
            lines.append(f"  {d['id']}  confidence {d['confidence']:.2f}  score {d['score']:.2f} vs threshold "
                         f"{d['threshold']:.2f}  ({what}; gold: {';'.join(d['gold_labels']) or 'none'})")
            lines.append(f"      {text}")
        lines.append("")
    lines.append("Nothing was changed. Re-check these paragraphs against labels/CODEBOOK.md and fix the label "
                 "files by hand (labels/seeds.csv, or tagger labels import --update for imported rows).")
    return "\n".join(lines)
