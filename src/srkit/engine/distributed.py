"""Distributed training helpers: the process group under ``torchrun`` and a differentiable gather of a batch.

Each process holds its share of every batch; DistributedDataParallel averages the gradients of the processes'
losses. That is the single-process gradient when a loss is a mean over samples; a loss that mixes samples (the
batch means of a relativistic GAN loss) is computed on :func:`gather`-ed tensors instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.distributed as dist


@contextmanager
def process_group(device: torch.device) -> Iterator[tuple[int, int]]:
    """(rank, world size) under ``torchrun``, ``(0, 1)`` in a single process, for the duration of a run.

    The group is started here (gloo on CPU, NCCL on CUDA) unless the caller started one. On a clean exit every
    process waits for the others (rank 0 writes the final files after the loop) and a group started here is torn
    down: a process that left with its gloo group alive could abort while another was still using it.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        yield 0, 1
        return
    owned = not dist.is_initialized()
    if owned:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        yield dist.get_rank(), world
        dist.barrier()
    finally:
        if owned:
            dist.destroy_process_group()


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
