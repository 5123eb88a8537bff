"""Two regressors `ml52 solve` needs that ml52 has only as classifiers: a regression tree and a network.

Regression tree (CART, Breiman et al. 1984, chapter 8; ISLP §8.1.1): the same greedy growing as
`ml52.supervised.tree`, but a node predicts the mean of its targets and a cut is chosen to minimise the
children's squared error. With S and n the sum and count of a child's targets, its squared error is
Σy² - S²/n, so the best cut maximises S_L²/n_L + S_R²/n_R; prefix sums over the sorted values give that
for every cut of every feature at once. On data without ties it grows the tree scikit-learn's
`DecisionTreeRegressor` grows (tests/test_solve.py).

Network regressor: `ml52.neural.layers.MLP` with one output, trained on the mean squared error by
minibatch Adam with a cosine schedule, like `ml52.neural.mlp.MLPClassifier`; the target is standardised
for training and mapped back for predictions (Goodfellow et al., *Deep Learning*, §6.2.2.1).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ml52.neural.engine import Tensor, mse
from ml52.neural.layers import MLP
from ml52.neural.optim import Adam
from ml52.supervised.tree import FEATURE_THRESHOLD, LEAF, UNDEFINED


def best_cut(X: np.ndarray, y: np.ndarray, min_samples_leaf: int):
    """The (feature, threshold) whose two sides have the least total squared error, or None."""
    n, d = X.shape
    order = np.argsort(X, axis=0, kind="stable")              # (n, d)
    Xs = np.take_along_axis(X, order, axis=0)                 # (n, d) each column sorted
    r = y - y.mean()                                          # centred: smaller sums, less rounding
    S_left = np.cumsum(r[order], axis=0)[:-1]                 # (n-1, d) sum of targets left of each cut
    n_left = np.arange(1, n)[:, None].astype(float)           # (n-1, 1)
    # maximise S_L²/n_L + S_R²/n_R (S_R = -S_L, as the centred targets sum to 0)
    score = S_left**2 / n_left + S_left**2 / (n - n_left)
    allowed = (Xs[1:] > Xs[:-1] + FEATURE_THRESHOLD) & (n_left >= min_samples_leaf) & (n - n_left >= min_samples_leaf)
    if not allowed.any():
        return None
    score = np.where(allowed, score, -np.inf)
    pos = np.argmax(score, axis=0)                            # (d,) best cut of each feature
    f = int(np.argmax(score[pos, np.arange(d)]))
    if score[pos[f], f] <= 1e-12 * (r @ r):                   # no cut lowers the error
        return None
    k = int(pos[f])
    lo, hi = Xs[k, f], Xs[k + 1, f]
    threshold = lo / 2.0 + hi / 2.0                           # the midpoint, as scikit-learn
    return f, float(threshold if threshold != hi else lo)


class RegressionTree(RegressorMixin, BaseEstimator):
    """CART regression tree (squared error), scikit-learn estimator API.

    max_depth: the most questions on a path (None: grow until leaves are pure or too small).
    min_samples_split / min_samples_leaf: the fewest rows a node needs to be split / a leaf must keep.

    Fitted: children_left_, children_right_, feature_, threshold_, value_ (nodes,) and
    feature_importances_ (each feature's share of the total squared-error reduction).
    """

    def __init__(self, max_depth: int | None = None, min_samples_split: int = 2, min_samples_leaf: int = 1):
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf

    def fit(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        if self.min_samples_split < 2 or self.min_samples_leaf < 1:
            raise ValueError("min_samples_split must be >= 2 and min_samples_leaf >= 1")
        max_depth = np.inf if self.max_depth is None else self.max_depth
        left, right, feat, thr, val = [], [], [], [], []
        gain = np.zeros(X.shape[1])
        stack = [(np.arange(len(y)), 0, -1, False)]           # (rows, depth, parent, is_left)
        while stack:
            rows, depth, parent, is_left = stack.pop()
            node = len(feat)
            if parent >= 0:
                (left if is_left else right)[parent] = node
            split = None
            if depth < max_depth and len(rows) >= max(self.min_samples_split, 2 * self.min_samples_leaf):
                split = best_cut(X[rows], y[rows], self.min_samples_leaf)
            left.append(LEAF)
            right.append(LEAF)
            feat.append(UNDEFINED if split is None else split[0])
            thr.append(UNDEFINED if split is None else split[1])
            val.append(float(y[rows].mean()))
            if split is not None:
                f, t = split
                go = X[rows, f] <= t
                sse = lambda v: float(((v - v.mean()) ** 2).sum())   # noqa: E731 (squared error of a node)
                gain[f] += sse(y[rows]) - sse(y[rows[go]]) - sse(y[rows[~go]])
                stack.append((rows[~go], depth + 1, node, False))    # right first: left is numbered next
                stack.append((rows[go], depth + 1, node, True))
        self.children_left_, self.children_right_ = np.array(left), np.array(right)
        self.feature_, self.threshold_, self.value_ = np.array(feat), np.array(thr), np.array(val)
        self.feature_importances_ = gain / gain.sum() if gain.sum() > 0 else gain
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        node = np.zeros(len(X), dtype=np.intp)
        active = np.flatnonzero(self.children_left_[node] != LEAF)
        while active.size:                                    # all rows walk down together, a level a step
            at = node[active]
            go_left = X[active, self.feature_[at]] <= self.threshold_[at]
            node[active] = np.where(go_left, self.children_left_[at], self.children_right_[at])
            active = active[self.children_left_[node[active]] != LEAF]
        return self.value_[node]


class MLPRegressor(RegressorMixin, BaseEstimator):
    """A feedforward network for one numeric target on ml52's engine, trained with Adam on the MSE.

    hidden_layer_sizes: units per hidden layer (ReLU).   learning_rate: Adam's peak step size.
    epochs, batch_size: passes over the data and rows per step.   weight_decay: decoupled L2 per step.
    random_state: seed for the weights and the batch order.
    """

    def __init__(self, hidden_layer_sizes=(64,), learning_rate: float = 3e-3, epochs: int = 20,
                 batch_size: int = 128, weight_decay: float = 1e-4, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.random_state = random_state

    def fit(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0:
            raise ValueError("epochs and batch_size must be >= 1 and learning_rate > 0")
        rng = np.random.default_rng(self.random_state)
        # train on z = (y - mean) / std, so one learning rate suits targets of any size
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std()) or 1.0
        z = ((y - self.y_mean_) / self.y_std_).astype(np.float32)[:, None]    # (n, 1)
        Xf = X.astype(np.float32)
        net = MLP((X.shape[1], *tuple(self.hidden_layer_sizes), 1), rng, dtype=np.float32)
        opt = Adam(net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay, decoupled=True)
        total, step = self.epochs * int(np.ceil(len(X) / self.batch_size)), 0
        self.loss_curve_ = []
        net.train()
        for _ in range(self.epochs):
            order, losses = rng.permutation(len(X)), []
            for i in range(0, len(X), self.batch_size):
                idx = order[i:i + self.batch_size]
                # cosine schedule: η_t = η/2 (1 + cos(π t / T))
                opt.lr = self.learning_rate * 0.5 * (1 + np.cos(np.pi * step / total))
                loss = mse(net(Tensor(Xf[idx], requires_grad=False)), z[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
                step += 1
            self.loss_curve_.append(float(np.mean(losses)))
        net.eval()
        self.net_ = net
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        # ŷ = mean + std · network(x)
        return self.y_mean_ + self.y_std_ * self.net_.predict_logits(X)[:, 0]
