"""Does `make grade` grade a whole class right, contained, tamper-proof, honestly reported?

The slow tests share one run of the pipeline (`python -m grader`, what `make
grade` calls) over the sample class of ps2_l2_penalty in a temporary copy of
the course: every sample in autograded/samples/ps2_l2_penalty/, including the
pipeline-only ones (tamper attempts, a corrupt notebook, edited test cells, an
endless loop, a memory hog, a correct answer that writes to stderr). Each
sample declares what grading must find (see grader/samples.py); these tests hold
the pipeline's records, nbgrader's gradebook, the feedback and the reports to it.
The hostile samples (sandbox-only) try to leave the sandbox: each must leave no
trace on this machine.
"""
import csv
import hashlib
import html
import json
import os
import re
import signal
import socket
import sysconfig
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "autograded"
from grader import samples as sample_files  # noqa: E402
from grader.redact import secret_lines  # noqa: E402
from test_autograded import copy_course  # noqa: E402

ASSIGNMENT = "ps2_l2_penalty"
SAMPLES = sample_files.samples(ASSIGNMENT, pipeline=True)
# Each tamper attempt and the honest answer it wraps: it must never score more.
HONEST = {"tamper_allclose": "penalty_half_factor", "tamper_empty_cells": "unanswered",
          "tamper_patch_checks": "wd_half_factor", "tamper_always_equal": "wd_half_factor",
          "tamper_exit": None, "tamper_reads_reference": None, "tamper_writes_files": "correct_loop",
          "hostile_prints_secrets": "correct_loop", "hostile_escapes": "correct_loop",
          "hostile_other_learner": "correct_loop", "hostile_kills_parent": "correct_loop"}
HOSTILE_PORT = 47321  # hostile_escapes tries to connect here, on this machine's loopback
SLEEPER = "hostile-escapes-sleeper"  # in the command line of the process hostile_escapes leaves
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
    reference = sample_files.reference_answers(ASSIGNMENT, course)
    for sample in samples:
        out = course / "submitted" / sample.student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        out.parent.mkdir(parents=True)
        out.write_text(sample_files.change_notebook(sample_files.fill(released, sample, reference),
                                                    sample.notebook_ops))
    return course


def grade(course, *args, env=None, jobs=2, **kwargs):
    """Run make grade's command; jobs=1 where one or two submissions are graded (one warm-up, not two)."""
    return subprocess.run([sys.executable, "-m", "grader", ASSIGNMENT, "--jobs", str(jobs), *args],
                          cwd=course, env=env or globals()["env"](), capture_output=True, text=True,
                          timeout=900, **kwargs)


def digest(*folders):
    """One hash of every file under the folders (names and contents)."""
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path).encode() + path.read_bytes())
    return h.hexdigest()


def processes_with(mark):
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if mark.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            pass
    return found


def records(course):
    folder = course / "grading_out" / ASSIGNMENT / "records"
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def gradebook_scores(course):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.find_assignment(ASSIGNMENT).submissions}


def interrupted_run(course, after):
    """Start make grade's command and kill it, with all it started, once `after` submissions are done."""
    proc = subprocess.Popen([sys.executable, "-m", "grader", ASSIGNMENT, "--jobs", "2"], cwd=course,
                            env=env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if sum(line.startswith("[") for line in lines) >= after:
            break
    os.killpg(proc.pid, signal.SIGKILL)  # the hardest stop: no cleanup at all
    proc.wait()
    return "".join(lines)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded the hard way: a first run killed after 3 submissions, then the resumed run.

    Every test below then also checks that a killed run loses nothing and leaves
    nothing behind (one class, not a second one graded only to be interrupted).
    """
    course = course_copy(tmp_path_factory.mktemp("grade-class"), SAMPLES)
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", HOSTILE_PORT))
        listener.listen()
        listener.setblocking(False)
    except OSError:  # the port is taken: the loopback test says so
        listener.close()
        listener = None
    before = {"checks": digest(ROOT / "grader" / "checks"), "correct_loop": digest(course / "submitted" / "correct_loop")}
    first = interrupted_run(course, after=3)
    before["done_before_resume"] = set(records(course))
    run = grade(course)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    yield course, run, records(course), {"listener": listener, "before": before, "first": first}
    if listener is not None:
        listener.close()


def points(record):
    return {c["id"]: c for c in record["cells"]}


def expected_score(sample, record):
    cells = points(record)
    failing = set(cells) if "*" in sample.expect_fail else set(sample.expect_fail)
    return sum(c["max_points"] for cid, c in cells.items() if cid not in failing)


@pytest.mark.slow
def test_every_submission_is_accounted_for_with_progress(graded):
    """Does the run print a line per submission and leave a record for every learner?"""
    course, run, found, traces = graded
    assert set(found) == {s.student for s in SAMPLES}
    printed = traces["first"] + run.stdout  # the interrupted run and the one that resumed it
    for sample in SAMPLES:
        assert f"] {sample.student} " in printed, sample.student
    assert "need review" in printed and "not graded" in printed


@pytest.mark.slow
def test_an_interrupted_run_resumes_and_loses_nothing(graded):
    """Killed after 3 submissions, does the next run grade only the rest, and keep the 3 as they were?"""
    course, run, found, traces = graded
    done_before = traces["before"]["done_before_resume"]
    assert 3 <= len(done_before) < len(SAMPLES)
    assert f"{len(SAMPLES) - len(done_before)} to grade" in run.stdout
    for student in done_before:  # graded once, by the killed run, and not again
        assert f"] {student} " not in run.stdout, student
    # Every score, those of the killed run included, is in nbgrader's gradebook:
    # test_gradebook_holds_the_final_scores_and_no_score_for_the_ungraded.


@pytest.mark.slow
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.student for s in SAMPLES])
def test_sample_gets_its_declared_status_score_and_reasons(graded, sample):
    """Does each sample get the status, the points per cell and the reasons it declares?"""
    _, _, found, _ = graded
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
    _, _, found, _ = graded
    honest = HONEST[student]
    ceiling = found[honest]["score"] if honest else HONEST_SCORE[student]
    assert (found[student]["score"] or 0.0) <= ceiling  # None: not graded


@pytest.mark.slow
def test_gradebook_holds_the_final_scores_and_no_score_for_the_ungraded(graded):
    """Does nbgrader's gradebook agree with the records, and hold nothing for a corrupt notebook?"""
    course, _, found, _ = graded
    book = gradebook_scores(course)
    for student, record in found.items():
        if record["status"] == "not graded":
            assert student not in book, student
        else:
            assert book[student] == record["score"], student


@pytest.mark.slow
def test_learner_code_cannot_write_to_the_course_folder_or_another_learner(graded):
    """Did tamper_writes_files and hostile_other_learner leave the checks and correct_loop's files alone?"""
    course, _, found, traces = graded
    assert digest(ROOT / "grader" / "checks") == traces["before"]["checks"]
    assert digest(course / "submitted" / "correct_loop") == traces["before"]["correct_loop"]
    assert found["correct_loop"]["score"] == 10.0
    html_page = course / "feedback" / "correct_loop" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert html_page.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.slow
def test_hostile_code_leaves_no_process_no_file_and_no_connection(graded):
    """After grading, is every trace of hostile_escapes gone: its detached process, its files, its call home?"""
    _, _, found, traces = graded
    assert found["hostile_escapes"]["score"] == 10.0  # its answers are right: contained, not punished
    assert processes_with(SLEEPER) == []
    assert not (Path(sysconfig.get_paths()["purelib"]) / "hostile_escapes.pth").exists()
    assert not Path("/root/hostile_escapes.txt").exists()
    assert not (Path.home() / "hostile_escapes.txt").exists()
    listener = traces["listener"]
    assert listener is not None, f"port {HOSTILE_PORT} was taken: the loopback check did not run"
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing connected to this machine's loopback


@pytest.mark.slow
def test_code_that_kills_its_parent_stops_only_its_own_grading(graded):
    """Does a submission that kills whatever runs it end 'not graded', with every other one graded?"""
    _, _, found, _ = graded
    assert found["hostile_kills_parent"]["status"] == "not graded"
    assert all(r["score"] is not None for s, r in found.items()
               if s not in ("hostile_kills_parent", "corrupt_json"))


@pytest.mark.slow
@pytest.mark.parametrize("student", ["hostile_prints_secrets", "tamper_reads_reference", "correct_loop"])
def test_no_page_a_learner_gets_quotes_the_checks_or_the_solutions(graded, student):
    """Whatever learner code prints, do its feedback and graded notebook hold no line of the checks or solutions?"""
    course, _, _, _ = graded
    substrings, whole_lines = secret_lines(ASSIGNMENT, course)
    feedback = (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback))
    graded_nb = nbformat.read(course / "autograded_out" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    outputs = "\n".join(str(v) for c in graded_nb.cells for o in c.get("outputs", [])
                        for k, v in o.items() if k in ("text", "evalue", "data"))
    submitted = nbformat.read(course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    own = {line.strip() for c in submitted.cells for line in c.source.splitlines()}  # a right answer may equal the solution
    for page in (text, outputs):
        leaked = [line for line in substrings if line in page and line not in own]
        leaked += [line for line in page.splitlines() if line.strip() in whole_lines - own]
        assert not leaked, f"{student}'s pages quote: {leaked[:3]}"
    if student == "hostile_prints_secrets":  # it did try: it printed the grader's own files
        assert "grader/course.py" in text


@pytest.mark.slow
def test_feedback_has_diagnoses_but_no_hidden_tests(graded):
    """Does a learner's feedback say what went wrong without showing the hidden tests?"""
    course, _, _, _ = graded
    html = (course / "feedback" / "penalty_half_factor" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Diagnosis: the 1/2 factor" in html
    assert "BEGIN HIDDEN TESTS" not in html and "_grader" not in html


@pytest.mark.slow
def test_reports_say_status_and_never_zero_for_the_ungraded(graded):
    """Do grades.csv, questions.csv and report.html exist, with an empty score for the corrupt notebook?"""
    course, _, found, _ = graded
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
    assert html.count('<table class="bars"') == 2 and '<table id="mistakes">' in html  # the class made mistakes
    assert "tamper_allclose" in html and "torch.allclose = lambda" in html


@pytest.mark.slow
def test_export_is_honest_too(graded):
    """Does `nbgrader export` (the course's export plugin) leave the corrupt notebook's score empty?"""
    course, _, _, _ = graded
    done = subprocess.run([sys.executable, "-m", "nbgrader", "export"], cwd=course, env=env(),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(course / "grades.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("student_id", r.get("student")) == "corrupt_json"]
    assert rows and all(r.get("score", "") == "" for r in rows), rows


@pytest.mark.slow
def test_a_rerun_grades_only_a_changed_submission_and_an_lms_zips_new_ones(graded, tmp_path):
    """Does a second run skip unchanged submissions, regrade a changed one, and grade a Canvas zip's files?

    One run for both (each run costs its workers' warm-up): a learner's changed
    notebook, and ZIP=<Canvas download> collecting each file to its learner.
    """
    course, _, _, _ = graded
    path = course / "submitted" / "wd_half_factor" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    names = {"doejane_12345_67890_ps2_l2_penalty.ipynb": "correct_loop",
             "smithbob_LATE_23456_78901_ps2_l2_penalty-1.ipynb": "wd_half_factor"}
    archive = tmp_path / "submissions.zip"
    import zipfile
    with zipfile.ZipFile(archive, "w") as z:  # before the change: smithbob hands in the half factor
        for name, sample in names.items():
            z.write(course / "submitted" / sample / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", name)
    half_factor_score = records(course)["wd_half_factor"]["score"]
    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "weight_decay_equivalent":
            cell.source = "def weight_decay_equivalent(lam):\n    return 2.0 * lam"
    nbformat.write(nb, path)
    run = grade(course, "--zip", str(archive))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert f"{len(SAMPLES) + 2} submissions, 3 to grade" in run.stdout
    assert f"{len(SAMPLES) - 1} unchanged" in run.stdout
    found = records(course)
    assert found["wd_half_factor"]["score"] == 10.0
    # Each learner gets the score of the notebook their file holds.
    assert found["doejane"]["score"] == found["correct_loop"]["score"] == 10.0
    assert found["smithbob"]["score"] == half_factor_score < 10.0
    assert (course / "submitted" / "smithbob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()


def test_no_sandbox_no_grading(tmp_path):
    """Without bwrap, does make grade stop before any learner code runs, and say why and how to fix it?"""
    course = copy_course(tmp_path / "autograded")
    bin_only = {**env(), "PATH": str(Path(sys.executable).parent)}  # no /usr/bin: no bwrap, no prlimit
    run = grade(course, env=bin_only)
    assert run.returncode != 0
    assert "Not grading: `bwrap` is not installed" in run.stderr and "--unsafe" in run.stderr
    assert not (course / "grading_out").exists() and not (course / "autograded_out").exists()


@pytest.mark.slow
def test_unsafe_grading_says_so_in_every_record_row_and_export(tmp_path):
    """With --unsafe, does every record, report row and export line say 'graded without a sandbox'?"""
    class_ = [s for s in SAMPLES if s.student in ("correct_loop", "unanswered")]
    course = course_copy(tmp_path, class_)
    bin_only = {**env(), "PATH": str(Path(sys.executable).parent)}  # no bwrap here
    run = grade(course, "--unsafe", env=bin_only)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "WARNING: --unsafe" in run.stdout
    for record in records(course).values():
        assert "graded without a sandbox" in " ".join(record["reasons"])
        assert record["status"] == "needs review"
    with open(course / "grading_out" / ASSIGNMENT / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and all("graded without a sandbox" in r["reasons"] for r in rows)
    done = subprocess.run([sys.executable, "-m", "nbgrader", "export"], cwd=course, env=env(),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(course / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and all("graded without a sandbox" in r["reasons"] for r in rows)
