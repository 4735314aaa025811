"""The optional compiled kernels (``tagger._speedups``, built from ``_speedups.c`` at install time).

They do the per-character work of normalisation, segmentation clean-up, lexicon matching and the
hashed character and word blocks in one pass, mostly without the interpreter lock, and give the same
results as the Python/numpy code bit for bit (``tests/test_speedups.py``). When the extension could
not be built (no C compiler) or the environment variable ``TAGGER_NO_SPEEDUPS`` is set (to anything
but ``0`` or nothing) when tagger is imported, the Python/numpy code runs: same results, slower.

Example:
    >>> status() in ("compiled", "numpy (not built)", "numpy (switched off by TAGGER_NO_SPEEDUPS)")
    True
"""

from __future__ import annotations

import os
from types import ModuleType

try:
    from . import _speedups as _built
except ImportError:  # not built: the numpy code runs
    _built = None

__all__ = ["kernels", "status"]

_SWITCHED_OFF = os.environ.get("TAGGER_NO_SPEEDUPS", "").strip() not in ("", "0")
_compiled = None if _SWITCHED_OFF else _built  # tests set this to None to run the numpy code


def kernels() -> ModuleType | None:
    """The compiled kernels, or ``None`` when they are not built or switched off."""
    return _compiled


def status() -> str:
    """``"compiled"``, ``"numpy (switched off by TAGGER_NO_SPEEDUPS)"``, ``"numpy (not built)"``, or
    ``"numpy (switched off)"`` when ``_compiled`` was set to ``None`` (as tests do)."""
    if _built is None:
        return "numpy (not built)"
    if _SWITCHED_OFF:
        return "numpy (switched off by TAGGER_NO_SPEEDUPS)"
    return "compiled" if _compiled is not None else "numpy (switched off)"
