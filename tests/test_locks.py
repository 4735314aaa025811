"""tagger.common.locks: the one OS-level lock of the package (model pairs, imported labels, review sessions)."""

import os
import sys

import pytest

from tagger.common.locks import LockHeld, file_lock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX locks")


def test_exclusive_locks_exclude_each_other_and_shared_ones_share(tmp_path):
    lock = tmp_path / ".x.lock"
    with file_lock(lock) as locked:
        assert locked is True
        with pytest.raises(LockHeld), file_lock(lock, wait=False):
            pass
        with pytest.raises(LockHeld), file_lock(lock, shared=True, wait=False):
            pass
    with file_lock(lock, shared=True), file_lock(lock, shared=True, wait=False) as locked:
        assert locked is True
        with pytest.raises(LockHeld), file_lock(lock, wait=False):
            pass
    with file_lock(lock, wait=False):  # every lock let go
        pass
    assert lock.exists()  # kept: removed only by its maker, when asked (tidy)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_folder_that_cannot_hold_the_lock_file_means_no_lock(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with file_lock(folder / ".x.lock") as locked:
            assert locked is False
    finally:
        folder.chmod(0o700)


def test_a_missing_folder_means_no_lock(tmp_path):
    with file_lock(tmp_path / "missing" / ".x.lock") as locked:
        assert locked is False


def test_a_file_system_without_locks_yields_false_not_an_error(tmp_path, monkeypatch, caplog):
    """Review: a file system without flock (some network shares answer ENOLCK or EOPNOTSUPP) made every review
    session and model save fail with "No locks available", though the module promises False there."""
    import errno
    import fcntl

    for code in (errno.ENOLCK, errno.EOPNOTSUPP):
        def no_locks(fd, mode, code=code):
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(fcntl, "flock", no_locks)
        with file_lock(tmp_path / ".x.lock") as locked:
            assert locked is False
        with file_lock(tmp_path / ".x.lock", wait=False) as locked:
            assert locked is False
    assert "are not kept apart here" in caplog.text  # said: nothing keeps two sessions apart there (review)


def test_a_tidy_lock_removes_the_lock_file_it_made_and_only_that(tmp_path):
    """tagger tag takes the review lock of every file it writes or reads back (not only of one a session opened):
    a lock file it made goes with the lock, where no one else holds it; one that was there stays."""
    lock = tmp_path / ".x.lock"
    with file_lock(lock, tidy=True, note="tagger tag") as locked:
        assert locked is True and lock.exists()
        with pytest.raises(LockHeld), file_lock(lock, shared=True, wait=False):
            pass
    assert not lock.exists()
    with file_lock(lock, shared=True, tidy=True), file_lock(lock, shared=True, tidy=True, wait=False):
        assert lock.exists()
    assert not lock.exists()  # the maker let go last: it took it alone, and removed it
    first = file_lock(lock, shared=True, tidy=True)
    first.__enter__()
    with file_lock(lock, shared=True, tidy=True, wait=False):
        first.__exit__(None, None, None)  # another holds it: it stays for them
        assert lock.exists()
    lock.write_bytes(b"")  # made by another (a review session: its lock file stays, by design)
    with file_lock(lock, tidy=True):
        pass
    assert lock.exists() and lock.read_bytes() == b""


def test_a_lock_file_removed_by_its_maker_is_never_locked_by_two(tmp_path, monkeypatch):
    """A run that opened the lock file just before its maker removed it locked the removed file, and the next run a new
    one of that name: both held "the" lock. Once locked, a holder checks that the name still leads to its file, and
    locks the one there now where it does not."""
    import fcntl
    import threading

    lock = tmp_path / ".x.lock"
    real, waiting, got, done = fcntl.flock, threading.Event(), threading.Event(), threading.Event()

    def flock(fd, mode):
        if threading.current_thread() is not threading.main_thread() and not mode & fcntl.LOCK_NB:
            waiting.set()
        return real(fd, mode)

    def second():
        with file_lock(lock):  # waits for the first
            got.set()
            done.wait(30)

    monkeypatch.setattr(fcntl, "flock", flock)
    with file_lock(lock, tidy=True):
        thread = threading.Thread(target=second)
        thread.start()
        assert waiting.wait(30)  # it has the file open, and waits for its lock
    try:
        assert got.wait(30)
        with pytest.raises(LockHeld), file_lock(lock, wait=False):  # it holds the lock of the file there now
            pass
    finally:
        done.set()
        thread.join(30)
    assert lock.exists()  # not tidy: the one it made on its second try stays


def test_a_tidy_lock_file_a_killed_holder_left_is_removed_by_the_next(tmp_path):
    """tagger tag -o OUT killed (SIGKILL, the OOM killer) left .OUT.review-lock behind, and every run after it kept it:
    only a lock file the run made itself was removed. The next tidy holder removes it; its note names no holder."""
    import subprocess

    from tagger.common.locks import lock_note

    lock = tmp_path / ".x.lock"
    code = ("import os, signal, sys; from tagger.common.locks import file_lock\n"
            "with file_lock(sys.argv[1], tidy=True, note='tagger tag'):\n    os.kill(os.getpid(), signal.SIGKILL)\n")
    assert subprocess.run([sys.executable, "-c", code, str(lock)], timeout=120).returncode == -9
    assert lock.exists() and lock_note(lock) == "tagger tag"  # as the killed run left it
    with file_lock(lock, tidy=True, note="tagger tag"):
        pass
    assert not lock.exists()
    assert subprocess.run([sys.executable, "-c", code, str(lock)], timeout=120).returncode == -9
    with file_lock(lock, note="a review session"):  # not tidy: its lock file stays, by design
        pass
    with file_lock(lock, tidy=True):
        pass
    assert lock.exists() and lock_note(lock) is None  # a session had it since: a session's lock file stays
    code = code.replace("note='tagger tag'", "shared=True")  # a re-tag: a shared lock, no note
    assert subprocess.run([sys.executable, "-c", code, str(lock.with_name(".y.lock"))], timeout=120).returncode == -9
    assert lock_note(lock.with_name(".y.lock")) is None
    with file_lock(lock.with_name(".y.lock"), shared=True, tidy=True):
        pass
    assert not lock.with_name(".y.lock").exists()


@pytest.mark.parametrize("where", ["_still_at", "_write_note", "_removed"])
def test_a_signal_while_a_tidy_lock_is_taken_or_let_go_leaves_no_lock_file(tmp_path, monkeypatch, where):
    """tagger tag stopped by SIGTERM (the adversarial suite, once in a few hundred runs) left .out.jsonl.review-lock:
    the signal landed between the lock file's making and the try that removes it, or while it was being removed.
    Those steps hold the signals; one that arrives is acted on when the step is over, and the file still goes."""
    import signal

    from tagger.common import locks

    class Stop(BaseException):
        pass

    def stop(signum, frame):
        raise Stop

    real = getattr(locks, where)

    def signalled(*args):  # the signal lands in the middle of the step
        os.kill(os.getpid(), signal.SIGTERM)
        return real(*args)

    lock = tmp_path / ".x.lock"
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        monkeypatch.setattr(locks, where, signalled)
        with pytest.raises(Stop), file_lock(lock, tidy=True, note="tagger tag"):
            pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not lock.exists()
