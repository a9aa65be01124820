"""Does show_error print an expected error in a line or two, and refuse to hide anything else?"""
import pytest
import torch
from torch import nn

from helpers.errors import error_text, show_error


def test_an_expected_error_is_printed_as_type_and_message(capsys):
    with show_error(TypeError) as caught:
        torch.sum(nn.Linear(2, 1).parameters())
    out = capsys.readouterr().out
    assert out.startswith("TypeError: sum(): argument 'input'")
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1
    assert isinstance(caught.error, TypeError)


def test_a_pytorch_optimizer_error_shows_its_message(capsys):
    w = nn.Parameter(torch.ones(2))
    with show_error(ValueError):
        torch.optim.AdamW([{"params": [w]}, {"params": [w]}], lr=0.1)
    assert capsys.readouterr().out.strip() == (
        "ValueError: some parameters appear in more than one parameter group")


def test_a_long_message_is_cut_to_max_lines(capsys):
    with show_error(RuntimeError, max_lines=2):
        raise RuntimeError("line 1\nline 2\nline 3\nline 4")
    assert capsys.readouterr().out.strip().splitlines() == ["RuntimeError: line 1", "line 2 ..."]


def test_a_key_error_prints_the_key_as_python_does():
    assert error_text(KeyError("params")) == "KeyError: 'params'"


def test_an_error_without_a_message_prints_its_type():
    assert error_text(StopIteration()) == "StopIteration"


def test_a_block_that_does_not_fail_is_an_assertion_error():
    with pytest.raises(AssertionError, match="should raise ValueError, but it ran without an error"):
        with show_error(ValueError):
            pass


def test_an_error_of_another_type_is_not_swallowed():
    with pytest.raises(ZeroDivisionError):
        with show_error(ValueError, KeyError):
            1 / 0


def test_several_expected_types_are_accepted(capsys):
    with show_error(ValueError, KeyError):
        {}["params"]
    assert capsys.readouterr().out.strip() == "KeyError: 'params'"
