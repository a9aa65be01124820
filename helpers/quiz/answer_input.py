"""One question's prompt and answer widgets, shared by the lesson quiz, the test and the review.

`AnswerInput` knows how to show a question (heading, prompt, code, matrix),
take an answer (radio buttons, checkboxes or a text box), save the answer
in a form that survives a reordering of the bank, and put a saved answer
back. What happens around it (Check and Hint buttons, or Next without
feedback) belongs to the mode that uses it.
"""
import uuid

import ipywidgets as widgets
from ipywidgets.widgets.widget_string import HTMLStyle  # not exported at the top level

from helpers.quiz import render
from helpers.quiz.grading import INVALID, Result, grade


def button_layout():
    # ipywidgets' fixed button width would cut "Show model answer" short.
    return widgets.Layout(width="auto", min_width="9em")


class Looks:
    """One Layout or style model per kind, shared by the widgets of one quiz.

    A widget given none opens its own Layout (and an HTML or a Button its own
    style): a comm message from the kernel and a model in the browser each.
    A 17-question lesson quiz was 479 widgets that way. None of these models
    is changed after the quiz is built (the buttons a test or a review hides
    keep their own layouts), so one of each serves every question.
    """

    def __init__(self):
        self.box, self.auto, self.wide = widgets.Layout(), widgets.Layout(width="auto"), \
            widgets.Layout(width="95%")
        self.button, self.button_style = button_layout(), widgets.ButtonStyle()
        self.html = {"layout": self.box, "style": HTMLStyle()}
        self.label = {"description_width": "initial"}  # a text box's "Your answer:"


def safe_grade(question, answer):
    """Grade an answer; an unexpected error becomes an "invalid" Result, never a traceback.

    A traceback in a widget callback goes to a log the learner never sees;
    the learner gets a sentence instead.
    """
    try:
        return grade(question, answer)
    except Exception as err:  # noqa: BLE001
        return Result(INVALID, None, f"Sorry, this answer could not be checked "
                                     f"({type(err).__name__}: {err}). Please tell "
                                     "the course team.")


class AnswerInput:
    """The prompt and input widgets of one question.

    Args:
        question: a Question.
        order: the display order of its options (indices into question.options).
        number, total: its position, for the heading ("Question 2 of 10").
    Attributes:
        prompt (HTML), input (the answer widget, CSS class `quiz-option`);
        `text` for numeric and reflection questions, `boxes` for multiple choice.
    """

    def __init__(self, question, order, number, total, looks=None):
        self.q, self.order = question, list(order)
        self.looks = looks or Looks()
        prompt_id = f"quiz-prompt-{uuid.uuid4().hex[:10]}"
        self.prompt = widgets.HTML(render.prompt_html(question, number, total, prompt_id),
                                   **self.looks.html)
        self.prompt.add_class("quiz-prompt")
        self.input = self._make_input()
        self.input.add_class("quiz-option")

    def question_box(self, below):
        """Return the question's VBox: prompt, input, then the widgets `below`, with its classes."""
        box = widgets.VBox([self.prompt, self.input, *below], layout=self.looks.box)
        for cls in ("quiz-question", f"quiz-id-{self.q.id}", f"quiz-type-{self.q.type}"):
            box.add_class(cls)
        return box

    def _make_input(self):
        q, looks = self.q, self.looks
        if q.type in ("single", "predict"):
            return widgets.RadioButtons(options=[(q.options[i].text, i) for i in self.order],
                                        value=None, layout=looks.auto)
        if q.type == "multiple":
            self.boxes = [widgets.Checkbox(description=q.options[i].text, value=False,
                                           indent=False, layout=looks.auto)
                          for i in self.order]
            return widgets.VBox(self.boxes, layout=looks.box)
        if q.type == "numeric":
            self.text = widgets.Text(placeholder="type a number", description="Your answer:",
                                     style=looks.label, layout=looks.box)
            fmt = widgets.HTML(render.text_html(f"Expected format: {q.format}."), **looks.html)
            return widgets.VBox([fmt, self.text], layout=looks.box)
        self.text = widgets.Textarea(placeholder="Write your answer here, then press "
                                                 "Show model answer.",
                                     description="Your answer:", rows=3,
                                     style=looks.label, layout=looks.wide)
        return widgets.VBox([self.text], layout=looks.box)

    def answer(self):
        """Return the current answer: an option index, a list of them, or text."""
        if self.q.type in ("single", "predict"):
            return self.input.value
        if self.q.type == "multiple":
            return [i for box, i in zip(self.boxes, self.order) if box.value]
        return self.text.value

    def saved_form(self, answer):
        """Return the answer as saved: option texts survive a reordering of the bank."""
        if self.q.type in ("single", "predict"):
            return None if answer is None else self.q.options[answer].text
        if self.q.type == "multiple":
            return [self.q.options[i].text for i in answer]
        return answer

    def set_saved(self, saved):
        """Put a saved answer back into the widgets; return it as an answer, or None."""
        texts = [o.text for o in self.q.options]
        if self.q.type in ("single", "predict"):
            if saved not in texts:
                return None  # the bank changed since; do not guess
            self.input.value = texts.index(saved)
            return self.input.value
        if self.q.type == "multiple":
            if not isinstance(saved, list) or any(t not in texts for t in saved):
                return None
            for box, i in zip(self.boxes, self.order):
                box.value = texts[i] in saved
            return self.answer()
        if not isinstance(saved, str):
            return None
        self.text.value = saved
        return saved
