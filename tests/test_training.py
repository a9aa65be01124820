"""Does the training loop record honestly, and do the weight-decay identities hold?

The identities are those of ../shared/course-facts.md, section 2, checked
against PyTorch's own optimizers.
"""
import copy

import pytest
import torch
from torch import nn

from helpers.data import noisy_moons, overfit_regression
from helpers.training import History, data_loss, make_optimizer, train


def small_net(seed=0, d_in=200):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d_in, 16), nn.Tanh(), nn.Linear(16, 1))


def sum_of_squares(model):
    return sum(p.pow(2).sum() for p in model.parameters())


def max_param_gap(a, b):
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))


@pytest.fixture(scope="module")
def data():
    return overfit_regression(seed=0)


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_weight_decay_equals_half_lambda_penalty(data, momentum, nesterov):
    lam = 0.3
    by_decay, by_penalty = small_net(), small_net()
    train(by_decay, data, num_epochs=50, lr=0.05, momentum=momentum, nesterov=nesterov,
          weight_decay=lam)
    train(by_penalty, data, num_epochs=50, lr=0.05, momentum=momentum, nesterov=nesterov,
          penalty=lambda m: lam / 2 * sum_of_squares(m))
    assert max_param_gap(by_decay, by_penalty) < 1e-6


def test_penalty_without_half_needs_twice_the_weight_decay(data):
    lam = 0.3
    penalty = lambda m: lam * sum_of_squares(m)  # Keras-style l2(lam), no 1/2
    by_penalty, same_number, doubled = small_net(), small_net(), small_net()
    train(by_penalty, data, num_epochs=50, lr=0.05, penalty=penalty)
    train(same_number, data, num_epochs=50, lr=0.05, weight_decay=lam)
    train(doubled, data, num_epochs=50, lr=0.05, weight_decay=2 * lam)
    assert max_param_gap(by_penalty, doubled) < 1e-6
    assert max_param_gap(by_penalty, same_number) > 1e-3


def test_adam_weight_decay_is_adam_on_the_penalized_loss_and_adamw_is_not(data):
    wd = 0.1
    adam_decay, adam_penalty, adamw = small_net(), small_net(), small_net()
    train(adam_decay, data, num_epochs=60, lr=0.01, optimizer="adam", weight_decay=wd)
    train(adam_penalty, data, num_epochs=60, lr=0.01, optimizer="adam",
          penalty=lambda m: wd / 2 * sum_of_squares(m))
    train(adamw, data, num_epochs=60, lr=0.01, optimizer="adamw", weight_decay=wd)
    assert max_param_gap(adam_decay, adam_penalty) < 1e-6
    assert max_param_gap(adam_decay, adamw) > 1e-3


def test_zero_gradient_is_still_decayed_but_none_gradient_is_skipped():
    zero_grad, no_grad = nn.Parameter(torch.ones(1)), nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([zero_grad, no_grad], lr=0.1, weight_decay=0.5)
    zero_grad.grad = torch.zeros(1)  # no_grad.grad stays None
    opt.step()
    assert zero_grad.item() == pytest.approx(0.95)
    assert no_grad.item() == 1.0


def test_adamw_decay_per_step_is_lr_times_wd():
    for lr in (0.1, 0.05):
        p = nn.Parameter(torch.ones(1))
        opt = make_optimizer("adamw", [p], lr=lr, weight_decay=0.5)
        p.grad = torch.zeros(1)  # Adam's own step is 0 here, only the decay acts
        opt.step()
        assert p.item() == pytest.approx(1 - lr * 0.5)


def test_optimizer_defaults_differ_so_decay_is_always_passed():
    p = [nn.Parameter(torch.ones(1))]
    assert torch.optim.SGD(p, lr=0.1).defaults["weight_decay"] == 0
    assert torch.optim.Adam(p).defaults["weight_decay"] == 0
    assert torch.optim.AdamW(p).defaults["weight_decay"] == 0.01
    assert make_optimizer("adamw", p, lr=0.1).defaults["weight_decay"] == 0.0


def test_unknown_optimizer_or_task_is_a_clear_error(data):
    with pytest.raises(ValueError, match="optimizer must be one of"):
        train(small_net(), data, optimizer="rmsprop")
    with pytest.raises(ValueError, match="task must be one of"):
        data_loss(torch.zeros(2, 1), torch.zeros(2, 1), "multiclass")


def test_history_reports_data_loss_apart_from_the_penalty(data):
    lam = 0.01
    model = small_net()
    h = train(model, data, num_epochs=5, lr=0.05, penalty=lambda m: lam * sum_of_squares(m))
    assert isinstance(h, History) and h.num_epochs == 5
    with torch.no_grad():
        true_data_loss = data_loss(model(data.X_train), data.y_train, "regression").item()
        true_penalty = (lam * sum_of_squares(model)).item()
    assert h.train_loss[-1] == pytest.approx(true_data_loss, rel=1e-6)
    assert h.penalty[-1] == pytest.approx(true_penalty, rel=1e-6)
    assert h.objective[-1] == pytest.approx(true_data_loss + true_penalty, rel=1e-6)
    assert h.param_norm[-1] == pytest.approx((true_penalty / lam) ** 0.5, rel=1e-5)


def test_overfitting_is_visible_without_decay(data):
    torch.manual_seed(0)
    h = train(nn.Linear(200, 1), data, num_epochs=100, lr=0.01)
    assert h.train_loss[-1] < 1e-6 < 0.1 < h.val_loss[-1]
    assert 1 <= h.best_epoch() <= 100


def test_classification_history_has_accuracy_precision_recall():
    moons = noisy_moons(seed=0)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1))
    h = train(model, moons, task="binary", num_epochs=30, lr=0.05, optimizer="adam")
    for split in ("train", "val"):
        for key in ("accuracy", "precision", "recall", "f1"):
            values = h[f"{split}_{key}"]
            assert len(values) == 30 and all(0.0 <= v <= 1.0 for v in values)
    assert h.val_accuracy[-1] > 0.7  # it learned the moons despite 15% flipped labels


def test_minibatch_order_is_set_by_data_seed(data):
    runs = []
    for data_seed in (0, 0, 1):
        model = small_net()
        train(model, data, num_epochs=3, lr=0.05, batch_size=4, data_seed=data_seed)
        runs.append(model)
    assert max_param_gap(runs[0], runs[1]) == 0.0
    assert max_param_gap(runs[0], runs[2]) > 0.0


def test_training_does_not_touch_the_global_generator(data):
    model = small_net()
    torch.manual_seed(5)
    expected = torch.rand(1)
    torch.manual_seed(5)
    train(model, data, num_epochs=2, batch_size=4)
    assert torch.equal(torch.rand(1), expected)
