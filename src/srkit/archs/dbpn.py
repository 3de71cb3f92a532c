"""D-DBPN: M. Haris, G. Shakhnarovich, N. Ukita, "Deep Back-Projection Networks for Super-Resolution", CVPR 2018.
https://arxiv.org/abs/1803.02735 (official code: github.com/alterzero/DBPN-Pytorch, ``dbpn.py``).

The iterative up-and-down sampling framework: alternating up-projection and down-projection units
(:class:`srkit.blocks.UpProjection`, :class:`srkit.blocks.DownProjection`) feed their projection errors back, and in
the dense variant (D-DBPN) every unit reads the concatenation of all earlier units' outputs of its resolution. The HR
outputs of every up-projection are concatenated and reconstructed by one convolution.

The official checkpoints (``DBPN_x2/x4/x8.pth``: ``dbpn.py``, T = 7; ``DBPNLL_x8.pth``: ``dbpn_v1.py``, T = 10) load
after :func:`convert_official` renames their ``ConvBlock``/``DeconvBlock`` keys (``up3.up_conv1.deconv``,
``down2.conv.act``, ...) to srkit's projection units; :func:`detect` reads the configuration from the shapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._convert import count, require
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import DownProjection, UpProjection, activation, check_scale, conv2d
from srkit.blocks.projection import PROJECTION_GEOMETRY

PAPER = "M. Haris, G. Shakhnarovich, N. Ukita, 'Deep Back-Projection Networks for Super-Resolution', CVPR 2018"


class DDBPN(nn.Module):
    """Dense deep back-projection network (D-DBPN, Haris et al. 2018)::

        l_0 = act(conv1x1(act(conv3x3(x))))                # 3x3 to n_init_feats, 1x1 to n_feats
        h_1 = up_1(l_0);  l_1 = down_1(h_1);  h_2 = up_2(l_1)
        l_t = down_t(cat(h_t, ..., h_1))                   # t = 2 .. T-1 (dense: a 1x1 reduction first)
        h_{t+1} = up_{t+1}(cat(l_t, ..., l_1))
        y = conv3x3(cat(h_T, ..., h_1))                    # T n_feats -> out_channels

    ``T = n_stages`` up-projections and ``T - 1`` down-projections, one-slope PReLUs, no mean shift and no global
    skip (as the official ``dbpn.py``). Defaults are the paper's D-DBPN (n0 = 256 initial features, nR = 64,
    T = 7): 10.43M parameters at x4.

    Args:
        scale: 2, 4 or 8 (the paper's; 3 also works, with SRFBN's (7, 3, 2) projection geometry).
        in_channels, out_channels: image channels.
        n_feats: features of the projection units (``base_filter``).
        n_init_feats: features of the first 3x3 convolution (``feat``).
        n_stages: up-projection units T (>= 2).
        act: activation of every layer but the last.

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> DDBPN(scale=2, n_feats=8, n_init_feats=16, n_stages=3)(torch.rand(1, 3, 6, 6)).shape
        torch.Size([1, 3, 12, 12])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 64,
        n_init_feats: int = 256,
        n_stages: int = 7,
        act: str = "prelu",
    ) -> None:
        super().__init__()
        check_scale("D-DBPN", scale, allowed=PROJECTION_GEOMETRY)
        if n_stages < 2:
            raise SrkitError(f"D-DBPN needs n_stages >= 2, got {n_stages}")
        self.scale = scale
        self.feat0 = nn.Sequential(conv2d(in_channels, n_init_feats, 3), activation(act, channels=1))
        self.feat1 = nn.Sequential(conv2d(n_init_feats, n_feats, 1), activation(act, channels=1))
        # up_1, up_2 read one map; up_{t+1} (t >= 2) reads t LR maps; down_1 reads one map, down_t reads t HR maps
        self.ups = nn.ModuleList(
            UpProjection(n_feats=n_feats, scale=scale, in_channels=max(t - 1, 1) * n_feats, act=act)
            for t in range(1, n_stages + 1)
        )
        self.downs = nn.ModuleList(
            DownProjection(n_feats=n_feats, scale=scale, in_channels=t * n_feats, act=act) for t in range(1, n_stages)
        )
        self.output_conv = conv2d(n_stages * n_feats, out_channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = self.feat1(self.feat0(x))
        highs = [self.ups[0](low)]  # newest first, as the official concatenations
        lows = [self.downs[0](highs[0])]
        highs.insert(0, self.ups[1](lows[0]))
        for t in range(2, len(self.ups)):
            lows.insert(0, self.downs[t - 1](torch.cat(highs, dim=1)))
            highs.insert(0, self.ups[t](torch.cat(lows, dim=1)))
        return self.output_conv(torch.cat(highs, dim=1))


# official sub-module of an up-/down-projection unit -> srkit's (UpProjection / DownProjection)
_UNIT_KEYS = {
    "up": {"up_conv1.deconv": "up1", "up_conv1.act": "act_h0", "up_conv2.conv": "down", "up_conv2.act": "act_l0"}
    | {"up_conv3.deconv": "up2", "up_conv3.act": "act_h1", "conv.conv": "reduce.0", "conv.act": "reduce.1"},
    "down": {"down_conv1.conv": "down1", "down_conv1.act": "act_l0", "down_conv2.deconv": "up"}
    | {"down_conv2.act": "act_h0", "down_conv3.conv": "down2", "down_conv3.act": "act_l1"}
    | {"conv.conv": "reduce.0", "conv.act": "reduce.1"},
}
_OFFICIAL = re.compile(r"^(up|down)(\d+)\.(.+)\.(weight|bias)$")
_HEAD = {"feat0.conv": "feat0.0", "feat0.act": "feat0.1", "feat1.conv": "feat1.0", "feat1.act": "feat1.1"}


def convert_official(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An official D-DBPN state dict (alterzero/DBPN-Pytorch ``dbpn.py``/``dbpn_v1.py``, ``module.`` stripped) in
    srkit's keys: ``feat0.conv`` -> ``feat0.0``, ``feat0.act`` -> ``feat0.1``; ``up{t}.up_conv1.deconv`` ->
    ``ups.{t-1}.up1``, ``up_conv2.conv`` -> ``down``, ``up_conv3.deconv`` -> ``up2`` (activations ``act_h0``,
    ``act_l0``, ``act_h1``); ``down{t}.down_conv1.conv`` -> ``downs.{t-1}.down1``, ``down_conv2.deconv`` -> ``up``,
    ``down_conv3.conv`` -> ``down2`` (``act_l0``, ``act_h0``, ``act_l1``); the dense units' 1x1 ``conv`` ->
    ``reduce``; ``output_conv.conv`` -> ``output_conv``. The tensors are unchanged.

    Raises:
        SrkitError: not that layout (S-DBPN, DBPN-RES and the pixel-shuffle variants included).

    Example:
        >>> sorted(convert_official({"feat0.conv.weight": torch.zeros(1), "up1.up_conv1.deconv.weight":
        ...     torch.zeros(1), "down2.conv.act.weight": torch.zeros(1)}))
        ['downs.1.reduce.1.weight', 'feat0.0.weight', 'ups.0.up1.weight']
    """
    require(state, ("feat0.conv.weight", "up1.up_conv1.deconv.weight"), "D-DBPN (alterzero/DBPN-Pytorch)")
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        part, _, leaf = key.rpartition(".")
        m = _OFFICIAL.match(key)
        if part in _HEAD:
            out[f"{_HEAD[part]}.{leaf}"] = value
        elif part == "output_conv.conv":
            out[f"output_conv.{leaf}"] = value
        elif m and m.group(3) in _UNIT_KEYS[m.group(1)] and int(m.group(2)) >= 1:
            kind, index, inner = m.group(1), int(m.group(2)), _UNIT_KEYS[m.group(1)][m.group(3)]
            out[f"{kind}s.{index - 1}.{inner}.{m.group(4)}"] = value
        else:
            raise SrkitError(f"not a D-DBPN (dbpn.py) state dict: unexpected key {key}")
    return out


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`DDBPN` for a D-DBPN state dict in srkit's keys (run
    :func:`convert_official` first on an official one), else None. The scale comes from the projection kernel
    (6, 7, 8, 12 for x2, x3, x4, x8), T from the up-projection units, n0 and nR from the two first convolutions.

    Example:
        >>> detect(DDBPN(scale=8, n_feats=8, n_init_feats=16, n_stages=3).state_dict())["scale"]
        8
    """
    required = ("feat0.0.weight", "feat0.1.weight", "feat1.0.weight", "ups.0.up1.weight", "output_conv.weight")
    if not all(k in state for k in required) or state["feat0.0.weight"].ndim != 4:
        return None
    kernel = int(state["ups.0.up1.weight"].shape[-1])
    scale = next((s for s, (k, _, _) in PROJECTION_GEOMETRY.items() if k == kernel), None)
    n_init_feats, in_channels = (int(d) for d in state["feat0.0.weight"].shape[:2])
    n_feats, n_stages = int(state["feat1.0.weight"].shape[0]), count(state, "ups.{}.up1.weight")
    if scale is None or count(state, "downs.{}.down1.weight") != n_stages - 1 or n_stages < 2:
        return None
    if state["output_conv.weight"].shape[1] != n_stages * n_feats:
        return None
    return {
        "scale": scale,
        "in_channels": in_channels,
        "out_channels": int(state["output_conv.weight"].shape[0]),
        "n_feats": n_feats,
        "n_init_feats": n_init_feats,
        "n_stages": n_stages,
    }


def ddbpn(*, scale: int = 4, **overrides: Any) -> DDBPN:
    """D-DBPN as in the paper and the official ``dbpn.py`` (n0 = 256, nR = 64, T = 7)."""
    return DDBPN(scale=scale, **{"n_feats": 64, "n_init_feats": 256, "n_stages": 7, **overrides})


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        ddbpn,
        ModelCard(
            name="ddbpn",
            arch="DDBPN",
            paper=PAPER,
            scales=(2, 4, 8),
            params={2: 5_953_526, 4: 10_426_358, 8: 23_205_878},
            published_params={4: 10_400_000},
            receptive_field=41,
            notes=(
                "RGB in [0, 1], no mean shift, no global residual (official dbpn.py). Parameters counted with "
                "sum(p.numel()), PReLU slopes included (one per layer). Published: about 10.4M for D-DBPN at x4 "
                "(the paper's parameter comparison; srkit builds 10,426,358, the official dbpn.py's count); no "
                "figure for x2/x8. receptive_field: measured from input gradients of random models (x2: 41, "
                "x4: 21, x8: 20 LR pixels). PSNRs: D-DBPN is not in PUBLISHED.md."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("ddbpn", detect, "feat0.conv, up1.up_conv1.deconv (D-DBPN)", convert_official),
]

__all__ = ["DDBPN", "DETECTIONS", "ZOO", "convert_official", "ddbpn", "detect"]
