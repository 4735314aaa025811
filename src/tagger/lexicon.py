"""The label lexicon: cue terms from the codebook, each with the label it signals and a weight.

Kept in ``labels/lexicon.csv`` (``term,label,weight``) so a domain expert can extend it. Terms are
matched on normalised (simplified) text, leftmost-longest and non-overlapping, so ``志愿者`` counts
once and not also as ``志愿``.

Example:
    >>> lex = Lexicon([("加装电梯", "elevator_power_hookup", 1.5), ("志愿", "volunteer_work", 1.0),
    ...                ("志愿者", "volunteer_work", 1.5)])
    >>> lex.scores(["为老楼加装电梯"]).tolist()
    [[0.0, 0.0, 1.5, 0.0, 0.0]]
    >>> sorted(lex.matches("志愿者为加装电梯的居民服务").items())
    [('elevator_power_hookup', ['加装电梯']), ('volunteer_work', ['志愿者'])]
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .errors import LabelFileError
from .reader import read_text_file
from .schema import LABELS

__all__ = ["Lexicon", "LexiconFeatures", "load_lexicon"]

_SEP = "\ue000"


class Lexicon:
    """A weighted term → label list with fast matching (one compiled regex)."""

    def __init__(self, entries: Iterable[tuple[str, str, float]]) -> None:
        self.entries: tuple[tuple[str, str, float], ...] = tuple(
            (str(t), str(lab), float(w)) for t, lab, w in entries
        )
        self._index: dict[str, list[tuple[int, float]]] = {}
        for term, lab, weight in self.entries:
            if not term:
                raise ValueError("lexicon terms must not be empty")
            if lab not in LABELS:
                raise ValueError(f"lexicon term {term!r}: unknown label {lab!r}")
            self._index.setdefault(term, []).append((LABELS.index(lab), weight))
        self._pattern = re.compile(_trie_regex(self._index)) if self._index else None
        # the same trie plus the batch separator, so one findall over a joined batch also says
        # where each text ends
        self._batch_pattern = re.compile(_trie_regex([*self._index, _SEP])) if self._index else None
        self._joinable = not any(_SEP in t for t in self._index)

    def __getstate__(self) -> dict:
        return {"entries": self.entries}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["entries"])

    def __len__(self) -> int:
        return len(self.entries)

    def found(self, norm: str) -> set[str]:
        """The distinct lexicon terms present in a normalised text."""
        return set(self._pattern.findall(norm)) if self._pattern is not None and norm else set()

    def scores(self, norms: Sequence[str]) -> np.ndarray:
        """Sum of the weights of distinct matched terms, per label; shape ``(n, len(LABELS))``.

        The batch is scanned as one text (joined by a private-use separator that no term
        contains), so the regex runs once, not once per paragraph.
        """
        norms = list(norms)
        out = np.zeros((len(norms), len(LABELS)))
        if self._pattern is None or not norms:
            return out
        joined = _SEP.join(norms)
        if self._joinable and joined.count(_SEP) == len(norms) - 1:
            found: dict[int, set[str]] = {}
            row = 0
            for term in self._batch_pattern.findall(joined):
                if term == _SEP:
                    row += 1
                else:
                    found.setdefault(row, set()).add(term)
        else:
            found = {i: self.found(n) for i, n in enumerate(norms)}
        for i, terms in found.items():
            for term in sorted(terms):  # fixed order: float sums identical across runs
                for j, weight in self._index[term]:
                    out[i, j] += weight
        return out

    def matches(self, norm: str) -> dict[str, list[str]]:
        """Matched terms per label (labels with no match omitted), strongest first."""
        per: dict[str, list[tuple[float, str]]] = {}
        for term in self.found(norm):
            for j, weight in self._index[term]:
                if weight > 0:
                    per.setdefault(LABELS[j], []).append((weight, term))
        return {lab: [t for _, t in sorted(v, key=lambda x: (-x[0], x[1]))] for lab, v in per.items()}


def _trie_regex(terms: Iterable[str]) -> str:
    """One regex for a set of terms that finds, like an alternation sorted longest first, the
    longest term at the leftmost position, but as a trie: at each position only the branch of the
    current character is tried, so the scan costs about one step per character.

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
            return group + "?"  # greedy: the longer terms through this node are tried first
        return group if len(alts) > 1 else alts[0]

    pattern = build(trie)
    return pattern if len(trie) > 1 else "(?:" + pattern + ")"


def load_lexicon(path: str | Path) -> Lexicon:
    """Read ``term,label,weight`` rows (weight optional, default 1).

    Raises:
        LabelFileError: naming the file and line of a malformed row or unknown label.
    """
    path = Path(path)
    rows = csv.DictReader(io.StringIO(read_text_file(path), newline=""))
    if not rows.fieldnames or not {"term", "label"} <= set(rows.fieldnames):
        raise LabelFileError(f"{path}: header must be term,label,weight")
    entries = []
    for line_no, row in enumerate(rows, start=2):
        term, lab = (row.get("term") or "").strip(), (row.get("label") or "").strip()
        if not term:
            raise LabelFileError(f"{path}:{line_no}: empty term")
        if lab not in LABELS:
            raise LabelFileError(f"{path}:{line_no}: unknown label {lab!r}; valid: {', '.join(LABELS)}")
        try:
            weight = float(row.get("weight") or 1.0)
        except ValueError:
            raise LabelFileError(f"{path}:{line_no}: weight {row.get('weight')!r} is not a number") from None
        entries.append((term, lab, weight))
    return Lexicon(entries)


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: normalised texts → per-label lexicon features.

    Two columns per label: the capped weight sum (``min(score, cap) / cap``) and an indicator of a
    strong cue (score ≥ 1), both multiplied by ``scale``.
    """

    def __init__(self, lexicon: Lexicon | None = None, scale: float = 1.0, cap: float = 3.0) -> None:
        self.lexicon = lexicon
        self.scale = scale
        self.cap = cap

    def fit(self, X, y=None):  # noqa: N803 - scikit-learn naming
        return self

    def transform(self, X):  # noqa: N803
        s = self.lexicon.scores(list(X))
        feats = np.hstack([np.minimum(s, self.cap) / self.cap, (s >= 1.0).astype(float)])
        return sp.csr_matrix(feats * self.scale)

    def get_feature_names_out(self, input_features=None):
        return np.array([f"lex_sum:{lab}" for lab in LABELS] + [f"lex_hit:{lab}" for lab in LABELS])
