"""Mistake: returns the total loss (data loss + penalty) instead of the data loss."""
# expect-fail: test_train_step_returns_data_loss: you returned the total loss
# %% train_step_l2
def train_step_l2(model, loss_fn, X, y, optimizer, lam):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y) + l2_penalty(model.parameters(), lam)
    loss.backward()
    optimizer.step()
    return loss.item()
