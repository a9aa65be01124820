"""Small synthetic datasets that make each lesson visible in seconds on a CPU.

Every function is deterministic for a given `seed` (data are drawn on the CPU
with their own generator, then moved to `device`), so a lesson shows the same
numbers on every run and on every device. Targets `y` have shape (n, 1) and
dtype float32, the shape a one-output model predicts; class labels are 0/1.
"""
import math
from dataclasses import dataclass, field

import torch


@dataclass
class Split:
    """A train/validation split. `info` holds what generated the data."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    info: dict = field(default_factory=dict)

    @property
    def num_features(self):
        return self.X_train.shape[1]

    def to(self, device):
        """Return the same split with every tensor on `device`."""
        moved = {k: v.to(device) if torch.is_tensor(v) else v for k, v in self.info.items()}
        return Split(self.X_train.to(device), self.y_train.to(device),
                     self.X_val.to(device), self.y_val.to(device), moved)


def _generator(seed):
    return torch.Generator().manual_seed(seed)


def overfit_regression(num_train=20, num_val=100, num_features=200, noise=0.01,
                       seed=0, device="cpu"):
    """Return a linear regression task with far more features than examples.

    d2l's weight-decay set-up (lessons 02 and 03): y = 0.05 + sum_i 0.01 * x_i
    + noise, x ~ N(0, I). With more features than examples a linear model
    fits the training set exactly. How well it then generalizes depends on
    its start, not on the (tiny) noise: gradient descent never changes the
    initial weights' component in the directions the training inputs do
    not span, so from random weights it validates badly, while from zero it
    reaches the minimum-norm solution (lesson 02, section 2b;
    helpers.null_space). Compare every result with predicting 0.

    Returns:
        Split with X_* of shape (n, num_features), y_* of shape (n, 1);
        info["true_w"] (num_features, 1) and info["true_b"] (float).
    """
    g = _generator(seed)
    true_w = torch.full((num_features, 1), 0.01)
    true_b = 0.05
    X = torch.randn(num_train + num_val, num_features, generator=g)
    y = X @ true_w + true_b + noise * torch.randn(num_train + num_val, 1, generator=g)
    split = Split(X[:num_train], y[:num_train], X[num_train:], y[num_train:],
                  {"true_w": true_w, "true_b": true_b, "noise": noise})
    return split.to(device)


def _moons(n, noise, g):
    """Two interleaving half circles (n points, balanced) with Gaussian jitter."""
    n_top = n // 2
    n_bottom = n - n_top
    t_top = math.pi * torch.rand(n_top, generator=g)
    t_bottom = math.pi * torch.rand(n_bottom, generator=g)
    top = torch.stack([torch.cos(t_top), torch.sin(t_top)], dim=1)
    bottom = torch.stack([1 - torch.cos(t_bottom), 0.5 - torch.sin(t_bottom)], dim=1)
    X = torch.cat([top, bottom]) + noise * torch.randn(n, 2, generator=g)
    y = torch.cat([torch.zeros(n_top), torch.ones(n_bottom)])
    order = torch.randperm(n, generator=g)
    return X[order], y[order]


def noisy_moons(num_train=100, num_val=400, noise=0.2, label_noise=0.15, seed=0,
                device="cpu"):
    """Return a 2-D two-moons classification task whose labels are partly wrong.

    A fraction `label_noise` of labels in each split is flipped, so a flexible
    model that reaches 100% training accuracy must have memorized noise: its
    decision boundary wraps around single points (lessons 00 and 02 plot it).

    Returns:
        Split with X_* of shape (n, 2), y_* of shape (n, 1) in {0, 1};
        info["flipped_train"], info["flipped_val"]: bool masks of flipped labels.
    """
    g = _generator(seed)
    X, y = _moons(num_train + num_val, noise, g)
    flipped = torch.rand(len(y), generator=g) < label_noise
    y = torch.where(flipped, 1 - y, y).unsqueeze(1)
    split = Split(X[:num_train], y[:num_train], X[num_train:], y[num_train:],
                  {"flipped_train": flipped[:num_train], "flipped_val": flipped[num_train:],
                   "label_noise": label_noise})
    return split.to(device)


def imbalanced(num_train=2000, num_val=2000, positive_rate=0.03, num_features=10,
               separation=1.5, seed=0, device="cpu"):
    """Return a fraud-like binary task where only `positive_rate` of examples are positive.

    Negatives are N(0, I); positives are shifted by `separation` along the
    first three features, so they are detectable but overlap the negatives.
    Each split holds exactly round(positive_rate * n) positives, so the base
    rate is the same in both. An "always negative" model scores
    1 - positive_rate accuracy and 0 recall (lesson 01, the accuracy paradox).

    Returns:
        Split with X_* of shape (n, num_features), y_* of shape (n, 1) in {0, 1}.
    """
    g = _generator(seed)
    shift = torch.zeros(num_features)
    shift[: min(3, num_features)] = separation

    def draw(n):
        n_pos = round(positive_rate * n)
        X = torch.randn(n, num_features, generator=g)
        y = torch.zeros(n)
        y[:n_pos] = 1
        X[:n_pos] += shift
        order = torch.randperm(n, generator=g)
        return X[order], y[order].unsqueeze(1)

    X_train, y_train = draw(num_train)
    X_val, y_val = draw(num_val)
    return Split(X_train, y_train, X_val, y_val,
                 {"positive_rate": positive_rate, "shift": shift}).to(device)


def pure_noise(num_samples=200, num_features=1000, seed=0, device="cpu"):
    """Return features and labels that are independent: nothing can be learned.

    The leakage scenario (lesson 01): any validation accuracy clearly above
    50% on this data comes from information that leaked across the split,
    e.g. features selected, or normalization statistics fitted, on all rows.

    Returns:
        (X, y): X of shape (num_samples, num_features), y of shape
        (num_samples, 1) with balanced 0/1 labels in random order.
    """
    g = _generator(seed)
    X = torch.randn(num_samples, num_features, generator=g)
    y = (torch.arange(num_samples) % 2).float()[torch.randperm(num_samples, generator=g)]
    return X.to(device), y.unsqueeze(1).to(device)


def train_val_split(X, y, val_fraction=0.5, seed=0):
    """Shuffle the rows of (X, y) with `seed` and split them into a Split."""
    n = len(X)
    order = torch.randperm(n, generator=_generator(seed)).to(X.device)
    n_val = round(val_fraction * n)
    val, train = order[:n_val], order[n_val:]
    return Split(X[train], y[train], X[val], y[val])
