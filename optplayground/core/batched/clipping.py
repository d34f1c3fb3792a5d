"""Gradient clipping per row, with the numbers torch's clip_grad_norm_ / clip_grad_value_
give one run's (2,) gradient, and the raw and clipped norms the engine records.

For one parameter clip_grad_norm_ measures total = ‖(‖g‖_p)‖_p (the norm of the stacked
per-tensor norms), multiplies g by min(max_norm / (total + 1e-6), 1) and returns total
(every op as torch rounds it: the batched numbers equal the per-run ones bit for bit);
the engine then records ‖g_clipped‖_p. Without clipping, or clipping by value, both norms
are Euclidean.
"""
from __future__ import annotations

from typing import Sequence

import torch

from ..experiment import Clip


class RowClip:
    """The clip settings of every row as tensors; `apply(grad)` clips a copy."""

    def __init__(self, clips: Sequence[Clip], dtype, device):
        self.dtype, self.device = dtype, device
        self.clips = list(clips)
        self._build()

    def _build(self) -> None:
        clips, dev = self.clips, self.device
        modes = [c.mode for c in clips]
        self.any_norm, self.any_value = "norm" in modes, "value" in modes
        self.is_norm = torch.tensor([m == "norm" for m in modes], device=dev).unsqueeze(-1)
        self.is_value = torch.tensor([m == "value" for m in modes], device=dev).unsqueeze(-1)
        self.max_norm = self._column([c.max_norm for c in clips])
        self.clip_value = self._column([c.clip_value for c in clips])
        # one pass of the norm for each p that some clipping row uses
        types = sorted({float(c.norm_type) for c in clips if c.mode == "norm"})
        self.norm_types = [(p, torch.tensor([c.mode == "norm" and float(c.norm_type) == p
                                             for c in clips], device=dev)) for p in types]

    def _column(self, values: list[float]) -> torch.Tensor:
        return torch.tensor(values, dtype=self.dtype, device=self.device).unsqueeze(-1)

    def select(self, keep: torch.Tensor) -> None:
        rows = keep.nonzero().flatten().tolist()
        self.clips = [self.clips[i] for i in rows]
        self._build()

    def set(self, row: int, clip: Clip) -> None:
        self.clips[row] = clip
        self._build()

    def apply(self, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(clipped gradient, raw norm, clipped norm), the norms of shape (rows,)."""
        euclid = torch.linalg.vector_norm(grad, 2, dim=-1)
        if not (self.any_norm or self.any_value):
            return grad, euclid, euclid
        raw, clipped = euclid, grad
        if self.any_value:
            clipped = torch.where(self.is_value, grad.clamp(-self.clip_value, self.clip_value), grad)
        for p, rows in self.norm_types:
            total = torch.linalg.vector_norm(
                torch.linalg.vector_norm(grad, p, dim=-1, keepdim=True), p, dim=-1)
            # torch: max_norm / (total + 1e-6) with a Python float max_norm, which a tensor
            # computes as reciprocal(total + 1e-6) * max_norm (Tensor.__rtruediv__)
            coef = torch.clamp(torch.reciprocal(total + 1e-6) * self.max_norm.squeeze(-1), max=1.0)
            clipped = torch.where(rows.unsqueeze(-1), grad * coef.unsqueeze(-1), clipped)
            raw = torch.where(rows, total, raw)
        after = torch.linalg.vector_norm(clipped, 2, dim=-1)
        for p, rows in self.norm_types:
            if p != 2.0:
                after = torch.where(rows, torch.linalg.vector_norm(clipped, p, dim=-1), after)
        return clipped, raw, after
