"""Own LinearRegression / ridge against scikit-learn, a hand-computed toy case, and the conformance battery."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression as SkLinear
from sklearn.linear_model import Ridge as SkRidge
from sklearn.utils.estimator_checks import parametrize_with_checks

from ml52.evaluation.splits import KFold
from ml52.supervised.linear import LinearRegression, ridge_cv


@parametrize_with_checks([LinearRegression(), LinearRegression(alpha=1.0, solver="qr"),
                          LinearRegression(alpha=0.5, solver="gd", max_iter=5000, tol=1e-10)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_hand_computed_line():
    # points (0,1), (1,3), (2,5) lie on y = 1 + 2x exactly
    X, y = np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 3.0, 5.0])
    for solver in ("svd", "qr", "gd"):
        m = LinearRegression(solver=solver).fit(X, y)
        assert m.coef_[0] == pytest.approx(2.0, abs=1e-9)
        assert m.intercept_ == pytest.approx(1.0, abs=1e-9)
    # ridge by hand: centred x = (-1, 0, 1), Σx² = 2, Σxy = 4, so w = 4 / (2 + α); with α = 2, w = 1,
    # and b = ȳ - x̄w = 3 - 1 = 2
    m = LinearRegression(alpha=2.0).fit(X, y)
    assert m.coef_[0] == pytest.approx(1.0, abs=1e-12) and m.intercept_ == pytest.approx(2.0, abs=1e-12)


@pytest.mark.parametrize("solver", ["svd", "qr", "gd"])
@pytest.mark.parametrize("alpha", [0.0, 0.3, 10.0])
def test_agrees_with_sklearn(solver, alpha):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 6)) * [1, 2, 3, 0.5, 1, 4]
    y = X @ rng.normal(size=6) + 3 + rng.normal(size=80)
    ref = SkRidge(alpha=alpha, solver="svd").fit(X, y) if alpha else SkLinear().fit(X, y)
    own = LinearRegression(alpha=alpha, solver=solver, tol=1e-14).fit(X, y)
    # 1e-6 relative is the tolerance; the direct solvers reach ~1e-13, gradient descent ~1e-9
    np.testing.assert_allclose(own.coef_, ref.coef_, rtol=1e-6)
    assert own.intercept_ == pytest.approx(ref.intercept_, rel=1e-6)
    np.testing.assert_allclose(own.predict(X), ref.predict(X), rtol=1e-9)


def test_rank_deficient_gives_minimum_norm_like_sklearn():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    X = np.c_[X, X[:, 0] + X[:, 1]]           # a duplicated direction: X has rank 3
    y = rng.normal(size=40)
    np.testing.assert_allclose(LinearRegression().fit(X, y).coef_, SkLinear().fit(X, y).coef_, atol=1e-10)
    with pytest.raises(np.linalg.LinAlgError):
        LinearRegression(solver="qr").fit(X, y)


def test_ridge_cv_matches_refitting_each_alpha():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 8))
    y = X @ rng.normal(size=8) + rng.normal(size=60)
    alphas = [0.01, 1.0, 30.0]
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))
    best, mse = ridge_cv(X, y, alphas, folds)
    slow = [np.mean([np.mean((SkRidge(alpha=a).fit(X[t], y[t]).predict(X[v]) - y[v]) ** 2) for t, v in folds])
            for a in alphas]
    np.testing.assert_allclose(mse, slow, rtol=1e-10)
    assert best == alphas[int(np.argmin(slow))]
