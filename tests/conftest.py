import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def resources():
    from tagger.training import load_resources

    return load_resources(ROOT)


@pytest.fixture(scope="session")
def seed_model(resources):
    """A model trained on the real seed paragraphs only (fast, shared by tests)."""
    from tagger.data import label_matrix
    from tagger.model import Tagger

    ex = [e for e in resources.examples if e.source == "seed"]
    return Tagger(None, resources.lexicon, resources.user_words).fit(
        [e.text for e in ex], label_matrix(ex), [e.doc for e in ex])


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project's data (seeds + labels) to break on purpose."""
    for name in ("seeds", "labels"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def cli_model(tmp_path_factory, root) -> str:
    """A model file trained on the seeds via the CLI (fast, shared)."""
    from tagger.cli import main

    out = tmp_path_factory.mktemp("climodel") / "tagger.joblib"
    assert main(["train", "--root", str(root), "--out", str(out), "--no-cv", "--no-authored"]) == 0
    return str(out)
