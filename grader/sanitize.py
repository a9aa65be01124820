"""nbgrader's DeduplicateIds empties the metadata of all but the last copy of a grade_id, then OverwriteCells fails the
whole submission on a copy's missing grade_id. Removing that metadata makes a copy a plain cell: the rest is graded."""
from nbgrader.preprocessors import DeduplicateIds as _DeduplicateIds


class DeduplicateIds(_DeduplicateIds):
    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources
