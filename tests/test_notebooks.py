"""Does every lesson run top to bottom on the CPU, and is it committed clean?"""
import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOURCES = sorted((ROOT / "autograded" / "source").glob("*/*.ipynb"))
EXPECTED_TO_RAISE = "raises-exception"  # the cell tag JupyterLab and nbclient both honour


def test_there_are_lessons():
    assert LESSONS and LESSONS[0].name == "00_start_here.ipynb"


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_top_to_bottom_on_the_cpu(path, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")  # CI has no GPU; learners' runs may differ
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [(i, out.get("ename"), out.get("evalue"))
              for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
              and EXPECTED_TO_RAISE not in cell.metadata.get("tags", [])
              for out in cell.get("outputs", []) if out.output_type == "error"]
    assert not errors, f"{path.name}: error outputs in cells {errors}"
    stderr = [(i, out.get("text", "")[:200]) for i, cell in enumerate(nb.cells)
              if cell.cell_type == "code" for out in cell.get("outputs", [])
              if out.output_type == "stream" and out.name == "stderr"
              and "it/s]" not in out.get("text", "")]  # tqdm's text bar is not a warning
    assert not stderr, f"{path.name}: warnings or errors on stderr in cells {stderr}"


@pytest.mark.parametrize("path", LESSONS + SOURCES, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_starts_with_the_shared_setup_cell(path):
    nb = nbformat.read(path, as_version=4)
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    assert "from helpers import setup" in first_code and "device = setup(seed=" in first_code
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_graded_cells_keep_their_nbgrader_metadata(path):
    nb = nbformat.read(path, as_version=4)
    graded = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
    assert graded, f"{path.name} has no nbgrader cells"
    ids = [m["grade_id"] for m in graded if "grade_id" in m]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate grade_id"
    assert any(m.get("grade") for m in graded), f"{path.name}: no graded cell"
