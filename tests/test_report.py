"""The cross-validation report (python evaluate.py): files, figures, intervals, ablations."""

import json
import shutil

import numpy as np
import pytest

from tagger.cli import main
from tagger.stats import document_bootstrap

ABLATIONS = {"tagger, seeds only", "no char n-grams", "no word n-grams", "no lexicon features",
             "no TF-IDF (lexicon features only)", "no user dictionary", "no tuned thresholds",
             "no class weighting", "no trad→simp normalisation", "no heading rule"}


@pytest.fixture(scope="module")
def report(tmp_path_factory, root):
    """Full default report on the project with a smaller authored supplement (fast)."""
    work = tmp_path_factory.mktemp("proj")
    for name in ("seeds", "labels"):
        shutil.copytree(root / name, work / name)
    authored = (work / "labels" / "authored.jsonl").read_text(encoding="utf-8").splitlines()
    (work / "labels" / "authored.jsonl").write_text("\n".join(authored[::4]) + "\n", encoding="utf-8")
    out = work / "reports"
    assert main(["evaluate", "--root", str(work), "--out", str(out), "--repeats", "1", "--jobs", "2"]) == 0
    return out, json.loads((out / "cv_report.json").read_text(encoding="utf-8"))


def test_report_files_and_json_keys(report):
    out, data = report
    assert {"context", "primary", "secondary", "authored_only", "bootstrap_ci", "learning_curve",
            "top_terms", "confident_errors", "figures"} <= set(data)
    assert data["primary"][0]["system"] == "tagger" and data["primary"][0]["scheme"] == "lodo"
    assert data["secondary"] and all(r["scheme"] == "kfold" for r in data["secondary"])
    ctx = data["context"]
    assert ctx["wall_time_s"] > 0 and ctx["hyperparameters"]["C"] > 0 and len(ctx["data_hash"]) == 64
    assert "scikit-learn" in ctx["versions"]
    md = (out / "cv_report.md").read_text(encoding="utf-8")
    for section in ("Leave-one-document-out", "All systems", "Per report", "Learning curve",
                    "Model insight", "Most confident out-of-fold errors", "Reproducibility"):
        assert section in md


def test_html_is_self_contained_with_figures(report):
    out, data = report
    html = (out / "cv_report.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == len(data["figures"]) == 4
    assert "http://" not in html and "https://" not in html
    for rel in data["figures"].values():
        assert (out / rel).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_confidence_intervals_contain_point_estimates(report):
    _, data = report
    m, ci = data["primary"][0]["metrics"], data["bootstrap_ci"]
    assert ci["unit"] == "document" and ci["n_boot"] >= 1000
    for key in ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"):
        lo, hi = ci[key]
        assert lo <= m[key] + 1e-9 and m[key] <= hi + 1e-9, key
    for lab, row in m["per_label"].items():
        lo, hi = ci["per_label"][lab]["f1"]
        assert lo <= row["f1"] + 1e-9 <= hi + 2e-9, lab


def test_baselines_and_every_ablation_present(report):
    _, data = report
    names = {r["system"] for r in data["primary"]}
    assert {"tagger", "empty", "keyword lexicon", "plain TF-IDF + LR @0.5"} <= names
    assert ABLATIONS <= names
    assert data["authored_only"][0]["system"] == "tagger, authored only"
    assert {r["system"] for r in data["authored_only"][1:]} == {f"authored only, {a}" for a in (
        "no char n-grams", "no word n-grams", "no TF-IDF (lexicon features only)", "no lexicon features")}
    assert all(r["metrics"]["n"] == 109 for r in data["primary"])  # only real paragraphs scored


def test_learning_curve_and_insight(report):
    _, data = report
    settings = {(p["setting"], p["n_docs"]) for p in data["learning_curve"]}
    assert ("seeds only", 1) in settings and ("with authored", 0) in settings and ("seeds only", 4) in settings
    for lab, terms in data["top_terms"].items():
        assert terms["positive"] and all(w > 0 for _, w in terms["positive"])
        assert all(w < 0 for _, w in terms["negative"])
    errors = data["confident_errors"]
    assert 0 < len(errors) <= 10
    assert errors == sorted(errors, key=lambda e: -e["margin"])
    assert all(set(e["gold"]) != set(e["predicted"]) for e in errors)


def test_no_plots(root, tmp_path):
    work = tmp_path / "proj"
    for name in ("seeds", "labels"):
        shutil.copytree(root / name, work / name)
    (work / "labels" / "authored.jsonl").unlink()
    assert main(["evaluate", "--root", str(work), "--out", str(tmp_path / "r"), "--no-plots", "--scheme", "lodo",
                 "--no-ablations", "--no-learning-curve", "--jobs", "1"]) == 0
    assert not (tmp_path / "r" / "figures").exists()
    assert "<img" not in (tmp_path / "r" / "cv_report.html").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "r" / "cv_report.json").read_text(encoding="utf-8"))
    assert [r["system"] for r in data["primary"]] == ["tagger", "empty", "keyword lexicon", "plain TF-IDF + LR @0.5"]


def test_document_bootstrap_properties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=(40, 5))
    p = y.copy()
    p[::7] = 1 - p[::7]
    docs = [f"d{i % 6}" for i in range(40)]
    a = document_bootstrap(y, p, docs, n_boot=300, seed=1)
    assert a == document_bootstrap(y, p, docs, n_boot=300, seed=1)  # deterministic
    lo, hi = a["micro_f1"]
    assert 0 <= lo <= hi <= 1
    perfect = document_bootstrap(y, y, docs, n_boot=100)
    assert perfect["micro_f1"] == (1.0, 1.0) and perfect["hamming_loss"] == (0.0, 0.0)
