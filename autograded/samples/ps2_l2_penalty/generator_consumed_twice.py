"""Mistake: params is read twice (a check, then the sum), so a generator is empty the second time."""
# expect-fail: test_l2_penalty_generator: the generator is consumed twice
# %% l2_penalty
def l2_penalty(params, lam):
    if not all(isinstance(p, torch.Tensor) for p in params):
        raise TypeError("params must be tensors")
    return lam * sum((p ** 2).sum() for p in params)
