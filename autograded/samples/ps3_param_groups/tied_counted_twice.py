"""Mistake: walks every module's own parameters, so a tied weight is listed once per module."""
# expect-fail: test_param_groups_frozen_and_tied: a tied parameter is counted twice
# %% param_groups
def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for module in model.modules():
        for p in module.parameters(recurse=False):
            if p.requires_grad:
                (decay if p.ndim >= 2 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]
