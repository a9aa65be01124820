"""Keep the checks and the solutions off every page a learner receives, whatever learner code prints.

In `make grade` neither is readable by learner code (grader.sandbox,
grader.judge); this is the second line: any line of the checks' source or of
the source notebook's solutions and hidden tests that shows up in an output of
the graded notebook or the feedback is replaced. Lines the learner already has
(the released notebook) and short ones (`return None`) are not secrets.
"""
import nbformat

from grader.course import checks_paths, release_path, source_path

MIN_LENGTH = 20  # characters of a stripped line: shorter ones are too common to be secrets
REMOVED = "[removed: this quoted the grader's checks or solutions]"


def secret_lines(assignment, course=None):
    """(substrings, whole lines) a learner must never receive, longest first.

    Any line of the checks' source is removed wherever it shows up; a line of
    the solutions only when it is a whole output line (`optimizer.zero_grad()`
    also belongs in a check's advice).
    """
    released = set()
    if release_path(assignment, course).exists():
        released = {line.strip() for cell in nbformat.read(release_path(assignment, course), as_version=4).cells
                    for line in cell.source.splitlines()}

    def secret(lines):
        found = {line.strip() for line in lines} - released
        return sorted((s for s in found if len(s) >= MIN_LENGTH), key=len, reverse=True)
    checks = [line for path in checks_paths(assignment) for line in path.read_text().splitlines()]
    source = nbformat.read(source_path(assignment, course), as_version=4)
    return secret(checks), set(secret(line for cell in source.cells for line in cell.source.splitlines()))


def redact_text(text, secrets):
    """Return text with every secret in it replaced."""
    substrings, whole_lines = secrets
    for secret in substrings:
        if secret in text:
            text = text.replace(secret, REMOVED)
    if any(line.strip() in whole_lines for line in text.splitlines()):
        text = "\n".join(REMOVED if line.strip() in whole_lines else line for line in text.split("\n"))
    return text


def redact_notebook(nb, secrets):
    """Redact every output of every cell in place; return True if printed output had to be.

    Tracebacks are redacted without counting: IPython quotes the failing test
    cell's lines, hidden tests included, whatever the learner wrote.
    """
    changed = False
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for key in ("text", "evalue"):
                if isinstance(output.get(key), str) and redact_text(output[key], secrets) != output[key]:
                    output[key], changed = redact_text(output[key], secrets), True
            if "traceback" in output:
                output["traceback"] = [redact_text(line, secrets) for line in output["traceback"]]
            for mime, value in (output.get("data") or {}).items():
                if isinstance(value, str) and redact_text(value, secrets) != value:
                    output["data"][mime], changed = redact_text(value, secrets), True
    return changed
