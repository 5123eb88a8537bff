"""Model evaluation: metrics that say how good a model is, and splits that keep the test honest."""
