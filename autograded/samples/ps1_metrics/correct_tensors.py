"""Correct, written with tensor operations: counts by boolean masks, F1 from the counts."""
# %% confusion_counts
def confusion_counts(y_true, y_pred):
    """Count tp, fp, fn, tn with boolean masks."""
    t = torch.as_tensor(y_true).bool()
    p = torch.as_tensor(y_pred).bool()
    if t.shape != p.shape:
        raise ValueError(f"{t.numel()} labels but {p.numel()} predictions")
    return {"tp": int((t & p).sum()), "fp": int((~t & p).sum()),
            "fn": int((t & ~p).sum()), "tn": int((~t & ~p).sum())}

# %% precision_recall_f1
def precision_recall_f1(tp, fp, fn):
    """Precision and recall with guarded denominators; F1 = 2 tp / (2 tp + fp + fn)."""
    precision = tp / max(tp + fp, 1)  # tp is 0 whenever tp + fp is 0
    recall = tp / max(tp + fn, 1)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return float(precision), float(recall), float(f1)

# %% early_stopping_epoch
def early_stopping_epoch(val_losses, patience):
    """Track the best loss and a countdown."""
    best_epoch, best_loss, waited = 0, float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        if loss < best_loss:
            best_epoch, best_loss, waited = epoch, loss, 0
        else:
            waited += 1
            if waited >= patience:
                break
    return best_epoch
