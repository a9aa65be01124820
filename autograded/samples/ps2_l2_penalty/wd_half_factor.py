"""Mistake: weight_decay = lam, the answer for a penalty with a 1/2 (lam / 2 * sum of squares)."""
# expect-fail: test_weight_decay_equivalent: the 1/2 factor
# %% weight_decay_equivalent
def weight_decay_equivalent(lam):
    return lam
