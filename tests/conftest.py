"""Shared test settings: a headless plot backend and a private quiz-progress file."""
import os

import matplotlib
import pytest

matplotlib.use("Agg")  # tests draw figures without a display


@pytest.fixture(autouse=True)
def _private_progress_file(tmp_path, monkeypatch):
    """Keep every test's quiz progress out of the learner's real home folder."""
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def pytest_report_header(config):
    import torch

    return f"torch {torch.__version__}, {torch.get_num_threads()} threads, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}"
