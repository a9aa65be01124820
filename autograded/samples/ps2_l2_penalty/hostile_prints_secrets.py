"""Hostile: hunts for the grader's checks and the instructor's solutions and prints all it finds.

It reads every file under the course repository it can see, the source of the
`_grader` module the notebook was given, and what `sys.modules` holds; the
answers are right, so the honest score is 10/10. No line of the checks or of
the source notebook may reach the learner's feedback or graded notebook.
"""
# sandbox-only: outside the sandbox the checks' files and module are readable
# expect-status: needs review
# expect-reason: import grader
# %% l2_penalty
try:  # the judge runs it without the grader's packages: keep going there too
    import inspect
    import pathlib
    import sys

    import grader

    _root = pathlib.Path(grader.__file__).resolve().parents[1]
    for _path in sorted(_root.glob("grader/**/*.py")) + sorted(_root.glob("autograded/**/*")):
        try:
            print(_path, open(_path).read())
        except OSError as _error:
            print(_path, "unreadable:", _error)
    for _name, _module in list(sys.modules.items()):
        if _name.startswith("grader"):
            try:
                print(_name, inspect.getsource(_module))
            except (OSError, TypeError) as _error:
                print(_name, "no source:", _error)
except ImportError as _error:
    print(_error)


def l2_penalty(params, lam):
    return lam * sum((p ** 2).sum() for p in params)
