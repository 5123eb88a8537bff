"""Imputation: fill in missing values so that a model can use rows with gaps.

Most models cannot take a missing value. The simplest fix fills each gap in a column with one number
learned from the training part of that column: its mean, its median, its most frequent value, or a
constant (ESL §9.6 "missing data"; ISLP §13 treats it as a first step). scikit-learn's `SimpleImputer`
does the same; as there, a column with no observed value at all is dropped unless keep_empty_features
(which fills it with 0, or with fill_value for strategy="constant").
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ml52.features import input_names

STRATEGIES = ("mean", "median", "most_frequent", "constant")


def missing_mask(X: np.ndarray, missing_values) -> np.ndarray:
    """True where X holds the missing marker (for missing_values=np.nan: where X is NaN)."""
    if isinstance(missing_values, float) and np.isnan(missing_values):
        if X.dtype.kind == "f":
            return np.isnan(X)
        return np.frompyfunc(lambda v: isinstance(v, float) and v != v, 1, 1)(X).astype(bool)
    return np.frompyfunc(lambda v: v is missing_values or v == missing_values, 1, 1)(X).astype(bool) \
        if X.dtype == object else X == missing_values


def most_frequent(values: np.ndarray):
    """The most common value; ties go to the smallest, as in scikit-learn."""
    uniq, counts = np.unique(values, return_counts=True)
    return uniq[np.argmax(counts)]          # np.unique sorts, argmax takes the first of the ties


class SimpleImputer(TransformerMixin, BaseEstimator):
    """Fill missing entries column by column, scikit-learn estimator API.

    missing_values: the marker of a missing entry (np.nan by default; pass None for None in text columns).
    strategy: "mean", "median" (numbers only), "most_frequent" or "constant" (any values).
    fill_value: the constant for strategy="constant" (default 0 for numbers, "missing_value" for text).
    keep_empty_features: keep an all-missing column (filled with 0) instead of dropping it.

    Fitted: statistics_ (d,): the value each column's gaps are filled with (NaN for an empty column).
    empty_columns_ (d,) bool: all-missing columns that transform drops.
    """

    def __init__(self, *, missing_values=np.nan, strategy: str = "mean", fill_value=None,
                 keep_empty_features: bool = False):
        self.missing_values = missing_values
        self.strategy = strategy
        self.fill_value = fill_value
        self.keep_empty_features = keep_empty_features

    def _validate(self, X, reset: bool):
        numeric_only = self.strategy in ("mean", "median")
        X = validate_data(self, X, reset=reset, dtype=np.float64 if numeric_only else None,
                          ensure_all_finite="allow-nan")
        if X.dtype.kind in "iub":
            X = X.astype(np.float64)
        return X

    def fit(self, X, y=None):
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}")
        X = self._validate(X, reset=True)
        missing = missing_mask(X, self.missing_values)
        stats = np.empty(X.shape[1], dtype=X.dtype if X.dtype == object else np.float64)
        for j in range(X.shape[1]):
            seen = X[~missing[:, j], j]
            if seen.size == 0 and not self.keep_empty_features:
                stats[j] = np.nan                         # an empty column: dropped by transform
            elif self.strategy == "constant":
                stats[j] = self._constant(X)
            elif seen.size == 0:
                stats[j] = 0
            elif self.strategy == "mean":
                stats[j] = seen.mean()
            elif self.strategy == "median":
                stats[j] = np.median(seen)
            else:
                stats[j] = most_frequent(seen)
        self.statistics_ = stats
        self.empty_columns_ = np.array([not self.keep_empty_features and missing[:, j].all()
                                        for j in range(X.shape[1])], dtype=bool)
        return self

    def _constant(self, X):
        if self.fill_value is not None:
            return self.fill_value
        return "missing_value" if X.dtype == object else 0.0

    def transform(self, X):
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        out = X.astype(self.statistics_.dtype if X.dtype != object else object, copy=True)
        missing = missing_mask(X, self.missing_values)
        rows, cols = np.nonzero(missing)
        out[rows, cols] = self.statistics_[cols]
        return out[:, ~self.empty_columns_]

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        input_features = input_names(self, input_features)
        return np.asarray(input_features, dtype=object)[~self.empty_columns_]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags
