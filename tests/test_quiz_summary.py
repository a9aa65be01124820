"""Does the progress summary report each lesson and mastery by topic correctly?"""
import base64
import re

import pytest

from helpers.quiz import Quiz, load_bank, show_progress
from helpers.quiz.progress import get_progress
from helpers.quiz.schema import TOPICS
from helpers.quiz.summary import ProgressSummary, mastery_figure, summarize
from labtools import isolated_progress  # noqa: F401

LESSON = "01_overfitting_metrics"


def answer(quiz, qid, right):
    v = next(v for v in quiz.views if v.q.id == qid)
    v.input.value = v.q.right_indices[0] if right else next(
        i for i, o in enumerate(v.q.options) if not o.correct)
    v.check.click()


def test_mastery_uses_the_first_try_and_lessons_use_the_latest_score():
    quiz = Quiz(LESSON, seed=0)
    answer(quiz, "fraud-self-check", right=False)       # metrics: wrong first ...
    answer(quiz, "fraud-self-check", right=True)        # ... then right
    answer(quiz, "always-negative-predict", right=True)  # metrics: right first time
    answer(quiz, "overfitting-signature", right=True)    # overfitting: right first time
    lessons, topics = summarize()
    lesson = next(p for p in lessons if p.lesson == LESSON)
    assert (lesson.answered, lesson.points, lesson.first_try_points) == (3, 3.0, 2.0)
    bank = load_bank(LESSON)
    assert lesson.questions == len(bank.questions) - 1  # the reflection is not scored
    by_topic = {t.topic: t for t in topics}
    assert by_topic["metrics"].mastery == pytest.approx(0.5)
    assert by_topic["metrics"].answered == 2
    assert by_topic["overfitting"].mastery == 1.0
    assert by_topic["param-groups"].mastery is None  # not started
    only = summarize(LESSON)[0]
    assert [p.lesson for p in only] == [LESSON]


def test_show_progress_displays_a_table_and_a_described_bar_chart(isolated_progress):
    answer(Quiz(LESSON, seed=0), "fraud-self-check", right=True)
    summary = show_progress()
    assert isinstance(summary, ProgressSummary)
    page = summary._repr_html_()
    assert str(isolated_progress) in page
    scored = sum(q.scored for q in load_bank("01_overfitting_metrics").questions)
    assert re.search(rf"<td>01_overfitting_metrics</td><td>1 of {scored}</td>", page)
    alt = re.search(r"alt='([^']*)'", page).group(1)
    metrics_scored = sum(q.scored and q.topic == "metrics"
                         for q in load_bank("01_overfitting_metrics").questions)
    assert f"metrics 100% (1 of {metrics_scored} answered)" in alt
    assert "param-groups not started" in alt
    png = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", page).group(1))
    assert png.startswith(b"\x89PNG")


def test_the_chart_has_one_bar_per_topic():
    _, topics = summarize()
    fig = mastery_figure(topics)
    assert len(fig.axes[0].patches) == len(topics) == len(TOPICS)  # every topic has questions


def test_the_summary_mentions_when_progress_is_not_saved(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(blocker / "progress.json"))
    with pytest.warns(UserWarning):
        answer(Quiz(LESSON, seed=0), "fraud-self-check", right=True)
    summary = show_progress()
    assert "kept in memory only" in summary._repr_html_()
    assert summary.lessons[1].answered == 1  # still counted from memory
    assert get_progress().notices
