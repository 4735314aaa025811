"""What the running command has settled, and how Ctrl-C and SIGTERM treat it.

A command declares the files it is for (:func:`final_outputs`); once the first of them is renamed into
place (``tagger.common.atomic`` reports it with both signals still held) the run is complete: a Ctrl-C
or SIGTERM from then on is logged and the command finishes, instead of being reported as interrupted
with its output already replaced. Before that, they unwind the command (context managers clean up, the
previous output stays).

Example:
    >>> final_outputs("out.jsonl")  # doctest: +SKIP
    >>> with atomic_write("out.jsonl", "w") as fh:  # doctest: +SKIP
    ...     fh.write(rows)  # a SIGTERM during the rename now finds Run.committed set
"""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path
from types import FrameType

__all__ = ["Run", "Terminated", "final_outputs", "note_commit", "on_sigint", "on_sigterm"]

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

    @classmethod
    def reset(cls) -> None:
        cls.committed, cls.outputs, cls.code = False, frozenset(), None


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
    raise Terminated(signum)


def on_sigint(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C while a command runs: as Python's own handler, unless the output is already committed."""
    if Run.committed:
        log.warning("interrupted after the output was written: the run is complete")
        return
    raise KeyboardInterrupt
