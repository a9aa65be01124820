"""Mistake: the penalty is computed but left out of the loss that is backpropagated."""
# expect-fail: test_train_step_update: the penalty is missing
# %% train_step_l2
def train_step_l2(model, loss_fn, X, y, optimizer, lam):
    optimizer.zero_grad()
    data_loss = loss_fn(model(X), y)
    penalty = l2_penalty(model.parameters(), lam)  # computed, then forgotten
    data_loss.backward()
    optimizer.step()
    return data_loss.item()
