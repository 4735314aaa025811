"""A report → its paragraphs: split at line breaks (:func:`~tagger.text.normalize.paragraph_lines`, the one rule of
every reader), page chrome dropped, headings and captions marked.

Each kept paragraph has a stable id ``<doc>:<index>``: the index counts the non-blank lines of the
report from 0, chrome lines included, so ids never shift when the chrome rules change (in a hard-wrapped
report, whose lines are joined into paragraphs, each joined paragraph counts as one line; a long line split at
the indents of paragraphs an export joined counts each part).

Example:
    >>> paras = split_report("当前位置: 首页 > 新闻\\n为民服务 暖心行动\\n党员为孤寡老人检查线路。\\n评论", "r1")
    >>> [(p.id, p.kind) for p in paras]
    [('r1:1', 'heading'), ('r1:2', 'body')]
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..common.files import mostly_common_han, note_once, other_encoding
from .normalize import CJK_RANGES, decode_entities, decode_entities_at, normalize_many, paragraph_lines

log = logging.getLogger(__name__)

__all__ = ["Paragraph", "split_report", "read_report", "report_id_problem", "chrome_reason", "is_heading", "is_caption",
           "is_sign_off", "looks_like_mojibake", "mojibake_note", "one_line_note", "misdecoded", "line_kind",
           "hard_wrap_width", "html_to_text", "KINDS", "NO_LABEL_KINDS", "CHROME"]

KINDS = ("body", "heading", "caption")
NO_LABEL_KINDS = ("heading", "caption")
"""Kinds the codebook gives no label (the model gives them none; stats, suggest, labels export and serve leave
them out)."""
CHROME = "chrome"  # the kind of a dropped line, kept only by ``split_report(..., with_chrome=True)``

_BREADCRUMB = re.compile(r"^(当前位置|您现在的位置|你的位置|首页\s*[>|»/›])")
_BYLINE = re.compile(r"(发布时间|发表时间|作者[::]|来源[::]|浏览[::(]|浏览次数|阅读量|责任编辑|编辑[::])")
_DATE_ONLY = re.compile(r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(\s+\d{1,2}:\d{2}(:\d{2})?)?$")
# after the story, a page lists other stories' titles or readers' comments: the rest of the page is not the report
_AFTER_STORY_MARKERS = ("推荐阅读|相关阅读|相关新闻|延伸阅读|相关链接|相关文章|热点推荐|热点新闻|猜你喜欢|更多新闻|更多阅读"
                        "|最新评论|发表评论|网友评论")
_TAIL = re.compile(rf"(评论|用户名|密\s*码|验证码|匿名发表|无相关信息|分享到|打印本页|关闭窗口|上一篇|下一篇|{_AFTER_STORY_MARKERS})")
_TAIL_LINK = re.compile(r"$|[\s::>»›|()\[\]【】]")  # what follows a tail marker that is not a word's start
_TAIL_OPENING = re.compile(r"[\s【\[((]*")  # a page's tool links come bracketed: 【打印本页】【关闭窗口】
# a page's tools and site links, a line each (user test: 【字体:大 中 小】, 扫一扫在手机打开当前页, a footer menu of
# 网站首页 | 关于我们 | 联系我们 whose separators stood on lines of their own), and a line of separators only
_PAGE_TOOL = re.compile(r"(字体[::]?\s*[【\[]?\s*大\s*[】\]]?\s*[【\[]?\s*中\s*[】\]]?\s*[【\[]?\s*小"
                        r"|扫一扫(在?手机上?(打开|阅读|浏览)(当前页|本页|本文)?)?"
                        r"|网站首页|关于我们|联系我们|网站地图|设为首页|加入收藏|返回顶部)\W*$")  # the whole line: no story
_SEPARATORS_ONLY = re.compile(r"[|｜丨/·•>»›\\\-—–_=*~\s]+$")
# a site's footer: copyright, licence and record numbers (版权所有 … 京ICP备…号), the web team's credit
_FOOTER = re.compile(r"版权所有|copyright|©|ICP备|ICP证|公网安备|网站标识码|技术支持[::]", re.IGNORECASE)
_FOOTER_MAX_LEN = 160
# the footer's English close ends with a full stop, as a sentence does: not what tells a story line from a footer
_RESERVED = re.compile(r"all\s*rights\s*reserved\W*$", re.IGNORECASE)
_AFTER_STORY = re.compile(rf"[\s【\[((]*({_AFTER_STORY_MARKERS})[\s::>»›|()()\[\]【】\d更多条]*")
_STORY_LINE_MIN = 80  # a line this long that ends a sentence is story text (titles and most comments are shorter)
_SHORT_SPLIT_MIN = 15  # in a line shorter than that, an indent splits two sentence-ended parts at least this long
_CHROME_MAX_LEN = 40  # tail/breadcrumb markers only count on short lines, never inside a story
_FINAL_PUNCT = re.compile(r"[。!?;…!?;.][”’\"')」』)]*$")
_CAPTION_OPENING = re.compile(r"^[▲△▼▽◆●■]?\s*(图为|[上下左右]?图\s*\d*\s*[::])")
# a photographer or picture source at the end: a caption when what it credits is one sentence; a whole
# paragraph may end with its photo's credit too ("……(通讯员 张三 摄)"), and stays body text
_CREDIT = re.compile(r"(摄|摄影[::/]?\s*[^\s。!?;]{0,8}|供图|\(图\)|图片来源\S*)\s*\)?$")
_CREDITED_MAX_LEN = 120
# a group photo closes a caption, but also many a paragraph ("……送上慰问品。活动最后,大家合影留念。"): only a
# one-sentence line with at most one comma is a caption
_GROUP_PHOTO = re.compile(r"合影留?念?。?$")
_GROUP_PHOTO_MAX_LEN = 40
HEADING_MAX_LEN = 50
# a line cut off mid-sentence (a stored page ends, a paragraph is clipped): a sentence already ended inside
# it, or two commas — headings have neither; a keyword line (标签: a, b, c) is a list, not a sentence
_SENTENCE_INSIDE = re.compile(r"[。;;]\s*\S")  # a sentence ended inside the line, a space after it or not
_TWO_COMMAS = re.compile(r"[,,].*[,,]")
_KEYWORD_LINE = re.compile(r"^(标签|关键词|关键字|tags?)\s*[::]", re.IGNORECASE)
_PARALLEL_MAX = 8  # a heading's parallel phrases are short; a clipped sentence's clauses are longer
# a short line after the story that signs it off: "(完)", a bracketed credit, a reporter's or editor's name
# ("记者 张三 通讯员 李四", "文/张三"), names alone; or the page's furniture after it: a field (标签:…, 服务热线:…)
# or a link or prompt (返回首页, 打开小程序…); a clipped sentence ("为小区加装电梯", "队员们还将持续关注独居老人用电")
# is none of these: it is the report's last body line
_SIGN_OFF = re.compile(r"^[((\[【<《〔].*[))\]】>》〕]$|记者|通讯员|编辑[::]|责任编辑|作者[::]|供稿|来源[::]|撰稿|审核[::]"
                       r"|校对|编审|[文图]\s*/|^\W*完\W*$|^[^::,,。]{1,6}[::]|^(返回|打开|扫码|扫描|点击|长按|关注我们|分享到)"
                       r"|^本文|推荐|相关(内容|阅读|新闻)|评论")
_SIGN_OFF_MAX_LEN = 20
_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")  # a Chinese name: two to four characters
_FRAGMENT_MAX_LEN = 6  # shorter last lines are the page's ("新闻推荐", "热门评论", a name), not the story's
# hard-wrapped text (copied from a PDF, an e-mail, a fixed-width export): most long lines share one display
# width and break mid-sentence; narrower widths are lists and verse, not wrapping
_WRAP_MIN_WIDTH = 30
_WRAP_MIN_BREAKS = 3
_WRAP_SLACK = 3  # a line may stop short of the width: a wide character or a word that did not fit
# … and a line that ends mid-sentence on a Chinese character may stop shorter: a wrapper that never starts a line
# with "，" or "。" carries the character before it down too (76 columns in an e-mail wrapped at 80)
_WRAP_SLACK_HAN = 7
_CLAUSE_MARK = re.compile(r"[,，、;；:：]")
_LINE_END = re.compile(r"[。!?;…!?;.::\uff01\uff1f\uff1b\uff1a\uff0e][”’\"')」』)\uff09]*$")  # raw text: full-width too
# a line that starts an item of its own, not a wrapped sentence's rest: a list marker (1. 2、 (3) 一、 ① •) or,
# for telling wrapped text, a field's label (停电时间:); a line with a gap between columns is a table's row
_LIST_ITEM = re.compile(r"(\d{1,3}[.、)\uff0e\uff09](?!\d)|[(\uff08]\d{1,3}[)\uff09]"
                        r"|[一二三四五六七八九十]{1,3}[、是]|[①-⑳•·●■◆▪*-])")
# an item of a numbered or bulleted list (not a section's "一、" heading): after a line that announces the list it is
# the list's text — "1.为辖区32户独居老人免费更换老化线路" reports work done, whatever its length and punctuation
_LISTED = re.compile(r"(\d{1,3}[.、)\uff0e\uff09](?!\d)|[(\uff08]\d{1,3}[)\uff09]|[一二三四五六七八九十]{1,3}是"
                     r"|[①-⑳•·●■◆▪])")
_ANNOUNCES = re.compile(r"[:\uff1a]\W*$")  # a line ending in a colon announces what follows
_FIELD_LABEL = re.compile(r"[^\s:\uff1a,\uff0c。;\uff1b]{1,8}[:\uff1a]")
_COLUMN_GAP = re.compile(r"\S(\t|[ \u3000]{2,})\S")
# a paragraph's indent inside a line (ideographic or non-breaking spaces, as &nbsp;&nbsp;): a lost line break
_INDENT_INSIDE = re.compile(r"(?<=\S)([\u3000\xa0]{2,})(?=\S)")
_SENTENCE_END = re.compile(r"[。!?！？](?=.)")
_ONE_LINE_MIN_LEN = 400  # a report this long on one line, of this many sentences, likely lost its line breaks
_ONE_LINE_MIN_SENTENCES = 5
_HAN = re.compile(f"[{CJK_RANGES}]")
# the letters of Latin-1 (À–ÿ, not × ÷): Chinese bytes read as Latin-1 (mojibake) are mostly these
_LATIN1_LETTER = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]")
_MOJIBAKE_MIN_LETTERS = 10


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a report.

    Attributes:
        id: stable id ``<doc>:<index>``.
        doc: the report id (file stem for files).
        index: position among the report's non-blank lines, from 0 (the module doc says how lines count).
        text: the original text (surrounding white space stripped).
        norm: the normalised text (:func:`~tagger.text.normalize.normalize`), used for features.
        kind: ``"body"``, ``"heading"`` or ``"caption"`` (``"chrome"`` for a dropped line that
            ``split_report(..., with_chrome=True)`` keeps).
    """

    id: str
    doc: str
    index: int
    text: str
    norm: str
    kind: str = "body"


def chrome_reason(norm: str) -> str | None:
    """Why a (normalised) line is page chrome, or ``None`` for content.

    Example:
        >>> chrome_reason("国家电网报发布时间:2021-07-21 08:58:17 作者:周瑾")
        'byline'
        >>> chrome_reason("党员为孤寡老人检查线路。") is None, chrome_reason("下一篇:电费怎么交?")
        (True, 'comment tail')
        >>> chrome_reason("【打印本页】【关闭窗口】"), chrome_reason("版权所有:某县供电公司 备案号:某ICP备123号")
        ('comment tail', 'site footer')
        >>> chrome_reason("【字体:大 中 小】"), chrome_reason("|"), chrome_reason("关于我们"), chrome_reason("关于我们的故事")
        ('page tools', 'page tools', 'page tools', None)
    """
    short = len(norm) <= _CHROME_MAX_LEN
    if short and _BREADCRUMB.search(norm):
        return "breadcrumb"
    if _DATE_ONLY.match(norm):
        return "byline"
    if _BYLINE.search(norm) and (short or len(norm) <= 80 and not _FINAL_PUNCT.search(norm)):
        return "byline"
    tail = _TAIL.match(norm, _TAIL_OPENING.match(norm).end()) if short else None
    # a marker and a link or count ("上一篇:点赞!……", "评论(3)") whatever it ends with; not "评论员指出,……。"
    if tail and (_TAIL_LINK.match(norm, tail.end()) or not _FINAL_PUNCT.search(norm)):
        return "comment tail"
    if short and (_PAGE_TOOL.match(norm, _TAIL_OPENING.match(norm).end()) or _SEPARATORS_ONLY.match(norm)):
        return "page tools"
    if len(norm) <= _FOOTER_MAX_LEN and _FOOTER.search(norm) and (not _FINAL_PUNCT.search(norm)
                                                                   or _RESERVED.search(norm)):
        return "site footer"
    return None


def _without_trailing_symbols(norm: str) -> str:
    """``norm`` without the emoji, symbols and joiners a sentence may end with (``…线路。🙏🙏``)."""
    end = len(norm)
    while end and (unicodedata.category(norm[end - 1]) in ("So", "Sk", "Cf", "Mn", "Me", "Cs", "Co")
                   or norm[end - 1].isspace()):
        end -= 1
    return norm[:end]


def is_heading(norm: str) -> bool:
    """A heading: a short line without sentence-final punctuation (emoji after it ignored), not a caption,
    and not a sentence cut off (a sentence ended inside it, or it has two commas: a clipped paragraph).

    Example:
        >>> is_heading("汇聚合力开展志愿服务行动"), is_heading("党员为孤寡老人检查线路。🙏🙏")
        (True, False)
        >>> is_heading("此外,驻村工作队还主动上门,为老人免费"), is_heading("点赞!广州“获得电力”指标国际领先")
        (False, True)
    """
    return line_kind(norm) == "heading"


def _heading_shape(core: str) -> bool:
    """Whether a line that is not a caption, trailing symbols removed, reads as a heading."""
    if _FINAL_PUNCT.search(core):
        return False
    if _KEYWORD_LINE.match(core):
        return True
    if _SENTENCE_INSIDE.search(core):
        return False
    # two commas: a clipped sentence, unless the parts are short parallel phrases ("听民声,解民忧,暖民心")
    return not _TWO_COMMAS.search(core) or all(len(part) <= _PARALLEL_MAX for part in re.split(r"[,,]", core))


def is_caption(norm: str) -> bool:
    """A photo caption: a line that opens with 图为 (上图:, 图2:), or one sentence that names its photographer
    or picture source at the end, or ends with a group photo (合影留念).

    Example:
        >>> is_caption("员工为企业开展配电房安全检查。 陈晓晗摄"), is_caption("▲图为服务队员检查线路。")
        (True, True)
        >>> is_caption("志愿者与老人合影留念。"), is_caption("党员为孤寡老人检查线路。")
        (True, False)
        >>> is_caption("党员为孤寡老人检查线路。队员们还讲解了安全用电知识。(通讯员 张三 摄)")
        False
    """
    return _caption_shape(_without_trailing_symbols(norm))


def _caption_shape(core: str) -> bool:
    """:func:`is_caption` of a line whose trailing symbols are removed."""
    if _CAPTION_OPENING.search(core):
        return True
    credit = _CREDIT.search(core)
    if credit:
        return len(core) <= _CREDITED_MAX_LEN and len(re.findall(r"[。!?;]", core)) <= 1
    return (_GROUP_PHOTO.search(core) is not None and len(core) <= _GROUP_PHOTO_MAX_LEN
            and not re.search(r"[。!?;]", core[:-1]) and len(re.findall(r"[,,]", core)) <= 1)


def line_kind(norm: str) -> str:
    """What a (normalised) line is, taken alone: ``"caption"`` (:func:`is_caption`), ``"heading"``
    (:func:`is_heading`) or ``"body"``. In a report, :func:`split_report` also makes a last line body text.

    Example:
        >>> line_kind("图为党员为老人检查线路。"), line_kind("暖心服务进社区"), line_kind("党员为老人检查线路。")
        ('caption', 'heading', 'body')
    """
    core = _without_trailing_symbols(norm)
    if _caption_shape(core):
        return "caption"
    return "heading" if len(norm) <= HEADING_MAX_LEN and _heading_shape(core) else "body"


# markup in a report's text (a CMS export's body column): block tags, not a stray "<" ("电压<200V"); a whole page's
# <html>, <head> or <body> too (a saved page whose story sits in <span>s or bare text has no block tag: its head's
# scripts and styles, and its tags, were read as text)
_HTML_BLOCK = re.compile(r"</?(p|br|div|h[1-6]|li|ul|ol|tr|td|table|section|article|blockquote|html|head|body)"
                         r"(\s[^<>]*)?/?>", re.IGNORECASE)
_HTML_BREAKS = frozenset("p br div h1 h2 h3 h4 h5 h6 li ul ol tr td table section article blockquote th dl dt dd hr "
                         "pre figure figcaption caption header footer nav aside main address".split())
# a block of running text: its source's line breaks are white space (an editor wraps long lines), not paragraphs
_HTML_TEXT_BLOCKS = frozenset("p li td th h1 h2 h3 h4 h5 h6 dt dd caption figcaption".split())
# a "<" that starts no whole tag ("a<b<c", "电压<200V"), nor a comment closed later, is text: html.parser would
# scan the rest of the text again at each one (minutes for a few hundred thousand characters)
_HTML_STRAY_LT = re.compile(r"<!--|<(?![A-Za-z][^<>]*>|/[A-Za-z][^<>]*>|![^<>]*>|\?[^<>]*>)")
_HTML_NEWLINE = re.compile(r"[ \t\r\f]*\n[ \t\r\n\f]*")
# the head's title, scripts and styles are not the report; <head> itself is not skipped (its end tag is optional)
_HTML_SKIPPED = frozenset(("script", "style", "title", "noscript", "template"))
# a saved web page's furniture (menus, footers, side boxes, form controls, and the text an <iframe>, <video>,
# <audio> or <canvas> holds for browsers that cannot show it, "您的浏览器不支持视频播放", never shown; an <object>'s is
# shown when what it embeds cannot be): left out when the text closes it (an unclosed one would swallow the rest of
# the page). Elements a page hides by style are kept: its script shows many a story so (a WeChat article's body)
_HTML_FURNITURE = ("nav", "footer", "aside", "select", "button", "textarea", "iframe", "video", "audio", "canvas")
# a ruby's annotation above its base text (孤<rt>gū</rt>) and the brackets around it for browsers without ruby
_RUBY_NOTES = frozenset(("rt", "rp"))
_FURNITURE_TAG = re.compile(rf"<({'|'.join(_HTML_FURNITURE)})\b", re.IGNORECASE)
# a menu or link list in plain <div>/<td>/<li> (not <nav>): a run of short lines that are links and nothing else, or
# one line of several short links ("首页 | 新闻中心 | 党建工作"); a single linked line (a title) is not one
_MENU_ITEM_MAX_LEN = 40
_HTML_TITLES = frozenset("h1 h2 h3 h4 h5 h6".split())
_MENU_RUN_MIN = 3
_MENU_LINKS_MIN = 3
_MENU_SEPARATORS = re.compile(r"[\s|｜丨/·•>»›、—–-]+")
_MENU_LINK_MAX_LEN = 12  # a menu's links are a few characters each, however many share its line
_MENU_SENTENCE = re.compile(r"[,，].*[,，]|[。;；]\s*\S")  # clauses: an item of the story, not of a menu


def html_to_text(text: str) -> str | None:
    """A report's text with HTML markup in it (a CMS export's body column) as plain lines: a line break at
    each block tag (``<p>``, ``<br>``, ``<div>``, ``<li>``, ``<th>`` …), other tags removed, ``script``/``style``
    contents dropped (and a saved page's ``nav``, ``footer``, ``aside``, form controls, the fallback text of an
    ``iframe``, ``video``, ``audio`` or ``canvas``, where closed; :func:`split_report` also drops menus in
    plain blocks), a ruby's reading (``<rt>``, ``<rp>``) and all after a comment never closed dropped too (a
    browser shows none of it), entities (``&nbsp;``, ``&lt;``) decoded, the source's line breaks inside a
    paragraph closed by its end tag (``<p>…</p>``, ``<li>``, ``<td>`` …) white space; ``None`` for text without
    block tags. Parsing only: nothing in the markup is fetched or run.

    Example:
        >>> html_to_text("<p>党员为老人检查线路。</p><p>公司开辟<b>绿色通道</b>&nbsp;接电。<br/>电压&lt;200V</p>")
        '\\n党员为老人检查线路。\\n\\n公司开辟绿色通道\\xa0接电。\\n电压<200V\\n'
        >>> html_to_text("<p>党员为老人\\n  检查线路。</p>")
        '\\n党员为老人检查线路。\\n'
        >>> html_to_text("电压<200V时,a<b") is None
        True
        >>> html_to_text('<p>为<ruby>孤<rt>gū</rt></ruby>寡老人检查线路。</p>')
        '\\n为孤寡老人检查线路。\\n'
    """
    read = _html_lines(text)
    return None if read is None else read[0]


def _html_lines(text: str) -> tuple[str, frozenset[int]] | None:
    """:func:`html_to_text`'s text, and the numbers of its lines (:func:`~tagger.text.normalize.paragraph_lines`) that
    are a menu or a list of links in plain blocks (:func:`_menu_lines`); ``None`` for text without block tags."""
    if not _HTML_BLOCK.search(text):
        return None
    from html.parser import HTMLParser

    text = "\n".join(paragraph_lines(text))  # each paragraph break of the source a "\n", as a file's text has them

    text = text.replace("--!>", "-->")  # a comment's other end, as browsers read it
    last_close = text.rfind("-->")
    if text.find("<!--", last_close + 3 if last_close >= 0 else 0) >= 0:  # a comment never closed: nothing after
        text = text[:next((start for start, _, unclosed in _code_spans(text) if unclosed), len(text))]
    markup: list[str] = []  # the text without its code (_outside_code), made when first needed
    closes: dict[str, bool] = {}

    def _closes(tag: str) -> bool:
        """Whether the text closes every ``<tag>`` it opens (:func:`_closed`)."""
        if tag not in closes:
            markup[:] = markup or [_outside_code(text)]
            closes[tag] = _closed(markup[0], tag)
        return closes[tag]

    furnished = _FURNITURE_TAG.search(text) is not None
    skipped = _HTML_SKIPPED | {tag for tag in _HTML_FURNITURE if furnished and _closes(tag)}
    parts: list[str] = []
    skipping = [0]
    ruby_note = [False]  # inside a ruby's <rt> or <rp> (their end tags are optional)
    block: list = [None, []]  # an open block of running text (<p>, <li>, <td> …) and its text's places in parts
    links: dict[int, int] = {}  # a text's place in parts → the link (<a>) it is in, counted from 1
    anchor = [0, 0, False]  # the open link's number (0: none), how many links were opened, inside <h1>…<h6>

    def _end_block() -> None:
        """The open block of running text ended — by its end tag, or by the next block tag or ``</body>``, where
        HTML ends an unclosed ``<p>``, ``<li>``, ``<td>`` (an old page's editor wrapped its lines and closed
        none: each paragraph was split at its source lines, its first half a heading): it was markup, its source
        lines one text. A ``<p>`` nothing follows is left as its lines (a plain report that mentions the tag)."""
        if block[0] is not None:
            for i in block[1]:
                parts[i] = _HTML_NEWLINE.sub(_source_break, parts[i])
        block[:] = [None, []]

    def _break(tag: str, start: bool) -> None:
        anchor[0] = 0  # a link ends at a block's edge here: an unclosed <a> does not make the page's lines links
        anchor[2] = start and tag in _HTML_TITLES  # a linked title (<h1><a>…</a></h1>) is not a menu item
        ruby_note[0] = False
        if tag != "br":
            _end_block()
        parts.append("\n")
        if tag != "br" and start and tag in _HTML_TEXT_BLOCKS:
            block[:] = [tag, []]

    class _Lines(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag in _RUBY_NOTES:
                ruby_note[0] = True
            elif tag in skipped:
                skipping[0] += 1
            elif tag == "body":  # an unclosed <title> or <noscript> ends here
                skipping[0] = 0
            elif tag in _HTML_BREAKS:
                _break(tag, True)
            elif tag == "a" and any(name == "href" for name, _ in attrs):  # not a bookmark (<a name=_Toc1>)
                anchor[1] += 1
                anchor[0] = anchor[1]

        def handle_startendtag(self, tag: str, attrs: list) -> None:
            if tag in _HTML_BREAKS:
                _break(tag, False)

        def handle_endtag(self, tag: str) -> None:
            if tag in _RUBY_NOTES or tag == "ruby":
                ruby_note[0] = False
            elif tag in skipped:
                skipping[0] = max(0, skipping[0] - 1)
            elif tag in _HTML_BREAKS:
                _break(tag, False)
            elif tag in ("body", "html"):
                _end_block()
            elif tag == "a":
                anchor[0] = 0

        def handle_data(self, data: str) -> None:
            if not skipping[0] and not ruby_note[0]:
                block[1].append(len(parts))
                if anchor[0] and not anchor[2]:
                    links[len(parts)] = anchor[0]
                parts.append(data)

    parser = _Lines(convert_charrefs=True)
    last_close = text.rfind("-->")
    parser.feed(_HTML_STRAY_LT.sub(lambda m: m[0] if m[0] == "<!--" and m.start() < last_close else "&lt;" + m[0][1:],
                                   text))
    parser.close()
    return "".join(parts), _menu_lines(parts, links)


def _menu_lines(parts: Sequence[str], links: dict[int, int]) -> frozenset[int]:
    """The lines of ``"".join(parts)`` that are a menu or a link list: a line of ``_MENU_LINKS_MIN`` short links
    or more ("首页 | 新闻中心 | 党建工作"), and every line of a run of at least ``_MENU_RUN_MIN`` short lines that
    are links only and read as no sentence (blank lines between them aside) — but a run between two lines of
    story text is a list inside the story, and the run's last line right before story text is the story's
    linked title. ``links``: the link each text part is in."""
    joined = "".join(parts)
    starts, pos = [], 0
    for line in paragraph_lines(joined, keepends=True):
        starts.append(pos)
        pos += len(line)
    linked: dict[int, set[int]] = {}  # line → the links of its text (None for text outside a link)
    pos = 0
    for i, part in enumerate(parts):
        if not part.isspace():
            for number, piece in _part_lines(part, pos, starts):
                if _MENU_SEPARATORS.sub("", piece):
                    linked.setdefault(number, set()).add(links.get(i))
        pos += len(part)
    text = [line.strip() for line in paragraph_lines(joined)]
    link_only = {n for n, got in linked.items() if None not in got and not _LINE_END.search(text[n])}
    menus = {n for n in link_only if len(linked[n]) >= _MENU_LINKS_MIN
             and len(_MENU_SEPARATORS.sub("", text[n])) <= _MENU_LINK_MAX_LEN * len(linked[n])}
    items = {n for n in link_only if len(text[n]) <= _MENU_ITEM_MAX_LEN and not _MENU_SENTENCE.search(text[n])}

    def story(n: int | None) -> bool:
        return n is not None and n not in link_only and (len(text[n]) > HEADING_MAX_LEN
                                                         or _LINE_END.search(text[n]) is not None)

    filled = [n for n, line in enumerate(text) if line]
    run: list[int] = []
    for k, n in enumerate([*filled, None]):
        if n is not None and n in items:
            run.append(n)
            continue
        if len(run) >= _MENU_RUN_MIN:
            before = filled[k - len(run) - 1] if k - len(run) > 0 else None
            if not (story(before) and story(n)):
                menu = run[:-1] if story(n) else run
                if len(menu) >= _MENU_RUN_MIN:
                    menus.update(menu)
        run = []
    return frozenset(menus)


def _part_lines(part: str, pos: int, starts: Sequence[int]):
    """The pieces of a text part at ``pos`` of the joined text, each with the number of the line it lies on."""
    line = bisect_right(starts, pos) - 1
    for piece in paragraph_lines(part, keepends=True):
        yield line, piece
        line += 1


def _closed(markup: str, tag: str) -> bool:
    """Whether every ``<tag>`` in an HTML text's markup (:func:`_outside_code`) has its end tag (as many
    ``</tag>`` as ``<tag>``)."""
    opened = len(re.findall(rf"<{tag}[\s>/]", markup, re.IGNORECASE))
    return opened > 0 and len(re.findall(rf"</{tag}\s*>", markup, re.IGNORECASE)) >= opened


_CODE_START = re.compile(r"<!--|<(script|style)\b", re.IGNORECASE)


def _code_spans(text: str) -> Iterator[tuple[int, int, bool]]:
    """The comments, scripts and styles of an HTML text, in order, whose contents are no tags: each one's start,
    its end, and whether it is a comment never closed; one pass, an unclosed one running to the end."""
    pos = 0
    while (start := _CODE_START.search(text, pos)) is not None:
        if start[1] is None:
            end = text.find("-->", start.end())
            pos = len(text) if end < 0 else end + 3
            yield start.start(), pos, end < 0
        else:
            close = re.compile(rf"</{start[1]}\s*>", re.IGNORECASE).search(text, start.end())
            pos = len(text) if close is None else close.end()
            yield start.start(), pos, False


def _outside_code(text: str) -> str:
    """An HTML text without its comments, scripts and styles (:func:`_code_spans`): "document.write('</aside>')"
    must not close the page's <aside>."""
    parts, pos = [], 0
    for start, end, _ in _code_spans(text):
        parts.append(text[pos:start])
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _source_break(match: re.Match) -> str:
    """A line break in the source of a block of running text: nothing between Chinese characters (as a browser
    shows it), one space beside Latin text."""
    around = match.string[match.start() - 1:match.start()] + match.string[match.end():match.end() + 1]
    return "" if _display_width(around) == 2 * len(around) else " "


def _seen(line: str) -> str:
    """``line`` as the split rules read it: its character references decoded (``&nbsp;`` a space of one column,
    ``&ldquo;`` no sentence's end, ``&#12288;&#12288;`` an indent), as the features read them; the text shown stays as
    written."""
    return decode_entities(line) if "&" in line else line


def _display_width(line: str) -> int:
    """Columns a line takes on screen or paper: wide and ambiguous characters (Chinese, full-width and
    Chinese punctuation) two, others one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in line)


def hard_wrap_width(lines: Sequence[str]) -> int | None:
    """The display width a report's lines were hard-wrapped at (text copied from a PDF, an e-mail, a
    fixed-width export: paragraphs broken into lines of one width), or ``None`` for a report whose lines
    are its paragraphs. Wrapped: at least three lines of one width (within a few columns) of 30 or more
    that break mid-sentence before a further line (not before a list item or a field such as 停电时间:, nor
    a table's row with gaps between its columns), no more than a tenth of the lines wider, and at least
    half of the lines of at least half that width at it.

    Example:
        >>> para = "党员服务队为院内二十余位孤寡老人免费检查室内线路，更换老化的插座和开关，并讲解冬季安全用电知识，"
        >>> lines = [(para * 2)[i:i + 20] for i in range(0, len(para) * 2, 20)]
        >>> hard_wrap_width(lines), hard_wrap_width(["党员为老人检查线路。", para + "。", "公司召开会议。"])
        (40, None)
    """
    lines = [_seen(line) for line in lines]  # "&nbsp;" one column, not six; "&ldquo;" ends no sentence
    stripped = [line.strip() for line in lines]
    # most reports end every long line with a sentence, or break few lines of about one width (headings): the
    # widths of the lines that may break rule them out before every line is measured
    ends = sorted(_display_width(lines[i].rstrip()) for i in range(len(lines) - 1)
                  if 2 * len(stripped[i]) >= _WRAP_MIN_WIDTH - _WRAP_SLACK and _continues(stripped[i], stripped[i + 1]))
    if not any(ends[k + _WRAP_MIN_BREAKS - 1] - ends[k] <= _WRAP_SLACK + 1
               for k in range(len(ends) - _WRAP_MIN_BREAKS + 1)):
        return None
    widths = [_display_width(line.rstrip()) if line.strip() else 0 for line in lines]  # an indent takes columns
    counts: dict[int, int] = {}
    for w in widths:
        if w >= _WRAP_MIN_WIDTH:
            counts[w] = counts.get(w, 0) + 1
    best, best_breaks = None, 0
    for width in sorted(counts, key=lambda w: (-counts[w], -w))[:5]:
        full = [i for i, w in enumerate(widths) if width - _WRAP_SLACK <= w <= width + 1]
        breaks = sum(1 for i in full if i + 1 < len(stripped) and _continues(stripped[i], stripped[i + 1]))
        wider = sum(1 for w in widths if w > width + 1)
        if (breaks >= _WRAP_MIN_BREAKS and wider <= 0.1 * sum(1 for w in widths if w)
                and len(full) >= 0.5 * sum(1 for w in widths if w >= width // 2) and breaks > best_breaks):
            best, best_breaks = width, breaks
    return best


def _continues(line: str, after: str) -> bool:
    """Whether ``line`` may break mid-sentence before ``after`` (both stripped, as :func:`_seen`): it ends no sentence, is no
    table's row, and ``after`` is neither blank nor a list item's or a field's start (停电时间:……)."""
    return bool(after) and not _LINE_END.search(line) and not _COLUMN_GAP.search(line) \
        and not _LIST_ITEM.match(after) and not _FIELD_LABEL.match(after)


def _join_wrapped(lines: Sequence[str], width: int) -> list[str]:
    """A hard-wrapped report's lines joined into paragraphs: a line that fills the width (within a few columns, a
    few more between two Chinese characters) and does not end a sentence continues on the next, unless that is
    blank, indented (a paragraph's first line) or a list item; Latin
    words on both sides of a break keep a space between them, as does a word after an English comma ("homes, and");
    a number is not one (a wrapped "10kV" or "2021" can break anywhere)."""
    out: list[str] = []
    current: str | None = None
    previous = ""  # the line before, as wide as it was printed (its indent included)
    for shown in lines:
        raw = _seen(shown)  # what the rules read: "&nbsp;" one column, "&ldquo;" no sentence's end
        line = raw.strip()
        if not line:
            if current is not None:
                out.append(current)
            current = None
            continue
        indented = raw.startswith(("\u3000", "  ", "\t")) or _LIST_ITEM.match(line)
        # the wider slack for a sentence's clause only: a title (no comma) above the text is no wrapped line
        slack = _WRAP_SLACK_HAN if previous and _HAN.match(previous[-1]) and _HAN.match(line) \
            and _CLAUSE_MARK.search(previous) else _WRAP_SLACK
        if (current is not None and not indented and _display_width(previous) >= width - slack
                and not _LINE_END.search(previous)):
            space = " " if previous[-1].isascii() and (previous[-1].isalpha() or previous[-1] in ",;:)") \
                and line[0].isascii() and line[0].isalpha() else ""
            current += space + shown.strip()
        else:
            if current is not None:
                out.append(current)
            current = shown.strip()
        previous = raw.rstrip()
    if current is not None:
        out.append(current)
    return out


def report_id_problem(rid: str, column: bool = True) -> str | None:
    """Why ``rid`` cannot be a report id, or None. Ids are kept as written and travel everywhere — paragraph
    ids ``<report>:<n>``, terminals, review journals, ``labels/imported.jsonl`` — so they may not have white
    space at the ends, a leading ``'`` (spreadsheets drop it) or control, format or line-separator characters
    (a plain space inside is fine). ``column``: the id came from an id column, and the answer says how to mend
    it there; else (a file name, an argument) only what is wrong.

    Example:
        >>> report_id_problem("2024-05 周报"), report_id_problem(" r1")
        (None, "has white space at its ends (' r1'); trim the id column")
        >>> report_id_problem(" r1", column=False)
        "has white space at its ends (' r1')"
    """
    if not rid:
        return "is empty"
    if rid != rid.strip():
        problem, fix = f"has white space at its ends ({rid!r})", "trim the id column"
    elif rid.startswith("'"):
        problem, fix = f"starts with ' ({rid!r}), which spreadsheets hide and drop on saving", "remove it from the id column"
    elif (bad := next((ch for ch in rid if unicodedata.category(ch)[0] in "CZ" and ch != " "), None)) is not None:
        problem = f"contains the invisible character U+{ord(bad):04X} ({unicodedata.name(bad, 'control')})"
        fix = "remove it from the id column"
    else:
        return None
    return f"{problem}; {fix}" if column else problem


def _split_lost_breaks(line: str) -> list[str]:
    """A line holding paragraphs joined by their indents — two ideographic or non-breaking spaces or more after a
    sentence's end, or after a title when a sentence-ended paragraph follows: an export that kept the indents but
    lost the line breaks — as those paragraphs; any other line as it is (a byline, a table's row, a caption or a
    title with a gap). In a line shorter than a story line (:data:`_STORY_LINE_MIN`) only two sentence-ended parts
    of :data:`_SHORT_SPLIT_MIN` characters or more on both sides of the indent are split.

    Example:
        >>> _split_lost_breaks("城关供电公司走进敬老院\u3000\u3000" + "党员为老人检查线路," * 8 + "更换插座。\u3000\u3000公司召开会议。")[0]
        '城关供电公司走进敬老院'
        >>> len(_split_lost_breaks("发布时间:2021-07-21\u3000\u3000来源:国家电网报\u3000\u3000作者:周瑾"))
        1
        >>> len(_split_lost_breaks("党员服务队来到敬老院,为老人义务检查线路。\u3000\u3000供电局完成了桂花小区配电设施改造。"))
        2
    """
    stripped = line.strip()
    if not _INDENT_INSIDE.search(_seen(stripped)):  # most lines: no indent inside, no offsets needed
        return [line]
    seen, at = decode_entities_at(stripped)  # the indent found as it reads ("&#12288;&#12288;"), the line cut as written
    short = len(seen) < _STORY_LINE_MIN
    parts, pos = [], 0  # text, run, text, run, …
    for match in _INDENT_INSIDE.finditer(seen):
        start, end = at[match.start(1)], at[match.end(1)]
        parts += [stripped[pos:start], stripped[start:end]]
        pos = end
    parts.append(stripped[pos:])

    def ends(part: str) -> bool:
        return bool(_LINE_END.search(_seen(part)))

    out = [parts[0]]
    for k in range(1, len(parts), 2):
        run, part = parts[k], parts[k + 1]
        if short:  # a short line: only between two whole sentences of some length (never a byline's or a caption's gap)
            split = all(len(_seen(p)) >= _SHORT_SPLIT_MIN and ends(p) for p in (out[-1], part))
        else:  # a title before a sentence-ended paragraph opens a story; a cell before another cell is a table's row
            title = len(out) == 1 and len(_seen(out[0])) <= HEADING_MAX_LEN and ends(part)
            split = ends(out[-1]) or title
        if split:
            out.append(part)
        else:  # not a paragraph's end: the run stays inside the text, as it was
            out[-1] += run + part
    return out if len(out) > 1 else [line]


def _notes_argument(notes: bool, note_one_line: bool | None, caller: str) -> bool:
    """``notes``, or the deprecated ``note_one_line`` when it is given (with a ``DeprecationWarning``)."""
    if note_one_line is None:
        return notes
    warnings.warn(f"{caller}(note_one_line=...) is deprecated: use notes=..., which also governs the mojibake warning",
                  DeprecationWarning, stacklevel=3)
    return bool(note_one_line)


def split_report(text: str, doc: str = "report", with_chrome: bool = False, notes: bool = True, *,
                 note_one_line: bool | None = None, warn_misdecoded: bool = True) -> list[Paragraph]:
    """Split a report into paragraphs at its paragraph breaks (:data:`~tagger.text.normalize.PARAGRAPH_BREAKS`:
    ``\\n``, ``\\r\\n``, ``\\r``, Word's manual line break ``\\x0b``, U+2028, U+2029; a page break ``\\x0c`` and the
    separators ``\\x1c``–``\\x1f``, ``\\x85`` end none: they stay in the paragraph's text, white space to the features),
    dropping blank lines and page chrome — and, after the
    story's body text, everything from a list of other stories or readers' comments on (相关新闻, 推荐阅读,
    最新评论 …) unless story text (a line of 80 characters or more that ends a sentence) follows: then the
    marker was a toolbar or box inside the page, and only its line is dropped. Text with HTML markup is read
    as its lines first (:func:`html_to_text`), a report whose lines are hard-wrapped
    (:func:`hard_wrap_width`) has them joined into paragraphs, and a long line holding paragraphs joined by their
    indents is split at them (:func:`_split_lost_breaks`; each part counts as a line). ``with_chrome`` keeps the
    dropped lines too, as kind ``"chrome"`` (to tell a line the rules drop from one that is gone). A report that is
    one line of 400 characters and five sentences or more is logged as a warning (its paragraphs may have been
    joined by an export), and so is a report that reads as mojibake (:func:`looks_like_mojibake`); ``notes=False``
    keeps quiet about both (the dev set's reader: its texts are as stored); ``warn_misdecoded=False`` leaves a report
    whose paragraphs prove the misreading (:func:`misdecoded`) to the caller, which refuses it (``tagger suggest``:
    :func:`tagger.annotation.suggest.refuse_misdecoded`); one that only looks it, or gives no paragraph, is warned
    of still. ``note_one_line`` is the old name of ``notes`` (deprecated: it silenced the mojibake warning too).

    Raises:
        TypeError: if ``text`` is not a ``str``.

    Example:
        >>> para = "党员服务队为院内二十余位孤寡老人免费检查室内线路，更换老化的插座和开关，并讲解冬季安全用电知识，"
        >>> text = (para * 2)[:-1] + "。"
        >>> wrapped = "\\n".join(text[i:i + 20] for i in range(0, len(text), 20)) + "\\n公司召开会议。"
        >>> [(p.index, len(p.text)) for p in split_report(wrapped, "r")]
        [(0, 96), (1, 7)]
    """
    if not isinstance(text, str):
        raise TypeError(f"split_report() expects the report as str, got {type(text).__name__}")
    notes = _notes_argument(notes, note_one_line, "split_report")
    text = text.removeprefix("\ufeff")  # a file read without utf-8-sig: the mark is no text (the CLI drops it too)
    menus: frozenset[int] = frozenset()
    read = _html_lines(text)
    if read is not None:
        note_once(log, "html", "%s: read as HTML: its paragraphs at the <p>, <br>, <div> … tags, the tags removed",
                  doc)
        text, menus = read
    lines = paragraph_lines(text)
    width = hard_wrap_width(lines)
    if width is not None:
        note_once(log, "wrapped", "%s: lines hard-wrapped at %d columns; joined into paragraphs", doc, width)
        lines, menus = _join_wrapped(lines, width), frozenset()
    one_line = width is None and sum(1 for line in lines if line.strip()) == 1
    pieces = [(n, _split_lost_breaks(line)) for n, line in enumerate(lines)]
    if any(len(split) > 1 for _, split in pieces):
        note_once(log, "indents", "%s: paragraphs joined by their indents inside a line (　　: the line breaks were "
                  "lost) split at them", doc)
    kept = [(piece.strip(), n in menus) for n, split in pieces for piece in split if piece.strip()]
    lines = [line for line, _ in kept]
    norms = normalize_many(lines)
    reasons = [("menu" if menu else chrome_reason(norm)) if norm else None for norm, (_, menu) in zip(norms, kept)]
    # whether a line of story text (long, a sentence ended) comes after each line: a list marker before one is a
    # toolbar or box inside the page ("发表评论" between a summary and the story), not the story's end
    story_after = [False] * len(norms)
    for i in range(len(norms) - 2, -1, -1):
        nxt = norms[i + 1]
        story_after[i] = story_after[i + 1] or (reasons[i + 1] is None and len(nxt) >= _STORY_LINE_MIN
                                                and _FINAL_PUNCT.search(nxt) is not None)
    paragraphs: list[Paragraph] = []
    index = 0
    body_seen = story_over = False  # story_over: a list of other stories or readers' comments began after the body
    for i, (original, norm, reason) in enumerate(zip(lines, norms, reasons)):
        if not norm:  # only invisible characters: a blank line
            continue
        if reason is None and not story_over:
            kind = line_kind(norm)
            body_seen = body_seen or kind == "body"
            paragraphs.append(Paragraph(f"{doc}:{index}", doc, index, original, norm, kind))
        else:
            if reason == "comment tail" and body_seen and not story_after[i] and _AFTER_STORY.fullmatch(norm):
                story_over = True
            if with_chrome:
                paragraphs.append(Paragraph(f"{doc}:{index}", doc, index, original, norm, CHROME))
        index += 1
    # The items of a list a line announced (…做了以下几项工作:) are its text, not headings: the codebook judges them
    # by their substance, and each may report a service done.
    # Two items or more in a row: a numbered line with its own paragraph after it is a sub-heading, and stays one.
    content = [i for i, p in enumerate(paragraphs) if p.kind != CHROME]
    runs: list[list[int]] = []  # the runs of list items right after an announcing line
    for before, k in zip([None, *content], content):
        if _LISTED.match(paragraphs[k].norm) is None:
            continue
        if runs and runs[-1][-1] == before:
            runs[-1].append(k)
        elif before is not None and _ANNOUNCES.search(paragraphs[before].norm):
            runs.append([k])
    for k in (k for run in runs if len(run) > 1 for k in run):
        if paragraphs[k].kind == "heading":
            paragraphs[k] = replace(paragraphs[k], kind="body")
    # A heading introduces what follows: the last line of a report is never one (a report cut off in
    # the middle of a sentence ends in a line without final punctuation; a one-line report is all body),
    # save a short sign-off after the story ("(完)", a reporter's name).
    if notes and one_line and len(content) == 1 and (note := one_line_note(doc, paragraphs[content[0]].text)):
        note_once(log, "one line", "%s", note, level=logging.WARNING)
    # its lines may all read as page chrome (no paragraph: no caller's check sees it), or as a story
    # (warn_misdecoded=False: the caller refuses it where misdecoded() proves it, on these paragraphs, and finds
    # the proof again — a rare text that looks like mojibake is tried twice; the rest is warned of here)
    if notes and (note := mojibake_note(doc, text)) and (
            warn_misdecoded or misdecoded({doc: "\n".join(paragraphs[k].text for k in content)}, "") is None):
        log.warning("%s", note)
    if content and paragraphs[content[-1]].kind == "heading" and (
            len(content) == 1 or not is_sign_off(paragraphs[content[-1]].norm)):
        paragraphs[content[-1]] = replace(paragraphs[content[-1]], kind="body")
    return paragraphs


def mojibake_note(doc: str, text: str) -> str | None:
    """What is said of report ``doc`` whose ``text`` looks like mojibake (:func:`looks_like_mojibake`): the one
    wording, of the log and of the web page; else ``None``.

    Example:
        >>> mojibake_note("r", "党员志愿者走进敬老院为孤寡老人检查线路".encode("gbk").decode("latin-1")).split(" (e.g.")[0]
        'r: no Chinese character, but many accented Latin letters'
        >>> mojibake_note("r", "党员服务队为老人检查线路。") is None
        True
    """
    if not looks_like_mojibake(text):
        return None
    return (f"{doc}: no Chinese character, but many accented Latin letters (e.g. {text.strip()[:12]!r}): if it is "
            "Chinese, it was decoded with a wrong encoding somewhere on its way (GBK read as Latin-1?) and its labels "
            "mean nothing — re-export it")


def one_line_note(doc: str, paragraph: str) -> str | None:
    """What is said of report ``doc`` read as the one ``paragraph`` of its one line, when that is long: 400 characters
    and five sentences or more (its paragraphs were likely joined by an export without line breaks); else ``None``.

    Example:
        >>> one_line_note("r", "党员服务队为老人检查线路。" * 40).split(" is read")[0]
        'r: one line of 520 characters and 40 sentences'
        >>> one_line_note("r", "党员服务队为老人检查线路。") is None
        True
    """
    if len(paragraph) < _ONE_LINE_MIN_LEN:
        return None
    sentences = len(_SENTENCE_END.findall(_seen(paragraph))) + 1
    if sentences < _ONE_LINE_MIN_SENTENCES:
        return None
    return (f"{doc}: one line of {len(paragraph)} characters and {sentences} sentences is read as one paragraph "
            "(paragraphs are read at line breaks); if its paragraphs were joined (an export without line breaks), "
            "export the reports with their line breaks")


def looks_like_mojibake(text: str) -> bool:
    """Whether ``text`` reads as Chinese that went through a wrong decoding (GBK or UTF-8 bytes read as Latin-1, then
    saved again): no Han character, and ten or more accented Latin letters (À–ÿ; ``×`` and ``÷`` are no letters)
    making up a fifth of its letters — of its text as read where it is HTML (the markup's ASCII letters do not count).
    A hint only (dense French, tone-marked pinyin and a table of ``Ø20 Ø25 …`` have as many): :func:`misdecoded`
    refuses only text whose bytes decode back to Chinese.

    Example:
        >>> looks_like_mojibake("党员志愿者走进敬老院为孤寡老人检查线路".encode("gbk").decode("latin-1")), looks_like_mojibake("Café")
        (True, False)
        >>> looks_like_mojibake("YJV22-3×240 3×185 3×150 3×120 3×95 3×70 3×50 3×35 3×25 3×16")
        False
    """
    return _mojibake_text(text) is not None


def _accented_letters(text: str) -> int:
    """How many accented Latin letters ``text`` has when it has ten or more and no Han character, else 0."""
    if _HAN.search(text):
        return 0
    accented = len(_LATIN1_LETTER.findall(text))
    return accented if accented >= _MOJIBAKE_MIN_LETTERS else 0


def _mojibake_text(text: str) -> str | None:
    """The text in which ``text`` looks like mojibake (:func:`looks_like_mojibake`): its HTML's text (the markup's
    ASCII letters would dilute the accented ones, and spell no Chinese), or itself, else ``None``."""
    accented = _accented_letters(text)
    if not accented:
        return None  # quick: most reports are told here, without parsing any markup
    read = _html_lines(text)
    if read is not None:
        text = read[0]
        accented = _accented_letters(text)
    return text if accented and accented * 5 >= sum(ch.isalpha() for ch in text) else None


_MOJIBAKE_SOURCES = (("utf-8", "UTF-8"), ("gb18030", "GBK"))  # what Chinese reports are saved in, the strict first
# the bytes a Windows-1252 reading gave its characters at 0x80–0x9F (€, ‚, ƒ …); the rest are Latin-1's (and a
# Windows-1252 reader gives the five bytes it leaves undefined as U+0081 … like Latin-1)
_CP1252_BYTES = {ord(bytes([b]).decode("cp1252")): b for b in range(0x80, 0xA0)
                 if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}


def _encoding_behind(text: str) -> tuple[str, str] | None:
    """The encoding (its ``--encoding`` name, its name as said) whose bytes, read as Latin-1 (or Windows-1252),
    gave ``text``: written back as those bytes, it decodes in it to Chinese — Han characters make up half of its
    letters or more; in UTF-8 with at most one undecodable byte inside a line per two Han characters (at a line's
    ends, a character may have been cut by splitting paragraphs at the line break or white space its bytes read as),
    in GBK with none, four in five of them common ones of either script
    (:func:`tagger.common.files.mostly_common_han`), the bytes no evidence of another encoding
    (:func:`tagger.common.files.other_encoding`: Korean in EUC-KR reads as common characters); ``None`` when none does
    (text written as it is: French, pinyin, ``Ø20``, none of whose bytes spell Chinese; or UTF-8 of text other than
    Chinese, as kana, whose bytes read as GBK would give Han characters).

    Example:
        >>> _encoding_behind("党员志愿者走进敬老院".encode("utf-8").decode("latin-1"))
        ('utf-8', 'UTF-8')
        >>> _encoding_behind("党员志愿者走进敬老院".encode("gbk").decode("cp1252"))
        ('gb18030', 'GBK')
        >>> _encoding_behind("Les bénévoles âgés órgão órgão órgão") is None  # bénévoles: b閚関oles in GBK
        True
    """
    try:
        raw = text.translate(_CP1252_BYTES).encode("latin-1")
    except UnicodeEncodeError:  # a character no single byte gave (ō, ư, a Han character): not such a misreading
        return None
    for name, said in _MOJIBAKE_SOURCES:
        back = raw.decode(name, errors="replace")
        han = len(_HAN.findall(back))
        # UTF-8 Chinese has \x85 and \xa0 bytes, a line break and white space in Latin-1: a character may have been
        # cut at a line's ends where paragraphs were split; GBK's have neither (but in rare characters)
        if name == "utf-8":
            lost = sum(_lost_inside(line) for line in back.split("\n"))
            spelled = han >= 2 * lost
        else:  # common characters, as a report's are: a letter after an accented one (bénévoles: b閚関oles) is not
            spelled = "\ufffd" not in back and mostly_common_han(back) and other_encoding(raw) is None
        # in either encoding, half of all its letters Han ones: text read as Latin-1 was Chinese only if few ASCII
        # letters stood in it
        if han and spelled and 2 * han >= sum(ch.isalpha() for ch in back):
            return name, said
        if name == "utf-8" and not lost:
            return None  # UTF-8 of other text (kana, ＡＢＣ, 3×240): its bytes are no GBK's
    return None


def _lost_inside(line: str) -> int:
    """The bytes undecodable in ``line`` (a text decoded with ``errors="replace"``), but for up to two at each end:
    a character cut where paragraphs were split."""
    lost = line.count("\ufffd")
    return lost - min(2, len(line) - len(line.lstrip("\ufffd"))) - min(2, len(line) - len(line.rstrip("\ufffd"))) \
        if lost < len(line) else max(0, lost - 4)


def misdecoded(texts: dict[str, str], consequence: str) -> str | None:
    """Why the reports ``texts`` (id: its text) are refused, where any is Chinese decoded with a wrong encoding — it
    looks it (:func:`looks_like_mojibake`) and its characters, written back as the Latin-1 (or Windows-1252) bytes
    they were read from, decode to Chinese in UTF-8 or GBK — else ``None`` (a report that only looks it, such as
    dense French, is no proven misreading: :func:`split_report` warns of it). The message names the reports, the
    encoding their bytes were in, ``consequence`` (what tagging or labelling them would make; ``{its}`` in it: "its"
    or "their"), and what to do. The one wording of ``tagger tag`` and ``tagger suggest``, which refuse such reports.

    Example:
        >>> print(misdecoded({"r1": "党员志愿者走进敬老院为孤寡老人检查线路".encode("utf-8").decode("latin-1")},
        ...                  "{its} labels would mean nothing"))
        r1: reads as text decoded with a wrong encoding (no Chinese character, many accented Latin letters: UTF-8 read as Latin-1), so its labels would mean nothing; read it as UTF-8 (--encoding utf-8, or no --encoding: the default reads UTF-8, else GB18030), or re-export it if its file holds these characters
        >>> misdecoded({"r1": "党员为孤寡老人检查线路。"}, "{its} labels would mean nothing") is None
        True
        >>> misdecoded({"r1": "Zhōnghuá rénmín gònghéguó. Diànlì gōngsī jìnxíng ānquán jiǎnchá."}, "") is None
        True
    """
    misread: dict[str, tuple[str, str]] = {}
    for doc, text in texts.items():
        seen = _mojibake_text(text)
        behind = None if seen is None else _encoding_behind(seen)
        if behind is not None:
            misread[doc] = behind
    if not misread:
        return None
    one = len(misread) == 1
    shown = ", ".join(list(misread)[:5]) + (f" and {len(misread) - 5} more" if len(misread) > 5 else "")
    name, said = next(iter(misread.values()))
    it, them = ("it", "its") if one else ("them", "their")
    fix = (f"read {it} as {said} (--encoding {name}, or no --encoding: the default reads UTF-8, else GB18030), or "
           f"re-export {it} if {them} file{'' if one else 's'} hold{'s' if one else ''} these characters")
    return (f"{shown}: {'reads' if one else 'read'} as text decoded with a wrong encoding (no Chinese character, many "
            f"accented Latin letters: {said} read as Latin-1), so {consequence.format(its=them)}; {fix}")


def is_sign_off(norm: str) -> bool:
    """Whether a short (normalised) last line signs a report off rather than ending its story: "(完)", a bracketed
    credit, a reporter's or editor's name, names alone ("张三 李四"), or the page's furniture after the story (a
    field such as 标签:… or 服务热线:…, a link back to the home page, a prompt to open or scan something).

    Example:
        >>> is_sign_off("(完)"), is_sign_off("记者 张三 通讯员 李四"), is_sign_off("张三 李四"), is_sign_off("标签:关爱老人")
        (True, True, True, True)
        >>> is_sign_off("队员们还为老人更换了老化插座"), is_sign_off("为小区加装电梯"), is_sign_off("居民们纷纷表示:")
        (False, False, False)
    """
    core = norm.strip()
    if len(core) >= _SIGN_OFF_MAX_LEN:
        return False
    words = core.split()
    names = len(words) >= 2 and all(_NAME.fullmatch(w) for w in words)
    fragment = len("".join(words)) <= _FRAGMENT_MAX_LEN or not _NAME.search(core)  # "相关内容", "0 条", "|"
    return names or fragment or _SIGN_OFF.search(core) is not None


def read_report(path: str | Path, encoding: str | None = None, with_chrome: bool = False, notes: bool = True, *,
                note_one_line: bool | None = None, warn_misdecoded: bool = True) -> list[Paragraph]:
    """Read a report file — text decoded as :mod:`tagger.common.files` says, a Word ``.docx`` file or a saved web
    page (:func:`tagger.common.files.decode_report`) — and split it (:func:`split_report`, which the switches are
    passed to); the report id is the file stem."""
    from ..common.files import read_report_text

    path = Path(path)
    notes = _notes_argument(notes, note_one_line, "read_report")
    return split_report(read_report_text(path, encoding), path.stem, with_chrome, notes,
                        warn_misdecoded=warn_misdecoded)
