"""Reading reports: decoding, splitting into paragraphs, dropping page chrome.

Each kept paragraph has a stable id ``<doc>:<index>``: the index counts the non-blank lines of the
report from 0, including chrome lines, so ids never shift when the chrome rules change.

Example:
    >>> paras = split_report("当前位置: 首页 > 新闻\\n为民服务 暖心行动\\n党员为孤寡老人检查线路。\\n评论", "r1")
    >>> [(p.id, p.kind) for p in paras]
    [('r1:1', 'heading'), ('r1:2', 'body')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .normalize import normalize_many

__all__ = ["Paragraph", "split_report", "read_report", "read_text_file", "open_text_stream", "iter_json_lines",
           "chrome_reason", "is_heading"]

KINDS = ("body", "heading", "caption")

_BREADCRUMB = re.compile(r"^(当前位置|您现在的位置|你的位置|首页\s*[>|»/›])")
_BYLINE = re.compile(r"(发布时间|发表时间|作者[::]|来源[::]|浏览[::(]|浏览次数|阅读量|责任编辑|编辑[::])")
_DATE_ONLY = re.compile(r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(\s+\d{1,2}:\d{2}(:\d{2})?)?$")
_TAIL = re.compile(
    r"^(评论|发表评论|用户名|密\s*码|验证码|匿名发表|最新评论|推荐阅读|相关阅读|相关新闻|无相关信息"
    r"|分享到|打印本页|关闭窗口|上一篇|下一篇)"
)
_CHROME_MAX_LEN = 40  # tail/breadcrumb markers only count on short lines, never inside a story
_FINAL_PUNCT = re.compile(r"[。!?;…!?;.][”’\"')」』)]*$")
_CAPTION = re.compile(r"(摄|摄影[::]?\s*\S{0,8}|供图|\(图\)|图片来源\S*)\s*\)?$|^图为")
HEADING_MAX_LEN = 50


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a report.

    Attributes:
        id: stable id ``<doc>:<index>``.
        doc: the report id (file stem for files).
        index: position among the report's non-blank lines, from 0.
        text: the original text (surrounding whitespace stripped).
        norm: the normalised text used for features.
        kind: ``"body"``, ``"heading"`` or ``"caption"``.
    """

    id: str
    doc: str
    index: int
    text: str
    norm: str
    kind: str = "body"


def chrome_reason(norm: str) -> str | None:
    """Return why a (normalised) line is page chrome, or ``None`` for content.

    Example:
        >>> chrome_reason("国家电网报发布时间:2021-07-21 08:58:17 作者:周瑾")
        'byline'
        >>> chrome_reason("党员为孤寡老人检查线路。") is None
        True
    """
    short = len(norm) <= _CHROME_MAX_LEN
    if short and _BREADCRUMB.search(norm):
        return "breadcrumb"
    if _DATE_ONLY.match(norm):
        return "byline"
    if _BYLINE.search(norm) and (short or len(norm) <= 80 and not _FINAL_PUNCT.search(norm)):
        return "byline"
    if short and _TAIL.match(norm):
        return "comment tail"
    return None


def is_heading(norm: str) -> bool:
    """A heading: a short line without sentence-final punctuation (and not a photo caption).

    Example:
        >>> is_heading("汇聚合力开展志愿服务行动"), is_heading("党员为孤寡老人检查线路。")
        (True, False)
    """
    return len(norm) <= HEADING_MAX_LEN and not _FINAL_PUNCT.search(norm) and not _CAPTION.search(norm)


def _kind(norm: str) -> str:
    if _CAPTION.search(norm):
        return "caption"
    return "heading" if is_heading(norm) else "body"


def split_report(text: str, doc: str = "report") -> list[Paragraph]:
    """Split a report into paragraphs at line breaks, dropping blank lines and page chrome.

    Args:
        text: the whole report.
        doc: report id used as the prefix of paragraph ids.

    Raises:
        TypeError: if ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"split_report() expects the report as str, got {type(text).__name__}")
    paragraphs = []
    index = 0
    lines = [line.strip() for line in text.splitlines()]
    for original, norm in zip(lines, normalize_many(lines)):
        if not norm:
            continue
        if chrome_reason(norm) is None:
            paragraphs.append(Paragraph(f"{doc}:{index}", doc, index, original, norm, _kind(norm)))
        index += 1
    return paragraphs


def _read_error(path: Path, exc: OSError) -> InputError:
    """The user-facing error for a file that cannot be opened."""
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{path}: no such file")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{path}: is a directory, expected a text file")
    return InputError(f"{path}: cannot read ({exc.strerror or exc})")


def read_text_file(path: str | Path, encoding: str | None = None) -> str:
    """Read a text file: UTF-8 (with or without BOM), else GB18030, unless ``encoding`` is given.

    Raises:
        InputError: for a missing, unreadable, binary or undecodable file (the message names it).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _read_error(path, exc) from None
    if b"\x00" in data[:4096]:
        raise InputError(f"{path}: looks like a binary file (NUL bytes); expected a text report")
    encodings = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for enc in encodings:
        try:
            text = data.decode(enc)
        except LookupError:
            raise InputError(f"{path}: unknown encoding {enc!r} (e.g. utf-8, gb18030, big5)") from None
        except UnicodeDecodeError:
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n")
    tried = " or ".join(encodings)
    raise InputError(f"{path}: cannot decode as {tried}; pass --encoding with the file's encoding")


def open_text_stream(path: str | Path, encoding: str | None = None):
    """Open a (possibly huge) text file for streaming line by line.

    The encoding is chosen from the first 64 KiB (UTF-8 with or without BOM, else GB18030) unless
    given; CRLF is read as LF. A decoding error later in the file surfaces as ``UnicodeDecodeError``
    while iterating (callers report the line).

    Raises:
        InputError: missing, unreadable, binary or undecodable file (the message names it).
    """
    import codecs
    import io

    path = Path(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - returned to the caller inside a TextIOWrapper
    except OSError as exc:
        raise _read_error(path, exc) from None
    head = fh.peek(65536)[:65536] if hasattr(fh, "peek") else b""
    if b"\x00" in head[:4096]:
        fh.close()
        raise InputError(f"{path}: looks like a binary file (NUL bytes); expected text")
    chosen = encoding
    if chosen is None:
        for enc in ("utf-8-sig", "gb18030"):
            try:
                codecs.getincrementaldecoder(enc)().decode(head, final=False)
            except UnicodeDecodeError:
                continue
            chosen = enc
            break
    if chosen is None:
        fh.close()
        raise InputError(f"{path}: cannot decode as utf-8-sig or gb18030; pass --encoding with the file's encoding")
    try:
        return io.TextIOWrapper(fh, encoding=chosen, newline=None)
    except LookupError:
        fh.close()
        raise InputError(f"{path}: unknown encoding {chosen!r}") from None


def iter_json_lines(path: str | Path, encoding: str | None = None):
    """Stream a JSONL file: ``(line number, object, None)`` per non-blank line, or
    ``(line number, None, problem)`` for a line that is not a JSON object (the caller decides whether
    that is fatal). Blank lines are skipped.

    Raises:
        InputError: the file cannot be opened or decoded (names the file and line).
    """
    import json

    path = Path(path)
    with open_text_stream(path, encoding) as fh:
        line_no = 0
        try:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield line_no, None, f"not valid JSON ({exc.msg})"
                    continue
                if not isinstance(obj, dict):
                    yield line_no, None, f"expected a JSON object, got {type(obj).__name__}"
                    continue
                yield line_no, obj, None
        except UnicodeDecodeError:
            raise InputError(f"{path}: cannot decode after line {line_no}; pass --encoding") from None


def read_report(path: str | Path, encoding: str | None = None) -> list[Paragraph]:
    """Read a report file and split it; the report id is the file stem.

    Example:
        >>> paras = read_report("seeds/003_86615e91b483547b.txt")  # doctest: +SKIP
        >>> paras[0].id  # doctest: +SKIP
        '003_86615e91b483547b:1'
    """
    path = Path(path)
    return split_report(read_text_file(path, encoding), path.stem)
