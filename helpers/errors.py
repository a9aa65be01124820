"""Show an expected error as a learner needs to see it: its type and message, no traceback.

Lessons 03 (the penalty bug hunt) and 04 (the parameter-group pitfalls) run code that is
*meant* to fail. Left to raise, such a cell fills the screen with a traceback through torch
internals (``torch/optim``, ``torch/_dynamo``) that hides the one line that matters. Wrap the
failing code instead::

    from helpers.errors import show_error

    with show_error(ValueError):
        torch.optim.AdamW([{"params": [w]}, {"params": [w]}])
    # prints: ValueError: some parameters appear in more than one parameter group

The block must raise one of the expected types: if it runs without error, ``show_error``
raises ``AssertionError``, so a lesson whose demonstration stops failing (e.g. after a
PyTorch upgrade) fails its test instead of silently teaching something false. An error of
another type is not caught either: it is a real bug in the cell.
"""
import contextlib


class Caught:
    """What `show_error` caught: `.error` is the exception (None until the block has run)."""

    def __init__(self):
        self.error = None


def error_text(error, max_lines=2):
    """Return ``"TypeName: message"`` for an exception, the message cut to `max_lines` lines.

    Args:
        error: an exception instance.
        max_lines: keep at most this many lines of the message; "..." marks a cut.
    Returns:
        str, one line per message line kept.
    """
    # KeyError's str() is the repr of the key ('params' in quotes), as Python prints it.
    lines = str(error).strip().splitlines() or [""]
    text = "\n".join(lines[:max_lines]) + (" ..." if len(lines) > max_lines else "")
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@contextlib.contextmanager
def show_error(*expected, max_lines=2):
    """Run the block, which must raise one of `expected`, and print the error in one or two lines.

    Args:
        *expected: the exception classes the block is meant to raise (default: any Exception).
        max_lines: print at most this many lines of the message.
    Yields:
        a `Caught` whose ``.error`` holds the exception after the block, for asserts.
    Raises:
        AssertionError: if the block raises nothing.
        Any exception not in `expected` propagates unchanged, with its traceback.
    """
    expected = expected or (Exception,)
    caught = Caught()
    try:
        yield caught
    except expected as err:  # noqa: B030 (a tuple of classes, as `except` accepts)
        caught.error = err
        print(error_text(err, max_lines))
    else:
        names = " or ".join(cls.__name__ for cls in expected)
        raise AssertionError(f"this cell should raise {names}, but it ran without an error")
