"""How many CPU threads PyTorch uses for a block of work.

Float sums done in another order round differently, so the thread count can change which network training
ends with. Lessons that pin it (object-recognition, face-detection, animal-images, transfer-learning) make
`ml52 learn` train the same network as a race worker, and two lessons side by side don't fight over the cores.
"""

from __future__ import annotations

import os
from contextlib import contextmanager


@contextmanager
def torch_threads(n: int):
    """Run the block with PyTorch on `n` threads (at most the machine's cores), then restore the count."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(n, os.cpu_count() or 1)))
    try:
        yield
    finally:
        torch.set_num_threads(before)
