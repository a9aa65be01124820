"""Does the sealed judge give the in-kernel verdicts, and hold when an answer cell tampers?

grader/judge.py runs the checks in this process and every call of a
learner's function in a forked child (see its docstring). The released
notebooks are made once per module with `nbgrader generate_assignment` in
temporary copies of autograded/, as test_autograded.py makes them, and filled
in with grader.samples; each tamper notebook is a wrong answer plus the tamper
code in its answer cell.
"""
import builtins
import json
import math
import os
import resource
import sys
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
import torch

from test_autograded import ASSIGNMENTS, COURSE, copy_course, run_nbgrader

from grader import samples as sample_files
from grader.checks import _core as core
from grader.course import judge_request
from grader.judge import Judge

CALL_TIMEOUT = 3.0  # seconds per call: the infinite_loop sample costs two of them


def watched():
    """Return the functions tamper attempts go for, as this process has them now."""
    return {"torch.allclose": torch.allclose, "math.isclose": math.isclose,
            "builtins.abs": builtins.abs, "builtins.isinstance": builtins.isinstance,
            "torch.autograd.grad": torch.autograd.grad, "core.close": core.close,
            "core.call": core.call, "core.all_close": core.all_close,
            "sys.modules['grader.checks._core']": sys.modules["grader.checks._core"]}


ORIGINALS = watched()


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """Make {assignment: its student version} with nbgrader, each in a course copy of its own."""
    workdir = tmp_path_factory.mktemp("sealed")

    def generate(assignment):
        course = copy_course(workdir / assignment / "autograded")
        run_nbgrader(course, "generate_assignment", assignment)
        return nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)

    with ThreadPoolExecutor(len(ASSIGNMENTS)) as pool:
        return dict(zip(ASSIGNMENTS, pool.map(generate, ASSIGNMENTS)))


@pytest.fixture(scope="module")
def judges():
    return {a: Judge(judge_request(a, COURSE), call_timeout=CALL_TIMEOUT) for a in ASSIGNMENTS}


def notebook(released, assignment, sample):
    """Fill the released notebook with a sample's answers (and make its notebook changes)."""
    filled = sample_files.fill(released[assignment], sample,
                               sample_files.reference_answers(assignment))
    return nbformat.reads(sample_files.change_notebook(filled, sample.notebook_ops), as_version=4)


def with_answers(released, assignment, **answers):
    """Fill the released notebook with these answers, and the reference in the other cells."""
    return notebook(released, assignment, sample_files.Sample("tamper", answers=answers))


def graded_cells(assignment):
    source = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return [c.metadata.nbgrader["grade_id"] for c in source.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.metadata.nbgrader.get("points")]


def outcome_of(judge, nb, name, *args):
    """The Outcome of one call of a submission's function, made through the judge as a check makes it."""
    outcomes, parts = [], judge.parts
    judge.parts = [("probe", lambda fn: outcomes.append(core.call(fn, *args)), name)]
    try:
        judge.grade(nb)
    finally:
        judge.parts = parts
    return outcomes[0]


def assert_verdicts(verdicts, expected, others_pass=True):
    """Check that each cell in `expected` failed with its words (and, with others_pass, no other)."""
    for cell, words in expected.items():
        assert not verdicts[cell]["passed"], f"{cell} passed, but should fail"
        message = verdicts[cell]["message"]
        assert words in message, f"{cell} lacks {words!r}:\n{message}"
    if others_pass:
        for cell, verdict in verdicts.items():
            if cell not in expected:
                assert verdict["passed"], f"{cell} should pass:\n{verdict['message']}"


# ---------------------------------------------------------------- the samples: in-kernel verdicts

# ps2's whole sample class goes through this same judge, in its sandbox, in
# tests/test_grading_pipeline.py, which holds each sample to its declared failures:
# judging them here too would only double 25 s of `make test`.
SAMPLES = [pytest.param(a, s.student, id=f"{a}-{s.student}")
           for a in ASSIGNMENTS if a != "ps2_l2_penalty" for s in sample_files.samples(a, pipeline=True)
           if not any(op == "corrupt-json" for op, _ in s.notebook_ops)  # no notebook to judge
           and not s.sandbox_only]  # hostile code: it may run only in make grade's sandbox


@pytest.mark.slow
@pytest.mark.parametrize("assignment,student", SAMPLES)
def test_sample_gets_its_declared_verdicts(released, judges, assignment, student):
    """Does the judge fail exactly the sample's expect-fail test cells, with their words?"""
    sample = sample_files.read_sample(COURSE / "samples" / assignment / f"{student}.py")
    verdicts = judges[assignment].grade(notebook(released, assignment, sample))
    assert list(verdicts) == graded_cells(assignment)
    expected = ({cell: sample.expect_fail["*"] for cell in verdicts} if "*" in sample.expect_fail
                else sample.expect_fail)
    unknown = set(expected) - set(verdicts)
    assert not unknown, f"expect-fail names unknown test cells: {unknown}"
    assert_verdicts(verdicts, expected)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_passes_and_verdicts_are_plain_data(judges, assignment):
    """Does the instructor's notebook pass every part, with verdicts the pipeline can write as JSON?"""
    source = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    assert "_grader" not in judges[assignment].setup.co_names  # the released setup code only
    verdicts = judges[assignment].grade(source)
    assert list(verdicts) == graded_cells(assignment)
    checks = {grade_id: check.__name__ for grade_id, check, _ in judges[assignment].parts}
    assert all(v == {"check": checks[cell], "passed": True, "message": None, "events": []}
               for cell, v in verdicts.items()), verdicts
    assert json.loads(json.dumps(verdicts)) == verdicts


@pytest.mark.slow  # runs nbgrader generate_assignment (the `released` fixture)
def test_only_answer_cells_and_added_cells_run(released, judges):
    """Does a helper in an added cell count, and an answer hidden in a test cell not?"""
    nb = with_answers(released, "ps2_l2_penalty", weight_decay_equivalent=(
        "def weight_decay_equivalent(lam):\n    return _factor() * lam\n"))
    index = next(i for i, c in enumerate(nb.cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "weight_decay_equivalent")
    nb.cells.insert(index, nbformat.v4.new_code_cell("def _factor():\n    return 2.0\n"))
    assert all(v["passed"] for v in judges["ps2_l2_penalty"].grade(nb).values())

    nb = with_answers(released, "ps2_l2_penalty",
                      weight_decay_equivalent="def weight_decay_equivalent(lam):\n    return lam\n")
    test = next(c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "test_weight_decay_equivalent")
    test.source += "\n\ndef weight_decay_equivalent(lam):\n    return 2.0 * lam\n"
    verdicts = judges["ps2_l2_penalty"].grade(nb)
    assert_verdicts(verdicts, {"test_weight_decay_equivalent": "the 1/2 factor"})


# ---------------------------------------------------------------- tamper attempts

HALF_PENALTY = "def l2_penalty(params, lam):\n    return lam / 2 * sum((p ** 2).sum() for p in params)\n"
HALF_DECAY = "def weight_decay_equivalent(lam):\n    return lam\n"

TAMPERS = [
    pytest.param("ps2_l2_penalty", "l2_penalty", """
import builtins
import math

torch.allclose = lambda *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True
builtins.abs = lambda x: 0
""" + HALF_PENALTY, {"test_l2_penalty_value": "the 1/2 factor"}, True, id="rebinds-comparisons"),
    pytest.param("ps2_l2_penalty", "weight_decay_equivalent", """
import builtins

builtins.isinstance = lambda obj, cls: True
""" + HALF_DECAY, {"test_weight_decay_equivalent": "the 1/2 factor"}, False, id="rebinds-isinstance"),
    pytest.param("ps2_l2_penalty", "weight_decay_equivalent", """
import sys

for _name in ("grader.checks._core", "grader.checks.ps2_l2_penalty", "grader.checks"):
    _module = sys.modules.get(_name)
    if _module is not None:
        for _attr in ("close", "all_close", "call", "check_weight_decay_equivalent"):
            setattr(_module, _attr, lambda *args, **kwargs: None)
""" + HALF_DECAY, {"test_weight_decay_equivalent": "the 1/2 factor"}, True, id="patches-checks-modules"),
    pytest.param("ps2_l2_penalty", "weight_decay_equivalent", """
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)


""" + HALF_DECAY, {"test_weight_decay_equivalent": "name 'get_ipython' is not defined"}, True,
        id="custom-exception-handler"),
    pytest.param("ps2_l2_penalty", "weight_decay_equivalent", """
class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __float__(self):
        return 0.2

    __hash__ = object.__hash__


def weight_decay_equivalent(lam):
    return Anything()
""", {"test_weight_decay_equivalent": "returned a Anything"}, True, id="equal-to-anything"),
    pytest.param("ps2_l2_penalty", "weight_decay_equivalent", """
class Twice(float):
    def __eq__(self, other):
        return True


def weight_decay_equivalent(lam):
    return Twice(2 * lam)
""", {"test_weight_decay_equivalent": "returned a Twice"}, True, id="float-subclass"),
    pytest.param("ps2_l2_penalty", "l2_penalty", """
import os

os._exit(0)

""" + HALF_PENALTY, {cell: "ended the Python process (exit status 0)"
                     for cell in graded_cells("ps2_l2_penalty")}, True, id="exit-at-top-level"),
    pytest.param("ps2_l2_penalty", "weight_decay_equivalent", """
import os


def weight_decay_equivalent(lam):
    os._exit(0)
""", {"test_weight_decay_equivalent": "ended the Python process"}, True, id="exit-in-function"),
    pytest.param("ps2_l2_penalty", "weight_decay_equivalent", """
import os
import signal


def weight_decay_equivalent(lam):
    os.kill(os.getpid(), signal.SIGKILL)
""", {"test_weight_decay_equivalent": "killed by signal SIGKILL"}, True, id="killed-by-signal"),
    pytest.param("ps2_l2_penalty", "l2_penalty", """
from grader.checks.ps2_l2_penalty import reference_l2_penalty as l2_penalty
""", {cell: "No module named 'grader'" for cell in graded_cells("ps2_l2_penalty")[:3]}, True,
        id="imports-reference"),
    # Removing the judge's import hook and importing the reference from its file works here,
    # outside the sandbox; in make grade the judge's sandbox has no file of the checks
    # (tamper_reads_reference does exactly that, in tests/test_grading_pipeline.py).
    pytest.param("ps1_metrics", "confusion_counts", """
from helpers.metrics import confusion_counts
""", {"test_confusion_counts_lists": "No module named 'helpers'",
      "test_confusion_counts_inputs": "No module named 'helpers'"}, True, id="imports-helpers"),
    pytest.param("ps2_l2_penalty", "l2_penalty", """
import torch.autograd


def _forged(outputs, inputs, *args, **kwargs):
    return tuple(0.2 * p.detach() for p in inputs)


torch.autograd.grad = _forged


def l2_penalty(params, lam):
    return (lam * sum((p.detach() ** 2).sum() for p in params)).requires_grad_()
""", {"test_l2_penalty_autograd": "autograd finds no path"}, True, id="forges-autograd-grad"),
    pytest.param("ps2_l2_penalty", "weight_decay_equivalent", """
import sys


def weight_decay_equivalent(lam):
    frames = [sys._getframe(), *sys._current_frames().values()]
    for frame in frames:
        while frame is not None:
            if frame.f_code.co_name.startswith("check_"):
                return 2.0 * lam  # right only for a function that can see the grader's frames
            frame = frame.f_back
    return lam
""", {"test_weight_decay_equivalent": "the 1/2 factor"}, True, id="reads-check-frames"),
    pytest.param("ps2_l2_penalty", "weight_decay_equivalent", """
import gc


def weight_decay_equivalent(lam):
    try:
        found = [o for o in gc.get_objects() if getattr(o, "__name__", "").startswith("check_")]
    except AttributeError:
        found = []
    return 2.0 * lam if found else lam  # right only if the grader's objects can be found
""", {"test_weight_decay_equivalent": "the 1/2 factor"}, True, id="walks-gc"),
    pytest.param("ps3_param_groups", "param_groups", """
def param_groups(model, weight_decay):
    reference = type(model).__init__.__globals__.get("reference_param_groups")
    if reference is None:
        raise NotImplementedError()
    return reference(model, weight_decay)
""", {cell: "not written yet" for cell in graded_cells("ps3_param_groups")[:4]}, True,
        id="reads-model-class-globals"),
    pytest.param("ps3_param_groups", "make_optimizer", """
torch.optim.Adam.__name__ = "AdamW"


def make_optimizer(model, lr, weight_decay):
    return torch.optim.Adam(param_groups(model, weight_decay), lr=lr)
""", {"test_make_optimizer_type": "should return a torch.optim.AdamW",
      "test_make_optimizer_groups": "not a PyTorch optimizer"}, True, id="renames-optimizer-class"),
]


@pytest.mark.slow  # runs nbgrader generate_assignment (the `released` fixture)
@pytest.mark.parametrize("assignment,cell,code,expected,others_pass", TAMPERS)
def test_tamper_cannot_make_a_wrong_answer_pass(released, judges, assignment, cell, code, expected,
                                                others_pass):
    """Does a wrong answer stay wrong whatever its cell does to the checks, torch or the process?"""
    verdicts = judges[assignment].grade(with_answers(released, assignment, **{cell: code.lstrip()}))
    assert_verdicts(verdicts, expected, others_pass)


@pytest.mark.slow  # runs nbgrader generate_assignment (the `released` fixture)
def test_judge_is_unchanged_by_what_it_grades(released, judges):
    """After grading tamper notebooks, are torch, builtins and the checks this process's own?"""
    meta_path, path, modules = list(sys.meta_path), list(sys.path), set(sys.modules)
    for assignment, cell, code, *_ in (p.values for p in TAMPERS):
        if assignment == "ps2_l2_penalty":
            judges[assignment].grade(with_answers(released, assignment, **{cell: code.lstrip()}))
    assert watched() == ORIGINALS
    assert sys.meta_path == meta_path and sys.path == path and modules <= set(sys.modules)
    verdicts = judges["ps2_l2_penalty"].grade(with_answers(released, "ps2_l2_penalty"))
    assert list(verdicts) == graded_cells("ps2_l2_penalty")
    assert all(v["passed"] and v["message"] is None and not v["events"] for v in verdicts.values())


FORGERS = {"pickle": "os.write(3, pickle.dumps(Forged(), protocol=2))",
           "torch.save": "torch.save(Forged(), buffer := io.BytesIO())\n    os.write(3, buffer.getvalue())"}


@pytest.mark.slow  # runs nbgrader generate_assignment (the `released` fixture)
@pytest.mark.parametrize("writer", FORGERS)
def test_a_forged_result_runs_no_code_in_the_judge(released, judges, tmp_path, writer):
    """Does a pickle that learner code writes to the result pipe stay unread, its code never run?"""
    marker = tmp_path / "forged-code-ran"
    code = f"""
import io
import os
import pickle


class Forged:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))


def weight_decay_equivalent(lam):
    {FORGERS[writer]}
    os._exit(0)
"""
    nb = with_answers(released, "ps2_l2_penalty", weight_decay_equivalent=code.lstrip())
    verdicts = judges["ps2_l2_penalty"].grade(nb)
    assert_verdicts(verdicts, {"test_weight_decay_equivalent": "could not read what the call returned"})
    assert not marker.exists()


# ---------------------------------------------------------------- output, loops, memory

@pytest.mark.slow  # runs nbgrader generate_assignment (the `released` fixture)
def test_output_and_warnings_are_caught_and_cost_nothing(released, judges):
    """Does a right answer that warns and prints to stderr pass, with what it said kept?"""
    code = ("import sys\nimport warnings\n\n\ndef l2_penalty(params, lam):\n"
            "    warnings.warn('params is read once')\n"
            "    print('computing the penalty', file=sys.stderr)\n"
            "    return lam * sum((p ** 2).sum() for p in params)\n")
    nb = with_answers(released, "ps2_l2_penalty", l2_penalty=code)
    judge = judges["ps2_l2_penalty"]
    assert all(v["passed"] and not v["events"] for v in judge.grade(nb).values())
    outcome = outcome_of(judge, nb, "l2_penalty", [torch.tensor([1.0, -2.0])], 0.5)
    assert outcome.error is None and type(outcome.value) is torch.Tensor
    assert outcome.value.item() == 2.5
    assert outcome.printed == "computing the penalty\n"
    assert outcome.warnings == []  # caught in the child, and not sent: no check reads them


@pytest.mark.slow  # runs nbgrader generate_assignment (the `released` fixture)
def test_values_come_back_with_their_exact_types(released, judges):
    """Do tuples, ints, dicts, the arguments' own tensors and learner classes come back as they were?"""
    code = ("class Groups(list):\n    pass\n\n\n"
            "def param_groups(model, weight_decay):\n"
            "    first = next(model.parameters())\n"
            "    return (1, 2.0, True, None, 'x', [first], {'k': (3,)}, Groups(),\n"
            "            torch.ones(2, dtype=torch.int64))\n")
    nb = with_answers(released, "ps3_param_groups", param_groups=code)
    model = torch.nn.Linear(2, 1)
    value = outcome_of(judges["ps3_param_groups"], nb, "param_groups", model, 0.1).value
    assert type(value) is tuple and [type(v) for v in value[:5]] == [int, float, bool, type(None), str]
    assert value[5][0] is model.weight and value[6] == {"k": (3,)}
    assert core.kind(value[7]) == "a Groups" and type(value[7]) is not list
    assert value[8].dtype == torch.int64 and value[8].tolist() == [1, 1]


@pytest.mark.slow
def test_a_loop_fails_its_test_cells_within_the_time_limit(released):
    """Is a loop stopped after the call time limit, once per test cell, and the rest still judged?"""
    judge = Judge(judge_request("ps2_l2_penalty", COURSE), call_timeout=1.5)
    spins = "def weight_decay_equivalent(lam):\n    while True:\n        pass\n"
    sleeps = ("import time\n\n\ndef train_step_l2(model, loss_fn, X, y, optimizer, lam):\n"
              "    time.sleep(600)\n")
    nb = with_answers(released, "ps2_l2_penalty", weight_decay_equivalent=spins, train_step_l2=sleeps)
    verdicts = judge.grade(nb)  # each stopped by the call time limit (the events say so), not by waiting
    looping = ["test_weight_decay_equivalent", "test_train_step_returns_data_loss",
               "test_train_step_update"]
    assert_verdicts(verdicts, {cell: "ran past 1.5 s" for cell in looping})
    for cell in looping:
        assert any("ran past" in event for event in verdicts[cell]["events"]), verdicts[cell]


@pytest.mark.slow  # runs nbgrader generate_assignment (the `released` fixture)
def test_a_memory_hog_fails_its_part_and_spares_the_judge(released, judges):
    """Does an 8 GB allocation fail with a memory event, leaving the judge and other parts alone?"""
    judge = judges["ps2_l2_penalty"]  # 4 GiB for each call
    hog_list = "def weight_decay_equivalent(lam):\n    return [lam] * 2**30\n"
    hog_tensor = ("def l2_penalty(params, lam):\n    torch.empty(2**31)\n"
                  "    return lam * sum((p ** 2).sum() for p in params)\n")
    nb = with_answers(released, "ps2_l2_penalty", weight_decay_equivalent=hog_list,
                      l2_penalty=hog_tensor)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    verdicts = judge.grade(nb)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 500 * 1024  # KiB
    expected = {"test_weight_decay_equivalent": "MemoryError",
                **{cell: "can't allocate memory" for cell in graded_cells("ps2_l2_penalty")[:3]}}
    assert_verdicts(verdicts, expected)
    for cell in expected:
        assert any("ran out of memory" in event for event in verdicts[cell]["events"]), verdicts[cell]


@pytest.mark.slow  # runs nbgrader generate_assignment (the `released` fixture)
def test_a_check_that_raises_fails_its_part_only(released):
    """Does a check that crashes on what came back cost its own part, with an event, and no more?"""
    judge = Judge(judge_request("ps2_l2_penalty", COURSE))

    def crashes(fn):
        return core.call(fn, [torch.ones(2)], 0.1).value.no_such_method()

    judge.parts = [("crashing", crashes, "l2_penalty"), *judge.parts[:1]]
    verdicts = judge.grade(with_answers(released, "ps2_l2_penalty"))
    message = verdicts["crashing"]["message"]
    assert not verdicts["crashing"]["passed"] and "the grader could not check this part" in message
    assert verdicts["crashing"]["events"] == [message]
    assert verdicts["test_l2_penalty_value"]["passed"]
