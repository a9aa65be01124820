"""The course folder's layout, a submission's statuses and record, and which cells are learner code."""
import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

GRADED, REVIEW, NOT_GRADED = "graded", "needs review", "not graded"
STATUSES = (GRADED, REVIEW, NOT_GRADED)
UNSAFE = "graded without a sandbox"  # said in every record, report row and export line of --unsafe
REPOSITORY = Path(__file__).resolve().parents[1]
CHECK_CALL = re.compile(r"_grader\.(check_\w+)\((\w+)\)")
HIDDEN_BLOCK = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$\n?",
                          re.S | re.M)


def course_dir():
    """$GRADER_COURSE, else the current folder if it holds nbgrader_config.py, else autograded/."""
    if os.environ.get("GRADER_COURSE"):
        return Path(os.environ["GRADER_COURSE"]).resolve()
    return Path.cwd().resolve() if Path("nbgrader_config.py").is_file() else REPOSITORY / "autograded"


def source_path(assignment, course=None):
    return (course or course_dir()) / "source" / assignment / f"{assignment}.ipynb"


def release_path(assignment, course=None):
    return (course or course_dir()) / "release" / assignment / f"{assignment}.ipynb"


def out_dir(assignment):
    """Where `make grade` writes records and reports."""
    return course_dir() / "grading_out" / assignment


def checks_paths(assignment):
    """The check modules of an assignment: the shared core and its own."""
    return [REPOSITORY / "grader" / "checks" / f"{name}.py" for name in ("_core", assignment)]


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader") or {}


def is_answer_cell(cell):
    """A cell the learner writes in: an nbgrader solution cell that is not also a test."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("solution")) and not meta.get("grade")


def is_learner_code(cell):
    """Code the learner controls: answer cells and code cells they added (no nbgrader metadata)."""
    return cell.get("cell_type") == "code" and (not nbgrader_meta(cell) or is_answer_cell(cell))


def cell_source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def questions_of(nb):
    """(grade_id, points) of the graded test cells, in notebook order."""
    return [(nbgrader_meta(c)["grade_id"], float(nbgrader_meta(c)["points"]))
            for c in nb.cells if nbgrader_meta(c).get("grade") and nbgrader_meta(c).get("points")]


@dataclass
class CellResult:
    """One graded test cell of a submission: its points, and how each run of it went."""
    id: str
    max_points: float
    points: float | None = None
    kernel: str = "not run"  # the notebook run: pass, fail or not run
    sealed: str = "not run"  # the sealed judge: pass, fail or not run
    message: str | None = None


@dataclass
class Record:
    """What `make grade` concluded about one submission: grading_out/<assignment>/records/<student>.json."""
    student: str
    assignment: str
    max_score: float
    cells: list = field(default_factory=list)
    status: str = NOT_GRADED
    score: float | None = None
    reasons: list = field(default_factory=list)   # why it needs review or was not graded
    notes: list = field(default_factory=list)     # worth knowing, not held against the learner
    flags: list = field(default_factory=list)     # suspicious lines (grader.audit)
    diagnoses: list = field(default_factory=list)
    submission: str = ""  # fingerprints: a change to either regrades the submission
    grader: str = ""
    seconds: float = 0.0
    graded_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @classmethod
    def new(cls, student, assignment, questions, **kw):
        cells = [CellResult(*question) for question in questions]
        return cls(student, assignment, sum(cell.max_points for cell in cells), cells, **kw)

    def write(self):
        """Atomically: a crash leaves the old record or the new one, never half of one."""
        path = out_dir(self.assignment) / "records" / f"{self.student}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_name(f".{path.name}.tmp").write_text(json.dumps(asdict(self), indent=1))
        os.replace(path.with_name(f".{path.name}.tmp"), path)


def judge_request(assignment, course=None):
    """What the judge gets over its connection (no file of them is in its sandbox): the checks'
    source, the setup code, the graded parts (test cell, check, learner function). Never the solutions."""
    cells = nbformat.read(source_path(assignment, course), as_version=4).cells
    setup = [HIDDEN_BLOCK.sub("", c.source) for c in cells if nbgrader_meta(c).get("grade_id") == "setup"]
    parts = [[nbgrader_meta(c)["grade_id"], *found.groups()] for c in cells
             if nbgrader_meta(c).get("grade") and nbgrader_meta(c).get("points", 0) > 0
             and (hidden := HIDDEN_BLOCK.search(c.source)) and (found := CHECK_CALL.search(hidden.group(0)))]
    checks = [[f"grader.checks.{path.stem}", path.read_text()] for path in checks_paths(assignment)]
    return {"assignment": assignment, "checks": checks, "setup": (setup or [""])[-1], "parts": parts}
