"""tagger: tag paragraphs of Chinese power-utility service reports with the kinds of public service
they report.

Example:
    >>> import tagger
    >>> model = tagger.load()  # doctest: +SKIP
    >>> model.predict(["党员志愿者为孤寡老人义务检查线路。"])  # doctest: +SKIP
    [['elderly_care', 'volunteer_work']]
"""

from __future__ import annotations

from pathlib import Path

from .config import Hyperparameters
from .errors import InputError, LabelFileError, ModelFileError, TaggerError
from .model import Tagger, TagResult
from .normalize import normalize
from .reader import Paragraph, read_report, split_report
from .schema import LABELS

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "LABELS",
    "Hyperparameters",
    "Tagger",
    "TagResult",
    "Paragraph",
    "load",
    "tag",
    "normalize",
    "read_report",
    "split_report",
    "TaggerError",
    "InputError",
    "LabelFileError",
    "ModelFileError",
]

_DEFAULT = None


def _default_model_path() -> Path:
    from .persistence import DEFAULT_MODEL

    return DEFAULT_MODEL


def load(path: str | Path | None = None, trust: bool = False) -> Tagger:
    """Load a trained model (default ``models/tagger.joblib``).

    Raises:
        ModelFileError: with what to do (e.g. run ``python train.py``) if it is missing or changed.
    """
    from .persistence import load_model

    return load_model(path or _default_model_path(), trust=trust)


def tag(report: str, doc: str = "report") -> list[TagResult]:
    """Tag a whole report with the default model (loaded once and kept)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load()
    return _DEFAULT.tag(report, doc)
