"""Video SR networks (survey section 6.3): explicit motion compensation and recurrent propagation, CPU-sized.

All take a clip ``(N, T, 3, h, w)`` of LR frames in [0, 1] and return ``(N, T, 3, s h, s w)`` (card kind ``clip``).

- :class:`SPyNetLite`: optical flow by a spatial pyramid (Ranjan and Black, SPyNet, CVPR 2017): at each level, from
  coarse to fine, a small network refines the upsampled flow from the two frames, the second warped by it. Here 4
  levels of 4 convolutions (5x5; 16-32-16-2 channels), for LR frames.
- :class:`VESPCN`: after Caballero et al. (VESPCN, CVPR 2017): each frame's neighbours are motion-compensated onto
  it (flow + backward warp) and fused early with it (concatenated), then an ESPCN-like network upsamples with a
  sub-pixel layer. ``forward_motion`` also returns the flows and warped neighbours for the paper's motion loss.
- :class:`BasicVSRLite`: after Chan et al. (BasicVSR, CVPR 2021): features propagate through the clip backward and
  forward, each step warping the previous step's features by the flow and refining them with residual blocks;
  each frame is reconstructed from both propagations (pixel shuffle, global bicubic residual).
  ``bidirectional=False`` is the unidirectional variant for streams (forward propagation only: each output
  depends on past frames only).
- :class:`RecurrentSrkit` (``srkit_vsr``, ``srkit_vsr_uni``): the same propagation on the features of srkit's
  single-image network, whose head, body and tail it reuses (frozen): BasicVSR's plan with a pretrained
  per-frame extractor and reconstruction. It starts as srkit frame by frame and learns what the neighbours add.

These are srkit's CPU-sized layouts of the papers' designs (their parameter counts do not apply).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.checks import check_positive_scale
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.archs.srkit_nets import SrkitNet, anchor_shuffle
from srkit.blocks import ResBlock, conv2d
from srkit.functional.warp import flow_warp

PAPERS = {
    "spynet": "Ranjan, Black, Optical Flow Estimation using a Spatial Pyramid Network, CVPR 2017",
    "vespcn": "Caballero, Ledig, Aitken, Acosta, Totz, Wang, Shi, Real-Time Video Super-Resolution with "
    "Spatio-Temporal Networks and Motion Compensation (VESPCN), CVPR 2017",
    "basicvsr": "Chan, Wang, Yu, Dong, Loy, BasicVSR: The Search for Essential Components in Video Super-Resolution "
    "and Beyond, CVPR 2021",
}


class SPyNetLite(nn.Module):
    """Pyramid optical flow between two frames (module docstring). ``forward(a, b)`` is the flow from ``a`` to ``b``
    (where each pixel of ``a`` is in ``b``), ``(N, 2, H, W)`` in pixels; sizes need not be powers of two."""

    @store_hparams
    def __init__(self, *, levels: int = 4, n_feats: int = 16) -> None:
        super().__init__()
        self.levels = levels
        self.basic = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(8, n_feats, 5, padding=2),
                nn.ReLU(inplace=True),
                nn.Conv2d(n_feats, 2 * n_feats, 5, padding=2),
                nn.ReLU(inplace=True),
                nn.Conv2d(2 * n_feats, n_feats, 5, padding=2),
                nn.ReLU(inplace=True),
                nn.Conv2d(n_feats, 2, 5, padding=2),
            )
            for _ in range(levels)
        )

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        pyramid = [(a, b)]
        for _ in range(self.levels - 1):
            pa, pb = pyramid[-1]
            if min(pa.shape[-2:]) < 8:
                break
            pyramid.append((F.avg_pool2d(pa, 2, ceil_mode=True), F.avg_pool2d(pb, 2, ceil_mode=True)))
        flow = torch.zeros(a.shape[0], 2, *pyramid[-1][0].shape[-2:], dtype=a.dtype, device=a.device)
        for level, (pa, pb) in zip(range(len(pyramid) - 1, -1, -1), reversed(pyramid), strict=True):
            if flow.shape[-2:] != pa.shape[-2:]:
                sy, sx = pa.shape[-2] / flow.shape[-2], pa.shape[-1] / flow.shape[-1]
                flow = F.interpolate(flow, size=pa.shape[-2:], mode="bilinear", align_corners=False)
                flow = flow * torch.tensor([sx, sy], dtype=flow.dtype, device=flow.device).view(1, 2, 1, 1)
            inputs = torch.cat([pa, flow_warp(pb, flow), flow], dim=1)
            flow = flow + self.basic[level](inputs)
        return flow


class VESPCN(nn.Module):
    """Motion-compensated early fusion of ``2 * radius + 1`` frames, then an ESPCN-like upsampler (module docstring).

    Args:
        scale: the upscaling factor.
        radius: neighbours on each side (border frames repeat the nearest frame).
        n_feats, n_layers: width and depth of the fusion network.
    """

    @store_hparams
    def __init__(self, *, scale: int = 4, radius: int = 1, n_feats: int = 64, n_layers: int = 6) -> None:
        super().__init__()
        check_positive_scale(scale)
        self.scale, self.radius = scale, radius
        self.flow = SPyNetLite()
        frames = 2 * radius + 1
        layers: list[nn.Module] = [conv2d(3 * frames, n_feats, 3), nn.ReLU(inplace=True)]
        for _ in range(n_layers - 2):
            layers += [conv2d(n_feats, n_feats, 3), nn.ReLU(inplace=True)]
        layers += [conv2d(n_feats, 3 * scale * scale, 3), nn.PixelShuffle(scale)]
        self.body = nn.Sequential(*layers)

    def _neighbours(self, x: torch.Tensor, t: int) -> list[int]:
        last = x.shape[1] - 1
        return [min(max(t + d, 0), last) for d in range(-self.radius, self.radius + 1)]

    def forward_motion(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The SR clip, and for the motion loss the warped neighbours ``(N, T, 2r, 3, h, w)`` and flows."""
        dtype = next(self.parameters()).dtype
        x32 = x.float()
        outs, warped, flows = [], [], []
        for t in range(x.shape[1]):
            centre = x32[:, t]
            stack, w_t, f_t = [], [], []
            for d, j in zip(range(-self.radius, self.radius + 1), self._neighbours(x32, t), strict=True):
                if d == 0:
                    stack.append(centre)
                    continue
                flow = self.flow(centre.to(dtype), x32[:, j].to(dtype)).float()
                moved = flow_warp(x32[:, j], flow)
                stack.append(moved)
                w_t.append(moved)
                f_t.append(flow)
            base = F.interpolate(centre, scale_factor=self.scale, mode="bicubic", align_corners=False)
            outs.append(base + self.body(torch.cat(stack, dim=1).to(dtype)).float())
            warped.append(torch.stack(w_t, dim=1))
            flows.append(torch.stack(f_t, dim=1))
        return {
            "sr": torch.stack(outs, dim=1),
            "warped": torch.stack(warped, dim=1),
            "flows": torch.stack(flows, dim=1),
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_motion(x)["sr"]


class _Propagation(nn.Module):
    def __init__(self, n_feats: int, n_blocks: int, in_channels: int = 3) -> None:
        super().__init__()
        self.head = conv2d(in_channels + n_feats, n_feats, 3)
        self.body = nn.Sequential(*(ResBlock(n_feats=n_feats) for _ in range(n_blocks)))

    def forward(self, frame: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        return self.body(F.leaky_relu(self.head(torch.cat([frame, state], dim=1)), 0.1))


def _propagate(
    inputs: list[torch.Tensor], flows: list[torch.Tensor], branch: nn.Module, order: range, n_feats: int
) -> list[torch.Tensor]:
    """One direction of recurrent propagation: in ``order``, the state is warped by ``flows[t]`` onto frame
    ``t`` (from the second step on) and refined by ``branch`` with ``inputs[t]``; returns each frame's state."""
    n, _, h, w = inputs[0].shape
    state = inputs[0].new_zeros(n, n_feats, h, w)
    out: list[torch.Tensor] = [state] * len(inputs)
    for i, t in enumerate(order):
        if i:
            state = flow_warp(state, flows[t])
        state = branch(inputs[t], state)
        out[t] = state
    return out


def _clip_flows(
    flow: nn.Module, frames: list[torch.Tensor], bidirectional: bool
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Each frame's flow to the frame its state comes from: ``t - 1`` (forward) and ``t + 1`` (backward; zeros
    without the backward branch). Where there is no such frame, the flow is zero."""
    n, _, h, w = frames[0].shape
    zero = frames[0].new_zeros(n, 2, h, w)
    last = len(frames) - 1
    forward = [zero] + [flow(frames[t], frames[t - 1]) for t in range(1, last + 1)]
    if not bidirectional:
        return forward, [zero] * len(frames)
    return forward, [flow(frames[t], frames[t + 1]) for t in range(last)] + [zero]


class BasicVSRLite(nn.Module):
    """Recurrent propagation with flow alignment (module docstring).

    Args:
        scale: the upscaling factor (a power of two: x2 sub-pixel stages).
        n_feats, n_blocks: width and residual blocks of each propagation branch.
        bidirectional: backward and forward propagation (files); False: forward only (streams).
    """

    @store_hparams
    def __init__(self, *, scale: int = 4, n_feats: int = 32, n_blocks: int = 5, bidirectional: bool = True) -> None:
        super().__init__()
        check_positive_scale(scale)
        self.scale, self.n_feats, self.bidirectional = scale, n_feats, bidirectional
        self.flow = SPyNetLite()
        self.forward_branch = _Propagation(n_feats, n_blocks)
        self.backward_branch = _Propagation(n_feats, n_blocks) if bidirectional else None
        branches = 2 if bidirectional else 1
        ups: list[nn.Module] = [conv2d(branches * n_feats, n_feats, 1), nn.LeakyReLU(0.1, inplace=True)]
        s = scale
        while s > 1:
            step = 2 if s % 2 == 0 else s
            ups += [conv2d(n_feats, n_feats * step * step, 3), nn.PixelShuffle(step), nn.LeakyReLU(0.1, inplace=True)]
            s //= step
        ups.append(conv2d(n_feats, 3, 3))
        self.up = nn.Sequential(*ups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = next(self.parameters()).dtype
        frames = [x[:, t].to(dtype) for t in range(x.shape[1])]
        last = len(frames) - 1
        forward_flows, backward_flows = _clip_flows(self.flow, frames, self.backward_branch is not None)
        feats = _propagate(frames, forward_flows, self.forward_branch, range(0, last + 1), self.n_feats)
        if self.backward_branch is not None:
            back = _propagate(frames, backward_flows, self.backward_branch, range(last, -1, -1), self.n_feats)
            feats = [torch.cat([f, b], dim=1) for f, b in zip(feats, back, strict=True)]
        outs = []
        for t, f in enumerate(feats):
            base = F.interpolate(x[:, t].float(), scale_factor=self.scale, mode="bicubic", align_corners=False)
            outs.append(base + self.up(f).float())
        return torch.stack(outs, dim=1)


class RecurrentSrkit(nn.Module):
    """Recurrent propagation on the features of srkit's single-image network (module docstring).

    Each frame's features are SrkitNet's head and body (srkit's shipped weights, frozen by default). Backward and
    forward branches carry features through the clip, each step warped by the SPyNetLite flow onto the next frame.
    A fusion block adds what they bring to the frame's own features before SrkitNet's tail and anchor. The
    fusion's last convolution starts at zero, so an untrained model is srkit frame by frame, exactly.

    Args:
        scale: the upscaling factor (one of SrkitNet's: 2, 3, 4).
        n_feats, n_blocks: SrkitNet's width and depth (those of the shipped ``srkit``).
        prop_feats, prop_blocks: width and residual blocks of each propagation branch.
        fuse_blocks: residual blocks of the fusion.
        bidirectional: backward and forward propagation (files); False: forward only (streams).
        image_init: the single-image weights to start from (a shipped name; None: random).
        freeze_image: keep SrkitNet's weights fixed in training (only propagation, fusion and flow learn).
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        n_feats: int = 48,
        n_blocks: int = 8,
        prop_feats: int = 32,
        prop_blocks: int = 3,
        fuse_blocks: int = 2,
        bidirectional: bool = True,
        image_init: str | None = "srkit",
        freeze_image: bool = True,
    ) -> None:
        super().__init__()
        self.scale, self.prop_feats, self.bidirectional = scale, prop_feats, bidirectional
        self.image = SrkitNet(scale=scale, n_feats=n_feats, n_blocks=n_blocks)
        if image_init is not None and not self.image.head.weight.is_meta:  # meta: shapes only (srkit models)
            from srkit.archs.loader import load_model  # here: the loader imports every arch module

            try:
                self.image.load_state_dict(load_model(image_init).state_dict())
            except RuntimeError:
                raise SrkitError(
                    f"image_init {image_init!r} does not fit n_feats={n_feats}, n_blocks={n_blocks}: "
                    "pass image_init=None for another size"
                ) from None
        self.freeze_image = freeze_image
        if freeze_image:
            self.image.requires_grad_(False)
        self.flow = SPyNetLite()
        self.forward_branch = _Propagation(prop_feats, prop_blocks, in_channels=n_feats)
        self.backward_branch = _Propagation(prop_feats, prop_blocks, in_channels=n_feats) if bidirectional else None
        branches = 2 if bidirectional else 1
        last = conv2d(n_feats, n_feats, 3)
        nn.init.zeros_(last.weight)
        if last.bias is not None:
            nn.init.zeros_(last.bias)
        self.fuse = nn.Sequential(
            conv2d(n_feats + branches * prop_feats, n_feats, 1),
            nn.LeakyReLU(0.1, inplace=True),
            *(ResBlock(n_feats=n_feats) for _ in range(fuse_blocks)),
            last,
        )

    def forward_motion(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The SR clip, and for the motion loss (VESPCN's, which trains the flow from the first step) each frame's
        neighbours warped onto it by the flows the propagation uses, ``(N, T, 2, 3, h, w)``, and those flows
        ``(N, T, 2, 2, h, w)``; at the clip's ends the missing neighbour is the frame itself (zero flow)."""
        dtype = self.image.head.weight.dtype
        n, length = x.shape[:2]
        flat = x.flatten(0, 1).to(dtype)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_image):
            f0 = self.image.head(flat)
            own = self.image.body(f0) + f0
        feats = list(own.unflatten(0, (n, length)).unbind(1))
        frames = list(x.to(dtype).unbind(1))
        last = length - 1
        forward_flows, backward_flows = _clip_flows(self.flow, frames, self.backward_branch is not None)
        carried = _propagate(feats, forward_flows, self.forward_branch, range(0, length), self.prop_feats)
        if self.backward_branch is not None:
            back = _propagate(feats, backward_flows, self.backward_branch, range(last, -1, -1), self.prop_feats)
            carried = [torch.cat([f, b], dim=1) for f, b in zip(carried, back, strict=True)]
        fused = torch.stack([f + self.fuse(torch.cat([f, c], dim=1)) for f, c in zip(feats, carried, strict=True)], 1)
        residual = self.image.tail(fused.flatten(0, 1), self.scale)
        sr = anchor_shuffle(residual.float(), x.flatten(0, 1).float(), self.scale).unflatten(0, (n, length))
        x32 = x.float()
        warped = [
            torch.stack(
                [
                    flow_warp(x32[:, max(t - 1, 0)], forward_flows[t].float()),
                    flow_warp(x32[:, min(t + 1, last)], backward_flows[t].float()),
                ],
                dim=1,
            )
            for t in range(length)
        ]
        flows = [torch.stack([f, b], dim=1) for f, b in zip(forward_flows, backward_flows, strict=True)]
        return {"sr": sr, "warped": torch.stack(warped, dim=1), "flows": torch.stack(flows, dim=1).float()}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_motion(x)["sr"]


def _card(
    name: str, arch: str, paper: str, params: dict[int, int], notes: str, scales: tuple[int, ...] = (2, 4)
) -> ModelCard:
    return ModelCard(
        name=name,
        arch=arch,
        paper=paper,
        scales=scales,
        kind="clip",
        tiling=False,
        float32_io=True,
        min_size=8,
        params=params,
        notes=notes,
    )


def vespcn(*, scale: int = 4, **overrides: Any) -> VESPCN:
    return VESPCN(scale=scale, **overrides)


def basicvsr_lite(*, scale: int = 4, **overrides: Any) -> BasicVSRLite:
    return BasicVSRLite(scale=scale, **overrides)


def basicvsr_uni(*, scale: int = 4, **overrides: Any) -> BasicVSRLite:
    return BasicVSRLite(scale=scale, **{"bidirectional": False, **overrides})


def srkit_vsr(*, scale: int = 4, **overrides: Any) -> RecurrentSrkit:
    return RecurrentSrkit(scale=scale, **overrides)


def srkit_vsr_uni(*, scale: int = 4, **overrides: Any) -> RecurrentSrkit:
    return RecurrentSrkit(scale=scale, **{"bidirectional": False, **overrides})


_SRKIT_VSR_PARAMS = 777_471
_SRKIT_VSR_UNI_PARAMS = 697_375

_CLIP = (
    "A video network (srkit.video): forward takes a clip (N, T, 3, h, w) of LR frames in [0, 1] and returns "
    "(N, T, 3, s h, s w). srkit's CPU-sized layout (the paper's parameter count does not apply)."
)

ZOO: list[tuple[Builder, ModelCard]] = [
    (
        vespcn,
        _card("vespcn", "VESPCN", PAPERS["vespcn"] + "; flow: " + PAPERS["spynet"], {2: 278_548, 4: 299_320}, _CLIP),
    ),
    (
        basicvsr_lite,
        _card("basicvsr_lite", "BasicVSRLite", PAPERS["basicvsr"], {2: 363_787, 4: 400_779}, _CLIP + " Bidirectional."),
    ),
    (
        basicvsr_uni,
        _card(
            "basicvsr_uni",
            "BasicVSRLite",
            PAPERS["basicvsr"],
            {2: 260_171, 4: 297_163},
            _CLIP + " Unidirectional (streams).",
        ),
    ),
    (
        srkit_vsr,
        _card(
            "srkit_vsr",
            "RecurrentSrkit",
            PAPERS["basicvsr"] + "; per-frame features and reconstruction: srkit's own SrkitNet",
            dict.fromkeys((2, 3, 4), _SRKIT_VSR_PARAMS),
            _CLIP + " Bidirectional propagation on srkit's frozen single-image features; parameters counted with "
            "SrkitNet's (392,343, frozen, all three tails).",
            scales=(2, 3, 4),
        ),
    ),
    (
        srkit_vsr_uni,
        _card(
            "srkit_vsr_uni",
            "RecurrentSrkit",
            PAPERS["basicvsr"] + "; per-frame features and reconstruction: srkit's own SrkitNet",
            dict.fromkeys((2, 3, 4), _SRKIT_VSR_UNI_PARAMS),
            _CLIP + " Unidirectional (streams), on srkit's frozen single-image features.",
            scales=(2, 3, 4),
        ),
    ),
]
