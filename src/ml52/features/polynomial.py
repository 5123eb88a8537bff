"""Polynomial and interaction features: let a linear model draw curves.

A linear model on x₁, x₂ can only draw straight boundaries. Adding products of the inputs up to a
degree (1, x₁, x₂, x₁², x₁x₂, x₂² for degree 2) keeps the model linear in its weights but lets it fit
curved boundaries and interactions such as "long AND wide" (ESL §5.1, basis expansions; ISLP §7.1).
The columns come in scikit-learn's order: by degree, then in lexicographic order of the factors.
"""

from __future__ import annotations

from itertools import chain, combinations, combinations_with_replacement

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ml52.features import input_names


class PolynomialFeatures(TransformerMixin, BaseEstimator):
    """All products of the input columns up to `degree`, scikit-learn estimator API.

    degree: the highest total degree of a product.
    interaction_only: only products of distinct columns (x₁x₂, never x₁²).
    include_bias: start with a column of ones (degree 0).

    Fitted: powers_ (n_output, d): the exponent of each input in each output column.
    """

    def __init__(self, degree: int = 2, *, interaction_only: bool = False, include_bias: bool = True):
        self.degree = degree
        self.interaction_only = interaction_only
        self.include_bias = include_bias

    def _combinations(self, d: int):
        pick = combinations if self.interaction_only else combinations_with_replacement
        start = 0 if self.include_bias else 1
        return chain.from_iterable(pick(range(d), deg) for deg in range(start, self.degree + 1))

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64)
        if not isinstance(self.degree, (int, np.integer)) or self.degree < 0:
            raise ValueError(f"degree must be a non-negative integer, got {self.degree!r}")
        d = X.shape[1]
        # each output column is a tuple of input indices, e.g. (0, 0, 2) = x₀² x₂
        self.combinations_ = [tuple(c) for c in self._combinations(d)]
        if not self.combinations_:
            raise ValueError("degree=0 with include_bias=False makes no features")
        powers = np.zeros((len(self.combinations_), d), dtype=np.int64)
        for row, combo in enumerate(self.combinations_):
            for i in combo:
                powers[row, i] += 1
        self.powers_ = powers
        self.n_output_features_ = len(powers)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        out = np.empty((X.shape[0], self.n_output_features_))      # (n, n_output)
        for j, combo in enumerate(self.combinations_):
            # column j = Π_{i in combo} x_i (the empty product is the bias column of ones)
            out[:, j] = np.prod(X[:, list(combo)], axis=1) if combo else 1.0
        return out

    def get_feature_names_out(self, input_features=None):
        """Names like 'x0', 'x0^2', 'x0 x1' (or with the given input names), as scikit-learn writes them."""
        check_is_fitted(self)
        input_features = input_names(self, input_features)
        names = []
        for row in self.powers_:
            parts = [input_features[i] if p == 1 else f"{input_features[i]}^{p}" for i, p in enumerate(row) if p]
            names.append(" ".join(parts) if parts else "1")
        return np.asarray(names, dtype=object)
