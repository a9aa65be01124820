"""Write what an instructor reads after grading: two CSV files and one HTML report.

    from grader.report import load_records, write_reports
    records = load_records(out_dir)      # out_dir = grading_out/<assignment>
    paths = write_reports(records, out_dir, assignment, questions)

`questions` is the ordered list of (grade_id, max_points) of the assignment's
graded test cells. Three files land in out_dir:

- grades.csv: one row per submission: student, status, score, max_score,
  reasons, flagged_lines, notes. The score is empty, never 0, when a
  submission was not graded, so "not graded" cannot pass for "everything failed".
- questions.csv: one row per submission: student, status, the points of each
  graded test cell (in `questions` order), total.
- report.html: one self-contained page (figures inlined as PNG): the summary,
  the submissions that need a look, the score spread, full marks per question,
  the most common diagnosed mistakes, and every submission.

`HonestExport` is an `nbgrader export` plugin that writes the same honest
statuses and scores for every assignment, from the records in grading_out/:
    c.ExportApp.plugin_class = "grader.report.HonestExport"
"""
import base64
import csv
import html
import io
import json
import logging
import re
import statistics
import textwrap
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

log = logging.getLogger(__name__)

STATUSES = ("graded", "needs review", "not graded")
# Okabe-Ito: distinguishable with the common forms of colour blindness.
BLUE, ORANGE, VERMILLION = "#0072B2", "#E69F00", "#D55E00"
GRADES_COLUMNS = ["student", "status", "score", "max_score", "reasons", "flagged_lines", "notes"]
EXPORT_COLUMNS = ["assignment", "student_id", "status", "score", "max_score", "reasons"]
TOP_MISTAKES = 10


# ---------------------------------------------------------------- reading records

def load_records(out_dir, problems=None):
    """Read every records/<student>.json under out_dir, sorted by student.

    A file that is not a readable record is skipped, logged, and described in
    one sentence appended to `problems` (a list) when one is given, so the
    caller can show it: a skipped file is a submission missing from the report.
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
            log.warning("grading record %s", message)
            if problems is not None:
                problems.append(message)
            continue
        records.append(record)
    return sorted(records, key=lambda r: r["student"])


def _record_problem(record):
    """Say why a parsed JSON value is not a usable record, or return None."""
    if not isinstance(record, dict):
        return "is not a JSON object"
    if not isinstance(record.get("student"), str) or not record["student"]:
        return "has no student"
    if record.get("status") not in STATUSES:
        return f"has an unknown status {record.get('status')!r}"
    if record.get("score") is not None and not isinstance(record["score"], (int, float)):
        return "has a score that is not a number"
    return None


def _number(value):
    """Format a score for people and spreadsheets: 7, 7.5, 0; None becomes ''."""
    if value is None:
        return ""
    return f"{round(float(value), 2):g}"


def _points(value):
    """'1 pt', '2 pts'."""
    return f"{_number(value)} pt{'' if value == 1 else 's'}"


def _scored(records):
    """The records with a score (graded or needing review)."""
    return [r for r in records if r.get("score") is not None]


def _cell_points(record):
    """{grade_id: points or None} of one record."""
    return {c.get("id"): c.get("points") for c in record.get("cells") or []}


def _max_score(records, questions):
    if questions:
        return float(sum(points for _, points in questions))
    tops = [r["max_score"] for r in records if isinstance(r.get("max_score"), (int, float))]
    return float(max(tops)) if tops else 0.0


def _first_sentence(diagnosis):
    """'Diagnosis: the 1/2 factor. The contract ...' -> 'the 1/2 factor'."""
    text = diagnosis.split("Diagnosis:", 1)[-1].strip()
    # A sentence ends at . ! or ? followed by a space; "0.5" and "1/2" stay whole.
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first.rstrip(".").strip()


def _diagnoses(record):
    """The record's 'Diagnosis:' lines, in order."""
    return [d for d in record.get("diagnoses") or [] if isinstance(d, str) and "Diagnosis:" in d]


# ---------------------------------------------------------------- CSV

def _spreadsheet_text(value):
    """Keep a spreadsheet from running text as a formula (text starting with = + - @)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _write_csv(path, header, rows):
    # newline="" lets the csv module write its own line ends (RFC 4180), as its docs ask.
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_grades_csv(records, path):
    """Write grades.csv: one row per submission, an empty score when not graded."""
    rows = [[_spreadsheet_text(r["student"]), r["status"], _number(r.get("score")),
             _number(r.get("max_score")),
             _spreadsheet_text(" | ".join(r.get("reasons") or [])),
             len(r.get("flags") or []),
             _spreadsheet_text(" | ".join(r.get("notes") or []))]
            for r in records]
    _write_csv(path, GRADES_COLUMNS, rows)


def write_questions_csv(records, questions, path):
    """Write questions.csv: the points of each graded test cell per submission, then the total."""
    rows = []
    for r in records:
        points = _cell_points(r)
        rows.append([_spreadsheet_text(r["student"]), r["status"],
                     *(_number(points.get(grade_id)) for grade_id, _ in questions),
                     _number(r.get("score"))])
    _write_csv(path, ["student", "status", *(grade_id for grade_id, _ in questions), "total"], rows)


# ---------------------------------------------------------------- figures

def _png(fig):
    """Render a figure to a base64 PNG <img> tag (Agg, no display, no pyplot state)."""
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    # Figures made with Figure() are not tracked by pyplot: dropping the reference frees them.
    fig.clear()
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="">'


def _style(ax):
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_axisbelow(True)


def score_figure(records, max_score):
    """Histogram of the scores, submissions needing review stacked on top in hatched orange."""
    graded = [float(r["score"]) for r in records if r["status"] == "graded" and r.get("score") is not None]
    review = [float(r["score"]) for r in records
              if r["status"] == "needs review" and r.get("score") is not None]
    top = max([max_score, *graded, *review])
    # One bar per possible score when points are whole numbers (the usual case), else halves.
    step = 1.0 if all(s == int(s) for s in graded + review) else 0.5
    if top / step > 40:
        step = top / 20
    edges = np.arange(-step / 2, top + step, step)
    fig = Figure(figsize=(7, 3.2))
    ax = fig.subplots()
    counts_graded, _ = np.histogram(graded, edges)
    counts_review, _ = np.histogram(review, edges)
    centres, width = edges[:-1] + step / 2, step * 0.9
    ax.bar(centres, counts_graded, width, color=BLUE, label=f"graded ({len(graded)})")
    ax.bar(centres, counts_review, width, bottom=counts_graded, color=ORANGE, hatch="//",
           edgecolor="black", linewidth=0.5, label=f"needs review ({len(review)})")
    ax.set_xlabel(f"score (out of {_number(max_score)})")
    ax.set_ylabel("submissions")
    ax.set_xlim(edges[0], edges[-1])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color="#dddddd")
    ax.legend(frameon=False, loc="upper left")  # scores bunch up on the right
    _style(ax)
    return _png(fig)


def pass_rate(records, questions):
    """[(grade_id, max_points, full marks, scored)] per graded test cell."""
    rates = []
    for grade_id, top in questions:
        earned = [p for p in (_cell_points(r).get(grade_id) for r in records) if p is not None]
        full = sum(1 for p in earned if p >= top - 1e-9)
        rates.append((grade_id, top, full, len(earned)))
    return rates


def pass_rate_figure(rates):
    """One horizontal bar per graded test cell: the share of scored submissions with full marks."""
    fig = Figure(figsize=(7, 0.45 * len(rates) + 1.0))
    ax = fig.subplots()
    labels = [f"{grade_id} ({_points(top)})" for grade_id, top, _, _ in rates]
    shares = [100 * full / n if n else 0 for _, _, full, n in rates]
    ys = np.arange(len(rates))
    ax.barh(ys, shares, color=BLUE, height=0.6)
    for y, share, (_, _, full, n) in zip(ys, shares, rates):
        ax.text(share + 1, y, f"{full} of {n} ({share:.0f}%)" if n else "no scores",
                va="center", fontsize=9)
    ax.set_yticks(ys, labels)
    ax.invert_yaxis()  # first question on top, as in the notebook
    ax.set_xlim(0, 100)
    ax.set_xlabel("submissions with full marks (%)")
    ax.grid(axis="x", color="#dddddd")
    _style(ax)
    return _png(fig)


def common_mistakes(records):
    """[(first sentence of a diagnosis, [students])], most common first, at most TOP_MISTAKES."""
    students = defaultdict(list)
    for r in records:
        # A student counts once per mistake, even when two test cells diagnose it.
        for mistake in dict.fromkeys(_first_sentence(d) for d in _diagnoses(r)):
            students[mistake].append(r["student"])
    ranked = sorted(students.items(), key=lambda item: (-len(item[1]), item[0]))
    return ranked[:TOP_MISTAKES]


def mistakes_figure(mistakes):
    """Horizontal bars: how many students made each diagnosed mistake, most common on top."""
    fig = Figure(figsize=(7, 0.5 * len(mistakes) + 1.0))
    ax = fig.subplots()
    ys = np.arange(len(mistakes))
    counts = [len(students) for _, students in mistakes]
    ax.barh(ys, counts, color=VERMILLION, height=0.6)
    for y, count in zip(ys, counts):
        ax.text(count, y, f" {count}", va="center", fontsize=9)
    ax.set_yticks(ys, [textwrap.fill(m, 45) for m, _ in mistakes], fontsize=9)
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("students")
    ax.grid(axis="x", color="#dddddd")
    _style(ax)
    return _png(fig)


# ---------------------------------------------------------------- HTML

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.lost { color: #D55E00; font-weight: bold; }  /* Okabe-Ito vermillion */
.status { font-weight: bold; white-space: nowrap; padding: 0 0.4em; border-radius: 0.3em; }
.status-graded { background: #009E73; color: #fff; }
.status-needs-review { background: #E69F00; color: #000; }
.status-not-graded { background: #D55E00; color: #fff; }
pre { background: #f6f6f6; padding: 0.3em 0.5em; margin: 0.2em 0; white-space: pre-wrap; }
ul { margin: 0.2em 0; padding-left: 1.2em; } .muted { color: #666; }
th.question { font-size: 0.8em; max-width: 9em; }
"""


def _e(value):
    """HTML-escape anything, quotes included (learner-written text goes through here)."""
    return html.escape("" if value is None else str(value), quote=True)


def _status(status):
    return f'<span class="status status-{status.replace(" ", "-")}">{_e(status)}</span>'


def _score_text(record):
    if record.get("score") is None:
        return "no score"
    return f"{_number(record['score'])} / {_number(record.get('max_score'))}"


def summary_html(records, max_score):
    """The summary line: how many submissions in each state, mean and median score."""
    counts = Counter(r["status"] for r in records)
    n = len(records)
    line = (f"{n} submission{'' if n == 1 else 's'}: {counts['graded']} graded, "
            f"{counts['needs review']} need{'s' if counts['needs review'] == 1 else ''} review, "
            f"{counts['not graded']} not graded.")
    scores = [float(r["score"]) for r in _scored(records)]
    if scores:
        line += (f" Of the {len(scores)} with a score, the mean is {_number(statistics.mean(scores))}"
                 f" and the median {_number(statistics.median(scores))} out of {_number(max_score)}.")
    else:
        line += " No submission has a score yet."
    return f'<p class="summary">{_e(line)}</p>'


def _flags_html(flags):
    items = []
    for flag in flags:
        where = f"cell {_e(flag.get('cell'))}, line {_e(flag.get('line'))}"
        items.append(f"<li>{where}: <pre><code>{_e(flag.get('code'))}</code></pre>"
                     f"{_e(flag.get('why'))}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else '<span class="muted">none</span>'


def attention_html(records, unreadable=()):
    """The table of submissions to look at: not graded first, then those needing review."""
    order = {"not graded": 0, "needs review": 1}
    rows = sorted((r for r in records if r["status"] in order),
                  key=lambda r: (order[r["status"]], r["student"]))
    parts = ["<h2>Needs your attention</h2>"]
    if rows:
        parts.append("<p>These submissions were not graded, or were graded but need you to check "
                     "them before the score counts.</p>")
        parts.append('<table id="attention"><tr><th>student</th><th>status</th><th>score</th>'
                     "<th>why</th><th>flagged lines in the submission</th></tr>")
        for r in rows:
            reasons = "".join(f"<li>{_e(x)}</li>" for x in r.get("reasons") or [])
            parts.append(f'<tr><td class="student">{_e(r["student"])}</td><td>{_status(r["status"])}</td>'
                         f'<td class="num">{_e(_score_text(r))}</td><td><ul>{reasons}</ul></td>'
                         f"<td>{_flags_html(r.get('flags') or [])}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>Nothing: every submission was graded.</p>")
    if unreadable:
        items = "".join(f"<li>{_e(x)}</li>" for x in unreadable)
        parts.append(f"<p>Grading records that could not be read (those submissions are missing "
                     f"from this report):</p><ul>{items}</ul>")
    return "\n".join(parts)


def figures_html(records, questions, max_score):
    """The three figures, each with a sentence saying what it shows, or why it is absent."""
    scored = _scored(records)
    parts = ["<h2>How the scores are spread</h2>"]
    if scored:
        parts.append(score_figure(records, max_score))
        parts.append("<p>Submissions with a score. Orange hatched bars need review: their score "
                     "may change.</p>")
    else:
        parts.append("<p>No submission has a score yet.</p>")
    parts.append("<h2>Full marks per question</h2>")
    rates = pass_rate(scored, questions)
    if rates and any(n for *_, n in rates):
        parts.append(pass_rate_figure(rates))
        parts.append("<p>For each graded test cell (its points in brackets), the share of "
                     "submissions with a score that got all its points.</p>")
    else:
        parts.append("<p>No test cell has been scored yet.</p>")
    parts.append("<h2>Most common mistakes</h2>")
    mistakes = common_mistakes(records)
    if mistakes:
        parts.append(mistakes_figure(mistakes))
        parts.append(f"<p>The mistakes the checks recognised (at most {TOP_MISTAKES}), by the first "
                     "sentence of their diagnosis; a student counts once per mistake.</p>")
        parts.append('<table id="mistakes"><tr><th>mistake</th><th>students</th><th>who</th></tr>')
        for mistake, students in mistakes:
            parts.append(f"<tr><td>{_e(mistake)}</td><td class=\"num\">{len(students)}</td>"
                         f"<td>{_e(', '.join(students))}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>No mistake was diagnosed.</p>")
    return "\n".join(parts)


def students_html(records, questions):
    """The full table, one row per submission, sorted by student."""
    heads = "".join(f'<th class="question">{_e(g).replace("_", "_<wbr>")}<br>'
                    f'<span class="muted">{_e(_points(p))}</span></th>' for g, p in questions)
    parts = ["<h2>Every submission</h2>",
             f'<table id="students"><tr><th>student</th><th>status</th><th>score</th>{heads}'
             "<th>first diagnosed mistake</th></tr>"]
    for r in records:
        points = _cell_points(r)
        cells = []
        for grade_id, top in questions:
            p = points.get(grade_id)
            lost = ' lost' if p is not None and p < top - 1e-9 else ''
            cells.append(f'<td class="num{lost}">{_e(_number(p)) if p is not None else "–"}</td>')
        diagnoses = _diagnoses(r)
        first = (f'<span title="{_e(diagnoses[0])}">{_e(_first_sentence(diagnoses[0]))}</span>'
                 if diagnoses else "")
        parts.append(f'<tr><td class="student">{_e(r["student"])}</td><td>{_status(r["status"])}</td>'
                     f'<td class="num">{_e(_score_text(r))}</td>{"".join(cells)}<td>{first}</td></tr>')
    parts.append("</table>")
    return "\n".join(parts)


def report_html(records, assignment, questions, unreadable=()):
    """The whole report page as one string."""
    max_score = _max_score(records, questions)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Grading report: {_e(assignment)}</title><style>{CSS}</style></head><body>",
        f"<h1>Grading report: {_e(assignment)}</h1>",
        summary_html(records, max_score),
        attention_html(records, unreadable),
        figures_html(records, questions, max_score),
        students_html(records, questions),
        f'<p class="muted">Written {when}. A dash means the test cell has no points: the '
        "submission was not graded.</p>",
        "</body></html>", ""])


def write_reports(records, out_dir, assignment, questions, unreadable=()):
    """Write grades.csv, questions.csv and report.html into out_dir; return their paths.

    `unreadable`: the sentences load_records gave for record files it skipped,
    listed under "Needs your attention".
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    questions = [(str(g), float(p)) for g, p in questions]
    paths = [out_dir / "grades.csv", out_dir / "questions.csv", out_dir / "report.html"]
    write_grades_csv(records, paths[0])
    write_questions_csv(records, questions, paths[1])
    paths[2].write_text(report_html(records, assignment, questions, unreadable), encoding="utf-8")
    return paths


# ---------------------------------------------------------------- nbgrader export

class HonestExport(ExportPlugin):
    """Export grades from the grading records: an empty score, never 0, for what was not graded.

    Use: `nbgrader export --ExportApp.plugin_class=grading.report.HonestExport`
    (or set it in nbgrader_config.py). Columns: assignment, student_id, status,
    score, max_score, reasons. A submission in the gradebook without a record
    is "graded" with nbgrader's score if `nbgrader autograde` wrote its graded
    notebook, else "not graded"; a student with no submission is "not
    submitted". Both of those get an empty score.
    """

    def course_root(self):
        """The course folder: the app's CourseDirectory.root, its config, or the current folder."""
        coursedir = getattr(self.parent, "coursedir", None)
        if coursedir is not None and getattr(coursedir, "root", ""):
            return Path(coursedir.root)
        root = self.config.get("CourseDirectory", {}).get("root")
        return Path(root) if root else Path.cwd()

    def export(self, gradebook):
        """Write one row per (assignment, student) to self.to (default grades.csv)."""
        dest = self.to or "grades.csv"
        out = self.course_root() / "grading_out"
        wanted_assignments = [str(a) for a in self.assignment]
        wanted_students = [str(s) for s in self.student]
        names = {a.name: a for a in gradebook.assignments}
        on_disk = {p.parent.name for p in out.glob("*/records")} if out.is_dir() else set()
        rows = []
        for name in sorted(set(names) | on_disk):
            if wanted_assignments and name not in wanted_assignments:
                continue
            problems = []
            records = {r["student"]: r for r in load_records(out / name, problems)}
            for problem in problems:
                self.log.warning("%s: %s", name, problem)
            rows += self._rows(gradebook, name, names.get(name), records, wanted_students)
        self.log.info("Exporting %d rows to %s", len(rows), dest)
        _write_csv(dest, EXPORT_COLUMNS, rows)

    def _rows(self, gradebook, name, assignment, records, wanted_students):
        """The rows of one assignment, sorted by student."""
        students = set(records)
        if assignment is not None:
            students |= {s.id for s in gradebook.students}
        rows = []
        for student in sorted(students):
            if wanted_students and student not in wanted_students:
                continue
            record = records.get(student)
            if record is not None:
                rows.append([name, _spreadsheet_text(student), record["status"],
                             _number(record.get("score")), _number(record.get("max_score")),
                             _spreadsheet_text(" | ".join(record.get("reasons") or []))])
                continue
            score = ""
            try:
                submission = gradebook.find_submission(name, student)
            except MissingEntry:
                status, reason = "not submitted", "no submission in the gradebook"
            else:
                # Graded by plain `nbgrader autograde`: trust its score only if it wrote the
                # graded notebook, since a submission it failed on keeps a row that reads 0.
                graded = self.course_root() / "autograded_out" / student / name
                if graded.is_dir() and any(graded.glob("*.ipynb")):
                    status, reason = "graded", "graded by nbgrader autograde, not by make grade"
                    score = _number(submission.score)
                else:
                    status, reason = "not graded", "nbgrader has no graded notebook for it"
            rows.append([name, _spreadsheet_text(student), status, score,
                         _number(assignment.max_score), reason])
        return rows
