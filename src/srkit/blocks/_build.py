"""The block registry and ``build_block``: building a block from a spec (a dict of plain data).

Blocks are registered explicitly in ``srkit/blocks/__init__.py``; nothing scans folders. A spec is
``{"block": "<name>", **constructor keyword arguments}``; ``n_feats`` is filled in from the caller when the
block takes it and the spec does not set it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.registry import Registry


@dataclass(frozen=True)
class BlockEntry:
    """A registered block: its class, and what it does to the shape of ``(B, n_feats, H, W)``.

    ``role`` is ``"body"`` (keeps channels and size), ``"upsample"`` (multiplies H and W by ``scale``),
    ``"downsample"`` (divides them), or ``"special"`` (used by one framework only, documented there).
    """

    cls: type[nn.Module]
    role: str = "body"
    survey: str = ""  # the survey's name for the design (docs/composition.md is generated from these)


BLOCKS: Registry[BlockEntry] = Registry("block")
UPSAMPLERS: Registry[BlockEntry] = Registry("upsampler")


def accepts(cls: type[nn.Module], name: str) -> bool:
    """Whether ``cls``'s constructor takes keyword ``name``."""
    params = inspect.signature(cls.__init__).parameters
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _build(registry: Registry[BlockEntry], key: str, spec: Mapping[str, Any], defaults: Mapping[str, Any]) -> nn.Module:
    if not isinstance(spec, Mapping) or key not in spec:
        raise SrkitError(f"a {registry.kind} spec is a mapping with a {key!r} name, got {spec!r}")
    entry = registry.get(str(spec[key]))
    kwargs = {k: v for k, v in spec.items() if k != key}
    for name, value in defaults.items():
        if name not in kwargs and accepts(entry.cls, name):
            kwargs[name] = value
    unknown = [k for k in kwargs if not accepts(entry.cls, k)]
    if unknown:
        params = [p for p in inspect.signature(entry.cls.__init__).parameters if p != "self"]
        raise SrkitError(
            f"{registry.kind} {spec[key]!r} has no option {', '.join(map(repr, unknown))}; "
            f"its options: {', '.join(params)}"
        )
    try:
        return entry.cls(**kwargs)
    except SrkitError:
        raise
    except (TypeError, ValueError) as err:
        raise SrkitError(f"cannot build {registry.kind} {spec[key]!r}: {err}") from None


def build_block(spec: Mapping[str, Any], **defaults: Any) -> nn.Module:
    """Build a registered block from ``{"block": name, **kwargs}``; ``defaults`` (e.g. ``n_feats=64``) fill
    arguments the block takes and the spec leaves out.

    Example:
        >>> build_block({"block": "resblock", "res_scale": 0.1}, n_feats=32).hparams["n_feats"]
        32
    """
    return _build(BLOCKS, "block", spec, defaults)


def build_upsampler(spec: Mapping[str, Any], **defaults: Any) -> nn.Module:
    """Build a registered upsampler from ``{"type": name, **kwargs}`` (``scale``, ``in_channels`` ... as
    ``defaults``)."""
    return _build(UPSAMPLERS, "type", spec, defaults)
