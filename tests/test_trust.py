"""Model files survive interrupted training and saves; training is deterministic across processes."""

import json
import multiprocessing
import os
import signal
import subprocess
import time

import numpy as np
import pytest

import tagger
from tagger.model.persistence import load_model, manifest_path

from helpers import tagger_command

PROBE = ["党员志愿者为孤寡老人义务检查线路。", "企业报装接电提速。", "为老旧小区加装电梯接电。"]


def _train(root, out, *extra):
    return tagger_command("train", "--root", str(root), "--out", str(out), *extra)


@pytest.fixture(scope="module")
def two_trainings(root, tmp_path_factory):
    """The same training run twice, in two processes at once (different hash seeds); real paragraphs
    only, to keep it quick (in-process determinism with everything: test_model.py)."""
    folder = tmp_path_factory.mktemp("trained")
    paths = [folder / "a.npz", folder / "b.npz"]
    procs = [subprocess.Popen(_train(root, p, "--no-cv", "--no-authored"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}) for p, seed in zip(paths, (1, 2))]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    return paths


def test_training_twice_gives_identical_predictions(root, two_trainings):
    a, b = two_trainings
    ma, mb = (json.loads(manifest_path(p).read_text(encoding="utf-8")) for p in (a, b))
    assert ma["data_hash"] == mb["data_hash"] and ma["thresholds"] == mb["thresholds"]
    assert ma["n_train"] == mb["n_train"] == 109
    texts = [line.strip() for f in sorted((root / "seeds").glob("*.txt"))
             for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    pa, pb = tagger.load(a).predict_proba(texts), tagger.load(b).predict_proba(texts)
    assert pa.tobytes() == pb.tobytes()
    with np.load(a, allow_pickle=False) as za, np.load(b, allow_pickle=False) as zb:
        assert za.files == zb.files
        for name in za.files:
            np.testing.assert_array_equal(za[name], zb[name], err_msg=name)


def test_killed_training_leaves_previous_model_loadable(root, two_trainings, tmp_path):
    out = tmp_path / "m.npz"
    for src in (two_trainings[0], manifest_path(two_trainings[0])):
        (tmp_path / src.name.replace("a.", "m.")).write_bytes(src.read_bytes())
    before = out.read_bytes()
    expected = tagger.load(out).predict_proba(PROBE)
    for delay in (0.3, 1.0, 2.0):
        proc = subprocess.Popen(_train(root, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is not None:
            pytest.skip("training finished before it could be interrupted on this machine")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        model = tagger.load(out)  # never a half-written or mismatched pair
        if out.read_bytes() == before:
            np.testing.assert_array_equal(model.predict_proba(PROBE), expected)


def _save_forever(model, path):
    k = 0
    while True:
        k += 1
        variant = k % 3
        model.thresholds_ = np.full(len(tagger.LABELS), 0.1 + 0.01 * variant)
        model.save(path, data_hash=f"variant-{variant}")


def test_saves_killed_at_any_moment_leave_a_consistent_pair(seed_model, tmp_path):
    path = tmp_path / "m.npz"
    seed_model.save(path, data_hash="first")
    ctx = multiprocessing.get_context("fork")
    rng = np.random.default_rng(0)
    for _ in range(8):
        proc = ctx.Process(target=_save_forever, args=(seed_model, path))
        proc.start()
        time.sleep(float(rng.uniform(0.05, 0.4)))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(timeout=30)
        model = load_model(path)
        tag = model.manifest_["data_hash"]
        if tag != "first":
            variant = int(tag.split("-")[1])
            np.testing.assert_allclose(model.thresholds_, 0.1 + 0.01 * variant)
        assert model.predict(PROBE) is not None
    assert json.loads(manifest_path(path).read_text(encoding="utf-8"))["model_file"] == "m.npz"


def test_interrupted_between_renames_is_completed(seed_model, tmp_path):
    """Simulate a kill after the model was renamed into place but before its manifest."""
    out = seed_model.save(tmp_path / "m.npz")
    mpath = manifest_path(out)
    data = json.loads(mpath.read_text(encoding="utf-8"))
    pending = mpath.with_name(f".{mpath.name}.x1y2z3.pending")
    os.replace(mpath, pending)
    stale = dict(data, model_sha256="0" * 64)
    mpath.write_text(json.dumps(stale), encoding="utf-8")
    tagger.load(out)
    assert json.loads(mpath.read_text(encoding="utf-8"))["model_sha256"] == data["model_sha256"]
    assert not pending.exists()


def test_pending_manifest_of_another_model_is_not_used(seed_model, tmp_path):
    out = seed_model.save(tmp_path / "m.npz")
    mpath = manifest_path(out)
    data = json.loads(mpath.read_text(encoding="utf-8"))
    other = mpath.with_name(f".{mpath.name}.abc.pending")
    other.write_text(json.dumps(dict(data, model_sha256="1" * 64, data_hash="other")), encoding="utf-8")
    mpath.write_text(json.dumps(dict(data, model_sha256="0" * 64)), encoding="utf-8")
    with pytest.raises(tagger.ModelFileError, match="changed since it was written"):
        tagger.load(out)
    assert other.exists()
