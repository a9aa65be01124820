"""Correct, written with explicit loops and model.zero_grad()."""
# %% l2_penalty
def l2_penalty(params, lam):
    """Accumulate the squared norms one tensor at a time."""
    total = torch.zeros(())
    for p in params:
        total = total + p.norm() ** 2
    return lam * total

# %% weight_decay_equivalent
def weight_decay_equivalent(lam):
    """The penalty's gradient is 2 * lam * p; SGD's weight decay adds weight_decay * p."""
    return lam * 2

# %% train_step_l2
def train_step_l2(model, loss_fn, X, y, optimizer, lam):
    """Zero, forward, backward, step."""
    model.zero_grad()
    data_loss = loss_fn(model(X), y)
    total = data_loss + l2_penalty(model.parameters(), lam)
    total.backward()
    optimizer.step()
    return float(data_loss)
