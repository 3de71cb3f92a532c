"""The per-image optimisation loop every method of this package shares: a step budget, a time limit, a seed, a
progress bar with the loss (plain lines in logs), and an optional convergence test.

ZSSR, KernelGAN and Deep Image Prior all train a network on the one image they are given. Each writes its own step
(``step(i) -> loss``); :func:`optimise` runs it until the budget, ``max_time`` or the method's own stopping rule ends
it, and says which did.

Example:
    >>> log = optimise(lambda i: 1.0 / (i + 1), Budget(steps=5, progress=False), desc="demo")
    >>> log.steps, log.stopped, round(log.losses[-1], 2)
    (5, 'steps', 0.2)
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from srkit._core.errors import SrkitError
from srkit._core.progress import Progress

__all__ = ["Budget", "OptimLog", "optimise", "seeded"]


@dataclass(frozen=True)
class Budget:
    """How long a per-image optimisation may run.

    Attributes:
        steps: the most steps (the method's paper count by default).
        max_time: stop after this many seconds (None: no limit); the result is the one of the last finished step.
        seed: seed of everything random (weights, crops, noise), so a run can be repeated exactly.
        progress: a progress bar with the loss (None: a bar on a terminal, plain lines in logs; False: nothing).
    """

    steps: int
    max_time: float | None = None
    seed: int = 0
    progress: bool | None = None

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise SrkitError(f"steps must be an integer >= 1, got {self.steps!r}")
        if self.max_time is not None and not (math.isfinite(self.max_time) and self.max_time > 0):
            raise SrkitError(f"max_time must be a number of seconds > 0, got {self.max_time!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise SrkitError(f"seed must be an integer >= 0, got {self.seed!r}")


@dataclass
class OptimLog:
    """What a run did: its steps, wall time, loss per step, and why it stopped (``"steps"``, ``"time"`` or
    ``"converged"``)."""

    steps: int = 0
    seconds: float = 0.0
    losses: list[float] = field(default_factory=list)
    stopped: str = "steps"


def optimise(
    step: Callable[[int], float],
    budget: Budget,
    *,
    desc: str,
    converged: Callable[[int, list[float]], bool] | None = None,
    status: Callable[[], dict[str, str]] | None = None,
) -> OptimLog:
    """Run ``step(0)``, ``step(1)``, ... and record the losses it returns.

    Args:
        step: one optimisation step; returns its loss (a finite number).
        budget: the step budget, time limit and progress display (its seed is the caller's to apply:
            :func:`seeded`).
        desc: what the progress bar says.
        converged: called after each step with ``(step, losses)``; True stops the run (the method's rule).
        status: extra values shown beside the loss (e.g. the learning rate).

    Returns:
        The :class:`OptimLog`.

    Raises:
        SrkitError: a step returned NaN or infinity (the message names the step).
    """
    log = OptimLog()
    start = time.perf_counter()
    with Progress(budget.steps, desc, "step", show=budget.progress) as bar:
        for i in range(budget.steps):
            loss = float(step(i))
            if not math.isfinite(loss):
                raise SrkitError(f"{desc}: the loss became {loss} at step {i + 1}")
            log.losses.append(loss)
            log.steps = i + 1
            bar.update(1, loss=f"{loss:.4g}", **(status() if status else {}))
            if converged is not None and converged(i, log.losses):
                log.stopped = "converged"
                break
            if budget.max_time is not None and time.perf_counter() - start >= budget.max_time:
                log.stopped = "time"
                break
    log.seconds = time.perf_counter() - start
    return log


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch's global generator for the block and restore its state after, so that a method's random
    initialisation is repeatable without changing the caller's random stream."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
