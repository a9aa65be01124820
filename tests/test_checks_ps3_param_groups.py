"""Do the ps3_param_groups checks pass right answers and name each wrong one? (no nbgrader)

The samples in autograded/samples/ps3_param_groups/ cover the listed mistakes
through whole notebooks (test_checks_samples.py); these tests call the checks
directly, with the rarer mistakes, and check the PyTorch facts they rely on.
"""
import warnings

import pytest
import torch
from torch import nn

from grader.checks import ps3_param_groups as checks


def param_groups(model, weight_decay):
    trainable = [p for p in model.parameters() if p.requires_grad]
    return [{"params": [p for p in trainable if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in trainable if p.ndim <= 1], "weight_decay": 0.0}]


def make_optimizer(model, lr, weight_decay):
    return torch.optim.AdamW(param_groups(model, weight_decay), lr=lr)


ALL_CHECKS = [
    (checks.check_param_groups_structure, param_groups),
    (checks.check_param_groups_simple_models, param_groups),
    (checks.check_param_groups_transformer, param_groups),
    (checks.check_param_groups_frozen_and_tied, param_groups),
    (checks.check_make_optimizer_type, make_optimizer),
    (checks.check_make_optimizer_groups, make_optimizer),
]


# ----------------------------------------------------------- the facts behind the checks

def test_tiny_lm_has_every_kind_of_parameter_the_rule_must_handle():
    """Does the hidden model really hold a tied weight, a frozen layer, norms, vectors, a scalar?"""
    model = checks.TinyLM()
    names = [n for n, _ in model.named_parameters()]
    assert "head.weight" not in names and model.head.weight is model.tok_emb.weight  # tied: listed once
    assert not model.frozen_encoder.weight.requires_grad
    assert "frozen_encoder.weight" in names  # frozen params are still listed
    assert model.cls_token.ndim == 1 and model.logit_scale.ndim == 0 and model.pos_emb.ndim == 2


def test_pytorch_refuses_a_parameter_in_two_groups():
    w = nn.Linear(2, 2).weight
    with pytest.raises(ValueError):
        torch.optim.AdamW([{"params": [w]}, {"params": [w]}])


def test_adamw_is_not_plain_adam_but_subclasses_it():
    """Why the check compares exact types: isinstance(AdamW(...), Adam) is True in torch 2.x."""
    opt = torch.optim.AdamW([nn.Parameter(torch.zeros(1))])
    assert isinstance(opt, torch.optim.Adam) and type(opt) is not torch.optim.Adam


# ------------------------------------------------------------------ param_groups

def test_weight_decay_values_swapped_is_diagnosed():
    def swapped_values(model, weight_decay):
        decay, keep = param_groups(model, weight_decay)
        return [{**decay, "weight_decay": 0.0}, {**keep, "weight_decay": weight_decay}]
    assert "the groups are swapped" in checks.check_param_groups_structure(swapped_values)


def test_second_group_without_weight_decay_is_both_decayed():
    def missing_key(model, weight_decay):
        decay, keep = param_groups(model, weight_decay)
        return [decay, {"params": keep["params"]}]
    message = checks.check_param_groups_structure(missing_key)
    assert "both groups are decayed" in message and "default" in message


def test_parameters_key_is_explained():
    def wrong_key(model, weight_decay):
        decay, keep = param_groups(model, weight_decay)
        return [{"parameters": decay["params"], "weight_decay": weight_decay}, keep]
    assert "KeyError on 'parameters'" in checks.check_param_groups_structure(wrong_key)


def test_generator_params_are_refused():
    def generators(model, weight_decay):
        return [{"params": (p for p in model.parameters() if p.ndim >= 2), "weight_decay": weight_decay},
                {"params": (p for p in model.parameters() if p.ndim <= 1), "weight_decay": 0.0}]
    assert "must be a list" in checks.check_param_groups_structure(generators)


def test_one_group_is_refused():
    message = checks.check_param_groups_structure(
        lambda model, wd: [{"params": list(model.parameters()), "weight_decay": wd}])
    assert "exactly two dicts" in message


def test_decayed_biases_are_named():
    def biases_decayed(model, weight_decay):
        trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        return [{"params": [p for n, p in trainable if p.ndim >= 2 or n.endswith("bias")],
                 "weight_decay": weight_decay},
                {"params": [p for n, p in trainable if p.ndim <= 1 and not n.endswith("bias")],
                 "weight_decay": 0.0}]
    assert "Biases are in the decay group" in checks.check_param_groups_simple_models(biases_decayed)


def test_weight_filter_with_a_requires_grad_test_still_drops_named_neither():
    def filtered(model, weight_decay):
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        return [{"params": [p for n, p in named if "weight" in n], "weight_decay": weight_decay},
                {"params": [p for n, p in named if "bias" in n], "weight_decay": 0.0}]
    message = checks.check_param_groups_transformer(filtered)
    assert "in neither group" in message and "cls_token" in message
    assert checks.check_param_groups_frozen_and_tied(filtered) is None


def test_copies_of_parameters_are_not_accepted():
    def copies(model, weight_decay):
        decay, keep = param_groups(model, weight_decay)
        return [{**decay, "params": [p.detach().clone() for p in decay["params"]]}, keep]
    assert checks.check_param_groups_simple_models(copies) is not None


# ------------------------------------------------------------------ make_optimizer

def test_decoupled_adam_gets_its_own_message():
    def decoupled(model, lr, weight_decay):
        return torch.optim.Adam(param_groups(model, weight_decay), lr=lr, decoupled_weight_decay=True)
    assert "use it by name" in checks.check_make_optimizer_type(decoupled)


def test_sgd_is_refused():
    def sgd(model, lr, weight_decay):
        return torch.optim.SGD(param_groups(model, weight_decay), lr=lr)
    assert "AdamW" in checks.check_make_optimizer_type(sgd)


def test_missing_lr_is_named():
    def default_lr(model, lr, weight_decay):
        return torch.optim.AdamW(param_groups(model, weight_decay))
    assert "Pass lr=lr" in checks.check_make_optimizer_groups(default_lr)


def test_every_parameter_in_one_group_is_refused():
    def one_group(model, lr, weight_decay):
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    assert "two from param_groups" in checks.check_make_optimizer_groups(one_group)


def test_make_optimizer_is_graded_with_correct_groups():
    """Does a wrong param_groups in the notebook leave make_optimizer's points alone?"""
    namespace = {"torch": torch, "param_groups": lambda model, wd: [{"params": list(model.parameters())}]}
    exec("def make_optimizer(model, lr, weight_decay):\n"
         "    return torch.optim.AdamW(param_groups(model, weight_decay), lr=lr)\n", namespace)
    assert checks.check_make_optimizer_groups(namespace["make_optimizer"]) is None


def test_tied_weight_in_two_groups_is_caught_before_pytorch_raises():
    def tied_in_both(model, weight_decay):
        decay, keep = param_groups(model, weight_decay)
        return [decay, {**keep, "params": keep["params"] + [model.tok_emb.weight]}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the check itself must not warn
        message = checks.check_param_groups_frozen_and_tied(tied_in_both)
    assert "counted twice" in message


# ------------------------------------------------------------------ tampering

def test_lists_that_claim_to_contain_everything_earn_nothing():
    class Everything(list):
        def __contains__(self, item):
            return True
        def __eq__(self, other):
            return True
    def sneaky(model, weight_decay):
        return Everything([{"params": Everything(), "weight_decay": weight_decay},
                           {"params": Everything(), "weight_decay": 0.0}])
    for check in (checks.check_param_groups_structure, checks.check_param_groups_simple_models,
                  checks.check_param_groups_transformer):
        assert check(sneaky) is not None


def test_a_subclass_of_adamw_is_not_trusted():
    class Looser(torch.optim.AdamW):
        pass
    def looser(model, lr, weight_decay):
        return Looser(param_groups(model, weight_decay), lr=lr)
    assert checks.check_make_optimizer_type(looser) is not None
