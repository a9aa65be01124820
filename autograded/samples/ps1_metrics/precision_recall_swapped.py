"""Mistake: precision and recall swapped (precision divided by the actual positives)."""
# expect-fail: test_precision_recall_f1_values: precision and recall are swapped
# %% precision_recall_f1
def precision_recall_f1(tp, fp, fn):
    precision = tp / (tp + fn) if tp + fn else 0.0
    recall = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
