"""Logistic regression: a linear score turned into a probability, fitted by maximum likelihood.

ISLP section 4.3 (James, Witten, Hastie & Tibshirani, 2nd ed. 2023); Bishop, "Pattern Recognition and
Machine Learning" (2006), sections 4.3.2 and 4.3.4. Two classes: p(y=1|x) = σ(w·x + b). K > 2 classes:
the softmax p(y=k|x) = exp(z_k) / Σ_j exp(z_j), z = W x + b (multinomial, one weight vector per class).
The loss is the negative log-likelihood plus an L2 penalty ||W||² / (2C) (not on the intercept), each
example counted with its sample and class weight; it is convex, and L-BFGS (scipy) minimises it with the
gradient written out below. Same objective as scikit-learn's `LogisticRegression(solver="lbfgs")`, so
both land on the same optimum (tests/test_logistic.py).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ml52.supervised.tree import check_sample_weight, class_sample_weight


def binary_loss(theta: np.ndarray, X: np.ndarray, t: np.ndarray, s: np.ndarray, C: float, intercept: bool):
    """Loss and gradient for two classes. theta = [w (d,), b]; t in {0, 1}; s: example weights (n,)."""
    d = X.shape[1]
    w, b = theta[:d], (theta[d] if intercept else 0.0)
    z = X @ w + b                                         # (n,) scores
    # -log p(t|x) = log(1 + e^z) - t·z
    loss = s @ (np.logaddexp(0.0, z) - t * z) + w @ w / (2 * C)
    # ∂/∂z = σ(z) - t
    r = s * (expit(z) - t)                                # (n,)
    grad = np.r_[X.T @ r + w / C, [r.sum()] if intercept else []]
    return loss, grad


def multinomial_loss(theta: np.ndarray, X: np.ndarray, T: np.ndarray, s: np.ndarray, C: float,
                     intercept: bool):
    """Loss and gradient for K classes. theta = [W (K, d), b (K,)] flattened; T: one-hot (n, K)."""
    n, d = X.shape
    K = T.shape[1]
    W = theta[:K * d].reshape(K, d)
    b = theta[K * d:] if intercept else np.zeros(K)
    Z = X @ W.T + b                                       # (n, K) scores
    # log Σ_j e^{z_j}, computed as m + log Σ_j e^{z_j - m} with m = max_j z_j so no exponential overflows
    m = Z.max(axis=1, keepdims=True)                      # (n, 1)
    E = np.exp(Z - m)                                     # (n, K), each in (0, 1]
    total = E.sum(axis=1, keepdims=True)                  # (n, 1)
    lse = m[:, 0] + np.log(total[:, 0])                   # (n,)
    # -log p(k|x) = log Σ_j e^{z_j} - z_k, weighted by the one-hot row T
    loss = s @ (T.sum(axis=1) * lse - np.einsum("nk,nk->n", T, Z)) + np.sum(W * W) / (2 * C)
    # ∂/∂Z = softmax(Z) - T
    R = s[:, None] * (E / total - T)                      # (n, K)
    grad = np.r_[(R.T @ X + W / C).ravel(), R.sum(axis=0) if intercept else []]
    return loss, grad


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """L2-penalised logistic regression (binary, or multinomial for K > 2), fitted with L-BFGS.

    C: inverse penalty strength (larger C, weaker penalty). fit_intercept: learn b. class_weight: None,
    "balanced" or {label: weight}. max_iter, tol: L-BFGS's iteration cap and its tolerance on the largest
    gradient entry of the mean loss (scikit-learn's defaults: 100 and 1e-4).
    """

    def __init__(self, C: float = 1.0, fit_intercept: bool = True, class_weight=None, max_iter: int = 100,
                 tol: float = 1e-4):
        self.C = C
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y, sample_weight=None):
        if not self.C > 0:
            raise ValueError(f"C must be > 0, got {self.C}")
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_coded = np.unique(y, return_inverse=True)
        K = len(self.classes_)
        if K < 2:
            raise ValueError(f"logistic regression needs examples of at least 2 classes; got one class: "
                             f"{self.classes_[0]!r}")
        s = check_sample_weight(sample_weight, len(y))
        if s.sum() <= 0:
            raise ValueError("the sample weights add up to zero: give some examples a positive weight")
        s = s * class_sample_weight(self.class_weight, y_coded, self.classes_, s)
        # minimise [Σ s_i·loss_i + ||W||²/(2C)] / Σ s_i: the same minimiser, with gradients of order 1
        # whatever n, so one tolerance fits all data sizes
        total = s.sum()
        s, C = s / total, self.C * total
        n, d = X.shape
        intercept = bool(self.fit_intercept)
        if K == 2:
            fun, target, size = binary_loss, (y_coded == 1).astype(float), d + intercept
        else:
            fun, target, size = multinomial_loss, np.eye(K)[y_coded], K * (d + intercept)
        result = minimize(fun, np.zeros(size), args=(X, target, s, C, intercept),
                          jac=True, method="L-BFGS-B",
                          options={"maxiter": self.max_iter, "maxls": 50, "gtol": self.tol,
                                   "ftol": 64 * np.finfo(float).eps})
        if not result.success and result.nit >= self.max_iter:
            warnings.warn(f"L-BFGS stopped after max_iter={self.max_iter} iterations; raise max_iter",
                          ConvergenceWarning)
        self.n_iter_ = np.array([result.nit])
        theta = result.x
        rows = 1 if K == 2 else K
        W = theta[:rows * d].reshape(rows, d)
        self.coef_ = W
        self.intercept_ = theta[rows * d:] if intercept else np.zeros(rows)
        return self

    def decision_function(self, X) -> np.ndarray:
        """Scores z = X Wᵀ + b: (n,) for two classes, (n, K) for more."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        Z = X @ self.coef_.T + self.intercept_
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict_proba(self, X) -> np.ndarray:
        """(n, K) class probabilities: σ(z) for two classes, softmax(z) for more."""
        Z = self.decision_function(X)
        if Z.ndim == 1:
            p = expit(Z)
            return np.c_[1 - p, p]
        return softmax(Z, axis=1)

    def predict_log_proba(self, X) -> np.ndarray:
        return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        Z = self.decision_function(X)
        k = (Z > 0).astype(int) if Z.ndim == 1 else np.argmax(Z, axis=1)
        return self.classes_[k]
