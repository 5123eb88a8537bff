"""Recurrent networks: the LSTM and GRU cells, unrolled over time on ml52's own engine.

A recurrent network reads a sequence one step at a time and carries a state h_t from step to step, so
what it saw earlier can shape what it predicts later (Goodfellow et al., *Deep Learning*, chapter 10;
ISLP section 10.5). A plain tanh cell forgets fast because its gradient shrinks at every step; gated
cells fix that with multiplicative gates that decide what to keep:

- LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000): a memory cell c_t that
  is changed only by adding to it, with input, forget and output gates.
- GRU (Cho et al. 2014): one state h_t and two gates, update z and reset r; fewer weights, often as good.

The equations are PyTorch's (torch.nn.LSTM / torch.nn.GRU documentation), gate for gate, including its
two bias vectors, so weights copy over one for one (`from_torch`) and tests/test_rnn.py checks outputs,
final states and every gradient against PyTorch in float64.

Backpropagation through time (Werbos 1990) is nothing new here: `forward` unrolls the cell into one
graph over all T steps, and the engine's reverse pass walks it back from the last step to the first.
Truncated BPTT (for long texts) is `detach()` on the state between chunks.

Weights are stored (in, out), as in ml52.neural.layers: x @ W, where PyTorch stores W's transpose.
"""

from __future__ import annotations

import numpy as np

from ml52.neural.engine import Tensor, stack
from ml52.neural.layers import Module


def _uniform(rng: np.random.Generator, shape: tuple, H: int, dtype) -> Tensor:
    # PyTorch's default for recurrent layers: every weight and bias ~ U(-1/√H, 1/√H)
    bound = 1 / np.sqrt(H)
    return Tensor(rng.uniform(-bound, bound, size=shape).astype(dtype))


class LSTMCell(Module):
    """One LSTM step: (x_t (B, n_in), (h, c) each (B, H)) -> (h_t, c_t).

    W_x (n_in, 4H) and W_h (H, 4H) hold the four gates side by side in PyTorch's order i, f, g, o.
    """

    n_gates = 4

    def __init__(self, n_in: int, H: int, rng: np.random.Generator, dtype=np.float32):
        self.H = H
        self.W_x = _uniform(rng, (n_in, 4 * H), H, dtype)
        self.W_h = _uniform(rng, (H, 4 * H), H, dtype)
        self.b_x = _uniform(rng, (4 * H,), H, dtype)
        self.b_h = _uniform(rng, (4 * H,), H, dtype)

    def step(self, xW: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        """One step, given xW = x_t W_x + b_x (B, 4H), computed for all steps at once by `LSTM`."""
        h, c = state
        H = self.H
        a = xW + h @ self.W_h + self.b_h                  # (B, 4H): all four gates' pre-activations
        # i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)          input gate: how much to write
        i = a[:, 0:H].sigmoid()
        # f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)          forget gate: how much to keep
        f = a[:, H:2 * H].sigmoid()
        # g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)       the candidate to write
        g = a[:, 2 * H:3 * H].tanh()
        # o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)          output gate: how much to show
        o = a[:, 3 * H:4 * H].sigmoid()
        # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t                         the memory changes only by adding
        c = f * c + i * g
        # h_t = o_t ⊙ tanh(c_t)
        h = o * c.tanh()
        return h, c


class GRUCell(Module):
    """One GRU step: (x_t (B, n_in), h (B, H)) -> h_t.

    W_x (n_in, 3H) and W_h (H, 3H) hold the gates side by side in PyTorch's order r, z, n.
    """

    n_gates = 3

    def __init__(self, n_in: int, H: int, rng: np.random.Generator, dtype=np.float32):
        self.H = H
        self.W_x = _uniform(rng, (n_in, 3 * H), H, dtype)
        self.W_h = _uniform(rng, (H, 3 * H), H, dtype)
        self.b_x = _uniform(rng, (3 * H,), H, dtype)
        self.b_h = _uniform(rng, (3 * H,), H, dtype)

    def step(self, xW: Tensor, h: Tensor) -> Tensor:
        """One step, given xW = x_t W_x + b_x (B, 3H), computed for all steps at once by `GRU`."""
        H = self.H
        hW = h @ self.W_h + self.b_h                      # (B, 3H): W_hr h + b_hr | W_hz h + b_hz | W_hn h + b_hn
        # r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)          reset gate: how much past enters n_t
        r = (xW[:, 0:H] + hW[:, 0:H]).sigmoid()
        # z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)          update gate: how much of h to keep
        z = (xW[:, H:2 * H] + hW[:, H:2 * H]).sigmoid()
        # n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))    the candidate state
        n = (xW[:, 2 * H:3 * H] + r * hW[:, 2 * H:3 * H]).tanh()
        # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
        return (1 - z) * n + z * h


class _Recurrent(Module):
    """A stack of cells unrolled over a batch-first sequence x (B, T, n_in)."""

    Cell: type = LSTMCell

    def __init__(self, n_in: int, H: int, rng: np.random.Generator, num_layers: int = 1, dtype=np.float32):
        self.H, self.num_layers, self.dtype = H, num_layers, dtype
        self.cells = [self.Cell(n_in if k == 0 else H, H, rng, dtype) for k in range(num_layers)]

    def _zeros(self, B: int) -> Tensor:
        return Tensor(np.zeros((B, self.H), self.dtype), requires_grad=False)

    def _layer(self, cell, x: Tensor, state):
        B, T, n_in = x.shape
        # the input's share of every gate at every step in one product: (B*T, n_in) @ (n_in, gates*H)
        xW = (x.reshape(B * T, n_in) @ cell.W_x + cell.b_x).reshape(B, T, cell.n_gates * self.H)
        xW = xW.transpose(1, 0, 2)                            # (T, B, gates*H): xW[t] is step t
        outputs = []
        for t in range(T):
            state = cell.step(xW[t], state)
            outputs.append(state[0] if isinstance(state, tuple) else state)
        return stack(outputs, axis=1), state                  # (B, T, H)


class LSTM(_Recurrent):
    """Multi-layer LSTM, like torch.nn.LSTM(n_in, H, num_layers, batch_first=True).

    forward(x (B, T, n_in), (h0, c0) each (num_layers, B, H) or None)
        -> output (B, T, H) of the top layer, (h_T, c_T) each (num_layers, B, H)
    """

    Cell = LSTMCell

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None):
        B = x.shape[0]
        h_last, c_last = [], []
        for k, cell in enumerate(self.cells):
            s = (self._zeros(B), self._zeros(B)) if state is None else (state[0][k], state[1][k])
            x, (h, c) = self._layer(cell, x, s)
            h_last.append(h)
            c_last.append(c)
        return x, (stack(h_last), stack(c_last))

    def __call__(self, x: Tensor, state=None):
        return self.forward(x, state)


class GRU(_Recurrent):
    """Multi-layer GRU, like torch.nn.GRU(n_in, H, num_layers, batch_first=True).

    forward(x (B, T, n_in), h0 (num_layers, B, H) or None) -> output (B, T, H), h_T (num_layers, B, H)
    """

    Cell = GRUCell

    def forward(self, x: Tensor, h0: Tensor | None = None):
        B = x.shape[0]
        h_last = []
        for k, cell in enumerate(self.cells):
            x, h = self._layer(cell, x, self._zeros(B) if h0 is None else h0[k])
            h_last.append(h)
        return x, stack(h_last)

    def __call__(self, x: Tensor, h0=None):
        return self.forward(x, h0)


# --- PyTorch twins ----------------------------------------------------------------------------------------

def from_torch(own: _Recurrent, module) -> _Recurrent:
    """Copy the weights of a torch.nn.LSTM / torch.nn.GRU into `own` (same sizes); returns `own`."""
    for k, cell in enumerate(own.cells):
        # PyTorch stores weight_ih_l{k} as (gates*H, n_in): ours is its transpose
        cell.W_x.data[...] = getattr(module, f"weight_ih_l{k}").detach().cpu().numpy().T
        cell.W_h.data[...] = getattr(module, f"weight_hh_l{k}").detach().cpu().numpy().T
        cell.b_x.data[...] = getattr(module, f"bias_ih_l{k}").detach().cpu().numpy()
        cell.b_h.data[...] = getattr(module, f"bias_hh_l{k}").detach().cpu().numpy()
    return own


def torch_grads(own: _Recurrent) -> dict[str, np.ndarray]:
    """The own layer's gradients under PyTorch's parameter names and layouts, to compare with them."""
    out = {}
    for k, cell in enumerate(own.cells):
        out[f"weight_ih_l{k}"] = cell.W_x.grad.T
        out[f"weight_hh_l{k}"] = cell.W_h.grad.T
        out[f"bias_ih_l{k}"] = cell.b_x.grad
        out[f"bias_hh_l{k}"] = cell.b_h.grad
    return out
