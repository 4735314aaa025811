"""Locks between processes: the one place that takes an OS-level advisory lock on a file.

Used where two processes could interleave a read-modify-write of the same file: saving and loading a
model pair, merging imported labels, and a review session on a tagged file. Locks are POSIX ``flock``
locks on a lock file (created if missing, and kept, but where its maker asks to remove it: every holder checks,
once locked, that it locked the file the name leads to, so two processes never lock two different files);
where the platform has none (Windows) or the folder cannot hold the lock file (read-only), there is no lock and
:func:`file_lock` says so by yielding ``False``.

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

from .signals import signals_held

log = logging.getLogger(__name__)

__all__ = ["file_lock", "LockHeld", "lock_note", "renote"]


class LockHeld(RuntimeError):
    """Another process holds the lock and the caller asked not to wait."""


@contextlib.contextmanager
def file_lock(path: str | Path, *, shared: bool = False, wait: bool = True, note: str | None = None,
              tidy: bool = False) -> Iterator[bool]:
    """Hold a lock on the lock file ``path`` for the ``with`` block.

    Args:
        path: the lock file (its folder must exist).
        shared: a shared (reader) lock instead of an exclusive one.
        wait: wait for another holder; with ``False`` raise :class:`LockHeld` at once instead.
        note: with an exclusive lock, what holds it (one line), written into the lock file while it is held and
            emptied as it is let go, for a process refused the lock to say so (:func:`lock_note`). A lock file
            opened read-only gets none; one a killed holder left keeps its note till the next holder writes its own.
        tidy: remove the lock file as the lock is let go where this call made it, or a tidy holder killed left it,
            and no one else holds it then (a lock taken beside every file a command writes leaves nothing there;
            one made otherwise, a review session's, stays). Safe: every holder checks, once locked, that the name
            still leads to the file it locked, and locks the one there now where it does not.

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
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    # Ctrl-C / SIGTERM / SIGHUP are held (signals_held) while the lock file is made, locked and marked, and while it
    # is removed and closed: a signal there would leave a file this call made (tagger tag stopped at that moment left
    # .out.jsonl.review-lock); a signal held is acted on as the step ends, inside the try that tidies up. Only the
    # wait for another holder is left open to them.
    fd: int | None = None
    made = locked = mark = noted = False

    def settle(busy: bool | None) -> bool:
        """After the flock: whether the lock is settled (``False``: the file went, lock the one there now)."""
        nonlocal fd, locked, mark, noted
        if busy is None:  # ENOLCK, EOPNOTSUPP: a file system without locks (some network shares)
            log.warning("%s: no lock: this file system has none, so two runs on one file (two review sessions, two "
                        "imports) are not kept apart here; run one at a time, or work on a local disk", path)
            return True
        if not _still_at(fd, path):  # removed by its holder before this lock: lock the file there now
            os.close(fd)
            fd = None
            return False
        locked = True
        # a tidy lock's file (made by one, or left by one killed): marked, so that the next tidy holder removes it
        mark = tidy and (made or _marked(fd))
        writes = note is not None and not shared or made and mark  # a shared lock's holders: no note
        noted = writes and _write_note(fd, None if shared else note, mark)
        return True

    try:
        while True:
            with signals_held():
                opened = _open_lock(path)
                if opened is None:
                    break
                fd, made = opened
                busy = _flocked(fd, mode | fcntl.LOCK_NB)
                if busy is not True and settle(busy):
                    break
            if fd is None:  # removed by its holder: again
                continue
            gone = not _still_at(fd, path)  # its holder is removing it: lock the file there now
            if gone or not wait:
                os.close(fd)
                fd = None
                if gone:
                    continue
                raise LockHeld(str(path))
            busy = _flocked(fd, mode)  # the wait for the holder: open to signals
            with signals_held():
                if settle(busy):
                    break
        yield locked
    finally:
        with signals_held():
            if fd is not None:
                try:
                    removed = tidy and locked and (mark or _marked(fd)) and _removed(fd, path, shared)
                    if noted and not removed:  # a note left would name this holder to the next one refused
                        _write_note(fd, None, mark)
                finally:
                    os.close(fd)  # closing the descriptor releases the lock


def _flocked(fd: int, mode: int) -> bool | None:
    """``flock`` the lock file open as ``fd``: ``False`` when locked, ``True`` when another holds it (``LOCK_NB``),
    ``None`` where the file system has no locks."""
    import fcntl

    try:
        fcntl.flock(fd, mode)
    except BlockingIOError:
        return True
    except OSError:
        return None
    return False


_TIDY = "(removed when let go)"
"""The last line of a lock file :func:`file_lock` made with ``tidy``: the next tidy holder removes one a killed
holder left (no note, :func:`lock_note`)."""


def _marked(fd: int) -> bool:
    """Whether the lock file open as ``fd`` is a tidy lock's (:data:`_TIDY`)."""
    try:
        return _TIDY in os.pread(fd, 1000, 0).decode("utf-8", "replace").splitlines()
    except OSError:
        return False


def _open_lock(path: str | Path) -> tuple[int, bool] | None:
    """The lock file ``path`` opened (made where missing), and whether this call made it; ``None`` where it can be
    neither opened nor made (a read-only folder, a name too long)."""
    while True:
        try:
            return os.open(path, os.O_RDWR), False
        except FileNotFoundError:
            try:
                return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666), True
            except FileExistsError:  # made meanwhile by another
                continue
            except OSError:
                return None
        except OSError:
            try:  # a lock file another user made (mode 0644): a read-only descriptor locks it just as well
                return os.open(path, os.O_RDONLY), False
            except OSError:
                return None


def _still_at(fd: int, path: str | Path) -> bool:
    """Whether the name ``path`` still leads to the file open as ``fd`` (a holder that made it may have removed
    it: :func:`file_lock`'s ``tidy``)."""
    try:
        there = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError:  # cannot look: taken as there
        return True
    here = os.fstat(fd)
    return (there.st_dev, there.st_ino) == (here.st_dev, here.st_ino)


def _removed(fd: int, path: str | Path, shared: bool) -> bool:
    """Remove the lock file ``path`` this process holds locked as ``fd`` where no one else holds it (a shared lock
    is made exclusive first, without waiting); whether it was removed."""
    import fcntl

    if shared:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another holds it too: it stays for them
            return False
    if not _still_at(fd, path):
        return False
    try:
        os.unlink(path)
    except OSError:
        return False
    return True


def _write_note(fd: int, note: str | None, mark: bool = False) -> bool:
    """Write ``note`` (none: empty it) as the whole content of the lock file open as ``fd``, then the mark of a tidy
    lock's file with ``mark`` (:func:`file_lock`); whether it was written."""
    text = "\n".join(line for line in (note, _TIDY if mark else None) if line is not None)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode("utf-8"), 0)
    except OSError:  # a read-only descriptor (a lock file another user made), a full disk: no note
        return False
    return True


def renote(path: str | Path, note: str) -> None:
    """Replace the note (:func:`file_lock`'s) of the lock this process holds on the lock file ``path``: what holds
    it learnt more about itself since it took it (a review session, the address of its page). Where the file cannot
    be written, the note stays as it was."""
    try:
        fd = os.open(path, os.O_WRONLY)  # another descriptor: closing it keeps the flock of the one that holds it
    except OSError:
        return
    try:
        _write_note(fd, note)
    finally:
        os.close(fd)


def lock_note(path: str | Path) -> str | None:
    """What the holder of the lock on the lock file ``path`` wrote there (:func:`file_lock`'s ``note``), or ``None``:
    none (a holder that writes none, the moment between its lock and its note, a lock file that cannot be read).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d, file_lock(Path(d, ".x.lock"), note="a re-tag"):
        ...     lock_note(Path(d, ".x.lock"))
        'a re-tag'
    """
    try:
        with open(path, "rb") as fh:
            text = fh.read(1000).decode("utf-8", "replace")
    except OSError:
        return None
    lines = [line for line in text.splitlines() if line.strip() and line != _TIDY]
    return lines[0].strip() if lines else None
