"""Build the sample submissions from the released notebooks, for an instructor to grade.

Each file samples/<assignment>/<student>.py is one learner's answers:

- a docstring saying what the sample shows;
- `# expect-fail: <test cell>: <words>` lines: the test cells grading must
  fail, and words their failure message must contain (`*` = every test cell);
  every other test cell must get full marks;
- `# %% <answer cell>` sections: the text below one replaces that answer cell.

Samples that only `make grade` grades right (tamper attempts, broken
notebooks; see grader/grade.py) also have:

- `# pipeline-only: <why>`: plain nbgrader would score it wrong, so the tests
  of plain nbgrader grading leave it out (`samples(..., pipeline=True)` keeps it);
- or `# sandbox-only: <why>`: graded right only inside `make grade`'s sandbox,
  or hostile code (it kills its parent, writes into the environment) that may
  run nowhere else: pipeline-only, and tests that run learner code outside
  the sandbox (the sealed judge in the test process) leave it out too;
- `# expect-status: <graded | needs review | not graded>` (default: graded)
  and `# expect-reason: <words>` lines: words the record's reasons or notes
  must contain;
- `# notebook: <operation> [<cell id>]`: a change to the whole notebook after
  the answers are filled in: `corrupt-json`, `delete-cell <id>`,
  `duplicate-cell <id>`, `edit-cell <id>` (the test replaced by `pass`).

Answer cells without a section get the reference solution from source/ (its
BEGIN/END SOLUTION lines dropped), so a mistake sample holds only the cell it
breaks. A file with the line `# answers: unanswered` leaves every answer cell
as released.

Run from the course folder (or set $GRADER_COURSE), after `nbgrader generate_assignment <assignment>`:

    python -m grader.samples                  # every assignment that has samples
    python -m grader.samples ps2_l2_penalty   # only these

It writes submitted/<student>/<assignment>/<assignment>.ipynb per sample,
replacing an earlier copy of the same sample.
"""
import argparse
import copy
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader.course import course_dir, is_answer_cell

SECTION = re.compile(r"^# %% (\S+)\s*$", re.M)
EXPECT = re.compile(r"^# expect-fail: (\S+): (.+?)\s*$", re.M)
STATUS = re.compile(r"^# expect-status: (.+?)\s*$", re.M)
REASON = re.compile(r"^# expect-reason: (.+?)\s*$", re.M)
NOTEBOOK = re.compile(r"^# notebook: (corrupt-json|delete-cell|duplicate-cell|edit-cell)(?: (\S+))?\s*$", re.M)
PIPELINE_ONLY = re.compile(r"^# pipeline-only: .+$", re.M)
SANDBOX_ONLY = re.compile(r"^# sandbox-only: .+$", re.M)


@dataclass
class Sample:
    """One sample submission, as read from samples/<assignment>/<student>.py."""

    student: str
    description: str
    unanswered: bool = False
    expect_fail: dict = field(default_factory=dict)  # test cell id -> words in its message
    answers: dict = field(default_factory=dict)      # answer cell id -> cell source
    pipeline_only: bool = False                      # graded right only by `make grade`
    sandbox_only: bool = False                       # hostile: run its code only in the sandbox
    expect_status: str = "graded"                    # the status `make grade` must give it
    expect_reasons: list = field(default_factory=list)  # words its reasons or notes must hold
    notebook_ops: list = field(default_factory=list)    # (operation, cell id or "") pairs


def read_sample(path):
    """Parse one sample file (format in this module's docstring)."""
    path = Path(path)
    text = path.read_text()
    parts = SECTION.split(text)
    header, sections = parts[0], parts[1:]
    doc = re.match(r'\s*"""(.*?)"""', header, re.S)
    if not doc:
        raise ValueError(f"{path}: start with a docstring saying what the sample shows")
    answers = {}
    for cell_id, body in zip(sections[::2], sections[1::2]):
        if cell_id in answers:
            raise ValueError(f"{path}: two sections for {cell_id}")
        answers[cell_id] = body.strip("\n") + "\n"
    return Sample(student=path.stem, description=" ".join(doc.group(1).split()),
                  unanswered=bool(re.search(r"^# answers: unanswered\s*$", header, re.M)),
                  expect_fail=dict(EXPECT.findall(header)), answers=answers,
                  pipeline_only=bool(PIPELINE_ONLY.search(header) or SANDBOX_ONLY.search(header)),
                  sandbox_only=bool(SANDBOX_ONLY.search(header)),
                  expect_status=(STATUS.findall(header) or ["graded"])[0],
                  expect_reasons=REASON.findall(header), notebook_ops=NOTEBOOK.findall(header))


def samples(assignment, course=None, pipeline=False):
    """The samples of an assignment, sorted by student name (pipeline-only ones if `pipeline`)."""
    course = Path(course or course_dir())
    found = [read_sample(p) for p in sorted((course / "samples" / assignment).glob("*.py"))]
    return [s for s in found if pipeline or not s.pipeline_only]


def reference_answers(assignment, course=None):
    """Answer cell id -> the source notebook's solution without its SOLUTION markers."""
    course = Path(course or course_dir())
    nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return {cell.metadata.nbgrader["grade_id"]:
            "".join(line for line in cell.source.splitlines(keepends=True)
                    if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
            for cell in nb.cells if is_answer_cell(cell)}


def fill(released, sample, reference):
    """A copy of the released notebook with the sample's answers in its answer cells."""
    nb = copy.deepcopy(released)
    answer_ids = {c.metadata.nbgrader["grade_id"] for c in nb.cells if is_answer_cell(c)}
    unknown = set(sample.answers) - answer_ids
    if unknown:
        raise ValueError(f"sample {sample.student}: no answer cell named {sorted(unknown)}; "
                         f"the answer cells are {sorted(answer_ids)}")
    if sample.unanswered:
        return nb
    for cell in nb.cells:
        if is_answer_cell(cell):
            cell_id = cell.metadata.nbgrader["grade_id"]
            cell.source = sample.answers.get(cell_id, reference[cell_id]).rstrip("\n")
    return nb


def change_notebook(nb, ops):
    """Apply a sample's `# notebook:` operations; return the notebook, or its text if corrupted."""
    for op, cell_id in ops:
        index = next((i for i, c in enumerate(nb.cells)
                      if c.metadata.get("nbgrader", {}).get("grade_id") == cell_id), None)
        if op != "corrupt-json" and index is None:
            raise ValueError(f"no cell {cell_id!r} to {op}")
        if op == "delete-cell":
            del nb.cells[index]
        elif op == "duplicate-cell":
            twin = copy.deepcopy(nb.cells[index])
            twin.id = f"{twin.id}-copy"
            nb.cells.insert(index + 1, twin)
        elif op == "edit-cell":
            nb.cells[index].source = nb.cells[index].source.splitlines()[0] + "\npass"
    text = nbformat.writes(nb)
    if any(op == "corrupt-json" for op, _ in ops):
        return text[: len(text) // 2]  # a download cut short
    return text


def build(assignment, course=None, pipeline=True):
    """Write the samples of one assignment into submitted/; return the student ids.

    pipeline=False leaves out the pipeline-only samples (for plain nbgrader runs).
    """
    course = Path(course or course_dir())
    released_path = course / "release" / assignment / f"{assignment}.ipynb"
    if not released_path.exists():
        raise SystemExit(f"{released_path} does not exist: run "
                         f"`nbgrader generate_assignment {assignment}` first (from {course}).")
    released = nbformat.read(released_path, as_version=4)
    reference = reference_answers(assignment, course)
    students = []
    for sample in samples(assignment, course, pipeline):
        out = course / "submitted" / sample.student / assignment / f"{assignment}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(change_notebook(fill(released, sample, reference), sample.notebook_ops))
        students.append(sample.student)
    return students


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*",
                        help="assignments to build (default: every folder in samples/)")
    parser.add_argument("--no-pipeline-samples", action="store_true",
                        help="leave out the samples only `make grade` grades right")
    args = parser.parse_args(argv)
    names = args.assignments or sorted(p.name for p in (course_dir() / "samples").iterdir() if p.is_dir())
    for name in names:
        students = build(name, pipeline=not args.no_pipeline_samples)
        print(f"{name}: {len(students)} submissions in submitted/<student>/{name}/ "
              f"({', '.join(students)})")


if __name__ == "__main__":
    sys.exit(main())
