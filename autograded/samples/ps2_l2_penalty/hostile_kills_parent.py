"""Hostile: kills the process that runs it, its parent, and every process it may signal.

The answers are right, but the code kills whatever grades it. It must not
score more than the honest 10/10, nor stop anyone else's grading; the
sealed re-check it kills cannot vouch for it, so it is not graded.
"""
# sandbox-only: outside the sandbox the kernel dies and the notebook is not graded either
# expect-status: not graded
# expect-reason: sealed re-check failed
# %% l2_penalty
import os
import signal

for _pid in (os.getppid(), -1):
    try:
        os.kill(_pid, signal.SIGKILL)
    except OSError as _error:
        print("could not kill", _pid, _error)


def l2_penalty(params, lam):
    return lam * sum((p ** 2).sum() for p in params)
