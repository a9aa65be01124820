# nbgrader's settings for this course; nbgrader reads them from the folder it runs in (README.md says why).
import os

c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.course_id = "regularization-pytorch"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))  # wherever nbgrader is started from
c.CourseDirectory.autograded_directory = "autograded_out"  # not autograded/autograded/
c.OverwriteCells.add_missing_cells = True  # a deleted test cell is put back and graded, not skipped
c.Execute.timeout = 60  # seconds per cell; every cell here takes well under one
os.environ.setdefault("OMP_NUM_THREADS", "1")  # one torch thread per grading kernel: kernels side by side
c.Autograde.sanitize_preprocessors = [  # grader.sanitize: a duplicated test cell must not fail the submission
    "nbgrader.preprocessors.ClearOutput", "grader.sanitize.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec", "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata"]
c.GenerateFeedback.preprocessors = [  # grader.feedback: no hidden test in the feedback
    "nbgrader.preprocessors.GetGrades", "grader.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
c.ExportApp.plugin_class = "grader.report.HonestExport"  # make grade's statuses; no score, never 0, if not graded
# LMS downloads (`make grade ZIP=...`): Canvas names a file <name>_[LATE_]<user id>_<submission id>_<file>[-<n>].ipynb
# and <name> is the student id. For another LMS, change the pattern; it must name student_id and file_id.
c.ZipCollectApp.collector_plugin = "nbgrader.plugins.FileNameCollectorPlugin"
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)_(?:LATE_)?\d+_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$")
