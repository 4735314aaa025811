"""Batch tagging: tabular inputs, formats, summary rows, bad rows, atomic output, processes."""

import csv
import json

import pandas as pd
import pytest

from tagger.cli import main

REPORTS = {
    "r1": "为民服务 暖心行动\n党员志愿者走进敬老院,为孤寡老人义务检查线路。\n公司召开党委会议。",
    "r2": "供电公司开辟绿色通道,仅用7天为园区企业完成报装接电。",
}


@pytest.fixture(scope="module")
def model_path(tmp_path_factory, root):
    out = tmp_path_factory.mktemp("model") / "tagger.joblib"
    assert main(["train", "--root", str(root), "--out", str(out), "--no-cv", "--no-authored"]) == 0
    return str(out)


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


def _jsonl(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_tabular_inputs_agree(model_path, inputs, kind, capsys):
    code = main(["tag", str(inputs[kind]), "--text-column", "body", "--id-column", "doc_id", "--format",
                 "jsonl", "--model", model_path])
    assert code == 0
    rows = _jsonl(capsys)
    assert [r["paragraph"] for r in rows] == ["r1:0", "r1:1", "r1:2", "r2:0"]
    assert rows[0]["kind"] == "heading" and rows[0]["labels"] == []
    assert "elderly_care" in rows[1]["labels"] and "business_connection_speed" in rows[3]["labels"]


def test_summary_rows_and_corpus_total(model_path, inputs, capsys):
    assert main(["tag", str(inputs["jsonl"]), "--text-column", "body", "--id-column", "doc_id",
                 "--format", "jsonl", "--summary", "--model", model_path]) == 0
    rows = _jsonl(capsys)
    assert [r["row_type"] for r in rows] == ["paragraph"] * 3 + ["report"] + ["paragraph", "report", "corpus"]
    r1 = rows[3]
    assert r1["report"] == "r1" and r1["n_paragraphs"] == 3 and "elderly_care" in r1["labels"]
    assert r1["count_elderly_care"] == sum("elderly_care" in r["labels"] for r in rows[:3])
    corpus = rows[-1]
    assert corpus["reports"] == 2 and corpus["n_paragraphs"] == 4
    assert corpus["count_business_connection_speed"] == rows[5]["count_business_connection_speed"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "table"])
def test_output_files(model_path, inputs, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    assert main(["tag", str(inputs["csv"]), "--text-column", "body", "--id-column", "doc_id", "--format", fmt,
                 "--output", str(out), "--model", model_path]) == 0
    if fmt == "parquet":
        df = pd.read_parquet(out)
        assert len(df) == 4 and list(df["labels"].iloc[1]) == list(df["labels"].iloc[1])
    elif fmt == "csv":
        df = pd.read_csv(out)
        assert len(df) == 4 and "elderly_care" in df["labels"].iloc[1]
    else:
        assert len(out.read_text(encoding="utf-8").splitlines()) == 4
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_bad_rows_fail_without_partial_output(model_path, tmp_path, capsys):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"text": "党员志愿者为孤寡老人义务检查线路。"}\n{"text": 5}\n{"text": "x", broken\n',
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "--format", "jsonl", "-o", str(out), "--model", model_path]) == 1
    err = capsys.readouterr().err
    assert "bad.jsonl:2: 'text' is int, expected text" in err and "Traceback" not in err
    assert not out.exists()


def test_bad_rows_skipped_with_exit_code_3(model_path, tmp_path, capsys):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"text": "党员志愿者为孤寡老人义务检查线路。"}\n{"text": null}\n{"text": "x", broken\n',
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["tag", str(src), "--format", "jsonl", "-o", str(out), "--on-error", "skip",
                 "--model", model_path]) == 3
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    assert "skipped 2 bad input(s), first: " in capsys.readouterr().err


def test_missing_text_column_and_bad_files(model_path, inputs, tmp_path, capsys):
    assert main(["tag", str(inputs["csv"]), "--model", model_path]) == 1
    assert "in.csv: no column 'text'" in capsys.readouterr().err
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01binary")
    assert main(["tag", str(tmp_path / "bin.txt"), "--model", model_path]) == 1
    assert "bin.txt: looks like a binary file" in capsys.readouterr().err
    assert main(["tag", str(tmp_path / "x.parquet"), "--model", model_path]) == 1
    assert main(["tag", str(inputs["csv"]), "--format", "parquet", "--model", model_path]) == 2
    assert "needs --output" in capsys.readouterr().err


def test_directory_glob_and_jobs(model_path, root, tmp_path, capsys):
    args = ["tag", str(root / "seeds"), "--format", "jsonl", "--model", model_path, "--chunk-size", "2"]
    assert main(args) == 0
    one = _jsonl(capsys)
    assert main(args + ["--jobs", "2"]) == 0
    assert _jsonl(capsys) == one and len(one) == 109
    assert main(["tag", str(root / "seeds"), "--glob", "*.md", "--model", model_path]) == 1
    assert "no files matching '*.md'" in capsys.readouterr().err


def test_tag_frame(model_path):
    import tagger

    model = tagger.load(model_path)
    df = pd.DataFrame({"id": list(REPORTS), "body": list(REPORTS.values())})
    out = model.tag_frame(df, "body", "id")
    assert list(out["paragraph"]) == ["r1:0", "r1:1", "r1:2", "r2:0"]
    assert out.filter(like="score_").shape[1] == 5
    empty = model.tag_frame(df.iloc[:0], "body", "id")
    assert len(empty) == 0 and list(empty.columns) == list(out.columns)
    with pytest.raises(KeyError, match="column 'nope' not found"):
        model.tag_frame(df, "nope")
    with pytest.raises(TypeError, match="report 'x'"):
        model.tag_frame(pd.DataFrame({"id": ["x"], "body": [None]}), "body", "id")


def test_bad_files_in_a_directory(model_path, root, tmp_path, monkeypatch, capsys):
    import shutil
    from pathlib import Path

    corpus = tmp_path / "corpus"
    shutil.copytree(root / "seeds", corpus)
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "gbk.txt").write_bytes("党员志愿者为孤寡老人义务检查线路。".encode("gbk"))
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
    args = ["tag", str(corpus), "--format", "jsonl", "-o", str(out), "--model", model_path]
    assert main(args) == 1 and not out.exists()
    assert "empty.txt: empty file" in capsys.readouterr().err
    assert main(args + ["--on-error", "skip"]) == 3
    err = capsys.readouterr().err
    for name, reason in [("empty.txt", "empty file"), ("latin.txt", "cannot decode"),
                         ("locked.txt", "cannot read (Permission denied)")]:
        assert f"{corpus / name}: {reason}" in err
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 110 and any(r["report"] == "gbk" and "elderly_care" in r["labels"] for r in rows)


def test_never_overwrites_inputs_or_existing_output(model_path, inputs, tmp_path, capsys):
    before = inputs["jsonl"].read_bytes()
    args = ["tag", str(inputs["jsonl"]), "--text-column", "body", "--format", "jsonl", "--model", model_path]
    assert main(args + ["-o", str(inputs["jsonl"])]) == 1
    assert "is also an input" in capsys.readouterr().err and inputs["jsonl"].read_bytes() == before
    out = tmp_path / "out.jsonl"
    out.write_text("mine\n", encoding="utf-8")
    assert main(args + ["-o", str(out)]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err and out.read_text(encoding="utf-8") == "mine\n"
    assert main(args + ["-o", str(out), "--force"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4


def test_same_file_stem_gets_distinct_report_ids(model_path, tmp_path, capsys):
    for sub in ("a", "b"):
        (tmp_path / "in" / sub).mkdir(parents=True)
        (tmp_path / "in" / sub / "x.txt").write_text("党员志愿者为孤寡老人义务检查线路。", encoding="utf-8")
    assert main(["tag", str(tmp_path / "in"), "--format", "jsonl", "--summary", "--model", model_path]) == 0
    rows = _jsonl(capsys)
    assert [r["paragraph"] for r in rows if r["row_type"] == "paragraph"] == ["x:0", "b/x:0"]
    assert rows[-1]["reports"] == 2


def test_csv_errors_name_the_file_line(model_path, tmp_path, capsys):
    src = tmp_path / "m.csv"
    src.write_text('id,text\n1,"第一段。\n第二段。"\n2,""\n3,正常段落。\n', encoding="utf-8")
    assert main(["tag", str(src), "--on-error", "skip", "--format", "jsonl", "--model", model_path]) == 3
    out, err = capsys.readouterr()
    assert f"{src}:4: 'text' is empty" in err  # the row starts on file line 4 (row 1 spans 2 lines)
    assert len(out.splitlines()) == 3


def test_writer_rows_are_plain_values_and_summaries_follow_their_report():
    """Rows are written from plain Python values (a missing number is JSON null, never NaN), and a
    report's summary row comes right after its paragraphs, even when reports interleave."""
    import io

    from tagger.batch import _Writer
    from tagger.schema import LABELS

    frame = pd.DataFrame({"report": ["a", "b", "a"], "paragraph": ["a:0", "b:0", "a:1"],
                          "kind": ["body"] * 3, "text": ["x", "y", "z"],
                          "labels": [["elderly_care"], [], []]})
    for j, lab in enumerate(LABELS):
        frame[f"score_{lab}"] = [0.5, float("nan") if j == 0 else 0.25, 0.125]
    out = io.StringIO()
    writer = _Writer("jsonl", out, summary=True)
    writer.write(frame)
    writer.close()
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["row_type"], r["report"]) for r in rows] == [
        ("paragraph", "a"), ("paragraph", "a"), ("report", "a"), ("paragraph", "b"), ("report", "b"),
        ("corpus", "(all)")]
    assert rows[3]["score_elderly_care"] is None and rows[0]["score_elderly_care"] == 0.5
    assert "NaN" not in out.getvalue()
    assert rows[2]["count_elderly_care"] == 1 and rows[-1]["reports"] == 2
