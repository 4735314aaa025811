"""Model files survive interrupted training; training is deterministic."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import tagger
from tagger.persistence import manifest_path


def _train(root, out, *extra):
    return [sys.executable, "-m", "tagger", "-q", "train", "--root", str(root), "--out", str(out), *extra]


def test_killed_training_leaves_previous_model_loadable(root, tmp_path):
    out = tmp_path / "m.joblib"
    subprocess.run(_train(root, out, "--no-cv", "--no-authored"), check=True, timeout=300)
    before = out.read_bytes()
    probe = ["党员志愿者为孤寡老人义务检查线路。", "企业报装接电提速。"]
    expected = tagger.load(out).predict_proba(probe)
    for delay in (0.5, 1.5, 3.0):
        proc = subprocess.Popen(_train(root, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is not None:
            pytest.skip("training finished before it could be interrupted on this machine")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        model = tagger.load(out)  # never a half-written or mismatched pair
        if out.read_bytes() == before:
            np.testing.assert_array_equal(model.predict_proba(probe), expected)


def test_interrupted_between_renames_is_completed(seed_model, tmp_path):
    """Simulate a kill after the model was renamed into place but before its manifest."""
    out = seed_model.save(tmp_path / "m.joblib")
    mpath = manifest_path(out)
    data = json.loads(mpath.read_text(encoding="utf-8"))
    pending = mpath.with_name(f".{mpath.name}.x1y2z3.pending")
    os.replace(mpath, pending)
    stale = dict(data, model_sha256="0" * 64)
    mpath.write_text(json.dumps(stale), encoding="utf-8")
    tagger.load(out)
    assert json.loads(mpath.read_text(encoding="utf-8"))["model_sha256"] == data["model_sha256"]
    assert not pending.exists()


def test_training_twice_gives_identical_predictions(root, tmp_path):
    a, b = tmp_path / "a.joblib", tmp_path / "b.joblib"
    for path in (a, b):
        subprocess.run(_train(root, path, "--no-cv"), check=True, timeout=300)
    ma, mb = (json.loads(manifest_path(p).read_text(encoding="utf-8")) for p in (a, b))
    assert ma["data_hash"] == mb["data_hash"] and ma["thresholds"] == mb["thresholds"]
    texts = [line.strip() for f in sorted((root / "seeds").glob("*.txt"))
             for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    pa, pb = tagger.load(a).predict_proba(texts), tagger.load(b).predict_proba(texts)
    assert pa.tobytes() == pb.tobytes()
