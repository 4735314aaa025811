"""The estimator (tagger.model.tagger.Tagger), its feature blocks (tagger.features) and segmenter
(tagger.text.segment), and the lazy package (tagger/__init__.py)."""

import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tagger
from tagger import LABELS
from tagger.data.examples import label_matrix
from tagger.errors import NotFittedError
from tagger.features.encoder import ENCODER
from tagger.features.lexicon import Lexicon, LexiconFeatures, load_lexicon
from tagger.features.tfidf import CharTfidf, WordTfidf, char_ngram_keys, pack_strings, unpack_strings
from tagger.model.tagger import Tagger
from tagger.text.normalize import normalize_many
from tagger.text.segment import Segmenter, load_user_dict

ELDERLY = "党员志愿者走进敬老院,为孤寡老人义务检查线路。"
MEETING = "公司召开党委会议。"


@pytest.fixture(scope="module")
def seed_data(resources):
    ex = [e for e in resources.examples if e.source == "seed"]
    return [e.text for e in ex], label_matrix(ex), [e.doc for e in ex]


# ----------------------------------------------------------------------------- predict
def test_predict_shapes_and_single_string(seed_model):
    texts = [ELDERLY, MEETING]
    proba = seed_model.predict_proba(texts)
    assert proba.shape == (2, len(LABELS))
    assert ((proba >= 0) & (proba <= 1)).all()
    one = seed_model.predict_proba(texts[0])
    assert one.shape == (len(LABELS),)
    np.testing.assert_allclose(one, proba[0])
    assert seed_model.predict(texts[0]) == seed_model.predict(texts)[0]  # str in, one list out
    assert seed_model.predict(texts) == [["elderly_care", "volunteer_work"], []]  # list in, list of lists out
    assert seed_model.predict(tuple(texts)) == seed_model.predict(np.array(texts)) == seed_model.predict(texts)


def test_predict_indicator_agrees_with_predict(seed_model):
    texts = [ELDERLY, MEETING, "为老旧小区加装电梯接电。", ""]
    ind = seed_model.predict_indicator(texts)
    assert ind.shape == (4, len(LABELS)) and set(np.unique(ind)) <= {0, 1} and ind.dtype.kind == "i"
    assert [[lab for lab, x in zip(LABELS, row) if x] for row in ind.tolist()] == seed_model.predict(texts)


def test_score_is_micro_f1(seed_model, seed_data):
    from sklearn.metrics import f1_score

    texts, Y, _ = seed_data
    pred = seed_model.predict_indicator(texts)
    assert seed_model.score(texts, Y) == pytest.approx(f1_score(Y, pred, average="micro"))
    assert seed_model.score(texts[:3], np.zeros((3, 5), dtype=int)) == pytest.approx(
        f1_score(np.zeros((3, 5)), pred[:3], average="micro", zero_division=0.0))


def test_empty_paragraphs_get_no_labels(seed_model):
    assert seed_model.predict(["", "   ", "\n", "\u200b"]) == [[], [], [], []]
    assert seed_model.predict_proba(["", ELDERLY])[0].max() == 0.0
    assert seed_model.predict([]) == []
    assert seed_model.predict_proba([]).shape == (0, len(LABELS))




@pytest.mark.parametrize("batch", [[""], "", ["\u200b"]])
def test_a_batch_of_one_empty_paragraph(seed_model, batch):
    assert seed_model.predict_proba(batch).max() == 0.0


def _one_empty(texts):
    """The batches of the bug above (kept out of the property tests so that they test everything else)."""
    return len(texts) == 1 and normalize_many(texts) == [""]


def test_headings_get_no_labels_unless_the_rule_is_off(seed_model):
    heading = "党员志愿者为孤寡老人义务服务"  # short, no final punctuation
    assert seed_model.predict(heading) == []
    body = seed_model.predict(heading + "。")
    assert "elderly_care" in body
    seed_model.set_params(suppress_headings=False)
    try:
        assert seed_model.predict(heading) != []
    finally:
        seed_model.set_params(suppress_headings=True)


def test_predict_refuses_a_dict_a_set_and_a_single_report_id(seed_model):
    """Review: a dict was tagged by its keys, a set in no fixed order, reports="r1" read as 'r' and '1'."""
    with pytest.raises(TypeError, match="got a dict"):
        seed_model.predict({"r1": ELDERLY})
    with pytest.raises(TypeError, match="got a set"):
        seed_model.predict({ELDERLY})
    with pytest.raises(TypeError, match=r"reports=\['r1'\] \* len\(paragraphs\)"):
        seed_model.predict_proba([ELDERLY, ELDERLY], reports="r1")
    assert seed_model.predict([ELDERLY, ELDERLY], reports=["r1", "r1"])[0] != []


def test_a_single_strings_scores_decide_to_one_list_and_its_report_id_is_checked_as_a_lists(seed_model):
    """Review: decide(predict_proba(str)) failed with a bare TypeError, and a single string's reports= was ignored
    (any value) where a list's is checked; training paragraphs with no text gave scikit-learn's internal error."""
    one = seed_model.predict_proba(ELDERLY)
    assert seed_model.decide(one) == seed_model.predict(ELDERLY) == ["elderly_care", "volunteer_work"]
    assert seed_model.decide(seed_model.predict_proba([ELDERLY])) == [seed_model.predict(ELDERLY)]
    with pytest.raises(ValueError, match=r"shape \(n, 5\) or \(5,\)"):
        seed_model.decide(np.zeros(3))
    assert seed_model.predict(ELDERLY, reports="r1") == seed_model.predict(ELDERLY, reports=["r1"])
    with pytest.raises(ValueError, match="reports has 2 entries for 1 paragraphs"):
        seed_model.predict(ELDERLY, reports=["r1", "r2"])
    with pytest.raises(ValueError, match="the 3 training paragraphs give no features"):
        Tagger(use_lexicon=False).fit(["", "  ", "。"], np.zeros((3, len(LABELS)), int))


def test_photo_captions_get_no_labels_like_headings(seed_model):
    """Codebook: photo captions that only describe a photo carry no label (the seeds' and dev set's all say none)."""
    caption = "图为" + ELDERLY
    assert seed_model.predict(ELDERLY) != [] and seed_model.predict(caption) == []
    assert seed_model.predict("党员志愿者为孤寡老人义务检查线路,与老人合影留念。") == []
    assert seed_model.scores_from_norms([ELDERLY, ELDERLY], ["caption", "body"])[0].max() == 0
    (_, cap, _) = seed_model.tag("标题一行\n" + ELDERLY + " 张三摄\n" + ELDERLY)
    assert cap.kind == "caption" and cap.labels == [] and max(cap.scores.values()) == 0
    seed_model.set_params(suppress_headings=False)
    try:
        assert seed_model.predict(caption) != []
    finally:
        seed_model.set_params(suppress_headings=True)


def test_paragraph_ending_in_emoji_gets_its_labels(seed_model):
    """Issue 17: '…检查线路。🙏🙏' was taken for a heading and got no label."""
    assert seed_model.predict([ELDERLY + "🙏🙏"]) == seed_model.predict([ELDERLY]) == [["elderly_care", "volunteer_work"]]


@pytest.mark.parametrize("bad, message", [
    (["ok", 3], "paragraph 1 is int, expected str"),
    (["ok", float("nan")], r"paragraph 1 is float, expected str \(nan: a missing value\); fill missing texts first"),
    (["ok", None], r"paragraph 1 is NoneType, expected str \(None: a missing value\)"),
    ([b"\xe4\xbe\x9b"], "paragraph 0 is bytes, expected str; decode it first"),
    (ELDERLY.encode(), "expected text, got bytes; decode it first"),
    (bytearray(b"x"), "expected text, got bytearray"),
    (np.array([[ELDERLY], [MEETING]]), r"1-d sequence of paragraphs, got an array of shape \(2, 1\)"),
    (3, "expected paragraphs as a list of str, got int"),
    (None, "expected paragraphs as a list of str, got NoneType"),
])
def test_non_text_input_raises_a_helpful_type_error(seed_model, bad, message):
    for method in (seed_model.predict, seed_model.predict_proba, seed_model.predict_indicator):
        with pytest.raises(TypeError, match=message):
            method(bad)


def test_a_non_text_item_of_a_series_is_named_by_its_index_label_too(seed_model):
    """modelfix: predict(pd.Series(["a。", None], index=[10, 20])) named "paragraph 1", its position, which
    series.loc[1] does not find: the index label is named beside it."""
    import pandas as pd

    for series, said in [(pd.Series(["a。", None], index=[10, 20]), "paragraph 1 (index 20) is "),
                         (pd.Series(["a。", 3], index=["r1/p1", "r1/p2"], dtype=object), "paragraph 1 (index 'r1/p2') is int"),
                         (pd.Series(["a。", None]), "paragraph 1 (index 1) is ")]:
        with pytest.raises(TypeError) as info:
            seed_model.predict(series)
        assert str(info.value).startswith(said)
    with pytest.raises(TypeError, match=r"^paragraph 1 is NoneType"):  # no index beside a list's position
        seed_model.predict(["a。", None])


def test_dataframe_input_is_refused_not_its_column_names_tagged(seed_model):
    """Issue 17: predict(DataFrame) tagged the column names."""
    import pandas as pd

    df = pd.DataFrame({"text": [ELDERLY, MEETING]})
    with pytest.raises(TypeError, match=r"got a DataFrame; pass one column, e.g. df\['text'\].*tag_frame"):
        seed_model.predict(df)
    assert seed_model.predict(df["text"]) == seed_model.predict([ELDERLY, MEETING])  # a column is fine


def test_tag_needs_a_string(seed_model):
    with pytest.raises(TypeError, match="got NoneType"):
        seed_model.tag(None)
    with pytest.raises(TypeError, match="got list"):
        seed_model.tag([ELDERLY])


def test_unfitted_model_raises_not_fitted_error():
    """Ours, without importing scikit-learn (a fresh process), and scikit-learn's once it is loaded."""
    code = ("import sys\nfrom tagger.model.tagger import Tagger\nfrom tagger.errors import NotFittedError\n"
            "try:\n    Tagger().predict(['x'])\nexcept NotFittedError as exc:\n    print(type(exc).__name__, exc)\n"
            "print(sorted(m for m in ('sklearn', 'scipy', 'pandas') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.splitlines() == ["NotFittedError this Tagger is not fitted yet: call fit(X, Y) or load a trained "
                                "model with tagger.load()", "[]"]
    import sklearn.exceptions

    for call in (lambda m: m.predict(["x"]), lambda m: m.predict_proba("x"), lambda m: m.tag("x。"),
                 lambda m: m.evidence("x", "elderly_care"), lambda m: m.feature_names(), lambda m: m.save("m.npz")):
        with pytest.raises(sklearn.exceptions.NotFittedError) as info:
            call(Tagger())
        assert isinstance(info.value, NotFittedError) and isinstance(info.value, (ValueError, AttributeError))


def test_every_method_of_an_unfitted_model_says_it_is_not_fitted():
    """Review B: decide and top_terms raised AttributeError: 'Tagger' object has no attribute 'thresholds_'/'coef_'."""
    for call in (lambda m: m.decide(np.zeros((1, 5))), lambda m: m.top_terms("elderly_care"),
                 lambda m: m.fitted_lexicon_):  # was AttributeError: no attribute 'blocks_'
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call(Tagger())
    assert not hasattr(Tagger(), "fitted_lexicon_")  # a fitted attribute, absent before fit as scikit-learn's are


def test_an_unknown_label_is_named_with_the_labels(seed_model):
    """Review B: top_terms("elderly") and evidence(..., "elderly") raised "tuple.index(x): x not in tuple"."""
    for call in (lambda: seed_model.top_terms("elderly"), lambda: seed_model.evidence("敬老院。", "elderly")):
        with pytest.raises(ValueError, match="unknown label 'elderly'; the labels are elderly_care, old_ne"):
            call()


@pytest.mark.parametrize("doc", [None, 5.0, b"r1", True])
def test_tag_needs_the_report_id_as_a_string(seed_model, doc):
    """Review B: tag(text, doc=None) gave paragraph ids 'None:0'."""
    expected = f"report id \\(doc\\) as str or a whole number, got {type(doc).__name__}"
    with pytest.raises(TypeError, match=expected) as got:
        seed_model.tag(ELDERLY, doc)
    # the fix it names gives the id a file would hold: 5.0's is 5 (str() made it '5.0', another report's id)
    assert str(got.value).endswith("e.g. doc=5" if doc == 5.0 else "e.g. doc=str(report_id)")


@pytest.mark.parametrize("doc, message", [("", "is empty"), (" r1", "has white space at its ends"),
                                          ("r\n1", "contains the invisible character U+000A")])
def test_tag_refuses_a_report_id_no_file_reads_back(seed_model, doc, message):
    """User test 3: tag(text, doc="") gave paragraph ids ':0', which tag's files, the review and labels import
    refuse or read as another report; the same rule as for file names and id columns applies."""
    with pytest.raises(ValueError, match=re.escape(f"tag(): the report id (doc) {message}")):
        seed_model.tag(ELDERLY, doc)
    assert seed_model.tag(ELDERLY, "2024-05 周报")[0].id == "2024-05 周报:0"


def test_tag_scores_the_lines_the_reader_calls_body(seed_model):
    """The reader knows a line's place: a one-line report and a report's cut-off last line are body and get
    scored (before, the short-line rule zeroed them whatever the reader said); loose paragraphs keep the rule."""
    line = "党员志愿者为孤寡老人义务服务"
    (only,) = seed_model.tag(line)
    assert only.kind == "body" and only.labels == seed_model.predict(line + "。") != []
    *_, last = seed_model.tag("标题\n正文。\n" + line * 2)
    assert last.kind == "body" and max(last.scores.values()) > 0
    assert seed_model.predict(line) == []
    norms = [line, line]
    assert seed_model.scores_from_norms(norms, ["heading", "body"])[0].max() == 0
    assert seed_model.scores_from_norms(norms, ["heading", "body"])[1].max() > 0
    with pytest.raises(ValueError, match="kinds has 1 entries for 2 paragraphs"):
        seed_model.scores_from_norms(norms, ["body"])


def test_tag_whole_report(seed_model, root):
    text = (root / "seeds" / "003_86615e91b483547b.txt").read_text(encoding="utf-8")
    results = seed_model.tag(text, "r")
    assert len(results) == 21
    by_id = {r.id: r for r in results}
    assert by_id["r:1"].kind == "heading" and by_id["r:1"].labels == []
    assert "elevator_power_hookup" in by_id["r:4"].labels
    ev = by_id["r:4"].evidence["elevator_power_hookup"]
    assert ev and any("电梯" in t for t in ev)
    assert set(by_id["r:4"].scores) == set(LABELS)
    for r in results:
        assert set(r.evidence) == set(r.labels)  # evidence for each label given, and only those
        assert r.to_dict()["labels"] == r.labels and r.to_dict()["id"] == r.id
    assert all(not r.evidence for r in seed_model.tag(text, "r", evidence=False))
    from tagger.pipeline import tag_report

    assert [r.labels for r in tag_report(seed_model, text, "r")] == [r.labels for r in results]


def test_labels_in_fixed_order(seed_model):
    assert seed_model.labels == LABELS
    assert list(seed_model.classes_) == list(LABELS)
    for labs in seed_model.predict(["党员志愿者为老旧小区孤寡老人义务更换老化线路并加装电梯接电。"]):
        assert labs == [lab for lab in LABELS if lab in labs]


def test_evidence_and_top_terms(seed_model):
    from tagger.text.normalize import normalize

    ev = seed_model.evidence(normalize(ELDERLY), "elderly_care")
    assert ev and ev[0] in ("孤寡老人", "敬老院") and len(ev) <= 5  # lexicon cues first
    assert seed_model.evidence(normalize(MEETING), "elevator_power_hookup") == []
    for lab in LABELS:
        terms = seed_model.top_terms(lab, 7)
        assert 0 < len(terms["positive"]) <= 7 and len(terms["negative"]) <= 7
        weights = [w for _, w in terms["positive"]]
        assert all(w > 0 for w in weights) and weights == sorted(weights, reverse=True)
        assert all(w < 0 for _, w in terms["negative"])
    names = seed_model.feature_names()
    assert len(names) == seed_model.coef_.shape[0]
    assert any(n.startswith("word:") for n in names) and any(n.startswith("char:") for n in names)
    assert [n for n in names if n.startswith("lex_")] == [f"lex_{k}:{lab}" for k in ("sum", "hit") for lab in LABELS]


# ----------------------------------------------------------------------------- training
def test_training_is_deterministic(resources, seed_data):
    texts, Y, docs = seed_data
    a = Tagger(lexicon=resources.lexicon, user_words=resources.user_words).fit(texts, Y, groups=docs)
    b = Tagger(lexicon=resources.lexicon, user_words=resources.user_words).fit(texts, Y, groups=docs)
    np.testing.assert_array_equal(a.thresholds_, b.thresholds_)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    probe = texts[:20]
    assert a.predict_proba(probe).tobytes() == b.predict_proba(probe).tobytes()
    c = Tagger(lexicon=resources.lexicon, user_words=resources.user_words, random_state=1).fit(texts, Y, groups=docs)
    assert c.get_params()["random_state"] == 1  # the seed is a parameter like any other


def test_threshold_repeats_pool_shuffled_kfolds(resources, seed_data, monkeypatch):
    texts, Y, docs = seed_data
    seen = []
    original = Tagger._one_kfold

    def spy(self, Xs, Y, groups, norms, body, k, seed, raw=None):
        seen.append(seed)
        return original(self, Xs, Y, groups, norms, body, k, seed, raw)

    monkeypatch.setattr(Tagger, "_one_kfold", spy)
    one = Tagger(lexicon=resources.lexicon, threshold_repeats=1, random_state=2).fit(texts, Y, groups=docs)
    assert seen == [2]  # one repeat: the single K-fold of random_state, as before repeats existed
    seen.clear()
    three = Tagger(lexicon=resources.lexicon, threshold_repeats=3, random_state=2).fit(texts, Y, groups=docs)
    assert seen == [2, 1002, 2002]  # distinct shuffles, fixed by random_state
    np.testing.assert_array_equal(one.coef_, three.coef_)  # only thresholds and context come from the folds
    again = Tagger(lexicon=resources.lexicon, threshold_repeats=3, random_state=2).fit(texts, Y, groups=docs)
    np.testing.assert_array_equal(three.thresholds_, again.thresholds_)
    # pooled: three times the out-of-fold composites of one repeat
    import scipy.sparse as sp

    from tagger.text.normalize import normalize_many

    norms = normalize_many(texts)
    Xs = sp.hstack([b.transform(three._block_input(n, norms, three._segmenter().stream(norms))).to_scipy()
                    for n, b in three.blocks_], format="csr")
    monkeypatch.setattr(Tagger, "_one_kfold", original)
    from tagger.model.rules import no_label_mask

    no_label = no_label_mask(norms, three.suppress_headings, plans=False)
    labels1, scores1, _ = one._oof_scores(Xs, Y, np.asarray(docs), norms, no_label)
    labels3, scores3, rows3 = three._oof_scores(Xs, Y, np.asarray(docs), norms, no_label)
    assert len(labels3) == 3 * len(labels1) and scores3.shape == (3 * len(scores1), len(LABELS))
    assert rows3.shape == Y.shape and ((rows3 >= 0) & (rows3 <= 1)).all()


@pytest.mark.parametrize("bad", [0, -1, 1.5, "3", None])
def test_threshold_repeats_must_be_a_positive_whole_number(resources, seed_data, bad):
    texts, Y, docs = seed_data
    with pytest.raises(ValueError, match="threshold_repeats must be a whole number >= 1"):
        Tagger(lexicon=resources.lexicon, threshold_repeats=bad).fit(texts[:30], Y[:30], groups=docs[:30])


@pytest.mark.parametrize("param, bad, message", [
    ("threshold_folds", 1, "threshold_folds must be a whole number >= 2"),
    ("threshold_folds", 0, "threshold_folds must be a whole number >= 2"),
    ("threshold_folds", 2.5, "threshold_folds must be a whole number >= 2"),
    ("random_state", None, "random_state must be a whole number >= 0"),
    ("random_state", -1, "random_state must be a whole number >= 0"),
    ("random_state", "0", "random_state must be a whole number >= 0"),
])
def test_inner_kfold_settings_are_checked(resources, seed_data, param, bad, message):
    """User test 3: threshold_folds=1 trained a model that tagged a party meeting with all five labels (every
    threshold at the 0.05 floor), and random_state=None (scikit-learn's "random") failed inside fit with
    "unsupported operand type(s) for +: 'NoneType' and 'int'"."""
    texts, Y, docs = seed_data
    with pytest.raises(ValueError, match=message):
        Tagger(lexicon=resources.lexicon, **{param: bad}).fit(texts[:30], Y[:30], groups=docs[:30])


_NAN, _INF = float("nan"), float("inf")
_NOT_FLAGS = ["False", "false", "no", "", 0, 1, np.int64(1), 0.0, None]
BAD_PARAMS = {  # every hyperparameter: values fit refuses, naming it (the encoder's: checked with the encoder on)
    "lexicon": ["labels/lexicon.csv", {"电梯": "elevator_power_hookup"}],
    "user_words": ["电梯", 3],
    "C": [0, -1, _NAN, _INF, "4", True, None],
    "class_weight": ["balanced_subsample", {0: 1.0}, True],
    "use_word": _NOT_FLAGS, "use_char": _NOT_FLAGS, "use_lexicon": _NOT_FLAGS, "use_roles": _NOT_FLAGS,
    "tune_thresholds": _NOT_FLAGS,
    "suppress_headings": _NOT_FLAGS, "suppress_plans": _NOT_FLAGS, "suppress_closings": _NOT_FLAGS,
    "report_context": _NOT_FLAGS,
    "require_power_sector": _NOT_FLAGS, "villages_not_compounds": _NOT_FLAGS, "farms_not_enterprises": _NOT_FLAGS,
    "word_ngram_max": [3, 0, 2.0, "2", True, None],
    "word_min_df": [0, -1, 1.5, "1", True, None, np.float64(2)],
    "char_ngram_min": [0, -1, 2.0, "2", True],
    "char_ngram_max": [1, 2.5, "4", True, None],  # 1: below char_ngram_min (2)
    "char_min_df": [0, -1, 2.5, "2", True],
    "lexicon_scale": [0, -1, _NAN, _INF, "2", True, None],
    "roles_scale": [0, -1, _NAN, _INF, "2", True, None],
    "encoder": ["other", True, 1],
    "encoder_weight": [-0.1, 1.5, _NAN, "0.5", True, None],
    "encoder_C": [0, _INF, "0.01"],
    "encoder_dims": [0, 1.5, "128", True],
    "threshold_folds": [1, 2.5, "5", True],
    "threshold_repeats": [0, 1.5, "3", True],
    "threshold_on": ["row", None],
    "default_threshold": [0, 1.5, _NAN, "0.5", True],
    "random_state": [None, -1, 1.0, "0", True, 2**32],
}


def test_the_table_of_bad_hyperparameters_names_every_one():
    assert set(BAD_PARAMS) == set(Tagger.param_defaults()) | {"lexicon"}


@pytest.mark.parametrize("param, bad", [(p, v) for p, values in BAD_PARAMS.items() for v in values],
                         ids=lambda v: repr(v)[:20])
def test_every_hyperparameter_is_checked_by_type_and_range_before_any_feature_is_built(monkeypatch, param, bad):
    """modelfix: flags given as text were taken as true ("False" tuned thresholds, scored with report context);
    char_ngram_max=2.5 failed with a bare TypeError deep in features/tfidf.py; word_min_df=-1 fitted, saved and
    loaded; random_state=2**32 failed in numpy after every feature was built. Each is refused first, by name."""
    monkeypatch.setattr(Tagger, "_new_blocks", lambda self: pytest.fail("features built before the check"))
    encoder = {"encoder": ENCODER} if param.startswith("encoder_") else {}
    model = Tagger(**{"lexicon": Lexicon([("检查", "elderly_care", 1.0)]), **encoder, param: bad})
    with pytest.raises((ValueError, TypeError)) as info:
        model.fit(["党员为孤寡老人检查线路。", "公司召开会议。"], [[1, 0, 0, 0, 1], [0] * 5])
    assert str(info.value).startswith(f"{param} must be"), str(info.value)


def test_the_largest_seed_trains_with_repeated_threshold_folds(resources, seed_data, monkeypatch):
    """random_state=2**32 - 1 (the largest seed tagger train --seed takes) failed in numpy ("Seed must be between 0
    and 2**32 - 1") in the third repeat of the inner K-fold, seeded random_state + 2000, after every feature was
    built: the repeats' seeds wrap round."""
    from sklearn.model_selection import GroupKFold

    seeds = []
    real = GroupKFold.__init__
    monkeypatch.setattr(GroupKFold, "__init__", lambda self, *a, **k: seeds.append(k["random_state"]) or real(self, *a, **k))
    texts, Y, docs = seed_data
    Tagger(lexicon=resources.lexicon, random_state=2**32 - 1).fit(texts[:30], Y[:30], groups=docs[:30])
    assert seeds == [2**32 - 1, 999, 1999]
    seeds.clear()
    Tagger(lexicon=resources.lexicon, random_state=7).fit(texts[:30], Y[:30], groups=docs[:30])
    assert seeds == [7, 1007, 2007]  # a seed that worked keeps its repeats' seeds (and its model)
    seeds.clear()  # a narrow numpy seed: np.int32(2**31 - 1) + 1000 overflowed (numpy 2 keeps int32) after the features
    Tagger(lexicon=resources.lexicon, random_state=np.int32(2**31 - 1)).fit(texts[:30], Y[:30], groups=docs[:30])
    assert seeds == [2**31 - 1, 2**31 + 999, 2**31 + 1999]


def test_each_range_is_accepted_to_its_edge_and_refused_one_step_beyond():
    """The checks are no stricter than each range (numpy's numbers and bools pass, as scikit-learn's do), and a step
    beyond is refused (char_ngram_max below char_ngram_min, word_min_df 0, a flag 0 were taken before)."""
    edges = [({"word_ngram_max": 1}, {"word_ngram_max": 0}),
             ({"word_min_df": np.int64(1), "char_min_df": 1}, {"word_min_df": np.int64(0), "char_min_df": 1}),
             ({"char_ngram_min": 3, "char_ngram_max": np.int32(3)}, {"char_ngram_min": 3, "char_ngram_max": np.int32(2)}),
             ({"lexicon_scale": np.float32(1e-6)}, {"lexicon_scale": 0.0}),
             ({"use_word": np.False_, "report_context": np.True_}, {"use_word": np.False_, "report_context": 1}),
             ({"C": np.float32(0.5), "default_threshold": 1, "encoder_weight": 0},
              {"C": np.float32(0.5), "default_threshold": 1, "encoder_weight": "0"}),
             ({"encoder": ENCODER, "encoder_weight": 1.0, "encoder_C": 2, "encoder_dims": np.int64(1)},
              {"encoder": ENCODER, "encoder_weight": 1.0, "encoder_C": 2, "encoder_dims": np.int64(0)}),
             ({"random_state": 2**32 - 1}, {"random_state": 2**32}),
             ({"tune_thresholds": False, "threshold_folds": 1}, {"tune_thresholds": True, "threshold_folds": 1})]
    for accepted, refused in edges:
        Tagger(**accepted)._check_params()
        with pytest.raises(ValueError, match=f"^({'|'.join(refused)}) must be"):
            Tagger(**refused)._check_params()


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(["word_min_df", "char_min_df", "char_ngram_min", "threshold_repeats", "encoder_dims",
                             "random_state", "threshold_folds"]),
       value=st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(max_size=3), st.booleans(),
                       st.none()))
def test_a_whole_number_hyperparameter_is_refused_unless_a_whole_number_in_its_range(name, value):
    model = Tagger(encoder=ENCODER, **{name: value})
    with pytest.raises(ValueError, match=f"^{name} must be a whole number >= "):
        model._check_params()


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(["C", "lexicon_scale", "roles_scale", "default_threshold", "encoder_weight", "encoder_C"]),
       value=st.one_of(st.floats(max_value=0.0, exclude_max=True), st.sampled_from([_NAN, _INF, -_INF]),
                       st.floats(min_value=1.0, exclude_min=True), st.text(max_size=3), st.booleans(), st.none()))
def test_a_number_hyperparameter_is_refused_unless_finite_and_in_its_range(name, value):
    assume(not (name in ("C", "lexicon_scale", "roles_scale", "encoder_C") and isinstance(value, float)
                and 1.0 < value < _INF))
    model = Tagger(encoder=ENCODER, **{name: value})
    with pytest.raises(ValueError, match=f"^{name} must be a number "):
        model._check_params()


@pytest.mark.parametrize("param, flag", [("report_context", "False"), ("suppress_plans", "False"),
                                         ("require_power_sector", "False"), ("villages_not_compounds", 0),
                                         ("farms_not_enterprises", "True"), ("suppress_closings", 1),
                                         ("suppress_headings", "no"), ("report_context", 0),
                                         ("encoder_weight", "0.5")])
def test_scoring_settings_set_after_a_load_are_checked_when_scoring(seed_model, tmp_path, param, flag):
    """modelfix: m = tagger.load(); m.set_params(report_context="False") scored with report context and
    suppress_plans="False" still suppressed plans, as true: _check_params ran in fit and load only. Every scoring
    (predict_proba, predict, tag), the record outputs carry and a save now refuse them; numpy's bools are flags."""
    import copy

    from tagger.model.persistence import provenance

    texts, reports = [ELDERLY, "下一步，公司将为老人检查线路。"], ["r1", "r1"]
    model = copy.copy(seed_model).set_params(**{param: flag})
    for call in (lambda: model.predict_proba(texts, reports=reports), lambda: model.predict(texts),
                 lambda: model.tag(ELDERLY + "\n\n" + MEETING), lambda: provenance(model),
                 lambda: model.save(tmp_path / "m.npz")):
        with pytest.raises(ValueError, match=f"^{param} must be "):
            call()
    assert list(tmp_path.iterdir()) == []
    if param != "encoder_weight":
        as_numpy = copy.copy(seed_model).set_params(**{param: np.False_})
        as_python = copy.copy(seed_model).set_params(**{param: False})
        assert np.array_equal(as_numpy.predict_proba(texts, reports=reports),
                              as_python.predict_proba(texts, reports=reports))
        assert provenance(as_numpy)["scoring"] == provenance(as_python)["scoring"]


def test_numpy_hyperparameters_fit_save_and_load(tmp_path):
    """numpy's bools and numbers were accepted by fit, and save failed with a bare "Object of type int64 is not JSON
    serializable": the model file records them as Python's."""
    texts, Y = ["党员为孤寡老人检查线路。", "公司召开会议。"], [[1, 0, 0, 0, 1], [0] * 5]
    model = Tagger(use_lexicon=np.False_, tune_thresholds=np.False_, word_min_df=np.int64(1), char_min_df=np.int64(1),
                   C=np.float64(4.0), lexicon_scale=np.float32(2.0)).fit(texts, Y)
    loaded = Tagger.load(model.save(tmp_path / "m.npz"))
    assert loaded.get_params()["use_lexicon"] is False and type(loaded.word_min_df) is int
    assert np.array_equal(loaded.predict_proba(texts), model.predict_proba(texts))


@pytest.mark.parametrize("param, bad", [("random_state", None), ("threshold_folds", 1), ("threshold_on", "row"),
                                        ("default_threshold", 0), ("encoder_weight", 2.0), ("user_words", "电梯"),
                                        ("encoder", "other")])
def test_hyperparameters_are_refused_before_any_feature_is_built(resources, seed_data, monkeypatch, param, bad):
    """A bad random_state (and the other inner settings) was refused only after the features of the whole training
    set had been built (seconds on the shipped data, minutes with the encoder): the check comes first."""
    texts, Y, docs = seed_data
    monkeypatch.setattr(Tagger, "_new_blocks", lambda self: pytest.fail("features built before the check"))
    with pytest.raises((ValueError, TypeError), match=param):
        Tagger(lexicon=resources.lexicon, **{param: bad}).fit(texts[:30], Y[:30], groups=docs[:30])


@pytest.mark.parametrize("param, bad", [("C", -1), ("C", 0), ("C", float("nan")), ("C", "4"), ("C", True),
                                        ("C", float("inf")), ("C", None), ("encoder_C", 0), ("encoder_C", "0.01")])
def test_a_regularisation_strength_not_above_0_is_refused_before_any_feature_is_built(resources, seed_data,
                                                                                      monkeypatch, param, bad):
    """relfix: Tagger(C=-1).fit(...) (0, NaN, '4') was refused by scikit-learn only after the features of the whole
    training set were built (seconds on a large set); now first, naming the parameter and its range."""
    texts, Y, docs = seed_data
    monkeypatch.setattr(Tagger, "_new_blocks", lambda self: pytest.fail("features built before the check"))
    encoder = {"encoder": ENCODER} if param == "encoder_C" else {}  # encoder_C is used (and checked) with it only
    with pytest.raises(ValueError) as info:
        Tagger(lexicon=resources.lexicon, **encoder, **{param: bad}).fit(texts[:30], Y[:30], groups=docs[:30])
    assert str(info.value) == (f"{param} must be a number above 0 (and finite; smaller regularises more), "
                               f"got {bad!r}")


_TOO_BIG_FOR_A_FLOAT = st.integers(min_value=2**1024) | st.integers(max_value=-(2**1024))
_FLOAT_PARAMS = {"C": "a number above 0 (and finite; smaller regularises more)",
                 "encoder_C": "a number above 0 (and finite; smaller regularises more)",
                 "lexicon_scale": "a number above 0 (and finite: the weight of the lexicon block;",
                 "encoder_weight": "a number from 0 to 1 (the encoder's share of the joined log-odds)",
                 "default_threshold": "a number above 0 and at most 1"}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(param=st.sampled_from(sorted(_FLOAT_PARAMS)), bad=_TOO_BIG_FOR_A_FLOAT)
def test_an_integer_no_float_holds_is_refused_for_every_float_hyperparameter(resources, seed_data, monkeypatch,
                                                                             param, bad):
    """Tagger(C=10**400) was accepted (a finite int, but no float): fit built every feature and then failed inside
    scikit-learn with "OverflowError: int too large to convert to float" (lexicon_scale alike). Every float
    hyperparameter now follows one rule (a number a float holds, finite) and is refused first, in its range check's
    words."""
    texts, Y, docs = seed_data
    monkeypatch.setattr(Tagger, "_new_blocks", lambda self: pytest.fail("features built before the check"))
    encoder = {"encoder": ENCODER} if param in ("encoder_C", "encoder_weight") else {}
    with pytest.raises(ValueError) as info:
        Tagger(lexicon=resources.lexicon, **encoder, **{param: bad}).fit(texts[:30], Y[:30], groups=docs[:30])
    assert str(info.value).startswith(f"{param} must be {_FLOAT_PARAMS[param]}"), info.value


def test_one_group_keeps_the_default_thresholds(resources, seed_data, caplog):
    """User test 3: fit(X, Y, groups=["all"] * n) left no held-out paragraphs to tune on; the thresholds fell
    to 0.05 and a party meeting was tagged with every label, silently."""
    texts, Y, _ = seed_data
    with caplog.at_level("WARNING", logger="tagger.model.tagger"):
        model = Tagger(lexicon=resources.lexicon, default_threshold=0.5).fit(texts, Y, groups=["all"] * len(texts))
    assert model.thresholds_.tolist() == [0.5] * len(LABELS)
    assert model.predict(MEETING) == []
    assert "in one group" in caplog.text and "default_threshold 0.5" in caplog.text


def test_threshold_on_rows_tunes_on_the_held_out_rows_and_other_values_are_refused(resources, seed_data):
    """threshold_on="rows" (the documented alternative to composites) fits: the same weights, thresholds tuned on
    other out-of-fold scores; any other value is refused by name."""
    texts, Y, docs = seed_data
    rows = Tagger(lexicon=resources.lexicon, threshold_on="rows", threshold_repeats=1).fit(texts, Y, groups=docs)
    composites = Tagger(lexicon=resources.lexicon, threshold_repeats=1).fit(texts, Y, groups=docs)
    np.testing.assert_array_equal(rows.coef_, composites.coef_)
    assert ((rows.thresholds_ >= 0.05) & (rows.thresholds_ <= 0.95)).all()
    assert rows.thresholds_.tolist() != composites.thresholds_.tolist()
    with pytest.raises(ValueError, match="threshold_on must be 'composites' or 'rows', got 'paragraphs'"):
        Tagger(lexicon=resources.lexicon, threshold_on="paragraphs").fit(texts[:30], Y[:30], groups=docs[:30])


def test_thresholds_tuned_or_default(resources, seed_data):
    texts, Y, docs = seed_data
    fixed = Tagger(lexicon=resources.lexicon, tune_thresholds=False, default_threshold=0.3).fit(texts, Y, groups=docs)
    assert fixed.thresholds_.tolist() == [0.3] * len(LABELS)
    tuned = Tagger(lexicon=resources.lexicon).fit(texts, Y, groups=docs)
    assert ((tuned.thresholds_ >= 0.05) & (tuned.thresholds_ <= 0.95)).all()
    assert tuned.thresholds_.tolist() != [0.5] * len(LABELS)


def test_bad_y_shape(resources):
    with pytest.raises(ValueError, match=r"Y must have shape \(2, 5\)"):
        Tagger(lexicon=resources.lexicon).fit(["a", "b"], np.zeros((2, 3)))


@pytest.mark.parametrize("Y, message", [
    ([[1, 0, 0, 0, 2], [0] * 5], "hold 0 and 1 only, got 2.0"),
    ([[0.5, 0, 0, 0, 0], [0] * 5], "hold 0 and 1 only, got 0.5"),  # was cast to 0: a label silently lost
    ([[np.nan, 0, 0, 0, 0], [0] * 5], "hold 0 and 1 only, got nan"),
    ([[-1, 0, 0, 0, 0], [0] * 5], "hold 0 and 1 only, got -1.0"),  # -1/0: the "0" rows became the positives
    ([["elderly_care"], []], "one 0/1 column per label"),
])
def test_fit_refuses_labels_that_are_not_0_or_1(resources, Y, message):
    """Review B: Y was cast with np.asarray(Y, dtype=int): 0.5 became 0, NaN a huge negative number, and
    label values other than 0/1 trained a model without an error."""
    with pytest.raises(ValueError, match=message):
        Tagger(lexicon=resources.lexicon).fit(["a。", "b。"], Y)


def test_fit_takes_a_label_frame_in_any_column_order(resources, seed_data):
    pd = pytest.importorskip("pandas")
    texts, Y, docs = seed_data
    frame = pd.DataFrame(Y, columns=LABELS)[list(reversed(LABELS))]
    kw = dict(lexicon=resources.lexicon, tune_thresholds=False, report_context=False)
    by_frame, by_matrix = Tagger(**kw).fit(texts, frame), Tagger(**kw).fit(texts, Y)
    np.testing.assert_array_equal(by_frame.intercept_, by_matrix.intercept_)
    assert by_frame.score(texts, frame) == by_matrix.score(texts, Y)
    with pytest.raises(ValueError, match="must be the labels"):
        Tagger(**kw).fit(texts, frame.drop(columns="volunteer_work").assign(other=0))
    short = frame.set_axis(["volunteer", "business", "elevator", "retrofit", "elderly"], axis=1)
    with pytest.raises(ValueError, match=r"must be the labels .* rename them, or pass Y.to_numpy\(\)"):
        Tagger(**kw).fit(texts, short)  # named otherwise: was read by position, the labels learnt swapped (review)
    np.testing.assert_array_equal(Tagger(**kw).fit(texts, pd.DataFrame(Y)).intercept_, by_matrix.intercept_)


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_report_id_is_refused_not_pooled(seed_model, empty):
    """fillna("") made every loose paragraph the report "": they gave each other report context and an unrelated
    thanks sentence got elderly_care (review); tag() refuses such an id too."""
    texts = ["党员志愿者走进敬老院,为孤寡老人义务检查线路。", "感谢供电公司。"]
    with pytest.raises(ValueError, match=r"reports\[1\] is an empty id .*give None \(or NaN\) for a loose paragraph"):
        seed_model.predict(texts, reports=[None, empty])
    assert seed_model.predict(texts, reports=[None, None]) == seed_model.predict(texts)


@pytest.fixture(scope="module")
def context_model(seed_model):
    """The seed model with a report-context weight on every label: scores that depend on which paragraphs are
    one report (the seed reports are too few to learn one)."""
    import copy

    model = copy.deepcopy(seed_model)
    model.context_weights_ = np.full(len(LABELS), 1.5)
    return model


REPORT_TEXTS = ["党员志愿者走进敬老院,为孤寡老人义务检查线路。", "队员们还为老人更换了老化插座。",
                "公司召开安全生产工作会议。", "会议要求各单位做好迎峰度夏准备。"]


def test_the_text_and_the_number_of_one_id_are_refused_not_pooled(context_model):
    """reports=[1, 1, "1", "1"] made str() of each id: the number 1 and the text "1" were one report, their
    paragraphs gave each other context without a word. Both are the id "1" as every file writes it, so the mix is
    refused, naming the two positions; ids written one way are scored as before."""
    texts = REPORT_TEXTS
    with pytest.raises(ValueError, match=r"reports\[2\] is the text '1' and reports\[0\] the number 1: one id"):
        context_model.predict_proba(texts, reports=[1, 1, "1", "1"])
    with pytest.raises(ValueError, match=r"reports\[1\] is the text '7' and reports\[3\] the number 7"):
        context_model.fit(texts, np.zeros((4, len(LABELS)), int), reports=["a", "7", "b", np.int64(7)])
    numbers = context_model.predict_proba(texts, reports=[1, 1, np.int64(2), 2])
    np.testing.assert_array_equal(numbers, context_model.predict_proba(texts, reports=["1", "1", "2", "2"]))
    assert not np.array_equal(numbers, context_model.predict_proba(texts, reports=["1", "1", "1", "1"]))


def test_groups_are_read_as_report_ids_the_text_and_the_number_of_one_id_refused(resources, seed_data,
                                                                                  monkeypatch):
    """fit(groups=...) made str() of each group: the number 1 and the text "1" were one group (their paragraphs in
    one fold) while reports= refuses that mix; 1.5 was the group "1.5". groups follow the rule of report ids, with
    the same errors naming the positions; a missing group (None, NaN) is still a group of its own."""
    texts, Y, docs = seed_data
    model = Tagger(lexicon=resources.lexicon, threshold_repeats=1)
    with pytest.raises(ValueError, match=r"groups\[2\] is the text '1' and groups\[0\] the number 1: one id as files "
                                         r"write it, so their paragraphs would be one group, kept in one fold"):
        model.fit(texts[:4], Y[:4], groups=[1, 1, "1", 2])
    with pytest.raises(TypeError, match=r"groups\[1\] is 1\.5 \(float\), not a group: .*None \(or NaN\) for a "
                                        r"group of its own"):
        model.fit(texts[:4], Y[:4], groups=["a", 1.5, "b", "b"])
    seen = []

    class Stop(Exception):
        pass

    def spy(self, Xs, Y, groups, *args, **kwargs):
        seen.append(list(groups))
        raise Stop

    monkeypatch.setattr(Tagger, "_oof_scores", spy)
    number = {d: i for i, d in enumerate(dict.fromkeys(docs))}
    for groups in ([np.int64(number[d]) for d in docs], [str(number[d]) for d in docs]):
        groups[0] = float("nan")  # a group of its own
        with pytest.raises(Stop):
            Tagger(lexicon=resources.lexicon, threshold_repeats=1).fit(texts, Y, groups=groups)
    assert seen[0] == seen[1] and seen[0][0] == "\x000" and seen[0][1] == str(number[docs[1]])


@pytest.mark.parametrize("odd, shown", [(b"r1", r"b'r1' \(bytes\)"), (True, r"True \(bool\)"),
                                        (1.5, r"1\.5 \(float\)"), (7.0, r"7\.0 \(float\)"),
                                        (("r", 1), r"\('r', 1\) \(tuple\)")])
def test_a_report_id_that_is_no_text_nor_whole_number_is_refused(context_model, odd, shown):
    """b"r1" became the report "b'r1'", True the report "True", 7.0 the report "7.0" — not what tag_frame, tag() or
    tagger tag read such a cell as (they refuse it): refused here too, naming its position."""
    with pytest.raises(TypeError, match=rf"reports\[1\] is {shown}, not a report id") as refused:
        context_model.predict_proba(REPORT_TEXTS[:2], reports=["r1", odd])
    assert ("astype('Int64')" in str(refused.value)) == isinstance(odd, float)  # how to make a float column ids
    pd = pytest.importorskip("pandas")
    series = pd.Series(["r1", odd], index=["x", "y"], dtype=object)
    with pytest.raises(TypeError, match=r"reports\[1\] \(index 'y'\) is"):
        context_model.predict_proba(REPORT_TEXTS[:2], reports=series)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["a", "b", "报告1", None]), st.integers(-3, 3)), min_size=4, max_size=4))
def test_only_which_paragraphs_share_an_id_decides_their_context(context_model, ids):
    """Ids are compared as the one rule reads them: each renamed to another text, one per report (None kept: a
    loose paragraph), the scores stay bit for bit."""
    from tagger.common.cells import report_id_of

    keys = [report_id_of(r) for r in ids]  # no text here is a number's digits: never the refused mix
    renamed = {k: f"report-{n}" for n, k in enumerate(dict.fromkeys(k for k in keys if k is not None))}
    np.testing.assert_array_equal(context_model.predict_proba(REPORT_TEXTS, reports=ids),
                                  context_model.predict_proba(REPORT_TEXTS, reports=[renamed.get(k) for k in keys]))


@pytest.mark.parametrize("call, error, message", [
    (lambda t: t.fit([], np.zeros((0, 5))), ValueError, "no paragraphs to train on"),
    (lambda t: t.fit("党员为老人服务。", [[1, 0, 0, 0, 1]]), TypeError, "got a single str; wrap it in a list"),
    (lambda t: t.fit(["a。", "b。"], np.zeros((2, 5)), groups=["g"]), ValueError,
     r"groups must give one entry per paragraph \(2\), got 1"),
    (lambda t: t.set_params(user_words="孤寡老人").fit(["a。", "b。"], np.zeros((2, 5))), TypeError,
     r"user_words must be a list or tuple of words, got str; pass a list of words, e.g. \['孤寡老人'\]"),
    (lambda t: t.set_params(user_words="labels/userdict.txt").fit(["a。", "b。"], np.zeros((2, 5))), TypeError,
     re.escape("got str ('labels/userdict.txt'): a user dictionary file is read first, user_words=load_user_dict(path)"
               " (from tagger.text.segment import load_user_dict)")),
    (lambda t: t.set_params(user_words=(w for w in ["孤寡老人"])).fit(["a。", "b。"], np.zeros((2, 5))), TypeError,
     "user_words must be a list or tuple of words, got generator"),
])
def test_fit_arguments_are_checked_with_clear_messages(resources, call, error, message):
    """Review B: an empty X failed inside numpy ("zero-size array"), groups of another length were taken
    (and all but ignored), a str was trained on as its characters, and user_words given as a generator
    was used up by the first segmentation (the rest of fit segmented without the user words). A path given for
    user_words (as for lexicon, which says how to load it) said only "got str": it says how to read the file."""
    with pytest.raises(error, match=message):
        call(Tagger(lexicon=resources.lexicon))


@pytest.mark.parametrize("threshold", [0, 0.0, -1, 1.5, float("nan"), "0.5", True])
def test_default_threshold_must_be_one_a_model_file_may_hold(resources, threshold):
    """Review B: Tagger(default_threshold=0, tune_thresholds=False) tagged every paragraph (empty ones too)
    with every label, and its saved model was refused by load ("threshold ... above 0")."""
    with pytest.raises(ValueError, match="default_threshold must be a number above 0 and at most 1"):
        Tagger(lexicon=resources.lexicon, default_threshold=threshold, tune_thresholds=False).fit(
            ["党员为孤寡老人检查线路。", "公司召开会议。"], [[1, 0, 0, 0, 1], [0] * 5])


def test_a_model_whose_thresholds_load_would_refuse_is_not_saved(seed_model, tmp_path):
    import copy

    model = copy.copy(seed_model)
    model.thresholds_ = np.array([0.0, 0.5, 0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"thresholds \[0.0, 0.5.*must each be above 0 and at most 1"):
        model.save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_score_checks_y_against_the_paragraphs(seed_model):
    """Review B: Y of one row was broadcast against two predictions (a score, no error)."""
    texts = [ELDERLY, MEETING]
    with pytest.raises(ValueError, match=r"Y must have shape \(2, 5\), got \(1, 5\)"):
        seed_model.score(texts, [[1, 0, 0, 0, 1]])
    with pytest.raises(ValueError, match="hold 0 and 1 only"):
        seed_model.score(texts, [[2, 0, 0, 0, 2], [0] * 5])
    assert seed_model.score(texts, [[1, 0, 0, 0, 1], [0] * 5]) == 1.0
    assert seed_model.score(ELDERLY, [1, 0, 0, 0, 1]) == 1.0  # one paragraph, one row of labels


def test_lexicon_required_when_enabled():
    with pytest.raises(ValueError, match="needs a lexicon"):
        Tagger().fit(["a", "b"], np.zeros((2, 5)))


def test_lexicon_error_gives_code_that_runs(monkeypatch):
    """Review D: the README's GridSearchCV recipe with Tagger() failed with a hint naming load_lexicon but not
    where it is imported from, nor the user dictionary train.py also gives."""
    with pytest.raises(ValueError, match="needs a lexicon") as info:
        Tagger().fit(["a", "b"], np.zeros((2, 5)))
    code = str(info.value).split("in a checkout: ", 1)[1].rsplit(" (or use_lexicon=False)", 1)[0]
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    space = {}
    exec(code, space)
    assert space["model"].lexicon is not None and len(space["model"].user_words) > 0


def test_all_blocks_off_is_refused():
    with pytest.raises(ValueError, match="all feature blocks are switched off"):
        Tagger(use_word=False, use_char=False, use_lexicon=False, use_roles=False).fit(["a", "b"], np.zeros((2, 5)))


def test_bad_ngram_settings_are_refused(resources):
    with pytest.raises(ValueError, match=r"^char_ngram_max must be a whole number >= 3 \(char_ngram_min"):
        Tagger(lexicon=resources.lexicon, char_ngram_min=3, char_ngram_max=2).fit(["a", "b"], np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"^word_ngram_max must be 1 \(words\) or 2"):
        Tagger(lexicon=resources.lexicon, word_ngram_max=3).fit(["a", "b"], np.zeros((2, 5)))


# ----------------------------------------------------------------------------- scikit-learn conventions
def test_flat_hyperparameters():
    model = Tagger(C=2.0, use_char=False)
    params = model.get_params()
    assert params["C"] == 2.0 and params["use_char"] is False and params["lexicon"] is None
    assert {"C", "class_weight", "use_word", "char_ngram_max", "tune_thresholds", "random_state"} <= set(params)
    assert model.set_params(C=0.5, random_state=3) is model
    assert (model.C, model.random_state) == (0.5, 3)
    with pytest.raises(ValueError, match="invalid parameter 'nope'"):
        model.set_params(nope=1)
    with pytest.raises(TypeError):
        Tagger(None)  # keyword-only: no positional hyperparameters


def test_saving_after_set_params_is_refused_not_misstated(seed_model, tmp_path):
    """The manifest said C=100, char_ngram_max=3 for a model fitted with 4 and 4; save() after
    set_params(encoder=...) ended in a bare AttributeError (review). Settings that act only when scoring may change."""
    from sklearn.base import clone

    model = clone(seed_model).fit(["党员为老人检修线路。", "公司召开会议。"], [[1, 0, 0, 0, 1], [0] * 5])
    for change in ({"C": 100.0, "char_ngram_max": 3}, {"encoder": "use-multilingual-v3"}):
        model.set_params(**change)
        with pytest.raises(ValueError, match=r"hyperparameters were changed after fit \((C: 4.0 -> 100.0, "
                                             r"char_ngram_max: 4 -> 3|encoder: None -> 'use-multilingual-v3')\).*"
                                             r"fit it again, or set them back \(set_params\("):
            model.save(tmp_path / "m.npz")
        model.set_params(C=4.0, char_ngram_max=4, encoder=None)
    assert not (tmp_path / "m.npz").exists()
    model.set_params(suppress_plans=False)
    loaded = tagger.load(model.save(tmp_path / "m.npz"))
    assert loaded.suppress_plans is False and loaded.C == 4.0
    assert loaded.set_params(suppress_plans=True).save(tmp_path / "n.npz").exists()  # a loaded model saves again


def test_a_lexicon_path_is_refused_with_how_to_load_it(resources):
    with pytest.raises(TypeError, match=r"lexicon must be a Lexicon \(or None\), got str 'labels/lexicon.csv'.*"
                                        r"load_lexicon\('labels/lexicon.csv'\)"):
        Tagger(lexicon="labels/lexicon.csv").fit(["a。", "b。"], np.zeros((2, 5)))


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(seed_model):
    from sklearn.base import clone

    copy = clone(seed_model)
    assert copy is not seed_model and not hasattr(copy, "coef_")
    assert copy.get_params().keys() == seed_model.get_params().keys()
    assert copy.C == seed_model.C and copy.lexicon.entries == seed_model.lexicon.entries
    assert copy.user_words == seed_model.user_words
    with pytest.raises(NotFittedError):
        copy.predict(["x"])


def test_grid_search_with_group_k_fold(resources, seed_data):
    from sklearn.model_selection import GridSearchCV, GroupKFold

    texts, Y, docs = seed_data
    search = GridSearchCV(Tagger(lexicon=resources.lexicon, user_words=resources.user_words, tune_thresholds=False),
                          {"C": [1, 4]}, cv=GroupKFold(2)).fit(texts, Y, groups=docs)
    assert search.best_params_["C"] in (1, 4)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert all(0 <= s <= 1 for s in search.cv_results_["mean_test_score"])
    assert search.best_estimator_.C == search.best_params_["C"]
    assert search.predict([ELDERLY]) == search.best_estimator_.predict([ELDERLY])


def test_the_readme_recipe_for_scikit_learn_metrics_scores(resources, seed_data):
    """User test 3: cross_val_score(model, X, Y, scoring="f1_micro") gave NaN for every fold (predict gives label
    lists, which scikit-learn's metrics refuse), undocumented; the README now says so and gives a scorer
    over predict_indicator, run here as written there."""
    import warnings

    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold, cross_val_score

    texts, Y, docs = seed_data
    model = Tagger(lexicon=resources.lexicon, threshold_repeats=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        named = cross_val_score(model, texts, Y, groups=docs, cv=GroupKFold(n_splits=2), scoring="f1_macro")
    assert np.isnan(named).all()  # what the README warns of
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    # the recipe as the README writes it (it ran with zero_division=0 added here, and warned per fold as written)
    recipe = re.search(r"`(cross_val_score\(model, X, Y, groups=g, .*?\))`", readme, re.S).group(1).replace("\n", " ")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no wall of warnings either
        scores = eval(recipe, {"cross_val_score": cross_val_score, "GroupKFold": GroupKFold, "f1_score": f1_score,
                               "model": model, "X": texts, "Y": Y, "g": docs})
    assert scores.shape == (5,) and ((scores > 0) & (scores <= 1)).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=300), max_size=5))
def test_predict_any_text(seed_model, texts):
    assume(not _one_empty(texts))
    proba = seed_model.predict_proba(texts)
    assert proba.shape == (len(texts), len(LABELS))
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
    preds = seed_model.predict(texts)
    assert len(preds) == len(texts)
    assert all(set(p) <= set(LABELS) for p in preds)


def test_large_batches_score_like_small_ones(seed_model, root):
    """More than one internal chunk (2 000 paragraphs): same scores as one by one."""
    lines = [ln for f in sorted((root / "seeds").glob("*.txt")) for ln in f.read_text(encoding="utf-8").splitlines()]
    texts = (lines * 25)[:2100]
    big = seed_model.predict_proba(texts)
    np.testing.assert_allclose(big[-50:], seed_model.predict_proba(texts[-50:]), rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------- lazy package
LAZY_CHECK = "import sys; print(sorted(m for m in ('sklearn', 'scipy', 'pandas') if m in sys.modules))"


def test_import_tagger_is_lean():
    code = f"import tagger, sys; tagger.load; {LAZY_CHECK}"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_loading_and_tagging_do_not_import_sklearn_scipy_or_pandas(cli_model, root):
    report = root / "seeds" / "000_6bc5a408cdc75e0e.txt"
    code = (f"import sys, tagger\nm = tagger.load({cli_model!r})\n"
            f"r = m.tag(open({str(report)!r}, encoding='utf-8').read())\n"
            "assert len(r) == 27 and any(x.labels for x in r)\n"
            "m.predict(['为孤寡老人检查线路。']); m.predict_proba('x'); m.predict_indicator(['x'])\n"
            "assert 'jieba' not in sys.modules, 'segmentation is rjieba only'\n"
            f"{LAZY_CHECK}")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_package_exports():
    assert tagger.LABELS == LABELS and tagger.Tagger is Tagger
    assert tagger.normalize("國網") == "国网"
    assert [p.kind for p in tagger.split_report("标题\n正文。")] == ["heading", "body"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tagger.nope  # noqa: B018


def test_tag_uses_the_default_model_from_tagger_model(cli_model, monkeypatch):
    monkeypatch.setenv("TAGGER_MODEL", cli_model)
    monkeypatch.setattr(tagger, "_DEFAULT", {})
    results = tagger.tag("为民服务\n" + ELDERLY)
    assert [r.labels for r in results] == [[], ["elderly_care", "volunteer_work"]]
    assert tagger._DEFAULT["model"].manifest_["data_hash"] == "seed-only test model"


# ----------------------------------------------------------------------------- features
TEXTS = ["老旧小区加装电梯接电", "为孤寡老人检查线路", "老旧小区一户一表改造", "企业报装接电提速 ab", "ABC 老人 电梯"]


def _dense(rows):
    return rows.to_scipy().toarray()


def _columns_by_name(block, fitted_on):
    """Column of each feature name: every column the training text uses, named as the block names it."""
    used = np.unique(block.transform(fitted_on).indices)
    return {block.name(int(c)): int(c) for c in used}


def _compare(ours, ref, fit_input, probe_ours, probe_ref):
    names = list(ref.get_feature_names_out())
    cols = _columns_by_name(ours, fit_input)
    assert sorted(cols) == sorted(names)  # the same vocabulary (no two n-grams share a column here)
    got = _dense(ours.transform(probe_ours))[:, [cols[n] for n in names]]
    np.testing.assert_allclose(got, ref.transform(probe_ref).toarray(), rtol=1e-12, atol=1e-12)
    assert _dense(ours.transform(probe_ours)).sum() == pytest.approx(got.sum())  # nothing outside them


@pytest.mark.parametrize("min_n, max_n, min_df", [(2, 4, 1), (1, 3, 2), (2, 2, 1)])
def test_char_tfidf_matches_scikit_learn(min_n, max_n, min_df):
    from sklearn.feature_extraction.text import TfidfVectorizer

    ours = CharTfidf(min_n, max_n, min_df=min_df).fit(TEXTS)
    ref = TfidfVectorizer(analyzer="char", ngram_range=(min_n, max_n), min_df=min_df, sublinear_tf=True,
                          smooth_idf=True, norm="l2").fit(TEXTS)
    probe = TEXTS + ["老旧小区老旧小区的电梯", "unseen 文本", ""]
    _compare(ours, ref, TEXTS, probe, probe)


def _paragraphs(stream):
    out = [[]]
    for tok in stream.tokens:
        if tok == "\n":
            out.append([])
        else:
            out[-1].append(tok)
    return out


@pytest.mark.parametrize("max_n, min_df", [(1, 1), (2, 1), (2, 2)])
def test_word_tfidf_matches_scikit_learn(max_n, min_df):
    from sklearn.feature_extraction.text import TfidfVectorizer

    seg = Segmenter(("加装电梯", "一户一表"))
    lines = TEXTS + ["老旧小区加装电梯", "孤寡老人检查线路"]
    stream = seg.stream(lines)
    ours = WordTfidf(max_n, min_df=min_df).fit(stream)

    def analyzer(tokens):  # the same vocabulary words, and pairs of neighbouring ones
        words = [t for t in tokens if ours.vocab_.get(t, -1) >= 0]
        return words + ([f"{a} {b}" for a, b in zip(words, words[1:])] if max_n == 2 else [])

    ref = TfidfVectorizer(analyzer=analyzer, min_df=min_df, sublinear_tf=True, smooth_idf=True,
                          norm="l2").fit(_paragraphs(stream))
    probe = lines + ["老旧小区加装电梯接电加装电梯", "未知 词语 老人", ""]
    _compare(ours, ref, stream, seg.stream(probe), _paragraphs(seg.stream(probe)))


def test_word_vocabulary_leaves_out_punctuation_and_numbers():
    block = WordTfidf(1, 1).fit(Segmenter().stream(["老人。2021年,100%!", "老人"]))
    assert "老人" in block.vocab_ and not any(w in block.vocab_ for w in ("。", ",", "2021", "100", "%", "!"))


def test_tfidf_blocks_survive_their_saved_state():
    seg = Segmenter()
    char = CharTfidf(2, 3, 1).fit(TEXTS)
    word = WordTfidf(2, 1).fit(seg.stream(TEXTS))
    for block, data in ((char, TEXTS), (word, seg.stream(TEXTS))):
        config, arrays = block.state()
        assert all(a.dtype.kind != "O" for a in arrays.values())  # arrays only: savable without pickle
        json.dumps(config)  # settings: plain JSON
        back = type(block).from_state(config, arrays)
        assert back.width == block.width
        assert [back.name(c) for c in range(min(block.width, 50))] == [block.name(c) for c in range(min(block.width, 50))]
        np.testing.assert_array_equal(_dense(back.transform(data)), _dense(block.transform(data)))


def test_char_ngram_keys():
    rows, keys, starts, lens = char_ngram_keys(["ab", "abc"], 2, 3)
    assert rows.tolist() == [0, 1, 1, 1] and lens.tolist() == [2, 2, 2, 3] and starts.tolist() == [0, 3, 4, 3]
    assert keys[0] == keys[1] and len(set(keys.tolist())) == 3  # "ab" twice, "bc", "abc"
    _, k2, _, _ = char_ngram_keys(["ab"], 2, 2)
    _, k3, _, _ = char_ngram_keys(["ba"], 2, 2)
    assert k2[0] != k3[0]
    assert [len(x) for x in char_ngram_keys([], 1, 2)] == [0, 0, 0, 0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_characters="\n"), max_size=20), min_size=1, max_size=20))
def test_pack_strings_round_trip(strings):
    assert unpack_strings(pack_strings(strings)) == strings


def test_pack_strings_refuses_line_breaks():
    with pytest.raises(ValueError, match="line break"):
        pack_strings(["a\nb"])




def test_pack_strings_round_trip_of_no_strings():
    assert unpack_strings(pack_strings([])) == []


def test_model_with_an_empty_word_vocabulary_loads(tmp_path):
    Y = np.zeros((4, len(LABELS)), dtype=int)
    Y[:2, 0] = 1
    model = Tagger(use_lexicon=False, char_min_df=1, tune_thresholds=False).fit(["。。", "!!", "12", "??"], Y)
    assert model.blocks_[0][1].words_ == []  # only punctuation and numbers: no word kept
    back = tagger.load(model.save(tmp_path / "m.npz"))
    assert back.predict(["。。", "??"]) == model.predict(["。。", "??"])


def test_lexicon_matches_leftmost_longest(resources):
    lex = Lexicon([("加装电梯", "elevator_power_hookup", 1.5), ("志愿", "volunteer_work", 1.0),
                   ("志愿者", "volunteer_work", 1.5), ("老人", "elderly_care", 0.5)])
    assert len(lex) == 4
    scores = lex.scores(["为老楼加装电梯", "志愿者志愿", "老人老人", ""])
    assert scores.tolist() == [[0, 0, 1.5, 0, 0], [0, 0, 0, 0, 2.5], [0.5, 0, 0, 0, 0], [0] * 5]
    assert lex.matches("志愿者为加装电梯的老人服务") == {"elderly_care": ["老人"], "elevator_power_hookup": ["加装电梯"],
                                                  "volunteer_work": ["志愿者"]}
    with pytest.raises(ValueError, match="unknown label"):
        Lexicon([("x", "nope", 1.0)])
    assert len(resources.lexicon) > 50


def test_lexicon_features():
    lex = Lexicon([("敬老院", "elderly_care", 1.0), ("老人", "elderly_care", 0.5), ("报装", "business_connection_speed", 4.0)])
    block = LexiconFeatures(lex, scale=2.0, cap=3.0)
    X = _dense(block.transform(["敬老院的老人", "报装", "老人"]))
    assert X.shape == (3, 10) and block.width == 10 and block.names_[0] == "lex_sum:elderly_care"
    assert X[0].tolist() == [1.5 / 3 * 2, 0, 0, 0, 0, 2, 0, 0, 0, 0]  # sum 1.5 (capped at 3), a strong cue
    assert X[1, 3] == 2.0 and X[1, 8] == 2.0  # capped: min(4, 3) / 3
    assert X[2, 5] == 0.0  # 0.5 < 1: not a strong cue
    config, arrays = block.state()
    back = LexiconFeatures.from_state(config, arrays)
    np.testing.assert_array_equal(_dense(back.transform(["敬老院的老人"])), X[:1])


def test_load_lexicon_errors_name_file_and_line(tmp_path):
    path = tmp_path / "lexicon.csv"
    path.write_text("term,label,weight\n敬老院,elderly_care,1.5\n电梯,elevator_power_hookup,\n", encoding="utf-8")
    lex = load_lexicon(path)
    assert lex.entries == (("敬老院", "elderly_care", 1.5), ("电梯", "elevator_power_hookup", 1.0))
    from tagger.errors import LabelFileError

    for content, message in [("a,b\n", "header must be term,label,weight"),
                             ("term,label\n,elderly_care\n", "lexicon.csv:2: empty term"),
                             ("term,label\nx,old\n", "lexicon.csv:2: unknown label 'old'"),
                             ("term,label,weight\nx,elderly_care,heavy\n", "lexicon.csv:2: weight 'heavy' is not a number")]:
        path.write_text(content, encoding="utf-8")
        with pytest.raises(LabelFileError, match=message):
            load_lexicon(path)


@pytest.mark.parametrize("weight", ["nan", "inf", "-inf", "NaN", "1e400"])
def test_load_lexicon_refuses_a_weight_that_is_not_finite(tmp_path, weight):
    """Hunt: a weight nan was read as NaN and training died ~20 s later in scikit-learn ("Input X contains NaN");
    inf likewise. The row is refused on load, by file and line, saying what a weight may be."""
    from tagger.errors import LabelFileError

    path = tmp_path / "lexicon.csv"
    path.write_text(f"term,label,weight\n敬老院,elderly_care,1\n孤寡老人,elderly_care,{weight}\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=re.escape(f"lexicon.csv:3: weight '{weight}' is not a finite number; a "
                                                       "weight is a finite number from -100 to 100")):
        load_lexicon(path)
    path.write_text("term,label,weight\nx,elderly_care,abc\n", encoding="utf-8")  # the range is said for abc too
    with pytest.raises(LabelFileError, match=re.escape("lexicon.csv:2: weight 'abc' is not a number; a weight is a "
                                                       "finite number")):
        load_lexicon(path)


@pytest.mark.parametrize("weight, why", [
    ("1_000", "is not a plain decimal number; "), ("٣", "is not a plain decimal number: write '3'; "),
    ("３", "is not a plain decimal number: write '3'; "), ("١.٥", "is not a plain decimal number: write '1.5'; "),
    ("０.８", "is not a plain decimal number: write '0.8'; "), ("1e308", "is outside -100 to 100; "),
    ("-101", "is outside -100 to 100; "), ("1e3", "is outside -100 to 100; ")])
def test_load_lexicon_refuses_a_weight_float_reads_but_no_plain_decimal_number(tmp_path, weight, why):
    """Weights were read with float(), which also reads 1_000, Arabic-Indic and full-width digits and 1e308 (a
    weight no cue has: the summed scores overflow): refused by file and line, saying what to write."""
    from tagger.errors import LabelFileError

    path = tmp_path / "lexicon.csv"
    path.write_text(f"term,label,weight\n敬老院,elderly_care,1\n孤寡老人,elderly_care,{weight}\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match="^" + re.escape(f"{path}:3: weight '{weight}' {why}a weight is a finite "
                                                             "number from -100 to 100, written in ASCII digits")):
        load_lexicon(path)
    with pytest.raises(ValueError, match=re.escape(f"weight '{weight}' {why}")):  # from Python alike
        Lexicon([("孤寡老人", "elderly_care", weight)])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789+-.eE_ ٣３０١٥٫")
               | st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=8))
def test_a_lexicon_weight_is_read_only_as_a_plain_decimal_number_in_range(tmp_path_factory, cell):
    """Any cell: read as float() reads it exactly when it is ASCII digits with an optional sign, point and
    exponent (white space around it aside) and within -100 to 100; anything else is refused naming the line."""
    from tagger.errors import LabelFileError

    if not cell.strip() or any(c in cell for c in '",;\t\ufeff'):
        return  # an empty cell is 1; a quote or separator is CSV, not the weight's text
    path = tmp_path_factory.mktemp("lex") / "lexicon.csv"
    path.write_text(f"term,label,weight\n敬老院,elderly_care,{cell}\n", encoding="utf-8")
    plain = re.fullmatch(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", cell.strip(), re.ASCII)
    if plain and abs(float(cell)) <= 100:
        assert load_lexicon(path).entries == (("敬老院", "elderly_care", float(cell)),)
    else:
        with pytest.raises(LabelFileError, match=r":2: weight .*; a weight is a finite number from -100 to 100"):
            load_lexicon(path)


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), "nan", "abc", None, True])
def test_lexicon_from_python_refuses_a_weight_that_is_not_a_finite_number(weight):
    with pytest.raises(ValueError, match=re.escape("lexicon term '孤寡老人': weight ") + ".* is not a (finite )?number; "
                                         "a weight is a finite number"):
        Lexicon([("敬老院", "elderly_care", 1.0), ("孤寡老人", "elderly_care", weight)])
    assert Lexicon([("敬老院", "elderly_care", -0.5), ("孤寡老人", "elderly_care", "2")]).entries[1][2] == 2.0


def test_a_lexicon_of_only_its_header_is_read_with_a_warning(tmp_path, caplog):
    """Hunt: a lexicon.csv holding only its header trained silently without lexicon features."""
    path = tmp_path / "lexicon.csv"
    path.write_text("term,label,weight\n\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="tagger"):
        assert len(load_lexicon(path)) == 0
    assert f"{path}: no terms, only its header: the model gets no lexicon features and will be much weaker" in caplog.text
    caplog.clear()
    path.write_text("term,label,weight\n敬老院,elderly_care,1\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="tagger"):
        load_lexicon(path)
    assert not caplog.records


# ----------------------------------------------------------------------------- segmentation
def test_word_segmentation_follows_the_user_dictionary():
    text = "老旧小区加装电梯接电"
    a = Segmenter(user_words=("加装电梯",)).cut_many([text])[0]
    b = Segmenter(user_words=("老旧小区",)).cut_many([text])[0]
    assert "加装电梯" in a and "老旧小区" not in a
    assert "老旧小区" in b and "加装电梯" not in b


def test_segmenter_lines_and_pickling():
    seg = Segmenter(("加装电梯",))
    assert seg.cut_many([]) == []
    assert seg.cut_many(["老旧小区加装电梯", "", "a b", "  "]) == [["老旧", "小区", "加装电梯"], [], ["a", "b"], []]
    back = pickle.loads(pickle.dumps(seg))
    assert back.user_words == ("加装电梯",) and back.cut_many(["加装电梯"]) == [["加装电梯"]]
    assert seg.cut_many(["a\nb", "c"]) == [["a", "b"], ["c"]]  # a stray line break stays inside its line


_SEGMENTER = Segmenter(("加装电梯",))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(st.sampled_from(list("老旧小区加装电梯接电为孤寡人检查线路企业报 ab1。,")), max_size=30), max_size=8))
def test_cut_many_equals_cutting_one_by_one(lines):
    seg = _SEGMENTER  # built once: building rjieba's tokenizer takes a quarter second
    assert seg.cut_many(lines) == [seg.cut_many([line])[0] for line in lines]


def test_user_dictionary_file(root, tmp_path):
    words = load_user_dict(root / "labels" / "userdict.txt")
    assert "加装电梯" in words and len(words) == len(set(words))
    (tmp_path / "u.txt").write_text("# comment\n加装电梯 10 n\n\n一户一表\n加装电梯\n", encoding="utf-8")
    assert load_user_dict(tmp_path / "u.txt") == ("加装电梯", "一户一表")


def test_a_user_dictionary_with_odd_lines_says_so(tmp_path, caplog):
    """Hunt: ``word with space 3``, ``老人 abc`` and a BOM starting a line mid-file (files joined) were read silently
    as ``word``, ``老人`` and ``\\ufeffBOM词``; the BOM is taken away and the odd lines named in one warning."""
    path = tmp_path / "u.txt"
    # jieba reads "老人 n" (a tag without a frequency) and "电梯 5" (a frequency alone): not odd (review)
    path.write_text("加装电梯 10 n\nword with space 3\n老人 3.5\n\ufeffBOM词\n接电 3\n一户一表\t5\tnz\n老人家 n\n",
                    encoding="utf-8")
    with caplog.at_level("WARNING", logger="tagger"):
        assert load_user_dict(path) == ("加装电梯", "word", "老人", "BOM词", "接电", "一户一表", "老人家")
    (record,) = caplog.records
    assert record.getMessage().startswith(f"{path}: lines 2, 3: what follows the word is not jieba's columns (a "
                                          "frequency, a whole number, and/or a tag), so only the first word of each is "
                                          "read; a word holds no white space")
    caplog.clear()
    path.write_text("\ufeff加装电梯 10 n\n# a note, with words\n\n接电\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="tagger"):
        assert load_user_dict(path) == ("加装电梯", "接电")
    assert not caplog.records


@pytest.mark.parametrize("words, named", [(["加装 电梯", ""], "'加装 电梯', ''"), (("接电", "a\tb"), "'a\\tb'"),
                                          (["老人", 3], "3"), (["电梯\n"], "'电梯\\n'")])
def test_user_words_must_be_words_without_white_space(words, named):
    """Hunt: Tagger(user_words=["加装 电梯", ""]) was taken (the segmenter given an empty word and one with a space)."""
    with pytest.raises(ValueError, match=re.escape(f"user_words must be words without white space, not empty: {named}")):
        Tagger(user_words=words, use_lexicon=False).fit(["加装电梯。", "接电。"], [[0, 0, 1, 0, 0], [0] * 5])


def test_a_model_saved_with_spaced_user_words_still_loads(tmp_path):
    """Review: the user-word check ran in _check_params, which load runs too, so a model saved (from Python) before the
    check with "加装 电梯" among its user words could not be loaded: "cannot read the model … retrain". It is checked
    when fitting only."""
    from tagger.model.persistence import load_model, save_model

    model = Tagger(user_words=["接电"], use_lexicon=False, tune_thresholds=False, report_context=False)
    model.fit(["加装电梯接电。", "老人。", "志愿者。", "接电。"], [[0, 0, 1, 0, 0], [1, 0, 0, 0, 0], [0] * 5, [0] * 5])
    model.user_words = ("加装 电梯", "接电")  # as such a model was fitted and saved before the check
    model.fitted_user_words_ = model.user_words
    path = save_model(model, tmp_path / "old.npz")
    assert load_model(path).user_words == ("加装 电梯", "接电")


def test_normalised_batches_feed_the_segmenter_line_for_line():
    norms = normalize_many(["國網(wǎng)供電\n公司", "", "老舊小區"])
    assert Segmenter().cut_many(norms)[1] == [] and len(Segmenter().cut_many(norms)) == 3


# ----------------------------------------------------------------------------- a notebook's API (review E)
def test_decide_reads_a_frame_of_scores_by_name_and_refuses_what_is_no_score(seed_model):
    """decide() read a frame's columns by place: score_* columns in alphabetical order gave a business paragraph
    elderly_care; percentages and NaN were decided without a word."""
    pd = pytest.importorskip("pandas")
    out = tagger.tag_frame(seed_model, pd.DataFrame({"text": ["为加快重点项目接电,该公司开辟绿色通道,压缩报装时间。"]}))
    scores = out.filter(like="score_")
    want = seed_model.decide(scores.to_numpy())
    assert seed_model.decide(scores[sorted(scores.columns)]) == want == out["labels"].tolist()
    assert seed_model.decide(scores.set_axis([c.removeprefix("score_") for c in scores.columns], axis=1)) == want
    with pytest.raises(ValueError, match=r"columns .* must be the labels \(or score_<label>\)"):
        seed_model.decide(scores.rename(columns={"score_elderly_care": "elderly"}))
    for bad, shown in ((scores.to_numpy() * 100, r"\d"), ([[float("nan")] * 5], "nan")):
        with pytest.raises(ValueError, match=f"scores must be numbers from 0 to 1 .*got {shown}"):
            seed_model.decide(bad)


@pytest.mark.parametrize("given", ["党员志愿者为孤寡老人义务检查线路。", ["党员志愿者为孤寡老人义务检查线路。"], ["0.5"] * 4 + ["高"]])
def test_decide_given_text_for_scores_says_what_it_takes(seed_model, given):
    """api: model.decide("…") (a paragraph where its scores go) said only numpy's "could not convert string to float";
    now what decide takes, and predict() for paragraphs."""
    with pytest.raises(ValueError, match=r"^scores must be numbers from 0 to 1 \(predict_proba's\), got .*; to label "
                                         r"paragraphs, use predict\(\)$"):
        seed_model.decide(given)


def test_result_scores_are_the_ones_the_labels_were_decided_on(seed_model):
    """Scores were rounded to 4 places while labels came from the unrounded ones: 0.2906 shown, a 0.29062 threshold,
    and the label given."""
    results = seed_model.tag("党员志愿者走进敬老院,为孤寡老人义务检查线路。\n公司开辟绿色通道为企业接电。")
    for r in results:
        got = [lab for lab, t in zip(LABELS, seed_model.thresholds_) if r.scores[lab] >= t]
        assert got == r.labels or r.kind != "body"
    scores = seed_model.predict_proba([r.text for r in results], reports=["report"] * len(results))
    assert [[r.scores[lab] for lab in LABELS] for r in results] == scores.tolist()


def test_evidence_reads_text_as_written_and_top_terms_checks_k(seed_model):
    """evidence() on traditional script gave other terms than the result's own (it read the text unnormalised);
    evidence(None) and top_terms(k=-1 or 2.5) ended in internal errors or the whole model."""
    text = "黨員服務隊走進敬老院，為孤寡老人義務檢查室內線路。"
    (r,) = seed_model.tag(text)
    assert {lab: seed_model.evidence(text, lab) for lab in r.labels} == r.evidence and r.labels
    with pytest.raises(TypeError, match="evidence\\(\\) expects a paragraph as str, got NoneType"):
        seed_model.evidence(None, "elderly_care")
    for k in (-1, 2.5, True):
        with pytest.raises(ValueError, match="k must be a whole number >= 0"):
            seed_model.top_terms("elderly_care", k)


def test_tag_frame_names_argument_mistakes_and_repeated_ids(seed_model):
    """A list for id_column or text_column, text_column=None and keep=None reached pandas' bare errors; two rows
    with one id (or "1" and 1) gave repeated paragraph ids without the warning tagger tag gives."""
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"id": ["a", "b"], "text": ["党员为老人检查线路。", "公司开会。"]})
    for kw, message in (({"id_column": ["id"]}, "id_column takes one column name, got \\['id'\\]; e.g. id_column='id'"),
                        ({"text_column": None}, "text_column takes one column name, got None"),
                        ({"text_column": ["text"]}, "e.g. text_column='text'")):
        with pytest.raises(TypeError, match=message):
            tagger.tag_frame(seed_model, df, **{"id_column": "id", **kw})
    assert len(tagger.tag_frame(seed_model, df, id_column="id", keep=None)) == 2
    with pytest.warns(UserWarning, match=r"rows 0 and 1: 'id' value '1' is given to two reports \(the text 1 and "
                                         r"the number 1 are one id\): their paragraph ids repeat"):
        out = tagger.tag_frame(seed_model, df.assign(id=["1", 1]), id_column="id")
    assert out["paragraph"].tolist() == ["1:0", "1:0"]
    for ids in (["a", "a"], [1, 1]):  # written alike: no word of text and number (review: said for two "a" ids)
        with pytest.warns(UserWarning, match=f"rows 0 and 1: 'id' value '{ids[0]}' is given to two reports: their "
                                             "paragraph ids repeat"):
            tagger.tag_frame(seed_model, df.assign(id=ids), id_column="id")


def test_a_tag_frame_result_is_counted_by_corpus_stats(seed_model):
    """corpus_stats on tag_frame's result ended in a bare KeyError: 'effective_labels'."""
    pd = pytest.importorskip("pandas")
    from tagger.analysis.stats import corpus_stats

    out = tagger.tag_frame(seed_model, pd.DataFrame({"id": ["a", "b"], "company": ["X", "Y"],
                                                     "text": ["党员志愿者为孤寡老人义务检查线路。", "公司开会。"]}),
                           id_column="id", keep=["company"])
    stats = corpus_stats(out, by=["company"])
    assert stats.paragraphs == 2 and stats.reviewed == 0 and stats.reports == 2
    with pytest.raises(ValueError, match="corpus_stats counts a tagged frame"):
        corpus_stats(pd.DataFrame({"text": ["x"]}))


def test_kept_columns_named_like_what_read_tagged_adds_are_refused_not_counted(seed_model):
    """tag_frame(keep=["effective_labels", "reviewed", "company"]) kept the input's columns of those names, and
    corpus_stats counted the kept effective_labels instead of the model's labels (no word); keeping effective_labels
    alone ended in a bare KeyError: 'reviewed'."""
    pd = pytest.importorskip("pandas")
    from tagger.analysis.stats import corpus_stats

    df = pd.DataFrame({"id": ["a", "b"], "company": ["X", "Y"], "effective_labels": [["volunteer_work"], []],
                       "reviewed": [True, False], "reviewed_labels": [["volunteer_work"], None],
                       "text": ["党员志愿者为孤寡老人义务检查线路。", "公司开会。"]})
    for keep, named in ((["effective_labels", "reviewed", "company"], r"\['effective_labels', 'reviewed'\]"),
                        (["effective_labels"], r"\['effective_labels'\]"), (["reviewed"], r"\['reviewed'\]"),
                        (["stale_decision"], r"\['stale_decision'\]")):
        with pytest.raises(ValueError, match=f"kept column\\(s\\) {named} have the name of a column read_tagged "
                                             "and tagger stats compute"):
            tagger.tag_frame(seed_model, df, id_column="id", keep=keep)
    with pytest.raises(ValueError, match=r"\['reviewed_labels'\] have the name of an output column"):
        tagger.tag_frame(seed_model, df, id_column="id", keep=["reviewed_labels"])  # read back as decisions
    out = tagger.tag_frame(seed_model, df, id_column="id", keep=["company"])
    # such columns added to the frame afterwards: refused by corpus_stats, not counted nor a bare KeyError
    with pytest.raises(ValueError, match=r"2 rows not reviewed have effective_labels other than their labels \(e.g. "
                                         r"row 0 of the frame: effective_labels \['elderly_care'\]"):
        corpus_stats(out.assign(effective_labels=[["elderly_care"], ["elderly_care"]], reviewed=False))
    with pytest.raises(ValueError, match="has an effective_labels column but no reviewed"):
        corpus_stats(out.assign(effective_labels=out["labels"]))
    with pytest.raises(ValueError, match="has a reviewed column but no effective_labels"):
        corpus_stats(out.assign(reviewed=True))
    decided = out.assign(effective_labels=[["volunteer_work"], out.at[1, "labels"]], reviewed=[True, False])
    assert corpus_stats(decided).tables["corpus"].set_index("label").at["volunteer_work", "paragraphs"] == 1


def test_a_byte_order_mark_is_no_text_of_the_first_paragraph(seed_model):
    """A file read with encoding="utf-8" (the README's line) kept U+FEFF in the first paragraph's text; the CLI drops it."""
    assert seed_model.tag("\ufeff党员志愿者为孤寡老人义务检查线路。")[0].text == "党员志愿者为孤寡老人义务检查线路。"


def test_a_label_cell_of_unknown_ids_is_refused_not_none():
    """format_label_cell(["Elderly_Care"]) gave "none": read back, a reviewed decision of no label."""
    from tagger.labels import format_label_cell

    with pytest.raises(ValueError, match="unknown label id 'Elderly_Care'"):
        format_label_cell(["Elderly_Care"])
    with pytest.raises(ValueError, match="takes a list of label ids, got the string 'work'"):
        format_label_cell("work")
    assert format_label_cell(["volunteer_work", "elderly_care"]) == "elderly_care;volunteer_work"


# ----------------------------------------------------------------------------- Python API review
def test_a_heading_with_an_html_entity_stays_a_heading(seed_model):
    """Finding 1: '&nbsp;' and '&ldquo;' in plain text made a heading a body paragraph with labels."""
    body = "\n\n党员志愿者走进敬老院,为孤寡老人义务检查线路。"
    for heading in ("志愿服务进敬老院&nbsp;", "&ldquo;我为群众办实事&rdquo;志愿服务进敬老院"):
        first = seed_model.tag(heading + body)[0]
        assert (first.kind, first.labels, first.text) == ("heading", [], heading)  # the text as written
    assert seed_model.predict("志愿服务进敬老院&nbsp;") == []


def test_fit_warns_when_labelled_rows_read_as_headings(resources, caplog):
    """Finding 4: spreadsheet cells without 。 are headings (no label at predict, left out of tuning): fit said
    nothing though most training rows were affected."""
    texts = ["党员为孤寡老人检查线路", "公司召开党委会议", "志愿者为老人更换插座", "公司开展安全检查"] * 3
    Y = [[1, 0, 0, 0, 1], [0] * 5, [1, 0, 0, 0, 1], [0] * 5] * 3
    with caplog.at_level("WARNING", logger="tagger"):
        Tagger(lexicon=resources.lexicon, threshold_repeats=1).fit(texts, Y)
    assert re.search(r"6 of 6 labelled training paragraphs read as headings .*end sentences with 。.*"
                     r"suppress_headings=False", caplog.text)
    caplog.clear()
    with caplog.at_level("WARNING", logger="tagger"):
        Tagger(lexicon=resources.lexicon, threshold_repeats=1).fit([t + "。" for t in texts], Y)
        Tagger(lexicon=resources.lexicon, threshold_repeats=1, suppress_headings=False).fit(texts, Y)
    assert "headings" not in caplog.text


def test_a_missing_group_is_a_group_of_its_own(resources, seed_data):
    """Finding 5: groups with None put every loose sentence into one group 'None' (thresholds moved), NaN failed
    in scikit-learn ("Input contains NaN"); a missing group is now what a missing report is."""
    texts, Y, docs = seed_data
    texts, Y, docs = texts[:60], Y[:60], docs[:60]
    loose = [d if i % 3 else None for i, d in enumerate(docs)]
    make = lambda: Tagger(lexicon=resources.lexicon, threshold_repeats=1, report_context=False)  # noqa: E731
    expected = make().fit(texts, Y, reports=loose).thresholds_  # groups default to reports, loose rows each alone
    assert make().fit(texts, Y, groups=[d or "None" for d in loose]).thresholds_.tolist() != expected.tolist()
    assert make().fit(texts, Y, groups=loose).thresholds_.tolist() == expected.tolist()
    assert make().fit(texts, Y, groups=[float("nan") if g is None else g for g in loose]).thresholds_.tolist() == \
        expected.tolist()


def test_a_lexicon_set_after_fit_is_neither_used_nor_saved_silently(seed_model, tmp_path):
    """Finding 6: set_params(lexicon=...) after fit left the scores alone but changed evidence(), and save() wrote the
    old lexicon without a word; the fitted lexicon now serves both, and save refuses as for other hyperparameters."""
    import copy

    model = copy.copy(seed_model)
    before = (model.evidence(ELDERLY, "elderly_care"), model.predict_proba(ELDERLY).tolist())
    model.set_params(lexicon=Lexicon([("检查", "elderly_care", 5.0)]))
    assert (model.evidence(ELDERLY, "elderly_care"), model.predict_proba(ELDERLY).tolist()) == before
    with pytest.raises(ValueError, match=r"lexicon was changed after fit \(\d+ entries -> 1 entries\).*"
                                         r"set_params\(lexicon=model.fitted_lexicon_\)"):
        model.save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []
    model.set_params(lexicon=Lexicon(seed_model.lexicon.entries))  # the same entries, read again
    assert model.save(tmp_path / "m.npz").exists()
    with pytest.raises(ValueError, match="lexicon was changed after fit"):
        model.set_params(lexicon=None).save(tmp_path / "n.npz")


def test_threshold_folds_is_checked_only_where_it_is_used(resources):
    """Finding 9: tune_thresholds=False, threshold_folds=1 was refused with "pass tune_thresholds=False"."""
    texts, Y = ["党员为孤寡老人检查线路。", "公司召开会议。"] * 3, [[1, 0, 0, 0, 1], [0] * 5] * 3
    model = Tagger(lexicon=resources.lexicon, tune_thresholds=False, threshold_folds=1).fit(texts, Y)
    assert model.thresholds_.tolist() == [0.5] * 5
    many = [f"r{i // 2}" for i in range(40)]  # 20 reports of two paragraphs: the context stage can learn
    with pytest.raises(ValueError, match=r"threshold_folds must be a whole number >= 2 \(.*report-context stage.*"
                                         r"pass report_context=False$"):
        Tagger(lexicon=resources.lexicon, tune_thresholds=False, threshold_folds=1).fit((texts * 7)[:40], (Y * 7)[:40],
                                                                                         reports=many)


def test_threshold_folds_is_not_checked_for_a_context_stage_that_stays_off(resources):
    """Diff review, finding 5: Tagger(tune_thresholds=False, threshold_folds=1).fit(X, Y, reports=["rA"] * 3 + [None]
    * 297) was refused "about the report-context stage", which with fewer than context.MIN_REPORTS reports stays off
    (the test that stage makes decides now)."""
    from tagger.model.context import MIN_REPORTS

    texts, Y = ["党员为孤寡老人检查线路。", "公司召开会议。"] * 150, [[1, 0, 0, 0, 1], [0] * 5] * 150
    for reports in (["rA"] * 3 + [None] * 297, [f"r{i // 2}" for i in range(2 * MIN_REPORTS - 2)] + [None] * 262,
                    [f"r{i}" for i in range(300)]):  # 1 report; MIN_REPORTS - 1 of two rows; 300 of one row each
        model = Tagger(lexicon=resources.lexicon, tune_thresholds=False, threshold_folds=1).fit(texts, Y,
                                                                                                 reports=reports)
        assert model.thresholds_.tolist() == [0.5] * 5 and not model.context_weights_.any()


@pytest.mark.parametrize("weight", [{0: 1, 1: 3}, "Balanced", 2.0])
def test_class_weight_other_than_balanced_or_none_is_refused(resources, weight):
    """Finding 10: a dict was trained with, then saved as {'0': 1, '1': 3}, which clone(loaded).fit refused."""
    with pytest.raises(ValueError, match=r"class_weight must be 'balanced' or None, got"):
        Tagger(lexicon=resources.lexicon, class_weight=weight).fit(["a。", "b。"], [[1, 0, 0, 0, 0], [0] * 5])


def test_a_sparse_label_matrix_is_read_as_its_dense_form(resources):
    """Finding 12: MultiLabelBinarizer(sparse_output=True)'s Y was refused as "Y must be a 0/1 matrix"."""
    import scipy.sparse as sp

    texts, Y = ["党员为孤寡老人检查线路。", "公司召开会议。"] * 3, np.array([[1, 0, 0, 0, 1], [0] * 5] * 3)
    dense = Tagger(lexicon=resources.lexicon, threshold_repeats=1).fit(texts, Y)
    sparse = Tagger(lexicon=resources.lexicon, threshold_repeats=1).fit(texts, sp.csr_matrix(Y))
    assert sparse.coef_.tobytes() == dense.coef_.tobytes() and sparse.thresholds_.tolist() == dense.thresholds_.tolist()


def test_fit_warns_about_degenerate_training_data(resources, caplog):
    """Finding 13: a label on no (or every) training paragraph, and a min_df that leaves a block empty, trained
    without a word."""
    texts, Y = ["党员为孤寡老人检查线路。", "公司召开会议。"] * 3, [[1, 0, 0, 0, 1], [1, 0, 0, 0, 0]] * 3
    with caplog.at_level("WARNING", logger="tagger"):
        Tagger(lexicon=resources.lexicon, threshold_repeats=1, word_min_df=7).fit(texts, Y)
    assert ("of the 6 training paragraphs, none has the labels old_neighbourhood_retrofit, elevator_power_hookup, "
            "business_connection_speed (the model will never give them); every one has the label elderly_care (the "
            "model learns nothing from it): give paragraphs with and without each label") in caplog.text
    assert re.search(r"the word block has no features: .*\(word_min_df=7\); lower it, or switch the block off "
                     r"\(use_word=False\)", caplog.text)
    caplog.clear()
    with caplog.at_level("WARNING", logger="tagger"):
        Tagger(lexicon=resources.lexicon, threshold_repeats=1).fit(
            texts + ["为老旧小区加装电梯接电。", "企业报装接电提速。"], Y + [[0, 1, 1, 0, 0], [0, 0, 0, 1, 0]])
    assert "learns nothing" not in caplog.text and "no features" not in caplog.text


@pytest.mark.parametrize("texts", [["", "  ", "。"], ["。", "，"] * 3])
def test_fit_on_paragraphs_without_features_says_only_that(resources, caplog, texts):
    """Hunt: fit on empty paragraphs first warned "the word block has no features … lower word_min_df" (which
    cannot help: there is nothing to count), then raised "give no features": only the error is said now."""
    Y = np.zeros((len(texts), len(LABELS)), int)
    with caplog.at_level("WARNING", logger="tagger"), \
            pytest.raises(ValueError, match=f"the {len(texts)} training paragraphs give no features"):
        Tagger(lexicon=resources.lexicon, word_min_df=1, char_min_df=1).fit(texts, Y)
    assert "block has no features" not in caplog.text and "min_df" not in caplog.text


def test_tag_takes_a_whole_number_id_and_evidence_and_names_bytes(seed_model, cli_model, monkeypatch):
    """Finding 14: tag(doc=123) was refused though tag_frame takes whole-number ids; tagger.tag() had no evidence=;
    tag(bytes) did not say to decode it, as predict does."""
    monkeypatch.setenv("TAGGER_MODEL", cli_model)
    monkeypatch.setitem(tagger._DEFAULT, "model", None)
    assert [r.id for r in seed_model.tag(ELDERLY, np.int64(123))] == ["123:0"]
    assert tagger.tag(ELDERLY, 7, evidence=False)[0].evidence == {} and tagger.tag(ELDERLY)[0].evidence != {}
    with pytest.raises(TypeError, match=r"got bytes; decode it first, e.g. data.decode\('utf-8'\)"):
        seed_model.tag(ELDERLY.encode())


def test_repr_of_a_loaded_model_is_short(cli_model):
    """Finding 14: repr(tagger.load()) printed every word of the user dictionary and the lexicon's address."""
    text = repr(tagger.load(cli_model))
    assert re.fullmatch(r"Tagger\(lexicon=Lexicon\(<\d+ entries>\), user_words=<\d+ items>\)", text), text
    assert repr(Tagger(user_words=("电梯", "加装电梯"), C=1.0)) == "Tagger(user_words=('电梯', '加装电梯'), C=1.0)"


# ----------------------------------------------------------------------------- a failed fit changes nothing
def _snapshot(model):
    """A model's attributes, arrays by value (a fit that changes any of them in place shows)."""
    def value(v):
        if isinstance(v, np.ndarray):
            return ("array", v.dtype.str, v.shape, v.tobytes())
        if isinstance(v, list) and all(isinstance(b, tuple) and len(b) == 2 for b in v):  # blocks_: by identity
            return [(name, id(block)) for name, block in v]
        return v if isinstance(v, (str, int, float, bool, tuple, type(None), dict)) else id(v)
    return {k: value(v) for k, v in vars(model).items() if k != "_seg"}


PUNCTUATION_ONLY = (["。", "，"] * 5, np.array([[1, 0, 0, 0, 1], [0, 0, 0, 0, 0]] * 5))


def test_a_failed_fit_leaves_a_loaded_model_as_it_was(cli_model, tmp_path):
    """Hunt 45, finding 1 (repro A): a refit that failed ("no features") left its new vocabulary beside the loaded
    model's weights: the elderly paragraph got no label, without an error, and save() wrote a file load() refused."""
    model = tagger.load(cli_model)
    before, labels, scores = _snapshot(model), model.predict([ELDERLY]), model.predict_proba([ELDERLY, MEETING])
    assert labels == [["elderly_care", "volunteer_work"]]
    with pytest.raises(ValueError, match="give no features"):
        model.fit(*PUNCTUATION_ONLY)
    assert _snapshot(model) == before  # manifest_ and model_path_ too: still the file it was loaded from
    assert model.predict([ELDERLY]) == labels
    np.testing.assert_array_equal(model.predict_proba([ELDERLY, MEETING]), scores)
    again = tagger.load(model.save(tmp_path / "again.npz"))
    assert again.predict([ELDERLY]) == labels and again.manifest_["data_hash"] == "seed-only test model"


def test_a_fit_refused_by_scikit_learn_leaves_the_model_and_a_later_fit_is_a_fresh_one(cli_model, seed_data, tmp_path,
                                                                                      monkeypatch):
    """Hunt 45, finding 1 (repro B): C=0 was refused by scikit-learn after the new blocks, thresholds (all 0.5) and
    context weights were in place; set back, the model scored an elevator paragraph 0.01 (was 0.92), and its saved
    file was refused on load ("weights of shape ... do not fit the feature blocks"). A fit after the failed one gives
    the model a fresh fit gives, byte for byte."""
    texts, Y, docs = seed_data
    from tagger.model import tagger as tagger_module

    model = tagger.load(cli_model)
    before, scores = _snapshot(model), model.predict_proba(texts[:20])
    real = tagger_module.fit_linear

    def refused(X, *args, **kwargs):  # C=0 is refused before any work now: a refusal this late, as it was
        if X.shape[0] == len(texts):
            raise ValueError("The 'C' parameter of LogisticRegression must be a float in the range (0.0, inf)")
        return real(X, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(tagger_module, "fit_linear", refused)
        with pytest.raises(ValueError, match="'C' parameter"):
            model.fit(texts, Y, reports=docs)
    assert _snapshot(model) == before
    np.testing.assert_array_equal(model.predict_proba(texts[:20]), scores)
    assert tagger.load(model.save(tmp_path / "kept.npz")).predict(texts[:20]) == model.predict(texts[:20])
    model.fit(texts, Y, reports=docs)
    fresh = Tagger(**model.get_params()).fit(texts, Y, reports=docs)
    assert model.save(tmp_path / "refit.npz").read_bytes() == fresh.save(tmp_path / "fresh.npz").read_bytes()


def test_ctrl_c_during_a_refit_leaves_the_model_as_it_was(seed_model, seed_data, tmp_path, monkeypatch):
    """Hunt 45, finding 1: Ctrl-C while the final regressions were fitted left the new blocks, tuned thresholds and
    context weights beside the old weights."""
    import copy

    from tagger.model import tagger as tagger_module

    texts, Y, docs = seed_data
    model = copy.copy(seed_model)  # the session's model stays as it is (fit replaces attributes, never changes them)
    before, scores = _snapshot(model), model.predict_proba(texts[:20])
    real = tagger_module.fit_linear

    def interrupted(X, *args, **kwargs):
        if X.shape[0] == len(texts):  # the final fit on every paragraph: the K-fold's thresholds are tuned by then
            raise KeyboardInterrupt
        return real(X, *args, **kwargs)

    monkeypatch.setattr(tagger_module, "fit_linear", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.set_params(C=2.0).fit(texts, Y, reports=docs)
    model.set_params(C=seed_model.C)
    assert _snapshot(model) == before
    np.testing.assert_array_equal(model.predict_proba(texts[:20]), scores)
    assert tagger.load(model.save(tmp_path / "m.npz")).predict(texts[:20]) == model.predict(texts[:20])


def test_set_params_sets_nothing_when_a_name_is_unknown():
    """Hunt 45: set_params(C=1.0, bogus=2) set C, then refused bogus (a model half-changed, which save then refused
    as 'hyperparameters were changed after fit')."""
    model = Tagger(C=4.0)
    with pytest.raises(ValueError, match="invalid parameter 'bogus'"):
        model.set_params(C=1.0, bogus=2)
    assert model.C == 4.0


def test_a_model_whose_weights_do_not_fit_its_blocks_is_not_saved(seed_model, tmp_path):
    """Hunt 45, finding 1: save() wrote a model whose weights did not fit its feature blocks; load() then refused
    the file. Now save refuses first, saying what does not fit."""
    import copy

    model = copy.copy(seed_model)
    model.blocks_ = [(name, block) for name, block in seed_model.blocks_ if name != "lexicon"]
    widths = " + ".join(f"{name} {block.width}" for name, block in model.blocks_)
    with pytest.raises(ValueError, match=re.escape(
            f"this model cannot be saved: a load would refuse its file (cannot read the model (ValueError: weights of "
            f"shape {model.coef_.shape} do not fit the feature blocks ({widths} = "
            f"{sum(b.width for _, b in model.blocks_)} columns, 5 labels))); fit it again")):
        model.save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_fit_keeps_the_attributes_that_are_not_the_taggers_own(seed_data):
    """Hunt 45 fix round, item 2: fit dropped every attribute with a trailing underscore set before it ran: a
    subclass's fit that counts what it saw (n_seen_) and then calls Tagger.fit lost its count, a user's note_ was
    gone (the fit before the staged one kept them). Now only the Tagger's own fitted state is replaced."""
    class Counting(Tagger):
        def fit(self, X, Y, **kwargs):
            self.n_seen_ = len(X)
            return super().fit(X, Y, **kwargs)

    texts, Y, docs = seed_data
    model = Counting(use_lexicon=False, tune_thresholds=False)
    model.note_ = "June batch"
    model.fit(texts, Y, reports=docs)
    assert model.n_seen_ == len(texts) and model.note_ == "June batch" and hasattr(model, "coef_")


def test_the_fitted_attributes_are_those_fit_and_load_set(seed_model, cli_model):
    """The one list of a Tagger's fitted state (what a new fit replaces) names everything a fit or a load sets."""
    for model in (seed_model, tagger.load(cli_model)):
        fitted = set(vars(model)) - set(vars(Tagger())) - {"_seg"}  # the segmenter: a cache of user_words
        assert fitted <= set(Tagger.FITTED_ATTRIBUTES), fitted - set(Tagger.FITTED_ATTRIBUTES)



def test_the_settings_of_a_block_switched_off_are_not_checked():
    """Review: the stricter checks refused a model an earlier tagger saved from an ablation (lexicon_scale=0 with
    use_lexicon=False; word_min_df=0 with use_word=False) at load, "retrain": a block switched off builds nothing
    from its settings. In use, the same values are refused."""
    for off, bad in (({"use_lexicon": False}, {"lexicon_scale": 0.0}), ({"use_word": False}, {"word_min_df": 0}),
                     ({"use_char": False}, {"char_ngram_max": 1, "char_min_df": 1.0})):
        Tagger(lexicon=None, **off, **bad)._check_params()
        with pytest.raises(ValueError, match="|".join(bad)):
            Tagger(lexicon=None, **bad)._check_params()


def test_clone_of_a_subclass_keeps_its_parameters_and_the_ones_it_passes_on():
    """A subclass written as scikit-learn's own are (``def __init__(self, note="x", *, C=4.0)``, a positional
    parameter) lost its parameter in get_params, and one that passes ``**kwargs`` on to Tagger's __init__ lost every
    Tagger hyperparameter: ``clone`` (a GridSearchCV's every fit) trained its copy with C=4.0 where C=1.0 was set,
    and set_params(C=...) was refused. get_params reads them all; ``*args``, which clone cannot pass, is refused as
    scikit-learn refuses it."""
    from sklearn.base import clone

    class Noted(Tagger):
        def __init__(self, *, note: str = "x", **kwargs) -> None:
            super().__init__(**kwargs)
            self.note = note

    class Placed(Tagger):
        def __init__(self, note: str = "x", *, C: float = 4.0) -> None:
            super().__init__(C=C, use_lexicon=False)
            self.note = note

    copy = clone(Noted(C=1.0, use_lexicon=False, note="y"))
    assert (copy.C, copy.use_lexicon, copy.note) == (1.0, False, "y")
    assert copy.set_params(C=2.0).C == 2.0 and repr(copy) == "Noted(note='y', C=2.0, use_lexicon=False)"
    assert clone(Placed("z", C=2.0)).get_params() == {"note": "z", "C": 2.0}

    class Spread(Tagger):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(**kwargs)

    with pytest.raises(RuntimeError, match=r"Spread.__init__ takes \*args"):
        Spread().get_params()
