"""`ml52 solve` and `ml52 predict`: from a user's own table to a checked model, a report and predictions.

solve: read and check the table (ml52.solve.table), name the problem, cross-validate ml52's own models
through the feature pipeline against a baseline (ml52.solve.models), or for a table without a target
find groups with k-means (k by silhouette) and compress with PCA; then write the figures, the model file
and the HTML report, each atomically. Nothing is written before every check on the input has passed.

predict: load a model file (ml52.solve.modelfile refuses anything that is not one), read new rows with the
same checks, refuse columns that are missing, of another kind, or hold categories never seen in training
(unless told to treat them as unknown), and write the predictions as CSV.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ml52.errors import UserError
from ml52.io import prepare_folder, write_atomic
from ml52.solve import models as S
from ml52.solve import report as R
from ml52.solve.modelfile import Model, load_model, save_model
from ml52.solve.pipeline import TablePipeline, as_text
from ml52.solve.table import column_kind, profile, read_table
from ml52.unsupervised.kmeans import KMeans, silhouette_score
from ml52.unsupervised.pca import PCA

SILHOUETTE_ROWS = 2_000   # the silhouette needs all pairwise distances: measured on a sample
KMEANS_ROWS = 20_000      # k is chosen on a sample this big; the final k-means uses every row
MAX_K = 8


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- supervised ------------------------------------------------------------------------------------------------

def describe_problem(prof, y: np.ndarray) -> tuple[str, list[str], bool, bool, object]:
    """(the problem in plain words, notes, imbalanced?, fit log(y)?, the positive class for ROC AUC)."""
    notes, imbalanced, target_log, positive = [], False, False, None
    n_feat = len(prof.features())
    if prof.task == "regression":
        skew = float(pd.Series(y).skew())
        text = (f"'{prof.target}' is a number, so this is supervised regression: learn to predict it from "
                f"{_plural(n_feat, 'column')}. Ideas that fit: least squares, ridge and the lasso (straight-line "
                "fits, the last two with penalties), a regression tree, a feedforward network.")
        if y.min() > 0 and skew > 1:
            target_log = True
            notes.append(f"The target is positive and right-skewed (skewness {skew:.1f}): models learn log("
                         f"{prof.target}) and their predictions are mapped back with exp, so a 10% error costs "
                         "the same on a cheap row as on an expensive one; models are ranked by the RMSE "
                         "of the log, as on the dollar scale a few extreme rows would decide the ranking.")
        return text, notes, imbalanced, target_log, positive
    classes, counts = np.unique(y, return_counts=True)
    share = counts / counts.sum()
    K = len(classes)
    mix = ", ".join(f"{c} {s:.0%}" for c, s in sorted(zip(classes, share), key=lambda t: -t[1])[:6])
    text = (f"'{prof.target}' is a category with {K} classes ({mix}), so this is supervised classification: "
            f"learn to predict the class from {_plural(n_feat, 'column')}. Ideas that fit: logistic regression, "
            "a decision tree, a feedforward network.")
    if share.min() < 0.5 / K:
        imbalanced = True
        rare, common = classes[np.argmin(share)], classes[np.argmax(share)]
        notes.append(f"The classes are imbalanced: '{rare}' is only {share.min():.1%} of the rows. Accuracy is "
                     f"misleading here: always answering '{common}' already scores {share.max():.1%} accuracy "
                     f"while never finding a single '{rare}'. So models are ranked by balanced accuracy (the "
                     "mean recall over the classes) and F1, and each model divides its class probabilities by "
                     "the class shares before deciding, so that rare classes are not ignored.")
    if K == 2:
        positive = classes[np.argmin(share)]
    return text, notes, imbalanced, target_log, positive


def _solve_supervised(df, prof, seed, out, stem, progress, result) -> tuple[list[Path], Model]:
    known = df[prof.target].notna().to_numpy()
    if not known.all():
        result["notes"].append(f"{(~known).sum()} rows without a value of '{prof.target}' were left out.")
        df = df[known].reset_index(drop=True)
    y_raw = df[prof.target]
    y = y_raw.to_numpy(dtype=float) if prof.task == "regression" else as_text(y_raw)
    X_df = df.drop(columns=[prof.target])
    kinds = {c.name: c.kind for c in prof.features()}
    problem, notes, imbalanced, target_log, positive = describe_problem(prof, y)
    result["problem"] = problem
    result["notes"] += notes
    regression = prof.task == "regression"
    primary = ("rmse_log" if target_log else "rmse") if regression else \
        ("balanced_accuracy" if imbalanced else "accuracy")
    higher = not regression
    results, rows = S.cross_validate(X_df, y, kinds, prof.task, seed, imbalanced, target_log, positive, progress)
    n_folds = len(results[0].folds)
    sample = f" on a random sample of {len(rows)} of the {len(y)} rows" if len(rows) < len(y) else ""
    result["evaluation"] = (f"{n_folds}-fold {'stratified ' if not regression else ''}cross-validation{sample}; "
                            f"the feature pipeline is refitted inside each fold. Ranked by {primary} "
                            f"({'higher' if higher else 'lower'} is better).")
    table = [{"model": r.name, "idea": r.idea, "metrics": {k: r.mean(k) for k in r.folds[0]},
              "sd": {k: r.sd(k) for k in r.folds[0]}, "seconds": r.seconds} for r in results]
    result["models"] = table
    result["primary_metric"] = primary
    # the baseline competes too: a model that cannot beat it should not be used
    best = sorted(results, key=lambda r: -r.mean(primary) if higher else r.mean(primary))[0]
    base = results[0]
    top = []
    if best is base:
        result["notes"].append(f"No model beats the baseline ({base.name}) on {primary}: the columns do not seem "
                               "to carry information about the target, so the saved model is the baseline.")
        summary = f"{base.name}: {primary} {base.mean(primary):.4g} ± {base.sd(primary):.2g}; no model did better."
    else:
        progress(f"measuring which columns {best.name} relies on")
        Xv = X_df.iloc[rows].reset_index(drop=True).iloc[best.last_val]
        top = S.permutation_importance(best.last, Xv, y[rows][best.last_val], primary, higher, positive, seed)
        summary = (f"{best.name}: {primary} {best.mean(primary):.4g} ± {best.sd(primary):.2g} against "
                   f"{base.mean(primary):.4g} for the baseline ({base.name}).")
    result["best"] = {"model": best.name, "metrics": {k: best.mean(k) for k in best.folds[0]},
                      "summary": summary, "top_features": [(c, float(d)) for c, d in top[:10]]}

    progress(f"fitting {best.name} on all rows")
    cand = next(c for c in S.candidates(prof.task) if c.name == best.name)
    fit_rows = np.arange(len(y))
    if cand.max_rows and len(y) > cand.max_rows:
        fit_rows = np.sort(np.random.default_rng(seed).choice(len(y), cand.max_rows, replace=False))
        result["notes"].append(f"The final {best.name} learned from a random {cand.max_rows} of the {len(y)} rows.")
    fitted = S.fit(cand, X_df.iloc[fit_rows].reset_index(drop=True), y[fit_rows], kinds, prof.task, seed,
                   imbalanced, target_log)
    model = Model(fitted, prof.task, prof.target, kinds, len(fit_rows), best.name, result["best"]["metrics"])

    progress("drawing figures")
    ys = y[rows]
    figs = [R.figure_target(y, prof.task, prof.target, out / f"solve-{stem}-target.png"),
            R.figure_comparison(table, primary, out / f"solve-{stem}-models.png")]
    if regression:
        figs.append(R.figure_residuals(ys, best.oof.astype(float), best.name, out / f"solve-{stem}-residuals.png"))
    else:
        labels = sorted(np.unique(ys).tolist())
        from ml52.evaluation.metrics import confusion_matrix
        C = confusion_matrix(ys, best.oof, labels=labels)
        figs.append(R.figure_confusion(C, labels, best.name, out / f"solve-{stem}-confusion.png"))
    if top:
        figs.append(R.figure_importance(top, primary, out / f"solve-{stem}-importance.png"))
    return figs, model


# --- unsupervised -------------------------------------------------------------------------------------------

class Clusters:
    """k-means groups on the pipeline's features, with PCA for the 2-D picture."""

    def __init__(self, pipeline: TablePipeline, kmeans: KMeans, pca: PCA):
        self.pipeline, self.kmeans, self.pca = pipeline, kmeans, pca

    def predict(self, df: pd.DataFrame):
        return self.kmeans.predict(self.pipeline.transform(df)), None


def _solve_clusters(df, prof, seed, out, stem, progress, result) -> tuple[list[Path], Model]:
    kinds = {c.name: c.kind for c in prof.features()}
    pipe = TablePipeline(kinds).fit(df)
    X = pipe.transform(df)                                                    # (n, features)
    result["problem"] = ("No target was given, so this is unsupervised learning: find groups of similar rows "
                         "(k-means clustering, k chosen by the silhouette) and compress the columns into a few "
                         "directions (PCA). Pass --target COLUMN to predict a column instead.")
    rng = np.random.default_rng(seed)
    Xk = X[rng.choice(len(X), KMEANS_ROWS, replace=False)] if len(X) > KMEANS_ROWS else X
    sil_rows = rng.choice(len(Xk), min(SILHOUETTE_ROWS, len(Xk)), replace=False)
    ks, sils = [], []
    for k in range(2, min(MAX_K, len(np.unique(Xk, axis=0)) - 1) + 1):
        progress(f"k-means with k={k}")
        labels = KMeans(k, n_init=3, random_state=seed).fit(Xk).labels_
        if len(np.unique(labels[sil_rows])) < 2:
            continue
        ks.append(k)
        sils.append(silhouette_score(Xk[sil_rows], labels[sil_rows]))
    if not ks:
        raise UserError("the rows are (nearly) all identical: there are no groups to find")
    k = ks[int(np.argmax(sils))]
    km = KMeans(k, n_init=3, random_state=seed).fit(X)
    pca = PCA(n_components=min(X.shape)).fit(X)
    cum = np.cumsum(pca.explained_variance_ratio_)
    n90 = int(np.searchsorted(cum, 0.9) + 1)
    # describe each group by the features it differs most in, in standard deviations from the whole table
    sd = X.std(axis=0)
    sd[sd == 0] = 1
    describe = []
    for g in range(k):
        diff = (X[km.labels_ == g].mean(axis=0) - X.mean(axis=0)) / sd
        idx = np.argsort(-np.abs(diff))[:3]
        describe.append(", ".join(f"{'higher' if diff[i] > 0 else 'lower'} {pipe.feature_names_[i]} "
                                  f"({diff[i]:+.1f} sd)" for i in idx))
    sizes = np.bincount(km.labels_, minlength=k).tolist()
    result["models"] = [{"model": "k-means", "idea": "k centres; each row joins its nearest centre"},
                        {"model": "PCA", "idea": "the directions along which the rows vary most"}]
    result["best"] = {"model": f"k-means (k={k})", "metrics": {"silhouette": sils[ks.index(k)]}}
    result["clusters"] = {"k": k, "silhouette": sils[ks.index(k)], "silhouette_by_k": dict(zip(ks, sils)),
                          "sizes": sizes, "describe": describe, "pca_components_90": n90,
                          "features": X.shape[1], "pca_variance_2d": float(cum[min(1, len(cum) - 1)])}
    progress("drawing figures")
    show = rng.choice(len(X), min(5000, len(X)), replace=False)
    Z = pca.transform(X[show])
    Z = Z if Z.shape[1] > 1 else np.c_[Z, np.zeros(len(Z))]
    figs = [R.figure_clusters(Z, km.labels_[show], pca.explained_variance_ratio_, out / f"solve-{stem}-clusters.png"),
            R.figure_silhouette(ks, sils, out / f"solve-{stem}-silhouette.png")]
    model = Model(Clusters(pipe, km, pca), "clustering", None, kinds, len(X), f"k-means (k={k})",
                  {"silhouette": sils[ks.index(k)]})
    return figs, model


# --- the commands -------------------------------------------------------------------------------------------

def solve(data: str | Path, target: str | None = None, out: str | Path = "ml52-output", seed: int = 52,
          memory: int | None = None, progress=lambda msg: None) -> dict:
    """Solve the table in `data`; returns the result, also written to `out` as solve-<name>.html, the
    figures solve-<name>-*.png and the model <name>.ml52.

    NumPy's BLAS runs on one thread here: the matrices are small to medium, and on a busy machine extra
    BLAS threads wait on each other (measured: a 128x100 product 400x slower with 2 threads than with 1).
    """
    with threadpool_limits(1):
        return _solve(data, target, out, seed, memory, progress)


def _solve(data, target, out, seed, memory, progress) -> dict:
    t0 = time.perf_counter()
    df, how = read_table(data, memory)
    df.columns = [str(c) for c in df.columns]
    prof = profile(df, target)
    out = prepare_folder(out)
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in Path(data).stem) or "data"
    read_as = how["format"] + (f", {how['delimiter']}-separated" if "delimiter" in how else "")
    result = {"data": str(data), "read_as": read_as, "target": target, "task": prof.task, "notes": [],
              "profile": {"rows": prof.rows, "columns": [vars(c) for c in prof.columns]}}
    flagged = [c for c in prof.columns if c.flag and c.flag != "target"]
    for c in flagged:
        result["notes"].append(f"Column '{c.name}' is left out: {c.flag} ({c.why}).")
    try:
        solver = _solve_clusters if target is None else _solve_supervised
        figs, model = solver(df, prof, seed, out, stem, progress, result)
    except MemoryError:
        raise UserError("ran out of memory while fitting; take a sample of the rows (e.g. half) and try again") \
            from None
    model_path = out / f"{stem}.ml52"
    result["model_file"] = str(model_path)
    result["seconds"] = time.perf_counter() - t0
    save_model(model, model_path)
    result["report"] = str(R.write_report(result, figs, out, stem))
    result["figures"] = [str(f) for f in figs]
    return result


def check_new_rows(model: Model, df: pd.DataFrame, allow_new_categories: bool) -> None:
    """The same checks as training: every column there, of the same kind, no categories never seen."""
    missing = [c for c in model.kinds if c not in df.columns]
    if missing:
        shown = ", ".join(missing[:8]) + (", ..." if len(missing) > 8 else "")
        raise UserError(f"the new table lacks {_plural(len(missing), 'column')} the model was trained on: {shown}")
    for c, kind in model.kinds.items():
        now = column_kind(df[c])                            # raises for mixed types and infinite values
        if now not in ("empty", kind) and not (kind == "category"):
            raise UserError(f"column '{c}' held {kind}s in training but holds {now}s in the new table; "
                            "give it the same kind of values")
    pipeline = model.fitted.pipeline
    new = pipeline.new_categories(df)
    if new and not allow_new_categories:
        c, vals = next(iter(new.items()))
        shown = ", ".join(repr(v) for v in vals[:3]) + (", ..." if len(vals) > 3 else "")
        more = f" (and new values in {len(new) - 1} more column(s))" if len(new) > 1 else ""
        raise UserError(f"column '{c}' has values never seen in training: {shown}{more}; the model knows nothing "
                        "about them: pass --allow-new-categories to treat them as unknown, or retrain")


def predict(model_path: str | Path, data: str | Path, out: str | Path | None = None,
            allow_new_categories: bool = False, memory: int | None = None) -> pd.DataFrame:
    """Predictions for the rows of `data` as a DataFrame, written as CSV to `out` when given."""
    with threadpool_limits(1):
        return _predict(model_path, data, out, allow_new_categories, memory)


def _predict(model_path, data, out, allow_new_categories, memory) -> pd.DataFrame:
    model = load_model(model_path)
    df, _ = read_table(data, memory, min_rows=1)
    df.columns = [str(c) for c in df.columns]
    check_new_rows(model, df, allow_new_categories)
    pred, P = model.fitted.predict(df)
    table = pd.DataFrame({"prediction" if model.task != "clustering" else "group": pred})
    if P is not None:
        for k, c in enumerate(model.fitted.classes):
            table[f"p_{c}"] = P[:, k]
    if out is not None:
        out = Path(out)
        if out.is_dir():
            raise UserError(f"--out {out} is a folder; give a file name such as predictions.csv")
        try:
            write_atomic(out, table.to_csv(index=False))
        except OSError as exc:
            raise UserError(f"cannot write {out} ({exc.strerror or exc}); choose another --out file") from None
    return table


def solve_command(args) -> int:
    def progress(msg: str) -> None:
        if not args.json:
            print(f"  ... {msg}", file=sys.stderr, flush=True)

    result = solve(args.data, args.target, args.out, args.seed, progress=progress)
    if args.json:
        print(json.dumps(result, default=str))
        return 0
    prof = result["profile"]
    print(f"{result['data']}: {prof['rows']} rows x {len(prof['columns'])} columns ({result['read_as']})")
    cols = prof["columns"]
    shown = cols if len(cols) <= 30 else [c for c in cols if c["flag"] or c["missing"]][:30]
    for c in shown:
        flag = f"  <- {c['flag']}: {c['why']}" if c["flag"] else ""
        print(f"  {c['name'][:28]:28s} {c['kind']:9s} missing {c['missing']:>6}  distinct {c['distinct']:>6}{flag}")
    if len(shown) < len(cols):
        kinds = pd.Series([c["kind"] for c in cols]).value_counts().to_dict()
        print(f"  ({len(cols) - len(shown)} more columns, no gaps or flags; kinds: {kinds}; all in the report)")
    print("\n" + result["problem"])
    for note in result["notes"]:
        print("note: " + note)
    if result["task"] != "clustering":
        print("\n" + result["evaluation"])
        for m in result["models"]:
            cells = "  ".join(f"{k} {v:.4g}" for k, v in m["metrics"].items())
            print(f"  {m['model'][:30]:30s} {cells}  ({m['seconds']:.1f} s)")
        print(f"\nbest: {result['best']['summary']}")
        if result["best"]["top_features"]:
            print("top columns: " + ", ".join(c for c, _ in result["best"]["top_features"][:5]))
    else:
        c = result["clusters"]
        print(f"\n{c['k']} groups (silhouette {c['silhouette']:.3f}), sizes {c['sizes']}; PCA: "
              f"{c['pca_components_90']} of {c['features']} directions keep 90% of the variance")
    print(f"\nreport: {result['report']}\nmodel:  {result['model_file']}  ({result['seconds']:.1f} s)")
    return 0


def predict_command(args) -> int:
    table = predict(args.model, args.data, args.out, args.allow_new_categories)
    if args.out is None:
        sys.stdout.write(table.to_csv(index=False))
    else:
        print(f"{len(table)} predictions written to {args.out}")
    return 0
