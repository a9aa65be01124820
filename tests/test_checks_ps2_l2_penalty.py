"""Do the ps2_l2_penalty checks pass right answers and name each wrong one? (no nbgrader)

The samples in autograded/samples/ps2_l2_penalty/ cover the listed mistakes
through whole notebooks (test_checks_samples.py); these tests call the checks
directly, with the rarer mistakes, and check the facts the checks rely on.
"""
import builtins
import copy

import pytest
import torch
from torch import nn

from grader.checks import ps2_l2_penalty as checks


def l2_penalty(params, lam):
    return lam * sum((p ** 2).sum() for p in params)


def weight_decay_equivalent(lam):
    return 2.0 * lam


def train_step_l2(model, loss_fn, X, y, optimizer, lam):
    optimizer.zero_grad()
    data_loss = loss_fn(model(X), y)
    (data_loss + l2_penalty(model.parameters(), lam)).backward()
    optimizer.step()
    return data_loss.item()


ALL_CHECKS = [
    (checks.check_l2_penalty_value, l2_penalty),
    (checks.check_l2_penalty_generator, l2_penalty),
    (checks.check_l2_penalty_autograd, l2_penalty),
    (checks.check_weight_decay_equivalent, weight_decay_equivalent),
    (checks.check_train_step_returns_data_loss, train_step_l2),
    (checks.check_train_step_update, train_step_l2),
]


# ----------------------------------------------------------- the facts behind the checks

@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_penalty_and_twice_lam_weight_decay_take_the_same_sgd_steps(momentum, nesterov):
    """Is SGD on loss + lam * sum(p**2) the same as SGD(weight_decay=2 * lam) on the loss?"""
    torch.manual_seed(0)
    X, y = torch.randn(16, 3), torch.randn(16, 1)
    a = nn.Linear(3, 1)
    b = copy.deepcopy(a)
    lam = 0.05
    opt_a = torch.optim.SGD(a.parameters(), lr=0.1, momentum=momentum, nesterov=nesterov)
    opt_b = torch.optim.SGD(b.parameters(), lr=0.1, momentum=momentum, nesterov=nesterov,
                            weight_decay=weight_decay_equivalent(lam))
    for _ in range(10):
        opt_a.zero_grad()
        (nn.functional.mse_loss(a(X), y) + l2_penalty(a.parameters(), lam)).backward()
        opt_a.step()
        opt_b.zero_grad()
        nn.functional.mse_loss(b(X), y).backward()
        opt_b.step()
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.allclose(p, q, atol=1e-6)


def test_the_page_penalty_does_not_run():
    """Does torch.sum(model.parameters()) raise, as the notebook says?"""
    with pytest.raises(TypeError):
        torch.sum(nn.Linear(3, 1).parameters())


# ------------------------------------------------------------------ l2_penalty

def test_l1_penalty_is_named():
    assert "L1 penalty" in checks.check_l2_penalty_value(
        lambda params, lam: lam * sum(p.abs().sum() for p in params))


def test_global_norm_not_squared_is_diagnosed():
    def global_norm(params, lam):
        return lam * torch.cat([p.reshape(-1) for p in params]).norm()
    assert "the norm is not squared" in checks.check_l2_penalty_value(global_norm)


def test_missing_lam_is_diagnosed():
    assert "lam is missing" in checks.check_l2_penalty_value(
        lambda params, lam: sum((p ** 2).sum() for p in params))


def test_page_penalty_gets_a_hint_about_generators():
    message = checks.check_l2_penalty_value(lambda params, lam: lam * torch.sum(params))
    assert "TypeError" in message


def test_builtin_sum_of_squares_over_tensors_gets_a_shape_message():
    message = checks.check_l2_penalty_value(lambda params, lam: lam * sum(p ** 2 for p in params))
    assert "0-dim tensor" in message or "different shapes" in message


def test_len_on_a_generator_is_explained():
    def uses_len(params, lam):
        return lam * sum((params[i] ** 2).sum() for i in range(len(params)))
    message = checks.check_l2_penalty_generator(uses_len)
    assert "no len()" in message


def test_torch_tensor_rebuild_is_cut_off_from_autograd():
    def rebuilt(params, lam):
        return torch.tensor(float(l2_penalty(params, lam)))
    assert "cut off from autograd" in checks.check_l2_penalty_autograd(rebuilt)


def test_one_detached_tensor_is_found():
    def partly_detached(params, lam):
        params = list(params)
        return lam * ((params[0].detach() ** 2).sum() + sum((p ** 2).sum() for p in params[1:]))
    message = checks.check_l2_penalty_autograd(partly_detached)
    assert "params[0]" in message and "cut off from autograd" in message


def test_detached_factor_gives_a_wrong_gradient():
    def half_detached(params, lam):
        return lam * sum((p.detach() * p).sum() for p in params)
    assert "gradient is wrong" in checks.check_l2_penalty_autograd(half_detached)


# ------------------------------------------------------- weight_decay_equivalent

def test_lam_over_two_is_called_the_wrong_way_round():
    assert "other way round" in checks.check_weight_decay_equivalent(lambda lam: lam / 2)


def test_tensor_weight_decay_is_refused():
    assert "should return a float" in checks.check_weight_decay_equivalent(
        lambda lam: torch.tensor(2 * lam))


# ------------------------------------------------------------------ train_step_l2

def test_tensor_loss_with_the_right_value_gets_the_item_hint():
    def returns_tensor(model, loss_fn, X, y, optimizer, lam):
        optimizer.zero_grad()
        data_loss = loss_fn(model(X), y)
        (data_loss + l2_penalty(model.parameters(), lam)).backward()
        optimizer.step()
        return data_loss
    assert "loss.item()" in checks.check_train_step_returns_data_loss(returns_tensor)


def test_forgetting_step_is_diagnosed():
    def no_step(model, loss_fn, X, y, optimizer, lam):
        optimizer.zero_grad()
        data_loss = loss_fn(model(X), y)
        (data_loss + l2_penalty(model.parameters(), lam)).backward()
        return data_loss.item()
    assert "did not change" in checks.check_train_step_update(no_step)


def test_inline_half_penalty_is_diagnosed():
    def half(model, loss_fn, X, y, optimizer, lam):
        optimizer.zero_grad()
        data_loss = loss_fn(model(X), y)
        (data_loss + lam / 2 * sum((p ** 2).sum() for p in model.parameters())).backward()
        optimizer.step()
        return data_loss.item()
    assert "the 1/2 factor" in checks.check_train_step_update(half)


def test_no_zero_grad_and_no_penalty_are_both_named():
    def neither(model, loss_fn, X, y, optimizer, lam):
        data_loss = loss_fn(model(X), y)
        data_loss.backward()
        optimizer.step()
        return data_loss.item()
    assert "two mistakes" in checks.check_train_step_update(neither)


def test_train_step_is_graded_with_a_correct_penalty():
    """Does a wrong l2_penalty in the learner's notebook leave train_step_l2's points alone?"""
    namespace = {"l2_penalty": lambda params, lam: lam * sum(p.sum() for p in params)}
    exec("def train_step_l2(model, loss_fn, X, y, optimizer, lam):\n"
         "    optimizer.zero_grad()\n"
         "    data_loss = loss_fn(model(X), y)\n"
         "    (data_loss + l2_penalty(model.parameters(), lam)).backward()\n"
         "    optimizer.step()\n"
         "    return data_loss.item()\n", namespace)
    wrong_penalty = namespace["l2_penalty"]
    assert checks.check_train_step_update(namespace["train_step_l2"]) is None
    assert namespace["l2_penalty"] is wrong_penalty  # put back afterwards


# ------------------------------------------------------------------ tampering

def test_rebinding_torch_and_builtins_does_not_pass_a_wrong_penalty(monkeypatch):
    """Do torch.allclose, abs or a tensor's tolist rebound after import change nothing?"""
    monkeypatch.setattr(torch, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(builtins, "abs", lambda x: 0)
    monkeypatch.setattr(torch.Tensor, "tolist", lambda self: [0.0])
    message = checks.check_l2_penalty_value(lambda params, lam: lam * sum(p.sum() for p in params))
    monkeypatch.undo()
    assert message is not None and "summed the parameters" in message


def test_tensor_subclass_is_not_trusted():
    class Fake(torch.Tensor):
        pass
    def fake(params, lam):
        return l2_penalty(params, lam).as_subclass(Fake)
    assert checks.check_l2_penalty_value(fake) is not None
