"""Writing the counts of :mod:`tagger.analysis.stats`: tidy CSV, an Excel workbook, a terminal table.

* **CSV** (UTF-8 with a byte-order mark, so Excel reads the Chinese): every table but the pivot in one
  long frame (:func:`tagger.analysis.stats.long_table`), a ``table`` column first. A text cell a
  spreadsheet would read as a formula (``= + - @`` first) gets a leading ``'``
  (:func:`tagger.common.cells.guard_cell`); so does a header cell (a group column is named by whoever
  made the tagged file: ``--by =cmd`` is written ``'=cmd``).
* **xlsx** (openpyxl): one sheet per table (``corpus``, ``groups``, ``pivot``, ``trend``,
  ``cooccurrence``) and ``about`` (what was counted, and the model that tagged it when the file records it). Text
  is written as text, never as a formula.
* **terminal**: the corpus counts (after a line naming the model), the pivot and the co-occurrence, control
  characters escaped
  (:func:`tagger.common.terminal.terminal_safe`).

The CSV and the workbook hold the group values as written (so that they join back to the tagged file); the
terminal table shows group names that would look the same (counted apart with ``--keep-spellings``) with what tells
them apart as ``<U+200B>`` (:func:`tagger.analysis.stats.show_groups`), as the HTML page does.

Files are written atomically (:mod:`tagger.common.atomic`): an error leaves no partial file.

Example:
    >>> write_tables(stats, "stats.xlsx")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..common.atomic import atomic_write, standard_output
from ..common.cells import is_missing
from ..common.terminal import counted, cut_apart, terminal_safe
from ..common.xlsx import (discard_workbook, display_width, finish_sheet, number_cell, save_workbook, start_sheet,
                           text_cell, write_about_sheet)
from ..errors import UsageError
from ..labels import LABELS, SHORT
from .stats import TABLES, CorpusStats, long_table, show_groups

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["write_tables", "write_csv", "write_xlsx", "format_terminal", "OUTPUT_FORMATS", "TERMINAL_ROWS",
           "XLSX_MAX_ROWS"]

OUTPUT_FORMATS = (".csv", ".xlsx")
TERMINAL_ROWS = 40
"""Most groups (the first) and months (the latest) the terminal table lists; the files have them all."""
NAME_WIDTH = 40
"""Most terminal columns a group value takes in the terminal table when the terminal's width is not known (a pipe);
longer ones are cut where they differ (:func:`tagger.common.terminal.cut_apart`), the files hold them in full."""
NAME_MIN_WIDTH = 16
"""Fewest columns a group value is cut to, however narrow the terminal."""
XLSX_MAX_ROWS = 1_048_576
"""Rows of an Excel sheet (with its header)."""
XLSX_WIDTH_ROWS = 1000
"""Rows of a table a sheet's column widths are measured on."""
PERCENT = "0.0%"
"""How the workbook shows a share (the cell holds the fraction: 0.1333 reads 13.3%)."""


def write_tables(stats: CorpusStats, path: str | Path, exclusive: bool = False) -> Path:
    """Write the counts as CSV or xlsx, chosen by the extension of ``path`` (``exclusive``: never over a file
    another program wrote meanwhile, see :func:`tagger.common.atomic.atomic_write`).

    Raises:
        UsageError: another extension.
    """
    if is_csv_stream(path):  # -o - (standard output), a pipe or a device: CSV, as no extension can say
        write_csv(stats, path, exclusive)
        return Path(path)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_csv(stats, path, exclusive)
    elif suffix == ".xlsx":
        write_xlsx(stats, path, exclusive)
    else:
        raise UsageError(f"{path}: write the counts as .csv or .xlsx (the extension decides)")
    return path


def is_csv_stream(path: str | Path) -> bool:
    """Whether counts written to ``path`` go out as a stream of CSV: ``-`` (standard output), or a pipe or device
    named without ``.csv``/``.xlsx`` (``/dev/stdout``, a FIFO)."""
    from ..common.atomic import write_target
    from ..errors import InputError

    if str(path) == "-":
        return True
    if Path(path).suffix.lower() in OUTPUT_FORMATS:
        return False
    try:
        return write_target(path)[1]
    except InputError:
        return False


def write_csv(stats: CorpusStats, path: str | Path, exclusive: bool = False) -> None:
    """The long table as CSV, UTF-8 with BOM (without one on standard output, ``-``, or a pipe, where the next
    program reads it); CRLF rows (RFC 4180, as Excel writes them), so that a cell holding a lone ``\r`` is quoted
    too. Header and text cells are guarded (:func:`tagger.common.cells.guard_cell`)."""
    from pandas.api.types import is_numeric_dtype

    from ..common.cells import guard_cell

    frame = long_table(stats)  # the values as written (look-alike names are told apart where a person reads)
    for col in frame.columns:
        if not is_numeric_dtype(frame[col]):
            frame[col] = frame[col].map(lambda v: guard_cell(v) if isinstance(v, str) else v)
    frame.columns = [guard_cell(str(c)) for c in frame.columns]
    if str(path) == "-":
        with standard_output() as out:  # a closed pipe (| head -1) leaves sys.stdout open
            frame.to_csv(out, index=False, lineterminator="\r\n")
        return
    stream = is_csv_stream(path)
    with atomic_write(path, "w", encoding="utf-8" if stream else "utf-8-sig", newline="", exclusive=exclusive) as fh:
        frame.to_csv(fh, index=False, lineterminator="\r\n")


def _xlsx_value(ws, value, number_format: str | None = None):
    """A cell for openpyxl: text stays text (:func:`tagger.common.xlsx.text_cell`: no formula, illegal
    control characters escaped, cut to Excel's cell size with a note saying so); a number shown in
    ``number_format`` when given (a share as a percentage)."""
    if isinstance(value, str):
        return text_cell(ws, value, "a group value")
    if is_missing(value):  # None, NaN, pandas' NA
        return None
    if hasattr(value, "item"):
        value = value.item()
    if number_format is not None:
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell
    return number_cell(ws, value)  # counts and shares; a 12-15 digit count shown whole


def _about(stats: CorpusStats) -> list[tuple[str, object]]:
    from .. import __version__

    return [("source", stats.source), ("paragraphs", stats.paragraphs), ("reports", stats.reports),
            ("reviewed paragraphs (counted with the reviewer's labels)", stats.reviewed),
            ("grouped by", ", ".join(stats.by) or "-"), ("date column", stats.date_column or "-"),
            ("paragraphs without a readable date", stats.missing_dates if stats.date_column else "-"),
            ("paragraphs with a year or quarter only (not in the trend)",
             stats.year_only_dates if stats.date_column else "-"),
            *_model_rows(stats),
            ("written by", f"tagger {__version__} (tagger stats)")]


def _model_rows(stats: CorpusStats) -> list[tuple[str, object]]:
    """The ``about`` sheet's rows on the model that tagged the counted file: one line, and the file's sha256 and
    thresholds in full (a record's own keys are not used as names here: this sheet is no record)."""
    from ..model.persistence import describe_words, words_trained

    rows: list[tuple[str, object]] = [("tagged by model", stats.model_line())]
    if stats.model is not None:
        thresholds, words = stats.model.get("thresholds"), stats.model.get("user_words")
        how = {True: "as trained", False: "set after training", None: "whether as trained not known"}
        rows += [("model sha256", stats.model.get("model_sha256")),
                 ("model thresholds", "; ".join(f"{lab} {value}" for lab, value in thresholds.items())
                  if isinstance(thresholds, dict) else None),
                 ("model user words", f"{describe_words(words)}, {how[words_trained(words)]}"
                  if isinstance(words, dict) else "not recorded (a file of an earlier tagger)")]
    return rows


def write_xlsx(stats: CorpusStats, path: str | Path, exclusive: bool = False) -> None:
    """One sheet per table and an ``about`` sheet."""
    try:
        from openpyxl import Workbook
    except ImportError:
        raise UsageError("writing .xlsx needs openpyxl: pip install openpyxl (or write .csv)") from None
    too_long = [n for n in TABLES if n in stats.tables and len(stats.tables[n]) >= XLSX_MAX_ROWS]
    if too_long:
        raise UsageError(f"{path}: the {too_long[0]} table has {len(stats.tables[too_long[0]]):,} rows, more than a "
                         f"sheet holds ({XLSX_MAX_ROWS:,}); write .csv instead")
    wb = Workbook(write_only=True)
    try:
        for name in TABLES:
            if name not in stats.tables:
                continue
            frame: pd.DataFrame = stats.tables[name]
            ws = wb.create_sheet(name)
            header = [str(c) for c in frame.columns]
            start_sheet(ws, header, frame.head(XLSX_WIDTH_ROWS).itertuples(index=False, name=None))
            shares = {i for i, c in enumerate(header) if c.endswith("_share")}
            ws.append([_xlsx_value(ws, c) for c in header])
            for row in frame.itertuples(index=False, name=None):
                ws.append([_xlsx_value(ws, v, PERCENT if i in shares else None) for i, v in enumerate(row)])
            finish_sheet(ws, len(header), len(frame) + 1)
        write_about_sheet(wb, _about(stats))
        with atomic_write(path, "wb", exclusive=exclusive) as fh:
            save_workbook(wb, fh)
    except BaseException:
        discard_workbook(wb)
        raise


# --------------------------------------------------------------------------- terminal
def _text(value) -> str:
    """A cell for the terminal: control characters (also line breaks and tabs) escaped."""
    return terminal_safe(str(value)).replace("\n", "\\n").replace("\t", "\\t")


def _percent(share: float) -> str:
    """A share for the terminal (``13.3%``); ``-`` for none (a share of no paragraphs: NaN)."""
    return "-" if share != share else f"{share:.1%}"


def _grid(header: list[str], rows: list[list], numeric: set[int]) -> list[str]:
    cells = [[_text(v) for v in r] for r in [header, *rows]]
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for r in cells:
        out.append("  ".join(" " * (w - display_width(v)) + v if i in numeric else v + " " * (w - display_width(v))
                             for i, (v, w) in enumerate(zip(r, widths))).rstrip())
    return out


def _fit_names(rows: list[list[str]], header: list[str], n: int, width: int | None) -> tuple[list[list[str]], int]:
    """The pivot's ``rows`` with their first ``n`` cells (the group values, as shown) cut in the middle to fit: the
    row in ``width`` columns (the terminal's) with the counts beside them, at least :data:`NAME_MIN_WIDTH` each, or
    :data:`NAME_WIDTH` each when the width is not known; and how many values were cut. No two values show alike
    (:func:`tagger.common.terminal.cut_apart`: names that differ in their middle show where they differ; where a cut
    cannot tell them apart in the room, more of them shows)."""
    if not rows:
        return rows, 0
    counts = [max(display_width(_text(r[i])) for r in [header, *rows]) for i in range(n, len(header))]
    if width is None:
        room = NAME_WIDTH
    else:
        room = max(NAME_MIN_WIDTH, (width - sum(counts) - 2 * len(counts)) // n - 2)
    # per column, cut so that no two show alike (names differing in their middle show where they differ)
    cuts = [{v: s for v, s in cut_apart({_text(r[i]) for r in rows}, max(room, display_width(header[i]))).items()
             if s != v} for i in range(n)]
    if not any(cuts):
        return rows, 0
    out = [[cuts[i].get(_text(v), v) if i < n else v for i, v in enumerate(r)] for r in rows]
    return out, sum(1 for r in rows for i, v in enumerate(r[:n]) if _text(v) in cuts[i])


def format_terminal(stats: CorpusStats, max_rows: int = TERMINAL_ROWS, width: int | None = None) -> str:
    """A compact text report: per label counts and shares, the pivot, the co-occurrence. A group value longer than
    the pivot's row leaves room for (in ``width`` columns, the terminal's; unknown: :data:`NAME_WIDTH` each) is cut
    in its middle, and a line under the table says so (the CSV, the workbook and the HTML page hold it in full)."""
    t = stats.tables
    lines = [_text(f"{stats.source}: {stats.summary()}"), _text(f"tagged by model: {stats.model_line()}"), ""]
    corpus = t["corpus"]
    rows = [[lab, f"{p:,}", _percent(ps), f"{r:,}", _percent(rs), f"{rv:,}"]
            for lab, p, r, ps, rs, rv in corpus[["label", "paragraphs", "reports", "paragraph_share", "report_share",
                                                 "reviewed_with_label"]].itertuples(index=False, name=None)]
    # "of them reviewed": the label's paragraphs a person decided (the pivot's "reviewed" counts every reviewed
    # paragraph of a group; user test: one word for the two read as the same count)
    lines += _grid(["label", "paragraphs", "% of paragraphs", "reports", "% of reports", "of them reviewed"], rows,
                   {1, 2, 3, 4, 5})
    if "pivot" in t:
        pivot = show_groups(stats, t["pivot"])
        lines += ["", _text(f"paragraphs per label by {', '.join(stats.by)}:")]
        rows = [[*(str(v) for v in r[:len(stats.by)]), *(f"{v:,}" for v in r[len(stats.by):])]
                for r in pivot[[*stats.by, "paragraphs", "reports", "reviewed_paragraphs", *LABELS]]
                .head(max_rows).itertuples(index=False, name=None)]
        n = len(stats.by)
        header = [*stats.by, "paragraphs", "reports", "reviewed", *(SHORT[lab] for lab in LABELS)]
        rows, cut = _fit_names(rows, header, n, width)
        lines += _grid(header, rows, set(range(n, n + 3 + len(LABELS))))
        if cut:
            lines.append(f"… {counted(cut, 'group value')} cut in the middle to fit; -o stats.csv (or .xlsx) or "
                         "--html REPORT.html show them in full")
        if len(pivot) > max_rows:
            lines.append(f"… {len(pivot) - max_rows:,} more groups: write them all with -o stats.csv or .xlsx")
    if "trend" in t and ("month" not in stats.by or "month" in stats.columns_by):  # else the groups show the months
        trend = t["trend"].pivot(index="month", columns="label", values="paragraphs")[list(LABELS)]
        lines += ["", _text(f"paragraphs per label by month (from {stats.date_column}):")]
        if len(trend) > max_rows:  # the latest months: the ones a reader of a running corpus looks for
            lines.append(f"… {len(trend) - max_rows:,} earlier months (up to {trend.index[-max_rows - 1]}) not "
                         "shown: write them all with -o stats.csv or .xlsx")
        rows = [[m, *(f"{v:,}" for v in r)] for m, r in zip(trend.index[-max_rows:], trend.to_numpy()[-max_rows:])]
        lines += _grid(["month", *(SHORT[lab] for lab in LABELS)], rows, set(range(1, 1 + len(LABELS))))
    cooc = t["cooccurrence"].pivot(index="label", columns="other_label", values="paragraphs").loc[list(LABELS),
                                                                                                    list(LABELS)]
    lines += ["", "paragraphs with both labels:"]
    rows = [[SHORT[a], *(f"{v:,}" for v in r)] for a, r in zip(LABELS, cooc.to_numpy())]
    lines += _grid(["", *(SHORT[lab] for lab in LABELS)], rows, set(range(1, 1 + len(LABELS))))
    return "\n".join(lines)
