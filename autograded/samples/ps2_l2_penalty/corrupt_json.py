"""Broken: the notebook file is cut off half way (a failed upload), so it is not valid JSON."""
# pipeline-only: plain nbgrader records a 0 for a notebook it never graded
# expect-status: not graded
# expect-reason: not valid JSON
# notebook: corrupt-json
# expect-fail: *: not graded
