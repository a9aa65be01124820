"""Leitner boxes: when each question comes back for review (pure functions on dicts).

A question sits in box 1 to 5. Answered right, it moves up one box and comes
back after that box's interval; answered wrong, it goes back to box 1 and
comes back at once. A question answered in a lesson quiz but never
reviewed starts where its first try puts it: missed (or revealed) on the
first try, box 1 and due at once; right on the first try, box 2.

A state is a JSON-ready dict {"box": 1..5, "due": "YYYY-MM-DD", "seen": "YYYY-MM-DD"}.
"""
from datetime import date, datetime, timedelta

# Days until a question in box 1, 2, ... 5 is due again: box 1 (just missed)
# at once, then roughly doubling, the usual Leitner spacing.
INTERVAL_DAYS = (0, 3, 7, 14, 30)


def review_key(lesson, qid):
    """Return the key a question's review state is saved under: "lesson/qid"."""
    return f"{lesson}/{qid}"


def _day(stamp, default):
    try:
        return datetime.fromisoformat(stamp).date()
    except (TypeError, ValueError):
        return default


def _state(box, day):
    return {"box": box, "due": (day + timedelta(days=INTERVAL_DAYS[box - 1])).isoformat(),
            "seen": day.isoformat()}


def state_from_quiz(entry, today):
    """Return the starting state of a question answered in a lesson quiz, or None if not scored."""
    if not isinstance(entry, dict) or entry.get("score") is None:
        return None  # reflections and unanswered questions are never reviewed
    day = _day(entry.get("updated"), today)
    missed = entry.get("revealed") or (entry.get("first_score") or 0.0) < 1.0
    return _state(1 if missed else 2, day)


def after_answer(state, right, today):
    """Return the state after a review or test answer (right: up a box; wrong: box 1)."""
    box = state.get("box", 1) if isinstance(state, dict) else 1
    box = min(box + 1, len(INTERVAL_DAYS)) if right else 1
    return _state(box, today)


def schedule(lessons, reviews, today):
    """Return {(lesson, qid): state} for every question answered in a quiz, test or review.

    Args:
        lessons: {lesson: {qid: quiz entry}} (Progress.lessons()).
        reviews: {"lesson/qid": state} (Progress.review_states()); these win.
        today: a date (for quiz entries without a readable date).
    """
    states = {}
    for lesson, entries in lessons.items():
        for qid, entry in entries.items():
            state = state_from_quiz(entry, today)
            if state:
                states[(lesson, qid)] = state
    for key, state in reviews.items():
        lesson, _, qid = key.partition("/")
        if qid and isinstance(state.get("box"), int):
            states[(lesson, qid)] = state
    return states


def due(states, today):
    """Return the (lesson, qid) keys due on `today`, longest overdue first, then lowest box."""
    ready = [(s["due"], s["box"], k) for k, s in states.items() if s["due"] <= today.isoformat()]
    return [k for _due, _box, k in sorted(ready)]


def next_due(states, today):
    """Return (date, count) of the next day after `today` with questions due, or None."""
    later = sorted(s["due"] for s in states.values() if s["due"] > today.isoformat())
    if not later:
        return None
    return date.fromisoformat(later[0]), later.count(later[0])
