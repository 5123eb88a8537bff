"""Standard scaling: put every feature on the same footing (mean 0, standard deviation 1).

Many models (k-means, logistic regression with a penalty, gradient descent, nearest neighbours) treat a
feature measured in millimetres very differently from the same feature in metres. Standardising,
z = (x - mean) / std, removes the units (ESL §3.4.1 standardises inputs before ridge; ISLP §4.7.6
standardises before KNN). The mean and std are learned on the training data only and reused on new data.
Missing values (NaN) are left missing and ignored when the mean and std are learned, as scikit-learn does.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data


class StandardScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """z = (x - mean_) / scale_ per column, scikit-learn estimator API.

    with_mean: subtract the mean (else only divide).
    with_std: divide by the standard deviation (population std, ddof=0, as scikit-learn).
    A constant column gets scale 1, so that it becomes 0 rather than NaN.

    Fitted: mean_ (d,) or None, var_ (d,) or None, scale_ (d,) or None, n_samples_seen_.
    """

    def __init__(self, *, with_mean: bool = True, with_std: bool = True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        observed = ~np.isnan(X)
        counts = observed.sum(axis=0)                           # (d,) non-missing values per column
        self.n_samples_seen_ = int(counts[0]) if np.all(counts == counts[0]) else counts
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nanmean(X, axis=0) if X.shape[0] else np.zeros(X.shape[1])
            # var = mean of (x - mean)², over the observed values only
            var = np.nanmean((X - mean) ** 2, axis=0)
        self.mean_ = mean if (self.with_mean or self.with_std) else None
        self.var_ = var if self.with_std else None
        if self.with_std:
            scale = np.sqrt(var)
            # a constant column: its variance is within the rounding error of computing it (the bound
            # scikit-learn uses), so dividing would only blow noise up: leave it unscaled
            eps = np.finfo(np.float64).eps
            constant = var <= counts * eps * var + (counts * mean * eps) ** 2
            scale[constant | np.isnan(scale)] = 1.0
            self.scale_ = scale
        else:
            self.scale_ = None
        if not self.with_mean and not self.with_std:
            self.mean_ = None
        return self

    def transform(self, X):
        check_is_fitted(self, "n_samples_seen_")
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan")
        Z = X.copy()
        # z = (x - mean) / scale
        if self.with_mean:
            Z -= self.mean_
        if self.with_std:
            Z /= self.scale_
        return Z

    def inverse_transform(self, Z):
        """x = z * scale + mean."""
        check_is_fitted(self, "n_samples_seen_")
        X = np.array(Z, dtype=np.float64)
        if self.with_std:
            X *= self.scale_
        if self.with_mean:
            X += self.mean_
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
