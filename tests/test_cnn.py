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
