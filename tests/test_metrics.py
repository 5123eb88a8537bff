"""ml52's metrics and splits against sklearn.metrics / sklearn.model_selection.

Tolerances: counts (confusion matrices, fold membership) must be exactly equal. Floats are compared at
1e-12: both sides do the same few divisions and sums, so they agree to a few ulps, and 1e-12 leaves room
only for summation order.
"""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
import sklearn.model_selection as skms

from ml52.evaluation import metrics as m
from ml52.evaluation.splits import KFold, StratifiedKFold

FLOAT = dict(rtol=1e-12, atol=1e-12)      # for np.testing
APPROX = dict(rel=1e-12, abs=1e-12)      # the same, for pytest.approx


def random_labels(rng, n, K=2):
    y = rng.integers(0, K, n)
    pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, K, n))
    return y, pred


def test_hand_computed_confusion():
    # truth 1 1 1 0 0, predicted 1 0 1 1 0: TP=2, FN=1, FP=1, TN=1
    y, pred = [1, 1, 1, 0, 0], [1, 0, 1, 1, 0]
    assert m.confusion_matrix(y, pred).tolist() == [[1, 1], [1, 2]]
    assert m.accuracy_score(y, pred) == 3 / 5
    assert m.precision_score(y, pred) == 2 / 3
    assert m.recall_score(y, pred) == 2 / 3
    assert m.f1_score(y, pred) == pytest.approx(2 / 3, abs=1e-15)


def test_classification_metrics_equal_sklearn_on_random_cases():
    rng = np.random.default_rng(0)
    for trial in range(60):
        n, K = int(rng.integers(1, 60)), int(rng.integers(2, 5))
        y, pred = random_labels(rng, n, K)
        labels = np.arange(K)
        assert np.array_equal(m.confusion_matrix(y, pred, labels=labels),
                              skm.confusion_matrix(y, pred, labels=labels))
        assert np.array_equal(m.confusion_matrix(y, pred), skm.confusion_matrix(y, pred))
        assert m.accuracy_score(y, pred) == pytest.approx(skm.accuracy_score(y, pred), **APPROX)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")               # sklearn warns where a ratio is 0/0
            averages = ["macro", "micro", "weighted"] + (["binary"] if set(np.union1d(y, pred).tolist()) <= {0, 1} else [])
            for average in averages:
                for ours, theirs in [(m.precision_score, skm.precision_score), (m.recall_score, skm.recall_score),
                                     (m.f1_score, skm.f1_score)]:
                    assert ours(y, pred, average=average) == pytest.approx(
                        theirs(y, pred, average=average), **APPROX), (ours.__name__, average, y, pred)


def test_string_labels_and_pos_label():
    y, pred = ["yes", "no", "no", "yes"], ["yes", "yes", "no", "no"]
    assert m.precision_score(y, pred, pos_label="yes") == skm.precision_score(y, pred, pos_label="yes")
    assert np.array_equal(m.confusion_matrix(y, pred), skm.confusion_matrix(y, pred))
    with pytest.raises(ValueError, match="pos_label"):
        m.precision_score(y, pred)


def test_edge_cases_match_sklearn():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # no positive predictions: precision and F1 are 0/0 -> 0, recall 0
        y, pred = [0, 1, 0, 1], [0, 0, 0, 0]
        for ours, theirs in [(m.precision_score, skm.precision_score), (m.recall_score, skm.recall_score),
                             (m.f1_score, skm.f1_score)]:
            assert ours(y, pred) == theirs(y, pred) == 0.0
        # a single class in y_true and y_pred
        y = pred = [1, 1, 1]
        assert np.array_equal(m.confusion_matrix(y, pred), skm.confusion_matrix(y, pred))
        assert m.f1_score(y, pred) == skm.f1_score(y, pred) == 1.0
        assert m.f1_score([0, 0], [0, 0]) == skm.f1_score([0, 0], [0, 0]) == 0.0
        # one class only: ROC AUC is undefined (NaN, with a warning), as in sklearn
        assert np.isnan(m.roc_auc_score([1, 1], [0.2, 0.3])) and np.isnan(skm.roc_auc_score([1, 1], [0.2, 0.3]))
        for ours, theirs in [(m.roc_curve, skm.roc_curve), (m.precision_recall_curve, skm.precision_recall_curve)]:
            for y in ([0, 0, 0], [1, 1, 1]):
                for a, b in zip(ours(y, [0.2, 0.3, 0.3]), theirs(y, [0.2, 0.3, 0.3])):
                    np.testing.assert_allclose(a, b, **FLOAT)
        # R² of a single example is undefined; of a constant truth, 1 if perfect else 0
        assert np.isnan(m.r2_score([1.0], [2.0])) and np.isnan(skm.r2_score([1.0], [2.0]))
        assert m.r2_score([3.0, 3.0], [3.0, 3.0]) == skm.r2_score([3.0, 3.0], [3.0, 3.0]) == 1.0
        assert m.r2_score([3.0, 3.0], [3.0, 2.0]) == skm.r2_score([3.0, 3.0], [3.0, 2.0]) == 0.0
    with pytest.warns(m.UndefinedMetricWarning):
        m.roc_auc_score([0, 0], [0.1, 0.2])
    # empty input and mismatched lengths: one clear error
    for f in [m.accuracy_score, m.precision_score, m.recall_score, m.f1_score, m.confusion_matrix,
              m.mean_squared_error, m.mean_absolute_error, m.r2_score, m.roc_curve, m.roc_auc_score,
              m.precision_recall_curve]:
        with pytest.raises(ValueError, match="empty"):
            f([], [])
        with pytest.raises(ValueError, match="shapes"):
            f([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="more than two"):
        m.f1_score([0, 1, 2], [0, 1, 1])


def test_regression_metrics_equal_sklearn():
    rng = np.random.default_rng(1)
    for trial in range(100):
        n = int(rng.integers(2, 50))
        y, pred = rng.normal(size=n) * 10, rng.normal(size=n) * 10
        for ours, theirs in [(m.mean_squared_error, skm.mean_squared_error),
                             (m.root_mean_squared_error, skm.root_mean_squared_error),
                             (m.mean_absolute_error, skm.mean_absolute_error), (m.r2_score, skm.r2_score)]:
            assert ours(y, pred) == pytest.approx(theirs(y, pred), **APPROX)


def test_curves_equal_sklearn_on_random_cases():
    rng = np.random.default_rng(2)
    for trial in range(80):
        n = int(rng.integers(2, 80))
        y = rng.integers(0, 2, n)
        if len(np.unique(y)) < 2:
            continue
        # rounded scores make ties, which both must group into one threshold
        score = np.round(rng.random(n) + 0.5 * y, int(rng.integers(1, 4)))
        for drop in (True, False):
            for a, b in zip(m.roc_curve(y, score, drop_intermediate=drop),
                            skm.roc_curve(y, score, drop_intermediate=drop)):
                np.testing.assert_allclose(a, b, **FLOAT)
            for a, b in zip(m.precision_recall_curve(y, score, drop_intermediate=drop),
                            skm.precision_recall_curve(y, score, drop_intermediate=drop)):
                np.testing.assert_allclose(a, b, **FLOAT)
        assert m.roc_auc_score(y, score) == pytest.approx(skm.roc_auc_score(y, score), **APPROX)
        assert m.average_precision_score(y, score) == pytest.approx(skm.average_precision_score(y, score), **APPROX)
        labels = np.where(y == 1, "buy", "no")
        assert m.roc_auc_score(labels, score, pos_label="buy") == pytest.approx(skm.roc_auc_score(y, score), **APPROX)


def test_auc_hand_computed_and_best_threshold():
    # perfect ranking -> 1; reversed -> 0; all tied -> 0.5 (ties count half)
    assert m.roc_auc_score([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert m.roc_auc_score([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert m.roc_auc_score([0, 0, 1, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert m.auc([0, 0.5, 1], [0, 1, 1]) == 0.75
    # scores 0.9(+) 0.8(-) 0.7(+) 0.1(-): cut at 0.7 catches both positives with one false alarm, F1 = 0.8
    threshold, f1 = m.best_f1_threshold([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])
    assert threshold == 0.7 and f1 == pytest.approx(0.8)
    # and it is the F1 of actually applying that cut, checked by brute force on random data
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    score = rng.random(300) + 0.3 * y
    threshold, f1 = m.best_f1_threshold(y, score)
    called = score[None, :] >= np.unique(score)[:, None]          # (thresholds, n)
    tp, fp, fn = (called & (y == 1)).sum(1), (called & (y == 0)).sum(1), (~called & (y == 1)).sum(1)
    brute = np.max(2 * tp / (2 * tp + fp + fn))
    assert f1 == pytest.approx(brute, **APPROX)
    assert skm.f1_score(y, score >= threshold) == pytest.approx(f1, **APPROX)


def test_kfold_equals_sklearn():
    for n in [5, 11, 100]:
        for k in [2, 3, 5]:
            ours, theirs = list(KFold(k).split(np.zeros(n))), list(skms.KFold(k).split(np.zeros(n)))
            assert len(ours) == len(theirs) == k
            for (a_train, a_test), (b_train, b_test) in zip(ours, theirs):
                assert np.array_equal(a_train, b_train) and np.array_equal(a_test, b_test)
    # shuffled: a partition with sklearn's fold sizes (membership comes from ml52's own seeded generator)
    folds = list(KFold(4, shuffle=True, random_state=0).split(np.zeros(10)))
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(10))
    assert [len(t) for _, t in folds] == [len(t) for _, t in skms.KFold(4).split(np.zeros(10))]
    with pytest.raises(ValueError):
        list(KFold(5).split(np.zeros(3)))


def test_stratified_kfold_equals_sklearn():
    rng = np.random.default_rng(4)
    for trial in range(100):
        n, k = int(rng.integers(30, 200)), int(rng.integers(2, 6))
        y = rng.choice(np.array(["no", "yes", "maybe"])[: int(rng.integers(2, 4))], size=n, p=None)
        X = np.zeros((n, 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")               # sklearn warns when a class is smaller than k
            theirs = list(skms.StratifiedKFold(k).split(X, y))
            shuffled = list(skms.StratifiedKFold(k, shuffle=True, random_state=0).split(X, y))
        for (a_train, a_test), (b_train, b_test) in zip(StratifiedKFold(k).split(X, y), theirs):
            assert np.array_equal(a_train, b_train) and np.array_equal(a_test, b_test)
        # shuffled: same size and class counts per fold as sklearn's, and a partition
        ours = list(StratifiedKFold(k, shuffle=True, random_state=0).split(X, y))
        assert sorted(np.concatenate([t for _, t in ours]).tolist()) == list(range(n))
        for (_, a_test), (_, b_test) in zip(ours, shuffled):
            for c in np.unique(y):
                assert np.sum(y[a_test] == c) == np.sum(y[b_test] == c)
    with pytest.raises(ValueError):
        list(StratifiedKFold(5).split(np.zeros(4), [0, 0, 1, 1]))
