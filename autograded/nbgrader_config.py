# nbgrader configuration for the course's autograded problem sets.
# nbgrader reads this file from the current directory: run every nbgrader
# command from this folder (autograded/). See README.md for the workflow.
import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "regularization-pytorch"
# The course folder is this file's folder, wherever nbgrader is started from.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# Graded copies go to autograded_out/, not autograded/autograded/.
c.CourseDirectory.autograded_directory = "autograded_out"

# A learner who deletes a test cell must not skip its points silently: put the
# cell back from the gradebook and grade it (nbgrader's default is to ignore it).
c.OverwriteCells.add_missing_cells = True

# Seconds one cell may run while grading; every cell here takes well under one.
c.Execute.timeout = 60

# Grading kernels inherit nbgrader's environment: one torch thread each, so
# kernels running side by side do not fight over the cores (unless set already).
os.environ.setdefault("OMP_NUM_THREADS", "1")


# A learner who duplicates a test cell must still be graded (nbgrader's own
# DeduplicateIds leaves the copy in a state that fails the whole submission).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "grader.sanitize.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback never shows hidden tests: their lines are removed from the test cells
# and error tracebacks (which quote the lines around the failure) are cut to the
# exception and its message, which is what the learner should read.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "grader.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# `nbgrader export` writes the same honest grades as `make grade`: a status per
# submission, and an empty score (never 0) for one that was not graded.
c.ExportApp.plugin_class = "grader.report.HonestExport"

# LMS downloads (`make grade ZIP=...`, nbgrader zip_collect): Canvas names each file
# <name>_[LATE_]<user id>_<submission id>_<file>[-<n>].ipynb; the student id is <name>.
# Change this pattern for another LMS; it must name student_id and file_id.
c.ZipCollectApp.collector_plugin = "nbgrader.plugins.FileNameCollectorPlugin"
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)_(?:LATE_)?\d+_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$")
