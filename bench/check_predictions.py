"""Predictions of this checkout against another revision's: the same labels, scores within 1e-6.

Run from the repository root (speed work must not change what the model says)::

    python bench/check_predictions.py                      # against the last commit (HEAD)
    python bench/check_predictions.py --against 1d04c41    # against any revision
    python bench/check_predictions.py --train              # also: both train a model; the same arrays?

Each side runs in its own process on its own ``src/`` (the revision's from ``git archive``), with the
same model file, on: the seed reports tagged whole (paragraph splitting, headings, evidence), every
labelled paragraph of the checkout (seed and authored files) and the benchmark's synthetic corpus.
Exit status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-6

# Runs in a child process whose PYTHONPATH starts with the side's src/: tagger is imported from there
# before the benchmark module (which would otherwise put this checkout's src/ first).
CHILD = r"""
import json, sys
from pathlib import Path
import numpy as np
import tagger
assert tagger.__file__.startswith(sys.argv[1]), (tagger.__file__, sys.argv[1])
root, model_path, out = Path(sys.argv[2]), sys.argv[3], sys.argv[4]
n_synthetic, train = int(sys.argv[5]), sys.argv[6]
sys.path.insert(1, str(root / "bench"))
import bench_tagging
from tagger.training import load_resources

model = tagger.load(model_path)
resources = load_resources(root)
arrays = {"labelled": model.predict_proba([e.text for e in resources.examples]),
          "synthetic": model.predict_proba(bench_tagging.synthetic(n_synthetic))}
tagged = [r for path in sorted((root / "seeds").glob("*.txt"))
          for r in model.tag(path.read_text(encoding="utf-8"), path.stem)]
arrays["seed_reports"] = np.array([[r.scores[lab] for lab in model.labels] for r in tagged])
meta = {"seed_reports": [[r.id, r.kind, r.labels, r.evidence] for r in tagged],
        "thresholds": model.thresholds_.tolist()}
if train == "1":
    from tagger.training import train as fit
    config, state = fit(resources).state()
    arrays.update({f"trained.{k}": np.asarray(v) for k, v in state.items()})
np.savez(out + ".npz", **arrays)
Path(out + ".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
"""


def export_src(revision: str, into: Path) -> Path:
    """The revision's ``src/`` tree, extracted under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "src"], capture_output=True,
                             check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def run_side(src: Path, model: Path, out: Path, n_synthetic: int, train: bool) -> tuple[dict, dict]:
    env = dict(os.environ, PYTHONPATH=str(src))
    args = [str(src), str(ROOT), str(model), str(out), str(n_synthetic), "1" if train else "0"]
    proc = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{src}: {proc.stderr[-2000:]}")
    with np.load(str(out) + ".npz") as data:
        arrays = {k: data[k] for k in data.files}
    return arrays, json.loads(Path(str(out) + ".json").read_text(encoding="utf-8"))


def compare(ours: tuple[dict, dict], theirs: tuple[dict, dict]) -> list[str]:
    """What differs, one line each (empty: nothing)."""
    (a, meta_a), (b, meta_b) = ours, theirs
    thresholds = np.array(meta_a["thresholds"])
    problems = []
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b or a[key].shape != b[key].shape:
            problems.append(f"{key}: present or shaped differently ({a.get(key, np.zeros(0)).shape} vs "
                            f"{b.get(key, np.zeros(0)).shape})")
            continue
        diff = float(np.max(np.abs(a[key] - b[key]), initial=0.0))
        print(f"{key:28s} {a[key].shape!s:>14s}  max |difference| {diff:.3g}")
        if diff > TOLERANCE:
            problems.append(f"{key}: scores differ by up to {diff:.3g}")
        if not key.startswith("trained."):
            changed = int(np.any((a[key] >= thresholds) != (b[key] >= thresholds), axis=1).sum())
            if changed:
                problems.append(f"{key}: labels differ in {changed} rows")
    if meta_a != meta_b:
        problems.append("seed reports: paragraph ids, kinds, labels or evidence differ (or the thresholds)")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="HEAD", help="git revision to compare with (default: HEAD)")
    parser.add_argument("--model", default=str(ROOT / "models" / "tagger.npz"), help="model file both sides load")
    parser.add_argument("--paragraphs", type=int, default=100_000, help="synthetic paragraphs (the benchmark's corpus)")
    parser.add_argument("--train", action="store_true", help="also train on both sides and compare the arrays")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        theirs_src = export_src(args.against, tmp)
        print(f"this checkout against {args.against}: model {args.model}, {args.paragraphs:,} synthetic paragraphs",
              flush=True)
        ours = run_side(ROOT / "src", Path(args.model), tmp / "ours", args.paragraphs, args.train)
        theirs = run_side(theirs_src, Path(args.model), tmp / "theirs", args.paragraphs, args.train)
    problems = compare(ours, theirs)
    for p in problems:
        print("DIFFERENT:", p)
    print("the same predictions" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
