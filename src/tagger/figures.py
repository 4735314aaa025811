"""Report figures (matplotlib, Agg backend, English text only so no CJK font is needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .schema import LABELS

__all__ = ["pr_curves", "f1_vs_threshold", "learning_curve_plot", "cooccurrence_plot"]

SHORT = {"elderly_care": "elderly", "old_neighbourhood_retrofit": "retrofit",
         "elevator_power_hookup": "elevator", "business_connection_speed": "business",
         "volunteer_work": "volunteer"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 110, "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt


def _save(fig, path: Path) -> Path:
    from .persistence import atomic_write

    with atomic_write(path) as fh:
        fig.savefig(fh, format="png", bbox_inches="tight")
    _plt().close(fig)
    return path


def pr_curves(y_true: np.ndarray, scores: np.ndarray, y_pred: np.ndarray, thresholds: dict, path: Path) -> Path:
    """Per-label precision–recall curves of out-of-fold scores; the operating point is marked."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    plt = _plt()
    fig, axes = plt.subplots(1, len(LABELS), figsize=(3.0 * len(LABELS), 3.0), sharey=True)
    for j, (ax, lab) in enumerate(zip(axes, LABELS)):
        if y_true[:, j].sum() == 0:
            ax.set_title(f"{SHORT[lab]} (no positives)")
            continue
        p, r, _ = precision_recall_curve(y_true[:, j], scores[:, j])
        ap = average_precision_score(y_true[:, j], scores[:, j])
        ax.step(r, p, where="post", color="tab:blue")
        tp = (y_true[:, j] & y_pred[:, j]).sum()
        op_p = tp / max(y_pred[:, j].sum(), 1)
        op_r = tp / max(y_true[:, j].sum(), 1)
        ax.plot([op_r], [op_p], "o", color="tab:red",
                label=f"chosen thresholds\n(median {thresholds[lab]:.2f})")
        ax.set_title(f"{SHORT[lab]}  AP={ap:.2f}")
        ax.set_xlabel("recall")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.05)
        ax.legend(loc="lower left", fontsize=7, frameon=False)
    axes[0].set_ylabel("precision")
    fig.suptitle("Precision-recall, out-of-fold scores (leave one document out)", y=1.06)
    return _save(fig, path)


def f1_vs_threshold(y_true: np.ndarray, scores: np.ndarray, thresholds: dict, path: Path) -> Path:
    """F1 of ``score >= t`` against ``t`` per label, with the chosen (median fold) threshold."""
    plt = _plt()
    grid = np.linspace(0.01, 0.99, 99)
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for j, lab in enumerate(LABELS):
        yt = y_true[:, j].astype(bool)
        pred = scores[:, j][None, :] >= grid[:, None]
        tp = (pred & yt).sum(1)
        f1 = 2 * tp / np.maximum(pred.sum(1) + yt.sum(), 1)
        line, = ax.plot(grid, f1, label=SHORT[lab])
        ax.axvline(thresholds[lab], color=line.get_color(), linestyle=":", linewidth=1)
    ax.set_xlabel("threshold")
    ax.set_ylabel("F1 (out-of-fold)")
    ax.set_ylim(0, 1.05)
    ax.legend(ncol=5, fontsize=7, loc="lower center", frameon=False)
    ax.set_title("F1 against threshold (dotted: chosen, median over folds)")
    return _save(fig, path)


def learning_curve_plot(points: list[dict], path: Path) -> Path:
    """Micro/macro F1 against the number of real training reports, mean ± sd over repeats."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    for setting, style in (("with authored", "-"), ("seeds only", "--")):
        rows = [p for p in points if p["setting"] == setting]
        if not rows:
            continue
        xs = sorted({p["n_docs"] for p in rows})
        for metric, color in (("micro_f1", "tab:blue"), ("macro_f1", "tab:orange")):
            mean = [np.mean([p[metric] for p in rows if p["n_docs"] == x]) for x in xs]
            sd = [np.std([p[metric] for p in rows if p["n_docs"] == x]) for x in xs]
            ax.errorbar(xs, mean, yerr=sd, fmt=style + "o", color=color, capsize=3, markersize=4,
                        label=f"{metric.replace('_', '-')} ({setting})")
    ax.set_xticks(sorted({p["n_docs"] for p in points}))
    ax.set_xlabel("real training reports (plus the authored supplement where stated)")
    ax.set_ylabel("F1 on held-out report")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.set_title("Learning curve (leave one document out; mean ± sd over subsets)")
    return _save(fig, path)


def cooccurrence_plot(y: np.ndarray, path: Path, title: str) -> Path:
    """Label co-occurrence counts (diagonal: paragraphs with the label)."""
    plt = _plt()
    m = y.T.astype(int) @ y.astype(int)
    fig, ax = plt.subplots(figsize=(4.4, 3.8))
    im = ax.imshow(m, cmap="Blues")
    names = [SHORT[lab] for lab in LABELS]
    ax.set_xticks(range(len(LABELS)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(LABELS)), names)
    for i in range(len(LABELS)):
        for k in range(len(LABELS)):
            ax.text(k, i, str(m[i, k]), ha="center", va="center",
                    color="white" if m[i, k] > m.max() / 2 else "black", fontsize=8)
    fig.colorbar(im, ax=ax, shrink=0.8)
    ax.set_title(title)
    return _save(fig, path)
