"""Questions one at a time, started by a button: what the test and the review share.

A `Sequence` shows a title and an intro with a Start button; Start asks the
subclass for its questions (`begin`), then shows one question box at a time
in `stage`, and finally whatever the subclass puts there (the results).
Nothing heavy runs before Start, so a notebook's Run All stays fast and a
test starts only when the learner asks for it.

CSS classes for tests and styling: `quiz-sequence` (the whole widget),
`quiz-start`, `quiz-status` (e.g. "Question 3 of 10"), `quiz-next`,
`quiz-back`, `quiz-results`, plus the lesson quiz's `quiz-question`,
`quiz-id-<id>`, `quiz-option`, `quiz-check` and `quiz-feedback` on each
question, and `quiz-lesson-<lesson>` on it.
"""
import html

import ipywidgets as widgets

from helpers.quiz import render
from helpers.quiz.answer_input import button_layout


def button(description, css_class, tooltip, primary=False):
    """Return a Button with the course's layout and a stable CSS class."""
    b = widgets.Button(description=description, tooltip=tooltip, layout=button_layout(),
                       button_style="primary" if primary else "")
    b.add_class(css_class)
    return b


class Message:
    """A one-line message shown instead of a quiz (an unknown lesson, nothing to ask)."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text

    def _repr_html_(self):
        return f"<p class='quiz-notice'>{html.escape(self.text)}</p>"


class Sequence(render.DisplayedOnce):
    """A title, an intro and a Start button; then questions one at a time.

    Args:
        title: the heading.
        intro: plain text under it (bank-text conventions: `code`).
        progress: the Progress whose notices are shown.
        start_label: the Start button's text.
    """

    static_note = "Open the notebook in JupyterLab and run this cell to start."

    def __init__(self, title, intro, progress, start_label="Start"):
        self.title, self.progress = title, progress
        self.header = widgets.HTML(f"{render.STYLE}<h3 class='quiz-title'>{html.escape(title)}"
                                   f"</h3>{render.text_html(intro)}")
        self.notice = widgets.HTML("")
        self.notice.add_class("quiz-notice")
        self.start_button = button(start_label, "quiz-start", start_label, primary=True)
        self.start_button.on_click(lambda _b: self.start())
        self.status = widgets.HTML("")
        self.status.add_class("quiz-status")
        self.stage = widgets.VBox([])
        self.widget = widgets.VBox([self.header, self.notice, self.start_button, self.status,
                                    self.stage])
        for cls in ("quiz", "quiz-sequence"):
            self.widget.add_class(cls)
        self.show_notices()

    def show_notices(self):
        self.notice.value = "".join(render.text_html(m) for m in self.progress.notices)

    def start(self):
        """Start (or start again): hide the Start button and show the first question."""
        self.start_button.layout.display = "none"
        self.begin()

    def begin(self):
        """Prepare the questions and show the first one (subclasses)."""
        raise NotImplementedError

    def show(self, status, *children):
        """Put `children` on the stage, with a status line above them."""
        self.status.value = f"<p>{html.escape(status)}</p>" if status else ""
        self.stage.children = children

    def offer_restart(self, label):
        """Show the Start button again, relabelled (e.g. "Take another test")."""
        self.start_button.description = self.start_button.tooltip = label
        self.start_button.layout.display = None

    # -- display -----------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = (f"<div class='quiz-static'><p><strong>{html.escape(self.title)}"
                               f"</strong></p><p><em>{self.static_note}</em></p></div>")
        bundle["text/plain"] = f"{self.title} ({self.static_note})"
        return bundle
