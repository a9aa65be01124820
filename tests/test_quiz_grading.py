"""Does each question type grade right, wrong, partly right and unreadable answers?

Every case uses a real question from the shipped banks, so the checks also
hold for what learners actually see.
"""
import pytest

from helpers import metrics
from helpers.quiz import load_bank
from helpers.quiz.grading import (format_answer, grade, grade_multiple, grade_numeric,
                                  grade_reflection, grade_single, parse_number, reveal)
from labtools import isolated_progress  # noqa: F401


def question(lesson, qid):
    return load_bank(lesson).question(qid)


def wrong_indices(q):
    return [i for i, o in enumerate(q.options) if not o.correct]


# -- single choice -----------------------------------------------------------

def test_single_choice_right_answer_says_right_and_explains():
    q = question("01_overfitting_metrics", "fraud-self-check")
    result = grade_single(q, q.right_indices[0])
    assert (result.status, result.score) == ("right", 1.0)
    assert result.message.startswith("Right.")
    assert q.explanation in result.message


@pytest.mark.parametrize("qid", ["fraud-self-check", "why-regularization-helps"])
def test_single_choice_each_wrong_option_names_its_own_mistake(qid):
    q = question("01_overfitting_metrics", qid)
    for i in wrong_indices(q):
        result = grade_single(q, i)
        assert (result.status, result.score) == ("wrong", 0.0)
        assert result.message.startswith("Not right.")
        assert q.options[i].feedback in result.message
        assert q.explanation not in result.message  # the answer is not given away


def test_single_choice_with_nothing_chosen_is_not_an_attempt():
    q = question("02_weight_decay", "adamw-halve-lr")
    result = grade_single(q, None)
    assert result.status == "empty" and result.score is None and not result.is_attempt


# -- predict the output -----------------------------------------------------

def test_predict_right_option_is_what_the_snippet_printed():
    q = question("02_weight_decay", "zero-grad-versus-none-predict")
    right = q.options[q.right_indices[0]]
    assert right.text == q.output == "0.95 1.0"
    assert grade(q, q.right_indices[0]).status == "right"
    for i in wrong_indices(q):
        assert grade(q, i).status == "wrong"


# -- multiple select -------------------------------------------------------

def test_multiple_select_all_right_and_nothing_else_scores_one():
    q = question("01_overfitting_metrics", "compare-page1-matrices")
    result = grade_multiple(q, q.right_indices)
    assert (result.status, result.score) == ("right", 1.0)


def test_multiple_select_missing_one_gets_partial_credit_shown():
    q = question("01_overfitting_metrics", "compare-page1-matrices")
    right = q.right_indices
    assert len(right) == 3
    result = grade_multiple(q, right[:2])
    assert result.status == "partly"
    assert result.score == pytest.approx(2 / 3)
    assert "Partly right (score 0.67 of 1)" in result.message
    assert "2 of the 3 options that apply" in result.message
    assert "At least one more option applies." in result.message


def test_multiple_select_a_wrong_pick_costs_credit_and_is_explained():
    q = question("01_overfitting_metrics", "compare-page1-matrices")
    wrong = wrong_indices(q)[0]
    result = grade_multiple(q, q.right_indices + [wrong])
    assert result.status == "partly"
    assert result.score == pytest.approx(1 - 1 / 2)  # 2 wrong options: each costs 1/2
    assert q.options[wrong].feedback in result.message


def test_multiple_select_choosing_everything_earns_nothing():
    q = question("01_overfitting_metrics", "compare-page1-matrices")
    result = grade_multiple(q, range(len(q.options)))
    assert (result.status, result.score) == ("wrong", 0.0)
    assert result.message.startswith("Not right (score 0)")


def test_multiple_select_with_nothing_chosen_is_not_an_attempt():
    q = question("04_param_groups", "weight-bias-name-filter")
    assert grade_multiple(q, []).status == "empty"


# -- numeric -----------------------------------------------------------------

def test_numeric_answer_is_computed_from_the_page_matrix():
    q = question("01_overfitting_metrics", "precision-overfit-matrix")
    expected = metrics.precision(tp=90, fp=30)
    assert q.answer == pytest.approx(expected) == pytest.approx(0.75)


@pytest.mark.parametrize("typed", ["0.75", " .75 ", "3/4", "75%", "0,75", "0.7549", "90/120"])
def test_numeric_accepts_any_reasonable_way_of_writing_the_right_number(typed):
    q = question("01_overfitting_metrics", "precision-overfit-matrix")
    result = grade_numeric(q, typed)
    assert (result.status, result.score) == ("right", 1.0), typed
    assert result.message.startswith("Right: 0.75.")


def test_numeric_known_mistake_gets_its_own_feedback():
    q = question("01_overfitting_metrics", "precision-overfit-matrix")
    result = grade_numeric(q, "0.9")  # the recall
    assert (result.status, result.score) == ("wrong", 0.0)
    assert "That is recall" in result.message


def test_numeric_other_wrong_number_gets_the_general_feedback():
    q = question("01_overfitting_metrics", "precision-overfit-matrix")
    result = grade_numeric(q, "0.6")
    assert result.status == "wrong"
    assert q.wrong_feedback in result.message


def test_numeric_just_outside_the_tolerance_is_wrong():
    q = question("01_overfitting_metrics", "precision-overfit-matrix")
    assert grade_numeric(q, str(q.answer + 2 * q.tolerance)).status == "wrong"


@pytest.mark.parametrize("typed", ["abc", "0.7.5", "1/0", "nan", "inf", "seventy", "--1", "%"])
def test_numeric_text_that_is_not_a_number_gets_a_friendly_message(typed):
    q = question("01_overfitting_metrics", "precision-overfit-matrix")
    result = grade_numeric(q, typed)  # never raises
    assert result.status == "invalid" and result.score is None and not result.is_attempt
    assert q.format in result.message  # the expected format is restated
    assert "Traceback" not in result.message


def test_numeric_empty_box_asks_for_a_number():
    q = question("03_l2_by_hand", "keras-l2")
    result = grade_numeric(q, "   ")
    assert result.status == "empty"
    assert result.message.startswith("Type a number first.")


def test_parse_number_reads_fractions_percentages_and_unicode_minus():
    assert parse_number("−0.5") == -0.5
    assert parse_number("1e-3") == 0.001
    assert parse_number("12%") == pytest.approx(0.12)
    with pytest.raises(ValueError, match="not a number"):
        parse_number("0.5 m")


def test_format_answer_uses_the_precision_the_tolerance_implies():
    assert format_answer(question("02_weight_decay", "adamw-shrink-factor")) == "0.99999"
    assert format_answer(question("03_l2_by_hand", "keras-l2")) == "0.0010"
    assert format_answer(question("01_overfitting_metrics", "tumour-f1")) == "0.18"


# -- reflection --------------------------------------------------------------

def test_reflection_reveals_the_model_answer_only_after_something_is_written():
    q = question("02_weight_decay", "reflect-adam-adamw")
    early = grade_reflection(q, "  no ")
    assert early.status == "empty" and q.model_answer not in early.message
    written = grade_reflection(q, "Adam rescales the decay term by sqrt(v).")
    assert written.status == "noted" and written.score is None and written.is_attempt
    assert q.model_answer in written.message


# -- giving up ---------------------------------------------------------------

def test_reveal_shows_the_answer_and_explanation_and_scores_zero():
    q = question("01_overfitting_metrics", "tumour-accuracy")
    result = reveal(q)
    assert (result.status, result.score) == ("revealed", 0.0)
    assert "The answer: 0.91." in result.message and q.explanation in result.message
    choice = question("04_param_groups", "missing-from-groups-predict")
    assert "['cls_token']" in reveal(choice).message
