import numpy as np
import pytest

from tagger import Hyperparameters
from tagger.evaluation import (EmptyBaseline, KeywordBaseline, System, default_systems, make_folds,
                               metrics, run_cv)


def test_lodo_folds_score_only_real_paragraphs(resources):
    ex = resources.examples
    folds = make_folds(ex, "lodo")
    docs = sorted({e.doc for e in ex if e.source == "seed"})
    assert [f.name for f in folds] == docs
    scored = np.concatenate([f.test for f in folds])
    assert sorted(scored) == [i for i, e in enumerate(ex) if e.source == "seed"]
    for f in folds:
        assert not set(f.train) & set(f.test)
        assert all(ex[i].doc == f.name for i in f.test)
        assert all(ex[i].doc != f.name for i in f.train)
        assert any(ex[i].source == "authored" for i in f.train)


def test_kfold_folds(resources):
    folds = make_folds(resources.examples, "kfold", n_folds=5, repeats=2, seed=1)
    assert len(folds) == 10
    for f in folds:
        assert all(resources.examples[i].source == "seed" for i in f.test)
        assert not set(f.train) & set(f.test)
    with pytest.raises(ValueError, match="unknown CV scheme"):
        make_folds(resources.examples, "random")


class _Spy:
    """Records the paragraphs a model was trained on, to prove no fold trains on its test rows."""

    seen: list[set[str]] = []

    def __init__(self, train):
        _Spy.seen.append({e.text for e in train})

    def predict_proba(self, texts):
        assert not set(texts) & _Spy.seen[-1], "test paragraphs were in the training data"
        return np.zeros((len(texts), 5))

    def predict(self, texts):
        self.predict_proba(texts)
        return [[] for _ in texts]


def test_no_fold_trains_on_its_test_paragraphs(resources):
    _Spy.seen.clear()
    run = run_cv(resources.examples, System("spy", "", _Spy), make_folds(resources.examples), "lodo")
    assert len(_Spy.seen) == 5 and run.metrics["n"] == 109


def test_thresholds_are_tuned_inside_the_fold(resources, monkeypatch):
    """If threshold tuning ever saw the scored fold, the fitted rows would include test rows."""
    import tagger.model as model_mod

    tuned_on = []
    real = model_mod.best_f1_threshold

    def spy(y, scores, default=0.5, **kw):
        tuned_on.append(len(y))
        return real(y, scores, default, **kw)

    monkeypatch.setattr(model_mod, "best_f1_threshold", spy)
    ex = [e for e in resources.examples if e.source == "seed"]
    hp = Hyperparameters()
    system = default_systems(hp, resources.lexicon, resources.user_words, ablations=False,
                             has_authored=False)[0]
    folds = make_folds(ex, "lodo")
    run_cv(ex, system, folds, "lodo")
    # 5 labels per fold, each tuned on exactly the fold's training rows.
    assert tuned_on == [len(f.train) for f in folds for _ in range(5)]


def test_metrics_perfect_and_empty():
    y = np.array([[1, 0, 0, 0, 1], [0, 0, 0, 0, 0], [0, 1, 1, 0, 0]])
    m = metrics(y, y)
    assert m["micro_f1"] == 1.0 and m["subset_accuracy"] == 1.0 and m["hamming_loss"] == 0.0
    e = metrics(y, np.zeros_like(y))
    assert e["micro_f1"] == 0.0 and e["subset_accuracy"] == pytest.approx(1 / 3)
    assert e["per_label"]["elderly_care"]["support"] == 1


def test_baselines(resources):
    assert EmptyBaseline().predict(["a", "b"]) == [[], []]
    kw = KeywordBaseline(resources.lexicon)
    assert kw.predict(["为老旧小区加装电梯接电。"]) == [["old_neighbourhood_retrofit", "elevator_power_hookup"]]
    assert kw.predict(["老旧小区加装电梯"]) == [[]]  # a heading: no label (codebook)


def test_real_tagger_never_fits_or_tunes_on_scored_paragraphs(resources, monkeypatch):
    """The shipped system, for real: every text Tagger.fit sees (it also tunes the thresholds on
    exactly these rows) is disjoint from the texts the fold scores."""
    import tagger.model as model_mod

    fitted: list[set[str]] = []
    real_fit = model_mod.Tagger.fit

    def spy_fit(self, texts, *args, **kwargs):
        fitted.append(set(texts))
        return real_fit(self, texts, *args, **kwargs)

    monkeypatch.setattr(model_mod.Tagger, "fit", spy_fit)
    ex = resources.examples
    folds = make_folds(ex, "lodo")
    system = default_systems(Hyperparameters(), resources.lexicon, resources.user_words, ablations=False)[0]
    run_cv(ex, system, folds, "lodo")
    assert len(fitted) == len(folds)
    for seen, fold in zip(fitted, folds):
        scored = {ex[i].text for i in fold.test}
        assert not seen & scored
        assert seen == {ex[i].text for i in fold.train}  # and on exactly the training rows
