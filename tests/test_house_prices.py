"""The house-prices lesson on real data: the bar at two seeds, and agreement with scikit-learn."""

import pytest

from ml52.lesson import run_lesson
from ml52.lessons import load


@pytest.mark.slow
@pytest.mark.parametrize("seed", [52, 7])
def test_bar_and_reference(seed, out_dir):
    result = run_lesson(load("house-prices"), seed=seed, out=out_dir)
    m, ref = result["metrics"], result["reference"]["metrics"]
    assert m["rmse_log"] <= 0.115, m
    assert result["passed"]
    assert m["r2"] > 0.9
    # the tolerances: coefficients to 1e-6 relative, test metrics to 1e-9
    assert m["max_rel_coef_diff"] <= 1e-6
    assert m["rmse_log"] == pytest.approx(ref["rmse_log"], abs=1e-9)
    assert m["r2"] == pytest.approx(ref["r2"], abs=1e-9)
    assert all(p.endswith(".png") for p in result["figures"])
