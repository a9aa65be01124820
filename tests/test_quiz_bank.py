"""Are the shipped banks complete and consistent, and is a broken bank reported clearly?"""
import random
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import yaml

from helpers import metrics
from helpers.quiz import BankError, bank_names, load_bank
from helpers.quiz.bank import BANKS_DIR, coverage_problems, load_bank_file, run_snippet
from labtools import isolated_progress  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]

LESSONS = ["01_overfitting_metrics", "02_weight_decay", "03_l2_by_hand", "04_param_groups"]


def all_questions():
    return [(name, q) for name in bank_names() for q in load_bank(name).questions]


# -- the shipped banks -------------------------------------------------------

def test_every_lesson_has_a_bank_and_the_front_door_has_a_short_one():
    assert bank_names() == ["00_start_here", *LESSONS]
    start = load_bank("00_start_here")
    assert 3 <= len(start.questions) <= 4
    assert {q.difficulty for q in start.questions} == {"easy"}


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_lesson_has_ten_or_more_questions_at_every_level(lesson):
    bank = load_bank(lesson)
    counts = bank.counts()
    assert len(bank.questions) >= 10
    assert all(n >= 2 for n in counts.values()), counts
    assert coverage_problems(bank) == []


def test_question_ids_are_unique_across_the_course():
    ids = [q.id for _, q in all_questions()]
    assert len(ids) == len(set(ids))


def test_every_single_choice_question_has_exactly_one_right_option():
    for name, q in all_questions():
        if q.type in ("single", "predict"):
            assert len(q.right_indices) == 1, (name, q.id)


def test_every_wrong_option_and_every_question_has_teaching_text():
    for name, q in all_questions():
        assert q.hint, (name, q.id)
        assert q.explanation or q.model_answer, (name, q.id)
        for o in q.options:
            assert o.correct or (o.feedback and len(o.feedback) > 20), (name, q.id, o.text)


def test_every_question_type_is_used_and_every_lesson_has_a_predict_question():
    types = {q.type for _, q in all_questions()}
    assert types == {"single", "multiple", "numeric", "predict", "reflection"}
    for lesson in LESSONS:
        assert any(q.type == "predict" for q in load_bank(lesson).questions), lesson


def test_predict_answers_are_the_snippets_real_output_and_not_typed_in_the_bank():
    for name, q in all_questions():
        if q.type != "predict":
            continue
        raw = next(r for r in yaml.safe_load((BANKS_DIR / f"{name}.yaml").read_text())
                   ["questions"] if r["id"] == q.id)
        printed, error = run_snippet(q.code)
        expected = f"raises {type(error).__name__}" if error else printed
        assert q.options[q.right_indices[0]].text == q.output == expected, q.id
        assert q.output not in [o["text"] for o in raw["options"]], q.id


def test_confusion_matrices_are_the_ones_on_the_seed_pages():
    m = load_bank("01_overfitting_metrics").matrices
    assert m["overfit"] == {"tp": 90, "fn": 10, "fp": 30, "tn": 70}
    assert m["regularized"] == {"tp": 85, "fn": 15, "fp": 15, "tn": 85}
    assert m["page2"] == {"tp": 45, "fp": 5, "fn": 10, "tn": 40}


def test_matrix_numbers_are_computed_with_helpers_metrics():
    bank = load_bank("01_overfitting_metrics")
    assert bank.question("recall-page2-matrix").answer == pytest.approx(
        metrics.recall(tp=45, fn=10))
    assert bank.question("tumour-f1").answer == pytest.approx(
        metrics.report({"tp": 1, "fp": 1, "fn": 8, "tn": 90})["f1"])
    compare = bank.question("compare-page1-matrices")
    assert "recall 0.90 → 0.85" in compare.explanation
    assert "Accuracy rose from 0.80 to 0.85" in [o.text for o in compare.options]
    raw = (BANKS_DIR / "01_overfitting_metrics.yaml").read_text()
    assert "0.90" not in raw and "0.80" not in raw  # typed nowhere, computed at load time


def test_every_practice_question_of_both_seed_pages_is_in_a_bank():
    sources = " | ".join(q.source or "" for _, q in all_questions())
    for page in (1, 2):
        for n in range(1, 6):
            assert f"seed page {page}, practice question {n}" in sources, (page, n)
    assert "self-check" in sources


def test_the_page_errors_are_taught_as_corrections():
    """The seed pages' wrong answers appear only as wrong options, with feedback."""
    b3, b4 = load_bank("03_l2_by_hand"), load_bank("04_param_groups")
    q = b3.question("torch-sum-of-parameters")
    page_answer = next(o for o in q.options if o.text.startswith("It sums the parameters"))
    assert not page_answer.correct and "never runs" in page_answer.feedback
    q = b4.question("adam-still-overfits")
    page_answer = next(o for o in q.options if "reaches the biases by default" in o.text)
    assert not page_answer.correct
    q = b4.question("weight-bias-name-filter")
    assert len(q.right_indices) == 2  # the page called this grouping correct


def test_loading_a_bank_leaves_the_callers_random_state_alone():
    torch.manual_seed(123)
    random.seed(123)
    expected = (torch.rand(1).item(), random.random())
    torch.manual_seed(123)
    random.seed(123)
    run_snippet("import torch, random\ntorch.manual_seed(0)\nprint(torch.rand(1), random.random())")
    assert (torch.rand(1).item(), random.random()) == expected


def test_unknown_bank_name_lists_the_quizzes_there_are():
    with pytest.raises(ValueError, match="01_overfitting_metrics"):
        load_bank("01_overfiting")
    with pytest.raises(ValueError):
        load_bank("../banks/01_overfitting_metrics")


# -- malformed banks ---------------------------------------------------------

GOOD = """\
lesson: {name}
title: A test bank
questions:
  - id: q-one
    type: single
    difficulty: easy
    topic: metrics
    prompt: Pick the right one.
    hint: It is the first.
    explanation: Because.
    options:
      - text: right
        correct: true
      - text: wrong
        feedback: Wrong because of a mistake.
"""


def write_bank(tmp_path, body, name="05_test"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(body).replace("{name}", name))
    return path


def bank_error(path):
    with pytest.raises(BankError) as info:
        load_bank_file(path)
    return str(info.value)


def test_a_well_formed_test_bank_loads(tmp_path):
    bank = load_bank_file(write_bank(tmp_path, GOOD))
    assert [q.id for q in bank.questions] == ["q-one"]


def test_a_wrong_option_without_feedback_names_file_and_question(tmp_path):
    path = write_bank(tmp_path, GOOD.replace("        feedback: Wrong because of a mistake.\n",
                                             ""))
    message = bank_error(path)
    assert str(path) in message and "question 'q-one'" in message
    assert "'feedback' is a required property" in message or "has no feedback" in message


def test_a_single_choice_question_with_two_right_options_is_rejected(tmp_path):
    path = write_bank(tmp_path, GOOD.replace(
        "      - text: wrong\n        feedback: Wrong because of a mistake.\n",
        "      - text: also right\n        correct: true\n"))
    message = bank_error(path)
    assert "question 'q-one'" in message and "exactly one right option, it has 2" in message


def test_a_misspelled_field_is_rejected_not_ignored(tmp_path):
    message = bank_error(write_bank(tmp_path, GOOD.replace("hint:", "hnit:")))
    assert "question 'q-one'" in message
    assert "'hint' is a required property" in message and "'hnit'" in message


def test_a_key_given_twice_is_an_error(tmp_path):
    message = bank_error(write_bank(tmp_path, GOOD.replace(
        "    hint: It is the first.\n", "    hint: It is the first.\n    hint: Again.\n")))
    assert "appears twice" in message and "05_test.yaml" in message


def test_invalid_yaml_names_the_file(tmp_path):
    message = bank_error(write_bank(tmp_path, GOOD + "  - id: [unclosed\n"))
    assert "05_test.yaml" in message and "not valid YAML" in message


def test_an_unknown_topic_or_difficulty_is_rejected(tmp_path):
    message = bank_error(write_bank(tmp_path, GOOD.replace("topic: metrics", "topic: metric")
                                    .replace("difficulty: easy", "difficulty: trivial")))
    assert "question 'q-one'" in message and "'metric' is not one of" in message
    assert "'trivial' is not one of" in message


def test_a_question_without_an_id_is_named_by_its_position(tmp_path):
    message = bank_error(write_bank(tmp_path, GOOD.replace("  - id: q-one\n    type", "  - type")))
    assert "question '#1'" in message and "'id' is a required property" in message


def test_duplicate_ids_and_a_wrong_lesson_name_are_reported_together(tmp_path):
    body = GOOD + GOOD.split("questions:\n")[1]
    message = bank_error(write_bank(tmp_path, body.replace("lesson: {name}", "lesson: 06_other")))
    assert "2 problems" in message
    assert "ids must be unique" in message and "must match" in message


PREDICT = GOOD + """\
  - id: q-predict
    type: predict
    difficulty: hard
    topic: weight-decay
    prompt: What does it print?
    hint: Run it in your head.
    explanation: It adds.
    code: |
      print(1 + 1)
    options:
      - text: "{wrong}"
        feedback: Not that.
"""


def test_a_predict_answer_equal_to_a_wrong_option_is_rejected(tmp_path):
    message = bank_error(write_bank(tmp_path, PREDICT.replace("{wrong}", "2")))
    assert "question 'q-predict'" in message and "equals the snippet's output" in message


def test_a_predict_snippet_that_crashes_is_rejected_unless_it_should(tmp_path):
    crashing = PREDICT.replace("{wrong}", "2").replace("print(1 + 1)", "print(1 / 0)")
    message = bank_error(write_bank(tmp_path, crashing))
    assert "question 'q-predict'" in message and "ZeroDivisionError" in message
    expected = crashing.replace("    code: |", "    raises: true\n    code: |")
    bank = load_bank_file(write_bank(tmp_path, expected, name="06_test"))
    assert bank.question("q-predict").output == "raises ZeroDivisionError"


NUMERIC = GOOD + """\
  - id: q-number
    type: numeric
    difficulty: medium
    topic: metrics
    prompt: Precision?
    hint: TP / (TP + FP).
    explanation: "It is {{ answer | .2f }}."
    answer_code: "{code}"
    tolerance: 0.005
    format: 2 decimal places
    wrong_feedback: No.
    mistakes:
      - answer_code: "{mistake}"
        feedback: That is recall.
"""


def test_numeric_answer_code_is_evaluated_with_helpers_metrics(tmp_path):
    body = NUMERIC.replace("{code}", "metrics.precision(90, 30)").replace(
        "{mistake}", "metrics.recall(90, 10)")
    q = load_bank_file(write_bank(tmp_path, body)).question("q-number")
    assert q.answer == 0.75 and q.explanation == "It is 0.75."


def test_numeric_answer_code_that_fails_or_collides_is_rejected(tmp_path):
    message = bank_error(write_bank(tmp_path, NUMERIC.replace("{code}", "metrics.nope(1)")
                                    .replace("{mistake}", "0.9")))
    assert "question 'q-number'" in message and "AttributeError" in message
    message = bank_error(write_bank(tmp_path, NUMERIC.replace("{code}", "0.75")
                                    .replace("{mistake}", "0.752"), name="06_test"))
    assert "within the tolerance" in message


def test_lesson_banks_need_ten_questions_at_three_levels(tmp_path):
    problems = coverage_problems(load_bank_file(write_bank(tmp_path, GOOD)))
    assert any("at least 10" in p for p in problems)
    assert any("no medium or hard questions" in p for p in problems)


def test_jsonschema_loads_without_the_slow_format_checkers_and_still_validates():
    """Does the fast import leave out the grammar-building URI checkers, yet reject a bad bank?"""
    import subprocess
    code = ("import sys\n"
            "from helpers.fast_imports import SLOW_FORMAT_CHECKERS, import_jsonschema\n"
            "js = import_jsonschema()\n"
            "assert not any(m in sys.modules for m in SLOW_FORMAT_CHECKERS), sys.modules.keys()\n"
            "errors = list(js.Draft202012Validator({'type': 'object'}).iter_errors([]))\n"
            "assert len(errors) == 1, errors\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
