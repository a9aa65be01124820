"""Does `make grade` grade a whole class right, contained, tamper-proof, honestly reported?

The slow tests share one run of the pipeline (`python -m grading`, what `make
grade` calls) over the sample class of ps2_l2_penalty in a temporary copy of
the course: every sample in autograded/samples/ps2_l2_penalty/, including the
pipeline-only ones (tamper attempts, a corrupt notebook, edited test cells, an
endless loop, a memory hog, a correct answer that writes to stderr). Each
sample declares what grading must find (see make_samples.py); these tests hold
the pipeline's records, nbgrader's gradebook, the feedback and the reports to it.
"""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "autograded"
sys.path.insert(0, str(COURSE))
import make_samples  # noqa: E402
from test_autograded import copy_course  # noqa: E402

ASSIGNMENT = "ps2_l2_penalty"
SAMPLES = make_samples.samples(ASSIGNMENT, pipeline=True)
# Each tamper attempt and the honest answer it wraps: it must never score more.
HONEST = {"tamper_allclose": "penalty_half_factor", "tamper_empty_cells": "unanswered",
          "tamper_patch_checks": "wd_half_factor", "tamper_always_equal": "wd_half_factor",
          "tamper_exit": None, "tamper_reads_reference": None, "tamper_writes_files": "correct_loop"}
# ... where no sample is the honest answer, its score is written here (what it earns
# with the function it replaces left unanswered).
HONEST_SCORE = {"tamper_exit": 7.0, "tamper_reads_reference": 5.0}


def env():
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "OMP_NUM_THREADS": "1", "JUPYTER_CONFIG_DIR": "/nonexistent-jupyter-config"}


def course_copy(dest, samples):
    """A fresh course with ps2 released and the given samples handed in."""
    course = copy_course(dest / "autograded")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT],
                   cwd=course, env=env(), check=True, capture_output=True)
    released = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    reference = make_samples.reference_answers(ASSIGNMENT, course)
    for sample in samples:
        out = course / "submitted" / sample.student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        out.parent.mkdir(parents=True)
        out.write_text(make_samples.change_notebook(make_samples.fill(released, sample, reference),
                                                    sample.notebook_ops))
    return course


def grade(course, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "grading", ASSIGNMENT, "--jobs", "2", *args],
                          cwd=course, env=env(), capture_output=True, text=True, timeout=900, **kwargs)


def records(course):
    folder = course / "grading_out" / ASSIGNMENT / "records"
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def gradebook_scores(course):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.find_assignment(ASSIGNMENT).submissions}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = course_copy(tmp_path_factory.mktemp("grade-class"), SAMPLES)
    run = grade(course)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return course, run, records(course)


def points(record):
    return {c["id"]: c for c in record["cells"]}


def expected_score(sample, record):
    cells = points(record)
    failing = set(cells) if "*" in sample.expect_fail else set(sample.expect_fail)
    return sum(c["max_points"] for cid, c in cells.items() if cid not in failing)


@pytest.mark.slow
def test_every_submission_is_accounted_for_with_progress(graded):
    """Does the run print a line per submission and leave a record for every learner?"""
    course, run, found = graded
    assert set(found) == {s.student for s in SAMPLES}
    for sample in SAMPLES:
        assert f"] {sample.student} " in run.stdout, sample.student
    assert "need review" in run.stdout and "not graded" in run.stdout


@pytest.mark.slow
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.student for s in SAMPLES])
def test_sample_gets_its_declared_status_score_and_reasons(graded, sample):
    """Does each sample get the status, the points per cell and the reasons it declares?"""
    _, _, found = graded
    record = found[sample.student]
    assert record["status"] == sample.expect_status, (record["status"], record["reasons"])
    told = " ".join(record["reasons"] + record["notes"])
    for words in sample.expect_reasons:
        assert words in told, f"{words!r} not in: {told}"
    if sample.expect_status == "not graded":
        assert record["score"] is None
        assert all(c["points"] is None for c in record["cells"])
        return
    assert record["score"] == expected_score(sample, record), record["cells"]
    wanted = ({c: sample.expect_fail["*"] for c in points(record)} if "*" in sample.expect_fail
              else sample.expect_fail)
    for cell_id, cell in points(record).items():
        if cell_id in wanted:
            assert cell["points"] == 0, cell
            assert wanted[cell_id] in (cell["message"] or ""), (cell_id, cell["message"])
        else:
            assert cell["points"] == cell["max_points"], cell


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(HONEST))
def test_tampering_never_beats_the_honest_answer(graded, student):
    """Does each tamper attempt score at most what its honest answer scores?"""
    _, _, found = graded
    honest = HONEST[student]
    ceiling = found[honest]["score"] if honest else HONEST_SCORE[student]
    assert found[student]["score"] <= ceiling


@pytest.mark.slow
def test_gradebook_holds_the_final_scores_and_no_score_for_the_ungraded(graded):
    """Does nbgrader's gradebook agree with the records, and hold nothing for a corrupt notebook?"""
    course, _, found = graded
    book = gradebook_scores(course)
    for student, record in found.items():
        if record["status"] == "not graded":
            assert student not in book, student
        else:
            assert book[student] == record["score"], student


@pytest.mark.slow
def test_learner_code_cannot_write_to_the_course_folder(graded):
    """Did tamper_writes_files leave the grader's checks as they were (the gradebook test covers its scores)?"""
    course, _, _ = graded
    for name in ("ps2_l2_penalty.py", "_core.py"):
        assert (course / "checks" / name).read_text() == (COURSE / "checks" / name).read_text()


@pytest.mark.slow
def test_feedback_has_diagnoses_but_no_hidden_tests(graded):
    """Does a learner's feedback say what went wrong without showing the hidden tests?"""
    course, _, _ = graded
    html = (course / "feedback" / "penalty_half_factor" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Diagnosis: the 1/2 factor" in html
    assert "BEGIN HIDDEN TESTS" not in html and "_grader" not in html


@pytest.mark.slow
def test_reports_say_status_and_never_zero_for_the_ungraded(graded):
    """Do grades.csv, questions.csv and report.html exist, with an empty score for the corrupt notebook?"""
    course, _, found = graded
    out = course / "grading_out" / ASSIGNMENT
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(found)
    assert rows["corrupt_json"]["status"] == "not graded" and rows["corrupt_json"]["score"] == ""
    assert rows["correct_loop"]["score"] in ("10", "10.0")
    with open(out / "questions.csv", newline="") as f:
        header = next(csv.reader(f))
    assert [h for h in header if h.startswith("test_")] == [c["id"] for c in found["correct_loop"]["cells"]]
    html = (out / "report.html").read_text()
    assert html.count('<img src="data:image/png;base64,') >= 3
    assert "tamper_allclose" in html and "torch.allclose = lambda" in html


@pytest.mark.slow
def test_export_is_honest_too(graded):
    """Does `nbgrader export` (the course's export plugin) leave the corrupt notebook's score empty?"""
    course, _, _ = graded
    done = subprocess.run([sys.executable, "-m", "nbgrader", "export"], cwd=course, env=env(),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(course / "grades.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("student_id", r.get("student")) == "corrupt_json"]
    assert rows and all(r.get("score", "") == "" for r in rows), rows


@pytest.mark.slow
def test_rerun_grades_only_new_or_changed_submissions(graded):
    """Does a second run skip unchanged submissions and regrade one that changed?"""
    course, _, _ = graded
    path = course / "submitted" / "wd_half_factor" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "weight_decay_equivalent":
            cell.source = "def weight_decay_equivalent(lam):\n    return 2.0 * lam"
    nbformat.write(nb, path)
    run = grade(course)
    assert run.returncode == 0, run.stderr[-2000:]
    assert f"{len(SAMPLES) - 1} unchanged" in run.stdout and ", 1 to grade" in run.stdout
    assert records(course)["wd_half_factor"]["score"] == 10.0


@pytest.mark.slow
def test_an_lms_zip_is_collected_and_only_its_submissions_are_graded(graded, tmp_path):
    """Does ZIP=<Canvas download> collect each file to its learner and grade just those?"""
    course, _, _ = graded
    import zipfile
    names = {"doejane_12345_67890_ps2_l2_penalty.ipynb": "correct_loop",
             "smithbob_LATE_23456_78901_ps2_l2_penalty-1.ipynb": "wd_half_factor"}
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, sample in names.items():
            z.write(course / "submitted" / sample / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", name)
    run = grade(course, "--zip", str(archive))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "2 to grade" in run.stdout
    found = records(course)
    # Each learner gets the score of the notebook their file holds.
    assert found["doejane"]["score"] == found["correct_loop"]["score"] == 10.0
    assert found["smithbob"]["score"] == found["wd_half_factor"]["score"]
    assert (course / "submitted" / "smithbob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()


@pytest.mark.slow
def test_an_interrupted_run_resumes_and_loses_nothing(tmp_path):
    """Killed half way, does the next run grade only the rest, with every score in the gradebook?"""
    class_ = [s for s in SAMPLES if not s.pipeline_only][:8]
    course = course_copy(tmp_path, class_)
    proc = subprocess.Popen([sys.executable, "-m", "grading", ASSIGNMENT, "--jobs", "2"], cwd=course,
                            env=env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if sum(line.startswith("[") for line in lines) >= 3:
            break
    os.killpg(proc.pid, signal.SIGKILL)  # the hardest stop: no cleanup at all
    proc.wait()
    done_before = set(records(course))
    assert 3 <= len(done_before) < len(class_)
    time.sleep(0.5)
    run = grade(course)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert f"{len(class_) - len(done_before)} to grade" in run.stdout
    found = records(course)
    assert set(found) == {s.student for s in class_}
    book = gradebook_scores(course)
    for sample in class_:
        assert book[sample.student] == found[sample.student]["score"] == \
            expected_score(sample, found[sample.student]), sample.student
