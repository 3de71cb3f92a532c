"""Model cards: what a model is, what it needs, and how it is called (STYLE.md rules 6 and 16).

The card is the one contract between a model and whatever runs it. Everything a caller needs is a typed field,
set in the paper's file: whether ``forward`` takes ``scale``, the colour space (RGB, or the Y channel with the
chroma upscaled by MATLAB bicubic), the value range, the size multiple, which parts stay float32 under bf16/fp16,
what ``forward_all`` returns. Callers read the card; they never inspect a model's signature, attributes or
hyper-parameters to find these things out. :func:`call_model` and :func:`call_model_all` are the two ways to
call a model, and the only place that interprets the calling convention.

A registered card (``srkit.model_card("edsr")``) lists every scale the architecture can be built for; the card
of a model instance (``model.card``, set by ``srkit.build_model``, ``srkit.load_model`` and
``srkit.create_model``) lists the scales that instance serves: all of them for a multi-scale model, the built
one otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from srkit._core.errors import SrkitError

Color = Literal["rgb", "y"]
ForwardAll = Literal["hr", "pyramid"]
Kind = Literal["image", "cube", "cube_fusion", "clip"]
COLORS: tuple[str, ...] = ("rgb", "y")
KINDS: tuple[str, ...] = ("image", "cube", "cube_fusion", "clip")
FORWARD_ALL: tuple[str, ...] = ("hr", "pyramid")


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
    """The facts about one model, and the contract of how it is called.

    What it is:
        name: registry name (``"edsr_baseline"``).
        arch: the ``nn.Module`` class name in the paper's casing (``"EDSR"``).
        paper: title, authors, venue and year.
        params: parameter count per scale, as srkit builds it (the contract test checks it).
        published_params: the paper's parameter count per scale, where it gives one (within 1% of ``params``).
        published: published Set5/Set14 results to measure against.
        notes: anything else a user should know.
        training: for srkit's shipped weights, how they were made and what they measure (recipe, data, steps,
            wall time, hardware, Set5/Set14 PSNR/SSIM per scale), as stored in the weights file; empty otherwise.

    How it is called (the contract; :func:`call_model` reads it):
        kind: what ``forward`` takes: ``"image"`` (everything below; srkit's image path runs only these);
            ``"cube"``, a hyperspectral cube ``(N, bands, h, w)`` of any band count, values scaled to about
            [0, 1], each band one channel of ``in_channels``/``out_channels`` = 1 (``srkit.hsi``);
            ``"cube_fusion"``, ``forward(lr_cube, guide, response)``: a cube, an HR guide image ``(N, C, H, W)``
            in the cube's units and the guide's spectral response ``(C, bands)``; ``"clip"``, a video clip
            ``(N, T, C, h, w)`` of LR frames, returning ``(N, T, C, s h, s w)`` (``srkit.video``).
        scales: the scales served. On a registered card: every scale the architecture can be built for; on a
            model instance's card: the scales that instance serves.
        in_channels, out_channels: channels of ``forward``'s input and output (1 for Y-channel models; a
            ``noise_map`` model takes one more input channel than it gives).
        color: ``"rgb"``, or ``"y"``: the model sees the Y of MATLAB's BT.601 YCbCr (``rgb2ycbcr``, Y in
            [16/255, 235/255]); callers upscale Cb and Cr with MATLAB bicubic (``imresize``), clamp the model's
            Y to [0, 1] and convert back, as the papers' MATLAB scripts do.
        pixel_range: ``forward`` takes and returns values in [0, ``pixel_range``] (1 for every srkit model:
            architectures built for 0-255 scale inside).
        scale_arg: ``forward(x, scale)``; else ``forward(x)``.
        multi_scale: one set of weights serves every scale of ``scales`` (then ``scale_arg`` is set); else a
            model instance serves the one scale it was built for.
        scale: on a model instance's card, the scale it was built for (what callers use when they ask for
            none); None on a registered card.
        min_size: smallest input height/width the model accepts.
        multiple_of: input height and width must be multiples of this (SwinIR: the window size); inference pads.
        fp16, bf16: whether half precision is safe (no overflow or accuracy loss worth noting).
        float32_io: with bf16/fp16 weights, ``forward`` still takes and returns float32: it casts the input to
            its weights' dtype inside and keeps the image-level path (input, anchor or skip, output) in float32.
            Callers then pass float32 images (srkit's own networks).
        noise_map: ``forward``'s input ends with a noise-level map: one channel holding the noise standard
            deviation of the image channels, ``sigma / 255`` everywhere (DPSR's prior; 0 for a clean image).
        forward_all: what ``forward_all(x[, scale])`` returns, if the model has it: ``"hr"``, one output per
            recursion/step/memory at the output size (DRCN, MemNet, SRFBN), the last equal to ``forward``;
            ``"pyramid"``, one output per x2 level (LapSRN), the last equal to ``forward``; None: no
            ``forward_all``.
        tiling: whether tiled inference reproduces the untiled output (no global pooling/attention over the
            whole image); with a receptive field, tiles need that much overlap.
        receptive_field: pixels of LR context one output pixel depends on (radius), for tile overlap.
    """

    name: str
    arch: str
    paper: str
    scales: tuple[int, ...]
    in_channels: int = 3
    out_channels: int = 3
    color: Color = "rgb"
    pixel_range: float = 1.0
    scale_arg: bool = False
    multi_scale: bool = False
    scale: int | None = None
    min_size: int = 1
    multiple_of: int = 1
    fp16: bool = True
    bf16: bool = True
    float32_io: bool = False
    noise_map: bool = False
    forward_all: ForwardAll | None = None
    tiling: bool = True
    receptive_field: int = 0
    params: Mapping[int, int] = field(default_factory=dict)
    published_params: Mapping[int, int] = field(default_factory=dict)
    published: tuple[Published, ...] = ()
    notes: str = ""
    training: Mapping[str, str] = field(default_factory=dict)
    kind: Kind = "image"  # last: positional construction of older cards stays valid

    def __post_init__(self) -> None:
        where = f"model card {self.name!r}"
        if not self.scales or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in self.scales):
            raise SrkitError(f"{where}: scales must be integers >= 1, got {self.scales!r}")
        if self.kind not in KINDS:
            raise SrkitError(f"{where}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.kind in ("cube", "cube_fusion") and (self.in_channels, self.out_channels, self.color) != (1, 1, "rgb"):
            raise SrkitError(f"{where}: a cube model takes and gives one band per channel (1 -> 1, color rgb)")
        if self.color not in COLORS:
            raise SrkitError(f"{where}: color must be one of {', '.join(COLORS)}, got {self.color!r}")
        if self.color == "y" and (self.in_channels - self.noise_map, self.out_channels) != (1, 1):
            raise SrkitError(f"{where}: a Y-channel model has 1 input and 1 output channel (plus a noise map)")
        if self.noise_map and self.in_channels != self.out_channels + 1:
            raise SrkitError(f"{where}: a noise-map model takes its image channels plus one map channel")
        if self.multi_scale and not self.scale_arg:
            raise SrkitError(f"{where}: a multi-scale model takes the scale (scale_arg=True)")
        if self.scale is not None and self.scale not in self.scales:
            raise SrkitError(f"{where}: scale {self.scale} is not one of its scales {self.scales}")
        if self.forward_all is not None and self.forward_all not in FORWARD_ALL:
            raise SrkitError(f"{where}: forward_all must be None or one of {', '.join(FORWARD_ALL)}")
        if not self.pixel_range > 0 or self.min_size < 1 or self.multiple_of < 1 or self.receptive_field < 0:
            raise SrkitError(f"{where}: pixel_range > 0, min_size >= 1, multiple_of >= 1, receptive_field >= 0")

    def published_for(self, dataset: str, scale: int) -> Published | None:
        """The published result on ``dataset`` at ``scale``, if the card has one."""
        return next((p for p in self.published if p.dataset == dataset and p.scale == scale), None)

    def for_instance(self, scale: int) -> ModelCard:
        """The card of a model instance built at ``scale``: every scale if multi-scale, else ``(scale,)``.

        Example:
            >>> card = ModelCard(name="m", arch="M", paper="", scales=(2, 3, 4), params={2: 5, 3: 6, 4: 7})
            >>> card.for_instance(3).scales, dict(card.for_instance(3).params), card.for_instance(3).scale
            ((3,), {3: 6}, 3)
        """
        if scale not in self.scales:
            raise SrkitError(f"model {self.name!r} supports scales {self.scales}, not {scale}")
        if self.multi_scale:
            return dataclasses.replace(self, scale=scale)
        return dataclasses.replace(
            self,
            scale=scale,
            scales=(scale,),
            params={s: v for s, v in self.params.items() if s == scale},
            published_params={s: v for s, v in self.published_params.items() if s == scale},
        )

    def default_scale(self) -> int:
        """The scale to use when none is asked for: the instance's built scale, else the largest served."""
        return self.scale if self.scale is not None else max(self.scales)


def with_noise_map(x: torch.Tensor, sigma: float | torch.Tensor) -> torch.Tensor:
    """``x`` with the noise-level map a ``noise_map`` model expects appended as its last channel: ``sigma`` (the
    noise standard deviation in [0, 1] units, i.e. ``sigma_255 / 255``; a number, or one per image ``(B,)``)
    everywhere.

    Example:
        >>> with_noise_map(torch.zeros(2, 3, 4, 5), 0.1).shape
        torch.Size([2, 4, 4, 5])
    """
    level = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1, 1, 1, 1)
    return torch.cat([x, level.expand(x.shape[0], 1, *x.shape[-2:])], dim=1)


def card_of(model: nn.Module) -> ModelCard:
    """The card of ``model``.

    Raises:
        SrkitError: the module carries no card (give it one with :func:`with_card`).
    """
    card = model.__dict__.get("card")
    if not isinstance(card, ModelCard):
        raise SrkitError(
            f"this {type(model).__name__} has no model card: build it with srkit.build_model or srkit.create_model, "
            "load it with srkit.load_model, or give it one with srkit.with_card(module, ModelCard(...))"
        )
    return card


def with_card(model: nn.Module, card: ModelCard) -> nn.Module:
    """Attach ``card`` to ``model`` (a plain attribute: a card is data, not a submodule) and return the model.

    Example:
        >>> m = with_card(nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2)),
        ...               ModelCard(name="toy", arch="Sequential", paper="", scales=(2,), receptive_field=1))
        >>> card_of(m).scales
        (2,)
    """
    if not isinstance(card, ModelCard):
        raise SrkitError(f"with_card takes a ModelCard, got {type(card).__name__}")
    object.__setattr__(model, "card", card)
    return model


def _served(card: ModelCard, scale: int | None) -> int:
    s = card.default_scale() if scale is None else scale
    if s not in card.scales:
        served = ", ".join(f"x{v}" for v in card.scales)
        raise SrkitError(f"model {card.name!r} serves {served}, not x{s}")
    return s


def call_model(
    model: nn.Module, x: torch.Tensor, scale: int | None = None, *, card: ModelCard | None = None
) -> torch.Tensor:
    """``model(x)`` or ``model(x, scale)``, as the model's card says (``scale_arg``), at a scale it serves.

    ``x`` is handed over as it is (values in [0, ``card.pixel_range``], the card's channels, dtype and size
    rules already applied by the caller: :class:`srkit.Upscaler` does all that for images).

    Args:
        model: the model (or a wrapper of it, such as DDP or ``torch.compile``, with ``card`` given).
        x: its input.
        scale: a scale the model serves (None: the one it was built for).
        card: the card to follow (default: ``model``'s).

    Raises:
        SrkitError: the model has no card, or does not serve ``scale``.
    """
    card = card_of(model) if card is None else card
    s = _served(card, scale)
    out: torch.Tensor = model(x, s) if card.scale_arg else model(x)
    return out


def call_model_all(
    model: nn.Module, x: torch.Tensor, scale: int | None = None, *, card: ModelCard | None = None
) -> list[torch.Tensor]:
    """Every intermediate output, as the card's ``forward_all`` declares (the last is :func:`call_model`'s);
    ``[call_model(...)]`` for a model without intermediate outputs. Arguments as :func:`call_model`'s (a
    wrapper such as DDP has no ``forward_all``: wrap the model first, as ``srkit.engine`` does)."""
    card = card_of(model) if card is None else card
    s = _served(card, scale)
    if card.forward_all is None:
        return [call_model(model, x, s, card=card)]
    fn: Any = model.forward_all
    outs = fn(x, s) if card.scale_arg else fn(x)
    return list(outs)
