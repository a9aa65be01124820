"""`python -m grader <assignment>`: the same as `make grade ASSIGNMENT=<assignment>`."""
import sys

from grader.grade import main

sys.exit(main())
