"""SRFBN: Z. Li, J. Yang, Z. Liu, X. Yang, G. Jeon, W. Wu, "Feedback Network for Image Super-Resolution", CVPR 2019.
https://arxiv.org/abs/1903.09814 (official code: github.com/Paper99/SRFBN_CVPR19).

A recurrent network unrolled over T steps: the same feedback block (:class:`srkit.blocks.FeedbackBlock`) reads the
LR features and its own previous output, and every step reconstructs an SR image (deconvolution + 3x3 convolution,
plus the interpolated input). All T images are supervised during training (:meth:`SRFBN.forward_all`).

The official checkpoints (``SRFBN_x{2,3,4}_BI.pth``, ``SRFBN_x3_BD/DN.pth``, ``SRFBN-S_x*_BI.pth``) load after
:func:`convert_official`: it renames the feedback block's lists (``upBlocks`` -> ``ups``, ``downBlocks`` ->
``downs``, ``uptranBlocks`` -> ``fuse_lr``, ``downtranBlocks`` -> ``fuse_hr``), and, since those networks work on
pixel values in [0, 255], folds the range into the first and last convolutions so that srkit's model still takes
and returns [0, 1] and computes the same image.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._convert import count, mean_shift, require
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import FeedbackBlock, MeanShift, activation, check_scale, conv2d
from srkit.blocks.projection import PROJECTION_GEOMETRY, projection_deconv

PAPER = "Z. Li, J. Yang, Z. Liu, X. Yang, G. Jeon, W. Wu, 'Feedback Network for Image Super-Resolution', CVPR 2019"


class SRFBN(nn.Module):
    """The super-resolution feedback network (Li et al. 2019)::

        f_in = act(conv1x1(act(conv3x3(sub_mean(x)))))        # LR feature extraction: 3x3 to 4 m, 1x1 to m
        h_t = FB(f_in, h_{t-1})                               # t = 1 .. T; h_0 = f_in (the first step)
        y_t = add_mean(up(sub_mean(x)) + conv3x3(act(deconv(h_t))))

    ``up`` is bilinear interpolation (the official code and the paper's f_UP; ``align_corners=False``), the
    deconvolution has the projection geometry of the scale (x2: kernel 6, stride 2, padding 2; x3: 7, 3, 2; x4:
    8, 4, 2; x8: 12, 8, 2) and ``act`` is a one-slope PReLU. The DIV2K mean is subtracted and added back (in
    [0, 1]). Defaults are the paper's SRFBN (m = 64, G = 6, T = 4): 3,631K parameters at x4.

    ``forward(x)`` is ``y_T``; :meth:`forward_all` returns ``[y_1, ..., y_T]`` for the paper's one loss per step.

    Args:
        scale: 2, 3, 4 or 8.
        in_channels, out_channels: image channels (equal, for the interpolated skip).
        n_feats: base number of filters m.
        n_groups: projection groups G in the feedback block.
        n_steps: recurrence steps T.
        act: activation (SRFBN: ``prelu``).

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> m = SRFBN(scale=2, n_feats=8, n_groups=2, n_steps=3)
        >>> [y.shape[-1] for y in m.forward_all(torch.rand(1, 3, 6, 6))]
        [12, 12, 12]
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 64,
        n_groups: int = 6,
        n_steps: int = 4,
        act: str = "prelu",
    ) -> None:
        super().__init__()
        check_scale("SRFBN", scale, allowed=PROJECTION_GEOMETRY)
        if n_steps < 1:
            raise SrkitError(f"SRFBN needs n_steps >= 1, got {n_steps}")
        if in_channels != out_channels:
            raise SrkitError(f"SRFBN adds the upsampled input: in_channels must equal out_channels, got {in_channels}")
        self.scale, self.n_steps = scale, n_steps
        self.sub_mean = MeanShift(channels=in_channels, sign=-1)
        self.add_mean = MeanShift(channels=in_channels, sign=+1)
        self.conv_in = nn.Sequential(conv2d(in_channels, 4 * n_feats, 3), activation(act, channels=1))
        self.feat_in = nn.Sequential(conv2d(4 * n_feats, n_feats, 1), activation(act, channels=1))
        self.block = FeedbackBlock(n_feats=n_feats, n_groups=n_groups, scale=scale, act=act)
        self.out = nn.Sequential(projection_deconv(n_feats, scale), activation(act, channels=1))
        self.conv_out = conv2d(n_feats, out_channels, 3)

    def _states(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The interpolated (mean-subtracted) input and the hidden states ``h_1 .. h_T``."""
        x = self.sub_mean(x)
        skip = F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
        features = self.feat_in(self.conv_in(x))
        states: list[torch.Tensor] = []
        hidden: torch.Tensor | None = None
        for _ in range(self.n_steps):
            hidden = self.block(features, hidden)
            states.append(hidden)
        return skip, states

    def _reconstruct(self, skip: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        return self.add_mean(skip + self.conv_out(self.out(hidden)))

    def forward_all(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The SR image of every step, ``[y_1, ..., y_T]`` (the last is :meth:`forward`'s)."""
        skip, states = self._states(x)
        return [self._reconstruct(skip, h) for h in states]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip, states = self._states(x)
        return self._reconstruct(skip, states[-1])


_RENAMES = {
    "block.upBlocks.": "block.ups.",
    "block.downBlocks.": "block.downs.",
    "block.uptranBlocks.": "block.fuse_lr.",
    "block.downtranBlocks.": "block.fuse_hr.",
    "conv_out.0.": "conv_out.",
}


def convert_official(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An official SRFBN state dict (Paper99/SRFBN_CVPR19 ``networks/srfbn_arch.py``, ``module.`` stripped) in
    srkit's keys and pixel range; a state dict already in srkit's layout passes through.

    Keys: ``block.upBlocks`` -> ``block.ups``, ``block.downBlocks`` -> ``block.downs``, ``block.uptranBlocks`` ->
    ``block.fuse_lr``, ``block.downtranBlocks`` -> ``block.fuse_hr``, ``conv_out.0`` -> ``conv_out``; the mean-shift
    convolutions ``sub_mean``/``add_mean`` (``bias = -/+ 255 * mean``) are brought to range 1. Range: the
    official network sees ``255 x`` and returns ``255 y``; with ``r`` the range read from ``sub_mean.bias``,
    ``conv_in.0.weight`` is multiplied by ``r`` (it reads ``r (x - mean)``) and ``conv_out``'s weight and bias are
    divided by ``r``, which is exact for the interpolated skip and the mean shift too.

    Raises:
        SrkitError: neither layout, or mean shifts srkit cannot express (a standard deviation other than 1).
    """
    if "block.ups.0.0.weight" in state:  # srkit's layout (its earlier mean-shift buffers are read too)
        sub, _ = mean_shift(state, "sub_mean", -1)
        add, _ = mean_shift(state, "add_mean", +1)
        return {k: v for k, v in state.items() if not k.startswith(("sub_mean.", "add_mean."))} | sub | add
    require(state, ("sub_mean.weight", "add_mean.bias", "conv_in.0.weight", "block.upBlocks.0.0.weight"), "SRFBN")
    require(state, ("conv_out.0.weight", "conv_out.0.bias"), "SRFBN")
    sub, pixel_range = mean_shift(state, "sub_mean", -1)
    add, add_range = mean_shift(state, "add_mean", +1)
    if add_range != pixel_range:
        raise SrkitError(f"SRFBN mean shifts of different ranges: {pixel_range} and {add_range}")
    out: dict[str, torch.Tensor] = sub | add
    for key, value in state.items():
        if key.startswith(("sub_mean.", "add_mean.")):
            continue
        prefix = next((p for p in _RENAMES if key.startswith(p)), "")
        out[_RENAMES[prefix] + key[len(prefix) :] if prefix else key] = value
    out["conv_in.0.weight"] = out["conv_in.0.weight"] * pixel_range
    out["conv_out.weight"] = out["conv_out.weight"] / pixel_range
    out["conv_out.bias"] = out["conv_out.bias"] / pixel_range
    return out


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`SRFBN` for an SRFBN state dict in srkit's layout (run
    :func:`convert_official` first on an official one), else None. The scale comes from the projection kernel
    (6, 7, 8, 12 for x2, x3, x4, x8), G from the up-projections, m from ``feat_in``; T is not stored (the
    builder's 4, as every released model).

    Example:
        >>> detect(SRFBN(scale=3, n_feats=8, n_groups=2).state_dict())["n_groups"]
        2
    """
    required: tuple[str, ...] = ("sub_mean.bias", "conv_in.0.weight", "conv_in.1.weight", "feat_in.0.weight")
    required += ("block.compress_in.0.weight", "block.ups.0.0.weight", "out.0.weight", "conv_out.weight")
    if not all(k in state for k in required) or state["conv_in.0.weight"].ndim != 4:
        return None
    n_feats, in_channels = int(state["feat_in.0.weight"].shape[0]), int(state["conv_in.0.weight"].shape[1])
    kernel = int(state["block.ups.0.0.weight"].shape[-1])
    scale = next((s for s, (k, _, _) in PROJECTION_GEOMETRY.items() if k == kernel), None)
    out_channels = int(state["conv_out.weight"].shape[0])
    if scale is None or state["conv_in.0.weight"].shape[0] != 4 * n_feats or out_channels != in_channels:
        return None
    return {
        "scale": scale,
        "in_channels": in_channels,
        "out_channels": out_channels,
        "n_feats": n_feats,
        "n_groups": count(state, "block.ups.{}.0.weight"),
    }


def srfbn(*, scale: int = 4, **overrides: Any) -> SRFBN:
    """SRFBN as in the paper (m = 64, G = 6, T = 4)."""
    return SRFBN(scale=scale, **{"n_feats": 64, "n_groups": 6, "n_steps": 4, **overrides})


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        srfbn,
        ModelCard(
            name="srfbn",
            arch="SRFBN",
            paper=PAPER,
            scales=(2, 3, 4),
            forward_all="hr",
            params={2: 2_140_510, 3: 2_832_734, 4: 3_631_454},
            published_params={4: 3_631_000},
            receptive_field=51,
            notes=(
                "RGB in [0, 1] with the DIV2K mean shift (a buffer). forward_all returns the T = 4 step outputs "
                "(the last equals forward). The skip is bilinear interpolation as in the official code and the "
                "paper's f_UP. Parameters counted with sum(p.numel()); the paper gives 3,631K for the x4 model and "
                "no count for x2/x3. x8 is supported by the constructor (not registered: no published x8 SRFBN). "
                "receptive_field: measured from input gradients of random models (x2: 51, x3: 50, x4: 26 LR "
                "pixels). PSNRs: SRFBN is not in PUBLISHED.md."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("srfbn", detect, "sub_mean, block.upBlocks.N (SRFBN)", convert_official),
]

__all__ = ["DETECTIONS", "SRFBN", "ZOO", "convert_official", "detect", "srfbn"]
