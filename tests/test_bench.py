"""Smoke test of bench/bench_tagging.py on a tiny input: every measurement runs and the results have
the documented structure. No timing is asserted (machines differ)."""

import importlib.util
import json
import sys

import pytest


@pytest.fixture(scope="module")
def bench(root):
    path = root / "bench" / "bench_tagging.py"
    spec = importlib.util.spec_from_file_location("bench_tagging", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_tagging"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("bench_tagging", None)


@pytest.fixture(scope="module")
def model_file(seed_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("bench-model") / "tagger.joblib"
    seed_model.save(path)
    return path


def test_corpora_are_deterministic_and_sized(bench, root):
    base = bench.base_paragraphs(root)
    assert len(base) > 600 and all(isinstance(p, str) and p for p in base)
    rep = bench.replicate(base, 5000)
    assert sum(map(len, rep)) >= 5000 > sum(map(len, rep[:-1]))
    a, b = bench.synthetic_corpus(base, 300), bench.synthetic_corpus(base, 300)
    assert a == b and len(a) == 300
    pool = set(bench.sentences(base))
    assert all(any(s in p for s in pool) for p in a[:20])


def test_benchmark_runs_end_to_end_on_tiny_input(bench, model_file, tmp_path):
    res = bench.run(model_file, corpus_chars=3000, synthetic_n=60, rss_paragraphs=120, repeats=2,
                    train=False, fresh=False, rss_chunk=50, rss_baseline=False, log=lambda msg: None)
    assert res["model_warnings"] == []
    for name in ("replicated", "synthetic"):
        c = res["corpora"][name]
        for key in ("end_to_end", "end_to_end_one_thread", "bare_rjieba", "bare_jieba", "naive_jieba_tfidf"):
            m = c[key]
            assert m["seconds"] > 0 and m["chars_per_s"] > 0 and m["paragraphs"] == c["paragraphs"]
        assert set(c["ratios"]) == {"end_to_end_vs_bare_rjieba", "end_to_end_vs_naive_jieba",
                                    "bare_rjieba_vs_bare_jieba", "one_thread_vs_bare_rjieba",
                                    "one_thread_vs_bare_rjieba_cpu"}
        rounds = c["bare_rjieba"]["runs"], c["end_to_end"]["runs"], c["end_to_end_one_thread"]["runs"]
        assert [len(r) for r in rounds] == [2, 2, 2]  # interleaved, one run of each per round
        assert c["end_to_end_one_thread"]["threads"] == 1
    assert res["load"]["seconds"] > 0 and len(res["load"]["runs"]) == 5
    rss = res["stream_rss"]
    assert rss["paragraphs"] == 120 and rss["chunk"] == 50
    assert 20 < rss["peak_rss_mb"] < 4000 and rss["baseline_rss_mb"] is None
    t = res["targets"]
    assert set(t) == set(bench.TARGETS)
    assert t["train_seconds"]["verdict"] is None  # not measured
    assert t["load_seconds"]["verdict"] in ("PASS", "MISS")
    assert "not 1 M" in t["peak_rss_mb"]["note"]
    table = bench.format_table(res)
    assert "targets (issue 4)" in table and "bare rjieba" in table
    out = tmp_path / "results.json"
    bench.write_results(res, out)
    assert json.loads(out.read_text(encoding="utf-8"))["targets"] == json.loads(json.dumps(t))


def test_interleaved_rounds_rotate_the_order_and_ratios_are_taken_per_round(bench):
    calls = []
    fns = {name: (lambda name=name: calls.append(name)) for name in ("a", "b", "c")}
    out = bench.timed_rounds(fns, rounds=4)
    assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b", "a", "b", "c"]
    assert all(len(out[n]["runs"]) == len(out[n]["cpu_runs"]) == 4 for n in fns)
    # throughput of "slow" relative to "ref", round by round: 1/2, 1/4, 1/2 -> median 1/2 (the
    # medians of the times alone would give 2/6 = 1/3)
    ref, slow = {"runs": [1.0, 2.0, 3.0]}, {"runs": [2.0, 8.0, 6.0]}
    assert bench.round_ratio(ref, slow) == 0.5
