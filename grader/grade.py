"""Grade every submission of an assignment: `make grade ASSIGNMENT=<name>` (autograded/README.md).

No sandbox, no grading. Worker processes (grader.worker) grade new or changed submissions; a record
is written when its submission is done, so the next run grades only what a stopped one left."""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import nbformat
from tqdm import tqdm

from grader import worker
from grader.audit import clip
from grader.course import (GRADED, NOT_GRADED, REVIEW, Record, checks_paths, course_dir, out_dir,
                           questions_of, release_path, source_path)
from grader.report import load_records, write_reports
from grader.sandbox import SandboxError, check


def nbgrader(*args):
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir(),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"nbgrader {args[0]} failed:\n{done.stdout}{done.stderr}")


def sha256_of(*paths):
    contents = (path.name.encode() + (path.read_bytes() if path.is_file() else b"<missing>")
                for path in map(Path, paths))
    return hashlib.sha256(b"".join(contents)).hexdigest()


def parse_size(text):
    text, units = text.strip().lower().rstrip("b"), {"k": 2**10, "m": 2**20, "g": 2**30}
    return int(float(text[:-1]) * units[text[-1]]) if text[-1:] in units else int(text)


def run(args):
    assignment, course = args.assignment, course_dir()
    # For nbgrader (its database tool alembic) and every worker: the venv's tools, one torch thread each.
    os.environ.update(PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
                      OMP_NUM_THREADS="1")
    if args.unsafe:
        print("WARNING: --unsafe: learner code runs without a sandbox, with your files and network. "
              "Every record says so.")
    else:
        try:
            check(args.network)
        except SandboxError as exc:
            raise SystemExit(f"Not grading: {exc}") from None
    if not source_path(assignment).exists():
        known = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
        raise SystemExit(f"No assignment {assignment!r} in {course / 'source'}; known: {', '.join(known)}")
    if not release_path(assignment).exists():
        print(f"release/{assignment} is missing: running nbgrader generate_assignment {assignment}")
        nbgrader("generate_assignment", assignment)
    if args.zip:  # nbgrader's zip_collect reads downloaded/<assignment>/archive (nbgrader_config.py)
        archive = course / "downloaded" / assignment / "archive"
        archive.mkdir(parents=True, exist_ok=True)
        shutil.copy(args.zip, archive / Path(args.zip).name)
        nbgrader("zip_collect", assignment, "--force")
        print(f"Collected {Path(args.zip).name} into submitted/ with nbgrader zip_collect.")
    submissions = {p.parent.name: p for p in sorted((course / "submitted").glob(f"*/{assignment}"))
                   if p.is_dir()}
    if not submissions:
        raise SystemExit(f"No submissions in {course / 'submitted'}/<student>/{assignment}/. "
                         f"Put them there, or pass ZIP=<LMS download>.")
    # Anything that decides a grade changes it, and then every submission is regraded.
    fingerprint = sha256_of(source_path(assignment), release_path(assignment), *checks_paths(assignment),
                            course / "nbgrader_config.py", *sorted(Path(__file__).parent.glob("*.py")))
    fingerprint += "-unsafe" if args.unsafe else ""
    out, prints = out_dir(assignment), {}
    for student, folder in submissions.items():
        prints[student] = sha256_of(folder / f"{assignment}.ipynb", folder / "timestamp.txt"), fingerprint
    # the fingerprints in the readable records (load_records logs any other: its submission is regraded)
    recorded = {r["student"]: (r.get("submission"), r.get("grader")) for r in load_records(out)}
    todo = [s for s in submissions if args.force or recorded.get(s) != prints[s]]
    kept = len(submissions) - len(todo)
    out.mkdir(parents=True, exist_ok=True)
    print(f"Grading {assignment}: {len(submissions)} submissions, {len(todo)} to grade"
          + (f", {kept} unchanged since they were graded (--force regrades them)" if kept else "")
          + f"; {args.jobs} at a time.")
    questions = questions_of(nbformat.read(release_path(assignment), as_version=4))
    if todo:
        grade_all(args, {s: (submissions[s], prints[s]) for s in todo}, questions, out)
    records = [r for r in load_records(out) if r["student"] in submissions]
    paths = write_reports(records, out, assignment, questions)
    counts = {s: sum(r["status"] == s for r in records) for s in (GRADED, REVIEW, NOT_GRADED)}
    print(f"\n{len(records)} submissions: {counts[GRADED]} graded, "
          f"{counts[REVIEW]} need review, {counts[NOT_GRADED]} not graded.")
    print(*(f"  {Path(path).relative_to(course)}" for path in paths), sep="\n")
    print(f"  feedback/<student>/{assignment}/{assignment}.html")
    return 1 if set(submissions) - {r["student"] for r in records} else 0


def grade_all(args, todo, questions, out):
    """Grade `todo` (student -> (folder, fingerprints)) in a pool of workers, writing each record."""
    settings = (args.assignment, parse_size(args.mem), args.network, args.unsafe, args.timeout,
                out / "judge.log")
    pool = ProcessPoolExecutor(min(args.jobs, len(todo)), mp_context=get_context("spawn"),
                               initializer=worker.init_worker, initargs=settings)
    print(f"Cell time limit {args.timeout:g} s; memory cap {args.mem} per kernel; "
          f"network {'on' if args.network else 'off'} for learner code; "
          f"{'NO SANDBOX (--unsafe)' if args.unsafe else 'each submission in its own bubblewrap sandbox'}.")
    done, width = 0, len(str(len(todo)))
    with tqdm(total=len(todo), unit="submission", disable=None, leave=False) as bar:
        try:
            futures = {pool.submit(worker.grade_one, s, folder, fingerprints): s
                       for s, (folder, fingerprints) in todo.items()}
            for done, future in enumerate(as_completed(futures), 1):
                try:
                    record = future.result()
                except Exception as exc:  # a worker crashed: say so (regraded next run), grade the others
                    record = Record.new(futures[future], args.assignment, questions, grader="crashed",
                                        reasons=[f"grading crashed: {exc!r}"])
                record.write()
                bar.update()
                score = "" if record.score is None else f"{record.score:g}/{record.max_score:g}"
                why = clip(f": {record.reasons[0]}", 110) if record.reasons and record.status != GRADED else ""
                bar.write(f"[{done:>{width}}/{len(todo)}] {record.student:<28} {score:>7}  "
                          f"{record.status}{why}  ({record.seconds:.1f} s)")
        except KeyboardInterrupt:
            bar.close()
            pool.shutdown(wait=False, cancel_futures=True)
            print(f"\nInterrupted after {done} of {len(todo)}. Run the same command again: it grades "
                  f"only what is not graded yet.")
            raise SystemExit(130)
    pool.shutdown()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="make grade", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("assignment")
    add("--jobs", type=int, default=os.cpu_count() or 1,
        help="submissions graded at once (default: one per core)")
    add("--force", action="store_true", help="regrade unchanged submissions too")
    add("--zip", help="an LMS download (zip) to collect into submitted/ first")
    add("--mem", default="4G", help="memory cap per kernel (default 4G)")
    add("--network", action="store_true", help="let learner code use the network")
    add("--timeout", type=float, default=10.0,  # the instructor's cells take milliseconds; nbgrader's is 30
        help="seconds a cell, or a call of a learner's function in the sealed re-check, may run (default 10)")
    add("--unsafe", action="store_true",
        help="grade without a sandbox when none can be made (every record says so)")
    return run(parser.parse_args(argv))
