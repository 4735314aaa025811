"""What users feel: start time, one report, a corpus, ``--jobs``, memory, training.

Run from the repository root::

    python bench/bench_tagging.py                   # full run (~7 minutes): 100 k paragraphs, 1 M streamed
    python bench/bench_tagging.py --quick           # 10 k paragraphs, 50 k streamed, suggest 5 k (~2 min; results_quick.json)
    python bench/bench_tagging.py --update-readme   # full run, then README's speed table from its results

Measured, each in the same run:

* **cold start**: ``tagger tag <seed report>`` in a new process (wall time and peak RSS, median of 5),
  with the package byte-compiled first as Python does on a user's first run (where
  ``PYTHONDONTWRITEBYTECODE`` is set, as on the development machine, nothing would be cached and every
  start would compile the package's sources again: about 0.05 s more here),
  interleaved with a bare ``import numpy, rjieba, opencc`` plus one segmentation — the floor any
  Python tagger with these libraries pays — and their ratio (median of the per-round ratios: this
  shared machine's speed drifts within minutes);
* ``tagger.load()`` in process (median of 5);
* **throughput**: ``model.predict_proba`` from raw text on a synthetic corpus (paragraphs recombined
  from the sentences of the seed reports and the authored text: the real length distribution),
  characters per second of wall time (and of the process's CPU time, which a busy shared machine
  inflates less), interleaved with bare rjieba segmentation of the same text;
* ``tagger tag`` on a generated JSONL corpus with ``--jobs 1`` and ``--jobs 2`` (wall time, output discarded);
* peak RSS of ``tagger tag`` streaming ``--paragraphs`` JSONL paragraphs;
* ``python train.py --no-cv`` wall time;
* ``tagger suggest`` on 20,000 paragraphs of our authored text recombined (:func:`suggest_corpus`), ``--n 50`` and
  ``--n 200`` (wall time, median of 3 interleaved rounds, and peak RSS);
* tagging a tagged file again (JSONL and CSV of the corpus, ``.xlsx`` of an eighth of it): wall time and peak RSS
  of the tagging and of the re-tagging, and the look ``tag -o FILE --force`` takes at the file it would replace.

Results go to ``bench/results.json``; ``--update-readme`` writes README's speed table from them
(between ``<!-- bench:start -->`` and ``<!-- bench:end -->``). No test asserts on these numbers:
machines differ.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    return write_reports(path, (next(it) for _ in range(n)), per_report)


def write_reports(path: Path, paragraphs: Iterable[str], per_report: int = 5) -> Path:
    """``paragraphs`` as a JSONL table of reports (``id``, ``text``) of ``per_report`` paragraphs each."""
    paragraphs = iter(paragraphs)
    with open(path, "w", encoding="utf-8") as fh:
        for i in itertools.count():
            report = list(itertools.islice(paragraphs, per_report))
            if not report:
                return path
            fh.write(json.dumps({"id": f"r{i}", "text": "\n".join(report)}, ensure_ascii=False) + "\n")


def authored_texts(root: Path = ROOT) -> list[str]:
    """Our own writing only: the texts of ``labels/authored*.jsonl`` and ``labels/pool/authored*.jsonl`` (no real
    report text), read as training reads them (:func:`tagger.data.examples.load_jsonl`)."""
    from tagger.data.examples import AUTHORED_GLOB, load_jsonl

    files = sorted([*(root / "labels").glob(AUTHORED_GLOB), *(root / "labels" / "pool").glob(AUTHORED_GLOB)])
    return [ex.text for f in files for ex in load_jsonl(f, source="authored")]


_NUMBER = re.compile(r"[0-9]+")


def suggest_corpus(n: int, seed: int = 0, root: Path = ROOT) -> list[str]:
    """``n`` distinct paragraphs made of our authored text (:func:`authored_texts`) for ``tagger suggest``: three in
    four recombine sentences of different rows (a random row's sentence count of random sentences), one in four is a
    row with its numbers changed (one template's variants, which ``suggest`` takes for one paragraph); none is a
    labelled row as it is (``suggest`` would leave it out)."""
    rng = random.Random(seed)
    texts = authored_texts(root)
    labelled = set(texts)
    split = [[s for s in re.split(r"(?<=[。！？])", t) if s.strip()] or [t] for t in texts]
    sentences = [s for parts in split for s in parts]
    out: dict[str, None] = {}
    while len(out) < n:
        if rng.random() < 0.25:
            text = _NUMBER.sub(lambda m: str(rng.randint(1, 999)), rng.choice(texts))
        else:
            text = "".join(rng.choice(sentences) for _ in range(len(rng.choice(split))))
        if text not in labelled:
            out.setdefault(text)
    return list(out)


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


def interleaved(fns: dict[str, Callable[[], object]], rounds: int,
                cpu: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    """Wall seconds of each function per round, the order rotated every round (and, into ``cpu`` when
    given, the CPU seconds of this process)."""
    names = list(fns)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start, start_cpu = time.perf_counter(), time.process_time()
            fns[name]()
            times[name].append(time.perf_counter() - start)
            if cpu is not None:
                cpu.setdefault(name, []).append(time.process_time() - start_cpu)
    return times


def median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b))


def compile_package() -> None:
    """Write the package's bytecode caches (``__pycache__``, git-ignored), as a user's first run does."""
    import compileall

    import tagger

    compileall.compile_dir(Path(tagger.__file__).parent, quiet=1)


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
    cpu: dict[str, list[float]] = {}
    times = interleaved({"tagger": lambda: model.predict_proba(texts), "rjieba": lambda: seg.cut(joined, True)},
                        rounds, cpu)
    chars = sum(map(len, texts))
    return {"paragraphs": len(texts), "characters": chars,
            "chars_per_second": chars / statistics.median(times["tagger"]),
            "paragraphs_per_second": len(texts) / statistics.median(times["tagger"]),
            "rjieba_chars_per_second": chars / statistics.median(times["rjieba"]),
            "ratio_to_rjieba": median_ratio(times["rjieba"], times["tagger"]),
            "cpu_chars_per_second": chars / statistics.median(cpu["tagger"]),
            "cpu_rjieba_chars_per_second": chars / statistics.median(cpu["rjieba"]),
            "cpu_ratio_to_rjieba": median_ratio(cpu["rjieba"], cpu["tagger"]), "rounds": rounds}


def bench_jobs(model: Path, corpus: Path, n: int, rounds: int) -> dict:
    def tag(jobs: int) -> Callable[[], None]:
        return lambda: run_child([sys.executable, "-m", "tagger", "-q", "tag", str(corpus), "--model", str(model),
                                  "--jobs", str(jobs), "--format", "jsonl", "-o", os.devnull])

    times = interleaved({"jobs1": tag(1), "jobs2": tag(2)}, rounds)
    return {"paragraphs": n, "jobs1_seconds": statistics.median(times["jobs1"]),
            "jobs2_seconds": statistics.median(times["jobs2"]), "speedup": median_ratio(times["jobs1"], times["jobs2"]),
            "rounds": rounds}


def bench_stream(model: Path, corpus: Path, n: int) -> dict:
    wall, rss = run_child([sys.executable, "-m", "tagger", "-q", "tag", str(corpus), "--model", str(model),
                           "--format", "jsonl", "-o", os.devnull])
    return {"paragraphs": n, "seconds": wall, "peak_rss_mb": rss}


def bench_retag(model: Path, tmp: Path, n: int, n_xlsx: int) -> dict:
    """Tagging a tagged file again, per format: ``n`` paragraphs tagged to JSONL and CSV, ``n_xlsx`` to ``.xlsx``
    (its writer is the slowest), then each file tagged again (wall time and peak RSS of both runs), and the look
    ``tag -o FILE --force`` takes at the file it would replace, for review decisions (in this process, median of
    3; ``same_bytes``: the text formats tagged again are the file itself)."""
    import tagger.data.tagged as tagged

    tag = [sys.executable, "-m", "tagger", "-q", "tag", "--model", str(model)]
    results: dict = {"paragraphs": n, "xlsx_paragraphs": n_xlsx}
    for fmt, count in (("jsonl", n), ("csv", n), ("xlsx", n_xlsx)):
        corpus = write_jsonl(tmp / f"retag_{fmt}_in.jsonl", count, seed=3)
        first, again = tmp / f"retag.{fmt}", tmp / f"retagged.{fmt}"
        wall, rss = run_child([*tag, str(corpus), "-o", str(first)])
        again_wall, again_rss = run_child([*tag, str(first), "-o", str(again)])
        tagged.review_work(first)  # warm: its reader's imports
        looks = interleaved({"look": lambda: tagged.review_work(first)}, 3)["look"]
        results[fmt] = {"mb": first.stat().st_size / 1e6, "tag_seconds": wall, "tag_peak_rss_mb": rss,
                        "retag_seconds": again_wall, "retag_peak_rss_mb": again_rss,
                        "force_check_seconds": statistics.median(looks),
                        "same_bytes": first.read_bytes() == again.read_bytes() if fmt != "xlsx" else None}
    return results


def bench_suggest(model: Path, tmp: Path, n: int, picks: Sequence[int] = (50, 200), rounds: int = 3) -> dict:
    """``tagger suggest`` end to end on ``n`` paragraphs of our authored text (:func:`suggest_corpus`, a JSONL table
    of reports of 8 paragraphs) for each ``--n`` of ``picks``: wall time (median of ``rounds``, interleaved) and
    peak RSS."""
    corpus = write_reports(tmp / "suggest_in.jsonl", suggest_corpus(n), per_report=8)
    rss: dict[str, list[float]] = {}

    def run(k: int) -> Callable[[], None]:
        def suggest() -> None:
            rss.setdefault(str(k), []).append(run_child(
                [sys.executable, "-m", "tagger", "-q", "suggest", str(corpus), "--id-column", "id", "--n", str(k),
                 "--model", str(model), "--root", str(ROOT), "-o", str(tmp / "suggest_out.csv"), "--force"])[1])
        return suggest

    times = interleaved({str(k): run(k) for k in picks}, rounds)
    return {"paragraphs": n, "rounds": rounds,
            **{k: {"seconds": statistics.median(t), "all_seconds": t, "peak_rss_mb": statistics.median(rss[k])}
               for k, t in times.items()}}


def bench_train(out: Path) -> dict:
    from tagger.training import load_resources

    wall, rss = run_child([sys.executable, "train.py", "--no-cv", "-q", "--out", str(out)])
    return {"paragraphs": len(load_resources(ROOT).examples), "seconds": wall, "peak_rss_mb": rss}


def machine() -> dict:
    from importlib.metadata import version

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?") \
        if Path("/proc/cpuinfo").exists() else "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "python": sys.version.split()[0],
            **{lib: version(lib) for lib in ("numpy", "rjieba", "opencc", "scikit-learn")}}


README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


FULL_RUN = "last full run, `bench/results.json`"
"""Whose figures README's speed table holds (its header)."""


def readme_block(results: dict, source: str = FULL_RUN) -> str:
    """README's speed table (what users feel) from a full run's results; ``source`` names the run in its header
    (:func:`run_source`)."""
    c, t, j, s, g = (results["cold_start"], results["throughput"], results["jobs"], results["stream"],
                     results["suggest"])
    return f"""\
| what you do ({source}) | result |
|---|---|
| `tagger tag` one seed report in a new process (median of {c['rounds']}) | {c['tag_seconds']:.2f} s wall, peak {c['tag_peak_rss_mb']:.0f} MB |
| … the floor: bare `import numpy, rjieba, opencc` and one segmentation, same rounds | {c['bare_seconds']:.2f} s, peak {c['bare_peak_rss_mb']:.0f} MB (ratio {c['ratio']:.2f}) |
| `tagger.load()`, median of 5 loads in one process (the first load of a process also imports: see the cold start above) | {results['load']['seconds'] * 1000:.0f} ms |
| `model.predict_proba` on {t['paragraphs']:,} synthetic paragraphs (one process) | {t['chars_per_second'] / 1e6:.2f} M characters/s, {t['paragraphs_per_second'] / 1e3:.1f} k paragraphs/s |
| … bare rjieba segmentation of the same text, same rounds | {t['rjieba_chars_per_second'] / 1e6:.2f} M characters/s (tagger at {t['ratio_to_rjieba']:.2f} of it) |
| `tagger tag` a generated JSONL corpus ({j['paragraphs']:,} paragraphs), `--jobs 1` / `--jobs 2` | {j['jobs1_seconds']:.1f} s / {j['jobs2_seconds']:.1f} s ({j['speedup']:.2f}x) |
| `tagger tag` streaming {s['paragraphs']:,} paragraphs (JSONL) | {s['seconds']:.0f} s, peak {s['peak_rss_mb']:.0f} MB |
| `python train.py --no-cv` ({results['train']['paragraphs']:,} paragraphs) | {results['train']['seconds']:.1f} s |
| `tagger suggest` a generated JSONL corpus ({g['paragraphs']:,} paragraphs of our authored text recombined), `--n 50` / `--n 200` (median of {g['rounds']}) | {g['50']['seconds']:.1f} s / {g['200']['seconds']:.1f} s, peak {g['50']['peak_rss_mb']:.0f} / {g['200']['peak_rss_mb']:.0f} MB |

This machine is shared and its speed drifts within minutes: timings that are compared are taken in
interleaved rounds and their ratios are medians of per-round ratios; peak memory is the command's own
(`VmHWM`). The cold start is mostly loading Python, numpy, rjieba's dictionary and OpenCC."""


def update_readme(readme: Path, results: dict) -> bool:
    """Replace README's speed table with the one of ``results``; returns whether it changed."""
    from tagger.common.atomic import replace_marked_block

    return replace_marked_block(readme, README_START, README_END, readme_block(results))


def results_path(partial: bool) -> Path:
    """Where a run's figures go by default: a full run's are the published ones (README's table quotes them);
    a partial run (``--quick``, ``--paragraphs``) never replaces them."""
    return ROOT / "bench" / ("results_quick.json" if partial else "results.json")


def run_source(out: str, quick: bool = False, paragraphs: int | None = None) -> str:
    """The name the printed speed table's header gives a run's figures: README's own for a full run into
    ``bench/results.json``, else the run's (a ``--quick`` run's table was headed "last full run,
    bench/results.json", the file it leaves as it is).

    Example:
        >>> run_source("bench/results_quick.json", quick=True)
        'this --quick run, `bench/results_quick.json`'
    """
    if quick or paragraphs:
        return f"this {'--quick' if quick else '--paragraphs'} run, `{out}`"
    return FULL_RUN if Path(out).resolve() == results_path(False).resolve() else f"this run, `{out}`"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 k paragraphs, 50 k streamed, suggest on 5 k")
    parser.add_argument("--paragraphs", type=int, help="paragraphs streamed for the memory figure")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", help="results file (default bench/results.json for a full run; a --quick or "
                        "--paragraphs run goes to bench/results_quick.json, so the published full-run figures stay)")
    parser.add_argument("--update-readme", action="store_true", help="write README's speed table (full runs only)")
    args = parser.parse_args(argv)
    if args.update_readme and (args.quick or args.paragraphs):
        parser.error("--update-readme takes a full run: leave out --quick and --paragraphs")
    if args.out is None:
        args.out = str(results_path(bool(args.quick or args.paragraphs)))
    if args.update_readme:  # the README's markers are checked before the minutes of measuring, not after
        from tagger.common.atomic import check_marked_block
        from tagger.errors import InputError

        try:
            check_marked_block(ROOT / "README.md", README_START, README_END)
        except InputError as exc:
            parser.error(str(exc))
    n_corpus = 10_000 if args.quick else 100_000
    n_stream = args.paragraphs or (50_000 if args.quick else 1_000_000)
    results: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tmp / "tagger.npz"
        print("training (python train.py --no-cv) ...", flush=True)
        results["train"] = bench_train(model)
        print("cold start ...", flush=True)
        compile_package()
        results["cold_start"] = bench_cold_start(model, args.rounds)
        results["load"] = bench_load(model)
        print(f"throughput on {n_corpus:,} synthetic paragraphs ...", flush=True)
        results["throughput"] = bench_throughput(model, synthetic(n_corpus), min(args.rounds, 3))
        corpus = write_jsonl(tmp / "corpus.jsonl", n_corpus)
        print("--jobs 1 vs 2 ...", flush=True)
        results["jobs"] = bench_jobs(model, corpus, n_corpus, 7)  # the noisiest ratio: more rounds
        print(f"streaming {n_stream:,} paragraphs ...", flush=True)
        results["stream"] = bench_stream(model, write_jsonl(tmp / "stream.jsonl", n_stream, seed=2), n_stream)
        print(f"tagging tagged files again ({n_corpus:,} paragraphs; .xlsx {n_corpus // 8:,}) ...", flush=True)
        results["retag"] = bench_retag(model, tmp, n_corpus, n_corpus // 8)
        n_suggest = 5_000 if args.quick else 20_000
        print(f"tagger suggest on {n_suggest:,} paragraphs, --n 50 and 200 ...", flush=True)
        results["suggest"] = bench_suggest(model, tmp, n_suggest, rounds=min(args.rounds, 3))
    from tagger.common.atomic import atomic_write

    with atomic_write(args.out, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(results, indent=2) + "\n")
    for fmt, r in results["retag"].items():
        if isinstance(r, dict):
            print(f"{fmt}: {r['mb']:.0f} MB tagged in {r['tag_seconds']:.1f} s (peak {r['tag_peak_rss_mb']:.0f} MB), "
                  f"tagged again in {r['retag_seconds']:.1f} s (peak {r['retag_peak_rss_mb']:.0f} MB); --force's "
                  f"look at it {r['force_check_seconds']:.2f} s")
    t = results["throughput"]
    print(f"\n{readme_block(results, run_source(args.out, args.quick, args.paragraphs))}\n\nIn CPU time (what a busy shared machine inflates less): predict_proba "
          f"{t['cpu_chars_per_second'] / 1e6:.2f} M characters/s, bare rjieba {t['cpu_rjieba_chars_per_second'] / 1e6:.2f} "
          f"(ratio {t['cpu_ratio_to_rjieba']:.2f})")
    print(f"wrote {args.out}")
    if args.update_readme:
        print("README speed table", "updated" if update_readme(ROOT / "README.md", results) else "unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
