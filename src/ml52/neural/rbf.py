"""A radial-basis-function (RBF) network: a layer of Gaussian bumps, then a linear readout.

Broomhead & Lowe (1988), "Multivariable functional interpolation and adaptive networks"; Moody & Darken
(1989), "Fast learning in networks of locally-tuned processing units"; Bishop, *Neural Networks for
Pattern Recognition* (1995), chapter 5. Each hidden unit j has a centre c_j and a width σ_j, and fires

    φ_j(x) = exp(-‖x - c_j‖² / (2 σ_j²))

1 when x sits on its centre, fading to 0 as x moves away. The outputs are a linear map of these bumps,
f(x) = Wᵀ [φ(x); 1]. Moody & Darken's recipe trains the two layers separately, and so does this file:

1. centres: k-means (ml52's own) groups the training points; each centre is its group's mean. With
   placement="per_class" k-means runs inside each class, so every class gets bumps of its own (the
   number of centres split in proportion to class size): a supervised placement.
2. widths: σ_j² = width_scale × the mean squared distance of group j's members to its centre (the
   group's spread), so a bump is as wide as the cloud of points it stands for.
3. readout, linear in the bumps, either
   - readout="ridge": least squares, W = (ΦᵀΦ + αnI)⁻¹ ΦᵀT with T the one-hot class targets (the bias
     is not penalised). Probabilities are softmax(β f(x)), with the one number β fitted to the training
     data by maximum likelihood (temperature scaling, Guo et al. 2017); or
   - readout="softmax": trained further, minimising the mean cross-entropy -log softmax(f(x))[y] +
     (α/2)‖W‖² (multinomial logistic regression on φ(x)) with L-BFGS, started from β W. Least squares
     asks every output to hit 0 or 1 exactly; cross-entropy only asks the right class to win.

Inputs may be scipy sparse (for instance hashed character n-grams). k-means needs dense rows, so when
there are more than `kmeans_dims` features it runs on the data's coordinates along its top `kmeans_dims`
singular vectors (a truncated SVD, as latent semantic analysis does for text) or, with
kmeans_space="random", on a random projection (Johnson-Lindenstrauss); the centres are still the
groups' means in the full input space.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ml52.unsupervised.kmeans import KMeans


def squared_distances(X, C: np.ndarray, block: int | None = None) -> np.ndarray:
    """‖x_i - c_j‖² for rows of X (n, d), dense or sparse, and centres C (k, d): (n, k).

    When X is sparse and C float32 (as the network stores centres for sparse input) the work runs in
    float32, `block` centres at a time (by default as many as fill 8 MB: 64 for 32k columns): each block
    of Cᵀ stays in the cache while the sparse rows stream past. Half the bytes and the cache make it 2-3x
    faster; on unit-length rows the error is ~1e-7.
    """
    if block is None:
        block = max(16, (8 << 20) // (4 * C.shape[1]))
    if sp.issparse(X):
        xx = np.asarray(X.multiply(X).sum(axis=1)).ravel()
    else:
        xx = (X * X).sum(axis=1)
    # ‖x - c‖² = ‖x‖² - 2 x·c + ‖c‖²: one (sparse) matrix product does the work, the rest is in place
    if sp.issparse(X) and C.dtype == np.float32:
        X32 = X.astype(np.float32)
        D = np.empty((X.shape[0], C.shape[0]), dtype=np.float32)         # (n, k)
        for start in range(0, C.shape[0], block):
            D[:, start:start + block] = X32 @ C[start:start + block].T
    else:
        D = np.asarray(X @ C.T, dtype=np.float64)                        # (n, k)
    D *= -2.0
    D += xx[:, None].astype(D.dtype)
    D += (C.astype(np.float64) ** 2).sum(axis=1)[None, :].astype(D.dtype)
    return np.maximum(D, 0.0, out=D)       # rounding can make a tiny distance slightly negative


def gaussians(D: np.ndarray, sigma2: np.ndarray) -> np.ndarray:
    """φ = exp(-D / 2σ²) column by column, overwriting the distances D (n, k) to save memory."""
    D *= -0.5 / sigma2
    return np.exp(D, out=D)


def group_means(X, groups: np.ndarray, k: int) -> np.ndarray:
    """The mean of the rows of X (n, d) in each of the k groups (groups: (n,) in 0..k-1): (k, d).

    For sparse X the means come back in float32 (see squared_distances): a (k, d) float64 array of
    thousands of centres over 16k hashed columns would be 275 MB.
    """
    n = X.shape[0]
    counts = np.bincount(groups, minlength=k)                            # (k,)
    # a (k, n) averaging matrix with 1/|group| where row i belongs to the group
    A = sp.csr_matrix((1.0 / counts[groups], (groups, np.arange(n))), shape=(k, n))
    return (A @ X).astype(np.float32).toarray() if sp.issparse(X) else A @ X


def softmax(Z: np.ndarray) -> np.ndarray:
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def fit_temperature(S: np.ndarray, y: np.ndarray, steps: int = 30) -> float:
    """β > 0 maximising Σ_i log softmax(β S_i)[y_i]: Newton's method on log β (the loss is convex in β)."""
    beta = 1.0
    for _ in range(steps):
        P = softmax(beta * S)
        mean_s = (P * S).sum(axis=1)                                     # E_p[s], (n,)
        # d/dβ of the mean negative log-likelihood, and its second derivative (the variance of s under p)
        grad = -(S[np.arange(len(y)), y] - mean_s).mean()
        hess = ((P * S * S).sum(axis=1) - mean_s**2).mean()
        if hess <= 1e-12:
            break
        step = np.clip(grad / (hess * beta), -1.0, 1.0)                  # Newton step on log β, at most e×
        beta *= np.exp(-step)
        if abs(step) < 1e-8:
            break
    return float(beta)


def train_softmax_readout(Phi: np.ndarray, y: np.ndarray, n_classes: int, alpha: float, max_iter: int,
                          W0: np.ndarray, b0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(W (k, classes), b (classes,)) minimising mean_i -log softmax(Φ_i W + b)[y_i] + (α/2)‖W‖², from W0, b0.

    Φ is used in float32 here: the loop reads it twice per step, and half the bytes is half the time;
    the loss and gradient keep float32's 7 digits, plenty for L-BFGS's 1e-5 stopping rule.
    """
    n, k = Phi.shape
    Phi32 = Phi.astype(np.float32)
    T = np.eye(n_classes, dtype=np.float32)[y]                           # (n, classes) one-hot

    def loss_and_gradient(w: np.ndarray):
        W, b = w[:-n_classes].reshape(k, n_classes), w[-n_classes:]
        Z = Phi32 @ W.astype(np.float32) + b.astype(np.float32)          # (n, classes) outputs
        Z -= Z.max(axis=1, keepdims=True)
        log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))         # log softmax
        loss = -(T * log_p).sum(dtype=np.float64) / n + 0.5 * alpha * (W**2).sum()
        # ∂loss/∂W = Φᵀ (softmax - T) / n + α W,   ∂loss/∂b = Σ_i (softmax - T) / n
        E = (np.exp(log_p) - T) / n                                      # (n, classes)
        gW = (Phi32.T @ E).astype(np.float64) + alpha * W                # (k, classes)
        gb = E.sum(axis=0, dtype=np.float64)
        return loss, np.concatenate([gW.ravel(), gb])

    result = minimize(loss_and_gradient, np.concatenate([W0.ravel(), b0]), jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter})
    return result.x[:-n_classes].reshape(k, n_classes), result.x[-n_classes:]


def top_singular_coordinates(X, m: int, rng: np.random.Generator, oversample: int = 10) -> np.ndarray:
    """X (n, d) in the coordinates of its top m right singular vectors: X V_m, (n, m).

    Randomised SVD (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1) with one power iteration:
    Q (n, m+p) spans the range of (X Xᵀ) X Ω for a random Ω. With B = QᵀX = U S Vᵀ, the coordinates are
    X V = X Bᵀ U S⁻¹ = (X Xᵀ Q) U S⁻¹, and U, S² come from the small (m+p, m+p) matrix B Bᵀ = Qᵀ X Xᵀ Q:
    no (m+p, d) matrix is ever decomposed. For text this is latent semantic analysis; it keeps the
    distances that matter for k-means far better than a random projection of the same size.
    """
    Omega = rng.standard_normal((X.shape[1], m + oversample))           # (d, m + p)
    Q, _ = np.linalg.qr(np.asarray(X @ Omega))                           # (n, m + p)
    Q, _ = np.linalg.qr(np.asarray(X @ np.asarray(X.T @ Q)))             # one power iteration
    P = np.asarray(X @ np.asarray(X.T @ Q))                              # X Xᵀ Q, (n, m + p)
    S2, U = np.linalg.eigh(Q.T @ P)                                      # B Bᵀ = U S² Uᵀ, ascending
    top = np.argsort(S2)[::-1][:m]
    # X V_m = X Xᵀ Q U_m / s_m
    return P @ U[:, top] / np.sqrt(np.maximum(S2[top], 1e-300))          # (n, m)


class RBFNetwork(ClassifierMixin, BaseEstimator):
    """Gaussian RBF network classifier: k-means centres, spread-based widths, a linear readout.

    n_centers: number of Gaussian units k (capped at the number of training points).
    placement: "per_class" (k-means inside each class) or "kmeans" (one k-means over all points).
    width_scale: σ_j² = width_scale × mean squared distance of centre j's group to it.
    readout: "ridge" (least squares, closed form) or "softmax" (cross-entropy, trained with L-BFGS).
    alpha: penalty (α/2)‖W‖² on the readout weights, beside the mean loss per training point.
    readout_iter: most L-BFGS iterations of the softmax readout.
    kmeans_iter: most Lloyd iterations of each k-means.
    kmeans_dims: when there are more features than this, k-means runs in this many dimensions: ...
    kmeans_space: ... the top singular directions ("svd") or a random projection ("random").
    random_state: seed for k-means and the projection.

    Fitted: classes_, centers_ (k, d), sigma2_ (k,), coef_ (k, n_classes), intercept_ (n_classes,),
    beta_ (the softmax temperature), n_features_in_.
    """

    def __init__(self, n_centers: int = 100, *, placement: str = "per_class", width_scale: float = 1.0,
                 readout: str = "ridge", alpha: float = 1e-4, readout_iter: int = 200, kmeans_iter: int = 10,
                 kmeans_dims: int = 128, kmeans_space: str = "svd", random_state=None):
        self.n_centers = n_centers
        self.placement = placement
        self.width_scale = width_scale
        self.readout = readout
        self.alpha = alpha
        self.readout_iter = readout_iter
        self.kmeans_iter = kmeans_iter
        self.kmeans_dims = kmeans_dims
        self.kmeans_space = kmeans_space
        self.random_state = random_state

    # --- layer 1: where the bumps sit, and how wide they are --------------------------------------------

    def _groups(self, X, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """k-means group of every training point, numbered 0..k-1 across all classes: (n,)."""
        n, d = X.shape
        Z = X
        if d > self.kmeans_dims and self.kmeans_space == "svd":
            Z = top_singular_coordinates(X, self.kmeans_dims, rng)       # (n, m)
        elif d > self.kmeans_dims:
            # a fixed random projection R (d, m) with N(0, 1/m) entries keeps ‖x - x'‖ roughly intact
            R = rng.standard_normal((d, self.kmeans_dims)) / np.sqrt(self.kmeans_dims)
            Z = np.asarray(X @ R)                                        # (n, m)
        elif sp.issparse(X):
            Z = X.toarray()
        k = min(int(self.n_centers), n)
        if self.placement == "kmeans":
            parts = [np.arange(n)]
            sizes = [k]
        else:
            parts = [np.flatnonzero(y == c) for c in range(len(self.classes_))]
            # centres in proportion to class size, at least one per class and at most one per point
            sizes = [min(len(p), max(1, round(k * len(p) / n))) for p in parts]
        groups = np.empty(n, dtype=np.int64)
        offset = 0
        for part, size in zip(parts, sizes):
            seed = int(rng.integers(2**31))
            # random starting centres: k-means++ seeding costs k passes over the data, too slow for k ~ 1000
            km = KMeans(n_clusters=size, init="random", n_init=1, max_iter=self.kmeans_iter,
                        random_state=seed).fit(Z[part])
            groups[part] = offset + km.labels_
            offset += size
        # a group k-means left empty would have no mean: renumber the groups in use
        _, groups = np.unique(groups, return_inverse=True)
        return groups

    # --- fitting ------------------------------------------------------------------------------------

    def fit(self, X, y):
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64)
        check_classification_targets(y)
        if self.placement not in ("per_class", "kmeans"):
            raise ValueError(f"placement must be 'per_class' or 'kmeans', got {self.placement!r}")
        if self.readout not in ("ridge", "softmax"):
            raise ValueError(f"readout must be 'ridge' or 'softmax', got {self.readout!r}")
        if not (isinstance(self.n_centers, (int, np.integer)) and self.n_centers >= 1):
            raise ValueError(f"n_centers must be a positive integer, got {self.n_centers!r}")
        if not self.width_scale > 0 or not self.alpha >= 0:
            raise ValueError("width_scale must be > 0 and alpha >= 0")
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        rng = np.random.default_rng(self.random_state)
        n = X.shape[0]

        groups = self._groups(X, y_idx, rng)                             # (n,)
        k = int(groups.max()) + 1
        self.centers_ = group_means(X, groups, k)                        # (k, d), float32 for sparse X
        D = squared_distances(X, self.centers_)                          # (n, k)
        # σ_j² = width_scale × mean_{i in group j} ‖x_i - c_j‖²; a group with no spread borrows the median
        spread = np.bincount(groups, weights=D[np.arange(n), groups], minlength=k) / np.bincount(groups, minlength=k)
        positive = spread[spread > 0]
        fallback = float(np.median(positive)) if positive.size else 1.0
        self.sigma2_ = self.width_scale * np.where(spread > 0, spread, fallback)

        Phi = gaussians(D, self.sigma2_)                                 # (n, k), D is overwritten
        # readout W = (ΦᵀΦ + αn·I)⁻¹ ΦᵀT with an unpenalised bias b: the normal equations of [Φ 1].
        # (ΦᵀΦ is the costliest step; for sparse input Φ is float32 and so is this product: the same
        # held-out accuracy to ±0.001 on the language-id words, in half the time. The solve is float64.)
        T = np.eye(len(self.classes_), dtype=Phi.dtype)[y_idx]           # (n, classes) one-hot
        A = np.empty((k + 1, k + 1))
        A[:k, :k] = Phi.T @ Phi                                          # (k, k)
        A[:k, k] = A[k, :k] = Phi.sum(axis=0, dtype=np.float64)
        A[k, k] = n
        A[np.arange(k), np.arange(k)] += self.alpha * n
        rhs = np.vstack([Phi.T @ T, T.sum(axis=0)])                      # (k+1, classes)
        Wb = _solve(A, rhs.astype(np.float64))
        W, b = Wb[:k], Wb[k]
        self.beta_ = fit_temperature(Phi @ W.astype(Phi.dtype) + b, y_idx)
        if self.readout == "softmax":
            # cross-entropy training, started from the calibrated least-squares answer β W, β b
            W, b = train_softmax_readout(Phi, y_idx, len(self.classes_), self.alpha, self.readout_iter,
                                         self.beta_ * W, self.beta_ * b)
            self.beta_ = 1.0                                             # the outputs are already log-odds
        self.coef_, self.intercept_ = W, b
        return self

    # --- using it -----------------------------------------------------------------------------------

    def hidden(self, X) -> np.ndarray:
        """The hidden layer: φ_j(x) = exp(-‖x - c_j‖² / 2σ_j²), (n, k)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        return gaussians(squared_distances(X, self.centers_), self.sigma2_)

    def decision_function(self, X) -> np.ndarray:
        """The network's outputs f(x) = Wᵀφ(x) + b, one per class: (n, classes) ((n,) for two classes)."""
        S = self._scores(X)
        return S[:, 1] - S[:, 0] if len(self.classes_) == 2 else S

    def _scores(self, X) -> np.ndarray:
        check_is_fitted(self)
        Phi = self.hidden(X)
        return Phi @ self.coef_.astype(Phi.dtype) + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        """softmax(β f(x)): (n, classes)."""
        S = self._scores(X)
        return softmax(self.beta_ * S)

    def predict_log_proba(self, X) -> np.ndarray:
        S = self._scores(X)
        Z = self.beta_ * S
        Z = Z - Z.max(axis=1, keepdims=True)
        return Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))

    def predict(self, X) -> np.ndarray:
        S = self._scores(X)
        return self.classes_[S.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _solve(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A⁻¹B for the symmetric readout system: Cholesky (A is positive definite when alpha > 0), else
    least squares (alpha = 0 with repeated or far-apart centres makes A singular or nearly so)."""
    import warnings

    from scipy.linalg import LinAlgError, LinAlgWarning, solve

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", LinAlgWarning)
            return solve(A, B, assume_a="pos")
    except (LinAlgError, LinAlgWarning, np.linalg.LinAlgError):
        return np.linalg.lstsq(A, B, rcond=None)[0]
