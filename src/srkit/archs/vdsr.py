"""VDSR: J. Kim, J. K. Lee, K. M. Lee, "Accurate Image Super-Resolution Using Very Deep Convolutional Networks",
CVPR 2016. https://arxiv.org/abs/1511.04587

Pre-upsampling on the Y channel with global residual learning: the bicubic-upscaled image goes through 20 3x3
convolutional layers of 64 filters (ReLU after all but the last), which predict the residual added back to the
interpolation. One network serves every scale (multi-scale training on x2, x3, x4): ``forward(x, scale=...)``.
Weights start from He et al.'s initialisation, as in the paper (PyTorch's default initialisation shrinks the signal
at every layer: through 20 layers the residual stays at zero and training barely moves, measured).

The interpolation runs inside the model; the default is srkit's MATLAB-exact bicubic (``"matlab"``), which is
what VDSR was trained and evaluated on. 'same' zero padding, as in the paper.

The most used PyTorch weights (twtygqyy/pytorch-vdsr: ``input``, ``residual_layer.{i}.conv``, ``output``, no
biases) load after :func:`convert_official` (zero biases, renamed keys); that repository saves whole pickled
models, so its file must first be re-saved as a state dict (srkit never unpickles code).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.checks import check_positive_scale
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._convert import count, require, zero_bias
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import check_interpolation, interpolate
from srkit.blocks.common import activation, conv2d
from srkit.blocks.recursive import ConvAct

PAPER = "Kim, Lee, Lee, Accurate Image Super-Resolution Using Very Deep Convolutional Networks (VDSR), CVPR 2016"


class VDSR(nn.Module):
    """VDSR (Kim et al. 2016): ``up = interpolate(x)``; ``y = tail(body(relu(head(up)))) + up``.

    Args:
        scale: upscaling factor of the interpolation (``forward(x, scale=...)`` runs another one).
        in_channels: image channels, in and out (1: the paper works on Y).
        n_feats: filters per layer (64).
        n_layers: convolutional layers, head and tail included (20).
        interpolation: ``"matlab"`` (MATLAB-exact bicubic, as trained) or a torch mode (``"bicubic"``...).

    Shape:
        ``(B, in_channels, H, W) -> (B, in_channels, scale*H, scale*W)``.

    Example:
        >>> VDSR(scale=2, n_feats=8, n_layers=3)(torch.rand(1, 1, 8, 8)).shape
        torch.Size([1, 1, 16, 16])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 2,
        in_channels: int = 1,
        n_feats: int = 64,
        n_layers: int = 20,
        interpolation: str = "matlab",
    ) -> None:
        super().__init__()
        if n_layers < 2:
            raise SrkitError(f"VDSR needs n_layers >= 2 (head and tail), got {n_layers}")
        check_positive_scale(scale)
        self.scale = scale
        self.interpolation = check_interpolation(interpolation)
        self.head = nn.Sequential(conv2d(in_channels, n_feats), activation("relu"))
        self.body = nn.Sequential(*(ConvAct(n_feats=n_feats) for _ in range(n_layers - 2)))
        self.tail = conv2d(n_feats, in_channels)
        for m in self.modules():  # He et al.'s initialisation for ReLU networks, as the paper trains it
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor, scale: float | None = None) -> torch.Tensor:
        up = interpolate(x, self.scale if scale is None else scale, self.interpolation)
        return self.tail(self.body(self.head(up))) + up


_TWTYGQYY = re.compile(r"^(input|output|residual_layer\.(\d+)\.conv)\.weight$")


def convert_official(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A twtygqyy/pytorch-vdsr state dict (``input``, ``residual_layer.{i}.conv``, ``output``: bias-free 3x3
    convolutions; or the repository's first layout, ``features.{0,2,...,38}``) in srkit's keys: ``head.0``,
    ``body.{i}.conv``, ``tail``, each with a zero bias (the same function). The network's input there is the
    bicubic-upscaled Y in [0, 1]; srkit's VDSR interpolates inside.

    Raises:
        SrkitError: not that layout.

    Example:
        >>> w = torch.zeros(4, 4, 3, 3)
        >>> sorted(convert_official({"input.weight": w[:, :1], "residual_layer.0.conv.weight": w,
        ...     "output.weight": w[:1]}))[:3]
        ['body.0.conv.bias', 'body.0.conv.weight', 'head.0.bias']
    """
    if "features.0.weight" in state:
        return _convert_features(state)
    require(state, ("input.weight", "residual_layer.0.conv.weight", "output.weight"), "VDSR (twtygqyy)")
    out: dict[str, torch.Tensor] = {}
    for key, weight in state.items():
        m = _TWTYGQYY.match(key)
        if m is None or weight.ndim != 4:
            raise SrkitError(f"not a VDSR (twtygqyy) state dict: unexpected key {key}")
        name = {"input": "head.0", "output": "tail"}.get(m.group(1), f"body.{m.group(2)}.conv")
        out[f"{name}.weight"], out[f"{name}.bias"] = weight, zero_bias(weight)
    return out


def _convert_features(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The repository's first layout: one ``nn.Sequential`` ``features`` of bias-free convolutions (even indices)
    and ReLUs."""
    n = len(state)
    if n < 2 or set(state) != {f"features.{2 * i}.weight" for i in range(n)}:
        raise SrkitError("not a VDSR (twtygqyy, features.N) state dict: expected only features.{0,2,4,...}.weight")
    out: dict[str, torch.Tensor] = {}
    for i in range(n):
        name = "head.0" if i == 0 else "tail" if i == n - 1 else f"body.{i - 1}.conv"
        weight = state[f"features.{2 * i}.weight"]
        out[f"{name}.weight"], out[f"{name}.bias"] = weight, zero_bias(weight)
    return out


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`VDSR` (without ``scale``: one network serves every scale, so the caller
    chooses it) for a VDSR state dict in srkit's keys (run :func:`convert_official` first on a twtygqyy one), else
    None. Only an exact set of keys is accepted: ``head.0``, ``body.{i}.conv``, ``tail``.

    Example:
        >>> detect(VDSR(scale=3, n_feats=8, n_layers=4).state_dict())
        {'in_channels': 1, 'n_feats': 8, 'n_layers': 4}
    """
    if "head.0.weight" not in state or "tail.weight" not in state or state["head.0.weight"].ndim != 4:
        return None
    n_body = count(state, "body.{}.conv.weight")
    names = ["head.0", "tail", *(f"body.{i}.conv" for i in range(n_body))]
    if set(state) != {f"{n}.{p}" for n in names for p in ("weight", "bias")}:
        return None
    n_feats, in_channels = (int(d) for d in state["head.0.weight"].shape[:2])
    if state["tail.weight"].shape[:2] != (in_channels, n_feats):
        return None
    return {"in_channels": in_channels, "n_feats": n_feats, "n_layers": n_body + 2}


def vdsr(*, scale: int = 2, **overrides: Any) -> VDSR:
    """VDSR: 20 layers of 64 3x3 filters, global residual, Y channel."""
    return VDSR(scale=scale, **{"n_feats": 64, "n_layers": 20, **overrides})


def vdsr_camera(*, scale: int = 1, **overrides: Any) -> VDSR:
    """VDSR for one camera's real LR/HR pairs (Chen et al., "Camera Lens Super-Resolution", CVPR 2019): the same
    network, served at scale 1 for a short-focal shot already resized to the long-focal framing (a pre-upsampled
    input, as CameraSR's City100 stores it) and at 2, 3 or 4 for the raw shot (MATLAB bicubic inside first)."""
    return VDSR(scale=scale, **{"n_feats": 64, "n_layers": 20, **overrides})


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        vdsr,
        ModelCard(
            name="vdsr",
            arch="VDSR",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            scale_arg=True,
            multi_scale=True,
            in_channels=1,
            out_channels=1,
            params={2: 665_921, 3: 665_921, 4: 665_921},
            published_params={2: 665_000, 3: 665_000, 4: 665_000},
            receptive_field=12,  # 20 3x3 layers: HR radius 20 -> 10 LR pixels at x2, + 2 for the bicubic kernel
            published=(
                Published(dataset="Set5", scale=2, psnr=37.53, ssim=0.9587, source="[CARN]"),
                Published(dataset="Set14", scale=2, psnr=33.03, ssim=0.9124, source="[CARN]"),
                Published(dataset="Set5", scale=3, psnr=33.66, ssim=0.9213, source="[CARN]"),
                Published(dataset="Set14", scale=3, psnr=29.77, ssim=0.8314, source="[CARN]"),
                Published(dataset="Set5", scale=4, psnr=31.35, ssim=0.8838, source="[CARN]"),
                Published(dataset="Set14", scale=4, psnr=28.01, ssim=0.7674, source="[CARN]"),
            ),
            notes=(
                "Y-channel model: 1 input channel, params counted with biases (665,921; the published 665K is "
                "the CARN table's). One network for every scale: forward(x, scale=...) interpolates by any "
                "factor. MATLAB-exact bicubic inside (interpolation='matlab', as trained)."
            ),
        ),
    ),
]

ZOO.append(
    (
        vdsr_camera,
        ModelCard(
            name="vdsr_camera",
            arch="VDSR",
            paper=PAPER + "; trained on real camera pairs as in Chen, Xiong, Tian, Zha, Zhang, Camera Lens "
            "Super-Resolution (CameraSR), CVPR 2019",
            scales=(1, 2, 3, 4),
            color="y",
            scale_arg=True,
            multi_scale=True,
            in_channels=1,
            out_channels=1,
            params={s: 665_921 for s in (1, 2, 3, 4)},
            published_params={s: 665_000 for s in (1, 2, 3, 4)},
            receptive_field=21,  # 20 3x3 layers at the input's size (scale 1)
            notes=(
                "VDSR (20 layers of 64 filters, Y channel) for same-size LR/HR pairs of one camera: scale 1 for an "
                "LR image already at the HR size (pre-upsampled, as CameraSR's City100 pairs), scale 2-4 to bicubic-"
                "upscale a raw LR image inside first. configs/camerasr/ trains it on City100 (srkit train)."
            ),
        ),
    )
)

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("vdsr", detect, "input, residual_layer.N (VDSR, twtygqyy)", convert_official),
]
