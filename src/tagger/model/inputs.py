"""What the estimator is given, checked: paragraphs, report ids, label matrices and label names, in the
forms users pass them (lists, arrays, pandas objects), refused with a message that says what to pass."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

import numpy as np

from ..common.cells import is_missing, report_id_of  # is_missing re-exported: the one rule for a missing cell
from ..labels import LABELS

__all__ = ["as_texts", "report_keys", "is_missing", "in_label_order", "label_indicator", "label_index"]


def as_texts(X: Any, what: str = "paragraphs") -> list[str]:
    """``X`` as a list of str, or a clear ``TypeError`` (a DataFrame, bytes, non-text items: named by position, and
    in a pandas Series by index label too).

    Example:
        >>> as_texts(("a", "b"))
        ['a', 'b']
    """
    if isinstance(X, (bytes, bytearray)):
        raise TypeError(f"expected text, got {type(X).__name__}; decode it first, e.g. data.decode('utf-8')")
    if isinstance(X, str):  # list("ab") would be the paragraphs 'a' and 'b'
        raise TypeError(f"expected {what} as a list of str, got a single str; wrap it in a list: [text]")
    if hasattr(X, "columns") and hasattr(X, "iloc"):
        raise TypeError(f"expected {what} as a list of str, got a DataFrame; pass one column, e.g. df['text'] "
                        "(or use tagger.tag_frame for a frame of reports)")
    if isinstance(X, np.ndarray) and X.ndim != 1:
        raise TypeError(f"expected a 1-d sequence of {what}, got an array of shape {X.shape}")
    if isinstance(X, (Mapping, Set)):  # a dict would be read as its keys, a set in no fixed order
        kind = "a dict (its keys would be tagged); pass list(d.values())" if isinstance(X, Mapping) else \
            "a set (it has no order, so results could not be matched back); pass a list"
        raise TypeError(f"expected {what} as a list of str, got {kind}")
    try:
        texts = list(X)
    except TypeError:
        raise TypeError(f"expected {what} as a list of str, got {type(X).__name__}") from None
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            if isinstance(t, (bytes, bytearray)):
                hint = "; decode it first"
            elif is_missing(t):
                hint = f" ({t!r}: a missing value); fill missing texts first, e.g. series.fillna('')"
            else:
                hint = ""
            raise TypeError(f"paragraph {i}{_index_label(X, i)} is {type(t).__name__}, expected str{hint}")
    return texts


def _index_label(X: Any, i: int) -> str:
    """`` (index <label>)``: the index label of item ``i`` of a pandas Series (its position alone does not find it in
    a Series whose index is not 0, 1, 2 …); ``""`` for anything else."""
    index = getattr(X, "index", None)
    if not hasattr(X, "iloc") or index is None:
        return ""
    label = index[i]
    shown = repr(label) if isinstance(label, (str, bytes)) else str(label)
    return f" (index {shown[:80]})"


def label_index(label: object) -> int:
    """The column of ``label`` in :data:`~tagger.labels.LABELS`, or a ``ValueError`` naming the labels.

    Example:
        >>> label_index("volunteer_work")
        4
    """
    if not isinstance(label, str) or label not in LABELS:
        raise ValueError(f"unknown label {label!r}; the labels are {', '.join(LABELS)}")
    return LABELS.index(label)


_KEY_WORDS = {"reports": ("report id", "report", "a loose paragraph", ", each giving the others context"),
              "groups": ("group", "group", "a group of its own", ", kept in one fold")}
"""What :func:`report_keys` calls an id, the unit it makes, a missing id and what pooling does, per argument."""


def report_keys(reports: Any, what: str = "reports") -> list[str | None]:
    """Each paragraph's report id as the one rule reads ids (:func:`~tagger.common.cells.report_id_of`: text as
    written, a whole number as its digits, as ``tag_frame`` and ``tagger tag`` read an id column and every output
    writes it), ``None`` for a loose paragraph — also where the id is missing (NaN, pandas' ``NA``: a frame column
    holding ``None`` gives NaN), so loose paragraphs are never pooled into one report ``"nan"``. ``what``: the
    argument the ids are, named in the errors (``"reports"``, or ``"groups"``: ``fit``'s, read by the same rule, a
    missing group being a group of its own).

    Raises:
        TypeError: what is not one id per paragraph, or an id that is no text nor whole number (``b"r1"`` was the
            report ``"b'r1'"``, ``True`` the report ``"True"``, ``7.0`` the report ``"7.0"``): names its position.
        ValueError: an empty id, or the text ``"1"`` and the number ``1`` both given — one id as files write it, so
            their paragraphs were pooled into one report and gave each other context: names both positions.

    Example:
        >>> report_keys(["r1", None, float("nan"), 7])
        ['r1', None, None, '7']
    """
    noun, unit, loose, pooled = _KEY_WORDS[what]
    if isinstance(reports, (str, bytes, bytearray)):  # list("r1") would be the reports 'r' and '1'
        raise TypeError(f"{what} gives one {noun} per paragraph, got a single {type(reports).__name__}; "
                        f"pass e.g. {what}=[{reports!r}] * len(paragraphs)")
    if isinstance(reports, (Mapping, Set)):
        raise TypeError(f"{what} gives one {noun} per paragraph, in order, got a {type(reports).__name__}; "
                        "pass a list such as ['r1', 'r1', None]")
    try:
        ids = list(reports)
    except TypeError:
        raise TypeError(f"{what} gives one {noun} per paragraph, got {type(reports).__name__}; pass a list "
                        f"such as ['r1', 'r1', None] (None: {loose})") from None
    keys: list[str | None] = []
    written: dict[str, tuple[int, bool]] = {}  # id -> (its first position, given as text)
    for n, given in enumerate(ids):
        key = report_id_of(given)
        if key is None and not is_missing(given):
            hint = " (a float column of whole numbers, as pandas makes an integer column with a gap: .astype('Int64'))" \
                if isinstance(given, (float, np.floating)) else ""
            raise TypeError(f"{what}[{n}]{_index_label(reports, n)} is {given!r:.80} ({type(given).__name__}), not a "
                            f"{noun}: give each paragraph's {noun} as text or a whole number{hint}, None (or "
                            f"NaN) for {loose}")
        if key is not None and not key.strip():  # fillna("") made every loose paragraph one report ""
            raise ValueError(f"{what}[{n}] is an empty id ({given!r}): every paragraph with it would be one "
                             f"{unit}; give None (or NaN) for {loose}, or the {unit}'s name")
        if key is not None:
            first, as_text = written.setdefault(key, (n, isinstance(given, str)))
            if as_text != isinstance(given, str):
                text, number = (first, n) if as_text else (n, first)
                raise ValueError(f"{what}[{text}] is the text {key!r} and {what}[{number}] the number {key}: one id "
                                 f"as files write it, so their paragraphs would be one {unit}{pooled}; give the two "
                                 f"{unit}s distinct ids, or one id written one way")
        keys.append(key)
    return keys


def in_label_order(frame: Any, what: str, prefix: str = "") -> Any:
    """A DataFrame whose columns are named (the labels, or ``prefix`` + label) with its columns put in
    :data:`~tagger.labels.LABELS` order — by name, never by place —; anything else as it is.

    Raises:
        ValueError: named columns that are not the labels, one each.

    Example:
        >>> import pandas as pd
        >>> list(in_label_order(pd.DataFrame([[0.1] * 5], columns=sorted(LABELS)), "Y").columns) == list(LABELS)
        True
    """
    columns = getattr(frame, "columns", None)
    if columns is None or not any(isinstance(c, str) for c in columns):
        return frame
    names = {str(c).removeprefix(prefix): c for c in columns}
    if len(names) != len(columns) or set(names) != set(LABELS):
        also = f" (or {prefix}<label>)" if prefix else ""
        raise ValueError(f"the columns of {what} {list(columns)} must be the labels{also} {list(LABELS)}, one each, in "
                         f"any order; rename them, or pass {what}.to_numpy() with its columns in tagger.LABELS order")
    return frame[[names[lab] for lab in LABELS]]


def label_indicator(Y: Any, n: int) -> np.ndarray:
    """``Y`` as an ``(n, 5)`` 0/1 matrix, one column per label in :data:`~tagger.labels.LABELS` order (a
    DataFrame whose columns are the labels is put in that order; one with other column names is refused, not read
    by position; a scipy sparse matrix is read as its dense form); a clear ``ValueError`` otherwise.

    Example:
        >>> label_indicator([[1, 0, 0, 0, 1]], 1).tolist()
        [[1, 0, 0, 0, 1]]
    """
    if hasattr(Y, "toarray") and hasattr(Y, "nnz"):  # a scipy sparse matrix (MultiLabelBinarizer(sparse_output=True))
        Y = Y.toarray()
    Y = in_label_order(Y, "Y")
    how = ("one row per paragraph, one 0/1 column per label in the order of tagger.LABELS (label lists: "
           "[[int(lab in labs) for lab in tagger.LABELS] for labs in label_lists])")
    try:
        values = np.asarray(Y, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"Y must be a 0/1 matrix: {how}") from None
    if values.shape != (n, len(LABELS)):
        raise ValueError(f"Y must have shape ({n}, {len(LABELS)}), got {values.shape}: {how}")
    bad = values[(values != 0) & (values != 1)]
    if len(bad):
        raise ValueError(f"Y must hold 0 and 1 only, got {float(bad[0])!r}: {how}")
    return values.astype(int)
