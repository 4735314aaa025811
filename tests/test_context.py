"""The report-context stage: the strongest other paragraph of a report moves a paragraph's score."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.data.examples import Example, in_report, report_ids
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


def test_examples_in_whole_reports():
    ex = [Example("a", "d", "x", (), index=0), Example("b", "d", "y", (), index=1),
          Example("c", "e", "z", (), index=0), Example("f", "g", "w", ())]
    assert in_report(ex) == [True, True, False, False]  # "e" has one placed paragraph only
    assert report_ids(ex) == ["d", "d", "c", "f"]


def test_the_model_learns_context_from_reports_and_tag_uses_it(seed_model, root):
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
    # each paragraph its own report: the first stage alone
    np.testing.assert_array_equal(seed_model.predict_proba(texts, [str(i) for i in range(len(texts))]), alone)
    assert seed_model.predict(texts[body[0]]) == seed_model.decide(alone[body[0]][None])[0]


def test_report_context_off_learns_nothing(resources):
    from tagger.training import fit_examples, make_tagger

    seeds = [e for e in resources.examples if e.source == "seed"]
    model = fit_examples(make_tagger(resources, report_context=False), seeds)
    assert not np.any(model.context_weights_)
    texts = [e.text for e in seeds[:8]]
    np.testing.assert_array_equal(model.predict_proba(texts, ["r"] * 8), model.predict_proba(texts))


def test_reports_must_match_the_paragraphs(seed_model):
    with pytest.raises(ValueError, match="reports has 1 entries for 2 paragraphs"):
        seed_model.predict_proba(["一。", "二。"], ["r"])
    with pytest.raises(ValueError, match="in_report must have one entry per paragraph"):
        type(seed_model)(lexicon=seed_model.lexicon).fit(["a", "b"], np.zeros((2, 5)), in_report=[True])


def test_many_reports_are_scored_each_with_its_own_context(seed_model, root):
    """paragraph_rows (tagger tag, tag_frame) gives each report the scores tag() gives it alone, also
    when two inputs share a report id."""
    from tagger.labels import LABELS
    from tagger.pipeline import paragraph_rows

    files = sorted(p for p in (root / "seeds").iterdir() if p.suffix == ".txt")[:2]
    texts = [f.read_text(encoding="utf-8") for f in files]
    rows = list(paragraph_rows(seed_model, [("same", texts[0]), ("same", texts[1])]))
    alone = [t for text in texts for t in seed_model.tag(text, "same", evidence=False)]
    assert len(rows) == len(alone)
    for row, t in zip(rows, alone):
        assert [row[f"score_{lab}"] for lab in LABELS] == [t.scores[lab] for lab in LABELS]
        assert row["labels"] == t.labels
