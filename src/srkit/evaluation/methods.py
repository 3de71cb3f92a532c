"""Super-resolution methods that ``srkit bench`` can evaluate.

A method turns an LR uint8 image ``(h, w, 3)`` into an SR uint8 image ``(h * s, w * s, 3)``; models follow
step 3 of the protocol (compute in [0, 1], clamp, round to uint8). For now the methods are the interpolation kernels;
trained models are added by the model zoo.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.registry import Registry
from srkit.functional.color import rgb_to_ycbcr, ycbcr_to_rgb
from srkit.functional.image import to_float, to_uint8
from srkit.functional.resize import imresize


class SRMethod(Protocol):
    """Anything that upscales an LR uint8 image by an integer factor."""

    @property
    def name(self) -> str:
        """The method's name in reports."""
        ...

    def upscale(self, lr: np.ndarray, scale: int) -> np.ndarray:
        """``(h, w, 3)`` uint8 -> ``(h * scale, w * scale, 3)`` uint8."""
        ...


@dataclass(frozen=True)
class Interpolation:
    """Upscaling by a MATLAB ``imresize`` kernel (the classic baselines: bicubic, bilinear, nearest, Lanczos).

    As in the MATLAB scripts behind the published "Bicubic" rows, the uint8 LR is resized with uint8 class
    semantics (rounded after each pass).
    """

    name: str
    kernel: str

    def upscale(self, lr: np.ndarray, scale: int) -> np.ndarray:
        if lr.dtype != np.uint8 or lr.ndim != 3:
            raise SrkitError(f"{self.name} expects an LR uint8 image (h, w, 3), got {lr.dtype} {lr.shape}")
        return imresize(lr, scale, kernel=self.kernel)


class ModelMethod:
    """A neural network as a benchmark method, following step 3 of the protocol.

    The LR uint8 image becomes a float tensor in [0, 1]; the model runs without gradients; the output is clamped
    to [0, 1] and rounded to uint8. A model with one input channel (``card.in_channels == 1``, the Y-channel
    models SRCNN, FSRCNN, VDSR...) runs on the Y of MATLAB's YCbCr while Cb and Cr are upscaled by bicubic, as
    their papers do. Inputs are padded (reflect) to the card's ``multiple_of`` and the output is cropped back.
    A multi-scale model (``forward(x, scale)``) is called with the scale.

    Args:
        model: the network; its ``card`` (set by ``srkit.build_model``/``load_model``) gives the name, channels
            and size requirements, its ``hparams["scale"]`` the scale of a single-scale model.
        name: the name in reports (default: the card's).
        scales: the scales it serves (default: all the card's for a multi-scale model, else its built scale).
        device: where to run it.
    """

    def __init__(
        self, model: nn.Module, *, name: str | None = None, scales: Sequence[int] | None = None, device: str = "cpu"
    ) -> None:
        self.model = model.to(device).eval()
        self.device = device
        card: Any = getattr(model, "card", None)
        hparams: dict[str, Any] = getattr(model, "hparams", {})
        self.name = name or str(getattr(card, "name", type(model).__name__.lower()))
        self.in_channels = int(getattr(card, "in_channels", 3))
        self.multiple_of = int(getattr(card, "multiple_of", 1))
        self.takes_scale = "scale" in inspect.signature(model.forward).parameters
        if scales is None:
            if self.takes_scale and card is not None and hparams.get("multi_scale", True):
                scales = tuple(card.scales)
            elif "scale" in hparams:
                scales = (int(hparams["scale"]),)
            else:
                raise SrkitError(f"cannot tell which scales {self.name} serves: pass scales=")
        self.scales = tuple(scales)

    def upscale(self, lr: np.ndarray, scale: int) -> np.ndarray:
        if scale not in self.scales:
            raise SrkitError(f"{self.name} upscales by {', '.join(f'x{s}' for s in self.scales)}, not x{scale}")
        if lr.dtype != np.uint8 or lr.ndim != 3 or lr.shape[2] != 3:
            raise SrkitError(f"{self.name} expects an LR uint8 image (h, w, 3), got {lr.dtype} {lr.shape}")
        x = torch.from_numpy(to_float(lr)).permute(2, 0, 1)[None]
        if self.in_channels == 1:
            ycbcr = rgb_to_ycbcr(x)
            y = self._run(ycbcr[:, :1], scale)
            chroma = imresize(ycbcr[:, 1:], scale)
            rgb = ycbcr_to_rgb(torch.cat([y.clamp(0, 1), chroma], dim=1))
        else:
            rgb = self._run(x, scale)
        return to_uint8(rgb[0].permute(1, 2, 0).clamp(0, 1).numpy())

    def _run(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        h, w = x.shape[-2:]
        m = self.multiple_of
        pad_h, pad_w = (-h) % m, (-w) % m
        if pad_h or pad_w:
            mode = "reflect" if pad_h < h and pad_w < w else "replicate"
            x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
        with torch.inference_mode():
            x = x.to(self.device)
            y = self.model(x, scale) if self.takes_scale else self.model(x)
        return y[..., : h * scale, : w * scale].float().cpu()


METHODS: Registry[Callable[[], SRMethod]] = Registry("method")
METHODS.register("bicubic", lambda: Interpolation("bicubic", "bicubic"))
METHODS.register("bilinear", lambda: Interpolation("bilinear", "bilinear"))
METHODS.register("nearest", lambda: Interpolation("nearest", "nearest"))
METHODS.register("lanczos", lambda: Interpolation("lanczos", "lanczos3"))


def get_method(name: str) -> SRMethod:
    """The registered method ``name``; :class:`SrkitError` listing the known names otherwise."""
    return METHODS.get(name)()


def method_names() -> list[str]:
    """Names accepted by :func:`get_method`."""
    return METHODS.names()
