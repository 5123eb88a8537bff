"""The customer-purchase and model-evaluation lessons: bars on real held-out data, agreement with sklearn."""

import subprocess
import sys

import pytest

from ml52.errors import UserError
from ml52.lesson import run_lesson
from ml52.lessons import SLUGS, load


@pytest.mark.parametrize("slug", ["customer-purchase", "model-evaluation"])
def test_registered_and_light_to_import(slug):
    assert slug in SLUGS
    module = "ml52.lessons." + slug.replace("-", "_")
    code = f"import sys, {module}; print(sorted(m for m in ('numpy', 'sklearn', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# OJ's test part is 268 purchases, so one seed's accuracy has a standard error of about 0.023 around the
# tree's mean of 0.81-0.82: over seeds 0-39, 28 of 40 reach the 0.80 bar (even the pruning that is best on
# the test part itself reaches it at 36 of 40, logistic regression at 38). The test checks the default seed
# and seed 0, the first seed; both are above the bar by more than one point.
@pytest.mark.slow
@pytest.mark.parametrize("seed", [52, 0])
def test_customer_purchase_bar(tmp_path, seed):
    result = run_lesson(load("customer-purchase"), seed=seed, out=tmp_path)
    m = result["metrics"]
    assert result["passed"], m
    assert m["accuracy"] >= 0.80
    # pruning helps: the unpruned tree memorises, the majority class is far below
    assert m["accuracy"] > m["unpruned_accuracy"] and m["leaves"] < m["unpruned_leaves"] / 5
    assert m["majority_accuracy"] < 0.65
    # scikit-learn's tree with the same alpha: test accuracy within 1 point (the tolerance; OJ has
    # tied values, where the two may pick different but equally good cuts)
    assert abs(m["accuracy"] - result["reference"]["metrics"]["accuracy"]) <= 0.01
    assert m["sklearn_agreement"] >= 0.98
    assert any("LoyalCH" in line for line in result["notes"])   # the rules name the features
    assert all((tmp_path / "customer-purchase" / f).stat().st_size > 0 for f in ("tree.png", "overfitting.png"))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [52, 1])
def test_model_evaluation_bar(tmp_path, seed):
    result = run_lesson(load("model-evaluation"), seed=seed, out=tmp_path)
    m = result["metrics"]
    assert set(m) >= {"accuracy", "precision", "recall", "f1", "baseline_accuracy"}
    assert result["passed"], m
    assert m["f1"] >= 0.18
    # accuracy lies: "nobody buys" is about 94% accurate; the model at threshold 0.5 finds almost nobody
    assert 0.93 <= m["baseline_accuracy"] <= 0.95
    assert m["f1_at_half"] < 0.1 < m["f1"]
    # ml52's metrics equal sklearn.metrics on the same predictions (1e-12: the same few divisions)
    assert m["metrics_max_difference"] <= 1e-12
    for key in ("accuracy", "precision", "recall", "f1", "auc"):
        assert m[key] == pytest.approx(result["reference"]["metrics"][key], abs=1e-12)
    assert all((tmp_path / "model-evaluation" / f).stat().st_size > 0 for f in ("confusion.png", "curves.png"))


@pytest.mark.parametrize("slug, bad", [
    ("customer-purchase", dict(criterion="log_loss")),
    ("customer-purchase", dict(folds=1)),
    ("model-evaluation", dict(C=0.0)),
    ("model-evaluation", dict(test_size=0.9)),
])
def test_bad_options_are_user_errors(tmp_path, slug, bad):
    lesson = load(slug)
    with pytest.raises(UserError):
        run_lesson(lesson, out=tmp_path, options=lesson.options(**bad))
