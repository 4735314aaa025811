"""One rule for "is this a tagged file?" (tagger.data.tagged.tagged_table), shared by tag, stats and review: a tagged
table is recognised by its columns, however a spreadsheet or pandas saved it again — an index column first, the
row_type column deleted or moved, a sheet renamed, JSONL keys in another order, Excel's "Unicode Text" (UTF-16,
tab-separated .txt) or a UTF-8 .tsv. Before, tag read such a file as a table of NEW reports (one per paragraph:
report context, kept columns and edits lost) while stats counted it as tagged; a totals row typed under the rows
got "is this the file tagger tag wrote?"."""

import csv
import io
import json
import sys

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagger.apps.cli import main
from tagger.data.tagged import (REQUIRED_COLUMNS, has_tagged_columns, is_tagged_file, is_tagged_head, read_back,
                                read_tagged, tagged_table)

KEEP = ["--id-column", "id", "--keep-columns", "company", "date"]


@pytest.fixture(scope="module")
def base(root, cli_model, tmp_path_factory):
    """The example reports (3 reports, 10 paragraphs, company and date kept) tagged to CSV, and that file tagged
    again to JSONL: what every copy saved otherwise must give."""
    folder = tmp_path_factory.mktemp("recog")
    tagged, again = folder / "tagged.csv", folder / "again.jsonl"
    assert main(["-q", "tag", str(root / "examples" / "reports.csv"), *KEEP, "-o", str(tagged),
                 "--model", cli_model]) == 0
    assert main(["-q", "tag", str(tagged), "-o", str(again), "--model", cli_model]) == 0
    return tagged, _jsonl(again)


def _jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _frame(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _save(df, path, how):
    """``df`` (a tagged CSV read by pandas) saved as an analyst's tool saves it."""
    cols = list(df.columns)
    if how == "index column":  # df.to_csv("x.csv"): ",row_type,report,…"
        df.to_csv(path)
    elif how == "Unnamed: 0":  # that file read by pandas and saved again
        buf = io.StringIO()
        df.to_csv(buf)
        pd.read_csv(io.StringIO(buf.getvalue()), dtype=str, keep_default_na=False).to_csv(path, index=False)
    elif how == "row_type deleted":
        df[[c for c in cols if c != "row_type"]].to_csv(path, index=False)
    elif how == "columns reversed":
        df[cols[::-1]].to_csv(path, index=False)
    elif how == "sheet renamed":  # pandas: Sheet1, an index column first
        df.to_excel(path, sheet_name="Sheet1")
    elif how == "pandas JSONL":  # keys in another order, compact separators, labels as lists
        rows = df[cols[::-1]].copy()
        rows["labels"] = [[x for x in cell.split(";") if x] for cell in rows["labels"]]
        for c in rows.columns:
            if c.startswith("score_"):
                rows[c] = rows[c].astype(float)
        rows.to_json(path, orient="records", lines=True, force_ascii=False)
    elif how == "Unicode Text":  # Excel: UTF-16 LE with a byte-order mark, tab-separated, .txt
        df.to_csv(path, sep="\t", index=False, encoding="utf-16")
    elif how == "UTF-8 tsv":
        df.to_csv(path, sep="\t", index=False)
    return path


SAVED = {"index column": "idx.csv", "Unnamed: 0": "unnamed.csv", "row_type deleted": "norow.csv",
         "columns reversed": "rev.csv", "sheet renamed": "renamed.xlsx", "pandas JSONL": "pd.jsonl",
         "Unicode Text": "unicode.txt", "UTF-8 tsv": "copy.tsv"}


@pytest.mark.parametrize("how", list(SAVED))
def test_a_tagged_file_saved_again_is_tagged_again_as_tag_wrote_it(base, how, cli_model, tmp_path, capsys):
    """Each copy was read by tag as a table of new reports (10 reports of one paragraph each; the UTF-16 .txt one
    report of its lines; the .tsv refused as "the display table … cut to 60 characters"): now its reports are read
    back — the same report ids, kept columns and rows as tagging the file tag wrote — and stats counts it alike."""
    tagged, expected = base
    copy = _save(_frame(tagged), tmp_path / SAVED[how], how)
    assert is_tagged_file(copy) and tagged_table(copy) is not None
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(copy), "-o", str(out), "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert "a file tagger tag wrote: its 3 reports read back" in err, err
    assert _jsonl(out) == expected
    if how == "sheet renamed":
        assert "read the sheet 'Sheet1' as the tagged table" in err
        assert main(["tag", str(copy), "-o", str(out), "--model", cli_model, "--force"]) == 0
        assert "read the sheet 'Sheet1' as the tagged table" in capsys.readouterr().err  # each run says it
    counted, original = read_tagged(copy), read_tagged(tagged)
    assert counted["paragraph"].tolist() == original["paragraph"].tolist()
    assert counted["effective_labels"].tolist() == original["effective_labels"].tolist()
    assert main(["-q", "stats", str(copy), "-o", str(tmp_path / "s.csv")]) == 0
    assert main(["-q", "stats", str(tagged), "-o", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "s.csv").read_bytes() == (tmp_path / "t.csv").read_bytes()


def test_edits_in_a_copy_saved_again_are_kept_with_keep_edited_labels(base, cli_model, tmp_path, capsys):
    """A labels cell cleared and a review decision typed in a Unicode Text copy: --keep-edited-labels was refused
    ("no input is a file tagger tag wrote") and without it the edits were dropped silently (new reports)."""
    tagged, expected = base
    df = _frame(tagged)
    edited = next(k for k, cell in enumerate(df["labels"]) if cell)
    decided = next(k for k, cell in enumerate(df["labels"]) if k != edited and df.at[k, "kind"] == "body")
    df.at[edited, "labels"] = ""
    df["reviewed_labels"] = ""
    df.at[decided, "reviewed_labels"] = "volunteer_work"
    copy = _save(df, tmp_path / "edited.txt", "Unicode Text")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(copy), "--keep-edited-labels", "-o", str(out), "--model", cli_model]) == 0, \
        capsys.readouterr().err
    rows = {r["paragraph"]: r for r in _jsonl(out)}
    assert len(rows) == len(expected) and {r["report"] for r in rows.values()} == {"r1", "r2", "r3"}
    assert rows[df.at[edited, "paragraph"]]["reviewed_labels"] == []
    assert rows[df.at[edited, "paragraph"]]["reviewed_by"].startswith("edited in")
    assert rows[df.at[decided, "paragraph"]]["reviewed_labels"] == ["volunteer_work"]
    assert all(r["company"] for r in rows.values())  # kept columns kept


def test_a_copy_whose_paragraph_ids_are_not_its_reports_is_refused_by_row(base, cli_model, tmp_path, capsys):
    """The columns are there but a report cell was changed: read as new reports before (without a word); now
    refused, naming the file, the line and the fix, and nothing is written."""
    tagged, _ = base
    df = _frame(tagged)
    df.at[3, "report"] = "r9"
    copy = _save(df, tmp_path / "moved.csv", "index column")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(copy), "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert f"{copy}:5: paragraph id '{df.at[3, 'paragraph']}' is not <report>:<index> of its report 'r9'" in err, err
    assert "put back this row's report id" in err and not out.exists()


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_totals_row_under_the_tagged_rows_is_named_for_what_it_is(base, cli_model, tmp_path, capsys, suffix):
    """A totals row an analyst typed (合计, sums in the score columns): "is this the file tagger tag wrote?" or
    a score error before; now the row, what it looks like and what to do, from stats and tag alike."""
    tagged, _ = base
    df = _frame(tagged)
    total = dict.fromkeys(df.columns, "")
    total.update({"row_type": "paragraph", "report": "合计", **{c: "3.2" for c in df.columns if c.startswith("score_")}})
    df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    copy = tmp_path / f"total.{suffix}"
    if suffix == "csv":
        df.to_csv(copy, index=False)
        at = f"{copy}:{len(df) + 1}"
    else:
        df.to_excel(copy, index=False, sheet_name="paragraphs")
        at = f"{copy}:row {len(df) + 1}"
    said = f"{at}: not a paragraph row: it looks like a totals row typed under the tagged rows (report '合计'"
    out = tmp_path / "s.csv"
    assert main(["stats", str(copy), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert said in err and "delete the row" in err and not out.exists(), err
    assert main(["tag", str(copy), "-o", str(tmp_path / "o.jsonl"), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert said in err and "score_elderly_care '3.2'" in err, err


def test_a_pandas_jsonl_piped_in_is_refused_as_a_tagged_file(base, cli_model, tmp_path, capsys, monkeypatch):
    """is_tagged_head matched tag's own key order and spacing only: a re-serialised file piped to tag - was
    tagged row by row as reports."""
    tagged, _ = base
    copy = _save(_frame(tagged), tmp_path / "pd.jsonl", "pandas JSONL")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(copy.read_bytes()), encoding="utf-8"))
    assert main(["tag", "-", "--input-format", "jsonl", "-o", str(tmp_path / "o.jsonl"), "--model", cli_model]) == 1
    assert "<stdin>: holds a file tagger tag wrote, not reports" in capsys.readouterr().err


def test_a_unicode_text_copy_in_a_folder_is_left_out_not_tagged_as_a_report(base, root, cli_model, tmp_path, capsys):
    """In a folder of .txt reports, the UTF-16 copy of a tagged table was one more report (its lines as paragraphs)."""
    tagged, _ = base
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_text("党员服务队为独居老人检查线路。\n", encoding="utf-8")
    _save(_frame(tagged), folder / "tagged.txt", "Unicode Text")
    assert main(["tag", str(folder), "--format", "jsonl", "--model", cli_model]) == 0
    out, err = capsys.readouterr()
    assert {json.loads(line)["report"] for line in out.splitlines()} == {"a"}
    assert "left out 1 file tagger wrote earlier" in err and "tagged.txt" in err


def test_the_rule_is_the_columns(tmp_path):
    """What is a tagged table and what is not: reports, a table of reports, a workbook without the columns."""
    header = ["", "labels", "text", "paragraph", "report", *[c for c in REQUIRED_COLUMNS if c.startswith("score_")]]
    assert has_tagged_columns(header) and not has_tagged_columns(header[:-1])
    assert is_tagged_head(";".join(header)) and is_tagged_head(json.dumps(dict.fromkeys(header[1:], 0)))
    assert not is_tagged_head("id,report,text") and not is_tagged_head("id\ttext")
    assert is_tagged_head("row_type,report,paragraph,text")  # tag's, its scores deleted: refused, not tagged
    (tmp_path / "b.txt").write_text("row_type,备注\n党员为老人检查线路。\n", encoding="utf-8")
    (tmp_path / "t.csv").write_text("id,text,report\nr1,为老人服务,x\n", encoding="utf-8")
    assert tagged_table(tmp_path / "b.txt") is None and tagged_table(tmp_path / "t.csv") is None
    wb = openpyxl.Workbook()
    wb.active.title = "我的表"  # tag's paragraphs sheet, renamed: the first sheet
    wb.active.append(header)
    wb.create_sheet("notes").append(["id", "text"])
    wb.save(tmp_path / "w.xlsx")
    assert tagged_table(tmp_path / "w.xlsx").sheet == "我的表"
    # diff review: a workbook of reports with last month's tagged rows pasted into another sheet is reports
    wb.move_sheet("notes", offset=-1)
    wb.save(tmp_path / "w.xlsx")
    assert wb.sheetnames[0] == "notes" and tagged_table(tmp_path / "w.xlsx") is None
    wb["notes"].sheet_state = "hidden"  # the first *visible* sheet is the one a workbook's rows are read from
    wb.save(tmp_path / "w.xlsx")
    assert tagged_table(tmp_path / "w.xlsx").sheet == "我的表"


@pytest.fixture(scope="module")
def rows(base):
    """The tagged CSV's header and rows as text cells."""
    tagged, _ = base
    with open(tagged, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    return table[0], table[1:]


def _reports(path):
    back = read_back(path)
    return sorted(back.kept), [(r.report, r.meta, r.paragraphs) for r in back.reports]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(13)), index=st.booleans(), delimiter=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]), suffix=st.sampled_from([".csv", ".txt", ".tsv"]))
def test_column_order_index_delimiter_and_encoding_keep_the_read_back(base, rows, tmp_path, order, index, delimiter,
                                                                      encoding, suffix):
    """Property: any column order, an index column or not, any delimiter the CSV reader sniffs, UTF-8 with or
    without a byte-order mark or UTF-16, named .csv, .txt or .tsv — a tagged table all the same, read back into the
    reports, kept columns, paragraphs and decisions of the file tag wrote."""
    tagged, _ = base
    header, body = rows
    assert len(header) == len(order)
    copy = tmp_path / f"copy{suffix}"
    buf = io.StringIO(newline="")
    out = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    out.writerow([""] * index + [header[k] for k in order])
    out.writerows([str(n)] * index + [row[k] for k in order] for n, row in enumerate(body))
    copy.write_bytes(buf.getvalue().encode(encoding))
    assert is_tagged_file(copy)
    assert _reports(copy) == _reports(tagged)


def test_review_names_a_totals_row_in_its_queue(root, cli_model, tmp_path):
    """tagger review's own reading of a queue CSV met the totals row at its score cell ("score_elderly_care is
    '3.2', expected a score … tag the file again"): it names it as stats and tag do now."""
    from tagger.apps.review import TaggedFile
    from tagger.errors import InputError

    queue = tmp_path / "queue.csv"
    assert main(["-q", "tag", str(root / "examples" / "reports.csv"), *KEEP, "--review", "100%", "-o", str(queue),
                 "--model", cli_model]) == 0
    df = _frame(queue)
    total = dict.fromkeys(df.columns, "")
    total.update({"report": "Total", **{c: "3.2" for c in df.columns if c.startswith("score_")}})
    pd.concat([df, pd.DataFrame([total])], ignore_index=True).to_csv(queue, index=False)
    with pytest.raises(InputError, match=rf"queue\.csv:{len(df) + 2}: not a paragraph row: it looks like a totals row "
                                         r"typed under the tagged rows \(report 'Total'.*delete the row"):
        TaggedFile(queue)


# ------------------------------------------------------------------ the diff review of the rule (each failed before)
def test_a_workbook_of_reports_with_a_tagged_sheet_pasted_in_is_reports(base, cli_model, tmp_path):
    """A workbook of reports whose second sheet held last month's tagged rows was taken for a tagged file: its
    own reports were dropped, exit 0. A workbook's rows are read from its first visible sheet: that sheet decides."""
    tagged, _ = base
    wb = openpyxl.Workbook()
    wb.active.title = "九月报告"
    wb.active.append(["id", "text"])
    wb.active.append(["s1", "九月三日,青年志愿者为社区独居老人免费检修家用电器。"])
    wb.active.append(["s2", "东山供电局为企业开辟办电绿色通道,报装时限压缩至两个工作日。"])
    pasted = wb.create_sheet("上月结果")
    for row in csv.reader(open(tagged, encoding="utf-8-sig")):
        pasted.append(row)
    wb.save(tmp_path / "sept.xlsx")
    out = tmp_path / "sept.jsonl"
    assert main(["-q", "tag", str(tmp_path / "sept.xlsx"), "--id-column", "id", "-o", str(out),
                 "--model", cli_model]) == 0
    assert sorted({r["report"] for r in _jsonl(out)}) == ["s1", "s2"]


@pytest.mark.parametrize("drop", ["labels", "scores"])
def test_a_tagged_file_with_columns_deleted_is_refused_naming_them_not_tagged_as_new_reports(
        base, cli_model, tmp_path, capsys, drop):
    """An analyst deleted the labels column (beside the 0/1 columns) or the scores of a tagged workbook, or trimmed a
    JSONL: tag took it for a table of new reports, one per paragraph (exit 0), while stats refused it."""
    tagged, _ = base
    df = _frame(tagged)
    gone = ["labels"] if drop == "labels" else [c for c in df.columns if c.startswith("score_")]
    df = df.drop(columns=gone)
    df.to_excel(tmp_path / "cut.xlsx", sheet_name="paragraphs", index=False)
    rows = df.to_dict("records")
    (tmp_path / "cut.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    for name in ("cut.xlsx", "cut.jsonl"):
        for argv in (["tag", str(tmp_path / name), "-o", str(tmp_path / "o.jsonl"), "--model", cli_model],
                     ["stats", str(tmp_path / name)]):
            assert main(argv) == 1
            err = capsys.readouterr().err
            assert f"{name}: a tagged file without its column(s) {gone[0]}" in err, err
            assert not (tmp_path / "o.jsonl").exists()
    # piped to tag -: refused as a tagged file too (it was tagged row by row)
    from unittest import mock

    stdin = io.TextIOWrapper(io.BytesIO((tmp_path / "cut.jsonl").read_bytes()), encoding="utf-8")
    with mock.patch.object(sys, "stdin", stdin):
        assert main(["tag", "-", "--input-format", "jsonl", "-o", str(tmp_path / "o.jsonl"), "--model", cli_model]) == 1
    assert "holds a file tagger tag wrote" in capsys.readouterr().err


def test_a_sorted_tagged_jsonl_piped_in_is_refused(cli_model, root, tmp_path, capsys):
    """sort put a summary row first: the stream was tagged as one report of raw JSON lines."""
    summary = tmp_path / "sum.jsonl"
    assert main(["-q", "tag", str(root / "examples" / "reports.csv"), *KEEP, "--summary", "-o", str(summary),
                 "--model", cli_model]) == 0
    lines = sorted(summary.read_text(encoding="utf-8").splitlines(keepends=True))
    assert json.loads(lines[0])["row_type"] in ("corpus", "report")
    assert is_tagged_head(lines[0])
    from unittest import mock

    with mock.patch.object(sys, "stdin", io.TextIOWrapper(io.BytesIO("".join(lines).encode("utf-8")),
                                                          encoding="utf-8")):
        assert main(["tag", "-", "-o", str(tmp_path / "o.jsonl"), "--model", cli_model]) == 1
    assert "holds a file tagger tag wrote" in capsys.readouterr().err


def test_a_report_named_like_a_total_is_a_report(cli_model, tmp_path, capsys):
    """A file 汇总.txt (or Total.txt) gives the report id 汇总: every row of it was refused as a totals row, so the
    file tag wrote could not be counted, re-tagged or reviewed, and the message said to delete real rows."""
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "汇总.txt").write_text("国网某供电公司服务汇总\n全年党员服务队走访敬老院四十次,为孤寡老人检修线路。\n", "utf-8")
    (folder / "Total.txt").write_text("南湖供电局为老旧小区更换老化线路。\n", "utf-8")
    out = tmp_path / "t.csv"
    assert main(["-q", "tag", str(folder), "-o", str(out), "--model", cli_model]) == 0
    assert main(["-q", "stats", str(out), "-o", str(tmp_path / "s.csv")]) == 0
    assert main(["-q", "tag", str(out), "-o", str(tmp_path / "again.jsonl"), "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(tmp_path / "again.jsonl")} == {"汇总", "Total"}
    # a real totals row (no paragraph id, sums in the scores) is still named as one
    with open(out, "a", encoding="utf-8", newline="") as fh:
        fh.write("paragraph,合计,,,,," + ",".join(["3"] * 5) + "\r\n")
    assert main(["stats", str(out)]) == 1
    assert "looks like a totals row" in capsys.readouterr().err


def test_summary_rows_without_row_type_are_named_by_stats_as_by_tag(cli_model, root, tmp_path, capsys):
    """stats read only the counted columns, so a summary row (its row_type column deleted) got "no 'paragraph'
    value … is this the file tagger tag wrote?" while tag named it."""
    summary = tmp_path / "sum.csv"
    assert main(["-q", "tag", str(root / "examples" / "reports.csv"), *KEEP, "--summary", "-o", str(summary),
                 "--model", cli_model]) == 0
    _frame(summary).drop(columns=["row_type"]).to_csv(tmp_path / "norow.csv", index=False)
    for argv in (["stats", str(tmp_path / "norow.csv")],
                 ["tag", str(tmp_path / "norow.csv"), "-o", str(tmp_path / "o.jsonl"), "--model", cli_model]):
        assert main(argv) == 1
        assert "it looks like a summary row tagger tag --summary wrote" in capsys.readouterr().err


def test_a_paragraph_id_not_of_its_report_gives_advice_that_holds(base, cli_model, tmp_path, capsys):
    """The advice "delete the paragraph column" turned an Excel "Unicode Text" copy into one report of its lines."""
    tagged, _ = base
    df = _frame(tagged)
    df.loc[df.index[1], "report"] = "moved"
    _save(df, tmp_path / "moved.txt", "Unicode Text")
    assert main(["tag", str(tmp_path / "moved.txt"), "-o", str(tmp_path / "o.jsonl"), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "put back this row's report id (or its paragraph id)" in err and "delete the paragraph column" not in err


def test_a_copy_of_the_workbook_sheet_keeps_its_0_1_columns_meaning(cli_model, root, tmp_path):
    """The 0/1 columns of a tagged workbook's sheet saved as CSV or "Unicode Text" are the workbook's marks, not kept
    columns (nothing tested it: has_marks could be switched off), and pandas' Parquet index is no kept column."""
    book = tmp_path / "t.xlsx"
    assert main(["-q", "tag", str(root / "examples" / "reports.csv"), *KEEP, "-o", str(book),
                 "--model", cli_model]) == 0
    sheet = pd.read_excel(book, sheet_name="paragraphs", dtype=str, keep_default_na=False)
    assert set(sheet.columns) >= {"elderly_care", "volunteer_work"}
    sheet.to_csv(tmp_path / "copy.csv", index=False)
    sheet.to_csv(tmp_path / "copy.txt", sep="\t", index=False, encoding="utf-16")
    want = tmp_path / "want.jsonl"
    assert main(["-q", "tag", str(book), "-o", str(want), "--model", cli_model]) == 0
    for name in ("copy.csv", "copy.txt"):
        got = tmp_path / f"{name}.jsonl"
        assert main(["-q", "tag", str(tmp_path / name), "-o", str(got), "--model", cli_model]) == 0
        assert [list(r) for r in _jsonl(got)] == [list(r) for r in _jsonl(want)]  # no label column kept
    frame = pd.read_json(want, lines=True, dtype=False).sort_values("report", ascending=False)
    frame.to_parquet(tmp_path / "sorted.parquet")
    assert "__index_level_0__" in __import__("pyarrow.parquet").parquet.read_schema(tmp_path / "sorted.parquet").names
    got = tmp_path / "sorted.jsonl"
    assert main(["-q", "tag", str(tmp_path / "sorted.parquet"), "-o", str(got), "--model", cli_model]) == 0
    assert all("__index_level_0__" not in r for r in _jsonl(got))


def test_copies_without_row_type_and_scores_and_workbooks_of_reports_by_any_sheet_name(base, cli_model, tmp_path,
                                                                                         capsys):
    """Second diff review: a copy with neither row_type nor scores (the workbook's sheet saved as CSV, a jq-trimmed
    JSONL) was tagged as new reports again; a workbook of reports whose sheet is named paragraphs was refused as a
    broken tagged file (in a folder: left out, its reports lost); tagged rows pasted as a second sheet named
    paragraphs still made the workbook's own reports vanish."""
    tagged, _ = base
    df = _frame(tagged)
    df.drop(columns=["row_type", *[c for c in df.columns if c.startswith("score_")]]).to_csv(
        tmp_path / "noscores.csv", index=False)
    with open(tmp_path / "trim.jsonl", "w", encoding="utf-8") as fh:
        for rec in df[["report", "paragraph", "text", "labels"]].to_dict("records"):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    for name in ("noscores.csv", "trim.jsonl"):
        assert main(["tag", str(tmp_path / name), "-o", str(tmp_path / "o.jsonl"), "--model", cli_model]) == 1
        assert f"{name}: a tagged file without its column(s) score_" in capsys.readouterr().err
    reports = [["id", "text"], ["s1", "九月三日,青年志愿者为社区独居老人免费检修家用电器。"],
               ["s2", "东山供电局为企业开辟办电绿色通道,报装时限压缩至两个工作日。"]]
    wb = openpyxl.Workbook()
    wb.active.title = "paragraphs"  # a workbook of reports that happens to call its sheet so
    for row in reports:
        wb.active.append(row)
    wb.save(tmp_path / "named.xlsx")
    wb = openpyxl.Workbook()
    wb.active.title = "九月报告"
    for row in reports:
        wb.active.append(row)
    pasted = wb.create_sheet("paragraphs")  # last month's tagged sheet copied in with its name
    for row in csv.reader(open(tagged, encoding="utf-8-sig")):
        pasted.append(row)
    wb.save(tmp_path / "copied.xlsx")
    for name in ("named.xlsx", "copied.xlsx"):
        out = tmp_path / f"{name}.jsonl"
        assert main(["-q", "tag", str(tmp_path / name), "--id-column", "id", "-o", str(out),
                     "--model", cli_model]) == 0
        assert sorted({r["report"] for r in _jsonl(out)}) == ["s1", "s2"], name
        assert not is_tagged_file(tmp_path / name)


@pytest.mark.parametrize("name,encoding", [("copy.tsv", "utf-8"), ("unicode.txt", "utf-16")])
def test_a_tab_separated_copy_with_a_comma_in_a_column_name_is_a_tagged_file(base, cli_model, tmp_path, capsys,
                                                                             name, encoding):
    """Review: a tagged file saved tab-separated (.tsv, or Excel's 'Unicode Text' .txt) with a column a person added,
    'company, branch', was split at the comma in its header: no tagged file ("cannot read a .tsv file"; the .txt
    tagged as one report of its lines). Its header is read at its tabs: stats counts by that column, and tag reads
    its reports back with the column kept."""
    tagged, expected = base
    df = _frame(tagged)
    df["company, branch"] = df["company"] + ", 城区"
    copy = tmp_path / name
    df.to_csv(copy, sep="\t", index=False, encoding=encoding)
    assert is_tagged_file(copy) and "company, branch" in tagged_table(copy).columns
    assert main(["-q", "stats", str(copy), "--by", "company, branch", "-o", str(tmp_path / "s.csv")]) == 0
    counts = pd.read_csv(tmp_path / "s.csv", dtype=str, encoding="utf-8-sig")
    assert set(counts["company, branch"].dropna()) == {c + ", 城区" for c in df["company"]}
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(copy), "-o", str(out), "--model", cli_model]) == 0
    assert "its 3 reports read back" in capsys.readouterr().err
    assert [{k: v for k, v in r.items() if k != "company, branch"} for r in _jsonl(out)] == expected
    assert {r["company, branch"] for r in _jsonl(out)} == {c + ", 城区" for c in df["company"]}


def test_a_tagged_csv_that_lost_its_paragraph_column_is_still_tags(tmp_path):
    """row_type,report,kind,text,labels,score_* (tag's CSV, its paragraph column deleted) was tagged again as new
    reports, one per paragraph, and read by evaluate --test as a CSV of labels made by hand; a column only tag writes
    beside labels makes it tag's (refused where rows are read, naming the column it lacks). A table of reports with a
    row_type column but no labels, the suggestion CSV and a hand-made report,paragraph,text,labels are not made tag's
    by it."""
    from tagger.data.tagged import tag_written

    scores = [c for c in REQUIRED_COLUMNS if c.startswith("score_")]
    assert is_tagged_head(",".join(["row_type", "report", "kind", "text", "labels", *scores]))
    assert is_tagged_head("text,labels,reviewed_labels")
    assert not tag_written(["row_type", "备注"]) and not tag_written(["id", "text", "labels", *scores, "predicted"])
    assert not tag_written(["report", "paragraph", "text", "labels"])
    assert not tag_written(["id", "report", "text", *scores, "labels", "text_sha"])


@pytest.mark.parametrize("blank", ["\u3000", "\xa0", "\ufeff\u3000", "\f"])
def test_a_tagged_jsonl_with_unicode_white_space_before_its_first_brace_is_tags(base, cli_model, tmp_path,
                                                                               blank):
    """head_columns told a JSON line by str.lstrip and json.loads, not the one white-space rule of every JSON
    reader (load_json): a tagged JSONL with U+3000 before its first { was not tag's file (tag
    --keep-edited-labels: "no input is a file tagger tag wrote", exit 2), though its rows read as JSON."""
    from tagger.data.tagged import head_columns

    _, rows = base
    path = tmp_path / "t.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text(blank + "\n".join(lines) + "\n", encoding="utf-8")
    assert head_columns(blank + lines[0]) == list(rows[0])
    assert tagged_table(path).format == "jsonl" and is_tagged_head(blank + lines[0]) and is_tagged_file(path)
    sorted_first = json.dumps({"row_type": "report", "report": "a", "paragraphs": 3})  # a summary row, sorted
    assert is_tagged_head(blank + sorted_first)
    out = tmp_path / "k.jsonl"
    assert main(["tag", str(path), "--keep-edited-labels", "-o", str(out), "--model", cli_model]) == 0
    assert len(_jsonl(out)) == len(rows)
