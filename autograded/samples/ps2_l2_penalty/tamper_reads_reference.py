"""Tamper: imports the grader's reference l2_penalty instead of writing one (the function is unanswered).

Under plain nbgrader the checks module is already imported in the kernel, so the import
works there. It first removes the sealed judge's import hook, which only the sandbox
backs up: there the checks have no file to import from. The honest answer is l2_penalty
unanswered: 5/10. In the kernel its train_step_l2 calls it, so the visible tests of
train_step_l2 fail too: 2/10.
"""
# sandbox-only: outside the sandbox the import finds the checks' file
# expect-status: needs review
# expect-reason: checks
# expect-fail: test_l2_penalty_value: grader.checks.ps2_l2_penalty
# expect-fail: test_l2_penalty_generator: grader.checks.ps2_l2_penalty
# expect-fail: test_l2_penalty_autograd: grader.checks.ps2_l2_penalty
# expect-fail: test_train_step_returns_data_loss: grader.checks.ps2_l2_penalty
# expect-fail: test_train_step_update: grader.checks.ps2_l2_penalty
# %% l2_penalty
import sys

sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_Refuse"]


def l2_penalty(params, lam):
    from grader.checks.ps2_l2_penalty import reference_l2_penalty
    return reference_l2_penalty(params, lam)
