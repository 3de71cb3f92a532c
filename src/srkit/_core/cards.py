"""Model cards: what a model is, what it needs, and what it should reach (STYLE.md rule 6).

Inference pads, tiles and picks precision from the card, never by special-casing an architecture.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Published:
    """A published result: PSNR/SSIM on Y (BI protocol), from ``../shared/docs/PUBLISHED.md``."""

    dataset: str
    scale: int
    psnr: float
    ssim: float | None = None
    source: str = ""


@dataclass(frozen=True)
class ModelCard:
    """The facts about one registered model.

    Attributes:
        name: registry name (``"edsr_baseline"``).
        arch: the ``nn.Module`` class name in the paper's casing (``"EDSR"``).
        paper: title, authors, venue and year.
        scales: supported scale factors (a multi-scale model lists all it serves).
        in_channels, out_channels: image channels (1 for Y-channel models, 3 for RGB).
        params: parameter count per scale, as srkit builds it (the contract test checks it).
        published_params: the paper's parameter count per scale, where it gives one (within 1% of ``params``).
        min_size: smallest input height/width the model accepts.
        multiple_of: input height and width must be multiples of this (SwinIR: the window size); inference pads.
        fp16, bf16: whether half precision is safe (no overflow or accuracy loss worth noting).
        tiling: whether tiled inference reproduces the untiled output (no global pooling/attention over the
            whole image); with a receptive field, tiles need that much overlap.
        receptive_field: pixels of LR context one output pixel depends on (radius), for tile overlap.
        published: published Set5/Set14 results to measure against.
        notes: anything a user should know (Y-channel input, multi-scale call, ...).
        training: for srkit's shipped weights, how they were made and what they measure (recipe, data, steps,
            wall time, hardware, Set5/Set14 PSNR/SSIM per scale), as stored in the weights file; empty otherwise.
    """

    name: str
    arch: str
    paper: str
    scales: tuple[int, ...]
    in_channels: int = 3
    out_channels: int = 3
    params: Mapping[int, int] = field(default_factory=dict)
    published_params: Mapping[int, int] = field(default_factory=dict)
    min_size: int = 1
    multiple_of: int = 1
    fp16: bool = True
    bf16: bool = True
    tiling: bool = True
    receptive_field: int = 0
    published: tuple[Published, ...] = ()
    notes: str = ""
    training: Mapping[str, str] = field(default_factory=dict)

    def published_for(self, dataset: str, scale: int) -> Published | None:
        """The published result on ``dataset`` at ``scale``, if the card has one."""
        return next((p for p in self.published if p.dataset == dataset and p.scale == scale), None)
