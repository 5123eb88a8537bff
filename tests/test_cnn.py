"""Convolutional networks: LeNet-5 on ml52's engine equals the PyTorch module; AlexNet/VGG shapes;
the detector's pieces (IoU, NMS, windows) on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ml52.neural import detect as D
from ml52.neural.engine import Tensor, cross_entropy
from ml52.neural.lenet import LeNet5, LeNetConfig, OwnLeNet5, avg_pool2d


@pytest.mark.parametrize("cfg", [LeNetConfig(), LeNetConfig(size=32, classes=10), LeNetConfig(size=28, maps=(4, 8))])
def test_own_lenet_equals_torch_outputs_and_gradients(cfg):
    # Same weights, same float64 input: the two do the same arithmetic in a different order (im2col
    # matmuls vs. MKL-DNN convolutions), so they agree to rounding, far inside 1e-8.
    torch.manual_seed(0)
    module = LeNet5(cfg).double()
    own = OwnLeNet5.from_torch(module)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 1, cfg.size, cfg.size))
    y = rng.integers(0, cfg.classes, 5)

    xo = Tensor(x)
    loss = cross_entropy(own(xo), y)
    loss.backward()
    xt = torch.tensor(x, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(module(xt), torch.tensor(y))
    loss_t.backward()

    np.testing.assert_allclose(own(x).data, module(xt).detach().numpy(), rtol=0, atol=1e-8)
    assert abs(loss.item() - loss_t.item()) < 1e-8
    for name, p in module.named_parameters():
        np.testing.assert_allclose(own.params[name].grad, p.grad.numpy(), rtol=0, atol=1e-8, err_msg=name)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=0, atol=1e-8)


def test_own_lenet_init_shapes_and_scale():
    own = OwnLeNet5.init(LeNetConfig(), seed=3)
    module = LeNet5(LeNetConfig())
    for name, p in module.named_parameters():
        assert own.params[name].shape == tuple(p.shape)
    # PyTorch's default bound 1/sqrt(fan_in): C1 has fan_in 25, so |w| <= 0.2
    assert np.abs(own.params["c1.weight"].data).max() <= 0.2
    assert own(np.zeros((2, 1, 25, 25))).shape == (2, 2)


def test_avg_pool_hand_case():
    x = Tensor(np.arange(25, dtype=np.float64).reshape(1, 1, 5, 5))
    y = avg_pool2d(x)          # the odd last row and column are dropped, as in torch
    np.testing.assert_array_equal(y.data[0, 0], [[3.0, 5.0], [13.0, 15.0]])
    y.sum().backward()
    expected = np.zeros((5, 5))
    expected[:4, :4] = 0.25
    np.testing.assert_array_equal(x.grad[0, 0], expected)


# --- the detector's pieces ---------------------------------------------------------------------------------

def test_iou_hand_cases():
    a = np.array([0, 0, 10, 10])
    boxes = np.array([[0, 0, 10, 10], [5, 0, 10, 10], [20, 20, 5, 5], [0, 0, 5, 5]])
    # identical: 1; half-shifted: 50 / (100 + 100 - 50) = 1/3; apart: 0; inside a quarter: 25 / 100
    np.testing.assert_allclose(D.iou(a, boxes), [1.0, 1 / 3, 0.0, 0.25])


def test_nms_keeps_the_best_of_each_cluster():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 10, 10], [0, 0, 10, 10], [52, 50, 10, 10]])
    scores = np.array([0.9, 0.95, 0.5, 0.1, 0.8])
    # box 1 beats its overlapping 0 and 3; box 4 beats 2 (IoU 8*10 / 120 = 0.67 > 0.3)
    np.testing.assert_array_equal(D.nms(boxes, scores, 0.3), [1, 4])
    # with a loose threshold nothing overlaps "too much" except the exact duplicate pair 0/3 (IoU 1)
    np.testing.assert_array_equal(D.nms(boxes, scores, 0.99), [1, 0, 4, 2])


def test_merge_sums_the_support_of_overlapping_windows():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 10, 10], [0, 1, 10, 10], [50, 50, 10, 10], [20, 0, 10, 10]])
    scores = np.array([2.0, 3.0, 1.0, 4.0, -1.0])
    # the first three overlap pairwise by IoU 0.82, 0.82 and 0.68 > 0.5: each has support 2 + 3 + 1 = 6;
    # the lone window has 4; the last scores below the threshold and is ignored
    merged, support = D.merge(boxes, scores, threshold=0.0)
    np.testing.assert_array_equal(merged, boxes[[0, 3]])
    np.testing.assert_allclose(support, [6.0, 4.0])
    # support counts only the excess over the threshold: (2-1.5) + (3-1.5) = 2 vs 4-1.5 = 2.5
    merged, support = D.merge(boxes, scores, threshold=1.5)
    np.testing.assert_array_equal(merged, boxes[[3, 0]])
    np.testing.assert_allclose(support, [2.5, 2.0])


def test_windows_cover_the_level_at_the_stride():
    level = np.arange(12 * 10, dtype=np.float32).reshape(12, 10)
    patches, corners = D.windows(level, 4, 3)
    # x in 0, 3, 6 (10 - 4 = 6); y in 0, 3, 6 (12 - 4 = 8 -> 0, 3, 6)
    assert patches.shape == (9, 4, 4)
    i = 5                                        # row 1, column 2: x = 6, y = 3
    np.testing.assert_array_equal(corners[i], [6, 3])
    np.testing.assert_array_equal(patches[i], level[3:7, 6:10])


def test_scan_boxes_map_back_to_the_photo():
    cfg = D.DetectorConfig(window=25, min_face=50, max_face=100, scale_step=2.0, stride=5)
    image = np.random.default_rng(0).random((120, 160)).astype(np.float32)
    patches, boxes = D.scan(image, cfg)
    assert patches.shape[1:] == (25, 25) and len(patches) == len(boxes)
    assert set(np.unique(boxes[:, 2])) == {50.0, 100.0}          # the two scales, in photo pixels
    assert boxes[:, 0].max() + boxes[boxes[:, 0].argmax(), 2] <= 160 + 2   # rounding of the level size
    z = D.standardise(patches)
    np.testing.assert_allclose(z.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=(1, 2)), 1, atol=1e-3)


def test_jitter_makes_plausible_copies():
    rng = np.random.default_rng(0)
    faces = rng.random((3, 25, 25)).astype(np.float32)
    # with no rotation, scaling or shift, every copy is its face or its mirror image, exactly
    still = D.jitter(faces, 4, rng, max_angle=0, max_scale=0, max_shift=0)
    assert still.shape == (12, 25, 25)
    for i, copy in enumerate(still):
        f = faces[i % 3]
        assert np.allclose(copy, f, atol=1e-6) or np.allclose(copy, f[:, ::-1], atol=1e-6)
    # with the defaults, copies differ from the original but keep most of its pattern
    smooth = np.kron(rng.random((3, 5, 5)), np.ones((5, 5))).astype(np.float32)   # blocky "faces"
    moved = D.jitter(smooth, 4, rng)
    corr = [max(np.corrcoef(c.ravel(), smooth[i % 3].ravel())[0, 1],
                np.corrcoef(c.ravel(), smooth[i % 3][:, ::-1].ravel())[0, 1]) for i, c in enumerate(moved)]
    assert min(corr) > 0.5 and not np.allclose(moved[0], smooth[0])


# --- AlexNet and VGG ----------------------------------------------------------------------------------------

def test_alexnet_and_vgg_shapes_and_signatures():
    from ml52.neural.alexnet import AlexNet, AlexNetConfig
    from ml52.neural.vgg import VGG, VGGConfig

    x = torch.zeros(4, 1, 28, 28)
    alex, vgg = AlexNet(AlexNetConfig()), VGG(VGGConfig())
    assert alex(x).shape == (4, 10) and vgg(x).shape == (4, 10)
    convs = lambda net: [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    # AlexNet: a large first kernel, overlapping 3x3/2 pooling, dropout before the hidden layers
    assert convs(alex)[0].kernel_size == (5, 5)
    pools = [m for m in alex.modules() if isinstance(m, torch.nn.MaxPool2d)]
    assert all(p.kernel_size == 3 and p.stride == 2 for p in pools)
    assert sum(isinstance(m, torch.nn.Dropout) for m in alex.modules()) == 2
    # VGG: only 3x3 convolutions that keep the size, 2x2 pooling between blocks
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs(vgg))
    assert sum(isinstance(m, torch.nn.MaxPool2d) for m in vgg.modules()) == len(VGGConfig().blocks)
