"""Does "Review" ask exactly the questions that are due, with feedback, and reschedule them?"""
import json
from datetime import date, timedelta

import pytest

from helpers.quiz import Review, load_bank, show_review
from helpers.quiz.progress import Progress
from helpers.quiz.sequence import Message
from labtools import isolated_progress  # noqa: F401
from quizanswers import answer

TODAY = date(2026, 12, 2)
LESSON = "03_l2_by_hand"


def scored_ids(lesson=LESSON):
    return [q.id for q in load_bank(lesson).questions if q.scored]


def answered(store, qid, first_score, days_ago, lesson=LESSON):
    """Save a lesson-quiz answer made `days_ago` days before TODAY."""
    store.record(lesson, qid, {"answer": None, "status": "right", "score": 1.0,
                               "first_score": first_score, "attempts": 1, "revealed": False})
    stamp = f"{(TODAY - timedelta(days=days_ago)).isoformat()}T09:00:00+00:00"
    data = json.loads(store.path.read_text())
    data["lessons"][lesson][qid]["updated"] = stamp
    store.path.write_text(json.dumps(data))
    store.refresh()


@pytest.fixture
def store(isolated_progress):
    """A learner who missed q0 and got q1 right a week ago, got q2 right today,
    and reviewed q3 (box 3, due in two days)."""
    store = Progress(isolated_progress)
    q = scored_ids()
    answered(store, q[0], 0.0, days_ago=7)
    answered(store, q[1], 1.0, days_ago=7)
    answered(store, q[2], 1.0, days_ago=0)
    store.set_reviews({f"{LESSON}/{q[3]}": lambda _s: {
        "box": 3, "due": (TODAY + timedelta(days=2)).isoformat(), "seen": "2026-11-30"}})
    return store


def check(review):
    next(b for b in review.stage.children[0].children[2].children
         if "quiz-check" in b._dom_classes).click()


def forward(review):
    review.next.click()


def test_review_asks_exactly_the_due_questions(store):
    q = scored_ids()
    review = Review(today=TODAY, progress=store)
    assert [(lesson, question.id) for lesson, question in review.due] == [
        (LESSON, q[0]), (LESSON, q[1])]
    assert "2 questions are due" in review.header.value
    assert "1 question on 2026-12-04" in review.header.value  # q3, the next due
    review.start()
    assert "Review question 1 of 2" in review.status.value


def test_each_answer_gets_feedback_and_a_new_box(store):
    q = scored_ids()
    review = Review(today=TODAY, progress=store)
    review.start()
    answer(review.inputs[0], right=True)
    check(review)
    assert "Right" in review.feedback.value and "Taught in" in review.feedback.value
    forward(review)
    answer(review.inputs[1], right=False)
    check(review)
    assert "Not right" in review.feedback.value
    forward(review)
    assert "Reviewed 2: 1 right" in review.stage.children[0].value
    states = json.loads(store.path.read_text())["review"]
    assert states[f"{LESSON}/{q[0]}"] == {"box": 2, "due": "2026-12-05", "seen": "2026-12-02"}
    assert states[f"{LESSON}/{q[1]}"] == {"box": 1, "due": "2026-12-02", "seen": "2026-12-02"}
    again = Review(today=TODAY, progress=store)
    assert [question.id for _, question in again.due] == [q[1]]  # the miss stays due


def test_an_empty_answer_is_not_recorded(store):
    review = Review(today=TODAY, progress=store)
    review.start()
    check(review)  # nothing chosen
    assert "Choose" in review.feedback.value or "Type" in review.feedback.value
    assert json.loads(store.path.read_text())["review"].keys() == {
        f"{LESSON}/{scored_ids()[3]}"}


def test_nothing_due_says_when_the_next_ones_are(store):
    review = Review(today=TODAY - timedelta(days=30), progress=store)
    assert review.due == [] and "Nothing is due for review today" in review.header.value
    assert review.start_button.layout.display == "none"


def test_nothing_answered_yet_says_so(isolated_progress):
    review = Review(today=TODAY, progress=Progress(isolated_progress))
    assert "Nothing to review yet" in review.header.value


def test_one_lesson_and_a_cap_on_how_many(store):
    answered(store, scored_ids("01_overfitting_metrics")[0], 0.0, 3,
             lesson="01_overfitting_metrics")
    assert len(Review(today=TODAY, progress=store).due) == 3
    assert [les for les, _ in Review(LESSON, today=TODAY, progress=store).due] == [LESSON] * 2
    capped = Review(today=TODAY, n=1, progress=store)
    assert len(capped.due) == 1 and "2 more after these" in capped.header.value


def test_a_question_gone_from_the_bank_is_skipped(store):
    answered(store, "no-longer-in-the-bank", 0.0, 1)
    assert "no-longer-in-the-bank" not in [q.id for _, q in
                                           Review(today=TODAY, progress=store).due]


@pytest.mark.parametrize("args", [("no_such_lesson",), (None, 0)])
def test_bad_input_gives_one_line_not_a_traceback(args):
    shown = show_review(*args)
    assert isinstance(shown, Message) and "\n" not in shown.text


def test_an_old_progress_file_is_upgraded_and_its_misses_are_due(isolated_progress):
    qid = scored_ids()[0]
    old = {"version": 1, "learner_seed": 3, "lessons": {LESSON: {qid: {
        "answer": None, "status": "right", "score": 1.0, "first_score": 0.0, "attempts": 2,
        "revealed": False, "updated": "2026-11-30T09:00:00+00:00"}}}}
    isolated_progress.parent.mkdir(parents=True)
    isolated_progress.write_text(json.dumps(old))
    shown = show_review(today=TODAY)
    assert [q.id for _, q in shown.due] == [qid]
    [notice] = shown.progress.notices
    assert "upgraded" in notice and "\n" not in notice and "upgraded" in shown.notice.value
    shown.start()
    answer(shown.inputs[0], right=True)
    check(shown)
    saved = json.loads(isolated_progress.read_text())
    assert saved["lessons"] == old["lessons"] and saved["version"] == 2


def test_a_corrupt_progress_file_gives_one_line_and_the_test_still_runs(isolated_progress):
    from helpers.quiz import show_test
    from helpers.quiz.progress import ProgressWarning

    isolated_progress.parent.mkdir(parents=True)
    isolated_progress.write_text("{not json")
    with pytest.warns(ProgressWarning):
        shown = show_test("02_weight_decay", n=3, seed=0)
    [notice] = shown.progress.notices
    assert "could not be read" in notice and "\n" not in notice
    assert "could not be read" in shown.notice.value
    [kept] = isolated_progress.parent.glob("progress.json.corrupt-*")
    assert kept.read_text() == "{not json"
    shown.start()
    assert len(shown.inputs) == 3
