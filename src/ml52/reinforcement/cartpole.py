"""Balancing a pole with the same REINFORCE code that learns to checkmate.

Gymnasium's CartPole-v1 (Barto, Sutton & Anderson, 1983), run as a NumPy-vectorised batch of
environments (`CartPoleVectorEnv`): every policy step moves all episodes of a batch at once. The policy is
the softmax over per-action features of `reinforce.py`, with phi(s, a) = onehot(a) (x) [s, 1]: a linear
score of the 4 state numbers (cart position and velocity, pole angle and angular velocity) per action.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml52.reinforcement.reinforce import Adam, action_probabilities, advantages, discounted_returns, sample, \
    score_weights

A = 2           # push left, push right
MAX_STEPS = 500


@dataclass
class CartPoleConfig:
    """Hyperparameters of REINFORCE on CartPole-v1."""

    iterations: int = 30     # at most this many policy-gradient updates ...
    solved: float = 490.0    # ... stopping once a batch's mean return reaches this (a seeded, repeatable rule)
    batch: int = 16          # episodes (vectorised environments) per update
    gamma: float = 0.99      # discount per step
    lr: float = 0.3          # Adam step size


def features(obs: np.ndarray) -> np.ndarray:
    """phi(s, a) = onehot(a) (x) [s, 1]: obs (B, 4) -> (B, A, 2 * 5)."""
    s1 = np.concatenate([obs, np.ones((len(obs), 1))], axis=1)      # (B, 5)
    phi = np.zeros((len(obs), A, A * s1.shape[1]))
    for a in range(A):
        phi[:, a, a * s1.shape[1]:(a + 1) * s1.shape[1]] = s1
    return phi


def make_envs(n: int):
    """`n` CartPole-v1 environments stepped together (an ended episode restarts on the next step)."""
    from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv

    return CartPoleVectorEnv(num_envs=n, max_episode_steps=MAX_STEPS)


def run_episodes(envs, theta: np.ndarray, seed: int, rng: np.random.Generator | None, greedy: bool = False):
    """One episode in each of the batch's environments.

    Returns phi (T, B, A, F), pi (T, B, A), actions (T, B), rewards (T, B), alive (T, B) and the returns (B,).
    """
    obs, _ = envs.reset(seed=seed)
    B = len(obs)
    alive = np.ones(B, dtype=bool)
    trace = {"phi": [], "pi": [], "a": [], "r": [], "alive": []}
    while alive.any():
        phi = features(obs)                                            # (B, A, F)
        pi = action_probabilities(phi @ theta, np.ones((B, A), dtype=bool))
        a = pi.argmax(axis=1) if greedy else sample(pi, rng)
        obs, r, terminated, truncated, _ = envs.step(a)
        for key, value in zip(trace, (phi, pi, a, r * alive, alive.copy())):
            trace[key].append(value)
        alive &= ~(terminated | truncated)                             # only each env's first episode counts
    out = {k: np.stack(v) for k, v in trace.items()}
    return out, out["r"].sum(axis=0)


def train(config: CartPoleConfig, seed: int, progress=lambda fraction: None):
    """REINFORCE with a baseline on CartPole-v1; returns theta, mean return per update, env steps."""
    rng = np.random.default_rng(seed)
    envs = make_envs(config.batch)
    theta = np.zeros(A * 5)
    adam = Adam(lr=config.lr)
    curve, steps = [], 0
    for it in range(config.iterations):
        tr, returns = run_episodes(envs, theta, seed=int(rng.integers(2**31)), rng=rng)
        steps += int(tr["alive"].sum())
        adv = advantages(discounted_returns(tr["r"], tr["alive"], config.gamma), tr["alive"])   # (T, B)
        w = np.stack([score_weights(pi, a, ad) for pi, a, ad in zip(tr["pi"], tr["a"], adv)])  # (T, B, A)
        # sum_t adv_t grad log pi(a_t | s_t) = sum_{t, b, a} w * phi, averaged over the episodes
        theta = adam.step(theta, np.einsum("tba,tbaf->f", w, tr["phi"]) / config.batch)
        curve.append(float(returns.mean()))
        progress((it + 1) / config.iterations)
        if curve[-1] >= config.solved:
            break
    envs.close()
    return theta, curve, steps


def evaluate(theta: np.ndarray, seed: int, episodes: int = 20) -> np.ndarray:
    """Returns of the greedy policy over `episodes` fresh CartPole-v1 episodes (vectorised)."""
    envs = make_envs(episodes)
    _, returns = run_episodes(envs, theta, seed=seed, rng=None, greedy=True)
    envs.close()
    return returns


# ---- the plain way, for comparison: one environment, one PyTorch step at a time -------------------

def plain_torch_reinforce(seed: int, max_episodes: int = 1000, solved: float = 475.0, window: int = 20):
    """The textbook per-step PyTorch REINFORCE (PyTorch's examples/reinforcement_learning/reinforce.py:
    a 4-128-2 network with dropout, Adam, one update per episode) on one CartPole-v1 until the last
    `window` episodes average `solved`: (episodes, env steps) it needed.

    Not used by the lesson (it takes tens of seconds); the benchmark beside the vectorised version.
    """
    import gymnasium as gym
    import torch

    torch.manual_seed(seed)
    env = gym.make("CartPole-v1")
    net = torch.nn.Sequential(torch.nn.Linear(4, 128), torch.nn.Dropout(0.6), torch.nn.ReLU(),
                              torch.nn.Linear(128, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    returns, steps = [], 0
    obs, _ = env.reset(seed=seed)
    for episode in range(1, max_episodes + 1):
        log_probs, rewards, done = [], [], False
        while not done:
            dist = torch.distributions.Categorical(logits=net(torch.as_tensor(obs)))
            a = dist.sample()
            obs, r, terminated, truncated, _ = env.step(int(a))
            log_probs.append(dist.log_prob(a))
            rewards.append(float(r))
            done = terminated or truncated
        steps += len(rewards)
        G, running = [], 0.0
        for r in reversed(rewards):           # G_t = r_t + gamma G_{t+1}
            running = r + 0.99 * running
            G.insert(0, running)
        G = torch.tensor(G)
        G = (G - G.mean()) / (G.std() + 1e-8)   # the baseline: the episode's mean return
        loss = -(torch.stack(log_probs) * G).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        returns.append(sum(rewards))
        obs, _ = env.reset()
        if len(returns) >= window and np.mean(returns[-window:]) >= solved:
            break
    env.close()
    return episode, steps
