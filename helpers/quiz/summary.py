"""Summarise saved quiz progress per lesson and per topic, and the test attempts, with charts.

Mastery of a topic is the mean *first-try* score of the questions of that
topic the learner has answered: retrying until right is encouraged, but it
should not make a topic look mastered. A question whose answer was revealed
before any attempt counts 0. Reflections are not scored.
"""
import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path

from helpers.quiz.bank import bank_names, load_bank
from helpers.quiz.progress import get_progress
from helpers.quiz.render import execution_count


@dataclass(frozen=True)
class LessonProgress:
    """Saved progress on one lesson's quiz (scored questions only)."""
    lesson: str
    title: str
    questions: int
    answered: int
    points: float            # latest scores; revealed answers count 0
    first_try_points: float


@dataclass(frozen=True)
class TopicMastery:
    """Mastery of one topic across the lessons summarised."""
    topic: str
    questions: int
    answered: int
    mastery: float | None    # mean first-try score of the answered ones; None if none


def summarize(lesson=None, progress=None):
    """Compute progress per lesson and mastery per topic.

    Args:
        lesson: one bank name, or None for the whole course.
        progress: a Progress (default: the learner's progress file).
    Returns:
        (list of LessonProgress, list of TopicMastery sorted by topic).
    """
    progress = progress if progress is not None else get_progress()
    progress.refresh()
    lessons, topics = [], {}
    for name in [lesson] if lesson else bank_names():
        bank = load_bank(name)
        saved = progress.entries(name)
        answered = points = first = 0
        scored = [q for q in bank.questions if q.scored]
        for q in scored:
            t = topics.setdefault(q.topic, {"questions": 0, "answered": 0, "first": 0.0})
            t["questions"] += 1
            entry = saved.get(q.id)
            if not entry or entry.get("score") is None:
                continue
            first_score = entry.get("first_score") or 0.0
            answered += 1
            points += 0.0 if entry.get("revealed") else entry["score"]
            first += first_score
            t["answered"] += 1
            t["first"] += first_score
        lessons.append(LessonProgress(name, bank.title, len(scored), answered, points, first))
    mastery = [TopicMastery(topic, t["questions"], t["answered"],
                            t["first"] / t["answered"] if t["answered"] else None)
               for topic, t in sorted(topics.items())]
    return lessons, mastery


def mastery_figure(mastery):
    """Return a matplotlib Figure: one horizontal bar per topic (first-try mastery)."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no backend needed

    fig = Figure(figsize=(7, 0.5 * len(mastery) + 1.3), layout="constrained")
    ax = fig.subplots()
    names = [m.topic for m in mastery]
    values = [m.mastery or 0.0 for m in mastery]
    ax.barh(names, values, color="#3b75af")
    for y, m in enumerate(mastery):
        label = (f"{m.mastery:.0%} ({m.answered} of {m.questions} answered)"
                 if m.answered else f"not started (0 of {m.questions})")
        ax.text(0.01, y, label, va="center", ha="left", fontsize=9,
                color="white" if (m.mastery or 0) > 0.45 else "black")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("first-try score on answered questions")
    ax.set_title("Mastery by topic")
    return fig


def tests_figure(attempts):
    """Return a small matplotlib Figure: each test attempt's score (%), in order."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 2.4), layout="constrained")
    ax = fig.subplots()
    xs = range(1, len(attempts) + 1)
    ys = [100 * a["score"] / a["total"] for a in attempts]
    ax.plot(xs, ys, marker="o", color="#3b75af")
    ax.set_xticks(list(xs), [a["date"][:10] for a in attempts], rotation=30, fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("score (%)")
    ax.set_title("Test yourself: your attempts")
    return fig


def tests_html(attempts):
    """Return the test attempts as a table and a chart (with a text alternative), or ""."""
    attempts = [a for a in attempts  # a hand-edited file must not break the summary
                if isinstance(a.get("total"), int) and a["total"] > 0
                and isinstance(a.get("score"), (int, float))]
    if not attempts:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(str(a.get('date', ''))[:16].replace('T', ' '))}</td>"
        f"<td>{html.escape(str(a.get('scope', '')))}</td>"
        f"<td>{round(a['score'], 2):g} of {a['total']}</td></tr>" for a in attempts)
    alt = "Test scores in order: " + ", ".join(
        f"{100 * a['score'] / a['total']:.0f}%" for a in attempts)
    img = _figure_png(tests_figure(attempts))
    return ("<table class='quiz-tests'><caption>Test yourself: your attempts</caption><tr>"
            "<th scope='col'>date (UTC)</th><th scope='col'>lessons</th>"
            f"<th scope='col'>score</th></tr>{rows}</table>"
            f"<img alt='{html.escape(alt, quote=True)}' src='data:image/png;base64,{img}'>")


def _figure_png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def progress_html(lessons, mastery, path, attempts=()):
    """Return the summary as HTML: a lesson table, the mastery chart and the test attempts."""
    rows = "".join(
        f"<tr><td>{html.escape(p.lesson)}</td><td>{p.answered} of {p.questions}</td>"
        f"<td>{round(p.points, 2):g}</td><td>{round(p.first_try_points, 2):g}</td></tr>"
        for p in lessons)
    alt = "Mastery by topic: " + "; ".join(
        f"{m.topic} {m.mastery:.0%} ({m.answered} of {m.questions} answered)" if m.answered
        else f"{m.topic} not started" for m in mastery)
    img = _figure_png(mastery_figure(mastery))
    return (f"<div class='quiz-progress'><p>Progress file: <code>{html.escape(str(path))}"
            "</code></p><table><tr><th scope='col'>quiz</th><th scope='col'>answered</th>"
            "<th scope='col'>score</th><th scope='col'>first-try score</th></tr>"
            f"{rows}</table><img alt='{html.escape(alt, quote=True)}' "
            f"src='data:image/png;base64,{img}'>{tests_html(attempts)}</div>")


@dataclass
class ProgressSummary:
    """What show_progress shows: per-lesson progress, topic mastery, tests, the file used."""
    lessons: list
    topics: list
    path: Path
    tests: list = field(default_factory=list)
    notices: list = field(default_factory=list)
    _shown_in: object = field(default=None, repr=False)

    def _repr_html_(self):
        notes = "".join(f"<p class='quiz-notice'>{html.escape(n)}</p>" for n in self.notices)
        return notes + progress_html(self.lessons, self.topics, self.path, self.tests)

    def _ipython_display_(self):
        from IPython.display import HTML, display

        # show_progress displays the summary and returns it; do not show it
        # twice when that call is the last line of a cell.
        count = execution_count()
        if count is not None and count == self._shown_in:
            return
        self._shown_in = count
        display(HTML(self._repr_html_()))


def show_progress(lesson=None):
    """Show the learner's progress: per lesson, mastery by topic, and test attempts.

    Args:
        lesson: one bank name, or None (default) for the whole course.
    Returns:
        ProgressSummary, with .lessons (LessonProgress list) and .topics
        (TopicMastery list) as from summarize(), and .tests (the saved test
        attempts, charted below the mastery bars).
    """
    from IPython.display import display

    progress = get_progress()
    lessons, mastery = summarize(lesson, progress)
    summary = ProgressSummary(lessons, mastery, progress.path, progress.tests(),
                              list(progress.notices))
    display(summary)
    return summary
