"""Lesson robot-walk: Q-learning teaches a crawler robot to walk, checked by value iteration."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference


@dataclass
class Options:
    crawler_episodes: int = field(default=120,
                                  metadata={"help": "Q-learning episodes (100 steps each) for the crawler"})
    cliff_episodes: int = field(default=100, metadata={"help": "Q-learning episodes on CliffWalking-v1"})


def run(ctx: Context) -> Outcome:
    import time

    import gymnasium as gym
    import numpy as np

    from ml52.errors import UserError
    from ml52.reinforcement.envs.crawler import CrawlerEnv, gait_speed
    from ml52.reinforcement.qlearning import QLearningConfig, greedy_rollout, q_learning
    from ml52.reinforcement.value_iteration import TabularModel, greedy, value_iteration

    opt = ctx.options or Options()
    if opt.crawler_episodes < 1 or opt.cliff_episodes < 1:
        raise UserError("--crawler-episodes and --cliff-episodes must be at least 1")

    # ---- the crawler: value iteration on the known model is the referee ---------------------------
    clock = time.perf_counter()
    env = CrawlerEnv(max_steps=100)
    nxt, reward = env.model()                                   # (S, A) each
    start = (env.n_arm // 2) * env.n_hand + env.n_hand - 1      # arm level, hand straight
    gamma = 0.95
    Q_star, sweeps = value_iteration(TabularModel.deterministic(nxt, reward), gamma)
    best_speed = gait_speed(nxt, reward, greedy(Q_star), start)
    seconds = {"crawler value iteration": time.perf_counter() - clock}
    clock = time.perf_counter()
    ctx.progress(0.1, "value iteration solved the crawler")

    # ---- Q-learning from trial and error only ---------------------------------------------------
    config = QLearningConfig(episodes=opt.crawler_episodes, gamma=gamma, alpha_start=1.0, alpha_end=0.5,
                             epsilon_start=1.0, epsilon_end=0.05, epsilon_decay=0.7, eval_every=5)
    crawl = q_learning(env, config, seed=ctx.seed,
                       evaluate=lambda Q: gait_speed(nxt, reward, greedy(Q), start) / best_speed)
    speed = gait_speed(nxt, reward, greedy(crawl.Q), start)
    seconds["crawler Q-learning"] = time.perf_counter() - clock
    clock = time.perf_counter()
    ctx.progress(0.5, "Q-learning taught the crawler")

    # ---- CliffWalking-v1: the learned greedy return against the exact optimum --------------------
    cliff = gym.make("CliffWalking-v1").unwrapped   # the raw env: its step is all Q-learning needs
    cliff_model = TabularModel.from_gymnasium(cliff)
    Q_cliff_star, _ = value_iteration(cliff_model, gamma=1.0)
    cliff_start, _ = cliff.reset(seed=ctx.seed)
    optimum = float(Q_cliff_star[cliff_start].max())
    cliff_cfg = QLearningConfig(episodes=opt.cliff_episodes, gamma=1.0, alpha_start=1.0, alpha_end=0.5,
                                epsilon_start=0.1, epsilon_end=0.0, epsilon_decay=1.0, eval_every=10**9)
    walk = q_learning(cliff, cliff_cfg, seed=ctx.seed + 1)
    cliff_return, cliff_path, _ = greedy_rollout(cliff, walk.Q, max_steps=100)
    seconds["CliffWalking (value iteration + Q-learning)"] = time.perf_counter() - clock
    clock = time.perf_counter()
    ctx.progress(0.7, "Q-learning walked the cliff")

    figures = _figures(ctx, env, nxt, reward, crawl, Q_star, start, walk, optimum)
    seconds["figures and GIF"] = time.perf_counter() - clock
    metrics = {"speed_ratio": speed / best_speed, "cliff_return": float(cliff_return)}
    notes = [
        f"crawler: learned gait {speed:.4f} body-lengths/step vs value iteration's {best_speed:.4f} "
        f"({sweeps} sweeps, gamma {gamma}); Q-learning took {crawl.steps} steps ({opt.crawler_episodes} episodes)",
        f"CliffWalking-v1: greedy return {cliff_return:g} in {len(cliff_path) - 1} moves after {walk.steps} "
        f"steps of Q-learning; value iteration's optimum {optimum:g}",
        "seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in seconds.items()),
    ]
    reference = Reference("value iteration (exact optimum)", {"speed_ratio": 1.0, "cliff_return": optimum})
    return Outcome(metrics=metrics, reference=reference, figures=figures, notes=notes)


def _figures(ctx, env, nxt, reward, crawl, Q_star, start, walk, optimum):
    """gait.png: frames, distance over time, learning curves; gait.gif: the learned gait moving."""
    import io as _io

    import numpy as np
    from PIL import Image

    from ml52.io import pyplot, save_figure, write_atomic
    from ml52.reinforcement.value_iteration import greedy

    def trajectory(policy, steps):
        s, x, xs, states = start, 0.0, [0.0], [start]
        for _ in range(steps):
            a = policy[s]
            x, s = x + reward[s, a], int(nxt[s, a])
            xs.append(x)
            states.append(s)
        return np.array(xs), states

    steps = 60
    xs, states = trajectory(greedy(crawl.Q), steps)
    xs_star, _ = trajectory(greedy(Q_star), steps)
    frames = [env.draw(xs[t], *divmod(states[t], env.n_hand), size=(360, 110), x_view=-0.5, view=6.0)
              for t in range(steps + 1)]

    gif = ctx.figure("gait.gif")
    buf = _io.BytesIO()
    images = [Image.fromarray(f) for f in frames]
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    write_atomic(gif, buf.getvalue())

    plt = pyplot()
    fig = plt.figure(figsize=(12, 6.5))
    grid = fig.add_gridspec(2, 3, height_ratios=(0.7, 1.3))
    strip = [env.draw(xs[t], *divmod(states[t], env.n_hand), size=(200, 110)) for t in range(4, 16, 2)]
    ax = fig.add_subplot(grid[0, :])
    ax.imshow(np.concatenate(strip, axis=1))
    ax.set_title("the learned gait, every 2nd step (camera follows the body; hand down, pull, lift, reach)")
    ax.axis("off")
    ax = fig.add_subplot(grid[1, 0])
    ax.plot(xs, label="Q-learning's greedy gait")
    ax.plot(xs_star, "--", label="value iteration's optimum")
    ax.set(xlabel="step", ylabel="distance (body lengths)", title="distance over time")
    ax.legend()
    ax = fig.add_subplot(grid[1, 1])
    ep, score = zip(*crawl.evaluations)
    ax.plot(ep, score)
    ax.axhline(0.8, color="r", ls=":", label="bar 0.8")
    ax.set(xlabel="episode", ylabel="speed / optimum", title="crawler: greedy gait while learning")
    ax.legend()
    ax = fig.add_subplot(grid[1, 2])
    ax.plot(walk.returns, lw=0.8)
    ax.axhline(optimum, color="r", ls=":", label=f"optimum {optimum:g}")
    ax.set(xlabel="episode", ylabel="return (while exploring)", title="CliffWalking-v1: Q-learning",
           ylim=(max(min(walk.returns), -300), 0))
    ax.legend()
    fig.subplots_adjust(hspace=0.3, wspace=0.3)   # fixed spacing: tight_layout costs a redraw
    return [save_figure(fig, ctx.figure("robot_walk.png")), gif]


LESSON = Lesson(
    slug="robot-walk",
    concept="reinforcement learning (Q-learning)",
    algorithm="tabular Q-learning with epsilon and learning-rate schedules; value iteration as referee",
    idea=("An agent that only sees states and rewards can still learn which action is worth most in each "
          "state, by nudging its estimate toward the reward plus the best estimate of where it lands. "
          "Exploring at random at first and less later, a crawler robot discovers a gait on its own."),
    problem="teach a two-jointed crawler robot to drag itself forward; walk the cliff edge in CliffWalking-v1",
    data="ml52's crawler environment (CS188-style, own physics); Gymnasium's CliffWalking-v1",
    metric="learned gait speed / optimal speed (value iteration); CliffWalking greedy return",
    bars=(Bar("speed_ratio", ">=", 0.8), Bar("cliff_return", "==", -13)),
    budget=1.5,
    run=run,
    sources=("reinforcement/qlearning.py", "reinforcement/value_iteration.py",
             "reinforcement/envs/crawler.py", "lessons/robot_walk.py"),
    options=Options,
)
