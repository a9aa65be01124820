"""A plain, readable training loop that records what overfitting looks like.

`train` is the loop every lesson calls: full-batch or mini-batch training
with SGD, Adam or AdamW, PyTorch's own `weight_decay`, and an optional
hand-written penalty. It reports the *data* loss separately from the
penalty, because a training loss that includes the penalty is not the loss
on the data (lesson 01, "the trap"). `helpers.sweep.train_sweep` trains many
such runs at once and returns the same numbers.
"""
import torch
import torch.nn.functional as F

from helpers import metrics

TASKS = ("regression", "binary")
OPTIMIZERS = ("sgd", "adam", "adamw")


class History(dict):
    """Per-epoch records: ``history["val_loss"][e]`` is measured after epoch e + 1.

    Keys: train_loss and val_loss (data loss only), penalty and objective
    (train_loss + penalty; penalty is 0 without one), param_norm (the L2 norm
    of all parameters); for task="binary" also {train,val}_{accuracy,
    precision,recall,f1}. Keys also read as attributes: ``history.val_loss``.
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def num_epochs(self):
        return len(self["val_loss"])

    def best_epoch(self, key="val_loss"):
        """Return the 1-based epoch with the lowest `key` (the first one on ties)."""
        values = self[key]
        return 1 + min(range(len(values)), key=values.__getitem__)


def data_loss(outputs, y, task):
    """Mean data loss: MSE for regression, binary cross-entropy on logits for binary.

    Args:
        outputs: (n, 1) from one model, or (K, n, 1) from K models of a sweep.
        y: (n, 1) targets.
    Returns:
        a 0-dim tensor, or one loss per model, shape (K,).
    """
    if task == "regression":
        per_example = (outputs - y) ** 2
    elif task == "binary":
        per_example = F.binary_cross_entropy_with_logits(outputs, y.expand_as(outputs),
                                                         reduction="none")
    else:
        raise ValueError(f"task must be one of {TASKS}, not {task!r}")
    return per_example.mean(dim=(-2, -1))


COUNTS = ("tp", "fp", "fn", "tn")
METRICS = ("accuracy", "precision", "recall", "f1")


def confusion_tensor(logits, y):
    """Count tp, fp, fn and tn of the predictions logits > 0 against y, as a tensor.

    The counts stay on the logits' device: a sweep keeps one such tensor per
    epoch and reads them all back at the end (see metrics_from_counts).

    Args:
        logits: (n, 1) from one model, or (K, n, 1) from K models.
        y: (n, 1) labels in {0, 1}.
    Returns:
        an integer tensor of shape (4,), or (K, 4), in the order of COUNTS.
    """
    pred, true = logits > 0, (y > 0.5).expand_as(logits)
    cells = torch.stack([pred & true, pred & ~true, ~pred & true, ~pred & ~true], dim=-1)
    return cells.sum(dim=(-3, -2))


def metrics_from_counts(counts):
    """Accuracy, precision, recall and F1 (helpers.metrics.report) from four counts in COUNTS order."""
    report = metrics.report(dict(zip(COUNTS, counts)))
    return {k: report[k] for k in METRICS}


def classification_metrics(logits, y):
    """Accuracy, precision, recall and F1 of the predictions logits > 0 against y.

    Args:
        logits: (n, 1) from one model, or (K, n, 1) from K models.
        y: (n, 1) labels in {0, 1}.
    Returns:
        a dict of floats, or (for K models) a list of K such dicts.
    """
    counts = confusion_tensor(logits, y).tolist()
    if logits.dim() == 2:
        return metrics_from_counts(counts)
    return [metrics_from_counts(c) for c in counts]


def make_optimizer(name, params, lr, weight_decay=0.0, momentum=0.0, nesterov=False):
    """Build torch.optim.SGD, Adam or AdamW with an explicit weight_decay.

    The decay is always passed explicitly, because the defaults differ:
    SGD and Adam default to 0, AdamW to 0.01 (lesson 02).
    """
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov,
                               weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, not {name!r}")


def batches(n, batch_size, generator):
    """Yield index tensors covering range(n): one full batch, or shuffled mini-batches."""
    if batch_size is None or batch_size >= n:
        yield None  # None means "all rows": avoids copying X every step
        return
    order = torch.randperm(n, generator=generator)
    yield from order.split(batch_size)


def record(history, name, value):
    history.setdefault(name, []).append(float(value))


@torch.no_grad()
def evaluate(model, data, task, penalty_value, history):
    """Append one epoch's measurements of `model` on both splits to `history`."""
    was_training = model.training
    model.eval()
    out_train, out_val = model(data.X_train), model(data.X_val)
    model.train(was_training)
    train_loss = data_loss(out_train, data.y_train, task)
    record(history, "train_loss", train_loss)
    record(history, "val_loss", data_loss(out_val, data.y_val, task))
    record(history, "penalty", penalty_value)
    record(history, "objective", train_loss + penalty_value)
    record(history, "param_norm", torch.sqrt(sum(p.pow(2).sum() for p in model.parameters())))
    if task == "binary":
        for split, out, y in (("train", out_train, data.y_train), ("val", out_val, data.y_val)):
            for k, v in classification_metrics(out, y).items():
                record(history, f"{split}_{k}", v)


def train(model, data, *, task="regression", num_epochs=100, lr=0.01, optimizer="sgd",
          weight_decay=0.0, momentum=0.0, nesterov=False, penalty=None, batch_size=None,
          data_seed=0, progress=False):
    """Train `model` on `data` and return its per-epoch History.

    Args:
        model: an nn.Module mapping X of shape (n, d) to outputs of shape (n, 1);
            it is moved to the data's device and trained in place.
        data: a helpers.data.Split.
        task: "regression" (MSE) or "binary" (cross-entropy on logits).
        num_epochs: passes over the training set.
        lr: learning rate.
        optimizer: "sgd", "adam" or "adamw" (PyTorch's own optimizers).
        weight_decay: passed to the optimizer as is (0 means none, for all three).
        momentum, nesterov: SGD only.
        penalty: optional function model -> 0-dim tensor (e.g. a hand-written
            L2 penalty), added to the data loss before backward(). Recorded
            separately: history["train_loss"] stays the data loss.
        batch_size: None for full-batch training, else shuffled mini-batches.
        data_seed: seeds the mini-batch order, kept apart from the seed that
            initialized the model so a sweep can share one order.
        progress: show a progress bar over epochs.
    Returns:
        History (see its docstring).
    """
    model.to(data.X_train.device)
    opt = make_optimizer(optimizer, model.parameters(), lr, weight_decay, momentum, nesterov)
    shuffle = torch.Generator().manual_seed(data_seed)
    history = History()
    for _ in _epochs(num_epochs, progress, "train"):
        model.train()
        for idx in batches(len(data.X_train), batch_size, shuffle):
            X = data.X_train if idx is None else data.X_train[idx.to(data.X_train.device)]
            y = data.y_train if idx is None else data.y_train[idx.to(data.y_train.device)]
            loss = data_loss(model(X), y, task)
            if penalty is not None:
                loss = loss + penalty(model)
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            penalty_value = penalty(model) if penalty is not None else 0.0
        evaluate(model, data, task, penalty_value, history)
    return history


def _epochs(num_epochs, progress, desc):
    if not progress:
        return range(num_epochs)
    from tqdm.auto import trange  # a widget in JupyterLab, a text bar in a terminal

    return trange(num_epochs, desc=desc, leave=False)
