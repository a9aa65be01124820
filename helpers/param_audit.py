"""Audit optimizer parameter groups: which group holds each parameter, and is that right?

Lesson 04 (`04_param_groups.ipynb`) builds parameter groups that leave
biases and normalization weights undecayed, and uses this audit to check
them. It lists every parameter of a model once (a tied tensor under all of
its names), its shape, whether it trains, and the group(s) and weight
decay it got, and reports the mistakes that PyTorch does not catch: a
trainable parameter in no group (it never trains), a frozen one in a group,
one listed twice, or a tensor in the groups that is not the model's.
"""
from dataclasses import dataclass, field


@dataclass
class AuditRow:
    """One parameter tensor of the model and where the optimizer put it."""

    names: list
    shape: tuple
    trainable: bool
    groups: list = field(default_factory=list)  # index of each group holding it (repeats kept)
    weight_decay: list = field(default_factory=list)  # that group's weight_decay, same order

    @property
    def name(self):
        return self.names[0]


def _groups_of(optimizer_or_groups):
    """Return a list of dicts with 'params' lists, from an optimizer or group dicts."""
    groups = getattr(optimizer_or_groups, "param_groups", optimizer_or_groups)
    groups = list(groups)
    if groups and not isinstance(groups[0], dict):
        groups = [{"params": groups}]  # a plain list of tensors is one group
    return [{**g, "params": list(g["params"])} for g in groups]


def audit_groups(model, optimizer_or_groups, default_weight_decay=None):
    """List every parameter tensor of `model` with the group(s) that hold it.

    Args:
        model: an nn.Module.
        optimizer_or_groups: a torch.optim optimizer, a list of group dicts
            (each with a 'params' list), or a plain list of tensors.
        default_weight_decay: shown for a group dict without 'weight_decay'
            (an optimizer fills that key in itself).
    Returns:
        (rows, problems): a list of AuditRow in named_parameters() order,
        tied tensors once with all their names; and a list of sentences,
        empty when every trainable parameter is in exactly one group and
        nothing else is.
    """
    rows, by_id = [], {}
    for name, p in model.named_parameters(remove_duplicate=False):
        if id(p) in by_id:
            by_id[id(p)].names.append(name)
            continue
        by_id[id(p)] = AuditRow([name], tuple(p.shape), p.requires_grad)
        rows.append(by_id[id(p)])
    strangers = 0
    for index, group in enumerate(_groups_of(optimizer_or_groups)):
        wd = group.get("weight_decay", default_weight_decay)
        for p in group["params"]:
            if id(p) not in by_id:
                strangers += 1
                continue
            by_id[id(p)].groups.append(index)
            by_id[id(p)].weight_decay.append(wd)
    problems = []
    for row in rows:
        label = " = ".join(row.names)
        if row.trainable and not row.groups:
            problems.append(f"{label} trains (requires_grad) but is in no group: it never changes")
        elif len(row.groups) > 1:
            problems.append(f"{label} is listed {len(row.groups)} times (groups {row.groups})")
        if not row.trainable and row.groups:
            problems.append(f"{label} is frozen but in group {row.groups[0]}: skipped while its "
                            f"grad is None, decayed as soon as it gets one")
    if strangers:
        problems.append(f"{strangers} tensor(s) in the groups are not parameters of the model")
    return rows, problems


def format_audit(rows, problems):
    """Return the audit as a plain-text table followed by its verdict."""
    header = ("parameter", "shape", "trains", "group", "weight_decay")
    lines = [[" = ".join(r.names), str(list(r.shape)), "yes" if r.trainable else "frozen",
              ",".join(map(str, r.groups)) or "-",
              ",".join(f"{wd:g}" if wd is not None else "?" for wd in r.weight_decay) or "-"]
             for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines]
    if problems:
        out.append(f"PROBLEMS ({len(problems)}):")
        out += [f"  - {p}" for p in problems]
    else:
        out.append("OK: every trainable parameter is in exactly one group; frozen ones in none.")
    return "\n".join(out)
