"""A decision tree: a flow chart of yes/no questions learned from data (CART).

Breiman, Friedman, Olshen & Stone, "Classification and Regression Trees" (1984), chapters 2-3; ISLP
section 8.1 (James, Witten, Hastie & Tibshirani, 2nd ed. 2023). Growing: at each node try every feature
and every cut between two neighbouring values, keep the one whose two children are purest (gini or
entropy), recurse until a node is pure or too small. Pruning: minimal cost-complexity pruning (Breiman
et al. section 3.3) cuts back the weakest branch, the one that buys the least impurity per extra leaf,
until that price exceeds `ccp_alpha`.

The split search, the tie rules and the node order (pre-order, left first) follow scikit-learn's
`DecisionTreeClassifier`, so on data without ties both grow the same tree; see tests/test_tree.py.
One difference: scikit-learn stores X as float32, ml52 keeps float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

LEAF = -1                 # children_left/right of a leaf (scikit-learn's TREE_LEAF)
UNDEFINED = -2            # feature and threshold of a leaf (scikit-learn's TREE_UNDEFINED)
FEATURE_THRESHOLD = 1e-7  # values closer than this count as equal (scikit-learn's FEATURE_THRESHOLD)
EPSILON = np.finfo(float).eps


@dataclass
class Tree:
    """The fitted tree as flat arrays, one entry per node, in pre-order (scikit-learn's `tree_` layout)."""

    children_left: np.ndarray            # (nodes,) index of the left child, LEAF for a leaf
    children_right: np.ndarray           # (nodes,)
    feature: np.ndarray                  # (nodes,) feature asked at the node, UNDEFINED for a leaf
    threshold: np.ndarray                # (nodes,) go left when x[feature] <= threshold (float)
    impurity: np.ndarray                 # (nodes,) gini or entropy of the node
    n_node_samples: np.ndarray           # (nodes,) training examples reaching the node
    weighted_n_node_samples: np.ndarray  # (nodes,) their total weight
    value: np.ndarray                    # (nodes, K) weighted class fractions

    @property
    def node_count(self) -> int:
        return len(self.feature)

    @property
    def n_leaves(self) -> int:
        return int(np.sum(self.children_left == LEAF))

    def node_depths(self) -> np.ndarray:
        """(nodes,) how many questions lead to each node; the root is at depth 0."""
        d = np.zeros(self.node_count, dtype=int)
        for i in range(self.node_count):          # pre-order: a parent comes before its children
            if self.children_left[i] != LEAF:
                d[self.children_left[i]] = d[self.children_right[i]] = d[i] + 1
        return d

    def depth(self) -> int:
        return int(self.node_depths().max())

    def apply(self, X: np.ndarray) -> np.ndarray:
        """The leaf each row of X lands in: all rows walk down together, one level per step."""
        node = np.zeros(len(X), dtype=np.intp)
        active = np.flatnonzero(self.children_left[node] != LEAF)
        while active.size:
            at = node[active]
            go_left = X[active, self.feature[at]] <= self.threshold[at]
            node[active] = np.where(go_left, self.children_left[at], self.children_right[at])
            active = active[self.children_left[node[active]] != LEAF]
        return node

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n, K) class fractions of each row's leaf (no input checks: the estimator does those)."""
        return self.value[self.apply(X)]


# --- impurity -----------------------------------------------------------------------------------------

def impurity(counts: np.ndarray, criterion: str) -> np.ndarray:
    """Impurity of class-weight sums `counts` (..., K): gini or entropy (in bits), 0 for a pure node."""
    total = counts.sum(axis=-1, keepdims=True)
    p = counts / np.where(total > 0, total, 1.0)
    if criterion == "gini":
        # gini = 1 - Σ_k p_k²
        return 1.0 - np.sum(p * p, axis=-1)
    # entropy = -Σ_k p_k log2 p_k
    logp = np.log2(np.where(p > 0, p, 1.0))
    return -np.sum(p * logp, axis=-1)


def best_split(X: np.ndarray, W: np.ndarray, criterion: str, min_samples_leaf: int,
               min_weight_leaf: float = 0.0):
    """The cut that leaves the two children purest, or None.

    X: (n, d) the node's examples; W: (n, K) each example's weight in its class's column. Each child must
    keep at least min_samples_leaf examples and min_weight_leaf total weight.
    Returns (feature, threshold, n_left) or None when no cut is allowed (all features constant).
    """
    n, d = X.shape
    order = np.argsort(X, axis=0, kind="stable")          # (n, d)
    Xs = np.take_along_axis(X, order, axis=0)             # (n, d) each column sorted
    left = np.cumsum(W[order], axis=0)[:-1]               # (n-1, d, K) [p-1]: class weights of the first p
    right = W.sum(axis=0) - left                          # (n-1, d, K)
    wl, wr = left.sum(axis=-1), right.sum(axis=-1)        # (n-1, d)
    # a cut between sorted positions p-1 and p is allowed where the values differ and both sides keep
    # at least min_samples_leaf examples
    p = np.arange(1, n)[:, None]                          # (n-1, 1) examples on the left
    allowed = (Xs[1:] > Xs[:-1] + FEATURE_THRESHOLD) & (p >= min_samples_leaf) & (n - p >= min_samples_leaf)
    if min_weight_leaf > 0:
        allowed &= (wl >= min_weight_leaf) & (wr >= min_weight_leaf)
    if not allowed.any():
        return None
    # minimise the children's weighted impurity  w_L·i(L) + w_R·i(R)
    cost = wl * impurity(left, criterion) + wr * impurity(right, criterion)
    cost = np.where(allowed, cost, np.inf)
    pos = np.argmin(cost, axis=0)                         # (d,) first best cut within each feature
    best = cost[pos, np.arange(d)]
    # the first feature reaching the lowest cost (scikit-learn keeps a feature only if strictly better)
    f = int(np.argmin(best))
    k = int(pos[f])
    lo, hi = Xs[k, f], Xs[k + 1, f]
    threshold = lo / 2.0 + hi / 2.0                       # the midpoint, computed as scikit-learn does
    if threshold == hi or not np.isfinite(threshold):
        threshold = lo
    return f, float(threshold), k + 1


def grow(X: np.ndarray, W: np.ndarray, criterion: str, max_depth: int, min_samples_split: int,
         min_samples_leaf: int, min_weight_leaf: float = 0.0) -> Tree:
    """Grow a tree depth first: a node becomes a leaf when pure, too deep, too small or unsplittable."""
    cl, cr, feat, thr, imp, nn, wn, val = [], [], [], [], [], [], [], []
    stack = [(np.arange(len(X)), 0, -1, False)]           # (rows, depth, parent, is_left)
    while stack:
        rows, depth, parent, is_left = stack.pop()
        counts = W[rows].sum(axis=0)                      # (K,) class weights at this node
        node = len(feat)
        if parent >= 0:
            (cl if is_left else cr)[parent] = node
        node_impurity = float(impurity(counts, criterion))
        split = None
        if (depth < max_depth and len(rows) >= min_samples_split and len(rows) >= 2 * min_samples_leaf
                and counts.sum() >= 2 * min_weight_leaf and node_impurity > EPSILON):
            split = best_split(X[rows], W[rows], criterion, min_samples_leaf, min_weight_leaf)
        cl.append(LEAF)
        cr.append(LEAF)
        feat.append(UNDEFINED if split is None else split[0])
        thr.append(UNDEFINED if split is None else split[1])
        imp.append(node_impurity)
        nn.append(len(rows))
        wn.append(float(counts.sum()))
        val.append(counts / counts.sum() if counts.sum() > 0 else counts)
        if split is not None:
            f, t, _ = split
            goes_left = X[rows, f] <= t
            # push right first so that the left child is numbered next (pre-order, as scikit-learn)
            stack.append((rows[~goes_left], depth + 1, node, False))
            stack.append((rows[goes_left], depth + 1, node, True))
    return Tree(np.array(cl, dtype=np.intp), np.array(cr, dtype=np.intp), np.array(feat, dtype=np.intp),
                np.array(thr), np.array(imp), np.array(nn, dtype=np.intp), np.array(wn), np.array(val))


# --- minimal cost-complexity pruning ----------------------------------------------------------------------

def pruning_path(tree: Tree):
    """Cut the weakest link again and again until only the root is left (Breiman et al. 3.3).

    Returns (cuts, alphas, impurities): the node cut at each step; the effective alpha of each step
    (alphas[0] = 0 for the full tree); and the total leaf impurity R(T) after each step.
    """
    left, right = tree.children_left, tree.children_right
    n = tree.node_count
    # R(t) = p(t)·i(t): the node's share of the weight times its impurity
    r_node = tree.weighted_n_node_samples * tree.impurity / tree.weighted_n_node_samples[0]
    parent = np.full(n, -1)
    internal = np.flatnonzero(left != LEAF)
    parent[left[internal]] = internal
    parent[right[internal]] = internal
    is_leaf = left == LEAF
    r_branch = np.where(is_leaf, r_node, 0.0)             # R(T_t): sum of R over the leaves below t
    n_leaves = is_leaf.astype(int)                        # |T_t|
    for t in range(n - 1, -1, -1):                        # children come after parents: go backwards
        if not is_leaf[t]:
            r_branch[t] = r_branch[left[t]] + r_branch[right[t]]
            n_leaves[t] = n_leaves[left[t]] + n_leaves[right[t]]
    candidate = ~is_leaf
    cuts, alphas, impurities = [], [0.0], [float(r_branch[0])]
    while candidate[0]:
        # g(t) = (R(t) - R(T_t)) / (|T_t| - 1): the impurity each extra leaf of branch t buys; cut the
        # branch with the smallest g (the first one on a tie, as scikit-learn)
        g = np.where(candidate, (r_node - r_branch) / np.maximum(n_leaves - 1, 1), np.inf)
        t = int(np.argmin(g))
        below = [t]                                       # t becomes a leaf; its descendants go
        while below:
            s = below.pop()
            candidate[s] = False
            if left[s] != LEAF:
                below += [left[s], right[s]]
        cut, r_diff = n_leaves[t] - 1, r_node[t] - r_branch[t]
        a = t
        while a >= 0:                                     # t and its ancestors lose the cut leaves
            n_leaves[a] -= cut
            r_branch[a] += r_diff
            a = parent[a]
        cuts.append(t)
        alphas.append(float(g[t]))
        impurities.append(float(r_branch[0]))
    return np.array(cuts, dtype=np.intp), np.array(alphas), np.array(impurities)


def subtree(tree: Tree, cuts: np.ndarray) -> Tree:
    """The tree with each node in `cuts` made a leaf and its descendants dropped, renumbered in pre-order."""
    is_leaf = tree.children_left == LEAF
    is_leaf[cuts] = True
    keep, stack = [], [0]
    while stack:
        t = stack.pop()
        keep.append(t)
        if not is_leaf[t]:
            stack += [tree.children_right[t], tree.children_left[t]]
    keep = np.array(keep)
    new_id = np.full(tree.node_count, LEAF)
    new_id[keep] = np.arange(len(keep))
    leaf = is_leaf[keep]
    return Tree(np.where(leaf, LEAF, new_id[tree.children_left[keep]]),
                np.where(leaf, LEAF, new_id[tree.children_right[keep]]),
                np.where(leaf, UNDEFINED, tree.feature[keep]), np.where(leaf, UNDEFINED, tree.threshold[keep]),
                tree.impurity[keep], tree.n_node_samples[keep], tree.weighted_n_node_samples[keep],
                tree.value[keep])


def prune(tree: Tree, ccp_alpha: float, path=None) -> Tree:
    """The smallest subtree minimising R(T) + ccp_alpha·|T|: cut while the weakest link costs <= ccp_alpha.

    `path` is `pruning_path(tree)` when already known (pruning one tree at many alphas).
    """
    if ccp_alpha <= 0:
        return tree
    cuts, alphas, _ = pruning_path(tree) if path is None else path
    too_dear = np.flatnonzero(alphas[1:] > ccp_alpha)     # stop at the first cut dearer than ccp_alpha
    steps = too_dear[0] if too_dear.size else len(cuts)
    return subtree(tree, cuts[:steps])


# --- the estimator ------------------------------------------------------------------------------------------

def class_sample_weight(class_weight, y_encoded: np.ndarray, classes: np.ndarray,
                        sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Each example's class weight: None (all 1), "balanced" (n / (K·n_k)) or a {label: weight} dict.

    With `sample_weight`, "balanced" counts each class by its total sample weight (scikit-learn's
    LogisticRegression does; its trees count examples).
    """
    if class_weight is None:
        return np.ones(len(y_encoded))
    if isinstance(class_weight, str) and class_weight == "balanced":
        w = np.ones(len(y_encoded)) if sample_weight is None else sample_weight
        counts = np.bincount(y_encoded, weights=w, minlength=len(classes))
        return (w.sum() / (len(classes) * counts))[y_encoded]
    if isinstance(class_weight, dict):
        per_class = np.array([float(class_weight.get(c, 1.0)) for c in classes])
        return per_class[y_encoded]
    raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {class_weight!r}")


def check_sample_weight(sample_weight, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    w = np.asarray(sample_weight, dtype=float)
    if w.ndim == 0:
        return np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"sample_weight.shape == {w.shape}, expected {(n,)}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must be finite and non-negative")
    return w


class DecisionTreeClassifier(ClassifierMixin, BaseEstimator):
    """CART classification tree with gini/entropy, depth and leaf-size limits and cost-complexity pruning.

    criterion: "gini" or "entropy". max_depth: None grows until the leaves are pure. min_samples_split:
    the fewest examples a node needs to be split. min_samples_leaf: the fewest examples in a leaf.
    min_weight_fraction_leaf: the smallest share of the total weight a leaf may hold.
    ccp_alpha: the price of one extra leaf in minimal cost-complexity pruning (0: no pruning).
    class_weight: None, "balanced", or {label: weight}: how much each class's examples count.
    """

    def __init__(self, criterion: str = "gini", max_depth: int | None = None, min_samples_split: int = 2,
                 min_samples_leaf: int = 1, min_weight_fraction_leaf: float = 0.0, ccp_alpha: float = 0.0,
                 class_weight=None):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.ccp_alpha = ccp_alpha
        self.class_weight = class_weight

    def _check_params(self):
        if self.criterion not in ("gini", "entropy"):
            raise ValueError(f"criterion must be 'gini' or 'entropy', got {self.criterion!r}")
        if self.max_depth is not None and self.max_depth < 1:
            raise ValueError(f"max_depth must be None or >= 1, got {self.max_depth}")
        if self.min_samples_split < 2 or self.min_samples_leaf < 1:
            raise ValueError("min_samples_split must be >= 2 and min_samples_leaf >= 1")
        if not 0 <= self.min_weight_fraction_leaf <= 0.5:
            raise ValueError(f"min_weight_fraction_leaf must be in [0, 0.5], got {self.min_weight_fraction_leaf}")
        if self.ccp_alpha < 0:
            raise ValueError(f"ccp_alpha must be >= 0, got {self.ccp_alpha}")

    def _grow(self, X, y, sample_weight):
        """Validate, encode the labels and grow the unpruned tree; returns (X, class-weight matrix)."""
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        w = check_sample_weight(sample_weight, len(y)) * class_sample_weight(
            self.class_weight, y_encoded, self.classes_)
        W = np.zeros((len(y), len(self.classes_)))        # (n, K) weight in the example's class column
        W[np.arange(len(y)), y_encoded] = w
        if w.sum() <= 0:
            raise ValueError("the sample weights add up to zero: give some examples a positive weight")
        keep = w > 0                                      # weight 0 = not there (sklearn keeps them in counts)
        max_depth = np.iinfo(np.int32).max if self.max_depth is None else self.max_depth
        return grow(X[keep], W[keep], self.criterion, max_depth, self.min_samples_split,
                    self.min_samples_leaf, self.min_weight_fraction_leaf * w.sum())

    def fit(self, X, y, sample_weight=None):
        full = self._grow(X, y, sample_weight)
        self.tree_ = prune(full, self.ccp_alpha)
        return self

    def cost_complexity_pruning_path(self, X, y, sample_weight=None) -> dict:
        """The effective alphas at which a branch is cut, and the total leaf impurity after each cut."""
        _, alphas, impurities = pruning_path(self._grow(X, y, sample_weight))
        return {"ccp_alphas": alphas, "impurities": impurities}

    def pruned(self, ccp_alpha: float, path=None) -> "DecisionTreeClassifier":
        """A copy of this fitted tree pruned further with `ccp_alpha`: cheap, as pruning never refits.

        `path`: `pruning_path(self.tree_)`, to prune one tree at many alphas without recomputing it.
        """
        check_is_fitted(self)
        copy = DecisionTreeClassifier(**{**self.get_params(), "ccp_alpha": max(ccp_alpha, self.ccp_alpha)})
        copy.__dict__.update({k: v for k, v in self.__dict__.items() if k.endswith("_")})
        copy.tree_ = prune(self.tree_, ccp_alpha, path)
        return copy

    def apply(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.tree_.apply(X)

    def predict_proba(self, X) -> np.ndarray:
        """(n, K): the weighted class fractions in the leaf each row lands in."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.tree_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def get_depth(self) -> int:
        check_is_fitted(self)
        return self.tree_.depth()

    def get_n_leaves(self) -> int:
        check_is_fitted(self)
        return self.tree_.n_leaves

    @property
    def feature_importances_(self) -> np.ndarray:
        """Each feature's share of the total impurity decrease, w(t)·i(t) - w(L)·i(L) - w(R)·i(R)."""
        check_is_fitted(self)
        t = self.tree_
        gain = np.zeros(self.n_features_in_)
        internal = np.flatnonzero(t.children_left != LEAF)
        L, R = t.children_left[internal], t.children_right[internal]
        wi = t.weighted_n_node_samples * t.impurity
        np.add.at(gain, t.feature[internal], wi[internal] - wi[L] - wi[R])
        total = gain.sum()
        return gain / total if total > 0 else gain


def render(model: DecisionTreeClassifier, feature_names=None, max_depth: int | None = None,
           decimals: int = 2) -> str:
    """The tree as indented if/else rules a person can follow, e.g.

    |--- LoyalCH <= 0.48
    |   |--- PriceDiff <= 0.31  ->  MM (87% of 120)
    """
    check_is_fitted(model)
    t = model.tree_
    names = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(model.n_features_in_)]
    lines: list[str] = []

    def leaf_text(node: int) -> str:
        k = int(np.argmax(t.value[node]))
        return f"{model.classes_[k]} ({t.value[node, k]:.0%} of {t.n_node_samples[node]})"

    def walk(node: int, depth: int) -> None:
        indent = "|   " * depth + "|--- "
        if t.children_left[node] == LEAF:
            lines.append(indent + "predict " + leaf_text(node))
            return
        if max_depth is not None and depth >= max_depth:
            lines.append(indent + "... then mostly " + leaf_text(node))
            return
        name, cut = names[t.feature[node]], f"{t.threshold[node]:.{decimals}f}"
        lines.append(f"{indent}{name} <= {cut}")
        walk(int(t.children_left[node]), depth + 1)
        lines.append(f"{indent}{name} >  {cut}")
        walk(int(t.children_right[node]), depth + 1)

    walk(0, 0)
    return "\n".join(lines)
