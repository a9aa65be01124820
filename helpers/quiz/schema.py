"""JSON Schemas for the quiz banks (checked with jsonschema when a bank loads).

The schema is split in two on purpose: one for the bank and the fields every
question shares, then one per question type. Validating a question against
the schema of its own type gives errors a bank author can act on ("options[2]:
'feedback' is a required property") instead of the wall of alternatives a
single `oneOf` produces. Rules a schema cannot say (exactly one right option,
unique ids, a snippet that runs) live in `helpers.quiz.bank`.
"""

DIFFICULTIES = ("easy", "medium", "hard")
TYPES = ("single", "multiple", "numeric", "predict", "reflection")

# A fixed vocabulary, so a typo cannot split one topic into two bars of the
# mastery chart.
TOPICS = (
    "course",          # how the course works (00_start_here)
    "overfitting",     # train/validation gap, what regularization does
    "metrics",         # accuracy, precision, recall, F1, confusion matrices
    "weight-decay",    # weight_decay in PyTorch optimizers, defaults, lr * wd
    "adam-vs-adamw",   # L2 inside Adam versus decoupled decay
    "l2-penalty",      # writing the penalty by hand, the factor of 2
    "penalty-bugs",    # penalties that crash or are not penalties at all
    "l1-vs-l2",        # sparsity (L1, proximal steps) versus spreading weight (L2)
    "param-groups",    # which parameters get decay, optimizer groups
)

_TEXT = {"type": "string", "minLength": 1}
_NUMBER = {"type": "number"}
_CODE = {"type": "string", "minLength": 1}

# A number given either literally or as a Python expression evaluated when the
# bank loads (see bank.py); exactly one of the two.
_VALUE = {
    "answer": _NUMBER,
    "answer_code": _CODE,
}

BANK_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["lesson", "title", "questions"],
    "properties": {
        "lesson": {"type": "string", "pattern": "^[0-9]{2}_[a-z0-9_]+$"},
        "title": _TEXT,
        "intro": _TEXT,
        # Named confusion matrices, typed once from the source pages; questions
        # refer to them by name and every number derived from them is computed.
        "matrices": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["tp", "fp", "fn", "tn"],
                "properties": {k: {"type": "integer", "minimum": 0}
                               for k in ("tp", "fp", "fn", "tn")},
            },
        },
        "questions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "type"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
                    "type": {"enum": list(TYPES)},
                },
            },
        },
    },
}

_COMMON = {
    "id": {"type": "string"},
    "type": {"enum": list(TYPES)},
    "difficulty": {"enum": list(DIFFICULTIES)},
    "topic": {"enum": list(TOPICS)},
    "prompt": _TEXT,
    "hint": _TEXT,
    "explanation": _TEXT,
    # Where the question comes from (e.g. a practice question on a seed page).
    "source": _TEXT,
    # Name of a confusion matrix in the bank's `matrices`, shown with the prompt.
    "matrix": {"type": "string"},
    # Code shown under the prompt (for `predict`, the snippet that is run).
    "code": _CODE,
}
_COMMON_REQUIRED = ["id", "type", "difficulty", "topic", "prompt", "hint"]

_OPTION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["text"],
    "properties": {"text": _TEXT, "correct": {"type": "boolean"}, "feedback": _TEXT},
}
_WRONG_OPTION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["text", "feedback"],
    "properties": {"text": _TEXT, "feedback": _TEXT},
}
_MISTAKE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["feedback"],
    "oneOf": [{"required": ["answer"]}, {"required": ["answer_code"]}],
    "properties": {**_VALUE, "feedback": _TEXT},
}


def _question(required, **properties):
    return {
        "type": "object",
        "additionalProperties": False,
        "required": _COMMON_REQUIRED + required,
        "properties": {**_COMMON, **properties},
    }


QUESTION_SCHEMAS = {
    "single": _question(["options", "explanation"],
                        options={"type": "array", "minItems": 2, "items": _OPTION}),
    "multiple": _question(["options", "explanation"],
                          options={"type": "array", "minItems": 2, "items": _OPTION}),
    "numeric": {
        **_question(["tolerance", "format", "mistakes", "wrong_feedback", "explanation"],
                    **_VALUE,
                    tolerance={"type": "number", "exclusiveMinimum": 0},
                    # How to type the answer, shown next to the box ("a decimal
                    # between 0 and 1, 2 places, e.g. 0.42").
                    format=_TEXT,
                    # Known wrong answers and the mistake behind each.
                    mistakes={"type": "array", "minItems": 1, "items": _MISTAKE},
                    # Said for any other wrong number.
                    wrong_feedback=_TEXT),
        "oneOf": [{"required": ["answer"]}, {"required": ["answer_code"]}],
    },
    # The right option of a predict question is the snippet's output, computed
    # when the bank loads; the bank lists only the wrong options.
    "predict": _question(["code", "options", "explanation"],
                         options={"type": "array", "minItems": 1, "items": _WRONG_OPTION},
                         # The snippet is expected to raise; its answer is then
                         # "raises <ExceptionType>".
                         raises={"type": "boolean"}),
    "reflection": _question(["model_answer"],
                            model_answer=_TEXT,
                            min_chars={"type": "integer", "minimum": 1}),
}
