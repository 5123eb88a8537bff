"""Lesson object-recognition: a feedforward network on ml52's own engine recognises clothing (Fashion-MNIST)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference


@dataclass
class Options:
    download: bool = field(default=False, metadata={
        "help": "if Fashion-MNIST is not installed, download the official files (checked by SHA-256) into the cache"})
    epochs: int = field(default=2, metadata={"help": "passes over the 60,000 training images"})
    learning_rate: float = field(default=0.002, metadata={"help": "Adam's peak step size (cosine schedule to 0)"})
    threads: int = field(default=1, metadata={
        "help": "CPU threads for NumPy's BLAS and PyTorch; one by default, as in a race worker, so that "
                "`ml52 learn` trains the very same networks (float sums split over two threads round differently)"})


HIDDEN = (256, 128)   # 784-256-128-10, ReLU between layers
BATCH = 128


def run(ctx: Context) -> Outcome:
    import scipy.linalg  # noqa: F401  (load NumPy's BLAS first: the limit below only reaches loaded libraries)
    from threadpoolctl import threadpool_limits

    from ml52.errors import UserError
    from ml52.neural.threads import torch_threads

    opt = ctx.options or Options()
    if opt.epochs < 1 or opt.learning_rate <= 0 or opt.threads < 1:
        raise UserError("--epochs and --threads must be >= 1 and --learning-rate > 0")
    with threadpool_limits(limits=opt.threads), torch_threads(opt.threads):
        return _run(ctx, opt)


def _run(ctx: Context, opt: Options) -> Outcome:
    import time

    import numpy as np
    import torch
    import torch.nn.functional as F

    from ml52.datasets import fashion_mnist
    from ml52.evaluation.metrics import confusion_matrix
    from ml52.neural.engine import Tensor, cross_entropy
    from ml52.neural.layers import MLP, torch_twin
    from ml52.neural.optim import Adam

    rng = np.random.default_rng(ctx.seed)
    torch.manual_seed(ctx.seed)

    X_train, y_train, X_test, y_test = fashion_mnist(download=opt.download)
    # x = (pixel/255 - μ) / (σ + 0.05) per pixel, from the training images only; the 0.05 keeps the
    # always-black border pixels (σ ≈ 0) from being blown up
    X = X_train.reshape(len(X_train), -1).astype(np.float32)                        # (60000, 784)
    X *= np.float32(1 / 255)                                                        # in place: 188 MB
    mu, sd = X.mean(axis=0), X.std(axis=0) + np.float32(0.05)
    X -= mu
    X /= sd
    X_te = (X_test.reshape(len(X_test), -1).astype(np.float32) * np.float32(1 / 255) - mu) / sd
    y, y_te = y_train.astype(np.int64), y_test.astype(np.int64)
    ctx.progress(0.05, "loaded 60,000 training images")

    net = MLP((784, *HIDDEN, 10), rng, dtype=np.float32)
    twin = torch_twin(net).to(ctx.device)          # the same weights in PyTorch
    orders = [rng.permutation(len(X)) for _ in range(opt.epochs)]   # the same batches for both
    total = opt.epochs * int(np.ceil(len(X) / BATCH))

    # time in CPU seconds on the CPU (the ratio then survives a busy machine); wall time on a GPU
    clock = time.process_time if ctx.device == "cpu" else time.perf_counter

    def lr_at(step):
        # cosine schedule: η_t = η/2 (1 + cos(π t / T))
        return opt.learning_rate * 0.5 * (1 + np.cos(np.pi * step / total))

    # ---- ml52: minibatch Adam on the own engine ----------------------------------------------------
    adam = Adam(net.parameters(), lr=opt.learning_rate)
    step, start = 0, clock()
    for epoch in range(opt.epochs):
        for i in range(0, len(X), BATCH):
            idx = orders[epoch][i:i + BATCH]
            adam.lr = lr_at(step)
            loss = cross_entropy(net(Tensor(X[idx], requires_grad=False)), y[idx])
            adam.zero_grad()
            loss.backward()
            adam.step()
            step += 1
            if step % 100 == 0:
                ctx.progress(0.05 + 0.5 * step / total, f"ml52 epoch {epoch + 1}, loss {loss.item():.3f}")
    own_seconds = clock() - start
    pred = net.predict_logits(X_te).argmax(axis=1)
    accuracy = float((pred == y_te).mean())

    # ---- the reference: the same network, batches and schedule in PyTorch ------------------------------
    adam_t = torch.optim.Adam(twin.parameters(), lr=opt.learning_rate)
    Xt, yt = torch.from_numpy(X).to(ctx.device), torch.from_numpy(y).to(ctx.device)
    step, start = 0, clock()
    for epoch in range(opt.epochs):
        order = torch.from_numpy(orders[epoch]).to(ctx.device)
        for i in range(0, len(X), BATCH):
            idx = order[i:i + BATCH]
            for group in adam_t.param_groups:
                group["lr"] = lr_at(step)
            loss_t = F.cross_entropy(twin(Xt[idx]), yt[idx])
            adam_t.zero_grad()
            loss_t.backward()
            adam_t.step()
            step += 1
            if step % 100 == 0:
                ctx.progress(0.55 + 0.4 * step / total, f"PyTorch epoch {epoch + 1}")
    if ctx.device == "cuda":
        torch.cuda.synchronize()
    torch_seconds = clock() - start
    with torch.no_grad():
        pred_t = twin(torch.from_numpy(X_te).to(ctx.device)).argmax(dim=1).cpu().numpy()
    torch_accuracy = float((pred_t == y_te).mean())

    cm = confusion_matrix(y_te, pred, labels=list(range(10)))
    figure = _figure(ctx, X_test, y_te, pred, cm, accuracy)
    metrics = {"accuracy": accuracy, "torch_accuracy": torch_accuracy, "time_ratio": own_seconds / torch_seconds}
    notes = [
        f"784-{HIDDEN[0]}-{HIDDEN[1]}-10 MLP, {opt.epochs} epochs of Adam (batch {BATCH}, lr {opt.learning_rate} "
        f"cosine to 0), float32: ml52 {own_seconds / opt.epochs:.2f} s/epoch, PyTorch ({ctx.device}) "
        f"{torch_seconds / opt.epochs:.2f} s/epoch ({'CPU' if ctx.device == 'cpu' else 'wall'} seconds)",
        f"test accuracy: ml52 {accuracy:.4f}, PyTorch {torch_accuracy:.4f} (same start, batches and schedule); "
        f"the two disagree on {int((pred != pred_t).sum())} of {len(y_te)} test images",
        "most confused: " + _most_confused(cm),
    ]
    reference = Reference(f"PyTorch 784-{HIDDEN[0]}-{HIDDEN[1]}-10 MLP, torch.optim.Adam",
                          {"accuracy": torch_accuracy, "seconds_per_epoch": torch_seconds / opt.epochs})
    return Outcome(metrics=metrics, reference=reference, figures=[figure], notes=notes)


def _most_confused(cm) -> str:
    import numpy as np

    from ml52.datasets import FASHION_NAMES

    off = cm.copy()
    np.fill_diagonal(off, 0)
    pairs = np.dstack(np.unravel_index(np.argsort(off, axis=None)[::-1][:3], off.shape))[0]
    return "; ".join(f"{FASHION_NAMES[t]} taken for {FASHION_NAMES[p]} {off[t, p]} times" for t, p in pairs)


def _figure(ctx, images, y, pred, cm, accuracy):
    """fashion.png: 24 test images with predicted/true labels (mistakes in red) and the confusion matrix."""
    import numpy as np

    from ml52.datasets import FASHION_NAMES
    from ml52.io import pyplot, save_figure

    plt = pyplot()
    fig = plt.figure(figsize=(15, 6.5))
    grid = fig.add_gridspec(4, 10, width_ratios=(1,) * 6 + (0.6, 1.4, 1.4, 1.4))
    wrong = np.flatnonzero(pred != y)[:8]                          # show some mistakes on purpose
    right = np.flatnonzero(pred == y)[:24 - len(wrong)]
    for k, i in enumerate(np.sort(np.r_[wrong, right])):
        ax = fig.add_subplot(grid[k // 6, k % 6])
        ax.imshow(images[i], cmap="gray_r")
        ok = pred[i] == y[i]
        ax.set_title(FASHION_NAMES[pred[i]] + ("" if ok else f"\n(is {FASHION_NAMES[y[i]]})"),
                     fontsize=7.5, color="black" if ok else "tab:red")
        ax.axis("off")
    ax = fig.add_subplot(grid[:, 7:])
    ax.imshow(cm, cmap="Blues")
    for t in range(10):
        for p in range(10):
            ax.text(p, t, cm[t, p], ha="center", va="center", fontsize=7,
                    color="white" if cm[t, p] > cm.max() / 2 else "black")
    ax.set_xticks(range(10), FASHION_NAMES, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(10), FASHION_NAMES, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true", title=f"confusion matrix, test accuracy {accuracy:.3f}")
    fig.suptitle("ml52's own MLP on Fashion-MNIST test images (red: mistakes, with the true label)")
    return save_figure(fig, ctx.figure("fashion.png"))


LESSON = Lesson(
    slug="object-recognition",
    concept="feedforward neural network",
    algorithm="multilayer perceptron (784-256-128-10, ReLU) trained by minibatch Adam on the own autodiff engine",
    idea="A feedforward network passes the pixels through layers of weighted sums, each followed by a simple "
         "bend (ReLU), so later layers can combine the simple patterns found by earlier ones. "
         "Backpropagation gives the gradient of the classification error for every weight, and Adam nudges "
         "all the weights downhill, batch after batch.",
    problem="recognise which of 10 kinds of clothing a 28x28 photo shows",
    data="Fashion-MNIST: 60,000 training and 10,000 test images (Debian dataset-fashion-mnist)",
    metric="test accuracy",
    bars=(Bar("accuracy", ">=", 0.87),),
    budget=6.0,
    run=run,
    sources=("lessons/object_recognition.py", "neural/layers.py", "neural/engine.py", "neural/optim.py"),
    options=Options,
)
