"""TF-IDF over word and character n-grams, with exact vocabularies kept as arrays.

Weighting is scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` recipe: ``(1 + log tf) · idf`` with
smoothed ``idf = log((1 + n) / (1 + df)) + 1``, terms in fewer than ``min_df`` training paragraphs
left out, each row scaled to unit length. Terms outside the vocabulary are ignored.

* :class:`CharTfidf`: character n-grams of the lower-cased text. A batch is hashed at once with numpy
  (a 64-bit polynomial hash rolled over code points, finished by MurmurHash3's mixer); the low bits
  of the hash pick one of ``n_buckets`` columns (the hashing trick: no vocabulary to look up).
* :class:`WordTfidf`: segmented words and pairs of neighbouring vocabulary words. The vocabulary is
  a dict of words; a pair is one integer (``first · n_words + second``) in a sorted array.

Example:
    >>> vec = CharTfidf(2, 2, min_df=1).fit(["老旧小区", "加装电梯"])
    >>> X = vec.transform(["老旧电梯"])
    >>> sorted(vec.name(c) for c in X.indices), round(float((X.data ** 2).sum()), 6)
    (['电梯', '老旧'], 1.0)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import repeat

import numpy as np

from ..text.segment import TokenStream
from .rows import Rows, count_pairs, runs

__all__ = ["CharTfidf", "WordTfidf", "char_ngram_keys", "tfidf_rows", "smooth_idf", "pack_strings",
           "unpack_strings"]

_B = np.uint64(0x100000001B3)
_F1, _F2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
# Tokens that carry no meaning as words: punctuation, symbols, bare numbers.
_JUNK = re.compile(r"^(?:[\W_]+|[\d.,%]+)$")


def _mix(h: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, in place (``scratch``: an array as long as ``h`` to shift into)."""
    h ^= np.right_shift(h, _S33, out=scratch)
    h *= _F1
    h ^= np.right_shift(h, _S33, out=scratch)
    h *= _F2
    h ^= np.right_shift(h, _S33, out=scratch)
    return h


def _code_points(joined: str) -> np.ndarray:
    """Code point + 1 of every character (0 never occurs: a hashed n-gram is never all zeros)."""
    return np.add(np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32), np.uint64(1),
                  dtype=np.uint64)


def _ngram_hashes(cp: np.ndarray, min_n: int, max_n: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """For each ``n`` from ``min_n`` to ``max_n``: the 64-bit key of the n-gram of ``cp``
    (:func:`_code_points`) starting at each position, and whether it is within one line. Both arrays
    are reused for the next ``n``: use them before asking for it (a batch's arrays are large, and
    fresh memory costs a page fault per page)."""
    one_line = cp != np.uint64(ord("\n") + 1)
    h, intact = cp.copy(), one_line.copy()
    keys, scratch = np.empty_like(cp), np.empty_like(cp)
    with np.errstate(over="ignore"):
        for n in range(1, max_n + 1):
            if n > 1:  # the (n-1)-gram at each position, times the base, plus the next character
                h = h[:-1]
                h *= _B
                h += cp[n - 1:]
                intact = intact[:-1]
                intact &= one_line[n - 1:]
            if n >= min_n and len(h):
                salt = np.uint64(n * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF)  # n-grams of each length apart
                yield n, _mix(np.bitwise_xor(h, salt, out=keys[:len(h)]), scratch[:len(h)]), intact


def _line_numbers(cp: np.ndarray) -> np.ndarray:
    """The line each position of ``cp`` is on (32-bit)."""
    return np.cumsum(cp == np.uint64(ord("\n") + 1), dtype=np.int32)


def char_ngram_keys(lines: Sequence[str], min_n: int, max_n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every character n-gram (``min_n`` to ``max_n`` long) of every line as a 64-bit key.

    Returns ``(rows, keys, starts, lengths)``: the line of each n-gram, its key, and where it is in
    ``"\\n".join(lines)`` (lines must not contain a line break).

    Example:
        >>> rows, keys, starts, lens = char_ngram_keys(["ab", "abc"], 2, 3)
        >>> rows.tolist(), lens.tolist(), bool(keys[0] == keys[1])
        ([0, 1, 1, 1], [2, 2, 2, 3], True)
    """
    cp = _code_points("\n".join(lines))
    line = _line_numbers(cp)
    rows, keys, starts, lens = [], [], [], []
    for n, key, intact in _ngram_hashes(cp, min_n, max_n):
        at = np.flatnonzero(intact)
        keys.append(key[at])
        starts.append(at)
        lens.append(np.full(len(at), n, dtype=np.int64))
        rows.append(line[at].astype(np.int64))
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(0, dtype=np.uint64), empty, empty
    return np.concatenate(rows), np.concatenate(keys), np.concatenate(starts), np.concatenate(lens)


def pack_strings(strings: Sequence[str]) -> np.ndarray:
    """Strings (without line breaks) as one UTF-8 byte array, for a file that holds arrays only.

    Example:
        >>> unpack_strings(pack_strings(["电梯", "a b", ""])), unpack_strings(pack_strings([]))
        (['电梯', 'a b', ''], [])
    """
    if any("\n" in s for s in strings):
        raise ValueError("a string to pack contains a line break")
    if not strings:
        return np.zeros(0, dtype=np.uint8)
    return np.frombuffer(("\n".join(strings) + "\n").encode("utf-8", "surrogatepass"), dtype=np.uint8).copy()


def unpack_strings(data: np.ndarray) -> list[str]:
    """The vocabulary a model file stores as one byte array (UTF-8, each string ended by a newline)."""
    if len(data) == 0:
        return []
    return data.tobytes().decode("utf-8", "surrogatepass").split("\n")[:-1]


def smooth_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """Smoothed inverse document frequency, as scikit-learn's ``smooth_idf=True``: ``ln((1 + n) / (1 + df)) + 1``."""
    return np.log((1.0 + n_docs) / (1.0 + df)) + 1.0


def tfidf_rows(rows: np.ndarray, cols: np.ndarray, n_rows: int, idf: np.ndarray) -> Rows:
    """TF-IDF rows from one (row, column) entry per term occurrence (the columns in the vocabulary)."""
    n_cols = len(idf)
    if len(rows) == 0:
        return Rows(np.zeros(n_rows + 1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), n_cols)
    r, c, counts = count_pairs(rows, cols, n_rows, n_cols)
    values = idf[c]
    repeated = np.flatnonzero(counts > 1)  # most terms occur once in a paragraph: factor 1 + log 1 = 1
    values[repeated] *= 1.0 + np.log(counts[repeated])
    norms = np.sqrt(np.bincount(r, weights=values * values, minlength=n_rows))
    values /= norms[r]
    return Rows.from_pairs(r, c, values, n_rows, n_cols)


def _document_frequency(rows: np.ndarray, terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct terms and in how many rows each occurs."""
    if len(terms) == 0:
        return terms, np.zeros(0, dtype=np.int64)
    order = np.lexsort((rows, terms))
    t, r = terms[order], rows[order]
    first = np.ones(len(t), dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (r[1:] != r[:-1])  # first occurrence of a (term, row) pair
    return runs(t[first])


class CharTfidf:
    """Character ``min_n``–``max_n``-grams of lower-cased normalised text, hashed into ``n_buckets``
    columns (the low bits of the 64-bit key): no lookup at prediction time. Buckets used by fewer than
    ``min_df`` training paragraphs are dropped; each kept bucket is named after the first n-gram of
    the training text that fell into it."""

    def __init__(self, min_n: int = 2, max_n: int = 4, min_df: int = 2, n_buckets: int = 2**18) -> None:
        if not 1 <= min_n <= max_n:
            raise ValueError(f"character n-gram range must satisfy 1 <= min <= max, got {min_n}..{max_n}")
        if n_buckets < 1 or n_buckets & (n_buckets - 1):
            raise ValueError(f"n_buckets must be a power of two, got {n_buckets}")
        self.min_n, self.max_n, self.min_df, self.n_buckets = min_n, max_n, min_df, n_buckets

    def _buckets(self, lines: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        rows, keys, starts, lens = char_ngram_keys(lines, self.min_n, self.max_n)
        return rows, (keys & np.uint64(self.n_buckets - 1)).astype(np.int64), starts, lens

    def fit(self, norms: Sequence[str]) -> CharTfidf:
        lines = [t.lower() for t in norms]
        rows, buckets, starts, lens = self._buckets(lines)
        used, df = _document_frequency(rows, buckets)
        kept = df >= self.min_df
        self.idf_ = np.zeros(self.n_buckets)
        self.idf_[used[kept]] = smooth_idf(df[kept], len(lines))
        _, first = np.unique(buckets, return_index=True)  # first occurrence of each used bucket
        first = first[kept]
        joined = "\n".join(lines)
        self.named_ = used[kept]
        self.names_of_ = [joined[a:a + n] for a, n in zip(starts[first].tolist(), lens[first].tolist())]
        return self

    @property
    def width(self) -> int:
        return self.n_buckets

    def name(self, col: int) -> str:
        pos = int(np.searchsorted(self.named_, col))
        return self.names_of_[pos] if pos < len(self.named_) and self.named_[pos] == col else f"#{col}"

    @property
    def names_(self) -> list[str]:
        names = [f"#{c}" for c in range(self.n_buckets)]
        for c, n in zip(self.named_.tolist(), self.names_of_):
            names[c] = n
        return names

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """What a model file keeps of this block: settings, and arrays."""
        return ({"min_n": self.min_n, "max_n": self.max_n, "min_df": self.min_df, "n_buckets": self.n_buckets},
                {"idf_columns": np.flatnonzero(self.idf_).astype(np.int32), "idf_values": self.idf_[self.idf_ > 0],
                 "names": pack_strings(self.names_of_)})

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> CharTfidf:
        block = cls(config["min_n"], config["max_n"], config["min_df"], config["n_buckets"])
        columns, values, names = arrays["idf_columns"], arrays["idf_values"], arrays["names"]
        # checked here, as a file is read: a negative or unsorted column, an idf of 0 or less, a name too few or not
        # UTF-8 scored silently wrong or failed at the first explanation
        if columns.dtype.kind not in "iu" or columns.ndim != 1 or len(columns) and (
                columns[0] < 0 or columns[-1] >= block.n_buckets or np.any(np.diff(columns.astype(np.int64)) <= 0)):
            raise ValueError(f"array 'char.idf_columns' must hold increasing whole numbers from 0 to "
                             f"{block.n_buckets - 1} (its buckets)")
        if values.dtype.kind != "f" or values.shape != columns.shape or np.any(values <= 0):
            raise ValueError("array 'char.idf_values' must hold an idf above 0 for each bucket of "
                             "'char.idf_columns'")
        try:
            names.tobytes().decode("utf-8", "surrogatepass")
            named = names.dtype == np.uint8 and np.count_nonzero(names == 10) == len(columns)  # one a line
        except UnicodeDecodeError:
            named = False
        if not named:
            raise ValueError("array 'char.names' must hold a name (UTF-8, one a line) for each bucket of "
                             "'char.idf_columns'")
        block.idf_ = np.zeros(block.n_buckets)
        block.idf_[columns] = values
        block.named_ = columns.astype(np.int64)  # every kept bucket is named
        block._packed_names = names  # unpacked on first use: only explanations need them
        return block

    @property
    def names_of_(self) -> list[str]:
        """The n-gram naming each kept bucket (in ``named_`` order)."""
        names = self.__dict__.get("_names_of")
        if names is None:
            names = self.__dict__["_names_of"] = unpack_strings(self.__dict__.pop("_packed_names"))
        return names

    @names_of_.setter
    def names_of_(self, value: list[str]) -> None:
        self.__dict__["_names_of"] = value

    def transform(self, norms: Sequence[str]) -> Rows:
        # lower-cased in one call: a line break ends the context of str.lower's one contextual rule
        # (Greek final sigma), so this is the lines lower-cased one by one
        cp = _code_points("\n".join(norms).lower())
        known = self.idf_ > 0
        mask = np.int64(self.n_buckets - 1)
        line = _line_numbers(cp)
        rows, cols = [np.zeros(0, dtype=np.int32)], [np.zeros(0, dtype=np.int64)]  # (a batch may have no n-gram)
        for _, keys, intact in _ngram_hashes(cp, self.min_n, self.max_n):
            buckets = np.bitwise_and(keys.view(np.int64), mask, out=keys.view(np.int64))  # the key's low bits
            kept = known[buckets]
            kept &= intact
            kept = np.flatnonzero(kept)
            rows.append(line[kept])
            cols.append(buckets[kept])
        return tfidf_rows(np.concatenate(rows), np.concatenate(cols), len(norms), self.idf_)


class WordTfidf:
    """Words (and, with ``max_n=2``, pairs of neighbouring vocabulary words) of segmented text.

    Input is a :class:`~tagger.text.segment.TokenStream` (:meth:`tagger.text.segment.Segmenter.stream`):
    the tokens of all paragraphs with a ``"\\n"`` token between paragraphs. Punctuation, symbols and bare numbers never
    enter the vocabulary; word pairs are formed over the vocabulary words of a paragraph, in order.
    """

    def __init__(self, max_n: int = 2, min_df: int = 1) -> None:
        if max_n not in (1, 2):
            raise ValueError(f"word n-grams go up to 1 or 2, got {max_n}")
        self.max_n, self.min_df = max_n, min_df

    def _set_vocabulary(self, words: list[str]) -> None:
        self.words_ = words
        self.vocab_ = {w: i for i, w in enumerate(words)}
        self.vocab_["\n"] = -2  # paragraph separator of the stream

    def _ids(self, stream: TokenStream) -> tuple[np.ndarray, np.ndarray]:
        """Row and word id of every vocabulary word of the stream, in reading order."""
        tokens = stream.tokens
        ids = np.fromiter(map(self.vocab_.get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
        rows = np.cumsum(ids == -2)
        keep = ids >= 0
        return rows[keep], ids[keep]

    def _pairs(self, rows: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        same = rows[1:] == rows[:-1]
        return rows[1:][same], ids[:-1][same] * len(self.words_) + ids[1:][same]

    def fit(self, stream: TokenStream) -> WordTfidf:
        counts: dict[str, int] = {}
        paragraph: set[str] = set()
        for tok in [*stream.tokens, "\n"]:
            if tok == "\n":
                for w in paragraph:
                    counts[w] = counts.get(w, 0) + 1
                paragraph = set()
            else:
                paragraph.add(tok)
        self._set_vocabulary(sorted(w for w, c in counts.items() if c >= self.min_df and not _JUNK.match(w)))
        word_df = np.array([counts[w] for w in self.words_], dtype=np.int64)
        self.pairs_ = np.zeros(0, dtype=np.int64)
        pair_df = np.zeros(0, dtype=np.int64)
        if self.max_n == 2:
            uniq, df = _document_frequency(*self._pairs(*self._ids(stream)))
            self.pairs_, pair_df = uniq[df >= self.min_df], df[df >= self.min_df]
        self.idf_ = smooth_idf(np.concatenate([word_df, pair_df]), stream.n_rows)
        return self

    @property
    def width(self) -> int:
        return len(self.words_) + len(self.pairs_)

    def name(self, col: int) -> str:
        n = len(self.words_)
        if col < n:
            return self.words_[col]
        pair = int(self.pairs_[col - n])
        return f"{self.words_[pair // n]} {self.words_[pair % n]}"

    @property
    def names_(self) -> list[str]:
        return [self.name(c) for c in range(self.width)]

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """What a model file keeps of this block: settings, and arrays."""
        return ({"max_n": self.max_n, "min_df": self.min_df},
                {"words": pack_strings(self.words_), "pairs": self.pairs_, "idf": self.idf_})

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> WordTfidf:
        block = cls(config["max_n"], config["min_df"])
        block._set_vocabulary(unpack_strings(arrays["words"]))
        block.pairs_, block.idf_ = arrays["pairs"].astype(np.int64), arrays["idf"]
        if block.idf_.dtype.kind != "f" or np.any(block.idf_ <= 0):  # ints failed at the first prediction
            raise ValueError("array 'word.idf' must hold an idf (a float above 0) for each column")
        return block

    def transform(self, stream: TokenStream) -> Rows:
        rows, ids = self._ids(stream)
        if self.max_n == 2 and len(self.pairs_):
            prow, pkeys = self._pairs(rows, ids)
            order = np.argsort(pkeys)  # sorted keys are found much faster (each search starts at the last)
            prow, pkeys = prow[order], pkeys[order]
            pos = np.minimum(np.searchsorted(self.pairs_, pkeys), len(self.pairs_) - 1)
            hit = self.pairs_[pos] == pkeys
            rows = np.concatenate([rows, prow[hit]])
            ids = np.concatenate([ids, pos[hit] + len(self.words_)])
        return tfidf_rows(rows, ids, stream.n_rows, self.idf_)
