"""A multilayer-perceptron classifier on ml52's own engine, with the scikit-learn estimator API.

The network is `ml52.neural.layers.MLP` (Linear -> ReLU -> dropout, ..., Linear), trained on the softmax
cross-entropy by minibatch Adam (Kingma & Ba 2015) with a cosine learning-rate schedule (Loshchilov &
Hutter 2017). The regularizers of Goodfellow et al., *Deep Learning*, chapter 7 are options: weight decay
(decoupled, as AdamW), dropout (Srivastava et al. 2014) and early stopping on a held-out validation part.
Like sklearn.neural_network.MLPClassifier, it does not scale its inputs: put a StandardScaler in front.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ml52.neural.engine import Tensor, cross_entropy
from ml52.neural.layers import MLP
from ml52.neural.optim import Adam


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """Multilayer perceptron classifier trained with Adam.

    hidden_layer_sizes: units per hidden layer.       learning_rate: Adam's peak step size.
    epochs: passes over the training data.            batch_size: rows per gradient step.
    weight_decay: decoupled L2 shrinkage per step.    dropout: drop probability after each hidden layer.
    early_stopping: hold out `validation_fraction` and keep the weights of the best validation epoch,
        stopping after `patience` epochs without improvement.
    dtype: "float32" (fast) or "float64".             random_state: seed for weights, batches, dropout.
    """

    def __init__(self, hidden_layer_sizes=(100,), learning_rate: float = 1e-3, epochs: int = 20,
                 batch_size: int = 128, weight_decay: float = 0.0, dropout: float = 0.0,
                 early_stopping: bool = False, validation_fraction: float = 0.1, patience: int = 5,
                 dtype: str = "float32", random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.dtype = dtype
        self.random_state = random_state

    def _check_params(self):
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0 or self.weight_decay < 0:
            raise ValueError("epochs and batch_size must be >= 1, learning_rate > 0, weight_decay >= 0")
        if self.early_stopping and not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1), got {self.validation_fraction}")

    def fit(self, X, y):
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("MLPClassifier needs at least 2 classes in y; got 1 class")
        rng = np.random.default_rng(self.random_state)
        X = X.astype(self.dtype)
        X_val = y_val = None
        if self.early_stopping:
            order = rng.permutation(len(X))
            n_val = max(1, int(round(self.validation_fraction * len(X))))
            X_val, y_val, X, y = X[order[:n_val]], y[order[:n_val]], X[order[n_val:]], y[order[n_val:]]

        sizes = (X.shape[1], *tuple(self.hidden_layer_sizes), len(self.classes_))
        net = MLP(sizes, rng, dropout=self.dropout, dtype=np.dtype(self.dtype))
        opt = Adam(net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay, decoupled=True)
        steps_per_epoch = int(np.ceil(len(X) / self.batch_size))
        total, step = self.epochs * steps_per_epoch, 0
        self.loss_curve_, self.validation_scores_ = [], []
        best, best_state, waited = -np.inf, None, 0
        for epoch in range(self.epochs):
            net.train()
            order, losses = rng.permutation(len(X)), []
            for i in range(0, len(X), self.batch_size):
                idx = order[i:i + self.batch_size]
                # cosine schedule: η_t = η/2 (1 + cos(π t / T))
                opt.lr = self.learning_rate * 0.5 * (1 + np.cos(np.pi * step / total))
                loss = cross_entropy(net(Tensor(X[idx], requires_grad=False)), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
                step += 1
            self.loss_curve_.append(float(np.mean(losses)))
            if self.early_stopping:
                score = float((net.predict_logits(X_val).argmax(axis=1) == y_val).mean())
                self.validation_scores_.append(score)
                if score > best:
                    best, best_state, waited = score, net.state(), 0
                else:
                    waited += 1
                    if waited >= self.patience:
                        break
        if best_state is not None:
            net.load(best_state)
        net.eval()
        self.net_ = net
        self.n_iter_ = epoch + 1
        return self

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self)
        # float64 inputs make NumPy compute in float64, so a row's answer does not depend on its batch
        X = validate_data(self, X, reset=False, dtype=np.float64)
        logits = self.net_.predict_logits(X)                      # (n, classes)
        return logits[:, 1] - logits[:, 0] if len(self.classes_) == 2 else logits

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        z = self.net_.predict_logits(X)                           # (n, classes)
        # softmax(z)_k = e^(z_k) / Σ_j e^(z_j), shifted by the max for stability
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
