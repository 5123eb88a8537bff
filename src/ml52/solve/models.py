"""Which ideas fit the problem, and which of them works best on it: cross-validated, against a baseline.

For a numeric target (regression): least squares, ridge and the lasso with their penalty chosen by an
inner validation split, a regression tree and a feedforward network. For a categorical target
(classification): logistic regression, a decision tree and a feedforward network. Every one is ml52's own
implementation. Each is judged by k-fold cross-validation (stratified for classes; ISLP §5.1.3, Kohavi
1995), the feature pipeline refitted inside every fold so that no fold sees its validation rows, and
compared with a trivial baseline (the training mean; the most frequent class). When the classes are
imbalanced, a model's class probabilities are divided by the class shares before the class is picked,
p(k|x)/π_k, which is the decision that weighting every class equally would make (Elkan 2001, "The
foundations of cost-sensitive learning"). The most important columns of the best model are those whose
shuffling hurts its held-out score most (permutation importance, Breiman 2001, "Random forests", §10).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ml52.evaluation import metrics as M
from ml52.evaluation.splits import KFold, StratifiedKFold
from ml52.neural.mlp import MLPClassifier
from ml52.solve.estimators import MLPRegressor, RegressionTree
from ml52.solve.pipeline import TablePipeline
from ml52.supervised.lasso import alpha_max, lasso_path
from ml52.supervised.linear import LinearRegression, ridge_cv
from ml52.supervised.logistic import LogisticRegression
from ml52.supervised.tree import DecisionTreeClassifier

MAX_CV_ROWS = 10_000      # bigger tables are cross-validated on a random sample of this many rows
TREE_ROWS = 20_000        # a tree (at most 256 leaves) learns the final model from at most this many rows
IMPORTANCE_ROWS = 2_000   # held-out rows used to measure permutation importance
STEPS = 1_500             # gradient steps a network takes on a big table (at most 100 epochs on a small one)


# --- models with a penalty chosen on the training part only -------------------------------------------------

def _inner_folds(n: int, seed: int, k: int = 3):
    return list(KFold(k, shuffle=True, random_state=seed).split(np.arange(n)))


class ChosenRidge:
    """Ridge regression whose α is chosen by 3-fold cross-validation inside the training rows."""

    ALPHAS = np.logspace(-3, 4, 30)

    def __init__(self, seed: int):
        self.seed = seed

    def fit(self, X, y):
        self.alpha_, _ = ridge_cv(X, y, self.ALPHAS * len(y), _inner_folds(len(y), self.seed))
        self.model_ = LinearRegression(alpha=self.alpha_).fit(X, y)
        return self

    def predict(self, X):
        return self.model_.predict(X)


class ChosenLasso:
    """The lasso whose α is chosen on a held-out third of the training rows, then refitted on all of them."""

    def __init__(self, seed: int):
        self.seed = seed

    def fit(self, X, y):
        train, val = _inner_folds(len(y), self.seed)[0]
        # 10 penalties from α_max (every coefficient 0) down to α_max / 100 (smaller ones cost many more
        # sweeps and are close to ridge and least squares, which are candidates of their own)
        alphas = alpha_max(X[train], y[train]) * np.logspace(0, -2, 10)
        W, b = lasso_path(X[train], y[train], alphas, tol=1e-3)
        mse = np.mean((X[val] @ W.T + b - y[val, None]) ** 2, axis=0)            # (alphas,)
        best = int(np.argmin(mse))
        self.alpha_ = float(alphas[best])
        W, b = lasso_path(X, y, alphas[:best + 1], tol=1e-3)                     # warm-started down to α
        self.coef_, self.intercept_ = W[-1], float(b[-1])
        return self

    def predict(self, X):
        return X @ self.coef_ + self.intercept_


class MeanBaseline:
    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


class MajorityBaseline:
    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        self.share_ = counts / counts.sum()
        return self

    def predict_proba(self, X):
        return np.tile(self.share_, (len(X), 1))


class LogTarget:
    """Fit a regressor on log(y) and predict exp of its answer: for a positive, right-skewed target."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y):
        self.model.fit(X, np.log(y))
        return self

    def predict(self, X):
        # exp of a wild extrapolation would overflow: clip the log to a generous range first
        return np.exp(np.clip(self.model.predict(X), -700, 700))


# --- the candidates ----------------------------------------------------------------------------------------

@dataclass
class Candidate:
    name: str
    idea: str                                  # one line in plain words
    make: Callable[[int, int], object]         # (seed, rows) -> an unfitted model
    max_rows: int | None = None                # cap on rows for the final fit (slow learners)
    single_thread: bool = False                # many small matrix products: one BLAS thread is fastest


def _epochs(rows: int, batch: int = 128) -> int:
    return int(np.clip(np.ceil(STEPS * batch / max(rows, 1)), 3, 100))


def candidates(task: str) -> list[Candidate]:
    if task == "regression":
        return [
            Candidate("baseline: mean", "always predict the training mean", lambda s, n: MeanBaseline()),
            Candidate("least squares", "the best straight-line fit", lambda s, n: LinearRegression()),
            Candidate("ridge", "least squares with a penalty on large coefficients (chosen by CV)",
                      lambda s, n: ChosenRidge(s)),
            Candidate("lasso", "least squares with an L1 penalty that switches features off",
                      lambda s, n: ChosenLasso(s)),
            Candidate("regression tree", "yes/no questions on the features, a mean in each leaf",
                      lambda s, n: RegressionTree(max_depth=8, min_samples_leaf=10), TREE_ROWS),
            Candidate("feedforward network", "one hidden layer of 64 ReLU units, trained with Adam",
                      lambda s, n: MLPRegressor((64,), epochs=_epochs(n), random_state=s), None, True),
        ]
    return [
        Candidate("baseline: most frequent class", "always answer the most common class",
                  lambda s, n: MajorityBaseline()),
        Candidate("logistic regression", "a linear score turned into class probabilities",
                  lambda s, n: LogisticRegression(C=1.0, max_iter=300)),
        Candidate("decision tree", "a flow chart of yes/no questions learned from the data",
                  lambda s, n: DecisionTreeClassifier(max_depth=8, min_samples_leaf=5), TREE_ROWS),
        Candidate("feedforward network", "one hidden layer of 64 ReLU units, trained with Adam",
                  lambda s, n: MLPClassifier((64,), learning_rate=3e-3, epochs=_epochs(n), weight_decay=1e-4,
                                             random_state=s), None, True),
    ]


# --- fitting and scoring -----------------------------------------------------------------------------------

@dataclass
class Fitted:
    """A feature pipeline and a model fitted together: what `ml52 predict` applies to new rows."""

    pipeline: TablePipeline
    model: object
    task: str
    classes: np.ndarray | None = None          # class labels (classification)
    priors: np.ndarray | None = None           # training class shares, when dividing by them
    target_log: bool = False

    def proba(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(X)

    def decide(self, P: np.ndarray) -> np.ndarray:
        """The class of each row from its probabilities (n, K): argmax p_k, or argmax p_k / π_k."""
        score = P / self.priors if self.priors is not None else P
        return self.classes[np.argmax(score, axis=1)]

    def predict_matrix(self, X: np.ndarray):
        if self.task == "regression":
            return self.model.predict(X), None
        P = self.proba(X)
        return self.decide(P), P

    def predict(self, df: pd.DataFrame):
        return self.predict_matrix(self.pipeline.transform(df))


def fit(cand: Candidate, df: pd.DataFrame, y: np.ndarray, kinds: dict, task: str, seed: int,
        imbalanced: bool, target_log: bool, pipe: TablePipeline | None = None, X: np.ndarray | None = None) -> Fitted:
    """Fit the feature pipeline (unless given, with its features X) and the candidate's model."""
    if pipe is None:
        pipe = TablePipeline(kinds).fit(df)
        X = pipe.transform(df)
    model = cand.make(seed, len(X))
    if task == "regression" and target_log and not isinstance(model, MeanBaseline):
        model = LogTarget(model)
    with threadpool_limits(1 if cand.single_thread else None):
        model.fit(X, y)
    classes = priors = None
    if task == "classification":
        classes = model.classes_
        if imbalanced:
            priors = np.array([np.mean(y == c) for c in classes])
    return Fitted(pipe, model, task, classes, priors, target_log)


def score(task: str, y: np.ndarray, pred: np.ndarray, P: np.ndarray | None, classes, positive,
          log: bool = False) -> dict:
    """The metrics that fit the task, for true y and predictions (P: class probabilities).

    log: add the RMSE of log(y) (for a positive target learned on the log scale)."""
    if task == "regression":
        out = {"rmse": M.root_mean_squared_error(y, pred), "mae": M.mean_absolute_error(y, pred),
               "r2": M.r2_score(y, pred)}
        if log:
            # RMSE of log(y): a relative error, not dominated by the few largest values
            out["rmse_log"] = M.root_mean_squared_error(np.log(y), np.log(np.maximum(pred, 1e-300)))
        return out
    out = {"accuracy": M.accuracy_score(y, pred),
           # balanced accuracy = mean recall over the classes: every class counts the same
           "balanced_accuracy": M.recall_score(y, pred, average="macro"),
           "f1_macro": M.f1_score(y, pred, average="macro")}
    if positive is not None and len(np.unique(y)) == 2:
        k = int(np.flatnonzero(np.asarray(classes) == positive)[0])
        out["roc_auc"] = M.roc_auc_score((y == positive).astype(int), P[:, k], pos_label=1)
    return out


@dataclass
class Result:
    name: str
    idea: str
    folds: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    oof: np.ndarray | None = None              # out-of-fold predictions, (n,)
    last: Fitted | None = None                 # the model of the last fold
    last_val: np.ndarray | None = None         # that fold's validation rows

    def mean(self, metric: str) -> float:
        return float(np.mean([f[metric] for f in self.folds]))

    def sd(self, metric: str) -> float:
        return float(np.std([f[metric] for f in self.folds]))


def cross_validate(df: pd.DataFrame, y: np.ndarray, kinds: dict, task: str, seed: int, imbalanced: bool,
                   target_log: bool, positive, progress=lambda msg: None) -> tuple[list[Result], np.ndarray]:
    """Every candidate on the same folds; returns the results and the rows used (a sample if the table is big)."""
    rng = np.random.default_rng(seed)
    rows = np.arange(len(y))
    if len(y) > MAX_CV_ROWS:
        rows = np.sort(rng.choice(len(y), MAX_CV_ROWS, replace=False))
        if task == "classification":                      # keep every class, even a rare one
            for c in np.unique(y):
                missing = np.setdiff1d(np.flatnonzero(y == c)[:2], rows)
                rows = np.union1d(rows, missing)
    dfs, ys = df.iloc[rows].reset_index(drop=True), y[rows]
    if task == "classification":
        k = int(min(5, np.unique(ys, return_counts=True)[1].min()))
        splitter = StratifiedKFold(k, shuffle=True, random_state=seed)
    else:
        splitter = KFold(5, shuffle=True, random_state=seed)
    folds = list(splitter.split(np.zeros(len(ys)), ys))
    progress("fitting the feature pipeline in each fold")
    prepared = []                                         # one pipeline per fold, shared by every candidate
    for train, val in folds:
        pipe = TablePipeline(kinds).fit(dfs.iloc[train])
        prepared.append((pipe, pipe.transform(dfs.iloc[train]), pipe.transform(dfs.iloc[val])))
    results = []
    for cand in candidates(task):
        res = Result(cand.name, cand.idea, oof=np.empty(len(ys), dtype=ys.dtype))
        progress(f"cross-validating {cand.name}")
        t0 = time.perf_counter()
        for i, ((train, val), (pipe, X_train, X_val)) in enumerate(zip(folds, prepared)):
            fitted = fit(cand, None, ys[train], kinds, task, seed + i, imbalanced, target_log, pipe, X_train)
            pred, P = fitted.predict_matrix(X_val)
            res.oof[val] = pred
            res.folds.append(score(task, ys[val], pred, P, fitted.classes, positive, target_log))
            res.last, res.last_val = fitted, val
        res.seconds = time.perf_counter() - t0
        results.append(res)
    return results, rows


def permutation_importance(fitted: Fitted, df: pd.DataFrame, y: np.ndarray, metric: str, higher_better: bool,
                           positive, seed: int) -> list[tuple[str, float]]:
    """(column, drop in the held-out metric when that column's values are shuffled), largest first."""
    rng = np.random.default_rng(seed)
    if len(y) > IMPORTANCE_ROWS:
        keep = rng.choice(len(y), IMPORTANCE_ROWS, replace=False)
        df, y = df.iloc[keep], y[keep]
    pipe = fitted.pipeline
    X = pipe.transform(df)
    base = score(fitted.task, y, *fitted.predict_matrix(X), fitted.classes, positive, fitted.target_log)[metric]
    drops = []
    for g, column in enumerate(pipe.columns_):
        cols = np.flatnonzero(pipe.groups_ == g)
        if cols.size == 0:
            continue
        Xp = X.copy()
        Xp[:, cols] = X[rng.permutation(len(X))][:, cols]  # shuffle the column's block, rows kept together
        s = score(fitted.task, y, *fitted.predict_matrix(Xp), fitted.classes, positive, fitted.target_log)[metric]
        drops.append((column, (base - s) if higher_better else (s - base)))
    return sorted(drops, key=lambda t: -t[1])
