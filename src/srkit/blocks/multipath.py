"""Multi-path learning (survey section 3.3.5): features flow through several paths that are combined.

- *Local* multi-path: MSRN's multi-scale residual block (:class:`MSRB`), two paths with 3x3 and 5x5 kernels
  that cross-feed each other. Li et al., "Multi-scale Residual Network for Image Super-Resolution", ECCV 2018.
- *Scale-specific* multi-path: MDSR's per-scale pre-processing heads (:class:`ScaleSpecific`), one shared body in
  between. Lim et al., "Enhanced Deep Residual Networks for Single Image Super-Resolution", CVPRW 2017.
- *Global* multi-path: parallel chains that exchange features after every layer (:class:`MultiPathGlobal`), a
  same-resolution simplification of the paths of LapSRN (Lai et al., "Deep Laplacian Pyramid Networks for Fast
  and Accurate Super-Resolution", CVPR 2017) and DSRN (Han et al., "Image Super-Resolution via Dual-State
  Recurrent Networks", CVPR 2018).
"""

from __future__ import annotations

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.common import activation, conv2d
from srkit.blocks.residual import ResBlock

EXCHANGES = ("mean", "conv")


class MSRB(nn.Module):
    """MSRN's multi-scale residual block (Li et al. 2018).

    Two paths with kernels 3 and 5 read ``x``; their outputs are concatenated and read again by both paths
    (so each path sees the other's features); a 1x1 convolution brings the final concatenation back::

        s1 = cat(act(conv3_1(x)), act(conv5_1(x)))          # 2 n_feats
        s2 = cat(act(conv3_2(s1)), act(conv5_2(s1)))        # 4 n_feats
        y  = confusion(s2) + x                              # 1x1, 4 n_feats -> n_feats

    Parameter names follow the official code (``conv_3_1``, ``conv_5_1``, ``conv_3_2``, ``conv_5_2``,
    ``confusion``), so MSRN checkpoints load by prefix.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, act: str = "relu") -> None:
        super().__init__()
        self.conv_3_1 = conv2d(n_feats, n_feats, 3)
        self.conv_5_1 = conv2d(n_feats, n_feats, 5)
        self.conv_3_2 = conv2d(2 * n_feats, 2 * n_feats, 3)
        self.conv_5_2 = conv2d(2 * n_feats, 2 * n_feats, 5)
        self.confusion = conv2d(4 * n_feats, n_feats, 1)
        self.act_3_1 = activation(act, channels=n_feats)
        self.act_5_1 = activation(act, channels=n_feats)
        self.act_3_2 = activation(act, channels=2 * n_feats)
        self.act_5_2 = activation(act, channels=2 * n_feats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1 = torch.cat([self.act_3_1(self.conv_3_1(x)), self.act_5_1(self.conv_5_1(x))], dim=1)
        s2 = torch.cat([self.act_3_2(self.conv_3_2(s1)), self.act_5_2(self.conv_5_2(s1))], dim=1)
        return self.confusion(s2) + x


class ScaleSpecific(nn.Module):
    """MDSR's scale-specific pre-processing (Lim et al. 2017): one small head per scale, chosen at call time.

    MDSR shares one body between scales x2, x3 and x4; in front of it, each scale has its own head of two
    residual blocks with 5x5 kernels (large kernels, to cope with the scale-dependent blur of the input), and
    behind it its own upsampler. This block is the front part: ``forward(x, scale)`` runs the head of ``scale``.
    The per-scale tails are upsamplers, built by the framework (one per scale), not here.

    Heads are stored as ``heads["x2"]``, ``heads["x3"]``, ... each an ``nn.Sequential`` of
    :class:`~srkit.blocks.residual.ResBlock` (keys ``heads.x2.0.body.0.weight`` ...); the official MDSR keys
    ``pre_process.{i}.{j}.body.{k}`` map onto them with ``i`` the index of the scale in ``scales``.

    Unlike the other body blocks, this one takes the scale at call time: an unknown scale raises
    :class:`SrkitError`.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``
    """

    @store_hparams
    def __init__(
        self,
        *,
        n_feats: int = 64,
        scales: tuple[int, ...] = (2, 3, 4),
        n_blocks: int = 2,
        kernel_size: int = 5,
        act: str = "relu",
    ) -> None:
        super().__init__()
        if not scales:
            raise SrkitError("ScaleSpecific needs at least one scale")
        if len(set(scales)) != len(scales):
            raise SrkitError(f"ScaleSpecific scales must be distinct, got {tuple(scales)}")
        self.scales = tuple(int(s) for s in scales)
        self.heads = nn.ModuleDict(
            {
                f"x{s}": nn.Sequential(
                    *(ResBlock(n_feats=n_feats, kernel_size=kernel_size, act=act) for _ in range(n_blocks))
                )
                for s in self.scales
            }
        )

    def forward(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        key = f"x{scale}"
        if key not in self.heads:
            raise SrkitError(f"ScaleSpecific has heads for scales {self.scales}, not for scale {scale!r}")
        return self.heads[key](x)


class _ExchangeLayer(nn.Module):
    """One layer of :class:`MultiPathGlobal`: conv + activation on every path, then the exchange."""

    def __init__(
        self, *, n_feats: int, n_paths: int, kernel_size: int, dilation_step: int, exchange: str, act: str
    ) -> None:
        super().__init__()
        self.paths = nn.ModuleList(
            nn.Sequential(
                conv2d(n_feats, n_feats, kernel_size, dilation=1 + p * dilation_step),
                activation(act, channels=n_feats),
            )
            for p in range(n_paths)
        )
        self.fuse = conv2d(n_paths * n_feats, n_feats, 1) if exchange == "conv" else None

    def forward(self, hs: list[torch.Tensor]) -> list[torch.Tensor]:
        hs = [path(h) for path, h in zip(self.paths, hs, strict=True)]
        shared = torch.stack(hs, dim=0).mean(dim=0) if self.fuse is None else self.fuse(torch.cat(hs, dim=1))
        return [h + shared for h in hs]


class MultiPathGlobal(nn.Module):
    """Global multi-path learning: ``n_paths`` parallel chains of ``depth`` conv-activation layers that exchange
    features after every layer, fused by a 1x1 convolution, plus ``x``.

    The survey's global multi-path networks (LapSRN's feature and image paths, DSRN's LR and HR states that
    exchange information at every recurrence) run paths that look at different aspects of the image and cross
    each other along the way. This block keeps that structure at one resolution, an honest simplification (no
    path works at HR, nothing is recurrent): path ``p`` uses dilation ``1 + p * dilation_step``, so the paths see
    different context, and after layer ``l``::

        h_p <- act(conv_{p,l}(h_p))                          for every path p
        h_p <- h_p + mean_q h_q            (exchange="mean", no parameters)
        h_p <- h_p + fuse_l(cat_q h_q)     (exchange="conv", a 1x1 conv n_paths n_feats -> n_feats)

    starting from ``h_p = x``, and finally ``y = fuse(cat_p h_p) + x`` with a 1x1 convolution. Keys:
    ``layers.{l}.paths.{p}.0`` (convolutions), ``layers.{l}.fuse`` (exchange="conv"), ``fuse``.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``
    """

    @store_hparams
    def __init__(
        self,
        *,
        n_feats: int = 64,
        n_paths: int = 2,
        depth: int = 4,
        kernel_size: int = 3,
        dilation_step: int = 1,
        exchange: str = "mean",
        act: str = "relu",
    ) -> None:
        super().__init__()
        if n_paths < 1 or depth < 1 or dilation_step < 0:
            raise SrkitError(
                f"MultiPathGlobal needs n_paths >= 1, depth >= 1, dilation_step >= 0; got {n_paths}, {depth}, "
                f"{dilation_step}"
            )
        if exchange not in EXCHANGES:
            raise SrkitError(f"unknown exchange {exchange!r}; choose one of {', '.join(EXCHANGES)}")
        self.n_paths = n_paths
        self.layers = nn.ModuleList(
            _ExchangeLayer(
                n_feats=n_feats,
                n_paths=n_paths,
                kernel_size=kernel_size,
                dilation_step=dilation_step,
                exchange=exchange,
                act=act,
            )
            for _ in range(depth)
        )
        self.fuse = conv2d(n_paths * n_feats, n_feats, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hs = [x] * self.n_paths
        for layer in self.layers:
            hs = layer(hs)
        return self.fuse(torch.cat(hs, dim=1)) + x


__all__ = ["MSRB", "MultiPathGlobal", "ScaleSpecific"]
