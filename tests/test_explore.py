"""Does the sweep slider redraw stored results without training again?"""
import pytest
from torch import nn

from helpers import explore
from helpers.data import noisy_moons
from helpers.sweep import train_sweep


@pytest.fixture(scope="module")
def small_sweep():
    data = noisy_moons(num_train=30, num_val=30, seed=0)
    result = train_sweep(lambda: nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1)), data,
                         task="binary", num_epochs=5, lr=0.1, weight_decay=[0.0, 0.1, 1.0],
                         progress=False)
    return result, data


def test_drawing_one_model_shows_its_curves_and_boundary(small_sweep):
    result, data = small_sweep
    fig = explore.draw_sweep_model(result, data, 1, resolution=20)
    left, right = fig.axes[:2]
    assert "weight decay = 0.1" in left.get_title() and "weight decay = 0.1" in right.get_title()
    assert len(left.get_lines()) >= 2


def test_slider_lists_every_setting_and_redraws_without_training(small_sweep, monkeypatch):
    result, data = small_sweep
    drawn = []
    real = explore.draw_sweep_model
    monkeypatch.setattr(explore, "draw_sweep_model",
                        lambda *a, **k: drawn.append(a[2]) or real(*a, **k))
    import helpers.sweep
    import helpers.training

    def no_training(*args, **kwargs):
        raise AssertionError("the slider must not train")

    monkeypatch.setattr(helpers.sweep, "train_sweep", no_training)
    monkeypatch.setattr(helpers.training, "train", no_training)
    box = explore.sweep_slider(result, data, resolution=20)
    slider = box.children[0]
    assert [label for label, _ in slider.options] == ["0", "0.1", "1"]
    slider.value = 2
    assert drawn == [0, 2]
