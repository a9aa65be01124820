"""Hostile: overwrites another learner's submission and graded notebook, then answers correctly.

It finds the course folder through the grader package and rewrites
correct_loop's submitted and graded notebooks. The answers are right, so the
honest score is 10/10; correct_loop must keep its files and its 10/10.
"""
# sandbox-only: outside the sandbox the writes would succeed
# expect-status: needs review
# expect-reason: open(
# %% l2_penalty
try:  # the judge runs it without the grader's packages: keep going there too
    from grader.course import course_dir

    for _folder in ("submitted", "autograded_out", "feedback"):
        for _path in (course_dir() / _folder / "correct_loop").rglob("*"):
            try:
                if _path.is_file():
                    open(_path, "w").write("{}")
            except OSError as _error:
                print("could not write", _path, _error)
except ImportError as _error:
    print(_error)


def l2_penalty(params, lam):
    return lam * sum((p ** 2).sum() for p in params)
