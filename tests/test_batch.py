"""Batch tagging (tagger.apps.batch through ``tagger tag``, and tagger.pipeline): tabular inputs, formats,
summary rows, bad rows and files, atomic output, processes, hostile text."""

import contextlib
import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from tagger import LABELS
from tagger.apps.batch import BadRow, Record, format_for, iter_records
from tagger.apps.cli import main
from tagger.data.examples import text_sha
from tagger.errors import InputError

from helpers import decodes

REPORTS = {
    "r1": "为民服务 暖心行动\n党员志愿者走进敬老院,为孤寡老人义务检查线路。\n公司召开党委会议。",
    "r2": "供电公司开辟绿色通道,仅用7天为园区企业完成报装接电。",
}
ELDERLY = "党员志愿者走进敬老院,为孤寡老人义务检查线路。"


@pytest.fixture
def inputs(tmp_path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("".join(json.dumps({"doc_id": k, "body": v}, ensure_ascii=False) + "\n"
                             for k, v in REPORTS.items()), encoding="utf-8")
    csv_path = tmp_path / "in.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["doc_id", "body"])
        w.writerows(REPORTS.items())
    parquet = tmp_path / "in.parquet"
    pd.DataFrame({"doc_id": list(REPORTS), "body": list(REPORTS.values())}).to_parquet(parquet)
    return {"jsonl": jsonl, "csv": csv_path, "parquet": parquet}


def _jsonl(text):
    return [json.loads(line) for line in text.splitlines()]


def _stdin(monkeypatch, data: bytes):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_tabular_inputs_agree(cli_model, inputs, kind, capsys):
    code = main(["tag", str(inputs[kind]), "--text-column", "body", "--id-column", "doc_id", "--format",
                 "jsonl", "--model", cli_model])
    assert code == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [r["paragraph"] for r in rows] == ["r1:0", "r1:1", "r1:2", "r2:0"]
    assert [r["report"] for r in rows] == ["r1", "r1", "r1", "r2"]
    assert rows[0]["kind"] == "heading" and rows[0]["labels"] == []
    assert "elderly_care" in rows[1]["labels"] and "business_connection_speed" in rows[3]["labels"]
    assert rows[1]["text"] == ELDERLY and all(0 <= rows[1][f"score_{lab}"] <= 1 for lab in LABELS)


def test_default_report_ids_of_tables(cli_model, inputs, capsys):
    assert main(["tag", str(inputs["jsonl"]), "--text-column", "body", "--format", "jsonl", "--model", cli_model]) == 0
    assert [r["report"] for r in _jsonl(capsys.readouterr().out)] == ["in:1"] * 3 + ["in:2"]  # file stem + line


def test_summary_rows_and_corpus_total(cli_model, inputs, capsys):
    assert main(["tag", str(inputs["jsonl"]), "--text-column", "body", "--id-column", "doc_id",
                 "--format", "jsonl", "--summary", "--model", cli_model]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [r["row_type"] for r in rows] == ["paragraph"] * 3 + ["report"] + ["paragraph", "report", "corpus"]
    r1 = rows[3]
    assert r1["report"] == "r1" and r1["n_paragraphs"] == 3 and "elderly_care" in r1["labels"]
    assert r1["count_elderly_care"] == sum("elderly_care" in r["labels"] for r in rows[:3])
    corpus = rows[-1]
    assert corpus["reports"] == 2 and corpus["n_paragraphs"] == 4
    for lab in LABELS:
        assert corpus[f"count_{lab}"] == rows[3][f"count_{lab}"] + rows[5][f"count_{lab}"]


def test_summary_counts_a_repeated_report_id_once(cli_model, tmp_path, capsys):
    """Two input reports with one id: rows stay in input order, each report gets its summary row, the
    corpus counts the id once."""
    src = tmp_path / "dup.csv"
    src.write_text(f'id,text\na,"{ELDERLY}"\nb,公司召开党委会议。\na,为老旧小区加装电梯接电。\n', encoding="utf-8")
    assert main(["tag", str(src), "--id-column", "id", "--format", "jsonl", "--summary", "--model", cli_model]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [(r["row_type"], r["report"]) for r in rows] == [
        ("paragraph", "a"), ("report", "a"), ("paragraph", "b"), ("report", "b"), ("paragraph", "a"), ("report", "a"),
        ("corpus", "(all)")]
    assert [r["n_paragraphs"] for r in rows if r["row_type"] == "report"] == [1, 1, 1]
    assert rows[-1]["reports"] == 2 and rows[-1]["n_paragraphs"] == 3


@pytest.mark.parametrize("fmt", ["jsonl", "sqlite", "xlsx"])
def test_summary_does_not_depend_on_chunk_size(cli_model, tmp_path, fmt):
    """Where the chunks are cut (--chunk-size) changes neither the row order nor the summary rows, also when
    an id is repeated next to itself and further on, and when the repeat opens with page chrome (its first
    paragraph is then a:1, so paragraph numbers alone cannot tell the two reports apart)."""
    src = tmp_path / "dup.csv"
    src.write_text(f'id,text\na,"{ELDERLY}\n\n为老旧小区加装电梯接电。"\na,公司召开党委会议。\nb,公司召开党委会议。\n'
                   f'a,"{ELDERLY}"\na,"当前位置: 首页 > 新闻\n公司召开党委会议。"\n', encoding="utf-8")
    outs = []
    for size in (1, 2, 3, 500):
        out = tmp_path / f"out{size}.{fmt}"
        assert main(["tag", str(src), "--id-column", "id", "--summary", "--chunk-size", str(size), "-o", str(out),
                     "--model", cli_model]) == 0
        if fmt == "sqlite":
            with contextlib.closing(sqlite3.connect(out)) as conn:
                outs.append((conn.execute("SELECT * FROM paragraphs").fetchall(),
                             conn.execute("SELECT report, n_paragraphs FROM reports").fetchall()))
        elif fmt == "xlsx":
            sheet = pd.read_excel(out, sheet_name="summary")
            outs.append(list(zip(sheet["report"], sheet["n_paragraphs"])))
        else:
            outs.append(out.read_bytes())
    assert outs[1:] == outs[:-1]
    if fmt == "jsonl":
        rows = _jsonl(outs[0].decode("utf-8"))
        assert [r["paragraph"] for r in rows if r["row_type"] == "paragraph"] == ["a:0", "a:1", "a:0", "b:0", "a:0", "a:1"]
        assert [r["n_paragraphs"] for r in rows if r["row_type"] == "report"] == [2, 1, 1, 1, 1]
        assert all("_input" not in r for r in rows)
    elif fmt == "sqlite":
        assert outs[0][1] == [("a", 2), ("a", 1), ("b", 1), ("a", 1), ("a", 1)]
    else:
        assert outs[0][:5] == [("a", 2), ("a", 1), ("b", 1), ("a", 1), ("a", 1)]


def test_review_refuses_reports_with_one_id(cli_model, tmp_path, capsys):
    """--review needs each paragraph id once (the review page finds paragraphs by id): two input reports
    with one id are refused before anything is written (without --review they stay apart, above)."""
    src = tmp_path / "dup.jsonl"
    src.write_text('{"id": "a", "text": "党员为孤寡老人检查线路。"}\n'
                   '{"id": "a", "text": "当前位置: 首页 > 新闻\\n公司召开党委会议。"}\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "--summary", "--review", "50%", "-o", str(out),
                 "--model", cli_model]) == 1
    assert "report id 'a' is given to two input reports" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [src]  # no output, no spool left
    (tmp_path / "t").mkdir()  # a text file's id is its name: --id-column cannot help there (the advice said it)
    (tmp_path / "t" / "a.txt").write_text("党员为孤寡老人检查线路。\n", encoding="utf-8")
    assert main(["tag", str(src), str(tmp_path / "t"), "--id-column", "id", "--review", "50%", "-o", str(out),
                 "--model", cli_model, "--on-error", "skip"]) == 1
    assert "a text file's name, which is its id" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["tag", "stats", "review"])
def test_a_csv_quote_left_open_is_an_error_not_the_rest_of_the_file(cli_model, root, tmp_path, kind, capsys):
    """An unclosed quote used to swallow every later row into one cell (reports b and c vanished, exit 0)."""
    if kind == "tag":
        src = tmp_path / "unc.csv"
        src.write_text('id,text\na,"unclosed 党员志愿者走进敬老院。\nb,fine。\nc,另一个报告。\n', encoding="utf-8")
        assert main(["tag", str(src), "--id-column", "id", "--model", cli_model]) == 1
        err = capsys.readouterr().err
        assert "unc.csv:2: malformed CSV" in err and "never closed" in err
        assert main(["tag", str(src), "--id-column", "id", "--on-error", "skip", "--model", cli_model]) == 1
        assert "no input could be tagged: skipped 1 bad input, first: " in capsys.readouterr().err  # all in row 2
        return
    tagged = tmp_path / "t.csv"
    assert main(["-q", "tag", str(root / "seeds"), "--model", cli_model, "--review", "3",
                 "-o", str(tagged)]) == 0
    lines = tagged.read_bytes().decode("utf-8-sig").splitlines(keepends=True)
    lines[2] = lines[2].replace(",", ',"', 1)  # a quote opened in row 2's second cell and never closed
    tagged.write_bytes("".join(lines).encode("utf-8"))
    if kind == "stats":
        assert main(["stats", str(tagged)]) == 1
        assert "malformed CSV" in capsys.readouterr().err
    else:
        from tagger.apps.review import TaggedFile

        with pytest.raises(InputError, match="malformed CSV"):
            TaggedFile(tagged)


def test_a_csv_row_in_another_encoding_far_into_the_file_is_named_and_skipped_alone(cli_model, tmp_path, capsys):
    """Review: a GBK row after the first 64 KiB of a UTF-8 CSV was reported some 150 lines early, and
    --on-error skip dropped every row from there to the end of the decoded block."""
    src = tmp_path / "big.csv"
    with open(src, "wb") as f:
        f.write(b"id,text\r\n")
        for i in range(3000):
            f.write(f"r{i},Power supply service for the elderly.\r\n".encode())
        f.write("g,党员服务队为孤寡老人义务检查线路。\r\n".encode("gbk"))  # line 3002
        f.write("z,党员服务队为孤寡老人义务检查线路。\r\n".encode())
    assert main(["tag", str(src), "--id-column", "id", "--model", cli_model, "--format", "jsonl"]) == 1
    assert "big.csv:3002: holds bytes that are not utf-8" in capsys.readouterr().err
    out = tmp_path / "o.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--on-error", "skip", "--model", cli_model,
                 "-o", str(out)]) == 3
    reports = {r["report"] for r in _jsonl(out.read_text(encoding="utf-8")) if r.get("row_type", "paragraph") == "paragraph"}
    assert len(reports) == 3001 and "g" not in reports and "z" in reports


def test_input_key_cannot_be_kept(cli_model, tmp_path, capsys):
    src = tmp_path / "k.csv"
    src.write_text("id,text,_input\na,公司召开党委会议。,x\n", encoding="utf-8")
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "_input", "--model", cli_model]) == 2
    assert "_input" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "table"])
def test_output_files(cli_model, inputs, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    assert main(["tag", str(inputs["csv"]), "--text-column", "body", "--id-column", "doc_id", "--format", fmt,
                 "--output", str(out), "--model", cli_model]) == 0
    if fmt == "parquet":
        df = pd.read_parquet(out)
        assert len(df) == 4 and list(df["labels"].iloc[1]) == ["elderly_care", "volunteer_work"]
        assert df["score_elderly_care"].dtype == "float64"
    elif fmt == "csv":
        df = pd.read_csv(out)
        assert len(df) == 4 and df["labels"].iloc[1] == "elderly_care;volunteer_work"
        assert list(df.columns[:6]) == ["row_type", "report", "paragraph", "kind", "text", "labels"]
    elif fmt == "jsonl":
        assert [r["paragraph"] for r in _jsonl(out.read_text(encoding="utf-8"))] == ["r1:0", "r1:1", "r1:2", "r2:0"]
    else:
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 4 and lines[0].startswith("r1:0 [heading]\t-\t")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


@pytest.mark.parametrize("output, fmt, expected", [
    ("out.csv", None, "csv"), ("out.JSONL", None, "jsonl"), ("out.ndjson", None, "jsonl"),
    ("out.parquet", None, "parquet"), ("out.txt", None, "table"), ("out.tsv", "csv", "csv"),
    (None, None, "table"), ("out.dat", "csv", "csv"), ("out.txt", "table", "table"), (None, "jsonl", "jsonl"),
    ("/dev/null", None, "table"), ("out.json", "jsonl", "jsonl"),
])
def test_output_format_from_the_extension(output, fmt, expected):
    assert format_for(output, fmt) == expected


@pytest.mark.parametrize("output, fmt, message", [
    ("out.csv", "jsonl", "out.csv: the extension says csv but --format is jsonl"),
    ("out.txt", "jsonl", "the extension says table"),
    (None, "parquet", "--format parquet needs --output"),
])
def test_contradicting_format_is_refused(output, fmt, message):
    with pytest.raises(InputError, match=message):
        format_for(output, fmt)


@pytest.mark.parametrize("name, hint", [("out.tsv", "name it .csv"), ("out.json", "name it .jsonl"),
                                        ("out.html", "--html"), ("out.XLS", "name it .xlsx"), ("out", None)])
def test_an_unknown_output_extension_is_refused_not_written_as_the_display_table(cli_model, tmp_path, name, hint,
                                                                                  capsys):
    """Review 1, finding 2: -o tagged.tsv / .json / .html / .xls / no extension wrote the display table (text cut
    at 60 characters, scores as elderly=0.99), a file no reader takes back."""
    src = tmp_path / "r.txt"
    src.write_text("为孤寡老人检查线路," * 20 + "。\n", encoding="utf-8")
    out = tmp_path / name
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 2
    err = capsys.readouterr().err
    assert f"{out}: unknown output extension" in err and ".jsonl, .csv, .parquet, .xlsx or .sqlite" in err
    assert (hint or "(none)") in err and not out.exists()
    assert main(["tag", str(src), "-o", str(out), "--format", "jsonl", "--model", cli_model]) == 0  # said: written
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["text"] == "为孤寡老人检查线路," * 20 + "。"
    assert main(["tag", str(src), "-o", "/dev/null", "--model", cli_model]) == 0  # a device: the table, as stdout


def test_format_follows_the_output_extension(cli_model, inputs, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["tag", str(inputs["jsonl"]), "--text-column", "body", "-o", str(out), "--model", cli_model]) == 0
    assert out.read_text(encoding="utf-8").startswith("\ufeffrow_type,report,paragraph,kind,text,labels,score_")
    bad = tmp_path / "bad.csv"
    assert main(["tag", str(inputs["jsonl"]), "--text-column", "body", "-o", str(bad), "--format", "jsonl",
                 "--model", cli_model]) != 0
    assert "the extension says csv but --format is jsonl" in capsys.readouterr().err and not bad.exists()


def test_contradicting_format_is_a_usage_error(cli_model, inputs, tmp_path):
    """Exit code 2 (usage), as argparse's own usage errors."""
    assert main(["tag", str(inputs["csv"]), "--format", "parquet", "--model", cli_model]) == 2
    assert main(["tag", str(inputs["csv"]), "-o", str(tmp_path / "x.csv"), "--format", "jsonl",
                 "--model", cli_model]) == 2


def test_bad_rows_fail_without_partial_output(cli_model, tmp_path, capsys):
    src = tmp_path / "bad.jsonl"
    src.write_text(f'{{"text": "{ELDERLY}"}}\n{{"text": 5}}\n{{"text": "x", broken\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "--format", "jsonl", "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "bad.jsonl:2: 'text' is int, expected text" in err and "--on-error skip" in err
    assert "Traceback" not in err
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["bad.jsonl"]


@pytest.mark.parametrize("content", ["\u200b\n", "当前位置: 首页 > 新闻\n评论\n"])
def test_nothing_to_tag_leaves_no_output_file(cli_model, tmp_path, content, capsys):
    """Only chrome or invisible characters: exit 1 and, as for every failure, no output file."""
    src = tmp_path / "r.txt"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 1
    assert "nothing to tag" in capsys.readouterr().err
    assert not out.exists()


def test_bad_rows_skipped_with_exit_code_3(cli_model, tmp_path, capsys):
    src = tmp_path / "bad.jsonl"
    src.write_text(f'{{"text": "{ELDERLY}"}}\n{{"text": null}}\n{{"text": "x", broken\n{{"text": "  "}}\n'
                   '{"body": "x"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "--format", "jsonl", "-o", str(out), "--on-error", "skip",
                 "--model", cli_model]) == 3
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    err = capsys.readouterr().err
    assert "skipped 2 bad inputs, first: " in err
    for where, reason in [(3, "not valid JSON"), (5, "no 'text' field")]:
        assert f"bad.jsonl:{where}: {reason}" in err
    assert "2 input reports had no paragraphs" in err and "bad.jsonl:2 (report 'bad:2')" in err  # null, "  "


def test_missing_text_column_and_bad_files(cli_model, inputs, tmp_path, capsys):
    """A column the options name that the table lacks is a setup mistake: the error says which column and what
    the columns are, and does not offer --on-error skip (user test: following it wrote an empty output)."""
    assert main(["tag", str(inputs["csv"]), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "in.csv: no column 'text'" in err and "--on-error skip" not in err
    assert main(["tag", str(inputs["parquet"]), "--text-column", "nope", "--model", cli_model]) == 1
    assert "in.parquet: no column 'nope'" in capsys.readouterr().err
    assert main(["tag", str(inputs["csv"]), "--text-column", "body", "--keep-columns", "region", "--model",
                 cli_model]) == 1
    err = capsys.readouterr().err
    assert "no column 'region' to keep" in err and "(fix --keep-columns)" in err and "--on-error skip" not in err
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01binary")
    assert main(["tag", str(tmp_path / "bin.txt"), "--model", cli_model]) == 1
    assert "bin.txt: looks like a binary file" in capsys.readouterr().err
    assert main(["tag", str(tmp_path / "x.parquet"), "--model", cli_model]) == 1
    assert "x.parquet: no such file" in capsys.readouterr().err  # a missing file, not an unreadable one (review)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    assert main(["tag", str(tmp_path / "broken.parquet"), "--model", cli_model]) == 1
    assert "broken.parquet: not a readable Parquet file" in capsys.readouterr().err


def test_directory_glob_and_jobs(cli_model, root, capsys):
    args = ["tag", str(root / "seeds"), "--format", "jsonl", "--model", cli_model, "--chunk-size", "2"]
    assert main(args) == 0
    one = _jsonl(capsys.readouterr().out)
    assert main(args + ["--jobs", "2"]) == 0
    assert _jsonl(capsys.readouterr().out) == one and len(one) == 109
    assert [r["report"] for r in one] == sorted(r["report"] for r in one)  # input order kept
    assert main(["tag", str(root / "seeds"), "--glob", "*.md", "--model", cli_model]) == 1
    assert "no files matching '*.md'" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "table"])
@pytest.mark.parametrize("summary", [False, True])
def test_chunks_encoded_where_tagged_write_the_same_bytes(seed_model, cli_model, fmt, summary):
    """Line formats: chunks encoded by the writer's encoder (as a worker does) give the same file as the
    rows written by the writer itself, summary and corpus rows included; the run's counts agree."""
    from tagger.apps.batch import BatchStats, EncodedRows, Writer, tag_records

    records = [Record("r1", REPORTS["r1"], "in:1", {"company": ["甲", 1]}),
               Record("r2", REPORTS["r2"], "in:2", {"company": None}),
               Record("r1", REPORTS["r2"], "in:3", {"company": "=x"})]  # a repeated id, in another chunk
    outputs, stats = [], []
    for encode in (False, True):
        buf, run = io.StringIO(newline=""), BatchStats()
        writer = Writer(fmt, buf, summary=summary, keep=["company"], evidence=True, bom=fmt == "csv")
        for chunk in tag_records(records, seed_model, cli_model, chunk_size=2, evidence=True, stats=run,
                                 encoder=writer.line_encoder if encode else None):
            assert isinstance(chunk, EncodedRows) is encode
            writer.write(chunk)
        writer.close()
        outputs.append(buf.getvalue())
        stats.append((run.reports, run.paragraphs))
    assert outputs[1] == outputs[0] and stats[1] == stats[0] == (2, 5)  # r1 twice (two chunks): one id
    if summary:
        assert ("== corpus: 2 reports, 5 paragraphs" if fmt == "table" else "(all)") in outputs[0]


def test_only_line_formats_take_encoded_chunks(tmp_path):
    from tagger.apps.batch import ChunkTally, EncodedRows, RowEncoder, Writer

    assert Writer("parquet", tmp_path / "x.parquet").line_encoder is None
    assert Writer("jsonl", io.StringIO()).line_encoder is not None
    with pytest.raises(ValueError, match="cannot go to a parquet file"):
        Writer("parquet", tmp_path / "x.parquet").write(EncodedRows("", ChunkTally([], 0, {})))
    with pytest.raises(ValueError, match="not a line format"):
        RowEncoder("sqlite").encode([])
    # a chunk encoded with other settings than the writer's (summary rows, kept columns) is refused
    row = {"report": "r", "paragraph": "r:0", "kind": "body", "text": "t", "labels": []}
    with pytest.raises(ValueError, match="encode them with writer.line_encoder"):
        Writer("jsonl", io.StringIO(), summary=True).write(RowEncoder("jsonl").encode_chunk([row]))
    with pytest.raises(ValueError, match="encode them with writer.line_encoder"):
        Writer("csv", io.StringIO(), keep=["company"]).write(RowEncoder("csv").encode_chunk([row]))
    out = io.StringIO()
    writer = Writer("jsonl", out)
    writer.write(writer.line_encoder.encode_chunk([row]))
    assert out.getvalue().count("\n") == 1


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "table"])
def test_jobs_write_the_same_bytes(cli_model, root, tmp_path, fmt):
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}.{'txt' if fmt == 'table' else fmt}"
        assert main(["tag", str(root / "seeds"), "--format", fmt, "--summary", "--evidence", "--model", cli_model,
                     "--chunk-size", "3", "--jobs", jobs, "-o", str(out)]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0].count(b"\n") > 109


def test_lazy_json_blocks_give_the_records_of_the_file(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "一"}\n\n[1]\n{"text": "二", "id": "x"}\n{"id": 1}\n{"text": "三"}\n', encoding="utf-8")
    blocks = list(iter_records([str(path)], id_column=None, batch_rows=2, lazy_json=True))
    assert [type(b).__name__ for b in blocks] == ["JsonRows"] * 3
    expected = [Record("t:1", "一", f"{path}:1"), BadRow(f"{path}:3", "expected a JSON object, got list"),
                Record("t:4", "二", f"{path}:4"), BadRow(f"{path}:5", "no 'text' field (use --text-column)"),
                Record("t:6", "三", f"{path}:6")]
    assert [rec for b in blocks for rec in b.records()] == expected
    assert list(iter_records([str(path)], id_column=None, batch_rows=2)) == expected


def test_jobs_leave_json_parsing_to_the_workers(cli_model, tmp_path, monkeypatch):
    """With --jobs 2 the main process reads JSONL lines but never parses one (the workers do)."""
    import tagger.common.files as files

    parsed_here: list[str] = []
    original = files._json_object

    def spy(line, *more):
        parsed_here.append(line)
        return original(line, *more)

    monkeypatch.setattr(files, "_json_object", spy)
    src = tmp_path / "t.jsonl"
    src.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in REPORTS.values()),
                   encoding="utf-8")
    for jobs in ("2", "1"):
        out = tmp_path / f"j{jobs}.jsonl"
        assert main(["tag", str(src), "--model", cli_model, "--jobs", jobs, "--chunk-size", "1", "-o", str(out)]) == 0
        assert len(parsed_here) == (0 if jobs == "2" else len(REPORTS))
    assert (tmp_path / "j1.jsonl").read_bytes() == (tmp_path / "j2.jsonl").read_bytes()


def test_small_json_files_share_chunks(seed_model, cli_model, tmp_path):
    """A JSONL block counts its lines toward the chunk size: many one-line files are tagged in a few
    chunks, not one chunk each; every input report keeps its own summary row."""
    from tagger.apps.batch import tag_records

    names = [f"f{i}.jsonl" for i in range(7)]
    for name in names:
        (tmp_path / name).write_text('{"id": "A", "text": "供电所为老人检查线路。"}\n', encoding="utf-8")
    records = iter_records([str(tmp_path / n) for n in names], id_column="id", batch_rows=3, lazy_json=True)
    chunks = list(tag_records(records, seed_model, cli_model, chunk_size=3))
    assert [len(c) for c in chunks] == [3, 3, 1]
    out = tmp_path / "o.jsonl"
    assert main(["tag", *(str(tmp_path / n) for n in names), "--id-column", "id", "--summary", "--model", cli_model,
                 "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["row_type"] for r in rows] == ["paragraph", "report"] * 7 + ["corpus"] and rows[-1]["reports"] == 1


def test_stdin_json_lines_keep_unicode_line_separators(cli_model, monkeypatch, capsys):
    """U+2028 inside a JSON string (json.dumps(ensure_ascii=False) leaves it) does not end the line."""
    _stdin(monkeypatch, (json.dumps({"text": "供电所为老人\u2028检查线路。"}, ensure_ascii=False) + "\n").encode())
    assert main(["tag", "-", "--input-format", "jsonl", "--model", cli_model, "--format", "jsonl"]) == 0
    assert "检查线路" in capsys.readouterr().out


def test_jsonl_output_escapes_the_line_separators_other_readers_split_at(cli_model, tmp_path):
    """A paragraph may hold U+0085 now (it ends none), a kept column anything: tagger tag wrote them raw into its
    JSONL, and a reader that splits lines as Python's str.splitlines does (the adversarial suite) read half a line.
    They are escaped as the label exports escape them (tagger.common.files.jsonl_line)."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "r1", "note": "甲\u2028乙\u2029丙", "text": "供电所为老人\x85检查线路。"},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "note", "--model", cli_model,
                 "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert not any(ch in text for ch in "\x85\u2028\u2029")
    (row,) = [json.loads(line) for line in text.splitlines()]
    assert (row["text"], row["note"]) == ("供电所为老人\x85检查线路。", "甲\u2028乙\u2029丙")


def _mixed_inputs(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "供电所为老人检查线路。"}\n\n[1]\n{x\n{"id": 5}\n', encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n\n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_bytes(b'{"text": "\xff\xfe"}\n')
    (tmp_path / "d.jsonl").write_text('{"text": "志愿者上门为空巢老人检修线路。"}\n', encoding="utf-8")
    return [str(tmp_path / n) for n in ("a.jsonl", "b.jsonl", "missing.txt", "c.jsonl", "d.jsonl")]


@pytest.mark.parametrize("on_error", ["skip", "fail"])
def test_jobs_handle_bad_rows_in_input_order(cli_model, tmp_path, capsys, on_error):
    """Bad lines found by the workers and bad files found while reading are reported in input order,
    whatever the number of processes (the first one named is the same)."""
    inputs = _mixed_inputs(tmp_path)
    outs, errs = [], []
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}.jsonl"
        code = main(["tag", *inputs, "--model", cli_model, "--chunk-size", "2", "--jobs", jobs, "--on-error", on_error,
                     "-o", str(out)])
        assert code == (3 if on_error == "skip" else 1)
        errs.append([line for line in capsys.readouterr().err.strip().splitlines() if "wrote" not in line])
        outs.append(out.read_bytes() if out.exists() else None)
    assert outs[0] == outs[1] and errs[0] == errs[1]
    if on_error == "skip":
        skipped = [line.split("skipped ", 1)[1] for line in errs[0] if "WARNING" in line]
        assert [s.split(": ", 1)[0].rsplit("/", 1)[-1] for s in skipped] == [
            "a.jsonl:3", "a.jsonl:4", "a.jsonl:5", "missing.txt", "c.jsonl"]
        assert errs[0][-1].startswith("warning: skipped 5 bad inputs, first:") and "a.jsonl:3" in errs[0][-1]
        assert outs[0].count(b"\n") == 2
    else:
        assert "a.jsonl:3: expected a JSON object" in errs[0][-1] and outs[0] is None


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_worker_warnings_come_in_input_order(cli_model, tmp_path, capsys, jobs):
    """A worker's warnings (a lone surrogate replaced) and bad rows are reported by the main process, in
    input order: a bad line 1 before line 2's warning; with --on-error fail, line 2 is never reached."""
    src = tmp_path / "s.jsonl"
    src.write_text('[1]\n{"text": "供电所为老人检查线路\\ud800。"}\n', encoding="utf-8")
    assert main(["tag", str(src), "--model", cli_model, "--jobs", jobs, "--on-error", "skip", "-o",
                 str(tmp_path / "o.jsonl")]) == 3
    err = [line for line in capsys.readouterr().err.splitlines() if "WARNING" in line]
    assert "s.jsonl:1: expected a JSON object" in err[0] and "s.jsonl:2: lone surrogate" in err[1] and len(err) == 2
    assert main(["tag", str(src), "--model", cli_model, "--jobs", jobs, "-o", str(tmp_path / "f.jsonl")]) == 1
    assert "surrogate" not in capsys.readouterr().err


def test_tag_frame(seed_model):
    from tagger.pipeline import ROW_COLUMNS, tag_frame

    df = pd.DataFrame({"id": list(REPORTS), "body": list(REPORTS.values())})
    out = tag_frame(seed_model, df, "body", "id")
    assert list(out.columns) == ROW_COLUMNS
    assert list(out["paragraph"]) == ["r1:0", "r1:1", "r1:2", "r2:0"]
    assert out.filter(like="score_").shape[1] == 5 and (out.filter(like="score_").dtypes == "float64").all()
    assert out["labels"].iloc[1] == ["elderly_care", "volunteer_work"]
    empty = tag_frame(seed_model, df.iloc[:0], "body", "id")
    assert len(empty) == 0 and list(empty.columns) == list(out.columns)
    assert list(tag_frame(seed_model, df, "body", evidence=True)["report"]) == ["0", "0", "0", "1"]  # index as id
    ev = tag_frame(seed_model, df, "body", "id", evidence=True)["evidence"]
    assert set(ev.iloc[1]) == {"elderly_care", "volunteer_work"}
    with pytest.raises(KeyError, match="column 'nope' not found"):
        tag_frame(seed_model, df, "nope")
    with pytest.raises(TypeError, match="report 'x'"):
        tag_frame(seed_model, pd.DataFrame({"id": ["x"], "body": [b"bytes"]}), "body", "id")


def test_tag_frame_refuses_missing_or_unusable_ids_as_tag_does(seed_model):
    """NaN and None ids became the report "nan" twice (two reports merged, paragraph ids collided),
    where ``tagger tag`` refuses the same rows."""
    from tagger.pipeline import tag_frame

    for ids, message in [([np.nan, "b"], r"row 0: no 'id' value"), ([None, "b"], r"row 0: no 'id' value"),
                         (["a", " b"], r"row 1: 'id' value has white space at its ends"),
                         (["a", "b\x1b"], r"row 1: 'id' value contains the invisible character U\+001B")]:
        df = pd.DataFrame({"id": ids, "body": ["敬老院慰问老人。", "老旧小区改造。"]}, dtype=object)
        with pytest.raises(ValueError, match=message):
            tag_frame(seed_model, df, "body", "id")
    numbered = tag_frame(seed_model, pd.DataFrame({"id": [7, 8], "body": ["敬老院慰问老人。", "老旧小区改造。"]}), "body", "id")
    assert list(numbered["paragraph"]) == ["7:0", "8:0"]
    # as tagger tag reads a JSON id true or 1.5 (review): a boolean or a float became the report 'True' or '7.0'
    for ids, message in [([True, False], r"row 0: 'id' value True is a bool, not an id"),
                         ([7.0, 8.5], r"row 0: 'id' value 7\.0 is a float, not an id: .*astype\('Int64'\)")]:
        with pytest.raises(ValueError, match=message):
            tag_frame(seed_model, pd.DataFrame({"id": ids, "body": ["敬老院慰问老人。", "老旧小区改造。"]}), "body", "id")


def test_tag_frame_refuses_a_repeated_or_multi_level_index(seed_model):
    """Review: after pd.concat without ignore_index two reports shared the id "0"; a MultiIndex gave a traceback."""
    from tagger.pipeline import tag_frame
    pd = pytest.importorskip("pandas")
    df = pd.concat([pd.DataFrame({"text": ["党员为孤寡老人检查线路。"]}), pd.DataFrame({"text": ["公司召开会议。"]})])
    with pytest.raises(ValueError, match=r"index repeats \('0'\).*reset_index\(drop=True\)"):
        tag_frame(seed_model, df)
    assert len(tag_frame(seed_model, df.reset_index(drop=True))) == 2
    assert len(tag_frame(seed_model, df.assign(id=["a", "b"]), id_column="id")) == 2
    multi = df.reset_index(drop=True).set_index([pd.Index(["a", "b"]), pd.Index([1, 2])])
    with pytest.raises(ValueError, match="MultiIndex"):
        tag_frame(seed_model, multi)


def test_tag_frame_wrong_arguments_say_what_to_pass(seed_model):
    from tagger import tag_frame

    df = pd.DataFrame({"text": list(REPORTS.values())})
    for model, frame, message in [
        (seed_model, df["text"], r"expects a pandas DataFrame of reports .*got Series; .*text_column='text'"),
        (seed_model, "text", r"expects a pandas DataFrame of reports .*got str; .*model\.predict"),
        (df, seed_model, r"expects a trained model first, got DataFrame; the DataFrame comes second"),
        ("models/tagger.npz", df, r"got str; load it: tag_frame\(tagger\.load\('models/tagger\.npz'\), df\)"),
        (Path("m.npz"), df, r"got PosixPath; load it|got WindowsPath; load it"),
        (None, df, r"expects a trained model first, got NoneType; load one with tagger\.load\(\)"),
    ]:
        with pytest.raises(TypeError, match=message):
            tag_frame(model, frame)


@pytest.mark.parametrize("ids", [pd.array(["a", None], dtype="string"), pd.array([1, None], dtype="Int64")])
def test_tag_frame_names_the_row_of_a_missing_nullable_id(seed_model, ids):
    """Review B: pandas' NA (nullable string or integer columns, Parquet read with them) gave "boolean
    value of NA is ambiguous" instead of the row without an id."""
    from tagger.pipeline import tag_frame

    df = pd.DataFrame({"id": ids, "body": ["敬老院慰问老人。", "老旧小区改造。"]})
    with pytest.raises(ValueError, match=r"row 1: no 'id' value; give every report an id"):
        tag_frame(seed_model, df, "body", "id")


@pytest.mark.parametrize("missing", [np.nan, pd.NA, None])
def test_tag_frame_leaves_out_a_missing_text_as_tag_does(seed_model, missing):
    """A blank body read with pd.read_csv is NaN: tag_frame raised "TypeError: report 'b': 'body' is missing", while
    tagger tag leaves a report with an empty or missing text out and names it. One rule: no rows, a UserWarning
    naming it by id, the other reports tagged — as tagger tag tags the same CSV."""
    from tagger.pipeline import tag_frame

    df = pd.DataFrame({"id": ["a", "b", "c"], "body": pd.array(["敬老院慰问老人。", missing, "老旧小区改造。"], dtype=object)})
    with pytest.warns(UserWarning, match=r"1 report\(s\) had no paragraphs \(an empty, blank or missing text.*: 'b'$"):
        out = tag_frame(seed_model, df, "body", "id")
    assert out["report"].tolist() == ["a", "c"]
    with pytest.raises(TypeError, match=r"report 'b': 'body' is int, expected text"):
        tag_frame(seed_model, df.assign(body=["敬老院慰问老人。", 3, "老旧小区改造。"]), "body", "id")


def test_tag_frame_says_which_reports_have_no_rows(seed_model):
    """User test: the advice for a missing text was fillna(''), after which the report vanished from the frame
    without a word (82 rows, one report missing); tagger tag names such reports. So does tag_frame, with a
    UserWarning, and its advice is to drop the rows."""
    from tagger.pipeline import tag_frame

    df = pd.DataFrame({"id": ["a", "b", "c"], "body": ["敬老院慰问老人。", "", "当前位置: 首页 > 新闻"]})
    with pytest.warns(UserWarning, match=r"2 report\(s\) had no paragraphs .*: 'b', 'c'"):
        out = tag_frame(seed_model, df, "body", "id")
    assert out["report"].tolist() == ["a"]


def test_tag_frame_refuses_a_column_named_twice(seed_model):
    """Review B: with two "text" columns df["text"] is a frame, whose iteration gives its column names: the
    word "text" was tagged as the report, silently."""
    from tagger.pipeline import tag_frame

    df = pd.DataFrame([["党员为孤寡老人检查线路。", "公司召开会议。", "r1"]], columns=["text", "text", "id"])
    with pytest.raises(ValueError, match=r"2 columns named 'text'.*duplicated"):
        tag_frame(seed_model, df)
    with pytest.raises(ValueError, match=r"2 columns named 'id'"):
        tag_frame(seed_model, pd.DataFrame([["x。", "a", "b"]], columns=["text", "id", "id"]), id_column="id")


def test_tag_frame_keep_must_be_a_list(seed_model):
    """Review B: keep="company" was read as the columns 'c', 'o', … (a KeyError about column 'c')."""
    from tagger.pipeline import tag_frame

    df = pd.DataFrame({"text": ["党员为孤寡老人检查线路。"], "company": ["国网"]})
    with pytest.raises(TypeError, match=r"keep takes a list of column names.*keep=\['company'\]"):
        tag_frame(seed_model, df, keep="company")
    assert tag_frame(seed_model, df, keep=["company"])["company"].tolist() == ["国网"]


def test_paragraph_rows_tags_reports_together(seed_model):
    from tagger.pipeline import paragraph_rows

    rows = list(paragraph_rows(seed_model, REPORTS.items()))
    assert [r["paragraph"] for r in rows] == ["r1:0", "r1:1", "r1:2", "r2:0"]
    one = [list(paragraph_rows(seed_model, [item])) for item in REPORTS.items()]
    assert rows == one[0] + one[1]


def test_bad_files_in_a_directory(cli_model, root, tmp_path, monkeypatch, capsys):
    from pathlib import Path

    corpus = tmp_path / "corpus"
    shutil.copytree(root / "seeds", corpus)
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "gbk.txt").write_bytes(ELDERLY.encode("gbk"))
    (corpus / "latin.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    locked = corpus / "locked.txt"
    locked.write_text("x", encoding="utf-8")
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    out = tmp_path / "out.jsonl"
    args = ["tag", str(corpus), "--format", "jsonl", "-o", str(out), "--model", cli_model]
    assert main(args) == 1 and not out.exists()
    assert "empty.txt: empty file" in capsys.readouterr().err
    assert main(args + ["--on-error", "skip"]) == 3
    err = capsys.readouterr().err
    for name, reason in [("empty.txt", "empty file"), ("latin.txt", "reads as Western European text in Windows-1252"),
                         ("locked.txt", "cannot read (Permission denied)")]:
        assert f"{corpus / name}: {reason}" in err
    rows = _jsonl(out.read_text(encoding="utf-8"))
    assert len(rows) == 110 and any(r["report"] == "gbk" and "elderly_care" in r["labels"] for r in rows)


def test_never_overwrites_inputs_or_existing_output(cli_model, inputs, tmp_path, capsys):
    before = inputs["jsonl"].read_bytes()
    args = ["tag", str(inputs["jsonl"]), "--text-column", "body", "--format", "jsonl", "--model", cli_model]
    assert main(args + ["-o", str(inputs["jsonl"])]) == 1
    assert "is also an input" in capsys.readouterr().err and inputs["jsonl"].read_bytes() == before
    assert main(args + ["-o", str(inputs["jsonl"]), "--force"]) == 1  # not even with --force
    assert inputs["jsonl"].read_bytes() == before
    out = tmp_path / "out.jsonl"
    out.write_text("mine\n", encoding="utf-8")
    assert main(args + ["-o", str(out)]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err and out.read_text(encoding="utf-8") == "mine\n"
    assert main(args + ["-o", str(out), "--force"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4


@pytest.mark.parametrize("glob", ["*.txt", "*"])
def test_output_inside_an_input_folder_is_never_read_back(cli_model, root, tmp_path, glob, capsys):
    """Issue 17: a second run tagged its own output (54 rows instead of 27); --glob '*' read its temp file."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(root / "seeds" / "000_6bc5a408cdc75e0e.txt", folder)
    out = folder / "tagged.txt"
    args = ["tag", str(folder), "--glob", glob, "-o", str(out), "--force", "--model", cli_model]
    for _ in range(2):
        assert main(args) == 0, capsys.readouterr().err
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 27 and all(line.startswith("000_6bc5a408cdc75e0e:") for line in lines)
    assert sorted(p.name for p in folder.iterdir()) == ["000_6bc5a408cdc75e0e.txt", "tagged.txt"]


def test_a_report_inside_an_input_folder_is_never_the_output(cli_model, tmp_path, capsys):
    """Review 1, finding 8: tag f -o f/a.txt --force left a.txt out of the input and wrote table rows over it.
    An earlier output there is still replaced (and never read)."""
    folder = tmp_path / "f"
    folder.mkdir()
    for name in ("a.txt", "b.txt", "C.TXT"):
        (folder / name).write_text(REPORTS["r1"], encoding="utf-8")
    (folder / "user.csv").write_text("text\n公司召开会议。\n", encoding="utf-8")
    for target, extra in [("a.txt", ["--force"]), ("a.txt", []), ("C.TXT", ["--force"]),
                          ("user.csv", ["--glob", "*", "--force"])]:
        out = folder / target
        code = main(["tag", str(folder), "-o", str(out), *extra, "--model", cli_model])
        assert code == 1 and f"{out}: is one of the reports in {folder}; choose an --output outside" in \
            capsys.readouterr().err
    assert [(folder / n).read_text(encoding="utf-8") for n in ("a.txt", "C.TXT")] == [REPORTS["r1"]] * 2
    assert (folder / "user.csv").read_text(encoding="utf-8") == "text\n公司召开会议。\n"
    assert sorted(p.name for p in folder.iterdir()) == ["C.TXT", "a.txt", "b.txt", "user.csv"]
    out = folder / "o.jsonl"
    for _ in range(2):  # the second run finds its earlier output there: replaced, not read
        assert main(["tag", str(folder), "-o", str(out), "--glob", "*", "--force", "--model", cli_model]) == 0
        assert {r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))} == {"a", "b", "C", "user:2"}
    out = folder / "user.csv"  # not one of the reports of *.txt: --force replaces it
    assert main(["tag", str(folder), "-o", str(out), "--force", "--model", cli_model]) == 0
    assert out.read_text(encoding="utf-8").startswith("\ufeffrow_type,")


def test_earlier_outputs_and_hidden_files_in_an_input_folder_are_not_reports(cli_model, tmp_path, capsys):
    """Stop 31's note: with --glob '*' an earlier run's .parquet (and with *.txt its display table) under another
    name was read as reports, its rows tagged and counted again; hidden files (a review journal, .git) too.
    Named as inputs, such files are read back as the reports they hold."""
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_text(REPORTS["r1"], encoding="utf-8")
    for name in ("earlier.parquet", "earlier.txt", "earlier.jsonl"):
        assert main(["tag", str(folder / "a.txt"), "-o", str(folder / name), "--model", cli_model]) == 0
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD.txt").write_text("公司召开党委会议。\n", encoding="utf-8")
    (folder / ".notes.txt").write_text("公司召开党委会议。\n", encoding="utf-8")
    n = len(REPORTS["r1"].strip().split("\n"))
    for glob in ("*", "*.txt"):
        assert main(["tag", str(folder), "--glob", glob, "--format", "jsonl", "--model", cli_model]) == 0
        out, err = capsys.readouterr()
        rows = _jsonl(out)
        assert {r["report"] for r in rows} == {"a"} and len(rows) == n, glob
        assert "left out" in err and "earlier.txt" in err
    assert main(["tag", str(folder), "--glob", ".*.txt", "--format", "jsonl", "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(capsys.readouterr().out)} == {".notes"}
    # named, an earlier output is read back as the reports it holds (tests/test_retag.py); the display table, whose
    # texts are cut, cannot be: it was read as one report of its lines ("earlier"), and is refused now
    assert main(["tag", str(folder / "earlier.jsonl"), "--format", "jsonl", "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(capsys.readouterr().out)} == {"a"}
    assert main(["tag", str(folder / "earlier.txt"), "--format", "jsonl", "--model", cli_model]) == 1
    assert "earlier.txt: the display table tagger tag writes" in capsys.readouterr().err


def test_reports_that_only_resemble_an_earlier_output_and_hidden_folders_named_by_the_glob_are_read(
        cli_model, tmp_path, capsys):
    """A report whose first line is a byline with a clock time and a tab ("发布时间:2021-07-21 08:58<TAB>来源:……"
    matched the display table's "<id>:<n><TAB>"), or a user's table with a row_type column, was left out as an
    earlier output; a --glob naming a hidden folder (.drafts/*.txt) matched nothing."""
    folder = tmp_path / "f"
    (folder / ".drafts").mkdir(parents=True)
    (folder / "a.txt").write_text("发布时间:2021-07-21 08:58\t来源:国家电网报\n" + REPORTS["r1"], encoding="utf-8")
    (folder / "b.txt").write_text("row_type,备注\n" + REPORTS["r1"], encoding="utf-8")
    (folder / ".drafts" / "c.txt").write_text(REPORTS["r1"], encoding="utf-8")
    assert main(["tag", str(folder), "--format", "jsonl", "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(capsys.readouterr().out)} == {"a", "b"}
    assert main(["tag", str(folder), "--glob", ".drafts/*.txt", "--format", "jsonl", "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(capsys.readouterr().out)} == {"c"}


def test_a_table_whose_text_column_holds_html_is_tagged_paragraph_by_paragraph(cli_model, tmp_path, capsys, caplog):
    """A CMS export: each report's body is HTML. It was one paragraph per report, markup included."""
    body = "<p>党员志愿者走进敬老院,为孤寡老人义务检查线路。</p><p>公司召开党委会议, 部署工作。</p>"
    path = tmp_path / "cms.csv"
    path.write_text("id,text\n" + "".join(f'r{i},"{body}"\n' for i in range(3)), encoding="utf-8")
    assert main(["tag", str(path), "--id-column", "id", "--format", "jsonl", "--model", cli_model]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [(r["report"], r["text"]) for r in rows] == [
        (f"r{i}", t) for i in range(3) for t in ("党员志愿者走进敬老院,为孤寡老人义务检查线路。", "公司召开党委会议, 部署工作。")]
    assert "elderly_care" in rows[0]["labels"] and not rows[1]["labels"]
    assert main(["--debug", "tag", str(path), "--id-column", "id", "--format", "jsonl", "--model", cli_model]) == 0
    err = capsys.readouterr().err  # --debug names every such report, not only the first
    assert all(f"r{i}: read as HTML: its paragraphs" in err for i in range(3)), err


def test_json_lines_and_tab_separated_tables_are_read_as_tables(cli_model, tmp_path, capsys):
    """Review 1, finding 3: a .json file of JSON lines and a .tsv table were read as one plain-text report (the
    raw JSON line and the header row tagged as paragraphs), --id-column and --input-format silently ignored."""
    (tmp_path / "export.json").write_text("\n" + json.dumps({"id": "r1", "text": REPORTS["r1"]}, ensure_ascii=False)
                                          + "\n", encoding="utf-8-sig")
    (tmp_path / "data.tsv").write_text('id\ttext\nr1\t党员志愿者走进敬老院,为"孤寡老人"义务检查线路。\n', encoding="utf-8")
    (tmp_path / "data.tab").write_text("id\ttext\nr1\t公司召开党委会议, 部署工作。\n", encoding="gbk")
    for name, texts in [("export.json", REPORTS["r1"].split("\n")), ("data.tsv", ['党员志愿者走进敬老院,为"孤寡老人"义务检查线路。']),
                        ("data.tab", ["公司召开党委会议, 部署工作。"])]:
        assert main(["tag", str(tmp_path / name), "--id-column", "id", "--format", "jsonl", "--model", cli_model]) == 0
        rows = _jsonl(capsys.readouterr().out)
        assert [(r["report"], r["text"]) for r in rows] == [("r1", t) for t in texts], name
    assert main(["tag", str(tmp_path / "export.json"), "--format", "jsonl", "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(capsys.readouterr().out)} == {"export:2"}  # file stem + line, as .jsonl


@pytest.mark.parametrize("name, content, message", [
    ("a.json", '[{"id": "r1", "text": "x"}]', "a.json: is a JSON array; write one object per line (.jsonl), e.g. "
                                                "jq -c '.[]' a.json > a.jsonl"),
    ("a.json", '{\n  "text": "x"\n}\n', "a.json: is one JSON object written over several lines"),
    ("a.json", '"text"\n', "a.json: not JSON Lines"),
    ("page.mht", "MIME-Version: 1.0\n", "page.mht: a .mht file is not report text; save it as .txt"),
    ("page.html", "From: <Saved by Blink>\nSubject: =?utf-8?Q?=E5=85=9A?=\nMIME-Version: 1.0\nContent-Type: "
                  "multipart/related;\n\ttype=\"text/html\"\n\n------MultipartBoundary\n",
     "page.html: is a web archive (.mht, MIME parts), not a web page; save the page again as 'Web page, HTML only'"),
    ("page.html", '{"code": 0, "data": {"content": "<p>党员服务队走进敬老院。</p>"}}',
     "page.html: holds JSON, not a web page; put its reports in a .jsonl file"),
    ("x.XLS", "id\ttext\n", "x.XLS: a .XLS file is not report text; save it as .xlsx or .csv"),
    ("x.docx", "PK\x03\x04", "x.docx: not a readable .docx file (a password-protected or old-format .doc file"),
    ("x.doc", "\xd0\xcf", "x.doc: a .doc file is not report text; save it as .txt"),
    ("x.pdf", "%PDF-1.4", "x.pdf: a .pdf file is not report text; save it as .txt"),
    ("x.zip", "PK\x03\x04", "x.zip: a .zip file is not report text; unpack it and tag the folder"),
])
def test_files_that_are_not_report_text_are_refused_with_what_to_do(cli_model, tmp_path, name, content, message,
                                                                     capsys):
    """Review 1, finding 3: HTML source lines were tagged as paragraphs; .xls, .docx and .pdf got an error about
    UTF-16. Each is a bad input (skippable) that says what to save it as."""
    (tmp_path / name).write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(tmp_path / name), "-o", str(out), "--model", cli_model]) == 1
    assert message in capsys.readouterr().err and not out.exists()


def test_an_openpyxl_without_the_parts_the_workbook_reader_uses_is_named_with_the_version_to_install(
        cli_model, tmp_path, capsys, monkeypatch):
    """The workbook reader builds on openpyxl 3.1's internals (a read-only sheet's classes): an openpyxl whose
    internals moved said "reading .xlsx needs openpyxl: pip install openpyxl" although it was installed. The
    requirement it names is pyproject's, so pip keeps an openpyxl the reader works with."""
    from tagger.common import files

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    deps = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["dependencies"]
    assert files.OPENPYXL_REQUIREMENT in deps
    pd.DataFrame({"id": ["r1"], "text": ["供电公司为独居老人检修线路。"]}).to_excel(tmp_path / "r.xlsx", index=False)
    files._workbook_reader.cache_clear()  # built once per process: a test before may have built it
    monkeypatch.setitem(sys.modules, "openpyxl.worksheet._read_only", None)  # import fails, as if moved
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(tmp_path / "r.xlsx"), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "r.xlsx: this openpyxl (" in err and f"pip install '{files.OPENPYXL_REQUIREMENT}'" in err
    assert "needs openpyxl" not in err and not out.exists()
    monkeypatch.undo()
    files._workbook_reader.cache_clear()
    assert main(["tag", str(tmp_path / "r.xlsx"), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0


def test_old_office_files_and_unsaved_formulas_get_what_to_do(cli_model, tmp_path, capsys):
    """User test: `tagger tag old.xls --id-column id` said the file was "read as plain text ... rename the file to
    its format's extension", and an .xls renamed .xlsx then got "not a readable .xlsx workbook (File is not a zip
    file)"; a text cell holding a formula a script wrote (no value saved) was "'text' is empty"."""
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    (tmp_path / "old.xls").write_bytes(ole)
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(tmp_path / "old.xls"), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "old.xls: a .xls file is not report text; save it as .xlsx or .csv" in err and "plain text" not in err
    (tmp_path / "renamed.xlsx").write_bytes(ole)
    assert main(["tag", str(tmp_path / "renamed.xlsx"), "--id-column", "id", "-o", str(out), "--model",
                 cli_model]) == 1
    assert "renamed.xlsx: an old Excel .xls (or other Office) file with an .xlsx name; open it in Excel or " \
           "LibreOffice and save it as an Excel Workbook (.xlsx)" in capsys.readouterr().err and not out.exists()
    # a password-protected .xlsx is an OLE2 file too, holding an EncryptedPackage stream (review F)
    (tmp_path / "locked.xlsx").write_bytes(ole + "EncryptedPackage".encode("utf-16-le") + bytes(64))
    assert main(["tag", str(tmp_path / "locked.xlsx"), "-o", str(out), "--model", cli_model]) == 1
    assert "locked.xlsx: a password-protected workbook; remove the password" in capsys.readouterr().err
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "text"])
    ws.append(["r1", "党员服务队为孤寡老人免费检查线路。"])
    ws.append(["r2", '=CONCAT("党员服务队", "为老人检查线路。")'])  # written by a script: no value saved
    ws.append(["r3", None])
    ws.append(['="r"&ROW()', "党员服务队为老人检查线路。"])  # review F: the id written as a formula
    ws.append(["r5", "#N/A"])  # an Excel error value saved in the cell
    from openpyxl.worksheet.formula import ArrayFormula

    ws["B7"], ws["A7"] = ArrayFormula("B7", '=CONCAT("党员","检查线路。")'), "r6"
    wb.save(tmp_path / "formulas.xlsx")
    assert main(["tag", str(tmp_path / "formulas.xlsx"), "--id-column", "id", "-o", str(out), "--on-error", "skip",
                 "--model", cli_model]) == 3
    err = capsys.readouterr().err
    assert "formulas.xlsx:row 3: 'text' holds a formula whose value was never saved (=CONCAT(\"党员服务队\", " \
           "\"为老人检查线路。\")): open the workbook in Excel or LibreOffice and save it" in err
    assert "formulas.xlsx:row 4 (report 'r3')" in err  # an empty text: left out, named once the run is done
    assert "formulas.xlsx:row 5: 'id' holds a formula whose value was never saved (=\"r\"&ROW())" in err
    assert "formulas.xlsx:row 6: 'text' holds the Excel error #N/A: fix its formula" in err
    assert "formulas.xlsx:row 7: 'text' holds a formula whose value was never saved (=CONCAT(" in err
    assert [r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))] == ["r1"]


def test_a_sheet_saved_as_unicode_text_is_not_one_report(cli_model, tmp_path, capsys):
    """User test: Excel's 'Unicode Text' export (UTF-16, tab-separated, .txt) of a sheet of reports was tagged as
    one report: the header and the id/company/date cells became headings and three reports one. It is a bad
    input that says to name it .tsv, which reads it as one report per row."""
    rows = [["id", "company", "date", "text"], ["r1", "东湖供电公司", "2024-03-12", ELDERLY],
            ["r2", "西山供电局", "2024-04-02", "公司召开安全生产会议,部署迎峰度夏工作。"]]
    sheet = "\r\n".join("\t".join(row) for row in rows) + "\r\n"
    src = tmp_path / "sheet.txt"
    src.write_bytes(b"\xff\xfe" + sheet.encode("utf-16-le"))
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "sheet.txt: a table (4 tab-separated columns: id, company, date, text), not a report's text" in err
    assert "name it .tsv" in err and not out.exists()
    src.rename(tmp_path / "sheet.tsv")
    assert main(["tag", str(tmp_path / "sheet.tsv"), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))} == {"r1", "r2"}
    # review F: a sheet of one report, with an unnamed index column and empty columns at the end, is a table too
    one = tmp_path / "one.txt"
    one.write_bytes(b"\xff\xfe" + "\ttext\t\t\r\n1\t党员服务队为老人检查线路。\t\t\r\n".encode("utf-16-le"))
    assert main(["tag", str(one), "-o", str(tmp_path / "one.jsonl"), "--model", cli_model]) == 1
    assert "one.txt: a table (2 tab-separated columns: (unnamed), text)" in capsys.readouterr().err
    # a report indented with tabs (copied from Word), or in two columns, names no column: a report
    indented = tmp_path / "indented.txt"
    indented.write_text("国网某供电公司\t2023年5月10日\n\t" + ELDERLY + "\n\t公司召开会议。\n", encoding="utf-8")
    assert main(["tag", str(indented), "-o", str(tmp_path / "indented.jsonl"), "--model", cli_model]) == 0
    # a report that holds a small table among its paragraphs is a report
    report = tmp_path / "notice.txt"
    report.write_text("停电时间\t线路\t范围\n9时\t10千伏某线\t某村\n14时\t10千伏某线\t某镇\n" + ELDERLY + "\n",
                      encoding="utf-8")
    assert main(["tag", str(report), "-o", str(tmp_path / "notice.jsonl"), "--model", cli_model]) == 0


def test_a_paragraph_of_megabytes_is_a_bad_input_not_gigabytes_of_memory(cli_model, tmp_path, capsys):
    """User test: a 12.6-million-character line (a file whose line breaks were lost, a dump) was tagged as one
    paragraph with a peak of 2.1 GB. A paragraph over MAX_PARAGRAPH_CHARS makes its report a bad input named with
    the paragraph and what to do; --on-error skip tags the rest. A long report of normal paragraphs is read."""
    from tagger.apps.batch import MAX_PARAGRAPH_CHARS

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dump.txt").write_text("标题\n" + "党员为老人检查线路" * (MAX_PARAGRAPH_CHARS // 9 + 1) + "\n",
                                     encoding="utf-8")
    (folder / "long.txt").write_text((ELDERLY + "\n") * (MAX_PARAGRAPH_CHARS // len(ELDERLY) + 10), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(folder), "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert f"dump.txt: paragraph dump:1 has {MAX_PARAGRAPH_CHARS + 9 - MAX_PARAGRAPH_CHARS % 9:,} characters" in err
    assert "put each paragraph on a line of its own" in err and not out.exists()
    assert main(["tag", str(folder), "-o", str(out), "--on-error", "skip", "--model", cli_model]) == 3
    assert {r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))} == {"long"}


@pytest.mark.parametrize("extra", [[], ["--review", "5"], ["--format", "csv"]])
@pytest.mark.parametrize("bad", [b"", b"\x00\x01binary"])
def test_skip_with_every_input_skipped_writes_nothing_and_says_so(cli_model, tmp_path, capsys, extra, bad):
    """cli: ``tagger tag a.txt -o out.jsonl --on-error skip`` with its only input skipped (empty, unreadable) wrote an
    empty output, replacing the one there, and exited 3 as if some reports were tagged. With nothing tagged nothing is
    written (a new output is not made, an earlier one is left as it was) and the run is an error (exit 1) that says no
    input could be tagged and what to do; with an input tagged the run still writes it and exits 3."""
    (tmp_path / "bad.txt").write_bytes(bad)
    (tmp_path / "good.txt").write_text(ELDERLY + "\n", encoding="utf-8")
    out = tmp_path / ("out.csv" if "csv" in extra else "out.jsonl")
    argv = ["tag", str(tmp_path / "bad.txt"), "-o", str(out), "--on-error", "skip", "--model", cli_model, *extra]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "error: no input could be tagged: skipped 1 bad input, first: " in err and "bad.txt" in err
    assert "fix or leave out the inputs the warnings above name, then run again" in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt", "good.txt"]
    assert main(["tag", str(tmp_path / "good.txt"), "-o", str(out), "--model", cli_model, *extra]) == 0
    before = out.read_bytes()
    assert main([*argv, "--force"]) == 1 and out.read_bytes() == before  # the earlier output: left as it was
    assert main(["tag", str(tmp_path / "good.txt"), *argv[1:], "--force"]) == 3  # some tagged: written, as before
    assert "warning: skipped 1 bad input" in capsys.readouterr().err and b"good" in out.read_bytes()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "table"])
@pytest.mark.parametrize("summary", [[], ["--summary"]])
def test_every_input_skipped_writes_nothing_to_stdout(cli_model, tmp_path, capsys, fmt, summary):
    """cli: ``tagger tag empty.txt --on-error skip -o - --format csv`` printed the CSV header to standard output and
    then failed (exit 1, "no input could be tagged"): a pipeline got a table with no rows as well as the error. With
    nothing tagged nothing reaches standard output; a run that tags something prints its header first, once."""
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "good.txt").write_text(ELDERLY + "\n", encoding="utf-8")
    argv = ["tag", "--on-error", "skip", "-o", "-", "--format", fmt, "--model", cli_model, *summary]
    assert main([*argv[:1], str(tmp_path / "empty.txt"), *argv[1:]]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "no input could be tagged" in err
    assert main([*argv[:1], str(tmp_path / "empty.txt"), str(tmp_path / "good.txt"), *argv[1:]]) == 3
    out = capsys.readouterr().out
    assert "good" in out and out.count("row_type,report,") == (1 if fmt == "csv" else 0)
    if fmt == "csv":
        assert out.startswith("row_type,report,paragraph,")


def _docx(path, paragraphs):
    import zipfile
    from xml.sax.saxutils import escape

    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
                   f'2006/main"><w:body>{body}</w:body></w:document>')
    return path


def test_an_office_owner_file_beside_an_open_document_is_left_out_of_a_folder(cli_model, tmp_path):
    """Review: Word keeps ~$report.docx (its user's name, no text) beside a document while it is open; in a folder
    it stopped the whole run as 'not a readable .docx file (damaged …)'."""
    folder = tmp_path / "f"
    folder.mkdir()
    _docx(folder / "report.docx", ["党员志愿者走进敬老院。"])
    (folder / "~$report.docx").write_bytes(b"\x05alice" + b"\x00" * 40)
    out = tmp_path / "o.jsonl"
    assert main(["-q", "tag", str(folder), "--glob", "*.docx", "-o", str(out), "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))} == {"report"}
    assert main(["-q", "tag", str(folder), "--glob", "~$*.docx", "-o", str(tmp_path / "x.jsonl"),
                 "--model", cli_model]) == 1  # asked for by name: read, and refused as what it is


def test_an_office_file_without_its_extension_is_named_as_one(cli_model, tmp_path, capsys, monkeypatch):
    """User test: a .docx renamed .txt, an .xlsx renamed .csv, or a workbook piped to `tag -` were called binary files
    with a hint to try UTF-16; they are named for what they are, with what to do."""
    _docx(tmp_path / "r.txt", ["党员志愿者走进敬老院。"])
    assert main(["tag", str(tmp_path / "r.txt"), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "r.txt: a Word document (.docx), not text: name it .docx, and it is read as one" in err and "UTF-16" not in err
    pd.DataFrame({"text": ["党员志愿者走进敬老院。"]}).to_excel(tmp_path / "t.csv", index=False, engine="openpyxl")
    assert main(["tag", str(tmp_path / "t.csv"), "--model", cli_model]) == 1
    assert "t.csv: an Excel workbook (.xlsx), not text: name it .xlsx, and it is read as one" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((tmp_path / "t.csv").read_bytes())))
    assert main(["tag", "-", "--model", cli_model]) == 1
    assert "<stdin>: an Excel workbook (.xlsx), not text: pass the file itself" in capsys.readouterr().err


def test_word_reports_are_tagged_and_a_folder_says_which_files_its_glob_leaves_out(cli_model, tmp_path, capsys):
    """Reports are written in Word: a .docx file was refused ("save it as .txt"), one by one."""
    folder = tmp_path / "f"
    folder.mkdir()
    _docx(folder / "w1.docx", REPORTS["r1"].split("\n"))
    assert main(["tag", str(folder / "w1.docx"), "--format", "jsonl", "--model", cli_model]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [r["text"] for r in rows] == [t for t in REPORTS["r1"].split("\n") if t.strip()]
    assert {r["report"] for r in rows} == {"w1"} and "elderly_care" in rows[1]["labels"]
    assert main(["tag", str(folder), "--format", "jsonl", "--model", cli_model]) == 1
    assert "contains no files matching '*.txt' (it holds 1 .docx file; --glob '*.docx' reads them)" in \
        capsys.readouterr().err
    (folder / "t.txt").write_text(REPORTS["r2"], encoding="utf-8")
    assert main(["tag", str(folder), "--format", "jsonl", "--model", cli_model]) == 0
    out, err = capsys.readouterr()
    assert {r["report"] for r in _jsonl(out)} == {"t"}
    assert "1 .docx file left out (not *.txt files; --glob '*.docx' reads them)" in err
    for name in ("p.html", "q.htm", "r.HTML"):  # user test: only the commonest kind left out was named
        (folder / name).write_text("<p>" + REPORTS["r2"] + "</p>", encoding="utf-8")
    assert main(["tag", str(folder), "--format", "jsonl", "--model", cli_model]) == 0
    assert "2 .html files, 1 .docx file, 1 .htm file left out (not *.txt files; --glob '*.html' or --glob '*.docx' " \
           "or --glob '*.htm' reads them)" in capsys.readouterr().err
    for name in ("p.html", "q.htm", "r.HTML"):
        (folder / name).unlink()
    (folder / "m.md").write_text(REPORTS["r2"], encoding="utf-8")  # user test: a Markdown report left out unnamed
    assert main(["tag", str(folder), "--format", "jsonl", "--model", cli_model]) == 0
    assert "1 .docx file, 1 .md file left out (not *.txt files; --glob '*.docx' or --glob '*.md' reads them)" in \
        capsys.readouterr().err
    (folder / "m.md").unlink()
    assert main(["tag", str(folder), "--glob", "*", "--format", "jsonl", "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(capsys.readouterr().out)} == {"t", "w1"}


_PAGE = ("<!DOCTYPE html><html><head><meta charset=\"gbk\"><title>国网某县供电公司新闻</title>"
         "<script>var s = '<p>党员服务队为孤寡老人检查线路。</p>';</script></head><body>"
         "<nav><ul><li>首页</li><li>新闻中心</li><li>党建工作</li></ul></nav>"
         "<div class=\"article\"><h1>暖心服务进社区</h1>{body}</div>"
         "<aside><p>热点排行:某公司召开安全生产会议。</p></aside>"
         "<footer><p>版权所有 国网某县供电公司 备案号12345</p></footer></body></html>")


def test_a_saved_web_page_is_tagged_as_its_story_and_a_folder_of_pages_too(cli_model, tmp_path, capsys):
    """Analysts save reports from the web: a .html file was refused ("save it as .txt"), one by one. Its story is
    read (menus, side boxes, footers, scripts and the title bar left out; a GBK page decoded), a folder of pages
    with --glob '*.html' leaves out each page's _files/ folder and the pages tagger itself wrote."""
    paras = [t for t in REPORTS["r1"].split("\n") if t.strip()]
    from html import escape

    page = _PAGE.format(body="".join(f"<p>{escape(t)}</p>" for t in paras))
    folder = tmp_path / "pages"
    (folder / "p1_files").mkdir(parents=True)
    (folder / "p1.html").write_bytes(page.encode("gb18030"))
    (folder / "p1_files" / "ad.htm").write_text("<p>广告:某品牌电器促销,欢迎选购。</p>", encoding="utf-8")
    assert main(["tag", str(folder / "p1.html"), "--format", "jsonl", "--model", cli_model]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [r["text"] for r in rows] == ["暖心服务进社区", *paras]
    assert {r["report"] for r in rows} == {"p1"} and "elderly_care" in rows[2]["labels"]
    assert main(["tag", str(folder / "p1.html"), "-o", str(tmp_path / "t.jsonl"), "--model", cli_model]) == 0
    assert main(["stats", str(tmp_path / "t.jsonl"), "--html", str(folder / "counts.html")]) == 0
    capsys.readouterr()
    assert main(["tag", str(folder), "--glob", "*.html", "--format", "jsonl", "--model", cli_model]) == 0
    out, err = capsys.readouterr()
    assert {r["report"] for r in _jsonl(out)} == {"p1"}  # not ad.htm, not the stats page
    assert "left out 1 file tagger wrote earlier" in err and "counts.html" in err
    assert main(["tag", str(folder), "--format", "jsonl", "--model", cli_model]) == 1  # default *.txt
    assert "(it holds 1 .html file; --glob '*.html' reads them)" in capsys.readouterr().err  # not counts.html
    import shutil

    shutil.rmtree(folder / "p1_files")
    (folder / "p1.html").unlink()  # only tagger's own page is left: no report of another kind to point to
    assert main(["tag", str(folder), "--format", "jsonl", "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "contains no files matching '*.txt'" in err and "it holds" not in err


def test_table_options_are_refused_for_an_input_read_as_plain_text(cli_model, tmp_path, monkeypatch, capsys):
    """Review 1, finding 3: --id-column, --text-column and --input-format were silently ignored for a .txt file
    (and for stdin read as text): the user's ids or columns quietly not used."""
    src = tmp_path / "r.txt"
    src.write_text(REPORTS["r1"], encoding="utf-8")
    out = tmp_path / "out.jsonl"
    for option in (["--id-column", "id"], ["--text-column", "body"], ["--input-format", "jsonl"]):
        assert main(["tag", str(src), *option, "-o", str(out), "--on-error", "skip", "--model", cli_model]) == 2
        err = capsys.readouterr().err
        assert f"{src}: read as one report (not a table, by its extension .txt), so {' '.join(option)} cannot " \
               "apply to it" in err and not out.exists()
    assert main(["tag", str(tmp_path), "--id-column", "id", "--model", cli_model]) == 2  # a folder of .txt files
    assert f"{tmp_path}: its files (--glob *.txt) are read as reports, one each (not tables)" in capsys.readouterr().err
    _stdin(monkeypatch, REPORTS["r1"].encode())
    assert main(["tag", "-", "--id-column", "id", "--model", cli_model]) == 2
    assert "<stdin>: read as one report (not a table), so --id-column id cannot apply to it; for a table on stdin " \
           "pass --input-format jsonl or csv" in capsys.readouterr().err


def test_dev_stdout_is_standard_output_even_when_the_shell_redirected_it_to_a_file(cli_model, tmp_path, capsys):
    """Review 5: with stdout redirected to a file, -o /dev/stdout named that (existing) file: refused."""
    (tmp_path / "r.txt").write_text(REPORTS["r1"], encoding="utf-8")
    assert main(["-q", "tag", str(tmp_path / "r.txt"), "-o", "/dev/stdout", "--format", "jsonl",
                 "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(capsys.readouterr().out)} == {"r"}


def test_table_options_apply_to_the_tables_among_text_files(cli_model, tmp_path, capsys):
    """Review 5: `tag a.csv b.txt --text-column content` worked before the plain-text refusal and then failed
    (exit 2, after a.csv was tagged); the options apply to the table, the text file is read as text."""
    (tmp_path / "a.csv").write_text(f'id,content\nr9,"{ELDERLY}"\n', encoding="utf-8")
    (tmp_path / "b.txt").write_text(REPORTS["r1"], encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["-q", "tag", str(tmp_path / "a.csv"), str(tmp_path / "b.txt"), "--text-column", "content",
                 "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))} == {"r9", "b"}
    assert "b.txt: read as one report (not a table, by its extension): --id-column id and --text-column content " \
           "apply only to the tables among the inputs" in capsys.readouterr().err  # main's own handler, any order
    assert main(["-q", "tag", str(tmp_path / "a.csv"), str(tmp_path / "b.txt"), "--text-column", "content",
                 "-o", str(out), "--force", "--model", cli_model]) == 0
    assert "--text-column content applies only to the tables" in capsys.readouterr().err  # one option: applies


def test_a_file_name_that_is_not_utf8_gives_a_usable_report_id(cli_model, tmp_path, capsys):
    """Review 1, finding 4: a GBK file name (as unzip leaves a Chinese Windows zip) crashed .jsonl, .csv, .txt,
    .sqlite and .parquet output with a UnicodeEncodeError traceback."""
    folder = tmp_path / "d"
    folder.mkdir()
    try:
        (folder / "国网报告.txt".encode("gbk").decode("utf-8", "surrogateescape")).write_text(REPORTS["r1"],
                                                                                          encoding="utf-8")
        (folder / "表格.csv".encode("gbk").decode("utf-8", "surrogateescape")).write_text(
            f'text\n"{ELDERLY}"\n', encoding="utf-8")
        (folder / b"\xff\xfe.txt".decode("utf-8", "surrogateescape")).write_text(ELDERLY, encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system takes only UTF-8 names")
    for fmt in ("jsonl", "csv", "txt", "sqlite", "parquet"):
        out = tmp_path / f"out.{fmt}"
        assert main(["tag", str(folder), "--glob", "*", "-o", str(out), "--model", cli_model]) == 0
        err = capsys.readouterr().err
        assert "the file name is not UTF-8 (GBK?); read as" in err and "report id '国网报告'" in err
    rows = _jsonl((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert [r["report"] for r in rows] == ["表格:2", "国网报告", "国网报告", "国网报告", "\ufffd\ufffd"]


def test_a_folder_takes_files_whose_extension_differs_in_case(cli_model, tmp_path, capsys):
    """Review 1, finding 6: B.TXT (as Windows exports write it) was silently left out of a *.txt folder run."""
    folder = tmp_path / "e"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.txt", "B.TXT", "sub/C.Txt", "notes.md"):
        (folder / name).write_text(ELDERLY, encoding="utf-8")
    assert main(["tag", str(folder), "--format", "jsonl", "--model", cli_model]) == 0
    assert [r["report"] for r in _jsonl(capsys.readouterr().out)] == ["B", "a", "C"]
    assert main(["tag", str(folder), "--glob", "SUB/*.txt", "--format", "jsonl", "--model", cli_model]) == 0
    assert [r["report"] for r in _jsonl(capsys.readouterr().out)] == ["C"]


def test_file_names_that_cannot_be_report_ids_are_bad_inputs(cli_model, tmp_path, capsys):
    """Review 1, finding 9: a file stem with a tab or a leading space became a report id that tag --review took
    and review --export refused (or changed) after the reviewer's work; --id-column ids were checked already."""
    folder = tmp_path / "g"
    folder.mkdir()
    for name in ("tab\tx.txt", " lead.txt", "'quote.txt", "ok.txt"):
        (folder / name).write_text(REPORTS["r1"], encoding="utf-8")
    out = tmp_path / "q.jsonl"
    assert main(["tag", str(folder), "--review", "100%", "-o", str(out), "--model", cli_model]) == 1
    assert f"{folder / ' lead.txt'}: the file name cannot be a report id: it has white space at its ends (' lead'); " \
           "rename the file" in capsys.readouterr().err and not out.exists()
    assert main(["tag", str(folder), "--review", "100%", "-o", str(out), "--on-error", "skip",
                 "--model", cli_model]) == 3
    err = capsys.readouterr().err
    assert "tab\tx.txt: the file name cannot be a report id: it contains the invisible character U+0009" in err
    assert "'quote.txt: the file name cannot be a report id: it starts with '" in err
    assert {r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))} == {"ok"}
    table = tmp_path / " t.csv"  # a table's default ids are its stem + line
    table.write_text("id,text\nr1,公司召开会议。\n", encoding="utf-8")
    assert main(["tag", str(table), "--model", cli_model]) == 1
    assert "rename the file (or pass --id-column)" in capsys.readouterr().err
    assert main(["tag", str(table), "--id-column", "id", "--model", cli_model]) == 0


def test_same_file_stem_gets_distinct_report_ids(cli_model, tmp_path, capsys):
    """Files of one name in two subfolders both get their paths (user test: a/x.txt kept the bare name `x` as the
    first in the walk, so adding a file renamed another's report); other files keep their stems."""
    for sub in ("a", "b"):
        (tmp_path / "in" / sub).mkdir(parents=True)
        (tmp_path / "in" / sub / "x.txt").write_text(ELDERLY, encoding="utf-8")
    (tmp_path / "in" / "b" / "y.txt").write_text(ELDERLY, encoding="utf-8")
    assert main(["tag", str(tmp_path / "in"), "--format", "jsonl", "--summary", "--model", cli_model]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [r["paragraph"] for r in rows if r["row_type"] == "paragraph"] == ["a/x:0", "b/x:0", "y:0"]
    assert rows[-1]["reports"] == 3


def test_tables_of_one_name_get_distinct_report_ids_as_files_do(cli_model, tmp_path, capsys, monkeypatch):
    """Review: monthly exports of one name (2023-01/export.csv, 2023-02/export.csv) both gave the ids export:2, …,
    so stats counted 8 reports as 4. A table's rows take the id its file gets, as a text file's report does (the
    folder's paths, or #2 for files given one after another); a table alone, or of another name, keeps its stem."""
    for month in ("2023-01", "2023-02"):
        (tmp_path / "in" / month).mkdir(parents=True)
        (tmp_path / "in" / month / "export.csv").write_text(f'text\n"{ELDERLY}"\n公司召开党委会议。\n',
                                                            encoding="utf-8")
    (tmp_path / "in" / "other.csv").write_text(f'text\n"{ELDERLY}"\n', encoding="utf-8")
    out = tmp_path / "folder.jsonl"
    assert main(["tag", str(tmp_path / "in"), "--glob", "*.csv", "-o", str(out), "--model", cli_model]) == 0
    assert "several input reports" not in capsys.readouterr().err
    assert sorted({r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))}) == [
        "2023-01/export:2", "2023-01/export:3", "2023-02/export:2", "2023-02/export:3", "other:2"]
    assert main(["stats", str(out)]) == 0
    assert "in 5 reports" in capsys.readouterr().out
    jan, feb = (str(tmp_path / "in" / month / "export.csv") for month in ("2023-01", "2023-02"))
    out = tmp_path / "named.jsonl"
    assert main(["tag", jan, feb, "-o", str(out), "--model", cli_model]) == 0
    assert "several input reports" not in capsys.readouterr().err
    assert [r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))] == [
        "export:2", "export:3", "export#2:2", "export#2:3"]
    assert main(["tag", feb, "--format", "jsonl", "--model", cli_model]) == 0  # alone: its ids as before
    assert [r["report"] for r in _jsonl(capsys.readouterr().out)] == ["export:2", "export:3"]
    monkeypatch.chdir(tmp_path)  # a table on stdin takes its id too: after a file named stdin, stdin#2
    Path("stdin.csv").write_text(f'text\n"{ELDERLY}"\n', encoding="utf-8")
    got = iter_records(["stdin.csv", "-"], input_format="csv", stdin=io.StringIO(f'text\n"{ELDERLY}"\n'))
    assert [r.report for r in got] == ["stdin:2", "stdin#2:2"]


def test_ids_that_never_clashed_stay_and_a_folder_path_id_names_the_folder(cli_model, tmp_path, capsys):
    """Diff review: a table after a text file of its name (a.txt a.csv) got a#2:2 ids although the text's 'a' and
    the table's 'a:2' never clash (label files for a:N no longer matched); a folder path id that is no id (an
    ideographic space in a folder's name) said "rename the file"."""
    (tmp_path / "a.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    (tmp_path / "a.csv").write_text(f'text\n"{ELDERLY}"\n', encoding="utf-8")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "a.csv").write_text(f'text\n"{ELDERLY}"\n', encoding="utf-8")
    got = iter_records([str(tmp_path / "a.txt"), str(tmp_path / "a.csv"), str(tmp_path / "b" / "a.csv")])
    assert [r.report for r in got] == ["a", "a:2", "a#2:2"]  # the second table: a#2 (the text's a is no clash)
    for month in ("2023年\u30001月", "2023年\u30002月"):
        (tmp_path / "m" / month).mkdir(parents=True)
        (tmp_path / "m" / month / "export.csv").write_text(f'text\n"{ELDERLY}"\n', encoding="utf-8")
    bad = [r for r in iter_records([str(tmp_path / "m")], glob="*.csv") if isinstance(r, BadRow)]
    assert len(bad) == 2 and "the file's path in the folder, '2023年\\u30001月/export', is its report id (another " \
        "file there has its name), and it" in bad[0].reason and "rename the folder or the file" in bad[0].reason


def test_a_hash_in_a_file_name_is_part_of_its_name_and_ids_are_kept_per_kind(tmp_path, monkeypatch):
    """Bug: tagger tag a.txt a#b.csv a.csv gave a#b.csv the ids a:2 and a.csv a#2:2 (a table's id was cut at its
    '#' to find the name a text file took). Ids are now kept per kind: a text's a and a table's a:2 never clash,
    tables (and texts) of one name still get a and a#2 — given by name, in a folder and on stdin."""
    (tmp_path / "a.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    for name in ("a#b.csv", "a.csv", "a.tsv"):
        (tmp_path / name).write_text(f'text\n"{ELDERLY}"\n', encoding="utf-8")
    got = iter_records([str(tmp_path / name) for name in ("a.txt", "a#b.csv", "a.csv", "a.tsv", "a.txt")])
    assert [r.report for r in got] == ["a", "a#b:2", "a:2", "a#2:2", "a#2"]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.csv").write_text(f'text\n"{ELDERLY}"\n', encoding="utf-8")
    got = iter_records([str(tmp_path)], glob="*")  # a#b.csv a.csv a.tsv a.txt sub/a.csv: the text keeps a
    assert [r.report for r in got] == ["a#b:2", "a:2", "a#2:2", "a", "sub/a:2"]
    monkeypatch.chdir(tmp_path)
    got = iter_records(["a.txt", "-"], input_format="csv", stdin=io.StringIO(f'text\n"{ELDERLY}"\n'))
    assert [r.report for r in got] == ["a", "stdin:2"]
    (tmp_path / "stdin.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    got = iter_records(["stdin.txt", "-"], input_format="csv", stdin=io.StringIO(f'text\n"{ELDERLY}"\n'))
    assert [r.report for r in got] == ["stdin", "stdin:2"]
    got = iter_records(["stdin.txt", "-"], stdin=io.StringIO(f"{ELDERLY}\n"))
    assert [r.report for r in got] == ["stdin", "stdin#2"]


@settings(max_examples=150, deadline=None)
@given(names=st.lists(st.tuples(st.text("ab#120:周", min_size=1, max_size=5),
                                st.sampled_from([".txt", ".csv", ".tsv"])), min_size=1, max_size=6))
@example(names=[("a", ".csv"), ("a:2", ".txt")])
@example(names=[("a", ".csv"), ("a:22", ".txt")])  # rows past 9 (a mutation reading one digit 2 passed)
@example(names=[("a:10", ".txt"), ("a", ".csv")])
@example(names=[("a:2", ".txt"), ("a", ".tsv"), ("a:22", ".txt")])
def test_file_ids_are_unique_never_a_table_rows_and_never_depend_on_a_hash_in_another_name(names):
    """Any list of file names, ':' too: each file's id is unique among the files of its kind (texts; tables, whose
    reports add ':<row>'), no text has the id of a table's report (<table id>:<digits>: a text named a:2.txt had
    table a.csv's first id), and a file keeps its own name, '#' and all, unless an earlier file took it — one of
    its kind, or across the kinds a name of a row's form (a text a:2 after a table a; a table a after a text a:2)
    — then name#n; with no ':' in any name the files of the other kind have no say in it. In a folder (files of one
    name once), ids are unique per kind and no text has a table row's id too."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for stem, suffix in names:
            path = Path(tmp) / f"{stem}{suffix}"
            path.write_text(f"{ELDERLY}\n" if suffix == ".txt" else f'text\n"{ELDERLY}"\n', encoding="utf-8")
            paths.append(str(path))

        def ids(given: list[str]) -> list[str]:
            got = list(iter_records(given))
            assert all(isinstance(r, Record) for r in got) and len(got) == len(given), got
            return [r.report if p.endswith(".txt") else r.report.removesuffix(":2") for r, p in zip(got, given)]

        def row_of(rid: str) -> str | None:  # the table id X of an id X:<digits>
            row = re.fullmatch(r"(.*):\d+", rid, re.DOTALL)
            return row[1] if row else None

        got = ids(paths)
        texts = [i for i, p in enumerate(paths) if p.endswith(".txt")]
        tables = [i for i in range(len(paths)) if i not in texts]
        assert not {row_of(got[i]) for i in texts} & {got[i] for i in tables}, (names, got)
        for mine, others in ((texts, tables), (tables, texts)):
            assert len({got[i] for i in mine}) == len(mine)
            if not any(":" in stem for stem, _ in names):
                assert [got[i] for i in mine] == (ids([paths[i] for i in mine]) if mine else [])
            for n, i in enumerate(mine):
                stem = names[i][0]
                earlier = [got[j] for j in others if j < i]
                across = (row_of(stem) in earlier if mine is texts else any(row_of(o) == stem for o in earlier))
                taken = stem in {got[j] for j in mine[:n]} or across
                assert got[i] == stem if not taken else got[i].startswith(f"{stem}#"), (names, got)
        in_folder = list(iter_records([tmp], glob="*"))
        assert all(isinstance(r, Record) for r in in_folder) and len(in_folder) == len(set(paths)), in_folder
        text_ids = [r.report for r in in_folder if r.source.endswith(".txt")]
        table_ids = [r.report.removesuffix(":2") for r in in_folder if not r.source.endswith(".txt")]
        assert len(set(text_ids)) == len(text_ids) and len(set(table_ids)) == len(table_ids), in_folder
        assert not {row_of(i) for i in text_ids} & set(table_ids), (names, in_folder)


def test_a_text_named_as_a_table_row_never_takes_that_rows_id(cli_model, tmp_path, capsys):
    """Hunt: a text file a:2.txt got the id a:2, table a.csv's first row's: "1 report" written for 2, and --review
    advised "--id-column" for a text file. A text id of a row's form takes #2 against a table of that name given
    before it, a table takes #2 against such a text given before it; in a folder as named."""
    (tmp_path / "a.csv").write_text(f'text\n"{ELDERLY}"\n', encoding="utf-8")
    (tmp_path / "a:2.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    table, text = str(tmp_path / "a.csv"), str(tmp_path / "a:2.txt")
    assert [r.report for r in iter_records([table, text])] == ["a:2", "a:2#2"]
    assert [r.report for r in iter_records([text, table])] == ["a:2", "a#2:2"]
    assert [r.report for r in iter_records([str(tmp_path)], glob="*")] == ["a:2", "a:2#2"]  # a.csv sorts first
    # in a folder, a table whose name a text's row-form id took gets its path, as a file of its name and kind would
    (tmp_path / "f" / "x").mkdir(parents=True)
    shutil.copy(table, tmp_path / "f" / "x" / "a.csv")
    shutil.copy(text, tmp_path / "f" / "a:2.txt")
    assert [r.report for r in iter_records([str(tmp_path / "f")], glob="*")] == ["a:2", "x/a:2"]
    out = tmp_path / "o.jsonl"
    assert main(["tag", table, text, "--review", "50%", "-o", str(out), "--model", cli_model]) == 0
    assert "wrote " + str(out) + ": 2 reports" in capsys.readouterr().err
    assert {json.loads(line)["report"] for line in out.read_text(encoding="utf-8").splitlines()} == {"a:2", "a:2#2"}


@pytest.mark.parametrize("refused", ["a.doc", "a.xls"])
def test_a_refused_file_takes_no_id_from_a_good_one(tmp_path, refused):
    """Hunt: in a folder of a.doc (or a.xls) and a.txt, tagged with --glob '*', the refused a.doc took the id a, so
    a.txt became a#2 — and a again once the .doc was removed. A refused file takes no id (named or in a folder, and
    in two subfolders it no longer sends the good file's id to its path); .xls, .xlsm, .ods are tables."""
    from tagger.apps.batch import is_table, table_kind

    (tmp_path / refused).write_bytes(b"\xd0\xcf\x11\xe0 not text")
    (tmp_path / "a.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    got = list(iter_records([str(tmp_path)], glob="*"))
    assert [r.report for r in got if isinstance(r, Record)] == ["a"]
    assert [b.where for b in got if isinstance(b, BadRow)] == [str(tmp_path / refused)]
    got = list(iter_records([str(tmp_path / refused), str(tmp_path / "a.txt")]))
    assert isinstance(got[0], BadRow) and "is not report text" in got[0].reason and got[1].report == "a"
    for sub, name in (("x", refused), ("y", "a.txt")):
        (tmp_path / "m" / sub).mkdir(parents=True)
        shutil.copy(tmp_path / name, tmp_path / "m" / sub / name)
    got = list(iter_records([str(tmp_path / "m")], glob="*"))
    assert [r.report for r in got if isinstance(r, Record)] == ["a"]
    # review: table_kind said a truthy "refused" for .xls (`if table_kind(p):` read it as a table tag reads); it names
    # readers only, and is_table says which files take a table's ids
    suffixes = (".xls", ".xlsm", ".ods", ".doc", ".csv")
    assert [table_kind(f"a{suffix}") for suffix in suffixes] == [None] * 4 + ["csv"]
    assert [is_table(f"a{suffix}") for suffix in suffixes] == [True] * 3 + [False, True]


def test_folder_entries_that_are_no_files_are_named_and_a_link_to_a_file_is_read(tmp_path, caplog):
    """Hunt: a linked subfolder, a link to a missing file, a FIFO named x.txt inside a folder were left out without a
    word ("1 report", exit 0). A link to a file is read as the file (given again by its own name: the warning for a
    file given twice); the others are named in one warning for the folder; a loop of links is safe."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "long.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    (other / "b.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    lk = tmp_path / "lk"
    lk.mkdir()
    (lk / "own.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    (lk / "c").symlink_to(other)
    (lk / "up").symlink_to("..")
    (lk / "long.txt").symlink_to(other / "long.txt")
    (lk / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    (lk / "loop1.txt").symlink_to("loop2.txt")
    (lk / "loop2.txt").symlink_to("loop1.txt")
    os.mkfifo(lk / "x.txt")
    (lk / ".hidden").symlink_to(other)  # hidden: left out as hidden files are, without a word
    with caplog.at_level("WARNING"):
        got = list(iter_records([str(lk)]))
    assert [r.report for r in got] == ["long", "own"]
    said = [r.getMessage() for r in caplog.records if "no file to read" in r.getMessage()]
    assert said == [f"{lk}: left out 6 entries with no file to read: c (a link to a folder), dangling.txt (a link "
                    "to nothing), loop1.txt (a link to nothing), loop2.txt (a link to nothing), up (a link to a "
                    "folder), … (6 in all); a linked folder is not followed: give it as an input to tag its files"]
    caplog.clear()
    with caplog.at_level("WARNING"):
        got = list(iter_records([str(lk), str(other / "long.txt"), str(lk / "c")]))
    assert [r.report for r in got] == ["long", "own", "long#2", "b", "long#3"]  # the linked folder named: read
    assert f"{other / 'long.txt'} is given more than once" in caplog.text
    assert f"{lk / 'c' / 'long.txt'} is given more than once" in caplog.text


def test_two_tagged_files_of_one_name_get_advice_that_holds(cli_model, tmp_path, capsys):
    """Diff review: two months tagged one at a time from files named export.csv hold the same ids; read back
    together, tag advised "give each tagged file once, and not together with the reports it was tagged from"."""
    for month in ("jan", "feb"):
        (tmp_path / month).mkdir()
        (tmp_path / month / "export.csv").write_text(f'text\n"{ELDERLY}"\n', encoding="utf-8")
        assert main(["-q", "tag", str(tmp_path / month / "export.csv"), "-o", str(tmp_path / f"{month}.jsonl"),
                     "--model", cli_model]) == 0
    assert main(["tag", str(tmp_path / "jan.jsonl"), str(tmp_path / "feb.jsonl"), "-o", str(tmp_path / "both.jsonl"),
                 "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert ("jan.jsonl and " in err and "feb.jsonl are files tagger tag wrote that hold the same report ids" in err
            and "tag the reports they came from together in one run" in err and "not together with" not in err), err


def test_a_file_given_twice_is_said_as_its_second_reading_is_tagged(cli_model, tmp_path, capsys):
    """Review: "jan.csv is given more than once: tagged again as 'jan#2'" while no jan#2 id was written (a table,
    a table with --id-column, a tagged file read back). A table's rows now get jan#2 ids (each report counted
    twice, as for a text file); with --id-column or read back, the reports keep their ids, and the warning says
    so and that their paragraphs are counted twice."""
    src = tmp_path / "jan.csv"
    src.write_text(f'id,text\nr1,"{ELDERLY}"\n', encoding="utf-8")
    out = tmp_path / "twice.jsonl"
    assert main(["tag", str(src), str(src), "-o", str(out), "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert f"{src} is given more than once: tagged again with report ids 'jan#2:…' (first 'jan:…')" in err
    assert [r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))] == ["jan:2", "jan#2:2"]
    assert main(["tag", str(src), str(src), "--id-column", "id", "-o", str(out), "--force",
                 "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert (f"{src} is given more than once: read again, its reports keep the ids of its column 'id', so its "
            "paragraph ids repeat and tagger stats counts each of its reports once with its paragraphs twice") in err
    assert "again as" not in err and [r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))] == ["r1", "r1"]
    tagged = tmp_path / "tagged.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "-o", str(tagged), "--model", cli_model]) == 0
    assert main(["tag", str(tagged), str(tagged), "--format", "jsonl", "--model", cli_model]) == 0
    captured = capsys.readouterr()
    assert f"{tagged} is given more than once: read back again: its reports keep the report ids the file holds" in \
        captured.err and "again as" not in captured.err
    assert f"{tagged} is a file tagger tag wrote, read back with the report ids it holds" in captured.err
    assert [r["report"] for r in _jsonl(captured.out)] == ["r1", "r1"]


def test_ids_an_id_column_repeats_across_files_name_both_files_and_true_advice(cli_model, tmp_path, capsys):
    """Review: two monthly files whose id columns both number from 1 got a warning naming only the second file and
    advising "an id column with a value per report, or no --id-column" (which it also said to a run without one).
    The warning names the file the id came from first and where it came again, and says what to do for ids shared
    across files."""
    jan, feb = tmp_path / "jan.csv", tmp_path / "feb.csv"
    for path in (jan, feb):
        path.write_text(f'id,text\n1,"{ELDERLY}"\n2,公司召开党委会议。\n', encoding="utf-8")
    assert main(["tag", str(jan), str(feb), "--id-column", "id", "-o", str(tmp_path / "o.jsonl"),
                 "--model", cli_model]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "several input reports" in line]
    assert len(said) == 1 and f"2 report ids are given to several input reports (e.g. '1' first in {jan}, again at " \
        f"{feb}:2)" in said[0]
    assert f"the files' column 'id' gives the same ids in {jan} and {feb}" in said[0]
    assert "make the ids differ across the files" in said[0] and "or no --id-column" not in said[0]


def test_a_report_given_again_under_another_id_is_named(cli_model, tmp_path, capsys):
    """Hunt: a CMS export held a few stories twice under new ids; tagger tag said nothing and tagger stats of the one
    file counted them twice without a word (the same copies in two files were warned of). The run names them now:
    the same paragraphs and kept cells under another id, in any chunk (with workers too); another company's copy of
    a story is a report of its own, a one-line reply repeats, and an id given twice has its own warning."""
    story = "敬老月到来之际\n" + ELDERLY + "\n供电所党员服务队每月上门为独居老人检查家用线路,更换老化插座。"
    src = tmp_path / "m.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "company", "text"])
        writer.writerows([["a1", "国网甲供电公司", story], ["a2", "国网甲供电公司", "本月无新增情况。"],
                          ["a3", "南网乙供电局", story], ["a4", "国网甲供电公司", "公司召开党委会议。"],
                          ["a5", "国网甲供电公司", "本月无新增情况。"], ["a6", "国网甲供电公司", story],
                          ["a1", "国网甲供电公司", story]])
    for jobs in ("1", "2"):
        assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "company", "--chunk-size", "2",
                     "--jobs", jobs, "-o", str(tmp_path / f"o{jobs}.jsonl"), "--model", cli_model]) == 0
        said = [line for line in capsys.readouterr().err.splitlines() if "under another id" in line]
        assert len(said) == 1, said
        assert f"1 input report repeats the paragraphs and kept cells of an earlier one under another id (e.g. 'a6' " \
               f"at {src}:" in said[0] and "is 'a1' again)" in said[0]


def test_tag_names_a_copy_whose_kept_cells_differ_only_as_stats_reads_them_alike(cli_model, tmp_path, capsys):
    """Review: tagger tag compared kept cells as read (国网甲供电公司 and 国网甲供电公司 with a space, 1 and 1.0 were two
    values) where tagger stats compares them as every format reads them: stats of tag's output named a copy that tag
    had not. One rule now (report_content: each cell as _cell_key reads it)."""
    story = "敬老月到来之际\n" + ELDERLY + "\n供电所党员服务队每月上门为独居老人检查家用线路,更换老化插座。"
    src = tmp_path / "m.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["id", "company", "n", "text"], ["A", "国网甲供电公司", "1", story],
                                  ["B", "国网甲供电公司 ", "1.0", story]])
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "company", "n", "-o", str(out),
                 "--model", cli_model]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "under another id" in line]
    assert len(said) == 1 and "is 'A' again)" in said[0], said
    assert main(["stats", str(out)]) == 0
    assert "'A' in" in capsys.readouterr().err


def test_tag_frame_names_a_report_given_again_under_another_id(seed_model):
    """Hunt: the same copies tag_frame tagged without a word (corpus_stats then counted their paragraphs twice) are
    named as tagger tag names them; another company's copy and a repeated one-line reply are not."""
    from tagger.pipeline import tag_frame

    story = "敬老月到来之际\n" + ELDERLY + "\n供电所党员服务队每月上门为独居老人检查家用线路,更换老化插座。"
    df = pd.DataFrame({"id": ["a1", "a2", "a3", "a4", "a5"],
                       "company": ["国网甲供电公司", "国网甲供电公司", "南网乙供电局", "国网甲供电公司", "国网甲供电公司"],
                       "text": [story, "本月无新增情况。", story, "本月无新增情况。", story]})
    with pytest.warns(UserWarning) as caught:
        tag_frame(seed_model, df, id_column="id", keep=["company"])
    said = [str(w.message) for w in caught if "under another id" in str(w.message)]
    assert said == ["1 report(s) repeat the paragraphs and kept columns of an earlier one under another id (e.g. 'a5' "
                    "is 'a1' again): each counts as a report of its own, its paragraphs twice; if they are one report "
                    "given twice, drop the copies (df.drop_duplicates(['text', 'company']))"]


def test_csv_errors_name_the_file_line(cli_model, tmp_path, capsys):
    src = tmp_path / "m.csv"
    src.write_text('id,text\n1,"第一段。\n第二段。"\n2,""\n3,正常段落。\n4,a,b\n', encoding="utf-8")
    assert main(["tag", str(src), "--on-error", "skip", "--format", "jsonl", "--model", cli_model]) == 3
    out, err = capsys.readouterr()
    # the row starts on file line 4 (row 1 spans 2 lines): a spreadsheet shows it as row 3 (user test: the line
    # alone sent a user to the wrong row in Excel)
    assert f"{src}:4 (row 3 in a spreadsheet) (report 'm:4')" in err  # an empty text: left out, named
    assert f"{src}:6 (row 5 in a spreadsheet): more fields than the header" in err
    assert len(out.splitlines()) == 3
    blank = tmp_path / "b.csv"  # a blank line is a row in a spreadsheet too, and was named instead of the row after it
    blank.write_text('id,text\n1,正常段落。\n\n2,""\n', encoding="utf-8")
    assert main(["tag", str(blank), "--id-column", "id", "--format", "jsonl", "--model", cli_model]) == 0
    assert f"{blank}:4 (report '2')" in capsys.readouterr().err  # and with --id-column, its id


def test_csv_cells_larger_than_the_csv_module_default(cli_model, tmp_path, capsys):
    """Issue 17: a cell over 131,072 characters crashed with 'field larger than field limit'."""
    big = (ELDERLY * 10_000)[:200_000]
    src = tmp_path / "big.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["id", "text"], ["big", big], ["small", ELDERLY]])
    assert main(["tag", str(src), "--id-column", "id", "--format", "jsonl", "--model", cli_model]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [r["report"] for r in rows] == ["big", "small"] and len(rows[0]["text"]) == 200_000


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "table", "parquet"])
def test_lone_surrogates_become_replacement_characters(cli_model, tmp_path, fmt, capsys):
    """Issue 17: a lone surrogate (a JSON "\\ud800" escape) crashed every output format."""
    src = tmp_path / "s.jsonl"
    # lone halves: a high and a low surrogate that do not make a pair
    src.write_text('{"text": "' + ELDERLY + '\\ud800 \\udfff"}\n{"text": "公司召开党委会议。"}\n', encoding="utf-8")
    out = tmp_path / f"out.{'txt' if fmt == 'table' else fmt}"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert "s.jsonl:1: lone surrogate characters replaced by U+FFFD" in err and "Traceback" not in err
    if fmt == "parquet":
        text = pd.read_parquet(out)["text"].iloc[0]
    elif fmt == "csv":
        text = pd.read_csv(out)["text"].iloc[0]
    elif fmt == "jsonl":
        text = _jsonl(out.read_text(encoding="utf-8"))[0]["text"]
    else:
        text = out.read_text(encoding="utf-8").splitlines()[0].split("\t")[-1]
    assert text.endswith("\ufffd \ufffd") and text.startswith("党员志愿者")


def test_a_row_with_lone_surrogates_in_several_columns_is_warned_once_naming_them(cli_model, tmp_path, capsys):
    """Hunt 45: a row with a lone surrogate in its text and in a kept column printed the same line twice
    (sur.jsonl:1: lone surrogate characters replaced by U+FFFD), naming no column."""
    src = tmp_path / "sur.jsonl"
    src.write_text('{"company": "A\\udc80", "region": ["x\\u0000", "y\\ud800"], "text": "' + ELDERLY + '\\ud800"}\n'
                   '{"company": "B", "region": "z", "text": "公司召开党委会议。"}\n', encoding="utf-8")
    assert main(["tag", str(src), "--keep-columns", "company,region", "--format", "jsonl", "--model", cli_model]) == 0
    out, err = capsys.readouterr()
    said = [line for line in err.splitlines() if "replaced by U+FFFD" in line]
    assert said == [f"WARNING tagger.apps.batch: {src}:1: lone surrogate characters replaced by U+FFFD in 'text', "
                    "'company', 'region'",
                    f"WARNING tagger.apps.batch: {src}:1: NUL characters replaced by U+FFFD (a binary value in a "
                    "text cell?) in 'region'"], err
    row = _jsonl(out)[0]
    assert (row["company"], row["region"]) == ("A\ufffd", ["x\ufffd", "y\ufffd"])


def test_empty_stdin_is_an_error(cli_model, monkeypatch, capsys):
    """Issue 17: empty stdin exited 0 with empty output, while an empty file exits 1."""
    _stdin(monkeypatch, b"  \n")
    assert main(["tag", "-", "--model", cli_model]) == 1
    out, err = capsys.readouterr()
    assert "<stdin>: empty input, nothing to tag" in err and out == ""


@pytest.mark.parametrize("stdin", [None, "closed"])
def test_closed_stdin_is_an_error(cli_model, monkeypatch, capsys, stdin):
    """Issue 17: closed stdin crashed with AttributeError."""
    if stdin == "closed":
        stream = io.StringIO("x")
        stream.close()
        stdin = stream
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["tag", "-", "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "<stdin>: standard input is closed" in err and "Traceback" not in err


def test_stdin_as_jsonl_and_csv(cli_model, monkeypatch, capsys):
    lines = "".join(json.dumps({"id": k, "text": v}, ensure_ascii=False) + "\n" for k, v in REPORTS.items())
    _stdin(monkeypatch, lines.encode("utf-8"))
    assert main(["tag", "-", "--input-format", "jsonl", "--id-column", "id", "--format", "jsonl",
                 "--model", cli_model]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [r["paragraph"] for r in rows] == ["r1:0", "r1:1", "r1:2", "r2:0"]
    _stdin(monkeypatch, f'id,text\nr2,"{REPORTS["r2"]}"\n'.encode("gb18030"))
    assert main(["tag", "-", "--input-format", "csv", "--id-column", "id", "--format", "jsonl",
                 "--model", cli_model]) == 0
    assert [r["paragraph"] for r in _jsonl(capsys.readouterr().out)] == ["r2:0"]
    _stdin(monkeypatch, b'{"text": "a", broken\n')
    assert main(["tag", "-", "--input-format", "jsonl", "--model", cli_model]) == 1
    assert "<stdin>:1: not valid JSON" in capsys.readouterr().err


def test_stdin_as_one_report(cli_model, monkeypatch, capsys):
    _stdin(monkeypatch, REPORTS["r1"].encode("utf-16"))
    assert main(["tag", "-", "--format", "jsonl", "--model", cli_model]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [r["paragraph"] for r in rows] == ["stdin:0", "stdin:1", "stdin:2"]


def test_a_table_piped_as_text_is_refused_with_the_line_that_reads_it(cli_model, monkeypatch, capsys):
    """A sheet copied from a spreadsheet and piped to `tag -` was tagged as one report (its header and ids as
    headings); a .txt file of the same bytes was refused already. The refusal's command reads it."""
    sheet = f"编号\t正文\nr1\t{REPORTS['r2']}\nr2\t{REPORTS['r1'].splitlines()[0]}\n"
    _stdin(monkeypatch, sheet.encode("utf-8"))
    assert main(["tag", "-", "--format", "jsonl", "--model", cli_model]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "<stdin>: a table (2 tab-separated columns: 编号, 正文), not a report's text" in err
    assert "tagger tag - --input-format csv --text-column 正文" in err and "Traceback" not in err
    _stdin(monkeypatch, sheet.encode("utf-8"))
    assert main(["tag", "-", "--input-format", "csv", "--text-column", "正文", "--id-column", "编号",
                 "--format", "jsonl", "--model", cli_model]) == 0
    assert [r["paragraph"] for r in _jsonl(capsys.readouterr().out)] == ["r1:0", "r2:0"]
    report = "国网某供电公司\t2023年5月10日\n\t党员服务队为孤寡老人检查线路。\n"  # a report indented with tabs
    _stdin(monkeypatch, report.encode("utf-8"))
    assert main(["tag", "-", "--format", "jsonl", "--model", cli_model]) == 0


def test_table_output_escapes_terminal_control_and_bidi_characters(cli_model, tmp_path, capsys):
    """Issue 17: report text drove the terminal (escape sequences) in table output."""
    src = tmp_path / "evil.txt"
    src.write_text("党员\x1b[2J\x1b]0;owned\x07为孤寡老人检查线路\u202e。\u2066x\u2069\x7f\x9b\n", encoding="utf-8")
    assert main(["tag", str(src), "--model", cli_model]) == 0
    out = capsys.readouterr().out
    for ch in "\x1b\x07\u202e\u2066\u2069\x7f\x9b":
        assert ch not in out, repr(ch)
    assert "\\x1b[2J" in out and "\\u202e" in out
    assert main(["tag", str(src), "--format", "jsonl", "--model", cli_model]) == 0  # data formats keep the text
    assert "\x1b[2J" in _jsonl(capsys.readouterr().out)[0]["text"]


def test_iter_records_yields_records_and_bad_rows(tmp_path):
    (tmp_path / "a.txt").write_text(ELDERLY, encoding="utf-8")
    (tmp_path / "t.jsonl").write_text('{"text": "x。"}\n{"text": 1}\n', encoding="utf-8")
    got = list(iter_records([str(tmp_path / "a.txt"), str(tmp_path / "t.jsonl"), str(tmp_path / "none.txt")]))
    assert got[0] == Record("a", ELDERLY, str(tmp_path / "a.txt"))
    assert got[1] == Record("t:1", "x。", f"{tmp_path / 't.jsonl'}:1")
    assert isinstance(got[2], BadRow) and got[2].where == f"{tmp_path / 't.jsonl'}:2"
    assert got[3] == BadRow(str(tmp_path / "none.txt"), "no such file; check its name and path", setup=True)
    # a mistyped workbook or Parquet name was "not a readable .xlsx workbook (FileNotFoundError …); save it again"
    missing = [str(tmp_path / "reprots.xlsx"), str(tmp_path / "reprots.parquet")]
    assert list(iter_records(missing)) == [BadRow(m, "no such file; check its name and path", setup=True)
                                           for m in missing]
    only_out = list(iter_records([str(tmp_path)], glob="*.txt", exclude=[tmp_path / "a.txt"]))
    assert only_out == [BadRow(str(tmp_path), "directory contains no files matching '*.txt'")]


# ----------------------------------------------------------------------------- worker processes
def _slow_square(x):
    import time

    time.sleep(0.05 if x % 3 == 0 else 0.0)  # early items finish last: results must still come in order
    return x * x


def _fail_on_five(x):
    if x == 5:
        raise ValueError("five")
    return x


def test_imap_ordered_keeps_order_and_bounds_the_work_in_flight():
    import multiprocessing

    from tagger.common.parallel import imap_ordered

    pulled = []

    def items():
        for i in range(30):
            pulled.append(i)
            yield i

    results = imap_ordered(_slow_square, items(), jobs=2, ahead=2)
    assert next(results) == 0
    assert len(pulled) <= 2 * 2 + 1  # at most ahead x jobs items taken before the first result
    assert [0, *results] == [i * i for i in range(30)]
    assert multiprocessing.active_children() == []  # the pool is gone


def test_imap_ordered_stops_its_workers_on_error_and_early_exit():
    import multiprocessing

    from tagger.common.parallel import imap_ordered

    with pytest.raises(ValueError, match="five"):
        list(imap_ordered(_fail_on_five, range(20), jobs=2))
    assert multiprocessing.active_children() == []
    gen = imap_ordered(_slow_square, range(1000), jobs=2)
    assert next(gen) == 0
    gen.close()  # the caller stops early
    assert multiprocessing.active_children() == []


def _pid(_item: int) -> int:
    return os.getpid()


def test_imap_ordered_starts_no_more_workers_than_the_cores_can_use(monkeypatch):
    """Bad-input test: `tag one.txt --jobs 100000` had forked about 1,500-1,950 workers after 8 s (an iterator of
    items cannot say how few it holds). At most twice the cores, with a warning."""
    from tagger.common import parallel

    assert parallel.max_workers() >= 2
    said = []
    monkeypatch.setattr(parallel.log, "warning", lambda message, *args: said.append(message % args))
    monkeypatch.setattr(parallel, "max_workers", lambda: 2)  # a machine of one core (review: not 2 x 64 workers)
    pids = set(parallel.imap_ordered(_pid, (i for i in range(24)), jobs=8))
    assert len(pids) == 2
    assert said and said[0].startswith("8 worker processes asked for; this machine has cores for 1: using 2")


_STATE: dict = {}


def _set_state(value: str) -> None:
    _STATE.setdefault("calls", []).append((os.getpid(), value))


def _state(_item: int) -> tuple[int, list]:
    return os.getpid(), _STATE.get("calls", [])


def test_forked_workers_inherit_what_the_initializer_set_up():
    """Where workers fork, the initializer runs once here and the workers start with its state (a
    loaded, warmed model) instead of each loading it again."""
    import multiprocessing

    from tagger.common.parallel import imap_ordered

    _STATE.clear()
    out = list(imap_ordered(_state, range(8), jobs=2, initializer=_set_state, initargs=("model",)))
    if multiprocessing.get_start_method() == "fork":
        assert _STATE["calls"] == [(os.getpid(), "model")]  # once, in this process
        assert all(pid != os.getpid() and calls == [(os.getpid(), "model")] for pid, calls in out)
    else:  # spawn/forkserver: each worker ran it itself
        assert all(calls == [(pid, "model")] for pid, calls in out)
    _STATE.clear()


def test_imap_ordered_in_process_calls_the_initializer_once():
    from tagger.common.parallel import imap_ordered

    calls = []
    assert list(imap_ordered(abs, [-1, 2, -3], jobs=1, initializer=calls.append, initargs=("init",))) == [1, 2, 3]
    assert calls == ["init"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_report_of_page_chrome_only_is_named_not_dropped_silently(cli_model, tmp_path, jobs, capsys):
    """A report whose every line is page chrome has no paragraph rows (and so no summary row): the run says
    so, naming the input row, instead of reporting fewer reports unnoticed."""
    src = tmp_path / "ws.csv"
    src.write_text("id,text\nr1,党员志愿者走进敬老院。\nr3,首页 > 新闻中心\nr4,为老旧小区加装电梯接电。\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "--summary", "--jobs", jobs, "-o", str(out),
                 "--model", cli_model]) == 0
    err = capsys.readouterr().err
    # wording: one
    assert "1 input report had no paragraphs (an empty text, only page chrome or blank lines) and is not in" in err
    assert "ws.csv:3 (report 'r3')" in err and "2 reports" in err
    assert "r3" not in out.read_text(encoding="utf-8")
    only = tmp_path / "only.txt"  # nothing at all: the error says it, once
    only.write_text("首页 > 新闻中心\n", encoding="utf-8")
    assert main(["tag", str(only), "--model", cli_model]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: nothing to tag: no paragraphs in the input (empty texts, only blank lines or page chrome)"]
    folder = tmp_path / "earlier"  # a folder of tag's outputs only: no report was read, not "page chrome"
    folder.mkdir()
    out.rename(folder / "o.jsonl")
    assert main(["tag", str(folder), "--glob", "*", "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "left out 1 file tagger wrote earlier" in err and err.strip().splitlines()[-1] == (
        "error: nothing to tag: no report in the inputs (a table without rows, or every file left out: a warning "
        "above says which)"), err


def test_small_cli_surprises(cli_model, tmp_path, capsys, monkeypatch):
    """-o - is stdout (it wrote a file named '-'); a file given twice is named in a warning (it was tagged
    twice silently); a tab inside a paragraph cannot shift the table's columns; a kept column named like a
    summary count is refused (it was overwritten in summary rows); parquet rows count from 1 in messages."""
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "a.txt"
    src.write_text("党员志愿者走进敬老院,\t为老人检查线路。\n", encoding="utf-8")
    assert main(["tag", str(src), "-o", "-", "--model", cli_model]) == 0
    out = capsys.readouterr().out
    assert not (tmp_path / "-").exists() and out.startswith("a:0\t")
    assert out.rstrip("\n").count("\t") == 3 and "敬老院,\\t为老人" in out
    assert main(["tag", str(src), str(src), "--format", "jsonl", "--model", cli_model]) == 0
    captured = capsys.readouterr()
    assert "a.txt is given more than once: tagged again as 'a#2'" in captured.err
    assert [json.loads(line)["report"] for line in captured.out.splitlines()] == ["a", "a#2"]
    table = tmp_path / "k.csv"
    table.write_text("id,text,count_elderly_care\nr,公司召开会议。,3\n", encoding="utf-8")
    assert main(["tag", str(table), "--keep-columns", "count_elderly_care", "--summary", "--model", cli_model]) == 2
    assert "name of an output column" in capsys.readouterr().err
    pd.DataFrame({"text": ["公司召开会议。", None]}).to_parquet(tmp_path / "p.parquet")
    assert main(["tag", str(tmp_path / "p.parquet"), "--model", cli_model]) == 0  # an empty text: left out, named
    assert "p.parquet:row 2 (report 'p:1')" in capsys.readouterr().err


def test_review_update_without_export_is_a_usage_error(tmp_path, capsys):
    assert main(["review", str(tmp_path / "t.jsonl"), "--update"]) == 2
    assert "--update only applies to --export" in capsys.readouterr().err


def test_a_bad_csv_header_or_row_is_named_and_the_rest_is_read(cli_model, tmp_path, capsys):
    """Strict CSV: a malformed header is an error naming line 1 (was a traceback); a malformed row is a bad
    row, and with --on-error skip the rows after it are still read (they were all dropped)."""
    head = tmp_path / "h.csv"
    head.write_text('"id" ,text\na,公司召开会议。\n', encoding="utf-8")
    assert main(["tag", str(head), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "h.csv: line 1: the header is malformed CSV" in err and "Traceback" not in err
    src = tmp_path / "s.csv"
    src.write_text('id,text\na,"引用"原文"。"\nb,党员为孤寡老人检查线路。\nc,"never closed\n', encoding="utf-8")
    assert main(["tag", str(src), "--id-column", "id", "--format", "jsonl", "--on-error", "skip",
                 "--model", cli_model]) == 3
    captured = capsys.readouterr()
    assert [json.loads(line)["report"] for line in captured.out.splitlines()] == ["b"]
    assert "s.csv:2: malformed CSV" in captured.err and "must be doubled" in captured.err
    assert "s.csv:4: malformed CSV" in captured.err and "never closed" in captured.err


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_saved_with_semicolons_or_tabs_reads_like_commas(cli_model, inputs, tmp_path, delimiter, capsys):
    """Excel in many locales saves CSV with ";": the header line said 'no column body' although it was there."""
    with open(inputs["csv"], newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    other = tmp_path / "semi.csv"
    with open(other, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    args = ["tag", "--text-column", "body", "--id-column", "doc_id", "--format", "jsonl", "--model", cli_model]
    assert main([*args, str(inputs["csv"])]) == 0
    expected = _jsonl(capsys.readouterr().out)
    assert main([*args, str(other)]) == 0
    got = _jsonl(capsys.readouterr().out)
    assert [r["paragraph"] for r in got] == [r["paragraph"] for r in expected] == ["r1:0", "r1:1", "r1:2", "r2:0"]
    assert [r["labels"] for r in got] == [r["labels"] for r in expected]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_column_named_twice_is_refused_not_guessed(cli_model, tmp_path, suffix, capsys):
    """A header with 'text' twice used to tag whichever cell the reader kept last."""
    path = tmp_path / f"dup.{suffix}"
    if suffix == "csv":
        path.write_text("id,text,text\nr1,党员志愿者走进敬老院。,公司召开党委会议。\n", encoding="utf-8")
    else:
        pd.DataFrame([["r1", "党员志愿者走进敬老院。", "公司召开党委会议。"]],
                     columns=["id", "text", "text2"]).rename(columns={"text2": "text"}).to_excel(path, index=False)
    assert main(["tag", str(path), "--id-column", "id", "--model", cli_model]) == 1
    assert "the header names column 'text' 2 times" in (err := capsys.readouterr().err) and "(columns 2, 3); rename all but one" in err


def _exit_on_three(x):
    if x == 3:
        os._exit(3)
    return x


def test_a_worker_that_dies_is_an_error_not_a_hang():
    """A worker killed mid-run (out of memory, kill -9) surfaces as an error naming its exit code."""
    import multiprocessing

    from tagger.common.parallel import imap_ordered

    with pytest.raises(RuntimeError, match=r"a worker process died \(exit code 3\)"):
        list(imap_ordered(_exit_on_three, range(20), jobs=2))
    assert multiprocessing.active_children() == []


def test_stopping_on_errors_over_and_over_never_hangs():
    """multiprocessing.Pool.terminate after an error hung now and then on a lock its queues share (seen
    in a CI run of test_jobs_handle_bad_rows_in_input_order): the run stopped forever. Stopped on an error
    or early a hundred times in a row, the workers are always gone and nothing waits."""
    code = ("import itertools\nfrom tagger.common.parallel import imap_ordered\n"
            "def f(x):\n    if x == 5:\n        raise ValueError(x)\n    return x\n"
            "for i in range(100):\n    try:\n        list(imap_ordered(f, range(40), jobs=2, ahead=1 + i % 3))\n"
            "    except ValueError:\n        pass\n"
            "    g = imap_ordered(abs, range(1000), jobs=2)\n    next(g)\n    g.close()\n"
            "import multiprocessing\nassert multiprocessing.active_children() == []\nprint('ok')\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


class _UnreadableItem:
    """Pickles here, cannot be rebuilt in a worker (as a class defined in a notebook's __main__ under spawn)."""

    def __reduce__(self):
        return (int, ("not a number",))


def test_an_item_a_worker_cannot_read_is_an_error_not_a_hang():
    import multiprocessing

    from tagger.common.parallel import imap_ordered

    with pytest.raises(RuntimeError, match="a worker could not read the item it was sent"):
        list(imap_ordered(abs, [1, _UnreadableItem(), 3], jobs=2))
    assert multiprocessing.active_children() == []


def test_a_workers_exception_carries_its_traceback():
    from tagger.common.parallel import RemoteTraceback, imap_ordered

    with pytest.raises(ValueError, match="five") as info:
        list(imap_ordered(_fail_on_five, range(20), jobs=2))
    assert isinstance(info.value.__cause__, RemoteTraceback) and "_fail_on_five" in str(info.value.__cause__)


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_workers_run_under_every_start_method(method):
    """forkserver (the default from Python 3.14 on Linux) made every worker exit at once: its workers'
    parent is the fork server, not this process."""
    code = (f"import multiprocessing\nfrom tagger.common.parallel import imap_ordered\n"
            f"if __name__ == '__main__':\n    multiprocessing.set_start_method({method!r})\n"
            "    print(list(imap_ordered(abs, [-1, -2, 3, -4, 5], jobs=2)))\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "[1, 2, 3, 4, 5]", proc.stderr[-2000:]


def test_imap_ordered_starts_no_more_workers_than_items(monkeypatch):
    """Review 3, finding 12: ``--jobs 60`` forked 60 workers for 5 cross-validation fits."""
    import multiprocessing

    from tagger.common import parallel

    made = []

    class Counting(parallel._Worker):
        def __init__(self, *a, **k):
            made.append(1)
            super().__init__(*a, **k)

    monkeypatch.setattr(parallel, "_Worker", Counting)
    assert list(parallel.imap_ordered(abs, [-1, 2], jobs=20)) == [1, 2]
    assert len(made) == 2
    made.clear()
    assert list(parallel.imap_ordered(abs, range(-7, 0), jobs=3)) == list(range(7, 0, -1))
    assert len(made) == 3 and multiprocessing.active_children() == []
    assert list(parallel.imap_ordered(abs, [], jobs=4)) == [] and len(made) == 3
    made.clear()
    seen_before_reading = []

    def stream():  # a generator (its length unknown): every worker is forked before the first item is read
        seen_before_reading.append(len(made))
        yield from (-1, -2)

    assert list(parallel.imap_ordered(abs, stream(), jobs=3)) == [1, 2]
    assert seen_before_reading == [3] and multiprocessing.active_children() == []


def test_looks_tagged_knows_tags_outputs_and_pages_and_opens_only_workbooks_as_workbooks(tmp_path, monkeypatch):
    """A folder of Word reports had every .docx opened as a workbook (openpyxl parsing a zip that is none) to
    learn it was not an earlier output; a stats page beside saved pages was read as a report."""
    from tagger.analysis.report import _page
    from tagger.data.tagged import looks_tagged

    docx = _docx(tmp_path / "w.docx", ["党员为老人检查线路。"])
    from openpyxl.reader.excel import ExcelReader

    def refuse(*args, **kwargs):
        raise AssertionError("a Word file was opened as a workbook")

    monkeypatch.setattr(ExcelReader, "read", refuse)  # every way of opening a workbook reads through it
    assert looks_tagged(docx) is False
    (tmp_path / "stats.html").write_text(_page("{}"), encoding="utf-8")
    (tmp_path / "saved.html").write_text("<!DOCTYPE html><html><head><meta name=\"generator\" content=\"WordPress\">"
                                         "</head><body><p>党员为老人检查线路。</p></body></html>", encoding="utf-8")
    assert looks_tagged(tmp_path / "stats.html") and not looks_tagged(tmp_path / "saved.html")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["\t", "\n", "\r\n", "\x0b", "\x0c", '"', "id", "text", "正文", " "]),
                          st.text(max_size=6)), max_size=30).map("".join))
def test_the_table_check_takes_any_text(text):
    """The adversarial suite found '\\t\\x0b\\x0c' (a tab and white space only) crashing the table check."""
    from tagger.common.files import tab_table_header

    header = tab_table_header(text)
    assert header is None or (len(header) >= 2 and all(isinstance(h, str) for h in header))


def test_plain_text_on_stdin_beside_tables_is_tagged_and_the_table_options_said_not_to_apply(
        cli_model, tmp_path, monkeypatch, capsys):
    """stdin read as plain text beside a table: --text-column/--id-column apply to the table only, and a kept
    column is empty for the stdin report; each said once, and both inputs are tagged."""
    table = tmp_path / "t.csv"
    table.write_text("id,body,x\nc1,公司召开党委会议。,v\n", encoding="utf-8")
    _stdin(monkeypatch, ELDERLY.encode("utf-8"))
    assert main(["tag", "-", str(table), "--text-column", "body", "--id-column", "id", "--keep-columns", "x",
                 "--format", "jsonl", "--model", cli_model]) == 0
    out, err = capsys.readouterr()
    rows = _jsonl(out)
    assert [(r["paragraph"], r["x"]) for r in rows] == [("stdin:0", None), ("c1:0", "v")]
    assert "elderly_care" in rows[0]["labels"]
    assert err.count("<stdin>: read as one report (not a table): --id-column id and --text-column body apply only "
                     "to the tables among the inputs") == 1
    assert err.count("<stdin>: plain text has no columns; the kept columns ['x'] are empty for it") == 1


def test_a_row_without_an_id_value_and_an_empty_first_sheet_are_named(cli_model, tmp_path, capsys):
    """A JSON line whose id is null, a workbook whose first sheet is empty: the file and row named, exit 1, no
    output; with --on-error skip the other rows are tagged."""
    import openpyxl

    rows = tmp_path / "n.jsonl"
    rows.write_text(json.dumps({"id": None, "text": ELDERLY}) + "\n" + json.dumps({"id": "b", "text": ELDERLY}) + "\n",
                    encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(rows), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 1
    assert f"{rows}:1: the 'id' cell is empty: each report needs its id" in capsys.readouterr().err
    assert not out.exists()
    assert main(["tag", str(rows), "--id-column", "id", "-o", str(out), "--on-error", "skip",
                 "--model", cli_model]) == 3
    assert [r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))] == ["b"]
    book = tmp_path / "e.xlsx"
    wb = openpyxl.Workbook()
    wb.create_sheet("second").append(["text"])
    wb.save(book)
    assert main(["tag", str(book), "-o", str(tmp_path / "e.jsonl"), "--model", cli_model]) == 1
    assert (f"{book}: sheet 'Sheet', the first visible one, is empty: tagger reads the column names from "
            "its first row; sheet 'second' has the column 'text': move it first, or save it as .csv"
            ) in capsys.readouterr().err
    assert not (tmp_path / "e.jsonl").exists()


@pytest.mark.parametrize("cell,shown", [(True, "true (a boolean)"), (1.5, "1.5 (a number with a fraction part)"),
                                        ([1], "[1] (a list)"), ({"a": 1}, '{"a": 1} (an object)')])
def test_an_id_cell_that_is_neither_text_nor_a_whole_number_is_a_bad_row(cli_model, tmp_path, capsys, cell, shown):
    """User test: a JSON line whose id is true became the report id 'True' (1.5, [1] and {"a": 1} became ids too,
    Python's text of them). Such an id cell is a bad row naming its line, as an empty one is; a whole number
    is still an id."""
    rows = tmp_path / "n.jsonl"
    rows.write_text(json.dumps({"id": cell, "text": ELDERLY}) + "\n" + json.dumps({"id": 7, "text": ELDERLY}) + "\n",
                    encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(rows), "--id-column", "id", "-o", str(out), "--model", cli_model]) == 1
    assert (f"{rows}:1: the 'id' cell holds {shown}, not an id: each report needs its id, as text or a whole "
            "number (fill it in, or tag without --id-column") in capsys.readouterr().err
    assert not out.exists()
    assert main(["tag", str(rows), "--id-column", "id", "-o", str(out), "--on-error", "skip",
                 "--model", cli_model]) == 3
    assert [r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))] == ["7"]


def test_a_json_line_giving_a_key_twice_is_a_bad_row_not_a_lost_text(cli_model, tmp_path, capsys):
    """Review: {"id": "r1", "text": A, "text": B} lost A without a word (JSON keeps the last), where a CSV header
    naming a column twice is refused."""
    src = tmp_path / "dup.jsonl"
    src.write_text('{"id": "r1", "text": "党员为孤寡老人检查线路。", "text": "公司召开会议。"}\n'
                   '{"id": "r2", "text": "text"}\n'  # a value that is a key's name: no refusal
                   '{"id": "r3", "text": "党员为孤寡老人检查线路。", "t\\u0065xt": "公司召开会议。"}\n',  # the key escaped
                   encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--on-error", "skip", "--model", cli_model]) == 3
    err = capsys.readouterr().err
    assert (f"{src}:1: the key 'text' is given more than once in this object (JSON keeps only the last, and the "
            "others would be lost without a word); write each key once") in err
    assert f"{src}:3: the key 'text' is given more than once" in err
    assert [r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))] == ["r2"]


def test_a_whole_float_id_is_the_whole_number_in_every_table_format_that_holds_numbers(cli_model, tmp_path, capsys):
    """Review: pandas writes an id column with an empty cell as floats (101.0); JSONL and Parquet refused 101.0 as
    'a number with a fraction part' while a workbook gave the id 101 — one frame, different ids by format."""
    import pandas as pd

    df = pd.DataFrame({"id": [101, 102, None], "text": [ELDERLY, ELDERLY, ELDERLY]})
    assert df["id"].dtype == float
    ids = {}
    for suffix, write in ((".jsonl", lambda p: df.to_json(p, orient="records", lines=True, force_ascii=False)),
                          (".parquet", df.to_parquet), (".xlsx", lambda p: df.to_excel(p, index=False))):
        src = tmp_path / f"ids{suffix}"
        write(src)
        out = tmp_path / f"out{suffix}.jsonl"
        assert main(["-q", "tag", str(src), "--id-column", "id", "-o", str(out), "--on-error", "skip",
                     "--model", cli_model]) == 3  # the empty id: a bad row
        ids[suffix] = [r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))]
    assert ids == dict.fromkeys(ids, ["101", "102"]), ids
    # beyond 2**53 a float holds no exact whole number: two long ids would become one (review)
    long = tmp_path / "long.jsonl"
    long.write_text(json.dumps({"id": 20240101000000123.0, "text": ELDERLY}) + "\n", encoding="utf-8")
    assert main(["tag", str(long), "--id-column", "id", "-o", str(tmp_path / "l.jsonl"), "--model", cli_model]) == 1
    assert "(a number too long for a float column to hold exactly" in capsys.readouterr().err


@pytest.mark.parametrize("column,options", [("blob", ["--id-column", "id", "--keep-columns", "blob"]),
                                            ("bid", ["--id-column", "bid"]), ("blobs", ["--keep-columns", "blobs"])])
def test_a_parquet_column_of_binary_values_is_refused_by_name(cli_model, tmp_path, capsys, column, options):
    """User test: a kept Parquet column of binary values was written as Python's repr ("b'\\x00\\x01'"), and a
    binary id column made the report id "b'r1'". A binary column read (kept, id or text; a list of binaries too)
    is refused before any row is read, naming it and what to do; nothing is written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = tmp_path / "b.parquet"
    pq.write_table(pa.table({"id": ["r1", "r2"], "text": [ELDERLY, ELDERLY], "blob": [b"\x00\x01", None],
                             "bid": [b"r1", b"r2"], "blobs": [[b"\x00"], []]}), table)
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(table), *options, "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert (f"{table}: column {column!r} holds binary values (Parquet type binary), not text: tagger cannot write "
            "them as they are; ") in err and "convert the column to text first" in err, err
    assert ("drop it from --keep-columns" in err) == (column != "bid") and not out.exists()


def test_earlier_sqlite_and_xlsx_outputs_in_an_input_folder_are_left_out_and_replaced(cli_model, tmp_path, capsys):
    """looks_tagged knows tag's .sqlite (its tagger_meta table) and .xlsx (its paragraphs sheet): with --glob '*'
    they are left out of the input, and a run writing over one in the folder replaces it; a workbook of the
    user's there is read as a table."""
    import openpyxl

    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_text(REPORTS["r1"], encoding="utf-8")
    for name in ("earlier.sqlite", "earlier.xlsx"):
        assert main(["tag", str(folder / "a.txt"), "-o", str(folder / name), "--model", cli_model]) == 0
    capsys.readouterr()
    n = len(REPORTS["r1"].strip().split("\n"))
    assert main(["tag", str(folder), "--glob", "*", "--format", "jsonl", "--model", cli_model]) == 0
    out, err = capsys.readouterr()
    assert {r["report"] for r in _jsonl(out)} == {"a"} and len(_jsonl(out)) == n
    assert "left out 2 files" in err and "earlier.sqlite" in err and "earlier.xlsx" in err
    for name in ("earlier.sqlite", "earlier.xlsx"):  # the folder's own earlier output: replaced, not a report
        assert main(["tag", str(folder), "--glob", "*", "-o", str(folder / name), "--force",
                     "--model", cli_model]) == 0, capsys.readouterr().err
    with sqlite3.connect(folder / "earlier.sqlite") as conn:
        assert {r for (r,) in conn.execute("SELECT DISTINCT report FROM paragraphs")} == {"a"}
    wb = openpyxl.Workbook()
    wb.active.append(["id", "text"])
    wb.active.append(["u1", REPORTS["r2"]])
    wb.save(folder / "mine.xlsx")
    assert main(["tag", str(folder), "--glob", "*", "--id-column", "id", "--format", "jsonl",
                 "--model", cli_model]) == 0, capsys.readouterr().err
    assert {r["report"] for r in _jsonl(capsys.readouterr().out)} == {"a", "u1"}


def test_a_folder_leaves_out_label_files_exports_and_stats_tagger_wrote_but_reads_tables_of_reports(
        cli_model, project, tmp_path, capsys):
    """User test: tagger tag --glob '*' on a folder that also held tagger labels export's doccano JSONL, the
    suggest CSV or a label file read each paragraph of them as a report (tagged again, counted twice), the
    Label Studio labelling config as a report's text, and stopped at the Label Studio tasks ("is a JSON array")
    and at stats counts ("no column 'text'"). Such files are left out with a warning naming each and what it is
    (recognised by their fields: text_sha, the config's tags, stats' header and about sheet); ordinary tables
    of reports in the folder are still read."""
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_text(REPORTS["r1"], encoding="utf-8")
    (folder / "reports.jsonl").write_text(json.dumps({"id": "u1", "text": REPORTS["r2"]}, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    (folder / "reports.csv").write_text(f'id,text,note\nu2,"{ELDERLY}",x\n', encoding="utf-8")
    tagged = folder / "tagged.jsonl"
    for argv in (["tag", str(folder / "a.txt"), "-o", str(tagged), "--model", cli_model],
                 ["labels", "export", str(tagged), "--to", "doccano", "-o", str(folder / "export.jsonl")],
                 ["labels", "export", str(tagged), "--to", "labelstudio", "-o", str(folder / "tasks.json"),
                  "--model", cli_model],
                 ["suggest", str(folder / "a.txt"), "--root", str(project), "--model", cli_model, "-o",
                  str(folder / "to_label.csv")],
                 ["stats", str(tagged), "-o", str(folder / "counts.csv")],
                 ["stats", str(tagged), "-o", str(folder / "counts.xlsx")]):
        assert main(["-q", *argv]) == 0, capsys.readouterr().err
    (folder / "imported.jsonl").write_text(json.dumps(  # a copy of labels/imported.jsonl
        {"id": "x:1", "doc": "x", "text": ELDERLY, "labels": ["elderly_care"], "source": "imported",
         "text_sha": text_sha(ELDERLY)}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(folder), "--glob", "*", "--id-column", "id", "-o", str(out), "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert {r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))} == {"a", "u1", "u2"}, err
    assert f"{folder}: left out 8 files tagger wrote earlier, " in err, err
    for name, kind in [("export.jsonl", "paragraphs with their text_sha"), ("imported.jsonl", "paragraphs with"), ("tasks.json", "paragraphs with their"),
                       ("to_label.csv", "paragraphs with their"), ("tasks.label_config.xml", "the Label Studio "
                       "labelling config labels export wrote"), ("counts.csv", "stats counts"),
                       ("counts.xlsx", "stats counts"), ("tagged.jsonl", "tag's output")]:
        assert str(folder / name) in err and kind in err, (name, err)


def test_a_csv_row_of_empty_cells_is_skipped_as_in_a_workbook(cli_model, tmp_path, capsys):
    """A user saved a sheet with an empty row between reports and empty rows at its end as CSV (Excel writes
    them as `,,,`); tag stopped at the first with "'text' is empty", while the same sheet as .xlsx tagged."""
    src = tmp_path / "sheet.csv"
    src.write_bytes(f'id,company,text\r\nr1,东湖,"{ELDERLY}"\r\n,,\r\nr2, ,"{ELDERLY}"\r\n,,\r\n , ,\r\n'.encode())
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "company", "--model", cli_model,
                 "-o", str(out)]) == 0
    assert {r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))} == {"r1", "r2"}
    bad = tmp_path / "bad.csv"  # a row with an id but no text: a report with nothing to tag, left out and named
    bad.write_text(f'id,text\nr1,"{ELDERLY}"\nr2,\n', encoding="utf-8")
    assert main(["tag", str(bad), "--id-column", "id", "--model", cli_model, "--format", "jsonl"]) == 0
    assert "bad.csv:3 (report 'r2')" in capsys.readouterr().err


def test_csv_header_names_are_read_without_white_space_at_their_ends_as_in_a_workbook(cli_model, tmp_path, capsys):
    """A user's sheet had headers 'id ', 'company ' and ' text'; as .xlsx it tagged with --id-column id
    --keep-columns company, saved as CSV it stopped with "no column 'text'"."""
    rows = [["id ", "company ", " text"], ["r1", "东湖", ELDERLY]]
    book = tmp_path / "sheet.xlsx"
    import openpyxl

    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(book)
    src = tmp_path / "sheet.csv"
    with open(src, "w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows(rows)
    got = {}
    for path in (book, src):
        out = tmp_path / f"{path.suffix[1:]}.jsonl"
        assert main(["tag", str(path), "--id-column", "id", "--keep-columns", "company", "--model", cli_model,
                     "-o", str(out)]) == 0, capsys.readouterr().err
        got[path.suffix] = [(r["report"], r["company"], r["text"]) for r in _jsonl(out.read_text(encoding="utf-8"))]
    assert got[".csv"] == got[".xlsx"] == [("r1", "东湖", ELDERLY)]


@pytest.mark.parametrize("ext", ["csv", "jsonl", "xlsx", "parquet"])
def test_a_table_with_an_id_column_says_how_to_use_it(cli_model, tmp_path, capsys, ext):
    """Visual QA: a CSV of reports with an ``id`` column (C01, C02 …) tagged without --id-column gave report ids
    ``corpus:2``, ``corpus:3`` … in every output and the stats, with no word on why (README documents it). Tag says,
    once per input, which column it saw and the option that uses it; with the option, or without such a column, it
    says nothing."""
    frame = pd.DataFrame({"编号": ["C01", "C02"], "text": ["社区老人用电安全检查。", "为企业办理报装。"]})
    src = tmp_path / f"corpus.{ext}"
    if ext == "csv":
        frame.to_csv(src, index=False)
    elif ext == "jsonl":
        frame.to_json(src, orient="records", lines=True, force_ascii=False)
    elif ext == "xlsx":
        frame.to_excel(src, index=False)
    else:
        frame.to_parquet(src, index=False)
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert err.count("column '编号'") == 1 and "--id-column 编号" in err, err
    assert main(["tag", str(src), "-o", str(out), "--force", "--id-column", "编号", "--model", cli_model]) == 0
    assert "--id-column" not in capsys.readouterr().err
    frame.drop(columns="编号").to_csv(src.with_suffix(".csv"), index=False)
    assert main(["tag", str(src.with_suffix(".csv")), "-o", str(out), "--force", "--model", cli_model]) == 0
    assert "--id-column" not in capsys.readouterr().err


def test_a_text_an_xlsx_output_cut_is_tagged_with_a_warning(cli_model, tmp_path, capsys):
    """Review of the cut-text work: tag on a tagged workbook (or a CSV a spreadsheet made of it) tagged a text
    that an .xlsx output had cut at Excel's cell limit, note included, without a word: its labels are those of
    part of a paragraph. Tag says which row it is and where the whole text is kept."""
    from tagger.common.xlsx import cut_note

    src = tmp_path / "from_workbook.csv"
    frame = pd.DataFrame({"text": ["社区老人用电安全检查。" + cut_note(40_012), "为企业办理报装。"]})
    frame.to_csv(src, index=False)
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert f"{src}:2: the text ends with the note of a cell an .xlsx output cut" in err, err
    assert f"{src}:3" not in err  # the whole text: nothing to say


@pytest.mark.parametrize("content", ["", "\n\n", "\ufeff"])
def test_an_empty_csv_is_said_to_be_empty(cli_model, tmp_path, capsys, content):
    """User test: an empty CSV was refused with "no column 'text'; the columns are []", as if its header were wrong;
    an empty .txt is called empty. The CSV is too, with what a table of reports starts with."""
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    assert main(["tag", str(path), "--model", cli_model, "-o", str(tmp_path / "out.jsonl")]) == 1
    err = capsys.readouterr().err
    assert f"{path}: empty file: no header row (a table of reports starts with one naming its columns, such as " \
           "id,text)" in err and "the columns are" not in err, err
    assert not (tmp_path / "out.jsonl").exists()


def test_the_display_table_names_labels_as_stats_and_evaluate_do_and_old_tables_are_still_known(cli_model, tmp_path,
                                                                                                capsys):
    """User test: the terminal table wrote old_neighbourhood_retrofit's score as old=…, where stats, evaluate and the
    HTML report say retrofit. It says retrofit=… now; a table an earlier release wrote (old=…) is still recognised
    as tag's output (a folder tagged with --glob '*' does not read it as a report)."""
    from tagger.data.tagged import looks_tagged

    src = tmp_path / "r.txt"
    src.write_text("党员服务队为孤寡老人检查线路。\n", encoding="utf-8")
    out = tmp_path / "table.txt"
    assert main(["tag", str(src), "--model", cli_model, "--format", "table", "-o", str(out)]) == 0
    line = out.read_text(encoding="utf-8").splitlines()[0]
    assert "elderly=" in line and " retrofit=" in line and " old=" not in line, line
    assert looks_tagged(out)
    out.write_text(line.replace(" retrofit=", " old=") + "\n", encoding="utf-8")
    assert looks_tagged(out)


def test_a_date_cell_kept_from_a_workbook_is_its_date(cli_model, tmp_path):
    """User test: an Excel date cell carried by --keep-columns came out as "2024-05-10T00:00:00" in every output,
    a timestamp nobody typed; a date cell is its date (a time of day is kept)."""
    import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "text", "date", "at"])
    ws.append(["R1", "党员服务队为孤寡老人义务检查线路。", datetime.datetime(2024, 5, 10), datetime.datetime(2024, 5, 10, 9, 30)])
    src = tmp_path / "reports.xlsx"
    wb.save(src)
    out = tmp_path / "out.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "date", "at", "--model", cli_model,
                 "-o", str(out)]) == 0
    row = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert (row["date"], row["at"]) == ("2024-05-10", "2024-05-10T09:30:00")


def test_one_id_given_to_several_reports_is_said(cli_model, tmp_path, capsys):
    """User test: an id column holding a title ('t') for six workbook rows gave "1 reports, 36 paragraphs", repeated
    paragraph ids, and stats counting one report, without a word. The rows stay apart as before (summary rows,
    chunks), and the run says which id is shared and by which rows, and what to do."""
    src = tmp_path / "dup.csv"
    src.write_text(f'id,text\nt,"{ELDERLY}"\nt,公司召开党委会议。\nu,公司召开党委会议。\nt,"{ELDERLY}"\n', encoding="utf-8")
    for size in ("1", "500"):
        out = tmp_path / f"o{size}.jsonl"
        assert main(["tag", str(src), "--id-column", "id", "--chunk-size", size, "-o", str(out),
                     "--model", cli_model]) == 0
        said = [line for line in capsys.readouterr().err.splitlines() if "given to several input reports" in line]
        assert len(said) == 1 and f"'t' first in {src}, again at {src}:3, {src}:5)" in said[0]
        assert "give each report its own value in the column 'id'" in said[0]
        assert "WARNING tagger: 1 report id is" in said[0]
        assert [json.loads(line)["paragraph"] for line in out.read_text(encoding="utf-8").splitlines()] == [
            "t:0", "t:0", "u:0", "t:0"]  # the rows as before
    src.write_text(f'id,text\nt,"{ELDERLY}"\nu,公司召开党委会议。\n', encoding="utf-8")
    assert main(["tag", str(src), "--id-column", "id", "-o", str(tmp_path / "ok.jsonl"), "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert "several input reports" not in err and "ok.jsonl: 2 reports, 2 paragraphs" in err


def test_a_raw_nul_byte_in_a_csv_cell_near_its_start_is_that_rows_problem(cli_model, tmp_path, capsys):
    """In the first 4 kB of a CSV one stray NUL byte made the whole table "a binary file": --on-error skip dropped
    all its reports, while the same byte further down only cost a warning on its row (review)."""
    src = tmp_path / "t.csv"
    rows = ["id,text", "a,党员志愿者走进敬老院\x00为孤寡老人义务检查线路。", "b,公司开辟绿色通道为企业接电。"]
    src.write_bytes("\n".join(rows).encode("utf-8"))
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--on-error", "skip", "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert "t.csv:2: NUL characters replaced by U+FFFD" in err and "binary file" not in err
    assert {json.loads(line)["report"] for line in out.read_text(encoding="utf-8").splitlines()} == {"a", "b"}
    src.write_bytes(b"\x00\x01\x02\x00" * 100)  # binary data is still told as such
    assert main(["tag", str(src), "--id-column", "id", "-o", str(out), "--force", "--model", cli_model]) == 1
    assert "looks like a binary file (NUL bytes)" in capsys.readouterr().err


def test_a_nul_in_a_table_cell_never_reaches_an_output(cli_model, tmp_path, capsys):
    """Bad-input test: a JSON \\u0000 in a text or kept cell went into every output: SQLite's search stopped at it
    (the README's MATCH query missed the paragraph) and tag's own CSV was refused by stats, review and labels
    export (with advice about encodings that could not help). It becomes U+FFFD, with a warning naming the line."""
    src = tmp_path / "nul.jsonl"
    src.write_text(json.dumps({"id": "z", "text": "党员志愿者走进敬老院\x00为孤寡老人义务检查线路。", "company": "甲\x00乙"},
                              ensure_ascii=True) + "\n", encoding="utf-8")
    out = tmp_path / "t.csv"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "company", "-o", str(out),
                 "--model", cli_model]) == 0
    err = capsys.readouterr().err
    assert "nul.jsonl:1: NUL characters replaced by U+FFFD" in err
    assert "t.csv: 1 report, 1 paragraph\n" in err  # user test: it said "1 reports, 1 paragraphs"
    assert b"\x00" not in out.read_bytes() and "敬老院\ufffd为孤寡老人" in out.read_text(encoding="utf-8-sig")
    assert main(["stats", str(out), "--by", "company"]) == 0
    db = tmp_path / "t.sqlite"
    assert main(["tag", str(src), "--id-column", "id", "-o", str(db), "--model", cli_model]) == 0
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH '孤寡老人'").fetchone() == (1,)


def test_ids_a_spreadsheet_rounded_to_scientific_notation_are_named_as_such(cli_model, tmp_path, capsys):
    """14-digit ids that Excel saved as 2.02405E+13 made several reports one, with advice to give each its own id
    (review): the warning says what happened and what to do in the spreadsheet."""
    src = tmp_path / "r.csv"
    src.write_text("编号,正文\n2.02405E+13,党员服务队为孤寡老人检查线路。\n2.02405E+13,公司开辟绿色通道为企业接电。\n",
                   encoding="utf-8")
    assert main(["tag", str(src), "--id-column", "编号", "--text-column", "正文", "-o", str(tmp_path / "o.jsonl"),
                 "--model", cli_model]) == 0
    assert ("'2.02405E+13' is a long number a spreadsheet saved in scientific notation: format the id column as text "
            "(or the number format 0) and save the file again") in capsys.readouterr().err


def test_a_tab_separated_sheet_piped_in_with_a_comma_in_a_column_name_is_read_at_its_tabs(cli_model, monkeypatch,
                                                                                           capsys):
    """Review: a sheet piped to `tag - --input-format csv` (tab-separated tables are read too, the refusal of a piped
    table says) whose header names a column 'company, branch' was split at that comma: "no column 'text'; the
    columns are ['id\\ttext\\tcompany', 'branch']". The header's tabs separate its columns."""
    sheet = f"id\ttext\tcompany, branch\nr1\t{ELDERLY}\t东湖供电公司, 城区\n"
    _stdin(monkeypatch, sheet.encode("utf-8"))
    assert main(["tag", "-", "--input-format", "csv", "--id-column", "id", "--format", "jsonl",
                 "--model", cli_model]) == 0
    rows = _jsonl(capsys.readouterr().out)
    assert [(r["paragraph"], r["text"]) for r in rows] == [("r1:0", ELDERLY)]


LONG_COLUMN = "客户诉求内容（95598工单系统导出的原始记录，含处理过程、回访意见）"


def test_a_unicode_text_sheet_with_long_column_names_is_a_table_and_reports_with_tabs_are_reports(
        cli_model, tmp_path, monkeypatch, capsys):
    """Review: Excel's 'Unicode Text' save (UTF-16, tab-separated, .txt) of a sheet of reports whose header has a
    column name over 30 characters was tagged as one report of its lines (header and ids as headings): it is a table,
    refused with the advice to name it .tsv, named so read a report per row, and so is the sheet piped in. A report
    whose first line is a long title over paragraphs indented with tabs, or a long sentence, is still a report."""
    assert len(LONG_COLUMN) > 30
    rows = [["id", "text", LONG_COLUMN], ["r1", ELDERLY, "已处理"], ["r2", "公司召开安全生产会议。", ""]]
    sheet = "\r\n".join("\t".join(row) for row in rows) + "\r\n"
    src = tmp_path / "sheet.txt"
    src.write_bytes(sheet.encode("utf-16"))
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert f"sheet.txt: a table (3 tab-separated columns: id, text, {LONG_COLUMN}), not a report's text" in err
    assert "name it .tsv" in err and not out.exists()
    src.rename(tmp_path / "sheet.tsv")
    assert main(["tag", str(tmp_path / "sheet.tsv"), "--id-column", "id", "--keep-columns", LONG_COLUMN,
                 "-o", str(out), "--model", cli_model]) == 0
    assert {(r["report"], r[LONG_COLUMN]) for r in _jsonl(out.read_text(encoding="utf-8"))} == {
        ("r1", "已处理"), ("r2", "")}
    _stdin(monkeypatch, sheet.encode("utf-8"))
    assert main(["tag", "-", "--format", "jsonl", "--model", cli_model]) == 1
    assert f"<stdin>: a table (3 tab-separated columns: id, text, {LONG_COLUMN})" in capsys.readouterr().err
    title = "国网某供电公司党员服务队走进幸福小区为孤寡老人开展安全用电检查"  # 31 characters, no punctuation
    sentence = "2023年5月10日上午，国网某供电公司党员服务队走进幸福小区，为老人检查线路。"
    assert len(title) > 30 and len(sentence) > 30
    for name, report in [("titled.txt", f"标题\t{title}\n\t{ELDERLY}\n\t公司召开会议。\n"),
                         ("form.txt", f"时间\t{sentence}\n地点\t幸福小区\n")]:
        (tmp_path / name).write_text(report, encoding="utf-16")
        assert main(["tag", str(tmp_path / name), "--format", "jsonl", "--model", cli_model]) == 0, name
        assert {r["report"] for r in _jsonl(capsys.readouterr().out)} == {name[:-4]}


_LONG_NAME_CHARS = st.sampled_from(list("客户诉求内容工单系统导出原始记录处理过程回访意见是否满意"
                                         "请描述（）、，？_-abcXYZ019 "))


@settings(max_examples=200, deadline=None)
@given(long=st.lists(_LONG_NAME_CHARS, min_size=31, max_size=100).map("".join).map(str.strip)
       .filter(lambda s: len(s) > 30), rows=st.integers(1, 4))
def test_a_long_column_name_is_a_name_and_a_long_first_line_over_indented_paragraphs_is_no_header(long, rows):
    """Property: a header naming id and text beside a name of 31 to 100 characters that is no sentence, over rows
    that fill each column, is a table's header (the name was a report's title to the 30-character limit); the same
    long cell after 标题 over paragraphs indented with tabs, or any header cell that is a sentence, is a report's."""
    from tagger.common.files import tab_table_header

    body = "".join(f"r{n}\t{ELDERLY}\t是\n" for n in range(rows))
    assert tab_table_header(f"id\ttext\t{long}\n{body}") == ["id", "text", long]
    assert tab_table_header(f"标题\t{long}\n" + f"\t{ELDERLY}\n" * rows) is None
    assert tab_table_header(f"id\ttext\t{long}。\n{body}") is None


NEWS_TITLE = "国网某供电公司党员服务队走进幸福小区为孤寡老人开展安全用电检查活动"  # over 30 characters


@pytest.mark.parametrize("marks", [("1.", "2."), ("一、", "二、"), ("(1)", "(2)"), ("①", "②"), ("•", "•")])
@pytest.mark.parametrize("title", [NEWS_TITLE, "安全用电检查活动"])
@pytest.mark.parametrize("word", ["标题", "内容"])
def test_a_title_over_word_numbered_paragraphs_is_a_report_not_a_table(word, title, marks):
    """Review: Word writes a tab after each list number when it saves a numbered list as text; a report whose first
    line is 标题<tab>its title over such paragraphs was refused as "a table (2 tab-separated columns: 标题, …)" (a
    short title too): a column of list numbers filled the "every named column has a value" test. No table column."""
    from tagger.common.files import tab_table_header

    report = f"{word}\t{title}\n{marks[0]}\t{ELDERLY}\n{marks[1]}\t公司召开会议。\n"
    assert tab_table_header(report) is None
    assert tab_table_header(f"序号\t{word}\n1\t{ELDERLY}\n2\t公司召开会议。\n") == ["序号", word]  # plain numbers


def test_word_numbered_reports_are_tagged_from_a_file_and_stdin(cli_model, tmp_path, monkeypatch, capsys):
    """Review: ``tagger tag news4.txt`` said 'a table (2 tab-separated columns: 标题, 国网…活动), not a report's
    text'; it is one report, from a file and from stdin."""
    news = f"标题\t{NEWS_TITLE}\n1.\t{ELDERLY}\n2.\t公司召开会议。\n"
    (tmp_path / "news4.txt").write_text(news, encoding="utf-8")
    assert main(["tag", str(tmp_path / "news4.txt"), "--format", "jsonl", "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(capsys.readouterr().out)} == {"news4"}
    _stdin(monkeypatch, news.encode("utf-8"))
    assert main(["tag", "-", "--format", "jsonl", "--model", cli_model]) == 0
    assert {r["report"] for r in _jsonl(capsys.readouterr().out)} == {"stdin"}


def test_a_unicode_text_sheet_with_a_sparse_column_and_a_long_name_is_a_table(cli_model, tmp_path, capsys):
    """Review: a UTF-16 'Unicode Text' sheet with a long column name and a column empty in the rows read (备注) was
    tagged as one report, every row a heading, exit 0 (the same sheet without the long name was refused): most of
    its named columns are filled, so it is a table, refused with the advice to name it .tsv."""
    from tagger.common.files import tab_table_header

    header = ["id", "text", "备注", LONG_COLUMN]
    sheet = "\t".join(header) + "\r\n" + "".join(f"r{n}\t{ELDERLY}\t\t已处理\r\n" for n in range(60))
    assert tab_table_header(sheet) == header
    (tmp_path / "sheet.txt").write_bytes(sheet.encode("utf-16"))
    assert main(["tag", str(tmp_path / "sheet.txt"), "--format", "jsonl", "--model", cli_model]) == 1
    assert "sheet.txt: a table (4 tab-separated columns: id, text, 备注, " in capsys.readouterr().err
    # a report's long title over paragraphs indented with tabs fills one column of two: still a report
    assert tab_table_header(f"标题\t{NEWS_TITLE}\n\t{ELDERLY}\n\t公司召开会议。\n") is None


@settings(max_examples=150, deadline=None)
@given(marks=st.lists(st.sampled_from(["1.", "2、", "三、", "(4)", "（五）", "⑥", "a)", "第七", "•", "·"]),
                      min_size=1, max_size=6),
       title=st.lists(_LONG_NAME_CHARS, min_size=1, max_size=100).map("".join).map(str.strip).filter(bool))
def test_any_title_over_list_numbered_paragraphs_is_a_report(marks, title):
    """Property: a first line 标题<tab>title (of any length, no sentence) over paragraphs each after a list number
    or bullet and a tab is a report's text, never a table."""
    from tagger.common.files import tab_table_header

    assert tab_table_header(f"标题\t{title}\n" + "".join(f"{m}\t{ELDERLY}\n" for m in marks)) is None


def test_keep_columns_takes_a_name_with_a_comma_whole_when_the_input_has_it(cli_model, tmp_path, capsys):
    """Review: ``--keep-columns "company, branch"`` split the name at its comma (no column 'company' to keep): an
    argument, or a run of its comma-separated parts, that names a column of the input whole is taken whole (the
    error for a column the input lacks already named the columns it has)."""
    from tagger.apps.batch import keep_columns

    table = tmp_path / "t.csv"
    table.write_text(f'id,text,"company, branch",date\nr1,"{ELDERLY}","东湖供电公司, 城区",2024-05-01\n',
                     encoding="utf-8")
    assert keep_columns(["company, branch"], [str(table)]) == ["company, branch"]
    assert keep_columns(["date,company, branch"], [str(table)]) == ["date", "company, branch"]
    assert keep_columns(["company, date"], []) == ["company", "date"]
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(table), "--id-column", "id", "--keep-columns", "company, branch", "date",
                 "-o", str(out), "--model", cli_model]) == 0
    assert {(r["company, branch"], r["date"]) for r in _jsonl(out.read_text(encoding="utf-8"))} == {
        ("东湖供电公司, 城区", "2024-05-01")}
    assert main(["tag", str(table), "--id-column", "id", "--keep-columns", "region", "-o", str(out), "--force",
                 "--model", cli_model]) == 1
    assert "the columns are ['id', 'text', 'company, branch', 'date']" in capsys.readouterr().err


def test_keep_columns_a_blank_argument_names_nothing_whatever_the_others_are(cli_model, tmp_path):
    """Read-through: a blank ``--keep-columns`` argument was dropped, except when another argument had a comma and
    the input a column without a name: then that column was kept, as ``""`` in every output row. One rule now."""
    from tagger.apps.batch import keep_columns

    table = tmp_path / "t.csv"
    table.write_text(f'id,text,,company\nr1,"{ELDERLY}",x,东湖供电公司\n', encoding="utf-8")
    assert keep_columns(["", "company", " "], [str(table)]) == ["company"]
    assert keep_columns(["", "company,id", " "], [str(table)]) == ["company", "id"]  # the input's names are read
    out = tmp_path / "o.jsonl"
    assert main(["-q", "tag", str(table), "--id-column", "id", "--keep-columns", " ", "company,id", "-o", str(out),
                 "--model", cli_model]) == 0
    (row,) = _jsonl(out.read_text(encoding="utf-8"))
    assert "" not in row and (row["company"], row["id"]) == ("东湖供电公司", "r1")
    # an argument given empty (--keep-columns "$UNSET") is refused, as every option's empty value is
    assert main(["-q", "tag", str(table), "--id-column", "id", "--keep-columns", "", "company,id", "-o", str(out),
                 "--model", cli_model]) == 2


def test_a_csv_header_with_spaces_after_its_commas_is_read_as_keep_columns_reads_it(cli_model, tmp_path, capsys):
    """Review: a header 'id, text, "company, branch"' with --keep-columns "company, branch" stopped with "no column
    'company, branch' to keep ... the columns are ['id', 'text', '"company', 'branch"']" (the header split at the
    comma inside the quotes), though --keep-columns read the header whole. Header names are read one way, and the
    rows of such a file too (a later review): an unquoted cell that starts with a quote keeps it, not the space."""
    src = tmp_path / "t.csv"
    src.write_text(f'id, text, "company, branch"\nr1,"{ELDERLY}", "东湖"供电所\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "--id-column", "id", "--keep-columns", "company, branch", "--model", cli_model,
                 "-o", str(out)]) == 0, capsys.readouterr().err
    rows = _jsonl(out.read_text(encoding="utf-8"))
    assert {(r["report"], r["company, branch"]) for r in rows} == {("r1", '"东湖"供电所')}


def test_subfolders_that_cannot_be_entered_or_listed_are_named_and_the_rest_is_tagged(tmp_path, monkeypatch, caplog):
    """Review: a subfolder that can be listed but not entered (mode 644) stopped the run with a bare "noexec/d.txt:
    Permission denied" (rc 1, nothing written), and one of mode 000 was left out without a word. Both are named in
    the folder's warning and the other files are tagged. The test runs as root, for whom modes deny nothing: it fakes
    the errors the walk meets (listing closed/ is refused; looking at what noexec/ lists is refused)."""
    for sub in ("noexec", "closed"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "d.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    noexec, closed = str(tmp_path / "noexec") + os.sep, str(tmp_path / "closed")
    real_stat, real_lstat, real_scandir = os.stat, os.lstat, os.scandir

    def refused(path):
        return PermissionError(13, "Permission denied", os.fspath(path))

    def stat(path, *args, **kwargs):
        if isinstance(path, (str, Path)) and os.fspath(path).startswith(noexec):
            raise refused(path)
        return real_stat(path, *args, **kwargs)

    def lstat(path, *args, **kwargs):
        if isinstance(path, (str, Path)) and os.fspath(path).startswith(noexec):
            raise refused(path)
        return real_lstat(path, *args, **kwargs)

    def scandir(path="."):
        if os.fspath(path).rstrip(os.sep) == closed:
            raise refused(path)
        return real_scandir(path)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "lstat", lstat)
    monkeypatch.setattr(os, "scandir", scandir)
    with caplog.at_level("WARNING"):
        got = list(iter_records([str(tmp_path)]))
    monkeypatch.undo()
    assert [r.report for r in got if isinstance(r, Record)] == ["a"] and not [b for b in got if isinstance(b, BadRow)]
    said = [r.getMessage() for r in caplog.records if "no file to read" in r.getMessage()]
    assert said == [f"{tmp_path}: left out 2 entries with no file to read: closed (a folder that cannot be read), "
                    "noexec (a folder that cannot be read); a folder is read with the right to list and to open its "
                    "entries (chmod a+rx)"]


def test_a_fifo_or_a_device_named_as_an_input_is_refused_not_waited_on(tmp_path):
    """Review: `tagger tag pipe.txt` (a FIFO nothing writes to) waited until killed. A path named as an input that is
    no file (a FIFO, a socket, a device) is refused with what it is; stdin is read as `-`. (A writer opens the FIFO
    while the test runs, so the old code read it empty rather than waiting for ever.)"""
    import threading
    import time

    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    done = threading.Event()

    def writer():
        while not done.is_set():
            try:
                fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # no reader yet
                time.sleep(0.05)
                continue
            os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        got = list(iter_records([str(pipe), "/dev/null"]))
    finally:
        done.set()
        thread.join()
    assert [(b.where, b.reason) for b in got] == [
        (str(pipe), "a FIFO, not a file: tag reads report files and tables (for standard input, give -)"),
        ("/dev/null", "a device, not a file: tag reads report files and tables (for standard input, give -)")]


def test_a_file_gone_while_its_folder_is_read_is_named_and_the_rest_is_tagged(cli_model, tmp_path, monkeypatch,
                                                                              capsys):
    """Diff review: a file listed in a folder, then deleted before the walk looked at it, stopped the whole run
    ("error: V/ghost.txt: no such file", rc 1; with -o - the header already written). It is left out and named in
    the folder's warning, and the rest is tagged (rc 0). The listing is wrapped to delete the file after it."""
    folder = tmp_path / "V"
    folder.mkdir()
    for name in ("a.txt", "ghost.txt"):
        (folder / name).write_text(f"{ELDERLY}\n", encoding="utf-8")
    real_scandir = os.scandir

    @contextlib.contextmanager
    def scandir(path="."):
        with real_scandir(path) as listing:
            entries = list(listing)
        if os.fspath(path) == str(folder):
            (folder / "ghost.txt").unlink()
        yield iter(entries)

    monkeypatch.setattr(os, "scandir", scandir)
    assert main(["tag", str(folder), "-o", "-", "--format", "jsonl", "--model", cli_model]) == 0
    out, err = capsys.readouterr()
    assert [r["report"] for r in _jsonl(out)] == ["a"]
    assert f"{folder}: left out 1 entry with no file to read: ghost.txt (gone while the folder was read)" in err, err


def test_a_file_gone_between_the_walk_and_its_reading_is_named_and_the_rest_is_tagged(cli_model, tmp_path,
                                                                                      monkeypatch, capsys):
    """A file the walk of a folder listed, then deleted (or the file its link led to moved away) before tag read it,
    stopped the whole run ("error: V/b.txt: no such file (use --on-error skip to skip bad inputs)", rc 1, nothing
    tagged). It is left out and named in one warning for its folder once the folder's files are read, as the walk
    names a file gone while it looked (rc 0), and the rest is tagged; a file named as an input that is gone when it is
    read stays an error. The readers are wrapped to delete the file first."""
    import tagger.apps.batch as batch

    v, w = tmp_path / "V", tmp_path / "W"
    doomed: set[Path] = set()

    def make() -> None:
        for folder in (v, w):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
        for f in (v / "a.txt", v / "b.txt", w / "c.txt", w / "d.txt"):
            f.write_text(f"{ELDERLY}\n", encoding="utf-8")
        (v / "t.csv").write_text(f"text\n{ELDERLY}\n", encoding="utf-8")
        (v / "j.jsonl").write_text(json.dumps({"text": ELDERLY}, ensure_ascii=False) + "\n", encoding="utf-8")
        pd.DataFrame({"text": [ELDERLY]}).to_excel(v / "x.xlsx", index=False, engine="openpyxl")
        doomed.update((v / "b.txt", v / "t.csv", v / "j.jsonl", v / "x.xlsx", w / "d.txt"))

    def vanish(path) -> None:
        path = Path(path)
        if path in doomed:
            doomed.discard(path)
            path.unlink()
            if path.suffix == ".csv":  # a link to a table whose file moved away
                path.symlink_to(tmp_path / "moved.csv")

    def vanishing(real):
        def reader(path, *args, **kwargs):
            vanish(path)
            return real(path, *args, **kwargs)
        return reader

    for reader in ("read_report_text", "open_text_stream", "iter_json_blocks", "open_workbook"):
        monkeypatch.setattr(batch, reader, vanishing(getattr(batch, reader)))
    make()
    args = ["-o", "-", "--format", "jsonl", "--model", cli_model]
    assert main(["tag", str(v), str(w), "--glob", "*", *args]) == 0
    out, err = capsys.readouterr()
    assert [r["report"] for r in _jsonl(out)] == ["a", "c"]
    said = [line[line.index(str(tmp_path)):] for line in err.splitlines() if "no file to read" in line]
    assert said == [f"{v}: left out 4 entries with no file to read: b.txt (gone while the folder was read), "
                    "j.jsonl (gone while the folder was read), t.csv (a link to nothing), "
                    "x.xlsx (gone while the folder was read)",
                    f"{w}: left out 1 entry with no file to read: d.txt (gone while the folder was read)"], err
    make()
    assert main(["tag", str(v / "b.txt"), str(v / "a.txt"), *args]) == 1
    assert f"{v / 'b.txt'}: no such file" in capsys.readouterr().err


def _closing(monkeypatch, folder: Path) -> list:
    """Fake a folder closed (mode 000) while tag runs, as root ignores modes: once the list returned holds something,
    looking at a path in ``folder`` (os.stat, os.lstat) and reading it are refused."""
    closed: list = []
    inside = str(folder) + os.sep
    real_stat, real_lstat, real_read_bytes = os.stat, os.lstat, Path.read_bytes

    def refused(path) -> bool:
        return bool(closed) and isinstance(path, (str, Path)) and os.fspath(path).startswith(inside)

    def stat(path, *args, **kwargs):
        if refused(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    def lstat(path, *args, **kwargs):
        if refused(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_lstat(path, *args, **kwargs)

    def read_bytes(self):
        if refused(self):
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "lstat", lstat)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return closed


@pytest.mark.parametrize("when", ["before tag comes to it", "while tag reads it"])
def test_a_file_whose_folder_is_closed_after_the_walk_stays_an_error(cli_model, tmp_path, monkeypatch, capsys, when):
    """A file the walk found, still there but in a folder made unreadable (chmod 000) after the walk, was either left
    out with only a warning, "left out 1 entry with no file to read: sub/e.txt (cannot be read (Permission denied))",
    rc 0 (closed while tag read it: taken for gone), or stopped the run with "error: …/e.txt: Permission denied"
    whatever --on-error said (closed before: Path.exists() raised on Python < 3.14). It is a bad input, as any file that
    cannot be read: rc 1, or skipped with --on-error skip (rc 3); only a file that is no file any more is left out."""
    import tagger.apps.batch as batch

    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    (tmp_path / "sub" / "e.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    closed = _closing(monkeypatch, tmp_path / "sub")
    real = batch.read_report_text

    def read_report_text(path, *args, **kwargs):
        if Path(path).name == ("a.txt" if when == "before tag comes to it" else "e.txt"):
            closed.append(True)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(batch, "read_report_text", read_report_text)
    args = ["tag", str(tmp_path), "-o", "-", "--format", "jsonl", "--model", cli_model]
    assert main(args) == 1
    assert f"error: {tmp_path / 'sub' / 'e.txt'}: cannot read (Permission denied)" in capsys.readouterr().err
    closed.clear()
    assert main([*args, "--on-error", "skip"]) == 3
    out, err = capsys.readouterr()
    assert [r["report"] for r in _jsonl(out)] == ["a"] and "no file to read" not in err, err
    assert f"skipped {tmp_path / 'sub' / 'e.txt'}: cannot read (Permission denied)" in err


def test_a_file_replaced_by_a_link_loop_after_the_walk_is_named_as_the_walk_names_it(cli_model, tmp_path,
                                                                                     monkeypatch, capsys):
    """A file the walk found, then replaced by a link that leads back to itself before tag read it, stopped the run
    with a traceback, "RuntimeError: Symlink loop from …/b.txt" (Path.resolve on Python < 3.13), as did such a link
    named as an input. It is left out as the walk leaves out a loop ("a link to nothing"), the rest tagged (rc 0); one
    named as an input is "no such file" (rc 1)."""
    import tagger.apps.batch as batch

    v = tmp_path / "V"
    v.mkdir()
    for name in ("a.txt", "b.txt"):
        (v / name).write_text(f"{ELDERLY}\n", encoding="utf-8")
    real = batch._folder_files

    def walked_then_looped(folder, *args):
        found = real(folder, *args)
        (v / "b.txt").unlink()
        (v / "b.txt").symlink_to("b.txt")
        return found

    monkeypatch.setattr(batch, "_folder_files", walked_then_looped)
    args = ["-o", "-", "--format", "jsonl", "--model", cli_model]
    assert main(["tag", str(v), *args]) == 0
    out, err = capsys.readouterr()
    assert [r["report"] for r in _jsonl(out)] == ["a"]
    assert f"{v}: left out 1 entry with no file to read: b.txt (a link to nothing)" in err, err
    assert main(["tag", str(v / "b.txt"), *args]) == 1
    assert f"error: {v / 'b.txt'}: no such file" in capsys.readouterr().err


def test_what_the_walk_left_out_and_what_was_gone_when_read_are_named_in_one_warning(cli_model, tmp_path,
                                                                                      monkeypatch, capsys):
    """A folder had two warnings, the walk's ("V: left out 1 entry with no file to read: f.txt (a FIFO)") and, once
    its files were read, another for a file gone by then ("V: left out 1 entry …: b.txt (gone while the folder was
    read)"). One warning names both, given once the folder's files are read; each folder has its own."""
    import tagger.apps.batch as batch

    v, w = tmp_path / "V", tmp_path / "W"
    for folder in (v, w):
        folder.mkdir()
        (folder / "a.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
        os.mkfifo(folder / "f.txt")
    (v / "b.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    real = batch.read_report_text

    def read_report_text(path, *args, **kwargs):
        if Path(path) == v / "b.txt":
            Path(path).unlink()
        return real(path, *args, **kwargs)

    monkeypatch.setattr(batch, "read_report_text", read_report_text)
    assert main(["tag", str(v), str(w), "-o", "-", "--format", "jsonl", "--model", cli_model]) == 0
    out, err = capsys.readouterr()
    assert [r["report"] for r in _jsonl(out)] == ["a", "a#2"]
    said = [line[line.index(str(tmp_path)):] for line in err.splitlines() if "no file to read" in line]
    assert said == [f"{v}: left out 2 entries with no file to read: b.txt (gone while the folder was read), "
                    "f.txt (a FIFO)",
                    f"{w}: left out 1 entry with no file to read: f.txt (a FIFO)"], err


def test_a_file_gone_after_some_of_it_was_read_is_a_bad_input_not_left_out(tmp_path, monkeypatch):
    """A file whose reading failed after it gave reports (an I/O error in the middle of a JSONL file), and that was
    gone by then, must not be left out as one gone before it was read: its first reports were tagged, the rest not,
    which only a bad input says."""
    import tagger.apps.batch as batch

    lines = [json.dumps({"id": f"r{i}", "text": ELDERLY}, ensure_ascii=False) for i in range(2)]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    real = batch.iter_json_blocks

    def failing_halfway(path, *args, **kwargs):
        blocks = real(path, *args, **kwargs)
        yield next(blocks)
        Path(path).unlink()
        raise InputError(f"{path}:2: cannot read (Input/output error)")

    monkeypatch.setattr(batch, "iter_json_blocks", failing_halfway)
    got = list(iter_records([str(tmp_path)], glob="*.jsonl", id_column="id", batch_rows=1))
    assert [r.report for r in got if isinstance(r, Record)] == ["r0"]
    assert [(b.where, b.reason) for b in got if isinstance(b, BadRow)] == [
        (f"{tmp_path / 't.jsonl'}:2", "cannot read (Input/output error)")]


def test_a_path_that_may_not_be_looked_at_is_not_taken_for_gone(tmp_path, monkeypatch):
    """entry_kind took a path whose os.stat said "not found" and whose os.lstat then failed in any way (not allowed:
    its folder closed in between) for gone ("gone while the folder was read"), which is left out with a warning; only
    "not found" is gone, else it cannot be read (an error)."""
    from tagger.common.files import EntryKind, entry_kind

    real_stat, real_lstat = os.stat, os.lstat
    target = str(tmp_path / "a.txt")

    def stat(path, *args, **kwargs):
        if os.fspath(path) == target:
            raise FileNotFoundError(2, "No such file or directory", target)
        return real_stat(path, *args, **kwargs)

    def lstat(path, *args, **kwargs):
        if os.fspath(path) == target:
            raise PermissionError(13, "Permission denied", target)
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "lstat", lstat)
    what = entry_kind(target)
    monkeypatch.undo()
    assert what == f"{EntryKind.UNREADABLE} (Permission denied)" and what not in EntryKind.NO_FILE


def test_the_walk_of_a_folder_takes_files_and_folders_as_its_listing_says(tmp_path, monkeypatch):
    """The walk looked at every entry again (os.stat; and os.lstat for each folder), though the folder's listing had
    said what it was: a system call per file, a third of the time of a walk of 20,000 files. A file or a folder is
    taken as listed (one look per folder: whether its entries can be opened); a link is still looked at."""
    from tagger.common.files import folder_files

    for i in range(30):
        sub = tmp_path / f"d{i % 3}"
        sub.mkdir(exist_ok=True)
        (sub / f"r{i}.txt").write_text("x", encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "d0" / "r0.txt")
    looks = []
    real_stat, real_lstat = os.stat, os.lstat

    def stat(path, *args, **kwargs):
        looks.append(path)
        return real_stat(path, *args, **kwargs)

    def lstat(path, *args, **kwargs):
        looks.append(path)
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "lstat", lstat)
    found = sorted(p.relative_to(tmp_path).as_posix() for p in folder_files(tmp_path, lambda p: True))
    monkeypatch.undo()
    assert len(found) == 31 and "link.txt" in found
    assert len(looks) <= 4 + 1, looks  # a look per folder, and the link's


@pytest.mark.parametrize("glob", [".drafts/*.txt", ".*/*.txt"])
def test_a_hidden_folder_the_glob_names_is_named_when_it_cannot_be_read_or_is_a_link(tmp_path, monkeypatch, caplog,
                                                                                      glob):
    """Diff review: --glob '.drafts/*.txt' (or '.*/*.txt') left out a .drafts folder that cannot be read, or is a link
    to a folder, without a word but "directory contains no files matching …": the folder's own path was tested with
    the file pattern. A folder is named when a file the pattern takes could be in it; .git, which '.drafts/*.txt'
    cannot reach, is not. Walk order and ids stay: the readable hidden folder's file is tagged as before."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    folder = tmp_path / "P"
    for sub in (".drafts", ".git", ".ok"):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "d.txt").write_text(f"{ELDERLY}\n", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / ".drafts").symlink_to(other)
    closed = {str(folder / ".drafts"), str(folder / ".git")}
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).rstrip(os.sep) in closed:  # the test runs as root, for whom modes deny nothing
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with caplog.at_level("WARNING"):
        got = list(iter_records([str(folder)], glob=glob))
    monkeypatch.undo()
    said = [r.getMessage() for r in caplog.records if "no file to read" in r.getMessage()]
    if glob == ".drafts/*.txt":
        assert [r.reason for r in got] == ["directory contains no files matching '.drafts/*.txt'"]
        assert said == [
            f"{folder}: left out 2 entries with no file to read: .drafts (a folder that cannot be read), sub/.drafts "
            "(a link to a folder); a linked folder is not followed: give it as an input to tag its files; a folder is "
            "read with the right to list and to open its entries (chmod a+rx)"], said
    else:
        assert [r.report for r in got] == ["d"]
        assert said == [
            f"{folder}: left out 3 entries with no file to read: .drafts (a folder that cannot be read), .git (a "
            "folder that cannot be read), sub/.drafts (a link to a folder); a linked folder is not followed: give it "
            "as an input to tag its files; a folder is read with the right to list and to open its entries "
            "(chmod a+rx)"], said


SPACED_TEXT = ELDERLY.replace(",", "，")  # no comma of the CSV's in it


def test_a_quote_after_a_space_that_takes_the_next_rows_in_is_refused_not_read(tmp_path):
    """Third review: in a table written with ", ", a cell starting with a quote it never closes on its line
    (r1, "他说：明天见, a) opened a quoted cell that ran into the next rows: r1's text held r2's row and r2 was gone,
    without a word. A row whose quoted cell runs over lines and that has another number of cells than the header is
    refused by name; the rows after it are read."""
    src = tmp_path / "t.csv"
    src.write_text('id, text, note\nr1, "他说：明天见, a\nr2, 正文二, b"\nr3, 正文三, c\n', encoding="utf-8")
    got = list(iter_records([str(src)], id_column="id", keep=["note"]))
    bad = [b for b in got if isinstance(b, BadRow)]
    assert [r.report for r in got if isinstance(r, Record)] == ["r3"]
    assert len(bad) == 1 and bad[0].where == f"{src}:2" and "the row reads two ways" in bad[0].reason
    assert "a quote inside a quoted cell must be doubled" not in bad[0].reason  # its own advice only


def test_one_header_name_with_a_space_before_it_leaves_the_rows_as_they_are(cli_model, tmp_path):
    """Third review: one name after a delimiter starting with a space (id,text, note) made the whole file read with
    spaces skipped, and every cell lost its leading spaces (a kept note '  备注' came back '备注'). Only a header
    written with a space after every delimiter is read so."""
    src = tmp_path / "t.csv"
    src.write_text("id,text, note\nr1,社区志愿者为孤寡老人检修线路。,  备注\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["-q", "tag", str(src), "--id-column", "id", "--keep-columns", "note", "-o", str(out),
                 "--model", cli_model]) == 0
    (row,) = _jsonl(out.read_text(encoding="utf-8"))
    assert row["note"] == "  备注"


def test_a_table_written_with_a_space_after_each_comma_is_read_as_its_header(cli_model, tmp_path, capsys):
    """Diff review: a table `id, text, "company, branch"` had its header read with the spaces skipped but not its
    rows: `1, 公司开展活动。, "总部, 北京"` was "more fields than the header". Its rows are read as its header is (the
    quoted cell whole, the spaces after the commas not part of the cells); a table written without them is read as
    it is, as before (a cell keeps a space it starts with), and a row of it split at a comma in a quote after a space
    is "more fields than the header" saying why."""
    table = tmp_path / "spaced.csv"
    table.write_text(f'id, text, "company, branch"\n1, {SPACED_TEXT}, "总部, 北京"\n2, {SPACED_TEXT}, 分部\n',
                     encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(table), "--id-column", "id", "--keep-columns", "company, branch", "-o", str(out),
                 "--model", cli_model]) == 0, capsys.readouterr().err
    rows = _jsonl(out.read_text(encoding="utf-8"))
    assert [(r["report"], r["text"], r["company, branch"]) for r in rows] == [
        ("1", SPACED_TEXT, "总部, 北京"), ("2", SPACED_TEXT, "分部")]
    plain = tmp_path / "plain.csv"
    plain.write_text(f'id,text,note\n1,{SPACED_TEXT}, "x"\n', encoding="utf-8")
    assert main(["tag", str(plain), "--id-column", "id", "--keep-columns", "note", "-o", str(out), "--force",
                 "--model", cli_model]) == 0
    assert [r["note"] for r in _jsonl(out.read_text(encoding="utf-8"))] == [' "x"']
    plain.write_text(f'id,text,note\n1,{SPACED_TEXT}, "a, b"\n', encoding="utf-8")  # rows spaced, not its header
    assert main(["tag", str(plain), "-o", str(out), "--force", "--model", cli_model]) == 1
    assert (f"{plain}:2: more fields than the header; a quote after a space does not quote a cell in a file whose "
            "header has no space after its commas") in capsys.readouterr().err


def test_a_table_row_that_reads_two_ways_after_a_spaced_header_is_named_and_the_rest_is_tagged(cli_model, tmp_path,
                                                                                               capsys):
    """Diff review: a row with a quoted cell after a space and an unquoted cell starting with a quote was split at
    the quoted comma. It is a bad row saying why and how to quote it; the other rows are tagged."""
    table = tmp_path / "t.csv"
    table.write_text(f'id, text, note\n1, {SPACED_TEXT}, "a, b"\n2, "他说"是{SPACED_TEXT}, "a, b"\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    rc = main(["tag", str(table), "--id-column", "id", "--on-error", "skip", "-o", str(out), "--model", cli_model])
    err = capsys.readouterr().err
    assert rc != 0 and f"{table}:3: " in err and "the row reads two ways" in err and '"""他说""是"' in err, err
    assert [r["report"] for r in _jsonl(out.read_text(encoding="utf-8"))] == ["1"]


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_empty_cells_beyond_an_input_csv_header_are_read_as_the_row(tmp_path, delimiter):
    """files: a spreadsheet that saved an empty column right of the text (a trailing delimiter) made each row "more
    fields than the header"; empty cells beyond the header read as the row (cells_beyond_header, the label files'
    rule). One that holds something is still a bad row, naming its line and what to write."""
    table = tmp_path / "t.csv"
    d, text = delimiter, "供电公司党员服务队为孤寡老人义务检查线路。"
    table.write_text(f"id{d}text\n1{d}{text}{d}\n2{d}{text}{d} {d}\n3{d}{text}{d}备注\n", encoding="utf-8")
    got = list(iter_records([str(table)], id_column="id"))
    assert [(type(r).__name__, getattr(r, "report", None)) for r in got] == [("Record", "1"), ("Record", "2"),
                                                                              ("BadRow", None)]
    assert got[0].text == got[1].text == text
    assert got[2].where == f"{table}:4" and got[2].reason == (
        f"more fields than the header (a cell that holds the delimiter {delimiter!r} must be quoted; a column of your "
        "own needs a name in the header)")


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="no /dev/fd")
def test_a_shells_process_substitution_dev_fd_is_still_read(tmp_path):
    """Diff review: nothing tested that /dev/fd/N (what bash's <(command) gives: a pipe) is read rather than refused
    as a FIFO named as an input."""
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, f"{ELDERLY}\n".encode())
        os.close(write_end)
        write_end = -1
        got = list(iter_records([f"/dev/fd/{read_end}"]))
    finally:
        os.close(read_end)
        if write_end != -1:
            os.close(write_end)
    assert [type(r) for r in got] == [Record] and got[0].text.strip() == ELDERLY


@settings(max_examples=40, deadline=None)
@given(head_breaks=st.integers(0, 2), blanks=st.integers(0, 2), breaks=st.integers(0, 2),
       eol=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_a_csv_row_is_named_by_the_line_it_starts_on_after_a_long_header_and_blank_lines(head_breaks, blanks, breaks,
                                                                                          eol, bom):
    """Task (one CSV reader that counts file lines itself): a malformed row after blank lines was named by the first
    blank line, and a row under a header spanning two lines (a quoted line break in a column name) got no
    '(row N in a spreadsheet)' although its line was not its row. Each row is named by the line it starts on, and by
    its spreadsheet row wherever line breaks in cells (the header's too) put them apart. Fix round: a malformed row
    ('"引用"原文', a quote never closed) was named without its spreadsheet row, which the other bad rows of the
    file carry."""
    gap = [""] * blanks
    lines = ['id,text,"no' + eol * head_breaks + 'te"', *gap, 'r1,"段落' + eol * breaks + '文字",x', *gap,
             "r2,文字,x,extra", *gap, 'r3,"引用"原文,x', *gap, 'r4,"never closed', "tail"]
    first = 1 + head_breaks + blanks + 1
    more, stray = first + breaks + blanks + 1, first + breaks + 2 * blanks + 2
    never = stray + blanks + 1
    in_cells = head_breaks + breaks  # line breaks inside the cells above r2 (and the rows after it)

    def row(line: int, inside: int) -> str:
        return f" (row {line - inside} in a spreadsheet)" if inside else ""

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(("\ufeff" if bom else "").encode() + (eol.join(lines) + eol).encode("utf-8"))
        got = list(iter_records([str(path)], id_column="id"))
    assert [(type(r).__name__, r.where) for r in got] == [
        ("Record", f"{path}:{first}{row(first, head_breaks)}"),
        ("BadRow", f"{path}:{more}{row(more, in_cells)}"),
        ("BadRow", f"{path}:{stray}{row(stray, in_cells)}"),  # malformed rows too (fix round)
        ("BadRow", f"{path}:{never}{row(never, in_cells)}"),
    ]
    assert got[0].report == "r1" and "more fields than the header" in got[1].reason
    assert "must be doubled" in got[2].reason and "never closed" in got[3].reason


def test_rows_after_a_refused_row_over_several_lines_keep_their_spreadsheet_rows(tmp_path):
    """A malformed row whose quoted cell ran over two lines made the rows after it drift: a3 (row 4 in a spreadsheet)
    was named reports_bad.csv:5 with no row note, the refused row's line break not counted. Its line breaks count, as
    a read row's do."""
    src = tmp_path / "reports_bad.csv"
    src.write_text('id,text\na1,"第一行\n第二行"x\na2,供电所为独居老人更换老化电线。\na3,\n', encoding="utf-8")
    got = list(iter_records([str(src)], id_column="id"))
    assert [r.report for r in got if isinstance(r, Record)] == ["a2", "a3"]  # a3's empty text: nothing to tag
    assert [b.where for b in got if isinstance(b, BadRow)] == [f"{src}:2"]
    assert got[-1].where == f"{src}:5 (row 4 in a spreadsheet)"


def test_a_row_that_reads_two_ways_names_the_lines_its_quotes_would_take_and_loses_no_row(tmp_path):
    """In a table written with ", ", a row that reads two ways (a1, "第一行 / 第二行"x, …) was refused, then its second
    line was read as a row of its own (a report 第二行"x) without a word; resuming after all the lines a reading
    could take instead lost good rows silently (a quote never closed took every row after it). The next row is read
    from the line after the row as written, and the refusal names the lines its quotes would take, to check."""
    src = tmp_path / "reports_bad_sp2.csv"
    src.write_text('id, text\na1, "第一行\n第二行"x, 为老人检查线路。\na2, 供电所为独居老人更换老化电线。\na3, 为老人检查线路。\n',
                   encoding="utf-8")
    got = list(iter_records([str(src)], id_column="id"))
    assert [r.report for r in got if isinstance(r, Record)] == ['第二行"x', "a2", "a3"]
    bad = [b for b in got if isinstance(b, BadRow)]
    assert len(bad) == 1 and bad[0].where == f"{src}:2" and "the row reads two ways" in bad[0].reason
    assert "the row would run on over the next 1 line (to line 3), read here as rows of their own" in bad[0].reason
    lost = tmp_path / "lost.csv"  # a quote after a space never closed: the rows after it are all read
    lost.write_text('id, text\na1, "他说：明天见\na2, "供电所为独居老人更换老化电线。"\na3, 志愿者开展义务维修。\n', encoding="utf-8")
    got = list(iter_records([str(lost)], id_column="id"))
    assert [r.report for r in got if isinstance(r, Record)] == ["a2", "a3"]
    assert [r.where for r in got if isinstance(r, Record)] == [f"{lost}:3", f"{lost}:4"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["ok", "multi", "bad", "bad_multi", "blank"]), max_size=8))
def test_every_rows_spreadsheet_row_counts_the_rows_before_it_read_or_refused(rows):
    """The spreadsheet row of each row of a CSV is one more than the rows before it — read, blank or refused, over
    one line or several —, whatever the line breaks inside their cells (a refused spaced row ends where it is
    written to end: the lines its quotes would take are rows of their own, named by its refusal)."""
    from tagger.common.files import csv_rows

    cells = {"ok": "r,正文", "multi": 'r,"正\n文"', "bad": 'r,"正"文', "bad_multi": 'r,"正\n文"x', "blank": ""}
    for spaced in (False, True):
        sep = ", " if spaced else ","
        lines = "".join(cells[kind].replace(",", sep) + "\n" for kind in rows)
        reader = csv_rows(io.StringIO(lines, newline=""), ",", spaced, width=2, start=1)
        seen = []
        while True:
            try:
                next(reader)
            except StopIteration:
                break
            except csv.Error:
                pass
            seen.append(reader.sheet_row)
        # spaced, a bad_multi row as written ends on its first line: its second is read as a row of its own
        count = len(rows) + (rows.count("bad_multi") if spaced else 0)
        assert seen == list(range(2, 2 + count)), (spaced, rows)


_STORY = "党员志愿者走进敬老院，为孤寡老人义务检查线路，更换老化插座。\n\n供电公司开辟绿色通道，为小区加装电梯接电。\n"


@pytest.mark.parametrize("saved, encoding", [("utf-8", "utf-8"), ("gbk", "gb18030")])
def test_reports_read_with_a_wrong_encoding_are_refused_and_nothing_is_written(cli_model, tmp_path, capsys,
                                                                                saved, encoding):
    """iofix: tagger tag REPORTS --encoding latin-1 on UTF-8 (or GBK) Chinese reports warned "its labels mean nothing"
    and still wrote its output, exit 0: labels of mojibake. Such a report is a bad input, as tagger suggest refuses
    it (tagger.text.report.misdecoded): the run stops naming it and the encoding to read it with, and writes nothing
    (an earlier output stays as it was); --on-error skip tags the others and names it in the summary (exit 3)."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_bytes(_STORY.encode(saved))
    out = tmp_path / "out.csv"
    out.write_text("earlier output\n", encoding="utf-8")
    argv = ["tag", str(folder), "-o", str(out), "--model", cli_model, "--force"]
    assert main([*argv, "--encoding", "latin-1"]) == 1
    err = capsys.readouterr().err
    assert f"error: {folder / 'a.txt'}: reads as text decoded with a wrong encoding" in err, err
    assert f"read it as {'UTF-8' if saved == 'utf-8' else 'GBK'} (--encoding {encoding}, or no --encoding" in err
    assert "pass --on-error skip to skip such inputs and tag the rest" in err
    assert out.read_text(encoding="utf-8") == "earlier output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out.csv"]  # no temp file left
    assert main([*argv, "--encoding", encoding]) == 0  # read with the encoding named: tagged
    assert "党员志愿者" in out.read_text(encoding="utf-8-sig")
    (folder / "a.txt").write_text(_STORY, encoding="utf-8")
    (folder / "b.txt").write_text(_STORY.encode(saved).decode("latin-1"), encoding="utf-8")  # mojibake saved so
    capsys.readouterr()
    assert main([*argv, "--on-error", "skip"]) == 3
    err = capsys.readouterr().err
    assert f"warning: skipped 1 bad input, first: {folder / 'b.txt'}: reads as text decoded with a wrong" in err, err
    assert {row["report"] for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))} == {"a"}


def test_a_table_row_read_with_a_wrong_encoding_is_a_bad_row(cli_model, tmp_path, capsys):
    """iofix: a JSONL row whose text is mojibake (parsed where it is tagged) is a bad input named by its line, like
    a report file; the other rows are tagged with --on-error skip."""
    src = tmp_path / "rows.jsonl"
    rows = [{"id": "r1", "text": _STORY}, {"id": "r2", "text": _STORY.encode("gbk").decode("latin-1")}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = ["tag", str(src), "--id-column", "id", "-o", str(out), "--model", cli_model]
    assert main(argv) == 1
    assert f"error: {src}:2: reads as text decoded with a wrong encoding (no Chinese character, many accented Latin " \
           "letters: GBK read as Latin-1), so its labels would mean nothing" in capsys.readouterr().err
    assert not out.exists()
    assert main([*argv, "--on-error", "skip", "--jobs", "2"]) == 3
    assert {json.loads(line)["report"] for line in out.read_text(encoding="utf-8").splitlines()} == {"r1"}


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=10, max_size=60),
       st.sampled_from([("utf-8", "UTF-8", "utf-8"), ("gbk", "GBK", "gb18030")]))
def test_mojibake_of_any_chinese_text_names_the_encoding_to_read_it_with(text, saved):
    """iofix: the check tag and suggest share tells Chinese read as Latin-1 and names the encoding of its bytes."""
    from tagger.text.report import looks_like_mojibake, misdecoded

    encoding, said, option = saved
    try:
        raw = text.encode(encoding)
        if encoding == "gbk":  # a report's characters are common ones (GB2312's), its GBK bytes not UTF-8 too
            text.encode("gb2312")
            assume(not decodes(raw, "utf-8"))
    except UnicodeEncodeError:  # a character GBK has not
        return
    misread = raw.decode("latin-1")
    refused = misdecoded({"r": misread}, "{its} labels would mean nothing")
    if not looks_like_mojibake(misread):  # too few accented letters to tell (short GBK text): not refused
        assert refused is None
        return
    assert refused is not None and f"{said} read as Latin-1" in refused and f"--encoding {option}," in refused
    assert misdecoded({"r": text}, "{its} labels would mean nothing") is None


def test_correct_reports_with_many_accented_letters_are_tagged(cli_model, tmp_path, capsys):
    """Review: correct UTF-8 reports with no Han character and many letters in U+00C0–U+00FF (a CSV row of a cable
    schedule's 3×240, a .txt of pipe sizes Ø20 …, tone-marked pinyin, dense French) were refused as "decoded with a
    wrong encoding" (exit 1, the advice --encoding, which cannot help). Their bytes spell no Chinese: tagged."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dims.txt").write_text("Ø20 Ø25 Ø32 Ø40 Ø50 Ø63 Ø75 Ø90 Ø110 Ø160 PVC\n", encoding="utf-8")
    (folder / "pinyin.txt").write_text("Zhōnghuá rénmín gònghéguó. Diànlì gōngsī jìnxíng ānquán jiǎnchá, lǎorén jiā "
                                       "xiànlù quánbù jiǎnchá wánbì.\n", encoding="utf-8")
    (folder / "french.txt").write_text("Les bénévoles d'État ont vérifié l'électricité à domicile; réparé âgés élevé "
                                       "été créé où là déjà façade.\n", encoding="utf-8")
    table = tmp_path / "rows.csv"
    table.write_text("id,text\ncables,\"Cable schedule: YJV22-3×240 feeder A, YJV22-3×185 feeder B, YJV22-3×150, "
                     "3×120, 3×95, 3×70, 3×50, 3×35, 3×25, 3×16\"\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["tag", str(folder), "-o", str(out), "--model", cli_model]) == 0
    assert "error" not in capsys.readouterr().err  # warned of at most: they look like mojibake
    assert {row["report"] for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))} == {
        "dims", "pinyin", "french"}
    assert main(["tag", str(table), "--id-column", "id", "-o", str(out), "--model", cli_model, "--force"]) == 0
    assert "wrong encoding" not in capsys.readouterr().err  # × is no letter: not even warned of


def test_an_html_page_read_with_a_wrong_encoding_is_refused(cli_model, tmp_path, capsys):
    """Review: README says a report read with a wrong encoding is never tagged, but a GBK page read with --encoding
    latin-1 was (exit 0): its markup's ASCII letters diluted the accented ones the check counted. The check reads
    the page's text, as the report is split."""
    page = tmp_path / "page.html"
    page.write_bytes(('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="gbk"><title>新闻</title><link '
                      'rel="stylesheet" href="/static/css/main.css"><script src="/static/js/jquery.min.js"></script>'
                      '<script>var s = document.createElement("script"); s.src = "https://hm.example.com/hm.js?abc"; '
                      'document.getElementsByTagName("head")[0].appendChild(s);</script></head><body>'
                      '<div class="nav"><a href="/">Home</a></div><div class="content"><p>' + _STORY.split("\n")[0]
                      + '</p>\n<p>活动共服务居民三十余户，排除隐患十二处。</p></div></body></html>').encode("gbk"))
    out = tmp_path / "out.csv"
    argv = ["tag", str(page), "-o", str(out), "--model", cli_model]
    assert main([*argv, "--encoding", "latin-1"]) == 1
    err = capsys.readouterr().err
    assert f"error: {page}: reads as text decoded with a wrong encoding" in err and "--encoding gb18030," in err, err
    assert not out.exists()
    assert main(argv) == 0 and "党员志愿者" in out.read_text(encoding="utf-8-sig")


def test_a_tagged_file_of_mojibake_read_back_is_refused(cli_model, tmp_path, capsys):
    """Review: a tagged file read back (tag OUT.jsonl, to tag again with a new model) was never checked for text
    decoded with a wrong encoding (tagged with a warning before tag refused it): it is checked on its paragraphs, as
    suggest checks a report's, and refused so."""
    src = tmp_path / "r.txt"
    src.write_text(_STORY, encoding="utf-8")
    tagged = tmp_path / "t.jsonl"
    assert main(["-q", "tag", str(src), "-o", str(tagged), "--model", cli_model]) == 0
    rows = [json.loads(line) for line in tagged.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["text"] = row["text"].encode("utf-8").decode("latin-1")
    tagged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "again.jsonl"
    assert main(["tag", str(tagged), "-o", str(out), "--model", cli_model]) == 1
    err = capsys.readouterr().err
    assert "r: reads as text decoded" not in err and f"{tagged}" in err and "--encoding utf-8," in err, err
    assert not out.exists()


def test_a_bad_input_offers_skipping_in_the_words_of_every_skippable_error(cli_model, tmp_path, capsys):
    """iofix: a bad input of tagger tag ended "(use --on-error skip to skip bad inputs)", worded apart from the
    SkippableError tagger stats raises ("...; pass --on-error skip to ..."). It is a SkippableError now: one wording,
    said for the command line by the CLI and in on_error's terms from Python; a missing file offers no skipping."""
    from tagger.apps.batch import tag_records
    from tagger.errors import SkippableError
    from tagger.model.persistence import load_model

    empty = tmp_path / "e.txt"
    empty.write_text("", encoding="utf-8")
    assert main(["tag", str(empty), "--model", cli_model]) == 1
    assert capsys.readouterr().err == (f"error: {empty}: empty file, nothing to tag; pass --on-error skip to skip such "
                                       "inputs and tag the rest\n")
    with pytest.raises(SkippableError) as info:
        list(tag_records(iter_records([str(empty)]), load_model(cli_model)))
    assert str(info.value).endswith('; pass on_error="skip" to skip such inputs and tag the rest')
    assert main(["tag", str(tmp_path / "missing.txt"), "--model", cli_model]) == 1
    assert "on-error" not in capsys.readouterr().err


def test_a_tagged_file_with_a_line_of_only_a_byte_order_mark_is_read_back(cli_model, tmp_path, capsys):
    """iofix: a tagged JSONL file whose head had a line holding only a byte-order mark (saved with two, or a file
    joined after an empty one with its own: cat) was not told a tagged file — that line counted as its first —, so its
    rows were tagged as reports of their own, ids from its line numbers ("t:2", "t:3"). The mark belongs to the
    encoding: the file is read back, its report with its own id."""
    src = tmp_path / "r.txt"
    src.write_text(_STORY, encoding="utf-8")
    tagged = tmp_path / "t.jsonl"
    assert main(["-q", "tag", str(src), "-o", str(tagged), "--model", cli_model]) == 0
    marked = tmp_path / "m.jsonl"
    marked.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf\n" + tagged.read_bytes())
    out = tmp_path / "again.jsonl"
    assert main(["-q", "tag", str(marked), "-o", str(out), "--model", cli_model]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["report"] for r in rows} == {"r"} and [r["paragraph"] for r in rows] == ["r:0", "r:1"]
    from tagger.data.tagged import is_tagged_text  # the same rule on a text already read (tagger review, stats)

    assert is_tagged_text("\n\ufeff\n" + tagged.read_text(encoding="utf-8"), "t.jsonl")
