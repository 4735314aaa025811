"""Where does ``model.predict_proba`` spend its time? A sampling profile (py-spy, native frames)
of ``predict_proba`` over the ~1 M-character replicated corpus, folded into pipeline stages.

    pip install py-spy
    python bench/profile_predict.py                    # trains a fresh model in a temp dir first
    python bench/profile_predict.py --model models/tagger.joblib --rounds 3 --raw /tmp/spy.txt

Stages (first matching rule wins): OpenCC t2s, NFKC, other normalisation (regexes, split, second
pass), rjieba, word spans and token classes (``Segmenter.spans``), character n-gram hashing, word
n-gram hashing, counting (sort of term keys), TF-IDF weighting and weights, lexicon matching, linear model, heading
rule. Without py-spy, ``--pyinstrument`` prints a call tree instead.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# (stage, test on the frames of one stack, root → leaf). The first rule that matches wins, so more
# specific (deeper) stages come first.
RULES = [
    ("normalise: OpenCC t2s", lambda fr: any("opencc" in f for f in fr)),
    ("normalise: NFKC", lambda fr: any("normalize.py" in f for f in fr)
     and any("nfkc" in f or "nfc_nfkc" in f or "unicodedata" in f for f in fr)),
    ("normalise: regexes, split, 2nd pass", lambda fr: any("normalize.py" in f for f in fr)),
    ("rjieba cut", lambda fr: any("rjieba" in f or "Jieba" in f for f in fr)),
    ("word spans, token classes", lambda fr: any("segment.py" in f for f in fr)),
    ("char n-grams: compiled kernel", lambda fr: any("char_sums" in f for f in fr)),
    ("word n-grams: compiled kernel", lambda fr: any("word_sums" in f for f in fr)),
    ("counting (sort of term keys)", lambda fr: any("csr_from_keys" in f or "sorted_counts" in f for f in fr)),
    ("char n-gram hashing", lambda fr: any("char_keys" in f for f in fr)),
    ("word n-gram hashing", lambda fr: any("word_keys" in f or "PrefixHash" in f for f in fr)),
    ("lexicon matching + scores", lambda fr: any("lexicon.py" in f for f in fr)),
    ("TF-IDF weighting, L2, weights", lambda fr: any("HashedTfidf._weight" in f or "_HashedScorer" in f for f in fr)),
    ("linear model (sparse x dense, sigmoid)", lambda fr: any("_to_scores" in f or "_logistic" in f for f in fr)),
    ("heading rule", lambda fr: any("is_heading" in f for f in fr)),
]


def categorise(raw: str, anchor: str = "predict_proba") -> tuple[collections.Counter, int]:
    """Fold py-spy ``--format raw`` stacks that pass through ``anchor`` into stages."""
    out: collections.Counter = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if anchor not in stack or not count.isdigit():
            continue
        frames = stack.split(";")
        n = int(count)
        total += n
        for name, test in RULES:
            if test(frames):
                out[name] += n
                break
        else:
            out["other (predict_proba glue)"] += n
    return out, total


def target(model_path: str, rounds: int, chars: int) -> None:
    """The profiled program: ``rounds`` × ``predict_proba`` over the replicated corpus."""
    sys.path.insert(0, str(HERE))
    import bench_tagging as bt

    import tagger

    model = tagger.load(model_path)
    texts = bt.replicate(bt.base_paragraphs(ROOT), chars)
    model.predict_proba(texts[:2000])
    for _ in range(rounds):
        model.predict_proba(texts)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="model file (default: train a fresh one in a temp dir)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--chars", type=int, default=1_000_000)
    p.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    p.add_argument("--raw", help="keep py-spy's raw stacks here")
    p.add_argument("--pyinstrument", action="store_true", help="call tree with pyinstrument instead")
    p.add_argument("--target", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.target:
        target(args.model, args.rounds, args.chars)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            model = str(Path(tmp) / "tagger.joblib")
            subprocess.run([sys.executable, "train.py", "--no-cv", "--out", model], cwd=ROOT, check=True,
                           capture_output=True)
        cmd = [sys.executable, __file__, "--target", "--model", model, "--rounds", str(args.rounds),
               "--chars", str(args.chars)]
        if args.pyinstrument:
            subprocess.run([sys.executable, "-m", "pyinstrument", "-i", "0.001", *cmd[1:]], check=True)
            return 0
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        raw = args.raw or str(Path(tmp) / "spy.txt")
        subprocess.run([spy, "record", "--native", "-r", str(args.rate), "-f", "raw", "-o", raw, "--", *cmd],
                       check=True, capture_output=True)
        stages, total = categorise(Path(raw).read_text())
    print(f"py-spy --native, {total} samples inside predict_proba ({args.rounds} rounds, ~{args.chars:,} chars)")
    for name, n in stages.most_common():
        print(f"  {name:<40} {100 * n / total:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
