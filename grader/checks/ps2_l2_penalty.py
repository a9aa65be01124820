"""Checks for ps2_l2_penalty: l2_penalty, weight_decay_equivalent, train_step_l2.

One `check_<part>(fn)` per graded test cell; each returns None when the part is
right, else a message for the learner (see checks/__init__.py).
"""
from builtins import Exception, abs, all, enumerate, float, len, list, sum, type, zip
from copy import deepcopy
from math import sqrt

import torch

from . import _core as core

_Linear, _Tanh, _Sequential = torch.nn.Linear, torch.nn.Tanh, torch.nn.Sequential
_MSELoss, _CrossEntropyLoss = torch.nn.MSELoss, torch.nn.CrossEntropyLoss
_randn, _randint, _full_like = torch.randn, torch.randint, torch.full_like
_tensor_sum = torch.Tensor.sum
_parameters = torch.nn.Module.parameters


# ------------------------------------------------------------------ l2_penalty

def reference_l2_penalty(params, lam):
    """lam * sum of squared entries over every tensor (no 1/2)."""
    return lam * sum((p ** 2).sum() for p in params)


def _tensors(seed):
    """Fresh example tensors: a matrix, a vector and a scalar, with negative entries."""
    if seed == 0:
        return [core.tensor([[0.5, -1.0, 2.0], [1.5, -0.5, 0.0]]), core.tensor([-1.0, 3.0]),
                core.tensor(0.7)]
    with core.fork_rng(devices=[]):
        core.manual_seed(seed)
        return [_randn(4, 5), _randn(5), _randn(2, 2, 3)]


def _model(seed):
    """A fresh small network (weights fixed by the seed) whose parameters we read."""
    with core.fork_rng(devices=[]):
        core.manual_seed(seed)
        return _Sequential(_Linear(3, 4), _Tanh(), _Linear(4, 2))


def _show_params(values):
    return "[" + ", ".join(f"a tensor of shape {list(core.shape(p))}" for p in values) + "]"


def _sums(tensors):
    """The quantities the known mistakes compute, as plain floats."""
    flat = [core.flat_values(t) for t in tensors]
    squares = [sum(v * v for v in f) for f in flat]
    return {
        "squares": sum(squares),
        "plain": sum(sum(f) for f in flat),
        "abs": sum(sum(abs(v) for v in f) for f in flat),
        "norms": sum(sqrt(s) for s in squares),
        "global_norm": sqrt(sum(squares)),
        "means": sum(s / len(f) for s, f in zip(squares, flat)),
    }


_PENALTY_MISTAKES = [
    ("plain", 1.0, "Diagnosis: you summed the parameters themselves, not their squares. That "
                   "sum is not a penalty: its gradient is the same constant for every weight, "
                   "so it pushes every weight down, whatever its size, and has no lower bound "
                   "(nor has the loss, in any direction the data loss leaves free). Square "
                   "each entry first: (p ** 2).sum()."),
    ("norms", 1.0, "Diagnosis: the norm is not squared. p.norm() is the square root of the sum "
                   "of squares; the L2 penalty uses the sum of squares itself: "
                   "p.norm() ** 2, or (p ** 2).sum()."),
    ("global_norm", 1.0, "Diagnosis: the norm is not squared. The norm of all parameters is the "
                         "square root of the sum of squares; the L2 penalty uses the sum of "
                         "squares itself (square it, or use (p ** 2).sum() per tensor)."),
    ("squares", 0.5, "Diagnosis: the 1/2 factor. The contract asks for lam * sum of squares, with "
                     "no 1/2 (some books, and lesson 03, write lam/2 * ||w||^2 so that the "
                     "gradient is lam * w; this exercise's penalty has gradient 2 * lam * w)."),
    ("abs", 1.0, "Diagnosis: that is an L1 penalty (absolute values). L2 sums the squares."),
    ("means", 1.0, "Diagnosis: you took the mean of the squares within each tensor; the penalty "
                   "sums them: (p ** 2).sum(), not .mean()."),
    ("squares", None, "Diagnosis: lam is missing: multiply the sum of squares by lam."),
]


def _penalty_diagnosis(got, lam, sums):
    for key, factor, text in _PENALTY_MISTAKES:
        target = sums[key] * (lam * factor if factor is not None else 1.0)
        if core.close(got, target, rel=1e-4) and not core.close(target, lam * sums["squares"]):
            return text
    return None


def _penalty_value(call_text, outcome, need_tensor):
    """(plain float, None) for a usable penalty, or (None, what is wrong)."""
    if outcome.error is not None:
        hint = None
        if "generator" in core.error_text(outcome.error):
            hint = ("torch.sum takes one tensor, not a generator of tensors: add up one "
                    "(p ** 2).sum() per tensor, e.g. sum((p ** 2).sum() for p in params).")
        elif "size of tensor" in core.error_text(outcome.error):
            hint = ("Python's sum() tried to add tensors of different shapes. Reduce each tensor "
                    "to a number first: (p ** 2).sum(), then add those up.")
        return None, core.raised("l2_penalty", call_text, outcome, hint)
    value = outcome.value
    if type(value) is core.Tensor:
        if core.shape(value) != ():
            return None, (f"{call_text} returned {core.describe(value)}; it should return a "
                          f"0-dim tensor (a single number, shape []). Reduce each tensor to a "
                          f"number with (p ** 2).sum() before adding them up.")
        return core.as_number(value), None
    if core.is_number(value) and not need_tensor:
        return float(value), None
    return None, (f"{call_text} returned {core.kind(value)} ({core.describe(value)}); it should "
                  f"return a 0-dim torch tensor.")


def check_l2_penalty_value(fn):
    """lam * the sum of squared entries, on lists of tensors of several shapes."""
    model_params = list(_parameters(_model(7)))
    cases = [(_tensors(0), 0.01, _show_params(_tensors(0)), ""),
             (_tensors(3), 1e-4, _show_params(_tensors(3)), ""),
             (model_params, 0.05, "list(model.parameters())", " for a Linear-Tanh-Linear model")]
    for params, lam, shown, where in cases:
        call_text = f"l2_penalty({shown}, lam={lam}){where}"
        sums = _sums(params)  # before the call: the learner's code could change the tensors
        outcome = core.call(fn, params, lam)
        got, problem = _penalty_value(call_text, outcome, need_tensor=False)
        if problem:
            return problem
        expected = lam * sums["squares"]
        if not core.close(got, expected, rel=1e-4):
            return core.lines(
                f"{call_text} returned {core.fmt(got)}; expected {core.fmt(expected)} "
                f"= {lam} * (the sum of the squares of every entry).",
                _penalty_diagnosis(got, lam, sums))
    return None


def check_l2_penalty_generator(fn):
    """A generator such as model.parameters() gives the same value as a list (one pass)."""
    for label, make in [
        ("model.parameters()", lambda: _parameters(_model(11))),
        ("a generator expression (p for p in tensors)", lambda: (p for p in _tensors(5))),
    ]:
        as_list = list(make())
        list_text = f"l2_penalty(list({label}), lam=0.1)"
        from_list, problem = _penalty_value(list_text, core.call(fn, as_list, 0.1), False)
        if problem:
            return problem
        gen_text = f"l2_penalty({label}, lam=0.1)"
        outcome = core.call(fn, make(), 0.1)
        if outcome.error is not None and not core.not_written(outcome):
            return core.lines(
                f"{gen_text} raised {core.error_text(outcome.error)}, but the same tensors in a "
                f"list work.",
                "params can be a generator, which has no len() and cannot be indexed: loop over "
                "it once (for p in params) or start with params = list(params).")
        from_gen, problem = _penalty_value(gen_text, outcome, False)
        if problem:
            return problem
        if not core.close(from_gen, from_list, rel=1e-5):
            return core.lines(
                f"{gen_text} returned {core.fmt(from_gen)}, but the same tensors in a list give "
                f"{core.fmt(from_list)}.",
                "Diagnosis: the generator is consumed twice. A generator can be iterated only "
                "once: a second loop over it (or any(), len(list(...)), next(...) before the "
                "sum) sees nothing or only what is left. Loop over params once, or start with "
                "params = list(params).")
    return None


def check_l2_penalty_autograd(fn):
    """The penalty is a tensor connected by autograd to every parameter."""
    params = [t.requires_grad_(True) for t in _tensors(0)]
    expected_value = 0.1 * _sums(params)["squares"]
    expected_grads = [[0.2 * v for v in core.flat_values(p)] for p in params]  # 2 * lam * p
    call_text = "l2_penalty(params, lam=0.1) with params that require grad"
    outcome = core.call(fn, params, 0.1)
    if outcome.error is not None:
        return core.raised("l2_penalty", call_text, outcome)
    value = outcome.value
    cut_off = ("A penalty that is not connected to the parameters adds nothing to their "
               "gradients, so training with it is the same as training without it. Build it "
               "from the parameters with tensor operations only, and return that tensor.")
    if core.is_number(value):
        return core.lines(
            f"{call_text} returned a Python {type(value).__name__} ({core.describe(value)}).",
            "Diagnosis: the penalty is cut off from autograd: .item() or float() turns the tensor "
            "into a plain number, which has no gradient.", cut_off)
    if type(value) is not core.Tensor:
        return f"{call_text} returned {core.kind(value)}; it should return a 0-dim tensor."
    if not core.requires_grad(value):
        return core.lines(
            f"{call_text} returned {core.describe(value)}, which does not require grad.",
            "Diagnosis: the penalty is cut off from autograd by .detach(), .data, "
            "torch.tensor(...) or torch.no_grad().", cut_off)
    total = value if core.shape(value) == () else _tensor_sum(value)
    try:
        grads = core.autograd_grad(total, params, allow_unused=True)
    except Exception as exc:  # e.g. a learner-made leaf tensor with requires_grad=True
        return f"Backpropagating through {call_text} failed: {core.error_text(exc)}"
    for i, (p, g) in enumerate(zip(params, grads)):
        if g is None:
            return core.lines(
                f"{call_text}: the result does not depend on params[{i}] "
                f"(a tensor of shape {list(core.shape(p))}); autograd finds no path to it.",
                "Diagnosis: the penalty is cut off from autograd for that tensor: .detach(), "
                ".data, .item() or a new torch.tensor(...) breaks the path.", cut_off)
    got = core.as_number(total)
    if got is not None and core.close(got, expected_value, rel=1e-4):
        for i, (g, expected) in enumerate(zip(grads, expected_grads)):
            if not core.all_close(core.flat_values(g), expected, rel=1e-4, tol=1e-6):
                return core.lines(
                    f"{call_text}: the value is right but the gradient for params[{i}] is not "
                    f"2 * lam * p.",
                    "Diagnosis: part of the expression is cut off from autograd (.detach() or "
                    ".data on one factor), so the gradient is wrong although the value is right.")
    return None


# ------------------------------------------------------- weight_decay_equivalent

def check_weight_decay_equivalent(fn):
    """The SGD weight_decay equal to the penalty lam * sum of squares is 2 * lam."""
    for lam in (0.1, 0.003, 1.5):
        call_text = f"weight_decay_equivalent({lam})"
        outcome = core.call(fn, lam)
        if outcome.error is not None:
            return core.raised("weight_decay_equivalent", call_text, outcome)
        value = outcome.value
        if not core.is_number(value):
            tip = " Use .item() or plain arithmetic." if type(value) is core.Tensor else ""
            return f"{call_text} returned {core.kind(value)}; it should return a float.{tip}"
        got, expected = float(value), 2 * lam
        if core.close(got, expected, rel=1e-9, tol=1e-12):
            continue
        reason = ("SGD with weight_decay=wd adds wd * p to each gradient. The penalty "
                  "lam * sum(p ** 2) adds its gradient 2 * lam * p, so the two take the same "
                  "steps when wd = 2 * lam.")
        diagnosis = None
        if core.close(got, lam, rel=1e-9, tol=1e-12):
            diagnosis = ("Diagnosis: the 1/2 factor. weight_decay = lam matches the penalty "
                         "(lam / 2) * sum(p ** 2), which has a 1/2 (lesson 03's form); this "
                         "exercise's penalty has none.")
        elif core.close(got, lam / 2, rel=1e-9, tol=1e-12):
            diagnosis = "Diagnosis: the factor 2 is the other way round: it is 2 * lam, not lam / 2."
        return core.lines(f"{call_text} returned {core.fmt(got)}; expected {core.fmt(expected)}.",
                          diagnosis, reason)
    return None


# ------------------------------------------------------------------ train_step_l2

def _step_setup(seed):
    """A fresh (model, loss_fn, X, y, optimizer, lam, lr) with stale gradients in .grad."""
    with core.fork_rng(devices=[]):
        core.manual_seed(seed)
        if seed % 2:
            model, loss_fn = _Sequential(_Linear(3, 4), _Tanh(), _Linear(4, 2)), _MSELoss()
            X, y = _randn(6, 3), _randn(6, 2)
        else:
            model, loss_fn = _Linear(4, 3), _CrossEntropyLoss()
            X, y = _randn(8, 4), _randint(0, 3, (8,))
    lr, lam = 0.1, 0.05
    optimizer = core.SGD(_parameters(model), lr=lr)
    for p in _parameters(model):
        p.grad = _full_like(p, 0.25)  # left over from an earlier step
    return model, loss_fn, X, y, optimizer, lam, lr


def _expected_steps(model, loss_fn, X, y, lam, lr):
    """Data loss, total loss and the parameters after each known kind of step (plain floats)."""
    twin = deepcopy(model)
    params = list(_parameters(twin))
    data = loss_fn(twin(X), y)
    grads = core.autograd_grad(data, params)
    values = [core.flat_values(p) for p in params]
    g = [core.flat_values(t) for t in grads]
    stale = [[0.25] * len(v) for v in values]
    squares = sum(sum(x * x for x in v) for v in values)

    def after(use_stale, penalty_factor):
        return [[x - lr * ((s if use_stale else 0.0) + d + penalty_factor * lam * x)
                 for x, d, s in zip(vs, gs, ss)] for vs, gs, ss in zip(values, g, stale)]

    data_loss = float(core.as_number(data))
    steps = {
        "right": after(False, 2.0),
        "no_zero_grad": after(True, 2.0),
        "no_penalty": after(False, 0.0),
        "neither": after(True, 0.0),
        "half_penalty": after(False, 1.0),
        "no_step": values,
    }
    return data_loss, data_loss + lam * squares, steps


def _same(params_after, expected):
    return all(core.all_close(a, e, rel=1e-4, tol=1e-6) for a, e in zip(params_after, expected))


def _call_step(fn, seed):
    model, loss_fn, X, y, optimizer, lam, lr = _step_setup(seed)
    expected = _expected_steps(model, loss_fn, X, y, lam, lr)
    params = list(_parameters(model))
    with core.graded_alone(fn, "l2_penalty", reference_l2_penalty):
        outcome = core.call(fn, model, loss_fn, X, y, optimizer, lam)
    after = [core.flat_values(p) for p in params]
    what = "a Linear-Tanh-Linear model with MSELoss" if seed % 2 else "a Linear model with CrossEntropyLoss"
    call_text = f"train_step_l2(model, loss_fn, X, y, optimizer, lam={lam}) on {what} (SGD, lr={lr})"
    return outcome, after, expected, call_text


def check_train_step_returns_data_loss(fn):
    """It returns the data loss before the step, as a Python float, without the penalty."""
    for seed in (1, 2):
        outcome, _, (data_loss, total_loss, _), call_text = _call_step(fn, seed)
        if outcome.error is not None:
            return core.raised("train_step_l2", call_text, outcome)
        value = outcome.value
        if type(value) is not float:
            number = core.as_number(value)
            tip = ""
            if number is not None and core.close(number, data_loss, rel=1e-4):
                tip = " It is the right number: return loss.item() to get a Python float."
            return (f"{call_text} returned {core.kind(value)} ({core.describe(value)}); it should "
                    f"return the data loss as a Python float.{tip}")
        if core.close(value, data_loss, rel=1e-4, tol=1e-6):
            continue
        diagnosis = None
        if core.close(value, total_loss, rel=1e-4, tol=1e-6):
            diagnosis = ("Diagnosis: you returned the total loss (data loss + penalty). Return "
                         "the data loss alone: that is the number to compare with the validation "
                         "loss, and it does not change when you change lam.")
        return core.lines(f"{call_text} returned {core.fmt(value)}; expected the data loss "
                          f"{core.fmt(data_loss)} (computed before the step).", diagnosis)
    return None


_STEP_DIAGNOSES = {
    "no_zero_grad": ("Diagnosis: old gradients were not cleared. backward() adds to .grad, so "
                     "the gradients left from the previous step were added to this one. Call "
                     "optimizer.zero_grad() before loss.backward()."),
    "no_penalty": ("Diagnosis: the penalty is missing. The step matches the gradient of the data "
                   "loss alone: backpropagate loss_fn(model(X), y) + "
                   "l2_penalty(model.parameters(), lam)."),
    "neither": ("Diagnosis: two mistakes: old gradients were not cleared (call "
                "optimizer.zero_grad() before backward()) and the penalty is missing from the "
                "loss you backpropagate."),
    "half_penalty": ("Diagnosis: the 1/2 factor: the step matches the penalty (lam / 2) * "
                     "sum(p ** 2). Use l2_penalty(model.parameters(), lam), which has no 1/2."),
    "no_step": ("Diagnosis: the parameters did not change. Call optimizer.step() after "
                "loss.backward() (and zero_grad() before backward(), not between backward() and "
                "step())."),
}


def check_train_step_update(fn):
    """One SGD step on data loss + penalty, after clearing the old gradients."""
    for seed in (1, 2):
        outcome, after, (_, _, steps), call_text = _call_step(fn, seed)
        if outcome.error is not None:
            return core.raised("train_step_l2", call_text, outcome)
        if _same(after, steps["right"]):
            continue
        diagnosis = None
        for name, text in _STEP_DIAGNOSES.items():
            if _same(after, steps[name]):
                diagnosis = text
                break
        first = [core.fmt(v) for v in after[0][:3]]
        want = [core.fmt(v) for v in steps["right"][0][:3]]
        return core.lines(
            f"After {call_text}, the parameters are not where one step takes them "
            f"(first weights: got {first}, expected {want}).".replace("'", ""),
            "The .grad of every parameter held gradients from an earlier step when it was called.",
            diagnosis or ("Expected: clear the old gradients, backpropagate data loss + "
                          "l2_penalty(model.parameters(), lam), then optimizer.step()."))
    return None
