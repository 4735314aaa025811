#!/usr/bin/env python3
"""Build the committed dev-set files from the dev team's work (run from the repository root).

Inputs (git-ignored, real text stays there): ``data/real/raw/<doc>.txt`` (report texts),
``data/real/docs.csv`` (report metadata), ``data/real/first_read.csv`` and, when present,
``data/real/second_read.csv`` (the blind second read) and ``data/real/settled.csv`` (the third
reader's decision on every disagreement: ``doc,index,labels,why``).

Outputs (committed, no text): ``labels/dev_docs.csv``, ``labels/dev_manifest.csv`` (settled labels:
the agreed ones, else the settled ones, else the first read while no second read exists) and
``labels/dev_reads.csv`` (both reads). Reports a genre author saw in search results, and reports that
share passages with a reserved page in either script, are left out (``--exclude`` adds more). A paragraph of a
text without a first-read row, or whose two reads differ with no settled row, and a read row for a report or
paragraph the texts do not have, is listed (file, row, the row to add) and nothing is written (exit 1): dropped, it
would make the dev set unusable; kept, it would take the first read's labels as if agreed. A read row with an empty
labels cell, or a second row for one paragraph, is refused (exit 1, nothing written): which labels the reader gave
is not known. The three files are written together (atomically) or not at all.

    python tools/devset_manifest.py            # build
    python tools/devset_manifest.py --append --reads data/real/new
                                               # add the reports read in data/real/new/ (docs.csv,
                                               # first_read.csv, ...) to the committed files, keeping
                                               # the committed rows of every other report
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools"))

from tagger.data.devset import (DOCS_COLUMNS, DOCS_FILE, MANIFEST_COLUMNS, MANIFEST_FILE, RAW_DIR,  # noqa: E402
                                 READS_COLUMNS, READS_FILE, read_dev_csv, sha256_text)
from tagger.common.atomic import atomic_write, replace_together, temp_path_beside  # noqa: E402
from tagger.common.signals import signals_held  # noqa: E402
from tagger.errors import LabelFileError, TaggerError  # noqa: E402
from tagger.labels import format_label_cell, parse_label_cell  # noqa: E402
from tagger.text.report import read_report  # noqa: E402
from realdata import committed_url  # noqa: E402 - how committed files name a page without a url

REAL = ROOT / "data" / "real"


READ_COLUMNS = ("doc", "index", "labels")  # first_read.csv, second_read.csv, settled.csv (+ why)


def read_csv(path: Path, columns: Sequence[str]) -> list[dict]:
    """The rows of a dev-set CSV, read as tagger reads ``labels/dev_manifest.csv`` (:func:`read_dev_csv`)."""
    return [row.cells for row in read_dev_csv(path, columns)]


def reads(path: Path) -> dict[tuple[str, int], tuple[str, ...]]:
    """The labels of each paragraph ``(doc, index)`` in a read (``first_read.csv``, ...); ``{}`` without the file."""
    return {key: labels for key, (labels, _) in read_rows(path).items()}


def read_rows(path: Path) -> dict[tuple[str, int], tuple[tuple[str, ...], str]]:
    """:func:`reads`, each paragraph's labels with how messages name its row (``file:line``).

    Raises:
        LabelFileError: an unknown label id, an index that is no paragraph number, an empty labels cell (the
            reader's decision is not known: ``none`` is the one for no label) or a second row for one paragraph
            (which of the two is the read is not known), naming the file, the row and what to do.
    """
    if not path.exists():
        return {}
    out = {}
    for line in read_dev_csv(path, READ_COLUMNS):
        row = line.cells
        try:
            labels = parse_label_cell(row["labels"], line.where)
        except ValueError as exc:  # an unknown label id: its message names the row
            raise LabelFileError(str(exc)) from None
        if not row["index"].strip().isdecimal():
            raise LabelFileError(f"{line.where}: index {row['index']!r} is not a paragraph number (0, 1, 2 …)")
        key = (row["doc"], int(row["index"]))
        if labels is None:  # taken for "none", it would be a gold label no reader gave
            raise LabelFileError(f"{line.where}: no labels for {key[0]}:{key[1]}; write the labels the reader gave "
                                 "(none for no label), or delete the row if the paragraph was not read")
        if key in out:  # the later row would silently override the earlier one
            raise LabelFileError(f"{line.where}: a second row for {key[0]}:{key[1]} (the first is at {out[key][1]}); "
                                 "keep the one row the reader meant and delete the other")
        out[key] = (labels, line.where)
    return out


def contaminated() -> set[str]:
    """Dev reports a genre author saw, and reports matching a reserved page in either script."""
    import realdata

    rows = realdata.read_claims()
    genre_seen = {r["key"] for r in rows if realdata.side(r["role"]) == "genre"}
    out = {f"real_{r['key'][:12]}" for r in rows if r["role"] == "dev" and r["event"] == "saved" and r["key"] in genre_seen}
    for page in sorted((ROOT / "data" / "pages" / "dev").glob("*.txt")):
        if realdata.reserved_text(page):
            out.add(f"real_{page.stem[:12]}")
    return out


def write_together(files: Sequence[tuple[Path, list[dict], Sequence[str]]]) -> None:
    """Write each ``(path, rows, columns)`` CSV to a temp file beside it, then put them all in place as one commit
    (:func:`~tagger.common.atomic.replace_together`): a failed write (a full disk) leaves every committed file as
    it was, never one rebuilt beside two old ones."""
    temps: list[Path] = []
    try:
        for path, rows, columns in files:
            with signals_held():  # a signal between making the temp file and noting it would leave it behind
                temps.append(temp_path_beside(path, ".tmp"))
            with atomic_write(temps[-1], "w", encoding="utf-8", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
                w.writeheader()
                w.writerows(rows)
        replace_together(*((tmp, path) for tmp, (path, _, _) in zip(temps, files)))
    finally:
        for tmp in temps:
            with contextlib.suppress(OSError):
                tmp.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exclude", nargs="*", default=[], help="more report ids to leave out")
    parser.add_argument("--reads", type=Path, default=REAL, help="folder of docs.csv and the reads (default data/real)")
    parser.add_argument("--append", action="store_true",
                        help="keep the committed rows of reports not in --reads (whose working files may be gone)")
    args = parser.parse_args(argv)
    skip = contaminated() | set(args.exclude)
    docs = [d for d in read_csv(args.reads / "docs.csv", ("doc", "url")) if d["doc"] not in skip]
    first_csv, second_csv, settled_csv = (args.reads / name for name in ("first_read.csv", "second_read.csv",
                                                                            "settled.csv"))
    first_rows, second, settled_rows = read_rows(first_csv), read_rows(second_csv), read_rows(settled_csv)
    first = {key: labels for key, (labels, _) in first_rows.items()}
    settled = {key: labels for key, (labels, _) in settled_rows.items()}
    manifest, read_rows_out, problems = [], [], []
    if args.append:
        replaced = {d["doc"] for d in docs} | skip  # rebuilt from --reads, or left out
        docs = [d for d in read_csv(ROOT / DOCS_FILE, DOCS_COLUMNS) if d["doc"] not in replaced] + docs
        manifest = [r for r in read_csv(ROOT / MANIFEST_FILE, MANIFEST_COLUMNS) if r["doc"] not in replaced]
        read_rows_out = [r for r in read_csv(ROOT / READS_FILE, READS_COLUMNS) if r["doc"] not in replaced]
    kept = {r["doc"] for r in manifest}
    texts: dict[str, tuple[Path, list[int]]] = {}  # each report built here: its text file, its paragraphs' indexes
    for d in docs:
        if d["doc"] in kept:
            continue
        path = ROOT / RAW_DIR / f"{d['doc']}.txt"
        paragraphs = read_report(path)
        texts[d["doc"]] = (path, [p.index for p in paragraphs])
        for p in paragraphs:
            key = (d["doc"], p.index)
            if key not in first:  # left out, the manifest would lack a paragraph of the text: no dev set at all
                problems.append(f"{first_csv}: no row for paragraph {p.index} of {d['doc']} ({path}); add the row "
                                f"{d['doc']},{p.index},LABELS (none for no label)")
                continue
            a, (b, where) = first[key], second.get(key, (None, ""))
            if b is None or set(a) == set(b):
                final = a
            elif key in settled:
                final = settled[key]
            else:  # the first read's labels would be kept as if agreed
                problems.append(f"{where}: the reads of {d['doc']}:{p.index} differ (first {format_label_cell(a)}, "
                                f"second {format_label_cell(b)}) and nothing settles them; add the third reader's "
                                f"row {d['doc']},{p.index},LABELS,why to {settled_csv}")
                continue
            manifest.append({"doc": d["doc"], "index": p.index, "sha256": sha256_text(p.text), "length": len(p.text),
                             "kind": p.kind, "labels": format_label_cell(final)})
            read_rows_out.append({"doc": d["doc"], "index": p.index, "first": format_label_cell(a),
                                  "second": "" if b is None else format_label_cell(b)})
    known = {d["doc"] for d in docs} | skip
    for rows in (first_rows, second, settled_rows):  # a row of a read no paragraph takes would be lost unsaid
        for (doc, index), (_, where) in rows.items():
            if doc not in known:
                problems.append(f"{where}: no report {doc} in {args.reads / 'docs.csv'}; correct the report id, or "
                                f"add the report's row to docs.csv (and its text as {ROOT / RAW_DIR / doc}.txt)")
            elif doc in texts and index not in texts[doc][1]:
                path, indexes = texts[doc]
                has = f"{len(indexes)}: {min(indexes)} to {max(indexes)}" if indexes else "none"
                problems.append(f"{where}: {doc} has no paragraph {index} (its text, {path}, has {has}); correct the "
                                "index, or delete the row")
    if problems:  # the committed files stay as they are: a manifest without a paragraph makes the dev set unusable
        print(f"nothing written: {len(problems)} paragraph{'s' * (len(problems) != 1)} of the reads to fix first, "
              "then run this again:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    docs = [{**d, "url": committed_url(d["url"])} for d in docs]  # a page without a url: its key, not its words
    write_together([(ROOT / DOCS_FILE, docs, DOCS_COLUMNS), (ROOT / MANIFEST_FILE, manifest, MANIFEST_COLUMNS),
                    (ROOT / READS_FILE, read_rows_out, READS_COLUMNS)])
    left_out = f" ({len(skip)} left out: {', '.join(sorted(skip))})" if skip else ""
    print(f"{len(docs)} reports{left_out}, {len(manifest)} paragraphs; "
          f"second read for {sum(1 for r in read_rows_out if r['second'])}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except TaggerError as exc:  # a malformed CSV: its file, line and what to do, not a traceback
        sys.exit(str(exc))
