"""What the running command has settled, and how Ctrl-C and SIGTERM treat it.

A command declares the files it is for (:func:`final_outputs`); once the first of them is renamed into
place (``tagger.common.atomic`` reports it with both signals still held) the run is complete: a Ctrl-C
or SIGTERM from then on is logged and the command finishes, instead of being reported as interrupted
with its output already replaced. Before that, they unwind the command (context managers clean up, the
previous output stays). One whose exception Python dropped (its handler ran inside a finaliser) is acted on at the
command's next checkpoint (:func:`act_on_dropped`), at its next commit (:func:`refuse_after_signal`), or as it ends.

Example:
    >>> final_outputs("out.jsonl")  # doctest: +SKIP
    >>> with atomic_write("out.jsonl", "w") as fh:  # doctest: +SKIP
    ...     fh.write(rows)  # a SIGTERM during the rename now finds Run.committed set
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any, Callable

__all__ = ["Run", "Terminated", "act_on_dropped", "final_outputs", "note_commit", "on_sigint", "on_sigterm",
           "refuse_after_signal", "unraisable_hook"]

log = logging.getLogger("tagger")


class Terminated(BaseException):
    """SIGTERM (or SIGHUP: the terminal was closed) arrived: unwind like KeyboardInterrupt (context managers
    clean up); the process then exits with 128 + the signal's number."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        return "hung up (the terminal was closed)" if self.signum == getattr(signal, "SIGHUP", None) else "terminated"


class Run:
    """What the running command has settled (one command runs at a time: ``tagger.apps.cli.main``)."""

    committed = False
    outputs: frozenset[str] = frozenset()  # the files whose commit completes the command
    code: int | None = None  # the exit code, once main() has it
    dropped: BaseException | None = None
    """What a Ctrl-C or SIGTERM raised where Python dropped it (its handler ran inside a finaliser: ``__del__``, a
    weakref or gc callback; :func:`unraisable_hook`), without its traceback: the run would go on as if no signal had
    come; :func:`act_on_dropped` stops it at its next checkpoint, :func:`refuse_after_signal` at its next commit. A
    signal whose exception is raised later stands for it (the handlers forget it)."""

    @classmethod
    def reset(cls) -> None:
        cls.committed, cls.outputs, cls.code, cls.dropped = False, frozenset(), None, None


def final_outputs(*paths: str | Path | None) -> None:
    """Declare the files the command is for: once the first of them is renamed into place, the run is
    complete (the rest of its writes and messages follow; a late Ctrl-C or SIGTERM is only logged).
    ``None`` and ``-`` (stdout) are ignored."""
    Run.outputs = frozenset(os.path.realpath(p) for p in paths if p and str(p) != "-")


def note_commit(path: Path) -> None:
    """``tagger.common.atomic.on_commit`` callback (called with the signals held, right after the commit)."""
    if os.path.realpath(path) in Run.outputs:
        Run.committed = True


def on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (or SIGHUP) while a command runs: unwind it, unless its output is already committed."""
    if Run.committed:
        log.warning("%s after the output was written: the run is complete", Terminated(signum))
        return
    Run.dropped = None  # this one stops the run (or, dropped too, is kept again)
    raise Terminated(signum)


def on_sigint(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C while a command runs: as Python's own handler, unless the output is already committed."""
    if Run.committed:
        log.warning("interrupted after the output was written: the run is complete")
        return
    Run.dropped = None  # this one stops the run (or, dropped too, is kept again)
    raise KeyboardInterrupt


def _again(dropped: BaseException) -> BaseException:
    """A new exception of the kind :attr:`Run.dropped` holds, to raise (its own kept no traceback)."""
    return Terminated(dropped.signum) if isinstance(dropped, Terminated) else KeyboardInterrupt()


def act_on_dropped() -> None:
    """``tagger.common.signals.checkpoint`` check (a progress loop's next item, a web server's next turn), and the
    command line's as a command ends: a Ctrl-C or SIGTERM whose exception Python dropped (:attr:`Run.dropped`) is
    raised here, in the main thread, as where it came: the command unwinds (130, 143; a review session stops and
    saves, as on Ctrl-C) instead of going on, or ending 0 as if no signal had come."""
    if Run.dropped is None or threading.current_thread() is not threading.main_thread():
        return
    dropped, Run.dropped = Run.dropped, None
    raise _again(dropped)


def refuse_after_signal() -> None:
    """``tagger.common.atomic.commit_gate`` check: a command that declared its outputs (:func:`final_outputs`)
    commits no file after a Ctrl-C or SIGTERM whose exception Python dropped (:attr:`Run.dropped`); the run unwinds
    at its commit, as it would have where the signal came. A command that declared none commits as before: a review
    session saves its decisions on Ctrl-C, as it does where the signal's exception was raised."""
    if Run.dropped is not None and Run.outputs and not Run.committed:
        raise _again(Run.dropped)


def unraisable_hook(previous: Callable[[Any], None]) -> Callable[[Any], None]:
    """A ``sys.unraisablehook`` that keeps the handlers' own exception (raised by :func:`on_sigterm` or
    :func:`on_sigint`: its traceback ends there), dropped where Python cannot raise it (a finaliser), as
    :attr:`Run.dropped` without a word (:func:`act_on_dropped` and :func:`refuse_after_signal` act on it); any other
    goes to ``previous``.
    An exception raised is never kept: its traceback holds every frame it unwound, and what they hold (a file's
    review lock) would outlive the run."""
    def hook(unraisable: Any) -> None:
        tb = unraisable.exc_traceback
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None and tb.tb_frame.f_code in (on_sigterm.__code__, on_sigint.__code__):
            Run.dropped = _again(unraisable.exc_value)
        else:
            previous(unraisable)
    return hook
