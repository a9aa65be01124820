"""Correct, written compactly: generator sums, statistics.harmonic_mean, a while loop."""
# %% confusion_counts
def confusion_counts(y_true, y_pred):
    """Count each kind of pair with a generator expression."""
    pairs = [(int(t), int(p)) for t, p in zip(y_true, y_pred)]
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred have different lengths")
    return {name: sum(1 for pair in pairs if pair == wanted)
            for name, wanted in [("tp", (1, 1)), ("fp", (0, 1)), ("fn", (1, 0)), ("tn", (0, 0))]}

# %% precision_recall_f1
def precision_recall_f1(tp, fp, fn):
    """F1 as the harmonic mean from the standard library (0 when either value is 0)."""
    import statistics

    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    return precision, recall, float(statistics.harmonic_mean([precision, recall]))

# %% early_stopping_epoch
def early_stopping_epoch(val_losses, patience):
    """Walk forward until patience runs out."""
    best, epoch, bad = 0, 1, 0
    while epoch < len(val_losses) and bad < patience:
        if val_losses[epoch] < val_losses[best]:
            best, bad = epoch, 0
        else:
            bad += 1
        epoch += 1
    return best
