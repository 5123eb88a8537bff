"""Lesson backprop: ml52's own reverse-mode autodiff computes the same gradients as PyTorch's autograd."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference


@dataclass
class Options:
    batch: int = field(default=64, metadata={"help": "Fashion-MNIST images in the batch"})
    hidden: int = field(default=32, metadata={"help": "units in the hidden layer"})
    steps: int = field(default=25, metadata={"help": "gradient steps shown in the loss curve"})


def run(ctx: Context) -> Outcome:
    import numpy as np
    import torch

    from ml52.errors import UserError

    opt = ctx.options or Options()
    if opt.batch < 2 or opt.hidden < 1 or opt.steps < 1:
        raise UserError("--batch must be >= 2, --hidden and --steps >= 1")
    rng = np.random.default_rng(ctx.seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # a 64-row batch: threads would only wait on each other
    try:
        return _run(ctx, opt, rng)
    finally:
        torch.set_num_threads(threads)


def _run(ctx, opt, rng):
    import numpy as np
    import torch
    import torch.nn.functional as F

    from ml52.datasets import fashion_mnist
    from ml52.neural.engine import Tensor, cross_entropy
    from ml52.neural.layers import MLP, torch_twin
    from ml52.neural.optim import SGD


    X_train, y_train, _, _ = fashion_mnist()
    pick = rng.choice(len(X_train), size=opt.batch, replace=False)
    x = X_train[pick].reshape(opt.batch, -1) / 255.0             # (B, 784) float64 in [0, 1]
    y = y_train[pick].astype(np.int64)                            # (B,)
    ctx.progress(0.2, "a real batch of clothing images")

    # ---- one forward and backward pass in both engines, the same float64 weights ------------------
    net = MLP((784, opt.hidden, 10), rng, dtype=np.float64)
    twin = torch_twin(net)
    loss = cross_entropy(net(Tensor(x, requires_grad=False)), y)
    loss.backward()
    loss_t = F.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(y))
    loss_t.backward()
    names = ["W1", "b1", "W2", "b2"]
    theirs = [p for m in twin if isinstance(m, torch.nn.Linear) for p in (m.weight, m.bias)]
    rows = []
    for name, p, t in zip(names, net.parameters(), theirs):
        g_t = t.grad.numpy().T if p.ndim == 2 else t.grad.numpy()   # torch stores W as (out, in)
        # relative difference: max |ours - torch| / max |torch| over the whole gradient
        rel = float(np.abs(p.grad - g_t).max() / np.abs(g_t).max())
        rows.append((name, p.shape, float(np.linalg.norm(p.grad)), float(np.linalg.norm(g_t)), rel))
    worst = max(r[4] for r in rows)
    ctx.progress(0.5, "gradients compared")

    # ---- a few steps of gradient descent in both: the loss falls the same way -----------------------
    sgd, lr = SGD(net.parameters(), lr=0.1), 0.1
    curve, curve_t = [], []
    for _ in range(opt.steps):
        sgd.zero_grad()
        loss = cross_entropy(net(Tensor(x, requires_grad=False)), y)
        loss.backward()
        sgd.step()
        curve.append(loss.item())
        twin.zero_grad()
        loss_t = F.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(y))
        loss_t.backward()
        with torch.no_grad():   # w <- w - lr * grad, torch.optim.SGD's rule (its import alone costs seconds)
            for p in twin.parameters():
                p -= lr * p.grad
        curve_t.append(loss_t.item())
    ctx.progress(0.8, "trained a few steps")

    figure = _figure(ctx, rows, curve, curve_t, opt)
    notes = [f"{name} {shape}: |grad| ours {a:.6g}, torch {b:.6g}, relative difference {rel:.1e}"
             for name, shape, a, b, rel in rows]
    notes.append(f"loss over {opt.steps} SGD steps on the batch: {curve[0]:.4f} -> {curve[-1]:.4f} "
                 f"(torch {curve_t[0]:.4f} -> {curve_t[-1]:.4f})")
    return Outcome(metrics={"max_rel_grad_diff": worst},
                   reference=Reference("PyTorch autograd (float64, same weights and batch)", {"max_rel_grad_diff": 0.0}),
                   figures=[figure], notes=notes)


def _figure(ctx, rows, curve, curve_t, opt):
    """backprop.png: the computation graph of the 2-layer network with both gradients, and the loss curve."""
    from ml52.io import pyplot, save_figure

    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 4.4), gridspec_kw={"width_ratios": (2.2, 1)})
    grads = {name: (a, b, rel) for name, _, a, b, rel in rows}
    # forward: left to right along the top; each parameter feeds in from below
    chain = [("x\n(B, 784)", None), ("@", "W1"), ("+", "b1"), ("relu", None), ("@", "W2"), ("+", "b2"),
             ("cross-\nentropy", None), ("L", None)]
    for i, (label, param) in enumerate(chain):
        ax.text(i, 1, label, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round", fc="#dde8f5" if param or i in (0, 7) else "#f3f3f3"))
        if i:
            ax.annotate("", xy=(i - 0.3, 1), xytext=(i - 0.7, 1), arrowprops=dict(arrowstyle="->"))
        if param:
            a, b, rel = grads[param]
            ax.text(i, 0.25, f"|∂L/∂{param}|\nml52 {a:.4g}\ntorch {b:.4g}\nrel. diff\n{rel:.0e}",
                    ha="center", va="center", fontsize=7.5, bbox=dict(boxstyle="round", fc="#fdf1d6"))
            ax.annotate("", xy=(i, 0.85), xytext=(i, 0.5), arrowprops=dict(arrowstyle="->"))
    ax.annotate("", xy=(0.5, 1.45), xytext=(6.5, 1.45),
                arrowprops=dict(arrowstyle="->", color="tab:red", connectionstyle="arc3,rad=0.12"))
    ax.text(3.5, 1.85, "backward: each node applies its own chain rule, from L back to the weights",
            ha="center", color="tab:red", fontsize=9)
    ax.set(xlim=(-0.6, 7.6), ylim=(-0.3, 2.0), title=f"computation graph of a 784-{opt.hidden}-10 network")
    ax.axis("off")
    ax2.plot(curve, "o-", label="ml52 engine")
    ax2.plot(curve_t, "x--", label="PyTorch")
    ax2.set(xlabel="SGD step (lr 0.1)", ylabel="cross-entropy on the batch", title="the loss falls the same way")
    ax2.legend()
    return save_figure(fig, ctx.figure("backprop.png"))


LESSON = Lesson(
    slug="backprop",
    concept="backpropagation",
    algorithm="reverse-mode automatic differentiation on NumPy arrays (own engine)",
    idea="A network is a chain of simple operations, and each one knows its own local derivative. "
         "Backpropagation walks the chain backwards from the loss, multiplying those local derivatives "
         "(the chain rule), so one backward pass gives the gradient for every weight at once.",
    problem="compute every weight's gradient of a small network classifying a batch of clothing images",
    data="64 Fashion-MNIST training images (Debian dataset-fashion-mnist)",
    metric="largest relative difference between ml52's and PyTorch's gradients (float64)",
    bars=(Bar("max_rel_grad_diff", "<=", 1e-10),),
    budget=0.5,
    run=run,
    sources=("neural/engine.py", "neural/layers.py", "neural/optim.py"),
    options=Options,
)
