"""The `ml52 solve` report: one HTML page with the table's profile, the problem in plain words, the models
compared against the baseline, the best model's top columns, and its figures.

Figures (Matplotlib, Agg backend) follow the usual diagnostic plots of ISLP: the target's distribution
(§2.3), predicted against actual and residuals against fitted values (§3.3.3), the confusion matrix
(§4.4.2), and the first two principal components coloured by cluster (§12.2). Every file is written
atomically (ml52.io), the page last, so a reader never finds a page pointing at a missing figure.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from ml52.io import pyplot, save_figure, write_atomic

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
tr.best td { font-weight: bold; } .flag { color: #b00020; } .note { background: #fff8e1; padding: 0.5em; }
img { max-width: 100%; display: block; margin: 0.5em 0; border: 1px solid #eee; }
"""


def _short():
    from matplotlib.ticker import EngFormatter

    return EngFormatter(sep="")


def figure_target(y: np.ndarray, task: str, name: str, path: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    if task == "regression":
        ax.hist(y, bins=50, color="#4477aa")
        ax.xaxis.set_major_formatter(_short())
        ax.set_xlabel(name)
        ax.set_ylabel("rows")
    else:
        labels, counts = np.unique(y, return_counts=True)
        order = np.argsort(-counts)[:30]
        ax.barh([str(labels[i])[:25] for i in order][::-1], counts[order][::-1], color="#4477aa")
        ax.set_xlabel("rows")
    ax.set_title(f"The target: {name}")
    return save_figure(fig, path)


def figure_comparison(rows: list[dict], metric: str, path: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(rows) + 1.2))
    names = [r["model"] for r in rows][::-1]
    means = [r["metrics"][metric] for r in rows][::-1]
    sds = [r["sd"][metric] for r in rows][::-1]
    colours = ["#999999" if n.startswith("baseline") else "#4477aa" for n in names]
    ax.barh(names, means, xerr=sds, color=colours, capsize=3)
    ax.set_xlabel(f"{metric} (mean over folds, ± one standard deviation)")
    ax.set_title("Models compared by cross-validation")
    return save_figure(fig, path)


def figure_residuals(y: np.ndarray, pred: np.ndarray, model: str, path: Path) -> Path:
    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.scatter(y, pred, s=4, alpha=0.4)
    lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
    a.plot([lo, hi], [lo, hi], color="black", lw=1)
    a.set_xlabel("actual")
    a.set_ylabel("predicted (held out)")
    for axis in (a.xaxis, a.yaxis, b.xaxis, b.yaxis):
        axis.set_major_formatter(_short())               # 250k, not 250000 (labels would run together)
    fig.subplots_adjust(wspace=0.3)
    a.set_title(f"{model}: predicted vs actual")
    b.scatter(pred, y - pred, s=4, alpha=0.4)
    b.axhline(0, color="black", lw=1)
    b.set_xlabel("predicted")
    b.set_ylabel("residual = actual - predicted")
    b.set_title("Residuals: no pattern is good")
    return save_figure(fig, path)


def figure_confusion(C: np.ndarray, labels: list[str], model: str, path: Path) -> Path:
    plt = pyplot()
    k = len(labels)
    fig, ax = plt.subplots(figsize=(1.0 + 0.5 * k + 3, 0.5 * k + 3))
    ax.imshow(C, cmap="Blues")
    ax.set_xticks(range(k), [s[:15] for s in labels], rotation=45, ha="right")
    ax.set_yticks(range(k), [s[:15] for s in labels])
    if k <= 15:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, str(C[i, j]), ha="center", va="center",
                        color="white" if C[i, j] > C.max() / 2 else "black", fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    ax.set_title(f"{model}: confusion matrix (held out)")
    return save_figure(fig, path)


def figure_importance(top: list[tuple[str, float]], metric: str, path: Path) -> Path:
    plt = pyplot()
    top = top[:12]
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(top) + 1.2))
    ax.barh([t[0][:30] for t in top][::-1], [t[1] for t in top][::-1], color="#228833")
    ax.set_xlabel(f"loss of {metric} when the column is shuffled")
    ax.set_title("Which columns the best model relies on")
    return save_figure(fig, path)


def figure_clusters(Z: np.ndarray, labels: np.ndarray, ratio: np.ndarray, path: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    sc = ax.scatter(Z[:, 0], Z[:, 1], c=labels, cmap="tab10", vmin=0, vmax=9, s=5, alpha=0.6)
    ax.legend(*sc.legend_elements(), title="group", fontsize=8, loc="best")
    ax.set_xlabel(f"PC1 ({ratio[0]:.0%} of the variance)")
    ax.set_ylabel(f"PC2 ({ratio[1]:.0%} of the variance)" if len(ratio) > 1 else "PC2")
    ax.set_title("Groups found by k-means, seen in 2-D by PCA")
    return save_figure(fig, path)


def figure_silhouette(ks: list[int], scores: list[float], path: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(ks, scores, marker="o")
    ax.set_xlabel("k (number of groups)")
    ax.set_ylabel("mean silhouette")
    ax.set_title("Choosing k: the highest silhouette")
    return save_figure(fig, path)


# --- the page ------------------------------------------------------------------------------------------------

def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return html.escape(str(x))


def write_report(result: dict, figures: list[Path], out: Path, stem: str) -> Path:
    """Write `<out>/solve-<stem>.html` (next to its figures) and return its path."""
    e = html.escape
    prof = result["profile"]
    col_rows = "".join(
        f"<tr><td>{e(c['name'])}</td><td>{e(c['kind'])}</td><td>{c['missing']}</td><td>{c['distinct']}</td>"
        f"<td class='flag'>{e(c['flag'])}</td><td>{e(c['why'])}</td></tr>" for c in prof["columns"])
    notes = "".join(f"<p class='note'>{e(n)}</p>" for n in result["notes"])
    ideas = "".join(f"<li><b>{e(m['model'])}</b>: {e(m['idea'])}</li>" for m in result["models"])
    body = ""
    if result["task"] != "clustering":
        metrics = list(result["models"][0]["metrics"])
        head = "".join(f"<th>{e(m)}</th>" for m in metrics)
        mrows = "".join(
            f"<tr class='{'best' if m['model'] == result['best']['model'] else ''}'><td>{e(m['model'])}</td>"
            + "".join(f"<td>{m['metrics'][k]:.4g} ± {m['sd'][k]:.2g}</td>" for k in metrics)
            + f"<td>{m['seconds']:.1f}</td></tr>" for m in result["models"])
        top = "".join(f"<li>{e(c)} ({d:+.4g})</li>" for c, d in result["best"]["top_features"][:10])
        body = (f"<h2>Models compared</h2><p>{e(result['evaluation'])}</p>"
                f"<table><tr><th>model</th>{head}<th>seconds</th></tr>{mrows}</table>"
                f"<h2>The best model: {e(result['best']['model'])}</h2><p>{e(result['best']['summary'])}</p>"
                + (f"<p>Top columns (drop in held-out {e(result['primary_metric'])} when shuffled):</p><ol>{top}</ol>"
                   if top else ""))
    else:
        c = result["clusters"]
        sizes = ", ".join(f"group {i}: {s} rows" for i, s in enumerate(c["sizes"]))
        desc = "".join(f"<li>group {i}: {e(d)}</li>" for i, d in enumerate(c["describe"]))
        body = (f"<h2>Groups</h2><p>k = {c['k']} (silhouette {c['silhouette']:.3f}); {e(sizes)}.</p><ul>{desc}</ul>"
                f"<p>PCA: {c['pca_components_90']} directions keep 90% of the variance of "
                f"{c['features']} features.</p>")
    imgs = "".join(f'<img src="{e(p.name)}" alt="{e(p.stem)}">' for p in figures)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ml52 solve: {e(result['data'])}</title><style>{STYLE}</style></head>
<body>
<h1>ml52 solve: {e(result['data'])}</h1>
<p>{prof['rows']} rows x {len(prof['columns'])} columns ({e(result['read_as'])}); solved in {result['seconds']:.1f} s.</p>
<h2>The problem</h2><p>{e(result['problem'])}</p>{notes}
<h2>The columns</h2>
<details{' open' if len(prof['columns']) <= 30 else ''}><summary>{len(prof['columns'])} columns: kind, missing values,
distinct values, and why a column is left out</summary>
<table><tr><th>column</th><th>kind</th><th>missing</th><th>distinct</th><th>flag</th><th>why</th></tr>{col_rows}</table>
</details>
<h2>Ideas that fit</h2><ul>{ideas}</ul>
{body}
<h2>Figures</h2>{imgs}
<p>The fitted pipeline is saved as <code>{e(result['model_file'])}</code>; apply it to new rows with
<code>ml52 predict {e(result['model_file'])} NEW.csv</code>.</p>
</body></html>
"""
    return write_atomic(out / f"solve-{stem}.html", page)
