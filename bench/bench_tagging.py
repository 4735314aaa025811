"""What users feel: start time, one report, a corpus, ``--jobs``, memory, training.

Run from the repository root::

    python bench/bench_tagging.py            # full run (~5 minutes): 100 k paragraphs, 1 M streamed
    python bench/bench_tagging.py --quick    # 10 k paragraphs, 50 k streamed (~1 minute)

Measured, each in the same run:

* **cold start**: ``tagger tag <seed report>`` in a new process (wall time and peak RSS, median of 5),
  interleaved with a bare ``import numpy, rjieba, opencc`` plus one segmentation — the floor any
  Python tagger with these libraries pays — and their ratio (median of the per-round ratios: this
  shared machine's speed drifts within minutes);
* ``tagger.load()`` in process (median of 5);
* **throughput**: ``model.predict_proba`` from raw text on a synthetic corpus (paragraphs recombined
  from the sentences of the seed reports and the authored text: the real length distribution),
  characters per second, interleaved with bare rjieba segmentation of the same text;
* ``tagger tag`` on a generated JSONL corpus with ``--jobs 1`` and ``--jobs 2`` (wall time, output discarded);
* peak RSS of ``tagger tag`` streaming ``--paragraphs`` JSONL paragraphs;
* ``python train.py --no-cv`` wall time.

Results go to ``bench/results.json``. No test asserts on these numbers: machines differ.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def base_sentences(root: Path = ROOT) -> tuple[list[str], list[int]]:
    """Sentences of the seed and authored paragraphs, and the sentence count of each paragraph."""
    from tagger.training import load_resources

    paragraphs = [e.text for e in load_resources(root).examples]
    sentences, counts = [], []
    for p in paragraphs:
        parts = [s + "。" for s in p.replace("\n", "").split("。") if s.strip()]
        sentences += parts
        counts.append(max(len(parts), 1))
    return sentences, counts


def iter_synthetic(sentences: Sequence[str], counts: Sequence[int], seed: int = 0) -> Iterator[str]:
    """Endless paragraphs: each takes the sentence count of a random real paragraph and that many random sentences."""
    rng = random.Random(seed)
    while True:
        yield "".join(rng.choice(sentences) for _ in range(rng.choice(counts)))


def synthetic(n: int, seed: int = 0) -> list[str]:
    sentences, counts = base_sentences()
    it = iter_synthetic(sentences, counts, seed)
    return [next(it) for _ in range(n)]


def write_jsonl(path: Path, n: int, seed: int = 1, per_report: int = 5) -> Path:
    """``n`` synthetic paragraphs as JSONL reports of ``per_report`` paragraphs each."""
    sentences, counts = base_sentences()
    it = iter_synthetic(sentences, counts, seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(0, n, per_report):
            text = "\n".join(next(it) for _ in range(min(per_report, n - i)))
            fh.write(json.dumps({"id": f"r{i // per_report}", "text": text}, ensure_ascii=False) + "\n")
    return path


def _hwm_mb(pid: int) -> float:
    """The process's peak resident memory so far (``VmHWM``; 0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_child(args: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a child process. The peak is polled from ``/proc`` (``VmHWM``
    of the program itself): the rusage of a child also counts the parent's memory it shared between
    fork and exec, which would measure the benchmark, not the command."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _hwm_mb(proc.pid))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {err[-500:]}")
    return wall, peak


def interleaved(fns: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Wall seconds of each function per round, the order rotated every round."""
    names = list(fns)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - start)
    return times


def median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b))


def bench_cold_start(model: Path, rounds: int) -> dict:
    report = str(sorted((ROOT / "seeds").glob("*.txt"))[0])
    rss: dict[str, list[float]] = {"tag": [], "bare": []}
    bare = ("import numpy, rjieba, opencc; opencc.OpenCC('t2s'); "
            f"rjieba.Jieba().cut(open({report!r}, encoding='utf-8').read(), True)")

    def tag() -> None:
        rss["tag"].append(run_child([sys.executable, "-m", "tagger", "-q", "tag", report, "--model", str(model)])[1])

    def floor() -> None:
        rss["bare"].append(run_child([sys.executable, "-c", bare])[1])

    times = interleaved({"tag": tag, "bare": floor}, rounds)
    return {"tag_seconds": statistics.median(times["tag"]), "bare_seconds": statistics.median(times["bare"]),
            "ratio": median_ratio(times["tag"], times["bare"]), "tag_peak_rss_mb": statistics.median(rss["tag"]),
            "bare_peak_rss_mb": statistics.median(rss["bare"]), "rounds": rounds}


def bench_load(model: Path, repeats: int = 5) -> dict:
    import tagger

    tagger.load(model)  # warm: imports and the file cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tagger.load(model)
        times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times), "repeats": repeats}


def bench_throughput(model_path: Path, texts: list[str], rounds: int) -> dict:
    import rjieba

    import tagger

    model = tagger.load(model_path)
    model.predict_proba(texts[:100])  # warm: dictionaries, OpenCC
    seg = rjieba.Jieba()
    joined = "\n".join(texts)
    seg.cut(joined[:1000], True)
    times = interleaved({"tagger": lambda: model.predict_proba(texts), "rjieba": lambda: seg.cut(joined, True)},
                        rounds)
    chars = sum(map(len, texts))
    return {"paragraphs": len(texts), "characters": chars,
            "chars_per_second": chars / statistics.median(times["tagger"]),
            "paragraphs_per_second": len(texts) / statistics.median(times["tagger"]),
            "rjieba_chars_per_second": chars / statistics.median(times["rjieba"]),
            "ratio_to_rjieba": median_ratio(times["rjieba"], times["tagger"]), "rounds": rounds}


def bench_jobs(model: Path, corpus: Path, rounds: int) -> dict:
    def tag(jobs: int) -> Callable[[], None]:
        return lambda: run_child([sys.executable, "-m", "tagger", "-q", "tag", str(corpus), "--model", str(model),
                                  "--jobs", str(jobs), "--format", "jsonl", "-o", os.devnull])

    times = interleaved({"jobs1": tag(1), "jobs2": tag(2)}, rounds)
    return {"jobs1_seconds": statistics.median(times["jobs1"]), "jobs2_seconds": statistics.median(times["jobs2"]),
            "speedup": median_ratio(times["jobs1"], times["jobs2"]), "rounds": rounds}


def bench_stream(model: Path, corpus: Path, n: int) -> dict:
    wall, rss = run_child([sys.executable, "-m", "tagger", "-q", "tag", str(corpus), "--model", str(model),
                           "--format", "jsonl", "-o", os.devnull])
    return {"paragraphs": n, "seconds": wall, "peak_rss_mb": rss}


def bench_train(out: Path) -> dict:
    wall, rss = run_child([sys.executable, "train.py", "--no-cv", "-q", "--out", str(out)])
    return {"seconds": wall, "peak_rss_mb": rss}


def machine() -> dict:
    from importlib.metadata import version

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?") \
        if Path("/proc/cpuinfo").exists() else "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "python": sys.version.split()[0],
            **{lib: version(lib) for lib in ("numpy", "rjieba", "opencc", "scikit-learn")}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 k paragraphs, 50 k streamed")
    parser.add_argument("--paragraphs", type=int, help="paragraphs streamed for the memory figure")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    n_corpus = 10_000 if args.quick else 100_000
    n_stream = args.paragraphs or (50_000 if args.quick else 1_000_000)
    results: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tmp / "tagger.npz"
        print("training (python train.py --no-cv) ...", flush=True)
        results["train"] = bench_train(model)
        print("cold start ...", flush=True)
        results["cold_start"] = bench_cold_start(model, args.rounds)
        results["load"] = bench_load(model)
        print(f"throughput on {n_corpus:,} synthetic paragraphs ...", flush=True)
        results["throughput"] = bench_throughput(model, synthetic(n_corpus), min(args.rounds, 3))
        corpus = write_jsonl(tmp / "corpus.jsonl", n_corpus)
        print("--jobs 1 vs 2 ...", flush=True)
        results["jobs"] = bench_jobs(model, corpus, 3)
        print(f"streaming {n_stream:,} paragraphs ...", flush=True)
        results["stream"] = bench_stream(model, write_jsonl(tmp / "stream.jsonl", n_stream, seed=2), n_stream)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    c, t, j, s = results["cold_start"], results["throughput"], results["jobs"], results["stream"]
    print(f"""
| measurement | result |
|---|---|
| `tagger tag` one seed report, new process (median of {c['rounds']}) | {c['tag_seconds']:.2f} s, peak RSS {c['tag_peak_rss_mb']:.0f} MB |
| bare `import numpy, rjieba, opencc` + one segmentation | {c['bare_seconds']:.2f} s, peak RSS {c['bare_peak_rss_mb']:.0f} MB |
| ratio (median of per-round ratios) | {c['ratio']:.2f} |
| `tagger.load()` | {results['load']['seconds'] * 1000:.0f} ms |
| `predict_proba`, {t['paragraphs']:,} paragraphs, one process | {t['chars_per_second'] / 1e6:.2f} M chars/s ({t['paragraphs_per_second'] / 1e3:.1f} k paragraphs/s) |
| bare rjieba on the same text | {t['rjieba_chars_per_second'] / 1e6:.2f} M chars/s |
| `tagger tag` a generated JSONL corpus, --jobs 1 / --jobs 2 | {j['jobs1_seconds']:.1f} s / {j['jobs2_seconds']:.1f} s ({j['speedup']:.2f}x) |
| streaming {s['paragraphs']:,} paragraphs (`tagger tag`, JSONL) | {s['seconds']:.0f} s, peak RSS {s['peak_rss_mb']:.0f} MB |
| `python train.py --no-cv` | {results['train']['seconds']:.1f} s |
""")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
