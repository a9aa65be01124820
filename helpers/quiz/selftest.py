""""Test yourself": 10 questions across easy, medium and hard, feedback only at the end.

    from helpers.quiz import show_test
    show_test()                      # from the lessons you have opened (else all of them)
    show_test("02_weight_decay")     # from one lesson

The test asks its questions one after another with no feedback, then shows
the score, a verdict per topic (strong, review, not yet) with a link to the
section that teaches it, and every question's answer and explanation. Each
attempt is saved (date, questions, answers, score) and moves the questions
between review boxes (see `helpers.quiz.leitner`); a retake prefers the
questions asked least recently, so it differs from the last one where the
banks allow. `show_progress()` charts the attempts.
"""
import html
import random
from dataclasses import dataclass
from datetime import date

import ipywidgets as widgets

from helpers.quiz import render
from helpers.quiz.answer_input import AnswerInput, safe_grade
from helpers.quiz.bank import bank_names, load_bank
from helpers.quiz.grading import EMPTY, INVALID, RIGHT, parse_number, reveal
from helpers.quiz.leitner import after_answer, review_key, state_from_quiz
from helpers.quiz.progress import get_progress, now_iso
from helpers.quiz.schema import DIFFICULTIES
from helpers.quiz.sections import section_link
from helpers.quiz.sequence import Message, Sequence, button
from helpers.quiz.widgets import option_order

FRONT_DOOR = "00_start_here"  # its quiz is about the course itself, not regularization
TEST_LENGTH = 10
MIX = {"easy": 3, "medium": 4, "hard": 3}  # per 10 questions
# A topic's verdict from the fraction of its points earned in this test.
VERDICTS = ((0.8, "strong"), (0.5, "review"), (0.0, "not yet"))
STATUS_WORDS = {RIGHT: "Right", "partly": "Partly right", "wrong": "Not right",
                EMPTY: "Not answered", INVALID: "Not a number"}


def verdict(fraction):
    """Return "strong", "review" or "not yet" for a topic's fraction of points."""
    return next(word for floor, word in VERDICTS if fraction >= floor)


def quotas(n):
    """Return how many questions of each difficulty a test of n asks (MIX scaled, summing to n)."""
    exact = {d: n * MIX[d] / sum(MIX.values()) for d in DIFFICULTIES}
    counts = {d: int(x) for d, x in exact.items()}
    # Largest remainders first, medium before the others on ties.
    for d in sorted(DIFFICULTIES, key=lambda d: (-(exact[d] - counts[d]), d != "medium")):
        if sum(counts.values()) < n:
            counts[d] += 1
    return counts


def draw_test(pool, n, rng, last_asked=None):
    """Pick n questions from `pool`, about 3/4/3 easy/medium/hard per 10.

    Within a level, questions never asked in a test come first, then those
    asked longest ago; ties go to the lesson with fewer questions picked so
    far, then to chance. A level with too few questions leaves its places to
    the others.

    Args:
        pool: list of (lesson, Question), scored questions only.
        n: how many (all of them if the pool is smaller).
        rng: a random.Random.
        last_asked: {(lesson, qid): index of the last attempt that asked it}.
    Returns:
        list of (lesson, Question), easy first, hard last.
    """
    last_asked = last_asked or {}
    chance = {(lesson, q.id): rng.random() for lesson, q in pool}
    per_lesson, picked = {}, []

    def take(candidates, k):
        candidates = list(candidates)
        for _ in range(min(k, len(candidates))):
            best = min(candidates, key=lambda item: (
                last_asked.get((item[0], item[1].id), -1), per_lesson.get(item[0], 0),
                chance[(item[0], item[1].id)]))
            candidates.remove(best)
            picked.append(best)
            per_lesson[best[0]] = per_lesson.get(best[0], 0) + 1

    for level, k in quotas(min(n, len(pool))).items():
        take([item for item in pool if item[1].difficulty == level], k)
    take([item for item in pool if item not in picked], min(n, len(pool)) - len(picked))
    order = {d: i for i, d in enumerate(DIFFICULTIES)}
    return sorted(picked, key=lambda item: (order[item[1].difficulty], chance[(item[0],
                                                                                item[1].id)]))


def lessons_to_test(progress, lesson=None):
    """Return the lessons a test draws from: `lesson`, else those opened, else all."""
    if lesson is not None:
        load_bank(lesson)  # ValueError with the list of quizzes if there is no such lesson
        return [lesson]
    lessons = [name for name in bank_names() if name != FRONT_DOOR]
    return [name for name in lessons if name in progress.opened()] or lessons


@dataclass(frozen=True)
class Answered:
    """One test question after the test: what was asked, answered and scored."""
    lesson: str
    question: object
    answer: object          # as saved: option text(s) or typed text
    status: str
    score: float


class SelfTest(Sequence):
    """A 10-question test across difficulties, with feedback only at the end.

    Args:
        lesson: one lesson, or None for the lessons opened (else all).
        n: questions per test.
        seed: fixes the first draw (default: a fresh draw each time).
        progress: a Progress (default: the learner's file).
    Raises:
        ValueError: an unknown lesson, or no scored question to ask.
    """

    def __init__(self, lesson=None, n=TEST_LENGTH, seed=None, progress=None):
        progress = progress if progress is not None else get_progress()
        progress.refresh()
        self.scope = lesson or "course"
        self.lessons = lessons_to_test(progress, lesson)
        self.pool = [(b.name, q) for b in map(load_bank, self.lessons)
                     for q in b.questions if q.scored]
        if not self.pool:
            raise ValueError(f"There are no scored questions to test in {self.scope}.")
        if int(n) != n or n < 1:
            raise ValueError(f"n must be a whole number of questions, 1 or more, not {n!r}")
        self.n, self.seed, self.draws = min(int(n), len(self.pool)), seed, 0
        mix = ", ".join(f"{k} {d}" for d, k in quotas(self.n).items() if k)
        if lesson:
            where = f"lesson {lesson}"
        elif set(self.lessons) <= set(progress.opened()):
            where = "the lessons you have opened: " + ", ".join(self.lessons)
        else:
            where = "every lesson"
        intro = (f"{self.n} questions from {where} ({mix}), one after another. You see no "
                 "feedback until the end; then your score, a verdict per topic and the "
                 "explanation of every question. Each attempt is saved; "
                 "`show_progress()` charts them.")
        super().__init__("Test yourself" + (f": {lesson}" if lesson else ""), intro, progress,
                         "Start the test")

    # -- asking --------------------------------------------------------------
    def begin(self):
        last_asked = {(q.get("lesson"), q.get("id")): i
                      for i, attempt in enumerate(self.progress.tests())
                      for q in attempt.get("questions") or [] if isinstance(q, dict)}
        # The seed, if given, fixes the first draw only: a retake is a new draw.
        first = self.seed is not None and not self.draws
        seed = self.seed if first else random.SystemRandom().randrange(2**31)
        self.draws += 1
        self.draw_seed = seed
        self.asked = draw_test(self.pool, self.n, random.Random(seed), last_asked)
        learner_seed = self.progress.learner_seed()
        self.inputs = [AnswerInput(q, option_order(lesson, q, learner_seed), i, self.n)
                       for i, (lesson, q) in enumerate(self.asked, 1)]
        self.position = 0
        self._show_current()

    def _show_current(self):
        i, last = self.position, self.position == len(self.inputs) - 1
        back = button("Back", "quiz-back", "Back to the previous question")
        back.disabled = i == 0
        forward = button("Finish" if last else "Next", "quiz-next",
                         "Finish and see your results" if last else "Next question",
                         primary=True)
        self.format_note = widgets.HTML("")
        self.format_note.add_class("quiz-feedback")
        back.on_click(lambda _b: self._move(-1))
        forward.on_click(lambda _b: self._move(+1))
        box = self.inputs[i].question_box([widgets.HBox([back, forward]), self.format_note])
        box.add_class(f"quiz-lesson-{self.asked[i][0]}")
        self.show(f"Question {i + 1} of {len(self.inputs)}; no feedback until the end.", box)

    def _move(self, step):
        current = self.inputs[self.position]
        if step > 0 and current.q.type == "numeric" and str(current.answer()).strip():
            try:  # the format is checked now (not the value): a typo should not cost a point
                parse_number(current.answer())
            except ValueError as err:
                self.format_note.value = render.text_html(
                    f"{err} Expected: {current.q.format}. Or leave it empty to skip.")
                return
        if step > 0 and self.position == len(self.inputs) - 1:
            self.finish()
            return
        self.position += step
        self._show_current()

    # -- results -------------------------------------------------------------
    def finish(self):
        """Grade every answer, save the attempt, move review boxes, show the results."""
        self.answered = []
        for (lesson, q), inp in zip(self.asked, self.inputs):
            answer = inp.answer()
            result = safe_grade(q, answer)
            self.answered.append(Answered(lesson, q, inp.saved_form(answer), result.status,
                                          result.score or 0.0))
        today = date.today()
        self.progress.add_test({
            "date": now_iso(), "scope": self.scope, "seed": self.draw_seed,
            "score": self.points(), "total": len(self.answered),
            "questions": [{"lesson": a.lesson, "id": a.question.id, "topic": a.question.topic,
                           "difficulty": a.question.difficulty, "answer": a.answer,
                           "status": a.status, "score": a.score} for a in self.answered]})
        self.progress.set_reviews({
            review_key(a.lesson, a.question.id): self._review_change(a, today)
            for a in self.answered})
        self.show_notices()
        self.show("", self.results_widget())
        self.offer_restart("Take another test")

    def _review_change(self, answered, today):
        quiz_entry = self.progress.entry(answered.lesson, answered.question.id)

        def change(state):
            return after_answer(state or state_from_quiz(quiz_entry, today),
                                answered.score >= 1.0, today)
        return change

    def points(self):
        return round(sum(a.score for a in self.answered), 2)

    def topic_scores(self):
        """Return [(lesson, topic, points, questions, verdict)], in the order first asked."""
        table = {}
        for a in self.answered:
            row = table.setdefault((a.lesson, a.question.topic), [0.0, 0])
            row[0] += a.score
            row[1] += 1
        return [(lesson, topic, pts, k, verdict(pts / k))
                for (lesson, topic), (pts, k) in table.items()]

    def results_widget(self):
        total = len(self.answered)
        rows = "".join(
            f"<tr><td>{html.escape(topic)} ({html.escape(lesson)})</td>"
            f"<td>{round(pts, 2):g} of {k}</td><td><strong>{word}</strong></td>"
            f"<td><a href='{html.escape(section_link(lesson, topic)[0], quote=True)}'>"
            f"{html.escape(section_link(lesson, topic)[1])}</a></td></tr>"
            for lesson, topic, pts, k, word in self.topic_scores())
        items = "".join(self._item_html(a) for a in self.answered)
        self.results_html = (
            f"{render.STYLE}<div class='quiz-results'><p class='quiz-score'><strong>Score: "
            f"{self.points():g} of {total} ({self.points() / total:.0%}).</strong></p>"
            "<table class='quiz-verdicts'><caption>Your verdict per topic: strong (80% or "
            "more), review (50% or more), not yet (below 50%)</caption><tr>"
            "<th scope='col'>topic</th><th scope='col'>score</th>"
            "<th scope='col'>verdict</th><th scope='col'>where it is taught</th></tr>"
            f"{rows}</table><ol class='quiz-answers'>{items}</ol></div>")
        # An Output widget, not an HTML one: JupyterLab renders its content like a
        # cell's output, so a link to `lesson.ipynb#heading` opens that lesson at
        # that heading inside JupyterLab instead of reloading the page.
        from IPython.display import HTML

        out = widgets.Output()
        out.append_display_data(HTML(self.results_html))
        return out

    @staticmethod
    def _item_html(a):
        q = a.question
        shown = (", ".join(a.answer) if isinstance(a.answer, list) else a.answer) or "(none)"
        head = STATUS_WORDS.get(a.status, a.status)
        if a.status == "partly":
            head += f" ({a.score:.2f} of 1)"
        return (f"<li class='quiz-answer quiz-answer-{html.escape(a.status)}'>"
                f"<p><em>{html.escape(q.difficulty)}, {html.escape(q.topic)}</em></p>"
                f"{render.text_html(q.prompt)}"
                + (render.code_html(q.code) if q.code else "")
                + (render.matrix_html(q.matrix) if q.matrix else "")
                + f"<p>Your answer: {html.escape(str(shown))}. <strong>{head}.</strong></p>"
                f"{render.text_html(reveal(q).message)}</li>")


def show_test(lesson=None, n=TEST_LENGTH, seed=None):
    """Show a "Test yourself" test: n questions, feedback at the end, attempt saved.

    Args:
        lesson: one lesson's bank name, or None for the lessons opened (else all).
        n: how many questions (default 10).
        seed: fixes the first draw (default: a fresh draw each time).
    Returns:
        SelfTest, or a Message (one line) if there is nothing to test.
    """
    from IPython.display import display

    try:
        shown = SelfTest(lesson, n=n, seed=seed)
    except ValueError as err:  # an unknown lesson, an empty bank, a bad n: one line
        shown = Message(str(err).splitlines()[0])
    display(shown)
    return shown
