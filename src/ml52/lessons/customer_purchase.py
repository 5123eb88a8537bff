"""Lesson customer-purchase: a decision tree learns which orange juice a shopper will buy, and pruning
chosen by cross-validation keeps it from memorising the training shoppers (ISLP section 8.3.1, OJ data)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference

SHOWN_DEPTH = 3               # levels of the tree drawn and printed as rules


@dataclass
class Options:
    criterion: str = field(default="gini", metadata={"help": "impurity to split on: gini or entropy"})
    folds: int = field(default=5, metadata={"help": "cross-validation folds used to choose the pruning strength"})
    test_size: float = field(default=0.25, metadata={"help": "share of the purchases held out for the test"})


def load_oj():
    """OJ as (X (1070, 17) float, y labels 'CH'/'MM', feature names). Store7 Yes/No becomes 1/0."""
    import numpy as np

    from ml52.datasets import islp

    oj = islp("OJ")
    X = oj.drop(columns=["Purchase"])
    X["Store7"] = (X["Store7"] == "Yes").astype(float)
    return X.to_numpy(float), oj["Purchase"].astype(str).to_numpy(), list(X.columns)


def choose_alpha(X, y, criterion: str, folds: int, seed: int):
    """ccp_alpha by k-fold cross-validation (Breiman et al. 1984, section 3.4.2; ISLP algorithm 8.1).

    Candidates: 0 and the geometric means of neighbouring alphas on the full training tree's pruning path,
    so each candidate sits inside one step of the path. Each fold grows one full tree on the other folds
    and prunes it at every candidate (pruning never refits). Returns (alphas, mean CV accuracy per alpha,
    index of the best; on a tie the larger alpha, i.e. the smaller tree).
    """
    import numpy as np

    from ml52.evaluation.splits import StratifiedKFold
    from ml52.supervised.tree import DecisionTreeClassifier, prune, pruning_path

    full = DecisionTreeClassifier(criterion=criterion).fit(X, y)
    _, path_alphas, _ = pruning_path(full.tree_)
    # √(α_k α_{k+1}): a typical value inside the k-th step of the path
    alphas = np.r_[0.0, np.sqrt(path_alphas[1:-1] * path_alphas[2:])]
    scores = np.zeros((folds, len(alphas)))                     # (folds, candidates) validation accuracy
    for f, (train, valid) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y)):
        tree = DecisionTreeClassifier(criterion=criterion).fit(X[train], y[train])
        path = pruning_path(tree.tree_)
        for j, alpha in enumerate(alphas):
            pruned = prune(tree.tree_, alpha, path)             # the bare tree: no input checks per call
            scores[f, j] = np.mean(tree.classes_[pruned.predict_proba(X[valid]).argmax(axis=1)] == y[valid])
    mean = scores.mean(axis=0)
    best = int(np.flatnonzero(mean == mean.max())[-1])
    return full, alphas, mean, best


def best_time(fit, repeats: int = 3) -> float:
    """CPU seconds of the fastest of a few runs of `fit()` (single-threaded work: CPU time is what the wall
    clock shows on an idle machine, and other work on a busy one does not inflate it)."""
    import time

    times = []
    for _ in range(repeats):
        start = time.process_time()
        fit()
        times.append(time.process_time() - start)
    return min(times)


def run(ctx: Context) -> Outcome:
    import numpy as np
    from sklearn.tree import DecisionTreeClassifier as SkTree

    from ml52.errors import UserError
    from ml52.evaluation.metrics import accuracy_score
    from ml52.evaluation.splits import train_test_split
    from ml52.supervised.tree import DecisionTreeClassifier, prune, pruning_path, render

    opt = ctx.options or Options()
    if opt.criterion not in ("gini", "entropy"):
        raise UserError(f"--criterion must be gini or entropy, got '{opt.criterion}'")
    if not 2 <= opt.folds <= 20:
        raise UserError(f"--folds must be between 2 and 20, got {opt.folds}")
    if not 0.05 <= opt.test_size <= 0.5:
        raise UserError(f"--test-size must be between 0.05 and 0.5, got {opt.test_size}")

    X, y, names = load_oj()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=opt.test_size, seed=ctx.seed, stratify=y)
    ctx.progress(0.1, f"OJ: {len(y_train)} purchases to learn from, {len(y_test)} to test on")

    # ---- the idea: grow a full tree, then prune it back by cross-validation ---------------------
    full, alphas, cv_accuracy, best = choose_alpha(X_train, y_train, opt.criterion, opt.folds, ctx.seed)
    alpha = float(alphas[best])
    tree = full.pruned(alpha)
    ctx.progress(0.6, f"ccp_alpha={alpha:.4f} chosen by {opt.folds}-fold cross-validation")
    majority = max(set(y_train.tolist()), key=y_train.tolist().count)
    metrics = {
        "accuracy": accuracy_score(y_test, tree.predict(X_test)),
        "unpruned_accuracy": accuracy_score(y_test, full.predict(X_test)),
        "majority_accuracy": accuracy_score(y_test, np.full(len(y_test), majority)),
        "cv_accuracy": float(cv_accuracy[best]),
        "ccp_alpha": alpha,
        "leaves": tree.get_n_leaves(),
        "unpruned_leaves": full.get_n_leaves(),
    }

    # ---- the reference: scikit-learn's tree with the same settings and the same alpha ------------
    sk_settings = dict(criterion=opt.criterion, ccp_alpha=alpha, random_state=ctx.seed)
    ref = SkTree(**sk_settings).fit(X_train, y_train)
    metrics["sklearn_agreement"] = float(np.mean(ref.predict(X_test) == tree.predict(X_test)))
    own_seconds = best_time(lambda: DecisionTreeClassifier(criterion=opt.criterion, ccp_alpha=alpha).fit(X_train, y_train))
    ref_seconds = best_time(lambda: SkTree(**sk_settings).fit(X_train, y_train))
    metrics["time_ratio"] = own_seconds / ref_seconds
    reference = Reference(f"scikit-learn DecisionTreeClassifier(ccp_alpha={alpha:.4f})",
                          {"accuracy": accuracy_score(y_test, ref.predict(X_test)), "leaves": ref.get_n_leaves(),
                           "seconds_fit": ref_seconds})
    ctx.progress(0.75, "compared with scikit-learn; drawing")

    # ---- the overfitting curve: accuracy along the pruning path of the full tree ----------------
    path = pruning_path(full.tree_)
    curve = []                                                   # (leaves, train acc, test acc)
    for a in np.unique(path[1]):
        t = prune(full.tree_, float(a), path)
        curve.append((t.n_leaves, *(np.mean(full.classes_[t.predict_proba(X_).argmax(axis=1)] == y_)
                                    for X_, y_ in ((X_train, y_train), (X_test, y_test)))))
    cv_curve = [(prune(full.tree_, float(a), path).n_leaves, float(s)) for a, s in zip(alphas, cv_accuracy)]
    figures = [_draw_tree(ctx, tree, names), _draw_curve(ctx, curve, cv_curve, metrics)]

    importances = sorted(zip(tree.feature_importances_, names), reverse=True)[:3]
    notes = [
        f"unpruned tree: {metrics['unpruned_leaves']} leaves, test accuracy {metrics['unpruned_accuracy']:.3f} "
        f"(it memorises the training shoppers); always '{majority}': {metrics['majority_accuracy']:.3f}",
        f"pruned (ccp_alpha={alpha:.4f}, {opt.folds}-fold CV accuracy {metrics['cv_accuracy']:.3f}): "
        f"{metrics['leaves']} leaves, test accuracy {metrics['accuracy']:.3f}",
        "what matters most: " + ", ".join(f"{n} {v:.0%}" for v, n in importances if v > 0),
        f"scikit-learn's tree, same alpha: {reference.metrics['leaves']} leaves, test accuracy "
        f"{reference.metrics['accuracy']:.3f}; same prediction on {metrics['sklearn_agreement']:.1%} of the test "
        f"shoppers; fit {own_seconds * 1e3:.1f} ms vs {ref_seconds * 1e3:.1f} ms of CPU (ratio {metrics['time_ratio']:.1f}: "
        "NumPy per node against compiled Cython)",
        "the rules a shop would apply (CH = Citrus Hill, MM = Minute Maid):",
        *render(tree, names, max_depth=SHOWN_DEPTH).splitlines(),
    ]
    return Outcome(metrics=metrics, reference=reference, figures=figures, notes=notes)


def _draw_tree(ctx, tree, names):
    """The tree's top levels as boxes: the question at each node, the verdict and its share at each leaf."""
    from ml52.io import pyplot, save_figure
    from ml52.supervised.tree import LEAF

    plt = pyplot()
    t = tree.tree_
    fig, ax = plt.subplots(figsize=(12, 4.6))
    ax.axis("off")
    colours = {str(c): col for c, col in zip(tree.classes_, ("#f4a259", "#5b8e7d", "#8cb369", "#bc4b51"))}

    def box(node, x, y, width, depth):
        k = int(t.value[node].argmax())
        label = f"{tree.classes_[k]} {t.value[node, k]:.0%}\nof {t.n_node_samples[node]}"
        if t.children_left[node] == LEAF or depth == SHOWN_DEPTH:
            more = "" if t.children_left[node] == LEAF else "\n(more questions below)"
            ax.text(x, y, label + more, ha="center", va="center", fontsize=8,
                    bbox=dict(boxstyle="round", fc=colours[str(tree.classes_[k])], alpha=0.8))
            return
        ax.text(x, y, f"{names[t.feature[node]]} <= {t.threshold[node]:.3g}?\n{label}", ha="center",
                va="center", fontsize=8, bbox=dict(boxstyle="round", fc="white", ec="grey"))
        for child, dx, answer in ((t.children_left[node], -width / 4, "yes"), (t.children_right[node], width / 4, "no")):
            ax.annotate("", xy=(x + dx, y - 1), xytext=(x, y - 0.25), arrowprops=dict(arrowstyle="->", color="grey"))
            ax.text(x + dx / 2, y - 0.55, answer, fontsize=7, color="grey", ha="center")
            box(child, x + dx, y - 1, width / 2, depth + 1)

    box(0, 0.5, 0.0, 1.0, 0)
    ax.set(xlim=(-0.02, 1.02), ylim=(-SHOWN_DEPTH - 0.5, 0.5),
           title=f"the pruned tree's top {SHOWN_DEPTH} levels ({tree.get_n_leaves()} leaves in all)")
    return save_figure(fig, ctx.figure("tree.png"))


def _draw_curve(ctx, curve, cv_curve, metrics):
    from ml52.io import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    leaves, train, test = zip(*sorted(curve))                   # by size: each step holds until the next
    ax.step(leaves, train, where="post", label="training shoppers")
    ax.step(leaves, test, where="post", label="test shoppers")
    cv_leaves, cv = zip(*sorted(cv_curve))
    ax.plot(cv_leaves, cv, ".:", color="grey", label="cross-validation estimate")
    ax.axvline(metrics["leaves"], color="k", ls="--", lw=1, label=f"chosen: {metrics['leaves']} leaves")
    ax.axhline(metrics["majority_accuracy"], color="r", ls=":", lw=1, label="always the common brand")
    ax.set(xscale="log", xlabel="tree size (leaves)", ylabel="accuracy", ylim=(0.55, 1.01),
           title="bigger trees memorise: training accuracy climbs, test accuracy falls")
    ax.legend(fontsize=8)
    return save_figure(fig, ctx.figure("overfitting.png"))


LESSON = Lesson(
    slug="customer-purchase",
    concept="decision trees",
    algorithm="CART (gini/entropy) with minimal cost-complexity pruning, ccp_alpha chosen by cross-validation",
    idea=("A decision tree asks one yes/no question about a feature at a time, each time choosing the question "
          "that best separates the answers. Grown to the end it memorises the training data; pruning cuts back "
          "the branches that buy the least purity per extra leaf, and cross-validation says how far to cut."),
    problem="predict which orange juice brand (Citrus Hill or Minute Maid) a shopper buys",
    data="ISLP's OJ: 1070 purchases with prices, discounts, store and brand loyalty (PyPI islp)",
    metric="accuracy on held-out purchases",
    bars=(Bar("accuracy", ">=", 0.80),),
    budget=1.5,
    run=run,
    sources=("supervised/tree.py", "lessons/customer_purchase.py", "evaluation/splits.py"),
    options=Options,
)
