"""The benchmark script's own pieces work (its numbers are never asserted: machines differ)."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import bench_tagging as bench  # noqa: E402


def test_synthetic_paragraphs_are_deterministic_and_recombine_real_sentences():
    a, b = bench.synthetic(50, seed=3), bench.synthetic(50, seed=3)
    assert a == b and len(a) == 50 and all(a)
    sentences, _ = bench.base_sentences()
    known = set(sentences)
    assert all(any(s in p for s in known) for p in a[:10])


def test_write_jsonl_groups_paragraphs_into_reports(tmp_path):
    path = bench.write_jsonl(tmp_path / "c.jsonl", 12, per_report=5)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [len(r["text"].split("\n")) for r in rows] == [5, 5, 2]
    assert len({r["id"] for r in rows}) == 3


def test_interleaved_rotates_the_order_and_times_every_round():
    calls = []
    times = bench.interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, rounds=3)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert {k: len(v) for k, v in times.items()} == {"a": 3, "b": 3}
    assert bench.median_ratio([2.0, 4.0, 6.0], [1.0, 1.0, 2.0]) == 3.0


def test_run_child_reports_time_and_memory_and_fails_loudly():
    wall, rss = bench.run_child([sys.executable, "-c", "import time; x = bytearray(30_000_000); time.sleep(0.5)"])
    assert wall > 0 and rss >= 30
    with pytest.raises(RuntimeError, match="boom"):
        bench.run_child([sys.executable, "-c", "raise SystemExit('boom')"])
