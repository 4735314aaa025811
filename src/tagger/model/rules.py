"""The codebook's rules that no model overrides: an empty paragraph, a heading (a short line without
sentence-final punctuation), a photo caption (``…摄``, ``图为…``, ``…合影留念``), and a paragraph that opens as a plan ("下一步,该公司将……": the codebook's
"plans, targets, promises → none") carry no label."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..text.report import line_kind

__all__ = ["no_label_mask", "opens_as_plan"]

# openings that make the whole paragraph the report's plan; not a quote that opens with them (someone's words,
# not the report's plan); texts are normalised (trimmed, traditional script already simplified). 接下来 / 未来 /
# 后续 / 此后 alone narrate ("接下来,队员们为老人更换了电线", 未来科技城 is a place): only as the opening of a
# first clause whose subject "将继续 / 将持续 / 将进一步 …" (a promise: 将 before such an adverb is the future,
# not the object marker of "将线路更换")
#
# A time still to come opening the paragraph with a plan in its first clause ("明年,该公司计划为…加装电梯": user test,
# tagged elevator 0.91), or a subject planning for such a time ("该公司计划年内完成…"). Only a plan's words count —
# 计划 / 拟 / 力争 / 争取, or 将 before one of the promise adverbs above: a bare 将 is the object marker as often
# ("年内,该公司将老旧线路全部更换完毕") and 下半年 in a year-end report is past — and never in a clause that says the
# work was done (已, 了) or names an earlier plan (原计划, 按计划).
_PROMISE = r"将(?:继续|持续|进一步|不断|加快|全力|深入|加大|着力)"
_CLAUSE_CHAR = r"[^。;;!?!?,,“”\"]"
_NOT_DONE = rf"(?!{_CLAUSE_CHAR}*(?:已|了))"  # the rest of the first clause reports nothing done
_PLAN_OPENING = re.compile(
    r"下一步|下阶段|下一阶段|今后"
    rf"|(?:接下来|未来|后续|此后)[,,]{_CLAUSE_CHAR}{{0,24}}?{_PROMISE}"
    rf"|(?:明年|来年|下半年|今年下半年|年内|到20\d\d年(?:底|末)?)[,,]?(?:(?!已|原计划|按计划){_CLAUSE_CHAR}){{0,20}}?"
    rf"(?:计划|拟|力争|争取|{_PROMISE}){_NOT_DONE}"
    rf"|(?:(?!已){_CLAUSE_CHAR}){{0,12}}?(?<![原按])(?:计划|拟|力争)(?:于|在|到)?"
    rf"(?:明年|来年|年内|年底|今年底|今年年底|下半年|20\d\d年){_NOT_DONE}")


def opens_as_plan(norm: str) -> bool:
    """Whether a normalised paragraph opens as a plan.

    Example:
        >>> opens_as_plan("下一步,该公司将继续开展志愿服务。"), opens_as_plan("该公司已完成改造。下一步将推广。")
        (True, False)
        >>> opens_as_plan("接下来,该公司将继续推进老旧小区改造。"), opens_as_plan("接下来,队员们将线路全部更换。")
        (True, False)
        >>> opens_as_plan("明年,该公司计划为20部电梯接电。"), opens_as_plan("该公司计划年内完成改造。")
        (True, True)
        >>> opens_as_plan("年内,该公司已为20部电梯接电。"), opens_as_plan("今年,该公司将线路全部更换。")
        (False, False)
    """
    return _PLAN_OPENING.match(norm) is not None


def no_label_mask(norms: Sequence[str], headings: bool = True, plans: bool = True) -> np.ndarray:
    """Which (normalised) paragraphs get no label: empty ones, headings and photo captions when
    ``headings``, and paragraphs that open as a plan when ``plans``.

    Example:
        >>> no_label_mask(["", "暖心服务进社区", "党员为老人检查线路。", "下一步,将为老人检查线路。",
        ...                "图为党员为老人检查线路。"]).tolist()
        [True, True, False, True, True]
    """
    return np.fromiter((not n or (headings and line_kind(n) != "body") or (plans and opens_as_plan(n))
                        for n in norms), dtype=bool, count=len(norms))
