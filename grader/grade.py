"""Grade every submission of an assignment: `make grade ASSIGNMENT=<name>` (autograded/README.md).

Checks the sandbox can be made (or stops, saying why: grading fails closed),
finds the submissions in submitted/<student>/<assignment>/, and grades the new
or changed ones, several at once (--jobs, one torch thread each), each in a
worker process (grader.worker). A record is written last, so an interrupted
run loses nothing: the next run grades what has no record, and skips what is
unchanged since its record (--force regrades). Then the reports: grades.csv,
questions.csv and report.html in grading_out/<assignment>/.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import nbformat

from grader import worker
from grader.course import (GRADED, NOT_GRADED, REVIEW, Record, checks_paths, course_dir, notebook_name,
                           out_dir, questions_of, read_record, release_path, source_path)
from grader.sandbox import SandboxError, check

MIN_TIMEOUT = 5.0    # seconds a cell may run, at least: a busy machine slows cells down
TIMEOUT_FACTOR = 10  # ... and at least this many times the judge's time on the instructor's notebook


def nbgrader(*args):
    """Run an nbgrader command in the course folder (alembic must be on PATH: use the venv's bin)."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir(), env=env,
                          capture_output=True, text=True)


def ensure_release(assignment):
    """Generate the student version (and the gradebook's record of it) if it is not there yet."""
    if not source_path(assignment).exists():
        known = sorted(p.name for p in (course_dir() / "source").iterdir() if p.is_dir())
        raise SystemExit(f"No assignment {assignment!r} in {course_dir() / 'source'}; known: {', '.join(known)}")
    if release_path(assignment).exists():
        return
    print(f"release/{assignment} is missing: running nbgrader generate_assignment {assignment}")
    done = nbgrader("generate_assignment", assignment)
    if done.returncode != 0:
        raise SystemExit(f"nbgrader generate_assignment failed:\n{done.stdout}{done.stderr}")


def collect_zip(assignment, zip_path):
    """Unpack an LMS download with nbgrader's zip_collect into submitted/ (see nbgrader_config.py)."""
    archive = course_dir() / "downloaded" / assignment / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    shutil.copy(zip_path, archive / Path(zip_path).name)
    done = nbgrader("zip_collect", assignment, "--force")
    if done.returncode != 0:
        raise SystemExit(f"nbgrader zip_collect failed:\n{done.stdout}{done.stderr}")
    print(f"Collected {Path(zip_path).name} into submitted/ with nbgrader zip_collect.")


def find_submissions(assignment):
    """student id -> the folder of their submission, for every student who handed something in."""
    root = course_dir() / "submitted"
    if not root.is_dir():
        return {}
    return {d.name: d / assignment for d in sorted(root.iterdir()) if (d / assignment).is_dir()}


def sha256_of(*paths):
    digest = hashlib.sha256()
    for path in map(Path, paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def grader_fingerprint(assignment, unsafe):
    """Changes whenever anything that decides a grade changes: then every submission is regraded."""
    return sha256_of(source_path(assignment), release_path(assignment), *checks_paths(assignment),
                     course_dir() / "nbgrader_config.py", *sorted(Path(__file__).parent.glob("*.py"))) \
        + ("-unsafe" if unsafe else "")


def submission_fingerprint(folder, assignment):
    return sha256_of(folder / notebook_name(assignment), folder / "timestamp.txt")


def parse_size(text):
    units = {"k": 2**10, "m": 2**20, "g": 2**30}
    text = text.strip().lower().rstrip("b")
    return int(float(text[:-1]) * units[text[-1]]) if text[-1:] in units else int(text)


def line_for(done, total, record):
    score = "" if record["score"] is None else f"{record['score']:g}/{record['max_score']:g}"
    why = f": {record['reasons'][0]}" if record["reasons"] and record["status"] != GRADED else ""
    why = why if len(why) <= 110 else why[:107] + "..."
    return (f"[{done:>{len(str(total))}}/{total}] {record['student']:<28} {score:>7}  "
            f"{record['status']}{why}  ({record['seconds']:.1f} s)")


def run(args):
    assignment = args.assignment
    if args.unsafe:
        print("WARNING: --unsafe: learner code runs without a sandbox, with your files and network. "
              "Every record says so.")
    else:
        try:
            check(args.network)
        except SandboxError as exc:
            raise SystemExit(f"Not grading: {exc}") from None
    ensure_release(assignment)
    if args.zip:
        collect_zip(assignment, args.zip)
    submissions = find_submissions(assignment)
    if not submissions:
        raise SystemExit(f"No submissions in {course_dir() / 'submitted'}/<student>/{assignment}/. "
                         f"Put them there, or pass ZIP=<LMS download>.")
    fingerprint = grader_fingerprint(assignment, args.unsafe)
    todo = []
    for student, folder in submissions.items():
        old = read_record(assignment, student)
        if args.force or old is None or old.grader != fingerprint or \
                old.submission != submission_fingerprint(folder, assignment):
            todo.append(student)
    kept = len(submissions) - len(todo)
    out = out_dir(assignment)
    out.mkdir(parents=True, exist_ok=True)
    print(f"Grading {assignment}: {len(submissions)} submissions, {len(todo)} to grade"
          + (f", {kept} unchanged since they were graded (--force regrades them)" if kept else "")
          + f"; {args.jobs} at a time.")
    if todo:
        _grade_all(args, assignment, todo, submissions, fingerprint, out)
    from grader.report import load_records, write_reports
    records = [r for r in load_records(out) if r["student"] in submissions]
    paths = write_reports(records, out, assignment, questions_of(nbformat.read(release_path(assignment), as_version=4)))
    counts = {s: sum(r["status"] == s for r in records) for s in (GRADED, REVIEW, NOT_GRADED)}
    print(f"\n{len(records)} submissions: {counts[GRADED]} graded, "
          f"{counts[REVIEW]} need review, {counts[NOT_GRADED]} not graded.")
    for path in paths:
        print(f"  {Path(path).relative_to(course_dir())}")
    print(f"  feedback/<student>/{assignment}/{assignment}.html")
    missing = [s for s in submissions if s not in {r["student"] for r in records}]
    return 1 if missing else 0


def _grade_all(args, assignment, todo, submissions, fingerprint, out):
    from tqdm import tqdm
    mem = parse_size(args.mem)
    pool = ProcessPoolExecutor(min(args.jobs, len(todo)), mp_context=get_context("spawn"),
                               initializer=worker.init_worker,
                               initargs=(assignment, mem, args.network, args.unsafe, str(out / "judge.log")))
    timeout = args.timeout
    if timeout is None:
        timing_file = out / "timing.json"
        cached = json.loads(timing_file.read_text()) if timing_file.exists() else {}
        if cached.get("grader") == fingerprint:
            slowest = cached["slowest_cell"]
        else:  # one worker measures while the others warm up
            slowest = pool.submit(worker.calibrate).result()
            timing_file.write_text(json.dumps({"grader": fingerprint, "slowest_cell": slowest}))
        timeout = round(max(MIN_TIMEOUT, TIMEOUT_FACTOR * slowest), 1)
        why = (f"{TIMEOUT_FACTOR}x the checks' time on the instructor's notebook, {slowest:.2f} s, "
               f"and at least {MIN_TIMEOUT:g} s")
    else:
        why = "--timeout"
    print(f"Cell time limit {timeout:g} s ({why}); memory cap {args.mem} per kernel; "
          f"network {'on' if args.network else 'off'} for learner code; "
          f"{'NO SANDBOX (--unsafe)' if args.unsafe else 'each submission in its own bubblewrap sandbox'}.")
    bar = tqdm(total=len(todo), unit="submission", disable=None, leave=False)
    done = 0
    try:
        futures = {pool.submit(worker.grade_one, s, submissions[s], timeout,
                               (submission_fingerprint(submissions[s], assignment), fingerprint)): s
                   for s in todo}
        for future in as_completed(futures):
            student = futures[future]
            try:
                record = future.result()
            except Exception as exc:  # a worker crashed: say so, keep grading the others
                release_nb = nbformat.read(release_path(assignment), as_version=4)
                record = Record.new(student, assignment, questions_of(release_nb), grader="crashed",
                                    reasons=[f"grading crashed: {exc!r}"]).to_dict()  # regraded next run
            Record.from_dict(record).write()
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
    parser.add_argument("--unsafe", action="store_true",
                        help="grade without a sandbox when none can be made (every record says so)")
    return run(parser.parse_args(argv))
