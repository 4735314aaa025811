"""Command line of the annotation loop: ``tagger suggest``, ``tagger labels import|export|audit``,
``tagger serve``.

:func:`register` adds the subcommands to the parser of :func:`tagger.apps.cli.build_parser`; each sets
``func`` (``Namespace -> exit code``). User errors raise :class:`~tagger.errors.TaggerError`
subclasses, which :func:`tagger.apps.cli.main` prints without a traceback.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="tagger")
    >>> register(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["labels", "import", "to_label.csv", "--dry-run"]).dry_run
    True
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..labels import LABELS
from .args import (FIT_JOBS, MODEL_HELP, MODEL_HELP_NO_ROOT, common_options, fraction, model_path, number_between,
                   port_number, positive_int, random_seed)
from .outcome import Terminated, final_outputs

if TYPE_CHECKING:
    from ..text.report import Paragraph

__all__ = ["register", "cmd_suggest", "cmd_labels_import", "cmd_labels_export", "cmd_labels_audit", "cmd_serve"]

log = logging.getLogger(__name__)

EXIT_OK = 0
SOURCE_FORMATS = ("labelstudio", "doccano", "prodigy", "tagger")  # tagger.annotation.interop.FORMATS (kept lazy)
EXPORT_FILES = {"labelstudio": ("JSON", ".json"), "doccano": ("JSONL", ".jsonl")}
"""What ``labels export --to TOOL`` writes, and the extension the tool reads it by."""
# --------------------------------------------------------------------------- suggest
def cmd_suggest(args: argparse.Namespace) -> int:
    """``tagger suggest``: write the paragraphs to label next as a CSV."""
    from ..annotation.suggest import SuggestionsExist, check_output_name, suggest_paragraphs, write_suggestions
    from ..common.atomic import refuse_an_input, would_overwrite
    from ..model.persistence import load_model

    out = check_output_name(args.output)  # fail before the slow part
    refuse_an_input(out, args.reports, "--output")  # even with --force: the reports would be lost
    if would_overwrite(out) and not args.force:
        raise SuggestionsExist(out)  # said with the options by the CLI (cli._dispatch)
    model = load_model(model_path(args.model, args.root))
    paragraphs, sources = _suggest_inputs(args)
    result = suggest_paragraphs(model, paragraphs, args.root, n=args.n, seed=args.seed,
                                progress=None if not args.quiet else False, sources=sources)
    if not result.suggestions:
        log.warning("nothing to label: %s; %s not written", result.summary(), out)
        return EXIT_OK
    final_outputs(out)
    write_suggestions(result.suggestions, out, force=args.force)  # written by someone else meanwhile: refused too
    log.info("wrote %s: %s", out, result.summary())
    log.info("ranked by uncertainty (the expected number of wrong label decisions, scores read as probabilities), "
             "one per cluster of similar paragraphs (numbers and utilities' names masked), none repeating another "
             "but for them; column margin: -log of that number, smaller = less certain, ranked first.")
    log.info("fill the 'labels' column: label ids separated by ';' (ids: %s), 'none' for no label, leave empty to "
             "skip; keep the text unchanged.", ", ".join(LABELS))
    log.info("then: tagger labels import %s", out)
    return EXIT_OK


def _suggest_inputs(args: argparse.Namespace) -> tuple[list[Paragraph], dict[str, str]]:
    """The paragraphs of ``suggest``'s inputs: report files and folders as :func:`collect_reports` reads them, tables
    of reports (.csv, .jsonl, .xlsx …) as ``tagger tag`` reads them (``--text-column``, ``--id-column``), a row a
    report; a table given twice is read once, a row that cannot be a report (an empty text) is left out with a
    warning naming it. With them, where each report was read (its file, or its table's row), for messages.

    Raises:
        UsageError: table options without a table among the inputs (folders are read as report files).
        InputError: a table that is not one (a file tagger tag wrote: its rows are paragraphs), a table without the
            columns the options name, or one report id given to two reports."""
    from ..annotation.suggest import collect_reports
    from ..data.tagged import earlier_output
    from ..errors import InputError, UsageError
    from ..text.report import split_report
    from .batch import BadRow, is_table, iter_records

    a_table = {r: is_table(r) and not Path(r).is_dir() for r in args.reports}  # a .xls too: refused as tag does
    tables = list({Path(r).resolve(): r for r in args.reports if a_table[r]}.values())  # each once
    if not tables and (args.id_column or args.text_column != "text"):  # folders are read as report files here
        raise UsageError("--text-column and --id-column apply to tables of reports (.csv, .jsonl, .xlsx, .parquet); "
                         "no input is one: drop them")
    files = [r for r in args.reports if not a_table[r]]
    for table in tables:
        earlier = earlier_output(table) if Path(table).is_file() else None
        if earlier is not None:  # tag's output, a suggestion CSV, a label file, stats counts: not reports
            raise InputError(f"{table}: {earlier}, written by tagger: its rows are not reports; give tagger suggest "
                             "the reports themselves")
    read: dict[str, Path] = {}
    paragraphs = collect_reports(files, args.encoding, read) if files else []
    where = {p.doc: f"the report file named {p.doc}" for p in paragraphs}
    sources = {doc: str(f) for doc, f in read.items()}
    for record in iter_records(tables, text_column=args.text_column, id_column=args.id_column, glob="*",
                               encoding=args.encoding):
        if isinstance(record, BadRow):
            if not record.empty:  # a file that cannot be read, a column that is not there, a bad id
                raise InputError(f"{record.where}: {record.reason}")
            log.warning("%s: left out: %s", record.where, record.reason)  # tag's reason (a merged cell, …)
            continue
        if record.report in where:
            raise InputError(f"{record.where}: report id {record.report!r} is given to two reports (the other: "
                             f"{where[record.report]}); paragraph ids <report>:<n> would clash: give each report its "
                             "own id (--id-column, or rename one of the files)")
        where[record.report] = sources[record.report] = record.where
        found = split_report(record.text, record.report, warn_misdecoded=False)  # suggest refuses it
        if not found:  # an empty text cell, or page chrome only: as tag leaves it out, named
            log.warning("%s (id %r): left out: no paragraphs in its text (empty, or page chrome only)", record.where,
                        record.report)
        paragraphs += found
    return paragraphs, sources


# --------------------------------------------------------------------------- labels import / export / audit
def cmd_labels_import(args: argparse.Namespace) -> int:
    """``tagger labels import``: validate a filled CSV or an annotation tool's export and merge it into
    labels/imported.jsonl."""
    from ..annotation.interop import import_file
    from ..data.examples import IMPORTED_FILE

    if not args.dry_run:
        final_outputs(Path(args.root) / IMPORTED_FILE)
    result, notes = import_file(args.file, args.root, fmt=args.source_format, update=args.update,
                                dry_run=args.dry_run, keep_latest=args.keep_latest)
    for note in notes:
        print(note)
    print(result.summary())
    return EXIT_OK


def cmd_labels_export(args: argparse.Namespace) -> int:
    """``tagger labels export``: a tagged file or a label file as Label Studio tasks or doccano JSONL."""
    from ..annotation import interop
    from ..common.atomic import atomic_write, refuse_an_input, would_overwrite, write_target
    from ..errors import InputError, ModelFileError, UsageError

    source, out = Path(args.file), Path(args.output)
    _, streamed = write_target(out)
    config = interop.config_path(out) if args.to == "labelstudio" else None
    if config is not None and streamed:
        raise UsageError("--to labelstudio writes two files (the tasks and the labelling config beside them): "
                         "give -o FILE.json")
    kind, suffix = EXPORT_FILES[args.to]
    if not streamed and out.suffix.lower() != suffix:  # Label Studio takes the format from the extension
        raise UsageError(f"{out}: --to {args.to} writes {kind}: name the file {out.stem}{suffix}, so that the tool "
                         "reads it as such")
    if not streamed:
        refuse_an_input(out, [source], "-o")
    for path in (out, config):
        if path is not None and would_overwrite(path) and not args.force:
            raise InputError(f"{path}: already exists; pass --force to replace it or choose another -o")
    src = interop.read_export_source(source)
    if not src.items:
        why = f" ({'; '.join(src.notes + src.warnings)})" if src.notes or src.warnings else ""  # e.g. headings only
        raise InputError(f"{source}: no paragraph to export{why}")
    for warning in src.warnings:
        log.warning("%s: %s", source, warning)
    version, thresholds = f"labels {source.name}", None
    if args.model and (args.to != "labelstudio" or not src.needs_model):  # it did nothing, without a word
        if args.to != "labelstudio":
            why = f"a {args.to} file names no model and holds no scores (--model names Label Studio's predictions)"
        else:
            why = "no paragraph starts from the model's labels " + (
                "(each one a reviewer's decision)" if src.kind == "tagged" else "(a label file's labels)")
        log.warning("%s: --model %s is not used: %s", source, args.model, why)
    if src.needs_model and args.to == "labelstudio":  # the predictions' model_version and score (doccano: none)
        from ..data.tagged import model_record, recorded_thresholds
        from ..model.persistence import describe_provenance, load_model, provenance, record_differences

        record = model_record(source)  # the model that made the file's labels, when the file says
        if recorded_thresholds(record) is not None:
            version, thresholds = interop.model_version(record), recorded_thresholds(record)
            if args.model:  # said only when --model is not the file's own model: how it differs
                loading = logging.getLogger(load_model.__module__)  # not used: its load's own warnings are no news
                loading.disabled, was = True, loading.disabled
                try:
                    differ = record_differences(record, provenance(load_model(model_path(args.model))))
                except ModelFileError as exc:  # not needed here: the file's record names the model
                    log.warning("%s: --model %s is not used (the file records the model that tagged it, %s: its "
                                "predictions are named after it and scored with its thresholds), and it cannot be "
                                "read either: %s", source, args.model, describe_provenance(record), exc)
                    differ = []
                finally:
                    loading.disabled = was
                if differ:
                    log.warning("%s: the file records the model that tagged it (%s): its predictions are named after "
                                "it and scored with its thresholds, not with --model %s, which differs (%s)", source,
                                describe_provenance(record), args.model, "; ".join(differ))
        else:
            model = load_model(model_path(args.model))  # labels export has no --root
            version, thresholds = interop.model_version(provenance(model)), model.thresholds_
    counts = {s: sum(item.label_source == s for item in src.items) for s in ("reviewed", "model", "label file")}
    whose = {"reviewed": "a reviewer's", "model": "the model's", "label file": "the file's"}
    what = ", ".join(f"{n} with {whose[s]} labels" for s, n in counts.items() if n)
    for note in src.notes:
        log.info("%s", note)
    final_outputs(out)  # written last (Label Studio's config goes first)
    if args.to == "labelstudio":
        tasks = interop.to_labelstudio(src.items, version, thresholds)
        with atomic_write(config, "w", encoding="utf-8", exclusive=not args.force) as fh:
            fh.write(interop.labelstudio_config())
        with atomic_write(out, "w", encoding="utf-8", exclusive=not args.force) as fh:
            json.dump(tasks, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        log.info("wrote %s: %d Label Studio tasks (%s; model_version %r) and %s", out, len(tasks), what, version,
                 config)
        log.info("Label Studio: create a project, paste %s under Settings > Labeling Interface > Code, then Import "
                 "%s: the labels appear as predictions (data.label_source says whose; sort by prediction score, "
                 "lowest first, for the least certain). Submitting with nothing ticked means no label; Skip means "
                 "not reviewed.", config.name, out.name)
        log.info("then Export (JSON, JSON-MIN or CSV) and: tagger labels import EXPORT_FILE")
    else:
        rows = interop.to_doccano(src.items)
        with atomic_write(out, "w", encoding="utf-8", exclusive=not args.force) as fh:
            fh.write("".join(interop.jsonl_line(row) for row in rows))
        log.info("wrote %s: %d doccano rows (%s)", out, len(rows), what)
        log.info("doccano: create a Text Classification project (allow multi-label), Dataset > Import > JSONL, "
                 "file %s (Column Data: text, Column Label: label). The labels come pre-filled: correct them, mark "
                 "each example as checked, export as JSONL with 'Export only approved documents', and:", out.name)
        log.info("tagger labels import EXPORT_FILE.jsonl")
    return EXIT_OK


def cmd_labels_audit(args: argparse.Namespace) -> int:
    """``tagger labels audit``: list labelled paragraphs to re-review; changes nothing."""
    from ..annotation import audit as auditing

    items = auditing.audit(args.root, top=args.top, min_confidence=args.min_confidence,
                           use_authored=not args.no_authored, jobs=args.jobs, seed=args.seed)
    if args.format == "jsonl":
        log.info("%s", json.dumps({"method": auditing.AUDIT_METHOD, "min_confidence": args.min_confidence,
                                   "top": args.top}, ensure_ascii=False))
        for item in items:
            print(json.dumps(item, ensure_ascii=False))
    else:
        print(auditing.format_audit(items, args.min_confidence, args.top))
    return EXIT_OK


# --------------------------------------------------------------------------- serve
def cmd_serve(args: argparse.Namespace) -> int:
    """``tagger serve``: the review page, until Ctrl+C or SIGTERM (or SIGHUP), which stop it as they stop ``tagger
    review``: the requests under way are answered (a save of labels finished), later ones refused, and it exits 0."""
    from ..model.persistence import load_model
    from .server import make_server

    path = model_path(args.model, args.root)
    model = load_model(path)
    server = make_server(model, args.root, host=args.host, port=args.port,
                         max_bytes=int(args.max_mb * 1024 * 1024), model_name=str(path))
    print(f"review page: {server.url} (labels go to {Path(args.root) / 'labels' / 'imported.jsonl'}; "
          "Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, Terminated):  # how the page is stopped: the run succeeds
        pass
    finally:
        server.server_close()  # waits for the requests under way (tagger.apps.web)
    log.info("review page stopped")
    return EXIT_OK


# --------------------------------------------------------------------------- parser
def register(sub: Any) -> None:
    """Add ``suggest``, ``labels`` (``import``, ``audit``) and ``serve`` to ``tagger``'s subparsers (the
    object ``ArgumentParser.add_subparsers()`` returns)."""
    p = sub.add_parser("suggest", help="pick the paragraphs of new reports to label next (CSV)",
                       description="Split new reports into paragraphs, drop headings and paragraphs already "
                       "labelled (same text), rank the rest by uncertainty with diversity, write a CSV to fill.")
    p.add_argument("reports", nargs="+", help="report files (.txt, Word .docx, saved web pages .html), directories "
                                              "(searched for them), or tables of reports (.csv, .jsonl, .xlsx, "
                                              ".parquet: a row a report, as tagger tag reads them)")
    p.add_argument("--text-column", default="text", help="text column of tables of reports (default text)")
    p.add_argument("--id-column", help="report id column of tables of reports (default: file stem + row)")
    p.add_argument("--n", type=positive_int, default=30, help="how many paragraphs (default 30)")
    p.add_argument("-o", "--output", default="to_label.csv", help="CSV to write, named .csv (default to_label.csv)")
    p.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    p.add_argument("--root", default=".", help="project checkout (seeds/, labels/); default: .")
    p.add_argument("--model", help=MODEL_HELP)
    p.add_argument("--encoding", help="report encoding (default: UTF-8, else GB18030; a BOM decides UTF-16)")
    p.add_argument("--seed", type=random_seed, default=0, help="clustering random state (default 0)")
    p.set_defaults(func=cmd_suggest)

    p = sub.add_parser("labels", help="import filled-in labels, export paragraphs to annotation tools, or audit "
                       "the labelled set")
    lsub = p.add_subparsers(dest="labels_command", required=True, metavar="{import,export,audit}")
    common = common_options()  # -q/--debug after the subcommand too, as tagger labels --help lists them
    q = lsub.add_parser("import", parents=[common],
                        help="validate filled labels (CSV, annotation-tool export) and merge them into "
                        "labels/imported.jsonl",
                        description="Validate a CSV written by tagger suggest and filled in (labels column: "
                        "';'-separated ids, 'none' for no label, empty = not reviewed, skipped), or an export of "
                        "Label Studio (JSON, JSON-MIN, CSV), doccano (JSONL) or Prodigy (db-out JSONL) of "
                        "paragraphs tagger labels export wrote, and merge it into ROOT/labels/imported.jsonl. "
                        "Existing rows are kept unless --update.")
    q.add_argument("file", help="the filled CSV, or the annotation tool's export")
    q.add_argument("--from", dest="source_format", choices=SOURCE_FORMATS,
                   help="the tool that wrote FILE (default: told from its content)")
    q.add_argument("--root", default=".", help="project checkout (default: .)")
    q.add_argument("--update", action="store_true", help="overwrite labels of rows imported earlier")
    q.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    q.add_argument("--keep-latest", action="store_true",
                   help="of a paragraph several annotators decided differently, import the latest decision (by "
                        "default such paragraphs are refused, each named: settle them in the tool)")
    q.set_defaults(func=cmd_labels_import)

    q = lsub.add_parser("export", parents=[common],
                        help="hand paragraphs to Label Studio or doccano (labels as pre-annotations)",
                        description="Write the paragraphs of a tagged file (tagger tag -o FILE.jsonl/.csv/.parquet/.xlsx/.sqlite, "
                        "reviewed or not) or of a label file (tagger suggest CSV, labels/*.jsonl) in an annotation "
                        "tool's import format, with their ids, text hash and kept metadata columns, so that "
                        "tagger labels import can read the tool's export back. Label Studio: a JSON list of tasks, "
                        "the labels as predictions, and OUT's stem + .label_config.xml (the labelling config).")
    q.add_argument("file", help="a tagged file (.jsonl, .csv, .parquet, .xlsx, .sqlite) or a label file")
    q.add_argument("--to", required=True, choices=["labelstudio", "doccano"], help="the annotation tool")
    q.add_argument("-o", "--output", required=True, help="file to write: Label Studio .json, doccano .jsonl (the tools "
                   "read the format from the extension)")
    q.add_argument("--model", help=MODEL_HELP_NO_ROOT + "; Label Studio: names the predictions (model_version) and "
                   "scores them, unless the tagged file records the model that tagged it (.sqlite, .xlsx, .parquet)")
    q.add_argument("--force", action="store_true", help="replace existing output files")
    q.set_defaults(func=cmd_labels_export)

    q = lsub.add_parser("audit", parents=[common],
                        help="list labelled paragraphs that disagree with confident OOF predictions",
                        description="Cross-validation of the shipped model by report (a fit per seed report, "
                        "plus one per imported report up to 10 of them, else 10 folds of whole imported reports: "
                        "each fit as long as python train.py's training), then per label the real "
                        "paragraphs whose gold label disagrees with a confident out-of-fold prediction. "
                        "Changes nothing.")
    q.add_argument("--root", default=".", help="project checkout (default: .)")
    q.add_argument("--top", type=positive_int, default=20, help="most candidates per label (default 20)")
    q.add_argument("--min-confidence", type=fraction, default=0.5,
                   help="smallest confidence listed, 0..1 (default 0.5)")
    q.add_argument("--format", choices=["table", "jsonl"], default="table")
    q.add_argument("--no-authored", action="store_true", help="train folds without the authored supplement")
    q.add_argument("--jobs", type=positive_int, default=FIT_JOBS,
                   help=f"worker processes for the CV folds (default {FIT_JOBS})")
    q.add_argument("--seed", type=random_seed, default=0)
    q.set_defaults(func=cmd_labels_audit)

    p = sub.add_parser("serve", help="local review page: tag a report, correct labels, save them",
                       description="Start the review page (bound to 127.0.0.1 by default; it has no login).")
    p.add_argument("--port", type=port_number, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--model", help=MODEL_HELP)
    p.add_argument("--root", default=".", help="project checkout whose labels/ receives the labels (default: .)")
    p.add_argument("--max-mb", type=number_between(0.01, 1024), default=2.0,
                   help="largest report accepted, in MB (0.01 to 1024; default 2)")
    p.set_defaults(func=cmd_serve)
