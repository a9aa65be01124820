"""Mistake: old gradients are never cleared, so they add up across steps."""
# expect-fail: test_train_step_update: old gradients were not cleared
# %% train_step_l2
def train_step_l2(model, loss_fn, X, y, optimizer, lam):
    data_loss = loss_fn(model(X), y)
    (data_loss + l2_penalty(model.parameters(), lam)).backward()
    optimizer.step()
    return data_loss.item()
