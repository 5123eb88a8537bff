"""k-means: split data into k groups, each summed up by its centre (the mean of its members).

k-means looks for centres μ_1..μ_k that make the inertia Σ_i min_j ‖x_i - μ_j‖² small (ESL §14.3.6,
ISLP §12.4.1). Lloyd's algorithm (Lloyd 1957/1982) alternates two steps that can each only lower it:

- assign: each point joins the group of its nearest centre;
- update: each centre moves to the mean of its group.

It stops when no label changes or the centres barely move, at a local minimum that depends on the start.
k-means++ (Arthur & Vassilvitskii 2007) starts well: the first centre is a random point and each next
one is drawn with probability proportional to D(x)², the squared distance to the nearest centre so far
(the "greedy" variant scikit-learn uses draws 2 + ln k candidates each time and keeps the best one).
`n_init` restarts from different seeds and keeps the run with the lowest inertia.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data


def squared_distances(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """All squared Euclidean distances between rows of X (n, d) and rows of C (k, d): (n, k)."""
    # ‖x - c‖² = ‖x‖² - 2 x·c + ‖c‖²: one matrix product instead of an (n, k, d) array
    D = (X * X).sum(axis=1)[:, None] - 2.0 * X @ C.T + (C * C).sum(axis=1)[None, :]
    return np.maximum(D, 0.0)          # rounding can make a tiny distance slightly negative


def kmeans_plusplus(X: np.ndarray, k: int, rng: np.random.Generator,
                    n_local_trials: int | None = None) -> np.ndarray:
    """Greedy k-means++ seeding: k rows of X chosen far apart, returned as centres (k, d)."""
    n = X.shape[0]
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(k))
    centres = np.empty((k, X.shape[1]))
    centres[0] = X[rng.integers(n)]
    closest = squared_distances(X, centres[:1])[:, 0]        # D(x)² to the nearest centre so far, (n,)
    for j in range(1, k):
        total = closest.sum()
        if total > 0:
            # draw candidates with P(x) = D(x)² / Σ D²
            cdf = np.cumsum(closest)
            candidates = np.searchsorted(cdf, rng.random(n_local_trials) * total, side="right")
            candidates = np.minimum(candidates, n - 1)
        else:                                                 # every point is already a centre
            candidates = rng.integers(n, size=n_local_trials)
        # keep the candidate that lowers the total D² the most
        D = np.minimum(closest[None, :], squared_distances(X[candidates], X))   # (trials, n)
        best = int(np.argmin(D.sum(axis=1)))
        centres[j] = X[candidates[best]]
        closest = D[best]
    return centres


def lloyd(X: np.ndarray, centres: np.ndarray, max_iter: int, tol: float):
    """Lloyd's iterations from `centres` (k, d); returns (centres, labels, inertia, n_iter)."""
    k = centres.shape[0]
    labels = None
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        # assign: label_i = argmin_j ‖x_i - μ_j‖²
        D = squared_distances(X, centres)                     # (n, k)
        new_labels = D.argmin(axis=1)
        if labels is not None and np.array_equal(new_labels, labels):
            break                                             # strict convergence: nothing moved
        labels = new_labels
        # update: μ_j = mean of the points labelled j
        member = np.zeros((k, len(X)))                        # (k, n): 1 where point i is in group j
        member[labels, np.arange(len(X))] = 1.0
        counts = member.sum(axis=1)                           # (k,)
        new_centres = (member @ X) / np.maximum(counts, 1)[:, None]   # (k, d) group means
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            # an empty group takes over the points worst served by their centre (as scikit-learn does)
            far = np.argsort(-D[np.arange(len(X)), labels], kind="stable")[: empty.size]
            new_centres[empty] = X[far]
        shift = ((new_centres - centres) ** 2).sum()
        centres = new_centres
        if shift <= tol:
            break
    # one last assignment so that labels and inertia belong to the final centres
    D = squared_distances(X, centres)
    labels = D.argmin(axis=1)
    inertia = float(D[np.arange(len(X)), labels].sum())
    return centres, labels, inertia, n_iter


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """k-means clustering with Lloyd's algorithm and k-means++ seeding, scikit-learn estimator API.

    n_clusters: k, the number of groups.
    init: "k-means++", "random" (k distinct random rows), or an array (k, d) of starting centres.
    n_init: restarts; the run with the lowest inertia wins. "auto": 1 for k-means++ or an array, 10 for
        "random" (scikit-learn's rule).
    max_iter: most Lloyd iterations per run.
    tol: stop when the centres' total squared shift is below tol x the mean variance of the features.
    random_state: seed (int), None, or a numpy Generator.

    Fitted: cluster_centers_ (k, d), labels_ (n,), inertia_, n_iter_.
    """

    def __init__(self, n_clusters: int = 8, *, init="k-means++", n_init="auto", max_iter: int = 300,
                 tol: float = 1e-4, random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64)
        n, k = X.shape[0], self.n_clusters
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"n_clusters must be a positive integer, got {k!r}")
        if n < k:
            raise ValueError(f"n_samples={n} should be >= n_clusters={k}.")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}")
        given = not isinstance(self.init, str)
        if not given and self.init not in ("k-means++", "random"):
            raise ValueError(f"init must be 'k-means++', 'random' or an array of centres, got {self.init!r}")
        if self.n_init == "auto":
            n_init = 10 if not given and self.init == "random" else 1
        else:
            n_init = int(self.n_init)
            if n_init < 1:
                raise ValueError(f"n_init must be >= 1 or 'auto', got {self.n_init!r}")
        if given:
            start = np.asarray(self.init, dtype=np.float64)
            if start.shape != (k, X.shape[1]):
                raise ValueError(f"init has shape {start.shape}, expected ({k}, {X.shape[1]})")
            n_init = 1
        # tol is relative to the data's spread, so that it does not depend on the units
        tol = float(np.mean(X.var(axis=0))) * self.tol
        rng = np.random.default_rng(self.random_state)
        best = None
        for _ in range(n_init):
            if given:
                centres = start.copy()
            elif self.init == "k-means++":
                centres = kmeans_plusplus(X, k, rng)
            else:                                             # k distinct random rows
                centres = X[rng.choice(n, size=k, replace=False)].copy()
            run = lloyd(X, centres, self.max_iter, tol)
            if best is None or run[2] < best[2]:
                best = run
        self.cluster_centers_, self.labels_, self.inertia_, self.n_iter_ = best
        self._n_features_out = k
        return self

    def transform(self, X):
        """Distances from each row to each centre: (n, k)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return np.sqrt(squared_distances(X, self.cluster_centers_))

    def predict(self, X):
        """The nearest centre's index for each row: (n,)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return squared_distances(X, self.cluster_centers_).argmin(axis=1)

    def score(self, X, y=None):
        """Minus the inertia of X with respect to the fitted centres (higher is better, as in sklearn)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return -float(squared_distances(X, self.cluster_centers_).min(axis=1).sum())


def silhouette_score(X, labels) -> float:
    """Mean silhouette (Rousseeuw 1987): how much closer each point is to its own group than to the next.

    For point i with mean distance a_i to the other members of its group and mean distance b_i to the
    members of the nearest other group, s_i = (b_i - a_i) / max(a_i, b_i), in [-1, 1]; a point alone in
    its group scores 0. Near 0 on average: no real groups; a random assignment scores slightly below 0.
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    groups, y = np.unique(labels, return_inverse=True)
    if not 2 <= len(groups) <= len(X) - 1:
        raise ValueError(f"silhouette needs 2 to n_samples - 1 groups, got {len(groups)}")
    D = np.sqrt(squared_distances(X, X))                      # (n, n) pairwise distances
    onehot = np.eye(len(groups))[y]                           # (n, groups)
    sizes = onehot.sum(axis=0)                                # (groups,)
    totals = D @ onehot                                       # (n, groups): Σ distances to each group
    own = sizes[y] - 1                                        # other members of i's own group
    a = totals[np.arange(len(X)), y] / np.maximum(own, 1)
    mean_to = totals / sizes                                  # mean distance to every group
    mean_to[np.arange(len(X)), y] = np.inf
    b = mean_to.min(axis=1)
    # s_i = (b_i - a_i) / max(a_i, b_i), 0 for a point alone in its group
    s = np.where(own > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return float(s.mean())
