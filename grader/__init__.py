"""The course's grader: `make grade` (autograded/README.md)."""
try:
    from helpers.fast_imports import import_jsonschema
except ImportError:  # in a sandbox only grader/ is readable, and nothing there imports nbformat early
    pass
else:
    import_jsonschema()  # before nbformat does: 1.3 s faster (helpers/fast_imports.py)
