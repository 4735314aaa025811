"""Decoding input files: one rule for every reader of the package.

UTF-8 (with or without BOM) first; a UTF-16/UTF-32 byte-order mark is honoured; GB18030 (which
covers GBK/GB2312, common in Windows exports) only when the bytes are not UTF-8 at all, and Big5
(traditional Chinese, Windows code page 950) when they decode as Big5 too and GB18030 would turn them
into kana, bopomofo, Cyrillic and small-form punctuation, which Chinese text hardly has. A file that
is UTF-8 but broken — cut in the middle of a character, or with a corrupt byte further in — is refused
with the byte offset (and line) rather than decoded as GB18030 garbage. ``encoding`` overrides the guess.

Example:
    >>> decode_bytes("供电".encode("gb18030"), "x.txt")
    '供电'
    >>> decode_bytes("供电".encode("utf-8")[:-1], "x.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tagger.errors.DecodeError: x.txt: UTF-8 text cut in the middle of a character at byte 3, line 1 (truncated file?); ...
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import csv
import errno
import fnmatch
import functools
import io
import itertools
import json
import logging
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol

from ..errors import DecodeError, InputError, LabelFileError, TaggerError, label_file_error
from .atomic import SQLITE_HEADER
from .terminal import counted

if TYPE_CHECKING:
    from openpyxl import Workbook

__all__ = ["NO_SUCH_FILE", "NO_SUCH_FILE_OR_FOLDER", "no_such", "EMPTY_FILE",
           "decode_bytes", "read_text_file", "read_text_lines", "universal_newlines", "text_lines", "jsonl_line",
           "read_docx_text", "decode_report", "read_report_text", "decode_page",
           "tab_table_header", "describe_tab_table", "open_workbook", "PAGE_FONTS",
           "page_charset", "PAGE_SUFFIXES", "REPORT_SUFFIXES", "REPORT_KINDS", "GENERATOR_MARK", "glob_matches",
           "glob_reaches", "open_text_stream", "TextStream", "UNDECODABLE", "undecodable_row", "iter_json_lines",
           "iter_json_blocks",
           "JsonBlock", "parse_json_lines", "load_json", "JsonProblem", "json_start", "JSON_BLANK",
           "guess_encoding", "warnings_once", "first_in_run", "note_once", "retold", "csv_delimiter",
           "csv_header", "CsvHeader", "csv_rows", "CsvDictRows", "quote_after_space_hint", "cells_beyond_header", "file_name_text",
           "first_line_of", "csv_text_delimiter", "csv_problem", "CsvRowError", "sheet_row_note", "read_csv_table",
           "CsvTable", "CsvRow", "csv_text_start", "csv_lines_start", "CsvStart", "strict_rows", "read_label_table",
           "csv_text_lines",
           "folder_files", "not_a_file", "entry_kind", "EntryKind", "LeftOut", "names_nothing",
           "TAB_SEPARATED_SUFFIXES",
           "check_header", "LONE_SURROGATE", "replace_surrogates", "excel_unescape", "path_exists",
           "in_gb2312", "common_han", "mostly_common_han", "OtherEncoding", "other_encoding"]

log = logging.getLogger(__name__)

LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a JSON "\ud800" escape decodes to one; UTF-8 cannot hold it


def replace_surrogates(text: str) -> tuple[str, int]:
    """``text`` with each lone surrogate replaced by U+FFFD, and how many there were (the one rule for
    text read from JSON, which may hold them, before it is written anywhere).

    Example:
        >>> replace_surrogates("a\\ud800b") == ("a\\ufffdb", 1)
        True
    """
    return LONE_SURROGATE.subn("\ufffd", text)

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_HEAD = 1 << 16  # bytes looked at to choose the encoding of a streamed file
_HAN = re.compile("[\u3400-\u9fff]")  # Chinese characters (CJK unified ideographs and extension A)


def in_gb2312(char: str) -> bool:
    """Whether ``char`` is one of GB2312's (the 6,763 common Chinese characters; GBK's others are rare ones).

    Example:
        >>> in_gb2312("电"), in_gb2312("鰉")
        (True, False)
    """
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def common_han(char: str) -> bool:
    """Whether ``char`` is a common Chinese character of either script: GB2312's (:func:`in_gb2312`: simplified,
    and the traditional ones both scripts share) or one of Big5's 5,401 common ones (its level 1, bytes
    ``A440``–``C67E``: 臺 電 為 舊, which GBK holds beyond GB2312).

    Example:
        >>> common_han("电"), common_han("電"), common_han("鰉"), common_han("偨")
        (True, True, False, False)
    """
    if in_gb2312(char):
        return True
    try:
        code = char.encode("cp950")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and b"\xa4\x40" <= code <= b"\xc6\x7e"


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")  # GBK's user-defined areas: other text's bytes give them, Chinese none
# of the Han characters (and private-use ones) read, the common ones: measured, 0.9 or more of every paragraph of
# 4,090 simplified and 0.67 of the worst of them in traditional script (OpenCC's forms: 爲, 裏); Windows-1252 text
# read as GBK gives fewer (its accented letters, each with the byte after it: g閚閞閑)
_COMMON_SHARE = 0.8
# a Windows-1252 accented letter and the ASCII one after it make a common character in GBK one time in six (ò q: 驋)
_WESTERN_COMMON_SHARE = 0.9


def mostly_common_han(text: str, share: float = _COMMON_SHARE) -> bool:
    """Whether ``text`` has Han characters, ``share`` of them (four in five) common ones (:func:`common_han`; a
    private-use character counts as a rare one): what a Chinese report is made of, in either script. A reading of a guess, not
    of a cell: a name (王堃) or a traditional variant (爲, 裏) is rare, and is Chinese all the same.

    Example:
        >>> mostly_common_han("臺灣電力公司為供电公司"), mostly_common_han("舗gstr鰉 na飗e"), mostly_common_han("ok")
        (True, False, False)
    """
    counts = Counter(_HAN.findall(text))  # each distinct character looked up once (a 64 KiB head has thousands)
    han = counts.total()
    common = sum(n for ch, n in counts.items() if common_han(ch))
    return bool(han) and common >= share * (han + len(_PRIVATE_USE.findall(text)))


class OtherEncoding(NamedTuple):
    """An encoding other than Chinese GB18030 (GBK) that bytes show evidence of (:func:`other_encoding`)."""

    codec: str  # what to pass to --encoding
    name: str  # as said to the user
    language: str
    text: str  # the bytes read in it


_KANA = re.compile("[\u3041-\u3096\u30a1-\u30fa\u30fc]")  # hiragana, katakana, ー: Shift-JIS's double bytes
_KANA_MIN = 3  # distinct kana, making a quarter or more of the characters beyond ASCII: Japanese
_HANGUL = re.compile("[\uac00-\ud7a3]")  # Hangul syllables
_HANGUL_MIN = 20  # distinct syllables, nine in ten of the letters beyond ASCII: Korean
_HANGUL_SPACED_MIN = 8  # as many where Korean's spaced words stand (a third of the runs followed by a space and one)
_HANGUL_RUN_SPACED = re.compile("[\uac00-\ud7a3]+(?= [\uac00-\ud7a3])")
_HANGUL_RUN = re.compile("[\uac00-\ud7a3]+")
# Korean's particles and endings, and its most frequent syllables: a fifth or more of a Korean text's syllables
# (은/는, 을/를, 이/가, 의, 에, 로, 하다, 습니다), a few in a hundred of what Chinese in GBK reads as in cp949, where
# every GB2312 character of rows B0–C8 is a syllable (雷磊玲 梁磊桂: 뇠씩쇰 졺씩뱒)
_KOREAN_FREQUENT = frozenset("이다는의에을를가은한하고로서지도기사인수자리대있것게니나어들으시만해정일요했습였")
_KOREAN_ENDINGS = frozenset("은는이가을를의에로도와과고다서며면요지게한")  # what a third of Korean's words end in
_KANJI_MIN = 8  # distinct Han characters of a Shift-JIS reading without kana (東京電力株式会社: 8): Japanese
_LATIN_ACCENTED = "À-ÖØ-öø-ÿŒœŠšŽžŸƒ"
_LATIN_WORD = re.compile(f"[A-Za-z{_LATIN_ACCENTED}]+")
_ACCENTED = re.compile(f"[{_LATIN_ACCENTED}]")
_ACCENTED_RUN = re.compile(f"[{_LATIN_ACCENTED}]+")
# accented letters side by side inside Western words (ção, ções, créée, Größe, süß, mäßig, Núñez, Ibáñez, compañía)
_WESTERN_PAIRS = frozenset({"çã", "çõ", "éé", "öß", "üß", "äß", "úñ", "áñ", "ñí"})
_AFTER_WORD = "’”»…–—"  # what may follow a word ending in an accented letter (café’s, «café»), besides ASCII
# beyond ASCII, what Western text holds besides its letters: quotes, dashes, the degree and euro signs, a no-break space
_WESTERN_MARKS = frozenset("’‘“”«»–—…°€\u00a0¿¡ºª")
_NOT_WESTERN = re.compile(f"[^\x00-\x7f{_LATIN_ACCENTED}{''.join(_WESTERN_MARKS)}]")  # what Western text has not
_IN_WORDS_MIN = 3  # accented letters in words that decide where GBK reads the bytes as well (Müller Söhne Straße)
_IN_WORDS_FEW = 2  # as many that decide where GBK reads them as mostly rare characters (Ångström naïve: 舗gstr鰉 na飗e)
_WESTERN_WORDS = 3  # words of a text all of whose characters beyond ASCII are as Western text's: one decides
_RARE_SHARE = 0.5  # "mostly rare": fewer than half of the Han characters common ones


class _WesternLetters(NamedTuple):
    """What :func:`_accented_in_words` finds of Western European text in a Windows-1252 reading."""

    inside: int  #: accented letters inside words, as Western text has them
    words: int  #: words (of letters) in all
    only: bool  #: every character beyond ASCII is as Western text's: such a letter, a word's first, or a mark
    first: int = 0  #: accented first letters of words of 3 letters or more after a space or mark (älteren)


def _accented_in_words(text: str) -> _WesternLetters:
    """How many accented Latin letters of ``text`` stand inside words (not first) as Western European text's do:
    words of more ASCII letters than accented ones, in one case (``naïve``, ``Ångström``, ``STRASSE``; the first
    letter either), each accented letter alone among ASCII ones (``générée``) or one of the pairs Portuguese, French,
    German and Spanish write (``informação``, ``créée``, ``Größe``, ``Núñez``); a word's last letters followed by
    ASCII, the end or a closing mark (``café``, ``café’s``, ``agréé``). GBK's byte pairs read as Windows-1252 give pairs of accented
    letters, ASCII letters of either case and symbols (a trail byte): 在app上 ``ÔÚappÉÏ``, 乙喆 after ``AAA``
    ``AAAÒÒ†´``, 琇槿 before ``Oc`` ``¬LéÈOc``, 淼 after ``ab`` ``abíµ``; none of them counts. Also how many words
    ``text`` has, and whether each of its characters beyond ASCII is such a letter, the first letter of such a word
    (``été``, ``ÉNERGIE``, ``år``; not a pair: 造 gives ``Ôì``) or a mark Western text has (``l’énergie``, ``«``, ``€``): a GBK reading hardly is all
    that (``10kvüc¬L``, ``¶BŒO``).

    Example:
        >>> [_accented_in_words(t).inside for t in ("naïve générée", "a informação", "café’s", "AAAÒÒ†´",
        ...                                         "¬LéÈOcYzK", "appÐh", "abíµ", "Ôìirgw")]
        [4, 2, 1, 0, 0, 0, 0, 0]
        >>> _accented_in_words("Über die Störung"), _accented_in_words("10kvüc¬L")  # doctest: +NORMALIZE_WHITESPACE
        (_WesternLetters(inside=1, words=3, only=True, first=1),
         _WesternLetters(inside=1, words=2, only=False, first=0))
    """
    in_words = words = shaped = first = 0
    for found in _LATIN_WORD.finditer(text):
        word, after = found[0], text[found.end():found.end() + 1]
        before = text[found.start() - 1:found.start()]
        # what a word starts after: a space, ASCII punctuation, an opening mark (not a digit, nor GBK's lead byte
        # B0 read as °: 榜wifi gives °ñwifi)
        opens = not before or before.isspace() or before.isascii() and not before.isalnum() or before in "«¿¡"
        words += 1
        accented = len(_ACCENTED.findall(word))
        if not accented or not (word[1:].islower() or word.isupper()):
            continue
        ends = not after or after.isascii() or after in _AFTER_WORD  # what may follow a word's last letter
        for run in _ACCENTED_RUN.finditer(word):
            if not run.start():  # its first letter (été, Über, år), alone: a trail byte may follow a lead (造: Ôì)
                starts = len(run[0]) == 1 and (accented == 1 < len(word) or len(word) > 2 * accented)
                shaped += starts
                first += starts and opens and len(word) >= 3
            elif len(word) > 2 * accented and (run.end() < len(word) or ends) and (
                    len(run[0]) == 1 or run[0].lower() in _WESTERN_PAIRS):
                in_words += len(run[0])
    marks = sum(ch in _WESTERN_MARKS for ch in text)
    return _WesternLetters(in_words, words, in_words + shaped + marks == sum(not ch.isascii() for ch in text), first)


_HAN_RUN = re.compile("[\u3400-\u9fff]+")
_HAN_IN_WORD = re.compile("(?<=([A-Za-z]))([\u3400-\u9fff]+)(?=([A-Za-z]))")
_IN_WORD_MIN = 3  # Han runs inside ASCII words, more than half of all: two accented letters read as GBK (interrup玢o)
# what such a run is in Windows-1252: accented letters of the word's case (çã in informação, ÇÃ in INFORMAÇÃO; not
# ÉÏ in appÉÏwifi)
_SMALL_ACCENTED = re.compile("[à-öø-ÿ]+")
_CAPITAL_ACCENTED = re.compile("[À-ÖØ-Þ]+")


def _han_inside_words(text: str) -> bool:
    """Whether more than half of the runs of Han characters of ``text`` (and 3 or more) stand inside a word of ASCII
    letters, a letter just before and after them, and are accented letters of the word's case in Windows-1252 (small
    ones between small letters, capitals between capitals): what its pairs of accented letters inside words read as
    in GBK give (``informação``: ``informa玢o``, a common character; ``çã`` are bytes ``E7 E3``; an all-capitals
    heading's ``INFORMAÇÃO``: ``INFORMA敲O``). Chinese puts ASCII words beside its characters (``在app上``, ``10kv线路``, ``iPhone王堃``),
    hardly ever one inside a word: measured, no paragraph, clause or cell of the 4,199 labelled ones (simplified or
    traditional) has one; and GBK's common characters (bytes ``B0``–``D7`` first) are no small letters
    (``app上wifi``: ``appÉÏwifi``).

    Example:
        >>> _han_inside_words("a informa玢o, esta玢o, opera玢o"), _han_inside_words("用app上wifi, vip明A, led里gps")
        (True, False)
        >>> _han_inside_words("INFORMA敲O AO CLIENTE, INTERRUP钦ES NA ESTA敲O")
        True
    """
    inside = 0
    for before, run, after in _HAN_IN_WORD.findall(text):
        case = (_SMALL_ACCENTED if before.islower() and after.islower()
                else _CAPITAL_ACCENTED if before.isupper() and after.isupper() else None)
        inside += bool(case and case.fullmatch(run.encode("gb18030").decode("cp1252", "replace")))
    return inside >= _IN_WORD_MIN and 2 * inside > len(_HAN_RUN.findall(text))


def _han_beside_letters(text: str) -> bool:
    """Whether ``text`` has Han characters and each run of them has an ASCII letter just before or after it: all
    that Windows-1252 text read as GBK gives, an accented letter and the letter after it one character (``während``:
    ``w鋒rend``, ``programmée aura``: ``programm閑 aura``), common ones often enough (:func:`_western`). Chinese has
    runs of characters that touch no ASCII letter (``客户来电``), but in a cell or two (``iPhone手机``).

    Example:
        >>> _han_beside_letters("Wir bedauern w鋒rend"), _han_beside_letters("用app缴费"), _han_beside_letters("客户来电")
        (True, True, False)
    """
    return bool(_HAN.search(text)) and all(text[start - 1:start].isascii() and text[start - 1:start].isalpha()
                                           or text[end:end + 1].isascii() and text[end:end + 1].isalpha()
                                           for start, end in (run.span() for run in _HAN_RUN.finditer(text)))


def _kanji_text(japanese: str) -> bool:
    """Whether ``japanese`` (bytes read as cp932) is Japanese written in kanji: 8 distinct Han characters or more,
    three in four of its letters beyond ASCII common Han characters (:func:`common_han`: Japanese kanji mostly are,
    東京電力株式会社), the rest rare ones (関, 気) or kana. GBK's bytes read so give half-width katakana (a lead byte
    ``A1``–``DF`` is one in cp932) and rare characters: measured, no paragraph, clause or cell of the 4,199 labelled
    ones (simplified or traditional) gives more than 3 distinct Han characters where three in four are common."""
    han = Counter(_HAN.findall(japanese))
    letters = sum(not ch.isascii() and ch.isalpha() for ch in japanese) + len(_PRIVATE_USE.findall(japanese))
    common = sum(n for ch, n in han.items() if common_han(ch))
    return len(han) >= _KANJI_MIN and 4 * common >= 3 * letters


def _read(data: bytes, codec: str, complete: bool) -> str | None:
    try:
        return codecs.getincrementaldecoder(codec)().decode(data, final=complete)
    except UnicodeDecodeError:
        return None


def other_encoding(data: bytes, complete: bool = True) -> OtherEncoding | None:
    """The encoding other than GB18030 (GBK) that ``data`` (bytes that are not UTF-8; ``complete``: all of them,
    else a head) shows positive evidence of, else ``None``: GB18030 stays the guess — the one test of every reader
    that must tell Chinese from another text's bytes, which GB18030 decodes all the same, as garbage. Chinese with
    ASCII words (``在app上``, ``10kv``), rare name characters (王堃), traditional variants (裏爲), full-width
    symbols and letters (①, ＡＢＣ) is everyday input; a file in another encoding is rare. The evidence:

    - Shift-JIS (Japanese): the bytes decode as ``cp932`` and give kana (hiragana or katakana; half-width ones,
      which GBK's bytes give in plenty, not counted), 3 distinct or more, a quarter or more of the characters
      beyond ASCII. GBK puts these byte pairs among its rare characters (``の``: ``偺``): measured, no paragraph,
      clause or cell of the 4,090 labelled ones (simplified or traditional) read as Shift-JIS gives one kana.
      Japanese in kanji alone (``東京電力株式会社 関西電力``): GB18030 reads the bytes poorly (fewer than four in five
      of its Han characters common; kanji's byte pairs are GBK's rare ones, ``搶嫗揹椡``) and ``cp932`` reads
      them as 8 distinct Han characters or more, three in four of its letters common ones (:func:`_kanji_text`),
      unless the bytes read as Western European text (below): Windows-1252's ``à``–``ê`` before an ASCII letter
      are Shift-JIS kanji (``La première tâche des équipes``: ``La premi鑽e t稍he des 駲uipes``), while kanji's
      own bytes read in Windows-1252 are symbols (``“Œ‹ž``), no accented letters inside words.
    - EUC-KR (Korean): the bytes decode as ``cp949`` and give Hangul syllables, nine in ten of its letters beyond
      ASCII, 20 distinct or more, or 8 where a third of their runs are followed by a space and another (Korean
      spaces its words). EUC-KR's Hangul rows are GB2312's common characters (``傈仿 雀荤绰``), so only many
      distinct ones tell: measured, at most 14 distinct ones of a Chinese paragraph or cell all read as Hangul.
    - Windows-1252 (Western European; Latin-1 where it has a byte cp1252 does not): GB18030 reads the bytes
      poorly — it cannot, or fewer than nine in ten of its Han characters are common ones
      (:func:`mostly_common_han`: ``naïve`` gives ``na飗e``), or most of them stand inside ASCII words
      (:func:`_han_inside_words`: ``informação`` gives ``informa玢o``), or each run of them has an ASCII letter
      beside it (:func:`_han_beside_letters`: ``während`` gives ``w鋒rend``, a common character) — and read in
      Windows-1252, half or more of the characters beyond ASCII are accented letters in words of ASCII ones
      (:func:`_accented_in_words`: ``naïve``, ``générée``): 3 or more where GB18030 reads the bytes, 2 where as
      mostly rare characters, 1 where it cannot, or where it reads them poorly and 3 words or more have nothing
      beyond ASCII but Western letters and marks (``reçu des réclamations``). Both: GBK Chinese touching ASCII
      words read so gives such words too (``iPhone手机``: ``iPhoneÊÖ»ú``), but common characters; a name's rare ones
      (王堃) give none.

    A short text decides on little: a few kanji (``電力会社``) or a Korean word read as GBK give no evidence; a
    Western sentence whose accented letters GBK reads as common characters, one or two, neither (``10kv點`` in GBK
    reads as ``10kvüc`` in Windows-1252): :func:`guess_encoding` warns of those it can see (:func:`_doubt`).

    Example:
        >>> [getattr(other_encoding(t.encode(e)), "codec", None) for t, e in (("Ångström naïve", "cp1252"),
        ...  ("高齢者のための介護サービス", "shift_jis"), ("한국전력공사는 독거노인 가구를 방문하여 전기 설비를 점검했습니다", "euc-kr"),
        ...  ("客户来电反映app无法缴费", "gbk"), ("1,王堃\\n2,裏爲着\\n3,ＡＢＣ公司", "gbk"),
        ...  ("a informação e a operação da estação", "cp1252"), ("東京電力株式会社 関西電力", "shift_jis"))]
        ['cp1252', 'shift_jis', 'euc-kr', None, None, 'cp1252', 'shift_jis']
    """
    chinese = _read(data, "gb18030", complete)
    japanese = _read(data, "cp932", complete)
    if japanese is not None:
        kana = _KANA.findall(japanese)
        if (len(set(kana)) >= _KANA_MIN and 4 * len(kana) >= sum(not ch.isascii() for ch in japanese)
                or (chinese is None or not mostly_common_han(chinese)) and _kanji_text(japanese)
                and _western(data, chinese, complete) is None):
            return OtherEncoding("shift_jis", "Shift-JIS", "Japanese", japanese)
    korean = _read(data, "cp949", complete)
    if korean is not None:
        syllables = set(_HANGUL.findall(korean))
        letters = sum(not ch.isascii() and ch.isalpha() for ch in korean)
        found = _HANGUL.findall(korean)
        frequent = sum(ch in _KOREAN_FREQUENT for ch in found)
        if found and 10 * len(found) >= 9 * letters and 5 * frequent >= len(found):
            runs = _HANGUL_RUN.findall(korean)
            spaced = (3 * len(_HANGUL_RUN_SPACED.findall(korean)) >= len(runs)
                      and 3 * sum(run[-1] in _KOREAN_ENDINGS for run in runs) >= len(runs))
            if len(syllables) >= (_HANGUL_SPACED_MIN if spaced else _HANGUL_MIN):
                return OtherEncoding("euc-kr", "EUC-KR", "Korean", korean)
    return _western(data, chinese, complete)


def _western(data: bytes, chinese: str | None, complete: bool) -> OtherEncoding | None:
    """Windows-1252 (or Latin-1) as :func:`other_encoding` tells it, ``chinese`` the bytes read as GB18030 (``None``:
    they cannot be), else ``None``."""
    poor = chinese is None or not mostly_common_han(chinese, _WESTERN_COMMON_SHARE) or _han_inside_words(chinese)
    # or GBK reads the bytes as common characters, but each beside an ASCII letter: 3 accented letters decide there
    # (200 rows of "… während der Wartungsarbeiten": "w鋒rend", read as GBK, silently)
    if poor or _han_beside_letters(chinese):
        codec, name = "cp1252", "Windows-1252"
        western = _read(data, codec, complete)
        if western is None:
            codec, name, western = "latin-1", "Latin-1", data.decode("latin-1")
        letters = _accented_in_words(western)
        # one decides where GBK cannot read the bytes (café), or where it reads them poorly, in a text of 3 words or
        # more all of whose characters beyond ASCII are as Western text's (Die Störung im Umspannwerk, reçu des
        # réclamations)
        least = (1 if chinese is None or poor and letters.only and letters.words >= _WESTERN_WORDS
                 else _IN_WORDS_FEW if not mostly_common_han(chinese, _RARE_SHARE) else _IN_WORDS_MIN)
        if letters.inside >= least and 2 * letters.inside >= sum(not ch.isascii() for ch in western):
            return OtherEncoding(codec, name, "Western European text", western)
    return None


NO_SUCH_FILE = "no such file; check its name and path"
"""What every command says of a file it was given that is not there (``f"{path}: {NO_SUCH_FILE}"``)."""
NO_SUCH_FILE_OR_FOLDER = "no such file or folder; check its name and path"
"""What a command that takes files and folders (``tagger tag``) says of a name that could be either."""
EMPTY_FILE = "the file is empty"
"""What every reader of a labelled file (``tagger labels import``, ``evaluate --test``, with or without ``--from``)
says of one with nothing in it but white space or a byte-order mark (``f"{path}: {EMPTY_FILE}"``)."""


def no_such(item: str | Path) -> str:
    """What is said of a missing input, ``item`` as it was given (``Path`` drops a trailing ``/``): a name that may be
    a folder (``reports/``, ``missing.d/``, or no extension) is :data:`NO_SUCH_FILE_OR_FOLDER` (it was "no such
    file" for ``tagger tag MISSING_DIR/``), one with an extension :data:`NO_SUCH_FILE`: what every command that
    takes files and folders (``tagger tag``, ``tagger suggest``) says of one that is not there.

    Example:
        >>> no_such("reports/"), no_such("a.txt")
        ('no such file or folder; check its name and path', 'no such file; check its name and path')
    """
    folder = str(item).endswith(("/", os.sep)) or not Path(item).suffix
    return NO_SUCH_FILE_OR_FOLDER if folder else NO_SUCH_FILE


def _open_error(path: Path, exc: OSError) -> InputError:
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{path}: {NO_SUCH_FILE}")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{path}: is a directory, expected a text file")
    return InputError(f"{path}: cannot read ({exc.strerror or exc})")


_UTF8_MANY_BAD = 1  # more places not UTF-8 after the first: a file that may be GBK throughout, said so
_UTF8_PREFIX_PROOF = 8
"""How many Chinese characters, decoded as UTF-8 before an invalid byte, prove a file UTF-8 broken there even when
they are rare ones and all of it decodes as GB18030. A GBK character's bytes are a UTF-8 character about one time in
50, most often a rare one, so two in a row happen (a hypothesis test found ``姝旸姝丁``, whose first three bytes are
U+6B55 歕 in UTF-8), eight do not. Two common ones (``供电``, then a GBK line) are UTF-8, broken; so is a file that
is UTF-8 all through but for a character cut at its very end, whatever its characters (a truncated file)."""


_UTF8_RUN_PROOF = re.compile("[\u3400-\u9fff]{4}")
"""Chinese characters in a row, decoded as UTF-8 after an invalid byte, that prove the file UTF-8 there (a GBK line
pasted into it, UTF-8 after): a GBK character's bytes are a UTF-8 one about one time in 50, four in a row hardly
ever."""


def _check_utf8(data: bytes, name: str, complete: bool, offset: int = 0) -> bool:
    """True when ``data`` is UTF-8; False when it is not UTF-8 at all.

    Raises:
        InputError: UTF-8 that is broken (byte offsets counted from the start of the file).
    """
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
        return True
    except UnicodeDecodeError as exc:
        bad, cut = exc.start, exc.reason == "unexpected end of data"
    prefix = data[:bad].decode("utf-8")
    han = sum("\u3400" <= ch <= "\u9fff" for ch in prefix)
    rest = data[bad:].decode("utf-8", "replace")
    # common Chinese in UTF-8 after the bad byte, 8 characters in a row: a GBK line pasted into a UTF-8 file before
    # it (read as GB18030, the UTF-8 lines came out as 浠婂勾浠ユ潵, silently)
    after = any(len(run) >= _UTF8_PREFIX_PROOF and mostly_common_han(run) for run in _HAN_RUN.findall(rest))
    line_start = max(prefix.rfind("\n"), prefix.rfind("\r")) + 1
    if (2 <= han < _UTF8_PREFIX_PROOF and not offset and not cut and not mostly_common_han(prefix) and not after
            and not _HAN.search(prefix, 0, line_start) and _read(data, "gb18030", complete) is not None):
        # a few GBK characters that happen to be UTF-8 too, of rare ones (姝旸姝丁: e6ad95 44 e6adb6 a1), all on the
        # line of the first byte that is not UTF-8. Not where the only fault is a character cut at the very end: a
        # file that is UTF-8 all through to there was cut short (王堃\n李喆\n张玥, its last character cut to one byte,
        # read as GB18030's 鐜嬪爟\n鏉庡枂\n寮犵, silently); nor where lines of Chinese before that line are UTF-8: a
        # line in GBK was pasted below them (1,王堃\n2,李喆\n then GBK's 3,张玥 read as 1,鐜嬪爟\n2,鏉庡枂\n3,张玥)
        return False
    if offset or han >= 2 or after or (complete and cut and bad >= len(data) - 3):
        # a UTF-8 byte-order mark, or Chinese characters that decoded fine as UTF-8 before the error or after it
        # (GB18030 bytes almost never do), or a partial character at the very end: this is UTF-8, broken at ``bad``.
        what = "cut in the middle of a character" if cut else f"with an invalid byte 0x{data[bad]:02x}"
        line = f", line {data.count(10, 0, bad) + 1}" if not offset else ""  # a streamed block: line unknown here
        problem = f"{name}: UTF-8 text {what} at byte {offset + bad}{line}{' (truncated file?)' if cut else ''}"
        more = rest.count("\ufffd") - 1
        if (not offset and more >= _UTF8_MANY_BAD and han < _UTF8_PREFIX_PROOF and not _UTF8_RUN_PROOF.search(rest)
                and _read(data, "gb18030", complete) is not None):
            # a GBK file whose first characters happen to be UTF-8 too (婕昇 reads as 漕N): both readings hold (not
            # where UTF-8 Chinese before the bad byte or after it proves the file UTF-8, a GBK line pasted into it)
            raise DecodeError(f"{problem}, and {more:,} more places after it that are not UTF-8",
                              "if the file is GBK (GB18030) throughout, pass --encoding gb18030; if a line in another "
                              "encoding was pasted into a UTF-8 file, re-save that line as UTF-8",
                              "save the file as UTF-8 (if it is GBK throughout, its first characters happen to read "
                              "as UTF-8 too; else a line in another encoding was pasted in: re-save that line)")
        chinese = _read(data, "gb18030", complete) if cut and not (offset or han) else None
        if chinese and mostly_common_han(chinese):
            # no Chinese in UTF-8 before the cut, common Chinese in GBK: a short GBK text (陳嘉: ꐼ, then a cut)
            raise DecodeError(f"{problem}, though its bytes read as Chinese in GB18030 (GBK) ({_sample(chinese)!r})",
                              "if the file is GBK (GB18030), pass --encoding gb18030; if it is UTF-8 cut short, "
                              "restore its end", "save the file as UTF-8 (if it is GBK, it reads as UTF-8 cut short; "
                              "else restore its end)")
        raise DecodeError(problem, "repair it (a line in another encoding, GBK?, pasted into a UTF-8 file: re-save that "
                          "line as UTF-8), or pass --encoding if the whole file is not UTF-8")
    return False


# what Big5 bytes become when decoded as GB18030, and Chinese text hardly has: kana, bopomofo, Cyrillic,
# small-form punctuation and private-use characters (not ×, Greek or pinyin letters: specs and readings use
# 3×240, 4Ω, cosφ)
_ODD_IN_CHINESE = re.compile("[\u0400-\u04ff\u3040-\u30ff\u3100-\u312f\ufe50-\ufe6f\ue000-\uf8ff]")
_BIG5_MIN_WIDE = 8  # fewer non-ASCII characters than this: too little to tell, GB18030 stays


def _reads_as_big5(head: bytes, complete: bool) -> bool:
    """Whether bytes that decode as GB18030 are Big5: they decode as Big5 too, with none of the characters
    Chinese text hardly has, while GB18030 makes at least 3 % of their non-ASCII characters such ones."""
    as_gb, as_big5 = _read(head, "gb18030", complete), _read(head, "cp950", complete)
    if as_gb is None or as_big5 is None:
        return False
    wide = sum(ord(ch) > 0x7F for ch in as_gb)
    odd = len(_ODD_IN_CHINESE.findall(as_gb))
    return wide >= _BIG5_MIN_WIDE and odd >= max(2, 0.03 * wide) and not _ODD_IN_CHINESE.search(as_big5)


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def is_text_encoding(name: str) -> bool:
    """Whether ``name`` is a codec that turns bytes into text — not unknown, and not one of Python's
    bytes-to-bytes or text-to-text transforms (rot13, base64, hex, zlib, uu), which no file is written in.

    Example:
        >>> is_text_encoding("gb18030"), is_text_encoding("rot13"), is_text_encoding("bogus")
        (True, False, False)
    """
    try:
        info = codecs.lookup(name)
    except LookupError:
        return False
    # "undefined" is a text codec that refuses every byte (review: a UnicodeError traceback)
    return bool(getattr(info, "_is_text_encoding", True)) and info.name != "undefined"


def _zip_kind(head: bytes) -> tuple[str, str]:
    """What a zip archive's first member names say it is (an Office file lists its parts there), and what to do.

    Example:
        >>> _zip_kind(b"PK\\x03\\x04....[Content_Types].xml....word/document.xml")[0]
        'a Word document (.docx)'
    """
    if b"word/" in head:
        return "a Word document (.docx)", "name it .docx, and it is read as one"
    if b"xl/" in head:
        return "an Excel workbook (.xlsx)", "name it .xlsx, and it is read as one"
    return "a zip archive (a binary file)", "unzip it first"


_BINARY_CONTROLS = re.compile(rb"[\x01-\x08\x0e-\x1a\x1c-\x1f]")  # control bytes text has not (beside a NUL: binary)


def guess_encoding(head: bytes, name: str, encoding: str | None = None, complete: bool = True, warn: bool = True
                   ) -> str:
    """The encoding to read a file with, from its first bytes (``complete``: ``head`` is the whole file); a guess
    that bytes of another encoding would give as well (:func:`_doubt`: a short text decides on little) is said as a
    warning, unless ``warn`` is false (a guess tried, not taken).

    Raises:
        InputError: binary data (NUL bytes without a UTF-16/32 mark), UTF-8 that is broken, an unknown
            ``encoding``, bytes that are not UTF-8 and show evidence of another encoding (:func:`other_encoding`:
            Windows-1252, Shift-JIS, EUC-KR, which GB18030 decodes all the same, as garbage; the message names it
            and what its text reads as), or bytes that are neither UTF-8 nor GB18030 (named UTF-16 where they read
            as Chinese in it: :func:`_utf16_without_mark`).
    """
    if encoding:
        if not is_text_encoding(encoding):
            raise InputError(f"{name}: {encoding!r} is not a text encoding (e.g. utf-8, gb18030, big5, utf-16)"
                             if _known_codec(encoding) else
                             f"{name}: unknown encoding {encoding!r} (e.g. utf-8, gb18030, big5, utf-16)")
        return encoding
    for bom, enc in _BOMS:
        if head.startswith(bom):
            if enc == "utf-8-sig":
                _check_utf8(head[len(bom):], name, complete, offset=len(bom))
            return enc
    if head.startswith(b"PK\x03\x04"):  # a zip archive: what Word and Excel save
        kind, fix = _zip_kind(head)
        suffix = kind.rpartition("(")[2].rstrip(")")  # ".docx", ".xlsx" (a plain zip: "a binary file")
        if name.lower().endswith(suffix):  # named for what it is, where text is read (a label file, a test file)
            fix = ("this command reads text files here: save it as CSV UTF-8 (in Excel: Save As › CSV UTF-8)"
                   if suffix == ".xlsx" else "this command reads text files here: save it as .txt")
        raise InputError(f"{name}: {kind}, not text: " + (fix if name != "<stdin>" else
                                                          "pass the file itself (standard input takes text only)"))
    if head.startswith(b"PAR1"):  # a Parquet file: its NUL bytes are no pasted GBK line
        convert = ("save it as JSONL or CSV UTF-8 (pandas: pd.read_parquet(f).to_json(out, orient='records', "
                   "lines=True, force_ascii=False))")
        fix = (f"this command reads text files here: {convert}" if name.lower().endswith(".parquet") else
               f"tagger tag reads it named .parquet; a command that reads text files (a label or test file) needs "
               f"it converted: {convert}")
        raise InputError(f"{name}: a Parquet file, not text: {fix}")
    if head.startswith(SQLITE_HEADER):
        raise InputError(f"{name}: an SQLite database, not text: export the table as CSV UTF-8 (or JSONL)")
    start = head[:4096]
    nuls = start.count(b"\x00")  # a stray NUL or two in a text's cell is the row's problem (replaced and said there)
    if nuls > 2 or nuls and _BINARY_CONTROLS.search(start):
        raise DecodeError(f"{name}: looks like a binary file (NUL bytes)", "expected text (UTF-16 needs a "
                          "byte-order mark or --encoding utf-16)")
    if _check_utf8(head, name, complete):
        enc = "utf-8"
    elif _reads_as_big5(head, complete):  # first: Big5's bytes read as cp949 give Hangul
        return "cp950"
    else:
        other = other_encoding(head, complete)
        if other:  # GB18030 decodes almost any bytes: Windows-1252's "Ångström naïve" gave "舗gstr鰉 na飗e", silently
            raise DecodeError(f"{name}: reads as {other.language} in {other.name} ({_sample(other.text)!r}), not as "
                              f"UTF-8 or Chinese", f"pass --encoding {other.codec}, or save it as UTF-8",
                              f"save the file as UTF-8 (it is in {other.name}; in Excel: Save As › CSV UTF-8)")
        if _read(head, "gb18030", complete) is None:
            wide = _utf16_without_mark(head)
            if wide:  # Chinese in UTF-16 without a byte-order mark is no GB18030, nor said to be other text
                raise DecodeError(f"{name}: reads as Chinese in {wide[1]} without a byte-order mark "
                                  f"({_sample(wide[2])!r}), not as UTF-8 or GB18030",
                                  f"pass --encoding {wide[0]}, or save it as UTF-8",
                                  "save the file as UTF-8 (it is in UTF-16 without a byte-order mark)")
            raise DecodeError(f"{name}: cannot decode as UTF-8 or GB18030", *_OTHER_ENCODING_FIXES)
        enc = "gb18030"
    doubt = _doubt(head, enc, complete) if warn else None
    if doubt:
        _warn_once(f"{name}: {doubt}")
    return enc


class _Run:
    """What a run (:func:`warnings_once`) said: its warnings (:func:`_warn_once`), in order, and the kinds of note
    it gave (:func:`first_in_run`)."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.notes: set[str] = set()


_SAID: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("_SAID", default=None)
_NOTED: set[str] = set()
"""The kinds of note given outside a run (:func:`first_in_run`): the process is the run there."""


@contextlib.contextmanager
def warnings_once() -> Iterator[list[str]]:
    """A run (``tagger.apps.cli.main``'s command, a web page's upload): a warning of :func:`guess_encoding` is said the
    first time it is given in the ``with`` block only (a file is read more than once in a run: looked at, then tagged;
    a warning of each read would say it three times), and so is a note of :func:`first_in_run` (a report read as
    HTML). Outside such a block every warning is said: a run that has not said it (the web page's next upload, a
    script's next call) must. A block inside a run is part of it. Yields the warnings said in the run, in order (the
    web page shows them: its user sees no log).

    Example:
        >>> with warnings_once() as said:
        ...     _warn_once("r.txt: doubtful"); _warn_once("r.txt: doubtful")
        >>> said
        ['r.txt: doubtful']
    """
    if _SAID.get() is not None:  # inside a run already: one run
        yield _SAID.get().warnings  # type: ignore[union-attr]
        return
    run = _Run()
    token = _SAID.set(run)
    try:
        yield run.warnings
    finally:
        _SAID.reset(token)


def first_in_run(what: str) -> bool:
    """Whether ``what`` (a kind of note: a report read as HTML, its lines hard-wrapped) happens for the first time in
    this run (:func:`warnings_once`), noting that it did: a note said for each report of a run would be a flood, and
    one a run has not said (the next ``tagger.apps.cli.main`` of a process, the web page's next upload) must be said.
    Outside a run, the first time in the process (a script's calls, one report at a time).

    Example:
        >>> with warnings_once():
        ...     first_in_run("html"), first_in_run("html")
        (True, False)
        >>> with warnings_once():
        ...     first_in_run("html")
        True
    """
    run = _SAID.get()
    noted = _NOTED if run is None else run.notes
    if what in noted:
        return False
    noted.add(what)
    return True


_SAID_ONCE = " (said once; --debug names every report)"
"""The end of a note :func:`note_once` says the first time in a run."""
_ONCE = "tagger_once_in_run"
"""The attribute of a log record said once per run: ``("note", what)`` (:func:`note_once`) or ``("warning",
message)`` (:func:`_warn_once`), for :func:`retold`."""


def note_once(logger: logging.Logger, what: str, message: str, *args: object, level: int = logging.INFO) -> None:
    """Log ``message`` at ``level`` the first time ``what`` happens in this run (:func:`first_in_run`), ending with
    :data:`_SAID_ONCE`, at DEBUG after that (not once per report)."""
    first = first_in_run(what)
    logger.log(level if first else logging.DEBUG, message + (_SAID_ONCE if first else ""), *args,
               extra={_ONCE: ("note", what)} if first else None, stacklevel=2)  # the record: where it was said


def _first_warning(message: str) -> bool:
    """Whether the warning ``message`` is said for the first time in this run (:func:`warnings_once`), noting it."""
    run = _SAID.get()
    if run is not None:
        if message in run.warnings:
            return False
        run.warnings.append(message)
    return True


def _warn_once(message: str) -> None:
    """Log ``message`` as a warning, unless said already in this run (:func:`warnings_once`)."""
    if _first_warning(message):
        log.warning("%s", message, extra={_ONCE: ("warning", message)})


def retold(record: logging.LogRecord) -> logging.LogRecord | None:
    """``record`` as this run says it, where a worker process logged it (``tagger tag --jobs``: the workers hand
    their records back with each chunk, ``tagger.apps.batch.tag_records``). Each worker's run is a copy of this
    one, so each said a note of :func:`note_once` or a warning of :func:`_warn_once` once for itself; here it is
    said once for the run: a note said already at DEBUG (``None`` where that is not shown), a warning said already
    not again (``None``). A record of this process is said as it is (it was checked as it was logged).

    Example:
        >>> said = logging.makeLogRecord({"msg": "r.txt: doubtful", "levelno": logging.WARNING, "process": -1,
        ...                               _ONCE: ("warning", "r.txt: doubtful")})
        >>> with warnings_once():
        ...     retold(said) is said, retold(said)
        (True, None)
    """
    once = getattr(record, _ONCE, None)
    if once is None or record.process in (None, os.getpid()):
        return record
    kind, key = once
    if kind == "warning":
        return record if _first_warning(key) else None
    if first_in_run(key):
        return record
    if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
        return None
    record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
    record.msg = record.getMessage().removesuffix(_SAID_ONCE)
    record.args = None
    return record


_UTF16_HAN_MIN = 8  # Han characters of a UTF-16 reading that tell it (ASCII letters in pairs read as a few: "ca")


def _utf16_without_mark(data: bytes) -> tuple[str, str, str] | None:
    """The codec, its name and the text of bytes that are neither UTF-8 nor GB18030 where they read as Chinese in
    UTF-16 without a byte-order mark: 8 Han characters or more, mostly common ones, four in five of all its
    characters (it has hardly any ASCII ones: their NUL bytes refuse a file as binary), else ``None``.

    Example:
        >>> _utf16_without_mark("国网供电公司为老人检查线路。".encode("utf-16-le"))[:2]
        ('utf-16-le', 'UTF-16LE')
    """
    for codec, name in (("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")):
        text = _read(data[:_HEAD], codec, False) or ""
        han = len(_HAN.findall(text))
        if han >= _UTF16_HAN_MIN and 5 * han >= 4 * len(text) and mostly_common_han(text):
            return codec, name, text
    return None


def _doubt(head: bytes, enc: str, complete: bool) -> str | None:
    """Why the guess ``enc`` of ``head`` (``utf-8``, or ``gb18030`` where :func:`other_encoding` found no other
    encoding) may be wrong, and what to do then, where bytes of another encoding read so too — a short text decides
    on little (a word, a name, a cell: ``Très bien`` in Windows-1252 reads as GBK's ``Tr鑣 bien``, GBK's ``签约`` as
    UTF-8's ``ǩԼ``) —, else ``None``; the file is read in ``enc`` all the same, with a warning saying this:

    - UTF-8 that gives no Han character, but characters beyond Latin-1 (``©``, ``×`` are in it), not as Western
      European text's (:func:`_accented_in_words`: ``Łukasz``), while GB18030 reads the bytes as common Chinese
      (four in five: :func:`mostly_common_han`);
    - GB18030 whose bytes read in Windows-1252 as nothing beyond ASCII but Western letters and marks, an accented
      letter inside a word or first in one of 3 letters or more among them (``während``, ``älteren``);
    - GB18030 that gives mostly rare Han characters (or private-use ones): fewer than half common ones, what the
      bytes of another encoding give (Windows-1250's ``Zakład … Łodzi``: ``Zak砤d … \ue5b5dzi``; UTF-16's ``供电``
      without a byte-order mark: ``汷5u``).

    Measured on the 6,395 labelled paragraphs and their 26,087 clauses (and 15,000 of those in traditional script),
    in GBK: no paragraph gives a warning; 19 clauses do, each a few characters whose bytes are UTF-8 too, read so
    (``目前``: ``Ŀǰ``): rightly; of the clauses with ASCII words put beside them, 2 in 41,000 are warned of though read
    right (``繳PDF費PDF``, ``裝筐appkm``: traditional characters whose bytes read as Western letters).

    Example:
        >>> print(_doubt("签约".encode("gbk"), "utf-8", True))  # doctest: +NORMALIZE_WHITESPACE
        read as UTF-8 ('ǩԼ'), which gives no Chinese character, though its bytes read as Chinese in GB18030 (GBK)
        too ('签约'); if that is what it holds, pass --encoding gb18030 (or save the file as UTF-8)
        >>> _doubt("供电公司".encode("gbk"), "gb18030", True) is None, _doubt("café".encode(), "utf-8", True) is None
        (True, True)
    """
    complete, head = complete and len(head) <= _HEAD, head[:_HEAD]  # a whole file decided on its head, as streamed
    if enc == "utf-8":
        text = _read(head, "utf-8", False) or ""
        if max(text, default="\0") <= "\xff" or _HAN.search(text) or _accented_in_words(text).only:
            return None
        chinese = _read(head, "gb18030", complete)
        if chinese is None or not mostly_common_han(chinese):
            return None
        return (f"read as UTF-8 ({_sample(text)!r}), which gives no Chinese character, though its bytes read as "
                f"Chinese in GB18030 (GBK) too ({_sample(chinese)!r}); if that is what it holds, pass --encoding "
                "gb18030 (or save the file as UTF-8)")
    if enc != "gb18030":
        return None
    chinese = _read(head, "gb18030", complete) or ""
    read = f"read as Chinese in GB18030 (GBK) ({_sample(chinese)!r})"
    codec, name, western = "cp1252", "Windows-1252", _read(head, "cp1252", complete)
    if western is None:
        codec, name, western = "latin-1", "Latin-1", head.decode("latin-1")
    letters = None if _NOT_WESTERN.search(western) else _accented_in_words(western)  # quick: Chinese has symbols
    if letters and letters.only and letters.inside + letters.first:
        return (f"{read}, though its bytes read as Western European text in {name} too ({_sample(western)!r}); if "
                f"that is what it holds, pass --encoding {codec} (or save the file as UTF-8)")
    if (_HAN.search(chinese) or _PRIVATE_USE.search(chinese)) and not mostly_common_han(chinese, _RARE_SHARE):
        return (f"{read}, but most of its Chinese characters are rare ones, as the bytes of another encoding read so "
                f"give; if it is not Chinese, {_OTHER_ENCODING_FIXES[0]}")
    return None


# what to do with a file in an encoding neither guessed nor shown (other_encoding): with --encoding (or
# decode_bytes(..., encoding=)), and where the command has none
_OTHER_ENCODING_FIXES = ("pass --encoding with the file's encoding (cp1252 for Western European text, cp1250 for "
                         "Central European, shift_jis for Japanese, euc-kr for Korean, big5 or gb18030 for Chinese, "
                         "utf-16-le for UTF-16 without a byte-order mark), or save it as UTF-8",
                         "save the file as UTF-8 (it is in an encoding other than UTF-8 and GB18030; in Excel: Save As "
                         "› CSV UTF-8)")


def _sample(text: str) -> str:
    """Up to 24 characters of ``text`` from just before its first one beyond ASCII, on that one line: what it
    reads as in the encoding found, shown in the error.

    Example:
        >>> _sample("id,text\\n1,Ångström naïve générée bénévoles")
        '1,Ångström naïve générée'
    """
    first = next((i for i, ch in enumerate(text) if not ch.isascii()), 0)
    start = max(text.rfind("\n", 0, first) + 1, first - 4)
    return text[start:start + 24].split("\n")[0]


def _mark_to_skip(head: bytes, enc: str) -> int:
    """How many bytes of a UTF-8 byte-order mark to leave out before decoding with ``enc``: all three when
    ``enc`` (given with ``--encoding``) is another byte-based encoding — a file begun as UTF-8 with a mark
    and written on in GBK, a mark some exporters put before any encoding —, for the mark is not text there."""
    name = codecs.lookup(enc).name
    skip = head.startswith(codecs.BOM_UTF8) and name != "utf-8-sig" and not name.startswith(("utf-16", "utf-32"))
    return len(codecs.BOM_UTF8) if skip else 0


def decode_bytes(data: bytes, name: str, encoding: str | None = None, newline: str | None = None) -> str:
    """Decode a whole file's bytes (see the module doc); line breaks become ``\\n``, unless ``newline=""``
    (as for :func:`open`): then they are kept as they are (CSV readers need that: a quoted cell may hold
    ``\\r\\n``).

    Raises:
        InputError: naming ``name`` and what to do.
    """
    enc = guess_encoding(data, name, encoding, complete=True)
    try:
        text = data[_mark_to_skip(data, enc):].decode(enc)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"{name}: cannot decode as {enc} at byte {exc.start}", "pass the file's --encoding") from None
    nul = text.find("\x00")
    if nul >= 0:  # the first 4 KiB were checked for binary data; a NUL further on is as wrong
        raise DecodeError(f"{name}: a NUL character at line {text.count(chr(10), 0, nul) + 1}", "text files have "
                          "none (a binary file, or text in UTF-16 without a byte-order mark: pass --encoding "
                          "utf-16-le or utf-16-be)")
    return text if newline == "" else universal_newlines(text)


def universal_newlines(text: str) -> str:
    """``text`` with its line breaks (``\\r\\n``, a lone ``\\r``) as ``\\n``, as :func:`decode_bytes` gives a file's
    text unless ``newline=""`` (the same object when there is nothing to replace).

    Example:
        >>> universal_newlines("a\\r\\nb\\rc\\n")
        'a\\nb\\nc\\n'
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Characters str.splitlines() breaks at that json.dumps(ensure_ascii=False) leaves as they are.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def jsonl_line(obj: Any) -> str:
    """One JSONL line (with ``\\n``), the one way the package writes one: UTF-8 text as is, except the line
    separators other readers split at (U+0085, U+2028, U+2029: Python's ``str.splitlines``, JavaScript), which are
    escaped — a paragraph may hold U+0085 (it ends none: :data:`tagger.text.normalize.SEPARATORS`), a kept column any.

    Example:
        >>> jsonl_line({"text": "a\\u2028b\\x85c"})
        '{"text": "a\\\\u2028b\\\\u0085c"}\\n'
    """
    line = json.dumps(obj, ensure_ascii=False)
    for ch, escaped in _LINE_BREAKS.items():
        if ch in line:
            line = line.replace(ch, escaped)
    return line + "\n"


def text_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` as a JSONL reader of a file splits them (:func:`iter_json_blocks`): at ``\\n`` only —
    the ``\\r`` of a ``\\r\\n`` stays at the line's end (:func:`parse_json_lines` drops it), a lone ``\\r`` is no line
    break (for ``text`` decoded with ``newline=""``: :func:`read_text_file`) —, one at a time, each a slice (the rest
    of the text is not copied: a head is read as cheaply as the whole).

    Example:
        >>> list(text_lines('{"a": 1}\\r\\n{"b": "x\\ry"}\\n\\n'))
        ['{"a": 1}\\r', '{"b": "x\\ry"}', '']
    """
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def read_text_file(path: str | Path, encoding: str | None = None, newline: str | None = None) -> str:
    """Read and decode a whole text file (``newline``: see :func:`decode_bytes`).

    Raises:
        InputError: missing, unreadable, binary or undecodable file (the message names it).
    """
    path = Path(path)
    return decode_bytes(_read_bytes(path), str(path), encoding, newline)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _open_error(path, exc) from None


def read_text_lines(path: str | Path, newline: str | None = None) -> Iterator[str]:
    """The lines of a text file, ends kept, as :func:`read_text_file` decodes it (``newline``: ``""`` splits after
    ``\\n``, ``\\r\\n`` or a lone ``\\r`` and keeps them, as :func:`csv_text_lines` of its text), read as a stream
    (:func:`open_text_stream`: the encoding chosen from its head): the whole text is never held, which costs about
    2 bytes of memory a byte of a Chinese file. A line that does not decode, or holds a NUL character, stops the
    reading: the file is then decoded whole, to say where and why as :func:`read_text_file` does.

    Raises:
        InputError: what :func:`read_text_file` raises for the file (lines before the problem are given first).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = Path(d, "t.csv")
        ...     _ = p.write_bytes(codecs.BOM_UTF8 + 'id,text\\r\\n1,"a\\rb"\\n'.encode())
        ...     list(read_text_lines(p, newline=""))
        ['id,text\\r\\n', '1,"a\\r', 'b"\\n']
    """
    count = 0
    with open_text_stream(path, newline=newline) as fh:
        try:
            for line in fh:
                if "\0" in line:
                    break
                count += 1
                yield line
            else:
                return
        except UnicodeDecodeError:
            pass
        enc = fh.encoding
    read_text_file(path, newline=newline)  # raises, naming the byte and the line (else the head chose another reading)
    raise DecodeError(f"{path}: cannot decode line {count + 1} (it was read as {enc}, as its first lines are)",
                      "pass --encoding")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_STRICT = "{http://purl.oclc.org/ooxml/wordprocessingml/main}"  # "Strict Open XML": the same element names
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# what Word does not show as the document's text: the copy of a text box kept for older readers, a moved paragraph
# at its old place (its w:moveTo copy is the text), a ruby's reading above its base text (w:rubyBase is kept)
_DOCX_LEFT_OUT = frozenset((_MC_FALLBACK, _W + "moveFrom", _W + "rt"))
_OFF = ("0", "false", "off")  # an on/off property turned off (<w:vanish w:val="false"/>)
_DOCX_MAX_XML = 256 << 20  # the document part unpacked: larger is a zip bomb, not a report


def read_docx_text(path: str | Path, data: bytes | None = None, max_xml: int | None = None) -> str:
    """The text of a Word ``.docx`` file, one line per paragraph (a data table's row as one line, its cells
    joined by tabs; a layout table's cells' paragraphs one line each, in reading order: :func:`_table_lines`):
    the text runs of the main document part, a tab as a tab, a manual line break (Shift+Enter) as a new line; a
    text box's paragraphs once, before the paragraph it is anchored in (not again from the copy Word keeps for
    older readers); the document as Word shows it with tracked changes accepted (deleted text and a moved
    paragraph's old place left out, a paragraph whose mark was deleted joined to the next); hidden text (Font >
    Hidden), the placeholder of a content control nothing was typed in, a ruby's reading (its base text kept),
    field codes, headers, footers and comments left out. A Strict Open XML document is read as any other.
    Parsed only: nothing in the file is run, nor any external entity fetched. ``data``: the file's bytes (an
    upload), ``path`` then only names it in messages; ``max_xml``: the most the document part may unpack to
    (default 256 MiB; an upload's limit is smaller), refused before it is parsed.

    Example:
        >>> import io, zipfile, tempfile, os
        >>> body = ('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        ...         '<w:p><w:r><w:t>党员为老人</w:t></w:r><w:r><w:t>检查线路。</w:t></w:r></w:p>'
        ...         '<w:p><w:r><w:delText>删去的字</w:delText><w:t>公司召开会议。</w:t></w:r></w:p></w:body></w:document>')
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = os.path.join(d, "r.docx")
        ...     with zipfile.ZipFile(path, "w") as z:
        ...         z.writestr("word/document.xml", body)
        ...     read_docx_text(path)
        '党员为老人检查线路。\\n公司召开会议。\\n'

    Raises:
        InputError: the file cannot be opened, is not a .docx (a password-protected or old .doc file, a
            damaged zip), or its document part is missing, too large or not well-formed XML.
    """
    import zipfile
    from xml.etree.ElementTree import ParseError, iterparse

    path = Path(path)
    resave = "open it in Word or WPS and save it as .docx again, or as .txt"
    try:
        archive = zipfile.ZipFile(path if data is None else io.BytesIO(data))
    except OSError as exc:
        raise _open_error(path, exc) from None
    except zipfile.BadZipFile:
        raise InputError(f"{path}: not a readable .docx file (a password-protected or old-format .doc file, or a "
                         f"damaged one); {resave}") from None
    with archive:
        try:
            info = archive.getinfo("word/document.xml")
        except KeyError:
            raise InputError(f"{path}: a zip file without a Word document in it; {resave}") from None
        limit = _DOCX_MAX_XML if max_xml is None else max_xml
        if info.file_size > limit:

            def size(n: int) -> str:
                return f"{n:,} bytes" if n < 1 << 20 else f"{n / (1 << 20):.1f} MiB"

            raise InputError(f"{path}: its document part unpacks to {size(info.file_size)}, more than "
                             + (f"a report holds ({size(limit)}); {resave}" if max_xml is None else
                                f"an upload of this size may ({size(limit)}); split the report"))
        lines: list[str] = []
        tables: list[list[list[list[str]]]] = []  # each open table: its rows, their cells, each cell's paragraphs
        open_paragraphs: list[list[str]] = []  # the runs of each open paragraph (a text box's sit inside another's)
        joins: list[bool] = []  # each open paragraph: its mark deleted (or moved away) in tracked changes
        joined: dict[int, tuple[list[str], int]] = {}  # by nesting: the line the next paragraph joins
        loose: list[str] = []  # runs outside any paragraph (not written by Word; kept, not dropped)
        hidden_runs: list[bool] = []  # each open run: hidden font (w:vanish)
        placeholders: list[bool] = []  # each open content control (w:sdt): showing its placeholder, no text typed
        stack: list[str] = []  # the open elements' tags (a Strict document's read as the transitional ones)
        left_out = 0  # the depth of the open element whose content Word does not show (0: none)
        try:
            with archive.open(info) as fh:  # Word writes none; entities declared there can explode
                if _declares_doctype(fh):
                    raise InputError(f"{path}: its Word document declares a DOCTYPE, which Word never writes; {resave}")
            with archive.open(info) as fh:
                for event, element in iterparse(fh, events=("start", "end")):
                    tag = element.tag
                    if tag.startswith(_W_STRICT):
                        tag = _W + tag[len(_W_STRICT):]
                    if event == "start":
                        stack.append(tag)
                        if left_out:
                            continue
                        if tag in _DOCX_LEFT_OUT and stack[-2:-1] != [_W + "rPr"]:  # not a paragraph mark's move
                            left_out = len(stack)
                        elif tag == _W + "p":
                            open_paragraphs.append([])
                            joins.append(False)
                        elif tag == _W + "tbl":
                            tables.append([])
                        elif tag == _W + "tr" and tables:
                            tables[-1].append([])
                        elif tag == _W + "tc" and tables and tables[-1]:
                            tables[-1][-1].append([])
                        elif tag == _W + "r":
                            hidden_runs.append(False)
                        elif tag == _W + "sdt":
                            placeholders.append(False)
                        continue
                    depth = len(stack)
                    stack.pop()
                    parents = stack[-2:]  # the element's grandparent and parent
                    if left_out:
                        left_out = 0 if depth == left_out else left_out
                    elif tag == _W + "p":
                        text = "".join(open_paragraphs.pop() if open_paragraphs else ())
                        target, level = _docx_target(tables, lines), len(open_paragraphs)
                        before = joined.pop(level, None)
                        if before is not None and before[0] is target and before[1] == len(target):
                            target[-1] += text  # the paragraph before lost its mark: one, as Word shows it
                        else:
                            target.append(text)
                        if joins.pop() if joins else False:
                            joined[level] = (target, len(target))
                        element.clear()  # memory stays flat on a long document
                    elif tag == _W + "tbl" and tables:
                        table = tables.pop()
                        _docx_target(tables, lines).extend(_table_lines(table))
                    elif tag == _W + "r" and hidden_runs:
                        hidden_runs.pop()
                    elif tag == _W + "sdt" and placeholders:
                        placeholders.pop()
                    elif tag == _W + "vanish" and parents == [_W + "r", _W + "rPr"] and hidden_runs:
                        hidden_runs[-1] = _docx_on(element)
                    elif tag == _W + "showingPlcHdr" and parents[-1:] == [_W + "sdtPr"] and placeholders:
                        placeholders[-1] = _docx_on(element)
                    elif tag in (_W + "del", _W + "moveFrom") and parents == [_W + "pPr", _W + "rPr"] and joins:
                        joins[-1] = True
                    elif not (hidden_runs and hidden_runs[-1] or True in placeholders):  # its cells stay, empty
                        runs = open_paragraphs[-1] if open_paragraphs else loose
                        if tag == _W + "t":
                            runs.append(element.text or "")
                        elif tag == _W + "tab" and parents[-1:] != [_W + "tabs"]:  # not a tab stop's definition
                            runs.append("\t")
                        elif tag in (_W + "br", _W + "cr"):  # a page break (Ctrl+Enter) ends no paragraph
                            runs.append("\x0c" if element.get(_W + "type") == "page" else "\n")
        except ParseError as exc:
            raise InputError(f"{path}: its Word document is not well-formed XML ({exc}); {resave}") from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(f"{path}: a damaged .docx file ({exc}); {resave}") from None
    if loose:
        lines.append("".join(loose))
    return "".join(line + "\n" for line in lines)


class _RootReached(Exception):
    """The XML prolog ended: :func:`_declares_doctype` read enough."""


def _declares_doctype(fh: IO[bytes]) -> bool:
    """Whether the XML read from ``fh`` declares a DOCTYPE (where entities that expand to gigabytes are declared)
    before its root element: its whole prolog is read, however long its comments and processing instructions are
    (expat, chunk by chunk, stopping at the root element). XML that is not well-formed: ``False``, for the parser
    reading it next to name its error.

    Example:
        >>> import io
        >>> _declares_doctype(io.BytesIO(b"<?xml version='1.0'?><!--" + b"x" * 9000 + b"--><!DOCTYPE d []><d/>"))
        True
        >>> _declares_doctype(io.BytesIO(b"<d><!-- <!DOCTYPE d> --></d>"))
        False
    """
    import xml.parsers.expat

    def doctype(*_: object) -> None:
        raise _RootReached("doctype")

    def root(*_: object) -> None:
        raise _RootReached

    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        while chunk := fh.read(1 << 16):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _RootReached as reached:
        return reached.args == ("doctype",)
    except xml.parsers.expat.ExpatError:
        return False
    return False


_TABLE_CELL_CHARS = 40  # a data table's cell holds a name or a number; a layout table's holds the report's prose
_SENTENCE_END = re.compile(r"[。！？；!?;]$")
_CAPTION_CELL = re.compile(r"^(图为|圖為|图片|照片)|[摄攝]$")


def _docx_target(tables: list, lines: list[str]) -> list[str]:
    """Where a finished paragraph (or a nested table's lines) of a Word document goes: the open cell of the
    innermost open table, else the document's lines."""
    row = tables[-1][-1] if tables and tables[-1] else None
    return row[-1] if row else lines


def _docx_on(element: Any) -> bool:
    """Whether a Word on/off property (``<w:vanish/>``, ``<w:showingPlcHdr/>``) is on: no ``w:val``, or one not
    turning it off."""
    value = element.get(_W + "val", element.get(_W_STRICT + "val"))
    return value is None or value.lower() not in _OFF


def _table_lines(table: list[list[list[str]]]) -> list[str]:
    """The lines of a Word table (its rows' cells' paragraphs). A data table — two rows or more, each of two
    cells or more, every cell one short paragraph or none, and no row of sentences or captions — gives a line
    per row, its cells joined by tabs (序号, 小区, 户数: one paragraph, not a heading per cell); any other table
    lays out prose (a report set in a table, a photo beside its story) and gives its paragraphs, one line each,
    in reading order.

    Example:
        >>> _table_lines([[["序号"], ["小区"], ["户数"]], [["1"], ["幸福小区"], []]])
        ['序号\\t小区\\t户数', '1\\t幸福小区']
        >>> _table_lines([[["图为党员为老人检查线路"], ["队员们还为老人讲解了安全用电知识。"]]])
        ['图为党员为老人检查线路', '队员们还为老人讲解了安全用电知识。']
    """
    rows = [[[p.strip() for p in cell if p.strip()] for cell in row] for row in table]
    data = len(rows) >= 2 and all(len(row) >= 2 for row in rows) and all(
        len(cell) <= 1 and all(len(p) <= _TABLE_CELL_CHARS and "\n" not in p and not _CAPTION_CELL.search(p)
                               for p in cell) for row in rows for cell in row)
    if data and not any(all(_SENTENCE_END.search(c[0]) for c in row if c) and any(row) for row in rows):
        return ["\t".join(c[0] if c else "" for c in row).rstrip("\t") for row in rows if any(row)]
    return [p for row in table for cell in row for p in cell]


PAGE_SUFFIXES = (".html", ".htm")
"""A saved web page's file names: read by :func:`decode_page`."""
REPORT_SUFFIXES = (".txt", ".docx", *PAGE_SUFFIXES)
"""The kinds of file a report is read from one by one (:func:`read_report_text`): plain text, Word, a saved
web page (its markup is read by :func:`tagger.text.report.split_report`, as HTML in any report text)."""
REPORT_KINDS = ".txt, .docx or .html"
""":data:`REPORT_SUFFIXES` as messages name them."""
PAGE_FONTS = ('system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","Noto Sans CJK SC",'
              '"Source Han Sans SC","WenQuanYi Micro Hei",sans-serif')
"""The font stack of every page the package writes or serves: the system's own, then a Chinese font of each
platform (macOS, Windows, Linux), so that no page falls back to a font without Chinese characters (boxes)."""

GENERATOR_MARK = '<meta name="generator" content="tagger">'
"""In the head of every web page the package writes (corpus and CV reports): a folder of saved pages tagged
with ``--glob '*.html'`` leaves those out (:func:`tagger.data.tagged.looks_tagged`)."""


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old Office file (.xls, .doc, .wps): not a zip


_XLSX_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")  # ECMA-376's ST_Xstring escape of a character (CR: _x000D_)


def excel_unescape(text: str) -> str:
    """A string of a workbook's XML as Excel shows it: each ``_xHHHH_`` escape decoded to its character, in one
    pass from the left (``_x005F_`` escapes the ``_`` of a literal ``_x000D_``). Excel writes a carriage return
    in a cell so (a Windows line break, ``\\r\\n``: a cell's text pasted from Word or a CMS).

    Example:
        >>> excel_unescape("暖心服务_x000D_\\n党员为老人检查线路。"), excel_unescape("_x005F_x000D_ 与 a_b")
        ('暖心服务\\r\\n党员为老人检查线路。', '_x000D_ 与 a_b')
        >>> excel_unescape("点赞_xD83D__xDE00_")  # a character beyond the BMP: two escapes, one character
        '点赞😀'
    """
    if "_x" not in text:
        return text
    text = _XLSX_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)
    # UTF-16 pairs escaped one by one become one character; a lone half stays (the reader names and replaces it)
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


EAST_ASIAN_DATE_FORMATS = frozenset((*range(27, 37), *range(50, 59)))
"""Excel's built-in number formats 27–36 and 50–58: the dates and times of its Chinese, Japanese and Korean
locales (ECMA-376 §18.8.30; zh-CN 31 is ``yyyy"年"m"月"d"日"``, 57 ``yyyy"年"m"月"``, 32 ``h"时"mm"分"``). A workbook
names them by id alone (no ``<numFmt>`` entry: the locale knows the format), and openpyxl, which knows only the
other built-in ids, reads their cells as numbers (45291); :func:`open_workbook` reads them as dates and times."""


OPENPYXL_REQUIREMENT = "openpyxl>=3.1,<3.2"  # as pyproject.toml: _workbook_reader builds on openpyxl 3.1's internals


@functools.cache
def _workbook_reader() -> type:
    """openpyxl's workbook reader, its text cells decoded by :func:`excel_unescape`, each once: those of the shared
    strings (where Excel keeps every text cell) always — openpyxl only drops each ``x005F_``, which leaves
    ``_x000D_`` in the text and turns the escaped literal ``_x005F_x000D_`` into it too, so no later pass can tell
    the two apart —, and the inline ones (where openpyxl, and so ``tagger tag -o x.xlsx``, writes them; openpyxl
    decodes none) only in a workbook that says it writes them escaped (``inline_escaped``: its about sheet holds
    :data:`tagger.common.xlsx.TEXT_ESCAPES`, which :func:`tagger.common.xlsx.safe_text`'s ``_x0001_`` needs) — an
    earlier tagger wrote its text as it was (a literal ``_x0041_`` is that text, and a decision's ``reviewed_sha``
    was taken on it); and the cells of the East Asian built-in date formats (:data:`EAST_ASIAN_DATE_FORMATS`) read
    as dates, as those of the other built-in date formats are (in the workbook's date system, 1900 or 1904). A
    sheet's size is read from its ``<dimension>`` element, which comes before its rows; openpyxl looks for it up to
    the end of the rows, so that opening a workbook without one — every workbook ``tagger tag`` writes (openpyxl's
    write-only mode writes none) — parsed each of its sheets whole: about 1 s for 13,000 rows, at every opening."""
    from openpyxl.cell.text import Text
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    class Sized(ReadOnlyWorksheet):
        """A read-only sheet whose size (``max_row``, ``max_column``: ``None`` without a ``<dimension>``) is looked
        for before its rows only."""

        def _get_size(self) -> None:
            with self._get_source() as src:
                for event, element in iterparse(src, events=("start", "end")):
                    if event == "end" and element.tag == DIMENSION_TAG:
                        self._min_column, self._min_row, self._max_column, self._max_row = \
                            SheetDimension.from_tree(element).boundaries
                        return
                    if element.tag == DATA_TAG:  # its start: the rows begin, and no <dimension> came before them
                        return

    class Sheet(Sized):
        """A read-only sheet of a workbook whose inline strings are escaped: its text cells (inline or shared: the
        shared strings are then kept as written) are decoded once, as its rows are read."""

        def _cells_by_row(self, *args, **kwargs) -> Iterator[tuple]:
            for row in super()._cells_by_row(*args, **kwargs):
                if any(isinstance(getattr(c, "_value", c), str) for c in row):
                    row = tuple(excel_unescape(c) if isinstance(c, str) else _unescaped_cell(c) for c in row)
                yield row

    def _unescaped_cell(cell: object) -> object:
        if isinstance(getattr(cell, "_value", None), str):  # a ReadOnlyCell of this row (made for it)
            cell._value = excel_unescape(cell._value)  # type: ignore[attr-defined]
        return cell

    class Reader(ExcelReader):
        inline_escaped = False  # set before read(): the workbook says its inline strings are escaped

        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is None:
                return
            item = f"{{{SHEET_MAIN_NS}}}si"
            decode = (lambda text: text) if self.inline_escaped else excel_unescape  # else decoded by Sheet
            strings = []
            with self.archive.open(part.PartName[1:]) as src:
                for _, node in iterparse(src):
                    if node.tag == item:
                        strings.append(decode(Text.from_tree(node).content))
                        node.clear()
            self.shared_strings = strings

        def read_worksheets(self) -> None:  # the first step after the styles are read
            # openpyxl rebases an id that has a <numFmt> entry to 164 and up: one still in the range has none
            self.wb._date_formats = set(self.wb._date_formats) | {
                n for n, style in enumerate(self.wb._cell_styles) if style.numFmtId in EAST_ASIAN_DATE_FORMATS}
            kind = Sheet if self.inline_escaped else Sized
            for sheet, rel in self.parser.find_sheets():  # as openpyxl's read-only reading, with these sheets
                if rel.target not in self.valid_files:
                    continue
                if "chartsheet" in rel.Type:
                    self.read_chartsheet(sheet, rel)
                    continue
                ws = kind(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)

    return Reader


def open_workbook(path: str | Path, data_only: bool = True) -> Workbook:
    """An ``.xlsx`` workbook opened read-only (openpyxl), cell values as last saved when ``data_only``, its
    strings as Excel shows them (:func:`excel_unescape`: the shared strings, and the inline strings of a workbook
    whose about sheet says they are escaped, as this package writes them; :func:`_workbook_reader`); close it.

    Raises:
        InputError: openpyxl missing, or the file is no readable workbook — an old ``.xls`` renamed ``.xlsx``
            is named as such, with how to save it.
    """
    from .xlsx import escapes_text

    try:
        import openpyxl
    except ImportError:
        raise InputError(f"{path}: reading .xlsx needs openpyxl: pip install openpyxl") from None
    try:
        reader_type = _workbook_reader()
    except (ImportError, AttributeError) as exc:  # parts of openpyxl that are not its public interface
        raise InputError(f"{path}: this openpyxl ({getattr(openpyxl, '__version__', '?')}) lacks a part tagger reads "
                         f"workbooks with ({exc}); install the version tagger is made for: pip install "
                         f"'{OPENPYXL_REQUIREMENT}'") from None
    source: str | Path | io.BytesIO = path
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm", ".xltx", ".xltm"):  # openpyxl refuses other names
        try:  # (tag -o NAME --format xlsx): given as bytes, it reads the workbook whatever the name
            source = io.BytesIO(Path(path).read_bytes())
        except OSError as exc:
            raise InputError(f"{path}: {exc.strerror or exc}") from None
    try:
        escaped = escapes_text(source)
        reader = reader_type(source, read_only=True, data_only=data_only)  # as openpyxl.load_workbook does
        reader.inline_escaped = escaped
        reader.read()
        return reader.wb
    except Exception as exc:  # noqa: BLE001 - zipfile, XML and openpyxl errors for a bad file
        head = b""
        with contextlib.suppress(OSError), open(path, "rb") as fh:
            head = fh.read(1 << 20)
        if head.startswith(_OLE2) and "EncryptedPackage".encode("utf-16-le") in head:
            raise InputError(f"{path}: a password-protected workbook; remove the password in Excel (File > Info > "
                             "Protect Workbook) and save it, or save the sheet as CSV") from None
        if head.startswith(_OLE2):
            raise InputError(f"{path}: an old Excel .xls (or other Office) file with an .xlsx name; open it in "
                             "Excel or LibreOffice and save it as an Excel Workbook (.xlsx), or as CSV") from None
        raise InputError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__}: {exc}); save it again as "
                         ".xlsx or as CSV") from None


def glob_matches(relative: Path, glob: str) -> bool:
    """Whether a file at ``relative`` (inside a folder given as input) is one ``--glob`` takes: its name
    matched without regard to case (``B.TXT`` is a ``*.txt`` file, as on Windows, where such names come
    from); a pattern with ``/`` is matched against the end of the path, as ``Path.rglob`` does (a leading
    ``**/`` adds nothing: every folder is searched). Hidden files and folders (``.git/``, the review
    journal ``.tagged.jsonl.review-journal.jsonl``, an editor's ``.a.txt.swp``) are left out, as a shell's
    ``*`` leaves them, unless a part of the pattern starts with ``.`` (``.*.txt``, ``.drafts/*.txt``); so are the
    owner files Word, Excel and WPS keep beside a document while it is open (``~$报告.docx``: a user name, no
    text), unless the pattern's name starts with ``~$``.

    Example:
        >>> glob_matches(Path("sub/B.TXT"), "*.txt"), glob_matches(Path("a.csv"), "**/*.txt")
        (True, False)
        >>> glob_matches(Path(".git/HEAD"), "*"), glob_matches(Path(".notes.txt"), ".*.txt")
        (False, True)
        >>> glob_matches(Path(".drafts/a.txt"), ".drafts/*.txt")
        True
        >>> glob_matches(Path("sub/~$报告.docx"), "*.docx"), glob_matches(Path("~$报告.docx"), "~$*.docx")
        (False, True)
    """
    pattern = glob.lower()
    while pattern.startswith("**/"):
        pattern = pattern[3:]
    if not any(part.startswith(".") for part in pattern.split("/")) and any(p.startswith(".") for p in relative.parts):
        return False
    if relative.name.startswith("~$") and not pattern.rpartition("/")[2].startswith("~$"):
        return False
    if "/" in pattern:
        return Path(relative.as_posix().lower()).match(pattern)
    return fnmatch.fnmatchcase(relative.name.lower(), pattern)


def glob_reaches(relative: Path, glob: str) -> bool:
    """Whether a file ``--glob`` takes (:func:`glob_matches`) could lie inside the folder at ``relative`` (inside a
    folder given as input), so that a walk that cannot go into it (a folder that cannot be read, a link to a
    folder) has something to say: a folder of the non-hidden part, as for ``*``; a hidden one only for a pattern
    that takes hidden files — any folder for a name (``.*.txt``), else one the pattern's leading folders name, the
    last of its parts matching them (``.drafts`` and ``a/.drafts`` for ``.drafts/*.txt``, any hidden folder for
    ``.*/*.txt``, not ``.git``, which could only hold such a file in a ``.drafts`` of its own).

    Example:
        >>> glob_reaches(Path("sub"), "*.txt"), glob_reaches(Path(".git"), "*.txt")
        (True, False)
        >>> glob_reaches(Path(".drafts"), ".drafts/*.txt"), glob_reaches(Path(".git"), ".drafts/*.txt")
        (True, False)
        >>> glob_reaches(Path("a/.Old"), ".*/*.txt"), glob_reaches(Path(".git"), ".*.txt")
        (True, True)
    """
    if glob_matches(relative, "*"):
        return True
    pattern = glob.lower()
    while pattern.startswith("**/"):
        pattern = pattern[3:]
    leading = pattern.split("/")[:-1]
    if not any(part.startswith(".") for part in pattern.split("/")):
        return False  # a hidden folder holds no file it takes
    if not leading:
        return True
    names = [name.lower() for name in relative.parts]
    return any(all(fnmatch.fnmatchcase(name, part) for name, part in zip(names[-n:], leading))
               for n in range(1, min(len(names), len(leading)) + 1))


def _saved_page_parts(relative: Path, folder: Path) -> bool:
    """Whether the folder at ``relative`` inside ``folder``, or one it lies in, is a saved web page's folder of parts
    (a browser saves ``页面.html`` with ``页面_files/``, or ``页面.files/``: frames, scripts, styles, not reports).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     (Path(d) / "页面_files").mkdir(); _ = (Path(d) / "页面.html").write_text("<p>x</p>")
        ...     _saved_page_parts(Path("页面_files/inner"), Path(d)), _saved_page_parts(Path("."), Path(d))
        (True, False)
    """
    for parent in (relative, *relative.parents):
        name = parent.name
        for tail in ("_files", ".files"):
            if name.lower().endswith(tail) and any(
                    (folder / parent.parent / (name[:-len(tail)] + suffix)).is_file() for suffix in PAGE_SUFFIXES):
                return True
    return False


def file_name_text(name: str) -> str:
    """A file name (or part of one) as text: bytes that are not UTF-8 — Python keeps them as lone
    surrogates, as ``unzip`` leaves the GBK names of a Chinese Windows zip — decoded as GB18030, else as
    UTF-8 with U+FFFD for what cannot be read.

    Example:
        >>> file_name_text("国网报告".encode("gbk").decode("utf-8", "surrogateescape")), file_name_text("a")
        ('国网报告', 'a')
    """
    if not LONE_SURROGATE.search(name):
        return name
    try:
        raw = os.fsencode(name)
    except UnicodeEncodeError:  # not from the file system's bytes
        return LONE_SURROGATE.sub("\ufffd", name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


class EntryKind:
    """What an entry is that no file's text can be read from: the words :func:`not_a_file` returns and the warning of
    :func:`folder_files` names an entry with (``"gone.txt (a link to nothing)"``). The one place these are spelt:
    compare with them, never with text of one's own.

    Example:
        >>> not_a_file("/dev/null") in EntryKind.SPECIAL, not_a_file(".") == EntryKind.FOLDER
        (True, True)
    """

    FOLDER = "a folder"
    LINK_TO_NOTHING = "a link to nothing"  #: its file gone, or a loop of links
    FIFO = "a FIFO"
    SOCKET = "a socket"
    DEVICE = "a device"
    OTHER = "not a file"  #: a kind of entry none of the others is
    UNREADABLE = "cannot be read"  #: followed by the reason, "cannot be read (Permission denied)"
    LINKED_FOLDER = "a link to a folder"  #: not followed by the walk of a folder
    UNREAD_FOLDER = "a folder that cannot be read"  #: not allowed to list its entries, or to open them
    GONE = "gone while the folder was read"  #: listed by the walk of a folder, then deleted (or moved)
    SPECIAL = frozenset((FIFO, SOCKET, DEVICE, OTHER))
    """Entries that are neither a file, a folder nor a link: read as a file, one is read until it ends, which it may
    never do (a FIFO nothing writes to)."""
    NO_FILE = SPECIAL | {GONE, LINK_TO_NOTHING, FOLDER}
    """What a file the walk of a folder found may be by the time it is read that leaves no file there to read: gone,
    a link to nothing, a folder or a special entry — left out as the walk leaves such an entry out
    (:meth:`LeftOut.no_file`); not a file still there that cannot be read (:attr:`UNREADABLE`: an error)."""


_UNREAD_SHOWN = 5  # of the entries of a folder with no file to read, named in its warning


def path_exists(path: str | Path) -> bool:
    """Whether ``path`` exists (:meth:`pathlib.Path.exists`), ``False`` when its name is too long for the file
    system: no file can have such a name (Python 3.11's ``exists()`` raises ``ENAMETOOLONG`` then, instead of
    saying no) — the file a program keeps beside another, whose name is that one's and more (a review journal or
    lock beside a long-named tagged file). Any other error (a folder that cannot be entered) is raised.

    Example:
        >>> path_exists("x" * 300), path_exists(".")
        (False, True)
    """
    try:
        return Path(path).exists()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return False
        raise


def not_a_file(path: str | Path) -> str | None:
    """What a path is when it names no file whose text can be read — a folder, a link to nothing (its file gone,
    or a loop of links), a FIFO, a socket, a device, or one that cannot be looked at (:class:`EntryKind`'s words,
    the last with the reason) — or ``None`` for a file (through a link too) or a path that is not there (its reader
    says so). A FIFO or a device given as a file would be read until it ends, which it may never do.

    Example:
        >>> not_a_file("."), not_a_file("/dev/null"), not_a_file(__file__)
        ('a folder', 'a device', None)
    """
    what = entry_kind(path)
    return None if what == EntryKind.GONE else what


def entry_kind(path: str | Path) -> str | None:
    """:func:`not_a_file`, but :attr:`EntryKind.GONE` for a path that is not there (not even as a link): what the walk
    of a folder (:func:`folder_files`) says of an entry, and what a reader asks of a file the walk found that it could
    not read (gone since, or no file any more).

    Example:
        >>> entry_kind("no-such-file.txt"), not_a_file("no-such-file.txt")
        ('gone while the folder was read', None)
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return EntryKind.GONE
        except OSError as exc:  # not allowed to look (its folder closed since): there, or not, unknown
            return f"{EntryKind.UNREADABLE} ({exc.strerror or exc})"
        return EntryKind.LINK_TO_NOTHING if stat.S_ISLNK(mode) else None  # else put back since: a file
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return EntryKind.LINK_TO_NOTHING
        return f"{EntryKind.UNREADABLE} ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return EntryKind.FOLDER
    if stat.S_ISFIFO(mode):
        return EntryKind.FIFO
    if stat.S_ISSOCK(mode):
        return EntryKind.SOCKET
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return EntryKind.DEVICE
    return EntryKind.OTHER


def names_nothing(path: str | Path) -> bool:
    """Whether ``path`` names nothing: it is not there, or is a link to nothing (its file gone, or a loop of
    links: :func:`entry_kind`) — the one test by which a command that takes files and folders (``tagger tag``,
    ``tagger suggest``) says an input is missing (:func:`no_such`), before what its name says it is.

    Example:
        >>> names_nothing("no-such-file.txt"), names_nothing(".")
        (True, False)
    """
    return entry_kind(path) in (EntryKind.GONE, EntryKind.LINK_TO_NOTHING)


def _entries_closed(entries: list[os.DirEntry]) -> bool:
    """Whether a folder that listed ``entries`` does not let them be looked at (a folder of mode 644: its listing
    says what each entry is, yet none can be opened): asked of its first entry still there, one look per folder."""
    for entry in entries:
        try:
            os.lstat(entry.path)
        except FileNotFoundError:  # gone since the listing: the next one says
            continue
        except OSError:
            return True
        return False
    return False


def _listed_as(entry: os.DirEntry) -> str | None:
    """What the folder listing gave ``entry`` as, where it says (no look at the entry itself then): ``"file"``,
    ``"folder"`` (not a link to either) or ``"link"``; ``None`` for anything else, and for an entry the listing does
    not say and that cannot be looked at."""
    try:
        if entry.is_symlink():
            return "link"
        if entry.is_file(follow_symlinks=False):
            return "file"
        return "folder" if entry.is_dir(follow_symlinks=False) else None
    except OSError:
        return None


class LeftOut:
    """The entries of the tree of ``folder`` no file is read from, named in one warning (:meth:`warn`) once its files
    are read: those its walk left out (:func:`folder_files`), and the files it found that were no file any more when
    their reader came to them (:meth:`no_file`). ``to``: what giving a linked folder as an input does ("tag its
    files"), said when one is left out.

    Example:
        >>> left_out = LeftOut(Path("V"))
        >>> left_out.no_file(Path("V/ghost.txt")), [(p.as_posix(), what) for p, what in left_out.entries]
        (True, [('ghost.txt', 'gone while the folder was read')])
        >>> left_out.warn()  # logs, at WARNING:
        ... # V: left out 1 entry with no file to read: ghost.txt (gone while the folder was read)
    """

    def __init__(self, folder: Path, to: str = "read its files") -> None:
        self.folder = folder
        self.to = to
        self.entries: list[tuple[Path, str]] = []  #: ``(path inside folder, what it is)``, :class:`EntryKind`'s words

    def add(self, relative: Path, what: str) -> None:
        """Leave out the entry at ``relative`` inside the folder, which is ``what``."""
        self.entries.append((relative, what))

    def no_file(self, path: Path) -> bool:
        """For a file the walk found in the folder that its reader could not read, before it gave anything: whether
        no file is there any more (:attr:`EntryKind.NO_FILE`: gone, a link to nothing, a folder, a FIFO, ...), then
        left out, named as the walk names such an entry; ``False`` for a file still there (one that cannot be read:
        its reader's error is the file's, as is that of a file whose reading began)."""
        what = entry_kind(path)
        if what not in EntryKind.NO_FILE:
            return False
        self.add(path.relative_to(self.folder), what)
        return True

    def warn(self) -> None:
        """Name the entries left out in one warning for the folder (sorted by path; nothing for none), with what to
        do about a linked folder and one that cannot be read; then there are none."""
        unread = sorted(self.entries)
        self.entries.clear()
        if not unread:
            return
        shown = ", ".join(f"{file_name_text(relative.as_posix())} ({what})"
                          for relative, what in unread[:_UNREAD_SHOWN])
        more = f", … ({len(unread)} in all)" if len(unread) > _UNREAD_SHOWN else ""
        kinds = {what for _, what in unread}
        hints = "".join(hint for kind, hint in (
            (EntryKind.LINKED_FOLDER, f"; a linked folder is not followed: give it as an input to {self.to}"),
            (EntryKind.UNREAD_FOLDER, "; a folder is read with the right to list and to open its entries "
                                      "(chmod a+rx)"))
            if kind in kinds)
        log.warning("%s: left out %s with no file to read: %s%s%s", self.folder,
                    counted(len(unread), "entry", "entries"), shown, more, hints)


def folder_files(folder: Path, wanted: Callable[[Path], bool], glob: str = "*", left_out: LeftOut | None = None
                 ) -> Iterator[Path]:
    """The files in the tree of ``folder``, in one walk (in no set order), but those in a saved web page's folder of
    parts (``页面_files/`` beside ``页面.html``); a link to a file is a file. What no file can be read from is named in
    one warning for the folder after the walk (:class:`LeftOut`): the entries ``wanted(path inside folder)``
    takes that are a link to nothing, a FIFO, a socket or a device (:func:`not_a_file`), or were gone when the walk
    looked at them (listed, then deleted: left out, the rest read), and, where ``wanted`` takes them or a file
    ``glob`` takes could be in them (:func:`glob_reaches`: the non-hidden part, and hidden folders the pattern names),
    a link to a folder (not followed: it may lead out of the folder, or back into it; the warning says to give it as
    an input), a folder that cannot be read (not allowed to list its entries, or to open them) and one
    gone while the walk went on. A file or folder is taken as the listing says it is (no look at each of them; a file
    deleted after the listing is yielded, and its reader finds it gone: :meth:`LeftOut.no_file`); links and other
    entries are looked at. ``glob``: the pattern ``wanted`` takes files by. ``left_out``: where to put what is left
    out, for the caller to name once it has read the files, with those it found no file any more then, in one
    warning (:meth:`LeftOut.warn`, saying its ``to``); without it, the walk names them. The one walk
    of a folder of reports (``tag``, ``suggest``).

    Raises:
        InputError: ``folder`` itself cannot be read.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     (Path(d) / "sub").mkdir(); _ = (Path(d) / "sub" / "a.txt").write_text("x")
        ...     [p.relative_to(d).as_posix() for p in folder_files(Path(d), lambda p: True)]
        ['sub/a.txt']
    """
    def named(relative: Path) -> bool:  # a folder (or a link to one) worth naming when no file is read from it
        return wanted(relative) or glob_reaches(relative, glob)

    unread = LeftOut(folder) if left_out is None else left_out
    pending = [folder]
    while pending:
        here = pending.pop()
        relative = here.relative_to(folder)
        try:
            with os.scandir(here) as listing:
                entries = list(listing)
        except OSError as exc:
            if here == folder:
                raise InputError(f"{folder}: the folder cannot be read ({exc.strerror or exc})") from None
            if named(relative):
                unread.add(relative, EntryKind.GONE if isinstance(exc, FileNotFoundError) else EntryKind.UNREAD_FOLDER)
            continue
        if _saved_page_parts(relative, folder):  # a saved page's frames and scripts, not reports
            continue
        if _entries_closed(entries):  # the folder lists its entries but does not let them be opened (mode 644)
            if here == folder:
                raise InputError(f"{folder}: the folder cannot be read (its entries cannot be opened)")
            if named(relative):
                unread.add(relative, EntryKind.UNREAD_FOLDER)
            continue
        for entry in entries:
            path = Path(entry.path)
            listed = _listed_as(entry)
            if listed == "file":
                yield path
                continue
            if listed == "folder":
                pending.append(path)
                continue
            inside = path.relative_to(folder)
            # a link, a FIFO, a socket, a device, or what the listing did not say (one that cannot be looked at, its
            # folder closed since _entries_closed looked: named as it is, "cannot be read (Permission denied)")
            what = entry_kind(path)
            if what is None:
                yield path
            elif what == EntryKind.FOLDER:
                if listed != "link" and not os.path.islink(path):  # a folder the listing did not say
                    pending.append(path)
                elif named(inside):
                    unread.add(inside, EntryKind.LINKED_FOLDER)
            elif wanted(inside):
                unread.add(inside, what)
    if left_out is None:
        unread.warn()


# a page's declared encoding: <meta charset="gbk">, <meta http-equiv="Content-Type" content="text/html; charset=gb2312">
_META_CHARSET = re.compile(rb"<meta\b[^<>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)
_META_HEAD = 8192  # bytes searched for it (browsers look at the first 1,024; Word and CMS heads run longer)
# declared names as browsers read them (the WHATWG Encoding Standard): a "gb2312" page holds GBK characters
# (镕, 喆), a "big5" page Windows' code page 950 ones
_CHARSET_CODECS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
                   "big5": "cp950", "x-x-big5": "cp950", "big5-hkscs": "big5hkscs",
                   "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252"}


def page_charset(head: bytes) -> str | None:
    """The codec a web page's ``<meta>`` declares its encoding in (looked for in its first 8 KiB), as Python
    names it; ``None`` for none or an unknown name.

    Example:
        >>> page_charset(b'<head><meta http-equiv="Content-Type" content="text/html; charset=GB2312">')
        'gb18030'
        >>> page_charset(b'<meta charset="big5">'), page_charset(b"<p>charset=big5</p>")
        ('cp950', None)
    """
    match = _META_CHARSET.search(head, 0, _META_HEAD)
    if not match:
        return None
    name = match[1].decode("ascii").lower()
    if name in _CHARSET_CODECS:
        return _CHARSET_CODECS[name]
    return codecs.lookup(name).name if is_text_encoding(name) else None  # a page's word is no transform either


# a browser's single-file web archive (.mht/.mhtml) starts with mail headers, its MIME type among them
_WEB_ARCHIVE = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?:[A-Za-z-]+:[^\n]*\r?\n(?:[ \t][^\n]*\r?\n)*){0,20}?"
                          rb"(?:MIME-Version:|Content-Type:\s*multipart/related)", re.IGNORECASE)


# Han characters the guess must give to overrule a page's <meta> that gives none, mostly common ones: beyond no
# evidence of another encoding (which suffices for a file), for a declaration is evidence of its own, overruled only
# on more than a few words of Chinese
_PAGE_HAN_MIN = 10


def _page_encoding(data: bytes, name: str, declared: str, text: str) -> str:
    """The encoding to read a page's bytes (not UTF-8) in, given ``text``, what the ``declared`` codec made of
    them: that codec, unless ``text`` has no Han character while the bytes' own guess (:func:`guess_encoding`:
    GB18030, or Big5) gives ten or more, half of its characters beyond ASCII, mostly common ones
    (:func:`mostly_common_han`) — a GBK page whose
    ``<meta>`` says iso-8859-1 (its server's header said GBK, and the browser went by that) —: then the guess,
    with a warning naming both.

    Example:
        >>> page = '<meta charset="iso-8859-1"><p>党员服务队为孤寡老人检查室内线路。</p>'.encode("gb18030")
        >>> _page_encoding(page, "p.html", "cp1252", page.decode("cp1252"))
        'gb18030'
    """
    if _HAN.search(text):
        return declared
    try:
        guess = guess_encoding(data, name, warn=False)
        guessed = data.decode(guess)
    except (InputError, UnicodeDecodeError):
        return declared
    han = len(_HAN.findall(guessed))
    if han < _PAGE_HAN_MIN or 2 * han < sum(not ch.isascii() for ch in guessed) or not mostly_common_han(guessed):
        return declared
    match = _META_CHARSET.search(data, 0, _META_HEAD)
    said = match[1].decode("ascii") if match else declared
    log.warning("%s: its <meta> says charset=%s, which gives no Chinese character; read as %s, which gives "
                "Chinese text (--encoding overrides this)", name, said, guess)
    return guess


def decode_page(data: bytes, name: str, encoding: str | None = None) -> str:
    """A saved web page's bytes as text (its markup kept, for the reader): decoded as every file is
    (:func:`decode_bytes`), save that a page whose bytes are not UTF-8 (and start with no byte-order mark) is
    read in the encoding its ``<meta>`` declares (:func:`page_charset`), when that decodes it — the guess
    needs a few lines of text to tell Big5 from GB18030, a short Big5 page became GB18030 garbage —, unless that
    gives no Chinese character and the guess many (:func:`_page_encoding`). ``encoding`` overrides all of it.

    Raises:
        InputError: as :func:`decode_bytes`; or the "page" is JSON (an API's answer saved as ``.html``: its
            fields and quotes would be tagged as the story's paragraphs), or a web archive (``.mht`` renamed).

    Example:
        >>> page = '<meta charset="big5"><p>黨員檢查線路。</p>'
        >>> decode_page(page.encode("big5"), "p.htm") == page
        True
        >>> decode_page(b'{"content": "<p>x</p>"}', "p.html")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: p.html: holds JSON, not a web page; ...
    """
    if encoding is None and not data.startswith(tuple(bom for bom, _ in _BOMS)):
        declared = page_charset(data)
        if declared and declared != "utf-8":
            try:
                data.decode("utf-8")  # UTF-8 bytes are UTF-8 whatever the page says (re-saved, its <meta> kept)
            except UnicodeDecodeError:
                with contextlib.suppress(UnicodeDecodeError):
                    encoding = _page_encoding(data, name, declared, data.decode(declared))
    if _WEB_ARCHIVE.match(data[:4096]):  # its parts quoted-printable or base64: the story would be read as =E5=85...
        raise InputError(f"{name}: is a web archive (.mht, MIME parts), not a web page; save the page again as "
                         "'Web page, HTML only' (.html) or as text (.txt)")
    text = decode_bytes(data, name, encoding)
    start = json_start(text)
    if text[start:start + 1] in ("{", "["):  # no page starts so: its first tag comes first
        try:
            load_json(text)
        except JsonProblem:
            pass
        else:
            raise InputError(f"{name}: holds JSON, not a web page; put its reports in a .jsonl file, one object per "
                             "line with the text in a field (tagger tag reads it as a table, --text-column names it)")
    return text


_TABLE_ROWS_READ = 50  # rows of a text file looked at to tell a tab-separated table from a report
_COLUMN_NAME_MAX = 30  # a longer header cell is a column's name only when the table shows it is one (below)
_LONG_NAME_MAX = 100  # longer still, it is a paragraph
_STATEMENT = re.compile("[。！；!;]")  # a sentence's (or a title's) punctuation, which no column name has
# a list item's number or bullet, which Word writes before a tab when a numbered list is saved as text (1.<tab>…,
# 一、<tab>…, (1)<tab>…, ①<tab>…, •<tab>…): a column of them is a report's list, not a table's column (a table's
# numbers, 序号, are plain: 1, 2, 3)
_LIST_MARKER = re.compile(r"(?:\d{1,3}|[A-Za-z]|[一二三四五六七八九十]{1,3})[.．、)）]"
                          r"|[(（](?:\d{1,3}|[A-Za-z]|[一二三四五六七八九十]{1,3})[)）]"
                          r"|第[一二三四五六七八九十\d]{1,3}[、.．]?|[①-⑳⑴-⒇⒈-⒛㈠-㈩•·●○■□◆◇▪➢➤]")


def tab_table_header(text: str) -> list[str] | None:
    """The column names when a text file is a tab-separated table (a sheet saved as 'Unicode Text' or pasted): a
    header row that names a common column (id, text, title, body, 正文, 内容 …) among distinct names, and at
    least one row below it, every row of the first ``_TABLE_ROWS_READ`` with as many cells (empty cells at a
    row's end aside); else ``None``. A report that holds a table, is indented with tabs or laid out in two
    columns names no such column. A name of more than 30 characters (a survey's question, a system's
    descriptive column name) is a name when it is no sentence — up to 100 characters, without a full stop,
    exclamation mark or semicolon — and most named columns hold a value in some row below (a sheet's sparse
    column, 备注, aside): a report's first line so long is its title, or a sentence, over paragraphs indented
    with tabs (the column of the word before it, 标题, empty below). A column whose values are all list numbers
    or bullets (``1.``, ``一、``, ``(1)``, ``①``, ``•``: Word writes a tab after each when it saves a numbered
    list as text) is a report's list under its title, whatever the title's length, not a table's column.

    Example:
        >>> tab_table_header("id\\tcompany\\ttext\\t\\nr1\\t某公司\\t党员为老人检查线路。\\t\\n")
        ['id', 'company', 'text']
        >>> tab_table_header("国网某供电公司\\t2023年5月10日\\n\\t党员为老人检查线路。\\n\\t公司召开会议。\\n") is None
        True
        >>> long = "客户诉求内容（95598工单系统导出的原始记录，含处理过程及回访意见）"
        >>> tab_table_header(f"id\\t{long}\\nr1\\t党员为老人检查线路。\\n") == ["id", long]
        True
        >>> tab_table_header(f"标题\\t{long}\\n\\t党员为老人检查线路。\\n") is None
        True
        >>> tab_table_header("标题\\t安全用电检查\\n1.\\t党员为老人检查线路。\\n2.\\t公司召开会议。\\n") is None
        True
        >>> tab_table_header("序号\\t单位\\t正文\\n1、\\t国网甲\\t党员为老人检查线路。\\n2、\\t国网乙\\t公司召开会议。\\n")
        ['序号', '单位', '正文']
    """
    text = text.lstrip("\ufeff")
    first = first_line_of(text)
    if "\t" not in first:
        return None
    try:
        rows = list(itertools.islice((row for row in csv.reader(io.StringIO(text), delimiter="\t")
                                      if any(cell.strip() for cell in row)), _TABLE_ROWS_READ))
    except csv.Error:  # a quote never closed, a cell over csv's size limit: no table to read
        return None
    rows = [[cell.strip() for cell in row] for row in rows]
    if len(rows) < 2:  # a header and a row at least ("\t\x0b": white space only, no row)
        return None
    width = max(len(row) - next((k for k, cell in enumerate(reversed(row)) if cell), len(row)) for row in rows)
    header = rows[0][:width]
    named = [name for name in header if name]
    long = [name for name in named if len(name) > _COLUMN_NAME_MAX]
    if (width < 2 or len(set(named)) < len(named)
            or any(len(name) > _LONG_NAME_MAX or _STATEMENT.search(name) for name in long)
            # a long name: most named columns hold a value below (a report's long title over paragraphs indented
            # with tabs leaves the column of the word before it, 标题, empty: one of two)
            or long and 2 * sum(bool(name) and any(len(row) > k and row[k] for row in rows[1:])
                                for k, name in enumerate(header)) <= len(named)
            # two columns, one of list numbers (Word's 1.<tab>…): a report's numbered paragraphs under its title (a
            # table of more columns, 序号 1、 2、 among them, stays a table)
            or width == 2 and any(_is_list_column([row[k] for row in rows[1:] if len(row) > k and row[k]])
                                  for k in range(width))
            or not (_COLUMN_NAMES & {name.lower() for name in named})
            or any(len(row) < width or any(row[width:]) for row in rows)
            # a form's fields (标题<tab>…, 日期<tab>…, 正文<tab>…): column names down a column, not across the top
            or any(cell.lower() in _COLUMN_NAMES for row in rows[1:] for cell in row[:width])):
        return None
    return header


def _is_list_column(values: list[str]) -> bool:
    """Whether a column's values (the non-empty ones) are all list numbers or bullets (:data:`_LIST_MARKER`)."""
    return bool(values) and all(_LIST_MARKER.fullmatch(value) for value in values)


_TEXT_COLUMNS = ("text", "body", "content", "正文", "内容", "文本")
_COLUMN_NAMES = {*_TEXT_COLUMNS, "id", "title", "date", "company", "url", "report", "doc", "标题", "日期", "时间", "单位",
                 "公司", "序号", "编号", "来源"}


def decode_report(data: bytes, name: str, encoding: str | None = None, max_xml: int | None = None) -> str:
    """A report file's bytes as its text, by the kind its ``name`` says: a Word ``.docx`` file's paragraphs
    (:func:`read_docx_text`), a saved web page decoded by :func:`decode_page` (its markup stays in the text, for
    the reader), else text (:func:`decode_bytes`), refused when it is a tab-separated table
    (:func:`tab_table_header`); ``encoding`` applies to text files and pages only, ``max_xml`` to Word files. One
    dispatch for files read from disk (:func:`read_report_text`) and uploads.

    Raises:
        InputError: as :func:`decode_bytes`, :func:`decode_page`, :func:`read_docx_text`; or the text is a table.

    Example:
        >>> decode_report("第一段。\\r\\n第二段。".encode("gb18030"), "r.txt")
        '第一段。\\n第二段。'
    """
    suffix = Path(name).suffix.lower()
    if suffix == ".docx":
        return read_docx_text(name, data, max_xml)
    if suffix in PAGE_SUFFIXES:
        return decode_page(data, name, encoding)
    text = decode_bytes(data, name, encoding)
    header = tab_table_header(text)
    if header:
        columns, how = describe_tab_table(header)
        raise InputError(f"{name}: {columns}, not a report's text (Excel's 'Unicode Text' saves a sheet so); to tag "
                         f"one report per row, name it .tsv and run tagger tag {Path(name).with_suffix('.tsv').name}{how}")
    return text


def describe_tab_table(header: list[str]) -> tuple[str, str]:
    """What a refusal of a tab-separated table (:func:`tab_table_header`) says: its columns, and the
    ``--text-column`` option its text column needs (empty when it is ``text`` or none is named).

    Example:
        >>> describe_tab_table(["编号", "正文"])
        ('a table (2 tab-separated columns: 编号, 正文)', ' --text-column 正文')
    """
    names = ", ".join(name or "(unnamed)" for name in header[:6]) + (", …" if len(header) > 6 else "")
    text_column = next((h for h in header if h.lower() in _TEXT_COLUMNS), None)
    how = "" if text_column in (None, "text") else f" --text-column {text_column}"
    return f"a table ({len(header)} tab-separated columns: {names})", how


def read_report_text(path: str | Path, encoding: str | None = None) -> str:
    """A report file's text (:func:`decode_report` of its bytes)."""
    path = Path(path)
    return decode_report(_read_bytes(path), str(path), encoding)


class TextStream(io.TextIOWrapper):
    """What :func:`open_text_stream` returns: a text file read as a stream, and ``other``, the encoding its bytes
    past an ASCII head show evidence of (:func:`other_encoding`) where it is read in the head's (a row in
    Windows-1252 4,000 rows into an English file), for :func:`undecodable_row` to name."""

    other: OtherEncoding | None = None


def open_text_stream(path: str | Path, encoding: str | None = None, errors: str = "strict",
                     newline: str | None = None) -> TextStream:
    """Open a (possibly huge) text file for streaming line by line; the encoding is chosen from its
    first 64 KiB. A decoding error further on surfaces as ``UnicodeDecodeError`` while iterating (the
    caller names the line) — or, with ``errors="surrogateescape"``, as :data:`UNDECODABLE` characters in
    the line that holds the bytes (a reader of rows can then name that row and go on, saying
    :func:`undecodable_row`). ``newline``: as for :func:`open` (``""``: line ends kept as they are, for a CSV reader).

    Raises:
        InputError: missing, unreadable, binary or undecodable file.
    """
    path = Path(path)
    try:
        # a buffer of _HEAD bytes, for peek() returns what one read of the buffer holds (4 KiB by default)
        fh = open(path, "rb", buffering=_HEAD)  # noqa: SIM115 - handed to the caller inside a TextIOWrapper
    except OSError as exc:
        raise _open_error(path, exc) from None
    try:
        enc, other = _stream_encoding(fh, path, encoding)
        stream = TextStream(fh, encoding=enc, newline=newline, errors=errors)
        stream.other = other
        return stream
    except BaseException:
        fh.close()
        raise


def _stream_encoding(fh: io.BufferedReader, path: Path, encoding: str | None, final: bool = True
                     ) -> tuple[str, OtherEncoding | None]:
    """The encoding of a file streamed from ``fh`` (opened with ``buffering=_HEAD``, at its start), chosen from its
    first :data:`_HEAD` bytes (:func:`guess_encoding`; an ASCII head of a longer file: :func:`_encoding_past_ascii`,
    which also gives the other encoding the bytes past the head show evidence of, if any),
    and ``fh`` moved past a UTF-8 byte-order mark the encoding does not read (:func:`_mark_to_skip`). ``final``: a
    head that is the whole file is guessed as complete (a character cut at its end refuses the file; else the line
    that holds it is the reader's to name).

    Raises:
        InputError: the file's encoding cannot be told (binary, broken UTF-8, an unknown ``encoding``).
    """
    head = fh.peek(_HEAD)[:_HEAD]
    whole = len(head) < _HEAD and not fh.read1(0) and _at_end(fh, len(head))
    enc = guess_encoding(head, str(path), encoding, complete=final and whole)
    other = None
    if not encoding and not whole and head.isascii():
        enc, other = _encoding_past_ascii(path, enc, len(head))
    fh.read(_mark_to_skip(head, enc))
    return enc, other


UNDECODABLE = re.compile("[\udc80-\udcff]")
"""What ``errors="surrogateescape"`` makes of bytes the encoding cannot decode (one per byte)."""


def undecodable_row(stream: IO[str]) -> str:
    """What is said of a row of ``stream`` (:func:`open_text_stream` with ``errors="surrogateescape"``) that holds
    :data:`UNDECODABLE` bytes: the encoding the file's other bytes show evidence of where there is one
    (:attr:`TextStream.other`: ``--encoding cp1252`` for Windows-1252 rows late in an English file), else a pasted
    row's fix and GBK's.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     p = Path(tmp, "t.csv")
        ...     _ = p.write_bytes(b"id,text\\n" * 10_000 + "1,Ångström naïve générée\\n".encode("cp1252"))
        ...     with open_text_stream(p, errors="surrogateescape") as fh:
        ...         undecodable_row(fh)
        "holds bytes that are not utf-8, as the rest of the file is: they read as Western European text in Windows-1252 ('1,Ångström naïve générée'): pass --encoding cp1252 (or save the file as UTF-8)"
    """
    enc = getattr(stream, "encoding", None) or "its encoding"
    other = getattr(stream, "other", None)
    if other is not None:
        return (f"holds bytes that are not {enc}, as the rest of the file is: they read as {other.language} in "
                f"{other.name} ({_sample(other.text)!r}): pass --encoding {other.codec} (or save the file as UTF-8)")
    return (f"holds bytes that are not {enc}, as the rest of the file is (a row pasted from a file in another "
            "encoding? re-save it as UTF-8; a whole file in another encoding: pass --encoding, e.g. --encoding "
            "gb18030 for GBK)")


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _encoding_past_ascii(path: Path, enc: str, ascii_head: int = 0) -> tuple[str, OtherEncoding | None]:
    """The encoding of a streamed file whose head is ASCII, which fits any encoding: decided, as for a file read
    whole, by :func:`guess_encoding` of the bytes from just before its first non-ASCII one on (``enc``, the head's
    guess, when it has none or they cannot be told: a row that does not decode then names itself, with ``--encoding``
    advice). A guess of GB18030 is not taken where those bytes show evidence of another encoding
    (:func:`other_encoding`), as for a head: a Windows-1252 row (``Ångström naïve``) far into an English file read as
    ``舗gstr鰉 na飗e``, silently; that encoding is given with the head's (else ``None``), for the row's message to
    name (it named ``--encoding gb18030``, which garbles it).
    ``ascii_head``: how many of the file's first bytes are known to be ASCII (not read again).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     p = Path(tmp, "t.csv")
        ...     _ = p.write_bytes(b"id,text\\n" * 10_000 + "1,供电公司\\n".encode("gbk"))
        ...     _encoding_past_ascii(p, "utf-8")
        ...     _ = p.write_bytes(b"id,text\\n" * 10_000 + "1,Ångström naïve\\n".encode("cp1252"))
        ...     _encoding_past_ascii(p, "utf-8")[1].codec
        ('gb18030', None)
        'cp1252'
    """
    with open(path, "rb") as fh:
        fh.seek(ascii_head)
        while chunk := fh.read(1 << 20):
            found = _NON_ASCII.search(chunk)
            if found:
                # from the word it is in (a few ASCII bytes back): Windows-1252's générée is told by its letters
                start = max(found.start() - 32, chunk.rfind(b"\n", 0, found.start()) + 1, 0)
                window = chunk[start:]
                window += fh.read(max(0, _HEAD - len(window)))
                complete = not fh.read(1)
                try:  # bytes in another encoding (cp1252) are no GBK: guess_encoding refuses them
                    return guess_encoding(window, str(path), complete=complete), None
                except InputError:
                    return enc, other_encoding(window, complete)
    return enc, None


def _at_end(fh, size: int) -> bool:
    try:
        import os

        return os.fstat(fh.fileno()).st_size == size
    except OSError:
        return False


class JsonProblem(ValueError):
    """What :func:`load_json` raises: ``str()`` is ``not valid JSON (<why>)``, the words every reader puts
    after the file (and line); ``lineno`` and ``colno`` say where the parser stopped (``None`` for JSON
    nested too deeply, or a number too long for Python to read: no syntax error, no position)."""

    def __init__(self, why: str, lineno: int | None = None, colno: int | None = None) -> None:
        self.why, self.lineno, self.colno = why, lineno, colno
        super().__init__(f"not valid JSON ({why})")

    def __reduce__(self):  # picklable with its parts (worker processes send errors back)
        return type(self), (self.why, self.lineno, self.colno)

    def located(self) -> str:
        """The message with the position, when the parser gives one.

        Example:
            >>> JsonProblem("Expecting value", 1, 2).located()
            'not valid JSON (Expecting value at line 1, column 2)'
        """
        if self.lineno is None:
            return str(self)
        return f"not valid JSON ({self.why} at line {self.lineno}, column {self.colno})"


_INT_DIGITS = re.compile(r"value has (\d+) digits")
_DECODER = json.JSONDecoder()

JSON_BLANK = re.compile(r"[\s\ufeff]*")
"""The white space a JSON text a user gave may start (and end) with, the one rule of every reader that tells JSON by
its first character (``{`` or ``[``) and of :func:`load_json`: any Unicode white space (an ideographic space U+3000,
a no-break space, a form feed, ...) and byte-order marks, not only the space, tab and line breaks JSON allows."""
_JSON_OWN_BLANK = frozenset(" \t\r\n")


def json_start(text: str) -> int:
    """Where the JSON value in ``text`` starts: after the white space :data:`JSON_BLANK` matches (found without
    copying the text).

    Example:
        >>> json_start("\\ufeff\\u3000\\n [1]"), json_start("[1]"), json_start(" ")
        (4, 0, 1)
    """
    found = JSON_BLANK.match(text)
    return found.end() if found else 0


def _json_text(text: str) -> str:
    """``text`` with the white space at its ends that JSON does not allow (:data:`JSON_BLANK`: U+3000, a no-break
    space, a byte-order mark, ...) turned into spaces, each one character for one: the parser's line and column stay
    those of ``text``. ``text`` itself when it has none (no copy).

    Example:
        >>> _json_text("\\u3000[1]\\xa0"), _json_text(" [1]\\n")
        (' [1] ', ' [1]\\n')
    """
    first, last = text[:1], text[-1:]
    if first and not (first.isspace() or first == "\ufeff" or last.isspace() or last == "\ufeff"):
        return text  # "{...}", as nearly every JSONL line is: no white space at its ends to look for
    lead, end = json_start(text), len(text)
    while end > lead and (text[end - 1].isspace() or text[end - 1] == "\ufeff"):
        end -= 1
    if all(c in _JSON_OWN_BLANK for c in itertools.chain(text[:lead], text[end:])):
        return text
    return "".join(c if c in _JSON_OWN_BLANK else " " for c in text[:lead]) + text[lead:end] + \
        "".join(c if c in _JSON_OWN_BLANK else " " for c in text[end:])


def load_json(text: str, first: bool = False) -> Any:
    """``json.loads(text)`` — with ``first``, the JSON value at the start of ``text``, the rest not read — for
    every reader of JSON a user gave (files, table rows, cells, request bodies). White space at the ends of ``text``
    is any that :data:`JSON_BLANK` matches (JSON's own is only space, tab and line breaks): a file that starts with an
    ideographic space, a no-break space or a form feed before its ``[`` is read as it looks. Whatever makes the text
    unreadable raises :class:`JsonProblem`, not only a syntax error (``json.JSONDecodeError``) but also
    nesting too deep for the parser (``RecursionError``) and an integer of more digits than Python converts
    (a plain ``ValueError``, over 4300 digits), which escaped as tracebacks.

    Example:
        >>> load_json('{"a": [1, 2]}'), load_json('[1] [2]', first=True), load_json('\\u3000\\f[3]\\xa0')
        ({'a': [1, 2]}, [1], [3])
        >>> load_json('{"n": ' + "9" * 5000 + "}")
        Traceback (most recent call last):
        ...
        tagger.common.files.JsonProblem: not valid JSON (a number of 5000 digits)
        >>> load_json("[" * 100000 + "]" * 100000)
        Traceback (most recent call last):
        ...
        tagger.common.files.JsonProblem: not valid JSON (nested too deeply)
    """
    text = _json_text(text)  # a file's U+3000 or no-break space before its "[" is white space as JSON's is
    try:
        return _DECODER.raw_decode(text, json_start(text))[0] if first else json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonProblem(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JsonProblem("nested too deeply") from None
    except ValueError as exc:  # int(): "Exceeds the limit (4300 digits) for integer string conversion: value has …"
        digits = _INT_DIGITS.search(str(exc))
        raise JsonProblem(f"a number of {digits.group(1)} digits" if digits else str(exc)) from None


_LONE_CR = ": its lines end with a carriage return alone (CR, an old Mac format): save it with LF line ends"
"""What a JSONL reader says of a line that is not JSON because the file's lines end with a lone CR
(:func:`_lone_cr_ends`)."""


def _lone_cr_ends(line: str) -> str:
    """:data:`_LONE_CR` for a JSONL line that is no JSON object because it holds several, its lines ended by a lone CR
    (a file saved so: no ``\\n`` splits it): what it holds up to its first CR is a JSON object; else ``""``. A CR
    inside a string is left to the JSON error (the text up to it is no object).

    Example:
        >>> _lone_cr_ends('{"a": 1}\\r{"a": 2}'), _lone_cr_ends('{"a": "x\\ry"}x')
        (': its lines end with a carriage return alone (CR, an old Mac format): save it with LF line ends', '')
    """
    cut = line.find("\r")
    if cut < 0:
        return ""
    try:
        return _LONE_CR if isinstance(load_json(line[:cut]), dict) else ""
    except JsonProblem:
        return ""


def _json_object(line: str, check_keys: bool = True) -> tuple[dict | None, str | None]:
    """``(object, None)`` for a line that is a JSON object, else ``(None, problem)``. ``check_keys``: a key given
    twice is a problem (:func:`_key_given_twice`); ``False`` only for a line read so before, unchanged since."""
    try:
        obj = load_json(line)
    except JsonProblem as exc:
        return None, str(exc)
    if not isinstance(obj, dict):
        return None, f"expected a JSON object, got {type(obj).__name__}"
    twice = _key_given_twice(line, obj) if check_keys else None
    if twice is not None:
        return None, (f"the key {twice!r} is given more than once in this object (JSON keeps only the last, and the "
                      "others would be lost without a word); write each key once")
    return obj, None


def _key_given_twice(line: str, obj: dict) -> str | None:
    """A key the JSON object ``line`` (parsed: ``obj``) gives twice at its top level, or ``None``. Only a line in which
    a key's quoted name occurs twice is parsed again, keeping every pair: a plain object costs a count per key.

    Example:
        >>> _key_given_twice('{"id": 1, "text": "a", "text": "b"}', {"id": 1, "text": "b"})
        'text'
        >>> _key_given_twice('{"text": "text", "id": "id"}', {"text": "text", "id": "id"}) is None  # looked at twice
        True
    """
    if "\\u" not in line and not any(line.count(json.dumps(k, ensure_ascii=False)) > 1 for k in obj):
        return None  # (a key may be spelt with escapes, "t\\u0065xt": such a line is always parsed again)
    pairs = _DECODER_PAIRS.decode(_json_text(line))  # as load_json read it
    keys = [k for k, _ in pairs]
    return next((k for k in keys if keys.count(k) > 1), None)


_DECODER_PAIRS = json.JSONDecoder(object_pairs_hook=lambda pairs: pairs)  # every object as its list of pairs


def _parse_lines(lines: Iterable[str] | Iterable[bytes], start: int, encoding: str | None, name: str | None,
                 check_keys: bool = True) -> Iterator[tuple[int, dict | None, str | None]]:
    """The one loop behind :func:`parse_json_lines` and :meth:`JsonBlock.parse`: bytes are decoded
    with ``encoding``; an undecodable line raises :class:`InputError` naming it when ``name`` is given,
    else it is a problem of its own. ``check_keys``: as :func:`iter_json_lines`."""
    for line_no, line in enumerate(lines, start=start):
        if isinstance(line, bytes):
            try:
                line = line.decode(encoding or "utf-8")
            except UnicodeDecodeError:
                if name is not None:
                    raise DecodeError(f"{name}: cannot decode line {line_no} (it was read as {encoding})",
                                      "pass --encoding") from None
                yield line_no, None, f"cannot decode this line (it was read as {encoding}); pass --encoding"
                continue
        # The line's end is not part of it ("Unterminated string", not "control character"); nor is a byte
        # order mark at its start (files saved with one and joined with `cat`: one per joined file). A line of
        # nothing but white space as load_json reads it (JSON_BLANK: U+3000 and BOMs in any order) is blank.
        line = line.rstrip("\r\n").lstrip("\ufeff")
        if not JSON_BLANK.fullmatch(line):
            obj, problem = _json_object(line, check_keys)
            yield line_no, obj, problem if problem is None else problem + _lone_cr_ends(line)


def parse_json_lines(lines: Iterable[str]) -> Iterator[tuple[int, dict | None, str | None]]:
    """``(line number, object, None)`` per non-blank line that is a JSON object, ``(line number, None,
    problem)`` for any other non-blank line.

    Example:
        >>> list(parse_json_lines(['{"a": 1}', "\\u3000\\ufeff", "[1]", "{x"]))
        [(1, {'a': 1}, None), (3, None, 'expected a JSON object, got list'), (4, None, 'not valid JSON (Expecting property name enclosed in double quotes)')]
    """
    return _parse_lines(lines, 1, None, None)


@dataclass(frozen=True, eq=False)
class JsonBlock:
    """Consecutive lines of a JSONL file, read but not yet decoded or parsed, so that the work can
    happen in the worker process that uses them (``tagger tag --jobs``). Picklable.

    ``lines`` are bytes in ``encoding`` (or already text, for UTF-16/32 files); ``start`` is the number
    of the first line.
    """

    name: str
    start: int
    lines: list[bytes] | list[str]
    encoding: str

    def parse(self, strict: bool = False, check_keys: bool = True) -> Iterator[tuple[int, dict | None, str | None]]:
        """:func:`parse_json_lines` of the block. A line that cannot be decoded is a problem of its own
        naming the encoding it was read as; with ``strict`` it raises :class:`InputError` instead.
        ``check_keys``: as :func:`iter_json_lines`."""
        return _parse_lines(self.lines, self.start, self.encoding, self.name if strict else None, check_keys)


def iter_json_blocks(path: str | Path, encoding: str | None = None, size: int = 500) -> Iterator[JsonBlock]:
    """A JSONL file as :class:`JsonBlock` s of at most ``size`` lines, read lazily (the encoding is
    guessed once, from the file's head).

    Raises:
        InputError: the file cannot be opened or its encoding cannot be told; or, for a UTF-16/32 file
            (decoded as a stream, a few kilobytes ahead), it cannot be decoded at or after the line the
            message names (the lines before it have been yielded).
    """
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    path = Path(path)
    try:
        fh = open(path, "rb", buffering=_HEAD)  # noqa: SIM115 - closed below; peek() sees _HEAD bytes
    except OSError as exc:
        raise _open_error(path, exc) from None
    with fh:
        enc, _ = _stream_encoding(fh, path, encoding, final=False)
        source: Iterator[bytes] | Iterator[str]
        if codecs.lookup(enc).name.startswith(("utf-16", "utf-32")):  # "\n" is not one byte: decode as a stream
            source = iter(io.TextIOWrapper(fh, encoding=enc, newline=None))
        else:
            source = iter(fh)
        start = 1
        while True:
            lines: list = []
            try:
                lines.extend(itertools.islice(source, size))
            except UnicodeDecodeError:
                if lines:
                    yield JsonBlock(str(path), start, lines, enc)
                raise DecodeError(f"{path}: cannot decode line {start + len(lines)} or one soon after it (it was "
                                  f"read as {enc})", "pass --encoding") from None
            if not lines:
                return
            yield JsonBlock(str(path), start, lines, enc)
            start += len(lines)


def iter_json_lines(path: str | Path, encoding: str | None = None, check_keys: bool = True
                    ) -> Iterator[tuple[int, dict | None, str | None]]:
    """Stream a JSONL file through :func:`parse_json_lines` (the caller decides whether a bad line is fatal).

    ``check_keys``: a line whose object gives a key twice is a problem (JSON keeps only the last value). ``False``
    only to read again a file read with it and unchanged since (:func:`~tagger.data.tagged.read_back_streamed`'s
    second pass): the look for repeated keys, a fifth of the parse, is not made twice; every other check is.

    Raises:
        InputError: the file cannot be opened or decoded (names the file and the line).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = Path(d, "t.jsonl")
        ...     _ = p.write_text('{"a": 1, "a": 2}\\n')
        ...     next(iter_json_lines(p))[2][:25], next(iter_json_lines(p, check_keys=False))[1]
        ("the key 'a' is given more", {'a': 2})
    """
    for block in iter_json_blocks(path, encoding):
        yield from block.parse(strict=True, check_keys=check_keys)


# --------------------------------------------------------------------------- CSV headers
TAB_SEPARATED_SUFFIXES = (".tsv", ".tab")
"""File names whose cells are tab-separated (unless the header clearly is not: :func:`csv_delimiter`)."""


def csv_delimiter(header_line: str, name: str | Path | None = None) -> str:
    """The delimiter of a delimited text file (CSV, TSV): its name's extension is the first evidence, its header
    line (quotes respected) the second. The one rule of every reader of delimited text.

    - ``.tsv``/``.tab`` (:data:`TAB_SEPARATED_SUFFIXES`): a tab, unless the header holds none and ``,`` or ``;``
      splits it cleanly into two or more named cells (no space after the delimiter: a CSV saved under a .tsv
      name); a one-column ``text, 正文`` stays one column.
    - ``.csv``: ``,`` when commas split the header into two or more named cells (a stray tab in a name aside),
      unless a comma is followed by a space (``company, branch``) and ``;`` or tabs split it into more
      (``id;text;company, branch``: saved in a locale whose list separator is ``;``); else the one of ``;`` and
      tabs that splits it into more, else ``,``.
    - any other name, or none (piped input): the header alone — a tab when tabs split it (no one types a tab into
      a column name, while a name may hold a comma: ``company, branch``), else as for ``.csv``.

    Example:
        >>> csv_delimiter("id,text,labels"), csv_delimiter("id;text;labels"), csv_delimiter("id\\ttext")
        (',', ';', '\\t')
        >>> csv_delimiter("id\\ttext\\tcompany, branch"), csv_delimiter("id;text;company, branch")
        ('\\t', ';')
        >>> csv_delimiter('"a\\tb",text'), csv_delimiter("text, 正文", "reports.tsv"), csv_delimiter("text")
        (',', '\\t', ',')
        >>> [csv_delimiter(h, "a.csv") for h in ("id,标题\\t,text", "text,a;b;c")], csv_delimiter("id,text", "a.tsv")
        ([',', ','], ',')
    """
    def split(delimiter: str) -> tuple[int, bool]:
        """The cells up to the last named one (a spreadsheet's empty columns at the end aside), and whether no
        delimiter among them is followed by a space (as in a name: ``company, branch``)."""
        try:
            row = next(csv.reader([header_line.rstrip("\r\n")], delimiter=delimiter), [])
        except csv.Error:  # a cell over csv's size limit (a first line that is a paragraph): no header to split
            return 0, False
        row = row[:next((len(row) - k for k, cell in enumerate(reversed(row)) if cell.strip()), 0)]
        return len(row), not any(cell[:1].isspace() for cell in row[1:])

    suffix = Path(name).suffix.lower() if name is not None else ""
    tabs = split("\t")[0]
    (comma, comma_clean), (semicolon, semicolon_clean) = split(","), split(";")
    if suffix in TAB_SEPARATED_SUFFIXES:
        clear = [(n, d) for d, n, clean in ((",", comma, comma_clean), (";", semicolon, semicolon_clean))
                 if n > 1 and clean]
        return max(clear)[1] if tabs < 2 and clear else "\t"
    if tabs > 1 and suffix != ".csv":
        return "\t"
    if comma > 1 and (comma_clean or comma >= max(semicolon, tabs)):
        return ","
    if semicolon > 1 and semicolon >= tabs:
        return ";"
    return "\t" if tabs > 1 else ","


def first_line_of(text: str) -> str:
    """The text up to its first line break, without it: ``\\n``, ``\\r\\n`` or a lone ``\\r`` (a file saved by an
    old Mac program), as a CSV reader takes lines; the whole text when it has none.

    Example:
        >>> first_line_of("id;text\\rr1;a\\r"), first_line_of("id,text\\r\\nr1,a"), first_line_of("id")
        ('id;text', 'id,text', 'id')
    """
    found = _LINE_BREAK.search(text)  # not split: the rest of a whole file's text is not copied
    return text[:found.start()] if found else text


_LINE_BREAK = re.compile(r"\r\n?|\n")


def csv_text_lines(text: str) -> Iterator[str]:
    """The lines of a delimited ``text`` held whole (or its start) as a CSV reader takes them from a file opened with
    ``newline=""`` (``io.StringIO(text, newline="")``): ends kept, split after ``\\n``, ``\\r\\n`` or a lone
    ``\\r``; one at a time, each a slice: the rest of the text is not copied (a header is read as cheaply from a whole
    file as from its head).

    Example:
        >>> list(csv_text_lines('id,text\\r\\n1,"a\\rb"\\n2,c'))
        ['id,text\\r\\n', '1,"a\\r', 'b"\\n', '2,c']
    """
    start = 0
    for found in _LINE_BREAK.finditer(text):
        yield text[start:found.end()]
        start = found.end()
    if start < len(text):
        yield text[start:]


def csv_text_delimiter(text: str, name: str | Path | None = None) -> str:
    """The delimiter of a delimited text read whole (or its start), by :func:`csv_delimiter` from its first line,
    whatever line breaks it was saved with (:func:`first_line_of`). The one delimiter sniff of every reader that
    holds a CSV's text.

    Example:
        >>> csv_text_delimiter("id;text\\rr1;a, b\\r"), csv_text_delimiter("id,text\\nr1;a;b\\n")
        (';', ',')
    """
    return csv_delimiter(first_line_of(text), name)


_FIELD_LIMIT = 2**31 - 1
"""The cell size the CSV readers take: a paragraph, or a report, may be longer than ``csv``'s 128 KiB default."""


class CsvRowError(csv.Error):
    """A malformed CSV row (or header) whose message says its cause and what to do (:func:`csv_problem` adds no
    advice of its own)."""


def csv_problem(exc: csv.Error) -> str:
    """What a strict CSV reader's error (:func:`csv_header`, :func:`csv_rows`) means, in words a user can act on:
    the one advice of every reader of a CSV, after the file and line it names.

    Example:
        >>> csv_problem(csv.Error("unexpected end of data"))
        'malformed CSV (unexpected end of data): a quote opened on this row is never closed'
    """
    if isinstance(exc, CsvRowError):  # says its cause and what to do itself
        return f"malformed CSV: {exc}"
    if "end of data" in str(exc):
        return f"malformed CSV ({exc}): a quote opened on this row is never closed"
    return (f"malformed CSV ({exc}): a quote inside a quoted cell must be doubled (\"\"), and nothing may follow "
            "a closing quote")


def _space_after_quote(exc: csv.Error, lines: list[str], delimiter: str, skip: bool) -> csv.Error:
    """``exc``, or, when what follows a closing quote is only spaces (``"…" ,`` or ``"…" `` at a line's end: a hand
    edit; the CSV standard allows nothing there, and spreadsheets write nothing), an error that says so: the lines
    read (``lines``) without those spaces read with no such error. Such a row is refused, as any text after a
    closing quote is, never read with its quotes as text."""
    if "expected after" not in str(exc):
        return exc
    trimmed = [re.sub(rf'"[ \t]+(?={re.escape(delimiter)}|[\r\n]|$)', '"', line) for line in lines]
    if trimmed == lines:
        return exc
    try:
        list(csv.reader(trimmed, delimiter=delimiter, strict=True, skipinitialspace=skip))
    except csv.Error as again:
        if "expected after" in str(again):  # text, not only spaces, after a closing quote
            return exc
    return CsvRowError('a space after the closing quote of a quoted cell ("…" followed by a space before the next '
                       f'{"tab" if delimiter == chr(9) else repr(delimiter)} or the line\'s end): nothing may follow '
                       "a closing quote; remove the space")


def sheet_row_note(line: int, sheet_row: int) -> str:
    """What a message adds to a CSV row's file line when a spreadsheet shows the row under another number (line
    breaks inside the cells above it: each is a line of the file but no row of the sheet); else ``""``. Every
    message naming a CSV row names it so: ``reports.csv:6 (row 5 in a spreadsheet)``.

    Example:
        >>> sheet_row_note(6, 5), sheet_row_note(6, 6)
        (' (row 5 in a spreadsheet)', '')
    """
    return f" (row {sheet_row} in a spreadsheet)" if sheet_row != line else ""


class CsvHeader(NamedTuple):
    """A CSV header as :func:`csv_header` reads it."""

    names: list[str]  #: the column names, white space at their ends dropped
    lines: int  #: the lines it spans (0: no header, an empty file)
    spaced: bool  #: a space after a delimiter (``id, text``): the rows are read so too (:func:`csv_rows`)


def csv_header(lines: Iterator[str], delimiter: str) -> CsvHeader:
    """The column names of a CSV header read from ``lines`` (an iterator of a file's lines, ends kept: the header's
    lines are taken from it, the rows' are left for their reader), the lines it spans and whether it was written
    with a space after its delimiters; ``([], 0, False)`` for no line. The one way every reader takes a header's
    names, as people write them: a space after a delimiter is skipped, so a quoted name is read whole
    (``id, "company, branch"``), and white space at a name's ends is dropped. Its rows are read by
    :func:`csv_rows`, the same way when the header was written with spaces.

    Raises:
        csv.Error: a malformed header (a quote never closed, text after a closing quote).

    Example:
        >>> csv_header(iter(['id, text, "company, branch"\\n', 'a, b\\n']), ",")
        CsvHeader(names=['id', 'text', 'company, branch'], lines=1, spaced=True)
        >>> csv_header(iter(['id,text,"company, branch"\\n']), ",").spaced
        False
    """
    csv.field_size_limit(_FIELD_LIMIT)
    source = _Lines(lines)
    reader = csv.reader(source, delimiter=delimiter, strict=True, skipinitialspace=True)
    try:
        names = next(reader, None)
    except csv.Error as exc:
        raise _space_after_quote(exc, source.taken, delimiter, skip=True) from None
    if names is None:
        return CsvHeader([], 0, False)
    # as it is, a name after a delimiter starts with the space (a quote after one is no quote: ``, "a, b"``)
    as_is = next(csv.reader(source.taken, delimiter=delimiter), [])
    # spaced: written with a space after every delimiter ("id, text, note"), not one name that starts with one
    spaced = len(as_is) > 1 and all(c.startswith(" ") for c in as_is[1:])
    return CsvHeader([name.strip() for name in names], reader.line_num, spaced)


class CsvRowReader(Protocol):
    """What :func:`csv_rows` gives: a ``csv.reader``'s rows (a malformed one raises :class:`csv.Error`, and the
    next is read from the line after it), with the file's line numbers (the header's lines counted), read-only:
    ``line_num``, the last line read, ``row_line``, the line the row read last (or refused) starts on, and
    ``sheet_row``, that row's number in a spreadsheet (``row_line`` less the line breaks inside the cells of the
    header and the rows read before it); ``where(name)``, that row as every message names it: ``name:row_line``,
    with its spreadsheet row where that differs (:func:`sheet_row_note`)."""

    @property
    def line_num(self) -> int: ...

    @property
    def row_line(self) -> int: ...

    @property
    def sheet_row(self) -> int: ...

    def where(self, name: str | Path) -> str: ...

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


def csv_rows(lines: Iterable[str], delimiter: str, spaced: bool, *, width: int | None = None, start: int
             ) -> CsvRowReader:
    """A ``csv.reader`` of a CSV file's rows after its header (:func:`csv_header`), read as the header was: as they
    are, or, for a header ``spaced`` (written with a space after each delimiter), with the spaces after the
    delimiters skipped (``"s:1", "a, b"`` is two cells) — and the rows that cannot be read so (an unquoted cell
    starting with a quote, ``s, "他说"是``) as they are, without the spaces before their cells, where both
    readings agree on the row's cells and lines. A row read with spaces skipped whose cells or lines differ as it is
    (a quoted cell and such an unquoted one: ``s, "a, b", "他说"是``) is refused (:class:`csv.Error` naming the
    cause), never split at a quoted comma. Read strictly, as ``csv.reader(strict=True)``: text after a closing quote,
    or a quote never closed, is an error. ``width``: the header's number of names; a spaced row whose quoted cell runs
    over lines and that has another number of cells (a quote that opened no cell took the rows after it in:
    ``r1, "他说：明天见, a``) is refused too, and so is a closing quote followed by spaces (``"a" ,``:
    :class:`CsvRowError` naming them). ``start``: the lines before the rows (the header's,
    :attr:`CsvHeader.lines`), so that the reader's ``line_num`` and ``row_line`` are the file's line numbers, which
    every message names (with ``sheet_row``: :func:`sheet_row_note`). Cells of any size are read. The one reader
    of a CSV's rows whose header may have been written with spaces: a label file, a tagged file, a table of
    reports, a Label Studio export.

    Example:
        >>> reader = csv_rows(['"s:1", "a, b"\\n', '\\n', 's:2, "他说"是\\n'], ",", spaced=True, start=1)
        >>> [(row, reader.row_line, reader.line_num) for row in reader]
        [(['s:1', 'a, b'], 2, 2), ([], 3, 3), (['s:2', '"他说"是'], 4, 4)]
        >>> next(csv_rows(['s:1, "a, b"\\n'], ",", spaced=False, start=1))
        ['s:1', ' "a', ' b"']
    """
    csv.field_size_limit(_FIELD_LIMIT)
    if not spaced:
        return _Rows(lines, delimiter, start)
    return _SpacedRows(lines, delimiter, width, start)


class _Counted:
    """The file lines of :func:`csv_rows`' readers: ``row_line`` and ``sheet_row`` of the row read last (or
    refused)."""

    def __init__(self, start: int) -> None:
        self._start = start
        self.row_line = start + 1
        self._breaks = max(start - 1, 0)  # inside the header's cells, then inside the rows' read
        self.sheet_row = self.row_line

    def _starts(self, read: int) -> None:
        """A row starts after the ``read`` lines of the rows before it."""
        self.row_line = self._start + read + 1
        self.sheet_row = self.row_line - self._breaks

    def _ends(self, read: int) -> None:
        """The row begun (read, or refused: its line breaks are no rows of a spreadsheet either) ends with the
        ``read``-th line of the rows."""
        self._breaks += max(self._start + read - self.row_line, 0)

    def where(self, name: str | Path) -> str:
        """How every message names the row read last (or refused) of the file ``name``: ``name:row_line``, with its
        spreadsheet row where that differs (:func:`sheet_row_note`).

        Example:
            >>> reader = csv_rows(['"多行\\n', '词",a\\n', 'b,c\\n'], ",", spaced=False, start=1)
            >>> [reader.where("lex.csv") for _ in reader]
            ['lex.csv:2', 'lex.csv:4 (row 3 in a spreadsheet)']
        """
        return f"{name}:{self.row_line}{sheet_row_note(self.row_line, self.sheet_row)}"


class _Rows(_Counted):
    """:func:`csv_rows` for a header written as it is: a ``csv.reader``, counting the file's lines."""

    def __init__(self, lines: Iterable[str], delimiter: str, start: int) -> None:
        super().__init__(start)
        self._source = _Lines(lines)
        self._delimiter = delimiter
        self._reader = csv.reader(self._source, delimiter=delimiter, strict=True)

    @property
    def line_num(self) -> int:
        return self._start + self._reader.line_num

    def __iter__(self) -> _Rows:
        return self

    def __next__(self) -> list[str]:
        self._starts(self._reader.line_num)
        self._source.taken = []
        try:
            cells = next(self._reader)
        except csv.Error as exc:
            self._ends(self._reader.line_num)  # the rows after it are read from the line after its last
            raise _space_after_quote(exc, self._source.taken, self._delimiter, skip=False) from None
        self._ends(self._reader.line_num)
        return cells


class _SpacedRows(_Counted):
    """:func:`csv_rows` for a header written with spaces after its delimiters."""

    def __init__(self, lines: Iterable[str], delimiter: str, width: int | None, start: int) -> None:
        super().__init__(start)
        self._source = source = _Lines(lines)
        self._delimiter = delimiter
        self._width = width
        self.line_num = start
        # one reader of each reading for the file, all taking their lines from ``source`` (lines one has read are
        # given back for another to read again); a csv.reader starts each row afresh, after a malformed one too
        self._skipping = csv.reader(source, delimiter=delimiter, strict=True, skipinitialspace=True)
        self._loose = csv.reader(source, delimiter=delimiter, strict=False, skipinitialspace=True)
        self._as_is = csv.reader(source, delimiter=delimiter, strict=True)

    def __iter__(self) -> _SpacedRows:
        return self

    def _read(self, reader: Any) -> list[str] | None:
        self._source.taken = []
        return next(reader, None)

    def _attempt(self) -> tuple[list[str] | None, int]:
        """The row the spaces-skipped reading makes of the lines ahead, its quotes as far as they go (``None`` where
        it cannot), and the lines it takes; the lines are left to be read again."""
        try:
            cells = self._read(self._loose)
        except csv.Error:
            cells = None
        taken = len(self._source.taken)
        self._source.push_back(self._source.taken)
        return cells, taken

    def __next__(self) -> list[str]:
        source = self._source
        start = source.count
        self._starts(start)
        try:
            try:
                cells = self._read(self._skipping)
            except csv.Error as exc:  # read its lines again, as they are
                # only spaces after a closing quote ("a" ,): refused, never read as is, quotes and all
                named = _space_after_quote(exc, source.taken, self._delimiter, skip=True)
                if named is not exc:
                    raise named from None
                spans = len(source.taken)
                source.push_back(source.taken)
                loose, loose_lines = self._attempt()
                spans = max(spans, loose_lines)
                cells = self._read(self._as_is)  # a row malformed this way too raises, its lines read
                cells = [c.lstrip(" ") for c in cells or []]  # a space after a delimiter is the delimiter's
                if loose is None or len(loose) != len(cells) or loose_lines != source.count - start:
                    # the next row is read from the line after the row as it is written: the lines a quote-respecting
                    # reading would take too may be rows of their own (a quote never closed would take them all), so
                    # they are read, and named here for the user to check
                    line = self._start + start + 1
                    more = start + spans - source.count
                    runs = (f"; read with its quotes, the row would run on over the next {counted(more, 'line')} "
                            f"(to line {line + spans - 1}), read here as rows of their own: if they belong to this "
                            "row, check the rows read from them") if more > 0 else ""
                    raise CsvRowError(
                        "the row reads two ways: a quote after a space starts a quoted cell (, \"a, b\"), as in the "
                        "header, but a cell of it starts with a quote it does not end with (, \"他说\"是) or never "
                        "closes; quote that cell whole, doubling its quotes (, \"\"\"他说\"\"是\")" + runs) from None
            else:
                lines = source.count - start
                if cells is not None and self._width and len(cells) != self._width and lines > 1:
                    raise CsvRowError(
                        f"the row reads two ways: a quote after a space opened a cell that runs over {lines} lines, "
                        f"and the row has {len(cells)} cells for the header's {self._width}: a quote that starts a "
                        "cell's text (, \"他说…) took the rows after it in; quote that cell whole, doubling its quotes "
                        "(, \"\"\"他说…\")")
        except csv.Error:
            self._ends(source.count)  # its line breaks are no rows of a spreadsheet either
            raise
        finally:
            self.line_num = self._start + source.count
        if cells is None:
            raise StopIteration
        self._ends(source.count)
        return cells


def cells_beyond_header(row: dict) -> list[str]:
    """The cells of a :class:`CsvDictRows` row beyond its header's columns (under ``None``) that hold something: a
    trailing delimiter (``…,none,``: typed by hand, or left by a spreadsheet) gives only empty ones, and the row reads
    as it would without it; a cell that holds something is an unquoted delimiter's doing (its cells moved), never
    read shifted.

    Example:
        >>> cells_beyond_header({"id": "1", "labels": "none", None: ["", " "]}), cells_beyond_header({"id": "1"})
        ([], [])
        >>> cells_beyond_header({"id": "1", "labels": "elderly_care", None: ["volunteer_work"]})
        ['volunteer_work']
    """
    return [cell for cell in row.get(None) or () if isinstance(cell, str) and cell.strip()]


def quote_after_space_hint(row: dict) -> str:
    """For a row of :class:`CsvDictRows` with more cells than its header has names, read as it is (its header had
    no space after a delimiter), where a cell starts with a space and a quote (``1, "总部, 北京"``): why that cell was
    split, and what to do; else ``""``.

    Example:
        >>> quote_after_space_hint({"id": "1", "text": ' "a', None: [' b"']})[:40]
        '; a quote after a space does not quote a'
    """
    cells = [*row.values(), *(row.get(None) or [])]
    if not any(isinstance(c, str) and c.startswith(' "') for c in cells):
        return ""
    return ("; a quote after a space does not quote a cell in a file whose header has no space after its commas "
            "(` \"a, b\"` is two cells): remove the spaces before the quotes, or write the header with a space after "
            "each comma too")


class CsvDictRows:
    """The rows of :func:`csv_rows` as ``csv.DictReader`` gives them, by the names given (the header's, as
    :func:`csv_header` read them): a row's cells beyond the names under ``None``, the names it has no cells for
    ``None``, empty lines skipped; ``line_num`` and ``row_line`` the file's line numbers (``start``: the header's
    lines), as :func:`csv_rows` counts them: ``row_line`` is the line the row starts on, after the empty lines
    skipped. A malformed row raises :class:`csv.Error` (``row_line`` then says where it starts), and the next is read
    from the line after it.

    Example:
        >>> lines = iter(['id, "company, branch"\\n', '\\n', '1, "总部, 北京"\\n'])
        >>> header = csv_header(lines, ",")
        >>> rows = CsvDictRows(lines, header.names, ",", header.spaced, start=header.lines)
        >>> next(rows), rows.row_line, rows.line_num
        ({'id': '1', 'company, branch': '总部, 北京'}, 3, 3)
    """

    def __init__(self, lines: Iterable[str], names: list[str], delimiter: str, spaced: bool, *, start: int) -> None:
        self._rows = csv_rows(lines, delimiter, spaced, width=len(names), start=start)
        self.names = names

    @property
    def line_num(self) -> int:
        return self._rows.line_num

    @property
    def row_line(self) -> int:
        return self._rows.row_line

    @property
    def sheet_row(self) -> int:
        return self._rows.sheet_row

    def where(self, name: str | Path) -> str:
        """The row read last (or refused), named as every message names it (:meth:`CsvRowReader.where`)."""
        return self._rows.where(name)

    def __iter__(self) -> CsvDictRows:
        return self

    def __next__(self) -> dict:
        cells = next(self._rows)
        while not cells:
            cells = next(self._rows)
        row: dict = dict(zip(self.names, cells))
        if len(cells) > len(self.names):
            row[None] = cells[len(self.names):]
        for name in self.names[len(cells):]:
            row[name] = None
        return row


class CsvStart(NamedTuple):
    """A delimited text held whole, as :func:`csv_text_start` begins reading it."""

    delimiter: str  #: by :func:`csv_text_delimiter`
    header: CsvHeader  #: by :func:`csv_header`
    lines: Iterator[str]  #: its lines after the header (:func:`csv_text_lines`), for :class:`CsvDictRows`


def csv_text_start(text: str, name: str | Path, *, error: type[TaggerError] = InputError, hint: str = "") -> CsvStart:
    """The first steps of every reader of a delimited text held whole (``text``, decoded): its delimiter from its
    first line (:func:`csv_text_delimiter`, by the file ``name`` too), its header (:func:`csv_header`) and the lines
    after it, counted as the file's lines are (line breaks inside cells, a lone ``\\r``, kept in the cells).
    Its rows are read by :class:`CsvDictRows` (or :func:`csv_rows`) and :func:`strict_rows`.

    Raises:
        InputError: (or ``error``) a malformed header: ``name:1: the header is`` :func:`csv_problem`, then ``hint``.

    Example:
        >>> start = csv_text_start('term; label\\n孤寡老人; elderly_care\\n', "lex.csv")
        >>> start.delimiter, start.header, next(start.lines)
        (';', CsvHeader(names=['term', 'label'], lines=1, spaced=True), '孤寡老人; elderly_care\\n')
        >>> csv_text_start('"term,label\\n', "lex.csv", hint="; is this the lexicon?")
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: lex.csv:1: the header is malformed CSV (unexpected end of data): a quote opened on this row is never closed; is this the lexicon?
    """
    return csv_lines_start(csv_text_lines(text), name, error=error, hint=hint)


def csv_lines_start(lines: Iterable[str], name: str | Path, *, error: type[TaggerError] = InputError, hint: str = ""
                    ) -> CsvStart:
    """:func:`csv_text_start` of a delimited text given as its lines, ends kept (:func:`csv_text_lines` of it, or
    :func:`read_text_lines` of a file with ``newline=""``: a file read as a stream, its text never held whole).

    Raises:
        InputError: (or ``error``) as :func:`csv_text_start`.
    """
    lines = iter(lines)
    first = next(lines, "")
    delimiter = csv_text_delimiter(first, name)  # the one sniff, of the first line
    lines = itertools.chain([first] if first else [], lines)
    try:
        header = csv_header(lines, delimiter)
    except csv.Error as exc:
        raise error(f"{name}:1: the header is {csv_problem(exc)}{hint}") from None
    return CsvStart(delimiter, header, lines)


def strict_rows(reader: CsvRowReader | CsvDictRows, name: str | Path, *, error: type[TaggerError] = InputError
                ) -> Iterator[Any]:
    """The rows of ``reader`` (:func:`csv_rows`, :class:`CsvDictRows`) of the file ``name``, its reading stopped by
    the first malformed row: an error naming that row (``reader.where``) and what to do (:func:`csv_problem`). The
    rows' reader of every reader that reads no row past a malformed one (``reader`` keeps the place of the row given
    last: ``reader.row_line``, ``reader.where(name)``).

    Raises:
        InputError: (or ``error``) the first malformed row.

    Example:
        >>> reader = csv_rows(['a,b\\n', '"他说"是,c\\n', 'd,e\\n'], ",", spaced=False, start=1)
        >>> [(row, reader.where("f.csv")) for row in strict_rows(reader, "f.csv")]
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: f.csv:3: malformed CSV (',' expected after '"'): a quote inside a quoted cell must be doubled (""), and nothing may follow a closing quote
    """
    try:
        yield from reader
    except csv.Error as exc:
        raise error(f"{reader.where(name)}: {csv_problem(exc)}") from None


class CsvRow(NamedTuple):
    """A row of :func:`read_csv_table`."""

    line: int  #: the file line it starts on
    where: str  #: how a message names it: ``name:line``, with its spreadsheet row where that differs
    cells: dict  #: its cells by column name, as :class:`CsvDictRows` gives them


class CsvTable(NamedTuple):
    """A CSV file as :func:`read_csv_table` reads it."""

    delimiter: str
    names: list[str]  #: the header's, as :func:`csv_header` reads them
    rows: list[CsvRow]


def read_csv_table(text: str, name: str | Path, lower: bool = False,
                   check: Callable[[list[str]], None] | None = None) -> CsvTable:
    """Every row of a small CSV file held as ``text`` (a label file, a lexicon, a dev-set list), read as every
    CSV reader reads one: the delimiter from its first line (:func:`csv_text_delimiter`), the header by
    :func:`csv_header` (``term, label, weight`` too), the rows strictly by :class:`CsvDictRows`, each named by the
    file line it starts on (blank lines and line breaks inside cells counted) and its spreadsheet row where that
    differs. ``lower``: the column names in lower case (a header typed in capitals, ``ID,Labels``). A malformed
    header or row stops the reading. ``check(names)`` runs on the header before any row is read (a missing column
    is named before a malformed row).

    Raises:
        InputError: a malformed header or row, naming the file (``name``), the line and what to do
            (:func:`csv_problem`).

    Example:
        >>> table = read_csv_table('term, label\\n\\n"多行\\n词", elderly_care\\n孤寡老人, elderly_care\\n', "lex.csv")
        >>> table.names, [(row.where, row.cells["term"]) for row in table.rows]
        (['term', 'label'], [('lex.csv:3', '多行\\n词'), ('lex.csv:5 (row 4 in a spreadsheet)', '孤寡老人')])
        >>> read_csv_table('term,label\\n"他说"是,elderly_care\\n', "lex.csv")
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: lex.csv:2: malformed CSV (',' expected after '"'): a quote inside a quoted cell must be doubled (""), and nothing may follow a closing quote
    """
    delimiter, (names, head_lines, spaced), lines = csv_text_start(text, name)
    if lower:
        names = [n.lower() for n in names]
    if check is not None:
        check(names)
    reader = CsvDictRows(lines, names, delimiter, spaced, start=head_lines)
    return CsvTable(delimiter, names, [CsvRow(reader.row_line, reader.where(name), cells)
                                       for cells in strict_rows(reader, name)])


def read_label_table(path: str | Path, *, lower: bool = False, check: Callable[[list[str]], None] | None = None,
                     empty: str | None = None) -> CsvTable:
    """A small CSV file of the project's ``labels/`` folder (the seed labels, the lexicon, the dev set's lists) read
    from ``path``: decoded (:func:`read_text_file`), then read as :func:`read_csv_table` reads it (``lower``,
    ``check``); every problem reading it a :class:`~tagger.errors.LabelFileError` naming the file, a decoding one
    saying to save it as UTF-8, since no command reads these files with ``--encoding``
    (:func:`~tagger.errors.label_file_error`). ``empty``: what to say (after the file's name) of a file of white
    space only, before its header is checked.

    Raises:
        LabelFileError: the file cannot be read or decoded, or a malformed header or row (file, line, what to do);
            and what ``check`` raises.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "lexicon.csv"
        >>> _ = path.write_bytes("term,label\\n孤寡老人".encode()[:-1])
        >>> read_label_table(path)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tagger.errors.LabelFileError: .../lexicon.csv: UTF-8 text cut in the middle of a character ...; save the file as UTF-8 ...
    """
    try:
        text = read_text_file(path)
    except InputError as exc:
        raise label_file_error(exc) from None
    if empty is not None and not text.strip():
        raise LabelFileError(f"{path}: {empty}")
    try:
        return read_csv_table(text, path, lower=lower, check=check)
    except InputError as exc:
        raise label_file_error(exc) from None


class _Lines:
    """An iterator of lines that lines read can be given back to (read again by another reader), counting
    the lines read for good."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._back: list[str] = []
        self.taken: list[str] = []
        self.count = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._back.pop() if self._back else next(self._lines)
        self.taken.append(line)
        self.count += 1
        return line

    def push_back(self, lines: list[str]) -> None:
        self._back.extend(reversed(lines))
        self.count -= len(lines)
        self.taken = []


def check_header(names: Iterable[str], name: str) -> None:
    """Refuse a header that names a column twice (a reader by name would keep either silently); empty names
    (the blank columns a spreadsheet may add at the end) do not count.

    Raises:
        InputError: naming the file (``name``) and the column.

    Example:
        >>> check_header(["id", "text", "", ""], "f.csv")
        >>> check_header(["id", "labels", "text", "labels"], "f.csv")
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: f.csv: the header names column 'labels' twice; keep one of them (a reader would use either silently)
    """
    seen: set[str] = set()
    for column in names:
        if column and column in seen:
            raise InputError(f"{name}: the header names column {column!r} twice; keep one of them (a reader "
                             "would use either silently)")
        seen.add(column)
