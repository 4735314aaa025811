"""Exceptions for user-facing errors. The CLI prints their message (no traceback) and exits non-zero."""

from __future__ import annotations

__all__ = ["TaggerError", "InputError", "LabelFileError", "ModelFileError"]


class TaggerError(Exception):
    """Base class of errors caused by user input; the message says what to do."""


class InputError(TaggerError, ValueError):
    """A report or data file cannot be read (names the file and, where known, the line)."""


class LabelFileError(TaggerError, ValueError):
    """A label file is malformed or no longer matches the reports it labels."""


class ModelFileError(TaggerError, OSError):
    """A model file is missing, changed, or incompatible with this version of tagger."""
