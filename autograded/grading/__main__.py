"""`python -m grading <assignment>`: the same as `make grade ASSIGNMENT=<assignment>`."""
import sys

from grading.pipeline import main

sys.exit(main())
