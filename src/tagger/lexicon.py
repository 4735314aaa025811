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
from .hashing import codepoints
from .native import kernels
from .reader import read_text_file
from .schema import LABELS

__all__ = ["Lexicon", "LexiconFeatures", "load_lexicon"]

class Lexicon:
    """A weighted term → label list with fast matching (a trie regex for one text, numpy arrays
    for a batch; both give the same matches)."""

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

        The batch is matched at once with numpy (:meth:`spans`); the sums follow the terms in
        sorted order, so a paragraph gets the same floats alone or in any batch.
        """
        norms = list(norms)
        out = np.zeros((len(norms), len(LABELS)))
        if not self._index or not norms:
            return out
        rows, term_ids = self.spans(norms)[2:]
        if not len(rows):
            return out
        table = self._table()
        pairs = np.unique(rows * len(table.terms) + term_ids)  # distinct (text, term), term order
        rows, term_ids = pairs // len(table.terms), pairs % len(table.terms)
        # each term's entries in file order (zero-padded): the same float additions, in the same
        # order, as adding entry by entry for the terms in sorted order
        depth = table.weights.shape[1]
        rows = np.repeat(rows, depth)
        for j in range(len(LABELS)):
            out[:, j] = np.bincount(rows, weights=table.weights[term_ids, :, j].ravel(), minlength=len(norms))
        return out

    def spans(self, norms: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Matches in a batch of normalised texts, leftmost-longest and non-overlapping within
        each text (the same matches as :meth:`found`'s regex): start and end offsets in the text,
        text index and term index (into ``sorted(terms)``), in reading order.

        Example:
            >>> lex = Lexicon([("志愿", "volunteer_work", 1), ("志愿者", "volunteer_work", 1)])
            >>> [a.tolist() for a in lex.spans(["志愿者说", "志愿"])]
            [[0, 0], [3, 2], [0, 1], [1, 0]]
        """
        return self._table().spans(list(norms))

    def _table(self) -> _MatchTable:
        table = self.__dict__.get("_match_table")
        if table is None:
            table = self.__dict__["_match_table"] = _MatchTable(self._index)
        return table

    def matches(self, norm: str) -> dict[str, list[str]]:
        """Matched terms per label (labels with no match omitted), strongest first."""
        per: dict[str, list[tuple[float, str]]] = {}
        for term in self.found(norm):
            for j, weight in self._index[term]:
                if weight > 0:
                    per.setdefault(LABELS[j], []).append((weight, term))
        return {lab: [t for _, t in sorted(v, key=lambda x: (-x[0], x[1]))] for lab, v in per.items()}


class _MatchTable:
    """Lexicon terms as arrays for matching a whole batch with numpy.

    Candidates are the positions whose first two characters begin some term (or whose character
    is a one-character term). At each, the polynomial hash of the next ``L`` characters is grown
    one character at a time and looked up among the hashes of the terms of length ``L`` (and of
    the terms' first ``L`` characters: a window that begins no term is dropped); every term with
    the window's hash is tried and confirmed character by character (a hash collision neither
    makes nor hides a match), and the longest hit wins. Overlaps are then resolved left to right as a regex scan does: a match is
    kept when it starts at or after the end of the last kept one.
    """

    def __init__(self, index: dict[str, list[tuple[int, float]]]) -> None:
        self.terms = sorted(index)
        # term × entry × label: the weight of each of a term's entries (a term may be listed for
        # several labels, or twice), zero-padded to the most entries of any term
        self.weights = np.zeros((len(self.terms), max(map(len, index.values())), len(LABELS)))
        for t, term in enumerate(self.terms):
            for e, (j, weight) in enumerate(index[term]):
                self.weights[t, e, j] = weight
        self.first = np.zeros(0x110000, dtype=bool)
        self.first[[ord(term[0]) for term in self.terms]] = True
        self.single = np.zeros(0x110000, dtype=bool)  # one-character terms
        self.single[[ord(term) for term in self.terms if len(term) == 1]] = True
        self.pairs = np.unique([_pair(ord(t[0]), ord(t[1])) for t in self.terms if len(t) > 1]
                               or [-1]).astype(np.int64)
        self.max_len = max(map(len, self.terms))
        # L -> (sorted hashes, term ids in that order, their code points, most terms sharing a hash)
        self.by_length = {}
        for length in sorted({len(t) for t in self.terms}):
            ids = np.array([t for t, term in enumerate(self.terms) if len(term) == length])
            cps = np.vstack([codepoints(self.terms[t]) for t in ids]).astype(np.uint64)
            h = _hashes(cps)
            order = np.argsort(h, kind="stable")
            shared = int(np.unique(h, return_counts=True)[1].max())
            self.by_length[length] = (h[order], ids[order], cps[order], shared)
        # L -> sorted hashes of the first L characters of the terms longer than L: a window whose
        # first L characters hash to none of them cannot grow into a term
        self.prefixes = {}
        for length in range(1, self.max_len):
            heads = [codepoints(t[:length]) for t in self.terms if len(t) > length]
            self.prefixes[length] = np.unique(_hashes(np.vstack(heads).astype(np.uint64)))

    def _compiled_tables(self) -> tuple[np.ndarray, ...]:
        """The terms as :func:`tagger._speedups.lexicon_matches` takes them (made once)."""
        have = self.__dict__.get("_compiled")
        if have is None:
            order = sorted(range(len(self.terms)), key=lambda t: (self.terms[t][0], -len(self.terms[t])))
            term_cp = codepoints("".join(self.terms[t] for t in order))
            term_start = np.zeros(len(order) + 1, dtype=np.int64)
            np.cumsum([len(self.terms[t]) for t in order], out=term_start[1:])
            heads = sorted({ord(term[0]) for term in self.terms})
            head_start = np.searchsorted([ord(self.terms[t][0]) for t in order], heads + [0x110000])
            have = self._compiled = (term_cp, term_start, np.array(heads, dtype=np.uint32),
                                     head_start.astype(np.int64), np.array(order, dtype=np.int64),
                                     np.diff(term_start))
        return have

    def spans(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        compiled = kernels()
        if compiled is not None:
            return self._compiled_spans(compiled, texts)
        return self._numpy_spans(texts)

    def _compiled_spans(self, compiled, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`spans` by :func:`tagger._speedups.lexicon_matches` (a scan with no interpreter lock)."""
        term_cp, term_start, heads, head_start, order, term_lens = self._compiled_tables()
        lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        cp = codepoints("".join(texts))
        starts, rows, ids = (np.empty(len(cp), dtype=np.int64) for _ in range(3))
        n = compiled.lexicon_matches(cp, lens, term_cp, term_start, heads, head_start, starts, rows, ids)
        starts, rows, ids = starts[:n], rows[:n], ids[:n]
        return starts, starts + np.take(term_lens, ids), rows, np.take(order, ids)

    def _numpy_spans(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        bounds = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lens, out=bounds[1:])
        n = int(bounds[-1])
        # the texts back to back, padded so every window fits (a window running past the end of
        # its text is never accepted: see ``room``)
        cp = np.zeros(n + self.max_len, dtype=np.uint64)
        cp[:n] = codepoints("".join(texts))
        cand = np.flatnonzero(np.take(self.first, cp[:n]))
        code = _pair(cp[cand].astype(np.int64), cp[cand + 1].astype(np.int64))
        at = np.minimum(np.searchsorted(self.pairs, code), len(self.pairs) - 1)
        cand = np.compress((self.pairs[at] == code) | self.single[cp[cand]], cand)
        row = np.searchsorted(bounds, cand, side="right") - 1
        room = bounds[row + 1] - cand  # characters left in the candidate's own text
        best_len = np.zeros(len(cand), dtype=np.int64)
        best_id = np.zeros(len(cand), dtype=np.int64)
        live = np.arange(len(cand))  # candidates whose window so far begins some term
        h = np.zeros(len(cand), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for length in range(1, self.max_len + 1):  # longer hits overwrite shorter ones
                h = h * np.uint64(_BASE) + cp[cand[live] + (length - 1)] + np.uint64(1)
                if length in self.by_length:
                    hashes, ids, cps, shared = self.by_length[length]
                    first = np.searchsorted(hashes, h)
                    fits = room[live] >= length
                    for k in range(shared):  # every term with this hash (distinct terms may share one)
                        at = np.minimum(first + k, len(hashes) - 1)
                        hit = np.flatnonzero((hashes[at] == h) & fits)
                        if not len(hit):
                            break
                        window = cp[cand[live[hit], None] + np.arange(length)]
                        same = (window == cps[at[hit]]).all(axis=1)
                        best_len[live[hit[same]]] = length
                        best_id[live[hit[same]]] = ids[at[hit[same]]]
                if length == self.max_len:
                    break
                heads = self.prefixes[length]
                going = heads[np.minimum(np.searchsorted(heads, h), len(heads) - 1)] == h
                live, h = np.compress(going, live), np.compress(going, h)
                if not len(live):
                    break
        found = np.flatnonzero(best_len)
        starts, ends = cand[found], cand[found] + best_len[found]
        keep = np.ones(len(found), dtype=bool)
        if len(found) > 1 and bool((starts[1:] < ends[:-1]).any()):  # overlaps: scan left to right
            last_end = -1
            for i, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
                if a < last_end:
                    keep[i] = False
                else:
                    last_end = b
        found, starts, ends = found[keep], starts[keep], ends[keep]
        rows = row[found]
        return starts - bounds[rows], ends - bounds[rows], rows, best_id[found]


# Hash base. Distinct terms may share a hash (all of them are tried) and a window may share a
# term's hash (each hit is checked character by character), so no collision changes a result.
_BASE = 0x100000001B3


def _hashes(cps: np.ndarray) -> np.ndarray:
    """Polynomial hash (mod 2**64, as in :meth:`_MatchTable.spans`) of each row of code points."""
    h = np.zeros(len(cps), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(cps.shape[1]):
            h = h * np.uint64(_BASE) + cps[:, k] + np.uint64(1)
    return h


def _pair(a, b):
    """One integer for two code points."""
    return a * 0x110000 + b


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
