"""Training from a project checkout: labelled data, lexicon and user dictionary → a fitted model.

Example:
    >>> res = load_resources(".")  # doctest: +SKIP
    >>> model = train(res)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .data.examples import Example, data_hash, is_real, label_matrix, load_training_data, report_ids
from .errors import InputError, LabelFileError, label_file_error
from .features.lexicon import Lexicon, load_lexicon
from .model.tagger import Tagger
from .text.segment import load_user_dict

__all__ = ["Resources", "load_resources", "make_tagger", "fit_examples", "train", "training_hash",
           "git_commit"]

log = logging.getLogger(__name__)


@dataclass
class Resources:
    """Everything a project checkout provides for training."""

    examples: list[Example]
    lexicon: Lexicon
    user_words: tuple[str, ...]

    @property
    def n_real(self) -> int:
        return sum(is_real(ex) for ex in self.examples)

    @property
    def n_authored(self) -> int:
        return sum(not is_real(ex) for ex in self.examples)

    def counts(self) -> dict[str, int]:
        """The real paragraphs apart, as a model's manifest records them (the model card says them): the seed
        reports' (``n_seed``, from ``seed_reports`` reports) and the ones imported (``labels/imported.jsonl``:
        reviewed, of the user's reports; ``n_imported`` from ``imported_reports``).

        Example:
            >>> from tagger.data.examples import Example
            >>> ex = [Example("s:0", "s", "a", ()), Example("s:1", "s", "b", ()),
            ...       Example("i:0", "i", "c", (), "imported")]
            >>> Resources(ex, None, ()).counts()
            {'n_seed': 2, 'seed_reports': 1, 'n_imported': 1, 'imported_reports': 1}
        """
        seed = [ex for ex in self.examples if ex.source == "seed"]
        imported = [ex for ex in self.examples if is_real(ex) and ex.source != "seed"]
        return {"n_seed": len(seed), "seed_reports": len({ex.doc for ex in seed}),
                "n_imported": len(imported), "imported_reports": len({ex.doc for ex in imported})}


def load_resources(root: str | Path = ".", use_authored: bool = True) -> Resources:
    """Labelled data, lexicon (``labels/lexicon.csv``) and user dictionary (``labels/userdict.txt``).

    Raises:
        LabelFileError: for any invalid or missing file, naming it.
    """
    root = Path(root)
    for needed in ("seeds", "labels/seeds.csv", "labels/lexicon.csv", "labels/userdict.txt"):
        if not (root / needed).exists():
            raise LabelFileError(f"{root / needed}: not found; run from the project checkout or pass --root")
    try:
        return Resources(load_training_data(root, use_authored),
                         load_lexicon(root / "labels" / "lexicon.csv"), load_user_dict(root / "labels" / "userdict.txt"))
    except InputError as exc:  # an undecodable lexicon or user dictionary (no command has --encoding for them)
        raise label_file_error(exc) from None


def make_tagger(resources: Resources, **params: Any) -> Tagger:
    """A :class:`Tagger` with the checkout's lexicon and user words (``params``: hyperparameters)."""
    return Tagger(lexicon=resources.lexicon, user_words=resources.user_words, **params)


def fit_examples(model: Tagger, examples: list[Example]) -> Tagger:
    """Fit ``model`` on labelled examples (grouped by report)."""
    return model.fit([e.text for e in examples], label_matrix(examples), groups=[e.doc for e in examples],
                     reports=report_ids(examples))


def training_hash(resources: Resources, seed: int = 0, encoder: str | None = None) -> str:
    """The ``data_hash`` of a model trained on ``resources`` with random state ``seed`` and sentence
    ``encoder``: the labelled paragraphs (:func:`~tagger.data.examples.data_hash`), the lexicon's entries,
    the user words, the seed and the encoder. Two models with one hash were trained from the same inputs
    (by the same code), so an evaluation report is shown on a model card only when their hashes agree."""
    extra = {"lexicon": [list(entry) for entry in resources.lexicon.entries],
             "user_words": list(resources.user_words), "seed": int(seed), "encoder": encoder}
    return data_hash(resources.examples, json.dumps(extra, ensure_ascii=False, sort_keys=True).encode())


def train(resources: Resources, **params: Any) -> Tagger:
    """Fit the shipped model on all labelled paragraphs of the checkout (``fit``'s warning names any label
    without a positive example: the model can never give it)."""
    start = time.perf_counter()
    model = fit_examples(make_tagger(resources, **params), resources.examples)
    model.data_hash_ = training_hash(resources, seed=model.random_state, encoder=model.encoder)
    log.info("trained on %d paragraphs (%d real, %d authored) in %.2f s", len(resources.examples),
             resources.n_real, resources.n_authored, time.perf_counter() - start)
    return model


def git_commit(root: str | Path = ".") -> str | None:
    """The short hash of the checkout's ``HEAD`` (recorded in the model's manifest), or ``None`` outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
