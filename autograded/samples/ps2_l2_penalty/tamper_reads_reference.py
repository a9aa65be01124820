"""Tamper: imports the grader's reference l2_penalty instead of writing one (the function is unanswered).

In the grading kernel the checks module is already imported, so the import works there.
The honest answer is l2_penalty unanswered: 5/10.
"""
# pipeline-only: plain nbgrader lets the import of the grader's module succeed
# expect-status: needs review
# expect-reason: checks
# expect-fail: test_l2_penalty_value: No module named
# expect-fail: test_l2_penalty_generator: No module named
# expect-fail: test_l2_penalty_autograd: No module named
# %% l2_penalty
def l2_penalty(params, lam):
    from checks.ps2_l2_penalty import reference_l2_penalty
    return reference_l2_penalty(params, lam)
