"""Does the grading audit read submissions safely and flag what an instructor should look at?

Fast: the released notebooks are built in memory from the source notebooks, the
way `nbgrader generate_assignment` makes them (each solution replaced by
`raise NotImplementedError()`, hidden tests dropped); no nbgrader run.
"""
import copy
import json
from functools import lru_cache
from pathlib import Path

import nbformat
import pytest

from grader import samples
from grader.audit import audit, check_cells, load_submission

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "autograded"

ASSIGNMENTS = ["ps1_metrics", "ps2_l2_penalty", "ps3_param_groups"]
SAMPLES = [(a, s.student) for a in ASSIGNMENTS for s in samples.samples(a, COURSE)]


@lru_cache
def _source(assignment):
    return nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)


@lru_cache
def _released(assignment):
    nb = copy.deepcopy(_source(assignment))
    for cell in nb.cells:
        kept, until = [], None
        for line in cell.source.splitlines():
            if until:
                until = None if until in line else until
            elif "### BEGIN SOLUTION" in line:
                indent = line[:len(line) - len(line.lstrip())]
                kept += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
                until = "### END SOLUTION"
            elif "### BEGIN HIDDEN TESTS" in line:
                until = "### END HIDDEN TESTS"
            else:
                kept.append(line)
        cell.source = "\n".join(kept)
    return nb


def source(assignment):
    """A fresh copy of the instructor's source notebook."""
    return copy.deepcopy(_source(assignment))


def released(assignment):
    """A fresh copy of the student version: no solutions, no hidden tests."""
    return copy.deepcopy(_released(assignment))


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def cell_named(nb, name):
    return next(c for c in nb.cells if grade_id(c) == name)


def flags_for(code, assignment="ps2_l2_penalty", answer="l2_penalty"):
    """The audit of a released notebook whose answer cell holds code."""
    release = released(assignment)
    nb = released(assignment)
    cell_named(nb, answer).source = code
    return audit(nb, release)


# ---------------------------------------------------------------- audit: one example per rule

def test_rebinding_torch_allclose_is_flagged_with_its_line():
    """Is a rebinding of torch.allclose flagged with its line?"""
    code = "def l2_penalty(params, lam):\n    return 0.0\n\ntorch.allclose = lambda *a, **k: True\n"
    assert flags_for(code) == [{
        "cell": "l2_penalty", "line": 4, "code": "torch.allclose = lambda *a, **k: True",
        "rule": "patch-module",
        "why": "Assigns to torch.allclose, changing the imported torch for every later cell, "
               "the tests included."}]


RULE_EXAMPLES = [
    # (code, rule, line of the flag)
    ("x = 1\ntorch.Tensor.__eq__ = lambda a, b: True", "patch-module", 2),
    ("import math\nmath.isclose = lambda *a, **k: True", "patch-module", 2),
    ("nn.functional.mse_loss = lambda a, b: 0", "patch-module", 1),
    ("import numpy as np\nnp.testing.assert_allclose = print", "patch-module", 2),
    ("F = nn.functional\nF.mse_loss = None", "patch-module", 2),
    ("from torch.nn import Linear\nLinear.forward = None", "patch-module", 2),
    ("torch.pi += 1", "patch-module", 1),
    ("torch.pi: float = 3.0", "patch-module", 1),
    ("x = 1\ndel torch.allclose", "patch-module", 2),
    ("setattr(torch, 'allclose', max)", "patch-module", 1),
    ("x = 1\ndelattr(nn, 'Linear')", "patch-module", 2),
    ("import sys\nsetattr(sys.modules['torch'], 'allclose', max)", "patch-module", 2),
    ("import builtins\nbuiltins.abs = lambda x: 0", "patch-builtins", 2),
    ("x = 1\n__builtins__['isinstance'] = lambda *a: True", "patch-builtins", 2),
    ("__builtins__.abs = max", "patch-builtins", 1),
    ("import sys\nreal = sys.modules['torch']", "sys-modules", 2),
    ("x = 1\nexec('y = 2')", "dynamic-code", 2),
    ("eval('1 + 1')", "dynamic-code", 1),
    ("code = compile('1', 'f', 'eval')", "dynamic-code", 1),
    ("os = __import__('os')", "dynamic-code", 1),
    ("import importlib\nchecks = importlib.import_module('grader.checks')", "dynamic-code", 2),
    ("import runpy", "dynamic-code", 1),
    ("getattr(torch, 'all' + 'close')", "dynamic-code", 1),
    ("%run ../checks/_core.py", "dynamic-code", 1),
    ("import os\nos._exit(0)", "exit", 2),
    ("import sys\nsys.exit()", "exit", 2),
    ("x = 1\nexit()", "exit", 2),
    ("quit()", "exit", 1),
    ("raise SystemExit", "exit", 1),
    ("import os\nos.kill(os.getpid(), 9)", "exit", 2),
    ("import os\nos.abort()", "exit", 2),
    ("import signal", "exit", 1),
    ("import atexit\natexit.register(print)", "exit", 1),
    ("import ctypes", "introspection", 1),
    ("import gc\nfound = gc.get_objects()", "introspection", 2),
    ("import gc\ngc.get_referrers(l2_penalty)", "introspection", 2),
    ("import gc\ngc.get_referents(l2_penalty)", "introspection", 2),
    ("import sys\nframe = sys._getframe(1)", "introspection", 2),
    ("import inspect\nframe = inspect.currentframe()", "introspection", 2),
    ("import inspect\ncallers = inspect.stack()", "introspection", 2),
    ("g = l2_penalty.__globals__", "introspection", 1),
    ("x = 1\nl2_penalty.__code__ = None", "introspection", 2),
    ("b = l2_penalty.__builtins__", "introspection", 1),
    ("classes = object.__subclasses__()", "introspection", 1),
    ("names = torch.__dict__", "introspection", 1),
    ("names = vars(torch)", "introspection", 1),
    ("def f(frame):\n    return frame.f_back.f_globals", "introspection", 2),
    ("def f(frame):\n    return frame.f_locals", "introspection", 2),
    ("globals()['torch'] = None", "introspection", 1),
    ("import __main__", "introspection", 1),
    ("get_ipython().set_custom_exc((AssertionError,), lambda *a: None)", "ipython", 1),
    ("ip = get_ipython()", "ipython", 1),
    ("get_ipython().events.register('post_run_cell', print)", "ipython", 1),
    ("x = 1\nget_ipython().input_transformers_post.append(str)", "ipython", 2),
    ("from IPython import get_ipython", "ipython", 1),
    ("%config IPCompleter.greedy = True", "ipython", 1),
    ("print(_grader)", "grader", 1),
    ("_core = None", "grader", 1),
    ("x = 1\nprint(_core.check_l2_penalty)", "grader", 2),
    ("real = getattr(main, '_grader')", "grader", 1),
    ("import grader.checks", "grader", 1),
    ("from grader.checks import ps2_l2_penalty", "grader", 1),
    ("from grader import audit", "grader", 1),
    ("from helpers.metrics import precision_recall_f1", "grader", 1),
    ("import nbgrader", "grader", 1),
    ("x = 1\ntext = open('../checks/ps2_l2_penalty.py').read()", "filesystem", 2),
    ("import io\nio.open('x')", "filesystem", 2),
    ("import pathlib", "filesystem", 1),
    ("from pathlib import Path\nx = 1\nPath('..').iterdir()", "filesystem", 3),
    ("import os\nos.listdir('..')", "filesystem", 2),
    ("import os\nos.scandir('..')", "filesystem", 2),
    ("import os\nfor entry in os.walk('..'):\n    pass", "filesystem", 2),
    ("import glob", "filesystem", 1),
    ("from glob import glob", "filesystem", 1),
    ("import shutil", "filesystem", 1),
    ("%%writefile helpers.py\nprint(1)", "filesystem", 1),
    ("import subprocess", "shell", 1),
    ("import subprocess as sp\nx = 1\nsp.run(['ls'])", "shell", 3),
    ("import os\nos.system('ls')", "shell", 2),
    ("import os\nos.popen('ls')", "shell", 2),
    ("import os\nos.execv('/bin/ls', ['ls'])", "shell", 2),
    ("import os\nos.spawnlp(os.P_WAIT, 'ls', 'ls')", "shell", 2),
    ("from os import system", "shell", 1),
    ("x = 1\n!ls ../checks", "shell", 2),
    ("files = !ls", "shell", 1),
    ("%%bash\nls ..\ncat ../checks/_core.py", "shell", 1),
    ("%system ls", "shell", 1),
    ("get_ipython().system('ls')", "shell", 1),
    ("%pip install answers", "shell", 1),
    ("ls ../checks", "shell", 1),  # a one-line cell: IPython's automagic runs %ls
    ("import socket", "network", 1),
    ("import urllib.request", "network", 1),
    ("from http import client", "network", 1),
    ("import requests", "network", 1),
    ("torch.hub.load('someone/answers', 'model')", "network", 1),
    ("%%time\nx = 1\ntorch.allclose = max", "patch-module", 3),  # code a magic runs is read too
    ("%timeit -n 1 torch.allclose = max", "patch-module", 1),
    ("%%capture out\nimport os\nos.system('ls')", "shell", 3),  # with the imports it makes
    ("setattr(torch, name, max)", "dynamic-code", 1),
    ("e = eval\ne('1 + 1')", "dynamic-code", 2),  # an alias of a built-in is that built-in
    ("%pastebin 1-3", "network", 1),
]


@pytest.mark.parametrize("code, rule, line", RULE_EXAMPLES)
def test_each_rule_flags_its_example_with_line_and_quote(code, rule, line):
    """Is each rule's example flagged under that rule, with its line number and the line quoted?"""
    flags = flags_for(code)
    hits = [f for f in flags if f["rule"] == rule and f["line"] == line]
    assert hits, f"expected {rule} at line {line}, got {flags}"
    assert hits[0]["cell"] == "l2_penalty"
    assert hits[0]["code"] == code.splitlines()[line - 1].strip()
    assert hits[0]["why"].endswith(".") and "\n" not in hits[0]["why"]


def test_every_rule_has_an_example():
    """Does every rule id the audit can give have at least one example above?"""
    assert {rule for _, rule, _ in RULE_EXAMPLES} == {
        "patch-module", "patch-builtins", "sys-modules", "dynamic-code", "exit", "introspection",
        "ipython", "grader", "filesystem", "shell", "network"}


ORDINARY = [
    "import torch\nfrom torch import nn",
    "import torch.nn.functional as F\nloss = torch.nn.functional.mse_loss(x, y) + F.l1_loss(x, y)",
    "model.weight.data = torch.zeros(3)",
    "for p in model.parameters():\n    p.grad = None",
    "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.x = nn.Linear(2, 2)",
    "optimizer.param_groups[0]['lr'] = 0.1",
    "def put(self, name, value):\n    setattr(self, name, value)",
    "xs = []\nxs.append(1)\nd = {}\nd['k'] = 1\nd.update(a=2)\nxs[0] = 3",
    "model.eval()\nmodel.train()",
    "t = torch.zeros(3)\nt[0] = 1.0\ntorch.zeros(3)[0] = 1",
    "import copy\ntwin = copy.deepcopy(model)",
    "import math\nimport statistics\nr = math.sqrt(2) * statistics.mean([1, 2])",
    "import re\npattern = re.compile('w')\nfast = torch.compile",
    "%matplotlib inline",
    "torch.norm?",
    "%timeit -n 3 l2_penalty([torch.ones(2)], 0.1)",
    "from IPython.display import display\ndisplay(model)",
    "import numpy as np\nx = np.zeros(3)\nx[0] = 1",
    "import warnings\nwarnings.filterwarnings('ignore')",
    "history = [1.0, 0.5]\nhistory",  # a variable named like a magic is just a variable
    "signal = torch.randn(3)\nsignal.mean()",  # and one named like a module is not that module
    "def state(self):\n    return self.__dict__",  # only a module's __dict__ is flagged
    "%who",
]


@pytest.mark.parametrize("code", ORDINARY)
def test_ordinary_learner_code_is_not_flagged(code):
    """Does ordinary learner code (imports, attribute assignment on objects, mutation) go unflagged?"""
    assert flags_for(code) == []


def test_a_cell_that_does_not_parse_gets_no_flags():
    """Is a cell that is not valid Python left alone (it simply fails when graded)?"""
    assert flags_for("def l2_penalty(params, lam:\n    open('../checks/_core.py')\n") == []


def test_a_long_line_is_quoted_clipped_to_200_characters():
    """Is a flagged line longer than 200 characters quoted clipped, not whole?"""
    code = "text = open('x').read()  # " + "x" * 300
    (flag,) = flags_for(code)
    assert len(flag["code"]) == 200 and flag["code"].startswith("text = open('x')")


def test_a_cell_the_learner_added_is_audited_under_its_position():
    """Is a code cell the learner added audited and named 'added cell <n>' by its position?"""
    release = released("ps1_metrics")
    nb = released("ps1_metrics")
    nb.cells.insert(3, nbformat.v4.new_code_cell("import os\n\nos.system('cat ../checks/*.py')"))
    assert [(f["cell"], f["line"], f["rule"]) for f in audit(nb, release)] == [("added cell 4", 3, "shell")]


def test_an_earlier_copy_of_an_answer_cell_is_audited_as_an_added_cell():
    """Is an earlier copy of an answer cell (nbgrader clears its grade_id) audited as an added cell?"""
    release = released("ps3_param_groups")
    nb = released("ps3_param_groups")
    answer = cell_named(nb, "make_optimizer")
    earlier = copy.deepcopy(answer)
    earlier.source = "import subprocess"
    answer.source = "import shutil"
    nb.cells.insert(nb.cells.index(answer), earlier)
    assert [(f["cell"], f["rule"]) for f in audit(nb, release)] == [
        (f"added cell {nb.cells.index(earlier) + 1}", "shell"), ("make_optimizer", "filesystem")]


def test_an_earlier_copy_of_a_test_cell_is_audited_as_an_added_cell():
    """Is code hidden in an earlier copy of a test cell (which nbgrader runs as plain code) audited?"""
    release = released("ps1_metrics")
    nb = released("ps1_metrics")
    test = cell_named(nb, "test_confusion_counts_lists")
    earlier = copy.deepcopy(test)
    earlier.source = "import ctypes"
    nb.cells.insert(nb.cells.index(test), earlier)
    assert [(f["cell"], f["rule"]) for f in audit(nb, release)] == [
        (f"added cell {nb.cells.index(earlier) + 1}", "introspection")]


def test_an_answer_cell_turned_into_markdown_is_still_audited():
    """Is an answer cell made markdown still audited (nbgrader turns it back into code and runs it)?"""
    release = released("ps2_l2_penalty")
    nb = released("ps2_l2_penalty")
    answer = cell_named(nb, "weight_decay_equivalent")
    answer.cell_type, answer.source = "markdown", "import socket"
    del answer["outputs"], answer["execution_count"]
    assert [(f["cell"], f["rule"]) for f in audit(nb, release)] == [
        ("weight_decay_equivalent", "network")]


def test_test_and_locked_cells_are_left_to_check_cells():
    """Is an edited test cell reported by check_cells, not audited (nbgrader puts its source back)?"""
    release = released("ps2_l2_penalty")
    nb = released("ps2_l2_penalty")
    cell_named(nb, "test_l2_penalty_value").source = "import subprocess"
    assert audit(nb, release) == []
    assert [f["kind"] for f in check_cells(nb, release)] == ["edited"]


@pytest.mark.parametrize("assignment, student", SAMPLES)
def test_sample_submissions_give_no_flags_and_no_cell_findings(assignment, student):
    """Do the course's correct and mistake samples pass the audit and the cell check untouched?"""
    sample = next(s for s in samples.samples(assignment, COURSE) if s.student == student)
    reference = samples.reference_answers(assignment, COURSE)
    for release in (source(assignment), released(assignment)):
        nb = samples.fill(release, sample, reference)
        assert audit(nb, release) == []
        assert check_cells(nb, release) == []


# ---------------------------------------------------------------- load_submission

def write(tmp_path, data, name="submission.ipynb"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def notebook_text():
    return (COURSE / "source" / "ps1_metrics" / "ps1_metrics.ipynb").read_text()


def test_a_valid_notebook_loads():
    """Does a valid notebook load as a version 4 notebook, with no problem?"""
    nb, problem = load_submission(COURSE / "source" / "ps1_metrics" / "ps1_metrics.ipynb")
    assert problem is None
    assert nb.nbformat == 4 and grade_id(nb.cells[1]) == "setup"


def test_a_truncated_file_says_where_the_json_breaks(tmp_path):
    """Does a truncated upload give 'not valid JSON' with the line and column?"""
    text = notebook_text()
    nb, problem = load_submission(write(tmp_path, text[:len(text) // 2]))
    assert nb is None
    assert "is not valid JSON" in problem and "(line " in problem and ", column " in problem
    assert " at (line" not in problem and "at at" not in problem


def test_invalid_bytes_say_the_file_is_not_utf8(tmp_path):
    """Does a file with bytes that are not UTF-8 say so, with where the first one is?"""
    nb, problem = load_submission(write(tmp_path, b'{"cells": [\n  "\xff"]}'))
    assert nb is None
    assert "is not UTF-8 text: byte 0xff at line 2, column 4" in problem


def test_a_json_list_is_not_a_notebook(tmp_path):
    """Does valid JSON that is a list, not an object, say it is not a notebook?"""
    nb, problem = load_submission(write(tmp_path, "[1, 2, 3]"))
    assert nb is None and "is not a notebook: its JSON is a list" in problem


def test_a_notebook_without_cells_gives_the_validation_error(tmp_path):
    """Does a notebook missing 'cells' give nbformat's validation error, first line only?"""
    data = json.loads(notebook_text())
    del data["cells"]
    nb, problem = load_submission(write(tmp_path, json.dumps(data)))
    assert nb is None
    assert problem == "submission.ipynb is not a valid notebook: 'cells' is a required property."


def test_a_broken_cell_is_named_by_its_position(tmp_path):
    """Does a code cell without 'outputs' give the validation error and which cell it is?"""
    data = json.loads(notebook_text())
    del data["cells"][3]["outputs"]
    nb, problem = load_submission(write(tmp_path, json.dumps(data)))
    assert nb is None and "'outputs' is a required property (cell 4)" in problem


def test_a_missing_file_says_there_is_no_such_file(tmp_path):
    """Does a path with no file behind it give a sentence, not an exception?"""
    nb, problem = load_submission(tmp_path / "nowhere.ipynb")
    assert nb is None and "could not be read: No such file or directory" in problem


def test_missing_cell_ids_are_repaired_as_nbformat_does(tmp_path):
    """Does a v4.5 notebook whose cells lack ids (which nbformat fills in) still load?"""
    data = json.loads(notebook_text())
    for cell in data["cells"]:
        cell.pop("id", None)
    nb, problem = load_submission(write(tmp_path, json.dumps(data)))
    assert problem is None and all(cell.get("id") for cell in nb.cells)


def test_an_old_notebook_is_refused_with_its_version(tmp_path):
    """Is an nbformat 3 notebook (no Jupyter since 2015 writes one) refused, saying its version?"""
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "x = 1", "outputs": [], "language": "python", "metadata": {}}]}]}
    nb, problem = load_submission(write(tmp_path, json.dumps(v3)))
    assert nb is None and problem == "submission.ipynb is nbformat version 3; the grader reads version 4."


@pytest.mark.parametrize("data, words", [
    ("", "is not valid JSON: Expecting value (line 1, column 1)"),
    ('"just a string"', "its JSON is a string"),
    ('{"cells": []}', "no numeric 'nbformat' version"),
    ('{"nbformat": "4", "cells": []}', "no numeric 'nbformat' version"),
    ('{"nbformat": 5, "nbformat_minor": 0, "metadata": {}, "cells": []}', "nbformat version 5"),
    ('{"nbformat": 4, "nbformat_minor": "5", "metadata": {}, "cells": []}',
     "'nbformat_minor' is not a number"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 5}', "5 is not of type 'array'"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [7]}', "7 is not of type 'object'"),
    ('{"nbformat": 3, "nbformat_minor": 0, "metadata": {}}', "is nbformat version 3"),
    ('{"nbformat": 2, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": 7}]}', "is nbformat version 2"),
    ("[" * 100_000, "nested too deeply"),
    ('\ufeff{"nbformat": 4}', "is not valid JSON"),
])
def test_bad_input_gives_a_sentence_and_never_raises(tmp_path, data, words):
    """Does every kind of unreadable file give a sentence for the instructor instead of raising?"""
    nb, problem = load_submission(write(tmp_path, data))
    assert nb is None and words in problem and problem.endswith(".")


def test_a_folder_in_place_of_a_file_gives_a_sentence(tmp_path):
    """Does a folder where the notebook should be give a sentence, not an exception?"""
    nb, problem = load_submission(tmp_path)
    assert nb is None and "could not be read" in problem


# ---------------------------------------------------------------- check_cells

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_an_untouched_submission_has_no_findings(assignment):
    """Does the released notebook handed in as is give no findings?"""
    assert check_cells(released(assignment), released(assignment)) == []


def test_a_deleted_test_cell_is_found():
    """Is a deleted test cell reported as deleted, with its points?"""
    nb = released("ps1_metrics")
    nb.cells = [c for c in nb.cells if grade_id(c) != "test_early_stopping_stops"]
    assert check_cells(nb, released("ps1_metrics")) == [{
        "kind": "deleted", "cell": "test_early_stopping_stops",
        "detail": "The released test cell (2 points) is missing from the submission (nbgrader put the "
                  "release's cell back and graded it)."}]


def test_deleted_setup_and_answer_cells_are_found():
    """Are a deleted setup cell and a deleted answer cell reported too?"""
    nb = released("ps2_l2_penalty")
    nb.cells = [c for c in nb.cells if grade_id(c) not in ("setup", "train_step_l2")]
    assert [(f["kind"], f["cell"]) for f in check_cells(nb, released("ps2_l2_penalty"))] == [
        ("deleted", "setup"), ("deleted", "train_step_l2")]


def test_a_duplicated_cell_is_found():
    """Is a grade_id that appears twice reported as duplicated, with both positions?"""
    nb = released("ps3_param_groups")
    test = cell_named(nb, "test_make_optimizer_type")
    nb.cells.append(copy.deepcopy(test))
    findings = check_cells(nb, released("ps3_param_groups"))
    assert [(f["kind"], f["cell"]) for f in findings] == [("duplicated", "test_make_optimizer_type")]
    assert f"cells {nb.cells.index(test) + 1} and {len(nb.cells)}" in findings[0]["detail"]


def test_an_edited_test_cell_is_found_with_the_changed_line():
    """Is an edited test cell reported as edited, quoting the first changed line?"""
    nb = released("ps3_param_groups")
    test = cell_named(nb, "test_make_optimizer_type")
    test.source = test.source.replace("isinstance(optimizer, torch.optim.AdamW)",
                                      "isinstance(optimizer, torch.optim.Optimizer)")
    (finding,) = check_cells(nb, released("ps3_param_groups"))
    assert finding["kind"] == "edited" and finding["cell"] == "test_make_optimizer_type"
    assert "at line 4: 'assert isinstance(optimizer, torch.optim.Optimizer)" in finding["detail"]


def test_an_edited_locked_demo_cell_is_found():
    """Is an edit to a locked demo cell (not graded, not an answer) reported too?"""
    nb = released("ps3_param_groups")
    cell_named(nb, "page_groups").source += "\nprint('extra')"
    assert [(f["kind"], f["cell"]) for f in check_cells(nb, released("ps3_param_groups"))] == [
        ("edited", "page_groups")]


def test_trailing_whitespace_and_final_newlines_are_not_edits():
    """Are trailing spaces and a final newline in a test cell ignored?"""
    nb = released("ps1_metrics")
    test = cell_named(nb, "test_early_stopping_ties")
    test.source = "\n".join(line + "  " for line in test.source.splitlines()) + "\n\n"
    assert check_cells(nb, released("ps1_metrics")) == []


def test_answer_cells_are_never_reported_as_edited():
    """Is an answer cell, whose source is meant to change, never reported as edited?"""
    nb = released("ps1_metrics")
    cell_named(nb, "confusion_counts").source = "def confusion_counts(y_true, y_pred):\n    return {}"
    assert check_cells(nb, released("ps1_metrics")) == []


def test_changed_metadata_and_added_graded_cells_are_left_to_nbgrader():
    """Are changed points, lock and cell type, and an added cell claiming grade metadata, no finding? nbgrader puts
    back a released cell's type, lock and points and ignores a grade_id it does not know; the sealed judge grades
    the release's cells."""
    nb = released("ps2_l2_penalty")
    cell_named(nb, "test_weight_decay_equivalent").metadata.nbgrader.points = 20
    cell_named(nb, "test_l2_penalty_value").metadata.nbgrader.locked = False
    cell_named(nb, "l2_penalty").cell_type = "markdown"
    fake = nbformat.v4.new_code_cell("pass")
    fake.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 5, "locked": True,
                                 "solution": False, "schema_version": 3}
    nb.cells.append(fake)
    assert check_cells(nb, released("ps2_l2_penalty")) == []
