"""The own LSTM and GRU (ml52.neural.rnn) against torch.nn.LSTM / torch.nn.GRU with the same weights.

Everything runs in float64, where the two implementations differ only by the order of floating-point
sums: over T = 24 steps the differences stay near 1e-15, so 1e-8 (the issue's tolerance) leaves a wide
margin while still catching any wrong gate, bias or transposed weight (those give errors of order 0.1).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ml52.neural.engine import Tensor
from ml52.neural.rnn import GRU, LSTM, GRUCell, LSTMCell, from_torch, torch_grads

TOL = 1e-8
B, T, N_IN, H = 3, 24, 5, 7


@pytest.fixture(autouse=True)
def one_torch_thread():
    # 3 x 7 matrices: more threads would only spin on the shared cores
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _pair(kind: str, num_layers: int, seed: int):
    torch.manual_seed(seed)
    ref = getattr(torch.nn, kind)(N_IN, H, num_layers, batch_first=True, dtype=torch.float64)
    own = {"LSTM": LSTM, "GRU": GRU}[kind](N_IN, H, np.random.default_rng(seed), num_layers, dtype=np.float64)
    return own, from_torch(own, ref), ref


def _close(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, what
    np.testing.assert_allclose(a, b, rtol=0, atol=TOL, err_msg=what)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("given_state", [False, True])
def test_outputs_states_and_all_gradients_equal_torch(kind, num_layers, given_state):
    rng = np.random.default_rng(7)
    _, own, ref = _pair(kind, num_layers, seed=3)
    x = rng.normal(size=(B, T, N_IN))
    states = [rng.normal(size=(num_layers, B, H)) for _ in range(2 if kind == "LSTM" else 1)]
    # a loss that weights every output and final state differently, so each gradient path is exercised
    w_out = rng.normal(size=(B, T, H))
    w_fin = [rng.normal(size=(num_layers, B, H)) for _ in states]

    xt = torch.tensor(x, requires_grad=True)
    st = [torch.tensor(s, requires_grad=True) for s in states]
    arg = (tuple(st) if kind == "LSTM" else st[0]) if given_state else None
    out_t, fin_t = ref(xt, arg)
    fin_t = fin_t if kind == "LSTM" else (fin_t,)
    loss_t = (out_t * torch.tensor(w_out)).sum() + sum((f * torch.tensor(w)).sum() for f, w in zip(fin_t, w_fin))
    loss_t.backward()

    xo = Tensor(x)
    so = [Tensor(s) for s in states]
    arg = (tuple(so) if kind == "LSTM" else so[0]) if given_state else None
    out_o, fin_o = own(xo, arg)
    fin_o = fin_o if kind == "LSTM" else (fin_o,)
    loss_o = (out_o * w_out).sum()
    for f, w in zip(fin_o, w_fin):
        loss_o = loss_o + (f * w).sum()
    loss_o.backward()

    _close(out_o.data, out_t.detach().numpy(), "outputs")
    for f_o, f_t in zip(fin_o, fin_t):
        _close(f_o.data, f_t.detach().numpy(), "final state")
    grads = torch_grads(own)
    for name, p in ref.named_parameters():
        _close(grads[name], p.grad.numpy(), f"gradient of {name}")
    _close(xo.grad, xt.grad.numpy(), "gradient of the input")
    if given_state:
        for s_o, s_t in zip(so, st):
            _close(s_o.grad, s_t.grad.numpy(), "gradient of the initial state")


@pytest.mark.parametrize("Cell, ref_cell", [(LSTMCell, torch.nn.LSTMCell), (GRUCell, torch.nn.GRUCell)])
def test_one_cell_step_equals_torch_cell(Cell, ref_cell):
    torch.manual_seed(0)
    ref = ref_cell(N_IN, H, dtype=torch.float64)
    cell = Cell(N_IN, H, np.random.default_rng(0), dtype=np.float64)
    cell.W_x.data[...] = ref.weight_ih.detach().numpy().T
    cell.W_h.data[...] = ref.weight_hh.detach().numpy().T
    cell.b_x.data[...] = ref.bias_ih.detach().numpy()
    cell.b_h.data[...] = ref.bias_hh.detach().numpy()
    rng = np.random.default_rng(1)
    x, h, c = (rng.normal(size=(B, n)) for n in (N_IN, H, H))
    xW = Tensor(x @ cell.W_x.data + cell.b_x.data, requires_grad=False)
    if Cell is LSTMCell:
        h_o, c_o = cell.step(xW, (Tensor(h), Tensor(c)))
        h_t, c_t = ref(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
        _close(c_o.data, c_t.detach().numpy(), "c")
    else:
        h_o = cell.step(xW, Tensor(h))
        h_t = ref(torch.tensor(x), torch.tensor(h))
    _close(h_o.data, h_t.detach().numpy(), "h")


def test_hand_computed_lstm_step():
    # all weights zero: every gate is σ(0) = 1/2 and the candidate tanh(0) = 0, so from c0 = 1:
    # c1 = f c0 + i g = 0.5, h1 = o tanh(c1) = 0.5 tanh(0.5)
    lstm = LSTM(1, 1, np.random.default_rng(0), dtype=np.float64)
    for p in lstm.parameters():
        p.data[...] = 0
    zeros = Tensor(np.zeros((1, 1, 1)))
    out, (h, c) = lstm(Tensor(np.zeros((1, 1, 1))), (zeros, Tensor(np.ones((1, 1, 1)))))
    assert c.data.item() == pytest.approx(0.5, abs=1e-15)
    assert h.data.item() == pytest.approx(0.5 * np.tanh(0.5), abs=1e-15)


def test_hand_computed_gru_step():
    # all weights zero: r = z = 1/2, n = tanh(0) = 0, so h1 = (1 - z) n + z h0 = h0 / 2
    gru = GRU(1, 1, np.random.default_rng(0), dtype=np.float64)
    for p in gru.parameters():
        p.data[...] = 0
    out, h = gru(Tensor(np.zeros((1, 1, 1))), Tensor(np.full((1, 1, 1), 0.8)))
    assert h.data.item() == pytest.approx(0.4, abs=1e-15)

