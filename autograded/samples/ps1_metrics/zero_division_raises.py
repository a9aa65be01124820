"""Mistake: no guard for 0/0, so a model that predicts no positives raises ZeroDivisionError."""
# expect-fail: test_precision_recall_f1_zero_division: 0/0 raised ZeroDivisionError
# %% precision_recall_f1
def precision_recall_f1(tp, fp, fn):
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    return precision, recall, f1
