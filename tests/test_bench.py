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


def test_suggest_corpus_is_our_authored_text_recombined_and_never_a_labelled_row():
    """tagger suggest's benchmark corpus: distinct paragraphs, the same for a seed, each our authored sentences
    joined (or an authored row with other numbers), none a labelled row as it is (suggest would leave it out)."""
    import re

    corpus = bench.suggest_corpus(300, seed=4)
    assert corpus == bench.suggest_corpus(300, seed=4) and len(set(corpus)) == 300
    authored = bench.authored_texts()
    assert not set(corpus) & set(authored)
    masked = lambda text: re.sub("[0-9]+", "#", text)  # noqa: E731
    rows = {masked(t) for t in authored}
    sentences = {masked(s) for t in authored for s in re.split(r"(?<=[。！？])", t) if s.strip()}

    def ours(text: str) -> bool:  # a row with other numbers, or authored sentences end to end
        if text in rows:
            return True
        reached = {0}
        for start in range(len(text)):
            if start in reached:
                reached |= {end for end in range(start + 1, len(text) + 1) if text[start:end] in sentences}
        return len(text) in reached

    assert all(ours(masked(p)) for p in corpus)
    assert sum(masked(p) in rows for p in corpus) > 30  # one template's variants: suggest takes them for one


def test_write_reports_groups_paragraphs_into_reports(tmp_path):
    path = bench.write_reports(tmp_path / "r.jsonl", (f"段落{i}。" for i in range(7)), per_report=3)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows == [{"id": "r0", "text": "段落0。\n段落1。\n段落2。"}, {"id": "r1", "text": "段落3。\n段落4。\n段落5。"},
                    {"id": "r2", "text": "段落6。"}]


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


def test_interleaved_also_records_cpu_time_when_asked():
    cpu = {}
    times = bench.interleaved({"a": lambda: sum(range(10_000)), "b": lambda: None}, rounds=2, cpu=cpu)
    assert {k: len(v) for k, v in cpu.items()} == {"a": 2, "b": 2} and set(times) == {"a", "b"}


def _results():
    return {"cold_start": {"tag_seconds": 0.31, "bare_seconds": 0.25, "ratio": 1.24, "tag_peak_rss_mb": 99.6,
                           "bare_peak_rss_mb": 80.2, "rounds": 5},
            "load": {"seconds": 0.0123},
            "throughput": {"paragraphs": 1000, "chars_per_second": 1.234e6, "paragraphs_per_second": 17_900.0,
                           "rjieba_chars_per_second": 3.5e6, "ratio_to_rjieba": 0.35},
            "jobs": {"paragraphs": 1000, "jobs1_seconds": 2.0, "jobs2_seconds": 1.1, "speedup": 1.82},
            "stream": {"paragraphs": 5000, "seconds": 7.4, "peak_rss_mb": 150.0},
            "train": {"paragraphs": 42, "seconds": 3.25},
            "suggest": {"paragraphs": 2000, "rounds": 3, "50": {"seconds": 4.04, "peak_rss_mb": 301.2},
                        "200": {"seconds": 12.96, "peak_rss_mb": 420.7}}}


def test_readme_speed_table_comes_from_the_results(tmp_path):
    block = bench.readme_block(_results())
    assert "| `tagger tag` one seed report in a new process (median of 5) | 0.31 s wall, peak 100 MB |" in block
    assert "1.23 M characters/s, 17.9 k paragraphs/s" in block and "(tagger at 0.35 of it)" in block
    assert "(1,000 paragraphs), `--jobs 1` / `--jobs 2` | 2.0 s / 1.1 s (1.82x)" in block
    assert "`python train.py --no-cv` (42 paragraphs) | 3.2 s" in block
    assert ("(2,000 paragraphs of our authored text recombined), `--n 50` / `--n 200` (median of 3) | 4.0 s / 13.0 s, "
            "peak 301 / 421 MB |") in block
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{bench.README_START}\nold table\n{bench.README_END}\n\nafter\n", encoding="utf-8")
    assert bench.update_readme(readme, _results()) is True
    text = readme.read_text(encoding="utf-8")
    assert "old table" not in text and block in text and text.endswith("\n\nafter\n")
    assert bench.update_readme(readme, _results()) is False  # the same results: nothing rewritten


def test_readme_without_markers_is_refused(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no table\n", encoding="utf-8")
    with pytest.raises(ValueError, match="is there 0 times, not once"):
        bench.update_readme(readme, _results())


def test_the_committed_readme_has_the_speed_table_markers(root):
    text = (root / "README.md").read_text(encoding="utf-8")
    assert text.count(bench.README_START) == 1 and text.count(bench.README_END) == 1


def test_a_quick_run_never_replaces_the_published_figures():
    """A --quick run wrote its 10 k-paragraph figures over bench/results.json, which README's table quotes as the
    last full run."""
    assert bench.results_path(partial=False).name == "results.json"
    assert bench.results_path(partial=True).name == "results_quick.json"


def test_a_quick_run_prints_its_table_as_its_own():
    """A --quick run printed its table headed "last full run, `bench/results.json`", figures of 10 k paragraphs
    under the name of the published file it leaves as it is. A partial run's table names the run and its file."""
    quick = bench.readme_block(_results(), bench.run_source("bench/results_quick.json", quick=True))
    assert quick.startswith("| what you do (this --quick run, `bench/results_quick.json`) | result |")
    assert "last full run" not in quick
    assert bench.run_source("x.json", paragraphs=5000) == "this --paragraphs run, `x.json`"
    assert bench.run_source("elsewhere.json") == "this run, `elsewhere.json`"
    full = bench.run_source(str(bench.results_path(partial=False)))
    assert bench.readme_block(_results(), full) == bench.readme_block(_results())  # README's table, as --update-readme


def test_retag_measures_each_format_and_gets_the_same_bytes_again(cli_model, tmp_path):
    results = bench.bench_retag(Path(cli_model), tmp_path, 30, 10)
    assert results["paragraphs"] == 30 and results["xlsx_paragraphs"] == 10
    for fmt in ("jsonl", "csv", "xlsx"):
        r = results[fmt]
        assert r["tag_seconds"] > 0 and r["retag_seconds"] > 0 and r["retag_peak_rss_mb"] > 0 and r["mb"] > 0
        assert r["same_bytes"] is (None if fmt == "xlsx" else True)
