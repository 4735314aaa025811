"""The label lexicon: codebook cue terms (``labels/lexicon.csv``: ``term,label,weight``), matched on
normalised text leftmost-longest and non-overlapping (``志愿者`` counts once, not also as ``志愿``).

Features per label: the summed weight of the distinct terms found, capped (``min(sum, cap) / cap``),
and whether it reaches 1 (a strong cue), both times ``scale``.

Example:
    >>> lex = Lexicon([("加装电梯", "elevator_power_hookup", 1.5), ("志愿", "volunteer_work", 1.0),
    ...                ("志愿者", "volunteer_work", 1.5)])
    >>> lex.scores(["为老楼加装电梯", "志愿者志愿"]).tolist()
    [[0.0, 0.0, 1.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 2.5]]
    >>> lex.matches("志愿者为加装电梯的居民服务")
    {'elevator_power_hookup': ['加装电梯'], 'volunteer_work': ['志愿者']}
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..errors import LabelFileError
from ..labels import LABELS
from .rows import Rows, count_pairs

__all__ = ["Lexicon", "load_lexicon", "LexiconFeatures", "WEIGHT_RULE", "WEIGHT_LIMIT"]

log = logging.getLogger(__name__)

WEIGHT_LIMIT = 100.0
"""The largest size of a lexicon weight, either sign (a weight adds to a label's score, capped at 3: past a few it
only says the term decides the label alone; 1e308 overflowed the summed scores)."""
WEIGHT_RULE = (f"a weight is a finite number from -{WEIGHT_LIMIT:g} to {WEIGHT_LIMIT:g}, written in ASCII digits with "
               "an optional sign, point and exponent (0.8, -0.5, 1e-1; 1 when the cell is empty; the codebook's cues "
               "use 0.3 to 1.5)")
"""What a lexicon weight may be, said wherever one is refused."""
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A number as a weight is written: ASCII digits, a sign, a point and an exponent (Python's ``float`` also reads
``1_000``, Arabic-Indic ``٣``, full-width ``３``, ``nan`` and ``inf``)."""


def _weight_problem(weight: object) -> str | None:
    """Why ``weight`` cannot be a lexicon weight (:data:`WEIGHT_RULE`), else ``None``: not a number, NaN or infinite
    (NaN reached scikit-learn as "Input X contains NaN" after minutes of training), beyond :data:`WEIGHT_LIMIT`,
    or text that is no plain decimal number (``1_000``, ``٣``, ``３``: what ``float`` reads beside the ASCII
    decimals), said with the number to write where there is one.

    Example:
        >>> _weight_problem(1.5), _weight_problem("-0.5"), _weight_problem("nan"), _weight_problem("heavy")
        (None, None, 'is not a finite number', 'is not a number')
        >>> _weight_problem("３"), _weight_problem("1e308")
        ("is not a plain decimal number: write '3'", 'is outside -100 to 100')
    """
    if isinstance(weight, (bool, bytes)):
        return "is not a number"
    try:
        value = float(weight)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "is not a number"
    if not math.isfinite(value):
        return "is not a finite number"
    if isinstance(weight, str) and not _PLAIN_NUMBER.fullmatch(weight.strip()):
        plain = repr(value).removesuffix(".0")
        return "is not a plain decimal number" + (f": write {plain!r}" if abs(value) <= WEIGHT_LIMIT else "")
    if abs(value) > WEIGHT_LIMIT:
        return f"is outside -{WEIGHT_LIMIT:g} to {WEIGHT_LIMIT:g}"
    return None


def _trie_regex(terms: Iterable[str]) -> str:
    """One regex finding, like an alternation sorted longest first, the longest term at the leftmost
    position — shaped as a trie, so each position tries only the branch of its character.

    Example:
        >>> _trie_regex(["志愿", "志愿者", "老人"])
        '(?:志愿(?:者)?|老人)'
    """
    trie: dict = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        group = "(?:" + "|".join(alts) + ")"
        if "" in node:
            return group + "?"
        return group if len(alts) > 1 else alts[0]

    pattern = build(trie)
    return pattern if len(trie) > 1 else "(?:" + pattern + ")"


class Lexicon:
    """Weighted cue terms, each signalling one label."""

    def __init__(self, entries: Iterable[tuple[str, str, float]]) -> None:
        """Index the terms of ``entries``.

        Args:
            entries: ``(term, label, weight)`` triples; a weight is a finite number from -100 to 100, text a plain
                decimal number (:data:`WEIGHT_RULE`).

        Raises:
            ValueError: for an empty or multi-line term, an unknown label, a weight that is not a finite number
                from -100 to 100 (or text that is no plain decimal number, ``３``).
        """
        checked = []
        for term, lab, weight in entries:
            if (problem := _weight_problem(weight)) is not None:
                raise ValueError(f"lexicon term {term!r}: weight {weight!r} {problem}; {WEIGHT_RULE}")
            checked.append((str(term), str(lab), float(weight)))
        self.entries = tuple(checked)
        self.terms = sorted({t for t, _, _ in self.entries})
        index = {t: i for i, t in enumerate(self.terms)}
        self.weights = np.zeros((len(self.terms), len(LABELS)))
        for term, lab, weight in self.entries:
            if not term or "\n" in term:
                raise ValueError(f"lexicon terms must be one line, not empty: {term!r}")
            if lab not in LABELS:
                raise ValueError(f"lexicon term {term!r}: unknown label {lab!r}")
            self.weights[index[term], LABELS.index(lab)] += weight
        self._index = {**index, "\n": -1}
        # a batch is matched as one string, its texts separated by "\n" (matched too, to count them)
        self._pattern = re.compile(_trie_regex([*self.terms, "\n"]))

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"Lexicon(<{len(self.entries)} entries>)"

    def found(self, norms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (text, term) matches of a batch of one-line texts: text index and term index, sorted.

        Raises:
            ValueError: for a text with a line break (normalised text has none).
        """
        hits = self._pattern.findall("\n".join(norms))
        ids = np.fromiter(map(self._index.__getitem__, hits), dtype=np.int64, count=len(hits))
        term = ids >= 0
        if len(ids) - np.count_nonzero(term) != max(len(norms) - 1, 0):
            i = next(i for i, text in enumerate(norms) if "\n" in text)
            raise ValueError(f"text {i} holds a line break: the lexicon matches normalised text (one line)")
        rows = np.cumsum(~term)
        rows, terms, _ = count_pairs(rows[term], ids[term], len(norms), len(self.terms))
        return rows.astype(np.int64), terms.astype(np.int64)

    def scores(self, norms: Sequence[str]) -> np.ndarray:
        """Summed weight of the distinct terms found, per label; shape ``(n, 5)``."""
        rows, terms = self.found(norms)
        out = np.zeros((len(norms), len(LABELS)))
        for j in range(len(LABELS)):
            out[:, j] = np.bincount(rows, weights=self.weights[terms, j], minlength=len(norms))
        return out

    def matches(self, norm: str) -> dict[str, list[str]]:
        """Terms found per label (labels without a match left out), strongest first."""
        _, terms = self.found([norm])
        per: dict[str, list[tuple[float, str]]] = {}
        for t in terms.tolist():
            for j, lab in enumerate(LABELS):
                if self.weights[t, j] > 0:
                    per.setdefault(lab, []).append((-self.weights[t, j], self.terms[t]))
        return {lab: [t for _, t in sorted(per[lab])] for lab in LABELS if lab in per}


def load_lexicon(path: str | Path) -> Lexicon:
    """Read ``term,label,weight`` rows (weight optional, default 1).

    The file is read as every label CSV is (:func:`~tagger.common.files.read_label_table`): strictly, a header
    written with spaces too (``term, label, weight``), each row named by the file line it starts on.

    Raises:
        LabelFileError: naming the file and line of a malformed row (cells beyond the header's columns that hold
            something: an unquoted comma, ``1,5`` for 1.5), an unknown label or a weight that is not a
            finite number from -100 to 100 written in ASCII decimals (``nan``, ``inf``, ``1e308``, ``1_000``, ``３``,
            ``٣``: :data:`WEIGHT_RULE`); a file that cannot be decoded, saying to save it
            as UTF-8. A file of only its header is read, with a warning (no lexicon features).
    """
    from ..common.files import cells_beyond_header, read_label_table

    path = Path(path)

    def check(names: list[str]) -> None:
        if not {"term", "label"} <= set(names):
            raise LabelFileError(f"{path}: header must be term,label,weight")

    rows = read_label_table(path, check=check).rows
    entries = []
    for _, where, row in rows:
        extra = cells_beyond_header(row)  # "1,5" read as the weight 1 (a trailing comma gives only empty ones)
        if extra:
            raise LabelFileError(f"{where}: {len(extra)} cell(s) more than the header's columns (term,label,weight): "
                                 f"{', '.join(map(repr, extra[:3]))}; a cell holding the delimiter must be quoted "
                                 '("a,b"), and a weight is written with a point (1.5, not 1,5)')
        term, lab = (row.get("term") or "").strip(), (row.get("label") or "").strip()
        if not term:
            raise LabelFileError(f"{where}: empty term")
        if lab not in LABELS:
            raise LabelFileError(f"{where}: unknown label {lab!r}; valid: {', '.join(LABELS)}")
        cell = row.get("weight") or 1.0
        if (problem := _weight_problem(cell)) is not None:
            raise LabelFileError(f"{where}: weight {cell!r} {problem}; {WEIGHT_RULE}")
        entries.append((term, lab, float(cell)))
    if not entries:
        log.warning("%s: no terms, only its header: the model gets no lexicon features and will be much weaker; "
                    "add term,label,weight rows (the codebook's cue terms), or restore the file from the repository",
                    path)
    return Lexicon(entries)


class LexiconFeatures:
    """Lexicon scores as 10 feature columns (see the module doc)."""

    def __init__(self, lexicon: Lexicon, scale: float = 2.0, cap: float = 3.0) -> None:
        self.lexicon, self.scale, self.cap = lexicon, scale, cap

    @property
    def names_(self) -> list[str]:
        return [f"lex_sum:{lab}" for lab in LABELS] + [f"lex_hit:{lab}" for lab in LABELS]

    width = 2 * len(LABELS)

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """What a model file keeps of this block: settings and the lexicon's entries."""
        return {"scale": self.scale, "cap": self.cap, "entries": [list(e) for e in self.lexicon.entries]}, {}

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> LexiconFeatures:
        return cls(Lexicon(tuple(e) for e in config["entries"]), config["scale"], config["cap"])

    def transform(self, norms: Sequence[str]) -> Rows:
        s = self.lexicon.scores(norms)
        return Rows.dense(np.hstack([np.minimum(s, self.cap) / self.cap, (s >= 1.0).astype(float)]) * self.scale)
