"""The ``tagger`` command's entry point (also ``python -m tagger``, ``python train.py``, ``python evaluate.py``):
the one place a Ctrl-C is caught while the command line's modules are still being imported.

:func:`tagger.apps.cli.main_entry` puts its signal handlers in place and turns a Ctrl-C into ``interrupted``
and exit 130 (:func:`interrupted`, here for both), but only once its module is imported (~0.2 s of imports:
argparse, logging, the package's modules). A Ctrl-C before that printed a ``KeyboardInterrupt`` traceback from
inside an import and the process ended killed by SIGINT. This module imports nothing of the package at its top,
so the window is the interpreter's own start and ``import tagger``.

Example:
    >>> from tagger.apps.entry import main
    >>> main(["--version"])  # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

__all__ = ["main", "interrupted", "EXIT_INTERRUPTED"]

EXIT_INTERRUPTED = 130
"""The exit code of a run stopped by Ctrl-C (128 + SIGINT), as the command line gives it."""


def interrupted() -> int:
    """Say ``interrupted`` on standard error and give :data:`EXIT_INTERRUPTED`: how a Ctrl-C ends a command, while
    its modules are imported (:func:`main`) or while it runs (:func:`tagger.apps.cli.main`).

    Example:
        >>> interrupted()  # prints "interrupted" to stderr  # doctest: +SKIP
        130
    """
    print("interrupted", file=sys.stderr, flush=True)
    return EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line with ``argv`` (``sys.argv[1:]`` when ``None``) and end the process with its exit
    code (:func:`tagger.apps.cli.main_entry`); a Ctrl-C while its modules are imported says ``interrupted`` and
    exits 130, with no traceback, as one during the run does.

    Example:
        >>> main(["stats", "tagged.jsonl"])  # doctest: +SKIP
    """
    try:
        import importlib

        cli = importlib.import_module("tagger.apps.cli")
        cli.main_entry(argv)
    except KeyboardInterrupt:  # before main_entry's own handling took over
        try:
            interrupted()
        finally:
            os._exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
