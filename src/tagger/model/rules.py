"""The codebook's rules that no model overrides: an empty paragraph, a heading (a short line without
sentence-final punctuation), a photo caption (``…摄``, ``图为…``, ``…合影留念``), a paragraph that opens as a plan
("下一步,该公司将……": the codebook's "plans, targets, promises → none") and a closing that only weighs the activity
("此次活动,营造了浓浓的敬老氛围": rule 1, substance) carry no label; nor does any paragraph of a report of three or more body
paragraphs and 300 characters in which no word of the power sector stands (codebook: only the power utility's
services count)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence

import numpy as np

from ..features import roles
from ..text.report import line_kind

__all__ = ["no_label_mask", "opens_as_plan", "POWER_SECTOR", "SECTOR_MIN_BODY", "SECTOR_MIN_CHARS",
           "names_power_sector", "outside_power_sector", "NAMES_NO_UTILITY", "village_only", "farm_households_only",
           "closes_without_act", "word_lists_sha256", "role_cue_words_sha256"]

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


POWER_SECTOR = re.compile("供电|电力|电网|电业|国网|南网|电工|电管家|电气|输变电|送变电|发电|电厂|抄表")
"""Words that name the power sector — a utility (供电所, 电业局, 国网, 南方电网, 内蒙古电力 …), a generation company
(华能…发电, 电厂), its grid, meter readers or staff (抄表, 电工, 电管家) — in normalised (simplified) text. A service
story of a power utility names one; the stories of elder care or compound works by a water or gas utility, a street
office or a property company, which the codebook gives no label, often name none (dev rounds 15 and 16,
docs/modelling.md). A household's meter (电表) is not the sector: a street office fitting a smart breaker to an
elder's meter names one (dev round 19)."""

NAMES_NO_UTILITY = "names no power utility (no 供电, 电力, 电网, 国网, 南网 … in its paragraphs or headings)"
"""How a message says a report falls under :func:`outside_power_sector` (the model's log note, the review page)."""

SECTOR_MIN_BODY = 3
SECTOR_MIN_CHARS = 300
"""The body paragraphs, and characters of body text, a report needs before :func:`outside_power_sector` judges it: a
news story that long names its actors (a twentieth of the dev set's reports are shorter), while a table's row or a
few typed lines trying the tool ("党员志愿服务队为孤寡老人免费检查室内线路。") may well leave the utility unnamed."""


def names_power_sector(norm: str) -> bool:
    """Whether a word of the power sector (:data:`POWER_SECTOR`) stands in the normalised text.

    Example:
        >>> names_power_sector("供电所党员服务队为独居老人检查线路。"), names_power_sector("街道为独居老人安装智能水表。")
        (True, False)
    """
    return POWER_SECTOR.search(norm) is not None


def outside_power_sector(norms: Sequence[str], reports: Sequence[str | None], body: Sequence[bool]) -> np.ndarray:
    """Which paragraphs belong to a report of :data:`SECTOR_MIN_BODY` or more body paragraphs (``body``) holding
    :data:`SECTOR_MIN_CHARS` or more characters, in none of whose paragraphs (headings included) a power-sector word
    stands: such a report tells no service of a power utility (codebook). A loose paragraph (report ``None``) is
    never one.

    Example:
        >>> story = ["街道工作人员为辖区独居老人免费安装智能水表," * 15 + "。", "工作人员上门为老人安装。", "老人们表示感谢。"]
        >>> outside_power_sector(story, ["a"] * 3, [True] * 3).tolist()
        [True, True, True]
        >>> outside_power_sector(story + ["供电所也派人检查了线路。"], ["a"] * 4, [True] * 4).tolist()
        [False, False, False, False]
        >>> outside_power_sector(story, ["a", "a", None], [True] * 3).tolist()  # two body paragraphs: too short
        [False, False, False]
        >>> outside_power_sector(story[1:] + story[1:], ["a"] * 4, [True] * 4).tolist()  # 46 characters: too short
        [False, False, False, False]
    """
    if not len(norms) == len(reports) == len(body):
        raise ValueError(f"{len(norms)} paragraphs, {len(reports)} report ids and {len(body)} body flags")
    n_body: dict[str, int] = {}
    n_chars: dict[str, int] = {}
    named: set[str] = set()
    for norm, report, is_body in zip(norms, reports, body):
        if report is None:
            continue
        n_body[report] = n_body.get(report, 0) + bool(is_body)
        n_chars[report] = n_chars.get(report, 0) + (len(norm) if is_body else 0)
        if report not in named and names_power_sector(norm):
            named.add(report)
    outside = {r for r, n in n_body.items()
               if n >= SECTOR_MIN_BODY and n_chars[r] >= SECTOR_MIN_CHARS and r not in named}
    return np.fromiter((r is not None and r in outside for r in reports), dtype=bool, count=len(reports))


VILLAGE = re.compile("村民|行政村|自然村|农网|新农村|农村电网|农户|村里|全村")
"""Words that place a paragraph in a village or its grid (normalised text): codebook rule 4 — villages are not
compounds, and village homes are never compound homes."""

HOMES = re.compile("小区|社区|城中村|家属|宿舍|棚户区|三供一业|楼道|楼栋|(?<!环网)(?<!配电)单元|院落|大杂院|胡同|城区")
"""Places of homes that a compound's story names beside a village word (an urban village, a community, a staff
compound, a stairwell, a lane): a paragraph naming one is left to the model."""

COMPOUND_REPORT = re.compile("城中村|小区|家属院|家属楼|家属区|宿舍|棚户区|三供一业|院落|大杂院|胡同|楼道")
"""Compounds that, named anywhere in a report, leave its village words to the model: an urban village's story says
村里 and 村民 in its later paragraphs (dev set)."""


def village_only(norms: Sequence[str], reports: Sequence[str | None]) -> np.ndarray:
    """Which paragraphs name a village (:data:`VILLAGE`) and no place of homes (:data:`HOMES`), in a report that
    names no compound (:data:`COMPOUND_REPORT`, headings included): rural grid works, a village's meters, a village
    elder's rewired home — never an old compound's upgrade (codebook rule 4). A loose paragraph (report ``None``)
    is never one: its report cannot be read.

    Example:
        >>> village_only(["农网改造后,村民家家换上了新电表。", "小区居民告别了合用电表。"], ["a", "b"]).tolist()
        [True, False]
        >>> village_only(["城中村改造启动", "村里新装了一台变压器,村民用电更稳了。"], ["a", "a"]).tolist()
        [False, False]
        >>> village_only(["农网改造后,村民家家换上了新电表。"], [None]).tolist()
        [False]
    """
    if len(norms) != len(reports):
        raise ValueError(f"{len(norms)} paragraphs and {len(reports)} report ids")
    compound = {r for n, r in zip(norms, reports) if r is not None and COMPOUND_REPORT.search(n)}
    return np.fromiter((r is not None and r not in compound and VILLAGE.search(n) is not None
                        and HOMES.search(n) is None for n, r in zip(norms, reports)), dtype=bool, count=len(norms))


FARMING = re.compile("灌溉|排灌|春灌|机井|抗旱|农户|农田|种植户|养殖户|果农|茶农|菜农|农民(?!工)")
"""Words of farm households and their fields (normalised text): their supply — irrigation, wells, spring ploughing —
is a household's, not an enterprise's (codebook rule 6 and its row on farm households)."""

ENTERPRISE = re.compile("企业|合作社|园区|项目|工厂|厂房|基地|工商户|个体|商户|商家|有限公司|集团|农场|牧场|养殖场|厂|"
                        "民宿|农家乐|作坊|加工|超市|店铺|门店|"
                        "(?<!该)(?<!供电)(?<!电力)(?<!电网)(?<!国网)(?<!电业)(?<!分)(?<!县)(?<!市)(?<!省)(?<!总)(?<!子)公司")
"""Enterprises that a rural business story names (a cooperative, a farm or ranch run as a business, a park, a
project, a factory, a guesthouse or workshop, a company other than the utility — 该公司, 县公司, 供电公司 and the like
are the utility): a paragraph naming one is left to the model (codebook rule 9: enterprises include cooperatives and
个体工商户). A broad word here (厂 in 电厂, 项目 in a grid project) only leaves a paragraph to the model."""


def farm_households_only(norm: str) -> bool:
    """Whether a (normalised) paragraph names farm households or their fields (:data:`FARMING`) and no enterprise
    (:data:`ENTERPRISE`): a green channel for 农户's wells, drought relief, spring ploughing — never
    ``business_connection_speed`` (codebook).

    Example:
        >>> farm_households_only("供电所开辟春灌绿色通道,为农户机井快速接电。")
        True
        >>> farm_households_only("供电所开辟绿色通道,为茶叶合作社快速增容,农户采茶不再担心跳闸。")
        False
    """
    return FARMING.search(norm) is not None and ENTERPRISE.search(norm) is None


CLOSING_OPENING = re.compile("^(?:此次|本次|这次|通过此次|通过本次|通过这次|通过开展|通过此项|此项)(?!目)")
"""How a report's closing paragraph opens when it looks back on the activity (normalised text): "此次活动,营造了浓浓的
敬老氛围", "通过此次志愿服务活动,青年们弘扬了…" (此项目, "this project", opens no closing)."""

SERVICE_ACTS = re.compile("更换|检查|安装|维修|排查|送上|送去|送来|赠送|捐|发放|修复|整改|看望|清理|打扫|帮助|帮|解决|接电|"
                          "送电|报装|改造|增容|架设|铺设|走访")
"""Acts of service a closing may still name: a summary of what was done counts for the kinds it lists (codebook
rule 1)."""


def closes_without_act(norm: str) -> bool:
    """Whether a (normalised) paragraph opens as a closing (:data:`CLOSING_OPENING`) and names no act of service
    (:data:`SERVICE_ACTS`): it only weighs the activity — traditions upheld, warmth felt, an atmosphere made — and
    carries no label (codebook rule 1: substance, not vocabulary). Measured on the real dev set and confirmed on two
    fresh rounds (docs/modelling.md, rounds 24 and 25).

    Example:
        >>> closes_without_act("此次活动,营造了浓浓的敬老氛围,让老人们感受到了大家庭的温暖。")
        True
        >>> closes_without_act("此次活动,志愿者为12户孤寡老人更换了老化电线。"), closes_without_act("活动结束后,大家合影留念。")
        (False, False)
    """
    return CLOSING_OPENING.search(norm) is not None and SERVICE_ACTS.search(norm) is None


def word_lists_sha256() -> str:
    """The SHA-256 (hex) of the word lists in code that decide labels besides a model file and its settings: the role
    cues' (:func:`role_cue_words_sha256`) and the codebook rules' applied when scoring (the patterns and sizes of the
    plan, closing, power-sector, village and farm rules; the reader's heading and caption patterns are not among
    them). A tagged file's record carries them (:func:`~tagger.model.persistence.provenance`): a tagger whose lists
    changed tags otherwise with the same model file and settings (电表 left the power-sector words on 2026-12-07, and
    no record said so).

    Example:
        >>> len(word_lists_sha256()), word_lists_sha256() == word_lists_sha256()
        (64, True)
    """
    lists = {"role_cues": role_cue_words_sha256(), "plan_opening": _PLAN_OPENING.pattern,
             "closing": CLOSING_OPENING.pattern, "service_acts": SERVICE_ACTS.pattern,
             "power_sector": POWER_SECTOR.pattern, "sector_size": [SECTOR_MIN_BODY, SECTOR_MIN_CHARS],
             "village": VILLAGE.pattern, "homes": HOMES.pattern, "compound_report": COMPOUND_REPORT.pattern,
             "farming": FARMING.pattern, "enterprise": ENTERPRISE.pattern}
    return _sha256_json(lists)


def role_cue_words_sha256() -> str:
    """The SHA-256 (hex) of the role cues' terms and plan words (:mod:`tagger.features.roles`): the word lists that
    ``fit`` reads — a model's role-cue column was fitted on what they matched. A model file records them, and a
    model trained under other ones is said on load (retraining is the fix); the scoring rules' lists are read only
    when scoring, and a tagged file's record carries them (:func:`word_lists_sha256`).

    Example:
        >>> len(role_cue_words_sha256()), role_cue_words_sha256() != word_lists_sha256()
        (64, True)
    """
    return _sha256_json({"roles": {label: [list(terms) for terms in parts] for label, parts in roles.ROLES.items()},
                         "plan_words": list(roles.PLAN_WORDS)})


def _sha256_json(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
