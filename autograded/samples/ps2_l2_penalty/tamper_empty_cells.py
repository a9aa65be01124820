"""Tamper: an IPython input transformer that empties every later cell, tests included.

A test cell that runs nothing shows no error, and plain nbgrader gives it full
marks: 10/10 for a notebook with no answers. Its honest answer is the
unanswered notebook (0/10).
"""
# pipeline-only: plain nbgrader gives 10/10 to a notebook whose test cells are emptied
# expect-status: needs review
# expect-reason: input_transformers_cleanup
# expect-reason: passed in the notebook but failed the sealed re-check
# expect-fail: test_l2_penalty_value: name 'l2_penalty' is not defined
# expect-fail: test_l2_penalty_generator: name 'l2_penalty' is not defined
# expect-fail: test_l2_penalty_autograd: name 'l2_penalty' is not defined
# expect-fail: test_weight_decay_equivalent: not written yet
# expect-fail: test_train_step_returns_data_loss: not written yet
# expect-fail: test_train_step_update: not written yet
# %% l2_penalty
get_ipython().input_transformers_cleanup.append(lambda lines: [])


def l2_penalty(params, lam):
    raise NotImplementedError()
# %% weight_decay_equivalent
def weight_decay_equivalent(lam):
    raise NotImplementedError()
# %% train_step_l2
def train_step_l2(model, loss_fn, X, y, optimizer, lam):
    raise NotImplementedError()
