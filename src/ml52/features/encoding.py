"""One-hot encoding: turn a category ("oak", "maple", "birch") into numbers a model can use.

Numbering categories 0, 1, 2 would tell a model that birch is "twice" maple. One-hot encoding gives each
category its own 0/1 column instead, so no order or distance is invented (ESL §2.2 "dummy variables";
ISLP §3.3.1 "qualitative predictors"). The categories are learned from the training data, sorted, as in
scikit-learn's `OneHotEncoder`; a category never seen in training either raises an error or, with
handle_unknown="ignore", becomes a row of zeros.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ml52.features import input_names


class OneHotEncoder(TransformerMixin, BaseEstimator):
    """One 0/1 column per (input column, category), scikit-learn estimator API; dense output.

    categories: "auto" (the sorted distinct values of each column) or a list with one array per column.
    handle_unknown: "error" or "ignore" (an unseen category gives all zeros for that column).

    Fitted: categories_ (list of arrays, one per input column).
    """

    def __init__(self, *, categories="auto", handle_unknown: str = "error"):
        self.categories = categories
        self.handle_unknown = handle_unknown

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=None)
        if self.handle_unknown not in ("error", "ignore"):
            raise ValueError(f"handle_unknown must be 'error' or 'ignore', got {self.handle_unknown!r}")
        if self.categories != "auto" and len(self.categories) != X.shape[1]:
            raise ValueError(f"categories has {len(self.categories)} entries, X has {X.shape[1]} columns")
        self.categories_ = []
        for j in range(X.shape[1]):
            if self.categories == "auto":
                try:
                    cats = np.unique(X[:, j])
                except TypeError:
                    raise ValueError(f"column {j} mixes kinds of values (e.g. numbers and strings) that "
                                     "cannot be sorted; convert it to one kind first") from None
            else:
                cats = np.asarray(self.categories[j])
                if np.any(cats[:-1] > cats[1:]) if cats.dtype != object else list(cats) != sorted(cats):
                    raise ValueError(f"categories for column {j} must be sorted")
                unseen = ~np.isin(X[:, j], cats)
                if unseen.any() and self.handle_unknown == "error":
                    raise ValueError(f"column {j} has values not in the given categories: {X[unseen, j][:3]}")
            self.categories_.append(cats)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=None)
        blocks = []
        for j, cats in enumerate(self.categories_):
            col = X[:, j]
            # position of each value among the sorted categories; equal means "known"
            pos = np.clip(np.searchsorted(cats, col), 0, len(cats) - 1)
            known = cats[pos] == col
            if not known.all() and self.handle_unknown == "error":
                raise ValueError(f"column {j} has categories not seen in fit: {np.unique(col[~known])[:5]}; "
                                 "pass handle_unknown='ignore' to encode them as all zeros")
            block = np.zeros((len(col), len(cats)))           # (n, categories of column j)
            rows = np.flatnonzero(known)
            block[rows, pos[rows]] = 1.0
            blocks.append(block)
        return np.hstack(blocks)

    def inverse_transform(self, Z):
        """The category of each one-hot block (None where a block is all zeros)."""
        check_is_fitted(self)
        Z = np.asarray(Z)
        out = np.empty((Z.shape[0], len(self.categories_)), dtype=object)
        start = 0
        for j, cats in enumerate(self.categories_):
            block = Z[:, start:start + len(cats)]
            out[:, j] = np.where(block.max(axis=1) > 0, cats[block.argmax(axis=1)], None)
            start += len(cats)
        return out

    def get_feature_names_out(self, input_features=None):
        """Names like 'colour_red', as scikit-learn writes them."""
        check_is_fitted(self)
        input_features = input_names(self, input_features)
        return np.asarray([f"{name}_{c}" for name, cats in zip(input_features, self.categories_) for c in cats],
                          dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags
