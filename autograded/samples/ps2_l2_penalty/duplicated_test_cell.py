"""The summed-parameters penalty, and the test cell that catches it duplicated."""
# pipeline-only: the record says the test cell was duplicated
# expect-reason: test_l2_penalty_value
# expect-fail: test_l2_penalty_value: you summed the parameters themselves
# notebook: duplicate-cell test_l2_penalty_value
# %% l2_penalty
def l2_penalty(params, lam):
    return lam * sum(p.sum() for p in params)
