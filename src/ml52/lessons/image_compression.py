"""Lesson image-compression: PCA compresses a photo, and JPEG shows what a tuned codec adds."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml52.lesson import Bar, Context, Lesson, Outcome, Reference

BLOCK = 8                     # blocks of 8 x 8 pixels (x 3 colours): 192 numbers each for a colour photo
CURVE_K = (4, 8, 16, 32, 64)  # kept directions for the PSNR-vs-ratio curve
JPEG_QUALITIES = (5, 10, 20, 35, 50, 70, 85, 95)
HEADER_BYTES = 16             # image height, width, channels, k and the step: stated, not squeezed


@dataclass
class Options:
    photo: str = field(default="astronaut", metadata={"help": "a photo bundled with scikit-image "
                                                              "(astronaut, coffee, chelsea, rocket, camera)"})
    components: int = field(default=32, metadata={"help": "principal directions kept per 8x8 block"})
    step: float = field(default=20.0, metadata={"help": "quantisation step of the codes (larger = smaller file)"})


def blocks(img):
    """(H, W, C) uint8 -> (H/8 * W/8, 8*8*C) float: one row per 8x8 block, all its colours together."""
    H, W, C = img.shape
    b = BLOCK
    return img.reshape(H // b, b, W // b, b, C).transpose(0, 2, 1, 3, 4).reshape(-1, b * b * C).astype(float)


def unblocks(X, shape):
    """The inverse of `blocks`, rounded and clipped back to 8-bit pixels."""
    import numpy as np

    H, W, C = shape
    b = BLOCK
    X = np.clip(np.round(X), 0, 255).astype(np.uint8)
    return X.reshape(H // b, W // b, b, b, C).transpose(0, 2, 1, 3, 4).reshape(H, W, C)


def psnr(a, b) -> float:
    """Peak signal-to-noise ratio in dB: 10 log10(255² / mean squared error)."""
    import numpy as np

    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return float(10 * np.log10(255.0**2 / mse)) if mse > 0 else float("inf")


def pca_codec(pca, X, k: int, step: float):
    """Store k directions and the quantised codes; return (bytes, reconstructed blocks).

    What is stored: the mean and the k directions as float16 (2 bytes per number), and each block's k
    codes z rounded to integers q = round(z / step), written component by component and squeezed with
    bzip2 (Python's bz2: Burrows-Wheeler + Huffman coding, lossless). Later directions carry little
    variance, so most of their q are 0: that is where the squeeze wins over plain 8-bit codes.
    """
    import bz2

    import numpy as np

    Z = pca.transform(X)[:, :k]                                  # (blocks, k) codes
    q = np.round(Z / step).astype(np.int16)
    packed = bz2.compress(np.ascontiguousarray(q.T).tobytes(), 9)
    V = pca.components_[:k].astype(np.float16)                  # what the decoder gets
    mean = pca.mean_.astype(np.float16)
    size = len(packed) + V.nbytes + mean.nbytes + HEADER_BYTES
    # decoder: x̂ = (q * step) V_k + mean
    X_hat = (q * step) @ V.astype(float) + mean.astype(float)
    return size, X_hat


def plain_8bit(pca, X, k: int):
    """The naive codec: each code scaled to 0..255 per direction (one byte), no squeeze."""
    import numpy as np

    Z = pca.transform(X)[:, :k]
    lo, hi = Z.min(axis=0), Z.max(axis=0)
    q = np.round((Z - lo) / np.maximum(hi - lo, 1e-12) * 255)
    X_hat = (q / 255 * (hi - lo) + lo) @ pca.components_[:k] + pca.mean_
    size = q.size + 2 * (pca.components_[:k].size + pca.mean_.size + 2 * k) + HEADER_BYTES
    return size, X_hat


def jpeg(img, quality: int):
    """(bytes, decoded image) for Pillow's JPEG at `quality` (its default 4:2:0 colour subsampling)."""
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img.squeeze() if img.shape[2] == 1 else img).save(buf, "JPEG", quality=quality)
    size = buf.tell()
    buf.seek(0)
    out = np.asarray(Image.open(buf))
    return size, out.reshape(img.shape)


def jpeg_at_size(img, size: int):
    """JPEG with the highest quality whose file is no larger than `size` (bisection on quality 1..95)."""
    lo, hi = 1, 95
    best = jpeg(img, 1)
    while lo <= hi:
        mid = (lo + hi) // 2
        got = jpeg(img, mid)
        if got[0] <= size:
            best, lo = got, mid + 1
        else:
            hi = mid - 1
    return best


def load_photo(name: str):
    import numpy as np

    from ml52.datasets import photo

    img = np.asarray(photo(name))
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.dtype != np.uint8:
        raise_bad(name, "is not an 8-bit photo")
    img = img[:, :, :3]                                          # drop an alpha channel
    H, W = (img.shape[0] // BLOCK) * BLOCK, (img.shape[1] // BLOCK) * BLOCK
    if H < 2 * BLOCK or W < 2 * BLOCK:
        raise_bad(name, "is too small")
    return np.ascontiguousarray(img[:H, :W])                     # crop to whole blocks


def raise_bad(name, why):
    from ml52.errors import UserError

    raise UserError(f"the photo '{name}' {why}; try --photo astronaut, coffee or chelsea")


def run(ctx: Context) -> Outcome:
    import time

    import numpy as np
    from sklearn.decomposition import PCA as SkPCA
    from threadpoolctl import threadpool_limits

    from ml52.errors import UserError
    from ml52.unsupervised.pca import PCA

    opt = ctx.options or Options()
    img = load_photo(opt.photo)
    X = blocks(img)                                              # (blocks, 64 C)
    d = X.shape[1]
    if not 1 <= opt.components <= d:
        raise UserError(f"--components must be between 1 and {d} (the numbers in one 8x8 block), "
                        f"got {opt.components}")
    if not opt.step > 0:
        raise UserError(f"--step must be a positive number, got {opt.step}")
    raw = img.size                                               # bytes of the raw 8-bit photo
    ctx.progress(0.05, f"{len(X)} blocks of {d} numbers")

    # ---- the idea: the blocks' principal directions, own PCA vs scikit-learn's -----------------
    # CPU seconds on one BLAS thread each: a fair time ratio, even on a busy machine
    with threadpool_limits(limits=1):
        t0 = time.process_time()
        pca = PCA().fit(X)
        t_own = time.process_time() - t0
        t0 = time.process_time()
        ref = SkPCA(svd_solver="full").fit(X)
        t_ref = time.process_time() - t0
    top = max(CURVE_K[-1], opt.components) if d >= CURVE_K[-1] else d
    agree = float(np.max(np.abs(pca.components_[:top] - ref.components_[:top])))
    ctx.progress(0.3, "principal directions found")

    # ---- compress at the lesson's k, then at several k for the curve ----------------------------
    size, X_hat = pca_codec(pca, X, opt.components, opt.step)
    ours = unblocks(X_hat, img.shape)
    metrics = {"psnr": psnr(img, ours), "compression_ratio": raw / size}
    j_size, j_img = jpeg_at_size(img, size)
    metrics["jpeg_psnr"] = psnr(img, j_img)
    ref_size, ref_hat = pca_codec(ref, X, opt.components, opt.step)
    reference = Reference("scikit-learn PCA(svd_solver='full'), same quantisation",
                          {"psnr": psnr(img, unblocks(ref_hat, img.shape)), "compression_ratio": raw / ref_size,
                           "cpu_seconds_fit": t_ref})
    ctx.progress(0.6, "compressed; comparing with JPEG")
    curve = []
    for k in [k for k in CURVE_K if k <= d]:
        s, Xk = pca_codec(pca, X, k, opt.step)
        curve.append((k, raw / s, psnr(img, unblocks(Xk, img.shape)), Xk))
    jpeg_curve = []
    for q in JPEG_QUALITIES:
        s, J = jpeg(img, q)
        jpeg_curve.append((q, raw / s, psnr(img, J)))
    p8_size, p8_hat = plain_8bit(pca, X, opt.components)
    ctx.progress(0.85, "drawing")

    figures = _figures(ctx, img, ours, metrics, curve, jpeg_curve, opt)
    kept = float(pca.explained_variance_ratio_[: opt.components].sum())
    notes = [
        f"{opt.photo}: {img.shape[0]}x{img.shape[1]}x{img.shape[2]} = {raw} raw bytes, {len(X)} blocks of {d} numbers",
        f"k={opt.components} of {d} directions keep {kept:.1%} of the variance; stored in {size} bytes "
        f"(float16 directions and mean, codes rounded to steps of {opt.step:g} and bzip2-squeezed): "
        f"{metrics['compression_ratio']:.1f}x at {metrics['psnr']:.1f} dB",
        f"the same k with plain 8-bit codes and no squeeze: {raw / p8_size:.1f}x at "
        f"{psnr(img, unblocks(p8_hat, img.shape)):.1f} dB",
        f"JPEG at the same size ({j_size} bytes): {metrics['jpeg_psnr']:.1f} dB, "
        f"{metrics['jpeg_psnr'] - metrics['psnr']:+.1f} dB against PCA: JPEG wins, with a fixed cosine basis, "
        "quantisation tuned to the eye, colour subsampling and entropy coding",
        "PCA curve: " + ", ".join(f"k={k}: {r:.1f}x {p:.1f} dB" for k, r, p, _ in curve),
        f"own PCA vs scikit-learn: largest difference in the first {top} directions {agree:.1e}; "
        f"fit {t_own * 1e3:.0f} ms vs {t_ref * 1e3:.0f} ms CPU (ratio {t_own / t_ref:.2f})",
    ]
    return Outcome(metrics=metrics, reference=reference, figures=figures, notes=notes)


def _figures(ctx, img, ours, metrics, curve, jpeg_curve, opt):
    from ml52.io import pyplot, save_figure

    plt = pyplot()
    grey = img.shape[2] == 1
    show = lambda a: a[:, :, 0] if grey else a                  # noqa: E731
    panels = [(img, "original")]
    for k in (8, 16):
        for ck, r, p, Xk in curve:
            if ck == k:
                panels.append((unblocks(Xk, img.shape), f"k={k}: {r:.0f}x, {p:.1f} dB"))
    panels.append((ours, f"k={opt.components}: {metrics['compression_ratio']:.1f}x, {metrics['psnr']:.1f} dB"))
    # a close-up of the busiest 96x96 patch (highest pixel variance), where the errors show
    side = min(96, img.shape[0], img.shape[1])
    grid = [(y, x) for y in range(0, img.shape[0] - side + 1, side // 2) for x in range(0, img.shape[1] - side + 1, side // 2)]
    y0, x0 = max(grid, key=lambda yx: img[yx[0]:yx[0] + side, yx[1]:yx[1] + side].std())
    fig, axes = plt.subplots(2, len(panels), figsize=(3 * len(panels), 6.4))
    for col, (im, label) in enumerate(panels):
        for row, part in enumerate((im, im[y0:y0 + side, x0:x0 + side])):
            axes[row, col].imshow(show(part), cmap="gray" if grey else None, interpolation="nearest")
            axes[row, col].axis("off")
        axes[0, col].set_title(label)
    axes[1, 0].set_title(f"close-up {side}x{side} at ({y0}, {x0})", fontsize=9)
    fig.subplots_adjust(wspace=0.05, hspace=0.12)
    paths = [save_figure(fig, ctx.figure("reconstructions.png"))]

    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.plot([c[1] for c in curve], [c[2] for c in curve], "o-", label="PCA on 8x8 blocks (bzip2 codes)")
    for k, r, p, _ in curve:
        ax.annotate(f"k={k}", (r, p), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.plot([c[1] for c in jpeg_curve], [c[2] for c in jpeg_curve], "s-", label="JPEG (Pillow)")
    ax.axhline(30, color="r", ls=":", lw=1)
    ax.axvline(8, color="r", ls=":", lw=1, label="bar: 30 dB at 8x")
    ax.set(xscale="log", xlabel="compression ratio (raw bytes / stored bytes)", ylabel="PSNR (dB)",
           title=f"{opt.photo}: quality vs size")
    ax.legend()
    paths.append(save_figure(fig, ctx.figure("psnr_vs_ratio.png")))
    return paths


LESSON = Lesson(
    slug="image-compression",
    concept="principal component analysis (PCA)",
    algorithm="PCA by the SVD of centred 8x8x3 blocks; codes quantised and bzip2-squeezed; JPEG as a yardstick",
    idea=("The pixels of a small block of a photo move together, so a handful of directions (the principal "
          "components) describe most blocks well. Storing only each block's coordinates along the first few "
          "directions compresses the photo; the rest of the variance is the error."),
    problem="compress a colour photo at least 8x while keeping it sharp (PSNR 30 dB or more)",
    data="scikit-image's bundled astronaut photo (512x512x3), or another bundled photo via --photo",
    metric="PSNR (dB) at the lesson's compression ratio; JPEG's PSNR at the same size",
    bars=(Bar("psnr", ">=", 30.0), Bar("compression_ratio", ">=", 8.0)),
    budget=2.0,
    run=run,
    sources=("unsupervised/pca.py", "lessons/image_compression.py"),
    options=Options,
)
