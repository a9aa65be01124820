"""Import jsonschema without its slowest optional part (one copy for the quiz bank and the grader).

Importing jsonschema (nbformat imports it too) imports its optional "iri"
format checker, rfc3987_syntax, which builds a grammar at import time: 1.3 s
of every quiz cell and of every grading process (python -X importtime). No
schema here uses that format, so the module is hidden while jsonschema loads
(jsonschema skips a checker it cannot import) and unhidden for anyone else.
"""
import sys


def import_jsonschema():
    """Import jsonschema (if not imported yet) without rfc3987_syntax; return it."""
    hidden = "rfc3987_syntax" not in sys.modules
    if hidden:
        sys.modules["rfc3987_syntax"] = None
    try:
        import jsonschema
    finally:
        if hidden:
            del sys.modules["rfc3987_syntax"]
    return jsonschema
