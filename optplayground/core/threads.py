"""The one torch thread count of the window and of `optplayground run`.

Intra-op threads split sums (a loss's mean, BatchNorm's batch statistics) into chunks added
in another order, so the last digits of a run depend on the thread count. The window and the
command line set the same count, so `run --csv` writes the very file the window exports.
"""
from __future__ import annotations

import torch

# The playground's tensors are tiny (a 2-D point, a 200x200 heat map, a few hundred data
# points): extra intra-op threads gain nothing and only fight the UI thread for the cores.
TORCH_THREADS = 1


def use_torch_threads() -> None:
    torch.set_num_threads(TORCH_THREADS)
