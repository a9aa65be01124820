"""Do the grading reports tell instructors the truth, and does feedback keep hidden tests hidden?

Fast tests build synthetic grading records (autograded/grading_out/<assignment>/
records/<student>.json, as the grading pipeline writes them) and read back the
CSV files and the HTML report; the feedback preprocessor runs on a small
notebook built with nbformat; the export plugin runs on a real gradebook in a
temporary sqlite file. The slow test runs `nbgrader generate_feedback` with the
preprocessor on a real graded submission, in a temporary copy of the course.
"""
import copy
import csv
import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader.feedback import HideHiddenTests
from grader.report import HonestExport, load_records, write_reports
from test_autograded import build_samples, copy_course, run_nbgrader

ASSIGNMENT = "ps2_l2_penalty"
QUESTIONS = [("test_l2_penalty_value", 2.0), ("test_l2_penalty_generator", 1.0),
             ("test_l2_penalty_autograd", 2.0), ("test_weight_decay_equivalent", 2.0),
             ("test_train_step_returns_data_loss", 1.0), ("test_train_step_update", 2.0)]
HALF = "Diagnosis: the 1/2 factor. The contract asks for lam * sum of squares, with no 1/2."
DETACHED = "Diagnosis: the penalty is cut off from autograd by .detach(). Keep it a tensor."
EVIL_CODE = 'torch.allclose = lambda *a, **k: True  # <script>alert("x")</script> & more'


def record(student, status="graded", points=None, reasons=(), flags=(), diagnoses=(), notes=()):
    """One grading record; `points` = {grade_id: points}, the rest get full marks (None: not graded)."""
    graded = status != "not graded"
    cells = []
    for grade_id, top in QUESTIONS:
        p = (points or {}).get(grade_id, top) if graded else None
        cells.append({"id": grade_id, "max_points": top, "points": p,
                      "kernel": ("pass" if p == top else "fail") if graded else "not run",
                      "sealed": ("pass" if p == top else "fail") if graded else "not run",
                      "message": None if p == top else "AssertionError"})
    return {"student": student, "assignment": ASSIGNMENT, "status": status,
            "reasons": list(reasons), "notes": list(notes),
            "score": sum(c["points"] for c in cells) if graded else None, "max_score": 10.0,
            "cells": cells, "flags": list(flags), "diagnoses": list(diagnoses),
            "submission": "0" * 64, "grader": "1" * 64, "seconds": 0.4,
            "graded_at": "2026-11-22T10:00:00Z"}


def write_records(out_dir, records):
    (out_dir / "records").mkdir(parents=True, exist_ok=True)
    for r in records:
        (out_dir / "records" / f"{r['student']}.json").write_text(json.dumps(r))
    return out_dir


CLASS = [
    record("alice"),
    record("bob", points={"test_l2_penalty_value": 0.0, "test_weight_decay_equivalent": 0.0},
           diagnoses=[HALF, HALF.replace("1/2 factor. The contract", "1/2 factor. weight_decay")]),
    record("carol", points={"test_l2_penalty_autograd": 0.0, "test_train_step_update": 0.0},
           diagnoses=[DETACHED, HALF], notes=["test_l2_penalty_value wrote to stderr (not counted)"]),
    record("dave", status="needs review", reasons=["It replaces a function of the module torch."],
           flags=[{"cell": "l2_penalty", "line": 3, "code": EVIL_CODE, "rule": "module-attribute",
                   "why": "assigns to an attribute of the module torch"}]),
    record("erin", status="not graded", reasons=["The notebook is not valid JSON."]),
    record("<b>frank & co", points={g: 0.0 for g, _ in QUESTIONS}),  # graded, and every point lost
]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]


def section(html, table_id):
    """The HTML of one table, by its id."""
    return re.search(rf'<table[^>]* id="{table_id}">(.*?)</table>', html, re.S).group(1)


def students_in(table_html):
    return re.findall(r'<td class="student">(.*?)</td>', table_html)


@pytest.fixture
def report(tmp_path):
    """(out_dir, {name: path}) after loading the sample class's records and writing the reports."""
    out_dir = write_records(tmp_path / "grading_out" / ASSIGNMENT, CLASS)
    paths = write_reports(load_records(out_dir), out_dir, ASSIGNMENT, QUESTIONS)
    return out_dir, {p.name: p for p in paths}


# ---------------------------------------------------------------- records and CSV

def test_load_records_sorts_by_student_and_skips_unreadable_files(tmp_path, caplog):
    """Are records sorted by student, with broken files skipped and logged with why, not fatal?"""
    out_dir = write_records(tmp_path, [record("zoe"), record("adam")])
    (out_dir / "records" / "broken.json").write_text("{not json")
    (out_dir / "records" / "odd.json").write_text(json.dumps({"student": "odd", "status": "done"}))
    records = load_records(out_dir)
    assert [r["student"] for r in records] == ["adam", "zoe"]
    problems = [r.getMessage() for r in caplog.records]
    assert len(problems) == 2 and "broken.json could not be read" in problems[0]
    assert "odd.json has an unknown status 'done'" in problems[1]
    assert load_records(tmp_path / "nothing_here") == []


def test_grades_csv_leaves_score_empty_when_not_graded(report):
    """Does grades.csv give each submission its status and an empty score, never 0, when not graded?"""
    out_dir, paths = report
    header, rows = read_csv(paths["grades.csv"])
    assert header == ["student", "status", "score", "max_score", "reasons", "flagged_lines", "notes"]
    by = {r["student"]: r for r in rows}
    assert [r["student"] for r in rows] == sorted(r["student"] for r in CLASS)
    assert by["alice"] == {"student": "alice", "status": "graded", "score": "10", "max_score": "10",
                           "reasons": "", "flagged_lines": "0", "notes": ""}
    assert by["bob"]["score"] == "6" and by["carol"]["notes"].startswith("test_l2_penalty_value wrote")
    assert by["erin"]["status"] == "not graded" and by["erin"]["score"] == ""
    assert by["erin"]["reasons"] == "The notebook is not valid JSON."
    assert by["dave"]["status"] == "needs review" and by["dave"]["flagged_lines"] == "1"
    assert by["<b>frank & co"]["score"] == "0"  # graded and every point lost: a real 0


def test_questions_csv_has_one_column_per_test_cell_in_order(report):
    """Does questions.csv list each test cell's points in the notebook's order, then the total?"""
    header, rows = read_csv(report[1]["questions.csv"])
    assert header == ["student", "status", *(g for g, _ in QUESTIONS), "total"]
    by = {r["student"]: r for r in rows}
    assert by["bob"]["test_l2_penalty_value"] == "0" and by["bob"]["test_l2_penalty_autograd"] == "2"
    assert by["bob"]["total"] == "6"
    assert all(by["erin"][g] == "" for g, _ in QUESTIONS) and by["erin"]["total"] == ""


def test_csv_keeps_learner_text_from_running_as_a_formula(tmp_path):
    """Is a student id or reason starting with '=' written as text a spreadsheet will not evaluate?"""
    out_dir = write_records(tmp_path, [record("=HYPERLINK(1)", status="not graded",
                                              reasons=["=1+1"])])
    paths = write_reports(load_records(out_dir), out_dir, ASSIGNMENT, QUESTIONS)
    _, rows = read_csv(paths[0])
    assert rows[0]["student"] == "'=HYPERLINK(1)" and rows[0]["reasons"] == "'=1+1"


# ---------------------------------------------------------------- HTML report

def test_report_escapes_learner_text_and_draws_two_charts(report):
    """Is every learner-written string escaped, and are the score spread and the full-marks rates charted?"""
    html = report[1]["report.html"].read_text(encoding="utf-8")
    assert "<script" not in html and "<b>frank" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in html
    assert "&lt;b&gt;frank &amp; co" in html
    assert html.count('<table class="bars"') == 2
    spread = section(html, "spread")  # alice 10, bob 6, carol 6, dave 10, frank 0: one bar per score, 10 on top
    assert re.findall(r"<tr><th>(\d+)</th>", spread) == [str(score) for score in range(10, -1, -1)]
    bars = re.findall(r'width: ([\d.]+)%"></span></span>\s*<span class="note">(\d*)<', spread)
    assert bars == [("100.0", "2"), *[("0.0", "")] * 3, ("100.0", "2"), *[("0.0", "")] * 5, ("50.0", "1")]
    assert "http://" not in html and "https://" not in html and "<link" not in html


def test_report_summary_counts_states_and_scores(report):
    """Does the summary line count each state and give the mean and median of the scored ones?"""
    html = report[1]["report.html"].read_text(encoding="utf-8")
    summary = re.search(r'<p class="summary">(.*?)</p>', html).group(1)
    # Scored: alice 10, bob 6, carol 6, dave 10, frank 0 -> mean 6.4, median 6.
    assert summary.startswith("6 submissions: 4 graded, 1 needs review, 1 not graded.")
    assert "mean is 6.4" in summary and "median 6 out of 10" in summary


def test_attention_table_lists_exactly_the_submissions_to_look_at(report):
    """Does the table at the top hold the not-graded and needs-review students, with reasons and code?"""
    html = report[1]["report.html"].read_text(encoding="utf-8")
    assert html.index('id="attention"') < html.index('class="bars"')  # first thing after the summary
    table = section(html, "attention")
    assert students_in(table) == ["erin", "dave"]  # not graded first
    assert "The notebook is not valid JSON." in table
    assert "cell l2_penalty, line 3" in table and "torch.allclose = lambda" in table


def test_mistakes_are_counted_once_per_student_by_first_sentence(report):
    """Are diagnoses grouped by their first sentence, each student counted once, with who made them?"""
    table = section(report[1]["report.html"].read_text(encoding="utf-8"), "mistakes")
    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"num\">(\d+)</td><td>(.*?)</td></tr>", table)
    assert rows == [("the 1/2 factor", "2", "bob, carol"),
                    ("the penalty is cut off from autograd by .detach()", "1", "carol")]


def test_student_table_lists_everyone_with_points_and_first_diagnosis(report):
    """Does the full table give every student, sorted, with per-question points and a diagnosis?"""
    table = section(report[1]["report.html"].read_text(encoding="utf-8"), "students")
    assert students_in(table) == sorted(["&lt;b&gt;frank &amp; co", "alice", "bob", "carol", "dave", "erin"])
    bob = re.search(r'<td class="student">bob</td>.*?</tr>', table, re.S).group(0)
    assert '<td class="num lost">0</td>' in bob and ">the 1/2 factor</span>" in bob


def test_report_works_with_no_scored_submission(tmp_path):
    """With nothing scored, do the reports say so instead of failing or writing zeros?"""
    out_dir = write_records(tmp_path, [record("erin", status="not graded", reasons=["Timed out."])])
    paths = write_reports(load_records(out_dir), out_dir, ASSIGNMENT, QUESTIONS)
    html = paths[2].read_text(encoding="utf-8")
    assert "1 submission: 0 graded, 0 need review, 1 not graded. No submission has a score yet." in html
    assert "No mistake was diagnosed." in html and 'class="bars"' not in html
    assert read_csv(paths[0])[1][0]["score"] == ""
    # And with no record at all.
    empty = write_reports([], tmp_path / "empty", ASSIGNMENT, QUESTIONS)
    assert "0 submissions" in empty[2].read_text(encoding="utf-8")


def test_report_works_with_one_and_two_hundred_submissions(tmp_path):
    """Is the report written for one submission, and for 200?"""
    one = write_reports([record("solo")], tmp_path / "one", ASSIGNMENT, QUESTIONS)
    assert one[2].read_text(encoding="utf-8").count('class="bars"') == 2
    statuses = ["graded"] * 7 + ["needs review", "not graded"]
    many = [record(f"s{i:03d}", status=statuses[i % len(statuses)],
                   points={QUESTIONS[i % 6][0]: 0.0}, diagnoses=[f"Diagnosis: mistake {i % 13}. More."])
            for i in range(200)]
    paths = write_reports(many, tmp_path / "many", ASSIGNMENT, QUESTIONS)
    html = paths[2].read_text(encoding="utf-8")
    assert html.count('class="bars"') == 2
    assert len(re.findall(r"<tr><td>mistake", section(html, "mistakes"))) == 10  # top 10 only
    assert len(read_csv(paths[1])[1]) == 200


# ---------------------------------------------------------------- feedback preprocessor

def grade_cell(source, grade_id, points=1, outputs=()):
    cell = new_code_cell(source, outputs=list(outputs))
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                                 "schema_version": 3, "solution": False, "task": False}
    return cell


def test_feedback_preprocessor_hides_hidden_tests_and_tracebacks():
    """Are hidden blocks and quoting tracebacks gone from grade cells, other cells untouched?"""
    hidden = ("### BEGIN HIDDEN TESTS\n_problem = _grader.check_value(f)\n"
              "assert _problem is None, _problem\n### END HIDDEN TESTS\n")
    error = new_output("error", ename="AssertionError",
                       evalue="Diagnosis: the 1/2 factor. Drop the 0.5.",
                       traceback=["\x1b[0;31m----> 3\x1b[0m assert _problem is None, _problem",
                                  "_grader.check_value(f)", "AssertionError: Diagnosis: the 1/2 factor."])
    answer = new_code_cell("def f():\n    return 1  # ### BEGIN HIDDEN TESTS in an answer stays",
                           outputs=[new_output("error", ename="ValueError", evalue="x",
                                               traceback=["long", "trace"])])
    answer.metadata["nbgrader"] = {"grade": False, "grade_id": "f", "solution": True,
                                   "locked": False, "schema_version": 3, "task": False}
    nb = new_notebook(cells=[
        new_markdown_cell("### BEGIN HIDDEN TESTS in prose"),
        answer,
        grade_cell('"""1 point: f works."""\n' + hidden + "assert f() == 1", "test_f",
                   outputs=[error]),
        grade_cell("import torch\n" + hidden.rstrip("\n"), "setup", points=0),
    ])
    untouched = copy.deepcopy(nb.cells[:2])
    nb, _ = HideHiddenTests().preprocess(nb, {})
    assert nb.cells[:2] == untouched
    assert nb.cells[2].source == '"""1 point: f works."""\nassert f() == 1'
    assert nb.cells[3].source == "import torch"
    out = nb.cells[2].outputs[0]
    assert out.traceback == ["AssertionError: Diagnosis: the 1/2 factor. Drop the 0.5."]
    assert (out.ename, out.evalue) == ("AssertionError", "Diagnosis: the 1/2 factor. Drop the 0.5.")
    assert "_grader" not in nbformat.writes(nb)


def test_feedback_preprocessor_refuses_an_unclosed_hidden_block():
    """Does a hidden block without its END marker stop the feedback rather than leak?"""
    nb = new_notebook(cells=[grade_cell("x = 1\n### BEGIN HIDDEN TESTS\nsecret()\n", "t")])
    with pytest.raises(RuntimeError):
        HideHiddenTests().preprocess(nb, {})


# ---------------------------------------------------------------- nbgrader export plugin

# nbgrader's own Gradebook.add_submission makes SQLAlchemy warn about its autoflush; not ours.
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_honest_export_writes_records_and_marks_the_rest_not_graded(tmp_path, monkeypatch):
    """Does the export plugin write the records' status and score, and no 0 for what was not graded?"""
    from nbgrader.api import Gradebook

    # nbgrader's Gradebook runs its database migrations with the `alembic` script from the PATH.
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    course = tmp_path / "course"
    write_records(course / "grading_out" / ASSIGNMENT,
                  [record("alice"), record("erin", status="not graded", reasons=["Timed out."]),
                   record("dave", status="needs review", reasons=["Check it."])])
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.add_assignment(ASSIGNMENT)
        for student in ("alice", "dave", "erin", "gina", "hank", "ivan"):
            gb.add_student(student)
        for student in ("alice", "dave", "erin", "gina", "ivan"):  # hank handed nothing in
            gb.add_submission(ASSIGNMENT, student)
        # ivan was graded by plain `nbgrader autograde` (its graded notebook exists); gina's
        # autograde failed, which leaves a gradebook row but no graded notebook.
        (course / "autograded_out" / "ivan" / ASSIGNMENT).mkdir(parents=True)
        (course / "autograded_out" / "ivan" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{}")
        monkeypatch.chdir(tmp_path)  # no parent app: the plugin falls back on its config
        plugin = HonestExport(to=str(tmp_path / "grades.csv"))
        plugin.config.CourseDirectory.root = str(course)
        plugin.export(gb)
    header, rows = read_csv(tmp_path / "grades.csv")
    assert header == ["assignment", "student_id", "status", "score", "max_score", "reasons"]
    by = {r["student_id"]: r for r in rows}
    assert [r["student_id"] for r in rows] == ["alice", "dave", "erin", "gina", "hank", "ivan"]
    assert by["alice"]["status"] == "graded" and by["alice"]["score"] == "10"
    assert by["dave"]["status"] == "needs review" and by["dave"]["reasons"] == "Check it."
    assert by["erin"]["status"] == "not graded" and by["erin"]["score"] == ""
    assert by["gina"] == {"assignment": ASSIGNMENT, "student_id": "gina", "status": "not graded",
                          "score": "", "max_score": "0",
                          "reasons": "nbgrader has no graded notebook for it"}
    assert by["ivan"]["status"] == "graded" and by["ivan"]["score"] == "0"
    assert by["ivan"]["reasons"] == "graded by nbgrader autograde, not by make grade"
    assert by["hank"]["status"] == "not submitted" and by["hank"]["score"] == ""


# ---------------------------------------------------------------- slow: real nbgrader

@pytest.mark.slow
def test_generate_feedback_hides_hidden_tests_but_shows_message_and_score(tmp_path):
    """Does real feedback for a failing submission show the diagnosis and score, not the hidden tests?"""
    course = copy_course(tmp_path / "autograded")  # its nbgrader_config.py sets HideHiddenTests
    student = "penalty_half_factor"  # loses test_l2_penalty_value's 2 points: 8 / 10
    run_nbgrader(course, "generate_assignment", ASSIGNMENT)
    build_samples(course, ASSIGNMENT)
    run_nbgrader(course, "autograde", ASSIGNMENT, "--student", student)
    graded = (course / "autograded_out" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert "BEGIN HIDDEN TESTS" in graded and "_grader" in graded  # what there is to hide
    run_nbgrader(course, "generate_feedback", ASSIGNMENT)
    html = (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "BEGIN HIDDEN TESTS" not in html and "_grader" not in html and "check_l2" not in html
    assert "Diagnosis: the 1/2 factor" in html
    assert "(Score: 8.0 / 10.0)" in html and "Score: 0.0 / 2.0" in html
