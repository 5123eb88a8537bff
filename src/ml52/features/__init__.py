"""Feature engineering: turning raw measurements into inputs a model can use."""


def input_names(estimator, input_features=None) -> list:
    """The names of the columns a fitted transformer saw: the given ones, the fitted DataFrame's, or x0, x1, ...

    The same rule as scikit-learn's `get_feature_names_out`; a list of the wrong length is an error.
    """
    if input_features is None:
        input_features = getattr(estimator, "feature_names_in_", None)
        if input_features is None:
            return [f"x{i}" for i in range(estimator.n_features_in_)]
    if len(input_features) != estimator.n_features_in_:
        raise ValueError(f"input_features has {len(input_features)} names, expected {estimator.n_features_in_}")
    return list(input_features)
