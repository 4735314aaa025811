"""The annotation loop: suggest -> fill -> import -> retrain, import validation, audit."""

import csv
import hashlib
import re
import io
import json
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tagger.annotation.audit as auditing
from tagger.annotation.audit import audit, find_label_issues_oof
from tagger.annotation.labelfiles import (
    SUGGEST_COLUMNS,
    guard_hash,
    import_csv,
    import_rows,
    read_label_csv,
    validate_record,
)
from tagger.annotation.suggest import (
    diversity_text,
    pick_diverse,
    SuggestResult,
    suggest,
    suggest_from_reports,
    suggest_paragraphs,
    write_suggestions,
)
from tagger.apps.cli import main
from tagger.common.files import sheet_row_note
from tagger.data.examples import IMPORTED_FILE, load_training_data, text_sha
from tagger.errors import InputError, LabelFileError
from tagger.labels import LABELS, parse_label_cell
from tagger.model.persistence import load_model
from tagger.text.normalize import normalize
from tagger.text.report import split_report

from helpers import BUSINESS, DEV_GONE, DEV_TEXT, ELDER, NEW_TEXT, TRADITIONAL, full_width, tiny_project

SEED_PARAGRAPH = ("元通一巷10号院是一个老旧小区,此前由于部分居民思想工作没做通,小区一直没有进行户表改造。小区居民经常被交电费的问题"
                  "困扰。为了彻底解决该小区的这个难题,今年2月份,高新共产党员服务队党支部组织党员逐户上门给居民做思想工作,最终所有居民"
                  "都同意进行一户一表改造。3月初,高新共产党员服务队党支部集中力量改造了小区5栋14个单元的279块电能表。")
MEETING = "公司召开党委会议,传达学习上级会议精神,部署下一阶段重点工作。"
REPORT_A = "\n".join([
    "当前位置: 首页 > 新闻动态",
    "社区里的供电服务队",
    "3月5日,国网某市供电公司党员志愿服务队走进城东敬老院,为28位孤寡老人免费检查室内线路,更换老化插座,并送去米面油等慰问品。",
    "该公司对建成于上世纪80年代的红星小区实施一户一表改造,更换老化表箱和进户线,小区300余户居民告别了合用电表。",
    "为老旧住宅加装电梯接电,供电公司开辟绿色通道,从受理申请到装表接电仅用5个工作日。",
    "供电公司客户经理主动上门服务新落户园区的电子企业,提前答复供电方案,企业从申请到接电投产仅用15天。",
    MEETING,
    SEED_PARAGRAPH,
    "受台风影响,多条线路跳闸,抢修人员连夜奋战,次日凌晨全部恢复供电。",
    MEETING,
    "评论",
]) + "\n"
REPORT_B = "\n".join([
    "办电服务再提速",
    "国网某县供电公司推行“三零”服务,小微企业低压接电实现零上门、零审批、零投资。",
    "供电所青年志愿者走进留守儿童之家,为孩子们讲解安全用电知识,并捐赠学习用品。",
    "供电公司与街道联合对黑楼道进行照明改造,为12栋老楼安装声控灯。",
]) + "\n"
# Body paragraphs of REPORT_A / REPORT_B that are new (not headings, not the seed text, not repeats).
NEW_IDS = {"new_a:2", "new_a:3", "new_a:4", "new_a:5", "new_a:6", "new_a:8", "new_b:1", "new_b:2", "new_b:3"}



def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _copy_project(root, work, authored=False):
    for name in ("seeds", "labels"):
        shutil.copytree(root / name, work / name)
    if not authored:  # the authored supplement is slow to train on and not needed here
        for path in (work / "labels").glob("authored*.jsonl"):
            path.unlink()
    return work


@pytest.fixture
def proj(tmp_path, root):
    """A project copy without the authored supplement."""
    return _copy_project(root, tmp_path / "proj")


@pytest.fixture(scope="module")
def model_file(cli_model):
    """A saved model trained on the seed paragraphs (conftest)."""
    return cli_model


@pytest.fixture
def reports(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "new_a.txt").write_text(REPORT_A, encoding="utf-8")
    (folder / "new_b.txt").write_text(REPORT_B, encoding="utf-8")
    return folder


def _read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _write_csv(path, rows, fieldnames=SUGGEST_COLUMNS, encoding="utf-8", **kw):
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(fieldnames), extrasaction="ignore", **kw)
        w.writeheader()
        w.writerows(rows)
    return path


class FakeModel:
    """Scores looked up by text; the thresholds of a real model."""

    thresholds_ = np.array([0.5, 0.5, 0.3, 0.3, 0.7])

    def __init__(self, scores):
        self.scores = scores

    def predict_proba(self, texts):
        return np.array([self.scores[t] for t in texts], dtype=float)

    def scores_from_norms(self, norms, kinds=None, reports=None):
        self.reports = reports
        return np.array([self.scores.get(t, [0.0] * 5) for t in norms], dtype=float)


# --------------------------------------------------------------------------- labels cell
def test_label_cells_follow_the_one_grammar():
    def labels(value):
        return validate_record({"id": "r:1", "text": "段落。", "text_sha": text_sha("段落。"), "labels": value},
                               "f.csv, row 3").labels

    assert labels("volunteer_work;elderly_care") == ("elderly_care", "volunteer_work")
    assert labels(" elderly_care , volunteer_work ") == ("elderly_care", "volunteer_work")
    assert labels("none") == () and labels("NONE") == ()
    assert labels("") is None and labels("  ; ") is None and labels(None) is None  # not reviewed
    assert labels([]) == () and labels(["volunteer_work"]) == ("volunteer_work",)  # the review page's lists
    for cell in ("elderly_care;volunteer_work", "none", "", [], ["volunteer_work", "elderly_care"]):
        expected = parse_label_cell(";".join(cell) if isinstance(cell, list) else cell, "x")
        assert labels(cell) == (() if isinstance(cell, list) and expected is None else expected)
    with pytest.raises(LabelFileError, match="f.csv, row 3: unknown label id 'lift'"):
        labels("lift")
    with pytest.raises(LabelFileError, match="'none' together with labels"):
        labels("none;elderly_care")
    with pytest.raises(LabelFileError, match="listed twice"):
        labels("elderly_care;elderly_care")
    with pytest.raises(LabelFileError, match="labels must be label ids"):
        labels([1])
    with pytest.raises(LabelFileError, match="a ;-separated cell or a list"):
        labels(3)


# --------------------------------------------------------------------------- suggest
def test_suggest_ranks_by_the_models_uncertainty_margin():
    from tagger.model.uncertainty import margin

    # thresholds 0.5, 0.5, 0.3, 0.3, 0.7: a label just above its threshold is wrong 28 times in 100,
    # one at 0.95 five times; scores read as probabilities, the expected wrong decisions add up
    scores = np.array([[0.95, 0.0, 0.0, 0.0, 0.72], [0.95, 0.0, 0.0, 0.0, 0.99], [0.05, 0.05, 0.05, 0.05, 0.05],
                       [0.0] * 5])
    m = margin(scores, FakeModel.thresholds_)
    np.testing.assert_allclose(np.exp(-m[:3]), [0.05 + 0.28, 0.05 + 0.01, 0.25])
    assert m[0] < m[2] < m[1] < m[3]  # all-zero rows (headings, empty) last
    assert np.isfinite(m).all()


def test_suggest_skips_captions_as_headings():
    """Review of the stop's change: suggest proposed photo captions for labelling, though the codebook gives them no
    label (the model gives them none, serve and labels export leave them out): a labelling budget spent on them."""
    texts = {"段落甲。": [0.5, 0.0, 0.0, 0.0, 0.0], "图为队员为老人检查线路（李明 摄）": [0.5, 0.0, 0.0, 0.0, 0.0]}
    paragraphs = split_report("\n".join(["一个标题", *texts]), "r")
    assert [p.kind for p in paragraphs] == ["heading", "body", "caption"]
    result = suggest(FakeModel(texts), paragraphs, set(), n=10)
    assert [s.text for s in result.suggestions] == ["段落甲。"] and result.n_headings == 2
    assert "2 headings and captions skipped" in result.summary()


def test_suggest_ranks_by_uncertainty_and_filters():
    texts = {f"段落{c}。": [0.5 + d, 0.0, 0.0, 0.0, 0.0] for c, d in zip("甲乙丙丁戊", [0.4, 0.01, 0.2, 0.05, 0.3])}
    labelled_text = "已经标注的段落。"
    texts[labelled_text] = [0.5] * 5
    report = "\n".join(["一个标题", *texts, "段落乙。"])  # heading, 6 paragraphs, a repeat of 段落乙
    paragraphs = split_report(report, "r")
    model = FakeModel(texts)
    result = suggest(model, paragraphs, {text_sha(labelled_text)}, n=10)
    assert model.reports == ["r"] * len(paragraphs)  # scored as tagger tag scores them: with their report
    assert (result.n_paragraphs, result.n_headings, result.n_labelled, result.n_duplicates,
            result.n_candidates) == (8, 1, 1, 1, 5)
    from tagger.model.uncertainty import margin

    candidates = [f"段落{c}。" for c in "甲乙丙丁戊"]
    by_margin = sorted(candidates, key=lambda t: margin(np.array([texts[t]]), FakeModel.thresholds_)[0])
    assert by_margin[0] == "段落乙。" and [s.text for s in result.suggestions] == by_margin
    first = result.suggestions[0]
    assert first.id == "r:2" and first.report == "r" and first.predicted == ("elderly_care",)
    expected = margin(np.array([texts["段落乙。"]]), FakeModel.thresholds_)[0]
    assert first.margin == pytest.approx(expected, abs=1e-4) and first.text_sha == text_sha("段落乙。")
    assert first.uncertainty == first.margin  # the old name, kept for code that reads it
    assert suggest(FakeModel(texts), paragraphs, (), n=0).suggestions == []


def test_pick_diverse_avoids_near_duplicates():
    dupes = [f"党员服务队为第{i}小区居民免费检查线路并更换老化插座。" for i in range(12)]
    others = ["企业报装接电实现零上门零审批零投资。", "为老旧住宅加装电梯开辟绿色通道。", "公司召开党委会议部署重点工作。",
              "台风过后抢修人员连夜恢复供电。", "志愿者走进留守儿童之家讲解安全用电。", "对黑楼道进行照明改造安装声控灯。"]
    margins = [0.01 + 0.001 * i for i in range(12)] + [0.1, 0.11, 0.12, 0.13, 0.14, 0.15]
    by_margin = sorted(range(18), key=lambda i: margins[i])[:4]
    assert all(i < 12 for i in by_margin)  # pure uncertainty would pick four near-duplicates
    picked, clusters = pick_diverse(dupes + others, margins, 4, seed=0)
    assert len(picked) == 4 and len(set(clusters)) == 4
    assert sum(i < 12 for i in picked) == 1 and picked[0] == 0  # one near-duplicate: the most uncertain
    assert picked == pick_diverse(dupes + others, margins, 4, seed=0)[0]  # deterministic
    assert pick_diverse(others, margins[:6], 10)[0] == [0, 1, 2, 3, 4, 5]  # fewer candidates than n


# Templated variants (tagger suggest spent 19 of 30 picks on variants of 11 sentences): one template's variants differ
# in numbers (ASCII digits, dates, Chinese numerals) and in the power utility's name only
TEMPLATES = ["今年以来,{c}累计为{n}家小微企业办理低压接电,平均接电时长{m}天。",
             "针对老旧小区线路老化、“黑楼道”等问题,{c}投资{n}万元实施一户一表改造,惠及居民{m}户。",
             "{d},受强降雨影响,10千伏线路发生故障,{c}立即启动应急预案,组织{n}名抢修人员连夜抢修。",
             "近日,{c}党员服务队走进辖区敬老院,为孤寡老人义务检查室内线路,更换老化插座{n}个。"]
UTILITIES = ["国网甲市供电公司", "南方电网珠海供电局", "国网丁市城区供电中心", "云南电网昆明供电局", "城关供电所"]
NUMBERS = ["3", "12", "299", "1,200", "二十", "两", "三百五十"]
DATES = ["2024/5/12", "5月12日", "十月一日", "2024-10-13"]


def _variant(template, c, n, m, d):
    return TEMPLATES[template].format(c=UTILITIES[c], n=NUMBERS[n], m=NUMBERS[m], d=DATES[d])


def test_pick_diverse_takes_one_variant_of_a_template():
    """Adversarial test: tagger suggest --n 30 on reports written from templates picked one sentence six times with
    another number and company name each time (character n-grams of the numbers and names told them apart)."""
    texts = [_variant(k % 4, k % 5, k % 7, (k * 3) % 7, k % 4) for k in range(20)]
    texts += ["为满足老旧住宅加装电梯的用电需求,开辟绿色通道。", "青年志愿者走进社区义务维修家用电器。"]
    margins = [0.5 - 0.01 * k for k in range(20)] + [0.9, 0.8]
    picked, clusters = pick_diverse(texts, margins, 10)
    assert len(picked) == 6 and sorted(k % 4 for k in picked if k < 20) == [0, 1, 2, 3]  # one pick a template
    assert picked == [19, 18, 17, 16, 21, 20]  # each template's most uncertain variant, most uncertain first
    assert len(set(clusters)) == 6 and pick_diverse(texts, margins, 10) == (picked, clusters)  # deterministic
    picked, clusters = pick_diverse(texts, margins, 3)  # fewer clusters than templates: no template twice either
    assert len(picked) == 3 and len({texts[i][:6] for i in picked}) == 3 and all(i in (16, 17, 18, 19, 20, 21)
                                                                                 for i in picked)


def test_pick_diverse_skips_a_near_repeat_but_keeps_a_paragraph_of_the_same_topic():
    one = "党员服务队走进城东敬老院为孤寡老人义务检查室内线路更换老化插座并送去慰问品。"
    near = one.replace("城东", "城西")  # a place name: no number, no utility, one character apart
    other = "服务队员还耐心为独居老人讲解安全用电知识,帮助他们更换了漏电保护器。"  # elderly care too, another text
    assert diversity_text(one) != diversity_text(near)
    picked, _ = pick_diverse([one, near, other], [0.2, 0.1, 0.3], 5)
    assert picked == [1, 2]


ELDER_WHO = ["党员服务队", "青年志愿者", "供电所员工", "客户经理"]
ELDER_WHERE = ["城东敬老院", "西关社区", "河湾村", "南街养老院", "北山镇"]
BUSINESS_WHAT = ["一家锂电材料企业", "园区食品加工厂", "新建物流仓库", "城南纺织车间", "一座冷链中心", "港口装卸码头"]
BUSINESS_HOW = ["提前上门答复供电方案", "开辟报装绿色通道", "线上办理全部手续", "并行推进外线施工", "免费延伸电网到红线"]


def test_pick_diverse_clusters_only_the_most_uncertain_candidates():
    """tagger suggest on a corpus of 20,000 paragraphs clustered all 17,000 candidates (K-means, k = n): 3 minutes for
    --n 50, 10 for --n 200, and each cluster gave its most uncertain paragraph however sure the model was of it (a
    cluster of paragraphs it is sure of gave one too). Only the POOL * n most uncertain candidates are clustered."""
    from tagger.annotation.suggest import POOL

    elder = [f"{who}走进{where}，为孤寡老人义务检查室内线路。" for who in ELDER_WHO for where in ELDER_WHERE]
    business = [f"供电公司为{what}{how}，从申请到接电大大提速。" for what in BUSINESS_WHAT for how in BUSINESS_HOW]
    n = 2
    assert len(elder) == POOL * n
    margins = [0.01 * k for k in range(len(elder))] + [5.0 + 0.01 * k for k in range(len(business))]
    picked, clusters = pick_diverse(elder + business, margins, n)
    assert len(picked) == n and all(i < len(elder) for i in picked), picked  # the model is sure of the others
    assert len(set(clusters)) == n and picked[0] == 0
    assert pick_diverse(elder + business, margins, n) == (picked, clusters)  # deterministic


def test_pick_diverse_fills_from_beyond_the_pool_when_its_clusters_repeat_each_other():
    """The pool's paragraphs that repeat a pick but for a few characters give no pick: the slots left go to the most
    uncertain candidates outside it, as they went to those of other clusters."""
    from tagger.annotation.suggest import POOL

    one = "党员服务队走进城东敬老院为孤寡老人义务检查室内线路更换老化插座并送去米面油等慰问品{}。"
    near = [one.format(c) for c in "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"]  # each a near-repeat of the others
    business = [f"供电公司为{what}{how}，从申请到接电大大提速。" for what in BUSINESS_WHAT for how in BUSINESS_HOW]
    n = 2
    assert len(near) == POOL * n
    margins = [0.01 * k for k in range(len(near))] + [5.0 + 0.01 * k for k in range(len(business))]
    picked, clusters = pick_diverse(near + business, margins, n)
    assert picked == [0, len(near)] and len(set(clusters)) == 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 6), st.integers(0, 6),
                          st.integers(0, 3), st.floats(0, 1)), min_size=1, max_size=25),
       st.integers(1, 8))
def test_pick_diverse_never_picks_two_variants_of_a_template(variants, n):
    texts = [_variant(t, c, k, m, d) for t, c, k, m, d, _ in variants]
    margins = [x[-1] for x in variants]
    picked, clusters = pick_diverse(texts, margins, n)
    templates = [variants[i][0] for i in picked]
    assert len(set(templates)) == len(templates) == min(n, len({t for t, *_ in variants}))
    assert [margins[i] for i in picked] == sorted(margins[i] for i in picked) and len(clusters) == len(picked)
    for i in picked:  # the most uncertain variant of its template
        assert margins[i] == min(x[-1] for x in variants if x[0] == variants[i][0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcdef"), max_size=30), st.integers(1, 6))
def test_report_chunks_cover_every_paragraph_and_cut_no_report(docs, size):
    from tagger.annotation.suggest import _report_chunks

    spans = _report_chunks(docs, size)
    assert [i for a, b in spans for i in range(a, b)] == list(range(len(docs)))  # in order, each once
    assert all(b - a >= size for a, b in spans[:-1])
    for a, b in spans:  # a report's paragraphs, wherever they are, in one span
        assert not {docs[i] for i in range(a, b)} & {docs[i] for i in range(len(docs)) if not a <= i < b}


def test_suggest_scores_whole_reports_a_chunk_at_a_time_with_a_bar_and_stops_between_chunks(model_file, monkeypatch,
                                                                                             capsys):
    """tagger suggest scored every paragraph of a corpus in one call: on 100,000 paragraphs 10 s and more without a
    bar, Ctrl-C (SIGTERM) unheard there. It scores whole reports a chunk at a time, with a bar on a terminal; the
    scores are those of one call (a report's paragraphs are scored together: report context), wherever its
    paragraphs are in the list."""
    import tagger.annotation.suggest as suggesting
    from tagger.common.signals import at_checkpoints

    model = load_model(model_file)
    a, b = split_report(REPORT_A, "new_a"), split_report(REPORT_B, "new_b")
    paragraphs = [*a[:4], *b, *a[4:]]  # one report's paragraphs on either side of another's
    whole = suggest(model, paragraphs, set(), n=30)
    calls = []
    scores = model.scores_from_norms
    monkeypatch.setattr(model, "scores_from_norms", lambda *args: calls.append(args[2]) or scores(*args),
                        raising=False)
    monkeypatch.setattr(suggesting, "_SCORE_CHUNK", 2)
    paragraphs += split_report("供电公司为园区企业开辟绿色通道。\n客户经理上门服务。", "new_c")
    capsys.readouterr()
    chunked = suggest(model, paragraphs, set(), n=30, progress=True)
    assert [set(docs) for docs in calls] == [{"new_a", "new_b"}, {"new_c"}]
    assert f"scoring:   0%|          | 0/{len(paragraphs)} " in capsys.readouterr().err  # the bar, of every paragraph
    assert {s.id: s.scores for s in chunked.suggestions if s.report != "new_c"} == {s.id: s.scores for s in
                                                                                   whole.suggestions}

    def stop():
        raise KeyboardInterrupt

    calls.clear()
    with at_checkpoints(stop), pytest.raises(KeyboardInterrupt):
        suggest(model, paragraphs, set(), n=30)
    assert len(calls) == 1  # stopped after the first chunk


def test_ctrl_c_while_suggest_clusters_exits_130_and_writes_nothing(proj, reports, model_file, tmp_path, monkeypatch,
                                                                    capsys):
    """Ctrl-C while tagger suggest clusters (the long step on a large corpus) ends the run as interrupted, with no
    file, complete or partial, at --output."""
    from sklearn.cluster import KMeans

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(KMeans, "fit_predict", ctrl_c)
    out = tmp_path / "to_label.csv"
    args = ["suggest", str(reports), "--root", str(proj), "--model", str(model_file), "--n", "2", "-o", str(out)]
    assert main(args) == 130
    assert "interrupted" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incoming", "proj"]  # nothing written beside them


def test_suggest_says_when_the_reports_hold_fewer_different_paragraphs_than_asked_for():
    texts = {normalize(_variant(0, c, c, 6 - c, 0)): [0.5 + 0.05 * c, 0.0, 0.0, 0.0, 0.0] for c in range(5)}
    texts[normalize(TEMPLATES[3].format(c="国网甲市供电公司", n="6"))] = [0.45, 0.0, 0.0, 0.0, 0.0]
    result = suggest(FakeModel(texts), split_report("\n".join(["一个标题", *texts]), "r"), set(), n=10)
    assert [s.id for s in result.suggestions] == ["r:1", "r:6"] and result.n_candidates == 6
    assert result.summary().startswith("2 of 6 unlabelled paragraphs suggested (") and result.summary().endswith(
        "; the other 4 repeat a suggested one but for numbers, names or a few characters, so fewer than the 10 "
        "asked for)")
    assert "asked for" not in suggest(FakeModel(texts), split_report("\n".join(texts), "r"), set(), n=2).summary()


def test_suggest_groups_its_counts_and_says_what_it_is_doing_before_the_long_part(caplog):
    """User test on 4,000 reports: tagger suggest said nothing for minutes (scoring, then clustering 10,526
    candidates), then "30 of 10526 unlabelled paragraphs suggested (19914 paragraphs read: … 4838 already
    labelled …)" where every other message groups thousands. A line before the scoring says what it does, and the
    summary's counts are grouped."""
    import logging

    said = SuggestResult([], n_paragraphs=19914, n_headings=62, n_labelled=4838, n_duplicates=4488,
                         n_candidates=10526, n_asked=30).summary()
    assert said == ("0 of 10,526 unlabelled paragraphs suggested (19,914 paragraphs read: 62 headings and captions "
                    "skipped, 4,838 already labelled, 4,488 repeated texts)")
    texts = {normalize(_variant(t, 0, 0, 3, 0)): [0.5, 0.0, 0.0, 0.0, 0.0] for t in range(4)}
    with caplog.at_level(logging.INFO, logger="tagger.annotation.suggest"):
        suggest(FakeModel(texts), split_report("\n".join(texts), "r"), set(), n=2)
    assert [r.getMessage() for r in caplog.records] == [
        "scoring 4 paragraphs, then picking 2 of the 4 not labelled yet, one per cluster of similar paragraphs"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tagger.annotation.suggest"):  # no clustering to wait for: no line
        suggest(FakeModel(texts), split_report("\n".join(texts), "r"), set(), n=4)
    assert caplog.records == []


def test_suggest_cli_writes_csv_and_never_overwrites(proj, reports, model_file, tmp_path, capsys):
    out = tmp_path / "to_label.csv"
    args = ["suggest", str(reports), "--root", str(proj), "--model", str(model_file), "--n", "30", "-o", str(out)]
    assert main(args) == 0
    stdout = capsys.readouterr().err  # logged: -q hides it
    assert "9 of 9 unlabelled paragraphs suggested" in stdout and "1 already labelled" in stdout
    assert "2 headings and captions skipped" in stdout and "1 repeated texts" in stdout and "tagger labels import" in stdout
    rows = _read_csv(out)
    assert tuple(rows[0]) == SUGGEST_COLUMNS
    assert {r["id"] for r in rows} == NEW_IDS
    for r in rows:
        assert r["labels"] == "" and r["text_sha"] == text_sha(r["text"]) and r["report"] == r["id"].split(":")[0]
        assert all(0.0 <= float(r[f"score_{lab}"]) <= 1.0 for lab in LABELS)
        assert parse_label_cell(r["predicted"], "predicted") is not None  # a label cell; "none" for no label
    margins = [float(r["margin"]) for r in rows]
    assert margins == sorted(margins)  # the least certain (smallest margin) first
    elder = next(r for r in rows if r["id"] == "new_a:2")
    assert "elderly_care" in parse_label_cell(elder["predicted"], "predicted")

    out.write_text("mine", encoding="utf-8")
    assert main(args) == 1
    assert "already exists" in capsys.readouterr().err and out.read_text(encoding="utf-8") == "mine"
    assert main(args + ["--force", "--n", "3"]) == 0
    assert len(_read_csv(out)) == 3


@pytest.mark.parametrize("via", ["name", "symlink"])
def test_suggest_never_writes_over_a_table_of_reports_it_reads(proj, model_file, tmp_path, capsys, via):
    """Adversarial test: suggest IN.csv --id-column id -o IN.csv --force (or -o a link to IN.csv) replaced the table
    of reports with the suggestions. As tag, stats and labels export do, it refuses an output that is an input,
    with --force too, before reading anything."""
    table = tmp_path / "reports.csv"
    _write_csv(table, [{"id": "r1", "text": REPORT_A}, {"id": "r2", "text": REPORT_B}], fieldnames=["id", "text"])
    before = table.read_bytes()
    out = table
    if via == "symlink":
        out = tmp_path / "to_label.csv"
        out.symlink_to(table.name)
    argv = ["suggest", str(table), "--id-column", "id", "--root", str(proj), "--model", str(model_file), "-o", str(out)]
    assert main([*argv, "--force"]) == 1
    assert f"error: {out}: is also an input; choose another --output" in capsys.readouterr().err
    assert table.read_bytes() == before
    other = tmp_path / "other.csv"
    assert main(["-q", *argv[:-1], str(other)]) == 0 and other.is_file()  # the same run with another output works


def test_suggest_refuses_reports_read_as_mojibake_and_writes_nothing(proj, reports, model_file, tmp_path, capsys):
    """Hunt: tagger suggest DIR --encoding latin-1 warned per report "its labels mean nothing — re-export it" and
    still wrote a CSV of mojibake to label (exit 0). The run is refused, naming the reports; nothing is written."""
    for f in reports.iterdir():
        f.write_bytes(f.read_text(encoding="utf-8").encode("gbk"))
    out = tmp_path / "to_label.csv"
    argv = ["suggest", str(reports), "--root", str(proj), "--model", str(model_file), "-o", str(out)]
    assert main([*argv, "--encoding", "latin-1"]) == 1
    err = capsys.readouterr().err
    assert ("error: new_a, new_b: read as text decoded with a wrong encoding (no Chinese character, many accented "
            "Latin letters: GBK read as Latin-1), so their suggestions would be labelled as nonsense; nothing is "
            "written; read them as GBK (--encoding gb18030, or no --encoding: the default reads UTF-8, else "
            "GB18030), or re-export them if their files hold these characters") in err
    assert "labels mean nothing" not in err and err.count("\n") == 1, err  # said once: no warning per report too
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["incoming", "proj"]
    table = tmp_path / "reports.csv"  # a table of reports whose text is mojibake: the same
    _write_csv(table, [{"id": "r1", "text": REPORT_A.encode("gbk").decode("latin-1")}, {"id": "r2", "text": REPORT_B}],
               fieldnames=["id", "text"])
    assert main(["suggest", str(table), "--id-column", "id", *argv[2:]]) == 1
    err = capsys.readouterr().err
    assert "error: r1: reads as text decoded with a wrong encoding" in err and "labels mean nothing" not in err, err
    assert not out.exists()
    assert main([*argv, "-q"]) == 0 and out.is_file()  # read as they are (GB18030): suggested
    # a report that gives no paragraph to suggest (one short line, read as page chrome), which the error cannot
    # name, is still warned of
    (reports / "short.txt").write_text("国网杭州供电公司开展志愿服务".encode("gbk").decode("latin-1"), encoding="utf-8")
    assert main([*argv, "--force"]) == 0
    err = capsys.readouterr().err
    assert "short: no Chinese character" in err and "labels mean nothing" in err, err


def test_an_existing_suggestion_csv_is_refused_in_the_callers_words(proj, reports, model_file, tmp_path, capsys):
    """Read-through: write_suggestions, called from Python, told its caller to "choose another --output, or pass
    --force", options a Python caller has not got; the command line still names them."""
    out = tmp_path / "to_label.csv"
    out.write_text("mine", encoding="utf-8")
    with pytest.raises(InputError) as refused:
        write_suggestions([], out)
    assert str(refused.value) == (f"{out}: already exists and may hold labels you filled in; choose another path, "
                                  "or pass force=True to overwrite it")
    argv = ["suggest", str(reports), "--root", str(proj), "--model", str(model_file), "-o", str(out)]
    assert main(argv) == 1
    assert capsys.readouterr().err == (f"error: {out}: already exists and may hold labels you filled in; choose "
                                       "another --output, or pass --force to overwrite it\n")
    assert out.read_text(encoding="utf-8") == "mine"


def test_suggest_reads_word_reports_and_leaves_out_hidden_files(tmp_path):
    """Reports are written in Word: a folder of .docx reports was "no *.txt reports"; an editor's hidden copy
    (.~lock, .a.txt.swp) was read as a report."""
    import zipfile

    from tagger.annotation.suggest import collect_reports

    folder = tmp_path / "new"
    folder.mkdir()
    with zipfile.ZipFile(folder / "w1.docx", "w") as z:
        z.writestr("word/document.xml", '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
                   '2006/main"><w:body><w:p><w:r><w:t>党员为孤寡老人检查线路。</w:t></w:r></w:p></w:body></w:document>')
    (folder / ".w1.txt").write_text("编辑器的临时副本。\n", encoding="utf-8")
    assert [(p.id, p.text) for p in collect_reports([folder])] == [("w1:0", "党员为孤寡老人检查线路。")]
    # a saved web page is read as its story; its _files/ folder (frames, scripts) is not a report
    (folder / "p1_files").mkdir()
    (folder / "p1.htm").write_bytes("<html><body><nav><a>首页</a></nav><p>公司开辟绿色通道为企业接电。</p>"
                                    "</body></html>".encode("gb18030"))
    (folder / "p1_files" / "frame.html").write_text("<p>广告:某品牌电器促销。</p>", encoding="utf-8")
    assert [(p.id, p.text) for p in collect_reports([folder])] == [("p1:0", "公司开辟绿色通道为企业接电。"),
                                                                   ("w1:0", "党员为孤寡老人检查线路。")]
    # a stats page tagger wrote beside the saved pages is no report (tagger tag leaves it out too)
    from tagger.analysis.report import _page

    (folder / "counts.html").write_text(_page("{}"), encoding="utf-8")
    assert [p.id for p in collect_reports([folder])] == ["p1:0", "w1:0"]


def test_suggest_reads_txt_files_in_any_case_and_skips_folders_named_txt(proj, reports, model_file, tmp_path):
    """In a folder, B.TXT (as Windows names come; tagger tag reads it) was left out without a word, and a
    folder named notes.txt stopped the run ("is a directory")."""
    (reports / "new_a.txt").rename(reports / "NEW_A.TXT")
    (reports / "notes.txt").mkdir()
    out = tmp_path / "to_label.csv"
    assert main(["-q", "suggest", str(reports), "--root", str(proj), "--model", str(model_file), "-o", str(out)]) == 0
    assert {r["report"] for r in _read_csv(out)} == {"NEW_A", "new_b"}


def test_quiet_suggest_says_nothing(proj, reports, model_file, tmp_path, capsys):
    out = tmp_path / "to_label.csv"
    assert main(["suggest", str(reports), "--root", str(proj), "--model", str(model_file), "-o", str(out), "-q"]) == 0
    assert capsys.readouterr() == ("", "") and out.exists()

def test_write_suggestions_guards_formulas(proj, tmp_path, model_file):
    number_like = next(t for t in (f"第{i}段为孤寡老人检查线路。" for i in range(100_000))
                       if guard_hash(text_sha(t)) != text_sha(t))  # Excel would turn its hash into a number
    report = f"=HYPERLINK(\"http://x\")供电公司为孤寡老人检查线路。\n-2℃寒潮中志愿者走访慰问五保户。\n{number_like}\n"
    paragraphs = split_report(report, "-f")
    result = suggest(load_model(model_file), paragraphs, (), n=5)
    out = write_suggestions(result.suggestions, tmp_path / "s.csv")
    rows = _read_csv(out)
    assert all(r["id"].startswith("'-f:") and r["report"] == "'-f" for r in rows)
    assert sorted(r["text"][:1] for r in rows) == ["'", "'", "第"]
    assert next(r for r in rows if r["text"] == number_like)["text_sha"] == "'" + text_sha(number_like)
    with pytest.raises(InputError, match="already exists"):
        write_suggestions(result.suggestions, out)
    for r in rows:
        r["labels"] = "elderly_care"
    _write_csv(out, rows)
    imported = read_label_csv(out)
    assert sorted(r.text for r in imported) == sorted(p.text for p in paragraphs)  # the guards are undone
    assert sorted(r.id for r in imported) == ["-f:0", "-f:1", "-f:2"] and {r.doc for r in imported} == {"-f"}
    assert sorted(import_csv(out, proj).added) == ["-f:0", "-f:1", "-f:2"]
    assert {e.text for e in load_training_data(proj) if e.source == "imported"} == {p.text for p in paragraphs}


def test_suggest_column_is_margin_and_old_uncertainty_files_still_import(proj, reports, model_file, tmp_path, capsys):
    """The CSV's 'uncertainty' column held a certainty margin (27.6310 for the surest row, -0.2290 for the least
    sure), read backwards by its users: it is 'margin' now (smaller = less certain, ranked first). A file an
    earlier release wrote, with 'uncertainty', imports as before, and labels export does not carry the old column
    along as metadata."""
    import re

    from tagger.annotation.interop import read_export_source
    from tagger.model.uncertainty import expected_errors

    out = tmp_path / "to_label.csv"
    assert main(["suggest", str(reports), "--root", str(proj), "--model", str(model_file), "-o", str(out)]) == 0
    assert "column margin: -log of that number, smaller = less certain, ranked first" in capsys.readouterr().err
    rows = _read_csv(out)
    assert "margin" in rows[0] and "uncertainty" not in rows[0]
    model = load_model(model_file)
    for r in rows:  # -log of the expected wrong decisions (from the scores, written to 3 decimals)
        scores = np.array([[float(r[f"score_{lab}"]) for lab in LABELS]])
        assert np.exp(-float(r["margin"])) == pytest.approx(expected_errors(scores, model.thresholds_)[0], abs=3e-3)
        assert re.fullmatch(r"-?\d+\.\d{4}", r["margin"])

    old = tmp_path / "old_release.csv"  # as tagger suggest wrote it before: 'uncertainty' in place of 'margin'
    legacy = [c if c != "margin" else "uncertainty" for c in SUGGEST_COLUMNS]
    filled = [{**{("uncertainty" if k == "margin" else k): v for k, v in r.items()}, "labels": "none"}
              for r in rows]
    _write_csv(old, filled, fieldnames=legacy)
    assert read_export_source(old).items[0].extra == {}  # the old column is no task metadata
    assert main(["-q", "labels", "import", str(old), "--root", str(proj)]) == 0
    imported = {e.id for e in load_training_data(proj) if e.source == "imported"}
    assert imported == {r["id"] for r in rows}


# --------------------------------------------------------------------------- the whole loop
def test_loop_suggest_fill_import_retrain(tmp_path, root, reports, model_file, capsys):
    from tagger.training import load_resources, train

    proj = _copy_project(root, tmp_path / "full", authored=True)  # the real layout, authored supplement included
    out = tmp_path / "to_label.csv"
    assert main(["suggest", str(reports), "--root", str(proj), "--model", str(model_file), "-o", str(out)]) == 0
    rows = _read_csv(out)
    gold = {"new_a:2": "elderly_care;volunteer_work", "new_a:3": "old_neighbourhood_retrofit",
            "new_a:4": "elevator_power_hookup;business_connection_speed", "new_a:5": "business_connection_speed",
            "new_a:6": "none", "new_a:8": "none", "new_b:1": "business_connection_speed",
            "new_b:2": "volunteer_work", "new_b:3": ""}  # new_b:3 left for later
    for r in rows:
        r["labels"] = gold[r["id"]]
    _write_csv(out, rows, encoding="utf-8-sig", lineterminator="\r\n")  # as Excel saves "CSV UTF-8"
    seeds_before = (proj / "labels" / "seeds.csv").read_bytes()
    capsys.readouterr()

    assert main(["labels", "import", str(out), "--root", str(proj)]) == 0
    printed = capsys.readouterr().out
    assert "8 added, 0 updated, 0 unchanged" in printed and "1 row(s) not reviewed yet" in printed
    assert (proj / "labels" / "seeds.csv").read_bytes() == seeds_before
    lines = [json.loads(x) for x in (proj / IMPORTED_FILE).read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 8 and set(lines[0]) == {"id", "doc", "text", "labels", "source", "text_sha"}
    row = next(x for x in lines if x["id"] == "new_a:4")
    assert row["doc"] == "new_a" and row["source"] == "imported" and row["text_sha"] == text_sha(row["text"])
    assert row["labels"] == ["elevator_power_hookup", "business_connection_speed"]
    assert next(x for x in lines if x["id"] == "new_a:6")["labels"] == []

    examples = load_training_data(proj)
    imported = {e.id: e for e in examples if e.source == "imported"}
    assert set(imported) == NEW_IDS - {"new_b:3"}
    assert imported["new_a:2"].labels == ("elderly_care", "volunteer_work") and imported["new_a:2"].doc == "new_a"

    res = load_resources(proj, use_authored=False)  # retrain (as python train.py --no-authored)
    assert len(res.examples) == res.n_real == 109 + 8
    model_out = train(res).save(tmp_path / "retrained.npz")

    # Suggesting again: the imported paragraphs are now "already labelled"; only new_b:3 is left.
    out2 = tmp_path / "again.csv"
    assert main(["suggest", str(reports), "--root", str(proj), "--model", str(model_out), "-o", str(out2)]) == 0
    assert [r["id"] for r in _read_csv(out2)] == ["new_b:3"]


# --------------------------------------------------------------------------- import policy
def _filled(reports, proj, model_file, tmp_path, labels):
    result = suggest_from_reports(load_model(model_file), [reports], proj, n=30)
    out = write_suggestions(result.suggestions, tmp_path / "filled.csv", force=True)
    rows = _read_csv(out)
    for r in rows:
        r["labels"] = labels.get(r["id"], "none")
    return _write_csv(out, rows), rows


def test_import_keeps_existing_rows_unless_update(proj, reports, model_file, tmp_path):
    path, rows = _filled(reports, proj, model_file, tmp_path, {"new_a:2": "elderly_care", "new_b:3": ""})
    first = import_csv(path, proj)
    assert len(first.added) == 8 and first.not_reviewed == ["new_b:3"] and first.changed
    target = proj / IMPORTED_FILE
    before = target.read_bytes()

    dry = import_csv(path, proj, dry_run=True)
    assert dry.added == [] and len(dry.unchanged) == 8 and not dry.changed

    for r in rows:
        r["labels"] = {"new_a:2": "elderly_care;volunteer_work", "new_b:3": "old_neighbourhood_retrofit"}.get(
            r["id"], r["labels"])
    _write_csv(path, rows)
    kept = import_csv(path, proj)
    assert kept.conflicts == ["new_a:2"] and kept.added == ["new_b:3"] and "--update" in kept.summary()
    after = target.read_bytes()
    assert after.startswith(before)  # every existing line byte-for-byte; the new row appended

    assert import_csv(path, proj, update=True, dry_run=True).updated == ["new_a:2"]
    assert target.read_bytes() == after  # dry run wrote nothing
    updated = import_csv(path, proj, update=True)
    assert updated.updated == ["new_a:2"] and len(updated.unchanged) == 8
    lines = target.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[[json.loads(x)["id"] for x in lines].index("new_a:2")])["labels"] == [
        "elderly_care", "volunteer_work"]
    old = before.decode("utf-8").splitlines()
    assert [x for x in lines if '"new_a:2"' not in x][: len(old) - 1] == [x for x in old if '"new_a:2"' not in x]


def test_import_skips_text_labelled_elsewhere_and_rejects_id_clash(proj):
    seed_id = "002_e2866e68cd292b62:6"
    row = {"id": "other:3", "text": SEED_PARAGRAPH, "text_sha": text_sha(SEED_PARAGRAPH),
           "labels": ["old_neighbourhood_retrofit"]}  # the seed's own labels
    result = import_rows([row], proj, source="page")
    assert result.already_labelled == [("other:3", f"seed {seed_id}")] and not result.changed
    assert not result.disagreements and not (proj / IMPORTED_FILE).exists()
    # review: a different decision on the same text was skipped like an agreeing one, never named
    result = import_rows([{**row, "labels": ["elderly_care"]}], proj, source="page")
    assert result.disagreements == [("other:3", f"elderly_care vs seed {seed_id} (old_neighbourhood_retrofit)")]
    assert not result.already_labelled and not result.changed and not (proj / IMPORTED_FILE).exists()
    assert "1 row(s) repeat a paragraph labelled elsewhere with OTHER labels" in result.summary()
    clash = {"id": seed_id, "text": MEETING, "text_sha": text_sha(MEETING), "labels": "none"}
    with pytest.raises(LabelFileError, match=r"page, row 1: id 002_e2866e68cd292b62:6 is already used by a seed"):
        import_rows([clash], proj, source="page")
    with pytest.raises(LabelFileError, match="not a tagger project"):
        import_rows([row], proj / "nowhere")


@pytest.mark.parametrize("change, message", [
    (lambda rows: rows[1].update(labels="lift"), r"csv:3: unknown label id 'lift'"),
    (lambda rows: rows[0].update(text=rows[0]["text"] + "改"), r"csv:2: the text of new_[ab]:\d was changed"),
    (lambda rows: rows[2].update(id=rows[0]["id"], report=rows[0]["report"]),
     r"csv:4: duplicate id new_[ab]:\d \(first at .*csv:2\)"),
    (lambda rows: rows[2].update(text=rows[0]["text"], text_sha=rows[0]["text_sha"]), r"csv:4: same paragraph text as"),
    (lambda rows: rows[0].update(text_sha="1.23457E+15"), r"csv:2: text_sha '1.23457e\+15' is not a 16-character"),
    (lambda rows: rows[0].update(id="new_a-2"), r"csv:2: id 'new_a-2' is not '<report>:<paragraph index>'"),
    (lambda rows: rows[0].update(id=rows[0]["report"] + ":x"), r"csv:2: id 'new_[ab]:x' is not"),
    (lambda rows: rows[0].update(report="other"), r"csv:2: report 'other' does not match id"),
    (lambda rows: rows[0].update(id=""), r"csv:2: empty id"),
])
def test_import_validation_names_the_row(proj, reports, model_file, tmp_path, change, message):
    path, rows = _filled(reports, proj, model_file, tmp_path, {})
    change(rows)
    _write_csv(path, rows)
    with pytest.raises(LabelFileError, match=message) as info:
        import_csv(path, proj)
    assert "filled.csv" in str(info.value) and "nothing was imported" in str(info.value)
    assert not (proj / IMPORTED_FILE).exists()


def test_import_reports_every_problem_at_once(proj, reports, model_file, tmp_path, capsys):
    path, rows = _filled(reports, proj, model_file, tmp_path, {})
    rows[0]["labels"], rows[3]["labels"] = "lift", "none;volunteer_work"
    _write_csv(path, rows)
    assert main(["labels", "import", str(path), "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert "2 problems, nothing was imported" in err and "filled.csv:2:" in err and "filled.csv:5:" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"\xef\xbb\xbf\r\n", "the file is empty"),
    (b"id,text,labels,text_sha\r\n", "no rows under the header"),
    (b"id,text,labels\r\nx:1,a,none\r\n", "missing column(s) text_sha"),
    (b"id,text,labels,text_sha,labels\r\n", "column 'labels' appears twice"),
    (b"id,text,labels,text_sha\r\nx:1,a,none,0123456789abcdef,extra\r\n", "csv:2: 5 cells but the header has 4"),
    (b"PK\x03\x04\x00\x00binary", "binary file"),
])
def test_import_rejects_malformed_files(proj, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(LabelFileError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        import_csv(path, proj)
    assert "bad.csv" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b" \r\n\r\n", b"\xef\xbb\xbf\xe3\x80\x80\n"])
@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl"])
def test_labels_import_says_an_empty_file_is_empty_with_or_without_from(proj, tmp_path, capsys, content, name):
    """iofix: tagger labels import EMPTY --from tagger said "the file is empty; expected the CSV written by tagger
    suggest (header id,report,text,…,text_sha)", where the same file without --from (and every other reader of a
    labelled file) says only that it is empty (tagger.common.files.EMPTY_FILE): now the same short line."""
    path = tmp_path / name
    path.write_bytes(content)
    for option in (["--from", "tagger"], []):
        assert main(["labels", "import", str(path), "--root", str(proj), *option]) == 1
        assert capsys.readouterr().err == f"error: {path}: the file is empty\n", option


def test_import_excel_variants(proj, tmp_path):
    a, b = "供电公司为孤寡老人检查线路。", "企业接电时间压缩至15天。"
    header = "id,report,text,labels,note,text_sha"
    body = (f'{header}\r\nx:1,x,"{a}",elderly_care;volunteer_work,"first line\r\nsecond line",{text_sha(a)}\r\n'
            f'x:2,x,{b},business_connection_speed,,{text_sha(b)}\r\n,,,,,\r\n')
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))  # BOM, CRLF, a quoted newline, a trailing empty row
    rows = read_label_csv(path)
    assert [(r.id, r.labels) for r in rows] == [("x:1", ("elderly_care", "volunteer_work")),
                                                ("x:2", ("business_connection_speed",))]
    gb = tmp_path / "gb.csv"  # Excel "CSV" on a Chinese Windows: GB18030, and tab delimiters in some exports
    gb.write_bytes(body.replace(",", "\t").replace(";volunteer_work", "").encode("gb18030"))
    assert [r.labels for r in read_label_csv(gb)] == [("elderly_care",), ("business_connection_speed",)]
    bad = tmp_path / "bad.csv"  # a row after a quoted newline: spreadsheet row 3 is on line 4
    bad.write_bytes(body.replace("business_connection_speed", "lift").encode("utf-8"))
    with pytest.raises(LabelFileError, match=r"bad.csv:4 \(row 3 in a spreadsheet\): unknown label id 'lift'"):
        read_label_csv(bad)
    assert import_csv(path, proj).added == ["x:1", "x:2"]


def test_a_label_file_saved_as_a_workbook_gets_the_fix_that_fits(proj, tmp_path, capsys):
    """Review: a suggestion CSV filled in Excel and saved as .xlsx was refused with 'name it .xlsx, and it is read as
    one' — it was named .xlsx; label files and test files are read as text."""
    import pandas as pd

    book = tmp_path / "filled.xlsx"
    pd.DataFrame({"id": ["x:1"], "text": ["供电公司为孤寡老人检查线路。"], "labels": ["elderly_care"]}).to_excel(book, index=False)
    for command in (["labels", "import", str(book), "--root", str(proj)],
                    ["evaluate", "--test", str(book), "--root", str(proj)]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert (f"{book}: an Excel workbook (.xlsx), not text: this command reads text files here: save it as CSV "
                "UTF-8 (in Excel: Save As › CSV UTF-8)") in err and "name it .xlsx" not in err, err


def test_a_test_file_saved_as_parquet_or_sqlite_is_named_for_what_it_is(proj, tmp_path, capsys, cli_model):
    """evaluate --test on a Parquet file advised re-saving it as UTF-8 for "a line in another encoding, e.g. GBK,
    pasted" (review)."""
    import sqlite3

    import pandas as pd

    pq = tmp_path / "t.parquet"
    pd.DataFrame({"text": ["供电公司为孤寡老人检查线路。"], "labels": ["elderly_care"]}).to_parquet(pq)
    db = tmp_path / "t.jsonl"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE t (text TEXT)")
    for path, message in ((pq, "a Parquet file, not text: this command reads text files here: save it as JSONL or "
                               "CSV UTF-8 (pandas: pd.read_parquet(f).to_json(out, orient='records', lines=True"),
                          (db, "an SQLite database, not text: export the table as CSV UTF-8")):
        assert main(["evaluate", "--test", str(path), "--root", str(proj), "--model", cli_model]) == 1
        err = capsys.readouterr().err
        assert f"{path}: {message}" in err and "GBK" not in err, err
    mis = tmp_path / "reports.txt"
    mis.write_bytes(pq.read_bytes())
    assert main(["tag", str(mis), "-o", str(tmp_path / "out.jsonl"), "--model", cli_model]) == 1
    assert f"{mis}: a Parquet file, not text: tagger tag reads it named .parquet; a command that reads text files" \
           in capsys.readouterr().err


def test_import_reads_a_paragraph_longer_than_the_csv_modules_default_cell(proj, tmp_path):
    """A filled suggestion CSV with a paragraph over 131,072 characters (the csv module's default cell limit) was
    refused as 'malformed CSV (field larger than field limit)', though labels export read the same file."""
    text = "供电公司为孤寡老人检查线路。" * 10_000
    path = tmp_path / "long.csv"
    path.write_text(f"id,text,labels,text_sha\nlong:1,{text},elderly_care,{text_sha(text)}\n", encoding="utf-8")
    old = csv.field_size_limit(131_072)  # the default again: other readers raise it for the whole process
    try:
        assert [(r.id, r.labels) for r in read_label_csv(path)] == [("long:1", ("elderly_care",))]
    finally:
        csv.field_size_limit(old)


def test_cli_user_errors_have_no_traceback(proj, tmp_path, capsys):
    assert main(["labels", "import", str(tmp_path / "nope.csv"), "--root", str(proj)]) == 1
    err = capsys.readouterr().err
    assert "nope.csv: no such file" in err and "Traceback" not in err
    (tmp_path / "r.txt").write_text(REPORT_B, encoding="utf-8")
    assert main(["suggest", str(tmp_path / "r.txt"), "--root", str(proj), "--model", str(tmp_path / "m.npz"),
                 "-o", str(tmp_path / "o.csv")]) == 1
    assert "no model file" in capsys.readouterr().err
    assert main(["labels"]) == 2 and main(["suggest", "x.txt", "--n", "0"]) == 2


@pytest.mark.parametrize("name,content", [
    ("reports.csv", 'id,body\nr1,"为民服务\n党员志愿者为孤寡老人义务检查线路。"\nr2,"加快办电\n为企业缩短接电时间。"\n'),
    ("reports.jsonl", '{"id": "r1", "body": "为民服务\\n党员志愿者为孤寡老人义务检查线路。"}\n'
                      '{"id": "r2", "body": "加快办电\\n为企业缩短接电时间。"}\n'),
])
def test_suggest_reads_a_table_of_reports_as_tag_does(proj, model_file, tmp_path, capsys, name, content):
    """User test: tagger suggest refused a CSV of reports (save each report as REPORT_ID.txt in a directory), the
    input the walk-through tags: an analyst with a table had to split it by hand. A table is read as tag reads it
    (--text-column, --id-column), each row a report split into paragraphs; before, a table read as text would have
    been one report of CSV text, so it was refused."""
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "to_label.csv"
    assert main(["suggest", str(src), "--text-column", "body", "--id-column", "id", "--root", str(proj), "--model",
                 str(model_file), "-o", str(out)]) == 0
    rows = _read_csv(out)
    assert {(r["id"], r["report"], r["text"]) for r in rows} == {
        ("r1:1", "r1", "党员志愿者为孤寡老人义务检查线路。"), ("r2:1", "r2", "为企业缩短接电时间。")}  # headings left out
    assert main(["suggest", str(src), "--root", str(proj), "--model", str(model_file), "-o", str(out), "--force"]) == 1
    err = capsys.readouterr().err
    assert name in err and ("no column 'text'" in err or "no 'text' field" in err), err
    assert "Traceback" not in err


@pytest.mark.parametrize("name,content,says", [("reports.xlsx", "not really a workbook", "not a readable .xlsx"),
                                                ("reports.parquet", "not really parquet", "not a readable Parquet")])
def test_suggest_names_a_table_it_cannot_read(proj, model_file, tmp_path, capsys, name, content, says):
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "to_label.csv"
    assert main(["suggest", str(src), "--root", str(proj), "--model", str(model_file), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert name in err and says in err and "Traceback" not in err and not out.exists(), err


def test_suggest_on_tables_leaves_out_empty_rows_reads_a_table_once_and_refuses_tags_output(proj, model_file,
                                                                                         tmp_path, capsys):
    """Review: one empty text cell stopped the run ("nothing to tag"); the same table given twice was a clash of
    ids; a file tag wrote was read as reports, each paragraph one, headings suggested for labelling."""
    src = tmp_path / "r.csv"
    src.write_text("id,text\nr1,\"为民服务\n党员志愿者为孤寡老人义务检查线路。\"\nr2,\nr3,为企业缩短接电时间。\n",
                   encoding="utf-8")
    out = tmp_path / "to_label.csv"
    args = ["--id-column", "id", "--root", str(proj), "--model", str(model_file), "-o", str(out)]
    assert main(["suggest", str(src), str(src), *args]) == 0
    err = capsys.readouterr().err
    assert f"{src}:4 (row 3 in a spreadsheet) (id 'r2'): left out: no paragraphs in its text" in err, err
    assert {r["id"] for r in _read_csv(out)} == {"r1:1", "r3:0"}
    tagged = tmp_path / "tagged.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--model", str(model_file), "-o", str(tagged)]) == 0
    assert main(["suggest", str(tagged), *args, "--force"]) == 1
    assert "tagged.jsonl: tag's output, written by tagger: its rows are not reports" in capsys.readouterr().err
    # its own suggestion CSV named as an input (review: read as reports, its guarded cells' "'" reached training)
    again = tmp_path / "again.csv"
    assert main(["suggest", str(out), "--root", str(proj), "--model", str(model_file), "-o", str(again)]) == 1
    assert (f"{out}: paragraphs with their text_sha (labels export, suggest, a label file, or a tool's export of "
            "them), written by tagger: its rows are not reports") in capsys.readouterr().err
    assert not again.exists()


def test_suggest_refuses_a_report_id_given_twice_across_its_inputs(proj, model_file, reports, tmp_path, capsys):
    """Paragraph ids <report>:<n> would clash: a table row whose id is a report file's name is refused by name."""
    src = tmp_path / "more.csv"
    src.write_text("id,text\nnew_a,党员志愿者为孤寡老人义务检查线路。\n", encoding="utf-8")
    out = tmp_path / "to_label.csv"
    assert main(["suggest", str(reports), str(src), "--id-column", "id", "--root", str(proj), "--model",
                 str(model_file), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "report id 'new_a' is given to two reports" in err and "more.csv" in err and not out.exists()


@pytest.mark.parametrize("name", ["to_label.jsonl", "to_label.xlsx", "to_label"])
def test_suggest_output_must_be_csv(proj, reports, model_file, tmp_path, capsys, name):
    out = tmp_path / name
    assert main(["suggest", str(reports), "--root", str(proj), "--model", str(model_file), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{name}: suggestions are written as CSV" in err and "FILE.csv" in err and not out.exists()


def test_suggest_default_model_is_the_shared_rule(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TAGGER_MODEL", str(tmp_path / "from_env.npz"))
    (tmp_path / "r.txt").write_text(REPORT_B, encoding="utf-8")
    assert main(["suggest", str(tmp_path / "r.txt"), "-o", str(tmp_path / "o.csv")]) == 1
    assert "from_env.npz: no model file" in capsys.readouterr().err


# --------------------------------------------------------------------------- audit
def test_find_label_issues_oof_rule():
    y = np.zeros((6, 5), int)
    y[0, 0] = y[1, 0] = y[2, 0] = 1
    s = np.full((6, 5), 0.01)
    s[0, 0], s[1, 0], s[2, 0] = 0.05, 0.4, 0.9  # gold 1: far below, a little below, agrees
    s[3, 4], s[4, 4] = 0.99, 0.75  # gold 0: far above / just above threshold 0.7
    thr = np.array([0.5, 0.5, 0.3, 0.3, 0.7])
    items = find_label_issues_oof(y, s, thr, top=20, min_confidence=0.5)
    assert [(d["row"], d["label"], d["gold"]) for d in items] == [(0, "elderly_care", 1), (3, "volunteer_work", 0)]
    assert items[0]["confidence"] == pytest.approx(0.9) and items[1]["confidence"] == pytest.approx(0.29 / 0.3, abs=1e-4)
    assert len(find_label_issues_oof(y, s, thr, min_confidence=0.0)) == 4
    assert find_label_issues_oof(y, s, thr, top=0) == []


def test_audit_finds_injected_label_errors_and_changes_nothing(proj):
    seeds = proj / "labels" / "seeds.csv"
    text = seeds.read_text(encoding="utf-8")
    volunteer_elder = "001_dc6bd422dcff6f05:18,4096d1d0aba49c19,elderly_care;volunteer_work,"
    meeting = "000_6bc5a408cdc75e0e:16,76c141ed14cd2cff,none,"
    assert volunteer_elder in text and meeting in text
    text = text.replace(volunteer_elder, "001_dc6bd422dcff6f05:18,4096d1d0aba49c19,none,")
    text = text.replace(meeting, "000_6bc5a408cdc75e0e:16,76c141ed14cd2cff,elevator_power_hookup,")
    seeds.write_text(text, encoding="utf-8")
    before = _digest(proj / "labels")

    items = audit(proj, top=3, jobs=1)
    assert _digest(proj / "labels") == before and not (proj / IMPORTED_FILE).exists()
    by_label = {lab: [d for d in items if d["label"] == lab] for lab in LABELS}
    assert all(len(v) <= 3 for v in by_label.values())
    top_elevator = by_label["elevator_power_hookup"][0]
    assert top_elevator["id"] == "000_6bc5a408cdc75e0e:16" and top_elevator["gold"] == 1
    assert top_elevator["score"] < top_elevator["threshold"] and top_elevator["confidence"] >= 0.5
    flagged = {(d["id"], d["label"]) for d in items}
    assert ("001_dc6bd422dcff6f05:18", "elderly_care") in flagged
    d = next(d for d in items if d["id"] == "001_dc6bd422dcff6f05:18" and d["label"] == "elderly_care")
    assert d["gold"] == 0 and d["gold_labels"] == [] and "elderly_care" in d["predicted_labels"]
    assert d["source"] == "seed" and d["doc"] == "001_dc6bd422dcff6f05" and d["text"].startswith("除了開展")
    for lab, rows in by_label.items():
        conf = [r["confidence"] for r in rows]
        assert conf == sorted(conf, reverse=True), lab


def test_audit_cli_prints_the_rule(monkeypatch, proj, capsys):
    item = {"label": "volunteer_work", "id": "r:1", "doc": "r", "source": "seed", "text": "公司召开党委会议。",
            "gold": 1, "score": 0.02, "threshold": 0.7, "confidence": 0.97, "gold_labels": ["volunteer_work"],
            "predicted_labels": []}
    seen = {}

    def fake_audit(root, top, **kw):
        seen.update(root=root, top=top, **kw)
        return [item]

    monkeypatch.setattr(auditing, "audit", fake_audit)
    assert main(["labels", "audit", "--root", str(proj), "--top", "5", "--min-confidence", "0.6"]) == 0
    out = capsys.readouterr().out
    assert "out-of-fold margin rule (cleanlab is not used)" in out and "confidence >= 0.60" in out
    assert "## volunteer_work: 1 candidate(s)" in out and "r:1  confidence 0.97" in out
    assert "Nothing was changed" in out and "## elderly_care: 0 candidate(s)" in out
    assert seen["top"] == 5 and seen["min_confidence"] == 0.6 and seen["use_authored"] is True
    assert main(["labels", "audit", "--root", str(proj), "--format", "jsonl"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == item and "cleanlab is not used" in captured.err


@pytest.mark.parametrize("bad_id", ["\x1b]0;pwned\x07:1", "a\u2028b:1", "x\u200fy:2", "a\ud800:1"])
def test_ids_with_control_or_separator_characters_are_refused(bad_id):
    record = {"id": bad_id, "text": "段落。", "text_sha": text_sha("段落。"), "labels": "none"}
    with pytest.raises(LabelFileError, match="is not '<report>:<paragraph index>'"):
        validate_record(record, "row 1")



@pytest.mark.parametrize("pid, as_time", [("2:00", True), ("1:01:00", True), ("r1:01", False), ("r1:２", False)])
def test_an_id_tagger_does_not_write_is_refused_saying_a_spreadsheet_made_it_a_time(pid, as_time):
    """Hunt: a suggestion CSV opened in Excel turns the id 2:0 into the time 2:00, which was imported as an id of its
    own (2:00, index '00'), beside the paragraph's real id 2:0."""
    record = {"id": pid, "text": "段落。", "text_sha": text_sha("段落。"), "labels": "none"}
    with pytest.raises(LabelFileError, match=f"id '{pid}' is not '<report>:<paragraph index>'") as info:
        validate_record(record, "row 1")
    assert ("spreadsheet read the id as a time of day" in str(info.value)) is as_time
    assert validate_record({**record, "id": "2:0"}, "row 1").id == "2:0"
    assert validate_record({**record, "id": "12:30"}, "row 1").id == "12:30"  # as tagger writes it: read

@pytest.mark.parametrize("index, read", [("1" * 5000, True), ("0" + "1" * 5000, False), ("0", True), ("10", True)])
def test_an_id_of_any_length_is_read_or_refused_by_how_its_index_is_written(index, read):
    """The rule that refuses an index tagger does not write (2:00) turned the index into a number to compare it, and
    an index of more than 4,300 digits (Python's limit for that) ended labels import in a bare ValueError traceback:
    the index is judged as written, its length whatever."""
    record = {"id": f"r1:{index}", "text": "段落。", "text_sha": text_sha("段落。"), "labels": "none"}
    if read:
        assert validate_record(record, "row 1").id == f"r1:{index}"
    else:
        with pytest.raises(LabelFileError, match="is not '<report>:<paragraph index>'"):
            validate_record(record, "row 1")


def test_text_with_a_lone_surrogate_is_refused():
    record = {"id": "r:1", "text": "段落\ud800。", "text_sha": "0123456789abcdef", "labels": "none"}
    with pytest.raises(LabelFileError, match="row 1: the text of r:1 holds a lone surrogate"):
        validate_record(record, "row 1")


def test_dev_set_paragraphs_are_never_suggested_imported_or_trained_on(proj, reports, model_file, tmp_path, capsys):
    """A new report found with the same search tool can hold a dev-set paragraph: suggest offered it,
    labels import added it and train.py trained on it, silently inflating the dev-set score."""
    elder = REPORT_A.splitlines()[2]
    digest = hashlib.sha256(elder.strip().encode("utf-8")).hexdigest()
    with open(proj / "labels" / "dev_manifest.csv", "a", encoding="utf-8") as fh:
        fh.write(f"real_test0000001,4,{digest},{len(elder)},body,elderly_care;volunteer_work\n")
    out = tmp_path / "to_label.csv"
    assert main(["suggest", str(reports), "--root", str(proj), "--model", str(model_file), "-o", str(out)]) == 0
    assert "2 already labelled" in capsys.readouterr().err
    assert "new_a:2" not in {r["id"] for r in _read_csv(out)}
    row = {"id": "new_a:2", "text": elder, "text_sha": text_sha(elder), "labels": ["elderly_care"]}
    with pytest.raises(LabelFileError, match=r"page, row 1: new_a:2 is paragraph real_test0000001:4 of the real dev "
                                             r"set .*scoring only"):
        import_rows([row], proj, source="page")
    assert not (proj / IMPORTED_FILE).exists()
    (proj / IMPORTED_FILE).write_text(json.dumps({**row, "doc": "new_a", "source": "imported"},
                                                 ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"1 training paragraph\(s\) are paragraphs of the real dev set .*"
                                             r"imported new_a:2 \(.*imported.jsonl:1\) = dev real_test0000001:4:"):
        load_training_data(proj)


@pytest.mark.parametrize("name, problem", [("'a.txt", "starts with '"), (" lead.txt", "white space at its ends")])
def test_suggest_refuses_file_names_that_cannot_be_report_ids(proj, model_file, tmp_path, capsys, name, problem):
    """Such ids were written to the CSV and then rewritten by labels import ('a:1 became a:1, colliding
    with a.txt's paragraphs)."""
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / name).write_text(REPORT_B, encoding="utf-8")
    (folder / "a.txt").write_text(REPORT_A, encoding="utf-8")
    out = tmp_path / "s.csv"
    assert main(["suggest", str(folder), "--root", str(proj), "--model", str(model_file), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "the file name, the report's id," in err and problem in err and "rename the file" in err
    assert "id column" not in err  # a file has no id column (README audit: it said "trim the id column")
    assert not out.exists()


def test_suggest_refuses_a_new_report_whose_ids_imported_paragraphs_hold(proj, reports, model_file, tmp_path, capsys):
    """User test: a new report saved under an old report's file name was suggested, labelled, and then refused
    by tagger labels import row by row (its ids were imported earlier with other texts): the labelling was wasted.
    suggest refuses it first, naming the report, the ids and what to do; the same report with its own name
    goes through."""
    path, _ = _filled(reports, proj, model_file, tmp_path, {"new_a:2": "elderly_care"})
    import_csv(path, proj)
    batch2 = tmp_path / "batch2"
    batch2.mkdir()
    (batch2 / "new_a.txt").write_text(REPORT_B, encoding="utf-8")  # another story under the same name
    out = tmp_path / "s2.csv"
    assert main(["suggest", str(batch2), "--root", str(proj), "--model", str(model_file), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert re.search(r"new_a: its paragraph ids \(new_a:2, new_a:3\) are taken in labels/imported\.jsonl by "
                     r"paragraphs with other texts", err) and "give the report another id before labelling (its file name" in err
    assert not out.exists()
    (batch2 / "new_a.txt").rename(batch2 / "new_c.txt")
    assert main(["suggest", str(batch2), "--root", str(proj), "--model", str(model_file), "-o", str(out)]) == 0



def test_suggest_refuses_a_report_named_like_authored_training_text(root, proj, model_file, tmp_path, capsys):
    """Review F2: suggest checked seed and imported ids only, but labels import refuses an id an authored paragraph
    holds too."""
    import json as _json

    shutil.copy(root / "labels" / "authored_reports_1.jsonl", proj / "labels")
    first = _json.loads((proj / "labels" / "authored_reports_1.jsonl").read_text(encoding="utf-8").splitlines()[0])
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / f"{first['doc']}.txt").write_text("\n".join(["标题", *[MEETING + str(i) for i in range(8)]]) + "\n",
                                               encoding="utf-8")
    out = tmp_path / "s.csv"
    assert main(["suggest", str(folder), "--root", str(proj), "--model", str(model_file), "-o", str(out)]) == 1
    assert "are taken in labels/authored*.jsonl by paragraphs with other texts" in capsys.readouterr().err


def test_suggest_refuses_a_report_whose_id_a_seed_or_authored_report_has(proj, model_file, tmp_path, capsys):
    """A new report whose id (its file name, or its --id-column value) an authored report has, its paragraph ids
    clashing with none (the authored rows have ids of their own), was suggested; labels import then refused every
    row of it, after the labelling (training would read the two as one report). suggest refuses it first, with
    labels import's words and advice, naming the input and the report; a report of that id whose paragraphs are all
    labelled already (none suggested) is not refused, and the report under another id goes through."""
    authored = [{"id": "x1", "doc": "report_007", "index": 0, "text": "国网某供电公司党员服务队走进社区敬老院，为老人免费检修家用电器。",
                 "labels": ["elderly_care", "volunteer_work"]},
                {"id": "x2", "doc": "report_007", "index": 1, "text": "服务队还为老人讲解了安全用电知识。", "labels": ["elderly_care"]}]
    (proj / "labels" / "authored_x.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in authored),
                                                      encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    report = folder / "report_007.txt"
    report.write_text("\n".join(r["text"] for r in authored) + "\n", encoding="utf-8")  # labelled already: nothing
    out = tmp_path / "s.csv"
    args = ["suggest", str(folder), "--root", str(proj), "--model", model_file, "-o", str(out)]
    assert main(args) == 0 and not out.exists()
    report.write_text("供电公司推进老旧小区电网改造\n今年以来，该公司对辖区内12个老旧小区的供电线路进行了全面改造。\n"
                      "改造完成后，居民家中电压不稳的问题得到解决。\n", encoding="utf-8")
    capsys.readouterr()
    assert main(args) == 1
    taken = (f'report "report_007" has rows in two label files ({proj / "labels" / "authored_x.jsonl"}:1 and '
             f'{proj / IMPORTED_FILE}, where it would be imported): training would read them as one report (one story '
             "for the report-context scores, one cross-validation fold, their positions in it mixed)")
    err = capsys.readouterr().err
    assert err == (
        f"error: {report}: {taken}; give each report an id of its own across batches (a batch prefix in the "
        "--id-column values, e.g. 2024q2-R1, or another file name), tag it again (or run tagger suggest again) and "
        "label it there\n")
    assert not out.exists()
    table = tmp_path / "reports.csv"  # a table's report: its row is named
    with open(table, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["id", "text"], ["report_007", report.read_text(encoding="utf-8")]])
    assert main(["suggest", str(table), "--id-column", "id", "--root", str(proj), "--model", model_file, "-o",
                 str(out)]) == 1
    assert capsys.readouterr().err.startswith(f"error: {table}:2")
    report.rename(folder / "report_008.txt")
    assert main(args) == 0 and out.exists()


def test_a_report_id_used_again_by_a_later_batch_is_refused_with_the_fix_that_fits(proj):
    """User test: a second batch's report R1 (ids from --id-column) clashed with the first batch's imported R1:1, and
    the message said to give the new version another file name, which does nothing for ids from a column. The
    message names both ways to give a report its own id, and the way out of the clash."""
    first = {"id": "R1:1", "text": MEETING, "text_sha": text_sha(MEETING), "labels": "none"}
    import_rows([first], proj, source="page")
    later = {"id": "R1:1", "text": SEED_PARAGRAPH + "补记。", "text_sha": text_sha(SEED_PARAGRAPH + "补记。"),
             "labels": "elderly_care"}
    with pytest.raises(LabelFileError) as err:
        import_rows([later], proj, source="page")
    message = str(err.value)
    assert "R1:1 was imported earlier with another text" in message
    assert "give each report an id of its own across batches (a batch prefix in the --id-column values, e.g. " \
           "2024q2-R1, or another file name), tag it again" in message and "remove the old rows from" in message
    assert "give the new version another file name" not in message


@pytest.mark.parametrize("how, command, hint", [("was", "import", ""), ("to", "score", " (hint)"),
                                                 ("was", "export", "")])
def test_a_refused_file_survives_pickling(how, command, hint):
    """RefusedFile (raised by import_rows, read_label_csv …, which may run in a worker process) could not be
    unpickled: pickle.loads(pickle.dumps(RefusedFile('a; ', '', 'was'))) raised TypeError (its __init__ takes more
    than the message). The round trip keeps the message and every field."""
    import pickle

    from tagger.annotation.labelfiles import RefusedFile

    exc = RefusedFile("f.csv, row 2: bad; ", ":\n  more", how).for_command(command).with_hint(hint)
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is RefusedFile and str(back) == str(exc) and isinstance(back, LabelFileError)
    assert (back.before, back.after, back.how, back.command) == (exc.before, exc.after, exc.how, exc.command)


def test_the_advice_for_ids_taken_by_other_texts_is_said_once_after_the_rows(proj):
    """The ~450-character refusal of an id imported earlier with another text (both causes, --id-prefix …) was
    appended to every colliding row, up to MAX_ERRORS times. The rows are listed, the advice said once after them;
    with an id a seed paragraph has as well, it says that one has one cause only."""
    texts = [f"{MEETING}第{i}次。" for i in range(25)]
    import_rows([{"id": f"R1:{i}", "text": t, "text_sha": text_sha(t), "labels": "none"} for i, t in enumerate(texts)],
                proj, source="page")
    later = [{"id": f"R1:{i}", "text": t + "补记。", "text_sha": text_sha(t + "补记。"), "labels": "elderly_care"}
             for i, t in enumerate(texts)]
    with pytest.raises(LabelFileError) as err:
        import_rows(later, proj, source="page")
    message = str(err.value)
    assert message.startswith("page: 25 problems, nothing was imported:\n  page, row 1: R1:0 was imported earlier "
                              "with another text\n  page, row 2: R1:1 was imported earlier with another "
                              "text\n"), message
    assert message.count("the report was corrected since that import") == 1, message
    assert message.count("give each report an id of its own across batches") == 1, message
    assert message.endswith("\n  … and 5 more\n  For the 25 ids above that other texts have: either the report was "
                            "corrected since that import: remove the old rows "
                            f"from {proj / IMPORTED_FILE} and import again (--update overwrites labels, never a text); "
                            "or another report has the same id: give each report an id of its own across batches (a "
                            "batch prefix in the --id-column values, e.g. 2024q2-R1, or another file name), tag it "
                            "again (or run tagger suggest again) and label it there"), message
    seed = {"id": "002_e2866e68cd292b62:6", "text": MEETING, "text_sha": text_sha(MEETING), "labels": "none"}
    with pytest.raises(LabelFileError) as err:
        import_rows([seed, *later[:2]], proj, source="page")
    message = str(err.value)
    assert "page, row 1: id 002_e2866e68cd292b62:6 is already used by a seed paragraph with another text\n" in message
    assert message.count("give each report an id of its own") == 1, message
    assert "\n  For the 3 ids above that other texts have: either the report was corrected since that import: " \
        in message, message
    assert "or another report has the same id (the only cause where a seed or authored paragraph has the id): " \
        "give each report" in message, message
    with pytest.raises(LabelFileError) as err:
        import_rows([seed], proj, source="page")
    assert str(err.value) == ("page, row 1: id 002_e2866e68cd292b62:6 is already used by a seed paragraph with another "
                              "text. Give each report an id of its own across batches (a batch prefix in the "
                              "--id-column values, e.g. 2024q2-R1, or another file name), tag it again (or run tagger "
                              "suggest again) and label it there; nothing was imported")


def test_suggest_table_options_without_a_table_are_refused(proj, model_file, reports, tmp_path, capsys):
    out = tmp_path / "to_label.csv"
    assert main(["suggest", str(reports), "--id-column", "id", "--root", str(proj), "--model", str(model_file),
                 "-o", str(out)]) == 2  # a usage error, as tag's
    assert "--text-column and --id-column apply to tables of reports" in capsys.readouterr().err and not out.exists()


def test_suggest_names_folder_entries_with_no_file_to_read_as_tag_does(tmp_path, caplog):
    """Review: tagger suggest walked folders with its own rglob, where a link to nothing, a FIFO named x.txt and a
    linked folder were left out without a word (tagger tag names them). One walk now, with the same warning."""
    import os

    from tagger.annotation.suggest import collect_reports

    other = tmp_path / "other"
    other.mkdir()
    (other / "b.txt").write_text("党员为孤寡老人检查线路。\n", encoding="utf-8")
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "a.txt").write_text("公司开辟绿色通道为企业接电。\n", encoding="utf-8")
    (folder / "gone.txt").symlink_to(tmp_path / "missing.txt")
    os.mkfifo(folder / "x.txt")
    (folder / "c").symlink_to(other)
    (folder / "notes.md").symlink_to(tmp_path / "missing.md")  # no report's kind: not named
    with caplog.at_level("WARNING"):
        assert [p.id for p in collect_reports([folder])] == ["a:0"]
    said = [r.getMessage() for r in caplog.records if "no file to read" in r.getMessage()]
    assert said == [f"{folder}: left out 3 entries with no file to read: c (a link to a folder), gone.txt (a link to "
                    "nothing), x.txt (a FIFO); a linked folder is not followed: give it as an input to suggest from "
                    "its files"]


def test_suggest_leaves_out_a_file_gone_after_the_walk_as_tag_does(tmp_path, monkeypatch, caplog):
    """tagger suggest stopped with "…/b.txt: no such file" when a file its walk of a folder found was deleted before
    it was read, though the README says it names such entries as tag does (tag leaves such a file out). It is left
    out and named, in the one warning for the folder with what the walk left out (a FIFO), and the rest is read; a
    file still there that cannot be read (its folder closed since the walk) stays an error."""
    import os
    from pathlib import Path

    import tagger.annotation.suggest as suggest_module
    from tagger.annotation.suggest import collect_reports

    folder = tmp_path / "new"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text("公司开辟绿色通道为企业接电。\n", encoding="utf-8")
    os.mkfifo(folder / "x.txt")
    real_walk = suggest_module.folder_files
    after_walk = []

    def walk_then(path, *args, **kwargs):
        found = list(real_walk(path, *args, **kwargs))
        after_walk.pop()(path)
        return iter(found)

    monkeypatch.setattr(suggest_module, "folder_files", walk_then)
    after_walk.append(lambda path: (path / "b.txt").unlink())
    with caplog.at_level("WARNING"):
        assert [p.id for p in collect_reports([folder])] == ["a:0"]
    said = [r.getMessage() for r in caplog.records if "no file to read" in r.getMessage()]
    assert said == [f"{folder}: left out 2 entries with no file to read: b.txt (gone while the folder was read), "
                    "x.txt (a FIFO)"]

    (folder / "b.txt").write_text("公司开辟绿色通道为企业接电。\n", encoding="utf-8")
    real_stat, real_read_bytes = os.stat, Path.read_bytes
    closed = []

    def stat(path, *args, **kwargs):  # the folder made unreadable after the walk (root ignores modes: faked)
        if closed and isinstance(path, (str, Path)) and os.fspath(path) == str(folder / "b.txt"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    def read_bytes(self):
        if closed and self == folder / "b.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    after_walk.append(lambda path: closed.append(True))
    with pytest.raises(InputError, match="b.txt: cannot read"):
        collect_reports([folder])


@pytest.mark.parametrize("head_breaks, blanks, eol", [(1, 0, "\n"), (0, 2, "\r\n"), (2, 1, "\r\n")])
def test_a_label_csv_row_is_named_by_its_row_and_the_line_it_starts_on(tmp_path, head_breaks, blanks, eol):
    """Task (one CSV reader that counts file lines itself): the reader now counts the file's lines, the header's
    too, where this reader added them by hand; a bad row after a header of two lines (a quoted line break in a
    column name) and blank lines is still named by its own line and its spreadsheet row (fix round: the line
    first, as tagger tag names a row), and a quote never closed by the line its row starts on."""
    gap = [""] * blanks
    head = 'id,text,labels,text_sha,"no' + eol * head_breaks + 'te"'
    good = f'p:1,"段落{eol}文字",volunteer_work,{"0" * 16},x'
    path = tmp_path / "labels.csv"
    path.write_text(eol.join([head, *gap, good, *gap, "p:2,文字,none,x,y,extra", "p:3,tail"]) + eol,
                    encoding="utf-8", newline="")
    row, line = 2 + blanks + 1 + blanks, 1 + head_breaks + blanks + 2 + blanks + 1
    with pytest.raises(LabelFileError, match=re.escape(f"{path}:{line}{sheet_row_note(line, row)}: 6 cells but the "
                                                       "header")):
        read_label_csv(path)
    path.write_text(eol.join([head, *gap, good, *gap, 'p:2,"never closed', "p:3,tail"]) + eol,
                    encoding="utf-8", newline="")
    with pytest.raises(LabelFileError, match=re.escape(f"{path}:{line}{sheet_row_note(line, row)}: malformed CSV "
                                                       "(unexpected end")):
        read_label_csv(path)


@pytest.mark.parametrize("given, said", [
    ("missing.d/", "missing.d: no such file or folder; check its name and path"),
    ("missing/", "missing: no such file or folder; check its name and path"),
    ("missing", "missing: no such file or folder; check its name and path"),
    ("missing.txt", "missing.txt: no such file; check its name and path"),
    ("missing.md", "missing.md: no such file; check its name and path")])
def test_suggest_says_a_missing_input_is_not_there_as_tag_does(proj, model_file, tmp_path, monkeypatch, capsys,
                                                               given, said):
    """tagger suggest missing.d/ said "…not a .d file; save the reports as one of them" and tagger suggest missing/
    "…not a file without an extension" (the extension was checked before the file was looked for, and Path dropped
    the '/'): a mistyped folder was taken for a file of another kind. It says what tagger tag says of it."""
    monkeypatch.chdir(tmp_path)
    assert main(["suggest", given, "--model", str(model_file), "--root", str(proj), "-o", "s.csv"]) == 1
    err = capsys.readouterr().err
    assert f"error: {said}\n" in err and "save the reports" not in err
    assert main(["-q", "tag", given, "--model", str(model_file), "-o", "t.csv"]) == 1
    assert f"error: {said}\n" in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("given, said", [
    ("dangling", "dangling: no such file or folder; check its name and path"),
    ("dangling.txt", "dangling.txt: no such file; check its name and path"),
    ("loop", "loop: no such file or folder; check its name and path")])
def test_suggest_says_a_link_to_nothing_is_not_there_as_tag_does(proj, model_file, tmp_path, monkeypatch,
                                                                 capsys, given, said):
    """suggest had its own existence test: a dangling link without an extension said "…not a file without an
    extension; save the reports as one of them"; a loop of links was a RuntimeError traceback from tag -o and
    suggest alike. One test (names_nothing), as tagger tag's."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / given).symlink_to("nowhere" if given != "loop" else "loop2")
    (tmp_path / "loop2").symlink_to("loop")
    for command in (["suggest", given, "--root", str(proj), "-o", "s.csv"],
                    ["-q", "tag", given, "-o", "t.csv"]):
        assert main([*command, "--model", str(model_file)]) == 1
        err = capsys.readouterr().err
        assert err == f"error: {said}\n", err
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "t.csv").exists()


def test_the_import_line_groups_its_counts_by_thousands(proj, tmp_path, capsys):
    """tagger labels import of a large batch printed "1200 added, 0 updated, 0 unchanged" while every other count of
    the CLI is grouped (1,200, as "1,200 paragraphs" elsewhere): one rule for its summary line and the lines under it."""
    path = tmp_path / "big.csv"
    rows = [{"id": f"big:{i}", "text": f"第{i}号小区为独居老人上门检查线路。",
             "labels": "elderly_care" if i < 1_100 else "", "text_sha": ""} for i in range(1_200)]
    for r in rows:
        r["text_sha"] = text_sha(r["text"])
    _write_csv(path, rows)
    assert main(["labels", "import", str(path), "--root", str(proj), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert ": 1,100 added, 0 updated, 0 unchanged (dry run: nothing written)" in out, out
    assert "\n100 row(s) not reviewed yet" in out
    assert main(["-q", "labels", "import", str(path), "--root", str(proj)]) == 0
    capsys.readouterr()
    for r in rows:  # all 1,200 again, with other labels: each imported one a conflict
        r["labels"] = "volunteer_work"
    _write_csv(path, rows)
    assert main(["labels", "import", str(path), "--root", str(proj), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert ": 100 added, 0 updated, 0 unchanged" in out and "\n1,100 row(s) differ from labels imported earlier" in out


# --------------------------------------------------------------------------- one text in other writings
def test_suggest_leaves_out_a_labelled_or_dev_paragraph_in_another_writing(tmp_path):
    """A copy of a labelled paragraph in traditional script or with full-width letters was suggested for labelling
    again (labelled paragraphs were matched by the hash of their text as written), as was such a copy of a dev-set
    paragraph: the model reads either as the paragraph itself. They are matched as the model reads them — a dev
    paragraph whose text is not on this machine by its hash, of the text as written (DEV_GONE is written as the model
    reads it, so the hash of a copy's key finds it too)."""
    root = tiny_project(tmp_path / "p", dev=True)
    copies = [TRADITIONAL[ELDER], full_width(BUSINESS), TRADITIONAL[DEV_TEXT], DEV_GONE, TRADITIONAL[DEV_GONE]]
    repeat = full_width(TRADITIONAL[NEW_TEXT]).replace("兒童", "兒　童")
    paragraphs = split_report("\n".join([*copies, NEW_TEXT, repeat]), "n")
    result = suggest_paragraphs(FakeModel({}), paragraphs, root, n=10)
    assert [s.text for s in result.suggestions] == [NEW_TEXT]
    assert (result.n_labelled, result.n_duplicates, result.n_candidates) == (5, 1, 1)
    assert "5 already labelled, 1 repeated texts" in result.summary()


def test_import_skips_a_labelled_paragraph_in_another_writing_naming_both(tmp_path):
    """labels import added a traditional-script or full-width copy of a labelled paragraph as a new one (by the hash of
    its text as written): a different decision on it was never named, and two such copies in one file with other
    labels were both imported, so that train.py and every later import refused the project. Such a copy is the
    labelled paragraph (skipped, a different decision named), a repeat in the file is refused naming both rows, and a
    copy of a dev-set paragraph whose text is here is refused as the dev paragraph."""
    root = tiny_project(tmp_path / "p", dev=True)

    def row(pid, text, labels):
        return {"id": pid, "text": text, "text_sha": text_sha(text), "labels": labels}

    rows = [row("n:0", TRADITIONAL[ELDER], "none"), row("n:1", full_width(BUSINESS), "business_connection_speed")]
    result = import_rows(rows, root, source="page")
    assert result.disagreements == [("n:0", "none vs seed s1:0 as the model reads it (elderly_care;volunteer_work)")]
    assert result.already_labelled == [("n:1", "seed s1:1 as the model reads it")]
    assert not result.changed and not (root / IMPORTED_FILE).exists()
    with pytest.raises(LabelFileError) as err:
        import_rows([row("n:2", TRADITIONAL[DEV_TEXT], "none")], root, source="page")
    assert str(err.value).startswith("page, row 1: n:2 is paragraph d1:1 as the model reads it (traditional or "
                                     "simplified script, full-width letters and white space aside) of the real dev set")
    assert DEV_TEXT not in str(err.value) and TRADITIONAL[DEV_TEXT] not in str(err.value)  # the dev text: never shown
    with pytest.raises(LabelFileError, match=re.escape(
            "page, row 2 (m:1, labels none): same paragraph text as page, row 1 (m:0, labels volunteer_work), as the "
            "model reads it (traditional or simplified script, full-width letters and white space aside), with other "
            "labels; decide it once")):
        import_rows([row("m:0", NEW_TEXT, "volunteer_work"), row("m:1", TRADITIONAL[NEW_TEXT], "none")], root,
                    source="page")
    assert not (root / IMPORTED_FILE).exists()
    assert import_rows([row("m:0", NEW_TEXT, "volunteer_work")], root, source="page").added == ["m:0"]
    assert load_training_data(root)[-1].id == "m:0"  # the project still loads


def test_import_refuses_a_report_of_another_label_file_writing_nothing(tmp_path):
    """ids 1: labels import added rows of report "report_007" that an authored file has already (other paragraphs, so
    no id was taken): training then read the authored and the imported paragraphs as one report — or, now, refuses the
    project, and every later import with it. Refused before anything is written, naming the import's row, the other
    file's line and the way out (another id for the report); the same report id in labels/imported.jsonl alone is
    fine (a report labelled over several imports)."""
    root = tiny_project(tmp_path / "p")
    authored = root / "labels" / "authored_a.jsonl"
    authored.write_text(json.dumps({"id": "a1", "doc": "report_007", "text": "供电公司青年志愿者走访独居老人。",
                                    "labels": ["elderly_care", "volunteer_work"]}, ensure_ascii=False) + "\n",
                        encoding="utf-8")

    def row(pid, text):
        return {"id": pid, "text": text, "text_sha": text_sha(text), "labels": "none"}

    rows = [row("report_007:5", "客户经理上门指导企业办理用电报装。"), row("report_007:6", "该公司为园区企业开辟报装绿色通道。"),
            row("r9:0", "施工人员更换了楼道里的表箱。")]
    for dry_run in (True, False):
        with pytest.raises(LabelFileError) as err:
            import_rows(rows, root, source="page", dry_run=dry_run)
        assert str(err.value).startswith(
            f'page, row 1: id report_007:5: report "report_007" has rows in two label files ({authored}:1 and '
            f"{root / IMPORTED_FILE}, where it would be imported): training would read them as one report"), err.value
        assert "row 2" not in str(err.value)  # said once for the report
        assert "Give each report an id of its own across batches" in str(err.value)
        assert not (root / IMPORTED_FILE).exists()
    assert import_rows(rows[2:], root, source="page").added == ["r9:0"]
    assert import_rows([row("r9:1", "队员们为老人更换了老化的插座。")], root, source="page").added == ["r9:1"]
    assert [e.doc for e in load_training_data(root)][-3:] == ["r9", "r9", "report_007"]


_SPACES = st.lists(st.tuples(st.integers(0, 40), st.sampled_from([" ", "\u3000", "\t", "  "])), max_size=3)


@settings(max_examples=25, deadline=None)
@given(text=st.sampled_from([ELDER, BUSINESS]), traditional=st.booleans(), wide=st.booleans(), spaces=_SPACES)
def test_any_writing_of_a_labelled_paragraph_is_skipped_by_import(tmp_path_factory, text, traditional, wide, spaces):
    """Property: a copy of a labelled paragraph in the other script, with full-width letters or white space between its
    characters is the labelled paragraph to labels import, as to the model: skipped, never added."""
    root = tmp_path_factory.getbasetemp() / "writings"
    if not root.exists():
        tiny_project(root)
    copy = TRADITIONAL[text] if traditional else text
    copy = full_width(copy) if wide else copy
    for at, space in sorted(spaces, reverse=True):  # between two Chinese characters only: elsewhere it is text
        at = min(at, len(copy) - 1)
        if "\u4e00" <= copy[at - 1] <= "\u9fff" and "\u4e00" <= copy[at] <= "\u9fff":
            copy = copy[:at] + space + copy[at:]
    labels = "elderly_care;volunteer_work" if text == ELDER else "business_connection_speed"
    result = import_rows([{"id": "w:0", "text": copy, "text_sha": text_sha(copy), "labels": labels}], root,
                         source="page")
    assert [i for i, _ in result.already_labelled] == ["w:0"] and not result.changed

