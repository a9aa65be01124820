"""Mistake: a 1/2 in the penalty (lam / 2 * sum of squares), as some books write it."""
# expect-fail: test_l2_penalty_value: the 1/2 factor
# %% l2_penalty
def l2_penalty(params, lam):
    return lam / 2 * sum((p ** 2).sum() for p in params)
