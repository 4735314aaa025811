"""Standing adversarial suite: generated hostile and unlucky inputs through ``tagger tag``, and faults
injected into tag, train and label import — the invariants below must hold for every case.

Invariants (printed with the case count at the end of the test run, see ``conftest.py``):

1. the exit code is 0 (done), 1 (a named error), 2 (usage) or 3 (done, bad inputs skipped);
2. nothing prints a traceback; an error exit prints one ``error:`` line naming the input or option;
3. a failed run leaves no output file and keeps a previous one byte for byte; a finished run leaves a
   complete output that parses, with valid labels, scores in [0, 1], text without lone surrogates or
   (in terminal tables) raw control characters;
4. no debris: no temp file is left beside the output, no worker process outlives the run;
5. a run killed at any moment (SIGKILL) leaves the previous model / label / output files intact and
   loadable, and the next run cleans up the killed one's temp files; SIGTERM cleans up at once;
6. a full disk (a file-size limit) is an ``error:`` with nothing half-written.

``TAGGER_ADVERSARIAL_CASES`` sets the number of generated cases, here and in test_adversarial_entries.py together
(10,000 by default; ``pytest --slow``
runs 50,000).
"""

import codecs
import contextlib
import csv
import io
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagger.apps.cli import main
from tagger.labels import LABELS

from conftest import ADVERSARIAL
from helpers import HOSTILE, SENTENCES, tagger_command

CASES = int(os.environ.get("TAGGER_ADVERSARIAL_CASES", "0")) or (50_000 if ADVERSARIAL["slow"] else 10_000)
SCALE = CASES / 10_000  # 1 by default, 5 with --slow
ENTRY_CASES = tuple(max(20, int(n * SCALE)) for n in (250, 250, 450, 150))
"""Generated cases of tests/test_adversarial_entries.py (tag xlsx/sqlite/review, stats, labels import, export)."""
TAG_CASES = max(CASES - sum(ENTRY_CASES), 100)
"""Generated ``tagger tag`` runs here: with the entry points', CASES in all."""
INVARIANTS = ("exit code 0/1/2/3", "no traceback; errors name the input or option",
              "failed run: no output, previous output intact; finished run: complete, parsable, valid output",
              "no temp file left, no worker left", "SIGKILL: previous files intact, next run cleans up; SIGTERM: clean",
              "full disk: an error, nothing half-written")

_SURROGATE = re.compile("[\ud800-\udfff]")
HUGE = "<huge>"  # stands for a 144,000-character report (made when the case runs: failing examples stay short)
paragraph = st.lists(st.one_of(st.sampled_from(SENTENCES), st.sampled_from(HOSTILE),
                               st.text(max_size=40)), min_size=0, max_size=5).map("".join)
report = st.lists(paragraph, min_size=0, max_size=6).map("\n".join)


def _encode(text: str, encoding: str) -> bytes:
    text = text.replace(HUGE, "党员为孤寡老人检查线路。" * 12_000)
    if encoding == "utf-16":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le", "surrogatepass")
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")


@st.composite
def cases(draw):
    fmt = draw(st.sampled_from(["txt", "jsonl", "csv", "stdin", "stdin-jsonl"]))
    texts = draw(st.lists(report, min_size=1, max_size=3))
    if draw(st.integers(0, 199)) == 0:  # rarely: one report longer than csv's default field limit (131,072)
        texts[0] = HUGE
    if fmt in ("txt", "stdin"):
        data = _encode(texts[0], draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"])))
    elif fmt in ("jsonl", "stdin-jsonl"):
        lines = [json.dumps({"id": f"r{i}", "text": t.replace(HUGE, "党员为孤寡老人检查线路。" * 12_000)})
                 for i, t in enumerate(texts)]  # \ud800 escapes survive
        if draw(st.booleans()):
            lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(['{"id": 1', "[1, 2]", '{"id": "x"}',
                                                                                  '{"text": 5}', ""])))
        data = "\n".join(lines).encode("utf-8")
    else:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["id", "text"])
        writer.writerows([[f"r{i}", t.replace(HUGE, "党员为孤寡老人检查线路。" * 12_000).encode("utf-8", "replace").decode("utf-8")]
                          for i, t in enumerate(texts)])
        data = buf.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])), "replace")
    if data and draw(st.integers(0, 5)) == 0:  # cut at a random byte
        data = data[:draw(st.integers(0, len(data) - 1))]
    out = draw(st.sampled_from(["out.jsonl", "out.csv", "out.parquet", "-"]))
    return {"fmt": fmt, "data": data, "out": out, "on_error": draw(st.sampled_from(["fail", "skip"])),
            "previous": draw(st.booleans())}


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)
        self.closed = False


def _check_rows(rows: list[dict]) -> None:
    for row in rows:
        if row.get("row_type", "paragraph") != "paragraph":
            continue
        assert set(row["labels"]) <= set(LABELS)
        assert all(0.0 <= float(row[f"score_{lab}"]) <= 1.0 for lab in LABELS)
        assert not _SURROGATE.search(row["text"])  # a regex, not a loop over 144,000-character texts


def _parse_output(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if path.suffix == ".csv":
        csv.field_size_limit(2**31 - 1)
        rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
        for r in rows:
            r["labels"] = [x for x in r["labels"].split(";") if x]
        return rows
    import pandas as pd

    return [{**r, "labels": list(r["labels"])} for r in pd.read_parquet(path).to_dict("records")]


def _run_case(case: dict, model_path: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        argv = ["tag", "--model", model_path, "--on-error", case["on_error"]]
        stdin = None
        if case["fmt"].startswith("stdin"):
            stdin = _Stdin(case["data"])
            argv += ["-"] + (["--input-format", "jsonl"] if case["fmt"] == "stdin-jsonl" else [])
        else:
            src = tmp / f"in.{case['fmt']}"
            src.write_bytes(case["data"])
            argv.append(str(src))
        out = None
        if case["out"] != "-":
            out = tmp / case["out"]
            argv += ["-o", str(out), "--force"]
            if case["previous"]:
                out.write_bytes(b"previous")
        before = set(os.listdir(tmp))
        err, stdout = io.StringIO(), io.StringIO()
        with mock.patch.object(sys, "stdin", stdin or _Stdin(b"")), contextlib.redirect_stderr(err), \
                contextlib.redirect_stdout(stdout):
            code = main(argv)
        err = err.getvalue()
        assert code in (0, 1, 2, 3), (code, err)  # 1
        assert "Traceback" not in err, err  # 2
        if code in (1, 2):
            assert err.startswith("error: ") or "\nerror: " in err, err
            if out is not None:  # 3: nothing written, a previous file kept
                assert out.exists() == case["previous"] and (not case["previous"] or out.read_bytes() == b"previous")
        else:
            if out is not None:
                _check_rows(_parse_output(out))
            else:
                assert not any(ch in stdout.getvalue() for ch in "\x00\x1b\u202e\u2028"), stdout.getvalue()[:200]
        assert set(os.listdir(tmp)) <= before | ({out.name} if out else set()), os.listdir(tmp)  # 4
    return code


def test_generated_inputs_keep_the_invariants(cli_model, seed_model):
    from tagger.model import persistence

    outcomes: dict[int, int] = {}

    @settings(max_examples=TAG_CASES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(cases())
    def run(case):
        code = _run_case(case, cli_model)
        outcomes[code] = outcomes.get(code, 0) + 1

    with mock.patch.object(persistence, "load_model", lambda path=None: seed_model):  # loaded once, not per case
        run()
    ADVERSARIAL["cases"] += sum(outcomes.values())
    ADVERSARIAL["entries"]["tag"] = ADVERSARIAL["entries"].get("tag", 0) + sum(outcomes.values())
    for code, n in outcomes.items():
        ADVERSARIAL["outcomes"][code] = ADVERSARIAL["outcomes"].get(code, 0) + n
    assert sum(outcomes.values()) >= min(TAG_CASES, 100) and outcomes.get(0) and outcomes.get(1)


# --------------------------------------------------------------------------- fault injection
def _corpus(path: Path, reports: int = 3000) -> Path:
    rng = random.Random(0)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(reports):
            fh.write(json.dumps({"id": f"r{i}", "text": "\n".join(rng.sample(SENTENCES, 4))}, ensure_ascii=False) + "\n")
    return path


@pytest.mark.parametrize("seed", range(4))
def test_sigkill_at_a_random_moment_of_tag_keeps_the_previous_output(cli_model, tmp_path, seed):
    src = _corpus(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    proc = subprocess.Popen(tagger_command("tag", str(src), "--model", cli_model, "-o", str(out), "--force"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.Random(seed).uniform(0.3, 2.5))
    proc.kill()
    proc.wait(30)
    text = out.read_text(encoding="utf-8")
    assert text == "previous\n" or len(text.splitlines()) == 12_000  # old or complete, never half
    ADVERSARIAL["faults"] += 1
    # the next run removes the killed run's temp file and leaves none of its own
    assert subprocess.run(tagger_command("tag", str(src), "--model", cli_model, "-o", str(out), "--force"),
                          timeout=300).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


@pytest.mark.parametrize("signum,seed", [(signal.SIGTERM, 0), (signal.SIGTERM, 1), (signal.SIGTERM, 2),
                                         (signal.SIGHUP, 0), (signal.SIGHUP, 1)])
def test_sigterm_at_a_random_moment_of_tag_cleans_up(cli_model, tmp_path, signum, seed):
    """SIGTERM, and SIGHUP (a closed terminal or SSH session: the bad-input test found it left a full-size hidden
    temp file beside the output), unwind the run: no temp file, no worker left, exit 128 + the signal."""
    src = _corpus(tmp_path / "in.jsonl", reports=12_000)  # a run of several seconds: the signal lands mid-run
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(tagger_command("tag", str(src), "--model", cli_model, "-o", str(out), "--jobs", "2"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(random.Random(seed).uniform(0.5, 2.0))
    children = _children(proc.pid)
    proc.send_signal(signum)
    err = proc.communicate(timeout=60)[1].decode()
    # 143: the CLI's handler unwound the run; -SIGTERM: the signal came while Python was still starting (a
    # loaded machine), before the handler existed, so the default action ended a process that had done
    # nothing yet — then it must have written nothing either (checked below)
    # A signal that lands after the output was committed (the "wrote" line logged) finds the run done: the file
    # is complete, whatever the exit status says.
    committed = "wrote" in err
    assert proc.returncode in (0, 128 + signum, -signum) and "Traceback" not in err
    assert proc.returncode != -signum or err == "" or committed
    assert sorted(p.name for p in tmp_path.iterdir()) == (["in.jsonl", "out.jsonl"] if proc.returncode == 0 or committed
                                                          else ["in.jsonl"]), (proc.returncode, err[-600:])
    if committed:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert len({r["report"] for r in rows}) == 12_000
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in children)
    ADVERSARIAL["faults"] += 1


def test_a_run_started_with_nohup_goes_on_when_the_terminal_closes(cli_model, tmp_path):
    """Review: the SIGHUP handler replaced the 'ignore' that nohup (or a parent) hands down, so `nohup tagger tag …
    &` ended with 129 and no output when the user logged out. An ignored SIGHUP stays ignored."""
    src = _corpus(tmp_path / "in.jsonl", reports=12_000)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(tagger_command("tag", str(src), "--model", cli_model, "-o", str(out)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    time.sleep(1.5)
    proc.send_signal(signal.SIGHUP)
    err = proc.communicate(timeout=300)[1].decode()
    assert proc.returncode == 0, err[-600:]
    assert len({json.loads(line)["report"] for line in out.read_text(encoding="utf-8").splitlines()}) == 12_000


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigkill_during_label_import_keeps_the_label_file(project, tmp_path):
    from tagger.annotation.labelfiles import import_rows
    from tagger.data.examples import IMPORTED_FILE, text_sha

    first = [{"id": "new:0", "report": "new", "text": "为孤寡老人免费检查线路。", "text_sha": text_sha("为孤寡老人免费检查线路。"),
              "labels": "elderly_care"}]
    import_rows(first, project)
    before = (project / IMPORTED_FILE).read_bytes()
    rows = [{"id": f"big:{i}", "report": "big", "text": f"第{i}段:为老旧小区实施一户一表改造。",
             "text_sha": text_sha(f"第{i}段:为老旧小区实施一户一表改造。"), "labels": "old_neighbourhood_retrofit"}
            for i in range(20_000)]
    job = tmp_path / "rows.json"
    job.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    code = ("import json, sys\nfrom tagger.annotation.labelfiles import import_rows\n"
            f"import_rows(json.load(open({str(job)!r}, encoding='utf-8')), {str(project)!r})\n")
    for delay in (0.4, 0.9, 1.6):
        proc = subprocess.Popen([sys.executable, "-c", code])
        time.sleep(delay)
        proc.kill()
        proc.wait(30)
        after = (project / IMPORTED_FILE).read_bytes()
        assert after == before or after.startswith(before)  # the old file, or the whole new one
        [json.loads(line) for line in after.decode("utf-8").splitlines()]  # and it parses
        ADVERSARIAL["faults"] += 1


def test_a_full_disk_is_an_error_with_nothing_half_written(cli_model, tmp_path):
    src = _corpus(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")

    def limit() -> None:  # writes beyond 64 KiB fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    proc = subprocess.run(tagger_command("tag", str(src), "--model", cli_model, "-o", str(out), "--force"),
                          capture_output=True, text=True, preexec_fn=limit, timeout=300)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]
    ADVERSARIAL["faults"] += 1


# --------------------------------------------------------------------------- a signal during the commit
def test_signals_held_acts_on_a_signal_when_the_block_ends(python_ctrl_c):
    from tagger.common.signals import signals_held

    seen = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        with signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            assert seen == []  # held
        assert seen == [signal.SIGTERM]  # acted on as the block ended, by the handler in force before
        with pytest.raises(KeyboardInterrupt), signals_held():
            os.kill(os.getpid(), signal.SIGINT)  # Python's own Ctrl-C handler, after the block
        with signals_held():
            pass
        assert seen == [signal.SIGTERM] and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGTERM, previous)


def _replace_then_signal(out: Path, signum: int):
    """An ``os.replace`` that sends ``signum`` to this process right after it renamed a file onto ``out``."""
    real_replace = os.replace

    def replace(a, b):
        real_replace(a, b)
        if Path(b) == out:
            os.kill(os.getpid(), signum)
            time.sleep(0.05)  # the handler runs now, in the middle of the commit

    return replace


@pytest.mark.parametrize("review, signum", [(False, signal.SIGTERM), (True, signal.SIGTERM), (False, signal.SIGINT)])
def test_sigterm_while_the_output_is_committed_completes_the_run(cli_model, tmp_path, monkeypatch, capsys, review,
                                                                 signum):
    """The window the random-moment test hits now and then: the signal lands after the output file was renamed
    into place but before the run knew it. The commit finishes, and the run is complete (exit 0), not reported
    as terminated with its output silently replaced."""
    src = _corpus(tmp_path / "in.jsonl", reports=5)
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    monkeypatch.setattr(os, "replace", _replace_then_signal(out, signum))
    review_args = ["--review", "20%"] if review else []
    code = main(["tag", str(src), "--model", cli_model, "-o", str(out), "--force", *review_args])
    err = capsys.readouterr().err
    assert code == 0 and "after the output was written: the run is complete" in err and "wrote" in err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len({r["report"] for r in rows}) == 5 and all("review" in r for r in rows) == review
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def _outputs_case(name: str, tmp_path: Path, model: str, root: Path) -> tuple[list[str], Path]:
    """Arguments of a command that writes one declared output, and that output."""
    src = _corpus(tmp_path / "in.jsonl", reports=5)
    if name in ("stats", "stats_html", "labels_export"):
        tagged = tmp_path / "tagged.jsonl"
        assert main(["-q", "tag", str(src), "--model", model, "-o", str(tagged)]) == 0
    if name == "stats":
        return ["stats", str(tagged), "-o", str(tmp_path / "out.csv")], tmp_path / "out.csv"
    if name == "stats_html":
        return ["stats", str(tagged), "--html", str(tmp_path / "out.html")], tmp_path / "out.html"
    if name == "labels_export":
        return (["labels", "export", str(tagged), "--to", "doccano", "-o", str(tmp_path / "out.jsonl"), "--force",
                 "--model", model], tmp_path / "out.jsonl")
    if name == "suggest":
        (tmp_path / "r.txt").write_text("\n".join(SENTENCES), encoding="utf-8")
        return (["suggest", str(tmp_path / "r.txt"), "--root", str(root), "--model", model, "-o",
                 str(tmp_path / "out.csv"), "--force"], tmp_path / "out.csv")
    assert name == "train"
    return (["train", "--root", str(root), "--out", str(tmp_path / "out.npz"), "--no-cv", "--no-authored"],
            tmp_path / "out.npz")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("name", ["stats", "stats_html", "labels_export", "suggest", "train"])
def test_a_signal_while_any_command_commits_its_output_completes_the_run(cli_model, project, tmp_path, monkeypatch,
                                                                         capsys, name, signum):
    """Every command that writes a file, not only tag: a Ctrl-C or SIGTERM that lands right after the output
    was renamed into place finds the run complete (exit 0, a warning, the new file whole), and one that
    lands while the file is still being written leaves the previous file (exit 130/143)."""
    args, out = _outputs_case(name, tmp_path, cli_model, project)

    def previous_output() -> bytes:
        if name == "train":  # a save replaces a model, no other file: the previous output is one (another one)
            import numpy as np

            import tagger

            model = tagger.load(cli_model)
            model.thresholds_ = np.full(len(LABELS), 0.5)
            model.save(out)
        else:
            out.write_bytes(b"previous\n")
        return out.read_bytes()

    previous = previous_output()
    capsys.readouterr()
    with monkeypatch.context() as m:
        m.setattr(os, "replace", _replace_then_signal(out, signum))
        code = main([*args, "--force"] if name in ("stats", "stats_html") else args)
    err = capsys.readouterr().err
    assert code == 0 and "after the output was written: the run is complete" in err, err
    assert out.read_bytes() != previous and out.stat().st_size > 100
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and p.suffix != ".lock"]  # no temp file

    from tagger.common import atomic

    real_fsync = os.fsync

    def fsync_then_signal(fd):  # the content is written, the rename has not happened yet
        real_fsync(fd)
        os.kill(os.getpid(), signum)
        time.sleep(0.05)

    previous = previous_output()
    with monkeypatch.context() as m:
        m.setattr(atomic.os, "fsync", fsync_then_signal)
        code = main([*args, "--force"] if name in ("stats", "stats_html") else args)
    assert code == (143 if signum == signal.SIGTERM else 130)
    assert out.read_bytes() == previous
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and p.suffix != ".lock"]


def test_sigterm_before_the_commit_still_keeps_the_previous_output(cli_model, tmp_path, monkeypatch, capsys):
    src = _corpus(tmp_path / "in.jsonl", reports=5)
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    from tagger.apps import batch

    real_write = batch.Writer.write

    def write_then_sigterm(self, chunk):
        real_write(self, chunk)
        os.kill(os.getpid(), signal.SIGTERM)  # before the commit: the run is terminated, nothing replaced
        time.sleep(0.05)

    monkeypatch.setattr(batch.Writer, "write", write_then_sigterm)
    assert main(["tag", str(src), "--model", cli_model, "-o", str(out), "--force"]) == 143
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


_FORK_SIGNAL = {"armed": False}


def _sigterm_after_fork() -> None:
    if _FORK_SIGNAL["armed"]:
        _FORK_SIGNAL["armed"] = False
        os.kill(os.getpid(), signal.SIGTERM)  # its Python handler runs inside the at-fork callbacks


def test_a_sigterm_while_workers_are_forked_is_not_swallowed():
    """Found by looping SIGTERM at random moments: a handler that raises inside the interpreter's at-fork
    callbacks is printed ("Exception ignored") and swallowed, and the run went on to exit 0."""
    from tagger.common.parallel import imap_ordered

    class Stop(BaseException):
        pass

    def stop(signum, frame):
        raise Stop()

    previous = signal.signal(signal.SIGTERM, stop)
    if not _FORK_SIGNAL.get("registered"):
        os.register_at_fork(after_in_parent=_sigterm_after_fork)  # cannot be unregistered: armed per test
        _FORK_SIGNAL["registered"] = True
    try:
        _FORK_SIGNAL["armed"] = True
        with pytest.raises(Stop):
            list(imap_ordered(abs, range(50), jobs=2))
    finally:
        _FORK_SIGNAL["armed"] = False
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_parquet_output_prints_no_traceback(cli_model, tmp_path, monkeypatch, capsys, signum):
    """A user pressed Ctrl-C (or sent SIGTERM) while ``tagger tag corpus/ -o tagged.parquet`` ran: after the
    one-line "interrupted" came pyarrow's "Exception ignored in: ParquetWriter.__del__ ... ValueError: write to
    closed file" traceback (the writer, never closed, tried to finish the file after its temp file was closed
    and removed). The writer is released when the output is abandoned."""
    import gc

    src = _corpus(tmp_path / "in.jsonl", reports=30)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous\n")
    from tagger.apps import batch

    real_write = batch.Writer.write

    def write_then_signal(self, chunk):
        real_write(self, chunk)
        os.kill(os.getpid(), signum)
        time.sleep(0.05)

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    monkeypatch.setattr(batch.Writer, "write", write_then_signal)
    code = main(["tag", str(src), "--model", cli_model, "-o", str(out), "--force", "--chunk-size", "5"])
    gc.collect()
    assert code == (130 if signum == signal.SIGINT else 143)
    assert unraisable == [], [str(u.exc_value) for u in unraisable]
    assert out.read_bytes() == b"previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.parquet"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_python_dropped_in_a_finaliser_still_unwinds_the_run(cli_model, tmp_path, monkeypatch, capsys,
                                                                      signum):
    """A SIGTERM whose handler ran while Python was inside a finaliser (a __del__, a weakref or gc callback: the
    adversarial SIGTERM test met it once) had its exception dropped: Python printed 'Exception ignored … Traceback'
    and tag ran on, replaced the output and exited 0. The dropped signal is kept, said nothing of, and stops the
    commit: the previous output stays, no temp file, 143 (130 for Ctrl-C)."""
    from tagger.apps import batch, outcome

    src = _corpus(tmp_path / "in.jsonl", reports=30)
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"previous\n")
    handler = outcome.on_sigterm if signum == signal.SIGTERM else outcome.on_sigint
    real_write = batch.Writer.write

    class Finalised:
        def __del__(self):
            handler(signum, None)  # as the signal's handler runs inside a finaliser: its exception is dropped

    def write_then_finalise(self, chunk):
        real_write(self, chunk)
        Finalised()

    monkeypatch.setattr(batch.Writer, "write", write_then_finalise)
    code = main(["tag", str(src), "--model", cli_model, "-o", str(out), "--force", "--chunk-size", "5"])
    err = capsys.readouterr().err
    assert code == (130 if signum == signal.SIGINT else 143), err[-600:]
    assert "Exception ignored" not in err and "Traceback" not in err
    assert out.read_bytes() == b"previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


class _Finalised:
    """An object whose finaliser runs a signal's handler, as Python runs one that arrives while a ``__del__`` (a
    weakref or gc callback) runs: the handler's exception is dropped (``sys.unraisablehook``)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum

    def __del__(self):
        from tagger.apps import outcome

        (outcome.on_sigterm if self.signum == signal.SIGTERM else outcome.on_sigint)(self.signum, None)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_python_dropped_while_tag_writes_to_stdout_stops_it_at_the_next_chunk(cli_model, tmp_path,
                                                                                       monkeypatch, capfd, signum):
    """A script sent SIGTERM to ``tagger tag in.jsonl -o - | …`` while the handler ran inside a finaliser: Python
    dropped its exception, and tag, which commits no file, tagged every report on and exited 0 — the script read it
    as a success. The dropped signal stops the run at the next chunk, as the signal itself does: "terminated", 143
    (Ctrl-C: "interrupted", 130)."""
    from tagger.apps import batch

    src = _corpus(tmp_path / "in.jsonl", reports=30)
    real_write = batch.Writer.write
    written = []

    def write_then_finalise(self, chunk):
        real_write(self, chunk)
        written.append(chunk)
        if len(written) == 1:
            _Finalised(signum)

    monkeypatch.setattr(batch.Writer, "write", write_then_finalise)
    code = main(["tag", str(src), "--model", cli_model, "-o", "-", "--chunk-size", "5"])
    err = capfd.readouterr().err
    assert code == (130 if signum == signal.SIGINT else 143), err[-600:]
    assert err.strip().splitlines()[-1] == ("interrupted" if signum == signal.SIGINT else "terminated"), err[-600:]
    assert "Exception ignored" not in err and "Traceback" not in err
    assert len(written) == 1  # the next chunk was not tagged


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_python_dropped_in_a_command_printing_its_result_does_not_end_it_0(cli_model, tmp_path, monkeypatch,
                                                                                   capsys, signum):
    """``tagger stats tagged.jsonl`` (its counts printed to the terminal, no file written) got a SIGTERM while the
    handler ran inside a finaliser, after the last point where it checks: it printed its table and exited 0, so the
    script that sent it read a success. A dropped signal that nothing acted on ends the run as the signal would
    have: "terminated", 143 (Ctrl-C: "interrupted", 130)."""
    import tagger.analysis.stats as stats_module

    tagged = tmp_path / "tagged.jsonl"
    assert main(["-q", "tag", str(_corpus(tmp_path / "in.jsonl", reports=6)), "--model", cli_model,
                 "-o", str(tagged)]) == 0
    real_stats = stats_module.corpus_stats

    def stats_then_finalise(*args, **kwargs):
        counted = real_stats(*args, **kwargs)
        _Finalised(signum)
        return counted

    monkeypatch.setattr(stats_module, "corpus_stats", stats_then_finalise)
    capsys.readouterr()
    code = main(["stats", str(tagged)])
    err = capsys.readouterr().err
    assert code == (130 if signum == signal.SIGINT else 143), err[-600:]
    assert err.strip().splitlines()[-1] == ("interrupted" if signum == signal.SIGINT else "terminated"), err[-600:]
    assert "Exception ignored" not in err and "Traceback" not in err


@pytest.mark.parametrize("ext", ["jsonl", "sqlite"])
def test_two_runs_given_one_new_output_never_replace_each_other_silently(cli_model, tmp_path, monkeypatch, capsys,
                                                                          ext):
    """A user started ``tagger tag d0 d1 -o same.jsonl`` and, a moment later in another terminal, ``tagger tag d2
    -o same.jsonl`` (no --force; the file did not exist yet, so both passed the "already exists" check). Both
    exited 0 saying "wrote same.jsonl", but the file held only the run that finished last. The run that finds
    the output written meanwhile leaves it as it is and says so (exit 1, no temp file left); its own output, which
    was thrown away (review: a run of hours lost), is saved beside it as out.new.EXT, and the message names it."""
    src = _corpus(tmp_path / "in.jsonl", reports=10)
    out = tmp_path / f"out.{ext}"
    from tagger.apps import batch

    real_write = batch.Writer.write

    def other_run_commits_first(self, chunk):
        real_write(self, chunk)
        if not out.exists():
            out.write_bytes(b"the other run's output\n")

    monkeypatch.setattr(batch.Writer, "write", other_run_commits_first)
    assert main(["tag", str(src), "--model", cli_model, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    kept = tmp_path / f"out.new.{ext}"
    assert f"{out}: was written by another program" in err and "Traceback" not in err
    assert f"this run's output was saved as {kept} instead" in err and "--force" not in err, err
    assert out.read_bytes() == b"the other run's output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.jsonl", f"out.new.{ext}", f"out.{ext}"])
    monkeypatch.undo()
    assert main(["tag", str(src), "--model", cli_model, "-o", str(tmp_path / f"again.{ext}")]) == 0
    if ext == "jsonl":  # the whole output, as a run that met no other would have written it
        assert kept.read_bytes() == (tmp_path / "again.jsonl").read_bytes()
    else:
        import sqlite3

        with contextlib.closing(sqlite3.connect(kept)) as a, contextlib.closing(sqlite3.connect(tmp_path / "again.sqlite")) as b:
            assert a.execute("SELECT * FROM paragraphs").fetchall() == b.execute("SELECT * FROM paragraphs").fetchall()
    assert main(["tag", str(src), "--model", cli_model, "-o", str(out), "--force"]) == 0  # --force replaces it
    assert out.read_bytes() != b"the other run's output\n"


@pytest.mark.parametrize("name", ["stats", "stats_html", "labels_export", "tag_review"])
def test_an_output_another_run_wrote_while_this_one_read_its_input_is_kept(cli_model, tmp_path, monkeypatch, capsys,
                                                                          name):
    """The other run need not finish while this one writes: two runs of tagger stats on one big file, given one new
    -o, both pass the "already exists" check, and the one that reads faster writes first, while the other is still
    reading. atomic_write then saw an existing file at the start of the write and replaced it (exit 0, "wrote",
    the first run's output gone): exclusive held only over the write itself, seconds after the check. The run
    that finds the output there leaves it and exits 1, however early the other run wrote it; its own is saved
    beside it (out.new.EXT)."""
    if name == "tag_review":
        src = _corpus(tmp_path / "in.jsonl", reports=5)
        out = tmp_path / "out.jsonl"
        args = ["tag", str(src), "--model", cli_model, "-o", str(out), "--review", "3"]
        from tagger.apps import batch
        target, attr = batch.ReviewQueue, "ranks"
    else:
        args, out = _outputs_case(name, tmp_path, cli_model, tmp_path)
        args = [a for a in args if a != "--force"]
        if name == "labels_export":
            from tagger.annotation import interop
            target, attr = interop, "read_export_source"
        else:
            from tagger.data import tagged
            target, attr = tagged, "read_tagged"
    real = getattr(target, attr)

    def other_run_commits_while_this_one_reads(*a, **k):
        if not out.exists():
            out.write_bytes(b"the other run's output\n")
        return real(*a, **k)

    capsys.readouterr()
    with monkeypatch.context() as m:
        m.setattr(target, attr, other_run_commits_while_this_one_reads)
        code = main(args)
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"{out}: was written by another program" in err and "Traceback" not in err
    assert out.read_bytes() == b"the other run's output\n"
    kept = out.with_name(f"out.new{out.suffix}")
    assert f"saved as {kept} instead" in err and kept.stat().st_size > 0, err
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and p.suffix != ".lock"]  # no temp file


@pytest.mark.parametrize("name", ["stats", "stats_html", "labels_export", "suggest"])
def test_no_command_replaces_an_output_another_run_wrote_meanwhile(cli_model, project, tmp_path, monkeypatch, capsys,
                                                                   name):
    """As for tag: two runs of stats, labels export or suggest given one new output (no --force: it did not
    exist yet, so both passed the "already exists" check) both said "wrote", and the file held only the run
    that finished last — for suggest, a sheet someone had begun to fill in could be replaced. The run that
    finds its output written meanwhile leaves it as that run wrote it and exits 1; its own output is saved beside it
    (out.new.EXT, then out.new-2.EXT: a name no file has), which the message names, rather than thrown away — so
    --force, which would redo the work, is not what it suggests."""
    args, out = _outputs_case(name, tmp_path, cli_model, project)
    args = [a for a in args if a != "--force"]
    from tagger.common import atomic

    real_fsync = os.fsync

    def other_run_commits_first(fd):  # our content is written; the other run puts its file in place first
        real_fsync(fd)
        if not out.exists():
            out.write_bytes(b"the other run's output\n")

    taken = out.with_name(f"out.new{out.suffix}")
    taken.write_bytes(b"a file of the user's\n")
    capsys.readouterr()
    with monkeypatch.context() as m:
        m.setattr(atomic.os, "fsync", other_run_commits_first)
        code = main(args)
    err = capsys.readouterr().err
    kept = out.with_name(f"out.new-2{out.suffix}")
    assert code == 1, err
    assert f"{out}: was written by another program" in err and "Traceback" not in err
    assert err.rstrip().endswith(f"this run's output was saved as {kept} instead: use that file, or move it over "
                                 f"{out} if that one may go"), err
    assert out.read_bytes() == b"the other run's output\n" and taken.read_bytes() == b"a file of the user's\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and p.suffix != ".lock"]  # no temp file
    out.unlink()
    assert main(args) == 0 and out.read_bytes() == kept.read_bytes()  # the whole output, as the run wrote it
