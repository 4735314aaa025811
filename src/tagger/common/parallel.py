"""Worker processes: the one mechanism for parallel work (``tagger tag --jobs``, cross-validation).

:func:`imap_ordered` maps a function over items in worker processes and yields results in input
order, with at most ``ahead × jobs`` items in flight, so memory stays flat on a stream of any length.
Workers are set up once (``initializer``: e.g. load the model), die with their parent (Linux: the
kernel sends them SIGTERM when the parent dies, even by SIGKILL), and are terminated when the caller
stops early or is interrupted. Each worker is a process of its own with one pipe each way and no lock
shared with the others (``multiprocessing.Pool`` shares its queues' locks among workers, and its
``terminate`` after an error could hang for good on one of them). Where workers are forked (Linux), the initializer runs once in this
process before the pool starts and the workers inherit what it set up (a loaded, warmed model: no
per-worker loading, memory shared copy-on-write); elsewhere it runs in each worker.

Example:
    >>> list(imap_ordered(abs, [-1, 2, -3], jobs=1))
    [1, 2, 3]
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import TypeVar

from .signals import signals_held

log = logging.getLogger("tagger")

__all__ = ["imap_ordered", "RemoteTraceback"]

T = TypeVar("T")
R = TypeVar("R")


def _die_with_parent(parent: int | None) -> None:
    """Make this worker end with its parent: its own signal handling first (a forked worker starts with
    whatever handlers the parent had, which may swallow SIGTERM), then the kernel's promise to SIGTERM it
    when the parent exits (Linux), then a check that the parent had not already died before that promise
    (``parent``: its pid, for forked workers; a forkserver's workers have the server as parent)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal too: the parent ends the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler: a terminated worker just ends
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if parent is not None and os.getppid() != parent:
        os._exit(1)


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker (attached as its ``__cause__``)."""

    def __str__(self) -> str:
        return "\n" + self.args[0]


class _Unreadable:
    """What the reader thread hands on when an item's bytes could not be unpickled here."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


def _worker_main(tasks, results, parent: int | None, inherited: list, func: Callable, initializer: Callable | None,
                 initargs: tuple) -> None:
    """A worker: ``func`` over the items its task pipe brings, each result (or the exception raised, with
    its traceback) sent back on its result pipe, until ``None`` comes or the parent closes the pipe.
    ``inherited``: the parent's ends of this and earlier workers' pipes, which a forked worker holds too
    and closes, so that the parent's exit closes the pipe."""
    _die_with_parent(parent)
    for conn in inherited:
        conn.close()
    if initializer is not None:
        initializer(*initargs)
    inbox: queue.SimpleQueue = queue.SimpleQueue()

    def read() -> None:  # the task pipe is always drained: the parent never waits on it while we send
        while True:
            try:
                item = tasks.recv()
            except (EOFError, OSError):  # the parent closed the pipe: it stopped
                item = None
            except BaseException as exc:  # noqa: BLE001 - the bytes were read, the item could not be rebuilt
                item = _Unreadable(f"{type(exc).__name__}: {exc}")
            inbox.put(item)
            if item is None:
                return

    threading.Thread(target=read, daemon=True).start()
    while True:
        item = inbox.get()
        if item is None:
            return
        if isinstance(item, _Unreadable):
            out = (False, RuntimeError(f"a worker could not read the item it was sent ({item.problem}); items "
                                       "must be picklable by reference from an importable module"), "")
        else:
            try:
                out = (True, func(item), "")
            except Exception as exc:  # sent back and raised in the parent, as map() would
                out = (False, exc, traceback.format_exc())
        try:
            results.send(out)
        except Exception as exc:  # noqa: BLE001 - the result or the exception could not be pickled
            results.send((False, RuntimeError(f"a worker's result could not be sent back: {exc!r}"), out[2]))


class _Worker:
    """One worker process with a pipe each way (no lock shared with other processes: a pool whose queues
    share locks can hang when it is torn down mid-task, which multiprocessing.Pool.terminate did here)."""

    def __init__(self, context, func: Callable, initializer: Callable | None, initargs: tuple,
                 earlier: list[_Worker]) -> None:
        task_reader, self.tasks = context.Pipe(duplex=False)
        self.results, result_writer = context.Pipe(duplex=False)
        forked = context.get_start_method() == "fork"
        inherited = [c for w in [*earlier, self] for c in (w.tasks, w.results)] if forked else []
        self.process = context.Process(target=_worker_main, daemon=True,
                                       args=(task_reader, result_writer, os.getpid() if forked else None,
                                             inherited, func, initializer, initargs))
        self.process.start()
        task_reader.close()  # the worker's ends: closed here, so a worker that dies shows as EOF
        result_writer.close()

    def _died(self) -> RuntimeError:
        self.process.join(5)
        return RuntimeError(f"a worker process died (exit code {self.process.exitcode}): out of memory, or killed")

    def send(self, item) -> None:
        try:
            self.tasks.send(item)
        except (BrokenPipeError, ConnectionResetError):
            raise self._died() from None

    def result(self):
        try:
            ok, value, remote = self.results.recv()
        except EOFError:
            raise self._died() from None
        except Exception as exc:  # noqa: BLE001 - pickled in the worker, not rebuilt here
            raise RuntimeError(f"a worker's result could not be read back: {type(exc).__name__}: {exc}") from None
        if not ok:
            if remote:
                value.__cause__ = RemoteTraceback(remote)
            raise value
        return value

    def stop(self, kill: bool) -> None:
        if not kill:
            with contextlib.suppress(OSError):
                self.tasks.send(None)
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.process.close()  # its sentinel: not left open until the garbage collector finds it
        self.tasks.close()
        self.results.close()


def max_workers() -> int:
    """The most worker processes a run starts: twice the cores this process may use (at least 2). The work is
    tagging and fitting, which a core does one at a time; more processes only cost memory and start-up.

    Example:
        >>> max_workers() >= 2
        True
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(2, 2 * cores)


def imap_ordered(func: Callable[[T], R], items: Iterable[T], jobs: int = 1, initializer: Callable | None = None,
                 initargs: tuple = (), ahead: int = 2) -> Iterator[R]:
    """``map(func, items)`` over ``jobs`` worker processes, results in input order.

    With ``jobs <= 1`` everything runs in this process (``initializer`` is called here once).
    ``func`` and the items must be picklable for ``jobs > 1``. The workers start before the first item
    is read (reading may start threads — pyarrow's — that a fork must not copy mid-work): ``jobs`` of
    them, or one per item when ``items`` is a sequence shorter than that. Item ``i`` goes to worker ``i % jobs``;
    at most ``ahead × jobs`` items are out at once. A worker reads its items as they come (a thread
    drains its task pipe), so the two sides never wait on each other's full pipes.
    """
    if jobs <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(func, items)
        return
    if jobs > max_workers():  # a typo (--jobs 100000 for --chunk-size) would fork thousands of processes
        log.warning("%d worker processes asked for; this machine has cores for %d: using %d", jobs,
                    max_workers() // 2, max_workers())
        jobs = max_workers()
    import multiprocessing

    context = multiprocessing.get_context()
    if initializer is not None and context.get_start_method() == "fork":
        initializer(*initargs)  # the forked workers inherit its state
        initializer, initargs = None, ()
    if isinstance(items, Sized):
        if not len(items):
            return
        jobs = min(jobs, len(items))  # never more workers than items
    workers: list[_Worker] = []
    done = False
    try:
        for _ in range(jobs):
            # forking: a Ctrl-C or SIGTERM handled inside the interpreter's at-fork callbacks would be
            # printed and swallowed (the run would go on); held, it is acted on just after, here
            with signals_held():
                workers.append(_Worker(context, func, initializer, initargs, workers))
        sent = received = 0
        for item in items:
            workers[sent % jobs].send(item)
            sent += 1
            if sent - received >= ahead * jobs:
                yield workers[received % jobs].result()
                received += 1
        while received < sent:
            yield workers[received % jobs].result()
            received += 1
        done = True
    finally:
        for w in workers:  # at the end the idle workers exit; otherwise (error, early stop) they are killed
            w.stop(kill=not done)
