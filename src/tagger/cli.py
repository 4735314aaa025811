"""Command line: ``tagger train | evaluate | tag``. ``train.py`` and ``evaluate.py`` call into here.

Every user error is printed as one clear line (no traceback) with a non-zero exit code; ``--debug``
shows the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .config import Hyperparameters
from .errors import InputError, TaggerError
from .schema import LABELS

__all__ = ["build_parser", "main"]

log = logging.getLogger("tagger")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SKIPPED = 0, 1, 2, 3


def _default_model() -> str:
    return os.environ.get("TAGGER_MODEL", str(Path("models") / "tagger.joblib"))


# --------------------------------------------------------------------------- train
def cmd_train(args: argparse.Namespace) -> int:
    from .data import data_hash
    from .evaluation import default_systems, make_folds, run_cv
    from .training import load_resources, train

    start = time.perf_counter()
    res = load_resources(args.root, use_authored=not args.no_authored)
    hp = Hyperparameters(seed=args.seed)
    model = train(res, hp)
    fit_s = time.perf_counter() - start
    meta = {"data_hash": data_hash(res.examples), "n_train": len(res.examples), "n_real": res.n_real,
            "n_authored": res.n_authored, "train_seconds": round(fit_s, 2)}
    if not args.no_cv:
        system = default_systems(hp, res.lexicon, res.user_words, ablations=False,
                                 has_authored=res.n_authored > 0)[0]
        cv = run_cv(res.examples, system, make_folds(res.examples, "lodo"), "lodo", n_jobs=args.jobs)
        meta["cv_summary"] = {"scheme": "leave-one-document-out on real paragraphs",
                              "micro_f1": round(cv.metrics["micro_f1"], 4),
                              "macro_f1": round(cv.metrics["macro_f1"], 4),
                              "per_label_f1": {lab: round(v["f1"], 4) for lab, v in cv.metrics["per_label"].items()}}
    path = model.save(args.out, **meta)
    print(f"trained tagger {__version__} on {len(res.examples)} paragraphs "
          f"({res.n_real} real, {res.n_authored} authored) in {fit_s:.1f} s -> {path}")
    print("thresholds: " + ", ".join(f"{lab}={t:.2f}" for lab, t in zip(LABELS, model.thresholds_)))
    if "cv_summary" in meta:
        s = meta["cv_summary"]
        print(f"LODO CV: micro-F1 {s['micro_f1']:.3f}, macro-F1 {s['macro_f1']:.3f} "
              f"(full report: python evaluate.py)")
    return EXIT_OK


# --------------------------------------------------------------------------- evaluate
def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.test:
        return _evaluate_external(args)
    if args.audit:
        from .annotate import audit, format_audit

        print(format_audit(audit(args.root, top=args.top, jobs=args.jobs, seed=args.seed), top=args.top))
        return EXIT_OK
    from .cvreport import EvalOptions, run_evaluation

    opts = EvalOptions(root=args.root, out=args.out, scheme=args.scheme, folds=args.folds, repeats=args.repeats,
                       seed=args.seed, jobs=args.jobs, ablations=not args.no_ablations, plots=not args.no_plots,
                       learning_curve=not args.no_learning_curve)
    md, payload, paths = run_evaluation(opts)
    if args.update_readme:
        from .report import update_readme

        readme = Path(args.root) / "README.md"
        log.info("%s %s", readme, "updated" if update_readme(readme, md) else "already up to date")
    print(md)
    print(f"wrote {', '.join(map(str, paths))} in {payload['context']['wall_time_s']} s")
    return EXIT_OK


def _evaluate_external(args: argparse.Namespace) -> int:
    from .cvreport import run_external

    md, _, paths = run_external(args.test, args.model, args.out, plots=not args.no_plots, seed=args.seed)
    print(md)
    print(f"wrote {', '.join(map(str, paths))}")
    return EXIT_OK


# --------------------------------------------------------------------------- tag
def _check_output(output: str | None, inputs: Sequence[str], force: bool) -> None:
    """Never overwrite what the user wrote: an input file, or an existing file without --force."""
    if not output:
        return
    out = Path(output).resolve()
    for item in inputs:
        if item != "-" and Path(item).resolve() == out:
            raise InputError(f"{output}: is also an input; choose another --output")
    from .persistence import would_overwrite

    if would_overwrite(output) and not force:
        raise InputError(f"{output}: already exists; pass --force to replace it or choose another --output")


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _fold_count(value: str) -> int:
    number = int(value)
    if number < 2:
        raise argparse.ArgumentTypeError(f"cross-validation needs at least 2 folds, got {number}")
    return number


def cmd_tag(args: argparse.Namespace) -> int:
    from .batch import BatchStats, iter_records, open_writer, tag_stream
    from .persistence import load_model
    from .progress import progress

    if args.format == "parquet" and not args.output:
        print("error: --format parquet needs --output FILE.parquet", file=sys.stderr)
        return EXIT_USAGE
    _check_output(args.output, args.inputs, args.force)
    model = load_model(args.model)
    records = iter_records(args.inputs, text_column=args.text_column, id_column=args.id_column, glob=args.glob,
                           encoding=args.encoding, batch_rows=args.chunk_size)
    stats = BatchStats()
    with open_writer(args.format, args.output, summary=args.summary) as writer:
        frames = tag_stream(records, model, model_path=args.model, chunk_size=args.chunk_size, jobs=args.jobs,
                            evidence=args.evidence, on_error=args.on_error, stats=stats)
        for frame in progress(frames, "tagging (chunks)", enabled=None if not args.quiet else False):
            writer.write(frame)
    if args.output:
        log.info("wrote %s: %d reports, %d paragraphs", args.output, stats.reports, stats.paragraphs)
    if stats.skipped:
        print(f"warning: skipped {len(stats.skipped)} bad input(s), first: {stats.skipped[0].where}: "
              f"{stats.skipped[0].reason}", file=sys.stderr)
        return EXIT_SKIPPED
    return EXIT_OK


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tagger", description="Tag paragraphs of power-utility service reports.")
    parser.add_argument("--version", action="version", version=f"tagger {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train on all labelled paragraphs and save the model")
    p.add_argument("--root", default=".", help="project checkout (seeds/, labels/); default: .")
    p.add_argument("--out", default=_default_model(), help="model file (default: models/tagger.joblib)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-authored", action="store_true", help="train on real seed paragraphs only")
    p.add_argument("--no-cv", action="store_true", help="skip the LODO CV summary stored in the manifest")
    p.add_argument("--jobs", type=_positive_int, default=1,
                   help="parallel processes for the CV folds (default 1: for 5 folds, starting workers costs "
                        "more than it saves)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="cross-validation report (or score an external labelled file)")
    p.add_argument("--root", default=".")
    p.add_argument("--scheme", choices=["lodo", "kfold", "both"], default="both",
                   help="lodo (leave one document out, primary), kfold, or both (default)")
    p.add_argument("--folds", type=_fold_count, default=5, help="K for kfold (default 5)")
    p.add_argument("--repeats", type=_positive_int, default=2, help="repeats for kfold (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="reports", help="report directory (default reports/)")
    p.add_argument("--no-ablations", action="store_true", help="skip the ablation rows (faster)")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--no-learning-curve", action="store_true", help="skip the learning curve (faster)")
    p.add_argument("--jobs", type=_positive_int, default=2, help="parallel processes for CV folds (default 2)")
    p.add_argument("--update-readme", action="store_true", help="write the results tables into README.md")
    p.add_argument("--audit", action="store_true",
                   help="list labelled paragraphs whose labels disagree with confident out-of-fold predictions")
    p.add_argument("--top", type=_positive_int, default=20, help="candidates per label for --audit (default 20)")
    p.add_argument("--test", metavar="FILE.jsonl", help="score the trained model on an external labelled file")
    p.add_argument("--model", default=_default_model(), help="model for --test")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("tag", help="tag reports: files, directories, - (stdin), JSONL/CSV/Parquet tables",
                       description="One output row per paragraph (report id, paragraph id, text, labels, "
                                   "per-label scores). Exit codes: 0 ok, 1 failed, 2 usage, 3 finished "
                                   "with skipped inputs (--on-error skip).")
    p.add_argument("inputs", nargs="+", help="report .txt files, directories, .jsonl/.csv/.parquet tables, or -")
    p.add_argument("--glob", default="*.txt", help="file pattern inside directories (default *.txt)")
    p.add_argument("--text-column", default="text", help="text column/field of tabular input (default text)")
    p.add_argument("--id-column", help="report id column of tabular input (default: file stem + row)")
    p.add_argument("--format", choices=["table", "jsonl", "csv", "parquet"], default="table")
    p.add_argument("--output", "-o", help="write here (atomically) instead of stdout; needed for parquet")
    p.add_argument("--summary", action="store_true",
                   help="add one row per report (its labels, per-label paragraph counts) and a corpus total")
    p.add_argument("--evidence", action="store_true", help="add the evidence terms per label (slower)")
    p.add_argument("--force", action="store_true", help="replace an existing --output file")
    p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                   help="no progress bar, only warnings and errors")
    p.add_argument("--chunk-size", type=_positive_int, default=500,
                   help="reports tagged per chunk; memory is bounded by it (default 500)")
    p.add_argument("--jobs", type=_positive_int, default=1, help="worker processes (default 1)")
    p.add_argument("--on-error", choices=["fail", "skip"], default="fail",
                   help="bad row/file: stop with exit 1 and no output file (fail), or report it and go on, "
                        "exit 3 (skip)")
    p.add_argument("--model", default=_default_model())
    p.add_argument("--encoding", help="input encoding (default: UTF-8, else GB18030)")
    p.set_defaults(func=cmd_tag)
    from .annotate_cli import register as _register_annotate
    _register_annotate(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 error, 2 usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage
        return int(exc.code or 0) and EXIT_USAGE
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    try:
        return args.func(args)
    except TaggerError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # e.g. piped into head
        return EXIT_OK
    except ImportError as exc:  # an optional dependency is missing
        if args.debug:
            raise
        print(f"error: {exc.name or exc} is not installed: pip install {exc.name or ''} "
              "(or reinstall tagger with its dependencies)", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # e.g. an output directory that cannot be written
        if args.debug:
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main_entry() -> None:  # console script
    sys.exit(main())
