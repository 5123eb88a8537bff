"""ml52's KMeans against scikit-learn's, a hand-computed toy case, and the estimator contract."""

import numpy as np
import pytest
from sklearn import cluster
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from ml52.unsupervised.kmeans import KMeans, kmeans_plusplus, squared_distances


@parametrize_with_checks([KMeans(n_clusters=3, random_state=0)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_toy_case_by_hand():
    # four points, two centres started at (0,0) and (1,1): the left pair and the right pair split, the
    # centres move to their means (0.25, 0) and (0.75, 1), each point is 0.25 from its centre, so the
    # inertia is 4 x 0.25² = 0.25
    X = np.array([[0, 0], [0.5, 0], [0.5, 1], [1, 1]], dtype=float)
    km = KMeans(n_clusters=2, init=np.array([[0, 0], [1, 1]], dtype=float)).fit(X)
    np.testing.assert_array_equal(km.labels_, [0, 0, 1, 1])
    np.testing.assert_allclose(km.cluster_centers_, [[0.25, 0], [0.75, 1]], atol=1e-15)
    assert km.inertia_ == pytest.approx(0.25, abs=1e-15)
    np.testing.assert_array_equal(km.predict([[0, 0.1], [0.9, 0.8]]), [0, 1])


def test_same_start_same_answer_as_sklearn():
    # Lloyd's iterations are deterministic: from the same starting centres both must reach the same
    # centres (up to float rounding in the mean, hence 1e-10) and the very same labels
    X, _ = make_blobs(n_samples=500, centers=6, n_features=5, cluster_std=2.5, random_state=1)
    start = X[:6].copy()
    own = KMeans(n_clusters=6, init=start, max_iter=300, tol=0).fit(X)
    ref = cluster.KMeans(n_clusters=6, init=start, n_init=1, max_iter=300, tol=0, algorithm="lloyd").fit(X)
    np.testing.assert_array_equal(own.labels_, ref.labels_)
    np.testing.assert_allclose(own.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-10)
    assert own.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kmeans_plusplus_matches_sklearn_quality(seed):
    # different random numbers, same seeding algorithm: the inertia must agree within 1% (the issue's
    # tolerance) on overlapping blobs, and the labels must be identical up to a permutation on separated ones
    X, _ = make_blobs(n_samples=800, centers=8, n_features=4, cluster_std=3.0, random_state=seed)
    own = KMeans(n_clusters=8, n_init=5, random_state=seed).fit(X)
    ref = cluster.KMeans(n_clusters=8, n_init=5, random_state=seed).fit(X)
    assert own.inertia_ <= ref.inertia_ * 1.01
    assert ref.inertia_ <= own.inertia_ * 1.01
    Xs, _ = make_blobs(n_samples=300, centers=4, n_features=2, cluster_std=0.5, random_state=seed)
    own = KMeans(n_clusters=4, n_init=3, random_state=seed).fit(Xs)
    ref = cluster.KMeans(n_clusters=4, n_init=3, random_state=seed).fit(Xs)
    assert adjusted_rand_score(own.labels_, ref.labels_) == 1.0


def test_predict_transform_and_score_agree_with_fit():
    X, _ = make_blobs(n_samples=200, centers=3, random_state=3)
    km = KMeans(n_clusters=3, random_state=0).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    D = km.transform(X)                                             # (n, k) distances
    assert D.shape == (200, 3)
    np.testing.assert_allclose(D, np.linalg.norm(X[:, None, :] - km.cluster_centers_[None], axis=2), atol=1e-9)
    assert -km.score(X) == pytest.approx(km.inertia_, rel=1e-12)


def test_n_init_keeps_the_best_run():
    X, _ = make_blobs(n_samples=400, centers=10, cluster_std=2.0, random_state=4)
    single = [KMeans(n_clusters=10, init="random", n_init=1, random_state=s).fit(X).inertia_ for s in range(5)]
    many = KMeans(n_clusters=10, init="random", n_init=20, random_state=0).fit(X).inertia_
    assert many <= min(single) + 1e-9


def test_kmeans_plusplus_spreads_the_seeds():
    # two far-apart tight clumps: k-means++ must put one seed in each (a D² draw almost never picks the
    # same clump twice)
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 0.01, (50, 2)), rng.normal(100, 0.01, (50, 2))])
    for seed in range(10):
        C = kmeans_plusplus(X, 2, np.random.default_rng(seed))
        assert sorted(np.round(C[:, 0] / 100).astype(int)) == [0, 1]


def test_squared_distances():
    rng = np.random.default_rng(1)
    X, C = rng.normal(size=(7, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(squared_distances(X, C), ((X[:, None] - C[None]) ** 2).sum(-1), atol=1e-12)


def test_clear_errors():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=5"):
        KMeans(n_clusters=5).fit(X)
    with pytest.raises(ValueError, match="init"):
        KMeans(n_clusters=2, init="nearest").fit(X)
    with pytest.raises(ValueError, match="init has shape"):
        KMeans(n_clusters=2, init=np.zeros((3, 2))).fit(X)
