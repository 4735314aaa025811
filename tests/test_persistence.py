import json
import warnings

import pytest

import tagger
from tagger.errors import ModelFileError
from tagger.persistence import atomic_write, load_model, manifest_path


@pytest.fixture
def saved(seed_model, tmp_path):
    path = seed_model.save(tmp_path / "m.joblib", data_hash="abc")
    return path


def test_round_trip(saved, seed_model):
    model = tagger.load(saved)
    texts = ["党员志愿者为孤寡老人义务检查线路。", "企业报装接电提速。"]
    assert model.predict(texts) == seed_model.predict(texts)
    manifest = json.loads(manifest_path(saved).read_text(encoding="utf-8"))
    assert manifest["labels"] == list(tagger.LABELS)
    assert manifest["data_hash"] == "abc"
    assert set(manifest["thresholds"]) == set(tagger.LABELS)
    assert {"python", "scikit-learn", "numpy", "jieba", "opencc"} <= set(manifest["versions"])
    assert manifest["hyperparameters"]["C"] == seed_model.hp.C
    # the column names (packed into three objects in the file) come back as they were
    for (_, vec), (_, back) in zip(seed_model.blocks_, model.blocks_):
        assert getattr(back, "names_", None) == getattr(vec, "names_", None)
    assert model.feature_names() == seed_model.feature_names()


def test_missing_model_says_train(tmp_path):
    with pytest.raises(ModelFileError, match="python train.py"):
        tagger.load(tmp_path / "none.joblib")


def test_tampered_model_refused(saved):
    saved.write_bytes(saved.read_bytes() + b"x")
    with pytest.raises(ModelFileError, match="changed since it was written"):
        load_model(saved)


def test_missing_manifest_needs_trust(saved):
    manifest_path(saved).unlink()
    with pytest.raises(ModelFileError, match="trust=True"):
        load_model(saved)
    assert load_model(saved, trust=True).predict(["x"]) == [[]]


@pytest.mark.parametrize("key, value, message", [
    ("format_version", 99, "model format 99"),
    ("labels", ["a", "b"], "differ from this tagger's"),
])
def test_incompatible_manifest(saved, key, value, message):
    mp = manifest_path(saved)
    data = json.loads(mp.read_text(encoding="utf-8"))
    data[key] = value
    mp.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError, match=message):
        load_model(saved)


def test_other_sklearn_version_warns(saved):
    mp = manifest_path(saved)
    data = json.loads(mp.read_text(encoding="utf-8"))
    data["versions"]["scikit-learn"] = "0.0.1"
    mp.write_text(json.dumps(data), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_model(saved)
    assert any("scikit-learn 0.0.1" in str(w.message) for w in caught)


def test_atomic_write_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w", encoding="utf-8") as fh:
            fh.write("new half")
            raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [target]  # no temp file left behind


def test_column_names_survive_pickling_and_joblib(tmp_path):
    import pickle

    import joblib

    from tagger.features import CharNgrams, HashedTfidf

    texts = ["老旧小区加装电梯", "为孤寡老人检查线路", "老旧小区一户一表"]
    vec = HashedTfidf(CharNgrams(2, 3), n_features=2**12).fit(texts).learn_names(texts)
    names = dict(vec.names_)
    assert len(names) > 10
    for back in (pickle.loads(pickle.dumps(vec)), joblib.load(joblib.dump(vec, tmp_path / "v.joblib")[0])):
        assert back.names_ == names and list(back.get_feature_names_out()) == list(vec.get_feature_names_out())
    assert vec.names_ == names and not hasattr(vec, "names_packed_")  # pickling left the live object alone
    bare = pickle.loads(pickle.dumps(HashedTfidf(CharNgrams(2, 2), n_features=8).fit(texts)))
    assert not hasattr(bare, "names_")  # no names learnt: none made up


def test_format_3_models_still_load(saved, seed_model):
    from tagger.features import CharNgrams, HashedTfidf

    mp = manifest_path(saved)
    data = json.loads(mp.read_text(encoding="utf-8"))
    data["format_version"] = 3
    mp.write_text(json.dumps(data), encoding="utf-8")
    assert load_model(saved).predict(["为孤寡老人检查线路。"]) == seed_model.predict(["为孤寡老人检查线路。"])
    # a format-3 file pickled the column names as a plain dict: read as such
    vec = HashedTfidf.__new__(HashedTfidf)
    vec.__setstate__({"analyzer": CharNgrams(2, 2), "n_features": 8, "min_df": 1, "names_": {3: "老人"}})
    assert vec.names_ == {3: "老人"}
