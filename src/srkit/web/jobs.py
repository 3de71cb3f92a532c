"""The upscaling jobs behind ``srkit serve``: a bounded queue, worker threads with one model each, and results that
expire.

A job's files live in one private temporary folder, under names the server makes (a random job id and the format
the content sniffing found); nothing a request sends is ever used as a path. A job runs the same function as
``srkit upscale`` (:func:`srkit.inference.api.upscale_file`), so a result equals the command line's output byte for
byte. Results are deleted ``ttl`` seconds after they are made, or earlier when more than ``max_results`` are kept.
"""

from __future__ import annotations

import dataclasses
import math
import queue
import secrets
import shutil
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import torch

from srkit._core.errors import SrkitError
from srkit.data.io import DEFAULT_MAX_PIXELS
from srkit.inference.api import upscale_file
from srkit.inference.upscale import Upscaler

__all__ = ["Job", "JobQueue", "QueueFull"]

State = Literal["queued", "running", "done", "failed"]


class QueueFull(Exception):
    """The queue holds ``max_queued`` jobs; ``retry_after`` is a guess of the seconds until it has room."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the queue is full; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclasses.dataclass
class Job:
    """One upload and its result. ``name`` is the download's stem (cleaned: letters, digits, ``._-``)."""

    id: str
    model: str
    scale: float
    tta: bool
    name: str
    suffix: str
    source: Path
    target: Path
    in_size: tuple[int, int]
    state: State = "queued"
    tiles_done: int = 0
    tiles_total: int = 0
    error: str | None = None
    out_size: tuple[int, int] | None = None
    created: float = dataclasses.field(default_factory=time.monotonic)
    seconds: float | None = None
    finished: float | None = None

    def public(self) -> dict[str, Any]:
        """The job as the API shows it (no paths)."""
        return {
            "id": self.id,
            "state": self.state,
            "model": self.model,
            "scale": self.scale,
            "tta": self.tta,
            "progress": {"done": self.tiles_done, "total": self.tiles_total},
            "input": {"width": self.in_size[1], "height": self.in_size[0]},
            "output": None if self.out_size is None else {"width": self.out_size[1], "height": self.out_size[0]},
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "error": self.error,
            "filename": self.filename,
        }

    @property
    def filename(self) -> str:
        return f"{self.name}_x{self.scale:g}{self.suffix}"


class JobQueue:
    """Jobs run by ``workers`` threads, each with its own model instances (one per model name, built on first use).

    Args:
        models: the model names (or files) requests may choose, by name.
        workers: worker threads; each runs one job at a time with ``threads`` torch threads (default: all
            cores shared among the workers).
        max_queued: jobs waiting beyond those running; more are refused (:class:`QueueFull`).
        ttl: seconds a result is kept after it is made.
        max_results: finished jobs kept at most (the oldest go first).
        max_pixels: the decoded-pixel limit, as ``srkit upscale --max-pixels``.
        upscaler: builds a worker's model for a name (default: :class:`Upscaler` with ``srkit upscale``'s
            defaults, TTA as the job asks).
    """

    def __init__(
        self,
        models: tuple[str, ...],
        *,
        workers: int = 1,
        max_queued: int = 8,
        ttl: float = 3600.0,
        max_results: int = 200,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        threads: int | None = None,
        upscaler: Callable[[str, bool], Upscaler] | None = None,
    ) -> None:
        if workers < 1 or max_queued < 0 or ttl <= 0 or max_results < 1:
            raise SrkitError("workers and max_results must be >= 1, max_queued >= 0 and ttl > 0")
        self.models, self.workers, self.max_queued = models, workers, max_queued
        self.ttl, self.max_results, self.max_pixels = ttl, max_results, max_pixels
        self.threads = threads or max(1, torch.get_num_threads() // workers)
        self._build = upscaler or (lambda model, tta: Upscaler(model, tta=tta))
        self.root = Path(tempfile.mkdtemp(prefix="srkit-serve-"))
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._waiting = 0
        self._recent: list[float] = []  # seconds of the last jobs, for Retry-After
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, name=f"srkit-worker-{i}", daemon=True) for i in range(workers)
        ]
        self._threads.append(threading.Thread(target=self._sweep_loop, name="srkit-sweeper", daemon=True))
        for t in self._threads:
            t.start()

    # -- requests -------------------------------------------------------------------------------------------------
    def new_id(self) -> str:
        """A fresh job id (random: 144 bits)."""
        return secrets.token_urlsafe(18)

    def path(self, job_id: str, kind: str, suffix: str = "") -> Path:
        """The file of ``kind`` (``upload``, ``in``, ``out``) of a job, in the private folder: made from the server's
        own id and sniffed suffix only."""
        return self.root / f"{job_id}.{kind}{suffix}"

    def retry_after(self) -> int:
        with self._lock:
            mean = sum(self._recent) / len(self._recent) if self._recent else 5.0
            return max(1, math.ceil(mean * (self._waiting + 1) / self.workers))

    def submit(self, job: Job) -> None:
        """Queue ``job`` (its input already written to ``job.source``).

        Raises:
            QueueFull: ``max_queued`` jobs are waiting (the caller deletes the input).
            SrkitError: a model the queue does not serve.
        """
        if job.model not in self.models:
            raise SrkitError(f"unknown model {job.model!r}; this queue serves {', '.join(self.models)}")
        with self._lock:
            full = self._waiting >= self.max_queued
            if not full:
                self._waiting += 1
                self._jobs[job.id] = job
        if full:
            raise QueueFull(self.retry_after())
        self._queue.put(job)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def counts(self) -> dict[str, int]:
        with self._lock:
            states = [j.state for j in self._jobs.values()]
        return {s: states.count(s) for s in ("queued", "running", "done", "failed")}

    # -- workers --------------------------------------------------------------------------------------------------
    def _work(self) -> None:
        torch.set_num_threads(self.threads)
        models: dict[tuple[str, bool], Upscaler] = {}  # this worker's own model instances
        while not self._stop.is_set():
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                self._waiting -= 1
                job.state = "running"
            start = time.perf_counter()
            try:
                key = (job.model, job.tta)
                if key not in models:
                    models[key] = self._build(job.model, job.tta)

                def on_tile(done: int, total: int, job: Job = job) -> None:
                    job.tiles_done, job.tiles_total = done, total

                _, job.out_size = upscale_file(
                    job.source, job.target, job.scale, models[key], max_pixels=self.max_pixels, on_tile=on_tile
                )
                state: State = "done"
            except SrkitError as err:
                job.error, state = str(err).replace(str(job.source), "the image"), "failed"
            except Exception as err:  # a bug in srkit: the job fails, the worker lives on
                job.error, state = f"internal error ({type(err).__name__}); the server log has details", "failed"
                traceback.print_exc()
            finally:
                job.source.unlink(missing_ok=True)
            with self._lock:
                job.seconds = time.perf_counter() - start
                job.finished = time.monotonic()
                job.state = state
                self._recent = [*self._recent[-9:], job.seconds]

    # -- expiry ---------------------------------------------------------------------------------------------------
    def sweep(self, now: float | None = None) -> int:
        """Delete results older than ``ttl`` and the oldest beyond ``max_results``; returns how many went."""
        now = time.monotonic() if now is None else now
        with self._lock:
            finished = sorted(
                (j for j in self._jobs.values() if j.finished is not None), key=lambda j: j.finished or 0.0
            )
            extra = len(finished) - self.max_results
            gone = [j for i, j in enumerate(finished) if i < extra or now - (j.finished or now) > self.ttl]
            for j in gone:
                del self._jobs[j.id]
        for j in gone:
            j.target.unlink(missing_ok=True)
        return len(gone)

    def _sweep_loop(self) -> None:
        while not self._stop.wait(min(30.0, self.ttl / 4)):
            self.sweep()

    def close(self) -> None:
        """Stop the workers (after their current job) and delete every file."""
        self._stop.set()
        for _ in range(self.workers):
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)
