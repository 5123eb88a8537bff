"""ml52's MLP layers and MLPClassifier: same gradients as the PyTorch twin, the sklearn contract, and it learns."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.utils.estimator_checks import parametrize_with_checks

from ml52.neural.engine import Tensor, cross_entropy
from ml52.neural.layers import MLP, torch_twin
from ml52.neural.mlp import MLPClassifier


@parametrize_with_checks([MLPClassifier(hidden_layer_sizes=(16,), epochs=30, batch_size=32, learning_rate=0.01,
                                        random_state=0)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_whole_network_gradients_equal_torch():
    # the same weights and batch in both: every parameter's gradient to 1e-10 (float64 rounding only)
    rng = np.random.default_rng(0)
    net = MLP((20, 16, 8, 4), rng, dtype=np.float64)
    twin = torch_twin(net)
    x, y = rng.normal(size=(32, 20)), rng.integers(0, 4, size=32)
    cross_entropy(net(Tensor(x, requires_grad=False)), y).backward()
    F.cross_entropy(twin(torch.tensor(x)), torch.tensor(y)).backward()
    theirs = [p for m in twin if isinstance(m, torch.nn.Linear) for p in (m.weight, m.bias)]
    for p, (i, t) in zip(net.parameters(), enumerate(theirs)):
        g = t.grad.numpy().T if i % 2 == 0 else t.grad.numpy()   # torch stores W as (out, in)
        assert np.abs(p.grad - g).max() <= 1e-10 * np.abs(g).max()


def test_parameters_and_modes():
    net = MLP((5, 4, 3), np.random.default_rng(0), dropout=0.5)
    assert [p.shape for p in net.parameters()] == [(5, 4), (4,), (4, 3), (3,)]
    x = Tensor(np.ones((2, 5), np.float32), requires_grad=False)
    net.eval()
    np.testing.assert_allclose(net(x).data, net.predict_logits(x.data), rtol=1e-6)
    net.train()
    assert net.drop.training


def test_learns_digits():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    clf = MLPClassifier(hidden_layer_sizes=(64,), epochs=30, learning_rate=3e-3, random_state=0).fit(X[:1200], y[:1200])
    assert clf.score(X[1200:], y[1200:]) >= 0.9
    early = MLPClassifier(hidden_layer_sizes=(64,), epochs=200, learning_rate=3e-3, early_stopping=True, patience=5,
                          random_state=0)
    early.fit(X[:1200], y[:1200])
    assert early.n_iter_ < 200 and len(early.validation_scores_) == early.n_iter_
    assert early.score(X[1200:], y[1200:]) >= 0.85


def test_rejects_bad_parameters():
    with pytest.raises(ValueError):
        MLPClassifier(dropout=1.0).fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError):
        MLPClassifier(dtype="float16").fit([[0.0], [1.0]], [0, 1])
