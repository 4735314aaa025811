"""README, CI script, report, codebook and the package layout stay consistent with each other."""

import ast
import re
from pathlib import Path


from tagger.evaluation.report import README_END, README_START, readme_block


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


def _mentioned(readme: str) -> tuple[list[str], list[str]]:
    code = re.findall(r"`([^`\n]+)`", readme)
    files = sorted({m for c in code for m in re.findall(r"[\w./-]+\.(?:py|c|csv|jsonl|md|json|npz|joblib)\b", c)})
    modules = sorted({m for c in code for m in re.findall(r"(?<![/\w])tagger(?:\.[a-z_]+)+", c)
                      if not re.search(r"\.(?:py|npz|json|jsonl|csv|md)$|\.manifest", m)})  # not file names
    return files, modules


def test_readme_names_only_what_exists(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    files, modules = _mentioned(readme)
    names = {p.name for p in root.rglob("*") if ".venv" not in p.parts and ".git" not in p.parts}
    made_later = {"labels/imported.jsonl", "models/tagger.npz", "models/tagger.manifest.json"}  # by the commands
    made_later |= set(re.findall(r"(?:-o|--output|--html) (\S+)", readme))  # outputs of the README's commands
    made_later |= {re.sub(r"\.json$", ".label_config.xml", f) for f in made_later}  # Label Studio's config
    outside = {"check_source.py"}  # the project's shared checker, beside the checkout (../shared/reserved/)
    missing = [f for f in files if not (root / f).exists() and Path(f).name not in names and f not in made_later
               and not f.startswith("../") and Path(f).name not in outside
               and not Path(f).stem.isupper()]  # FILE.jsonl: a placeholder
    import importlib

    unimportable = []
    for mod in modules:  # tagger.load, tagger.Tagger.predict: attributes of the longest importable module
        parts = mod.split(".")
        for k in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:k]))
            except ModuleNotFoundError:
                continue
            try:
                for attr in parts[k:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                unimportable.append(mod)
            break
        else:
            unimportable.append(mod)
    stale = [w for w in (".joblib", "trust=True", "TAGGER_NUM_THREADS", "_speedups", "tagger.native") if w in readme]
    assert (missing, unimportable, stale) == ([], [], [])


def test_readme_python_example_names_exist():
    import tagger

    for name in ("load", "tag", "Tagger", "LABELS", "tag_frame"):
        assert hasattr(tagger, name), name
    for method in ("predict", "predict_proba", "predict_indicator", "tag", "labels", "save", "load"):
        assert hasattr(tagger.Tagger, method), method


# ----------------------------------------------------------------------------- package layout (issue 15)
# Lower layers never import higher ones: report -> paragraphs -> normalised text -> features -> scores.
LAYERS = [("tagger.errors", "tagger.labels"), ("tagger.common",), ("tagger.text",), ("tagger.features",),
          ("tagger.model",), ("tagger.pipeline", "tagger.data"), ("tagger.training",),
          ("tagger.evaluation", "tagger.annotation", "tagger.analysis"), ("tagger.apps", "tagger.__main__")]


def _layer(module: str) -> int:
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{module} is in no layer")


def _imports(root: Path):
    src = root / "src"
    for path in sorted((src / "tagger").rglob("*.py")):
        module = ".".join(path.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                elif (node.module or "").startswith("tagger"):
                    target = node.module
                else:
                    continue
                yield module, target, [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("tagger"):
                        yield module, alias.name, []


def test_imports_only_point_down(root):
    upward = [(m, t) for m, t, _ in _imports(root)
              if m != "tagger" and t != "tagger" and _layer(t) > _layer(m)]
    assert upward == []


def test_no_private_names_imported_across_modules(root):
    private = [(m, t, n) for m, t, names in _imports(root) for n in names
               if n.startswith("_") and not n.startswith("__") and t != m]
    assert private == []


def test_no_compiled_code_in_the_repository(root):
    """Issue 15: the C extension and its build script are gone."""
    found = [p.relative_to(root).as_posix() for p in root.rglob("*")
             if p.suffix in (".c", ".h", ".so", ".pyd") and ".venv" not in p.parts and ".git" not in p.parts]
    assert found == [] and not (root / "setup.py").exists()


def test_readme_training_data_table_counts_the_files(root):
    """The Training data table's paragraph counts are the files' (user test: the dev set's row said 1,240 while
    its manifest had 1,421 rows)."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Training data", 1)[1].split("\n\n", 2)[1]
    rows = {m[1]: int(m[2].replace(",", "")) for m in re.finditer(r"^\|[^|]*`(labels/[^`]+)`[^|]*\| ([\d,]+) \|",
                                                                   table, re.M)}

    def lines(pattern: str) -> int:
        return sum(1 for f in root.glob(pattern) for line in f.read_text(encoding="utf-8").splitlines() if line.strip())

    files = ["labels/authored.jsonl", "labels/authored_contrast_*.jsonl", "labels/authored_reports_*.jsonl",
             "labels/authored_boundary_*.jsonl"]
    tables = ["labels/seeds.csv", "labels/dev_manifest.csv"]  # a header line each
    assert rows == {**{f: lines(f) for f in files}, **{t: lines(t) - 1 for t in tables}}


def test_the_tagger_docstring_points_to_where_the_repeats_are_measured(root):
    """Tagger's docstring sent a reader to README, *Yardsticks*, for how much threshold_repeats steadies the
    thresholds; that measurement moved to docs/modelling.md (dddd626) and the README no longer has it."""
    from tagger.model.tagger import Tagger

    doc = " ".join(Tagger.__doc__.split())
    where = re.search(r"Repeats make the thresholds depend far less on ``random_state`` \(([^)]*)\)", doc).group(1)
    document = {"README": "README.md", "docs/modelling.md": "docs/modelling.md"}[where.split(",")[0].strip()]
    assert "`threshold_repeats=3`" in (root / document).read_text(encoding="utf-8"), where


def _parser_options(parser, prefix=()):
    """{(command, subcommand…): option strings} of the CLI's parser and every subparser."""
    import argparse

    found = {prefix: {s for a in parser._actions for s in a.option_strings}}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(_parser_options(sub, prefix + (name,)))
    return found


def test_readme_commands_use_only_options_the_parser_has(root):
    """Every ``tagger CMD ... --option`` (also ``python train.py`` / ``python evaluate.py``) in README's commands and
    code spans names a command and an option its parser has, and every ``--option`` named anywhere exists in one
    of the parsers (a renamed or dropped option leaves README telling users to type what is refused)."""
    from tagger.apps.cli import build_parser

    commands = _parser_options(build_parser())
    readme = (root / "README.md").read_text(encoding="utf-8")
    readme = readme.split(README_START, 1)[0] + readme.split(README_END, 1)[1]
    lines = [line for block in re.findall(r"```bash\n(.*?)```", readme, re.S) for line in block.splitlines()]
    lines += re.findall(r"`([^`\n]+)`", readme)
    wrong, checked = [], 0
    for line in lines:
        for part in re.split(r"\||;|&&", line.split(" #")[0]):
            m = re.search(r"(?<![\w.-])(?:tagger|python (train|evaluate)\.py)((?: [a-z][a-z-]*)*)", part)
            if not m:
                continue
            words = ([m.group(1)] if m.group(1) else []) + m.group(2).split()
            key = ()
            while len(key) < len(words) and key + (words[len(key)],) in commands:
                key += (words[len(key)],)
            if m.group(0).startswith("tagger") and words and not key and re.fullmatch(r"[a-z]+", words[0]):
                wrong.append((part.strip(), words[0]))  # `tagger foo`: no such command
            for option in re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", part[m.end():]):
                checked += 1
                if option not in commands[key] | commands[()]:
                    wrong.append((part.strip(), option))
    known = set().union(*commands.values()) | {"--jsonl", "--quick", "--dist"}  # check_source.py's, bench's, pytest's
    loose = sorted(set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", readme)) - known)
    assert checked > 40 and (wrong, loose) == ([], [])


def test_readme_python_example_says_what_the_trained_model_gives(root, shipped_model_file):
    """*Use it* shows what `model.predict` gives (``# -> …`` under the call, and "`model.predict("…")` gives `[]`" in
    the text about headings): the model python train.py trains gives exactly that."""
    import tagger

    readme = (root / "README.md").read_text(encoding="utf-8")
    use_it = readme.split("## Use it", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```python\n(.*?)```", use_it, re.S).group(1)
    shown = re.findall(r"^model\.predict\((.+)\)\n# -> (.+)$", block, re.M)
    shown += re.findall(r"`model\.predict\(([^`]+)\)` gives `([^`]+)`", use_it)
    model = tagger.load(shipped_model_file)
    assert len(shown) >= 2
    for call, result in shown:
        assert model.predict(ast.literal_eval(call)) == ast.literal_eval(result), call


def test_readme_command_blocks_run_top_to_bottom_without_overwriting(root):
    """A new user pasting the *Command line* block in order met "tagged.csv: already exists; pass --force" (the saved
    pages and the JSONL stories both wrote tagged.csv; big.jsonl and the folder tagged.jsonl, the table and the
    tagged file tagged.sqlite): no command replaces a file without --force. In every bash block of README, a
    command without --force writes no file (-o, --output, --html) an earlier command of the block wrote."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    clashes, outputs = [], 0
    for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
        written: set[str] = set()
        for line in block.splitlines():
            command = line.split(" #")[0]
            for name in re.findall(r"(?:^| )(?:-o|--output|--html) (\S+)", command):
                if name in ("-", "/dev/stdout"):
                    continue
                outputs += 1
                if name in written and "--force" not in command.split():
                    clashes.append((name, command.strip()))
                written.add(name)
    assert outputs > 15 and clashes == []


def test_every_page_asks_for_a_chinese_font_of_each_platform(root):
    """Visual QA: on a Linux machine the pages asked only for Noto Sans CJK SC and Microsoft YaHei and showed
    boxes where no such font was installed, and each page spelt its own font list. Every style sheet now uses
    the one stack (common.files.PAGE_FONTS), which names a Chinese font of macOS, Windows and Linux."""
    from tagger.common.files import PAGE_FONTS

    for family in ("PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei"):
        assert f'"{family}"' in PAGE_FONTS
    spelt = [(p.name, line.strip()[:80]) for p in (root / "src" / "tagger").rglob("*.py")
             for line in p.read_text(encoding="utf-8").splitlines() if "font-family" in line and "PAGE_FONTS" not in line]
    assert spelt == []
    from tagger.analysis.report import PAGE_CSS as corpus
    from tagger.apps.review import PAGE_CSS as review
    from tagger.apps.server import PAGE_CSS as serve
    from tagger.evaluation.report import _CSS as cv  # the CV report's sheet has no public name

    for css in (corpus, review, serve, cv):
        assert PAGE_FONTS in css


def _public_functions(root: Path):
    """Every module-level function a module exports (its ``__all__``, else its names without ``_``)."""
    src = root / "src"
    for path in sorted((src / "tagger").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exported = None
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
                exported = set(ast.literal_eval(node.value))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_") \
                    and (exported is None or node.name in exported):
                yield f"{path.relative_to(src)}:{node.lineno} {node.name}", node


def test_public_functions_have_type_hints_and_a_docstring(root):
    """The standards ask for type hints on public functions and one docstring style: 42 exported functions had
    neither a return type, a parameter's type or a docstring."""
    missing = []
    for where, node in _public_functions(root):
        params = [a for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
                  if a.arg not in ("self", "cls")]
        untyped = [a.arg for a in params if a.annotation is None]
        if node.returns is None or untyped or not ast.get_docstring(node):
            missing.append((where, untyped, node.returns is None, not ast.get_docstring(node)))
    assert missing == [], missing


def test_readme_headline_tables_are_what_evaluate_prints_for_the_committed_figures(root):
    """README quoted the dev set as '1635 real paragraphs of 245 reports' and its headline row as '1635 paragraphs'
    where python evaluate.py prints '1,635' (counts grouped by thousands): the committed report had been written
    before. Each headline table in README (and in the committed report) is the one headline_table prints for the
    report's figures (cv_report.json), and the dev set's scope the sentence DevStatus.scope prints for its counts."""
    import json

    from tagger.evaluation.cv import CVRun
    from tagger.evaluation.report import headline_table

    payload = json.loads((root / "reports" / "cv_report.json").read_text(encoding="utf-8"))
    readme = (root / "README.md").read_text(encoding="utf-8")
    report = (root / "reports" / "cv_report.md").read_text(encoding="utf-8")
    for section in ("dev", "lodo"):
        r = payload[section]["runs"][0]
        ci = payload[section]["bootstrap_ci"]
        run = CVRun(r["system"], r["description"], r["kind"], r["scheme"], r["metrics"],
                    average_precision=r["average_precision"])
        table = headline_table(run, ci.get(r["system"], ci) if section == "dev" else ci)
        assert table in readme and table in report, section
    # the dev set's scope, as DevStatus.scope words it for the counts the report recorded
    from tagger.data.devset import DevStatus
    from tagger.data.examples import Example

    counts = re.match(rf"dev set: {_COUNT} of {_COUNT} paragraphs \({_COUNT} of {_COUNT} reports\) present; {_COUNT} "
                      "report texts missing", payload["context"]["dev"])
    present, rows, present_docs, docs, missing = (int(c.replace(",", "")) for c in counts.groups())
    examples = [Example(f"d{n % present_docs}:{n}", f"d{n % present_docs}", "x", ()) for n in range(present)]
    scope = DevStatus(rows=rows, docs=docs, present=present, missing_docs=["?"] * missing, examples=examples).scope()
    assert f"\n{scope}, that nobody who wrote training text has read" in readme


def test_readme_jsonl_examples_are_read_as_it_says(root, tmp_path):
    """README's example of JSON lines made by hand ('"labels": "elderly_care;none"') was refused ("'none' together
    with labels"). Every ```jsonl block of README is a file evaluate --test reads: each labelled line scored, the
    lines with an empty labels value left out."""
    import json

    from tagger.annotation.interop import read_test_file

    readme = (root / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```jsonl\n(.*?)```", readme, re.S)
    assert blocks
    for n, block in enumerate(blocks):
        path = tmp_path / f"example{n}.jsonl"
        path.write_text(block, encoding="utf-8")
        examples, _ = read_test_file(path)
        rows = [json.loads(line) for line in block.splitlines()]
        labelled = [r for r in rows if r["labels"] not in ("", [""])]
        assert [(e.id, e.text) for e in examples] == [(f"{r['report']}:{r['paragraph']}", r["text"]) for r in labelled]
    inline = re.findall(r'`(\{"report": [^`]*"labels": [^`]*\})`', readme)  # one line quoted in the text
    for n, line in enumerate(inline):
        path = tmp_path / f"inline{n}.jsonl"
        path.write_text(line + "\n", encoding="utf-8")
        read_test_file(path)


_COUNT = r"(\d{1,3}(?:,\d{3})*)(?![\d,])"
_CELL = r"(?: ?\| ?|</td><td class=num>|<td class=num>|</td>)"  # a table's cell border, Markdown or HTML
"""A count as python evaluate.py prints one (tagger.common.terminal.grouped: 1,635, never 1635)."""
# the sentences of the report that hold counts (evaluation/run.py, report.py, data/devset.py, evaluation/card.py)
_COUNTED = [rf"Training data: {_COUNT} real seed/imported paragraphs \+ {_COUNT} authored paragraphs",
            rf"dev set: {_COUNT} of {_COUNT} paragraphs \({_COUNT} of {_COUNT} reports\) present",
            rf"scored by models trained on all {_COUNT} training paragraphs\. In brackets: 95% intervals from {_COUNT} ",
            rf"other reports{_CELL}{_COUNT}{_CELL}{_COUNT}{_CELL}", rf"Trained on the {_COUNT} authored paragraphs only",
            rf"dev-set paragraphs \({_COUNT}\)", rf"(?:`|<code>){_COUNT} report resamples", rf"{_CELL}{_COUNT} paragraphs{_CELL}"]
_CARD = [rf"{_COUNT} labelled paragraphs: {_COUNT} from the {_COUNT} real seed reports?"
         rf"(?:, {_COUNT} imported \(real, reviewed\) from {_COUNT} reports?)? and {_COUNT} written",
         rf"primary: {_COUNT} paragraphs of real reports", rf"intervals from {_COUNT} report resamples",
         rf"other reports \({_COUNT} paragraphs\)", rf"scored on {_COUNT} real paragraphs"]


def test_committed_reports_quote_counts_as_evaluate_prints_them(root):
    """reports/cv_report.json said "1635 of 2435" where the hand-edited .md/.html said "1,635 of 2,435", and the check
    of README accepted either form; evaluate printed "all 4199 training paragraphs", "(1744)", "| 1100 |" beside
    "1,635". Every count in the sentences of the committed report (.md, .html, the .json's context), README's results
    and the model card is grouped by thousands, as the program prints it now."""
    import json

    texts = {name: (root / "reports" / name).read_text(encoding="utf-8") for name in ("cv_report.md", "cv_report.html")}
    texts["README.md"] = (root / "README.md").read_text(encoding="utf-8").split(README_START, 1)[1]
    context = json.loads((root / "reports" / "cv_report.json").read_text(encoding="utf-8"))["context"]
    texts["cv_report.json"] = f"{context['dev']} `{context['bootstrap']}`"
    for name, text in texts.items():
        quoted = 0
        for sentence in _COUNTED:
            found = re.findall(sentence.replace(_COUNT, r"(\d[\d,]*)"), text)  # in either form
            assert found == re.findall(sentence, text), (name, sentence, found)
            assert found or not name.startswith("cv_report.") or name == "cv_report.json", (name, sentence)
            quoted += bool(found)
        assert quoted >= 2, name  # the json's context: the dev set and the resamples; README's block: 4 sentences
    card = (root / "models" / "tagger.card.md").read_text(encoding="utf-8")
    for sentence in _CARD:
        assert re.search(sentence, card), sentence
        assert len(re.findall(sentence.replace(_COUNT, r"(\d[\d,]*)"), card)) == len(re.findall(sentence, card))


def test_security_notes_name_every_upload_the_review_page_takes(root):
    """SECURITY.md said the review page takes `.txt` uploads only, while tagger serve reads Word `.docx` and saved
    `.html` pages too (README: "paste, or upload .txt/.docx/.html"): what a reader weighing the page's exposure
    is told. Its note on uploads names every suffix the page takes, and the zip-bomb limit as the code has it."""
    from tagger.apps.server import UPLOAD_XML_FACTOR
    from tagger.common.files import REPORT_SUFFIXES

    security = (root / "SECURITY.md").read_text(encoding="utf-8")
    uploads = " ".join(security.split("- **Uploaded files**", 1)[1].split("\n- **", 1)[0].split())
    assert [s for s in REPORT_SUFFIXES if f"`{s}`" not in uploads] == []
    assert f"{UPLOAD_XML_FACTOR} times the limit" in uploads
