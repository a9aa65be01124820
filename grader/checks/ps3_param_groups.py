"""Checks for ps3_param_groups: param_groups and make_optimizer.

One `check_<part>(fn)` per graded test cell; each returns None when the part is
right, else a message for the learner (see checks/__init__.py). Parameters are
matched by identity (id), never by comparing tensors the learner handed back.
"""
from builtins import any, dict, enumerate, float, id, isinstance, len, list, set, str, tuple, type, zip

import torch

from . import _core as core

nn = torch.nn
_parameters = nn.Module.parameters
_named_modules = nn.Module.named_modules
_named_parameters = nn.Module.named_parameters
_NORMS = (nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.GroupNorm)
_OPTIMIZERS = (core.AdamW, core.Adam, core.SGD, torch.optim.RMSprop, torch.optim.NAdam,
               torch.optim.RAdam, torch.optim.Adagrad)
MAX_NAMES = 6


def reference_param_groups(model, weight_decay):
    """Decay trainable parameters with ndim >= 2; keep the others (ndim <= 1) undecayed."""
    trainable = [p for p in _parameters(model) if core.requires_grad(p)]
    return [{"params": [p for p in trainable if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in trainable if p.dim() <= 1], "weight_decay": 0.0}]


# ------------------------------------------------------------------ models

class TinyLM(nn.Module):
    """A transformer-shaped toy: every kind of parameter the grouping rule must handle."""

    def __init__(self, vocab=13, d=8, context=6):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, d)
        self.pos_emb = nn.Parameter(torch.zeros(context, d))  # 2-D, named neither weight nor bias
        self.cls_token = nn.Parameter(torch.zeros(d))          # 1-D learnable vector
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.tok_emb.weight                 # weight tying: one tensor, two names
        self.logit_scale = nn.Parameter(torch.tensor(1.0))     # a learnable scalar (0-dim)
        self.frozen_encoder = nn.Linear(d, d)                  # pretrained and frozen
        self.frozen_encoder.requires_grad_(False)


def _build(make):
    with core.fork_rng(devices=[]):
        core.manual_seed(0)
        return make()


def _mlp_with_batchnorm():
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def _small_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 2))


def _mlp_with_layernorm():
    return nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 3))


class _Info:
    """What the checks need to know about one parameter of a model."""

    __slots__ = ("name", "label", "ndim", "trainable", "is_norm_weight", "is_bias", "plain_name")

    def __init__(self, name, p, module, local_name, root):
        self.name = name
        self.label = name if module is root else f"{name} ({type(module).__name__})"
        self.ndim = p.dim()
        self.trainable = core.requires_grad(p)
        self.is_norm_weight = isinstance(module, _NORMS) and local_name == "weight"
        self.is_bias = local_name == "bias"
        self.plain_name = local_name not in ("weight", "bias")  # e.g. cls_token, pos_emb


def _describe_model(model):
    """id(param) -> _Info, each shared tensor once (under its first name)."""
    infos = {}
    for module_name, module in _named_modules(model):
        for local_name, p in _named_parameters(module, recurse=False):
            if id(p) not in infos:
                name = f"{module_name}.{local_name}" if module_name else local_name
                infos[id(p)] = _Info(name, p, module, local_name, model)
    return infos


def _names(infos):
    names = [i.label for i in infos]
    more = f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else ""
    return ", ".join(names[:MAX_NAMES]) + more


# ------------------------------------------------------------ reading the groups

def _read_groups(value):
    """([(param ids, weight_decay or None) per group], None), or (None, what is wrong)."""
    if type(value) is not list or len(value) != 2:
        sized = type(value) is list or type(value) is tuple
        shown = f"{core.kind(value)} of length {len(value)}" if sized else core.kind(value)
        return None, (f"It returned {shown}; it should return a list of exactly two dicts: "
                      f"[{{'params': [...], 'weight_decay': weight_decay}}, "
                      f"{{'params': [...], 'weight_decay': 0.0}}].")
    groups = []
    for index, group in ((0, value[0]), (1, value[1])):
        which = ("first", "second")[index]
        if type(group) is not dict:
            return None, f"The {which} group is {core.kind(group)}; each group must be a dict."
        keys = list(group)
        for key in keys:
            if type(key) is not str:
                return None, f"The {which} group has a key that is not a string."
        if "params" not in keys:
            tip = (" PyTorch reads 'params' and raises KeyError on 'parameters'."
                   if "parameters" in keys else "")
            return None, f"The {which} group has no 'params' key (keys: {keys}).{tip}"
        params = group["params"]
        if type(params) is not list:
            return None, (f"The {which} group's 'params' is {core.kind(params)}; it must be a "
                          f"list. A generator or filter is used up after one pass, so whoever "
                          f"reads it second (often the optimizer) finds it empty.")
        wd = None
        if "weight_decay" in keys:
            wd = core.as_number(group["weight_decay"])
            if wd is None:
                return None, (f"The {which} group's 'weight_decay' is "
                              f"{core.describe(group['weight_decay'])}; it must be a number.")
        groups.append(([id(p) for p in params], wd))
    return groups, None


def _structure_problem(value, weight_decay):
    groups, problem = _read_groups(value)
    if problem:
        return problem
    (_, wd0), (_, wd1) = groups
    if wd0 is not None and wd1 is not None and core.close(wd0, 0.0) and core.close(wd1, weight_decay):
        return ("Diagnosis: the groups are swapped: the first group has weight_decay 0.0 and the "
                "second has weight_decay. The first group (weights with ndim >= 2) is the one to "
                "decay; the second (biases, norms, vectors, scalars) gets 0.0.")
    if wd1 is None:
        return ("Diagnosis: both groups are decayed. The second group has no 'weight_decay' key, "
                "so the optimizer's default applies to it (AdamW: 0.01) and biases and norm "
                "weights are decayed. Give it 'weight_decay': 0.0.")
    if wd1 != 0.0:
        both = core.close(wd1, weight_decay)
        return (f"{'Diagnosis: both groups are decayed: the' if both else 'The'} second group has "
                f"weight_decay {core.fmt(wd1)}; it must be 0.0 (biases, normalization weights, "
                f"vectors and scalars are not decayed).")
    if wd0 is None or not core.close(wd0, weight_decay, rel=1e-9, tol=0.0):
        shown = "no 'weight_decay' key" if wd0 is None else f"weight_decay {core.fmt(wd0)}"
        return f"The first group has {shown}; it must have 'weight_decay': {weight_decay}."
    return None


def _placement_problem(groups, infos):
    """Every trainable parameter in the group its shape calls for."""
    (decay, _), (keep, _) = groups
    decay_ids, keep_ids = set(decay), set(keep)
    trainable = [(pid, i) for pid, i in infos.items() if i.trainable]
    in_decay = [i for pid, i in trainable if pid in decay_ids]
    in_keep = [i for pid, i in trainable if pid in keep_ids]
    missing = [i for pid, i in trainable if pid not in decay_ids and pid not in keep_ids]
    decayed_small = [i for i in in_decay if i.ndim <= 1]
    kept_large = [i for pid, i in trainable if i.ndim >= 2 and pid in keep_ids and pid not in decay_ids]
    if not decayed_small and not kept_large and not missing:
        return None
    big = [i for pid, i in trainable if i.ndim >= 2]
    small = [i for pid, i in trainable if i.ndim <= 1]
    if len(kept_large) == len(big) and len(decayed_small) == len(small) and not missing \
            and len(in_keep) == len(big) and len(in_decay) == len(small):
        return ("Diagnosis: the groups are swapped: the first (decayed) group holds the biases, "
                "norm weights and other 1-D/0-D parameters, and the second holds the weight "
                "matrices. Put ndim >= 2 parameters in the first group and ndim <= 1 in the second.")
    parts = []
    norms = [i for i in decayed_small if i.is_norm_weight]
    if norms:
        parts.append(f"Normalization weights are in the decay group: {_names(norms)}. "
                     f"Diagnosis: a `'weight' in name` filter also matches LayerNorm and "
                     f"BatchNorm weights (1-D gains that should not be decayed). Group by shape "
                     f"instead: p.ndim >= 2 decays, p.ndim <= 1 does not.")
    biases = [i for i in decayed_small if i.is_bias]
    if biases:
        parts.append(f"Biases are in the decay group: {_names(biases)}. Biases have ndim 1: "
                     f"they go in the second group (weight_decay 0.0).")
    others = [i for i in decayed_small if not i.is_norm_weight and not i.is_bias]
    if others:
        parts.append(f"These vectors or scalars are in the decay group: {_names(others)}. "
                     f"Every parameter with ndim <= 1 goes in the second group.")
    if kept_large:
        parts.append(f"These parameters have ndim >= 2 but are not decayed: {_names(kept_large)}. "
                     f"Weight matrices and embeddings go in the first group.")
    if missing:
        named_neither = [i for i in missing if i.plain_name]
        why = (" A pair of `'weight' in name` / `'bias' in name` filters leaves out parameters "
               "named neither." if named_neither else "")
        parts.append(f"These trainable parameters are in neither group, so the optimizer never "
                     f"updates them: {_names(missing)}.{why} Put every trainable parameter in "
                     f"exactly one group, chosen by its shape.")
    return core.lines(*parts)


def _call_groups(fn, make, model_text, weight_decay=0.1):
    model = _build(make)
    call_text = f"param_groups(model, weight_decay={weight_decay}) for {model_text}"
    outcome = core.call(fn, model, weight_decay)
    if outcome.error is not None:
        return None, None, core.raised("param_groups", call_text, outcome)
    groups, problem = _read_groups(outcome.value)
    if problem:
        return None, None, core.lines(f"{call_text} did not return two parameter groups.", problem)
    return groups, _describe_model(model), None


def check_param_groups_structure(fn):
    """Two dicts, 'params' lists, weight_decay then 0.0, in that order."""
    model = _build(_mlp_with_layernorm)
    call_text = "param_groups(model, weight_decay=0.1) for Linear-LayerNorm-ReLU-Linear"
    outcome = core.call(fn, model, 0.1)
    if outcome.error is not None:
        return core.raised("param_groups", call_text, outcome)
    problem = _structure_problem(outcome.value, 0.1)
    return core.lines(f"{call_text}: the groups are not set up as asked.", problem) if problem else None


def _placement_check(fn, cases):
    for make, model_text in cases:
        groups, infos, problem = _call_groups(fn, make, model_text)
        if problem:
            return problem
        problem = _placement_problem(groups, infos)
        if problem:
            return core.lines(f"param_groups(model, 0.1) for {model_text}:", problem)
    return None


def check_param_groups_simple_models(fn):
    """Linear and Conv weights decay; biases and BatchNorm weights and biases do not."""
    return _placement_check(fn, [(_mlp_with_batchnorm, "Linear-BatchNorm1d-ReLU-Linear"),
                                 (_small_cnn, "Conv2d-BatchNorm2d-ReLU-Flatten-Linear")])


_TINY_LM_TEXT = ("a small transformer-like model (embedding tied to the output layer, LayerNorms, "
                 "pos_emb, cls_token, a learnable scalar, a frozen layer)")


def check_param_groups_transformer(fn):
    """On a transformer-like model every trainable parameter lands in its group by shape."""
    return _placement_check(fn, [(TinyLM, _TINY_LM_TEXT)])


def check_param_groups_frozen_and_tied(fn):
    """Frozen parameters are left out; a tied parameter appears exactly once."""
    groups, infos, problem = _call_groups(fn, TinyLM, _TINY_LM_TEXT)
    if problem:
        return problem
    (decay, _), (keep, _) = groups
    listed = decay + keep
    parts = []
    frozen = [infos[pid] for pid in infos if not infos[pid].trainable and pid in set(listed)]
    if frozen:
        parts.append(f"Diagnosis: frozen parameters are included: {_names(frozen)} have "
                     f"requires_grad=False. Leave them out (if p.requires_grad): they are meant "
                     f"to stay fixed, and an optimizer that holds them updates and decays them "
                     f"as soon as they get a gradient.")
    counts = {}
    for pid in listed:
        counts[pid] = counts.get(pid, 0) + 1
    twice = [infos[pid] for pid in counts if counts[pid] > 1 and pid in infos]
    if twice:
        tied = " (the output layer's weight is tied to it: one tensor under two names)"
        shared = any(i.name == "tok_emb.weight" for i in twice)
        parts.append(f"Diagnosis: a tied parameter is counted twice: {_names(twice)} "
                     f"appears more than once{tied if shared else ''}. "
                     f"model.parameters() and named_parameters() list a shared tensor once; "
                     f"looping over modules (or remove_duplicate=False) lists it once per module. "
                     f"In two groups PyTorch raises ValueError; twice in one group it warns.")
    strangers = [pid for pid in counts if pid not in infos]
    if strangers:
        parts.append(f"{len(strangers)} item(s) in the groups are not parameters of the model "
                     f"(copies or new tensors?): hand the optimizer the model's own parameters.")
    if parts:
        return core.lines(f"param_groups(model, 0.1) for {_TINY_LM_TEXT}:", *parts)
    return None


# ------------------------------------------------------------------ make_optimizer

def _call_make_optimizer(fn, lr=3e-4, weight_decay=0.1):
    model = _build(TinyLM)
    call_text = f"make_optimizer(model, lr={lr}, weight_decay={weight_decay}) for {_TINY_LM_TEXT}"
    with core.graded_alone(fn, "param_groups", reference_param_groups):
        outcome = core.call(fn, model, lr, weight_decay)
    return model, outcome, call_text


def check_make_optimizer_type(fn):
    """It returns a torch.optim.AdamW (decoupled weight decay), not Adam."""
    _, outcome, call_text = _call_make_optimizer(fn)
    if outcome.error is not None:
        return core.raised("make_optimizer", call_text, outcome)
    value = outcome.value
    if type(value) is core.AdamW:
        return None
    if type(value) is core.Adam:
        if value.defaults.get("decoupled_weight_decay") is True:
            return (f"{call_text} returned Adam(..., decoupled_weight_decay=True). That steps "
                    f"like AdamW, but the contract asks for torch.optim.AdamW: use it by name.")
        return core.lines(
            f"{call_text} returned torch.optim.Adam.",
            "Diagnosis: Adam instead of AdamW. Adam's weight_decay adds wd * p to the gradient "
            "before the adaptive scaling (an L2 penalty), so weights with large gradients are "
            "barely decayed. AdamW decays the weights directly (decoupled): use torch.optim.AdamW.")
    return f"{call_text} returned {core.kind(value)}; it should return a torch.optim.AdamW."


def check_make_optimizer_groups(fn):
    """Its parameter groups are param_groups(model, weight_decay), each with the lr."""
    lr, weight_decay = 3e-4, 0.1
    model, outcome, call_text = _call_make_optimizer(fn, lr, weight_decay)
    if outcome.error is not None:
        return core.raised("make_optimizer", call_text, outcome)
    value = outcome.value
    if type(value) not in _OPTIMIZERS:
        return f"{call_text} returned {core.kind(value)}, not a PyTorch optimizer."
    expected = reference_param_groups(model, weight_decay)
    groups = value.param_groups
    if len(groups) != 2:
        return core.lines(
            f"{call_text}: the optimizer has {len(groups)} parameter group(s); it should have the "
            f"two from param_groups(model, weight_decay).",
            "Build it from the groups: torch.optim.AdamW(param_groups(model, weight_decay), lr=lr)"
            if len(groups) == 1 else None)
    for index, (got, want) in enumerate(zip(groups, expected)):
        which = ("first", "second")[index]
        if set(id(p) for p in got["params"]) != set(id(p) for p in want["params"]):
            return (f"{call_text}: the optimizer's {which} group does not hold the parameters of "
                    f"param_groups(model, weight_decay)'s {which} group. Pass those groups, in "
                    f"order: torch.optim.AdamW(param_groups(model, weight_decay), lr=lr).")
        if not core.close(float(got["weight_decay"]), want["weight_decay"], rel=1e-9, tol=0.0):
            return (f"{call_text}: the optimizer's {which} group has weight_decay "
                    f"{core.fmt(float(got['weight_decay']))}; expected {want['weight_decay']}. "
                    f"Let the groups set weight_decay.")
        if not core.close(float(got["lr"]), lr, rel=1e-9, tol=0.0):
            return (f"{call_text}: the optimizer's learning rate is {core.fmt(float(got['lr']))}, "
                    f"not lr={lr}. Pass lr=lr.")
    return None
