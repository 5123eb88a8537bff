"""Splitting data so that a model is judged on examples it never saw.

A hold-out split keeps a test part aside; k-fold cross-validation (ISLP section 5.1.3) rotates which fold
is held out, so every example is used for both fitting and judging. Stratified k-fold (Kohavi 1995, "A study
of cross-validation and bootstrap for accuracy estimation") gives each fold the class mix of the whole,
which matters when one class is rare. Same definitions as `sklearn.model_selection`: unshuffled, the folds
are identical to scikit-learn's; shuffled, they are drawn with NumPy's `default_rng` (ml52's seeding), so
they have scikit-learn's sizes and class counts but not its exact membership.
"""

from __future__ import annotations

import numpy as np


def train_test_split(*arrays, test_size: float = 0.25, seed: int = 0, stratify=None):
    """Shuffle with `seed` and split each array into (train, test); returns a flat list like sklearn's."""
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("all arrays must have the same number of rows")
    rng = np.random.default_rng(seed)
    if stratify is None:
        order = rng.permutation(n)
        n_test = int(np.ceil(test_size * n))
        test, train = order[:n_test], order[n_test:]
    else:
        labels = np.asarray(stratify)
        test_parts = []
        for c in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == c))
            test_parts.append(idx[: int(round(test_size * len(idx)))])
        test = np.sort(np.concatenate(test_parts))
        train = np.setdiff1d(np.arange(n), test)
        train, test = rng.permutation(train), rng.permutation(test)
    out = []
    for a in arrays:
        take = a.iloc if hasattr(a, "iloc") else a
        out += [take[train], take[test]]
    return out


class KFold:
    """k folds of (nearly) equal size, optionally shuffled: the first n % k folds get one extra example."""

    def __init__(self, n_splits: int = 5, shuffle: bool = False, random_state: int | None = None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def split(self, X, y=None):
        n = len(X)
        if self.n_splits < 2 or self.n_splits > n:
            raise ValueError(f"n_splits={self.n_splits} must be between 2 and the number of samples ({n})")
        order = np.arange(n)
        if self.shuffle:
            order = np.random.default_rng(self.random_state).permutation(n)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        start = 0
        for size in sizes:
            test = order[start:start + size]
            train = np.concatenate([order[:start], order[start + size:]])
            yield train, test
            start += size

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits


class StratifiedKFold:
    """k folds that each keep the class proportions of y (to within one example per class)."""

    def __init__(self, n_splits: int = 5, shuffle: bool = False, random_state: int | None = None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def test_folds(self, y) -> np.ndarray:
        """(n,) the fold each example is held out in."""
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be one label per example, got shape {y.shape}")
        # classes numbered in order of first appearance (as scikit-learn does)
        _, first, inverse = np.unique(y, return_index=True, return_inverse=True)
        y_coded = np.argsort(np.argsort(first))[inverse]
        counts = np.bincount(y_coded)
        if self.n_splits < 2 or np.all(self.n_splits > counts):
            raise ValueError(f"n_splits={self.n_splits} must be >= 2 and at most the size of the largest "
                             f"class ({counts.max()})")
        # deal the sorted labels round-robin to the folds: allocation[f, k] = class-k examples in fold f
        ordered = np.sort(y_coded)
        allocation = np.array([np.bincount(ordered[f::self.n_splits], minlength=len(counts))
                               for f in range(self.n_splits)])
        rng = np.random.default_rng(self.random_state)
        folds = np.empty(len(y), dtype=int)
        for k in range(len(counts)):
            # class k's examples, in data order, go to folds in blocks: 0,0,..,1,1,..
            fold_of_class = np.repeat(np.arange(self.n_splits), allocation[:, k])
            if self.shuffle:
                rng.shuffle(fold_of_class)
            folds[y_coded == k] = fold_of_class
        return folds

    def split(self, X, y, groups=None):
        if len(X) != len(y):
            raise ValueError("X and y must have the same number of rows")
        folds = self.test_folds(y)
        for f in range(self.n_splits):
            yield np.flatnonzero(folds != f), np.flatnonzero(folds == f)

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits
