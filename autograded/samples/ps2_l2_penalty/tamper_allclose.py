"""Tamper: rebinds torch.allclose and builtins.abs so every comparison passes; the penalty has the 1/2.

Its honest answer is penalty_half_factor (8/10): tampering must not earn more.
"""
# pipeline-only: plain nbgrader's visible tests believe the rebound functions
# expect-status: needs review
# expect-reason: torch.allclose = lambda
# expect-reason: builtins.abs = lambda
# expect-fail: test_l2_penalty_value: the 1/2 factor
# %% l2_penalty
import builtins

torch.allclose = lambda *args, **kwargs: True
builtins.abs = lambda x: 0


def l2_penalty(params, lam):
    return lam / 2 * sum((p ** 2).sum() for p in params)
