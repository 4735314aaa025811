import logging
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# The README's test command draws the same hypothesis examples on every run (CI passes or fails on the code, not on
# the draw); TAGGER_HYPOTHESIS=explore draws new ones each run, to look for what the fixed ones miss.
settings.register_profile("fixed", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("TAGGER_HYPOTHESIS", "fixed"))

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
    from tagger.training import fit_examples, make_tagger

    return fit_examples(make_tagger(resources), [e for e in resources.examples if e.source == "seed"])


@pytest.fixture(scope="session")
def shipped_model_file(tmp_path_factory) -> Path:
    """``tagger train --no-cv`` on the checkout, run once: the model as train.py trains it (all the labelled data,
    context learnt), saved with its manifest and card. Tests load their own copy (``tagger.load``) or only read it."""
    from tagger.apps.cli import main

    out = tmp_path_factory.mktemp("shipped") / "tagger.npz"
    assert main(["-q", "train", "--root", str(ROOT), "--out", str(out), "--no-cv"]) == 0
    return out


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project's data (seeds + labels) to break on purpose."""
    for name in ("seeds", "labels"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def cli_model(tmp_path_factory, seed_model) -> str:
    """A saved model file (the seed model), shared."""
    out = tmp_path_factory.mktemp("climodel") / "tagger.npz"
    seed_model.save(out, data_hash="seed-only test model")
    return str(out)


@pytest.fixture(autouse=True)
def _no_terminal_size_from_the_environment(monkeypatch):
    """``COLUMNS`` / ``LINES`` of the shell that runs the tests (pytest-xdist's workers set them too) would change what
    ``tagger stats`` prints (it cuts a table to the terminal's width): a test that wants a width sets it."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


@pytest.fixture
def edited_thresholds(cli_model, tmp_path):
    """Make a copy of the shared model whose manifest thresholds were edited (the README's precision/recall trade):
    ``edited_thresholds(elderly_care=0.999)`` gives its path; each call a copy of its own."""
    import json

    from tagger.model.persistence import manifest_path

    made = []

    def make(**thresholds) -> str:
        edited = tmp_path / f"edited{len(made) or ''}" / "tagger.npz"
        edited.parent.mkdir()
        shutil.copy(cli_model, edited)
        manifest = json.loads(manifest_path(cli_model).read_text(encoding="utf-8"))
        manifest["thresholds"].update(thresholds)
        manifest_path(edited).write_text(json.dumps(manifest), encoding="utf-8")
        made.append(edited)
        return str(edited)

    return make


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (which never downloads a browser); skipped without it."""
    if not CHROMIUM.exists():
        pytest.skip("no browser: /usr/bin/chromium is missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the Python package playwright is not installed (pip install playwright)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


# --------------------------------------------------------------------------- the adversarial suite's tally
ADVERSARIAL: dict = {"slow": False, "cases": 0, "faults": 0, "outcomes": {}, "entries": {}}


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="nightly-style runs: 50,000 generated adversarial cases")


def pytest_configure(config):
    ADVERSARIAL["slow"] = bool(config.getoption("--slow", default=False))


def pytest_sessionfinish(session):
    """A pytest-xdist worker hands its tally to the controller, which adds them up (:func:`pytest_testnodedown`)."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["adversarial"] = ADVERSARIAL


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    tally = getattr(node, "workeroutput", {}).get("adversarial")
    if not tally:
        return
    ADVERSARIAL["cases"] += tally["cases"]
    ADVERSARIAL["faults"] += tally["faults"]
    for key in ("outcomes", "entries"):
        for k, v in tally[key].items():
            ADVERSARIAL[key][k] = ADVERSARIAL[key].get(k, 0) + v


def _escaped(text: str) -> str:
    from tagger.common.files import LONE_SURROGATE

    return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    """A pytest-xdist worker sends each report to the controller as UTF-8, and a lone surrogate (a file name that is
    not UTF-8, made by a test on purpose, in captured output) stopped the whole run: such text is escaped first."""
    report.sections = [(title, _escaped(text)) for title, text in report.sections]
    if report.longrepr is not None and (escaped := _escaped(text := str(report.longrepr))) != text:
        report.longrepr = escaped


def pytest_terminal_summary(terminalreporter):
    if not (ADVERSARIAL["cases"] or ADVERSARIAL["faults"]):
        return
    from test_adversarial import INVARIANTS

    codes = ", ".join(f"exit {k}: {v}" for k, v in sorted(ADVERSARIAL["outcomes"].items()))
    entries = ", ".join(f"{k}: {v:,}" for k, v in ADVERSARIAL["entries"].items())
    terminalreporter.write_line(f"adversarial suite: {ADVERSARIAL['cases']:,} generated cases ({codes}"
                                f"{'; ' + entries if entries else ''}) and "
                                f"{ADVERSARIAL['faults']} injected faults; invariants held: " + "; ".join(INVARIANTS))


@pytest.fixture
def own_logging():
    """Handlers an earlier test's ``tagger.apps.cli.main`` left (on the root logger or the package's
    logger, writing to stderr) taken away for the test, so what is logged here is what counts."""
    package = logging.getLogger("tagger")
    stale = [h for h in logging.root.handlers if type(h) is logging.StreamHandler]
    mine, propagate = list(package.handlers), package.propagate
    for handler in stale:
        logging.root.removeHandler(handler)
    for handler in mine:
        package.removeHandler(handler)
    package.propagate = True
    yield
    for handler in stale:
        logging.root.addHandler(handler)
    for handler in mine:
        package.addHandler(handler)
    package.propagate = propagate


@pytest.fixture
def python_ctrl_c():
    """Python's own Ctrl-C handler for one test: a test run started in the background by a shell (``cmd &``, CI
    runners) inherits SIGINT ignored, and a test that sends itself SIGINT to check how it is held would see nothing."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
