"""Rendering cross-validation results as Markdown and JSON (numbers always computed, never typed)."""

from __future__ import annotations

import json
from pathlib import Path

from .evaluation import CVRun
from .persistence import atomic_write
from .schema import LABELS

__all__ = ["headline_table", "systems_table", "per_doc_table", "render_markdown", "write_reports",
           "run_to_dict", "readme_block", "update_readme", "README_START", "README_END"]

README_START = "<!-- cv-results:start (written by python evaluate.py --update-readme) -->"
README_END = "<!-- cv-results:end -->"

SHORT = {"elderly_care": "elderly", "old_neighbourhood_retrofit": "retrofit",
         "elevator_power_hookup": "elevator", "business_connection_speed": "business",
         "volunteer_work": "volunteer"}


def headline_table(run: CVRun) -> str:
    """Per-label precision/recall/F1/support plus micro/macro F1, subset accuracy, Hamming loss."""
    m = run.metrics
    lines = ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for lab in LABELS:
        r = m["per_label"][lab]
        lines.append(f"| `{lab}` | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['support']} |")
    lines.append(f"| **micro F1** | | | **{m['micro_f1']:.3f}** | {m['n']} paragraphs |")
    lines.append(f"| **macro F1** | | | **{m['macro_f1']:.3f}** | |")
    lines.append(f"| subset accuracy | | | {m['subset_accuracy']:.3f} | |")
    lines.append(f"| Hamming loss | | | {m['hamming_loss']:.3f} | |")
    return "\n".join(lines)


def systems_table(runs: list[CVRun]) -> str:
    """One row per system (model, baselines, ablations): micro/macro F1 and per-label F1."""
    head = "| system | kind | micro F1 | macro F1 | " + " | ".join(SHORT[lab] for lab in LABELS) + " |"
    lines = [head, "|---|---|---:|---:|" + "---:|" * len(LABELS)]
    for run in runs:
        m = run.metrics
        per = " | ".join(f"{m['per_label'][lab]['f1']:.3f}" for lab in LABELS)
        lines.append(f"| {run.system} | {run.kind} | {m['micro_f1']:.3f} | {m['macro_f1']:.3f} | {per} |")
    return "\n".join(lines)


def per_doc_table(run: CVRun) -> str:
    lines = ["| report | paragraphs | gold labels | predicted labels | micro F1 | exact match |",
             "|---|---:|---:|---:|---:|---:|"]
    for d in run.per_doc:
        lines.append(f"| {d['doc']} | {d['paragraphs']} | {d['gold_labels']} | {d['predicted_labels']} | "
                     f"{d['micro_f1']:.3f} | {d['exact_match']:.3f} |")
    return "\n".join(lines)


def run_to_dict(run: CVRun) -> dict:
    return {"system": run.system, "description": run.description, "kind": run.kind, "scheme": run.scheme,
            "metrics": run.metrics, "per_doc": run.per_doc, "seconds": round(run.seconds, 3)}


def render_markdown(context: dict, primary: list[CVRun], secondary: list[CVRun],
                    extra: list[CVRun] | None = None) -> str:
    """The whole report. ``context`` carries data counts, hyperparameters, versions and timing."""
    main = primary[0]
    out = [f"# Cross-validation report — tagger {context['tagger_version']}", "",
           f"Data: {context['n_real']} real seed paragraphs from {context['n_docs']} reports (scored) + "
           f"{context['n_authored']} authored paragraphs (training folds only). "
           f"Data hash `{context['data_hash'][:16]}`.", "",
           "## Leave-one-document-out (primary)", "",
           f"Shipped model, out-of-fold predictions pooled over {context['n_docs']} folds "
           "(thresholds tuned inside each training fold).", "", headline_table(main), "",
           "### All systems, same folds, same run", "", systems_table(primary), ""]
    if extra:
        out += ["### Authored supplement alone", "",
                "Trained on authored paragraphs only, tested on all real seed paragraphs "
                "(one fit; how far the authored text alone carries).", "", systems_table(extra), ""]
    out += ["### Per report (shipped model)", "", per_doc_table(main), ""]
    if secondary:
        out += [f"## Repeated multilabel-stratified {context['kfold']} (secondary)", "",
                "Paragraph-level folds: paragraphs of one report share wording, so these numbers are "
                "optimistic.", "", systems_table(secondary), ""]
    out += ["## Reproducibility", "", "| item | value |", "|---|---|"]
    for key in ("tagger_version", "git_commit", "data_hash", "cv_seed", "wall_time_s"):
        out.append(f"| {key} | `{context.get(key)}` |")
    out.append(f"| hyperparameters | `{json.dumps(context['hyperparameters'], ensure_ascii=False)}` |")
    out.append(f"| versions | `{json.dumps(context['versions'])}` |")
    return "\n".join(out) + "\n"


def write_reports(out_dir: str | Path, markdown: str, payload: dict) -> list[Path]:
    out_dir = Path(out_dir)
    md, js = out_dir / "cv_report.md", out_dir / "cv_report.json"
    with atomic_write(md, "w", encoding="utf-8") as fh:
        fh.write(markdown)
    with atomic_write(js, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    return [md, js]


def readme_block(markdown: str) -> str:
    """The part of a CV report shown in README: LODO headline table, all systems, authored-only."""
    start = markdown.index("## Leave-one-document-out (primary)")
    end = markdown.index("### Per report")
    return markdown[start:end].strip().replace("## Leave-one-document-out (primary)",
                                               "#### Leave-one-document-out (primary)", 1)


def update_readme(readme: str | Path, markdown: str) -> bool:
    """Replace the results block of README with the current report's; returns whether it changed."""
    readme = Path(readme)
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise ValueError(f"{readme}: no results markers ({README_START} ... {README_END})")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    new = f"{head}{README_START}\n{readme_block(markdown)}\n{README_END}{tail}"
    if new != text:
        with atomic_write(readme, "w", encoding="utf-8") as fh:
            fh.write(new)
    return new != text
