"""Containment: train_step_l2 never returns (a loop whose condition never changes)."""
# pipeline-only: shows the cell time limit
# expect-status: needs review
# expect-reason: ran past
# expect-fail: test_train_step_returns_data_loss: ran past
# expect-fail: test_train_step_update: ran past
# %% train_step_l2
def train_step_l2(model, loss_fn, X, y, optimizer, lam):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    while loss > 0:
        pass
    return loss.item()
