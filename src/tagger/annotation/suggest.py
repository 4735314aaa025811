"""What to label next: the paragraphs of new reports the model is least sure about, spread over the
new material, written as a CSV to fill in a spreadsheet.

``tagger suggest REPORTS... --n 30 --output to_label.csv`` splits new reports into paragraphs, drops
headings, captions and paragraphs whose text is already labelled in ``labels/seeds.csv``, ``labels/imported.jsonl``
or ``labels/authored*.jsonl`` (as the model reads it, :func:`tagger.data.examples.text_keys`: a copy in the other
script or with full-width letters too) or is a paragraph of the real dev set, ranks the rest by
:func:`tagger.model.uncertainty.margin` and picks from the least certain (:data:`POOL` times ``n``) one per cluster of
similar paragraphs, never one that repeats a pick but for numbers, utilities' names or a few characters
(:func:`pick_diverse`).

Example:
    >>> result = suggest_from_reports(tagger.load(), ["new_reports/"], ".", n=30)  # doctest: +SKIP
    >>> write_suggestions(result.suggestions, "to_label.csv")  # doctest: +SKIP
    PosixPath('to_label.csv')
"""

from __future__ import annotations

import csv
import io
import logging
import re
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..model.uncertainty import margin
from ..common.atomic import atomic_write, would_overwrite
from ..common.files import (REPORT_KINDS, REPORT_SUFFIXES, LeftOut, folder_files, glob_matches, names_nothing,
                            no_such)
from ..data.examples import AUTHORED_GLOB, IMPORTED_FILE, text_keys, text_sha, training_rows
from ..data.tagged import without_earlier_outputs
from ..data.devset import dev_texts
from ..errors import InputError, UsageError
from ..labels import LABELS, format_label_cell
from ..text.normalize import CJK_RANGES
from ..text.report import NO_LABEL_KINDS, Paragraph, misdecoded, read_report, report_id_problem
from ..common.cells import guard_cell
from ..common.progress import counted_progress
from ..common.terminal import counted, grouped
from .labelfiles import OWN_ID, SUGGEST_COLUMNS, check_project, guard_hash, report_taken, reports_elsewhere

__all__ = ["Suggestion", "SuggestResult", "SuggestionsExist", "pick_diverse", "suggest", "collect_reports",
           "check_output_name", "diversity_text", "NEAR_REPEAT", "POOL", "DIMENSIONS",
           "suggest_from_reports", "suggest_paragraphs", "refuse_misdecoded", "write_suggestions"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Suggestion:
    """One paragraph proposed for labelling.

    Attributes:
        id: paragraph id ``<report>:<index>``.
        report: report id (file stem).
        text: original paragraph text.
        kind: ``"body"`` (headings and captions are never suggested).
        text_sha: :func:`tagger.data.examples.text_sha` of ``text``.
        scores: the model's score per label.
        predicted: labels whose score reaches the model's threshold.
        margin: :func:`tagger.model.uncertainty.margin`; smaller is less certain (the CSV's ``margin``
            column; ``uncertainty`` is its old name, kept as a read-only alias).
        cluster: the diversity cluster it was picked from.
    """

    id: str
    report: str
    text: str
    kind: str
    text_sha: str
    scores: dict[str, float]
    predicted: tuple[str, ...]
    margin: float
    cluster: int

    @property
    def uncertainty(self) -> float:
        """The old name of :attr:`margin` (a certainty margin: smaller is less certain)."""
        return self.margin


@dataclass
class SuggestResult:
    """Suggestions plus what was filtered out on the way (for the CLI summary)."""

    suggestions: list[Suggestion]
    n_paragraphs: int = 0
    n_headings: int = 0
    """Headings and captions read and skipped (the codebook gives them no label)."""
    n_labelled: int = 0
    n_duplicates: int = 0
    n_candidates: int = 0
    n_asked: int = 0
    """How many suggestions were asked for (``n``): fewer are made when the other unlabelled paragraphs all
    repeat a suggested one but for numbers, names or a few characters (:func:`pick_diverse`)."""

    def summary(self) -> str:
        """One line saying how the suggestions were chosen.

        Example:
            >>> SuggestResult([], n_paragraphs=3, n_headings=1, n_candidates=2).summary().split(" (")[0]
            '0 of 2 unlabelled paragraphs suggested'
        """
        made = len(self.suggestions)
        fewer = (f"; the other {grouped(self.n_candidates - made)} repeat a suggested one but for numbers, names or "
                 f"a few characters, so fewer than the {grouped(self.n_asked)} asked for"
                 if 0 < made < min(self.n_asked, self.n_candidates) else "")
        return (f"{grouped(made)} of {counted(self.n_candidates, 'unlabelled paragraph')} suggested "
                f"({counted(self.n_paragraphs, 'paragraph')} read: {grouped(self.n_headings)} headings and captions "
                f"skipped, {grouped(self.n_labelled)} already labelled, {grouped(self.n_duplicates)} repeated texts{fewer})")


# What tells two paragraphs of one template apart but not their meaning to a labeller, masked before
# paragraphs are compared (:func:`diversity_text`): a number (ASCII digits, as normalisation makes full-width
# ones, with the separators of dates, times and thousands: 2024/5/12, 1,200, 3.5; or a run of Chinese
# numerals: 二十, 两, 叁佰, 19万) and a power utility's name (国网甲市供电公司, 南方电网珠海供电局; a name
# without a grid's prefix, 城关供电所, up to four characters before the utility word).
_NUMBER = re.compile(r"[0-9]+(?:[.,:/-][0-9]+)*|[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]+")
_UTILITY = r"(?:供电分?公司|供电(?:服务)?中心|供电分?局|供电所|供电站|电力(?:有限)?公司|电业局)"
_GRID_UTILITY = re.compile(rf"(?:国网|南网|[{CJK_RANGES}]{{2}}电网)[{CJK_RANGES}A-Za-z#]{{0,10}}?{_UTILITY}")
_OTHER_UTILITY = re.compile(rf"[{CJK_RANGES}#]{{0,4}}{_UTILITY}")
NEAR_REPEAT = 0.8
"""Character-3-gram Jaccard similarity of two :func:`diversity_text` forms from which :func:`pick_diverse`
takes a paragraph for a near-repeat of an earlier pick."""
POOL = 10
"""How many times ``n`` of the most uncertain candidates :func:`pick_diverse` clusters into ``n`` clusters: the pool
its picks are spread over (the pre-filter of diverse mini-batch active learning: clustering all of a corpus's 17,000
candidates took about 3 minutes for 50 picks and 10 for 200, and picked paragraphs the model was surer of)."""
DIMENSIONS = 100
"""The dimensions of the latent semantic space (a truncated SVD of the TF-IDF) in which :func:`pick_diverse` clusters
a pool of more paragraphs and n-grams than that."""


def diversity_text(norm: str) -> str:
    """The form of a normalised paragraph that :func:`pick_diverse` compares: numbers made ``#`` and power
    utilities' names ``@``, so that one template's variants (another date, count or company) read as one.

    Example:
        >>> diversity_text("今年以来,国网甲市供电公司累计为12家小微企业办理低压接电,平均接电时长二十天。")
        '今年以来,@累计为#家小微企业办理低压接电,平均接电时长#天。'
    """
    text = _OTHER_UTILITY.sub("@", _GRID_UTILITY.sub("@", _NUMBER.sub("#", norm)))
    return re.sub("#{2,}", "#", text)


def _trigrams(text: str) -> frozenset[str]:
    """The character 3-grams of ``text`` (a text shorter than three characters: itself)."""
    return frozenset(text[i:i + 3] for i in range(len(text) - 2)) if len(text) >= 3 else frozenset([text])


def _near(grams: frozenset[str], picks: Sequence[frozenset[str]]) -> bool:
    """Whether ``grams`` is at least :data:`NEAR_REPEAT` Jaccard-similar to one of ``picks``."""
    for other in picks:
        if min(len(grams), len(other)) >= NEAR_REPEAT * max(len(grams), len(other)) \
                and len(grams & other) >= NEAR_REPEAT * len(grams | other):
            return True
    return False


def pick_diverse(norm_texts: Sequence[str], margins: Sequence[float], n: int, seed: int = 0
                 ) -> tuple[list[int], list[int]]:
    """Pick up to ``n`` uncertain but mutually different paragraphs.

    Paragraphs are compared in their :func:`diversity_text` form (numbers and utilities' names masked), so
    that one template's variants are one paragraph: of those alike in that form only the most uncertain is a
    candidate. The :data:`POOL` ``* n`` most uncertain candidates are clustered with K-means (``k = n``, fixed
    ``random_state``) on a character 2–3-gram TF-IDF of that form (reduced to :data:`DIMENSIONS` by a truncated
    SVD, rows of unit length, when the pool has more paragraphs and n-grams than that), and from each cluster,
    the most uncertain cluster first, the paragraph with the smallest margin is taken that is no near-repeat of
    an earlier pick (character-3-gram Jaccard similarity of the two forms below :data:`NEAR_REPEAT`); so
    near-duplicates (one cluster) yield one pick. If fewer than ``n`` clusters give a pick, the remaining slots
    go to the most uncertain candidates, in the pool or not, that are no near-repeat of a pick; fewer than ``n``
    are picked when no such candidate is left.

    Args:
        norm_texts: normalised paragraph texts.
        margins: uncertainty margins (:func:`tagger.model.uncertainty.margin`), smaller first.
        n: how many to pick.
        seed: random state of the K-means and the SVD.

    Returns:
        ``(indices, clusters)``: the picked indices, most uncertain first, and each one's cluster (``n`` or more:
        a candidate outside the pool, a cluster of its own).

    Example:
        >>> pick_diverse(["甲。", "乙。"], [0.3, 0.1], 5)
        ([1, 0], [1, 0])
        >>> pick_diverse(["为3户老人检查线路。", "为12户老人检查线路。", "企业报装接电。"], [0.3, 0.1, 0.2], 5)
        ([1, 2], [1, 2])
    """
    margins = np.asarray(margins, dtype=float)
    if n <= 0 or len(norm_texts) == 0:
        return [], []
    order = sorted(range(len(norm_texts)), key=lambda i: (margins[i], i))
    forms = [diversity_text(t) for t in norm_texts]
    first: dict[str, int] = {}
    for i in order:  # one candidate per form: its most uncertain paragraph
        first.setdefault(forms[i], i)
    candidates = list(first.values())  # most uncertain first
    pool = candidates[:POOL * n]
    if len(pool) <= n:
        assign = {i: i for i in candidates}  # every candidate is its own cluster
    else:
        from sklearn.cluster import KMeans
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.feature_extraction.text import TfidfVectorizer

        X = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True).fit_transform(
            [forms[i] or "\u2205" for i in pool])
        if min(X.shape) > DIMENSIONS:  # K-means' centres in n-gram space: k x 100,000 and more, a GB for k = 1,000
            from sklearn.decomposition import TruncatedSVD
            from sklearn.preprocessing import normalize

            X = normalize(TruncatedSVD(DIMENSIONS, random_state=seed).fit_transform(X))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # fewer distinct points than clusters
            labels = KMeans(n_clusters=n, random_state=seed, n_init=1).fit_predict(X)  # restarts: no better picks
        assign = {i: int(c) for i, c in zip(pool, labels)}
        assign.update((i, n + k) for k, i in enumerate(candidates[len(pool):]))  # each a cluster of its own
    members: dict[int, list[int]] = {}
    for i in pool:  # clusters by their most uncertain member, each one's members most uncertain first
        members.setdefault(assign[i], []).append(i)
    picked: list[int] = []
    grams: list[frozenset[str]] = []

    def take(i: int) -> bool:
        g = _trigrams(forms[i])
        if _near(g, grams):
            return False
        picked.append(i)
        grams.append(g)
        return True

    for cluster in members.values():
        next((i for i in cluster if take(i)), None)  # the next of the cluster when its first repeats a pick
    if len(picked) < n:
        taken = set(picked)
        for i in candidates:
            if len(picked) >= n:
                break
            if i not in taken:
                take(i)
    picked.sort(key=lambda i: (margins[i], i))
    return picked, [assign[i] for i in picked]


_SCORE_CHUNK = 2000
"""About how many paragraphs :func:`suggest` scores at a time (whole reports: :func:`_report_chunks`)."""


def _report_chunks(docs: Sequence[str], size: int = _SCORE_CHUNK) -> list[tuple[int, int]]:
    """Consecutive ``(start, end)`` spans of about ``size`` paragraphs (more when a report is longer) that cut no
    report in two, whatever the order of its paragraphs: each report's paragraphs are scored together (report
    context).

    Example:
        >>> _report_chunks(["a", "a", "b", "a", "c", "d", "d"], size=2)
        [(0, 4), (4, 7)]
    """
    last = {doc: i for i, doc in enumerate(docs)}
    spans: list[tuple[int, int]] = []
    start = end = 0
    for i, doc in enumerate(docs):
        end = max(end, last[doc] + 1)
        if i + 1 == end and end - start >= size:
            spans.append((start, end))
            start = end
    if start < len(docs):
        spans.append((start, len(docs)))
    return spans


def suggest(model: Any, paragraphs: Sequence[Paragraph], labelled: Collection[str] = (), n: int = 30,
            seed: int = 0, progress: bool | None = False) -> SuggestResult:
    """Rank unlabelled paragraphs for labelling by uncertainty, with diversity.

    Headings are skipped (the codebook gives them no label), as are paragraphs whose text hash is in
    ``labelled`` (:func:`~tagger.data.examples.text_sha` of the text as written, or of its
    :func:`~tagger.data.examples.text_keys` key: the text as the model reads it) and repeats of a text seen earlier in
    ``paragraphs`` (as the model reads it: a copy in the other script or with full-width letters too). The rest are
    scored as
    ``tagger tag`` scores them (``model.scores_from_norms`` over every paragraph, with its report:
    report context) and picked with :func:`pick_diverse` on the margin of
    :func:`tagger.model.uncertainty.margin` against ``model.thresholds_``; paragraphs that repeat a pick but
    for numbers, utilities' names or a few characters are not picked, so fewer than ``n`` may be suggested.

    Args:
        model: a fitted :class:`~tagger.model.tagger.Tagger` (anything with ``scores_from_norms`` and
            ``thresholds_``).
        paragraphs: paragraphs of the new reports (see :func:`collect_reports`).
        labelled: text hashes of paragraphs that already have labels, of their text as written or as the model reads
            it (:func:`suggest_from_reports` collects the latter: a copy in the other script is labelled too).
        n: how many paragraphs to suggest.
        seed: random state of the clustering.
        progress: a bar of the paragraphs scored, as :func:`~tagger.common.progress.counted_progress`'s
            ``enabled`` (``None``: on a terminal; elsewhere a logged line now and then for a long run).
    """
    labelled = set(labelled)
    seen: set[str] = set()
    result = SuggestResult([], n_paragraphs=len(paragraphs), n_asked=max(n, 0))
    candidates: list[tuple[Paragraph, str]] = []
    where: list[int] = []
    body = [(i, p) for i, p in enumerate(paragraphs) if p.kind not in NO_LABEL_KINDS]
    result.n_headings = len(paragraphs) - len(body)  # the codebook gives them no label: no budget spent on them
    for (i, p), key in zip(body, text_keys([p for _, p in body])):
        sha = text_sha(p.text)
        if sha in labelled or text_sha(key) in labelled:
            result.n_labelled += 1
        elif key in seen:
            result.n_duplicates += 1
        else:
            seen.add(key)
            candidates.append((p, sha))
            where.append(i)
    result.n_candidates = len(candidates)
    if not candidates or n <= 0:
        return result
    if len(candidates) > n:  # a sign of life: 10,000 candidates were minutes without a line (the clustering)
        log.info("scoring %s, then picking %s of the %s not labelled yet, one per cluster of similar paragraphs",
                 counted(len(paragraphs), "paragraph"), grouped(n), grouped(len(candidates)))
    # scored as `tagger tag` scores them: every paragraph with its report (report context), a chunk of whole reports
    # at a time (a bar, a point where Ctrl-C stops it)
    every = np.zeros((len(paragraphs), len(LABELS)))
    for a, b in counted_progress(_report_chunks([p.doc for p in paragraphs], _SCORE_CHUNK), "scoring", "paragraph",
                                 lambda span: span[1] - span[0], enabled=progress, total=len(paragraphs)):
        part = paragraphs[a:b]
        every[a:b] = model.scores_from_norms([p.norm for p in part], [p.kind for p in part], [p.doc for p in part])
    scores = every[where]
    thresholds = np.asarray(model.thresholds_, dtype=float)
    margins = margin(scores, thresholds)
    picked, clusters = pick_diverse([p.norm for p, _ in candidates], margins, n, seed)
    for i, cluster in zip(picked, clusters):
        p, sha = candidates[i]
        result.suggestions.append(Suggestion(
            p.id, p.doc, p.text, p.kind, sha,
            {lab: round(float(s), 4) for lab, s in zip(LABELS, scores[i])},
            tuple(lab for lab, s, t in zip(LABELS, scores[i], thresholds) if s >= t),
            round(float(margins[i]), 4), cluster))
    return result


def _report_file(relative: Path) -> bool:
    """Whether a folder's entry at ``relative`` is one :func:`collect_reports` reads: a report file's extension in
    any case, not hidden (:func:`~tagger.common.files.glob_matches`)."""
    return relative.suffix.lower() in REPORT_SUFFIXES and glob_matches(relative, "*")


def collect_reports(paths: Sequence[str | Path], encoding: str | None = None,
                    files: dict[str, Path] | None = None) -> list[Paragraph]:
    """Read report files (``.txt``, Word ``.docx`` or saved web page ``.html`` files, or directories searched
    recursively for them, in any case: ``B.TXT`` too; hidden files and folders, a saved page's ``_files/`` folder
    and the files tagger wrote (:func:`~tagger.data.tagged.looks_tagged`: stats pages, a tag output ``.txt``)
    left out, as ``tagger tag`` leaves them: :func:`~tagger.common.files.glob_matches`). A report that reads as
    mojibake is not warned of here when it gives paragraphs: :func:`suggest_paragraphs` refuses it
    (:func:`refuse_misdecoded`), the one check. ``files``: filled with the file each report (``doc``) was read from.

    Raises:
        InputError: for a missing file or folder, or a link to nothing (told and said as ``tagger tag``
            tells and says it: :func:`~tagger.common.files.names_nothing`,
            :func:`~tagger.common.files.no_such`), an unreadable file, a file that is not a ``.txt``,
            ``.docx`` or ``.html`` report (a table would be read as one report of CSV/JSON text: ``tagger
            suggest`` reads tables apart), a directory without reports, or two reports with the same file
            name (their paragraph ids would clash), or a file name that cannot be a report id (white space at
            its ends, a leading ``'``, control characters).

    Example:
        >>> collect_reports(["missing.d/"])
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: missing.d: no such file or folder; check its name and path
    """
    seen: dict[str, Path] = files if files is not None else {}
    paragraphs: list[Paragraph] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():  # the one test of what it is: a file is read as it is
            if str(raw) != "-" and names_nothing(path):  # as tagger tag tells it, before its name: a mistyped
                raise InputError(f"{path}: {no_such(raw)}")  # folder (missing.d/), a link to nothing: no file
            if path.suffix.lower() not in REPORT_SUFFIXES:
                what = ("standard input" if str(raw) == "-" else f"a {path.suffix} file" if path.suffix
                        else "a file without an extension")
                raise InputError(f"{path}: tagger suggest reads reports as {REPORT_KINDS} files (one report per file, "
                                 f"or a directory of them) or tables of reports (.csv, .jsonl, .xlsx, .parquet), not "
                                 f"{what}; save the reports as one of them")
            paragraphs += _read_reports([path], seen, encoding, None)
            continue
        # any case (B.TXT, as Windows names come), files only (a folder may be named x.txt), not hidden ones; what
        # no file can be read from (a link to nothing, a FIFO, a linked folder; a file gone by the time it is read)
        # is named in one warning once the folder's files are read, as tagger tag names it
        left_out = LeftOut(path, "suggest from its files")
        try:
            files = sorted(f for f in folder_files(path, _report_file, left_out=left_out)
                           if _report_file(f.relative_to(path)))
            # as tagger tag leaves them out: a stats page beside saved pages is no report
            files = without_earlier_outputs(path, files, "read it")
            if not files:
                raise InputError(f"{path}: directory contains no {REPORT_KINDS} reports")
            paragraphs += _read_reports(files, seen, encoding, left_out)
        finally:
            left_out.warn()
    return paragraphs


def _read_reports(files: list[Path], seen: dict[str, Path], encoding: str | None,
                  left_out: LeftOut | None) -> list[Paragraph]:
    """The paragraphs of report ``files`` (:func:`collect_reports`), each file once; ``seen``: the file each report
    id (file stem) was taken by, added to. A file the walk of a folder found (``left_out``: what it left out) that
    is no file any more when it is read (gone since) is left out, as the walk leaves such an entry out."""
    paragraphs: list[Paragraph] = []
    for f in files:
        problem = report_id_problem(f.stem, column=False)
        if problem:  # the file name is the report id: it travels into the CSV and labels/imported.jsonl
            raise InputError(f"{f}: the file name, the report's id, {problem}; rename the file")
        if f.stem in seen and seen[f.stem].resolve() != f.resolve():
            raise InputError(f"{f}: another report has the same name ({seen[f.stem]}); paragraph ids "
                             "<report>:<index> would clash: rename one of them")
        if f.stem in seen:
            continue
        try:
            paragraphs += read_report(f, encoding, warn_misdecoded=False)  # refuse_misdecoded refuses it
        except InputError:
            if left_out is None or not left_out.no_file(f):
                raise
            continue  # gone since the walk: named with what the walk left out
        seen[f.stem] = f
    return paragraphs


_LABEL_FILES = {"imported": IMPORTED_FILE.as_posix(), "seed": "labels/seeds.csv"}  # else authored: AUTHORED_GLOB


def _labelled(root: str | Path) -> tuple[dict[str, str], dict[str, tuple[str, str]], dict[str, str]]:
    """Text hashes of every labelled paragraph of a project, ``{text_sha: "source id"}`` (``labels/seeds.csv``,
    ``labels/imported.jsonl``, ``labels/authored*.jsonl`` and the real dev set's manifest: its paragraphs are for
    scoring only) — the hash of each text as the model reads it (:func:`~tagger.data.examples.text_keys`), and of a
    dev paragraph whose text is not on this machine, as written (:func:`~tagger.data.devset.dev_texts`) —, and every
    labelled paragraph's id (seeds, imported, authored) with its text hash and file: an id the next import would find
    taken (labels import refuses an id any of them holds) —, and every report (``doc``) of the seed and authored label
    files with its first row (:func:`~tagger.annotation.labelfiles.reports_elsewhere`: labels import adds no rows to
    them).

    Raises:
        LabelFileError: if ``root`` is not a project or a label file is invalid."""
    out: dict[str, str] = {}
    ids: dict[str, tuple[str, str]] = {}
    dev = dev_texts(check_project(root))  # scoring only: never suggested for labelling
    rows = training_rows(root, use_authored=True, dev=dev)
    examples = [ex for ex, _ in rows]
    for ex, key in zip(examples, text_keys(examples)):
        out.setdefault(text_sha(key), f"{ex.source} {ex.id}")
        ids.setdefault(ex.id, (text_sha(ex.text), _LABEL_FILES.get(ex.source, f"labels/{AUTHORED_GLOB}")))
    for sha, where in [*dev.shas.items(), *((text_sha(key), where) for key, where in dev.keys.items())]:
        out.setdefault(sha, f"dev set {where}")
    return out, ids, reports_elsewhere(rows)


def suggest_from_reports(model: Any, paths: Sequence[str | Path], root: str | Path = ".", n: int = 30,
                         seed: int = 0, encoding: str | None = None, progress: bool | None = False) -> SuggestResult:
    """:func:`suggest` over report files, skipping paragraphs already labelled in project ``root``.

    Raises:
        InputError: as :func:`collect_reports`; or a report's paragraph ids are taken by labelled paragraphs
            with other texts (a new report with an old report's file name): ``tagger labels import`` would refuse
            every row of it after the labelling, so it is refused before.
    """
    files: dict[str, Path] = {}
    paragraphs = collect_reports(paths, encoding, files)
    return suggest_paragraphs(model, paragraphs, root, n=n, seed=seed, progress=progress,
                              sources={doc: str(f) for doc, f in files.items()})


def suggest_paragraphs(model: Any, paragraphs: Sequence[Paragraph], root: str | Path = ".", n: int = 30,
                       seed: int = 0, progress: bool | None = False,
                       sources: Mapping[str, str] | None = None) -> SuggestResult:
    """:func:`suggest` over the paragraphs of reports already split (:func:`collect_reports`, or the rows of a table
    of reports), skipping paragraphs already labelled in project ``root``. ``sources``: where each report (``doc``)
    was read (its file, or a table's row), for messages; else its id names it.

    Raises:
        InputError: a report's paragraph ids are taken by labelled paragraphs with other texts (a new report with
            an old report's id), or a paragraph suggested is of a report whose id a seed or authored report has:
            ``tagger labels import`` would refuse its rows after the labelling; or a report reads as mis-decoded
            text (:func:`refuse_misdecoded`).
    """
    refuse_misdecoded(paragraphs)
    hashes, ids, elsewhere = _labelled(root)
    taken: dict[str, list[str]] = {}
    for p in paragraphs:
        if p.kind == "body" and p.id in ids and ids[p.id][0] != text_sha(p.text):
            taken.setdefault(p.doc, []).append(p.id)
    if taken:
        doc, clashes = next(iter(taken.items()))
        more = f" (and {len(taken) - 1} other report(s))" if len(taken) > 1 else ""
        raise InputError(f"{doc}: its paragraph ids ({', '.join(clashes[:3])}{', …' if len(clashes) > 3 else ''}) "
                         f"are taken in {ids[clashes[0]][1]} by paragraphs with other texts{more}; give the report "
                         "another id before labelling (its file name, or its --id-column value), or tagger labels import will "
                         "refuse its rows")
    result = suggest(model, paragraphs, hashes, n=n, seed=seed, progress=progress)
    taken_doc = next((s.report for s in result.suggestions if s.report in elsewhere), None)
    if taken_doc is not None:  # paragraphs labelled already are not suggested: labels import skips them too
        source = (sources or {}).get(taken_doc, taken_doc)
        raise InputError(f"{source}: {report_taken(taken_doc, elsewhere[taken_doc], Path(root) / IMPORTED_FILE)}; "
                         f"{OWN_ID}")
    return result


def refuse_misdecoded(paragraphs: Sequence[Paragraph]) -> None:
    """Refuse reports whose text reads as Chinese decoded with a wrong encoding
    (:func:`~tagger.text.report.misdecoded`: the check ``tagger tag`` makes too, and the test behind the warning
    "its labels mean nothing — re-export it" when a report is read): suggested for labelling, their mojibake would
    be labelled, imported and trained on. Nothing is suggested from such a run.

    Raises:
        InputError: naming the reports (their ids), saying which encoding to read them with, or to re-export them.

    Example:
        >>> from tagger.text.report import split_report
        >>> refuse_misdecoded(split_report("党员为孤寡老人检查线路。", "r1"))  # Chinese: nothing to refuse
    """
    texts: dict[str, list[str]] = {}
    for p in paragraphs:
        texts.setdefault(p.doc, []).append(p.text)
    refused = misdecoded({doc: "\n".join(lines) for doc, lines in texts.items()},
                         "{its} suggestions would be labelled as nonsense; nothing is written")
    if refused:
        raise InputError(refused)


def check_output_name(path: str | Path) -> Path:
    """``path`` if it names a ``.csv`` file (the only format suggestions are written in).

    Raises:
        UsageError: another extension (``x.jsonl`` would hold CSV text).

    Example:
        >>> check_output_name("to_label.jsonl")
        Traceback (most recent call last):
        ...
        tagger.errors.UsageError: to_label.jsonl: suggestions are written as CSV (to fill in a spreadsheet); name the output FILE.csv
    """
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise UsageError(f"{path}: suggestions are written as CSV (to fill in a spreadsheet); name the output "
                         "FILE.csv")
    return path


class SuggestionsExist(InputError):
    """The suggestion CSV to write exists already and may hold labels someone filled in: the message says what to
    do in a Python caller's words (another path, ``force=True``); :meth:`with_options` in a command's, whose options
    name the path and the overwrite (the CLI adds them).

    Example:
        >>> print(SuggestionsExist(Path("to_label.csv")))
        to_label.csv: already exists and may hold labels you filled in; choose another path, or pass force=True to overwrite it
        >>> SuggestionsExist(Path("to_label.csv")).with_options("--output", "--force").endswith(
        ...     "choose another --output, or pass --force to overwrite it")
        True
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(self.with_options("path", "force=True"))

    def __reduce__(self):  # picklable with its path
        return type(self), (self.path,)

    def with_options(self, output: str, force: str) -> str:
        """The message for a command whose option ``output`` names the file and ``force`` lets it be replaced."""
        return (f"{self.path}: already exists and may hold labels you filled in; choose another {output}, or pass "
                f"{force} to overwrite it")


def write_suggestions(suggestions: Sequence[Suggestion], path: str | Path, force: bool = False) -> Path:
    """Write suggestions as a spreadsheet-friendly CSV (UTF-8 with BOM, CRLF), atomically.

    Columns: :data:`~tagger.annotation.labelfiles.SUGGEST_COLUMNS`. Cells that a spreadsheet would
    read as a formula or a hash it would read as a number get a leading ``'``
    (:func:`~tagger.common.cells.guard_cell`; removed again on import).

    Raises:
        UsageError: ``path`` is not a ``.csv`` name. SuggestionsExist: ``path`` exists and ``force`` is false
            (it may hold labels someone filled in).
    """
    path = check_output_name(path)
    if would_overwrite(path) and not force:
        raise SuggestionsExist(path)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(SUGGEST_COLUMNS)
    for s in suggestions:
        writer.writerow([guard_cell(s.id), guard_cell(s.report), guard_cell(s.text), format_label_cell(s.predicted),
                         *(f"{s.scores[lab]:.3f}" for lab in LABELS), f"{s.margin:.4f}", "",
                         guard_hash(s.text_sha)])
    with atomic_write(path, "wb", exclusive=not force) as fh:
        fh.write(buf.getvalue().encode("utf-8-sig"))
    return path
