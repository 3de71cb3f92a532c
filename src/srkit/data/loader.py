"""Loading the batches of a batch-per-item dataset such as :class:`srkit.data.train.TrainPatches`, in order.

Each item of such a dataset is already a whole batch made from its index alone, so the loader only has to ask for
items ``start, start + 1, ...``: the DataLoader runs with ``batch_size=None`` over a :class:`RangeSampler`, and a
resumed run gets the same batches as an uninterrupted one, whatever the number of workers.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Sized
from typing import Self

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from srkit._core.errors import SrkitError

Batch = dict[str, torch.Tensor | int]
"""One training batch: ``{"lr": Tensor, "hr": Tensor, "scale": int}``."""


class ShardedBatches:
    """What step-indexed batch sources share for distributed training (the data kinds of the packages above the
    engine): ``with_shard`` gives each rank an equal share of every batch, ``_mine`` is that share's slice."""

    batch_size: int
    _shard: tuple[int, int] = (0, 1)

    def with_shard(self, rank: int, world_size: int) -> Self:
        """Rank ``rank``'s equal share of every batch (the shards together are the whole batch)."""
        if not 0 <= rank < world_size or self.batch_size % world_size:
            raise SrkitError(f"cannot give rank {rank} of {world_size} an equal share of batch {self.batch_size}")
        new = copy.copy(self)
        new._shard = (rank, world_size)
        return new

    def _mine(self) -> slice:
        rank, world = self._shard
        return slice(rank * self.batch_size // world, (rank + 1) * self.batch_size // world)


class RangeSampler(Sampler[int]):
    """Indexes ``start, start + 1, ..., stop - 1`` in order."""

    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, max(start, stop)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start, self.stop))

    def __len__(self) -> int:
        return self.stop - self.start


def make_loader(
    dataset: Dataset[Batch],
    *,
    start: int = 0,
    workers: int = 2,
    prefetch_factor: int = 4,
    pin_memory: bool | None = None,
) -> DataLoader[Batch]:
    """A loader over batches ``start, start + 1, ...`` of ``dataset`` (each item already a batch), in order.

    Resuming a run at step ``k`` is ``make_loader(dataset, start=k)``: it yields what the first run yielded from
    step ``k`` on, with any number of workers.

    Args:
        dataset: a :class:`TrainPatches` (or any dataset whose items are whole batches).
        start: the first batch index.
        workers: worker processes (0: load in this process). Workers persist across iterations; with ``fork``
            they share a ``"memory"`` cache with this process.
        prefetch_factor: batches each worker prepares ahead.
        pin_memory: page-locked batches for fast copies to the GPU; default: when CUDA is available.

    Example:
        >>> for step, batch in enumerate(make_loader(dataset, start=1000, workers=2), 1000):  # doctest: +SKIP
        ...     print(step, batch["lr"].shape)
    """
    _check_count("start", start, 0)
    _check_count("workers", workers, 0)
    stop = len(dataset) if isinstance(dataset, Sized) else start
    return DataLoader(
        dataset,
        batch_size=None,
        sampler=RangeSampler(start, stop),
        num_workers=workers,
        persistent_workers=workers > 0,
        prefetch_factor=prefetch_factor if workers > 0 else None,
        pin_memory=torch.cuda.is_available() if pin_memory is None else pin_memory,
        generator=torch.Generator().manual_seed(0),  # its own: a new loader (a resume) leaves torch's RNG untouched
    )


def loader_throughput(dataset: Dataset[Batch], *, batches: int = 50, workers: int = 2, warmup: int = 2) -> float:
    """Samples per second that :func:`make_loader` delivers from ``dataset``, after ``warmup`` batches (worker
    start-up is not counted).

    Example:
        >>> loader_throughput(TrainPatches(hr_folders=["T91"], scales=(2,)), batches=20, workers=2)  # doctest: +SKIP
        2500.0
    """
    _check_count("batches", batches, 1)
    loader = make_loader(dataset, workers=workers, pin_memory=False)
    it = iter(loader)
    for _ in range(warmup):
        next(it)
    samples, t0 = 0, time.perf_counter()
    for _ in range(batches):
        lr = next(it)["lr"]
        assert isinstance(lr, torch.Tensor)
        samples += int(lr.shape[0])
    elapsed = time.perf_counter() - t0
    del it, loader  # stops the workers
    return samples / elapsed


def _check_count(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SrkitError(f"{name} must be an integer >= {minimum}, got {value!r}")
