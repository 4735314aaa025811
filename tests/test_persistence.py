"""Model files (tagger.model.persistence): arrays in .npz + a JSON manifest, checked before use;
atomic writes (tagger.common.atomic); where the default model is (tagger.common.paths)."""

import hashlib
import io
import importlib.metadata
import json
import logging
import os
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tagger
from tagger.common.atomic import atomic_write
from tagger.common.paths import default_model_path, find_checkout
from tagger.errors import ModelFileError, ModelPathError
from tagger.model.persistence import FORMAT_VERSION, load_model, manifest_path, save_model
from tagger.model.rules import role_cue_words_sha256, word_lists_sha256

PROBE = ["党员志愿者为孤寡老人义务检查线路。", "企业报装接电提速。", "为老旧小区加装电梯接电。", "公司召开党委会议。"]


@pytest.fixture
def saved(seed_model, tmp_path):
    return seed_model.save(tmp_path / "m.npz", data_hash="abc", n_train=109)


def _edit_manifest(path, **changes):
    mp = manifest_path(path)
    data = json.loads(mp.read_text(encoding="utf-8"))
    data.update(changes)
    mp.write_text(json.dumps(data), encoding="utf-8")
    return data


def test_round_trip(saved, seed_model):
    model = tagger.load(saved)
    assert model.predict(PROBE) == seed_model.predict(PROBE)
    assert model.predict_proba(PROBE).tobytes() == seed_model.predict_proba(PROBE).tobytes()
    np.testing.assert_array_equal(model.thresholds_, seed_model.thresholds_)
    np.testing.assert_array_equal(model.context_weights_, seed_model.context_weights_)
    np.testing.assert_array_equal(model.context_centres_, seed_model.context_centres_)
    reports = ["r"] * len(PROBE)  # the report-context stage survives the file
    assert model.predict_proba(PROBE, reports).tobytes() == seed_model.predict_proba(PROBE, reports).tobytes()
    assert model.feature_names() == seed_model.feature_names()
    assert model.get_params().keys() == seed_model.get_params().keys()
    assert tuple(model.user_words) == tuple(seed_model.user_words)
    assert model.lexicon.entries == seed_model.lexicon.entries
    assert tagger.Tagger.load(saved).predict(PROBE) == model.predict(PROBE)


def test_manifest_contents(saved, seed_model):
    manifest = json.loads(manifest_path(saved).read_text(encoding="utf-8"))
    assert manifest_path(saved).name == "m.manifest.json"
    assert manifest["format_version"] == FORMAT_VERSION == 8
    assert manifest["labels"] == list(tagger.LABELS)
    assert manifest["data_hash"] == "abc" and manifest["n_train"] == 109  # metadata passed to save
    assert manifest["thresholds"] == dict(zip(tagger.LABELS, map(float, seed_model.thresholds_)))
    assert {"python", "tagger", "numpy", "scikit-learn", "rjieba", "opencc"} <= set(manifest["versions"])
    assert manifest["hyperparameters"]["C"] == seed_model.C
    assert "lexicon" not in manifest["hyperparameters"] and "user_words" not in manifest["hyperparameters"]
    assert manifest["model_file"] == "m.npz" and len(manifest["model_sha256"]) == 64 and manifest["created"]


def test_model_file_holds_arrays_only(saved):
    """Loading runs no code: every entry is a plain numeric/bytes array, readable without pickle."""
    with np.load(saved, allow_pickle=False) as npz:
        assert "config" in npz.files and "coef_values" in npz.files and "coef_rows" in npz.files
        for name in npz.files:
            assert npz[name].dtype.kind in "iufb", name
    with zipfile.ZipFile(saved) as zf:
        assert all(name.endswith(".npy") for name in zf.namelist())


def test_model_files_end_in_npz(seed_model, tmp_path):
    with pytest.raises(ModelFileError, match=r"model files end in \.npz"):
        seed_model.save(tmp_path / "m.joblib")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["", "  "])
def test_an_empty_model_name_is_said_to_be_empty_not_a_directory(seed_model, tmp_path, monkeypatch, name):
    """Found by the api hunt: ``tagger.load("")`` said '.: is a directory' (an empty path is the current folder)."""
    monkeypatch.chdir(tmp_path)
    for call in (lambda: tagger.load(name), lambda: seed_model.save(name)):
        with pytest.raises(ModelFileError, match=r"^no model file given \(an empty name\)"):
            call()
    assert list(tmp_path.iterdir()) == []


def test_missing_model_says_train(tmp_path):
    with pytest.raises(ModelFileError, match="none.npz: no model file; train one with: python train.py.*TAGGER_MODEL"):
        tagger.load(tmp_path / "none.npz")


@pytest.mark.parametrize("name", ["old.joblib", "old.npz"])
def test_pickled_models_of_older_versions_are_refused(tmp_path, name):
    (tmp_path / "old.joblib").write_bytes(b"\x80\x04pickle that would run code")
    with pytest.raises(ModelFileError, match="pickled model of an older tagger.*retrain with: python train.py"):
        load_model(tmp_path / name)


def test_directory_path_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match="is a directory; give the model file"):
        load_model(tmp_path)


def test_tampered_model_refused(saved):
    saved.write_bytes(saved.read_bytes() + b"x")
    with pytest.raises(ModelFileError, match="changed since it was written"):
        load_model(saved)


def test_model_with_a_matching_forged_manifest_still_runs_no_code(saved, tmp_path):
    """Someone rewrites both files: an object array (a pickle) is refused, never unpickled."""
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    with np.load(saved, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["coef"] = np.array([Payload()], dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    saved.write_bytes(buf.getvalue())
    import hashlib

    _edit_manifest(saved, model_sha256=hashlib.sha256(buf.getvalue()).hexdigest())
    with pytest.raises(ModelFileError, match="cannot read the model"):
        load_model(saved)
    assert not marker.exists()


def _forge(saved, change):
    """Rewrite the model's arrays with ``change`` and the manifest's checksum to match (a forged pair)."""
    import hashlib

    with np.load(saved, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    change(arrays)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    saved.write_bytes(buf.getvalue())
    _edit_manifest(saved, model_sha256=hashlib.sha256(buf.getvalue()).hexdigest())


@pytest.mark.parametrize("name, value, message", [
    ("intercept", np.full(5, np.nan), "array 'intercept' holds NaN or infinite values"),
    ("context_weights", np.array([0, 0, np.inf, 0, 0.0]), "array 'context_weights' holds NaN or infinite"),
    ("intercept", np.zeros(3), r"array 'intercept' has shape \(3,\), expected \(5,\)"),
    ("intercept", np.array(list("abcde")), "array 'intercept' holds <U1, not numbers"),
    ("coef_rows", np.array([-1], dtype=np.int32), "array 'coef_values' has shape|points outside"),
    # Review B: a word block's idf or pairs that do not fit its vocabulary loaded and scored silently
    ("word.idf", np.ones(10), r"array 'word.idf' has shape \(10,\), expected \(\d+,\)"),
])
def test_a_forged_model_with_bad_arrays_is_refused_not_run(saved, name, value, message):
    """NaN weights tagged nothing and printed nan scores (a JSONL output then held NaN, which stats
    refused); wrong shapes or strings gave a bare traceback from the CLI."""
    _forge(saved, lambda arrays: arrays.__setitem__(name, value))
    with pytest.raises(ModelFileError, match=message) as err:
        load_model(saved)
    assert "retrain with: python train.py" in str(err.value)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.__setitem__("user_words", [110, 95598]), "config 'user_words' is not a list of words"),
    (lambda c: c["params"].__setitem__("suppress_headings", "no"), "config param 'suppress_headings' is 'no', not a bool"),
    (lambda c: c["params"].__setitem__("C", "4"), "config param 'C' is '4', not a float"),
    (lambda c: c["params"].__setitem__("default_threshold", 0), "default_threshold must be a number above 0"),
    # modelfix: a model fitted with word_min_df=-1 saved and loaded; its file is now refused as fit refuses it
    (lambda c: c["params"].__setitem__("word_min_df", -1), "word_min_df must be a whole number >= 1"),
    (lambda c: c["params"].__setitem__("char_ngram_max", 1), "char_ngram_max must be a whole number >= 2"),
])
def test_a_forged_model_with_a_bad_config_is_refused_at_load_not_at_the_first_prediction(saved, edit, message):
    """Review: user_words of numbers loaded, then the first prediction gave a traceback from the segmenter; a
    flag written "no" loaded and counted as true."""
    import json

    def change(arrays):
        config = json.loads(arrays["config"].tobytes().decode())
        edit(config)
        arrays["config"] = np.frombuffer(json.dumps(config, ensure_ascii=False).encode(), np.uint8)

    _forge(saved, change)
    with pytest.raises(ModelFileError, match=re.escape(message)) as err:
        load_model(saved)
    assert "retrain with: python train.py" in str(err.value)


@pytest.mark.parametrize("change, message", [
    (lambda a: a.__setitem__("char.idf_columns", -a["char.idf_columns"]), "array 'char.idf_columns' must hold"),
    (lambda a: a.__setitem__("char.idf_columns", a["char.idf_columns"][::-1].copy()), "array 'char.idf_columns'"),
    (lambda a: a.__setitem__("char.idf_values", -a["char.idf_values"]), "array 'char.idf_values' must hold an idf"),
    (lambda a: a.__setitem__("char.names", a["char.names"][:-1]), "array 'char.names' must hold a name"),
    (lambda a: a.__setitem__("char.names", a["char.names"][1:]), "array 'char.names' must hold a name"),
    (lambda a: a.__setitem__("word.idf", a["word.idf"].astype(np.int64)), "array 'word.idf' must hold an idf"),
    (lambda a: a.__setitem__("word.idf", -a["word.idf"]), "array 'word.idf' must hold an idf"),
])
def test_a_forged_model_whose_block_arrays_do_not_fit_is_refused_at_load(saved, change, message):
    """api: a character block's columns negative or unsorted, or idf values of 0 or less, loaded and scored silently
    wrong; its names cut short (not UTF-8, or one too few) loaded and failed at the first evidence with a bare
    UnicodeDecodeError; a word idf of whole numbers failed at the first prediction (UFuncTypeError)."""
    _forge(saved, change)
    with pytest.raises(ModelFileError, match=re.escape(message)) as err:
        load_model(saved)
    assert "retrain with: python train.py" in str(err.value)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["blocks"].reverse(), "config blocks ['roles', 'lexicon', 'char', 'word'] are not those its params "
                                      "build (['word', 'char', 'lexicon', 'roles'])"),
    (lambda c: c["params"].__setitem__("use_char", False), "config blocks ['word', 'char', 'lexicon', 'roles'] are "
                                                           "not those"),
    (lambda c: c["params"].__setitem__("use_roles", False), "config blocks ['word', 'char', 'lexicon', 'roles'] are "
                                                            "not those its params build (['word', 'char', 'lexicon'])"),
    (lambda c: c["blocks"][1]["settings"].__setitem__("max_n", 6), "config block 'char' has other settings than"),
    (lambda c: c["params"].__setitem__("word_ngram_max", 1), "config block 'word' has other settings than"),
])
def test_a_forged_model_whose_blocks_are_not_its_settings_is_refused_at_load(saved, edit, message):
    """api: blocks in another order than the weights' rows, or of other n-gram lengths than the settings say,
    loaded and scored silently wrong (the blocks reversed tagged the probe paragraphs with nothing)."""
    import json

    def change(arrays):
        config = json.loads(arrays["config"].tobytes().decode())
        edit(config)
        arrays["config"] = np.frombuffer(json.dumps(config, ensure_ascii=False).encode(), np.uint8)

    _forge(saved, change)
    with pytest.raises(ModelFileError, match=re.escape(message)):
        load_model(saved)


def test_a_forged_model_whose_word_pairs_point_outside_its_words_is_refused(saved):
    def shift(arrays):
        arrays["word.pairs"] = arrays["word.pairs"] + 10**12

    _forge(saved, shift)
    with pytest.raises(ModelFileError, match="array 'word.pairs' holds word pairs outside its"):
        load_model(saved)


def test_the_manifest_or_a_name_without_npz_points_to_the_model(saved):
    """Given the manifest's path, load said the manifest was missing and to retrain (review)."""
    with pytest.raises(ModelFileError, match=r"m.manifest.json: the manifest of a model, not the model; load the "
                                             r"model file beside it \(.*m.npz\)$"):
        load_model(manifest_path(saved))
    with pytest.raises(ModelFileError, match=r"m: no model file; did you mean .*m.npz\?$"):
        load_model(saved.with_suffix(""))


def test_missing_manifest_is_refused(saved):
    manifest_path(saved).unlink()
    with pytest.raises(ModelFileError, match="no manifest m.manifest.json beside it"):
        load_model(saved)


@pytest.mark.parametrize("content, message", [
    ("{not json", "unreadable manifest"),
    ("[1, 2]", "not a manifest"),
    (b"\xff\xfe\x00", "unreadable manifest"),
    ("[" * 100_000 + "]" * 100_000, r"unreadable manifest \(not valid JSON \(nested too deeply\)\)"),  # was a RecursionError
])
def test_unreadable_manifest_is_refused(saved, content, message):
    mp = manifest_path(saved)
    mp.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ModelFileError, match=message):
        load_model(saved)


@pytest.mark.parametrize("value, fix", [("7", '("format_version": 7, without quotes)'),
                                        (" 6", '("format_version": 6, without quotes)'),
                                        ("seven", f"(this tagger writes {FORMAT_VERSION})"),
                                        (True, f"(this tagger writes {FORMAT_VERSION})"),
                                        ([7], f"(this tagger writes {FORMAT_VERSION})")])
def test_a_format_version_that_is_not_a_number_is_said_to_be_an_edit(saved, value, fix):
    """modelfix: "format_version": "7" (quoted: an editor's or a script's doing) was refused as another format,
    "retrain with: python train.py", which would replace a good model; it is said to be an edit, with the fix."""
    _edit_manifest(saved, format_version=value)
    with pytest.raises(ModelFileError) as info:
        load_model(saved)
    assert str(info.value) == (f"{manifest_path(saved)}: format_version is {json.dumps(value)}, not a number (the "
                               "manifest was edited, or not written by tagger); write it as a number "
                               f"{fix}, or put back the manifest train wrote beside the model, or retrain with: "
                               "python train.py")
    _edit_manifest(saved, format_version=float(FORMAT_VERSION))  # 7.0 is the number 7
    assert load_model(saved).predict_proba(["党员为孤寡老人检查线路。"]).shape == (1, 5)


@pytest.mark.parametrize("key, value, message", [
    # bad-input test: "written by tagger 0.2.0 (model format 99), newer than this tagger 0.2.0" read as nonsense
    ("format_version", 99, r"written in model format 99, newer than the formats this tagger \S+ reads \(6, 7, 8\): upgrade"),
    ("format_version", 4, "model format 4"),
    ("format_version", None, "has no format_version \\(edited, or not written by tagger\\)"),  # was "model format None"
    ("labels", ["a", "b"], "differ from this tagger's"),
    ("labels", list(reversed(tagger.LABELS)), "differ from this tagger's"),
    ("model_sha256", "0" * 64, "changed since it was written"),
])
def test_incompatible_manifest(saved, key, value, message):
    _edit_manifest(saved, **{key: value})
    with pytest.raises(ModelFileError, match=message):
        load_model(saved)


@pytest.mark.parametrize("value, said", [(None, "has no model_sha256"),
                                         (12, "has a model_sha256 that is not text (12)")])
def test_a_manifest_without_model_sha256_is_said_as_such(saved, value, said):
    """Hunt: a manifest without model_sha256 was refused as "model file changed since it was written (sha256
    differs …)", sending the user after a model file nobody had touched."""
    data = json.loads(manifest_path(saved).read_text(encoding="utf-8"))
    if value is None:
        del data["model_sha256"]
    else:
        data["model_sha256"] = value
    manifest_path(saved).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError) as caught:
        load_model(saved)
    message = str(caught.value)
    assert message.startswith(f"{manifest_path(saved)}: {said} (edited, or not written by tagger), so m.npz cannot "
                              "be checked against it; put back the manifest train wrote beside the model, or retrain")
    assert "changed since" not in message


def test_edited_thresholds_are_used_and_logged(saved, seed_model, caplog):
    thresholds = dict(zip(tagger.LABELS, map(float, seed_model.thresholds_)))
    thresholds["elderly_care"] = 1.0  # never
    thresholds["business_connection_speed"] = 0.01  # almost always
    _edit_manifest(saved, thresholds=thresholds)
    with caplog.at_level(logging.WARNING, logger="tagger"):
        model = load_model(saved)
    assert model.thresholds_[0] == 1.0 and model.thresholds_[3] == 0.01
    assert model.thresholds_[4] == seed_model.thresholds_[4]
    assert "using edited thresholds for elderly_care, business_connection_speed" in caplog.text
    got, before = model.predict(PROBE), seed_model.predict(PROBE)
    assert all("elderly_care" not in labels for labels in got) and "elderly_care" in before[0]
    business = model.predict_proba(PROBE)[:, 3] >= 0.01
    assert [("business_connection_speed" in labels) for labels in got] == business.tolist()
    assert sum(business) > sum("business_connection_speed" in labels for labels in before)


def test_unedited_thresholds_are_not_logged(saved, caplog):
    with caplog.at_level(logging.WARNING, logger="tagger"):
        load_model(saved)
    assert "edited thresholds" not in caplog.text
    assert "trained with" not in caplog.text  # the same library versions: nothing said


def test_other_versions_of_the_feature_libraries_are_said_on_load(saved, caplog):
    """The README said library versions are checked on load; nothing read them (review)."""
    data = _edit_manifest(saved)
    _edit_manifest(saved, versions={**data["versions"], "rjieba": "0.0.1", "numpy": "1.0.0"})
    with caplog.at_level(logging.WARNING, logger="tagger"):
        model = load_model(saved)
    here = importlib.metadata.version("rjieba")
    assert f"trained with rjieba 0.0.1 (here {here}): its features" in caplog.text
    assert "pip install rjieba==0.0.1" in caplog.text and "opencc" not in caplog.text and "numpy" not in caplog.text
    assert model.predict(PROBE)  # a warning, not a refusal
    _edit_manifest(saved, versions={**data["versions"], "opencc": "not installed"})
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tagger"):
        load_model(saved)
    assert "trained with opencc not installed" in caplog.text and "pip install" not in caplog.text  # no empty pin


def test_a_rule_word_changes_the_record_not_the_model(saved, caplog, monkeypatch):
    """电表 left the power-sector words (2026-12-07): a file tagged before read as tagged alike by file and settings.
    The scoring rules' lists are read only when scoring: their change is in every record (word_lists), and a model
    file is not told to retrain for it — retraining would change nothing of theirs."""
    import re

    from tagger.model import rules
    from tagger.model.persistence import provenance

    before, cues = word_lists_sha256(), role_cue_words_sha256()
    monkeypatch.setattr(rules, "POWER_SECTOR", re.compile(rules.POWER_SECTOR.pattern + "|电表"))
    assert word_lists_sha256() != before and role_cue_words_sha256() == cues
    with caplog.at_level(logging.WARNING, logger="tagger"):
        model = load_model(saved)
    assert "word lists" not in caplog.text
    assert provenance(model)["word_lists"] == word_lists_sha256() != before


def test_a_model_trained_with_other_role_cue_words_is_said_on_load(saved, caplog, monkeypatch):
    """The role cues' terms and plan words are code, not in the model file: a model fitted before they changed fires
    its role-cue column on other sentences, and its file's sha256 and settings read the same. Its manifest records
    them; other ones are said on load, never refused; a manifest of an earlier tagger, without them, is not compared."""
    from tagger.features import roles

    data = _edit_manifest(saved)
    assert data["role_cue_words"] == role_cue_words_sha256()
    with caplog.at_level(logging.WARNING, logger="tagger"):
        load_model(saved)
    assert "word lists" not in caplog.text
    monkeypatch.setattr(roles, "PLAN_WORDS", (*roles.PLAN_WORDS, "拟于"))  # a plan word added since training
    with caplog.at_level(logging.WARNING, logger="tagger"):
        model = load_model(saved)
    assert f"trained with other role-cue word lists than this tagger's ({data['role_cue_words'][:12]}, here " \
           f"{role_cue_words_sha256()[:12]})" in caplog.text and "retrain with: python train.py" in caplog.text
    assert model.predict(PROBE)  # a warning, not a refusal
    caplog.clear()
    _edit_manifest(saved, role_cue_words=None)  # a manifest of an earlier tagger has none: not compared
    with caplog.at_level(logging.WARNING, logger="tagger"):
        load_model(saved)
    assert "word lists" not in caplog.text


@pytest.mark.parametrize("label, value", [
    ("elderly_care", 1.5), ("elderly_care", -0.1), ("volunteer_work", "0.5"), ("volunteer_work", None),
    ("volunteer_work", True), ("volunteer_work", [0.5]), ("volunteer_work", float("nan")),
])
def test_invalid_thresholds_are_refused(saved, seed_model, label, value):
    thresholds = dict(zip(tagger.LABELS, map(float, seed_model.thresholds_)))
    thresholds[label] = value
    _edit_manifest(saved, thresholds=thresholds)
    with pytest.raises(ModelFileError, match=f"threshold of {label} is .*; give a number between 0 and 1"):
        load_model(saved)


@pytest.mark.parametrize("thresholds", [None, [0.5] * 5, {"elderly_care": 0.5}])
def test_thresholds_must_name_every_label(saved, thresholds):
    _edit_manifest(saved, thresholds=thresholds)
    with pytest.raises(ModelFileError, match="\"thresholds\" must give a number for each of elderly_care"):
        load_model(saved)


@pytest.mark.parametrize("extra, fix", [
    ({"elder": 0.5}, "remove it"),
    ({"elder": 0.5, "other": 0.3}, "remove them"),
    ({"elderly": 0.5, "elderly_care": None}, "it holds no number for elderly_care: write the threshold under that "
                                            "label's id"),
])
def test_a_threshold_under_no_label_is_named(saved, extra, fix):
    """fixB 6a: an extra key ("elder": 0.5) beside all five was refused with "thresholds must give a number for each
    of …" (all five were there): the key at fault is named, and what to do with it."""
    thresholds = {**dict.fromkeys(tagger.LABELS, 0.5), **extra}
    thresholds = {key: value for key, value in thresholds.items() if value is not None}
    _edit_manifest(saved, thresholds=thresholds)
    unknown = ", ".join(repr(key) for key in extra if key not in tagger.LABELS)
    with pytest.raises(ModelFileError) as err:
        load_model(saved)
    assert str(err.value) == (f"{manifest_path(saved)}: \"thresholds\" has {unknown}, no label of this tagger (its "
                              f"labels: {', '.join(tagger.LABELS)}); {fix}")


def test_an_empty_manifest_is_said_to_have_no_format_version_nor_model_sha256(saved):
    """fixB 6b: a manifest of {} said "model format None, but this tagger reads formats 6, 7; retrain" though the
    README promises that a manifest without its model_sha256 is said as such."""
    manifest_path(saved).write_text("{}", encoding="utf-8")
    with pytest.raises(ModelFileError) as err:
        load_model(saved)
    assert str(err.value) == (f"{manifest_path(saved)}: has no format_version and no model_sha256 (edited, or not "
                              "written by tagger), so m.npz cannot be checked against it; put back the manifest train "
                              "wrote beside the model, or retrain with: python train.py")


def test_a_renamed_model_is_pointed_to_its_manifest(saved, seed_model):
    """fixB 6c: tagger.npz renamed old.npz said "no manifest old.manifest.json beside it … retrain" while its
    manifest sat beside it under the old name: retraining replaced a good model."""
    old = saved.with_name("old.npz")
    saved.rename(old)
    with pytest.raises(ModelFileError) as err:
        load_model(old)
    assert str(err.value) == (f"{old}: no manifest old.manifest.json beside it, so the model cannot be checked; "
                              "m.manifest.json beside it is this model's manifest (its model_sha256 matches): a "
                              "model file's manifest is named after it, so rename the model back to m.npz, or "
                              "rename m.manifest.json to old.manifest.json")
    shutil.copy(old, saved)  # m.npz is there again: its manifest is copied, not taken from it
    with pytest.raises(ModelFileError, match=re.escape("named after it, so copy m.manifest.json to old.manifest.json")):
        load_model(old)
    manifest_path(saved).rename(saved.with_name("old.manifest.json"))
    assert load_model(old).predict(PROBE) == seed_model.predict(PROBE)
    data = json.loads(saved.with_name("old.manifest.json").read_text(encoding="utf-8"))
    saved.with_name("old.manifest.json").unlink()
    for name in ("x", "y"):  # two of this model's manifests: which one is meant is not guessed
        saved.with_name(f"{name}.manifest.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError) as err:
        load_model(old)
    assert str(err.value).endswith("old.manifest.json beside it, so the model cannot be checked; retrain with: "
                                   "python train.py")


def test_zero_threshold_is_refused(saved, seed_model):
    """0 would give the label to every paragraph, empty ones and headings (whose scores are 0) too."""
    _edit_manifest(saved, thresholds=dict.fromkeys(tagger.LABELS, 0.0))
    with pytest.raises(ModelFileError, match="above 0"):
        load_model(saved)


# ----------------------------------------------------------------------------- atomic writes
def test_atomic_write_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w", encoding="utf-8") as fh:
            fh.write("new half")
            raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [target]  # no temp file left behind


@pytest.mark.parametrize("how", ["atomic_write", "atomic_path"])
def test_a_signal_just_after_the_temp_file_is_made_leaves_no_temp_file(tmp_path, monkeypatch, how):
    """A full-suite run caught a SIGTERM that landed between creating the temp file and guarding it: the run
    ended (143) and left '.out.jsonl.<pid>.<x>.tmp' beside the output. The temp file is guarded from the moment
    it exists: the signal is acted on once it is, and the file is removed."""
    import signal

    from tagger.common import atomic

    class Stop(BaseException):
        pass

    def handler(signum, frame):
        raise Stop()

    made = []
    real = atomic._mkstemp

    def mkstemp_then_signal(path, suffix):
        fd, tmp = real(path, suffix)
        made.append(tmp)
        os.kill(os.getpid(), signal.SIGTERM)  # Python runs the handler at the next instruction
        return fd, tmp

    monkeypatch.setattr(atomic, "_mkstemp", mkstemp_then_signal)
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        with pytest.raises(Stop):
            if how == "atomic_write":
                with atomic.atomic_write(tmp_path / "out.jsonl", "w") as fh:
                    fh.write("x")
            else:
                with atomic.atomic_path(tmp_path / "out.sqlite") as path:
                    path.write_text("x")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert made and list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_and_keeps_the_mode(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o640)
    with atomic_write(target, "w", encoding="utf-8") as fh:
        fh.write("new")
    assert target.read_text(encoding="utf-8") == "new" and (target.stat().st_mode & 0o777) == 0o640
    fresh = tmp_path / "sub" / "g.bin"
    with atomic_write(fresh) as fh:  # folders are created; the mode is what open() would give
        fh.write(b"\x00\x01")
    mask = os.umask(0)
    os.umask(mask)
    assert fresh.read_bytes() == b"\x00\x01" and (fresh.stat().st_mode & 0o777) == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["f.txt", "g.bin", "sub"]


def test_failed_save_leaves_the_previous_pair(saved, seed_model, monkeypatch):
    before = saved.read_bytes(), manifest_path(saved).read_bytes()

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="No space left"):
        seed_model.save(saved, data_hash="new")
    assert (saved.read_bytes(), manifest_path(saved).read_bytes()) == before
    leftovers = sorted(p.name for p in saved.parent.iterdir() if p.name != ".m.npz.lock")
    assert leftovers == ["m.manifest.json", "m.npz"]  # no temp model or pending manifest
    assert load_model(saved).manifest_["data_hash"] == "abc"


# ----------------------------------------------------------------------------- default path
@pytest.mark.parametrize("metadata, error, message", [
    ({"model_sha256": "0" * 64}, ValueError, r"metadata \['model_sha256'\] would replace what the manifest records"),
    ({"labels": ["a"], "format_version": 99}, ValueError, r"\['format_version', 'labels'\]"),
    ({"thresholds": {"elderly_care": 0.9}}, ValueError, "set model.thresholds_ before saving"),
    ({"n_train": np.int64(3)}, TypeError, r"metadata 'n_train' cannot be written to the manifest .*int\(x\)"),
])
def test_save_metadata_cannot_replace_the_manifest_or_break_it(saved, seed_model, metadata, error, message):
    """Review B: metadata overwrote the manifest's own keys (model_sha256, labels, format_version: a model no
    tagger loads; thresholds: other thresholds than the model's, unlogged), and a numpy number failed only
    after the model was written to its temp file."""
    before = saved.read_bytes(), manifest_path(saved).read_bytes()
    with pytest.raises(error, match=message):
        seed_model.save(saved, **metadata)
    assert (saved.read_bytes(), manifest_path(saved).read_bytes()) == before
    assert sorted(p.name for p in saved.parent.iterdir()) == [".m.npz.lock", "m.manifest.json", "m.npz"]
    load_model(saved)


def test_default_model_path_prefers_tagger_model(monkeypatch, tmp_path):
    monkeypatch.setenv("TAGGER_MODEL", str(tmp_path / "mine.npz"))
    assert default_model_path() == tmp_path / "mine.npz"


def test_load_without_a_path_honours_tagger_model(monkeypatch, saved):
    """Issue 17: tagger.load() ignored TAGGER_MODEL."""
    monkeypatch.setenv("TAGGER_MODEL", str(saved))
    assert tagger.load().manifest_["data_hash"] == "abc"


def test_a_model_path_with_a_tilde_is_the_home_folder(monkeypatch, seed_model, tmp_path):
    """User test 3: tagger.load("~/models/m.npz") (and TAGGER_MODEL=~/models/m.npz set in a unit file, where no
    shell expands it) said "no model file" about a model that was there; saving made a folder named "~"."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert save_model(seed_model, "~/models/m.npz") == tmp_path / "models" / "m.npz"
    assert not (tmp_path / "~").exists()
    assert tagger.load("~/models/m.npz").predict(PROBE[0]) == seed_model.predict(PROBE[0])
    monkeypatch.setenv("TAGGER_MODEL", "~/models/m.npz")
    assert default_model_path() == tmp_path / "models" / "m.npz"
    assert tagger.load().predict(PROBE[0]) == seed_model.predict(PROBE[0])


def test_default_model_path_in_a_checkout(monkeypatch, project):
    monkeypatch.delenv("TAGGER_MODEL", raising=False)
    (project / "seeds" / "deeper").mkdir()
    monkeypatch.chdir(project / "seeds" / "deeper")
    assert find_checkout() == project
    assert default_model_path() == project / "models" / "tagger.npz"


def test_default_model_path_outside_any_checkout(monkeypatch, tmp_path):
    import tagger.common.paths as paths

    monkeypatch.delenv("TAGGER_MODEL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(paths, "__file__", str(tmp_path / "site" / "tagger" / "common" / "paths.py"))
    assert find_checkout() is None
    assert default_model_path() == tmp_path / "data" / "tagger" / "tagger.npz"
    with pytest.raises(ModelFileError, match="no model file"):
        tagger.load()


def test_installed_from_the_checkout_finds_its_models(monkeypatch, tmp_path, root):
    """An editable install run from anywhere uses the checkout it was installed from."""
    monkeypatch.delenv("TAGGER_MODEL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_model_path() == root / "models" / "tagger.npz"


def test_save_without_a_path_is_refused_and_the_default_written_only_when_named(seed_model, monkeypatch, tmp_path):
    """Python API review, finding 2: a toy model fitted in a notebook, .save()d without a path, replaced the project's
    trained model (the default path resolves to the checkout's models/tagger.npz from any folder)."""
    default = tmp_path / "models" / "x.npz"
    monkeypatch.setenv("TAGGER_MODEL", str(default))
    for save in (lambda: seed_model.save(), lambda: save_model(seed_model), lambda: seed_model.save(None, n_train=3)):
        with pytest.raises(ModelFileError, match=r"save\(\) needs the file to write, e.g. model.save\('my_model.npz'\): "
                                                 rf"without one it would replace the default model {re.escape(str(default))} "
                                                 r".*python train.py.*model.save\("):
            save()
    assert not (tmp_path / "models").exists()
    assert save_model(seed_model, default_model_path()) == default
    assert tagger.load().predict(PROBE) == seed_model.predict(PROBE)


@pytest.mark.parametrize("thresholds, message", [
    ([0.5] * 4, r"thresholds_ has shape \(4,\), expected \(5,\) \(one per label\)"),
    (0.5, r"thresholds_ has shape \(\), expected \(5,\)"),
    ({"elderly_care": 0.5}, r"thresholds_ is dict .*not 5 numbers"),
    (["a"] * 5, r"thresholds_ holds 'a' \(str\), not a number"),
    (None, r"thresholds_ is NoneType"),
    # diff review, finding 1: bools or texts passed the check (a float copy was checked) and the raw values were
    # written over a good model, which load then refused ("holds bool/<U3, not numbers")
    ([True] * 5, r"thresholds_ holds True \(bool\), not a number"),
    (np.ones(5, dtype=bool), r"thresholds_ holds True \(bool\), not a number"),
    (["0.5"] * 5, r"thresholds_ holds '0.5' \(str\), not a number"),
    (np.array(["0.5"] * 5), r"thresholds_ holds '0.5' \(str\), not a number"),
])
def test_thresholds_of_another_shape_are_refused_before_anything_is_written(seed_model, tmp_path, thresholds, message):
    """Finding 3: thresholds_ = [0.5] * 4 saved a model over a good one that load then refused ("retrain"); a number
    failed with "'float' object is not iterable", a dict with float()'s error."""
    import copy

    good = seed_model.save(tmp_path / "m.npz", data_hash="good")
    before = good.read_bytes()
    model = copy.copy(seed_model)
    model.thresholds_ = thresholds
    with pytest.raises(ValueError, match=message + r".*one per label in the order of tagger.LABELS"):
        model.save(good)
    assert good.read_bytes() == before and load_model(good).manifest_["data_hash"] == "good"


def test_a_loaded_model_saved_again_keeps_its_training_record(seed_model, tmp_path):
    """Finding 11: tagger.load().save('copy.npz') wrote a manifest without data_hash, n_train, cv_summary …, and the
    copy's provenance said data_hash None; given metadata still wins, and a model fitted again has no record."""
    from tagger.model.persistence import provenance

    record = {"data_hash": "abc", "n_train": 7, "cv_summary": {"micro_f1": 0.5}, "train_seconds": 1.5}
    original = seed_model.save(tmp_path / "m.npz", **record)
    copy = load_model(original).save(tmp_path / "copy.npz")
    manifest = json.loads(manifest_path(copy).read_text(encoding="utf-8"))
    assert {k: manifest[k] for k in record} == record
    assert provenance(load_model(copy))["data_hash"] == "abc"
    again = load_model(copy).save(tmp_path / "again.npz", n_train=8)
    assert json.loads(manifest_path(again).read_text(encoding="utf-8"))["n_train"] == 8
    refitted = load_model(original)
    refitted.fit(["党员为老人检修线路。", "公司召开会议。"], [[1, 0, 0, 0, 1], [0] * 5])
    assert "data_hash" not in json.loads(manifest_path(refitted.save(tmp_path / "r.npz")).read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- review 3: writing and messages
def test_save_errors_name_the_model_file_not_a_temp_file(seed_model, tmp_path, monkeypatch):
    """Review 3, finding 3: an unwritable place was reported with the name of a temp file."""
    with pytest.raises(ModelFileError, match=r"^/proc/x/m.npz: cannot write the model .*choose another path$"):
        seed_model.save("/proc/x/m.npz")
    saved = seed_model.save(tmp_path / "m.npz", data_hash="first")

    def full(fh, **arrays):
        raise OSError(28, "No space left on device", str(tmp_path / ".m.npz.x.npz.tmp"))

    monkeypatch.setattr(np, "savez", full)
    with pytest.raises(ModelFileError) as err:
        seed_model.save(saved, data_hash="second")
    assert str(err.value).startswith(f"{saved}: cannot write the model (No space left on device)")
    assert ".tmp" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["m.manifest.json", "m.npz"]
    assert load_model(saved).manifest_["data_hash"] == "first"


def test_check_model_path_for_writing_tries_the_place_and_leaves_nothing(tmp_path):
    from tagger.model.persistence import check_model_path

    (tmp_path / "afile").write_text("x", encoding="utf-8")
    with pytest.raises(ModelFileError, match="afile is a file, not a folder"):
        check_model_path(tmp_path / "afile" / "m.npz", for_writing=True)
    with pytest.raises(ModelFileError, match=r"^/proc/m.npz: cannot write a model there"):
        check_model_path("/proc/m.npz", for_writing=True)
    assert check_model_path(tmp_path / "new" / "deeper" / "m.npz", for_writing=True) == tmp_path / "new" / "deeper" / "m.npz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # the probe and its folders are gone


def test_a_model_of_a_newer_format_asks_for_an_upgrade_not_a_retraining(saved):
    """Review 3, finding 10: retraining would replace a newer model with an older-format one."""
    _edit_manifest(saved, format_version=99, tagger_version="9.0.0")
    with pytest.raises(ModelFileError) as err:
        load_model(saved)
    message = str(err.value)
    assert "written by tagger 9.0.0 in model format 99" in message and "upgrade tagger" in message
    assert "retrain with" not in message


def test_a_manifest_saved_with_a_byte_order_mark_loads(saved, seed_model):
    """Review 3, finding 10: a threshold edit saved by an editor that writes a BOM was refused."""
    mp = manifest_path(saved)
    data = json.loads(mp.read_text(encoding="utf-8"))
    data["thresholds"]["elderly_care"] = 0.9
    mp.write_bytes(b"\xef\xbb\xbf" + json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))
    model = load_model(saved)
    assert model.thresholds_[0] == 0.9 and model.predict(PROBE[1:]) == seed_model.predict(PROBE[1:])


def test_manifest_edits_other_than_thresholds_are_logged_as_ignored(saved, caplog):
    """Review 3, finding 10: an edit of the hyperparameters in the manifest changed nothing, silently."""
    with caplog.at_level(logging.WARNING, logger="tagger"):
        load_model(saved)
    assert "only thresholds are read" not in caplog.text
    data = json.loads(manifest_path(saved).read_text(encoding="utf-8"))
    data["hyperparameters"]["suppress_plans"] = False
    data["report_context_weights"]["volunteer_work"] = 0.5
    _edit_manifest(saved, hyperparameters=data["hyperparameters"],
                   report_context_weights=data["report_context_weights"])
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tagger"):
        model = load_model(saved)
    assert model.suppress_plans is True  # the model file decides
    assert "hyperparameters.suppress_plans (False; the model has True)" in caplog.text
    assert "report_context_weights.volunteer_work (0.5;" in caplog.text
    assert "only thresholds are read from the manifest" in caplog.text


@pytest.mark.parametrize("thresholds", [[1, 1, 1, 1, 1], np.ones(5, dtype=np.int64), np.full(5, 0.5, np.float32),
                                        (1, 0.5, 1, 0.5, 1)])
def test_whole_number_or_float32_thresholds_are_written_as_numbers_load_reads(seed_model, tmp_path, thresholds):
    """Diff review, finding 1: m.thresholds_ = [1, 1, 1, 1, 1]; m.save(p) overwrote a good model with one load refused
    ("array 'thresholds' holds int64, not numbers"): the values checked (float64) are the ones written."""
    import copy

    model = copy.copy(seed_model)
    model.thresholds_ = thresholds
    path = model.save(tmp_path / "m.npz")
    loaded = load_model(path)
    assert loaded.thresholds_.dtype == np.float64
    assert loaded.thresholds_.tolist() == np.asarray(thresholds, dtype=np.float64).tolist()
    assert loaded.predict(PROBE) == model.predict(PROBE)


def test_a_loaded_model_saved_with_other_thresholds_drops_the_figures_measured_with_the_old(seed_model, tmp_path):
    """Diff review, finding 2: m = tagger.load(); m.thresholds_ = np.full(5, 0.9); m.save('t.npz') kept cv_summary
    and dev_summary, figures measured with the trained thresholds that no longer describe the file; the training
    record (data_hash, n_train, train_seconds: how it was trained) is kept."""
    record = {"data_hash": "abc", "n_train": 7, "train_seconds": 1.5, "cv_summary": {"micro_f1": 0.5},
              "cv_imported_summary": {"micro_f1": 0.4}, "dev_summary": {"micro_f1": 0.6}}
    original = seed_model.save(tmp_path / "m.npz", **record)
    same = load_model(original).save(tmp_path / "same.npz")  # thresholds as measured: everything kept
    assert {k: load_model(same).manifest_[k] for k in record} == record
    model = load_model(original)
    model.thresholds_ = np.full(5, 0.9)
    manifest = load_model(model.save(tmp_path / "t.npz")).manifest_
    assert {k: manifest[k] for k in ("data_hash", "n_train", "train_seconds")} == {
        "data_hash": "abc", "n_train": 7, "train_seconds": 1.5}
    assert not {"cv_summary", "cv_imported_summary", "dev_summary"} & set(manifest)
    assert manifest["measured_figures_dropped"]["keys"] == ["cv_summary", "cv_imported_summary", "dev_summary"]
    assert "thresholds" in manifest["measured_figures_dropped"]["why"]
    plans = load_model(original).set_params(suppress_plans=not seed_model.suppress_plans)  # a scoring setting
    manifest = load_model(plans.save(tmp_path / "p.npz")).manifest_
    assert "cv_summary" not in manifest and "suppress_plans" in manifest["measured_figures_dropped"]["why"]
    given = load_model(original)  # figures given with the save are the caller's: kept
    given.thresholds_ = np.full(5, 0.9)
    assert load_model(given.save(tmp_path / "g.npz", cv_summary={"micro_f1": 0.1})).manifest_["cv_summary"] == {
        "micro_f1": 0.1}


def test_save_without_a_path_names_the_default_as_it_is_found(seed_model, monkeypatch, tmp_path):
    """Diff review, finding 8: with TAGGER_MODEL=/x/x.txt the refusal suggested model.save('/x/x.txt'), a name save
    refuses; outside a checkout it said the per-user default is what "python train.py writes"."""
    import tagger.common.paths as paths

    monkeypatch.setenv("TAGGER_MODEL", str(tmp_path / "x.txt"))
    with pytest.raises(ModelFileError) as info:
        seed_model.save()
    assert "model.save(" + repr(str(tmp_path / "x.txt")) not in str(info.value)
    assert re.search(r"\$TAGGER_MODEL names .*x\.txt, which is no model file name \(model files end in \.npz\)",
                     str(info.value))
    monkeypatch.delenv("TAGGER_MODEL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(paths, "__file__", str(tmp_path / "site" / "tagger" / "common" / "paths.py"))
    user = tmp_path / "data" / "tagger" / "tagger.npz"
    with pytest.raises(ModelFileError) as info:
        seed_model.save()
    message = str(info.value)
    assert "python train.py" not in message and "per-user" in message and f"tagger train --out {user}" in message
    assert message.endswith(f"model.save({str(user)!r})")


# ----------------------------------------------------------------------------- hunt 45: both files or neither
def _no_temp_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock")) == []


def test_a_folder_where_the_manifest_goes_is_refused_before_anything_is_written(seed_model, tmp_path):
    """Hunt 45, finding 2: a folder named like the manifest failed the save after the new .npz was renamed into
    place ("Is a directory; free some space or fix the folder's permissions"), leaving the model without its
    manifest. Now nothing is written and the message names the folder; train's --out check finds it first."""
    from tagger.model.persistence import check_model_path

    (tmp_path / "x.manifest.json").mkdir()
    message = f"{tmp_path / 'x.npz'}: its manifest {tmp_path / 'x.manifest.json'} would be written where a folder is; " \
              "remove the folder, or choose another model file name"
    with pytest.raises(ModelFileError, match=re.escape(message)):
        seed_model.save(tmp_path / "x.npz")
    with pytest.raises(ModelFileError, match=re.escape(message)):
        check_model_path(tmp_path / "x.npz", for_writing=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.manifest.json"]


def test_replace_together_refuses_a_directory_in_the_way_before_renaming_anything(tmp_path):
    from tagger.common.atomic import replace_together
    from tagger.errors import InputError

    (tmp_path / "a.tmp").write_text("new a", encoding="utf-8")
    (tmp_path / "b.tmp").write_text("new b", encoding="utf-8")
    (tmp_path / "a").write_text("old a", encoding="utf-8")
    (tmp_path / "b").mkdir()
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'b'}: is a directory, where a file is to be written; "
                                                   "remove it, or choose another name")):
        replace_together((tmp_path / "a.tmp", tmp_path / "a"), (tmp_path / "b.tmp", tmp_path / "b"))
    assert (tmp_path / "a").read_text(encoding="utf-8") == "old a" and (tmp_path / "a.tmp").exists()


def _failing_manifest_rename(monkeypatch, error):
    """os.replace fails (``error``: errno, strerror) when the pending manifest is renamed into place, and os.link
    likewise (a save to a new name places its files with a link, which fails where no file was there before)."""
    real_replace, real_link = os.replace, os.link

    def failing(real):
        def move(src, dst, *args, **kwargs):
            if str(src).endswith(".pending") and str(dst).endswith(".manifest.json"):
                raise OSError(*error, str(src), None, str(dst))  # as os.replace raises it: both names, the temp first
            return real(src, dst, *args, **kwargs)
        return move

    monkeypatch.setattr(os, "replace", failing(real_replace))
    monkeypatch.setattr(os, "link", failing(real_link))


@pytest.mark.parametrize("error, fix", [
    ((28, "No space left on device"), "free some space there, or choose another path"),
    ((13, "Permission denied"), "fix the folder's permissions, or choose another path"),
    ((21, "Is a directory"), "a folder is in the way (%s): remove it, or choose another path"),
    ((30, "Read-only file system"), "the file system there is read-only: choose another path on a writable one"),
])
def test_a_failed_manifest_rename_puts_the_previous_model_back(saved, seed_model, monkeypatch, error, fix):
    """Hunt 45, finding 2: the new model stayed in place when its manifest could not be renamed after it (a mixed
    pair, refused on load as changed); the message blamed space or permissions whatever the cause. Now the previous
    model is put back, and the message fits the cause."""
    before = saved.read_bytes(), manifest_path(saved).read_bytes()
    _failing_manifest_rename(monkeypatch, error)
    fix = fix % manifest_path(saved) if "%s" in fix else fix
    with pytest.raises(ModelFileError, match=re.escape(f"{saved}: cannot write the model ({error[1]}); {fix}")):
        seed_model.save(saved, data_hash="new")
    assert (saved.read_bytes(), manifest_path(saved).read_bytes()) == before
    assert _no_temp_files(saved.parent)
    assert load_model(saved).manifest_["data_hash"] == "abc"


@pytest.mark.parametrize("error, fix", [
    ((13, "Permission denied"), "fix the folder's permissions, or choose another path"),
    ((30, "Read-only file system"), "the file system there is read-only: choose another path on a writable one"),
])
def test_a_save_into_a_folder_no_file_can_be_made_in_is_a_model_file_error(saved, seed_model, monkeypatch, error, fix):
    """api: model.save() into an existing folder where no file can be made (a read-only folder or file system;
    model.save('/proc/m.npz')) raised FolderNotWritable, an InputError that ``except ModelFileError`` (what save
    documents) missed, saying "choose another output path"; now a ModelPathError as every failed save, the pair
    left as it was."""
    from tagger.common import atomic
    from tagger.errors import ModelPathError

    before = saved.read_bytes(), manifest_path(saved).read_bytes()

    def refused(*args, **kwargs):
        raise OSError(*error)

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refused)
    with pytest.raises(ModelPathError) as info:
        seed_model.save(saved, data_hash="new")
    assert str(info.value) == f"{saved}: cannot write the model ({error[1]}); {fix}"
    assert info.value.with_option("--out").endswith(fix.replace("another path", "another --out"))
    assert (saved.read_bytes(), manifest_path(saved).read_bytes()) == before and _no_temp_files(saved.parent)


def test_a_save_under_a_file_says_the_file_is_no_folder(saved, seed_model):
    """api: model.save('models/tagger.npz/m.npz') (a file where a folder goes) said "cannot write the model (File
    exists)"; now it names the file in the way, as train --out's check does, and nothing is written."""
    from tagger.errors import ModelPathError

    before = sorted(saved.parent.iterdir())
    for target in (saved / "m.npz", saved / "deeper" / "m.npz"):
        with pytest.raises(ModelPathError) as info:
            seed_model.save(target)
        assert str(info.value) == (f"{target}: {saved} is a file, not a folder, so no model can be written there; "
                                   "choose another path")
    assert sorted(saved.parent.iterdir()) == before


def test_a_save_or_check_from_python_names_no_command_line_option(seed_model, tmp_path, monkeypatch):
    """relfix: model.save(path) and check_model_path(path, for_writing=True) from Python said "choose another
    --out", an option Python has not; now "choose another path" (tagger train says --out: tests/test_cli.py)."""
    from tagger.errors import ModelPathError
    from tagger.model.persistence import check_model_path

    (tmp_path / "afile").write_text("x", encoding="utf-8")
    with pytest.raises(ModelPathError) as info:
        check_model_path(tmp_path / "afile" / "m.npz", for_writing=True)
    assert str(info.value) == (f"{tmp_path / 'afile' / 'm.npz'}: {tmp_path / 'afile'} is a file, not a folder, so no "
                               "model can be written there; choose another path")
    _failing_manifest_rename(monkeypatch, (28, "No space left on device"))
    with pytest.raises(ModelPathError) as info:
        seed_model.save(tmp_path / "m.npz")
    assert str(info.value).endswith("(No space left on device); free some space there, or choose another path")
    assert info.value.with_option("--out").endswith("free some space there, or choose another --out")
    assert "--" not in str(info.value)


def test_a_failed_manifest_rename_leaves_no_model_where_there_was_none(seed_model, tmp_path, monkeypatch):
    _failing_manifest_rename(monkeypatch, (28, "No space left on device"))
    with pytest.raises(ModelFileError, match="No space left on device"):
        seed_model.save(tmp_path / "m.npz")
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_a_failed_manifest_rename_puts_back_a_link_as_a_link(saved, seed_model, monkeypatch):
    link = saved.with_name("link.npz")
    link.symlink_to(saved.name)
    manifest_path(link).write_bytes(manifest_path(saved).read_bytes())
    _failing_manifest_rename(monkeypatch, (28, "No space left on device"))
    with pytest.raises(ModelFileError):
        seed_model.save(link)
    assert link.is_symlink() and os.readlink(link) == saved.name and _no_temp_files(saved.parent)


def test_ctrl_c_while_the_pair_is_renamed_leaves_the_model_knowing_its_new_file(saved, seed_model, tmp_path, monkeypatch,
                                                                                python_ctrl_c):
    """Hunt 45: a Ctrl-C held over the renames was acted on before the model recorded the file it was saved to (its
    manifest_ and model_path_ still named the old one). (python_ctrl_c: the test failed when run in the background.)"""
    import signal

    model = load_model(saved)
    real_replace, real_link = os.replace, os.link

    def signalling(real):  # os.link: a save to a new name places its files with a link
        def move(src, dst, *args, **kwargs):
            if str(dst).endswith(".manifest.json"):
                os.kill(os.getpid(), signal.SIGINT)  # held: acted on once the pair is committed
            return real(src, dst, *args, **kwargs)
        return move

    monkeypatch.setattr(os, "replace", signalling(real_replace))
    monkeypatch.setattr(os, "link", signalling(real_link))
    with pytest.raises(KeyboardInterrupt):
        model.save(tmp_path / "new.npz", data_hash="new")
    assert model.model_path_ == tmp_path / "new.npz" and model.manifest_["data_hash"] == "new"
    assert load_model(tmp_path / "new.npz").manifest_["data_hash"] == "new"


# ----------------------------------------------------------------------------- hunt 45, fix round
def _old_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".old"))


def test_a_previous_model_no_link_nor_copy_can_be_made_of_is_replaced_all_the_same(saved, seed_model, monkeypatch,
                                                                                   caplog):
    """Hunt 45 fix round, item 1: the previous model belonged to another user and could not be read: the hard link
    was refused (fs.protected_hardlinks) and so was the copy made instead, and the save was refused ("fix the
    folder's permissions"), where it used to work; a readable one was copied in full on every save. Now the save
    goes ahead without a second name for it (no copy), and says so in the log."""
    import builtins

    real_open = builtins.open

    def link(src, dst, *args, **kwargs):
        raise PermissionError(1, "Operation not permitted", str(src), None, str(dst))

    def unreadable(file, *args, **kwargs):  # the other user's model: no reading it (a copy would)
        if str(file) == str(saved):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(builtins, "open", unreadable)
    with caplog.at_level(logging.INFO, logger="tagger.common.atomic"):
        seed_model.save(saved, data_hash="new")
    monkeypatch.setattr(builtins, "open", real_open)
    assert load_model(saved).manifest_["data_hash"] == "new"
    assert _no_temp_files(saved.parent)
    assert f"{saved}: no second name could be kept for the previous file" in caplog.text


def test_without_a_second_name_a_failed_manifest_rename_leaves_the_new_model_as_a_single_rename_would(
        saved, seed_model, monkeypatch, caplog):
    """Hunt 45 fix round, item 1: where no hard link can be made, nothing is put back (said in the log): the save
    fails as it did before the rollback, with no temp file left."""
    monkeypatch.setattr(os, "link", lambda *a, **k: (_ for _ in ()).throw(PermissionError(1, "Operation not permitted")))
    _failing_manifest_rename(monkeypatch, (30, "Read-only file system"))
    with pytest.raises(ModelFileError, match=re.escape("(Read-only file system); the file system there is read-only: "
                                                       "choose another path on a writable one")):
        seed_model.save(saved, data_hash="new")
    assert "the previous file could not be put back" in caplog.text and _no_temp_files(saved.parent)


def test_a_save_killed_between_its_renames_leaves_no_kept_aside_model_after_the_next_load(saved, tmp_path):
    """Hunt 45 fix round, item 5: a save killed between its renames left a hidden .m.npz.<pid>.<random>.old, the size
    of the model, which the next load (completing the pair) did not remove. A real kill: a child process saves and
    dies (os._exit) when the manifest is to follow the model."""
    import subprocess
    import sys

    script = (
        "import os, sys, tagger\n"
        "real = os.replace\n"
        "def replace(src, dst, *a, **k):\n"
        "    if str(dst).endswith('.manifest.json'):\n"
        "        os._exit(9)\n"
        "    return real(src, dst, *a, **k)\n"
        "model = tagger.load(sys.argv[1])\n"
        "model.thresholds_ = model.thresholds_ * 0.9\n"  # another model file: the old manifest no longer fits it
        "os.replace = replace\n"
        "model.save(sys.argv[1], data_hash='killed')\n")
    child = subprocess.run([sys.executable, "-c", script, str(saved)], env={**os.environ}, capture_output=True,
                           text=True)
    assert child.returncode == 9, child.stderr
    assert len(_old_files(saved.parent)) == 1  # the previous model, kept aside when the kill came
    assert load_model(saved).manifest_["data_hash"] == "killed"  # the pair completed
    assert _old_files(saved.parent) == [] and _no_temp_files(saved.parent)


def test_the_previous_model_is_kept_aside_without_a_temp_file_and_never_over_another_file(tmp_path, monkeypatch):
    """Odds item 4: the second name the previous model is kept under made a temp file and deleted it, only to have a
    unique name (a model save wrote and removed a file it never used). The name is drawn now, no file made; a name
    another file has is drawn again, that file left as it is."""
    import secrets

    from tagger.common import atomic

    model = tmp_path / "m.npz"
    model.write_bytes(b"model")
    taken = tmp_path / f".m.npz.{os.getpid()}.0000000a.old"
    taken.write_bytes(b"another file")
    names = iter(["0000000a", "0000000b"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(names))
    monkeypatch.setattr(atomic, "_mkstemp", lambda *a: pytest.fail("a temp file made for the name only"))
    aside = atomic._kept_aside(model)
    assert aside == tmp_path / f".m.npz.{os.getpid()}.0000000b.old" and os.path.samefile(aside, model)
    assert taken.read_bytes() == b"another file"


def test_a_link_to_a_folder_where_the_manifest_goes_is_named_a_link(seed_model, tmp_path):
    """Hunt 45 fix round, item 5: a link to a folder where the manifest goes was called a folder ("remove the
    folder": the link's target, with whatever it holds)."""
    (tmp_path / "d").mkdir()
    (tmp_path / "x.manifest.json").symlink_to("d")
    with pytest.raises(ModelFileError, match=re.escape(
            f"{tmp_path / 'x.manifest.json'} would be written where a link to a folder is; remove the link, or choose "
            "another model file name")):
        seed_model.save(tmp_path / "x.npz")


def test_save_refuses_nan_weights_as_load_does(seed_model, tmp_path):
    """Hunt 45 fix round, item 4: save() wrote a model with NaN weights, which load() refused (the NaN check was
    load's alone). Now save makes the check load makes."""
    import copy

    model = copy.copy(seed_model)
    model.intercept_ = np.full(5, np.nan)
    with pytest.raises(ValueError, match=re.escape(
            "this model cannot be saved: a load would refuse its file (array 'intercept' holds NaN or infinite "
            "values); fit it again")):
        model.save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_subclass_with_settings_of_its_own_is_refused_by_save_as_by_load(seed_model, tmp_path):
    """Hunt 45 fix round, item 4: save checked the file with the subclass's from_state, load builds a Tagger: a
    subclass with an __init__ setting of its own saved a file no load accepted. Now save refuses it, naming the
    setting; a subclass without settings of its own saves, and loads as a Tagger."""
    import copy

    from tagger import Tagger

    class Weighted(Tagger):
        def __init__(self, *, boost: float = 1.0, **kwargs) -> None:
            super().__init__(**kwargs)
            self.boost = boost

        @classmethod
        def _param_names(cls) -> list[str]:  # Tagger's and its own
            return [*Tagger._param_names(), "boost"]

    class Plain(Tagger):
        pass

    model = copy.copy(seed_model)  # the seed model's fitted state, as a Weighted one (no fit needed)
    model.__class__, model.boost = Weighted, 2.0
    assert model.get_params()["boost"] == 2.0
    with pytest.raises(ValueError, match=re.escape(
            "this model cannot be saved: a load would refuse its file (settings ['boost'] that Tagger does not have "
            "(a model file loads as a Tagger, whatever class saved it)); keep the subclass's own settings out")):
        model.save(tmp_path / "w.npz")
    assert list(tmp_path.iterdir()) == []
    plain = copy.copy(seed_model)
    plain.__class__ = Plain
    loaded = load_model(plain.save(tmp_path / "p.npz"))
    assert type(loaded) is Tagger and loaded.predict(PROBE) == seed_model.predict(PROBE)


def test_a_model_save_refuses_is_an_input_error_naming_the_file(seed_model, tmp_path):
    """The refusal of a model a load would refuse was a bare ValueError: the CLI (which reports its own errors, not
    ValueError) showed a traceback after training, and the message named no file. It is an InputError naming it."""
    import copy

    from tagger.errors import InputError

    model = copy.copy(seed_model)
    model.intercept_ = np.full(5, np.nan)
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'm.npz'}: this model cannot be saved")):
        model.save(tmp_path / "m.npz")


# --------------------------------------------------------------------------- a save replaces a model, nothing else
def _files(folder):
    """Every file of ``folder`` but the lock files, with its bytes."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.endswith(".lock")}


@pytest.mark.parametrize("name, content", [
    ("other.npz", "archive"),  # np.savez('other.npz', a=...): a numpy archive of the user's
    ("other.npz", b"PK\x03\x04 a zip of the user's, not numpy's"),
    ("other.npz", "text of the user's\n".encode()),
    ("other.manifest.json", '{"a": 1}\n'.encode()),  # JSON, but no model's manifest
    ("other.manifest.json", "my notes\n".encode()),
])
def test_save_refuses_to_replace_a_file_that_is_no_model(seed_model, tmp_path, name, content):
    """files: model.save(path) replaced whatever was there (a user's numpy archive other.npz, a JSON file named as
    its manifest goes) without a word. A file that is no tagger model's, nor its manifest, is refused before anything
    is written, naming it and what to do; every file stays as it was."""
    from tagger.errors import ModelPathError

    if content == "archive":
        np.savez(tmp_path / name, a=np.arange(3))
    else:
        (tmp_path / name).write_bytes(content)
    before = _files(tmp_path)
    with pytest.raises(ModelPathError) as info:
        seed_model.save(tmp_path / "other.npz")
    message = str(info.value)
    assert f"{tmp_path / name}" in message and "not a tagger model" in message
    assert message.endswith("remove it first if it may go, or choose another path")
    assert info.value.with_option("--out").endswith("or choose another --out")
    assert _files(tmp_path) == before  # nothing replaced, no temp file left


def test_save_replaces_a_model_also_one_a_load_refuses(seed_model, tmp_path):
    """Retraining replaces a model: one saved before, one whose file was cut short or whose manifest an edit broke
    (a load refuses both, saying to retrain), one without its manifest, and an empty file (nothing to lose)."""
    path = seed_model.save(tmp_path / "m.npz", data_hash="first")
    assert seed_model.save(path, data_hash="second") == path
    whole = path.read_bytes()
    path.write_bytes(whole[:1000])  # cut short, its manifest beside it
    seed_model.save(path, data_hash="third")
    manifest_path(path).write_text('{"thresholds": {', encoding="utf-8")  # an edit that broke the manifest
    seed_model.save(path, data_hash="fourth")
    manifest_path(path).unlink()
    seed_model.save(path, data_hash="fifth")
    assert load_model(path).manifest_["data_hash"] == "fifth"
    path.write_bytes(path.read_bytes()[:1000])  # cut short and its manifest gone: nothing says it was a model, so a
    manifest_path(path).unlink()  # save refuses to replace it, and a load says to remove it before retraining (review)
    with pytest.raises(ModelFileError, match=f"^{re.escape(str(path))}: the file is cut short .* no manifest "
                                             rf"m\.manifest\.json is beside it; copy both again .* or remove "
                                             f"{re.escape(str(path))} and retrain with: python train.py$"):
        load_model(path)
    with pytest.raises(ModelPathError, match="is a file that is not a tagger model"):
        seed_model.save(path)
    path.unlink()
    seed_model.save(path, data_hash="sixth")
    assert load_model(path).manifest_["data_hash"] == "sixth"
    empty = tmp_path / "empty.npz"
    empty.touch()
    manifest_path(empty).touch()
    assert load_model(seed_model.save(empty)).predict(PROBE) == seed_model.predict(PROBE)


def test_train_refuses_an_out_that_is_no_model_before_training(root, tmp_path, capsys):
    """files: python train.py --out other.npz replaced a user's archive (and a file named as its card goes) after
    training; now refused at once (no training), with the option to change."""
    from tagger.apps.cli import main

    other = tmp_path / "other.npz"
    np.savez(other, a=np.arange(3))
    notes = tmp_path / "mine.card.md"
    notes.write_text("# 我的笔记\n", encoding="utf-8")
    before = _files(tmp_path)
    assert main(["-q", "train", "--root", str(root), "--out", str(other), "--no-cv"]) == 1
    err = capsys.readouterr().err
    assert f"{other}: is a file that is not a tagger model" in err and "or choose another --out" in err
    assert main(["-q", "train", "--root", str(root), "--out", str(tmp_path / "mine.npz"), "--no-cv"]) == 1
    err = capsys.readouterr().err
    assert f"its model card would be written to {notes}, a file that is not a model card" in err
    assert "or choose another --out" in err and "trained" not in err
    assert _files(tmp_path) == before


def test_check_card_path_takes_a_card_and_an_empty_file(tmp_path):
    from tagger.evaluation.card import check_card_path, model_card
    from tagger.errors import ModelPathError

    card = tmp_path / "m.card.md"
    card.write_text("\ufeff" + model_card({"tagger_version": "0.1.0"}), encoding="utf-8")  # an editor's BOM too
    assert check_card_path(tmp_path / "m.npz") == card
    card.write_bytes(b"")
    assert check_card_path(tmp_path / "m.npz") == card
    card.write_text("Model card: tagger, my copy\n", encoding="utf-8")
    with pytest.raises(ModelPathError, match="a file that is not a model card"):
        check_card_path(tmp_path / "m.npz")


# --------------------------------------------------------------------------- a model file cut short
def test_a_model_file_cut_short_is_said_so_not_changed(saved, tmp_path):
    """files: a copy that stopped part way (head -c 100000 models/tagger.npz > m.npz, its manifest and card copied
    beside it) was "model file changed since it was written (sha256 differs …)": it is said to be cut short, with
    its size, and what to do."""
    copy = tmp_path / "copy" / "m.npz"
    copy.parent.mkdir()
    copy.write_bytes(saved.read_bytes()[:100_000])
    shutil.copy(manifest_path(saved), manifest_path(copy))
    with pytest.raises(ModelFileError) as info:
        load_model(copy)
    assert str(info.value) == (f"{copy}: the model file is cut short (100,000 bytes, and the end of its archive is "
                               "missing: a copy or download that stopped part way); copy it again from where it came "
                               "from, or retrain with: python train.py")


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_only_a_model_file_cut_short_is_said_cut_short(data):
    """Any cut of a model file (an empty file too) is said to be cut short; bytes changed within it or added after
    it are a changed file, as before."""
    import tempfile

    buffer = io.BytesIO()
    np.savez(buffer, config=np.frombuffer(b"{}", dtype=np.uint8), weights=np.linspace(0, 1, 500))
    whole = buffer.getvalue()
    how = data.draw(st.sampled_from(["cut", "changed", "added"]))
    if how == "cut":
        damaged = whole[:data.draw(st.integers(0, len(whole) - 1))]
    elif how == "changed":
        at = data.draw(st.integers(0, len(whole) - 23))  # before the archive's end record
        damaged = whole[:at] + bytes([whole[at] ^ 0xFF]) + whole[at + 1:]
    elif data.draw(st.booleans()):
        damaged = whole + data.draw(st.binary(min_size=1, max_size=50))
    else:  # past the 64 KiB zipfile looks through for the archive's end (review)
        damaged = whole + b"x" * data.draw(st.integers(65_000, 70_000))
    manifest = {"format_version": FORMAT_VERSION, "labels": list(tagger.LABELS),
                "model_sha256": hashlib.sha256(whole).hexdigest()}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.npz"
        path.write_bytes(damaged)
        manifest_path(path).write_text(json.dumps(manifest), encoding="utf-8")
        with pytest.raises(ModelFileError) as info:
            load_model(path)
    said = "cut short" if how == "cut" else "changed since it was written"
    assert said in str(info.value)
    assert ("changed since" in str(info.value)) == (how != "cut")


# ----------------------------------------------------------------------------- fix: exclusive placement
@pytest.mark.parametrize("where", ["m.npz", "m.manifest.json"])
def test_a_file_put_at_a_new_models_name_as_it_is_saved_is_never_replaced(seed_model, tmp_path, monkeypatch, where):
    """model.save(path) checked that no file was at the model's names, then renamed its files over whatever was there
    by then: a file another program made in between (as the files were written) was replaced. It is left as it is,
    and the model saved with its manifest under the first free name beside (m.new.npz; here m.new-2.npz, m.new's
    manifest name being taken), the error naming both."""
    import tagger.model.persistence as persistence
    from tagger.model.persistence import ModelKeptBeside

    foreign = tmp_path / where
    (tmp_path / "m.new.manifest.json").write_text("{}", encoding="utf-8")  # m.new is not free
    real_lock = persistence._pair_lock

    def a_file_appears(path, exclusive):  # the step just before the renames
        if path.name == "m.npz":
            foreign.write_bytes(b"another program's\n")
        return real_lock(path, exclusive)

    monkeypatch.setattr(persistence, "_pair_lock", a_file_appears)
    with pytest.raises(ModelKeptBeside) as info:
        seed_model.save(tmp_path / "m.npz", data_hash="x")
    kept = tmp_path / "m.new-2.npz"
    assert str(info.value) == (f"{foreign}: is a file another program made — put there while the model was saved, and "
                               f"left as it is: the model was saved as {kept} instead (with its manifest "
                               "m.new-2.manifest.json); load it from there (or, if that file may go, rename the two to "
                               "m.npz and m.manifest.json)")
    assert foreign.read_bytes() == b"another program's\n" and info.value.kept == kept
    assert load_model(kept).manifest_["model_file"] == "m.new-2.npz"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == sorted(
        [where, "m.new.manifest.json", "m.new-2.npz", "m.new-2.manifest.json"])


def test_a_model_kept_beside_with_its_card_names_the_card(seed_model, tmp_path, monkeypatch):
    """Reviewer's note: save_model(card=...) that went beside a file put at the card's name said the model was saved
    "with its manifest" and to "rename the two" — the card saved beside it went unnamed, and renaming the two left
    the old name's card that of another program. The message names the card and the three to rename."""
    import tagger.model.persistence as persistence
    from tagger.model.persistence import ModelKeptBeside, save_model

    foreign = tmp_path / "m.card.md"
    real_lock = persistence._pair_lock

    def a_card_appears(path, exclusive):
        if path.name == "m.npz":
            foreign.write_text("a note\n", encoding="utf-8")
        return real_lock(path, exclusive)

    monkeypatch.setattr(persistence, "_pair_lock", a_card_appears)
    with pytest.raises(ModelKeptBeside) as info:
        save_model(seed_model, tmp_path / "m.npz", card=lambda model_file, manifest: "# card\n", data_hash="x")
    kept = tmp_path / "m.new.npz"
    assert str(info.value) == (f"{foreign}: is a file another program made — put there while the model was saved, and "
                               f"left as it is: the model was saved as {kept} instead (with its manifest "
                               "m.new.manifest.json and its card m.new.card.md); load it from there (or, if that "
                               "file may go, rename the three to m.npz, m.manifest.json and m.card.md)")
    assert info.value.card and foreign.read_text(encoding="utf-8") == "a note\n"
    assert (tmp_path / "m.new.card.md").read_text(encoding="utf-8") == "# card\n"


def test_model_kept_beside_survives_pickling():
    """Review: ModelKeptBeside (a save in a worker process: a process pool fitting and saving models) could not be
    unpickled: pickle.loads(pickle.dumps(exc)) raised TypeError (its __init__ takes more than the message), so the
    caller met that instead of where its model went. The round trip keeps the message and every field."""
    import pickle

    from tagger.model.persistence import ModelKeptBeside

    exc = ModelKeptBeside("m.npz: is a file another program made", Path("m.npz"), Path("m.new.npz"))
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is ModelKeptBeside and str(back) == str(exc)
    assert (back.problem, back.path, back.kept, back.card) == (exc.problem, exc.path, exc.kept, exc.card)
    carded = pickle.loads(pickle.dumps(ModelKeptBeside("x", Path("m.npz"), Path("m.new.npz"), card=True)))
    assert carded.card and "its card m.new.card.md" in str(carded)
