"""LeNet-5: the convolutional network that read cheques (LeCun, Bottou, Bengio & Haffner 1998,
"Gradient-based learning applied to document recognition", Proc. IEEE 86(11), section II.B).

A convolution slides one small set of weights over the whole image, so a feature (an edge, an eye)
is found wherever it is; pooling then forgets *exactly* where, which buys tolerance to small shifts.
LeNet-5 alternates the two twice and finishes with fully connected layers:

    input (1, s, s) -> C1 conv 5x5, 6 maps, tanh -> S2 average-pool 2x2
                    -> C3 conv 5x5, 16 maps, tanh -> S4 average-pool 2x2
                    -> C5 fully connected, 120, tanh -> F6 fully connected, 84, tanh -> output (classes)

The paper's input was 32x32 (C5 is a 5x5 convolution over a 5x5 map, i.e. fully connected); here the side
`s` is a parameter and the sizes follow from it (25x25 faces give 21, 10, 6, 3). Simplifications, as in
most modern re-implementations: S2/S4 are plain averages (the paper multiplies by a trained coefficient
and adds a bias), C3 connects to all six S2 maps (the paper's sparse table saved 1998 compute), plain
tanh instead of 1.7159 tanh(2a/3), and a linear output with softmax cross-entropy instead of RBF units.

The same network is written twice with the same weight layout:
- `LeNet5`, a PyTorch module (fast; what the face detector trains), and
- `OwnLeNet5`, on ml52's own autodiff engine (`ml52.neural.engine`: conv2d by im2col), so a learner can
  read every chain rule. tests/test_cnn.py proves the two agree on outputs and gradients (float64, 1e-8).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml52.neural.engine import Tensor, conv2d


@dataclass(frozen=True)
class LeNetConfig:
    """LeNet-5's shape; the defaults are the paper's, for square grey inputs of side `size`."""

    size: int = 25                  # input side in pixels (the paper: 32)
    kernel: int = 5                 # C1 and C3 kernel side
    maps: tuple[int, int] = (6, 16)         # feature maps in C1 and C3
    hidden: tuple[int, int] = (120, 84)     # units in C5 and F6
    classes: int = 2

    @property
    def side(self) -> int:
        """Side of the S4 maps: two rounds of (convolution without padding, then halving)."""
        s = (self.size - self.kernel + 1) // 2
        return (s - self.kernel + 1) // 2


def tanh(a: torch.Tensor) -> torch.Tensor:
    """tanh(a) = 2 sigma(2a) - 1, the same function: PyTorch 2.13's CPU tanh kernel measured ~10x slower
    per element than its sigmoid here, which made the two tanh layers after the convolutions a third of
    LeNet-5's forward time (a face scan is millions of windows)."""
    return torch.sigmoid(a + a) * 2 - 1


class LeNet5(nn.Module):
    """LeNet-5 as a PyTorch module: x (N, 1, s, s) -> logits (N, classes)."""

    def __init__(self, cfg: LeNetConfig = LeNetConfig()):
        super().__init__()
        self.cfg = cfg
        m1, m3 = cfg.maps
        h5, h6 = cfg.hidden
        self.c1 = nn.Conv2d(1, m1, cfg.kernel)
        self.c3 = nn.Conv2d(m1, m3, cfg.kernel)
        self.c5 = nn.Linear(m3 * cfg.side**2, h5)
        self.f6 = nn.Linear(h5, h6)
        self.out = nn.Linear(h6, cfg.classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.avg_pool2d(tanh(self.c1(x)), 2)             # (N, 6, 10, 10)  for s = 25
        x = F.avg_pool2d(tanh(self.c3(x)), 2)             # (N, 16, 3, 3)
        return x.flatten(1)                               # (N, 144)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = tanh(self.c5(self.features(x)))               # (N, 120)
        h = tanh(self.f6(h))                              # (N, 84)
        return self.out(h)                                # (N, classes)


# --- the same network on ml52's own engine ---------------------------------------------------------------

def avg_pool2d(x: Tensor, k: int = 2) -> Tensor:
    """Average over non-overlapping k x k blocks, dropping a last odd row/column (as torch does).

    Built from engine operations (slice, reshape, mean), so its gradient needs no new chain rule:
    each input in a block gets 1/k² of the block's gradient.
    """
    N, C, H, W = x.shape
    h, w = H // k, W // k
    x = x[:, :, :h * k, :w * k]                           # (N, C, h*k, w*k)
    return x.reshape(N, C, h, k, w, k).mean(axis=(3, 5))  # (N, C, h, w)


class OwnLeNet5:
    """LeNet-5 on ml52's engine; the parameters have the PyTorch module's names and shapes."""

    NAMES = ("c1.weight", "c1.bias", "c3.weight", "c3.bias", "c5.weight", "c5.bias",
             "f6.weight", "f6.bias", "out.weight", "out.bias")

    def __init__(self, params: dict[str, Tensor], cfg: LeNetConfig = LeNetConfig()):
        self.params = params
        self.cfg = cfg

    @classmethod
    def init(cls, cfg: LeNetConfig = LeNetConfig(), seed: int = 0, dtype=np.float64) -> "OwnLeNet5":
        """Fresh weights, uniform in ±1/sqrt(fan_in) (PyTorch's default for conv and linear layers)."""
        rng = np.random.default_rng(seed)
        shapes = {name: tuple(p.shape) for name, p in LeNet5(cfg).named_parameters()}
        params = {}
        for name in cls.NAMES:
            fan_in = int(np.prod(shapes[name.replace(".bias", ".weight")][1:]))
            bound = 1 / np.sqrt(fan_in)
            params[name] = Tensor(rng.uniform(-bound, bound, shapes[name]).astype(dtype))
        return cls(params, cfg)

    @classmethod
    def from_torch(cls, module: LeNet5, dtype=np.float64) -> "OwnLeNet5":
        """The twin of a PyTorch LeNet5: the same weights, copied."""
        state = module.state_dict()
        params = {name: Tensor(state[name].detach().cpu().numpy().astype(dtype)) for name in cls.NAMES}
        return cls(params, module.cfg)

    def parameters(self) -> list[Tensor]:
        return [self.params[name] for name in self.NAMES]

    def __call__(self, x) -> Tensor:
        p = self.params
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=p["c1.weight"].dtype), requires_grad=False)
        # C1, S2: a_1 = avgpool(tanh(W_1 * x + b_1))
        x = avg_pool2d(conv2d(x, p["c1.weight"], p["c1.bias"]).tanh())       # (N, 6, 10, 10)
        # C3, S4: a_3 = avgpool(tanh(W_3 * a_1 + b_3))
        x = avg_pool2d(conv2d(x, p["c3.weight"], p["c3.bias"]).tanh())       # (N, 16, 3, 3)
        x = x.reshape(len(x), -1)                                            # (N, 144)
        # C5, F6: h = tanh(h W^T + b), then the linear output layer
        h = (x @ p["c5.weight"].T + p["c5.bias"]).tanh()                     # (N, 120)
        h = (h @ p["f6.weight"].T + p["f6.bias"]).tanh()                     # (N, 84)
        return h @ p["out.weight"].T + p["out.bias"]                         # (N, classes)
