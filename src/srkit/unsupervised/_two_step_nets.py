"""The networks of Bulat et al.'s two-step degradation learning that are parts of its training recipe only: the
High-to-Low generator and the spectrally normalised ResNet discriminators (the Low-to-High network is any SR
model of srkit's zoo, the recipe's ``model``).

Paper: Adrian Bulat, Jing Yang, Georgios Tzimiropoulos, "To learn image super-resolution, use a GAN to learn how to
do image degradation first", ECCV 2018, https://arxiv.org/abs/1807.11458; the layouts follow the authors' code
(https://github.com/jingyang2017/Face-and-Image-super-resolution: ``Gen_h2l_0424``-style generator with the
paper's projected noise channel, ``Discriminator``/``Discriminator_16``), read to learn, written here anew.

They are not in :mod:`srkit.archs`: neither maps an LR image to an HR one (the zoo's image contract), and neither
is useful outside the recipe.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams

__all__ = ["H2LGenerator", "SNResNetDiscriminator"]


class _ResBlock(nn.Module):
    """``x + BN(conv(ReLU(BN(conv(x)))))``, 3x3 convolutions (the authors' H2L residual block)."""

    def __init__(self, n_feats: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(n_feats, n_feats, 3, padding=1),
            nn.BatchNorm2d(n_feats),
            nn.ReLU(inplace=True),
            nn.Conv2d(n_feats, n_feats, 3, padding=1),
            nn.BatchNorm2d(n_feats),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class H2LGenerator(nn.Module):
    """Bulat et al.'s High-to-Low generator: an HR patch and a noise vector in, its LR version out::

        n  = reshape(fc(z), 1 x S x S)                        # z ~ N(0, I), noise_dim values -> one channel
        f  = ReLU(conv3x3(cat(2 hr - 1, n)))                  # 4 -> n_feats channels, images in [-1, 1]
        f  = [2 residual blocks, BN, ReLU, conv3x3 stride 2] x n_down                 # S -> S / 2^n_down
        f  = [2 residual blocks, conv3x3 -> 4 n_feats, pixel shuffle x2, ReLU] x 2    # up by 4
        lr = (tanh(conv3x3(f)) + 1) / 2                       # 3 channels, back to [0, 1]
        lr = avgpool_s(hr) + tanh(conv3x3(f)) / 2            # residual=True (srkit's option; the conv starts at 0)
        f  = [conv3x3, ReLU] x 2 of cat(f, unshuffle_s(2 hr - 1), m)   # lr_head=True (srkit's option), before the
                                                              # last conv; m ~ N(0, I): per-pixel noise at LR size

    Twelve residual blocks (``x + BN(conv(ReLU(BN(conv(x)))))``) in six pairs, as the paper's 64 -> 4 -> 16
    encoder-decoder for x4; ``n_down = log2(scale) + 2`` keeps the two upsampling stages at every scale (x2: 32 ->
    4 -> 16). The noise enters as in the paper: projected by a fully connected layer to one extra input channel, so
    the generator is built for one patch size ``S`` (the recipe's HR patch).

    Args:
        scale: 2 or 4 (the LR side is ``S / scale``).
        input_size: ``S``, the HR patch side (a multiple of ``2^n_down``: 64 at x4, as the paper's faces).
        noise_dim: the length of ``z`` (64, the authors').
        n_feats: feature channels (64).
        residual: srkit's departure, off by default: the output is the HR patch average-pooled by ``s x s`` plus a
            learned correction in [-1/2, 1/2] (its last convolution starts at zero, so the untrained generator is the
            pooling). The paper's generator must carry every patch's content through a 4 x 4 bottleneck; trained
            on natural images for minutes rather than on faces for days, it does not, and its LR patches lose the
            content (15-18 dB from the real LR of the same image, where pooling is 24-29 dB). With the residual the
            network only has to learn the degradation (blur, noise, compression) on top of the content.
        lr_head: srkit's departure, off by default: two convolutions at the LR size before the last one, which see
            the decoder's features, the HR patch's own pixels (space-to-depth by ``s``: every HR pixel under each
            LR pixel) and ``map_channels`` channels of per-pixel Gaussian noise. The paper's decoder rebuilds the
            LR patch from a 4 x 4 code and its noise is one projected vector, so it can make neither a blur of the
            patch's edges nor independent noise in each pixel, which are most of what real degradations add; the
            head can make both (a learned local kernel, and noise shaped by learned filters).
        map_channels: the noise map's channels (with ``lr_head``).

    Shape:
        ``hr (B, 3, S, S)``, ``z (B, noise_dim)`` (and with ``lr_head`` the optional noise map ``m (B,
        map_channels, S / scale, S / scale)``, drawn from torch's generator when not given) -> ``(B, 3, S / scale,
        S / scale)``, in [0, 1] (with ``residual``, in [-1/2, 3/2]: the recipe clamps it).

    Example:
        >>> g = H2LGenerator(scale=4, input_size=32, n_feats=8)
        >>> g(torch.rand(2, 3, 32, 32), torch.randn(2, 64)).shape
        torch.Size([2, 3, 8, 8])
        >>> g = H2LGenerator(scale=4, input_size=32, n_feats=8, residual=True, lr_head=True)
        >>> g(torch.rand(2, 3, 32, 32), torch.randn(2, 64), torch.randn(2, 8, 8, 8)).shape
        torch.Size([2, 3, 8, 8])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        input_size: int = 64,
        noise_dim: int = 64,
        n_feats: int = 64,
        residual: bool = False,
        lr_head: bool = False,
        map_channels: int = 8,
    ) -> None:
        super().__init__()
        if scale not in (2, 4):
            raise SrkitError(f"H2LGenerator: scale must be 2 or 4, got {scale!r}")
        self.n_down = int(math.log2(scale)) + 2
        if input_size < 2**self.n_down or input_size % 2**self.n_down:
            need = 2**self.n_down
            raise SrkitError(f"H2LGenerator x{scale}: input_size must be a multiple of {need}, got {input_size}")
        if noise_dim < 1 or map_channels < 1:
            raise SrkitError(f"H2LGenerator: noise_dim and map_channels must be >= 1, got {noise_dim}, {map_channels}")
        self.input_size, self.noise_dim, self.scale, self.residual = input_size, noise_dim, scale, residual
        self.noise = nn.Linear(noise_dim, input_size * input_size)
        self.head = nn.Conv2d(4, n_feats, 3, padding=1)
        down: list[nn.Module] = []
        for _ in range(self.n_down):
            down += [_ResBlock(n_feats), _ResBlock(n_feats), nn.BatchNorm2d(n_feats), nn.ReLU(inplace=True)]
            down.append(nn.Conv2d(n_feats, n_feats, 3, stride=2, padding=1))
        self.down = nn.Sequential(*down)
        up: list[nn.Module] = []
        for _ in range(2):
            up += [_ResBlock(n_feats), _ResBlock(n_feats), nn.Conv2d(n_feats, 4 * n_feats, 3, padding=1)]
            up += [nn.PixelShuffle(2), nn.ReLU(inplace=True)]
        self.up = nn.Sequential(*up)
        self.map_channels = map_channels
        self.lr_head: nn.Module | None = None
        if lr_head:
            head_in = n_feats + 3 * scale * scale + map_channels
            self.lr_head = nn.Sequential(
                nn.Conv2d(head_in, n_feats, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(n_feats, n_feats, 3, padding=1),
                nn.ReLU(inplace=True),
            )
        self.tail = nn.Conv2d(n_feats, 3, 3, padding=1)
        if residual:
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)  # type: ignore[arg-type]  # built with bias=True

    def forward(self, hr: torch.Tensor, z: torch.Tensor, noise_map: torch.Tensor | None = None) -> torch.Tensor:
        b, _, h, w = hr.shape
        if (h, w) != (self.input_size, self.input_size) or z.shape != (b, self.noise_dim):
            raise SrkitError(
                f"H2LGenerator takes (B, 3, {self.input_size}, {self.input_size}) patches and (B, {self.noise_dim}) "
                f"noise, got {tuple(hr.shape)} and {tuple(z.shape)}"
            )
        n = self.noise(z).view(b, 1, h, w)
        f = F.relu(self.head(torch.cat([2 * hr - 1, n], dim=1)))
        f = self.up(self.down(f))
        if self.lr_head is not None:
            side = h // self.scale
            m = noise_map
            if m is None:
                m = torch.randn(b, self.map_channels, side, side, device=hr.device, dtype=hr.dtype)
            elif m.shape != (b, self.map_channels, side, side):
                want = (b, self.map_channels, side, side)
                raise SrkitError(f"H2LGenerator: the noise map must be {want}, got {tuple(m.shape)}")
            f = self.lr_head(torch.cat([f, F.pixel_unshuffle(2 * hr - 1, self.scale), m], dim=1))
        out = torch.tanh(self.tail(f))
        if self.residual:
            return F.avg_pool2d(hr, self.scale) + out / 2
        return (out + 1) / 2


def _sn(layer: nn.Conv2d | nn.Linear, gain: float) -> nn.Module:
    """``layer`` initialised as SN-GAN's (Xavier uniform with ``gain``, zero bias), spectrally normalised."""
    nn.init.xavier_uniform_(layer.weight, gain)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return spectral_norm(layer)


class _DBlock(nn.Module):
    """SN-GAN's discriminator residual block: ``[ReLU] conv3x3, ReLU, conv3x3 [, avgpool 2]`` plus a shortcut
    (``avgpool, conv1x1`` first, ``conv1x1, avgpool`` when downsampling, identity otherwise); spectral norm on
    every convolution."""

    def __init__(self, in_channels: int, out_channels: int, *, down: bool, first: bool) -> None:
        super().__init__()
        self.down, self.first = down, first
        self.conv1 = _sn(nn.Conv2d(in_channels, out_channels, 3, padding=1), 1.0)
        self.conv2 = _sn(nn.Conv2d(out_channels, out_channels, 3, padding=1), 1.0)
        self.shortcut = None
        if down or in_channels != out_channels:
            self.shortcut = _sn(nn.Conv2d(in_channels, out_channels, 1), math.sqrt(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.relu(self.conv1(x if self.first else F.relu(x))))
        s = x
        if self.shortcut is not None:
            s = self.shortcut(F.avg_pool2d(x, 2)) if self.first else self.shortcut(x)
            if self.down and not self.first:
                s = F.avg_pool2d(s, 2)
        return (F.avg_pool2d(h, 2) if self.down else h) + s


class SNResNetDiscriminator(nn.Module):
    """The spectrally normalised ResNet discriminator of SN-GAN (Miyato, Kataoka, Koyama, Yoshida, "Spectral
    Normalization for Generative Adversarial Networks", ICLR 2018) as Bulat et al. use it::

        f = first block (downsamples), then n_down - 1 downsampling blocks, then n_plain blocks
        y = fc(mean over pixels of ReLU(f))                    # spectrally normalised linear layer: one logit

    The authors' discriminators: 16 x 16 LR (``n_down=2, n_plain=3``) and 64 x 64 HR (``n_down=4, n_plain=1``), 128
    channels; the global mean is their average pooling over the final 4 x 4 map.

    Args:
        in_channels: image channels.
        n_feats: channels of every block (128).
        n_down: downsampling blocks (each halves the side).
        n_plain: blocks at the final size.

    Shape:
        ``(B, in_channels, H, W) -> (B, 1)``, ``H`` and ``W`` multiples of ``2^n_down``.

    Example:
        >>> SNResNetDiscriminator(n_feats=8, n_down=2, n_plain=1)(torch.rand(2, 3, 16, 16)).shape
        torch.Size([2, 1])
    """

    @store_hparams
    def __init__(self, *, in_channels: int = 3, n_feats: int = 128, n_down: int = 2, n_plain: int = 3) -> None:
        super().__init__()
        if n_down < 1 or n_plain < 0:
            raise SrkitError(f"SNResNetDiscriminator needs n_down >= 1 and n_plain >= 0, got {n_down}, {n_plain}")
        blocks = [_DBlock(in_channels, n_feats, down=True, first=True)]
        blocks += [_DBlock(n_feats, n_feats, down=True, first=False) for _ in range(n_down - 1)]
        blocks += [_DBlock(n_feats, n_feats, down=False, first=False) for _ in range(n_plain)]
        self.blocks = nn.Sequential(*blocks)
        self.fc = _sn(nn.Linear(n_feats, 1), 1.0)
        self.n_down = n_down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[-2] % 2**self.n_down or x.shape[-1] % 2**self.n_down:
            raise SrkitError(
                f"SNResNetDiscriminator takes (B, C, H, W) with H, W multiples of {2**self.n_down}, "
                f"got {tuple(x.shape)}"
            )
        return self.fc(F.relu(self.blocks(x)).mean(dim=(2, 3)))
