"""Sequential, attention-driven refinement (survey sections 3.3.6 and 3.3.8): a recurrent policy looks at the
image, picks a region, enhances it, and repeats.

After Attention-FH: Cao et al., "Attention-Aware Face Hallucination via Deep Reinforcement Learning", CVPR 2017,
where a recurrent policy network picks one patch per step (a hard choice trained with REINFORCE) and a local
enhancement network refines it, conditioned on what has been refined so far.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.common import activation, conv2d


class SequentialRefiner(nn.Module):
    """A small, differentiable version of Attention-FH's sequential patch enhancement (Cao et al. 2017).

    The features are cut into a grid of ``patch_size x patch_size`` cells (padded at the bottom/right by
    replication when H or W is not a multiple, and cropped back at the end). Each cell has a descriptor ``d_n``
    (its average feature). A recurrent state ``h`` (a GRU cell, started from the image's mean feature) attends
    over the cells, and the attended cells get a residual from a shared local network::

        h   = tanh(init(mean_n d_n))
        for t in 1 .. n_steps:
            a   = softmax_n(<key(d_n), query(h)> / sqrt(hidden))    # attention over cells, sums to 1
            f   = f + up(a) * local(f)                              # local = conv3x3-act-conv3x3, shared
            d   = avgpool_patch(f)
            h   = gru(sum_n a_n d_n, h)                             # state update from the attended features

    Differences from the paper, said plainly: the choice of patch is a *soft* attention (a softmax over cells,
    trained by back-propagation) instead of a hard choice learned by reinforcement; the local network runs on the
    whole feature map (vectorised, so it sees a little context over cell borders) and its output is weighted by
    the attention; the state is a GRU over pooled cell descriptors, not an LSTM over image features. With a
    one-hot attention, one step enhances exactly one patch, as in the paper. ``n_steps=0`` is the identity.

    :meth:`forward_with_attention` also returns the attention maps.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``; attention ``(B, n_steps, ceil(H / p), ceil(W / p))``.
    """

    @store_hparams
    def __init__(
        self,
        *,
        n_feats: int = 64,
        n_steps: int = 4,
        patch_size: int = 8,
        hidden: int = 16,
        kernel_size: int = 3,
        act: str = "relu",
    ) -> None:
        super().__init__()
        if n_steps < 0 or patch_size < 1 or hidden < 1:
            raise SrkitError(
                f"SequentialRefiner needs n_steps >= 0, patch_size >= 1, hidden >= 1; got {n_steps}, {patch_size}, "
                f"{hidden}"
            )
        self.n_steps, self.patch_size, self.hidden = n_steps, patch_size, hidden
        self.init_state = nn.Linear(n_feats, hidden)
        self.key = nn.Linear(n_feats, hidden)
        self.query = nn.Linear(hidden, hidden)
        self.cell = nn.GRUCell(n_feats, hidden)
        self.local = nn.Sequential(
            conv2d(n_feats, n_feats, kernel_size),
            activation(act, channels=n_feats),
            conv2d(n_feats, n_feats, kernel_size),
        )

    def _descriptors(self, f: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, N, C)``: the mean feature of every cell, cells in row-major order."""
        return F.avg_pool2d(f, self.patch_size).flatten(2).transpose(1, 2)

    def forward_with_attention(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The refined features and the attention of every step, ``(B, n_steps, ceil(H/p), ceil(W/p))``."""
        b, _, h, w = x.shape
        p = self.patch_size
        pad_h, pad_w = (-h) % p, (-w) % p
        f = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")  # no branch on the size: traceable
        gh, gw = (h + pad_h) // p, (w + pad_w) // p
        desc = self._descriptors(f)
        state = torch.tanh(self.init_state(desc.mean(dim=1)))
        maps = []
        for step in range(self.n_steps):
            logits = torch.einsum("bnk,bk->bn", self.key(desc), self.query(state)) / math.sqrt(self.hidden)
            att = torch.softmax(logits, dim=1)
            weight = att.view(b, 1, gh, gw).repeat_interleave(p, dim=2).repeat_interleave(p, dim=3)
            f = f + weight * self.local(f)
            maps.append(att.view(b, gh, gw))
            if step < self.n_steps - 1:  # the last state would be unused
                desc = self._descriptors(f)
                state = self.cell(torch.einsum("bnc,bn->bc", desc, att), state)
        attention = torch.stack(maps, dim=1) if maps else x.new_zeros((b, 0, gh, gw))
        return f[:, :, :h, :w], attention

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_attention(x)[0]


__all__ = ["SequentialRefiner"]
