"""SRResNet: C. Ledig, L. Theis, F. Huszar, J. Caballero, A. Cunningham, A. Acosta, A. Aitken, A. Tejani, J. Totz,
Z. Wang, W. Shi, "Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network", CVPR 2017.
https://arxiv.org/abs/1609.04802 (no official code release).

SRGAN's generator, trained alone with MSE it is SRResNet: a 9x9 convolution with PReLU, 16 residual blocks
(conv-BN-PReLU-conv-BN with a skip, :class:`srkit.blocks.ResBlock` with ``bn=True``), a convolution with batch
norm and a long skip, two sub-pixel x2 steps (convolution to 256 channels, pixel shuffle, PReLU) and a 9x9
convolution to the image. The paper trains x4 only.

There is no official release; the most used PyTorch weights with the paper's architecture (batch norm, PReLU,
9x9 head and tail) are Lornatang/SRGAN-PyTorch's (``SRResNet_x4-ImageNet-*.pth.tar``, keys ``conv_block1`` or
``conv1``, ``trunk.{i}.rcb``, ``conv_block2``/``conv2``, ``upsampling.{j}.upsample_block``,
``conv_block3``/``conv3``), which load after :func:`convert_official` (one PReLU slope repeated per channel).
twtygqyy/pytorch-SRResNet (instance norm, pickled model) and BasicSR's MSRResNet (no batch norm, ReLU, 3x3 head)
are other networks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._convert import count, prelu_slopes
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import ResBlock, activation, check_scale, conv2d
from srkit.blocks.upsample import prime_factors

PAPER = (
    "C. Ledig, L. Theis, F. Huszar, J. Caballero, A. Cunningham, A. Acosta, A. Aitken, A. Tejani, J. Totz, Z. Wang, "
    "W. Shi, 'Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network', CVPR 2017"
)


class SRResNet(nn.Module):
    """SRGAN's generator network (Ledig et al. 2017)::

        f0 = head(x)                         # 9x9 conv in_channels -> n_feats, PReLU
        f  = body(f0) + f0                   # n_blocks ResBlocks (conv-BN-PReLU-conv-BN, + x), 3x3 conv, BN
        y  = tail(upsample(f))               # per prime factor p: 3x3 conv -> p^2 n_feats, shuffle, PReLU; 9x9 conv

    Convolutions followed by batch norm have no bias (the norm's shift replaces it); PReLU has one slope per
    channel. Batch norm makes the output depend on the batch in training mode; use ``eval()`` for inference.

    Args:
        scale: upscaling factor (the paper: 4, as two x2 steps; other integers use prime steps).
        in_channels, out_channels: image channels.
        n_feats: feature channels.
        n_blocks: residual blocks.

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> SRResNet(scale=4, n_feats=8, n_blocks=2)(torch.rand(2, 3, 8, 8)).shape
        torch.Size([2, 3, 32, 32])
    """

    @store_hparams
    def __init__(
        self, *, scale: int = 4, in_channels: int = 3, out_channels: int = 3, n_feats: int = 64, n_blocks: int = 16
    ) -> None:
        super().__init__()
        check_scale("SRResNet", scale)
        if n_blocks < 0:
            raise SrkitError(f"SRResNet needs n_blocks >= 0, got {n_blocks}")
        self.scale = scale
        self.head = nn.Sequential(conv2d(in_channels, n_feats, 9), activation("prelu", channels=n_feats))
        blocks: list[nn.Module] = [ResBlock(n_feats=n_feats, bn=True, act="prelu") for _ in range(n_blocks)]
        self.body = nn.Sequential(*blocks, conv2d(n_feats, n_feats, 3, bias=False), nn.BatchNorm2d(n_feats))
        up: list[nn.Module] = []
        for f in prime_factors(scale):
            up += [conv2d(n_feats, f * f * n_feats, 3), nn.PixelShuffle(f), activation("prelu", channels=n_feats)]
        self.upsample = nn.Sequential(*up)
        self.tail = conv2d(n_feats, out_channels, 9)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f0 = self.head(x)
        return self.tail(self.upsample(self.body(f0) + f0))


_PRELU = re.compile(r"^(?:conv_block1\.1|conv1\.1|trunk\.\d+\.rcb\.2|upsampling\.\d+\.upsample_block\.2)\.weight$")


def convert_official(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A Lornatang/SRGAN-PyTorch SRResNet state dict (either naming: ``conv_block1/2/3`` or ``conv1/2/3``) in the keys
    of :class:`SRResNet`; the one-slope PReLUs become per-channel ones with that slope (the same function):

    ``conv_block1.0`` -> ``head.0``, ``conv_block1.1`` -> ``head.1``; ``trunk.{i}.rcb.{m}`` -> ``body.{i}.body.{m}``;
    ``conv_block2.0``/``.1`` -> ``body.{n}``/``body.{n+1}`` (``n`` residual blocks);
    ``upsampling.{j}.upsample_block.{0,2}`` -> ``upsample.{3j}``/``upsample.{3j+2}``; ``conv_block3`` -> ``tail``.

    Raises:
        SrkitError: not that layout.
    """
    layouts = (("conv_block1", "conv_block2", "conv_block3"), ("conv1", "conv2", "conv3"))
    names = [n for n in layouts if f"{n[0]}.0.weight" in state and f"{n[2]}.weight" in state]
    if not names or "trunk.0.rcb.0.weight" not in state:
        raise SrkitError("not an SRResNet (Lornatang/SRGAN-PyTorch) state dict: no trunk.0.rcb and conv_block1/conv1")
    first, mid, last = names[0]
    n_blocks, n_feats = count(state, "trunk.{}.rcb.0.weight"), int(state[f"{first}.0.weight"].shape[0])
    prefixes = {
        f"{first}.": "head.",
        f"{mid}.0.": f"body.{n_blocks}.",
        f"{mid}.1.": f"body.{n_blocks + 1}.",
        f"{last}.": "tail.",
    }
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if m := re.match(r"^trunk\.(\d+)\.rcb\.(.+)$", key):
            new = f"body.{m.group(1)}.body.{m.group(2)}"
        elif m := re.match(r"^upsampling\.(\d+)\.upsample_block\.([02])\.(.+)$", key):
            new = f"upsample.{3 * int(m.group(1)) + int(m.group(2))}.{m.group(3)}"
        else:
            prefix = next((p for p in prefixes if key.startswith(p)), None)
            if prefix is None:
                raise SrkitError(f"not an SRResNet (Lornatang) state dict: unexpected key {key}")
            new = prefixes[prefix] + key[len(prefix) :]
        out[new] = prelu_slopes(value, n_feats, value) if _PRELU.match(key) else value
    return out


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`SRResNet` for an SRResNet state dict in srkit's keys (run
    :func:`convert_official` first on a Lornatang one), else None; the scale comes from the sub-pixel
    convolutions (one per prime factor).

    Example:
        >>> detect(SRResNet(scale=4, n_feats=8, n_blocks=2).state_dict())["scale"]
        4
    """
    required = ("head.0.weight", "head.1.weight", "body.0.body.0.weight", "body.0.body.1.running_mean")
    if not all(k in state for k in (*required, "upsample.0.weight", "tail.weight")):
        return None
    n_feats, in_channels = (int(d) for d in state["head.0.weight"].shape[:2])
    n_blocks = count(state, "body.{}.body.0.weight")
    factors: list[int] = []
    while f"upsample.{3 * len(factors)}.weight" in state:
        out = int(state[f"upsample.{3 * len(factors)}.weight"].shape[0])
        factors.append(math.isqrt(out // n_feats) if out % n_feats == 0 else 0)
    scale = math.prod(factors)
    if scale < 2 or prime_factors(scale) != factors or f"body.{n_blocks + 1}.running_mean" not in state:
        return None
    if state["head.0.weight"].shape[-1] != 9 or state["body.0.body.0.weight"].shape[0] != n_feats:
        return None
    out_channels = int(state["tail.weight"].shape[0])
    kwargs = {"in_channels": in_channels, "out_channels": out_channels, "n_feats": n_feats, "n_blocks": n_blocks}
    return {"scale": scale, **kwargs}


def srresnet(*, scale: int = 4, **overrides: Any) -> SRResNet:
    """SRResNet as in the paper: 16 residual blocks of 64 features."""
    return SRResNet(scale=scale, **{"n_feats": 64, "n_blocks": 16, **overrides})


def _rf(n_blocks: int, scale: int) -> int:
    """9x9 head (4), two 3x3 per block, the body conv; one conv per upsampling step; the 9x9 tail at HR."""
    total, reached = 4 + 2 * n_blocks + 1.0, 1
    for f in prime_factors(scale):
        total += 1 / reached
        reached *= f
    return math.ceil(total + 4 / reached - 1e-9)


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        srresnet,
        ModelCard(
            name="srresnet",
            arch="SRResNet",
            paper=PAPER,
            scales=(2, 3, 4),
            params={2: 1_400_771, 3: 1_585_411, 4: 1_548_547},
            receptive_field=max(_rf(16, s) for s in (2, 3, 4)),
            notes=(
                "RGB in [0, 1] in and out (the paper scales HR targets to [-1, 1]; an affine change the last "
                "convolution absorbs). The paper trains x4 only (as two x2 sub-pixel steps); x2 and x3 use one step. "
                "Parameters counted with sum(p.numel()) over model.parameters(), batch-norm affine weights and "
                "per-channel PReLU slopes included, running statistics (buffers) not: 1,548,547 at x4. The paper "
                "states no exact count (about 1.5M is folklore), so published_params is left out. PUBLISHED.md has "
                "no SRResNet rows. Batch norm: call eval() for inference."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("srresnet", detect, "trunk.N.rcb (SRResNet, Lornatang)", convert_official),
]

__all__ = ["DETECTIONS", "ZOO", "SRResNet", "convert_official", "detect", "srresnet"]
