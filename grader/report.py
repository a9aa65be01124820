"""What an instructor reads after grading: grades.csv, questions.csv, report.html (its HTML in
templates/report.html.j2), and HonestExport, the same honest statuses for `nbgrader export`.

A score is empty, never 0, when a submission was not graded: "not graded" is not "all failed".
"""
import base64
import csv
import io
import json
import logging
import re
import textwrap
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

from grader.course import GRADED, NOT_GRADED, REVIEW, STATUSES

# Okabe-Ito: distinguishable with the common forms of colour blindness.
BLUE, ORANGE, VERMILLION = "#0072B2", "#E69F00", "#D55E00"
GRADES_COLUMNS = ["student", "status", "score", "max_score", "reasons", "flagged_lines", "notes"]
EXPORT_COLUMNS = ["assignment", "student_id", "status", "score", "max_score", "reasons"]
TOP_MISTAKES = 10


def load_records(out_dir, problems=None):
    """The usable records/<student>.json under out_dir, sorted by student.

    A file that is not one is skipped, logged, and described in one sentence
    appended to `problems` (when given): its submission is missing from the reports.
    """
    records = []
    for path in sorted((Path(out_dir) / "records").glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            why = _record_problem(record)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            why = f"could not be read ({exc})"
        if why:
            message = f"{path.name}: {why}; its submission is left out of the reports."
            logging.getLogger(__name__).warning("grading record %s", message)
            if problems is not None:
                problems.append(message)
        else:
            records.append(record)
    return sorted(records, key=lambda r: r["student"])


def _record_problem(record):
    """Why a parsed JSON value is not a usable record, or None."""
    if not isinstance(record, dict):
        return "is not a JSON object"
    if not isinstance(record.get("student"), str) or not record["student"]:
        return "has no student"
    if record.get("status") not in STATUSES:
        return f"has an unknown status {record.get('status')!r}"
    if record.get("score") is not None and not isinstance(record["score"], (int, float)):
        return "has a score that is not a number"
    return None


def _num(value):
    """A score for people and spreadsheets: 7, 7.5, 0; None (no score) becomes ''."""
    return "" if value is None else f"{round(float(value), 2):g}"


def _points(value):
    return f"{_num(value)} pt{'' if value == 1 else 's'}"


def _cell_points(record):
    """{grade_id: points, None when not graded} of one record."""
    return {c.get("id"): c.get("points") for c in record.get("cells") or []}


def _diagnoses(record):
    return [d for d in record.get("diagnoses") or [] if isinstance(d, str) and "Diagnosis:" in d]


def _first_sentence(diagnosis):
    """'Diagnosis: the 1/2 factor. The contract ...' -> 'the 1/2 factor'."""
    text = diagnosis.split("Diagnosis:", 1)[-1].strip()
    # A sentence ends at . ! or ? before a space, so "0.5" and ".detach()" stay whole.
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".").strip()


def _text(value):
    """Learner text a spreadsheet will not run as a formula (a leading = + - @ tab or CR)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(record):
    """student, status, score, max_score, reasons: the columns grades.csv and the export share."""
    return [_text(record["student"]), record["status"], _num(record.get("score")),
            _num(record.get("max_score")), _text(" | ".join(record.get("reasons") or []))]


def _write_csv(path, header, rows):
    # newline="" lets the csv module write its own line ends (RFC 4180), as its docs ask.
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])


def _png(ax, grid_axis):
    """The axes' figure, gridded and without a box, as base64 PNG for an inline <img>."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_axisbelow(True)
    ax.grid(axis=grid_axis, color="#dddddd")
    buffer = io.BytesIO()
    FigureCanvasAgg(ax.figure)  # Agg, not pyplot: no global figure to close, no display needed
    ax.figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_figure(scored, max_score):
    """Histogram of the scores, those needing review stacked on top in hatched orange."""
    graded, review = ([float(r["score"]) for r in scored if r["status"] == s] for s in (GRADED, REVIEW))
    top = max([max_score, *graded, *review])
    # One bar per possible score when points are whole (the usual case), else halves.
    step = 1.0 if all(s == int(s) for s in graded + review) else 0.5
    step = top / 20 if top / step > 40 else step
    edges = np.arange(-step / 2, top + step, step)
    ax = Figure(figsize=(7, 3.2)).subplots()
    *_, (_, hatched) = ax.hist([graded, review], edges, stacked=True, rwidth=0.9, color=[BLUE, ORANGE],
                               label=[f"graded ({len(graded)})", f"needs review ({len(review)})"])
    for bar in hatched:
        bar.set(hatch="//", edgecolor="black", linewidth=0.5)
    ax.set(xlabel=f"score (out of {_num(max_score)})", ylabel="submissions", xlim=(edges[0], edges[-1]))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(frameon=False, loc="upper left")  # scores bunch up on the right
    return _png(ax, "y")


def bar_figure(labels, values, notes, color, xlabel, xmax=None):
    """Horizontal bars, the first on top, each with its note at its end; whole x ticks unless xmax."""
    ax, ys = Figure(figsize=(7, 0.5 * len(labels) + 1.0)).subplots(), np.arange(len(labels))
    ax.barh(ys, values, color=color, height=0.6)
    for y, value, note in zip(ys, values, notes):
        ax.text(value, y, f" {note}", va="center", fontsize=9)
    ax.set_yticks(ys, labels, fontsize=9)
    ax.set(xlabel=xlabel, ylim=(len(labels) - 0.5, -0.5))  # reversed: the first on top
    if xmax:
        ax.set_xlim(0, xmax)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(ax, "x")


def pass_rate_figure(scored, questions):
    """Per graded test cell, the share of submissions with full marks; None if no cell has points."""
    earned = [[p for r in scored if (p := _cell_points(r).get(g)) is not None] for g, _ in questions]
    if not any(earned):
        return None
    full = [sum(p >= top - 1e-9 for p in points) for points, (_, top) in zip(earned, questions)]
    shares = [100 * f / len(points) if points else 0 for f, points in zip(full, earned)]
    return bar_figure([f"{g} ({_points(top)})" for g, top in questions], shares,
                      [f"{f} of {len(points)} ({s:.0f}%)" if points else "no scores"
                       for f, points, s in zip(full, earned, shares)],
                      BLUE, "submissions with full marks (%)", xmax=100)


def common_mistakes(records):
    """[(first sentence of a diagnosis, [students])], most common first, at most TOP_MISTAKES."""
    students = defaultdict(list)
    for r in records:
        # A student counts once per mistake, even when two test cells diagnose it.
        for mistake in dict.fromkeys(map(_first_sentence, _diagnoses(r))):
            students[mistake].append(r["student"])
    return sorted(students.items(), key=lambda item: (-len(item[1]), item[0]))[:TOP_MISTAKES]


# finalize: a missing value (None) shows as nothing, not as "None".
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
                               autoescape=True, finalize=lambda value: "" if value is None else value,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
TEMPLATES.filters.update(num=_num, pts=_points, cell_points=_cell_points, diagnoses=_diagnoses,
                         first_sentence=_first_sentence)


def report_html(records, assignment, questions, unreadable=()):
    """The report page: the numbers and figures are computed here, the wording is the template's."""
    scored = [r for r in records if r.get("score") is not None]
    scores = [float(r["score"]) for r in scored]
    tops = [r["max_score"] for r in records if isinstance(r.get("max_score"), (int, float))]
    max_score = float(sum(p for _, p in questions) if questions else max(tops, default=0))
    mistakes = common_mistakes(records)
    counts = [len(who) for _, who in mistakes]
    figures = {"scores": scored and score_figure(scored, max_score),
               "rates": pass_rate_figure(scored, questions),
               "mistakes": mistakes and bar_figure([textwrap.fill(m, 45) for m, _ in mistakes], counts,
                                                   counts, VERMILLION, "students")}
    return TEMPLATES.get_template("report.html.j2").render(
        assignment=assignment, records=records, questions=questions, unreadable=unreadable,
        # Not graded first, then those needing review.
        attention=sorted((r for r in records if r["status"] in (NOT_GRADED, REVIEW)),
                         key=lambda r: (r["status"] != NOT_GRADED, r["student"])),
        count=Counter(r["status"] for r in records), scores=scores, max_score=max_score,
        mean=scores and np.mean(scores), median=scores and np.median(scores),
        figures=figures, mistakes=mistakes, top_mistakes=TOP_MISTAKES,
        written=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def write_reports(records, out_dir, assignment, questions, unreadable=()):
    """Write grades.csv, questions.csv and report.html into out_dir; return their paths.

    `unreadable`: load_records' sentences about skipped files, shown under "Needs your attention".
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    questions = [(str(g), float(p)) for g, p in questions]
    paths = [out_dir / "grades.csv", out_dir / "questions.csv", out_dir / "report.html"]
    _write_csv(paths[0], GRADES_COLUMNS, [[*_row(r), len(r.get("flags") or []),
                                           _text(" | ".join(r.get("notes") or []))] for r in records])
    _write_csv(paths[1], ["student", "status", *(g for g, _ in questions), "total"],
               [[_text(r["student"]), r["status"], *(_num(_cell_points(r).get(g)) for g, _ in questions),
                 _num(r.get("score"))] for r in records])
    paths[2].write_text(report_html(records, assignment, questions, unreadable), encoding="utf-8")
    return paths


class HonestExport(ExportPlugin):
    """`nbgrader export` from the grading records (EXPORT_COLUMNS), never 0 for what was not graded.

    Set by `c.ExportApp.plugin_class = "grader.report.HonestExport"`. A gradebook
    submission without a record is "graded" with nbgrader's score if `nbgrader
    autograde` wrote its graded notebook, else "not graded"; a student with no
    submission is "not submitted". Those two get an empty score.
    """

    def course_root(self):
        """The app's CourseDirectory.root, else the configured one, else the current folder."""
        root = getattr(getattr(self.parent, "coursedir", None), "root", "") \
            or self.config.get("CourseDirectory", {}).get("root")
        return Path(root) if root else Path.cwd()

    def export(self, gradebook):
        """Write one row per (assignment, student) to self.to (default grades.csv)."""
        dest, out = self.to or "grades.csv", self.course_root() / "grading_out"
        assignments = {a.name: a for a in gradebook.assignments}
        wanted, wanted_students = [str(a) for a in self.assignment], [str(s) for s in self.student]
        rows = []
        for name in sorted(set(assignments) | {p.parent.name for p in out.glob("*/records")}):
            if wanted and name not in wanted:
                continue
            problems = []
            records = {r["student"]: r for r in load_records(out / name, problems)}
            for problem in problems:
                self.log.warning("%s: %s", name, problem)
            assignment = assignments.get(name)
            # Every record, and every student of the gradebook when it knows the assignment.
            students = set(records) | ({s.id for s in gradebook.students} if assignment else set())
            rows += [[name, *_row(records.get(s) or self._unrecorded(gradebook, assignment, s))]
                     for s in sorted(students) if not wanted_students or s in wanted_students]
        self.log.info("Exporting %d rows to %s", len(rows), dest)
        _write_csv(dest, EXPORT_COLUMNS, rows)

    def _unrecorded(self, gradebook, assignment, student):
        """A stand-in record, from the gradebook, for a student `make grade` has no record of."""
        score = None
        try:
            submission = gradebook.find_submission(assignment.name, student)
        except MissingEntry:
            status, reason = "not submitted", "no submission in the gradebook"
        else:
            # Trust plain `nbgrader autograde`'s score only if it wrote the graded notebook:
            # a submission it failed on keeps a gradebook row that reads 0.
            if any((self.course_root() / "autograded_out" / student / assignment.name).glob("*.ipynb")):
                status, score = GRADED, submission.score
                reason = "graded by nbgrader autograde, not by make grade"
            else:
                status, reason = NOT_GRADED, "nbgrader has no graded notebook for it"
        return {"student": student, "status": status, "score": score,
                "max_score": assignment.max_score, "reasons": [reason]}
