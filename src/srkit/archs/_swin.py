"""Swin Transformer layers for SwinIR (:mod:`srkit.archs.swinir`): window self-attention with a relative position
bias, shifted windows with their attention mask, and the residual Swin Transformer block (RSTB).

Papers:
    - Z. Liu, Y. Lin, Y. Cao, H. Hu, Y. Wei, Z. Zhang, S. Lin, B. Guo, "Swin Transformer: Hierarchical Vision
      Transformer using Shifted Windows", ICCV 2021 (window attention, shifted windows, relative position bias).
    - J. Liang, J. Cao, G. Sun, K. Zhang, L. Van Gool, R. Timofte, "SwinIR: Image Restoration Using Swin
      Transformer", ICCV Workshops 2021 (the RSTB).

Tokens are ``(B, H*W, C)`` in row-major order; ``H`` and ``W`` must be multiples of the window size (SwinIR pads the
image). Parameter names follow the official SwinIR (``attn.qkv``, ``attn.relative_position_bias_table``,
``mlp.fc1``, ``residual_group.blocks.{j}``, ...). The two constants SwinIR stores, ``relative_position_index`` and
``attn_mask``, are derived here (the index is a non-persistent buffer; the mask is built for each input size).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srkit.blocks import conv2d


def window_partition(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """``(B, H, W, C) -> (B, nW, ws*ws, C)``: non-overlapping windows, row-major inside and across windows."""
    b, h, w, c = x.shape
    x = x.view(b, h // window_size, window_size, w // window_size, window_size, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, -1, window_size * window_size, c)


def window_reverse(windows: torch.Tensor, window_size: int, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`window_partition`: ``(B, nW, ws*ws, C) -> (B, H, W, C)``."""
    b, c = windows.shape[0], windows.shape[-1]
    x = windows.view(b, h // window_size, w // window_size, window_size, window_size, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)


def relative_position_index(window_size: int) -> torch.Tensor:
    """``(ws*ws, ws*ws)`` indices into the ``(2 ws - 1)^2`` relative-position table: pair (i, j) of a window maps
    to its offset ``(dy, dx)``, both shifted to ``[0, 2 ws - 2]``, as ``dy * (2 ws - 1) + dx``."""
    coords = torch.stack(torch.meshgrid(torch.arange(window_size), torch.arange(window_size), indexing="ij"))
    flat = coords.flatten(1)  # (2, N)
    rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0) + (window_size - 1)  # (N, N, 2)
    return rel[..., 0] * (2 * window_size - 1) + rel[..., 1]


def shifted_window_mask(
    h: int, w: int, window_size: int, shift: int, *, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """The additive attention mask of shifted windows, ``(nW, ws*ws, ws*ws)``: 0 between tokens of the same
    region of the (cyclically shifted) image, -100 between tokens that the roll brought together from different
    regions (the value the official Swin code uses)."""
    regions = torch.zeros(1, h, w, 1, device=device)
    bounds = (slice(0, -window_size), slice(-window_size, -shift), slice(-shift, None))
    label = 0
    for rows in bounds:
        for cols in bounds:
            regions[:, rows, cols, :] = label
            label += 1
    ids = window_partition(regions, window_size).squeeze(-1).squeeze(0)  # (nW, N)
    same = ids[:, :, None] == ids[:, None, :]
    return torch.zeros(same.shape, device=device, dtype=dtype).masked_fill(~same, -100.0)


class WindowAttention(nn.Module):
    """Multi-head self-attention inside each window, with a learned relative position bias per head::

        attn = softmax(q k^T / sqrt(d) + B[rel(i, j)] + mask) v,   then a linear projection

    ``B`` is the ``((2 ws - 1)^2, n_heads)`` table ``relative_position_bias_table``; ``mask`` (shifted windows) is
    added per window. Uses ``scaled_dot_product_attention`` (fused kernels where available).

    Shape:
        ``(B, nW, N, C) -> (B, nW, N, C)`` with ``N = ws * ws``; ``mask`` is ``(nW, N, N)``.
    """

    relative_position_index: torch.Tensor

    def __init__(self, dim: int, window_size: int, n_heads: int, qkv_bias: bool = True) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window_size - 1) ** 2, n_heads))
        self.register_buffer("relative_position_index", relative_position_index(window_size), persistent=False)
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        b, nw, n, c = x.shape
        qkv = self.qkv(x).view(b, nw, n, 3, self.n_heads, c // self.n_heads).permute(3, 0, 1, 4, 2, 5)
        q, k, v = qkv.unbind(0)  # (B, nW, heads, N, d)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        bias = bias.view(n, n, self.n_heads).permute(2, 0, 1).to(x.dtype)  # (heads, N, N)
        full = bias if mask is None else bias + mask[:, None].to(x.dtype)  # (nW, heads, N, N)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=full)
        return self.proj(out.transpose(2, 3).reshape(b, nw, n, c))


class Mlp(nn.Module):
    """``fc2(GELU(fc1(x)))`` with hidden width ``dim * mlp_ratio``."""

    def __init__(self, dim: int, mlp_ratio: float) -> None:
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class DropPath(nn.Module):
    """Stochastic depth: in training, zero a sample's residual branch with probability ``p`` (scaling the kept
    ones by ``1 / (1 - p)``); the identity in evaluation or with ``p = 0``."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand((x.shape[0],) + (1,) * (x.ndim - 1), device=x.device) >= self.p
        return x * keep.to(x.dtype) / (1.0 - self.p)


class SwinTransformerBlock(nn.Module):
    """One Swin Transformer layer (STL)::

        x = x + W-MSA(LN(x))     (windows shifted by ``shift`` pixels, cyclically, when shift > 0)
        x = x + MLP(LN(x))

    Shape:
        ``(B, H*W, C) -> (B, H*W, C)``.
    """

    def __init__(
        self, dim: int, n_heads: int, window_size: int, shift: int, mlp_ratio: float, qkv_bias: bool, drop_path: float
    ) -> None:
        super().__init__()
        self.window_size, self.shift = window_size, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window_size, n_heads, qkv_bias)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, mlp_ratio)

    def forward(self, x: torch.Tensor, size: tuple[int, int], mask: torch.Tensor | None) -> torch.Tensor:
        h, w = size
        b, _, c = x.shape
        y = self.norm1(x).view(b, h, w, c)
        if self.shift:
            y = torch.roll(y, shifts=(-self.shift, -self.shift), dims=(1, 2))
        windows = self.attn(window_partition(y, self.window_size), mask if self.shift else None)
        y = window_reverse(windows, self.window_size, h, w)
        if self.shift:
            y = torch.roll(y, shifts=(self.shift, self.shift), dims=(1, 2))
        x = x + self.drop_path(y.reshape(b, h * w, c))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class BasicLayer(nn.Module):
    """``depth`` STLs, the odd ones with windows shifted by half a window (key ``blocks.{j}``)."""

    def __init__(
        self,
        dim: int,
        depth: int,
        n_heads: int,
        window_size: int,
        mlp_ratio: float,
        qkv_bias: bool,
        drop_path: list[float],
    ) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            SwinTransformerBlock(
                dim, n_heads, window_size, 0 if j % 2 == 0 else window_size // 2, mlp_ratio, qkv_bias, drop_path[j]
            )
            for j in range(depth)
        )

    def forward(self, x: torch.Tensor, size: tuple[int, int], mask: torch.Tensor | None) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, size, mask)
        return x


class RSTB(nn.Module):
    """SwinIR's residual Swin Transformer block: ``x + conv3x3(STL_depth(... STL_1(x)))``, the convolution applied
    on the token grid reshaped to an image (keys ``residual_group``, ``conv``).

    Shape:
        ``(B, H*W, C) -> (B, H*W, C)``.
    """

    def __init__(
        self,
        dim: int,
        depth: int,
        n_heads: int,
        window_size: int,
        mlp_ratio: float,
        qkv_bias: bool,
        drop_path: list[float],
    ) -> None:
        super().__init__()
        self.residual_group = BasicLayer(dim, depth, n_heads, window_size, mlp_ratio, qkv_bias, drop_path)
        self.conv = conv2d(dim, dim, 3)

    def forward(self, x: torch.Tensor, size: tuple[int, int], mask: torch.Tensor | None) -> torch.Tensor:
        b, _, c = x.shape
        y = self.residual_group(x, size, mask)
        y = self.conv(y.transpose(1, 2).reshape(b, c, *size))
        return x + y.flatten(2).transpose(1, 2)


__all__ = [
    "RSTB",
    "BasicLayer",
    "DropPath",
    "Mlp",
    "SwinTransformerBlock",
    "WindowAttention",
    "relative_position_index",
    "shifted_window_mask",
    "window_partition",
    "window_reverse",
]
