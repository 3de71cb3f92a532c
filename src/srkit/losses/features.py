"""Feature networks for the content (perceptual) and texture losses: ImageNet VGG19 from a user-given file, and
srkit's fixed random-feature network that needs no file.

- VGG19: K. Simonyan, A. Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR
  2015 (https://arxiv.org/abs/1409.1556). :class:`VGG19Features` keeps torchvision's ``vgg19().features`` layer
  indices, so ImageNet weights such as torchvision's ``vgg19-dcbbc4f6.pth`` (keys ``features.{i}.weight/bias``)
  load from a file the user gives. srkit never downloads them.
- Random features: a convolutional network with fixed random weights is a known perceptual/texture baseline: K. He,
  Y. Wang, J. Hopcroft, "A Powerful Generative Model Using Random Weights for the Deep Image Representation", NeurIPS
  2016 (https://arxiv.org/abs/1606.04801); I. Ustyuzhaninov, W. Brendel, L. Gatys, M. Bethge, "What does it take
  to generate natural textures?", ICLR 2017 (https://arxiv.org/abs/1606.00021). :class:`SRKitFeatures` is such a
  network, drawn from a fixed seed, so the losses work (and are tested) without any weights file.

A feature network maps ``(B, C, H, W)`` images in [0, 1] to a dict ``{layer name: (B, C_l, H_l, W_l)}`` of the
layers chosen at construction. Its weights are frozen (``requires_grad=False``), but gradients flow to the input.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.torchload import load_tensors

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "VGG19_LAYERS", "FeatureNetwork", "SRKitFeatures", "VGG19Features"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# torchvision's VGG19 ("E") configuration: channels per 3x3 convolution, "M" for a 2x2 max-pool.
_VGG19_CFG: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M")
_VGG19_CFG += (512, 512, 512, 512, "M", 512, 512, 512, 512, "M")


def _vgg19_layout() -> tuple[tuple[str, ...], dict[int, tuple[int, int]]]:
    """The names of ``vgg19().features[i]`` (``conv1_1``, ``relu1_1``, ..., ``pool5``) and each convolution's
    ``(out, in)`` channels by index."""
    names: list[str] = []
    convs: dict[int, tuple[int, int]] = {}
    block, k, channels = 1, 1, 3
    for item in _VGG19_CFG:
        if item == "M":
            names.append(f"pool{block}")
            block, k = block + 1, 1
            continue
        assert isinstance(item, int)
        convs[len(names)] = (item, channels)
        names += [f"conv{block}_{k}", f"relu{block}_{k}"]
        channels, k = item, k + 1
    return tuple(names), convs


VGG19_LAYERS, _VGG19_CONVS = _vgg19_layout()
"""The 37 layer names of torchvision's ``vgg19().features``, in index order (``conv5_4`` is index 34)."""


class FeatureNetwork(nn.Module):
    """Base class: a frozen sequence of layers whose chosen outputs are returned by name.

    Subclasses set ``available_layers`` (every name, in order) and call :meth:`_build` with one module per name.
    Inputs in [0, 1] are normalised with the ImageNet mean and std first (``normalize_input=True``).

    Attributes:
        layers: the chosen layer names, ordered by depth.
        in_channels: the image channels the network takes.
    """

    available_layers: ClassVar[tuple[str, ...]] = ()
    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, *, layers: Sequence[str], in_channels: int, normalize_input: bool) -> None:
        super().__init__()
        self.layers = self._select(layers)
        self.in_channels = in_channels
        self.normalize_input = normalize_input
        mean = torch.tensor(IMAGENET_MEAN if in_channels == 3 else (0.5,) * in_channels).view(1, -1, 1, 1)
        std = torch.tensor(IMAGENET_STD if in_channels == 3 else (0.25,) * in_channels).view(1, -1, 1, 1)
        self.register_buffer("mean", mean, persistent=False)
        self.register_buffer("std", std, persistent=False)
        self.body = nn.Sequential()

    def _select(self, layers: Sequence[str]) -> tuple[str, ...]:
        name = type(self).__name__
        if isinstance(layers, str) or not layers:
            raise SrkitError(f"{name}: layers must be a non-empty sequence of layer names, got {layers!r}")
        unknown = [layer for layer in layers if layer not in self.available_layers]
        if unknown:
            raise SrkitError(f"{name}: unknown layer {unknown[0]!r}; choose from {', '.join(self.available_layers)}")
        return tuple(sorted(set(layers), key=self.available_layers.index))

    def _build(self, modules: Sequence[nn.Module]) -> None:
        """Keep the modules up to the deepest chosen layer, and freeze them."""
        depth = self.available_layers.index(self.layers[-1]) + 1
        self.body = nn.Sequential(*modules[:depth])
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise SrkitError(
                f"{type(self).__name__} takes (B, {self.in_channels}, H, W) images in [0, 1], got {tuple(x.shape)}"
            )
        if self.normalize_input:
            x = (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        out: dict[str, torch.Tensor] = {}
        for name, module in zip(self.available_layers, self.body, strict=False):
            x = module(x)
            if name in self.layers:
                out[name] = x
        return out


class VGG19Features(FeatureNetwork):
    """The convolutional part of VGG19 with torchvision's layer indices, returning the chosen layers' outputs.

    Layer names follow the paper: ``conv{b}_{k}`` (before its ReLU, e.g. ``conv5_4`` as ESRGAN uses),
    ``relu{b}_{k}`` (e.g. ``relu2_2``, ``relu5_4`` as SRGAN/Johnson et al. use) and ``pool{b}``; see
    ``VGG19_LAYERS``. Only the layers up to the deepest chosen one are built. ReLUs are not in place, so a
    ``conv`` output is really before the activation.

    Without ``weights`` the network has PyTorch's default random initialisation and is NOT a perceptual
    network: give the ImageNet weights file (torchvision's ``vgg19-dcbbc4f6.pth`` or any state dict with keys
    ``features.{i}.weight/bias``, or ``{i}.weight/bias`` of a ``features`` module) here or to
    :meth:`load_weights`. It is read with ``torch.load(weights_only=True)``; nothing is downloaded.

    Args:
        layers: the layer names to return.
        weights: path of the ImageNet VGG19 state dict.
        normalize_input: normalise [0, 1] inputs with the ImageNet mean and std (what the weights expect).

    Shape:
        ``(B, 3, H, W) -> {name: (B, C_l, H / 2^p, W / 2^p)}`` with ``p`` the pools before the layer.

    Raises:
        SrkitError: an unknown layer name; a missing, unreadable or non-VGG19 weights file (the message names
            the expected keys).

    Example:
        >>> net = VGG19Features(layers=["relu1_1", "relu2_2"])  # add weights="vgg19-dcbbc4f6.pth"
        >>> {k: tuple(v.shape) for k, v in net(torch.rand(1, 3, 8, 8)).items()}
        {'relu1_1': (1, 64, 8, 8), 'relu2_2': (1, 128, 4, 4)}
    """

    available_layers = VGG19_LAYERS

    def __init__(
        self,
        *,
        layers: Sequence[str] = ("conv5_4",),
        weights: str | os.PathLike[str] | None = None,
        normalize_input: bool = True,
    ) -> None:
        super().__init__(layers=layers, in_channels=3, normalize_input=normalize_input)
        modules: list[nn.Module] = []
        for i, name in enumerate(VGG19_LAYERS):
            if i in _VGG19_CONVS:
                out_ch, in_ch = _VGG19_CONVS[i]
                modules.append(nn.Conv2d(in_ch, out_ch, 3, padding=1))
            elif name.startswith("relu"):
                modules.append(nn.ReLU(inplace=False))
            else:
                modules.append(nn.MaxPool2d(2, 2))
        self._build(modules)
        if weights is not None:
            self.load_weights(weights)

    def load_weights(self, path: str | os.PathLike[str]) -> None:
        """Load ImageNet VGG19 weights (torchvision's key layout) from ``path``; classifier keys are ignored.

        Raises:
            SrkitError: the file is missing or unreadable, or it lacks a VGG19 convolution or has a wrong shape.
        """
        state = _read_state_dict(Path(path))
        prefix = "features." if any(k.startswith("features.") for k in state) else ""
        problems: list[str] = []
        for i, (out_ch, in_ch) in _VGG19_CONVS.items():
            for suffix, shape in (("weight", (out_ch, in_ch, 3, 3)), ("bias", (out_ch,))):
                key = f"{prefix}{i}.{suffix}"
                if key not in state:
                    problems.append(f"missing {key}")
                elif tuple(state[key].shape) != shape:
                    problems.append(f"{key} has shape {tuple(state[key].shape)}, expected {shape}")
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            indices = ", ".join(str(i) for i in _VGG19_CONVS)
            raise SrkitError(
                f"{path} is not a torchvision VGG19 state dict: {'; '.join(problems[:3])}{more}; expected keys "
                f"features.{{i}}.weight (out, in, 3, 3) and features.{{i}}.bias for i in {indices}"
            )
        with torch.no_grad():
            for i, module in enumerate(self.body):
                if isinstance(module, nn.Conv2d):
                    module.weight.copy_(state[f"{prefix}{i}.weight"])
                    assert module.bias is not None
                    module.bias.copy_(state[f"{prefix}{i}.bias"])


def _read_state_dict(path: Path) -> Mapping[str, torch.Tensor]:
    if not path.is_file():
        raise SrkitError(f"VGG19 weights file not found: {path} (srkit does not download it; give its path)")
    state: Any = load_tensors(path, what="VGG19 weights")  # tensors only; never advises unsafe loading
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise SrkitError(f"{path} does not hold a state dict (name -> tensor), got {type(state).__name__}")
    return state


_SRKIT_WIDTHS = (32, 64, 128, 256)


class SRKitFeatures(FeatureNetwork):
    """srkit's fallback feature network: a small VGG-like network with FIXED RANDOM weights (no file needed).

    NOT ImageNet VGG: it was never trained, so it carries no semantic (object-level) knowledge. What it
    measures: differences in local image structure (edges, textures, their contrast and orientation) at four
    scales, seen through random filters, which, like random-weight networks in He et al. 2016 and Ustyuzhaninov
    et al. 2017, still separate sharp from blurred and textured from flat images. Use it to run and test the
    perceptual and texture losses anywhere; use :class:`VGG19Features` with real weights to reproduce papers.

    Layout (``available_layers``)::

        conv1 relu1 pool1 | conv2 relu2 pool2 | conv3 relu3 pool3 | conv4 relu4       # 3x3 convs, 2x2 max-pools
        channels 32, 64, 128, 256

    Weights: every convolution's filters are drawn from ``N(0, 2 / fan_in)`` (He initialisation), biases are 0,
    with a CPU ``torch.Generator`` seeded by ``seed``, in layer order: the same seed gives the same network on
    every construction and machine.

    Args:
        layers: the layer names to return.
        seed: the seed of the weights (change it only knowingly: it defines the loss).
        in_channels: image channels (3: ImageNet normalisation; otherwise mean 0.5, std 0.25).
        normalize_input: normalise the input as above.

    Shape:
        ``(B, in_channels, H, W) -> {name: (B, C_l, H / 2^p, W / 2^p)}``.

    Example:
        >>> net = SRKitFeatures(layers=["relu1", "relu3"])
        >>> {k: tuple(v.shape) for k, v in net(torch.rand(1, 3, 16, 16)).items()}
        {'relu1': (1, 32, 16, 16), 'relu3': (1, 128, 4, 4)}
    """

    available_layers = (
        *("conv1", "relu1", "pool1", "conv2", "relu2", "pool2"),
        *("conv3", "relu3", "pool3", "conv4", "relu4"),
    )

    def __init__(
        self,
        *,
        layers: Sequence[str] = ("relu1", "relu2", "relu3", "relu4"),
        seed: int = 0,
        in_channels: int = 3,
        normalize_input: bool = True,
    ) -> None:
        if in_channels < 1:
            raise SrkitError(f"SRKitFeatures: in_channels must be >= 1, got {in_channels}")
        super().__init__(layers=layers, in_channels=in_channels, normalize_input=normalize_input)
        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        modules: list[nn.Module] = []
        channels = in_channels
        for stage, width in enumerate(_SRKIT_WIDTHS):
            conv = nn.Conv2d(channels, width, 3, padding=1)
            fan_in = channels * 9
            with torch.no_grad():
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                assert conv.bias is not None
                conv.bias.zero_()
            modules += [conv, nn.ReLU(inplace=False)]
            if stage < len(_SRKIT_WIDTHS) - 1:
                modules.append(nn.MaxPool2d(2, 2))
            channels = width
        self._build(modules)
