"""Does TinyTransformer carry every kind of parameter lesson 04 needs, and run?"""
import torch
from torch import nn

from helpers.models import TinyTransformer


def test_forward_gives_one_row_of_logits_per_token_plus_the_cls_token():
    torch.manual_seed(0)
    model = TinyTransformer(vocab_size=16, dim=8, context=4)
    logits = model(torch.randint(0, 16, (3, 4)))
    assert logits.shape == (3, 5, 16)


def test_output_weight_is_tied_to_the_embedding_and_listed_once():
    model = TinyTransformer()
    assert model.head.weight is model.tok_emb.weight
    names = [n for n, _ in model.named_parameters()]
    assert "tok_emb.weight" in names and "head.weight" not in names
    assert "head.weight" in [n for n, _ in model.named_parameters(remove_duplicate=False)]


def test_it_has_frozen_norm_and_plainly_named_parameters():
    model = TinyTransformer()
    params = dict(model.named_parameters())
    assert not params["frozen_proj.weight"].requires_grad
    assert not params["frozen_proj.bias"].requires_grad
    assert params["cls_token"].dim() == 3 and params["pos_embed"].dim() == 3
    assert sum(isinstance(m, nn.LayerNorm) for m in model.modules()) == 3
    assert model.no_weight_decay() == {"pos_embed", "cls_token"}


def test_frozen_layer_gets_no_gradient_and_the_others_do():
    torch.manual_seed(0)
    model = TinyTransformer()
    tokens = torch.randint(0, 16, (4, 4))
    model(tokens).sum().backward()
    for name, p in model.named_parameters():
        assert (p.grad is None) == (not p.requires_grad), name
