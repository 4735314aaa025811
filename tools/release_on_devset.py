"""Score an earlier release of tagger on the real dev set beside the current model: how the dev set's figures
relate to those of the project's hidden real reports.

The release the hidden reports were measured on (issue 14: micro-F1 0.744; issue 18: with a review of the least
certain paragraphs, 0.831 at 15 % and 0.867 at 25 %) is the tree before the lean-core redesign, commit
``adf4113``. Scoring it on the dev paragraphs present here says whether the dev set is harder or easier than
the hidden reports, and the current model's gain over it on the same paragraphs (paired by report) is the
dev set's best estimate of its gain there.

What it does: ``git archive`` of the release into ``--work``, a virtual environment with the release installed
(from the package registry, as its README says), ``python train.py`` there (its own training data and
thresholds), then each model scores the dev paragraphs present in ``data/real/raw`` — the release with its
``predict_proba`` in its own environment, the current model (``--model``, default ``models/tagger.npz``:
``python train.py`` first) here, with report context as ``tag`` scores. Each review curve is ranked as that
release ranks: the release by the smallest distance of a score to its threshold (its ``tagger suggest``), the
current model by :func:`tagger.model.uncertainty.margin` (and, for comparison, the release's way too).

Usage (from the repository root; the first run takes a few minutes, later runs reuse ``--work``):

    python tools/release_on_devset.py [--release adf4113] [--work /tmp/tagger-release] [--model PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tagger.data.devset import check_devset, doc_info  # noqa: E402
from tagger.data.examples import report_ids  # noqa: E402
from tagger.evaluation.metrics import f1_from_counts, metrics, report_bootstrap, review_curve  # noqa: E402
from tagger.labels import LABELS  # noqa: E402
from tagger.model.uncertainty import margin  # noqa: E402
from tagger.text.report import NO_LABEL_KINDS  # noqa: E402

if TYPE_CHECKING:
    from tagger.data.examples import Example

SHARES = (0.0, 0.10, 0.15, 0.20, 0.25, 0.30)
SCORER = """
import json, sys
sys.path.insert(0, "src")
import tagger
model = tagger.load("models/tagger.joblib", trust=True)  # the release's own file, trained just now
texts = json.load(open(sys.argv[1], encoding="utf-8"))
json.dump({"scores": model.predict_proba(texts).tolist(), "thresholds": [float(t) for t in model.thresholds_]},
          open(sys.argv[2], "w"))
"""


def build_release(release: str, work: Path) -> tuple[Path, Path]:
    """The release's tree in ``work/<commit>/tree`` with a venv and a trained model (built once per commit);
    returns the tree and its Python."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{release}^{{commit}}"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    tree = work / sha[:12] / "tree"
    python = tree / ".venv" / "bin" / "python"
    if (tree / "models" / "tagger.joblib").exists() and python.exists():
        return tree, python
    tree.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", sha], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    subprocess.run([sys.executable, "-m", "venv", ".venv"], cwd=tree, check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", "."], cwd=tree, check=True)
    subprocess.run([str(python), "train.py"], cwd=tree, check=True, stdout=subprocess.DEVNULL)
    return tree, python


def distance(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """The earlier release's uncertainty (its ``tagger suggest``): the smallest distance of a score to its label's
    threshold; smaller is less certain."""
    return np.abs(np.asarray(scores, float) - np.asarray(thresholds, float)).min(1)


def paired_gain(y: np.ndarray, a: np.ndarray, b: np.ndarray, docs: list[str], n_boot: int = 2000,
                seed: int = 0) -> tuple[float, float, float]:
    """Micro-F1 of ``b`` minus that of ``a``, with a 95 % interval resampling reports (the same resample for both)."""
    uniq, inverse = np.unique(np.asarray(docs), return_inverse=True)

    def per_doc(p: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(inverse, weights=x.sum(1), minlength=len(uniq))
                         for x in (y & p, ~y & p, y & ~p)])

    ca, cb = per_doc(a), per_doc(b)
    rng = np.random.default_rng(seed)
    w = np.stack([np.bincount(d, minlength=len(uniq)) for d in rng.integers(0, len(uniq), (n_boot, len(uniq)))])
    diff = f1_from_counts(*(w @ cb.T).T) - f1_from_counts(*(w @ ca.T).T)
    point = float(f1_from_counts(*cb.sum(1)) - f1_from_counts(*ca.sum(1)))
    diff = diff[~np.isnan(diff)]
    lo, hi = np.percentile(diff, [2.5, 97.5]) if diff.size else (np.nan, np.nan)
    return point, float(lo), float(hi)


def report(examples: list[Example], release: tuple[np.ndarray, np.ndarray], current: tuple[np.ndarray, np.ndarray],
           mix: dict[str, str], scope: str, name: str = "adf4113") -> str:
    """The Markdown comparison: per model micro-F1 with its report-bootstrap interval, macro-F1 over the labels
    present, F1 per label, micro-F1 on the paragraphs of the hard-negative reports; the paired gain; the review
    curves, each model ranked as its release ranks, and the current model's scores ranked the release's way too.

    ``release`` and ``current`` are (scores, thresholds); ``mix`` gives each report's kind (``hard_negative`` …)."""
    y = np.array([[lab in e.labels for lab in LABELS] for e in examples])
    docs = [e.doc for e in examples]
    hard = np.array([mix[d] == "hard_negative" for d in docs])
    reviewable = np.array([e.kind not in NO_LABEL_KINDS for e in examples], dtype=bool)
    out = [f"# An earlier release and the current model on the real dev set\n\n{scope}; {int(hard.sum())} "
           f"paragraphs of {len({d for d, h in zip(docs, hard) if h})} hard-negative reports.\n",
           "| model | micro-F1 [95 % CI] | macro-F1 (labels present) | " + " | ".join(LABELS)
           + " | micro-F1 on the hard-negative reports' paragraphs |",
           "|---|---|---|" + "---|" * len(LABELS) + "---|"]
    preds, curves = [], {}
    for label, (scores, thresholds), ranking in ((f"release {name}", release, "distance"),
                                                 ("current model", current, "margin")):
        pred = scores >= thresholds
        preds.append(pred)
        m, ci = metrics(y, pred), report_bootstrap(y, pred, docs, seed=0)
        per = [m["per_label"][lab]["f1"] if m["per_label"][lab]["support"] else None for lab in LABELS]
        hard_f1 = f"{metrics(y[hard], pred[hard])['micro_f1']:.3f}" if hard.any() else "–"
        out.append(f"| {label} | {m['micro_f1']:.3f} [{ci['micro_f1'][0]:.2f}, {ci['micro_f1'][1]:.2f}] | "
                   f"{m['macro_f1_supported']:.3f} | " + " | ".join("–" if f is None else f"{f:.3f}" for f in per)
                   + f" | {hard_f1} |")
        rank = distance(scores, thresholds) if ranking == "distance" else margin(scores, thresholds)
        # the current queue never flags headings and captions (tag --review); the release's ranked every paragraph
        queue = reviewable if ranking == "margin" else None
        curves[label] = review_curve(y, pred, rank, docs, shares=list(SHARES), n_boot=1000, seed=0, reviewable=queue)
        if ranking == "margin":
            curves["current model, ranked by distance to a threshold"] = review_curve(
                y, pred, distance(scores, thresholds), docs, shares=list(SHARES), n_boot=1000, seed=0,
                reviewable=queue)
    gain = paired_gain(y, *preds, docs)
    out += ["", f"Gain of the current model on the same paragraphs (paired report bootstrap): "
                f"{gain[0]:+.3f} [{gain[1]:+.3f}, {gain[2]:+.3f}]", "",
            "Corpus micro-F1 when the least certain share is reviewed (each release's own ranking: the earlier release "
            "by the smallest distance of a score to its threshold, the current model by the expected number of wrong "
            "decisions; the last row ranks the current model's scores the earlier way); in brackets the 95 % band "
            "from resampling reports:", "",
            "| model | " + " | ".join(f"{int(round(s * 100))} %" for s in SHARES) + " |",
            "|---|" + "---|" * len(SHARES)]
    out += [f"| {label} | " + " | ".join(f"{v:.3f} [{lo:.2f}, {hi:.2f}]" for v, lo, hi in
                                         zip(c["micro_f1"], c["low"], c["high"])) + " |"
            for label, c in curves.items()]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--release", default="adf4113", help="the commit to score (default: the release the hidden "
                    "reports were measured on)")
    ap.add_argument("--work", default="/tmp/tagger-release", help="where the release is built (reused)")
    ap.add_argument("--model", default=str(ROOT / "models" / "tagger.npz"), help="the current model")
    args = ap.parse_args(argv)
    import tagger

    status = check_devset(ROOT)
    if not status.usable:
        print(f"cannot score: {status.summary()}", file=sys.stderr)
        return 1
    if not Path(args.model).exists():
        print(f"{args.model}: no such model; run python train.py first", file=sys.stderr)
        return 1
    work = Path(args.work)
    tree, python = build_release(args.release, work)
    ex = status.examples
    (work / "texts.json").write_text(json.dumps([e.text for e in ex], ensure_ascii=False), encoding="utf-8")
    subprocess.run([str(python), "-c", SCORER, str(work / "texts.json"), str(work / "scores.json")],
                   cwd=tree, check=True)
    old = json.loads((work / "scores.json").read_text())
    model = tagger.load(args.model)
    info = doc_info(ROOT)
    print(report(ex, (np.asarray(old["scores"]), np.asarray(old["thresholds"])),
                 (np.asarray(model.predict_proba([e.text for e in ex], report_ids(ex))),  # with report context, as tag
                  np.asarray(model.thresholds_, dtype=float)),
                 {d: info[d]["mix"] for d in {e.doc for e in ex}}, status.scope(), args.release))
    return 0


if __name__ == "__main__":
    sys.exit(main())
