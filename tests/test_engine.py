"""ml52's autodiff engine against torch.autograd: every operation's value and gradient, in float64 and float32.

Tolerances: float64 agrees to 1e-10 and float32 to 1e-5, measured as max|ours - torch| / max|torch|
over the whole array (an element that is nearly 0 would make an elementwise relative error meaningless).
The two libraries add the same numbers in different orders (BLAS blocking, pairwise sums), so they
differ by a few roundings: ~1e-16 relative in float64, ~1e-7 in float32, well inside these bounds.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ml52.neural.engine import Tensor, concat, conv2d, cross_entropy, dropout, max_pool2d, mse, stack
from ml52.neural.optim import SGD, Adam

TOL = {np.float64: 1e-10, np.float32: 1e-5}
DTYPES = [np.float64, np.float32]


def rel_diff(ours: np.ndarray, theirs: np.ndarray) -> float:
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    return float(np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-300)) if ours.size else 0.0


def agree(f_ours, f_torch, arrays, dtype, seed=0):
    """Run both on the same inputs, push the same random upstream gradient back, compare everything."""
    ours = [Tensor(a.astype(dtype)) for a in arrays]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    y, yt = f_ours(*ours), f_torch(*theirs)
    assert y.dtype == dtype, "the engine must keep the inputs' dtype"
    upstream = np.random.default_rng(seed).normal(size=y.shape).astype(dtype)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    tol = TOL[dtype]
    assert rel_diff(y.data, yt.detach().numpy()) <= tol, "value"
    for i, (a, at) in enumerate(zip(ours, theirs)):
        if at.grad is None:   # torch gives no gradient to an input the output does not depend on
            assert a.grad is None or not a.grad.any()
            continue
        assert a.grad is not None, f"no gradient reached input {i}"
        assert a.grad.dtype == dtype
        assert rel_diff(a.grad, at.grad.numpy()) <= tol, f"gradient of input {i}"


rng = np.random.default_rng(52)


def normal(*shape):
    return rng.normal(size=shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


def random_broadcast_pair(seed):
    """Two random shapes that broadcast: some axes of the second set to 1 or dropped in front."""
    r = np.random.default_rng(seed)
    a = tuple(int(n) for n in r.integers(1, 5, size=r.integers(1, 4)))
    b = tuple(1 if r.random() < 0.4 else n for n in a)[int(r.integers(0, len(a))):]
    return (a, b) if r.random() < 0.5 else (b, a)


# --- binary elementwise ops with broadcasting ---------------------------------------------------------------

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, normal),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, normal),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, normal),
    "div": (lambda a, b: a / b, lambda a, b: a / b, positive),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("op", BINARY)
def test_binary_ops_broadcast(op, seed, dtype):
    ours, theirs, draw = BINARY[op]
    sa, sb = random_broadcast_pair(seed)
    agree(ours, theirs, [normal(*sa), draw(*sb)], dtype, seed)


@pytest.mark.parametrize("dtype", DTYPES)
def test_constants_on_either_side(dtype):
    c = normal(4)
    agree(lambda a: 2.0 - a * 3 + 1 / a - c / a + c * a - (c - a) + (c + a) / 2, lambda a: 2.0 - a * 3 + 1 / a - torch.tensor(c.astype(dtype)) / a
          + torch.tensor(c.astype(dtype)) * a - (torch.tensor(c.astype(dtype)) - a) + (torch.tensor(c.astype(dtype)) + a) / 2,
          [positive(3, 4)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_neg_and_pow(dtype):
    agree(lambda a: -a, lambda a: -a, [normal(3, 4)], dtype)
    for p in (2, 3, 0.5, -1.5):
        agree(lambda a: a**p, lambda a: a**p, [positive(3, 4)], dtype)


# --- matmul --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [((5, 3), (3, 4)), ((2, 5, 3), (3, 4)), ((2, 1, 5, 3), (4, 3, 2)),
                                    ((3,), (3, 4)), ((5, 3), (3,)), ((3,), (3,)), ((64, 100), (100, 30))])
def test_matmul(shapes, dtype):
    agree(lambda a, b: a @ b, lambda a, b: a @ b, [normal(*shapes[0]), normal(*shapes[1])], dtype)


def test_matmul_with_constant_array():
    W = normal(3, 2)
    agree(lambda a: a @ W, lambda a: a @ torch.tensor(W), [normal(4, 3)], np.float64)
    agree(lambda a: W.T @ a, lambda a: torch.tensor(W.T) @ a, [normal(3, 5)], np.float64)


# --- reductions and shapes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (-1, True), ((0, 2), False), ((1, -1), True)])
def test_sum_and_mean(axis, keepdims, dtype):
    x = normal(2, 3, 4)
    dim = axis if axis is not None else tuple(range(3))
    agree(lambda a: a.sum(axis=axis, keepdims=keepdims), lambda a: a.sum(dim=dim, keepdim=keepdims), [x], dtype)
    agree(lambda a: a.mean(axis=axis, keepdims=keepdims), lambda a: a.mean(dim=dim, keepdim=keepdims), [x], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reshape_and_transpose(dtype):
    x = normal(2, 3, 4)
    agree(lambda a: a.reshape(6, 4), lambda a: a.reshape(6, 4), [x], dtype)
    agree(lambda a: a.reshape((4, -1)), lambda a: a.reshape(4, -1), [x], dtype)
    agree(lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1), [x], dtype)
    agree(lambda a: a.transpose(), lambda a: a.permute(2, 1, 0), [x], dtype)
    agree(lambda a: a.T, lambda a: a.T, [normal(3, 5)], dtype)


INDEXES = {
    "int": (1, 1),
    "slice": (np.s_[1:, ::2], np.s_[1:, ::2]),
    "ellipsis-none": (np.s_[..., None, 1:3], np.s_[..., None, 1:3]),
    "repeated-rows": ([0, 2, 0, 0], [0, 2, 0, 0]),
    "pairs": ((np.array([0, 1, 2, 2]), np.array([3, 0, 1, 1])), (torch.tensor([0, 1, 2, 2]), torch.tensor([3, 0, 1, 1]))),
    "mask": (np.array([True, False, True]), torch.tensor([True, False, True])),
    "column": (np.s_[:, 2], np.s_[:, 2]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", INDEXES)
def test_indexing(name, dtype):
    ours, theirs = INDEXES[name]
    agree(lambda a: a[ours], lambda a: a[theirs], [normal(3, 4, 5)], dtype)


# --- elementwise functions ---------------------------------------------------------------------------------------

UNARY = {
    "exp": (lambda a: a.exp(), torch.exp, normal),
    "log": (lambda a: a.log(), torch.log, positive),
    "tanh": (lambda a: a.tanh(), torch.tanh, normal),
    "sigmoid": (lambda a: a.sigmoid(), torch.sigmoid, lambda *s: 8 * normal(*s)),
    "relu": (lambda a: a.relu(), torch.relu, normal),
    "log_softmax": (lambda a: a.log_softmax(axis=1), lambda a: torch.log_softmax(a, dim=1), lambda *s: 20 * normal(*s)),
    "softmax": (lambda a: a.softmax(), lambda a: torch.softmax(a, dim=-1), normal),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", UNARY)
def test_unary_ops(op, dtype):
    ours, theirs, draw = UNARY[op]
    agree(ours, theirs, [draw(4, 5, 3)], dtype)


def test_sigmoid_saturates_without_overflow():
    y = Tensor(np.array([-1000.0, 0.0, 1000.0])).sigmoid()
    np.testing.assert_array_equal(y.data, [0.0, 0.5, 1.0])


# --- losses and dropout -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy(dtype):
    y = rng.integers(0, 7, size=16)
    agree(lambda z: cross_entropy(z, y), lambda z: F.cross_entropy(z, torch.tensor(y)), [10 * normal(16, 7)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse(dtype):
    agree(lambda p, t: mse(p, t), lambda p, t: F.mse_loss(p, t), [normal(8, 3), normal(8, 3)], dtype)
    t = normal(8, 1)
    agree(lambda p: mse(p, t), lambda p: F.mse_loss(p, torch.tensor(t.astype(dtype))), [normal(8, 1)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_is_inverted_masking(dtype):
    p = 0.3
    mask = (np.random.default_rng(7).random((50, 40)) >= p).astype(dtype) / (1 - p)
    agree(lambda a: dropout(a, p, np.random.default_rng(7)), lambda a: a * torch.tensor(mask), [normal(50, 40)], dtype)
    x = Tensor(normal(50, 40))
    assert dropout(x, p, np.random.default_rng(0), training=False) is x
    kept = dropout(Tensor(np.ones((400, 400))), p, np.random.default_rng(0)).data
    assert abs((kept > 0).mean() - (1 - p)) < 0.01 and abs(kept.mean() - 1) < 0.01


# --- joining -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_and_stack(axis, dtype):
    sizes = [2, 3, 1]
    shapes = [tuple(s if d == axis % 3 else 4 for d in range(3)) for s in sizes]
    agree(lambda *ts: concat(list(ts), axis=axis), lambda *ts: torch.cat(ts, dim=axis),
          [normal(*s) for s in shapes], dtype)
    agree(lambda *ts: stack(list(ts), axis=axis), lambda *ts: torch.stack(ts, dim=axis),
          [normal(3, 4) for _ in range(3)], dtype)


# --- convolution and pooling --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride,padding,bias,shape", [(1, 0, True, (2, 3, 7, 6)), (1, 1, True, (2, 3, 5, 5)),
                                                       (2, 1, False, (3, 2, 8, 7)), (2, 0, True, (1, 1, 9, 9)),
                                                       (3, 2, True, (2, 4, 6, 10))])
def test_conv2d(stride, padding, bias, shape, dtype):
    W = normal(5, shape[1], 3, 3)
    if bias:
        agree(lambda x, w, b: conv2d(x, w, b, stride=stride, padding=padding),
              lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding), [normal(*shape), W, normal(5)], dtype)
    else:
        agree(lambda x, w: conv2d(x, w, stride=stride, padding=padding),
              lambda x, w: F.conv2d(x, w, stride=stride, padding=padding), [normal(*shape), W], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k,stride,shape", [(2, None, (2, 3, 8, 8)), (2, None, (2, 2, 7, 9)), (3, 2, (1, 3, 9, 8)),
                                            (3, 1, (2, 1, 5, 6))])
def test_max_pool2d(k, stride, shape, dtype):
    agree(lambda x: max_pool2d(x, k, stride), lambda x: F.max_pool2d(x, k, stride), [normal(*shape)], dtype)


def test_small_cnn_end_to_end():
    x, y = normal(4, 1, 12, 12), rng.integers(0, 3, size=4)
    W1, b1, W2 = normal(4, 1, 3, 3), normal(4), normal(36, 3) * 0.1

    def ours(x, W1, b1, W2):
        h = max_pool2d(conv2d(x, W1, b1, padding=1).relu(), 2)
        h = max_pool2d(h, 2).reshape(4, -1)                      # (4, 4*3*3)
        return cross_entropy(h @ W2, y)

    def theirs(x, W1, b1, W2):
        h = F.max_pool2d(F.conv2d(x, W1, b1, padding=1).relu(), 2)
        return F.cross_entropy(F.max_pool2d(h, 2).reshape(4, -1) @ W2, torch.tensor(y))

    agree(ours, theirs, [x, W1, b1, W2], np.float64)


# --- graphs: reuse, depth, whole networks ---------------------------------------------------------------------------

def test_reused_tensor_accumulates():
    # y = x*x + x·(x+1) with x used four times: dy/dx = 4x + 1
    agree(lambda x: x * x + x * (x + 1), lambda x: x * x + x * (x + 1), [normal(5)], np.float64)
    x = Tensor(np.array([2.0]))
    (x * x + x * (x + 1)).backward()
    assert x.grad[0] == 9.0   # 4*2 + 1, by hand


def test_deep_graph_needs_no_recursion():
    agree(lambda x: sum_chain(x, 3000), lambda x: sum_chain(x, 3000), [normal(3)], np.float64)


def sum_chain(x, n):
    for _ in range(n):
        x = x * 0.999 + 0.001
    return x


def test_rnn_cell_unrolled():
    # a tanh RNN with a sigmoid gate, built from concatenation, slicing, matmul and broadcasting
    xs, h0, W, b = normal(5, 3, 2), normal(3, 4), normal(6, 8) * 0.5, normal(8)

    def cell(xs, h, W, b, cat, sig):
        for t in range(5):
            z = cat([xs[t], h], 1) @ W + b                        # (3, 8)
            h = sig(z[:, :4]) * z[:, 4:].tanh() + h * 0.5
        return h

    agree(lambda xs, h, W, b: cell(xs, h, W, b, concat, lambda a: a.sigmoid()),
          lambda xs, h, W, b: cell(xs, h, W, b, torch.cat, torch.sigmoid), [xs, h0, W, b], np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_two_layer_network_gradients(dtype):
    x, y = normal(32, 20), rng.integers(0, 5, size=32)
    params = [normal(20, 16) * 0.3, normal(16) * 0.1, normal(16, 5) * 0.3, normal(5) * 0.1]
    agree(lambda W1, b1, W2, b2: cross_entropy((Tensor(x.astype(dtype), requires_grad=False) @ W1 + b1).relu() @ W2 + b2, y),
          lambda W1, b1, W2, b2: F.cross_entropy((torch.tensor(x.astype(dtype)) @ W1 + b1).relu() @ W2 + b2, torch.tensor(y)),
          params, dtype)


def test_no_graph_without_gradients():
    a = Tensor(normal(3), requires_grad=False)
    y = (a * 2).exp()
    assert not y.requires_grad and y._parents == ()


# --- optimizers ---------------------------------------------------------------------------------------------------

def loss_pair(W, x, y):
    return cross_entropy(Tensor(x, requires_grad=False) @ W, y)


@pytest.mark.parametrize("make_ours,make_torch", [
    (lambda p: SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    (lambda p: Adam(p, lr=0.05), lambda p: torch.optim.Adam(p, lr=0.05)),
    (lambda p: Adam(p, lr=0.05, weight_decay=0.1), lambda p: torch.optim.Adam(p, lr=0.05, weight_decay=0.1)),
    (lambda p: Adam(p, lr=0.05, weight_decay=0.1, decoupled=True), lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1)),
])
def test_optimizers_follow_torch(make_ours, make_torch):
    x, y, W0 = normal(20, 6), rng.integers(0, 3, size=20), normal(6, 3)
    W, Wt = Tensor(W0.copy()), torch.tensor(W0.copy(), requires_grad=True)
    opt, opt_t = make_ours([W]), make_torch([Wt])
    for _ in range(10):
        opt.zero_grad()
        loss_pair(W, x, y).backward()
        opt.step()
        opt_t.zero_grad()
        F.cross_entropy(torch.tensor(x) @ Wt, torch.tensor(y)).backward()
        opt_t.step()
    # ten steps of float64 arithmetic in a slightly different order: agreement to 1e-10
    assert rel_diff(W.data, Wt.detach().numpy()) <= 1e-10
