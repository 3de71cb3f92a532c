"""ESRGAN's generator, RRDBNet: X. Wang, K. Yu, S. Wu, J. Gu, Y. Liu, C. Dong, Y. Qiao, C. C. Loy, "ESRGAN: Enhanced
Super-Resolution Generative Adversarial Networks", ECCV Workshops (PIRM) 2018. https://arxiv.org/abs/1809.00219
(official code: github.com/xinntao/ESRGAN; maintained in github.com/XPixelGroup/BasicSR, ``rrdbnet_arch.py``).

23 residual-in-residual dense blocks (:class:`srkit.blocks.RRDB`, no batch norm, residual scaling 0.2) between two
convolutions with a long skip, then two nearest-neighbour x2 steps each followed by a convolution and
LeakyReLU(0.2), an HR convolution and the last convolution. The same network, trained with L1 only, is the
PSNR-oriented "RRDB" model; with the perceptual + relativistic GAN losses it is ESRGAN. Real-ESRGAN's x2 model
(and x1) reuses it by pixel-unshuffling the input first, so the body still runs at a quarter of the output size.

Submodule names are BasicSR's (``conv_first``, ``body.{i}.rdb{1,2,3}.conv{1..5}``, ``conv_body``, ``conv_up1``,
``conv_up2``, ``conv_hr``, ``conv_last``), so BasicSR, Real-ESRGAN and most community ESRGAN checkpoints load with
``load_state_dict(strict=True)`` (:func:`detect`). The original ESRGAN repository's older names (``RRDB_trunk``,
``trunk_conv``, ``upconv1``, ``HRconv``; or the first release's ``model.{i}``) are renamed by
:func:`convert_official`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import RRDB, check_scale, conv2d

PAPER = (
    "X. Wang, K. Yu, S. Wu, J. Gu, Y. Liu, C. Dong, Y. Qiao, C. C. Loy, 'ESRGAN: Enhanced Super-Resolution "
    "Generative Adversarial Networks', ECCV Workshops 2018"
)
SCALES = (1, 2, 4)  # x4 natively; x2 and x1 by pixel-unshuffling the input (Real-ESRGAN)


class RRDBNet(nn.Module):
    """ESRGAN's generator (Wang et al. 2018)::

        z  = unshuffle(x, 4 / scale)                          # identity at x4; x2 and x1 unshuffle by 2 and 4
        f0 = conv_first(z)                                     # 3x3, in_channels * (4/scale)^2 -> n_feats
        f  = conv_body(RRDB_n(... RRDB_1(f0))) + f0            # n_blocks RRDBs, 3x3 convolution, long skip
        f  = lrelu(conv_up1(nearest_x2(f)))
        f  = lrelu(conv_up2(nearest_x2(f)))
        y  = conv_last(lrelu(conv_hr(f)))                      # 3x3 n_feats -> out_channels

    Each RRDB is three residual dense blocks of five 3x3 convolutions (growth channels each, LeakyReLU 0.2),
    ``x + 0.2 * dense(x)`` inside and ``x + 0.2 * rdb3(rdb2(rdb1(x)))`` around. The paper's model (23 blocks,
    64 features, growth 32) has 16.70M parameters at x4. No mean shift; RGB in [0, 1].

    Args:
        scale: 4 (the paper), or 2 / 1 (Real-ESRGAN: the input is pixel-unshuffled by 2 / 4, so its height and
            width must be even / multiples of 4).
        in_channels, out_channels: image channels.
        n_feats: feature channels.
        n_blocks: RRDBs.
        growth: channels each dense layer adds.
        res_scale: residual scaling inside and around the dense blocks.

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> RRDBNet(scale=4, n_feats=8, n_blocks=1, growth=4)(torch.rand(1, 3, 8, 8)).shape
        torch.Size([1, 3, 32, 32])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 64,
        n_blocks: int = 23,
        growth: int = 32,
        res_scale: float = 0.2,
    ) -> None:
        super().__init__()
        check_scale("RRDBNet (x4, or x2/x1 by pixel-unshuffle)", scale, allowed=SCALES)
        if n_blocks < 0:
            raise SrkitError(f"RRDBNet needs n_blocks >= 0, got {n_blocks}")
        self.scale, self.unshuffle = scale, 4 // scale
        self.conv_first = conv2d(in_channels * self.unshuffle**2, n_feats)
        self.body = nn.Sequential(*(RRDB(n_feats=n_feats, growth=growth, res_scale=res_scale) for _ in range(n_blocks)))
        self.conv_body = conv2d(n_feats, n_feats)
        self.conv_up1 = conv2d(n_feats, n_feats)
        self.conv_up2 = conv2d(n_feats, n_feats)
        self.conv_hr = conv2d(n_feats, n_feats)
        self.conv_last = conv2d(n_feats, out_channels)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.unshuffle > 1:
            h, w = x.shape[-2:]
            if h % self.unshuffle or w % self.unshuffle:
                raise SrkitError(
                    f"RRDBNet x{self.scale} pixel-unshuffles its input by {self.unshuffle}: height and width must be "
                    f"multiples of {self.unshuffle}, got {h}x{w}"
                )
            x = F.pixel_unshuffle(x, self.unshuffle)
        f0 = self.conv_first(x)
        f = self.conv_body(self.body(f0)) + f0
        f = self.lrelu(self.conv_up1(F.interpolate(f, scale_factor=2, mode="nearest")))
        f = self.lrelu(self.conv_up2(F.interpolate(f, scale_factor=2, mode="nearest")))
        return self.conv_last(self.lrelu(self.conv_hr(f)))


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`RRDBNet` for a BasicSR-layout state dict (BasicSR, Real-ESRGAN), else None.

    The scale comes from ``conv_first``'s input channels: ``out_channels`` (x4), 4x (x2) or 16x that (x1), the
    layout of Real-ESRGAN's x2/x1 models; models with other input and output channel counts are read as x4.

    Example:
        >>> detect(RRDBNet(scale=2, n_feats=8, n_blocks=2, growth=4).state_dict())["scale"]
        2
    """
    required = (
        "conv_first.weight",
        "body.0.rdb1.conv1.weight",
        "conv_body.weight",
        "conv_up2.weight",
        "conv_hr.weight",
        "conv_last.weight",
    )
    if not all(k in state for k in required) or state["conv_first.weight"].ndim != 4:
        return None
    if "conv_up3.weight" in state:  # x8 community variants: not this layout
        return None
    n_feats, first_in = (int(d) for d in state["conv_first.weight"].shape[:2])
    out_channels = int(state["conv_last.weight"].shape[0])
    ratio = first_in // out_channels if first_in % out_channels == 0 else 1
    unshuffle = math.isqrt(ratio)
    if unshuffle not in (1, 2, 4) or unshuffle * unshuffle != ratio:
        unshuffle = 1
    n_blocks = 0
    while f"body.{n_blocks}.rdb1.conv1.weight" in state:
        n_blocks += 1
    return {
        "scale": 4 // unshuffle,
        "in_channels": first_in // (unshuffle * unshuffle),
        "out_channels": out_channels,
        "n_feats": n_feats,
        "n_blocks": n_blocks,
        "growth": int(state["body.0.rdb1.conv1.weight"].shape[0]),
    }


# xinntao/ESRGAN RRDBNet_arch.py names -> BasicSR's
_ESRGAN = {"trunk_conv": "conv_body", "upconv1": "conv_up1", "upconv2": "conv_up2", "HRconv": "conv_hr"}
_ESRGAN_BLOCK = re.compile(r"^RRDB_trunk\.(\d+)\.RDB([123])\.(conv[1-5]\.(?:weight|bias))$")
# the first release (architecture.py: one nn.Sequential ``model``) -> BasicSR's, for x4 (two nearest+conv steps)
_OLD = {"0": "conv_first", "3": "conv_up1", "6": "conv_up2", "8": "conv_hr", "10": "conv_last"}
_OLD_BLOCK = re.compile(r"^model\.1\.sub\.(\d+)\.RDB([123])\.(conv[1-5])\.0\.(weight|bias)$")
_OLD_TOP = re.compile(r"^model\.(\d+)\.(weight|bias)$")
_OLD_TRUNK = re.compile(r"^model\.1\.sub\.(\d+)\.(weight|bias)$")


def convert_official(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An ESRGAN state dict in BasicSR's keys, whichever of its three layouts it uses; the tensors are unchanged.

    - BasicSR / Real-ESRGAN (``conv_first``, ``body.{i}.rdb{k}.conv{m}``, ``conv_body``, ``conv_up1``...): as is.
    - xinntao/ESRGAN ``RRDBNet_arch.py`` (``RRDB_ESRGAN_x4.pth``, ``RRDB_PSNR_x4.pth``): ``RRDB_trunk.{i}.RDB{k}``
      -> ``body.{i}.rdb{k}``, ``trunk_conv`` -> ``conv_body``, ``upconv1/2`` -> ``conv_up1/2``, ``HRconv`` ->
      ``conv_hr``.
    - the first release (``architecture.py``, ``RRDB_ESRGAN_x4_old_arch.pth`` and most early community models):
      ``model.0`` -> ``conv_first``, ``model.1.sub.{i}.RDB{k}.conv{m}.0`` -> ``body.{i}.rdb{k}.conv{m}``,
      ``model.1.sub.{n_blocks}`` -> ``conv_body``, ``model.3``/``.6`` -> ``conv_up1/2``, ``model.8`` -> ``conv_hr``,
      ``model.10`` -> ``conv_last``.

    Raises:
        SrkitError: none of these layouts, or one srkit's RRDBNet does not build (x2/x8 upsampling steps in the
            older layouts, pixel-shuffle upsampling).

    Example:
        >>> sorted(convert_official({"RRDB_trunk.0.RDB1.conv1.weight": torch.zeros(1), "HRconv.bias": torch.zeros(1)}))
        ['body.0.rdb1.conv1.weight', 'conv_hr.bias']
    """
    if "body.0.rdb1.conv1.weight" in state and "conv_first.weight" in state:
        return dict(state)
    if "RRDB_trunk.0.RDB1.conv1.weight" in state:
        return _rename(state, _esrgan_key)
    if "model.1.sub.0.RDB1.conv1.0.weight" in state:
        tops = {m.group(1) for k in state if (m := _OLD_TOP.match(k))}
        if tops != set(_OLD):
            steps = sorted(tops - {"0", "10"}, key=int)
            raise SrkitError(
                f"ESRGAN (old layout) with layers model.{{{', '.join(steps)}}}: srkit's RRDBNet is the x4 network "
                "(model.3, model.6, model.8, model.10)"
            )
        n_blocks = sum(1 for k in state if _OLD_BLOCK.match(k) and k.endswith(".RDB1.conv1.0.weight"))
        return _rename(state, lambda key: _old_key(key, n_blocks))
    raise SrkitError("not an ESRGAN state dict: no body.0.rdb1, RRDB_trunk.0.RDB1 or model.1.sub.0.RDB1 keys")


def _rename(state: Mapping[str, torch.Tensor], name: Callable[[str], str | None]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        new = name(key)
        if new is None:
            raise SrkitError(f"ESRGAN state dict: unexpected key {key}")
        out[new] = value
    return out


def _esrgan_key(key: str) -> str | None:
    if m := _ESRGAN_BLOCK.match(key):
        return f"body.{m.group(1)}.rdb{m.group(2)}.{m.group(3)}"
    part, _, leaf = key.rpartition(".")
    if part in ("conv_first", "conv_last"):
        return key
    return f"{_ESRGAN[part]}.{leaf}" if part in _ESRGAN else None


def _old_key(key: str, n_blocks: int) -> str | None:
    if m := _OLD_BLOCK.match(key):
        return f"body.{m.group(1)}.rdb{m.group(2)}.{m.group(3)}.{m.group(4)}"
    if m := _OLD_TRUNK.match(key):  # the trunk's closing convolution, right after the RRDBs
        return f"conv_body.{m.group(2)}" if int(m.group(1)) == n_blocks else None
    m = _OLD_TOP.match(key)
    return f"{_OLD[m.group(1)]}.{m.group(2)}" if m and m.group(1) in _OLD else None


def rrdbnet(*, scale: int = 4, **overrides: Any) -> RRDBNet:
    """ESRGAN's generator as in the paper: 23 RRDBs, 64 features, growth 32."""
    return RRDBNet(scale=scale, **{"n_feats": 64, "n_blocks": 23, "growth": 32, **overrides})


def _rf(n_blocks: int, scale: int) -> int:
    """LR pixels of context: conv_first, 15 convolutions per RRDB and conv_body at the body's resolution (one
    body pixel = ``d`` LR pixels, ``d = 4 / scale``, plus ``d - 1`` for the unshuffle), then conv_up1 at twice
    and conv_up2, conv_hr, conv_last at four times the body's resolution."""
    d = 4 // scale
    return math.ceil((1 + 15 * n_blocks + 1) * d + (d - 1) + d / 2 + 3 * d / 4)


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        rrdbnet,
        ModelCard(
            name="rrdbnet",
            arch="RRDBNet",
            paper=PAPER,
            scales=(2, 4),
            params={2: 16_703_171, 4: 16_697_987},
            published_params={4: 16_700_000},
            multiple_of=2,
            receptive_field=max(_rf(23, s) for s in (2, 4)),
            published=(
                Published("Set5", 4, 32.73, 0.9011, "[SwinIR]"),
                Published("Set14", 4, 28.99, 0.7917, "[SwinIR]"),
            ),
            notes=(
                "RGB in [0, 1], no mean shift. x4 is the paper's network (16,697,987 parameters, counted with "
                "sum(p.numel()) over model.parameters(); PUBLISHED.md's RRDB row: 16.70M); x2 is Real-ESRGAN's "
                "variant (input pixel-unshuffled by 2, so conv_first takes 12 channels: 16,703,171; no published "
                "count) and needs even input sides (multiple_of=2; the x4 model has no such need). scale=1 (unshuffle "
                "by 4) is built by RRDBNet but not listed. Published rows: the PSNR-oriented RRDB trained on DF2K. "
                "BasicSR / Real-ESRGAN checkpoints load with strict=True (see detect)."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection(
        "rrdbnet",
        detect,
        "conv_first, body.N.rdb1.conv1, conv_up1 (BasicSR); RRDB_trunk.N.RDB1, trunk_conv or model.N (ESRGAN)",
        convert_official,
    ),
]

__all__ = ["DETECTIONS", "ZOO", "RRDBNet", "convert_official", "detect", "rrdbnet"]
