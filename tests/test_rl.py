"""Tabular RL: the crawler env contract, value iteration against hand-computed and known optima,
Q-learning against value iteration."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from ml52.reinforcement.envs.crawler import ARM_DOWN, ARM_UP, HAND_DOWN, CrawlerEnv, gait_speed
from ml52.reinforcement.qlearning import QLearningConfig, greedy_rollout, linear, q_learning
from ml52.reinforcement.value_iteration import TabularModel, greedy, value_iteration


def test_crawler_passes_gymnasium_check_env():
    check_env(CrawlerEnv(render_mode="rgb_array"), skip_render_check=False)


def test_crawler_render_is_an_rgb_picture():
    env = CrawlerEnv(render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.shape == (120, 240, 3)
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 3   # ground, body, arm, hand drawn


def test_crawler_is_seeded_and_limits_are_no_ops():
    a, b = CrawlerEnv(), CrawlerEnv()
    assert a.reset(seed=7)[0] == b.reset(seed=7)[0]
    env = CrawlerEnv()
    s, _ = env.reset(options={"state": 0})           # arm and hand both at their lowest bucket
    assert env.step(ARM_DOWN)[0] == s and env.step(HAND_DOWN)[0] == s
    assert env.step(ARM_UP)[0] == s + env.n_hand


def test_crawler_physics_by_hand():
    env = CrawlerEnv()
    # hand straight out along a raised arm: the fingertip is in the air, nothing moves
    top = (env.n_arm - 1, env.n_hand - 1)
    assert not env.touches(*top) and env.displacement(*top, top[0] - 1, top[1]) == 0.0
    # find two neighbouring states that both grip the ground: the body moves by minus the change of reach
    for arm in range(1, env.n_arm):
        for hand in range(env.n_hand):
            if env.touches(arm, hand) and env.touches(arm - 1, hand):
                dx = env.displacement(arm, hand, arm - 1, hand)
                assert dx == pytest.approx(env.reach(arm, hand)[0] - env.reach(arm - 1, hand)[0], abs=1e-12)
                # the fingertip stays on the ground: the body is propped up so tip height is exactly 0
                assert env.BODY_HEIGHT + env.lift(arm, hand) + env.reach(arm, hand)[1] == pytest.approx(0, abs=1e-12)
                return
    pytest.fail("no gripping move found")


def test_model_matches_step():
    env = CrawlerEnv()
    nxt, reward = env.model()
    rng = np.random.default_rng(0)
    for s in rng.integers(env.observation_space.n, size=20):
        for a in range(4):
            env.reset(options={"state": int(s)})
            s2, r, *_ = env.step(a)
            assert s2 == nxt[s, a] and r == reward[s, a]


def test_gait_speed_on_a_hand_made_cycle():
    # 3 states in a ring 0 -> 1 -> 2 -> 0 with rewards 1, 2, 3; a tail state 3 -> 0 with reward 100
    nxt = np.array([[1], [2], [0], [0]])
    reward = np.array([[1.0], [2.0], [3.0], [100.0]])
    assert gait_speed(nxt, reward, np.zeros(4, dtype=int), start=3) == pytest.approx(2.0)


def test_value_iteration_on_a_hand_computed_mdp():
    # two states; in state 0 action 1 pays 1 and moves to 1; in state 1 any action pays 2 and stays.
    # Q*(1, .) = 2 / (1 - g); Q*(0, 1) = 1 + g Q*(1); Q*(0, 0) = 0 + g V*(0) with V*(0) = Q*(0, 1)
    g = 0.9
    nxt = np.array([[0, 1], [1, 1]])
    reward = np.array([[0.0, 1.0], [2.0, 2.0]])
    Q, _ = value_iteration(TabularModel.deterministic(nxt, reward), g)
    v1 = 2 / (1 - g)
    assert Q[1] == pytest.approx([v1, v1], abs=1e-8)     # tol 1e-10 per sweep -> ~1e-9 error at g = 0.9
    assert Q[0, 1] == pytest.approx(1 + g * v1, abs=1e-8)
    assert Q[0, 0] == pytest.approx(g * (1 + g * v1), abs=1e-8)


def test_value_iteration_solves_cliff_walking_at_minus_13():
    env = gym.make("CliffWalking-v1")
    s, _ = env.reset(seed=0)
    Q, _ = value_iteration(TabularModel.from_gymnasium(env), gamma=1.0)
    # the known optimum: 13 steps along the cliff edge, -1 each
    assert Q[s].max() == pytest.approx(-13.0, abs=1e-9)
    ret, path, _ = greedy_rollout(env.unwrapped, Q, max_steps=100)
    assert ret == -13 and len(path) == 14


def test_linear_schedule():
    assert linear(1.0, 0.0, 0.0) == 1.0 and linear(1.0, 0.0, 0.25) == 0.75 and linear(1.0, 0.0, 3.0) == 0.0


def test_q_learning_finds_value_iterations_gait():
    env = CrawlerEnv(max_steps=100)
    nxt, reward = env.model()
    Q_star, _ = value_iteration(TabularModel.deterministic(nxt, reward), 0.95)
    result = q_learning(env, QLearningConfig(episodes=150, gamma=0.95, alpha_start=1.0, alpha_end=0.5), seed=3)
    start = (env.n_arm // 2) * env.n_hand + env.n_hand - 1
    best = gait_speed(nxt, reward, greedy(Q_star), start)
    assert best > 0.04     # the optimum really walks
    assert gait_speed(nxt, reward, greedy(result.Q), start) >= 0.8 * best


def test_q_learning_values_converge_to_value_iteration_on_the_cliff_path():
    env = gym.make("CliffWalking-v1").unwrapped
    Q_star, _ = value_iteration(TabularModel.from_gymnasium(env), gamma=1.0)
    cfg = QLearningConfig(episodes=300, gamma=1.0, alpha_start=1.0, alpha_end=0.5, epsilon_start=0.1,
                          epsilon_end=0.0, epsilon_decay=1.0)
    result = q_learning(env, cfg, seed=0)
    ret, path, _ = greedy_rollout(env, result.Q, max_steps=100)
    assert ret == -13
    # deterministic moves and alpha >= 0.5: on the greedy path the estimates are exact to rounding
    for s in path[:-1]:
        assert result.Q[s].max() == pytest.approx(Q_star[s].max(), abs=1e-6)


def test_q_learning_is_deterministic_given_the_seed():
    cfg = QLearningConfig(episodes=5)
    a = q_learning(CrawlerEnv(max_steps=50), cfg, seed=1).Q
    b = q_learning(CrawlerEnv(max_steps=50), cfg, seed=1).Q
    np.testing.assert_array_equal(a, b)


# ---- CartPole with the REINFORCE of the chess lesson ------------------------------------------------

def test_cartpole_features_put_the_state_in_the_actions_block():
    from ml52.reinforcement.cartpole import features

    obs = np.array([[1.0, 2.0, 3.0, 4.0]])
    phi = features(obs)
    assert phi.shape == (1, 2, 10)
    np.testing.assert_array_equal(phi[0, 0], [1, 2, 3, 4, 1, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(phi[0, 1], [0, 0, 0, 0, 0, 1, 2, 3, 4, 1])


def test_cartpole_episodes_count_only_each_envs_first_episode():
    from ml52.reinforcement.cartpole import evaluate

    # always pushing left drops the pole within a few dozen steps; every env's return is its own episode
    theta = np.zeros(10)
    theta[4] = 10.0                         # a big bias for "left"
    returns = evaluate(theta, seed=0, episodes=5)
    assert returns.shape == (5,) and (returns >= 8).all() and (returns < 60).all()


def test_plain_torch_reinforce_smoke():
    from ml52.reinforcement.cartpole import plain_torch_reinforce

    episodes, steps = plain_torch_reinforce(seed=0, max_episodes=3)
    assert episodes == 3 and steps >= 3 * 8
