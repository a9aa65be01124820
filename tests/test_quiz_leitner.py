"""When does a question come back for review (Leitner boxes)?"""
from datetime import date, timedelta

from helpers.quiz.leitner import (INTERVAL_DAYS, after_answer, due, next_due, schedule,
                                  state_from_quiz)

DAY = date(2026, 12, 2)


def quiz_entry(first_score, days_ago=0, revealed=False, score=1.0):
    stamp = f"{(DAY - timedelta(days=days_ago)).isoformat()}T10:00:00+00:00"
    return {"score": score, "first_score": first_score, "revealed": revealed,
            "updated": stamp}


def test_a_question_missed_on_the_first_try_is_due_at_once():
    assert state_from_quiz(quiz_entry(0.0, days_ago=4), DAY) == {
        "box": 1, "due": "2026-11-28", "seen": "2026-11-28"}
    assert state_from_quiz(quiz_entry(1.0, revealed=True), DAY)["box"] == 1
    assert state_from_quiz(quiz_entry(0.5), DAY)["box"] == 1  # partly right is not right


def test_a_question_right_on_the_first_try_comes_back_after_box_2s_interval():
    state = state_from_quiz(quiz_entry(1.0, days_ago=1), DAY)
    assert state["box"] == 2
    assert state["due"] == (DAY - timedelta(days=1) + timedelta(days=INTERVAL_DAYS[1])).isoformat()


def test_reflections_and_unanswered_questions_are_never_reviewed():
    assert state_from_quiz({"score": None}, DAY) is None
    assert state_from_quiz(None, DAY) is None


def test_right_moves_up_one_box_wrong_goes_back_to_box_1():
    state = {"box": 1, "due": "2026-12-01", "seen": "2026-12-01"}
    for box in range(2, len(INTERVAL_DAYS) + 1):
        state = after_answer(state, True, DAY)
        assert state["box"] == box
        assert state["due"] == (DAY + timedelta(days=INTERVAL_DAYS[box - 1])).isoformat()
    assert after_answer(state, True, DAY)["box"] == len(INTERVAL_DAYS)  # the top box stays
    assert after_answer(state, False, DAY) == {"box": 1, "due": DAY.isoformat(),
                                               "seen": DAY.isoformat()}
    assert after_answer(None, True, DAY)["box"] == 2


def test_due_lists_the_overdue_first_and_next_due_finds_the_next_day():
    lessons = {"01": {"missed-long-ago": quiz_entry(0.0, days_ago=9),
                      "right-long-ago": quiz_entry(1.0, days_ago=5),
                      "right-today": quiz_entry(1.0),
                      "reflection": {"score": None}}}
    reviews = {"01/right-today": {"box": 3, "due": "2026-12-05", "seen": "2026-12-02"},
               "02/later": {"box": 4, "due": "2026-12-05", "seen": "2026-12-01"}}
    states = schedule(lessons, reviews, DAY)
    assert set(states) == {("01", "missed-long-ago"), ("01", "right-long-ago"),
                           ("01", "right-today"), ("02", "later")}
    assert states[("01", "right-today")]["box"] == 3  # a review state wins over the quiz's
    assert due(states, DAY) == [("01", "missed-long-ago"), ("01", "right-long-ago")]
    assert next_due(states, DAY) == (date(2026, 12, 5), 2)
    assert next_due({}, DAY) is None
