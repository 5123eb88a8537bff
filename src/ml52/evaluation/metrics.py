"""Metrics: how good predictions are, in numbers. Same definitions (and edge cases) as `sklearn.metrics`.

Classification: accuracy counts hits; the confusion matrix splits them by class; precision ("of those I
called yes, how many were?"), recall ("of the real yeses, how many did I find?") and F1 (their harmonic
mean) are what matter when one class is rare (ISLP section 4.4.2, table 4.6). Curves: sweep the decision
threshold over the scores to trace the ROC curve (Fawcett 2006, "An introduction to ROC analysis") and the
precision-recall curve. Regression: MSE, MAE and R² (ISLP section 3.1.3).

Where a ratio has a zero denominator (no positive predictions), it is 0, as scikit-learn's default
`zero_division` gives; where a curve or AUC is undefined (one class only), it is NaN with a warning.
Empty input raises a clear ValueError.
"""

from __future__ import annotations

import warnings

import numpy as np


class UndefinedMetricWarning(UserWarning):
    """A metric is not defined for this input (e.g. ROC AUC with one class only)."""


def _pair(y_true, y_pred, dtype=float):
    y_true, y_pred = np.asarray(y_true, dtype=dtype), np.asarray(y_pred, dtype=dtype)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred have different shapes {y_true.shape} and {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("cannot score an empty set of predictions")
    return y_true, y_pred


# --- regression --------------------------------------------------------------------------------------------

def mean_squared_error(y_true, y_pred) -> float:
    """MSE = mean((y - ŷ)²)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def root_mean_squared_error(y_true, y_pred) -> float:
    return float(np.sqrt(mean_squared_error(y_true, y_pred)))


def mean_absolute_error(y_true, y_pred) -> float:
    """MAE = mean(|y - ŷ|)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def r2_score(y_true, y_pred) -> float:
    """R² = 1 - Σ(y - ŷ)² / Σ(y - ȳ)²: the share of the variance the model explains."""
    y_true, y_pred = _pair(y_true, y_pred)
    if y_true.size < 2:
        warnings.warn("R² is not defined for fewer than two examples", UndefinedMetricWarning)
        return float("nan")
    ss_res = np.sum((y_true - y_pred) ** 2)
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    if ss_tot == 0:                                       # constant truth: perfect or nothing
        return 1.0 if ss_res == 0 else 0.0
    return float(1.0 - ss_res / ss_tot)


# --- classification: counts -------------------------------------------------------------------------------

def accuracy_score(y_true, y_pred) -> float:
    """The share of predictions that are right."""
    y_true, y_pred = _pair(y_true, y_pred, dtype=None)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, labels=None) -> np.ndarray:
    """C[i, j] = how many examples of class labels[i] were predicted as labels[j] (rows: truth)."""
    y_true, y_pred = _pair(y_true, y_pred, dtype=None)
    labels = np.union1d(y_true, y_pred) if labels is None else np.asarray(labels)
    index = {label: i for i, label in enumerate(labels.tolist())}
    K = len(labels)
    t = np.array([index.get(v, -1) for v in y_true.tolist()])
    p = np.array([index.get(v, -1) for v in y_pred.tolist()])
    known = (t >= 0) & (p >= 0)                           # pairs outside `labels` are not counted
    return np.bincount(t[known] * K + p[known], minlength=K * K).reshape(K, K)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, and 0 where den is 0 (scikit-learn's default zero_division)."""
    return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def _counts(y_true, y_pred, pos_label, average):
    """True positives, predicted positives and real positives per class (or summed for micro)."""
    y_true, y_pred = _pair(y_true, y_pred, dtype=None)
    labels = np.union1d(y_true, y_pred)
    if average == "binary":
        if len(labels) > 2:
            raise ValueError("the targets have more than two classes: choose average='macro', "
                             "'micro' or 'weighted'")
        if pos_label not in labels.tolist() and len(labels) == 2:
            raise ValueError(f"pos_label={pos_label!r} is not one of the labels {labels.tolist()}")
        labels = np.array([pos_label])
    elif average not in ("macro", "micro", "weighted"):
        raise ValueError(f"average must be 'binary', 'macro', 'micro' or 'weighted', got {average!r}")
    hits = y_true == y_pred
    tp = np.array([np.sum(hits & (y_true == c)) for c in labels], dtype=float)
    predicted = np.array([np.sum(y_pred == c) for c in labels], dtype=float)
    actual = np.array([np.sum(y_true == c) for c in labels], dtype=float)
    if average == "micro":
        tp, predicted, actual = tp.sum(keepdims=True), predicted.sum(keepdims=True), actual.sum(keepdims=True)
    return tp, predicted, actual


def _average(per_class: np.ndarray, actual: np.ndarray, average: str) -> float:
    if average == "weighted":
        return float(np.sum(per_class * actual) / actual.sum()) if actual.sum() > 0 else 0.0
    return float(np.mean(per_class))


def precision_score(y_true, y_pred, pos_label=1, average: str = "binary") -> float:
    """precision = TP / (TP + FP): of the examples called positive, the share that are."""
    tp, predicted, actual = _counts(y_true, y_pred, pos_label, average)
    return _average(_ratio(tp, predicted), actual, average)


def recall_score(y_true, y_pred, pos_label=1, average: str = "binary") -> float:
    """recall = TP / (TP + FN): of the real positives, the share that were found."""
    tp, predicted, actual = _counts(y_true, y_pred, pos_label, average)
    return _average(_ratio(tp, actual), actual, average)


def f1_score(y_true, y_pred, pos_label=1, average: str = "binary") -> float:
    """F1 = 2·TP / (2·TP + FP + FN): the harmonic mean of precision and recall."""
    tp, predicted, actual = _counts(y_true, y_pred, pos_label, average)
    return _average(_ratio(2 * tp, predicted + actual), actual, average)


# --- classification: scores and thresholds ----------------------------------------------------------------

def _scored(y_true, y_score, pos_label):
    y_true, y_score = _pair(y_true, y_score, dtype=None)
    y_score = y_score.astype(float)
    labels = np.unique(y_true)
    if len(labels) > 2:
        raise ValueError(f"a curve needs two classes; y_true has {len(labels)}")
    if pos_label is None:
        if not (set(labels.tolist()) <= {0, 1} or set(labels.tolist()) <= {-1, 1}):
            raise ValueError(f"y_true has labels {labels.tolist()}: say which is positive with pos_label")
        pos_label = 1
    return (y_true == pos_label).astype(float), y_score


def confusion_at_thresholds(y_true, y_score, pos_label=None):
    """False and true positives when calling "positive" every score >= t, for each distinct score t.

    Returns (fps, tps, thresholds), thresholds decreasing: the counting behind both curves.
    """
    positive, y_score = _scored(y_true, y_score, pos_label)
    order = np.argsort(y_score, kind="mergesort")[::-1]   # highest score first
    y_score, positive = y_score[order], positive[order]
    # the last position of each run of equal scores: a threshold there takes in the whole run
    last = np.r_[np.flatnonzero(np.diff(y_score)), len(y_score) - 1]
    tps = np.cumsum(positive)[last]                       # positives at or above each threshold
    fps = 1 + last - tps                                  # the rest of those above are negatives
    return fps, tps, y_score[last]


def roc_curve(y_true, y_score, pos_label=None, drop_intermediate: bool = True):
    """(fpr, tpr, thresholds): false and true positive rates as the threshold falls from +inf.

    drop_intermediate leaves out points on straight stretches, which do not change the curve's shape.
    """
    fps, tps, thresholds = confusion_at_thresholds(y_true, y_score, pos_label)
    if drop_intermediate and len(fps) > 2:
        # keep a point only where the curve bends (a second difference is non-zero), and both ends
        bend = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[bend], tps[bend], thresholds[bend]
    # start at (0, 0) with a threshold nobody reaches
    fps, tps, thresholds = np.r_[0.0, fps], np.r_[0.0, tps], np.r_[np.inf, thresholds]
    if fps[-1] <= 0:
        warnings.warn("no negative examples in y_true: the false positive rate is undefined",
                      UndefinedMetricWarning)
        fpr = np.full(fps.shape, np.nan)
    else:
        fpr = fps / fps[-1]                               # FPR = FP / N
    if tps[-1] <= 0:
        warnings.warn("no positive examples in y_true: the true positive rate is undefined",
                      UndefinedMetricWarning)
        tpr = np.full(tps.shape, np.nan)
    else:
        tpr = tps / tps[-1]                               # TPR = TP / P (recall)
    return fpr, tpr, thresholds


def auc(x, y) -> float:
    """Area under the curve y(x) by the trapezoid rule; x must be increasing or decreasing."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape[0] < 2:
        raise ValueError(f"an area needs at least 2 points, got {x.shape[0]}")
    dx = np.diff(x)
    direction = 1.0
    if np.any(dx < 0):
        if not np.all(dx <= 0):
            raise ValueError("x is neither increasing nor decreasing")
        direction = -1.0
    # ∫ y dx ≈ Σ (x_{i+1} - x_i)·(y_i + y_{i+1}) / 2
    return float(direction * np.trapezoid(y, x))


def roc_auc_score(y_true, y_score, pos_label=None) -> float:
    """ROC AUC: the chance that a random positive scores above a random negative (ties count half)."""
    positive, _ = _scored(y_true, y_score, pos_label)
    if len(np.unique(positive)) != 2:
        warnings.warn("only one class in y_true: ROC AUC is not defined", UndefinedMetricWarning)
        return float("nan")
    fpr, tpr, _ = roc_curve(y_true, y_score, pos_label)
    return auc(fpr, tpr)


def precision_recall_curve(y_true, y_score, pos_label=None, drop_intermediate: bool = False):
    """(precision, recall, thresholds): recall falls to 0 at the end, where precision is set to 1.

    precision[i] and recall[i] are those of calling "positive" every score >= thresholds[i].
    """
    fps, tps, thresholds = confusion_at_thresholds(y_true, y_score, pos_label)
    if drop_intermediate and len(fps) > 2:
        # keep the first and last point of each run of equal TP (equal recall: a vertical stretch)
        keep = np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    precision = _ratio(tps, tps + fps)                    # TP / (TP + FP)
    if tps[-1] == 0:
        warnings.warn("no positive examples in y_true: recall is set to 1 for every threshold",
                      UndefinedMetricWarning)
        recall = np.ones_like(tps)
    else:
        recall = tps / tps[-1]                            # TP / P
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def average_precision_score(y_true, y_score, pos_label=None) -> float:
    """AP = Σ_n (R_n - R_{n-1})·P_n: precision averaged over the recall steps (no interpolation)."""
    precision, recall, _ = precision_recall_curve(y_true, y_score, pos_label)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def best_f1_threshold(y_true, y_score, pos_label=None) -> tuple[float, float]:
    """(threshold, F1): the score cut-off whose "positive if score >= threshold" has the highest F1."""
    precision, recall, thresholds = precision_recall_curve(y_true, y_score, pos_label)
    # F1 = 2PR / (P + R); the last point (recall 0) has no threshold
    f1 = _ratio(2 * precision[:-1] * recall[:-1], precision[:-1] + recall[:-1])
    best = int(np.argmax(f1))
    return float(thresholds[best]), float(f1[best])
