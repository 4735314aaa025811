"""Progress bars: tqdm on an interactive terminal, silent otherwise (CI, pipes, logs).

Example:
    >>> list(progress_bar([1, 2], "items", enabled=False))
    [1, 2]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

__all__ = ["progress_bar", "shows_progress", "counted_progress"]


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

    return tqdm(iterable, desc=desc, total=total, leave=False, unit=unit, **_size())


def _size() -> dict:
    """tqdm's size for stderr: 80 x 24 on a terminal that reports 0 x 0 (script, docker run -t), where tqdm would
    fit its line into nothing; else tqdm's own."""
    try:
        if os.get_terminal_size(sys.stderr.fileno()).columns == 0:
            return {"ncols": 80, "nrows": 24}
    except (AttributeError, ValueError, OSError):  # no file descriptor (a stream replaced in-process)
        pass
    return {}


def counted_progress(iterable: Iterable[T], desc: str, unit: str, count: Callable[[T], int],
                     enabled: bool | None = None) -> Iterator[T]:
    """Yield the items of ``iterable`` while a bar counts ``count(item)`` of ``unit`` (singular) for each (a chunk of reports
    counts its reports, not 1), when :func:`shows_progress`.

    Example:
        >>> list(counted_progress([[1, 2], [3]], "tagging", "report", len, enabled=False))
        [[1, 2], [3]]
    """
    if not shows_progress(enabled):
        yield from iterable
        return
    from tqdm import tqdm

    with tqdm(desc=desc, unit=f" {unit}s", leave=False, **_size()) as bar:  # "6 reports [00:01, 5.2 reports/s]"
        for item in iterable:
            yield item
            bar.update(count(item))
