"""``tagger tag``: read many inputs as a stream of reports, tag them in chunks, write one row per
paragraph (plus optional per-report / corpus summary rows), atomically.

Inputs: report text files, directories (recursive glob), ``-`` (stdin, as text or ``--input-format``),
and tables with one report per row — JSONL (``.jsonl``/``.ndjson``), CSV (``.csv``), Parquet
(``.parquet``) — in ``text_column`` (optional ``id_column``). Memory stays flat: at most
``chunk_size`` reports (and, with ``jobs > 1``, ``2 × jobs`` chunks) are held at a time. pandas is
not needed except for Parquet.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..common.files import decode_bytes, iter_json_lines, open_text_stream, parse_json_lines, read_text_file
from ..errors import InputError, UsageError
from ..labels import LABELS

__all__ = ["Record", "BadRow", "iter_records", "chunked", "BatchStats", "tag_records", "open_writer", "FORMATS",
           "format_for", "EXIT_SKIPPED", "review_budget", "ReviewQueue"]

log = logging.getLogger(__name__)

FORMATS = ("table", "jsonl", "csv", "parquet")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".txt": "table",
              ".tsv": "table"}
TABULAR = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
EXIT_SKIPPED = 3
SCORE_COLUMNS = [f"score_{lab}" for lab in LABELS]
COUNT_COLUMNS = [f"count_{lab}" for lab in LABELS]
COLUMNS = ["row_type", "report", "paragraph", "kind", "text", "labels", *SCORE_COLUMNS, "n_paragraphs",
           *COUNT_COLUMNS, "reports"]
REVIEW_COLUMNS = ["review", "review_rank", "review_margin"]
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Record:
    """One report to tag; ``where`` locates it for messages (file and line/row)."""

    report: str
    text: str
    where: str


@dataclass(frozen=True)
class BadRow:
    """An input that cannot be tagged (reported, then skipped or fatal per ``--on-error``)."""

    where: str
    reason: str


def format_for(output: str | None, fmt: str | None) -> str:
    """The output format: ``--format`` if given (refused when it contradicts the ``-o`` extension), else
    the extension's, else ``table``.

    Example:
        >>> format_for("out.csv", None), format_for(None, None), format_for("x.out", "jsonl")
        ('csv', 'table', 'jsonl')
    """
    implied = EXTENSIONS.get(Path(output).suffix.lower()) if output else None
    if fmt and implied and fmt != implied and not (implied == "table" and fmt == "table"):
        raise UsageError(f"{output}: the extension says {implied} but --format is {fmt}; use a matching "
                         f"extension or drop --format")
    chosen = fmt or implied or "table"
    if chosen == "parquet" and not output:
        raise UsageError("--format parquet needs --output FILE.parquet")
    return chosen


# ----------------------------------------------------------------------------------- reading
def _clean(text: str, where: str) -> str:
    """Lone surrogates (from a JSON ``\\ud800`` escape) cannot be written as UTF-8: each becomes U+FFFD,
    with a warning naming the input."""
    if _SURROGATE.search(text):
        log.warning("%s: lone surrogate characters replaced by U+FFFD", where)
        return _SURROGATE.sub("\ufffd", text)
    return text


def _expand(inputs: Sequence[str], glob: str, exclude: set[Path]) -> Iterator[tuple[str | Path, str] | BadRow]:
    """``(path, report id)`` per input file (``("-", "stdin")`` for stdin). The id is the file stem, or the
    path inside the folder given (without suffix) when two files share a stem; a further clash gets ``#2``.
    Files in ``exclude`` (the output and its temp files) are never read."""
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
            files = sorted(p for p in path.rglob(glob) if p.is_file() and not _excluded(p, exclude))
            if not files:
                yield BadRow(str(path), f"directory contains no files matching {glob!r}")
            for f in files:
                rid = f.stem if f.stem not in seen else f.relative_to(path).with_suffix("").as_posix()
                yield f, unique(rid)
        else:
            yield path, unique(path.stem)


def _excluded(path: Path, exclude: set[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == out or (resolved.parent == out.parent and resolved.name.startswith(f".{out.name}."))
               for out in exclude)


def _row(obj: dict, text_column: str, id_column: str | None, default_id: str, where: str) -> Record | BadRow:
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
    return Record(str(rid) if rid is not None else default_id, _clean(value, where), where)


def _jsonl_lines(lines: Iterable[tuple[int, dict | None, str | None]], name: str, stem: str, text_column: str,
                 id_column: str | None):
    for line_no, obj, problem in lines:
        where = f"{name}:{line_no}"
        yield BadRow(where, problem) if problem else _row(obj, text_column, id_column, f"{stem}:{line_no}", where)


def _csv_rows(fh: IO[str], name: str, stem: str, text_column: str, id_column: str | None):
    csv.field_size_limit(2**31 - 1)  # a report may be longer than csv's 128 KiB default
    reader = csv.DictReader(fh)
    try:
        fields = reader.fieldnames or []
        for col in (text_column, id_column):
            if col and col not in fields:
                raise InputError(f"{name}: no column {col!r}; columns are {fields} (use --text-column/--id-column)")
        while True:
            line_no = reader.line_num + 1
            try:
                row = next(reader, None)
            except csv.Error as exc:
                yield BadRow(f"{name}:{line_no}", f"malformed CSV ({exc})")
                return
            if row is None:
                break
            if None in row:
                yield BadRow(f"{name}:{line_no}", "more fields than the header")
                continue
            yield _row(row, text_column, id_column, f"{stem}:{line_no}", f"{name}:{line_no}")
    except UnicodeDecodeError:
        raise InputError(f"{name}: cannot decode near line {reader.line_num}; pass --encoding") from None


def _parquet_records(path: Path, text_column: str, id_column: str | None, batch_rows: int):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow: pip install pyarrow") from None
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    names = pf.schema_arrow.names
    for col in (text_column, id_column):
        if col and col not in names:
            raise InputError(f"{path}: no column {col!r}; columns are {names} (use --text-column/--id-column)")
    row = 0
    for batch in pf.iter_batches(batch_size=batch_rows, columns=[c for c in (text_column, id_column) if c]):
        for obj in batch.to_pylist():
            yield _row(obj, text_column, id_column, f"{path.stem}:{row}", f"{path}:row {row}")
            row += 1


def _stdin_records(rid: str, stdin, encoding: str | None, input_format: str, text_column: str,
                   id_column: str | None) -> Iterator[Record | BadRow]:
    stream = stdin if stdin is not None else sys.stdin
    if stream is None or getattr(stream, "closed", False):
        yield BadRow("<stdin>", "standard input is closed; give input files or pipe text in")
        return
    data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    text = decode_bytes(data, "<stdin>", encoding)
    if not text.strip():
        yield BadRow("<stdin>", "empty input, nothing to tag")
        return
    if input_format == "jsonl":
        yield from _jsonl_lines(parse_json_lines(text.splitlines()), "<stdin>", "stdin", text_column, id_column)
    elif input_format == "csv":
        import io

        yield from _csv_rows(io.StringIO(text, newline=""), "<stdin>", "stdin", text_column, id_column)
    else:
        yield Record(rid, _clean(text, "<stdin>"), "<stdin>")


def iter_records(inputs: Sequence[str], text_column: str = "text", id_column: str | None = None,
                 glob: str = "*.txt", encoding: str | None = None, batch_rows: int = 2000, stdin=None,
                 input_format: str = "text", exclude: Iterable[str | Path] = ()) -> Iterator[Record | BadRow]:
    """A :class:`Record` per report (or a :class:`BadRow`), file by file, lazily. A whole file that
    cannot be read is one ``BadRow`` naming it (so ``--on-error skip`` can go on)."""
    excluded = {Path(p).resolve() for p in exclude}
    for entry in _expand(inputs, glob, excluded):
        if isinstance(entry, BadRow):
            yield entry
            continue
        item, rid = entry
        try:
            if item == "-":
                yield from _stdin_records(rid, stdin, encoding, input_format, text_column, id_column)
                continue
            kind = TABULAR.get(item.suffix.lower())
            if kind == "jsonl":
                yield from _jsonl_lines(iter_json_lines(item, encoding), str(item), item.stem, text_column, id_column)
            elif kind == "csv":
                with open_text_stream(item, encoding) as fh:
                    yield from _csv_rows(fh, str(item), item.stem, text_column, id_column)
            elif kind == "parquet":
                yield from _parquet_records(item, text_column, id_column, batch_rows)
            else:
                text = read_text_file(item, encoding)
                if not text.strip():
                    yield BadRow(str(item), "empty file, nothing to tag")
                    continue
                yield Record(rid, _clean(text, str(item)), str(item))
        except InputError as exc:
            name = "<stdin>" if item == "-" else str(item)
            yield BadRow(name, str(exc).removeprefix(f"{name}: "))


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Lists of at most ``size`` items, lazily."""
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ----------------------------------------------------------------------------------- tagging
_WORKER: dict = {}


def _load_worker_model(model_path: str) -> None:
    from ..model.persistence import load_model

    _WORKER["model"] = load_model(model_path)


def _tag_chunk(args: tuple[list[Record], bool]) -> list[dict]:
    from ..pipeline import paragraph_rows

    records, evidence = args
    return list(paragraph_rows(_WORKER["model"], [(r.report, r.text) for r in records], evidence))


@dataclass
class BatchStats:
    reports: int = 0
    paragraphs: int = 0
    skipped: list[BadRow] = field(default_factory=list)


def tag_records(records: Iterable[Record | BadRow], model, model_path: str | None = None, chunk_size: int = 500,
                jobs: int = 1, evidence: bool = False, on_error: str = "fail",
                stats: BatchStats | None = None) -> Iterator[list[dict]]:
    """Tagged paragraph rows, chunk by chunk, in input order.

    ``on_error="fail"`` raises :class:`InputError` at the first bad input; ``"skip"`` logs it, records it
    in ``stats.skipped`` and goes on. ``jobs > 1`` tags chunks in worker processes, each loading the
    model from ``model_path`` once.
    """
    from ..common.parallel import imap_ordered

    stats = stats if stats is not None else BatchStats()

    def good() -> Iterator[Record]:
        for rec in records:
            if isinstance(rec, BadRow):
                if on_error == "fail":
                    raise InputError(f"{rec.where}: {rec.reason} (use --on-error skip to skip bad inputs)")
                log.warning("skipped %s: %s", rec.where, rec.reason)
                stats.skipped.append(rec)
                continue
            yield rec

    if jobs > 1 and model_path is None:
        raise ValueError("jobs > 1 needs model_path (each worker loads the model itself)")
    if jobs <= 1:
        _WORKER["model"] = model
    tasks = ((chunk, evidence) for chunk in chunked(good(), chunk_size))
    for rows in imap_ordered(_tag_chunk, tasks, jobs=jobs, initializer=_load_worker_model if jobs > 1 else None,
                             initargs=(str(model_path),) if jobs > 1 else ()):
        stats.reports += len({r["report"] for r in rows})
        stats.paragraphs += len(rows)
        yield rows


# ----------------------------------------------------------------------------------- writing
def _terminal_safe(text: str) -> str:
    """Control characters and bidi overrides shown as ``\\xNN`` escapes: report text never drives the terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _table_line(row: dict) -> str:
    if row["row_type"] == "paragraph":
        labels = ", ".join(row["labels"]) if row["labels"] else "-"
        scores = " ".join(f"{lab.split('_')[0]}={row[f'score_{lab}']:.2f}" for lab in LABELS)
        text = row["text"] if len(row["text"]) <= 60 else row["text"][:59] + "…"
        kind = "" if row["kind"] == "body" else f" [{row['kind']}]"
        return _terminal_safe(f"{row['paragraph']}{kind}\t{labels}\t{scores}\t{text}")
    counts = " ".join(f"{lab.split('_')[0]}={row[f'count_{lab}']}" for lab in LABELS)
    if row["row_type"] == "report":
        return _terminal_safe(f"== report {row['report']}: {', '.join(row['labels']) or '-'} "
                              f"({row['n_paragraphs']} paragraphs; {counts})")
    return f"== corpus: {row['reports']} reports, {row['n_paragraphs']} paragraphs; paragraphs per label: {counts}"


class Writer:
    """Writes paragraph rows (and summary rows) in one format to a stream."""

    def __init__(self, fmt: str, stream, summary: bool = False, review: bool = False) -> None:
        self.fmt, self.stream, self.summary, self.review = fmt, stream, summary, review
        self.totals = dict.fromkeys(LABELS, 0)
        self.reports: set[str] = set()
        self.n_paragraphs = 0
        self._parquet = None
        if fmt == "csv":
            columns = (COLUMNS if summary else COLUMNS[:6 + len(LABELS)]) + (REVIEW_COLUMNS if review else [])
            self._csv = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
            self._csv.writeheader()

    def write(self, rows: list[dict]) -> None:
        out: list[dict] = []
        for report, group in _groups(rows):
            out += [{"row_type": "paragraph", **r} for r in group]
            if self.summary:
                counts = {lab: sum(lab in r["labels"] for r in group) for lab in LABELS}
                self.reports.add(report)
                self.n_paragraphs += len(group)
                for lab in LABELS:
                    self.totals[lab] += counts[lab]
                out.append({"row_type": "report", "report": report, "labels": [lab for lab in LABELS if counts[lab]],
                            "n_paragraphs": len(group), **{f"count_{lab}": counts[lab] for lab in LABELS}})
        self._emit(out)

    def close(self) -> None:
        if self.summary:
            self._emit([{"row_type": "corpus", "report": "(all)", "n_paragraphs": self.n_paragraphs,
                         "labels": [lab for lab in LABELS if self.totals[lab]],
                         **{f"count_{lab}": self.totals[lab] for lab in LABELS}, "reports": len(self.reports)}])
        if self.fmt == "parquet" and self._parquet is None:  # nothing tagged: still a valid (empty) file
            self._write_parquet([])
        if self._parquet is not None:
            self._parquet.close()

    def _emit(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self.fmt == "jsonl":
            dumps = json.JSONEncoder(ensure_ascii=False).encode
            self.stream.write("".join(dumps(row) + "\n" for row in rows))
        elif self.fmt == "csv":
            for row in rows:
                self._csv.writerow({**row, "labels": ";".join(row.get("labels") or [])})
        elif self.fmt == "table":
            self.stream.write("".join(_table_line(row) + "\n" for row in rows))
        else:
            self._write_parquet(rows)

    def _write_parquet(self, rows: list[dict]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        fields = [("row_type", pa.string()), ("report", pa.string()), ("paragraph", pa.string()),
                  ("kind", pa.string()), ("text", pa.string()), ("labels", pa.list_(pa.string()))]
        fields += [(c, pa.float64()) for c in SCORE_COLUMNS]
        if self.summary:
            fields += [("n_paragraphs", pa.int64())] + [(c, pa.int64()) for c in COUNT_COLUMNS] + [("reports", pa.int64())]
        if self.review:
            fields += [("review", pa.bool_()), ("review_rank", pa.int64()), ("review_margin", pa.float64())]
        schema = pa.schema(fields)
        table = pa.Table.from_pylist([{name: r.get(name) for name in schema.names} for r in rows], schema=schema)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.stream, schema)
        self._parquet.write_table(table)


def _groups(rows: list[dict]) -> Iterator[tuple[str, list[dict]]]:
    """The rows of a chunk by report, reports in order of first appearance (a table may repeat an id)."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["report"], []).append(row)
    yield from groups.items()


class open_writer:  # noqa: N801 - used as a context manager, like open()
    """A :class:`Writer` on ``output`` (atomic: see :mod:`tagger.common.atomic`) or on stdout."""

    def __init__(self, fmt: str, output: str | None, summary: bool = False, review: bool = False) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
        self.fmt, self.output, self.summary, self.review = fmt, output, summary, review
        self._cm = None

    def __enter__(self) -> Writer:
        from ..common.atomic import atomic_write

        if self.output:
            binary = self.fmt == "parquet"
            self._cm = atomic_write(self.output, "wb" if binary else "w", encoding=None if binary else "utf-8",
                                    newline=None if binary else "")
            stream = self._cm.__enter__()
        else:
            stream = sys.stdout
        self.writer = Writer(self.fmt, stream, self.summary, self.review)
        return self.writer

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self.writer.close()
        finally:
            if self._cm is not None:
                self._cm.__exit__(exc_type, exc, tb)
        return False


# ----------------------------------------------------------------------------------- review queue
def review_budget(value: str) -> tuple[str, float]:
    """``"15%"`` or ``"0.15"`` (a share of the paragraphs) or ``"120"`` (a number of paragraphs).

    Example:
        >>> review_budget("15%"), review_budget("0.2"), review_budget("120")
        (('share', 0.15), ('share', 0.2), ('count', 120))
    """
    text = value.strip()
    try:
        if text.endswith("%"):
            share = float(text[:-1]) / 100
        elif "." in text:
            share = float(text)
        else:
            count = int(text)
            if count < 0:
                raise ValueError
            return "count", count
    except ValueError:
        raise UsageError(f"--review {value!r}: give a share (15% or 0.15) or a number of paragraphs (120)") from None
    if not 0.0 <= share <= 1.0:
        raise UsageError(f"--review {value!r}: a share must be between 0% and 100%")
    return "share", share


class ReviewQueue:
    """Collects every paragraph's uncertainty while rows stream past, then says which to review and in
    what order: the least certain share (or count) is flagged, and the queue shows whole stories —
    reports ordered by their least certain flagged paragraph, a report's flagged paragraphs in
    reading order, so a reviewer meets each paragraph beside its neighbours."""

    def __init__(self, thresholds, budget: tuple[str, float]) -> None:
        self.thresholds, self.budget = thresholds, budget
        self.margins: list[float] = []
        self.reports: list[str] = []

    def add(self, rows: list[dict]) -> None:
        import numpy as np

        from ..model.uncertainty import margin

        if not rows:
            return
        scores = np.array([[r[c] for c in SCORE_COLUMNS] for r in rows], dtype=float)
        values = margin(scores, self.thresholds)
        for row, m in zip(rows, values.tolist()):
            row["review_margin"] = round(m, 4)
            self.margins.append(m)
            self.reports.append(row["report"])

    def ranks(self) -> dict[int, int]:
        """Row number (in stream order) → position in the review queue, from 1."""
        import numpy as np

        kind, amount = self.budget
        n = len(self.margins)
        k = min(n, int(round(amount * n)) if kind == "share" else int(amount))
        flagged = np.argsort(np.asarray(self.margins), kind="stable")[:k]
        first_seen: dict[str, float] = {}
        for i in flagged.tolist():
            first_seen.setdefault(self.reports[i], self.margins[i])  # flagged is by margin: first = least certain
        report_order = {r: pos for pos, r in enumerate(first_seen)}
        order = sorted(flagged.tolist(), key=lambda i: (report_order[self.reports[i]], i))
        return {i: rank for rank, i in enumerate(order, start=1)}
