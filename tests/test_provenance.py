"""Every output of tagger tag that has a place for it says which model tagged it (.sqlite, .xlsx, .parquet), and
tagger stats shows it: a corpus tagged in March and one tagged in June with a retrained model could not be told
apart afterwards, nor which thresholds decided their labels."""

import json
import logging
import re
import shutil
import sqlite3

import openpyxl
import pyarrow.parquet as pq
import pytest

from tagger import LABELS
from tagger.apps.cli import main
from tagger.data.tagged import earlier_output, model_record, read_tagged
from tagger.model.persistence import (UNSAVED, describe_provenance, file_sha256, load_model, manifest_path, provenance,
                                      settings_digest, words_sha256)
from tagger.model.rules import word_lists_sha256
from tagger.model.tagger import Tagger

TEXTS = ["党员服务队为孤寡老人义务检查线路。", "老旧小区改造完成配电线路更换。", "加装电梯配套电力接入当天完成。",
         "办电时间压缩至三个工作日。", "志愿者走进社区开展安全用电宣传。", "供电所召开季度工作会议。"] * 2
Y = [[1, 0, 0, 0, 1], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]] * 2


SCORING = {"suppress_headings": True, "suppress_plans": True, "suppress_closings": True, "report_context": True,
           "require_power_sector": True, "villages_not_compounds": True, "farms_not_enterprises": True, "encoder": None,
           "encoder_weight": 0.25}
"""What the shared test model's record says of the hyperparameters that scoring reads (every one of them)."""


def _tiny() -> Tagger:
    """A model fitted here in a fraction of a second (no lexicon, no threshold tuning, no report context)."""
    return Tagger(use_lexicon=False, tune_thresholds=False, report_context=False, char_min_df=1).fit(TEXTS, Y)


@pytest.fixture
def other_model(cli_model, tmp_path):
    """The shared model saved again with another hyperparameter that acts when scoring: another file, another
    sha256 (no training)."""
    model = load_model(cli_model).set_params(suppress_plans=False)
    return str(model.save(tmp_path / "other" / "june.npz", data_hash="june data"))


def test_the_record_of_a_model_says_which_file_and_which_thresholds(cli_model, tmp_path):
    model = _tiny()
    record = provenance(model)
    assert record["model_sha256"] == UNSAVED and record["model_file"] is None and record["created"] is None
    assert record["thresholds"] == dict.fromkeys(LABELS, 0.5)
    assert record["scoring"] == {**SCORING, "report_context": False}
    path = model.save(tmp_path / "m.npz", data_hash="d1")  # saved: now the file's
    saved = provenance(model)
    assert saved["model_sha256"] == file_sha256(path) and saved["model_file"] == "m.npz" and saved["data_hash"] == "d1"
    assert saved["created"] and saved["tagger_version"]
    model.fit(TEXTS, Y)  # fitted again: no longer the model the file holds
    assert provenance(model)["model_sha256"] == UNSAVED

    loaded = load_model(cli_model)
    manifest = json.loads(manifest_path(cli_model).read_text(encoding="utf-8"))
    record = provenance(loaded.set_params(suppress_plans=False))
    assert record == {"model_file": "tagger.npz", "model_sha256": manifest["model_sha256"],
                      "data_hash": "seed-only test model", "thresholds": manifest["thresholds"],
                      "scoring": {**SCORING, "suppress_plans": False},
                      "user_words": {"count": len(loaded.user_words), "sha256": words_sha256(loaded.user_words),
                                     "trained": True},
                      "word_lists": word_lists_sha256(),
                      "tagger_version": manifest["tagger_version"], "created": manifest["created"]}
    assert json.loads(json.dumps(record)) == record  # JSON as it is
    loaded.thresholds_ = loaded.thresholds_ + 0.01  # the thresholds that decide the labels, edited ones too
    assert provenance(loaded)["thresholds"]["elderly_care"] == pytest.approx(manifest["thresholds"]["elderly_care"] + 0.01)


@pytest.mark.parametrize("fmt", ["sqlite", "xlsx", "parquet"])
def test_a_tagged_file_carries_the_record_of_its_model_and_reads_as_before(cli_model, root, tmp_path, fmt):
    named = tmp_path / "=HYPERLINK(1).npz"  # a file name is data: text in a workbook cell, never a formula
    shutil.copy(cli_model, named)
    shutil.copy(manifest_path(cli_model), manifest_path(named))
    out = tmp_path / f"out.{fmt}"
    assert main(["-q", "tag", str(root / "seeds"), "--model", str(named), "-o", str(out)]) == 0
    expected = provenance(load_model(named))
    assert expected["model_file"] == named.name
    assert model_record(out) == expected
    if fmt == "sqlite":
        with sqlite3.connect(out) as conn:
            meta = dict(conn.execute("SELECT key, value FROM tagger_meta"))
        assert json.loads(meta["model"]) == expected and "written_at" not in meta  # no clock time (test below)
        assert json.loads(meta["derived_columns"]) == ["normalized_text"]  # the keys readers use, as they were
    elif fmt == "parquet":
        facts = json.loads(pq.read_schema(out).metadata[b"tagger"])
        assert facts["model"] == expected and facts["labels"] == list(LABELS)
    else:
        wb = openpyxl.load_workbook(out)
        assert wb.sheetnames == ["paragraphs", "summary", "about"]
        cells = {row[0].value: row[1] for row in wb["about"].iter_rows()}
        assert cells["model_file"].value == named.name and cells["model_file"].data_type == "s"
        assert cells["model_sha256"].value == expected["model_sha256"]
        assert cells["thresholds.elderly_care"].value == expected["thresholds"]["elderly_care"]
        assert cells["written by"].value.endswith("(tagger tag)")
    assert earlier_output(out) == "tag's output"  # the new sheet or metadata does not make it another kind of file
    plain = tmp_path / "out.jsonl"
    assert main(["-q", "tag", str(root / "seeds"), "--model", str(named), "-o", str(plain)]) == 0
    columns = ["report", "paragraph", "text", "effective_labels"]
    assert (read_tagged(out)[columns].reset_index(drop=True).equals(read_tagged(plain)[columns].reset_index(drop=True)))
    assert model_record(plain) is None  # no place for it in a line format


@pytest.mark.parametrize("fmt", ["sqlite", "xlsx", "parquet"])
def test_a_file_tagged_again_records_the_new_model(cli_model, other_model, root, tmp_path, fmt):
    first, second = tmp_path / f"first.{fmt}", tmp_path / f"second.{fmt}"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(first)]) == 0
    assert main(["-q", "tag", str(first), "--model", other_model, "-o", str(second)]) == 0
    record = model_record(second)
    assert record["model_sha256"] == file_sha256(other_model) != model_record(first)["model_sha256"]
    assert record["model_file"] == "june.npz" and record["scoring"]["suppress_plans"] is False


def test_stats_shows_the_model_in_every_output(cli_model, root, tmp_path, capsys):
    tagged = tmp_path / "tagged.sqlite"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(tagged)]) == 0
    sha = file_sha256(cli_model)
    assert main(["stats", str(tagged)]) == 0
    lines = capsys.readouterr().out.splitlines()
    record = model_record(tagged)
    assert lines[1] == f"tagged by model: tagger.npz (sha256 {sha[:12]}, thresholds+scoring " \
                       f"{settings_digest(record)}, data seed-only te, saved {record['created']} by tagger " \
                       f"{record['tagger_version']})"
    stats, page = tmp_path / "stats.xlsx", tmp_path / "corpus.html"
    assert main(["-q", "stats", str(tagged), "-o", str(stats), "--html", str(page)]) == 0
    about = dict(openpyxl.load_workbook(stats)["about"].iter_rows(values_only=True))
    assert about["tagged by model"] == lines[1].removeprefix("tagged by model: ") and about["model sha256"] == sha
    assert about["model thresholds"].startswith("elderly_care 0.")
    assert earlier_output(stats) == "stats counts"  # still told from tag's workbook, which has an about sheet too
    # the page's footer, as a browser renders it: test_the_html_footer_names_the_model
    plain = tmp_path / "tagged.jsonl"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(plain)]) == 0
    assert main(["stats", str(plain)]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("tagged by model: not recorded in the file")


def test_a_damaged_record_is_no_record_and_the_file_is_still_counted(cli_model, root, tmp_path, capsys):
    tagged = tmp_path / "tagged.sqlite"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(tagged)]) == 0
    with sqlite3.connect(tagged) as conn:
        conn.execute("UPDATE tagger_meta SET value = '{\"model_sha256\": ' WHERE key = 'model'")
    assert model_record(tagged) is None
    assert main(["stats", str(tagged)]) == 0
    assert "tagged by model: not recorded in the file" in capsys.readouterr().out


def test_a_model_fitted_again_no_longer_claims_its_training_data(tmp_path):
    model = _tiny()
    model.data_hash_ = "first data"  # as tagger.training.train sets it
    assert provenance(model)["data_hash"] == "first data"
    model.fit(TEXTS[:6], Y[::-1][:6])  # other data: the record must not name the first data set
    assert provenance(model)["data_hash"] is None


def test_the_record_holds_every_hyperparameter_that_scoring_reads(cli_model, root):
    model = load_model(cli_model)
    heading = ["党员志愿者走进敬老院慰问孤寡老人"]  # a heading: no final punctuation
    before = provenance(model)
    assert set(before["scoring"]) == {"suppress_headings", "suppress_plans", "suppress_closings", "report_context",
                                      "require_power_sector", "villages_not_compounds", "farms_not_enterprises",
                                      "encoder", "encoder_weight"}
    for name, value in (("suppress_headings", False), ("report_context", False), ("suppress_plans", False),
                        ("suppress_closings", False), ("require_power_sector", False),
                        ("villages_not_compounds", False), ("farms_not_enterprises", False)):
        changed = provenance(load_model(cli_model).set_params(**{name: value}))
        assert changed["scoring"][name] is value and changed != before, name
    assert model.predict_proba(heading).max() == 0.0  # suppress_headings acts when scoring ...
    assert model.set_params(suppress_headings=False).predict_proba(heading).max() > 0.0  # ... and is recorded
    readme = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    said = readme.split("**Which model tagged a file.**", 1)[1].split("**", 1)[0]
    for name in before["scoring"]:  # the README says which hyperparameters the record holds
        assert f"`{name}`" in said, name


def test_two_thresholds_of_one_model_file_are_told_apart_in_the_line_stats_shows(cli_model, tmp_path):
    edited = tmp_path / "edited.npz"
    shutil.copy(cli_model, edited)
    manifest = json.loads(manifest_path(cli_model).read_text(encoding="utf-8"))
    manifest["thresholds"]["elderly_care"] = 0.999
    manifest_path(edited).write_text(json.dumps(manifest), encoding="utf-8")
    ours, theirs = provenance(load_model(cli_model)), provenance(load_model(edited))
    theirs["model_file"] = ours["model_file"]  # one .npz, copied: the same name, sha256, data and date
    assert theirs["model_sha256"] == ours["model_sha256"] and theirs["thresholds"] != ours["thresholds"]
    assert describe_provenance(theirs) != describe_provenance(ours)
    assert settings_digest(theirs) in describe_provenance(theirs)


def test_a_sqlite_output_is_the_same_bytes_for_the_same_rows(cli_model, root, tmp_path, monkeypatch):
    """The README promises byte-identical outputs for the same rows in every format: no clock time in the file."""
    import datetime as dt

    outs = [tmp_path / "a.sqlite", tmp_path / "b.sqlite"]
    for out, day in zip(outs, (1, 2)):  # two runs on two days: a clock time in the file would differ
        class Clock(dt.datetime):
            @classmethod
            def now(cls, tz=None):
                return dt.datetime(2024, 6, day, 8, 0, tzinfo=tz)

        monkeypatch.setattr(dt, "datetime", Clock)
        assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(out)]) == 0
    monkeypatch.undo()
    assert outs[0].read_bytes() == outs[1].read_bytes()
    with sqlite3.connect(outs[0]) as conn:
        assert "written_at" not in dict(conn.execute("SELECT key, value FROM tagger_meta"))


@pytest.mark.parametrize("fmt", ["sqlite", "parquet", "xlsx"])
def test_stats_finds_the_record_of_a_file_named_without_its_suffix(cli_model, root, tmp_path, capsys, fmt):
    """A workbook written as -o NAME.out --format xlsx could not be read at all (openpyxl refuses other names):
    neither counted nor tagged again."""
    out = tmp_path / f"tagged_{fmt}.out"  # -o NAME --format FMT: the README allows any name with --format
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(out), "--format", fmt]) == 0
    assert model_record(out)["model_sha256"] == file_sha256(cli_model)
    assert main(["stats", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("tagged by model: tagger.npz (sha256 ")
    again = tmp_path / "again.jsonl"
    assert main(["-q", "tag", str(out), "-o", str(again), "--model", cli_model]) == 0
    assert len(again.read_text(encoding="utf-8").splitlines()) == len(read_tagged(out)) > 0


def test_a_workbook_record_is_read_without_opening_the_workbook(cli_model, root, tmp_path, monkeypatch):
    """openpyxl scans every sheet whole when it opens a workbook (seconds on a large one): the about sheet is read
    alone."""
    import tagger.common.files
    import tagger.data.tagged

    out = tmp_path / "out.xlsx"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(out)]) == 0

    def no_open(path, *args, **kwargs):
        raise AssertionError(f"{path}: the whole workbook opened to read its about sheet")

    monkeypatch.setattr(tagger.data.tagged, "open_workbook", no_open)
    monkeypatch.setattr(tagger.common.files, "open_workbook", no_open)
    assert model_record(out) == provenance(load_model(cli_model))


def test_a_workbook_saved_again_with_shared_strings_keeps_its_record(cli_model, root, tmp_path):
    out, again = tmp_path / "out.xlsx", tmp_path / "again.xlsx"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(out)]) == 0
    openpyxl.load_workbook(out).save(again)  # a normal (not write-only) save, as a spreadsheet's
    assert model_record(again) == model_record(out) is not None


def test_tag_frame_and_tag_dask_parquet_record_the_model(cli_model, tmp_path, capsys):
    import pandas as pd

    from tagger.apps.dask import parquet_metadata, tag_dask
    from tagger.pipeline import tag_frame

    reports = pd.DataFrame({"id": ["r1", "r2"], "text": ["党员服务队为孤寡老人义务检查线路。", "志愿者走进社区开展安全用电宣传。"]})
    expected = provenance(load_model(cli_model))
    frame = tag_frame(load_model(cli_model), reports, id_column="id")
    frame.to_parquet(tmp_path / "frame.parquet")  # pandas keeps the frame's attrs in the file
    assert model_record(tmp_path / "frame.parquet") == expected
    assert main(["stats", str(tmp_path / "frame.parquet")]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("tagged by model: tagger.npz (sha256 ")

    dd = pytest.importorskip("dask.dataframe")
    import dask

    with dask.config.set(scheduler="synchronous"):
        tagged = tag_dask(dd.from_pandas(reports, npartitions=2), cli_model, text_column="text", id_column="id")
        tagged.to_parquet(tmp_path / "dask", write_index=False, custom_metadata=parquet_metadata(tagged))
    parts = sorted((tmp_path / "dask").glob("*.parquet"))
    assert parts and all(model_record(p) == expected for p in parts)
    with pytest.raises(ValueError, match="holds no record"):
        parquet_metadata(reports)


def test_stats_written_to_a_file_or_stdout_names_the_model_on_stderr(cli_model, root, tmp_path, capsys):
    tagged = tmp_path / "tagged.sqlite"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(tagged)]) == 0
    line = f"tagged by model: tagger.npz (sha256 {file_sha256(cli_model)[:12]}"
    for output in (str(tmp_path / "s.csv"), "-"):
        assert main(["stats", str(tagged), "-o", output]) == 0
        out, err = capsys.readouterr()
        assert line in err
        table = out if output == "-" else (tmp_path / "s.csv").read_text(encoding="utf-8-sig")
        assert "sha256" not in table and table.startswith("table,")  # the CSV stays a clean table



def test_tagging_again_tells_other_recorded_thresholds_from_edits_by_hand(cli_model, root, tmp_path, capsys, edited_thresholds):
    strict = edited_thresholds(elderly_care=0.999, volunteer_work=0.999)
    tagged = tmp_path / "strict.sqlite"
    assert main(["-q", "tag", str(root / "seeds"), "--model", strict, "-o", str(tagged)]) == 0
    with sqlite3.connect(tagged) as conn:  # one row a person really edited: a label the scores do not give
        pid, labels = conn.execute("SELECT paragraph, labels FROM paragraphs WHERE labels NOT LIKE "
                                   "'%business_connection_speed%' AND kind = 'body' AND (score_elderly_care "
                                   "BETWEEN 0.6 AND 0.99 OR score_volunteer_work BETWEEN 0.6 AND 0.99) ORDER BY id "
                                   "LIMIT 1").fetchone()  # a label the strict thresholds withheld, the model gives
        conn.execute("UPDATE paragraphs SET labels = ? WHERE paragraph = ?",
                     (";".join(filter(None, [labels, "business_connection_speed"])), pid))
    again = tmp_path / "again.jsonl"
    capsys.readouterr()
    assert main(["tag", str(tagged), "--model", cli_model, "-o", str(again)]) == 0
    said = capsys.readouterr().err
    assert "no one edited them — the file records that other thresholds or another model decided" in said
    assert "elderly_care 0.999" in said
    assert "edited by hand, or the file was tagged with other thresholds" not in said  # no longer a guess
    assert f"1 paragraph has other labels in the file than the thresholds it records give it ({pid})" in said

    kept = tmp_path / "kept.jsonl"
    assert main(["tag", str(tagged), "--model", cli_model, "--keep-edited-labels", "-o", str(kept)]) == 0
    decided = {row["paragraph"]: row for row in map(json.loads, kept.read_text(encoding="utf-8").splitlines())
               if row.get("reviewed_by")}
    assert list(decided) == [pid]  # the person's edit, and no row the strict thresholds decided
    # the edited label is the person's; the row's other labels are the model's now, not the strict thresholds'
    # (diff review: the whole row became a decision, dropping labels nobody removed)
    assert set(decided[pid]["reviewed_labels"]) == set(decided[pid]["labels"]) | {"business_connection_speed"}
    assert set(decided[pid]["labels"]) - set(labels.split(";")), "the case needs a label the strict thresholds withheld"


def test_labelstudio_predictions_are_named_after_the_model_the_file_records(cli_model, other_model, root, tmp_path):
    tagged, tasks = tmp_path / "june.sqlite", tmp_path / "tasks.json"
    assert main(["-q", "tag", str(root / "seeds"), "--model", other_model, "-o", str(tagged)]) == 0
    assert main(["-q", "labels", "export", str(tagged), "--to", "labelstudio", "-o", str(tasks),
                 "--model", cli_model]) == 0
    versions = {p["model_version"] for task in json.loads(tasks.read_text(encoding="utf-8"))
                for p in task.get("predictions", [])}
    assert versions == {f"tagger {model_record(tagged)['tagger_version']}, data june data, thresholds+scoring "
                        f"{settings_digest(model_record(tagged))}"}  # not --model's data


def test_the_html_footer_names_the_model(browser, cli_model, root, tmp_path):
    """The footer as the browser shows it (the model line is in the page's JSON data whatever the footer says)."""
    tagged, page_path = tmp_path / "tagged.sqlite", tmp_path / "corpus.html"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(tagged)]) == 0
    assert main(["-q", "stats", str(tagged), "--html", str(page_path)]) == 0
    page = browser.new_page()
    page.goto(page_path.as_uri())
    page.wait_for_selector("body[data-ready]")
    footer = page.locator("#footer").inner_text()
    page.close()
    assert f"tagged by model: {describe_provenance(model_record(tagged))}." in footer


def test_a_threshold_read_back_as_a_whole_number_has_the_digest_of_its_float():
    """Second diff review: a threshold of 1.0 comes back from a workbook's about sheet as 1, and the same model's
    line differed between .xlsx and .sqlite."""
    from tagger.model.persistence import settings_digest

    record = {"thresholds": {"elderly_care": 1.0, "volunteer_work": 0.25}, "scoring": {"suppress_plans": True}}
    assert settings_digest(record) == settings_digest({**record, "thresholds": {"elderly_care": 1,
                                                                                "volunteer_work": 0.25}})


def test_a_record_of_an_earlier_tagger_has_the_digest_of_the_same_model_now(cli_model):
    """Second diff review: a file tagged before the record listed every scoring setting (it held suppress_plans only)
    showed another digest for the very same model, which the README says to read as another model."""
    from tagger.model.persistence import settings_digest

    now = provenance(load_model(cli_model))
    earlier = {**now, "scoring": {"suppress_plans": now["scoring"]["suppress_plans"],
                                  "require_power_sector": True, "villages_not_compounds": True,
                                  "farms_not_enterprises": True, "suppress_closings": True}}
    assert settings_digest(earlier) == settings_digest(now)
    assert settings_digest({**now, "scoring": {**now["scoring"], "suppress_plans": False}}) != settings_digest(now)


def test_a_record_from_before_the_power_sector_rule_is_read_as_tagged_without_it(cli_model):
    """Review of the power-sector rule: a file tagged before the rule existed has no require_power_sector in its
    record, and the comparison filled it with today's default (True) — the same digest, no difference named, though
    the rule now takes labels its file kept. Such a record reads as tagged without the rule."""
    from tagger.model.persistence import record_differences, settings_digest

    now = provenance(load_model(cli_model))
    before_rule = {**now, "scoring": {k: v for k, v in now["scoring"].items() if k != "require_power_sector"}}
    assert settings_digest(before_rule) != settings_digest(now)
    assert record_differences(before_rule, now) == ["scoring require_power_sector True, not False"]
    without = provenance(load_model(cli_model).set_params(require_power_sector=False))
    assert settings_digest(before_rule) == settings_digest(without) and record_differences(before_rule, without) == []
    # the village, farm and closing rules came later still: a record that lists none of them was tagged without them
    later = ("require_power_sector", "villages_not_compounds", "farms_not_enterprises", "suppress_closings")
    before_all = {**now, "scoring": {k: v for k, v in now["scoring"].items() if k not in later}}
    assert sorted(record_differences(before_all, now)) == [f"scoring {k} True, not False" for k in sorted(later)]
    none_on = provenance(load_model(cli_model).set_params(**{k: False for k in later}))
    assert settings_digest(before_all) == settings_digest(none_on)


# ----------------------------------------------------------------------------- the record follows the labels
REPORTS = {"id": ["r1", "r2", "r3"], "text": ["党员服务队为孤寡老人义务检查线路。\n志愿者走进社区开展安全用电宣传。",
                                              "老旧小区改造完成配电线路更换。\n加装电梯配套电力接入当天完成。",
                                              "办电时间压缩至三个工作日。\n供电所召开季度工作会议。"]}


def test_labels_decided_again_with_other_thresholds_carry_those_thresholds_in_the_record(cli_model, tmp_path, edited_thresholds):
    """Review of the record: a tag_frame result whose labels were decided again with other thresholds kept the record
    of the thresholds that tagged it, and tagger stats and a re-tag of its Parquet file trusted those."""
    import pandas as pd

    from tagger.data.tagged import label_disagreements, recorded_thresholds
    from tagger.pipeline import decide_frame, tag_frame

    frame = tag_frame(load_model(cli_model), pd.DataFrame(REPORTS), id_column="id")
    scores = frame[[f"score_{lab}" for lab in LABELS]].to_numpy()
    strict = load_model(edited_thresholds(elderly_care=0.999, volunteer_work=0.999))
    assert frame["labels"].tolist() != strict.decide(scores), "the case needs thresholds that decide otherwise"

    again = decide_frame(strict, frame)
    assert again["labels"].tolist() == strict.decide(scores) and frame["labels"].tolist() != again["labels"].tolist()
    assert again.attrs["tagger"]["model"] == {**provenance(load_model(cli_model)), "thresholds": provenance(strict)["thresholds"]}
    again.to_parquet(tmp_path / "again.parquet")
    record = model_record(tmp_path / "again.parquet")
    assert recorded_thresholds(record) == [float(strict.thresholds_[j]) for j in range(len(LABELS))]
    assert not label_disagreements(again["labels"].tolist(), scores, recorded_thresholds(record)).any()
    assert settings_digest(record) == settings_digest(provenance(strict)) != settings_digest(frame.attrs["tagger"]["model"])
    assert frame.attrs["tagger"]["model"]["thresholds"] == provenance(load_model(cli_model))["thresholds"]  # a copy


def test_deciding_a_frame_again_is_refused_where_the_record_could_not_follow(cli_model, other_model, tmp_path):
    import pandas as pd

    from tagger.pipeline import decide_frame, tag_frame

    frame = tag_frame(load_model(cli_model), pd.DataFrame(REPORTS), id_column="id")
    with pytest.raises(ValueError, match=r"another model than this one \(another model file \(sha256 .*; scoring "
                                         r"suppress_plans False, not True\).*tag_frame\(model, reports\)"):
        decide_frame(load_model(other_model), frame)  # its scores are not that model's
    bare = frame.copy()
    bare.attrs.clear()
    with pytest.raises(ValueError, match="the frame records no model"):
        decide_frame(load_model(cli_model), bare)
    with pytest.raises(KeyError, match=r"score_elderly_care"):
        decide_frame(load_model(cli_model), frame.drop(columns="score_elderly_care"))
    with pytest.raises(TypeError, match=r"decide_frame\(model, df\); got DataFrame and Tagger"):
        decide_frame(frame, load_model(cli_model))  # swapped


def test_decide_warns_when_its_labels_would_leave_a_frames_record_false(cli_model, tmp_path, edited_thresholds):
    """model.decide(frame) with other thresholds, assigned to frame['labels'], left the record naming the old ones."""
    import warnings

    import pandas as pd

    from tagger.pipeline import tag_frame

    frame = tag_frame(load_model(cli_model), pd.DataFrame(REPORTS), id_column="id")
    scores = frame.filter(like="score_")
    strict = load_model(edited_thresholds(elderly_care=0.999))
    with pytest.warns(UserWarning, match=r"this model.s differ \(threshold elderly_care 0\.999, not .*decide_frame"):
        strict.decide(scores)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_model(cli_model).decide(scores) == frame["labels"].tolist()  # the frame's own model: no word
        strict.decide(scores.to_numpy())  # no record: nothing to keep true


def test_user_words_set_after_training_are_in_the_record_and_its_digest(cli_model, tmp_path):
    """Review of the record: user words change the labels but were in no record: a file scored with another user
    dictionary showed the model's digest."""
    import pandas as pd

    from tagger.model.persistence import provenance_from_rows, provenance_rows
    from tagger.pipeline import tag_frame

    own = provenance(load_model(cli_model))
    words = load_model(cli_model).user_words
    assert own["user_words"] == {"count": len(words), "sha256": words_sha256(words), "trained": True}
    assert settings_digest(own) == settings_digest({k: v for k, v in own.items() if k != "user_words"})  # as before
    assert "user words" not in describe_provenance(own)

    model = load_model(cli_model).set_params(user_words=(*words, "线路更换"))
    record = provenance(model)
    assert record["user_words"] == {"count": len(words) + 1, "sha256": words_sha256((*words, "线路更换")),
                                    "trained": False}
    assert settings_digest(record) != settings_digest(own)
    assert f"user words set after training {len(words) + 1} (sha256 {record['user_words']['sha256'][:12]})" \
        in describe_provenance(record)
    assert provenance_from_rows(provenance_rows(record)) == record  # the about sheet's rows hold it
    tag_frame(model, pd.DataFrame(REPORTS), id_column="id").to_parquet(tmp_path / "words.parquet")
    assert model_record(tmp_path / "words.parquet") == record
    with pytest.raises(ValueError, match=r"user_words were changed after fit .*set them back"):
        model.save(tmp_path / "m.npz")  # the file would say the model was trained with them


def test_a_tagged_workbook_records_the_user_words(cli_model, root, tmp_path):
    out = tmp_path / "out.xlsx"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(out)]) == 0
    cells = {row[0].value: row[1] for row in openpyxl.load_workbook(out)["about"].iter_rows()}
    assert cells["user_words.sha256"].value == words_sha256(load_model(cli_model).user_words)
    assert model_record(out)["user_words"]["trained"] is True
    stats = tmp_path / "stats.xlsx"  # and tagger stats shows them
    assert main(["-q", "stats", str(out), "-o", str(stats)]) == 0
    about = dict(openpyxl.load_workbook(stats)["about"].iter_rows(values_only=True))
    words = load_model(cli_model).user_words
    assert about["model user words"] == f"{len(words)} (sha256 {words_sha256(words)[:12]}), as trained"


def test_labelstudio_model_version_tells_two_threshold_sets_of_one_model_file_apart(cli_model, root, tmp_path, edited_thresholds):
    """Review of the record: model_version named the tagger and training data only, so an edited manifest's
    predictions had the model's own version."""
    edited = edited_thresholds(elderly_care=0.999)
    versions = []
    for model in (cli_model, edited):
        for fmt in ("sqlite", "jsonl"):  # recorded in the file; from --model
            tagged, tasks = tmp_path / f"{len(versions)}.{fmt}", tmp_path / f"{len(versions)}.json"
            assert main(["-q", "tag", str(root / "seeds"), "--model", model, "-o", str(tagged)]) == 0
            assert main(["-q", "labels", "export", str(tagged), "--to", "labelstudio", "-o", str(tasks),
                         "--model", model]) == 0
            found = {p["model_version"] for task in json.loads(tasks.read_text(encoding="utf-8"))
                     for p in task.get("predictions", [])}
            assert found == {f"tagger {provenance(load_model(model))['tagger_version']}, data seed-only te, "
                             f"thresholds+scoring {settings_digest(provenance(load_model(model)))}"}
            versions.append(found.pop())
    assert versions[0] == versions[1] != versions[2] == versions[3]


def test_labels_export_warns_about_model_only_when_it_is_not_the_files_own(cli_model, root, tmp_path, caplog,
                                                                            request, edited_thresholds):
    tagged = tmp_path / "tagged.sqlite"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(tagged)]) == 0
    copy = tmp_path / "copy" / "tagger.npz"  # the same model, elsewhere
    copy.parent.mkdir()
    shutil.copy(cli_model, copy)
    shutil.copy(manifest_path(cli_model), manifest_path(copy))
    edited = edited_thresholds(elderly_care=0.999)
    package = logging.getLogger("tagger")  # main() keeps the package's messages from the root logger's caplog
    package.addHandler(caplog.handler)
    request.addfinalizer(lambda: package.removeHandler(caplog.handler))
    for model, said in ((cli_model, None), (str(copy), None),
                        (edited, r"which differs \(threshold elderly_care 0\.999, not 0\.\d+\)"),
                        (str(tmp_path / "none.npz"), r"--model .*none\.npz is not used .*cannot be read either: .*no")):
        caplog.clear()
        out = tmp_path / "tasks.json"
        assert main(["labels", "export", str(tagged), "--to", "labelstudio", "-o", str(out), "--model", model,
                     "--force"]) == 0
        warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and r.name.endswith("annotation_cli")]
        assert not [r for r in caplog.records if r.name.endswith("persistence")]  # --model's load: not used, not said
        if said is None:
            assert not warned, warned
        else:
            assert len(warned) == 1 and re.search(said, warned[0]), (model, warned)


# ----------------------------------------------------------------------------- the record's review, second round
def test_deciding_a_frame_again_finds_the_evidence_of_its_new_labels(cli_model, tmp_path, edited_thresholds):
    """decide_frame left the evidence column stale: a row's labels changed, its evidence kept the old keys, and a
    label gained had none."""
    import pandas as pd

    from tagger.pipeline import decide_frame, tag_frame

    model = load_model(cli_model)
    frame = tag_frame(model, pd.DataFrame(REPORTS), id_column="id", evidence=True)
    strict = load_model(edited_thresholds(elderly_care=0.999, business_connection_speed=0.01))
    again = decide_frame(strict, frame)
    assert again["labels"].tolist() != frame["labels"].tolist(), "the case needs labels that change"
    for text, labels, evidence in zip(again["text"], again["labels"], again["evidence"]):
        assert sorted(evidence) == sorted(labels)
        assert evidence == {lab: model.evidence(text, lab) for lab in labels}
    with pytest.raises(ValueError, match=r"an evidence column but no text column.*drop\(columns='evidence'\)"):
        decide_frame(strict, frame.drop(columns="text"))
    assert "evidence" not in decide_frame(strict, frame.drop(columns=["text", "evidence"])).columns


def test_decide_warns_only_when_the_thresholds_differ_and_checks_its_input_first(cli_model, other_model, tmp_path, edited_thresholds):
    """Tagger.decide warned when only the model file, a scoring setting or the user words differed, though the labels
    are the thresholds' alone; and it warned before refusing scores it could not use."""
    import warnings

    import pandas as pd

    from tagger.model.persistence import frame_record
    from tagger.pipeline import tag_frame

    frame = tag_frame(load_model(cli_model), pd.DataFrame(REPORTS), id_column="id")
    scores = frame.filter(like="score_")
    words = load_model(cli_model).user_words
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for model in (load_model(cli_model).set_params(suppress_plans=False), load_model(other_model),
                      load_model(cli_model).set_params(user_words=(*words, "线路更换"))):
            assert model.decide(scores) == model.decide(scores.to_numpy())
        bad = scores.assign(score_elderly_care=2.0)
        assert frame_record(bad) is not None
        strict = load_model(edited_thresholds(elderly_care=0.999))
        with pytest.raises(ValueError, match="scores must be numbers from 0 to 1"):
            strict.decide(bad)  # refused, and no warning first


def test_a_model_that_kept_no_trained_words_is_not_taken_to_have_changed_them(cli_model, tmp_path):
    """A Tagger pickled before the record kept its trained words reported its own words as set after training: another
    digest, and tagger stats called one model two."""
    from tagger.analysis.stats import same_model

    own = provenance(load_model(cli_model))
    old = load_model(cli_model)
    del old.fitted_user_words_  # as a model pickled by an earlier tagger comes back
    record = provenance(old)
    assert record["user_words"]["trained"] is None
    assert settings_digest(record) == settings_digest(own) and same_model(record, own)
    assert "user words" not in describe_provenance(record)
    old.save(tmp_path / "old.npz")  # nothing known to have changed: saved as it is


def test_the_user_words_order_changes_neither_the_record_nor_the_model(cli_model, tmp_path):
    """The words' digest depended on their order: the same words reversed gave the same scores but another digest,
    stats said another model, and save refused with 'changed after fit (204 -> 204 words)'."""
    from tagger.analysis.stats import same_model

    model = load_model(cli_model)
    words = model.user_words
    reordered = load_model(cli_model).set_params(user_words=tuple(reversed(words)))
    assert (reordered.predict_proba(TEXTS) == model.predict_proba(TEXTS)).all()
    assert provenance(reordered) == provenance(model) and same_model(provenance(reordered), provenance(model))
    reordered.save(tmp_path / "reordered.npz")
    changed = load_model(cli_model).set_params(user_words=(*words[1:], "线路更换"))
    said = rf"changed after fit \(1 added \('线路更换'\); 1 removed \({re.escape(repr(words[0]))}\)\)"
    with pytest.raises(ValueError, match=said):
        changed.save(tmp_path / "changed.npz")


def test_decide_frame_takes_the_record_of_a_parquet_file_read_with_pandas(cli_model, root, tmp_path, edited_thresholds):
    """decide_frame refused a Parquet file tagger tag wrote, read with pd.read_parquet, as if it recorded no model."""
    import pandas as pd

    from tagger.pipeline import decide_frame

    tagged = tmp_path / "tagged.parquet"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "-o", str(tagged)]) == 0
    df = pd.read_parquet(tagged)
    strict = load_model(edited_thresholds(elderly_care=0.999))
    with pytest.raises(ValueError, match=r"record=tagger\.data\.tagged\.model_record\(path\)"):
        decide_frame(strict, df)
    again = decide_frame(strict, df, record=model_record(tagged))
    assert again["labels"].tolist() == strict.decide(df.filter(like="score_").to_numpy())
    assert again.attrs["tagger"]["model"]["thresholds"] == provenance(strict)["thresholds"]
    with pytest.raises(ValueError, match="record is no model record"):
        decide_frame(strict, df, record={"thresholds": {}})


def test_stats_says_when_a_file_records_no_user_words(cli_model, tmp_path):
    """The about sheet's 'model user words' row was an empty cell for a file of an earlier tagger."""
    import pandas as pd

    from tagger.pipeline import tag_frame

    frame = tag_frame(load_model(cli_model), pd.DataFrame(REPORTS), id_column="id")
    del frame.attrs["tagger"]["model"]["user_words"]  # as an earlier tagger recorded it
    frame.to_parquet(tmp_path / "earlier.parquet")
    stats = tmp_path / "stats.xlsx"
    assert main(["-q", "stats", str(tmp_path / "earlier.parquet"), "-o", str(stats)]) == 0
    about = dict(openpyxl.load_workbook(stats)["about"].iter_rows(values_only=True))
    assert about["model user words"].startswith("not recorded")


def test_one_notion_of_the_same_model(cli_model):
    """same_model (sha256 and digest) and record_differences could disagree: a record of an earlier tagger (no user
    words: the model's own) and one with user words set after training were 'different' to one, alike to the other."""
    from tagger.analysis.stats import same_model
    from tagger.model.persistence import record_differences
    from tagger.model.tagger import param_defaults

    own = provenance(load_model(cli_model))
    earlier = {k: v for k, v in own.items() if k != "user_words"}
    words = load_model(cli_model).user_words
    changed = provenance(load_model(cli_model).set_params(user_words=(*words, "线路更换")))
    assert not same_model(earlier, changed)
    sha = changed["user_words"]["sha256"][:12]
    assert record_differences(earlier, changed) == [f"user words set after training {len(words) + 1} (sha256 {sha}), "
                                                    "not the model file's own"]
    assert same_model(earlier, own) and not record_differences(earlier, own)
    assert param_defaults() == Tagger().get_params()


def test_files_tagged_under_other_word_lists_are_not_one_models(cli_model, root, tmp_path):
    """The role cues' and rules' word lists are code: a tagger whose lists changed tags otherwise with the same file
    and settings (a word added to or taken from a list). A tagged file's record carries them; stats tells the two
    apart, and a record of an earlier tagger, without them, is not compared."""
    from tagger.analysis.stats import same_model
    from tagger.model.persistence import record_differences

    out = tmp_path / "tagged.sqlite"
    assert main(["-q", "tag", str(root / "seeds"), "--model", str(cli_model), "-o", str(out)]) == 0
    record = model_record(out)
    assert record["word_lists"] == word_lists_sha256() == provenance(load_model(cli_model))["word_lists"]
    other = {**record, "word_lists": "0" * 64}
    assert not same_model(record, other) and settings_digest(record) == settings_digest(other)
    assert record_differences(record, other) == [
        f"the role-cue and rule word lists of another tagger (000000000000, not {word_lists_sha256()[:12]})"]
    earlier = {k: v for k, v in record.items() if k != "word_lists"}
    assert same_model(record, earlier) and same_model(earlier, record)
