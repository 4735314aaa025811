"""Workbooks as tables of reports (``tagger tag``/``suggest`` reading an ``.xlsx``, tagger.apps.batch) and
kept values written back to an ``.xlsx`` output: hidden sheets, unsaved formulas and merged cells in kept
columns, a header that is not where it is read, date cells."""

import contextlib
import datetime
import json
import sqlite3
import zipfile

import openpyxl
import pandas as pd

from tagger.apps.batch import Record, iter_records
from tagger.apps.cli import main

from helpers import shared_strings_book

ELDERLY = "党员志愿者走进敬老院,为孤寡老人义务检查线路。"
FAST = "供电公司开辟绿色通道,仅用7天为园区企业完成报装接电。"


def _jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _book(path, sheets, hidden=(), merged=()):
    """A workbook at ``path`` of ``sheets`` ({title: rows}, in order); ``hidden`` sheet titles;
    ``merged``: (title, range) pairs."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    for title, ref in merged:
        wb[title].merge_cells(ref)
    wb.save(path)
    return path


def test_the_first_visible_sheet_is_read_and_hidden_ones_before_it_are_named(cli_model, tmp_path, capsys):
    """Bad-input test: a workbook whose first sheet is hidden (an old draft) was read from that sheet, and
    the visible one Excel opens on was ignored, without a word. The first visible sheet is read, a warning
    names the hidden one(s) passed over, and an unsaved formula is looked for in the sheet read (not the
    hidden one)."""
    book = _book(tmp_path / "hidden.xlsx", {
        "old": [["id", "text"], ["old1", "旧的草稿,不要统计。"], ["old2", FAST]],
        "older": [["id", "text"], ["old3", "更旧的草稿。"]],
        "new": [["id", "text"], ["r1", ELDERLY], ["r2", '=CONCAT("党员服务队", "为老人检查线路。")']],
        "notes": [["说明"]]}, hidden=("old", "older"))
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(book), "--id-column", "id", "-o", str(out), "--on-error", "skip", "--model",
                 cli_model]) == 3
    err = capsys.readouterr().err
    assert [r["report"] for r in _jsonl(out)] == ["r1"]
    assert f"{book}: sheets 'old', 'older' are hidden: read sheet 'new', the first visible one" in err
    assert f"{book}:row 3: 'text' holds a formula whose value was never saved (=CONCAT(" in err
    # suggest reads tables of reports through the same reader
    records = list(iter_records([str(book)], id_column="id"))
    assert [r.report for r in records if isinstance(r, Record)] == ["r1"]


def test_a_workbook_whose_every_sheet_is_hidden_is_read_from_its_first_with_a_warning(cli_model, tmp_path,
                                                                                      capsys):
    """A workbook whose every sheet is hidden (a script can write one; Excel cannot): its first sheet is
    read, and the warning says so."""
    made = _book(tmp_path / "made.xlsx", {"only": [["id", "text"], ["r1", ELDERLY]]})
    book = tmp_path / "all_hidden.xlsx"
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(book, "w") as dest:  # openpyxl refuses to save it
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b'state="visible"', b'state="hidden"')
            dest.writestr(info, data)
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(book), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert f"{book}: sheet 'only' is hidden, and no sheet is visible: read sheet 'only'" in err
    assert [r["report"] for r in _jsonl(out)] == ["r1"]


def test_a_workbook_of_chart_sheets_only_is_named(tmp_path):
    """A workbook without a worksheet (chart sheets only) was an IndexError: it is a bad input saying so."""
    from openpyxl.chart import BarChart

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    wb.create_chartsheet("chart").add_chart(BarChart())
    wb.save(tmp_path / "charts.xlsx")
    [bad] = iter_records([str(tmp_path / "charts.xlsx")])
    assert bad.reason == ("the workbook has no worksheet (only charts); save the table of reports in a "
                          "worksheet, or as .csv")


def test_kept_cells_with_unsaved_formulas_are_errors_and_merged_kept_cells_fill_their_rows(cli_model,
                                                                                          tmp_path, capsys):
    """Bad-input test: with --keep-columns, a kept cell holding a formula a script wrote (no value saved)
    became an empty value, while the same cell as text or id is an error; a company merged over three rows
    was kept for the first row only, the others silently empty ((missing) in stats --by company). The
    formula is an error naming the row and column; each row of a merged range gets its value, as Excel
    shows it, with a note naming the range."""
    book = _book(tmp_path / "keep.xlsx", {"Sheet": [
        ["id", "text", "company", "date"],
        ["r1", ELDERLY, '=UPPER("acme")', "2024-01-01"],
        ["r2", ELDERLY, "A公司", "2024-01-02"],
        ["r3", FAST, None, "2024-01-03"],
        ["r4", FAST, None, None],
        ["r5", FAST, "B公司", "2024-01-05"],
        ["r6", FAST, None, None]]}, merged=[("Sheet", "C3:C5"), ("Sheet", "C6:C7"), ("Sheet", "D4:D5")])
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(book), "--id-column", "id", "--keep-columns", "company", "date", "-o", str(out),
                 "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert (f"{book}:row 2: 'company' holds a formula whose value was never saved (=UPPER(\"acme\")): open "
            "the workbook in Excel or LibreOffice and save it") in err and not out.exists()
    assert main(["tag", str(book), "--id-column", "id", "--keep-columns", "company", "date", "-o", str(out),
                 "--on-error", "skip", "--model", cli_model]) == 3
    err = capsys.readouterr().err
    rows = {r["report"]: (r["company"], r["date"]) for r in _jsonl(out)}
    assert rows == {"r2": ("A公司", "2024-01-02"), "r3": ("A公司", "2024-01-03"),
                    "r4": ("A公司", "2024-01-03"), "r5": ("B公司", "2024-01-05"), "r6": ("B公司", None)}
    assert (f"{book}: merged cells in the kept column(s) 'company', 'date' (C3:C5, C6:C7, D4:D5): each row "
            "of a merged range gets its value, as Excel shows it") in err


def test_an_empty_text_or_id_cell_inside_a_merged_range_says_so(cli_model, tmp_path, capsys):
    """Bad-input test: a text cell merged over two rows made the second row "'text' is empty, expected
    text", which does not say why. The error names the merged range and what to do (a text or id is not
    copied into the other rows: one report's text twice, or two reports with one id, would be wrong)."""
    book = _book(tmp_path / "merged_text.xlsx", {"Sheet": [
        ["id", "text"], ["r1", ELDERLY], ["r2", None], ["r3", FAST], [None, FAST]]},
        merged=[("Sheet", "B2:B3"), ("Sheet", "A4:A5")])
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(book), "--id-column", "id", "-o", str(out), "--on-error", "skip", "--model",
                 cli_model]) == 3
    err = capsys.readouterr().err
    for row, col, ref in ((3, "text", "B2:B3"), (5, "id", "A4:A5")):
        assert (f"{book}:row {row}: {col!r} is empty: a merged cell ({ref}) shows one value over several "
                "rows: unmerge it and fill each row") in err
    assert [r["report"] for r in _jsonl(out)] == ["r1", "r3"]


def test_suggest_says_why_an_empty_text_cell_inside_a_merged_range_is_left_out(cli_model, project, tmp_path,
                                                                               capsys):
    """User test: tagger suggest on a workbook whose text cell is merged over two rows said the second row was
    "left out: its 'text' cell is empty", while tagger tag names the merged range and what to do. Both say the
    same (the reader's reason)."""
    book = _book(tmp_path / "merged_text.xlsx", {"Sheet": [
        ["id", "text"], ["r1", ELDERLY], ["r2", None], ["r3", FAST]]}, merged=[("Sheet", "B2:B3")])
    why = "'text' is empty: a merged cell (B2:B3) shows one value over several rows: unmerge it and fill each row"
    assert main(["tag", str(book), "--id-column", "id", "-o", str(tmp_path / "out.jsonl"), "--on-error", "skip",
                 "--model", cli_model]) == 3
    assert f"skipped {book}:row 3: {why}" in capsys.readouterr().err
    out = tmp_path / "to_label.csv"
    assert main(["suggest", str(book), "--id-column", "id", "--root", str(project), "--model", cli_model, "-o",
                 str(out)]) == 0
    err = capsys.readouterr().err
    assert f"{book}:row 3: left out: {why}" in err, err
    assert "cell is empty" not in err, err


READ_WHERE = "tagger reads the column names from the first row of the first visible sheet"


def test_a_header_below_a_title_row_or_on_another_sheet_is_found_and_said(cli_model, tmp_path, capsys):
    """User test: a workbook with a title row above its header, or its table on its second sheet, got "no
    column 'text'; the columns of sheet 'Sheet' are ['2024-2025年为民服务稿件汇总表', '', '', ''] (use
    --text-column/--id-column)": no option helps. The message says where the header is read, lists the
    sheets, and names the row or sheet that holds the column asked for and what to do."""
    title = _book(tmp_path / "title_row.xlsx", {
        "Sheet": [["2024-2025年为民服务稿件汇总表", None, None], ["company", "date", "正文"],
                  ["城东供电公司", None, ELDERLY]],
        "说明": [["本表由办公室整理"]]}, merged=[("Sheet", "A1:C1")])
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(title), "--text-column", "正文", "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert (f"{title}: no column '正文' in the header of sheet 'Sheet': {READ_WHERE}; the columns there are "
            "['2024-2025年为民服务稿件汇总表', '', '']; row 2 of sheet 'Sheet' holds the column '正文': delete the "
            "rows above it (the workbook's sheets: 'Sheet', '说明')") in err and not out.exists()
    second = _book(tmp_path / "second_sheet.xlsx", {
        "说明": [["本表由办公室整理"]], "数据": [["company", "正文"], ["城东供电公司", ELDERLY]]})
    assert main(["tag", str(second), "--text-column", "正文", "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert (f"{second}: no column '正文' in the header of sheet '说明': {READ_WHERE}; the columns there are "
            "['本表由办公室整理']; sheet '数据' has the column '正文': move it first, or save it as .csv (the "
            "workbook's sheets: '说明', '数据')") in err
    # kept columns are looked for the same way; nowhere to be found, the message still says where it looked
    nowhere = _book(tmp_path / "nowhere.xlsx", {"Sheet": [["id", "text"], ["r1", ELDERLY]]})
    assert main(["tag", str(nowhere), "--keep-columns", "单位", "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert (f"{nowhere}: no column '单位' to keep in the header of sheet 'Sheet': {READ_WHERE}; the columns "
            "there are ['id', 'text'] (fix --keep-columns; the workbook's sheets: 'Sheet')") in err
    # an empty first sheet, the table on the next one
    empty = _book(tmp_path / "empty_first.xlsx", {"Sheet": [], "second": [["text"], [ELDERLY]]})
    assert main(["tag", str(empty), "-o", str(out), "--model", cli_model]) == 1
    assert (f"{empty}: sheet 'Sheet', the first visible one, is empty: tagger reads the column names from "
            "its first row; sheet 'second' has the column 'text': move it first, or save it as .csv (the "
            "workbook's sheets: 'Sheet', 'second')") in capsys.readouterr().err


def test_kept_date_cells_are_date_cells_in_an_xlsx_output(cli_model, tmp_path):
    """User test: a date cell kept with --keep-columns came back in the .xlsx output (paragraphs and summary
    sheets) as the text '2024-09-12', so Excel's date filters and pivots did not see a date. A kept value
    read from a date cell is a date cell again there (yyyy-mm-dd; with its time of day, yyyy-mm-dd
    hh:mm:ss); JSONL keeps ISO text, and a date typed as text (a CSV cell) stays text."""
    book = _book(tmp_path / "reports.xlsx", {"Sheet": [
        ["id", "text", "date", "at", "note"],
        ["R1", ELDERLY, datetime.datetime(2024, 9, 12), datetime.datetime(2024, 9, 12, 9, 30),
         "2024-09-12"]]})
    out = tmp_path / "tagged.xlsx"
    assert main(["-q", "tag", str(book), "--id-column", "id", "--keep-columns", "date", "at", "note",
                 "--model", cli_model, "-o", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    for sheet in ("paragraphs", "summary"):
        ws = wb[sheet]
        cells = {h.value: c for h, c in zip(ws[1], ws[2])}
        assert cells["date"].value == datetime.datetime(2024, 9, 12), sheet
        assert cells["date"].is_date and cells["date"].number_format == "yyyy-mm-dd", sheet
        assert cells["at"].value == datetime.datetime(2024, 9, 12, 9, 30), sheet
        assert cells["at"].number_format == "yyyy-mm-dd hh:mm:ss", sheet
        assert (cells["note"].value, cells["note"].data_type) == ("2024-09-12", "s"), sheet
    jsonl = tmp_path / "tagged.jsonl"
    assert main(["-q", "tag", str(book), "--id-column", "id", "--keep-columns", "date", "at", "--model",
                 cli_model, "-o", str(jsonl)]) == 0
    assert {(r["date"], r["at"]) for r in _jsonl(jsonl)} == {("2024-09-12", "2024-09-12T09:30:00")}
    csv_in = tmp_path / "reports.csv"
    csv_in.write_text(f'id,text,date\nR1,"{ELDERLY}",2024-09-12\n', encoding="utf-8")
    typed = tmp_path / "typed.xlsx"
    assert main(["-q", "tag", str(csv_in), "--id-column", "id", "--keep-columns", "date", "--model",
                 cli_model, "-o", str(typed)]) == 0
    cell = openpyxl.load_workbook(typed)["paragraphs"]["E2"]
    assert (cell.value, cell.data_type) == ("2024-09-12", "s")
    # a Parquet date is a date too; SQLite keeps ISO text
    pq_in = tmp_path / "reports.parquet"
    pd.DataFrame({"id": ["R1"], "text": [ELDERLY], "date": [datetime.date(2024, 9, 12)]}).to_parquet(pq_in)
    from_pq = tmp_path / "from_parquet.xlsx"
    assert main(["-q", "tag", str(pq_in), "--id-column", "id", "--keep-columns", "date", "--model",
                 cli_model, "-o", str(from_pq)]) == 0
    assert openpyxl.load_workbook(from_pq)["paragraphs"]["E2"].value == datetime.datetime(2024, 9, 12)
    db = tmp_path / "tagged.sqlite"
    assert main(["-q", "tag", str(book), "--id-column", "id", "--keep-columns", "date", "--model", cli_model,
                 "-o", str(db)]) == 0
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT date FROM paragraphs").fetchone() == ("2024-09-12",)
    # read back (stats, review, labels export), a date cell is the ISO text the other formats hold
    stats = tmp_path / "stats.csv"
    assert main(["-q", "stats", str(out), "--by", "month", "--by", "date", "-o", str(stats)]) == 0
    counted = stats.read_text(encoding="utf-8")
    assert ",2024-09,2024-09-12," in counted and "00:00:00" not in counted


def test_a_workbook_whose_sheet_xml_is_damaged_is_a_bad_input(cli_model, tmp_path, capsys):
    """Found while fixing the reader: a workbook whose sheet XML is cut short or garbled (a download broken
    off, a file repaired by hand) ended tag with a ParseError traceback. It is a bad input naming the sheet
    and what to do, whether or not the sheet has merged cells (read by another parse)."""
    damages = {"cut": lambda xml: xml[:-200], "garbled": lambda xml: xml[:2000] + b"<<" + xml[2000:]}
    for merged in ((), [("Sheet", "C2:C3")]):
        rows = [["id", "text", "company"]] + [[f"r{i}", ELDERLY, "A公司"] for i in range(40)]
        made = _book(tmp_path / "made.xlsx", {"Sheet": rows}, merged=merged)
        for how, damage in damages.items():
            book = tmp_path / f"{how}.xlsx"
            with zipfile.ZipFile(made) as src, zipfile.ZipFile(book, "w") as dest:
                for info in src.infolist():
                    data = src.read(info)
                    dest.writestr(info, damage(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
            out = tmp_path / "out.jsonl"
            assert main(["tag", str(book), "--id-column", "id", "--keep-columns", "company", "-o", str(out),
                         "--model", cli_model]) == 1
            err = capsys.readouterr().err
            assert f"error: {book}: sheet 'Sheet' cannot be read (ParseError: " in err, (how, merged)
            assert ("the workbook is damaged: open it in Excel or LibreOffice and save it again, or save the "
                    "sheet as .csv") in err and "Traceback" not in err and not out.exists()


def test_an_empty_kept_cell_beside_a_computed_column_does_not_read_the_sheet_again(tmp_path, monkeypatch):
    """Review: once a sheet held any formula, every empty kept cell read the whole sheet a second time for its
    formulas (60,000 rows: 4.3 s → 11.1 s). Only a column whose cells hold formulas is looked up; an unsaved
    formula in a kept column is still found."""
    import tagger.apps.batch as batch
    from tagger.common.xlsx import scan_sheet

    book = _book(tmp_path / "calc.xlsx", {"Sheet": [
        ["id", "text", "note", "calc"],
        ["r1", ELDERLY, None, "=LEN(B2)"],
        ["r2", FAST, None, "=LEN(B3)"]]})
    wb = openpyxl.load_workbook(book, read_only=True)
    assert scan_sheet(book, wb.worksheets[0]).formula_columns == frozenset({3})
    wb.close()
    opened = []
    real = batch.SheetFormulas
    monkeypatch.setattr(batch, "SheetFormulas", lambda *a: opened.append(a) or real(*a))
    records = list(iter_records([str(book)], id_column="id", keep=["note"]))
    assert [r.report for r in records] == ["r1", "r2"] and opened == []
    records = list(iter_records([str(book)], id_column="id", keep=["calc"]))
    assert opened and "'calc' holds a formula whose value was never saved" in records[0].reason


def test_excels_escapes_in_text_cells_are_decoded_and_a_carriage_return_splits_paragraphs(tmp_path):
    """Review: Excel stores a carriage return in a cell as _x000D_ (a Windows line break pasted from Word or a
    CMS): every paragraph of such a cell ended with the invented text "_x000D_", and a CR-only break glued a heading
    to its story. The escapes are decoded in one pass (_x005F_ escapes the "_" of a literal "_x000D_"), and the
    text splits as the same text read from CSV does."""
    from tagger.text.report import split_report

    book = shared_strings_book(tmp_path / "crlf.xlsx", [
        ["id", "text"], ["r1", f"{ELDERLY}_x000D_\n{FAST}"], ["r2", f"暖心服务_x000D_{ELDERLY}"],
        ["r3", "表格里写着_x005F_x000D_字样,_x005F_与a_b原样保留。"]])
    records = list(iter_records([str(book)], id_column="id"))
    assert [r.text for r in records] == [f"{ELDERLY}\r\n{FAST}", f"暖心服务\r{ELDERLY}", "表格里写着_x000D_字样,_与a_b原样保留。"]
    assert [p.text for p in split_report(records[0].text, "r1")] == [ELDERLY, FAST]
    assert [(p.kind, p.text) for p in split_report(records[1].text, "r2")] == [("heading", "暖心服务"), ("body", ELDERLY)]


def test_a_long_whole_number_kept_in_a_workbook_shows_every_digit(cli_model, tmp_path):
    """A kept 14-digit work-order number was written in the General format, which Excel shows as 2.02405E+13 (and a
    CSV saved from it keeps only that: several reports become one) (review)."""
    import json

    import openpyxl

    from tagger.apps.cli import main

    src = tmp_path / "r.jsonl"
    src.write_text(json.dumps({"id": "r1", "order": 20240501001234, "small": 7, "text": "党员服务队为孤寡老人检查线路。"},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "o.xlsx"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "order", "small", "-o", str(out),
                 "--model", cli_model]) == 0
    ws = openpyxl.load_workbook(out)["paragraphs"]
    header = [c.value for c in ws[1]]
    order, small = ws.cell(2, header.index("order") + 1), ws.cell(2, header.index("small") + 1)
    assert (order.value, order.number_format) == (20240501001234, "0")
    assert (small.value, small.number_format) == (7, "General")


def _builtin_formats(path, codes):
    """Rewrite the workbook at ``path`` so that the cells of each custom number format in ``codes`` ({format code:
    built-in id}) use the built-in id with no ``<numFmt>`` entry, as Excel in a Chinese locale saves its
    ``yyyy"年"m"月"d"日"`` (31)."""
    import re

    with zipfile.ZipFile(path) as zin:
        parts = {item: zin.read(item.filename) for item in zin.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item, data in parts.items():
            if item.filename == "xl/styles.xml":
                styles = data.decode()
                for code, builtin in codes.items():
                    entry = re.search(rf'<numFmt numFmtId="(\d+)" formatCode="{re.escape(code)}"\s*/>', styles)
                    styles = styles.replace(entry.group(0), "").replace(f'numFmtId="{entry.group(1)}"',
                                                                        f'numFmtId="{builtin}"')
                data = styles.encode()
            zout.writestr(item, data)


def test_cells_of_excels_east_asian_builtin_date_formats_are_dates(cli_model, tmp_path, capsys):
    """Review: date cells in Excel's built-in Chinese date formats (numFmtId 27-36, 50-58, no <numFmt> entry: the
    locale knows them; openpyxl does not) were kept as 45291, and stats then refused them. Read as dates (and
    times), in a 1900 and a 1904 workbook, and in a tagged workbook a Chinese Excel saved again."""
    for epoch in ("1900", "1904"):
        wb = openpyxl.Workbook()
        if epoch == "1904":
            from openpyxl.utils.datetime import CALENDAR_MAC_1904

            wb.epoch = CALENDAR_MAC_1904
        ws = wb.active
        ws.append(["id", "text", "date", "month", "at"])
        ws.append(["R1", ELDERLY, datetime.datetime(2023, 12, 31), datetime.datetime(2024, 1, 1),
                   datetime.time(9, 30)])
        ws["C2"].number_format, ws["D2"].number_format, ws["E2"].number_format = "[$-31]yyyy", "[$-57]yyyy", "[$-32]h"
        book = tmp_path / f"cjk{epoch}.xlsx"
        wb.save(book)
        _builtin_formats(book, {"[$-31]yyyy": 31, "[$-57]yyyy": 57, "[$-32]h": 32})
        out = tmp_path / f"tagged{epoch}.jsonl"
        assert main(["-q", "tag", str(book), "--id-column", "id", "--keep-columns", "date", "month", "at",
                     "--model", cli_model, "-o", str(out)]) == 0
        assert {(r["date"], r["month"], r["at"]) for r in _jsonl(out)} == {("2023-12-31", "2024-01-01", "09:30:00")}
    out = tmp_path / "tagged.xlsx"
    assert main(["-q", "tag", str(tmp_path / "cjk1900.xlsx"), "--id-column", "id", "--keep-columns", "date",
                 "--model", cli_model, "-o", str(out)]) == 0
    _builtin_formats(out, {"yyyy-mm-dd": 31})  # the tagged workbook saved again by a Chinese Excel
    capsys.readouterr()
    assert main(["stats", str(out), "--by", "month"]) == 0
    assert "2023-12 " in capsys.readouterr().out
