"""The codebook's rules that no model overrides: an empty paragraph, and a heading (a short line
without sentence-final punctuation), carry no label."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..text.report import is_heading

__all__ = ["no_label_mask"]


def no_label_mask(norms: Sequence[str], headings: bool = True) -> np.ndarray:
    """Which (normalised) paragraphs get no label: empty ones, and headings when ``headings``.

    Example:
        >>> no_label_mask(["", "暖心服务进社区", "党员为老人检查线路。"]).tolist()
        [True, True, False]
    """
    return np.fromiter((not n or (headings and is_heading(n)) for n in norms), dtype=bool, count=len(norms))
