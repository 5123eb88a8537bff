"""The hashing n-gram vectorizer and the RBF network, against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from ml52.features.text import HashingNgramVectorizer
from ml52.neural.rbf import RBFNetwork, fit_temperature, group_means, softmax, squared_distances

TEXTS = ["ich habe einen Hund", "a", "to be or not", "élan über straße ij", "x y", "", "hund hund"]


# --- the vectorizer ---------------------------------------------------------------------------------

@pytest.mark.parametrize("ngram_range", [(1, 3), (1, 5), (2, 4), (4, 6), (3, 3)])
def test_hashed_counts_equal_sklearn_char_wb_counts(ngram_range):
    """With 2^40 columns nothing collides, so hashing is a renaming of CountVectorizer's columns: exact."""
    cv = CountVectorizer(analyzer="char_wb", ngram_range=ngram_range, lowercase=False)
    A = cv.fit_transform(TEXTS).toarray()                       # (texts, vocabulary)
    B = HashingNgramVectorizer(n_features=2**40, ngram_range=ngram_range, norm=None).transform(TEXTS).tocoo()
    # the hashed matrix, column by column: {column: counts over the texts}
    hashed: dict[int, np.ndarray] = {}
    for i, j, v in zip(B.row, B.col, B.data):
        hashed.setdefault(int(j), np.zeros(len(TEXTS)))[i] = v
    assert len(hashed) == A.shape[1]                            # one column per distinct n-gram
    # each vocabulary column equals a hashed column, and no hashed column is used twice
    as_tuples = sorted(tuple(c) for c in hashed.values())
    assert as_tuples == sorted(tuple(c) for c in A.T.astype(float))


def test_column_of_an_ngram_is_the_same_in_every_text():
    v = HashingNgramVectorizer(n_features=2**40, ngram_range=(3, 3), norm=None)
    a = v.transform([" hund"]).indices                          # " hu", "hun", "und", "nd "
    b = v.transform(["der hund bellt"]).indices
    assert set(a) <= set(b)


def test_l2_rows_and_sublinear_tf():
    X = HashingNgramVectorizer(n_features=64, ngram_range=(1, 2)).transform(["hello", "aaaa", ""])
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, [1.0, 1.0, 0.0], atol=1e-12)
    raw = HashingNgramVectorizer(n_features=2**20, ngram_range=(1, 1), norm=None, sublinear_tf=True)
    # "aaaa" padded is " aaaa ": ' ' twice -> 1 + log 2, 'a' four times -> 1 + log 4
    np.testing.assert_allclose(np.sort(raw.transform(["aaaa"]).data), [1 + np.log(2), 1 + np.log(4)])


def test_vectorizer_rejects_bad_input():
    with pytest.raises(ValueError):
        HashingNgramVectorizer().transform("one string")
    with pytest.raises(ValueError):
        HashingNgramVectorizer(ngram_range=(3, 1)).transform(["x"])


def test_idf_weights_equal_sklearn_tfidf():
    """idf_ is scikit-learn's smoothed idf for the same columns: exact up to float rounding (1e-12)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["hund katze", "haus", "hund", "maus haus hund"]
    ours = HashingNgramVectorizer(n_features=2**24, ngram_range=(2, 3), use_idf=True).fit(texts)
    counts = ours._counts(texts)
    theirs = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), lowercase=False).fit(texts)
    assert len(np.unique(counts.indices)) == len(theirs.idf_)  # no collisions among these few n-grams
    np.testing.assert_allclose(np.sort(ours.idf_[np.unique(counts.indices)]), np.sort(theirs.idf_), rtol=1e-12)
    A = theirs.transform(texts).toarray()
    B = ours.transform(texts)
    for i in range(len(texts)):                                 # same l2-normalised values, row by row
        np.testing.assert_allclose(np.sort(B[i].data), np.sort(A[i][A[i] > 0]), rtol=1e-12)


# --- the RBF network --------------------------------------------------------------------------------

@parametrize_with_checks([RBFNetwork(n_centers=5, random_state=0),
                          RBFNetwork(n_centers=5, readout="softmax", readout_iter=30, placement="kmeans",
                                     random_state=0)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_toy_case_by_hand():
    """Two points per class, one centre per class: centres are the class means, widths the spreads."""
    X = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0]])
    y = np.array([0, 0, 1, 1])
    net = RBFNetwork(n_centers=2, width_scale=1.0, alpha=0.0, random_state=0).fit(X, y)
    np.testing.assert_allclose(np.sort(net.centers_[:, 0]), [0.0, 10.0])
    np.testing.assert_allclose(net.centers_[:, 1], [1.0, 1.0])
    # every point is 1 away from its centre: spread 1, so σ² = 1
    np.testing.assert_allclose(net.sigma2_, [1.0, 1.0])
    # φ(x) for x on (0, 1): exp(0) = 1 for its own centre, exp(-100/2) for the other
    phi = net.hidden(np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(np.sort(phi[0]), [np.exp(-50.0), 1.0], rtol=1e-12)
    assert list(net.predict(X)) == [0, 0, 1, 1]


def _blobs(seed=0, n=300, classes=4, d=6):
    from sklearn.datasets import make_blobs

    return make_blobs(n_samples=n, centers=classes, n_features=d, cluster_std=2.5, random_state=seed)


def test_ridge_readout_equals_sklearn_ridge_on_the_hidden_layer():
    """Same Φ, same penalty: the readout equals sklearn Ridge. Tolerance 1e-6 relative: both solve the same
    normal equations, sklearn with a centred intercept, so only rounding differs."""
    X, y = _blobs()
    net = RBFNetwork(n_centers=20, alpha=1e-3, random_state=0).fit(X, y)
    Phi = net.hidden(X)
    T = np.eye(4)[y]
    # ours minimises (1/2n)‖ΦW + b - T‖² + (α/2)‖W‖²; sklearn Ridge minimises ‖ΦW + b - T‖² + α'‖W‖²: α' = αn
    ref = Ridge(alpha=1e-3 * len(X)).fit(Phi, T)
    np.testing.assert_allclose(net.coef_, ref.coef_.T, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(net.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)


def test_softmax_readout_equals_sklearn_logistic_regression_on_the_hidden_layer():
    """Cross-entropy readout vs multinomial LogisticRegression on the same Φ and penalty (C = 1/(αn)).
    Both run L-BFGS on the same strictly convex problem; ours computes the loss and gradient in float32
    (see train_softmax_readout), which stops it ~1e-4 short of the optimum: probabilities agree to 5e-4."""
    from sklearn.linear_model import LogisticRegression

    X, y = _blobs(seed=1)
    net = RBFNetwork(n_centers=15, readout="softmax", alpha=1e-2, readout_iter=2000, random_state=0).fit(X, y)
    Phi = net.hidden(X)
    ref = LogisticRegression(C=1.0 / (1e-2 * len(X)), tol=1e-10, max_iter=5000).fit(Phi, y)
    np.testing.assert_allclose(net.predict_proba(X), ref.predict_proba(Phi), atol=5e-4)


def test_centres_are_group_means_and_distances_match_sklearn():
    from sklearn.metrics.pairwise import euclidean_distances

    X, y = _blobs(seed=2)
    Xs = sp.csr_matrix(np.where(np.abs(X) > 3, X, 0.0))          # a sparse input gives the same answers
    for A in (Xs, Xs.toarray()):
        D = squared_distances(A, X[:7])
        np.testing.assert_allclose(D, euclidean_distances(Xs.toarray(), X[:7], squared=True), rtol=1e-10,
                                   atol=1e-9)
    groups = np.arange(len(X)) % 5
    means = np.stack([Xs.toarray()[groups == g].mean(axis=0) for g in range(5)])
    np.testing.assert_allclose(group_means(Xs.toarray(), groups, 5), means, atol=1e-12)
    # sparse input gives float32 centres (7 digits), and float32 products in blocks: relative 1e-6
    C32 = group_means(Xs, groups, 5)
    assert C32.dtype == np.float32
    np.testing.assert_allclose(C32, means, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(squared_distances(Xs, C32, block=2), euclidean_distances(Xs, means, squared=True),
                               rtol=1e-5, atol=1e-4)


def test_temperature_maximises_the_likelihood():
    rng = np.random.default_rng(0)
    S = rng.normal(size=(200, 3))
    y = (S + rng.normal(scale=2.0, size=S.shape)).argmax(axis=1)
    beta = fit_temperature(S, y)

    def nll(b):
        return -np.log(softmax(b * S)[np.arange(len(y)), y]).mean()

    assert nll(beta) <= min(nll(beta * 1.01), nll(beta / 1.01)) + 1e-12


def test_per_class_placement_gives_every_class_centres():
    X, y = _blobs(seed=3, classes=3)
    net = RBFNetwork(n_centers=9, random_state=0).fit(X, y)
    nearest_class = y[np.argmin(squared_distances(X, net.centers_), axis=0)]
    assert set(nearest_class) == {0, 1, 2}
    assert net.score(X, y) > 0.9


def test_top_singular_coordinates_equal_numpy_svd():
    """On a rank-4 matrix the top 4 coordinates keep every inner product, and in general the singular
    values of X V_m are the top m of X (numpy's exact SVD): randomised SVD with a power step, 1e-8."""
    from ml52.neural.rbf import top_singular_coordinates

    rng = np.random.default_rng(0)
    low = rng.normal(size=(60, 4)) @ rng.normal(size=(4, 40))
    Z = top_singular_coordinates(sp.csr_matrix(low), 4, np.random.default_rng(1))
    np.testing.assert_allclose(Z @ Z.T, low @ low.T, atol=1e-8)
    X = low + 1e-3 * rng.normal(size=low.shape)
    Z = top_singular_coordinates(X, 4, np.random.default_rng(1))
    np.testing.assert_allclose(np.linalg.svd(Z, compute_uv=False), np.linalg.svd(X, compute_uv=False)[:4],
                               rtol=1e-8)
