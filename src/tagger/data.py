"""Labelled data: the seed label CSV, JSONL files (authored supplement, external test sets).

Seed labels live in ``labels/seeds.csv`` (one row per content paragraph, spreadsheet-friendly):
``id,text_sha,labels,kind,text`` where ``labels`` is ``;``-separated (empty for none) and
``text_sha`` ties the row to the paragraph text: if a seed file changes so that a row no longer
matches, loading stops and names the row.

JSONL rows: ``{"text": ..., "labels": [...]}`` plus optional ``id``, ``doc``, ``source``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError, LabelFileError
from .reader import iter_json_lines, read_report, read_text_file
from .schema import LABELS, validate_labels

__all__ = [
    "Example",
    "text_sha",
    "load_seed_labels",
    "load_jsonl",
    "load_training_data",
    "label_matrix",
    "data_hash",
    "SEED_COLUMNS",
]

SEED_COLUMNS = ("id", "text_sha", "labels", "kind", "text")


@dataclass(frozen=True)
class Example:
    """A labelled paragraph. ``doc`` groups paragraphs of one report (the CV group)."""

    id: str
    doc: str
    text: str
    labels: tuple[str, ...]
    source: str = "seed"


def text_sha(text: str) -> str:
    """Short content hash of a paragraph's original text (whitespace at the ends ignored).

    Example:
        >>> text_sha("  段落。 ") == text_sha("段落。"), len(text_sha("段落。"))
        (True, 16)
    """
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


def _split_label_cell(cell: str) -> list[str]:
    parts = [p.strip() for p in cell.replace(",", ";").replace("|", ";").split(";")]
    return [p for p in parts if p]


def _read_csv_rows(path: Path) -> list[dict[str, str]]:
    text = read_text_file(path)  # handles BOM, CRLF, GB18030 (Excel exports)
    if not text.strip():
        raise LabelFileError(f"{path}: the label file is empty; expected a header {','.join(SEED_COLUMNS)}")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in ("id", "text_sha", "labels") if c not in (reader.fieldnames or [])]
    if missing:
        raise LabelFileError(
            f"{path}: missing column(s) {', '.join(missing)}; header must be {','.join(SEED_COLUMNS)}"
        )
    return list(reader)


def load_seed_labels(labels_csv: str | Path, seeds_dir: str | Path) -> list[Example]:
    """Load and validate the seed label file against the seed reports.

    Every content paragraph of every ``*.txt`` in ``seeds_dir`` must have exactly one row.

    Raises:
        LabelFileError: naming file and line for malformed rows, unknown labels, duplicate or
            missing rows, and rows whose text no longer matches the seed paragraph.
    """
    labels_csv, seeds_dir = Path(labels_csv), Path(seeds_dir)
    paragraphs = {}
    for path in sorted(seeds_dir.glob("*.txt")):
        for p in read_report(path):
            paragraphs[p.id] = p
    if not paragraphs:
        raise LabelFileError(f"{seeds_dir}: no seed reports (*.txt) found")
    seen: dict[str, int] = {}
    examples = []
    for line_no, row in enumerate(_read_csv_rows(labels_csv), start=2):
        where = f"{labels_csv}:{line_no}"
        pid = (row.get("id") or "").strip()
        if not pid or None in row:
            raise LabelFileError(f"{where}: malformed row (empty id or too many fields): {row}")
        if pid in seen:
            raise LabelFileError(f"{where}: duplicate row for paragraph {pid} (first at line {seen[pid]})")
        seen[pid] = line_no
        if pid not in paragraphs:
            raise LabelFileError(f"{where}: paragraph {pid} does not exist in {seeds_dir}; remove the row")
        para = paragraphs[pid]
        if (row.get("text_sha") or "").strip() != text_sha(para.text):
            raise LabelFileError(
                f"{where}: paragraph {pid} changed since it was labelled (text hash mismatch); "
                "re-check its labels and update text_sha (and text) in the label file"
            )
        try:
            labels = validate_labels(_split_label_cell(row.get("labels") or ""), where)
        except ValueError as exc:
            raise LabelFileError(str(exc)) from None
        examples.append(Example(pid, para.doc, para.text, labels, "seed"))
    unlabelled = [pid for pid in paragraphs if pid not in seen]
    if unlabelled:
        raise LabelFileError(
            f"{labels_csv}: {len(unlabelled)} seed paragraph(s) have no row, e.g. {unlabelled[0]}; "
            "label every content paragraph (an empty labels cell means 'no label')"
        )
    return examples


def load_jsonl(path: str | Path, source: str = "external", require_labels: bool = True) -> list[Example]:
    """Load labelled paragraphs from JSONL: one ``{"text": ..., "labels": [...]}`` object per line.

    Optional keys: ``id`` (default ``<file stem>:<line>``), ``doc`` (default: the id, i.e. each row
    its own group), ``source`` (default ``source``).

    Raises:
        LabelFileError: naming file and line for invalid JSON, a missing ``text``, unknown labels
            or duplicate ids.
    """
    path = Path(path)
    examples, seen = [], {}
    try:
        lines = list(iter_json_lines(path))
    except InputError as exc:
        raise LabelFileError(str(exc)) from None
    for line_no, obj, problem in lines:
        where = f"{path}:{line_no}"
        if problem:
            raise LabelFileError(f"{where}: {problem}; one JSON object per line")
        if not isinstance(obj.get("text"), str):
            raise LabelFileError(f"{where}: missing or non-string \"text\"")
        labels = obj.get("labels", None if require_labels else [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise LabelFileError(f"{where}: \"labels\" must be a list of label ids (may be empty)")
        try:
            labels = validate_labels(labels, where)
        except ValueError as exc:
            raise LabelFileError(str(exc)) from None
        pid = str(obj.get("id") or f"{path.stem}:{line_no}")
        if pid in seen:
            raise LabelFileError(f"{where}: duplicate id {pid!r} (first at line {seen[pid]})")
        seen[pid] = line_no
        doc = str(obj.get("doc") or pid)
        examples.append(Example(pid, doc, obj["text"], labels, str(obj.get("source") or source)))
    if not examples:
        raise LabelFileError(f"{path}: no rows; expected one JSON object per line")
    return examples


IMPORTED_FILE = Path("labels") / "imported.jsonl"
AUTHORED_FILE = Path("labels") / "authored.jsonl"


def load_training_data(root: str | Path = ".", use_authored: bool = True) -> list[Example]:
    """All labelled paragraphs of a project checkout.

    * ``labels/seeds.csv`` over ``seeds/*.txt`` — real paragraphs, source ``seed``;
    * ``labels/imported.jsonl`` (if present) — real paragraphs of new reports labelled by annotators
      (``tagger labels import``), source ``imported``, grouped by their ``doc`` (report id);
    * ``labels/authored.jsonl`` (if present and ``use_authored``) — the authored supplement, source
      ``authored``, only ever used for training.

    Raises:
        LabelFileError: for any invalid label file, or an id present in two files.
    """
    root = Path(root)
    examples = load_seed_labels(root / "labels" / "seeds.csv", root / "seeds")
    if (root / IMPORTED_FILE).exists():
        examples += load_jsonl(root / IMPORTED_FILE, source="imported")
    if use_authored and (root / AUTHORED_FILE).exists():
        examples += load_jsonl(root / AUTHORED_FILE, source="authored")
    seen: dict[str, str] = {}
    for ex in examples:
        if ex.id in seen:
            raise LabelFileError(f"paragraph id {ex.id!r} appears in two label files ({seen[ex.id]} and "
                                 f"{ex.source}); ids must be unique")
        seen[ex.id] = ex.source
    return examples


def label_matrix(examples: list[Example]) -> np.ndarray:
    """Binary indicator matrix, shape ``(len(examples), len(LABELS))``."""
    y = np.zeros((len(examples), len(LABELS)), dtype=np.int8)
    for i, ex in enumerate(examples):
        for lab in ex.labels:
            y[i, LABELS.index(lab)] = 1
    return y


def data_hash(examples: list[Example]) -> str:
    """sha256 over ids, texts and labels: identifies the exact training data."""
    h = hashlib.sha256()
    for ex in examples:
        h.update("\x1f".join((ex.id, ex.source, ex.text, ";".join(ex.labels))).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()
