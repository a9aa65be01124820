"""Does the audit find every parameter-group mistake PyTorch lets through, and pass good groups?"""
import torch
from torch import nn

from helpers.models import TinyTransformer
from helpers.param_audit import audit_groups, format_audit


def _ndim_groups(model, wd=0.1):
    trainable = [p for p in model.parameters() if p.requires_grad]
    return [{"params": [p for p in trainable if p.dim() >= 2], "weight_decay": wd},
            {"params": [p for p in trainable if p.dim() <= 1], "weight_decay": 0.0}]


def test_good_groups_pass_and_every_tensor_is_listed_once():
    model = TinyTransformer()
    rows, problems = audit_groups(model, torch.optim.AdamW(_ndim_groups(model)))
    assert problems == []
    assert len(rows) == len(list(model.parameters()))
    tied = next(r for r in rows if r.name == "tok_emb.weight")
    assert tied.names == ["tok_emb.weight", "head.weight"] and tied.weight_decay == [0.1]
    assert "OK" in format_audit(rows, problems)


def test_parameters_named_neither_weight_nor_bias_are_reported_missing():
    model = TinyTransformer()
    named = list(model.named_parameters())
    pair = [{"params": [p for n, p in named if "weight" in n]},
            {"params": [p for n, p in named if "bias" in n]}]
    _, problems = audit_groups(model, pair)
    text = "\n".join(problems)
    assert "pos_embed trains" in text and "cls_token trains" in text
    assert "frozen_proj.weight is frozen" in text


def test_a_tensor_listed_twice_is_reported():
    model = nn.Linear(3, 2)
    _, problems = audit_groups(model, [{"params": [model.weight, model.weight, model.bias]}])
    assert any("weight is listed 2 times" in p for p in problems)


def test_a_tensor_that_is_not_the_models_is_reported():
    model = nn.Linear(3, 2)
    stranger = nn.Parameter(torch.zeros(2))
    _, problems = audit_groups(model, [list(model.parameters()) + [stranger]])
    assert any("not parameters of the model" in p for p in problems)


def test_an_empty_group_from_a_used_up_generator_is_caught():
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    params = model.parameters()
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() <= 1]  # empty: the generator is used up
    _, problems = audit_groups(model, [{"params": decay}, {"params": no_decay}])
    assert len(problems) == 3  # 0.bias, 1.weight, 1.bias are in no group
