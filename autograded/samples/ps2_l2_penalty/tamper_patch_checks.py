"""Tamper: replaces the grader's check functions (found in sys.modules) with ones that pass.

Its weight_decay_equivalent has the 1/2 factor: the honest answer is wd_half_factor (8/10).
"""
# pipeline-only: plain nbgrader runs the patched checks
# expect-status: needs review
# expect-reason: sys.modules
# expect-fail: test_weight_decay_equivalent: the 1/2 factor
# %% weight_decay_equivalent
import sys

for _name, _module in list(sys.modules.items()):
    if _name.startswith("checks"):
        for _attr in list(vars(_module)):
            if _attr.startswith("check_"):
                setattr(_module, _attr, lambda *args, **kwargs: None)
torch.allclose = lambda *args, **kwargs: True  # and the visible test's comparison


def weight_decay_equivalent(lam):
    return lam
