"""Mistake: both groups get weight_decay, so biases and norm weights are decayed anyway."""
# expect-fail: test_param_groups_structure: both groups are decayed
# %% param_groups
def param_groups(model, weight_decay):
    trainable = [p for p in model.parameters() if p.requires_grad]
    return [{"params": [p for p in trainable if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in trainable if p.ndim <= 1], "weight_decay": weight_decay}]
