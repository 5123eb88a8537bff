"""How much does customer-purchase's test accuracy depend on the seed? (issue 3's bar: >= 0.80 at any seed)

For each seed it makes the lesson's split (OJ, 25% held out, stratified), chooses ccp_alpha by the
lesson's 5-fold cross-validation and scores the pruned tree on the test part, exactly as
`ml52 learn customer-purchase --seed S` does. Beside it: the best pruning of the same tree chosen on the
test part itself (an oracle no honest lesson may use) and scikit-learn's logistic regression, to show how
much of the spread is the 268-purchase test part rather than the tree.

    .venv/bin/python bench/customer_purchase_seeds.py [--seeds 40]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ml52.evaluation.splits import train_test_split
from ml52.lessons.customer_purchase import choose_alpha, load_oj

BAR = 0.80


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40, help="seeds 0..N-1 (default 40)")
    args = parser.parse_args()
    X, y, _ = load_oj()
    rows = {"lesson (CV-pruned CART)": [], "oracle pruning (chosen on test)": [], "logistic regression": []}
    for seed in range(args.seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=seed, stratify=y)
        full, alphas, _, best = choose_alpha(X_tr, y_tr, "gini", 5, seed)
        test_accuracy = [np.mean(full.pruned(float(a)).predict(X_te) == y_te) for a in alphas]
        rows["lesson (CV-pruned CART)"].append(test_accuracy[best])
        rows["oracle pruning (chosen on test)"].append(max(test_accuracy))
        logit = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_tr, y_tr)
        rows["logistic regression"].append(np.mean(logit.predict(X_te) == y_te))
    print(f"OJ test accuracy over seeds 0..{args.seeds - 1} ({len(y_te)} test purchases per seed)")
    print(f"{'model':34s} {'min':>6s} {'mean':>6s} {'max':>6s}  seeds below {BAR}")
    for name, values in rows.items():
        v = np.asarray(values)
        print(f"{name:34s} {v.min():6.3f} {v.mean():6.3f} {v.max():6.3f}  {int((v < BAR).sum())}/{len(v)}")


if __name__ == "__main__":
    main()
