"""Do the quizzes work for a learner in JupyterLab, in a real (headless) browser?

One JupyterLab server and one Chromium serve the module. Each scenario opens
a notebook, runs all cells, answers a question wrongly (mouse) and then
rightly (keyboard only), checks the feedback in words each time, restarts
the kernel, runs everything again and checks that the saved answer is shown.
"""
import json
import re
import shutil
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
