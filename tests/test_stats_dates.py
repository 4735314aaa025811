"""The dates and group names ``tagger stats`` counts by (review rev1, findings 2, 8, 10, 11): a number with a
decimal part is no month, the Chinese date-time spellings are read, refusals give the tool's own reasons, dates
with a UTC offset are named, and group names that differ only by invisible characters are one group, which the
HTML page's filter selects exactly."""

import datetime as dt
import json
import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tagger.analysis.stats import corpus_stats, month_of, parse_date
from tagger.apps.cli import main
from tagger.data.tagged import read_tagged
from tagger.errors import InputError
from tagger.text.normalize import normalize
from test_stats import _data, _rows, write_tagged


# --------------------------------------------------------------------------- finding 2: 2023.10 stored as 2023.1
@pytest.mark.parametrize("number, write", [(2023.1, "2023-01 or 2023-10"), (2023.9, "2023-09"), (2023.11, "2023-11"),
                                           (np.float64(2023.1), "2023-01 or 2023-10")])
def test_a_number_with_a_decimal_part_is_no_month(number, write):
    """Review: the number 2023.1 (October typed 2023.10 in Excel, or a JSON number) was counted in January."""
    with pytest.raises(ValueError, match=rf"^a number: Excel and JSON store a month typed as 2023\.10 as the number "
                                         rf"2023\.1, its 0 lost.*write the month as text: {write}$"):
        parse_date(number)
    with pytest.raises(ValueError):
        month_of(number)


def test_a_month_written_with_a_dot_as_text_is_read():
    """As text (a CSV cell, a JSON string) 2023.10 keeps its 0: a month; full-width digits and dot too."""
    assert [month_of(t) for t in ("2023.10", "2023.9", "2023.01", "２０２３．１２")] == ["2023-10", "2023-09", "2023-01",
                                                                                      "2023-12"]


@pytest.mark.parametrize("text, why", [
    ("2023.1", r"January, or October written 2023\.10 that lost its 0 as a number \(in Excel or JSON\)\? write "
               r"2023-01 or 2023-10"),  # the text a CSV holds for the number 2023.1: which month, it cannot say
    ("2023.13", r"no month 13"),  # pandas read it as 2023-01
    ("2023.00", r"no month 0"),
])
def test_a_dotted_month_that_cannot_be_told_is_refused(text, why):
    with pytest.raises(ValueError, match=f"^{why}$"):
        parse_date(text)


@pytest.mark.parametrize("suffix", [".jsonl", ".xlsx", ".csv"])
def test_a_numeric_month_is_never_counted_in_january(tmp_path, capsys, suffix):
    """Every route of the number 2023.1: a JSON number, a workbook's number cell, and the text a CSV holds for it."""
    rows = _rows(summary=False)
    rows[0]["date"] = 2023.1
    path = write_tagged(tmp_path / f"t{suffix}", rows)
    out = tmp_path / "s.csv"
    assert main(["stats", str(path), "--by", "month", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "date is 2023.1" in err or "date is '2023.1'" in err, err
    assert "2023-10" in err and not out.exists()
    s = corpus_stats(read_tagged(path), by=["month"], on_error="skip", source=str(path))
    assert s.tables["pivot"].set_index("month")["paragraphs"].to_dict() == {"(missing)": 1, "2023-01": 4,
                                                                           "2023-02": 2}


def test_the_sqlite_date_month_of_a_numeric_month_is_empty_with_a_warning(cli_model, tmp_path, caplog):
    """Review: `tag -o x.sqlite` wrote date_month 2023-01 for a workbook's General cell typed 2023.10."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "date", "text"])
    for i, month in enumerate([2023.9, 2023.10]):
        ws.append([f"r{i}", month, "供电所党员服务队为独居老人检查线路。"])
    wb.save(src := tmp_path / "months.xlsx")
    out = tmp_path / "t.sqlite"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "date", "-o", str(out),
                 "--model", cli_model]) == 0
    assert sqlite3.connect(out).execute("SELECT report, date_month FROM reports ORDER BY report").fetchall() == [
        ("r0", None), ("r1", None)]
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "date_month is empty for 2 report(s)" in warned and "a number: Excel and JSON store" in warned, warned


# --------------------------------------------------------------------------- finding 10: spellings read, reasons
@pytest.mark.parametrize("text, expected", [
    ("2023年12月31日 10:20", "2023-12-31 10:20:00"), ("2023年12月31日10:20", "2023-12-31 10:20:00"),
    ("2023年12月31日 10时20分", "2023-12-31 10:20:00"), ("2023年12月31日 10点05分30秒", "2023-12-31 10:05:30"),
    ("2023/12/31 下午 11:30:00", "2023-12-31 23:30:00"), ("2023/12/31 上午 11:30:00", "2023-12-31 11:30:00"),
    ("2023/12/31 上午 12:05:00", "2023-12-31 00:05:00"), ("2023/12/31 下午 12:05:00", "2023-12-31 12:05:00"),
    ("2023-12-31 11:30 下午", "2023-12-31 23:30:00"), ("2023年12月31日 下午3:30", "2023-12-31 15:30:00"),
    ("２０２３－１２－３１", "2023-12-31 00:00:00"), ("２０２３／１２／３１　１０：２０", "2023-12-31 10:20:00"),
    ("２０２３年１２月份", "2023-12-01 00:00:00"), ("2023年12月份", "2023-12-01 00:00:00"),
    ("2023年12月31日 10:20:30.5", "2023-12-31 10:20:30.500000"),
])
def test_chinese_date_time_spellings_are_read(text, expected):
    assert str(parse_date(text)) == expected


@pytest.mark.parametrize("text, why", [
    ("45291.75", r"an Excel date number with a time .*give the column a date format in Excel"),
    ("45291.0", r"an Excel date number with a decimal part"),  # was 'year 45291 is out of range'
    (45291.75, r"an Excel date number with a time"),
    ("2023-13-45", r"no month 13"), ("20231345", r"no month 13"), ("2023-02-30", r"no day 30 in 2023-02"),
    ("2023-12-31 25:00", r"no such time of day: 25:00"), ("2023/12/31 上午 13:30", r"no such time of day: 上午 13:30"),
    ("2023年12月31日 下午 3:30 下午", r"two times of day"), ("2024 10:20", r"a time after a year"),
    ("2023-12-31T10:20+25:00", r"no such UTC offset"),
    ("2023年12月31号晚", r"no such date, or a form not read \(such as 2023-05-06 or 2023年5月6日 10:20\)"),  # was pandas' 'Unknown datetime …'
])
def test_a_refused_date_gives_the_tools_own_reason(text, why):
    with pytest.raises(ValueError, match=why) as err:
        parse_date(text)
    assert not any(words in str(err.value) for words in ("Unknown datetime", "out of range", "must be in", "Parsed"))


def test_a_refused_date_time_names_its_row_in_stats(tmp_path, capsys):
    rows = _rows(summary=False)
    rows[1]["date"] = "45291.75"
    rows[2]["date"] = "2023年1月15日 下午 3:30"  # read: r1 stays in January
    path = write_tagged(tmp_path / "t.csv", rows)
    assert main(["stats", str(path), "--by", "month"]) == 1
    err = capsys.readouterr().err
    assert "t.csv:3: date is '45291.75', not a date (an Excel date number with a time" in err, err
    s = corpus_stats(read_tagged(path), by=["month"], on_error="skip", source=str(path))
    assert s.tables["pivot"].set_index("month")["paragraphs"].to_dict() == {"(missing)": 1, "2023-01": 4,
                                                                           "2023-02": 2}


WHEN = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31)).map(
    lambda d: d.replace(microsecond=0))
FULL_WIDTH = str.maketrans("0123456789-/:", "０１２３４５６７８９－／：")


def _half(d: dt.datetime) -> str:
    hour = d.hour % 12 or 12
    return f"{d:%Y/%m/%d} {'上午' if d.hour < 12 else '下午'} {hour}:{d:%M:%S}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(WHEN, st.sampled_from([lambda d: d.isoformat(), lambda d: f"{d:%Y/%m/%d %H:%M:%S}",
                              lambda d: f"{d.year}年{d.month}月{d.day}日 {d:%H:%M:%S}", _half,
                              lambda d: f"{d:%Y-%m-%d %H:%M:%S}".translate(FULL_WIDTH),
                              lambda d: f"{d.year}年{d.month}月{d.day}日{d.hour}时{d.minute}分{d.second}秒"]))
def test_every_documented_spelling_of_a_moment_reads_as_that_moment(when, spell):
    assert parse_date(spell(when)) == pd.Timestamp(when)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(alphabet=st.sampled_from(list("0123456789０１２-/.: T年月日号份时点分秒上下午季度第QZ+"
                                                        "\u3000\u200b")), max_size=30),
                 st.text(max_size=20), st.floats(allow_nan=True), st.integers()))
@example("2023.13")
@example("2023-12-31T10:20+25:00")
@example("9999-12-31 下午 11:59:59")
def test_a_cell_is_a_date_or_refused_with_a_reason_never_another_error(cell):
    """Any cell: a date, nothing, or a ValueError with a reason; a date read round-trips through its ISO text."""
    try:
        ts = parse_date(cell)
    except ValueError as err:
        assert str(err) and "Unknown datetime" not in str(err) and "out of range" not in str(err)
        return
    if ts is not None:
        assert ts.tzinfo is None and parse_date(ts.isoformat()) == ts
        if isinstance(cell, float):
            assert cell.is_integer()  # a number with a decimal part is never a date


# --------------------------------------------------------------------------- finding 11: UTC offsets said
def test_dates_with_a_utc_offset_are_counted_at_their_clock_time_and_named(tmp_path, capsys):
    from tagger.analysis.stats import utc_offset

    rows = _rows(summary=False)
    for row in rows[:3]:
        row["date"] = "2023-12-31T16:30:00+00:00"  # r1: 2024-01-01 00:30 in Beijing, counted in 2023-12 as written
    rows[3]["date"] = rows[4]["date"] = "2023-01-20T09:00:00Z"
    rows[5]["date"] = "2023-02-03T09:00:00+08:00"
    path = write_tagged(tmp_path / "t.jsonl", rows)
    s = corpus_stats(read_tagged(path), by=["month"], source=str(path))
    assert s.tables["pivot"].set_index("month")["paragraphs"].to_dict() == {"2023-01": 2, "2023-02": 2, "2023-12": 3}
    assert s.offsets == {"+00:00": 5, "+08:00": 1}
    assert "6 with a UTC offset in 'date' (+00:00, +08:00) are counted at the clock time written" in s.summary()
    page = tmp_path / "r.html"
    assert main(["stats", str(path), "--by", "month", "--html", str(page)]) == 0
    err = capsys.readouterr().err
    assert ("6 of the paragraphs' dates in 'date' carry a UTC offset (5 +00:00, 1 +08:00): each is counted at the "
            "clock time written, not converted") in err and "convert such dates to local time" in err, err
    notes = json.loads(_data(page.read_text(encoding="utf-8")))["meta"]["notes"]
    assert any("carry a UTC offset" in n for n in notes), notes
    assert utc_offset("2023-12-31T16:30:00Z") == "+00:00" and utc_offset("2023-12-31") is None
    rows = _rows(summary=False)  # none: no word
    path = write_tagged(tmp_path / "u.jsonl", rows)
    assert main(["stats", str(path), "--by", "month"]) == 0
    assert "UTC offset" not in capsys.readouterr().err


# --------------------------------------------------------------------------- finding 8: invisible characters
NAMES = ["国网甲市供电公司", "国网甲市供电公司", "国网甲市\u200b供电公司", "国网甲市\u00ad供电公司", "\ufeff国网甲市供电公司",
         "国网甲市\u2060供电公司", "国网乙市供电公司"]


def test_the_normaliser_removes_every_invisible_format_character_it_names():
    """The soft hyphen (U+00AD) and the other invisible Cf characters were kept by the model's normaliser; stats
    merges group names with the normaliser's own list, so both needed it."""
    for ch in "\u00ad\u061c\u180e\u200b\u200d\u2060\u206a\u206f\ufeff\ufff9\U000e0001\U000e0041":
        assert normalize(f"国网{ch}甲市") == "国网甲市", hex(ord(ch))


def test_group_names_that_differ_only_by_invisible_characters_are_one_group(tmp_path, capsys):
    rows = _rows(summary=False)
    for row, name in zip(rows, NAMES):
        row["company"] = name
    path = write_tagged(tmp_path / "t.csv", rows)
    s = corpus_stats(read_tagged(path), by=["company"], source=str(path))
    assert s.tables["pivot"].set_index("company")["paragraphs"].to_dict() == {"国网甲市供电公司": 6, "国网乙市供电公司": 1}
    assert main(["-q", "stats", str(path), "--by", "company"]) == 0
    err = capsys.readouterr().err
    assert ("company: 5 spellings counted as one group '国网甲市供电公司' (the same after normalising script, width, "
            "white space and invisible characters): '国网甲市供电公司' (2 paragraphs), ") in err, err
    for shown in (r"'国网甲市\u200b供电公司' (1)", r"'国网甲市\xad供电公司' (1)", r"'\ufeff国网甲市供电公司' (1)",
                  r"'国网甲市\u2060供电公司' (1)"):
        assert shown in err, shown


def test_the_page_filters_a_group_by_its_exact_value(browser, tmp_path):
    """Review: the page's filter trimmed the selected value, and JavaScript's trim() drops a leading U+FEFF (Python's
    strip() keeps it): picking the '\\ufeff国网甲市供电公司' group showed the rows of '国网甲市供电公司'."""
    from playwright.sync_api import expect

    rows = _rows(summary=False)
    for row, name in zip(rows, NAMES):
        row["company"] = name
    path = write_tagged(tmp_path / "t.jsonl", rows)
    html_path = tmp_path / "r.html"
    assert main(["-q", "stats", str(path), "--by", "company", "--keep-spellings", "--html", str(html_path)]) == 0
    page = browser.new_page()
    page.goto(html_path.as_uri())
    page.wait_for_selector("body[data-ready]")
    pivot = {json.loads(tr.get_attribute("data-group"))[0]: int(tr.locator("td.paragraphs").inner_text())
             for tr in page.locator("#pivot-table tbody tr").all()}
    assert pivot["\ufeff国网甲市供电公司"] == 1 and pivot["国网甲市供电公司"] == 2
    pids = page.locator("#para-table tbody td.pid")
    values = page.eval_on_selector_all("#f-group-0 option", "os => os.map((o) => o.value)")
    for value, expected in (("\ufeff国网甲市供电公司", ["r2:1"]), ("国网甲市供电公司", ["r1:0", "r1:1"])):
        page.select_option("#f-group-0", index=values.index(value))  # by value, Playwright picks a look-alike
        assert page.eval_on_selector("#f-group-0", "(s) => s.value") == value
        expect(pids).to_have_text(expected)
        assert page.locator("#f-count").inner_text().startswith(f"{len(expected)} of 7")
    page.close()


def test_corpus_stats_refuses_a_numeric_month_with_its_row(tmp_path):
    rows = _rows(summary=False)
    rows[2]["date"] = 2023.1
    path = write_tagged(tmp_path / "t.jsonl", rows)
    with pytest.raises(InputError, match=r"t\.jsonl:3: date is 2023\.1, not a date \(a number: "):
        corpus_stats(read_tagged(path), by=["quarter"], source=str(path))
