"""The report-context stage: the strongest other paragraph of a report moves a paragraph's score."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.data.examples import Example, report_ids
from tagger.model.context import apply_context, fit_context, others_max
from tagger.text.report import split_report


def _brute_others_max(scores, reports, body):
    out = np.full(scores.shape, np.nan)
    for i in range(len(scores)):
        if not body[i]:
            continue
        others = [k for k in range(len(scores)) if k != i and body[k] and reports[k] == reports[i]]
        if others:
            out[i] = scores[others].max(0)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 1), st.floats(0, 1), st.booleans()),
                min_size=0, max_size=12))
def test_others_max_is_the_best_other_body_paragraph_of_the_report(rows):
    reports = [r for r, *_ in rows]
    scores = np.array([[a, b] for _, a, b, _ in rows], dtype=float).reshape(len(rows), 2)
    body = np.array([keep for *_, keep in rows], dtype=bool)
    got = others_max(scores, reports, body)
    np.testing.assert_array_equal(got, _brute_others_max(scores, reports, body))


def test_apply_context_leaves_lone_paragraphs_headings_and_zero_weights_alone():
    scores = np.array([[0.4, 0.9], [0.0, 0.8], [0.6, 0.1], [0.5, 0.5]])
    reports = ["r", "r", "r", "alone"]
    body = np.array([True, False, True, True])
    w, mu = np.array([0.5, 0.0]), np.array([0.0, 0.0])
    out = apply_context(scores, reports, body, w, mu)
    assert out[3].tolist() == [0.5, 0.5]  # alone in its report
    assert out[1].tolist() == [0.0, 0.8]  # a heading is neither moved nor context
    np.testing.assert_array_equal(out[:, 1], scores[:, 1])  # weight 0: unchanged, bit for bit
    assert out[0, 0] > 0.4  # its report's other body paragraph (0.6) is above the centre: pushed up
    assert out[2, 0] < 0.6  # sees 0.4: pulled down
    np.testing.assert_array_equal(apply_context(scores, reports, body, np.zeros(2), mu), scores)


def test_fit_context_learns_a_positive_weight_when_stories_share_labels():
    rng = np.random.default_rng(0)
    reports, ys, oof = [], [], []
    for r in range(60):
        story = rng.random() < 0.5
        for _ in range(4):
            y = int(story and rng.random() < 0.8)
            # the paragraph's own score is noisy: its report says more
            oof.append(np.clip(0.5 + (0.2 if y else -0.2) + rng.normal(0, 0.25), 0.01, 0.99))
            ys.append(y)
            reports.append(f"r{r}")
    oof = np.array(oof)[:, None]
    Y = np.array(ys)[:, None]
    w, mu = fit_context(oof, Y, reports, np.ones(len(ys), bool))
    assert w[0] > 0.1
    # no whole reports (every paragraph alone): nothing to learn
    w0, _ = fit_context(oof, Y, [str(i) for i in range(len(ys))], np.ones(len(ys), bool))
    assert w0[0] == 0.0
    # too few reports to learn from (a report is one observation of its context): nothing learnt
    few = np.array([r in {"r0", "r1", "r2", "r3", "r5", "r6"} for r in reports])
    w_few, _ = fit_context(oof[few], Y[few], [r for r, f in zip(reports, few) if f], np.ones(few.sum(), bool))
    assert w_few[0] == 0.0
    # a stronger penalty shrinks the weight towards 0
    w_strong, _ = fit_context(oof, Y, reports, np.ones(len(ys), bool), penalty=100.0)
    assert 0 < w_strong[0] < w[0]


def test_examples_in_whole_reports():
    ex = [Example("a", "d", "x", (), index=0), Example("b", "d", "y", (), index=1),
          Example("c", "e", "z", (), index=0), Example("f", "g", "w", ())]
    assert report_ids(ex) == ["d", "d", None, None]  # "e" has one placed paragraph only; "g" none


@pytest.fixture(scope="module")
def shipped_like(shipped_model_file):
    """A model trained as train.py trains it (all the data: context learnt): this module's own copy of the session's
    (trained once, shared with test_walkthrough.py)."""
    from tagger.model.persistence import load_model

    return load_model(shipped_model_file)


def test_the_model_learns_context_from_reports_and_tag_uses_it(shipped_like, root):
    seed_model = shipped_like
    assert seed_model.report_context and np.any(seed_model.context_weights_ != 0)
    text = (root / "seeds" / sorted(p.name for p in (root / "seeds").iterdir() if p.suffix == ".txt")[0]).read_text(
        encoding="utf-8")
    paragraphs = split_report(text, "r")
    tagged = seed_model.tag(text, "r", evidence=False)
    texts = [p.text for p in paragraphs]
    with_context = seed_model.predict_proba(texts, ["r"] * len(texts))
    alone = seed_model.predict_proba(texts)
    body = [i for i, p in enumerate(paragraphs) if p.kind == "body"]
    got = np.array([[t.scores[lab] for lab in seed_model.labels] for t in tagged])
    np.testing.assert_allclose(got[body], with_context[body].round(4), atol=1e-4)
    assert not np.allclose(with_context[body], alone[body])
    # each paragraph its own report: the first stage alone (the village rule reads a one-paragraph report too: a
    # loose paragraph's report is unknown, a one-paragraph report is known whole)
    seed_model.set_params(villages_not_compounds=False)
    try:
        np.testing.assert_array_equal(seed_model.predict_proba(texts, [str(i) for i in range(len(texts))]), alone)
    finally:
        seed_model.set_params(villages_not_compounds=True)
    assert seed_model.predict(texts[body[0]]) == seed_model.decide(alone[body[0]][None])[0]


@pytest.fixture(scope="module")
def report_examples(resources):
    """Authored whole reports (many of them) and the seeds."""
    ids = report_ids(resources.examples)
    return [e for e, r in zip(resources.examples, ids) if r is not None]


def test_context_is_learnt_from_many_reports_not_from_a_few(resources, report_examples, seed_model):
    from tagger.training import fit_examples, make_tagger

    assert len({e.doc for e in report_examples}) >= 100
    many = fit_examples(make_tagger(resources, threshold_folds=3), report_examples)
    assert np.any(many.context_weights_ != 0)
    seeds = [e for e in resources.examples if e.source == "seed"]  # five reports: too few
    assert not np.any(seed_model.context_weights_)  # conftest: fit_examples(make_tagger(resources), seeds)
    off = fit_examples(make_tagger(resources, threshold_folds=3, report_context=False), report_examples)
    assert not np.any(off.context_weights_)
    texts = [e.text for e in seeds[:8]]
    np.testing.assert_array_equal(off.predict_proba(texts, ["r"] * 8), off.predict_proba(texts))


def test_fit_takes_reports_directly_and_through_grid_search(resources, report_examples):
    from sklearn.model_selection import GridSearchCV, GroupKFold

    from tagger.data.examples import label_matrix
    from tagger.training import make_tagger

    sample = [e for e in report_examples if e.source == "authored"][:600]
    texts, Y, docs = [e.text for e in sample], label_matrix(sample), [e.doc for e in sample]
    direct = make_tagger(resources, threshold_folds=3).fit(texts, Y, reports=docs)  # groups default to reports
    assert np.any(direct.context_weights_ != 0)
    grid = GridSearchCV(make_tagger(resources, threshold_folds=3), {"C": [4.0]}, cv=GroupKFold(2))
    grid.fit(texts, Y, groups=docs, reports=docs)
    assert np.any(grid.best_estimator_.context_weights_ != 0)


def test_reports_must_match_the_paragraphs(seed_model):
    with pytest.raises(ValueError, match="reports has 1 entries for 2 paragraphs"):
        seed_model.predict_proba(["一。", "二。"], ["r"])
    with pytest.raises(ValueError, match="reports must give one entry per paragraph"):
        type(seed_model)(lexicon=seed_model.lexicon).fit(["a", "b"], np.zeros((2, 5)), reports=["r"])


def test_loose_paragraphs_given_as_none_are_scored_alone(shipped_like):
    texts = ["党员服务队来到孤寡老人家中。", "队员们为老人更换了老化的电线和插座。", "公司召开工作会议。"]
    alone = shipped_like.predict_proba(texts)
    np.testing.assert_array_equal(shipped_like.predict_proba(texts, [None, None, None]), alone)
    together = shipped_like.predict_proba(texts, ["r", "r", None])
    assert not np.allclose(together[:2], alone[:2]) and together[2].tolist() == alone[2].tolist()


def test_many_reports_are_scored_each_with_its_own_context(shipped_like, root):
    """paragraph_rows (tagger tag, tag_frame) gives each report the scores tag() gives it alone, also
    when two inputs share a report id."""
    from tagger.labels import LABELS
    from tagger.pipeline import paragraph_rows

    files = sorted(p for p in (root / "seeds").iterdir() if p.suffix == ".txt")[:2]
    texts = [f.read_text(encoding="utf-8") for f in files]
    rows = list(paragraph_rows(shipped_like, [("same", texts[0]), ("same", texts[1])]))
    alone = [t for text in texts for t in shipped_like.tag(text, "same", evidence=False)]
    assert len(rows) == len(alone)
    for row, t in zip(rows, alone):
        assert [row[f"score_{lab}"] for lab in LABELS] == [t.scores[lab] for lab in LABELS]
        assert row["labels"] == t.labels


def test_evaluate_test_file_scores_whole_reports_with_their_report(shipped_like, resources, tmp_path, monkeypatch):
    """evaluate --test: paragraphs of whole reports in the test file are scored with report context."""
    import json

    from tagger.evaluation.run import run_test
    from tagger.model.tagger import Tagger

    seeds = [e for e in resources.examples if e.source == "seed"][:30]
    test_file = tmp_path / "t.jsonl"
    test_file.write_text("".join(json.dumps({"id": e.id, "doc": e.doc, "index": e.index, "text": e.text,
                                             "labels": list(e.labels)}, ensure_ascii=False) + "\n" for e in seeds),
                         encoding="utf-8")
    model_path = shipped_like.save(tmp_path / "m.npz", data_hash="test")
    seen = []
    real = Tagger.predict_proba

    def spy(self, X, reports=None):
        seen.append(reports)
        return real(self, X, reports)

    monkeypatch.setattr(Tagger, "predict_proba", spy)
    run_test(test_file, model_path, out=tmp_path / "out", plots=False, n_boot=20)
    assert seen and seen[0] == report_ids(seeds) and seen[0][0] == seeds[0].doc


def test_plan_openings_get_no_label(shipped_like):
    """Codebook: a paragraph that opens as the report's plan carries no label; the rule applies when
    scoring and can be switched off."""
    from tagger.model.rules import no_label_mask, opens_as_plan

    plan = "下一步,该公司将继续组织党员志愿者走进敬老院,为孤寡老人义务检查线路。"
    done = "该公司组织党员志愿者走进敬老院,为孤寡老人义务检查线路。下一步将继续开展。"
    assert opens_as_plan(plan) and not opens_as_plan(done)
    assert not opens_as_plan("接下来,队员们为老人更换了电线。")  # a story's "next"
    assert opens_as_plan("接下来,嘉兴供电公司将继续推进老旧小区的照明改造。")  # a promise
    assert opens_as_plan("未来,该公司将进一步压缩企业办电时间。")
    assert not opens_as_plan("接下来,队员们将老化的线路全部更换。")  # 将 marks the object: narration
    assert not opens_as_plan("未来科技城将继续扩建。")  # a place, not an opening
    assert not opens_as_plan("接下来,队员们走进敬老院。老人说,他们将继续支持。")  # promise past the first clause
    assert not opens_as_plan("“今后我们还会常来。”临走前,队员们为孤寡老人免费检查了线路。")  # someone's words
    assert no_label_mask([plan], plans=False).tolist() == [False]
    assert shipped_like.predict(plan) == [] and shipped_like.predict_proba(plan).sum() == 0
    assert "elderly_care" in shipped_like.predict(done)
    off = shipped_like.set_params(suppress_plans=False)
    try:
        assert "elderly_care" in off.predict(plan)
    finally:
        shipped_like.set_params(suppress_plans=True)


def test_plans_for_a_time_to_come_get_no_label(shipped_like):
    """User test: "明年,该公司计划为20部老旧小区加装电梯完成接电。" was tagged elevator (0.91) — a plan that does not
    open with 下一步. A time still to come with a plan in the first clause, or a subject planning for such a time, opens
    a plan; the same time words narrating work done do not. (On the dev set's 625 paragraphs the wider rule fires on
    none; on the training data on 9 authored paragraphs, all labelled none.)"""
    from tagger.model.rules import opens_as_plan

    for plan in ("明年,该公司计划为20部老旧小区加装电梯完成接电。", "下半年,供电局将继续在园区试点办电驿站。",
                 "该公司计划年内完成5个老旧小区一户一表改造。", "亭湖区计划在2025年底前让12个老旧小区完成供电改造。",
                 "到2025年底,该公司力争实现企业办电“零跑腿”。"):
        assert opens_as_plan(plan), plan
        assert shipped_like.predict(plan) == [], plan
    # review: the first version crossed commas, took a bare 将 (the object marker) and 原计划 / 按计划 for plans
    for done in ("年内,该公司已为20部加装电梯完成接电。", "今年,该公司将线路全部更换。",
                 "去年计划的改造已全部完成,队员们为老人更换了电线。", "队员们说,明年还会再来。",
                 "年内已完成20部电梯接电,预计惠及居民千余户。", "年内,该公司已为20部老旧小区电梯完成接电,将惠及居民300户。",
                 "年内,该公司将辖区内老旧线路全部更换完毕,消除隐患12处。", "今年下半年,供电所党员服务队将敬老院线路全部更换。",
                 "下半年,该公司将120户孤寡老人纳入帮扶名单,定期上门检查线路。", "该公司计划于2023年完成的改造已全部完工。",
                 "该公司按计划于年底前完成了全部20部老旧小区电梯的接电工作。", "原计划2024年完成的电梯接电工程,该公司提前三个月完成。"):
        assert not opens_as_plan(done), done


def test_a_years_work_told_with_its_plan_words_keeps_its_labels(shipped_like):
    """A rule tried for "2022年,国网武汉供电公司将持续优化营商环境…" (the year opening a plan, a dev-set false label) silenced
    year round-ups that report the work done with the same words (review): it was removed; these are narrations,
    never plans, and the shipped model keeps their labels."""
    from tagger.model.rules import opens_as_plan
    from tagger.text.normalize import normalize

    for done, label in (("今年,该公司力争为老旧小区加装电梯提供接电服务,全年共为46部电梯完成接电,平均接电时间缩短至3天。",
                         "elevator_power_hookup"),
                        ("2022年,该公司计划为30部加装电梯接电,到12月底,30部电梯全部通电运行。", "elevator_power_hookup"),
                        ("今年,该公司将继续开展“电亮夕阳”志愿服务。上半年,党员服务队为辖区200余位独居老人上门检查了线路,更换了"
                         "老化插座。", "elderly_care"),
                        ("今年,該公司將繼續為轄區獨居老人開展上門服務,先後為120戶老人檢查線路。", "elderly_care")):
        assert not opens_as_plan(normalize(done)), done
        assert label in shipped_like.predict(done), done
    for done in ("今年,该公司争取到政府专项资金200万元,完成15个老旧小区配电改造。", "今年,公司力争上游,完成线路改造。",
                 "2022年,该公司拟定工作方案,共完成12个小区改造。", "今年,公司投资计划完成率达98%。"):
        assert not opens_as_plan(normalize(done)), done


def test_the_plan_rule_silences_the_plan_and_nothing_else(shipped_like, resources):
    """A plan paragraph scores 0, and its report's other paragraphs score as they would without the
    rule (context is computed as in training, where plan rows are ordinary rows); training itself does
    not depend on the rule."""
    from tagger.training import make_tagger

    report = ["供电所党员服务队走进敬老院,为孤寡老人检查线路。", "队员们还为老人讲解安全用电知识。",
              "下一步,该公司将继续组织党员志愿者走进敬老院,为孤寡老人义务检查线路。"]
    with_rule = shipped_like.predict_proba(report, ["r"] * 3)
    shipped_like.set_params(suppress_plans=False)
    try:
        without = shipped_like.predict_proba(report, ["r"] * 3)
    finally:
        shipped_like.set_params(suppress_plans=True)
    np.testing.assert_array_equal(with_rule[:2], without[:2])
    assert with_rule[2].sum() == 0 and without[2].max() > 0.5

    seeds = [e for e in resources.examples if e.source == "seed"]
    texts = [e.text for e in seeds] + ["下一步,该公司将继续为孤寡老人义务检查线路。"]
    from tagger.data.examples import label_matrix

    Y = np.vstack([label_matrix(seeds), np.zeros((1, 5), int)])
    a = make_tagger(resources).fit(texts, Y, groups=[e.doc for e in seeds] + ["x"])
    b = make_tagger(resources, suppress_plans=False).fit(texts, Y, groups=[e.doc for e in seeds] + ["x"])
    np.testing.assert_array_equal(a.thresholds_, b.thresholds_)
    np.testing.assert_array_equal(a.coef_, b.coef_)


def _with_context(model):
    """A copy of ``model`` whose report-context stage moves scores (the seed model learns none)."""
    import copy

    moved = copy.copy(model)
    moved.context_weights_, moved.context_centres_ = np.full(5, 0.5), np.zeros(5)
    return moved


@pytest.mark.parametrize("missing", [float("nan"), np.nan, "pd.NA"])
def test_missing_report_ids_are_loose_paragraphs_not_one_report(seed_model, missing):
    """Review B: NaN report ids (pandas 3 turns None in a column of ids into NaN) were pooled into one
    report "nan", so loose paragraphs moved each other's scores."""
    pd = pytest.importorskip("pandas")
    missing = pd.NA if missing == "pd.NA" else missing
    model = _with_context(seed_model)
    texts = ["党员服务队来到孤寡老人家中。", "队员们为老人更换了老化的电线和插座。"]
    alone = model.predict_proba(texts)
    assert not np.allclose(model.predict_proba(texts, ["r", "r"]), alone)  # context does move these
    np.testing.assert_array_equal(model.predict_proba(texts, [missing, missing]), alone)
    np.testing.assert_array_equal(model.predict_proba(texts, pd.Series(["r1", None])), alone)
    assert pd.Series(["r1", None]).isna().tolist() == [False, True]


def test_missing_report_ids_in_fit_are_loose_paragraphs(resources):
    from tagger.data.examples import label_matrix
    from tagger.training import make_tagger

    seeds = [e for e in resources.examples if e.source == "seed"]
    texts, Y = [e.text for e in seeds], label_matrix(seeds)
    loose = make_tagger(resources, threshold_repeats=1).fit(texts, Y, reports=[None] * len(texts))
    nan = make_tagger(resources, threshold_repeats=1).fit(texts, Y, reports=[float("nan")] * len(texts))
    np.testing.assert_array_equal(nan.thresholds_, loose.thresholds_)  # not one group "nan": no inner K-fold


@pytest.mark.parametrize("reports, message", [
    (5, "got int; pass a list"),
    ({"a": 1, "b": 2}, "in order, got a dict"),
    ({"a", "b"}, "in order, got a set"),
])
def test_reports_must_be_one_id_per_paragraph(seed_model, reports, message):
    """Review B: an int gave "'int' object is not iterable"; a dict was read as its keys, a set in no order."""
    with pytest.raises(TypeError, match=message):
        seed_model.predict_proba(["一。", "二。"], reports)


def test_reports_may_be_a_generator(seed_model):
    texts = ["党员服务队来到孤寡老人家中。", "公司召开工作会议。"]
    np.testing.assert_array_equal(seed_model.predict_proba(texts, (r for r in ["r", "r"])),
                                  seed_model.predict_proba(texts, ["r", "r"]))


def test_evaluate_test_on_a_queue_scores_its_paragraphs_within_their_reports(shipped_like, tmp_path):
    """A decided paragraph of a review queue was scored with only the other decided paragraphs of its report:
    a reviewer who accepted the model's labels unchanged saw the model "wrong" (review)."""
    import json

    from tagger.apps.cli import main
    from tagger.evaluation.run import run_test

    model = shipped_like.save(tmp_path / "m.npz")
    report = tmp_path / "r02.txt"
    report.write_text("河西供电局助力老旧小区改造\n今年以来,河西供电局对辖区内五个老旧小区的配电设施进行了升级,更换老旧电缆两千多米,"
                      "新装智能电表六百余只。\n改造完成后,小区居民家中再也不跳闸了,电压也稳了。\n"
                      "供电局还为小区新加装的两部电梯开辟了接电绿色通道。\n", encoding="utf-8")
    queue = tmp_path / "queue.jsonl"
    assert main(["tag", str(report), "-o", str(queue), "--model", str(model), "--review", "1"]) == 0
    rows = [json.loads(line) for line in queue.read_text(encoding="utf-8").splitlines()]
    for row in rows:  # the result sentence accepted as the model labelled it (in its report)
        if row.get("paragraph") == "r02:2":
            row.update(reviewed_labels=row["labels"], reviewed_by="ana", reviewed_at="2026-12-05T21:00:00+00:00")
            decided = row
    queue.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    _, payload, _ = run_test(queue, model, out=tmp_path / "ev", plots=False, n_boot=50)
    scored = payload["runs"][0]["metrics"]
    assert decided["labels"] and scored["micro_f1"] == 1.0, scored


def test_reports_are_compared_as_given():
    """others_max, may_learn and fit_context compared ids as str(): the number 1 and the text "1" were one report.
    The estimator gives them the ids report_keys read (one form each); called directly, ids are compared as given."""
    from tagger.model.context import may_learn

    scores = np.array([[0.9], [0.2], [0.4]])
    got = others_max(scores, [1, "1", "1"], np.ones(3, bool))
    np.testing.assert_array_equal(got, [[np.nan], [0.4], [0.2]])
    assert not may_learn([1, "1"], min_reports=1) and may_learn([1, 1, "1"], min_reports=1)


RURAL_UNNAMED = [  # a village's wiring and volunteers, no utility named (written for the test)
    "村里的线路换新了",
    "近日,县里组织志愿者来到桃源村,为全村300多户村民更换了老化的进户线和电表,实现一户一表,还为村里的孤寡老人免费检查了"
    "家中的线路,更换了破损的插座和开关,叮嘱老人们注意用电安全,遇到问题及时打电话。",
    "改造完成后,村民们家里的电压稳定了,再也不用担心用电高峰时跳闸。志愿者们还为村里的留守老人和五保户送去了米面油和棉被等"
    "慰问品,陪老人们拉家常,帮他们打扫院子,临走时又留下了联系电话,叮嘱老人们有困难随时打电话。",
    "村民们纷纷表示感谢,说志愿者们办了一件大实事,老人们在家里住着也更安心了,村里的年轻人在外打工也放心了。据了解,"
    "这项活动是县里今年为民办实事的项目之一,接下来还将陆续覆盖全县其他的村子,让更多的村民和老人受益。",
]

STREET_OFFICE = [  # a whole report of a street office's service (written for the test): no power utility in it
    "街道为独居老人免费安装智能水表",
    "近日,某街道办事处工作人员和社区志愿者走进辖区内的三个老旧社区,为登记在册的30位独居老人和高龄老人义务安装智能水表和烟感"
    "报警器,一旦水表读数长时间不变或者烟感报警,社区网格员的手机上就会收到提醒,工作人员会在第一时间上门查看老人的情况。",
    "在80岁的王奶奶家,志愿者们还为孤寡老人检查了家中线路,更换了老化插座和破损的开关,又仔细检查了灶台边的燃气软管是否老化,"
    "并手把手教老人如何查看报警器的指示灯,叮嘱老人平时注意用火用电安全,有事随时拨打社区的服务电话。",
    "据了解,这项服务是街道今年为民办实事的项目之一,下一阶段还将逐步覆盖辖区内的其他社区。老人们纷纷表示感谢,"
    "说有了这些设备,子女在外地工作也能更放心一些,自己在家里住着心里也踏实了许多。",
]


def test_a_report_naming_no_power_utility_gets_no_label(shipped_like):
    """Codebook: only the power utility's services count. Dev rounds 15-16: a street office's or a water utility's
    devices for lone elders, told over a whole report with no power utility in it, were tagged elderly and volunteer
    (docs/modelling.md, the seventeenth round's pre-registered rule). A report of three or more body paragraphs in
    which no power-sector word stands gets no label; one such word anywhere in it (a heading too, in either script)
    keeps the model's labels; a loose paragraph, a shorter report and the switch turned off are not touched."""
    report = "\n".join(STREET_OFFICE)
    tagged = shipped_like.tag(report)
    assert [t.kind for t in tagged] == ["heading", "body", "body", "body"]
    assert all(t.labels == [] for t in tagged)
    assert shipped_like.predict_proba(STREET_OFFICE[1:], reports=["r"] * 3).sum() == 0
    assert "elderly_care" in shipped_like.predict(STREET_OFFICE[2])  # the model's own view of the paragraph alone
    for named in ("國網供電所黨員服務隊為獨居老人免費安裝智能水表", "供电所党员服务队为独居老人免费安装智能水表"):
        again = shipped_like.tag("\n".join([named] + STREET_OFFICE[1:]))
        assert "elderly_care" in again[2].labels, named
    short = shipped_like.tag("\n".join(STREET_OFFICE[1:3]))  # two body paragraphs: too short to judge
    assert "elderly_care" in short[1].labels
    typed = shipped_like.tag("党员志愿服务队为孤寡老人免费检查室内线路。\n队员们为老人更换了老化插座。\n老人们表示感谢。")
    assert "elderly_care" in typed[0].labels  # three typed lines: too short to judge (the review page's example)
    shipped_like.set_params(require_power_sector=False)
    try:
        assert "elderly_care" in shipped_like.tag(report)[2].labels
    finally:
        shipped_like.set_params(require_power_sector=True)


def test_the_power_sector_rule_says_which_reports_it_takes_labels_from(shipped_like, shipped_model_file, tmp_path,
                                                                        caplog, capsys):
    """A silenced report's paragraphs look like a report without a service: a user whose utility is named only where
    the model does not read (a byline, a table's other column) could not tell the two apart. The rule says which
    report it took labels from and how many, once per run (then at DEBUG), and says nothing of a report it did not
    change (one with no label to take, one that names its utility)."""
    import logging

    from tagger.apps.cli import main
    from tagger.common.files import warnings_once

    report = "\n".join(STREET_OFFICE)
    with warnings_once(), caplog.at_level(logging.DEBUG, logger="tagger"):
        shipped_like.tag(report, doc="street.txt")
        shipped_like.tag("\n".join(["供电所党员服务队为独居老人免费安装智能水表"] + STREET_OFFICE[1:]), doc="named.txt")
        shipped_like.tag("\n".join(["今天天气很好,大家一起去公园散步,看看湖边的花。" * 6] * 3), doc="plain.txt")
        shipped_like.tag(report, doc="again.txt")
    said = [(r.levelno, r.getMessage()) for r in caplog.records if "names no power utility" in r.getMessage()]
    assert [level for level, _ in said] == [logging.INFO, logging.DEBUG], said
    assert said[0][1].startswith("street.txt: names no power utility") and "require_power_sector=False" in said[0][1]
    shipped_like.set_params(require_power_sector=False)
    try:
        would = sum(len(t.labels) for t in shipped_like.tag(report))
    finally:
        shipped_like.set_params(require_power_sector=True)
    assert would and f"its {would} label(s) taken off" in said[0][1]
    # review: the note counts what the other rules left (a village report naming no utility: its retrofit labels
    # are the village rule's to take, so the rule off gives back only the rest)
    with warnings_once(), caplog.at_level(logging.INFO, logger="tagger"):
        caplog.clear()
        got = shipped_like.tag("\n".join(RURAL_UNNAMED), doc="village.txt")
    assert all(t.labels == [] for t in got)
    shipped_like.set_params(require_power_sector=False)
    try:
        kept = sum(len(t.labels) for t in shipped_like.tag("\n".join(RURAL_UNNAMED)))
    finally:
        shipped_like.set_params(require_power_sector=True)
    notes = [r.getMessage() for r in caplog.records if "names no power utility" in r.getMessage()]
    assert (notes == [] if kept == 0 else
            len(notes) == 1 and f"its {kept} label(s) taken off" in notes[0]), (kept, notes)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "street.txt").write_text(report, encoding="utf-8")
    capsys.readouterr()
    assert main(["tag", str(folder), "--model", str(shipped_model_file), "--format", "jsonl"]) == 0
    err = capsys.readouterr().err
    assert "street: names no power utility" in err, err  # the report as the output names it
    # the way the note names for tagger tag: the model saved with the rule off keeps the labels, and says nothing
    from tagger.model.persistence import load_model

    kept = load_model(shipped_model_file)
    kept.set_params(require_power_sector=False)
    kept.save(tmp_path / "kept.npz", data_hash="test: the rule off")
    assert main(["tag", str(folder), "--model", str(tmp_path / "kept.npz"), "--format", "jsonl"]) == 0
    out, err = capsys.readouterr()
    labels = [row["labels"] for row in map(json.loads, out.splitlines())]
    assert "names no power utility" not in err and any("elderly_care" in got for got in labels), labels


def test_the_power_sector_rule_reads_each_report_on_its_own():
    """Which paragraphs the rule silences: those of a long-enough report without a power-sector word, and no
    other — a heading's word counts for its report, a heading does not count as a body paragraph, loose
    paragraphs (report None) are never silenced, and reports do not lend each other words."""
    from tagger.model.rules import SECTOR_MIN_BODY, SECTOR_MIN_CHARS, outside_power_sector

    long = "社区工作人员为辖区老人上门服务," * 7 + "。"  # 113 characters
    norms = ["街道为老人安装水表", long, long, long, "供电所为老人检查线路", long, long, long, long, long]
    reports = ["a", "a", "a", "a", "b", "b", "b", "b", None, "c"]
    body = [False, True, True, True, False, True, True, True, True, True]
    assert outside_power_sector(norms, reports, body).tolist() == [True] * 4 + [False] * 6
    assert SECTOR_MIN_BODY == 3 and SECTOR_MIN_CHARS == 300
    assert not outside_power_sector(norms[:3], reports[:3], body[:3]).any()  # two body paragraphs
    assert not outside_power_sector(["甲。"] * 5, ["a"] * 5, [True] * 5).any()  # five body paragraphs, 10 characters
    assert not outside_power_sector(norms, [None] * len(norms), body).any()
    with pytest.raises(ValueError, match="10 paragraphs, 9 report ids"):
        outside_power_sector(norms, reports[:-1], body)
    # review: a generation company's story (the dev set's readers labelled one) and a meter-reading story name the
    # sector without a utility's word; they count (widened after the seventeenth round: no dev decision changed)
    from tagger.model.rules import names_power_sector

    for named in ("华能某发电公司的驻村书记为老人送去棉被。", "电厂志愿者走访孤寡老人。", "抄表员上门为老人检查电表。"):
        assert names_power_sector(named), named
    assert not names_power_sector("街道为独居老人安装智能水表和燃气报警器。")
    # dev round 19: a street office fitted a smart breaker to an elder's meter; a household's meter is not the sector
    assert not names_power_sector("街道工作人员为81岁的独居老人在电表上安装智能断路器。")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["r1", "r2", None]),
                          st.sampled_from(["街道为老人安装。" * 8, "供电所检查线路。", "志愿者走访。" * 12, "国网为企业接电。" * 5,
                                           "", "老人表示感谢。"]),
                          st.booleans()), max_size=14))
def test_the_power_sector_rule_silences_whole_reports_only(rows):
    """Property: a report is silenced as a whole or not at all, exactly when it holds enough body paragraphs and
    characters and no paragraph of it names the power sector."""
    from tagger.model.rules import SECTOR_MIN_BODY, SECTOR_MIN_CHARS, names_power_sector, outside_power_sector

    reports = [r for r, _, _ in rows]
    norms = [n for _, n, _ in rows]
    body = [b for _, _, b in rows]
    got = outside_power_sector(norms, reports, body)
    for report in {r for r in reports if r is not None}:
        mine = [i for i, r in enumerate(reports) if r == report]
        expect = (sum(body[i] for i in mine) >= SECTOR_MIN_BODY
                  and sum(len(norms[i]) for i in mine if body[i]) >= SECTOR_MIN_CHARS
                  and not any(names_power_sector(norms[i]) for i in mine))
        assert all(got[i] == expect for i in mine)
    assert not any(got[i] for i, r in enumerate(reports) if r is None)


RURAL = [  # a village's grid works told over a report (written for the test): no compound in it
    "某县供电公司完成新一轮农网改造",
    "近日,某县供电公司完成了桃源村的农网改造升级工程,新建10千伏线路2千米,新增变压器3台,为全村300多户村民更换了老化的"
    "进户线和电表,实现一户一表,彻底解决了村里低电压的问题。",
    "改造完成后,村民们家里的电压稳定了,再也不用担心用电高峰时跳闸,家家户户用上了放心电。",
]


def test_a_village_paragraph_gets_no_retrofit_label(shipped_like):
    """Codebook rule 4: villages are not compounds, village homes never compound homes. Dev set: rural grid works
    (农网改造's 一户一表, a village's new lines) were tagged retrofit. With its report, a paragraph naming a village and
    no place of homes, in a report naming no compound, gets no retrofit; its other labels, a loose paragraph, an urban
    village's report and the switch turned off are not touched (pre-registered before dev round 20,
    docs/modelling.md)."""
    from tagger.labels import LABELS

    j = LABELS.index("old_neighbourhood_retrofit")
    alone = shipped_like.predict_proba(RURAL[1])[j]
    assert alone >= shipped_like.thresholds_[j]  # the model's own view of the paragraph alone: retrofit
    tagged = shipped_like.tag("\n".join(RURAL))
    assert all("old_neighbourhood_retrofit" not in t.labels for t in tagged)
    shipped_like.set_params(villages_not_compounds=False)
    try:
        before = shipped_like.predict_proba(RURAL, reports=["r"] * 3)
    finally:
        shipped_like.set_params(villages_not_compounds=True)
    after = shipped_like.predict_proba(RURAL, reports=["r"] * 3)
    others = [k for k in range(len(LABELS)) if k != j]
    np.testing.assert_array_equal(after[:, others], before[:, others])  # its other labels' scores: untouched
    assert shipped_like.predict_proba(RURAL, reports=["r"] * 3)[1:, j].max() == 0.0
    urban = shipped_like.tag("\n".join(["某区城中村改造用电工程完工"] + RURAL[1:]))  # an urban village: a compound
    assert "old_neighbourhood_retrofit" in urban[1].labels
    shipped_like.set_params(villages_not_compounds=False)
    try:
        assert "old_neighbourhood_retrofit" in shipped_like.tag("\n".join(RURAL))[1].labels
    finally:
        shipped_like.set_params(villages_not_compounds=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["r1", "r2", None]),
                          st.sampled_from(["村民用上了放心电。", "农网改造后全村换了新表。", "小区居民告别了合用电表。",
                                           "村里的胡同亮了。", "城中村改造启动", "", "老人表示感谢。", "社区村民委员会"])),
                max_size=12))
def test_the_village_rule_reads_paragraph_and_report(rows):
    """Property: a paragraph is a village one exactly when it has a report, names a village and no place of homes,
    and no paragraph of its report names a compound."""
    from tagger.model.rules import COMPOUND_REPORT, HOMES, VILLAGE, village_only

    reports = [r for r, _ in rows]
    norms = [n for _, n in rows]
    got = village_only(norms, reports)
    for i, (report, norm) in enumerate(rows):
        compound = any(COMPOUND_REPORT.search(n) for r, n in rows if r == report)
        expect = report is not None and bool(VILLAGE.search(norm)) and not HOMES.search(norm) and not compound
        assert got[i] == expect, (rows, i)
    with pytest.raises(ValueError, match="2 paragraphs and 1 report ids"):
        village_only(["村民用电。", "村里亮了。"], ["r1"])


@pytest.mark.parametrize("text, village", [
    ("农网改造后,村民家家换上了新电表。", True),
    ("村民家门口的环网单元改造完成。", True),  # 环网单元 is grid equipment, not a block of homes
    ("村里的家属区宿舍换上了新电表。", False),
    ("三供一业移交后,村民用上了直供电。", False),
    ("棚户区改造后村民用电更稳了。", False),
    ("某单元楼的村民用上了新表。", False),
])
def test_the_village_rule_words(text, village):
    """Fixed cases (review): the compounds the codebook names (staff quarters, dormitories, 三供一业, shanty towns)
    leave a paragraph to the model; grid equipment named 单元 does not."""
    from tagger.model.rules import village_only

    assert village_only([text], ["r"]).tolist() == [village]


@pytest.mark.parametrize("text, farm", [
    ("该公司开辟春灌绿色通道,为农户机井快速接电。", True),  # 该公司: the utility
    ("国网某县供电分公司为农户机井接电,县公司党员服务队上门服务。", True),
    ("返乡农民工家的春灌用电有了保障。", True),  # 农民工 is no farming word, 春灌 is
    ("为返乡农民工快速接电。", False),
    ("供电所为某食品公司开辟绿色通道,带动周边农户增收。", False),
    ("为个体户和农户开辟报装绿色通道。", False),
    ("农户经营的民宿和农家乐快速增容。", False),
    ("为农户的加工作坊快速接电。", False),
    ("电厂志愿者帮农户抗旱。", False),  # 厂 leaves it to the model (said in the README)
])
def test_the_farm_rule_words(text, farm):
    """Fixed cases (review): enterprises a rural story names besides the utility — a company, 个体户, a guesthouse,
    a workshop — leave a paragraph to the model; the utility's own 公司 and 农民工 do not count."""
    from tagger.model.rules import farm_households_only

    assert farm_households_only(text) is farm


def test_farm_households_supply_gets_no_business_label(shipped_like):
    """Codebook: the business test needs an enterprise, a park or a key project; farm households' irrigation, wells
    and spring ploughing are none (the readers' decisions, rounds 14 and 19), while a cooperative or a farm run as a
    business is an enterprise. A paragraph naming farm households or fields and no enterprise gets no business, loose
    or in its report; the switch turned off leaves the model's view (pre-registered before dev round 21)."""
    from tagger.labels import LABELS
    from tagger.model.rules import farm_households_only

    j = LABELS.index("business_connection_speed")
    farmers = "春灌时节,供电所开辟春耕用电绿色通道,简化农户机井用电报装流程,当天受理、次日接电,确保农田灌溉用电。"
    coop = "春灌时节,供电所开辟绿色通道,为蔬菜种植合作社简化报装流程,当天受理、次日接电,确保农田灌溉用电。"
    assert farm_households_only(farmers) and not farm_households_only(coop)
    shipped_like.set_params(farms_not_enterprises=False)
    try:
        assert shipped_like.predict_proba(farmers)[j] >= shipped_like.thresholds_[j]  # the model alone: business
        assert "business_connection_speed" in shipped_like.predict(farmers)
    finally:
        shipped_like.set_params(farms_not_enterprises=True)
    assert shipped_like.predict_proba(farmers)[j] == 0.0
    assert "business_connection_speed" not in shipped_like.predict(farmers)
    assert shipped_like.predict_proba([farmers], reports=["r"])[0, j] == 0.0
    assert shipped_like.predict_proba(coop)[j] > 0.0  # a cooperative is an enterprise: left to the model


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["农户", "机井", "灌溉", "合作社", "农场", "企业", "老人", "供电所", "报装", "。", "厂"]),
                max_size=8))
def test_the_farm_rule_reads_farming_and_enterprise_words(words):
    """Property: a paragraph is a farm households' one exactly when a farming word stands in it and no enterprise
    word does."""
    from tagger.model.rules import ENTERPRISE, FARMING, farm_households_only

    text = "".join(words)
    assert farm_households_only(text) == (bool(FARMING.search(text)) and not ENTERPRISE.search(text))


@pytest.mark.parametrize("text, closing", [
    ("此次活动,营造了浓浓的敬老氛围,让老人们感受到了党和政府的关怀。", True),
    ("通过此次志愿服务活动,青年员工弘扬了尊老敬老的传统美德。", True),
    ("本次慰问活动,让孤寡老人感受到了社会的温暖。", True),
    ("此次活动,志愿者为12户孤寡老人更换了老化电线。", False),  # a summary of the work done counts (rule 1)
    ("本次慰问活动,解决了困难群众的用电问题。", False),
    ("活动中,志愿者们弘扬了雷锋精神。", False),  # opens as no closing: left to the model
    ("老人们说,此次活动让他们感受到了温暖。", False),  # 此次 not at the opening
    ("此项目实施后,小区居民告别了私拉乱接。", False),  # 此项目, "this project", is no closing (review)
    ("此项活动,让居民感受到了温暖。", True),
])
def test_the_closing_rule_words(text, closing):
    """Fixed cases: a closing that opens as one and names no act of service only weighs the activity; one that
    tells what was done, or that opens otherwise, is left to the model."""
    from tagger.model.rules import closes_without_act

    assert closes_without_act(text) is closing


def test_a_closing_that_only_weighs_the_activity_gets_no_label(shipped_like):
    """Codebook rule 1 (substance, not vocabulary) and the readers' practice: a report's closing that only weighs the
    activity — traditions upheld, warmth felt — is none; the model gave such closings of elders' and volunteer stories
    their labels (12 on the 741 dev reports present, none true). Pre-registered before dev rounds 24 and 25, kept on
    them (docs/modelling.md). Off, the model's view stands; loose or in its report, on, no label."""
    closing = "此次志愿服务活动,让敬老院的孤寡老人们感受到了电力志愿者的关爱,弘扬了尊老敬老的传统美德。"
    done = "此次志愿服务活动,电力志愿者为敬老院的孤寡老人义务检查线路、更换老化插座。"
    shipped_like.set_params(suppress_closings=False)
    try:
        assert shipped_like.predict(closing)  # the model alone: elders and volunteers
    finally:
        shipped_like.set_params(suppress_closings=True)
    assert shipped_like.predict_proba(closing).max() == 0.0 and shipped_like.predict(closing) == []
    assert shipped_like.predict_proba([closing], reports=["r"]).max() == 0.0
    assert {"elderly_care", "volunteer_work"} <= set(shipped_like.predict(done))  # the work told: kept
    report = "供电公司志愿者走进敬老院。\n" + done + "\n" + closing
    tagged = shipped_like.tag(report)
    assert tagged[-1].labels == [] and tagged[-2].labels
