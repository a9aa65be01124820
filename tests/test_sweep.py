"""Does the batched sweep give each model what a separate train() run gives it?"""
import numpy as np
import pytest
import torch
from torch import nn

from helpers.data import noisy_moons, overfit_regression
from helpers.sweep import train_sweep
from helpers.training import data_loss, train

WEIGHT_DECAYS = [0.0, 1e-3, 1e-2, 0.1, 1.0, 10.0]


def linear():
    return nn.Linear(200, 1)


def mlp():
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                         nn.Linear(32, 1))


def separate_runs(make_model, data, configs, **kwargs):
    runs = []
    for c in configs:
        torch.manual_seed(c["seed"])
        model = make_model()
        runs.append((train(model, data, lr=c["lr"], weight_decay=c["weight_decay"], **kwargs),
                     model))
    return runs


def assert_matches_separate_runs(result, runs, tol=1e-5):
    for k, (history, model) in enumerate(runs):
        for key, values in history.items():
            np.testing.assert_allclose(result.history[key][k], values, rtol=0, atol=tol,
                                       err_msg=f"model {k}, {key}")
        for p, q in zip(model.parameters(), result.models[k].parameters()):
            assert (p - q).abs().max().item() < tol


@pytest.fixture(scope="module")
def regression():
    return overfit_regression(seed=0)


@pytest.fixture(scope="module")
def moons():
    return noisy_moons(seed=0)


@pytest.mark.parametrize("optimizer, extra", [
    ("sgd", {}), ("sgd", {"momentum": 0.9, "nesterov": True}), ("sgd", {"momentum": 0.9}),
    ("adam", {}), ("adamw", {}),
])
def test_weight_decay_sweep_matches_separate_runs(regression, optimizer, extra):
    kwargs = dict(num_epochs=100, optimizer=optimizer, **extra)
    result = train_sweep(linear, regression, lr=0.01, weight_decay=WEIGHT_DECAYS,
                         progress=False, **kwargs)
    assert len(result) == len(WEIGHT_DECAYS)
    assert result.history["val_loss"].shape == (len(WEIGHT_DECAYS), 100)
    assert_matches_separate_runs(result, separate_runs(linear, regression, result.configs,
                                                       **kwargs))


def test_mlp_classification_sweep_matches_separate_runs(moons):
    kwargs = dict(task="binary", num_epochs=150, optimizer="sgd", momentum=0.9)
    result = train_sweep(mlp, moons, lr=0.05, weight_decay=[0.0, 1e-3, 1e-2, 0.1],
                         progress=False, **kwargs)
    assert_matches_separate_runs(result, separate_runs(mlp, moons, result.configs, **kwargs))
    assert "val_recall" in result.history and "train_precision" in result.history


def test_adamw_mlp_sweep_with_decay_matches_separate_runs(moons):
    kwargs = dict(task="binary", num_epochs=150, optimizer="adamw")
    result = train_sweep(mlp, moons, lr=0.01, weight_decay=[0.01, 0.1, 1.0], progress=False,
                         **kwargs)
    assert_matches_separate_runs(result, separate_runs(mlp, moons, result.configs, **kwargs))


def test_seed_and_learning_rate_sweeps_match_separate_runs(moons):
    kwargs = dict(task="binary", num_epochs=60, optimizer="sgd", batch_size=32)
    result = train_sweep(mlp, moons, lr=[0.05, 0.1, 0.2], weight_decay=1e-3, seed=[0, 1, 2],
                         progress=False, **kwargs)
    assert result.values("seed").tolist() == [0, 1, 2]
    assert_matches_separate_runs(result, separate_runs(mlp, moons, result.configs, **kwargs))


def test_returned_models_reproduce_the_recorded_final_loss(moons):
    result = train_sweep(mlp, moons, task="binary", num_epochs=20, lr=0.1,
                         weight_decay=[0.0, 0.1], progress=False)
    for k, model in enumerate(result.models):
        with torch.no_grad():
            loss = data_loss(model(moons.X_val), moons.y_val, "binary").item()
        assert loss == pytest.approx(result.final("val_loss")[k], abs=1e-6)
    assert result.run(1).num_epochs == 20


def test_more_decay_gives_smaller_weights(regression):
    result = train_sweep(linear, regression, num_epochs=100, lr=0.01, weight_decay=WEIGHT_DECAYS,
                         progress=False)
    norms = result.final("param_norm")
    assert (np.diff(norms) < 0).all()


def test_adam_without_decay_on_a_memorizing_mlp_is_chaotic(moons):
    """Why the sweep is not checked on this configuration: one ulp in one initial
    weight, in two plain sequential runs, already moves the result past 1e-5."""
    histories = []
    for nudge in (False, True):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                              nn.Linear(64, 1))
        if nudge:
            with torch.no_grad():
                model[0].weight[0, 0] = torch.nextafter(model[0].weight[0, 0], torch.tensor(1.0))
        histories.append(train(model, moons, task="binary", num_epochs=200, optimizer="adam",
                               lr=0.01).val_loss)
    assert abs(histories[0][-1] - histories[1][-1]) > 1e-5


def test_progress_bar_is_shown(regression, capsys):
    train_sweep(linear, regression, num_epochs=3, weight_decay=[0.0, 0.1], progress=True)
    assert "2 models" in capsys.readouterr().err


def test_unsupported_layers_and_uneven_lists_are_clear_errors(regression):
    with pytest.raises(TypeError, match="Dropout"):
        train_sweep(lambda: nn.Sequential(nn.Linear(200, 1), nn.Dropout()), regression,
                    weight_decay=[0.0, 0.1], progress=False)
    with pytest.raises(ValueError, match="one length"):
        train_sweep(linear, regression, weight_decay=[0.0, 0.1], seed=[0, 1, 2], progress=False)
