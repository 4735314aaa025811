"""Saving and loading models: joblib file + JSON manifest, atomic writes, integrity checks.

Security: joblib/pickle files execute code when loaded. Load only model files you trust. A model
file without its manifest is refused unless ``trust=True`` is passed explicitly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import stat
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

from .errors import InputError, ModelFileError
from .schema import LABELS

__all__ = ["FORMAT_VERSION", "save_model", "load_model", "atomic_write", "library_versions",
           "manifest_path", "file_sha256", "DEFAULT_MODEL", "write_target", "would_overwrite"]

FORMAT_VERSION = 4  # 2: hashed TF-IDF features; 3: code-point polynomial hashing; 4: column names packed
READABLE_FORMATS = (3, 4)  # format 3 differs only in how column names are pickled (read as such)
DEFAULT_MODEL = Path("models") / "tagger.joblib"


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


def would_overwrite(path: str | Path) -> bool:
    """Whether writing ``path`` would replace an existing file's content (devices and pipes: no)."""
    try:
        target, streamed = write_target(path)
    except InputError:
        return False  # the write itself reports the problem
    return not streamed and target.exists()


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", encoding: str | None = None):
    """Write to a temp file in the same directory, fsync, then rename over ``path``.

    An interrupted write leaves the previous file untouched and no partial file behind. A device,
    FIFO or socket (``-o /dev/stdout``) is written in place instead (see :func:`write_target`).

    Example:
        >>> with atomic_write(tmp / "x.txt", "w", encoding="utf-8") as fh:  # doctest: +SKIP
        ...     fh.write("hello")
    """
    path, streamed = write_target(path)
    if streamed:
        with open(path, mode, encoding=encoding) as fh:
            yield fh
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; give the file the mode a plain open() would (or keep the old one).
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once at import: os.umask cannot be read without setting it


def _umask() -> int:
    return _UMASK


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_path(model_path: str | Path) -> Path:
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".manifest.json")


def library_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("tagger", "scikit-learn", "numpy", "scipy", "joblib", "jieba", "rjieba", "opencc"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


@contextlib.contextmanager
def _pair_lock(path: Path, exclusive: bool):
    """Hold the model's lock file (``.<name>.lock`` beside it): exclusive while a save renames the
    model/manifest pair into place, shared while a load reads the pair, so a load never sees one
    save's model with another's manifest. Where the folder is read-only there is no lock (and no
    save either)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock (the checksum check still refuses a mixed pair)
        yield
        return
    try:
        fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _temp_beside(path: Path, suffix: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(tmp)


def save_model(model, path: str | Path = DEFAULT_MODEL, **metadata) -> Path:
    """Write ``model`` with joblib and a manifest beside it, both atomically, as one pair.

    ``metadata`` (e.g. ``data_hash``, ``cv_summary``, ``n_train``) is stored in the manifest. Both
    files are written to temp files of their own (unique names: saves may run at once), then renamed
    into place model first, under the model's lock. If a run is killed between the two renames, the
    manifest stays behind as ``.<manifest>.<random>.pending`` and the next load completes the pair.
    """
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new_model = _temp_beside(path, ".model.tmp")
    pending = _temp_beside(manifest_path(path), ".pending")
    try:
        with atomic_write(new_model) as fh:
            joblib.dump(model, fh, compress=3)
        manifest = {
            "format_version": FORMAT_VERSION,
            "labels": list(LABELS),
            "thresholds": {lab: float(t) for lab, t in zip(LABELS, model.thresholds_)},
            "hyperparameters": model.hp.to_dict(),
            "versions": library_versions(),
            "model_file": path.name,
            "model_sha256": file_sha256(new_model),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **metadata,
        }
        with atomic_write(pending, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
        with _pair_lock(path, exclusive=True):
            os.replace(new_model, path)
            os.replace(pending, manifest_path(path))
    except BaseException:
        for leftover in (new_model, pending):
            with contextlib.suppress(OSError):
                leftover.unlink()
        raise
    return path


def _finish_interrupted_save(path: Path) -> None:
    """If a save was killed between its two renames, its pending manifest describes the model now in
    place: finish the save. Pending manifests of models that never made it are left alone (they
    belong to saves still running, or are harmless debris of killed ones). Call under the lock."""
    mpath = manifest_path(path)
    try:
        current = file_sha256(path)
    except OSError:
        return
    for pending in sorted(path.parent.glob(f".{mpath.name}.*.pending")):
        try:
            candidate = json.loads(pending.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if candidate.get("model_sha256") == current:
            os.replace(pending, mpath)
            return


def _read_pair(path: Path) -> tuple[bytes, bytes | None]:
    """The model's bytes and its manifest's bytes (``None`` when there is none), read as one pair."""
    mpath = manifest_path(path)
    with _pair_lock(path, exclusive=False):
        data = path.read_bytes()
        manifest = mpath.read_bytes() if mpath.exists() else None
    if manifest is not None:
        with contextlib.suppress(ValueError, AttributeError):
            if json.loads(manifest).get("model_sha256") == hashlib.sha256(data).hexdigest():
                return data, manifest
    # A save killed between its renames leaves a pending manifest: complete the pair, then read it.
    with _pair_lock(path, exclusive=True):
        _finish_interrupted_save(path)
        return path.read_bytes(), (mpath.read_bytes() if mpath.exists() else None)


def load_model(path: str | Path = DEFAULT_MODEL, trust: bool = False):
    """Load a model, checking manifest, checksum, format version, labels and library versions.

    Raises:
        ModelFileError: missing model, missing manifest (unless ``trust``), checksum mismatch,
            other format version or label set.
    """
    import io

    import joblib

    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory; give the model file (e.g. {path / DEFAULT_MODEL.name})")
    if not path.exists():
        raise ModelFileError(f"{path}: no model file; train one with: python train.py")
    mpath = manifest_path(path)
    try:
        data, manifest_bytes = _read_pair(path)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    manifest = None
    if manifest_bytes is not None:
        try:
            manifest = json.loads(manifest_bytes.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ModelFileError(f"{mpath}: unreadable manifest ({exc}); retrain with python train.py") from None
        if not isinstance(manifest, dict):
            raise ModelFileError(f"{mpath}: not a manifest (expected a JSON object); retrain with python train.py")
    elif not trust:
        raise ModelFileError(
            f"{path}: no manifest {mpath.name} beside it, so its origin cannot be checked. Model files "
            "run code when loaded: retrain with python train.py, or pass trust=True if you trust it"
        )
    if manifest is not None:
        if manifest.get("format_version") not in READABLE_FORMATS:
            raise ModelFileError(
                f"{path}: model format {manifest.get('format_version')} but this tagger reads formats "
                f"{', '.join(map(str, READABLE_FORMATS))}; retrain with python train.py"
            )
        if manifest.get("labels") != list(LABELS):
            raise ModelFileError(
                f"{path}: model labels {manifest.get('labels')} differ from this tagger's {list(LABELS)}; "
                "retrain with python train.py"
            )
        if hashlib.sha256(data).hexdigest() != manifest.get("model_sha256"):
            raise ModelFileError(
                f"{path}: model file changed since it was written (sha256 mismatch with {mpath.name}): "
                "retrain with python train.py or restore it"
            )
        trained = manifest.get("versions", {}).get("scikit-learn")
        now = library_versions().get("scikit-learn")
        if trained and trained != now:
            warnings.warn(
                f"{path} was trained with scikit-learn {trained} but {now} is installed; predictions "
                f"may differ: retrain with python train.py or install scikit-learn=={trained}",
                stacklevel=2,
            )
    try:
        model = joblib.load(io.BytesIO(data))
    except Exception as exc:  # corrupt or foreign file
        raise ModelFileError(f"{path}: cannot load model ({type(exc).__name__}: {exc}); retrain with python train.py") from None
    model.manifest_ = manifest or {}
    return model
