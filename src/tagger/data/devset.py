"""The real dev set: real reports labelled with the codebook, kept out of the repository.

Real text is not ours, so the repository holds only what describes it:

* ``labels/dev_docs.csv`` — one row per report: ``doc,url,grid,province,year,script,mix``
  (``mix``: ``positive`` or ``hard_negative``, a report made mostly of look-alikes);
* ``labels/dev_manifest.csv`` — one row per paragraph: ``doc,index,sha256,length,kind,labels`` (the
  settled labels, a label cell: ids or ``none``);
* ``labels/dev_reads.csv`` — the two blind reads before settling: ``doc,index,first,second``.

The texts live in the git-ignored folder ``data/real/raw/<doc>.txt`` (each report as it was read).
:func:`check_devset` splits them with the project's reader and matches every manifest row by
paragraph index and sha256; :func:`load_devset` gives the labelled paragraphs when all is present.

Example:
    >>> status = check_devset(".")  # doctest: +SKIP
    >>> status.ok, status.missing_docs[:3]  # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..common.files import CsvRow, cells_beyond_header, read_label_table
from ..common.terminal import counted, grouped
from ..errors import LabelFileError
from ..labels import LABELS, parse_label_cell
from ..text.report import CHROME, KINDS, Paragraph, read_report
from .examples import AS_READ, Example, text_keys, text_sha

__all__ = ["DevStatus", "check_devset", "load_devset", "read_manifest", "sha256_text", "agreement", "DevTexts",
           "dev_texts", "DOCS_FILE", "MANIFEST_FILE", "READS_FILE", "RAW_DIR", "MANIFEST_COLUMNS", "DOCS_COLUMNS",
           "READS_COLUMNS", "read_dev_csv"]

DOCS_FILE = Path("labels") / "dev_docs.csv"
MANIFEST_FILE = Path("labels") / "dev_manifest.csv"
READS_FILE = Path("labels") / "dev_reads.csv"
RAW_DIR = Path("data") / "real" / "raw"
MANIFEST_COLUMNS = ("doc", "index", "sha256", "length", "kind", "labels")
DOCS_COLUMNS = ("doc", "url", "grid", "province", "year", "script", "mix")
READS_COLUMNS = ("doc", "index", "first", "second")


def sha256_text(text: str) -> str:
    """sha256 of a paragraph's text (white space at the ends ignored)."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def _blank(cells: dict) -> bool:
    """A row of empty cells (its cells beyond the header's columns, a list under ``None``, too)."""
    return not any(("".join(v) if isinstance(v, list) else v or "").strip() for v in cells.values())


def read_dev_csv(path: str | Path, columns: Sequence[str]) -> list[CsvRow]:
    """The rows of a CSV file of the dev set (``labels/dev_*.csv``, and the dev team's working files that
    ``tools/devset_manifest.py`` builds them from), each with the file line it starts on: read as every label CSV is
    (:func:`~tagger.common.files.read_label_table`: strictly, a header written with spaces too), its header holding
    ``columns``, every row a cell for each of them (a row cut short is refused, naming the cells it lacks, rather than
    read with ``None`` in them) and none more; a row of empty cells (``,,,,``: what a spreadsheet keeps of a
    formatted row) is skipped as a blank line is. Each row (:class:`~tagger.common.files.CsvRow`) keeps its file line
    and how messages name it (``row.where``: with its spreadsheet row where that differs).

    Raises:
        LabelFileError: the file cannot be read, a column is missing, or a malformed, short or long row (file,
            line, what to do).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "dev_reads.csv"
        >>> _ = path.write_text("doc, index, first\\nd1, 0, none\\nd1, 1\\n", encoding="utf-8")
        >>> read_dev_csv(path, ("doc", "index", "first"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tagger.errors.LabelFileError: .../dev_reads.csv:3: no cell for column first (the row has 2 cells); ...
    """
    path = Path(path)

    def check(names: list[str]) -> None:
        missing = [c for c in columns if c not in names]
        if missing:
            raise LabelFileError(f"{path}: missing column(s) {', '.join(missing)}; header must start "
                                 f"{','.join(columns)}")

    rows = [row for row in read_label_table(path, check=check).rows if not _blank(row.cells)]
    for row in rows:
        extra = cells_beyond_header(row.cells)
        if extra:  # an unquoted comma in a cell (labels "a,b") moved the cells after it: never read them shifted
            raise LabelFileError(f"{row.where}: {counted(len(extra), 'cell')} more than the header's columns; a cell "
                                 'holding the delimiter must be quoted ("a,b"); labels may be separated by ";"')
        missing = [c for c in columns if row.cells[c] is None]
        if missing:
            had = sum(1 for name, cell in row.cells.items() if name is not None and cell is not None)
            raise LabelFileError(f"{row.where}: no cell for column{'s' if len(missing) > 1 else ''} "
                                 f"{', '.join(missing)} (the row has {counted(had, 'cell')}); each row needs "
                                 f"{','.join(columns)}")
    return rows


@dataclass(frozen=True)
class ManifestRow:
    doc: str
    index: int
    sha256: str
    length: int
    kind: str
    labels: tuple[str, ...]


_SHA256 = re.compile(r"[0-9a-f]{64}")
_PUT_BACK = (f"put the cell back as tools/devset_manifest.py wrote it (git diff {MANIFEST_FILE.as_posix()} shows what "
             "changed), or rebuild the file with tools/devset_manifest.py")
_REBUILD = (f"put the report texts back in {RAW_DIR.as_posix()}/ as they were read (the manifest holds each "
            "paragraph's sha256), or, if a text changed on purpose, have its paragraphs read again and rebuild the "
            "manifest with tools/devset_manifest.py")


def read_manifest(root: str | Path = ".") -> list[ManifestRow]:
    """The paragraph rows of ``labels/dev_manifest.csv`` (validated: a kind of the reader's, a sha256 of 64 hex
    digits, read in lower case as the manifest is written).

    Raises:
        LabelFileError: naming the file and line of a malformed row, and what to do.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp()); (root / "labels").mkdir()
        >>> _ = (root / MANIFEST_FILE).write_text("doc,index,sha256,length,kind,labels\\nd1,0,abc,7,body,none\\n")
        >>> read_manifest(root)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tagger.errors.LabelFileError: .../dev_manifest.csv:2: sha256 'abc' is not a sha256 (64 hex digits, ...
    """
    path = Path(root) / MANIFEST_FILE
    rows = []
    seen: dict[tuple[str, int], int] = {}
    for line in read_dev_csv(path, MANIFEST_COLUMNS):
        where, line_no, row = line.where, line.line, line.cells
        for column in ("index", "length"):
            if not row[column].strip().isdecimal():
                raise LabelFileError(f"{where}: {column} {row[column]!r} is not a whole number (0, 1, 2, …)")
        index, length = int(row["index"]), int(row["length"])
        try:
            labels = parse_label_cell(row["labels"], where)
        except ValueError as exc:  # its message names the row already
            raise LabelFileError(str(exc)) from None
        if labels is None:
            raise LabelFileError(f"{where}: empty labels cell; give the settled labels, or none")
        kind, sha = row["kind"].strip(), row["sha256"].strip().lower()  # upper-case hex (a spreadsheet's): the same
        if kind not in KINDS:
            raise LabelFileError(f"{where}: kind {row['kind']!r} is none of {', '.join(KINDS)} (what the reader "
                                 f"calls the paragraph); {_PUT_BACK}")
        if not _SHA256.fullmatch(sha):  # else read as a paragraph whose text changed
            raise LabelFileError(f"{where}: sha256 {row['sha256']!r} is not a sha256 (64 hex digits, 0-9 and a-f); "
                                 f"{_PUT_BACK}")
        key = (row["doc"], index)
        if key in seen:
            raise LabelFileError(f"{where}: paragraph {row['doc']}:{index} listed twice (first at line {seen[key]})")
        seen[key] = line_no
        rows.append(ManifestRow(row["doc"], index, sha, length, kind, labels))
    return rows


_SHORT = 20
"""Dev-set paragraphs shorter than this (headings, sign-offs) are left out of the checks that keep the dev set out of
training: they carry nothing to learn and may repeat anywhere."""


@dataclass(frozen=True)
class DevTexts:
    """The dev set's paragraphs as the checks that keep them out of training compare them (:func:`dev_texts`).

    Attributes:
        shas: ``{text_sha: "doc:index"}`` of every paragraph the manifest lists (the first 16 digits of its sha256,
            of the text as written).
        keys: ``{text key: "doc:index"}`` (:func:`~tagger.data.examples.text_keys`: the text as the model reads it)
            of those whose text is on this machine (``data/real/raw``) as the manifest lists it.
    """

    shas: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    def find(self, text: str, key: str) -> str | None:
        """How a message names the dev paragraph that a paragraph is (its ``text``, and its ``key``: its
        :func:`~tagger.data.examples.text_keys`): ``doc:index``, with "as the model reads it (…)" when only ``key``
        matches — a key of :attr:`keys`, or the text as written of a dev paragraph that is its own key (simplified,
        half-width: the hash of ``key`` is in :attr:`shas`) —; ``None`` when it is none.

        Example:
            >>> dev = DevTexts({text_sha("为老人检修线路。"): "d1:1"}, {"党员为老人检修线路。": "d1:2"})
            >>> dev.find("为老人检修线路。", "为老人检修线路。"), dev.find("为人民服务。", "为人民服务。")
            ('d1:1', None)
            >>> dev.find("為老人檢修線路。", "为老人检修线路。")[:26], dev.find("黨員為老人檢修線路。", "党员为老人检修线路。")[:26]
            ('d1:1 as the model reads it', 'd1:2 as the model reads it')
        """
        found = self.shas.get(text_sha(text))
        if found is not None:
            return found
        found = self.shas.get(text_sha(key)) or self.keys.get(key)
        return None if found is None else f"{found} {AS_READ}"


def dev_texts(root: str | Path = ".") -> DevTexts:
    """The dev set's paragraphs (``labels/dev_manifest.csv``; none when the project has none), lines under 20
    characters left out (:data:`_SHORT`). The dev set is for scoring only: training, ``labels import`` and ``suggest``
    use this to keep its paragraphs out. A copy in another script, with full-width letters or other white space is
    the same paragraph to the model: it is found by the text's key where the paragraph's text is on this machine
    (``data/real/raw/<doc>.txt``, read as :func:`check_devset` reads it, the paragraph at its index matching the
    manifest's sha256); the manifest holds only the sha256 of each text as written, so a paragraph whose text is
    not here is found as written only (in another writing only when it was written as the model reads it:
    :meth:`DevTexts.find`).

    Raises:
        LabelFileError: a malformed manifest, naming its line. InputError: a report text that cannot be read.
    """
    root = Path(root)
    if not (root / MANIFEST_FILE).exists():
        return DevTexts()
    rows = [row for row in read_manifest(root) if row.length >= _SHORT]
    texts = _read_texts(root, dict.fromkeys(row.doc for row in rows))
    present: list[tuple[Paragraph, str]] = []
    for row in rows:
        p = texts.get(row.doc, {}).get(row.index)
        if p is not None and sha256_text(p.text) == row.sha256:
            present.append((p, f"{row.doc}:{row.index}"))
    keys: dict[str, str] = {}
    for key, (_, where) in zip(text_keys([p for p, _ in present]), present):
        keys.setdefault(key, where)
    return DevTexts({row.sha256[:16]: f"{row.doc}:{row.index}" for row in rows}, keys)


def _read_texts(root: Path, docs: Iterable[str]) -> dict[str, dict[int, Paragraph]]:
    """The paragraphs of each report of ``docs`` whose text is in ``data/real/raw`` (page chrome included), by index."""
    texts = {}
    for doc in docs:
        path = root / RAW_DIR / f"{doc}.txt"
        if path.exists():
            texts[doc] = {p.index: p for p in read_report(path, with_chrome=True, notes=False)}
    return texts


@dataclass
class DevStatus:
    """What of the dev set is present: texts found and matching, and what is not."""

    rows: int = 0
    docs: int = 0
    present: int = 0
    missing_docs: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # doc:index whose text differs from the manifest (or added:
    # past the report's last paragraph listed, before its first or in a gap between two — page chrome aside)
    changed_docs: list[str] = field(default_factory=list)  # reports whose text is here but no paragraph matches
    chrome: int = 0  # unlabelled rows whose line the reader now drops as page chrome (left out)
    examples: list[Example] = field(default_factory=list)
    no_manifest: str = ""  # the manifest's path when there is no such file (a --root that is no checkout)
    raw_dir: str = str(RAW_DIR)  # where the texts are looked for (under --root)

    @property
    def ok(self) -> bool:
        """Every paragraph of the manifest is present and matches (or is an unlabelled line the reader now drops
        as page chrome), and no report's text has a paragraph the manifest does not list."""
        return self.rows > 0 and self.present + self.chrome == self.rows and not self.changed

    @property
    def usable(self) -> bool:
        """Some reports are present whole and nothing present differs from the manifest: the dev set
        can be measured on the reports present (:attr:`scope` says which part)."""
        return self.present > 0 and not self.changed

    @property
    def present_docs(self) -> int:
        """Reports with a paragraph present and matching (a text file that matches nothing is no report of it)."""
        return len({e.doc for e in self.examples})

    def scope(self) -> str:
        """What a measurement on :attr:`examples` covers, in words (for reports), every count in one format.

        Example:
            >>> DevStatus(rows=12500, docs=1020, present=12000, missing_docs=["d"] * 1010).scope()  # doctest: +ELLIPSIS
            "12,000 real paragraphs of 0 reports (the texts of 1,010 of the manifest's 1,020 reports are not on ..."
        """
        text = f"{counted(self.present, 'real paragraph')} of {counted(self.present_docs, 'report')}"
        if self.missing_docs:
            text += (f" (the texts of {grouped(len(self.missing_docs))} of the manifest's "
                     f"{counted(self.docs, 'report')} are not on this machine, so this measures the other "
                     f"{grouped(self.present_docs)}; `tagger devset check` lists them)")
        return text

    def summary(self) -> str:
        if self.no_manifest:
            return f"no dev set: {self.no_manifest} not found (is --root the project checkout?)"
        if self.rows == 0:
            return "no dev set: labels/dev_manifest.csv has no rows"
        text = (f"dev set: {grouped(self.present)} of {counted(self.rows, 'paragraph')} "
                f"({grouped(self.present_docs)} of {counted(self.docs, 'report')}) present")
        if self.missing_docs:
            text += (f"; {counted(len(self.missing_docs), 'report text')} missing from {self.raw_dir} (e.g. "
                     f"{self.missing_docs[0]}): "
                     "the texts are not in the repository (real text is not ours to publish); copy them there, or find "
                     "the pages again (tools/realdata.py missing lists their urls) and put them back with "
                     "tools/realdata.py restore")
        if self.chrome:
            text += (f"; {grouped(self.chrome)} unlabelled rows are lines the reader now drops as page chrome (a "
                     "list of other stories, readers' comments): left out")
        if self.changed:
            n = len(self.changed)
            text += f"; {counted(n, 'paragraph')} differ{'s' * (n == 1)} from the manifest (e.g. {self.changed[0]})"
            if self.changed_docs:  # neither present nor missing: the reports add up
                text += (f", every paragraph of {counted(len(self.changed_docs), 'report')} (e.g. "
                         f"{self.changed_docs[0]}: its text is not the one the manifest lists)")
            text += f": {_REBUILD}"
        return text

    def listing(self, shown: int | None = None) -> list[str]:
        """Every report text missing and every paragraph that differs, one a line under a heading each (what
        ``tagger devset check`` prints under :meth:`summary`); none: ``[]``. ``shown``: at most that many of each
        list, then how many more (what ``tagger devset export`` prints: the check lists them all).

        Example:
            >>> DevStatus(rows=3, docs=2, missing_docs=["d1"], changed=["d2:0", "d2:1"], changed_docs=["d2"]).listing()
            ['report texts missing (1):', '  d1', 'paragraphs that differ from the manifest (2):', '  d2:0', '  d2:1']
            >>> DevStatus(rows=9, docs=9, missing_docs=[f"d{i}" for i in range(9)]).listing(shown=2)
            ['report texts missing (9):', '  d0', '  d1', '  … and 7 more']
        """
        lines = []
        for heading, items in (("report texts missing", self.missing_docs),  # what to do about each: the summary
                               ("paragraphs that differ from the manifest", self.changed)):
            if items:
                cut = len(items) if shown is None else shown
                lines += [f"{heading} ({grouped(len(items))}):", *(f"  {x}" for x in items[:cut])]
                if len(items) > cut:
                    lines.append(f"  … and {grouped(len(items) - cut)} more")
        return lines


def check_devset(root: str | Path = ".") -> DevStatus:
    """Match the manifest against the texts in ``data/real/raw`` (see the module doc). ``labels/dev_docs.csv`` is
    read too, so that a bad row there is refused before any model is trained to be scored on the dev set.

    Raises:
        LabelFileError: a malformed row of the manifest or of ``labels/dev_docs.csv`` (file, line, what to do).
    """
    root = Path(root)
    status = DevStatus(raw_dir=str(root / RAW_DIR))
    if not (root / MANIFEST_FILE).exists():
        status.no_manifest = str(root / MANIFEST_FILE)
        return status
    rows = read_manifest(root)
    doc_info(root)
    status.rows, status.docs = len(rows), len({r.doc for r in rows})
    docs = list(dict.fromkeys(r.doc for r in rows))
    by_doc = _read_texts(root, docs)
    status.missing_docs = [doc for doc in docs if doc not in by_doc]
    differs: set[str] = set()  # reports with a paragraph that differs
    hashes: dict[str, dict[str, int]] = {}  # a report's paragraphs by hash, made once one differs
    listed: dict[str, list[int]] = {}  # a report's indexes in the manifest
    for r in rows:
        listed.setdefault(r.doc, []).append(r.index)
        paragraphs = by_doc.get(r.doc)
        if paragraphs is None:
            continue
        p = paragraphs.get(r.index)
        if p is None or sha256_text(p.text) != r.sha256:
            if r.doc not in hashes:
                by_hash = hashes[r.doc] = {}
                for i, q in sorted(paragraphs.items()):  # the first index a text is at
                    by_hash.setdefault(sha256_text(q.text), i)
            now = hashes[r.doc].get(r.sha256)
            status.changed.append(f"{r.doc}:{r.index}" if now is None else
                                  f"{r.doc}:{r.index} (its text is now {r.doc}:{now}: a paragraph added or taken "
                                  "out before it numbers it anew)")
            differs.add(r.doc)
            continue
        if p.kind == CHROME:  # the reader's page-chrome rules grew after the row was labelled
            if r.labels:
                status.changed.append(f"{r.doc}:{r.index} (labelled, now dropped as page chrome)")
                differs.add(r.doc)
            else:
                status.chrome += 1
            continue
        status.present += 1
        status.examples.append(Example(p.id, r.doc, p.text, r.labels, "dev", r.index, p.kind))
    for doc, paragraphs in by_doc.items():  # text added since: the report's context is not the one labelled
        indexes, known = sorted(listed[doc]), set(listed[doc])
        added = [_unlisted(doc, i, indexes) for i in sorted(paragraphs)  # page chrome is not listed
                 if paragraphs[i].kind != CHROME and i not in known]
        status.changed += added
        if added:
            differs.add(doc)
    found = {e.doc for e in status.examples}
    status.changed_docs = [doc for doc in by_doc if doc in differs and doc not in found]  # every paragraph differs
    return status


def _unlisted(doc: str, index: int, listed: list[int]) -> str:
    """How :attr:`DevStatus.changed` names paragraph ``index`` of ``doc``, read from its text but not in the
    manifest, which lists the paragraphs ``listed`` (sorted) of it: past its last one (text appended), before its
    first, or between two — the manifest leaves out only page chrome, so a paragraph in a gap of its indexes is text
    added since (its chrome line made story text, or the reader's chrome rules narrowed), unlabelled.

    Example:
        >>> _unlisted("d1", 3, [0, 1, 2]), _unlisted("d1", 2, [0, 1, 3, 4])
        ('d1:3 (not in the manifest: past its last paragraph, d1:2)', 'd1:2 (not in the manifest: between d1:1 and d1:3)')
    """
    below = bisect.bisect_left(listed, index)  # how many listed paragraphs come before it
    if not below:
        return f"{doc}:{index} (not in the manifest: before its first paragraph, {doc}:{listed[0]})"
    if below == len(listed):
        return f"{doc}:{index} (not in the manifest: past its last paragraph, {doc}:{listed[-1]})"
    return f"{doc}:{index} (not in the manifest: between {doc}:{listed[below - 1]} and {doc}:{listed[below]})"


def load_devset(root: str | Path = ".") -> list[Example] | None:
    """The dev set's labelled paragraphs, or ``None`` when its texts are not all present (see
    :func:`check_devset` for what is missing)."""
    status = check_devset(root)
    return status.examples if status.ok else None


def doc_info(root: str | Path = ".") -> dict[str, dict[str, str]]:
    """``labels/dev_docs.csv`` by report id."""
    path = Path(root) / DOCS_FILE
    if not path.exists():
        return {}
    return {row.cells["doc"]: row.cells for row in read_dev_csv(path, DOCS_COLUMNS)}


def _kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cohen's kappa of two binary reads (``None`` when chance agreement is total)."""
    po = float((a == b).mean())
    pa, pb = a.mean(), b.mean()
    pe = float(pa * pb + (1 - pa) * (1 - pb))
    return None if pe >= 1 else (po - pe) / (1 - pe)


def agreement(root: str | Path = ".") -> dict:
    """Agreement of the two blind reads in ``labels/dev_reads.csv``: Cohen's kappa and F1 per label,
    and micro-F1 of one read against the other.

    Raises:
        LabelFileError: an empty file, a row read twice, a paragraph the manifest does not hold, an
            empty read or an unknown label, naming the line.
    """
    path = Path(root) / READS_FILE
    manifest = {(r.doc, r.index) for r in read_manifest(root)} if (Path(root) / MANIFEST_FILE).exists() else None
    first, second, seen = [], [], {}
    for line in read_dev_csv(path, READS_COLUMNS):
        where, line_no, row = line.where, line.line, line.cells
        doc, index = row["doc"].strip(), row["index"].strip()
        if not index.isascii() or not index.isdigit():
            raise LabelFileError(f"{where}: index {index!r} is not a paragraph index (0, 1, 2, …)")
        key = (doc, int(index))
        if key in seen:
            raise LabelFileError(f"{where}: {doc}:{index} read twice (first at line {seen[key]}); keep one row")
        seen[key] = line_no
        if manifest is not None and key not in manifest:
            raise LabelFileError(f"{where}: {doc}:{index} is not a paragraph of {MANIFEST_FILE}")
        try:  # an empty cell is a paragraph not read, not "no label": it would count as a disagreement
            a = parse_label_cell(row["first"], where)
            b = parse_label_cell(row["second"], where)
        except ValueError as exc:
            raise LabelFileError(str(exc)) from None
        if a is None or b is None:
            raise LabelFileError(f"{where}: the {'first' if a is None else 'second'} read is empty; write the "
                                 "labels, or none for no label")
        first.append([lab in a for lab in LABELS])
        second.append([lab in b for lab in LABELS])
    if not first:
        raise LabelFileError(f"{path}: no reads (only a header); one row per paragraph read twice")
    A, B = np.array(first, dtype=bool), np.array(second, dtype=bool)
    out = {"paragraphs": len(A), "per_label": {}}
    for j, lab in enumerate(LABELS):
        tp, fp, fn = (A[:, j] & B[:, j]).sum(), (~A[:, j] & B[:, j]).sum(), (A[:, j] & ~B[:, j]).sum()
        f1 = float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else None
        out["per_label"][lab] = {"kappa": _kappa(A[:, j], B[:, j]), "f1": f1,
                                 "first": int(A[:, j].sum()), "second": int(B[:, j].sum())}
    tp, fp, fn = (A & B).sum(), (~A & B).sum(), (A & ~B).sum()
    out["micro_f1"] = float(2 * tp / max(2 * tp + fp + fn, 1))
    return out
