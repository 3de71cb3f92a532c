"""Upscaling images as people have them: 1-4 channels (L, LA, RGB, RGBA), 8 or 16 bits, any size and any scale.

:class:`Upscaler` holds a ready model (srkit's default unless told otherwise), the device, the precision and the
tiling; it turns an image array into its upscaled array, or streams the output band by band to a writer, so that
memory is bounded by the tile size and the output width, not by the image.

This is srkit's one image path: ``srkit upscale``, ``srkit.upscale``, ``srkit bench``/``srkit eval``
(:class:`srkit.ModelMethod`), training validation, the benchmark scripts and the numbers on srkit's model cards all
run models through :class:`Upscaler`, which reads everything it needs from the model card.

How the channels are treated (:class:`ImagePipeline`, which runs inside every tile, so tiling stays exact):

- colour goes through the model as its card's ``color`` says: RGB models see RGB; Y-channel models
  (``srkit_fast``, ESPCN, FSRCNN, VDSR, ...) see the Y of MATLAB's BT.601 YCbCr, their output is clamped to
  [0, 1], and Cb/Cr are upscaled with MATLAB bicubic (``imresize``), as the papers' MATLAB scripts do;
- grayscale is run as RGB with three equal channels and averaged back to one;
- alpha is upscaled separately with bicubic interpolation (clamped to [0, 1]) and put back;
- self-ensemble (``tta``): the mean over the 8 flips/rotations of the input, each undone on the output
  (Timofte et al., "Seven ways to improve example-based single image super resolution", CVPR 2016).

Scales: the model runs at the smallest scale it serves that is at least the requested one (or its largest), and
the result is resized exactly to ``round(scale * size)`` with MATLAB-style bicubic (antialiased when shrinking).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from srkit._core.cards import ModelCard, call_model, card_of, with_noise_map
from srkit._core.errors import SrkitError
from srkit.archs import load_model
from srkit.archs.shipped import DEFAULT_MODEL
from srkit.functional.color import rgb_to_ycbcr, ycbcr_planes_to_rgb
from srkit.functional.resize import imresize
from srkit.inference.tiling import (
    MIN_TILE_OVERLAPS,
    ProgressFn,
    TileArg,
    auto_tile_size,
    check_tile,
    default_overlap,
    iter_tiles,
)

__all__ = [
    "MAX_SCALE",
    "PRECISIONS",
    "ImagePipeline",
    "Upscaler",
    "auto_precision",
    "check_precision",
    "native_bf16",
    "resolve_device",
]

PRECISIONS: dict[str, torch.dtype] = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
_BAND_BYTES = 1 << 30  # streaming: the float32 output band being blended (and its copy) stays below this
MAX_SCALE = 64  # the largest scale srkit.upscale, Upscaler and `srkit upscale --scale` accept


def resolve_device(name: str | torch.device) -> torch.device:
    """``"cpu"``, ``"cuda"`` (``"cuda:1"``) or ``"mps"`` as a device, checked to be there.

    Raises:
        SrkitError: an unknown name, or a device this machine or this PyTorch build does not have.
    """
    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError):
        raise SrkitError(f"unknown device {name!r}; use cpu, cuda or mps") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SrkitError("device 'cuda' asked for, but PyTorch sees no CUDA GPU here; use --device cpu")
    if dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise SrkitError("device 'mps' asked for, but PyTorch has no Apple MPS backend here; use --device cpu")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise SrkitError(f"unsupported device {name!r}; use cpu, cuda or mps")
    return dev


def native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 / AMX), where bf16 convolutions are ~2x faster."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def auto_precision(card: ModelCard, device: torch.device) -> str:
    """``"bf16"`` for a model whose card allows bf16 and keeps its image path in float32 (``float32_io``:
    srkit's own networks, bf16 convolutions with a float32 anchor: Set5/Set14 means within 0.003 dB of fp32, single
    images within 0.01 dB, measured) on a CPU with native bf16; ``"fp32"`` otherwise."""
    mixed = card.float32_io and card.bf16
    return "bf16" if mixed and device.type == "cpu" and native_bf16() else "fp32"


def check_precision(precision: str, card: ModelCard, device: torch.device) -> torch.dtype:
    """The dtype of ``precision`` (fp32, bf16, fp16) after checking the card and the device allow it.

    Raises:
        SrkitError: an unknown precision, fp16 on the CPU, or half precision the card rules out.
    """
    if precision not in PRECISIONS:
        raise SrkitError(f"unknown precision {precision!r}; use auto or one of {', '.join(PRECISIONS)}")
    if precision == "fp16":
        if device.type == "cpu":
            raise SrkitError("fp16 runs on cuda or mps; on the CPU use --precision bf16 (or fp32)")
        if not card.fp16:
            raise SrkitError(f"model {card.name!r} is not safe in fp16 (its card says so); use bf16 or fp32")
    if precision == "bf16" and not card.bf16:
        raise SrkitError(f"model {card.name!r} is not safe in bf16 (its card says so); use fp32")
    return PRECISIONS[precision]


_DIHEDRAL: tuple[tuple[bool, int], ...] = tuple((flip, k) for flip in (False, True) for k in range(4))


class ImagePipeline(nn.Module):
    """An SR model wrapped to take and give images of ``channels`` channels (1 L, 2 LA, 3 RGB, 4 RGBA) in float32
    [0, 1], with the treatment of colour, gray and alpha described in the module docstring, as the model's card
    says. Its own card is the model's for these images (``channels`` in and out, one scale, float32 in and out)
    with a receptive field that covers the bicubic paths, so :func:`iter_tiles` pads and overlaps tiles
    correctly.

    Args:
        model: an SR model in eval mode with a card (RGB or Y channel).
        scale: the model scale to run (one the card serves).
        channels: image channels (1-4).
        dtype: the model's dtype (inputs are cast to it, unless the card keeps float32 inputs, and outputs back
            to float32).
        tta: self-ensemble over the 8 flips/rotations.
        noise_level: for a model whose card takes a noise-level map (``noise_map``: DPSR's prior), the noise
            standard deviation of the input on the 0-255 scale (0: a clean image); ignored by other models.

    Shape:
        ``(B, channels, H, W) -> (B, channels, scale*H, scale*W)``.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        scale: int,
        channels: int,
        dtype: torch.dtype = torch.float32,
        tta: bool = False,
        noise_level: float = 0.0,
    ) -> None:
        super().__init__()
        if channels not in (1, 2, 3, 4):
            raise SrkitError(f"images need 1 to 4 channels (L, LA, RGB, RGBA), got {channels}")
        card = card_of(model)
        if card.kind != "image":
            what, tool = (
                ("a video network", "srkit video") if card.kind == "clip" else ("a hyperspectral network", "srkit hsi")
            )
            raise SrkitError(f"model {card.name!r} is {what}, not an image SR model: use {tool}")
        image_in = card.in_channels - card.noise_map
        if (card.color, image_in, card.out_channels) not in (("rgb", 3, 3), ("y", 1, 1)):
            raise SrkitError(
                f"model {card.name!r} maps {card.in_channels} to {card.out_channels} {card.color} channels: not an "
                "image SR model (srkit upscales with RGB or Y-channel models)"
            )
        if scale not in card.scales:
            raise SrkitError(f"model {card.name!r} serves {', '.join(f'x{s}' for s in card.scales)}, not x{scale}")
        if not (math.isfinite(noise_level) and 0 <= noise_level <= 255):
            raise SrkitError(f"noise_level is a standard deviation on the 0-255 scale, got {noise_level!r}")
        self.model, self.scale, self.channels, self.dtype, self.tta = model, scale, channels, dtype, tta
        self.noise_level = noise_level / 255.0
        self.model_card = card
        self.card = dataclasses.replace(
            card,
            scales=(scale,),
            scale=scale,
            in_channels=channels,
            out_channels=channels,
            color="rgb",
            pixel_range=1.0,
            scale_arg=False,
            multi_scale=False,
            float32_io=True,
            noise_map=False,
            forward_all=None,
            receptive_field=max(card.receptive_field, 2),
        )

    def _sr(self, x: Tensor) -> Tensor:
        card = self.model_card
        dtype = torch.float32 if card.float32_io else self.dtype
        scaled = card.pixel_range != 1.0

        def run(t: Tensor) -> Tensor:
            t = with_noise_map(t, self.noise_level) if card.noise_map else t
            y = call_model(self.model, (t * card.pixel_range if scaled else t).to(dtype), self.scale).float()
            return y / card.pixel_range if scaled else y

        if not self.tta:
            return run(x)
        acc = torch.zeros(())
        for flip, k in _DIHEDRAL:
            t = torch.rot90(x.flip(-1) if flip else x, k, (-2, -1))
            y = torch.rot90(run(t), -k, (-2, -1))
            acc = acc + (y.flip(-1) if flip else y)
        return acc / len(_DIHEDRAL)

    def forward(self, x: Tensor) -> Tensor:
        c = self.channels
        color = x[:, :3] if c >= 3 else x[:, :1].expand(-1, 3, -1, -1)
        if self.model_card.color == "y":
            ycc = rgb_to_ycbcr(color)
            chroma = imresize(ycc[:, 1:], self.scale)  # MATLAB bicubic, as the papers' scripts
            out = ycbcr_planes_to_rgb(self._sr(ycc[:, :1]).clamp_(0.0, 1.0), chroma[:, :1], chroma[:, 1:])
        else:
            out = self._sr(color)
        if c < 3:
            out = out.mean(dim=1, keepdim=True)
        if c in (2, 4):
            alpha = F.interpolate(x[:, c - 1 :], scale_factor=float(self.scale), mode="bicubic", align_corners=False)
            out = torch.cat([out, alpha.clamp(0.0, 1.0)], dim=1)
        return out  # clamped when quantized


def _as_tensor(pixels: np.ndarray) -> Tensor:
    """``(H, W, C)`` pixels as ``(1, C, H, W)``: uint8 stays uint8 (made float tile by tile), else float32 [0, 1].

    Raises:
        SrkitError: another dtype, or float values that are not finite or outside [0, 1] (never clipped silently).
    """
    if pixels.dtype == np.uint8:  # a read-only array (np.asarray of a PIL image) is copied: torch warns otherwise
        t = torch.from_numpy(np.ascontiguousarray(pixels) if pixels.flags.writeable else pixels.copy())
    elif pixels.dtype == np.uint16:
        t = torch.from_numpy(pixels.astype(np.float32) / 65535.0)
    elif np.issubdtype(pixels.dtype, np.floating):
        lo, hi = float(pixels.min()), float(pixels.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise SrkitError("the image holds NaN or infinite values: replace them (np.nan_to_num) before upscaling")
        if lo < 0 or hi > 1:
            raise SrkitError(
                f"float images must be in [0, 1]; this one spans {lo:g} to {hi:g}: rescale or clip it first "
                "(e.g. np.clip(image, 0, 1))"
            )
        t = torch.from_numpy(pixels.astype(np.float32))
    else:
        raise SrkitError(f"images must be uint8, uint16 or float in [0, 1], got {pixels.dtype}")
    return t.permute(2, 0, 1).unsqueeze(0)


def quantize(rows: Tensor, dtype: np.dtype) -> np.ndarray:
    """Float pixels ``(1, C, h, w)`` in [0, 1] as ``(h, w, C)`` of ``dtype``: uint8/uint16 rounded half up and
    saturated, float32 clipped (in torch, in place: ``rows`` is consumed)."""
    rows = rows[0].float()  # consumed: the caller's band is modified in place
    if dtype == np.uint8 or dtype == np.uint16:
        top = 255.0 if dtype == np.uint8 else 65535.0
        # values are >= 0 after the clamp, so the truncating cast rounds half up
        q = rows.mul_(top).add_(0.5).clamp_(0.0, top + 0.49).to(torch.uint8 if dtype == np.uint8 else torch.int32)
        return q.permute(1, 2, 0).contiguous().numpy().astype(dtype, copy=False)
    return rows.clamp_(0.0, 1.0).permute(1, 2, 0).contiguous().numpy()


@dataclasses.dataclass
class Upscaler:
    """A model ready to upscale image arrays.

    Args:
        model: a shipped model name (``"srkit"``, the default; ``"srkit_fast"``), a checkpoint path, or a module
            with a card.
        device: ``"cpu"``, ``"cuda"`` or ``"mps"``.
        precision: ``"auto"`` (:func:`auto_precision`: bf16 for srkit's own models on CPUs with native bf16, else
            fp32), ``"fp32"``, ``"bf16"`` or ``"fp16"`` (where the model card allows it; fp16 not on the CPU).
        tile: LR tile size, ``"auto"`` (from free memory), or None or 0 (whole image at once); a size must be at
            least 4 overlaps (:func:`srkit.inference.tiling.check_tile`: 184 for ``srkit``, 80 for ``srkit_fast``).
        overlap: LR pixels shared by neighbouring tiles (default: enough to make tiling exact).
        tta: self-ensemble over 8 flips/rotations (8x the time, a little more PSNR).
        noise_level: for a model that takes a noise-level map (``card.noise_map``: DPSR's prior
            ``srkit_prior``), the input's noise standard deviation on the 0-255 scale (0, the default: clean);
            ignored by other models.

    Example:
        >>> up = Upscaler("srkit_fast")
        >>> up.upscale_array(np.zeros((8, 8, 3), dtype=np.uint8), 3).shape
        (24, 24, 3)
    """

    model: nn.Module | str | os.PathLike[str] = DEFAULT_MODEL
    device: str | torch.device = "cpu"
    precision: str = "auto"
    tile: TileArg = "auto"
    overlap: int | None = None
    tta: bool = False
    noise_level: float = 0.0
    dtype: torch.dtype = dataclasses.field(init=False)
    net: nn.Module = dataclasses.field(init=False)
    dev: torch.device = dataclasses.field(init=False)
    card: ModelCard = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        dev = resolve_device(self.device)
        if isinstance(self.model, nn.Module):
            card = card_of(self.model)
            module = copy.deepcopy(self.model)  # the caller's module keeps its device, dtype and layout
        else:
            module = load_model(self.model, device="cpu")
            card = card_of(module)
        if self.overlap is not None and (isinstance(self.overlap, bool) or not isinstance(self.overlap, int)):
            raise SrkitError(f"overlap must be an int >= 0, got {self.overlap!r}")
        if self.overlap is not None and self.overlap < 0:
            raise SrkitError(f"overlap must be >= 0, got {self.overlap}")
        overlap = default_overlap(max(card.receptive_field, 2)) if self.overlap is None else self.overlap
        if card.tiling or self.tile in (0, "auto", None):  # an untileable model's tile is refused by iter_tiles
            self.tile = check_tile(self.tile, overlap, name=repr(card.name))
        if self.precision == "auto":
            self.precision = auto_precision(card, dev)
        self.dtype = check_precision(self.precision, card, dev)
        self.net = module.to(dev, self.dtype).eval()
        if dev.type == "cpu":  # oneDNN's convolutions are faster on NHWC (1.4x on srkit_fast, measured)
            self.net = self.net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.dev = dev
        self.card = card

    @property
    def scales(self) -> tuple[int, ...]:
        """The scales the model serves."""
        return tuple(self.card.scales)

    def plan(self, height: int, width: int, scale: float) -> tuple[int, tuple[int, int]]:
        """The model scale to run for ``scale`` and the exact output ``(height, width)``.

        Scale 1 is for same-size models only (a card serving x1, such as ``vdsr_camera``: an LR image already at the
        HR size, e.g. a short-focal shot resized to the long-focal framing).

        Raises:
            SrkitError: a scale that is not a number > 1 (or exactly 1 with a same-size model) and at most
                :data:`MAX_SCALE` (64).
        """
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not math.isfinite(scale) or scale < 1:
            raise SrkitError(f"scale must be a number greater than 1, got {scale!r}")
        if scale == 1 and 1 not in self.scales:
            raise SrkitError(
                f"scale 1 needs a same-size model (one that serves x1, e.g. vdsr_camera); {self.card.name} serves "
                f"{', '.join(f'x{s}' for s in self.scales)}: give a scale greater than 1"
            )
        if 1 < scale < 1 + 1e-9 and 1 in self.scales:
            scale = 1
        if scale > MAX_SCALE:
            raise SrkitError(f"scale must be at most {MAX_SCALE}, got {scale:g}: upscale in two steps if you mean it")
        fits = [s for s in self.scales if s >= scale - 1e-9]
        model_scale = min(fits) if fits else max(self.scales)
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
        return model_scale, size

    def pipeline(self, channels: int, model_scale: int) -> ImagePipeline:
        """The per-tile pipeline for images of ``channels`` channels at ``model_scale``."""
        return ImagePipeline(
            self.net,
            scale=model_scale,
            channels=channels,
            dtype=self.dtype,
            tta=self.tta,
            noise_level=self.noise_level,
        )

    def tile_for(self, width: int, channels: int, model_scale: int, *, streaming: bool) -> int | None:
        """The LR tile size to use: the configured one; for ``"auto"``, from free memory, and when streaming also
        small enough that the blended output band (float32, the full output width) stays under 1 GiB, but never
        under ``MIN_TILE_OVERLAPS`` overlaps (smaller tiles recompute most of the image: for inputs wider than
        about 10,000 pixels the band then takes more than 1 GiB rather than many times the time)."""
        if self.tile != "auto":
            return self.tile
        pipe = self.pipeline(channels, model_scale)
        if not pipe.card.tiling:
            return None
        size = auto_tile_size(pipe, scale=model_scale, device=self.dev, dtype=self.dtype)
        if streaming:
            per_row = width * model_scale * model_scale * (channels + 1) * 4 * 2  # output + weights, cat copy
            size = min(size, max(64, _BAND_BYTES // max(per_row, 1)))
        overlap = self.overlap if self.overlap is not None else default_overlap(pipe.card.receptive_field)
        least = -(-MIN_TILE_OVERLAPS * overlap // pipe.card.multiple_of) * pipe.card.multiple_of
        return max(size, least)

    def bands(
        self,
        pixels: np.ndarray,
        model_scale: int,
        *,
        streaming: bool = False,
        on_tile: ProgressFn | None = None,
    ) -> Iterator[tuple[int, int, Tensor]]:
        """Upscale ``(H, W, C)`` pixels by ``model_scale``, yielding ``(y0, y1, rows)`` bands top to bottom, rows
        as float32 tensors ``(1, C, y1 - y0, W * model_scale)`` in [0, 1] on the CPU."""
        if pixels.ndim != 3 or pixels.shape[2] not in (1, 2, 3, 4) or 0 in pixels.shape:
            raise SrkitError(f"expected pixels (H, W, C) with C in 1..4, got shape {pixels.shape}")
        h, w, c = pixels.shape
        if min(h, w) < 2:
            raise SrkitError(f"the image is {w}x{h} pixels: too small to upscale")
        x = _as_tensor(pixels)
        pipe = self.pipeline(c, model_scale)
        tile = self.tile_for(w, c, model_scale, streaming=streaming)
        overlap = self.overlap
        if tile is not None and overlap is not None and overlap >= tile:
            raise SrkitError(f"overlap ({overlap}) must be smaller than the tile ({tile})")
        for y0, y1, rows in iter_tiles(
            pipe,
            x,
            scale=model_scale,
            tile=tile,
            overlap=overlap,
            device=self.dev,
            dtype=torch.float32,
            on_tile=on_tile,
        ):
            yield y0, y1, rows.cpu()

    def upscale_array(self, pixels: np.ndarray, scale: float = 4, *, on_tile: ProgressFn | None = None) -> np.ndarray:
        """Upscale ``(H, W)`` or ``(H, W, C)`` pixels by ``scale``: uint8 and uint16 are computed from their
        levels, float (float16/32/64, in [0, 1]) in float32; the same dtype and layout come out.

        Raises:
            SrkitError: a bad scale, shape or dtype, an image under 2x2 pixels, or float values that are not
                finite or outside [0, 1].
        """
        if pixels.ndim == 2:
            return self.upscale_array(pixels[..., None], scale, on_tile=on_tile)[..., 0]
        h, w = pixels.shape[:2]
        model_scale, size = self.plan(h, w, scale)
        exact = size == (h * model_scale, w * model_scale)
        work = pixels.dtype if pixels.dtype in (np.uint8, np.uint16) else np.dtype(np.float32)
        if exact:
            out = np.empty((h * model_scale, w * model_scale, pixels.shape[2]), work)
            for y0, y1, rows in self.bands(pixels, model_scale, on_tile=on_tile):
                out[y0:y1] = quantize(rows, work)
        else:  # the model's output in float32, channels first (contiguous for the resize), clipped as quantize
            chw = torch.empty((pixels.shape[2], h * model_scale, w * model_scale))
            for y0, y1, rows in self.bands(pixels, model_scale, on_tile=on_tile):
                chw[:, y0:y1] = rows[0].clamp_(0.0, 1.0)
            out = quantize(imresize(chw, size=size)[None], work)
        return out.astype(pixels.dtype, copy=False)  # float16 / float64 back from float32

    def stream(
        self,
        pixels: np.ndarray,
        scale: float,
        write: Callable[[np.ndarray], None],
        *,
        out_dtype: np.dtype | None = None,
        on_tile: ProgressFn | None = None,
    ) -> tuple[int, int]:
        """Upscale and hand the output to ``write`` band by band (rows of ``out_dtype``, default the input's), so
        the output is never held whole when ``scale`` is one of the model's scales. Returns the output size.
        Other scales are resized in memory first."""
        dtype = np.dtype(out_dtype or pixels.dtype)
        h, w = pixels.shape[:2]
        model_scale, size = self.plan(h, w, scale)
        if size != (h * model_scale, w * model_scale):
            write(self.upscale_array(pixels, scale, on_tile=on_tile).astype(dtype, copy=False))
            return size
        for _, _, rows in self.bands(pixels, model_scale, streaming=True, on_tile=on_tile):
            write(quantize(rows, dtype).astype(dtype, copy=False))
        return size


def describe(model: nn.Module) -> str:
    """A short name for messages: the card's name (the shipped name for srkit's own models)."""
    return card_of(model).name


def default_output(path: Path, scale: float, suffix: str | None = None) -> Path:
    """``photo.jpg`` -> ``photo_x4.jpg`` (``photo_x2.5.jpg`` for scale 2.5) beside the input."""
    tag = f"{scale:g}"
    return path.with_name(f"{path.stem}_x{tag}{suffix or path.suffix}")
