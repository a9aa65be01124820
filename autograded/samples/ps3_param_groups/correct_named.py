"""Correct, in nanoGPT's style: a dict of trainable named parameters, split by p.dim()."""
# %% param_groups
def param_groups(model, weight_decay):
    """Matrices and embeddings decay; biases, norms and other vectors do not."""
    trainable = {name: p for name, p in model.named_parameters() if p.requires_grad}
    decay = [p for name, p in trainable.items() if p.dim() >= 2]
    no_decay = [p for name, p in trainable.items() if p.dim() < 2]
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]

# %% make_optimizer
def make_optimizer(model, lr, weight_decay):
    groups = param_groups(model, weight_decay)
    return torch.optim.AdamW(groups, lr=lr)
