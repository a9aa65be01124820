"""Correct answers whose l2_penalty also prints a warning to stderr.

Plain nbgrader gives 0 to every test cell that writes to stderr; `make grade`
counts the answer and notes the output.
"""
# pipeline-only: plain nbgrader zeroes the cells that print to stderr
# expect-status: graded
# expect-reason: wrote to stderr
# %% l2_penalty
import sys


def l2_penalty(params, lam):
    print("note: computing the L2 penalty", file=sys.stderr)
    return lam * sum((p ** 2).sum() for p in params)
