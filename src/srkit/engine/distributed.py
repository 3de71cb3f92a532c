"""Distributed training helpers: the process group under ``torchrun`` and a differentiable gather of a batch.

Each process holds its share of every batch; DistributedDataParallel averages the gradients of the processes'
losses. That is the single-process gradient when a loss is a mean over samples; a loss that mixes samples (the
batch means of a relativistic GAN loss) is computed on :func:`gather`-ed tensors instead.
"""

from __future__ import annotations

import os
from typing import Any

import torch
import torch.distributed as dist


def init_distributed(device: torch.device) -> tuple[int, int]:
    """(rank, world size) under ``torchrun`` (the process group is started here: gloo on CPU, NCCL on CUDA);
    ``(0, 1)`` in a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), world


class _Gather(torch.autograd.Function):
    """All-gather along dim 0; the backward pass hands each process the sum over processes of the gradients with
    respect to its part (every process computed its loss on the whole gathered batch)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.rank, ctx.n = dist.get_rank(), x.shape[0]
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        total = grad.contiguous().clone()
        dist.all_reduce(total)
        return total[ctx.rank * ctx.n : (ctx.rank + 1) * ctx.n]


def gather(x: torch.Tensor) -> torch.Tensor:
    """``x`` of every process concatenated along dim 0 in rank order (``x`` itself in a single process).

    Differentiable: when every process computes the same loss ``L`` of the gathered batch, each gets ``world x
    dL/dx`` for its part, which DistributedDataParallel's averaging turns into the single-process gradient.

    Shape:
        ``(B, ...)`` -> ``(world * B, ...)``; every process must pass the same shape.
    """
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x
    return _Gather.apply(x)
