"""Lesson stock-prices: an LSTM predicts tomorrow's NYSE trading volume from the last five days.

The setting of ISLP chapter 10 (section 10.5.2 and its lab): daily New York Stock Exchange data 1962-1986,
predict today's log trading volume from the previous 5 days of Dow Jones return, log volume and log
volatility; train before 1980, test from 1980. ISLP's linear autoregression scores test R² 0.413 there;
the one here, fitted with ml52's own least squares, must give the same number.

The LSTM runs on ml52's own engine (ml52/neural/rnn.py on ml52/neural/engine.py, NumPy) by default; it
equals torch.nn.LSTM in outputs and gradients (tests/test_rnn.py). `--engine torch` trains the same model
with torch.nn.LSTM instead, on `--device`. Read top to bottom: data, reference, model, figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference

COLUMNS = ("DJ_return", "log_volume", "log_volatility")
DAYS = ("mon", "tues", "wed", "thur", "fri")
LAGS = 5                       # the previous 5 trading days, as in ISLP
ISLP_AR, ISLP_RNN, ISLP_BEST = 0.413, 0.415, 0.466   # ISLP ch. 10 lab: linear AR, its RNN, nonlinear AR + day


@dataclass
class Options:
    """The LSTM's hyperparameters (each one is a command-line option)."""

    hidden: int = field(default=32, metadata={"help": "LSTM hidden units H"})
    epochs: int = field(default=20, metadata={"help": "passes over the 1962-1979 training days"})
    batch_size: int = field(default=128, metadata={"help": "windows per Adam step"})
    lr: float = field(default=1.5e-3, metadata={"help": "Adam learning rate"})
    engine: str = field(default="own", metadata={"help": "own (ml52's engine, NumPy on the CPU) or torch "
                                                         "(torch.nn.LSTM on --device)"})


def windows(df):
    """Every day t with its 5 previous days: X (N, 5, 3), the day of week of t one-hot (N, 5), y = v_t.

    Columns are standardised with the training years' mean and SD (ISLP uses all years; R² of a linear
    model is the same either way, and the test years stay unseen here).
    """
    import numpy as np

    raw = df[list(COLUMNS)].to_numpy(float)                     # (days, 3)
    train_day = df["train"].to_numpy(bool)
    mu, sd = raw[train_day].mean(axis=0), raw[train_day].std(axis=0)
    Z = (raw - mu) / sd
    t = np.arange(LAGS, len(Z))                                 # days that have 5 days before them
    X = np.stack([Z[t - LAGS + k] for k in range(LAGS)], axis=1)   # (N, 5, 3): oldest day first
    day = (df["day_of_week"].astype(str).to_numpy()[t, None] == np.array(DAYS)).astype(float)   # (N, 5)
    return {"X": X, "day": day, "y": Z[t, 1], "returns": Z[t, 0], "train": train_day[t],
            "dates": df.index.to_numpy()[t].astype("datetime64[D]"), "mu": mu[1], "sd": sd[1]}


def run(ctx: Context) -> Outcome:
    import time

    import numpy as np

    from ml52 import datasets
    from ml52.errors import UserError
    from ml52.evaluation.metrics import r2_score
    from ml52.supervised.linear import LinearRegression

    opt = ctx.options or Options()
    if opt.engine not in ("own", "torch"):
        raise UserError(f"--engine must be 'own' or 'torch', got '{opt.engine}'")
    if opt.hidden < 1 or opt.epochs < 1 or opt.batch_size < 1 or not opt.lr > 0:
        raise UserError("--hidden, --epochs and --batch-size must be at least 1 and --lr above 0")

    ctx.progress(0.05, "loading NYSE 1962-1986")
    d = windows(datasets.islp("NYSE"))
    tr, te = d["train"], ~d["train"]
    y_te = d["y"][te]

    # ---- baselines: yesterday's volume, and ISLP's linear autoregression (the reference) -------------
    # naive: v̂_t = v_{t-1}
    naive_r2 = r2_score(y_te, d["X"][te, -1, 1])
    # AR(5): v̂_t = b + Σ_{k=1..5} (a_k r_{t-k} + β_k v_{t-k} + γ_k z_{t-k}), by least squares
    flat = d["X"].reshape(len(d["X"]), -1)                      # (N, 15): the 5 days side by side
    ar = LinearRegression().fit(flat[tr], d["y"][tr])
    ar_pred = ar.predict(flat[te])
    ar_r2 = r2_score(y_te, ar_pred)
    with_day = np.hstack([flat, d["day"][:, :-1]])              # + day of week (Friday is the baseline)
    ar_day_r2 = r2_score(y_te, LinearRegression().fit(with_day[tr], d["y"][tr]).predict(with_day[te]))
    # the same autoregression for the Dow Jones return itself: prices are close to a random walk
    return_r2 = r2_score(d["returns"][te], LinearRegression().fit(flat[tr], d["returns"][tr]).predict(flat[te]))
    ctx.progress(0.15, "autoregression fitted")

    # ---- the LSTM ----------------------------------------------------------------------------------
    t0 = time.perf_counter()
    train_fn = _train_own if opt.engine == "own" else _train_torch
    pred, losses = train_fn(d, opt, ctx)
    seconds = time.perf_counter() - t0
    r2 = r2_score(y_te, pred)

    ctx.progress(0.9, "figure")
    metrics = {"r2": r2, "ar_r2": ar_r2, "naive_r2": naive_r2}
    figures = [figure(ctx, d, pred, ar_pred, metrics, ar_day_r2, return_r2)]
    where = "ml52's own engine (NumPy, CPU)" if opt.engine == "own" else f"torch.nn.LSTM on {ctx.device}"
    notes = [
        f"test 1980-1986 ({te.sum()} days), R² of log volume: LSTM {r2:.3f}, linear AR {ar_r2:.3f} "
        f"(ISLP: {ISLP_AR}), AR + day of week {ar_day_r2:.3f}, yesterday's volume {naive_r2:.3f}.",
        f"LSTM (H={opt.hidden}, {opt.epochs} epochs of {tr.sum()} days, batch {opt.batch_size}, Adam "
        f"{opt.lr:g}) on {where}: {seconds:.2f} s; final training MSE {losses[-1]:.3f}.",
        f"Volume is predictable (busy days follow busy days); prices are not: the same autoregression "
        f"predicts tomorrow's Dow Jones return with test R² {return_r2:.3f}, a random walk's zero.",
    ]
    reference = Reference("linear autoregression, own least squares (ISLP ch. 10 lab: test R² 0.413)",
                          {"r2": ar_r2, "ar_day_of_week_r2": ar_day_r2, "islp_rnn_r2": ISLP_RNN,
                           "islp_best_r2": ISLP_BEST})
    return Outcome(metrics, reference, figures, notes)


def _train_own(d, opt, ctx):
    """The LSTM on ml52's engine: ŷ = w·[h_5, day] + b, h_5 the LSTM's state after the 5 days."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    from ml52.neural.engine import Tensor, concat, mse
    from ml52.neural.layers import Linear
    from ml52.neural.optim import Adam
    from ml52.neural.rnn import LSTM

    rng = np.random.default_rng(ctx.seed)
    lstm = LSTM(len(COLUMNS), opt.hidden, rng)
    head = Linear(opt.hidden + len(DAYS), 1, rng)
    adam = Adam(lstm.parameters() + head.parameters(), lr=opt.lr)

    def predict(X, day):
        _, (h, _) = lstm(Tensor(X.astype(np.float32), requires_grad=False))      # h: (1, B, H)
        return head(concat([h[0], Tensor(day.astype(np.float32), requires_grad=False)], axis=1))[:, 0]

    X, day, y = d["X"][d["train"]], d["day"][d["train"]], d["y"][d["train"]].astype(np.float32)
    losses = []
    # small matrices: one BLAS thread is faster than several waking up for every product
    with threadpool_limits(limits=1, user_api="blas"):
        for epoch in range(opt.epochs):
            order = rng.permutation(len(X))
            total = 0.0
            for i in range(0, len(X), opt.batch_size):
                b = order[i:i + opt.batch_size]
                loss = mse(predict(X[b], day[b]), y[b])       # L = mean (ŷ - v)²
                adam.zero_grad()
                loss.backward()                              # backpropagation through the 5 steps
                adam.step()
                total += loss.item() * len(b)
            losses.append(total / len(X))
            ctx.progress(0.15 + 0.75 * (epoch + 1) / opt.epochs, f"LSTM epoch {epoch + 1}: MSE {losses[-1]:.3f}")
        te = ~d["train"]
        pred = predict(d["X"][te], d["day"][te]).data.astype(float)
    return pred, losses


def _train_torch(d, opt, ctx):
    """The same model and loop with torch.nn.LSTM, on ctx.device."""
    import numpy as np
    import torch

    torch.manual_seed(ctx.seed)
    rng = np.random.default_rng(ctx.seed)
    dev = torch.device(ctx.device)
    lstm = torch.nn.LSTM(len(COLUMNS), opt.hidden, batch_first=True).to(dev)
    head = torch.nn.Linear(opt.hidden + len(DAYS), 1).to(dev)
    adam = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=opt.lr)

    def predict(X, day):
        _, (h, _) = lstm(X)                                  # h: (1, B, H)
        return head(torch.cat([h[0], day], dim=1))[:, 0]

    as_t = lambda a: torch.tensor(a, dtype=torch.float32, device=dev)   # noqa: E731
    X, day, y = (as_t(d[k][d["train"]]) for k in ("X", "day", "y"))
    losses = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # 128 x 32 matrices: a second thread would only wait
    try:
        _torch_epochs(opt, ctx, rng, predict, adam, X, day, y, losses)
    finally:
        torch.set_num_threads(threads)
    te = ~d["train"]
    with torch.no_grad():
        pred = predict(as_t(d["X"][te]), as_t(d["day"][te])).cpu().numpy().astype(float)
    return pred, losses


def _torch_epochs(opt, ctx, rng, predict, adam, X, day, y, losses):
    import torch

    for epoch in range(opt.epochs):
        order = torch.as_tensor(rng.permutation(len(X)), device=X.device)
        total = 0.0
        for i in range(0, len(X), opt.batch_size):
            b = order[i:i + opt.batch_size]
            loss = torch.mean((predict(X[b], day[b]) - y[b]) ** 2)
            adam.zero_grad()
            loss.backward()
            adam.step()
            total += loss.item() * len(b)
        losses.append(total / len(X))
        ctx.progress(0.15 + 0.75 * (epoch + 1) / opt.epochs, f"LSTM epoch {epoch + 1}: MSE {losses[-1]:.3f}")


def figure(ctx: Context, d, pred, ar_pred, metrics, ar_day_r2, return_r2):
    import numpy as np

    from ml52.io import pyplot, save_figure

    te = ~d["train"]
    dates = d["dates"][te]
    last = dates >= np.datetime64("1986-01-01")               # one year, to see single days
    back = lambda z: z * d["sd"] + d["mu"]                  # noqa: E731  (standardised -> log volume)
    plt = pyplot()
    fig = plt.figure(figsize=(13, 6.2))
    grid = fig.add_gridspec(2, 2, width_ratios=(2.3, 1), hspace=0.4, wspace=0.22)
    top, a, b = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[:, 1])
    top.plot(dates, back(d["y"][te]), color="0.5", lw=0.5, label="actual")
    top.plot(dates, back(pred), color="C1", lw=0.5, alpha=0.8, label="LSTM")
    top.axvspan(dates[last][0], dates[-1], color="C0", alpha=0.08)
    top.set(ylabel="log trading volume", title="Tomorrow's NYSE volume from the last 5 days: the test years")
    top.legend(loc="lower left", fontsize=8, ncol=2)
    a.plot(dates[last], back(d["y"][te][last]), color="0.5", lw=1, label="actual")
    a.plot(dates[last], back(ar_pred[last]), color="C0", lw=0.8, alpha=0.7,
           label=f"linear AR (R² {metrics['ar_r2']:.3f})")
    a.plot(dates[last], back(pred[last]), color="C1", lw=1, label=f"LSTM (R² {metrics['r2']:.3f})")
    a.set(ylabel="log trading volume", title="1986 up close (R² over all of 1980-1986)")
    a.legend(loc="lower left", fontsize=8, ncol=3)
    names = ["yester-\nday", "linear\nAR", "AR +\nday", "LSTM", "AR for\nDJ return"]
    values = [metrics["naive_r2"], metrics["ar_r2"], ar_day_r2, metrics["r2"], return_r2]
    b.bar(names, values, color=["0.6", "C0", "C0", "C1", "C3"])
    for i, v in enumerate(values):
        b.text(i, max(v, 0) + 0.01, f"{v:.3f}", ha="center", fontsize=8)
    b.axhline(ISLP_RNN, color="k", ls=":", lw=1, label=f"ISLP's RNN {ISLP_RNN}")
    b.axhline(0.45, color="C3", ls="--", lw=1, label="bar 0.45")
    b.set(ylabel="test R²", title="R² on 1980-1986", ylim=(min(0, min(values)) - 0.02, 0.62))
    b.tick_params(axis="x", labelsize=8)
    b.legend(fontsize=8, loc="upper left")
    return save_figure(fig, ctx.figure("volume.png"))


LESSON = Lesson(
    slug="stock-prices",
    concept="recurrent neural networks (LSTM)",
    algorithm="LSTM with backpropagation through time on ml52's engine; linear autoregression as reference",
    idea=("A recurrent network reads a sequence one day at a time and carries a memory from day to day; an "
          "LSTM's gates decide what to write into that memory and what to forget. Trading volume has such "
          "memory (busy days follow busy days), while the prices themselves are close to a random walk."),
    problem="Predict tomorrow's NYSE trading volume from the last 5 days of returns, volume and volatility.",
    data="ISLP NYSE: daily 1962-1986 (6051 days), train before 1980, test from 1980 (ISLP chapter 10)",
    metric="test R² of log volume (1980-1986)",
    bars=(Bar("r2", ">=", 0.45),),
    budget=3.0,
    run=run,
    sources=("neural/rnn.py", "lessons/stock_prices.py", "neural/engine.py", "supervised/linear.py"),
    options=Options,
)
