"""Mistake: the source page's idea made to run: summing the parameters instead of their squares."""
# expect-fail: test_l2_penalty_value: you summed the parameters themselves
# %% l2_penalty
def l2_penalty(params, lam):
    return lam * sum(p.sum() for p in params)
