"""Locks between processes: the one place that takes an OS-level advisory lock on a file.

Used where two processes could interleave a read-modify-write of the same file: saving and loading a
model pair, merging imported labels, and a review session on a tagged file. Locks are POSIX ``flock``
locks on a lock file (created if missing, never removed: removing it would let two processes lock two
different files); where the platform has none (Windows) or the folder cannot hold the lock file
(read-only), there is no lock and :func:`file_lock` says so by yielding ``False``.

Example:
    >>> with file_lock(tmp / ".x.lock") as locked:  # doctest: +SKIP
    ...     rewrite(tmp / "x")
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["file_lock", "LockHeld"]


class LockHeld(RuntimeError):
    """Another process holds the lock and the caller asked not to wait."""


@contextlib.contextmanager
def file_lock(path: str | Path, *, shared: bool = False, wait: bool = True) -> Iterator[bool]:
    """Hold a lock on the lock file ``path`` for the ``with`` block.

    Args:
        path: the lock file (its folder must exist).
        shared: a shared (reader) lock instead of an exclusive one.
        wait: wait for another holder; with ``False`` raise :class:`LockHeld` at once instead.

    Yields:
        ``True`` when locked, ``False`` when locks are unavailable here (no ``fcntl``, read-only folder).

    Raises:
        LockHeld: ``wait=False`` and another process holds a conflicting lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield False
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        try:  # a lock file another user made (mode 0644): a read-only descriptor locks it just as well
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            yield False
            return
    try:
        mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(fd, mode)
        except BlockingIOError:
            raise LockHeld(str(path)) from None
        except OSError as exc:  # ENOLCK, EOPNOTSUPP: a file system without locks (some network shares)
            log.warning("%s: no lock (%s): this file system has none, so two runs on one file (two review sessions, "
                        "two imports) are not kept apart here; run one at a time, or work on a local disk", path, exc)
            locked = False
        else:
            locked = True
        yield locked
    finally:
        os.close(fd)  # closing the descriptor releases the lock
