"""Correct, with one loop that skips frozen parameters and remembers what it has seen."""
# %% param_groups
def param_groups(model, weight_decay):
    decay, no_decay, seen = [], [], set()
    for module in model.modules():
        for p in module.parameters(recurse=False):
            if not p.requires_grad or id(p) in seen:  # frozen, or shared and already placed
                continue
            seen.add(id(p))
            (decay if p.ndim >= 2 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]

# %% make_optimizer
def make_optimizer(model, lr, weight_decay):
    # weight_decay here is only the default for groups without their own value
    return torch.optim.AdamW(params=param_groups(model, weight_decay), lr=lr,
                             weight_decay=weight_decay)
