"""Import jsonschema without its slowest optional parts (one copy for the quiz bank and the grader).

Importing jsonschema (nbformat imports it too) imports two optional URI format
checkers that build a grammar at import time: rfc3987_syntax ("iri", 1.3 s)
and rfc3986_validator ("uri", 0.12 s), in every quiz cell and every grading
process (python -X importtime). No schema here checks a format, so both
modules are hidden while jsonschema loads (it skips a checker it cannot
import) and unhidden for anyone else.
"""
import sys

SLOW_FORMAT_CHECKERS = ("rfc3987_syntax", "rfc3986_validator")


def import_jsonschema():
    """Import jsonschema (if not imported yet) without the slow format checkers; return it."""
    hidden = [name for name in SLOW_FORMAT_CHECKERS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None
    try:
        import jsonschema
    finally:
        for name in hidden:
            del sys.modules[name]
    return jsonschema
