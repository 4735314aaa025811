"""The HTML corpus report: one self-contained file (no network: inline CSS, JS and SVG) that shows a
tagged corpus — counts per label, a bar chart per group and label, the monthly trend (on a calendar axis: a
month without any report is a shaded gap, never 0), label co-occurrence, example paragraphs per label (highest scores, full text) and a filterable, searchable,
paginated table of paragraphs with their labels, scores and evidence terms.

Report text is data. The numbers and texts travel as one JSON document in a
``<script type="application/json">`` element, with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, and
the page builds its DOM with ``textContent`` only; a Content-Security-Policy allows no script but the
page's own (by hash) and no network.

Size: the file must open quickly however large the corpus. Every count and chart covers every
paragraph; the table's texts are cut to the longest length that keeps the file within ``max_bytes``
(whole paragraphs when they fit), and when even :data:`MIN_SNIPPET` characters per paragraph do not
fit, the table holds the first paragraphs only. The page says which, and search looks at what the
table holds.

Example:
    >>> html = corpus_report_html(read_tagged("tagged.jsonl"), stats)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from typing import TYPE_CHECKING

from .. import __version__
from ..common.files import GENERATOR_MARK, PAGE_FONTS, replace_surrogates
from ..data.tagged import SCORE_COLUMNS
from ..labels import LABEL_NAMES, LABELS, SHORT
from ..text.normalize import to_simplified
from .stats import model_notes, offsets_note, shown_names, spelling_notes

if TYPE_CHECKING:
    import pandas as pd

    from .stats import CorpusStats

__all__ = ["corpus_report_html", "embed_json", "REPORT_COLUMNS", "MAX_BYTES", "MIN_SNIPPET", "MAX_TEXT", "PAGE_JS",
           "PAGE_CSS"]

REPORT_COLUMNS = ("text", "evidence", *SCORE_COLUMNS)
"""The columns of a tagged file the report shows besides those the counts use: read them too
(:func:`tagger.data.tagged.read_tagged`'s ``columns``)."""

MAX_BYTES = 18_000_000
"""Default size budget of the HTML file (the bar is 20 MB at 100 k paragraphs)."""
MIN_SNIPPET = 20
"""Fewest characters of a paragraph the table shows before it drops paragraphs instead."""
MAX_TEXT = 2000
"""Most characters of one paragraph in an example (longer ones are cut, with "…"); the table shows whole paragraphs,
however long, when they fit in the size budget."""
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")


def embed_json(obj: object) -> str:
    """JSON that is safe inside ``<script type="application/json">``: nothing in it can close the
    element or start markup, and it is valid JavaScript too.

    Example:
        >>> embed_json({"t": "</script><b>&\\u2028"})
        '{"t":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026\\\\u2028"}'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = replace_surrogates(text)[0]
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], text)


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _bits(labels) -> int:
    return sum(1 << j for j, lab in enumerate(LABELS) if lab in labels)


def _evidence(value, labels) -> str:
    """The evidence terms of a row (``{label: [terms]}``), as short text: at most three terms per label."""
    if not isinstance(value, dict):
        return ""
    parts = []
    for lab in LABELS:
        terms = value.get(lab)
        if lab in labels and isinstance(terms, (list, tuple)):
            words = [t for t in terms if isinstance(t, str)][:3]
            if words:
                parts.append(f"{SHORT[lab]}: {' '.join(words)}")
    return "; ".join(parts)


def _table(df: pd.DataFrame, keys: pd.DataFrame, by: list[str]) -> dict:
    """The paragraph table's columns, without texts: group values and reports as indices into lists."""
    import numpy as np

    group_index: dict[tuple, int] = {}
    groups = list(zip(*(keys[b].tolist() for b in by))) if by else [()] * len(df)
    g = [group_index.setdefault(k, len(group_index)) for k in groups]
    report_index: dict[str, int] = {}
    reports = df["report"].tolist()
    r = [report_index.setdefault(rep, len(report_index)) for rep in reports]
    pids: list = []
    for rep, pid in zip(reports, df["paragraph"].tolist()):
        suffix = pid[len(rep) + 1:] if pid.startswith(rep) and pid[len(rep):len(rep) + 1] == ":" else ""
        pids.append(int(suffix) if suffix.isascii() and suffix.isdigit() and str(int(suffix)) == suffix else pid)
    scores = np.rint(df[[f"score_{lab}" for lab in LABELS]].to_numpy(dtype=float) * 100).astype(int)
    evidence = None
    if "evidence" in df.columns:
        evidence = [_evidence(v, m) for v, m in zip(df["evidence"].tolist(), df["labels"].tolist())]
        if not any(evidence):
            evidence = None
    return {"groups": [list(k) for k in group_index], "reports": list(report_index), "g": g, "r": r, "p": pids,
            "l": [_bits(x) for x in df["effective_labels"].tolist()], "m": [_bits(x) for x in df["labels"].tolist()],
            "v": [int(x) for x in df["reviewed"].tolist()], "s": scores.ravel().tolist(), "e": evidence}


def _snippet_length(texts: list[str], budget: int) -> int | None:
    """The longest cut (in characters, ≥ :data:`MIN_SNIPPET`) whose texts fit in ``budget`` bytes, or
    None when even the shortest does not."""
    import numpy as np

    if not texts:
        return MAX_TEXT
    chars = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    ratio = np.fromiter((len(t.encode("utf-8", "surrogatepass")) / max(len(t), 1) for t in texts), dtype=float,
                        count=len(texts))

    def size(n: int) -> float:
        return float((np.minimum(chars, n) * ratio).sum() + 6 * len(texts))  # quotes, comma, "…"

    if size(MIN_SNIPPET) > budget:
        return None
    lo, hi = MIN_SNIPPET, max(MIN_SNIPPET, int(chars.max()))  # whole paragraphs, however long, when they fit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if size(mid) <= budget else (lo, mid - 1)
    return lo


def _examples(df: pd.DataFrame, keys: pd.DataFrame, by: list[str], n: int) -> dict:
    """Per label the ``n`` paragraphs with the label (effective) and the highest scores, full text."""
    import numpy as np

    out: dict[str, list] = {}
    if n <= 0:
        return {lab: [] for lab in LABELS}
    effective = df["effective_labels"].to_numpy()
    for lab in LABELS:
        has = np.fromiter((lab in x for x in effective), dtype=bool, count=len(df))
        scores = df[f"score_{lab}"].to_numpy(dtype=float)
        idx = np.flatnonzero(has)
        idx = idx[np.argsort(-scores[idx], kind="stable")][:n]
        out[lab] = [{"report": df["report"].iat[i], "paragraph": df["paragraph"].iat[i],
                     "text": _cut(df["text"].iat[i], MAX_TEXT), "score": round(float(scores[i]), 4),
                     "reviewed": bool(df["reviewed"].iat[i]),
                     "groups": [keys[b].iat[i] for b in by],
                     "evidence": _evidence(df["evidence"].iat[i], (lab,)) if "evidence" in df.columns else ""}
                    for i in idx.tolist()]
    return out


def _payload(df: pd.DataFrame, stats: CorpusStats, examples: int, source_name: str) -> dict:
    t = stats.tables
    by = list(stats.by)
    corpus = t["corpus"].set_index("label")
    payload = {
        "meta": {"source": source_name, "files": max(1, len(stats.files), len(stats.models)), "paragraphs": stats.paragraphs, "reports": stats.reports,
                 "reviewed": stats.reviewed, "by": by, "date_column": stats.date_column,
                 "missing_dates": stats.missing_dates, "unreadable_dates": stats.unreadable_dates,
                 "year_only_dates": stats.year_only_dates, "not_counted": stats.not_counted,
                 "titles_only": stats.titles_only,
                 "first_unreadable": stats.first_unreadable[1] if stats.first_unreadable else None,
                 "dates_grouped": stats.dates_grouped,
                 "notes": [*spelling_notes(stats), *filter(None, [offsets_note(stats.offsets, stats.date_column)]),
                           *stats.damaged, *model_notes(stats)],  # each named on the page
                 "example_max": MAX_TEXT, "version": __version__,
                 "shown": [shown_names(v for v in t["pivot"][b].tolist() if isinstance(v, str)) for b in by],  # every group
                 "model": stats.model_line()},  # no clock time: the same file gives the same page
        "labels": list(LABELS), "short": SHORT, "names": LABEL_NAMES,
        "corpus": [[lab, *(int(corpus.at[lab, c]) for c in ("paragraphs", "reports", "reviewed_with_label"))]
                   for lab in LABELS],
        "pivot": None, "trend": None,
        "cooc": {m: [[int(v) for v in row] for row in
                     t["cooccurrence"].pivot(index="label", columns="other_label", values=m)
                     .loc[list(LABELS), list(LABELS)].to_numpy()] for m in ("paragraphs", "reports")},
        "examples": _examples(df, stats.keys, by, examples),
    }
    if by:
        groups, pivot = t["groups"], t["pivot"]
        wide = {m: groups[m].to_numpy().reshape(-1, len(LABELS)).tolist() for m in ("paragraphs", "reports")}
        payload["pivot"] = [[list(key), p, r, rv, wp, wr] for key, p, r, rv, wp, wr in zip(
            pivot[by].itertuples(index=False, name=None), pivot["paragraphs"].tolist(), pivot["reports"].tolist(),
            pivot["reviewed_paragraphs"].tolist(), wide["paragraphs"], wide["reports"])]
    if "trend" in t:
        trend = t["trend"]
        wide = trend.pivot(index="month", columns="label", values="paragraphs")[list(LABELS)]
        totals = trend.groupby("month")["total_paragraphs"].first()
        payload["trend"] = {"months": list(wide.index), "counts": [[int(v) for v in row] for row in wide.to_numpy()],
                            "totals": [int(totals[m]) for m in wide.index]}
    return payload


def corpus_report_html(df: pd.DataFrame, stats: CorpusStats, examples: int = 3, max_bytes: int = MAX_BYTES,
                       source_name: str | None = None) -> str:
    """The report of a frame :func:`tagger.data.tagged.read_tagged` returned and its
    :func:`tagger.analysis.stats.corpus_stats` (``examples`` per label; the file stays under about
    ``max_bytes``, see the module doc). Its paragraphs are the ones counted (headings and captions are not)."""
    if stats.counted is not None and not stats.counted.all():
        df = df[stats.counted]
    payload = _payload(df, stats, examples, source_name if source_name is not None else str(stats.source))
    table = _table(df, stats.keys, list(stats.by))
    texts = df["text"].tolist()
    fixed = len(_page(embed_json({**payload, "table": {**table, "t": []}})).encode("utf-8"))
    rows, snippet = len(texts), _snippet_length(texts, max_bytes - fixed)
    if snippet is None:  # not even MIN_SNIPPET characters each: keep the first rows that fit
        per_row = (fixed - len(_page(embed_json(payload)).encode("utf-8"))) / max(len(texts), 1)
        rows = max(0, int((max_bytes - len(_page(embed_json(payload)).encode("utf-8")))
                          / (per_row + 3 * MIN_SNIPPET + 6)))
        snippet = MIN_SNIPPET
    # search: a query in simplified Chinese finds a paragraph in traditional script (user test); only the texts
    # the conversion changes are sent, by row (converted once, cut with the texts in the loop below)
    simple = to_simplified(texts)
    changed = [i for i, (x, y) in enumerate(zip(simple, texts)) if x != y.replace("\n", " ")]
    while True:
        cut = {k: (v[:rows] if isinstance(v, list) and k in ("g", "r", "p", "l", "m", "v", "e") else v)
               for k, v in table.items()}
        cut["s"] = table["s"][:rows * len(LABELS)]
        cut["t"] = [_cut(x, snippet) for x in texts[:rows]]
        cut["tn"] = {i: _cut(simple[i], snippet) for i in changed if i < rows}
        full = max((len(x) for x in texts[:rows]), default=0) <= snippet
        payload["meta"].update(table_rows=rows, snippet=None if full else snippet, truncated=rows < len(texts))
        page = _page(embed_json({**payload, "table": cut}))
        size = len(page.encode("utf-8"))
        if size <= max_bytes or rows == 0:
            return page
        # estimates were off (escapes): shrink the cut first, then the rows
        if snippet > MIN_SNIPPET:
            snippet = max(MIN_SNIPPET, int(snippet * 0.9))
        else:
            rows = int(rows * 0.9)


def _csp_hash(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode("ascii") + "'"


def _page(data: str) -> str:
    csp = (f"default-src 'none'; script-src {_csp_hash(PAGE_JS)}; style-src {_csp_hash(PAGE_CSS)}; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    return ("<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">\n" + GENERATOR_MARK + "\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{html.escape(csp)}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>tagger corpus report</title>\n"
            f"<style>{PAGE_CSS}</style></head>\n<body>\n{PAGE_BODY}\n"
            f"<script type=\"application/json\" id=\"data\">{data}</script>\n"
            f"<script>{PAGE_JS}</script>\n</body></html>\n")


# --------------------------------------------------------------------------- the page
PAGE_BODY = """<header><h1>Corpus report — <span id="source"></span></h1><p id="summary"></p>
<p id="notes" class="note"></p></header>
<main>
<section id="sec-corpus"><h2>Paragraphs and reports per label</h2>
<p class="help">A paragraph counts for a label if it has it (a person's decision where it was reviewed, else the
model's); a report counts if any of its paragraphs does.</p><div class="scroll"><table id="corpus-table"></table></div></section>
<section id="sec-groups"><h2>By group</h2>
<div class="controls"><label>show <select id="pivot-measure"><option value="paragraphs">paragraphs</option>
<option value="pshare">share of the group's paragraphs</option><option value="reports">reports</option>
<option value="rshare">share of the group's reports</option></select></label>
<label>order <select id="pivot-sort"><option value="key">by group</option>
<option value="size">largest first</option></select></label>
<span class="pager"><button type="button" id="pv-prev">←</button> <span id="pv-info"></span>
<button type="button" id="pv-next">→</button></span></div>
<div class="scroll"><table id="pivot-table"></table></div></section>
<section id="sec-trend"><h2>Monthly trend</h2>
<div class="controls"><label>show <select id="trend-measure"><option value="count">paragraphs with the label</option>
<option value="share">share of the month's paragraphs</option></select></label></div>
<div id="trend-chart"></div><p id="trend-legend" class="legend"></p></section>
<section id="sec-cooc"><h2>Labels together</h2>
<div class="controls"><label>count <select id="cooc-measure"><option value="paragraphs">paragraphs with both</option>
<option value="reports">reports with both</option></select></label></div>
<div class="scroll"><table id="cooc-table"></table></div></section>
<section id="sec-examples"><h2>Examples per label (highest scores)</h2><div id="examples"></div></section>
<section id="sec-table"><h2>Paragraphs</h2><p id="table-note" class="note"></p>
<div class="controls"><label>label <select id="f-label"></select></label><span id="f-groups"></span>
<label>reviewed <select id="f-reviewed"><option value="">all</option><option value="1">reviewed</option>
<option value="0">not reviewed</option></select></label>
<label>search <input id="f-search" type="search" placeholder="text, report or group"></label>
<label>order <select id="f-sort"><option value="file">file order</option>
<option value="score">score of the chosen label</option></select></label></div>
<p><span id="f-count"></span> <span class="pager"><button type="button" id="pg-prev">←</button>
<span id="pg-info"></span> <button type="button" id="pg-next">→</button></span></p>
<div class="scroll"><table id="para-table"><thead></thead><tbody></tbody></table></div></section>
</main>
<footer id="footer"></footer>"""

PAGE_CSS = "\nbody{font-family:" + PAGE_FONTS + """;max-width:78em;margin:1.2em auto;
padding:0 1em;color:#222}
h1{font-size:1.35em}h2{font-size:1.12em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em}th,td{padding:.2em .5em;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#8a5a00}.help,.meta,footer{color:#777;font-size:.85em}.controls{margin:.5em 0}
.controls label{margin-right:1em;display:inline-block;white-space:nowrap}
.scroll{overflow-x:auto;max-width:100%}#trend-chart svg{max-width:100%;height:auto}.meta bdi{white-space:nowrap}.pager button{padding:0 .5em}
.chip{display:inline-block;border-radius:3px;padding:0 .3em;margin:0 .2em .1em 0;font-size:.8em;color:#fff}
.chip.model{opacity:.45}.rev{color:#2a6;font-size:.8em}.scores{font-size:.8em;color:#777;white-space:nowrap}
.scores b{color:#222}th .order{font-weight:normal;font-size:.75em;color:#777;max-width:16em}.ev{font-size:.8em;color:#555}#para-table td.text{max-width:38em}
.example{border-left:3px solid #ccc;padding:.2em .8em;margin:.5em 0}.example p{margin:.2em 0;line-height:1.5}
.group{white-space:pre;unicode-bidi:isolate}#pivot-table td.label{white-space:nowrap}.legend span{margin-right:1.2em;font-size:.85em;white-space:nowrap}
.key{vertical-align:middle}svg text{font-size:11px;fill:#444}.bar{vertical-align:middle;margin-left:.3em}
@media (max-width:40em){#para-table thead{display:none}#para-table tr{display:block;padding:.3em 0;
border-bottom:1px solid #ddd}#para-table td{display:inline-block;border:0;padding:.1em .6em .1em 0}
#para-table td.text{display:block;max-width:none}}
"""

PAGE_JS = r"""
"use strict";
(function () {
const D = JSON.parse(document.getElementById("data").textContent);
const L = D.labels, K = L.length, M = D.meta, T = D.table;
const COLORS = ["#c8553d", "#e0a030", "#2a9d8f", "#3d5a80", "#6a994e"];
const DASHES = ["none", "8 4", "3 3", "10 3 2 3", "2 5"];  // lines of equal values stay visible where they meet
const SVGNS = "http://www.w3.org/2000/svg";
const PAGE = 50;
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
  if (text !== undefined) e.textContent = String(text);
  return e;
}
const maxOf = (arr, floor) => arr.reduce((m, v) => (v > m ? v : m), floor);
const num = (n) => Number(n).toLocaleString("en-US");
// n and a noun, singular for one (as tagger.common.terminal.counted says it)
const counted = (n, noun, plural) => `${num(n)} ${Number(n) === 1 ? noun : (plural || noun + "s")}`;
const are = (n) => (Number(n) === 1 ? "is" : "are");
const pct = (x) => x === null ? "–" : (100 * x).toFixed(1) + " %";  // null: a share of nothing is none
function cell(tr, text, cls, tag) { const c = el(tag || "td", text, cls); tr.append(c); return c; }
// a group value as shown: names that differ only by invisible characters show them as <U+200B> (stats.shown_names)
const shownGroup = (k, v) =>
  (M.shown && M.shown[k] && Object.prototype.hasOwnProperty.call(M.shown[k], v)) ? M.shown[k][v] : v;
function head(table, names, numeric) {
  const tr = document.createElement("tr");
  names.forEach((n, i) => cell(tr, n, numeric && numeric[i] ? "n" : "", "th"));
  const th = document.createElement("thead"); th.append(tr); table.append(th);
}
function bar(value, max, color, width) {
  const w = width || 60, s = svg("svg", {width: w, height: 10, class: "bar", "aria-hidden": "true"});
  s.append(svg("rect", {x: 0, y: 1, width: max > 0 ? Math.max(0, w * value / max) : 0, height: 8, fill: color}));
  return s;
}
function chip(lab, model) {
  const c = el("span", D.short[lab], "chip" + (model ? " model" : ""));
  c.style.background = COLORS[L.indexOf(lab)]; c.title = lab + " — " + D.names[lab]; return c;
}
function debounce(fn, ms) { let t = null; return () => { clearTimeout(t); t = setTimeout(fn, ms); }; }
function natural(a, b) {  // the tables' order of groups (stats._natural_key): numbers inside compare as numbers
  const x = String(a).split(/(\d+)/).filter(Boolean), y = String(b).split(/(\d+)/).filter(Boolean);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const dx = /^\d/.test(x[i]), dy = /^\d/.test(y[i]);
    if (dx !== dy) return dx ? -1 : 1;
    const u = dx ? x[i].replace(/^0+/, "") : x[i], v = dy ? y[i].replace(/^0+/, "") : y[i];
    if (dx && u.length !== v.length) return u.length - v.length;
    if (u !== v) return u < v ? -1 : 1;
  }
  return x.length - y.length;
}

// ---- header
$("source").textContent = M.source;
document.title = "Corpus report — " + M.source;
const rev = M.paragraphs ? (100 * M.reviewed / M.paragraphs).toFixed(1) : "0.0";
$("summary").textContent = `${counted(M.paragraphs, "paragraph")} in ${counted(M.reports, "report")}; ` +
  `${num(M.reviewed)} reviewed by a person (${rev} %), counted with their labels` +
  (M.by.length ? `; grouped by ${M.by.join(", ")}` : "") +
  (M.date_column ? `; dates from the column ${M.date_column}` : "") + ".";
const notes = [];
if (M.not_counted) notes.push(`${counted(M.not_counted, "heading or caption", "headings and captions")}, which ` +
  `${M.not_counted === 1 ? "carries" : "carry"} no label, ${are(M.not_counted)} not counted (nor in the base of ` +
  "any share) and not in the table below" + (M.titles_only ? `, nor ${counted(M.titles_only, "report")} that ` +
  `${M.titles_only === 1 ? "holds" : "hold"} nothing else` : "") + ".");
if (M.date_column && M.missing_dates) notes.push(`${counted(M.missing_dates, "paragraph")} ` +
  `${M.missing_dates === 1 ? "has" : "have"} no readable date (${num(M.unreadable_dates)} ` +
  `unreadable${M.first_unreadable ? ", the first at " + M.first_unreadable : ""}): ` +
  `${M.missing_dates === 1 ? "it is" : "they are"} ${M.dates_grouped ? 'in the group "(missing)" and ' : ""}` +
  "not in the trend.");
if (M.date_column && M.year_only_dates) notes.push(`${counted(M.year_only_dates, "paragraph")} ` +
  `${M.year_only_dates === 1 ? "has" : "have"} a year or quarter only (no month) in ${M.date_column}: ` +
  `${M.year_only_dates === 1 ? "it is" : "they are"} not in the trend.`);
M.notes.forEach((n) => notes.push(n + "."));  // spellings of one group value, each named
$("notes").textContent = notes.join(" ");
$("footer").textContent = `Written by tagger ${M.version} (tagger stats) from ${M.source}; tagged by model: ` +
  `${M.model}. Every count covers every paragraph of the ${M.files > 1 ? "files but their" : "file but its"} ` +
  `headings and captions.`;

// ---- corpus
(function corpus() {
  const t = $("corpus-table");
  head(t, ["label", "paragraphs", "% of paragraphs", "reports", "% of reports", "of them reviewed", ""],
       [0, 1, 1, 1, 1, 1, 0]);
  const body = document.createElement("tbody"), max = maxOf(D.corpus.map((r) => r[1]), 1);
  for (const [lab, p, r, rv] of D.corpus) {
    const tr = document.createElement("tr"); tr.dataset.label = lab;
    const name = cell(tr, ""); name.append(chip(lab), " " + lab);
    cell(tr, num(p), "n paragraphs"); cell(tr, pct(M.paragraphs ? p / M.paragraphs : null), "n");
    cell(tr, num(r), "n reports"); cell(tr, pct(M.reports ? r / M.reports : null), "n"); cell(tr, num(rv), "n");
    cell(tr, "").append(bar(p, max, COLORS[L.indexOf(lab)], 240));
    body.append(tr);
  }
  t.append(body);
})();

// ---- groups: a bar per group and label
(function groups() {
  if (!D.pivot) { $("sec-groups").hidden = true; return; }
  const t = $("pivot-table"); let page = 0;
  head(t, [...M.by, "paragraphs", "reports", "reviewed", ...L.map((l) => D.short[l])],
       [...M.by.map(() => 0), 1, 1, 1, ...L.map(() => 1)]);
  L.forEach((l, j) => { t.tHead.rows[0].cells[M.by.length + 3 + j].title = l; });
  const body = document.createElement("tbody"); t.append(body);
  const value = (row, j, m) => m === "paragraphs" ? row[4][j] : m === "reports" ? row[5][j]
    : m === "pshare" ? (row[1] ? row[4][j] / row[1] : null) : (row[2] ? row[5][j] / row[2] : null);
  function render() {
    const m = $("pivot-measure").value, share = m === "pshare" || m === "rshare";
    const rows = D.pivot.slice();
    if ($("pivot-sort").value === "size") rows.sort((a, b) => b[1] - a[1]);
    const pages = Math.max(1, Math.ceil(rows.length / PAGE)); page = Math.min(page, pages - 1);
    // one scale for every label: the same count draws the same bar in any column
    const top = share ? 1 : maxOf(rows.flatMap((r) => L.map((l, j) => value(r, j, m))), 1);
    body.replaceChildren();
    for (const row of rows.slice(page * PAGE, page * PAGE + PAGE)) {
      const tr = document.createElement("tr"); tr.dataset.group = JSON.stringify(row[0]);
      row[0].forEach((v, k) => cell(tr, shownGroup(k, v), "group"));
      cell(tr, num(row[1]), "n paragraphs"); cell(tr, num(row[2]), "n reports"); cell(tr, num(row[3]), "n");
      L.forEach((l, j) => {
        const v = value(row, j, m), c = cell(tr, share ? pct(v) : num(v), "n label");
        c.dataset.label = l; c.append(bar(v, top, COLORS[j]));
      });
      body.append(tr);
    }
    $("pv-info").textContent = `groups ${num(Math.min(rows.length, page * PAGE + 1))}–` +
      `${num(Math.min(rows.length, page * PAGE + PAGE))} of ${num(rows.length)}`;
    $("pv-prev").disabled = page === 0; $("pv-next").disabled = page >= pages - 1;
  }
  $("pivot-measure").addEventListener("change", render);
  $("pivot-sort").addEventListener("change", () => { page = 0; render(); });
  $("pv-prev").addEventListener("click", () => { page -= 1; render(); });
  $("pv-next").addEventListener("click", () => { page += 1; render(); });
  render();
})();

// ---- monthly trend
(function trend() {
  if (!D.trend) { $("sec-trend").hidden = true; return; }
  const tr = D.trend, box = $("trend-chart");
  // every month between the first and the last, on a calendar axis; a month without any report is a gap
  // (no point, the lines broken, a shaded band), never 0: 0 is a month whose reports have none of the label
  const months = [], index = new Map(tr.months.map((m, i) => [m, i]));
  let [y, mo] = tr.months[0].split("-").map(Number); const [ly, lm] = tr.months[tr.months.length - 1].split("-").map(Number);
  while (y < ly || (y === ly && mo <= lm)) { months.push(`${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}`); mo += 1; if (mo > 12) { mo = 1; y += 1; } }
  function render() {
    const share = $("trend-measure").value === "share";
    const series = L.map((l, j) => months.map((m) => {
      const i = index.get(m); if (i === undefined) return null;
      return share ? (tr.totals[i] ? tr.counts[i][j] / tr.totals[i] : 0) : tr.counts[i][j];
    }));
    const W = 900, H = 280, left = 56, right = 36, top = 10, bottom = 40;
    const step0 = maxOf(series.flat().filter((v) => v !== null), share ? 0.01 : 1) / 4, mag = Math.pow(10, Math.floor(Math.log10(step0)));
    let tick = [1, 2, 5, 10].map((f) => f * mag).find((t) => t >= step0);
    if (!share) tick = Math.max(1, Math.round(tick));
    const max = 4 * tick;
    const x = (i) => left + (months.length > 1 ? i * (W - left - right) / (months.length - 1) : (W - left - right) / 2);
    const yy = (v) => top + (H - top - bottom) * (1 - v / max);
    const s = svg("svg", {width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "monthly trend"});
    for (let k = 0; k <= 4; k++) {
      const v = max * k / 4;
      s.append(svg("line", {x1: left, x2: W - right, y1: yy(v), y2: yy(v), stroke: "#eee"}));
      s.append(svg("text", {x: left - 4, y: yy(v) + 4, "text-anchor": "end"}, share ? pct(v) : num(Math.round(v))));
    }
    const title = share ? "share of the month's paragraphs" : "paragraphs with the label";  // the y axis's unit
    s.append(svg("text", {class: "axis-title", x: 0, y: 0, "text-anchor": "middle",
                          transform: `translate(12,${top + (H - top - bottom) / 2}) rotate(-90)`}, title));
    const half = months.length > 1 ? (W - left - right) / (months.length - 1) / 2 : 0;
    months.forEach((m, i) => { if (index.has(m)) return;
      const band = svg("rect", {class: "gap", x: x(i) - half, y: top, width: 2 * half, height: H - top - bottom,
                                fill: "#f2f2f2"});
      band.append(svg("title", {}, `${m}: no reports`)); s.append(band); });
    const step = Math.max(1, Math.ceil(months.length / 12));
    months.forEach((m, i) => { if (i % step === 0) s.append(svg("text", {x: x(i), y: H - bottom + 16, "text-anchor": "middle"}, m)); });
    series.forEach((vals, j) => {
      let run = [];  // the points of months in a row that have reports: one line each
      const line = () => { if (run.length > 1) s.append(svg("polyline", {points: run.join(" "), fill: "none",
        stroke: COLORS[j], "stroke-width": 2, "stroke-dasharray": DASHES[j]})); run = []; };
      vals.forEach((v, i) => { if (v === null) line(); else run.push(`${x(i)},${yy(v)}`); });
      line();
      vals.forEach((v, i) => {
        if (v === null) return;
        const c = svg("circle", {cx: x(i), cy: yy(v), r: 3, fill: COLORS[j]});
        c.append(svg("title", {}, `${months[i]} · ${L[j]}: ${share ? pct(v) : num(v)}`)); s.append(c);
      });
    });
    box.replaceChildren(s);
  }
  const legend = $("trend-legend");  // each label's line as drawn: its colour and dash pattern
  L.forEach((l, j) => { const sp = el("span"); const key = svg("svg", {width: 26, height: 10, class: "key"});
    key.append(svg("line", {x1: 1, x2: 25, y1: 5, y2: 5, stroke: COLORS[j], "stroke-width": 2,
                            "stroke-dasharray": DASHES[j]}));
    sp.append(key, " ", l); legend.append(sp); });
  if (months.length > tr.months.length) { const sp = el("span"); const key = svg("svg", {width: 26, height: 10, class: "key"});
    key.append(svg("rect", {x: 1, y: 0, width: 24, height: 10, fill: "#f2f2f2"}));
    sp.append(key, " no reports that month (a gap, not 0)"); legend.append(sp); }
  $("trend-measure").addEventListener("change", render);
  render();
})();

// ---- co-occurrence
(function cooc() {
  const t = $("cooc-table");
  head(t, ["", ...L.map((l) => D.short[l])], [0, ...L.map(() => 1)]);
  const body = document.createElement("tbody"); t.append(body);
  function render() {
    const m = D.cooc[$("cooc-measure").value], max = maxOf(m.flat(), 1);
    body.replaceChildren();
    L.forEach((a, i) => {
      const tr = document.createElement("tr"); cell(tr, a, "", "th");
      L.forEach((b, j) => {
        const c = cell(tr, num(m[i][j]), "n"); c.dataset.pair = a + "|" + b;
        c.style.background = `rgba(61,90,128,${(0.6 * m[i][j] / max).toFixed(3)})`;
        c.title = i === j ? `${a}: ${m[i][j]}` : `${a} and ${b}: ${m[i][j]}`;
      });
      body.append(tr);
    });
  }
  $("cooc-measure").addEventListener("change", render);
  render();
})();

// ---- examples
(function examples() {
  const box = $("examples");
  L.forEach((l, j) => {
    box.append(el("h3", `${l} — ${D.names[l]}`));
    const items = D.examples[l];
    if (!items.length) { box.append(el("p", "no paragraph has this label", "meta")); return; }
    for (const ex of items) {
      const d = el("div", null, "example"); d.style.borderLeftColor = COLORS[j]; d.dataset.label = l;
      d.append(el("p", ex.text));
      const meta = [ex.paragraph, `score ${ex.score.toFixed(2)}`, ...ex.groups.map((v, k) => shownGroup(k, v))];
      if (ex.reviewed) meta.push("reviewed by a person");
      if (ex.evidence) meta.push("evidence " + ex.evidence);
      // each part unbroken (a narrow window wraps between them, not in a date) and isolated: a group name written
      // right to left cannot reorder the parts after it
      const line = el("p", null, "meta");
      meta.forEach((m, k) => { if (k) line.append(" · "); line.append(el("bdi", m)); });
      d.append(line);
      box.append(d);
    }
  });
})();

// ---- paragraph table
(function table() {
  const n = T.t.length, hay = [];
  let rows = null, page = 0;
  const notes = [];
  if (M.truncated) notes.push(`This table holds the first ${num(n)} of ${num(M.paragraphs)} paragraphs, so that ` +
    `the file stays small enough to open; filters and search look at these only (the counts above cover all). ` +
    `Every paragraph is in the tagged ${M.files > 1 ? "files" : "file"} ${M.source}.`);
  if (M.snippet) notes.push(`Texts are cut to ${M.snippet} characters (search looks at those); the examples ` +
    `above show paragraphs up to ${num(M.example_max)} characters.`);
  $("table-note").textContent = notes.join(" ");
  const fl = $("f-label");
  [["", "any"], ["-", "no label"], ...L.map((l) => [l, l])].forEach(([v, t]) => {
    const o = el("option", t); o.value = v; fl.append(o); });
  const gbox = $("f-groups"), gsel = [];
  M.by.forEach((b, k) => {
    const values = [...new Set(T.groups.map((g) => g[k]))].sort(natural);
    const lab = el("label", b + " ");
    let input;
    if (values.length <= 500) {
      input = el("select"); const any = el("option", "all"); any.value = ""; input.append(any);
      for (const v of values) { const o = el("option", shownGroup(k, v)); o.value = v; input.append(o); }
      input.dataset.exact = "1";
    } else { input = el("input"); input.type = "search"; input.placeholder = "contains"; }
    input.id = "f-group-" + k; input.dataset.column = b; lab.append(input); gbox.append(lab); gsel.push(input);
    input.addEventListener(input.tagName === "SELECT" ? "change" : "input", debounce(() => { page = 0; filter(); }, 150));
  });
  const groupText = T.groups.map((g) => g.join(" ").toLowerCase());
  const pid = (i) => typeof T.p[i] === "number" ? T.reports[T.r[i]] + ":" + T.p[i] : T.p[i];
  function haystack(i) {
    if (hay.length === 0) for (let k = 0; k < n; k++)
      hay.push((T.t[k] + "\u0001" + (T.tn[k] || "") + "\u0001" + pid(k) + "\u0001" + groupText[T.g[k]]).toLowerCase());
    return hay[i];
  }
  function filter() {
    const lab = fl.value, bit = lab && lab !== "-" ? 1 << L.indexOf(lab) : 0;
    const q = $("f-search").value.trim().toLowerCase(), rv = $("f-reviewed").value;
    // a selected group is compared as it is: trim() would also drop a leading U+FEFF (Python's strip keeps it)
    const gf = gsel.map((s) => s.dataset.exact === "1" ? [s.value, true] : [s.value.trim(), false]);
    const gok = T.groups.map((g) => gf.every(([v, exact], k) => !v || (exact ? g[k] === v : g[k].toLowerCase().includes(v.toLowerCase()))));
    rows = [];
    for (let i = 0; i < n; i++) {
      if (lab === "-" ? T.l[i] !== 0 : bit && !(T.l[i] & bit)) continue;
      if (rv && String(T.v[i]) !== rv) continue;
      if (!gok[T.g[i]]) continue;
      if (q && !haystack(i).includes(q)) continue;
      rows.push(i);
    }
    if ($("f-sort").value === "score" && bit) { const j = L.indexOf(lab); rows.sort((a, b) => T.s[b * K + j] - T.s[a * K + j]); }
    render();
  }
  const body = $("para-table").tBodies[0];
  const th = document.createElement("tr");
  ["paragraph", ...M.by, "labels", "scores", ...(T.e ? ["evidence"] : []), "text"].forEach((h) => cell(th, h, "", "th"));
  // the five numbers of a row are the labels' scores in this order (bold: the label is given)
  th.cells[M.by.length + 2].append(el("div", "in order: " + L.map((l) => D.short[l]).join(" · ") +
    "; bold = label given", "order"));
  $("para-table").tHead.append(th);
  function render() {
    const pages = Math.max(1, Math.ceil(rows.length / PAGE)); page = Math.max(0, Math.min(page, pages - 1));
    body.replaceChildren();
    for (const i of rows.slice(page * PAGE, page * PAGE + PAGE)) {
      const tr = document.createElement("tr"); tr.dataset.row = String(i);
      cell(tr, pid(i), "pid");
      T.groups[T.g[i]].forEach((v, k) => cell(tr, shownGroup(k, v), "group"));
      const lc = cell(tr, "", "labels");
      L.forEach((l, j) => { if (T.l[i] & (1 << j)) lc.append(chip(l)); });
      if (T.v[i]) {
        lc.append(el("span", "✓ reviewed", "rev"));
        const model = L.filter((l, j) => T.m[i] & (1 << j));
        lc.title = "model: " + (model.join(", ") || "no label");
      }
      const sc = cell(tr, "", "scores");
      L.forEach((l, j) => { const v = (T.s[i * K + j] / 100).toFixed(2);
        sc.append(T.l[i] & (1 << j) ? el("b", v) : el("span", v), " "); });
      sc.title = L.map((l, j) => `${l} ${(T.s[i * K + j] / 100).toFixed(2)}`).join("\n");
      if (T.e) cell(tr, T.e[i], "ev");
      cell(tr, T.t[i], "text");
      body.append(tr);
    }
    const lab = fl.value, unsorted = $("f-sort").value === "score" && (!lab || lab === "-");
    $("f-count").textContent = `${num(rows.length)} of ${counted(n, "paragraph")}` +
      (unsorted ? " (in file order: choose a label to order by its score)" : "");
    $("pg-info").textContent = `page ${num(page + 1)} of ${num(pages)}`;
    $("pg-prev").disabled = page === 0; $("pg-next").disabled = page >= pages - 1;
  }
  fl.addEventListener("change", () => { page = 0; filter(); });
  $("f-reviewed").addEventListener("change", () => { page = 0; filter(); });
  $("f-sort").addEventListener("change", () => { page = 0; filter(); });
  $("f-search").addEventListener("input", debounce(() => { page = 0; filter(); }, 200));
  $("pg-prev").addEventListener("click", () => { page -= 1; render(); });
  $("pg-next").addEventListener("click", () => { page += 1; render(); });
  filter();
})();
document.body.dataset.ready = String(Math.round(performance.now()));  // ms since navigation started
})();
"""
