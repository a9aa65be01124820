"""Feedback without hidden tests: nbgrader's ClearHiddenTests on grade cells (a block left open raises: no feedback
rather than a leak), each traceback cut to its last line (`AssertionError: <the check's message>`), plus the note
make grade left for a cell that shows no error but scored 0. make grade has redacted outputs already (grader.redact)."""
import json

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

from grader.course import feedback_notes_path


class HideHiddenTests(ClearHiddenTests):
    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        try:
            self.notes = json.loads(feedback_notes_path(info.get("assignment"), info.get("student")).read_text())
        except (OSError, ValueError, TypeError):  # none after plain nbgrader
            self.notes = {}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if utils.is_grade(cell):
            self._remove_hidden_test_region(cell)
            if note := self.notes.get(cell.metadata.nbgrader.get("grade_id")):  # e.g. it failed the sealed re-check
                cell.outputs.append(new_output("stream", name="stdout", text=note))
            for output in (o for o in cell.get("outputs", []) if o.get("output_type") == "error"):
                ename, evalue = output.get("ename", ""), output.get("evalue", "")
                output["traceback"] = [f"{ename}: {evalue}" if evalue else ename]
        return cell, resources
