"""Cross-validation: grouped folds, metrics, baselines and ablations measured in the same run.

Only real (non-authored) paragraphs are ever scored; authored rows only ever join training folds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, hamming_loss, precision_recall_fscore_support

from .config import Hyperparameters
from .data import Example, label_matrix
from .lexicon import Lexicon
from .model import Tagger
from .progress import progress
from .reader import is_heading
from .schema import LABELS

__all__ = ["Fold", "System", "CVRun", "make_folds", "metrics", "run_cv", "run_cv_many", "learning_curve", "default_systems",
           "KeywordBaseline", "EmptyBaseline"]

log = logging.getLogger(__name__)


@dataclass
class Fold:
    """Indices into the example list: ``train`` rows fit the model, ``test`` rows are scored."""

    name: str
    train: np.ndarray
    test: np.ndarray


@dataclass
class System:
    """A way to train and predict, evaluated on the same folds as every other system.

    ``fit(examples) -> object with predict(texts) and predict_proba(texts)``; ``train_filter`` picks
    the training rows it may use (e.g. only real paragraphs).
    """

    name: str
    description: str
    fit: Callable[[list[Example]], object]
    train_filter: Callable[[Example], bool] = lambda ex: True  # noqa: E731 - never pickled
    kind: str = "model"  # "model", "baseline" or "ablation"


@dataclass
class CVRun:
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


class EmptyBaseline:
    """Predicts no label for every paragraph."""

    def predict_proba(self, texts):
        return np.zeros((len(texts), len(LABELS)))

    def predict(self, texts):
        return [[] for _ in texts]


class KeywordBaseline:
    """Keyword lexicon only: a label when its cue weights in the paragraph sum to ≥ ``threshold``.

    Applies the codebook's heading rule (headings carry no label) like the shipped model does.
    """

    def __init__(self, lexicon: Lexicon, threshold: float = 1.0) -> None:
        self.lexicon, self.threshold = lexicon, threshold

    def predict_proba(self, texts):
        from .normalize import normalize_many

        norms = normalize_many(texts)
        s = self.lexicon.scores(norms)
        s[[is_heading(n) for n in norms]] = 0.0
        return np.minimum(s / (2 * self.threshold), 1.0)

    def predict(self, texts):
        p = self.predict_proba(texts)
        return [[LABELS[j] for j in np.flatnonzero(row >= 0.5)] for row in p]


def _is_real(ex: Example) -> bool:
    return ex.source != "authored"


def make_folds(examples: Sequence[Example], scheme: str = "lodo", n_folds: int = 5, repeats: int = 1,
               seed: int = 0) -> list[Fold]:
    """Folds over the real paragraphs; authored rows are added to every training side.

    ``lodo``: one fold per real report (leave one document out). ``kfold``: repeated
    multilabel-stratified K-fold over real paragraphs (paragraph-level, optimistic).
    """
    real = np.array([i for i, ex in enumerate(examples) if _is_real(ex)])
    authored = np.array([i for i, ex in enumerate(examples) if not _is_real(ex)], dtype=int)
    if len(real) == 0:
        raise ValueError("no real (non-authored) paragraphs to score")
    folds = []
    if scheme == "lodo":
        docs = sorted({examples[i].doc for i in real})
        if len(docs) < 2:
            raise ValueError("leave-one-document-out needs at least 2 reports")
        for doc in docs:
            test = np.array([i for i in real if examples[i].doc == doc])
            train = np.concatenate([np.array([i for i in real if examples[i].doc != doc]), authored])
            folds.append(Fold(doc, np.sort(train), test))
    elif scheme == "kfold":
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

        Y = label_matrix([examples[i] for i in real])
        for r in range(repeats):
            skf = MultilabelStratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed + r)
            for k, (tr, te) in enumerate(skf.split(real, Y)):
                folds.append(Fold(f"r{r}f{k}", np.sort(np.concatenate([real[tr], authored])), real[te]))
    else:
        raise ValueError(f"unknown CV scheme {scheme!r}; use 'lodo' or 'kfold'")
    return folds


def metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Per-label precision/recall/F1/support, micro and macro F1, subset accuracy, Hamming loss."""
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0,
                                                 labels=range(len(LABELS)))
    per_label = {lab: {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]),
                       "support": int(s[j])} for j, lab in enumerate(LABELS)}
    return {
        "per_label": per_label,
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "subset_accuracy": float(accuracy_score(y_true, y_pred)),
        "hamming_loss": float(hamming_loss(y_true, y_pred)),
        "n": int(len(y_true)),
    }


def _to_matrix(pred: list[list[str]]) -> np.ndarray:
    out = np.zeros((len(pred), len(LABELS)), dtype=int)
    for i, labs in enumerate(pred):
        for lab in labs:
            out[i, LABELS.index(lab)] = 1
    return out


def _fit_fold(examples: Sequence[Example], system: System, fold: Fold, keep_model: bool = False):
    train = [examples[i] for i in fold.train if system.train_filter(examples[i])]
    model = system.fit(train)
    texts = [examples[i].text for i in fold.test]
    thresholds = getattr(model, "thresholds_", None)
    return (model.predict_proba(texts), _to_matrix(model.predict(texts)),
            None if thresholds is None else [float(t) for t in thresholds], model if keep_model else None)


def run_cv(examples: Sequence[Example], system: System, folds: Sequence[Fold], scheme: str,
           n_jobs: int = 1, keep_models: bool = False) -> CVRun:
    """Fit ``system`` on each fold's training rows and score its test rows (pooled over folds).

    ``n_jobs > 1`` fits folds in parallel processes (results are identical to ``n_jobs=1``);
    ``keep_models`` keeps each fold's fitted model (for error analysis).
    """
    return run_cv_many(examples, [(system, folds, scheme, keep_models)], n_jobs)[0]


def run_cv_many(examples: Sequence[Example], specs: Sequence[tuple[System, Sequence[Fold], str, bool]],
                n_jobs: int = 1) -> list[CVRun]:
    """Several cross-validations at once: every (system, fold) fit is one task of a single parallel
    pool, so both cores stay busy. ``specs``: ``(system, folds, scheme, keep_models)`` tuples."""
    tasks = [(k, system, fold, keep) for k, (system, folds, _, keep) in enumerate(specs) for fold in folds]
    start = time.perf_counter()
    if n_jobs == 1 or len(tasks) == 1:
        gen = (_fit_fold(examples, system, fold, keep) for _, system, fold, keep in tasks)
    else:
        from joblib import Parallel, delayed

        gen = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_fit_fold)(examples, system, fold, keep) for _, system, fold, keep in tasks)
    outputs = list(progress(gen, "cross-validation fits", total=len(tasks)))
    seconds = (time.perf_counter() - start) / max(len(specs), 1)
    Y = label_matrix(list(examples))
    runs = []
    for k, (system, folds, scheme, keep) in enumerate(specs):
        outs = [o for (kk, *_), o in zip(tasks, outputs) if kk == k]
        runs.append(_assemble(examples, Y, system, folds, scheme, outs, keep, seconds))
    return runs


def _assemble(examples, Y, system, folds, scheme, outputs, keep_models, seconds) -> CVRun:
    scores = [o[0] for o in outputs]
    preds = [o[1] for o in outputs]
    trues = [Y[f.test] for f in folds]
    ids = [examples[i].id for f in folds for i in f.test]
    docs = [examples[i].doc for f in folds for i in f.test]
    y_true, y_pred, y_score = np.vstack(trues), np.vstack(preds), np.vstack(scores)
    per_doc = []
    if scheme == "lodo":
        docs_arr = np.array(docs)
        for doc in dict.fromkeys(docs):
            m = docs_arr == doc
            per_doc.append({"doc": doc, "paragraphs": int(m.sum()), "gold_labels": int(y_true[m].sum()),
                            "predicted_labels": int(y_pred[m].sum()),
                            "micro_f1": float(f1_score(y_true[m], y_pred[m], average="micro", zero_division=0)),
                            "exact_match": float(accuracy_score(y_true[m], y_pred[m]))})
    return CVRun(system.name, system.description, system.kind, scheme, metrics(y_true, y_pred), per_doc,
                 y_true, y_pred, y_score, ids, docs,
                 fold_thresholds=[o[2] for o in outputs if o[2] is not None],
                 fold_of=[k for k, f in enumerate(folds) for _ in f.test],
                 models=[o[3] for o in outputs] if keep_models else [],
                 seconds=seconds)


def learning_curve(examples: Sequence[Example], hp: Hyperparameters, lexicon: Lexicon,
                   user_words: Sequence[str], repeats: int = 2, seed: int = 0, n_jobs: int = 1) -> list[dict]:
    """Leave-one-document-out with each fold trained on ``k`` of the other real reports.

    For every ``k`` (1 … reports − 1) and up to ``repeats`` random subsets per fold, predictions are
    pooled over the held-out reports; the setting "with authored" always adds the authored
    supplement to training (``k = 0`` is then the authored-only model), "seeds only" does not.
    """
    import itertools

    rng = np.random.default_rng(seed)
    real_docs = sorted({ex.doc for ex in examples if _is_real(ex)})
    doc_rows = {d: np.array([i for i, ex in enumerate(examples) if _is_real(ex) and ex.doc == d]) for d in real_docs}
    authored = np.array([i for i, ex in enumerate(examples) if not _is_real(ex)], dtype=int)
    settings = [("with authored", authored)] if len(authored) else []
    settings.append(("seeds only", np.array([], dtype=int)))
    system = System("lc", "learning curve", _tagger_fit(hp, lexicon, user_words))
    specs, keys = [], []
    for setting, extra in settings:
        for k in range(0 if len(extra) else 1, len(real_docs)):
            folds_per_repeat: list[list[Fold]] = [[] for _ in range(repeats)]
            for held in real_docs:
                others = [d for d in real_docs if d != held]
                combos = list(itertools.combinations(others, k))
                picks = rng.permutation(len(combos))[:repeats]
                for r in range(repeats):
                    chosen = combos[picks[r % len(picks)]]
                    train = np.concatenate([extra] + [doc_rows[d] for d in chosen]).astype(int)
                    folds_per_repeat[r].append(Fold(held, np.sort(train), doc_rows[held]))
            n_distinct = min(repeats, len(list(itertools.combinations(range(len(real_docs) - 1), k))))
            for r in range(n_distinct):
                specs.append((system, folds_per_repeat[r], "lodo", False))
                keys.append((setting, k, r))
    points = []
    for (setting, k, r), run in zip(keys, run_cv_many(examples, specs, n_jobs)):
        points.append({"setting": setting, "n_docs": k, "repeat": r,
                       "micro_f1": run.metrics["micro_f1"], "macro_f1": run.metrics["macro_f1"]})
    return points


def _tagger_fit(hp: Hyperparameters, lexicon: Lexicon, user_words: Sequence[str]):
    def fit(train: list[Example]) -> Tagger:
        return Tagger(hp, lexicon, user_words).fit(
            [ex.text for ex in train], label_matrix(train), [ex.doc for ex in train],
            real_mask=[_is_real(ex) for ex in train])
    return fit


def default_systems(hp: Hyperparameters, lexicon: Lexicon, user_words: Sequence[str],
                    ablations: bool = True, has_authored: bool = True) -> list[System]:
    """The shipped model, baselines, and (optionally) one ablation per ingredient."""
    systems = [System("tagger", "shipped model" + (" (seeds + authored supplement)" if has_authored else ""),
                      _tagger_fit(hp, lexicon, user_words))]
    if has_authored:
        systems.append(System("tagger, seeds only", "shipped model trained without the authored supplement",
                              _tagger_fit(hp, lexicon, user_words), _is_real, "ablation"))
    systems += [
        System("empty", "predicts no label", lambda train: EmptyBaseline(), kind="baseline"),
        System("keyword lexicon", "labels/lexicon.csv only: cue weights sum >= 1",
               lambda train: KeywordBaseline(lexicon), kind="baseline"),
        System("plain TF-IDF + LR @0.5", "word+char TF-IDF, LogisticRegression, threshold 0.5, seeds only",
               _tagger_fit(Hyperparameters(use_lexicon=False, use_userdict=False, tune_thresholds=False,
                                           class_weight=None, C=1.0, seed=hp.seed), lexicon, user_words),
               _is_real, "baseline"),
    ]
    if ablations:
        for name, change in [("no char n-grams", {"use_char": False}), ("no word n-grams", {"use_word": False}),
                             ("no lexicon features", {"use_lexicon": False}),
                             ("no TF-IDF (lexicon features only)", {"use_word": False, "use_char": False}),
                             ("no user dictionary", {"use_userdict": False}),
                             ("no tuned thresholds", {"tune_thresholds": False}),
                             ("no class weighting", {"class_weight": None}),
                             ("no trad→simp normalisation", {"simplify": False}),
                             ("no heading rule", {"suppress_headings": False})]:
            systems.append(System(name, f"shipped model with {change}",
                                  _tagger_fit(hp.replace(**change), lexicon, user_words), kind="ablation"))
    return systems
