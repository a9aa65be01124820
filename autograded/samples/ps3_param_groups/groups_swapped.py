"""Mistake: the groups are swapped: the 1-D parameters are decayed and the matrices are not."""
# expect-fail: test_param_groups_simple_models: the groups are swapped
# expect-fail: test_param_groups_transformer: the groups are swapped
# %% param_groups
def param_groups(model, weight_decay):
    trainable = [p for p in model.parameters() if p.requires_grad]
    matrices = [p for p in trainable if p.ndim >= 2]
    vectors = [p for p in trainable if p.ndim <= 1]
    return [{"params": vectors, "weight_decay": weight_decay},
            {"params": matrices, "weight_decay": 0.0}]
