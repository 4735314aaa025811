"""How ``tagger stats`` and its HTML corpus report scale: a synthetic tagged corpus of 100 k paragraphs.

Run from the repository root::

    python bench/bench_stats.py                      # 100 k paragraphs (~1 minute)
    python bench/bench_stats.py --paragraphs 20000   # smaller

Measured, each in the same run:

* ``tagger stats TAGGED --by company --by month -o stats.csv --html report.html`` in a new process: wall
  time and peak memory (``VmHWM``, as in ``bench_tagging.py``);
* the HTML file's size, and how its table holds the corpus (characters per paragraph, rows);
* opening it in headless Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright): milliseconds
  from the start of navigation to the end of the page's own rendering (the page records
  ``performance.now()`` when it is ready), median of ``--rounds`` fresh pages, and the wall time
  Playwright saw;
* one search over the table: from typing to the new count (includes the page's 200 ms debounce).

The corpus: paragraphs recombined from the sentences of the seed reports and the authored text (the
real length distribution, ``bench_tagging.synthetic``), random scores, labels where a score passes 0.5,
evidence terms for labelled paragraphs, 30 companies, dates over four years, 10 % reviewed.

Results go to ``bench/stats_results.json``. No test asserts on these numbers: machines differ.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

import bench_tagging  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")


def write_tagged(path: Path, n: int, seed: int = 0, per_report: int = 8) -> Path:
    """A tagged JSONL file of ``n`` synthetic paragraphs, as ``tagger tag --evidence`` (+ review) writes it."""
    from tagger.labels import LABELS

    rng = random.Random(seed)
    texts = bench_tagging.synthetic(n, seed)
    companies = [f"国网{c}供电公司" for c in "甲乙丙丁戊己庚辛壬癸"] + [f"南方电网{k}号供电局" for k in range(20)]
    with open(path, "w", encoding="utf-8") as fh:
        for k, text in enumerate(texts):
            report = f"r{k // per_report}"
            rr = random.Random(k // per_report)  # a report's company and date
            scores = {lab: round(rng.random() ** 3, 4) for lab in LABELS}
            labels = [lab for lab in LABELS if scores[lab] > 0.5]
            row = {"row_type": "paragraph", "report": report, "paragraph": f"{report}:{k % per_report}", "kind": "body",
                   "text": text, "labels": labels, **{f"score_{lab}": scores[lab] for lab in LABELS},
                   "evidence": {lab: [text[i:i + 2] for i in range(0, 6, 2)] for lab in labels},
                   "company": rr.choice(companies),
                   "date": f"{rr.randint(2021, 2024)}-{rr.randint(1, 12):02d}-{rr.randint(1, 28):02d}"}
            if rng.random() < 0.1:
                row.update(reviewed_labels=labels[:1], reviewed_by="bench", reviewed_at="2024-01-01T00:00:00+00:00")
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def open_in_chromium(html: Path, rounds: int) -> dict:
    """Milliseconds to a rendered page (the page's own mark and Playwright's wall time) and one search."""
    from playwright.sync_api import expect, sync_playwright

    ready, wall, search = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            for _ in range(rounds):
                page = browser.new_page()
                start = time.perf_counter()
                page.goto(html.as_uri())
                page.wait_for_selector("body[data-ready]", timeout=60_000)
                wall.append((time.perf_counter() - start) * 1000)
                ready.append(float(page.get_attribute("body", "data-ready")))
                before = page.inner_text("#f-count")
                start = time.perf_counter()
                page.fill("#f-search", "老人")
                expect(page.locator("#f-count")).not_to_have_text(before, timeout=60_000)
                search.append((time.perf_counter() - start) * 1000)
                page.close()
        finally:
            browser.close()
    return {"ready_ms": statistics.median(ready), "wall_ms": statistics.median(wall),
            "search_ms": statistics.median(search), "rounds": rounds}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paragraphs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "stats_results.json"))
    args = parser.parse_args(argv)
    results: dict = {"machine": bench_tagging.machine(), "date": time.strftime("%Y-%m-%d %H:%M"),
                     "paragraphs": args.paragraphs}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"writing a tagged corpus of {args.paragraphs:,} paragraphs ...", flush=True)
        tagged = write_tagged(tmp / "tagged.jsonl", args.paragraphs)
        results["tagged_mb"] = tagged.stat().st_size / 1e6
        html = tmp / "report.html"
        print("tagger stats ...", flush=True)
        wall, rss = bench_tagging.run_child([sys.executable, "-m", "tagger", "-q", "stats", str(tagged), "--by", "company",
                                             "--by", "month", "-o", str(tmp / "stats.csv"), "--html", str(html)])
        results["stats"] = {"seconds": wall, "peak_rss_mb": rss}
        page = html.read_text(encoding="utf-8")
        data = json.loads(page.split('<script type="application/json" id="data">', 1)[1].split("</script>", 1)[0])
        results["html"] = {"mb": len(page.encode("utf-8")) / 1e6, "table_rows": data["meta"]["table_rows"],
                           "snippet_chars": data["meta"]["snippet"], "truncated": data["meta"]["truncated"]}
        if CHROMIUM.exists():
            print("opening it in Chromium ...", flush=True)
            results["chromium"] = open_in_chromium(html, args.rounds)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    s, h, c = results["stats"], results["html"], results.get("chromium")
    snippet = "whole paragraphs" if h["snippet_chars"] is None else f"texts cut to {h['snippet_chars']} characters"
    print(f"""
| measurement ({args.paragraphs:,} synthetic paragraphs) | result |
|---|---|
| `tagger stats --by company --by month -o stats.csv --html report.html` | {s['seconds']:.1f} s, peak RSS {s['peak_rss_mb']:.0f} MB |
| HTML corpus report | {h['mb']:.1f} MB; table: {h['table_rows']:,} paragraphs, {snippet} |""")
    if c:
        print(f"| opening it in headless Chromium (median of {c['rounds']}) | rendered {c['ready_ms'] / 1000:.2f} s after "
              f"navigation started ({c['wall_ms'] / 1000:.2f} s wall) |")
        print(f"| one search over the table (incl. 200 ms debounce) | {c['search_ms'] / 1000:.2f} s |")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
