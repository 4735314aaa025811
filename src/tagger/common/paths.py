"""Where the default model is: one rule for the library, the CLI and the review server.

1. ``$TAGGER_MODEL`` if set;
2. else ``models/tagger.npz`` of the project checkout: the one a command names (``--root``), else the
   current folder or one above it that has ``labels/`` next to ``seeds/``, or the checkout this package
   is installed from (editable install);
3. else ``tagger/tagger.npz`` in the per-user data folder (``$XDG_DATA_HOME``, default
   ``~/.local/share``; ``%LOCALAPPDATA%`` on Windows).

``train.py`` writes to the same place it would be loaded from.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_model_path", "default_model_source", "model_file", "find_checkout", "MODEL_NAME"]

MODEL_NAME = "tagger.npz"


def find_checkout(start: str | Path | None = None) -> Path | None:
    """The project checkout containing ``start`` (default: the current folder), else the one this
    package's source lives in, else ``None``."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "labels").is_dir() and (folder / "seeds").is_dir():
            return folder
    source = Path(__file__).resolve().parents[3]  # src/tagger/common/paths.py -> checkout
    if (source / "labels").is_dir() and (source / "seeds").is_dir():
        return source
    return None


def user_data_dir() -> Path:
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "tagger"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "tagger"


def _default_model(root: str | Path | None) -> tuple[Path, str]:
    """The model file to use when none is named and which rule of the module doc gives it: the one place of
    their order (:func:`default_model_path`, :func:`default_model_source`)."""
    env = os.environ.get("TAGGER_MODEL", "").strip()
    if env:
        return Path(env).expanduser(), "env"  # set in a unit file or .env, "~" is not expanded by a shell
    if root is not None:
        return Path(root) / "models" / MODEL_NAME, "checkout"
    checkout = find_checkout()
    if checkout is not None:
        return checkout / "models" / MODEL_NAME, "checkout"
    return user_data_dir() / MODEL_NAME, "user"


def default_model_path(root: str | Path | None = None) -> Path:
    """The model file to use when none is named (see the module doc); ``root``: the project checkout a
    command works on (``--root``), whose ``models/tagger.npz`` it is unless ``$TAGGER_MODEL`` is set."""
    return _default_model(root)[0]


def model_file(path: str | Path | None = None, root: str | Path | None = None) -> Path:
    """The model file ``path`` names, ``~`` expanded (a path from Python or a config file meets no shell), else
    :func:`default_model_path` (of ``root``): the one place a model's path is decided.

    Example:
        >>> model_file("~/m.npz") == Path.home() / "m.npz"
        True
    """
    return Path(path).expanduser() if path is not None else default_model_path(root)


def default_model_source(root: str | Path | None = None) -> str:
    """Which rule of the module doc gives :func:`default_model_path`: ``"env"`` (``$TAGGER_MODEL``),
    ``"checkout"`` (``models/tagger.npz`` of a project checkout) or ``"user"`` (the per-user data folder).

    Example:
        >>> default_model_source(root=".") in ("env", "checkout")
        True
    """
    return _default_model(root)[1]
