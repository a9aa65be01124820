"""The course's grader: `make grade ASSIGNMENT=<name>` (see autograded/README.md).

nbgrader does the autograding and keeps the gradebook; this package runs every
piece of learner code in a bubblewrap sandbox (`sandbox`; kernels forked by a
warm `zygote` in it, `kernel`), re-checks every graded cell in the sealed
`judge`, which holds the `checks` and never runs learner code, grades several
submissions at once (`grade`, `worker`), and writes what instructors and
learners read (`report`, `feedback`, `redact`). `course` knows the layout,
statuses and records; `audit` flags code for review; `samples` builds the
sample class.
"""
try:
    from helpers.fast_imports import import_jsonschema
except ImportError:  # in a sandbox, where only grader/ is readable: nothing there imports nbformat early
    pass
else:
    import_jsonschema()  # before nbformat does, 1.3 s faster (helpers/fast_imports.py)
