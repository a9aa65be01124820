"""The 1/2-factor weight_decay, and the test cell that catches it edited to `pass`."""
# pipeline-only: the record says the test cell was edited
# expect-reason: test_weight_decay_equivalent
# expect-fail: test_weight_decay_equivalent: the 1/2 factor
# notebook: edit-cell test_weight_decay_equivalent
# %% weight_decay_equivalent
def weight_decay_equivalent(lam):
    return lam
