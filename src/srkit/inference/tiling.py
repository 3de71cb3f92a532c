"""Tiled, memory-bounded inference: pad to the card's size rules, cut overlapping tiles, blend them seam-free.

Layout (per axis, in LR pixels): tiles of ``tile`` pixels start every ``stride = tile - overlap`` pixels (the stride
is rounded down to the card's ``multiple_of``, so window-attention models see the same window grid in every tile);
the last tile ends at the image border. Neighbouring tiles therefore share at least ``overlap`` pixels.

Blending: in each shared strip, each tile gives weight 0 to its outer ``margin`` pixels (whose context is cut off),
then a linear ramp over the middle ``overlap - 2 * margin`` pixels, then weight 1; the ramps of two neighbours sum
to one. ``margin = min(receptive_field, (overlap - 1) // 2)``, so **the tiled output equals the untiled output
(up to float rounding) when ``overlap > 2 * receptive_field``**; the default overlap is ``2 * receptive_field + 8``
(at least 8). Outputs are accumulated in an output buffer and a weight buffer, then divided, band by band (a band
is one row of tiles), so that :func:`iter_tiles` can hand finished output rows to a writer.

Tile sizes: ``None`` or ``0`` means no tiling (the whole image at once), ``"auto"`` a size from free memory. A
tile much smaller than a few overlaps recomputes most pixels (each tile adds only ``tile - overlap`` new pixels
per side): :func:`check_tile` refuses tiles under ``MIN_TILE_OVERLAPS`` (4) overlaps, which :class:`srkit.Upscaler`
applies (``--tile 64`` with srkit's quality model, overlap 46, made 144 tiles of a 256x256 input and took 9x and
21x the untiled time in two runs on a 2-core CPU); :func:`iter_tiles` itself accepts any tile larger than the
overlap.

Models whose card says ``tiling=False`` (global pooling/attention) are never tiled: an explicit ``tile`` smaller
than the image raises :class:`~srkit.SrkitError`; ``tile="auto"`` runs them on the whole image.

Every piece runs through :func:`run_piece`: padded to the card's ``multiple_of``/``min_size``, cast to the run's
dtype (kept float32 for a card with ``float32_io``), called as the card says (:func:`srkit.call_model`), checked
and cropped. This module works on tensors in the model's own channels; colour, gray and alpha handling is
:class:`srkit.Upscaler`'s.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from srkit._core.cards import call_model, card_of
from srkit._core.errors import SrkitError

__all__ = [
    "MIN_TILE_OVERLAPS",
    "auto_tile_size",
    "check_tile",
    "crop_to",
    "default_overlap",
    "iter_tiles",
    "pad_to_multiple",
    "run_piece",
    "upscale_tensor",
]

TileArg = int | Literal["auto"] | None
ProgressFn = Callable[[int, int], None]

_RAMP = 8  # LR pixels of linear blending added to twice the receptive field in the default overlap
MIN_TILE_OVERLAPS = 4  # the smallest tile check_tile accepts, in overlaps: at most (4/3)**2 = 1.8x the work


def default_overlap(receptive_field: int) -> int:
    """The overlap that makes tiling exact for a model with this receptive field: ``max(8, 2 * rf + 8)``.

    Example:
        >>> default_overlap(19)
        46
    """
    return max(8, 2 * receptive_field + _RAMP)


def check_tile(tile: TileArg, overlap: int, *, name: str = "the model") -> int | Literal["auto"] | None:
    """``tile`` checked against ``overlap``, with 0 meaning None (no tiling).

    Raises:
        SrkitError: a tile that is not a positive int, "auto", 0 or None; or a tile smaller than
            ``MIN_TILE_OVERLAPS * overlap``, which would recompute most of the image (the message gives the
            estimated extra work and the smallest tile accepted).

    Example:
        >>> check_tile(0, 46) is None, check_tile(184, 46)
        (True, 184)
    """
    if tile is None or tile == "auto":
        return tile
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < 0:
        raise SrkitError(f"tile must be a positive int, 'auto', or None / 0 for no tiling, got {tile!r}")
    if tile == 0:
        return None
    least = MIN_TILE_OVERLAPS * overlap
    if tile < least:
        work = (tile / max(tile - overlap, 1)) ** 2
        raise SrkitError(
            f"tile {tile} is too small for {name}: tiles overlap by {overlap} LR px, so each adds only "
            f"{max(tile - overlap, 0)} new px per side and the image would be computed about {work:.0f}x over; use a "
            f"tile of at least {least} ({MIN_TILE_OVERLAPS}x the overlap), 'auto' or none (or a smaller overlap, "
            "which makes seams inexact)"
        )
    return tile


def pad_to_multiple(x: Tensor, multiple: int, *, min_size: int = 1) -> tuple[Tensor, tuple[int, int]]:
    """Pad ``x`` at the bottom and right so that height and width are multiples of ``multiple`` (and >= min_size).

    Reflect padding; replicate padding where the image is too small to reflect (pad >= size).

    Args:
        x: images.
        multiple: the size multiple (>= 1).
        min_size: smallest padded height/width.

    Returns:
        ``(padded, (h, w))``: the padded images and the original size, for :func:`crop_to`.

    Shape:
        ``(B, C, H, W) -> (B, C, H', W')`` with ``H' % multiple == 0``.

    Example:
        >>> padded, size = pad_to_multiple(torch.rand(1, 3, 13, 17), 8)
        >>> padded.shape[-2:], size
        (torch.Size([16, 24]), (13, 17))
    """
    if x.ndim != 4:
        raise SrkitError(f"pad_to_multiple expects (B, C, H, W), got shape {tuple(x.shape)}")
    if multiple < 1 or min_size < 1:
        raise SrkitError(f"multiple and min_size must be >= 1, got {multiple} and {min_size}")
    h, w = x.shape[-2:]
    th = max(math.ceil(h / multiple), math.ceil(min_size / multiple)) * multiple
    tw = max(math.ceil(w / multiple), math.ceil(min_size / multiple)) * multiple
    ph, pw = th - h, tw - w
    if ph == 0 and pw == 0:
        return x, (h, w)
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode), (h, w)


def crop_to(y: Tensor, size: tuple[int, int], scale: int = 1) -> Tensor:
    """Crop the output of a padded input back to ``scale * size`` (undoes :func:`pad_to_multiple`).

    Example:
        >>> crop_to(torch.rand(1, 3, 32, 48), (13, 17), scale=2).shape
        torch.Size([1, 3, 26, 34])
    """
    return y[..., : size[0] * scale, : size[1] * scale]


def _param_ref(model: nn.Module) -> Tensor | None:
    return next(iter(model.parameters()), None)


def _available_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # not Linux: assume 4 GiB
        return 4 << 30


def auto_tile_size(
    model: nn.Module,
    *,
    scale: int = 4,
    device: torch.device | None = None,
    dtype: torch.dtype | None = None,
    budget_bytes: int | None = None,
) -> int:
    """An LR tile size that should fit in half of the free memory of ``device``.

    Heuristic: one LR pixel costs ``elem * (2 * sqrt(P) + 4 * C * scale**2)`` bytes, with ``P`` the model's
    parameter count (a proxy for feature width x depth of live activations) and the second term the HR output;
    the tile is the square root of ``budget / cost``, rounded down to the card's ``multiple_of``, between 64 and 4096.

    Args:
        model: the model (its card gives ``multiple_of`` and ``out_channels``).
        scale: the output scale.
        device: where the tiles run (default: the model's parameters' device).
        dtype: the tiles' dtype (default: the model's parameters' dtype).
        budget_bytes: memory to use (default: half of the free memory: ``torch.cuda.mem_get_info`` on CUDA,
            ``SC_AVPHYS_PAGES * SC_PAGE_SIZE`` elsewhere).

    Returns:
        The LR tile size.

    Example:
        >>> from srkit import ModelCard, with_card
        >>> net = with_card(nn.Conv2d(3, 3, 3), ModelCard(name="toy", arch="Conv2d", paper="", scales=(1,)))
        >>> auto_tile_size(net, scale=2, budget_bytes=1 << 20) >= 64
        True
    """
    ref = _param_ref(model)
    dev = device or (ref.device if ref is not None else torch.device("cpu"))
    dt = dtype or (ref.dtype if ref is not None else torch.float32)
    budget = _available_bytes(dev) // 2 if budget_bytes is None else budget_bytes
    card = card_of(model)
    params = sum(p.numel() for p in model.parameters())
    elem = torch.empty((), dtype=dt).element_size()
    per_px = elem * (2 * math.sqrt(max(params, 1)) + 4 * card.out_channels * scale * scale)
    mult = card.multiple_of
    size = int(math.sqrt(max(budget, 0) / per_px))
    return max(64, min(4096, size)) // mult * mult


def run_piece(
    model: nn.Module, x: Tensor, scale: int | None, device: torch.device, dtype: torch.dtype
) -> tuple[Tensor, int]:
    """Run ``model`` on one whole piece as its card says: pad to ``multiple_of``/``min_size``, cast (uint8 to
    [0, 1]; float32 kept for ``float32_io`` cards), call, check the output size, crop.

    Args:
        model: a model with a card.
        x: ``(B, C, H, W)`` float images, or uint8 (0-255).
        scale: a scale the model serves (None: the one it was built for).
        device, dtype: where and in which dtype the model runs.

    Returns:
        ``(output, scale)``: float32 on ``x``'s device, ``(B, C_out, scale * H, scale * W)``, not clamped.
    """
    card = card_of(model)
    if x.dtype == torch.uint8:  # 8-bit images stay 8-bit in memory; each piece becomes float in [0, 1]
        x = x.to(device, torch.float32).div_(255.0)
    padded, size = pad_to_multiple(x, card.multiple_of, min_size=card.min_size)
    piece = padded.to(device, torch.float32 if card.float32_io else dtype)
    if card.pixel_range != 1.0:
        piece = piece * card.pixel_range
    out = call_model(model, piece, scale)
    if card.pixel_range != 1.0:
        out = out / card.pixel_range
    s = out.shape[-2] // padded.shape[-2]
    if out.ndim != 4 or s < 1 or out.shape[-2:] != (s * padded.shape[-2], s * padded.shape[-1]):
        raise SrkitError(f"the model returned shape {tuple(out.shape)} for input {tuple(padded.shape)}: not x{s}")
    if scale is not None and s != scale:
        raise SrkitError(f"the model upscales x{s}, not x{scale} (is it built for scale {scale}?)")
    return crop_to(out, size, s).to(x.device, torch.float32), s


def _starts(length: int, tile: int, stride: int) -> list[int]:
    starts = [0]
    while starts[-1] + tile < length:
        starts.append(starts[-1] + stride)
    return starts


def _window(n: int, lo_inner: bool, hi_inner: bool, margin: int, ramp: int, device: torch.device) -> Tensor:
    """1-D weights over ``n`` HR pixels: 0 on inner margins, a linear ramp, then 1 (ramps of neighbours sum to 1)."""
    w = torch.ones(n, device=device)
    up = (torch.arange(ramp, device=device, dtype=torch.float32) + 0.5) / ramp
    if lo_inner:
        w[:margin] = 0
        seg = w[margin : margin + ramp]
        seg.copy_(up[: seg.numel()])
    if hi_inner:
        w[n - margin :] = 0
        a = max(0, n - margin - ramp)
        seg = w[a : n - margin]
        seg.copy_(torch.minimum(seg, up.flip(0)[ramp - seg.numel() :]))
    return w


def _check(x: Tensor, tile: TileArg, overlap: int | None) -> None:
    if x.ndim != 4 or not (x.is_floating_point() or x.dtype == torch.uint8):
        raise SrkitError(f"expected float or uint8 images (B, C, H, W), got {x.dtype} of shape {tuple(x.shape)}")
    if tile is not None and tile != "auto" and (isinstance(tile, bool) or not isinstance(tile, int) or tile < 0):
        raise SrkitError(f"tile must be a positive int, 'auto', or None / 0 for no tiling, got {tile!r}")
    if overlap is not None and overlap < 0:
        raise SrkitError(f"overlap must be >= 0, got {overlap}")
    if isinstance(tile, int) and tile > 0 and overlap is not None and overlap >= tile:
        raise SrkitError(f"overlap ({overlap}) must be smaller than tile ({tile})")


def iter_tiles(
    model: nn.Module,
    x: Tensor,
    *,
    scale: int | None = None,
    tile: TileArg = None,
    overlap: int | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    on_tile: ProgressFn | None = None,
) -> Iterator[tuple[int, int, Tensor]]:
    """Upscale ``x`` tile by tile, yielding finished output bands top to bottom.

    Each band is ``(y0, y1, rows)``: HR rows ``y0:y1`` of the final output, in float32 on ``x``'s device; the bands
    concatenate (``torch.cat(..., dim=-2)``) to :func:`upscale_tensor`'s result. At most about one row of tiles is
    held at a time, so a writer can stream a huge output to disk. Call ``model.eval()`` first.

    Args:
        model: a model with a card (``srkit.build_model``, ``load_model``, ``create_model``, or
            ``srkit.with_card``): it gives the calling convention, the padding and the overlap.
        x: LR images in [0, 1], or uint8 (0-255: each tile is made float, so a huge image stays 8-bit in memory).
        scale: a scale the model serves (None: the one it was built for); the output is checked against it.
        tile: LR tile size; None or 0: no tiling; "auto": from free memory (:func:`auto_tile_size`).
        overlap: LR pixels shared by neighbouring tiles (default :func:`default_overlap`); the tiled
            output equals the untiled one when ``overlap > 2 * receptive_field``.
        device, dtype: where and in which dtype tiles run (default: the model's parameters'); the model is not moved.
        on_tile: called as ``on_tile(done, total)`` after each tile.

    Yields:
        ``(y0, y1, rows)`` with rows of shape ``(B, C_out, y1 - y0, scale * W)``.

    Example:
        >>> from srkit import ModelCard, with_card
        >>> card = ModelCard(name="toy", arch="Sequential", paper="", scales=(2,), receptive_field=1)
        >>> m = with_card(nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2)), card)
        >>> [(y0, y1) for y0, y1, _ in iter_tiles(m, torch.rand(1, 3, 40, 40), tile=24, overlap=16)]
        [(0, 30), (30, 46), (46, 80)]
    """
    _check(x, tile, overlap)
    tile = None if tile == 0 else tile
    ref = _param_ref(model)
    dev = torch.device(device) if device is not None else (ref.device if ref is not None else x.device)
    dt = dtype or (ref.dtype if ref is not None else torch.float32)
    card = card_of(model)
    h, w = x.shape[-2:]
    if tile == "auto":
        tile = auto_tile_size(model, scale=scale or card.default_scale(), device=dev, dtype=dt) if card.tiling else None
    if tile is not None and not card.tiling and (h > tile or w > tile):
        raise SrkitError(f"model {card.name!r} cannot be tiled (global pooling/attention): use tile=None")
    rf = card.receptive_field
    ov = default_overlap(rf) if overlap is None else overlap
    if tile is not None and ov >= tile:
        raise SrkitError(f"overlap ({ov}, from receptive field {rf}) must be smaller than tile ({tile})")
    if tile is None or (h <= tile and w <= tile):
        with torch.no_grad():
            out, _ = run_piece(model, x, scale, dev, dt)
        if on_tile is not None:
            on_tile(1, 1)
        yield 0, out.shape[-2], out
        return
    mult = card.multiple_of
    stride = max(mult, (tile - ov) // mult * mult)
    ov = tile - stride
    margin = min(rf, (ov - 1) // 2)
    ramp = ov - 2 * margin
    ys, xs = _starts(h, tile, stride), _starts(w, tile, stride)
    total, done = len(ys) * len(xs), 0
    acc = wsum = None
    lo = 0  # HR row of acc[..., 0, :]
    s = 0
    for bi, y0 in enumerate(ys):
        y1 = min(y0 + tile, h)
        for xi, x0 in enumerate(xs):
            x1 = min(x0 + tile, w)
            with torch.no_grad():
                out, s = run_piece(model, x[..., y0:y1, x0:x1], scale, dev, dt)
            if acc is None or wsum is None:
                acc = x.new_zeros((x.shape[0], out.shape[1], y1 * s - lo, w * s), dtype=torch.float32)
                wsum = x.new_zeros((1, 1, y1 * s - lo, w * s), dtype=torch.float32)
            if xi == 0 and acc.shape[-2] < y1 * s - lo:  # grow the buffer down to this band's end
                grow = y1 * s - lo - acc.shape[-2]
                acc = torch.cat([acc, acc.new_zeros((*acc.shape[:2], grow, acc.shape[-1]))], dim=-2)
                wsum = torch.cat([wsum, wsum.new_zeros((1, 1, grow, wsum.shape[-1]))], dim=-2)
            wy = _window((y1 - y0) * s, y0 > 0, y1 < h, margin * s, ramp * s, x.device)
            wx = _window((x1 - x0) * s, x0 > 0, x1 < w, margin * s, ramp * s, x.device)
            top = y0 * s - lo  # rows above lo carry zero weight (inner margin), so they are skipped
            skip = max(0, -top)
            weight = wy[skip:, None] * wx[None, :]
            rows = slice(top + skip, (y1 - y0) * s + top)
            acc[..., rows, x0 * s : x1 * s] += out[..., skip:, :] * weight
            wsum[..., rows, x0 * s : x1 * s] += weight
            done += 1
            if on_tile is not None:
                on_tile(done, total)
        assert acc is not None and wsum is not None
        fin = h * s if bi == len(ys) - 1 else (ys[bi + 1] + margin) * s  # rows no later band touches
        n = fin - lo
        yield lo, fin, acc[..., :n, :] / wsum[..., :n, :]
        acc, wsum, lo = acc[..., n:, :], wsum[..., n:, :], fin


def upscale_tensor(
    model: nn.Module,
    x: Tensor,
    *,
    scale: int | None = None,
    tile: TileArg = None,
    overlap: int | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    on_tile: ProgressFn | None = None,
) -> Tensor:
    """Upscale ``x`` with ``model``, padding to its card's size rules and optionally tiling (see :func:`iter_tiles`).

    Args:
        model: a model with a card, in eval mode.
        x: LR images in [0, 1], in the model's channels (a Y-channel model takes Y; :class:`srkit.Upscaler`
            turns RGB images into what the card asks for).
        scale, tile, overlap, device, dtype, on_tile: as in :func:`iter_tiles`.

    Returns:
        The upscaled images, in ``x``'s dtype (float32 in [0, 1] for uint8 ``x``) and device (not clamped).

    Shape:
        ``(B, C, H, W) -> (B, C_out, scale * H, scale * W)``.

    Example:
        >>> from srkit import ModelCard, with_card
        >>> card = ModelCard(name="toy", arch="Sequential", paper="", scales=(2,), receptive_field=1)
        >>> m = with_card(nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2)), card)
        >>> upscale_tensor(m, torch.rand(1, 3, 37, 53), tile=24, overlap=16).shape
        torch.Size([1, 3, 74, 106])
    """
    bands = [
        b
        for _, _, b in iter_tiles(
            model, x, scale=scale, tile=tile, overlap=overlap, device=device, dtype=dtype, on_tile=on_tile
        )
    ]
    return torch.cat(bands, dim=-2).to(torch.float32 if x.dtype == torch.uint8 else x.dtype)
