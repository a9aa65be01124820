"""Answer a question's widgets right or wrong, as a learner would (tests of the quiz modes)."""
from helpers.quiz.grading import format_answer


def answer(inp, right):
    """Fill an AnswerInput with a right (or a wrong) answer to its question."""
    q = inp.q
    if q.type in ("single", "predict"):
        inp.input.value = q.right_indices[0] if right else next(
            i for i, o in enumerate(q.options) if not o.correct)
    elif q.type == "multiple":
        chosen = set(q.right_indices) if right else {
            next(i for i, o in enumerate(q.options) if not o.correct)}
        for box, i in zip(inp.boxes, inp.order):
            box.value = i in chosen
    elif q.type == "numeric":
        inp.text.value = format_answer(q) if right else "123456"
    else:
        raise ValueError(f"{q.type} questions are not scored")
