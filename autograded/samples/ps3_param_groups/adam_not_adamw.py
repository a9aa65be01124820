"""Mistake: Adam with weight_decay (an L2 penalty scaled by Adam) instead of AdamW."""
# expect-fail: test_make_optimizer_type: Adam instead of AdamW
# %% make_optimizer
def make_optimizer(model, lr, weight_decay):
    return torch.optim.Adam(param_groups(model, weight_decay), lr=lr)
