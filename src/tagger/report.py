"""Rendering cross-validation results as Markdown and JSON (numbers always computed, never typed)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from .evaluation import CVRun
from .persistence import atomic_write
from .schema import LABELS

__all__ = ["headline_table", "systems_table", "per_doc_table", "render_markdown", "write_reports",
           "run_to_dict", "readme_block", "update_readme", "markdown_to_html", "md_text", "README_START", "README_END"]

README_START = "<!-- cv-results:start (written by python evaluate.py --update-readme) -->"
README_END = "<!-- cv-results:end -->"

SHORT = {"elderly_care": "elderly", "old_neighbourhood_retrofit": "retrofit",
         "elevator_power_hookup": "elevator", "business_connection_speed": "business",
         "volunteer_work": "volunteer"}


def _ci(ci: dict | None, *keys: str) -> str:
    if not ci:
        return ""
    for key in keys:
        ci = ci[key]
    if ci is None:  # undefined in every resample
        return ""
    lo, hi = ci
    return f" [{lo:.2f}, {hi:.2f}]"


def headline_table(run: CVRun, ci: dict | None = None) -> str:
    """Per-label precision/recall/F1/support plus micro/macro F1, subset accuracy, Hamming loss,
    with 95% document-bootstrap intervals when ``ci`` is given."""
    m = run.metrics
    lines = ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for lab in LABELS:
        r = m["per_label"][lab]
        lines.append(f"| `{lab}` | {r['precision']:.3f}{_ci(ci, 'per_label', lab, 'precision')} | "
                     f"{r['recall']:.3f}{_ci(ci, 'per_label', lab, 'recall')} | "
                     f"{r['f1']:.3f}{_ci(ci, 'per_label', lab, 'f1')} | {r['support']} |")
    lines.append(f"| **micro F1** | | | **{m['micro_f1']:.3f}**{_ci(ci, 'micro_f1')} | {m['n']} paragraphs |")
    lines.append(f"| **macro F1** | | | **{m['macro_f1']:.3f}**{_ci(ci, 'macro_f1')} | |")
    lines.append(f"| subset accuracy | | | {m['subset_accuracy']:.3f}{_ci(ci, 'subset_accuracy')} | |")
    lines.append(f"| Hamming loss | | | {m['hamming_loss']:.3f}{_ci(ci, 'hamming_loss')} | |")
    return "\n".join(lines)


def systems_table(runs: list[CVRun]) -> str:
    """One row per system (model, baselines, ablations): micro/macro F1 and per-label F1."""
    head = "| system | kind | micro F1 | macro F1 | " + " | ".join(SHORT[lab] for lab in LABELS) + " |"
    lines = [head, "|---|---|---:|---:|" + "---:|" * len(LABELS)]
    for run in runs:
        m = run.metrics
        per = " | ".join(f"{m['per_label'][lab]['f1']:.3f}" for lab in LABELS)
        lines.append(f"| {md_text(run.system)} | {run.kind} | {m['micro_f1']:.3f} | {m['macro_f1']:.3f} | {per} |")
    return "\n".join(lines)


def per_doc_table(run: CVRun) -> str:
    lines = ["| report | paragraphs | gold labels | predicted labels | micro F1 | exact match |",
             "|---|---:|---:|---:|---:|---:|"]
    for d in run.per_doc:
        lines.append(f"| {md_text(d['doc'])} | {d['paragraphs']} | {d['gold_labels']} | {d['predicted_labels']} | "
                     f"{d['micro_f1']:.3f} | {d['exact_match']:.3f} |")
    return "\n".join(lines)


def run_to_dict(run: CVRun) -> dict:
    return {"system": run.system, "description": run.description, "kind": run.kind, "scheme": run.scheme,
            "metrics": run.metrics, "per_doc": run.per_doc, "seconds": round(run.seconds, 3)}


def _terms_table(terms: dict) -> str:
    lines = ["| label | top positive features | top negative features |", "|---|---|---|"]
    for lab in LABELS:
        pos = ", ".join(f"{md_text(n)} {w:+.2f}" for n, w in terms[lab]["positive"])
        neg = ", ".join(f"{md_text(n)} {w:+.2f}" for n, w in terms[lab]["negative"])
        lines.append(f"| `{lab}` | {pos} | {neg} |")
    return "\n".join(lines)


def _errors_table(errors: list[dict]) -> str:
    lines = ["| paragraph | gold | predicted | margin | evidence | text |", "|---|---|---|---:|---|---|"]
    for e in errors:
        ev = "; ".join(f"{SHORT[lab]}: {md_text(', '.join(t)) or '-'}" for lab, t in e["evidence"].items())
        text = e["text"] if len(e["text"]) <= 120 else e["text"][:119] + "…"
        text = md_text(text)
        lines.append(f"| {md_text(e['id'])} | {', '.join(SHORT[g] for g in e['gold']) or '-'} | "
                     f"{', '.join(SHORT[p] for p in e['predicted']) or '-'} | {e['margin']:.2f} | {ev} | {text} |")
    return "\n".join(lines)


def _learning_table(points: list[dict]) -> str:
    lines = ["| setting | real training reports | runs | micro F1 (mean ± sd) | macro F1 (mean ± sd) |",
             "|---|---:|---:|---:|---:|"]
    keys = list(dict.fromkeys((p["setting"], p["n_docs"]) for p in points))
    for setting, k in keys:
        rows = [p for p in points if p["setting"] == setting and p["n_docs"] == k]
        mi = [p["micro_f1"] for p in rows]
        ma = [p["macro_f1"] for p in rows]
        lines.append(f"| {setting} | {k} | {len(rows)} | {sum(mi) / len(mi):.3f} ± {_sd(mi):.3f} | "
                     f"{sum(ma) / len(ma):.3f} ± {_sd(ma):.3f} |")
    return "\n".join(lines)


def _sd(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5


def render_markdown(context: dict, primary: list[CVRun], secondary: list[CVRun],
                    extra: list[CVRun] | None = None, ci: dict | None = None,
                    figures: dict[str, str] | None = None, learning: list[dict] | None = None,
                    terms: dict | None = None, errors: list[dict] | None = None) -> str:
    """The whole report as Markdown. ``context`` carries data counts, hyperparameters, versions and
    timing; figures are paths relative to the report directory."""
    main = primary[0]
    figures = figures or {}
    out = [f"# Cross-validation report — tagger {context['tagger_version']}", "",
           f"Data: {context['n_real']} real paragraphs from {context['n_docs']} reports (scored) + "
           f"{context['n_authored']} authored paragraphs (training folds only). "
           f"Data hash `{context['data_hash'][:16]}`. Wall time {context['wall_time_s']} s.", "",
           "## Leave-one-document-out (primary)", "",
           f"Shipped model, out-of-fold predictions pooled over {context['n_docs']} folds "
           "(thresholds tuned inside each training fold)."
           + (f" In brackets: 95% confidence intervals from {ci['n_boot']} bootstrap resamples of "
              f"whole documents — with {context['n_docs']} documents they are indicative only (they do "
              "not include refitting variance, and a label found in one or two reports can get a "
              "degenerate interval)." if ci else ""), "", headline_table(main, ci), "",
           "### All systems, same folds, same run", "", systems_table(primary), ""]
    if extra:
        out += ["### Authored supplement alone", "",
                "Trained on authored paragraphs only, tested on all real seed paragraphs (one fit per "
                "row): how far the authored text alone carries, and — with no real text in training — "
                "what each ingredient adds on unseen text.", "", systems_table(extra), ""]
    out += ["### Per report (shipped model)", "", per_doc_table(main), ""]
    if "pr_curves" in figures:
        out += ["### Figures", "", f"![Precision-recall curves]({figures['pr_curves']})", "",
                f"![F1 against threshold]({figures['f1_threshold']})", ""]
    if learning:
        out += ["### Learning curve", "",
                "Would more labelled reports help? Each held-out report is scored by models trained on "
                "k of the other real reports (random subsets).", "", _learning_table(learning), ""]
        if "learning_curve" in figures:
            out += [f"![Learning curve]({figures['learning_curve']})", ""]
    if "cooccurrence" in figures:
        out += ["### Label co-occurrence (real paragraphs)", "", f"![Co-occurrence]({figures['cooccurrence']})", ""]
    if terms:
        out += ["## Model insight", "", "Linear coefficients of the model trained on all data "
                "(`word:` segmented words/bigrams, `char:` character n-grams, `lex_*` lexicon features).",
                "", _terms_table(terms), ""]
    if errors is not None:
        out += ["### Most confident out-of-fold errors", "",
                "For error analysis and label review; evidence terms from the fold model that scored "
                "the paragraph (for the labels in dispute).", "", _errors_table(errors), ""]
    if secondary:
        out += [f"## Repeated multilabel-stratified {context['kfold']} (secondary)", "",
                "Paragraph-level folds: paragraphs of one report share wording, so these numbers are "
                "optimistic.", "", systems_table(secondary), ""]
    out += ["## Reproducibility", "", "| item | value |", "|---|---|"]
    for key in ("tagger_version", "git_commit", "data_hash", "cv_schemes", "cv_seed", "model_seed",
                "bootstrap", "wall_time_s"):
        out.append(f"| {key} | `{context.get(key)}` |")
    out.append(f"| hyperparameters | `{json.dumps(context['hyperparameters'], ensure_ascii=False)}` |")
    out.append(f"| versions | `{json.dumps(context['versions'])}` |")
    return "\n".join(out) + "\n"


def write_reports(out_dir: str | Path, markdown: str, payload: dict,
                  figures: Mapping[str, str] | None = None) -> list[Path]:
    """Write ``cv_report.md``, ``cv_report.json`` and the self-contained ``cv_report.html``
    (``figures``: the figure paths, relative to ``out_dir``, that this run wrote)."""
    out_dir = Path(out_dir)
    md, js, html = out_dir / "cv_report.md", out_dir / "cv_report.json", out_dir / "cv_report.html"
    with atomic_write(md, "w", encoding="utf-8") as fh:
        fh.write(markdown)
    with atomic_write(js, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=2, allow_nan=False)
        fh.write("\n")
    with atomic_write(html, "w", encoding="utf-8") as fh:
        fh.write(markdown_to_html(markdown, {rel: out_dir / rel for rel in (figures or {}).values()}))
    return [md, js, html]


_CSS = """body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em}th,td{border:1px solid #ccc;padding:.25em .5em;
vertical-align:top}th{background:#f3f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafbfc}img{max-width:100%;border:1px solid #eee;margin:.4em 0}
code{background:#f3f3f3;padding:0 .2em;border-radius:3px;font-size:.92em}h1{font-size:1.6em}h2{margin-top:1.6em;
border-bottom:1px solid #ddd}"""


_MD_SPECIAL = set("\\`*_[]<>!|#")


def md_text(text: str) -> str:
    r"""Report text (or an id, a file name, a term) made inert for a Markdown cell or line.

    Every line break Python knows (``str.splitlines``: also U+2028, U+0085 …) becomes a space, so text
    can never start a line of its own (a heading, a table row, an image), and Markdown's special
    characters are backslash-escaped, so nothing in it is read as markup by any Markdown viewer or by
    :func:`markdown_to_html`.

    Example:
        >>> md_text("a\u2028![x](/etc/hostname) | b")
        'a \\!\\[x\\](/etc/hostname) \\| b'
    """
    flat = " ".join(text.splitlines())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in flat)


def _inline(text: str) -> str:
    """The inline Markdown this project writes: ``**bold**``, `` `code` `` and backslash escapes;
    everything else is text, HTML-escaped."""
    import html
    import re

    out = []
    for token in re.finditer(r"\\(.)|\*\*((?:\\.|[^*\\])+?)\*\*|`((?:\\.|[^`\\])+)`|(.)", text, re.S):
        escaped, bold, code, plain = token.groups()
        if escaped is not None or plain is not None:
            out.append(html.escape(escaped if escaped is not None else plain, quote=False))
        elif bold is not None:
            out.append(f"<strong>{_inline(bold)}</strong>")
        else:
            out.append("<code>" + html.escape(re.sub(r"\\(.)", r"\1", code), quote=False) + "</code>")
    return "".join(out)


def _cells(row: str) -> list[str]:
    """The cells of a Markdown table row, split at unescaped ``|`` only."""
    import re

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
    run wrote, passed in ``figures`` (the name used in the Markdown → the file): no path read from the
    text is ever opened, so a paragraph quoting ``![x](/etc/passwd)`` stays text.
    """
    import base64
    import html
    import re

    figures = dict(figures or {})
    body, table = [], []

    def flush_table() -> None:
        if not table:
            return
        rows = [_cells(r) for r in table if not re.match(r"^\|[-:| ]+\|$", r)]
        align = table[1] if len(table) > 1 else ""
        right = [c.strip().endswith(":") for c in align.strip().strip("|").split("|")]
        out = ["<table><thead><tr>" + "".join(f"<th>{_inline(c.strip())}</th>" for c in rows[0]) + "</tr></thead><tbody>"]
        for r in rows[1:]:
            cells = [f"<td{' class=num' if k < len(right) and right[k] else ''}>{_inline(c.strip())}</td>"
                     for k, c in enumerate(r)]
            out.append("<tr>" + "".join(cells) + "</tr>")
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
    title = html.escape(markdown.splitlines()[0].lstrip("# ")) if markdown else "report"
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
            f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def readme_block(markdown: str) -> str:
    """The part of a CV report shown in README: LODO headline table, all systems, authored-only."""
    start = markdown.index("## Leave-one-document-out (primary)")
    end = markdown.index("### Per report")
    return markdown[start:end].strip().replace("## Leave-one-document-out (primary)",
                                               "#### Leave-one-document-out (primary)", 1)


def update_readme(readme: str | Path, markdown: str) -> bool:
    """Replace the results block of README with the current report's; returns whether it changed."""
    readme = Path(readme)
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise ValueError(f"{readme}: no results markers ({README_START} ... {README_END})")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    new = f"{head}{README_START}\n{readme_block(markdown)}\n{README_END}{tail}"
    if new != text:
        with atomic_write(readme, "w", encoding="utf-8") as fh:
            fh.write(new)
    return new != text
