"""Writing files: the one path every writer of the package goes through.

A regular file is replaced atomically (temp file in the same folder, fsync, rename), so an
interrupted write leaves the old file and no partial one; a device, FIFO or socket
(``-o /dev/stdout``) is written in place instead, never renamed over. The rename runs with Ctrl-C and
SIGTERM held, and :func:`on_commit` lets a caller learn that it happened before either is acted on.

Example:
    >>> with atomic_write(tmp / "x.txt", "w", encoding="utf-8") as fh:  # doctest: +SKIP
    ...     fh.write("hello")
"""

from __future__ import annotations

import contextlib
import errno
import glob
import itertools
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from ..errors import InputError, OutputFolderError
from .signals import signals_held

__all__ = ["remove_made", "unwritable", "replace_marked_block", "check_marked_block", "atomic_write", "atomic_path",
           "write_target", "would_overwrite", "made_parent", "commit_gate", "names_beside",
           "refuse_an_input", "temp_path_beside", "make_parent", "FolderNotWritable", "FileCreatedMeanwhile",
           "on_commit", "replace_together", "write_fix", "out_of_space", "remove_stale_temp_files", "standard_output",
           "check_standard_output", "clear_sqlite_leftovers", "SqliteInUse", "SQLITE_LEFTOVERS", "SQLITE_HEADER",
           "folder_problem", "check_output_folder"]

log = logging.getLogger(__name__)
_WATCHERS: list[Callable[[Path], None]] = []


@contextlib.contextmanager
def on_commit(callback: Callable[[Path], None]) -> Iterator[None]:
    """Call ``callback(path)`` each time a write of this module commits ``path`` while the block runs: a
    regular file once it is renamed into place (with Ctrl-C and SIGTERM still held, so a handler that acts
    on them afterwards knows the file was committed), a device or pipe once it is written and closed.

    Example:
        >>> seen = []
        >>> with on_commit(seen.append), atomic_write(tmp / "x.txt", "w") as fh:  # doctest: +SKIP
        ...     fh.write("hello")
        >>> seen  # doctest: +SKIP
        [PosixPath('.../x.txt')]
    """
    _WATCHERS.append(callback)
    try:
        yield
    finally:
        _WATCHERS.remove(callback)


def _committed(path: Path) -> None:
    for callback in list(_WATCHERS):
        callback(path)


_GATES: list[Callable[[], None]] = []


@contextlib.contextmanager
def commit_gate(check: Callable[[], None]) -> Iterator[None]:
    """Call ``check()`` before each rename of this module commits a file while the block runs (with Ctrl-C and
    SIGTERM held): an error it raises keeps the previous file and removes the new one, as a failed write does.

    Example:
        >>> def refuse():
        ...     raise KeyboardInterrupt
        >>> with commit_gate(refuse), atomic_write(tmp / "x.txt", "w") as fh:  # doctest: +SKIP
        ...     fh.write("hello")  # KeyboardInterrupt: x.txt is as it was
    """
    _GATES.append(check)
    try:
        yield
    finally:
        _GATES.remove(check)


def write_target(path: str | Path) -> tuple[Path, bool]:
    """Where a write to ``path`` lands, and whether it must be streamed rather than renamed into place.

    A regular file (or a name that does not exist yet) is replaced atomically; a symlink to a regular
    file is followed, so the link stays a link. Anything else — a character device such as
    ``/dev/null`` or ``/dev/stdout``, a FIFO, a socket — is opened and written in place: renaming over
    it would replace the device node. A directory, or a link whose target is missing, is refused.

    Example:
        >>> write_target("/dev/null")
        (PosixPath('/dev/null'), True)
    """
    path = Path(path)
    try:
        lst = os.lstat(path)
    except FileNotFoundError:
        return path, False
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        st = os.stat(path)  # follows links (also /proc's magic links to pipes and terminals)
    except OSError:
        raise InputError(f"{path}: is a link to a missing or unreachable target; choose another output path") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a directory; give a file name")
    if stat.S_ISREG(st.st_mode):
        return (Path(os.path.realpath(path)) if stat.S_ISLNK(lst.st_mode) else path), False
    return path, True


def check_standard_output(what: str = "the output cannot be written there",
                          fix: str = "give a file with -o FILE (or leave standard output open)") -> None:
    """Refuse to write to standard output when it was closed as the command started (``>&-``: Python makes
    ``sys.stdout`` None, and the write, or a later flush, failed with a traceback, or a ``print`` was lost
    without a word); called before any work — by the command line for every command that writes there
    (:func:`tagger.apps.cli.main`), and by :func:`standard_output`. ``what`` says what would have been lost,
    ``fix`` what to do instead.

    Raises:
        InputError: ``standard output is closed: <what>; <fix>``.

    Example:
        >>> check_standard_output()  # open here: nothing said
    """
    import sys

    if sys.stdout is None:
        raise InputError(f"standard output is closed: {what}; {fix}")


@contextlib.contextmanager
def standard_output(encoding: str = "utf-8", newline: str = "") -> Iterator[IO[str]]:
    """Standard output as a text stream of ``encoding`` (``-o -``): the one way a command writes a file's content
    there. It is a stream of its own over file descriptor 1, closed at the end, so that ``sys.stdout`` stays open
    whatever happens: a reader that closed the pipe early (``| head -1``) raises :class:`BrokenPipeError` in the
    block (the CLI ends quietly, exit 0), and nothing fails later when Python flushes ``sys.stdout``. Where
    ``sys.stdout`` is no file (a test's captured output), it is used itself.

    Raises:
        InputError: standard output is closed (``>&-``).

    Example:
        >>> with standard_output() as out:  # doctest: +SKIP
        ...     out.write("table,label\\r\\n")
    """
    import io
    import sys

    check_standard_output()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        yield sys.stdout
        sys.stdout.flush()
        return
    sys.stdout.flush()  # what was printed before comes first
    out = io.TextIOWrapper(open(fd, "wb", closefd=False), encoding=encoding, newline=newline)  # noqa: SIM115
    try:
        yield out
        out.flush()
    finally:
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: what is left cannot be written
            out.close()  # closes this stream only (closefd=False): descriptor 1 and sys.stdout stay open


def refuse_an_input(output: str | Path, inputs: Iterable[str | Path], option: str = "--output", *,
                    fix: str | None = None) -> None:
    """Refuse to write ``output`` when it is one of ``inputs`` — also by another name: a symlink to it (or a
    link the output is), ``./``, ``..`` (both are resolved), a hard link to it — with ``--force`` too: the run would replace the
    file it reads. The one check of every command that writes what it may have been given to read
    (``tag``, ``stats``, ``labels export``, ``suggest``, ``evaluate --test``, ``labels import``, whose output
    no option names: ``fix`` says what to do instead of choosing another ``option``); ``-`` (standard input)
    is no file.

    Raises:
        InputError: ``<output>: is also an input; choose another <option>`` (or ``; <fix>``).

    Example:
        >>> refuse_an_input("a.csv", ["-", "b.csv", "./a.csv"], "-o")
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: a.csv: is also an input; choose another -o
    """
    out = _resolved(output)
    for item in inputs:
        if str(item) == "-":
            continue
        same = _resolved(item) == out
        if not same:  # a hard link is the same file under another name
            with contextlib.suppress(OSError):
                same = os.path.samefile(item, out)
        if same:
            raise InputError(f"{output}: is also an input; {fix or f'choose another {option}'}")


def _resolved(path: str | Path) -> Path:
    """``path`` resolved (links followed, ``..`` taken out); a loop of links, which names no file (its reader
    says so), as its absolute path: ``Path.resolve`` raised ``RuntimeError`` for one (a traceback of ``tag
    -o``)."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


def would_overwrite(path: str | Path) -> bool:
    """Whether writing ``path`` would replace an existing file's content (devices and pipes: no)."""
    try:
        target, streamed = write_target(path)
    except InputError:
        return False  # the write itself reports the problem
    return not streamed and target.exists()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once at import: os.umask cannot be read without setting it


def remove_stale_temp_files(path: Path, suffix: str = "") -> None:
    """Remove temp files of ``path`` left by writers that were killed (SIGKILL, power loss): their names
    carry the writer's process id, and that process no longer exists. ``suffix``: only those whose names end so
    (``".old"``: the previous files :func:`replace_together` kept aside)."""
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.*{glob.escape(suffix)}"):
        pid = tmp.name[len(path.name) + 2:].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                tmp.unlink()
        except OSError:  # alive, but not ours to signal
            pass


def _named(exc: BaseException, path: Path) -> BaseException:
    """An ``OSError`` that names no file (a full disk while writing: ``EFBIG``, ``ENOSPC``) names ``path``,
    the output, so the error says which write failed; anything else as it is."""
    if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
        return OSError(exc.errno, exc.strerror, str(path))
    return exc


def _temp_prefix(path: Path) -> str:
    """The start of the name of every temp file beside ``path``: ``.<name>.<pid>.`` (a random part and a suffix
    follow), by which :func:`remove_stale_temp_files` finds those of writers that were killed."""
    return f".{path.name}.{os.getpid()}."


def _mkstemp(path: Path, suffix: str) -> tuple[int, str]:
    """A new hidden temp file beside ``path``, named ``.<name>.<pid>.<random><suffix>``.

    Raises:
        InputError: no file can be made in ``path``'s folder (permissions, a read-only file system): the error
            names ``path``, not the temp file, and what to do.
    """
    remove_stale_temp_files(path)
    try:
        return tempfile.mkstemp(prefix=_temp_prefix(path), suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise FolderNotWritable(path, exc.strerror or str(exc), exc.errno) from None


class FolderNotWritable(InputError):
    """No file can be made beside ``path`` (``reason``: the system's words, ``errno_`` its number), said in the
    output's terms (:func:`write_fix`): the folder's permissions, a read-only file system, or a name too long for the
    hidden temp file written first."""

    def __init__(self, path: Path, reason: str, errno_: int | None = None) -> None:
        super().__init__(f"{path}: cannot write a file in {path.parent} ({reason}); {write_fix(errno_)}")
        self.reason, self.errno_ = reason, errno_


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_NOT_ALLOWED = (errno.EACCES, errno.EPERM)


def out_of_space(errno_: int | None) -> bool:
    """Whether a write that failed with the error number ``errno_`` ran out of room (a full disk, a quota, a file
    too big for the file system): where a message may explain the room a write needs, which fits no other cause.

    Example:
        >>> out_of_space(errno.ENOSPC), out_of_space(errno.EDQUOT), out_of_space(errno.EACCES), out_of_space(None)
        (True, True, False, False)
    """
    return errno_ in _NO_SPACE


def write_fix(errno_: int | None, instead: str = "choose another output path") -> str:
    """What to do about a write that failed with the error number ``errno_``, by its cause (the one mapping of
    causes to advice); ``instead``: the way out whatever the cause (``"choose another path"``; the command line
    names its option: ``"choose another --out"``). A read-only file system is no matter of permissions: no
    ``chmod`` makes it writable, so the way out is a path on another one.

    Example:
        >>> write_fix(errno.ENOSPC, "choose another --out")
        'free some space there, or choose another --out'
        >>> write_fix(errno.EACCES), write_fix(None)
        ("fix the folder's permissions, or choose another output path", 'choose another output path')
        >>> write_fix(errno.EROFS)
        'the file system there is read-only: choose another output path on a writable one'
    """
    if errno_ == errno.ENAMETOOLONG:
        return "the file name is too long for the temp file written beside it first; choose a shorter name"
    if out_of_space(errno_):
        return f"free some space there, or {instead}"
    if errno_ == errno.EROFS:
        return f"the file system there is read-only: {instead} on a writable one"
    if errno_ in _NOT_ALLOWED:
        return f"fix the folder's permissions, or {instead}"
    return instead


def make_parent(path: Path) -> list[Path]:
    """Make the folders ``path`` needs, logging the ones made (a mistyped folder should not appear unseen); returns
    them, innermost first, for :func:`remove_made` to take away again when nothing is written after all."""
    missing = [folder for folder in path.parents if not folder.exists()]
    if missing:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{path}: cannot make the folder {missing[-1]} ({exc.strerror or exc}); "
                             f"{write_fix(exc.errno)}") from None
        log.info("made the folder %s for %s", missing[-1], path.name)
    return missing


def remove_made(folders: list[Path]) -> None:
    """Remove the folders :func:`make_parent` made, innermost first, where they are still empty (a run that failed
    or was stopped leaves no trace of its output)."""
    removed = None
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # something was put there meanwhile: kept
            break
        removed = folder
    if removed is not None:
        log.info("nothing was written: the folder %s made for it is removed again", removed)


@contextlib.contextmanager
def made_parent(path: Path) -> Iterator[None]:
    """The folders ``path`` needs made for the block, removed again when it fails (:func:`remove_made`): the one
    way an output's missing folders are made, by the writers here and by a command that takes a lock beside its
    output before writing it (``tagger tag -o new/out.jsonl``)."""
    made = make_parent(path)
    try:
        yield
    except BaseException:
        remove_made(made)
        raise


def unwritable(path: Path) -> OSError | None:
    """Why no file can be made beside ``path`` (a probe file is made there and removed again), as an ``OSError``
    whose ``errno`` gives the advice (:func:`write_fix`) and ``strerror`` the system's words, or ``None``: for a
    check before minutes of work, or before a page that saves opens.

    Example:
        >>> unwritable(Path("/proc/m.npz")).errno in (errno.ENOENT, errno.EACCES)  # doctest: +SKIP
        True
    """
    try:
        with signals_held():  # the probe exists only inside: a signal is acted on once it is gone
            temp_path_beside(path, ".probe").unlink()
    except FolderNotWritable as exc:
        return OSError(exc.errno_, exc.reason)
    except OSError as exc:
        return OSError(exc.errno, exc.strerror or str(exc))
    return None


def folder_problem(folder: str | Path, name: str = "probe") -> Path | OSError | None:
    """Why no file could be written in ``folder`` — checked before minutes of work: the first of it and its parents
    that exists but is no folder (a file, a device such as ``/dev/null``), or the error of making the missing
    folders or a probe file there (they are made for the try and removed again; the probe is the temp file that
    writing the file ``name`` there would make), whose ``errno`` gives the advice (:func:`write_fix`); ``None`` when
    files can be written there.

    Example:
        >>> folder_problem("/dev/null/reports")
        PosixPath('/dev/null')
    """
    folder = Path(folder)
    made = []  # the folders the try makes, innermost first
    try:
        for place in (folder, *folder.parents):
            if place.exists() or place.is_symlink():
                if not place.is_dir():
                    return place
                break
            made.append(place)
    except OSError as exc:  # a folder above that cannot be entered (Python 3.11's exists() raises then)
        return OSError(exc.errno, exc.strerror or str(exc))
    try:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return OSError(exc.errno, exc.strerror or str(exc))
        return unwritable(folder / name)
    finally:
        for place in made:  # innermost first: nothing is left of the try
            with contextlib.suppress(OSError):
                place.rmdir()


def check_output_folder(folder: str | Path) -> Path:
    """Refuse, before any work, an output folder no file can be written in (:func:`folder_problem`).

    Raises:
        OutputFolderError: naming the folder, what is in the way or the system's words, and what to do (the way out
            whatever the cause: ``choose another output folder``; the command line names its option:
            :meth:`~tagger.errors.OutputFolderError.with_option`).

    Example:
        >>> check_output_folder("/dev/null")
        Traceback (most recent call last):
        ...
        tagger.errors.OutputFolderError: /dev/null: is not a folder (a file or a device), so no report can be written in it; choose another output folder
    """
    folder = Path(folder)
    problem = folder_problem(folder)
    instead = OutputFolderError.ANOTHER_PATH
    if isinstance(problem, Path):
        what = (f"a link to {os.readlink(problem)}, which does not exist" if not problem.exists()
                else "a file or a device")  # a dangling link: exists() follows it
        where = "is not a folder" if problem == folder else f"{problem} is not a folder"
        raise OutputFolderError(f"{folder}: {where} ({what}), so no report can be written in it", instead)
    if problem is not None:
        raise OutputFolderError(f"{folder}: cannot write there ({problem.strerror or problem})",
                                write_fix(problem.errno, instead))
    return folder


def temp_path_beside(path: Path, suffix: str = ".tmp") -> Path:
    """A new, uniquely named hidden file next to ``path`` (for writes renamed into place later)."""
    fd, tmp = _mkstemp(path, suffix)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; the file renamed into place gets open()'s mode
    return Path(tmp)


@contextlib.contextmanager
def _replaced_when_done(tmp: str | Path, path: Path, exclusive: bool = False,
                       before: Callable[[Path], None] | None = None) -> Iterator[None]:
    """Rename ``tmp`` over ``path`` when the block ends without error; otherwise remove ``tmp`` and re-raise
    (an OS error that names no file then names ``path``). Ctrl-C and SIGTERM are held over the rename
    and the :func:`on_commit` callbacks: one that arrives then is acted on once they know. ``exclusive``:
    see :func:`replace_together` — a file another program put at ``path`` meanwhile is left as it is, and ``tmp``, the
    finished output, is kept beside it (:func:`names_beside`: :class:`FileCreatedMeanwhile` names it) rather than
    removed. ``before(path)`` runs just before the rename, with the signals held too (an error it raises keeps the
    old file and removes ``tmp``; a :class:`SqliteInUse` keeps ``tmp`` beside it, as :meth:`SqliteInUse.kept_as`
    says)."""
    try:
        yield
        with signals_held():
            if before is not None and not (exclusive and os.path.lexists(path)):  # a file made meanwhile: never
                # replaced, so no old file of this run's to check (FileCreatedMeanwhile below says so)
                try:
                    before(path)
                except SqliteInUse as exc:  # found only now: the finished output is not lost, but kept beside it
                    raise exc.kept_as(_keep_beside(tmp, path)) from None
            try:
                replace_together((tmp, path), exclusive=exclusive)
            except FileCreatedMeanwhile:  # never replaced; the output is not lost either: kept beside it
                kept = _keep_beside(tmp, path)
                if kept is None:
                    raise
                raise FileCreatedMeanwhile(path, kept) from None
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        named = _named(exc, path)
        if named is not exc:
            raise named from None
        raise


def replace_together(*moves: tuple[str | Path, str | Path], exclusive: bool = False) -> None:
    """Rename each ``(tmp, path)`` pair in order, as one commit: Ctrl-C and SIGTERM are held until every rename is
    done and the :func:`on_commit` callbacks have been told (for files that must change together, such as a model
    and its manifest; the caller holds whatever lock keeps readers out in between). The temp files are the
    caller's to remove.

    A ``path`` that is a directory is refused before anything is renamed. A rename that fails all the same (a
    folder made meanwhile, a file system gone read-only) undoes the ones before it, as far as it can: a ``path``
    where there was no file is removed again; the previous file of a ``path`` is put back from a second name (a
    hard link, so every ``path`` always names a file, and no copy is made) kept until the commit is done. Where
    no such link can be made (a file system without hard links, such as FAT; a file of another user where the
    system refuses links to it, ``fs.protected_hardlinks``) the rename goes ahead without one, as a single rename
    would, and that file cannot be put back (logged at INFO); a ``path`` that cannot be put back is logged as a
    warning. The last ``path`` is never undone, so it is never kept aside.

    ``exclusive``: a ``path`` that exists by then (another run wrote it meanwhile: the caller checked that none
    did before it began) is never replaced; :class:`FileCreatedMeanwhile` is raised instead. So no previous file
    is kept aside (there is none), and a failed rename removes the files it renamed before it.

    Raises:
        InputError: a ``path`` is a directory (naming it); nothing was renamed.

    Example:
        >>> replace_together((tmp / ".m.npz.tmp", tmp / "m.npz"),  # doctest: +SKIP
        ...                  (tmp / ".m.json.tmp", tmp / "m.json"))
    """
    moves = tuple((tmp, Path(path)) for tmp, path in moves)
    for _, path in moves:
        if path.is_dir():
            raise InputError(f"{path}: is a directory, where a file is to be written; remove it, or choose another name")
    with signals_held():
        for check in list(_GATES):
            check()
        kept: list[Path] = []
        done: list[tuple[Path, Path | None, bool]] = []  # each path renamed over, its previous file's second name
        # (None: there was none), and whether there was a previous file
        try:
            for i, (tmp, path) in enumerate(moves):
                existed = not exclusive and os.path.lexists(path)
                aside = _kept_aside(path) if existed and i < len(moves) - 1 else None  # the last is never undone
                if aside is not None:
                    kept.append(aside)
                if exclusive:
                    _move_exclusive(tmp, path)
                else:
                    os.replace(tmp, path)
                done.append((path, aside, existed))
        except BaseException:
            for path, aside, existed in reversed(done):
                try:
                    if aside is not None:
                        os.replace(aside, path)
                    elif not existed:
                        os.unlink(path)
                    else:
                        log.warning("%s: the previous file could not be put back after the failed write (no second "
                                    "name could be kept for it): it is the new one", path)
                except OSError as exc:
                    log.warning("%s: could not be put back as it was before the failed write (%s)", path,
                                exc.strerror or exc)
            raise
        finally:
            for aside in kept:
                with contextlib.suppress(OSError):
                    os.unlink(aside)
        for _, path in moves:
            _committed(path)


def _kept_aside(path: Path) -> Path | None:
    """A hidden second name (a hard link: no copy; a link stays a link) for the existing file at ``path``, so that
    a commit of several files can put it back; ``None`` where none can be made (logged at INFO). The name is a temp
    file's (``.<name>.<pid>.<random>.old``), drawn here, no file made for it: the link is made only where no file
    has the name (atomically), and a name taken is drawn again, as :func:`tempfile.mkstemp` draws its own."""
    while True:
        aside = path.parent / f"{_temp_prefix(path)}{secrets.token_hex(4)}.old"
        with contextlib.suppress(FileExistsError):  # a name another file has: drawn again
            linked = _hard_link(path, aside)
            break
    if not linked:
        log.info("%s: no second name could be kept for the previous file (this file system or the file's owner "
                 "allows no hard link to it), so it could not be put back were a later file of this write to fail",
                 path)
        return None
    return aside


def _hard_link(src: str | Path, dst: str | Path) -> bool:
    """Give the file at ``src`` the second name ``dst`` (a link stays a link); ``False`` where this cannot be done
    (no hard links on this file system: FAT, some network mounts; a file of another user under
    ``fs.protected_hardlinks``; ``src`` gone): the caller does without.

    Raises:
        FileExistsError: ``dst`` exists (the link is made or refused atomically).
    """
    try:
        os.link(src, dst, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError:
        return False
    return True


class FileCreatedMeanwhile(InputError):
    """An output that did not exist when the run began was written by another program before this run put
    its own in place (two runs given one ``-o``): it is left as that program wrote it, and this run's output is
    ``kept`` beside it under a name of its own (:func:`names_beside`; ``None``: none could be made, it is lost).

    Example:
        >>> print(FileCreatedMeanwhile(Path("out.csv"), Path("out.new.csv")))  # doctest: +NORMALIZE_WHITESPACE
        out.csv: was written by another program while this run worked (two runs with one output?); it is left as
        that one wrote it, and this run's output was saved as out.new.csv instead: use that file, or move it over
        out.csv if that one may go
    """

    def __init__(self, path: Path, kept: Path | None = None) -> None:
        self.path, self.kept = path, kept
        head = (f"{path}: was written by another program while this run worked (two runs with one output?); it is "
                "left as that one wrote it")
        super().__init__(f"{head}, and this run's output was saved as {kept} instead: use that file, or move it over "
                         f"{path} if that one may go" if kept else f"{head}. Run again with another output")

    def __reduce__(self):  # picklable with its paths (worker processes send errors back)
        return type(self), (self.path, self.kept)

    def with_option(self, option: str) -> str:
        """The message for a command whose ``option`` lets a run replace the file (no word of it when this run's
        output was kept: moving that file over does it, without running again).

        Example:
            >>> FileCreatedMeanwhile(Path("out.csv")).with_option("--force").endswith("or with --force to replace it")
            True
        """
        return str(self) if self.kept else f"{self}, or with {option} to replace it"


def names_beside(path: Path) -> Iterator[Path]:
    """Names beside ``path`` for a finished output that may not go there (another program put a file there while
    the run worked, which is never replaced): ``out.new.jsonl``, then ``out.new-2.jsonl``, … — its suffix kept,
    so it reads as the format it is; the caller takes the first that is free.

    Example:
        >>> [p.name for p in itertools.islice(names_beside(Path("models/m.npz")), 3)]
        ['m.new.npz', 'm.new-2.npz', 'm.new-3.npz']
    """
    yield path.with_name(f"{path.stem}.new{path.suffix}")
    for n in itertools.count(2):
        yield path.with_name(f"{path.stem}.new-{n}{path.suffix}")


def _keep_beside(tmp: str | Path, path: Path) -> Path | None:
    """Rename the finished temp file ``tmp`` of ``path`` to the first free name of :func:`names_beside` (taken
    atomically, never over a file); ``None`` where it cannot be (the temp file is then the caller's to remove)."""
    for name in names_beside(path):
        try:
            _move_exclusive(tmp, name)
        except FileCreatedMeanwhile:  # taken: the next
            continue
        except OSError as exc:
            log.warning("%s: the output could not be saved beside it as %s (%s)", path, name.name, exc.strerror or exc)
            return None
        return name
    raise AssertionError("names_beside never runs out of names")


def _move_exclusive(tmp: str | Path, path: Path) -> None:
    """Rename ``tmp`` to ``path`` unless ``path`` exists: a hard link fails if it does (atomically), then the
    temp name is removed. A file system without hard links gets a check just before the rename."""
    try:
        linked = _hard_link(tmp, path)
    except FileExistsError:
        raise FileCreatedMeanwhile(path) from None
    if linked:
        os.unlink(tmp)
        return
    if os.path.lexists(path):  # no hard links here: the narrowest check there is
        raise FileCreatedMeanwhile(path) from None
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", encoding: str | None = None,
                 newline: str | None = None, exclusive: bool = False) -> Iterator[IO]:
    """Open ``path`` for writing; the content replaces it only when the block ends without error.
    ``exclusive``: only if ``path`` still does not exist by then (see :func:`replace_together`): the caller found
    it absent when the run began (a command without ``--force`` refuses an existing output up front), so a file
    there now, even one that appeared while the run read its input, was written by another program.

    Raises:
        InputError: the path is a directory or a dangling link.
        FileCreatedMeanwhile: ``exclusive``, and another program wrote ``path`` meanwhile (this run's file is saved
            beside it under a name of its own, its ``kept``: :func:`names_beside`).
    """
    path, streamed = write_target(path)
    if streamed:
        try:
            with _closed(open(path, mode, encoding=encoding, newline=newline)) as fh:  # noqa: SIM115
                yield fh
        except OSError as exc:  # /dev/full: the error names the output, as for a file written atomically
            named = _named(exc, path)
            if named is not exc:
                raise named from None
            raise
        _committed(path)
        return
    with made_parent(path), contextlib.ExitStack() as stack:
        with signals_held():  # a SIGTERM between creating the temp file and guarding it would leave it behind
            fd, tmp = _mkstemp(path, ".tmp")
            stack.enter_context(_replaced_when_done(tmp, path, exclusive))
            fh = stack.enter_context(_closed(os.fdopen(fd, mode, encoding=encoding, newline=newline)))
        # mkstemp creates 0600; give the file the mode a plain open() would (or keep the old one).
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_UMASK)
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def _closed(fh: IO) -> Iterator[IO]:
    """``fh``, closed when the block ends in any case. A close that fails while an error ends the block (its flush
    hits the full disk that error came from again) does not replace that error, which says what happened and what
    to do (a Parquet writer's advice by its cause: :func:`write_fix`); the close's error is dropped (the file is
    closed all the same, and the temp file removed)."""
    try:
        yield fh
    except BaseException:
        with contextlib.suppress(OSError):
            fh.close()
        raise
    fh.close()


SQLITE_LEFTOVERS = ("-journal", "-wal", "-shm")
"""The files SQLite keeps beside a database ``x.sqlite`` (``x.sqlite-journal``, ``-wal``, ``-shm``), which it
replays into whatever file has that name when it next opens it."""


SQLITE_HEADER = b"SQLite format 3\0"
"""The first 16 bytes of every SQLite database file."""


def clear_sqlite_leftovers(path: str | Path) -> None:
    """Remove the rollback journal, write-ahead log and its index SQLite left beside ``path`` (a database being
    replaced: they belong to the old file, and SQLite would replay them into the new one on first open, corrupting
    it), unless another program has the old database open — a notebook or a DB browser, found by trying an
    exclusive lock on it — whose files they still are. Nothing beside ``path``: the lock is tried all the same (a
    reader inside a transaction holds a shared lock with no file beside the database), and the write refused when
    it is refused at once; nothing else is done.

    Raises:
        SqliteInUse: another program has ``path`` open (naming it and what to do), or a leftover cannot be removed.

    Example:
        >>> clear_sqlite_leftovers(tmp / "none.sqlite")  # doctest: +SKIP
    """
    path = Path(path)
    found = [Path(f"{path}{suffix}") for suffix in SQLITE_LEFTOVERS if os.path.lexists(f"{path}{suffix}")]
    problem = _sqlite_in_use(path) if os.path.isfile(path) else None
    if problem == "busy":  # nothing beside it, a reader: it would go on reading the replaced file, unseen
        who, fix = ((f" (a notebook or a DB browser: {found[0].name} is beside it)", "") if found else
                    (", which is reading it (a notebook or a DB browser)", " (or end its transaction)"))
        raise SqliteInUse(path, f"{path}: the SQLite database is open in another program{who}",
                          f"close it there{fix}", " and run again, or choose another output")
    if not found:
        return
    if problem is not None:  # no lock taken: whether a program still writes into the leftovers cannot be told
        leftovers = ", ".join(f.name for f in found)
        raise SqliteInUse(path, f"{path}: {found[0].name} is beside it, and whether another program has the database "
                          f"open cannot be checked ({problem})", f"if none has, remove {leftovers}",
                          ", or choose another output")
    for leftover in found:
        try:
            leftover.unlink()
        except FileNotFoundError:  # SQLite removed it on closing the lock probe (a write-ahead log it checkpointed)
            pass
        except OSError as exc:
            raise SqliteInUse(path, f"{path}: cannot remove {leftover.name} beside it ({exc.strerror or exc}), which "
                              "SQLite would replay into the new file", "remove it",
                              ", or choose another output") from None
    log.info("removed %s left beside %s by the SQLite database it replaces", ", ".join(f.name for f in found), path.name)


class SqliteInUse(InputError):
    """The SQLite database ``path`` an output is to replace is in use by another program, or whether it is cannot
    be told (:func:`clear_sqlite_leftovers`): ``problem`` says which, ``step`` what to do about it, ``then`` how to go
    on (``" and run again, or choose another output"``). Found as a run ends, its finished output is ``kept`` beside
    the database (:meth:`kept_as`), and the message says where, and to move it over the database after ``step``.

    Example:
        >>> exc = SqliteInUse(Path("x.sqlite"), "x.sqlite: the SQLite database is open in another program",
        ...                   "close it there", " and run again, or choose another output")
        >>> print(exc)
        x.sqlite: the SQLite database is open in another program; close it there and run again, or choose another output
        >>> print(exc.kept_as(Path("x.new.sqlite")))  # doctest: +NORMALIZE_WHITESPACE
        x.sqlite: the SQLite database is open in another program, so it was not replaced: this run's output was saved
        as x.new.sqlite instead; close it there, then move x.new.sqlite over x.sqlite (or use it where it is)
    """

    def __init__(self, path: Path, problem: str, step: str, then: str, kept: Path | None = None) -> None:
        self.path, self.problem, self.step, self.then, self.kept = path, problem, step, then, kept
        super().__init__(f"{problem}, so it was not replaced: this run's output was saved as {kept} instead; {step}, "
                         f"then move {kept.name} over {path.name} (or use it where it is)" if kept else
                         f"{problem}; {step}{then}")

    def __reduce__(self):  # picklable with its parts (worker processes send errors back)
        return type(self), (self.path, self.problem, self.step, self.then, self.kept)

    def kept_as(self, kept: Path | None) -> SqliteInUse:
        """This error, the run's finished output having been saved as ``kept`` (``None``: it could not be: the
        error as it was)."""
        return self if kept is None else SqliteInUse(self.path, self.problem, self.step, self.then, kept)


def _sqlite_in_use(path: Path) -> str | None:
    """Whether another program has ``path`` open, a database about to be replaced (with or without a journal or log
    beside it): ``None`` when an exclusive lock on it was taken (no other connection holds it, and any leftovers
    beside it may be removed; taking the lock replays a journal or log of a program that ended into the old file,
    whose own it is) or SQLite reads no database there (no connection can be using one); ``"busy"`` when the lock is
    refused at once (a write-ahead-log database's readers hold it open while idle, a reader inside a transaction
    holds it with nothing beside the file, a rollback journal's owner while it writes); else why the lock could not
    be tried (a file that cannot be opened for writing, a disk error): leftovers beside it may still be another
    program's, and are kept.

    The probe writes nothing into the old file, which stays as it was when the run then fails: a file without
    SQLite's header (empty, or text) holds no database and so no lock to find, and is not opened (``BEGIN
    EXCLUSIVE``/``COMMIT`` wrote a database header into an empty file, 0 bytes became 4,096); on a database the
    lock is taken and given back with ``ROLLBACK``, nothing written. The connection is opened for writing all the
    same: only a writer can ask for the exclusive lock that tells whether another connection reads the file (a
    read-only one takes a shared lock, which readers share). A journal or log of a program that ended is replayed
    into the file (its committed rows; as any program opening the database does)."""
    import sqlite3

    busy = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
    not_a_database = 26  # SQLITE_NOTADB
    try:
        with open(path, "rb") as fh:
            if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return None
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=0, isolation_level=None)
    except sqlite3.Error as exc:
        return str(exc) or type(exc).__name__
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("ROLLBACK")  # nothing to keep: a probe writes nothing
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code in busy or "locked" in str(exc):
            return "busy"
        if code == not_a_database:
            return None
        return str(exc) or type(exc).__name__
    finally:
        conn.close()
    return None


@contextlib.contextmanager
def atomic_path(path: str | Path, what: str = "this format", exclusive: bool = False, *,
                sqlite: bool = False) -> Iterator[Path]:
    """A temp file path beside ``path`` for writers that need a file name rather than a stream (SQLite);
    it replaces ``path`` only when the block ends without error, else it is removed (``exclusive``: as for
    :func:`atomic_write`). ``sqlite``: the file is a SQLite database; just before the rename, the journal and
    write-ahead log the old one left are removed, or the write is refused while another program has it open
    (:func:`clear_sqlite_leftovers`; also checked at the start, before any work): found then, the finished file is
    kept beside it (:class:`SqliteInUse`, its ``kept``).

    Raises:
        InputError: ``path`` is a device, FIFO or socket (``what`` needs a regular file), a directory or
            a dangling link.
        SqliteInUse: ``sqlite``, and another program has the old database open.

    Example:
        >>> with atomic_path(tmp / "x.sqlite", sqlite=True) as tmp_file:  # doctest: +SKIP
        ...     sqlite3.connect(tmp_file).close()
    """
    path, streamed = write_target(path)
    if streamed:
        raise InputError(f"{path}: {what} needs a regular file; give a file name")
    if sqlite:
        clear_sqlite_leftovers(path)  # refused before minutes of work, not after them
    with made_parent(path), contextlib.ExitStack() as stack:
        with signals_held():  # as in atomic_write: the temp file is guarded from the moment it exists
            tmp = temp_path_beside(path, ".tmp")
            stack.enter_context(_replaced_when_done(tmp, path, exclusive,
                                                    clear_sqlite_leftovers if sqlite else None))
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_marked_block(path: str | Path, start: str, end: str) -> str:
    """The text of a file whose generated block (between ``start`` and ``end``) can be replaced: each
    marker exactly once, ``start`` before ``end`` (line breaks kept as they are).

    Raises:
        InputError: the file cannot be read, or a marker is missing, repeated or out of order (naming it).
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    for marker in (start, end):
        n = text.count(marker)
        if n != 1:
            raise InputError(f"{path}: the marker {marker} is there {n} times, not once; put back exactly one "
                             f"{start} … {end} pair around the generated block (git diff shows what changed)")
    if text.index(start) > text.index(end):
        raise InputError(f"{path}: {end} comes before {start}; put the generated block between them in that order")
    return text


def replace_marked_block(path: str | Path, start: str, end: str, block: str) -> bool:
    """Replace the text between the ``start`` and ``end`` markers of a file (a README's generated table)
    with ``block``, atomically, keeping the file's line breaks (``\r\n`` stays ``\r\n``); returns
    whether the file changed.

    Raises:
        InputError: see :func:`check_marked_block`.
    """
    path = Path(path)
    text = check_marked_block(path, start, end)
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    eol = "\r\n" if "\r\n" in text else "\n"
    new = f"{head}{start}{eol}{eol.join(block.splitlines())}{eol}{end}{tail}"
    if new != text:
        with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(new)
    return new != text
