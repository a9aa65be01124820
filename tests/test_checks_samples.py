"""Do the sample submissions get exactly the verdicts they declare? (fast, without nbgrader)

Each sample in autograded/samples/ is one known-right or known-wrong answer.
Here its answer cells and the source notebook's test cells (hidden tests
included) run in this process, cell by cell, as the grading kernel would run
them; every test cell the sample lists under `# expect-fail` must fail with
its diagnosis, and every other one must pass. test_autograded.py checks the
same verdicts through nbgrader itself.
"""
import contextlib
import io
import re
import warnings
from pathlib import Path

import nbformat
import pytest

from grader import samples

COURSE = Path(__file__).resolve().parents[1] / "autograded"

ASSIGNMENTS = ["ps1_metrics", "ps2_l2_penalty", "ps3_param_groups"]
STUB = "raise NotImplementedError()"


def meta(cell):
    return cell.metadata.get("nbgrader", {})


def unanswered(source):
    """What nbgrader's student version holds: the solution region replaced by a stub."""
    return re.sub(r"^([ \t]*)### BEGIN SOLUTION\n.*?### END SOLUTION[ \t]*$",
                  lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}{STUB}",
                  source, flags=re.S | re.M)


def run_in_process(assignment, sample):
    """Run the source notebook with the sample's answers; return {test cell: failure or None}.

    A test cell fails on any exception or on anything written to stderr or
    warned, as in nbgrader. Cells run in a fresh namespace, from the
    assignment's source folder, as nbgrader runs them.
    """
    nb = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    reference = samples.reference_answers(assignment, COURSE)
    namespace = {"__name__": "__main__"}
    verdicts = {}
    # One warnings context for the whole run, as in a kernel: a filter that the
    # setup cell installs holds for the cells after it.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            m = meta(cell)
            source = cell.source
            if m.get("solution") and not m.get("grade"):
                grade_id = m["grade_id"]
                source = (unanswered(source) if sample.unanswered
                          else sample.answers.get(grade_id, reference[grade_id]))
            out, err = io.StringIO(), io.StringIO()
            failure, seen = None, len(caught)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    exec(compile(source, f"<{m.get('grade_id', 'cell')}>", "exec"), namespace)
                except Exception as exc:  # the cell's error output in a graded notebook
                    failure = f"{type(exc).__name__}: {exc}"
            warned = [str(w.message) for w in caught[seen:]]
            if failure is None and (err.getvalue() or warned):
                failure = f"wrote to stderr: {err.getvalue()}{warned}"
            if m.get("grade") and m.get("points", 0) > 0:
                verdicts[m["grade_id"]] = failure
            elif failure and m.get("grade_id") == "setup":
                raise AssertionError(f"the setup cell failed: {failure}")
    return verdicts


def expected_failures(sample, test_cells):
    if "*" in sample.expect_fail:
        return {cell: sample.expect_fail["*"] for cell in test_cells}
    unknown = set(sample.expect_fail) - set(test_cells)
    assert not unknown, f"{sample.student}: expect-fail names unknown test cells {unknown}"
    return sample.expect_fail


CASES = [(a, s.student) for a in ASSIGNMENTS for s in samples.samples(a, COURSE)]


@pytest.mark.parametrize("assignment,student", CASES)
def test_sample_gets_its_declared_verdicts(assignment, student, monkeypatch):
    """Does every test cell pass or fail (with the declared diagnosis) as the sample says?"""
    sample = samples.read_sample(COURSE / "samples" / assignment / f"{student}.py")
    monkeypatch.chdir(COURSE / "source" / assignment)
    verdicts = run_in_process(assignment, sample)
    expected = expected_failures(sample, verdicts)
    for cell, failure in verdicts.items():
        if cell in expected:
            assert failure is not None, f"{cell} passed, but {student} should fail it"
            assert expected[cell] in failure, (
                f"{cell} failed without the diagnosis {expected[cell]!r}:\n{failure}")
        else:
            assert failure is None, f"{cell} should pass for {student}, but:\n{failure}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_solution_passes_every_test_cell(assignment, monkeypatch):
    """Does the source notebook's own solution pass every test cell, hidden tests included?"""
    monkeypatch.chdir(COURSE / "source" / assignment)
    verdicts = run_in_process(assignment, samples.Sample("reference"))  # the source solution
    assert verdicts and all(v is None for v in verdicts.values()), verdicts


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_assignment_has_correct_unanswered_and_mistake_samples(assignment):
    """Can an instructor grade at least two correct styles, a blank copy and several mistakes?"""
    found = samples.samples(assignment, COURSE)
    correct = [s for s in found if not s.expect_fail]
    assert len(correct) >= 2, [s.student for s in correct]
    assert any(s.unanswered for s in found)
    assert len([s for s in found if s.expect_fail and not s.unanswered]) >= 5
