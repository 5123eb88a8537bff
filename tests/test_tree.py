"""ml52's CART tree against scikit-learn's DecisionTreeClassifier, a hand-computed toy, and the sklearn battery."""

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier as SkTree
from sklearn.utils.estimator_checks import parametrize_with_checks

from ml52.supervised.tree import LEAF, DecisionTreeClassifier, impurity, pruning_path, render

STRUCTURE = ["children_left", "children_right", "feature", "threshold", "n_node_samples"]


def random_problem(rng, n=500):
    d, K = int(rng.integers(1, 8)), int(rng.integers(2, 5))
    # float32-representable values: scikit-learn stores X as float32, so both trees see the same numbers
    X = rng.normal(size=(n, d)).astype(np.float32).astype(float)
    y = np.digitize(X[:, 0] + X[:, -1] ** 2 / 2 + rng.normal(size=n), np.linspace(-1, 2, K - 1))
    return X, y, K


def split_cost(X, W, feature, threshold, criterion):
    """w_L·i(L) + w_R·i(R) of one split of the rows X (class-weight matrix W)."""
    go_left = X[:, feature] <= threshold
    L, R = W[go_left].sum(0), W[~go_left].sum(0)
    return L.sum() * impurity(L, criterion) + R.sum() * impurity(R, criterion)


def first_difference(own, ref, X, W, criterion):
    """Walk both trees together; return None if equal, else (own cost, sklearn cost) where they first part."""
    a, b = own.tree_, ref.tree_
    stack = [(0, 0, np.arange(len(X)))]
    while stack:
        i, j, rows = stack.pop()
        if a.feature[i] != b.feature[j] or a.threshold[i] != b.threshold[j]:
            if min(a.feature[i], b.feature[j]) < 0:       # one made a leaf: only for a pure node
                return (a.impurity[i], b.impurity[j])
            return (split_cost(X[rows], W[rows], a.feature[i], a.threshold[i], criterion),
                    split_cost(X[rows], W[rows], b.feature[j], b.threshold[j], criterion))
        if a.children_left[i] != LEAF:
            go_left = X[rows, a.feature[i]] <= a.threshold[i]
            stack += [(a.children_right[i], b.children_right[j], rows[~go_left]),
                      (a.children_left[i], b.children_left[j], rows[go_left])]
    return None


def test_hand_computed_stump():
    # four points, classes [0, 0, 1, 1]: the only pure cut is between 2 and 3, at their midpoint 2.5;
    # root gini = 1 - (1/2)² - (1/2)² = 0.5, each child 0; importance all on the one feature
    X, y = np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([0, 0, 1, 1])
    tree = DecisionTreeClassifier().fit(X, y)
    assert tree.tree_.threshold[0] == 2.5
    assert tree.tree_.impurity.tolist() == [0.5, 0.0, 0.0]
    assert tree.predict([[2.4], [2.6]]).tolist() == [0, 1]
    assert tree.feature_importances_.tolist() == [1.0]
    # entropy of a 50/50 node is one bit
    assert impurity(np.array([2.0, 2.0]), "entropy") == 1.0


def test_same_tree_as_sklearn_without_ties():
    # Depth <= 3 and >= 10 examples per leaf keep nodes large, so two different cuts almost never leave
    # the same impurity; class weights are powers of two so weighted sums are exact in floating point.
    # Then the trees must be identical node for node (exact thresholds; values and impurities to 1e-12,
    # the rounding of a few additions), and so must pruning paths, pruned trees, importances, predictions.
    rng = np.random.default_rng(11)
    for trial in range(16):
        X, y, K = random_problem(rng)
        kw = dict(criterion=["gini", "entropy"][trial % 2], min_samples_leaf=int(rng.integers(10, 20)),
                  max_depth=int(rng.integers(2, 4)),
                  class_weight=[None, {k: 2.0 ** k for k in range(K)}][trial % 4 // 2])
        own, ref = DecisionTreeClassifier(**kw).fit(X, y), SkTree(random_state=0, **kw).fit(X, y)
        for name in STRUCTURE:
            np.testing.assert_array_equal(getattr(own.tree_, name), getattr(ref.tree_, name), err_msg=name)
        np.testing.assert_allclose(own.tree_.value, ref.tree_.value[:, 0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(own.tree_.impurity, ref.tree_.impurity, rtol=0, atol=1e-12)
        np.testing.assert_allclose(own.feature_importances_, ref.feature_importances_, rtol=0, atol=1e-12)
        path, ref_path = own.cost_complexity_pruning_path(X, y), ref.cost_complexity_pruning_path(X, y)
        np.testing.assert_allclose(path["ccp_alphas"], ref_path["ccp_alphas"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(path["impurities"], ref_path["impurities"], rtol=1e-12, atol=1e-15)
        # prune between two path alphas (on an alpha itself, 1-ulp rounding decides whether to cut)
        for alpha in (ref_path["ccp_alphas"][1:] + ref_path["ccp_alphas"][:-1]) / 2:
            a = DecisionTreeClassifier(ccp_alpha=alpha, **kw).fit(X, y)
            b = SkTree(random_state=0, ccp_alpha=alpha, **kw).fit(X, y)
            for name in STRUCTURE:
                np.testing.assert_array_equal(getattr(a.tree_, name), getattr(b.tree_, name))
            assert own.pruned(alpha).tree_.node_count == a.tree_.node_count
        X_new = rng.normal(size=(1000, X.shape[1]))
        np.testing.assert_array_equal(own.predict(X_new), ref.predict(X_new))
        np.testing.assert_allclose(own.predict_proba(X_new), ref.predict_proba(X_new), rtol=0, atol=1e-12)


def test_full_trees_differ_from_sklearn_only_at_ties():
    # Fully grown trees reach small nodes where two cuts give exactly the same impurity; scikit-learn then
    # keeps whichever its random feature order (or its rounding) meets first. So wherever the two trees
    # first part, both cuts must cost the same (to 1e-12 relative), or the node must be pure.
    rng = np.random.default_rng(5)
    for trial in range(20):
        X, y, K = random_problem(rng, n=300)
        criterion = ["gini", "entropy"][trial % 2]
        own = DecisionTreeClassifier(criterion=criterion).fit(X, y)
        ref = SkTree(criterion=criterion, random_state=trial).fit(X, y)
        W = np.eye(K)[y]
        diff = first_difference(own, ref, X, W, criterion)
        if diff is not None:
            assert diff[0] == pytest.approx(diff[1], rel=1e-12, abs=1e-12)
        assert own.score(X, y) == ref.score(X, y) == 1.0   # unpruned trees fit distinct points exactly


def test_pruning_path_ends_at_the_root_and_alphas_grow():
    rng = np.random.default_rng(0)
    X, y, _ = random_problem(rng, n=200)
    tree = DecisionTreeClassifier().fit(X, y)
    cuts, alphas, impurities = pruning_path(tree.tree_)
    assert np.all(np.diff(alphas) >= -1e-15)             # Breiman et al.: the weakest links get dearer
    assert np.all(np.diff(impurities) >= -1e-15)         # each cut adds impurity
    assert tree.pruned(alphas[-1]).tree_.node_count == 1
    assert tree.pruned(0.0).tree_.node_count == tree.tree_.node_count
    assert impurities[-1] == pytest.approx(tree.tree_.impurity[0])


def test_limits_hold():
    rng = np.random.default_rng(1)
    X, y, _ = random_problem(rng, n=300)
    tree = DecisionTreeClassifier(max_depth=3, min_samples_leaf=20).fit(X, y)
    assert tree.get_depth() <= 3
    leaves = tree.tree_.children_left == LEAF
    assert tree.tree_.n_node_samples[leaves].min() >= 20
    assert tree.get_n_leaves() == leaves.sum()
    np.testing.assert_allclose(tree.predict_proba(X).sum(axis=1), 1.0)


def test_class_weight_balanced_equals_sklearn_prediction():
    # 'balanced' weights n / (K·n_k) are not exact binary fractions, so compare predictions of a shallow
    # tree (no ties at this size) rather than bit-equal impurities.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 4)).astype(np.float32).astype(float)
    y = (X[:, 0] + rng.normal(size=600) > 1.3).astype(int)       # about 15% positive
    kw = dict(max_depth=3, min_samples_leaf=15, class_weight="balanced")
    own, ref = DecisionTreeClassifier(**kw).fit(X, y), SkTree(random_state=0, **kw).fit(X, y)
    X_new = rng.normal(size=(2000, 4))
    np.testing.assert_array_equal(own.predict(X_new), ref.predict(X_new))
    assert own.predict(X).mean() > y.mean()                       # weighting pulls predictions to the rare class


def test_render_reads_like_rules():
    X = np.array([[1.0, 0], [2.0, 0], [3.0, 1], [4.0, 1]])
    tree = DecisionTreeClassifier().fit(X, np.array(["CH", "CH", "MM", "MM"]))
    text = render(tree, feature_names=["loyalty", "special"])
    assert text.splitlines()[0] == "|--- loyalty <= 2.50"
    assert "predict CH (100% of 2)" in text and "predict MM (100% of 2)" in text


def test_bad_parameters_raise():
    X, y = np.ones((4, 1)), np.array([0, 1, 0, 1])
    for bad in [dict(criterion="log"), dict(max_depth=0), dict(min_samples_leaf=0), dict(ccp_alpha=-1.0)]:
        with pytest.raises(ValueError):
            DecisionTreeClassifier(**bad).fit(X, y)


@parametrize_with_checks([DecisionTreeClassifier(), DecisionTreeClassifier(criterion="entropy", max_depth=4)])
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)
