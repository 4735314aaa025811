"""Batch tagging of corpora: read many inputs as a stream of reports, tag them in chunks, write one
row per paragraph (plus optional per-report / corpus summary rows), atomically.

Inputs: report text files, directories (recursive glob), ``-`` (stdin), and tabular files — JSONL
(``.jsonl``/``.ndjson``), CSV (``.csv``) and Parquet (``.parquet``) — with one report per row in
``text_column`` (optional ``id_column``). Memory stays flat: at most ``chunk_size`` reports (and, with
``jobs > 1``, ``2 × jobs`` chunks) are held at a time.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .reader import iter_json_lines, open_text_stream, read_text_file
from .schema import LABELS

__all__ = ["Record", "BadRow", "iter_records", "chunked", "BatchStats", "tag_stream", "open_writer",
           "FORMATS", "EXIT_SKIPPED"]

log = logging.getLogger(__name__)

FORMATS = ("table", "jsonl", "csv", "parquet")
TABULAR = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
EXIT_SKIPPED = 3  # finished, but some inputs were skipped (--on-error skip)
SCORE_COLUMNS = [f"score_{lab}" for lab in LABELS]
COUNT_COLUMNS = [f"count_{lab}" for lab in LABELS]
COLUMNS = ["row_type", "report", "paragraph", "kind", "text", "labels", *SCORE_COLUMNS, "n_paragraphs",
           *COUNT_COLUMNS, "reports"]


@dataclass(frozen=True)
class Record:
    """One report to tag; ``where`` locates it for error messages (file and line/row)."""

    report: str
    text: str
    where: str


@dataclass(frozen=True)
class BadRow:
    """An input that cannot be tagged (reported, then skipped or fatal per ``--on-error``)."""

    where: str
    reason: str


# ----------------------------------------------------------------------------------- reading
def _expand(inputs: Sequence[str], glob: str) -> Iterator[tuple[str | Path, str] | BadRow]:
    """Yield ``(path, report id)`` per input file (``("-", "stdin")`` for stdin). The report id is
    the file stem, or the path relative to the directory given (without suffix) when two files
    would share a stem; a further clash gets ``#2``, ``#3`` …"""
    seen: set[str] = set()

    def unique(rid: str) -> str:
        base, n = rid, 1
        while rid in seen:
            n += 1
            rid = f"{base}#{n}"
        seen.add(rid)
        return rid

    for item in inputs:
        if item == "-":
            yield item, unique("stdin")
            continue
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.rglob(glob) if p.is_file())
            if not files:
                yield BadRow(str(path), f"directory contains no files matching {glob!r}")
            for f in files:
                rid = f.stem if f.stem not in seen else f.relative_to(path).with_suffix("").as_posix()
                yield f, unique(rid)
        else:
            yield path, unique(path.stem)


def _jsonl_records(path: Path, text_column: str, id_column: str | None, encoding: str | None):
    for line_no, obj, problem in iter_json_lines(path, encoding):
        where = f"{path}:{line_no}"
        if problem:
            yield BadRow(where, problem)
            continue
        yield _row(obj, text_column, id_column, f"{path.stem}:{line_no}", where)


def _row(obj: dict, text_column: str, id_column: str | None, default_id: str, where: str):
    if text_column not in obj:
        return BadRow(where, f"no {text_column!r} field (use --text-column)")
    value = obj[text_column]
    if not isinstance(value, str):
        return BadRow(where, f"{text_column!r} is {type(value).__name__ if value is not None else 'empty'}, expected text")
    if not value.strip():
        return BadRow(where, f"{text_column!r} is empty, nothing to tag")
    rid = obj.get(id_column) if id_column else None
    if id_column and (rid is None or rid != rid):  # missing or NaN
        return BadRow(where, f"no {id_column!r} value (use --id-column)")
    return Record(str(rid) if rid is not None else default_id, value, where)


def _csv_records(path: Path, text_column: str, id_column: str | None, encoding: str | None):
    with open_text_stream(path, encoding) as fh:
        reader = csv.DictReader(fh)
        try:
            fields = reader.fieldnames or []
            for col in (text_column, id_column):
                if col and col not in fields:
                    raise InputError(f"{path}: no column {col!r}; columns are {fields} "
                                     "(use --text-column/--id-column)")
            while True:
                line_no = reader.line_num + 1  # file line where the next row starts (cells may span lines)
                row = next(reader, None)
                if row is None:
                    break
                if None in row:
                    yield BadRow(f"{path}:{line_no}", "more fields than the header")
                    continue
                yield _row(row, text_column, id_column, f"{path.stem}:{line_no}", f"{path}:{line_no}")
        except UnicodeDecodeError:
            raise InputError(f"{path}: cannot decode near line {reader.line_num}; pass --encoding") from None


def _parquet_records(path: Path, text_column: str, id_column: str | None, batch_rows: int):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow: pip install pyarrow") from None
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    names = pf.schema_arrow.names
    for col in (text_column, id_column):
        if col and col not in names:
            raise InputError(f"{path}: no column {col!r}; columns are {names} (use --text-column/--id-column)")
    cols = [c for c in (text_column, id_column) if c]
    row = 0
    for batch in pf.iter_batches(batch_size=batch_rows, columns=cols):
        for obj in batch.to_pylist():
            yield _row(obj, text_column, id_column, f"{path.stem}:{row}", f"{path}:row {row}")
            row += 1


def iter_records(inputs: Sequence[str], text_column: str = "text", id_column: str | None = None,
                 glob: str = "*.txt", encoding: str | None = None, batch_rows: int = 2000,
                 stdin=None) -> Iterator[Record | BadRow]:
    """Yield a :class:`Record` per report (or a :class:`BadRow`), file by file, lazily.

    A whole file that cannot be read is one ``BadRow`` naming it (so ``--on-error skip`` can go on).
    """
    for entry in _expand(inputs, glob):
        if isinstance(entry, BadRow):
            yield entry
            continue
        item, rid = entry
        if item == "-":
            data = (stdin or sys.stdin.buffer).read()
            try:
                yield Record(rid, data.decode(encoding or "utf-8-sig"), "<stdin>")
            except (UnicodeDecodeError, LookupError):
                yield BadRow("<stdin>", "cannot decode as UTF-8; pass --encoding")
            continue
        kind = TABULAR.get(item.suffix.lower())
        try:
            if kind == "jsonl":
                yield from _jsonl_records(item, text_column, id_column, encoding)
            elif kind == "csv":
                yield from _csv_records(item, text_column, id_column, encoding)
            elif kind == "parquet":
                yield from _parquet_records(item, text_column, id_column, batch_rows)
            else:
                text = read_text_file(item, encoding)
                if not text.strip():
                    yield BadRow(str(item), "empty file, nothing to tag")
                    continue
                yield Record(rid, text, str(item))
        except InputError as exc:
            yield BadRow(str(item), str(exc).removeprefix(f"{item}: "))


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Lists of at most ``size`` items, lazily."""
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ----------------------------------------------------------------------------------- tagging
_WORKER_MODEL = None


def _init_worker(model_path: str) -> None:
    global _WORKER_MODEL
    import os

    from .persistence import load_model

    os.environ["TAGGER_NUM_THREADS"] = "1"  # the processes already use the cores

    _WORKER_MODEL = load_model(model_path)


def _tag_chunk(records: list[Record], evidence: bool, model=None):
    import pandas as pd

    model = model or _WORKER_MODEL
    df = pd.DataFrame({"report": [r.report for r in records], "text": [r.text for r in records]})
    return model.tag_frame(df, "text", "report", evidence=evidence)


@dataclass
class BatchStats:
    reports: int = 0
    paragraphs: int = 0
    skipped: list[BadRow] = field(default_factory=list)
    label_paragraphs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    label_reports: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))


def tag_stream(records: Iterable[Record | BadRow], model, model_path: str | None = None, chunk_size: int = 500,
               jobs: int = 1, evidence: bool = False, on_error: str = "fail", stats: BatchStats | None = None):
    """Yield tagged paragraph frames (pandas), chunk by chunk, in input order.

    ``on_error="fail"`` raises :class:`InputError` at the first bad input; ``"skip"`` logs it, records
    it in ``stats.skipped`` and goes on. ``jobs > 1`` tags chunks in worker processes, each loading
    the model once.
    """
    stats = stats if stats is not None else BatchStats()

    def good_records() -> Iterator[Record]:
        for rec in records:
            if isinstance(rec, BadRow):
                if on_error == "fail":
                    raise InputError(f"{rec.where}: {rec.reason} (use --on-error skip to skip bad inputs)")
                log.warning("skipped %s: %s", rec.where, rec.reason)
                stats.skipped.append(rec)
                continue
            yield rec

    chunks = chunked(good_records(), chunk_size)
    if jobs <= 1:
        for chunk in chunks:
            yield _count(_tag_chunk(chunk, evidence, model), stats)
        return
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    if model_path is None:
        raise ValueError("jobs > 1 needs model_path (each worker loads the model itself)")
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(str(model_path),)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(_tag_chunk, chunk, evidence))
            if len(pending) >= 2 * jobs:  # bounded read-ahead keeps memory flat
                yield _count(pending.popleft().result(), stats)
        while pending:
            yield _count(pending.popleft().result(), stats)


def _count(frame, stats: BatchStats):
    stats.reports += frame["report"].nunique() if len(frame) else 0
    stats.paragraphs += len(frame)
    return frame


# ----------------------------------------------------------------------------------- writing
def _summary_rows(frame) -> list[dict]:
    rows = []
    for report, group in frame.groupby("report", sort=False):
        counts = {lab: int(sum(lab in labs for labs in group["labels"])) for lab in LABELS}
        rows.append({"row_type": "report", "report": report,
                     "labels": [lab for lab in LABELS if counts[lab]], "n_paragraphs": len(group),
                     **{f"count_{lab}": counts[lab] for lab in LABELS}})
    return rows


class _Writer:
    """Writes paragraph frames (and summary rows) in one format to a text stream or a file path."""

    def __init__(self, fmt: str, stream=None, path: Path | None = None, summary: bool = False) -> None:
        self.fmt, self.stream, self.path, self.summary = fmt, stream, path, summary
        self.totals = dict.fromkeys(LABELS, 0)
        self.total_reports = dict.fromkeys(LABELS, 0)
        self.n_reports = self.n_paragraphs = 0
        self._parquet = None
        if fmt == "csv":
            self._csv = csv.DictWriter(stream, fieldnames=COLUMNS if summary else COLUMNS[:6 + len(LABELS)],
                                       extrasaction="ignore", lineterminator="\n")
            self._csv.writeheader()

    def write(self, frame) -> None:
        paragraphs = _records(frame)
        summary = _summary_rows(frame) if self.summary else []
        for row in summary:
            self.n_reports += 1
            self.n_paragraphs += row["n_paragraphs"]
            for lab in LABELS:
                self.totals[lab] += row[f"count_{lab}"]
                self.total_reports[lab] += bool(row[f"count_{lab}"])
        by_report: dict[str, list[dict]] = {}
        for row in paragraphs:
            row["row_type"] = "paragraph"
            by_report.setdefault(row["report"], []).append(row)
        summary_of = {row["report"]: row for row in summary}
        ordered = []
        for report, rows in by_report.items():
            ordered += rows
            if report in summary_of:
                ordered.append(summary_of[report])
        self._emit(ordered)

    def close(self) -> None:
        if self.summary:
            self._emit([{"row_type": "corpus", "report": "(all)", "n_paragraphs": self.n_paragraphs,
                         "labels": [lab for lab in LABELS if self.totals[lab]],
                         **{f"count_{lab}": self.totals[lab] for lab in LABELS},
                         "reports": self.n_reports,
                         "reports_with": dict(self.total_reports)}])
        if self._parquet is not None:
            self._parquet.close()

    def _emit(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self.fmt == "jsonl":
            dumps = json.JSONEncoder(ensure_ascii=False).encode
            self.stream.write("".join([dumps(row) + "\n" for row in rows]))
        elif self.fmt == "csv":
            for row in rows:
                out = dict(row)
                out["labels"] = ";".join(out.get("labels") or [])
                self._csv.writerow(out)
        elif self.fmt == "table":
            for row in rows:
                self.stream.write(_table_line(row) + "\n")
        elif self.fmt == "parquet":
            self._write_parquet(rows)

    def _write_parquet(self, rows: list[dict]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        fields = [("row_type", pa.string()), ("report", pa.string()), ("paragraph", pa.string()),
                  ("kind", pa.string()), ("text", pa.string()), ("labels", pa.list_(pa.string()))]
        fields += [(c, pa.float64()) for c in SCORE_COLUMNS]
        if self.summary:
            fields += [("n_paragraphs", pa.int64())] + [(c, pa.int64()) for c in COUNT_COLUMNS]
            fields += [("reports", pa.int64())]
        schema = pa.schema(fields)
        table = pa.Table.from_pylist([{name: r.get(name) for name in schema.names} for r in rows], schema=schema)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.stream, schema)
        self._parquet.write_table(table)


def _records(frame) -> list[dict]:
    """The rows of a paragraph frame as dicts of plain Python values (``tolist`` per column: no
    numpy scalars), a missing number as ``None`` (valid JSON)."""
    names = [str(c) for c in frame.columns]
    columns = [frame[c].tolist() for c in frame.columns]
    for values in columns:
        if values and isinstance(values[0], float) and any(v != v for v in values):
            values[:] = [None if v != v else v for v in values]
    return [dict(zip(names, row)) for row in zip(*columns)]


def _table_line(row: dict) -> str:
    if row["row_type"] == "paragraph":
        labels = ", ".join(row["labels"]) if row["labels"] else "-"
        scores = " ".join(f"{lab.split('_')[0]}={row[f'score_{lab}']:.2f}" for lab in LABELS)
        text = row["text"] if len(row["text"]) <= 60 else row["text"][:59] + "…"
        kind = "" if row["kind"] == "body" else f" [{row['kind']}]"
        return f"{row['paragraph']}{kind}\t{labels}\t{scores}\t{text}"
    counts = " ".join(f"{lab.split('_')[0]}={row[f'count_{lab}']}" for lab in LABELS)
    if row["row_type"] == "report":
        return f"== report {row['report']}: {', '.join(row['labels']) or '-'} ({row['n_paragraphs']} paragraphs; {counts})"
    return f"== corpus: {row['reports']} reports, {row['n_paragraphs']} paragraphs; paragraphs per label: {counts}"


class open_writer:
    """Context manager giving a :class:`_Writer` for ``--output PATH`` (atomic: temp file renamed
    on success; removed on failure, so an interrupted run leaves no half file) or stdout."""

    def __init__(self, fmt: str, output: str | None, summary: bool = False) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
        if fmt == "parquet" and not output:
            raise InputError("--format parquet needs --output FILE.parquet")
        self.fmt, self.output, self.summary = fmt, output, summary

    def __enter__(self) -> _Writer:
        from .persistence import atomic_write

        if self.output:
            binary = self.fmt == "parquet"
            self._cm = atomic_write(self.output, "wb" if binary else "w", encoding=None if binary else "utf-8")
            stream = self._cm.__enter__()
        else:
            self._cm = None
            stream = sys.stdout
        self.writer = _Writer(self.fmt, stream, Path(self.output) if self.output else None, self.summary)
        return self.writer

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self.writer.close()
        finally:
            if self._cm is not None:
                self._cm.__exit__(exc_type, exc, tb)
        return False
