"""A small residual network (ResNet) for 28x28 grey images, written out in PyTorch.

He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition" (CVPR 2016, arXiv:1512.03385).
A residual block learns a correction F(x) to its input and adds the input back:

    y = relu(F(x) + x),   F(x) = BN(conv3x3(relu(BN(conv3x3(x)))))

so a deep stack starts out close to the identity and gradients flow through the `+ x` path unchanged.
This is the paper's CIFAR-10 design (section 4.2), shrunk for 28x28 images and a few seconds of CPU: a 3x3
stem, then stages of basic blocks whose width doubles as the image halves, global average pooling and one
linear layer. Shortcuts are parameter-free identities everywhere (the paper's "option A"): where a stage
halves the image and doubles the channels, the shortcut takes every second pixel and pads the new channels
with zeros. Batch norm follows every convolution, as in the paper.

`features(x)` is everything up to the pooled vector; `head` is the last linear layer. Transfer learning
keeps `features` and replaces `head` (see lessons/transfer_learning.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class ResNetConfig:
    """The shape of the network."""

    in_channels: int = 1               # grey images
    widths: tuple[int, ...] = (16, 32)  # channels of each stage; each stage after the first halves H and W
    blocks_per_stage: int = 1          # basic blocks per stage (the paper's n: depth = 2 * n * stages + 2)
    stem_stride: int = 2               # 2 halves 28x28 to 14x14 at once (cheap); 1 keeps full size
    num_classes: int = 10


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm, plus an identity shortcut: y = relu(F(x) + shortcut(x))."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.stride = stride
        self.pad = c_out - c_in

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        """Option A: the identity, subsampled by the stride, new channels filled with zeros (no weights)."""
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]          # (B, C_in, H/s, W/s)
        if self.pad > 0:
            x = F.pad(x, (0, 0, 0, 0, 0, self.pad))             # (B, C_out, H/s, W/s)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # F(x) = BN(conv(relu(BN(conv(x)))))
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        # y = relu(F(x) + x)
        return F.relu(h + self.shortcut(x))


class ResNet(nn.Module):
    """stem -> stages of BasicBlocks -> global average pool -> linear head."""

    def __init__(self, config: ResNetConfig = ResNetConfig()):
        super().__init__()
        self.config = config
        w0 = config.widths[0]
        self.stem = nn.Sequential(
            nn.Conv2d(config.in_channels, w0, 3, stride=config.stem_stride, padding=1, bias=False),
            nn.BatchNorm2d(w0),
            nn.ReLU(),
        )
        blocks, c_in = [], w0
        for i, c_out in enumerate(config.widths):
            for j in range(config.blocks_per_stage):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(BasicBlock(c_in, c_out, stride))
                c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(c_in, config.num_classes)
        self.n_features = c_in
        for m in self.modules():  # He initialisation for ReLU networks (He et al. 2015, "Delving deep")
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) images -> (B, n_features) pooled features."""
        h = self.blocks(self.stem(x))                          # (B, widths[-1], H', W')
        return h.mean(dim=(2, 3))                              # (B, widths[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))                    # (B, num_classes) logits

    def new_head(self, num_classes: int) -> "ResNet":
        """Replace the last layer with a fresh one for a new task (the transfer-learning step)."""
        self.head = nn.Linear(self.n_features, num_classes).to(self.head.weight.device)
        return self
