"""Do the ps1_metrics checks pass right answers and name each wrong one? (no nbgrader)

The samples in autograded/samples/ps1_metrics/ cover the listed mistakes
through whole notebooks (test_checks_samples.py); these tests call the checks
directly with small right and wrong functions, including the rarer mistakes
and answers that try to fool a comparison.
"""
import builtins
import sys

import pytest
import torch

from grader.checks import ps1_metrics as checks


# ------------------------------------------------------------------ right answers

def confusion_counts(y_true, y_pred):
    t, p = [int(v) for v in y_true], [int(v) for v in y_pred]
    if len(t) != len(p):
        raise ValueError("lengths differ")
    return {"tp": sum(a and b for a, b in zip(t, p)), "fp": sum(b and not a for a, b in zip(t, p)),
            "fn": sum(a and not b for a, b in zip(t, p)), "tn": sum(not a and not b for a, b in zip(t, p))}


def precision_recall_f1(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def early_stopping_epoch(losses, patience):
    best, bad = 0, 0
    for i in range(1, len(losses)):
        if losses[i] < losses[best]:
            best, bad = i, 0
        else:
            bad += 1
            if bad == patience:
                break
    return best


ALL_CHECKS = [
    (checks.check_confusion_counts_lists, confusion_counts),
    (checks.check_confusion_counts_inputs, confusion_counts),
    (checks.check_precision_recall_f1_values, precision_recall_f1),
    (checks.check_precision_recall_f1_zero_division, precision_recall_f1),
    (checks.check_early_stopping_never_stops, early_stopping_epoch),
    (checks.check_early_stopping_stops, early_stopping_epoch),
    (checks.check_early_stopping_ties, early_stopping_epoch),
]


# ------------------------------------------------------------------ confusion_counts

def test_fp_and_fn_swapped_is_diagnosed():
    def swapped(y_true, y_pred):
        c = confusion_counts(y_true, y_pred)
        return {**c, "fp": c["fn"], "fn": c["fp"]}
    assert "fp and fn are swapped" in checks.check_confusion_counts_lists(swapped)


def test_tensor_counts_are_refused_with_a_fix():
    def tensors(y_true, y_pred):
        t, p = torch.as_tensor(y_true).bool(), torch.as_tensor(y_pred).bool()
        return {"tp": (t & p).sum(), "fp": (~t & p).sum(), "fn": (t & ~p).sum(), "tn": (~t & ~p).sum()}
    message = checks.check_confusion_counts_lists(tensors)
    assert "must be Python ints" in message and "int(...)" in message


def test_zip_truncation_without_value_error_is_diagnosed():
    def no_length_check(y_true, y_pred):
        pairs = list(zip(y_true, y_pred))
        return confusion_counts([t for t, _ in pairs], [p for _, p in pairs])
    assert checks.check_confusion_counts_lists(no_length_check) is None
    assert "should raise ValueError" in checks.check_confusion_counts_inputs(no_length_check)


def test_wrong_exception_type_is_named():
    def index_error(y_true, y_pred):
        if len(y_true) != len(y_pred):
            raise IndexError("nope")
        return confusion_counts(y_true, y_pred)
    assert "raised IndexError" in checks.check_confusion_counts_inputs(index_error)


def test_only_lists_supported_fails_the_inputs_part_only():
    def lists_only(y_true, y_pred):
        if not isinstance(y_true, list) or not isinstance(y_pred, list):
            raise TypeError("lists only")
        return confusion_counts(y_true, y_pred)
    assert checks.check_confusion_counts_lists(lists_only) is None
    assert "TypeError" in checks.check_confusion_counts_inputs(lists_only)


# ------------------------------------------------------------- precision_recall_f1

def test_nan_for_zero_division_is_diagnosed():
    def nan_for_zero(tp, fp, fn):
        p = torch.tensor(tp / 1.0) / (tp + fp)
        r = torch.tensor(tp / 1.0) / (tp + fn)
        return float(p), float(r), float(2 * p * r / (p + r))
    assert "a 0/0 gave nan" in checks.check_precision_recall_f1_zero_division(nan_for_zero)


def test_unguarded_f1_is_diagnosed_on_its_own_0_over_0():
    def unguarded_f1(tp, fp, fn):
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, 2 * p * r / (p + r)
    message = checks.check_precision_recall_f1_zero_division(unguarded_f1)
    assert "ZeroDivisionError" in message and "F1" in message


def test_tensor_results_are_refused_with_a_fix():
    def tensors(tp, fp, fn):
        return tuple(torch.tensor(v) for v in precision_recall_f1(tp, fp, fn))
    assert "not a float" in checks.check_precision_recall_f1_values(tensors)


# ------------------------------------------------------------ early_stopping_epoch

def test_never_stopping_is_diagnosed():
    def argmin(losses, patience):
        return min(range(len(losses)), key=lambda i: losses[i])
    message = checks.check_early_stopping_stops(argmin)
    assert "best epoch of the whole list" in message


def test_stopping_one_epoch_late_is_diagnosed():
    def late(losses, patience):
        best, bad = 0, 0
        for i in range(1, len(losses)):
            if losses[i] < losses[best]:
                best, bad = i, 0
            else:
                bad += 1
                if bad > patience:
                    break
        return best
    assert "one epoch too late" in checks.check_early_stopping_stops(late)


def test_tensor_index_is_refused():
    def tensor_index(losses, patience):
        return torch.tensor(early_stopping_epoch(losses, patience))
    assert "Python int" in checks.check_early_stopping_never_stops(tensor_index)


# ------------------------------------------------------------------ tampering

class AlwaysEqual:
    """An answer that claims to equal anything."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__

    def __float__(self):
        return 0.9

    def __int__(self):
        return 1


def test_objects_that_equal_anything_earn_nothing():
    """Is an object whose == is always True refused, without its methods being trusted?"""
    assert checks.check_confusion_counts_lists(lambda t, p: AlwaysEqual()) is not None
    assert checks.check_precision_recall_f1_values(lambda *a: AlwaysEqual()) is not None
    assert checks.check_early_stopping_never_stops(lambda *a: AlwaysEqual()) is not None
    fake_counts = lambda t, p: {k: AlwaysEqual() for k in ("tp", "fp", "fn", "tn")}
    assert checks.check_confusion_counts_lists(fake_counts) is not None


def test_int_and_float_subclasses_are_refused():
    class Sneaky(int):
        def __eq__(self, other):
            return True
        __hash__ = int.__hash__
    assert checks.check_early_stopping_never_stops(lambda *a: Sneaky(0)) is not None


def test_rebinding_builtins_after_import_does_not_change_verdicts(monkeypatch):
    """Do the checks keep the builtins they captured when imported?"""
    def wrong_f1(tp, fp, fn):
        p, r, _ = precision_recall_f1(tp, fp, fn)
        return p, r, (p + r) / 2
    monkeypatch.setattr(builtins, "abs", lambda x: 0)
    monkeypatch.setattr(builtins, "isinstance", lambda *a: True)
    message = checks.check_precision_recall_f1_values(wrong_f1)
    monkeypatch.undo()
    assert message is not None and "arithmetic" in message


def test_learner_output_does_not_reach_stderr(capsys):
    """Are a learner's prints and warnings kept out of the test cell's stderr?"""
    import warnings

    def noisy(losses, patience):
        print("debugging", file=sys.stderr)
        warnings.warn("careful")
        return early_stopping_epoch(losses, patience)
    assert checks.check_early_stopping_ties(noisy) is None
    assert capsys.readouterr().err == ""
