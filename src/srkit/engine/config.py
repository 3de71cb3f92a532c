"""Training configuration as typed data: YAML -> frozen dataclasses; unknown keys and wrong types raise.

Example::

    cfg = load_config("configs/train/edsr_baseline_x2.yaml", overrides=["train.steps=2000", "data.batch_size=8"])
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from srkit._core.errors import SrkitError, parse_error, parse_problem


@dataclass(frozen=True)
class ModelConfig:
    """Which network: a zoo ``name`` (built by ``srkit.build_model(name, scale=scale, **options)``) or a
    composition ``spec`` (``srkit.create_model``); ``init`` starts it from other weights
    (:func:`srkit.engine.run.init_weights`)."""

    name: str | None = None
    scale: int = 4
    options: dict[str, Any] = field(default_factory=dict)
    spec: dict[str, Any] | None = None
    init: str | None = None  # start from these weights: a shipped model name or a checkpoint (fine-tuning)


@dataclass(frozen=True)
class DataConfig:
    """Training patches (see ``srkit.data.TrainPatches``) and the validation folder; ``kind`` names another
    source of batches a package above the engine registers (``faces``: ``srkit.face``), with its ``options``."""

    kind: str = "patches"
    options: dict[str, Any] = field(default_factory=dict)  # the kind's own settings
    train: list[str] = field(default_factory=list)
    holdout: list[str] = field(default_factory=list)  # file-name patterns left out of the training folders
    lr_train: list[str] | None = None
    unpaired_lr: list[str] | None = None  # real LR folders: batches also carry real_lr (srkit.data.UnpairedPatches)
    val: str | None = None
    val_include: list[str] = field(default_factory=list)  # file-name patterns: validate on only these images of val
    patch_size: int = 48
    batch_size: int = 16
    scales: list[int] | None = None  # default: the model's scale
    degradation: str = "BI"  # one of srkit.PROTOCOLS: BI, BD, DN, real_esrgan, bsrgan
    degradation_mix: dict[str, float] = field(default_factory=dict)  # instead: {name: probability}, per sample
    augment: bool = True
    cache: str = "memory"
    workers: int = 2
    on_bad_image: str = "stop"


@dataclass(frozen=True)
class OptimConfig:
    """Adam(W) settings and gradient clipping."""

    lr: float = 2e-4
    betas: list[float] = field(default_factory=lambda: [0.9, 0.99])
    weight_decay: float = 0.0
    grad_clip: float | None = None


@dataclass(frozen=True)
class ScheduleConfig:
    """Learning-rate schedule: ``constant``, ``step`` (``milestones``, ``gamma``) or ``cosine`` (to
    ``min_ratio`` x lr), after ``warmup`` linear steps."""

    kind: str = "cosine"
    warmup: int = 0
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.5
    min_ratio: float = 0.0


@dataclass(frozen=True)
class LossConfig:
    """The pixel loss and multi-supervision: ``supervise`` is ``last`` (the final output only) or ``all``
    (every intermediate output of ``forward_all``: DRCN recursions, LapSRN levels, SRFBN steps, MemNet).
    With ``gan`` set, training is adversarial (:class:`srkit.engine.recipes.GANRecipe`) with the weights below."""

    pixel: str = "l1"
    supervise: str = "last"
    gan: str | None = None  # adversarial training: vanilla | lsgan | hinge | wgan | ragan
    discriminator: str = "unet_discriminator"
    discriminator_options: dict[str, Any] = field(default_factory=dict)  # constructor overrides, e.g. n_feats
    pixel_weight: float = 1e-2
    perceptual_weight: float = 1.0
    gan_weight: float = 5e-3
    vgg_weights: str | None = None  # ImageNet VGG19 file for the content loss (default: srkit's random features)
    d_lr: float = 1e-4


@dataclass(frozen=True)
class CurriculumStage:
    """From training step ``step`` on, sample these ``scales`` (a scale curriculum, x2 -> x4 as in ProSR)."""

    step: int
    scales: list[int]


@dataclass(frozen=True)
class TrainConfig:
    """A whole training run."""

    model: ModelConfig
    data: DataConfig
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    curriculum: list[CurriculumStage] = field(default_factory=list)
    recipe: str | None = None  # None: supervised (or gan with loss.gan); noise_map; those of srkit.unsupervised
    recipe_options: dict[str, Any] = field(default_factory=dict)  # the recipe's own settings
    steps: int = 1000
    seed: int = 0
    precision: str = "fp32"  # fp32 | bf16 (CPU or CUDA) | fp16 (CUDA)
    channels_last: bool = False
    compile: bool = False
    ema: float | None = None  # decay, e.g. 0.999
    log_every: int = 50
    tensorboard: bool = False  # also log to output/tensorboard (needs the tensorboard package: srkit[tensorboard])
    val_every: int = 0  # 0: validate at the end only
    ckpt_every: int = 500
    output: str = "runs/train"


_CHOICES: dict[str, tuple[str | None, ...]] = {
    "TrainConfig.precision": ("fp32", "bf16", "fp16"),
    "ScheduleConfig.kind": ("constant", "step", "cosine"),
    "LossConfig.pixel": ("l1", "l2", "charbonnier"),
    "LossConfig.supervise": ("last", "all"),
    "LossConfig.gan": (None, "vanilla", "lsgan", "hinge", "wgan", "ragan"),
    "DataConfig.on_bad_image": ("stop", "skip"),
}


@dataclass(frozen=True)
class _Range:
    """Allowed numbers: ``low``/``high`` bounds (None: none), each included unless ``open`` on that side."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def __str__(self) -> str:
        if self.high is None:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        return f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"


_AT_LEAST_0, _AT_LEAST_1, _POSITIVE = _Range(0), _Range(1), _Range(0, low_open=True)
# every numeric field (lists: each item); checked after the types; None stays allowed where the type allows it
_RANGES: dict[str, _Range] = {
    "ModelConfig.scale": _AT_LEAST_1,
    "DataConfig.patch_size": _AT_LEAST_1,
    "DataConfig.batch_size": _AT_LEAST_1,
    "DataConfig.scales": _AT_LEAST_1,
    "DataConfig.workers": _AT_LEAST_0,
    "OptimConfig.lr": _POSITIVE,
    "OptimConfig.betas": _Range(0, 1, high_open=True),
    "OptimConfig.weight_decay": _AT_LEAST_0,
    "OptimConfig.grad_clip": _POSITIVE,
    "ScheduleConfig.warmup": _AT_LEAST_0,
    "ScheduleConfig.milestones": _AT_LEAST_1,
    "ScheduleConfig.gamma": _POSITIVE,
    "ScheduleConfig.min_ratio": _Range(0, 1),
    "LossConfig.pixel_weight": _AT_LEAST_0,
    "LossConfig.perceptual_weight": _AT_LEAST_0,
    "LossConfig.gan_weight": _AT_LEAST_0,
    "LossConfig.d_lr": _POSITIVE,
    "CurriculumStage.step": _AT_LEAST_0,
    "CurriculumStage.scales": _AT_LEAST_1,
    "TrainConfig.steps": _AT_LEAST_1,
    "TrainConfig.seed": _AT_LEAST_0,
    "TrainConfig.ema": _Range(0, 1, low_open=True, high_open=True),
    "TrainConfig.log_every": _AT_LEAST_1,
    "TrainConfig.val_every": _AT_LEAST_0,
    "TrainConfig.ckpt_every": _AT_LEAST_1,
}
_NON_EMPTY = ("DataConfig.scales", "CurriculumStage.scales")


def _check_range(value: Any, given: Any, allowed: _Range, key: str, nullable: bool) -> None:
    """One line naming the key and the allowed range when ``value`` (or an item of it) is outside; ``given`` is
    the value as the config wrote it (before int -> float)."""
    if isinstance(value, list):
        for i, v in enumerate(value):
            if v not in allowed:
                raise SrkitError(f"{key}[{i}] must be {allowed}, got {given[i]!r}")
    elif value is not None and value not in allowed:
        raise SrkitError(f"{key} must be {allowed}{' or null' if nullable else ''}, got {given!r}")


def _check_run(cfg: TrainConfig) -> None:
    """Rules between fields: schedule milestones and curriculum stages within the run's steps."""
    if len(cfg.optim.betas) != 2:
        raise SrkitError(f"config.optim.betas must hold 2 numbers (beta1, beta2), got {cfg.optim.betas!r}")
    for i, m in enumerate(cfg.schedule.milestones):
        if m > cfg.steps:
            raise SrkitError(f"config.schedule.milestones[{i}] must be in [1, steps = {cfg.steps}], got {m}")
    starts = [s.step for s in cfg.curriculum]
    for i, start in enumerate(starts):
        if start >= cfg.steps:
            raise SrkitError(f"config.curriculum[{i}].step must be in [0, steps = {cfg.steps}), got {start}")
        if start in starts[:i]:
            raise SrkitError(f"config.curriculum[{i}].step {start} repeats an earlier stage's step")
    if cfg.data.val_include and not cfg.data.val:
        raise SrkitError("config.data.val_include names images of config.data.val, which is not set")
    _check_degradations(cfg.data)


def _check_degradations(d: DataConfig) -> None:
    """``data.degradation`` names a protocol; ``data.degradation_mix`` (instead of it) maps protocols to
    probabilities that add up to 1."""
    from srkit.degradations import PROTOCOLS, MixedDegradation

    if d.degradation.upper() not in PROTOCOLS:
        raise SrkitError(f"config.data.degradation must be one of {', '.join(PROTOCOLS)}, got {d.degradation!r}")
    if d.degradation_mix:
        if d.degradation.upper() != "BI":
            raise SrkitError("config.data: set degradation or degradation_mix, not both")
        try:
            MixedDegradation(d.degradation_mix)
        except SrkitError as err:
            raise SrkitError(f"config.data.degradation_mix: {err}") from None


def _check(value: Any, annotation: Any, where: str) -> Any:
    """Validate ``value`` against a (simple) type annotation; return it converted (dataclasses built)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _check(value, option, where)
            except SrkitError as err:
                errors.append(str(err))
        raise SrkitError(errors[0] if errors else f"{where}: bad value {value!r}")
    if dataclasses.is_dataclass(annotation):
        return _build(annotation, value, where)  # type: ignore[arg-type]
    if origin is list:
        (item,) = typing.get_args(annotation)
        if not isinstance(value, list | tuple):
            raise SrkitError(f"{where} must be a list, got {value!r}")
        return [_check(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise SrkitError(f"{where} must be a mapping, got {value!r}")
        return dict(value)
    if annotation is Any:
        return value
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation in (int, float, str, bool) and (type(value) is not annotation):
        raise SrkitError(f"{where} must be {annotation.__name__}, got {value!r} ({type(value).__name__})")
    return value


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise SrkitError(f"{where} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise SrkitError(f"unknown key {where}.{unknown[0]}; known keys of {where}: {', '.join(fields)}")
    kwargs = {}
    for name, value in data.items():
        key = f"{where}.{name}"
        kwargs[name] = _check(value, hints[name], key)
        choices = _CHOICES.get(f"{cls.__name__}.{name}")
        if choices and kwargs[name] not in choices:
            raise SrkitError(f"{key} must be one of {', '.join(map(str, choices))}, got {value!r}")
        allowed = _RANGES.get(f"{cls.__name__}.{name}")
        if allowed is not None:
            _check_range(kwargs[name], value, allowed, key, nullable=fields[name].default is None)
        if f"{cls.__name__}.{name}" in _NON_EMPTY and kwargs[name] == []:
            raise SrkitError(f"{key} must list at least one scale, got []")
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise SrkitError(f"{where} needs {', '.join(missing)}")
    return cls(**kwargs)


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` overrides (values parsed as YAML: numbers, lists, booleans) to a copy."""
    out = yaml.safe_load(yaml.safe_dump(data))  # deep copy of plain data
    for item in overrides:
        if "=" not in item:
            raise SrkitError(f"--set takes key=value, got {item!r}")
        key, text = item.split("=", 1)
        parts = key.strip().split(".")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise SrkitError(f"--set {key}: {p} is not a section")
        try:
            node[parts[-1]] = yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            at = f" (column {mark.column + 1})" if mark is not None else ""
            raise SrkitError(f"--set {key}: cannot parse {text!r}{at}: {parse_problem(err)}") from None
    return out


def config_from_dict(data: Mapping[str, Any]) -> TrainConfig:
    """Validate plain data into a :class:`TrainConfig`: types, choices, the range of every number (one line
    naming the key and the allowed range), and milestones and curriculum stages within ``steps``."""
    cfg: TrainConfig = _build(TrainConfig, data, "config")
    _check_run(cfg)
    return cfg


def load_config(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> TrainConfig:
    """Read a YAML recipe, apply ``--set`` overrides, validate."""
    p = Path(path)
    if not p.is_file():
        raise SrkitError(f"config file not found: {p}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise SrkitError(parse_error(p, err)) from None
    if not isinstance(data, dict):
        raise SrkitError(f"{p} must hold a mapping")
    return config_from_dict(apply_overrides(data, overrides))


def config_to_dict(config: TrainConfig) -> dict[str, Any]:
    """Plain data (for checkpoints and logs); ``config_from_dict`` of it gives the same config."""
    return dataclasses.asdict(config)
