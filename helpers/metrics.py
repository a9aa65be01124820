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


# Threshold-free summaries (lesson 01, "Moving the threshold"). scikit-learn is not a
# dependency of this course, so these few lines implement the definitions of its
# roc_curve / roc_auc_score and precision_recall_curve / average_precision_score:
# one point per distinct score (tied scores cross a threshold together), a positive
# prediction when score >= threshold, the ROC area by the trapezoidal rule and the
# average precision as a step sum, not interpolated.


def _as_float64(values):
    t = values if torch.is_tensor(values) else torch.as_tensor(list(values), dtype=torch.float64)
    return t.detach().reshape(-1).cpu().double()


def _ranked_counts(scores, y_true):
    """Distinct scores, high to low, and the TP and FP counts of `scores >= each`."""
    s = _as_float64(scores)
    t = _as_bool_tensor(y_true)
    if s.shape != t.shape:
        raise ValueError(f"y_true has {t.numel()} labels but scores has {s.numel()}")
    num_pos = int(t.sum())
    if num_pos == 0 or num_pos == len(t):
        raise ValueError("the curves and their areas need both classes in y_true")
    order = torch.argsort(s, descending=True, stable=True)
    s, t = s[order], t[order]
    tp, fp = torch.cumsum(t, 0), torch.cumsum(~t, 0)
    last_of_tie = torch.ones(len(s), dtype=torch.bool)
    last_of_tie[:-1] = s[1:] != s[:-1]
    return s[last_of_tie], tp[last_of_tie], fp[last_of_tie], num_pos, len(t) - num_pos


def roc_curve(scores, y_true):
    """Trace the ROC curve: true-positive rate against false-positive rate.

    Args:
        scores: (n,) or (n, 1) scores, higher meaning "more likely positive".
        y_true: n labels in {0, 1}; both classes must be present.
    Returns:
        dict of lists, starting at the point (0, 0) of threshold +inf, then one
        entry per distinct score from high to low: "threshold", "fpr" =
        FP / negatives, "tpr" = TP / positives (the recall).
    """
    thr, tp, fp, num_pos, num_neg = _ranked_counts(scores, y_true)
    zero = torch.zeros(1, dtype=torch.float64)
    return {"threshold": [float("inf")] + thr.tolist(),
            "fpr": torch.cat([zero, fp.double() / num_neg]).tolist(),
            "tpr": torch.cat([zero, tp.double() / num_pos]).tolist()}


def roc_auc(scores, y_true):
    """Area under the ROC curve (trapezoidal rule).

    Equals the probability that a random positive scores above a random
    negative, ties counting one half: 0.5 for scores unrelated to the labels,
    1.0 for a perfect ranking.
    """
    roc = roc_curve(scores, y_true)
    return float(torch.trapezoid(torch.tensor(roc["tpr"], dtype=torch.float64),
                                 torch.tensor(roc["fpr"], dtype=torch.float64)))


def precision_recall_curve(scores, y_true):
    """Precision and recall at every distinct score used as the threshold.

    Returns:
        dict of lists, one entry per distinct score from high to low:
        "threshold", "tp", "fp", "precision", "recall". Every point predicts
        at least one positive, so no precision here is a 0/0 convention. The
        keys match `threshold_sweep`, so helpers.plots.plot_precision_recall
        draws either.
    """
    thr, tp, fp, num_pos, _ = _ranked_counts(scores, y_true)
    return {"threshold": thr.tolist(), "tp": tp.tolist(), "fp": fp.tolist(),
            "precision": (tp.double() / (tp + fp)).tolist(),
            "recall": (tp.double() / num_pos).tolist()}


def average_precision(scores, y_true):
    """Average precision: sum over thresholds of (recall gained) x precision there.

    AP = sum_k (R_k - R_{k-1}) P_k with R_0 = 0, a step-wise area under the
    precision-recall curve. Scores unrelated to the labels give about the
    share of positives (exactly that when all scores are equal); 1.0 for a
    perfect ranking.
    """
    pr = precision_recall_curve(scores, y_true)
    recall = torch.tensor([0.0] + pr["recall"], dtype=torch.float64)
    precision = torch.tensor(pr["precision"], dtype=torch.float64)
    return float(((recall[1:] - recall[:-1]) * precision).sum())


def prediction_bias(probabilities, y_true):
    """Mean predicted probability minus the share of positives (Google MLCC's term).

    0 when the model predicts the base rate on average; it says nothing about
    how well the model ranks or separates the classes.
    """
    p, t = _as_float64(probabilities), _as_bool_tensor(y_true)
    if p.shape != t.shape:
        raise ValueError(f"y_true has {t.numel()} labels but probabilities has {p.numel()}")
    return float(p.mean() - t.double().mean())
