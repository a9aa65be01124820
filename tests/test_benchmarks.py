"""Do the benchmark scripts behave where CI runs them (a CPU, no GPU)?"""
import importlib.util
import subprocess
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def load_script(name):
    """Import a benchmark script by path (benchmarks/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the check would run")
def test_gpu_check_says_it_needs_cuda_and_runs_nothing_on_a_cpu():
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "needs CUDA" in done.stdout and "nothing was run" in done.stdout
    assert "== lessons" not in done.stdout


def test_the_floor_is_the_lessons_shared_setup_cell_alone():
    bench_notebooks = load_script("bench_notebooks")
    lesson = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[0]
    nb = bench_notebooks.floor_notebook(lesson)
    [cell] = nb.cells
    assert "from helpers import setup" in cell.source and "device = setup(seed=" in cell.source
