"""Learning to checkmate with REINFORCE: many games at once against the tablebase defender.

The attacker (white) picks among its legal moves with the softmax policy of `reinforce.py`, over the
hand-made features of the position each move leads to (`endgame.position_features`) plus one feature of
the game so far: "this move repeats a position" (without it a deterministic policy can shuffle forever).
The defender plays the tablebase-optimal reply (`endgame.best_replies`). The attacker's only reward is 1
for a checkmate, discounted by gamma per move so that quicker mates are worth more.

A curriculum (Bengio et al., "Curriculum learning", ICML 2009) starts the games close to mate and moves the
starting positions outward as training goes on, so the rare reward is found early. The tablebase defends,
orders the curriculum's starts and judges the result; it never rewards and is never a feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ml52.reinforcement.endgame import MATE, N, Endgame
from ml52.reinforcement.reinforce import (Adam, action_probabilities, advantages, discounted_returns, sample,
                                         score_weights)


@dataclass
class CheckmateConfig:
    """Hyperparameters of the attacker's training."""

    iterations: int = 40        # policy-gradient updates
    batch: int = 128            # games per update
    gamma: float = 0.9          # discount per move: a mate in k moves is worth gamma**(k-1)
    lr: float = 1.0             # Adam step size (large: the weights grow to tens within 40 updates)
    max_moves: int = 50         # a game without mate by then counts as failed
    curriculum: float = 0.7     # fraction of training over which starts move out to the full depth


@dataclass
class Games:
    mated: np.ndarray                       # (B,) bool
    moves: np.ndarray                       # (B,) attacker moves played (to mate, or until the end)
    steps: list = field(default_factory=list)   # per move: (games, successors, repeats, pi, chosen)
    lines: list[list[int]] = field(default_factory=list)   # per game: W, B, W, B ... indices (if recorded)


def play(eg: Endgame, theta: np.ndarray, starts: np.ndarray, rng: np.random.Generator | None,
         greedy: bool = False, max_moves: int = 50, learn: bool = False, record: bool = False) -> Games:
    """Play games from the white-to-move `starts` (B,) until mate, a draw or `max_moves`.

    theta (F + 1,): weights of the position features, then of "this move repeats a position".
    """
    B = len(starts)
    # theta . phi for every black-to-move position at once: a move's logit is then one lookup  (N,)
    value = eg.features @ theta[:-1]
    pos = starts.astype(np.int64)
    seen = np.full((B, max_moves), -1, dtype=np.int64)          # positions each game has produced
    running = np.ones(B, dtype=bool)
    games = Games(mated=np.zeros(B, dtype=bool), moves=np.zeros(B, dtype=np.int64))
    if record:
        games.lines = [[int(s)] for s in starts]
    for t in range(max_moves):
        idx = np.flatnonzero(running)
        if idx.size == 0:
            break
        succ = eg.succ_w[pos[idx]]                                 # (b, M) positions after each move
        legal = succ >= 0
        repeats = (succ[:, :, None] == seen[idx, None, :t]).any(axis=2)     # (b, M)
        # logit = theta . phi(position after the move) + theta_repeat * repeats
        pi = action_probabilities(value[np.maximum(succ, 0)] + theta[-1] * repeats, legal)   # (b, M)
        a = pi.argmax(axis=1) if greedy else sample(pi, rng)
        rows = np.arange(idx.size)
        after = succ[rows, a]                                      # black to move
        seen[idx, t] = after
        reply = eg.reply[after]                                    # defender: W index, MATE or DRAW
        games.moves[idx] += 1
        if learn:
            games.steps.append((idx, succ, repeats, pi, a))
        if record:
            for j, g in enumerate(idx):
                games.lines[g] += [int(after[j])] + ([int(reply[j])] if reply[j] >= 0 else [])
        games.mated[idx[reply == MATE]] = True
        running[idx[reply < 0]] = False
        pos[idx[reply >= 0]] = reply[reply >= 0]
    return games


def gradient(eg: Endgame, games: Games, gamma: float) -> np.ndarray:
    """The REINFORCE-with-baseline gradient of a batch of games  (F + 1,).

    Reward 1 at the mating move, so a game mated after k moves has returns G_t = gamma^(k - 1 - t).
    """
    T, B = len(games.steps), len(games.mated)
    alive = np.zeros((T, B), dtype=bool)
    for t, (idx, *_) in enumerate(games.steps):
        alive[t, idx] = True
    rewards = np.zeros((T, B))
    rewards[games.moves - 1, np.arange(B)] = games.mated
    adv = advantages(discounted_returns(rewards, alive, gamma), alive)       # (T, B)
    # sum_t adv_t (phi(a_t) - E_pi phi): gather the weight each position's features get, then one matvec
    where, weight, g_repeat = [], [], 0.0
    for t, (idx, succ, repeats, pi, a) in enumerate(games.steps):
        w = score_weights(pi, a, adv[t, idx])                                 # (b, M)
        legal = succ >= 0
        where.append(succ[legal])
        weight.append(w[legal])
        g_repeat += (w * repeats).sum()
    c = np.bincount(np.concatenate(where), np.concatenate(weight), minlength=N)   # (N,)
    return np.append(c @ eg.features, g_repeat) / B


def train(eg: Endgame, pool: np.ndarray, config: CheckmateConfig, rng: np.random.Generator,
          progress=lambda fraction: None) -> tuple[np.ndarray, list[dict]]:
    """REINFORCE over games from `pool` (white-to-move training starts), nearest to mate first.

    Returns the learned weights theta (F + 1,) and a history of the training batches.
    """
    theta = np.zeros(eg.features.shape[1] + 1)
    adam = Adam(lr=config.lr)
    depth = eg.dtm_w[pool]
    deepest = int(depth.max())
    history = []
    for it in range(config.iterations):
        # curriculum: the deepest start allowed grows from a mate-in-2 to the full depth
        reach = min(it / max(config.curriculum * config.iterations, 1), 1.0)
        limit = 3 + reach * (deepest - 3)
        candidates = pool[depth <= limit]
        starts = candidates[rng.integers(len(candidates), size=config.batch)]
        games = play(eg, theta, starts, rng, max_moves=config.max_moves, learn=True)
        theta = adam.step(theta, gradient(eg, games, config.gamma))
        mated = games.mated
        history.append({"iteration": it + 1, "depth_limit": limit, "mate_rate": float(mated.mean()),
                        "moves": float(games.moves[mated].mean()) if mated.any() else np.nan,
                        "optimal": float(((eg.dtm_w[starts[mated]] + 1) / 2).mean())
                        if mated.any() else np.nan})
        progress((it + 1) / config.iterations)
    return theta, history
