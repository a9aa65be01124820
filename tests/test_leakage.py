"""Do the leakage tools find, count and remove what lesson 01 says they do?"""
import pytest
import torch

from helpers.data import pure_noise, train_val_split
from helpers.leakage import (count_shared_rows, drop_duplicate_rows, select_top_features,
                             with_duplicates)


def test_selection_finds_the_feature_that_carries_the_label():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(200, 30, generator=g)
    y = (X[:, 7] > 0).float().unsqueeze(1)
    cols = select_top_features(X, y, 3)
    assert cols.shape == (3,) and cols[0].item() == 7


def test_selection_rejects_an_impossible_k():
    X = torch.randn(10, 4)
    with pytest.raises(ValueError, match="between 1 and 4"):
        select_top_features(X, torch.zeros(10), 5)


def test_duplicates_are_exact_copies_appended():
    X, y = pure_noise(num_samples=20, num_features=5)
    X2, y2 = with_duplicates(X, y, fraction=0.5, seed=0)
    assert X2.shape == (30, 5) and y2.shape == (30, 1)
    assert torch.equal(X2[:20], X) and count_shared_rows(X, X2[20:]) == 10


def test_shared_rows_are_counted_exactly_not_approximately():
    # cdist-style distances round to non-zero for identical rows in high dimension; counts must not
    X, y = pure_noise(num_samples=50, num_features=1000)
    assert count_shared_rows(X, X) == 50
    assert count_shared_rows(X[:25], X[25:]) == 0
    nearly = X[:5] + 1e-6
    assert count_shared_rows(X, nearly) == 0
    assert count_shared_rows(X[:0], X) == 0


def test_random_split_of_duplicated_data_leaks_and_deduplication_fixes_it():
    X, y = pure_noise(num_samples=100, num_features=20)
    X2, y2 = with_duplicates(X, y, fraction=1.0)
    leaky = train_val_split(X2, y2, val_fraction=0.5, seed=0)
    assert count_shared_rows(leaky.X_train, leaky.X_val) > 20
    Xu, yu = drop_duplicate_rows(X2, y2)
    assert torch.equal(Xu, X) and torch.equal(yu, y)  # first occurrences, original order
    clean = train_val_split(Xu, yu, val_fraction=0.5, seed=0)
    assert count_shared_rows(clean.X_train, clean.X_val) == 0
