"""Argument types and defaults shared by the CLI commands.

Example:
    >>> positive_int("3"), fraction("0.5")
    (3, 0.5)
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["positive_int", "fraction", "model_path", "MODEL_HELP"]

MODEL_HELP = "model file (default: $TAGGER_MODEL, else models/tagger.npz of the checkout, else the per-user data folder)"


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def model_path(value: str | None) -> Path:
    """``--model``, else :func:`tagger.common.paths.default_model_path`."""
    from ..common.paths import default_model_path

    return Path(value) if value else default_model_path()
