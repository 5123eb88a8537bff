"""Linear regression: the best straight-line (hyperplane) fit by least squares, with an optional ridge penalty.

The model predicts ŷ = Xw + b. Least squares picks w, b that minimise Σ(y - ŷ)²; ridge regression adds
α‖w‖² so that large, unstable coefficients cost something (Hastie, Tibshirani & Friedman, *The Elements
of Statistical Learning*, §3.2 and §3.4.1; ISLP §3.1 and §6.2.1). Three solvers reach the same answer:

- "svd": X = U S Vᵀ, w = V diag(s / (s² + α)) Uᵀ y. Handles rank-deficient X (minimum-norm answer).
- "qr":  least squares on [X; √α I] w ≈ [y; 0] by QR: R w = Qᵀ y. Needs X of full column rank.
- "gd":  gradient descent on the mean squared error; the idea behind training every neural network.

The intercept is never penalised: X and y are centred first, and b = ȳ - x̄ᵀw.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data


class LinearRegression(RegressorMixin, BaseEstimator):
    """Least squares with an optional ridge penalty `alpha`, scikit-learn estimator API.

    alpha: ridge penalty α ≥ 0 on ‖w‖² (0 = ordinary least squares; same scale as sklearn's Ridge).
    solver: "svd", "qr" or "gd" (gradient descent; uses `learning_rate`, `max_iter`, `tol`).
    """

    def __init__(self, alpha: float = 0.0, fit_intercept: bool = True, solver: str = "svd",
                 max_iter: int = 100_000, tol: float = 1e-12, learning_rate: float | None = None):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True      # y may be (n,) or (n, targets)
        return tags

    def fit(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True, multi_output=True, dtype=np.float64)
        if self.alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {self.alpha}")
        single = y.ndim == 1
        Y = y.reshape(len(y), -1)                      # (n, targets)
        x_mean = X.mean(axis=0) if self.fit_intercept else np.zeros(X.shape[1])
        y_mean = Y.mean(axis=0) if self.fit_intercept else np.zeros(Y.shape[1])
        Xc, Yc = X - x_mean, Y - y_mean
        self.n_iter_ = 1                               # direct solvers: one step; "gd" counts its own
        if self.solver == "svd":
            W = self._svd(Xc, Yc)
        elif self.solver == "qr":
            W = self._qr(Xc, Yc)
        elif self.solver == "gd":
            W = self._gd(Xc, Yc)
        else:
            raise ValueError(f"solver must be 'svd', 'qr' or 'gd', got {self.solver!r}")
        # b = ȳ - x̄ᵀw: the intercept puts the fitted plane through the centre of the data
        b = y_mean - x_mean @ W
        self.coef_ = W[:, 0] if single else W.T
        self.intercept_ = float(b[0]) if single else b
        return self

    def _svd(self, X, Y):
        U, s, Vt = np.linalg.svd(X, full_matrices=False)
        # drop directions with (numerically) zero singular value: the minimum-norm least-squares answer
        keep = s > s.max(initial=0.0) * max(X.shape) * np.finfo(float).eps if s.size else s > 0
        d = np.zeros_like(s)
        d[keep] = s[keep] / (s[keep] ** 2 + self.alpha)   # w = V diag(s / (s² + α)) Uᵀ y
        return Vt.T @ (d[:, None] * (U.T @ Y))

    def _qr(self, X, Y):
        p = X.shape[1]
        # ridge as plain least squares on rows [X; √α I], targets [y; 0]
        A = np.vstack([X, np.sqrt(self.alpha) * np.eye(p)]) if self.alpha > 0 else X
        B = np.vstack([Y, np.zeros((p, Y.shape[1]))]) if self.alpha > 0 else Y
        Q, R = np.linalg.qr(A)                      # A = QR, R upper triangular (p, p)
        if np.any(np.abs(np.diag(R)) < 1e-12 * np.abs(R).max(initial=1.0)):
            raise np.linalg.LinAlgError("X is rank deficient: use solver='svd' or alpha > 0")
        return np.linalg.solve(R, Q.T @ B)          # R w = Qᵀ y

    def _gd(self, X, Y):
        n, p = X.shape
        # loss L(w) = ‖Xw - y‖² + α‖w‖², gradient ∇L = 2Xᵀ(Xw - y) + 2αw; its Lipschitz constant
        # 2(σ_max² + α) gives the largest safe step.
        lipschitz = 2 * (np.linalg.norm(X, 2) ** 2 + self.alpha) if n else 1.0
        lr = self.learning_rate or 1.0 / max(lipschitz, 1e-12)
        W = np.zeros((p, Y.shape[1]))
        for self.n_iter_ in range(1, self.max_iter + 1):
            grad = 2 * X.T @ (X @ W - Y) + 2 * self.alpha * W
            W_new = W - lr * grad
            if np.max(np.abs(W_new - W)) <= self.tol * max(1.0, np.max(np.abs(W_new))):
                return W_new
            W = W_new
        return W

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ np.asarray(self.coef_).T + self.intercept_


def ridge_cv(X, y, alphas, folds) -> tuple[float, np.ndarray]:
    """Choose the ridge penalty by k-fold cross-validation: the α with the lowest mean validation MSE.

    One SVD per fold serves every α (w_α = V diag(s / (s² + α)) Uᵀ y), so a long grid costs little.
    `folds` is a list of (train_index, validation_index) pairs. Returns (best α, mean MSE per α).
    """
    X, y, alphas = np.asarray(X, float), np.asarray(y, float), np.asarray(alphas, float)
    mse = np.zeros(len(alphas))
    for train, val in folds:
        x_mean, y_mean = X[train].mean(axis=0), y[train].mean()
        U, s, Vt = np.linalg.svd(X[train] - x_mean, full_matrices=False)
        Uty = U.T @ (y[train] - y_mean)                                  # (k,)
        D = s[None, :] / (s[None, :] ** 2 + alphas[:, None])            # (alphas, k)
        W = (D * Uty[None, :]) @ Vt                                      # (alphas, p): one w per α
        pred = (X[val] - x_mean) @ W.T + y_mean                          # (n_val, alphas)
        mse += np.mean((pred - y[val, None]) ** 2, axis=0) / len(folds)
    return float(alphas[np.argmin(mse)]), mse
