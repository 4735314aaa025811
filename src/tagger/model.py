"""The :class:`Tagger`: TF-IDF (words + characters) and lexicon features, one logistic regression
per label, per-label thresholds tuned on out-of-fold scores inside ``fit``."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from .config import Hyperparameters
from .features import CharNgrams, HashedTfidf, WordNgrams, column_of, linear_scorer
from .lexicon import Lexicon, LexiconFeatures
from .normalize import normalize_many
from .reader import is_heading, split_report
from .schema import LABELS
from .segment import Segmenter
from .thresholds import best_f1_threshold

__all__ = ["Tagger", "TagResult"]

log = logging.getLogger(__name__)
_EMPTY = "\u2205"  # stands for an empty paragraph so vectorizers never see ""
_CHUNK = 4000  # paragraphs per step of predict_proba (and per task with several threads)
_POOLS: dict[int, ThreadPoolExecutor] = {}  # helper threads by count, of this process (cleared on fork)
_POOL_LOCK = threading.Lock()
_MAX_THREADS = 8


_GC_LOCK = threading.Lock()
_gc_pausers = 0  # threads inside _gc_paused()
_gc_was_on = False  # whether automatic collection was on when the first of them entered


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause automatic garbage collection while building many small containers that hold no
    reference cycles (each collection would walk every tracked object of the process). The switch
    is process-wide, so threads share one pause: the first to enter records whether collection was
    on, the last to leave turns it back on if it was (a caller who switched it off is respected)."""
    global _gc_pausers, _gc_was_on
    with _GC_LOCK:
        if _gc_pausers == 0:
            _gc_was_on = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_on:
                gc.enable()


def num_threads() -> int:
    """Threads that score a large batch, each taking whole chunks in turn: ``TAGGER_NUM_THREADS``
    if set (1 to 8), else 2 on a machine with several cores, else 1. The compiled kernels, OpenCC's
    C API and most of rjieba run without the interpreter lock; regexes, Python string handling and
    rjieba's token strings hold it (about a third of the work), so a second thread gains 10-50 % and
    further ones less."""
    value = os.environ.get("TAGGER_NUM_THREADS", "").strip()
    if value:
        try:
            return min(_MAX_THREADS, max(1, int(value)))
        except ValueError:
            log.warning("TAGGER_NUM_THREADS=%r is not a number; using 1", value)
            return 1
    return 2 if (os.cpu_count() or 1) > 1 else 1


def _helpers(workers: int) -> ThreadPoolExecutor:
    with _POOL_LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            pool = _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="tagger")
        return pool


def _after_fork_in_child() -> None:
    # A fork while another thread held the lock would leave it locked forever in the child, and
    # the parent's helper threads do not exist there: start from scratch.
    global _POOL_LOCK, _GC_LOCK, _gc_pausers
    _POOL_LOCK = threading.Lock()
    _POOLS.clear()
    # Nor do threads that were inside _gc_paused(): end their pause.
    _GC_LOCK = threading.Lock()
    if _gc_pausers and _gc_was_on:
        gc.enable()
    _gc_pausers = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@dataclass
class TagResult:
    """Tags of one paragraph of a report."""

    id: str
    text: str
    kind: str
    labels: list[str]
    scores: dict[str, float]
    evidence: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "kind": self.kind, "labels": self.labels,
                "scores": self.scores, "evidence": self.evidence}


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def _width(vec) -> int:
    return vec.n_features if isinstance(vec, HashedTfidf) else len(vec.get_feature_names_out())


def _check_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("expected a list of paragraphs; for one paragraph pass [text]")
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"paragraph {bad[0]} is {type(texts[bad[0]]).__name__}, expected str")
    return texts


class Tagger(BaseEstimator):
    """Multi-label paragraph tagger.

    Args:
        hyperparameters: a :class:`~tagger.config.Hyperparameters` (defaults if omitted).
        lexicon: label cue lexicon (see ``labels/lexicon.csv``); needed when ``use_lexicon``.
        user_words: domain words for the segmenter (see ``labels/userdict.txt``).

    Example:
        >>> model = Tagger(lexicon=lex).fit(texts, Y)  # doctest: +SKIP
        >>> model.predict(["为孤寡老人检查线路。"])  # doctest: +SKIP
        [['elderly_care']]
    """

    labels: tuple[str, ...] = LABELS

    def __init__(self, hyperparameters: Hyperparameters | None = None, lexicon: Lexicon | None = None,
                 user_words: Sequence[str] = ()) -> None:
        self.hyperparameters = hyperparameters
        self.lexicon = lexicon
        self.user_words = user_words

    # ----------------------------------------------------------------- features
    @property
    def hp(self) -> Hyperparameters:
        return self.hyperparameters or Hyperparameters()

    def _normalize(self, texts: list[str]) -> list[str]:
        hp = self.hp
        return [n or _EMPTY for n in normalize_many(texts, simplify=hp.simplify)]

    def _make_blocks(self):
        hp = self.hp
        if not 1 <= hp.hash_features <= 2**31:
            raise ValueError(f"hash_features must be between 1 and 2**31, got {hp.hash_features}")
        blocks = []
        if hp.use_word:
            seg = Segmenter(hp.segmenter, tuple(self.user_words) if hp.use_userdict else ())
            blocks.append(("w", HashedTfidf(WordNgrams(seg, hp.word_ngram_max), hp.hash_features,
                                            hp.word_min_df)))
        if hp.use_char:
            blocks.append(("c", HashedTfidf(CharNgrams(hp.char_ngram_min, hp.char_ngram_max),
                                            hp.hash_features, hp.char_min_df)))
        if hp.use_lexicon:
            if self.lexicon is None:
                raise ValueError("use_lexicon=True needs a lexicon: Tagger(lexicon=load_lexicon(...))")
            blocks.append(("lex", LexiconFeatures(self.lexicon, scale=hp.lexicon_scale)))
        if not blocks:
            raise ValueError("all feature blocks are switched off")
        return blocks

    def _transform(self, norms: list[str]):
        return sp.hstack([vec.transform(norms) for _, vec in self.blocks_], format="csr")

    # ----------------------------------------------------------------- training
    def _fit_features(self, norms: list[str]):
        self.blocks_ = self._make_blocks()
        return sp.hstack([vec.fit_transform(norms) for _, vec in self.blocks_], format="csr")

    def _fit_classifiers(self, X, Y: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        hp = self.hp
        # Only columns present in these rows can get a non-zero weight: fit on those (the hashed
        # space is mostly empty) and scatter the weights back.
        cols = np.unique(X.indices)
        Xa = X[:, cols]
        rows, intercepts = [], np.zeros(len(LABELS))
        for j in range(len(LABELS)):
            y = Y[:, j]
            if y.min() == y.max():  # a label absent (or everywhere) in this training set
                intercepts[j] = 10.0 if y[0] else -10.0
                rows.append(np.zeros(len(cols)))
                continue
            # dual liblinear: same solution as the primal, ~10x faster with many more features than rows
            clf = LogisticRegression(C=hp.C, class_weight=hp.class_weight, solver="liblinear", dual=True,
                                     random_state=hp.seed, max_iter=1000, tol=1e-3)
            clf.fit(Xa, y)
            rows.append(clf.coef_[0])
            intercepts[j] = clf.intercept_[0]
        coef = sp.csr_matrix(np.vstack(rows))
        coef = sp.csr_matrix((coef.data, cols[coef.indices], coef.indptr), shape=(len(LABELS), X.shape[1]))
        return coef, intercepts

    @staticmethod
    def _sigmoid(X, coef: sp.csr_matrix, intercept: np.ndarray) -> np.ndarray:
        return _logistic((X @ coef.T).toarray() + intercept)

    def _word_blocks(self) -> list[int]:
        """Indices of the blocks whose terms come from the segmenter."""
        return [i for i, (_, vec) in enumerate(self.blocks_)
                if isinstance(vec, HashedTfidf) and isinstance(vec.analyzer, WordNgrams)]

    def _segment(self, norms: list[str]) -> dict[int, tuple]:
        """Word spans (:meth:`Segmenter.spans`) of ``norms`` for every word block, by block index."""
        return {i: self.blocks_[i][1].analyzer.segmenter.spans(norms) for i in self._word_blocks()}

    def _margins(self, norms: list[str], segmented: dict[int, tuple], which: list[int]) -> list[np.ndarray]:
        """Linear margins of the blocks ``which``, each from its scorer (no stacked matrix; hashed
        blocks never build one, see :meth:`HashedTfidf.scorer`)."""
        scorers = self._scorers()
        return [scorers[i](norms, segmented.get(i)) for i in which]

    def _to_scores(self, parts: list[np.ndarray], n: int) -> np.ndarray:
        z = np.tile(self.intercept_, (n, 1))
        for part in parts:  # always summed in block order: identical floats however computed
            z += part
        return _logistic(z)

    def _chunked_scores(self, n: int, norms_of) -> np.ndarray:
        """Scores of ``n`` rows, the rules of :meth:`_apply_rules` applied, ``norms_of(a, b)``
        giving the normalised texts of rows ``a:b``. Chunks of at most ``_CHUNK`` rows keep the
        arrays of a big batch small (cache-friendly, bounded memory). With several threads
        (:func:`num_threads`) and at least two chunks, each thread normalises, segments and scores
        whole chunks in turn (this thread every ``threads``-th one; chunks of equal size, as many per
        thread, so none waits on a short last chunk); results are collected in order, at most
        ``threads`` chunks ahead. Scores are identical however many threads."""
        threads = num_threads()
        size = _CHUNK
        if threads > 1 and n > _CHUNK:  # as many chunks per thread, of equal size (balanced threads)
            count = -(-n // _CHUNK)
            size = -(-n // (-(-count // threads) * threads))
        chunks = [(a, min(a + size, n)) for a in range(0, n, size)]
        everything = list(range(len(self.blocks_)))
        scores: list[np.ndarray] = []

        def work(a: int, b: int) -> np.ndarray:
            norms = norms_of(a, b)
            z = self._to_scores(self._margins(norms, self._segment(norms), everything), len(norms))
            return self._apply_rules(norms, z)

        threads = min(threads, len(chunks))
        if threads < 2:
            scores = [work(a, b) for a, b in chunks]
            return np.vstack(scores) if scores else np.zeros((0, len(LABELS)))
        self._scorers()  # made once, before the threads share them
        helpers = _helpers(threads - 1)
        pending: deque = deque()  # results or futures, in chunk order

        def collect(limit: int) -> None:
            while len(pending) > limit:
                done = pending.popleft()
                scores.append(done.result() if isinstance(done, Future) else done)

        for i, (a, b) in enumerate(chunks):
            pending.append(work(a, b) if i % threads == threads - 1 else helpers.submit(work, a, b))
            collect(threads)
        collect(0)
        return np.vstack(scores)

    def _scorers(self) -> list:
        """Per feature block, a callable ``norms -> margins`` against that block's slice of
        ``coef_``; made once per loaded model (and again after ``fit``), not saved."""
        cached = self.__dict__.get("_block_scorers")
        if cached is None or cached[0] is not self.coef_:
            weights = self.coef_.T.toarray()
            starts = np.cumsum([0] + [_width(vec) for _, vec in self.blocks_])
            scorers = []
            for i, (_, vec) in enumerate(self.blocks_):
                w = weights[starts[i]:starts[i + 1]]
                scorers.append(linear_scorer(vec, w))
            cached = self.__dict__["_block_scorers"] = (self.coef_, scorers)
        return cached[1]

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_block_scorers", None)
        return state

    def fit(self, texts: Sequence[str], Y, groups: Sequence[str] | None = None,
            real_mask: Sequence[bool] | None = None) -> Tagger:
        """Train on raw paragraphs and a binary label matrix ``Y`` (n × 5).

        Thresholds are tuned on out-of-fold scores of an inner grouped K-fold over the training
        rows only (the feature vocabulary is fitted once on all training rows; no labels involved).

        Args:
            groups: report id per paragraph; threshold tuning splits by group (default: each
                paragraph its own group).
            real_mask: which rows are real (non-authored) paragraphs; used when
                ``threshold_on == "real"``.
        """
        texts = _check_texts(texts)
        Y = np.asarray(Y, dtype=int)
        if Y.shape != (len(texts), len(LABELS)):
            raise ValueError(f"Y must have shape ({len(texts)}, {len(LABELS)}), got {Y.shape}")
        hp = self.hp
        X = self._fit_features(self._normalize(texts))
        groups = np.asarray(groups if groups is not None else np.arange(len(texts))).astype(str)
        self.thresholds_ = np.full(len(LABELS), hp.default_threshold)
        if hp.tune_thresholds:
            oof = self._oof_scores(X, Y, groups)
            mask = np.ones(len(texts), bool)
            if hp.threshold_on == "real" and real_mask is not None:
                mask = np.asarray(real_mask, bool)
            for j in range(len(LABELS)):
                use = mask if Y[mask, j].sum() >= 2 else np.ones(len(texts), bool)
                self.thresholds_[j] = best_f1_threshold(Y[use, j], oof[use, j], hp.default_threshold)
        self.coef_, self.intercept_ = self._fit_classifiers(X, Y)
        self.n_train_ = len(texts)
        return self

    def learn_feature_names(self, texts: Sequence[str]) -> Tagger:
        """Record readable names of the hashed columns from ``texts`` (for :meth:`top_terms`)."""
        norms = self._normalize(_check_texts(texts))
        for name, vec in self.blocks_:
            if name in ("w", "c"):
                vec.learn_names(norms)
        return self

    def _oof_scores(self, X, Y: np.ndarray, groups: np.ndarray) -> np.ndarray:
        n_groups = len(np.unique(groups))
        k = min(self.hp.threshold_folds, n_groups)
        oof = np.full(Y.shape, self.hp.default_threshold, dtype=float)
        if k < 2:
            return oof
        # Shuffled group order (seeded) so singleton groups (authored rows) spread evenly.
        splitter = GroupKFold(n_splits=k, shuffle=True, random_state=self.hp.seed)
        for tr, te in splitter.split(X, Y, groups):
            coef, intercept = self._fit_classifiers(X[tr], Y[tr])
            oof[te] = self._sigmoid(X[te], coef, intercept)
        return oof

    # ----------------------------------------------------------------- inference
    def predict_proba(self, texts: Sequence[str] | str) -> np.ndarray:
        """Per-label scores in [0, 1]; shape ``(n, 5)``, or ``(5,)`` for a single string."""
        if isinstance(texts, str):
            return self.predict_proba([texts])[0]
        texts = _check_texts(texts)
        if not texts:
            return np.zeros((0, len(LABELS)))
        return self._chunked_scores(len(texts), lambda a, b: self._normalize(texts[a:b]))

    def _apply_rules(self, norms: list[str], scores: np.ndarray) -> np.ndarray:
        """Empty paragraphs and (with ``suppress_headings``) headings get no label."""
        no_label = [n == _EMPTY for n in norms]
        if self.hp.suppress_headings:
            no_label = [e or is_heading(n) for e, n in zip(no_label, norms)]
        scores[no_label] = 0.0
        return scores

    def predict(self, texts: Sequence[str] | str):
        """Label lists per paragraph (a single string gives a single list)."""
        if isinstance(texts, str):
            return self.predict([texts])[0]
        return self._decide(self.predict_proba(texts))

    def _decide(self, scores: np.ndarray) -> list[list[str]]:
        codes = (scores >= self.thresholds_) @ (1 << np.arange(len(LABELS)))
        combos = [[lab for j, lab in enumerate(LABELS) if code >> j & 1] for code in range(1 << len(LABELS))]
        with _gc_paused():  # one new list per row: otherwise ~80 % of the time is garbage collection
            return [list(combos[code]) for code in codes.tolist()]

    def feature_names(self) -> list[str]:
        """Names of all feature columns: ``word:…``, ``char:…`` and ``lex_sum:label`` / ``lex_hit:label``."""
        prefix = {"w": "word:", "c": "char:", "lex": ""}
        return [prefix[name] + str(f) for name, vec in self.blocks_ for f in vec.get_feature_names_out()]

    def top_terms(self, label: str, k: int = 10) -> dict[str, list[tuple[str, float]]]:
        """The ``k`` most positive and most negative features of ``label``'s linear model."""
        coef = self.coef_[LABELS.index(label)].toarray()[0]
        names = self.feature_names()
        order = np.argsort(coef)
        pos = [(names[i], round(float(coef[i]), 3)) for i in order[::-1][:k] if coef[i] > 0]
        neg = [(names[i], round(float(coef[i]), 3)) for i in order[:k] if coef[i] < 0]
        return {"positive": pos, "negative": neg}

    def evidence(self, text: str, label: str, k: int = 5, norm: str | None = None) -> list[str]:
        """The terms that pushed ``label`` up for ``text``: matched lexicon cues, then the word
        features with the largest positive contribution. Pass ``norm`` (the normalised text) when
        it is already at hand."""
        j = LABELS.index(label)
        norm = norm if norm is not None else self._normalize([text])[0]
        terms: list[str] = []
        if self.hp.use_lexicon and self.lexicon is not None:
            terms += self.lexicon.matches(norm).get(label, [])
        offset = 0
        for name, vec in self.blocks_:
            width = vec.n_features if name in ("w", "c") else len(vec.get_feature_names_out())
            if name == "w":
                x = vec.transform([norm]).toarray()[0]
                coef = self.coef_[j, offset:offset + width].toarray()[0]
                contrib = {}
                for term in vec.analyzer(norm):
                    col = column_of(term, vec.n_features)
                    value = x[col] * coef[col]
                    if value > 0:
                        contrib[term] = value
                for term, _ in sorted(contrib.items(), key=lambda kv: (-kv[1], kv[0])):
                    if term not in terms and len(term.replace(" ", "")) > 1:
                        terms.append(term)
            offset += width
        return terms[:k]

    def _paragraph_scores(self, paragraphs) -> np.ndarray:
        """Scores of split paragraphs, reusing the reader's normalised text (same normalisation)."""
        if not paragraphs:
            return np.zeros((0, len(LABELS)))
        if self.hp.simplify:
            norms = [p.norm or _EMPTY for p in paragraphs]
            return self._chunked_scores(len(norms), lambda a, b: norms[a:b])
        return self.predict_proba([p.text for p in paragraphs])

    def tag(self, report: str, doc: str = "report") -> list[TagResult]:
        """Split a whole report into paragraphs and tag each one.

        Headings and captions are returned, marked by ``kind``; headings carry no labels (codebook).
        """
        if not isinstance(report, str):
            raise TypeError(f"tag() expects the report text as str, got {type(report).__name__}")
        paragraphs = split_report(report, doc)
        if not paragraphs:
            return []
        scores = self._paragraph_scores(paragraphs)
        results = []
        for p, row, labels in zip(paragraphs, scores, self._decide(scores)):
            results.append(TagResult(
                p.id, p.text, p.kind, labels,
                {lab: round(float(s), 4) for lab, s in zip(LABELS, row)},
                {lab: self.evidence(p.text, lab, norm=p.norm) for lab in labels}))
        return results

    def tag_frame(self, df, text_column: str = "text", id_column: str | None = None,
                  evidence: bool = False):
        """Tag a pandas DataFrame of reports (one report per row); one output row per paragraph.

        The building block for batch engines (``tagger tag``, Dask ``map_partitions``, Spark
        ``mapInPandas``): a pure function of its input frame.

        Args:
            df: input frame.
            text_column: column with the report (or paragraph) text.
            id_column: column with the report id (default: the frame's index).
            evidence: add an ``evidence`` column (terms behind each label; slower).

        Returns:
            DataFrame with columns ``report``, ``paragraph`` (``<report>:<index>``), ``kind``,
            ``text``, ``labels`` (list of ids), ``score_<label>`` for every label (and ``evidence``).

        Raises:
            KeyError: if a named column is missing. TypeError: for a non-text cell (names the row).

        Example:
            >>> model.tag_frame(pd.DataFrame({"text": ["为孤寡老人检查线路。"]}))  # doctest: +SKIP
        """
        import pandas as pd

        for col in (text_column, id_column):
            if col is not None and col not in df.columns:
                raise KeyError(f"column {col!r} not found; columns are {list(df.columns)}")
        ids = df[id_column] if id_column is not None else pd.Series(df.index, index=df.index)
        paragraphs, reports = [], []
        for rid, text in zip(ids.astype(str), df[text_column]):
            if not isinstance(text, str):
                raise TypeError(f"report {rid!r}: {text_column!r} is {type(text).__name__}, expected text")
            for p in split_report(text, rid):
                paragraphs.append(p)
                reports.append(rid)
        scores = self._paragraph_scores(paragraphs) if paragraphs else np.zeros((0, len(LABELS)))
        decided = self._decide(scores)
        obj = {
            "report": reports,
            "paragraph": [p.id for p in paragraphs],
            "kind": [p.kind for p in paragraphs],
            "text": [p.text for p in paragraphs],
            "labels": decided,
        }
        out = pd.DataFrame({k: pd.Series(v, dtype="object") for k, v in obj.items()})
        for j, lab in enumerate(LABELS):
            out[f"score_{lab}"] = pd.Series(scores[:, j].round(4), dtype="float64")
        if evidence:
            out["evidence"] = [{lab: self.evidence(p.text, lab, norm=p.norm) for lab in labs}
                               for p, labs in zip(paragraphs, out["labels"])]
        return out

    # ----------------------------------------------------------------- persistence
    def save(self, path: str | Path = "models/tagger.joblib", **metadata) -> Path:
        """Write the model and its JSON manifest atomically (see :mod:`tagger.persistence`)."""
        from .persistence import save_model

        return save_model(self, path, **metadata)

    @classmethod
    def load(cls, path: str | Path = "models/tagger.joblib", trust: bool = False) -> Tagger:
        """Load a model written by :meth:`save`, verifying its manifest and checksum."""
        from .persistence import load_model

        return load_model(path, trust=trust)
