"""Report figures (matplotlib, Agg backend, English text only so no CJK font is needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..common.atomic import atomic_write
from ..labels import LABELS, SHORT

__all__ = ["pr_curves", "f1_vs_threshold", "cooccurrence_plot", "review_curve_plot"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 110, "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt


def _save(fig, path: Path) -> Path:
    with atomic_write(path) as fh:
        fig.savefig(fh, format="png", bbox_inches="tight")
    _plt().close(fig)
    return path


def pr_curves(y_true: np.ndarray, scores: np.ndarray, y_pred: np.ndarray, thresholds: dict, path: Path,
              title: str = "Precision-recall") -> Path:
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
                label=f"threshold {thresholds[lab]:.2f}")
        ax.set_title(f"{SHORT[lab]}  AP={ap:.2f}")
        ax.set_xlabel("recall")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.05)
        ax.legend(loc="lower left", fontsize=7, frameon=False)
    axes[0].set_ylabel("precision")
    fig.suptitle(title, y=1.06)
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
    ax.set_title("F1 against threshold (dotted: the model's thresholds)")
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


def review_curve_plot(curve: dict, path: Path, title: str) -> Path:
    """Corpus micro-F1 against the share of paragraphs reviewed, with its bootstrap band."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    x = [100 * s for s in curve["shares"]]
    ax.fill_between(x, curve["low"], curve["high"], color="tab:blue", alpha=0.2, label="95% band (reports resampled)")
    ax.plot(x, curve["micro_f1"], color="tab:blue", label="model + review of the least certain")
    for target, style in ((0.85, ":"), (0.89, "--")):
        ax.axhline(target, color="grey", linestyle=style, linewidth=1, label=f"micro-F1 {target}")
    ax.set_xlabel("paragraphs reviewed (%), least certain first")
    ax.set_ylabel("corpus micro-F1")
    ax.set_ylim(min(curve["low"]) - 0.05, 1.0)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.set_title(title)
    return _save(fig, path)
