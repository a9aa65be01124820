"""Tamper: tries to rewrite the grader's check and empty the gradebook, then answers correctly.

The answers are right, so the honest score is 10/10; the writes must fail (the
course folder is read-only to learner code), and the lines are flagged.
"""
# pipeline-only: under plain nbgrader the writes would succeed
# expect-status: needs review
# expect-reason: open(
# %% l2_penalty
import pathlib

for _dir in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents]:
    for _name, _text in [("checks/ps2_l2_penalty.py", "def check_l2_penalty_value(fn):\n    return None\n"),
                         ("gradebook.db", "")]:
        if (_dir / _name).is_file():
            try:
                with open(_dir / _name, "w") as _file:
                    _file.write(_text)
            except OSError as _error:
                print("could not write", _name, _error)


def l2_penalty(params, lam):
    return lam * sum((p ** 2).sum() for p in params)
