"""An ipywidgets slider over a precomputed sweep (lesson 02, 02_weight_decay).

The sweep is trained once with helpers.sweep.train_sweep; moving the slider
only redraws the chosen model's loss curves and decision boundary from the
stored results, so it responds at once (nothing is retrained in the callback).
"""
import matplotlib.pyplot as plt

from helpers.plots import plot_decision_boundary, plot_loss_curves


def draw_sweep_model(result, data, k, key="weight_decay", resolution=120):
    """Draw model k of a sweep: its loss curves and its decision boundary, side by side.

    Args:
        result: a helpers.sweep.SweepResult of a 2-D binary task.
        data: the helpers.data.Split it was trained on (training points are drawn).
        k: which model.
        key: the swept setting named in the titles.
    Returns:
        the matplotlib Figure.
    """
    value = result.values(key)[k]
    label = key.replace("_", " ")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    plot_loss_curves(result.run(k), ax=left, title=f"{label} = {value:g}: loss per epoch")
    # the same y-range for every model, so moving the slider compares like with like
    top = max(result.history["train_loss"].max(), result.history["val_loss"].max())
    left.set_ylim(0, 1.05 * float(top))
    plot_decision_boundary(result.models[k], data.X_train, data.y_train, ax=right,
                           resolution=resolution,
                           title=f"{label} = {value:g}: boundary (training points)")
    return fig


def sweep_slider(result, data, key="weight_decay", resolution=120):
    """Return a widget: a slider over the sweep's settings and the chosen model's plots.

    Args: as in draw_sweep_model.
    Returns:
        an ipywidgets.VBox holding the slider and an Output with the figure.
    """
    import ipywidgets as widgets
    from IPython.display import display

    options = [(f"{v:g}", k) for k, v in enumerate(result.values(key))]
    slider = widgets.SelectionSlider(options=options, value=0,
                                     description=key.replace("_", " "),
                                     style={"description_width": "initial"},
                                     layout=widgets.Layout(width="520px"))
    out = widgets.Output()

    def show(k):
        with out:
            out.clear_output(wait=True)
            fig = draw_sweep_model(result, data, k, key, resolution)
            display(fig)
            plt.close(fig)  # shown once, in the Output, not again below the cell

    slider.observe(lambda change: show(change["new"]), names="value")
    show(slider.value)
    return widgets.VBox([slider, out])
