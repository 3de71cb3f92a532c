"""SwinIR: J. Liang, J. Cao, G. Sun, K. Zhang, L. Van Gool, R. Timofte, "SwinIR: Image Restoration Using Swin
Transformer", ICCV Workshops 2021. https://arxiv.org/abs/2108.10257 (official code: github.com/JingyunLiang/SwinIR,
``models/network_swinir.py``).

A post-upsampling network whose deep feature extraction is a stack of residual Swin Transformer blocks (RSTB: Swin
Transformer layers with window self-attention, alternately shifted windows, and a closing 3x3 convolution), between a
3x3 shallow-feature convolution and a sub-pixel reconstruction. The Swin layers are in :mod:`srkit.archs._swin`.
Submodule names follow the official code (``conv_first``, ``patch_embed.norm``,
``layers.{i}.residual_group.blocks.{j}``, ``norm``, ``conv_after_body``, ``conv_before_upsample``, ``upsample``,
``conv_last``): the official classical and lightweight SR checkpoints load once :func:`convert_official` has
dropped the two constants they may store (``relative_position_index``, ``attn_mask``), and :func:`detect` reads the
configuration from the shapes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._convert import count
from srkit.archs._registry import Builder
from srkit.archs._swin import RSTB, relative_position_index, shifted_window_mask
from srkit.archs.checkpoint import Detection
from srkit.blocks import MeanShift, check_scale, conv2d

PAPER = (
    "J. Liang, J. Cao, G. Sun, K. Zhang, L. Van Gool, R. Timofte, 'SwinIR: Image Restoration Using Swin "
    "Transformer', ICCV Workshops 2021"
)
UPSAMPLERS = ("pixelshuffle", "pixelshuffledirect")


class _PatchEmbed(nn.Module):
    """``(B, C, H, W) -> (B, H*W, C)`` tokens, then LayerNorm (SwinIR's ``PatchEmbed`` with patch size 1)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.flatten(2).transpose(1, 2))


def _pixelshuffle(in_channels: int, out_channels: int, scale: int) -> list[nn.Module]:
    """Sub-pixel steps: x2 steps for powers of two, one x3 step for 3 (SwinIR's ``Upsample``)."""
    steps = [3] if scale == 3 else [2] * int(math.log2(scale))
    layers: list[nn.Module] = []
    for i, step in enumerate(steps):
        layers += [
            conv2d(in_channels if i == 0 else out_channels, step * step * out_channels, 3),
            nn.PixelShuffle(step),
        ]
    return layers


class SwinIR(nn.Module):
    """SwinIR for classical and lightweight SR (Liang et al. 2021)::

        x' = pixel_range * pad(x) - pixel_range * mean           # reflect-pad to a multiple of the window size
        f0 = conv_first(x')                                      # 3x3, in_channels -> n_feats
        f = conv_after_body(unembed(norm(RSTB_K(... RSTB_1(embed(f0)))))) + f0
        classical ("pixelshuffle"):     y = conv_last(upsample(lrelu(conv_before_upsample(f))))   # 64 channels
        lightweight ("pixelshuffledirect"): y = PixelShuffle(conv3x3(f))                           # one step
        out = crop((y + pixel_range * mean) / pixel_range)

    Each RSTB holds ``depths[i]`` Swin layers with ``n_heads[i]`` heads, 8x8 windows (shifted by 4 in every other
    layer) and MLP ratio 2. The DIV2K mean is used for 3 channels (zero otherwise), with ``pixel_range = 1``.
    ``drop_path`` is the stochastic-depth rate, spread linearly over the layers (the official training uses 0.1;
    srkit defaults to 0 so that the training forward is deterministic).

    Classical SwinIR (180 features, 6 RSTB x 6 layers, 6 heads): 11.75M / 11.94M / 11.90M parameters at x2 / x3 / x4;
    lightweight (60 features, 4 RSTB x 6 layers): 878K / 886K / 897K.

    Args:
        scale: 2, 3, 4 or 8 (``pixelshuffle``); any integer >= 1 (``pixelshuffledirect``).
        in_channels, out_channels: image channels.
        n_feats: embedding dimension.
        depths: Swin layers per RSTB.
        n_heads: attention heads per RSTB (one entry per RSTB).
        window_size: attention window size.
        mlp_ratio: MLP hidden width / ``n_feats``.
        upsampler: ``pixelshuffle`` (classical) or ``pixelshuffledirect`` (lightweight).
        qkv_bias: biases in the query/key/value projection.
        drop_path: stochastic-depth rate.
        pixel_range: the pixel range the network works in (SwinIR: 1).

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)`` for any ``H``, ``W`` (padded inside).

    Example:
        >>> m = SwinIR(scale=2, n_feats=12, depths=(2,), n_heads=(2,), window_size=4, upsampler="pixelshuffledirect")
        >>> m(torch.rand(1, 3, 6, 10)).shape
        torch.Size([1, 3, 12, 20])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 2,
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 180,
        depths: tuple[int, ...] = (6, 6, 6, 6, 6, 6),
        n_heads: tuple[int, ...] = (6, 6, 6, 6, 6, 6),
        window_size: int = 8,
        mlp_ratio: float = 2.0,
        upsampler: str = "pixelshuffle",
        qkv_bias: bool = True,
        drop_path: float = 0.0,
        pixel_range: float = 1.0,
    ) -> None:
        super().__init__()
        if upsampler not in UPSAMPLERS:
            raise SrkitError(f"unknown upsampler {upsampler!r}; choose one of {', '.join(UPSAMPLERS)}")
        power_of_two = scale >= 1 and scale & (scale - 1) == 0
        check_scale("SwinIR", scale)
        if upsampler == "pixelshuffle" and not (scale == 3 or power_of_two):
            raise SrkitError(f"SwinIR's pixelshuffle upsampler supports 3 and powers of two, got {scale}")
        if len(depths) != len(n_heads) or not depths:
            raise SrkitError(f"SwinIR needs one n_heads entry per RSTB, got depths {depths} and n_heads {n_heads}")
        if any(n_feats % h for h in n_heads) or window_size < 2:
            raise SrkitError(f"n_feats must divide by every n_heads and window_size >= 2, got {n_feats}, {n_heads}")
        self.scale, self.window_size, self.pixel_range, self.kind = scale, window_size, pixel_range, upsampler
        mean = None if in_channels == 3 else (0.0,) * in_channels  # SwinIR's: the DIV2K mean, zero for gray
        # not persistent: SwinIR's checkpoints do not hold the mean
        self.sub_mean = MeanShift(channels=in_channels, sign=-1, pixel_range=pixel_range, mean=mean, persistent=False)
        self.add_mean = MeanShift(channels=out_channels, sign=+1, pixel_range=pixel_range, mean=mean, persistent=False)
        self.conv_first = conv2d(in_channels, n_feats, 3)
        self.patch_embed = _PatchEmbed(n_feats)
        total = sum(depths)
        rates = [drop_path * i / max(total - 1, 1) for i in range(total)]  # linear 0 .. drop_path, in Python (meta)
        self.layers = nn.ModuleList(
            RSTB(n_feats, d, h, window_size, mlp_ratio, qkv_bias, rates[sum(depths[:i]) : sum(depths[: i + 1])])
            for i, (d, h) in enumerate(zip(depths, n_heads, strict=True))
        )
        self.norm = nn.LayerNorm(n_feats)
        self.conv_after_body = conv2d(n_feats, n_feats, 3)
        if upsampler == "pixelshuffle":
            self.conv_before_upsample = nn.Sequential(conv2d(n_feats, 64, 3), nn.LeakyReLU(inplace=True))
            self.upsample = nn.Sequential(*_pixelshuffle(64, 64, scale))
            self.conv_last: nn.Module = conv2d(64, out_channels, 3)
        else:
            self.upsample = nn.Sequential(conv2d(n_feats, out_channels * scale * scale, 3), nn.PixelShuffle(scale))
        self.apply(_init_weights)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The deep features (before ``conv_after_body``): ``(B, n_feats, H, W)`` with window-aligned ``H, W``."""
        b, c, h, w = x.shape
        shift = self.window_size // 2
        mask = shifted_window_mask(h, w, self.window_size, shift, device=x.device, dtype=x.dtype)
        tokens = self.patch_embed(x)
        for layer in self.layers:
            tokens = layer(tokens, (h, w), mask)
        return self.norm(tokens).transpose(1, 2).reshape(b, c, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ws = self.window_size
        pad_h, pad_w = (-h) % ws, (-w) % ws
        mode = "reflect" if pad_h < h and pad_w < w else "replicate"  # reflect needs pad < size
        x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode) if pad_h or pad_w else x
        f0 = self.conv_first(self.sub_mean(x * self.pixel_range))
        f = self.conv_after_body(self.forward_features(f0)) + f0
        if self.kind == "pixelshuffle":
            y = self.conv_last(self.upsample(self.conv_before_upsample(f)))
        else:
            y = self.upsample(f)
        return (self.add_mean(y) / self.pixel_range)[..., : h * self.scale, : w * self.scale]


def _init_weights(m: nn.Module) -> None:
    """SwinIR's initialisation: truncated normal (std 0.02) for linear layers, unit LayerNorms; convolutions keep
    PyTorch's default."""
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


_BLOCK = "layers.{}.residual_group.blocks.{}."


def convert_official(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An official SwinIR state dict (``models/network_swinir.py``) in srkit's keys: the same names, without the
    constants srkit derives instead of storing (each block's ``attn.relative_position_index``, checked against
    srkit's, and the shifted blocks' ``attn_mask``, which depends on the training patch size). A state dict
    without them (srkit's own, or a pruned one) passes through.

    Raises:
        SrkitError: not a SwinIR state dict, or a stored relative-position index that differs from srkit's.

    Example:
        >>> sorted(convert_official({"conv_first.weight": torch.zeros(1), _BLOCK.format(0, 0) + "attn.qkv.weight":
        ...     torch.zeros(1), _BLOCK.format(0, 1) + "attn_mask": torch.zeros(1)}))[0]
        'conv_first.weight'
    """
    probe = _BLOCK.format(0, 0) + "attn.qkv.weight"
    if "conv_first.weight" not in state or probe not in state:
        raise SrkitError(f"not a SwinIR state dict: no conv_first.weight or {probe}")
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.endswith(".attn_mask"):
            continue
        if key.endswith(".attn.relative_position_index"):
            ws = (math.isqrt(value.shape[0]) if value.ndim == 2 else 0) or 1
            if value.shape != (ws * ws, ws * ws) or not torch.equal(value.cpu().long(), relative_position_index(ws)):
                raise SrkitError(f"{key} is not the relative-position index of a {ws}x{ws} window")
            continue
        out[key] = value
    return out


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`SwinIR` for a SwinIR state dict in srkit's keys (run
    :func:`convert_official` first on an official one), else None.

    The embedding size and channels come from ``conv_first``; the RSTB depths from the blocks counted per layer; the
    heads and the window size from each layer's relative-position table (``(2 ws - 1)^2`` rows, one column per
    head); the MLP ratio from ``fc1``; the upsampler from the reconstruction keys (``conv_before_upsample``:
    classical ``pixelshuffle``; ``upsample.0`` alone: lightweight ``pixelshuffledirect``) and the scale from its
    convolutions. Variants srkit does not build are refused: real-world SwinIR (``nearest+conv``: ``conv_up1``),
    the large model's ``3conv`` residual connections, denoising/JPEG models (no upsampler), absolute position
    embeddings.

    Example:
        >>> m = SwinIR(scale=3, n_feats=12, depths=(2, 2), n_heads=(2, 3), window_size=4)
        >>> {k: v for k, v in detect(m.state_dict()).items() if k in ("scale", "depths", "n_heads", "window_size")}
        {'scale': 3, 'depths': (2, 2), 'n_heads': (2, 3), 'window_size': 4}
    """
    table = _BLOCK.format(0, 0) + "attn.relative_position_bias_table"
    required = ("conv_first.weight", "patch_embed.norm.weight", table, "norm.weight", "conv_after_body.weight")
    if not all(k in state for k in required) or "layers.0.conv.weight" not in state:
        return None  # "3conv" residual connections keep their convolutions under conv.0 / conv_after_body.0
    if "absolute_pos_embed" in state or "conv_up1.weight" in state or state["conv_first.weight"].ndim != 4:
        return None
    n_feats, in_channels = (int(d) for d in state["conv_first.weight"].shape[:2])
    n_layers = count(state, "layers.{}.conv.weight")
    depths = tuple(count(state, _BLOCK.format(i, "{}") + "norm1.weight") for i in range(n_layers))
    tables = [state[_BLOCK.format(i, 0) + "attn.relative_position_bias_table"] for i in range(len(depths))]
    side = math.isqrt(int(tables[0].shape[0]))
    window_size, hidden = (side + 1) // 2, int(state[_BLOCK.format(0, 0) + "mlp.fc1.weight"].shape[0])
    if 0 in depths or side * side != tables[0].shape[0] or side % 2 == 0 or any(t.ndim != 2 for t in tables):
        return None
    kwargs: dict[str, Any] = {
        "in_channels": in_channels,
        "n_feats": n_feats,
        "depths": depths,
        "n_heads": tuple(int(t.shape[1]) for t in tables),
        "window_size": window_size,
        "mlp_ratio": hidden / n_feats,
        "qkv_bias": _BLOCK.format(0, 0) + "attn.qkv.bias" in state,
    }
    if "conv_before_upsample.0.weight" in state and "conv_last.weight" in state:
        steps: list[int] = []  # filters of the sub-pixel convolutions upsample.0, .2, ...: 4 x 64 (x2) or 9 x 64 (x3)
        while f"upsample.{2 * len(steps)}.weight" in state:
            steps.append(int(state[f"upsample.{2 * len(steps)}.weight"].shape[0]))
        valid = steps == [576] or (steps and steps == [256] * len(steps))
        if state["conv_before_upsample.0.weight"].shape[0] != 64 or not valid:
            return None
        scale = 3 if steps == [576] else 2 ** len(steps)
        out_channels, upsampler = int(state["conv_last.weight"].shape[0]), "pixelshuffle"
    elif "upsample.0.weight" in state and "conv_last.weight" not in state:
        up = int(state["upsample.0.weight"].shape[0])
        scale = math.isqrt(up // in_channels)
        if scale < 1 or scale * scale * in_channels != up:
            return None
        out_channels, upsampler = in_channels, "pixelshuffledirect"
    else:
        return None
    return {"scale": scale, **kwargs, "out_channels": out_channels, "upsampler": upsampler}


def arch_name(kwargs: Mapping[str, Any]) -> str:
    """The registry name of the variant :func:`detect`'s arguments describe: ``swinir`` (classical,
    ``pixelshuffle``) or ``swinir_light`` (lightweight, ``pixelshuffledirect``)."""
    return "swinir_light" if kwargs.get("upsampler") == "pixelshuffledirect" else "swinir"


def swinir(*, scale: int = 2, **overrides: Any) -> SwinIR:
    """Classical SwinIR (embed 180, 6 RSTB x 6 layers, 6 heads, window 8, pixelshuffle)."""
    kw: dict[str, Any] = {"n_feats": 180, "depths": (6,) * 6, "n_heads": (6,) * 6, "upsampler": "pixelshuffle"}
    return SwinIR(scale=scale, **{**kw, "window_size": 8, "mlp_ratio": 2.0, **overrides})


def swinir_light(*, scale: int = 2, **overrides: Any) -> SwinIR:
    """Lightweight SwinIR (embed 60, 4 RSTB x 6 layers, 6 heads, window 8, pixelshuffledirect)."""
    kw: dict[str, Any] = {"n_feats": 60, "depths": (6,) * 4, "n_heads": (6,) * 4, "upsampler": "pixelshuffledirect"}
    return SwinIR(scale=scale, **{**kw, "window_size": 8, "mlp_ratio": 2.0, **overrides})


def _rows(rows: dict[tuple[str, int], tuple[float, float]], source: str) -> tuple[Published, ...]:
    return tuple(Published(d, s, p, q, source) for (d, s), (p, q) in rows.items())


_NOTES = (
    "RGB in [0, 1] with the DIV2K mean (pixel_range 1). Inputs of any size: the model reflect-pads to a multiple of "
    "the window size (8) and crops; multiple_of=8 lets inference pad instead. Parameters counted with "
    "sum(p.numel()), relative-position tables included (the index and the shift mask are derived, not stored). "
    "Tiling is approximate: windows are local but anchored to the image grid (tiles aligned to 8 pixels keep them). "
    "receptive_field: the Swin layers x 7 pixels (window - 1) + the 3x3 convolutions, an upper bound. "
    "drop_path defaults to 0 (official training: 0.1). "
)
ZOO: list[tuple[Builder, ModelCard]] = [
    (
        swinir,
        ModelCard(
            name="swinir",
            arch="SwinIR",
            paper=PAPER,
            scales=(2, 3, 4, 8),
            params={2: 11_752_487, 3: 11_937_127, 4: 11_900_199, 8: 12_047_911},
            published_params={2: 11_750_000, 3: 11_940_000, 4: 11_900_000},
            multiple_of=8,
            receptive_field=263,
            published=_rows(
                {
                    ("Set5", 2): (38.35, 0.9620),
                    ("Set14", 2): (34.14, 0.9227),
                    ("Set5", 3): (34.89, 0.9312),
                    ("Set14", 3): (30.77, 0.8503),
                    ("Set5", 4): (32.72, 0.9021),
                    ("Set14", 4): (28.94, 0.7914),
                },
                "[SwinIR] (DIV2K-trained)",
            )
            + _rows(
                {
                    ("Set5", 2): (38.42, 0.9623),
                    ("Set14", 2): (34.46, 0.9250),
                    ("Set5", 3): (34.97, 0.9318),
                    ("Set14", 3): (30.93, 0.8534),
                    ("Set5", 4): (32.92, 0.9044),
                    ("Set14", 4): (29.09, 0.7950),
                },
                "[SwinIR] (DF2K-trained)",
            ),
            notes=_NOTES
            + "Published rows: DIV2K-trained first, then DF2K-trained (published_for returns the first). x8 is "
            "registered for the official x8 checkpoints (three x2 sub-pixel steps); the paper gives no x8 "
            "parameter count.",
        ),
    ),
    (
        swinir_light,
        ModelCard(
            name="swinir_light",
            arch="SwinIR",
            paper=PAPER + " (lightweight)",
            scales=(2, 3, 4),
            params={2: 910_152, 3: 918_267, 4: 929_628},
            multiple_of=8,
            receptive_field=175,
            published=_rows(
                {
                    ("Set5", 2): (38.14, 0.9611),
                    ("Set14", 2): (33.86, 0.9206),
                    ("Set5", 3): (34.62, 0.9289),
                    ("Set14", 3): (30.54, 0.8463),
                    ("Set5", 4): (32.44, 0.8976),
                    ("Set14", 4): (28.77, 0.7858),
                },
                "[SwinIR]",
            ),
            notes=_NOTES
            + "published_params is left out on purpose: the paper's 878K / 886K / 897K are the counts without the "
            "24 relative-position bias tables (24 x 225 x 6 = 32,400 parameters): 910,152 - 32,400 = 877,752, "
            "918,267 - 32,400 = 885,867, 929,628 - 32,400 = 897,228. srkit follows the official code (whose "
            "checkpoints hold the tables; traiNNer-redux's benchmark CSV counts 910K), as the classical model's "
            "published counts (11.75M / 11.94M / 11.90M) do.",
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection(
        "swinir",
        detect,
        "conv_first, patch_embed.norm, layers.N.residual_group.blocks.N.attn, conv_after_body (SwinIR)",
        convert_official,
        name_of=arch_name,
    ),
]

__all__ = ["DETECTIONS", "ZOO", "SwinIR", "arch_name", "convert_official", "detect", "swinir", "swinir_light"]
