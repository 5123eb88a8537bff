"""ml52's logistic regression against scikit-learn's (lbfgs), a hand-checked gradient, and the sklearn battery."""

import numpy as np
import pytest
from scipy.optimize import check_grad
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.utils.estimator_checks import parametrize_with_checks

from ml52.supervised.logistic import LogisticRegression, binary_loss, multinomial_loss


def problem(rng, n=300, d=5, K=2):
    X = rng.normal(size=(n, d))
    y = np.argmax(X[:, :K] + rng.normal(size=(n, K)), axis=1)
    return X, y


def test_gradients_match_finite_differences():
    # the gradients written out in the module against central differences of the loss (~1e-6 accurate)
    rng = np.random.default_rng(0)
    X, y = problem(rng, n=40, d=3)
    s = rng.random(40)
    f = lambda th: binary_loss(th, X, y.astype(float), s, 0.7, True)[0]
    g = lambda th: binary_loss(th, X, y.astype(float), s, 0.7, True)[1]
    assert check_grad(f, g, rng.normal(size=4)) < 1e-5
    T = np.eye(3)[rng.integers(0, 3, 40)]
    f = lambda th: multinomial_loss(th, X, T, s, 0.7, True)[0]
    g = lambda th: multinomial_loss(th, X, T, s, 0.7, True)[1]
    assert check_grad(f, g, rng.normal(size=12)) < 1e-5


@pytest.mark.parametrize("K", [2, 3, 4])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_same_optimum_as_sklearn(K, class_weight, fit_intercept):
    # The loss is strictly convex, so both solvers, run to a tight gradient tolerance, reach the one
    # minimiser; 1e-7 on the coefficients is what tol=1e-10 on a gradient of order 1 leaves.
    rng = np.random.default_rng(K)
    X, y = problem(rng, K=K)
    w = rng.random(len(y)) + 0.5
    kw = dict(C=0.5, class_weight=class_weight, fit_intercept=fit_intercept)
    own = LogisticRegression(tol=1e-10, max_iter=1000, **kw).fit(X, y, sample_weight=w)
    ref = SkLogistic(tol=1e-12, max_iter=10000, **kw).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(own.coef_, ref.coef_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(own.intercept_, ref.intercept_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(own.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-7)
    assert np.array_equal(own.predict(X), ref.predict(X))


def test_hand_computed_two_points():
    # x=-1 (class 0) and x=+1 (class 1), no intercept: each example's loss is log(1 + e^{-w}), so the
    # objective is 2·log(1 + e^{-w}) + w²/(2C), whose derivative -2/(1 + e^{w}) + w/C is zero at the optimum;
    # a weaker penalty (larger C) gives a larger w
    X, y = np.array([[-1.0], [1.0]]), np.array([0, 1])
    w = [LogisticRegression(C=C, fit_intercept=False, tol=1e-10).fit(X, y).coef_[0, 0] for C in (0.1, 1.0, 10.0)]
    assert 0 < w[0] < w[1] < w[2]
    for C, wc in zip((0.1, 1.0, 10.0), w):
        assert -2 / (1 + np.exp(wc)) + wc / C == pytest.approx(0.0, abs=1e-8)


def test_one_class_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 2 classes"):
        LogisticRegression().fit(np.ones((3, 2)), [1, 1, 1])


@parametrize_with_checks([LogisticRegression(), LogisticRegression(C=0.1, class_weight="balanced")])
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)
