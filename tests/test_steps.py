"""Does run_steps record every step, and do its paths show the lesson-03 identities?"""
import pytest
import torch
from torch import nn

from helpers.data import imbalanced, overfit_regression
from helpers.steps import flat_params, run_steps


def _mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(200, 8), nn.Tanh(), nn.Linear(8, 1))


def _sum_of_squares(model):
    return sum((p ** 2).sum() for p in model.parameters())


def test_path_has_the_start_and_one_row_per_step():
    data = overfit_regression()
    model = _mlp()
    start = flat_params(model).clone()
    path = run_steps(model, data, torch.optim.SGD(model.parameters(), lr=0.01), 5)
    assert path.shape == (6, sum(p.numel() for p in model.parameters()))
    assert torch.equal(path[0], start)
    assert torch.equal(path[-1], flat_params(model))  # the model was trained in place
    assert not torch.equal(path[1], path[0])


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_weight_decay_takes_the_steps_of_the_half_l2_penalty(momentum, nesterov):
    data, lam = overfit_regression(), 0.1

    def path(weight_decay=0.0, penalty=None):
        model = _mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=momentum, nesterov=nesterov,
                              weight_decay=weight_decay)
        return run_steps(model, data, opt, 30, penalty=penalty)

    assert (path(weight_decay=lam) - path(penalty=lambda m: lam / 2 * _sum_of_squares(m))).abs().max() < 1e-6
    assert (path(weight_decay=2 * lam) - path(penalty=lambda m: lam * _sum_of_squares(m))).abs().max() < 1e-6
    assert (path(weight_decay=lam) - path(penalty=lambda m: lam * _sum_of_squares(m))).abs().max() > 1e-3


def test_adam_weight_decay_is_the_penalty_but_adamw_is_not():
    data, wd = overfit_regression(), 0.1

    def path(make, penalty=None):
        model = _mlp()
        return run_steps(model, data, make(model.parameters()), 40, penalty=penalty)

    adam = path(lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=wd))
    penalized = path(lambda ps: torch.optim.Adam(ps, lr=0.01),
                     penalty=lambda m: wd / 2 * _sum_of_squares(m))
    adamw = path(lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=wd))
    assert (adam - penalized).abs().max() < 1e-6
    assert (adam - adamw).norm(dim=1)[-1] > 1e-2


def test_binary_task_and_parameter_groups_are_accepted():
    data = imbalanced(num_train=200, num_val=200)
    model = nn.Linear(data.num_features, 1)
    opt = torch.optim.SGD([{"params": [model.weight], "weight_decay": 0.1},
                           {"params": [model.bias], "weight_decay": 0.0}], lr=0.1)
    path = run_steps(model, data, opt, 3, task="binary")
    assert path.shape == (4, data.num_features + 1)
