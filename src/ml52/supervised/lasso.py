"""The lasso: least squares with an L1 penalty, solved by cyclic coordinate descent.

The lasso (Tibshirani 1996; ISLP section 6.2.2; Hastie, Tibshirani & Friedman, *The Elements of
Statistical Learning*, section 3.4.2) minimises

    (1 / 2n) ‖y - Xw - b‖² + α ‖w‖₁,

the same objective and α scale as sklearn.linear_model.Lasso. The L1 penalty sets some coefficients
exactly to zero, so the lasso also selects variables. Coordinate descent (Friedman, Hastie & Tibshirani
2010, "Regularization paths for generalized linear models via coordinate descent") updates one w_j at a
time to its exact minimiser with the others fixed: a soft-thresholded least-squares step,

    w_j = S(ρ_j, nα) / ‖x_j‖²,   ρ_j = x_jᵀ (y - Xw + x_j w_j),   S(z, t) = sign(z) max(|z| - t, 0).

Everything is computed from the Gram matrix G = XᵀX and c = Xᵀy (p x p and p: cheap when n >> p), and a
path of penalties is solved with warm starts (`lasso_path`). It stops on the
duality gap, as scikit-learn does, or earlier, once the signs it has found give the exact solution of the
optimality (KKT) conditions. The intercept is never penalised: X and y are centred first.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data


def coordinate_descent(G: np.ndarray, c: np.ndarray, yy: float, n: int, alpha: float, w0=None,
                       tol: float = 1e-4, max_iter: int = 10_000) -> tuple[np.ndarray, int]:
    """Lasso coefficients w (p,) from G = XᵀX (p, p), c = Xᵀy (p,), yy = yᵀy, starting from w0.

    Done when the duality gap is below tol * yᵀy (scikit-learn's rule), or as soon as the signs found so
    far give the exact solution (`_exact_on_support`). Returns (w, sweeps).
    """
    w = np.zeros(len(c)) if w0 is None else np.array(w0, dtype=float)
    lam = n * alpha                                           # the penalty on the (1/2)‖r‖² scale
    diag = np.diag(G)
    for sweep in range(1, max_iter + 1):
        for j in np.flatnonzero(diag):                        # a constant column keeps coefficient 0
            # ρ_j = c_j - G_j·w + G_jj w_j   (= x_jᵀ times the residual without feature j)
            rho = c[j] - G[j] @ w + diag[j] * w[j]
            # w_j = S(ρ_j, nα) / G_jj
            w[j] = np.sign(rho) * max(abs(rho) - lam, 0.0) / diag[j]
        if duality_gap(G, c, yy, lam, w) <= tol * yy:
            break
        exact = _exact_on_support(G, c, lam, w)
        if exact is not None:
            return exact, sweep
    return w, sweep


def _exact_on_support(G, c, lam, w):
    """The exact lasso solution if w has the right zero pattern and signs, else None.

    The optimum satisfies G_SS w_S = c_S - λ sign(w_S) on its support S and |c_j - G_j·w| <= λ off it
    (the KKT conditions). Solving that small linear system and checking both conditions turns an
    approximate answer into the exact one once coordinate descent has found the support.
    """
    S = w != 0
    if not S.any():
        return None
    sign = np.sign(w[S])
    try:
        w_S = np.linalg.solve(G[np.ix_(S, S)], c[S] - lam * sign)
    except np.linalg.LinAlgError:
        return None
    exact = np.zeros_like(w)
    exact[S] = w_S
    if np.any(np.sign(w_S) != sign) or np.any(np.abs(c[~S] - G[~S] @ exact) > lam * (1 + 1e-12)):
        return None
    return exact


def duality_gap(G, c, yy, lam, w) -> float:
    """The primal-dual gap, zero exactly at the optimum (Friedman et al. 2010, §2.4; sklearn's cd_fast)."""
    XtR = c - G @ w                                           # Xᵀ(y - Xw)
    RR = yy - 2 * w @ c + w @ G @ w                           # ‖y - Xw‖²
    # scale the residual into the dual feasible set: |Xᵀ(R s)| <= nα
    dual_norm = np.abs(XtR).max()
    s = lam / dual_norm if dual_norm > lam else 1.0
    # gap = primal - dual = ½‖R‖² + nα‖w‖₁ - (s Rᵀy - ½ s² ‖R‖²),  Rᵀy = yᵀy - wᵀc
    return float(0.5 * RR * (1 + s**2) + lam * np.abs(w).sum() - s * (yy - w @ c))


def _centre(X, y):
    x_mean, y_mean = X.mean(axis=0), y.mean()
    return X - x_mean, y - y_mean, x_mean, y_mean


def lasso_path(X, y, alphas, tol: float = 1e-4, max_iter: int = 10_000):
    """Coefficients (A, p) and intercepts (A,) of the lasso for every α in `alphas`.

    Solved from the largest α down, each solve starting from the last one's answer (a warm start:
    neighbouring penalties have nearly the same solution, so a few sweeps suffice).
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    Xc, yc, x_mean, y_mean = _centre(X, y)
    G, c, yy = Xc.T @ Xc, Xc.T @ yc, float(yc @ yc)
    alphas = np.asarray(alphas, dtype=float)
    W, w = np.zeros((len(alphas), X.shape[1])), None
    for k in np.argsort(-alphas):
        w, _ = coordinate_descent(G, c, yy, len(y), alphas[k], w, tol, max_iter)
        W[k] = w
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
        self.coef_, self.n_iter_ = coordinate_descent(Xc.T @ Xc, Xc.T @ yc, float(yc @ yc), len(y),
                                                      float(self.alpha), None, self.tol, self.max_iter)
        # b = ȳ - x̄ᵀw
        self.intercept_ = float(y_mean - x_mean @ self.coef_)
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_ + self.intercept_
