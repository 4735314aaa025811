"""Word segmentation with rjieba (jieba's dictionary and algorithm, in Rust) and the domain words of
``labels/userdict.txt``.

Example:
    >>> seg = Segmenter(("加装电梯",))
    >>> seg.cut_many(["老旧小区加装电梯接电", "企业报装"])
    [['老旧', '小区', '加装电梯', '接电'], ['企业', '报装']]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Segmenter", "TokenStream", "load_user_dict"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenStream:
    """The tokens of a batch of lines in one list, lines separated by a ``"\\n"`` token, and how many
    lines there are (an empty line has no token, so the count is kept)."""

    tokens: list[str]
    n_rows: int


_JIEBA_COLUMNS = re.compile(r"(?:[0-9]+(?: [A-Za-z]+)?|[A-Za-z]+)?")
"""What may follow the word on a line of a jieba user dictionary (its columns joined by one space): a frequency (a
whole number), a tag, or both in that order — each optional, as jieba reads them."""


def load_user_dict(path: str | Path) -> tuple[str, ...]:
    """Read a user dictionary: one word per line, jieba's format (``word [frequency [tag]]``; frequency and tag are
    not used); blank lines and lines starting with ``#`` are skipped, a BOM at the start of any line (files joined
    together) is taken away.

    A line whose columns after the word are not a frequency and/or a tag (``word with space 3``, ``老人 3.5``: a word
    holds no white space) is read as its first word, with one warning naming such lines.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "userdict.txt")
        ...     _ = open(path, "w", encoding="utf-8").write("加装电梯 5 n\\n# note\\n\\ufeff接电\\n")
        ...     load_user_dict(path)
        ('加装电梯', '接电')
    """
    from ..common.files import read_text_file

    words, odd = [], []
    for number, line in enumerate(read_text_file(path).splitlines(), 1):
        parts = line.lstrip("\ufeff").split()
        if not parts or parts[0].startswith("#"):
            continue
        words.append(parts[0])
        if not _JIEBA_COLUMNS.fullmatch(" ".join(parts[1:])):
            odd.append(number)
    if odd:
        shown = ", ".join(map(str, odd[:10])) + (f", … ({len(odd):,} lines)" if len(odd) > 10 else "")
        log.warning("%s: line%s %s: what follows the word is not jieba's columns (a frequency, a whole number, and/or "
                    "a tag), so only the first word of each is read; a word holds no white space — write one word a "
                    "line", path, "s" if len(odd) > 1 else "", shown)
    return tuple(dict.fromkeys(words))


class Segmenter:
    """rjieba with user words; picklable (the tokenizer is rebuilt on first use in each process)."""

    def __init__(self, user_words: Iterable[str] = ()) -> None:
        self.user_words = tuple(user_words)
        self._tokenizer = None

    def __getstate__(self) -> dict:
        return {"user_words": self.user_words}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["user_words"])

    def _cut(self):
        if self._tokenizer is None:
            import rjieba

            tok = rjieba.Jieba()
            for word in self.user_words:
                tok.add_word(word, None, None)
            self._tokenizer = tok
        return self._tokenizer

    def stream(self, lines: Sequence[str]) -> TokenStream:
        """The tokens of all lines (white-space tokens included), cut in one call, lines separated by
        a ``"\\n"`` token (exactly ``len(lines) - 1`` of them)."""
        if not lines:
            return TokenStream([], 0)
        tokens = self._cut().cut("\n".join(lines), True)
        if tokens.count("\n") != len(lines) - 1:  # a token that swallowed a line break: cut line by line
            tokens = []
            for i, line in enumerate(lines):
                if i:
                    tokens.append("\n")
                tokens += [t for t in self._cut().cut(line, True) if "\n" not in t]
        return TokenStream(tokens, len(lines))

    def cut_many(self, lines: Sequence[str]) -> list[list[str]]:
        """Tokens of each line, white-space tokens left out."""
        out: list[list[str]] = [[]]
        for token in self.stream(lines).tokens:
            if token == "\n":
                out.append([])
            elif not token.isspace():
                out[-1].append(token)
        return out if lines else []

    def __repr__(self) -> str:
        return f"Segmenter(<{len(self.user_words)} user words>)"
