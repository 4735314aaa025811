"""Hyperparameters: one dataclass, saved with the model and printed in reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

__all__ = ["Hyperparameters"]


@dataclass(frozen=True)
class Hyperparameters:
    """Everything that defines a model apart from its data.

    Example:
        >>> Hyperparameters().replace(C=1.0).C
        1.0
    """

    # Features
    use_word: bool = True
    word_ngram_max: int = 2
    word_min_df: int = 1
    use_char: bool = True
    char_ngram_min: int = 2
    char_ngram_max: int = 4
    char_min_df: int = 2
    hash_features: int = 2**18  # hash buckets per TF-IDF block
    use_lexicon: bool = True
    lexicon_scale: float = 2.0
    use_userdict: bool = True
    simplify: bool = True  # traditional → simplified before features
    segmenter: str = "auto"  # rjieba if installed, else jieba
    # Classifier (one logistic regression per label)
    C: float = 4.0
    class_weight: str | None = "balanced"
    # Decision thresholds
    tune_thresholds: bool = True
    threshold_folds: int = 3
    threshold_on: str = "all"  # "all" training rows, or "real" (non-authored) rows only
    default_threshold: float = 0.5
    # Codebook rule: headings (short lines without final punctuation) carry no label.
    suppress_headings: bool = True
    seed: int = 0

    def replace(self, **changes) -> Hyperparameters:
        """A copy with some fields changed (unknown names raise ``TypeError``)."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Hyperparameters:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown hyperparameter(s): {', '.join(unknown)}")
        return cls(**data)
