"""Text normalisation used for features (never shown to users in place of the original).

Steps, in order: Unicode NFKC (full-width → half-width, compatibility forms), removal of control and
zero-width characters, removal of inline pinyin annotations inserted by scraped mirror sites
(``國網(wǎng)`` → ``國網``), traditional → simplified Chinese (OpenCC ``t2s``), whitespace clean-up.

Example:
    >>> normalize("國網(wǎng)山東　供電公司")
    '国网山东供电公司'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalize", "to_simplified", "strip_pinyin_annotations"]

# A pinyin syllable with at least one tone-marked vowel (or a trailing tone digit), in brackets,
# directly after a CJK character. Requiring the tone mark keeps real bracketed words such as "(APP)"
# or "(e助手)" intact.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN_SYLLABLE = rf"(?:[a-zü{_TONED}]*[{_TONED}][a-zü{_TONED}]*|[a-zü]{{1,6}}[1-5])"
_PINYIN_ANNOTATION = re.compile(
    rf"(?<=[\u3400-\u9fff\uf900-\ufaff])\s?\(\s?{_PINYIN_SYLLABLE}(?:\s+{_PINYIN_SYLLABLE})*\s?\)"
)
# Control characters (except tab/newline), zero-width and bidi marks, BOM, replacement of lone
# surrogates (they cannot be encoded) - all invisible noise for features.
_INVISIBLE = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\r\f\v\u3000\u00a0]+")
_SPACE_BETWEEN_CJK = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # imported lazily: ~20 ms, only needed when text is normalised

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters to simplified ones (OpenCC ``t2s``).

    Example:
        >>> to_simplified("供電公司黨員服務隊")
        '供电公司党员服务队'
    """
    return _t2s().convert(text) if text else text


def strip_pinyin_annotations(text: str) -> str:
    """Remove ``(pīnyīn)`` annotations that follow Chinese characters.

    Example:
        >>> strip_pinyin_annotations("當(dāng)前位置")
        '當前位置'
    """
    return _PINYIN_ANNOTATION.sub("", text)


def _steps(text: str, simplify: bool) -> tuple[str, bool]:
    """One pass; also says whether a second pass could change the result."""
    a = unicodedata.normalize("NFKC", text)
    b = _INVISIBLE.sub("", a)
    c = strip_pinyin_annotations(b)
    d = to_simplified(c) if simplify else c
    e = _SPACES.sub(" ", d)
    f = _SPACE_BETWEEN_CJK.sub("", e)
    out = "\n".join(line.strip() for line in f.split("\n")).strip()
    # A second pass can only differ when this one removed invisible characters (neighbours may now
    # compose under NFKC), left a "(" (a pinyin annotation can now follow a CJK character), changed
    # something through OpenCC (its output may convert again), or joined CJK characters across a
    # space (an OpenCC phrase can now match).
    unstable = len(b) != len(a) or "(" in c or d != c or len(f) != len(e)
    return out, unstable


def normalize(text: str, simplify: bool = True) -> str:
    """Return the feature form of ``text``; idempotent: ``normalize(normalize(t)) == normalize(t)``.

    ``simplify=False`` keeps the script (no traditional → simplified; used by an ablation).

    Raises:
        TypeError: if ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects str, got {type(text).__name__}")
    out, unstable = _steps(text, simplify)
    # Iterate to a fixed point (one extra pass in practice) only when a pass could still change it.
    for _ in range(4):
        if not unstable:
            break
        again, unstable = _steps(out, simplify)
        if again == out:
            break
        out = again
    return out
