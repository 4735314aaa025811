"""The model card written next to a trained model: its numbers come from the manifest and the report."""

import json

import pytest

from tagger.evaluation.card import card_path, model_card, write_model_card
from tagger.labels import LABELS


@pytest.fixture(scope="module")
def report(root):
    return json.loads((root / "reports" / "cv_report.json").read_text(encoding="utf-8"))


def _manifest(report, **extra):
    return {"tagger_version": "9.9", "format_version": 6, "data_hash": report["context"]["data_hash"],
            "thresholds": dict.fromkeys(LABELS, 0.3), "hyperparameters": report["context"]["hyperparameters"],
            "n_train": 10, "n_real": 4, "n_authored": 6, **extra}


def test_card_shows_the_reports_numbers_for_the_same_data(report):
    card = model_card(_manifest(report), report)
    run = next(r for r in report["dev"]["runs"] if r["system"] == "tagger")
    assert f"micro-F1 **{run['metrics']['micro_f1']:.3f}**" in card
    lo, hi = report["dev"]["bootstrap_ci"]["tagger"]["micro_f1"]
    assert f"[{lo:.2f}, {hi:.2f}]" in card
    for lab in LABELS:  # one row per label, measured or said to be unmeasured
        assert card.count(f"| {lab} |") == 1
        pl = run["metrics"]["per_label"][lab]
        assert (f"| {lab} | {pl['f1']:.3f} |" in card) if pl["support"] else (f"| {lab} | – |" in card)
    lodo = next(r for r in report["lodo"]["runs"] if r["system"] == "tagger")
    assert f"micro-F1 {lodo['metrics']['micro_f1']:.3f}" in card
    for section in ("## What it does", "**Intended use**", "**Not for**", "## Training data", "## How well it does",
                    "## Known failure modes", "## Retrain", "Authored → real"):
        assert section in card
    assert "10 labelled paragraphs: 4 real (from the seed reports, and any imported) and 6 written" in card


def test_card_counts_imported_paragraphs_apart_from_the_seed_reports(report):
    """After importing 4 reviewed paragraphs, train's card said "4,203 labelled paragraphs: 113 from the five real
    seed reports" while training printed 109 seed + 4 imported from 3 reports: imported paragraphs were counted as
    seed ones, and the seed reports' number was written in, not counted."""
    counts = {"n_train": 4203, "n_real": 113, "n_authored": 4090, "n_seed": 109, "seed_reports": 5, "n_imported": 4,
              "imported_reports": 3}
    card = model_card(_manifest(report, **counts), report)
    assert ("4,203 labelled paragraphs: 109 from the 5 real seed reports, 4 imported (real, reviewed) from 3 reports "
            "and 4,090 written") in card
    card = model_card(_manifest(report, **{**counts, "n_seed": 40, "seed_reports": 2, "n_imported": 0,
                                           "imported_reports": 0}), report)
    assert ": 40 from the 2 real seed reports and 4,090 written" in card and "five" not in card.split("## Training")[1]


def test_card_names_a_leave_one_report_out_run_that_scored_imported_reports_too(report):
    """Adversarial test: with labels/imported.jsonl, the report's leave-one-report-out run also scores the imported
    reports; the card called its pooled figure the seed reports' one (and measured the seed number's optimism
    with it). It now names both and gives each part apart."""
    import copy

    report = copy.deepcopy(report)
    pooled = next(r for r in report["lodo"]["runs"] if r["system"] == "tagger")["metrics"]["micro_f1"]
    report["lodo"]["parts"] = {"seed": {"reports": 5, "paragraphs": 109, "micro_f1": 0.839},
                               "imported": {"reports": 3, "paragraphs": 40, "micro_f1": 0.61}}
    card = model_card(_manifest(report), report)
    assert "**Seed reports, leave one report out**" not in card
    assert (f"**Seed and imported reports, leave one report out** (secondary: the lexicon and codebook were written "
            f"by people who read the seed reports; the imported reports (3) are real and reviewed): micro-F1 "
            f"{pooled:.3f}") in card
    assert "; the seed reports alone 0.839, the imported ones 0.610." in card
    dev = next(r for r in report["dev"]["runs"] if r["system"] == "tagger")["metrics"]["micro_f1"]
    assert f"the seed number overstates real accuracy by {0.839 - dev:.2f}" in card


def test_an_imported_part_with_no_label_present_is_not_read_as_total_failure(report):
    """Review: 2 imported reports, every paragraph none and all predicted right: train and the card said "micro-F1
    0.000, macro-F1 0.000 over the 0 labels present (2 reports, 2 paragraphs)", with no interval and no reason. F1
    is not defined there: the line says so, with how many label decisions were wrong; a missing interval says why."""
    import copy

    import numpy as np

    from tagger.data.examples import Example
    from tagger.evaluation.cv import CVRun, lodo_part_line, lodo_parts

    ex = [Example("s:0", "s", "a", ("elderly_care",)), Example("i:0", "i", "b", (), "imported"),
          Example("j:0", "j", "c", (), "imported")]
    y = np.array([[1, 0, 0, 0, 0], [0] * 5, [0] * 5])
    for pred, said in (([[1, 0, 0, 0, 0], [0] * 5, [0] * 5], "all predicted right"),
                       ([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 1, 1]], "3 wrong labels")):
        run = CVRun("tagger", "", "model", "lodo", {}, y_true=y, y_pred=np.array(pred), ids=["s:0", "i:0", "j:0"],
                    docs=["s", "i", "j"])
        imported = lodo_parts(run, ex, n_boot=50)["imported"]
        line = f"no label present in them: F1 is not defined (2 reports, 2 paragraphs, {said})"
        assert lodo_part_line(imported) == line
        card = model_card(_manifest(report, cv_imported_summary={**imported, "scheme": "imported LODO"}), None)
        assert f"Measured while training: imported LODO, {line}." in card and "0.000" not in card
        with_parts = copy.deepcopy(report)
        with_parts["lodo"]["parts"] = {"seed": {"reports": 5, "paragraphs": 109, "micro_f1": 0.839},
                                       "imported": imported}
        assert f"the imported ones {line}." in model_card(_manifest(report), with_parts)
    part = {"micro_f1": 0.5, "micro_f1_ci": None, "labels_supported": 1, "macro_f1_supported": 0.5, "reports": 3,
            "paragraphs": 3}
    assert lodo_part_line(part).startswith("micro-F1 0.500 (no interval: F1 is not defined in any resample")


def test_card_refuses_numbers_of_other_training_data(report):
    card = model_card(_manifest(report, data_hash="0" * 64), report)
    assert "made for other training data" in card and "micro-F1 **" not in card
    assert "No evaluation report found" in model_card(_manifest(report), None)


def test_card_is_written_beside_the_model(tmp_path, report, root):
    model = tmp_path / "m.npz"
    path = write_model_card(model, _manifest(report), root / "reports" / "cv_report.json")
    assert path == card_path(model) == tmp_path / "m.card.md"
    assert path.read_text(encoding="utf-8").startswith("# Model card: tagger 9.9 (`m.npz`)")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert "No evaluation report found" in write_model_card(model, _manifest(report), broken).read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_readme_links_the_committed_card(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "(models/tagger.card.md)" in readme and (root / "models" / "tagger.card.md").is_file()


@pytest.mark.parametrize("change, message", [
    ({"random_state": 7}, "made with --seed 0, this model with --seed 7: run `python evaluate.py --seed 7`"),
    ({"encoder": "use-multilingual-v3"}, "measured the model without the sentence encoder; this one was trained with it"),
])
def test_card_refuses_numbers_of_another_seed_or_encoder(report, change, message):
    """Review 3, finding 7: same data, another seed or the encoder: the card showed the report's numbers."""
    manifest = _manifest(report, hyperparameters={**report["context"]["hyperparameters"], **change})
    card = model_card(manifest, report)
    assert message in card and "micro-F1 **" not in card


def _model_with_card(tmp_path, seed_model, data_hash):
    model = seed_model.save(tmp_path / "prod" / "m.npz", data_hash=data_hash)
    card_path(model).write_text("old card\n", encoding="utf-8")
    return model


def test_evaluate_refreshes_only_the_card_of_a_model_trained_on_what_it_measured(tmp_path, seed_model, root,
                                                                               monkeypatch):
    """Review 3, finding 2: evaluate rewrote the card beside $TAGGER_MODEL, whatever that model was."""
    from tagger.apps.cli import _refresh_card

    report = json.loads((root / "reports" / "cv_report.json").read_text(encoding="utf-8"))
    model = _model_with_card(tmp_path, seed_model, "another model's data")
    monkeypatch.setenv("TAGGER_MODEL", str(model))
    _refresh_card(str(root), {"context": {"data_hash": report["context"]["data_hash"]}})
    assert card_path(model).read_text(encoding="utf-8") == "old card\n"  # other data: left alone
    card_path(model).unlink()
    _refresh_card(str(root), {"context": {"data_hash": "another model's data"}})
    assert not card_path(model).exists()  # no card beside a model copied elsewhere: none is added
    monkeypatch.delenv("TAGGER_MODEL")
    checkout = tmp_path / "checkout"  # the default model of --root, trained on what was measured: refreshed
    model = seed_model.save(checkout / "models" / "tagger.npz", data_hash=report["context"]["data_hash"])
    card_path(model).write_text("old card\n", encoding="utf-8")
    (checkout / "reports").mkdir()
    (checkout / "reports" / "cv_report.json").write_text(json.dumps(report), encoding="utf-8")
    _refresh_card(str(checkout), {"context": report["context"]})
    assert card_path(model).read_text(encoding="utf-8").startswith("# Model card")


def test_card_names_the_imported_reports_grouped_folds(report):
    """An import of 2,190 reports is cross-validated in grouped 10-fold, not a fold per report: the card said "leave
    one report out" of them; it names the folds as they were."""
    import copy

    from tagger.evaluation.cv import IMPORTED_FOLDS

    with_parts = copy.deepcopy(report)
    imported = {"reports": 2190, "folds": IMPORTED_FOLDS, "paragraphs": 3721, "micro_f1": 0.7, "labels_supported": 5}
    with_parts["lodo"]["parts"] = {"seed": {"reports": 5, "paragraphs": 109, "micro_f1": 0.839}, "imported": imported}
    card = model_card(_manifest(report), with_parts)
    assert (f"**Seed and imported reports, leave one seed report out, the imported reports in grouped "
            f"{IMPORTED_FOLDS}-fold** (secondary") in card
    with_parts["lodo"]["parts"]["imported"] = {**imported, "reports": 3, "folds": 3}
    assert "**Seed and imported reports, leave one report out** (secondary" in model_card(_manifest(report), with_parts)


def test_card_names_the_codebook_rules_the_model_applies(report):
    """Review of the power-sector rule: the card did not say that a report naming no power utility gets no label;
    it names each rule the model file has on, and only those."""
    hp = report["context"]["hyperparameters"]
    card = model_card(_manifest(report, hyperparameters={**hp, "require_power_sector": True}), report)
    assert "report of three or more body paragraphs that names no power utility" in card
    assert "headings and photo captions" in card and "open as a plan" in card
    off = model_card(_manifest(report, hyperparameters={**hp, "require_power_sector": False}), report)
    assert "names no power utility" not in off and "headings and photo captions" in off
    assert "a village paragraph of a report that names no compound" in card  # a manifest without it: on, as loaded
    village_off = model_card(_manifest(report, hyperparameters={**hp, "villages_not_compounds": False}), report)
    assert "village paragraph" not in village_off and "names no power utility" in village_off
    assert "farm households' supply that names no enterprise" in card
    farm_off = model_card(_manifest(report, hyperparameters={**hp, "farms_not_enterprises": False}), report)
    assert "farm households" not in farm_off and "village paragraph" in farm_off
    assert "closings that name no act of service" in card  # a manifest without it: on, as loaded
    closing_off = model_card(_manifest(report, hyperparameters={**hp, "suppress_closings": False}), report)
    assert "closings" not in closing_off and "open as a plan" in closing_off
