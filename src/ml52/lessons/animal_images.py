"""Animal silhouettes with convolutional networks: AlexNet-style and VGG-style nets against a
feedforward net and logistic regression on animal-mnist (10 animals x 1000 silhouettes, 28x28).

Read this file top to bottom: the data and split, the baselines, the training loop both networks share
(AdamW with a one-cycle learning rate, mirrored images), the comparison, the figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference


@dataclass
class Options:
    epochs: int = field(default=4, metadata={"help": "passes over the training images for each network"})
    batch_size: int = field(default=128, metadata={"help": "images per gradient step"})
    lr: float = field(default=5e-3, metadata={"help": "peak learning rate of the one-cycle schedule"})
    threads: int = field(default=1, metadata={
        "help": "CPU threads for PyTorch; one by default: a second thread saved only 10%% alone (7.1 vs 7.9 s) and "
                "in the race it fought the other worker for its core (16.9 s), and one thread in `ml52 learn` "
                "and in the race trains the very same networks"})


def fit(net, X, y, *, epochs: int, batch_size: int, lr: float, seed: int, flip: bool, report=None):
    """Train `net` on X (N, 1, 28, 28), y (N,) by AdamW with a one-cycle learning rate; returns net.

    One cycle (Smith & Topin 2018): the learning rate climbs for the first quarter of the steps and then
    anneals to almost zero, so a few epochs reach what a constant rate needs many for.
    """
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    n = len(X)
    steps = epochs * (n // batch_size)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.25)
    net.train()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=g).to(X.device)
        for i in range(n // batch_size):
            idx = order[i * batch_size:(i + 1) * batch_size]
            xb, yb = X[idx], y[idx]                                       # (B, 1, 28, 28), (B,)
            if flip:   # an animal facing left is the same animal facing right
                mirror = (torch.rand(len(idx), generator=g) < 0.5).to(X.device)
                xb = torch.where(mirror[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(net(xb.contiguous(memory_format=torch.channels_last)), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
        if report:
            report((epoch + 1) / epochs, f"epoch {epoch + 1}/{epochs}, loss {loss.item():.3f}")
    return net


def predict(net, X, batch: int = 1000):
    """Class predictions (N,) as a NumPy array, the net in evaluation mode (dropout off, BN frozen)."""
    import torch

    net.eval()
    with torch.inference_mode():
        out = [net(X[i:i + batch].contiguous(memory_format=torch.channels_last)).argmax(1)
               for i in range(0, len(X), batch)]
    return torch.cat(out).cpu().numpy()


def run(ctx: Context) -> Outcome:
    from ml52.errors import UserError

    opt = ctx.options or Options()
    if opt.epochs < 1 or opt.batch_size < 2 or opt.lr <= 0 or opt.threads < 1:
        raise UserError("--epochs and --threads must be >= 1, --batch-size >= 2, --lr > 0")
    from ml52.neural.threads import torch_threads

    with torch_threads(opt.threads):
        return _run(ctx, opt)


def _run(ctx: Context, opt: Options) -> Outcome:
    import time

    import numpy as np
    import torch
    from torch import nn

    from ml52.datasets import ANIMAL_NAMES, animal_mnist
    from ml52.evaluation.metrics import accuracy_score, confusion_matrix
    from ml52.evaluation.splits import train_test_split
    from ml52.neural.alexnet import AlexNet, AlexNetConfig
    from ml52.neural.layers import MLP, torch_twin
    from ml52.neural.vgg import VGG, VGGConfig

    ctx.progress(0.02, "loading animal-mnist")
    X, y = animal_mnist()                                                  # (10000, 28, 28) uint8, (10000,)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, seed=ctx.seed, stratify=y)
    # scale with the training images' statistics only
    mean, std = X_tr.mean() / 255, X_tr.std() / 255
    device = torch.device(ctx.device)

    def tensor(images):                                                    # (N, 28, 28) -> (N, 1, 28, 28)
        return torch.tensor((images / 255.0 - mean) / std, dtype=torch.float32, device=device)[:, None]

    T_tr, T_te = tensor(X_tr), tensor(X_te)
    t_tr = torch.tensor(y_tr, device=device)
    rng = np.random.default_rng(ctx.seed)
    seconds, acc, preds = {}, {}, {}
    torch.manual_seed(ctx.seed)      # the networks' starting weights (PyTorch seeds itself at random otherwise)
    nets = {
        # baselines: every pixel is a separate input, so they must learn each shape at each position
        "logistic": nn.Sequential(nn.Flatten(), nn.Linear(784, 10)),
        # the object-recognition lesson's feedforward net (ml52's own MLP), as its PyTorch twin for speed
        "mlp": nn.Sequential(nn.Flatten(), torch_twin(MLP((784, 256, 10), rng))),
        "alexnet": AlexNet(AlexNetConfig()),
        "vgg": VGG(VGGConfig()),
    }
    spans = {"logistic": (0.05, 0.08), "mlp": (0.08, 0.15), "alexnet": (0.15, 0.58), "vgg": (0.58, 0.95)}
    for name, net in nets.items():
        a, b = spans[name]
        net = net.to(device=device, memory_format=torch.channels_last)
        start = time.perf_counter()
        conv = name in ("alexnet", "vgg")
        fit(net, T_tr, t_tr, epochs=opt.epochs if conv else 5, batch_size=opt.batch_size,
            lr=opt.lr if conv else 3e-3, seed=ctx.seed, flip=conv,
            report=lambda f, m, a=a, b=b, name=name: ctx.progress(a + (b - a) * f, f"{name}: {m}"))
        preds[name] = predict(net, T_te)
        seconds[name] = time.perf_counter() - start
        acc[name] = accuracy_score(y_te, preds[name])

    best = max(("alexnet", "vgg"), key=lambda k: acc[k])
    figure = _figure(ctx, X_te, y_te, preds[best], best, acc, ANIMAL_NAMES, confusion_matrix)
    cm = confusion_matrix(y_te, preds[best], labels=np.arange(10))
    off = cm - np.diag(np.diag(cm))
    i, j = np.unravel_index(off.argmax(), off.shape)
    params = {k: sum(p.numel() for p in nets[k].parameters()) for k in nets}
    notes = [
        f"test accuracy on {len(y_te)} held-out silhouettes: AlexNet-style {acc['alexnet']:.3f}, "
        f"VGG-style {acc['vgg']:.3f}, feedforward net {acc['mlp']:.3f}, logistic regression {acc['logistic']:.3f}",
        f"training seconds ({ctx.device}): " + ", ".join(f"{k} {seconds[k]:.2f}" for k in nets),
        "parameters: " + ", ".join(f"{k} {params[k]:,}" for k in nets)
        + " (the convolutional nets share weights across positions, so they need fewer)",
        f"most confused ({best}): {ANIMAL_NAMES[i]} taken for {ANIMAL_NAMES[j]} {off[i, j]} times",
    ]
    return Outcome(
        metrics={"accuracy": acc[best], "alexnet_accuracy": acc["alexnet"], "vgg_accuracy": acc["vgg"],
                 "mlp_accuracy": acc["mlp"],
                 # both networks must beat the feedforward net by at least a point for the lesson to pass
                 "margin_over_mlp": min(acc["alexnet"], acc["vgg"]) - acc["mlp"]},
        reference=Reference("feedforward net (784-256-10) and logistic regression on the same split",
                            {"mlp_accuracy": acc["mlp"], "logistic_accuracy": acc["logistic"]}),
        figures=[figure], notes=notes)


def _figure(ctx, X_te, y_te, pred, best, acc, names, confusion_matrix):
    """animals.png: the confusion matrix of the better network, and silhouettes it got wrong."""
    import numpy as np

    from ml52.io import pyplot, save_figure

    plt = pyplot()
    fig = plt.figure(figsize=(13, 6))
    grid = fig.add_gridspec(3, 8, width_ratios=(1.4, 1.4, 1.4, 1.4, 1, 1, 1, 1))
    ax = fig.add_subplot(grid[:, :4])
    cm = confusion_matrix(y_te, pred, labels=np.arange(len(names)))
    ax.imshow(cm, cmap="Blues")
    for i in range(len(names)):
        for j in range(len(names)):
            if cm[i, j]:
                ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=7,
                        color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set_xticks(range(len(names)), names, rotation=45, fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    label = {"alexnet": "AlexNet-style", "vgg": "VGG-style"}[best]
    ax.set_title(f"{label} net: test accuracy {acc[best]:.3f} (feedforward net {acc['mlp']:.3f})")
    wrong = np.flatnonzero(pred != y_te)[:12]
    for k, idx in enumerate(wrong):
        a = fig.add_subplot(grid[k // 4, 4 + k % 4])
        a.imshow(X_te[idx], cmap="gray_r")
        a.set_title(f"{names[y_te[idx]]} as {names[pred[idx]]}", fontsize=7, pad=2)
        a.axis("off")
    fig.tight_layout()
    return save_figure(fig, ctx.figure("animals.png"))


LESSON = Lesson(
    slug="animal-images",
    concept="convolutional networks (AlexNet, VGG)",
    algorithm="AlexNet-style and VGG-style CNNs in PyTorch, AdamW + one-cycle learning rate",
    idea=("A convolution slides one small set of weights over the whole image, so a shape learned in one "
          "place is recognised everywhere, with far fewer weights than a fully connected layer. AlexNet "
          "stacks a few such layers with large early kernels, ReLU, overlapping pooling and dropout; VGG "
          "gets its depth from stacks of small 3x3 convolutions between poolings."),
    problem="tell 10 animals apart from their silhouettes",
    data="animal-mnist (PyPI package's bundled files): 10,000 silhouettes, 28x28, seeded stratified 80/20 split",
    metric="test accuracy of the better network, and both against a feedforward net",
    bars=(Bar("accuracy", ">=", 0.85), Bar("margin_over_mlp", ">=", 0.01)),
    budget=10.0,    # one core: 4 epochs, 10-11.5 s alone with another lesson beside it (2026-11-28)
    run=run,
    sources=("lessons/animal_images.py", "neural/alexnet.py", "neural/vgg.py"),
    options=Options,
)
