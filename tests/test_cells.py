"""The one CSV-cell rule (tagger.common.cells): spreadsheets never run report text, readers get it back."""

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from tagger.apps.cli import main
from tagger.common.cells import guard_cell, guard_row, unguard_cell, unguard_row

_edge = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "''", "'=", "''+", "a", "文", ""])


@given(st.lists(_edge, max_size=4).map("".join), st.text(max_size=20))
def test_guard_then_unguard_gives_the_cell_back(head, tail):
    cell = head + tail
    guarded = guard_cell(cell)
    assert unguard_cell(guarded) == cell
    assert not guarded[:1] in ("=", "+", "-", "@", "\t", "\r")  # no spreadsheet reads it as a formula
    assert unguard_row(guard_row({"a": cell, "n": 1})) == {"a": cell, "n": 1}


def test_cells_without_a_formula_start_are_untouched():
    for cell in ("文字", "'quoted", "a=b", "", "1+1"):
        assert guard_cell(cell) == cell == unguard_cell(cell)


def test_tagged_csv_guards_formulas_and_stats_reads_the_text_back(cli_model, tmp_path):
    from tagger.data.tagged import read_tagged

    src = tmp_path / "r.txt"
    src.write_text("=HYPERLINK(\"http://x\",\"点我\") 志愿者走进社区开展公益活动。\n'=1+1 公司召开会议。\n", encoding="utf-8")
    out = tmp_path / "t.csv"
    assert main(["-q", "tag", str(src), "--model", cli_model, "-o", str(out)]) == 0
    raw = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert [r["text"][:3] for r in raw] == ["'=H", "''="]
    assert read_tagged(out)["text"].tolist() == [src.read_text(encoding="utf-8").splitlines()[0],
                                                 "'=1+1 公司召开会议。"]


def test_a_kept_cell_with_a_crlf_reads_back_as_it_was(cli_model, tmp_path):
    """CSV readers keep the line ends inside quoted cells (the file decoder's \\r\\n -> \\n is for text)."""
    from tagger.data.tagged import read_tagged

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "company": "甲\\r\\n乙\\r丙", "text": "志愿者走进社区开展公益活动。"}\n', encoding="utf-8")
    out = tmp_path / "t.csv"
    assert main(["-q", "tag", str(src), "--model", cli_model, "--id-column", "id", "--keep-columns", "company",
                 "-o", str(out)]) == 0
    assert read_tagged(out)["company"].tolist() == ["甲\r\n乙\r丙"]


def test_tagged_csv_header_cells_are_guarded_and_read_back(cli_model, tmp_path):
    """Body cells were guarded, but a kept column's name went into the header as it was: a column named
    '=cmd' was a formula in Excel. The header is guarded now, and read_tagged and review read it back."""
    from tagger.apps.review import TaggedFile
    from tagger.data.tagged import read_tagged

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "=cmd": "x", "@who": "y", "text": "志愿者走进社区开展公益活动。"}\n', encoding="utf-8")
    out = tmp_path / "t.csv"
    assert main(["-q", "tag", str(src), "--model", cli_model, "--id-column", "id", "--keep-columns", "=cmd,@who",
                 "--review", "1", "-o", str(out)]) == 0
    header = next(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert "'=cmd" in header and "'@who" in header
    assert not any(h[:1] in ("=", "+", "-", "@", "\t", "\r") for h in header)
    frame = read_tagged(out)
    assert frame["=cmd"].tolist() == ["x"] and frame["@who"].tolist() == ["y"]
    with TaggedFile(out) as store:
        store.decide(store.queue[0], ["volunteer_work"], reviewer="t")
        store.flush()
    header = next(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert "'=cmd" in header and "'@who" in header and "reviewed_labels" in header
    assert read_tagged(out)["=cmd"].tolist() == ["x"]
