"""Lesson chess-endgame: policy gradients learn to checkmate against a tablebase defender."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference


@dataclass
class Options:
    kqk_iterations: int = field(default=40, metadata={"help": "REINFORCE updates for King+Queen vs King"})
    krk_iterations: int = field(default=40, metadata={"help": "REINFORCE updates for King+Rook vs King"})
    games: int = field(default=128, metadata={"help": "games per REINFORCE update"})
    held_out: int = field(default=500, metadata={"help": "held-out start positions per ending (judged by Gaviota)"})
    cartpole_iterations: int = field(default=30,
                                     metadata={"help": "at most this many REINFORCE updates on CartPole-v1"})


def run(ctx: Context) -> Outcome:
    import time

    import numpy as np
    from threadpoolctl import threadpool_limits

    from ml52.errors import UserError
    from ml52.reinforcement import cartpole, endgame
    from ml52.reinforcement.checkmate import CheckmateConfig, play, train

    opt = ctx.options or Options()
    if min(opt.kqk_iterations, opt.krk_iterations, opt.games, opt.held_out, opt.cartpole_iterations) < 1:
        raise UserError("--kqk-iterations, --krk-iterations, --games, --held-out and --cartpole-iterations "
                        "must all be at least 1")
    tb = endgame.open_gaviota()            # fails early, naming the package, if the tables are missing
    rng = np.random.default_rng(ctx.seed)
    seconds: dict[str, float] = {}
    results: dict[str, dict] = {}

    # the arrays here are small: one BLAS thread is faster than two fighting over a busy machine
    with threadpool_limits(limits=1):
        for piece, iterations, share in (("Q", opt.kqk_iterations, 0.0), ("R", opt.krk_iterations, 0.35)):
            name = "K" + piece + "K"
            t0 = time.perf_counter()
            eg = endgame.build(piece)                       # moves + retrograde DTM + defender + features
            seconds[f"{name} tables"] = time.perf_counter() - t0
            ctx.progress(share + 0.05, f"{name}: every position solved by retrograde analysis")

            # held-out starts: random legal positions, white to move, never used in training
            legal = np.flatnonzero(eg.legal_w)
            held = legal[rng.choice(len(legal), size=min(opt.held_out, len(legal) // 2), replace=False)]
            in_pool = eg.legal_w.copy()
            in_pool[held] = False
            pool = np.flatnonzero(in_pool)
            # the judge: Gaviota's distance to mate for every held-out start (and our table must agree)
            t0 = time.perf_counter()
            gaviota = np.array([tb.probe_dtm(endgame.to_board(piece, i, True)) for i in held])
            seconds[f"{name} Gaviota probes"] = time.perf_counter() - t0
            disagree = int((gaviota != eg.dtm_w[held]).sum())
            if disagree:
                raise RuntimeError(f"{name}: retrograde DTM disagrees with Gaviota on {disagree} positions")
            optimum = (gaviota + 1) / 2                     # plies to mate -> attacker moves

            t0 = time.perf_counter()
            config = CheckmateConfig(iterations=iterations, batch=opt.games)

            def report(fraction, s=share, n=name):
                ctx.progress(s + 0.05 + 0.25 * fraction, f"{n}: training")

            theta, history = train(eg, pool, config, rng, progress=report)
            seconds[f"{name} training"] = time.perf_counter() - t0
            greedy = play(eg, theta, held, None, greedy=True, max_moves=config.max_moves, record=True)
            sampled = play(eg, theta, held, rng, max_moves=config.max_moves)
            random_mover = play(eg, np.zeros_like(theta), held, rng, max_moves=config.max_moves)   # theta = 0
            mated = greedy.mated
            results[name] = {
                "feature_names": eg.feature_names, "theta": theta, "history": history, "held": held, "games": greedy, "optimum": optimum,
                "mate_rate": float(mated.mean()),
                "moves_ratio": float(greedy.moves[mated].sum() / optimum[mated].sum()) if mated.any() else np.nan,
                "sampled_mate_rate": float(sampled.mated.mean()),
                "random_mate_rate": float(random_mover.mated.mean()),
                "games_trained": iterations * opt.games,
            }

        ctx.progress(0.7, "CartPole-v1 with the same REINFORCE")
        t0 = time.perf_counter()
        cp_config = cartpole.CartPoleConfig(iterations=opt.cartpole_iterations)
        theta_cp, cp_curve, cp_steps = cartpole.train(cp_config, seed=ctx.seed)
        cp_returns = cartpole.evaluate(theta_cp, seed=ctx.seed + 1, episodes=20)
        seconds["CartPole"] = time.perf_counter() - t0

    kqk, krk = results["KQK"], results["KRK"]
    metrics = {
        "mate_rate": kqk["mate_rate"],
        "moves_ratio": kqk["moves_ratio"],
        "random_mate_rate": kqk["random_mate_rate"],
        "krk_mate_rate": krk["mate_rate"],
        "cartpole_seconds": seconds["CartPole"],
        "cartpole_return": float(cp_returns.mean()),
    }
    ctx.progress(0.85, "drawing")
    figures = _figures(ctx, results, cp_curve)
    names = kqk["feature_names"] + ("repeats a position",)
    top = sorted(zip(names, kqk["theta"]), key=lambda nw: -abs(nw[1]))[:5]
    notes = [
        f"{n}: greedy policy mates {r['mate_rate']:.1%} of {len(r['held'])} held-out starts within 50 moves, "
        f"{r['moves_ratio']:.2f} x Gaviota's optimum moves; sampling from the policy {r['sampled_mate_rate']:.1%}; "
        f"a random mover {r['random_mate_rate']:.1%}; trained on {r['games_trained']} games"
        for n, r in results.items()
    ] + [
        "retrograde DTM tables agree with Gaviota on every held-out start (KQK and KRK)",
        "KQK learned weights (largest): " + ", ".join(f"{n} {w:+.1f}" for n, w in top),
        f"CartPole-v1: mean return {cp_returns.mean():.1f} over 20 greedy episodes after {len(cp_curve)} updates "
        f"of {cp_config.batch} vectorised episodes ({cp_config.batch * len(cp_curve)} episodes, {cp_steps} steps), "
        f"{seconds['CartPole']:.2f} s",
        "seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in seconds.items()),
    ]
    reference = Reference("Gaviota tablebase (optimal play)",
                          {"mate_rate": 1.0, "moves_ratio": 1.0, "krk_mate_rate": 1.0, "cartpole_return": 500.0})
    return Outcome(metrics=metrics, reference=reference, figures=figures, notes=notes)


GLYPHS = {"K": "\u2654", "Q": "\u2655", "R": "\u2656", "k": "\u265a"}


def _draw_boards(ax, piece: str, positions: list[int], titles: list[str]) -> None:
    """Board diagrams of `positions` side by side in one axes (one image, glyphs as text: fast to draw)."""
    import numpy as np

    from ml52.reinforcement.endgame import decode

    light, dark, gap = np.array([240, 217, 181]) / 255, np.array([181, 136, 99]) / 255, 1
    squares = (np.arange(8)[:, None] + np.arange(8)[None, :]) % 2            # (rank, file); a1 is dark
    board = np.where(squares[..., None] == 0, dark, light)                   # (8, 8, 3)
    width = 8 + gap
    image = np.ones((8, width * len(positions) - gap, 3))
    for k, index in enumerate(positions):
        image[:, k * width:k * width + 8] = board
        for sq, glyph in zip((int(x) for x in decode(np.int64(index))), (GLYPHS["K"], GLYPHS[piece], GLYPHS["k"])):
            ax.text(k * width + sq % 8, sq // 8, glyph, ha="center", va="center", fontsize=17)
        ax.text(k * width + 3.5, 8.0, titles[k], ha="center", va="bottom", fontsize=8)
    ax.imshow(image, origin="lower")
    ax.axis("off")


def _figures(ctx, results, cp_curve):
    import numpy as np

    from ml52.io import pyplot, save_figure
    plt = pyplot()
    fig = plt.figure(figsize=(14, 6.6))
    grid = fig.add_gridspec(2, 3, height_ratios=(1.4, 1), hspace=0.45, wspace=0.25)
    ax_rate, ax_moves, ax_cp = (fig.add_subplot(grid[0, k]) for k in range(3))
    for name, r in results.items():
        it = [h["iteration"] for h in r["history"]]
        ax_rate.plot(it, [h["mate_rate"] for h in r["history"]], label=f"{name} (training games)")
        ax_moves.plot(it, [h["moves"] / h["optimal"] for h in r["history"]], label=name)
        ax_rate.scatter([it[-1]], [r["mate_rate"]], marker="*", s=80, zorder=3)
    ax_rate.axhline(0.95, color="r", ls=":", label="bar 0.95 (held-out, star)")
    ax_rate.set(xlabel="REINFORCE update (starts move away from mate)", ylabel="mate rate within 50 moves",
                title="mate rate over training")
    ax_rate.legend(fontsize=8)
    ax_moves.axhline(2.0, color="r", ls=":", label="bar 2.0")
    ax_moves.set(xlabel="REINFORCE update", ylabel="moves to mate / optimum", title="moves to mate over training")
    ax_moves.legend(fontsize=8)
    ax_cp.plot(np.arange(1, len(cp_curve) + 1), cp_curve)
    ax_cp.axhline(475, color="r", ls=":", label="bar 475")
    ax_cp.set(xlabel="update", ylabel="mean return", title="CartPole-v1, same REINFORCE")
    ax_cp.legend(fontsize=8)

    # a learned mate from a held-out start: the one with the longest optimal mate (5+ moves)
    r = results["KQK"]
    g = r["games"]
    candidates = np.flatnonzero(g.mated & (r["optimum"] >= 5))
    pick = candidates[np.argmax(r["optimum"][candidates])] if candidates.size else int(np.argmax(g.mated))
    line = g.lines[pick]                        # W, B, W, B, ... ending on the mating position
    shown = line[::2][-7:] + [line[-1]]         # the last white-to-move positions, then the mate
    first_move = len(line[::2]) - len(shown) + 1
    titles = [f"move {first_move + k}, white to play" for k in range(len(shown) - 1)] + ["checkmate"]
    _draw_boards(fig.add_subplot(grid[1, :]), "Q", shown, titles)
    fig.text(0.5, 0.395, f"KQK from a held-out start: the learned policy mates in {g.moves[pick]} moves "
             f"against Gaviota's best defence (optimum {int(r['optimum'][pick])}); its last moves:",
             ha="center", fontsize=11)
    return [save_figure(fig, ctx.figure("chess_endgame.png"))]


LESSON = Lesson(
    slug="chess-endgame",
    concept="reinforcement learning (policy gradients)",
    algorithm="REINFORCE with a baseline: softmax policy over features of each legal move; curriculum",
    idea=("Instead of valuing states, a policy-gradient learner makes the moves that led to wins more likely, "
          "weighting each move by how much better the game went than usual. Games that start close to mate "
          "teach first, and the starts move outward as the player improves."),
    problem="checkmate with King and Queen (and King and Rook) against a king that defends perfectly",
    data="random legal endgame positions; defender and judge: Gaviota tablebases (Debian gaviotatb)",
    metric="held-out mate rate within 50 moves; moves to mate / tablebase optimum",
    bars=(Bar("mate_rate", ">=", 0.95), Bar("moves_ratio", "<=", 2.0), Bar("cartpole_return", ">=", 475)),
    budget=3.5,
    run=run,
    sources=("reinforcement/reinforce.py", "reinforcement/checkmate.py", "reinforcement/endgame.py",
             "reinforcement/cartpole.py", "lessons/chess_endgame.py"),
    options=Options,
)
