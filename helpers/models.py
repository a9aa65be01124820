"""Small models that carry every kind of parameter an optimizer has to handle.

Lesson 04 (`04_param_groups.ipynb`) runs its pitfall zoo and compares the
parameter-group rules of nanoGPT, timm and Hugging Face on `TinyTransformer`.
"""
import torch
from torch import nn


class TinyTransformer(nn.Module):
    """A one-block transformer-like classifier of token sequences, small enough to print.

    It has, on purpose, one of each kind of parameter that grouping rules
    get wrong: an Embedding whose weight is tied to the output layer (one
    tensor, two names), learned `pos_embed` and `cls_token` tensors named
    neither weight nor bias (3-D, as in timm's vision transformers, and
    listed by `no_weight_decay()` as timm models do), LayerNorms, an
    attention layer whose parameters are called `in_proj_weight` and
    `in_proj_bias`, and a frozen, "pretrained" projection.

    Input: token ids of shape (batch, context) in [0, vocab_size).
    Output: logits of shape (batch, context + 1, vocab_size); position 0
    belongs to the cls token.
    """

    def __init__(self, vocab_size=16, dim=8, context=4, num_heads=2):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, dim)
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, context + 1, dim))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.frozen_proj = nn.Linear(dim, dim)  # "pretrained": kept fixed
        self.frozen_proj.requires_grad_(False)
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.ln_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight  # weight tying: one tensor, two names

    def no_weight_decay(self):
        """Names timm's optimizer factory leaves undecayed for this model."""
        return {"pos_embed", "cls_token"}

    def forward(self, idx):
        x = self.frozen_proj(self.tok_emb(idx))
        cls = self.cls_token.expand(len(idx), -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed[:, : idx.shape[1] + 1]
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        x = x + self.mlp(self.ln_2(x))
        return self.head(self.ln_f(x))
