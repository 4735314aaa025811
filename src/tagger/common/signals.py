"""Signals: holding Ctrl-C (SIGINT), SIGTERM and SIGHUP (a closed terminal) over a step that must not be cut in two.

Used where an asynchronous ``KeyboardInterrupt`` or SIGTERM would do harm: while an output file is
committed (the caller must know whether it was) and while worker processes are forked (an exception
raised inside the interpreter's at-fork callbacks is printed and swallowed, so the signal would be lost).

:func:`checkpoint` marks a point where a long job may stop (each item of a progress loop, each turn of a web
server's loop): the checks registered with :func:`at_checkpoints` run there (the command line's acts on a signal
whose exception Python dropped: ``tagger.apps.outcome``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator

__all__ = ["signals_held", "checkpoint", "at_checkpoints"]

_HELD = (signal.SIGINT, signal.SIGTERM, *((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ()))


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) and SIGTERM until the block ends, then act on them as the handlers in force
    before would have: for a step that must not be cut in two, such as committing an output file and
    knowing that it was committed. Python runs signal handlers in the main thread whichever thread the
    signal reaches, so the handlers are swapped for recorders rather than the signals blocked; outside
    the main thread it does nothing.

    Example:
        >>> with signals_held():  # doctest: +SKIP
        ...     commit_output()  # a Ctrl-C here is raised after the commit, as the block ends
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, frame: arrived.append(signum)) for signum in _HELD}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)  # None: set outside Python
        if arrived:
            signum = arrived[0]
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)  # e.g. raises KeyboardInterrupt or the CLI's Terminated
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


_CHECKS: list[Callable[[], None]] = []


@contextlib.contextmanager
def at_checkpoints(check: Callable[[], None]) -> Iterator[None]:
    """Call ``check()`` at each :func:`checkpoint` while the block runs; what it raises stops the job there.

    Example:
        >>> def stop():
        ...     raise KeyboardInterrupt
        >>> with at_checkpoints(stop):  # doctest: +SKIP
        ...     for row in progress_bar(rows, "reading"):  # KeyboardInterrupt after the first row
        ...         handle(row)
    """
    _CHECKS.append(check)
    try:
        yield
    finally:
        _CHECKS.remove(check)


def checkpoint() -> None:
    """A point where a long job may stop (:func:`tagger.common.progress.progress_bar` calls it after each item, a
    web server after each turn of its loop): runs the checks of :func:`at_checkpoints`; none: it does nothing.

    Example:
        >>> checkpoint()
    """
    for check in _CHECKS:
        check()
