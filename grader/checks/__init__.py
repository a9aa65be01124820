"""Grader-only checks for the autograded problem sets (one module per assignment).

Nothing here is released to learners or installed with `helpers`: the source
notebooks import these modules only inside `### BEGIN HIDDEN TESTS` blocks,
which nbgrader strips from the student version and puts back when grading.

Each module has one `check_<part>(fn)` function per graded test cell. It calls
the learner's function on inputs the learner has not seen and returns None
when the part is right, or a message written for the learner: what was
called, what came back, what was expected, and, for each mistake the lessons
warn about, a line starting "Diagnosis:" that names it and says how to fix it.
A test cell turns that into a failure with

    _problem = _grader.check_<part>(fn)
    assert _problem is None, _problem

so the traceback a learner reads points at the test cell, not at this code.
"""
