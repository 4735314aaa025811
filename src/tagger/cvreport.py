"""``python evaluate.py``: run every cross-validation the report needs and write it.

Everything in the report is computed in this run: the shipped model, baselines and ablations on the
same folds, document-bootstrap intervals, the learning curve, figures, model insight and errors.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .config import Hyperparameters
from .data import data_hash, label_matrix
from .evaluation import (Fold, System, _is_real, _tagger_fit, default_systems, learning_curve, make_folds,
                         run_cv_many)
from .persistence import library_versions
from .report import render_markdown, run_to_dict, write_reports
from .stats import document_bootstrap
from .training import Resources, git_commit, load_resources, train

__all__ = ["EvalOptions", "run_evaluation"]

log = logging.getLogger(__name__)


@dataclass
class EvalOptions:
    """Options of ``python evaluate.py`` (see ``--help``)."""

    root: str | Path = "."
    out: str | Path = "reports"
    scheme: str = "both"  # "lodo", "kfold" or "both" (LODO primary, K-fold secondary)
    folds: int = 5
    repeats: int = 2
    seed: int = 0
    jobs: int = 2
    ablations: bool = True
    plots: bool = True
    learning_curve: bool = True
    n_boot: int = 2000


AUTHORED_ONLY_ABLATIONS = [("no char n-grams", {"use_char": False}), ("no word n-grams", {"use_word": False}),
                           ("no TF-IDF (lexicon features only)", {"use_word": False, "use_char": False}),
                           ("no lexicon features", {"use_lexicon": False})]


def _authored_only(res: Resources, hp: Hyperparameters, ablations: bool, jobs: int):
    """Train on authored rows only, score every real paragraph: one fit per system. No real text
    is in training, so this is the cleanest view of what each ingredient adds on unseen text."""
    n = len(res.examples)
    fold = Fold("authored->seeds", np.array([i for i in range(n) if not _is_real(res.examples[i])]),
                np.array([i for i in range(n) if _is_real(res.examples[i])]))
    systems = [System("tagger, authored only", "trained on the authored supplement only, tested on all real "
                      "paragraphs", _tagger_fit(hp, res.lexicon, res.user_words), kind="model")]
    if ablations:
        systems += [System(f"authored only, {name}", f"authored-only model with {change}",
                           _tagger_fit(hp.replace(**change), res.lexicon, res.user_words), kind="ablation")
                    for name, change in AUTHORED_ONLY_ABLATIONS]
    return run_cv_many(res.examples, [(s, [fold], "authored->seeds", False) for s in systems], n_jobs=jobs)


def run_evaluation(opts: EvalOptions) -> tuple[str, dict, list[Path]]:
    """Run the cross-validation report; returns (markdown, JSON payload, written paths)."""
    start = time.perf_counter()
    res = load_resources(opts.root)
    hp = Hyperparameters(seed=opts.seed)
    has_auth = res.n_authored > 0
    systems = default_systems(hp, res.lexicon, res.user_words, ablations=opts.ablations, has_authored=has_auth)
    schemes = ["lodo", "kfold"] if opts.scheme == "both" else [opts.scheme]
    specs = []
    for scheme in schemes:
        folds = make_folds(res.examples, scheme, n_folds=opts.folds, repeats=opts.repeats, seed=opts.seed)
        chosen = systems if scheme == schemes[0] else [s for s in systems if s.kind != "ablation"]
        specs += [(system, folds, scheme, k == 0 and scheme == schemes[0]) for k, system in enumerate(chosen)]
    log.info("cross-validation: %d systems x folds", sum(len(f) for _, f, _, _ in specs))
    runs = run_cv_many(res.examples, specs, n_jobs=opts.jobs)
    primary = [r for r in runs if r.scheme == schemes[0]]
    secondary = [r for r in runs if r.scheme != schemes[0]]
    extra = _authored_only(res, hp, opts.ablations, opts.jobs) if has_auth else []
    main = primary[0]
    ci = document_bootstrap(main.y_true, main.y_pred, main.docs, n_boot=opts.n_boot, seed=opts.seed) \
        if main.scheme == "lodo" else None
    learning = []
    if opts.learning_curve and main.scheme == "lodo":
        log.info("learning curve")
        learning = learning_curve(res.examples, hp, res.lexicon, res.user_words, repeats=2, seed=opts.seed,
                                  n_jobs=opts.jobs)
    full = train(res, hp)
    from .insight import confident_errors, top_terms

    terms = top_terms(full)
    texts = {ex.id: ex.text for ex in res.examples}
    errors = confident_errors(main, texts) if main.models else []
    thresholds = {}
    if main.fold_thresholds:
        med = np.median(np.array(main.fold_thresholds), axis=0)
        thresholds = {lab: float(t) for lab, t in zip(full.labels, med)}
    figures: dict[str, str] = {}
    out_dir = Path(opts.out)
    if opts.plots:
        from . import figures as fg

        fig_dir = out_dir / "figures"
        real = [ex for ex in res.examples if _is_real(ex)]
        figures["pr_curves"] = "figures/pr_curves.png"
        fg.pr_curves(main.y_true.astype(bool), main.scores, main.y_pred.astype(bool), thresholds,
                     fig_dir / "pr_curves.png")
        figures["f1_threshold"] = "figures/f1_threshold.png"
        fg.f1_vs_threshold(main.y_true, main.scores, thresholds, fig_dir / "f1_threshold.png")
        if learning:
            figures["learning_curve"] = "figures/learning_curve.png"
            fg.learning_curve_plot(learning, fig_dir / "learning_curve.png")
        figures["cooccurrence"] = "figures/cooccurrence.png"
        fg.cooccurrence_plot(label_matrix(real), fig_dir / "cooccurrence.png",
                             f"Label co-occurrence, {len(real)} real paragraphs")
    wall = round(time.perf_counter() - start, 1)
    context = {"tagger_version": __version__, "git_commit": git_commit(opts.root),
               "data_hash": data_hash(res.examples), "n_real": res.n_real, "n_authored": res.n_authored,
               "n_docs": len({e.doc for e in res.examples if _is_real(e)}),
               "kfold": f"{opts.folds}-fold x {opts.repeats}",
               "cv_schemes": " + ".join(["leave-one-document-out" if s == "lodo" else
                                         f"multilabel-stratified {opts.folds}-fold x {opts.repeats}"
                                         for s in schemes]),
               "cv_seed": opts.seed, "model_seed": hp.seed,
               "bootstrap": f"{opts.n_boot} document resamples, seed {opts.seed}" if ci else None,
               "hyperparameters": hp.to_dict(), "versions": library_versions(), "wall_time_s": wall,
               "thresholds_median_over_folds": thresholds}
    md = render_markdown(context, primary, secondary, extra, ci, figures, learning, terms, errors)
    payload = {"context": context, "primary": [run_to_dict(r) for r in primary],
               "secondary": [run_to_dict(r) for r in secondary],
               "authored_only": [run_to_dict(r) for r in extra],
               "bootstrap_ci": ci, "learning_curve": learning, "top_terms": terms,
               "confident_errors": errors, "figures": figures}
    paths = write_reports(out_dir, md, payload, figures)
    return md, payload, paths


def run_external(test_file: str | Path, model_path: str | Path, out: str | Path = "reports", plots: bool = True,
                 n_boot: int = 2000, seed: int = 0) -> tuple[str, dict, list[Path]]:
    """The same report for an external labelled JSONL file scored by a trained model: headline
    table with bootstrap intervals (resampling the file's ``doc`` groups, or paragraphs when there
    are none), baselines, per-document table, figures, top terms and the most confident errors.
    Writes ``test_report.md/.json/.html`` (and ``figures/test_*.png``) to ``out``."""
    from .data import load_jsonl
    from .evaluation import CVRun, EmptyBaseline, KeywordBaseline, _assemble, _to_matrix
    from .insight import confident_errors, top_terms
    from .persistence import load_model
    from .report import headline_table, markdown_to_html, md_text, per_doc_table, systems_table

    start = time.perf_counter()
    examples = load_jsonl(test_file, source="external")
    model = load_model(model_path)
    texts = [e.text for e in examples]
    Y = label_matrix(examples)
    fold = Fold("external", np.array([], dtype=int), np.arange(len(examples)))
    runs: list[CVRun] = []
    for name, kind, predictor in [("tagger", "model", model), ("empty", "baseline", EmptyBaseline()),
                                  ("keyword lexicon", "baseline", KeywordBaseline(model.lexicon))]:
        thresholds = getattr(predictor, "thresholds_", None)
        output = (predictor.predict_proba(texts), _to_matrix(predictor.predict(texts)),
                  None if thresholds is None else [float(t) for t in thresholds], predictor)
        system = System(name, "", lambda train: None, kind=kind)
        runs.append(_assemble(examples, Y, system, [fold], "lodo", [output], name == "tagger", 0.0))
    main = runs[0]
    grouped = len({e.doc for e in examples}) < len(examples)
    ci = document_bootstrap(main.y_true, main.y_pred, main.docs if grouped else main.ids, n_boot=n_boot, seed=seed)
    figures: dict[str, str] = {}
    out = Path(out)
    thresholds = {lab: float(t) for lab, t in zip(model.labels, model.thresholds_)}
    if plots:
        from . import figures as fg

        figures["pr_curves"] = "figures/test_pr_curves.png"
        fg.pr_curves(main.y_true.astype(bool), main.scores, main.y_pred.astype(bool), thresholds,
                     out / figures["pr_curves"])
        figures["f1_threshold"] = "figures/test_f1_threshold.png"
        fg.f1_vs_threshold(main.y_true, main.scores, thresholds, out / figures["f1_threshold"])
    errors = confident_errors(main, {e.id: e.text for e in examples})
    terms = top_terms(model)
    wall = round(time.perf_counter() - start, 1)
    unit = "documents (the file's doc field)" if grouped else "paragraphs (the file has no doc groups)"
    lines = [f"# External test report — {md_text(str(test_file))}", "",
             f"{len(examples)} labelled paragraphs scored by {md_text(str(model_path))} (trained on data hash "
             f"`{model.manifest_.get('data_hash', '?')[:16]}`). In brackets: 95% bootstrap intervals over "
             f"{unit}. Wall time {wall} s.", "", headline_table(main, ci), "",
             "### Model and baselines on the same paragraphs", "", systems_table(runs), ""]
    if grouped:
        lines += ["### Per document", "", per_doc_table(main), ""]
    for key, title in (("pr_curves", "Precision-recall"), ("f1_threshold", "F1 against threshold")):
        if key in figures:
            lines += [f"![{title}]({figures[key]})", ""]
    from .report import _errors_table, _terms_table

    if terms:
        lines += ["## Model insight", "", _terms_table(terms), ""]
    lines += ["### Most confident errors", "", _errors_table(errors), "",
              "## Reproducibility", "", "| item | value |", "|---|---|",
              f"| tagger_version | `{__version__}` |", f"| model | {md_text(str(model_path))} |",
              f"| thresholds | `{json.dumps(thresholds)}` |",
              f"| hyperparameters | `{json.dumps(model.hp.to_dict(), ensure_ascii=False)}` |",
              f"| versions | `{json.dumps(library_versions())}` |"]
    md = "\n".join(lines) + "\n"
    payload = {"test_file": str(test_file), "model": str(model_path), "runs": [run_to_dict(r) for r in runs],
               "bootstrap_ci": ci, "confident_errors": errors, "figures": figures, "wall_time_s": wall}
    from .persistence import atomic_write

    paths = []
    for name, content in (("test_report.md", md), ("test_report.json", None), ("test_report.html", None)):
        path = out / name
        with atomic_write(path, "w", encoding="utf-8") as fh:
            if name.endswith(".md"):
                fh.write(content)
            elif name.endswith(".json"):
                json.dump(payload, fh, ensure_ascii=False, indent=2)
                fh.write("\n")
            else:
                fh.write(markdown_to_html(md, {rel: out / rel for rel in figures.values()}))
        paths.append(path)
    return md, payload, paths
