#!/usr/bin/env python3
"""Build the committed dev-set files from the dev team's work (run from the repository root).

Inputs (git-ignored, real text stays there): ``data/real/raw/<doc>.txt`` (report texts),
``data/real/docs.csv`` (report metadata), ``data/real/first_read.csv`` and, when present,
``data/real/second_read.csv`` (the blind second read) and ``data/real/settled.csv`` (the third
reader's decision on every disagreement: ``doc,index,labels,why``).

Outputs (committed, no text): ``labels/dev_docs.csv``, ``labels/dev_manifest.csv`` (settled labels:
the agreed ones, else the settled ones, else the first read while no second read exists) and
``labels/dev_reads.csv`` (both reads). Reports a genre author saw in search results, and reports that
share passages with a reserved page in either script, are left out (``--exclude`` adds more).

    python tools/devset_manifest.py            # build
    python tools/devset_manifest.py --append --reads data/real/new
                                               # add the reports read in data/real/new/ (docs.csv,
                                               # first_read.csv, ...) to the committed files, keeping
                                               # the committed rows of every other report
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools"))

from tagger.data.devset import (DOCS_COLUMNS, DOCS_FILE, MANIFEST_COLUMNS, MANIFEST_FILE, RAW_DIR,  # noqa: E402
                                 READS_COLUMNS, READS_FILE, read_dev_csv, sha256_text)
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
        out[(row["doc"], int(row["index"]))] = labels if labels is not None else ()
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exclude", nargs="*", default=[], help="more report ids to leave out")
    parser.add_argument("--reads", type=Path, default=REAL, help="folder of docs.csv and the reads (default data/real)")
    parser.add_argument("--append", action="store_true",
                        help="keep the committed rows of reports not in --reads (whose working files may be gone)")
    args = parser.parse_args(argv)
    skip = contaminated() | set(args.exclude)
    docs = [d for d in read_csv(args.reads / "docs.csv", ("doc", "url")) if d["doc"] not in skip]
    first, second = reads(args.reads / "first_read.csv"), reads(args.reads / "second_read.csv")
    settled = reads(args.reads / "settled.csv")
    manifest, read_rows, missing = [], [], []
    if args.append:
        replaced = {d["doc"] for d in docs} | skip  # rebuilt from --reads, or left out
        docs = [d for d in read_csv(ROOT / DOCS_FILE, DOCS_COLUMNS) if d["doc"] not in replaced] + docs
        manifest = [r for r in read_csv(ROOT / MANIFEST_FILE, MANIFEST_COLUMNS) if r["doc"] not in replaced]
        read_rows = [r for r in read_csv(ROOT / READS_FILE, READS_COLUMNS) if r["doc"] not in replaced]
    kept = {r["doc"] for r in manifest}
    for d in docs:
        if d["doc"] in kept:
            continue
        path = ROOT / RAW_DIR / f"{d['doc']}.txt"
        for p in read_report(path):
            key = (d["doc"], p.index)
            if key not in first:
                missing.append(f"{d['doc']}:{p.index}")
                continue
            a, b = first[key], second.get(key)
            if b is None or set(a) == set(b):
                final = a
            elif key in settled:
                final = settled[key]
            else:
                missing.append(f"{d['doc']}:{p.index} (reads differ, not settled)")
                final = a
            manifest.append({"doc": d["doc"], "index": p.index, "sha256": sha256_text(p.text), "length": len(p.text),
                             "kind": p.kind, "labels": format_label_cell(final)})
            read_rows.append({"doc": d["doc"], "index": p.index, "first": format_label_cell(a),
                              "second": "" if b is None else format_label_cell(b)})
    docs = [{**d, "url": committed_url(d["url"])} for d in docs]  # a page without a url: its key, not its words
    for path, rows, fields in ((ROOT / DOCS_FILE, docs, DOCS_COLUMNS), (ROOT / MANIFEST_FILE, manifest, MANIFEST_COLUMNS),
                               (ROOT / READS_FILE, read_rows, READS_COLUMNS)):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(fields), extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    print(f"{len(docs)} reports ({len(skip)} left out: {', '.join(sorted(skip))}), {len(manifest)} paragraphs; "
          f"second read for {sum(1 for r in read_rows if r['second'])}")
    if missing:
        print(f"{len(missing)} problems, e.g. {missing[:5]}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except TaggerError as exc:  # a malformed CSV: its file, line and what to do, not a traceback
        sys.exit(str(exc))
