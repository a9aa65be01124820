"""Are the synthetic datasets shaped, balanced and deterministic as the lessons need?"""
import pytest
import torch

from helpers import data


@pytest.mark.parametrize("make", [data.overfit_regression, data.noisy_moons, data.imbalanced])
def test_same_seed_same_data_other_seed_other_data(make):
    a, b, c = make(seed=1), make(seed=1), make(seed=2)
    assert torch.equal(a.X_train, b.X_train) and torch.equal(a.y_val, b.y_val)
    assert not torch.equal(a.X_train, c.X_train)


def test_overfit_regression_follows_d2l_setup():
    d = data.overfit_regression()
    assert d.X_train.shape == (20, 200) and d.X_val.shape == (100, 200)
    assert d.y_train.shape == (20, 1)
    # y = 0.05 + sum(0.01 x) + noise(0.01): the residual of the true model is the noise
    residual = d.y_train - (d.X_train @ d.info["true_w"] + d.info["true_b"])
    assert residual.std() < 0.02


def test_overfit_regression_can_be_fit_exactly_but_does_not_generalize():
    d = data.overfit_regression()
    X = torch.cat([d.X_train, torch.ones(20, 1)], 1)
    w = torch.linalg.lstsq(X, d.y_train).solution if X.shape[0] >= X.shape[1] else \
        torch.linalg.pinv(X) @ d.y_train
    assert ((X @ w - d.y_train) ** 2).mean() < 1e-8  # more features than examples
    val = ((torch.cat([d.X_val, torch.ones(100, 1)], 1) @ w - d.y_val) ** 2).mean()
    assert val > 100 * d.info["noise"] ** 2


def test_noisy_moons_flips_about_the_asked_fraction():
    d = data.noisy_moons(num_train=1000, num_val=1000, label_noise=0.15)
    assert d.X_train.shape == (1000, 2)
    assert set(d.y_train.unique().tolist()) == {0.0, 1.0}
    assert 0.12 < d.info["flipped_train"].float().mean() < 0.18


def test_imbalanced_has_the_exact_base_rate_in_both_splits():
    d = data.imbalanced(num_train=2000, num_val=1000, positive_rate=0.03)
    assert d.y_train.sum().item() == 60 and d.y_val.sum().item() == 30


def test_imbalanced_positives_are_shifted():
    d = data.imbalanced(num_train=4000)
    pos = d.X_train[d.y_train[:, 0] == 1]
    neg = d.X_train[d.y_train[:, 0] == 0]
    assert (pos[:, 0].mean() - neg[:, 0].mean()) > 1.0
    assert abs(pos[:, 5].mean() - neg[:, 5].mean()) < 0.5


def test_pure_noise_labels_are_balanced_and_unrelated_to_features():
    X, y = data.pure_noise(num_samples=400, num_features=50)
    assert y.mean().item() == 0.5
    corr = ((X - X.mean(0)) * (y - y.mean())).mean(0) / (X.std(0) * y.std())
    assert corr.abs().max() < 0.25  # nothing beyond chance correlations


def test_train_val_split_partitions_the_rows():
    X = torch.arange(10.0).unsqueeze(1)
    s = data.train_val_split(X, X, val_fraction=0.3, seed=0)
    assert len(s.X_val) == 3 and len(s.X_train) == 7
    assert sorted(torch.cat([s.X_train, s.X_val])[:, 0].tolist()) == list(range(10))


def test_split_moves_to_a_device_and_keeps_info():
    d = data.noisy_moons().to("cpu")
    assert d.X_train.device.type == "cpu" and "flipped_train" in d.info
