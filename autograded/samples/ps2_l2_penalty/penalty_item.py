"""Mistake: the penalty is turned into a Python float with .item()."""
# expect-fail: test_l2_penalty_autograd: .item() or float()
# %% l2_penalty
def l2_penalty(params, lam):
    return lam * sum((p ** 2).sum().item() for p in params)
