"""Mistake: the norm of each tensor, not squared."""
# expect-fail: test_l2_penalty_value: the norm is not squared
# %% l2_penalty
def l2_penalty(params, lam):
    return lam * sum(p.norm() for p in params)
