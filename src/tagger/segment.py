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
from collections.abc import Iterable

__all__ = ["Segmenter", "available_backends", "load_user_dict"]

# Tokens that carry no meaning for the classifier: punctuation/symbols/space and bare numbers.
_DROP = re.compile(r"^(?:[\W_]+|\d+(?:\.\d+)?%?)$")
_CACHE: dict[tuple, object] = {}
_KEEP: dict[str, bool] = {}  # token -> kept? (the _DROP test done once per distinct token)
_LOCK = threading.Lock()


def available_backends() -> list[str]:
    """Installed segmentation backends, preferred first."""
    found = []
    for name in ("rjieba", "jieba"):
        try:
            __import__(name)
        except ImportError:
            continue
        found.append(name)
    return found


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
                kept = keep[token] = not _DROP.match(token)
            if kept:
                out.append(token)
        return out

    def __repr__(self) -> str:
        return f"Segmenter(backend={self.backend!r}, user_words=<{len(self.user_words)} words>)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Segmenter) and (self.backend, self.user_words) == (
            other.backend,
            other.user_words,
        )

    def __hash__(self) -> int:
        return hash((self.backend, self.user_words))
