""""Review": ask again the questions that are due, on a Leitner-box schedule.

    from helpers.quiz import show_review
    show_review()                      # every lesson
    show_review("03_l2_by_hand")       # one lesson

Due are the questions missed on the first try (right away) and those
answered right but not seen for a while (after 3, 7, 14, 30 days as they
climb the boxes; see `helpers.quiz.leitner`). Each answer gets feedback at
once, like the lesson quiz, and moves the question up a box (right) or back
to box 1 (wrong); the state is saved per question in the progress file.
"""
import html
from datetime import date

import ipywidgets as widgets

from helpers.quiz import render
from helpers.quiz.answer_input import AnswerInput, safe_grade
from helpers.quiz.bank import load_bank
from helpers.quiz.leitner import after_answer, due, next_due, review_key, schedule
from helpers.quiz.progress import get_progress
from helpers.quiz.sections import section_link
from helpers.quiz.sequence import Message, Sequence, button
from helpers.quiz.widgets import option_order


def _when(found):
    if found is None:
        return "none are scheduled yet"
    day, count = found
    return f"{count} question{'s' if count != 1 else ''} on {day.isoformat()}"


class Review(Sequence):
    """The questions due for review, one at a time, with feedback after each.

    Args:
        lesson: one lesson, or None for all of them.
        n: ask at most n of the due questions (None: all).
        today: the date to schedule from (default: today).
        progress: a Progress (default: the learner's file).
    Attributes:
        due: [(lesson, Question)] in the order they are asked.
    Raises:
        ValueError: an unknown lesson or a bad n.
    """

    def __init__(self, lesson=None, n=None, today=None, progress=None):
        progress = progress if progress is not None else get_progress()
        progress.refresh()
        if lesson is not None:
            load_bank(lesson)  # ValueError with the list of quizzes if there is none
        if n is not None and (int(n) != n or n < 1):
            raise ValueError(f"n must be a whole number of questions, 1 or more, not {n!r}")
        self.today = today or date.today()
        states = {k: s for k, s in schedule(progress.lessons(), progress.review_states(),
                                            self.today).items()
                  if lesson is None or k[0] == lesson}
        self.states = {k: s for k, s in states.items() if self._question(*k) is not None}
        due_keys = due(self.states, self.today)
        self.due = [(les, self._question(les, qid)) for les, qid in due_keys[:n]]
        later = next_due(self.states, self.today)
        if self.due:
            more = f" ({len(due_keys) - len(self.due)} more after these)" \
                if len(due_keys) > len(self.due) else ""
            intro = (f"{len(self.due)} question{'s are' if len(self.due) != 1 else ' is'} due "
                     f"for review{more}: missed on the first try, or answered right a while "
                     f"ago. Feedback comes after each answer. After these: {_when(later)}.")
        elif self.states:
            intro = f"Nothing is due for review today. Next: {_when(later)}."
        else:
            intro = ("Nothing to review yet: questions come here once you have answered "
                     "them in a lesson quiz or a test.")
        title = "Review" + (f": {lesson}" if lesson else "")
        super().__init__(title, intro, progress, "Start the review")
        if not self.due:
            self.start_button.layout.display = "none"

    @staticmethod
    def _question(lesson, qid):
        """Return the scored question (lesson, qid), or None if the bank no longer has it."""
        try:
            q = load_bank(lesson).question(qid)
        except (KeyError, ValueError):
            return None
        return q if q.scored else None

    def begin(self):
        seed = self.progress.learner_seed()
        self.inputs = [AnswerInput(q, option_order(lesson, q, seed), i, len(self.due))
                       for i, (lesson, q) in enumerate(self.due, 1)]
        self.position, self.right = 0, 0
        self._show_current()

    def _show_current(self):
        inp = self.inputs[self.position]
        self.check = button("Check", "quiz-check", "Check your answer", primary=True)
        self.next = button("Next" if self.position < len(self.inputs) - 1 else "Finish",
                           "quiz-next", "Next question")
        self.next.layout.display = "none"
        self.feedback = widgets.HTML("")
        self.feedback.add_class("quiz-feedback")
        self.check.on_click(lambda _b: self._on_check())
        self.next.on_click(lambda _b: self._advance())
        box = inp.question_box([widgets.HBox([self.check, self.next]), self.feedback])
        box.add_class(f"quiz-lesson-{self.due[self.position][0]}")
        self.show(f"Review question {self.position + 1} of {len(self.inputs)}", box)

    def _on_check(self):
        inp = self.inputs[self.position]
        lesson, q = self.due[self.position]
        result = safe_grade(q, inp.answer())
        self.feedback.value = (render.feedback_html(result) + "<p>Taught in "
                               f"{html.escape(section_link(lesson, q.topic)[1])}.</p>")
        if not result.is_attempt:  # nothing chosen, or not a number: try again
            return
        right = result.score >= 1.0
        self.right += right
        self.progress.set_reviews({review_key(lesson, q.id): lambda state: after_answer(
            state or self.states.get((lesson, q.id)), right, self.today)})
        self.show_notices()
        self.check.disabled = True
        self.next.layout.display = None

    def _advance(self):
        if self.position < len(self.inputs) - 1:
            self.position += 1
            self._show_current()
            return
        self.progress.refresh()
        later = next_due(schedule(self.progress.lessons(), self.progress.review_states(),
                                  self.today), self.today)
        done = widgets.HTML(f"<div class='quiz-results'><p class='quiz-score'><strong>Reviewed "
                            f"{len(self.inputs)}: {self.right} right on this try.</strong> "
                            f"Next review: {html.escape(_when(later))}.</p></div>")
        self.show("", done)


def show_review(lesson=None, n=None, today=None):
    """Show the questions due for review (Leitner boxes), with feedback after each.

    Args:
        lesson: one lesson's bank name, or None for the whole course.
        n: ask at most n of the due questions.
        today: schedule as of this date (default: today).
    Returns:
        Review, or a Message (one line) for an unknown lesson.
    """
    from IPython.display import display

    try:
        shown = Review(lesson, n=n, today=today)
    except ValueError as err:
        shown = Message(str(err).splitlines()[0])
    display(shown)
    return shown
