"""Many image files through one model setting: in this process, in a pool of processes, or on a Ray cluster.

The three runners take the same :class:`Job` list and :class:`Settings`, and yield one :class:`Outcome` per job, in
the jobs' order (so a summary reads like the command line that asked for it). Every output is written atomically by
:func:`srkit.inference.api.upscale_file`, so a run that is killed leaves only whole files, and a second run with
``skip_existing`` goes on where the first stopped. A worker builds its model once (one model per worker) and a bad
file costs only its own outcome.

- :func:`run_local` with ``processes=1``: one model in this process, using all its threads.
- :func:`run_local` with ``processes=N``: this process and N - 1 spawned ones, each with one model and
  ``cores // N`` threads; this process works too, also while the others start. On many small images this scales
  better than threads (the per-image work is too small to share among threads: measured in
  ``benchmarks/batch_upscale.py``).
- :func:`run_ray`: one actor per worker on a Ray cluster (``srkit[ray]``). Actors receive the input file's bytes
  and return the output's, so workers need no shared file system; this process reads the inputs and writes the
  outputs.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import dataclasses
import logging
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path
from srkit.data.io import DEFAULT_MAX_PIXELS
from srkit.inference.api import upscale_file
from srkit.inference.tiling import TileArg
from srkit.inference.upscale import Upscaler

__all__ = ["Job", "Outcome", "Settings", "available_cores", "run_local", "run_ray"]


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything a worker needs to build its :class:`Upscaler` and write a file (picklable)."""

    model: str = "srkit"
    scale: float = 4
    device: str = "cpu"
    precision: str = "auto"
    tile: TileArg = "auto"
    overlap: int | None = None
    tta: bool = False
    noise_level: float = 0.0
    overwrite: bool = False
    max_pixels: int = DEFAULT_MAX_PIXELS
    quality: int = 95

    def upscaler(self) -> Upscaler:
        return Upscaler(
            self.model,
            device=self.device,
            precision=self.precision,
            tile=self.tile,
            overlap=self.overlap,
            tta=self.tta,
            noise_level=self.noise_level,
        )


@dataclasses.dataclass(frozen=True)
class Job:
    source: Path
    target: Path


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one job: ``error`` is None on success (sizes are ``(height, width)``)."""

    job: Job
    error: str | None = None
    in_size: tuple[int, int] = (0, 0)
    out_size: tuple[int, int] = (0, 0)

    @property
    def ok(self) -> bool:
        return self.error is None


def available_cores() -> int:
    """The CPU cores this process may use (its affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _upscale_one(job: Job, settings: Settings, up: Upscaler, on_tile: Any = None) -> Outcome:
    try:
        size_in, size_out = upscale_file(
            job.source,
            job.target,
            settings.scale,
            up,
            overwrite=settings.overwrite,
            max_pixels=settings.max_pixels,
            quality=settings.quality,
            on_tile=on_tile,
        )
    except SrkitError as err:
        return Outcome(job, str(err))
    return Outcome(job, None, size_in, size_out)


# one model per worker process, built by _init_worker
_WORKER: dict[str, Any] = {}


def _init_worker(settings: Settings, threads: int) -> None:
    torch.set_num_threads(threads)
    try:
        _WORKER["up"] = settings.upscaler()
    except SrkitError as err:  # reported by each job (the parent checked the settings first, so this is rare)
        _WORKER["error"] = str(err)
    _WORKER["settings"] = settings


def _work(job: Job) -> Outcome:
    if "error" in _WORKER:
        return Outcome(job, _WORKER["error"])
    return _upscale_one(job, _WORKER["settings"], _WORKER["up"])


def run_local(
    jobs: Sequence[Job],
    settings: Settings,
    *,
    processes: int = 1,
    upscaler: Upscaler | None = None,
    on_tile: Callable[[Job], Any] | None = None,
) -> Iterator[Outcome]:
    """Upscale ``jobs`` in order with ``processes`` processes: this one (with ``upscaler`` if given) and
    ``processes - 1`` spawned workers.

    ``on_tile(job)`` may return a tile callback for the job (single process only: workers report whole files).
    """
    if processes < 1:
        raise SrkitError(f"processes must be >= 1, got {processes}")
    if processes == 1 or len(jobs) <= 1:
        up = upscaler if upscaler is not None else settings.upscaler()
        for job in jobs:
            yield _upscale_one(job, settings, up, on_tile(job) if on_tile else None)
        return
    yield from _pooled(jobs, settings, upscaler or settings.upscaler(), processes)


def _pooled(jobs: Sequence[Job], settings: Settings, up: Upscaler, processes: int) -> Iterator[Outcome]:
    """This process and ``processes - 1`` spawned workers share the jobs: the workers get a few jobs ahead each,
    and this process upscales the next one itself while they work (and while they start up, which takes
    seconds: importing torch and loading the model). Outcomes are yielded in the jobs' order."""
    threads = max(1, available_cores() // processes)
    ahead = 2 * (processes - 1)
    pending: dict[concurrent.futures.Future[Outcome], int] = {}
    done: dict[int, Outcome] = {}
    handed, given = 0, 0
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        # spawn, not fork: forking a process whose thread pools are running can deadlock the child
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=processes - 1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(settings, threads),
        ) as pool:
            while given < len(jobs):
                while handed < len(jobs) and len(pending) < ahead:
                    pending[pool.submit(_work, jobs[handed])] = handed
                    handed += 1
                if handed < len(jobs):
                    done[handed] = _upscale_one(jobs[handed], settings, up)
                    handed += 1
                else:
                    concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in [f for f in pending if f.done()]:
                    try:
                        done[pending.pop(future)] = future.result()
                    except concurrent.futures.process.BrokenProcessPool:
                        raise SrkitError(
                            "a worker process died (killed, out of memory?); the files written so far are whole: "
                            "run again with --skip-existing to go on"
                        ) from None
                while given in done:
                    yield done.pop(given)
                    given += 1
    finally:
        torch.set_num_threads(saved)


class _RayWorker:
    """A Ray actor's state: one model; files travel as bytes (run_ray)."""

    def __init__(self, settings: Settings, threads: int) -> None:
        torch.set_num_threads(threads)
        self.settings = settings
        self.up = settings.upscaler()

    def upscale(self, name: str, data: bytes, target_suffix: str) -> tuple[str | None, Any, Any, bytes]:
        with tempfile.TemporaryDirectory(prefix="srkit-ray-") as tmp:
            source = Path(tmp) / f"in{Path(name).suffix}"
            target = Path(tmp) / f"out{target_suffix}"
            source.write_bytes(data)
            outcome = _upscale_one(Job(source, target), dataclasses.replace(self.settings, overwrite=True), self.up)
            if not outcome.ok:
                assert outcome.error is not None
                return outcome.error.replace(str(source), name), None, None, b""
            return None, outcome.in_size, outcome.out_size, target.read_bytes()


def run_ray(
    jobs: Sequence[Job], settings: Settings, *, address: str | None = None, workers: int = 2, threads: int = 1
) -> Iterator[Outcome]:
    """Upscale ``jobs`` in order on a Ray cluster: ``address`` as ``ray.init`` takes it (None: a local Ray instance
    with ``workers * threads`` CPUs), ``workers`` actors of ``threads`` CPUs each (``num_gpus=1`` each when
    ``settings.device`` is ``cuda``).

    Ray's own side effect: the process that calls ``ray.init`` keeps Ray's replacement of ``builtins.print``
    after the job (run it in a process of its own, as ``srkit upscale --ray`` does, where that matters).

    Raises:
        SrkitError: Ray is not installed (``pip install srkit[ray]``) or the cluster cannot be reached.
    """
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise SrkitError("--ray needs Ray: pip install 'srkit[ray]'") from None
    settings.upscaler()  # a bad model or setting fails here, once, before any cluster work
    started = not ray.is_initialized()
    if started:
        try:
            if address:
                ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
            else:
                ray.init(num_cpus=workers * threads, include_dashboard=False, logging_level=logging.ERROR)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise SrkitError(f"cannot start or reach the Ray cluster {address or '(local)'}: {err}") from None
    try:
        gpus = 1 if settings.device.startswith("cuda") else 0
        actor = ray.remote(num_cpus=threads, num_gpus=gpus)(_RayWorker)
        pool = ActorPool([actor.remote(settings, threads) for _ in range(max(1, workers))])

        def submit(worker: Any, job: Job) -> Any:
            try:
                data = job.source.read_bytes()
            except OSError as err:
                data = b""
                name = f"{job.source} ({err.strerror or err})"
            else:
                name = str(job.source)
            return worker.upscale.remote(name, data, job.target.suffix)

        for job, (error, size_in, size_out, data) in zip(jobs, pool.map(submit, list(jobs)), strict=True):
            if error is not None:
                yield Outcome(job, error)
                continue
            try:
                with atomic_path(job.target, overwrite=settings.overwrite) as tmp:
                    tmp.write_bytes(data)
            except (SrkitError, OSError) as err:
                yield Outcome(job, f"cannot write {job.target}: {err}")
                continue
            yield Outcome(job, None, tuple(size_in), tuple(size_out))
    finally:
        if started:
            ray.shutdown()
