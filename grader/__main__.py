"""`python -m grader <assignment>`: `make grade ASSIGNMENT=<assignment>`."""
from grader.grade import main

raise SystemExit(main())
