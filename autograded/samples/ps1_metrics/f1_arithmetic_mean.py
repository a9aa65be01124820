"""Mistake: F1 as the arithmetic mean of precision and recall."""
# expect-fail: test_precision_recall_f1_values: not the arithmetic mean
# %% precision_recall_f1
def precision_recall_f1(tp, fp, fn):
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = (precision + recall) / 2
    return precision, recall, f1
