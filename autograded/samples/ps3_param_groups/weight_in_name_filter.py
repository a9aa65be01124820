"""Mistake: the source page's name filters ('weight' in name / 'bias' in name), as printed there."""
# expect-fail: test_param_groups_simple_models: a `'weight' in name` filter also matches
# expect-fail: test_param_groups_transformer: a `'weight' in name` filter also matches
# expect-fail: test_param_groups_frozen_and_tied: frozen parameters are included
# %% param_groups
def param_groups(model, weight_decay):
    return [
        {'params': [p for n, p in model.named_parameters() if 'weight' in n],
         'weight_decay': weight_decay},
        {'params': [p for n, p in model.named_parameters() if 'bias' in n], 'weight_decay': 0.0},
    ]
