"""Correct answers, but the learner deleted a test cell: it is put back and graded."""
# pipeline-only: needs nbgrader's add_missing_cells and says so in the record
# expect-reason: test_l2_penalty_value
# notebook: delete-cell test_l2_penalty_value
