"""Training video networks with ``srkit train``: the ``clips`` data kind and the ``vsr`` recipe.

``data.kind: clips`` draws :class:`~srkit.video.data.SyntheticClips` from the still-image folders of
``data.train`` (``data.patch_size`` is the LR frame side); options: ``frames`` (per clip, default 7),
``max_speed`` (LR pixels per frame, default 2), ``patch_probability`` (default 0.5), ``noise`` (default 0.01).

``recipe: vsr`` minimises ``loss.pixel`` (Charbonnier by default, as BasicVSR) over every frame of the clip. For a
network with ``forward_motion`` (VESPCN, srkit_vsr) it adds VESPCN's motion-compensation loss with weight
``motion_weight`` (recipe option, default 0.01): the error between each warped neighbour and its centre frame
(LR), plus ``smooth_weight`` (default 0.01) times the flows' total variation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit.data.paths import DataPaths
from srkit.engine.config import TrainConfig
from srkit.engine.options import non_negative, parse_options, positive
from srkit.engine.recipes import MODEL, MethodRunner, Player, Updates, adamw
from srkit.engine.run import register_dataset, register_recipe
from srkit.losses import get_criterion
from srkit.video.data import SyntheticClips

__all__ = ["VSRRecipe"]


def _tv(flow: torch.Tensor) -> torch.Tensor:
    return (flow[..., 1:, :] - flow[..., :-1, :]).abs().mean() + (flow[..., :, 1:] - flow[..., :, :-1]).abs().mean()


class VSRRecipe:
    """The ``vsr`` recipe (module docstring)."""

    def __init__(
        self,
        model: nn.Module,
        *,
        card: ModelCard,
        pixel: str = "charbonnier",
        motion_weight: float = 0.01,
        smooth_weight: float = 0.01,
        optimizer: Any = None,
    ) -> None:
        if card.kind != "clip":
            raise SrkitError(f"recipe vsr trains video networks (card kind clip), not {card.name}")
        self.motion = hasattr(model, "forward_motion")
        self.loss, self.weights = get_criterion(pixel), (motion_weight, smooth_weight)
        runner = MethodRunner(model, "forward_motion") if self.motion else None
        self.players: tuple[Player, ...] = (Player(MODEL, model, optimizer or adamw(), runner=runner),)

    def training_step(self, batch: dict[str, Any], nets: Mapping[str, nn.Module]) -> Updates:
        lr, hr = batch["lr"], batch["hr"].float()
        out = nets[MODEL](lr)
        sr = out["sr"] if self.motion else out
        pixel = self.loss(sr.float().flatten(0, 1), hr.flatten(0, 1))
        total, losses = pixel, {"pixel_last": pixel.detach()}
        if self.motion:
            radius = out["warped"].shape[2] // 2
            centre = lr.float()[:, :, None].expand(-1, -1, 2 * radius, -1, -1, -1)
            motion = (out["warped"].float() - centre).abs().mean()
            smooth = _tv(out["flows"].float())
            total = total + self.weights[0] * motion + self.weights[1] * smooth
            losses.update(motion=motion.detach(), smooth=smooth.detach())
        yield MODEL, {"loss": total, **losses}


VSR_OPTIONS = {"motion_weight": non_negative(float, 0.01), "smooth_weight": non_negative(float, 0.01)}


def vsr_recipe(config: TrainConfig, model: nn.Module, card: ModelCard, device: torch.device) -> VSRRecipe:
    if config.data.kind != "clips":
        raise SrkitError("recipe vsr trains on clips: set data.kind to clips")
    options = parse_options("vsr", config.recipe_options, VSR_OPTIONS)
    o = config.optim
    optimizer = adamw(o.lr, (o.betas[0], o.betas[1]), o.weight_decay)
    return VSRRecipe(model, card=card, pixel=config.loss.pixel, optimizer=optimizer, **options)


CLIP_OPTIONS = {
    "frames": positive(int, 7),
    "max_speed": non_negative(float, 2.0),
    "patch_probability": non_negative(float, 0.5),
    "noise": non_negative(float, 0.01),
}


def clip_batches(config: TrainConfig, paths: DataPaths, scales: list[int], in_channels: int) -> SyntheticClips:
    """The ``clips`` data kind (module docstring)."""
    if len(scales) != 1:
        raise SrkitError("data.kind clips trains one scale at a time")
    options = parse_options("data.kind clips", config.data.options, CLIP_OPTIONS, section="data.options")
    d = config.data
    return SyntheticClips(
        [p.path for p in paths.train],
        scale=scales[0],
        patch=d.patch_size,
        batch_size=d.batch_size,
        seed=config.seed,
        length=config.steps,
        **options,
    )


register_recipe("vsr", vsr_recipe)
register_dataset("clips", clip_batches)
