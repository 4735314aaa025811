"""``tagger tag`` and its outputs as a demanding user found them: an ASCII head before GBK rows, a report with
a paragraph cut at the cell limit re-tagged, Parquet row numbers, kept values cut at the cell limit, rows with
nothing to tag, an SQLite output held by a reader, and the README's full-text example."""

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
