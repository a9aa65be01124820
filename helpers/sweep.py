"""Train K models at once (K weight decays, learning rates or seeds) as one computation.

A weight-decay sweep is K trainings of the same small network that differ in
one number. Run one after another, most of the time goes to Python overhead
per step, not arithmetic. Here the K networks' weights are stacked along a
leading dimension, so each step is one batched matrix multiply for all of
them, and the optimizer update is vectorized with a per-model learning rate
and weight decay. Each model still gets exactly the update PyTorch's SGD,
Adam or AdamW would give it alone: tests/test_sweep.py checks the results
against K separate `helpers.training.train` runs (to 1e-5 on the CPU).

Batched kernels may round the last bit of a gradient differently from
separate calls. In well-conditioned runs that stays invisible (~1e-7); in a
run on the edge of chaos (Adam without decay memorizing noisy labels, or a
ReLU unit that a step may just switch off), one ulp grows into a visible
difference, exactly as a one-ulp change of a single initial weight would in
two separate runs; tests/test_sweep.py shows that too.

Supported models: an nn.Linear, or an nn.Sequential of nn.Linear layers and
element-wise activations (the networks of lessons 01-04).
"""
import copy
import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.training import (History, METRICS, OPTIMIZERS, batches, confusion_tensor, data_loss,
                              metrics_from_counts)

# Layers that act on each element alone, so the same module works on (K, n, d).
ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.ELU,
               nn.Identity)


class StackedMLP:
    """K copies of one MLP architecture whose parameters are stacked on dim 0.

    Linear weights become (K, out, in) and biases (K, 1, out), so one
    batched matmul evaluates all K networks on the same input.
    """

    def __init__(self, models, device):
        self.template = models[0]
        self.layers = self._layers(self.template)
        per_model = [self._layers(m) for m in models]
        self.params = []  # [(W, b or None)] per Linear layer, in order
        for i, layer in enumerate(self.layers):
            if isinstance(layer, nn.Linear):
                W = torch.stack([layers[i].weight.detach() for layers in per_model])
                b = (torch.stack([layers[i].bias.detach() for layers in per_model]).unsqueeze(1)
                     if layer.bias is not None else None)
                self.params.append(tuple(t.to(device).requires_grad_() if t is not None else None
                                         for t in (W, b)))

    @staticmethod
    def _layers(model):
        layers = list(model) if isinstance(model, nn.Sequential) else [model]
        for layer in layers:
            if not isinstance(layer, (nn.Linear, *ELEMENTWISE)):
                raise TypeError(f"train_sweep supports Linear layers and element-wise activations, "
                                f"not {type(layer).__name__}; train such models with helpers.train")
        return layers

    def parameters(self):
        return [t for pair in self.params for t in pair if t is not None]

    def __call__(self, X):
        """Map X of shape (n, d) to outputs of shape (K, n, out)."""
        h, linear = X, iter(self.params)
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                W, b = next(linear)
                # W @ h^T rather than h @ W^T: the same products, but this order
                # makes the CPU kernels round exactly as nn.Linear does (also for
                # a single output, where nn.Linear takes a matrix-vector path).
                h = torch.matmul(W, h.transpose(-1, -2)).transpose(-1, -2)
                if b is not None:
                    h = h + b
            else:
                h = layer(h)
        return h

    def param_norms(self):
        """L2 norm of all parameters of each model, shape (K,)."""
        return torch.sqrt(sum(p.pow(2).flatten(1).sum(1) for p in self.parameters()))

    def unstack(self):
        """Return K independent nn.Modules holding the trained weights."""
        models = []
        for k in range(self.parameters()[0].shape[0]):
            model = copy.deepcopy(self.template).to(self.parameters()[0].device)
            linears = iter(self.params)
            with torch.no_grad():
                for layer in self._layers(model):
                    if isinstance(layer, nn.Linear):
                        W, b = next(linears)
                        layer.weight.copy_(W[k])
                        if b is not None:
                            layer.bias.copy_(b[k, 0])
            models.append(model)
        return models


class StackedOptimizer:
    """SGD (momentum, Nesterov), Adam or AdamW with one lr and weight decay per model.

    The update of model k is, term for term, the one torch.optim applies:
    SGD and Adam add weight_decay * p to the gradient (coupled, an L2
    penalty of weight_decay / 2 * ||p||^2); AdamW first multiplies p by
    (1 - lr * weight_decay) and then takes the Adam step (decoupled).
    """

    def __init__(self, params, kind, lr, weight_decay, momentum=0.0, nesterov=False,
                 betas=(0.9, 0.999), eps=1e-8):
        if kind not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, not {kind!r}")
        self.params, self.kind = params, kind
        # Per-model settings as float64 on the host: the scalars torch.optim
        # computes in Python (double) precision, such as lr / (1 - beta1**t)
        # and 1 - lr * wd, are computed the same way here and rounded once,
        # which keeps each model's update within an ulp of torch.optim's.
        self.lr = torch.as_tensor(lr, dtype=torch.float64)
        self.wd = torch.as_tensor(weight_decay, dtype=torch.float64)
        self.momentum, self.nesterov, self.betas, self.eps = momentum, nesterov, betas, eps
        self.state = [{} for _ in params]
        self.t = 0
        # Shaped for each parameter once, not at every step (those small copies took a few
        # percent of a sweep's time).
        self._lr = [self._per_model(self.lr, p) for p in params]
        self._wd = [self._per_model(self.wd, p) for p in params]
        self._keep = [self._per_model(1 - self.lr * self.wd, p) for p in params]  # AdamW

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def _per_model(self, values, p):
        """Shape per-model float64 values (K,) to broadcast against p, in p's dtype."""
        return values.to(device=p.device, dtype=p.dtype).view((-1,) + (1,) * (p.dim() - 1))

    @torch.no_grad()
    def step(self):
        self.t += 1
        for i, (p, state) in enumerate(zip(self.params, self.state)):
            lr, wd, g = self._lr[i], self._wd[i], p.grad
            if self.kind == "adamw":
                p.mul_(self._keep[i])
            else:
                g = g + wd * p
            if self.kind == "sgd":
                if self.momentum:
                    if "buf" not in state:
                        state["buf"] = g.clone()
                    else:
                        state["buf"].mul_(self.momentum).add_(g)
                    g = g + self.momentum * state["buf"] if self.nesterov else state["buf"]
                p.sub_(lr * g)
                continue
            beta1, beta2 = self.betas
            if "m" not in state:
                state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
            state["m"].lerp_(g, 1 - beta1)
            state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = (state["v"].sqrt() / math.sqrt(1 - beta2 ** self.t)).add_(self.eps)
            neg_step_size = self._per_model(-self.lr / (1 - beta1 ** self.t), p)
            p.add_(neg_step_size * state["m"] / denom)  # the order of addcdiv_'s arithmetic


@dataclass
class SweepResult:
    """What train_sweep returns.

    configs: K dicts with the lr, weight_decay and seed of each model.
    history: per-epoch records as arrays of shape (K, num_epochs), same keys
        as helpers.training.History.
    models: the K trained models, as ordinary nn.Modules.
    """

    configs: list
    history: dict
    models: list

    def __len__(self):
        return len(self.configs)

    def values(self, name):
        """The swept setting `name` (lr, weight_decay or seed) of each model, shape (K,)."""
        return np.array([c[name] for c in self.configs])

    def final(self, key):
        """Each model's `key` after the last epoch, shape (K,)."""
        return self.history[key][:, -1]

    def run(self, k):
        """The History of model k alone, as train() would have returned it."""
        return History({key: values[k].tolist() for key, values in self.history.items()})


def _broadcast(**settings):
    """Turn scalars and equal-length lists into K per-model configs."""
    lengths = {len(v) for v in settings.values() if isinstance(v, (list, tuple, np.ndarray))}
    if len(lengths) > 1:
        raise ValueError(f"swept lists must have one length, got {sorted(lengths)}")
    K = lengths.pop() if lengths else 1
    as_list = {k: list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v] * K
               for k, v in settings.items()}
    return [{k: as_list[k][i] for k in settings} for i in range(K)]


def train_sweep(make_model, data, *, task="regression", num_epochs=100, lr=0.01,
                weight_decay=0.0, seed=0, optimizer="sgd", momentum=0.0, nesterov=False,
                batch_size=None, data_seed=0, progress=True):
    """Train one model per setting at once; same results as separate `train` runs.

    Each of `lr`, `weight_decay` and `seed` is a number (shared) or a list
    (swept); lists must have the same length K. Model k is built by
    ``torch.manual_seed(seed_k); make_model()``, exactly as a separate run
    would build it, then trained with lr_k and weight_decay_k.

    Args:
        make_model: function returning a fresh nn.Linear or nn.Sequential MLP.
        data: a helpers.data.Split.
        other arguments: as in helpers.training.train.
    Returns:
        SweepResult with history arrays of shape (K, num_epochs).
    """
    configs = _broadcast(lr=lr, weight_decay=weight_decay, seed=seed)
    device = data.X_train.device
    models = []
    for c in configs:
        torch.manual_seed(c["seed"])
        models.append(make_model())
    stacked = StackedMLP(models, device)
    opt = StackedOptimizer(stacked.parameters(), optimizer, [float(c["lr"]) for c in configs],
                           [float(c["weight_decay"]) for c in configs], momentum, nesterov)
    shuffle = torch.Generator().manual_seed(data_seed)
    records = []  # what _evaluate measured after each epoch, still on the device
    epochs = range(num_epochs)
    if progress:
        from tqdm.auto import trange

        epochs = trange(num_epochs, desc=f"{len(configs)} models", leave=False)
    full_batch = batch_size is None or batch_size >= len(data.X_train)
    out_train = None  # all training rows through the current weights, once computed
    for _ in epochs:
        for idx in batches(len(data.X_train), batch_size, shuffle):
            if idx is None:
                out = out_train if out_train is not None else stacked(data.X_train)
                y = data.y_train
            else:
                idx = idx.to(device)
                out, y = stacked(data.X_train[idx]), data.y_train[idx]
            # Summing the K mean losses gives each model the gradient of its own loss.
            loss = data_loss(out, y, task).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        # Full batch: the evaluation's pass over the training rows (after this step) is
        # also the next step's forward pass, same weights and rows; compute it once, with
        # autograd, and use it for both.
        out_train = stacked(data.X_train) if full_batch else None
        records.append(_evaluate(stacked, data, task, out_train))
    history = _history(records, task)  # (K, num_epochs) arrays
    return SweepResult(configs, history, stacked.unstack())


@torch.no_grad()
def _evaluate(stacked, data, task, out_train=None):
    """Measure all K models after one epoch, without reading anything back to the host.

    out_train: the models' outputs on the training rows, if already computed.
    Returns (values, counts): values of shape (K, 3) hold the training loss,
    the validation loss and the parameter norm; counts (K, 8), for
    task="binary" only (else None), the training and then the validation
    tp, fp, fn, tn. _history reads all epochs back at once: converting the
    numbers to Python floats every epoch (several small copies per model)
    took about a sixth of the time of lesson 02's sweep of six networks.
    """
    out_train = stacked(data.X_train) if out_train is None else out_train.detach()
    out_val = stacked(data.X_val)
    values = torch.stack([data_loss(out_train, data.y_train, task),
                          data_loss(out_val, data.y_val, task), stacked.param_norms()], dim=1)
    counts = None
    if task == "binary":
        counts = torch.cat([confusion_tensor(out_train, data.y_train),
                            confusion_tensor(out_val, data.y_val)], dim=-1)
    return values, counts


def _history(records, task):
    """Turn the per-epoch (values, counts) of _evaluate into arrays of shape (K, num_epochs)."""
    values = torch.stack([v for v, _ in records], dim=1).cpu().double().numpy()
    train_loss = values[:, :, 0]
    history = {"train_loss": train_loss, "val_loss": values[:, :, 1],
               "penalty": np.zeros_like(train_loss), "objective": train_loss.copy(),
               "param_norm": values[:, :, 2]}
    if task == "binary":
        counts = torch.stack([c for _, c in records], dim=1).cpu().tolist()  # (K, epochs, 8)
        # A model's four counts repeat from epoch to epoch (its predictions settle): each
        # distinct four is scored once, not once per model, epoch and split (lesson 02's
        # sweep of six networks: 4,800 reports, 12 ms -> 3 ms).
        score = functools.lru_cache(maxsize=None)(metrics_from_counts)
        for split, first in (("train", 0), ("val", 4)):
            per_epoch = [[score(tuple(c[first:first + 4])) for c in model] for model in counts]
            for key in METRICS:
                history[f"{split}_{key}"] = np.array([[m[key] for m in model] for model in per_epoch])
    return history
