"""Wall time of each lesson notebook executed headless, top to bottom, against the floor.

Measures what a learner waits for after "Run All": kernel start, imports and
every cell, with nbclient (the engine behind `jupyter execute`). The floor is
a notebook holding only the lessons' shared setup cell: a kernel that starts,
imports torch and runs `setup()`. Machines differ by 2x or more in that
floor, so each lesson is reported as a ratio to it, measured in the same run
(the course's targets: each lesson <= 3x the floor, the five together <= 12x).
It reports and asserts nothing about time; it exits 1 if a cell errs.
Usage: python benchmarks/bench_notebooks.py [notebooks/01_*.ipynb ...] [--device cpu]
"""
import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
LESSON_TARGET, COURSE_TARGET = 3.0, 12.0  # issue 12: ratios to the floor


def run(nb, folder):
    """Execute `nb` in a fresh kernel; return (seconds, number of unexpected errors)."""
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    seconds = time.perf_counter() - start
    errors = sum(o.output_type == "error" for c in nb.cells if c.cell_type == "code"
                 for o in c.outputs
                 if "raises-exception" not in c.metadata.get("tags", []))
    return seconds, errors


def floor_notebook(lesson):
    """Return a notebook with only `lesson`'s first code cell (the shared setup cell)."""
    nb = nbformat.read(lesson, as_version=4)
    nb.cells = [next(c for c in nb.cells if c.cell_type == "code")]
    return nb


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--device", help="force cpu, cuda or mps via COURSE_DEVICE")
    args = parser.parse_args()
    if args.device:
        os.environ["COURSE_DEVICE"] = args.device
    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    paths = [p.resolve() for p in args.notebooks] or lessons
    folder = lessons[0].parent
    # The floor is timed before and after the lessons and the faster kept:
    # a one-off stall (another program, a cold disk cache) would inflate it.
    floors = [run(floor_notebook(lessons[0]), folder)[0]]
    results = [(path, *run(nbformat.read(path, as_version=4), path.parent)) for path in paths]
    floors.append(run(floor_notebook(lessons[0]), folder)[0])
    floor = min(floors)
    print(f"floor (kernel start + import torch + setup cell): {floor:.1f} s "
          f"(runs: {', '.join(f'{f:.1f}' for f in floors)})")
    print(f"{'notebook':<32} {'seconds':>8} {'x floor':>8}  errors")
    for path, seconds, errors in results:
        flag = "" if seconds / floor <= LESSON_TARGET else f"  (target <= {LESSON_TARGET:g}x)"
        print(f"{path.name:<32} {seconds:8.1f} {seconds / floor:8.1f}  {errors}{flag}")
    total = sum(seconds for _, seconds, _ in results)
    print(f"{'total':<32} {total:8.1f} {total / floor:8.1f}  "
          f"(target <= {COURSE_TARGET:g}x for the five lessons)")
    print(f"ratio: {total / floor:.1f}")
    return 1 if any(errors for *_, errors in results) else 0


if __name__ == "__main__":
    sys.exit(main())
