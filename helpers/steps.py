"""Take optimizer steps one at a time and record every parameter after each.

Lessons 03 and 04 (`03_l2_by_hand.ipynb`, `04_param_groups.ipynb`) compare
optimizers step by step: SGD's `weight_decay` against a hand-written penalty,
Adam's L2 against AdamW's decay, parameter groups against one another.
`helpers.training.train` builds its own optimizer from a single weight_decay
and records per-epoch metrics; `run_steps` takes an optimizer you built (any
optimizer, any parameter groups) and records the parameters after every
full-batch step, so two runs can be compared to the last digit.
"""
import torch

from helpers.training import data_loss


def flat_params(model):
    """Return all of model's parameters as one detached vector, in parameters() order."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def run_steps(model, data, optimizer, num_steps, *, task="regression", penalty=None):
    """Train `model` with `optimizer` for `num_steps` full-batch steps; return its path.

    Each step: data loss on the whole training split (plus `penalty(model)`
    if given), zero_grad, backward, optimizer.step(). The model is in train
    mode throughout (BatchNorm uses batch statistics) and is trained in place.

    Args:
        model: an nn.Module mapping data.X_train (n, d) to outputs (n, 1),
            on the data's device.
        data: a helpers.data.Split.
        optimizer: a torch.optim optimizer over (some of) model's parameters.
        num_steps: how many steps to take.
        task: "regression" (MSE) or "binary" (cross-entropy on logits).
        penalty: optional function model -> 0-dim tensor added to the loss.
    Returns:
        tensor of shape (num_steps + 1, P): row 0 is the start, row t the
        parameters after step t, P the number of entries of model.parameters().
    """
    model.train()
    path = [flat_params(model)]
    for _ in range(num_steps):
        loss = data_loss(model(data.X_train), data.y_train, task)
        if penalty is not None:
            loss = loss + penalty(model)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        path.append(flat_params(model))
    return torch.stack(path)
