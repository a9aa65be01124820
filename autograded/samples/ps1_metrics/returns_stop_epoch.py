"""Mistake: returns the epoch where training stopped instead of the best epoch."""
# expect-fail: test_early_stopping_stops: the epoch where training stopped
# expect-fail: test_early_stopping_ties: the epoch where training stopped
# %% early_stopping_epoch
def early_stopping_epoch(val_losses, patience):
    best_loss, waited = val_losses[0], 0
    best = 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < best_loss:
            best_loss, best, waited = val_losses[epoch], epoch, 0
        else:
            waited += 1
            if waited == patience:
                return epoch
    return best
