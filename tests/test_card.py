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
    assert "10 labelled paragraphs: 4 from the five real seed reports and 6 written" in card


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
