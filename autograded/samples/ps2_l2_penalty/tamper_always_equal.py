"""Tamper: returns a float subclass that says it equals anything (and is 'close' to anything).

Its value is lam, the 1/2-factor mistake: the honest answer is wd_half_factor (8/10).
"""
# pipeline-only: a naive `==` test would believe it
# expect-status: graded
# expect-fail: test_weight_decay_equivalent: returned a AlwaysEqual
# %% weight_decay_equivalent
class AlwaysEqual(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __sub__(self, other):
        return AlwaysEqual(0.0)

    def __abs__(self):
        return AlwaysEqual(0.0)

    def __lt__(self, other):
        return True

    __hash__ = float.__hash__


def weight_decay_equivalent(lam):
    return AlwaysEqual(lam)
