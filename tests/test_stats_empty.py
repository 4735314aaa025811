"""``tagger stats`` when there is little or nothing to count: headings only, a header-only file, an empty file; the
summary rows of ``tagger tag --summary`` in a frame read with pandas; the refusal of a six-digit date (202305)."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.analysis.output import format_terminal
from tagger.analysis.report import corpus_report_html
from tagger.analysis.stats import corpus_stats, parse_date
from tagger.apps.cli import main
from tagger.common.files import EMPTY_FILE
from tagger.data.tagged import read_tagged
from tagger.errors import InputError
from tagger.labels import LABELS

from helpers import tagged_rows, write_tagged


def _headings(rows: list[dict]) -> list[dict]:
    """The rows as headings, no label and no review decision (a heading a person gave a label counts)."""
    drop = ("reviewed_labels", "reviewed_by", "reviewed_at")
    return [{**{k: v for k, v in r.items() if k not in drop}, "kind": "heading", "labels": []} for r in rows]


def page_data(html: str) -> dict:
    start = html.index('<script type="application/json" id="data">') + len('<script type="application/json" id="data">')
    return json.loads(html[start:html.index("</script>", start)])


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".sqlite", ".xlsx"])
def test_a_file_of_headings_only_gives_five_label_rows_of_0_everywhere(tmp_path, capsys, suffix):
    """``tagger stats heads.csv --html c.html`` failed with a bare KeyError: 'elderly_care' (exit 1); without --html the
    terminal showed the label table's header and no rows, -o - had no corpus rows (only cooccurrence), the workbook's
    corpus sheet its header only, and nothing warned. Now every output has a row of 0 per label (no share: a share of
    no paragraphs is none) and a warning says why."""
    tagged = write_tagged(tmp_path / f"heads{suffix}", _headings(tagged_rows(summary=False)))
    html, xlsx = tmp_path / "c.html", tmp_path / "c.xlsx"
    assert main(["stats", str(tagged), "--html", str(html), "-o", str(xlsx)]) == 0
    err = capsys.readouterr().err
    assert f"{tagged}: no paragraph rows to count: the 7 rows are headings and captions" in err, err
    page = page_data(html.read_text(encoding="utf-8"))
    assert page["corpus"] == [[lab, 0, 0, 0] for lab in LABELS] and page["meta"]["not_counted"] == 7
    sheet = pd.read_excel(xlsx, sheet_name="corpus")
    assert sheet["label"].tolist() == list(LABELS) and sheet[["paragraphs", "reports"]].eq(0).all().all()
    assert sheet["paragraph_share"].isna().all()

    assert main(["stats", str(tagged), "-o", "-"]) == 0
    out = capsys.readouterr().out
    corpus = [r for r in csv.DictReader(io.StringIO(out)) if r["table"] == "corpus"]
    assert [r["label"] for r in corpus] == list(LABELS)
    assert {(r["paragraphs"], r["reports"], r["paragraph_share"], r["total_paragraphs"]) for r in corpus} == {
        ("0", "0", "", "0")}

    assert main(["stats", str(tagged)]) == 0
    out = capsys.readouterr().out
    for lab in LABELS:
        assert any(line.split()[:2] == [lab, "0"] and line.split()[2] == "-" for line in out.splitlines()), out
    assert "nan" not in out


def test_a_header_only_file_counts_0_and_its_page_is_written(tmp_path, capsys):
    """A tagged CSV of its header alone (tag's file of reports without paragraphs) crashed --html with KeyError."""
    tagged = write_tagged(tmp_path / "hdr.csv", [])
    html = tmp_path / "c.html"
    assert main(["stats", str(tagged), "--html", str(html)]) == 0
    out, err = capsys.readouterr()
    assert "no paragraph rows to count (tagged from reports without paragraphs" in err
    assert page_data(html.read_text(encoding="utf-8"))["corpus"] == [[lab, 0, 0, 0] for lab in LABELS]
    assert out.count(" 0 ") >= len(LABELS) and "elderly_care" in out


def test_corpus_stats_of_no_countable_row_has_a_row_per_label_by_group_too():
    """corpus_stats on a frame of headings only (by a group, the report page built from it): the corpus table was
    empty and corpus_report_html raised KeyError; a corpus table of 0 per label, and each group of the file (its
    headings) a row of 0s too (every group in the input is shown)."""
    df = read_tagged_frame(_headings(tagged_rows(summary=False)))
    with pytest.warns(UserWarning, match="no paragraph rows to count: the 7 rows are headings"):
        stats = corpus_stats(df, by=["company"])
    corpus = stats.tables["corpus"]
    assert corpus["label"].tolist() == list(LABELS) and corpus[["paragraphs", "reports"]].eq(0).all().all()
    pivot = stats.tables["pivot"]
    assert pivot["company"].tolist() == ["乙公司", "甲公司"]
    assert pivot[["paragraphs", "reports", *LABELS]].eq(0).all().all()
    assert stats.tables["groups"]["paragraph_share"].isna().all()
    assert page_data(corpus_report_html(df, stats))["corpus"] == [[lab, 0, 0, 0] for lab in LABELS]
    assert "elderly_care" in format_terminal(stats)


def read_tagged_frame(rows: list[dict]) -> pd.DataFrame:
    """A frame as read_tagged returns it, without a file (the rows' labels are the effective ones)."""
    df = pd.DataFrame([r for r in rows if r["row_type"] == "paragraph"])
    return df.assign(effective_labels=[tuple(x) for x in df["labels"]], reviewed=False,
                     labels=[tuple(x) for x in df["labels"]])


@pytest.mark.parametrize("reader", ["csv", "parquet"])
def test_summary_rows_of_a_file_read_with_pandas_are_not_counted_as_paragraphs(tmp_path, reader):
    """A tagged file with --summary rows (row_type report/corpus) read with pd.read_csv or pd.read_parquet: its summary
    rows were counted as paragraphs (3 of them, one more report '(all)') or the count failed; now they are left out,
    as read_tagged leaves them out: the same counts as tagger stats gives."""
    rows = tagged_rows(summary=True)
    tagged = write_tagged(tmp_path / "t.csv", [r for r in rows if "reviewed_labels" not in r])
    expected = corpus_stats(read_tagged(tagged), warn=False)
    frame = pd.read_csv(tagged, keep_default_na=False, na_values=[""])
    if reader == "parquet":
        frame.to_parquet(tmp_path / "t.parquet")
        frame = pd.read_parquet(tmp_path / "t.parquet")
    frame = frame.drop(columns=["reviewed_labels"])  # no decision in these rows
    assert set(frame["row_type"]) == {"paragraph", "report", "corpus"}
    stats = corpus_stats(frame, warn=False)
    assert (stats.paragraphs, stats.reports) == (expected.paragraphs, expected.reports) == (4, 2)
    pd.testing.assert_frame_equal(stats.tables["corpus"], expected.tables["corpus"])


def test_an_unknown_row_type_in_a_frame_is_refused_naming_its_row():
    df = pd.DataFrame({"row_type": ["paragraph", "par"], "report": ["r", "r"], "labels": [[], []]})
    with pytest.raises(InputError, match=r"row 1 of the frame: row_type 'par' is not paragraph, report or corpus"):
        corpus_stats(df, warn=False)


@settings(max_examples=25, deadline=None)
@given(st.tuples(st.sampled_from(["", "\ufeff", "\ufeff\ufeff"]),  # byte-order marks, then white space
                 *[st.sampled_from(["", " ", "\n", "\r\n", "\t", "\u3000"])] * 4).map("".join),
       st.sampled_from([".csv", ".jsonl", ".txt", ".tsv", ".xlsx", ".parquet", ".sqlite"]))
def test_an_empty_file_is_said_to_be_empty(tmp_path_factory, blanks, suffix):
    """tagger stats on an empty file (or one of white space and a byte-order mark) said "not a tagged file: no column
    report, paragraph, …" (cannot read a .txt file; not a readable .xlsx workbook; no table named 'paragraphs')."""
    path = tmp_path_factory.mktemp("e") / f"empty{suffix}"
    path.write_text(blanks if suffix not in (".xlsx", ".parquet", ".sqlite") else "", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_tagged(path)
    assert str(info.value).startswith(f"{path}: {EMPTY_FILE}; "), info.value


def test_tagger_stats_on_an_empty_file_says_so(tmp_path, capsys):
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    assert main(["stats", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: {EMPTY_FILE}" in err and "no column" not in err


def test_a_six_digit_date_is_refused_with_year_and_month_as_a_reading():
    """202305 (year and month, as Chinese statistics exports write it) was refused as "6 digits: an Excel date number,
    a time stamp or a two-digit year?": refused still (240312 is the same shape), naming a year and month and how to
    write it."""
    for cell in ("202305", 202305):
        with pytest.raises(ValueError, match=r"^6 digits: a year and month \(write 2023-05 for May 2023\), an Excel "
                                             r"date number, a time stamp or a two-digit year\?$"):
            parse_date(cell)
    with pytest.raises(ValueError, match=r"^5 digits: an Excel date number"):  # no month reading: as before
        parse_date("45291")


def _with_heading_only_company(rows: list[dict]) -> list[dict]:
    """``rows`` and a report of company B公司 whose paragraphs are a heading and a caption only."""
    scores = {f"score_{lab}": 0.1 for lab in LABELS}
    return [*rows, *({"row_type": "paragraph", "report": "rb", "paragraph": f"rb:{i}", "kind": kind, "text": text,
                      "labels": [], **scores, "company": "B公司", "date": "2023-05-06"}
                     for i, (kind, text) in enumerate((("heading", "标题"), ("caption", "图1"))))]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_group_of_headings_only_has_a_row_of_0s_in_every_output(tmp_path, capsys, suffix):
    """``tagger stats --by company``: company B公司, whose report has a heading and a caption only, was in no table
    (terminal, CSV, workbook, HTML page): an analyst could not tell B had nothing from B not read. Now it has a row
    of 0s everywhere (its shares empty: a share of no paragraphs is none), by company and month too."""
    rows = [r for r in tagged_rows(summary=False) if "reviewed_labels" not in r]
    tagged = write_tagged(tmp_path / f"t{suffix}", _with_heading_only_company(rows))
    html, xlsx = tmp_path / "c.html", tmp_path / "c.xlsx"
    assert main(["stats", str(tagged), "--by", "company", "--html", str(html), "-o", str(xlsx)]) == 0
    capsys.readouterr()
    pivot = pd.read_excel(xlsx, sheet_name="pivot")
    assert pivot["company"].tolist() == ["B公司", "甲公司"]
    assert pivot.iloc[0][["paragraphs", "reports", "reviewed_paragraphs", *LABELS]].eq(0).all()
    groups = pd.read_excel(xlsx, sheet_name="groups")
    b = groups[groups["company"] == "B公司"]
    assert b["label"].tolist() == list(LABELS) and b["paragraph_share"].isna().all()
    page = page_data(html.read_text(encoding="utf-8"))
    assert page["pivot"][0] == [["B公司"], 0, 0, 0, [0] * len(LABELS), [0] * len(LABELS)]

    assert main(["stats", str(tagged), "--by", "company", "-o", "-"]) == 0
    out = [r for r in csv.DictReader(io.StringIO(capsys.readouterr().out)) if r["table"] == "groups"]
    assert {(r["paragraphs"], r["reports"], r["paragraph_share"], r["total_paragraphs"])
            for r in out if r["company"] == "B公司"} == {("0", "0", "", "0")}

    assert main(["stats", str(tagged), "--by", "company", "--by", "month"]) == 0
    out = capsys.readouterr().out
    assert any(line.split() == ["B公司", "2023-05", *["0"] * (3 + len(LABELS))] for line in out.splitlines()), out


def test_a_heading_in_a_counted_groups_other_spelling_or_with_an_unreadable_date_adds_no_group():
    """The headings' groups are read as the counted rows' are: a spelling of a counted group (traditional script,
    a space) is that group, not a group of 0s beside it; with --keep-spellings it is its own group; a heading whose
    date cannot be read (not counted, so nothing is lost) is in no month, and stops nothing."""
    rows = [r for r in tagged_rows(summary=False) if "reviewed_labels" not in r]
    extra = [{**rows[0], "paragraph": f"r9:{i}", "report": "r9", "kind": "heading", "labels": [], "company": company,
              "date": date} for i, (company, date) in enumerate((("甲 公司", "2023-01-15"), ("乙公司", "不是日期")))]
    df = read_tagged_frame([*rows, *extra])
    stats = corpus_stats(df, by=["company"], warn=False)
    assert stats.tables["pivot"]["company"].tolist() == ["乙公司", "甲公司"]
    assert stats.tables["pivot"].set_index("company").at["甲公司", "paragraphs"] == 4
    kept = corpus_stats(df, by=["company"], merge=False, warn=False)
    assert kept.tables["pivot"]["company"].tolist() == ["乙公司", "甲 公司", "甲公司"]
    by_month = corpus_stats(df, by=["company", "month"], warn=False)  # on_error fail: the heading's date stops nothing
    assert by_month.tables["pivot"][["company", "month"]].values.tolist() == [["甲公司", "2023-01"],
                                                                                ["甲公司", "2023-02"]]


def _page(browser, tmp_path, name, rows, *by):
    """``tagger stats --html`` of ``rows``, opened in the browser once the page is ready."""
    path, html = write_tagged(tmp_path / f"{name}.jsonl", rows), tmp_path / f"{name}.html"
    assert main(["-q", "stats", str(path), *by, "--html", str(html), "-o", str(tmp_path / f"{name}.csv")]) == 0
    page = browser.new_page()
    page.goto(html.as_uri())
    page.wait_for_selector("body[data-ready]")
    return page


def test_a_share_of_no_paragraphs_is_shown_empty_on_the_page_too(browser, tmp_path):
    """Hunt: the page showed '0.0 %' for the shares of a file of headings only (the label table) and, in the share
    views of the groups' table, for a group of headings only, where the CSV, the workbook and the terminal leave a
    share of no paragraphs empty ('-'): none, not 0. A group with paragraphs still shows its shares."""
    rows = [r for r in tagged_rows(summary=False) if "reviewed_labels" not in r]
    page = _page(browser, tmp_path, "heads", _headings(rows))
    cells = [r.split("\t") for r in page.inner_text("#corpus-table tbody").splitlines()]
    assert len(cells) == len(LABELS) and {(c[2], c[4]) for c in cells} == {("–", "–")}, cells
    page.close()
    page = _page(browser, tmp_path, "groups", _with_heading_only_company(rows), "--by", "company")
    for measure in ("pshare", "rshare"):
        page.select_option("#pivot-measure", measure)
        body = [r.split("\t") for r in page.inner_text("#pivot-table tbody").splitlines()]
        assert [r[4:] for r in body if r[0] == "B公司"] == [["–"] * len(LABELS)], body
        assert all(c.endswith(" %") for r in body if r[0] != "B公司" for c in r[4:]), body
    page.close()
