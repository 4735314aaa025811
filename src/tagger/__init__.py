"""tagger: tag paragraphs of Chinese power-utility service reports with the kinds of public service
they report.

Example:
    >>> import tagger
    >>> model = tagger.load()  # doctest: +SKIP
    >>> model.predict(["党员志愿者为孤寡老人义务检查线路。"])  # doctest: +SKIP
    [['elderly_care', 'volunteer_work']]

Importing the package is cheap: numpy, rjieba and OpenCC load when text is first tagged, and
scikit-learn, scipy and pandas only for training, evaluation and data frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, LabelFileError, ModelFileError, NotFittedError, TaggerError
from .labels import LABELS

if TYPE_CHECKING:
    from .model.tagger import Tagger
    from .model.results import TagResult

__version__ = "0.2.0"

__all__ = ["__version__", "LABELS", "Tagger", "TagResult", "load", "tag", "tag_frame", "decide_frame", "normalize",
           "split_report",
           "read_report", "TaggerError", "InputError", "LabelFileError", "ModelFileError", "NotFittedError"]

_LAZY = {"Tagger": ("model.tagger", "Tagger"), "TagResult": ("model.results", "TagResult"),
         "tag_frame": ("pipeline", "tag_frame"), "decide_frame": ("pipeline", "decide_frame"),
         "normalize": ("text.normalize", "normalize"),
         "split_report": ("text.report", "split_report"), "read_report": ("text.report", "read_report"),
         "Paragraph": ("text.report", "Paragraph")}
_DEFAULT: dict[str, object] = {}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tagger' has no attribute {name!r}")


def load(path: str | Path | None = None) -> Tagger:
    """Load a trained model: ``path``, else ``$TAGGER_MODEL``, else the checkout's ``models/tagger.npz``,
    else the per-user data folder (see :mod:`tagger.common.paths`).

    Raises:
        ModelFileError: with what to do (e.g. run ``python train.py``) if it is missing or changed.
    """
    from .model.persistence import load_model

    return load_model(path)


def tag(report: str, doc: str | int = "report", evidence: bool = True) -> list[TagResult]:
    """Tag a whole report with the default model (loaded once per process and kept), as :meth:`Tagger.tag` does
    (``evidence=False``: no evidence terms, faster)."""
    from .model.results import tag_report

    model = _DEFAULT.get("model")
    if model is None:
        model = _DEFAULT["model"] = load()
    return tag_report(model, report, doc, evidence)
