"""Progress bars: tqdm on an interactive terminal, silent otherwise (CI, pipes, logs).

Example:
    >>> list(progress_bar([1, 2], "items", enabled=False))
    [1, 2]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

__all__ = ["progress_bar", "shows_progress"]


def shows_progress(enabled: bool | None = None) -> bool:
    """Whether :func:`progress_bar` shows a bar: ``enabled``, or when it is ``None``, whether stderr is a
    terminal and ``CI`` is unset (a caller that must work out a bar's total asks first).

    Example:
        >>> shows_progress(False), shows_progress(True)
        (False, True)
    """
    if enabled is None:
        return sys.stderr is not None and sys.stderr.isatty() and not os.environ.get("CI")
    return enabled


def progress_bar(iterable: Iterable, desc: str, total: int | None = None, enabled: bool | None = None,
                 unit: str = "it") -> Iterable:
    """Wrap ``iterable`` in a tqdm bar counting ``unit`` s when :func:`shows_progress` (80 x 24 on a terminal
    that reports no size)."""
    if not shows_progress(enabled):
        return iterable
    from tqdm import tqdm

    size = {}
    try:  # a terminal that reports 0 x 0 (script, docker run -t): tqdm would fit its line into nothing
        if os.get_terminal_size(sys.stderr.fileno()).columns == 0:
            size = {"ncols": 80, "nrows": 24}
    except (AttributeError, ValueError, OSError):  # no file descriptor (a stream replaced in-process)
        pass
    return tqdm(iterable, desc=desc, total=total, leave=False, unit=unit, **size)
