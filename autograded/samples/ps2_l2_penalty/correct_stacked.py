"""Correct, written with torch.stack over a list and zero_grad(set_to_none=False)."""
# %% l2_penalty
def l2_penalty(params, lam):
    """Stack one sum of squares per tensor, then add them up."""
    params = list(params)  # a generator can be read only once
    return lam * torch.stack([p.square().sum() for p in params]).sum()

# %% weight_decay_equivalent
def weight_decay_equivalent(lam):
    return float(2 * lam)

# %% train_step_l2
def train_step_l2(model, loss_fn, X, y, optimizer, lam):
    optimizer.zero_grad(set_to_none=False)
    outputs = model(X)
    data_loss = loss_fn(outputs, y)
    penalty = l2_penalty(model.parameters(), lam)
    (data_loss + penalty).backward()
    optimizer.step()
    return data_loss.detach().item()
