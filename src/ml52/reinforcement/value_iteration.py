"""Value iteration: the exact optimum of a small Markov decision process, when the model is known.

Bellman's optimality equation (Sutton & Barto, *Reinforcement Learning: An Introduction*, 2nd ed., 4.4):

    Q*(s, a) = sum_s' P(s' | s, a) [ r(s, a, s') + gamma * (1 - done(s, a, s')) * max_a' Q*(s', a') ]

Repeating this update from any start converges (it is a gamma-contraction), and acting greedily on Q*
is optimal. Q-learning estimates the same Q* from experience without the model, so value iteration
is the referee for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class TabularModel:
    """A finite MDP as arrays: P (S, A, S') transition probabilities, R (S, A, S') rewards,
    done (S, A, S') whether the transition ends the episode."""

    P: np.ndarray
    R: np.ndarray
    done: np.ndarray

    @classmethod
    def deterministic(cls, nxt: np.ndarray, reward: np.ndarray) -> "TabularModel":
        """From next-state (S, A) and reward (S, A) tables of a deterministic, never-ending task."""
        S, A = nxt.shape
        P = np.zeros((S, A, S))
        P[np.arange(S)[:, None], np.arange(A)[None, :], nxt] = 1.0
        R = np.repeat(reward[:, :, None], S, axis=2)     # (S, A, S')
        return cls(P, R, np.zeros((S, A, S), dtype=bool))

    @classmethod
    def from_gymnasium(cls, env) -> "TabularModel":
        """From a Gymnasium toy-text env's `P[s][a] = [(prob, s', reward, terminated), ...]` table."""
        table = env.unwrapped.P
        S, A = len(table), len(table[0])
        P, R, done = np.zeros((S, A, S)), np.zeros((S, A, S)), np.zeros((S, A, S), dtype=bool)
        for s in range(S):
            for a in range(A):
                for prob, s2, r, term in table[s][a]:
                    P[s, a, s2] += prob
                    R[s, a, s2] = r
                    done[s, a, s2] = term
        return cls(P, R, done)


def value_iteration(model: TabularModel, gamma: float, tol: float = 1e-10,
                    max_iter: int = 100_000) -> tuple[np.ndarray, int]:
    """Q* of `model` to within `tol` (max-norm change per sweep); returns (Q (S, A), sweeps)."""
    S, A, _ = model.P.shape
    Q = np.zeros((S, A))
    # expected immediate reward: sum_s' P r  (S, A)
    r_bar = (model.P * model.R).sum(axis=2)
    # P with the episode's end folded in: transitions that terminate do not bootstrap  (S, A, S')
    P_cont = model.P * ~model.done
    for sweep in range(1, max_iter + 1):
        # Q(s, a) = r_bar(s, a) + gamma * sum_s' P_cont(s, a, s') max_a' Q(s', a')
        Q_new = r_bar + gamma * P_cont @ Q.max(axis=1)
        change = np.abs(Q_new - Q).max()
        Q = Q_new
        if change < tol:
            return Q, sweep
    return Q, max_iter


def greedy(Q: np.ndarray) -> np.ndarray:
    """The greedy policy: the first best action in each state (S,)."""
    return Q.argmax(axis=1)
