"""The quiz as ipywidgets: one box per question, checked, explained and saved.

Each question box has the stable CSS classes the browser tests (and any
custom styling) rely on: `quiz-question` (the whole question, plus
`quiz-id-<id>` and `quiz-type-<type>`), `quiz-option` (the container of the
choices or the answer box), `quiz-check` (the Check button), `quiz-hint`,
`quiz-feedback`; the quiz's score line has `quiz-score`.
"""
import html
import random

import ipywidgets as widgets

from helpers.quiz import render
from helpers.quiz.bank import load_bank
from helpers.quiz.answer_input import AnswerInput, Looks, safe_grade
from helpers.quiz.grading import REVEALED, grade, grade_reflection, reveal
from helpers.quiz.progress import get_progress
from helpers.quiz.schema import DIFFICULTIES

CHECK_LABELS = {"reflection": "Show model answer"}


def select_questions(bank, n=None, difficulty=None, seed=0):
    """Pick the questions to show: filter by difficulty, then n at random (seeded).

    Args:
        bank: a Bank.
        n: how many to show (None: all that pass the filter).
        difficulty: None, one level ("hard") or a list of levels.
        seed: the same seed picks the same questions.
    Returns:
        list of Question, in bank order (easy ideas come first in a bank).
    Raises:
        ValueError: an unknown level, a level with no questions, or n below 1.
    """
    levels = [difficulty] if isinstance(difficulty, str) else difficulty
    if levels is not None:
        unknown = [d for d in levels if d not in DIFFICULTIES]
        if unknown or not levels:
            raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)} "
                             f"(or a list of them), not {difficulty!r}")
    pool = [q for q in bank.questions if levels is None or q.difficulty in levels]
    if not pool:
        raise ValueError(f"The quiz {bank.name} has no {' or '.join(levels)} questions.")
    if n is not None:
        if int(n) != n or n < 1:
            raise ValueError(f"n must be a whole number of questions, 1 or more, not {n!r}")
        if n < len(pool):
            picked = set(random.Random(f"{seed}/{bank.name}/subset").sample(range(len(pool)), n))
            pool = [q for i, q in enumerate(pool) if i in picked]
    return pool


def option_order(lesson, question, seed):
    """Return the display order of a question's options (indices), fixed by the seed."""
    order = list(range(len(question.options)))
    random.Random(f"{seed}/{lesson}/{question.id}").shuffle(order)
    return order


class QuestionView(AnswerInput):
    """The widgets of one lesson-quiz question and what happens when they are used.

    Args:
        quiz: the Quiz it belongs to (records answers, updates the score).
        question: a Question.
        number, total: its position in the quiz, for the heading.
    """

    def __init__(self, quiz, question, number, total):
        super().__init__(question, option_order(quiz.lesson, question, quiz.seed), number, total,
                         quiz.looks)
        self.quiz, looks = quiz, self.looks

        def button(description, tooltip, css_class, **kw):
            b = widgets.Button(description=description, tooltip=tooltip, layout=looks.button,
                               style=looks.button_style, **kw)
            b.add_class(css_class)
            return b
        self.check = button(CHECK_LABELS.get(question.type, "Check"), "Check your answer",
                            "quiz-check", button_style="primary")
        self.hint_button = button("Hint", "Show a hint", "quiz-hint-button")
        buttons = [self.check, self.hint_button]
        if question.scored:
            self.reveal_button = button("Show answer", "Give up and see the answer", "quiz-reveal")
            self.reveal_button.on_click(self._on_reveal)
            buttons.append(self.reveal_button)
        self.hint = widgets.HTML("", **looks.html)
        self.hint.add_class("quiz-hint")
        self.feedback = widgets.HTML("", **looks.html)
        self.feedback.add_class("quiz-feedback")
        self.check.on_click(self._on_check)
        self.hint_button.on_click(self._on_hint)
        self.box = self.question_box([widgets.HBox(buttons, layout=looks.box), self.hint,
                                      self.feedback])

    # -- actions -----------------------------------------------------------
    def _show(self, result, saved=False):
        self.feedback.value = render.feedback_html(result, saved=saved)

    def _on_check(self, _button=None):
        answer = self.answer()
        result = safe_grade(self.q, answer)
        self._show(result)
        if result.is_attempt:
            self.quiz.record(self, self.saved_form(answer), result)

    def _on_hint(self, _button=None):
        self.hint.value = render.text_html(f"Hint: {self.q.hint}")

    def _on_reveal(self, _button=None):
        result = reveal(self.q)
        self._show(result)
        self.quiz.record(self, self.saved_form(self.answer()), result)

    def restore(self, entry):
        """Show a saved entry: the answer in the widgets and its feedback, marked as saved."""
        answer = self.set_saved(entry.get("answer"))
        if entry.get("status") == REVEALED:
            self._show(reveal(self.q), saved=True)
        elif answer is not None:
            result = (grade_reflection(self.q, answer) if self.q.type == "reflection"
                      else grade(self.q, answer))
            self._show(result, saved=True)


class Quiz(render.DisplayedOnce):
    """A lesson's quiz: its questions' widgets, score line and saved progress.

    Args:
        lesson: bank name, e.g. "01_overfitting_metrics".
        n, difficulty: show a subset (see select_questions).
        seed: fixes option order and subset; default: this learner's saved seed.
        progress: a Progress (default: the file from progress_path()).
    Attributes:
        views: one QuestionView per question shown. widget: the whole quiz (VBox).
    """

    def __init__(self, lesson, n=None, difficulty=None, seed=None, progress=None):
        self.lesson = lesson
        self.bank = load_bank(lesson)
        self.progress = progress if progress is not None else get_progress()
        self.progress.refresh()
        self.progress.mark_opened(lesson)  # the test mode draws from the lessons opened
        self.seed = self.progress.learner_seed() if seed is None else seed
        self.questions = select_questions(self.bank, n, difficulty, self.seed)
        total = len(self.questions)
        self.looks = Looks()
        self.views = [QuestionView(self, q, i, total) for i, q in enumerate(self.questions, 1)]
        subset = ""
        if total < len(self.bank.questions):
            subset = (f"<p>Showing {total} of the {len(self.bank.questions)} questions"
                      f"{' (' + self._levels(difficulty) + ')' if difficulty else ''}.</p>")
        intro = render.text_html(self.bank.intro) if self.bank.intro else ""
        header = widgets.HTML(f"{render.STYLE}<h3 class='quiz-title'>"
                              f"{html.escape(self.bank.title)}</h3>"
                              f"{intro}{subset}", **self.looks.html)
        self.notice = widgets.HTML("", **self.looks.html)
        self.notice.add_class("quiz-notice")
        self.score_line = widgets.HTML("", **self.looks.html)
        self.score_line.add_class("quiz-score")
        self.widget = widgets.VBox([header, self.notice, *[v.box for v in self.views],
                                    self.score_line], layout=self.looks.box)
        self.widget.add_class("quiz")
        saved = self.progress.entries(lesson)
        for view in self.views:
            if view.q.id in saved:
                view.restore(saved[view.q.id])
        self._update()

    @staticmethod
    def _levels(difficulty):
        return difficulty if isinstance(difficulty, str) else " and ".join(difficulty)

    def record(self, view, answer, result):
        """Save one checked answer (or a reveal) and update the score line."""
        q = view.q

        # Attempts and the first score come from the file as it is when this
        # answer is saved: another notebook may have answered since.
        def change(prev):
            prev = prev or {}
            return {"answer": answer, "status": result.status, "score": result.score,
                    "first_score": prev["first_score"] if "first_score" in prev
                    else result.score,
                    "attempts": prev.get("attempts", 0) + (1 if result.is_attempt else 0),
                    "revealed": bool(prev.get("revealed")) or result.status == REVEALED,
                    "topic": q.topic, "difficulty": q.difficulty}
        self.progress.update(self.lesson, q.id, change)
        self._update()

    def score(self):
        """Return (points, scored questions, answered) for the questions shown.

        A question whose answer was revealed counts 0 points even if answered
        right afterwards; reflections are not scored.
        """
        scored = [v.q for v in self.views if v.q.scored]
        points, answered = 0.0, 0
        for q in scored:
            entry = self.progress.entry(self.lesson, q.id)
            if entry and entry.get("score") is not None:
                answered += 1
                points += 0.0 if entry.get("revealed") else entry["score"]
        return points, len(scored), answered

    def _update(self):
        points, total, answered = self.score()
        reflections = len(self.views) - total
        pct = f" ({points / total:.0%})" if total else ""
        extra = f" Reflections ({reflections}) are not scored." if reflections else ""
        self.score_line.value = (f"<p><strong>Score: {round(points, 2):g} of {total}{pct}."
                                 f"</strong> Answered {answered} of {total}; a revealed answer "
                                 f"counts 0.{extra}</p>")
        self.notice.value = "".join(render.text_html(m) for m in self.progress.notices)

    # -- display -----------------------------------------------------------
    def _static_items(self):
        return [(v.q, [v.q.options[i].text for i in v.order]) for v in self.views]

    def _repr_mimebundle_(self, **kwargs):
        """Return the widget view plus a text/html copy (questions and options, no answers)."""
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        items = self._static_items()
        bundle["text/html"] = render.static_html(self.bank.title, items)
        bundle["text/plain"] = render.static_text(self.bank.title, items)
        return bundle


def show_quiz(lesson, n=None, difficulty=None, seed=None):
    """Show a lesson's quiz in the notebook, with the learner's saved answers.

    Args:
        lesson: bank name, e.g. "01_overfitting_metrics".
        n: show only n questions, picked at random (the same ones each time).
        difficulty: show only "easy", "medium" or "hard" questions (or a list).
        seed: fixes the option order and subset (default: the learner's seed,
            saved with their progress, so the quiz looks the same next time).
    Returns:
        Quiz, or a Message (one line) for an unknown lesson or a bad n or difficulty.
    """
    from IPython.display import display

    from helpers.quiz.sequence import Message

    try:
        quiz = Quiz(lesson, n=n, difficulty=difficulty, seed=seed)
    except ValueError as err:  # a learner's typo deserves a sentence, not a traceback
        quiz = Message(str(err).splitlines()[0])
    display(quiz)
    return quiz
