"""Project-level training: read labels, lexicon and user dictionary from a checkout, fit, summarise."""

from __future__ import annotations

import logging
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .config import Hyperparameters
from .data import Example, data_hash, label_matrix, load_training_data
from .errors import LabelFileError
from .lexicon import Lexicon, load_lexicon
from .model import Tagger
from .segment import load_user_dict

__all__ = ["Resources", "load_resources", "train", "git_commit"]

log = logging.getLogger(__name__)


@dataclass
class Resources:
    """Everything a project checkout provides for training."""

    examples: list[Example]
    lexicon: Lexicon
    user_words: tuple[str, ...]

    @property
    def n_real(self) -> int:
        return sum(ex.source != "authored" for ex in self.examples)

    @property
    def n_authored(self) -> int:
        return sum(ex.source == "authored" for ex in self.examples)


def load_resources(root: str | Path = ".", use_authored: bool = True) -> Resources:
    """Load labelled data, lexicon (``labels/lexicon.csv``) and user dictionary (``labels/userdict.txt``).

    Raises:
        LabelFileError: for any invalid or missing file, naming it.
    """
    root = Path(root)
    for needed in ("seeds", "labels/seeds.csv", "labels/lexicon.csv", "labels/userdict.txt"):
        if not (root / needed).exists():
            raise LabelFileError(f"{root / needed}: not found; run from the project checkout or pass --root")
    return Resources(load_training_data(root, use_authored), load_lexicon(root / "labels" / "lexicon.csv"),
                     load_user_dict(root / "labels" / "userdict.txt"))


def train(resources: Resources, hp: Hyperparameters | None = None) -> Tagger:
    """Fit the shipped model on all labelled paragraphs."""
    hp = hp or Hyperparameters()
    ex = resources.examples
    start = time.perf_counter()
    model = Tagger(hp, resources.lexicon, resources.user_words).fit(
        [e.text for e in ex], label_matrix(ex), [e.doc for e in ex],
        real_mask=[e.source != "authored" for e in ex])
    model.learn_feature_names([e.text for e in ex])
    model.data_hash_ = data_hash(ex)
    log.info("trained on %d paragraphs (%d real, %d authored) in %.2f s", len(ex), resources.n_real,
             resources.n_authored, time.perf_counter() - start)
    return model


def git_commit(root: str | Path = ".") -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
