"""Worker processes: the one mechanism for parallel work (``tagger tag --jobs``, cross-validation).

:func:`imap_ordered` maps a function over items in worker processes and yields results in input
order, with at most ``ahead × jobs`` items in flight, so memory stays flat on a stream of any length.
Workers are set up once (``initializer``: e.g. load the model), die with their parent (Linux: the
kernel sends them SIGTERM when the parent dies, even by SIGKILL), and are terminated when the caller
stops early or is interrupted. Where workers are forked (Linux), the initializer runs once in this
process before the pool starts and the workers inherit what it set up (a loaded, warmed model: no
per-worker loading, memory shared copy-on-write); elsewhere it runs in each worker.

Example:
    >>> list(imap_ordered(abs, [-1, 2, -3], jobs=1))
    [1, 2, 3]
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from .signals import signals_held

__all__ = ["imap_ordered", "cpu_count"]

T = TypeVar("T")
R = TypeVar("R")


def cpu_count() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGTERM this worker when its parent exits (Linux only; elsewhere the pool's
    own shutdown has to do). A parent that died before the request was made (between fork and here)
    is caught by comparing the parent's pid: the worker then ends at once."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler: a terminated worker just ends


def _worker_init(parent: int, initializer: Callable | None, initargs: tuple) -> None:
    _die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def imap_ordered(func: Callable[[T], R], items: Iterable[T], jobs: int = 1, initializer: Callable | None = None,
                 initargs: tuple = (), ahead: int = 2) -> Iterator[R]:
    """``map(func, items)`` over ``jobs`` worker processes, results in input order.

    With ``jobs <= 1`` everything runs in this process (``initializer`` is called here once).
    ``func`` and the items must be picklable for ``jobs > 1``.
    """
    if jobs <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(func, items)
        return
    import multiprocessing

    context = multiprocessing.get_context()
    if initializer is not None and context.get_start_method() == "fork":
        initializer(*initargs)  # the forked workers inherit its state
        initializer, initargs = None, ()
    pool = None
    pending: deque = deque()
    try:
        # forking: a Ctrl-C or SIGTERM handled inside the interpreter's at-fork callbacks would be printed and
        # swallowed (the run would go on); held, it is acted on just after, here
        with signals_held():
            pool = context.Pool(jobs, initializer=_worker_init, initargs=(os.getpid(), initializer, initargs))
        for item in items:
            pending.append(pool.apply_async(func, (item,)))
            if len(pending) >= ahead * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        pool.close()
    finally:
        if pool is not None:
            pool.terminate()  # after close(): the idle workers exit; otherwise (error, early stop) they are killed
            pool.join()
