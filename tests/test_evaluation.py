"""Cross-validation (tagger.evaluation.cv) and metrics (tagger.evaluation.metrics): folds never train on
what they score, baselines, processes, and numbers that agree with scikit-learn."""

import logging
import pickle

import numpy as np
import pytest

import tagger.evaluation.cv as cv
from tagger import LABELS
from tagger.data.examples import Example
from tagger.evaluation.cv import (SHIPPED, EmptyBaseline, Fold, KeywordBaseline, System, default_systems, make_folds,
                                  run_systems)
from tagger.evaluation.metrics import average_precision, metrics

CHEAP = System("tagger, words only", "test system", "ablation",
               (("use_char", False), ("tune_thresholds", False)))


@pytest.fixture(scope="module")
def small(resources):
    """The seed paragraphs and every 40th authored one."""
    authored = [e for e in resources.examples if e.source == "authored"][::40]
    return [e for e in resources.examples if e.source == "seed"] + authored


def test_lodo_folds_score_only_real_paragraphs(resources):
    ex = resources.examples
    folds = make_folds(ex, "lodo")
    docs = sorted({e.doc for e in ex if e.source == "seed"})
    assert [f.name for f in folds] == docs
    scored = np.concatenate([f.test for f in folds])
    assert sorted(scored) == [i for i, e in enumerate(ex) if e.source == "seed"]
    n_authored = sum(e.source == "authored" for e in ex)
    for f in folds:
        assert not set(f.train) & set(f.test)
        assert all(ex[i].doc == f.name for i in f.test)
        assert all(ex[i].doc != f.name for i in f.train)
        assert sum(ex[i].source == "authored" for i in f.train) == n_authored  # authored text joins every side


def test_kfold_folds(resources):
    ex = resources.examples
    folds = make_folds(ex, "kfold", n_folds=5, repeats=2, seed=1)
    assert len(folds) == 10 and folds[0].name == "r0f0" and folds[-1].name == "r1f4"
    real = sorted(i for i, e in enumerate(ex) if e.source == "seed")
    for r in range(2):
        tested = np.concatenate([f.test for f in folds[5 * r:5 * r + 5]])
        assert sorted(tested) == real  # every real paragraph scored once per repeat
    for f in folds:
        assert all(ex[i].source == "seed" for i in f.test)
        assert not set(f.train) & set(f.test)
    assert [f.test.tolist() for f in make_folds(ex, "kfold", seed=1)] == [f.test.tolist() for f in folds[:5]]


def test_bad_fold_requests(resources):
    with pytest.raises(ValueError, match="unknown CV scheme 'random'"):
        make_folds(resources.examples, "random")
    one_doc = [e for e in resources.examples if e.doc == "000_6bc5a408cdc75e0e"]
    with pytest.raises(ValueError, match="at least 2 reports"):
        make_folds(one_doc, "lodo")
    authored = [e for e in resources.examples if e.source == "authored"][:10]
    with pytest.raises(ValueError, match="no real"):
        make_folds(authored, "lodo")


class _Spy:
    """Records the paragraphs a model was trained on, to prove no fold trains on its test rows."""

    seen: list[set[str]] = []

    def __init__(self, train):
        _Spy.seen.append({e.text for e in train})

    def predict_proba(self, texts, reports=None):
        assert not set(texts) & _Spy.seen[-1], "test paragraphs were in the training data"
        assert reports is not None and len(set(reports)) == 1, "a LODO fold scores one report, with its report id"
        return np.zeros((len(texts), len(LABELS)))

    def predict_indicator(self, texts, reports=None):
        return (self.predict_proba(texts, reports) > 0).astype(int)


def test_no_fold_trains_on_its_test_paragraphs(resources, monkeypatch):
    _Spy.seen.clear()
    monkeypatch.setattr(cv, "fit_system", lambda system, train, *a, **k: _Spy(train))
    ex = resources.examples
    folds = make_folds(ex)
    (run,) = run_systems(ex, resources, [System("spy", "")], folds, "lodo", jobs=1, progress=False)
    assert len(_Spy.seen) == 5 and run.metrics["n"] == 109
    for seen, fold in zip(_Spy.seen, folds):
        assert seen == {ex[i].text for i in fold.train}
    _Spy.seen.clear()
    run_systems(ex, resources, [System("spy, real", "", train_on="real")], folds, "lodo", jobs=1, progress=False)
    for seen, fold in zip(_Spy.seen, folds):
        assert seen == {ex[i].text for i in fold.train if ex[i].source == "seed"}  # no authored text


def test_real_tagger_never_fits_or_tunes_on_scored_paragraphs(resources, small, monkeypatch):
    """The tagger, for real: every text Tagger.fit sees (it also tunes the thresholds on exactly these rows)
    is disjoint from the texts the fold scores, and the thresholds are tuned on the fold's training rows."""
    import tagger.model.tagger as model_mod

    fitted, tuned_on = [], []
    real_fit, real_best = model_mod.Tagger.fit, model_mod.best_f1_threshold

    def spy_fit(self, texts, *args, **kwargs):
        fitted.append(list(texts))
        return real_fit(self, texts, *args, **kwargs)

    def spy_best(y, scores, *args, **kwargs):
        tuned_on.append(len(y))
        return real_best(y, scores, *args, **kwargs)

    monkeypatch.setattr(model_mod.Tagger, "fit", spy_fit)
    monkeypatch.setattr(model_mod, "best_f1_threshold", spy_best)
    folds = make_folds(small, "lodo")
    system = System("tagger, words", "", "model", (("use_char", False),))
    (run,) = run_systems(small, resources, [system], folds, "lodo", jobs=1, keep_models=("tagger, words",),
                         progress=False)
    assert len(fitted) == len(folds) and len(run.models) == len(folds)
    for seen, fold in zip(fitted, folds):
        assert not set(seen) & {small[i].text for i in fold.test}
        assert sorted(seen) == sorted(small[i].text for i in fold.train)  # and on exactly the training rows
    # each label tuned once per fold, on out-of-fold scores of (paragraphs made of) the training rows only,
    # pooled over the repeated inner K-folds: at most one composite per training row and repeat
    repeats = run.models[0].threshold_repeats
    assert repeats == 3 and len(tuned_on) == len(folds) * len(LABELS)
    assert all(0 < n <= repeats * len(f.train) for n, f in zip(tuned_on[::len(LABELS)], folds))
    assert len(run.fold_thresholds) == len(folds) and run.fold_of == [k for k, f in enumerate(folds) for _ in f.test]


def test_processes_give_the_same_results(resources, small):
    folds = make_folds(small, "lodo")
    systems = [CHEAP, System("empty", "", "baseline", method="empty"),
               System("keyword lexicon", "", "baseline", method="keywords")]
    one = run_systems(small, resources, systems, folds, "lodo", jobs=1, progress=False)
    two = run_systems(small, resources, systems, folds, "lodo", jobs=2, keep_models=("empty",), progress=False)
    for a, b in zip(one, two):
        assert a.system == b.system and a.metrics == b.metrics and a.ids == b.ids and a.docs == b.docs
        np.testing.assert_array_equal(a.scores, b.scores)
        np.testing.assert_array_equal(a.y_pred, b.y_pred)
    assert [len(r.models) for r in two] == [0, len(folds), 0]  # only the systems asked for keep models
    assert all(isinstance(m, EmptyBaseline) for m in two[1].models)


def test_run_assembles_per_report_rows(resources, small):
    folds = make_folds(small, "lodo")
    (run,) = run_systems(small, resources, [System("keyword lexicon", "", "baseline", method="keywords")], folds,
                         "lodo", jobs=1, progress=False)
    assert run.scheme == "lodo" and run.kind == "baseline" and run.y_true.shape == run.y_pred.shape == (109, 5)
    assert [d["doc"] for d in run.per_doc] == [f.name for f in folds]
    for d, f in zip(run.per_doc, folds):
        m = np.array(run.docs) == d["doc"]
        assert d["paragraphs"] == len(f.test) == m.sum()
        assert d["micro_f1"] == metrics(run.y_true[m], run.y_pred[m])["micro_f1"]
        assert d["gold_labels"] == run.y_true[m].sum() and d["predicted_labels"] == run.y_pred[m].sum()
    assert run.average_precision == average_precision(run.y_true, run.scores)


def test_default_systems():
    names = [s.name for s in default_systems(ablations=False)]
    assert names == ["tagger", "tagger, real text only", "empty", "keyword lexicon", "plain TF-IDF + LR @0.5"]
    assert "tagger, real text only" not in [s.name for s in default_systems(ablations=False, has_authored=False)]
    full = default_systems()
    assert full[0] is SHIPPED and len({s.name for s in full}) == len(full)
    ablations = {s.name: dict(s.params) for s in full if s.kind == "ablation" and s.params}
    assert ablations["no char n-grams"] == {"use_char": False}
    assert ablations["no heading and caption rule"] == {"suppress_headings": False}
    assert ablations["no plan rule"] == {"suppress_plans": False}
    assert ablations["no report context"] == {"report_context": False}
    plain = next(s for s in full if s.name == "plain TF-IDF + LR @0.5")
    assert dict(plain.params)["use_lexicon"] is False and plain.train_on == "real"
    assert pickle.loads(pickle.dumps(full)) == full  # systems travel to worker processes
    with pytest.raises(AttributeError):
        SHIPPED.name = "x"  # frozen


def test_baselines(resources):
    assert EmptyBaseline().predict_indicator(["a", "b"]).tolist() == [[0] * 5, [0] * 5]
    assert EmptyBaseline().predict_proba(["a"]).shape == (1, 5)
    kw = KeywordBaseline(resources.lexicon)
    got = kw.predict_indicator(["为老旧小区加装电梯接电。", "老旧小区加装电梯", "公司召开党委会议。"])
    assert [[lab for lab, x in zip(LABELS, row) if x] for row in got.tolist()] == [
        ["old_neighbourhood_retrofit", "elevator_power_hookup"], [], []]  # a heading: no label (codebook)
    proba = kw.predict_proba(["为老旧小区加装电梯接电。"])
    assert ((proba >= 0) & (proba <= 1)).all()


def test_fit_system_builds_each_kind(resources, small):
    empty = cv.fit_system(System("e", "", method="empty"), small, resources.lexicon, resources.user_words)
    assert isinstance(empty, EmptyBaseline)
    model = cv.fit_system(CHEAP, small, resources.lexicon, resources.user_words, seed=3)
    assert model.use_char is False and model.tune_thresholds is False and model.random_state == 3
    assert model.predict_indicator(["党员志愿者为孤寡老人义务检查线路。"])[0, 0] == 1


# ----------------------------------------------------------------------------- metrics
def test_metrics_perfect_and_empty():
    y = np.array([[1, 0, 0, 0, 1], [0, 0, 0, 0, 0], [0, 1, 1, 0, 0]])
    m = metrics(y, y)
    assert m["micro_f1"] == 1.0 and m["subset_accuracy"] == 1.0 and m["hamming_loss"] == 0.0 and m["n"] == 3
    e = metrics(y, np.zeros_like(y))
    assert e["micro_f1"] == 0.0 and e["subset_accuracy"] == pytest.approx(1 / 3)
    assert e["per_label"]["elderly_care"]["support"] == 1
    none = metrics(np.zeros((0, 5)), np.zeros((0, 5)))
    assert none["n"] == 0 and none["micro_f1"] == 0.0 and none["subset_accuracy"] == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_agree_with_scikit_learn(seed):
    from sklearn.metrics import accuracy_score, f1_score, hamming_loss, precision_recall_fscore_support

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=(60, 5))
    p = np.where(rng.random((60, 5)) < 0.25, 1 - y, y)
    y[:, 3] = 0  # a label never present
    p[:, 3] = 0
    m = metrics(y, p)
    prec, rec, f1, support = precision_recall_fscore_support(y, p, zero_division=0)
    for j, lab in enumerate(LABELS):
        got = m["per_label"][lab]
        assert (got["precision"], got["recall"], got["f1"], got["support"]) == pytest.approx(
            (prec[j], rec[j], f1[j], support[j]))
    assert m["micro_f1"] == pytest.approx(f1_score(y, p, average="micro", zero_division=0))
    assert m["macro_f1"] == pytest.approx(f1_score(y, p, average="macro", zero_division=0))
    assert m["subset_accuracy"] == pytest.approx(accuracy_score(y, p))
    assert m["hamming_loss"] == pytest.approx(hamming_loss(y, p))
    micro_p, micro_r, _, _ = precision_recall_fscore_support(y, p, average="micro", zero_division=0)
    assert (m["precision"], m["recall"]) == pytest.approx((micro_p, micro_r))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_average_precision_agrees_with_scikit_learn(seed):
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=(50, 5))
    y[:, 2] = 0  # no positives: undefined
    scores = np.round(rng.random((50, 5)), 1)  # many ties
    got = average_precision(y, scores)
    assert got[2] is None
    for j in (0, 1, 3, 4):
        assert got[j] == pytest.approx(average_precision_score(y[:, j], scores[:, j]))


def test_fold_is_a_plain_record():
    f = Fold("x", np.array([0, 1]), np.array([2]))
    assert f.name == "x" and f.train.tolist() == [0, 1] and f.test.tolist() == [2]
    ex = Example("a:0", "a", "t", ())
    assert ex.source == "seed" and ex.index == -1 and ex.kind == "body"


def test_calibration_tells_probabilities_from_overconfident_scores():
    from tagger.evaluation.metrics import calibration

    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, (20_000, 1))
    y = rng.uniform(0, 1, p.shape) < p  # labels drawn with the scores' own probabilities
    (good,) = calibration(y, p)
    (bad,) = calibration(y, np.clip(p * 1.6, 0, 1))  # the same ranking, inflated scores
    assert good["ece"] < 0.02 < 0.1 < bad["ece"]
    assert abs(good["mean_score"] - good["rate"]) < 0.02 and good["brier"] < bad["brier"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_threshold_ceiling_is_the_best_threshold_and_keeps_forced_rows(seed):
    from tagger.evaluation.metrics import threshold_ceiling

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=(80, 5)).astype(bool)
    y[:, 2] = False  # a label never present: left out
    scores = np.clip(y * 0.3 + rng.random((80, 5)) * 0.7, 0, 1)
    scores[:4] = 0.9
    pred = scores >= 0.5
    pred[:4] = False  # rows the model's rules decided no on (headings, plans) although they score high
    c = threshold_ceiling(y, pred, scores, [0.5] * 5)
    assert set(c["per_label"]) == {LABELS[j] for j in (0, 1, 3, 4)}
    assert c["micro_f1"] == pytest.approx(metrics(y, pred)["micro_f1"])
    for j in (0, 1, 3, 4):
        row = c["per_label"][LABELS[j]]
        # brute force: every cut between scores; the forced rows stay no, their positives stay misses
        cuts = np.r_[np.unique(scores[4:, j]), 2.0]
        exact = max(2 * ((scores[4:, j] >= t) & y[4:, j]).sum() / ((scores[4:, j] >= t).sum() + y[:, j].sum())
                    for t in cuts)
        assert row["best_f1"] == pytest.approx(exact)
        assert row["f1"] == pytest.approx(metrics(y, pred)["per_label"][LABELS[j]]["f1"])
        assert row["best_f1"] >= row["f1"]
    assert c["best_micro_f1"] >= c["micro_f1"]


def test_a_report_with_no_label_given_nor_predicted_has_no_f1_in_the_per_report_table():
    """Review: such a report, handled exactly right, showed micro F1 0.000 beside exact match 1.000."""
    from types import SimpleNamespace

    from tagger.evaluation.report import per_doc_table

    run = SimpleNamespace(per_doc=[
        {"doc": "t1", "paragraphs": 2, "gold_labels": 3, "predicted_labels": 2, "micro_f1": 0.8, "exact_match": 0.5},
        {"doc": "t2", "paragraphs": 1, "gold_labels": 0, "predicted_labels": 0, "micro_f1": 0.0, "exact_match": 1.0},
        {"doc": "t3", "paragraphs": 1, "gold_labels": 0, "predicted_labels": 1, "micro_f1": 0.0, "exact_match": 0.0}])
    rows = per_doc_table(run).splitlines()[2:]
    assert rows == ["| t1 | 2 | 3 | 2 | 0.800 | 0.500 |", "| t2 | 1 | 0 | 0 | – | 1.000 |", "| t3 | 1 | 0 | 1 | 0.000 | 0.000 |"]


def test_the_training_data_note_asks_whether_the_scored_model_saw_the_paragraphs(seed_model, project, tmp_path,
                                                                                   caplog):
    """After review --export (step 3 of the README's queue), evaluate --test said the queue's scores overstate a
    model trained before the import, which never saw them (review)."""
    import json
    import logging

    from tagger.evaluation.run import run_test
    from tagger.training import load_resources, training_hash

    from tagger.training import Resources

    resources = load_resources(project)
    imported = [e for e in resources.examples if e.source == "seed"][:3]  # as if imported after training
    test = tmp_path / "t.jsonl"
    test.write_text("".join(json.dumps({"text": e.text, "labels": list(e.labels)}, ensure_ascii=False) + "\n"
                            for e in imported), encoding="utf-8")
    before = Resources([e for e in resources.examples if e not in imported], resources.lexicon, resources.user_words)
    for name, trained_on, seen in (("same", resources, True), ("other", None, None), ("before", before, False)):
        # "other": trained from other data (e.g. a lexicon row since): whether it saw them cannot be told, so said
        # (it said they overstate it)
        path = seed_model.save(tmp_path / f"{name}.npz",
                               data_hash=training_hash(trained_on) if trained_on else "0123456789abcdef")
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            md, _, _ = run_test(test, path, out=tmp_path / name, plots=False, n_boot=20, root=project)
        if seen:
            assert ("**3 of 3 paragraphs are in the training data of the model scored** (its data hash shows it: "
                    "trained on this checkout's training data as it is)") in md, name
            assert "their scores are no test" in caplog.text, name
        elif seen is None:
            assert ("**3 of 3 paragraphs are in this checkout's training data**" in md
                    and "whether the model scored was trained on them cannot be told" in md)
            assert "cannot be told" in caplog.text and "fair test" not in md and "so these scores overstate" not in md
        else:
            assert ("3 of 3 paragraphs are in this checkout's training data now" in md and "trained from this checkout "
                    "without them" in md and "so these scores are a fair test of it" in md)
            assert "overstate" not in md and "no test" not in caplog.text


def test_paragraphs_imported_after_training_are_a_fair_test_of_that_model(seed_model, project, tmp_path, caplog):
    """User test: train, then labels import 4 paragraphs, then evaluate --test a file holding 2 of them: "2 of 2
    paragraphs are in this checkout's training data … these scores overstate it", though the model saw none (its
    data hash was the checkout's less all 4 rows, not less the test file's 2). The rows imported since the model
    was trained are told by its data hash (n_train in its manifest says how many; without it, each count is
    tried); a test paragraph it did see is named as such, apart."""
    import json
    import logging

    from tagger.evaluation.run import run_test
    from tagger.training import load_resources, training_hash

    before = load_resources(project)
    texts = ["示例供电所走访独居老人，检查家中线路。", "示例社区加装电梯，供电公司开辟绿色通道。",
             "示例志愿服务队进社区宣传安全用电。", "示例营业厅压缩小微企业接电时间。"]
    labels = [["elderly_care"], ["elevator_power_hookup"], ["volunteer_work"], ["business_connection_speed"]]
    (project / "labels" / "imported.jsonl").write_text("".join(
        json.dumps({"id": f"imp:{i}", "doc": "imp", "text": t, "labels": lab, "source": "imported"},
                   ensure_ascii=False) + "\n" for i, (t, lab) in enumerate(zip(texts, labels))), encoding="utf-8")
    assert len(load_resources(project).examples) == len(before.examples) + 4
    seed = next(e for e in before.examples if e.source == "seed")
    test = tmp_path / "t.jsonl"
    test.write_text("".join(json.dumps({"text": t, "labels": lab}, ensure_ascii=False) + "\n"
                            for t, lab in [(texts[0], labels[0]), (texts[2], labels[2]),
                                           (seed.text, list(seed.labels))]), encoding="utf-8")
    for name, record in (("counted", {"n_train": len(before.examples)}), ("old", {})):
        path = seed_model.save(tmp_path / f"{name}.npz", data_hash=training_hash(before), **record)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            md, _, _ = run_test(test, path, out=tmp_path / name, plots=False, n_boot=20, root=project)
        assert ("2 of 3 paragraphs are in this checkout's training data now (seeds, labels/imported.jsonl, authored "
                "files), but the model scored never saw them (its data hash shows it: trained from this checkout "
                "without the 4 rows imported since), so their scores are a fair test of it") in md, name
        assert "**1 of 3 paragraphs is in the training data of the model scored**" in md, name
        assert "1 of 3 paragraphs is training data of the model scored" in caplog.text


def test_a_label_file_whose_rows_say_reviewed_is_scored_as_a_label_file(seed_model, tmp_path):
    """Rows of a label JSONL with "source": "reviewed" were taken for a tagged file's decisions: "not a tagged file"
    (diff review)."""
    import json

    from tagger.evaluation.run import run_test

    test = tmp_path / "t.jsonl"
    test.write_text("".join(json.dumps({"id": f"d:{i}", "doc": "d", "index": i, "text": t, "labels": [],
                                        "source": "reviewed"}, ensure_ascii=False) + "\n"
                            for i, t in enumerate(["公司召开会议。", "党员服务队为老人检查线路。"])), encoding="utf-8")
    md, payload, _ = run_test(test, seed_model.save(tmp_path / "m.npz"), out=tmp_path / "o", plots=False, n_boot=20)
    assert "2 labelled paragraphs scored" in md


# --------------------------------------------------------------------------- grouping by report, once
def test_per_report_scores_are_grouped_once(monkeypatch):
    """Without a report column each row is its own report, and assemble looked through every row for each report
    (and scored each apart): 40,000 rows took 92 s. The rows are grouped once; the scores are the same as each
    report's own metrics, in the order the reports first come."""
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, (60, 5)), rng.integers(0, 2, (60, 5))
    p[:3] = 0
    y[:3] = 0  # reports with nothing to find: micro-F1 0, as metrics says it
    docs = [f"d{(i * 7) % 23}" for i in range(60)]
    examples = [Example(f"{d}:{i}", d, "甲。", ()) for i, d in enumerate(docs)]
    calls = []
    monkeypatch.setattr(cv, "metrics", lambda t, q: calls.append(len(t)) or metrics(t, q))
    run = cv.assemble(examples, y, CHEAP, [Fold("all", np.array([], int), np.arange(60))], "test",
                      [(p.astype(float), p, None, None)], False, 0.0)
    assert calls == [60]  # the whole run's, not one per report
    docs_arr = np.array(docs)
    expected = []
    for doc in dict.fromkeys(docs):
        m = docs_arr == doc
        expected.append({"doc": doc, "paragraphs": int(m.sum()), "gold_labels": int(y[m].sum()),
                         "predicted_labels": int(p[m].sum()), "micro_f1": metrics(y[m], p[m])["micro_f1"],
                         "exact_match": float((y[m] == p[m]).all(1).mean())})
    assert run.per_doc == expected


def test_report_ids_that_differ_only_by_a_trailing_nul_are_two_reports_to_every_grouping():
    """Odds item 8: the bootstraps grouped rows by report ids read as a NumPy string array, which drops a trailing NUL:
    'a' and 'a\\x00' were one report resampled, and two in the per-report table. One grouping now: two reports."""
    import tagger.evaluation.metrics as m

    assert m.per_report(["a", "a\x00", "a"], np.ones((3, 1))).tolist() == [[2.0], [1.0]]
    y = np.eye(len(LABELS), dtype=bool)[:3]
    scores = cv.per_doc_scores(y, y, ["a", "a\x00", "a"])
    assert [(d["doc"], d["paragraphs"]) for d in scores] == [("a", 2), ("a\x00", 1)]


def test_the_bootstrap_resamples_a_few_at_a_time_with_the_same_draws(monkeypatch):
    """report_bootstrap and review_curve held every resample of every report at once (1.4 GB for 40,000 one-row
    reports); they now draw a few resamples at a time, the same draws in the same order: the same intervals."""
    import tagger.evaluation.metrics as m

    rng = np.random.default_rng(1)
    y, p = rng.integers(0, 2, (200, 5)).astype(bool), rng.integers(0, 2, (200, 5)).astype(bool)
    docs, margins = [str(i % 37) for i in range(200)], rng.random(200)
    whole = (m.report_bootstrap(y, p, docs, n_boot=150), m.review_curve(y, p, margins, docs, n_boot=150))
    monkeypatch.setattr(m, "_RESAMPLE_CELLS", 40)  # one resample of 37 reports at a time
    assert (m.report_bootstrap(y, p, docs, n_boot=150), m.review_curve(y, p, margins, docs, n_boot=150)) == whole
    counts = np.stack([np.bincount(d, minlength=37) for d in np.random.default_rng(0).integers(0, 37, (150, 37))])
    assert np.array_equal(np.vstack(list(m._resamples(np.random.default_rng(0), 37, 150))), counts)


def _figure_cases():
    """Random labels, predictions, margins (with ties) and reports, fixed seeds: the inputs of
    fixtures/bootstrap_figures.json, which holds the figures the code before one grouping helper gave for them."""
    for seed, n, k, rate in ((0, 30, 4, 0.3), (1, 200, 40, 0.2), (2, 500, 500, 0.1), (3, 120, 1, 0.4), (4, 60, 12, 0.0)):
        rng = np.random.default_rng(seed)
        y = rng.random((n, 5)) < rate
        y[:, 4] = False  # a label the data lacks
        p = y ^ (rng.random((n, 5)) < 0.15)
        docs = [f"r{d}" for d in rng.integers(0, k, n)]
        margins = np.round(rng.random(n), 2)  # ties
        reviewable = rng.random(n) < 0.8
        yield seed, y, p, docs, margins, reviewable


@pytest.mark.parametrize("cells", [1 << 22, 64])  # all resamples in one product; a few resamples at a time
def test_bootstrap_figures_are_those_of_the_code_before_one_grouping(monkeypatch, cells):
    """report_bootstrap and review_curve grouped rows per report each on their own and made six (one per share)
    matrix products per chunk of resamples; they now share one grouping and make one product per chunk: every
    figure is the one the earlier code gave (saved from it) on random inputs."""
    import json
    from pathlib import Path

    import tagger.evaluation.metrics as m

    saved = json.loads((Path(__file__).parent / "fixtures" / "bootstrap_figures.json").read_text())
    monkeypatch.setattr(m, "_RESAMPLE_CELLS", cells)
    for seed, y, p, docs, margins, reviewable in _figure_cases():
        now = {"bootstrap": m.report_bootstrap(y, p, docs, n_boot=300, seed=seed),
               "curve": m.review_curve(y, p, margins, docs, shares=[0, 0.1, 0.25, 0.5], n_boot=200, seed=seed),
               "curve_reviewable": m.review_curve(y, p, margins, docs, shares=[0, 0.3, 1.0], n_boot=150, seed=seed + 1,
                                                  reviewable=reviewable)}
        assert json.loads(json.dumps(now, sort_keys=True)) == saved[f"{seed}/{cells}"], seed


def test_lodo_folds_are_every_other_row_in_order():
    """make_folds ran np.isin over every real row for each report (quadratic in reports); a fold's training rows are
    now the rows left when the report's are masked out: the same folds as before (the earlier rule written out)."""
    rng = np.random.default_rng(3)
    docs = [f"r{d}" for d in rng.integers(0, 25, 300)]
    ex = [Example(f"{d}:{i}", d, "x", (), "authored" if rng.random() < 0.2 else "seed") for i, d in enumerate(docs)]
    real = np.array([i for i, e in enumerate(ex) if e.source != "authored"])
    authored = np.array([i for i, e in enumerate(ex) if e.source == "authored"], dtype=int)
    folds = make_folds(ex, "lodo")
    assert [f.name for f in folds] == sorted({ex[i].doc for i in real})
    for fold in folds:
        test = np.array([i for i in real if ex[i].doc == fold.name])
        before = np.sort(np.concatenate([real[~np.isin(real, test)], authored]))
        assert fold.test.tolist() == test.tolist()
        assert fold.train.dtype == before.dtype and fold.train.tolist() == before.tolist()


def test_the_bootstraps_of_no_rows_or_no_resamples_give_what_they_gave_before():
    """One grouping per report crashed on zero rows (a reshape in _per_report) where report_bootstrap gave no
    intervals (None; macro-F1 0 on no labels) and review_curve a flat curve at 0; review_curve(..., n_boot=0) crashed
    where it gave empty lists. They give those again (report_bootstrap with n_boot=0, which crashed before too: None
    intervals)."""
    import tagger.evaluation.metrics as m

    none = np.zeros((0, len(LABELS)), dtype=bool)
    ci = m.report_bootstrap(none, none, [], n_boot=50)
    assert (ci["micro_f1"], ci["macro_f1"], ci["subset_accuracy"], ci["hamming_loss"]) == (None, (0.0, 0.0), None, None)
    assert all(v is None for lab in LABELS for v in ci["per_label"][lab].values())
    curve = m.review_curve(none, none, np.zeros(0), [], shares=[0, 0.5], n_boot=50)
    assert (curve["micro_f1"], curve["low"], curve["high"]) == ([0.0, 0.0], [0.0, 0.0], [0.0, 0.0])
    assert curve["needed"] == {0.85: None, 0.89: None}
    y = np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]], dtype=bool)
    p = np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)
    unbooted = m.review_curve(y, p, np.array([5.0, 0.1]), ["a", "b"], shares=[0, 0.5], n_boot=0)
    assert (unbooted["shares"], unbooted["micro_f1"], unbooted["low"], unbooted["high"]) == ([0, 0.5], [], [], [])
    assert m.report_bootstrap(y, p, ["a", "b"], n_boot=0)["micro_f1"] is None


def test_a_model_without_n_train_tries_a_bounded_number_of_import_counts(monkeypatch):
    """Review: with a manifest without n_train, _seen_by_model hashed the whole data once for every count of rows
    imported since (3,000 imported rows: 27 s against 4.4 s); it now tries at most MAX_IMPORT_COUNTS of them and,
    past that, says it cannot be told."""
    from types import SimpleNamespace

    import tagger.evaluation.run as run
    from tagger.data.examples import Example

    def ex(i, source):
        return Example(id=f"{source}:{i}", doc=source, text=f"示例段落{i}。", labels=(), source=source)

    data = [ex(0, "seed")] + [ex(i, "imported") for i in range(1, 601)] + [ex(601, "authored")]
    resources = SimpleNamespace(examples=data, lexicon=None, user_words=())
    calls = []
    monkeypatch.setattr(run, "Resources", lambda kept, lexicon, user_words: kept)
    monkeypatch.setattr(run, "training_hash", lambda kept, seed=0, encoder=None: calls.append(len(kept)) or "no")
    model = SimpleNamespace(manifest_={"data_hash": "target"}, random_state=0, encoder=None)
    assert run._seen_by_model(resources, [ex(1, "imported")], model) is None
    assert len(calls) == 2 + run.MAX_IMPORT_COUNTS  # as it is, less the test file's, then each count up to the cap


def _reports_of(seed_docs: int, imported_docs: int, seed: int = 0) -> list[Example]:
    """Seed and imported reports of 1–4 paragraphs each, with authored rows between them."""
    rng = np.random.default_rng(seed)
    ex = [Example(f"w:{k}", "authored_a", "x", (), "authored") for k in range(3)]
    for source, n in (("seed", seed_docs), ("imported", imported_docs)):
        for d in range(n):
            doc = f"{source[0]}{d:04d}"
            ex += [Example(f"{doc}:{k}", doc, "x", (), source) for k in range(int(rng.integers(1, 5)))]
    return ex


def test_many_imported_reports_are_grouped_in_a_fixed_number_of_folds():
    """User test: 3,721 imported paragraphs of 2,190 reports made train.py's cross-validation one fit per report —
    2,194 fits of 60–100 s, 19–30 hours. Up to IMPORTED_FOLDS imported reports stay a fold each; more are split into
    IMPORTED_FOLDS folds of whole reports: seed reports + 10 fits, whatever the import's size. The seed reports keep
    a fold each, scoring the same rows (without imported labels the folds, and so every figure train.py, evaluate.py
    and the README quote, are as they were)."""
    k = cv.IMPORTED_FOLDS
    seed_alone = make_folds(_reports_of(5, 0), "lodo")
    for imported in (0, 3, k, k + 1, 237):
        ex = _reports_of(5, imported)
        folds = make_folds(ex, "lodo")
        assert len(folds) == 5 + min(imported, k), imported
        real = [i for i, e in enumerate(ex) if e.source != "authored"]
        if imported <= k:  # a fold each, in the order of the report ids, as before
            assert [f.name for f in folds] == sorted({ex[i].doc for i in real})
        else:
            assert [f.name for f in folds] == [f"s{d:04d}" for d in range(5)] + [f"imported {j}/{k}" for j in
                                                                                 range(1, k + 1)]
        by_name = {f.name: [ex[i].id for i in f.test] for f in folds}
        for alone in seed_alone:  # the seed folds score the same rows
            assert by_name[alone.name] == [_reports_of(5, 0)[i].id for i in alone.test], imported
        assert sorted(np.concatenate([f.test for f in folds]).tolist()) == real  # every real row scored once
        fold_of: dict[str, set[int]] = {}
        for j, fold in enumerate(folds):
            assert not set(fold.train) & set(fold.test)
            assert set(fold.train) | set(fold.test) == set(range(len(ex)))  # everything else trains, authored too
            for i in fold.test:
                fold_of.setdefault(ex[i].doc, set()).add(j)
        assert all(len(js) == 1 for js in fold_of.values())  # each report wholly in one fold
    sizes = [len(f.test) for f in folds[5:]]
    assert max(sizes) - min(sizes) <= 4  # about as many paragraphs each (a report has at most 4)
    # the same data in another order gives the same folds (as sets of paragraphs), whatever dict or file order
    shuffled = [ex[i] for i in np.random.default_rng(1).permutation(len(ex))]
    again = make_folds(shuffled, "lodo")
    assert ([(f.name, sorted(shuffled[i].id for i in f.test)) for f in again]
            == [(f.name, sorted(ex[i].id for i in f.test)) for f in folds])
    # a run's per-report scores are still per report, not per fold
    run = run_systems(ex, _NoResources(), [System("empty", "", "baseline", method="empty")], folds)[0]
    assert len(run.per_doc) == 5 + 237 and sorted(run.docs) == sorted(ex[i].doc for i in real)


class _NoResources:
    lexicon, user_words = None, ()


def test_the_cv_plan_names_the_grouped_folds():
    assert cv.cv_plan(_reports_of(5, 0)) == "leave-one-report-out on the 5 seed reports"
    assert cv.cv_plan(_reports_of(5, 3)) == "leave-one-report-out on the 5 seed and 3 imported reports"
    assert cv.cv_plan(_reports_of(5, 2190)) == ("leave-one-report-out on the 5 seed reports and grouped "
                                                f"{cv.IMPORTED_FOLDS}-fold over the 2,190 imported reports")


def test_evaluate_names_the_imported_reports_grouped_folds(caplog):
    """evaluate.py's section said "Seed and imported reports, leave one report out … Each of the 2,195 real reports
    … scored by models trained on everything else" and ran 3 fits per report; many imported reports are scored in
    grouped folds, and the section and its log say so (with the fits it makes and the option that skips it)."""
    from tagger.evaluation.run import EvalOptions, _lodo_names, _lodo_section

    ex = [Example(e.id, e.doc, f"{e.id} 文本", e.labels, e.source) for e in _reports_of(5, 40)]
    systems = [System("empty", "predicts no label", "baseline", method="empty"),
               System("empty again", "predicts no label", "baseline", method="empty")]
    payload: dict = {}
    logger = logging.getLogger("tagger.evaluation.run")  # heard even where the CLI stopped "tagger" propagating
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level("INFO", logger=logger.name):
            md = "\n".join(_lodo_section(EvalOptions(jobs=1, n_boot=20, progress=False), _Res(ex), systems, payload))
    finally:
        logger.removeHandler(caplog.handler)
    k = cv.IMPORTED_FOLDS
    assert md.startswith("## Seed and imported reports, cross-validated (secondary)")
    assert f"the 40 imported ones (real and reviewed: labels/imported.jsonl) in grouped {k}-fold" in md
    assert payload["lodo"]["parts"]["imported"]["folds"] == k
    assert _lodo_names(payload)["short"] == f"seed LODO and imported grouped {k}-fold"
    assert (f"grouped {k}-fold over the 40 imported reports: {2 * (5 + k)} fits (2 systems × {5 + k} folds; "
            "--no-lodo skips it)") in caplog.text


class _Res(_NoResources):
    def __init__(self, examples):
        self.examples = examples


def test_test_file_refuses_one_text_labelled_two_ways_in_two_writings(tmp_path):
    """evaluate --test scored a file holding one paragraph in simplified script labelled elderly_care and its copy in
    traditional script labelled none: the model reads both as one text, so one of the two was an error whatever it
    did (the same two rows written alike are refused: "settle them, then score again")."""
    from tagger.errors import InputError
    from tagger.evaluation.run import _test_file_notes

    examples = [Example("t:1", None, "供电所党员走进敬老院,为孤寡老人义务检查线路。", ("elderly_care",), "test"),
                Example("t:2", None, "供電所黨員走進敬老院,為孤寡老人義務檢查線路。", (), "test")]
    with pytest.raises(InputError, match=r"paragraphs 't:1' and 't:2' have the same text as the model reads it "
                                         r"\(traditional or simplified script"):
        _test_file_notes(tmp_path / "mine.jsonl", examples, None)
    alike = [examples[0], Example("t:3", None, "供電所黨員走進敬老院,為孤寡老人義務檢查線路。", ("elderly_care",), "test")]
    assert any("1 paragraph repeats another's text" in note for note in _test_file_notes("mine.jsonl", alike, None))


def test_test_file_finds_the_training_paragraphs_in_another_writing(root):
    """A test file holding a seed paragraph with a full-width comma and a zero-width space (as a copy from a web page
    or a chat gives it) was reported as no paragraph of the training data: its scores read as a fair test although
    the model reads it as the paragraph it was trained on. The paragraphs are matched as the model reads them."""
    from tagger.data.examples import load_seed_labels
    from tagger.evaluation.run import _test_file_notes

    seed = next(e for e in load_seed_labels(root / "labels" / "seeds.csv", root / "seeds") if "," in e.text)
    copy = seed.text[0] + "\u200b" + seed.text[1:].replace(",", "，")
    assert copy != seed.text
    examples = [Example("t:1", None, copy, seed.labels, "test"), Example("t:2", None, "公司召开党委会议。", (), "test")]
    notes = _test_file_notes(root / "mine.jsonl", examples, root)
    assert any(note.startswith("**1 of 2 paragraphs is in this checkout's training data**") for note in notes), notes
