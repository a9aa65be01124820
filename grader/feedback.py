"""Keep hidden tests, checks and solutions out of the feedback learners get from `nbgrader generate_feedback`.

The graded notebooks hold the hidden tests again (autograde puts them back),
and nbgrader's feedback shows every test cell's source and, for a failed one,
IPython's traceback, which quotes the source lines around the failing line:
hidden ones included. `HideHiddenTests` is nbgrader's own ClearHiddenTests
(the step that makes the student version) applied to grade cells, a block
left open running to the end of the cell; it also cuts each error's traceback
down to its exception line (`AssertionError: <message>`, the message being
what the checks write for the learner), removes any line of the checks or the
solutions from every output (grader.redact), and adds the note `make grade`
left for a cell that shows no error but scored 0. Scores are untouched.

nbgrader_config.py keeps nbgrader's two feedback steps and puts this one between them.
"""
import json

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

from grader.course import feedback_notes_path
from grader.redact import redact_notebook, secret_lines


class HideHiddenTests(ClearHiddenTests):
    """ClearHiddenTests for grade cells, plus short tracebacks, redacted outputs and make grade's notes."""

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        try:
            self.notes = json.loads(feedback_notes_path(info.get("assignment"), info.get("student"))
                                    .read_text())
        except (OSError, ValueError, TypeError):  # none after plain nbgrader
            self.notes = {}
        try:
            redact_notebook(nb, secret_lines(info.get("assignment")))
        except (OSError, TypeError, ValueError):  # not this course's assignment: nothing to compare with
            pass
        return super().preprocess(nb, resources)

    def _remove_hidden_test_region(self, cell):
        try:
            return super()._remove_hidden_test_region(cell)
        except RuntimeError:  # a block left open (or nested): showing too little beats leaking
            cell.source = cell.source.split(self.begin_test_delimeter)[0].rsplit("\n", 1)[0]
            return True

    def preprocess_cell(self, cell, resources, cell_index):
        if not utils.is_grade(cell):
            return cell, resources
        self._remove_hidden_test_region(cell)
        note = self.notes.get(cell.metadata.nbgrader.get("grade_id"))
        if note:  # e.g. the cell passed in the notebook, but not in the sealed re-check
            cell.outputs.append(new_output("stream", name="stdout", text=note))
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                ename, evalue = output.get("ename", ""), output.get("evalue", "")
                output["traceback"] = [f"{ename}: {evalue}" if evalue else ename]
        return cell, resources
