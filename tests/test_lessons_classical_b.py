"""The taste-groups, image-compression and leaf-species lessons meet their bars on real data.

Each runs the real lesson through `run_lesson` (as `ml52 learn` does) with a fixed seed; the bars are the
lesson's own. Figures go to pytest's tmp_path.
"""

import dataclasses
import importlib

import pytest

from ml52.errors import UserError
from ml52.lesson import run_lesson


def lesson(name):
    return importlib.import_module(f"ml52.lessons.{name}").LESSON


def check(result, keys):
    assert set(result["metrics"]) == set(keys)
    failed = [b for b in result["bars"] if not b["passed"]]
    assert not failed, (failed, result["metrics"])
    assert result["passed"]
    for path in result["figures"]:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [52, 7])
def test_taste_groups_bar(tmp_path, seed):
    r = run_lesson(lesson("taste_groups"), seed=seed, out=tmp_path)
    check(r, {"inertia_ratio", "silhouette"})
    # the groups are real: clearly better than a random assignment of the same people
    assert r["metrics"]["silhouette"] > r["reference"]["metrics"]["random_silhouette"] + 0.05
    assert any("favourites" in n for n in r["notes"])


@pytest.mark.slow
def test_image_compression_bar(tmp_path):
    # the lesson is deterministic (an SVD, rounding and fixed codecs): one seed is enough
    r = run_lesson(lesson("image_compression"), seed=52, out=tmp_path)
    check(r, {"psnr", "compression_ratio", "jpeg_psnr"})
    m, ref = r["metrics"], r["reference"]["metrics"]
    # the same codec on scikit-learn's PCA: the same directions (to 1e-8), so the same file and picture
    assert m["compression_ratio"] == pytest.approx(ref["compression_ratio"], rel=1e-3)
    assert m["psnr"] == pytest.approx(ref["psnr"], abs=0.01)
    assert m["jpeg_psnr"] > m["psnr"]        # JPEG wins at equal size, and the lesson says so


def test_image_compression_bad_options(tmp_path):
    L = lesson("image_compression")
    for bad in ({"components": 0}, {"components": 500}, {"step": 0.0}, {"photo": "no_such_photo"}):
        with pytest.raises(UserError):
            run_lesson(L, out=tmp_path, options=dataclasses.replace(L.options(), **bad))


def test_taste_groups_bad_options(tmp_path):
    L = lesson("taste_groups")
    for bad in ({"groups": 1}, {"dims": 400}, {"n_init": 0}):
        with pytest.raises(UserError):
            run_lesson(L, out=tmp_path, options=dataclasses.replace(L.options(), **bad))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [52, 7])
def test_leaf_species_bar(tmp_path, seed):
    r = run_lesson(lesson("leaf_species"), seed=seed, out=tmp_path)
    check(r, {"raw_accuracy", "engineered_accuracy", "accuracy_gain"})
    assert any("largest relative difference" in n for n in r["notes"])


def test_leaf_species_pipeline_agrees_with_sklearn():
    # own scaler + products + logistic regression against scikit-learn's on the lesson's 5 folds: the
    # same objective and the same L-BFGS step budget, so at most a few of 1907 leaves may flip: 0.005
    import numpy as np
    from sklearn import linear_model, preprocessing

    from ml52.datasets import flavia
    from ml52.features.leaf_shape import BASIC, leaf_shape_features
    from ml52.features.polynomial import PolynomialFeatures
    from ml52.features.scaling import StandardScaler
    from ml52.lessons.leaf_species import cv_accuracy
    from ml52.supervised.logistic import LogisticRegression

    df = flavia()
    y = df["species"].to_numpy()
    D, A, P, L, W = (df[c].to_numpy(dtype=float) for c in BASIC)
    F = leaf_shape_features(D, A, P, L, W)
    shape = np.column_stack([F[n] for n in F if n != "equivalent_diameter"] + [np.log(A)])
    own = cv_accuracy(shape, y, 5, lambda: LogisticRegression(C=30.0), lambda: [
        StandardScaler(), PolynomialFeatures(2, include_bias=False), StandardScaler()], seed=52)
    ref = cv_accuracy(shape, y, 5, lambda: linear_model.LogisticRegression(C=30.0), lambda: [
        preprocessing.StandardScaler(), preprocessing.PolynomialFeatures(2, include_bias=False),
        preprocessing.StandardScaler()], seed=52)
    assert own >= 0.75
    assert own == pytest.approx(ref, abs=0.005)


def test_leaf_species_bad_options(tmp_path):
    L = lesson("leaf_species")
    for bad in ({"folds": 1}, {"C": 0.0}, {"max_iter": 0}):
        with pytest.raises(UserError):
            run_lesson(L, out=tmp_path, options=dataclasses.replace(L.options(), **bad))
