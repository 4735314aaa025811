"""The model card: a Markdown page about one trained model, written by ``python train.py`` next to it.

What the model is for and not for, what it was trained on (real vs authored paragraphs), how well it
does on the three yardsticks with their intervals, where it fails, and how to retrain. The numbers
come from the model's manifest and from the evaluation report (``reports/cv_report.json``, written by
``python evaluate.py``) when that report was made for the same training data and options (same data
hash, seed and sentence encoder); otherwise the card says the report is stale and how to refresh it. Nothing in it is typed by hand.

Example:
    >>> card = model_card(manifest, report)  # doctest: +SKIP
    >>> write_model_card("models/tagger.npz", manifest, "reports/cv_report.json")  # doctest: +SKIP
    PosixPath('models/tagger.card.md')
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..common.terminal import grouped
from ..labels import LABEL_NAMES, LABELS
from ..model.persistence import card_path
from .cv import lodo_part_line, no_label_line

__all__ = ["model_card", "card_text", "write_model_card", "card_path", "check_card_path"]


def check_card_path(model_file: str | Path) -> Path:
    """Where the card of ``model_file`` will be written (:func:`card_path`), checked before any work is done and
    again before the save (``python train.py`` saves the card with the model: a folder there was found only once the
    model was trained, as :func:`~tagger.model.persistence.check_model_path` finds one where the manifest goes).

    Raises:
        ModelFileError: a folder (or a link to one) is where the card goes, or a file that is no model card
            (:class:`~tagger.errors.ModelPathError`: it does not begin with the card's title, :data:`CARD_TITLE`),
            naming both paths.
        InputError: the card's name is a link to a missing target (:func:`~tagger.common.atomic.write_target`).

    Example:
        >>> check_card_path("models/tagger.npz").as_posix()
        'models/tagger.card.md'
    """
    from ..common.atomic import write_target
    from ..errors import ModelFileError, ModelPathError

    path = card_path(model_file)
    if path.is_dir():
        what, remove = ("a link to a folder", "the link") if path.is_symlink() else ("a folder", "the folder")
        raise ModelFileError(f"{model_file}: its model card {path} would be written where {what} is; remove "
                             f"{remove}, or choose another model file name")
    write_target(path)
    if path.is_file() and not _replaceable(path):  # a note of the user's named so: replacing it would lose it
        raise ModelPathError(f"{model_file}: its model card would be written to {path}, a file that is not a model "
                             f"card (it does not begin with {CARD_TITLE.strip()!r}), which would be replaced",
                             f"remove it first if it may go, or {ModelPathError.ANOTHER_PATH}")
    return path


CARD_TITLE = "# Model card: tagger "
"""How every card :func:`model_card` writes begins (the tagger's version follows)."""


def _replaceable(path: Path) -> bool:
    """Whether the file ``path`` may be replaced by a card: it begins as a card does (:data:`CARD_TITLE`; a
    byte-order mark allowed), or is empty (nothing to lose)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return False
    return not head or head.decode("utf-8-sig", errors="replace").startswith(CARD_TITLE)


def _f(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _n(count: object) -> str:
    """A count as the reports print one (:func:`~tagger.common.terminal.grouped`: ``1,635``); ``?`` when unknown."""
    if isinstance(count, int) and not isinstance(count, bool):
        return grouped(count)
    return "?" if count is None else str(count)


def _ci(ci: list | None) -> str:
    return "" if not ci else f" [{ci[0]:.2f}, {ci[1]:.2f}]"


def _run(runs: list[dict], system: str) -> dict | None:
    return next((r for r in runs if r.get("system") == system), None)


def _evaluation(report: Mapping) -> list[str]:
    lines: list[str] = []
    dev = report.get("dev") or {}
    run = _run(dev.get("runs") or [], "tagger")
    ci = (dev.get("bootstrap_ci") or {}).get("tagger") or {}
    if run:
        m = run["metrics"]
        level = int(round(100 * ci.get("level", 0.95)))
        lines += [f"**Real dev set** (primary: {_n(m['n'])} paragraphs of real reports nobody trained on, two blind "
                  f"reads; {level} % intervals from {_n(ci.get('n_boot'))} report resamples): micro-F1 "
                  f"**{_f(m['micro_f1'])}**{_ci(ci.get('micro_f1'))}, macro-F1 {_f(m['macro_f1'])} "
                  f"({_f(m.get('macro_f1_supported'))} over the {_n(m.get('labels_supported'))} labels present), "
                  f"precision {_f(m['precision'])}, recall {_f(m['recall'])}.", "",
                  "| label | F1 | 95 % interval | precision | recall | average precision | paragraphs |",
                  "|---|---|---|---|---|---|---|"]
        aps = run.get("average_precision") or [None] * len(LABELS)
        for lab, ap in zip(LABELS, aps):
            pl = m["per_label"][lab]
            if not pl.get("support"):
                lines.append(f"| {lab} | – | – | – | – | – | 0 (not measured here) |")
                continue
            lci = ((ci.get("per_label") or {}).get(lab) or {}).get("f1")
            lines.append(f"| {lab} | {_f(pl['f1'])} | {_ci(lci).strip() or '–'} | {_f(pl['precision'])} | "
                         f"{_f(pl['recall'])} | {_f(ap, 2)} | {_n(pl['support'])} |")
        lines.append("")
        for name, sub in (dev.get("subsets") or {}).items():
            lines.append(f"- {name} ({_n(sub['n'])} paragraphs): micro-F1 {_f(sub['micro_f1'])}, precision "
                         f"{_f(sub['precision'])}, recall {_f(sub['recall'])}")
        curve = dev.get("review_curve") or {}
        if curve.get("shares"):
            def reach(target: float) -> str:
                hit = next((s for s, f in zip(curve["shares"], curve["micro_f1"]) if f >= target), None)
                return "more than the curve covers" if hit is None else f"{hit:.0%}"

            lines.append(f"- with a review of the least certain paragraphs (`tagger tag --review`): micro-F1 0.85 "
                         f"after reviewing {reach(0.85)} of them, 0.89 (two readers' agreement) after {reach(0.89)}")
        lines.append("")
    else:
        lines += ["**Real dev set**: not measured in this report (its texts were not present when "
                  "`python evaluate.py` ran).", ""]
    authored = _run(report.get("authored_only") or [], "tagger, authored only")
    if authored:
        lines += [f"**Authored → real** (the same design trained on authored text only, scored on "
                  f"{_n(authored['metrics']['n'])} real paragraphs): micro-F1 "
                  f"{_f(authored['metrics']['micro_f1'])}.", ""]
    lodo = report.get("lodo") or {}
    lrun = _run(lodo.get("runs") or [], "tagger")
    parts = lodo.get("parts") or {}  # labels/imported.jsonl added real reports: each part scored apart too
    seed_f1 = (parts.get("seed") or {}).get("micro_f1", lrun["metrics"]["micro_f1"] if lrun else None)
    if lrun:
        boot = lodo.get("bootstrap_ci") or {}
        lci = boot if "micro_f1" in boot else boot.get("tagger") or {}
        pooled = f"micro-F1 {_f(lrun['metrics']['micro_f1'])}{_ci(lci.get('micro_f1'))}"
        if "imported" in parts:
            imported = parts["imported"]
            folds = imported.get("folds", imported["reports"])  # a report of an earlier release: one per report
            how = ("leave one report out" if folds >= imported["reports"] else
                   f"leave one seed report out, the imported reports in grouped {folds}-fold")
            lines += [f"**Seed and imported reports, {how}** (secondary: the lexicon and codebook "
                      "were written by people who read the seed reports; the imported reports "
                      f"({_n(imported['reports'])}) "
                      f"are real and reviewed): {pooled}; the seed reports alone {_f(seed_f1)}, the imported ones "
                      f"{no_label_line(imported) or _f(imported['micro_f1'])}.", ""]
        else:
            lines += [f"**Seed reports, leave one report out** (secondary: the lexicon and codebook were written by "
                      f"people who read them): {pooled}.", ""]
    if run and lrun:
        gap = seed_f1 - run["metrics"]["micro_f1"]
        lines += [f"Believe the dev set: the seed number overstates real accuracy by {gap:.2f}.", ""]
    return lines


def _failure_modes(report: Mapping | None) -> list[str]:
    lines = ["- Paragraphs that only *plan*, *announce* or *summarise* a service (slogans, work plans, year-end "
             "totals) and quotes that praise it are often tagged as if the service was done.",
             "- Cue-free wording is missed: elders named by kinship, age or honorific; an old compound's wiring "
             "described through one household; a business connection told through a project or a park.",
             "- A story's later paragraphs that continue a service without naming it again.",
             "- Reports that are mostly about something else (outage repair, line moves, party study) draw "
             "false positives from shared vocabulary."]
    dev = (report or {}).get("dev") or {}
    run = _run(dev.get("runs") or [], "tagger")
    if run:
        measured = [(lab, run["metrics"]["per_label"][lab]) for lab in LABELS
                    if run["metrics"]["per_label"][lab].get("support")]
        missing = [lab for lab in LABELS if not run["metrics"]["per_label"][lab].get("support")]
        if measured:
            lab, pl = min(measured, key=lambda x: x[1]["f1"])
            lines.append(f"- The weakest label on real text is `{lab}` ({LABEL_NAMES[lab]}): F1 {pl['f1']:.2f}.")
        for lab in missing:
            lines.append(f"- `{lab}` has no paragraph in the real dev set: its quality on real reports is "
                         "unmeasured (seed and authored text only).")
        hard = (dev.get("subsets") or {}).get("hard-negative reports")
        if hard:
            lines.append(f"- On reports that are mostly hard negatives, precision falls to {hard['precision']:.2f}.")
    return lines


def model_card(manifest: Mapping, report: Mapping | None = None, model_file: str = "tagger.npz") -> str:
    """The card's Markdown for a model (its manifest) and an evaluation report (``cv_report.json``).

    The report's numbers are used only when its data hash, seed and encoder are the model's; else the
    card says so.
    """
    hp = manifest.get("hyperparameters") or {}
    thresholds = manifest.get("thresholds") or {}
    n_train, n_authored = manifest.get("n_train"), manifest.get("n_authored")
    lines = [f"{CARD_TITLE}{manifest.get('tagger_version', '?')} (`{model_file}`)", "",
             "Written by `python train.py` next to the model; the evaluation numbers come from "
             "`reports/cv_report.json` (`python evaluate.py`). Do not edit by hand.", "",
             "## What it does", "",
             "Tags each paragraph of a Chinese power-utility service report (State Grid 供电公司 / China Southern "
             "Grid 供电局 news of public-service work) with any of five labels, as `labels/CODEBOOK.md` defines "
             "them:", ""]
    lines += [f"- `{lab}`: {LABEL_NAMES[lab]}" for lab in LABELS]
    lines += ["", "**Intended use**: counting, searching and comparing reported services across a corpus of such "
              "reports, by company and over time — best with a short review of the least certain paragraphs "
              "(`tagger tag --review`), which is how a corpus reaches human-level agreement.", "",
              "**Not for**: judging a single report or a single company without reading it; text of other "
              "genres or languages; anything where a missed or wrong tag harms a person.", "",
              "## Model", "",
              f"- TF-IDF of words (1–{hp.get('word_ngram_max', '?')}-grams) and hashed character "
              f"{hp.get('char_ngram_min', '?')}–{hp.get('char_ngram_max', '?')}-grams"
              + (", plus codebook lexicon features" if hp.get("use_lexicon") else "")
              + (", plus role cues (a sentence naming a service's beneficiary and what was done, no plan)"
                 if hp.get("use_roles") else "")
              + f"; one logistic regression per label (C={hp.get('C', '?')}, class weight "
              f"{hp.get('class_weight', '?')}); per-label thresholds tuned on held-out folds.",
              "- Thresholds: " + ", ".join(f"`{lab}` {thresholds[lab]:.2f}" for lab in LABELS if lab in thresholds),
              context_line(hp, manifest.get("report_context_weights")),
              rules_line(hp),
              f"- File format {manifest.get('format_version', '?')}: arrays (`.npz`, no code runs on load) and a JSON "
              f"manifest with versions, labels, thresholds, hyperparameters and the data hash "
              f"`{str(manifest.get('data_hash', '?'))[:16]}…`.",
              "", "## Training data", "",
              f"{_n(n_train)} labelled paragraphs: {_real_paragraphs(manifest)} and {_n(n_authored)} written "
              "by the team in their own words after reading other real reports (contrast sets that share "
              "vocabulary and differ in the codebook's decision, and whole authored reports), each label read "
              "twice. No real dev-set paragraph is ever trained on; real report text is never in the repository "
              "(see README, *Training data*).", "", "## How well it does", ""]
    if report is None:
        lines += ["No evaluation report found: run `python evaluate.py`.", ""]
    elif (other := _made_for_another_model(manifest, report)) is not None:
        lines += [other, ""]
        report = None
    else:
        lines += _evaluation(report)
    for key in ("cv_summary", "cv_imported_summary"):  # the seed reports' figure, the imported reports' apart
        cv = manifest.get(key)
        if cv and not (report or {}).get("lodo"):  # the report's own cross-validation run is shown above
            lines += [f"Measured while training: {cv['scheme']}, {lodo_part_line(cv)}.", ""]
    lines += ["## Known failure modes", "", *_failure_modes(report), "",
              "## Retrain", "",
              "```bash", "python train.py            # the model, its manifest and this card",
              "python evaluate.py         # the three yardsticks (reports/); refreshes this card",
              "```", "",
              "Add reviewed paragraphs with `tagger review FILE --export` or `tagger labels import FILE`, then "
              "retrain; see README, *Growing the labelled set*.", ""]
    return "\n".join(lines)


def _real_paragraphs(manifest: Mapping) -> str:
    """The card's count of the model's real training paragraphs: the seed reports' and the imported ones apart, with
    their reports (a manifest written before they were kept apart: the real ones together).

    Example:
        >>> _real_paragraphs({"n_seed": 109, "seed_reports": 5, "n_imported": 4, "imported_reports": 3})
        '109 from the 5 real seed reports, 4 imported (real, reviewed) from 3 reports'
        >>> _real_paragraphs({"n_seed": 113, "seed_reports": 5, "n_imported": 0, "imported_reports": 0})
        '113 from the 5 real seed reports'
        >>> _real_paragraphs({"n_real": 113})
        '113 real (from the seed reports, and any imported)'
    """
    n_seed, seed_reports = manifest.get("n_seed"), manifest.get("seed_reports")
    if not isinstance(n_seed, int) or not isinstance(seed_reports, int):
        return f"{_n(manifest.get('n_real'))} real (from the seed reports, and any imported)"
    said = f"{_n(n_seed)} from the {_n(seed_reports)} real seed report{'' if seed_reports == 1 else 's'}"
    n_imported, imported_reports = manifest.get("n_imported") or 0, manifest.get("imported_reports") or 0
    if n_imported:
        said += (f", {_n(n_imported)} imported (real, reviewed) from {_n(imported_reports)} "
                 f"report{'' if imported_reports == 1 else 's'}")
    return said


def _made_for_another_model(manifest: Mapping, report: Mapping) -> str | None:
    """Why ``report`` does not measure the model of ``manifest`` (another seed, encoder or data hash), or
    ``None`` when it does.

    Example:
        >>> _made_for_another_model({"data_hash": "a", "hyperparameters": {"random_state": 7}},
        ...                         {"context": {"data_hash": "a", "seed": 0}})[:60]
        'The evaluation report in `reports/` was made with --seed 0, '
    """
    ctx = report.get("context") or {}
    hp = manifest.get("hyperparameters") or {}
    seed, trained_seed = ctx.get("seed"), hp.get("random_state")
    if seed is not None and trained_seed is not None and seed != trained_seed:
        return (f"The evaluation report in `reports/` was made with --seed {seed}, this model with --seed "
                f"{trained_seed}: run `python evaluate.py --seed {trained_seed}` to measure it.")
    encoder, trained_encoder = (ctx.get("hyperparameters") or {}).get("encoder"), hp.get("encoder")
    if encoder != trained_encoder:
        if trained_encoder and not encoder:
            return ("The evaluation report in `reports/` measured the model without the sentence encoder; this one "
                    f"was trained with it (`{trained_encoder}`, `python train.py --encoder`): the report's "
                    "\"with the sentence encoder\" row measures that design (`python evaluate.py` with the encoder "
                    "installed).")
        return (f"The evaluation report in `reports/` measured the model with the sentence encoder `{encoder}`, "
                "and this one was trained without it: run `python evaluate.py` to measure it.")
    if ctx.get("data_hash") != manifest.get("data_hash"):
        return (f"The evaluation report in `reports/` was made for other training data or options (data hash "
                f"`{str(ctx.get('data_hash'))[:16]}…`): run `python evaluate.py` to measure this model.")
    return None


def context_line(hp: Mapping, weights: Mapping | None) -> str:
    """The card's line on the report-context stage.

    Example:
        >>> context_line({"report_context": False}, None)
        '- Report context: off (every paragraph scored on its own).'
    """
    if not hp.get("report_context") or not weights or not any(weights.values()):
        return "- Report context: off (every paragraph scored on its own)."
    listed = ", ".join(f"`{lab}` {weights[lab]:+.3f}" for lab in LABELS if lab in weights)
    return ("- Report context: a paragraph scored with its report moves by the strongest other paragraph's "
            f"log-odds for the same label, weights {listed}; the thresholds are the first stage's.")


def rules_line(hp: Mapping) -> str:
    """The card's line on the codebook rules applied when scoring (a setting the manifest lacks reads as on, as a
    model file without it loads).

    Example:
        >>> rules_line({"suppress_headings": True, "suppress_plans": False, "suppress_closings": False,
        ...             "require_power_sector": True, "villages_not_compounds": False, "farms_not_enterprises": False})
        '- No label, whatever the scores: headings and photo captions; with their report, every paragraph of a report of three or more body paragraphs that names no power utility.'
        >>> rules_line({"suppress_headings": False, "suppress_plans": False, "suppress_closings": False,
        ...             "require_power_sector": False, "villages_not_compounds": False, "farms_not_enterprises": False})
        '- No label, whatever the scores: empty paragraphs only.'
        >>> rules_line({"suppress_headings": False, "suppress_plans": False, "suppress_closings": False,
        ...             "require_power_sector": False, "farms_not_enterprises": False})[-90:]
        'o `old_neighbourhood_retrofit` for a village paragraph of a report that names no compound.'
        >>> rules_line({})[-80:]
        "tion_speed` for a paragraph of farm households' supply that names no enterprise."
    """
    rules = [text for key, text in (
        ("suppress_headings", "headings and photo captions"),
        ("suppress_plans", "paragraphs that open as a plan (下一步, 明年…计划)"),
        ("suppress_closings", "closings that name no act of service (此次活动…弘扬…)"),
        ("require_power_sector", "with their report, every paragraph of a report of three or more body paragraphs "
                                 "that names no power utility")) if hp.get(key, True)]
    by_label = hp.get("villages_not_compounds", True) or hp.get("farms_not_enterprises", True)  # rules of one label
    line = f"- No label, whatever the scores: {'; '.join(rules) or 'empty paragraphs' + ('' if by_label else ' only')}."
    if hp.get("villages_not_compounds", True):
        line += (" With their report, no `old_neighbourhood_retrofit` for a village paragraph of a report that names "
                 "no compound.")
    if hp.get("farms_not_enterprises", True):
        line += " No `business_connection_speed` for a paragraph of farm households' supply that names no enterprise."
    return line


def card_text(model_file: str | Path, manifest: Mapping, report_json: str | Path | None) -> str:
    """The card of ``model_file`` (its manifest given), with the evaluation report ``report_json``: a missing or
    unreadable report gives a card that says so."""
    from ..common.files import load_json

    report = None
    if report_json is not None and Path(report_json).is_file():
        try:
            report = load_json(Path(report_json).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            report = None
    return model_card(manifest, report, Path(model_file).name)


def write_model_card(model_file: str | Path, manifest: Mapping, report_json: str | Path | None) -> Path:
    """Write the card beside ``model_file`` (atomically; :func:`card_text`) and return its path."""
    from ..common.atomic import atomic_write

    path = card_path(model_file)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(card_text(model_file, manifest, report_json))
    return path
