"""Writing evaluation results: Markdown tables, one self-contained HTML file, JSON, the README block.

Every number is computed in the run that writes it. Report text (paragraphs, ids, file names, terms)
goes through :func:`md_text` wherever it enters Markdown, and the HTML renderer embeds only the
figure files the run wrote: text is data, never markup or a path to read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..common.atomic import atomic_write, check_marked_block, replace_marked_block
from ..common.files import GENERATOR_MARK, PAGE_FONTS
from ..common.terminal import counted, grouped
from ..labels import LABELS, SHORT
from .cv import CVRun

__all__ = ["md_text", "headline_table", "systems_table", "per_doc_table", "errors_table", "terms_table",
           "markdown_to_html", "report_paths", "write_reports", "readme_block", "update_readme", "run_to_dict",
           "README_START", "README_END"]

README_START = "<!-- cv-results:start (written by python evaluate.py --update-readme) -->"
README_END = "<!-- cv-results:end -->"
_MD_SPECIAL = set("\\`*_[]<>!|#")


def md_text(text: str) -> str:
    r"""Report text (or an id, a file name, a term) made inert for a Markdown cell or line.

    Every line break Python knows (``str.splitlines``: also U+2028, U+0085 …) becomes a space, so text
    can never start a line of its own (a heading, a table row, an image), Markdown's special
    characters are backslash-escaped, so nothing in it is read as markup, and ``&`` is written ``&amp;``, so
    text holding an entity (``&lt;script&gt;``) shows as written, not as the character it names.

    Example:
        >>> print(md_text("a\u2028![x](/etc/hostname) | b &lt;"))
        a \!\[x\](/etc/hostname) \| b &amp;lt;
    """
    flat = " ".join(str(text).splitlines())
    return "".join("&amp;" if ch == "&" else "\\" + ch if ch in _MD_SPECIAL else ch for ch in flat)


def _ci(ci: dict | None, *keys: str) -> str:
    if not ci:
        return ""
    for key in keys:
        ci = ci[key]
    if ci is None:
        return ""
    lo, hi = ci
    return f" [{lo:.2f}, {hi:.2f}]"


def headline_table(run: CVRun, ci: dict | None = None) -> str:
    """Per-label precision/recall/F1/average precision/support, micro/macro F1, subset accuracy,
    Hamming loss; 95% report-bootstrap intervals in brackets when ``ci`` is given."""
    m = run.metrics
    ap = run.average_precision or [None] * len(LABELS)
    lines = ["| label | precision | recall | F1 | avg. precision | support |", "|---|---:|---:|---:|---:|---:|"]
    for j, lab in enumerate(LABELS):
        r = m["per_label"][lab]
        lines.append(f"| `{lab}` | {r['precision']:.3f}{_ci(ci, 'per_label', lab, 'precision')} | "
                     f"{r['recall']:.3f}{_ci(ci, 'per_label', lab, 'recall')} | "
                     f"{r['f1']:.3f}{_ci(ci, 'per_label', lab, 'f1')} | "
                     f"{'-' if ap[j] is None else f'{ap[j]:.3f}'} | {grouped(r['support'])} |")
    lines.append(f"| **micro F1** | {m['precision']:.3f} | {m['recall']:.3f} | **{m['micro_f1']:.3f}**"
                 f"{_ci(ci, 'micro_f1')} | | {counted(m['n'], 'paragraph')} |")
    lines.append(f"| **macro F1** | | | **{m['macro_f1']:.3f}**{_ci(ci, 'macro_f1')} | | |")
    if m.get("labels_supported", len(LABELS)) < len(LABELS):
        lines.append(f"| macro F1 over the {grouped(m['labels_supported'])} labels present | | | "
                     f"{m['macro_f1_supported']:.3f} | | |")
    lines.append(f"| subset accuracy | | | {m['subset_accuracy']:.3f}{_ci(ci, 'subset_accuracy')} | | |")
    lines.append(f"| Hamming loss | | | {m['hamming_loss']:.3f}{_ci(ci, 'hamming_loss')} | | |")
    return "\n".join(lines)


def systems_table(runs: Sequence[CVRun], cis: Mapping[str, dict] | None = None) -> str:
    """One row per system: micro (with its interval when known) and macro F1, per-label F1, mean AP."""
    head = "| system | kind | micro F1 | macro F1 | " + " | ".join(SHORT[lab] for lab in LABELS) + " | mean AP |"
    lines = [head, "|---|---|---:|---:|" + "---:|" * len(LABELS) + "---:|"]
    for run in runs:
        m = run.metrics
        per = " | ".join(f"{m['per_label'][lab]['f1']:.3f}" for lab in LABELS)
        aps = [a for a in run.average_precision if a is not None]
        mean_ap = f"{sum(aps) / len(aps):.3f}" if aps else "-"
        ci = _ci((cis or {}).get(run.system), "micro_f1")
        lines.append(f"| {md_text(run.system)} | {run.kind} | {m['micro_f1']:.3f}{ci} | {m['macro_f1']:.3f} | "
                     f"{per} | {mean_ap} |")
    return "\n".join(lines)


def per_doc_table(run: CVRun) -> str:
    """A Markdown table of ``run``'s scores per report (paragraphs, labels, micro-F1, exact match); a report with no
    label given nor predicted has no F1 (–: nothing to find, nothing wrongly found), not 0."""
    lines = ["| report | paragraphs | gold labels | predicted labels | micro F1 | exact match |",
             "|---|---:|---:|---:|---:|---:|"]
    for d in run.per_doc:
        f1 = "–" if d["gold_labels"] == 0 and d["predicted_labels"] == 0 else f"{d['micro_f1']:.3f}"
        lines.append(f"| {md_text(d['doc'])} | {grouped(d['paragraphs'])} | {grouped(d['gold_labels'])} | "
                     f"{grouped(d['predicted_labels'])} | "
                     f"{f1} | {d['exact_match']:.3f} |")
    return "\n".join(lines)


def terms_table(terms: dict) -> str:
    """A Markdown table of each label's strongest positive and negative features (escaped as text)."""
    lines = ["| label | top positive features | top negative features |", "|---|---|---|"]
    for lab in LABELS:
        pos = ", ".join(f"{md_text(n)} {w:+.2f}" for n, w in terms[lab]["positive"])
        neg = ", ".join(f"{md_text(n)} {w:+.2f}" for n, w in terms[lab]["negative"])
        lines.append(f"| `{lab}` | {pos} | {neg} |")
    return "\n".join(lines)


def errors_table(errors: list[dict], with_text: bool = True) -> str:
    """The most confident errors; ``with_text=False`` leaves the paragraph text out (real text that
    must not be committed)."""
    head = "| paragraph | gold | predicted | margin | evidence |" + (" text |" if with_text else "")
    lines = [head, "|---|---|---|---:|---|" + ("---|" if with_text else "")]
    for e in errors:
        ev = "; ".join(f"{SHORT[lab]}: {md_text(', '.join(t)) or '-'}" for lab, t in e["evidence"].items())
        row = (f"| {md_text(e['id'])} | {', '.join(SHORT[g] for g in e['gold']) or '-'} | "
               f"{', '.join(SHORT[p] for p in e['predicted']) or '-'} | {e['margin']:.2f} | {ev} |")
        if with_text:
            text = e["text"] if len(e["text"]) <= 120 else e["text"][:119] + "…"
            row += f" {md_text(text)} |"
        lines.append(row)
    return "\n".join(lines)


def run_to_dict(run: CVRun) -> dict:
    """``run`` as the JSON report stores it."""
    return {"system": run.system, "description": run.description, "kind": run.kind, "scheme": run.scheme,
            "metrics": run.metrics, "average_precision": run.average_precision, "per_doc": run.per_doc,
            "seconds": round(run.seconds, 3)}


_CSS = "body{font-family:" + PAGE_FONTS + """;
max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em}th,td{border:1px solid #ccc;padding:.25em .5em;
vertical-align:top}th{background:#f3f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafbfc}img{max-width:100%;border:1px solid #eee;margin:.4em 0}
code{background:#f3f3f3;padding:0 .2em;border-radius:3px;font-size:.92em}h1{font-size:1.6em}h2{margin-top:1.6em;
border-bottom:1px solid #ddd}"""


def _inline(text: str) -> str:
    """The inline Markdown this project writes: ``**bold**``, `` `code` ``, backslash escapes and ``&amp;``
    (:func:`md_text`'s ``&``); everything else is text, HTML-escaped."""
    import html

    out = []
    pattern = r"\\(.)|\*\*((?:\\.|[^*\\])+?)\*\*|`((?:\\.|[^`\\])+)`|(&amp;)|(.)"
    for token in re.finditer(pattern, text, re.S):
        escaped, bold, code, amp, plain = token.groups()
        if amp is not None:
            out.append(amp)  # an & written as the entity: already HTML
        elif escaped is not None or plain is not None:
            out.append(html.escape(escaped if escaped is not None else plain, quote=False))
        elif bold is not None:
            out.append(f"<strong>{_inline(bold)}</strong>")
        else:
            out.append("<code>" + html.escape(re.sub(r"\\(.)", r"\1", code), quote=False) + "</code>")
    return "".join(out)


def _cells(row: str) -> list[str]:
    """The cells of a Markdown table row, split at unescaped ``|`` only."""
    cells, cell = [], []
    for token in re.findall(r"\\.|[^|\\]+|\||\\", row.strip()[1:-1], re.S):
        if token == "|":
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(token)
    return cells + ["".join(cell).strip()]


def markdown_to_html(markdown: str, figures: Mapping[str, str | Path] | None = None) -> str:
    """Render the report's Markdown subset (headings, tables, paragraphs, images) as one HTML file.

    Images are embedded as base64 so the file opens offline anywhere, but only the figure files this
    run wrote, passed in ``figures`` (the name used in the Markdown → the file): no path taken from the
    text is ever opened, so a paragraph quoting ``![x](/etc/passwd)`` stays text.
    """
    import base64
    import html

    figures = dict(figures or {})
    body: list[str] = []
    table: list[str] = []

    def flush_table() -> None:
        if not table:
            return
        rows = [_cells(r) for r in table if not re.match(r"^\|[-:| ]+\|$", r)]
        align = table[1] if len(table) > 1 else ""
        right = [c.strip().endswith(":") for c in align.strip().strip("|").split("|")]
        out = ["<table><thead><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in rows[0]) + "</tr></thead><tbody>"]
        for r in rows[1:]:
            out.append("<tr>" + "".join(f"<td{' class=num' if k < len(right) and right[k] else ''}>{_inline(c)}</td>"
                                        for k, c in enumerate(r)) + "</tr>")
        body.append("\n".join(out) + "</tbody></table>")
        table.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush_table()
        img = re.match(r"^!\[(.*)\]\((.+)\)$", line)
        if img and img.group(2) in figures:
            data = base64.b64encode(Path(figures[img.group(2)]).read_bytes()).decode("ascii")
            body.append(f'<figure><img alt="{html.escape(img.group(1))}" src="data:image/png;base64,{data}">'
                        f"<figcaption>{html.escape(img.group(1))}</figcaption></figure>")
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    flush_table()
    # the first line as text: its escapes and &amp; read, tags left out (a title is plain text)
    title = re.sub(r"<[^>]*>", "", _inline(markdown.splitlines()[0].lstrip("# "))) if markdown else "report"
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8>{GENERATOR_MARK}<title>{title}</title>"
            f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def report_paths(out_dir: str | Path, stem: str) -> list[Path]:
    """The files :func:`write_reports` writes, in its order.

    Example:
        >>> [p.name for p in report_paths("reports", "test_report")]
        ['test_report.md', 'test_report.json', 'test_report.html']
    """
    return [Path(out_dir) / f"{stem}{suffix}" for suffix in (".md", ".json", ".html")]


def write_reports(out_dir: str | Path, stem: str, markdown: str, payload: dict,
                  figures: Mapping[str, str] | None = None) -> list[Path]:
    """Write ``<stem>.md``, ``<stem>.json`` and the self-contained ``<stem>.html`` (``figures``: the
    figure paths, relative to ``out_dir``, that this run wrote)."""
    out_dir = Path(out_dir)
    paths = report_paths(out_dir, stem)
    with atomic_write(paths[0], "w", encoding="utf-8") as fh:
        fh.write(markdown)
    with atomic_write(paths[1], "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=2, allow_nan=False)
        fh.write("\n")
    with atomic_write(paths[2], "w", encoding="utf-8") as fh:
        fh.write(markdown_to_html(markdown, {rel: out_dir / rel for rel in (figures or {}).values()}))
    return paths


def readme_block(markdown: str) -> str:
    """The part of a CV report shown in README: from the first yardstick to the per-report tables."""
    start = markdown.index("\n## ") + 1
    end = markdown.index("\n## Details")
    return re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + 2) + " ", markdown[start:end].strip(), flags=re.M)


def check_readme(readme: str | Path) -> None:
    """Raise ``InputError`` unless README's results block can be replaced (its markers once each, in order)."""
    check_marked_block(readme, README_START, README_END)


def update_readme(readme: str | Path, markdown: str) -> bool:
    """Replace the results block of README with the current report's; returns whether it changed."""
    return replace_marked_block(readme, README_START, README_END, readme_block(markdown))
