"""Transfer learning pieces: the ResNet's residual blocks, the new head against scikit-learn, EfficientNet-Lite0
against its package's own loader, and the bring-your-own photo path on folders built from bundled photos."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from ml52.errors import UserError
from ml52.lesson import Context
from ml52.neural import transfer
from ml52.neural.resnet import BasicBlock, ResNet, ResNetConfig

SIZE = 96   # a small EfficientNet input keeps these tests quick; the lesson's default is 160


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one thread is faster than two fighting over a busy machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


# --- ResNet --------------------------------------------------------------------------------------------

def test_option_a_shortcut_by_hand():
    """Halving the image and doubling channels: every second pixel, new channels zero (no weights)."""
    block = BasicBlock(2, 4, stride=2)
    x = torch.arange(2 * 4 * 4, dtype=torch.float32).reshape(1, 2, 4, 4)
    s = block.shortcut(x)
    assert s.shape == (1, 4, 2, 2)
    assert torch.equal(s[0, 0], torch.tensor([[0.0, 2.0], [8.0, 10.0]]))
    assert torch.equal(s[0, 1], torch.tensor([[16.0, 18.0], [24.0, 26.0]]))
    assert torch.equal(s[0, 2:], torch.zeros(2, 2, 2))
    assert sum(p.numel() for n, p in block.named_parameters() if "short" in n) == 0


def test_block_with_zero_residual_is_the_identity():
    """With the last batch norm's scale gamma = 0, F(x) = beta = 0, so y = relu(0 + x) = x for x >= 0."""
    torch.manual_seed(0)
    block = BasicBlock(3, 3, stride=1).eval()
    torch.nn.init.zeros_(block.bn2.weight)
    x = torch.rand(2, 3, 5, 5)
    assert torch.equal(block(x), x)


def test_block_gradients_match_finite_differences():
    """float64 autograd through conv, batch norm (training mode) and the shortcut vs central differences."""
    torch.manual_seed(1)
    block = BasicBlock(2, 4, stride=2).double().train()
    x = torch.randn(2, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(block, (x,), eps=1e-6, atol=1e-5)   # default gradcheck tolerances, float64


def test_resnet_shapes_and_new_head_keeps_features():
    torch.manual_seed(2)
    net = ResNet(ResNetConfig(widths=(8, 16, 32))).eval()
    x = torch.rand(4, 1, 28, 28)
    assert net(x).shape == (4, 10)
    f = net.features(x)
    assert f.shape == (4, 32)
    net.new_head(3)
    assert net(x).shape == (4, 3)
    assert torch.equal(net.features(x), f)


# --- the new head against scikit-learn -----------------------------------------------------------------

def test_fit_head_matches_sklearn_logistic_regression():
    """Same strictly convex objective in W (mean cross-entropy + ||W||^2 / (2 C n), intercept unpenalised)
    -> the same optimum. Probabilities and weights agree to 1e-4 (measured: 3e-5): the two L-BFGS runs stop
    on different criteria (scipy's on our float64 gradient, sklearn's on its own scaled loss), not at the
    exact optimum."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 6)).astype(np.float32)
    y = np.argmax(X[:, :3] + 0.8 * rng.normal(size=(90, 3)), axis=1)
    head = transfer.fit_head(torch.from_numpy(X), y, 3, C=0.7)
    sk = LogisticRegression(C=0.7, tol=1e-10, max_iter=10000).fit(X, y)
    with torch.no_grad():
        own = head(torch.from_numpy(X)).softmax(1).numpy()
    np.testing.assert_allclose(own, sk.predict_proba(X), atol=1e-4)
    np.testing.assert_allclose(head.weight.detach().numpy(), sk.coef_, atol=1e-4)


def test_fit_head_separates_a_toy_case():
    X = torch.tensor([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    head = transfer.fit_head(X, np.array([0, 0, 1, 1]), 2, C=10.0)
    assert head(X).argmax(1).tolist() == [0, 0, 1, 1]


def test_validation_split_is_seeded_stratified_and_disjoint():
    labels = np.array([0] * 7 + [1] * 2 + [2] * 12)
    tr, va = transfer.validation_split(labels, 0.25, seed=5)
    assert set(tr).isdisjoint(va) and len(tr) + len(va) == len(labels)
    for c in range(3):   # every class on both sides, even the class with two photos
        assert (labels[tr] == c).any() and (labels[va] == c).any()
    tr2, va2 = transfer.validation_split(labels, 0.25, seed=5)
    assert np.array_equal(tr, tr2) and np.array_equal(va, va2)
    assert not np.array_equal(va, transfer.validation_split(labels, 0.25, seed=6)[1])


# --- EfficientNet-Lite0 --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model():
    return transfer.load_efficientnet(SIZE)


@pytest.fixture(scope="module")
def chelsea():
    import skimage.data

    return skimage.data.chelsea()


def test_loader_equals_the_packages_from_pretrained(model, chelsea, capsys):
    """Our weights_only loader builds exactly the package's model: identical logits (same weights, same ops)."""
    from efficientnet_lite_pytorch import EfficientNet

    from ml52 import datasets

    ref = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(datasets.efficientnet_lite0_weights()),
                                       num_classes=1000, image_size=SIZE).eval()
    x = transfer.to_input([chelsea], SIZE)
    with torch.no_grad():
        assert torch.equal(model(x), ref(x))


@pytest.mark.parametrize("size", [SIZE, 224])
def test_chelsea_is_a_cat(chelsea, size):
    net = transfer.load_efficientnet(size)
    Fx, P = transfer.features_and_probabilities(net, transfer.to_input([chelsea], size))
    assert Fx.shape == (1, transfer.N_FEATURES)
    assert 281 <= int(P[0].argmax()) <= 285
    with torch.no_grad():   # one pass for both is the same as the network's own forward
        torch.testing.assert_close(P, net(transfer.to_input([chelsea], size)).softmax(1))


# --- bring your own photos -----------------------------------------------------------------------------

def _save(photo: np.ndarray, path: Path, side: int = 160) -> None:
    from PIL import Image

    im = Image.fromarray(photo)
    im.thumbnail((side, side))
    im.save(path)


@pytest.fixture(scope="module")
def bundled():
    """Cats, birds and a dog from the ISLP book and scikit-image, small, with mirror images for more photos."""
    import skimage.data

    from ml52 import datasets

    book = {k: transfer.read_photo(p, 160) for k, p in datasets.book_images().items()}
    cats = [skimage.data.chelsea(), book["kitty"]]
    birds = [book["flamingo"], book["hawk"], book["weaver"], book["hawk_cropped"]]
    return {"cat": cats + [c[:, ::-1] for c in cats], "bird": birds + [b[:, ::-1] for b in birds]}


def make_folder(root: Path, bundled: dict) -> Path:
    for name, photos in bundled.items():
        (root / name).mkdir(parents=True)
        for i, photo in enumerate(photos):
            _save(np.ascontiguousarray(photo), root / name / f"{name}{i}.{'png' if i % 2 else 'jpg'}")
    return root


def test_folder_is_read_with_a_corrupt_photo_skipped(tmp_path, bundled):
    root = make_folder(tmp_path / "pets", bundled)
    (root / "cat" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    good = (root / "bird" / "bird0.jpg").read_bytes()
    (root / "bird" / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (root / "cat" / ".DS_Store").write_bytes(b"\0\1")   # hidden files are ignored
    folder = transfer.read_folder(root, SIZE)
    assert folder.classes == ["bird", "cat"]
    assert np.bincount(folder.labels).tolist() == [8, 4]
    assert len(folder.skipped) == 2
    assert any("broken.jpg" in s for s in folder.skipped)
    assert any("truncated.jpg" in s for s in folder.skipped)
    assert all(p.ndim == 3 and p.shape[2] == 3 and p.dtype == np.uint8 for p in folder.photos)


def test_your_photos_then_predict_with_the_saved_head(tmp_path, bundled, model, chelsea):
    from ml52.lessons.transfer_learning import Options, predict, your_photos

    root = make_folder(tmp_path / "pets", bundled)
    (root / "cat" / "broken.jpg").write_bytes(b"GIF89a garbage")
    ctx = Context(seed=52, out=tmp_path / "out", options=Options(resolution=SIZE))
    folder = transfer.read_folder(root, SIZE)
    metrics, notes = your_photos(ctx, folder, model, SIZE)
    assert 0.0 <= metrics["your_accuracy"] <= 1.0
    assert metrics["your_accuracy"] >= 0.5           # 3 held-out photos; ImageNet features tell cats from birds
    assert any("broken.jpg" in n for n in notes)
    saved = ctx.out / "head.pt"
    state = torch.load(saved, weights_only=True)     # plain tensors and strings: loads without running code
    assert state["classes"] == ["bird", "cat"] and state["weight"].shape == (2, transfer.N_FEATURES)
    assert not [p for p in saved.parent.iterdir() if p.name.endswith(".tmp")]   # written atomically

    photo = tmp_path / "chelsea.png"
    _save(chelsea, photo, 300)
    (line,) = predict(ctx, str(photo), {SIZE: model})
    assert line.startswith("chelsea.png: cat ")


def _expect_user_error(root, match: str):
    with pytest.raises(UserError, match=match) as err:
        transfer.read_folder(root, SIZE)
    assert "\n" not in str(err.value)


def test_bad_folders_get_one_clear_line_each(tmp_path, bundled):
    _expect_user_error(tmp_path / "nowhere", "does not exist")
    (tmp_path / "a_file.jpg").write_bytes(b"x")
    _expect_user_error(tmp_path / "a_file.jpg", "is a file")
    (tmp_path / "empty").mkdir()
    _expect_user_error(tmp_path / "empty", "no class subfolders")

    one = tmp_path / "one"
    (one / "cat").mkdir(parents=True)
    _save(bundled["cat"][0], one / "cat" / "a.jpg")
    _expect_user_error(one, "one class subfolder")

    empty_class = make_folder(tmp_path / "empty_class", bundled)
    (empty_class / "dog").mkdir()
    _expect_user_error(empty_class, "is empty")

    text = make_folder(tmp_path / "text", bundled)
    (text / "cat" / "notes.txt").write_text("my cats")
    _expect_user_error(text, "notes.txt' is not a photo")

    loose = make_folder(tmp_path / "loose", bundled)
    _save(bundled["cat"][0], loose / "stray.jpg")
    _expect_user_error(loose, "not inside a class subfolder")

    nested = make_folder(tmp_path / "nested", bundled)
    (nested / "cat" / "more").mkdir()
    _expect_user_error(nested, "cannot be nested")

    too_few = make_folder(tmp_path / "too_few", bundled)
    for p in list((too_few / "cat").iterdir())[1:]:
        p.write_bytes(b"\x89PNG corrupt")          # one readable cat left after the corrupt ones are skipped
    _expect_user_error(too_few, "has 1 readable photo")


def test_huge_photo_is_refused_before_decoding(tmp_path, bundled):
    from PIL import Image

    root = make_folder(tmp_path / "huge", bundled)
    Image.new("1", (9000, 6000)).save(root / "cat" / "poster.png")   # 54 megapixels, a few kB on disk
    _expect_user_error(root, r"poster.png' is 9000x6000 pixels \(54 megapixels\)")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any file")
def test_unreadable_photo(tmp_path, bundled):
    root = make_folder(tmp_path / "locked", bundled)
    locked = root / "cat" / "cat0.jpg"
    locked.chmod(0)
    try:
        _expect_user_error(root, "cannot read .*cat0.jpg")
    finally:
        locked.chmod(0o644)


def test_head_files_load_safely_or_fail_clearly(tmp_path):
    head = torch.nn.Linear(transfer.N_FEATURES, 3)
    path = transfer.save_head(tmp_path / "h" / "head.pt", head, ["a", "b", "c"], 128)
    loaded, classes, size = transfer.load_head(path)
    assert classes == ["a", "b", "c"] and size == 128
    assert torch.equal(loaded.weight, head.weight) and torch.equal(loaded.bias, head.bias)
    with pytest.raises(UserError, match="no saved head"):
        transfer.load_head(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(UserError, match="not a readable head file"):
        transfer.load_head(tmp_path / "junk.pt")
    torch.save({"weight": torch.zeros(2, 2)}, tmp_path / "other.pt")
    with pytest.raises(UserError, match="not a head saved by ml52"):
        transfer.load_head(tmp_path / "other.pt")


def test_cli_reports_a_bad_folder_in_one_line_before_training(tmp_path, capsys):
    from ml52.cli import main

    code = main(["learn", "transfer-learning", "--out", str(tmp_path / "out"), "--device", "cpu",
                 "--images", str(tmp_path / "no_such_folder")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0 and "does not exist" in err


def test_cli_predict_without_a_head_fails_at_once(tmp_path, capsys):
    from ml52.cli import main

    code = main(["learn", "transfer-learning", "--out", str(tmp_path / "out"), "--device", "cpu",
                 "--predict", str(tmp_path / "cat.jpg")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0 and "no saved head" in err
