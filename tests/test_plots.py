"""Do the plot helpers draw what their names promise?"""
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.collections import PolyCollection
from torch import nn

from helpers import plots
from helpers.data import noisy_moons
from helpers.training import History


def history():
    return History(train_loss=[1.0, 0.5, 0.2, 0.1], val_loss=[1.1, 0.8, 0.9, 1.2])


def test_loss_curves_shade_the_gap_and_mark_the_best_epoch():
    ax = plots.plot_loss_curves(history())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "generalization gap" in labels
    assert "lowest validation loss (epoch 2)" in labels
    assert any(isinstance(c, PolyCollection) for c in ax.collections)
    assert ax.get_lines()[0].get_linestyle() != ax.get_lines()[1].get_linestyle()


def test_loss_curves_can_use_a_log_axis():
    assert plots.plot_loss_curves(history(), log_y=True).get_yscale() == "log"


def test_confusion_matrix_writes_every_count_in_its_cell():
    ax = plots.plot_confusion({"tp": 90, "fn": 10, "fp": 30, "tn": 70})
    texts = " ".join(t.get_text() for t in ax.texts)
    for cell in ("TP = 90", "FN = 10", "FP = 30", "TN = 70", "90% of row", "30% of row"):
        assert cell in texts
    assert [t.get_text() for t in ax.get_yticklabels()] == ["true positive", "true negative"]


def test_sweep_plot_puts_zero_decay_on_a_symlog_axis():
    ax = plots.plot_sweep([0.0, 0.01, 0.1, 1.0], [0.1, 0.2, 0.3, 0.9], [0.9, 0.5, 0.4, 1.0])
    assert ax.get_xscale() == "symlog"
    assert "best validation: 0.1" in [t.get_text() for t in ax.get_legend().get_texts()]
    ax2 = plots.plot_sweep([0.01, 0.1], [0.1, 0.2], [0.3, 0.2])
    assert ax2.get_xscale() == "log"


def test_weight_norm_plot_sorts_by_setting():
    ax = plots.plot_weight_norms([1.0, 0.0, 0.1], [0.2, 0.9, 0.5])
    x, y = ax.get_lines()[0].get_data()
    assert list(x) == [0.0, 0.1, 1.0] and list(y) == [0.9, 0.5, 0.2]


def test_decision_boundary_draws_regions_and_both_classes():
    d = noisy_moons(num_train=50)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    fig, ax = plt.subplots()
    plots.plot_decision_boundary(model, d.X_train, d.y_train, ax=ax, resolution=50)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["class 0", "class 1"]
    offsets = np.concatenate([c.get_offsets() for c in ax.collections if hasattr(c, "get_offsets")
                              and len(c.get_offsets()) > 1])
    assert len(offsets) >= 50


def _sweep():
    from helpers.metrics import threshold_sweep
    return threshold_sweep([0.9, 0.8, 0.3, 0.2], [1, 0, 1, 0], thresholds=[0.1, 0.5, 0.95])


def test_threshold_plot_draws_three_metrics_and_skips_undefined_precision():
    ax = plots.plot_threshold_sweep(_sweep(), mark=0.5)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["precision", "recall", "f1"] and "threshold 0.5" in labels
    precision = ax.get_lines()[0].get_ydata()
    assert np.isnan(precision[-1])  # nothing predicted positive at 0.95: 0/0 is not drawn as 0


def test_precision_recall_plot_marks_base_rate_and_points():
    ax = plots.plot_precision_recall(_sweep(), base_rate=0.5, points={"baseline": (0.0, 0.0)})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "random guessing (precision 50%)" in labels and "baseline" in labels
    assert ax.get_xlabel() == "recall" and ax.get_ylabel() == "precision"


def test_metrics_sweep_plots_one_sorted_line_per_metric():
    ax = plots.plot_metrics_sweep([0.1, 0.0, 1.0], {"precision": [0.8, 0.7, 0.5],
                                                    "recall": [0.9, 0.6, 1.0]})
    assert [line.get_label() for line in ax.get_lines()] == ["precision", "recall"]
    assert list(ax.get_lines()[0].get_xdata()) == [0.0, 0.1, 1.0]
    assert ax.get_xscale() == "symlog"


def test_precision_recall_plot_takes_the_exact_curve_and_a_label():
    from helpers.metrics import precision_recall_curve
    curve = precision_recall_curve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    ax = plots.plot_precision_recall(curve, label="model (AP 0.83)")
    assert ax.get_lines()[0].get_label() == "model (AP 0.83)"
    assert list(ax.get_lines()[0].get_xdata()) == [0.5, 0.5, 1.0, 1.0]


def test_roc_plot_draws_the_curve_the_chance_diagonal_and_points():
    from helpers.metrics import roc_curve
    roc = roc_curve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    ax = plots.plot_roc(roc, label="model (AUC 0.75)", points={"threshold 0.5": (0.0, 0.5)})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["model (AUC 0.75)", "random ranking (AUC 0.5)", "threshold 0.5"]
    curve, diagonal = ax.get_lines()[:2]
    assert list(curve.get_xdata()) == [0.0, 0.0, 0.5, 0.5, 1.0]
    assert list(diagonal.get_xdata()) == [0, 1] and curve.get_linestyle() != diagonal.get_linestyle()
    assert ax.get_xlabel().startswith("false-positive rate")


def test_course_style_shows_jupyter_figures_from_one_draw_with_savefigs_pixels():
    """Constrained layout for every figure; in Jupyter's inline backend, one draw per PNG.

    IPython's own formatter (savefig) draws a laid-out figure twice. The course's gives the
    same pixels from one draw, and nothing of the figure lies outside its canvas.
    """
    import io

    import matplotlib as mpl
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib_inline.config import InlineBackend
    from PIL import Image

    saved, backend = mpl.rcParams.copy(), mpl.get_backend()
    shell = InteractiveShell.instance()
    try:
        mpl.use("module://matplotlib_inline.backend_inline")  # as in a Jupyter kernel
        plots.use_course_style()
        # a figure made without asking for a layout, with a legend beside the axes (lesson 01)
        fig = plots.plot_threshold_sweep(_sweep()).figure
        assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
        draws = []
        draw = fig.draw
        fig.draw = lambda renderer: draws.append(1) or draw(renderer)
        png = shell.display_formatter.formatters["image/png"](fig)
        assert len(draws) == 1

        saved_png = io.BytesIO()
        fig.savefig(saved_png, format="png")
        pixels = [np.asarray(Image.open(io.BytesIO(data))) for data in (png, saved_png.getvalue())]
        width, height = fig.get_size_inches() * fig.dpi
        assert pixels[0].shape == (round(height), round(width), 4)
        assert np.array_equal(pixels[0], pixels[1])
        content = fig.get_tightbbox(fig.canvas.get_renderer())
        width, height = fig.get_size_inches()
        assert content.x0 >= 0 and content.y0 >= 0 and content.x1 <= width and content.y1 <= height
    finally:
        plt.close("all")
        mpl.use(backend)
        InlineBackend.clear_instance()
        InteractiveShell.clear_instance()
        mpl.rcParams.update(saved)
