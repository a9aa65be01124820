"""Mistake: a tie counts as an improvement (<= instead of <)."""
# expect-fail: test_early_stopping_ties: counted as an improvement
# %% early_stopping_epoch
def early_stopping_epoch(val_losses, patience):
    best, waited = 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] <= val_losses[best]:
            best, waited = epoch, 0
        else:
            waited += 1
            if waited == patience:
                break
    return best
