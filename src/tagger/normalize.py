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
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .hashing import codepoints
from .native import kernels

__all__ = ["normalize", "normalize_many", "nfkc", "to_simplified", "strip_pinyin_annotations"]

# A pinyin syllable with at least one tone-marked vowel (or a trailing tone digit), in brackets,
# directly after a CJK character. Requiring the tone mark keeps real bracketed words such as "(APP)"
# or "(e助手)" intact.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# A syllable has at most 6 letters (zhuang); the bound also keeps the regex linear on long runs of
# letters. A chain of annotations after one character ("國(guó)(guó)") is removed in one go.
_PINYIN_SYLLABLE = rf"(?:(?=[a-zü]{{0,5}}[{_TONED}])[a-zü{_TONED}]{{1,6}}|[a-zü]{{1,6}}[1-5])"
_PINYIN_ANNOTATION = re.compile(
    rf"(?<=[\u3400-\u9fff\uf900-\ufaff])(?:\s?\(\s?{_PINYIN_SYLLABLE}(?:\s+{_PINYIN_SYLLABLE})*\s?\))+"
)
# Control characters (except tab/newline), zero-width and bidi marks, BOM, replacement of lone
# surrogates (they cannot be encoded) - all invisible noise for features.
_INVISIBLE = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]")
# Runs of spaces that change when collapsed to one " " (a lone " " is left alone: nothing to do).
_SPACES = re.compile(r"[\t\r\f\v\u3000\u00a0][ \t\r\f\v\u3000\u00a0]*| [ \t\r\f\v\u3000\u00a0]+")
# A space between two CJK characters; the pattern starts with the literal space so the regex engine
# jumps from space to space instead of testing a look-behind at every character.
_SPACE_BETWEEN_CJK = re.compile(r" (?<=[\u3400-\u9fff] )(?=[\u3400-\u9fff])")
# Every pinyin annotation contains "(" and a syllable: texts without that skip the (slower,
# look-behind) annotation regex. Starting with a literal, the hint scans quickly.
_PINYIN_HINT = re.compile(rf"\(\s?{_PINYIN_SYLLABLE}")
# Separator for batch normalisation: a private-use character between line breaks. No step changes
# it or matches across it (it is not a CJK character for the pinyin look-behind, not a space, in no
# OpenCC key, and composes with nothing under NFKC), so each text is normalised as on its own.
_SEP_CHAR = "\ue000"
_SEP = "\n" + _SEP_CHAR + "\n"


def _pinyin_hint(text: str) -> bool:
    return "(" in text and _PINYIN_HINT.search(text) is not None


# Ranges whose characters (combining marks excluded below) are starters that never compose with a
# neighbour under NFKC (no Hangul jamo, no kana voicing marks, no Indic vowel signs): here NFKC acts
# character by character. Latin Extended (toned pinyin such as ā ǎ ḿ) is included so that text with
# pinyin annotations stays on the fast path; a test checks that no character of these ranges is the
# second half of a canonical composition.
_PLAIN_RANGES = [(0x09, 0x0D), (0x20, 0x7E), (0xA0, 0x24F), (0x1E00, 0x1EFF), (0x2000, 0x206F),
                 (0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xE000, 0xE000),
                 (0xFF00, 0xFFEF)]
_UNSAFE, _SAME, _ONE, _MANY = 0, 1, 2, 3


@lru_cache(maxsize=1)
def _nfkc_tables() -> tuple[np.ndarray, np.ndarray, re.Pattern | None, dict[str, str]]:
    """Per BMP code point: class (_SAME: NFKC leaves it, _ONE: NFKC gives one _SAME character,
    _MANY: NFKC gives several _SAME characters, _UNSAFE: anything else) and the _ONE mapping.
    Built from this Python's ``unicodedata`` once per process (~20 ms)."""
    cls = np.zeros(0x10000, dtype=np.uint8)
    target = np.arange(0x10000, dtype=np.uint32)
    for lo, hi in _PLAIN_RANGES:
        for i in range(lo, hi + 1):
            ch = chr(i)
            if not unicodedata.combining(ch) and unicodedata.normalize("NFKC", ch) == ch:
                cls[i] = _SAME
    many = {}
    for lo, hi in _PLAIN_RANGES:
        for i in range(lo, hi + 1):
            ch = chr(i)
            if cls[i] == _SAME or unicodedata.combining(ch):
                continue
            out = unicodedata.normalize("NFKC", ch)
            if out and all(ord(o) < 0x10000 and cls[ord(o)] == _SAME for o in out):
                if len(out) == 1:
                    cls[i], target[i] = _ONE, ord(out)
                else:
                    cls[i], many[ch] = _MANY, out
    pattern = re.compile("[" + "".join(map(re.escape, many)) + "]") if many else None
    return cls, target, pattern, many


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, several times faster on Chinese text: where every
    character is a plain starter (the usual case) NFKC is a per-character table lookup.

    Example:
        >>> nfkc("供电（ＡＢ）…")
        '供电(AB)...'
    """
    if text.isascii():
        return text
    cls, target, pattern, many = _nfkc_tables()
    cp = codepoints(text)
    if cp.max() > 0xFFFF:
        return unicodedata.normalize("NFKC", text)
    kinds = np.bincount(cls[cp], minlength=4)
    if kinds[_UNSAFE]:
        return unicodedata.normalize("NFKC", text)
    if kinds[_ONE]:
        text = target[cp].tobytes().decode("utf-32-le")
    if kinds[_MANY]:
        text = pattern.sub(lambda m: many[m.group()], text)
    return text


@lru_cache(maxsize=1)
def _nfkc_visible_tables() -> tuple[np.ndarray, ...]:
    """The tables of :func:`tagger._speedups.nfkc_visible`: :func:`_nfkc_tables` with ASCII marked
    unchanged (NFKC leaves ASCII alone; :func:`nfkc` takes the same shortcut), the several-character
    mappings as offsets into one pool, and which characters ``_INVISIBLE`` removes."""
    cls, target, _, many = _nfkc_tables()
    kinds = cls.copy()
    kinds[:0x80][kinds[:0x80] == _UNSAFE] = _SAME
    lengths = np.zeros(0x10000, dtype=np.int64)
    pool: list[int] = []
    for ch in sorted(many):
        lengths[ord(ch)] = len(many[ch])
    for ch in sorted(many, key=ord):
        pool += [ord(o) for o in many[ch]]
    many_start = np.zeros(0x10001, dtype=np.int64)
    np.cumsum(lengths, out=many_start[1:])
    drop = np.fromiter((_INVISIBLE.match(chr(i)) is not None for i in range(0x10000)), dtype=np.uint8, count=0x10000)
    return kinds, target, many_start, np.array(pool, dtype=np.uint32), drop


def _nfkc_visible(text: str) -> tuple[str, str]:
    """``nfkc(text)`` and the same without ``_INVISIBLE`` characters; one compiled pass when the
    kernels are built and the text is in the fast path's ranges (see :func:`nfkc`). When nothing is
    removed both are the same string."""
    compiled = kernels()
    if compiled is not None:
        got = compiled.nfkc_visible(text, *_nfkc_visible_tables())
        if got is not None:
            visible, removed = got
            return (nfkc(text) if removed else visible), visible
    a = nfkc(text)
    return a, _INVISIBLE.sub("", a)


# Characters that start a run _SPACES rewrites; without them, only a double space can.
_SPACE_STARTS = ("  ", "\t", "\r", "\f", "\v", "\u3000", "\u00a0")


def _collapse_spaces(text: str) -> str:
    """``_SPACES.sub(" ", text)``, skipped (a few substring scans) when nothing can match."""
    return _SPACES.sub(" ", text) if any(s in text for s in _SPACE_STARTS) else text


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # imported lazily: ~20 ms, only needed when text is normalised

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _t2s_c_api():
    """OpenCC ``t2s`` through OpenCC's own C API (``opencc_open`` / ``opencc_convert_utf8``, exported
    by the library the Python binding is built on, with the same configuration file): a ``ctypes``
    call releases the interpreter lock while it converts, so threads tagging other chunks keep
    running. ``None`` when the symbols are not there or the handle cannot be opened."""
    import ctypes

    try:
        from opencc.clib import opencc_clib

        lib = ctypes.CDLL(opencc_clib.__file__)
        open_, convert, free = lib.opencc_open, lib.opencc_convert_utf8, lib.opencc_convert_utf8_free
    except (ImportError, OSError, AttributeError):
        return None
    open_.restype, open_.argtypes = ctypes.c_void_p, [ctypes.c_char_p]
    convert.restype, convert.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    free.restype, free.argtypes = None, [ctypes.c_void_p]
    config = getattr(_t2s(), "config", None)
    if not isinstance(config, str):
        return None
    handle = open_(config.encode())
    if not handle or handle == ctypes.c_void_p(-1).value:
        return None

    def t2s(text: str) -> str | None:
        data = text.encode("utf-8")
        out = convert(handle, data, len(data))
        if not out:
            return None
        try:
            return ctypes.string_at(out).decode("utf-8")
        finally:
            free(out)

    return t2s


def _convert(text: str) -> str:
    """OpenCC ``t2s`` of ``text``: by the C API (see :func:`_t2s_c_api`) with the compiled kernels on
    and the OpenCC version :mod:`tagger._opencc_t2s` was checked against (tests compare both on every
    changeable character), else by the Python binding."""
    if kernels() is not None and _t2s_table()[0] is not None and "\x00" not in text:  # (C strings end at NUL)
        t2s = _t2s_c_api()
        out = t2s(text) if t2s is not None else None
        if out is not None:
            return out
    return _t2s().convert(text)


@lru_cache(maxsize=1)
def _t2s_table() -> tuple[re.Pattern | None, bool]:
    """A regex class of the characters that may make OpenCC ``t2s`` change a line (the BMP
    characters it can change, see :mod:`tagger._opencc_t2s`, and, to keep the class fast, every
    character beyond the BMP), and whether OpenCC's output is inert under NFKC. ``(None, False)``
    when the installed OpenCC is not the one the set was generated from: every line is converted."""
    from importlib.metadata import PackageNotFoundError, version

    from ._opencc_t2s import CHANGEABLE, OPENCC_VERSION, OUTPUT_INERT

    try:
        if version("opencc") != OPENCC_VERSION:
            return None, False
    except PackageNotFoundError:
        return None, False
    ranges: list[list[int]] = []
    for c in sorted(ord(ch) for ch in CHANGEABLE if ord(ch) <= 0xFFFF):
        if ranges and c == ranges[-1][1] + 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    bmp = "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
    return re.compile("[" + bmp + "\U00010000-\U0010ffff]"), OUTPUT_INERT


@lru_cache(maxsize=1)
def _t2s_marks() -> np.ndarray:
    """The BMP part of :func:`_t2s_table`'s class as flags per code point (for the compiled
    kernels, which count every character beyond the BMP as marked, as the class does)."""
    from ._opencc_t2s import CHANGEABLE

    marks = np.zeros(0x10000, dtype=np.uint8)
    marks[[ord(ch) for ch in CHANGEABLE if ord(ch) <= 0xFFFF]] = 1
    return marks


def _changeable_lines(text: str, trigger: re.Pattern) -> list[tuple[int, int]]:
    """Start and end of each line of ``text`` (no line break) with a ``trigger`` character."""
    compiled = kernels()
    if compiled is not None:
        flat = compiled.marked_lines(text, _t2s_marks())
        return list(zip(flat[::2], flat[1::2]))
    spans, n = [], len(text)
    m = trigger.search(text)
    while m is not None:
        a = text.rfind("\n", 0, m.start()) + 1
        b = text.find("\n", m.end())
        b = n if b < 0 else b
        spans.append((a, b))
        m = trigger.search(text, b + 1) if b < n else None
    return spans


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters to simplified ones (OpenCC ``t2s``).

    Lines without a character that ``t2s`` can change are not passed to OpenCC (they would come
    back unchanged), so mostly simplified text costs a scan instead of a conversion.

    Example:
        >>> to_simplified("供電公司黨員服務隊")
        '供电公司党员服务队'
    """
    if not text:
        return text
    trigger = _t2s_table()[0]
    if trigger is None:
        return _convert(text)
    if "\n" not in text:
        return _convert(text) if _has_changeable(text, trigger) else text
    # Lines that contain such a character, converted together (no dictionary key holds a line
    # break, so a line converts the same alone or beside others).
    spans = _changeable_lines(text, trigger)
    if not spans:
        return text
    converted = _convert("\n".join(text[a:b] for a, b in spans)).split("\n")
    if len(converted) != len(spans):  # cannot happen (see above); stay exact anyway
        return _convert(text)
    out, pos = [], 0
    for (a, b), line in zip(spans, converted):
        out += (text[pos:a], line)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def strip_pinyin_annotations(text: str) -> str:
    """Remove ``(pīnyīn)`` annotations that follow Chinese characters.

    Example:
        >>> strip_pinyin_annotations("當(dāng)前位置")
        '當前位置'
    """
    return _PINYIN_ANNOTATION.sub("", text) if _pinyin_hint(text) else text


def _strip_lines(text: str) -> str:
    if "\n" not in text:
        return text.strip()
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def _pass(text: str, simplify: bool) -> tuple[str, str, str, str, str, str]:
    """The steps of one pass, every intermediate result kept (a text or a batch joined by _SEP)."""
    a, b = _nfkc_visible(text)
    c = strip_pinyin_annotations(b)
    d = to_simplified(c) if simplify else c
    e = _collapse_spaces(d)
    f = _SPACE_BETWEEN_CJK.sub("", e)
    return a, b, c, d, e, f


def _may_convert_again(converted: str) -> bool:
    """Whether OpenCC output could change under another normalisation pass: it holds a character
    that may make ``t2s`` change it (see :func:`_t2s_table`), or that set is unknown, or OpenCC's
    output characters are not all inert under NFKC."""
    trigger, inert = _t2s_table()
    return trigger is None or not inert or _has_changeable(converted, trigger)


def _has_changeable(text: str, trigger: re.Pattern) -> bool:
    """Whether ``text`` holds a character of the ``trigger`` class."""
    compiled = kernels()
    if compiled is not None:
        return bool(compiled.marked_lines(text, _t2s_marks()))
    return trigger.search(text) is not None


def _unstable(a: str, b: str, c: str, d: str, e: str, f: str) -> bool:
    # A second pass can only differ when this one removed invisible characters (neighbours may now
    # compose under NFKC), removed a pinyin annotation (its neighbours now meet), left text in which
    # an annotation could still match (a "(" and a syllable), changed something through OpenCC into
    # text it may convert again, or joined CJK characters across a space (an OpenCC phrase can now
    # match).
    return (len(b) != len(a) or len(c) != len(b) or _pinyin_hint(f) or (d != c and _may_convert_again(d))
            or len(f) != len(e))


def _steps(text: str, simplify: bool) -> tuple[str, bool]:
    """One pass; also says whether a second pass could change the result."""
    parts = _pass(text, simplify)
    return _strip_lines(parts[-1]), _unstable(*parts)


def _settle(out: str, unstable: bool, simplify: bool) -> str:
    # Iterate to a fixed point (one extra pass in practice) only when a pass could still change it.
    for _ in range(4):
        if not unstable:
            break
        again, unstable = _steps(out, simplify)
        if again == out:
            break
        out = again
    return out


def normalize(text: str, simplify: bool = True) -> str:
    """Return the feature form of ``text``; idempotent: ``normalize(normalize(t)) == normalize(t)``.

    ``simplify=False`` keeps the script (no traditional → simplified; used by an ablation).

    Raises:
        TypeError: if ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects str, got {type(text).__name__}")
    return _settle(*_steps(text, simplify), simplify)


def _batch_steps(texts: list[str], simplify: bool) -> tuple[list[str], list[bool]]:
    """``_steps`` of every text, each step run once over the texts joined by ``_SEP``."""
    joined = _SEP.join(texts)
    steps = final = None
    if len(texts) >= 2 and joined.count(_SEP_CHAR) == len(texts) - 1:  # else tiny, or _SEP in a text
        steps = _pass(joined, simplify)
        final = steps[-1].split(_SEP)
    if final is None or len(final) != len(texts):  # (a wrong count cannot happen; stay exact anyway)
        pairs = [_steps(t, simplify) for t in texts]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    out = [p.strip() if "\n" not in p else _strip_lines(p) for p in final]  # (inlined: per-text calls)
    # Per text, only the conditions of _unstable that hold for the batch as a whole.
    a, b, c, d, e, f = steps
    unstable = np.zeros(len(texts), dtype=bool)

    def parts(s: str) -> list[str]:
        return final if s is f else s.split(_SEP)

    for x, y in ((a, b), (b, c), (e, f)):  # characters removed by a step
        if len(x) != len(y):
            unstable |= np.fromiter(map(len, parts(x)), int, len(texts)) != np.fromiter(
                map(len, parts(y)), int, len(texts))
    if d != c:  # OpenCC changed something
        converted = parts(d)
        unstable |= np.fromiter((x != y and _may_convert_again(x) for x, y in zip(converted, parts(c))),
                                bool, len(texts))
    if _pinyin_hint(f):
        unstable |= np.fromiter(map(_pinyin_hint, final), bool, len(texts))
    return out, unstable.tolist()


def normalize_many(texts: Sequence[str], simplify: bool = True) -> list[str]:
    """``[normalize(t) for t in texts]``, computed with each step run once over the joined batch
    (not once per text); texts that need a second pass get it together, the same way.

    Example:
        >>> normalize_many(["國網(wǎng)山東", "供电　公司"])
        ['国网山东', '供电公司']

    Raises:
        TypeError: if an item is not a ``str``.
    """
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"normalize_many() item {i} is {type(t).__name__}, expected str")
    out, unstable = _batch_steps(texts, simplify)
    pending = [i for i, u in enumerate(unstable) if u]
    for _ in range(4):  # as in normalize(): further passes only while one could change the text
        if not pending:
            break
        again, unstable = _batch_steps([out[i] for i in pending], simplify)
        still = []
        for i, text, u in zip(pending, again, unstable):
            if text != out[i]:
                out[i] = text
                if u:
                    still.append(i)
        pending = still
    return out
