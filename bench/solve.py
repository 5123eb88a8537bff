"""Benchmark: `ml52 solve` on a 100,000-row x 50-column table must finish in under 60 s on 2 cores.

The table is synthetic but shaped like a real one: 40 numeric columns (two with 10% gaps), 8 category
columns (3 to 200 values), a date column, and the target (a yes/no class with ~20% "yes", or with
--task regression a price-like positive number). The clock covers everything `ml52 solve` does: reading
the CSV, profiling, cross-validation, the final fit, figures, model file and report.

    .venv/bin/python bench/solve.py [--rows 100000] [--task classification|regression] [--seed 52]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ml52.solve.solver import solve

LIMIT_S = 60.0


def make_table(rows: int, task: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 40))
    df = pd.DataFrame(X, columns=[f"num{i:02d}" for i in range(40)])
    cards = [3, 5, 8, 12, 20, 50, 100, 200]
    cats = {f"cat{i}": rng.integers(0, k, rows) for i, k in enumerate(cards)}
    for name, codes in cats.items():
        df[name] = np.char.add(f"{name}_", codes.astype(str))
    days = rng.integers(0, 3 * 365, rows)
    df["signup"] = (pd.Timestamp("2021-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    # the signal: a few numbers, one interaction, two categories and the month
    month = (pd.Timestamp("2021-01-01") + pd.to_timedelta(days, unit="D")).month.to_numpy()
    z = (1.2 * X[:, 0] - 0.8 * X[:, 1] + 0.5 * X[:, 2] * X[:, 3] + 0.6 * (cats["cat0"] == 1)
         - 0.4 * (cats["cat3"] % 3 == 0) + 0.3 * np.sin(month / 12 * 2 * np.pi))
    if task == "classification":
        p = 1 / (1 + np.exp(-(z - 1.8)))
        df["target"] = np.where(rng.random(rows) < p, "yes", "no")
    else:
        df["target"] = np.round(np.exp(11 + 0.3 * z + rng.normal(scale=0.2, size=rows)), -2)
    df.loc[rng.random(rows) < 0.1, "num05"] = np.nan
    df.loc[rng.random(rows) < 0.1, "num06"] = np.nan
    return df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--task", choices=["classification", "regression"], default="classification")
    ap.add_argument("--seed", type=int, default=52)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        make_table(args.rows, args.task, args.seed).to_csv(path, index=False)
        size_mb = os.path.getsize(path) / 2**20
        t0 = time.perf_counter()
        result = solve(path, "target", Path(tmp) / "out", args.seed,
                       progress=lambda m: print(f"  {time.perf_counter() - t0:6.1f} s  {m}", flush=True))
        seconds = time.perf_counter() - t0
    summary = {"rows": args.rows, "columns": result["profile"]["columns"].__len__(), "task": args.task,
               "csv_mb": round(size_mb, 1), "seconds": round(seconds, 1), "limit_s": LIMIT_S,
               "passed": seconds < LIMIT_S, "best": result["best"]["model"],
               "metric": result["primary_metric"], "score": round(result["best"]["metrics"][result["primary_metric"]], 4),
               "cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 1),
               "per_model_s": {m["model"]: round(m["seconds"], 1) for m in result["models"]}}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
