"""Load a lesson's quiz bank (YAML), check it, and compute every derived answer.

A bank is data: `helpers/quiz/banks/<lesson>.yaml`. Loading one

1. parses the YAML (a key given twice is an error, not a silent overwrite);
2. validates it with jsonschema against `helpers.quiz.schema`;
3. checks what a schema cannot say (exactly one right option in a single
   choice question, feedback on every wrong option, unique ids, ...);
4. computes what must never be typed by hand: a numeric `answer_code`
   (evaluated with `helpers.metrics`), the numbers in `{{ ... }}` templates,
   and the output of every predict-the-output snippet, by running it.

Any problem raises `BankError`, which names the file and the question id.
The `answer_code` expressions, `{{ ... }}` templates and snippets are Python
run with `eval`/`exec`: banks ship inside the package and are reviewed like
code, never loaded from a learner's files.
"""
import builtins
import contextlib
import io
import math
import random
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from helpers import metrics
from helpers.fast_imports import import_jsonschema
from helpers.quiz.schema import BANK_SCHEMA, DIFFICULTIES, QUESTION_SCHEMAS

jsonschema = import_jsonschema()  # 1.3 s faster than `import jsonschema` (helpers/fast_imports.py)

BANKS_DIR = Path(__file__).parent / "banks"

# Lesson banks (not the 00 front door) must have at least this many questions
# and all three difficulty levels (issue 3: "at least 10 questions for each lesson").
MIN_LESSON_QUESTIONS = 10

# A predict-the-output answer is shown as one option line.
MAX_OUTPUT_CHARS = 100

_TEMPLATE = re.compile(r"\{\{(.+?)\}\}", re.DOTALL)
_TEXT_FIELDS = ("prompt", "hint", "explanation", "format", "wrong_feedback", "model_answer")


class BankError(ValueError):
    """A quiz bank that cannot be used, with every problem found in it.

    Attributes:
        path: the bank file.
        problems: list of (question_id or None, message).
    """

    def __init__(self, path, problems):
        self.path = Path(path)
        self.problems = list(problems)
        lines = [_describe(self.path, qid, msg) for qid, msg in self.problems]
        super().__init__(lines[0] if len(lines) == 1 else
                         f"{len(lines)} problems:\n" + "\n".join(lines))


def _describe(path, qid, msg):
    where = f"quiz bank {path}" + (f", question '{qid}'" if qid else "")
    return f"{where}: {msg}"


@dataclass(frozen=True)
class Option:
    """One choice: its text, whether it is right, and why it is wrong if not."""
    text: str
    correct: bool = False
    feedback: str | None = None


@dataclass(frozen=True)
class Question:
    """One checked question, ready to show. Texts may use `backticks` for code."""
    id: str
    type: str
    difficulty: str
    topic: str
    prompt: str
    hint: str
    explanation: str | None = None
    source: str | None = None
    code: str | None = None
    matrix: dict | None = None
    options: tuple = ()
    answer: float | None = None
    tolerance: float | None = None
    format: str | None = None
    mistakes: tuple = ()          # (value, feedback) pairs
    wrong_feedback: str | None = None
    output: str | None = None     # predict: what the snippet printed (or raised)
    model_answer: str | None = None
    min_chars: int = 10

    @property
    def scored(self):
        """Whether the question counts toward the score (reflections do not)."""
        return self.type != "reflection"

    @property
    def right_indices(self):
        return [i for i, o in enumerate(self.options) if o.correct]


@dataclass(frozen=True)
class Bank:
    """A lesson's checked questions, in file order."""
    name: str
    path: Path
    title: str
    questions: tuple
    intro: str | None = None
    matrices: dict = field(default_factory=dict)

    def question(self, qid):
        """Return the question with id `qid` (KeyError if there is none)."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def counts(self):
        """Return the number of questions per difficulty, e.g. {"easy": 4, ...}."""
        return {d: sum(q.difficulty == d for q in self.questions) for d in DIFFICULTIES}

    def summary_line(self):
        """Return `<bank>: N questions (easy E, medium M, hard H)`."""
        c = self.counts()
        return (f"{self.name}: {len(self.questions)} questions "
                f"(easy {c['easy']}, medium {c['medium']}, hard {c['hard']})")


def bank_names(directory=None):
    """Return the names of the banks in `directory` (default: the course's), sorted."""
    return sorted(p.stem for p in Path(directory or BANKS_DIR).glob("*.yaml"))


_cache = {}


def load_bank(lesson):
    """Load, check and compute the quiz bank of one lesson.

    Args:
        lesson: the bank name, e.g. "01_overfitting_metrics".
    Returns:
        Bank. Loaded once per kernel (and again if the file changes).
    Raises:
        ValueError: no bank has that name. BankError: the bank is malformed.
    """
    path = BANKS_DIR / f"{lesson}.yaml"
    if not re.fullmatch(r"[0-9A-Za-z_]+", str(lesson)) or not path.is_file():
        raise ValueError(f"There is no quiz called {lesson!r}. "
                         f"The quizzes are: {', '.join(bank_names())}.")
    return load_bank_file(path)


def load_bank_file(path):
    """Load and check a bank from any path (tests use malformed copies); see load_bank."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _cache:
        _cache[key] = _build(path)
    return _cache[key]


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A safe YAML loader that rejects a key given twice in one mapping.

    On libyaml's C parser where PyYAML has it: the pure-Python one takes 0.11 s
    over the five banks, the C one 0.01 s (the quiz cells of every lesson).
    """


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_mapping)


def _parse(path):
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.load(f, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as err:
        raise BankError(path, [(None, f"is not valid YAML: {err}")]) from None


def _schema_messages(schema, instance):
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [("/".join(str(p) for p in e.absolute_path) or "(top level)", e.message)
            for e in errors]


def _build(path):
    data = _parse(path)
    problems = [_locate(data, where, msg) for where, msg in _schema_messages(BANK_SCHEMA, data)]
    if problems:
        raise BankError(path, problems)
    if data["lesson"] != path.stem:
        problems.append((None, f"'lesson' is {data['lesson']!r} but the file is {path.name}; "
                               "they must match"))
    matrices = data.get("matrices", {})
    namespace = {"metrics": metrics, "report": metrics.report, "math": math, **matrices}
    questions, seen = [], set()
    for raw in data["questions"]:
        qid = raw["id"]
        if qid in seen:
            problems.append((qid, "this id is used by two questions; ids must be unique"))
            continue
        seen.add(qid)
        try:
            questions.append(_question(raw, matrices, namespace))
        except _Problem as p:
            problems.extend((qid, msg) for msg in p.messages)
    if problems:
        raise BankError(path, problems)
    return Bank(name=path.stem, path=path, title=_render(data["title"], namespace, "title"),
                intro=data.get("intro"), questions=tuple(questions), matrices=matrices)


def _locate(data, where, msg):
    """Name the question a schema error is in: ('questions/3/options', m) -> (id, 'options: m')."""
    parts = where.split("/")
    if parts[0] == "questions" and len(parts) > 1 and parts[1].isdigit():
        raw = data["questions"][int(parts[1])]
        qid = raw.get("id") if isinstance(raw, dict) else None
        rest = "/".join(parts[2:])
        return (qid or f"#{int(parts[1]) + 1}", f"{rest + ': ' if rest else ''}{msg}")
    return (None, f"{where}: {msg}")


class _Problem(Exception):
    def __init__(self, *messages):
        super().__init__(*messages)
        self.messages = list(messages)


def _question(raw, matrices, namespace):
    """Check one question's dict and return the Question, or raise _Problem."""
    messages = [f"{where + ': ' if where != '(top level)' else ''}{msg}"
                for where, msg in _schema_messages(QUESTION_SCHEMAS[raw["type"]], raw)]
    if messages:
        raise _Problem(*messages)
    kind = raw["type"]
    ns = dict(namespace)
    matrix = None
    if "matrix" in raw:
        if raw["matrix"] not in matrices:
            raise _Problem(f"matrix {raw['matrix']!r} is not defined in the bank's 'matrices'")
        matrix = dict(matrices[raw["matrix"]])
        ns.update(matrix)  # tp, fp, fn, tn of the question's own matrix
    fields = {}
    if kind == "numeric":
        fields["answer"] = _value(raw, ns, "the answer")
        ns["answer"] = fields["answer"]
        fields["tolerance"] = float(raw["tolerance"])
        fields["mistakes"] = tuple((_value(m, ns, f"mistakes[{i}]"), m["feedback"])
                                   for i, m in enumerate(raw["mistakes"]))
    if kind == "predict":
        fields["output"] = _predict_output(raw)
        ns["output"] = fields["output"]
    text = {k: _render(raw[k], ns, k) for k in _TEXT_FIELDS if k in raw}
    options = tuple(Option(text=_render(o["text"], ns, f"options[{i}].text"),
                           correct=o.get("correct", False),
                           feedback=_render(o["feedback"], ns, f"options[{i}].feedback")
                           if "feedback" in o else None)
                    for i, o in enumerate(raw.get("options", ())))
    if kind == "predict":
        # The right option is the snippet's own output, never typed by hand.
        options = (Option(text=fields["output"], correct=True),) + options
    if kind == "numeric":
        fields["mistakes"] = tuple((v, _render(fb, ns, "mistakes.feedback"))
                                   for v, fb in fields["mistakes"])
    question = Question(id=raw["id"], type=kind, difficulty=raw["difficulty"],
                        topic=raw["topic"], source=raw.get("source"), code=raw.get("code"),
                        matrix=matrix, options=options, min_chars=raw.get("min_chars", 10),
                        **text, **fields)
    problems = _semantic_problems(question)
    if problems:
        raise _Problem(*problems)
    return question


def _value(spec, ns, what):
    if "answer" in spec:
        value = spec["answer"]
    else:
        try:
            value = eval(spec["answer_code"], {"__builtins__": builtins, **ns})
        except Exception as err:
            raise _Problem(f"{what}: answer_code {spec['answer_code']!r} failed: "
                           f"{type(err).__name__}: {err}") from None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise _Problem(f"{what} is {value!r}, not a number") from None
    if not math.isfinite(value):
        raise _Problem(f"{what} is {value}, not a finite number")
    return value


def _render(text, ns, what):
    """Replace each `{{ expression | format }}` in `text` by its computed value."""
    def substitute(match):
        expr, _, fmt = match.group(1).rpartition("|") if "|" in match.group(1) \
            else (match.group(1), "", "")
        try:
            value = eval(expr.strip(), {"__builtins__": builtins, **ns})
            if fmt.strip():
                return format(value, fmt.strip())
            return f"{value:.4g}" if isinstance(value, float) else str(value)
        except Exception as err:
            raise _Problem(f"{what}: template {match.group(0)!r} failed: "
                           f"{type(err).__name__}: {err}") from None
    return _TEMPLATE.sub(substitute, text)


def run_snippet(code, name="snippet"):
    """Run a predict-the-output snippet the way a learner would, in a fresh namespace.

    torch and Python's `random` are seeded with 0 inside a forked RNG state, so
    the output is the same on every run and the caller's generators are left
    exactly as they were (a quiz shown mid-lesson must not reseed the lesson).

    Args:
        code: the snippet's source.
        name: used as the snippet's file name in tracebacks.
    Returns:
        (printed, error): stdout with surrounding whitespace removed, and the
        exception it raised or None.
    """
    import torch  # only predict questions need it

    out, error = io.StringIO(), None
    state = random.getstate()
    dtype, grad = torch.get_default_dtype(), torch.is_grad_enabled()
    try:
        with torch.random.fork_rng(devices=[]), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.manual_seed(0)
            random.seed(0)
            try:
                exec(compile(code, f"<{name}>", "exec"), {"__name__": "__quiz_snippet__"})
            except Exception as err:  # the snippet's own error is its answer or a bank bug
                error = err
    finally:
        random.setstate(state)
        torch.set_default_dtype(dtype)
        torch.set_grad_enabled(grad)
    return out.getvalue().strip(), error


def _predict_output(raw):
    printed, error = run_snippet(raw["code"], name=f"snippet {raw['id']}")
    if raw.get("raises"):
        if error is None:
            raise _Problem(f"the snippet should raise (raises: true) but it printed {printed!r}")
        if printed:
            raise _Problem("a snippet that raises must not print anything first")
        return f"raises {type(error).__name__}"
    if error is not None:
        raise _Problem(f"the snippet raised {type(error).__name__}: {error} "
                       "(set 'raises: true' if that is the point)")
    if not printed:
        raise _Problem("the snippet prints nothing, so there is no output to predict")
    if "\n" in printed or len(printed) > MAX_OUTPUT_CHARS:
        raise _Problem(f"the snippet's output must be one line of at most {MAX_OUTPUT_CHARS} "
                       f"characters to be shown as an option; it printed {printed!r}")
    return printed


def _semantic_problems(q):
    """Return the rules a schema cannot express that `q` breaks (a list of messages)."""
    problems = []
    texts = [o.text for o in q.options]
    for i, o in enumerate(q.options):
        if texts.count(o.text) > 1 and texts.index(o.text) == i:
            problems.append(f"the option {o.text!r} appears twice" +
                            (" (a wrong option equals the snippet's output)"
                             if q.type == "predict" else ""))
        if "`" in o.text:
            problems.append(f"option {o.text!r}: options are shown as plain text; "
                            "remove the backticks")
        if not o.correct and not o.feedback:
            problems.append(f"the wrong option {o.text!r} has no feedback; say which "
                            "mistake leads to it")
        if o.correct and o.feedback and q.type != "predict":
            problems.append(f"the right option {o.text!r} has feedback, which is never "
                            "shown; put it in the explanation")
    right = len(q.right_indices)
    if q.type == "single" and right != 1:
        problems.append(f"a single-choice question needs exactly one right option, "
                        f"it has {right}")
    if q.type == "multiple" and right < 1:
        problems.append("a multiple-select question needs at least one right option")
    if q.type == "numeric":
        for value, _ in q.mistakes:
            if abs(value - q.answer) <= q.tolerance:
                problems.append(f"the mistake {value:g} is within the tolerance "
                                f"({q.tolerance:g}) of the answer {q.answer:g}, so it "
                                "would be graded right")
    return problems


def coverage_problems(bank):
    """Return what a lesson bank lacks to be a full lesson quiz (the 00 bank is exempt).

    A lesson bank needs at least MIN_LESSON_QUESTIONS questions and at least
    one at each difficulty level.
    """
    if bank.name.startswith("00_"):
        return []
    problems = []
    if len(bank.questions) < MIN_LESSON_QUESTIONS:
        problems.append(f"has {len(bank.questions)} questions; a lesson needs at least "
                        f"{MIN_LESSON_QUESTIONS}")
    missing = [d for d, n in bank.counts().items() if n == 0]
    if missing:
        problems.append(f"has no {' or '.join(missing)} questions; a lesson needs all "
                        "three levels")
    return problems
