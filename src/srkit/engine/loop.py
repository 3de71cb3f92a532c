"""The training loop: plain PyTorch, one recipe step per iteration, resumable bit for bit.

Everything random about batch ``k`` comes from ``(seed, k)`` (``srkit.data.TrainPatches``), and the checkpoint
holds every trained network with its optimiser, schedule and gradient scaler, the EMA, the step, the training time
and the RNG state (``srkit.engine.run.Run``), so a run killed at any point and resumed from its last checkpoint
produces the same weights as a run that was never interrupted.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml
from safetensors.torch import save_file
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path
from srkit._core.progress import Progress
from srkit.data.benchmark import BenchmarkSet
from srkit.data.loader import make_loader
from srkit.data.paths import DataPaths, resolve_data_path, resolve_data_paths
from srkit.data.train import TrainPatches
from srkit.data.unpaired import UnpairedPatches
from srkit.degradations import MixedDegradation
from srkit.engine.checkpoint import load_checkpoint
from srkit.engine.config import DataConfig, TrainConfig
from srkit.engine.distributed import process_group
from srkit.engine.ema import EMA
from srkit.engine.plot import plot_curves
from srkit.engine.recipes import MODEL
from srkit.engine.run import DATASETS, LOG_FIELDS, Run, build_network
from srkit.evaluation.methods import ModelMethod
from srkit.evaluation.runner import evaluate

__all__ = ["LOG_FIELDS", "TrainResult", "build_network", "load_run", "train", "validate"]

PROGRESS_EVERY = 30.0
"""Seconds between plain progress lines when stderr is not a terminal."""


@dataclass(frozen=True)
class TrainResult:
    """Where a finished run left its files, and its last numbers (``seconds``: training time, across resumes)."""

    output: Path
    steps: int
    loss: float
    val_psnr: float | None
    seconds: float


def _degradation(d: DataConfig) -> str | MixedDegradation:
    """``data.degradation`` (a name of ``srkit.PROTOCOLS``, e.g. BI or bsrgan), or the mixture
    ``data.degradation_mix`` draws per sample."""
    return MixedDegradation(d.degradation_mix) if d.degradation_mix else d.degradation


def _dataset(config: TrainConfig, paths: DataPaths, scales: list[int], in_channels: int) -> TrainPatches:
    d = config.data
    if d.kind != "patches":
        if d.kind not in DATASETS:
            known = ", ".join(["patches", *DATASETS.names()])
            raise SrkitError(f"unknown data.kind {d.kind!r}; available: {known} (faces needs srkit.face)")
        return DATASETS.get(d.kind)(config, paths, scales, in_channels)
    unpaired: dict[str, Any] = {}
    if paths.unpaired_lr is not None:  # batches also carry real_lr patches (unpaired recipes)
        unpaired["real_lr_folders"] = [p.path for p in paths.unpaired_lr]
    return (UnpairedPatches if unpaired else TrainPatches)(
        **unpaired,
        hr_folders=[p.path for p in paths.train],
        scales=scales,
        patch_size=d.patch_size,
        batch_size=d.batch_size,
        degradation=_degradation(d),
        lr_folders=None if paths.lr_train is None else [p.path for p in paths.lr_train],
        augment=d.augment,
        seed=config.seed,
        length=config.steps,
        cache=d.cache,
        on_bad_image=d.on_bad_image,
        in_channels=in_channels,
        exclude=d.holdout,
    )


def _scales_at(config: TrainConfig, step: int) -> list[int]:
    scales = config.data.scales or [config.model.scale]
    for stage in sorted(config.curriculum, key=lambda s: s.step):
        if step >= stage.step:
            scales = stage.scales
    return scales


def _batches(
    config: TrainConfig, paths: DataPaths, start: int, in_channels: int, rank: int = 0, world: int = 1
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(step, batch) from ``start``; a new loader at every curriculum boundary (the data stays step-indexed)."""
    bounds = sorted({0, config.steps, *(s.step for s in config.curriculum if 0 < s.step < config.steps)})
    base: TrainPatches | None = None
    for lo, hi in itertools.pairwise(bounds):
        if hi <= start:
            continue
        scales = _scales_at(config, lo)
        base = _dataset(config, paths, scales, in_channels) if base is None else base
        dataset = base.with_scales(scales)  # shares the decoded images
        if world > 1:
            dataset = dataset.with_shard(rank, world)
        first = max(lo, start)
        loader = make_loader(dataset, start=first, workers=config.data.workers)
        yield from zip(range(first, hi), loader, strict=False)


def validate(model: nn.Module, config: TrainConfig, device: torch.device) -> tuple[float, float] | None:
    """Mean PSNR/SSIM on the validation folder (only the images ``data.val_include`` names, when it names any: a
    split held out of a training folder with ``data.holdout``) at the model's scale, through srkit's one image path
    (the EVALUATION.md protocol, fp32, whole images: what ``srkit eval`` and ``srkit bench`` measure)."""
    if not config.data.val:
        return None
    folder = resolve_data_path(config.data.val, key="config.data.val").path
    method = ModelMethod(model, device=str(device), precision="fp32", tile=None)  # runs a copy in eval mode
    (result,) = evaluate(
        method, [BenchmarkSet(folder, include=config.data.val_include)], [config.model.scale], progress=False
    )
    return result.psnr, result.ssim


def _tensorboard_writer() -> Any:
    """TensorBoard's ``SummaryWriter`` class; checked before a run writes anything."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise SrkitError("config.tensorboard needs the tensorboard package: pip install 'srkit[tensorboard]'") from None
    return SummaryWriter


def _create_output(out: Path) -> Path | None:
    """Create the output folder; return the topmost folder this created (None: it was there already)."""
    created, p = None, out.absolute()
    while not p.exists():
        created, p = p, p.parent
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SrkitError(f"cannot create the output folder {out}: {err.strerror or err}") from None
    return created


def train(
    config: TrainConfig, *, resume: bool = False, device: str = "cpu", progress: bool | None = None
) -> TrainResult:
    """Train the model of ``config``; write checkpoints, logs, final weights and a curve into ``config.output``.

    Under ``torchrun --nproc_per_node N`` the same config trains with DistributedDataParallel: each process takes
    its share of every batch (the shards together are the single-process batch), gradients are averaged, and rank
    0 writes the files.

    A run that fails (an error, Ctrl-C) before its first checkpoint removes the output folder if it created it;
    a folder that was there before, or that holds a checkpoint, stays.

    Args:
        config: the run (see :class:`srkit.engine.config.TrainConfig`).
        resume: continue from ``output/latest.pt`` if it exists (bit-for-bit: same weights as an uninterrupted run;
            the training time goes on from the checkpoint's).
        device: ``cpu``, ``cuda`` or ``mps`` (under torchrun with CUDA, ``cuda:LOCAL_RANK`` is used).
        progress: False: silent; otherwise a progress bar on a terminal, and a plain line every 30 s (step,
            loss, learning rate, last validation PSNR) when stderr is not a terminal.

    Example:
        >>> result = train(load_config("configs/train/espcn_quick.yaml"))  # doctest: +SKIP
    """
    if device == "cuda" and "LOCAL_RANK" in os.environ:
        device = f"cuda:{os.environ['LOCAL_RANK']}"
    if config.precision == "fp16" and not device.startswith("cuda"):
        raise SrkitError("precision fp16 needs a CUDA device; use bf16 on the CPU")
    writer = _tensorboard_writer() if config.tensorboard else None
    paths = resolve_data_paths(config.data.train, config.data.lr_train, config.data.val, config.data.unpaired_lr)
    if not paths.train:
        raise SrkitError("config.data.train lists no training folders")
    dev = torch.device(device)
    with process_group(dev) as (rank, world):
        out = Path(config.output)
        created = _create_output(out) if rank == 0 else None  # rank 0 writes every file
        try:
            return _train(Run(config, paths, dev, rank, world), resume, progress, writer)
        except BaseException:
            if created is not None and not (out / "latest.pt").exists():
                shutil.rmtree(created, ignore_errors=True)
            raise


def _train(run: Run, resume: bool, progress: bool | None, writer: Any) -> TrainResult:
    config = run.config
    run.restore(resume)
    began, loss_value, val, psnr = time.perf_counter(), math.nan, None, None

    def seconds() -> float:  # training time of the run, across resumes
        return run.seconds + time.perf_counter() - began

    run.train_mode()
    bar = Progress(
        config.steps, "train", "step", show=progress if run.main else False, initial=run.start, interval=PROGRESS_EVERY
    )
    log_file = run.log_path.open("a", encoding="utf-8", newline="") if run.main else None
    board = writer(str(run.out / "tensorboard")) if run.main and writer is not None else None
    try:
        image_channels = 1 if run.card.color == "y" else 3  # the images; a noise-level map is the recipe's
        for step, batch in _batches(config, run.paths, run.start, image_channels, run.rank, run.world):
            losses = run.step(step, batch)
            # nan: the recipe left the model alone at this step (an earlier stage trains other players)
            loss_value, done, val = losses.get(MODEL, math.nan), step + 1, None
            if run.main and config.val_every and done % config.val_every == 0 and done < config.steps:
                val = validate(run.final_model, config, run.dev)
                psnr = val[0] if val else None
            if log_file and (done % config.log_every == 0 or done == config.steps or val is not None):
                loss_text = f"{loss_value:.6f}" if math.isfinite(loss_value) else ""  # blank: model not trained
                row = [done, loss_text, f"{run.lr:.3e}", f"{seconds():.1f}"]
                csv.writer(log_file).writerow(row + ([f"{val[0]:.4f}", f"{val[1]:.5f}"] if val else ["", ""]))
                log_file.flush()
                if board is not None:
                    board.add_scalar("train/loss", loss_value, done)
                    board.add_scalar("train/lr", run.lr, done)
                    for name, value in losses.items():
                        if name != MODEL:
                            board.add_scalar(f"train/{name}_loss", value, done)
                    if val:
                        board.add_scalar("val/psnr", val[0], done)
            shown: dict[str, Any] = {"loss": f"{loss_value:.4f}"}
            shown.update({f"{name}_loss": f"{v:.4f}" for name, v in losses.items() if name != MODEL})
            shown["lr"] = f"{run.lr:.2e}"
            if psnr is not None:
                shown["psnr"] = f"{psnr:.2f}"
            bar.update(1, **shown)
            if done % config.ckpt_every == 0 or done == config.steps:
                run.checkpoint(done, seconds())
    finally:
        bar.close()
        if log_file:
            log_file.close()
        if board is not None:
            board.close()
    val = None
    if run.main:
        val = validate(run.final_model, config, run.dev)
        _save_weights(run.out, run.model, run.ema, config.model.name)
        if val:
            with run.log_path.open("a", encoding="utf-8", newline="") as f:
                csv.writer(f).writerow([config.steps, f"{loss_value:.6f}", "", "", f"{val[0]:.4f}", f"{val[1]:.5f}"])
        plot_curves(run.log_path, run.out / "curve.png")
    return TrainResult(run.out, config.steps, loss_value, val[0] if val else None, seconds())


def _save_weights(out: Path, model: nn.Module, ema: EMA | None, arch: str | None) -> None:
    """Final weights as safetensors (``model.safetensors``; ``model_ema.safetensors`` with EMA), with the
    constructor arguments (``hparams``) and the registered architecture (``srkit_arch``, for a zoo model) in the
    metadata, so that ``srkit.load_model(file)`` builds exactly this model."""
    for name, module in (("model", model), ("model_ema", ema.model if ema else None)):
        if module is None:
            continue
        tensors = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
        meta = {"hparams": yaml.safe_dump(getattr(module, "hparams", {}))}
        if arch is not None:
            meta["srkit_arch"] = arch
        with atomic_path(out / f"{name}.safetensors") as tmp:
            save_file(tensors, str(tmp), metadata=meta)


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
        weights = state["ema"] if state.get("ema") is not None else state["modules"][MODEL]
    else:
        if not p.is_file():
            raise SrkitError(f"checkpoint not found: {p}")
        config = load_config(p.parent / "config.yaml")
        weights = load_file(str(p))
    model = build_network(config)
    load_state(model, weights, source=str(p))
    return model.eval(), config
