"""README, CI script, report and codebook stay consistent with each other."""

import re

from tagger.report import README_END, README_START, readme_block


def _commands(text):
    return re.findall(r"```bash\n(python3 -m venv[^\n]+)\n```", text)


def test_readme_has_exactly_two_setup_commands(root):
    cmds = _commands((root / "README.md").read_text(encoding="utf-8"))
    assert len(cmds) == 2
    main_job, tests = cmds
    assert "python train.py" in main_job and "python evaluate.py" in main_job
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command(root):
    test_cmd = _commands((root / "README.md").read_text(encoding="utf-8"))[1]
    assert test_cmd in (root / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_readme_results_match_the_committed_report(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    block = readme.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    report = (root / "reports" / "cv_report.md").read_text(encoding="utf-8")
    assert block == readme_block(report), "run: python evaluate.py --update-readme"


def test_codebook_hard_cases_refer_to_labelled_paragraphs(resources, root):
    codebook = (root / "labels" / "CODEBOOK.md").read_text(encoding="utf-8")
    ids = {e.id.split("_")[0] + ":" + e.id.split(":")[1]: e for e in resources.examples if e.source == "seed"}
    cited = re.findall(r"`(\d{3}:\d+)`", codebook)
    assert len(cited) > 20
    assert all(c in ids for c in cited), [c for c in cited if c not in ids]
