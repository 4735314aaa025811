import json
import subprocess
import sys

import pytest

from tagger.cli import build_parser, main


@pytest.fixture(scope="module")
def model_path(tmp_path_factory, root):
    out = tmp_path_factory.mktemp("model") / "tagger.joblib"
    assert main(["train", "--root", str(root), "--out", str(out), "--no-cv", "--no-authored"]) == 0
    return out


def test_parser_has_commands():
    parser = build_parser()
    args = parser.parse_args(["tag", "a.txt", "--format", "jsonl"])
    assert args.command == "tag" and args.format == "jsonl"


def test_train_writes_model_and_manifest(model_path, capsys):
    manifest = json.loads(model_path.with_name("tagger.manifest.json").read_text(encoding="utf-8"))
    assert manifest["n_train"] == 109 and len(manifest["data_hash"]) == 64


def test_tag_table_and_jsonl(model_path, root, capsys):
    seed = str(root / "seeds" / "003_86615e91b483547b.txt")
    assert main(["tag", seed, "--model", str(model_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 21 and out[0].startswith("003_86615e91b483547b:1 [heading]")
    assert main(["tag", seed, "--model", str(model_path), "--format", "jsonl", "--evidence"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 21
    assert {"report", "paragraph", "kind", "text", "labels", "evidence", "score_elderly_care"} <= set(rows[0])


def test_tag_directory(model_path, root, capsys):
    assert main(["tag", str(root / "seeds"), "--model", str(model_path), "--format", "jsonl"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 109


def test_user_errors_have_no_traceback(model_path, tmp_path, capsys):
    assert main(["tag", str(tmp_path / "nope.txt"), "--model", str(model_path)]) == 1
    err = capsys.readouterr().err
    assert "nope.txt: no such file" in err and "Traceback" not in err
    assert main(["tag", "x.txt", "--model", str(tmp_path / "missing.joblib")]) == 1
    assert "python train.py" in capsys.readouterr().err
    assert main(["tag"]) == 2  # usage error


def test_stdin_via_subprocess(model_path):
    proc = subprocess.run([sys.executable, "-m", "tagger", "tag", "-", "--model", str(model_path),
                           "--format", "jsonl"], input="党员志愿者为孤寡老人义务检查线路。\n".encode(),
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    (row,) = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert row["report"] == "stdin" and row["paragraph"] == "stdin:0" and "elderly_care" in row["labels"]


def test_evaluate_external_file(model_path, root, tmp_path, capsys):
    fixture = root / "tests" / "fixtures" / "external.jsonl"
    assert main(["evaluate", "--test", str(fixture), "--model", str(model_path), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "External test report" in out and "micro F1" in out and "keyword lexicon" in out
    html = (tmp_path / "test_report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2 and "Most confident errors" in html
    report = json.loads((tmp_path / "test_report.json").read_text(encoding="utf-8"))
    assert report["runs"][0]["metrics"]["n"] == 5


def test_evaluate_external_bad_file(model_path, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "labels": ["x"]}\n', encoding="utf-8")
    assert main(["evaluate", "--test", str(bad), "--model", str(model_path)]) == 1
    assert "bad.jsonl:1: unknown label id 'x'" in capsys.readouterr().err


def test_train_on_broken_labels_names_row(project, tmp_path, capsys):
    path = project / "labels" / "seeds.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("elevator_power_hookup", "lift", 1),
                    encoding="utf-8")
    assert main(["train", "--root", str(project), "--out", str(tmp_path / "m.joblib"), "--no-cv"]) == 1
    err = capsys.readouterr().err
    assert "seeds.csv:" in err and "unknown label id 'lift'" in err


@pytest.mark.parametrize("argv", [["evaluate", "--top", "0"], ["evaluate", "--jobs", "-1"],
                                  ["evaluate", "--folds", "1"], ["evaluate", "--repeats", "0"],
                                  ["train", "--jobs", "0"], ["tag", "a.txt", "--jobs", "0"]])
def test_counts_must_be_positive(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "must be at least 1" in err or "at least 2 folds" in err
