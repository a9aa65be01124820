"""One question's prompt and answer widgets, shared by the lesson quiz, the test and the review.

`AnswerInput` knows how to show a question (heading, prompt, code, matrix),
take an answer (radio buttons, checkboxes or a text box), save the answer
in a form that survives a reordering of the bank, and put a saved answer
back. What happens around it (Check and Hint buttons, or Next without
feedback) belongs to the mode that uses it.
"""
import uuid

import ipywidgets as widgets

from helpers.quiz import render
from helpers.quiz.grading import INVALID, Result, grade


def button_layout():
    # ipywidgets' fixed button width would cut "Show model answer" short.
    return widgets.Layout(width="auto", min_width="9em")


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

    def __init__(self, question, order, number, total):
        self.q, self.order = question, list(order)
        prompt_id = f"quiz-prompt-{uuid.uuid4().hex[:10]}"
        self.prompt = widgets.HTML(render.prompt_html(question, number, total, prompt_id))
        self.prompt.add_class("quiz-prompt")
        self.input = self._make_input()
        self.input.add_class("quiz-option")

    def question_box(self, below):
        """Return the question's VBox: prompt, input, then the widgets `below`, with its classes."""
        box = widgets.VBox([self.prompt, self.input, *below])
        for cls in ("quiz-question", f"quiz-id-{self.q.id}", f"quiz-type-{self.q.type}"):
            box.add_class(cls)
        return box

    def _make_input(self):
        q = self.q
        if q.type in ("single", "predict"):
            return widgets.RadioButtons(options=[(q.options[i].text, i) for i in self.order],
                                        value=None, layout=widgets.Layout(width="auto"))
        if q.type == "multiple":
            self.boxes = [widgets.Checkbox(description=q.options[i].text, value=False,
                                           indent=False, layout=widgets.Layout(width="auto"))
                          for i in self.order]
            return widgets.VBox(self.boxes)
        if q.type == "numeric":
            self.text = widgets.Text(placeholder="type a number",
                                     description="Your answer:",
                                     style={"description_width": "initial"})
            fmt = widgets.HTML(render.text_html(f"Expected format: {q.format}."))
            return widgets.VBox([fmt, self.text])
        self.text = widgets.Textarea(placeholder="Write your answer here, then press "
                                                 "Show model answer.",
                                     description="Your answer:", rows=3,
                                     style={"description_width": "initial"},
                                     layout=widgets.Layout(width="95%"))
        return widgets.VBox([self.text])

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
