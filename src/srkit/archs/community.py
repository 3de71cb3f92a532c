"""Community checkpoints through spandrel: architectures srkit's zoo does not have, behind the same card contract.

Users of chaiNNer and ComfyUI bring models of architectures outside the survey's canon (Real-ESRGAN's compact
SRVGG, SPAN, HAT, OmniSR, DAT, ...). spandrel (MIT, github.com/chaiNNer-org/spandrel) is the maintained library made
for exactly this: it detects the architecture from a state dict and builds it. When srkit's own detection does not
recognise a checkpoint and spandrel is installed (``pip install 'srkit[spandrel]'``), :func:`load_community`
hands it the state dict (which srkit has already read safely: safetensors, or ``torch.load(weights_only=True)``,
never pickled code) and wraps spandrel's model descriptor into an srkit module with a card, so that
``srkit upscale --model FILE``, tiling, precision, ``srkit bench --weights`` and ``srkit export`` treat it like any
zoo model. srkit's own zoo keeps priority: spandrel is asked only about files srkit does not recognise.

What the card takes from the descriptor: the scale, the channels, the size requirements (``multiple_of``,
``min_size``), fp16/bf16 support and whether tiling is recommended. spandrel states no receptive field, so the card
assumes :data:`RECEPTIVE_FIELD` LR pixels (tiles overlap ``2 * 16 + 8`` pixels and blend their seams). Only RGB
super-resolution models (spandrel's purpose ``"SR"``, scale >= 2, 3 channels, no square-only input) are accepted:
restoration, face and inpainting models are refused with a clear line.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard, with_card
from srkit._core.errors import SrkitError

RECEPTIVE_FIELD = 16  # LR pixels assumed for tile overlap: spandrel's descriptors do not state one
INSTALL = "pip install 'srkit[spandrel]'"


class CommunityModel(nn.Module):
    """A spandrel-built network as an srkit model: ``forward(x)`` is the architecture's own call (some need
    more than ``model(x)``, e.g. taking the first of several outputs); input and output in [0, 1], not clamped.

    Args:
        model: the network spandrel built (a submodule, so ``.to()``, ``state_dict()`` and export see it).
        call: how spandrel calls it (``call(model, x)``).

    Shape:
        ``(B, 3, H, W) -> (B, 3, scale*H, scale*W)``.
    """

    def __init__(self, model: nn.Module, call: Callable[[nn.Module, torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.model = model
        self._call = call

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._call(self.model, x)


def spandrel_version() -> str | None:
    """The installed spandrel's version, or None if it is not installed (or does not import)."""
    try:
        module = importlib.import_module("spandrel")
    except Exception:  # ImportError, or a broken install (e.g. a torchvision that does not fit torch)
        return None
    return str(getattr(module, "__version__", "unknown"))


def load_community(
    state: Mapping[str, torch.Tensor], *, source: str, scale: int | None = None, unrecognised: str = ""
) -> nn.Module:
    """Build the model of ``state`` with spandrel and give it a card.

    Args:
        state: the checkpoint's tensors, as srkit read them (wrappers stripped).
        source: the file, for messages.
        scale: the scale the caller asked for (an error if the checkpoint is of another).
        unrecognised: srkit's own message for the file, repeated when spandrel cannot help either.

    Raises:
        SrkitError: spandrel is not installed or does not recognise the file, or the model is not an RGB
            super-resolution model.
    """
    version = spandrel_version()
    if version is None:
        hint = f"community architectures (Real-ESRGAN compact, SPAN, HAT, OmniSR, ...) load with spandrel: {INSTALL}"
        raise SrkitError(f"{unrecognised}; {hint}" if unrecognised else hint)
    import spandrel

    try:
        descriptor = spandrel.ModelLoader().load_from_state_dict(dict(state))
    except spandrel.UnsupportedModelError:
        raise SrkitError(f"{unrecognised}; spandrel {version} does not recognise it either") from None
    except Exception as err:  # a state dict that matched a detector but does not build
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SrkitError(f"{source}: spandrel {version} recognised it but could not build it: {first}") from None
    card = _card(descriptor, source, version)
    if scale is not None and scale != card.scale:
        raise SrkitError(f"{source} holds a x{card.scale} {descriptor.architecture.name} model, not x{scale}")
    call = getattr(descriptor, "_call_fn", None) or _plain_call
    return with_card(CommunityModel(descriptor.model, call), card)


def _plain_call(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out: torch.Tensor = model(x)
    return out


def _card(descriptor: Any, source: str, version: str) -> ModelCard:
    """The card of a spandrel descriptor; refuses what srkit's image path cannot run."""
    arch = descriptor.architecture
    what = f"{source} ({arch.name}, through spandrel {version})"
    if not isinstance(descriptor, importlib.import_module("spandrel").ImageModelDescriptor):
        raise SrkitError(f"{what} is an inpainting model (it takes a mask): srkit upscales with SR models")
    if descriptor.purpose != "SR" or descriptor.scale < 2:
        raise SrkitError(
            f"{what} is a {descriptor.purpose} model at x{descriptor.scale}: srkit upscales with SR models"
        )
    if (descriptor.input_channels, descriptor.output_channels) != (3, 3):
        raise SrkitError(
            f"{what} maps {descriptor.input_channels} to {descriptor.output_channels} channels: srkit runs RGB "
            "community models"
        )
    size = descriptor.size_requirements
    if size.square:
        raise SrkitError(f"{what} needs square inputs, which srkit's tiling cannot give it")
    tiling = descriptor.tiling.name == "SUPPORTED"
    scale = int(descriptor.scale)
    params = sum(p.numel() for p in descriptor.model.parameters())
    return ModelCard(
        name=f"spandrel:{arch.id}",
        arch=type(descriptor.model).__name__,
        paper=f"{arch.name}, built by spandrel {version} from a community checkpoint (see spandrel's documentation)",
        scales=(scale,),
        scale=scale,
        in_channels=3,
        out_channels=3,
        min_size=max(1, int(size.minimum)),
        multiple_of=max(1, int(size.multiple_of)),
        fp16=bool(descriptor.supports_half),
        bf16=bool(descriptor.supports_bfloat16),
        tiling=tiling,
        receptive_field=RECEPTIVE_FIELD,
        params={scale: params},
        notes=(
            f"loaded through spandrel {version} ({', '.join(descriptor.tags) or 'no tags'}); spandrel states no "
            f"receptive field: tiles assume {RECEPTIVE_FIELD} LR pixels and blend their seams"
            + ("" if tiling else f"; spandrel advises against tiling ({descriptor.tiling.name.lower()})")
        ),
    )


__all__ = ["INSTALL", "RECEPTIVE_FIELD", "CommunityModel", "load_community", "spandrel_version"]
