"""Word segmentation with jieba or its Rust binding rjieba (same dictionary, interchangeable).

The :class:`Segmenter` is a picklable callable (it keeps the backend name and the user dictionary,
and rebuilds the native tokenizer after unpickling), so it can be a ``TfidfVectorizer`` tokenizer.

Example:
    >>> seg = Segmenter(user_words=("加装电梯",))
    >>> seg("老旧小区加装电梯接电。")
    ['老旧', '小区', '加装电梯', '接电']
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence

import numpy as np

from .hashing import codepoints
from .native import kernels

__all__ = ["Segmenter", "available_backends", "load_user_dict"]

# Tokens that carry no meaning for the classifier: punctuation/symbols/space and bare numbers.
_DROP = re.compile(r"^(?:[\W_]+|\d+(?:\.\d+)?%?)$")
_CACHE: dict[tuple, object] = {}
_KEEP: dict[str, bool] = {}  # token -> kept? (the _DROP test done once per distinct token)
_LOCK = threading.Lock()
_CLASSES: list[np.ndarray] = []  # per BMP code point: bit flags _WORD, _DIGIT, _DOT, _PCT
_WORD, _DIGIT, _DOT, _PCT = 1, 2, 4, 8


def _char_classes() -> np.ndarray:
    """Bit flags of every BMP code point as ``re`` sees it: ``\\w`` without ``_`` is
    ``str.isalnum``, ``\\d`` is ``str.isdecimal``; built once per process (~10 ms)."""
    if not _CLASSES:
        with _LOCK:
            if not _CLASSES:
                chars = [chr(i) for i in range(0x10000)]
                word = np.fromiter((c.isalnum() for c in chars), dtype=bool, count=0x10000)
                digit = np.fromiter((c.isdecimal() for c in chars), dtype=bool, count=0x10000)
                flags = word * np.uint8(_WORD) | digit * np.uint8(_DIGIT)
                flags[ord(".")] |= _DOT
                flags[ord("%")] |= _PCT
                _CLASSES.append(flags.astype(np.uint8))
    return _CLASSES[0]


def _kept(token: str) -> bool:
    return not _DROP.match(token)


def available_backends() -> list[str]:
    """Installed segmentation backends, preferred first (found without importing them: importing
    jieba alone takes ~0.3 s)."""
    from importlib.util import find_spec

    return [name for name in ("rjieba", "jieba") if find_spec(name) is not None]


def load_user_dict(path) -> tuple[str, ...]:
    """Read a user dictionary: one word per line (jieba format; frequency/tag columns ignored)."""
    words = []
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            word = line.split()[0] if line.split() else ""
            if word and not word.startswith("#"):
                words.append(word)
    return tuple(dict.fromkeys(words))


def _build(backend: str, words: tuple[str, ...]):
    if backend == "rjieba":
        import rjieba

        tok = rjieba.Jieba()
        for word in words:
            tok.add_word(word, None, None)
        return lambda text: tok.cut(text, True)  # noqa: E731 - closure over a native object, never pickled
    if backend == "jieba":
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        for word in words:
            tok.add_word(word)
        return lambda text: tok.lcut(text, HMM=True)  # noqa: E731
    raise ValueError(f"unknown segmentation backend {backend!r}; use 'rjieba' or 'jieba'")


class Segmenter:
    """Callable word segmenter: ``Segmenter()(text) -> list[str]`` without punctuation or numbers.

    Args:
        backend: ``"rjieba"``, ``"jieba"`` or ``"auto"`` (rjieba if installed).
        user_words: domain words kept whole (e.g. ``加装电梯``, ``一户一表``).
    """

    def __init__(self, backend: str = "auto", user_words: Iterable[str] = ()) -> None:
        if backend == "auto":
            backends = available_backends()
            if not backends:
                raise ImportError("no segmenter installed: pip install rjieba (or jieba)")
            backend = backends[0]
        self.backend = backend
        self.user_words = tuple(user_words)

    def _cut(self):
        key = (self.backend, self.user_words)
        fn = _CACHE.get(key)
        if fn is None:
            with _LOCK:
                fn = _CACHE.get(key)
                if fn is None:
                    fn = _CACHE[key] = _build(self._available_backend(), self.user_words)
        return fn

    def _available_backend(self) -> str:
        """The saved backend, or the other one (same dictionary, near-identical tokens) with a
        warning when a model trained with one is used where only the other is installed."""
        installed = available_backends()
        if self.backend in installed or not installed:
            return self.backend
        import warnings

        warnings.warn(f"segmenter {self.backend!r} is not installed; using {installed[0]!r} instead "
                      f"(pip install {self.backend} for identical results)", stacklevel=3)
        return installed[0]

    def __call__(self, text: str) -> list[str]:
        keep = _KEEP
        out = []
        for token in self._cut()(text):
            kept = keep.get(token)
            if kept is None:
                if len(keep) > 500_000:  # bounded: flat memory on any corpus
                    keep.clear()
                kept = keep[token] = _kept(token)
            if kept:
                out.append(token)
        return out

    def spans(self, texts: Sequence[str]) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
        """Segment a batch at once: the texts joined by ``"\\n"``, and the start/end offsets in it and
        the text index of every kept word, in reading order. Same words as calling the segmenter on
        each text (a line break never joins a word), without one Python string test per word.

        Example:
            >>> buf, a, b, rows = Segmenter(user_words=("加装电梯",)).spans(["加装电梯。", "接电"])
            >>> [buf[i:j] for i, j in zip(a, b)], rows.tolist()
            (['加装电梯', '接电'], [0, 1])
        """
        texts = list(texts)
        joined = "\n".join(texts)
        tokens = self._cut()(joined) if joined else []
        compiled = kernels()
        if compiled is not None and isinstance(tokens, list):
            cp = codepoints(joined)
            starts, ends = np.empty(len(tokens), dtype=np.int64), np.empty(len(tokens), dtype=np.int64)
            status = np.empty(len(tokens), dtype=np.uint8)
            if compiled.token_spans(tokens, cp, _char_classes(), starts, ends, status) != len(joined):
                return self._spans_slow(texts)  # a backend that drops characters
            keep = status == 1
            for i in np.flatnonzero(status == 2).tolist():  # numbers with a ".", characters beyond the BMP
                keep[i] = _kept(tokens[i])
        else:
            starts, ends, keep = self._token_keep(tokens, joined)
            if keep is None:
                return self._spans_slow(texts)
        text_starts = np.zeros(len(texts), dtype=np.int64)
        if texts:
            np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))[:-1] + 1,
                      out=text_starts[1:])
        starts, ends = np.compress(keep, starts), np.compress(keep, ends)
        rows = np.searchsorted(text_starts, starts, side="right") - 1
        return joined, starts, ends, rows

    @staticmethod
    def _token_keep(tokens: list[str], joined: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Offsets of the tokens in ``joined`` and which are kept (``None``: the tokens do not
        cover ``joined`` exactly). The numpy version of :func:`tagger._speedups.token_spans`."""
        lens = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        ends = np.cumsum(lens)
        if len(tokens) and ends[-1] != len(joined):  # a backend that drops characters: exact slow path
            return None, None, None
        starts = ends - lens
        cp = codepoints(joined)
        astral = cp > 0xFFFF
        has_astral = bool(astral.any())
        cls = _char_classes()[np.where(astral, 0, cp) if has_astral else cp]

        def count(flag: int) -> np.ndarray:  # characters with ``flag`` in every token
            run = np.zeros(len(cp) + 1, dtype=np.int32)
            np.cumsum((cls & flag) != 0, out=run[1:])
            return run[ends] - run[starts]

        keep = count(_WORD) > 0  # [\W_]+ tokens (punctuation, space, line breaks) are dropped
        # Bare numbers \d+(\.\d+)?%? are dropped too. Without a ".": digits, then at most a final
        # "%" (decided here); with a "." (rare): the regex decides, as for astral characters.
        n_digit, n_dot, n_pct = count(_DIGIT), count(_DOT), count(_PCT)
        numeric = keep & (n_digit + n_dot + n_pct == lens)
        last = cls[np.maximum(ends - 1, 0)]
        plain = numeric & (n_dot == 0) & ((n_pct == 0) | ((n_pct == 1) & ((last & _PCT) != 0)))
        keep[plain] = False
        check = numeric & (n_dot > 0)
        if has_astral:
            far = np.zeros(len(cp) + 1, dtype=np.int32)
            np.cumsum(astral, out=far[1:])
            check |= (far[ends] - far[starts]) > 0
        for i in np.flatnonzero(check).tolist():
            keep[i] = _kept(tokens[i])
        return starts, ends, keep

    def _spans_slow(self, texts: list[str]) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
        starts, ends, rows, offset = [], [], [], 0
        for r, text in enumerate(texts):
            pos = 0
            for token in self(text):
                at = text.index(token, pos)
                starts.append(offset + at)
                ends.append(offset + at + len(token))
                rows.append(r)
                pos = at + len(token)
            offset += len(text) + 1
        return ("\n".join(texts), np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64),
                np.asarray(rows, dtype=np.int64))

    def __repr__(self) -> str:
        return f"Segmenter(backend={self.backend!r}, user_words=<{len(self.user_words)} words>)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Segmenter) and (self.backend, self.user_words) == (
            other.backend,
            other.user_words,
        )

    def __hash__(self) -> int:
        return hash((self.backend, self.user_words))
