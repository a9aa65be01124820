"""The course's grading pipeline: `make grade ASSIGNMENT=<name>` (see autograded/README.md).

nbgrader does the autograding and keeps the gradebook; this package runs it
fast (kernels forked from a warm process, several submissions at once), keeps
learner code contained (time, memory, network), re-checks every graded cell in
a sealed process that learner code never runs in, and writes reports that say
which submissions were graded, which need a look and which were not graded.

Modules: `pipeline` (the command), `kernels` and `zygote` (forked kernels),
`limits` (containment), `sealed` (the sealed re-check), `audit` (reading and
auditing submissions), `report` and `feedback` (what instructors and learners read).
"""
