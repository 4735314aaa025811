"""Role cues: one column per label that says whether a sentence of the paragraph names, together, the parts of a
service the codebook's tests ask for — who or what gets it and what was done — and is no plan.

Bag-of-words features see a paragraph's words one by one (and in pairs): 老人 in one sentence and 更换 in another
score as they do in one. The codebook's tests join them: rule 3 (the elders are the beneficiaries of the service),
rule 4 (the facilities of a residential compound are upgraded), rule 6 (an enterprise or project gets supply faster),
and "plans, targets, promises → none". A role cue fires when a single sentence without a plan's word holds a term of
every role of its label:

==============================  ==========================================================================
label                           roles (a term of each in one sentence)
==============================  ==========================================================================
``elderly_care``                an elder (老人, 大爷, 八十多岁 …); a service act (检查, 更换, 慰问, 上门 …)
``old_neighbourhood_retrofit``  a place of homes (小区, 院, 楼, 胡同, 住户 …); a facility (线路, 表箱, 配电房 …);
                                an upgrade (改造, 更换, 增容, 投运 …)
``elevator_power_hookup``       电梯 / 加梯; supply (接电, 用电, 箱变, 容量 …)
``business_connection_speed``   an enterprise or project (企业, 园区, 项目, 合作社, 农场 …); getting supply (报装, 接电 …);
                                faster or easier (缩短, 压缩, 绿色通道, 3天 …)
``volunteer_work``              beyond duty (志愿, 义务, 免费, 慰问, 帮扶 …); an act (检查, 更换, 送, 上门 …)
==============================  ==========================================================================

The terms are the codebook's (its definitions, cue columns and tests), matched on normalised text (simplified
script); they live here, in code, as the codebook's other mechanical rules do (:mod:`tagger.model.rules`). Measured
on the real dev set (docs/modelling.md, *Role cues*): mean average precision 0.810 → 0.833, micro-F1 +0.01.

Example:
    >>> cues = RoleFeatures(scale=1.0)
    >>> cues.transform(["志愿者上门为独居老人更换了老化电线。"]).to_scipy().toarray().tolist()
    [[1.0, 0.0, 0.0, 0.0, 1.0]]
    >>> cues.transform(["下一步将为独居老人更换电线。", "老人很高兴。队员们更换了插座。"]).to_scipy().toarray().tolist()
    [[0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..labels import LABELS
from .rows import Rows

__all__ = ["ROLES", "PLAN_WORDS", "RoleFeatures", "role_cues", "role_terms"]

# one-character terms that stand inside other words, as patterns that leave those words out
AGE = "(?:[6-9][0-9]|1[0-1][0-9]|[六七八九]十[多余几]?|百)岁"  # an elder's age: 八十多岁, 92岁 (not 28岁)
HOUSEHOLD = "(?<![客用账农散商体])(?<!困难|贫困|帮扶|低保|五保|养殖|承包|加工)户(?![口外])"  # 住户, 每户, 一户一表 (not
# 客户, 用户, 个体户, 户外; nor the rural and poverty-relief households 困难户, 低保户, 养殖户 …, while 确保户表改造 keeps its 户)
COURTYARD = "(?<![医学法剧影寺])院(?![长士校])"  # 大院, 院落 (not 医院, 学院, 院长)
METER = "(?<![代发外图])表(?![示扬彰态达演格率])"  # 电表, 一户一表 (not 代表, 表示, 表扬)
LINE = "(?<![一在热路])线(?![上下索])"  # 进户线, 专线 (not 一线, 在线, 线上, 热线)
FACTORY = "(?<!电)厂"  # 厂区, 新厂 (not 电厂, a power plant)
DAYS = "(?:[0-9]|[一二三四五六七八九十两几半])(?:个)?(?:工作)?天"  # 3天, 两个工作天 (not 今天, 每天)

ROLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "elderly_care": (
        tuple("老人 老年 大爷 大妈 奶奶 爷爷 老两口 老伴 敬老院 养老院 孤寡 空巢 独居 五保 高龄 老党员 老同志".split())
        + (AGE,),
        tuple("检查 更换 安装 维修 送 慰问 上门 帮 排查 讲解 修 换 装".split())),
    "old_neighbourhood_retrofit": (
        tuple("小区 楼 宿舍 家属 胡同 城中村 社区 居民 住户 平房 棚户".split()) + (HOUSEHOLD, COURTYARD),
        tuple("线路 电线 配电房 配电室 变压器 电缆 开关 低压 表箱 台区".split()) + (METER, LINE),
        tuple("改造 更换 换 升级 增容 新建 新装 安装 整治 完成 投运 通电 入地".split())),
    "elevator_power_hookup": (
        ("电梯", "加梯"),
        tuple("接电 用电 供电 通电 箱变 变压器 电源 容量".split()) + (METER,)),
    "business_connection_speed": (
        tuple("企业 园区 项目 工厂 客户 商户 开发区 合作社 农场 养殖场 种植基地 个体户".split()) + (FACTORY,),
        tuple("报装 接电 送电 办电 用电申请 供电方案 装表 业扩 增容 获得电力 投产 用上电".split()),
        tuple("缩短 压缩 提速 绿色通道 提前 小时 一次 专人 上门 零 简化 加快 特派员 快".split()) + (DAYS,)),
    "volunteer_work": (
        tuple("志愿 义务 免费 公益 爱心 捐 慰问 帮扶 奉献".split()),
        tuple("检查 更换 送 上门 开展 走进 为 帮 修".split())),
}
"""Per label, its roles: a sentence holding a term of each (any order) is a role cue of that label. A term is a
regular expression; most are words as written, and the one-character ones that stand inside other words are
patterns that leave those words out (below)."""

PLAN_WORDS: tuple[str, ...] = tuple("将 计划 拟 预计 力争 争取 下一步 今后 要求 目标".split())
"""A sentence with one of these tells a plan, a target or a demand (codebook: none), or may: it gives no role cue.
将 is also the object marker ("将线路更换"), so a few sentences of work done are passed over: the cue is a hint
beside the other features, not a rule."""

_SENTENCE_END = re.compile("[。！？；!?;]")


def _any_of(terms: Sequence[str]) -> re.Pattern:
    return re.compile("|".join(sorted(terms, key=len, reverse=True)))


_ROLE_PATTERNS = [[_any_of(terms) for terms in ROLES[label]] for label in LABELS]
_PLAN = _any_of(PLAN_WORDS)


def role_cues(norm: str) -> list[bool]:
    """For each label (in :data:`~tagger.labels.LABELS` order), whether a sentence of the normalised paragraph
    ``norm`` without a plan's word holds a term of every role of the label.

    Example:
        >>> role_cues("该公司为园区企业开辟绿色通道,报装时间缩短一半。")
        [False, False, False, True, False]
        >>> role_cues("该公司计划为园区企业开辟绿色通道,报装时间缩短一半。")
        [False, False, False, False, False]
    """
    return [bool(terms) for terms in _first_matches(norm)]


def role_terms(norm: str, label: str) -> list[str]:
    """The terms that made ``label``'s role cue fire in the normalised paragraph ``norm``: one per role, as written in
    the first sentence that holds them all (``[]`` when the cue does not fire). They are substrings of ``norm``.

    Example:
        >>> role_terms("该公司为园区企业开辟绿色通道,报装时间缩短一半。", "business_connection_speed")
        ['园区', '报装', '绿色通道']
        >>> role_terms("下一步将为独居老人更换电线。", "elderly_care")
        []
    """
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}: one of {', '.join(LABELS)}")
    return _first_matches(norm)[LABELS.index(label)]


def _first_matches(norm: str) -> list[list[str]]:
    """Per label, the first sentence's matched term of each role (``[]``: no sentence holds them all)."""
    found: list[list[str]] = [[] for _ in LABELS]
    for sentence in _SENTENCE_END.split(norm):
        if not sentence or _PLAN.search(sentence):
            continue
        for j, patterns in enumerate(_ROLE_PATTERNS):
            if not found[j]:
                terms = []
                for pattern in patterns:
                    hit = pattern.search(sentence)
                    if hit is None:
                        break
                    terms.append(hit.group(0))
                else:
                    found[j] = terms
    return found


class RoleFeatures:
    """Role cues as 5 feature columns (one per label, 0 or ``scale``; see the module doc)."""

    def __init__(self, scale: float = 2.0) -> None:
        self.scale = scale

    @property
    def names_(self) -> list[str]:
        return [f"role:{lab}" for lab in LABELS]

    width = len(LABELS)

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """What a model file keeps of this block: its weight (the roles are code, as the codebook's rules)."""
        return {"scale": self.scale}, {}

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> RoleFeatures:
        return cls(config["scale"])

    def transform(self, norms: Sequence[str]) -> Rows:
        cues = np.array([role_cues(n) for n in norms], dtype=float).reshape(len(norms), len(LABELS))
        return Rows.dense(cues * self.scale)
