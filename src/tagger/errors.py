"""Exceptions for user-facing errors. The CLI prints their message (no traceback) and exits non-zero."""

from __future__ import annotations

import sys

__all__ = ["TaggerError", "InputError", "DecodeError", "FileInUseError", "SkippableError", "UsageError",
           "LabelFileError", "label_file_error", "ModelFileError", "ModelPathError", "OutputFolderError",
           "NotFittedError", "not_fitted", "quote_cell", "QUOTE_CHARS"]

QUOTE_CHARS = 60
"""Most characters of a cell an error message quotes (a cell can be a whole paragraph)."""


class TaggerError(Exception):
    """Base class of errors caused by user input; the message says what to do. The CLI shows a message on one
    line (a line feed from an input would start a line that reads as another message) — unless ``keeps_lines``:
    lines the user is to copy (rows to append to a file), shown line by line, each escaped."""

    keeps_lines = False


class InputError(TaggerError, ValueError):
    """A report or data file cannot be read (names the file and, where known, the line)."""


class DecodeError(InputError):
    """Bytes that cannot be decoded as text as they were read. The message ends with ``fix``: what to do
    with a command that has ``--encoding`` (all that read reports); :meth:`without_option` is the message
    for a file no command reads with one (label files, the lexicon): save it as UTF-8.

    Example:
        >>> exc = DecodeError("a.jsonl: cannot decode line 2 (it was read as utf-8)", "pass --encoding")
        >>> str(exc)
        'a.jsonl: cannot decode line 2 (it was read as utf-8); pass --encoding'
        >>> exc.without_option()
        'a.jsonl: cannot decode line 2 (it was read as utf-8); save the file as UTF-8 (a line in another encoding, e.g. GBK, pasted into a UTF-8 file: re-save or re-type that line)'
    """

    def __init__(self, problem: str, fix: str, fix_without_option: str | None = None) -> None:
        self.problem, self.fix, self.fix_without_option = problem, fix, fix_without_option
        super().__init__(f"{problem}; {fix}")

    def __reduce__(self):  # picklable with its parts (worker processes send errors back)
        return type(self), (self.problem, self.fix, self.fix_without_option)

    def without_option(self) -> str:
        """The message without ``--encoding``: ``fix_without_option`` where given (a whole file in another
        encoding), else the advice for a line pasted in another one."""
        return f"{self.problem}; " + (self.fix_without_option or "save the file as UTF-8 (a line in another encoding, "
                                      "e.g. GBK, pasted into a UTF-8 file: re-save or re-type that line)")


class FileInUseError(InputError):
    """A file another run has open (a review session, ``tagger tag`` reading it back or writing into it): nothing in
    it is wrong. The message names the file, the run and what to do (wait for it, or stop it)."""


class SkippableError(InputError):
    """A bad cell a caller can choose to pass over (:mod:`tagger.analysis.stats` raises it for a date cell it cannot
    read; ``skipped`` says what passing over does): the message ends with how, in a Python caller's words
    (``on_error="skip"``); :meth:`with_option` is the message for a command with ``--on-error`` (``tagger stats``,
    ``tagger tag``), which the CLI shows for such a command. ``fix`` may be empty: the problem says what to do, or
    nothing can be done but passing over (a bad input of ``tagger tag``). The one wording of that advice.

    Example:
        >>> exc = SkippableError("t.csv:3: date is 'x', not a date", "write dates as YYYY-MM-DD",
        ...                      "count such rows as having no date")
        >>> print(exc)
        t.csv:3: date is 'x', not a date; write dates as YYYY-MM-DD, or pass on_error="skip" to count such rows as having no date
        >>> print(exc.with_option())
        t.csv:3: date is 'x', not a date; write dates as YYYY-MM-DD, or pass --on-error skip to count such rows as having no date
        >>> print(SkippableError("a.txt: empty file, nothing to tag", "", "skip such inputs").with_option())
        a.txt: empty file, nothing to tag; pass --on-error skip to skip such inputs
    """

    def __init__(self, problem: str, fix: str, skipped: str) -> None:
        self.problem, self.fix, self.skipped = problem, fix, skipped
        super().__init__(self._said('on_error="skip"'))

    def __reduce__(self):  # picklable with its parts (worker processes send errors back)
        return type(self), (self.problem, self.fix, self.skipped)

    def _said(self, how: str) -> str:
        return f"{self.problem}; {f'{self.fix}, or ' if self.fix else ''}pass {how} to {self.skipped}"

    def with_option(self) -> str:
        """The message for a command with ``--on-error``."""
        return self._said("--on-error skip")


class UsageError(InputError):
    """Options that contradict each other or cannot work together (the CLI exits with 2)."""


class LabelFileError(TaggerError, ValueError):
    """A label file is malformed or no longer matches the reports it labels."""


def label_file_error(exc: InputError) -> LabelFileError:
    """A label file's reading error as a :class:`LabelFileError`; a decoding error's hint says to save the file
    as UTF-8, since no command reads label files with ``--encoding`` (:meth:`DecodeError.without_option`). The one
    wording of every reader of a file of the project's ``labels/`` folder.

    Example:
        >>> str(label_file_error(DecodeError("lex.csv: cannot decode line 2", "pass --encoding")))[:53]
        'lex.csv: cannot decode line 2; save the file as UTF-8'
        >>> label_file_error(InputError("lex.csv: no such file; check its name and path"))
        LabelFileError('lex.csv: no such file; check its name and path')
    """
    return LabelFileError(exc.without_option() if isinstance(exc, DecodeError) else str(exc))


class ModelFileError(TaggerError, OSError):
    """A model file is missing, changed, or incompatible with this version of tagger."""


class _ChooseAnother:
    """An error whose message is ``problem``, then ``fix`` (what to do) in which :data:`ANOTHER_PATH` marks the way
    out whatever the cause: said in a Python caller's words (``choose another`` :attr:`WHAT`), or with the option
    that names the path (:meth:`with_option`, which the CLI shows). The one wording of this advice."""

    ANOTHER_PATH = "\0"
    """The mark of the way out in ``fix`` (NUL: in no file name the fix may quote)."""
    WHAT = "path"
    """What a Python caller is told to choose another of."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem, self.fix = problem, fix
        super().__init__(self._said(self.WHAT))

    def __reduce__(self):  # picklable with its two parts
        return type(self), (self.problem, self.fix)

    def _said(self, what: str) -> str:
        return f"{self.problem}; {self.fix.replace(self.ANOTHER_PATH, f'choose another {what}')}"

    def with_option(self, option: str) -> str:
        """The message for a command whose ``option`` names the path."""
        return self._said(option)


class ModelPathError(_ChooseAnother, ModelFileError):
    """No model can be written where it was to go: ``problem``, then ``fix`` (what to do) in which
    :data:`ANOTHER_PATH` marks the way out whatever the cause. The message says it in a Python caller's words
    (``choose another path``: ``save()`` has no option); :meth:`with_option` is the message for a command that
    names the path with an option (``tagger train --out``). The one place that words this advice: library code
    raises it, the CLI shows :meth:`with_option`.

    Example:
        >>> exc = ModelPathError("m.npz: cannot write the model (No space left on device)",
        ...                      f"free some space there, or {ModelPathError.ANOTHER_PATH}")
        >>> print(exc)
        m.npz: cannot write the model (No space left on device); free some space there, or choose another path
        >>> print(exc.with_option("--out"))
        m.npz: cannot write the model (No space left on device); free some space there, or choose another --out
    """


class OutputFolderError(_ChooseAnother, InputError):
    """No report can be written in an output folder (:func:`tagger.common.atomic.check_output_folder`): as
    :class:`ModelPathError`, said as ``choose another output folder``, or with the command's option
    (:meth:`with_option`: ``tagger evaluate --out``).

    Example:
        >>> print(OutputFolderError("/dev/null: is not a folder", OutputFolderError.ANOTHER_PATH).with_option("--out"))
        /dev/null: is not a folder; choose another --out
    """

    WHAT = "output folder"


class NotFittedError(ValueError, AttributeError):
    """A model used before ``fit`` (the same bases as scikit-learn's ``NotFittedError``)."""


_COMBINED: dict[type, type] = {}


def not_fitted(message: str) -> NotFittedError:
    """The error to raise for an unfitted model: ours, and also scikit-learn's ``NotFittedError`` when
    scikit-learn is loaded (so ``except sklearn.exceptions.NotFittedError`` catches it) — without
    importing scikit-learn, which would cost seconds."""
    sk = sys.modules.get("sklearn.exceptions")
    if sk is None:
        return NotFittedError(message)
    cls = _COMBINED.get(sk.NotFittedError)
    if cls is None:
        cls = _COMBINED[sk.NotFittedError] = type("NotFittedError", (NotFittedError, sk.NotFittedError), {})
    return cls(message)


def quote_cell(value: object, limit: int = QUOTE_CHARS) -> str:
    """A cell as an error message quotes it: its ``repr``, cut after ``limit`` characters with ``…`` and
    the cell's length.

    Example:
        >>> quote_cell("2023-02-30"), quote_cell(7)
        ("'2023-02-30'", '7')
        >>> quote_cell("为孤寡老人服务" * 100, limit=8)
        "'为孤寡老人服务为'… (700 characters)"
    """
    if isinstance(value, str):
        return repr(value) if len(value) <= limit else f"{value[:limit]!r}… ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
