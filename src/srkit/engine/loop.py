"""The training loop: plain PyTorch, one recipe step per iteration, resumable bit for bit.

Everything random about batch ``k`` comes from ``(seed, k)`` (``srkit.data.TrainPatches``), and the checkpoint
holds the model, optimiser, scheduler, EMA, step and RNG state, so a run killed at any point and resumed from its
last checkpoint produces the same weights as a run that was never interrupted.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from safetensors.torch import save_file
from torch import nn
from tqdm import tqdm

from srkit._core.cards import ModelCard, card_of
from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path, atomic_write_text
from srkit.archs import build_model
from srkit.data.benchmark import BenchmarkSet
from srkit.data.loader import make_loader
from srkit.data.train import TrainPatches
from srkit.degradations import bsrgan, degrade_batch, real_esrgan
from srkit.engine.checkpoint import load_checkpoint, save_checkpoint
from srkit.engine.config import TrainConfig, config_to_dict
from srkit.engine.ema import EMA
from srkit.engine.plot import plot_curves
from srkit.engine.recipes import AllOutputs, GANRecipe, SupervisedRecipe
from srkit.engine.schedule import lr_factor
from srkit.evaluation.methods import ModelMethod
from srkit.evaluation.runner import evaluate
from srkit.frameworks import create_model
from srkit.functional.image import to_uint8

LOG_FIELDS = ("step", "loss", "lr", "seconds", "val_psnr", "val_ssim")


@dataclass(frozen=True)
class TrainResult:
    """Where a finished run left its files, and its last numbers."""

    output: Path
    steps: int
    loss: float
    val_psnr: float | None
    seconds: float


def build_network(config: TrainConfig) -> nn.Module:
    """The model a config describes: a zoo name or a composition spec."""
    m = config.model
    if (m.name is None) == (m.spec is None):
        raise SrkitError("config.model needs exactly one of 'name' (a zoo model) and 'spec' (a composition)")
    if m.name is not None:
        return build_model(m.name, scale=m.scale, **m.options)
    assert m.spec is not None
    return create_model({**m.spec, "scale": m.spec.get("scale", m.scale)})


_PIPELINES: dict[str, Callable[[], Any]] = {"real_esrgan": real_esrgan, "bsrgan": bsrgan}


def _degradation(name: str) -> str | Callable[[np.ndarray, int, torch.Generator], np.ndarray]:
    """A benchmark protocol name (BI, BD, DN) as it is, or a training pipeline (``real_esrgan``, ``bsrgan``) as the
    per-image callable ``TrainPatches`` takes: uint8 HR crop in, uint8 LR out, randomness from its generator."""
    if name not in _PIPELINES:
        return name
    pipeline = _PIPELINES[name]()

    def apply(hr: np.ndarray, scale: int, generator: torch.Generator) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(hr)).permute(2, 0, 1)[None].float() / 255.0
        lr = degrade_batch(x, pipeline, generator, scale)
        return to_uint8(lr[0].permute(1, 2, 0).contiguous().numpy())

    return apply


def _dataset(config: TrainConfig, scales: list[int], in_channels: int) -> TrainPatches:
    d = config.data
    if not d.train:
        raise SrkitError("config.data.train lists no training folders")
    return TrainPatches(
        hr_folders=d.train,
        scales=scales,
        patch_size=d.patch_size,
        batch_size=d.batch_size,
        degradation=_degradation(d.degradation),
        lr_folders=d.lr_train,
        augment=d.augment,
        seed=config.seed,
        length=config.steps,
        cache=d.cache,
        on_bad_image=d.on_bad_image,
        in_channels=in_channels,
    )


def _scales_at(config: TrainConfig, step: int) -> list[int]:
    scales = config.data.scales or [config.model.scale]
    for stage in sorted(config.curriculum, key=lambda s: s.step):
        if step >= stage.step:
            scales = stage.scales
    return scales


def _batches(
    config: TrainConfig, start: int, in_channels: int, rank: int = 0, world: int = 1
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(step, batch) from ``start``; a new loader at every curriculum boundary (the data stays step-indexed)."""
    bounds = sorted({0, config.steps, *(s.step for s in config.curriculum if 0 < s.step < config.steps)})
    base: TrainPatches | None = None
    for lo, hi in itertools.pairwise(bounds):
        if hi <= start:
            continue
        scales = _scales_at(config, lo)
        base = _dataset(config, scales, in_channels) if base is None else base
        dataset = base.with_scales(scales)  # shares the decoded images
        if world > 1:
            dataset = dataset.with_shard(rank, world)
        first = max(lo, start)
        loader = make_loader(dataset, start=first, workers=config.data.workers)
        yield from zip(range(first, hi), loader, strict=False)


def _autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager[Any]:
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    if precision == "fp16" and device.type != "cuda":
        raise SrkitError("precision fp16 needs a CUDA device; use bf16 on the CPU")
    return torch.autocast(device.type, dtype=dtype)


def validate(model: nn.Module, config: TrainConfig, device: torch.device) -> tuple[float, float] | None:
    """Mean PSNR/SSIM on the validation folder at the model's scale, through srkit's one image path (the
    EVALUATION.md protocol, fp32, whole images: what ``srkit eval`` and ``srkit bench`` measure)."""
    if not config.data.val:
        return None
    method = ModelMethod(model, device=str(device), precision="fp32", tile=None)  # runs a copy in eval mode
    (result,) = evaluate(method, [BenchmarkSet(config.data.val)], [config.model.scale], progress=False)
    return result.psnr, result.ssim


class _Run:
    """The state of one training run and the steps that change it (the loop in :func:`train` stays short)."""

    def __init__(self, config: TrainConfig, device: str) -> None:
        self.config, self.dev = config, torch.device(device)
        self.rank, self.world = _distributed(self.dev)
        self.out = Path(config.output)
        self.latest, self.log_path = self.out / "latest.pt", self.out / "log.csv"
        torch.manual_seed(config.seed)
        self.model = build_network(config).to(self.dev)
        self.card = card_of(self.model)
        if config.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        o = config.optim
        self.opt = torch.optim.AdamW(
            self.model.parameters(), lr=o.lr, betas=(o.betas[0], o.betas[1]), weight_decay=o.weight_decay
        )
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda s: lr_factor(s, config.steps, config.schedule))
        self.ema = EMA(self.model, config.ema) if config.ema else None
        # fp16 (CUDA) needs loss scaling against gradient underflow; bf16 and fp32 do not
        self.scaler = torch.amp.GradScaler("cuda") if config.precision == "fp16" else None
        runner: nn.Module = AllOutputs(self.model, self.card) if config.loss.supervise == "all" else self.model
        if self.world > 1:
            ids = [self.dev.index] if self.dev.type == "cuda" else None
            runner = torch.nn.parallel.DistributedDataParallel(runner, device_ids=ids)
        if config.compile:
            runner = torch.compile(runner)  # type: ignore[assignment]
        self.recipe = _recipe(config, runner, self.card, self.dev)
        self.start = 0

    @property
    def main(self) -> bool:
        """Rank 0 (or a single process) writes files and validates."""
        return self.rank == 0

    def restore(self, resume: bool) -> None:
        if not resume and self.latest.exists():
            raise SrkitError(
                f"{self.out} already holds a run (latest.pt): pass --resume to continue it, or another output"
            )
        if resume and self.latest.exists():
            state = load_checkpoint(self.latest)
            self.model.load_state_dict(state["model"])
            self.opt.load_state_dict(state["optimizer"])
            self.sched.load_state_dict(state["scheduler"])
            if self.ema is not None and state.get("ema") is not None:
                self.ema.load_state_dict(state["ema"])
            torch.set_rng_state(state["rng"])
            if isinstance(self.recipe, GANRecipe) and state.get("recipe"):
                self.recipe.load_state_dict(state["recipe"])
            if self.scaler is not None and state.get("scaler"):
                self.scaler.load_state_dict(state["scaler"])
            self.start = int(state["step"])
        if not self.main:
            return
        atomic_write_text(self.out / "config.yaml", yaml.safe_dump(config_to_dict(self.config), sort_keys=False))
        if self.start == 0 or not self.log_path.exists():
            self.log_path.write_text(",".join(LOG_FIELDS) + "\n", encoding="utf-8")
        else:  # drop lines past the checkpoint (written after it by the killed run)
            lines = self.log_path.read_text(encoding="utf-8").splitlines()
            kept = [lines[0]] + [ln for ln in lines[1:] if ln and int(ln.split(",")[0]) <= self.start]
            self.log_path.write_text("\n".join(kept) + "\n", encoding="utf-8")

    def step(self, step: int, batch: dict[str, Any]) -> float:
        lr_img, hr_img = batch["lr"].to(self.dev), batch["hr"].to(self.dev)
        if self.config.channels_last:
            lr_img = lr_img.contiguous(memory_format=torch.channels_last)
        with _autocast(self.config.precision, self.dev):
            losses = self.recipe.training_step({"lr": lr_img, "hr": hr_img, "scale": batch["scale"]})
        self.opt.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(losses["loss"]).backward()
            self.scaler.unscale_(self.opt)
        else:
            losses["loss"].backward()
        if self.config.optim.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.optim.grad_clip)
        if self.scaler is not None:
            self.scaler.step(self.opt)
            self.scaler.update()
        else:
            self.opt.step()
        self.sched.step()
        if self.ema is not None:
            self.ema.update(self.model)
        value = float(losses["loss"].detach())
        if not math.isfinite(value):
            raise SrkitError(f"the loss became {value} at step {step + 1}; lower optim.lr or set optim.grad_clip")
        return value

    def checkpoint(self, step: int) -> None:
        if not self.main:
            return
        save_checkpoint(
            self.latest,
            {
                "model": self.model.state_dict(),
                "optimizer": self.opt.state_dict(),
                "scheduler": self.sched.state_dict(),
                "ema": self.ema.state_dict() if self.ema is not None else None,
                "step": step,
                "config": config_to_dict(self.config),
                "rng": torch.get_rng_state(),
                "recipe": self.recipe.state_dict() if isinstance(self.recipe, GANRecipe) else None,
                "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            },
        )

    @property
    def final_model(self) -> nn.Module:
        return self.ema.model if self.ema is not None else self.model


def _recipe(config: TrainConfig, model: nn.Module, card: ModelCard, device: torch.device) -> SupervisedRecipe:
    loss = config.loss
    if loss.gan is None:
        return SupervisedRecipe(model, card=card, pixel=loss.pixel, supervise=loss.supervise)
    from srkit.archs import build_discriminator
    from srkit.losses import VGG19Features

    features = VGG19Features(weights=loss.vgg_weights).to(device) if loss.vgg_weights else None
    return GANRecipe(
        model,
        build_discriminator(loss.discriminator).to(device),
        card=card,
        kind=loss.gan,
        pixel=loss.pixel,
        pixel_weight=loss.pixel_weight,
        perceptual_weight=loss.perceptual_weight,
        gan_weight=loss.gan_weight,
        feature_net=features,
        d_lr=loss.d_lr,
    )


def _tensorboard_writer() -> Any:
    """TensorBoard's ``SummaryWriter`` class; checked before a run writes anything."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise SrkitError("config.tensorboard needs the tensorboard package: pip install 'srkit[tensorboard]'") from None
    return SummaryWriter


def _distributed(device: torch.device) -> tuple[int, int]:
    """(rank, world size) under ``torchrun`` (the process group is started here: gloo on CPU, NCCL on CUDA)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return torch.distributed.get_rank(), world


def train(
    config: TrainConfig, *, resume: bool = False, device: str = "cpu", progress: bool | None = None
) -> TrainResult:
    """Train the model of ``config``; write checkpoints, logs, final weights and a curve into ``config.output``.

    Under ``torchrun --nproc_per_node N`` the same config trains with DistributedDataParallel: each process takes
    its share of every batch (the shards together are the single-process batch), gradients are averaged, and rank
    0 writes the files.

    Args:
        config: the run (see :class:`srkit.engine.config.TrainConfig`).
        resume: continue from ``output/latest.pt`` if it exists (bit-for-bit: same weights as an uninterrupted run).
        device: ``cpu``, ``cuda`` or ``mps`` (under torchrun with CUDA, ``cuda:LOCAL_RANK`` is used).
        progress: show a progress bar (None: only on a terminal).
    """
    if device == "cuda" and "LOCAL_RANK" in os.environ:
        device = f"cuda:{os.environ['LOCAL_RANK']}"
    if config.precision == "fp16" and not device.startswith("cuda"):
        raise SrkitError("precision fp16 needs a CUDA device; use bf16 on the CPU")
    writer = _tensorboard_writer() if config.tensorboard else None
    Path(config.output).mkdir(parents=True, exist_ok=True)
    run = _Run(config, device)
    run.restore(resume)
    began, loss_value, val = time.perf_counter(), math.nan, None
    run.model.train()
    show = (None if progress is None else progress) if run.main else False
    bar = tqdm(
        total=config.steps, initial=run.start, desc="train", unit="step", disable=None if show is None else not show
    )
    log_file = run.log_path.open("a", encoding="utf-8", newline="") if run.main else None
    board = writer(str(run.out / "tensorboard")) if run.main and writer is not None else None
    try:
        for step, batch in _batches(config, run.start, run.card.in_channels, run.rank, run.world):
            loss_value = run.step(step, batch)
            done = step + 1
            val = None
            if run.main and config.val_every and done % config.val_every == 0 and done < config.steps:
                val = validate(run.final_model, config, run.dev)
            if log_file and (done % config.log_every == 0 or done == config.steps or val is not None):
                row = [
                    done,
                    f"{loss_value:.6f}",
                    f"{run.sched.get_last_lr()[0]:.3e}",
                    f"{time.perf_counter() - began:.1f}",
                ]
                csv.writer(log_file).writerow(row + ([f"{val[0]:.4f}", f"{val[1]:.5f}"] if val else ["", ""]))
                log_file.flush()
                if board is not None:
                    board.add_scalar("train/loss", loss_value, done)
                    board.add_scalar("train/lr", run.sched.get_last_lr()[0], done)
                    if val:
                        board.add_scalar("val/psnr", val[0], done)
            bar.set_postfix(loss=f"{loss_value:.4f}", **({"psnr": f"{val[0]:.2f}"} if val else {}))
            bar.update()
            if done % config.ckpt_every == 0 or done == config.steps:
                run.checkpoint(done)
    finally:
        bar.close()
        if log_file:
            log_file.close()
        if board is not None:
            board.close()
    val = None
    if run.main:
        val = validate(run.final_model, config, run.dev)
        _save_weights(run.out, run.model, run.ema)
        if val:
            with run.log_path.open("a", encoding="utf-8", newline="") as f:
                csv.writer(f).writerow([config.steps, f"{loss_value:.6f}", "", "", f"{val[0]:.4f}", f"{val[1]:.5f}"])
        plot_curves(run.log_path, run.out / "curve.png")
    return TrainResult(run.out, config.steps, loss_value, val[0] if val else None, time.perf_counter() - began)


def _save_weights(out: Path, model: nn.Module, ema: EMA | None) -> None:
    """Final weights as safetensors (``model.safetensors``; ``model_ema.safetensors`` with EMA)."""
    for name, module in (("model", model), ("model_ema", ema.model if ema else None)):
        if module is None:
            continue
        tensors = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
        with atomic_path(out / f"{name}.safetensors") as tmp:
            save_file(tensors, str(tmp), metadata={"hparams": yaml.safe_dump(getattr(module, "hparams", {}))})


def load_run(path: str | Path) -> tuple[nn.Module, TrainConfig]:
    """The trained model of a run: a run folder (its ``model_ema``/``model.safetensors``), a ``latest.pt``
    checkpoint, or a ``.safetensors`` file with ``config.yaml`` beside it; returns ``(model, config)``."""
    from safetensors.torch import load_file

    from srkit.archs.checkpoint import load_state
    from srkit.engine.config import config_from_dict, load_config

    p = Path(path)
    if p.is_dir():
        p = next(
            (p / n for n in ("model_ema.safetensors", "model.safetensors", "latest.pt") if (p / n).exists()),
            p / "latest.pt",
        )
    if p.suffix == ".pt":
        state = load_checkpoint(p)
        config = config_from_dict(state["config"])
        weights = state["ema"] if state.get("ema") is not None else state["model"]
    else:
        if not p.is_file():
            raise SrkitError(f"checkpoint not found: {p}")
        config = load_config(p.parent / "config.yaml")
        weights = load_file(str(p))
    model = build_network(config)
    load_state(model, weights, source=str(p))
    return model.eval(), config
