"""``tagger stats TAGGED``: count a tagged corpus by label and group, write the counts (CSV, xlsx) and an
HTML corpus report, or print them.

:func:`register` adds the command to the parser of :func:`tagger.apps.cli.build_parser`. Every output is
checked before the file is read and written only when everything was computed, each atomically: a bad
input leaves no output file.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="tagger")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["stats", "tagged.csv", "--by", "company", "--by", "month", "-o", "stats.xlsx"])
    >>> args.by, args.output
    (['company', 'month'], 'stats.xlsx')
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from pathlib import Path
from typing import Any

from ..common.terminal import counted, terminal_columns
from .args import number_between, positive_int, they_apply
from .outcome import final_outputs

__all__ = ["register", "cmd_stats"]

log = logging.getLogger(__name__)

EXIT_OK = 0
HTML_SUFFIXES = (".html", ".htm")


def _check_outputs(args: argparse.Namespace, files: list[str]) -> None:
    """Refuse before any work: a wrong extension, an output that is the input, an existing file without
    ``--force``, an option that would do nothing (``--examples`` without ``--html``, ``--keep-spellings`` without
    ``--by``)."""
    from ..analysis.output import OUTPUT_FORMATS, is_csv_stream
    from ..common.atomic import refuse_an_input, would_overwrite
    from ..errors import InputError, UsageError

    if args.output and Path(args.output).suffix.lower() not in OUTPUT_FORMATS and not is_csv_stream(args.output):
        raise UsageError(f"{args.output}: -o writes {' or '.join(OUTPUT_FORMATS)} (the extension decides; -o - or a "
                         "pipe: CSV); for the HTML report use --html REPORT.html")
    if args.html and Path(args.html).suffix.lower() not in HTML_SUFFIXES:
        raise UsageError(f"{args.html}: --html writes an .html file")
    page = [opt for opt, value in (("--examples", args.examples), ("--html-max-mb", args.html_max_mb))
            if value is not None and not args.html]
    spellings = args.keep_spellings and not args.by
    if page or spellings:  # given where it does nothing, it did nothing without a word: the user believed it applied
        them = "them" if len(page) + spellings > 1 else "it"
        raise UsageError("; ".join([f"{they_apply(page)} to the page of --html REPORT.html"] * bool(page) +
                                   ["--keep-spellings applies to the groups of --by COL"] * spellings) +
                         f": give {them} with {'those' if page and spellings else 'that'}, or leave {them} out")
    outputs = {option: out for option, out in (("-o", args.output), ("--html", args.html)) if out}
    if len(outputs) == 2 and args.output != "-" and Path(args.output).resolve() == Path(args.html).resolve():
        raise UsageError("-o and --html name the same file")
    for option, out in outputs.items():
        if out == "-":
            continue
        refuse_an_input(out, files, option)
        if would_overwrite(out) and not args.force:
            raise InputError(f"{out}: already exists; pass --force to replace it or choose another name")


def _same_groups(headers: dict[str, set[str]], by: list[str]) -> None:
    """Refuse files that would be grouped by different things: a ``--by month`` (quarter, year) that is one file's own
    column and the other's period of its dates.

    Raises:
        UsageError: naming a file of each kind.
    """
    from ..analysis.stats import PERIODS
    from ..errors import UsageError

    for b in by:
        if b not in PERIODS:
            continue
        own = [f for f, names in headers.items() if b in names]
        dated = [f for f, names in headers.items() if b not in names]
        if own and dated:
            raise UsageError(f"--by {b}: {own[0]} has a column named {b!r} (counted as it is), {dated[0]} has none (the "
                             f"{b} of its dates): the files would be grouped by different things; rename the column "
                             f"{b!r} in {own[0]} (or count the files apart)")


def cmd_stats(args: argparse.Namespace) -> int:
    """``tagger stats``: read, count, then write (or print). The file's columns are checked against ``--by``
    and ``--date-column`` before its rows are read; only the columns counted are read, and for ``--html`` those
    the page shows."""
    from ..analysis.output import format_terminal, write_tables
    from ..analysis.report import REPORT_COLUMNS
    from ..analysis.stats import MISSING, check_groups, corpus_stats, model_notes
    from ..data.tagged import file_names, model_record, read_tagged_files
    from ..common.atomic import atomic_write

    files = args.file if isinstance(args.file, list) else [args.file]
    _check_outputs(args, files)
    by = args.by or []
    columns = [*by, args.date_column or "date", *(REPORT_COLUMNS if args.html else ())]
    headers: dict[str, set[str]] = {}

    def check(names: list[str], path) -> None:
        check_groups(names, by, args.date_column, path)
        headers[str(path)] = set(names)
        _same_groups(headers, by)

    df = read_tagged_files(files, columns, check=check, progress=False if args.quiet else None)
    name = files[0] if len(files) == 1 else f"{files[0]} and {counted(len(files) - 1, 'more file')}"
    undated = [f for f in files if (args.date_column or "date") not in headers.get(str(Path(f)), ())]
    if len(files) > 1 and undated and len(undated) < len(files):  # the trend leaves their rows out: said
        log.warning("%s: %s no %r column: %s paragraphs have no date and are not in the monthly trend (tag their "
                    "reports again from a table with a date column and --keep-columns %s)", name,
                    ", ".join(undated) + (" has" if len(undated) == 1 else " have"), args.date_column or "date",
                    "its" if len(undated) == 1 else "their", args.date_column or "date")
    stats = corpus_stats(df, by, args.date_column, args.on_error, source=files[0] if len(files) == 1 else name,
                         merge=not args.keep_spellings, warn=False)
    if len(files) > 1:
        stats.source = ", ".join(files)
    stats.set_models([(f, model_record(f)) for f in files])  # the model that tagged each (.xlsx, .sqlite, .parquet)
    # nothing hidden: every spelling counted in another's group is named; dates with a UTC offset (in the notes)
    for note in [*stats.notes, *model_notes(stats)]:  # the spellings merged are among the notes
        log.warning("%s: %s", name, note)
    if stats.unreadable_dates:  # skipped: with --on-error skip, or read for the trend only (no period, no --date-column)
        grouped = stats.dates_grouped
        log.warning("%s: %s with an unreadable %s counted as having no date%s: %snot in the monthly trend; "
                    "the first: %s; write dates as YYYY-MM-DD (2023-05-06)%s", name,
                    counted(stats.unreadable_dates, "paragraph"),
                    stats.date_column, " (--on-error skip)" if args.on_error == "skip" else "",
                    f"in group {MISSING!r} and " if grouped else "", stats.first_unreadable[0],
                    "" if args.on_error == "skip" or grouped else
                    f" (--by month or --date-column {stats.date_column} stops at such a date)")
    if stats.year_only_dates:
        log.warning("%s: %s with a year or quarter only in %s (no month) %s not in the monthly trend",
                    name, counted(stats.year_only_dates, "paragraph"), stats.date_column,
                    "is" if stats.year_only_dates == 1 else "are")
    page = None
    if args.html:
        from ..analysis.report import corpus_report_html

        given = {"examples": args.examples,  # what is not given: corpus_report_html's defaults
                 "max_bytes": None if args.html_max_mb is None else int(args.html_max_mb * 1_000_000)}
        page = corpus_report_html(df, stats, **{k: v for k, v in given.items() if v is not None},
                                  source_name=", ".join(file_names(files).values()))
    final_outputs(args.html, args.output)
    with contextlib.ExitStack() as outputs:
        if page is not None:  # the HTML first, flushed: a full disk fails it before -o replaces anything
            fh = outputs.enter_context(atomic_write(args.html, "w", encoding="utf-8", exclusive=not args.force))
            fh.write(page)
            fh.flush()
        if args.output:
            write_tables(stats, args.output, exclusive=not args.force)
    if args.output:
        log.info("wrote %s: %s", "the counts to standard output" if args.output == "-" else args.output,
                 stats.summary())
        log.info("%s: tagged by model: %s", name, stats.model_line())  # the CSV stays a table: named here
    if page is not None:
        size = len(page.encode("utf-8"))
        log.info("wrote %s (%s): open it in a browser", args.html,
                 f"{size / 1e6:.1f} MB" if size >= 999_500 else f"{max(1, round(size / 1e3))} kB")
    if not args.output:
        print(format_terminal(stats, width=terminal_columns()))  # long group names cut to the terminal's width
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``stats`` to ``tagger``'s subparsers (the object ``ArgumentParser.add_subparsers()`` returns)."""
    p = sub.add_parser("stats", help="count a tagged file by label and group; CSV/xlsx and an HTML corpus report",
                       description="Paragraphs and reports per label, overall and per group (--by any column, or "
                                   "month/quarter/year of a date column), shares, a pivot, label co-occurrence and "
                                   "the monthly trend. Reviewed paragraphs count with the reviewer's labels. "
                                   "Without -o a compact table is printed.")
    p.add_argument("file", nargs="+", help="a file written by tagger tag ... -o FILE (.jsonl, .csv, .parquet, .xlsx, "
                                        ".sqlite); several (a month's output each) are counted together")
    p.add_argument("--by", action="append", metavar="COL",
                   help="group by this column (repeat for several): a column of the file (e.g. company, kept "
                        "with tagger tag --keep-columns), or month, quarter, year of the date column")
    p.add_argument("--keep-spellings", action="store_true",
                   help="count spellings of a group value that differ only in script, width, white space or invisible characters "
                        "(南方电网/南方電網) as separate groups (default: one group, with a warning naming them)")
    p.add_argument("--date-column", metavar="COL",
                   help="column with each report's date; gives the monthly trend and the periods of --by (default: "
                        "date, when the file has that column)")
    p.add_argument("-o", "--output", help="write the counts here: .csv (long, tidy; UTF-8 with BOM) or .xlsx "
                                          "(a sheet per table); - (standard output) or a pipe: the CSV, without BOM")
    p.add_argument("--html", metavar="REPORT.html",
                   help="write the self-contained HTML corpus report here (it shows texts and scores: they are read "
                        "too, about twice the memory of the counts alone)")
    p.add_argument("--examples", type=positive_int, help="example paragraphs per label in the HTML (default 3)")
    p.add_argument("--html-max-mb", type=number_between(1, 200),
                   help="size budget of the HTML file; texts in its table are cut to fit (default 18)")
    p.add_argument("--on-error", choices=["fail", "skip"], default="fail",
                   help="a date that cannot be read, when --by has a period or --date-column is given: stop with "
                        "exit 1 and no output, naming its line (fail), or count the row as having no date (skip); "
                        "dates read only for the monthly trend are left out of it, with a warning naming the first")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.set_defaults(func=cmd_stats, stdout_output=True)  # stdout: only the table or CSV, without -o FILE
