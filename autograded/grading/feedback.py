"""Keep hidden tests out of the feedback learners get from `nbgrader generate_feedback`.

The graded notebooks hold the hidden tests again (autograde puts them back),
and nbgrader's feedback shows every test cell's source and, for a failed one,
IPython's traceback, which quotes the source lines around the failing line:
hidden ones included. `HideHiddenTests` drops, in every grade cell, the lines
from `### BEGIN HIDDEN TESTS` to `### END HIDDEN TESTS` and cuts each error's
traceback down to its exception line (`AssertionError: <message>`), the
message being what the checks write for the learner. Other cells are left as
they are. Scores are untouched: GetGrades reads them from the gradebook.

nbgrader 0.9.6 runs `GenerateFeedback.preprocessors`, by default
[GetGrades, CSSHTMLHeaderPreprocessor]; the setting for nbgrader_config.py
keeps both and adds this one between them:

    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "grading.feedback.HideHiddenTests",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]

nbgrader imports "grading.feedback" by name, so the course folder (autograded/)
must be on sys.path: `python -m nbgrader` run from it puts it there; the
`nbgrader` script does not, unless nbgrader_config.py or PYTHONPATH adds it.
"""
import json
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

COURSE = Path(__file__).resolve().parents[1]


def notes_path(assignment, student):
    """Where `make grade` leaves, per test cell, why a cell that shows no error scored 0."""
    return COURSE / "grading_out" / assignment / "feedback_notes" / f"{student}.json"


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden test blocks and quoting tracebacks from grade cells, for feedback."""

    begin_test_delimeter = Unicode(
        "BEGIN HIDDEN TESTS", help="The marker of the first line of a hidden test block").tag(config=True)
    end_test_delimeter = Unicode(
        "END HIDDEN TESTS", help="The marker of the last line of a hidden test block").tag(config=True)

    def strip_hidden(self, source):
        """Return source without its hidden blocks, marker lines included."""
        kept, hidden = [], False
        for line in source.split("\n"):
            if self.begin_test_delimeter in line:
                hidden = True
            elif self.end_test_delimeter in line:
                hidden = False
            elif not hidden:
                kept.append(line)
        # A block left open runs to the end of the cell: showing too little beats leaking.
        return "\n".join(kept)

    def preprocess(self, nb, resources):
        """Read the notes `make grade` left for this learner (none after plain nbgrader)."""
        info = resources.get("nbgrader", {})
        try:
            self.notes = json.loads(notes_path(info.get("assignment"), info.get("student")).read_text())
        except (OSError, ValueError, TypeError):
            self.notes = {}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        """Strip hidden blocks from a grade cell's source and tracebacks from its errors."""
        if not utils.is_grade(cell):
            return cell, resources
        cell.source = self.strip_hidden(cell.source)
        note = self.notes.get(cell.metadata.nbgrader.get("grade_id"))
        if note:  # e.g. the cell passed in the notebook, but not in the sealed re-check
            cell.outputs.append(new_output("stream", name="stdout", text=note))
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                ename, evalue = output.get("ename", ""), output.get("evalue", "")
                output["traceback"] = [f"{ename}: {evalue}" if evalue else ename]
        return cell, resources
