"""What an instructor reads after grading: grades.csv, questions.csv, report.html (worded by templates/), and the
same statuses for `nbgrader export`. A score is empty, never 0, when not graded: "not graded" is not "all failed"."""
import csv
import json
import logging
import re
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import numpy as np
from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

from grader.course import GRADED, NOT_GRADED, STATUSES

GRADES_COLUMNS = ["student", "status", "score", "max_score", "reasons", "flagged_lines", "notes"]
EXPORT_COLUMNS = ["assignment", "student_id", "status", "score", "max_score", "reasons"]
TOP_MISTAKES = 10


def load_records(out_dir):
    """The usable records/<student>.json under out_dir, by student; a file skipped is logged, saying why."""
    records = []
    for path in sorted(Path(out_dir, "records").glob("*.json")):
        try:
            r = json.loads(path.read_text(encoding="utf-8"))
            why = ("is not a JSON object" if not isinstance(r, dict)
                   else "has no student" if not isinstance(r.get("student"), str) or not r["student"]
                   else f"has an unknown status {r.get('status')!r}" if r.get("status") not in STATUSES
                   else None if isinstance(r.get("score"), (int, float, type(None))) else "has a non-numeric score")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            why = f"could not be read ({exc})"
        if why:
            logging.getLogger(__name__).warning("grading record %s %s; its submission is left out of the reports.",
                                                path, why)
        else:
            records.append(r)
    return sorted(records, key=lambda r: r["student"])


def _num(value):  # a score for people and spreadsheets: 7, 7.5, 0; no score (None) is ''
    return "" if value is None else f"{round(float(value), 2):g}"


def _cell_points(record):
    return {c.get("id"): c.get("points") for c in record.get("cells") or []}  # None: not graded


def _mistakes(record):
    # (first sentence, diagnosis) per diagnosis, a sentence ending at . ! ? before a space ("0.5" stays whole)
    return [(re.split(r"(?<=[.!?])\s", d.split("Diagnosis:", 1)[-1].strip(), maxsplit=1)[0].rstrip(".").strip(), d)
            for d in record.get("diagnoses") or [] if isinstance(d, str) and "Diagnosis:" in d]


def _row(r):  # the columns of grades.csv; the export's are the first five
    return [r["student"], r["status"], _num(r.get("score")), _num(r.get("max_score")),
            " | ".join(r.get("reasons") or []), len(r.get("flags") or []), " | ".join(r.get("notes") or [])]


def _write_csv(path, header, rows):  # learner text starting = + - @ tab or CR: text, not a spreadsheet formula
    with open(path, "w", newline="", encoding="utf-8") as f:  # the csv module writes the line ends
        csv.writer(f).writerows([header, *([f"'{v}" if str(v)[:1] in "=+-@\t\r" and v != "" else v for v in row]
                                           for row in rows)])


def write_reports(records, out_dir, assignment, questions):
    """Write grades.csv, questions.csv and report.html (numbers here, words in the template); return their paths.
    `questions`: (grade_id, points) of the assignment's graded test cells (grader.course.questions_of)."""
    (out_dir := Path(out_dir)).mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "grades.csv", out_dir / "questions.csv", out_dir / "report.html"]
    _write_csv(paths[0], GRADES_COLUMNS, map(_row, records))
    _write_csv(paths[1], ["student", "status", *(g for g, _ in questions), "total"],
               [[r["student"], r["status"], *(_num(_cell_points(r).get(g)) for g, _ in questions),
                 _num(r.get("score"))] for r in records])
    scores = [float(r["score"]) for r in records if r.get("score") is not None]
    max_score = float(sum(p for _, p in questions))
    who = defaultdict(list)  # a student counts once per mistake, even when two test cells diagnose it
    for mistake, student in [(m, r["student"]) for r in records for m in dict.fromkeys(m for m, _ in _mistakes(r))]:
        who[mistake].append(student)
    mistakes = sorted(who.items(), key=lambda item: (-len(item[1]), item[0]))[:TOP_MISTAKES]
    # per graded test cell, the points of the scored submissions and how many are full marks
    earned = [[p for r in records if r.get("score") is not None and (p := _cell_points(r).get(g)) is not None]
              for g, _ in questions]
    full = [sum(p >= top - 1e-9 for p in points) for points, (_, top) in zip(earned, questions)]
    shares = [100 * f / len(points) if points else 0 for f, points in zip(full, earned)]
    # one row per possible score (halves if any score has them), the best on top, at most 41
    step = 1.0 if all(x == int(x) for x in scores) else 0.5
    step = top / 20 if (top := max([max_score, *scores])) / step > 40 else step
    rows = np.bincount([max(0, round(x / step)) for x in scores], minlength=round(top / step) + 1)
    # the charts, as (label, bar length in % of the chart's width, note): HTML and CSS, text a screen reader reads
    spread = [(_num(step * i), 100 * n / max(*rows, 1), n or "") for i, n in reversed(list(enumerate(rows)))]
    rates = [(f"{g} ({_num(top)} pt{'s' * (top != 1)})", s, f"{f} of {len(p)} ({s:.0f}%)" if p else "no scores")
             for (g, top), f, p, s in zip(questions, full, earned, shares)]
    paths[2].write_text(TEMPLATES.get_template("report.html.j2").render(
        assignment=assignment, records=records, questions=questions, scores=scores, max_score=max_score,
        mean=scores and np.mean(scores), median=scores and np.median(scores), spread=scores and spread,
        rates=any(earned) and rates, mistakes=mistakes, top_mistakes=TOP_MISTAKES,
        written=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")), encoding="utf-8")
    return paths


TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
                               autoescape=True, finalize=lambda value: "" if value is None else value,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
TEMPLATES.filters.update(num=_num, cell_points=_cell_points, mistakes=_mistakes)


class HonestExport(ExportPlugin):
    """`nbgrader export` from make grade's records. A gradebook submission without one is "graded" if nbgrader
    autograde wrote its graded notebook, else "not graded" (no score, never 0), and no submission "not submitted"."""

    def export(self, gradebook):
        root = Path(self.config.get("CourseDirectory", {}).get("root") or Path.cwd())  # as nbgrader's apps
        assignments, rows = {a.name: a for a in gradebook.assignments}, []
        for name in sorted(set(assignments) | {p.parent.name for p in root.glob("grading_out/*/records")}):
            if self.assignment and name not in map(str, self.assignment):  # --assignment
                continue
            records = {r["student"]: r for r in load_records(root / "grading_out" / name)}  # it logs what it skips
            assignment = assignments.get(name)  # with every record, every student of a gradebook assignment
            students = set(records) | ({s.id for s in gradebook.students} if assignment else set())
            rows += [[name, *_row(records.get(s) or self._unrecorded(gradebook, assignment, s, root))[:5]]
                     for s in sorted(students) if not self.student or s in map(str, self.student)]
        self.log.info("Exporting %d rows to %s", len(rows), self.to or "grades.csv")
        _write_csv(self.to or "grades.csv", EXPORT_COLUMNS, rows)

    def _unrecorded(self, gradebook, assignment, student, root):
        """A stand-in record from the gradebook, whose 0 for a notebook autograde failed on is no score."""
        row = {"student": student, "score": None, "max_score": assignment.max_score}
        try:
            score = gradebook.find_submission(assignment.name, student).score
        except MissingEntry:
            return {**row, "status": "not submitted", "reasons": ["no submission in the gradebook"]}
        if any((root / "autograded_out" / student / assignment.name).glob("*.ipynb")):
            return {**row, "status": GRADED, "score": score,
                    "reasons": ["graded by nbgrader autograde, not by make grade"]}
        return {**row, "status": NOT_GRADED, "reasons": ["nbgrader has no graded notebook for it"]}
