"""Do the quiz widgets check, explain, save and restore answers (real ipywidgets, no browser)?"""
import html
import json
import warnings

import pytest

from helpers.quiz import Quiz, bank_names, load_bank, show_quiz
from helpers.quiz.render import plain
from helpers.quiz.widgets import option_order, select_questions
from labtools import isolated_progress  # noqa: F401

LESSON = "01_overfitting_metrics"
SCORED = sum(q.scored for q in load_bank(LESSON).questions)  # the score line's "of N"


def view_of(quiz, qid):
    return next(v for v in quiz.views if v.q.id == qid)


def choose(view, index):
    """Select option `index` (an index into question.options) the way a click does."""
    view.input.value = index


def test_every_part_has_its_stable_css_class():
    quiz = Quiz(LESSON, seed=0)
    assert "quiz-score" in quiz.score_line._dom_classes
    for v in quiz.views:
        assert {"quiz-question", f"quiz-id-{v.q.id}", f"quiz-type-{v.q.type}"} <= set(
            v.box._dom_classes)
        assert "quiz-option" in v.input._dom_classes
        assert "quiz-check" in v.check._dom_classes
        assert "quiz-hint" in v.hint._dom_classes
        assert "quiz-feedback" in v.feedback._dom_classes
        assert v.box.children[1] is v.input  # the options sit right under the prompt


def test_questions_share_their_layouts_and_styles():
    """Does the quiz open one Layout and one style model per kind, not one per widget?

    Each model is a message from the kernel and a model in the browser: a
    17-question quiz opened 479 before they were shared, 208 after.
    """
    from ipywidgets import Button, Layout
    from ipywidgets.widgets.widget import _instances
    before = set(_instances)
    quiz = Quiz(LESSON, seed=0)
    opened = [_instances[k] for k in set(_instances) - before]
    layouts = [w for w in opened if isinstance(w, Layout)]
    assert len(layouts) <= 4, len(layouts)
    buttons = [b for v in quiz.views for b in v.box.children[2].children if isinstance(b, Button)]
    assert len({id(b.layout) for b in buttons}) == len({id(b.style) for b in buttons}) == 1
    assert len(opened) <= 13 * len(quiz.views), len(opened)


def test_wrong_then_right_answer_gives_feedback_in_words_and_is_saved(isolated_progress):
    quiz = Quiz(LESSON, seed=0)
    v = view_of(quiz, "fraud-self-check")
    wrong = next(i for i, o in enumerate(v.q.options) if not o.correct)
    choose(v, wrong)
    v.check.click()
    assert "Not right." in v.feedback.value and "quiz-wrong" in v.feedback.value
    assert html.escape(v.q.options[wrong].feedback, quote=False) in v.feedback.value
    choose(v, v.q.right_indices[0])
    v.check.click()
    assert "Right." in v.feedback.value and "quiz-right" in v.feedback.value
    assert f"Score: 1 of {SCORED}" in quiz.score_line.value
    saved = json.loads(isolated_progress.read_text())["lessons"][LESSON]["fraud-self-check"]
    assert saved["answer"] == v.q.options[v.q.right_indices[0]].text
    assert (saved["status"], saved["score"], saved["first_score"], saved["attempts"]) == (
        "right", 1.0, 0.0, 2)


def test_a_non_number_gets_a_message_and_is_not_recorded(isolated_progress):
    quiz = Quiz(LESSON, seed=0)
    v = view_of(quiz, "precision-overfit-matrix")
    v.text.value = "seventy-five percent"
    v.check.click()  # no exception escapes the callback
    assert "is not a number I can read" in v.feedback.value
    assert "Expected: a decimal between 0 and 1" in v.feedback.value
    assert not isolated_progress.exists() or "precision-overfit-matrix" not in \
        isolated_progress.read_text()
    v.text.value = "3/4"
    v.check.click()
    assert "Right: 0.75." in v.feedback.value


def test_multiple_select_shows_partial_credit():
    quiz = Quiz(LESSON, seed=0)
    v = view_of(quiz, "compare-page1-matrices")
    right = set(v.q.right_indices[:2])
    for box, i in zip(v.boxes, v.order):
        box.value = i in right
    v.check.click()
    assert "Partly right (score 0.67 of 1)" in v.feedback.value
    assert f"Score: 0.67 of {SCORED}" in quiz.score_line.value


def test_hint_on_request_and_give_up_shows_the_answer_for_zero_points():
    quiz = Quiz(LESSON, seed=0)
    v = view_of(quiz, "tumour-accuracy")
    assert v.hint.value == ""
    v.hint_button.click()
    assert plain(v.q.hint) in v.hint.value
    v.reveal_button.click()
    assert "The answer: 0.91." in v.feedback.value
    v.text.value = "0.91"
    v.check.click()  # right now, but it was revealed first
    assert "Right: 0.91." in v.feedback.value
    assert f"Score: 0 of {SCORED}" in quiz.score_line.value


def test_reflection_shows_the_model_answer_after_writing_and_is_not_scored():
    quiz = Quiz(LESSON, seed=0)
    v = view_of(quiz, "reflect-accuracy-claim")
    assert not hasattr(v, "reveal_button")
    v.check.click()
    assert "Write your own answer first" in v.feedback.value
    v.text.value = "I would ask for recall on the fraud class and the base rate."
    v.check.click()
    assert "Compare with a model answer" in v.feedback.value
    assert f"Score: 0 of {SCORED}" in quiz.score_line.value and "Reflections (1)" in \
        quiz.score_line.value


def test_reopening_the_quiz_shows_saved_answers():
    first = Quiz(LESSON, seed=0)
    v = view_of(first, "model-a-versus-b")
    choose(v, v.q.right_indices[0])
    v.check.click()
    n = view_of(first, "tumour-f1")
    n.text.value = "0.31"
    n.check.click()
    m = view_of(first, "compare-page1-matrices")
    m.boxes[0].value = True
    m.check.click()
    r = view_of(first, "reflect-accuracy-claim")
    r.text.value = "Ask for the confusion matrix first."
    r.check.click()

    again = Quiz(LESSON, seed=0)  # e.g. after a kernel restart
    v2 = view_of(again, "model-a-versus-b")
    assert v2.input.value == v.q.right_indices[0]
    assert "saved answer" in v2.feedback.value and "Right." in v2.feedback.value
    n2 = view_of(again, "tumour-f1")
    assert n2.text.value == "0.31" and "arithmetic mean" in n2.feedback.value
    m2 = view_of(again, "compare-page1-matrices")
    assert [b.value for b in m2.boxes] == [b.value for b in m.boxes]
    r2 = view_of(again, "reflect-accuracy-claim")
    assert r2.text.value == r.text.value and "model answer" in r2.feedback.value
    assert again.score_line.value == first.score_line.value


def test_option_order_is_shuffled_but_stable_for_a_seed():
    bank = load_bank(LESSON)
    orders = {seed: [option_order(LESSON, q, seed) for q in bank.questions] for seed in (0, 1)}
    assert orders[0] == [option_order(LESSON, q, 0) for q in bank.questions]
    assert orders[0] != orders[1]
    assert any(o != sorted(o) for o in orders[0])
    quiz = Quiz(LESSON, seed=0)
    v = view_of(quiz, "fraud-self-check")
    assert [value for _, value in v.input.options] == v.order


def test_the_learner_seed_keeps_the_quiz_the_same_between_sessions(isolated_progress):
    a = Quiz(LESSON, n=5)
    b = Quiz(LESSON, n=5)
    assert a.seed == b.seed == json.loads(isolated_progress.read_text())["learner_seed"]
    assert [v.q.id for v in a.views] == [v.q.id for v in b.views]


def test_subsets_by_number_and_difficulty():
    bank = load_bank(LESSON)
    five = select_questions(bank, n=5, seed=3)
    assert len(five) == 5 and five == select_questions(bank, n=5, seed=3)
    assert [q.id for q in five] == [q.id for q in bank.questions if q in five]  # bank order
    hard = select_questions(bank, difficulty="hard")
    assert hard and {q.difficulty for q in hard} == {"hard"}
    assert len(select_questions(bank, n=50)) == len(bank.questions)
    quiz = Quiz(LESSON, n=2, difficulty=["easy", "medium"], seed=0)
    assert len(quiz.views) == 2 and f"Showing 2 of the {len(load_bank(LESSON).questions)} questions" in \
        quiz.widget.children[0].value
    with pytest.raises(ValueError, match="difficulty must be one of"):
        select_questions(bank, difficulty="hrad")
    with pytest.raises(ValueError, match="n must be"):
        select_questions(bank, n=0)
    with pytest.raises(ValueError, match="has no hard questions"):
        select_questions(load_bank("00_start_here"), difficulty="hard")


@pytest.mark.parametrize("lesson", bank_names())
def test_static_copy_shows_questions_and_options_but_no_answer(lesson):
    quiz = Quiz(lesson, seed=0)
    bundle = quiz._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    static, text = bundle["text/html"], bundle["text/plain"]
    secrets = []
    for v in quiz.views:
        q = v.q
        for o in q.options:
            assert html.escape(o.text) in static and o.text in text
        secrets += [q.hint, q.explanation, q.model_answer, q.wrong_feedback,
                    *(o.feedback for o in q.options), *(fb for _, fb in q.mistakes)]
    for secret in filter(None, secrets):
        assert html.escape(secret, quote=False) not in static, secret
        assert plain(secret) not in text, secret
    assert "quiz-right" not in static and "Right." not in static


def test_show_quiz_displays_once_even_as_the_last_line_of_a_cell(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        result = shell.run_cell('from helpers.quiz import show_quiz\nshow_quiz("00_start_here", '
                                'seed=0)', store_history=True)
        assert result.success and isinstance(result.result, Quiz)
        out = capsys.readouterr().out
        assert out.count("Start here: how the course works (static copy") == 1
        shell.run_cell("_", store_history=True)  # showing the returned quiz in a later cell works
        assert capsys.readouterr().out.count("Start here") == 1
    finally:
        InteractiveShell.clear_instance()


def test_show_quiz_returns_the_quiz_object():
    quiz = show_quiz("00_start_here", seed=1)
    assert isinstance(quiz, Quiz) and quiz.seed == 1 and len(quiz.views) == 4


def test_exported_to_html_without_a_kernel_the_quiz_is_readable_text():
    """nbconvert drops a widget view whose state was not saved and uses our text/html."""
    import nbformat
    from nbconvert import HTMLExporter

    quiz = Quiz("02_weight_decay", seed=0)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('show_quiz("02_weight_decay")')
    cell.outputs = [nbformat.v4.new_output("display_data", data=quiz._repr_mimebundle_())]
    nb.cells = [cell]
    page, _ = HTMLExporter().from_notebook_node(nb)
    assert "quiz-static" in page and "widget-view+json" not in page
    for v in quiz.views:
        assert html.escape(v.q.prompt.split("`")[0][:40], quote=False) in page
    assert html.escape(quiz.views[0].q.explanation[:40], quote=False) not in page


def test_a_quiz_keeps_working_when_progress_cannot_be_saved(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(blocker / "progress.json"))
    with pytest.warns(UserWarning, match="kept in memory only"):
        quiz = Quiz(LESSON, seed=0)  # opening the quiz is saved: the first write warns
    v = view_of(quiz, "fraud-self-check")
    choose(v, v.q.right_indices[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and only once
        v.check.click()
    assert "Right." in v.feedback.value and f"Score: 1 of {SCORED}" in quiz.score_line.value
    assert "kept in memory only" in quiz.notice.value  # said in the quiz, not only a log
    again = Quiz(LESSON, seed=0)  # same kernel: the answer is still there, from memory
    assert "saved answer" in view_of(again, "fraud-self-check").feedback.value


def test_show_quiz_with_an_unknown_lesson_says_so_in_one_line():
    from helpers.quiz.sequence import Message

    shown = show_quiz("01_overfiting_metrics")  # a typo
    assert isinstance(shown, Message) and "\n" not in shown.text
    assert "no quiz called '01_overfiting_metrics'" in shown.text
    assert "01_overfitting_metrics" in shown._repr_html_()
