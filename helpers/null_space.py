"""Split a linear model's weights into what the training data see and what they do not.

Lessons 02 and 03 (`02_weight_decay.ipynb` §2, `03_l2_by_hand.ipynb` §1) train
a linear model with more weights than training examples. Write its weights
and bias as one vector theta of d + 1 entries and the training inputs, with a
column of ones for the bias, as the (n, d + 1) matrix A: the predictions on
the training set are A @ theta. Every gradient of a loss on those predictions
is A^T @ (something), a combination of the n rows of A, so gradient descent
(with or without momentum) moves theta only inside the row space of A. The
rest of theta, its component in the null space of A, keeps its initial value
for ever: the training loss cannot see it, validation predictions can.
Starting from zero, gradient descent converges to the interpolating solution
of least norm, pinv(A) @ y. Weight decay multiplies theta by (1 - lr * wd)
every step, which shrinks the null-space component towards 0.

All results are float64 tensors on the CPU (MPS has no float64), shape
(d + 1, 1), weights first and the bias last, as `linear_params` orders them.
"""
import torch
from torch import nn


def zero_init(model):
    """Set every parameter of `model` to 0 in place and return the model.

    The control of lessons 02 and 03: a linear model started at 0 and
    trained without decay converges to the minimum-norm solution.
    """
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    return model


def design_matrix(X):
    """Return [X, 1] as float64 on the CPU: (n, d) inputs -> (n, d + 1)."""
    X = X.detach().cpu().double()
    return torch.cat([X, torch.ones(len(X), 1, dtype=X.dtype)], dim=1)


def linear_params(model):
    """Return an nn.Linear(d, 1)'s weight and bias as one (d + 1, 1) float64 CPU vector."""
    if not isinstance(model, nn.Linear) or model.out_features != 1 or model.bias is None:
        raise TypeError("linear_params takes an nn.Linear(d, 1) with a bias")
    return torch.cat([model.weight.detach().reshape(-1), model.bias.detach()]).cpu().double()[:, None]


def min_norm_solution(X, y):
    """Return the interpolating (weights, bias) of least norm, pinv([X, 1]) @ y, shape (d + 1, 1)."""
    return torch.linalg.pinv(design_matrix(X)) @ y.detach().cpu().double().reshape(-1, 1)


def split_null_space(theta, X):
    """Split theta (d + 1, 1) into its row-space and null-space parts for the inputs X (n, d).

    Returns:
        (row, null): row + null == theta; A @ null == 0 for A = [X, 1], so
        `null` changes no prediction on the rows of X.
    """
    A = design_matrix(X)
    theta = theta.detach().cpu().double().reshape(-1, 1)
    row = torch.linalg.pinv(A) @ (A @ theta)
    return row, theta - row


def mse(theta, X, y):
    """Mean squared error of the linear model theta (d + 1, 1) on inputs X (n, d), targets y."""
    residual = design_matrix(X) @ theta - y.detach().cpu().double().reshape(-1, 1)
    return float(residual.pow(2).mean())
