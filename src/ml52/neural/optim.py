"""Optimizers: how a gradient becomes a step. SGD with momentum, and Adam, both with weight decay.

- SGD with momentum (Polyak 1964; Sutskever et al. 2013): a velocity that remembers past gradients,
  so steps along a consistent direction grow and zig-zags cancel.
- Adam (Kingma & Ba 2015, Algorithm 1): per-parameter step sizes from running averages of the gradient
  and of its square, with their start-up bias corrected.
- Weight decay adds wd * w to the gradient (L2 regularization, the gradient of wd/2 |w|²). Adam with
  `decoupled=True` shrinks the weights directly instead (AdamW, Loshchilov & Hutter 2019).

The update rules follow torch.optim.SGD / Adam / AdamW exactly; tests/test_engine.py checks several
steps against them.
"""

from __future__ import annotations

import numpy as np

from ml52.neural.engine import Tensor


class Optimizer:
    def __init__(self, params, lr: float):
        self.params: list[Tensor] = list(params)
        self.lr = lr

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None


class SGD(Optimizer):
    """w <- w - lr * v, with v <- momentum * v + (g + wd * w)  (plain SGD when momentum = 0)."""

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False):
        super().__init__(params, lr)
        self.momentum, self.weight_decay, self.nesterov = momentum, weight_decay, nesterov
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            # g = dL/dw + wd w
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            if self.momentum:
                # v = μ v + g  (v = g on the first step)
                v = g.copy() if self.velocity[i] is None else self.momentum * self.velocity[i] + g
                self.velocity[i] = v
                # Nesterov looks ahead along the velocity: g + μ v
                g = g + self.momentum * v if self.nesterov else v
            # w = w - η g
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam: w <- w - lr * m̂ / (sqrt(v̂) + eps), with m, v running means of g and g²."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled: bool = False):
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay, self.decoupled = betas, eps, weight_decay, decoupled
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.t = 0
        self._tmp = [np.empty_like(p.data) for p in self.params]   # scratch space: no allocation per step

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        for p, m, v, tmp in zip(self.params, self.m, self.v, self._tmp):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay and self.decoupled:
                # AdamW: w = w (1 - η wd), outside the adaptive scaling
                p.data *= 1 - self.lr * self.weight_decay
            elif self.weight_decay:
                # L2: g = dL/dw + wd w
                g = g + self.weight_decay * p.data
            # m = β1 m + (1 - β1) g;   v = β2 v + (1 - β2) g²   (updated in place, like the rest below)
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            # w = w - η m̂ / (√v̂ + ε),  m̂ = m / (1 - β1ᵗ),  v̂ = v / (1 - β2ᵗ)
            np.sqrt(v, out=tmp)
            tmp /= np.sqrt(1 - b2**self.t)
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= self.lr / (1 - b1**self.t)
            p.data -= tmp
