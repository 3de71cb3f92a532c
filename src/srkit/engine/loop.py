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
from srkit.engine.recipes import SupervisedRecipe
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


def _in_channels(model: nn.Module) -> int:
    card = getattr(model, "card", None)
    return int(getattr(card, "in_channels", 3))


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


def _batches(config: TrainConfig, start: int, in_channels: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(step, batch) from ``start``; a new loader at every curriculum boundary (the data stays step-indexed)."""
    bounds = sorted({0, config.steps, *(s.step for s in config.curriculum if 0 < s.step < config.steps)})
    base: TrainPatches | None = None
    for lo, hi in itertools.pairwise(bounds):
        if hi <= start:
            continue
        scales = _scales_at(config, lo)
        base = _dataset(config, scales, in_channels) if base is None else base
        dataset = base.with_scales(scales)  # shares the decoded images
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
    """Mean PSNR/SSIM on the validation folder (EVALUATION.md protocol) at the model's scale."""
    if not config.data.val:
        return None
    method = ModelMethod(model, scales=[config.model.scale], device=str(device))
    (result,) = evaluate(method, [BenchmarkSet(config.data.val)], [config.model.scale], progress=False)
    model.train()
    return result.psnr, result.ssim


def train(
    config: TrainConfig, *, resume: bool = False, device: str = "cpu", progress: bool | None = None
) -> TrainResult:
    """Train the model of ``config``; write checkpoints, logs, final weights and a curve into ``config.output``.

    Args:
        config: the run (see :class:`srkit.engine.config.TrainConfig`).
        resume: continue from ``output/latest.pt`` if it exists (bit-for-bit: same weights as an uninterrupted run).
        device: ``cpu``, ``cuda`` or ``mps``.
        progress: show a progress bar (None: only on a terminal).
    """
    out = Path(config.output)
    out.mkdir(parents=True, exist_ok=True)
    dev = torch.device(device)
    torch.manual_seed(config.seed)
    model = build_network(config).to(dev)
    if config.channels_last:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    opt = torch.optim.AdamW(
        model.parameters(),
        lr=config.optim.lr,
        betas=(config.optim.betas[0], config.optim.betas[1]),
        weight_decay=config.optim.weight_decay,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, config.steps, config.schedule))
    ema = EMA(model, config.ema) if config.ema else None
    start = 0
    latest = out / "latest.pt"
    if resume and latest.exists():
        state = load_checkpoint(latest)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        if ema is not None and state.get("ema") is not None:
            ema.load_state_dict(state["ema"])
        torch.set_rng_state(state["rng"])
        start = int(state["step"])
    elif not resume and latest.exists():
        raise SrkitError(f"{out} already holds a run (latest.pt): pass --resume to continue it, or another output")
    atomic_write_text(out / "config.yaml", yaml.safe_dump(config_to_dict(config), sort_keys=False))
    runner: nn.Module = torch.compile(model) if config.compile else model  # type: ignore[assignment]
    recipe = SupervisedRecipe(runner, pixel=config.loss.pixel, supervise=config.loss.supervise)
    log_path = out / "log.csv"
    if start == 0 or not log_path.exists():
        log_path.write_text(",".join(LOG_FIELDS) + "\n", encoding="utf-8")
    else:  # drop lines past the checkpoint (written after it by the killed run)
        lines = log_path.read_text(encoding="utf-8").splitlines()
        kept = [lines[0]] + [ln for ln in lines[1:] if ln and int(ln.split(",")[0]) <= start]
        log_path.write_text("\n".join(kept) + "\n", encoding="utf-8")

    def checkpoint(step: int) -> None:
        save_checkpoint(
            latest,
            {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "ema": ema.state_dict() if ema is not None else None,
                "step": step,
                "config": config_to_dict(config),
                "rng": torch.get_rng_state(),
            },
        )

    began, loss_value, val = time.perf_counter(), math.nan, None
    model.train()
    bar = tqdm(
        total=config.steps, initial=start, desc="train", unit="step", disable=None if progress is None else not progress
    )
    with bar, log_path.open("a", encoding="utf-8", newline="") as log_file:
        log = csv.writer(log_file)
        for step, batch in _batches(config, start, _in_channels(model)):
            lr_img, hr_img = batch["lr"].to(dev), batch["hr"].to(dev)
            if config.channels_last:
                lr_img = lr_img.contiguous(memory_format=torch.channels_last)
            with _autocast(config.precision, dev):
                losses = recipe.training_step({"lr": lr_img, "hr": hr_img, "scale": batch["scale"]})
            opt.zero_grad(set_to_none=True)
            losses["loss"].backward()
            if config.optim.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.optim.grad_clip)
            opt.step()
            sched.step()
            if ema is not None:
                ema.update(model)
            loss_value = float(losses["loss"].detach())
            if not math.isfinite(loss_value):
                raise SrkitError(
                    f"the loss became {loss_value} at step {step + 1}; lower optim.lr or set optim.grad_clip"
                )
            done = step + 1
            val = None
            if config.val_every and done % config.val_every == 0 and done < config.steps:
                val = validate(ema.model if ema else model, config, dev)
            if done % config.log_every == 0 or done == config.steps or val is not None:
                row = [done, f"{loss_value:.6f}", f"{sched.get_last_lr()[0]:.3e}", f"{time.perf_counter() - began:.1f}"]
                row += [f"{val[0]:.4f}", f"{val[1]:.5f}"] if val else ["", ""]
                log.writerow(row)
                log_file.flush()
            bar.set_postfix(loss=f"{loss_value:.4f}", **({"psnr": f"{val[0]:.2f}"} if val else {}))
            bar.update()
            if done % config.ckpt_every == 0 or done == config.steps:
                checkpoint(done)
    final_model = ema.model if ema is not None else model
    val = validate(final_model, config, dev)
    _save_weights(out, model, ema)
    if val:
        with log_path.open("a", encoding="utf-8", newline="") as f:
            csv.writer(f).writerow([config.steps, f"{loss_value:.6f}", "", "", f"{val[0]:.4f}", f"{val[1]:.5f}"])
    plot_curves(log_path, out / "curve.png")
    return TrainResult(out, config.steps, loss_value, val[0] if val else None, time.perf_counter() - began)


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
