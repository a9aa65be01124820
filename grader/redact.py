"""Keep the checks and solutions off the pages a learner gets, whatever learner code prints (a second line behind
the sandbox and the judge): their lines are replaced, but for those the release has and those too short to tell."""
import nbformat

from grader.course import checks_paths, release_path, source_path

MIN_LENGTH = 20  # characters of a stripped line
REMOVED = "[removed: this quoted the grader's checks or solutions]"


def secret_lines(assignment, course=None):
    """(checks' lines, longest first: removed anywhere; source's lines: only whole, as advice may quote one)."""
    lines = lambda texts: {line.strip() for text in texts for line in text.splitlines()}  # noqa: E731
    cells = lambda path: (cell.source for cell in nbformat.read(path, as_version=4).cells)  # noqa: E731
    released = lines(cells(release)) if (release := release_path(assignment, course)).exists() else set()
    checks, source = ([s for s in found - released if len(s) >= MIN_LENGTH] for found in (
        lines(path.read_text() for path in checks_paths(assignment)), lines(cells(source_path(assignment, course)))))
    return sorted(checks, key=len, reverse=True), set(source)


def redact_text(text, secrets):
    substrings, whole_lines = secrets
    for secret in substrings:
        text = text.replace(secret, REMOVED)
    return "\n".join(REMOVED if line.strip() in whole_lines else line for line in text.split("\n"))


def redact_notebook(nb, secrets):
    """Redact every output in place; True if printed output had to be (not tracebacks: they quote any test)."""
    changed = False
    for output in (output for cell in nb.cells for output in cell.get("outputs", [])):
        if "traceback" in output:
            output["traceback"] = [redact_text(line, secrets) for line in output["traceback"]]
        data = output.get("data") or {}
        for where, key in [(output, "text"), (output, "evalue"), *((data, mime) for mime in data)]:
            if isinstance(value := where.get(key), str) and (new := redact_text(value, secrets)) != value:
                where[key], changed = new, True
    return changed
