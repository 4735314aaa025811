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
    assert lock.exists()  # never removed: removing it would let two holders lock two different files


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
