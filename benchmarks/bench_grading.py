"""Grading a class: plain sequential `nbgrader autograde` vs `make grade`, side by side.

Both grade the same 16 generated ps2_l2_penalty submissions (the sample
mistakes and correct answers, cycled), each in its own fresh copy of the
course, one after the other. Plain nbgrader starts a new kernel (and imports
torch) per notebook, one at a time; `make grade` forks kernels from a warm
process, several at once, and also runs the audit, the sealed re-check,
feedback and reports.
Prints seconds per submission for each and, last, `ratio: X.X`.
Usage: python benchmarks/bench_grading.py [--students 16] [--jobs N]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from grader import samples as sample_files

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "autograded"
ASSIGNMENT = "ps2_l2_penalty"
COURSE_DATA = ["nbgrader_config.py", "source", "samples"]  # the course data of autograded/


def env():
    bin_dir = str(Path(sys.executable).parent)
    variables = {k: v for k, v in os.environ.items() if k != "GRADER_COURSE"}  # cwd: the course
    return {**variables, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "OMP_NUM_THREADS": "1"}


def course_with_class(workdir, students):
    """A fresh course copy with the assignment released and `students` submissions handed in."""
    course = workdir / "autograded"
    course.mkdir(parents=True)
    for item in COURSE_DATA:
        if (COURSE / item).is_dir():
            shutil.copytree(COURSE / item, course / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(COURSE / item, course / item)
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT],
                   cwd=course, env=env(), check=True, capture_output=True)
    released = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    reference = sample_files.reference_answers(ASSIGNMENT, course)
    samples = sample_files.samples(ASSIGNMENT, course)  # the ones plain nbgrader grades right
    for i in range(students):
        sample = samples[i % len(samples)]
        out = course / "submitted" / f"learner{i:02d}_{sample.student}" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        out.parent.mkdir(parents=True)
        nbformat.write(sample_files.fill(released, sample, reference), out)
    return course


def timed(cmd, cwd):
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain = course_with_class(Path(tmp) / "plain", args.students)
        ours = course_with_class(Path(tmp) / "ours", args.students)
        plain_s = timed([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT], plain)
        ours_s = timed([sys.executable, "-m", "grader", ASSIGNMENT, "--jobs", str(args.jobs)], ours)
    n = args.students
    print(f"{n} submissions of {ASSIGNMENT}, {os.cpu_count()} cores")
    print(f"plain nbgrader autograde (sequential):  {plain_s:6.1f} s  {plain_s / n:5.2f} s/submission")
    print(f"make grade (--jobs {args.jobs}, forked kernels):  {ours_s:6.1f} s  {ours_s / n:5.2f} s/submission")
    print(f"ratio: {plain_s / ours_s:.1f}")


if __name__ == "__main__":
    main()
