"""``tagger tag`` and its outputs as a demanding user found them: an ASCII head before GBK (or cp1252) rows, a
report with a paragraph cut at the cell limit re-tagged, Parquet row numbers, kept values cut at the cell limit, rows
with nothing to tag, an SQLite output held by a reader, and the README's full-text example."""

import csv
import json

import pytest

from tagger.apps.cli import main


def test_csv_with_an_ascii_head_and_gbk_rows_later_is_read_as_gbk(cli_model, tmp_path, capsys):
    src = tmp_path / "late.csv"
    english = "".join(f"e{i},The company held a routine meeting number {i}.\n" for i in range(2000))
    src.write_bytes(("id,text\n" + english).encode() + "c1,党员志愿者走进敬老院，为孤寡老人义务检查线路。\n".encode("gbk"))
    assert len(english) > 1 << 16  # the first 64 KiB are ASCII
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[-1]["report"] == "c1" and rows[-1]["text"] == "党员志愿者走进敬老院，为孤寡老人义务检查线路。"
    assert "elderly_care" in rows[-1]["labels"]


def test_jsonl_with_an_ascii_head_and_gbk_lines_later_is_read_as_gbk(cli_model, tmp_path):
    src = tmp_path / "late.jsonl"
    head = "".join(json.dumps({"id": f"e{i}", "text": f"The company held meeting {i}."}) + "\n" for i in range(2500))
    src.write_bytes(head.encode() + (json.dumps({"id": "c1", "text": "公司为独居老人安装了应急照明灯。"},
                                                 ensure_ascii=False) + "\n").encode("gbk"))
    assert len(head) > 1 << 16
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    last = json.loads(out.read_text(encoding="utf-8").splitlines()[-1])
    assert last["text"] == "公司为独居老人安装了应急照明灯。"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx", "parquet", "table"])
def test_the_corpus_summary_row_counts_the_inputs_left_out(cli_model, tmp_path, capsys, fmt):
    """--summary over 4 input rows, 2 of them blank: the corpus row said 2 reports and nothing in the output said 2
    inputs were left out (only a warning at the end of the run). The corpus row now has left_out."""
    import openpyxl
    import pandas as pd

    src = tmp_path / "b.csv"
    src.write_text('id,text\nr1,社区为独居老人上门服务。\nr2,\nr3," "\nr4,老旧小区改造加装电梯。\n', encoding="utf-8")
    out = tmp_path / f"o.{fmt}"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--summary", "--model", cli_model,
                 *(["-o", str(out)] if fmt != "table" else [])]) == 0
    if fmt == "table":
        assert "== corpus: 2 reports (2 input reports with nothing to tag left out)" in capsys.readouterr().out
        return
    if fmt == "jsonl":
        corpus = json.loads(out.read_text(encoding="utf-8").splitlines()[-1])
    elif fmt == "csv":
        corpus = list(csv.DictReader(out.open(encoding="utf-8-sig")))[-1]
    elif fmt == "parquet":
        corpus = pd.read_parquet(out).iloc[-1].to_dict()
    else:
        header, *rows = openpyxl.load_workbook(out)["summary"].iter_rows(values_only=True)
        corpus = dict(zip(header, rows[-1]))
    assert corpus["row_type"] == "corpus"
    assert (int(corpus["reports"]), int(corpus["left_out"])) == (2, 2)


def test_left_out_comes_last_and_is_refused_as_a_kept_column_only_with_summary(cli_model, tmp_path, capsys):
    """Review: left_out went in before the review columns, so with --summary --review scripts found review,
    review_rank and review_margin one column to the right of where they were; --keep-columns left_out was refused
    without --summary too (it adds no left_out); the table said "(1 input reports ...)". Now left_out is the last
    column, a kept left_out is refused only with --summary (and read back from a tagged file as kept, not as the
    summary's), and the table says "1 input report"."""
    import pandas as pd

    from tagger.apps.batch import output_columns

    before = output_columns(summary=True, review=True, reviewed=True)
    assert before[-1] == "left_out" and before[-8:-5] == ["review", "review_rank", "review_margin"]
    src = tmp_path / "b.csv"
    src.write_text('id,text,left_out\nr1,社区为独居老人上门服务。,yes\nr2,,no\nr4,老旧小区改造加装电梯。,no\n',
                   encoding="utf-8")
    for fmt in ("csv", "jsonl", "parquet"):
        out = tmp_path / f"q.{fmt}"
        assert main(["-q", "tag", str(src), "--id-column", "id", "--summary", "--review", "1", "-o", str(out),
                     "--model", cli_model]) == (0 if fmt != "parquet" else 2)
        if fmt == "parquet":  # --review writes JSONL or CSV only; the Parquet schema has it last too
            assert main(["-q", "tag", str(src), "--id-column", "id", "--summary", "-o", str(out), "--model",
                         cli_model]) == 0
            assert list(pd.read_parquet(out).columns)[-2:] == ["reports", "left_out"]
            continue
        header = (out.read_text(encoding="utf-8-sig").splitlines()[0].split(",") if fmt == "csv" else
                  list(json.loads(out.read_text(encoding="utf-8").splitlines()[-1])))
        assert header[-4:] == ["review", "review_rank", "review_margin", "left_out"] if fmt == "csv" else \
            header[-1] == "left_out", header
    capsys.readouterr()
    assert main(["-q", "tag", str(src), "--id-column", "id", "--summary", "--model", cli_model]) == 0
    assert "== corpus: 2 reports (1 input report with nothing to tag left out)" in capsys.readouterr().out
    kept = tmp_path / "kept.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "left_out", "-o", str(kept),
                 "--model", cli_model]) == 0
    assert [json.loads(line)["left_out"] for line in kept.read_text(encoding="utf-8").splitlines()] == ["yes", "no"]
    capsys.readouterr()
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "left_out", "--summary",
                 "--model", cli_model]) == 2
    assert ("--keep-columns: kept column(s) ['left_out'] clash with the column(s) of that name --summary writes "
            "(left_out: how many input reports had nothing to tag); keep them without --summary, or rename them in the "
            "input") in capsys.readouterr().err  # not "have the name of an output column; rename them"
    again = tmp_path / "again.jsonl"  # read back: the kept column comes along, and clashes with --summary's
    assert main(["-q", "tag", str(kept), "-o", str(again), "--model", cli_model]) == 0
    assert [json.loads(line)["left_out"] for line in again.read_text(encoding="utf-8").splitlines()] == ["yes", "no"]
    assert main(["-q", "tag", str(kept), "--summary", "--model", cli_model]) == 2
    assert "--summary: kept column(s) ['left_out'] of a tagged input" in capsys.readouterr().err
    summary = tmp_path / "summary.jsonl"  # a --summary file's left_out is the summary's, not a kept column
    assert main(["-q", "tag", str(src), "--id-column", "id", "--summary", "-o", str(summary), "--model", cli_model]) == 0
    assert main(["-q", "tag", str(summary), "--summary", "-o", str(tmp_path / "re.jsonl"), "--model", cli_model]) == 0
    last = json.loads((tmp_path / "re.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert last["row_type"] == "corpus" and list(last)[-1] == "left_out"


@pytest.mark.parametrize("latin", ["Ångström naïve", "Müller Söhne Straße", "Señor Muñoz año"])
def test_a_late_cp1252_row_is_a_bad_row_not_read_as_gbk(cli_model, tmp_path, capsys, latin):
    """The head of a file past 64 KiB is ASCII, a later row Windows-1252: GB18030 decodes its bytes all the same,
    and the file was read so, silently ("Ångström naïve" became "舗gstr鰉 na飗e", exit 0). A late guess of GBK is
    taken only where the bytes read as Chinese (common characters, as a report's); else the row is a bad row named
    by its line, as before."""
    src = tmp_path / "late.csv"
    english = "".join(f"e{i},The company held a routine meeting number {i}.\n" for i in range(2000))
    src.write_bytes(("id,text\n" + english).encode() + f"c1,{latin}\n".encode("cp1252"))
    assert len(english) > 1 << 16
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 1
    assert "late.csv:2002: holds bytes that are not utf-8" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("blank", ['" "', "", "&nbsp;"])
def test_a_row_with_nothing_to_tag_is_left_out_and_the_run_goes_on(cli_model, tmp_path, capsys, blank):
    src = tmp_path / "em.csv"
    src.write_text(f"id,text\nr1,党员志愿者走进敬老院，为孤寡老人义务检查线路。\nr2,{blank}\nr3,为企业缩短接电时间。\n",
                   encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    assert [json.loads(x)["report"] for x in out.read_text(encoding="utf-8").splitlines()] == ["r1", "r3"]
    err = capsys.readouterr().err
    assert "1 input report had no paragraphs" in err and "em.csv:3 (report 'r2')" in err
    assert "2 reports, 2 paragraphs; 1 input report with nothing to tag left out" in err


def test_a_null_text_in_jsonl_is_left_out_as_an_empty_one(cli_model, tmp_path, capsys):
    src = tmp_path / "n.jsonl"
    src.write_text('{"id": "a", "text": null}\n{"id": "b", "text": "为企业缩短接电时间。"}\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    assert "n.jsonl:1 (report 'a')" in capsys.readouterr().err



def test_a_report_with_a_cut_paragraph_read_back_names_the_cut_not_another_model():
    """A paragraph's labels read its report's context: where a neighbour was cut at Excel's cell limit, the labels a
    file recorded change with the same model; the warning named "other thresholds or another model" instead."""
    from tagger import LABELS
    from tagger.apps.batch import INPUT_KEY, _carry_decisions
    from tagger.common.xlsx import safe_text
    from tagger.data.tagged import TaggedParagraph, TaggedReport, Written

    scores = tuple(0.9 if lab == "elderly_care" else 0.0 for lab in LABELS)
    written = Written(("elderly_care", "volunteer_work"), scores, edited=())  # as the recording thresholds gave
    report = TaggedReport("long", "long.xlsx:row 2", paragraphs=(
        TaggedParagraph("long:0", 0, "body", safe_text("长" * 40_000), written=written),
        TaggedParagraph("long:1", 1, "body", "该公司为独居老人安装了应急照明灯。", written=written)),
        source="long.xlsx", model={"thresholds": {lab: 0.5 for lab in LABELS}})
    rows = [{INPUT_KEY: [0, 0, "w"], "labels": list(written.labels), **{f"score_{lab}": 0.9 for lab in LABELS}},
            {INPUT_KEY: [0, 0, "w"], "labels": ["elderly_care"], **{f"score_{lab}": 0.9 for lab in LABELS}}]
    said = " ".join(w for e in _carry_decisions(rows, [report]) for w in e.warnings())
    assert "other thresholds or another model" not in said
    assert "(long:1): no one edited it — paragraph long:0 was cut at Excel's cell limit in the file" in said
    report = TaggedReport("r", "r.xlsx:row 2", source="r.xlsx", model=report.model,
                          paragraphs=(TaggedParagraph("r:0", 0, "body", "公司为老人检修线路。", written=written),))
    said = " ".join(w for e in _carry_decisions(rows[1:], [report]) for w in e.warnings())
    assert "other thresholds or another model" in said  # no cut paragraph: another model's labels, as before


def test_the_readme_full_text_queries_work_with_a_kept_column_named_rank(cli_model, tmp_path, root):
    """README's FTS5 example ordered by a bare ``rank``: with a kept column named rank, "ambiguous column name"."""
    import re
    import sqlite3

    src = tmp_path / "r.csv"
    src.write_text("id,company,rank,text\nr1,东湖,1,党员志愿者走进敬老院，帮助独居老人检查线路。\n", encoding="utf-8")
    out = tmp_path / "tagged.sqlite"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "company", "rank", "-o", str(out),
                 "--model", cli_model]) == 0
    queries = [q for q in re.findall(r'sqlite3 tagged\.sqlite "(.*?)"', (root / "README.md").read_text(encoding="utf-8"),
                                     re.S) if "paragraphs_fts MATCH" in q]
    assert len(queries) >= 2
    with sqlite3.connect(out) as conn:
        for query in queries:
            assert conn.execute(query).fetchall(), query


def test_an_sqlite_output_held_by_a_reader_in_a_transaction_is_not_replaced(cli_model, tmp_path, capsys):
    """README says a .sqlite output is refused while another program has the old database open; a reader inside
    ``BEGIN; SELECT …`` (a shared lock, no journal file beside it) was not seen, and --force replaced the file."""
    import sqlite3

    src = tmp_path / "r.csv"
    src.write_text("id,text\nr1,党员志愿者走进敬老院，帮助独居老人检查线路。\n", encoding="utf-8")
    out = tmp_path / "held.sqlite"
    assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    before = out.stat().st_ino, out.read_bytes()
    reader = sqlite3.connect(out, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM paragraphs").fetchone()
        capsys.readouterr()
        assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--force", "--model", cli_model]) == 1
        assert "held.sqlite: the SQLite database is open in another program, which is reading it" in \
            capsys.readouterr().err
        assert (out.stat().st_ino, out.read_bytes()) == before
        reader.execute("COMMIT")  # the transaction ended: the lock is gone, and the output is replaced
        assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--force", "--model", cli_model]) == 0
    finally:
        reader.close()
    assert out.stat().st_ino != before[0]


@pytest.mark.parametrize("wal", [False, True])
def test_an_sqlite_output_opened_by_another_program_while_tag_runs_is_kept_beside_it(cli_model, tmp_path, capsys,
                                                                                     monkeypatch, wal):
    """tag -o x.sqlite --force checks that no other program has the old database open before any work, and again as
    it ends: one that opened it meanwhile (a notebook reading it) was seen, the old database kept, but the finished
    output was thrown away, the error saying to run again. It is saved beside the database (x.new.sqlite), and the one
    line of error says the old one is in use by another program, where the output is and what to do."""
    import contextlib
    import sqlite3

    import tagger.common.atomic as atomic

    src = tmp_path / "r.csv"
    src.write_text("id,text\nr1,党员志愿者走进敬老院，帮助独居老人检查线路。\nr2,供电公司为企业缩短接电时间。\n",
                   encoding="utf-8")
    out = tmp_path / "x.sqlite"
    assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    before = out.stat().st_ino, out.read_bytes()
    calls, readers, real = [], [], atomic._sqlite_in_use

    def opened_meanwhile(path):  # the second check is the last step's: another program has opened it by then
        calls.append(path)
        if len(calls) == 2:
            reader = sqlite3.connect(out, isolation_level=None)
            if wal:
                reader.execute("PRAGMA journal_mode=WAL")
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM paragraphs").fetchone()
            readers.append(reader)
        return real(path)

    monkeypatch.setattr(atomic, "_sqlite_in_use", opened_meanwhile)
    capsys.readouterr()
    try:
        assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--force", "--model", cli_model]) == 1
        kept = tmp_path / "x.new.sqlite"
        assert capsys.readouterr().err == (
            f"error: {out}: the SQLite database is open in another program, which is reading it (a notebook or a DB "
            f"browser), so it was not replaced: this run's output was saved as {kept} instead; close it there (or end "
            "its transaction), then move x.new.sqlite over x.sqlite (or use it where it is)\n")
        assert out.stat().st_ino == before[0] and readers[0].execute("SELECT count(*) FROM paragraphs").fetchone()[0]
    finally:
        for reader in readers:
            reader.close()
    with contextlib.closing(sqlite3.connect(kept)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [r[0] for r in con.execute("SELECT text FROM paragraphs ORDER BY id")] == [
            "党员志愿者走进敬老院，帮助独居老人检查线路。", "供电公司为企业缩短接电时间。"]
    if not wal:
        assert out.read_bytes() == before[1]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_sqlite_output_another_program_made_and_opened_while_tag_ran_is_not_called_the_old_one(cli_model, tmp_path,
                                                                                                   capsys, monkeypatch):
    """Review: tag -o x.sqlite (no --force, no x.sqlite then): another program made x.sqlite while tag ran (a second
    run with the same -o) and a DB browser opened it. The last step's check called it the old database in use and said
    to move this run's output (x.new.sqlite) over it once closed: over the other run's output. It is a file another
    program wrote, said as for any output (use x.new.sqlite, or move it over x.sqlite if that one may go)."""
    import os
    import sqlite3

    import tagger.common.atomic as atomic

    src = tmp_path / "r.csv"
    src.write_text("id,text\nr1,党员志愿者走进敬老院，帮助独居老人检查线路。\n", encoding="utf-8")
    out = tmp_path / "x.sqlite"
    readers, real = [], os.fsync

    def made_meanwhile(fd):  # the finished output synced, just before the last step: another program has made
        if not readers:  # x.sqlite by then, and has it open
            reader = sqlite3.connect(out, isolation_level=None)
            reader.execute("CREATE TABLE t (x)")
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM t").fetchone()
            readers.append(reader)
        return real(fd)

    monkeypatch.setattr(atomic.os, "fsync", made_meanwhile)
    try:
        assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 1
    finally:
        for reader in readers:
            reader.close()
    kept = tmp_path / "x.new.sqlite"
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: {out}: was written by another program while this run worked (two runs with one output?); it is left "
        f"as that one wrote it, and this run's output was saved as {kept} instead: use that file, or move it over "
        f"{out} if that one may go")
    with sqlite3.connect(kept) as con:
        assert con.execute("SELECT count(*) FROM paragraphs").fetchone()[0] == 1


def test_parquet_rows_are_named_from_1_by_tag_stats_and_tag_reading_a_tagged_file(cli_model, tmp_path, capsys):
    """tag named the 3rd input row 'row 3', while stats named the 5th row of a tagged Parquet 'row 4' and tag
    reading a tagged Parquet its first 'row 0'. Every message names a Parquet row from 1, as xlsx and SQLite do."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": ["党员志愿者走进敬老院，为孤寡老人义务检查线路。", "为企业缩短接电时间。", None]}), src)
    tagged = tmp_path / "t.parquet"
    assert main(["tag", str(src), "-o", str(tagged), "--model", cli_model]) == 0
    assert "in.parquet:row 3 (report 'in:2')" in capsys.readouterr().err  # the third row; its id stays 0-based
    table = pq.read_table(tagged)
    rows = table.to_pylist()
    for at in (0, 1):
        bad = tmp_path / f"bad{at}.parquet"
        pq.write_table(pa.Table.from_pylist([{**r, "labels": ["nope"]} if n == at else r for n, r in enumerate(rows)],
                                            schema=table.schema), bad)
        for command in (["tag", str(bad), "--format", "jsonl"], ["stats", str(bad)]):
            assert main([*command, "--model", cli_model] if command[0] == "tag" else command) == 1
            assert f"bad{at}.parquet:row {at + 1}: unknown label id 'nope'" in capsys.readouterr().err


def test_a_kept_value_cut_at_the_cell_limit_is_named_by_its_column_once_and_again_when_read_back(cli_model, tmp_path,
                                                                                                capsys):
    """--keep-columns note with a 40,000-character note to .xlsx: two warnings naming no column, one saying the
    paragraph (of 23 characters) was cut; tagging that workbook again carried the cut value on without a word."""
    src = tmp_path / "kl.csv"
    src.write_text(f"id,note,text\nr1,{'备注' * 20_000},党员志愿者走进敬老院，为孤寡老人义务检查线路。\n", encoding="utf-8")
    book = tmp_path / "kl.xlsx"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "note", "-o", str(book),
                 "--model", cli_model]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "cut to Excel's" in line]
    assert len(said) == 1, said
    assert "report r1: kept column 'note': cut to Excel's 32767 characters per cell" in said[0]
    assert "a kept value, not the paragraph's text: its labels, labels export and review --export are unaffected" \
        in said[0] and "leave a cut paragraph out" not in said[0]
    assert main(["tag", str(book), "-o", str(tmp_path / "again.csv"), "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert err.count("cut at Excel's cell limit") == 1
    assert "kl.xlsx: 1 value of kept columns was cut at Excel's cell limit in it (e.g. " in err and "column 'note'" in err


def test_read_tagged_indexes_rows_by_their_place_in_the_file_as_documented(cli_model, tmp_path, root):
    """The index of read_tagged's frame differs by format (JSONL lines from 1, CSV lines and Excel rows from 2 below
    the header, Parquet and SQLite rows from 1), which was said nowhere (df.loc[0] is no row of most of them).
    Pins what the docstring and README say: each format's index name and first value, and .iloc for positions."""
    from tagger.data.tagged import read_tagged

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                           for i, t in (("r1", "社区为独居老人上门服务。"), ("r2", "老旧小区改造加装电梯。"))),
                   encoding="utf-8")
    first = {"jsonl": ("line", 1), "csv": ("line", 2), "xlsx": ("row", 2), "parquet": ("row", 1), "sqlite": ("row", 1)}
    for fmt, (name, start) in first.items():
        out = tmp_path / f"o.{fmt}"
        assert main(["-q", "tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
        df = read_tagged(out)
        assert (df.index.name, list(df.index)) == (name, [start, start + 1]), fmt
        assert df.iloc[0]["paragraph"] == "r1:0"
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "take positions with `.iloc`" in readme
    assert "Take positions with ``.iloc``" in read_tagged.__doc__


@pytest.mark.parametrize("text, encoding", [("高齢者のための介護サービスを提供するボランティア活動について", "shift_jis"),
                                            ("générée bénévoles énergie", "cp1252"),
                                            ("한국전력공사는 독거노인 가구를 방문하여 전기 설비를 점검했습니다.", "euc-kr")])
def test_a_late_row_that_is_not_common_chinese_in_gbk_stays_a_bad_row_naming_encoding(cli_model, tmp_path, capsys,
                                                                                      text, encoding):
    """Review: a rule that took runs of Han characters as Chinese (to read late rows of traditional Chinese in GBK,
    whose characters are rare in GB2312) read a late Shift-JIS row as Chinese, garbled (崅楊幰偺…), exit 0. A late
    guess must never garble: such rows stay bad rows, and the message names the --encoding the bytes read in (it
    said "e.g. --encoding gb18030 for GBK", which garbles them). (A late row of traditional Chinese in GBK is read as
    GBK now: the test below.)"""
    english = "".join(f"e{i},The company held a routine meeting number {i}.\n" for i in range(2000))
    src = tmp_path / "late.csv"
    src.write_bytes(("id,text\n" + english).encode() + f"c1,{text}\n".encode(encoding))
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "late.csv:2002: holds bytes that are not utf-8, as the rest of the file is: they read as " in err
    assert f"('c1,{text[:16]}" in err and f": pass --encoding {encoding} (or save the file as UTF-8)" in err
    assert "gb18030" not in err and not out.exists()


def test_a_late_windows_1252_row_names_cp1252_not_gbk(cli_model, tmp_path, capsys):
    """Review: 4,000 ASCII rows, then ``Ångström naïve générée bénévoles`` in Windows-1252: the bad row's message said
    "--encoding gb18030 for GBK", which would garble it, though the encoding had been found (and dropped). It is
    named now, and the file tagged with it reads the row; a late row of no other encoding's evidence keeps the
    general advice."""
    src = tmp_path / "late_cp1252.csv"
    english = "".join(f"e{i},The company held a routine meeting number {i}.\n" for i in range(4000))
    src.write_bytes(("id,text\n" + english).encode() + "x1,Ångström naïve générée bénévoles\n".encode("cp1252"))
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert ("late_cp1252.csv:4002: holds bytes that are not utf-8, as the rest of the file is: they read as Western "
            "European text in Windows-1252 ('x1,Ångström naïve généré'): pass --encoding cp1252 (or save the file as "
            "UTF-8)") in err and "gb18030" not in err and not out.exists()
    assert main(["-q", "tag", str(src), "--encoding", "cp1252", "-o", str(out), "--model", cli_model]) == 0
    assert "Ångström naïve générée bénévoles" in out.read_text(encoding="utf-8")
    src.write_bytes(("id,text\n" + english).encode() + b"x1,\xff\xfe\n")  # no encoding's evidence: as before
    assert main(["tag", str(src), "-o", str(tmp_path / "o2.jsonl"), "--model", cli_model]) == 1
    assert "pass --encoding, e.g. --encoding gb18030 for GBK)" in capsys.readouterr().err


def _corpus_row(path):
    """The corpus row of a --summary output (JSONL, CSV, Parquet or the workbook's summary sheet)."""
    import openpyxl
    import pandas as pd

    if path.suffix == ".jsonl":
        return json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    if path.suffix == ".csv":
        return list(csv.DictReader(path.open(encoding="utf-8-sig")))[-1]
    if path.suffix == ".parquet":
        return pd.read_parquet(path).iloc[-1].to_dict()
    header, *rows = openpyxl.load_workbook(path)["summary"].iter_rows(values_only=True)
    return dict(zip(header, rows[-1]))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "xlsx", "sqlite"])
def test_tagging_a_summary_file_again_carries_its_left_out(cli_model, tmp_path, caplog, fmt):
    """Tagging a --summary output again (a new model, or to another format) wrote left_out 0 in the new corpus row,
    though the first run had left 2 input reports out — they are in none of its rows, so the re-tag cannot see them.
    Now the new corpus row carries the count on (this run's own plus the file's), the last line says where it came
    from, and a .sqlite output (no corpus row: it was dropped without a word) records it in tagger_meta."""
    import logging
    import sqlite3

    src = tmp_path / "b.csv"
    src.write_text('id,text\nr1,社区为独居老人上门服务。\nr2,\nr3," "\nr4,老旧小区改造加装电梯。\n', encoding="utf-8")
    first = tmp_path / f"first.{fmt}"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--summary", "-o", str(first), "--model", cli_model]) == 0
    if fmt == "sqlite":
        with sqlite3.connect(first) as conn:
            assert dict(conn.execute("SELECT key, value FROM tagger_meta"))["left_out"] == "2"
    more = tmp_path / "more.csv"  # a new input with a blank report of its own
    more.write_text('id,text\nm1,\nm2,志愿者为孤寡老人修理线路。\n', encoding="utf-8")
    again = tmp_path / "again.jsonl"
    caplog.set_level(logging.INFO)
    assert main(["tag", str(first), str(more), "--id-column", "id", "--summary", "-o", str(again),
                 "--model", cli_model]) == 0
    assert int(_corpus_row(again)["left_out"]) == 3
    assert (f"wrote {again}: 3 reports, 3 paragraphs; 3 input reports with nothing to tag left out (2 of them by the "
            f"run that wrote {first})") in caplog.text, caplog.text
    caplog.clear()
    twice = tmp_path / "twice.xlsx"  # and on: the same count however often it is tagged again
    assert main(["tag", str(again), "--summary", "-o", str(twice), "--model", cli_model]) == 0
    assert int(_corpus_row(twice)["left_out"]) == 3
    assert f"3 input reports with nothing to tag left out (by the run that wrote {again})" in caplog.text


def test_a_left_out_cell_that_is_no_count_is_refused_when_read_back(cli_model, tmp_path, capsys):
    """A corpus row's left_out edited into text is named (file, row, cell) rather than read as 0."""
    src = tmp_path / "b.csv"
    src.write_text('id,text\nr1,社区为独居老人上门服务。\nr2,\n', encoding="utf-8")
    first = tmp_path / "first.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--summary", "-o", str(first), "--model", cli_model]) == 0
    lines = first.read_text(encoding="utf-8").splitlines()
    corpus = json.loads(lines[-1])
    corpus["left_out"] = "two"
    first.write_text("\n".join([*lines[:-1], json.dumps(corpus)]) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["-q", "tag", str(first), "--summary", "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert f"{first}:{len(lines)}: left_out is 'two', not a number of input reports left out" in err, err


def test_a_late_row_of_traditional_chinese_in_gbk_is_read_as_gbk(cli_model, tmp_path):
    """A late row of traditional Chinese in GBK (臺 電 為 舊: GBK's characters beyond GB2312) was a bad row, for the
    test of "reads as Chinese" took GB2312's characters only; it takes the common ones of either script now
    (tagger.common.files.other_encoding: no evidence of another encoding), and the row is read as what it is."""
    text = "臺灣電力公司為舊社區長者檢修線路，並更換老化電表。"
    english = "".join(f"e{i},The company held a routine meeting number {i}.\n" for i in range(2000))
    src = tmp_path / "late.csv"
    src.write_bytes(("id,text\n" + english).encode() + f"c1,{text}\n".encode("gbk"))
    out = tmp_path / "o.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[-1])["text"] == text


def test_every_command_refuses_a_whole_file_in_windows_1252_instead_of_reading_gb18030_garbage(cli_model, tmp_path,
                                                                                                capsys):
    """tag, stats, labels import and evaluate --test read a small Windows-1252 file as GB18030 ("Ångström naïve":
    "舗gstr鰉 na飗e") and tagged, counted or scored it, exit 0 (labels import refused it only for its changed
    text_sha). Each refuses it now, naming the file and the encoding its bytes read as: tag with --encoding cp1252,
    the commands without --encoding with "save the file as UTF-8" from Windows-1252."""
    from tagger.data.examples import text_sha

    text = "Ångström naïve générée bénévoles"
    report = tmp_path / "r.csv"
    report.write_bytes(f"id,text\nr1,{text}\n".encode("cp1252"))
    out = tmp_path / "o.jsonl"
    assert main(["-q", "tag", str(report), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert ("r.csv: reads as Western European text in Windows-1252 ('r1,Ångström naïve généré'), not as UTF-8 or "
            "Chinese; pass --encoding cp1252, or save it as UTF-8") in err and not out.exists()
    assert main(["-q", "tag", str(report), "--id-column", "id", "-o", str(out), "--model", cli_model,
                 "--encoding", "cp1252"]) == 0
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["text"] == text

    tagged = tmp_path / "tagged.jsonl"
    row = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    tagged.write_bytes(json.dumps(row, ensure_ascii=False).encode("cp1252") + b"\n")
    filled = tmp_path / "filled.csv"
    filled.write_bytes(f"id,text_sha,text,labels\nx:1,{text_sha(text)},{text},elderly_care\n".encode("cp1252"))
    labelled = tmp_path / "test.jsonl"
    labelled.write_bytes(json.dumps({"id": "t1", "text": text, "labels": ["elderly_care"]},
                                    ensure_ascii=False).encode("cp1252") + b"\n")
    for argv, path in ((["stats", str(tagged)], tagged),
                       (["labels", "import", str(filled), "--root", str(tmp_path), "--dry-run"], filled),
                       (["evaluate", "--test", str(labelled), "--model", cli_model, "--root", str(tmp_path)],
                        labelled)):
        assert main(["-q", *argv]) == 1, argv
        err = capsys.readouterr().err
        assert f"{path.name}: reads as Western European text in Windows-1252 (" in err, argv
        assert "save the file as UTF-8 (it is in Windows-1252; in Excel" in err and "--encoding" not in err, err


GBK_CHINESE_WITH_ASCII_WORDS = ["客户来电反映app无法缴费", "用户反映10kv线路跳闸停电", "小区wifi信号差", "通过e充电平台", "iPhone手机",
                                "在app上"]


@pytest.mark.parametrize("text", GBK_CHINESE_WITH_ASCII_WORDS)
def test_gbk_chinese_touching_lowercase_ascii_words_is_read_whole_file_and_late_row(cli_model, tmp_path, text):
    """Review: GBK Chinese whose characters touch a lowercase ASCII word (app, 10kv, wifi, e充电, iPhone) was
    refused as "neither UTF-8 nor Chinese …" (a whole file, exit 1) and made a bad row late in a file: a rule took
    Han characters in ASCII words for Windows-1252's accented letters. GB18030 stays the guess without evidence of
    another encoding: both are tagged."""
    whole = tmp_path / "whole.csv"
    whole.write_bytes(f"id,text\nr1,{text}\n".encode("gbk"))
    english = "".join(f"e{i},The company held a routine meeting number {i}.\n" for i in range(3000))
    late = tmp_path / "late.csv"
    late.write_bytes(("id,text\n" + english).encode() + f"c1,{text}\n".encode("gbk"))
    for src in (whole, late):
        out = tmp_path / f"{src.stem}.jsonl"
        assert main(["-q", "tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0, src
        assert json.loads(out.read_text(encoding="utf-8").splitlines()[-1])["text"] == text


def test_gbk_mojibake_with_ascii_words_is_refused_again(cli_model, tmp_path, capsys):
    """Review: a GBK report with an ASCII word (app), read as Windows-1252 and saved as UTF-8, was tagged (exit 0)
    since the mojibake test used the rule that took Han characters in ASCII words for no Chinese; it is refused
    again as GBK read as Latin-1."""
    moj = tmp_path / "moj.txt"
    moj.write_text("客户通过app缴费后仍然停电".encode("gbk").decode("cp1252"), encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["-q", "tag", str(moj), "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "reads as text decoded with a wrong encoding" in err and "GBK read as Latin-1" in err, err
    assert not out.exists()


@pytest.mark.parametrize("text, encoding, codec, read", [
    ("高齢者のための介護サービスを提供しています。", "shift_jis", "shift_jis", "Japanese in Shift-JIS"),
    ("한국전력공사는 독거노인 가구를 방문하여 전기 설비를 점검했습니다.", "euc-kr", "euc-kr", "Korean in EUC-KR")])
def test_commands_without_encoding_name_the_encoding_found(cli_model, tmp_path, capsys, text, encoding, codec, read):
    """Review: labels import, stats and evaluate --test were told "it is in another encoding: Windows-1252 …,
    Shift-JIS, EUC-KR?" whatever the file was, and tag "(…, no Chinese)". Each names the encoding the bytes read as,
    with what they read as: tag to pass it, the others to save the file as UTF-8 from it."""
    from tagger.data.examples import text_sha

    report = tmp_path / "r.csv"
    report.write_bytes(f"id,text\nr1,{text}\n".encode(encoding))
    assert main(["-q", "tag", str(report), "--id-column", "id", "-o", str(tmp_path / "o.jsonl"),
                 "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert f"r.csv: reads as {read} ('r1,{text[:21]}'), not as UTF-8 or Chinese; pass --encoding {codec}" in err, err
    assert "no Chinese" not in err
    filled = tmp_path / "filled.csv"
    filled.write_bytes(f"id,text_sha,text,labels\nx:1,{text_sha(text)},{text},elderly_care\n".encode(encoding))
    labelled = tmp_path / "test.jsonl"
    labelled.write_bytes(json.dumps({"id": "t1", "text": text, "labels": ["elderly_care"]},
                                    ensure_ascii=False).encode(encoding) + b"\n")
    for argv in (["labels", "import", str(filled), "--root", str(tmp_path), "--dry-run"],
                 ["evaluate", "--test", str(labelled), "--model", cli_model, "--root", str(tmp_path)]):
        assert main(["-q", *argv]) == 1, argv
        err = capsys.readouterr().err
        assert f"reads as {read} (" in err and f"save the file as UTF-8 (it is in {read.split()[-1]};" in err, err
        assert "--encoding" not in err and "Windows-1252" not in err, err
