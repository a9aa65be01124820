"""Does "Test yourself" ask 10 questions across difficulties, grade at the end, and save?"""
import json
import random
import re
from collections import Counter
from datetime import date

import nbformat
import pytest

from helpers.quiz import SelfTest, bank_names, load_bank, show_progress, show_test
from helpers.quiz.bank import Bank
from helpers.quiz.progress import Progress
from helpers.quiz.sections import heading_anchor, section_link, sections
from helpers.quiz.selftest import FRONT_DOOR, draw_test, quotas, lessons_to_test, verdict
from helpers.quiz.sequence import Message
from labtools import isolated_progress  # noqa: F401
from quizanswers import answer

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]
LESSONS = [name for name in bank_names() if name != FRONT_DOOR]


def lesson_pool(names=LESSONS):
    return [(name, q) for name in names for q in load_bank(name).questions if q.scored]


def forward(test):
    """Press Next (or Finish) on the question shown."""
    next(b for b in test.stage.children[0].children[2].children
         if "quiz-next" in b._dom_classes).click()


def take(test, right):
    """Start `test` and answer its questions: right[i] says whether question i is answered right."""
    test.start()
    for i, is_right in enumerate(right):
        assert f"Question {i + 1} of {len(right)}" in test.status.value
        answer(test.inputs[i], is_right)
        forward(test)


@pytest.mark.parametrize("n", range(1, 21))
def test_quotas_follow_3_4_3_per_10_and_sum_to_n(n):
    counts = quotas(n)
    assert sum(counts.values()) == n
    assert quotas(10) == {"easy": 3, "medium": 4, "hard": 3}
    assert all(abs(counts[d] - n * share / 10) < 1 for d, share in (("easy", 3), ("medium", 4),
                                                                      ("hard", 3)))


def test_a_draw_has_ten_scored_questions_easy_first_from_several_lessons():
    drawn = draw_test(lesson_pool(), 10, random.Random(0))
    levels = [q.difficulty for _, q in drawn]
    assert Counter(levels) == {"easy": 3, "medium": 4, "hard": 3}
    assert levels == sorted(levels, key=["easy", "medium", "hard"].index)
    assert len({(lesson, q.id) for lesson, q in drawn}) == 10
    assert all(q.scored for _, q in drawn)
    assert len({lesson for lesson, _ in drawn}) == len(LESSONS)  # spread over the lessons


def test_a_retake_prefers_questions_not_asked_before():
    pool = lesson_pool()
    first = draw_test(pool, 10, random.Random(0))
    asked = {(lesson, q.id): 0 for lesson, q in first}
    second = draw_test(pool, 10, random.Random(0), asked)
    assert not {(lesson, q.id) for lesson, q in second} & set(asked)


def test_a_small_pool_gives_every_question_once():
    pool = lesson_pool(["01_overfitting_metrics"])[:4]
    assert sorted(q.id for _, q in draw_test(pool, 10, random.Random(1))) == sorted(
        q.id for _, q in pool)


def test_the_test_draws_from_the_lessons_opened_else_from_all(isolated_progress):
    store = Progress(isolated_progress)
    assert lessons_to_test(store) == LESSONS
    store.mark_opened("03_l2_by_hand")
    store.record("01_overfitting_metrics", "x", {"score": 1.0})
    assert lessons_to_test(store) == ["01_overfitting_metrics", "03_l2_by_hand"]
    assert lessons_to_test(store, "04_param_groups") == ["04_param_groups"]


def test_verdicts_name_the_thresholds():
    assert [verdict(x) for x in (1.0, 0.8, 0.79, 0.5, 0.49, 0.0)] == [
        "strong", "strong", "review", "review", "not yet", "not yet"]


def test_no_feedback_until_the_end_then_score_verdicts_and_explanations(isolated_progress):
    test = SelfTest(seed=3, progress=Progress(isolated_progress))
    assert test.stage.children == ()  # nothing is asked before Start
    right = [True, True, False, True, False, True, True, False, False, True]
    test.start()
    for i, is_right in enumerate(right):
        answer(test.inputs[i], is_right)
        shown = test.stage.children[0]
        feedback = next(w for w in shown.children if "quiz-feedback" in w._dom_classes)
        assert feedback.value == ""  # no word on right or wrong while the test runs
        forward(test)
    assert test.points() == 6
    page = test.results_html
    assert "Score: 6 of 10 (60%)" in page
    for lesson, topic, pts, k, word in test.topic_scores():
        assert f"<strong>{word}</strong>" in page and word == verdict(pts / k)
        assert section_link(lesson, topic)[0] in page
    for (_, q), is_right in zip(test.asked, right):
        assert ("Right." if is_right else "Not right.") in page
    assert page.count("The answer:") == 10  # every question's answer and explanation
    assert test.start_button.description == "Take another test"


def test_an_attempt_is_saved_and_moves_review_boxes(isolated_progress):
    test = SelfTest(seed=5, progress=Progress(isolated_progress))
    take(test, [True] * 5 + [False] * 5)
    saved = json.loads(isolated_progress.read_text())
    [attempt] = saved["tests"]
    assert (attempt["score"], attempt["total"], attempt["scope"]) == (5, 10, "course")
    assert [q["status"] for q in attempt["questions"]] == ["right"] * 5 + ["wrong"] * 5
    today = date.today().isoformat()
    for (lesson, q), is_right in zip(test.asked, [True] * 5 + [False] * 5):
        state = saved["review"][f"{lesson}/{q.id}"]
        assert state["box"] == (2 if is_right else 1)
        assert (state["due"] > today) if is_right else (state["due"] == today)


def test_a_retake_asks_other_questions(isolated_progress):
    test = SelfTest(seed=7, progress=Progress(isolated_progress))
    take(test, [False] * 10)
    first = {(lesson, q.id) for lesson, q in test.asked}
    test.start_button.click()  # "Take another test"
    assert not first & {(lesson, q.id) for lesson, q in test.asked}


def test_a_typo_in_a_number_is_caught_before_moving_on(isolated_progress):
    pool = [(lesson, q) for lesson, q in lesson_pool() if q.type == "numeric"]
    test = SelfTest(seed=0, progress=Progress(isolated_progress))
    test.pool, test.n = pool[:2], 2
    test.start()
    test.inputs[0].text.value = "zero point seven"
    forward(test)
    assert "Question 1 of 2" in test.status.value
    assert "is not a number I can read" in test.format_note.value
    test.inputs[0].text.value = ""  # an empty answer is allowed: it scores 0
    forward(test)
    assert "Question 2 of 2" in test.status.value


def test_one_lesson_test_and_a_back_button(isolated_progress):
    test = SelfTest("04_param_groups", seed=0, progress=Progress(isolated_progress))
    test.start()
    assert {lesson for lesson, _ in test.asked} == {"04_param_groups"}
    forward(test)
    back = test.stage.children[0].children[2].children[0]
    assert "quiz-back" in back._dom_classes and not back.disabled
    back.click()
    assert "Question 1 of 10" in test.status.value


@pytest.mark.parametrize("args", [("no_such_lesson",), ("01_overfitting_metrics", 0)])
def test_bad_input_gives_one_line_not_a_traceback(args, capsys):
    shown = show_test(*args)
    assert isinstance(shown, Message) and "\n" not in shown.text
    assert "no quiz called" in shown.text or "n must be" in shown.text


def test_a_bank_with_nothing_scored_gives_one_line(monkeypatch):
    bank = load_bank("01_overfitting_metrics")
    reflections = Bank(bank.name, bank.path, bank.title,
                       tuple(q for q in bank.questions if not q.scored))
    monkeypatch.setattr("helpers.quiz.selftest.load_bank", lambda name: reflections)
    shown = show_test("01_overfitting_metrics")
    assert isinstance(shown, Message) and "no scored questions" in shown.text


def test_show_progress_charts_the_attempts(isolated_progress):
    store = Progress(isolated_progress)
    for score in (4, 7):
        store.add_test({"date": "2026-12-01T10:00:00+00:00", "scope": "course",
                        "score": score, "total": 10, "questions": []})
    summary = show_progress()
    page = summary._repr_html_()
    assert [t["score"] for t in summary.tests] == [4, 7]
    assert "4 of 10" in page and "7 of 10" in page
    assert re.search(r"alt='Test scores in order: 40%, 70%'", page)


def test_every_topic_links_to_a_heading_that_exists():
    for name in bank_names():
        topics = {q.topic for q in load_bank(name).questions}
        assert topics <= set(sections().get(name, {})), f"{name}: topics without a section"
        nb = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)
        headings = {line.lstrip("#").strip() for c in nb.cells if c.cell_type == "markdown"
                    for line in c.source.splitlines() if line.startswith("#")}
        for topic in topics:
            assert sections()[name][topic] in headings, f"{name}: no heading for {topic}"
            href, _ = section_link(name, topic)
            assert href == f"{name}.ipynb#{heading_anchor(sections()[name][topic])}"
            assert " " not in href


def test_odd_saved_attempts_never_break_a_retake_or_the_summary(isolated_progress):
    store = Progress(isolated_progress)
    store.add_test({"score": "high", "total": 10, "questions": [{"id": "x"}, "not a dict"]})
    store.add_test({"total": 0})
    test = SelfTest(seed=0, progress=store)
    test.start()
    assert len(test.inputs) == 10
    assert "quiz-tests" not in show_progress()._repr_html_()


def test_validate_reports_a_topic_without_a_section(monkeypatch):
    from helpers.quiz import sections as sections_module
    from helpers.quiz.sections import section_problems

    bank = load_bank("02_weight_decay")
    assert section_problems(bank) == []
    monkeypatch.setattr(sections_module, "sections", lambda: {"02_weight_decay": {}})
    assert [p.split("'")[1] for p in section_problems(bank)] == ["adam-vs-adamw", "weight-decay"]
