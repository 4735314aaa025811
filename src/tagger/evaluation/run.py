"""``python evaluate.py``: the three yardsticks, measured in one run, written as one report.

1. **Real dev set** (primary): the model trained on everything in the repository, scored on real
   reports nobody who wrote training text has read (:mod:`tagger.data.devset`); bootstrap intervals
   resample whole reports; the model, baselines and every ablation on the same split.
2. **Authored → real**: trained on authored text only, scored on every real paragraph: what the
   authored text teaches about real reports.
3. **Seed leave-one-report-out** (secondary): the five seed reports, each scored by a model trained
   without it. Optimistic: the codebook, lexicon and authored text were written by people who read them.
   Imported reports (labels/imported.jsonl) are scored too, in folds of their own: one each while few, else
   grouped K-fold by report (:func:`~tagger.evaluation.cv.make_folds`).

``python evaluate.py --test FILE`` scores the trained model on any labelled file instead (our JSONL, or an
annotation tool's export: :func:`tagger.annotation.interop.load_test_file`).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..common.atomic import check_output_folder
from ..common.terminal import counted, grouped
from ..data.devset import check_devset, doc_info
from ..data.examples import REVIEWED_SOURCE, Example, is_real, label_matrix, report_ids, same_text, text_keys
from ..errors import InputError, TaggerError
from ..labels import LABELS, NONE, format_label_cell
from ..model.persistence import library_versions
from ..text.report import NO_LABEL_KINDS
from ..training import Resources, git_commit, load_resources, train, training_hash
from .cv import (SHIPPED, WITH_ENCODER, CVRun, Fold, System, cv_plan, default_systems, lodo_parts, make_folds,
                 run_systems)
from ..model.uncertainty import margin
from .metrics import calibration, metrics, report_bootstrap, review_curve, threshold_ceiling
from .report import (errors_table, headline_table, md_text, per_doc_table, report_paths, run_to_dict, systems_table,
                     terms_table, write_reports)

__all__ = ["EvalOptions", "run_evaluation", "run_test", "run_test_outputs", "confident_errors", "dev_split"]

log = logging.getLogger(__name__)


@dataclass
class EvalOptions:
    """Options of ``python evaluate.py`` (see ``--help``)."""

    root: str | Path = "."
    out: str | Path = "reports"
    seed: int = 0
    jobs: int = 2
    ablations: bool = True
    plots: bool = True
    lodo: bool = True
    n_boot: int = 2000
    progress: bool = True


AUTHORED_ONLY = [("tagger, authored only", {}), ("authored only, no char n-grams", {"use_char": False}),
                 ("authored only, no word n-grams", {"use_word": False}),
                 ("authored only, no lexicon features", {"use_lexicon": False})]


def confident_errors(run: CVRun, texts: dict[str, str], n: int = 10) -> list[dict]:
    """The ``n`` paragraphs whose wrong decisions were made with the largest margin
    (``|score − threshold|``); evidence from the model that scored them (which never saw them)."""
    if run.scores is None or not run.fold_thresholds:
        return []
    thr = np.array([run.fold_thresholds[f] for f in run.fold_of])
    margin = np.where(run.y_true != run.y_pred, np.abs(run.scores - thr), 0.0)
    out = []
    for i in np.argsort(-margin.max(1), kind="stable")[:n]:
        if margin[i].max() <= 0:
            break
        model = run.models[run.fold_of[i]] if run.models else None
        gold = [LABELS[j] for j in np.flatnonzero(run.y_true[i])]
        pred = [LABELS[j] for j in np.flatnonzero(run.y_pred[i])]
        evidence = {}
        if model is not None and hasattr(model, "evidence"):
            evidence = {lab: model.evidence(texts[run.ids[i]], lab) for lab in sorted(set(gold) ^ set(pred),
                                                                                       key=LABELS.index)}
        out.append({"id": run.ids[i], "text": texts[run.ids[i]], "gold": gold, "predicted": pred,
                    "margin": round(float(margin[i].max()), 3), "evidence": evidence})
    return out


def dev_split(res: Resources, dev: list[Example]) -> tuple[list[Example], Fold]:
    """All training examples followed by the dev set, and the one fold: train on the first, score the second."""
    examples = res.examples + dev
    return examples, Fold("dev", np.arange(len(res.examples)), np.arange(len(res.examples), len(examples)))


REVIEW_SHOWN = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3)
REVIEW_VARIANTS = (WITH_ENCODER,)  # ablation rows whose review queue is shown too


def _share(share: float | None) -> str:
    return "more than 50 %" if share is None else f"{int(round(100 * share))} %"


def _queue_curve(run: CVRun, opts: EvalOptions) -> dict:
    """Corpus micro-F1 against the share reviewed, the run's own ranking deciding the order; headings and
    captions are never reviewed, as ``tag --review`` never flags them."""
    reviewable = np.array([k not in NO_LABEL_KINDS for k in run.kinds], dtype=bool) if run.kinds else None
    return review_curve(run.y_true, run.y_pred, margin(run.scores, run.fold_thresholds[0]), run.docs,
                        n_boot=min(opts.n_boot, 1000), seed=opts.seed, reviewable=reviewable)


def _queue_row(name: str, curve: dict) -> str:
    """One table row of a review curve at the shares shown, each with its bootstrap band."""
    return f"| {name} | " + " | ".join(
        f"{curve['micro_f1'][i]:.3f} [{curve['low'][i]:.2f}, {curve['high'][i]:.2f}]"
        for i in (curve["shares"].index(s) for s in REVIEW_SHOWN)) + " |"


def _subset(run: CVRun, keep: np.ndarray) -> dict:
    return metrics(run.y_true[keep], run.y_pred[keep])


def _dev_section(opts: EvalOptions, res: Resources, status, systems: list[System], payload: dict) -> list[str]:
    examples, fold = dev_split(res, status.examples)
    runs = run_systems(examples, res, systems, [fold], "dev", opts.jobs, keep_models=(SHIPPED.name,),
                       seed=opts.seed, progress=opts.progress)
    cis = {r.system: report_bootstrap(r.y_true, r.y_pred, r.docs, n_boot=opts.n_boot, seed=opts.seed) for r in runs}
    main = runs[0]
    info = doc_info(opts.root)
    hard = np.array([info.get(d, {}).get("mix") == "hard_negative" for d in main.docs])
    subsets = {"hard-negative reports": hard, "other reports": ~hard}
    lines = ["## Real dev set (primary)", "",
             f"{status.scope()}, that nobody who wrote training text "
             "has read (texts kept outside the repository; `labels/dev_manifest.csv`), scored by models trained on "
             f"all {grouped(len(res.examples))} training paragraphs. In brackets: 95% intervals from "
             f"{grouped(opts.n_boot)} bootstrap "
             "resamples of whole reports.", "", headline_table(main, cis[main.system]), "",
             "| subset | paragraphs | reports | micro F1 | macro F1 | precision | recall |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, keep in subsets.items():
        if keep.any():
            m = _subset(main, keep)
            lines.append(f"| {name} | {grouped(int(keep.sum()))} | {grouped(len(set(np.array(main.docs)[keep])))} | "
                         f"{m['micro_f1']:.3f} | "
                         f"{m['macro_f1']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} |")
    lines += ["", "### Model, baselines and ablations on the dev set", "",
              "Each row trained on the same training data and scored on the same dev paragraphs; intervals of "
              "micro F1 from the report bootstrap.", "", systems_table(runs, cis), ""]
    texts = {e.id: e.text for e in examples}
    errors = confident_errors(main, texts)
    curve = _queue_curve(main, opts)
    # model variants people may choose for reviewing (README, Yardsticks)
    variant_curves = {r.system: _queue_curve(r, opts) for r in runs[1:] if r.system in REVIEW_VARIANTS}
    lines += ["### Review queue: human-level accuracy on a corpus", "",
              "Corpus micro-F1 when a person reviews the paragraphs the model is least sure of "
              "(`tagger tag --review`; ranking: `tagger.model.uncertainty.margin`) and the rest keep the "
              "model's tags; in brackets the 95% band from resampling reports.", "",
              "| paragraphs reviewed | " + " | ".join(f"{int(100 * s)} %" for s in REVIEW_SHOWN) + " |",
              "|---|" + "---:|" * len(REVIEW_SHOWN), _queue_row("corpus micro-F1", curve),
              *(_queue_row(f"… {name}", c) for name, c in variant_curves.items())]
    lines += ["",
              "Share to review to reach micro-F1 0.85: " + _share(curve["needed"][0.85]) + "; to reach 0.89 (two "
              "careful human readers' agreement on such reports): " + _share(curve["needed"][0.89]) + ".", ""]
    cal = calibration(main.y_true, main.scores)
    lines += ["### Are the scores probabilities?", "",
              "For each label present in the dev set: the share of paragraphs that have it, the mean score the "
              "model gives, the Brier score and the expected calibration error (10 bins). A score of 0.3 should "
              "mean about 3 in 10 such paragraphs have the label; the smaller the error, the more the scores "
              "can be read that way (and the more the review ranking's log-odds distances mean).", "",
              "| label | rate | mean score | Brier | calibration error |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {lab} | {c['rate']:.3f} | {c['mean_score']:.3f} | {c['brier']:.4f} | {c['ece']:.3f} |"
              for lab, c in zip(LABELS, cal) if c["rate"] > 0]
    lines += [""]
    ceiling = threshold_ceiling(main.y_true, main.y_pred, main.scores, main.fold_thresholds[0])
    lines += ["### Thresholds or ranking?", "",
              "Each label's F1 at the model's threshold against the best F1 any threshold would give on these "
              "paragraphs (chosen on the dev set itself: an upper bound, not a score). When the two are close, "
              "better thresholds cannot help: only a better ranking of the paragraphs (average precision) can.",
              "", "| label | threshold | F1 | best threshold here | best F1 here | average precision |",
              "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {lab} | {c['threshold']:.2f} | {c['f1']:.3f} | {c['best_threshold']:.2f} | {c['best_f1']:.3f} | "
              f"{c['average_precision']:.3f} |" for lab, c in ceiling["per_label"].items()]
    lines += ["", f"Micro-F1 with every label at its best threshold here: {ceiling['best_micro_f1']:.3f} (the model: "
              f"{ceiling['micro_f1']:.3f}).", ""]
    payload["dev"] = {"runs": [run_to_dict(r) for r in runs], "bootstrap_ci": cis,
                      "calibration": dict(zip(LABELS, cal)), "threshold_ceiling": ceiling,
                      "subsets": {k: _subset(main, v) for k, v in subsets.items() if v.any()},
                      "review_curve": curve, "review_curve_variants": variant_curves,
                      "errors": [{k: v for k, v in e.items() if k != "text"} for e in errors]}
    payload["_dev_main"] = main
    payload["_dev_errors"] = errors
    return lines


def _authored_section(opts: EvalOptions, res: Resources, dev: list[Example], payload: dict) -> list[str]:
    examples = res.examples + dev
    train_idx = np.array([i for i, e in enumerate(examples) if not is_real(e)])
    test_idx = np.array([i for i, e in enumerate(examples) if is_real(e)])
    systems = [System(name, f"trained on authored text only, {change or 'as shipped'}",
                      "model" if not change else "ablation", tuple(change.items()))
               for name, change in (AUTHORED_ONLY if opts.ablations else AUTHORED_ONLY[:1])]
    runs = run_systems(examples, res, systems, [Fold("authored->real", train_idx, test_idx)], "authored->real",
                       opts.jobs, seed=opts.seed, progress=opts.progress)
    payload["authored_only"] = [run_to_dict(r) for r in runs]
    where = "the seed and dev-set paragraphs" if dev else "the seed paragraphs"
    return ["## Authored → real", "",
            f"Trained on the {grouped(len(train_idx))} authored paragraphs only, scored on {where} "
            f"({grouped(len(test_idx))}): "
            "what the authored text alone teaches about real reports.", "", systems_table(runs), ""]


LODO_NAMES = {"seed": {"title": "Seed reports", "short": "seed LODO", "per": "Per seed report"},
              "imported": {"title": "Seed and imported reports", "short": "seed and imported LODO",
                           "per": "Per seed and imported report"}}
"""How the report names the cross-validation run: it scores the seed reports, and also the real reports
labels/imported.jsonl adds when there are any (its ``parts`` then score each apart: :func:`~.cv.lodo_parts`); once
those are grouped in folds (:func:`~.cv.make_folds`) the run is named as :func:`_lodo_names` says."""


def _lodo_names(payload: dict) -> dict[str, str]:
    parts = payload.get("lodo", {}).get("parts")
    if not parts:
        return LODO_NAMES["seed"]
    imported = parts["imported"]
    folds = imported.get("folds", imported["reports"])
    if folds >= imported["reports"]:
        return LODO_NAMES["imported"]
    return {"title": "Seed and imported reports", "short": f"seed LODO and imported grouped {folds}-fold",
            "per": "Per seed and imported report"}


def _lodo_section(opts: EvalOptions, res: Resources, systems: list[System], payload: dict) -> list[str]:
    chosen = [s for s in systems if s.kind != "ablation" or s.train_on == "real"]
    folds = make_folds(res.examples, "lodo", skip="--no-lodo")
    n_docs = len({e.doc for e in res.examples if is_real(e)})
    log.info("cross-validation, %s: %s (%s × %s; --no-lodo skips it)", cv_plan(res.examples),
             counted(len(folds) * len(chosen), "fit"), counted(len(chosen), "system"), counted(len(folds), "fold"))
    runs = run_systems(res.examples, res, chosen, folds, "lodo",
                       opts.jobs, keep_models=(SHIPPED.name,), seed=opts.seed, progress=opts.progress)
    main = runs[0]
    ci = report_bootstrap(main.y_true, main.y_pred, main.docs, n_boot=opts.n_boot, seed=opts.seed)
    payload["lodo"] = {"runs": [run_to_dict(r) for r in runs], "bootstrap_ci": ci}
    payload["_lodo_main"] = main
    payload["_lodo_errors"] = confident_errors(main, {e.id: e.text for e in res.examples})
    parts = lodo_parts(main, res.examples, n_boot=opts.n_boot, seed=opts.seed)
    if "imported" not in parts:
        return [f"## {LODO_NAMES['seed']['title']}, leave one report out (secondary)", "",
                f"Each of the {grouped(n_docs)} seed reports scored by models trained on everything else. "
                "Optimistic: the "
                "codebook, the lexicon and the authored text were written by people who had read these reports. "
                f"Intervals resample the {grouped(n_docs)} reports: indicative only.", "", headline_table(main, ci), "",
                systems_table(runs), ""]
    # labels/imported.jsonl adds real reports, folds of their own: the pooled figure is no longer the seed reports' one
    payload["lodo"]["parts"] = parts
    seed, imported = parts.get("seed"), parts["imported"]
    apart = [f"the seed reports, micro-F1 {seed['micro_f1']:.3f} (paragraphs: {grouped(seed['paragraphs'])}; "
             "the ones a "
             "checkout without imported labels scores)"] if seed else []
    apart.append(f"the imported reports, micro-F1 {imported['micro_f1']:.3f} "
                 f"(paragraphs: {grouped(imported['paragraphs'])})")
    if imported["folds"] < imported["reports"]:  # many: grouped folds, not a fold each
        title = f"## {LODO_NAMES['imported']['title']}, cross-validated (secondary)"
        how = (f"Each of the {grouped(seed['reports'] if seed else 0)} seed reports scored by models trained on "
               f"everything else, and the {grouped(imported['reports'])} imported ones (real and reviewed: "
               f"labels/imported.jsonl) in grouped {imported['folds']}-fold cross-validation: split by report into "
               f"{imported['folds']} folds, each scored by models trained on everything but its own reports (a fold "
               "per report would be a fit per report). ")
    else:
        title = f"## {LODO_NAMES['imported']['title']}, leave one report out (secondary)"
        how = (f"Each of the {grouped(n_docs)} real reports ({grouped(seed['reports'] if seed else 0)} seed reports "
               f"and {grouped(imported['reports'])} imported ones, real and reviewed: labels/imported.jsonl) scored "
               "by models trained on everything else. ")
    return [title, "",
            how + "Optimistic for the seed reports: the codebook, the lexicon and the authored text "
            f"were written by people who had read them. Intervals resample the {grouped(n_docs)} reports: indicative "
            "only. "
            f"Scored apart: {'; '.join(apart)}.", "", headline_table(main, ci), "", systems_table(runs), ""]


def run_evaluation(opts: EvalOptions) -> tuple[str, dict, list[Path]]:
    """Measure the three yardsticks and write ``cv_report.md/.json/.html`` (and figures) to ``opts.out``.

    Raises:
        InputError: ``opts.out`` is no folder files can be written in (a file, ``/dev/null``, a read-only place),
            said before minutes of measuring (:func:`~tagger.common.atomic.check_output_folder`)."""
    check_output_folder(opts.out)
    start = time.perf_counter()
    res = load_resources(opts.root)
    status = check_devset(opts.root)
    systems = default_systems(opts.ablations, has_authored=res.n_authored > 0)
    payload: dict = {}
    body: list[str] = []
    if status.usable:
        log.info("dev set: %s", status.scope())
        body += _dev_section(opts, res, status, systems, payload)
    else:
        body += ["## Real dev set (primary)", "", f"**Not measured in this run** — {md_text(status.summary())}. "
                 "The numbers below are the secondary yardsticks only; the dev-set results, measured where the "
                 "texts were present, are in the committed report (`reports/cv_report.md`) and the README.", ""]
    if res.n_authored:
        body += _authored_section(opts, res, status.examples if status.usable else [], payload)
    if opts.lodo:
        body += _lodo_section(opts, res, systems, payload)
    full = train(res, random_state=opts.seed)
    terms = {lab: full.top_terms(lab, 10) for lab in LABELS}
    figures: dict[str, str] = {}
    main = payload.pop("_dev_main", None) or payload.get("_lodo_main")
    lodo_name = _lodo_names(payload)["short"]
    if opts.plots and main is not None:
        from . import figures as fg

        where = "dev set" if main.scheme == "dev" else lodo_name
        out = Path(opts.out)
        thresholds = dict(zip(LABELS, np.median(np.array(main.fold_thresholds), axis=0).tolist()))
        figures["pr_curves"] = "figures/pr_curves.png"
        fg.pr_curves(main.y_true.astype(bool), main.scores, main.y_pred.astype(bool), thresholds,
                     out / figures["pr_curves"], f"Precision-recall ({where})")
        figures["f1_threshold"] = "figures/f1_threshold.png"
        fg.f1_vs_threshold(main.y_true, main.scores, thresholds, out / figures["f1_threshold"])
        real = [e for e in res.examples if is_real(e)] + (status.examples if status.usable else [])
        if "review_curve" in payload.get("dev", {}):
            figures["review_curve"] = "figures/review_curve.png"
            fg.review_curve_plot(payload["dev"]["review_curve"], out / figures["review_curve"],
                                 "Review queue on the real dev set")
        figures["cooccurrence"] = "figures/cooccurrence.png"
        fg.cooccurrence_plot(label_matrix(real), out / figures["cooccurrence"],
                             f"Label co-occurrence, {grouped(len(real))} real paragraphs")
    payload.pop("_lodo_main", None)
    dev_errors = payload.pop("_dev_errors", [])
    lodo_errors = payload.pop("_lodo_errors", [])
    wall = round(time.perf_counter() - start, 1)
    context = {"tagger_version": __version__, "git_commit": git_commit(opts.root), "data_hash": full.data_hash_,
               "n_training": len(res.examples), "n_real_training": res.n_real, "n_authored": res.n_authored,
               "dev": status.summary(), "seed": opts.seed, "bootstrap": f"{grouped(opts.n_boot)} report resamples",
               "hyperparameters": {k: v for k, v in full.get_params().items() if k not in ("lexicon", "user_words")},
               "versions": library_versions(), "wall_time_s": wall}
    head = [f"# Evaluation report — tagger {__version__}", "",
            f"Training data: {grouped(res.n_real)} real seed/imported paragraphs + {grouped(res.n_authored)} authored "
            "paragraphs "
            f"(data hash `{context['data_hash'][:16]}`). {md_text(status.summary())}. Wall time {wall} s.", ""]
    details = ["## Details", ""]
    if "review_curve" in figures:
        details += [f"![Review curve]({figures['review_curve']})", ""]
    if "pr_curves" in figures:
        details += [f"![Precision-recall curves]({figures['pr_curves']})", "",
                    f"![F1 against threshold]({figures['f1_threshold']})", "",
                    f"![Co-occurrence]({figures['cooccurrence']})", ""]
    details += ["### Model insight", "", "Linear coefficients of the model trained on all training data "
                "(`word:` words and word pairs, `char:` character n-grams, `lex_*` lexicon features, `role:` role cues).", "",
                terms_table(terms), ""]
    if dev_errors:
        details += ["### Most confident errors on the dev set", "", "Paragraph ids only: dev-set text is not ours "
                    "to publish (`tagger devset check` shows where the texts are).", "",
                    errors_table(dev_errors, with_text=False), ""]
    if lodo_errors:
        details += [f"### Most confident errors, {lodo_name}", "", errors_table(lodo_errors), ""]
    if "lodo" in payload:
        details += [f"### {_lodo_names(payload)['per']}", "",
                    per_doc_table(CVRun(**{**_run_fields(payload["lodo"]["runs"][0])})), ""]
    details += ["### Reproducibility", "", "| item | value |", "|---|---|"]
    for key in ("tagger_version", "git_commit", "data_hash", "seed", "bootstrap", "wall_time_s"):
        details.append(f"| {key} | `{context.get(key)}` |")
    details.append(f"| hyperparameters | `{json.dumps(context['hyperparameters'], ensure_ascii=False)}` |")
    details.append(f"| versions | `{json.dumps(context['versions'])}` |")
    md = "\n".join(head + body + details) + "\n"
    payload.update(context=context, top_terms=terms, figures=figures, lodo_errors=lodo_errors)
    paths = write_reports(opts.out, "cv_report", md, payload, figures)
    return md, payload, paths


def _run_fields(d: dict) -> dict:
    return {"system": d["system"], "description": d["description"], "kind": d["kind"], "scheme": d["scheme"],
            "metrics": d["metrics"], "per_doc": d["per_doc"]}


MAX_IMPORT_COUNTS = 200
"""How many counts of rows imported since training :func:`_seen_by_model` tries for a model whose manifest has no
``n_train`` (saved with ``Tagger.save`` by hand, not by ``train.py``): each is a hash of all the training data, so
more imports than this since such a model was trained cannot be told apart ("cannot be told")."""


def _seen_by_model(resources: Resources, examples: list[Example], model) -> tuple[set[str], str] | None:
    """Which paragraphs of ``examples`` (their :func:`~tagger.data.examples.text_keys`) ``model`` was trained on, and
    how that is known, where its data hash proves it (:func:`~tagger.training.training_hash`): it is that of

    * the checkout's training data as it is: it was trained on all of them that the data holds;
    * that data less the test file's paragraphs: trained before they were added, it saw none;
    * that data less the rows ``labels import`` (``tagger review --export``) appended to ``labels/imported.jsonl``
      since (the last ones, as many as the data holds more than the model's ``n_train``; in a manifest without
      one, every count up to :data:`MAX_IMPORT_COUNTS`): it saw the test paragraphs the data held without them.

    ``None`` when none of these is its hash (trained from other data: another checkout, a label file or the lexicon
    changed since, an import that updated a row in place): whether it saw them cannot be told.

    Example:
        >>> _seen_by_model(load_resources("."), examples, Tagger.load("models/tagger.npz"))  # doctest: +SKIP
        (set(), 'trained from this checkout without the 4 rows imported since')
    """
    manifest = getattr(model, "manifest_", None)
    target = manifest.get("data_hash") if isinstance(manifest, dict) else None
    if not target:
        return None
    test = set(text_keys(examples))  # as the model reads them: a copy in the other script is the same paragraph

    def trained_on(kept: list[Example]) -> bool:
        before = Resources(kept, resources.lexicon, resources.user_words)
        return training_hash(before, seed=model.random_state, encoder=model.encoder) == target

    data, keys = resources.examples, text_keys(resources.examples)
    if trained_on(data):
        return test & set(keys), "trained on this checkout's training data as it is"
    if trained_on([e for e, key in zip(data, keys) if key not in test]):
        return set(), "trained from this checkout without them: before they were added"
    # the rows of labels/imported.jsonl come after the seeds and before the authored files (load_training_data), in
    # the file's order; an import appends its new rows
    end = next((i for i, e in enumerate(data) if e.source == "authored"), len(data))
    first = next((i for i in range(end, 0, -1) if data[i - 1].source in ("seed", "authored")), 0)
    n_train = manifest.get("n_train")
    # without n_train each count is one hash of the whole data (about 10 ms): every count of 3,000 rows took 27 s
    counts = ([len(data) - n_train] if isinstance(n_train, int) and not isinstance(n_train, bool)
              else range(1, min(end - first, MAX_IMPORT_COUNTS) + 1))
    for k in counts:
        if 0 < k <= end - first:
            kept = data[:end - k] + data[end:]
            if trained_on(kept):
                return (test & set(keys[:end - k] + keys[end:]),
                        f"trained from this checkout without the {counted(k, 'row')} imported since")
    return None


def _test_file_notes(test_file: str | Path, examples: list[Example], root: str | Path | None,
                     model=None) -> list[str]:
    """What a reader of a test report must know about the file: repeated paragraphs, paragraphs this
    checkout trains on (their scores are no test), and a file without labels (F1 says nothing there).

    Raises:
        InputError: one text labelled two ways in the file (the score would depend on which one counts).
    """
    by_text: dict[str, Example] = {}
    repeated = 0
    for ex, key in zip(examples, text_keys(examples)):  # one text as the model reads it
        first = by_text.setdefault(key, ex)
        if first is ex:
            continue
        if set(first.labels) != set(ex.labels):
            raise InputError(f"{test_file}: paragraphs {first.id!r} and {ex.id!r} have {same_text(first.text, ex.text)} "
                             f"but different labels ({format_label_cell(first.labels) or NONE} / {format_label_cell(ex.labels) or NONE});"
                             " settle them, then score again (nothing was scored)")
        repeated += 1
    notes = []
    if repeated:
        verb = "repeats" if repeated == 1 else "repeat"
        notes.append(f"{counted(repeated, 'paragraph')} {verb} another's text with the same labels: each copy is "
                     "scored and counted.")
        log.warning("%s: %s %s another's text; each copy counts", test_file, counted(repeated, "paragraph"), verb)
    if root is not None:
        try:
            resources = load_resources(root)
        except TaggerError as exc:
            log.info("%s: training data not read (%s); the report cannot say which paragraphs were trained on",
                     root, exc)
            resources = None
        trained = set(text_keys(resources.examples)) if resources is not None else set()
        keys = text_keys(examples)
        leaked = sum(key in trained for key in keys)
        seen = _seen_by_model(resources, examples, model) if leaked and model is not None else None
        def of(n: int) -> str:  # "1 of 3 paragraphs is", "2 of 3 paragraphs are", "1 of 1 paragraph is"
            return f"{grouped(n)} of {counted(len(examples), 'paragraph')} {'is' if n == 1 else 'are'}"

        if leaked and seen is None:
            notes.append(f"**{of(leaked)} in this checkout's training data** (seeds, "
                         "labels/imported.jsonl, authored files), and whether the model scored was trained on them "
                         "cannot be told: its data hash is neither this checkout's training data's nor that data's "
                         "without them or without the rows imported since it was trained (trained from another "
                         "checkout, or a label file or the lexicon changed since). If it saw their labels, these "
                         "scores overstate it; a model trained from this checkout now will have seen them. Test on "
                         "paragraphs not imported for training.")
            log.warning("%s: %s training data of %s, and whether the model scored was trained on them cannot be told",
                        test_file, of(leaked), root)
        elif leaked:
            n_seen = sum(key in seen[0] for key in keys)
            if n_seen < leaked:
                notes.append(f"{of(leaked - n_seen)} in this checkout's training data now (seeds, "
                             "labels/imported.jsonl, authored files), but the model scored never saw them (its data "
                             f"hash shows it: {seen[1]}), so {'their' if n_seen else 'these'} scores are a fair test "
                             "of it; a model trained from this checkout now will have seen them.")
            if n_seen:
                notes.append(f"**{of(n_seen)} in the training data of the model scored** (its data hash "
                             f"shows it: {seen[1]}): it has seen their labels, so these scores overstate it. Test on "
                             "paragraphs not imported for training.")
                log.warning("%s: %s training data of the model scored; their scores are no test", test_file,
                            of(n_seen))
    reviewed = sum(ex.source == REVIEWED_SOURCE for ex in examples)
    if reviewed:
        decisions = "is a person's review decision" if reviewed == 1 else "are a person's review decisions"
        notes.append(f"{counted(reviewed, 'paragraph')} {decisions} (tagger review). Paragraphs flagged "
                     "with tag --review are the model's least certain, so its figures here are lower than on the "
                     "corpus as a whole; to measure the corpus, label a random sample of its paragraphs in an annotation "
                     "tool (tagger labels export) and score the tool's export.")
    if not any(ex.labels for ex in examples):
        notes.append("The file labels no paragraph: precision, recall and F1 are undefined here (shown as 0); "
                     "what counts is how many paragraphs the model tagged anyway (table below, *subset accuracy*).")
    return notes


TEST_FIGURES = {"pr_curves": "figures/test_pr_curves.png", "f1_threshold": "figures/test_f1_threshold.png"}
"""The figures :func:`run_test` draws, relative to its ``out``."""


def run_test_outputs(out: str | Path, plots: bool = True) -> list[Path]:
    """Every file :func:`run_test` writes in ``out`` (with ``plots``, its figures too): what
    ``evaluate --test FILE`` refuses FILE to be.

    Example:
        >>> [str(p) for p in run_test_outputs("r", plots=False)]
        ['r/test_report.md', 'r/test_report.json', 'r/test_report.html']
    """
    return [*report_paths(out, "test_report"), *(Path(out) / rel for rel in TEST_FIGURES.values() if plots)]


def _scores_in_tagged_file(test_file: str | Path, examples: list[Example], model) -> np.ndarray | None:
    """For the decisions of a file ``tagger tag`` wrote (a review queue): the model's scores of the decided
    paragraphs with every paragraph of their reports around them, as ``tag`` scores them (their kinds as the file
    gives them) — scored alone with the other decided paragraphs of their report, a queue's paragraphs lost the
    report context the reviewer's labels were given with. ``None`` for any other test file."""
    if not examples or any(e.source != REVIEWED_SOURCE for e in examples):
        return None
    from ..data.tagged import is_tagged_file, read_tagged
    from ..text.normalize import normalize_many
    if not is_tagged_file(test_file):  # a label file whose rows say "source": "reviewed"
        return None
    df = read_tagged(test_file, columns=("text",), stale_outcome=None)  # reviewed_examples named them
    row = {pid: n for n, pid in enumerate(df["paragraph"])}
    if any(e.id not in row for e in examples):
        return None
    scores = model.scores_from_norms(normalize_many(list(df["text"])), kinds=list(df["kind"]),
                                     reports=list(df["report"]))
    return scores[[row[e.id] for e in examples]]


def run_test(test_file: str | Path, model_path: str | Path | None = None, out: str | Path = "reports",
             plots: bool = True, n_boot: int = 2000, seed: int = 0,
             fmt: str | None = None, root: str | Path | None = None,
             keep_latest: bool = False) -> tuple[str, dict, list[Path]]:
    """Score a trained model on a labelled file (``doc`` groups the bootstrap; paragraphs otherwise):
    headline table, baselines, per-report table, figures, errors. Writes ``test_report.md/.json/.html``
    (and ``figures/test_*.png``) to ``out``.

    The file is a labelled JSONL file, a filled suggestion CSV, a CSV of ``text`` and ``labels`` (optional
    ``report``, ``id``), or an export of Label Studio, doccano or Prodigy
    (:func:`tagger.annotation.interop.read_test_file`; ``fmt`` as ``--from``, else told from the content): text
    and decision are enough, skipped tasks are left out; a paragraph several annotators decided differently is
    refused unless ``keep_latest`` (the latest decision is scored). ``root``: a checkout whose
    training paragraphs the report flags when the file holds them.

    Raises:
        InputError: an unreadable test file, or one text labelled two ways in it; ``out`` is no folder files can be
            written in (checked first: :func:`~tagger.common.atomic.check_output_folder`)."""
    from ..annotation.interop import read_test_file
    from ..common.paths import default_model_path
    from ..model.persistence import load_model
    from .cv import EmptyBaseline, KeywordBaseline, assemble, score_once

    check_output_folder(out)
    start = time.perf_counter()
    model_path = Path(model_path) if model_path is not None else default_model_path()
    examples, file_notes = read_test_file(test_file, fmt, keep_latest)
    model = load_model(model_path)
    notes = [md_text(n) for n in file_notes] + _test_file_notes(test_file, examples, root, model)  # names the file
    texts = [e.text for e in examples]
    reports = report_ids(examples)
    Y = label_matrix(examples)
    fold = Fold("test", np.array([], dtype=int), np.arange(len(examples)))
    runs = []
    in_file = _scores_in_tagged_file(test_file, examples, model)
    for system, predictor in ((SHIPPED, model), (System("empty", "", "baseline"), EmptyBaseline()),
                              (System("keyword lexicon", "", "baseline"), KeywordBaseline(model.lexicon))):
        if system is SHIPPED and in_file is not None:
            thresholds = np.asarray(model.thresholds_)
            output = (in_file, (in_file >= thresholds).astype(int), [float(t) for t in thresholds], predictor)
        else:
            output = (*score_once(predictor, texts, reports), predictor)
        runs.append(assemble(examples, Y, system, [fold], "test", [output], system is SHIPPED, 0.0))
    main = runs[0]
    in_reports = len({e.doc for e in examples}) < len(examples)
    ci = report_bootstrap(main.y_true, main.y_pred, main.docs if in_reports else main.ids, n_boot=n_boot, seed=seed)
    figures: dict[str, str] = {}
    out = Path(out)
    thresholds = dict(zip(LABELS, map(float, model.thresholds_)))
    if plots:
        from . import figures as fg

        figures["pr_curves"] = TEST_FIGURES["pr_curves"]
        fg.pr_curves(main.y_true.astype(bool), main.scores, main.y_pred.astype(bool), thresholds,
                     out / figures["pr_curves"], "Precision-recall (test file)")
        figures["f1_threshold"] = TEST_FIGURES["f1_threshold"]
        fg.f1_vs_threshold(main.y_true, main.scores, thresholds, out / figures["f1_threshold"])
    errors = confident_errors(main, {e.id: e.text for e in examples})
    wall = round(time.perf_counter() - start, 1)
    # "groups none" was said of a tagged file whose reports hold one decision each: the report column was there
    unit = "reports (as the file groups its paragraphs)" if in_reports else "paragraphs (no two of them are of one report)"
    lines = [f"# Test report — {md_text(str(test_file))}", "",
             f"{counted(len(examples), 'labelled paragraph')} scored by {md_text(str(model_path))} (trained on data hash "
             f"`{str(model.manifest_.get('data_hash', '?'))[:16]}`). In brackets: 95% bootstrap intervals over "
             f"{unit}. Wall time {wall} s.", "", *[f"- {n}" for n in notes], *([""] if notes else []),
             headline_table(main, ci), "",
             "### Model and baselines on the same paragraphs", "", systems_table(runs), ""]
    if in_reports:
        lines += ["### Per report", "", per_doc_table(main), ""]
    for key, title in (("pr_curves", "Precision-recall"), ("f1_threshold", "F1 against threshold")):
        if key in figures:
            lines += [f"![{title}]({figures[key]})", ""]
    lines += ["### Most confident errors", "", errors_table(errors), "", "### Reproducibility", "",
              "| item | value |", "|---|---|", f"| tagger_version | `{__version__}` |",
              f"| model | {md_text(str(model_path))} |", f"| thresholds | `{json.dumps(thresholds)}` |",
              f"| versions | `{json.dumps(library_versions())}` |"]
    md = "\n".join(lines) + "\n"
    payload = {"test_file": str(test_file), "model": str(model_path), "runs": [run_to_dict(r) for r in runs],
               "bootstrap_ci": ci, "confident_errors": errors, "figures": figures, "wall_time_s": wall}
    return md, payload, write_reports(out, "test_report", md, payload, figures)
