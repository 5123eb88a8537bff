"""Tabular Q-learning: learn the value of each action in each state from trial and error.

Watkins (1989); Sutton & Barto, *Reinforcement Learning: An Introduction*, 2nd ed., 6.5. After each step
(s, a, r, s') the estimate moves toward the one-step target:

    Q(s, a) <- Q(s, a) + alpha * (r + gamma * max_a' Q(s', a') - Q(s, a))

The agent acts epsilon-greedily (a random action with probability epsilon), with epsilon and the
learning rate alpha decaying linearly over training: explore a lot and learn fast at first, then settle.
A truncated episode (time limit) still bootstraps from s'; only a true end of the task does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class QLearningConfig:
    """Hyperparameters of tabular Q-learning."""

    episodes: int = 300          # training episodes
    gamma: float = 0.95          # discount of future reward
    alpha_start: float = 0.5     # learning rate at the start ...
    alpha_end: float = 0.05      # ... decaying linearly to this at the end
    epsilon_start: float = 1.0   # exploration rate at the start ...
    epsilon_end: float = 0.05    # ... decaying linearly to this ...
    epsilon_decay: float = 0.7   # ... over this fraction of the episodes, then constant
    eval_every: int = 10         # episodes between greedy evaluations (for the learning curve)


@dataclass
class QLearningResult:
    Q: np.ndarray                                         # (S, A) learned action values
    returns: list[float] = field(default_factory=list)    # return of each training episode
    evaluations: list[tuple[int, float]] = field(default_factory=list)  # (episode, greedy score)
    steps: int = 0                                        # environment steps taken


def linear(start: float, end: float, progress: float) -> float:
    """A linear schedule: `start` at progress 0, `end` at progress >= 1."""
    return start + (end - start) * min(max(progress, 0.0), 1.0)


def q_learning(env, config: QLearningConfig, seed: int,
               evaluate: Callable[[np.ndarray], float] | None = None) -> QLearningResult:
    """Train Q-learning on a Gymnasium env with discrete observations and actions.

    `evaluate(Q)` (optional) scores the greedy policy every `config.eval_every` episodes.
    """
    rng = np.random.default_rng(seed)
    S, A = env.observation_space.n, env.action_space.n
    result = QLearningResult(Q=np.zeros((S, A)))
    Q = result.Q
    for episode in range(config.episodes):
        progress = episode / max(config.episodes - 1, 1)
        epsilon = linear(config.epsilon_start, config.epsilon_end, progress / config.epsilon_decay)
        alpha = linear(config.alpha_start, config.alpha_end, progress)
        # the env's own randomness (start states) is seeded once, from our seed
        s, _ = env.reset(seed=int(rng.integers(2**31))) if episode == 0 else env.reset()
        total, done = 0.0, False
        while not done:
            # epsilon-greedy: explore with probability epsilon, else the best known action
            a = int(rng.integers(A)) if rng.random() < epsilon else int(Q[s].argmax())
            s2, r, terminated, truncated, _ = env.step(a)
            # target = r + gamma * max_a' Q(s', a'), without the bootstrap when the task truly ended
            target = r + (0.0 if terminated else config.gamma * Q[s2].max())
            Q[s, a] += alpha * (target - Q[s, a])
            s, total, done = s2, total + r, terminated or truncated
            result.steps += 1
        result.returns.append(total)
        if evaluate is not None and (episode + 1) % config.eval_every == 0:
            result.evaluations.append((episode + 1, evaluate(Q)))
    return result


def greedy_rollout(env, Q: np.ndarray, start_options: dict | None = None, seed: int | None = None,
                   max_steps: int = 1000) -> tuple[float, list[int], list[dict]]:
    """Play the greedy policy once: (return, visited states, infos)."""
    s, info = env.reset(seed=seed, options=start_options)
    states, infos, total = [s], [info], 0.0
    for _ in range(max_steps):
        s, r, terminated, truncated, info = env.step(int(Q[s].argmax()))
        states.append(s)
        infos.append(info)
        total += r
        if terminated or truncated:
            break
    return total, states, infos
