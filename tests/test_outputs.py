"""What analysts get out of ``tagger tag``: kept input columns, .xlsx in and out, SQLite with a Chinese
full-text index, CSV with a BOM for Excel; and no partial output when something fails."""

import contextlib
import csv
import io
import datetime as dt
import re
import json
import sqlite3
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tagger import LABELS
from tagger.apps.batch import Record, iter_records
from tagger.apps.cli import main
from tagger.common.xlsx import DateText
from tagger.pipeline import tag_frame

REPORTS = [
    {"id": "r1", "company": "国网甲供电公司", "date": "2024-03-05", "staff": 12,
     "text": "为民服务 暖心行动\n党员志愿者走进敬老院,为孤寡老人义务检查线路。\n公司召开党委会议。"},
    {"id": "r2", "company": "南网乙供电局", "date": "2024-04-11", "staff": 7,
     "text": "供电公司开辟绿色通道,仅用7天为园区企业完成报装接电。\n=SUM(A1:A2) 志愿者走进社区开展公益活动。"},
]


def _write_inputs(tmp_path):
    paths = {}
    paths["jsonl"] = tmp_path / "in.jsonl"
    paths["jsonl"].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in REPORTS), encoding="utf-8")
    paths["csv"] = tmp_path / "in.csv"
    pd.DataFrame(REPORTS).to_csv(paths["csv"], index=False)
    paths["parquet"] = tmp_path / "in.parquet"
    pd.DataFrame(REPORTS).to_parquet(paths["parquet"])
    paths["xlsx"] = tmp_path / "in.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(REPORTS[0]))
    for r in REPORTS:
        ws.append(list(r.values()))
    ws.append([None] * 5)  # a blank row at the end, as spreadsheets often have
    wb.save(paths["xlsx"])
    return paths


@pytest.fixture
def inputs(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    return _write_inputs(d)


def _read(path):
    """A tagged output file as a list of paragraph dicts (kept values as text where the format has no types)."""
    suffix = path.suffix
    if suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if suffix == ".csv":
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False).to_dict("records")
    if suffix == ".parquet":
        return pd.read_parquet(path).to_dict("records")
    if suffix == ".xlsx":
        return pd.read_excel(path, sheet_name="paragraphs", dtype=str, keep_default_na=False).to_dict("records")
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    return [dict(r) for r in con.execute("SELECT * FROM paragraphs ORDER BY id")]


@pytest.mark.parametrize("src", ["jsonl", "csv", "parquet", "xlsx"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "xlsx", "sqlite"])
def test_kept_columns_reach_every_paragraph_row(cli_model, inputs, tmp_path, src, fmt):
    out = tmp_path / f"out.{fmt}"
    assert main(["tag", str(inputs[src]), "--id-column", "id", "--keep-columns", "company", "date", "-o", str(out),
                 "--model", cli_model]) == 0
    rows = _read(out)
    assert [r["paragraph"] for r in rows] == ["r1:0", "r1:1", "r1:2", "r2:0", "r2:1"]
    assert [r["company"] for r in rows] == ["国网甲供电公司"] * 3 + ["南网乙供电局"] * 2
    assert [str(r["date"])[:10] for r in rows] == ["2024-03-05"] * 3 + ["2024-04-11"] * 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_kept_numbers_keep_their_type_in_jsonl_and_sqlite(cli_model, inputs, tmp_path):
    for fmt in ("jsonl", "sqlite"):
        out = tmp_path / f"out.{fmt}"
        assert main(["tag", str(inputs["jsonl"]), "--id-column", "id", "--keep-columns", "staff,company",
                     "-o", str(out), "--model", cli_model]) == 0
        assert [r["staff"] for r in _read(out)] == [12, 12, 12, 7, 7]


@pytest.mark.parametrize("big", [2**63, -(2**63) - 1, 10**30])
def test_kept_integers_beyond_64_bits_are_text_in_sqlite(cli_model, tmp_path, big):
    """SQLite integers have 64 bits: a bigger one (JSON allows it) is stored as its digits, not a crash;
    the 64-bit edge stays an integer."""
    src = tmp_path / "in.jsonl"
    src.write_text(f'{{"id": "r1", "text": "党员为孤寡老人义务检查线路。", "n": {big}}}\n'
                   f'{{"id": "r2", "text": "供电所为企业接电。", "n": {2**63 - 1}}}\n', encoding="utf-8")
    out = tmp_path / "out.sqlite"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "n", "--summary", "-o", str(out),
                 "--model", cli_model]) == 0
    assert [r["n"] for r in _read(out)] == [str(big), 2**63 - 1]
    with sqlite3.connect(out) as con:
        assert [r[0] for r in con.execute("SELECT n FROM reports ORDER BY report")] == [str(big), 2**63 - 1]


def test_kept_lists_and_mappings_are_json_text_in_flat_tables(cli_model, tmp_path):
    """A kept column holding a list or an object (JSONL input) becomes JSON text in CSV, xlsx and SQLite
    cells (the same text in each), never Python's repr."""
    src = tmp_path / "in.jsonl"
    tags, meta = ["养老", "志愿"], {"城市": "济南", "n": 2}
    src.write_text(json.dumps({"id": "r1", "text": "党员为孤寡老人义务检查线路。", "tags": tags, "meta": meta},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    expected = [json.dumps(tags, ensure_ascii=False), json.dumps(meta, ensure_ascii=False)]
    for fmt in ("csv", "xlsx", "sqlite"):
        out = tmp_path / f"out.{fmt}"
        assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "tags,meta", "-o", str(out),
                     "--model", cli_model]) == 0
        (row,) = [r for r in _read(out) if r.get("row_type", "paragraph") == "paragraph"]
        assert [row["tags"], row["meta"]] == expected, fmt
        assert json.loads(row["tags"]) == tags and json.loads(row["meta"]) == meta


def test_kept_whole_floats_count_alike_from_a_csv_and_the_other_outputs(cli_model, tmp_path):
    """A kept column of whole numbers with gaps is a float column (pandas, Parquet, JSON from pandas): the CSV output
    wrote ``20240708.0`` and ``2021.0``, and ``tagger stats`` refused its dates grouped by month (a decimal number,
    no date) and counted ``2021.0`` apart from the ``2021`` of the same run's JSONL output; now the CSV holds
    ``20240708`` and ``2021`` (as Excel saves them), and both files give the same counts."""
    src = tmp_path / "in.jsonl"
    rows = [{"id": "r1", "text": "党员志愿者走进敬老院,为孤寡老人义务检查线路。", "date": 20240708.0, "unit": 2021.0,
             "ratio": 1.5},
            {"id": "r2", "text": "供电公司开辟绿色通道,仅用7天为园区企业完成报装接电。", "date": None, "unit": None,
             "ratio": -3.0}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    counts = {}
    for fmt in ("csv", "jsonl"):
        out = tmp_path / f"out.{fmt}"
        assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "date,unit,ratio", "--summary",
                     "-o", str(out), "--model", cli_model]) == 0
        if fmt == "csv":
            tagged = [r for r in _read(out) if r["row_type"] in ("paragraph", "report")]
            assert {(r["date"], r["unit"], r["ratio"]) for r in tagged} == {("20240708", "2021", "1.5"),
                                                                             ("", "", "-3")}
        table = tmp_path / f"stats_{fmt}.csv"
        assert main(["stats", str(out), "--by", "unit", "--by", "month", "-o", str(table)]) == 0
        counts[fmt] = pd.read_csv(table, dtype=str, keep_default_na=False)
    assert counts["csv"].equals(counts["jsonl"])
    assert set(counts["csv"].loc[counts["csv"]["table"] == "groups", "unit"]) == {"2021", "(missing)"}
    assert set(counts["csv"]["month"]) >= {"2024-07"}


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_kept_float_in_a_csv_output_reads_back_as_its_number(value):
    """Every finite kept float is written so that its cell reads back as the same number, and a whole one as the
    digits of its whole number (no ``.0``: what Excel writes, what tagger stats names its group)."""
    from tagger.apps.batch import RowEncoder

    enc = RowEncoder("csv", keep=["n"])
    row = {"report": "r", "paragraph": "r:0", "kind": "body", "text": "t", "labels": [], "n": value,
           **{f"score_{lab}": 0.5 for lab in LABELS}}
    (cell,) = [r["n"] for r in csv.DictReader(io.StringIO(enc.header() + enc.encode([row])))]
    assert float(cell) == value
    if value.is_integer():
        assert cell.lstrip("-").isdigit() and int(cell) == int(value)


def test_keep_columns_with_comma_and_order_of_columns(cli_model, inputs, tmp_path):
    out = tmp_path / "out.csv"
    assert main(["tag", str(inputs["csv"]), "--keep-columns", "date,company", "-o", str(out),
                 "--model", cli_model]) == 0
    header = out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:8] == ["row_type", "report", "paragraph", "kind", "text", "date", "company", "labels"]


def test_csv_file_has_a_bom_and_stdout_has_none(cli_model, inputs, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["tag", str(inputs["csv"]), "-o", str(out), "--model", cli_model]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfrow_type,")
    assert main(["tag", str(inputs["csv"]), "--format", "csv", "--model", cli_model]) == 0
    assert capsys.readouterr().out.startswith("row_type,")


@pytest.mark.parametrize("keep, fmt, message", [
    ("text", "jsonl", "name of an output column"),
    ("labels", "csv", "name of an output column"),
    ("company,company", "jsonl", "given twice"),
    ("Report", "sqlite", "case-insensitive"),
    ("company,Company", "sqlite", "with each other"),  # two kept columns one name in SQLite: was a traceback
    ("Normalized_Text", "sqlite", "case-insensitive"),  # the column SQLite output adds for search
    ("date,Date_Month", "sqlite", "case-insensitive"),  # and the month of a kept date
])
def test_kept_names_that_would_overwrite_output_columns_are_refused(cli_model, inputs, tmp_path, keep, fmt,
                                                                     message, capsys):
    out = tmp_path / f"out.{fmt}"
    rows = [{**r, "Report": "x", "Company": "y", "Normalized_Text": "z", "Date_Month": "m"} for r in REPORTS]
    src = tmp_path / "in2.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["tag", str(src), "--keep-columns", keep, "-o", str(out), "--model", cli_model]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.glob("out*")) == [] and list(tmp_path.glob(".out*")) == []


def test_a_missing_kept_column_names_the_file_and_row(cli_model, inputs, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(inputs["csv"]), "--keep-columns", "region", "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "in.csv" in err and "'region'" in err and "--keep-columns" in err and not out.exists()
    src = tmp_path / "sparse.jsonl"
    src.write_text(json.dumps({"text": REPORTS[0]["text"], "company": "甲"}, ensure_ascii=False) + "\n"
                   + json.dumps({"text": REPORTS[1]["text"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["tag", str(src), "--keep-columns", "company", "-o", str(out), "--model", cli_model]) == 1
    assert "sparse.jsonl:2" in capsys.readouterr().err and not out.exists()
    assert main(["tag", str(src), "--keep-columns", "company", "-o", str(out), "--on-error", "skip",
                 "--model", cli_model]) == 3
    assert {r["company"] for r in _read(out)} == {"甲"}


def test_text_inputs_get_empty_kept_values_with_a_warning(cli_model, tmp_path, capsys):
    src = tmp_path / "a.txt"
    src.write_text(REPORTS[0]["text"], encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "--keep-columns", "company", "-o", str(out), "--model", cli_model]) == 0
    assert {r["company"] for r in _read(out)} == {None}
    assert "has no columns" in capsys.readouterr().err  # what the user reads, whatever logging a test before set up


def test_xlsx_output_sheets(cli_model, inputs, tmp_path):
    out = tmp_path / "out.xlsx"
    assert main(["tag", str(inputs["xlsx"]), "--id-column", "id", "--keep-columns", "company", "-o", str(out),
                 "--model", cli_model, "--evidence"]) == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["paragraphs", "summary", "about"]  # about: the model (test_provenance.py)
    para = pd.read_excel(out, sheet_name="paragraphs")
    assert list(para.columns[:7]) == ["report", "paragraph", "kind", "text", "company", "labels", LABELS[0]]
    assert set(LABELS) <= set(para.columns) and all(f"score_{lab}" in para.columns for lab in LABELS)
    for lab in LABELS:  # the 0/1 columns say what the labels cell says
        assert list(para[lab]) == [int(lab in str(c).split(";")) for c in para["labels"].fillna("")]
    formula = wb["paragraphs"]["D6"]
    assert formula.value.startswith("=SUM(A1:A2)") and formula.data_type == "s"  # text, never a formula
    summary = pd.read_excel(out, sheet_name="summary")
    assert list(summary["row_type"]) == ["report", "report", "corpus"]
    assert summary["n_paragraphs"].tolist() == [3, 2, 5]
    # counts are count_<label> as in every other format's summary rows: the label's own name is the paragraphs
    # sheet's 0/1 column, and a sheet that used it for a count too read as a flag of the report
    assert [c for c in summary.columns if c in LABELS] == []
    for lab in LABELS:
        assert summary[f"count_{lab}"].iloc[2] == para[lab].sum() == summary[f"count_{lab}"].iloc[:2].sum()
    first = out.read_bytes()  # the same input, the same bytes: no clock time in the zip or document dates
    time.sleep(1.1)
    assert main(["tag", str(inputs["xlsx"]), "--id-column", "id", "--keep-columns", "company", "-o", str(out),
                 "--model", cli_model, "--evidence", "--force"]) == 0
    assert out.read_bytes() == first


def test_xlsx_output_reads_as_a_table_a_spreadsheet_can_filter(cli_model, inputs, tmp_path):
    """Opened in LibreOffice, both sheets had every column at the default width (the text column showed five
    Chinese characters, the label headers were cut), the header scrolled away with the rows and no filter was
    set. Now: the header row frozen, columns as wide as their header and values (CJK counted twice; text a
    fixed 60), and an autofilter over each sheet's table."""
    out = tmp_path / "out.xlsx"
    assert main(["tag", str(inputs["xlsx"]), "--id-column", "id", "--keep-columns", "company", "-o", str(out),
                 "--model", cli_model]) == 0
    wb = openpyxl.load_workbook(out)
    for name, rows in (("paragraphs", 6), ("summary", 4)):
        ws = wb[name]
        header = [c.value for c in ws[1]]
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{rows}", name
        assert ws.max_row == rows
        widths = {h: ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i, h in enumerate(header, 1)}
        for h in header:  # every header readable
            assert widths[h] >= len(h), (name, h, widths[h])
        assert widths["company"] >= 2 * len("国网甲供电公司"), name  # Chinese characters take two widths
    text_width = wb["paragraphs"].column_dimensions["D"].width
    assert wb["paragraphs"]["D1"].value == "text" and text_width == 60


def test_xlsx_output_escapes_what_excel_cannot_store_and_cuts_huge_cells(cli_model, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "敬老院\x01里的老人" + "长" * 40_000}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.xlsx"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 0
    text = openpyxl.load_workbook(out)["paragraphs"]["D2"].value  # the XML's text, as openpyxl reads it
    assert text.startswith("敬老院_x0001_里的老人") and len(text) == 32_767
    assert "cut to Excel" in capsys.readouterr().err
    from tagger.common.files import open_workbook

    wb = open_workbook(out)  # as Excel and the readers of tagged files read it
    assert next(wb["paragraphs"].iter_rows(min_row=2, values_only=True))[3].startswith("敬老院\x01里的老人")
    wb.close()


def test_a_tagged_workbook_is_opened_without_reading_its_rows(cli_model, tmp_path, monkeypatch):
    """Opening a workbook tag wrote parsed every one of its sheets whole: openpyxl looks for a sheet's size (its
    <dimension> element, which openpyxl's write-only mode, tag's writer, leaves out) up to the end of its rows. It
    cost about 1 s per opening of 13,000 rows: `tag -o out.xlsx --force` spent 1.3 s reading the old output to look
    for review decisions, and a re-tag of the workbook opened it six times. Now the part before the rows is read;
    a workbook that gives its size (Excel's, openpyxl's) still has it."""
    import zipfile
    from collections import Counter

    from tagger.common.files import open_workbook
    from tagger.data.tagged import review_work

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"r{n}", "text": f"党员志愿者第{n}次走进敬老院，为孤寡老人义务检查线路。\n"
                                       "公司召开党委会议。"}, ensure_ascii=False) + "\n" for n in range(400)),
                   encoding="utf-8")
    out = tmp_path / "out.xlsx"
    assert main(["-q", "tag", str(src), "-o", str(out), "--model", cli_model]) == 0
    read: Counter = Counter()
    real = zipfile.ZipExtFile.read

    def counted(self, n=-1):
        data = real(self, n)
        read[self.name] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counted)
    assert review_work(out) == 0  # what tag --force asks of the file it would replace
    wb = open_workbook(out)
    assert wb["paragraphs"].max_row is None  # no <dimension>: no size, as before
    wb.close()
    with zipfile.ZipFile(out) as z:
        rows = z.getinfo("xl/worksheets/sheet1.xml").file_size
    assert rows > 400_000 and read["xl/worksheets/sheet1.xml"] < 100_000
    sized = tmp_path / "sized.xlsx"
    book = openpyxl.Workbook()
    for n in range(7):
        book.active.append(["report", "text", n])
    book.save(sized)
    wb = open_workbook(sized)
    assert (wb.active.max_row, wb.active.max_column) == (7, 3)
    wb.close()


@pytest.mark.parametrize("text, cut, total", [
    ("𠀀" * 32_000 + "党员为老人检查线路。", True, "64,010"),  # 32,010 characters, 64,010 UTF-16 units: was not cut
    ("\x01" * 20_000 + "党员为老人检查线路。", True, "20,010"),  # the note said 80,010 (the escapes' length)
    ("长" * 32_757 + "𠀀" * 6, True, "32,769"),  # 32,763 characters, 32,769 units
    ("长" * 32_757 + "老" * 10, False, None),
])
def test_excel_cell_limit_counts_utf16_units_and_the_note_the_texts_own_length(text, cut, total):
    """The cut counted Python characters of the escaped text: a text of characters beyond the BMP (two UTF-16 units
    each, as Excel counts its 32,767) was written whole, over Excel's limit, and the note gave the length of the
    escaped text (each control character four) rather than the text's own."""
    import io

    from tagger.common.xlsx import MAX_CELL, excel_length, is_cut, safe_text, text_cell

    cell = safe_text(text)
    assert is_cut(cell) == cut and excel_length(cell) <= MAX_CELL
    if cut:
        assert f"the text has {total} in all" in cell
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append([text_cell(ws, text)])
    buf = io.BytesIO()
    wb.save(buf)
    assert openpyxl.load_workbook(buf)["s"]["A1"].value == cell


@st.composite
def _cell_texts(draw):
    """Texts on either side of Excel's cell limit, with characters it cannot store (escaped to 7 each: _x0001_), a
    literal _xHHHH_ (its _ escaped, _x005F_) and characters it counts two (beyond the BMP)."""
    piece = draw(st.lists(st.characters(blacklist_categories=("Cs",))
                          | st.sampled_from(["\x01", "\ufffe", "老", " ", "\n", "𠀀", "\r", "_x000D_", "_x", "_"]),
                          min_size=1, max_size=12).map("".join))
    size = draw(st.integers(32_500, 33_000) | st.integers(0, 200))
    return (piece * (size // len(piece) + 1))[:size] + draw(st.text(max_size=8))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=_cell_texts())
def test_a_cell_cut_at_excels_limit_says_so_and_a_reader_sees_it(text):
    """A paragraph longer than an Excel cell was cut to its first 32,767 characters with nothing in the file to say
    so: read back, the cut text passed for the paragraph (exported as a labelled paragraph, shown as whole). A cut
    cell now ends with a note, fills the cell exactly, and is recognised (is_cut) after a save and load of the
    workbook; a cell that fits is never taken for a cut one."""
    import io

    from tagger.common.xlsx import MAX_CELL, cut_note, is_cut, safe_text, save_workbook, text_cell

    escape = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")  # as Excel writes it, _xHHHH_
    escaped = escape.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    units = len(escaped.encode("utf-16-le")) // 2  # Excel counts UTF-16 code units
    whole = units <= MAX_CELL
    cell = safe_text(text, "r:0")
    assert len(cell.encode("utf-16-le")) // 2 <= MAX_CELL and is_cut(cell) == (not whole)
    if whole:
        assert cell == escaped
    else:  # cut at a whole character (an escape is 7 units; a literal _xHHHH_ cut loses its _'s 6): the note gives
        note = cut_note(len(text.encode("utf-16-le")) // 2)  # the text's own length
        assert len(cell.encode("utf-16-le")) // 2 > MAX_CELL - 13 and cell.endswith(note)
        from tagger.common.files import excel_unescape

        kept = excel_unescape(cell[:-len(note)])
        assert text.startswith(kept) and cell[:-len(note)] == escape.sub(lambda m: f"_x{ord(m.group()):04X}_", kept)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("paragraphs")
    ws.append([text_cell(ws, text)])
    buf = io.BytesIO()
    save_workbook(wb, buf)
    read = openpyxl.load_workbook(buf)["paragraphs"]["A1"].value or ""
    assert is_cut(read) == (not whole) and is_cut(read + " \r\n") == (not whole)  # a spreadsheet's CSV: a line end


def test_xlsx_output_escapes_noncharacters_and_lone_surrogates(cli_model, tmp_path):
    """U+FFFE, U+FFFF (and lone surrogates) are not allowed in XML: the workbook was written corrupt
    (exit 0) and could not be read back."""
    from tagger.common.xlsx import safe_text

    assert safe_text("a\ufffeb\uffffc\ud800d") == "a_xFFFE_b_xFFFF_c_xD800_d"
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "r1", "company": "A\\uffffB", "text": "为老旧小区改造\\ufffe一户一表。"}\n', encoding="utf-8")
    out = tmp_path / "out.xlsx"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "company", "-o", str(out),
                 "--model", cli_model]) == 0
    sheet = openpyxl.load_workbook(out)["paragraphs"]  # as Excel writes them, and reads them back (open_workbook)
    assert [c.value for c in sheet[2]][:5] == ["r1", "r1:0", "body", "为老旧小区改造_xFFFE_一户一表。", "A_xFFFF_B"]
    from tagger.common.files import open_workbook

    wb = open_workbook(out)
    assert next(wb["paragraphs"].iter_rows(min_row=2, values_only=True))[:5] == (
        "r1", "r1:0", "body", "为老旧小区改造\ufffe一户一表。", "A\uffffB")
    wb.close()


_XLSX_TEXT = st.lists(st.characters(blacklist_categories=("Cs",)) | st.sampled_from(
    ["\x00", "\x01", "\x1f", "\x0b", "\r", "\n", "\t", "\r\n", "_", "x", "_x0041_", "_x000D_", "_x005F_", "_x00ab_",
     "_xD83D_", "_x", "A", "0", "\ufffe", "\uffff", "𠀀", " ", "老"]), min_size=1, max_size=20).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_XLSX_TEXT, min_size=1, max_size=6))
@example(texts=["_x0041_ 与 _x005F_x000D_"]).via("a literal escape")
@example(texts=["a\rb\r\nc"]).via("a carriage return")
@example(texts=["a\x01b\x1f"]).via("control characters")
def test_any_text_written_to_an_xlsx_cell_reads_back_as_it_was(tmp_path, texts):
    """Control characters were written as the literal text \\x01 (read back so), a carriage return read back as a
    line feed (XML normalises it), and a literal _xHHHH_ in report text was read as an escape once Excel saved the
    workbook (its text then in the shared strings): each is written as Excel writes it (_x0001_, _x000D_, the _ of
    a literal _xHHHH_ as _x005F_), and any text reads back as it was, from the workbook as written (inline
    strings), as Excel saves it again (shared strings) and from its about sheet."""
    from helpers import shared_strings_book
    from tagger.common.files import open_workbook
    from tagger.common.xlsx import (TEXT_ESCAPES, read_about_sheet, safe_text, save_workbook, text_cell,
                                    write_about_sheet)

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("paragraphs")
    for text in texts:
        ws.append([text_cell(ws, text)])
    write_about_sheet(wb, [(f"k{i}", text) for i, text in enumerate(texts)])
    path = tmp_path / f"{len(list(tmp_path.iterdir()))}.xlsx"
    with open(path, "wb") as fh:
        save_workbook(wb, fh)
    book = open_workbook(path)
    try:
        assert [row[0] for row in book["paragraphs"].iter_rows(values_only=True)] == texts
        assert [row[0].value for row in book["paragraphs"].iter_rows()] == texts
    finally:
        book.close()
    assert read_about_sheet(path) == [*((f"k{i}", text) for i, text in enumerate(texts)), TEXT_ESCAPES]
    again = shared_strings_book(tmp_path / f"again{len(list(tmp_path.iterdir()))}.xlsx",
                                 [[safe_text(f"k{i}"), safe_text(text)] for i, text in enumerate(texts)])
    book = open_workbook(again)  # as Excel saves it: every text in the shared strings, its escapes as written
    try:
        assert [row[1] for row in book.worksheets[0].iter_rows(values_only=True)] == texts
    finally:
        book.close()


def test_a_literal_escape_and_a_carriage_return_keep_their_text_through_an_xlsx(cli_model, tmp_path):
    """tag -o x.xlsx and the readers of tagged files: a paragraph holding \\r, a control character and a literal
    _x000D_ reads back whole (stats, review and labels export read the text as it was tagged)."""
    from tagger.data.tagged import read_tagged

    text = "党员服务队_x000D_为孤寡老人\x01检查线路\r后续跟进。"
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "r1", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    for name in ("out.jsonl", "out.xlsx"):
        assert main(["-q", "tag", str(src), "--id-column", "id", "-o", str(tmp_path / name), "--model", cli_model]) == 0
    want = read_tagged(tmp_path / "out.jsonl")["text"].tolist()
    assert read_tagged(tmp_path / "out.xlsx")["text"].tolist() == want and "_x000D_" in "".join(want)


def test_an_earlier_taggers_workbook_reads_back_its_literal_escapes_as_written(cli_model, tmp_path):
    """A workbook an earlier tagger wrote holds a literal _x0041_ in its inline strings as that text (no _x005F_):
    once inline strings were decoded, such a paragraph read back as "...服务A。" (silently; its review decision's
    reviewed_sha no longer matched, the decision was set aside). Only a workbook whose about sheet says its text is
    escaped (as tag writes it now) has its inline strings decoded; an old one reads as before. Built here as the
    earlier writer wrote it: openpyxl's inline strings, the text as it was, an about sheet without that row."""
    from tagger.common.xlsx import TEXT_ESCAPES
    from tagger.data.examples import text_sha
    from tagger.data.tagged import read_tagged

    literal = "社区为独居老人上门服务_x0041_。"
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "r1", "text": f"{literal}\n党员志愿者帮助检查线路_x000D_完毕。"},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    new = tmp_path / "new.xlsx"
    assert main(["-q", "tag", str(src), "--id-column", "id", "-o", str(new), "--model", cli_model]) == 0
    want = read_tagged(new)["text"].tolist()
    assert want[0] == literal

    written = openpyxl.load_workbook(new)  # openpyxl leaves inline strings as they are stored
    old = openpyxl.Workbook(write_only=True)
    for sheet in written:
        ws = old.create_sheet(sheet.title)
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        if sheet.title == "about":
            rows = [row for row in rows if tuple(row) != TEXT_ESCAPES]
        elif sheet.title == "paragraphs":  # reviewed in the earlier tagger: a decision on the text as it was
            rows[0] += ["reviewed_labels", "reviewed_by", "reviewed_at", "reviewed_sha"]
            rows[1] += ["volunteer_work", "ana", "2026-01-02T03:04:05+00:00", text_sha(literal)]
            rows[2] += [None] * 4
        for row in rows:  # the text unescaped, as the earlier writer stored it
            ws.append([v.replace("_x005F_x", "_x") if isinstance(v, str) else v for v in row])
    old.save(tmp_path / "old.xlsx")
    back = read_tagged(tmp_path / "old.xlsx")
    assert back["text"].tolist() == want
    assert list(back["effective_labels"].iloc[0]) == ["volunteer_work"]  # the decision stands: made on this text


def test_bad_xlsx_inputs_are_named_errors(cli_model, tmp_path, capsys):
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a zip at all")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(fake), "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "fake.xlsx" in err and "not a readable .xlsx" in err and "Traceback" not in err
    wb = openpyxl.Workbook()
    wb.active.append(["body"])
    wb.active.append([123])
    wb.save(tmp_path / "nums.xlsx")
    assert main(["tag", str(tmp_path / "nums.xlsx"), "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err  # the file named once (review F: "x.xlsx: x.xlsx (sheet 'Sheet'): …")
    assert (f"error: {tmp_path / 'nums.xlsx'}: no column 'text' in the header of sheet 'Sheet': tagger "
            "reads the column names from the first row of the first visible sheet; the columns there are "
            "['body']") in err
    assert not out.exists()


def test_sqlite_full_text_search_on_chinese(cli_model, inputs, tmp_path):
    out = tmp_path / "out.sqlite"
    assert main(["tag", str(inputs["csv"]), "--id-column", "id", "--keep-columns", "company", "date",
                 "-o", str(out), "--model", cli_model, "--evidence"]) == 0
    con = sqlite3.connect(out)
    hits = con.execute("SELECT p.paragraph, p.company FROM paragraphs_fts JOIN paragraphs p ON p.id = "
                       "paragraphs_fts.rowid WHERE paragraphs_fts MATCH ? ORDER BY p.id", ["敬老院"]).fetchall()
    assert hits == [("r1:1", "国网甲供电公司")]
    assert con.execute("SELECT count(*) FROM paragraphs WHERE text LIKE '%老人%'").fetchone() == (1,)
    labelled = con.execute("SELECT p.paragraph, group_concat(l.label, ';') FROM paragraph_labels l JOIN "
                           "paragraphs p ON p.id = l.paragraph_id GROUP BY p.id ORDER BY p.id").fetchall()
    cells = con.execute("SELECT paragraph, labels FROM paragraphs WHERE labels != '' ORDER BY id").fetchall()
    assert labelled == cells and ("r1:1", "elderly_care;volunteer_work") in cells
    reports = con.execute("SELECT report, company, n_paragraphs, count_volunteer_work FROM reports").fetchall()
    assert [r[:3] for r in reports] == [("r1", "国网甲供电公司", 3), ("r2", "南网乙供电局", 2)]
    assert reports[0][3] + reports[1][3] == con.execute(
        "SELECT count(*) FROM paragraph_labels WHERE label = 'volunteer_work'").fetchone()[0]
    ev = json.loads(con.execute("SELECT evidence FROM paragraphs WHERE paragraph = 'r1:1'").fetchone()[0])
    assert "敬老院" in ev["elderly_care"]
    meta = dict(con.execute("SELECT key, value FROM tagger_meta"))
    assert json.loads(meta["kept_columns"]) == ["company", "date"]


def test_sqlite_output_is_all_or_nothing(cli_model, inputs, tmp_path, capsys):
    src = tmp_path / "bad.jsonl"
    src.write_text(json.dumps({"text": REPORTS[0]["text"]}, ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    out = tmp_path / "out.sqlite"
    out.write_bytes(b"previous")
    assert main(["tag", str(src), "-o", str(out), "--force", "--model", cli_model]) == 1
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert main(["tag", str(inputs["csv"]), "-o", "/dev/null", "--format", "sqlite", "--model", cli_model]) == 1
    assert "needs a regular file" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["xlsx", "sqlite"])
def test_summary_rows_are_written_as_reports_finish_not_kept_to_the_end(tmp_path, fmt):
    """The .xlsx summary sheet and the .sqlite reports table were built from one row per report kept in memory until
    the file was closed (~1.4 KB a report: 70 MB for 50,000 reports, measured with /usr/bin/time), though memory is
    to stay flat however many reports are tagged. Python's own allocations (tracemalloc: bytes, not time) now stay
    flat while reports go on being written (2.9 MB more for these 3,000 reports before, 0.4 MB now: the ids counted
    for the corpus total), and the file still holds every report's row, after the paragraphs sheet in a workbook."""
    import tracemalloc

    from tagger.apps.batch import open_writer

    def chunk(start):
        return [{"report": f"r{k}", "paragraph": f"r{k}:0", "kind": "body", "text": "党员走进敬老院为老人检查线路。",
                 "company": f"国网第{k}号供电公司城东客户服务中心", "labels": ["elderly_care"],
                 **{f"score_{lab}": 0.5 for lab in LABELS}} for k in range(start, start + 500)]

    out = tmp_path / f"out.{fmt}"
    tracemalloc.start()
    try:
        with open_writer(fmt, str(out), keep=["company"]) as writer:
            writer.write(chunk(0))  # caches and the first rows' buffers: not what grows with the reports
            before = tracemalloc.get_traced_memory()[0]
            for start in range(500, 3500, 500):
                writer.write(chunk(start))
            grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 1_000_000  # the report ids counted for the corpus total: ~130 bytes a report
    if fmt == "sqlite":
        with sqlite3.connect(out) as con:
            rows = con.execute("SELECT report, company, n_paragraphs, count_elderly_care FROM reports").fetchall()
    else:
        wb = openpyxl.load_workbook(out, read_only=True)
        assert wb.sheetnames == ["paragraphs", "summary", "about"]
        table = list(wb["summary"].iter_rows(values_only=True))
        wb.close()
        assert table[0][:4] == ("row_type", "report", "company", "n_paragraphs")
        assert table[-1][:2] == ("corpus", "(all)") and table[-1][3] == 3500 and table[-1][-2:] == (3500, 0)
        rows = [(r[1], r[2], r[3], r[4]) for r in table[1:-1]]
    assert rows == [(f"r{k}", f"国网第{k}号供电公司城东客户服务中心", 1, 1) for k in range(3500)]


@pytest.mark.parametrize("fmt", ["xlsx", "sqlite", "parquet"])
def test_binary_formats_need_a_file(cli_model, inputs, fmt, capsys):
    assert main(["tag", str(inputs["csv"]), "--format", fmt, "--model", cli_model]) == 2
    assert f"--format {fmt} needs --output" in capsys.readouterr().err


def test_tag_frame_keeps_columns_with_their_dtype(seed_model):
    df = pd.DataFrame(REPORTS)
    df["date"] = pd.to_datetime(df["date"])
    out = tag_frame(seed_model, df, id_column="id", keep=["company", "date"])
    assert list(out.columns[:7]) == ["report", "paragraph", "kind", "text", "company", "date", "labels"]
    assert out["date"].dtype == df["date"].dtype and out["company"].tolist() == ["国网甲供电公司"] * 3 + ["南网乙供电局"] * 2
    with pytest.raises(ValueError, match="output column"):
        tag_frame(seed_model, df, keep=["text"])
    with pytest.raises(KeyError, match="region"):
        tag_frame(seed_model, df, keep=["region"])


def test_dates_from_typed_inputs_become_iso_text(tmp_path):
    df = pd.DataFrame({"text": ["敬老院的老人"], "when": pd.to_datetime(["2024-05-06 07:08"]), "n": [float("nan")]})
    df.to_parquet(tmp_path / "t.parquet")
    (rec,) = iter_records([str(tmp_path / "t.parquet")], keep=["when", "n"])
    assert isinstance(rec, Record) and rec.meta == {"when": "2024-05-06T07:08:00", "n": None}


_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(company=_text, body=_text)
def test_any_text_survives_sqlite_and_xlsx(cli_model, tmp_path_factory, company, body):
    tmp = tmp_path_factory.mktemp("h")
    src = tmp / "in.jsonl"
    text = "党员志愿者走进敬老院,为孤寡老人义务检查线路。" + body.replace("\n", " ").replace("\r", " ")
    src.write_text(json.dumps({"text": text, "company": company}, ensure_ascii=False) + "\n", encoding="utf-8")
    for fmt in ("sqlite", "xlsx", "csv"):
        out = tmp / f"out.{fmt}"
        code = main(["tag", str(src), "--keep-columns", "company", "-o", str(out), "--model", cli_model, "-q"])
        if code != 0:  # only when the text has no paragraph left (all page chrome / blank)
            assert not out.exists()
            continue
        rows = _read(out)
        company = company.replace("\x00", "\ufffd")  # a NUL never reaches an output (test_batch: with a warning)
        if fmt == "sqlite":
            assert {r["company"] for r in rows} == {company}
        elif fmt == "csv":
            from tagger.common.cells import guard_cell, unguard_cell

            with open(out, encoding="utf-8-sig", newline="") as fh:
                cells = {r["company"] for r in csv.DictReader(fh)}
            assert cells == {guard_cell(company)}  # a spreadsheet never runs it as a formula
            assert {unguard_cell(c) for c in cells} == {company}  # and our readers get it back
        else:
            got = {r["company"] for r in rows}
            assert len(got) == 1 and "\x00" not in next(iter(got))


def test_the_readme_sqlite_queries_work(cli_model, inputs, tmp_path, root):
    import re

    readme = (root / "README.md").read_text(encoding="utf-8")
    queries = re.findall(r'sqlite3 tagged\.sqlite "([^"]+)"', readme)
    assert len(queries) >= 2
    out = tmp_path / "tagged.sqlite"
    assert main(["tag", str(inputs["csv"]), "--id-column", "id", "--keep-columns", "company", "date",
                 "-o", str(out), "--model", cli_model]) == 0
    con = sqlite3.connect(out)
    results = [con.execute(q).fetchall() for q in queries]
    assert results[0] == [("国网甲供电公司", "r1:1", "elderly_care;volunteer_work")]
    # a two-character word: the trigram index finds nothing, LIKE finds it (user test)
    assert con.execute("SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH '老人'").fetchone() == (0,)
    assert results[1] == []  # no 独居 here: the next test has it, in both scripts
    assert con.execute(queries[1].replace("独居", "老人")).fetchall() == [("国网甲供电公司", "r1:1",
                                                                          "elderly_care;volunteer_work")]
    assert ("国网甲供电公司", "elderly_care", 1) in results[2]


def test_the_readme_searches_find_simplified_and_traditional_script(cli_model, tmp_path, root):
    """User test: MATCH '独居老人' found the simplified reports but not a traditional report's 獨居老人 (nor LIKE
    '%独居%'), though the model reads both. The FTS index holds the normalised text (simplified, NFKC) beside the
    text as written, and the README's queries, written in simplified Chinese, find both scripts."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    queries = re.findall(r'sqlite3 tagged\.sqlite "([^"]+)"', readme)
    match = [q for q in queries if "MATCH '独居老人'" in q]
    like = [q for q in queries if "LIKE '%独居%'" in q]
    assert match and like
    src = tmp_path / "in.csv"
    pd.DataFrame([{"id": "s", "company": "国网甲供电公司", "date": "2024-03-05",
                   "text": "供电公司为独居老人检修线路。"},
                  {"id": "t", "company": "南方電網珠海供電局", "date": "2024-03-06",
                   "text": "供電局為獨居老人檢修線路，送上慰問品。"},
                  {"id": "u", "company": "国网乙供电公司", "date": "2024-03-07",
                   "text": "供电公司为园区企业完成报装接电。"}]).to_csv(src, index=False)
    out = tmp_path / "tagged.sqlite"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "company", "date",
                 "-o", str(out), "--model", cli_model]) == 0
    con = sqlite3.connect(out)
    for q in [*match, *like]:
        found = {row[1].split(":")[0] for row in con.execute(q).fetchall()}
        assert found == {"s", "t"}, q
    # the text as written is kept and still searched as before
    assert con.execute("SELECT text FROM paragraphs WHERE paragraph = 't:0'").fetchone()[0].startswith("供電局為獨居")
    assert con.execute("SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH '獨居老人'").fetchone() == (1,)
    assert con.execute("SELECT normalized_text FROM paragraphs WHERE paragraph = 't:0'").fetchone() == (
        "供电局为独居老人检修线路,送上慰问品。",)
    from tagger.data.tagged import read_tagged

    assert "normalized_text" not in read_tagged(out).columns  # derived for SQL: not a column of the tagged rows


def test_review_decisions_keep_kept_columns_and_the_bom(cli_model, inputs, tmp_path):
    from tagger.apps.review import TaggedFile

    out = tmp_path / "tagged.csv"
    assert main(["tag", str(inputs["csv"]), "--id-column", "id", "--keep-columns", "company", "--review", "40%",
                 "-o", str(out), "--model", cli_model]) == 0
    store = TaggedFile(out)
    store.decide(store.queue[0], ["elderly_care"], "ana")
    store.flush()
    assert out.read_bytes().startswith(b"\xef\xbb\xbfrow_type,")
    rows = _read(out)
    assert [r["company"] for r in rows] == ["国网甲供电公司"] * 3 + ["南网乙供电局"] * 2
    assert sum(r["reviewed_labels"] == "elderly_care" for r in rows) == 1


# --------------------------------------------------------------------------- every output reads back
def test_every_tagged_format_reads_back_the_same_for_stats_and_export(cli_model, tmp_path):
    """tagger stats and tagger labels export read each format tagger tag writes, with the same result."""
    from tagger.data.tagged import read_tagged

    src = _write_inputs(tmp_path)["jsonl"]
    frames, tasks = {}, {}
    for fmt in ("jsonl", "csv", "parquet", "xlsx", "sqlite"):
        out = tmp_path / f"tagged.{fmt}"
        assert main(["-q", "tag", str(src), "--model", cli_model, "--id-column", "id", "--keep-columns",
                     "company", "date", "--evidence", "-o", str(out)]) == 0
        df = read_tagged(out)
        frames[fmt] = df[["report", "paragraph", "text", "company", "date", "effective_labels", "reviewed",
                          "evidence", *(f"score_{lab}" for lab in LABELS)]].reset_index(drop=True)
        ls = tmp_path / f"tasks_{fmt}.json"
        assert main(["-q", "labels", "export", str(out), "--to", "labelstudio", "-o", str(ls),
                     "--model", cli_model]) == 0
        tasks[fmt] = json.loads(ls.read_text(encoding="utf-8"))
    assert frames["jsonl"]["effective_labels"].map(len).sum() > 0  # something to compare
    assert any(frames["jsonl"]["evidence"].map(bool))
    for fmt in ("csv", "parquet", "xlsx", "sqlite"):
        pd.testing.assert_frame_equal(frames[fmt], frames["jsonl"], check_dtype=False, obj=fmt)
        assert tasks[fmt] == tasks["jsonl"], fmt
    stats = {fmt: tmp_path / f"stats_{fmt}.csv" for fmt in ("jsonl", "xlsx", "sqlite")}
    for fmt, out in stats.items():
        assert main(["-q", "stats", str(tmp_path / f"tagged.{fmt}"), "--by", "company", "-o", str(out)]) == 0
    assert stats["xlsx"].read_bytes() == stats["jsonl"].read_bytes() == stats["sqlite"].read_bytes()


@pytest.mark.parametrize("suffix, content, pattern", [
    (".xlsx", b"PK\x03\x04 not a zip", "not a readable .xlsx workbook"),
    (".sqlite", b"SQLite format 3\x00" + b"\x00" * 100, "not a SQLite database|no table named 'paragraphs'"),
    (".sqlite", b"hello", "not a SQLite database"),
])
def test_a_broken_tagged_workbook_or_database_is_named(tmp_path, capsys, suffix, content, pattern):
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(content)
    assert main(["stats", str(bad)]) == 1
    assert re.search(pattern, capsys.readouterr().err)
    assert main(["labels", "export", str(bad), "--to", "doccano", "-o", str(tmp_path / "t.jsonl")]) == 1
    assert not (tmp_path / "t.jsonl").exists()


def test_a_workbook_or_database_that_is_not_tagged_is_refused(tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active.title = "paragraphs"
    wb.active.append(["id", "text"])
    wb.save(tmp_path / "plain.xlsx")
    conn = sqlite3.connect(tmp_path / "plain.sqlite")
    conn.execute("CREATE TABLE paragraphs (id INTEGER PRIMARY KEY, text TEXT)")
    conn.commit()
    conn.close()
    for name in ("plain.xlsx", "plain.sqlite"):
        assert main(["stats", str(tmp_path / name)]) == 1
        assert "not a tagged file: no column report" in capsys.readouterr().err


def test_an_output_folder_that_cannot_be_written_or_does_not_exist_is_named(cli_model, tmp_path, monkeypatch, capsys):
    """User test: `-o /sys/out.jsonl` said "/sys/.out.jsonl.29516.irzj1q3w.tmp: Permission denied" (the temp file,
    and nothing to do), and `-o /nonexistent_dir/out.jsonl` made the mistyped folder without a word."""
    import tempfile

    src = tmp_path / "r.txt"
    src.write_text("党员志愿者走进敬老院,为孤寡老人义务检查线路。\n", encoding="utf-8")
    real_mkstemp = tempfile.mkstemp

    def denied(*args, dir=None, **kwargs):
        if str(dir) == str(tmp_path / "locked"):
            raise PermissionError(13, "Permission denied", str(tmp_path / "locked" / ".out.jsonl.1.x.tmp"))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    (tmp_path / "locked").mkdir()
    for command in (["tag", str(src)], ["tag", str(src), "--review", "10%"]):
        out = tmp_path / "locked" / "out.jsonl"
        assert main([*command, "-o", str(out), "--model", cli_model]) == 1
        err = capsys.readouterr().err
        assert f"error: {out}: cannot write a file in {out.parent} (Permission denied); fix the folder's " \
               "permissions, or choose another output path" in err and ".tmp" not in err and not out.exists()
    monkeypatch.setattr(tempfile, "mkstemp", real_mkstemp)
    long_name = tmp_path / ("报告" * 40 + ".jsonl")  # 246 bytes: the file fits, its hidden temp name does not
    assert main(["tag", str(src), "-o", str(long_name), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "(File name too long); the file name is too long for the temp file written beside it first; choose a " \
           "shorter name" in err and "permissions" not in err
    out = tmp_path / "typo" / "deeper" / "out.jsonl"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 0
    assert out.exists() and f"made the folder {tmp_path / 'typo'} for out.jsonl" in capsys.readouterr().err

    # a run that fails or is stopped leaves no folder behind either (review: a missing input, a bad row, Ctrl-C)
    for name, command in (("a", ["tag", str(tmp_path / "missing.txt")]), ("b", ["tag", str(src), "--review", "10%"])):
        out = tmp_path / f"never_{name}" / "sub" / "out.jsonl"
        if name == "b":  # stopped while the rows are written
            monkeypatch.setattr("tagger.apps.batch.ReviewQueue.add", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
        with contextlib.suppress(KeyboardInterrupt):
            assert main([*command, "-o", str(out), "--model", cli_model]) in (1, 130)
        err = capsys.readouterr().err
        assert not (tmp_path / f"never_{name}").exists(), err
        assert f"nothing was written: the folder {tmp_path / f'never_{name}'} made for it is removed again" in err


def test_an_output_on_a_read_only_file_system_is_told_to_go_elsewhere_not_to_fix_permissions(cli_model, tmp_path,
                                                                                               monkeypatch, capsys):
    """relfix: -o on a read-only file system (errno EROFS: a mounted ISO, a read-only bind mount) said "fix the
    folder's permissions", which no chmod can do; now it says the file system is read-only and to write to another
    one — for the file, and for a folder -o needs made there."""
    import errno
    import tempfile
    from pathlib import Path

    src = tmp_path / "r.txt"
    src.write_text("党员志愿者走进敬老院,为孤寡老人义务检查线路。\n", encoding="utf-8")
    ro = tmp_path / "ro"
    ro.mkdir()
    real_mkstemp, real_mkdir = tempfile.mkstemp, Path.mkdir

    def read_only(*args, dir=None, **kwargs):
        if str(dir) == str(ro):
            raise OSError(errno.EROFS, "Read-only file system", str(ro / ".out.jsonl.1.x.tmp"))
        return real_mkstemp(*args, dir=dir, **kwargs)

    def no_folder(self, *args, **kwargs):
        if self.is_relative_to(ro):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(Path, "mkdir", no_folder)
    out = ro / "out.jsonl"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 1
    assert capsys.readouterr().err == (f"error: {out}: cannot write a file in {ro} (Read-only file system); the file "
                                       "system there is read-only: choose another output path on a writable one\n")
    out = ro / "sub" / "out.jsonl"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 1
    assert capsys.readouterr().err == (f"error: {out}: cannot make the folder {ro / 'sub'} (Read-only file system); the "
                                       "file system there is read-only: choose another output path on a writable "
                                       "one\n")
    assert [p.name for p in ro.iterdir()] == []


def test_the_readme_month_query_counts_as_stats_does_on_mixed_date_formats(cli_model, tmp_path, root):
    """User test: the README's month query took substr(date, 1, 7), '2022/6/' and '2022年11' for dates typed
    2022/6/1 and 2022年11月3日, which tagger stats reads as 2022-06 and 2022-11, while the README said the SQL gives
    the same counts. A kept date column gets date_month, the month as stats reads it (its own parser); the README's
    query groups by it and gives stats --by company --by month's counts (an empty date: NULL, stats' (missing))."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    (query,) = [q for q in re.findall(r'sqlite3 tagged\.sqlite "([^"]+)"', readme) if "AS month" in q]
    body = "供电公司青年突击队走进社区,为独居老人免费检查线路。"
    dates = ["2022/6/1", "2022-06-15", "2022年11月3日", "20221105", "", "2022年6月"]
    src = tmp_path / "in.csv"
    pd.DataFrame([{"id": f"r{i}", "company": "甲公司" if i % 2 else "乙公司", "date": d, "text": f"标题\n{body}"}
                  for i, d in enumerate(dates)]).to_csv(src, index=False)
    out, counts = tmp_path / "tagged.sqlite", tmp_path / "stats.csv"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "company", "date", "-o", str(out),
                 "--model", cli_model]) == 0
    assert main(["-q", "stats", str(out), "--by", "company", "--by", "month", "-o", str(counts)]) == 0
    frame = pd.read_csv(counts, encoding="utf-8-sig", keep_default_na=False)
    groups = frame[(frame.table == "groups") & (frame.paragraphs.astype(int) > 0)]
    expected = {(c, m, lab): int(n) for c, m, lab, n in groups[["company", "month", "label", "paragraphs"]].values}
    assert {m for _, m, _ in expected} == {"2022-06", "2022-11", "(missing)"}
    con = sqlite3.connect(out)
    got = {(c, "(missing)" if m is None else m, lab): n for c, m, lab, n in con.execute(query).fetchall()}
    assert got == expected
    assert con.execute("SELECT DISTINCT date, date_month FROM reports ORDER BY report").fetchall() == [
        ("2022/6/1", "2022-06"), ("2022-06-15", "2022-06"), ("2022年11月3日", "2022-11"), ("20221105", "2022-11"),
        ("", None), ("2022年6月", "2022-06")]


@pytest.mark.parametrize("cell, why", [("03/04/2024", "a numeric date with the year last"),
                                       ("2024", "a year without a month")])
def test_a_date_without_a_month_stats_reads_leaves_date_month_empty_with_a_warning(cli_model, tmp_path, caplog,
                                                                                    cell, why):
    src = tmp_path / "in.csv"
    pd.DataFrame([{"id": "a", "date": "2024-03-01", "text": "为独居老人检查线路。"},
                  {"id": "b", "date": cell, "text": "为独居老人检查线路。"}]).to_csv(src, index=False)
    out = tmp_path / "tagged.sqlite"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "date", "-o", str(out),
                 "--model", cli_model]) == 0
    con = sqlite3.connect(out)
    assert con.execute("SELECT report, date_month FROM paragraphs ORDER BY id").fetchall() == [("a", "2024-03"),
                                                                                              ("b", None)]
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("date_month" in w and "report 'b'" in w and repr(cell) in w and why in w for w in warned), warned


def test_kept_columns_that_would_break_a_workbook_or_json_are_handled_before_they_do(cli_model, tmp_path, capsys):
    """Review: a kept column named "=备注" became a live formula in the .xlsx header (and then no column at all for
    stats and re-tag); a kept column named like a label was overwritten by the workbook's 0/1 column; a kept infinite
    number made a JSONL line that is no JSON (Infinity)."""
    import json as _json

    import openpyxl
    import pandas as pd

    from tagger.apps.cli import main

    src = tmp_path / "in.csv"
    src.write_text("id,text,=备注,elderly_care\nc1,党员志愿者走进敬老院，为孤寡老人检查线路。,甲,养老专项\n", encoding="utf-8")
    book = tmp_path / "t.xlsx"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "=备注", "--summary", "-o", str(book),
                 "--model", cli_model]) == 0
    wb = openpyxl.load_workbook(book)
    for sheet in ("paragraphs", "summary"):
        header = [(c.value, c.data_type) for c in wb[sheet][1]]
        assert ("=备注", "s") in header, header
    assert main(["-q", "stats", str(book), "--by", "=备注"]) == 0
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "elderly_care", "-o",
                 str(tmp_path / "x.xlsx"), "--model", cli_model]) == 2
    assert "kept column(s) ['elderly_care'] have the name of a label, which the workbook's 0/1 columns take" in \
        capsys.readouterr().err
    kept = tmp_path / "k.jsonl"  # other formats have no such column: kept; carried from there into a workbook: refused
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "elderly_care", "-o", str(kept),
                 "--model", cli_model]) == 0
    assert main(["tag", str(kept), "-o", str(tmp_path / "k.xlsx"), "--model", cli_model]) == 2
    assert "have the name of a label" in capsys.readouterr().err and not (tmp_path / "k.xlsx").exists()
    table = tmp_path / "r.parquet"
    pd.DataFrame({"id": ["a", "b"], "text": ["党员为孤寡老人检查线路。"] * 2, "ratio": [float("inf"), 1.5]}).to_parquet(table)
    out = tmp_path / "r.jsonl"
    assert main(["-q", "tag", str(table), "--id-column", "id", "--keep-columns", "ratio", "-o", str(out),
                 "--model", cli_model]) == 0

    def strict(token):
        raise ValueError(f"not JSON: {token}")

    rows = [_json.loads(line, parse_constant=strict) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["ratio"] for r in rows] == ["inf", 1.5]


TYPED = pd.DataFrame({
    "id": ["r1", "r2", "r3"], "text": ["党员志愿者走进敬老院,为孤寡老人义务检查线路。", "公司召开党委会议。", "供电所为企业接电。"],
    "year": pd.array([2023, None, 2024], dtype="Int64"), "ok": pd.array([True, False, None], dtype="boolean"),
    "day": [dt.date(2024, 5, 1), None, dt.date(2024, 5, 3)],
    "at": pd.to_datetime(["2024-05-01T09:30:00", "2024-05-02T00:00:00", None]),
    "utc": pd.to_datetime(["2023-12-31T16:30:00", None, "2024-01-02T08:00:00"]).tz_localize("UTC"),
    "share": [1.5, 2.0, None], "company": ["国网甲供电公司", "南网乙供电局", None]})
TYPED_KEPT = ["year", "ok", "day", "at", "utc", "share", "company"]


def _kept_schema(path):
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    return {name: str(schema.field(name).type) for name in TYPED_KEPT if name in schema.names}


def test_a_parquet_output_keeps_the_type_of_each_kept_column_the_input_had(cli_model, tmp_path):
    """Review: a Parquet output held every kept column as text: a year of ints came back to an analyst's pandas as
    the strings '2023', true/false as 'True', a date as '2024-05-01'. A kept column whose values all have one type —
    Parquet's and .xlsx cells', and JSON numbers — keeps it (a timestamp its UTC offset as the time zone); a CSV's
    cells are text, and so is a column of mixed values, each as it was written before."""
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    TYPED.to_parquet(src)
    out = tmp_path / "out.parquet"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", *TYPED_KEPT, "--summary", "-o",
                 str(out), "--model", cli_model]) == 0
    assert _kept_schema(out) == {"year": "int64", "ok": "bool", "day": "date32[day]", "at": "timestamp[us]",
                                 "utc": "timestamp[us, tz=+00:00]", "share": "double", "company": "string"}
    rows = [r for r in pq.read_table(out).to_pylist() if r["row_type"] != "corpus"]
    by_report = {r["report"]: r for r in rows if r["row_type"] == "report"}
    assert [by_report[k]["year"] for k in ("r1", "r2", "r3")] == [2023, None, 2024]
    assert [by_report[k]["ok"] for k in ("r1", "r2", "r3")] == [True, False, None]
    assert str(by_report["r1"]["day"]) == "2024-05-01" and str(by_report["r2"]["at"]) == "2024-05-02 00:00:00"
    assert str(by_report["r1"]["utc"]) == "2023-12-31 16:30:00+00:00" and by_report["r1"]["share"] == 1.5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet", "out.parquet"]  # no scratch file left
    # an .xlsx input's number, date and boolean cells; JSON numbers; a CSV's text; mixed values are text
    book = tmp_path / "in.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["id", "text", "year", "ok", "day", "mixed"])
    wb.active.append(["r1", TYPED["text"][0], 2023, True, dt.datetime(2024, 5, 1), 7])
    wb.active.append(["r2", TYPED["text"][1], 2024, False, dt.datetime(2024, 5, 2), "七"])
    wb.save(book)
    assert main(["-q", "tag", str(book), "--id-column", "id", "--keep-columns", "year", "ok", "day", "mixed", "-o",
                 str(tmp_path / "x.parquet"), "--model", cli_model]) == 0
    table = pq.read_table(tmp_path / "x.parquet")
    assert {n: str(table.schema.field(n).type) for n in ("year", "ok", "day", "mixed")} == {
        "year": "int64", "ok": "bool", "day": "date32[day]", "mixed": "string"}
    assert sorted(set(table.column("mixed").to_pylist())) == ["7", "七"]
    lines = tmp_path / "in.jsonl"
    lines.write_text('{"id": "r1", "text": "公司召开党委会议。", "n": 12, "f": 1}\n'
                     '{"id": "r2", "text": "供电所为企业接电。", "n": 7, "f": 0.5}\n', encoding="utf-8")
    TYPED[["id", "text", "year", "company"]].to_csv(tmp_path / "in.csv", index=False)
    for src, keep, want in [(lines, ["n", "f"], {"n": "int64", "f": "double"}),
                            (tmp_path / "in.csv", ["year", "company"], {"year": "string", "company": "string"})]:
        out = tmp_path / f"{src.suffix[1:]}.parquet"
        assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", *keep, "-o", str(out),
                     "--model", cli_model]) == 0
        table = pq.read_table(out)
        assert {n: str(table.schema.field(n).type) for n in keep} == want
    assert pq.read_table(tmp_path / "csv.parquet").column("year").to_pylist()[-1] == "2024"


def test_a_typed_parquet_output_is_read_back_and_counted_with_its_types(cli_model, tmp_path):
    """The tagged-file rule reads a Parquet output with typed kept columns back: tagged again it gives the same
    types and values (a year with an empty cell stays 2023, not the 2023.0 pandas reads), and stats counts it by
    year and month as it counts the JSONL output of the same input."""
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    TYPED.to_parquet(src)
    out, again, lines = tmp_path / "out.parquet", tmp_path / "again.parquet", tmp_path / "out.jsonl"
    for target in (out, lines):
        assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", *TYPED_KEPT, "-o", str(target),
                     "--model", cli_model]) == 0
    assert main(["-q", "tag", str(out), "-o", str(again), "--model", cli_model]) == 0
    assert _kept_schema(again) == _kept_schema(out) and _kept_schema(again)["year"] == "int64"
    columns = ["report", "paragraph", *TYPED_KEPT]
    assert pq.read_table(again, columns=columns).equals(pq.read_table(out, columns=columns))
    for name in ("out.parquet", "out.jsonl"):
        assert main(["-q", "stats", str(tmp_path / name), "--by", "year", "--date-column", "day",
                     "-o", str(tmp_path / f"{name}.csv")]) == 0
    assert (tmp_path / "out.parquet.csv").read_bytes() == (tmp_path / "out.jsonl.csv").read_bytes()
    counts = pd.read_csv(tmp_path / "out.parquet.csv", dtype=str)
    assert set(counts["year"].dropna()) == {"2023", "2024", "(missing)"}


_KEPT_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5),
                        st.dates().map(lambda d: DateText(d.isoformat())))


@settings(max_examples=150, deadline=None)
@given(columns=st.lists(st.lists(_KEPT_VALUE, min_size=1, max_size=8), min_size=1, max_size=3), data=st.data())
def test_each_kept_column_of_a_parquet_file_written_in_chunks_has_the_type_of_its_values(columns, data):
    """Property: whatever chunks the rows come in, a kept column of one type of value (whole numbers with fractions:
    floats) has that type in the Parquet file and the values, and any other column is text as before (True, 1.5,
    2024-05-01: Python's text of each value)."""
    import io

    import pyarrow.parquet as pq

    from tagger.apps.batch import Writer
    from tagger.data.tagged import SCORE_COLUMNS

    n = max(map(len, columns))
    names = [f"k{j}" for j in range(len(columns))]
    values = [col + [None] * (n - len(col)) for col in columns]
    rows = [{"report": f"r{i}", "paragraph": f"r{i}:0", "kind": "body", "text": "党员为老人检查线路。", "labels": [],
             **dict.fromkeys(SCORE_COLUMNS, 0.1), **{name: values[j][i] for j, name in enumerate(names)}}
            for i in range(n)]
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, n - 1)), max_size=3)))
    stream = io.BytesIO()
    writer = Writer("parquet", stream, keep=names)
    for start, end in zip([0, *cuts], [*cuts, n]):
        writer.write(rows[start:end])
    writer.close()
    table = pq.read_table(io.BytesIO(stream.getvalue()))
    for j, name in enumerate(names):
        given = [v for v in values[j] if v is not None]
        kinds = {type(v) for v in given}
        got = table.column(name).to_pylist()
        kind = str(table.schema.field(name).type)
        if kinds and kinds <= {int, float} and kinds != {bool}:
            assert kind == ("int64" if kinds == {int} else "double") and got == values[j]
        elif kinds == {bool}:
            assert kind == "bool" and got == values[j]
        elif kinds == {DateText}:
            assert kind == "date32[day]" and [None if v is None else v.isoformat() for v in got] == values[j]
        else:
            assert kind == "string" and got == [None if v is None else v if isinstance(v, str) else str(v)
                                                for v in values[j]]
        assert all(not isinstance(v, dt.datetime) for v in got)


def test_a_timestamp_column_over_summer_and_winter_time_and_a_double_column_with_inf_keep_their_types(
        cli_model, tmp_path):
    """Review: a Parquet input's timestamp[tz=Europe/Berlin] spanning summer and winter time (two UTC offsets) and a
    double column with one inf (kept as the text 'inf') came out as text columns. The double holds inf; the times
    stay text with each one's offset (second review: held in UTC, 2024-03-01 00:30+01:00 became 2024-02-29 23:30 and
    tagger stats counted it in February — the clock time written is what is counted); JSONL writes 'inf' as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    berlin = pd.to_datetime(["2024-03-01T00:30:00", "2024-07-15T10:00:00"]).tz_localize("Europe/Berlin")
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["r1", "r2"], "text": ["党员为老人检查线路。", "公司召开会议。"],
                             "when": pa.array(berlin, pa.timestamp("us", tz="Europe/Berlin")),
                             "ratio": [1.5, float("inf")]}), src)
    out = tmp_path / "out.parquet"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "when", "ratio", "-o", str(out),
                 "--model", cli_model]) == 0
    table = pq.read_table(out)
    assert str(table.schema.field("when").type) == "string"
    assert str(table.schema.field("ratio").type) == "double"
    rows = {r["report"]: r for r in table.to_pylist()}
    assert rows["r1"]["when"].startswith("2024-03-01T00:30:00+01:00") and "+02:00" in rows["r2"]["when"]
    counts = tmp_path / "c.csv"
    assert main(["stats", str(out), "--by", "month", "--date-column", "when", "-o", str(counts)]) == 0
    assert "2024-03" in counts.read_text(encoding="utf-8-sig") and "2024-02" not in counts.read_text(encoding="utf-8-sig")
    assert [rows["r1"]["ratio"], rows["r2"]["ratio"]] == [1.5, float("inf")]
    jsonl = tmp_path / "out.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "ratio", "-o", str(jsonl),
                 "--model", cli_model]) == 0
    assert [json.loads(line)["ratio"] for line in jsonl.read_text(encoding="utf-8").splitlines()] == [1.5, "inf"]


def test_a_full_disk_while_the_scratch_file_is_written_names_the_output_and_says_what_to_do(
        cli_model, tmp_path, monkeypatch, capsys):
    """Review: a full disk while a Parquet output's rows went to its scratch file said only 'error: No space left on
    device' (it named the output before the scratch file). It names the output, the scratch file beside it, the room
    it needs and what to do; nothing is left behind."""
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    TYPED.to_parquet(src)
    real = pq.ParquetWriter.write_table

    def full(self, table, *args, **kwargs):
        if str(getattr(self.where, "name", "")).endswith(".scratch"):  # the scratch file only
            raise OSError(28, "No space left on device")
        return real(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    out = tmp_path / "full" / "o.parquet"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "year", "-o", str(out),
                 "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert f"{out}: No space left on device (writing its rows to a scratch file beside it first" in err
    assert "room for its rows twice" in err and "free some space there, or write the output elsewhere" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


@pytest.mark.parametrize("method", ["close", "write_table"])
def test_a_full_disk_while_the_rows_are_copied_from_the_scratch_file_names_the_output(
        cli_model, tmp_path, monkeypatch, capsys, method):
    """Hunt: a full disk in the last step of a Parquet output with a scratch file (its rows copied from the scratch
    file into the output, each kept column in its type) said only "OUT: No space left on device". It names the
    output, the copy, the room it needs and what to do; nothing is left behind."""
    import errno

    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    TYPED.to_parquet(src)
    real = getattr(pq.ParquetWriter, method)

    def full(self, *args, **kwargs):
        if not str(getattr(self.where, "name", "")).endswith(".scratch"):  # the output only
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, method, full)
    out = tmp_path / "full" / "o.parquet"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "year", "-o", str(out),
                 "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert f"{out}: No space left on device (copying its rows into it from the scratch file beside it: a Parquet " \
           "output with kept columns of numbers or dates needs room for its rows twice while it is written); free " \
           "some space there, or write the output elsewhere" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


class _FullDisk:
    """An output file on a full disk: every write fails with ENOSPC, and so does closing it (its flush), though it
    is closed."""

    def __init__(self, fh):
        self._fh = fh

    def write(self, data):
        import errno

        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self):
        import errno

        self._fh.close()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getattr__(self, name):
        return getattr(self._fh, name)


@pytest.mark.parametrize("fmt, said", [
    ("parquet", "No space left on device (writing the Parquet output); free some space there, or write the output "
                "elsewhere"),
    ("csv", "No space left on device (writing the output); free some space there, or write the output elsewhere"),
    ("jsonl", "No space left on device (writing the output); free some space there, or write the output elsewhere"),
])
def test_a_full_disk_gets_the_advice_by_its_cause_though_closing_the_file_fails_too(cli_model, tmp_path, monkeypatch,
                                                                                   capsys, fmt, said):
    """Review: on a real full disk the Parquet writer's advice never reached the user: closing the output while the
    error unwound flushed, hit ENOSPC again, and that bare OSError replaced the advice ("error: OUT: No space left
    on device"). A CSV or JSONL output got no advice at all. The first error is kept, with what to do; no temp file
    is left."""
    import os

    from tagger.common import atomic

    src = tmp_path / "in"
    src.mkdir()
    (src / "r.txt").write_text("党员志愿者走进敬老院，为孤寡老人义务检查线路，更换老化插座。\n", encoding="utf-8")
    fdopen = os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **kw: _FullDisk(fdopen(*a, **kw)))
    out = tmp_path / "out" / f"o.{fmt}"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert err.endswith(f"error: {out}: {said}\n"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


@pytest.mark.parametrize("method", ["close", "write_table"])
def test_a_full_disk_while_a_parquet_output_without_scratch_file_is_written_names_the_output(
        cli_model, tmp_path, monkeypatch, capsys, method):
    """Bug: a full disk while closing a Parquet output whose rows went straight to it (no kept column of numbers
    or dates: no scratch file) said "writing its rows to a scratch file beside it first", and while writing its
    rows said only "No space left on device". Both now name the output and what to do, and no scratch file; with
    kept numbers the scratch file is still named (the test above)."""
    import errno

    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    TYPED.to_parquet(src)
    writers = []

    def full(self, *args, **kwargs):
        writers.append(self.where)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, method, full)
    out = tmp_path / "full" / "o.parquet"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "company", "-o", str(out),
                 "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert f"{out}: No space left on device (writing the Parquet output); free some space there, or write the " \
           "output elsewhere" in err and "scratch" not in err, err
    assert writers and not any(str(getattr(w, "name", "")).endswith(".scratch") for w in writers)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


@pytest.mark.parametrize("error, fix", [
    ((13, "Permission denied"), "fix the folder's permissions, or write the output elsewhere"),
    ((30, "Read-only file system"), "the file system there is read-only: write the output elsewhere on a writable one"),
    ((36, "File name too long"), "the file name is too long for the temp file written beside it first; choose a "
                                 "shorter name"),
    ((5, "Input/output error"), "write the output elsewhere"),
    ((122, "Disk quota exceeded"), "free some space there, or write the output elsewhere"),
])
@pytest.mark.parametrize("stage", ["output", "scratch", "copy"])
def test_a_failed_parquet_write_gives_the_advice_of_its_cause(cli_model, tmp_path, monkeypatch, capsys, error, fix,
                                                              stage):
    """iofix: an OSError while the Parquet output (or its scratch file, or the copy from it) was written advised
    "free some space there" whatever its cause (permission denied, a read-only file system, a name too long). The
    advice now fits the cause (tagger.common.atomic.write_fix), and the room a scratch file needs is explained only
    where room ran out; nothing is left behind."""
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    TYPED.to_parquet(src)
    real = pq.ParquetWriter.write_table

    def failing(self, table, *args, **kwargs):
        if str(getattr(self.where, "name", "")).endswith(".scratch") == (stage == "scratch"):
            raise OSError(*error)
        return real(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", failing)
    out = tmp_path / "full" / "o.parquet"
    kept = "company" if stage == "output" else "year"  # a kept number: the rows go to a scratch file first
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", kept, "-o", str(out),
                 "--model", cli_model]) == 1
    err = capsys.readouterr().err
    doing = {"output": "writing the Parquet output", "scratch": "writing its rows to a scratch file beside it first",
             "copy": "copying its rows into it from the scratch file beside it"}[stage]
    room = ": a Parquet output with kept columns of numbers or dates needs room for its rows twice while it is written"
    said = f"{out}: {error[1]} ({doing}{room if stage != 'output' and error[0] == 122 else ''}); {fix}"
    assert said in err, err
    assert "free some space" not in err or error[0] == 122
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_the_scratch_file_is_made_the_way_the_project_makes_temp_files(cli_model, tmp_path, monkeypatch):
    """Review: the scratch file was a tempfile.TemporaryFile, which on a system without O_TMPFILE is a named file a
    killed run leaves for good. It is made by tagger.common.atomic.temp_path_beside beside the output (a name with
    the run's process id, removed by the next run when that process is gone) and unlinked once open."""
    import tagger.common.atomic as atomic

    made = []
    real = atomic.temp_path_beside

    def spy(path, suffix=".tmp"):
        made.append(real(path, suffix))
        return made[-1]

    monkeypatch.setattr(atomic, "temp_path_beside", spy)
    src = tmp_path / "in.parquet"
    TYPED.to_parquet(src)
    out = tmp_path / "o.parquet"
    stale = tmp_path / ".o.parquet.999999999.abc.scratch"  # a killed run's (no such process)
    stale.write_bytes(b"PAR1")
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "year", "-o", str(out),
                 "--model", cli_model]) == 0
    assert [p.name.endswith(".scratch") for p in made] == [True] and made[0].parent == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet", "o.parquet"]


def _leave_sqlite_leftovers(db, mode):
    """Change ``db`` and end the program mid-way (``os._exit``), as a killed notebook or DB browser does: ``"wal"``
    leaves a write-ahead log (``-wal``, ``-shm``) never checkpointed, ``"delete"`` a hot rollback journal."""
    import subprocess
    import sys

    script = f"""if True:
        import os, sqlite3
        con = sqlite3.connect({str(db)!r}, isolation_level=None)
        if {mode!r} == "wal":
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA wal_autocheckpoint=0")
            con.execute("DELETE FROM paragraph_labels")
            con.execute("UPDATE paragraphs SET text = 'changed' || id")
        else:
            con.execute("PRAGMA journal_mode=DELETE")
            con.execute("PRAGMA cache_size=1")  # the changed pages spill to the file: the journal is hot
            con.execute("BEGIN")
            con.execute("DELETE FROM paragraph_labels")
            con.execute("UPDATE paragraphs SET text = 'changed' || id")
        os._exit(0)
    """
    subprocess.run([sys.executable, "-c", script], check=True)


def _many_reports(path, n):
    path.write_text("".join(json.dumps({"id": f"m{i}", "text": REPORTS[i % 2]["text"] * 3}, ensure_ascii=False) + "\n"
                            for i in range(n)), encoding="utf-8")
    return path


@pytest.mark.parametrize("mode,leftovers", [("wal", ["-wal", "-shm"]), ("delete", ["-journal"])])
def test_sqlite_output_is_not_paired_with_the_old_files_journal(cli_model, inputs, tmp_path, mode, leftovers):
    """A database a notebook switched to WAL (or was writing) and left unfinished has ``-wal``/``-shm`` (or a hot
    ``-journal``) beside it: ``--force`` renamed the new file in beside them, SQLite replayed them into it on first
    open, and ``PRAGMA integrity_check`` failed while ``tagger stats`` counted wrong rows silently. They belong to
    the file replaced: now removed before the rename."""
    out = tmp_path / "out.sqlite"
    assert main(["tag", str(_many_reports(tmp_path / "mid.jsonl", 300)), "-o", str(out), "--model", cli_model]) == 0
    _leave_sqlite_leftovers(out, mode)
    assert all((tmp_path / f"out.sqlite{s}").exists() for s in leftovers)
    assert main(["tag", str(inputs["jsonl"]), "--id-column", "id", "-o", str(out), "--force",
                 "--model", cli_model]) == 0
    with contextlib.closing(sqlite3.connect(out)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM paragraphs").fetchone()[0] == 5
        assert [r[0] for r in con.execute("SELECT text FROM paragraphs ORDER BY id")][0] == "为民服务 暖心行动"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("out.sqlite-")]


def test_sqlite_output_open_in_another_program_is_refused(cli_model, inputs, tmp_path, capsys):
    """A WAL database another program holds open (a notebook, a DB browser) keeps its ``-wal``/``-shm``: they are
    not removed under it; the run is refused, naming the file, and the old database is left as it was."""
    out = tmp_path / "out.sqlite"
    assert main(["tag", str(inputs["jsonl"]), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    with contextlib.closing(sqlite3.connect(out)) as other:
        other.execute("PRAGMA journal_mode=WAL")
        before = other.execute("SELECT count(*) FROM paragraphs").fetchone()[0]
        capsys.readouterr()
        assert main(["tag", str(_many_reports(tmp_path / "mid.jsonl", 3)), "-o", str(out), "--force",
                     "--model", cli_model]) == 1
        err = capsys.readouterr().err
        assert "open in another program" in err and str(out) in err
        assert (tmp_path / "out.sqlite-wal").exists()
        assert other.execute("SELECT count(*) FROM paragraphs").fetchone()[0] == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_xlsx_keeps_long_whole_numbers_exactly_and_floats_as_numbers(cli_model, tmp_path):
    """A kept 19-digit id was written ``1.730000000123457e+18`` (openpyxl writes 16 digits, Excel keeps 15): it is a
    text cell of its exact digits now, and tagging the .xlsx again gives those digits back; floats stay numbers
    (a column of them summed in Excel: a float as text would be left out of the sum), shorter whole numbers too."""
    src = tmp_path / "sf.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "党员为孤寡老人义务检查线路。", "doc_no": 1730000000123456789,
                               "f": 0.1 + 0.2, "g": 1.5, "h": 123456789012, "n": 7}) + "\n", encoding="utf-8")
    out = tmp_path / "sf.xlsx"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "doc_no,f,g,h,n", "--summary", "-o", str(out),
                 "--model", cli_model]) == 0
    wb = openpyxl.load_workbook(out)
    for sheet in ("paragraphs", "summary"):
        header, first = list(wb[sheet].iter_rows(max_row=2))
        cells = {h.value: c for h, c in zip(header, first)}
        assert cells["doc_no"].value == "1730000000123456789" and cells["doc_no"].data_type == "s"
        assert cells["f"].data_type == "n" and abs(cells["f"].value - 0.3) < 1e-12
        assert (cells["g"].value, cells["h"].value, cells["n"].value) == (1.5, 123456789012, 7)
    back = tmp_path / "back.jsonl"
    assert main(["tag", str(out), "-o", str(back), "--model", cli_model]) == 0
    row = json.loads(back.read_text(encoding="utf-8").splitlines()[0])
    assert (row["doc_no"], row["g"], row["h"]) == ("1730000000123456789", 1.5, 123456789012)
    assert abs(row["f"] - 0.3) < 1e-12


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.integers(min_value=-(10**30), max_value=10**30),
                 st.floats(allow_nan=False, allow_infinity=False)))
def test_number_cell_gives_back_every_number_exactly(value):
    """Whatever :func:`~tagger.common.xlsx.number_cell` writes reads back as the whole number itself, or as text of
    its exact digits; a float stays a number."""
    import io

    from tagger.common.xlsx import number_cell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append([number_cell(ws, value)])
    buf = io.BytesIO()
    wb.save(buf)
    got = openpyxl.load_workbook(buf).active["A1"].value
    if isinstance(got, str):
        assert isinstance(value, int) and got == str(value)
    elif isinstance(value, int):
        assert got == value and abs(value) < 10 ** 15
    else:  # a float stays a number: openpyxl keeps 16 significant digits
        assert got == float(f"{value:.16g}") or abs(got - value) <= abs(value) * 1e-15


def test_sqlite_leftovers_are_kept_when_no_lock_can_be_tried(tmp_path, monkeypatch):
    """The lock probe took any error but 'busy' for 'not in use' and removed the -wal and -shm: opened read-only by
    another user (a disk I/O error on locking), a live writer's log was deleted and its committed rows were lost.
    Only a lock taken (or no database there) lets the leftovers go; any other failure keeps them, and says so."""
    import sqlite3
    from pathlib import Path

    from tagger.common.atomic import clear_sqlite_leftovers
    from tagger.errors import InputError

    db = tmp_path / "x.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (a)")
    conn.commit()
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").write_bytes(b"")
    real_connect = sqlite3.connect

    class Refusing:
        def __init__(self, conn):
            self._conn = conn

        def execute(self, sql, *args):
            if sql.startswith("BEGIN"):
                error = sqlite3.OperationalError("disk I/O error")
                error.sqlite_errorcode = 3850  # SQLITE_IOERR_LOCK
                raise error
            return self._conn.execute(sql, *args)

        def close(self):
            self._conn.close()

    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: Refusing(real_connect(*a, **k)))
    with pytest.raises(InputError, match=r"x\.sqlite-wal is beside it, and whether another program has the database "
                                         r"open cannot be checked \(disk I/O error\)"):
        clear_sqlite_leftovers(db)
    assert Path(f"{db}-wal").exists() and Path(f"{db}-shm").exists()
    monkeypatch.setattr(sqlite3, "connect", real_connect)
    clear_sqlite_leftovers(db)  # a lock taken: the leftovers (empty here) go
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()


@pytest.mark.parametrize("old", ["empty", "text", "database"])
def test_a_failed_run_leaves_the_old_sqlite_file_as_it_was(cli_model, inputs, tmp_path, old):
    """The lock probe on the SQLite output to be replaced wrote into it even when the run then failed (exit 1, "no
    output"): ``BEGIN EXCLUSIVE``/``COMMIT`` on an empty file wrote a database header (0 bytes became 4,096). The
    probe writes nothing: a file that is no database is not opened, and a database's lock is given back with
    ROLLBACK."""
    out = tmp_path / "old.sqlite"
    if old == "database":
        assert main(["tag", str(inputs["jsonl"]), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    else:
        out.write_bytes(b"" if old == "empty" else "not a database 不是数据库\n".encode())
    before = out.read_bytes()
    assert main(["tag", str(inputs["jsonl"]), "--id-column", "nope", "-o", str(out), "--force",
                 "--model", cli_model]) == 1
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("old.sqlite")) == ["old.sqlite"]


_NAME_CHARS = st.characters(whitelist_categories=("Ll", "Lu", "Lo", "Nd"), whitelist_characters=" .-_（）")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(stem="tagged.2024", suffix="", taken=1, content=b"x")
@given(stem=st.text(_NAME_CHARS, min_size=1, max_size=40).filter(lambda s: s.strip(" .") == s and ".." not in s),
       suffix=st.sampled_from(["", ".jsonl", ".csv", ".xlsx", ".sqlite", ".npz"]), taken=st.integers(0, 2),
       content=st.binary(max_size=200))
def test_an_output_another_program_wrote_meanwhile_is_never_replaced_and_this_one_is_kept_beside_it(
        tmp_path, stem, suffix, taken, content):
    """Review: a write that may not replace what is there (a run given a new -o, which another run wrote while this
    one worked) removed its own finished file: the work of the whole run was lost. The file there is left as it is,
    and this run's is saved beside it under the first free name (NAME.new.SUFFIX, NAME.new-2.SUFFIX, …: a name no
    file has, never written over), which the error names; no temp file is left."""
    import tempfile

    from tagger.common.atomic import FileCreatedMeanwhile, atomic_write

    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    out = folder / f"{stem}{suffix}"
    names = [f"{out.stem}.new{out.suffix}", *(f"{out.stem}.new-{n}{out.suffix}" for n in range(2, 5))]  # its suffix kept
    for name in names[:taken]:
        (folder / name).write_bytes(b"taken")
    with pytest.raises(FileCreatedMeanwhile) as caught:
        with atomic_write(out, "wb", exclusive=True) as fh:
            fh.write(content)
            out.write_bytes(b"the other run's")  # another program puts its file there first
    kept = folder / names[taken]
    assert caught.value.kept == kept and f"saved as {kept} instead" in str(caught.value)
    assert out.read_bytes() == b"the other run's" and kept.read_bytes() == content
    assert all((folder / name).read_bytes() == b"taken" for name in names[:taken])
    assert sorted(p.name for p in folder.iterdir()) == sorted([out.name, *names[:taken + 1]])  # no temp file
