"""Grade every submission of an assignment: `make grade ASSIGNMENT=<name>` (README: "Grading a class").

For each learner in submitted/<student>/<assignment>/:

1. read the notebook (one that does not parse is "not graded", with the reason)
   and audit its code (grading.audit): edited test cells, suspicious lines;
2. autograde it with nbgrader, in a kernel forked from a warm process
   (grading.kernels), capped in memory, without network, with a per-cell
   timeout measured on the instructor's notebook;
3. re-check every graded cell in the sealed judge (grading.sealed), a process
   that learner code never runs in: a cell earns its points only when it passed
   in the notebook (stderr output is not held against it) and in the judge;
4. write the final points into nbgrader's gradebook (as manual scores where they
   differ from nbgrader's), the learner's feedback HTML, and one JSON record
   (grading_out/<assignment>/records/<student>.json).

Several submissions are graded at once (--jobs, one torch thread each). A record
is written last, so an interrupted run loses nothing: the next run grades what
has no record, and skips what is unchanged since its record (--force regrades).
Then the reports: grades.csv, questions.csv and report.html in grading_out/<assignment>/.
"""
import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime, timezone
from math import ceil
from multiprocessing import get_context
from pathlib import Path

COURSE = Path(__file__).resolve().parents[1]
OUT = COURSE / "grading_out"
if str(COURSE) not in sys.path:
    sys.path.insert(0, str(COURSE))

import nbformat  # noqa: E402

from grading.audit import audit, check_cells, load_submission  # noqa: E402

MIN_TIMEOUT = 5.0    # seconds a cell may run, at least: a busy machine slows cells down
TIMEOUT_FACTOR = 10  # ... and at least this many times the slowest cell of the instructor's notebook
STATUS_GRADED, STATUS_REVIEW, STATUS_NOT = "graded", "needs review", "not graded"


# --------------------------------------------------------------------- course files

def notebook_name(assignment):
    return f"{assignment}.ipynb"


def release_path(assignment):
    return COURSE / "release" / assignment / notebook_name(assignment)


def source_path(assignment):
    return COURSE / "source" / assignment / notebook_name(assignment)


def nbgrader(*args):
    """Run an nbgrader command in the course folder (alembic must be on PATH: use the venv's bin)."""
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=COURSE, env=env,
                          capture_output=True, text=True)


def ensure_release(assignment):
    """Generate the student version (and the gradebook's record of it) if it is not there yet."""
    if not source_path(assignment).exists():
        known = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir())
        raise SystemExit(f"No assignment {assignment!r} in {COURSE / 'source'}; known: {', '.join(known)}")
    if release_path(assignment).exists():
        return
    print(f"release/{assignment} is missing: running nbgrader generate_assignment {assignment}")
    done = nbgrader("generate_assignment", assignment)
    if done.returncode != 0:
        raise SystemExit(f"nbgrader generate_assignment failed:\n{done.stdout}{done.stderr}")


def collect_zip(assignment, zip_path):
    """Unpack an LMS download with nbgrader's zip_collect into submitted/ (see nbgrader_config.py)."""
    archive = COURSE / "downloaded" / assignment / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    shutil.copy(zip_path, archive / Path(zip_path).name)
    done = nbgrader("zip_collect", assignment, "--force")
    if done.returncode != 0:
        raise SystemExit(f"nbgrader zip_collect failed:\n{done.stdout}{done.stderr}")
    print(f"Collected {Path(zip_path).name} into submitted/ with nbgrader zip_collect.")


def find_submissions(assignment):
    """student id -> the folder of their submission, for every student who handed something in."""
    root = COURSE / "submitted"
    if not root.is_dir():
        return {}
    return {d.name: d / assignment for d in sorted(root.iterdir()) if (d / assignment).is_dir()}


def questions_of(release_nb):
    """(grade_id, points) of the graded test cells, in notebook order."""
    return [(c.metadata.nbgrader["grade_id"], float(c.metadata.nbgrader["points"]))
            for c in release_nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.metadata.nbgrader.get("points")]


def sha256_of(*paths):
    digest = hashlib.sha256()
    for path in paths:
        path = Path(path)
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def grader_fingerprint(assignment):
    """Changes whenever anything that decides a grade changes: then every submission is regraded."""
    grading = sorted((COURSE / "grading").glob("*.py"))
    return sha256_of(source_path(assignment), release_path(assignment),
                     COURSE / "checks" / f"{assignment}.py", COURSE / "checks" / "_core.py",
                     COURSE / "nbgrader_config.py", *grading)


def submission_fingerprint(folder, assignment):
    return sha256_of(folder / notebook_name(assignment), folder / "timestamp.txt")


# ------------------------------------------------------------------------ records

def records_dir(assignment):
    return OUT / assignment / "records"


def read_record(assignment, student):
    try:
        return json.loads((records_dir(assignment) / f"{student}.json").read_text())
    except (OSError, ValueError):
        return None


def write_record(record):
    """Write atomically: a crash leaves the old record or the new one, never half of one."""
    folder = records_dir(record["assignment"])
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{record['student']}.json.tmp"
    tmp.write_text(json.dumps(record, indent=1))
    os.replace(tmp, folder / f"{record['student']}.json")


def new_record(student, assignment, questions, submission, grader):
    return {"student": student, "assignment": assignment, "status": STATUS_NOT, "reasons": [],
            "notes": [], "score": None, "max_score": sum(p for _, p in questions),
            "cells": [{"id": q, "max_points": p, "points": None, "kernel": "not run",
                       "sealed": "not run", "message": None} for q, p in questions],
            "flags": [], "diagnoses": [], "submission": submission, "grader": grader,
            "seconds": 0.0, "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


# -------------------------------------------------------------- the sealed judge

class JudgeClient:
    """A `python -m grading.pipeline --judge` process: the sealed judge, one notebook per request."""

    def __init__(self, assignment, mem_bytes, network):
        self.args = [sys.executable, "-m", "grading.pipeline", "--judge", assignment,
                     "--mem-bytes", str(mem_bytes), *(["--network"] if network else [])]
        self.proc, self.ready, self.problems = None, False, []

    def start(self):
        """Start the process; it warms up (imports torch and the checks) until the first request."""
        env = dict(os.environ, PYTHONPATH=str(COURSE), OMP_NUM_THREADS="1")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=env, text=True, bufsize=1, cwd=COURSE)
        self.ready = False

    def send(self, notebook_path, timeout):
        """Ask for a notebook's verdicts; read them with receive() (the judge works meanwhile)."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        self.proc.stdin.write(json.dumps({"path": str(notebook_path), "timeout": timeout}) + "\n")
        self.proc.stdin.flush()

    def receive(self):
        if not self.ready:
            try:
                self.problems = json.loads(self.proc.stdout.readline())["problems"]
            except (ValueError, KeyError, TypeError):
                self.proc = None
                raise RuntimeError("the sealed judge did not start") from None
            self.ready = True
        line = self.proc.stdout.readline()
        if not line:
            self.proc = None
            raise RuntimeError("the sealed judge process died")
        return json.loads(line)


def serve_judge(assignment, mem_bytes, network):
    """The judge process: read {"path", "timeout"} requests on stdin, answer verdicts as JSON lines."""
    from grading.limits import isolate
    from grading.sealed import Judge
    warnings.filterwarnings("ignore", message="Cell is missing an id field")
    judge = Judge(COURSE, assignment, mem_bytes=mem_bytes)
    # The judge needs neither the network nor to write to the course folder, so its
    # children (learner code) get neither.
    judge.problems += isolate(network, read_only=[COURSE])
    print(json.dumps({"ready": True, "problems": judge.problems}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        # The time limit is measured after the judge starts; its CPU cap follows it.
        judge.call_timeout = float(request["timeout"])
        judge.limits = judge.limits._replace(cpu_seconds=ceil(judge.call_timeout) + 1)
        nb = nbformat.read(request["path"], as_version=4)
        print(json.dumps(judge.grade(nb)), flush=True)


# ------------------------------------------------------------------------- worker

_worker = {}


def _config(timeout):
    """nbgrader's configuration from nbgrader_config.py, with the forked, contained kernels."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern,
                                        LimitOutput, SaveAutoGrades)
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    from grading import kernels
    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE)).load_config()
    overrides = Config()
    # nbgrader's own list, with Execute swapped for the forked-kernel version.
    overrides.Autograde.autograde_preprocessors = [
        kernels.ForkExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
        SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    overrides.Execute.timeout = int(ceil(timeout))
    overrides.Execute.interrupt_on_timeout = True  # a loop costs that cell, not the notebook
    # Workers write to one SQLite gradebook: wait for each other's short transactions.
    overrides.CourseDirectory.db_url = f"sqlite:///{COURSE / 'gradebook.db'}?timeout=120"
    config.merge(overrides)
    return config


def _init_worker(assignment, mem_bytes, network, log):
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    os.chdir(COURSE)
    # Ctrl+C goes to the coordinator, which stops the pool; a worker dying mid-submission
    # leaves no record, so that submission is graded again next time.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Cells nbgrader puts back (add_missing_cells) have no id; nbformat warns on reading them.
    warnings.filterwarnings("ignore", message="Cell is missing an id field")
    # nbgrader 0.9.6 on SQLAlchemy 2 warns "Object of type <SubmittedAssignment> not in
    # session" when it creates a submission; the rows are written all the same (the
    # gradebook tests read them back), so the warning is only noise in the progress lines.
    warnings.filterwarnings("ignore", message="Object of type <Submitted")
    from grading import kernels
    kernels.configure(mem_bytes=mem_bytes, network=network, log=log)
    # Both warm up (import torch) side by side, while this worker waits for its first task.
    kernels.zygote()
    judge = JudgeClient(assignment, mem_bytes, network)
    judge.start()
    _worker.update(assignment=assignment, mem_bytes=mem_bytes, judge=judge, timeout=None)


def _use_timeout(timeout):
    """nbgrader, configured with this cell time limit (the first task of a worker sets it)."""
    if _worker["timeout"] == timeout:
        return
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    config = _config(timeout)
    _worker.update(timeout=timeout, config=config,
                   api=NbGraderAPI(CourseDirectory(config=config), config=config))


def _kill_kernels_after(seconds):
    """Kill this submission's kernels if it runs past `seconds` (a kernel that ignores interrupts)."""
    from grading import kernels
    started = len(kernels.started)
    fired = threading.Event()

    def kill():
        fired.set()
        for pid in kernels.started[started:]:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
    timer = threading.Timer(seconds, kill)
    timer.daemon = True
    timer.start()
    return timer, fired


def calibrate(assignment):
    """Seconds of the slowest cell of the instructor's notebook, run as a submission would be."""
    from nbclient import NotebookClient

    from grading import kernels
    nb = nbformat.read(source_path(assignment), as_version=4)
    client = NotebookClient(nb, kernel_manager_class=kernels.ForkKernelManager,
                            timeout=120, allow_errors=True, record_timing=True,
                            resources={"metadata": {"path": str(source_path(assignment).parent)}})
    client.execute()
    slowest = 0.0
    for cell in nb.cells:
        timing = cell.metadata.get("execution", {})
        if "shell.execute_reply" in timing and "iopub.execute_input" in timing:
            start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            slowest = max(slowest, (end - start).total_seconds())
    return slowest


def grade_one(student, folder, timeout, grader):
    """Grade one submission in this worker; return its record (the coordinator writes it)."""
    started = time.monotonic()
    _use_timeout(timeout)
    assignment, api = _worker["assignment"], _worker["api"]
    release_nb = nbformat.read(release_path(assignment), as_version=4)
    questions = questions_of(release_nb)
    record = new_record(student, assignment, questions,
                        submission_fingerprint(folder, assignment), grader)
    path = folder / notebook_name(assignment)
    nb, problem = load_submission(path) if path.exists() else (None, _missing(folder, assignment))
    if problem:
        record["reasons"].append(problem)
        _forget(assignment, student)
        record["seconds"] = round(time.monotonic() - started, 2)
        return record

    findings = check_cells(nb, release_nb)
    record["flags"] = audit(nb, release_nb)
    for finding in findings:  # nbgrader grades the release's cells: the score stands, but say so
        record["notes"].append(f"{finding['cell']}: {finding['detail']} ({_RESTORED[finding['kind']]})")
    if record["flags"]:  # the flags themselves (line, code, why) go in the report's own column
        shown = "; ".join(f"{f['cell']} line {f['line']}: `{_cut(f['code'], 60)}`"
                          for f in record["flags"][:3])
        more = f" and {len(record['flags']) - 3} more" if len(record["flags"]) > 3 else ""
        record["reasons"].append(f"suspicious code ({shown}{more})")

    # The judge works on its own copy of the notebook while nbgrader runs the kernel.
    try:
        _worker["judge"].send(path, timeout)
        judge_error = None
    except OSError as exc:  # its pipe is broken: it died
        judge_error = exc
    n_cells = sum(c.cell_type == "code" for c in nb.cells)
    timer, fired = _kill_kernels_after(30 + (n_cells + 2) * _worker["timeout"])
    phase = time.monotonic()
    try:
        result = api.autograde(assignment, student, force=True, create=True)
    finally:
        timer.cancel()
    record["timing"] = {"autograde": round(time.monotonic() - phase, 2)}
    graded_nb = None
    if result["success"]:
        graded_nb = nbformat.read(COURSE / "autograded_out" / student / assignment /
                                  notebook_name(assignment), as_version=4)
    else:
        record["reasons"].append(_autograde_failure(result, fired.is_set()))

    phase = time.monotonic()
    try:
        if judge_error is not None:
            raise judge_error
        verdicts = _worker["judge"].receive()
        record["timing"]["sealed_wait"] = round(time.monotonic() - phase, 2)
    except Exception as exc:  # the judge died: nothing trustworthy to score with
        _worker["judge"].proc = None
        record["reasons"].append(f"the sealed re-check failed ({exc}); not graded")
        record["status"] = STATUS_NOT
        _forget(assignment, student)  # nbgrader's score alone is not to be trusted
        record["seconds"] = round(time.monotonic() - started, 2)
        return record

    _score(record, graded_nb, verdicts)
    _write_gradebook(assignment, student, record)
    if graded_nb is not None:
        _write_feedback_notes(record)
        phase = time.monotonic()
        feedback = api.generate_feedback(assignment, student, force=True)
        record["timing"]["feedback"] = round(time.monotonic() - phase, 2)
        if not feedback["success"]:
            record["notes"].append("nbgrader generate_feedback failed: "
                                   + _last_line(feedback.get("error") or feedback.get("log")))
    if record["reasons"]:
        record["status"] = STATUS_REVIEW
    elif record["score"] is not None:
        record["status"] = STATUS_GRADED
    from grading import kernels
    # What could not be contained on this machine, e.g. no network namespace.
    record["containment"] = kernels.containment_problems() + [
        f"sealed re-check: {p}" for p in _worker["judge"].problems]
    record["seconds"] = round(time.monotonic() - started, 2)
    return record


_RESTORED = {"deleted": "nbgrader put the release's cell back and graded it",
             "duplicated": "nbgrader graded one copy, with the release's code",
             "edited": "nbgrader graded the release's version",
             "metadata": "nbgrader graded it with the release's settings"}


def _missing(folder, assignment):
    found = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    return (f"no {notebook_name(assignment)} in the submission"
            + (f" (it holds: {', '.join(found[:5])})" if found else " (the folder is empty)"))


def _cut(text, width):
    return text if len(text) <= width else text[:width - 3] + "..."


def _last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no details"


def _autograde_failure(result, killed):
    text = (result.get("error") or "") + (result.get("log") or "")
    if killed:
        why = "it ran past the time limit with a kernel that ignored interrupts, and was stopped"
    elif "DeadKernelError" in text or "Kernel died" in text or "kernel died" in text:
        why = "the kernel died (the code exited Python or was killed, e.g. out of memory)"
    else:
        why = f"nbgrader could not run it ({_last_line(text)})"
    return (f"nbgrader's autograde did not finish: {why}; the points below come from the "
            f"sealed re-check alone and the notebook's visible tests were not run")


def _score(record, graded_nb, verdicts):
    """Each test cell: points only when the notebook run and the sealed judge both passed it."""
    outputs = {}
    if graded_nb is not None:
        for cell in graded_nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id and grade_id not in outputs and cell.cell_type == "code":
                outputs[grade_id] = cell.outputs
    total = 0.0
    for cell in record["cells"]:
        verdict = verdicts.get(cell["id"])
        if verdict is not None:
            cell["sealed"] = "pass" if verdict["passed"] else "fail"
            for event in verdict.get("events", []):
                record["reasons"].append(f"{cell['id']} (sealed re-check): {event}")
        if cell["id"] in outputs:
            errors = [o for o in outputs[cell["id"]] if o.output_type == "error"]
            cell["kernel"] = "fail" if errors else "pass"
            if errors:
                cell["message"] = _error_message(errors[0])
                if errors[0].ename in ("KeyboardInterrupt", "CellTimeoutError", "MemoryError"):
                    record["reasons"].append(f"{cell['id']}: {_event_text(errors[0].ename)}")
            stderr = "".join(o.text for o in outputs[cell["id"]]
                             if o.output_type == "stream" and o.name == "stderr").strip()
            if stderr:
                record["notes"].append(f"{cell['id']} wrote to stderr (not held against the "
                                       f"learner): {stderr.splitlines()[0][:200]}")
        if cell["sealed"] == "fail" and cell["message"] is None:
            cell["message"] = verdict.get("message")
        if "MemoryError" in (cell["message"] or "") and not any(
                cell["id"] in r and "memory" in r for r in record["reasons"]):
            record["reasons"].append(f"{cell['id']}: ran out of memory (the cap is "
                                     f"{_worker['mem_bytes'] / 2**30:g} GB per kernel)")
        if cell["kernel"] == "pass" and cell["sealed"] == "fail":
            record["reasons"].append(
                f"{cell['id']} passed in the notebook but failed the sealed re-check, which learner "
                f"code cannot touch: {_cut((verdict.get('message') or '').splitlines()[0], 150)}")
        if verdict is None:  # a graded cell the judge has no check for: nbgrader's run decides
            passed = cell["kernel"] == "pass"
        elif graded_nb is None:  # the notebook run did not finish: only the judge has a verdict
            passed = cell["sealed"] == "pass"
        else:
            passed = cell["sealed"] == "pass" and cell["kernel"] == "pass"
        cell["points"] = cell["max_points"] if passed else 0.0
        total += cell["points"]
        for line in (cell["message"] or "").splitlines():
            if line.startswith("Diagnosis:") and line not in record["diagnoses"]:
                record["diagnoses"].append(line)
    record["score"] = total


def _error_message(output):
    if output.ename in ("KeyboardInterrupt", "CellTimeoutError"):
        return (f"the cell ran past its time limit of {_worker['timeout']:g} s and was stopped "
                f"(does a loop never end?)")
    return f"{output.ename}: {output.evalue}" if output.ename != "AssertionError" else output.evalue


def _event_text(ename):
    return {"KeyboardInterrupt": "ran past the cell time limit and was interrupted",
            "CellTimeoutError": "ran past the cell time limit",
            "MemoryError": f"ran out of memory (the cap is {_worker['mem_bytes'] / 2**30:g} GB "
                           f"per kernel)"}[ename]


def _write_gradebook(assignment, student, record):
    """Put the final points in nbgrader's gradebook: a manual score where nbgrader's differs."""
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(_worker["config"].CourseDirectory.db_url) as gb:
        # An autograde that did not finish leaves nbgrader's rows without scores (or with
        # 0s): the sealed re-check's points go in as manual scores all the same.
        try:
            gb.find_submission_notebook(assignment, assignment, student)
        except MissingEntry:
            gb.update_or_create_submission(assignment, student)
        for cell in record["cells"]:
            grade = gb.find_grade(cell["id"], assignment, assignment, student)
            grade.manual_score = None if cell["points"] == grade.auto_score else cell["points"]
            grade.needs_manual_grade = False
        gb.db.commit()


def _write_feedback_notes(record):
    """Tell the learner why a cell that shows no error in their feedback scored 0."""
    from grading.feedback import notes_path
    notes = {}
    for cell in record["cells"]:
        if cell["points"] == 0 and cell["kernel"] == "pass" and cell["sealed"] == "fail":
            notes[cell["id"]] = ("Scored 0: the grader ran this check again, apart from the rest "
                                 "of your notebook, and it failed:\n" + (cell["message"] or ""))
    path = notes_path(record["assignment"], record["student"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notes))


def _forget(assignment, student):
    """Drop an earlier grade of a submission that can no longer be graded, so no stale score shows."""
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(_worker["config"].CourseDirectory.db_url) as gb:
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass
    shutil.rmtree(COURSE / "autograded_out" / student / assignment, ignore_errors=True)
    shutil.rmtree(COURSE / "feedback" / student / assignment, ignore_errors=True)


# -------------------------------------------------------------------- coordinator

def parse_size(text):
    units = {"k": 2**10, "m": 2**20, "g": 2**30}
    text = text.strip().lower().rstrip("b")
    return int(float(text[:-1]) * units[text[-1]]) if text[-1:] in units else int(text)


def line_for(done, total, record):
    score = "" if record["score"] is None else f"{record['score']:g}/{record['max_score']:g}"
    why = f": {record['reasons'][0]}" if record["reasons"] and record["status"] != STATUS_GRADED else ""
    if len(why) > 110:
        why = why[:107] + "..."
    return (f"[{done:>{len(str(total))}}/{total}] {record['student']:<28} {score:>7}  "
            f"{record['status']}{why}  ({record['seconds']:.1f} s)")


def run(args):
    assignment = args.assignment
    ensure_release(assignment)
    if args.zip:
        collect_zip(assignment, args.zip)
    submissions = find_submissions(assignment)
    if not submissions:
        raise SystemExit(f"No submissions in {COURSE / 'submitted'}/<student>/{assignment}/. "
                         f"Put them there, or pass ZIP=<LMS download>.")
    grader = grader_fingerprint(assignment)
    todo = []
    for student, folder in submissions.items():
        old = read_record(assignment, student)
        if args.force or old is None or old.get("grader") != grader or \
                old.get("submission") != submission_fingerprint(folder, assignment):
            todo.append(student)
    kept = len(submissions) - len(todo)
    out = OUT / assignment
    out.mkdir(parents=True, exist_ok=True)
    mem = parse_size(args.mem)
    print(f"Grading {assignment}: {len(submissions)} submissions, {len(todo)} to grade"
          + (f", {kept} unchanged since they were graded (--force regrades them)" if kept else "")
          + f"; {args.jobs} at a time.")

    if todo:
        _grade_all(args, assignment, todo, submissions, mem, grader, out)
    from grading.report import load_records, write_reports
    release_nb = nbformat.read(release_path(assignment), as_version=4)
    records = [r for r in load_records(out) if r["student"] in submissions]
    paths = write_reports(records, out, assignment, questions_of(release_nb))
    counts = {s: sum(r["status"] == s for r in records) for s in (STATUS_GRADED, STATUS_REVIEW, STATUS_NOT)}
    print(f"\n{len(records)} submissions: {counts[STATUS_GRADED]} graded, "
          f"{counts[STATUS_REVIEW]} need review, {counts[STATUS_NOT]} not graded.")
    for path in paths:
        print(f"  {Path(path).relative_to(COURSE)}")
    print(f"  feedback/<student>/{assignment}/{notebook_name(assignment).replace('.ipynb', '.html')}")
    for problem in sorted({p for r in records for p in r.get("containment", [])}):
        print(f"Note: {problem}.")
    missing = [s for s in submissions if s not in {r["student"] for r in records}]
    return 1 if missing else 0


def _grade_all(args, assignment, todo, submissions, mem, grader, out):
    from tqdm import tqdm
    log = str(out / "kernels.log")
    pool = ProcessPoolExecutor(min(args.jobs, len(todo)), mp_context=get_context("spawn"),
                               initializer=_init_worker, initargs=(assignment, mem, args.network, log))
    timeout = args.timeout
    if timeout is None:
        timing_file = out / "timing.json"
        cached = json.loads(timing_file.read_text()) if timing_file.exists() else {}
        if cached.get("grader") == grader:
            slowest = cached["slowest_cell"]
        else:  # one worker measures while the others warm up
            slowest = pool.submit(calibrate, assignment).result()
            timing_file.write_text(json.dumps({"grader": grader, "slowest_cell": slowest}))
        timeout = round(max(MIN_TIMEOUT, TIMEOUT_FACTOR * slowest), 1)
        why = (f"{TIMEOUT_FACTOR}x the slowest cell of the instructor's notebook, {slowest:.2f} s, "
               f"and at least {MIN_TIMEOUT:g} s")
    else:
        why = "--timeout"
    print(f"Cell time limit {timeout:g} s ({why}); memory cap {args.mem} per kernel; "
          f"network {'on' if args.network else 'off'} for learner code.")
    bar = tqdm(total=len(todo), unit="submission", disable=None, leave=False)
    done = 0
    try:
        futures = {pool.submit(grade_one, s, submissions[s], timeout, grader): s for s in todo}
        for future in as_completed(futures):
            student = futures[future]
            try:
                record = future.result()
            except Exception as exc:  # a worker crashed: say so, keep grading the others
                release_nb = nbformat.read(release_path(assignment), as_version=4)
                record = new_record(student, assignment, questions_of(release_nb),
                                    submission_fingerprint(submissions[student], assignment), grader)
                record["reasons"].append(f"grading crashed: {exc!r}")
                record["grader"] = "crashed"  # graded again next run
            write_record(record)
            done += 1
            bar.update()
            bar.write(line_for(done, len(todo), record))
    except KeyboardInterrupt:
        bar.close()
        pool.shutdown(wait=False, cancel_futures=True)
        print(f"\nInterrupted after {done} of {len(todo)}. Run the same command again: it grades "
              f"only what is not graded yet.")
        raise SystemExit(130)
    bar.close()
    pool.shutdown()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="make grade", description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    parser.add_argument("--zip", help="an LMS download (zip) to collect into submitted/ first")
    parser.add_argument("--mem", default="4G", help="memory cap per kernel (default 4G)")
    parser.add_argument("--network", action="store_true", help="let learner code use the network")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per cell (default: measured on the instructor's notebook)")
    parser.add_argument("--judge", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mem-bytes", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.judge:
        serve_judge(args.assignment, args.mem_bytes, args.network)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
