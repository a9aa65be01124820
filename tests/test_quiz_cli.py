"""Does `python -m helpers.quiz validate` check every bank and fail loudly on a bad one?"""
import os
import re
import subprocess
import sys
from pathlib import Path

from helpers.quiz.__main__ import main
from labtools import isolated_progress  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^(\d\d_[a-z0-9_]+): (\d+) questions \(easy (\d+), medium (\d+), hard (\d+)\)$")


def test_validate_passes_and_prints_one_line_per_bank():
    """The real command line, as CI and the Makefile would run it."""
    run = subprocess.run([sys.executable, "-m", "helpers.quiz", "validate"], cwd=REPO,
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert [LINE.match(line).group(1) for line in lines] == [
        "00_start_here", "01_overfitting_metrics", "02_weight_decay", "03_l2_by_hand",
        "04_param_groups"]
    for line in lines[1:]:
        total, easy, medium, hard = map(int, LINE.match(line).groups()[1:])
        assert total == easy + medium + hard and total >= 10 and min(easy, medium, hard) >= 1


def test_validate_one_bank_by_name(capsys):
    assert main(["validate", "02_weight_decay"]) == 0
    assert LINE.match(capsys.readouterr().out.strip()).group(1) == "02_weight_decay"


def test_validate_fails_on_a_broken_bank_and_names_file_and_question(tmp_path, capsys):
    (tmp_path / "05_broken.yaml").write_text(
        "lesson: 05_broken\ntitle: Broken\nquestions:\n"
        "  - {id: bad-one, type: single, difficulty: easy, topic: metrics, prompt: P, hint: H,\n"
        "     explanation: E, options: [{text: a, correct: true}, {text: b}]}\n")
    (tmp_path / "06_short.yaml").write_text(
        "lesson: 06_short\ntitle: Short\nquestions:\n"
        "  - {id: ok, type: single, difficulty: easy, topic: metrics, prompt: P, hint: H,\n"
        "     explanation: E, options: [{text: a, correct: true}, {text: b, feedback: F}]}\n")
    assert main(["validate", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "05_broken: FAILED" in err and "05_broken.yaml" in err and "'bad-one'" in err
    assert "06_short: 1 questions (easy 1, medium 0, hard 0): FAILED" in err
    assert "a lesson needs at least 10" in err


def test_validate_an_unknown_bank_or_an_empty_folder_fails(tmp_path, capsys):
    assert main(["validate", "99_nothing"]) == 1
    assert "no bank file" in capsys.readouterr().err
    assert main(["validate", "--dir", str(tmp_path)]) == 1
