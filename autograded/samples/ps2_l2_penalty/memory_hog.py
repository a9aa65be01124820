"""Containment: weight_decay_equivalent allocates a 16 GB list, far above the kernel's memory cap."""
# pipeline-only: shows the memory cap
# expect-status: needs review
# expect-reason: memory
# expect-fail: test_weight_decay_equivalent: MemoryError
# %% weight_decay_equivalent
def weight_decay_equivalent(lam):
    table = [lam] * (2 * 2**30)
    return 2.0 * table[0]
