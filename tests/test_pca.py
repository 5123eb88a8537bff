"""ml52's PCA against scikit-learn's, a hand-computed toy case, and the estimator contract."""

import numpy as np
import pytest
from sklearn import decomposition
from sklearn.utils.estimator_checks import parametrize_with_checks

from ml52.unsupervised.pca import PCA


@parametrize_with_checks([PCA(n_components=2), PCA(n_components=0.9, whiten=True)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_toy_case_by_hand():
    # four points on the axes: variance 8/3 along x (values ±2), 2/3 along y (values ±1), so the
    # first direction is x with 80% of the variance; keeping it flattens the y-points onto the centre
    X = np.array([[2, 0], [-2, 0], [0, 1], [0, -1]], dtype=float)
    pca = PCA(n_components=1).fit(X)
    np.testing.assert_allclose(pca.components_, [[1, 0]], atol=1e-15)
    np.testing.assert_allclose(pca.explained_variance_, [8 / 3], rtol=1e-14)
    np.testing.assert_allclose(pca.explained_variance_ratio_, [0.8], rtol=1e-14)
    np.testing.assert_allclose(pca.transform(X), [[2], [-2], [0], [0]], atol=1e-15)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(X)), [[2, 0], [-2, 0], [0, 0], [0, 0]],
                               atol=1e-15)
    assert pca.noise_variance_ == pytest.approx(2 / 3, rel=1e-14)


def correlated(seed: int, n: int = 300, d: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d) * 5


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("whiten", [False, True])
def test_same_as_sklearn(seed, whiten):
    # both take the SVD of the same centred matrix; directions with distinct singular values are unique up
    # to sign, and both fix the sign the same way, so they must agree to rounding: 1e-8 relative (the
    # issue's tolerance; LAPACK's SVD is backward stable to ~1e-15 x condition number)
    X = correlated(seed)
    own = PCA(n_components=5, whiten=whiten).fit(X)
    ref = decomposition.PCA(n_components=5, whiten=whiten, svd_solver="full").fit(X)
    scale = np.abs(ref.components_).max()
    np.testing.assert_allclose(own.components_, ref.components_, rtol=1e-8, atol=1e-8 * scale)
    # up to sign, even if the sign rule ever changed: |cos| between matching directions is 1
    cos = np.abs((own.components_ * ref.components_).sum(axis=1))
    np.testing.assert_allclose(cos, 1.0, rtol=1e-10)
    np.testing.assert_allclose(own.explained_variance_, ref.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(own.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-10)
    np.testing.assert_allclose(own.singular_values_, ref.singular_values_, rtol=1e-10)
    assert own.noise_variance_ == pytest.approx(ref.noise_variance_, rel=1e-10)
    Xt = correlated(seed + 10, n=50)
    Z_own, Z_ref = own.transform(Xt), ref.transform(Xt)
    np.testing.assert_allclose(Z_own, Z_ref, rtol=1e-8, atol=1e-8 * np.abs(Z_ref).max())
    np.testing.assert_allclose(own.inverse_transform(Z_own), ref.inverse_transform(Z_ref), rtol=1e-8,
                               atol=1e-8 * np.abs(Xt).max())
    np.testing.assert_allclose(own.fit_transform(X), ref.fit_transform(X), rtol=1e-8, atol=1e-8 * scale * 100)


def test_variance_fraction_picks_the_same_k_as_sklearn():
    X = correlated(3)
    for fraction in (0.5, 0.8, 0.95, 0.999):
        own = PCA(n_components=fraction).fit(X)
        ref = decomposition.PCA(n_components=fraction, svd_solver="full").fit(X)
        assert own.n_components_ == ref.n_components_
        assert own.explained_variance_ratio_.sum() >= fraction


def test_all_components_reconstruct_exactly_and_whitened_codes_have_unit_variance():
    X = correlated(4, n=100, d=6)
    pca = PCA(whiten=True).fit(X)
    Z = pca.transform(X)
    np.testing.assert_allclose(Z.var(axis=0, ddof=1), 1.0, rtol=1e-10)
    np.testing.assert_allclose(Z.T @ Z / 99, np.eye(6), atol=1e-10)
    np.testing.assert_allclose(pca.inverse_transform(Z), X, atol=1e-9 * np.abs(X).max())
    assert pca.explained_variance_ratio_.sum() == pytest.approx(1.0, abs=1e-12)


def test_clear_errors():
    X = correlated(5, n=10, d=3)
    with pytest.raises(ValueError, match="between 0 and"):
        PCA(n_components=4).fit(X)
    with pytest.raises(ValueError, match="n_components must be"):
        PCA(n_components=1.5).fit(X)
