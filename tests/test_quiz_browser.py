"""Do the quizzes work for a learner in JupyterLab, in a real (headless) browser?

One JupyterLab server and one Chromium serve the module. Each scenario opens
a notebook, runs all cells, answers a question wrongly (mouse) and then
rightly (keyboard only), checks the feedback in words each time, restarts
the kernel, runs everything again and checks that the saved answer is shown.
"""
import json
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest

from helpers.quiz import load_bank
from helpers.quiz.render import plain
from labtools import (accept_dialog, chromium_page, isolated_progress,  # noqa: F401
                      lab_command, open_notebook, require_chromium, running_lab,
                      write_notebook)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
START_HERE = REPO / "notebooks" / "00_start_here.ipynb"
KERNEL_TIMEOUT = 90_000  # ms: a cold kernel imports torch on a busy 2-core machine


@pytest.fixture(scope="module")
def lab_session(tmp_path_factory):
    """Yield (lab, page, progress file): JupyterLab and Chromium shared by the module."""
    require_chromium()
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    progress = base / "progress.json"
    with running_lab(root, env={"COURSE_PROGRESS_FILE": str(progress)}) as lab:
        with chromium_page(base / "chromium-profile") as page:
            yield lab, page, progress


def _open_and_run(lab, page, name):
    """Open notebook `name`, run all cells, wait for its ready marker.

    Returns:
        (panel, pid): a locator for this notebook's panel and the kernel's pid.
    """
    panel = open_notebook(page, lab, name, timeout=KERNEL_TIMEOUT)
    lab_command(page, "notebook:run-all-cells")
    return panel, _wait_ready(panel)


def _wait_ready(panel, not_pid=None):
    """Wait for the last cell's "quiz-ready <pid>" output (from a kernel other than not_pid)."""
    panel.page.wait_for_function(
        """([id, old]) => [...document.getElementById(id)
                .querySelectorAll('.jp-OutputArea-output')].some(e => {
               const m = e.textContent.match(/quiz-ready (\\d+)/);
               return m && m[1] !== old; })""",
        arg=[panel.get_attribute("id"), str(not_pid)], timeout=KERNEL_TIMEOUT)
    text = panel.locator(".jp-OutputArea-output", has_text="quiz-ready").last.inner_text()
    return re.search(r"quiz-ready (\d+)", text).group(1)


def _first_shown_single_choice(panel, lesson):
    """Return the first single-choice question of `lesson` that the notebook shows."""
    shown = panel.locator(".quiz-question").evaluate_all(
        "els => els.map(e => [...e.classList].find(c => c.startsWith('quiz-id-')).slice(8))")
    bank = load_bank(lesson)
    return next(bank.question(qid) for qid in shown if bank.question(qid).type == "single")


def _wrong_then_right(panel, question):
    """Answer `question` wrongly with the mouse, then rightly with the keyboard only."""
    from playwright.sync_api import expect

    page = panel.page
    box = panel.locator(f".quiz-question.quiz-id-{question.id}")
    wrong = next(o for o in question.options if not o.correct)
    right = question.options[question.right_indices[0]]

    # The options are a labelled radio group (set by the quiz's script).
    group = box.locator(".quiz-option")
    expect(group).to_have_attribute("role", "radiogroup")
    label_id = group.get_attribute("aria-labelledby")
    expect(page.locator(f"#{label_id}")).to_contain_text(plain(question.prompt)[:40])

    box.locator(".quiz-option label", has_text=wrong.text).click()
    box.locator(".quiz-check").click()
    feedback = box.locator(".quiz-feedback")
    expect(feedback).to_contain_text("Not right", timeout=15_000)
    expect(feedback).to_contain_text(plain(wrong.feedback)[:50])

    box.locator(".quiz-option label", has_text=right.text).locator("input").focus()
    page.keyboard.press("Space")
    box.locator(".quiz-check").focus()
    page.keyboard.press("Enter")
    expect(feedback).to_contain_text("Right.", timeout=15_000)
    expect(feedback).to_contain_text(plain(question.explanation)[:50])
    expect(panel.locator(".quiz-score").first).to_contain_text("Score: 1 of")
    return right


def _check_saved(panel, question, right):
    from playwright.sync_api import expect

    box = panel.locator(f".quiz-question.quiz-id-{question.id}")
    feedback = box.locator(".quiz-feedback")
    expect(feedback).to_contain_text("saved answer", timeout=30_000)
    expect(feedback).to_contain_text("Right.")
    expect(box.locator(".quiz-option label", has_text=right.text).locator("input")).to_be_checked()


def _restart_and_run(panel, old_pid):
    lab_command(panel.page, "notebook:restart-run-all")
    accept_dialog(panel.page)
    return _wait_ready(panel, not_pid=old_pid)


def test_lesson_quiz_in_jupyterlab(lab_session):
    """Can a learner answer wrongly, then rightly, and see the answer again after a restart?"""
    from playwright.sync_api import expect

    lab, page, progress = lab_session
    lesson = "01_overfitting_metrics"
    write_notebook(lab.root / "quiz_01.ipynb", [
        f'from helpers.quiz import show_quiz\nshow_quiz("{lesson}", seed=0)',
        'import os\nprint("quiz-ready", os.getpid())'])
    panel, pid = _open_and_run(lab, page, "quiz_01.ipynb")
    question = _first_shown_single_choice(panel, lesson)
    right = _wrong_then_right(panel, question)

    # A numeric answer that is not a number gets a message, not a traceback.
    numeric = panel.locator(".quiz-question.quiz-id-fraud-missed-fraction")
    numeric.locator(".quiz-option input").fill("eighty-eight")
    numeric.locator(".quiz-check").click()
    expect(numeric.locator(".quiz-feedback")).to_contain_text("is not a number", timeout=15_000)

    saved = json.loads(progress.read_text())["lessons"][lesson][question.id]
    assert (saved["status"], saved["attempts"], saved["first_score"]) == ("right", 2, 0.0)
    assert "fraud-missed-fraction" not in json.loads(progress.read_text())["lessons"][lesson]

    _restart_and_run(panel, pid)
    _check_saved(panel, question, right)


def test_start_here_notebook_quiz(lab_session):
    """Does the front-door notebook's own quiz work the same way?"""
    if not START_HERE.exists():
        pytest.skip(f"{START_HERE.relative_to(REPO)} does not exist yet")
    source = START_HERE.read_text()
    match = re.search(r"show_quiz\(\s*\\?[\"']([0-9a-z_]+)\\?[\"']", source)
    if not match:
        pytest.skip(f"{START_HERE.relative_to(REPO)} does not call show_quiz yet")
    import nbformat

    lab, page, _ = lab_session
    nb = nbformat.read(str(START_HERE), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('import os\nprint("quiz-ready", os.getpid())'))
    nbformat.write(nb, str(lab.root / "00_start_here.ipynb"))
    for extra in ("data",):  # notebooks may read files next to them
        if (START_HERE.parent / extra).is_dir():
            shutil.copytree(START_HERE.parent / extra, lab.root / extra)
    lesson = match.group(1)
    panel, pid = _open_and_run(lab, page, "00_start_here.ipynb")
    question = _first_shown_single_choice(panel, lesson)
    right = _wrong_then_right(panel, question)
    _restart_and_run(panel, pid)
    _check_saved(panel, question, right)


@pytest.mark.parametrize("lesson", ["02_weight_decay", "03_l2_by_hand", "04_param_groups"])
def test_every_other_lesson_quiz_answers_in_jupyterlab(lab_session, lesson):
    """Does each remaining lesson's bank render and grade in the browser too?"""
    lab, page, _ = lab_session
    name = f"quiz_{lesson[:2]}.ipynb"
    write_notebook(lab.root / name, [
        f'from helpers.quiz import show_quiz\nshow_quiz("{lesson}", seed=0)',
        'import os\nprint("quiz-ready", os.getpid())'])
    panel, _ = _open_and_run(lab, page, name)
    question = _first_shown_single_choice(panel, lesson)
    _wrong_then_right(panel, question)
    lab_command(page, "notebook:close-and-shutdown")
    accept_dialog(page)


def _shown_question(sequence):
    """Return (lesson, Question) of the one question a test or review shows now."""
    classes = sequence.locator(".quiz-question").get_attribute("class").split()
    lesson = next(c[len("quiz-lesson-"):] for c in classes if c.startswith("quiz-lesson-"))
    qid = next(c[len("quiz-id-"):] for c in classes if c.startswith("quiz-id-"))
    return lesson, load_bank(lesson).question(qid)


def _answer_in_browser(sequence, question, right):
    """Answer the question a test or review shows, rightly or wrongly, with the mouse."""
    from helpers.quiz.grading import format_answer

    box = sequence.locator(f".quiz-question.quiz-id-{question.id}")
    if question.type == "numeric":
        box.locator(".quiz-option input").fill(format_answer(question) if right else "123456")
        return
    wrong = [i for i, o in enumerate(question.options) if not o.correct][:1]
    for i in (question.right_indices if right else wrong):
        exact = re.compile(rf"^\s*{re.escape(question.options[i].text)}\s*$")
        box.locator(".quiz-option label", has_text=exact).click()


def test_take_a_test_then_see_it_after_a_restart_and_review_the_misses(lab_session):
    """Can a learner take a 10-question test, find it in show_progress() after a
    restart, and then review exactly the questions they missed?"""
    from playwright.sync_api import expect

    lab, page, _ = lab_session
    # A progress file of its own: the module's other tests answer quiz questions,
    # and their first-try misses would be due for review here too.
    progress = lab.root / "selftest-progress.json"
    write_notebook(lab.root / "selftest.ipynb", [
        f"import os\nos.environ['COURSE_PROGRESS_FILE'] = {str(progress)!r}\n"
        "from helpers.quiz import show_progress, show_review, show_test\nshow_test(seed=0)",
        "show_progress()",
        "show_review()",
        'import os\nprint("quiz-ready", os.getpid())'])
    panel, pid = _open_and_run(lab, page, "selftest.ipynb")
    test, review = (panel.locator(".quiz-sequence").nth(i) for i in (0, 1))
    expect(review).to_contain_text("Nothing to review yet")
    test.locator(".quiz-start").click()
    plan = [True, False, True, True, False, True, False, True, True, False]
    asked = []
    for number, right in enumerate(plan, 1):
        expect(test.locator(".quiz-status")).to_contain_text(f"Question {number} of 10",
                                                             timeout=15_000)
        lesson, question = _shown_question(test)
        asked.append((lesson, question.id))
        # The same accessible widgets as the lesson quiz: a labelled group of options.
        group = test.locator(".quiz-option")
        expect(group).to_have_attribute("role", re.compile("^(radiogroup|group)$"))
        expect(group).to_have_attribute("aria-labelledby", re.compile("^quiz-prompt-"))
        _answer_in_browser(test, question, right)
        expect(test.locator(".quiz-feedback")).to_have_text("")  # no feedback until the end
        test.locator(".quiz-next").click()
    expect(test.locator(".quiz-results")).to_contain_text("Score: 6 of 10 (60%)",
                                                          timeout=15_000)
    verdicts = test.locator(".quiz-verdicts")
    expect(verdicts).to_contain_text("where it is taught")
    assert re.search(r"strong|review|not yet", verdicts.inner_text())
    expect(test.locator(".quiz-answers li")).to_have_count(10)

    # Each verdict links to the section that teaches the topic, and the link
    # opens that lesson in JupyterLab, at that heading.
    for lesson in {lesson for lesson, _ in asked}:
        shutil.copy(REPO / "notebooks" / f"{lesson}.ipynb", lab.root)
    link = verdicts.locator("a").first
    # JupyterLab rewrites the relative href into a /files/ URL and handles the click.
    href = urllib.parse.urlsplit(link.get_attribute("href"))
    lesson_file, anchor = Path(href.path).name, href.fragment
    back_to_test = "(id) => window.jupyterapp.shell.activateById(id)"
    link.click()
    page.wait_for_function("(p) => { const w = window.jupyterapp.shell.currentWidget;"
                           " return w && w.context && w.context.path === p; }",
                           arg=lesson_file, timeout=30_000)
    # On the first open JupyterLab 4.6 may scroll before the headings render
    # and stay at the top; with the lesson open, the link lands on the heading.
    page.evaluate(back_to_test, panel.get_attribute("id"))
    link.click()
    # Sanitized headings carry their anchor as data-jupyter-id, not id.
    expect(page.locator(f"[data-jupyter-id='{anchor}']")).to_be_in_viewport(timeout=15_000)
    page.evaluate(back_to_test, panel.get_attribute("id"))

    saved = json.loads(progress.read_text())
    [attempt] = saved["tests"]
    assert [(q["lesson"], q["id"]) for q in attempt["questions"]] == asked
    assert attempt["score"] == 6

    _restart_and_run(panel, pid)
    expect(panel.locator(".quiz-tests")).to_contain_text("6 of 10", timeout=30_000)

    # The review asks exactly the questions the test missed (box 1, due at once).
    missed = {key for key, right in zip(asked, plan) if not right}
    review = panel.locator(".quiz-sequence").nth(1)
    expect(review).to_contain_text(f"{len(missed)} questions are due", timeout=15_000)
    review.locator(".quiz-start").click()
    reviewed = set()
    for number in range(1, len(missed) + 1):
        expect(review.locator(".quiz-status")).to_contain_text(
            f"Review question {number} of {len(missed)}", timeout=15_000)
        lesson, question = _shown_question(review)
        reviewed.add((lesson, question.id))
        _answer_in_browser(review, question, right=True)
        review.locator(".quiz-check").click()
        expect(review.locator(".quiz-feedback")).to_contain_text("Right", timeout=15_000)
        review.locator(".quiz-next").click()
    assert reviewed == missed
    expect(review.locator(".quiz-results")).to_contain_text(
        f"Reviewed {len(missed)}: {len(missed)} right", timeout=15_000)
    lab_command(page, "notebook:close-and-shutdown")
    accept_dialog(page)
