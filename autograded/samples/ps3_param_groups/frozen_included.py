"""Mistake: splits by shape but keeps frozen parameters (requires_grad=False) in the groups."""
# expect-fail: test_param_groups_frozen_and_tied: frozen parameters are included
# %% param_groups
def param_groups(model, weight_decay):
    params = list(model.parameters())
    return [{"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0}]
