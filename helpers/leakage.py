"""Small tools for the data-leakage demos of lesson 01 (01_overfitting_metrics).

Leakage means information from the validation (or test) rows reaches the
model or the choices made about it, so the validation score no longer
measures performance on unseen data. The lesson shows three deep-learning
forms, each on data where the honest answer is known:

- features selected using all rows before splitting (`select_top_features`
  on pure noise gives far better than chance validation accuracy);
- the same example on both sides of the split (`with_duplicates`,
  `count_shared_rows`; fixed with `drop_duplicate_rows` before splitting);
- early stopping or model selection on the test set (no helper needed: the
  lesson picks the best epoch from a History).
"""
import torch


def select_top_features(X, y, k):
    """Return the indices of the k features most correlated (in absolute value) with y.

    Fit it on training rows only; fitted on all rows it leaks the
    validation labels into the choice of features (lesson 01).

    Args:
        X: (n, d) features; y: (n,) or (n, 1) labels or targets.
        k: how many features to keep (1 <= k <= d).
    Returns:
        (k,) long tensor of column indices, most correlated first.
    """
    if not 1 <= k <= X.shape[1]:
        raise ValueError(f"k must be between 1 and {X.shape[1]}, not {k}")
    Xc = X - X.mean(0)
    yc = y.reshape(-1, 1).to(X.dtype) - y.to(X.dtype).mean()
    corr = (Xc * yc).sum(0) / (Xc.norm(dim=0) * yc.norm() + 1e-12)
    return corr.abs().argsort(descending=True)[:k]


def with_duplicates(X, y, fraction=1.0, seed=0):
    """Return (X, y) with an exact copy of a random `fraction` of its rows appended.

    Models how duplicates creep into real data sets (the same image scraped
    twice, a record exported twice, augmented copies saved as new examples);
    split afterwards, many validation rows have a twin in the training set.

    Returns:
        (X_dup, y_dup) with n + round(fraction * n) rows.
    """
    n = len(X)
    g = torch.Generator().manual_seed(seed)
    copies = torch.randperm(n, generator=g)[: round(fraction * n)].to(X.device)
    return torch.cat([X, X[copies]]), torch.cat([y, y[copies]])


def count_shared_rows(X_a, X_b):
    """Count the rows of X_b that also occur, exactly, somewhere in X_a.

    Args:
        X_a: (n_a, d); X_b: (n_b, d) on the same device.
    Returns:
        int.
    """
    if len(X_a) == 0 or len(X_b) == 0:
        return 0
    # Exact comparison: give every distinct row an id, then look the ids up.
    _, ids = torch.unique(torch.cat([X_a, X_b]), dim=0, return_inverse=True)
    ids_a, ids_b = ids[: len(X_a)], ids[len(X_a):]
    return int(torch.isin(ids_b, ids_a).sum())


def drop_duplicate_rows(X, y):
    """Keep the first occurrence of every distinct row of X (and its label), in order.

    Deduplicate before splitting, so no example can sit on both sides.

    Returns:
        (X_unique, y_unique).
    """
    _, inverse = torch.unique(X, dim=0, return_inverse=True)
    first = torch.full((int(inverse.max()) + 1,), len(X), dtype=torch.long, device=X.device)
    first = first.scatter_reduce(0, inverse, torch.arange(len(X), device=X.device), "amin")
    keep = first.sort().values
    return X[keep], y[keep]
