"""Learning-rate schedules as multiplicative factors of the base rate (warm-up, step, cosine)."""

from __future__ import annotations

import math

from srkit.engine.config import ScheduleConfig


def lr_factor(step: int, total: int, cfg: ScheduleConfig) -> float:
    """The factor of the base learning rate at ``step`` (0-based) of ``total`` steps.

    Example:
        >>> lr_factor(0, 100, ScheduleConfig(kind="cosine", warmup=10))
        0.1
    """
    if cfg.warmup and step < cfg.warmup:
        return (step + 1) / cfg.warmup
    if cfg.kind == "constant":
        return 1.0
    if cfg.kind == "step":
        return float(cfg.gamma ** sum(step >= m for m in cfg.milestones))
    span = max(1, total - cfg.warmup)
    progress = min(1.0, (step - cfg.warmup) / span)
    return cfg.min_ratio + (1 - cfg.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
