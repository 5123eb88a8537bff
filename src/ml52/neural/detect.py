"""From a classifier to a detector: sliding windows over an image pyramid, non-maximum suppression,
and hard-negative mining.

A classifier answers "is this small square a face?". To *find* faces, ask it about every square:
slide a window across the photo a few pixels at a time, and repeat on smaller and smaller copies of the
photo (an image pyramid) so that big faces shrink to the window's size (Vaillant, Monrocq & LeCun 1994;
Rowley, Baluja & Kanade 1998, "Neural network-based face detection"). One face then lights up many
overlapping windows, while a false alarm is often a lone one: each box's *support* sums the evidence of
the firing windows around it, and non-maximum suppression keeps the best-supported box and drops every
box that overlaps it by more than an IoU threshold, then repeats (Rowley et al. 1998, section 3.1;
Dalal & Triggs 2005; Felzenszwalb et al. 2010).

A photo holds tens of thousands of windows and almost none is a face, so a classifier trained on a few
hundred examples fires all over the place. The cure is *bootstrapping* (Rowley et al. 1998; Sung & Poggio
1998; "hard-negative mining" in Dalal & Triggs 2005 and Viola & Jones 2004's cascade): scan photos known to
hold no face, add the windows the classifier wrongly scores highest to the negatives, retrain, repeat.

Boxes are (x, y, w, h) in the original photo's pixels. Windows are standardised one by one (zero mean,
unit variance), as Viola & Jones normalise each window's variance, so lighting does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class DetectorConfig:
    """Where the detector looks: window size, the range of face sizes, and how densely."""

    window: int = 25          # the classifier's input side, in pixels of a pyramid level
    min_face: int = 64        # smallest face looked for, in photo pixels: an eighth of a 512-pixel
                              # portrait. Below ~2x the window a 25-pixel window holds too little detail
                              # and false alarms dominate; the smallest levels also hold most windows
                              # (48 pixels: twice as many windows to score)
    max_face: int = 240       # largest face looked for
    scale_step: float = 1.2   # each pyramid level is this much smaller than the one before
    stride: int = 3           # window step within a level, in that level's pixels
    nms_iou: float = 0.3      # boxes overlapping a better one by more than this are dropped


def grey(image: np.ndarray) -> np.ndarray:
    """An RGB(A) or grey uint8/float image as grey float32 in [0, 1]: (H, W)."""
    img = np.asarray(image)
    img = img.astype(np.float32) / 255 if img.dtype == np.uint8 else img.astype(np.float32)
    if img.ndim == 3:
        # ITU-R 601 luma, the weights OpenCV's and scikit-image's rgb2gray conversions use
        img = img[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    return img


def pyramid(image: np.ndarray, cfg: DetectorConfig) -> list[tuple[float, np.ndarray]]:
    """(scale, level) pairs: each level is the photo shrunk by `scale`, so a window there covers
    window * scale photo pixels; scales run from min_face / window to max_face / window."""
    import cv2

    H, W = image.shape
    levels = []
    scale = cfg.min_face / cfg.window
    while cfg.window * scale <= cfg.max_face and min(H, W) / scale >= cfg.window:
        size = (int(round(W / scale)), int(round(H / scale)))   # OpenCV wants (width, height)
        # area averaging: each level pixel is the mean of the photo pixels it covers (no aliasing)
        levels.append((scale, cv2.resize(image, size, interpolation=cv2.INTER_AREA)))
        scale *= cfg.scale_step
    return levels


def windows(level: np.ndarray, window: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Every window x window square of `level` at the given stride: patches (M, window, window) and
    their top-left corners (M, 2) as (x, y) in the level's pixels."""
    view = np.lib.stride_tricks.sliding_window_view(level, (window, window))[::stride, ::stride]
    rows, cols = view.shape[:2]
    ys, xs = np.mgrid[0:rows, 0:cols] * stride
    return view.reshape(rows * cols, window, window), np.c_[xs.ravel(), ys.ravel()]


def scan(image: np.ndarray, cfg: DetectorConfig) -> tuple[np.ndarray, np.ndarray]:
    """All windows of the photo's pyramid: patches (M, window, window) float32, boxes (M, 4) as (x, y, w, h)."""
    patches, boxes = [], []
    for scale, level in pyramid(image, cfg):
        p, corners = windows(level, cfg.window, cfg.stride)
        patches.append(p)
        side = np.full((len(p), 1), cfg.window * scale)
        boxes.append(np.c_[corners * scale, side, side])
    return np.concatenate(patches), np.concatenate(boxes)


def jitter(faces: np.ndarray, copies: int, rng: np.random.Generator, max_angle: float = 10.0,
           max_scale: float = 0.1, max_shift: float = 1.0) -> np.ndarray:
    """`copies` randomly rotated, scaled, shifted and mirrored versions of each face: (copies * n, s, s).

    Rowley et al. (1998, section 2.1) multiplied their 1,050 faces this way (rotation up to 10 degrees,
    scale 0.9 to 1.1, shift up to half a pixel, mirroring), so the network learns that a face is still
    a face when it is a little off-centre, tilted or larger than the window.
    """
    import cv2

    n, s, _ = faces.shape
    m = copies * n
    angle = rng.uniform(-max_angle, max_angle, m)                      # all the random draws at once: (m,)
    scale = 1 + rng.uniform(-max_scale, max_scale, m)
    shift = rng.uniform(-max_shift, max_shift, (m, 2))
    mirror = rng.random(m) < 0.5
    out = np.empty((m, s, s), np.float32)
    for i in range(m):
        M = cv2.getRotationMatrix2D(((s - 1) / 2, (s - 1) / 2), angle[i], scale[i])   # (2, 3) affine map
        M[:, 2] += shift[i]
        warped = cv2.warpAffine(faces[i % n].astype(np.float32), M, (s, s), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT)
        out[i] = warped[:, ::-1] if mirror[i] else warped
    return out


def standardise(patches: np.ndarray) -> np.ndarray:
    """Each window to zero mean and unit variance: (M, s, s) -> (M, s, s) float32."""
    p = np.asarray(patches, np.float32)
    mean = p.mean(axis=(1, 2), keepdims=True)
    std = p.std(axis=(1, 2), keepdims=True)
    # a flat window (std ~ 0) stays flat instead of blowing its noise up
    return (p - mean) / np.maximum(std, 0.02)


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one box (4,) with each of boxes (M, 4), all as (x, y, w, h)."""
    boxes = np.atleast_2d(boxes)
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[0] + box[2], boxes[:, 0] + boxes[:, 2])
    y2 = np.minimum(box[1] + box[3], boxes[:, 1] + boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    # IoU = |A ∩ B| / (|A| + |B| - |A ∩ B|)
    return inter / (box[2] * box[3] + boxes[:, 2] * boxes[:, 3] - inter)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression: indices of the kept boxes, best score first."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while len(order):
        best, rest = order[0], order[1:]
        keep.append(best)
        order = rest[iou(boxes[best], boxes[rest]) <= iou_threshold]
    return np.array(keep, dtype=np.int64)


def merge(boxes: np.ndarray, scores: np.ndarray, threshold: float, link_iou: float = 0.5
          ) -> tuple[np.ndarray, np.ndarray]:
    """Merge overlapping detections: boxes (K, 4) and their support (K,), best first.

    A real face fires in many neighbouring windows (a few pixels over, a size up or down); a false alarm
    is usually a lone window. So each window scoring above `threshold` gets as *support* the summed
    excess score, Σ (s_j - threshold), of the firing windows that overlap it by more than `link_iou`,
    and non-maximum suppression then keeps the best-supported box of each cluster. This is Rowley et
    al.'s (1998, section 3.1) merging of overlapping detections, and OpenCV's `minNeighbors`.
    """
    above = np.flatnonzero(scores > threshold)
    b, excess = boxes[above], scores[above] - threshold
    support = np.array([excess[iou(box, b) > link_iou].sum() for box in b])
    keep = nms(b, support, 0.3)
    return b[keep], support[keep]


def detect(score: Callable[[np.ndarray], np.ndarray], image: np.ndarray, cfg: DetectorConfig,
           threshold: float, min_support: float) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (K, 4) of the faces found and their support (K,), best first.

    `score` maps standardised patches (M, s, s) to scores (M,), higher meaning more face-like; windows
    scoring above `threshold` are merged, and clusters with support above `min_support` are faces.
    """
    patches, boxes = scan(grey(image), cfg)
    merged, support = merge(boxes, score(standardise(patches)), threshold)
    faces = support > min_support
    return merged[faces], support[faces]


def window_views(photos: list[np.ndarray], cfg: DetectorConfig) -> list[np.ndarray]:
    """Every window of every pyramid level of each photo, as read-only views (M_level, s, s): no copies,
    so a few hundred thousand windows cost only the pyramids' memory."""
    views = []
    for photo in photos:
        for _, level in pyramid(grey(photo), cfg):
            view = np.lib.stride_tricks.sliding_window_view(level, (cfg.window, cfg.window))
            views.append(view[::cfg.stride, ::cfg.stride].reshape(-1, cfg.window, cfg.window))
    return views


def sample_windows(views: list[np.ndarray], n: int, rng: np.random.Generator) -> np.ndarray:
    """n windows drawn uniformly (with replacement) from all the views' windows, standardised: (n, s, s)."""
    sizes = np.array([len(v) for v in views])
    which = rng.choice(len(views), size=n, p=sizes / sizes.sum())
    picks = [views[i][rng.integers(0, sizes[i], np.sum(which == i))] for i in range(len(views))]
    return standardise(np.concatenate(picks))
