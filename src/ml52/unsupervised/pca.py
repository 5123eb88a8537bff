"""Principal component analysis: the few directions along which the data varies most.

Centre the data (subtract each column's mean), then take its singular value decomposition
Xc = U S Vᵀ (ESL §14.5.1, ISLP §12.2). The rows of Vᵀ are the principal directions, ordered by how much
variance they carry: variance along direction j = s_j² / (n - 1). Keeping the first k directions gives the
best rank-k approximation of Xc in squared error (Eckart-Young), so

- transform:          Z = (X - mean) V_kᵀ           (n, k) codes
- inverse_transform:  X̂ = Z V_k + mean               (n, d) the nearest point in the k-dim subspace

`whiten` divides each code by its standard deviation, so that every kept direction has unit variance.
Signs are fixed the way scikit-learn fixes them (the largest entry of each direction is positive), so
the two give the same components, not just the same ones up to sign.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data


class PCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """PCA by the SVD of the centred data, scikit-learn estimator API.

    n_components: how many directions to keep: an int, a float in (0, 1) (the fewest directions that
        explain that fraction of the variance), or None (all of them: min(n_samples, n_features)).
    whiten: scale the codes to unit variance.

    Fitted: components_ (k, d), mean_ (d,), explained_variance_ (k,), explained_variance_ratio_ (k,),
    singular_values_ (k,), n_components_, noise_variance_ (mean variance of the dropped directions).
    """

    def __init__(self, n_components=None, *, whiten: bool = False):
        self.n_components = n_components
        self.whiten = whiten

    def fit(self, X, y=None):
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        U, S = self._fit(X)
        k = self.n_components_
        # Z = Xc V_kᵀ = U_k S_k: no second matrix product needed
        Z = U[:, :k] * S[:k]                            # (n, k)
        if self.whiten:
            Z = Z / np.sqrt(self.explained_variance_)
        return Z

    def _fit(self, X):
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        n, d = X.shape
        self.mean_ = X.mean(axis=0)                     # (d,)
        Xc = X - self.mean_
        U, S, Vt = np.linalg.svd(Xc, full_matrices=False)   # U (n, r), S (r,), Vt (r, d), r = min(n, d)
        # fix each direction's sign so that its largest-magnitude entry is positive (as sklearn's svd_flip)
        signs = np.sign(Vt[np.arange(len(Vt)), np.argmax(np.abs(Vt), axis=1)])
        signs[signs == 0] = 1.0
        U, Vt = U * signs, Vt * signs[:, None]
        # variance along direction j: s_j² / (n - 1)
        variance = S**2 / (n - 1)
        total = variance.sum()
        ratio = variance / total if total > 0 else np.zeros_like(variance)
        k = self._choose_k(ratio, n, d)
        self.n_components_ = k
        self.components_ = Vt[:k]                       # (k, d)
        self.explained_variance_ = variance[:k]
        self.explained_variance_ratio_ = ratio[:k]
        self.singular_values_ = S[:k]
        dropped = variance[k:]
        self.noise_variance_ = float(dropped.mean()) if k < min(n, d) and dropped.size else 0.0
        self._n_features_out = k
        return U, S

    def _choose_k(self, ratio: np.ndarray, n: int, d: int) -> int:
        most = min(n, d)
        c = self.n_components
        if c is None:
            return most
        if isinstance(c, numbers.Integral) and not isinstance(c, bool):
            if not 0 <= c <= most:
                raise ValueError(f"n_components={c} must be between 0 and min(n_samples, n_features)={most}")
            return int(c)
        if isinstance(c, numbers.Real) and 0 < c < 1:
            # the fewest directions whose explained variance adds up to more than the fraction c
            return int(np.searchsorted(np.cumsum(ratio), c, side="right") + 1)
        raise ValueError(f"n_components must be None, an int or a float in (0, 1), got {c!r}")

    def transform(self, X):
        """Codes of X in the kept directions: (n, k)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        # Z = (X - mean) V_kᵀ
        Z = (X - self.mean_) @ self.components_.T       # (n, k)
        if self.whiten:
            Z = Z / np.sqrt(self.explained_variance_)
        return Z

    def inverse_transform(self, Z):
        """Back from codes (n, k) to the original space (n, d): X̂ = Z V_k + mean."""
        check_is_fitted(self)
        Z = np.asarray(Z, dtype=np.float64)
        if self.whiten:
            Z = Z * np.sqrt(self.explained_variance_)
        return Z @ self.components_ + self.mean_
