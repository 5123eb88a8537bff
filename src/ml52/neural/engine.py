"""Backpropagation: a small reverse-mode automatic differentiation engine on NumPy arrays.

The idea (Rumelhart, Hinton & Williams 1986; Goodfellow et al., *Deep Learning*, section 6.5): every
operation knows its local derivative. Running a computation records a graph of `Tensor`s; `backward()`
walks that graph from the output back to the inputs in reverse topological order, and each node hands
its gradient to its parents by the chain rule, dL/dx = dL/dy * dy/dx. Each operation below carries its
own chain rule right beside its forward pass, as in Karpathy's micrograd, but on whole arrays (float64 or
float32), so a network is a handful of matrix products rather than millions of scalar nodes.

API (everything a network here needs):

    from ml52.neural.engine import Tensor, conv2d, max_pool2d, concat, stack, cross_entropy, mse, dropout

    W = Tensor(rng.normal(size=(3, 2)))             # a parameter: requires_grad=True by default
    x = Tensor(batch, requires_grad=False)          # data: no gradient is kept for it
    loss = ((x @ W).tanh() ** 2).mean()
    loss.backward()                                 # fills W.grad, a NumPy array shaped like W.data

- Tensor arithmetic: + - * / (NumPy broadcasting), unary -, ** (a constant exponent), @ (matmul, also
  batched), .sum(axis, keepdims), .mean(axis, keepdims), .reshape(*shape), .transpose(*axes), .T,
  indexing t[...] (slices, integers, index arrays), .exp(), .log(), .tanh(), .sigmoid(), .relu(),
  .log_softmax(axis), .softmax(axis).
- Functions: cross_entropy(logits (N, K), y (N,) ints) -> mean loss; mse(pred, target);
  dropout(x, p, rng, training); conv2d(x (N, C, H, W), W (F, C, kh, kw), b (F,), stride, padding);
  max_pool2d(x, k, stride=k); concat(tensors, axis); stack(tensors, axis).
- Gradients accumulate in `.grad` (None until one arrives); an optimizer's zero_grad() clears them.
  Python numbers and NumPy arrays mixed into an operation become constants of the tensor's dtype.

Every operation's value and gradient is checked against torch.autograd in tests/test_engine.py.
"""

from __future__ import annotations

import numpy as np


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `g` over the axes that broadcasting added or stretched, so it has `shape` again."""
    if g.shape == shape:
        return g
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True) if stretched else g


def _is_basic_index(idx) -> bool:
    """True for indexing that picks each element at most once (slices, ints, None, ...)."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


class Tensor:
    """An array with a gradient: `.data` (np.ndarray), `.grad` (np.ndarray or None), `.backward()`."""

    __array_priority__ = 100  # so that `ndarray + Tensor` calls Tensor.__radd__

    def __init__(self, data, requires_grad: bool = True, _parents: tuple = (), _backward=None):
        data = np.asarray(data)
        self.data = data if data.dtype.kind == "f" else data.astype(np.float64)
        self.grad: np.ndarray | None = None
        self.requires_grad = requires_grad
        self._parents = _parents
        self._backward = _backward   # g (dL/dself) -> hands dL/dparent to each parent

    # --- plumbing --------------------------------------------------------------------------------

    def _lift(self, other) -> "Tensor":
        """A Python number or array as a constant tensor of this tensor's dtype."""
        if isinstance(other, Tensor):
            return other
        return Tensor(np.asarray(other, dtype=self.data.dtype), requires_grad=False)

    @staticmethod
    def _make(data: np.ndarray, parents: tuple, backward) -> "Tensor":
        """The result of an operation; the graph is recorded only when a parent wants a gradient."""
        if any(p.requires_grad for p in parents):
            return Tensor(data, True, parents, backward)
        return Tensor(data, False)

    def _acc(self, g: np.ndarray) -> None:
        """Add an incoming gradient (never in place, so arrays shared between nodes stay intact)."""
        if not self.requires_grad:
            return
        if not g.flags.writeable:  # a broadcast view: give it its own memory
            g = np.array(g)
        self.grad = g if self.grad is None else self.grad + g

    def backward(self, grad=None) -> None:
        """Fill `.grad` of every tensor this one depends on with dself/dtensor (times `grad`)."""
        order, seen, todo = [], set(), [(self, False)]
        while todo:  # depth-first, without recursion, so long RNN graphs do not hit Python's limit
            node, parents_done = todo.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                todo.append((node, True))
                todo.extend((p, False) for p in node._parents if id(p) not in seen)
        self.grad = np.ones_like(self.data) if grad is None else np.asarray(grad, dtype=self.data.dtype)
        for node in reversed(order):  # outputs before the inputs they were computed from
            if node._backward is not None and node.grad is not None:
                node._backward(node.grad)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    def item(self) -> float:
        return float(self.data)

    def numpy(self) -> np.ndarray:
        return self.data

    def detach(self) -> "Tensor":
        return Tensor(self.data, requires_grad=False)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"Tensor(shape={self.data.shape}, dtype={self.data.dtype}, requires_grad={self.requires_grad})"

    # --- arithmetic --------------------------------------------------------------------------------

    def __add__(self, other) -> "Tensor":
        a, b = self, self._lift(other)

        def backward(g):
            # y = a + b:  dy/da = 1, dy/db = 1 (summed over the axes broadcasting stretched)
            a._acc(_unbroadcast(g, a.shape))
            b._acc(_unbroadcast(g, b.shape))
        return self._make(a.data + b.data, (a, b), backward)

    def __sub__(self, other) -> "Tensor":
        a, b = self, self._lift(other)

        def backward(g):
            # y = a - b:  dy/da = 1, dy/db = -1
            a._acc(_unbroadcast(g, a.shape))
            if b.requires_grad:
                b._acc(_unbroadcast(-g, b.shape))
        return self._make(a.data - b.data, (a, b), backward)

    def __mul__(self, other) -> "Tensor":
        a, b = self, self._lift(other)

        def backward(g):
            # y = a * b:  dy/da = b, dy/db = a
            if a.requires_grad:
                a._acc(_unbroadcast(g * b.data, a.shape))
            if b.requires_grad:
                b._acc(_unbroadcast(g * a.data, b.shape))
        return self._make(a.data * b.data, (a, b), backward)

    def __truediv__(self, other) -> "Tensor":
        a, b = self, self._lift(other)

        def backward(g):
            # y = a / b:  dy/da = 1/b, dy/db = -a/b²
            if a.requires_grad:
                a._acc(_unbroadcast(g / b.data, a.shape))
            if b.requires_grad:
                b._acc(_unbroadcast(-g * a.data / b.data**2, b.shape))
        return self._make(a.data / b.data, (a, b), backward)

    def __neg__(self) -> "Tensor":
        # y = -a:  dy/da = -1
        return self._make(-self.data, (self,), lambda g: self._acc(-g))

    def __pow__(self, p: float) -> "Tensor":
        if isinstance(p, Tensor):
            raise TypeError("Tensor ** Tensor is not supported; the exponent must be a constant number")
        a = self

        def backward(g):
            # y = a^p:  dy/da = p a^(p-1)
            a._acc(g * p * a.data ** (p - 1))
        return self._make(a.data**p, (a,), backward)

    def __radd__(self, other):
        return self._lift(other) + self

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rmul__(self, other):
        return self._lift(other) * self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __matmul__(self, other) -> "Tensor":
        a, b = self, self._lift(other)
        # vectors become matrices (a row, a column) so one rule covers every case, as np.matmul does
        A = a.data[None, :] if a.ndim == 1 else a.data            # (..., n, k)
        B = b.data[:, None] if b.ndim == 1 else b.data            # (..., k, m)
        y = A @ B                                                 # (..., n, m)

        def backward(g):
            g = g.reshape(y.shape)
            # Y = A B:  dL/dA = dL/dY Bᵀ,  dL/dB = Aᵀ dL/dY  (batch axes summed where they broadcast)
            if a.requires_grad:
                a._acc(_unbroadcast(g @ np.swapaxes(B, -1, -2), A.shape).reshape(a.shape))
            if b.requires_grad:
                b._acc(_unbroadcast(np.swapaxes(A, -1, -2) @ g, B.shape).reshape(b.shape))
        out = y[..., 0, :] if a.ndim == 1 else y
        out = out[..., 0] if b.ndim == 1 else out
        return self._make(out, (a, b), backward)

    def __rmatmul__(self, other):
        return self._lift(other) @ self

    # --- reductions and shapes -----------------------------------------------------------------------

    def sum(self, axis=None, keepdims: bool = False) -> "Tensor":
        a = self

        def backward(g):
            # y = Σ a:  dy/da = 1 for every summed element: spread g back over the summed axes
            if axis is not None and not keepdims:
                g = np.expand_dims(g, axis)
            a._acc(np.broadcast_to(g, a.shape))
        return self._make(a.data.sum(axis=axis, keepdims=keepdims), (a,), backward)

    def mean(self, axis=None, keepdims: bool = False) -> "Tensor":
        axes = range(self.ndim) if axis is None else (axis,) if np.ndim(axis) == 0 else axis
        n = int(np.prod([self.shape[i] for i in axes]))
        # mean = Σ a / n, where n counts the averaged elements
        return self.sum(axis=axis, keepdims=keepdims) / n

    def reshape(self, *shape) -> "Tensor":
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        # a reshape moves no numbers: the gradient just takes the old shape back
        return self._make(self.data.reshape(shape), (self,), lambda g: self._acc(g.reshape(self.shape)))

    def transpose(self, *axes) -> "Tensor":
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = axes or tuple(reversed(range(self.ndim)))
        inverse = tuple(np.argsort(axes))
        # the gradient is transposed back by the inverse permutation
        return self._make(self.data.transpose(axes), (self,), lambda g: self._acc(g.transpose(inverse)))

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def __getitem__(self, idx) -> "Tensor":
        idx = tuple(i.data.astype(np.intp) if isinstance(i, Tensor) else i for i in idx) \
            if isinstance(idx, tuple) else (idx.data.astype(np.intp) if isinstance(idx, Tensor) else idx)
        a = self

        def backward(g):
            # y = a[idx]: each picked element gets its gradient back; repeated picks add up
            full = np.zeros_like(a.data)
            if _is_basic_index(idx):
                full[idx] = g
            else:
                np.add.at(full, idx, g)
            a._acc(full)
        return self._make(a.data[idx], (a,), backward)

    # --- elementwise functions ---------------------------------------------------------------------

    def exp(self) -> "Tensor":
        y = np.exp(self.data)
        # y = eᵃ:  dy/da = eᵃ = y
        return self._make(y, (self,), lambda g: self._acc(g * y))

    def log(self) -> "Tensor":
        # y = ln a:  dy/da = 1/a
        return self._make(np.log(self.data), (self,), lambda g: self._acc(g / self.data))

    def tanh(self) -> "Tensor":
        y = np.tanh(self.data)
        # y = tanh a:  dy/da = 1 - y²
        return self._make(y, (self,), lambda g: self._acc(g * (1 - y * y)))

    def sigmoid(self) -> "Tensor":
        with np.errstate(over="ignore"):  # e^(-a) overflows to inf for a << 0, giving y = 0 correctly
            y = 1 / (1 + np.exp(-self.data))
        # y = σ(a) = 1/(1+e^(-a)):  dy/da = y (1 - y)
        return self._make(y, (self,), lambda g: self._acc(g * y * (1 - y)))

    def relu(self) -> "Tensor":
        # y = max(a, 0):  dy/da = 1 where a > 0, else 0
        return self._make(np.maximum(self.data, 0), (self,), lambda g: self._acc(g * (self.data > 0)))

    def log_softmax(self, axis: int = -1) -> "Tensor":
        shifted = self.data - self.data.max(axis=axis, keepdims=True)   # same value, no overflow
        y = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

        def backward(g):
            # y_i = a_i - log Σ_j e^(a_j):  dL/da = g - softmax(a) Σ_i g_i
            self._acc(g - np.exp(y) * g.sum(axis=axis, keepdims=True))
        return self._make(y, (self,), backward)

    def softmax(self, axis: int = -1) -> "Tensor":
        return self.log_softmax(axis).exp()


# --- losses -------------------------------------------------------------------------------------------

def cross_entropy(logits: Tensor, y) -> Tensor:
    """Mean softmax cross-entropy of logits (N, K) against integer classes y (N,)."""
    y = np.asarray(y)
    N = len(y)
    shifted = logits.data - logits.data.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))   # (N, K)
    # L = -(1/N) Σ_n log softmax(z_n)[y_n]
    loss = -log_p[np.arange(N), y].mean()

    def backward(g):
        # dL/dz = (softmax(z) - onehot(y)) / N
        d = np.exp(log_p)
        d[np.arange(N), y] -= 1
        logits._acc(d * (g / N))
    return Tensor._make(np.asarray(loss, dtype=logits.dtype), (logits,), backward)


def mse(pred: Tensor, target) -> Tensor:
    """Mean squared error: mean((pred - target)²); target may be a Tensor or an array."""
    target = pred._lift(target)
    diff = pred.data - target.data

    def backward(g):
        # L = (1/n) Σ (p - t)²:  dL/dp = 2 (p - t) / n,  dL/dt = -dL/dp
        d = diff * (2 * g / diff.size)
        pred._acc(_unbroadcast(d, pred.shape))
        if target.requires_grad:
            target._acc(_unbroadcast(-d, target.shape))
    return Tensor._make(np.asarray((diff * diff).mean(), dtype=pred.dtype), (pred, target), backward)


def dropout(x: Tensor, p: float, rng: np.random.Generator, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the survivors by 1/(1-p) (Srivastava et al. 2014).

    At test time (training=False) it is the identity, so the expected activation is the same in both.
    """
    if not training or p == 0:
        return x
    mask = (rng.random(x.shape) >= p).astype(x.dtype) / (1 - p)
    return x * mask   # the gradient flows through the kept elements only, scaled the same way


# --- joining ---------------------------------------------------------------------------------------------

def concat(tensors: list, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (np.concatenate); each gets back its own slice of the gradient."""
    ends = np.cumsum([t.shape[axis] for t in tensors])[:-1]

    def backward(g):
        for t, part in zip(tensors, np.split(g, ends, axis=axis)):
            t._acc(part)
    return Tensor._make(np.concatenate([t.data for t in tensors], axis=axis), tuple(tensors), backward)


def stack(tensors: list, axis: int = 0) -> Tensor:
    """Stack tensors along a new axis (np.stack); tensor i gets the gradient's slice i along that axis."""
    def backward(g):
        for i, t in enumerate(tensors):
            t._acc(np.take(g, i, axis=axis))
    return Tensor._make(np.stack([t.data for t in tensors], axis=axis), tuple(tensors), backward)


# --- convolution and pooling (im2col) ----------------------------------------------------------------------

def _windows(x: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """Every kh x kw window of x (N, C, H, W), as a view (N, C, OH, OW, kh, kw)."""
    view = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return view[:, :, ::stride, ::stride]


def _add_windows(dx: np.ndarray, dwin: np.ndarray, stride: int) -> None:
    """col2im: add each window's gradient dwin (N, C, OH, OW, kh, kw) back onto dx (N, C, H, W)."""
    _, _, OH, OW, kh, kw = dwin.shape
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += dwin[:, :, :, :, i, j]


def conv2d(x: Tensor, W: Tensor, b: Tensor | None = None, stride: int = 1, padding: int = 0) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) by im2col: x (N, C, H, W), W (F, C, kh, kw) -> (N, F, OH, OW).

    im2col lays every input window out as a row, so the convolution becomes one matrix product
    (Chellapilla et al. 2006; CS231n notes).
    """
    N, C, H, Wd = x.shape
    F, _, kh, kw = W.shape
    xp = np.pad(x.data, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if padding else x.data
    win = _windows(xp, kh, kw, stride)                                # (N, C, OH, OW, kh, kw)
    OH, OW = win.shape[2:4]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * kh * kw)
    Wm = W.data.reshape(F, C * kh * kw)
    # y[n, f, p] = Σ_{c,i,j} W[f, c, i, j] x[n, c, p + (i, j)] + b[f]
    y = cols @ Wm.T                                                   # (N*OH*OW, F)
    if b is not None:
        y = y + b.data
    out = y.reshape(N, OH, OW, F).transpose(0, 3, 1, 2)               # (N, F, OH, OW)

    def backward(g):
        g2 = g.transpose(0, 2, 3, 1).reshape(N * OH * OW, F)          # (N*OH*OW, F)
        # Y = cols Wᵀ:  dL/dW = dL/dYᵀ cols,  dL/dcols = dL/dY W,  dL/db = Σ dL/dY
        if W.requires_grad:
            W._acc((g2.T @ cols).reshape(W.shape))
        if b is not None and b.requires_grad:
            b._acc(g2.sum(axis=0))
        if x.requires_grad:
            dwin = (g2 @ Wm).reshape(N, OH, OW, C, kh, kw).transpose(0, 3, 1, 2, 4, 5)
            dxp = np.zeros_like(xp)
            _add_windows(dxp, dwin, stride)
            x._acc(dxp[:, :, padding:padding + H, padding:padding + Wd] if padding else dxp)
    parents = (x, W) if b is None else (x, W, b)
    return Tensor._make(np.ascontiguousarray(out), parents, backward)


def max_pool2d(x: Tensor, k: int, stride: int | None = None) -> Tensor:
    """Max over each k x k window (stride defaults to k): x (N, C, H, W) -> (N, C, OH, OW)."""
    stride = stride or k
    win = _windows(x.data, k, k, stride)                              # (N, C, OH, OW, k, k)
    flat = win.reshape(*win.shape[:4], k * k)                         # (N, C, OH, OW, k*k)
    arg = flat.argmax(axis=-1)[..., None]                             # where each maximum sits
    y = np.take_along_axis(flat, arg, axis=-1)[..., 0]

    def backward(g):
        # y = max_w x_w:  dy/dx_w = 1 for the winning element of each window, 0 for the others
        dflat = np.zeros_like(flat)
        np.put_along_axis(dflat, arg, g[..., None], axis=-1)
        dx = np.zeros_like(x.data)
        _add_windows(dx, dflat.reshape(win.shape), stride)
        x._acc(dx)
    return Tensor._make(y, (x,), backward)
