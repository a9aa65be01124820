"""Build the sample class. samples/<assignment>/<student>.py is one learner: a docstring saying what it
shows, header lines, then `# %% <answer cell>` sections, each that cell's source (the others get the
source notebook's solution, so a mistake sample holds only the cell it breaks). The header lines:
`# expect-fail: <test cell, or * for all>: <words of its message>` (the other test cells pass);
`# answers: unanswered` (the release, handed in as it is); `# pipeline-only: <why>` (only make grade
grades it right); `# sandbox-only: <why>` (hostile: pipeline-only, run only in make grade's sandbox);
`# expect-status: <status>` (default graded); `# expect-reason: <words in its reasons or notes>`;
`# notebook: corrupt-json | delete-cell <id> | duplicate-cell <id> | edit-cell <id>` (all but its first line -> pass).
"""
import argparse
import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader.course import course_dir, is_answer_cell, nbgrader_meta


@dataclass
class Sample:
    student: str  # the docstring above its header lines says what it shows (to people only)
    unanswered: bool = False
    expect_fail: dict = field(default_factory=dict)  # test cell id -> words in its message
    answers: dict = field(default_factory=dict)      # answer cell id -> cell source
    pipeline_only: bool = False
    sandbox_only: bool = False
    expect_status: str = "graded"
    expect_reasons: list = field(default_factory=list)
    notebook_ops: list = field(default_factory=list)  # (operation, cell id or "")


def read_sample(path):
    path = Path(path)
    header, *sections = re.split(r"^# %% (\S+)\s*$", path.read_text(), flags=re.M)
    if not re.match(r'\s*""".*?"""', header, re.S):
        raise ValueError(f"{path}: start with a docstring saying what the sample shows")
    lines = lambda key, value=r"(.+?)": re.findall(rf"^# {key}: {value}\s*$", header, re.M)  # noqa: E731
    return Sample(path.stem, unanswered=bool(lines("answers", "unanswered")),
                  expect_fail=dict(lines("expect-fail", r"(\S+): (.+?)")), expect_reasons=lines("expect-reason"),
                  answers={cell: body.strip("\n") + "\n" for cell, body in zip(sections[::2], sections[1::2])},
                  pipeline_only=bool(lines("pipeline-only") or lines("sandbox-only")),
                  sandbox_only=bool(lines("sandbox-only")), expect_status=(lines("expect-status") or ["graded"])[0],
                  notebook_ops=lines("notebook", r"(corrupt-json|delete-cell|duplicate-cell|edit-cell)(?: (\S+))?"))


def samples(assignment, course=None, pipeline=False):
    """The samples of an assignment, sorted by student (the pipeline-only ones too if `pipeline`)."""
    found = [read_sample(p) for p in sorted(Path(course or course_dir(), "samples", assignment).glob("*.py"))]
    return [s for s in found if pipeline or not s.pipeline_only]


def reference_answers(assignment, course=None):
    """Answer cell id -> the source notebook's solution, without its SOLUTION markers."""
    nb = nbformat.read(Path(course or course_dir(), "source", assignment, f"{assignment}.ipynb"), as_version=4)
    return {c.metadata.nbgrader["grade_id"]: re.sub(r"^.*### (BEGIN|END) SOLUTION.*\n?", "", c.source, flags=re.M)
            for c in nb.cells if is_answer_cell(c)}


def fill(released, sample, reference):
    """A copy of the released notebook with the sample's answers in its answer cells."""
    nb = copy.deepcopy(released)
    cells = {cell.metadata.nbgrader["grade_id"]: cell for cell in nb.cells if is_answer_cell(cell)}
    if unknown := set(sample.answers) - set(cells):
        raise ValueError(f"sample {sample.student}: no answer cell {sorted(unknown)} (there are {sorted(cells)})")
    for cell_id, cell in cells.items() if not sample.unanswered else ():
        cell.source = sample.answers.get(cell_id, reference[cell_id]).rstrip("\n")
    return nb


def change_notebook(nb, ops):
    """The notebook's text after a sample's `# notebook:` operations."""
    for op, cell_id in ops:
        i = next((i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == cell_id), None)
        if op != "corrupt-json" and i is None:
            raise ValueError(f"no cell {cell_id!r} to {op}")
        if op == "delete-cell":
            del nb.cells[i]
        elif op == "duplicate-cell":
            nb.cells.insert(i + 1, twin := copy.deepcopy(nb.cells[i]))
            twin.id = f"{twin.id}-copy"
        elif op == "edit-cell":
            nb.cells[i].source = nb.cells[i].source.splitlines()[0] + "\npass"
    text = nbformat.writes(nb)
    return text[:len(text) // 2] if any(op == "corrupt-json" for op, _ in ops) else text  # a download cut short


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the samples into submitted/ (from the course folder, "
                                     "after `nbgrader generate_assignment`).")
    parser.add_argument("assignments", nargs="*", help="default: every folder in samples/")
    parser.add_argument("--no-pipeline-samples", action="store_true", help="leave out the pipeline-only ones")
    args, course = parser.parse_args(argv), course_dir()
    for assignment in args.assignments or sorted(p.name for p in (course / "samples").iterdir() if p.is_dir()):
        released = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        reference = reference_answers(assignment, course)
        found = samples(assignment, course, pipeline=not args.no_pipeline_samples)
        for sample in found:
            out = course / "submitted" / sample.student / assignment / f"{assignment}.ipynb"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(change_notebook(fill(released, sample, reference), sample.notebook_ops))
        print(f"{assignment}: {len(found)} submissions in submitted/ ({', '.join(s.student for s in found)})")


if __name__ == "__main__":
    main()
