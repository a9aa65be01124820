"""Reference classification metrics for binary tasks (positive class = 1).

Lesson 01 computes these by hand first; this module is the checked copy the
other lessons use. Conventions for empty denominators (0/0), stated once. A
0/0 ratio is undefined; returning 0.0 is a convention that keeps tables and
code from breaking, not a measured value:

- precision = tp / (tp + fp) is 0.0 when the model predicts no positives;
- recall = tp / (tp + fn) is 0.0 when there are no actual positives;
- F1 = 2 p r / (p + r) is 0.0 when p + r = 0;
- accuracy is 0.0 for zero examples;
- balanced accuracy is the mean of the recall of each class *present* in
  y_true (the true-positive rate and the true-negative rate), as in
  scikit-learn; 0.0 if no examples.

These match scikit-learn with zero_division=0, without its warnings.
"""
import torch


def _as_bool_tensor(values):
    t = values if torch.is_tensor(values) else torch.as_tensor(list(values))
    return t.detach().reshape(-1).cpu() != 0


def confusion_counts(y_true, y_pred):
    """Count true/false positives/negatives.

    Args:
        y_true, y_pred: equal-length sequences or tensors of 0/1 (or bools);
            any shape that flattens to the same length, e.g. (n,) or (n, 1).
    Returns:
        dict of ints with keys "tp", "fp", "fn", "tn".
    """
    t, p = _as_bool_tensor(y_true), _as_bool_tensor(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.numel()} labels but y_pred has {p.numel()}")
    return {"tp": int((t & p).sum()), "fp": int((~t & p).sum()),
            "fn": int((t & ~p).sum()), "tn": int((~t & ~p).sum())}


def _ratio(num, den):
    return num / den if den else 0.0


def precision(tp, fp):
    """Of the predicted positives, the fraction that are positive (0/0 -> 0.0)."""
    return _ratio(tp, tp + fp)


def recall(tp, fn):
    """Of the actual positives, the fraction found (0/0 -> 0.0)."""
    return _ratio(tp, tp + fn)


def f1(prec, rec):
    """Harmonic mean of precision and recall (0.0 when both are 0)."""
    return _ratio(2 * prec * rec, prec + rec)


def accuracy(tp, fp, fn, tn):
    """Fraction of all examples classified correctly (0.0 for none)."""
    return _ratio(tp + tn, tp + fp + fn + tn)


def balanced_accuracy(tp, fp, fn, tn):
    """Mean recall over the classes present in y_true (see module docstring)."""
    rates = [r for r, present in ((_ratio(tp, tp + fn), tp + fn), (_ratio(tn, tn + fp), tn + fp))
             if present]
    return sum(rates) / len(rates) if rates else 0.0


def report(counts):
    """Return accuracy, precision, recall, F1 and balanced accuracy from counts.

    Args:
        counts: a dict with keys "tp", "fp", "fn", "tn" (from confusion_counts,
            or typed in from a confusion matrix on a page).
    Returns:
        dict of floats with keys accuracy, precision, recall, f1, balanced_accuracy.
    """
    tp, fp, fn, tn = (counts[k] for k in ("tp", "fp", "fn", "tn"))
    p, r = precision(tp, fp), recall(tp, fn)
    return {"accuracy": accuracy(tp, fp, fn, tn), "precision": p, "recall": r,
            "f1": f1(p, r), "balanced_accuracy": balanced_accuracy(tp, fp, fn, tn)}


def classification_report(y_true, y_pred):
    """Confusion counts and every metric above for one set of predictions."""
    counts = confusion_counts(y_true, y_pred)
    return {**counts, **report(counts)}


def threshold_sweep(scores, y_true, thresholds=None):
    """Count and score the predictions `scores > t` for every threshold t.

    Lesson 01 (the precision-recall trade-off): a classifier outputs a score
    (here a probability); the 0.5 cut-off is a choice, and moving it trades
    precision for recall.

    Args:
        scores: (n,) or (n, 1) tensor or sequence of scores, e.g. probabilities.
        y_true: n labels in {0, 1}, any shape that flattens to (n,).
        thresholds: 1-D sequence of cut-offs; default 99 evenly spaced values
            from 0.01 to 0.99 (for probabilities).
    Returns:
        dict of lists, one entry per threshold: "threshold", the counts "tp",
        "fp", "fn", "tn" and the rates of `report` ("accuracy", "precision",
        "recall", "f1", "balanced_accuracy").
    """
    s = (scores if torch.is_tensor(scores) else torch.as_tensor(list(scores)))
    s = s.detach().reshape(-1).cpu().double()
    t = _as_bool_tensor(y_true)
    if s.shape != t.shape:
        raise ValueError(f"y_true has {t.numel()} labels but scores has {s.numel()}")
    if thresholds is None:
        thresholds = torch.linspace(0.01, 0.99, 99, dtype=torch.float64)
    thr = torch.as_tensor(thresholds, dtype=torch.float64).reshape(-1)
    pred = s.unsqueeze(0) > thr.unsqueeze(1)  # (num_thresholds, n)
    counts = {"tp": (pred & t).sum(1), "fp": (pred & ~t).sum(1),
              "fn": (~pred & t).sum(1), "tn": (~pred & ~t).sum(1)}
    out = {"threshold": thr.tolist(), **{k: v.tolist() for k, v in counts.items()}}
    rows = [report({k: out[k][i] for k in counts}) for i in range(len(thr))]
    for key in rows[0] if rows else ():
        out[key] = [r[key] for r in rows]
    return out
