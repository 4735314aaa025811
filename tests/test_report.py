"""The evaluation report (``python evaluate.py``: tagger.evaluation.run / .report / .figures): files,
sections, intervals, baselines, the dev set's privacy, and Markdown/HTML rendering."""

import base64
import hashlib
import json
import re
import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tagger import LABELS
from tagger.errors import InputError
from tagger.evaluation.metrics import metrics, report_bootstrap, review_curve
from tagger.evaluation.report import (README_END, README_START, markdown_to_html, md_text, readme_block,
                                      update_readme, write_reports)
from tagger.evaluation.run import EvalOptions, run_evaluation

SECRET = "top-secret-host-name-4711"
# A tiny real dev set: (doc, text of each line, mix); labels per paragraph index
DEV = {
    "devA": (["为民服务 暖心行动", "国网某供电公司党员志愿者走进敬老院,为孤寡老人义务检查家中线路。",
              "该公司为老旧小区实施一户一表改造,更换老化线路,点亮黑楼道。"],
             ["none", "elderly_care;volunteer_work", "old_neighbourhood_retrofit"], "positive"),
    "devB": (["供电公司开辟绿色通道,仅用7天就为园区企业完成报装接电。", "公司党委召开党史学习教育专题会议。",
              "供电公司完成线路迁改工程,保障道路施工。"],
             ["business_connection_speed", "none", "none"], "hard_negative"),
}


def _shrink_authored(work):
    """Every eighth row of one authored file: the same kinds of text, a much faster run."""
    for path in (work / "labels").glob("authored_*.jsonl"):
        path.unlink()
    lines = (work / "labels" / "authored.jsonl").read_text(encoding="utf-8").splitlines()
    (work / "labels" / "authored.jsonl").write_text("\n".join(lines[::8]) + "\n", encoding="utf-8")


def _fake_devset(work):
    raw = work / "data" / "real" / "raw"
    raw.mkdir(parents=True)
    manifest = ["doc,index,sha256,length,kind,labels"]
    docs = ["doc,url,grid,province,year,script,mix"]
    reads = ["doc,index,first,second"]
    for doc, (lines, labels, mix) in DEV.items():
        (raw / f"{doc}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        for i, (text, lab) in enumerate(zip(lines, labels)):
            kind = "heading" if i == 0 and doc == "devA" else "body"
            manifest.append(f"{doc},{i},{hashlib.sha256(text.encode()).hexdigest()},{len(text)},{kind},{lab}")
            reads.append(f"{doc},{i},{lab},{lab}")
        docs.append(f"{doc},https://example.org/{doc},sgcc,jiangsu,2021,simplified,{mix}")
    for name, rows in (("dev_manifest.csv", manifest), ("dev_docs.csv", docs), ("dev_reads.csv", reads)):
        (work / "labels" / name).write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, root):
    """``run_evaluation`` once on a copy of seeds/ and labels/ (as the ``project`` fixture makes), with a
    smaller authored supplement, a two-report dev set, and an imported paragraph whose id and text quote a
    local file as a Markdown image."""
    work = tmp_path_factory.mktemp("proj")
    for name in ("seeds", "labels"):
        shutil.copytree(root / name, work / name)
    _shrink_authored(work)
    _fake_devset(work)
    secret = work / "secret.png"
    secret.write_text(SECRET, encoding="ascii")
    (work / "labels" / "imported.jsonl").write_text(json.dumps(
        {"id": f"imp:0 ![y]({secret})", "doc": f"imp ![z]({secret})", "labels": ["elderly_care"],
         "text": f"公司召开会议。\u2028![x]({secret})\u2028<img src=x onerror=alert(1)>"},
        ensure_ascii=False) + "\n", encoding="utf-8")
    out = work / "reports"
    md, payload, paths = run_evaluation(EvalOptions(root=work, out=out, ablations=False, plots=False, n_boot=50,
                                                    progress=False))
    return {"work": work, "out": out, "md": md, "payload": payload, "paths": paths, "secret": secret,
            "json": json.loads((out / "cv_report.json").read_text(encoding="utf-8"))}


def test_report_files_and_json_keys(evaluated):
    out, data = evaluated["out"], evaluated["json"]
    assert sorted(p.name for p in evaluated["paths"]) == ["cv_report.html", "cv_report.json", "cv_report.md"]
    assert (out / "cv_report.md").read_text(encoding="utf-8") == evaluated["md"]
    assert {"dev", "authored_only", "lodo", "context", "top_terms", "figures", "lodo_errors"} <= set(data)
    assert not any(k.startswith("_") for k in data)  # internal objects never reach the file
    assert data["figures"] == {} and not (out / "figures").exists()
    ctx = data["context"]
    assert ctx["wall_time_s"] > 0 and ctx["hyperparameters"]["C"] > 0 and len(ctx["data_hash"]) == 64
    assert {"scikit-learn", "numpy", "rjieba", "opencc"} <= set(ctx["versions"]) and ctx["bootstrap"] == "50 report resamples"
    assert ctx["n_training"] == 109 + 1 + ctx["n_authored"] and ctx["n_real_training"] == 110
    md = evaluated["md"]
    # the imported paragraph's report is a fold too: the run is named for what it scores (adversarial test: a user
    # read the pooled figure as the seed reports' one), and each part is scored apart
    for section in ("# Evaluation report", "## Real dev set (primary)", "## Authored → real",
                    "## Seed and imported reports, leave one report out (secondary)", "## Details", "### Model insight",
                    "### Per seed and imported report", "### Reproducibility"):
        assert section in md, section
    assert "## Seed reports, leave one" not in md and "### Per seed report" not in md
    assert ("### Most confident errors on the dev set" in md) == bool(data["dev"]["errors"])
    assert ("### Most confident errors, seed and imported LODO" in md) == bool(data["lodo_errors"])
    parts = data["lodo"]["parts"]
    assert [(k, v["reports"], v["paragraphs"]) for k, v in parts.items()] == [("seed", 5, 109), ("imported", 1, 1)]
    assert (f"Scored apart: the seed reports, micro-F1 {parts['seed']['micro_f1']:.3f} (paragraphs: 109; the ones a "
            f"checkout without imported labels scores); the imported reports, micro-F1 "
            f"{parts['imported']['micro_f1']:.3f} (paragraphs: 1)") in md
    assert "Not measured in this run" not in md


def test_html_is_self_contained(evaluated):
    html = (evaluated["out"] / "cv_report.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<table>" in html and "<h2>" in html
    assert "<img" not in html and "http://" not in html and "https://" not in html and "<script" not in html


def test_dev_set_section(evaluated):
    dev = evaluated["json"]["dev"]
    assert [r["system"] for r in dev["runs"]] == ["tagger", "tagger, real text only", "empty", "keyword lexicon",
                                                  "plain TF-IDF + LR @0.5"]
    assert all(r["metrics"]["n"] == 6 and r["scheme"] == "dev" for r in dev["runs"])
    assert set(dev["bootstrap_ci"]) == {r["system"] for r in dev["runs"]}
    assert set(dev["subsets"]) == {"hard-negative reports", "other reports"}
    assert dev["subsets"]["hard-negative reports"]["n"] == 3
    assert all("text" not in e for e in dev["errors"])
    ceiling = dev["threshold_ceiling"]  # thresholds or ranking: the best thresholds on the dev set itself
    main = dev["runs"][0]["metrics"]
    assert ceiling["micro_f1"] == pytest.approx(main["micro_f1"]) and ceiling["best_micro_f1"] >= ceiling["micro_f1"]
    for lab, row in ceiling["per_label"].items():
        assert main["per_label"][lab]["support"] > 0 and row["best_f1"] >= row["f1"] == pytest.approx(
            main["per_label"][lab]["f1"])
    assert "### Thresholds or ranking?" in evaluated["md"]


def test_dev_set_text_is_never_published(evaluated):
    """Real dev-set text is not ours to publish: ids only, in every file."""
    written = "".join(p.read_text(encoding="utf-8") for p in evaluated["paths"])
    for lines, _, _ in DEV.values():
        for text in lines[1:]:
            assert text not in written and md_text(text) not in written


def test_confidence_intervals_contain_point_estimates(evaluated):
    data = evaluated["json"]
    for section in ("lodo", "dev"):
        m, ci = data[section]["runs"][0]["metrics"], data[section]["bootstrap_ci"]
        if section == "dev":
            ci = ci["tagger"]
        assert ci["unit"] == "report" and ci["n_boot"] == 50
        for key in ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"):
            lo, hi = ci[key]
            assert lo <= m[key] + 1e-4 and m[key] <= hi + 1e-4, (section, key)  # intervals: 4 decimals


def test_baselines_and_real_paragraphs_only(evaluated):
    data = evaluated["json"]
    lodo = data["lodo"]["runs"]
    assert [r["system"] for r in lodo] == ["tagger", "tagger, real text only", "empty", "keyword lexicon",
                                           "plain TF-IDF + LR @0.5"]
    assert all(r["metrics"]["n"] == 110 for r in lodo)  # only real paragraphs scored (seeds + imported)
    assert {d["doc"] for d in lodo[0]["per_doc"]} == {p.stem for p in (evaluated["work"] / "seeds").glob("*.txt")} | {
        f"imp ![z]({evaluated['secret']})"}
    assert lodo[2]["metrics"]["micro_f1"] == 0.0  # the empty baseline
    (authored,) = data["authored_only"]
    assert authored["system"] == "tagger, authored only" and authored["metrics"]["n"] == 110 + 6


def test_insight_and_errors(evaluated):
    data = evaluated["json"]
    assert set(data["top_terms"]) == set(LABELS)
    for terms in data["top_terms"].values():
        assert terms["positive"] and all(w > 0 for _, w in terms["positive"])
        assert all(w < 0 for _, w in terms["negative"])
    errors = data["lodo_errors"]
    assert 0 < len(errors) <= 10
    assert errors == sorted(errors, key=lambda e: -e["margin"])
    assert all(set(e["gold"]) != set(e["predicted"]) and e["margin"] > 0 for e in errors)


def test_report_text_never_reads_a_local_file(evaluated):
    """Issue 17: a label file's ![x](/etc/hostname) was embedded as an image in cv_report.html."""
    html = (evaluated["out"] / "cv_report.html").read_text(encoding="utf-8")
    assert SECRET not in html and base64.b64encode(SECRET.encode()).decode() not in html
    assert "<img" not in html and "onerror=" not in html.replace("onerror=alert", "")  # escaped, never markup
    assert "&lt;img" in html or "imp" in html
    md = evaluated["md"]
    assert not any(line.startswith("![") for line in md.splitlines())


# ----------------------------------------------------------------------------- figures
def test_figures_are_png_files(tmp_path):
    from tagger.evaluation import figures

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=(30, 5)).astype(bool)
    y[:, 2] = False  # a label without positives
    scores = rng.random((30, 5))
    thresholds = dict.fromkeys(LABELS, 0.5)
    paths = [figures.pr_curves(y, scores, scores >= 0.5, thresholds, tmp_path / "a" / "pr.png"),
             figures.f1_vs_threshold(y, scores, thresholds, tmp_path / "f1.png"),
             figures.cooccurrence_plot(y, tmp_path / "co.png", "co-occurrence")]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = markdown_to_html("# r\n\n![PR](figures/pr.png)\n", {"figures/pr.png": paths[0]})
    assert html.count('src="data:image/png;base64,') == 1


# ----------------------------------------------------------------------------- bootstrap
def test_report_bootstrap_properties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=(40, 5))
    p = y.copy()
    p[::7] = 1 - p[::7]
    docs = [f"d{i % 6}" for i in range(40)]
    a = report_bootstrap(y, p, docs, n_boot=300, seed=1)
    assert a == report_bootstrap(y, p, docs, n_boot=300, seed=1)  # deterministic
    assert a != report_bootstrap(y, p, docs, n_boot=300, seed=2)
    lo, hi = a["micro_f1"]
    assert 0 <= lo <= hi <= 1
    perfect = report_bootstrap(y, y, docs, n_boot=100)
    assert perfect["micro_f1"] == (1.0, 1.0) and perfect["hamming_loss"] == (0.0, 0.0)
    assert a["unit"] == "report" and a["n_boot"] == 300 and a["level"] == 0.95


def test_report_bootstrap_resamples_whole_reports():
    """One report all right, one all wrong: every resample is a mix of whole reports, so micro-F1 takes
    only the values 0, 1 and the mixes — never what a paragraph-level resample would give."""
    y = np.zeros((4, 5), dtype=int)
    y[:, 0] = 1
    p = y.copy()
    p[2:, 0] = 0  # report "b" misses all
    ci = report_bootstrap(y, p, ["a", "a", "b", "b"], n_boot=200, seed=0)
    lo, hi = ci["micro_f1"]
    assert lo == 0.0 and hi == 1.0
    assert ci["per_label"]["elevator_power_hookup"]["f1"] is None  # undefined in every resample


def test_review_curve_band_leaves_out_resamples_with_nothing_to_score():
    """A resample of reports with no label, tagged none (micro-F1 undefined), counted 0 in the review curve's
    band while report_bootstrap leaves it out: a corpus tagged right everywhere had a band down to 0."""
    y = np.zeros((4, 5), dtype=int)
    y[0, 0] = 1  # report a: one elderly paragraph, tagged right; reports b, c: nothing to tag, nothing tagged
    docs = ["a", "a", "b", "c"]
    curve = review_curve(y, y, np.arange(4.0), docs, shares=[0, 0.5], n_boot=200, seed=0)
    assert curve["micro_f1"] == [1.0, 1.0] and curve["low"] == [1.0, 1.0]  # was 0.0
    assert report_bootstrap(y, y, docs, n_boot=200, seed=0)["micro_f1"] == (1.0, 1.0)
    nothing = review_curve(y[2:], y[2:], np.arange(2.0), docs[2:], shares=[0], n_boot=50)
    assert nothing["micro_f1"] == [0.0] and (nothing["low"], nothing["high"]) == ([0.0], [0.0])  # as metrics()


def test_report_bootstrap_macro_keeps_a_label_a_resample_does_not_have_at_its_whole_data_f1():
    """Every paragraph right, yet 'macro F1 1.000 [0.40, 1.00]': a resample without any report of a label (no
    gold, no prediction there) counted that label's F1 as 0 in its macro mean. Left out, the resample's mean was
    one of four labels (the dev set's elevator label, predicted in a few reports and never true, made the
    interval of 0.612 [0.58, 0.80]). Such a label counts with its F1 on the whole data; a label the whole data
    lacks counts 0, as in the point estimate."""
    y = np.zeros((10, 5), dtype=int)
    for i in range(10):
        y[i, i % 5] = 1  # ten reports of one paragraph, each label in two of them
    docs = [f"d{i}" for i in range(10)]
    assert metrics(y, y)["macro_f1"] == 1.0
    assert report_bootstrap(y, y, docs, n_boot=500, seed=0)["macro_f1"] == (1.0, 1.0)  # was (0.6, 1.0)

    # report a: elderly_care right and a false elevator label; report b: retrofit missed; two labels nowhere
    y = np.zeros((2, 5), dtype=int)
    y[0, 0] = y[1, 1] = 1
    p = y.copy()
    p[1, 1], p[0, 2] = 0, 1
    point = metrics(y, p)["macro_f1"]
    assert point == pytest.approx(0.2)  # (1 + 0 + 0 + 0 + 0) / 5
    # every resample ({a, b}, {a, a}, {b, b}) gives elderly 1, retrofit 0 and elevator 0: a four-label mean
    # ({b, b}: retrofit alone) would give 0.25 or 0
    assert report_bootstrap(y, p, ["a", "b"], n_boot=400, seed=0)["macro_f1"] == (pytest.approx(0.2),
                                                                                 pytest.approx(0.2))


# ----------------------------------------------------------------------------- Markdown and HTML
@pytest.mark.parametrize("text, expected", [
    ("a|b", "a\\|b"), ("**x**", "\\*\\*x\\*\\*"), ("`c`", "\\`c\\`"), ("# h", "\\# h"), ("<b>", "\\<b\\>"),
    ("a\nb\u2028c\x85d\re", "a b c d e"), ("![x](/etc/hostname)", "\\!\\[x\\](/etc/hostname)"), ("普通文本", "普通文本"),
])
def test_md_text(text, expected):
    assert md_text(text) == expected


def test_md_text_writes_an_ampersand_as_its_entity():
    """Hunt: ``&`` was left as it was, so a text holding ``&lt;script&gt;`` showed as ``<script>`` in a Markdown
    viewer (and in the report's HTML title line); it is written ``&amp;`` and shows as written."""
    assert md_text("a & b &lt;script&gt; R&D") == "a &amp; b &amp;lt;script&amp;gt; R&amp;D"
    html = markdown_to_html(f"# Test report — {md_text('r&lt;1&gt;.jsonl')}\n\n| text |\n|---|\n"
                            f"| {md_text('&lt;script&gt; a&b')} |\n\n{md_text('x &amp; y')}\n")
    # each shows as written: the entity text escaped once for HTML
    assert "<td>&amp;lt;script&amp;gt; a&amp;b</td>" in html and "<p>x &amp;amp; y</p>" in html
    assert "<title>Test report — r&amp;lt;1&amp;gt;.jsonl</title>" in html


@given(st.text(alphabet=st.sampled_from("&;ampltg<>#x\\`*|a 中"), max_size=30))
def test_md_text_shows_any_text_as_written_in_the_report_html(text):
    """No ``&`` in the Markdown but the entity of one (a Markdown viewer reads ``&lt;`` as ``<``), and the report's
    own HTML shows the text as written."""
    import html as html_module

    assert "&" not in md_text(text).replace("&amp;", "")
    page = markdown_to_html(f"# r\n\n| text |\n|---|\n| ({md_text(text)}) |\n")
    cell = re.search(r"<tbody>\n<tr><td>\((.*)\)</td></tr></tbody>", page, re.S).group(1)
    assert html_module.unescape(cell) == " ".join(text.splitlines())


def test_markdown_to_html_renders_the_subset():
    md = ("# Title <x>\n\nSome **bold** and `co|de` \\| text & more\n\n| a | b |\n|---|---:|\n"
          "| 1 \\| 2 | **3** |\n")
    html = markdown_to_html(md)
    assert "<title>Title &lt;x&gt;</title>" in html and "<h1>Title &lt;x&gt;</h1>" in html
    assert "<strong>bold</strong>" in html and "<code>co|de</code>" in html and "| text &amp; more" in html
    assert "<th>a</th><th>b</th>" in html and "<td>1 | 2</td><td class=num><strong>3</strong></td>" in html


def test_write_reports(tmp_path):
    fig = tmp_path / "out" / "figures" / "f.png"
    fig.parent.mkdir(parents=True)
    fig.write_bytes(b"\x89PNG x")
    paths = write_reports(tmp_path / "out", "r", "# R\n\n![F](figures/f.png)\n", {"a": [1, 2]}, {"f": "figures/f.png"})
    assert [p.name for p in paths] == ["r.md", "r.json", "r.html"]
    assert json.loads(paths[1].read_text(encoding="utf-8")) == {"a": [1, 2]}
    assert "data:image/png;base64," in paths[2].read_text(encoding="utf-8")
    with pytest.raises(ValueError):
        write_reports(tmp_path / "out2", "r", "# R\n", {"x": float("nan")})  # never invalid JSON


REPORT = "# Report\n\nintro\n\n## First\n\n| a |\n|---|\n\n## Second\n\ntext\n\n## Details\n\nmore\n"


def test_update_readme(tmp_path):
    report = REPORT
    readme = tmp_path / "README.md"
    readme.write_text(f"# Project\n\n{README_START}\nold\n{README_END}\n\nafter\n", encoding="utf-8")
    assert update_readme(readme, report) is True
    text = readme.read_text(encoding="utf-8")
    assert readme_block(report) in text and "old" not in text and text.endswith("after\n")
    assert readme_block(report).startswith("#### First") and "#### Second" in readme_block(report)
    assert update_readme(readme, report) is False  # already up to date
    readme.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"the marker {README_START} is there 0 times, not once")):
        update_readme(readme, report)


@pytest.mark.parametrize("text", [f"{README_START}\nkeep me\n{README_START}\nold\n{README_END}\n",  # start twice
                                  f"{README_END}\nold\n{README_START}\n",  # out of order
                                  f"{README_START}\na\n{README_END}\nb\n{README_START}\nc\n{README_END}\n"])  # two blocks
def test_update_readme_refuses_repeated_or_misordered_markers_and_changes_nothing(tmp_path, text):
    """Review: a repeated start marker deleted the text between the two; an end before the start gave a
    traceback; a second block silently stayed stale."""
    readme = tmp_path / "README.md"
    readme.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="README.md: .*(times, not once|comes before)"):
        update_readme(readme, REPORT)
    assert readme.read_text(encoding="utf-8") == text


def test_update_readme_keeps_crlf_line_breaks(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_bytes(f"# P\r\n{README_START}\r\nold\r\n{README_END}\r\nafter\r\n".encode())
    assert update_readme(readme, REPORT) is True
    data = readme.read_bytes()
    assert b"| a |\r\n|---|\r\n" in data and data.count(b"\n") == data.count(b"\r\n") and data.endswith(b"after\r\n")


def test_review_curve_never_reviews_a_paragraph_the_queue_would_not_flag():
    """tag --review never flags a heading or a caption (the codebook gives them no label); the curve evaluate draws
    ranked them with the rest. With ``reviewable`` the curve reviews what the queue would: the heading, least
    certain by its margin, is passed over, and no share reviews more than the reviewable rows."""
    y = np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0]])
    p = np.array([[0, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]])  # the heading (row 1) wrongly tagged
    margins, docs = np.array([0.1, 0.0, 0.2]), ["a", "a", "b"]
    plain = review_curve(y, p, margins, docs, shares=[1 / 3], n_boot=10)["micro_f1"]
    kept = review_curve(y, p, margins, docs, shares=[1 / 3, 1.0], n_boot=10,
                        reviewable=np.array([True, False, True]))["micro_f1"]
    assert plain == [0.0] and kept == [0.5, 0.8]  # row 0 reviewed, not the heading; at most the two body rows


def test_counts_are_printed_one_way_everywhere():
    """evaluate printed "all 4199 training paragraphs", "(1674)", "| 1096 |" beside "1,635" (the dev set's scope):
    every count of the report and the model card is grouped by thousands, by one helper (common.terminal.grouped)."""
    from tagger.evaluation.card import model_card
    from tagger.evaluation.cv import CVRun
    from tagger.evaluation.report import headline_table, per_doc_table

    per_label = {lab: {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 1096} for lab in LABELS}
    m = {"per_label": per_label, "precision": 0.5, "recall": 0.5, "micro_f1": 0.5, "macro_f1": 0.5, "n": 12345,
         "subset_accuracy": 0.5, "hamming_loss": 0.1, "labels_supported": 5, "macro_f1_supported": 0.5}
    run = CVRun("tagger", "", "model", "dev", m, per_doc=[{"doc": "r1", "paragraphs": 1674, "gold_labels": 2048,
                                                            "predicted_labels": 1001, "micro_f1": 0.5,
                                                            "exact_match": 0.5}],
                average_precision=[0.5] * len(LABELS))
    table = headline_table(run)
    assert "| 1,096 |" in table and "| 12,345 paragraphs |" in table and "1096" not in table
    assert "| r1 | 1,674 | 2,048 | 1,001 |" in per_doc_table(run)
    report = {"dev": {"runs": [{"system": "tagger", "metrics": {**m, "n": 1635}, "average_precision": [0.5] * 5}],
                      "bootstrap_ci": {"tagger": {"n_boot": 2000, "level": 0.95}},
                      "subsets": {"other reports": {"n": 1100, "micro_f1": 0.8, "precision": 0.8, "recall": 0.8}}},
              "authored_only": [{"system": "tagger, authored only", "metrics": {"n": 1744, "micro_f1": 0.7}}]}
    card = model_card({"n_train": 4199, "n_real": 109, "n_authored": 4090}, report)
    for text in ("4,199 labelled paragraphs: 109 real (from the seed reports, and any imported) and 4,090 written",
                 "primary: 1,635 paragraphs", "from 2,000 report resamples", "other reports (1,100 paragraphs)",
                 "scored on 1,744 real paragraphs", "| 1,096 |"):
        assert text in card, text
    assert not re.search(r"(?<![\d,.])\d{4,}(?![\d,.])", card), "a count not grouped"
