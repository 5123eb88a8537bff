"""The lasso: least squares with an L1 penalty, solved by cyclic coordinate descent.

The lasso (Tibshirani 1996; ISLP section 6.2.2; Hastie, Tibshirani & Friedman, *The Elements of
Statistical Learning*, section 3.4.2) minimises

    (1 / 2n) ‖y - Xw - b‖² + α ‖w‖₁,

the same objective and α scale as sklearn.linear_model.Lasso. The L1 penalty sets some coefficients
exactly to zero, so the lasso also selects variables. Coordinate descent (Friedman, Hastie & Tibshirani
2010, "Regularization paths for generalized linear models via coordinate descent") updates one w_j at a
time to its exact minimiser with the others fixed: a soft-thresholded least-squares step,

    w_j = S(ρ_j, nα) / ‖x_j‖²,   ρ_j = x_jᵀ (y - Xw + x_j w_j),   S(z, t) = sign(z) max(|z| - t, 0).

Everything is computed from the Gram matrix G = XᵀX and c = Xᵀy (both p x p / p, cheap when n >> p), and
many α at once, one coordinate for all of them per NumPy operation (`lasso_path`). It stops on the
duality gap, as scikit-learn does. The intercept is never penalised: X and y are centred first.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data


def coordinate_descent(G: np.ndarray, c: np.ndarray, yy: float, n: int, alphas: np.ndarray,
                       tol: float = 1e-4, max_iter: int = 10_000) -> tuple[np.ndarray, int]:
    """Lasso coefficients W (A, p) for each α in `alphas` (A,), from G = XᵀX (p, p), c = Xᵀy (p,), yy = yᵀy.

    Stops when every problem's duality gap is below tol * yᵀy (scikit-learn's rule); returns (W, sweeps).
    """
    A, p = len(alphas), len(c)
    W = np.zeros((A, p))
    lam = n * np.asarray(alphas, dtype=float)                 # (A,): the penalty on the (1/2)‖r‖² scale
    diag = np.diag(G)
    for sweep in range(1, max_iter + 1):
        for j in range(p):
            if diag[j] == 0:                                  # a constant column: its coefficient stays 0
                continue
            # ρ_j = c_j - G_j·w + G_jj w_j   (= x_jᵀ times the residual without feature j)
            rho = c[j] - W @ G[j] + diag[j] * W[:, j]          # (A,)
            # w_j = S(ρ_j, nα) / G_jj
            W[:, j] = np.sign(rho) * np.maximum(np.abs(rho) - lam, 0) / diag[j]
        if np.all(duality_gap(G, c, yy, lam, W) <= tol * yy):
            break
    return W, sweep


def duality_gap(G, c, yy, lam, W) -> np.ndarray:
    """The primal-dual gap of each problem (A,); zero exactly at the optimum (Friedman et al. 2010, §2.4)."""
    XtR = c - W @ G                                           # (A, p): Xᵀ(y - Xw)
    RR = yy - 2 * W @ c + np.einsum("ap,pq,aq->a", W, G, W)   # (A,): ‖y - Xw‖²
    # scale the residual into the dual feasible set: |Xᵀ(R s)| <= nα
    dual_norm = np.abs(XtR).max(axis=1)
    s = np.where(dual_norm > lam, lam / np.maximum(dual_norm, 1e-300), 1.0)
    # gap = primal - dual = ½‖R‖² + nα‖w‖₁ - (s Rᵀy - ½ s² ‖R‖²)
    Ry = yy - W @ c                                           # Rᵀy
    return 0.5 * RR * (1 + s**2) + lam * np.abs(W).sum(axis=1) - s * Ry


def _centre(X, y):
    x_mean, y_mean = X.mean(axis=0), y.mean()
    return X - x_mean, y - y_mean, x_mean, y_mean


def lasso_path(X, y, alphas, tol: float = 1e-4, max_iter: int = 10_000):
    """Coefficients (A, p) and intercepts (A,) of the lasso for every α in `alphas`."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    Xc, yc, x_mean, y_mean = _centre(X, y)
    W, _ = coordinate_descent(Xc.T @ Xc, Xc.T @ yc, float(yc @ yc), len(y), np.asarray(alphas, float), tol, max_iter)
    return W, y_mean - W @ x_mean


def alpha_max(X, y) -> float:
    """The smallest α at which every lasso coefficient is 0: max_j |x_jᵀ(y - ȳ)| / n (centred x_j)."""
    Xc, yc, _, _ = _centre(np.asarray(X, float), np.asarray(y, float))
    return float(np.abs(Xc.T @ yc).max() / len(yc))


class Lasso(RegressorMixin, BaseEstimator):
    """The lasso, scikit-learn estimator API: (1/2n)‖y - Xw - b‖² + α‖w‖₁ by coordinate descent.

    alpha: L1 penalty α >= 0 (sklearn's scale).  tol: duality-gap tolerance relative to ‖y - ȳ‖².
    max_iter: most sweeps over the coefficients.
    """

    def __init__(self, alpha: float = 1.0, tol: float = 1e-4, max_iter: int = 10_000):
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        if self.alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {self.alpha}")
        Xc, yc, x_mean, y_mean = _centre(X, y)
        W, self.n_iter_ = coordinate_descent(Xc.T @ Xc, Xc.T @ yc, float(yc @ yc), len(y),
                                             np.array([self.alpha], float), self.tol, self.max_iter)
        self.coef_ = W[0]
        # b = ȳ - x̄ᵀw
        self.intercept_ = float(y_mean - x_mean @ self.coef_)
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_ + self.intercept_
