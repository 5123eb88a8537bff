"""A crawler robot: a box with a two-joint arm that learns to drag itself forward.

The classic crawler of Berkeley's CS188 reinforcement-learning project (Klein, DeNero et al.,
http://ai.berkeley.edu/reinforcement.html), rebuilt here with our own, deliberately simple physics:

- The body is a box resting on the ground. A shoulder on its front edge holds an arm (length `L1`,
  angle `alpha` above the horizontal); an elbow at the arm's end holds a hand (length `L2`, angle
  `beta` relative to the arm).
- The body rests on the lower of its skids and the fingertip: if the fingertip would go below the
  ground, it props the body up instead.
- When the fingertip is on the ground before and after a move, it grips, and the body slides so the
  fingertip stays where it is. So pulling the arm back while the hand is down drags the body forward.

Both angles are discrete (a few "buckets" each), an action moves one joint by one bucket, and the reward
is the forward distance the body gained. The dynamics are deterministic, so the whole model is a
table (`model()`) that value iteration can solve exactly.

## Action Space
`Discrete(4)`: 0 arm up, 1 arm down, 2 hand up, 3 hand down. At a joint's limit the action does nothing.

## Observation Space
`Discrete(n_arm * n_hand)`: the state index `arm_bucket * n_hand + hand_bucket`.

## Rewards
The body's forward displacement in this step (negative when it slides backwards).

## Episode End
Never terminates (the robot can always keep crawling); truncated after `max_steps` steps.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

ARM_UP, ARM_DOWN, HAND_UP, HAND_DOWN = 0, 1, 2, 3


class CrawlerEnv(gym.Env):
    """The crawler; see the module docstring for its physics and spaces."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    # geometry in body-lengths (the body is 1.0 long)
    BODY_LEN, BODY_HEIGHT, L1, L2 = 1.0, 0.4, 0.8, 0.7

    def __init__(self, render_mode: str | None = None, n_arm: int = 9, n_hand: int = 13, max_steps: int = 200):
        self.n_arm, self.n_hand, self.max_steps = n_arm, n_hand, max_steps
        self.render_mode = render_mode
        # the arm swings from 20 degrees below to 60 degrees above the horizontal;
        # the hand folds from straight along the arm to 150 degrees down
        self.arm_angles = np.linspace(math.radians(-20), math.radians(60), n_arm)
        self.hand_angles = np.linspace(math.radians(-150), 0.0, n_hand)
        self.observation_space = spaces.Discrete(n_arm * n_hand)
        self.action_space = spaces.Discrete(4)
        self.arm, self.hand, self.x, self.t = 0, 0, 0.0, 0
        # the fingertip of every (arm, hand) pair, computed once: step() only looks it up
        self._tips = [[self._tip(arm, hand) for hand in range(n_hand)] for arm in range(n_arm)]

    # ---- the physics -----------------------------------------------------------------------------

    def reach(self, arm: int, hand: int) -> tuple[float, float]:
        """The fingertip relative to the shoulder: (forward, up)."""
        return self._tips[arm][hand]

    def _tip(self, arm: int, hand: int) -> tuple[float, float]:
        a, b = float(self.arm_angles[arm]), float(self.hand_angles[hand])
        # tip = L1 (cos a, sin a) + L2 (cos(a+b), sin(a+b))
        return (self.L1 * math.cos(a) + self.L2 * math.cos(a + b),
                self.L1 * math.sin(a) + self.L2 * math.sin(a + b))

    def lift(self, arm: int, hand: int) -> float:
        """How far the fingertip props the body up: 0 when the body rests on its skids."""
        # the shoulder sits at the top of the body; the fingertip cannot go below the ground (y = 0)
        return max(0.0, -(self.BODY_HEIGHT + self.reach(arm, hand)[1]))

    def touches(self, arm: int, hand: int) -> bool:
        """Is the fingertip on the ground (within a hair, to forgive rounding)?"""
        return self.BODY_HEIGHT + self.lift(arm, hand) + self.reach(arm, hand)[1] <= 1e-9

    def move(self, arm: int, hand: int, action: int) -> tuple[int, int]:
        """The joint buckets after `action` (a joint at its limit stays put)."""
        if action == ARM_UP:
            arm = min(arm + 1, self.n_arm - 1)
        elif action == ARM_DOWN:
            arm = max(arm - 1, 0)
        elif action == HAND_UP:
            hand = min(hand + 1, self.n_hand - 1)
        elif action == HAND_DOWN:
            hand = max(hand - 1, 0)
        return arm, hand

    def displacement(self, arm: int, hand: int, new_arm: int, new_hand: int) -> float:
        """Forward distance the body moves: the gripping fingertip stays put while the reach changes."""
        if not (self.touches(arm, hand) and self.touches(new_arm, new_hand)):
            return 0.0
        # dx_body = -(reach_new - reach_old)
        return self.reach(arm, hand)[0] - self.reach(new_arm, new_hand)[0]

    def model(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole deterministic model: next state (S, A) and reward (S, A)."""
        S, A = self.observation_space.n, self.action_space.n
        nxt, reward = np.zeros((S, A), dtype=np.int64), np.zeros((S, A))
        for arm in range(self.n_arm):
            for hand in range(self.n_hand):
                s = arm * self.n_hand + hand
                for a in range(A):
                    na, nh = self.move(arm, hand, a)
                    nxt[s, a], reward[s, a] = na * self.n_hand + nh, self.displacement(arm, hand, na, nh)
        return nxt, reward

    # ---- the Gymnasium API -----------------------------------------------------------------------

    def _obs(self) -> int:
        return int(self.arm * self.n_hand + self.hand)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if options and "state" in options:
            self.arm, self.hand = divmod(int(options["state"]), self.n_hand)
        else:
            self.arm = int(self.np_random.integers(self.n_arm))
            self.hand = int(self.np_random.integers(self.n_hand))
        self.x, self.t = 0.0, 0
        return self._obs(), {"x": self.x}

    def step(self, action):
        arm, hand = self.move(self.arm, self.hand, int(action))
        dx = self.displacement(self.arm, self.hand, arm, hand)
        self.arm, self.hand, self.x, self.t = arm, hand, self.x + dx, self.t + 1
        return self._obs(), float(dx), False, self.t >= self.max_steps, {"x": self.x}

    def render(self):
        if self.render_mode == "rgb_array":
            return self.draw(self.x, self.arm, self.hand)
        return None

    def draw(self, x: float, arm: int, hand: int, size: tuple[int, int] = (240, 120),
             x_view: float | None = None, view: float = 4.0) -> np.ndarray:
        """An RGB picture (H, W, 3) of the crawler at body position `x` with the given joint buckets.

        The picture shows `view` body-lengths of ground from `x_view` (default: following the body)."""
        from PIL import Image, ImageDraw

        W, H = size
        scale = W / view                                 # pixels per body-length
        left = (x - 1.0) if x_view is None else x_view   # world x at the picture's left edge
        ground = H - 12

        def px(wx: float, wy: float) -> tuple[float, float]:
            return (wx - left) * scale, ground - wy * scale

        img = Image.new("RGB", (W, H), (250, 250, 245))
        d = ImageDraw.Draw(img)
        d.rectangle([0, ground, W, H], fill=(200, 190, 170))
        for tick in np.arange(math.floor(left * 2) / 2, left + view + 0.5, 0.5):   # marks so motion shows
            d.line([px(tick, 0), px(tick, -0.08)], fill=(120, 110, 90), width=1)
        y0 = self.lift(arm, hand)
        d.rectangle([px(x, y0 + self.BODY_HEIGHT), px(x + self.BODY_LEN, y0)], fill=(70, 110, 180))
        shoulder = (x + self.BODY_LEN, y0 + self.BODY_HEIGHT)
        a, b = self.arm_angles[arm], self.hand_angles[hand]
        elbow = (shoulder[0] + self.L1 * math.cos(a), shoulder[1] + self.L1 * math.sin(a))
        tip = (elbow[0] + self.L2 * math.cos(a + b), elbow[1] + self.L2 * math.sin(a + b))
        d.line([px(*shoulder), px(*elbow)], fill=(40, 40, 40), width=4)
        d.line([px(*elbow), px(*tip)], fill=(200, 80, 40), width=3)
        return np.asarray(img, dtype=np.uint8).copy()


def gait_speed(nxt: np.ndarray, reward: np.ndarray, policy: np.ndarray, start: int = 0) -> float:
    """Exact forward speed (distance per step) of a deterministic policy in the long run.

    From `start` the policy must enter a cycle of states (the model is finite and deterministic);
    its speed is the mean reward around that cycle.
    """
    seen: dict[int, int] = {}
    s, path = start, []
    while s not in seen:
        seen[s] = len(path)
        path.append(s)
        s = int(nxt[s, policy[s]])
    cycle = path[seen[s]:]
    return float(np.mean([reward[c, policy[c]] for c in cycle]))
