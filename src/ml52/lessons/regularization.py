"""Lesson regularization: ridge and lasso on baseball salaries (ISLP Hitters), then L2, dropout and early
stopping and dataset augmentation on a small-data neural network (1,000 Fashion-MNIST images).

Sources: James et al., ISLP (2023), section 6.2 and the chapter-10 lab (Hitters); Goodfellow, Bengio &
Courville, Deep Learning (2016), chapter 7 (7.1 L2, 7.4 dataset augmentation, 7.8 early stopping,
7.12 dropout). The accuracy gain is the test accuracy of the regularized setup with the best validation
accuracy minus that of the unregularized network; the test images never choose anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference


@dataclass
class Options:
    epochs: int = field(default=30, metadata={"help": "epochs for each of the five small-data networks"})
    hidden: int = field(default=128, metadata={"help": "units in the networks' hidden layer"})


# The networks part 2 trains: (L2 weight decay, hidden dropout, input dropout, ± pixels of random shift).
# Early stopping needs no run of its own (it is the "none" run stopped at its best validation epoch);
# "all" combines the four and stops early too.
RUNS = {
    "none": (0.0, 0.0, 0.0, 0),
    "L2": (1e-3, 0.0, 0.0, 0),
    "dropout": (0.0, 0.5, 0.2, 0),
    "augmentation": (0.0, 0.0, 0.0, 1),
    "all": (1e-3, 0.5, 0.2, 1),
}
SETUPS = ("none", "L2", "dropout", "early stopping", "augmentation", "all")   # the rows of the comparison
N_TRAIN, N_VAL, BATCH, LR = 1000, 1000, 100, 3e-3


def run(ctx: Context) -> Outcome:
    from ml52.errors import UserError

    opt = ctx.options or Options()
    if opt.epochs < 1 or opt.hidden < 1:
        raise UserError("--epochs and --hidden must be at least 1")
    hit = hitters_part(ctx)
    ctx.progress(0.3, "ridge and lasso on Hitters")
    net = mlp_part(ctx, opt)
    figures = [_paths_figure(ctx, hit), _curves_figure(ctx, net)]
    # the best regularized setup is the one with the highest validation accuracy (the test set stays unseen)
    best = max(SETUPS[1:], key=lambda name: net["val"][name])
    gain = net["test"][best] - net["test"]["none"]
    metrics = {"accuracy_gain": gain, "lasso_mae": hit["lasso_mae"], "ols_mae": hit["ols_mae"]}
    notes = [
        f"Hitters test MAE (ISLP ch.10 split, test third, random_state=1): OLS {hit['ols_mae']:.1f}, "
        f"ridge {hit['ridge_mae']:.1f} (alpha {hit['ridge_alpha']:.3g}), lasso {hit['lasso_mae']:.1f} "
        f"(alpha {hit['lasso_alpha']:.3g}, {hit['lasso_kept']} of {hit['p']} coefficients non-zero); "
        "ISLP reports OLS 259.7, lasso 235.7",
        f"agreement with scikit-learn at the chosen penalties: lasso coefficients {hit['lasso_diff']:.1e}, "
        f"ridge {hit['ridge_diff']:.1e} (max absolute difference, tolerance 1e-6)",
    ] + [f"MLP on {N_TRAIN} images, {name}: train {net['train'][name]:.3f}, validation {net['val'][name]:.3f}, "
         f"test {net['test'][name]:.4f} (test log-loss {net['test_loss'][name]:.3f}"
         + (f", stopped at epoch {net['best_epoch'][name] + 1})" if name in ("early stopping", "all") else ")")
         for name in SETUPS] + [
        f"accuracy_gain: the setup with the best validation accuracy ({best}) minus no regularization, on the "
        f"test images: {gain:+.4f}; every network has the same start, batches and cosine learning-rate schedule"]
    reference = Reference("scikit-learn Ridge/Lasso/LinearRegression on the same split and penalties",
                          {"lasso_mae": hit["sk_lasso_mae"], "ols_mae": hit["sk_ols_mae"], "ridge_mae": hit["sk_ridge_mae"]})
    return Outcome(metrics=metrics, reference=reference, figures=figures, notes=notes)


# ---- part 1: ridge and lasso on Hitters ---------------------------------------------------------------

def hitters_part(ctx: Context) -> dict:
    import numpy as np
    import pandas as pd
    from sklearn import linear_model

    from ml52.datasets import islp
    from ml52.evaluation.metrics import mean_absolute_error
    from ml52.evaluation.splits import KFold
    from ml52.supervised.lasso import Lasso, alpha_max, lasso_path
    from ml52.supervised.linear import LinearRegression

    df = islp("Hitters").dropna()
    X = pd.get_dummies(df.drop(columns=["Salary"]), drop_first=True).to_numpy(float)   # (263, 19)
    y = df["Salary"].to_numpy(float)
    # the ISLP lab's split: sklearn's train_test_split(test_size=1/3, random_state=1) is this permutation
    order = np.random.RandomState(1).permutation(len(y))
    n_test = int(np.ceil(len(y) / 3))
    te, tr = order[:n_test], order[n_test:]

    def standardize(fit_rows, *rows):
        mu, sd = X[fit_rows].mean(axis=0), X[fit_rows].std(axis=0)
        return [(X[r] - mu) / sd for r in rows]

    ols = LinearRegression().fit(X[tr], y[tr])
    ols_mae = mean_absolute_error(y[te], ols.predict(X[te]))

    # penalty grids: ISLP's 100 lasso penalties from α_max down to α_max/100, and a wide ridge grid
    Xs_tr, Xs_te = standardize(tr, tr, te)
    lasso_alphas = alpha_max(Xs_tr, y[tr]) * np.exp(np.linspace(0, np.log(0.01), 100))
    ridge_alphas = np.logspace(-2, 4, 40)

    # 10-fold cross-validated MAE for every penalty; each fold standardises with its own training part
    cv_lasso, cv_ridge = np.zeros(len(lasso_alphas)), np.zeros(len(ridge_alphas))
    for fit_idx, val_idx in KFold(10, shuffle=True, random_state=ctx.seed).split(tr):
        Xf, Xv = standardize(tr[fit_idx], tr[fit_idx], tr[val_idx])
        yf, yv = y[tr[fit_idx]], y[tr[val_idx]]
        W, b = lasso_path(Xf, yf, lasso_alphas, tol=1e-8)          # (A, p), (A,)
        cv_lasso += np.abs(Xv @ W.T + b - yv[:, None]).mean(axis=0) / 10
        # ridge for every α from one SVD, Xf = U S Vᵀ: w(α) = V diag(s / (s² + α)) Uᵀ (y - ȳ)
        U, sv, Vt = np.linalg.svd(Xf, full_matrices=False)
        Wr = (Vt.T * (sv / (sv**2 + ridge_alphas[:, None]))[:, None, :]) @ (U.T @ (yf - yf.mean()))   # (R, p)
        cv_ridge += np.abs(Xv @ Wr.T + yf.mean() - yv[:, None]).mean(axis=0) / 10
    lasso_alpha = float(lasso_alphas[cv_lasso.argmin()])
    ridge_alpha = float(ridge_alphas[cv_ridge.argmin()])

    lasso = Lasso(alpha=lasso_alpha, tol=1e-12, max_iter=100_000).fit(Xs_tr, y[tr])
    ridge = LinearRegression(alpha=ridge_alpha).fit(Xs_tr, y[tr])
    sk_lasso = linear_model.Lasso(alpha=lasso_alpha, tol=1e-12, max_iter=100_000).fit(Xs_tr, y[tr])
    sk_ridge = linear_model.Ridge(alpha=ridge_alpha).fit(Xs_tr, y[tr])
    sk_ols = linear_model.LinearRegression().fit(X[tr], y[tr])
    path, _ = lasso_path(Xs_tr, y[tr], lasso_alphas, tol=1e-8)
    return {
        "ols_mae": ols_mae,
        "lasso_mae": mean_absolute_error(y[te], lasso.predict(Xs_te)),
        "ridge_mae": mean_absolute_error(y[te], ridge.predict(Xs_te)),
        "lasso_alpha": lasso_alpha, "ridge_alpha": ridge_alpha,
        "lasso_kept": int((lasso.coef_ != 0).sum()), "p": X.shape[1],
        "lasso_diff": float(np.abs(lasso.coef_ - sk_lasso.coef_).max()),
        "ridge_diff": float(np.abs(ridge.coef_ - sk_ridge.coef_).max()),
        "sk_lasso_mae": mean_absolute_error(y[te], sk_lasso.predict(Xs_te)),
        "sk_ridge_mae": mean_absolute_error(y[te], sk_ridge.predict(Xs_te)),
        "sk_ols_mae": mean_absolute_error(y[te], sk_ols.predict(X[te])),
        "alphas": lasso_alphas, "path": path, "cv_lasso": cv_lasso,
        "names": list(pd.get_dummies(df.drop(columns=["Salary"]), drop_first=True).columns),
    }


# ---- part 2: regularizing a network trained on 1,000 images ---------------------------------------------

def shift_images(images, r, pixels: int = 1):
    """Dataset augmentation (Goodfellow et al., Deep Learning, 7.4): move each image by up to ±pixels.

    images (B, 28, 28) in [0, 1]; the uncovered border is filled with background (0). Horizontal flips
    are left out: flipped copies cost 0.5-1.6 points of test accuracy here (measured at seeds 52, 1, 2),
    likely because the product photos show the shoes facing one way.
    """
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    B, h, w = images.shape
    padded = np.pad(images, ((0, 0), (pixels, pixels), (pixels, pixels)))   # (B, h + 2p, w + 2p)
    windows = sliding_window_view(padded, (h, w), axis=(1, 2))              # (B, 2p + 1, 2p + 1, h, w): views
    dy, dx = r.integers(0, 2 * pixels + 1, size=(2, B))
    return windows[np.arange(B), dy, dx]                                    # (B, h, w)


def mlp_part(ctx: Context, opt: Options) -> dict:
    import numpy as np

    from ml52.datasets import fashion_mnist
    from ml52.neural.engine import Tensor, cross_entropy, dropout
    from ml52.neural.layers import MLP
    from ml52.neural.optim import Adam

    X_train, y_train, X_test, y_test = fashion_mnist()
    rng = np.random.default_rng(ctx.seed)
    pick = rng.permutation(len(X_train))[:N_TRAIN + N_VAL]
    tr, va = pick[:N_TRAIN], pick[N_TRAIN:]          # validation: early stopping and choosing the best setup
    images = X_train[tr] / np.float32(255)          # (1000, 28, 28) in [0, 1]; shifts move these raw pixels
    mu, sd = images.mean(axis=0).ravel(), images.std(axis=0).ravel() + np.float32(0.05)   # (784,) each

    def prepare(x01):
        # x = (pixel/255 - μ) / (σ + 0.05) per pixel, with μ, σ from the 1,000 training images
        return ((x01.reshape(len(x01), -1) - mu) / sd).astype(np.float32)   # (B, 784)

    X, y = prepare(images), y_train[tr].astype(np.int64)
    X_val, y_val = prepare(X_train[va] / np.float32(255)), y_train[va].astype(np.int64)
    X_te, y_te = prepare(X_test / np.float32(255)), y_test.astype(np.int64)

    def accuracy(net, A, b):
        return float((net.predict_logits(A).argmax(axis=1) == b).mean())

    out = {key: {} for key in ("train", "val", "test", "test_loss", "train_curve", "val_curve", "best_epoch")}

    def record(name, net, train_curve, val_curve, best_epoch):
        out["train"][name], out["val"][name] = accuracy(net, X, y), accuracy(net, X_val, y_val)
        z = net.predict_logits(X_te)                               # (10000, 10)
        z = z - z.max(axis=1, keepdims=True)
        out["test"][name] = float((z.argmax(axis=1) == y_te).mean())
        # test log-loss: the mean over images of -log softmax(z)[true class] = log Σ_k exp z_k - z_y
        out["test_loss"][name] = float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y_te)), y_te]))
        out["train_curve"][name], out["val_curve"][name], out["best_epoch"][name] = train_curve, val_curve, best_epoch

    steps = opt.epochs * (N_TRAIN // BATCH)
    for k, (name, (wd, p_hidden, p_input, shift)) in enumerate(RUNS.items()):
        r = np.random.default_rng([ctx.seed, 1])                 # the same start and batches for every run
        net = MLP((784, opt.hidden, 10), r, dropout=p_hidden)
        adam = Adam(net.parameters(), lr=LR, weight_decay=wd)   # L2: wd·w added to the gradient
        train_curve, val_curve, best, best_state, t = [], [], -1.0, None, 0
        for epoch in range(opt.epochs):
            net.train()
            order = r.permutation(N_TRAIN)
            for i in range(0, N_TRAIN, BATCH):
                idx = order[i:i + BATCH]
                xb = prepare(shift_images(images[idx], r, shift)) if shift else X[idx]
                x = dropout(Tensor(xb, requires_grad=False), p_input, r)   # input dropout (p 0 = none)
                loss = cross_entropy(net(x), y[idx])
                # the same cosine schedule for every run: η_t = η (1 + cos(π t / T)) / 2
                adam.lr = LR * (1 + np.cos(np.pi * t / steps)) / 2
                adam.zero_grad()
                loss.backward()
                adam.step()
                t += 1
            net.eval()
            if name in ("none", "all"):                          # the figure shows these two train curves
                train_curve.append(accuracy(net, X, y))
            val_curve.append(accuracy(net, X_val, y_val))
            if val_curve[-1] > best:                             # early stopping: the best epoch's weights
                best, best_state, best_epoch = val_curve[-1], net.state(), epoch
        if name == "all":
            net.load(best_state)                                 # "all" stops early too
        record(name, net, train_curve, val_curve, best_epoch)
        if name == "none":                                       # early stopping needs no run of its own:
            net.load(best_state)                                 # it is this run, stopped at its best epoch
            record("early stopping", net, train_curve, val_curve, best_epoch)
        ctx.progress(0.3 + 0.65 * (k + 1) / len(RUNS), f"trained the '{name}' network")
    return out


# ---- figures ----------------------------------------------------------------------------------------------

def _paths_figure(ctx, hit):
    """lasso_paths.png: every standardised coefficient as the penalty shrinks, and the CV error."""
    import numpy as np

    from ml52.io import pyplot, save_figure

    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    log_a = np.log10(hit["alphas"])
    ax.plot(log_a, hit["path"], lw=1)
    top = np.argsort(-np.abs(hit["path"][-1]))[:5]
    for j in top:
        ax.annotate(hit["names"][j], (log_a[-1], hit["path"][-1, j]), fontsize=7)
    ax.axvline(np.log10(hit["lasso_alpha"]), color="k", ls=":", label="chosen by 10-fold CV")
    ax.invert_xaxis()
    ax.set(xlabel="log10 penalty α (weaker →)", ylabel="coefficient (per standard deviation)",
           title="lasso coefficient paths on Hitters")
    ax.legend()
    ax2.plot(log_a, hit["cv_lasso"])
    ax2.axvline(np.log10(hit["lasso_alpha"]), color="k", ls=":")
    ax2.axhline(hit["ols_mae"], color="tab:red", ls="--", label=f"OLS test MAE {hit['ols_mae']:.0f}")
    ax2.invert_xaxis()
    ax2.set(xlabel="log10 penalty α", ylabel="mean absolute error ($1000s)", title="cross-validated MAE")
    ax2.legend()
    return save_figure(fig, ctx.figure("lasso_paths.png"))


def _curves_figure(ctx, net):
    """mlp_curves.png: train and validation accuracy per epoch, with and without regularization."""
    from ml52.io import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, color in (("none", "tab:red"), ("all", "tab:blue")):
        ax.plot(net["train_curve"][name], color=color, ls="--", label=f"{name}: train")
        ax.plot(net["val_curve"][name], color=color, label=f"{name}: validation (test {net['test'][name]:.3f})")
    for name, color in (("L2", "tab:orange"), ("dropout", "tab:green"), ("augmentation", "tab:purple")):
        ax.plot(net["val_curve"][name], color=color, lw=0.8, alpha=0.7,
                label=f"{name}: validation (test {net['test'][name]:.3f})")
    ax.axvline(net["best_epoch"]["none"], color="tab:red", ls=":", lw=1,
               label=f"early stopping (test {net['test']['early stopping']:.3f})")
    ax.set(xlabel="epoch", ylabel="accuracy", title=f"an MLP on {N_TRAIN} Fashion-MNIST images: the gap between train "
           "and validation is overfitting")
    ax.legend(fontsize=7, loc="lower right")
    return save_figure(fig, ctx.figure("mlp_curves.png"))


LESSON = Lesson(
    slug="regularization",
    concept="regularization",
    algorithm="ridge (closed form) and lasso (coordinate descent) with CV penalties; L2, dropout, early stopping and "
              "random shifts for an MLP",
    idea="A flexible model can fit the noise in its training data and then does worse on new data. "
         "Regularization makes complexity cost something: a penalty on the size of the weights (ridge, lasso, "
         "L2), randomly silenced units (dropout), stopping before the fit gets too close (early stopping), or "
         "slightly moved copies of the training images (augmentation).",
    problem="predict baseball players' salaries, and recognise clothing from only 1,000 training images",
    data="ISLP Hitters (263 players with a salary); 1,000 Fashion-MNIST training images (Debian dataset-fashion-mnist)",
    metric="test MAE of lasso vs OLS; test accuracy of the regularized network chosen on validation data minus "
           "the unregularized one",
    bars=(Bar("accuracy_gain", ">=", 0.02), Bar("lasso_mae", "<=", 259.7)),
    budget=3.0,
    run=run,
    sources=("lessons/regularization.py", "supervised/lasso.py", "supervised/linear.py", "neural/optim.py"),
    options=Options,
)
