"""The model zoo registry: builders (functions that only set hyper-parameters) with their model cards.

Models are registered explicitly in ``srkit/archs/__init__.py`` (a duplicate name raises). A builder takes
``scale`` (and keyword overrides) and returns an ``nn.Module`` whose constructor recorded its arguments in
``hparams``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from srkit._core.cards import ModelCard, with_card
from srkit._core.registry import Registry

Builder = Callable[..., nn.Module]


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: its builder and its card."""

    builder: Builder
    card: ModelCard


MODELS: Registry[ModelEntry] = Registry("model")
DISCRIMINATORS: Registry[ModelEntry] = Registry("discriminator")  # image -> realness, for GAN training


def register_model(builder: Builder, card: ModelCard) -> None:
    """Register ``builder`` under ``card.name``."""
    MODELS.register(card.name, ModelEntry(builder, card))


def build_model(name: str, *, scale: int | None = None, **overrides: Any) -> nn.Module:
    """Build the registered model ``name`` (random weights) at ``scale`` (default: its first scale).

    The model's card (``model.card``) lists the scales this instance serves: every scale of a multi-scale model,
    else the built one.

    Example:
        >>> build_model("espcn", scale=3).card.scales
        (3,)
        >>> build_model("srkit_fast", scale=3).card.scales
        (2, 3, 4)
    """
    entry = MODELS.get(name)
    s = entry.card.scales[0] if scale is None else scale
    card = entry.card.for_instance(s)  # an unsupported scale raises
    return with_card(entry.builder(scale=s, **overrides), card)


def build_discriminator(name: str, **overrides: Any) -> nn.Module:
    """Build the registered GAN discriminator ``name`` (``srgan_discriminator``, ``vgg_discriminator_128``,
    ``unet_discriminator``)."""
    entry = DISCRIMINATORS.get(name)
    return with_card(entry.builder(**overrides), entry.card)


def model_card(name: str) -> ModelCard:
    """The card of the registered model ``name``."""
    return MODELS.get(name).card


def list_models() -> list[ModelCard]:
    """Cards of every registered model, sorted by name."""
    return [MODELS.get(n).card for n in MODELS.names()]
