"""Grade one answer to one question: pure functions, no widgets, no files.

Every function returns a `Result` whose message is written for the learner
and says right or wrong in words (the widgets add colour and a symbol on top,
never instead). Texts may contain `backticks`; the widgets render them as code.
"""
import math
from dataclasses import dataclass

# Status words the widgets style; "invalid" and "empty" are not attempts.
RIGHT, PARTLY, WRONG, INVALID, EMPTY, NOTED, REVEALED = (
    "right", "partly", "wrong", "invalid", "empty", "noted", "revealed")
ATTEMPTS = (RIGHT, PARTLY, WRONG, NOTED)

TRY_AGAIN = "Try again, ask for a hint, or press Show answer."


@dataclass(frozen=True)
class Result:
    """The outcome of checking an answer.

    Attributes:
        status: one of right, partly, wrong (graded attempts); noted (a
            reflection was written); revealed (the learner asked for the
            answer); invalid or empty (nothing was graded, e.g. "abc" typed
            into a numeric box).
        score: 0.0 to 1.0 for graded attempts and reveals, None otherwise.
        message: what to tell the learner.
    """
    status: str
    score: float | None
    message: str

    @property
    def is_attempt(self):
        """Whether this result should be recorded as an attempt."""
        return self.status in ATTEMPTS


def grade_single(question, index):
    """Grade a single-choice (or predict-the-output) answer.

    Args:
        question: a Question of type single or predict.
        index: the chosen option's index in question.options, or None.
    """
    if index is None:
        return Result(EMPTY, None, "Choose an option, then press Check.")
    option = question.options[index]
    if option.correct:
        return Result(RIGHT, 1.0, f"Right. {question.explanation}")
    return Result(WRONG, 0.0, f"Not right. {option.feedback} {TRY_AGAIN}")


def grade_multiple(question, indices):
    """Grade a select-all-that-apply answer, with partial credit.

    Each right option chosen earns 1 / (number of right options); each wrong
    option chosen costs 1 / (number of wrong options); the total is floored
    at 0. So choosing every option earns 0, and so does guessing on average.

    Args:
        question: a Question of type multiple.
        indices: the chosen options' indices in question.options.
    """
    chosen = set(indices)
    if not chosen:
        return Result(EMPTY, None, "Choose every option that applies, then press Check.")
    right = set(question.right_indices)
    hits, extra, missed = chosen & right, sorted(chosen - right), right - chosen
    if not extra and not missed:
        return Result(RIGHT, 1.0, f"Right: you chose all {len(right)} options that apply "
                                  f"and nothing else. {question.explanation}")
    wrong_count = len(question.options) - len(right)
    score = max(0.0, len(hits) / len(right) - (len(extra) / wrong_count if extra else 0.0))
    parts = [f"you chose {len(hits)} of the {len(right)} options that apply"]
    if extra:
        parts.append(f"{len(extra)} that {'does' if len(extra) == 1 else 'do'} not")
    why = " ".join(f"“{question.options[i].text}”: {question.options[i].feedback}"
                   for i in extra)
    more = " At least one more option applies." if missed else ""
    head = f"Partly right (score {score:.2f} of 1)" if score > 0 else "Not right (score 0)"
    status = PARTLY if score > 0 else WRONG
    return Result(status, score, f"{head}: {' and '.join(parts)}.{more} {why} {TRY_AGAIN}"
                  .replace("  ", " ").strip())


def parse_number(text):
    """Read a learner's number: 0.75, .75, 3/4, 75%, 7.5e-1, 0,75 or −0.5.

    Args:
        text: what the learner typed.
    Returns:
        float.
    Raises:
        ValueError: with a message for the learner.
    """
    raw = str(text).strip()
    s = raw.replace("\u2212", "-").replace(" ", "")
    if not s:
        raise ValueError("Type a number first.")
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    if s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")  # a decimal comma, as typed in much of Europe
    try:
        if s.count("/") == 1:
            num, den = (float(part) for part in s.split("/"))
            if den == 0:
                raise ValueError("A fraction cannot have 0 below the line.")
            value = num / den
        else:
            value = float(s)
    except ValueError as err:
        if "below the line" in str(err):
            raise
        raise ValueError(f"“{raw}” is not a number I can read.") from None
    if not math.isfinite(value):
        raise ValueError(f"“{raw}” is not a finite number.")
    return value / 100 if percent else value


def answer_decimals(tolerance):
    """Return how many decimals show an answer at the precision its tolerance implies."""
    return max(0, -math.floor(math.log10(2 * tolerance)))


def format_answer(question):
    """Return a numeric question's answer as text, e.g. "0.75"."""
    return f"{question.answer:.{answer_decimals(question.tolerance)}f}"


def grade_numeric(question, text):
    """Grade a typed number against the answer, within the question's tolerance.

    Args:
        question: a Question of type numeric.
        text: the raw text from the answer box.
    Returns:
        Result; status "invalid" or "empty" (never an exception) when the text
        is not a number, with the expected format restated.
    """
    try:
        value = parse_number(text)
    except ValueError as err:
        status = EMPTY if not str(text).strip() else INVALID
        return Result(status, None, f"{err} Expected: {question.format}. "
                                    "A fraction such as 3/4 or a percentage such as 75% "
                                    "also works.")
    if abs(value - question.answer) <= question.tolerance:
        return Result(RIGHT, 1.0, f"Right: {format_answer(question)}. {question.explanation}")
    for mistake, feedback in question.mistakes:
        if abs(value - mistake) <= question.tolerance:
            return Result(WRONG, 0.0, f"Not right. {feedback} {TRY_AGAIN}")
    return Result(WRONG, 0.0, f"Not right. {question.wrong_feedback} {TRY_AGAIN}")


def grade_reflection(question, text):
    """Accept a written reflection (never scored) and reveal the model answer.

    Args:
        question: a Question of type reflection.
        text: what the learner wrote.
    """
    written = str(text).strip()
    if len(written) < question.min_chars:
        return Result(EMPTY, None, f"Write your own answer first (at least "
                                   f"{question.min_chars} characters); the model answer "
                                   "appears after that.")
    return Result(NOTED, None, f"Saved. Compare with a model answer: {question.model_answer}")


def grade(question, answer):
    """Grade `answer` with the function for the question's type (see above)."""
    if question.type in ("single", "predict"):
        return grade_single(question, answer)
    if question.type == "multiple":
        return grade_multiple(question, answer)
    if question.type == "numeric":
        return grade_numeric(question, answer)
    return grade_reflection(question, answer)


def reveal(question):
    """Give up on a question: show the right answer and the explanation (scores 0)."""
    if question.type == "numeric":
        answer = format_answer(question)
    else:
        answer = " | ".join(f"“{question.options[i].text}”" for i in question.right_indices)
    return Result(REVEALED, 0.0, f"The answer: {answer}. {question.explanation}")
