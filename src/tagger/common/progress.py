"""Progress: a tqdm bar on an interactive terminal; elsewhere (CI, pipes, ``nohup``, logs) a logged line now and
then for a job that runs long (:func:`logged_progress`), none for one that does not. With a bar or without, each
item is a point where the job may stop (:func:`tagger.common.signals.checkpoint`, after the item is handled).

Example:
    >>> list(progress_bar([1, 2], "items", enabled=False))
    [1, 2]
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from .signals import checkpoint

T = TypeVar("T")

__all__ = ["progress_bar", "shows_progress", "counted_progress", "logged_progress", "duration", "LOG_EVERY"]

log = logging.getLogger("tagger.progress")

LOG_EVERY = 30.0
"""Seconds between :func:`logged_progress`'s lines at the least (the first comes once a job has run this long)."""


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
    that reports no size); with no terminal to show it on (``enabled`` ``None``), a logged line now and then
    instead (:func:`logged_progress`: a 20-hour cross-validation run under ``nohup`` said nothing at all);
    ``enabled=False`` (``--quiet``): nothing. Each item handled is a :func:`~tagger.common.signals.checkpoint`."""
    if not shows_progress(enabled):
        return _checked(logged_progress(iterable, desc, total, unit) if enabled is None else iterable)
    from tqdm import tqdm

    return _checked(tqdm(iterable, desc=desc, total=total, leave=False, unit=unit, **_size()))


def _checked(iterable: Iterable[T]) -> Iterator[T]:
    """Yield the items of ``iterable``, each followed (once the caller asks for the next) by a
    :func:`~tagger.common.signals.checkpoint`; a generator given is closed when this one is (early too)."""
    try:
        for item in iterable:
            yield item
            checkpoint()
    finally:
        if inspect.isgenerator(iterable):
            iterable.close()


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
                     enabled: bool | None = None, total: int | None = None) -> Iterator[T]:
    """Yield the items of ``iterable`` while a bar counts ``count(item)`` of ``unit`` (singular) for each (a chunk of reports
    counts its reports, not 1), of ``total`` when it is known, when :func:`shows_progress`; each item handled is a
    :func:`~tagger.common.signals.checkpoint`.

    Example:
        >>> list(counted_progress([[1, 2], [3]], "tagging", "report", len, enabled=False))
        [[1, 2], [3]]
    """
    if not shows_progress(enabled):
        yield from _checked(logged_progress(iterable, desc, total, unit=f"{unit}s", count=count) if enabled is None
                            else iterable)
        return
    from tqdm import tqdm

    # "6 reports [00:01, 5.2 reports/s]"; with a total, "50%|█████     | 3/6 [00:01<00:01, 5.2 reports/s]"
    with tqdm(desc=desc, unit=f" {unit}s", total=total, leave=False, **_size()) as bar:
        for item in iterable:
            yield item
            bar.update(count(item))
            checkpoint()


def logged_progress(iterable: Iterable[T], desc: str, total: int | None = None, unit: str = "it",
                    count: Callable[[T], int] | None = None, every: float = LOG_EVERY,
                    clock: Callable[[], float] | None = None) -> Iterator[T]:
    """Yield the items of ``iterable``, logging (``INFO``, logger ``tagger.progress``) how far it got where no bar
    can show it: a first line once the job has run ``every`` seconds, then one each time another tenth of ``total``
    is done (or ten times ``every`` has passed), never closer than ``every`` seconds apart: what is done, the time
    taken and, with a ``total``, an estimate of the time left. A job that ends within ``every`` seconds logs nothing.
    ``count``: how many ``unit`` an item counts (default 1); ``clock``: seconds (default :func:`time.monotonic`).

    Example (a first item after 40 s logs ``cross-validation: 1/3 fits done in 40 s, about 1 min 20 s left``):
        >>> list(logged_progress(["a", "b", "c"], "cross-validation", total=3, unit="fits"))  # quick: no line
        ['a', 'b', 'c']
    """
    clock = clock or time.monotonic
    start = last = clock()
    done = last_done = 0
    logged = False
    try:
        for item in iterable:
            done += 1 if count is None else count(item)
            now = clock()
            step = total / 10 if total else None
            if now - last >= every and (not logged or (step is not None and done - last_done >= step)
                                        or now - last >= 10 * every):
                of = f"{done:,}/{total:,}" if total else f"{done:,}"
                left = (f", about {duration((now - start) / done * (total - done))} left"
                        if total and 0 < done < total else "")
                log.info("%s: %s %s done in %s%s", desc, of, unit, duration(now - start), left)
                last, last_done, logged = now, done, True
            yield item
    finally:
        if inspect.isgenerator(iterable):  # a pool's results stop their workers when closed early (a file given
            iterable.close()  # is its caller's to close)


def duration(seconds: float) -> str:
    """A time span as a person reads it: ``45 s``, ``3 min 20 s``, ``19 h 6 min``.

    Example:
        >>> duration(44.6), duration(200), duration(68765), duration(0.2)
        ('45 s', '3 min 20 s', '19 h 6 min', '0 s')
    """
    s = int(round(max(seconds, 0.0)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min" + (f" {s % 60} s" if s % 60 else "")
    return f"{s // 3600} h" + (f" {s % 3600 // 60} min" if s % 3600 // 60 else "")
