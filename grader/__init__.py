"""The course's grader: `make grade` (autograded/README.md)."""
from contextlib import suppress

with suppress(ImportError):  # in a sandbox only grader/ is readable, and nothing there imports nbformat early
    from helpers.fast_imports import import_jsonschema
    import_jsonschema()  # before nbformat does: 1.3 s faster (helpers/fast_imports.py)
