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
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

from .errors import ModelFileError
from .schema import LABELS

__all__ = ["FORMAT_VERSION", "save_model", "load_model", "atomic_write", "library_versions",
           "manifest_path", "file_sha256", "DEFAULT_MODEL"]

FORMAT_VERSION = 4  # 2: hashed TF-IDF features; 3: code-point polynomial hashing; 4: column names packed
READABLE_FORMATS = (3, 4)  # format 3 differs only in how column names are pickled (read as such)
DEFAULT_MODEL = Path("models") / "tagger.joblib"


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", encoding: str | None = None):
    """Write to a temp file in the same directory, fsync, then rename over ``path``.

    An interrupted write leaves the previous file untouched and no partial file behind.

    Example:
        >>> with atomic_write(tmp / "x.txt", "w", encoding="utf-8") as fh:  # doctest: +SKIP
        ...     fh.write("hello")
    """
    path = Path(path)
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


def save_model(model, path: str | Path = DEFAULT_MODEL, **metadata) -> Path:
    """Write ``model`` with joblib and a manifest beside it, both atomically.

    ``metadata`` (e.g. ``data_hash``, ``cv_summary``, ``n_train``) is stored in the manifest.
    """
    import joblib

    path = Path(path)
    # Crash safety for a pair of files: the model and a *pending* manifest are each written
    # atomically, then the model is renamed into place, then the pending manifest. Whatever moment a
    # run is killed at, load_model finds a consistent pair (see there).
    pending = _pending_manifest(path)
    with atomic_write(path.with_name(f".{path.name}.new")) as fh:
        joblib.dump(model, fh, compress=3)
    new_model = path.with_name(f".{path.name}.new")
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
    os.replace(new_model, path)
    os.replace(pending, manifest_path(path))
    return path


def _pending_manifest(model_path: Path) -> Path:
    return manifest_path(model_path).with_name(f".{manifest_path(model_path).name}.pending")


def _finish_interrupted_save(path: Path) -> None:
    """If a save was killed between its two renames, the pending manifest describes the model now in
    place: finish the save. A pending manifest of a model that never made it is left alone."""
    pending = _pending_manifest(path)
    if not pending.exists():
        return
    try:
        candidate = json.loads(pending.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if candidate.get("model_sha256") == file_sha256(path):
        os.replace(pending, manifest_path(path))


def load_model(path: str | Path = DEFAULT_MODEL, trust: bool = False):
    """Load a model, checking manifest, checksum, format version, labels and library versions.

    Raises:
        ModelFileError: missing model, missing manifest (unless ``trust``), checksum mismatch,
            other format version or label set.
    """
    import joblib

    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no model file; train one with: python train.py")
    mpath = manifest_path(path)
    _finish_interrupted_save(path)
    manifest = None
    if mpath.exists():
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"{mpath}: unreadable manifest ({exc}); retrain with python train.py") from None
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
        if file_sha256(path) != manifest.get("model_sha256"):
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
        model = joblib.load(path)
    except Exception as exc:  # corrupt or foreign file
        raise ModelFileError(f"{path}: cannot load model ({type(exc).__name__}: {exc}); retrain with python train.py") from None
    model.manifest_ = manifest or {}
    return model
