"""Does gradient descent leave the null-space part of a linear model's weights alone?"""
import pytest
import torch
from torch import nn

from helpers.data import overfit_regression
from helpers.null_space import (design_matrix, linear_params, min_norm_solution, mse,
                                split_null_space, zero_init)
from helpers.training import train


@pytest.fixture(scope="module")
def wide():
    """More weights (31) than training examples (10): a 21-dimensional null space."""
    return overfit_regression(num_train=10, num_val=50, num_features=30, seed=1)


def test_zero_init_zeroes_every_parameter():
    model = zero_init(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)))
    assert all(bool((p == 0).all()) for p in model.parameters())


def test_the_two_parts_add_up_and_the_null_part_changes_no_training_prediction(wide):
    theta = torch.randn(31, 1, dtype=torch.float64)
    row, null = split_null_space(theta, wide.X_train)
    assert torch.allclose(row + null, theta)
    assert (design_matrix(wide.X_train) @ null).abs().max() < 1e-10
    assert null.norm() > 0.5 * theta.norm()  # 21 of 31 directions are free


def test_linear_params_puts_the_bias_last():
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 2.0]]))
        model.bias.fill_(3.0)
    assert linear_params(model).flatten().tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(TypeError):
        linear_params(nn.Linear(2, 2))


def test_gradient_descent_never_moves_the_null_space_part(wide):
    """SGD with momentum: the null part after training equals the one at init."""
    torch.manual_seed(0)
    model = nn.Linear(30, 1)
    _, before = split_null_space(linear_params(model), wide.X_train)
    train(model, wide, num_epochs=200, lr=0.01, momentum=0.9)
    _, after = split_null_space(linear_params(model), wide.X_train)
    assert before.norm() > 0.1
    assert (after - before).norm() < 1e-5


def test_from_zero_gradient_descent_reaches_the_minimum_norm_solution(wide):
    model = zero_init(nn.Linear(30, 1))
    history = train(model, wide, num_epochs=300, lr=0.01, momentum=0.9)
    theta = min_norm_solution(wide.X_train, wide.y_train)
    assert history.train_loss[-1] < 1e-8
    assert (linear_params(model) - theta).norm() < 1e-4
    assert mse(theta, wide.X_val, wide.y_val) == pytest.approx(history.val_loss[-1], rel=1e-3)


def test_weight_decay_shrinks_the_null_space_part(wide):
    torch.manual_seed(0)
    model = nn.Linear(30, 1)
    _, before = split_null_space(linear_params(model), wide.X_train)
    train(model, wide, num_epochs=200, lr=0.01, weight_decay=1.0)
    _, after = split_null_space(linear_params(model), wide.X_train)
    # plain SGD: the null part is multiplied by exactly (1 - lr * wd) per step
    assert after.norm() / before.norm() == pytest.approx(0.99 ** 200, rel=1e-3)
