"""Regression tests for the security cases of the reliability issue (17): report text copied local files
into the HTML report; ``-o`` replaced device files; concurrent saves broke the model/manifest pair."""

import base64
import json
import multiprocessing
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from tagger.apps.cli import main
from tagger.common.atomic import atomic_write, would_overwrite, write_target
from tagger.errors import InputError
from tagger.evaluation.report import markdown_to_html, md_text
from tagger.model.persistence import load_model, manifest_path

SECRET = "top-secret-host-name-4711"


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.png"
    path.write_text(SECRET, encoding="ascii")
    return path


def _leaked(html: str) -> bool:
    return SECRET in html or base64.b64encode(SECRET.encode()).decode() in html


# ----------------------------------------------------------------------------- local files in reports
@pytest.mark.parametrize("sep", ["\n", "\u2028", "\u2029", "\r", "\x1c", "\x85", "\x0b", ""])
def test_report_text_never_reads_a_local_file(secret_file, sep):
    text = f"党员为老人检查线路。{sep}![x]({secret_file}){sep}后文"
    md = f"# report\n\n| text |\n|---|\n| {md_text(text)} |\n\n{md_text(text)}\n"
    html = markdown_to_html(md, {})
    assert not _leaked(html) and "<img" not in html
    assert str(secret_file) in html  # shown as text


def test_only_figures_of_this_run_are_embedded(tmp_path, secret_file):
    fig = tmp_path / "fig.png"
    fig.write_bytes(b"\x89PNG fake")
    md = f"![Figure](figures/fig.png)\n\n![Leak]({secret_file})\n\n![Other](figures/other.png)\n"
    html = markdown_to_html(md, {"figures/fig.png": fig})
    assert base64.b64encode(b"\x89PNG fake").decode() in html
    assert html.count("<img") == 1 and not _leaked(html)


def test_html_in_report_text_is_escaped():
    html = markdown_to_html(f"# r\n\n{md_text('<script>alert(1)</script> & <img src=x onerror=y>')}\n")
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html


def test_test_report_escapes_paragraph_text_and_ids(cli_model, tmp_path, secret_file):
    from tagger.evaluation.run import run_test

    test_file = tmp_path / "test.jsonl"
    rows = [{"id": "a:0", "doc": "a", "text": f"为孤寡老人检查线路。\u2028![x]({secret_file})\u2028",
             "labels": ["business_connection_speed"]},
            {"id": "a:1", "doc": "a", "text": "企业报装接电提速。", "labels": []},
            {"id": f"b:0 ![y]({secret_file})", "doc": f"b ![z]({secret_file})", "text": "公司召开会议。",
             "labels": ["elderly_care"]}]
    test_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    _, payload, paths = run_test(test_file, cli_model, out=tmp_path / "out", plots=False, n_boot=20)
    html = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
    assert "<img" not in html and not _leaked(html)
    md = next(p for p in paths if p.suffix == ".md").read_text(encoding="utf-8")
    assert not any(line.startswith("![") for line in md.splitlines())  # no text starts a Markdown image line
    assert payload["confident_errors"] and payload["figures"] == {}


# ----------------------------------------------------------------------------- device files
def test_write_target_streams_to_devices_and_fifos(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    assert write_target("/dev/null") == (Path("/dev/null"), True)
    assert write_target(link)[1] and write_target(fifo)[1]
    assert write_target(tmp_path / "new.txt") == (tmp_path / "new.txt", False)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    with atomic_write(link, "w", encoding="utf-8") as fh:
        fh.write("streamed")
    reader.join(timeout=10)
    assert received == ["streamed"]
    assert link.is_symlink() and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert not would_overwrite(link) and not would_overwrite("/dev/null")
    assert not would_overwrite(tmp_path / "new.txt")


def test_symlink_to_regular_file_is_replaced_through_the_link(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert write_target(link) == (target, False)
    with atomic_write(link, "w", encoding="utf-8") as fh:
        fh.write("new")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new"
    assert would_overwrite(link)


@pytest.mark.parametrize("make", ["dangling", "directory", "link to a directory"])
def test_unwritable_targets_are_refused(tmp_path, make):
    path = tmp_path / "out"
    if make == "dangling":
        path.symlink_to("/proc/self/fd/999999")
    elif make == "directory":
        path.mkdir()
    else:
        (tmp_path / "d").mkdir()
        path.symlink_to(tmp_path / "d")
    with pytest.raises(InputError, match="out: "):
        with atomic_write(path, "w", encoding="utf-8") as fh:
            fh.write("x")
    assert path.is_symlink() or path.is_dir()
    assert not would_overwrite(path)  # the write itself reports it


def test_cli_output_to_a_device_keeps_the_device(cli_model, root, tmp_path, capsys):
    link = tmp_path / "stdout"
    link.symlink_to("/dev/null")
    report = str(next((root / "seeds").glob("*.txt")))
    assert main(["tag", report, "--model", cli_model, "-o", str(link)]) == 0  # no --force needed
    assert main(["tag", report, "--model", cli_model, "-o", "/dev/null"]) == 0
    assert main(["tag", report, "--model", cli_model, "-o", "/dev/null", "--force"]) == 0
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    dangling = tmp_path / "gone"
    dangling.symlink_to("/proc/self/fd/999999")
    assert main(["tag", report, "--model", cli_model, "-o", str(dangling), "--force"]) != 0
    assert "missing or unreachable" in capsys.readouterr().err and dangling.is_symlink()


def test_output_to_dev_stdout_streams_and_keeps_the_link(cli_model, root):
    """Issue 17: ``-o /dev/stdout`` (as root) renamed the output over /dev/stdout."""
    before = os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None
    report = str(root / "seeds" / "003_86615e91b483547b.txt")
    proc = subprocess.run([sys.executable, "-m", "tagger", "tag", report, "--model", cli_model, "-o", "/dev/stdout",
                           "--format", "jsonl"], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(proc.stdout.decode().splitlines()) == 21
    assert (os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None) == before
    assert not any(p.name.startswith(".stdout.") for p in Path("/dev").iterdir())


# ----------------------------------------------------------------------------- concurrent saves
def _save_variant(model, path, k, rounds):
    model.thresholds_ = np.asarray(model.thresholds_, dtype=float) * 0 + 0.1 + 0.01 * k
    for _ in range(rounds):
        model.save(path, data_hash=f"variant-{k}")


def _load_forever(path, stop, errors, loads):
    while not stop.is_set():
        try:
            model = load_model(path)
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            errors.put(f"{type(exc).__name__}: {exc}")
            return
        k = int(model.manifest_["data_hash"].split("-")[1])
        if not np.allclose(model.thresholds_, 0.1 + 0.01 * k):
            errors.put(f"manifest of variant {k} paired with another model")
            return
        with loads.get_lock():
            loads.value += 1


def test_concurrent_saves_and_loads_keep_a_consistent_pair(seed_model, tmp_path):
    """Issue 17: two saves at once crashed, lost the model or paired a manifest with the other model."""
    ctx = multiprocessing.get_context("fork")
    path = tmp_path / "m.npz"
    first = ctx.Process(target=_save_variant, args=(seed_model, path, 0, 1))
    first.start()
    first.join()
    errors, stop, loads = ctx.Queue(), ctx.Event(), ctx.Value("i", 0)
    loader = ctx.Process(target=_load_forever, args=(path, stop, errors, loads))
    loader.start()
    savers = [ctx.Process(target=_save_variant, args=(seed_model, path, k, 6)) for k in (1, 2, 3)]
    for p in savers:
        p.start()
    for p in savers:
        p.join(timeout=120)
    stop.set()
    loader.join(timeout=60)
    assert all(p.exitcode == 0 for p in savers)
    assert errors.empty(), errors.get()
    assert loads.value > 0
    model = load_model(path)
    k = int(model.manifest_["data_hash"].split("-")[1])
    assert k in (1, 2, 3) and np.allclose(model.thresholds_, 0.1 + 0.01 * k)
    assert json.loads(manifest_path(path).read_text(encoding="utf-8"))["model_file"] == path.name
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in {"m.npz", "m.manifest.json", ".m.npz.lock"}]
    assert leftovers == []
