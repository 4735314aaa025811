"""Argument types and defaults shared by the CLI commands.

Example:
    >>> positive_int("3"), fraction("0.5")
    (3, 0.5)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

__all__ = ["they_apply", "positive_int", "port_number", "fraction", "number_between", "model_path", "common_options",
           "MODEL_HELP", "MODEL_HELP_NO_ROOT", "FIT_JOBS"]

FIT_JOBS = 2
"""Processes for the cross-validation fits of train, evaluate and labels audit (the machine this is measured on
has 2 cores; each fit is one process)."""

MODEL_HELP = ("model file (default: $TAGGER_MODEL, else models/tagger.npz of --root or of the checkout around the "
              "current folder, else the per-user data folder)")
MODEL_HELP_NO_ROOT = ("model file (default: $TAGGER_MODEL, else models/tagger.npz of the checkout around the current "
                      "folder, else the per-user data folder)")
"""``--model``'s help for a command without ``--root``."""


def positive_int(text: str) -> int:
    """An argument type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def random_seed(text: str) -> int:
    """A random state, 0 to 2**32 - 1 (what numpy and scikit-learn accept).

    Example:
        >>> random_seed("7")
        7
    """
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {2**32 - 1}, got {value}")
    return value


def port_number(text: str) -> int:
    """A TCP port, 0 (a free one) to 65535.

    Example:
        >>> port_number("0"), port_number("8766")
        (0, 8766)
    """
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 0 to 65535 (0 picks a free one), got {value}")
    return value


def number_between(low: float, high: float) -> Callable[[str], float]:
    """An argument type: a number from ``low`` to ``high`` (inclusive).

    Example:
        >>> number_between(1, 200)("18")
        18.0
    """
    def parse(text: str) -> float:
        value = float(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, got {value}")
        return value

    return parse


fraction = number_between(0, 1)
"""An argument type: a share from 0 to 1."""


def common_options() -> argparse.ArgumentParser:
    """A parent parser with ``-q``/``--quiet`` and ``--debug``, for every (sub)command: the options of
    ``tagger`` itself, accepted after the command too (``tagger labels export ... -q``); a value given
    before the command is kept (``default=SUPPRESS``).

    Example:
        >>> parser = argparse.ArgumentParser(parents=[common_options()])
        >>> parser.parse_args(["-q"]).quiet, vars(parser.parse_args([]))
        (True, {})
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="only warnings and errors on stderr")
    return common


def model_path(value: str | None, root: str | Path | None = None) -> Path:
    """``--model`` (or ``--out``), else :func:`tagger.common.paths.default_model_path` (of ``root``, the
    command's ``--root``, when given; its default ``.`` means the checkout around the current folder, as
    without ``--root``)."""
    from ..common.paths import model_file

    return model_file(value or None, None if root is None or str(root) == "." else root)


def they_apply(options: list[str]) -> str:
    """Options as a message's subject and verb, for options given where they do not apply.

    Example:
        >>> they_apply(["--id-column id"]), they_apply(["--model m.npz", "--from doccano"])
        ('--id-column id applies', '--model m.npz and --from doccano apply')
    """
    return f"{' and '.join(options)} {'apply' if len(options) > 1 else 'applies'}"
