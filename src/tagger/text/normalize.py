"""The feature form of a text (never shown to users in place of the original).

One pass, in this order: invisible characters removed (:func:`remove_invisible`: controls, zero-width and
bidi marks, BOM, soft hyphen and the other invisible format characters, lone surrogates); Unicode NFKC (full-width → half-width, compatibility forms); HTML character references decoded (:func:`decode_entities`: ``&nbsp;``, ``&ldquo;``,
``&#12290;``, in plain text too, so that ``;`` of one is never read as a sentence's end), and the two steps before
applied to the characters they stand for; every run of white
space made one space — line breaks (:data:`PARAGRAPH_BREAKS`: in a report they end a paragraph, in a text scored
as one paragraph they are white space) and the separators that end no paragraph (:data:`SEPARATORS`: a page
break, the information separators ``\\x1c``–``\\x1f``, ``\\x85``) included, so that none of them reaches the
features as it is; inline pinyin annotations of scraped mirror sites removed
(``國網(wǎng)`` → ``國網``); spaces between two Chinese characters dropped; traditional → simplified
Chinese (OpenCC ``t2s``). The result is one line, and normalising it again changes
nothing.

Example:
    >>> normalize("國網(wǎng)山東　供電公司")
    '国网山东供电公司'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

__all__ = ["normalize", "normalize_many", "to_simplified", "strip_pinyin_annotations", "remove_invisible",
           "decode_entities", "reference_spans", "decode_entities_at", "paragraph_lines", "CJK_RANGES",
           "PARAGRAPH_BREAKS", "SEPARATORS"]

PARAGRAPH_BREAKS = ("\r\n", "\n", "\r", "\x0b", "\u2028", "\u2029")
"""Where a paragraph ends, the one rule of every reader (:func:`paragraph_lines`: a ``.txt``, ``.html`` or ``.docx``
file, a cell of a table, ``tag()``, ``tagger review``): a line break — ``\\r\\n`` (one break), ``\\n``, ``\\r`` —,
Word's manual line break (Shift+Enter: ``\\x0b`` in text, ``<w:br/>`` in a ``.docx`` file), and Unicode's line and
paragraph separators (U+2028, U+2029)."""
SEPARATORS = "\x0c\x1c\x1d\x1e\x1f\x85"
"""The characters Python's ``str.splitlines`` also breaks at (or ``str.split`` splits at) that end no paragraph: a page
break (``\\x0c``: ``pdftotext`` puts one before a page's first line, often inside a sentence), the information
separators ``\\x1c``–``\\x1f`` and NEL (``\\x85``, a byte of many a UTF-8 character read as Latin-1). Inside a paragraph
they are white space: :func:`normalize` makes each a space, as any white space."""
_PARAGRAPH_BREAK = re.compile("|".join(map(re.escape, PARAGRAPH_BREAKS)))  # "\\r\\n" first: one break
_OTHER_BREAKS = [brk for brk in PARAGRAPH_BREAKS if "\n" not in brk]

# Controls (tab, line breaks and SEPARATORS are white space, handled below), lone surrogates, and the format characters
# (Unicode category Cf) that show nothing: soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width
# and bidi marks, word joiner and invisible operators, the deprecated format characters, BOM, interlinear
# annotation marks, language tags. (The Cf characters left: the prepended concatenation marks, such as U+0600,
# and the format controls of Egyptian hieroglyphs, Duployan and musical notation, which shape visible signs.)
_INVISIBLE = re.compile("[\u0000-\u0008\u000e-\u001b\u007f-\u0084\u0086-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0001\U000e0020-\U000e007f]")
# A pinyin syllable with a tone-marked vowel (or a trailing tone digit), in brackets, right after a
# Chinese character; the tone mark keeps real bracketed words such as "(APP)" or "(e助手)" intact. A
# syllable has at most 6 letters (zhuang); a chain "國(guó)(guó)" goes in one match.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_SYLLABLE = rf"(?:(?=[a-zü]{{0,5}}[{_TONED}])[a-zü{_TONED}]{{1,6}}|[a-zü]{{1,6}}[1-5])"
CJK_RANGES = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # unified ideographs, compatibility, extensions B+
"""The Han characters, as the ranges of a regular expression's character class."""
_PINYIN = re.compile(rf"(?<=[{CJK_RANGES}])(?:\s?\(\s?{_SYLLABLE}(?:\s+{_SYLLABLE})*\s?\))+")
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{CJK_RANGES}]) (?=[{CJK_RANGES}])")
# The compatibility characters of everyday Chinese text (full-width punctuation, the ideographic
# space), each with its NFKC form (a test checks them): replacing a character by its NFKC form never
# changes a text's NFKC form, and ``str.replace`` is much faster than ``unicodedata.normalize``; after
# it, most paragraphs are already NFKC (a C-speed check says which), and only the others are
# normalised. (Written out: computing them at import would load Unicode tables a report may not need.)
_COMMON_COMPAT = (("，", ","), ("：", ":"), ("；", ";"), ("？", "?"), ("！", "!"), ("（", "("), ("）", ")"),
                  ("\u3000", " "), ("…", "..."), ("／", "/"))


# A well-formed character reference: a name (checked against HTML's list), or a decimal or hexadecimal number, and
# its ";" — "&" and ";" around other text ("供电所&营业厅;", "AT&T;") stay as written. Escaped once more (an export that
# escaped twice: "&amp;nbsp;", "&#38;ldquo;"), the "&" is itself a reference: one match decodes both, and nothing is
# decoded a third time ("&amp;amp;lt;" is "&lt;", as a browser shows the page the second escape was made for).
_REF = r"(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});"
_ENTITY = re.compile(rf"&(?P<amp>amp;|AMP;|#0*38;|#[xX]0*26;)?(?P<ref>{_REF})")
_ENTITY_ONE = re.compile(rf"&{_REF}")


def _one(ref: str) -> str:
    """The character(s) the reference ``ref`` (``&...;``) stands for (as a browser reads it), or ``ref`` itself for
    an unknown name."""
    if ref[1] == "#":
        import html

        return html.unescape(ref)  # a number no character has, 0, a surrogate: U+FFFD; 128-159: windows-1252's
    from html.entities import html5

    return html5.get(ref[1:], ref)


def _entity(match: re.Match) -> str:
    """A reference decoded; escaped twice, decoded twice."""
    inner = "&" + match["ref"]
    if not match["amp"]:
        return _one(inner)
    once = _one(inner)
    return once if once != inner else inner  # "&amp;foo;" (no such name): "&foo;", as the first decoding gives


def decode_entities(text: str) -> str:
    """``text`` with its HTML character references decoded (``&nbsp;`` → U+00A0, ``&ldquo;`` → “, ``&#12290;``
    → 。), those escaped twice too (an export that escaped twice wrote ``&amp;nbsp;``), never a third time
    (``&amp;amp;lt;`` → ``&lt;``), in one pass (linear time): a CMS's text pasted or exported without its markup keeps
    them, and its ``;`` read as a sentence's end made a heading a labelled body paragraph. Only a known name or a
    number followed by ``;`` is one; an ``&`` in running text stays.

    Example:
        >>> decode_entities("&ldquo;我为群众办实事&rdquo;志愿服务&nbsp;|AT&T;|供电所&营业厅;|&amp;nbsp;|&amp;amp;lt;")
        '“我为群众办实事”志愿服务\xa0|AT&T;|供电所&营业厅;|\xa0|&lt;'
    """
    return _ENTITY.sub(_entity, text) if "&" in text else text


def reference_spans(text: str) -> list[tuple[int, int, str]]:
    """Where :func:`decode_entities` decodes a reference in ``text``: ``(start, end, what it stands for)`` of each
    (one span for one escaped twice), in order: what :func:`decode_entities_at` maps the decoded text back to the
    text as written with (the rules and highlights use that).

    Example:
        >>> reference_spans("孤寡&nbsp;老人&amp;ldquo;AT&T;")
        [(2, 8, '\\xa0'), (10, 21, '“')]
    """
    if "&" not in text:
        return []
    return [(m.start(), m.end(), decoded) for m in _ENTITY.finditer(text) if (decoded := _entity(m)) != m[0]]


def decode_entities_at(text: str) -> tuple[str, list[int]]:
    """:func:`decode_entities` of ``text``, and where each of its characters starts in ``text`` (the start of the
    reference it comes from, for each character of what a reference stands for), then ``len(text)``: what lets a rule
    or a highlight read the text as decoded and cut or mark the text as written. A character of ``text`` or a whole
    reference is one unit: it spans from its start to the next larger one.

    Example:
        >>> decode_entities_at("老人&nbsp;检查")
        ('老人\\xa0检查', [0, 1, 2, 8, 9, 10])
    """
    parts, at, pos = [], [], 0
    for start, end, decoded in reference_spans(text):
        parts += [text[pos:start], decoded]
        at += [*range(pos, start), *[start] * len(decoded)]
        pos = end
    parts.append(text[pos:])
    at += [*range(pos, len(text)), len(text)]
    return "".join(parts), at


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def paragraph_lines(text: str, keepends: bool = False) -> list[str]:
    """``text`` cut at its paragraph breaks (:data:`PARAGRAPH_BREAKS`), as ``str.splitlines`` cuts, but at those
    only: the :data:`SEPARATORS` stay inside a line (white space there). The one rule of every reader — a report is
    split into paragraphs at these lines (:func:`tagger.text.report.split_report`: files, table cells, ``tag()``).
    ``keepends``: each line keeps the break that ends it.

    Example:
        >>> paragraph_lines("第一段。\\r\\n第二段。\\u2028第三段,\\x0c续。\\x0b第四段。\\n")
        ['第一段。', '第二段。', '第三段,\\x0c续。', '第四段。']
        >>> paragraph_lines("a\\r\\nb\\x85c", keepends=True)
        ['a\\r\\n', 'b\\x85c']
    """
    if not keepends:
        # most texts (a file's, read) break at "\n" only: str.split is six times faster than the pattern's split
        plain = not any(brk in text for brk in _OTHER_BREAKS)
        lines = text.split("\n") if plain else _PARAGRAPH_BREAK.split(text)
        if not lines[-1]:  # nothing after the last break (or no text): no line, as str.splitlines
            lines.pop()
        return lines
    lines, pos = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        lines.append(text[pos:match.end()])
        pos = match.end()
    if pos < len(text):
        lines.append(text[pos:])
    return lines


def remove_invisible(text: str) -> str:
    """``text`` without the characters that show nothing (controls but white space, lone surrogates, zero-width
    and bidi marks, BOM, soft hyphen …): the first step of :func:`normalize`, and what makes two group values
    that look the same one value in ``tagger stats`` (:func:`tagger.analysis.stats.merge_spellings`).

    Example:
        >>> remove_invisible("\ufeff国网\u200b甲市\xad供电公司")
        '国网甲市供电公司'
    """
    return _INVISIBLE.sub("", text)


def strip_pinyin_annotations(text: str) -> str:
    """Remove ``(pīnyīn)`` annotations that follow Chinese characters.

    Example:
        >>> strip_pinyin_annotations("當(dāng)前位置")
        '當前位置'
    """
    return _PINYIN.sub("", text) if "(" in text else text


def _nfkc(batch: str) -> str:
    """``unicodedata.normalize("NFKC", batch)``, line by line (each line is NFKC on its own: a line
    break neither composes nor reorders with its neighbours, and no character's NFKC form holds one)."""
    for char, form in _COMMON_COMPAT:
        batch = batch.replace(char, form)
    if unicodedata.is_normalized("NFKC", batch):
        return batch
    return "\n".join(line if unicodedata.is_normalized("NFKC", line) else unicodedata.normalize("NFKC", line)
                     for line in batch.split("\n"))


def _tidy(line: str) -> str:
    """White space collapsed (one space, none at either end), pinyin annotations and spaces between
    Chinese characters removed."""
    line = strip_pinyin_annotations(" ".join(line.split()))
    return _SPACE_BETWEEN_CJK.sub("", line) if " " in line else line


def to_simplified(texts: Sequence[str]) -> list[str]:
    """Each text with traditional characters made simplified (as :func:`normalize_many` converts them, with the
    same converter) and line breaks made spaces, nothing else changed: what a search in simplified Chinese should
    also look at.

    Example:
        >>> to_simplified(["獨居老人用電", "独居老人，用电"])
        ['独居老人用电', '独居老人，用电']
    """
    if not texts:
        return []
    converted = _t2s().convert("\n".join(t.replace("\n", " ") for t in texts)).split("\n")
    return converted if len(converted) == len(texts) else [_t2s().convert(t) for t in texts]


def normalize_many(texts: Sequence[str]) -> list[str]:
    """``[normalize(t) for t in texts]``, each step run over the whole batch at once where it can.

    Raises:
        TypeError: for an item that is not a ``str`` (names its position).
    """
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text {i} is {type(text).__name__}, expected str")
    if not texts:
        return []
    # One string, the texts separated by "\n": a text's own line breaks are white space like any
    # other (the first step of _tidy makes every run of it one space), so they become spaces here. Character
    # references are decoded after invisible characters are removed and NFKC is applied (a full-width "＆ｎｂｓｐ；" is
    # "&nbsp;" in NFKC, "&nb\u200bsp;" one without the invisible character), and the characters they stand for then
    # get the same two steps ("&#8203;" is a zero-width space, "&#65292;" a full-width comma).
    batch = _nfkc(_INVISIBLE.sub("", "\n".join(text.replace("\n", " ") for text in texts)))
    lines = [_tidy(_decoded(line) if "&" in line else line) for line in batch.split("\n")]
    converted = _t2s().convert("\n".join(lines)).split("\n")
    return converted if len(converted) == len(lines) else [_t2s().convert(line) for line in lines]


def _decoded(line: str) -> str:
    """One line of :func:`normalize_many` (invisible characters removed, NFKC) with its references decoded and
    the characters they stand for made NFKC too. A reference still left (escaped three times or more, or one that
    the NFKC form of a decoded character makes) loses its ``;`` (made a space): the feature form holds no
    reference, so that its ``;`` is never a sentence's end and normalising again changes nothing."""
    decoded = decode_entities(line)
    if decoded == line:
        return line
    decoded = _nfkc(_INVISIBLE.sub("", decoded.replace("\n", " ")))
    return _ENTITY_ONE.sub(lambda m: m[0][:-1] + " " if _one(m[0]) != m[0] else m[0], decoded) if "&" in decoded \
        else decoded


def normalize(text: str) -> str:
    """The feature form of one text (see the module doc).

    Raises:
        TypeError: if ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects str, got {type(text).__name__}")
    return normalize_many([text])[0]
