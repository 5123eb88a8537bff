"""Layers: a fully connected layer, dropout, and the multilayer perceptron built from them, on ml52's engine.

A multilayer perceptron (Goodfellow et al., *Deep Learning*, chapter 6; ISLP section 10.1-10.2) stacks
affine maps h = x W + b with a nonlinearity (ReLU) between them; the last layer gives one score (logit)
per class. `Module.parameters()` lists the tensors an optimizer should update.

Weights are stored (in, out), so a layer is `x @ W + b` with no transpose; PyTorch's nn.Linear stores
the transpose, (out, in). Initialisation is PyTorch's default for nn.Linear: W, b ~ U(-1/√in, 1/√in).
"""

from __future__ import annotations

import numpy as np

from ml52.neural.engine import Tensor, dropout


class Module:
    """Something with parameters and a train/eval mode; calling it runs `forward`."""

    training = True

    def children(self) -> list["Module"]:
        found = []
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else [value]
            found += [v for v in items if isinstance(v, Module)]
        return found

    def parameters(self) -> list[Tensor]:
        own = [v for v in vars(self).values() if isinstance(v, Tensor) and v.requires_grad]
        return own + [p for child in self.children() for p in child.parameters()]

    def train(self, mode: bool = True) -> "Module":
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def __call__(self, x: Tensor) -> Tensor:
        return self.forward(x)


class Linear(Module):
    """y = x W + b:  x (B, n_in), W (n_in, n_out), b (n_out,) -> y (B, n_out)."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator, dtype=np.float32):
        bound = 1 / np.sqrt(n_in)
        self.W = Tensor(rng.uniform(-bound, bound, size=(n_in, n_out)).astype(dtype))
        self.b = Tensor(rng.uniform(-bound, bound, size=n_out).astype(dtype))

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.W + self.b


class Dropout(Module):
    """Inverted dropout with probability p while training; the identity in eval mode."""

    def __init__(self, p: float, rng: np.random.Generator):
        self.p, self.rng = p, rng

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.rng, self.training)


class MLP(Module):
    """sizes = (n_in, hidden..., n_out): Linear -> ReLU -> Dropout for each hidden layer, then Linear."""

    def __init__(self, sizes: tuple[int, ...], rng: np.random.Generator, dropout: float = 0.0, dtype=np.float32):
        self.layers = [Linear(a, b, rng, dtype) for a, b in zip(sizes[:-1], sizes[1:])]
        self.drop = Dropout(dropout, rng)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers[:-1]:
            x = self.drop(layer(x).relu())      # (B, hidden)
        return self.layers[-1](x)               # (B, n_out): logits

    def predict_logits(self, X: np.ndarray, batch: int = 4096) -> np.ndarray:
        """Logits for many rows at once, without building a graph (plain NumPy, eval mode)."""
        out = []
        for i in range(0, len(X), batch):
            h = X[i:i + batch]
            for layer in self.layers[:-1]:
                h = np.maximum(h @ layer.W.data + layer.b.data, 0)
            out.append(h @ self.layers[-1].W.data + self.layers[-1].b.data)
        return np.concatenate(out) if out else np.zeros((0, self.layers[-1].b.shape[0]), self.layers[-1].b.dtype)

    def state(self) -> list[np.ndarray]:
        """A copy of every parameter array (to keep the best weights, e.g. for early stopping)."""
        return [p.data.copy() for p in self.parameters()]

    def load(self, state: list[np.ndarray]) -> None:
        for p, value in zip(self.parameters(), state):
            p.data[...] = value


def torch_twin(mlp: MLP, dropout: float = 0.0):
    """The same network in PyTorch (torch.nn.Sequential), with the same weights, for reference runs."""
    import torch

    mods = []
    for i, layer in enumerate(mlp.layers):
        lin = torch.nn.Linear(*layer.W.shape, dtype=torch.float64 if layer.W.dtype == np.float64 else torch.float32)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.W.data.T.copy()))
            lin.bias.copy_(torch.from_numpy(layer.b.data.copy()))
        mods.append(lin)
        if i < len(mlp.layers) - 1:
            mods += [torch.nn.ReLU(), torch.nn.Dropout(dropout)]
    return torch.nn.Sequential(*mods)
