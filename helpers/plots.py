"""Plots every lesson reuses: loss curves, confusion matrices, sweeps, boundaries.

Colours come from the Okabe-Ito palette, which stays distinguishable with
the common colour-vision deficiencies; lines also differ by style, so no
plot relies on colour alone. Each function draws on `ax` (a new figure if
None) and returns the axes, so a lesson can add to it.
"""
import functools
import io
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
import torch
from cycler import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green,
# vermillion, reddish purple, sky blue, yellow, black.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000"]
TRAIN, VAL, GAP = OKABE_ITO[0], OKABE_ITO[3], OKABE_ITO[1]


def use_course_style():
    """Set readable, colour-blind-safe matplotlib defaults for the session."""
    mpl.rcParams.update({
        "figure.figsize": (6.4, 3.8),
        "figure.dpi": 100,
        "font.size": 11,
        "axes.titlesize": 12,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": cycler(color=OKABE_ITO[:6]) + cycler(linestyle=["-", "--", "-.", ":", "-", "--"]),
        "lines.linewidth": 2,
        "legend.frameon": False,
        "image.cmap": "cividis",  # perceptually uniform and colour-blind safe
        # Every figure lays itself out to fit its canvas (labels, legends beside the axes,
        # colorbars), so Jupyter need not crop it: see _show_inline_in_one_draw.
        "figure.constrained_layout.use": True,
    })
    _show_inline_in_one_draw()


def _show_inline_in_one_draw():
    """In Jupyter, turn each inline figure into a PNG with one draw instead of two.

    IPython's PNG formatter calls savefig, which draws a figure that has a
    layout engine (every course figure, above) twice: once with rendering
    switched off, to place the axes, then again to render. Figure.draw runs
    the layout engine itself, so one draw on the figure's Agg canvas both
    places and renders; its pixels are the PNG. That saves about a fifth of
    each figure's time (a three-panel figure: 0.34 s -> 0.28 s), which no
    matplotlib or IPython option does. A figure without an Agg canvas (made
    with Figure() rather than pyplot) still goes through IPython's formatter,
    and so does every figure once a learner picks formats with %config.
    """
    ipython = sys.modules.get("IPython")  # not imported: a plain script, nothing to configure
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    if mpl.get_backend(auto_select=False) not in ("inline", "module://matplotlib_inline.backend_inline"):
        return  # another backend (ipympl, a window) shows figures its own way
    # Importing the inline backend registers IPython's formatter (pyplot would do so at the first
    # figure, over ours); ours goes on top of it.
    import matplotlib_inline.backend_inline  # noqa: F401
    png = shell.display_formatter.formatters["image/png"]
    fallback = png.for_type(mpl.figure.Figure)  # IPython's, registered by the inline backend
    if isinstance(fallback, functools.partial) and fallback.func is _png_in_one_draw:
        fallback = fallback.keywords["fallback"]  # set up before, in this kernel
    png.for_type(mpl.figure.Figure, functools.partial(_png_in_one_draw, fallback=fallback))


def _png_in_one_draw(fig, fallback):
    if not isinstance(fig.canvas, FigureCanvasAgg):
        return fallback(fig) if fallback is not None else None
    if not fig.axes and not fig.lines:
        return None  # as IPython does: an empty figure shows nothing
    fig.canvas.draw()
    out = io.BytesIO()
    PIL.Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).save(out, format="png")
    return out.getvalue()


def _axes(ax):
    return ax if ax is not None else plt.subplots()[1]


def plot_loss_curves(history, ax=None, title="Training and validation loss", log_y=False,
                     mark_best=True):
    """Plot train and validation data loss per epoch with the generalization gap shaded.

    Args:
        history: a helpers.training.History (or any mapping with train_loss
            and val_loss lists).
        mark_best: draw a vertical line at the epoch of lowest validation loss,
            where early stopping would keep the model.
    """
    ax = _axes(ax)
    train, val = np.asarray(history["train_loss"]), np.asarray(history["val_loss"])
    epochs = np.arange(1, len(train) + 1)
    ax.plot(epochs, train, color=TRAIN, linestyle="-", label="training loss (data only)")
    ax.plot(epochs, val, color=VAL, linestyle="--", label="validation loss")
    ax.fill_between(epochs, train, val, where=val >= train, color=GAP, alpha=0.25,
                    label="generalization gap")
    if mark_best:
        best = int(np.argmin(val)) + 1
        ax.axvline(best, color="0.3", linestyle=":", linewidth=1.5,
                   label=f"lowest validation loss (epoch {best})")
    if log_y:
        ax.set_yscale("log")
        # A log axis gets 8 minor ticks per decade: over the decades a loss spans they are
        # unlabelled marks, and drawing them took about a third of the figure's time. The
        # labelled decades and their grid lines remain.
        ax.yaxis.minorticks_off()
    ax.set(xlabel="epoch", ylabel="loss", title=title)
    ax.legend()
    return ax


def plot_confusion(counts, ax=None, title="Confusion matrix", labels=("negative", "positive")):
    """Draw a 2x2 confusion matrix with counts and row percentages in each cell.

    Rows are the true class and columns the prediction, positive first,
    the layout most textbooks and the source pages use.

    Args:
        counts: dict with keys "tp", "fp", "fn", "tn".
    """
    ax = _axes(ax)
    matrix = np.array([[counts["tp"], counts["fn"]], [counts["fp"], counts["tn"]]])
    ax.imshow(matrix, cmap="cividis", vmin=0)
    names = [labels[1], labels[0]]
    ax.set_xticks([0, 1], [f"predicted {n}" for n in names])
    ax.set_yticks([0, 1], [f"true {n}" for n in names])
    ax.grid(False)
    cell = [["TP", "FN"], ["FP", "TN"]]
    for i in range(2):
        row_total = matrix[i].sum()
        for j in range(2):
            share = f"\n{matrix[i, j] / row_total:.0%} of row" if row_total else ""
            bright = matrix[i, j] > matrix.max() / 2
            ax.text(j, i, f"{cell[i][j]} = {matrix[i, j]}{share}", ha="center", va="center",
                    color="black" if bright else "white")
    ax.set_title(title)
    return ax


def plot_sweep(values, train, val, ax=None, xlabel="weight decay", ylabel="loss",
               title="Loss against weight decay"):
    """Plot final train and validation values against a swept setting on a log axis.

    A setting of 0 (no decay) cannot sit on a log axis; the axis is
    symmetric-log, linear between 0 and the smallest positive value.
    """
    ax = _axes(ax)
    values = np.asarray(values, dtype=float)
    order = np.argsort(values)
    ax.plot(values[order], np.asarray(train)[order], "o-", color=TRAIN, label="training")
    ax.plot(values[order], np.asarray(val)[order], "s--", color=VAL, label="validation")
    _log_axis(ax, values)
    best = values[int(np.argmin(val))]
    ax.axvline(best, color="0.3", linestyle=":", linewidth=1.5, label=f"best validation: {best:g}")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    return ax


def plot_weight_norms(values, norms, ax=None, xlabel="weight decay",
                      title="Weight norm after training"):
    """Plot the L2 norm of the trained weights against a swept setting (log axis)."""
    ax = _axes(ax)
    values = np.asarray(values, dtype=float)
    order = np.argsort(values)
    ax.plot(values[order], np.asarray(norms)[order], "o-", color=OKABE_ITO[2])
    _log_axis(ax, values)
    ax.set(xlabel=xlabel, ylabel="||w|| (all parameters)", title=title)
    return ax


def _log_axis(ax, values):
    positive = values[values > 0]
    if len(positive) and (values == 0).any():
        ax.set_xscale("symlog", linthresh=positive.min())
    elif len(positive) == len(values):
        ax.set_xscale("log")


@torch.no_grad()
def plot_decision_boundary(model, X, y, ax=None, title="Decision boundary", resolution=200):
    """Shade where a 2-D binary classifier predicts each class and scatter the points.

    Args:
        model: maps (n, 2) inputs to (n, 1) logits.
        X: (n, 2) points; y: (n,) or (n, 1) labels in {0, 1}.
    """
    ax = _axes(ax)
    X_cpu, y_cpu = X.detach().cpu(), y.detach().cpu().reshape(-1)
    lo, hi = X_cpu.min(0).values - 0.5, X_cpu.max(0).values + 0.5
    xs = torch.linspace(lo[0], hi[0], resolution)
    ys = torch.linspace(lo[1], hi[1], resolution)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).reshape(-1, 2)
    device = next(model.parameters()).device
    prob = torch.sigmoid(model(grid.to(device))).cpu().reshape(resolution, resolution)
    ax.contourf(xs, ys, prob, levels=[0, 0.5, 1], colors=[OKABE_ITO[5], OKABE_ITO[1]], alpha=0.3)
    ax.contour(xs, ys, prob, levels=[0.5], colors="black", linewidths=1.5)
    for label, marker, color in ((0, "o", OKABE_ITO[0]), (1, "^", OKABE_ITO[3])):
        pts = X_cpu[y_cpu == label]
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=18, color=color, edgecolor="white",
                   linewidth=0.5, label=f"class {label}")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
    ax.grid(False)
    ax.legend(loc="upper right")
    return ax


def plot_threshold_sweep(sweep, ax=None, mark=0.5, title="Moving the decision threshold"):
    """Plot precision, recall and F1 against the decision threshold (lesson 01).

    Args:
        sweep: the dict returned by helpers.metrics.threshold_sweep.
        mark: draw a vertical line at this threshold (None: no line).
    """
    ax = _axes(ax)
    thr = np.asarray(sweep["threshold"])
    for key, color, style in (("precision", OKABE_ITO[0], "-"), ("recall", OKABE_ITO[3], "--"),
                              ("f1", OKABE_ITO[2], "-.")):
        values = _defined_precision(sweep) if key == "precision" else np.asarray(sweep[key])
        ax.plot(thr, values, color=color, linestyle=style, label=key)
    if mark is not None:
        ax.axvline(mark, color="0.3", linestyle=":", linewidth=1.5, label=f"threshold {mark:g}")
    ax.set(xlabel="threshold (predict positive when score > threshold)", ylabel="value",
           ylim=(-0.02, 1.02), title=title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def plot_precision_recall(sweep, ax=None, base_rate=None, points=None,
                          title="Precision against recall", label="model, all thresholds"):
    """Plot the precision-recall curve traced by a threshold sweep (lesson 01).

    Args:
        sweep: the dict returned by helpers.metrics.threshold_sweep or
            helpers.metrics.precision_recall_curve.
        base_rate: the share of positives; drawn as the precision of a model
            that guesses at random (None: not drawn).
        points: optional {label: (recall, precision)} to mark, e.g. a baseline.
        label: the curve's legend entry, e.g. with its average precision.
    """
    ax = _axes(ax)
    ax.plot(sweep["recall"], _defined_precision(sweep), "-", color=OKABE_ITO[0], label=label)
    if base_rate is not None:
        ax.axhline(base_rate, color="0.4", linestyle="--", linewidth=1.5,
                   label=f"random guessing (precision {base_rate:.0%})")
    markers = iter(["o", "s", "^", "D", "v"])
    colors = iter(OKABE_ITO[3:])
    for label, (r, p) in (points or {}).items():
        ax.plot([r], [p], linestyle="none", marker=next(markers), markersize=8,
                color=next(colors), label=label)
    ax.set(xlabel="recall", ylabel="precision", xlim=(-0.02, 1.02), ylim=(-0.02, 1.02),
           title=title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def plot_roc(roc, ax=None, label="model, all thresholds", points=None, title="ROC curve"):
    """Plot the ROC curve (recall against false-positive rate) with the chance diagonal (lesson 01).

    Args:
        roc: the dict returned by helpers.metrics.roc_curve.
        label: the curve's legend entry, e.g. with its area (AUC).
        points: optional {label: (false-positive rate, recall)} to mark.
    """
    ax = _axes(ax)
    ax.plot(roc["fpr"], roc["tpr"], "-", color=OKABE_ITO[0], label=label)
    ax.plot([0, 1], [0, 1], color="0.4", linestyle="--", linewidth=1.5,
            label="random ranking (AUC 0.5)")
    markers = iter(["o", "s", "^", "D", "v"])
    colors = iter(OKABE_ITO[3:])
    for name, (fpr, tpr) in (points or {}).items():
        ax.plot([fpr], [tpr], linestyle="none", marker=next(markers), markersize=8,
                color=next(colors), label=name)
    ax.set(xlabel="false-positive rate  FP / (FP + TN)", ylabel="recall (true-positive rate)",
           xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), title=title)
    ax.legend(loc="lower right")
    return ax


def _defined_precision(sweep):
    """Precision per threshold, NaN (not drawn) where nothing is predicted positive (0/0)."""
    predicted = np.asarray(sweep["tp"]) + np.asarray(sweep["fp"])
    return np.where(predicted > 0, np.asarray(sweep["precision"], dtype=float), np.nan)


def plot_metrics_sweep(values, curves, ax=None, xlabel="weight decay", ylabel="validation",
                       title="Validation metrics against weight decay"):
    """Plot several metrics (higher is better) against a swept setting on a log axis.

    Lesson 02 uses it for validation precision, recall and accuracy against
    weight decay; unlike plot_sweep it marks no "best" value, since each
    metric would pick a different one.

    Args:
        values: the swept setting of each model, shape (K,).
        curves: {label: K values}.
    """
    ax = _axes(ax)
    values = np.asarray(values, dtype=float)
    order = np.argsort(values)
    styles = iter(zip(OKABE_ITO, ["o-", "s--", "^-.", "D:", "v-"]))
    for label, ys in curves.items():
        color, style = next(styles)
        ax.plot(values[order], np.asarray(ys)[order], style, color=color, label=label)
    _log_axis(ax, values)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    return ax
