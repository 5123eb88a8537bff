"""ml52's feature transformers against scikit-learn's, toy cases by hand, and the Flavia table's own columns."""

import warnings

import numpy as np
import pytest
from sklearn import impute, preprocessing
from sklearn.utils.estimator_checks import parametrize_with_checks

from ml52.features.encoding import OneHotEncoder
from ml52.features.imputation import SimpleImputer
from ml52.features.leaf_shape import BASIC, TABLE_COLUMNS, RatioFeatures, leaf_shape_features
from ml52.features.polynomial import PolynomialFeatures
from ml52.features.scaling import StandardScaler


@parametrize_with_checks([StandardScaler(), StandardScaler(with_mean=False), PolynomialFeatures(2),
                          PolynomialFeatures(3, interaction_only=True, include_bias=False), OneHotEncoder(),
                          OneHotEncoder(handle_unknown="ignore"), SimpleImputer(),
                          SimpleImputer(strategy="most_frequent"), RatioFeatures()])
def test_sklearn_contract(estimator, check):
    check(estimator)


def data(seed: int, n: int = 60, d: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * rng.uniform(0.1, 100, size=d) + rng.normal(size=d) * 10


# Tolerances: scaling and products are a few floating-point operations on the same numbers as sklearn's;
# a different order of summation (mean, variance) can move the last bits, so 1e-12 relative. Encoding,
# imputation by median / most frequent and feature names are exact.

@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kw", [{}, {"with_mean": False}, {"with_std": False}])
def test_standard_scaler_equals_sklearn(seed, kw):
    X, Xt = data(seed), data(seed + 10, n=20)
    X[:, 2] = 7.0                                       # a constant column is left unscaled by both
    own, ref = StandardScaler(**kw).fit(X), preprocessing.StandardScaler(**kw).fit(X)
    np.testing.assert_allclose(own.transform(Xt), ref.transform(Xt), rtol=1e-12, atol=1e-12)
    for name in ("mean_", "var_", "scale_"):
        a, b = getattr(own, name), getattr(ref, name)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(own.inverse_transform(own.transform(Xt)), Xt, rtol=1e-12, atol=1e-9)


def test_standard_scaler_ignores_missing_values_like_sklearn():
    X = data(3)
    X[::7, 1] = np.nan
    own, ref = StandardScaler().fit(X), preprocessing.StandardScaler().fit(X)
    np.testing.assert_allclose(own.transform(X), ref.transform(X), rtol=1e-12, equal_nan=True)


def test_standard_scaler_toy_case():
    # column values 1, 2, 3: mean 2, population std √(2/3)
    Z = StandardScaler().fit_transform([[1.0], [2.0], [3.0]])
    np.testing.assert_allclose(Z[:, 0], np.array([-1, 0, 1]) / np.sqrt(2 / 3), rtol=1e-15)


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
@pytest.mark.parametrize("interaction_only", [False, True])
@pytest.mark.parametrize("include_bias", [False, True])
def test_polynomial_features_equal_sklearn(degree, interaction_only, include_bias):
    if degree == 0 and not include_bias:
        pytest.skip("no features at all; both refuse")
    X = data(degree, n=15, d=3)
    kw = dict(interaction_only=interaction_only, include_bias=include_bias)
    own, ref = PolynomialFeatures(degree, **kw).fit(X), preprocessing.PolynomialFeatures(degree, **kw).fit(X)
    np.testing.assert_array_equal(own.powers_, ref.powers_)
    np.testing.assert_allclose(own.transform(X), ref.transform(X), rtol=1e-12)
    assert list(own.get_feature_names_out(["a", "b", "c"])) == list(ref.get_feature_names_out(["a", "b", "c"]))


def test_polynomial_features_toy_case():
    # (2, 3) -> 1, a, b, a², ab, b²
    np.testing.assert_array_equal(PolynomialFeatures(2).fit_transform([[2.0, 3.0]]), [[1, 2, 3, 4, 6, 9]])


@pytest.mark.parametrize("seed", [0, 1])
def test_one_hot_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    X = np.c_[rng.choice(["oak", "maple", "birch"], 40), rng.choice(["a", "b"], 40)].astype(object)
    own = OneHotEncoder().fit(X)
    ref = preprocessing.OneHotEncoder(sparse_output=False).fit(X)
    np.testing.assert_array_equal(own.transform(X), ref.transform(X))
    assert [list(c) for c in own.categories_] == [list(c) for c in ref.categories_]
    assert list(own.get_feature_names_out(["tree", "g"])) == list(ref.get_feature_names_out(["tree", "g"]))
    np.testing.assert_array_equal(own.inverse_transform(own.transform(X)), X)
    # numbers as categories, and unseen categories ignored
    Xn = rng.integers(0, 4, size=(30, 2))
    own = OneHotEncoder(handle_unknown="ignore").fit(Xn)
    ref = preprocessing.OneHotEncoder(sparse_output=False, handle_unknown="ignore").fit(Xn)
    new = np.array([[0, 9], [3, 1]])
    np.testing.assert_array_equal(own.transform(new), ref.transform(new))


def test_one_hot_unknown_category_is_a_clear_error():
    enc = OneHotEncoder().fit([["oak"], ["maple"]])
    with pytest.raises(ValueError, match="not seen in fit"):
        enc.transform([["pine"]])


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
@pytest.mark.parametrize("keep_empty_features", [False, True])
def test_simple_imputer_equals_sklearn(strategy, keep_empty_features):
    X = np.round(data(4, n=30, d=4))
    X[::3, 0] = np.nan
    X[1::4, 2] = np.nan
    X[:, 3] = np.nan                                    # an empty column: dropped unless kept
    kw = dict(strategy=strategy, keep_empty_features=keep_empty_features)
    own = SimpleImputer(**kw).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # sklearn warns that it drops the empty column
        ref = impute.SimpleImputer(**kw).fit(X)
        expected = ref.transform(X)
    np.testing.assert_allclose(own.transform(X), expected, rtol=1e-12)
    np.testing.assert_allclose(own.statistics_.astype(float), ref.statistics_.astype(float), rtol=1e-12,
                               equal_nan=True)


def test_simple_imputer_on_text():
    for gap in (np.nan, None):
        X = np.array([["a", "x"], [gap, "y"], ["a", gap], ["b", "y"]], dtype=object)
        for strategy in ("most_frequent", "constant"):
            own = SimpleImputer(missing_values=gap, strategy=strategy).fit_transform(X)
            ref = impute.SimpleImputer(missing_values=gap, strategy=strategy).fit_transform(X)
            np.testing.assert_array_equal(own, ref)
            assert own[1, 0] == ("a" if strategy == "most_frequent" else "missing_value")


def test_ratio_features():
    X = np.array([[2.0, 4.0, 8.0]])
    np.testing.assert_allclose(RatioFeatures().fit_transform(X), [[0.5, 0.25, 0.5]])
    np.testing.assert_allclose(RatioFeatures([(2, 0)], log=True).fit_transform(X), [[np.log(4)]])
    names = RatioFeatures([(1, 0)]).fit(X).get_feature_names_out(["L", "W"] + ["D"])
    assert list(names) == ["W/L"]


def test_leaf_features_equal_the_flavia_tables_own_columns():
    # the table carries its own derived columns: ours, computed from the five basic measurements, must
    # equal them. The table stores about 7 significant digits, so 1e-6 relative (measured: 2e-8 at most)
    from ml52.datasets import flavia

    df = flavia()
    F = leaf_shape_features(*(df[c].to_numpy() for c in BASIC))
    for name in TABLE_COLUMNS:
        np.testing.assert_allclose(F[name], df[name].to_numpy(), rtol=1e-6, err_msg=name)
    # and every shape feature is scale-free: the same leaf twice as large (lengths x2, area x4) gives the
    # same numbers, the size (equivalent diameter) doubles
    D, A, P, L, W = (df[c].to_numpy() for c in BASIC)
    G = leaf_shape_features(2 * D, 4 * A, 2 * P, 2 * L, 2 * W)
    for name in F:
        factor = 2.0 if name == "equivalent_diameter" else 1.0
        np.testing.assert_allclose(G[name], factor * F[name], rtol=1e-12, err_msg=name)
