"""What every check shares: trusted references, guarded calls, safe reading, messages.

Under plain `nbgrader autograde`, checks run in the grading kernel, in the same
Python process as the learner's answer cells (under `make grade` the kernel
gets a stand-in, and they run only in the sealed judge). Each notebook's setup cell imports its checks module (in a
hidden block) before any answer cell runs, so every name bound here at import
time is the real function, whatever an answer cell rebinds later. The same
checks also run in the sealed judge (grader/judge.py), a process learner
code never runs in: there `fn` is a `Remote` stand-in, and `call` and
`graded_alone` hand the call to it. The rules the checks follow, so that the
grading pipeline's tamper rules can hold:

- call learner code only through `call`, which catches its exceptions,
  warnings and printed output (anything on stderr would zero the test cell),
  and change the learner's namespace only through `graded_alone`;
- read what it returns only through `as_number`, `flat_values` and
  `describe`: exact built-in types or exact `torch.Tensor`s, turned into
  plain Python values by functions captured here; never `==`, `bool()`,
  `repr()` or a method call on an object the learner made;
- compute expected answers in plain Python (or with captured torch
  functions) on inputs built fresh for every call.
"""
# Bound as module globals at import, so `builtins.abs = ...` in an answer cell
# cannot change what the checks compute. Every checks module does the same.
from builtins import (BaseException, Exception, NotImplementedError, SystemExit, abs, all,
                      bool, dict, float, int, isinstance, len, list, min, object, range, repr, str,
                      tuple, type, zip)
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from io import StringIO
from math import isfinite, isnan
from types import FunctionType
from warnings import catch_warnings, simplefilter

import torch

Tensor = torch.Tensor
_tolist = torch.Tensor.tolist
_numel = torch.Tensor.numel
_dim = torch.Tensor.dim
_detach = torch.Tensor.detach
_reshape = torch.Tensor.reshape
_item = torch.Tensor.item
_size = torch.Tensor.size
_requires_grad = torch.Tensor.requires_grad  # a descriptor; read with .__get__
fork_rng = torch.random.fork_rng
manual_seed = torch.manual_seed
autograd_grad = torch.autograd.grad
tensor = torch.tensor
SGD = torch.optim.SGD
Adam = torch.optim.Adam
AdamW = torch.optim.AdamW

MAX_SHOWN = 8  # list items shown in a message before "..."


class Outcome:
    """What one call of a learner's function did."""

    __slots__ = ("value", "error", "warnings", "printed")

    def __init__(self, value, error, caught, printed):
        self.value = value        # what it returned (None if it raised)
        self.error = error        # the exception it raised, or None
        self.warnings = caught    # warnings.WarningMessage list
        self.printed = printed    # everything it printed (stdout and stderr)


class Remote:
    """A learner's function that runs in another process: the sealed judge's stand-in.

    `run(name, args, overrides)` calls the function named `name` there, with
    `overrides` (name -> reference) put into its namespace first, and returns
    an Outcome; grader/judge.py supplies it.
    """

    def __init__(self, name, run):
        self.name = name
        self.run = run
        self.overrides = {}  # what the open graded_alone blocks put in place

    def call(self, args):
        return self.run(self.name, args, dict(self.overrides))

    @contextmanager
    def alone(self, name, reference):
        """Inside the block, calls see `reference` under `name` (see graded_alone)."""
        missing = object()
        saved = self.overrides.get(name, missing)
        self.overrides[name] = reference
        try:
            yield
        finally:
            if saved is missing:
                self.overrides.pop(name, None)
            else:
                self.overrides[name] = saved


def call(fn, *args):
    """Call a learner's function; catch what it raises, warns and prints.

    Output is caught because anything a test cell writes to stderr zeroes the
    cell in nbgrader, even when the check itself passes.
    """
    if type(fn) is Remote:  # not isinstance: that would believe a learner object's __class__
        return fn.call(args)
    out = StringIO()
    with catch_warnings(record=True) as caught, redirect_stdout(out), redirect_stderr(out):
        simplefilter("always")
        try:
            value = fn(*args)
        except (Exception, SystemExit) as exc:  # KeyboardInterrupt is the grader's timeout: let it through
            return Outcome(None, exc, caught, out.getvalue())
    return Outcome(value, None, caught, out.getvalue())


def error_text(exc):
    """Name and message of an exception, without running learner-defined __str__."""
    return f"{type(exc).__name__}: {BaseException.__str__(exc)}" if BaseException.__str__(exc) \
        else type(exc).__name__


def not_written(outcome):
    """True when the learner's function still raises the stub's NotImplementedError."""
    return isinstance(outcome.error, NotImplementedError)


def raised(name, call_text, outcome, hint=None):
    """Message for a learner function that raised instead of returning."""
    if not_written(outcome):
        return (f"{name} is not written yet: it still raises NotImplementedError. Replace "
                f"`raise NotImplementedError()` in the {name} cell with your code, then run "
                f"that cell again.")
    return lines(f"{call_text} raised {error_text(outcome.error)}", hint)


def lines(*parts):
    """Join the non-empty parts of a message, one per line."""
    return "\n".join(p for p in parts if p)


def fmt(x):
    """A number as a learner would write it: 0.857143, 2, 1e-08."""
    if type(x) is int:
        return str(x)
    return f"{x:.6g}"


def is_number(value):
    """True for an exact int or float (bools are not numbers here)."""
    return type(value) is int or type(value) is float


def as_number(value):
    """A plain float from an int, float or one-element tensor; None for anything else."""
    if is_number(value):
        return float(value)
    if type(value) is Tensor and _numel(value) == 1:
        return float(_item(_detach(value)))
    return None


def flat_values(t):
    """The entries of an exact tensor as a flat list of Python floats."""
    return [float(v) for v in _tolist(_reshape(_detach(t), (-1,)))]


def shape(t):
    return tuple(_size(t))


def requires_grad(t):
    return _requires_grad.__get__(t, Tensor)


def all_finite(xs):
    return all(isfinite(x) for x in xs)


def close(a, b, rel=1e-5, tol=1e-7):
    """|a - b| small relative to b; both plain floats. NaN is never close."""
    return not isnan(a) and abs(a - b) <= tol + rel * abs(b)


def all_close(xs, ys, rel=1e-5, tol=1e-7):
    """Two lists of plain floats, entry by entry."""
    return len(xs) == len(ys) and all(close(x, y, rel, tol) for x, y in zip(xs, ys))


def describe(value, depth=0):
    """Show a value the learner returned, without calling any of its methods."""
    t = type(value)
    if t is float:
        return fmt(value)
    if value is None or t is bool or t is int or t is str:
        return repr(value)
    if t is Tensor:
        try:
            if _dim(value) == 0:
                return f"tensor({fmt(float(_item(_detach(value))))})"
            vals = flat_values(value) if _numel(value) <= MAX_SHOWN else None
        except Exception:  # e.g. a tensor on the meta device has no values to show
            return "a tensor"
        shown = f" {[fmt(v) for v in vals]}".replace("'", "") if vals is not None else ""
        return f"a tensor of shape {list(shape(value))}{shown}"
    if depth < 2 and (t is list or t is tuple):
        items = [describe(value[i], depth + 1) for i in range(min(len(value), MAX_SHOWN))]
        more = ", ..." if len(value) > MAX_SHOWN else ""
        body = ", ".join(items) + more
        return f"[{body}]" if t is list else f"({body}{',' if len(value) == 1 else ''})"
    if depth < 2 and t is dict:
        pairs = list(value.items())[:MAX_SHOWN]  # no lookups: a key's __eq__ is learner code
        items = [f"{describe(k, 2)}: {describe(v, depth + 1)}" for k, v in pairs]
        return "{" + ", ".join(items) + (", ..." if len(value) > MAX_SHOWN else "") + "}"
    return f"a {t.__name__} object"


def kind(value):
    """The type of a returned value in words: 'a float', 'a tensor', 'a list'."""
    t = type(value)
    if value is None:
        return "None"
    if t is Tensor:
        return "a tensor"
    name = t.__name__
    return f"an {name}" if name[:1] in "aeiou" else f"a {name}"


@contextmanager
def graded_alone(fn, name, reference):
    """Inside the block, the name `name` in fn's notebook resolves to `reference`.

    Used so a part is graded on its own: train_step_l2 is checked with a
    correct l2_penalty, make_optimizer with correct param_groups, and a
    mistake in one function costs points once, in its own test.
    """
    if type(fn) is Remote:
        with fn.alone(name, reference):
            yield
        return
    if type(fn) is not FunctionType:
        yield
        return
    namespace = fn.__globals__
    missing = object()
    saved = namespace.get(name, missing)
    namespace[name] = reference
    try:
        yield
    finally:
        if saved is missing:
            namespace.pop(name, None)
        else:
            namespace[name] = saved
