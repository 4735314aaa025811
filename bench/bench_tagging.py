"""Throughput, latency and memory benchmark of the tagger (issue 4 targets).

Run from anywhere (paths are relative to the repository)::

    python bench/bench_tagging.py            # full run: ~1 M chars, 100 k paragraphs, 1 M-paragraph RSS
    python bench/bench_tagging.py --quick    # 10 k paragraphs, 50 k-paragraph RSS (about 2 minutes)
    python bench/bench_tagging.py --help

Measured in one run, on the same text:

* corpus ``replicated``: the paragraphs of the five seed reports plus the texts of
  ``labels/authored.jsonl``, replicated to ~1 M characters; corpus ``synthetic``: N paragraphs
  (100 k; ``--quick`` 10 k) recombined from the 1 340 sentences of the same texts (fixed seed; each
  takes the sentence count of a random real paragraph, so the length distribution is the real one
  — mean ~93 characters; one-sentence paragraphs necessarily repeat, so ~38 % are distinct).
* per corpus: end-to-end ``model.predict`` from raw text (chars/s, paragraphs/s); bare segmentation
  with ``rjieba`` and with ``jieba.lcut``; a naive ``jieba.lcut`` + scikit-learn ``TfidfVectorizer``
  pipeline (fit on a 2 000-paragraph sample, transform everything).
* ``tagger.load()`` (median of 5, in process) and a fresh-process ``import tagger; load; predict``.
* ``python train.py --no-cv`` wall time (subprocess in the repo root; ``--out`` points to a temp dir
  so the repository's model is left alone). It runs first, and the model it writes is the one
  benchmarked (``--model`` to benchmark another file): a model trained by older code would measure
  code that no longer exists (the run warns when a given model looks stale).
* peak RSS of a subprocess streaming a JSONL file of ``--paragraphs`` paragraphs (default 1 M;
  ``--quick`` 50 k) through ``model.predict_proba`` in chunks of 5 000 (results discarded).

The tagger keeps no cache of analysed text, so repeated paragraphs cost what new ones cost.
``model.predict`` is timed as shipped (large batches use two threads on a multi-core machine) and
with ``TAGGER_NUM_THREADS=1``; CPU time is recorded beside wall time, and the one-thread ratios to
bare rjieba say what the work besides segmentation costs, whatever the cores.

Timings use ``time.perf_counter`` after a warm-up. End-to-end (both ways) and bare rjieba, the
measurements the speed target compares, are interleaved: 5 rounds (``--repeats``), each running all
three, and a ratio is the median of the round-by-round ratios — the development machine's speed
drifts by up to 2x within minutes, which one-after-the-other runs would read as a ratio. Bare jieba
and the naive pipeline are the median of ``--repeats`` runs (at most 3; one run each on a corpus over
20 k paragraphs: about a minute each); load times as listed above.
Results go to ``bench/results.json`` (atomically; ``--out``) with machine and library versions.
No test asserts on these numbers: machines differ.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "models" / "tagger.joblib"

TARGETS = {  # issue 4
    "end_to_end_vs_bare_rjieba": (">=", 0.5, "end-to-end throughput ≥ 50% of bare rjieba segmentation"),
    "end_to_end_vs_naive_jieba": (">=", 10.0, "end-to-end throughput ≥ 10× the naive jieba + TfidfVectorizer"),
    "load_seconds": ("<=", 0.3, "tagger.load() ≤ 0.3 s"),
    "train_seconds": ("<=", 10.0, "python train.py --no-cv ≤ 10 s"),
    "peak_rss_mb": ("<=", 500.0, "peak RSS tagging 1 M paragraphs ≤ 500 MB"),
}

_SENTENCE_END = re.compile(r"(?<=[。!?;!?;])")


# --------------------------------------------------------------------------------- corpora
def base_paragraphs(root: Path = ROOT) -> list[str]:
    """Paragraph texts of the seed reports (as the reader splits them) and of labels/authored.jsonl."""
    from tagger import read_report

    paras = [p.text for f in sorted((root / "seeds").glob("*.txt")) for p in read_report(f)]
    with open(root / "labels" / "authored.jsonl", encoding="utf-8") as fh:
        paras += [json.loads(line)["text"] for line in fh if line.strip()]
    return paras


def replicate(paragraphs: Sequence[str], target_chars: int) -> list[str]:
    """``paragraphs`` repeated in order until the total length reaches ``target_chars``."""
    out, total = [], 0
    while total < target_chars:
        for p in paragraphs:
            out.append(p)
            total += len(p)
            if total >= target_chars:
                break
    return out


def sentences(paragraphs: Sequence[str]) -> list[str]:
    """Sentences (split after 。!?; and their ASCII forms) of ``paragraphs``, blanks dropped."""
    return [s.strip() for p in paragraphs for s in _SENTENCE_END.split(p) if s.strip()]


def iter_synthetic(paragraphs: Sequence[str], seed: int = 0, unique: bool = False) -> Iterator[str]:
    """Endless synthetic paragraphs: each takes the sentence count of a random real paragraph and
    that many random sentences of the pool (fixed ``seed``). With ``unique`` repeats are skipped
    (tracked by hash), which skews towards long paragraphs (one-sentence ones run out), so it is off
    by default."""
    rng = random.Random(seed)
    pool = sentences(paragraphs)
    counts = [max(1, len([s for s in _SENTENCE_END.split(p) if s.strip()])) for p in paragraphs]
    seen: set[int] = set()
    while True:
        text = "".join(rng.choice(pool) for _ in range(rng.choice(counts)))
        if unique:
            h = hash(text)
            if h in seen:
                continue
            seen.add(h)
        yield text


def synthetic_corpus(paragraphs: Sequence[str], n: int, seed: int = 0) -> list[str]:
    """``n`` synthetic paragraphs (see :func:`iter_synthetic`)."""
    it = iter_synthetic(paragraphs, seed)
    return [next(it) for _ in range(n)]


def write_jsonl(path: Path, paragraphs: Sequence[str], n: int, seed: int = 1) -> dict:
    """Write ``n`` synthetic paragraphs as JSONL lines ``{"id": ..., "text": ...}``."""
    it = iter_synthetic(paragraphs, seed)
    chars = 0
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            text = next(it)
            chars += len(text)
            fh.write(json.dumps({"id": f"p{i}", "text": text}, ensure_ascii=False) + "\n")
    return {"paragraphs": n, "chars": chars, "bytes": path.stat().st_size}


# --------------------------------------------------------------------------------- timing
def timed(fn: Callable[[], object], repeats: int = 3, warmup: Callable[[], object] | None = None,
          before: Callable[[], object] | None = None) -> dict:
    """Median wall time of ``repeats`` calls of ``fn`` (after ``warmup``; ``before`` runs untimed
    ahead of each call). Garbage collection is left on (it is part of real runs)."""
    if warmup is not None:
        warmup()
    runs, cpu = [], []
    for _ in range(repeats):
        if before is not None:
            before()
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    # CPU time beside wall time: when other processes compete for the cores, wall time grows and
    # CPU time much less, which tells a busy machine from a slow program.
    return {"seconds": statistics.median(runs), "runs": [round(r, 4) for r in runs],
            "cpu_seconds": statistics.median(cpu)}


def timed_rounds(fns: dict[str, Callable[[], object]], rounds: int = 3) -> dict[str, dict]:
    """Interleaved timing: every round calls each of ``fns`` once, the order rotated from round to
    round, so all of them see the same machine. On a shared virtual machine the speed drifts (by up
    to 2x within minutes on the development machine): measured one after the other, a ratio of two
    throughputs partly measures that drift. Per name: median wall and CPU time, and the runs in
    round order (so ratios can be taken round by round, see :func:`round_ratio`). Warm up first."""
    names = list(fns)
    runs: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            fns[name]()
            runs[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    # unrounded: ratios are taken from these (a bare-rjieba run on a tiny corpus takes under 1 ms)
    return {n: {"seconds": statistics.median(runs[n]), "runs": runs[n],
                "cpu_seconds": statistics.median(cpu[n]), "cpu_runs": cpu[n]}
            for n in names}


def round_ratio(reference: dict, measured: dict, key: str = "runs") -> float:
    """Throughput of ``measured`` relative to ``reference`` (both from one :func:`timed_rounds` call
    on the same texts): the median over rounds of reference time / measured time."""
    return statistics.median(a / b for a, b in zip(reference[key], measured[key]))


def _rates(timing: dict, texts: Sequence[str]) -> dict:
    chars = sum(map(len, texts))
    s = timing["seconds"]
    return {**timing, "paragraphs": len(texts), "chars": chars, "chars_per_s": chars / s,
            "paragraphs_per_s": len(texts) / s}


@contextlib.contextmanager
def _threads(threads: int | None) -> Iterator[None]:
    """``TAGGER_NUM_THREADS=threads`` inside the block (``None``: the package's own choice)."""
    saved = os.environ.get("TAGGER_NUM_THREADS")
    if threads is not None:
        os.environ["TAGGER_NUM_THREADS"] = str(threads)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TAGGER_NUM_THREADS", None)
        else:
            os.environ["TAGGER_NUM_THREADS"] = saved


def end_to_end(model, texts: Sequence[str], threads: int | None = None) -> Callable[[], object]:
    """``model.predict(texts)`` from raw text; ``threads`` sets ``TAGGER_NUM_THREADS`` (default:
    the package's own choice, two threads on a multi-core machine)."""
    def predict():
        with _threads(threads):
            model.predict(texts)

    return predict


def bare_rjieba(texts: Sequence[str]) -> Callable[[], object]:
    """Bare ``rjieba`` segmentation, text by text (default dictionary, HMM on, as the package
    calls it); the dictionary is loaded before this returns."""
    import rjieba

    cut = rjieba.Jieba().cut

    def segment():
        for t in texts:
            cut(t, True)

    for t in texts[:500]:
        cut(t, True)
    return segment


def bench_jieba(texts: Sequence[str], repeats: int = 3) -> dict:
    """Bare ``jieba.lcut`` (default tokenizer, HMM on)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    lcut = jieba.lcut

    def run():
        for t in texts:
            lcut(t)

    return _rates(timed(run, repeats, warmup=lambda: [lcut(t) for t in texts[:500]]), texts)


def bench_naive_pipeline(texts: Sequence[str], repeats: int = 1, sample: int = 2000, seed: int = 0) -> dict:
    """Naive baseline: ``TfidfVectorizer(tokenizer=jieba.lcut)`` fitted on ``sample`` paragraphs,
    then ``transform`` of every paragraph. Throughput counts the transform of all texts (the part
    that scales with the corpus); the fit time is reported beside it."""
    import logging

    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    rng = random.Random(seed)
    fit_on = rng.sample(list(texts), min(sample, len(texts)))
    vec = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, lowercase=False)
    start = time.perf_counter()
    vec.fit(fit_on)
    fit_s = time.perf_counter() - start
    out = _rates(timed(lambda: vec.transform(texts), repeats, warmup=lambda: vec.transform(texts[:500])), texts)
    out.update(fit_seconds=fit_s, fit_paragraphs=len(fit_on), vocabulary=len(vec.vocabulary_))
    return out


def bench_load(model_path: Path, repeats: int = 5) -> dict:
    """``tagger.load(path)`` in this process (first call separately: lazy imports), median of 5."""
    import tagger

    start = time.perf_counter()
    tagger.load(model_path)
    first = time.perf_counter() - start
    t = timed(lambda: tagger.load(model_path), repeats)
    return {**t, "first_seconds": first}


_FRESH = """
import time
t0 = time.perf_counter()
import tagger
t1 = time.perf_counter()
m = tagger.load({path!r})
t2 = time.perf_counter()
m.predict(["党员志愿者走进敬老院,为孤寡老人义务检查线路。"])
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def bench_fresh_process(model_path: Path, repeats: int = 3) -> dict:
    """A new interpreter: ``import tagger``, ``load``, first ``predict`` (builds the segmenter)."""
    rows, walls = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _FRESH.format(path=str(model_path))], check=True,
                             capture_output=True, text=True, cwd=ROOT)
        walls.append(time.perf_counter() - start)
        rows.append([float(x) for x in out.stdout.split()])
    med = [statistics.median(col) for col in zip(*rows)]
    return {"import_seconds": med[0], "load_seconds": med[1], "first_predict_seconds": med[2],
            "process_wall_seconds": statistics.median(walls)}


def bench_train(root: Path = ROOT, out: Path | None = None, repeats: int = 1) -> dict:
    """Wall time of ``python train.py --no-cv`` (subprocess in the repo root). The model goes to
    ``out`` (default: a temp dir), never over the repository's ``models/tagger.joblib``."""
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(out) if out is not None else Path(tmp) / "tagger.joblib"
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, "train.py", "--no-cv", "--out", str(target)],
                           cwd=root, check=True, capture_output=True, text=True)
            runs.append(time.perf_counter() - start)
    return {"seconds": statistics.median(runs), "runs": [round(r, 3) for r in runs]}


def model_warnings(model) -> list[str]:
    """Reasons to think a model file does not match the installed code (a stale model would
    benchmark code that no longer exists)."""
    from tagger import Hyperparameters
    from tagger.features import HashedTfidf

    out = []
    saved = (getattr(model, "manifest_", None) or {}).get("hyperparameters")
    if saved is not None and saved != Hyperparameters().to_dict():
        diff = sorted(set(saved) ^ set(Hyperparameters().to_dict()) |
                      {k for k in saved if saved.get(k) != Hyperparameters().to_dict().get(k)})
        out.append(f"hyperparameters differ from the current defaults: {', '.join(diff)}")
    kinds = {name: type(vec).__name__ for name, vec in getattr(model, "blocks_", [])}
    if any(name in kinds and kinds[name] != HashedTfidf.__name__ for name in ("w", "c")):
        out.append(f"feature blocks are {kinds}, the current code builds HashedTfidf")
    return out


# --------------------------------------------------------------------------------- streaming RSS
def stream_tag(path: Path, model_path: Path, chunk: int = 5000) -> dict:
    """The streaming loop measured for peak RSS: JSONL lines in chunks of ``chunk``,
    ``predict_proba`` per chunk, results discarded. (Stands in for a streaming ``tagger tag``.)"""
    import tagger

    model = tagger.load(model_path)
    start = time.perf_counter()
    n = chars = 0
    buf: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            buf.append(json.loads(line)["text"])
            if len(buf) == chunk:
                model.predict_proba(buf)
                n += len(buf)
                chars += sum(map(len, buf))
                buf = []
        if buf:
            model.predict_proba(buf)
            n += len(buf)
            chars += sum(map(len, buf))
    return {"paragraphs": n, "chars": chars, "seconds": time.perf_counter() - start,
            "vm_hwm_mb": _vm_hwm_mb()}


_LAUNCHER = """
import json, resource, subprocess, sys
out = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)
if out.returncode:
    sys.exit(out.returncode)
print(json.dumps({"child": json.loads(out.stdout),
                  "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _vm_hwm_mb() -> float | None:
    """Peak RSS of this process image from /proc/self/status (``VmHWM``; Linux), else ``None``."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def _run_child(args: list[str]) -> tuple[dict, float]:
    """Run this file with ``args`` in a grandchild; return its JSON output and its peak RSS in MB.

    The peak is ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` read by a tiny launcher process whose
    only child is the measured one. Measuring from this (large) process directly would be wrong on
    Linux: a child's ``ru_maxrss`` starts from the RSS of the process it was forked from (the
    high-water mark survives ``exec``), and ``RUSAGE_CHILDREN`` is the largest of *all* children
    waited for so far (e.g. the train.py subprocess). The child's own ``VmHWM`` is recorded as a
    cross-check."""
    cmd = [sys.executable, "-c", _LAUNCHER, sys.executable, str(Path(__file__).resolve()), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({proc.returncode}): {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout)
    return out["child"], out["children_maxrss_kb"] / 1024  # KiB on Linux


def bench_stream_rss(model_path: Path, paragraphs: Sequence[str], n: int, chunk: int = 5000,
                     workdir: Path | None = None, baseline: bool = True) -> dict:
    """Generate ``n`` paragraphs as JSONL in a temp dir, stream-tag them in a child process, and
    report its peak RSS — plus (``baseline``) that of a child that only imports and loads the model."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = Path(tmp) / "paragraphs.jsonl"
        start = time.perf_counter()
        made = write_jsonl(path, paragraphs, n)
        gen_s = time.perf_counter() - start
        base_mb = None
        if baseline:
            empty = Path(tmp) / "empty.jsonl"
            empty.write_text("", encoding="utf-8")
            _, base_mb = _run_child(["--stream-child", str(empty), "--model", str(model_path), "--chunk", str(chunk)])
        res, peak_mb = _run_child(["--stream-child", str(path), "--model", str(model_path), "--chunk", str(chunk)])
    return {"paragraphs": res["paragraphs"], "chars": res["chars"], "file_bytes": made["bytes"],
            "generate_seconds": gen_s, "chunk": chunk, "tag_seconds": res["seconds"],
            "chars_per_s": res["chars"] / res["seconds"], "paragraphs_per_s": res["paragraphs"] / res["seconds"],
            "peak_rss_mb": peak_mb, "baseline_rss_mb": base_mb, "vm_hwm_mb": res["vm_hwm_mb"]}


# --------------------------------------------------------------------------------- machine
def machine_info() -> dict:
    from importlib import metadata

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1]) // 1024
    versions = {"python": platform.python_version()}
    for dist in ("tagger", "numpy", "scipy", "scikit-learn", "rjieba", "jieba", "opencc", "joblib"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    from tagger.native import status

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "platform": platform.platform(),
            "kernels": status(),
            "implementation": platform.python_implementation(), "versions": versions,
            "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
            "loadavg_start": list(os.getloadavg())}


# --------------------------------------------------------------------------------- run
def verdicts(results: dict) -> dict:
    """PASS/MISS per issue-4 target from a results dict (missing measurements: ``None``)."""
    corpus = results.get("corpora", {}).get("synthetic") or results.get("corpora", {}).get("replicated") or {}
    rss = results.get("stream_rss") or {}
    values = {
        "end_to_end_vs_bare_rjieba": corpus.get("ratios", {}).get("end_to_end_vs_bare_rjieba"),
        "end_to_end_vs_naive_jieba": corpus.get("ratios", {}).get("end_to_end_vs_naive_jieba"),
        "load_seconds": (results.get("load") or {}).get("seconds"),
        "train_seconds": (results.get("train") or {}).get("seconds"),
        "peak_rss_mb": rss.get("peak_rss_mb"),
    }
    out = {}
    for key, (op, target, text) in TARGETS.items():
        v = values[key]
        ok = None if v is None else (v >= target if op == ">=" else v <= target)
        out[key] = {"value": v, "target": f"{op} {target:g}", "what": text,
                    "verdict": None if ok is None else ("PASS" if ok else "MISS")}
        if key == "peak_rss_mb" and v is not None and rss.get("paragraphs", 0) < 1_000_000:
            out[key]["note"] = f"measured on {rss['paragraphs']} paragraphs, not 1 M"
    return out


def bench_corpus(model, texts: Sequence[str], repeats: int, naive_repeats: int = 1, log=print) -> dict:
    """Every throughput measurement of one corpus. The three the speed target compares (end-to-end
    as shipped, end-to-end on one thread, bare rjieba) are interleaved (:func:`timed_rounds`) and
    their ratios taken round by round (median); the slow baselines run after them."""
    from tagger.model import num_threads

    res: dict = {"paragraphs": len(texts), "chars": sum(map(len, texts)),
                 "mean_paragraph_chars": sum(map(len, texts)) / max(1, len(texts)),
                 "distinct_paragraphs": len(set(texts))}
    log(f"  end-to-end predict (as shipped, and on one thread) and bare rjieba, interleaved, "
        f"{repeats} rounds ({len(texts)} paragraphs) …")
    fns = {"end_to_end": end_to_end(model, texts), "end_to_end_one_thread": end_to_end(model, texts, 1),
           "bare_rjieba": bare_rjieba(texts)}
    model.predict(texts[:2000])  # warm-up: lazy tables, the segmenter's dictionary
    timings = timed_rounds(fns, repeats)
    for name, timing in timings.items():
        res[name] = _rates(timing, texts)
    res["end_to_end"]["threads"] = num_threads()
    with _threads(1):
        res["end_to_end_one_thread"]["threads"] = num_threads()
    log("  bare jieba …")
    res["bare_jieba"] = bench_jieba(texts, naive_repeats)
    log("  naive jieba + TfidfVectorizer …")
    res["naive_jieba_tfidf"] = bench_naive_pipeline(texts, naive_repeats)
    rj = timings["bare_rjieba"]
    res["ratios"] = {
        "end_to_end_vs_bare_rjieba": round_ratio(rj, timings["end_to_end"]),
        "end_to_end_vs_naive_jieba": res["end_to_end"]["chars_per_s"] / res["naive_jieba_tfidf"]["chars_per_s"],
        "bare_rjieba_vs_bare_jieba": res["bare_rjieba"]["chars_per_s"] / res["bare_jieba"]["chars_per_s"],
        # one thread, wall and CPU time: what the work besides segmentation costs, whatever the cores
        "one_thread_vs_bare_rjieba": round_ratio(rj, timings["end_to_end_one_thread"]),
        "one_thread_vs_bare_rjieba_cpu": round_ratio(rj, timings["end_to_end_one_thread"], "cpu_runs")}
    return res


def run(model_path: Path | None = None, corpus_chars: int = 1_000_000, synthetic_n: int = 100_000,
        rss_paragraphs: int = 1_000_000, repeats: int = 5, train: bool = True, rss: bool = True,
        fresh: bool = True, rss_chunk: int = 5000, rss_baseline: bool = True, root: Path = ROOT,
        log=print) -> dict:
    """Run every measurement; returns the results dict (see ``bench/results.json``).

    With ``train`` (default) ``python train.py --no-cv`` is timed first and the model it writes (in
    a temp dir) is the one benchmarked, unless ``model_path`` is given: so the numbers are always
    those of the code checked out. Without ``train`` the model defaults to models/tagger.joblib.
    """
    import tagger

    started = time.perf_counter()
    results: dict = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine_info(),
                     "params": {"corpus_chars": corpus_chars, "synthetic_paragraphs": synthetic_n,
                                "rss_paragraphs": rss_paragraphs, "rss_chunk": rss_chunk, "repeats": repeats,
                                "seed": 0}}
    with tempfile.TemporaryDirectory() as tmp:
        if train:
            log("python train.py --no-cv …")
            trained = Path(tmp) / "tagger.joblib"
            results["train"] = bench_train(root, trained)
            model_path = model_path or trained
        model_path = Path(model_path or DEFAULT_MODEL)
        if not model_path.exists():
            raise SystemExit(f"{model_path}: no model; run: python train.py --no-cv")
        results["model"] = str(model_path) if model_path.parent != Path(tmp) else "fresh (train.py --no-cv)"
        base = base_paragraphs(root)
        model = tagger.load(model_path)
        results["model_warnings"] = model_warnings(model)
        for w in results["model_warnings"]:
            log(f"warning: {model_path}: {w}; retrain (python train.py) or omit --model")
        results["corpora"] = {}
        log(f"replicated corpus (~{corpus_chars:,} chars from {len(base)} paragraphs)")
        results["corpora"]["replicated"] = bench_corpus(model, replicate(base, corpus_chars), repeats,
                                                        naive_repeats=min(repeats, 3), log=log)
        log(f"synthetic corpus ({synthetic_n:,} paragraphs)")
        synth = synthetic_corpus(base, synthetic_n)
        big = synthetic_n > 20_000
        # the slow baselines (bare jieba, naive pipeline: about a minute each on 100 k paragraphs)
        # run once on a big corpus; the tagger and bare rjieba: ``repeats`` interleaved rounds
        results["corpora"]["synthetic"] = bench_corpus(model, synth, repeats,
                                                       naive_repeats=1 if big else min(repeats, 3), log=log)
        del synth
        log("load time …")
        results["load"] = bench_load(model_path)
        if fresh:
            results["fresh_process"] = bench_fresh_process(model_path, 3 if repeats >= 3 else 1)
        if rss:
            log(f"streaming {rss_paragraphs:,} paragraphs for peak RSS …")
            results["stream_rss"] = bench_stream_rss(model_path, base, rss_paragraphs, rss_chunk,
                                                     baseline=rss_baseline)
    results["targets"] = verdicts(results)
    results["total_seconds"] = time.perf_counter() - started
    results["machine"]["loadavg_end"] = list(os.getloadavg())
    return results


def _fmt_rate(x: float) -> str:
    return f"{x / 1e3:,.1f} k" if x < 1e6 else f"{x / 1e6:,.2f} M"


def format_table(results: dict) -> str:
    """Human-readable summary of a results dict."""
    m = results["machine"]
    machine = (f"machine: {m['cpu']}, {m['cores']} cores, Python {m['versions']['python']}, "
               f"rjieba {m['versions'].get('rjieba')}, jieba {m['versions'].get('jieba')}, "
               f"scikit-learn {m['versions'].get('scikit-learn')}, kernels {m.get('kernels', 'unknown')}; "
               f"load average at start "
               f"{m['loadavg_start'][0]:.2f}, at end {m.get('loadavg_end', [float('nan')])[0]:.2f} "
               "(another busy process skews every number)")
    lines = [machine, f"model: {results.get('model')}"]
    lines += [f"WARNING: {w}" for w in results.get("model_warnings", [])]
    lines.append("")
    head = f"{'corpus':<11} {'measurement':<34} {'paragraphs':>10} {'chars/s':>10} {'para/s':>10} {'seconds':>8}"
    lines += [head, "-" * len(head)]
    names = {"end_to_end": "end-to-end predict",
             "end_to_end_one_thread": "end-to-end predict, one thread",
             "bare_rjieba": "bare rjieba segmentation", "bare_jieba": "bare jieba.lcut",
             "naive_jieba_tfidf": "naive jieba + TfidfVectorizer"}
    for cname, c in results.get("corpora", {}).items():
        for key, label in names.items():
            if key in c:
                r = c[key]
                lines.append(f"{cname:<11} {label:<34} {r['paragraphs']:>10,} {_fmt_rate(r['chars_per_s']):>10} "
                             f"{_fmt_rate(r['paragraphs_per_s']):>10} {r['seconds']:>8.2f}")
        ra = c["ratios"]
        lines.append(f"{cname:<11} ratios: end-to-end / bare rjieba = {ra['end_to_end_vs_bare_rjieba']:.2f}, "
                     f"end-to-end / naive jieba = {ra['end_to_end_vs_naive_jieba']:.2f}, "
                     f"rjieba / jieba = {ra['bare_rjieba_vs_bare_jieba']:.1f}; one thread: end-to-end / bare "
                     f"rjieba = {ra['one_thread_vs_bare_rjieba']:.2f} (CPU time "
                     f"{ra['one_thread_vs_bare_rjieba_cpu']:.2f}); ratios: median of {len(c['bare_rjieba']['runs'])} "
                     "interleaved rounds")
    lines.append("")
    if "load" in results:
        ld, fp = results["load"], results.get("fresh_process")
        line = (f"tagger.load(): median {ld['seconds']:.3f} s of {len(ld['runs'])} (first call "
                f"{ld['first_seconds']:.3f} s)")
        if fp:
            line += (f"; fresh process: import tagger {fp['import_seconds']:.2f} s, load {fp['load_seconds']:.2f} s, "
                     f"first predict {fp['first_predict_seconds']:.2f} s")
        lines.append(line)
    if "train" in results:
        lines.append(f"python train.py --no-cv: {results['train']['seconds']:.2f} s wall")
    if "stream_rss" in results:
        s = results["stream_rss"]
        lines.append(f"streaming {s['paragraphs']:,} paragraphs ({s['chars']:,} chars, chunks of {s['chunk']}): "
                     f"peak RSS {s['peak_rss_mb']:.0f} MB"
                     + (f" (model loaded, no text: {s['baseline_rss_mb']:.0f} MB)" if s["baseline_rss_mb"] else "")
                     + ", "
                     f"{s['tag_seconds']:.1f} s, {_fmt_rate(s['chars_per_s'])} chars/s")
    lines += ["", "targets (issue 4):"]
    for t in results.get("targets", {}).values():
        v = "not measured" if t["value"] is None else f"{t['value']:.3g}"
        note = f"  ({t['note']})" if t.get("note") else ""
        lines.append(f"  {t['verdict'] or '-':<5} {t['what']:<64} measured {v}{note}")
    return "\n".join(lines)


def write_results(results: dict, path: Path) -> None:
    from tagger.persistence import atomic_write

    with atomic_write(path, "w", encoding="utf-8") as fh:
        json.dump(results, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="10 k synthetic paragraphs, 50 k for RSS")
    p.add_argument("--model", help="model file (default: the one train.py writes in this run; with "
                   "--no-train models/tagger.joblib)")
    p.add_argument("--chars", type=int, default=1_000_000, help="size of the replicated corpus (default 1 M)")
    p.add_argument("--synthetic", type=int, help="synthetic paragraphs (default 100 k; --quick 10 k)")
    p.add_argument("--paragraphs", type=int, help="paragraphs streamed for peak RSS (default 1 M; --quick 50 k)")
    p.add_argument("--repeats", type=int, default=5,
                   help="interleaved rounds of end-to-end and bare rjieba (median; other timings: at most 3)")
    p.add_argument("--no-train", action="store_true", help="skip the train.py timing")
    p.add_argument("--no-rss", action="store_true", help="skip the streaming RSS run")
    p.add_argument("--rss-chunk", type=int, default=5000, help="paragraphs per predict_proba call in the RSS run")
    p.add_argument("--out", default=str(ROOT / "bench" / "results.json"), help="results file")
    # internal: the streaming child
    p.add_argument("--stream-child", metavar="JSONL", help=argparse.SUPPRESS)
    p.add_argument("--chunk", type=int, default=5000, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.stream_child:
        print(json.dumps(stream_tag(Path(args.stream_child), Path(args.model or DEFAULT_MODEL), args.chunk)))
        return 0
    synthetic_n = args.synthetic or (10_000 if args.quick else 100_000)
    rss_n = args.paragraphs or (50_000 if args.quick else 1_000_000)
    results = run(Path(args.model) if args.model else None, args.chars, synthetic_n, rss_n, args.repeats, train=not args.no_train,
                  rss=not args.no_rss, rss_chunk=args.rss_chunk, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    results["params"]["quick"] = args.quick
    print(format_table(results))
    write_results(results, Path(args.out))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
