"""REINFORCE with a baseline: a softmax policy over features of each action, trained by policy gradient.

Williams, "Simple statistical gradient-following algorithms for connectionist reinforcement learning",
Machine Learning 8, 1992; Sutton & Barto, *Reinforcement Learning: An Introduction*, 2nd ed., 13.3-13.4.

Each legal action `a` in state `s` is described by a feature vector phi(s, a); the policy is

    pi(a | s) = exp(theta . phi(s, a)) / sum_b exp(theta . phi(s, b))      (over the legal b)

and its score function (the gradient of the log-probability) is

    grad log pi(a | s) = phi(s, a) - sum_b pi(b | s) phi(s, b).

REINFORCE plays whole episodes and moves theta along  sum_t (G_t - b_t) grad log pi(a_t | s_t),  where
G_t is the discounted return from step t on and b_t a baseline (here the batch's mean return at that
step) that lowers the variance without biasing the gradient. Everything is batched over many
episodes at once: states are rows, so one NumPy call serves the whole batch. The same functions train
the chess attacker (`checkmate.py`) and the CartPole balancer (`cartpole.py`); only phi differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def action_probabilities(logits: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """pi(a | s) for a batch: logits theta . phi(s, a) and legal, both (B, A) -> (B, A)."""
    logits = np.where(legal, logits, -np.inf)
    logits = logits - logits.max(axis=1, keepdims=True)        # stable softmax
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def sample(pi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One action per row of pi (B, A), by inverse-CDF sampling with one uniform number per row."""
    u = rng.random((pi.shape[0], 1))
    a = np.minimum((pi.cumsum(axis=1) < u * pi.sum(axis=1, keepdims=True)).sum(axis=1), pi.shape[1] - 1)
    return np.where(pi[np.arange(len(a)), a] > 0, a, pi.argmax(axis=1))   # rounding at the very top


def score_weights(pi: np.ndarray, a: np.ndarray, advantage: np.ndarray) -> np.ndarray:
    """advantage * d log pi(a | s) / d logits  (B, A): advantage * (onehot(a) - pi).

    With linear logits theta . phi(s, b), the policy gradient is  sum over rows and actions b of
    these weights times phi(s, b),  i.e.  advantage * (phi(s, a) - sum_b pi(b | s) phi(s, b)).
    """
    w = -pi * advantage[:, None]
    w[np.arange(len(a)), a] += advantage
    return w


def discounted_returns(rewards: np.ndarray, alive: np.ndarray, gamma: float) -> np.ndarray:
    """G_t = r_t + gamma * G_{t+1} for a batch: rewards and alive (T, B) -> G (T, B); 0 after an end."""
    G = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[1])
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = np.where(alive[t], rewards[t] + gamma * running, 0.0)
        G[t] = running
    return G


def advantages(G: np.ndarray, alive: np.ndarray, normalise: bool = True) -> np.ndarray:
    """G_t - b_t for a batch (T, B), with the baseline b_t the mean return of the episodes still running
    at step t (0 where an episode has ended); optionally divided by their spread for scale-free steps."""
    n = np.maximum(alive.sum(axis=1, keepdims=True), 1)               # (T, 1)
    b = (G * alive).sum(axis=1, keepdims=True) / n                     # (T, 1)
    adv = (G - b) * alive                                              # (T, B)
    if normalise:
        adv = adv / (adv[alive].std() + 1e-8)
    return adv


@dataclass
class Adam:
    """Adam (Kingma & Ba, 2015) for gradient *ascent* on a NumPy parameter vector."""

    lr: float = 0.05
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    t: int = 0
    m: np.ndarray | None = None
    v: np.ndarray | None = None

    def step(self, theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
        if self.m is None:
            self.m, self.v = np.zeros_like(theta), np.zeros_like(theta)
        self.t += 1
        # m = beta1 m + (1 - beta1) g ;  v = beta2 v + (1 - beta2) g^2   (then bias-corrected)
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad**2
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        return theta + self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
