"""Does every grader check accept a right answer and report an unwritten one in words?

Each tests/test_checks_<assignment>.py lists its checks with a reference
answer in ALL_CHECKS; the two promises every check makes are tested here once.
"""
import pytest

import test_checks_ps1_metrics
import test_checks_ps2_l2_penalty
import test_checks_ps3_param_groups

ALL_CHECKS = [pair for module in (test_checks_ps1_metrics, test_checks_ps2_l2_penalty,
                                  test_checks_ps3_param_groups) for pair in module.ALL_CHECKS]


@pytest.mark.parametrize("check,fn", ALL_CHECKS, ids=lambda x: getattr(x, "__name__", ""))
def test_right_answer_passes(check, fn):
    """Does each check accept a right answer?"""
    assert check(fn) is None


@pytest.mark.parametrize("check,fn", ALL_CHECKS, ids=lambda x: getattr(x, "__name__", ""))
def test_stub_is_reported_as_not_written(check, fn):
    """Does an unanswered function get a 'not written yet' message instead of a traceback?"""
    def stub(*args):
        raise NotImplementedError()
    assert "is not written yet" in check(stub)
