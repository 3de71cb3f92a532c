"""FSRNet: Y. Chen, Y. Tai, X. Liu, C. Shen, J. Yang, "FSRNet: End-to-End Learning Face Super-Resolution with
Facial Priors", CVPR 2018. https://arxiv.org/abs/1711.10703

Face hallucination guided by facial priors, for aligned faces (16x16 -> 128x128 at x8, 32x32 -> 128x128 at x4):

1. *coarse SR network*: the bicubic-upscaled face (pre-upsampling) through residual blocks, a coarse HR face;
2. *fine SR encoder*: features of the coarse face at half the HR size (a stride-2 convolution, residual blocks);
3. *prior estimation network*: from the coarse face, an hourglass predicts the facial priors at half the HR size:
   one heatmap per landmark (68) and parsing maps of the face's components (``srkit.face.priors`` says how they
   are made from the landmarks);
4. *fine SR decoder*: the encoder's features concatenated with the priors, residual blocks, upsampled to the HR
   size: the fine face.

``forward_priors`` returns all four outputs: the coarse face, the fine face and the two prior estimates, each
supervised in training (the paper's multi-supervision; ``srkit.face.FacePriorRecipe``). ``prior=False`` builds
the same network without the prior branch (the decoder sees the encoder's features only) and with more encoder
blocks: the same-size generic model the paper's ablation compares against.

srkit's sizes are the paper's layout scaled to a CPU (the paper: 64 channels, 12 encoder blocks, 2 stacked
hourglasses of depth 4, a transposed-convolution decoder at 128x128; not measured here): 32 channels; every
block runs at half the HR size (the coarse network on the 2x2 space-to-depth of the bicubic face, the decoder
ending in a sub-pixel layer), and the coarse and fine faces are residuals over their input. All measured in
``docs/face.md``.
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
from srkit.blocks import Hourglass, ResBlock, activation, conv2d

PAPER = "Chen, Tai, Liu, Shen, Yang, FSRNet: End-to-End Learning Face Super-Resolution with Facial Priors, CVPR 2018"

N_LANDMARKS = 68
N_PARSING = 7  # face region, left and right brow, left and right eye, nose, mouth (srkit.face.priors)


def _blocks(n: int, n_feats: int) -> nn.Sequential:
    return nn.Sequential(*(ResBlock(n_feats=n_feats) for _ in range(n)))


class FSRNet(nn.Module):
    """FSRNet (Chen et al. 2018), srkit's CPU-sized layout (see the module docstring).

    Args:
        scale: 4 or 8 (any integer >= 2 works; the HR side must be a multiple of ``2 ** (hourglass_depth + 1)``).
        n_feats: channels of every block.
        coarse_blocks, encoder_blocks, decoder_blocks: residual blocks of the coarse network, the fine encoder and
            the fine decoder.
        prior: with the prior estimation network (FSRNet); False: the generic network of the ablation.
        hourglass_depth: halvings of the prior network's hourglass.
        n_landmarks, n_parsing: heatmap and parsing-map channels the prior network predicts.

    Shape:
        ``(B, 3, H, W) -> (B, 3, scale*H, scale*W)``; the priors are ``(B, n, scale*H/2, scale*W/2)``.

    Example:
        >>> net = FSRNet(scale=8, n_feats=8, coarse_blocks=1, encoder_blocks=1, decoder_blocks=1, hourglass_depth=2)
        >>> out = net.forward_priors(torch.rand(1, 3, 16, 16))
        >>> out["fine"].shape, out["heatmaps"].shape, out["parsing"].shape
        (torch.Size([1, 3, 128, 128]), torch.Size([1, 68, 64, 64]), torch.Size([1, 7, 64, 64]))
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 8,
        n_feats: int = 32,
        coarse_blocks: int = 3,
        encoder_blocks: int = 4,
        decoder_blocks: int = 3,
        prior: bool = True,
        prior_blocks: int = 1,
        hourglass_depth: int = 3,
        n_landmarks: int = N_LANDMARKS,
        n_parsing: int = N_PARSING,
    ) -> None:
        super().__init__()
        check_positive_scale(scale)
        if scale < 2:
            raise SrkitError(f"FSRNet upscales by 2 or more, got scale {scale}")
        self.scale, self.has_prior, self.hourglass_depth = scale, prior, hourglass_depth
        self.n_landmarks, self.n_parsing = n_landmarks, n_parsing
        c = n_feats
        # 1. coarse SR network, on the 2x2 space-to-depth of the bicubic face (12 channels at half the HR size)
        self.coarse = nn.Sequential(conv2d(12, c), _blocks(coarse_blocks, c), conv2d(c, 12))
        # 2. fine SR encoder: stride 2 to half the HR size
        self.encoder = nn.Sequential(
            conv2d(3, c, stride=2), activation("relu"), _blocks(encoder_blocks, c), conv2d(c, c)
        )
        # 3. prior estimation network
        n_prior = n_landmarks + n_parsing if prior else 0
        self.prior_net = (
            nn.Sequential(
                conv2d(3, c, 7, stride=2),
                activation("relu"),
                _blocks(prior_blocks, c),
                Hourglass(n_feats=c, depth=hourglass_depth),
                conv2d(c, c, 1),
                activation("relu"),
                conv2d(c, n_prior, 1),
            )
            if prior
            else None
        )
        # 4. fine SR decoder: features (+ priors) -> blocks -> sub-pixel x2 -> the HR residual over the coarse face
        self.decoder = nn.Sequential(
            conv2d(c + n_prior, c),
            activation("relu"),
            _blocks(decoder_blocks, c),
            conv2d(c, 12),
            nn.PixelShuffle(2),
        )

    @property
    def multiple(self) -> int:
        """The HR side must be a multiple of this (the stride-2 layers and the hourglass's halvings)."""
        return 2 ** (self.hourglass_depth + 1) if self.has_prior else 2

    def estimate_priors(self, face: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Landmark heatmap logits and parsing maps of an HR-size face ``(B, 3, H, W)``: the prior estimation
        network alone, at half the size. Each landmark's logits, softmaxed over the map, are the probability of
        where it is (:func:`heatmap_peaks`)."""
        if self.prior_net is None:
            raise SrkitError("this FSRNet was built without the prior branch (prior=False): it estimates no priors")
        maps = self.prior_net(face)
        return maps[:, : self.n_landmarks], maps[:, self.n_landmarks :]

    def forward_priors(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every output: ``coarse`` and ``fine`` faces, and (with the prior branch) ``heatmaps`` and ``parsing``."""
        h, w = x.shape[-2] * self.scale, x.shape[-1] * self.scale
        if h % self.multiple or w % self.multiple:
            raise SrkitError(
                f"FSRNet x{self.scale} needs an HR size that is a multiple of {self.multiple}: "
                f"input {x.shape[-2]}x{x.shape[-1]} gives {h}x{w}"
            )
        dtype = next(self.parameters()).dtype
        up = F.interpolate(x.float(), scale_factor=self.scale, mode="bicubic", align_corners=False)
        coarse = up + F.pixel_shuffle(self.coarse(F.pixel_unshuffle(up, 2).to(dtype)), 2).float()
        c_in = coarse.to(dtype)
        features = self.encoder(c_in)
        out = {"coarse": coarse}
        if self.prior_net is not None:
            logits, parsing = self.estimate_priors(c_in)
            features = torch.cat([features, heatmap_peaks(logits).to(features.dtype), parsing], dim=1)
            out.update(heatmaps=logits.float(), parsing=parsing.float())
        out["fine"] = coarse + self.decoder(features).float()
        return out

    def forward_all(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The coarse and the fine face (both supervised: multi-supervision)."""
        out = self.forward_priors(x)
        return [out["coarse"], out["fine"]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_priors(x)["fine"]


def heatmap_peaks(logits: torch.Tensor) -> torch.Tensor:
    """Heatmap logits ``(B, N, h, w)`` -> each map's spatial softmax divided by its maximum (peak 1, like the
    Gaussian heatmaps of the landmarks): what the decoder sees."""
    probs = torch.softmax(logits.float().flatten(2), dim=-1)
    return (probs / probs.amax(dim=-1, keepdim=True)).view_as(logits)


def _layout(prior: bool) -> dict[str, Any]:
    # the generic network's 13 extra encoder blocks take the place of the prior branch's parameters (contract test)
    return {"n_feats": 32, "coarse_blocks": 3, "encoder_blocks": 4 if prior else 17, "decoder_blocks": 3}


def fsrnet(*, scale: int = 8, **overrides: Any) -> FSRNet:
    """FSRNet with its prior estimation network (landmark heatmaps and parsing maps), srkit's CPU-sized layout."""
    return FSRNet(scale=scale, **{**_layout(True), "prior": True, **overrides})


def fsrnet_generic(*, scale: int = 8, **overrides: Any) -> FSRNet:
    """The same network without the prior branch and with more encoder blocks (the same parameter count): the
    generic face SR model FSRNet's ablation compares against."""
    return FSRNet(scale=scale, **{**_layout(False), "prior": False, **overrides})


_NOTES = (
    "For aligned faces (srkit.face): 16x16 -> 128x128 at x8, 32x32 -> 128x128 at x4; one set of weights per "
    "scale. srkit's CPU-sized layout of the paper's network (32 channels, blocks at half the HR size; the module "
    "docstring lists the differences), so the paper's parameter count does not apply."
)


def _card(name: str, paper: str, params: int, notes: str) -> ModelCard:
    return ModelCard(
        name=name,
        arch="FSRNet",
        paper=paper,
        scales=(4, 8),
        min_size=4,
        multiple_of=4,
        forward_all="hr",
        tiling=False,
        float32_io=True,
        params={4: params, 8: params},
        notes=notes,
    )


ZOO: list[tuple[Builder, ModelCard]] = [
    (fsrnet, _card("fsrnet", PAPER, 448_099, _NOTES)),
    (
        fsrnet_generic,
        _card(
            "fsrnet_generic",
            PAPER + " (its ablation without priors)",
            455_224,
            _NOTES + " Without the prior estimation network: the generic model of the same size.",
        ),
    ),
]
