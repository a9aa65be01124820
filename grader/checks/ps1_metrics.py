"""Checks for ps1_metrics: confusion_counts, precision_recall_f1, early_stopping_epoch.

One `check_<part>(fn)` per graded test cell; each returns None when the part is
right, else a message for the learner (see checks/__init__.py).
"""
from builtins import (ValueError, ZeroDivisionError, bool, dict, float, int, len, list, range,
                      sorted, str, tuple, type, zip)

import torch

from . import _core as core

_INT64, _BOOL = torch.int64, torch.bool

KEYS = ("tp", "fp", "fn", "tn")


# ---------------------------------------------------------------- confusion_counts

def _reference_counts(y_true, y_pred):
    """Counts from two lists of 0/1 ints (positive class = 1)."""
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for t, p in zip(y_true, y_pred):
        counts[("t" if t == p else "f") + ("p" if p else "n")] += 1
    return counts


def _spread(y_true, y_pred, step=37):
    """The same examples in a fixed, shuffled-looking order (step is coprime with 100)."""
    n = len(y_true)
    order = [(i * step) % n for i in range(n)]
    return [y_true[i] for i in order], [y_pred[i] for i in order]


# Labels and predictions as plain lists; the ML Crash Course tumour example is
# 100 cases with TP 1, FP 1, FN 8, TN 90 (accuracy 91%, recall 11%).
_LIST_CASES = [
    ([1, 0, 1, 1, 0, 0, 1, 0], [1, 1, 0, 1, 0, 0, 0, 0]),
    ([0, 1, 0, 1, 1, 0], [0, 0, 0, 0, 0, 0]),          # the model never predicts positive
    ([1, 1, 1], [1, 1, 1]),
    _spread([1] + [0] + [1] * 8 + [0] * 90, [1] + [1] + [0] * 8 + [0] * 90),
]


def _show_labels(values):
    shown = str(values) if len(values) <= 10 else f"[{len(values)} labels]"
    return shown


def _read_counts(value):
    """(dict of ints, None) from what confusion_counts returned, or (None, what is wrong)."""
    if type(value) is not dict:
        return None, (f"It returned {core.kind(value)}; it should return a dict such as "
                      f"{{'tp': 2, 'fp': 1, 'fn': 1, 'tn': 2}}.")
    keys = list(value)
    if not all_str(keys) or sorted(keys) != sorted(KEYS):
        shown = [core.describe(k) for k in keys]
        return None, (f"It returned a dict with the keys {shown}; the keys must be exactly "
                      f"'tp', 'fp', 'fn' and 'tn' (lower case).")
    counts = {}
    for key in KEYS:
        v = value[key]
        if type(v) is int:
            counts[key] = v
        elif type(v) is core.Tensor:
            return None, (f"The value under {key!r} is a tensor ({core.describe(v)}); the values "
                          f"must be Python ints. Convert with int(...) or .item().")
        else:
            return None, (f"The value under {key!r} is {core.kind(v)} ({core.describe(v)}); "
                          f"the values must be Python ints.")
    return counts, None


def all_str(items):
    for item in items:
        if type(item) is not str:
            return False
    return True


def _counts_problem(call_text, outcome, expected):
    """None if the outcome holds the expected counts, else a message."""
    if outcome.error is not None:
        return core.raised("confusion_counts", call_text, outcome)
    counts, problem = _read_counts(outcome.value)
    if problem:
        return core.lines(f"{call_text} did not return the counts.", problem)
    if counts == expected:
        return None
    diagnosis = None
    swapped = {"tp": expected["tp"], "fp": expected["fn"], "fn": expected["fp"], "tn": expected["tn"]}
    if counts == swapped and expected["fp"] != expected["fn"]:
        diagnosis = ("Diagnosis: fp and fn are swapped. A false positive is a prediction of 1 "
                     "whose label is 0; a false negative is a prediction of 0 whose label is 1.")
    return core.lines(f"{call_text} returned {core.describe(outcome.value)}",
                      f"expected {expected}.", diagnosis)


def check_confusion_counts_lists(fn):
    """Counts on plain lists of 0/1, including a model that never predicts positive."""
    for y_true, y_pred in _LIST_CASES:
        call_text = f"confusion_counts({_show_labels(y_true)}, {_show_labels(y_pred)})"
        outcome = core.call(fn, list(y_true), list(y_pred))
        problem = _counts_problem(call_text, outcome, _reference_counts(y_true, y_pred))
        if problem:
            return problem
    return None


def _as_tensor(values, bool_dtype=False):
    return core.tensor(values, dtype=_BOOL if bool_dtype else _INT64)


def _input_cases():
    """(description, y_true, y_pred, reference lists) with fresh tensors each time."""
    t, p = [1, 0, 1, 1, 0, 1, 0], [1, 1, 0, 1, 0, 0, 0]
    return [
        ("1-D int64 tensors", _as_tensor(t), _as_tensor(p), t, p),
        ("1-D bool tensors", _as_tensor(t, True), _as_tensor(p, True), t, p),
        ("lists of Python bools", [bool(v) for v in t], [bool(v) for v in p], t, p),
        ("tuples", tuple(t), tuple(p), t, p),
        ("a list of labels and a tensor of predictions", list(t), _as_tensor(p), t, p),
        ("int64 tensors where the model predicts no positives",
         _as_tensor([0, 1, 1, 0, 1]), _as_tensor([0, 0, 0, 0, 0]), [0, 1, 1, 0, 1], [0, 0, 0, 0, 0]),
    ]


def check_confusion_counts_inputs(fn):
    """Tensors, bools and tuples are counted like lists; different lengths raise ValueError."""
    for description, y_true, y_pred, t, p in _input_cases():
        call_text = f"confusion_counts on {description} (labels {t}, predictions {p})"
        problem = _counts_problem(call_text, core.call(fn, y_true, y_pred), _reference_counts(t, p))
        if problem:
            return problem
    for description, y_true, y_pred in [
        ("lists of lengths 4 and 3", [1, 0, 1, 0], [1, 0, 1]),
        ("tensors of lengths 3 and 2", _as_tensor([1, 0, 1]), _as_tensor([1, 0])),
    ]:
        call_text = f"confusion_counts on {description}"
        outcome = core.call(fn, y_true, y_pred)
        if outcome.error is None:
            return core.lines(
                f"{call_text} returned {core.describe(outcome.value)}; it should raise ValueError.",
                "Diagnosis: zip() (or a loop over one input) silently stops at the shorter input, "
                "so a bug upstream goes unnoticed. Check first: "
                "if len(y_true) != len(y_pred): raise ValueError(...)")
        if type(outcome.error) is not ValueError:
            if core.not_written(outcome):
                return core.raised("confusion_counts", call_text, outcome)
            return (f"{call_text} raised {core.error_text(outcome.error)}; the contract asks for "
                    f"ValueError, so check the lengths yourself before counting.")
    return None


# ------------------------------------------------------------- precision_recall_f1

def _ratio(num, den):
    return num / den if den else 0.0


def _reference_prf(tp, fp, fn):
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return p, r, _ratio(2 * p * r, p + r)


def _read_prf(value):
    """([p, r, f1] as floats, None), or (None, what is wrong)."""
    if (type(value) is not tuple and type(value) is not list) or len(value) != 3:
        return None, (f"It returned {core.describe(value)}; it should return a tuple of three "
                      f"floats: (precision, recall, f1).")
    numbers = []
    for name, v in zip(("precision", "recall", "f1"), value):
        if not core.is_number(v):
            tip = " Convert with float(...) or .item()." if type(v) is core.Tensor else ""
            return None, f"Its {name} is {core.kind(v)} ({core.describe(v)}), not a float.{tip}"
        numbers.append(float(v))
    return numbers, None


def _prf_problem(fn, tp, fp, fn_, situation=None):
    call_text = f"precision_recall_f1(tp={tp}, fp={fp}, fn={fn_})"
    outcome = core.call(fn, tp, fp, fn_)
    p, r, f = _reference_prf(tp, fp, fn_)
    if outcome.error is not None:
        hint = None
        if type(outcome.error) is ZeroDivisionError:
            hint = (f"Diagnosis: 0/0 raised ZeroDivisionError. Here {situation}. The convention "
                    f"(scikit-learn's zero_division=0) is that any 0/0 gives 0.0: check each "
                    f"denominator before dividing, e.g. tp / (tp + fp) if tp + fp else 0.0.")
        return core.raised("precision_recall_f1", call_text, outcome, hint)
    got, problem = _read_prf(outcome.value)
    if problem:
        return core.lines(f"{call_text} did not return three floats.", problem)
    if core.all_close(got, [p, r, f]):
        return None
    diagnoses = []
    if situation and not core.all_finite(got):
        diagnoses.append(f"Diagnosis: a 0/0 gave nan. Here {situation}; by convention any 0/0 "
                         f"gives 0.0, so check each denominator before dividing.")
    if p != r and core.close(got[0], r) and core.close(got[1], p):
        diagnoses.append("Diagnosis: precision and recall are swapped. Precision = tp / (tp + fp): "
                         "of the predicted positives, the fraction that are positive. Recall = "
                         "tp / (tp + fn): of the actual positives, the fraction found.")
    arithmetic = (p + r) / 2
    if not core.close(arithmetic, f) and core.close(got[2], arithmetic):
        diagnoses.append(f"Diagnosis: F1 is the harmonic mean 2·p·r / (p + r), not the arithmetic "
                         f"mean (p + r) / 2. The harmonic mean stays low when either one is low: "
                         f"here p = {core.fmt(p)}, r = {core.fmt(r)} give F1 = {core.fmt(f)}, "
                         f"not {core.fmt(arithmetic)}.")
    if situation and not diagnoses:
        diagnoses.append(f"Here {situation}; by convention any 0/0 gives 0.0.")
    return core.lines(
        f"{call_text} returned {core.describe(outcome.value)}",
        f"expected (precision, recall, f1) = ({core.fmt(p)}, {core.fmt(r)}, {core.fmt(f)}).",
        *diagnoses)


# (tp, fp, fn): the source page's two examples, the tumour example, a small one.
_PRF_CASES = [(45, 5, 10), (1, 1, 8), (90, 30, 10), (3, 7, 1)]

# No predicted positives; no actual positives; precision and recall both 0; nothing at all.
_ZERO_CASES = [(0, 0, 4), (0, 4, 0), (0, 3, 5), (0, 0, 0)]


def _zero_situation(tp, fp, fn):
    """Which ratios are 0/0 for these counts, in words."""
    p, r, _ = _reference_prf(tp, fp, fn)
    parts = []
    if tp + fp == 0:
        parts.append("precision is 0/0 (tp + fp = 0: the model predicts no positives)")
    if tp + fn == 0:
        parts.append("recall is 0/0 (tp + fn = 0: there are no actual positives)")
    if p + r == 0:
        parts.append("F1 is 0/0 (precision + recall = 0)")
    return ", ".join(parts)


def check_precision_recall_f1_values(fn):
    """Precision, recall and F1 (the harmonic mean) on counts with no zero denominators."""
    for tp, fp, fn_ in _PRF_CASES:
        problem = _prf_problem(fn, tp, fp, fn_)
        if problem:
            return problem
    return None


def check_precision_recall_f1_zero_division(fn):
    """Any 0/0 gives 0.0 instead of raising or returning nan."""
    for tp, fp, fn_ in _ZERO_CASES:
        problem = _prf_problem(fn, tp, fp, fn_, _zero_situation(tp, fp, fn_))
        if problem:
            return problem
    return None


# ------------------------------------------------------------ early_stopping_epoch

def _scan(losses, patience, improves=lambda loss, best: loss < best, extra=0):
    """(best epoch, stop epoch or None): the reference when called with its defaults.

    `improves` and `extra` let the same loop play the known mistakes: a
    non-strict comparison (<=) and stopping one epoch late (extra=1).
    """
    best, bad = 0, 0
    for epoch in range(1, len(losses)):
        if improves(losses[epoch], losses[best]):
            best, bad = epoch, 0
        else:
            bad += 1
            if bad == patience + extra:
                return best, epoch
    return best, None


def _first_argmin(losses):
    best = 0
    for i in range(1, len(losses)):
        if losses[i] < losses[best]:
            best = i
    return best


def _story(losses, patience):
    """One sentence on what happens, for the message."""
    best, stop = _scan(losses, patience)
    if stop is None:
        return (f"Training never sees {patience} epoch(s) in a row without a strictly lower loss, "
                f"so it runs to the end; the lowest loss is first reached at epoch {best}.")
    after = f"epoch {stop} does" if stop == best + 1 else f"epochs {best + 1} to {stop} do"
    return (f"Epoch {best} has the best loss so far ({core.fmt(losses[best])}) and {after} not "
            f"improve on it: {patience} epoch(s) in a row, so training stops after epoch {stop}. "
            f"The best epoch is {best}.")


def _early_problem(fn, losses, patience):
    call_text = f"early_stopping_epoch({list(losses)}, patience={patience})"
    outcome = core.call(fn, list(losses), patience)
    if outcome.error is not None:
        return core.raised("early_stopping_epoch", call_text, outcome)
    value = outcome.value
    if type(value) is not int:
        tip = " Convert with int(...) or .item()." if type(value) is core.Tensor else ""
        return (f"{call_text} returned {core.kind(value)} ({core.describe(value)}); it should "
                f"return a Python int, the 0-based index of the best epoch.{tip}")
    best, stop = _scan(losses, patience)
    if value == best:
        return None
    non_strict, _ = _scan(losses, patience, improves=lambda loss, best_loss: loss <= best_loss)
    late, _ = _scan(losses, patience, extra=1)
    diagnosis = None
    if value == non_strict:
        diagnosis = ("Diagnosis: a loss equal to the best so far counted as an improvement. An "
                     "epoch improves only if its loss is strictly lower: use `loss < best_loss`. "
                     "With <=, a plateau of equal losses keeps resetting the patience counter.")
    elif stop is not None and value == stop:
        diagnosis = (f"Diagnosis: you returned the epoch where training stopped ({stop}), not the "
                     f"best epoch ({best}). The stop comes `patience` epochs after the best; the "
                     f"model worth keeping is the one from the best epoch.")
    elif stop is not None and value == _first_argmin(losses):
        diagnosis = (f"Diagnosis: you returned the best epoch of the whole list, but training "
                     f"stops after epoch {stop}: later epochs are never run, so they cannot be "
                     f"the best. Stop scanning once `patience` epochs in a row fail to improve.")
    elif stop is not None and value == late:
        diagnosis = (f"Diagnosis: training stopped one epoch too late. Stop as soon as `patience` "
                     f"epochs in a row fail to improve, not patience + 1.")
    return core.lines(f"{call_text} returned {value}; expected {best}.",
                      _story(losses, patience), diagnosis)


# (losses, patience). Parts: never stops; stops (best != stop, and a lower loss
# after the stop that must be ignored); ties and plateaus (which differ from a
# non-strict <= test; the last one also stops, so a <= test that resets the
# patience counter on ties cannot pass).
_NEVER_STOPS = [([1.0, 0.8, 0.6, 0.5], 2), ([0.5, 0.6, 0.7], 5), ([0.3], 1),
                ([1.0, 0.9, 0.95, 0.8, 0.85, 0.7], 2)]
_STOPS = [([0.9, 0.7, 0.75, 0.8, 0.6, 0.65, 0.66, 0.67, 0.5], 2), ([2.0, 1.5, 1.6, 1.4], 1),
          ([1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.4], 3)]
_TIES = [([1.0, 0.7, 0.7, 0.7], 3), ([0.8, 0.8, 0.8, 0.8, 0.8], 5), ([0.6, 0.4, 0.4], 3),
         ([0.5, 0.5, 0.5, 0.5, 0.4], 3)]  # the last one: a plateau that must stop training


def _check_cases(fn, cases):
    for losses, patience in cases:
        problem = _early_problem(fn, losses, patience)
        if problem:
            return problem
    return None


def check_early_stopping_never_stops(fn):
    """Curves that never trigger the stop: the index of the lowest loss, as an int."""
    return _check_cases(fn, _NEVER_STOPS)


def check_early_stopping_stops(fn):
    """Curves that stop: the best epoch up to the stop, not the stop, not a later one."""
    return _check_cases(fn, _STOPS)


def check_early_stopping_ties(fn):
    """Ties and plateaus: only a strictly lower loss is an improvement."""
    return _check_cases(fn, _TIES)
