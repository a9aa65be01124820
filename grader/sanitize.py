"""nbgrader's sanitizing step, with a fix for learners who duplicate a graded cell.

nbgrader's DeduplicateIds keeps the last cell of each grade_id and empties the
`nbgrader` metadata of the others (sets it to {}); with
`OverwriteCells.add_missing_cells` on, OverwriteCells then reads
`metadata.nbgrader["grade_id"]` of every cell that has the key, and the whole
submission fails with KeyError: 'grade_id'. A copied test cell would get a
learner no grade at all. Removing the key instead makes the copy an ordinary cell.
"""
from nbgrader.preprocessors import DeduplicateIds as _NbgraderDeduplicateIds


class DeduplicateIds(_NbgraderDeduplicateIds):
    """Keep the last cell of each grade_id as nbgrader does; turn the other copies into plain cells."""

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources
