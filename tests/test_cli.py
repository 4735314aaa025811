"""The command line (tagger.apps.cli): train / evaluate / tag / devset, exit codes, errors without
tracebacks, stdin, start-up imports, and signals (SIGTERM, a killed parent) in real processes."""

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tagger import __version__
from tagger.apps.cli import build_parser, main

ELDERLY = "党员志愿者为孤寡老人义务检查线路。"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, root):
    """``tagger train`` on the real paragraphs, with its leave-one-report-out summary."""
    out = tmp_path_factory.mktemp("model") / "tagger.npz"
    assert main(["-q", "train", "--root", str(root), "--out", str(out), "--no-authored", "--jobs", "1"]) == 0
    card = (out.parent / "tagger.card.md").read_text(encoding="utf-8")  # the model card, beside the model
    assert card.startswith("# Model card: tagger") and "## Known failure modes" in card
    return out


def _python_tagger(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "tagger", *args], capture_output=True, timeout=120, **kwargs)


def test_parser_has_commands():
    parser = build_parser()
    args = parser.parse_args(["tag", "a.txt", "--format", "jsonl"])
    assert args.command == "tag" and args.format == "jsonl" and args.jobs == 1 and args.chunk_size == 500
    assert args.on_error == "fail" and args.input_format == "text" and args.glob == "*.txt"
    for argv in (["train"], ["evaluate"], ["devset", "check"]):
        assert parser.parse_args(argv).command == argv[0]
    assert parser.parse_args(["tag", "a.txt", "-q"]).quiet is True  # -q after the command too


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"tagger {__version__}"


@pytest.mark.parametrize("argv, command, said", [
    (["train", "--no-cv", "--bogus"], "tagger train", "--bogus"),
    (["evaluate", "--no-plots", "--bogus", "x"], "tagger evaluate", "--bogus x"),
    (["labels", "import", "a.jsonl", "--bogus"], "tagger labels import", "--bogus"),
    (["--bogus", "train"], "tagger", "--bogus"),
    (["--bogus", "train", "--no-cv"], "tagger", "--bogus"),
    (["labels", "--bogus", "import", "a.jsonl"], "tagger labels", "--bogus"),
])
def test_an_unknown_option_is_said_by_the_command_given_with_its_usage(capsys, argv, command, said):
    """api: ``python train.py --bogus`` said ``tagger: error: unrecognized arguments`` under tagger's usage (its list
    of commands), not train's options; now the command given says it, with its own usage (exit 2 as before).
    cli: ``tagger --bogus train`` was said by train's parser, with train's usage; now by tagger's, whose option it
    was given as."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: {command} [-h]")
    assert err.rstrip().endswith(f"{command}: error: unrecognized arguments: {said}")


def test_each_unknown_option_is_said_by_its_own_command_first_the_outer_one(capsys):
    """``tagger --bogus train --other``: tagger says its own (--bogus), not train's --other under tagger's usage."""
    assert main(["--bogus", "train", "--other"]) == 2
    assert capsys.readouterr().err.rstrip().endswith("tagger: error: unrecognized arguments: --bogus")
    assert main(["train", "--other"]) == 2
    assert capsys.readouterr().err.rstrip().endswith("tagger train: error: unrecognized arguments: --other")


def test_quiet_is_accepted_wherever_help_lists_it():
    """-q after any (sub)command, e.g. ``tagger labels export ... -q`` (tagger labels --help lists it)."""
    import argparse

    def parsers(parser, path):
        yield path, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from parsers(sub, [*path, name])

    found = list(parsers(build_parser(), []))
    assert len(found) > 10
    for path, parser in found:
        assert "-q" in parser._option_string_actions, path
        assert "-q, --quiet" in parser.format_help(), path
    args = build_parser().parse_args(["labels", "export", "t.jsonl", "--to", "doccano", "-o", "x.jsonl", "-q"])
    assert args.quiet is True and args.debug is False
    assert build_parser().parse_args(["-q", "labels", "audit"]).quiet is True  # before the command: kept
    for path, parser in found:  # labels export's --model help named a --root it does not have (review)
        assert "--root" in parser._option_string_actions or "--root" not in parser.format_help(), path

def test_every_option_of_text_refuses_an_empty_value_wherever_it_is_declared():
    """Review: the empty-value refusal (--out "$UNSET") was set by Parser.add_argument only: an option declared in an
    argument group (add_argument_group(...).add_argument) or a plain argparse parent parser went without it. Every
    option of the command line (tagger's commands; train.py and evaluate.py run tagger train / evaluate) that takes
    text without a type of its own has it; so does one declared in a group, or in a group's group."""
    import argparse

    from tagger.apps.args import Parser, not_empty

    def actions(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from actions(sub, [*path, name])
            else:
                yield " ".join(path), action

    def plain_text(action):
        return (action.option_strings and action.nargs in (None, "+", "*") and action.choices is None
                and action.const is None and isinstance(action.default, (str, type(None)))
                and isinstance(action, (argparse._StoreAction, argparse._AppendAction, argparse._ExtendAction)))

    found = [(path, action) for path, action in actions(build_parser(), ["tagger"]) if plain_text(action)]
    assert {"tagger train", "tagger evaluate", "tagger tag"} <= {path for path, _ in found}
    assert [(path, a.option_strings) for path, a in found if a.type is None] == []
    assert all(a.type is not_empty for path, a in found if a.option_strings[-1] in ("--out", "--model"))
    parser = Parser(prog="p", exit_on_error=False)
    group = parser.add_argument_group("output")
    declared = [group.add_argument("--out"), parser.add_mutually_exclusive_group().add_argument("--to"),
                group.add_mutually_exclusive_group().add_argument("--into")]
    assert [a.type for a in declared] == [not_empty] * 3
    with pytest.raises(argparse.ArgumentError, match="argument --out: is empty"):
        parser.parse_args(["--out", ""])


def test_train_writes_model_and_manifest(trained, root):
    manifest = json.loads(trained.with_name("tagger.manifest.json").read_text(encoding="utf-8"))
    assert manifest["n_train"] == manifest["n_real"] == 109 and manifest["n_authored"] == 0
    assert (manifest["n_seed"], manifest["seed_reports"], manifest["n_imported"]) == (109, 5, 0)  # the card's split
    assert "109 from the 5 real seed reports and 0 written" in trained.with_name("tagger.card.md").read_text(
        encoding="utf-8")
    assert len(manifest["data_hash"]) == 64 and manifest["format_version"] == 8
    cv = manifest["cv_summary"]
    assert 0 < cv["micro_f1"] <= 1 and set(cv["per_label_f1"]) == set(json.loads(json.dumps(manifest["labels"])))
    assert (cv["reports"], cv["paragraphs"]) == (5, 109) and "cv_imported_summary" not in manifest
    from tagger.data.devset import check_devset

    # the model itself scored on the real dev set when its texts are present (never trained on it)
    assert ("dev_summary" in manifest) == check_devset(root).usable


def test_train_names_the_imported_reports_cv_apart_from_the_seed_reports(project, tmp_path, capsys):
    """Adversarial test: after tagger review --export (labels in labels/imported.jsonl) and train.py, the line "seed
    LODO CV: micro-F1 0.803" also scored the imported reports (each a fold), and a user read 0.839 → 0.803 as the
    corrections making the model worse. The seed line scores the seed reports as before; the imported reports
    get a line (and a manifest entry) of their own."""
    rows = [("imp_a", ["党员志愿者走进敬老院为孤寡老人义务检查线路。", "公司召开党委会议，部署下一阶段工作。"],
             [["elderly_care", "volunteer_work"], []]),
            ("imp_b", ["供电所为老旧小区实施一户一表改造，更换老化表箱。", "为新建厂房开辟绿色通道，三天完成接电。"],
             [["old_neighbourhood_retrofit"], ["business_connection_speed"]])]
    with open(project / "labels" / "imported.jsonl", "w", encoding="utf-8") as fh:
        for doc, texts, labels in rows:
            for i, (text, labs) in enumerate(zip(texts, labels)):
                fh.write(json.dumps({"id": f"{doc}:{i}", "doc": doc, "text": text, "labels": labs, "source": "imported",
                                     "index": i}, ensure_ascii=False) + "\n")
    out = tmp_path / "m.npz"
    capsys.readouterr()
    assert main(["train", "--root", str(project), "--out", str(out), "--no-authored", "--jobs", "1", "-q"]) == 0
    printed = capsys.readouterr().out
    manifest = json.loads(out.with_name("m.manifest.json").read_text(encoding="utf-8"))
    seed, imported = manifest["cv_summary"], manifest["cv_imported_summary"]
    assert (seed["reports"], seed["paragraphs"], imported["reports"], imported["paragraphs"]) == (5, 109, 2, 4)
    assert seed["scheme"] == "leave-one-report-out on the real seed paragraphs"
    assert imported["scheme"].startswith("leave-one-report-out on the imported paragraphs (real, reviewed")
    # each with its report-bootstrap interval, and macro-F1 over the labels present: the imported line said
    # "macro-F1 0.360" of 4 paragraphs, a label with no paragraph counted 0
    lo, hi = seed["micro_f1_ci"]
    assert seed["labels_supported"] == 5 and lo <= seed["micro_f1"] <= hi
    assert (f"seed LODO CV: micro-F1 {seed['micro_f1']:.3f} [{lo:.2f}, {hi:.2f}], macro-F1 "
            f"{seed['macro_f1']:.3f} (5 reports, 109 paragraphs); full report: python evaluate.py") in printed
    lo, hi = imported["micro_f1_ci"]
    assert imported["labels_supported"] == 4 and imported["macro_f1_supported"] > imported["macro_f1"]
    line = (f"micro-F1 {imported['micro_f1']:.3f} [{lo:.2f}, {hi:.2f}], macro-F1 "
            f"{imported['macro_f1_supported']:.3f} over the 4 labels present (2 reports, 4 paragraphs)")
    assert f"imported LODO CV (real, reviewed): {line}; full report" in printed
    card = out.with_name("m.card.md").read_text(encoding="utf-8")
    assert f"Measured while training: {imported['scheme']}, {line}." in card
    from tagger.model.persistence import load_model

    assert load_model(out).manifest_["cv_imported_summary"] == imported  # the model loads with its new entry


def test_train_scores_a_dev_set_it_never_trains_on(tmp_path, project, capsys, monkeypatch):
    """The dev set (labels/dev_manifest.csv + texts in data/real/raw) is scored, never trained on, and
    scored as whole reports (report context)."""
    from tagger.model.tagger import Tagger

    root = _dev_root(project)  # the checkout's seeds and labels, and a dev set of one report
    out = tmp_path / "m.npz"
    seen, real = [], Tagger.predict_indicator
    monkeypatch.setattr(Tagger, "predict_indicator", lambda self, X, reports=None: seen.append(reports) or
                        real(self, X, reports))
    assert main(["train", "--root", str(root), "--out", str(out), "--no-cv", "--no-authored"]) == 0
    assert len(seen) == 1 and len(set(seen[0])) == 1 and seen[0][0] is not None
    assert "real dev set (3 paragraphs, 1 report): micro-F1" in capsys.readouterr().out
    manifest = json.loads(out.with_name("m.manifest.json").read_text(encoding="utf-8"))
    assert manifest["n_train"] == 109 and manifest["dev_summary"]["paragraphs"] == 3


def test_train_prints_what_it_did(root, tmp_path, capsys):
    out = tmp_path / "m.npz"
    assert main(["train", "--root", str(root), "--out", str(out), "--no-cv", "--no-authored"]) == 0
    printed, err = capsys.readouterr()
    assert "on 109 paragraphs (109 real, 0 authored)" in err and str(out) in err  # progress: logged (-q hides it)
    assert "thresholds: elderly_care=" in printed and "dev set" in printed
    assert out.exists() and out.with_name("m.manifest.json").exists()


def test_tag_table_and_jsonl(trained, root, capsys):
    seed = str(root / "seeds" / "003_86615e91b483547b.txt")
    assert main(["tag", seed, "--model", str(trained)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 21 and out[0].startswith("003_86615e91b483547b:1 [heading]\t-\t")
    assert main(["tag", seed, "--model", str(trained), "--format", "jsonl", "--evidence"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 21
    assert {"row_type", "report", "paragraph", "kind", "text", "labels", "evidence", "score_elderly_care"} <= set(rows[0])
    assert all(set(r["evidence"]) == set(r["labels"]) for r in rows)


def test_tag_directory(trained, root, capsys):
    assert main(["tag", str(root / "seeds"), "--model", str(trained), "--format", "jsonl"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 109


def test_tag_uses_tagger_model_by_default(trained, root, monkeypatch, capsys):
    monkeypatch.setenv("TAGGER_MODEL", str(trained))
    assert main(["tag", str(root / "seeds" / "003_86615e91b483547b.txt"), "--format", "jsonl"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 21


def test_user_errors_have_no_traceback(trained, tmp_path, capsys):
    assert main(["tag", str(tmp_path / "nope.txt"), "--model", str(trained)]) == 1
    err = capsys.readouterr().err
    assert "nope.txt: no such file" in err and "Traceback" not in err
    # a file named on the command line: skipping it is no fix (it said "use --on-error skip to skip bad inputs")
    assert "no such file; check its name and path" in err and "--on-error" not in err
    assert main(["tag", "x.txt", "--model", str(tmp_path / "missing.npz")]) == 1
    assert "python train.py" in capsys.readouterr().err
    assert main(["tag", "x.txt", "--model", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err
    (tmp_path / "old.joblib").write_bytes(b"pickle")
    assert main(["tag", "x.txt", "--model", str(tmp_path / "old.joblib")]) == 1
    assert "retrain" in capsys.readouterr().err
    assert main(["tag"]) == 2  # usage error
    assert main(["frobnicate"]) == 2


def test_a_missing_input_is_named_in_one_wording_and_a_missing_folder_as_file_or_folder(trained, tmp_path, capsys):
    """statsfix2: tagger stats said "no such file" where tag said "no such file; check its name and path", and
    tagger tag MISSING_DIR/ called a folder "no such file"."""
    assert main(["stats", str(tmp_path / "missing.jsonl")]) == 1
    assert f"{tmp_path / 'missing.jsonl'}: no such file; check its name and path" in capsys.readouterr().err
    assert main(["tag", str(tmp_path / "missing_dir") + "/", "--model", str(trained)]) == 1
    assert f"{tmp_path / 'missing_dir'}: no such file or folder; check its name and path" in capsys.readouterr().err


def test_a_missing_folder_named_with_a_slash_and_a_dot_in_its_name_is_file_or_folder(trained, tmp_path, capsys):
    """Odds item 6: tagger tag missing.d/ said "no such file": the / that says a folder was gone (the name was read as
    a path first), and the .d read as a file's extension."""
    assert main(["tag", str(tmp_path / "missing.d") + "/", "--model", str(trained)]) == 1
    assert f"{tmp_path / 'missing.d'}: no such file or folder; check its name and path" in capsys.readouterr().err
    assert main(["tag", str(tmp_path / "missing.d"), "--model", str(trained)]) == 1  # no /: the .d may be a file's
    assert f"{tmp_path / 'missing.d'}: no such file; check its name and path" in capsys.readouterr().err


def test_a_closed_standard_output_is_a_clear_error_not_a_traceback(tmp_path):
    """tagger stats f -o - >&- (standard output closed): a traceback ('NoneType' object has no attribute …)."""
    import shlex

    import tagger
    from helpers import tagged_rows, write_tagged

    path = write_tagged(tmp_path / "t.jsonl", tagged_rows(summary=False))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(tagger.__file__).parents[1]),
                                                                      os.environ.get("PYTHONPATH")]))}
    for output in (["-o", "-"], []):
        command = " ".join([shlex.quote(sys.executable), "-m", "tagger", "stats", shlex.quote(str(path)), *output])
        done = subprocess.run(["sh", "-c", f"{command} >&-"], stderr=subprocess.PIPE, text=True, env=env)
        assert done.returncode == 1, done.stderr
        assert "error: standard output is closed" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_tag_to_a_closed_standard_output_is_a_clear_error_not_a_traceback(trained, tmp_path):
    """tagger tag r.txt >&- (standard output closed): AttributeError 'NoneType' object has no attribute 'write', as
    stats had; said before any work, as stats says it."""
    import shlex

    import tagger

    report = tmp_path / "r.txt"
    report.write_text(f"{ELDERLY}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(tagger.__file__).parents[1]),
                                                                      os.environ.get("PYTHONPATH")]))}
    for output in (["-o", "-"], []):
        command = " ".join([shlex.quote(sys.executable), "-m", "tagger", "tag", shlex.quote(str(report)), "--model",
                            shlex.quote(str(trained)), *output])
        done = subprocess.run(["sh", "-c", f"{command} >&-"], stderr=subprocess.PIPE, text=True, env=env)
        assert done.returncode == 1, done.stderr
        assert "error: standard output is closed" in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("argv", [
    ["train", "--root", "{project}", "--out", "{tmp}/m.npz"],
    ["evaluate", "--root", "{project}", "--out", "{tmp}/reports"],
    ["evaluate", "--test", "{project}/labels/seeds.csv", "--out", "{tmp}/reports"],
    ["devset", "agreement", "--root", "{project}"],
    ["suggest", "{tmp}/reports_in", "--root", "{project}", "-o", "{tmp}/to_label.csv"],
    ["labels", "audit", "--root", "{project}"],
    ["labels", "import", "{project}/labels/seeds.csv", "--root", "{project}", "--dry-run"],
    ["serve", "--root", "{project}", "--port", "0"],
    ["review", "{tmp}/tagged.jsonl"],
])
def test_every_command_refuses_a_closed_standard_output_before_any_work(argv, project, tmp_path, capsys,
                                                                       monkeypatch):
    """relfix: only tag and stats checked it: tagger suggest, labels, train, evaluate (python evaluate.py),
    devset, serve, review run with standard output closed (>&-) and their results (summary, thresholds, the
    report, the page's address) were lost without a word, exit 0. Now every command is refused in one place,
    before any work: exit 1, one line on stderr."""
    argv = [a.format(project=project, tmp=tmp_path) for a in argv]
    before = sorted(tmp_path.rglob("*"))
    monkeypatch.setattr(sys, "stdout", None)  # as Python starts with file descriptor 1 closed
    assert main(argv) == 1
    err = capsys.readouterr().err
    name = " ".join(argv[:2] if argv[0] == "labels" else argv[:1])
    assert err == (f"error: standard output is closed: tagger {name} prints its results and notes there; leave it "
                   "open (> /dev/null discards them)\n"), err
    assert sorted(tmp_path.rglob("*")) == before  # nothing written (nor a model, a report, a lock)


def test_a_command_writing_its_output_to_a_file_needs_no_standard_output(trained, tmp_path, capsys, monkeypatch):
    """relfix: tag and stats write to standard output only their output: with -o FILE they run with it closed;
    without, or with -o - (or /dev/stdout), they are refused as before."""
    report = tmp_path / "r.txt"
    report.write_text(f"{ELDERLY}\n", encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", None)
    tagged = tmp_path / "t.jsonl"
    assert main(["-q", "tag", str(report), "--model", str(trained), "-o", str(tagged)]) == 0
    assert main(["-q", "stats", str(tagged), "-o", str(tmp_path / "s.csv")]) == 0
    assert (tmp_path / "s.csv").is_file() and capsys.readouterr().err == ""
    for argv in (["tag", str(report), "--model", str(trained)], ["stats", str(tagged), "-o", "/dev/stdout"],
                 ["stats", str(tagged), "-o", "-"], ["tag", str(report), "--model", str(trained), "-o", "-"]):
        assert main(argv) == 1
        assert capsys.readouterr().err == ("error: standard output is closed: the output cannot be written there; "
                                           "give a file with -o FILE (or leave standard output open)\n")


def test_a_closed_standard_output_is_refused_by_python_m_tagger_and_evaluate_py(root, tmp_path):
    """relfix: python evaluate.py --test … >&- and python -m tagger labels audit >&- ran and lost their results;
    now refused: exit 1, one line, no traceback."""
    import shlex

    import tagger

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(tagger.__file__).parents[1]),
                                                                      os.environ.get("PYTHONPATH")]))}
    python = shlex.quote(sys.executable)
    for command in (f"{python} {shlex.quote(str(root / 'evaluate.py'))} --test labels/seeds.csv --out "
                    f"{shlex.quote(str(tmp_path))}", f"{python} -m tagger labels audit"):
        done = subprocess.run(["sh", "-c", f"{command} >&-"], stderr=subprocess.PIPE, text=True, env=env, cwd=root,
                              timeout=120)
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("error: standard output is closed: ") and done.stderr.count("\n") == 1, \
            done.stderr
    assert list(tmp_path.iterdir()) == []


def test_debug_shows_the_traceback(trained, tmp_path):
    from tagger.errors import InputError

    with pytest.raises(InputError, match="nope.txt: no such file"):
        main(["--debug", "tag", str(tmp_path / "nope.txt"), "--model", str(trained), "--on-error", "fail"])


def test_stdin_via_subprocess(trained):
    proc = _python_tagger("tag", "-", "--model", str(trained), "--format", "jsonl", input=f"{ELDERLY}\n".encode())
    assert proc.returncode == 0, proc.stderr.decode()
    (row,) = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert row["report"] == "stdin" and row["paragraph"] == "stdin:0" and "elderly_care" in row["labels"]


@pytest.mark.parametrize("redirect, message", [("0<&-", "standard input is closed"),
                                               ("</dev/null", "empty input, nothing to tag")])
def test_closed_or_empty_stdin_via_subprocess(trained, redirect, message):
    """Issue 17: closed stdin crashed (AttributeError); empty stdin exited 0 with nothing."""
    cmd = f"{sys.executable} -m tagger tag - --model {trained} {redirect}"
    proc = subprocess.run(cmd, shell=True, capture_output=True, timeout=120)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert message in err and "Traceback" not in err and proc.stdout == b""


def test_tagging_one_report_imports_no_sklearn_scipy_or_pandas(trained, root, tmp_path):
    """Issue 15: instant start — ``tagger tag`` on a report needs numpy, rjieba and OpenCC only."""
    report = root / "seeds" / "000_6bc5a408cdc75e0e.txt"
    code = ("import sys\nfrom tagger.apps.cli import main\n"
            f"for fmt in ('table', 'jsonl', 'csv'):\n"
            f"    assert main(['-q', 'tag', {str(report)!r}, '--model', {str(trained)!r}, '--format', fmt,"
            f" '-o', {str(tmp_path)!r} + '/out.' + fmt]) == 0\n"
            "print(sorted(m for m in ('sklearn', 'scipy', 'pandas') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    assert len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 27


def test_evaluate_test_writes_its_report_where_git_ignores_it(trained, root, tmp_path, capsys):
    """User test: `evaluate --test FILE` wrote test_report.* (which quotes the file's paragraphs: its most
    confident errors) into the committed reports/ folder, one `git add` away from publishing a user's real text.
    Without --out it goes to reports/local/, which .gitignore covers."""
    import shutil

    project = tmp_path / "p"
    (project / "reports").mkdir(parents=True)
    fixture = root / "tests" / "fixtures" / "external.jsonl"
    assert main(["-q", "evaluate", "--test", str(fixture), "--model", str(trained), "--root", str(project),
                 "--no-plots"]) == 0
    assert (project / "reports" / "local" / "test_report.md").is_file()
    assert not list((project / "reports").glob("test_report.*"))
    if shutil.which("git"):
        shutil.copy(root / ".gitignore", project / ".gitignore")
        subprocess.run(["git", "init", "-q"], cwd=project, check=True)
        assert subprocess.run(["git", "check-ignore", "-q", "reports/local/test_report.md"], cwd=project).returncode == 0


def test_evaluate_test_file(trained, root, tmp_path, capsys):
    fixture = root / "tests" / "fixtures" / "external.jsonl"
    assert main(["evaluate", "--test", str(fixture), "--model", str(trained), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "# Test report" in out and "micro F1" in out and "keyword lexicon" in out and "Per report" in out
    html = (tmp_path / "test_report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2 and "Most confident errors" in html
    report = json.loads((tmp_path / "test_report.json").read_text(encoding="utf-8"))
    assert report["runs"][0]["metrics"]["n"] == 5
    assert [r["system"] for r in report["runs"]] == ["tagger", "empty", "keyword lexicon"]
    assert sorted(report["figures"]) == ["f1_threshold", "pr_curves"]
    for rel in report["figures"].values():
        assert (tmp_path / rel).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_test_file_bad_file(trained, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "labels": ["x"]}\n', encoding="utf-8")
    assert main(["evaluate", "--test", str(bad), "--model", str(trained), "--out", str(tmp_path / "r")]) == 1
    assert "bad.jsonl:1: unknown label id 'x'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("written, via", [("test_report.json", "name"), ("test_report.md", "symlink"),
                                          ("test_report.html", "linked output"),
                                          ("figures/test_pr_curves.png", "name"), ("test_report.json", "default out")])
def test_evaluate_test_never_writes_over_its_test_file(cli_model, tmp_path, capsys, written, via):
    """Adversarial test: evaluate --test FILE --out DIR replaced the labelled test file when FILE was one of the
    files it writes (test_report.json / .md / .html in --out, or in reports/local/ by default), with no --force.
    Refused before any work, as tag refuses an output that is an input, through symlinks too."""
    root = tmp_path / "root"
    out = root / "reports" / "local" if via == "default out" else tmp_path / "ev"
    labelled = out / written
    labelled.parent.mkdir(parents=True)
    labelled.write_text(json.dumps({"id": "a:0", "doc": "a", "text": ELDERLY, "labels": ["elderly_care"]},
                                   ensure_ascii=False) + "\n", encoding="utf-8")
    before = labelled.read_bytes()
    given = labelled
    if via == "symlink":  # the test file given through a link to it
        given = tmp_path / "test.jsonl"
        given.symlink_to(labelled)
    elif via == "linked output":  # the report's name in --out is a link to the test file elsewhere
        given = tmp_path / "test.jsonl"
        labelled.rename(given)
        labelled.symlink_to(given)
    argv = ["evaluate", "--test", str(given), "--model", cli_model, "--root", str(root)]
    assert main(argv + ([] if via == "default out" else ["--out", str(out)])) == 1
    assert f"error: {out / written}: is also an input; choose another --out" in capsys.readouterr().err
    assert given.read_bytes() == before and sorted(p.name for p in out.iterdir()) == [Path(written).parts[0]]
    elsewhere = tmp_path / "r"
    assert main(["-q", *argv, "--out", str(elsewhere), "--no-plots"]) == 0 and given.read_bytes() == before


def test_evaluate_test_file_says_what_its_scores_cannot_show(trained, root, tmp_path, capsys):
    """Review: one text labelled two ways was scored without a word; training paragraphs scored F1 1.000 as
    if tested; a file of hard negatives only read 0.000 like the empty baseline."""
    seed_text = next(line for line in (root / "seeds").glob("*.txt").__next__().read_text(encoding="utf-8")
                     .splitlines() if len(line) > 30)
    rows = {"clash": [{"text": "党员为孤寡老人检查线路。", "labels": ["elderly_care"]},
                      {"text": "党员为孤寡老人检查线路。", "labels": []}],
            "trained": [{"text": seed_text, "labels": []}, {"text": "公司召开党委会议。", "labels": []},
                        {"text": "公司召开党委会议。", "labels": []}]}
    for name, content in rows.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in content), encoding="utf-8")
    out = tmp_path / "r"
    argv = ["evaluate", "--root", str(root), "--model", str(trained), "--out", str(out), "--no-plots", "--test"]
    assert main([*argv, str(tmp_path / "clash.jsonl")]) == 1
    assert "have the same text but different labels (elderly_care / none)" in capsys.readouterr().err
    assert not out.exists()
    assert main([*argv, str(tmp_path / "trained.jsonl")]) == 0
    printed = capsys.readouterr().out
    assert "1 of 3 paragraphs is in this checkout's training data" in printed
    assert "1 paragraph repeats another's text" in printed and "The file labels no paragraph" in printed


def test_train_on_broken_labels_names_row(project, tmp_path, capsys):
    path = project / "labels" / "seeds.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("elevator_power_hookup", "lift", 1), encoding="utf-8")
    assert main(["train", "--root", str(project), "--out", str(tmp_path / "m.npz"), "--no-cv"]) == 1
    err = capsys.readouterr().err
    assert "seeds.csv:" in err and "unknown label id 'lift'" in err and "Traceback" not in err
    assert not (tmp_path / "m.npz").exists()


def test_train_refuses_a_report_in_two_label_files_or_an_index_without_a_doc_on_one_line(project, tmp_path, capsys):
    """ids 1, 2: a new authored file that reused a report's doc, or gave a row an index and no doc, was trained on
    without a word; now one error line each (file, line, doc, what to do), exit 1 as for every bad label file, and no
    model written."""
    extra, out = project / "labels" / "authored_new.jsonl", tmp_path / "m.npz"
    row = {"id": "new:0", "doc": "genre-reports1-r01", "index": 0, "text": "供电所青年志愿者走访独居老人。", "labels": []}
    for problem, said in [(row, f'error: report "genre-reports1-r01" has rows in two label files '
                                f'({extra}:1 and {project / "labels" / "authored_reports_1.jsonl"}:1): '),
                          ({**row, "doc": None, "index": 3}, f'error: {extra}:1: "index" 3 but no "doc": ')]:
        extra.write_text(json.dumps(problem, ensure_ascii=False) + "\n", encoding="utf-8")
        assert main(["train", "--root", str(project), "--out", str(out), "--no-cv"]) == 1
        err = capsys.readouterr().err
        assert err.startswith(said) and err.count("\n") == 1 and "Traceback" not in err, err
        assert not out.exists()


def test_train_outside_a_checkout(tmp_path, capsys):
    assert main(["train", "--root", str(tmp_path), "--out", str(tmp_path / "m.npz")]) == 1
    assert "not found; run from the project checkout or pass --root" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["evaluate", "--jobs", "-1"], ["evaluate", "--jobs", "0"], ["train", "--jobs", "0"],
                                  ["tag", "a.txt", "--jobs", "0"], ["tag", "a.txt", "--chunk-size", "0"]])
def test_counts_must_be_positive(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err
    assert main(argv) == 2


# ----------------------------------------------------------------------------- devset
def _dev_root(tmp_path):
    report = "暖心服务进社区\n" + ELDERLY + "\n公司召开党委会议。"
    (tmp_path / "labels").mkdir(exist_ok=True)
    (tmp_path / "data" / "real" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "real" / "raw" / "d1.txt").write_text(report, encoding="utf-8")
    rows = [(0, "暖心服务进社区", "heading", "none"), (1, ELDERLY, "body", "elderly_care;volunteer_work"),
            (2, "公司召开党委会议。", "body", "none")]
    (tmp_path / "labels" / "dev_manifest.csv").write_text(
        "doc,index,sha256,length,kind,labels\n" + "".join(
            f"d1,{i},{hashlib.sha256(t.encode()).hexdigest()},{len(t)},{k},{lab}\n" for i, t, k, lab in rows),
        encoding="utf-8")
    (tmp_path / "labels" / "dev_reads.csv").write_text(
        "doc,index,first,second\nd1,0,none,none\nd1,1,elderly_care,elderly_care;volunteer_work\nd1,2,none,none\n",
        encoding="utf-8")
    return tmp_path


def test_devset_check_export_and_agreement(tmp_path, capsys):
    root = _dev_root(tmp_path)
    assert main(["devset", "check", "--root", str(root)]) == 0
    assert "3 of 3 paragraphs (1 of 1 report) present" in capsys.readouterr().out
    out = tmp_path / "dev.jsonl"
    assert main(["devset", "export", "--root", str(root), "-o", str(out)]) == 0
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["kind"], r["labels"]) for r in rows] == [
        ("d1:0", "heading", []), ("d1:1", "body", ["elderly_care", "volunteer_work"]), ("d1:2", "body", [])]
    assert main(["devset", "agreement", "--root", str(root)]) == 0
    printed = capsys.readouterr().out
    assert "two blind reads of 3 dev paragraphs: micro-F1 of one read against the other 0.667" in printed
    assert "volunteer_work" in printed and "kappa -" in printed


def test_devset_check_with_missing_texts(tmp_path, capsys):
    root = _dev_root(tmp_path)
    (root / "data" / "real" / "raw" / "d1.txt").unlink()
    assert main(["devset", "check", "--root", str(root)]) == 1
    assert "report texts missing" in capsys.readouterr().out
    assert main(["devset", "export", "--root", str(root), "-o", str(tmp_path / "dev.jsonl")]) == 1
    out, err = capsys.readouterr()
    assert "cannot export an incomplete dev set" in err and not (tmp_path / "dev.jsonl").exists()
    assert "report texts missing" in out and "report texts missing" not in err  # said once, not twice
    assert main(["devset", "check", "--root", str(tmp_path / "nothing")]) == 1
    assert "no dev set" in capsys.readouterr().out


def test_devset_export_without_the_texts_shows_a_few_and_points_to_check(tmp_path, capsys):
    """jsonl 2: ``tagger devset export`` on a machine without the texts printed every report missing (hundreds of
    lines) before its error; ``devset check`` is the full listing the README promises."""
    (tmp_path / "a b").mkdir()
    root = _dev_root(tmp_path / "a b")  # a space: the command named is quoted to be pasted
    manifest = root / "labels" / "dev_manifest.csv"
    docs = [f"d{n:02d}" for n in range(2, 14)]
    sha = hashlib.sha256(ELDERLY.encode()).hexdigest()
    manifest.write_text(manifest.read_text(encoding="utf-8") + "".join(
        f"{d},0,{sha},{len(ELDERLY)},body,elderly_care\n" for d in docs), encoding="utf-8")
    out = tmp_path / "dev.jsonl"
    assert main(["devset", "export", "--root", str(root), "-o", str(out)]) == 1
    printed, err = capsys.readouterr()
    assert "12 report texts missing" in printed  # the summary counts them
    assert printed.splitlines()[1:] == ["report texts missing (12):", *(f"  {d}" for d in docs[:5]),
                                        "  … and 7 more"]
    assert f"tagger devset check --root '{root}' lists every one" in err and not out.exists()
    assert main(["devset", "check", "--root", str(root)]) == 1
    listed = capsys.readouterr().out.splitlines()
    assert listed[1:] == ["report texts missing (12):", *(f"  {d}" for d in docs)]  # every one



@pytest.mark.parametrize("default", [False, True])
def test_devset_export_replaces_an_existing_file_only_with_force(tmp_path, capsys, default):
    """fixB 4: ``tagger devset export -o FILE`` replaced an existing file without a word (tag and suggest refuse
    one without --force)."""
    root = _dev_root(tmp_path)
    out = root / "data" / "real" / "dev.jsonl" if default else tmp_path / "mine.jsonl"
    out.write_text("mine\n", encoding="utf-8")
    argv = ["devset", "export", "--root", str(root)] + ([] if default else ["-o", str(out)])
    assert main(argv) == 1
    assert capsys.readouterr().err == f"error: {out}: already exists; pass --force to replace it or choose another --output\n"
    assert out.read_text(encoding="utf-8") == "mine\n"
    assert main([*argv, "--force"]) == 0
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == ["d1:0", "d1:1", "d1:2"]
    assert main(["devset", "check", "--root", str(root), "--force"]) == 2
    assert "--force applies to devset export only, not check" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["dev.csv", "dev", "dev.json"])
def test_devset_export_refuses_a_name_of_another_format(tmp_path, capsys, name):
    """fixB 4: ``tagger devset export -o dev.csv`` wrote JSONL into a file named .csv."""
    root = _dev_root(tmp_path)
    out = tmp_path / name
    assert main(["devset", "export", "--root", str(root), "-o", str(out)]) == 2
    assert capsys.readouterr().err == (f"error: {out}: devset export writes JSONL (one paragraph a line, as evaluate "
                                       "--test reads it); give a .jsonl name\n")
    assert not out.exists()
    assert main(["devset", "export", "--root", str(root), "-o", os.devnull]) == 0  # a device: written in place


def test_devset_export_writes_under_root_by_default(tmp_path, monkeypatch, capsys):
    """User test 3: ``tagger devset export --root CHECKOUT`` run from another folder wrote the real text to
    data/real/dev.jsonl of the current folder (perhaps another repository, where it is not git-ignored)."""
    (tmp_path / "checkout").mkdir()
    root = _dev_root(tmp_path / "checkout")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["devset", "export", "--root", str(root)]) == 0
    assert (root / "data" / "real" / "dev.jsonl").is_file()
    assert not (elsewhere / "data").exists()
    assert main(["devset", "check", "--root", str(root), "-o", "x.jsonl"]) == 2
    assert "--output applies to devset export only" in capsys.readouterr().err


def test_devset_check_names_a_missing_manifest(tmp_path, capsys):
    """User test 3: ``tagger devset check --root WRONG`` said "labels/dev_manifest.csv has no rows" about a file
    that does not exist."""
    assert main(["devset", "check", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'labels' / 'dev_manifest.csv'} not found (is --root the project checkout?)" in out
    assert "has no rows" not in out


@pytest.mark.parametrize("reads, message", [
    ("doc,index,first,second\n", r"no reads \(only a header\)"),  # was an IndexError traceback
    ("doc,index,first,second\nd1,1,elderly_care,elderly_care\nd1,1,elderly_care,elderly_care\n",
     r"dev_reads\.csv:3: d1:1 read twice \(first at line 2\)"),  # counted twice
    ("doc,index,first,second\nnot_a_doc,abc,elderly_care,none\n", r"dev_reads\.csv:2: index 'abc' is not"),
    ("doc,index,first,second\nd9,0,none,none\n", r"dev_reads\.csv:2: d9:0 is not a paragraph of"),
    ("doc,index,first,second\nd1,1,elderly_care,\n", r"dev_reads\.csv:2: the second read is empty"),  # was "no label"
])
def test_devset_agreement_refuses_reads_it_would_miscount(tmp_path, capsys, reads, message):
    root = _dev_root(tmp_path)
    (root / "labels" / "dev_reads.csv").write_text(reads, encoding="utf-8")
    assert main(["devset", "agreement", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert re.search(message, err) and "Traceback" not in err, err


# ----------------------------------------------------------------------------- signals
def _children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(x) for x in (task / "children").read_text().split()}
        except OSError:
            pass
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _wait_for(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture(scope="module")
def big_input(tmp_path_factory, root):
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    text = (root / "seeds" / "000_6bc5a408cdc75e0e.txt").read_text(encoding="utf-8")
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(1500):
            fh.write(json.dumps({"id": f"r{i}", "text": text}, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def sigterm_run(trained, big_input, tmp_path_factory):
    """``tagger tag big.jsonl -o out.jsonl --jobs 2`` sent SIGTERM while its workers tag and its temp file grows."""
    if not Path("/proc/self/task").exists():
        pytest.skip("needs Linux /proc")
    folder = tmp_path_factory.mktemp("sigterm")
    out = folder / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "tagger", "tag", str(big_input), "-o", str(out), "--jobs", "2",
                             "--chunk-size", "10", "--evidence", "--model", str(trained)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=folder)
    try:
        def temp():
            return [p for p in folder.iterdir() if p.name.startswith(".out.jsonl.") and p.name.endswith(".tmp")]

        started = _wait_for(lambda: len(_children(proc.pid)) >= 2 and any(p.stat().st_size for p in temp()), 90)
        assert started and proc.poll() is None, "the run ended before it could be interrupted"
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    survivors = not _wait_for(lambda: not any(_alive(pid) for pid in workers), 10)
    return {"code": proc.returncode, "stderr": err.decode(), "workers": workers, "survivors": survivors,
            "left": sorted(p.name for p in folder.iterdir())}


def test_sigterm_leaves_no_temp_file_and_no_worker(sigterm_run):
    """Issue 17: SIGTERM left a hidden .out.jsonl.XXXX.tmp and two orphan workers."""
    assert sigterm_run["code"] == 143
    assert sigterm_run["stderr"].rstrip().endswith("terminated")
    assert len(sigterm_run["workers"]) >= 2 and not sigterm_run["survivors"], "workers outlived the parent"
    assert sigterm_run["left"] == []  # no output, no temp file


def test_sigterm_prints_no_traceback(sigterm_run):
    """Workers stopped by the parent exit quietly (they do not inherit its SIGTERM handler)."""
    assert "Traceback" not in sigterm_run["stderr"], sigterm_run["stderr"]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_die_when_their_parent_is_killed(tmp_path):
    """imap_ordered's workers get SIGTERM from the kernel when the parent dies, even by SIGKILL."""
    code = ("import time\nfrom tagger.common.parallel import imap_ordered\n"
            "for _ in imap_ordered(time.sleep, [30] * 8, jobs=2):\n    pass\n")
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        assert _wait_for(lambda: len(_children(proc.pid)) >= 2, 60)
        workers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _wait_for(lambda: not any(_alive(pid) for pid in workers), 10), "orphan workers after SIGKILL"


def test_sigterm_during_shutdown_keeps_the_finished_runs_exit_code():
    """A run that finished (its output committed) and is then sent SIGTERM while the interpreter shuts
    down exits with its own code, not as killed (-15): found by the SIGTERM fault injection on a busy
    machine."""
    import subprocess
    import sys

    script = ("import atexit, os, signal, time\n"
              "from tagger.apps import cli\n"
              "cli.main = lambda argv=None: 3\n"
              "atexit.register(lambda: (os.kill(os.getpid(), signal.SIGTERM), time.sleep(5)))\n"
              "cli.main_entry()\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == 3 and b"Traceback" not in proc.stderr


def test_input_file_names_never_drive_the_terminal_in_errors_and_logs(trained, tmp_path, capsys):
    """A report folder is untrusted: a file named with an escape sequence was printed raw in the error,
    warning and log lines (setting the window title, clearing the screen)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "b\x1b]0;PWNED\x07\x1b[2J.txt").write_bytes(b"\x00\x01binary")
    (folder / "ok.txt").write_text("社区志愿者看望空巢老人。\n", encoding="utf-8")
    assert main(["tag", str(folder), "--model", str(trained)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "b\\x1b]0;PWNED\\x07\\x1b[2J.txt" in err
    assert main(["tag", str(folder), "--model", str(trained), "--on-error", "skip"]) == 3
    captured = capsys.readouterr()
    assert "\x1b" not in captured.err and "WARNING" in captured.err and "warning: skipped 1" in captured.err


def test_a_line_feed_in_a_file_name_cannot_forge_a_message_line(trained, tmp_path, capsys):
    """Bad-input test: a file named 'z<LF>INFO tagger: wrote tagged.csv: 2 reports, 9 paragraphs<LF>.txt' printed a
    'wrote' line that read as real (a log scraper would take it). Every message is one line: a line feed from an
    input shows as \\n (lists of problems keep their indented lines)."""
    folder = tmp_path / "in"
    folder.mkdir()
    forged = "INFO tagger: wrote tagged.csv: 2 reports, 9 paragraphs"
    (folder / f"z\n{forged}\n.txt").write_text("社区志愿者看望空巢老人。\n", encoding="utf-8")
    (folder / "ok.txt").write_text("社区志愿者看望空巢老人。\n", encoding="utf-8")
    out = tmp_path / "tagged.csv"
    assert main(["tag", str(folder), "--model", str(trained)]) == 1
    assert main(["tag", str(folder), "--model", str(trained), "--on-error", "skip", "-o", str(out)]) == 3
    err = capsys.readouterr().err
    assert not [line for line in err.splitlines() if line.startswith(forged)]
    assert f"z\\n{forged}\\n.txt" in err


def test_a_full_device_as_output_is_named_in_the_error(trained, root, capsys):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    assert main(["tag", str(root / "seeds"), "--model", str(trained), "-o", "/dev/full", "--format", "jsonl"]) == 1
    assert "error: /dev/full: No space left on device" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "abc"])
def test_serve_max_mb_must_be_a_sensible_size(value, capsys):
    """nan and inf gave tracebacks; -1 and 0 started a server that refused every report."""
    assert main(["serve", f"--max-mb={value}"]) == 2
    assert "--max-mb" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["train", "--seed", "-5"], ["train", "--seed", "4294967296"],
                                  ["suggest", "x", "--seed", "-1"], ["evaluate", "--seed", "-1"]])
def test_seeds_outside_what_numpy_accepts_are_usage_errors(argv, capsys):
    """They gave numpy/scikit-learn tracebacks (after training, for train.py)."""
    assert main(argv) == 2
    assert "--seed: must be a whole number from 0 to 4294967295" in capsys.readouterr().err


def test_train_refuses_a_bad_model_name_before_training(root, tmp_path, capsys, monkeypatch):
    import tagger.training

    monkeypatch.setattr(tagger.training, "load_resources", lambda *a, **k: pytest.fail("trained first"))
    assert main(["train", "--root", str(root), "--out", str(tmp_path / "model.txt")]) == 1
    assert "model files end in .npz" in capsys.readouterr().err
    assert main(["train", "--root", str(root), "--out", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err


@pytest.mark.parametrize("link", [False, True])
def test_train_refuses_a_folder_where_the_model_card_goes_before_training(root, tmp_path, capsys, monkeypatch, link):
    """fixB 1: ``mkdir m.card.md; python train.py --out m.npz`` trained, saved the model, then exited 1 with
    "m.card.md: is a directory" and no word that the model had been saved."""
    import tagger.training

    out, card = tmp_path / "m.npz", tmp_path / "m.card.md"
    if link:
        (tmp_path / "elsewhere").mkdir()
        card.symlink_to(tmp_path / "elsewhere")
    else:
        card.mkdir()
    monkeypatch.setattr(tagger.training, "load_resources", lambda *a, **k: pytest.fail("trained first"))
    assert main(["train", "--root", str(root), "--out", str(out)]) == 1
    what, remove = ("a link to a folder", "the link") if link else ("a folder", "the folder")
    assert capsys.readouterr().err == (f"error: {out}: its model card {card} would be written where {what} is; "
                                       f"remove {remove}, or choose another model file name\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.card.md"] + ["elsewhere"] * link)


def test_train_saves_no_model_without_its_card(root, tmp_path, capsys, monkeypatch):
    """fixB 1: a card that could not be written after the model was saved (a disk filled meanwhile) said only the
    card's error. The card is now saved with the model and its manifest, in one commit: one that cannot be written
    leaves none of them, and the error says the model could not be written, and what to do."""
    _disk_full_placing(monkeypatch, ".card.md")
    out = tmp_path / "m.npz"
    assert main(["-q", "train", "--root", str(root), "--out", str(out), "--no-authored", "--no-cv", "--jobs", "1"]) == 1
    assert capsys.readouterr().err == (f"error: {out}: cannot write the model (No space left on device); free some "
                                       "space there, or choose another --out\n")
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


@pytest.mark.parametrize("extra, message", [
    (["--model", "missing.npz"], "--model applies to --test FILE only"),
    (["--from", "doccano"], "--from applies to --test FILE only"),
    (["--test", "t.jsonl", "--update-readme"], "--update-readme applies to the full evaluation, not to --test"),
    (["--test", "t.jsonl", "--no-lodo", "--no-ablations"], "--no-ablations and --no-lodo apply to the full"),
    (["--test", "t.jsonl", "--jobs", "1"], "--jobs applies to the full evaluation"),  # --test fits no model
])
def test_evaluate_refuses_options_of_the_other_mode_before_any_work(tmp_path, capsys, extra, message):
    """User test 3: ``python evaluate.py --model other.npz`` (a file that did not even exist) ran the full
    three-minute evaluation of freshly trained models, and ``--test FILE --update-readme`` exited 0 with the
    README untouched: each option was silently ignored."""
    argv = ["evaluate", "--root", str(tmp_path), "--out", str(tmp_path / "rep"), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert not (tmp_path / "rep").exists()


def test_evaluate_and_train_help_describe_every_option():
    """User test 3: ``evaluate --help`` listed --root and --seed with no word on what they do."""
    import argparse

    for command in ("train", "evaluate", "devset"):
        sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
        bare = [a.option_strings or a.dest for a in sub._actions if not a.help and a.dest != "help"]
        assert not bare, (command, bare)


@pytest.mark.parametrize("case", ["no-ablations", "no-lodo", "no dev texts", "markers twice"])
def test_evaluate_update_readme_refuses_what_would_lose_published_results_before_evaluating(root, tmp_path, capsys,
                                                                                         case):
    """Review: on a fresh clone (no dev texts) or with --no-ablations/--no-lodo, --update-readme replaced the
    README's results with "Not measured in this run" (exit 0); bad markers gave a traceback after the whole run."""
    import shutil

    from tagger.evaluation.report import README_END, README_START

    (tmp_path / "labels").mkdir()
    shutil.copy(root / "labels" / "dev_manifest.csv", tmp_path / "labels")
    readme = tmp_path / "README.md"
    readme.write_text(f"# P\n{README_START}\npublished\n{README_END}\n", encoding="utf-8")
    argv = ["evaluate", "--root", str(tmp_path), "--out", str(tmp_path / "rep"), "--update-readme"]
    if case.startswith("no-"):
        argv.append("--" + case)
        expected = f"without --{case}"
    elif case == "no dev texts":
        expected = "dev-set texts are not on this machine"
    else:
        readme.write_text(f"# P\n{README_START}\nkeep\n{README_START}\npublished\n{README_END}\n", encoding="utf-8")
        expected = "is there 2 times, not once"
    before = readme.read_bytes()
    assert main(argv) == (1 if case == "markers twice" else 2)
    assert expected in capsys.readouterr().err
    assert readme.read_bytes() == before and not (tmp_path / "rep").exists()  # nothing evaluated, nothing written


def _disk_full_placing(monkeypatch, suffix: str) -> None:
    """Make placing a file whose name ends in ``suffix`` fail as on a full disk (os.replace, and os.link, with which
    a save to a new name places its files)."""
    def full(real):
        def move(src, dst, *args, **kwargs):
            if str(dst).endswith(suffix):
                raise OSError(28, "No space left on device", str(src), None, str(dst))
            return real(src, dst, *args, **kwargs)
        return move

    monkeypatch.setattr(os, "replace", full(os.replace))
    monkeypatch.setattr(os, "link", full(os.link))


def _outside_any_checkout(monkeypatch, tmp_path):
    """The current folder and the package are in no checkout, and there is no $TAGGER_MODEL: the old
    fallback would write into the per-user data folder (here inside tmp_path), never into a real checkout."""
    from tagger.common import paths

    monkeypatch.delenv("TAGGER_MODEL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(paths, "find_checkout", lambda start=None: None)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)


def test_train_root_without_out_writes_into_that_root(project, tmp_path, monkeypatch):
    """Review 3, finding 2: ``train --root X`` wrote the model into the package's own checkout."""
    _outside_any_checkout(monkeypatch, tmp_path)
    assert main(["-q", "train", "--root", str(project), "--no-cv", "--no-authored"]) == 0
    assert (project / "models" / "tagger.npz").is_file() and (project / "models" / "tagger.card.md").is_file()
    assert not (tmp_path / "xdg").exists()


def test_suggest_uses_the_model_of_root(project, tmp_path, monkeypatch, capsys):
    """Review 5: only train and evaluate took the default model from --root; suggest, serve, labels export and
    review quietly used the model of whatever checkout tagger was installed from."""
    _outside_any_checkout(monkeypatch, tmp_path)
    report = tmp_path / "r.txt"
    report.write_text(ELDERLY + "\n", encoding="utf-8")
    out = tmp_path / "s.csv"
    assert main(["-q", "suggest", str(report), "--root", str(project), "-o", str(out)]) == 1  # no model there yet
    err = capsys.readouterr().err
    assert str(project / "models" / "tagger.npz") in err
    assert main(["-q", "train", "--root", str(project), "--no-cv", "--no-authored"]) == 0
    assert main(["-q", "suggest", str(report), "--root", str(project), "-o", str(out)]) == 0
    assert out.is_file()


def test_evaluate_test_uses_the_model_of_root(project, cli_model, tmp_path, monkeypatch, capsys):
    _outside_any_checkout(monkeypatch, tmp_path)
    models = project / "models"
    models.mkdir()
    for name in ("tagger.npz", "tagger.manifest.json"):
        (models / name).write_bytes((Path(cli_model).parent / name).read_bytes())
    test = tmp_path / "t.jsonl"
    test.write_text(json.dumps({"text": ELDERLY, "labels": ["elderly_care", "volunteer_work"]},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["-q", "evaluate", "--test", str(test), "--root", str(project), "--out", str(tmp_path / "r"),
                 "--no-plots"]) == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "r" / "test_report.json").read_text(encoding="utf-8"))
    assert report["model"] == str(models / "tagger.npz")


def test_train_on_a_read_only_file_system_is_told_to_go_elsewhere_before_training(root, tmp_path, capsys,
                                                                                   monkeypatch):
    """relfix: python train.py --out on a read-only file system (errno EROFS) was told "choose another --out, or fix
    the folder's permissions", which no chmod can do; now: the file system is read-only, choose a path on another."""
    import errno
    import tempfile

    import tagger.training

    real_mkstemp = tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):
        if str(dir) == str(tmp_path):
            raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / ".m.npz.1.x.probe"))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(tagger.training, "load_resources", lambda *a, **k: pytest.fail("trained first"))
    out = tmp_path / "m.npz"
    assert main(["train", "--root", str(root), "--out", str(out)]) == 1
    assert capsys.readouterr().err == (f"error: {out}: cannot write a model there (Read-only file system); the file "
                                       "system there is read-only: choose another --out on a writable one\n")


def test_train_names_its_out_option_where_a_save_from_python_says_another_path(root, tmp_path, capsys, monkeypatch):
    """relfix: the library's "choose another path" (save() from Python has no --out) is said with train's option
    name when the model cannot be saved after training (a disk filled meanwhile), as before training."""
    _disk_full_placing(monkeypatch, ".npz")
    out = tmp_path / "m.npz"
    assert main(["-q", "train", "--root", str(root), "--out", str(out), "--no-authored", "--no-cv", "--jobs", "1"]) == 1
    assert capsys.readouterr().err == (f"error: {out}: cannot write the model (No space left on device); free some "
                                       "space there, or choose another --out\n")
    assert not out.exists()


@pytest.mark.parametrize("where", ["model", "manifest", "card"])
def test_train_keeps_its_model_beside_a_file_put_at_out_while_it_trained(root, tmp_path, capsys, monkeypatch, where):
    """Review: --out is checked before training (a file that is no tagger model there is refused) and again at the
    save; a file of the user's put there while the model trained (~20 s) was refused only at the save, and the fitted
    model thrown away. The file is still never replaced, but the model is saved beside it under a free name
    (m.new.npz; m.new-2.npz when that is taken), with its manifest and card, and one line of error says which file
    was refused, where the model went and how to use it (exit 1). A note put at the card's name was not checked again,
    and replaced by the card without a word."""
    import tagger
    import tagger.training

    out = tmp_path / "m.npz"
    foreign = {"model": out, "manifest": tmp_path / "m.manifest.json", "card": tmp_path / "m.card.md"}[where]
    real_train = tagger.training.train

    def train_then_a_file_appears(*args, **kwargs):
        model = real_train(*args, **kwargs)
        foreign.write_bytes(b"a file of the user's\n")
        return model

    monkeypatch.setattr(tagger.training, "train", train_then_a_file_appears)
    (tmp_path / "m.new.card.md").write_text("a note of the user's\n", encoding="utf-8")  # m.new is not free
    assert main(["-q", "train", "--root", str(root), "--out", str(out), "--no-authored", "--no-cv", "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    kept = tmp_path / "m.new-2.npz"
    refused = {"model": f"{out}: is a file that is not a tagger model (no model's settings in it, and no model "
                        "manifest m.manifest.json beside it): saving a model there would replace it",
               "manifest": f"{out}: its manifest would be written to {foreign}, a file that is not a tagger model's "
                           "manifest (no JSON object with format_version and model_sha256), which would be replaced",
               "card": f"{out}: its model card would be written to {foreign}, a file that is not a model card (it "
                       "does not begin with '# Model card: tagger'), which would be replaced"}[where]
    assert err == (f"error: {refused} — put there while the model trained, and left as it is: the model was saved as "
                   f"{kept} instead (with its manifest m.new-2.manifest.json and card m.new-2.card.md); use it with "
                   f"--model {kept} (or, if that file may go, rename the three to m.npz, m.manifest.json and "
                   "m.card.md)\n")
    assert foreign.read_bytes() == b"a file of the user's\n"
    assert (tmp_path / "m.new.card.md").read_text(encoding="utf-8") == "a note of the user's\n"
    assert tagger.load(kept).predict(["供电公司党员服务队走进敬老院,为孤寡老人检查线路。"])  # the model, whole
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == sorted(
        [foreign.name, "m.new.card.md", "m.new-2.npz", "m.new-2.manifest.json", "m.new-2.card.md"])
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock")]


def test_train_keeps_its_model_beside_a_dangling_link_put_at_its_cards_name_while_it_trained(root, tmp_path, capsys,
                                                                                               monkeypatch):
    """Review: a link to nothing put at the card's name while the model trained was refused by the check after
    training, and the fitted model thrown away. It is left as it is, and the model saved beside it (m.new.npz …)."""
    import tagger
    import tagger.training

    out, card = tmp_path / "m.npz", tmp_path / "m.card.md"
    real_train = tagger.training.train

    def train_then_a_link_appears(*args, **kwargs):
        model = real_train(*args, **kwargs)
        card.symlink_to(tmp_path / "gone.md")
        return model

    monkeypatch.setattr(tagger.training, "train", train_then_a_link_appears)
    assert main(["-q", "train", "--root", str(root), "--out", str(out), "--no-authored", "--no-cv", "--jobs", "1"]) == 1
    kept = tmp_path / "m.new.npz"
    assert capsys.readouterr().err == (
        f"error: {card}: is a link to a missing or unreachable target; choose another output path — put there while "
        f"the model trained, and left as it is: the model was saved as {kept} instead (with its manifest "
        f"m.new.manifest.json and card m.new.card.md); use it with --model {kept} (or, if that file may go, rename "
        "the three to m.npz, m.manifest.json and m.card.md)\n")
    assert card.is_symlink() and tagger.load(kept).predict(["供电公司党员服务队走进敬老院,为孤寡老人检查线路。"])


def test_train_keeps_its_model_beside_a_file_put_at_its_cards_name_as_it_saves(root, tmp_path, capsys, monkeypatch):
    """train re-checked --out after training, then renamed model, manifest and card over whatever was there by then:
    a file another program made at one of their names in between (as they were written) was replaced. It is left as
    it is, and the three are saved together beside it (m.new.npz …), one line of error saying so."""
    import tagger
    import tagger.model.persistence as persistence

    out, card = tmp_path / "m.npz", tmp_path / "m.card.md"
    real_lock = persistence._pair_lock

    def a_file_appears(path, exclusive):  # the step just before the renames
        if path == out:
            card.write_text("a note of the user's\n", encoding="utf-8")
        return real_lock(path, exclusive)

    monkeypatch.setattr(persistence, "_pair_lock", a_file_appears)
    assert main(["-q", "train", "--root", str(root), "--out", str(out), "--no-authored", "--no-cv", "--jobs", "1"]) == 1
    kept = tmp_path / "m.new.npz"
    assert capsys.readouterr().err == (
        f"error: {card}: is a file another program made — put there while the model trained, and left as it is: the "
        f"model was saved as {kept} instead (with its manifest m.new.manifest.json and card m.new.card.md); use it "
        f"with --model {kept} (or, if that file may go, rename the three to m.npz, m.manifest.json and m.card.md)\n")
    assert card.read_text(encoding="utf-8") == "a note of the user's\n"
    assert tagger.load(kept).predict(["供电公司党员服务队走进敬老院,为孤寡老人检查线路。"])
    assert (tmp_path / "m.new.card.md").read_text(encoding="utf-8").startswith("# Model card: tagger ")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == sorted(
        ["m.card.md", "m.new.npz", "m.new.manifest.json", "m.new.card.md"])


@pytest.mark.parametrize("make_out", [lambda tmp: tmp / "afile" / "m.npz", lambda tmp: Path("/proc/m.npz")])
def test_train_refuses_an_unwritable_out_before_training(root, tmp_path, capsys, monkeypatch, make_out):
    """Review 3, finding 3: found only after the whole training, and the error named a temp file."""
    import tagger.training

    (tmp_path / "afile").write_text("x", encoding="utf-8")
    out = make_out(tmp_path)
    monkeypatch.setattr(tagger.training, "load_resources", lambda *a, **k: pytest.fail("trained first"))
    assert main(["train", "--root", str(root), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"error: {out}: " in err and "choose another --out" in err and ".tmp" not in err and "Traceback" not in err
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "x"


def test_train_with_one_seed_report_skips_the_lodo_summary(project, tmp_path, capsys):
    """Review 3, finding 8: a traceback from make_folds after training, and no model saved."""
    from tagger.errors import InputError
    from tagger.evaluation.cv import make_folds

    keep = sorted((project / "seeds").glob("*.txt"))[0].stem
    for f in sorted((project / "seeds").glob("*.txt"))[1:]:
        f.unlink()
    path = project / "labels" / "seeds.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0] + "".join(x for x in lines[1:] if x.startswith(keep + ":")), encoding="utf-8")
    out = tmp_path / "m.npz"
    assert main(["train", "--root", str(project), "--out", str(out), "--no-authored", "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert "leave-one-report-out summary needs real paragraphs of at least 2 reports (found 1); skipped" in err
    assert "Traceback" not in err
    assert "cv_summary" not in json.loads(out.with_name("m.manifest.json").read_text(encoding="utf-8"))
    from tagger.training import load_resources

    with pytest.raises(InputError, match="at least 2 reports, found 1"):
        make_folds(load_resources(project, use_authored=False).examples, "lodo")


@pytest.mark.parametrize("argv, option", [
    (["train", "--out", ""], "--out"), (["train", "--root", "", "--out", "m.npz"], "--root"),
    (["evaluate", "--out="], "--out"), (["evaluate", "--test", "t.jsonl", "--out", ""], "--out"),
    (["evaluate", "--test", "t.jsonl", "--model", ""], "--model"), (["evaluate", "--test", ""], "--test"),
    (["tag", "r.txt", "-o", ""], "--output/-o"), (["tag", "r.txt", "--model", ""], "--model"),
    (["tag", "r.txt", "--encoding", ""], "--encoding"), (["tag", "r.csv", "--id-column", ""], "--id-column"),
    (["suggest", "r.txt", "--model", ""], "--model"), (["suggest", "r.txt", "-o", ""], "-o/--output"),
    (["serve", "--host", ""], "--host"), (["review", "f.jsonl", "--host", ""], "--host"),
    (["labels", "export", "f.jsonl", "--to", "doccano", "-o", ""], "-o/--output"),
    (["stats", "f.jsonl", "--html", ""], "--html"), (["devset", "export", "-o", ""], "--output/-o"),
    # review: an option of several values was left out, and --keep-columns "$UNSET" kept nothing without a word
    (["tag", "r.csv", "--keep-columns", ""], "--keep-columns"),
    (["tag", "r.csv", "--keep-columns", "city", ""], "--keep-columns"),
])
def test_an_empty_option_value_is_a_usage_error_naming_the_option(argv, option, tmp_path, monkeypatch, capsys):
    """Hunt: --out "" / --model "" (an unset shell variable) meant the default: train replaced models/tagger.npz,
    evaluate wrote its report into the current folder, --host "" served on every address. Refused now, before
    anything is read or written."""
    import tagger.training

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tagger.training, "load_resources", lambda *a, **k: pytest.fail("trained"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"argument {option}: is empty (an unset shell variable?): give a value, or leave the option out for its " \
           "default" in err
    assert not list(tmp_path.iterdir())


def test_labels_audit_with_one_seed_report_gives_advice_that_fits_it(project, capsys):
    """Hunt: tagger labels audit with one seed report said "…or skip it (train: --no-cv, evaluate: --no-lodo)",
    options of other commands (the audit is that cross-validation: it cannot be skipped)."""
    from tagger.errors import InputError
    from tagger.evaluation.cv import make_folds
    from tagger.training import load_resources

    for f in sorted((project / "seeds").glob("*.txt"))[1:]:
        f.unlink()
    keep = sorted((project / "seeds").glob("*.txt"))[0].stem
    path = project / "labels" / "seeds.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0] + "".join(x for x in lines[1:] if x.startswith(keep + ":")), encoding="utf-8")
    assert main(["labels", "audit", "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert ("error: leave-one-report-out needs real paragraphs of at least 2 reports, found 1; add seed reports "
            "(seeds/ and labels/seeds.csv)\n") in err
    assert "--no-cv" not in err and "--no-lodo" not in err and "Traceback" not in err
    examples = load_resources(project).examples
    with pytest.raises(InputError, match=re.escape("found 1; add seed reports (seeds/ and labels/seeds.csv), or skip "
                                                   "it (--no-lodo)") + "$"):
        make_folds(examples, "lodo", skip="--no-lodo")


def _fake_evaluation(monkeypatch) -> dict:
    """Replace the minutes of measuring (not what these tests test) by a run that writes an empty report; the
    returned dict gets the directory it was given (``out``)."""
    import tagger.evaluation.run as run

    seen = {}

    def fake_run(opts):
        seen["out"] = opts.out
        path = Path(opts.out) / "cv_report.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}", encoding="utf-8")
        return "# report", {"context": {"data_hash": "x", "wall_time_s": 0}}, [path]

    monkeypatch.setattr(run, "run_evaluation", fake_run)
    return seen


@pytest.mark.parametrize("test", [False, True])
@pytest.mark.parametrize("where", ["a file", "under a file", "/dev/null", "/proc/tagger-no-such/reports"])
def test_evaluate_refuses_an_out_no_report_can_be_written_in_before_any_work(project, tmp_path, monkeypatch, capsys,
                                                                               where, test):
    """Hunt: evaluate --out FILE (or /dev/null, a path under /proc), with --test too, was refused only after the
    whole evaluation (minutes), when the report was written. The folder is checked first, nothing is measured."""
    import tagger.annotation.interop as interop
    import tagger.evaluation.run as run

    monkeypatch.setattr(run, "load_resources", lambda *a, **k: pytest.fail("evaluated"))  # run_evaluation's work
    monkeypatch.setattr(interop, "read_test_file", lambda *a, **k: pytest.fail("evaluated"))  # run_test's
    afile = tmp_path / "afile.txt"
    afile.write_text("x", encoding="utf-8")
    out = {"a file": str(afile), "under a file": str(afile / "reports")}.get(where, where)
    argv = ["evaluate", "--root", str(project), "--out", out, "--no-plots"]
    argv += ["--test", str(project / "labels" / "seeds.csv")] if test else ["--no-ablations"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    if where == "/proc/tagger-no-such/reports":
        assert re.search(rf"error: {out}: cannot write there \(.+\); .*choose another --out", err), err
    else:
        inside = f"{afile} is not a folder" if where == "under a file" else "is not a folder"
        assert f"error: {out}: {inside} (a file or a device), so no report can be written in it; choose another " \
               "--out" in err
    assert afile.read_text(encoding="utf-8") == "x" and "Traceback" not in err
    assert project == tmp_path and sorted(p.name for p in tmp_path.iterdir()) == ["afile.txt", "labels", "seeds"]


def test_run_evaluation_and_run_test_check_their_folder_first(tmp_path):
    """The library's own runs, from Python, refuse an out folder no report can be written in before any work."""
    from tagger.errors import InputError
    from tagger.evaluation.run import EvalOptions, run_evaluation, run_test

    afile = tmp_path / "f"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{afile}: is not a folder (a file or a device), so no report can "
                                                   "be written in it; choose another output folder")):
        run_evaluation(EvalOptions(root=str(tmp_path / "no-project"), out=str(afile)))
    with pytest.raises(InputError, match="choose another output folder"):
        run_test(tmp_path / "no-such.jsonl", tmp_path / "no-model.npz", out=afile)


@pytest.mark.parametrize("test", [False, True])
def test_evaluate_probes_its_out_folder_once(project, tmp_path, monkeypatch, capsys, test):
    """Read-through: evaluate checked its --out folder in the CLI and again in run_evaluation (run_test): two probe
    files per run. It is checked once, by the library, before any work, and still said with --out."""
    import tagger.annotation.interop as interop
    import tagger.common.atomic as atomic
    import tagger.evaluation.run as run
    from tagger.errors import InputError

    def stop(*args, **kwargs):
        raise InputError("stopped after the check")

    monkeypatch.setattr(run, "load_resources", stop)
    monkeypatch.setattr(interop, "read_test_file", stop)
    probed = []
    real = atomic.folder_problem
    monkeypatch.setattr(atomic, "folder_problem", lambda folder, *a: probed.append(folder) or real(folder, *a))
    argv = ["evaluate", "--root", str(project), "--out", str(tmp_path / "out"), "--no-plots"]
    argv += ["--test", str(project / "labels" / "seeds.csv")] if test else ["--no-ablations"]
    assert main(argv) == 1
    assert "error: stopped after the check" in capsys.readouterr().err
    assert probed == [tmp_path / "out"]
    monkeypatch.setattr(atomic, "folder_problem", lambda folder, *a: OSError(28, "No space left on device"))
    assert main(argv) == 1
    assert capsys.readouterr().err == (f"error: {tmp_path / 'out'}: cannot write there (No space left on device); "
                                       "free some space there, or choose another --out\n")


@pytest.mark.parametrize("dev_results", [True, False])
def test_the_main_job_on_a_fresh_clone_keeps_the_published_report(root, tmp_path, monkeypatch, dev_results, capsys):
    """A new user's first run (README set-up: train, then evaluate) on a clone without the dev-set texts replaced
    the committed report and model card with ones that lack the dev-set results, and then the README's test
    command failed (the README no longer matched the report). The run's report goes to reports/local instead;
    with no dev-set results to keep, it goes to reports/ as before."""
    import json
    import shutil

    (tmp_path / "labels").mkdir()
    shutil.copy(root / "labels" / "dev_manifest.csv", tmp_path / "labels")  # texts not present: not usable
    published = tmp_path / "reports"
    published.mkdir()
    committed = json.dumps({"dev": {"micro": 0.78}} if dev_results else {"lodo": {}})
    (published / "cv_report.json").write_text(committed, encoding="utf-8")
    seen = _fake_evaluation(monkeypatch)
    assert main(["evaluate", "--root", str(tmp_path)]) == 0
    expected = published / "local" if dev_results else published
    assert Path(seen["out"]) == expected
    assert (published / "cv_report.json").read_text(encoding="utf-8") == (committed if dev_results else "{}")
    if dev_results:
        assert "its report goes to" in capsys.readouterr().err
    assert main(["evaluate", "--root", str(tmp_path), "--out", str(tmp_path / "mine")]) == 0
    assert Path(seen["out"]) == tmp_path / "mine"  # an explicit --out is where it goes


def test_commands_without_encoding_never_tell_the_user_to_pass_it(trained, tmp_path, capsys):
    """User test 4: `tagger stats` and `tagger labels import` of a file that is not UTF-8 text said "pass
    --encoding" / "--encoding utf-16", options neither command has; they say to save the file as UTF-8. `tag`,
    which has the option, still names it."""
    sheet = tmp_path / "t.csv"
    sheet.write_bytes("report,paragraph,text\nr1,r1:0,党员为老人检查线路。\n".encode("utf-16-le"))  # no mark
    labels = tmp_path / "l.csv"
    labels.write_bytes(b"id,text,labels\nr:0,\x00\x01abc,none\n")
    for argv in (["stats", str(sheet)], ["labels", "import", str(labels), "--root", str(tmp_path)]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "save the file as UTF-8" in err and "--encoding" not in err, argv
    assert main(["tag", str(sheet), "--model", str(trained)]) == 1
    assert "--encoding utf-16" in capsys.readouterr().err  # tag has the option: it is named


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_shows_on_a_terminal_that_reports_no_size(monkeypatch):
    """A user ran tagger tag in a terminal that reports its size as 0 x 0 (``script -qc``, ``docker run -t``
    before a resize, some CI and serial consoles): stderr is a terminal, yet the 12-second run showed no
    progress at all, since tqdm fits its line to the reported width of 0 columns. Such a terminal gets the
    usual 80 columns."""
    import select

    from tagger.common.progress import counted_progress, progress_bar

    master, slave = os.openpty()
    try:
        assert os.get_terminal_size(slave).columns == 0
        stream = open(slave, "w", encoding="utf-8", closefd=False)
        monkeypatch.setattr(sys, "stderr", stream)
        monkeypatch.delenv("CI", raising=False)
        for _ in progress_bar(range(3), "fits"):
            pass
        # user test: tag's bar counted "chunks" ("120it"): it counts the reports each chunk holds
        for _ in counted_progress([["a", "b"], ["c"], ["d", "e", "f"]], "tagging", "report", len):
            time.sleep(0.12)  # past tqdm's refresh interval, so the count is drawn
        stream.flush()
        shown = ""
        while select.select([master], [], [], 1)[0]:  # nothing written: nothing to read (no hang)
            shown += os.read(master, 65536).decode("utf-8", "replace")
    finally:
        os.close(slave)
        os.close(master)
    assert "fits" in shown and "tagging: 6 reports" in shown


@pytest.mark.parametrize("enabled", [False, None, True])
@pytest.mark.parametrize("loop", ["progress_bar", "counted_progress"])
def test_each_item_of_a_progress_loop_is_a_point_where_the_job_may_stop(monkeypatch, loop, enabled):
    """A job's progress loop (tag's chunks, the lines of a file read, cross-validation's fits) is where it stops for a
    signal Python dropped (tagger.apps.outcome.act_on_dropped): each item, once handled, is a checkpoint — with a bar,
    with logged lines, and quiet alike; a generator given is closed as the loop stops."""
    import io

    from tagger.common import progress
    from tagger.common.signals import at_checkpoints

    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal: logged lines (enabled None); a bar: True
    handled, closed = [], []

    def source():
        try:
            yield from (["a", "b"], ["c"], ["d"], ["e"])
        finally:
            closed.append(True)

    def stop():
        if len(handled) == 2:
            raise KeyboardInterrupt

    items = (progress.progress_bar(source(), "reading", enabled=enabled) if loop == "progress_bar" else
             progress.counted_progress(source(), "tagging", "report", len, enabled=enabled))
    with at_checkpoints(stop), pytest.raises(KeyboardInterrupt):
        for item in items:
            handled.append(item)
    assert handled == [["a", "b"], ["c"]]
    if enabled is not True:  # a bar's loop leaves its iterable to the caller, as it did
        assert closed == [True]


@pytest.mark.parametrize("present, expected", [(1, "local"), (2, "published")])
def test_a_dev_set_only_partly_here_keeps_the_published_report(tmp_path, monkeypatch, capsys, present, expected):
    """A machine where only some dev texts were found again (89 of the 146 reports the committed report measured)
    replaced the committed report with one measured on fewer reports, while the README kept quoting the larger
    measurement. A run that measures fewer dev paragraphs than the committed report goes to reports/local; as many
    or more, to reports/ as before."""
    import hashlib
    import json

    texts = {"real_a": "党员服务队为孤寡老人义务检查线路。", "real_b": "供电所为企业开辟绿色通道，三天接电。"}
    (tmp_path / "labels").mkdir()
    rows = ["doc,index,sha256,length,kind,labels"] + [
        f"{doc},0,{hashlib.sha256(t.encode()).hexdigest()},{len(t)},body,none" for doc, t in texts.items()]
    (tmp_path / "labels" / "dev_manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    raw = tmp_path / "data" / "real" / "raw"
    raw.mkdir(parents=True)
    for doc in list(texts)[:present]:
        (raw / f"{doc}.txt").write_text(texts[doc] + "\n", encoding="utf-8")
    published = tmp_path / "reports"
    published.mkdir()
    committed = json.dumps({"dev": {"runs": [{"metrics": {"n": 2}}]}})
    (published / "cv_report.json").write_text(committed, encoding="utf-8")
    seen = _fake_evaluation(monkeypatch)
    assert main(["evaluate", "--root", str(tmp_path)]) == 0
    assert Path(seen["out"]) == (published / "local" if expected == "local" else published)
    if expected == "local":
        assert (published / "cv_report.json").read_text(encoding="utf-8") == committed
        assert "1 of the 2 dev paragraphs the committed report measured" in capsys.readouterr().err


def _dev_set_partly_here(root: Path) -> tuple[Path, str, Path]:
    """A checkout whose committed report measured 2 dev paragraphs, with the text of only 1 here, and a README with
    published results: its reports folder, the committed report's JSON and the README."""
    import hashlib
    import json

    from tagger.evaluation.report import README_END, README_START

    texts = {"real_a": "党员服务队为孤寡老人义务检查线路。", "real_b": "供电所为企业开辟绿色通道，三天接电。"}
    (root / "labels").mkdir(parents=True)
    rows = ["doc,index,sha256,length,kind,labels"] + [
        f"{doc},0,{hashlib.sha256(t.encode()).hexdigest()},{len(t)},body,none" for doc, t in texts.items()]
    (root / "labels" / "dev_manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    raw = root / "data" / "real" / "raw"
    raw.mkdir(parents=True)
    (raw / "real_a.txt").write_text(texts["real_a"] + "\n", encoding="utf-8")  # 1 of the 2 measured
    published = root / "reports"
    published.mkdir()
    committed = json.dumps({"dev": {"runs": [{"metrics": {"n": 2}}]}})
    (published / "cv_report.json").write_text(committed, encoding="utf-8")
    readme = root / "README.md"
    readme.write_text(f"# P\n{README_START}\npublished\n{README_END}\n", encoding="utf-8")
    return published, committed, readme


@pytest.mark.parametrize("out", [None, "reports"])
def test_update_readme_with_the_dev_set_partly_here_publishes_everywhere_or_nowhere(tmp_path, monkeypatch, capsys, out):
    """On a machine where only some dev texts were found again, evaluate --update-readme wrote its report to
    reports/local (the committed report and the model card kept the larger measurement) but replaced the README's
    results with the smaller one: README and report disagreed. It is refused before any work, saying how to publish
    the smaller measurement in all three (--out reports), which then goes to reports/ as the README does."""
    published, committed, readme = _dev_set_partly_here(tmp_path)
    seen = _fake_evaluation(monkeypatch)
    import tagger.evaluation.run as run

    fake = run.run_evaluation

    def with_results(opts):  # a report with the sections README quotes
        _, payload, paths = fake(opts)
        return "# report\n\n## Real dev set\n\nmeasured here\n\n## Details\n", payload, paths

    monkeypatch.setattr(run, "run_evaluation", with_results)
    argv = ["evaluate", "--root", str(tmp_path), "--update-readme"] + (["--out", str(published)] if out else [])
    if out is None:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "holds 1 of the 2 dev paragraphs the committed report measured" in err and f"add --out {published}" in err
        assert not seen and "published" in readme.read_text(encoding="utf-8")
        assert (published / "cv_report.json").read_text(encoding="utf-8") == committed
    else:
        assert main(argv) == 0
        assert Path(seen["out"]) == published and "measured here" in readme.read_text(encoding="utf-8")


@pytest.mark.parametrize("out", ["elsewhere", "reports/local", "reports, from another folder"])
def test_update_readme_with_the_dev_set_partly_here_and_out_elsewhere_is_refused(tmp_path, monkeypatch, capsys, out):
    """Review: the refusal above looked at --out missing only. evaluate --update-readme --out DIR (DIR not the
    checkout's reports/: another folder, reports/local itself, or `--out reports` as the refusal advised, run with
    --root from another folder) still put the smaller measurement in the README while the committed report and the
    model card kept the larger one. It is refused the same way, naming --out as the checkout's reports/."""
    root = tmp_path / "checkout"
    published, committed, readme = _dev_set_partly_here(root)
    seen = _fake_evaluation(monkeypatch)
    given = {"elsewhere": str(tmp_path / "elsewhere"), "reports/local": str(published / "local"),
             "reports, from another folder": "reports"}[out]
    monkeypatch.chdir(tmp_path)  # not the checkout: a relative --out reports is tmp_path/reports
    assert main(["evaluate", "--root", str(root), "--update-readme", "--out", given]) == 2
    err = capsys.readouterr().err
    assert "holds 1 of the 2 dev paragraphs the committed report measured" in err and f"--out {published}" in err
    assert not seen and "published" in readme.read_text(encoding="utf-8")
    assert (published / "cv_report.json").read_text(encoding="utf-8") == committed


BIG = "9" * 5000  # more digits than Python turns into an int (4300): json.loads raised a plain ValueError


def _big_number_case(name: str, tmp_path: Path, model: str) -> tuple[list[str], str]:
    """A command given JSON with a 5000-digit number in its second row, and the error line it must print."""
    text = "为老旧小区加装电梯接电。"
    if name in ("tag", "suggest"):
        table = tmp_path / "in.jsonl"
        table.write_text(f'{{"id": "a", "text": "{ELDERLY}"}}\n{{"id": "b", "text": "{text}", "n": {BIG}}}\n',
                         encoding="utf-8")
        out = tmp_path / ("out.csv" if name == "suggest" else "out.jsonl")
        return [name, str(table), "--model", model, "-o", str(out)], f"{table}:2: not valid JSON (a number of 5000 digits)"
    if name in ("stats", "review", "labels_export"):
        report = tmp_path / "r.txt"
        report.write_text(f"{ELDERLY}\n{text}\n", encoding="utf-8")
        tagged = tmp_path / "tagged.jsonl"
        assert main(["-q", "tag", str(report), "--model", model, "-o", str(tagged), "--review", "1"]) == 0
        lines = tagged.read_text(encoding="utf-8").splitlines()
        lines[1] = lines[1][:-1] + f', "n": {BIG}}}'
        tagged.write_text("\n".join(lines) + "\n", encoding="utf-8")
        argv = {"stats": ["stats", str(tagged)], "review": ["review", str(tagged), "--export", "--root", str(tmp_path)],
                "labels_export": ["labels", "export", str(tagged), "--to", "doccano", "-o", str(tmp_path / "x.jsonl")]}
        return argv[name], f"{tagged}:2: not valid JSON (a number of 5000 digits)"
    if name in ("import_doccano", "evaluate_doccano"):
        path = tmp_path / "doccano.jsonl"
        path.write_text(f'{{"id": 1, "text": "{ELDERLY}", "label": ["elderly_care"]}}\n'
                        f'{{"id": {BIG}, "text": "{text}", "label": ["elevator_power_hookup"]}}\n', encoding="utf-8")
        where = f"{path}:2: not valid JSON (a number of 5000 digits)"
    else:
        path = tmp_path / "labelstudio.json"
        path.write_text(f'[{{"id": 1, "data": {{"text": "{ELDERLY}"}}, "annotations": []}},\n'
                        f' {{"id": {BIG}, "data": {{"text": "{text}"}}, "annotations": []}}]\n', encoding="utf-8")
        where = f"{path}: not valid JSON (a number of 5000 digits)"
    if name.startswith("import"):
        return ["labels", "import", str(path), "--root", str(tmp_path), "--dry-run"], where
    return ["evaluate", "--test", str(path), "--model", model, "--out", str(tmp_path / "r"), "--no-plots"], where


@pytest.mark.parametrize("name", ["tag", "suggest", "stats", "review", "labels_export", "import_doccano",
                                  "import_labelstudio", "evaluate_doccano", "evaluate_labelstudio"])
def test_a_json_number_too_long_for_python_is_a_bad_row_not_a_traceback(cli_model, tmp_path, capsys, name):
    """Adversarial test: a JSON number of more than 4300 digits in any JSON or JSONL input escaped every command
    as a traceback ("Exceeds the limit (4300 digits) for integer string conversion"): json.loads raises a plain
    ValueError for it, and the readers caught only json.JSONDecodeError. It is a row that is not valid JSON."""
    argv, message = _big_number_case(name, tmp_path, cli_model)
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "4300" not in err, err
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "out.csv").exists()


def test_tag_skips_a_row_with_a_number_too_long_for_python(cli_model, tmp_path, capsys):
    """... and tag --on-error skip skips that row as any other bad row: the others tagged, exit 3."""
    argv, message = _big_number_case("tag", tmp_path, cli_model)
    assert main([*argv, "--on-error", "skip"]) == 3
    assert f"skipped {message}" in capsys.readouterr().err
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["report"] for r in rows if r["row_type"] == "paragraph"] == ["in:1"]


@pytest.mark.parametrize("command", ["import", "evaluate"])
@pytest.mark.parametrize("content", ["[" * 50_000 + "]" * 50_000, "[{\"data\": " + "[" * 50_000 + "]" * 50_000 + "}]"])
def test_json_nested_too_deeply_is_an_error_not_a_recursion_error(cli_model, tmp_path, capsys, command, content):
    """Adversarial test: a .json file of 50,000 '[' then as many ']' made labels import --dry-run and evaluate --test
    crash with RecursionError while telling which tool wrote it; it is a file that is not valid JSON, as the
    JSONL readers say."""
    path = tmp_path / "deep.json"
    path.write_text(content, encoding="utf-8")
    argv = (["labels", "import", str(path), "--root", str(tmp_path), "--dry-run"] if command == "import" else
            ["evaluate", "--test", str(path), "--model", cli_model, "--out", str(tmp_path / "r")])
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"error: {path}: not valid JSON (nested too deeply)" in err and "Traceback" not in err, err
    assert not (tmp_path / "r").exists()


def test_the_parser_main_reuses_keeps_no_state_between_runs():
    """main() parses with one parser per process (building ~15 subcommand parsers took a fifth of a short run's time
    in the test suite): an option given in one run (an appended --by, a flag) must not leak into the next."""
    from tagger.apps.cli import _parser

    assert _parser() is _parser()
    first = _parser().parse_args(["stats", "t.jsonl", "--by", "company", "--by", "month", "--force"])
    second = _parser().parse_args(["stats", "t.jsonl"])
    assert first.by == ["company", "month"] and first.force
    assert second.by is None and not second.force
    assert vars(_parser().parse_args(["tag", "a.txt"])) == vars(build_parser().parse_args(["tag", "a.txt"]))


_CTRL_C_WHILE_IMPORTING = (
    "import sys\n"
    "class CtrlC:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'tagger.apps.cli':\n"
    "            raise KeyboardInterrupt\n"
    "sys.meta_path.insert(0, CtrlC())\n")


def test_ctrl_c_while_the_cli_is_imported_exits_130_quietly(monkeypatch, capsys):
    """A Ctrl-C in the first ~0.2 s of any command (while the CLI's modules were imported, before its handlers were
    in place) printed a KeyboardInterrupt traceback from inside an import and ended the process killed by SIGINT
    (-2): the entry point imports the CLI inside its own Ctrl-C handling now."""
    import os
    import sys

    from tagger.apps import entry

    class CtrlC:
        def find_spec(self, name, path=None, target=None):
            if name == "tagger.apps.cli":
                raise KeyboardInterrupt

    def exit_(code):
        raise SystemExit(code)

    monkeypatch.delitem(sys.modules, "tagger.apps.cli")
    monkeypatch.setattr(sys, "meta_path", [CtrlC(), *sys.meta_path])
    monkeypatch.setattr(os, "_exit", exit_)
    with pytest.raises(SystemExit) as stopped:
        entry.main(["--version"])
    assert stopped.value.code == 130 and capsys.readouterr().err == "interrupted\n"


@pytest.mark.parametrize("how", ["python -m tagger", "train.py", "evaluate.py"])
def test_ctrl_c_while_starting_python_m_tagger_or_train_py_exits_130_quietly(root, how):
    import subprocess
    import sys

    run = ("import runpy; runpy.run_module('tagger', run_name='__main__')" if how == "python -m tagger" else
           f"import runpy; runpy.run_path({str(root / how)!r}, run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", _CTRL_C_WHILE_IMPORTING + run], capture_output=True, timeout=120,
                          cwd=root)
    assert (proc.returncode, proc.stderr) == (130, b"interrupted\n")


def test_an_output_folder_that_is_a_dangling_link_is_named_as_one(tmp_path):
    """Review: evaluate --out LINK, LINK pointing nowhere, was refused as "is not a folder (a file or a device)"."""
    from tagger.common.atomic import check_output_folder
    from tagger.errors import InputError

    link = tmp_path / "dang"
    link.symlink_to(tmp_path / "nowhere")
    for folder in (link, link / "sub"):
        with pytest.raises(InputError, match=re.escape(f"(a link to {tmp_path / 'nowhere'}, which does not exist)")):
            check_output_folder(folder)


def test_an_output_folder_under_a_folder_that_cannot_be_entered_gets_advice(tmp_path, monkeypatch):
    """Read-through: on Python 3.11 Path.exists() raises PermissionError under a folder that cannot be entered, and
    check_output_folder let it out bare ('Permission denied', no advice) instead of its InputError."""
    import errno
    from pathlib import Path

    from tagger.common.atomic import check_output_folder
    from tagger.errors import InputError

    closed = tmp_path / "closed"
    real_exists = Path.exists

    def exists(self, *args, **kwargs):
        if closed in (self, *self.parents) and self != closed:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_exists(self, *args, **kwargs)

    monkeypatch.setattr(Path, "exists", exists)
    with pytest.raises(InputError, match=re.escape("cannot write there (Permission denied)")):
        check_output_folder(closed / "inner" / "out")


def test_a_long_job_logs_its_progress_where_no_bar_can_show(monkeypatch):
    """User test: train.py under nohup (stderr a file) said nothing for the whole 19-hour cross-validation: the bar
    shows on a terminal only. Off a terminal a long job logs a line now and then: done, time taken, time left; a
    job that ends quickly logs nothing, and --quiet (enabled=False) nothing either."""
    import logging
    import types

    import tagger.common.progress as progress

    clock = iter(range(0, 10_000, 20))  # each item 20 s after the one before
    monkeypatch.setattr(progress, "time", types.SimpleNamespace(monotonic=lambda: next(clock)))
    monkeypatch.setattr(sys, "stderr", open(os.devnull, "w"))  # not a terminal
    said: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage())
    logger = logging.getLogger("tagger.progress")
    logger.addHandler(handler)
    monkeypatch.setattr(logger, "level", logging.INFO)
    try:
        assert list(progress.progress_bar(range(15), "lodo cross-validation", total=15, unit="fits")) == list(range(15))
        first = len(said)
        assert list(progress.progress_bar(range(15), "quiet", total=15, enabled=False)) == list(range(15))
    finally:
        logger.removeHandler(handler)
        sys.stderr.close()
    assert first == len(said)  # --quiet: no line
    # the first line once 30 s have passed, with an estimate; then one each tenth of the fits, 30 s apart at least
    assert said[0] == "lodo cross-validation: 2/15 fits done in 40 s, about 4 min 20 s left"
    assert said[1] == "lodo cross-validation: 4/15 fits done in 1 min 20 s, about 3 min 40 s left"
    assert said[-1] == "lodo cross-validation: 14/15 fits done in 4 min 40 s, about 20 s left"
    assert len(said) == 7


def test_train_groups_many_imported_reports_and_says_what_the_cv_costs(project, tmp_path, capsys):
    """User test: after importing 2,190 reports, train.py logged "now the leave-one-report-out cross-validation on
    the 2194 real reports (a fit each; --no-cv skips it)" and ran 19–30 hours. Beyond IMPORTED_FOLDS imported reports
    they are grouped in that many folds; train says the plan and its cost (fits, time) up front, and names the grouped
    folds truthfully on its line, in the manifest and on the card."""
    from tagger.evaluation.cv import IMPORTED_FOLDS

    texts = [("党员志愿者走进敬老院为孤寡老人义务检查线路", ["elderly_care", "volunteer_work"]),
             ("供电所为老旧小区实施一户一表改造，更换老化表箱", ["old_neighbourhood_retrofit"]),
             ("为新建厂房开辟绿色通道，三天完成接电", ["business_connection_speed"]),
             ("公司召开党委会议，部署下一阶段工作", [])]
    n = IMPORTED_FOLDS + 2
    with open(project / "labels" / "imported.jsonl", "w", encoding="utf-8") as fh:
        for d in range(n):
            text, labels = texts[d % len(texts)]
            fh.write(json.dumps({"id": f"imp{d:02d}:0", "doc": f"imp{d:02d}", "text": f"{text}（第{d + 1}批）。",
                                 "labels": labels, "source": "imported", "index": 0}, ensure_ascii=False) + "\n")
    out = tmp_path / "m.npz"
    capsys.readouterr()
    assert main(["train", "--root", str(project), "--out", str(out), "--no-authored", "--jobs", "1"]) == 0
    printed, said = capsys.readouterr()
    assert (f"now the cross-validation, leave-one-report-out on the 5 seed reports and grouped {IMPORTED_FOLDS}-fold "
            f"over the {n} imported reports: {5 + IMPORTED_FOLDS} fits, each about as long as this training (at "
            "least ") in said
    assert "on 1 process, more on a busy machine; --no-cv skips it)" in said
    assert "leave-one-report-out cross-validation on the" not in said
    imported = json.loads(out.with_name("m.manifest.json").read_text(encoding="utf-8"))["cv_imported_summary"]
    assert (imported["reports"], imported["folds"], imported["paragraphs"]) == (n, IMPORTED_FOLDS, n)
    assert imported["scheme"] == (f"grouped {IMPORTED_FOLDS}-fold over the {n} imported reports (real, reviewed: "
                                  "labels/imported.jsonl)")
    assert f"imported grouped {IMPORTED_FOLDS}-fold CV (real, reviewed): micro-F1 " in printed
    assert "imported LODO" not in printed and "seed LODO CV: micro-F1 " in printed  # the seed reports: one fold each
    assert f"Measured while training: {imported['scheme']}, " in out.with_name("m.card.md").read_text(encoding="utf-8")


def test_no_cv_help_says_it_skips_the_imported_cv_too():
    """--no-cv's help said "skip the seed LODO summary": it skips the imported reports' folds too, the costly part."""
    from tagger.evaluation.cv import IMPORTED_FOLDS

    helps = {a.dest: a.help for a in _subparser("train")._actions}
    assert "imported" in helps["no_cv"] and f"up to {IMPORTED_FOLDS}" in helps["no_cv"]
    assert f"up to {IMPORTED_FOLDS} folds" in {a.dest: a.help for a in _subparser("evaluate")._actions}["no_lodo"]


def _subparser(name: str):
    import argparse

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]
