"""Wall time of each lesson notebook executed headless, top to bottom.

Measures what a learner waits for after "Run All": kernel start, imports and
every cell, with nbclient (the engine behind `jupyter execute`). One line
per notebook, then the total. It reports; it asserts nothing about time.
Usage: python benchmarks/bench_notebooks.py [notebooks/01_*.ipynb ...] [--device cpu]
"""
import argparse
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run(path):
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    errors = sum(o.output_type == "error" for c in nb.cells if c.cell_type == "code"
                 for o in c.outputs
                 if "raises-exception" not in c.metadata.get("tags", []))
    return seconds, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--device", help="force cpu, cuda or mps via COURSE_DEVICE")
    args = parser.parse_args()
    if args.device:
        os.environ["COURSE_DEVICE"] = args.device
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    total = 0.0
    print(f"{'notebook':<32} {'seconds':>8}  errors")
    for path in paths:
        seconds, errors = run(path.resolve())
        total += seconds
        print(f"{path.name:<32} {seconds:8.1f}  {errors}")
    print(f"{'total':<32} {total:8.1f}")


if __name__ == "__main__":
    main()
