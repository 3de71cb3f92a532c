"""Feedback (recurrent top-down) blocks (survey section 3.3.2 recursive learning, feedback mechanism).

Paper:
    - Z. Li, J. Yang, Z. Liu, X. Yang, G. Jeon, W. Wu, "Feedback Network for Image Super-Resolution", CVPR 2019
      (SRFBN): :class:`FeedbackBlock`, :class:`FeedbackLoop`.

The state is explicit: ``FeedbackBlock.forward(x, hidden)`` takes the previous output and returns the next one,
and ``FeedbackLoop`` starts from no state at every call, so nothing leaks between two forwards.
"""

from __future__ import annotations

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.common import activation
from srkit.blocks.projection import projection_conv, projection_deconv


def _unit(conv: nn.Module, act: str) -> nn.Sequential:
    """A convolution followed by SRFBN's activation (one PReLU slope, as in SRFBN's code)."""
    return nn.Sequential(conv, activation(act, channels=1))


class FeedbackBlock(nn.Module):
    """SRFBN's feedback block (Li et al. 2019).

    ``L0 = act(conv1x1([x, hidden]))``; then for ``g = 1..G``: ``H_g = up_g(fuse_L(L_0..L_{g-1}))`` (an
    up-projection deconvolution) and ``L_g = down_g(fuse_H(H_1..H_g))`` (a down-projection convolution), where
    the fusions are 1x1 conv + act of the concatenation of all earlier LR (resp. HR) features, absent for
    ``g = 1``; the output, the next hidden state, is ``act(conv1x1([L_1, ..., L_G]))``. ``hidden=None`` is the
    first iteration, where SRFBN uses ``hidden = x``.

    Deconvolution/convolution (kernel, stride, padding) per scale: x2 (6, 2, 2), x3 (7, 3, 2), x4 (8, 4, 2),
    x8 (12, 8, 2). Defaults are SRFBN's (64 features, G = 6, PReLU).

    Shape:
        ``x, hidden (B, n_feats, H, W) -> (B, n_feats, H, W)``; internally ``(B, n_feats, s*H, s*W)``.
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, n_groups: int = 6, scale: int = 4, act: str = "prelu") -> None:
        super().__init__()
        if n_groups < 1:
            raise SrkitError(f"FeedbackBlock needs n_groups >= 1, got {n_groups}")
        self.compress_in = _unit(nn.Conv2d(2 * n_feats, n_feats, 1), act)
        self.ups = nn.ModuleList(_unit(projection_deconv(n_feats, scale), act) for _ in range(n_groups))
        self.downs = nn.ModuleList(_unit(projection_conv(n_feats, scale), act) for _ in range(n_groups))
        # fusion g (g >= 1) reduces the g + 1 earlier LR (resp. HR) feature maps to n_feats
        self.fuse_lr = nn.ModuleList(_unit(nn.Conv2d((g + 1) * n_feats, n_feats, 1), act) for g in range(1, n_groups))
        self.fuse_hr = nn.ModuleList(_unit(nn.Conv2d((g + 1) * n_feats, n_feats, 1), act) for g in range(1, n_groups))
        self.compress_out = _unit(nn.Conv2d(n_groups * n_feats, n_feats, 1), act)

    def forward(self, x: torch.Tensor, hidden: torch.Tensor | None = None) -> torch.Tensor:
        state = x if hidden is None else hidden
        lr = [self.compress_in(torch.cat((x, state), dim=1))]
        hr: list[torch.Tensor] = []
        for g, (up, down) in enumerate(zip(self.ups, self.downs, strict=True)):
            low = lr[0] if g == 0 else self.fuse_lr[g - 1](torch.cat(lr, dim=1))
            hr.append(up(low))
            high = hr[0] if g == 0 else self.fuse_hr[g - 1](torch.cat(hr, dim=1))
            lr.append(down(high))
        return self.compress_out(torch.cat(lr[1:], dim=1))


class FeedbackLoop(nn.Module):
    """SRFBN's recurrence: a :class:`FeedbackBlock` unrolled ``n_steps`` times on the same input features.

    ``out_1 = block(x)``, ``out_t = block(x, out_{t-1})``; the weights are shared across steps. ``forward``
    returns every ``out_t`` (a list, for SRFBN's one-loss-per-step supervision) when ``return_all=True``, else
    only the last. The state starts afresh at each call. Defaults are SRFBN's (T = 4 steps).

    Role "special": the feedback framework reconstructs one image per step from the outputs.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``, or a list of ``n_steps`` such tensors.
    """

    @store_hparams
    def __init__(
        self,
        *,
        n_feats: int = 64,
        n_groups: int = 6,
        scale: int = 4,
        act: str = "prelu",
        n_steps: int = 4,
        return_all: bool = False,
    ) -> None:
        super().__init__()
        if n_steps < 1:
            raise SrkitError(f"FeedbackLoop needs n_steps >= 1, got {n_steps}")
        self.block = FeedbackBlock(n_feats=n_feats, n_groups=n_groups, scale=scale, act=act)
        self.n_steps, self.return_all = n_steps, return_all

    def steps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every step's output ``[out_1, ..., out_T]``, whatever ``return_all`` says."""
        outputs: list[torch.Tensor] = []
        hidden: torch.Tensor | None = None
        for _ in range(self.n_steps):
            hidden = self.block(x, hidden)
            outputs.append(hidden)
        return outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        outputs = self.steps(x)
        return outputs if self.return_all else outputs[-1]
