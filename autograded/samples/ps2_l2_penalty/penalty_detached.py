"""Mistake: the penalty is computed on detached tensors, so it has no gradient."""
# expect-fail: test_l2_penalty_autograd: cut off from autograd by .detach()
# %% l2_penalty
def l2_penalty(params, lam):
    return lam * sum((p.detach() ** 2).sum() for p in params)
