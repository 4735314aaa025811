"""tools/release_on_devset.py: an earlier release and the current model scored on the same dev paragraphs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from tagger.data.examples import Example

TOOL = Path(__file__).resolve().parents[1] / "tools" / "release_on_devset.py"


@pytest.fixture()
def tool():
    spec = importlib.util.spec_from_file_location("release_on_devset_under_test", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_paired_gain_is_zero_for_the_same_predictions_and_one_from_nothing_to_all(tool):
    y = np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 1, 0], [1, 0, 0, 0, 1]], bool)
    docs = ["a", "a", "b", "c"]
    assert tool.paired_gain(y, y, y, docs, n_boot=50) == (0.0, 0.0, 0.0)
    point, lo, hi = tool.paired_gain(y, np.zeros_like(y), y, docs, n_boot=50)
    assert point == lo == hi == 1.0
    half = y.copy()
    half[2:] = False  # right on report a, nothing on b and c
    point, lo, hi = tool.paired_gain(y, half, y, docs, n_boot=200)
    assert 0 < point < 1 and lo <= point <= hi <= 1


def test_the_report_scores_each_model_with_its_own_thresholds_and_ranking(tool):
    """Each model decides at its own thresholds and its review curve follows its own release's ranking: swapping
    the thresholds, or the two rankings, changes the figures asserted here."""
    labels = [("elderly_care",), ("old_neighbourhood_retrofit", "volunteer_work"), (), ("business_connection_speed",)]
    examples = [Example(f"d{i}:0", f"d{i}", "t", lab, "dev", 0) for i, lab in enumerate(labels)]
    y = np.array([[lab in e.labels for lab in tool.LABELS] for e in examples])
    # the release says yes to everything at its threshold 0.3 (at the current model's 0.45 it would say yes to
    # nothing but d1); d0 is nearest a threshold, d1 has the most expected wrong decisions
    scores = np.array([[0.31] + [0.9] * 4, [0.5] * 5, [0.95] * 5, [0.95] * 5])
    release = (scores, np.full(5, 0.3))
    current = (np.where(y, 0.5, 0.1), np.full(5, 0.45))  # right everywhere at 0.45, wrong everywhere at 0.3
    mix = {"d0": "positive", "d1": "positive", "d2": "hard_negative", "d3": "positive"}
    text = tool.report(examples, release, current, mix, "4 real paragraphs of 4 reports", "abc1234")
    assert "4 real paragraphs of 4 reports; 1 paragraphs of 1 hard-negative reports." in text
    assert "| release abc1234 | 0.333 [" in text  # 4 right of 4 gold, 16 wrong yes: 8 / 24
    assert "| current model | 1.000 [1.00, 1.00] | 1.000 |" in text
    assert "paired report bootstrap): +0.667 [" in text
    rows = {line.split(" | ")[0][2:]: line for line in text.splitlines()
            if line.startswith("| ") and " % |" not in line}
    by_distance = tool.review_curve(y, scores >= 0.3, tool.distance(*release), [e.doc for e in examples],
                                    shares=list(tool.SHARES), n_boot=10)["micro_f1"]
    by_margin = tool.review_curve(y, scores >= 0.3, tool.margin(*release), [e.doc for e in examples],
                                  shares=list(tool.SHARES), n_boot=10)["micro_f1"]
    assert by_distance[3] != by_margin[3]  # 20 %: one paragraph, d0 or d1
    curve = [float(cell.split(" [")[0]) for cell in rows["release abc1234"].strip("| ").split(" | ")[1:]]
    assert curve[0] == 0.333 and curve == [round(v, 3) for v in by_distance]


def test_without_dev_texts_it_says_why_and_builds_nothing(tool, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    monkeypatch.setattr(tool, "build_release", lambda *a: pytest.fail("built the release"))
    assert tool.main(["--work", str(tmp_path / "w")]) == 1
    assert "cannot score: no dev set" in capsys.readouterr().err
