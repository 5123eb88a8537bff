"""A VGG-style network: depth from stacks of small 3x3 convolutions (Simonyan & Zisserman 2014,
"Very deep convolutional networks for large-scale image recognition", ICLR 2015, table 1).

VGG's one idea: use only 3x3 convolutions (padding 1, so the map keeps its size) and get a large
receptive field by stacking them; two 3x3 layers see a 5x5 patch, three see 7x7, with fewer weights
and more non-linearities than one big kernel. Blocks of such stacks are separated by 2x2 max-pooling,
which halves the map while the number of channels doubles. A small fully connected classifier with
dropout sits on top.

Scaled to 28x28 grey images (the paper: 224x224 colour, channels 64..512, 11 to 19 layers): this keeps
the first three blocks of configuration A (VGG-11), 64-M-128-M-256-256-M, with channels divided by 8,
so 28 -> 14 -> 7 -> 3. Batch normalisation after each convolution (Ioffe & Szegedy 2015; the "VGG-BN"
variant) lets the net train in a few epochs, which the 52-second budget needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class VGGConfig:
    """The net's shape: channels of the 3x3 convolutions in each block (a max-pool closes each block)."""

    blocks: tuple[tuple[int, ...], ...] = ((8,), (16,), (32, 32))
    hidden: int = 64          # units in the fully connected layer
    dropout: float = 0.3      # drop probability before the output layer
    size: int = 28            # input side in pixels (grey)
    classes: int = 10


class VGG(nn.Module):
    """x (N, 1, size, size) -> logits (N, classes)."""

    def __init__(self, cfg: VGGConfig = VGGConfig()):
        super().__init__()
        self.cfg = cfg
        layers, c_in, side = [], 1, cfg.size
        for block in cfg.blocks:
            for c_out in block:
                # 3x3, padding 1: the map keeps its size; only the pooling shrinks it
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
                c_in = c_out
            layers.append(nn.MaxPool2d(2))
            side //= 2
        self.features = nn.Sequential(*layers)            # (N, 32, 3, 3) with the defaults
        self.classifier = nn.Sequential(
            nn.Flatten(),                                 # (N, 288)
            nn.Linear(c_in * side * side, cfg.hidden), nn.ReLU(inplace=True),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.hidden, cfg.classes),           # (N, classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
