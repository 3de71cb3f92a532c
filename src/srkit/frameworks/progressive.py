"""Progressive upsampling framework (survey section 3.1.3): a cascade of x2 stages, each emitting an image, for
multi-supervision at every pyramid level (LapSRN, MS-LapSRN, ProSR)."""

from __future__ import annotations

import torch
from torch import nn

from srkit.blocks.common import activation, conv2d
from srkit.frameworks.base import Framework, Outputs, interpolate, run_body


class ProgressiveStage(nn.Module):
    """One x2 level: ``f = upsampler(body(f))``; ``image = interpolate(image, 2) + to_image(f)``.

    ``forward(features, image) -> (features, image)``, both twice the size; the same signature as LapSRN's
    :class:`srkit.blocks.projection.LaplacianStep`, which learns the image upsampling too.
    """

    def __init__(
        self,
        *,
        body: list[nn.Module],
        upsampler: nn.Module,
        n_feats: int = 64,
        out_channels: int = 3,
        interpolation: str = "bicubic",
    ) -> None:
        super().__init__()
        self.body = nn.ModuleList(body)
        self.upsampler = upsampler
        self.to_image = conv2d(n_feats, out_channels)
        self.interpolation = interpolation

    def forward(self, features: torch.Tensor, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.upsampler(run_body(self.body, features)[-1])
        return f, interpolate(image, 2, self.interpolation) + self.to_image(f)


class Progressive(Framework):
    """``f = head(x)``; for each x2 stage: ``f, image = stage(f, image)``; one output image per stage.

    Args:
        scale: a power of two; ``len(stages) == log2(scale)``.
        stages: modules with ``forward(features, image) -> (features, image)`` (:class:`ProgressiveStage` or
            LapSRN's ``LaplacianStep``).
        in_channels, n_feats, head_act: the head convolution.
    """

    def __init__(
        self, *, scale: int, stages: list[nn.Module], in_channels: int = 3, n_feats: int = 64, head_act: str = "lrelu"
    ) -> None:
        super().__init__()
        self.scale = scale
        self.head = nn.Sequential(conv2d(in_channels, n_feats), activation(head_act, channels=n_feats))
        self.stages = nn.ModuleList(stages)

    def forward_all(self, x: torch.Tensor) -> Outputs:
        f, image = self.head(x), x
        outs = []
        for stage in self.stages:
            f, image = stage(f, image)
            outs.append(image)
        return outs
