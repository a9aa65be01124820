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
