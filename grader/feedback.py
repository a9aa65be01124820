"""Feedback without hidden tests: nbgrader's ClearHiddenTests on grade cells (a block left open raises: no feedback
rather than a leak), each traceback cut to its last line (`AssertionError: <the check's message>`). make grade
has redacted outputs already (grader.redact)."""
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests


class HideHiddenTests(ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        if utils.is_grade(cell):
            self._remove_hidden_test_region(cell)
            for output in (o for o in cell.get("outputs", []) if o.get("output_type") == "error"):
                ename, evalue = output.get("ename", ""), output.get("evalue", "")
                output["traceback"] = [f"{ename}: {evalue}" if evalue else ename]
        return cell, resources
