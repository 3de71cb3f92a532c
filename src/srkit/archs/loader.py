"""``load_model``: a checkpoint file in, a ready srkit model (with its card) out."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import yaml
from torch import nn

from srkit._core.cards import card_of, with_card
from srkit._core.errors import SrkitError
from srkit.archs._registry import MODELS, build_model
from srkit.archs.checkpoint import Detection, load_state, read_state_dict
from srkit.archs.community import load_community
from srkit.archs.shipped import DEFAULT_MODEL, SHIPPED, shipped_card_entries, shipped_path, shipped_scale

# Every format of every paper file (their DETECTIONS, gathered in srkit/archs/__init__.py); order does not matter.
DETECTIONS: list[Detection] = []


def _converted(d: Detection, state: dict[str, Any]) -> dict[str, Any] | None:
    if d.convert is None:
        return state
    try:
        return d.convert(state)
    except SrkitError:
        return None


def _claims(state: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any], Detection]]:
    """Every format that claims ``state``: ``(model name, constructor arguments, converted state, format)``."""
    found = []
    for d in DETECTIONS:
        converted = _converted(d, state)
        kwargs = None if converted is None else d.detect(converted)
        if kwargs is not None and converted is not None:
            found.append(((d.name_of(kwargs) if d.name_of else d.arch), kwargs, converted, d))
    return found


def _unrecognised(state: dict[str, Any], source: str) -> str:
    sample = ", ".join(list(state)[:5])
    known = "; ".join(f"{d.arch} ({d.signature})" for d in DETECTIONS) or "none"
    return (
        f"unrecognised checkpoint {source}: {len(state)} tensors (first keys: {sample}); srkit recognises {known}. "
        "If you know the architecture, pass arch=NAME (and scale=S)"
    )


def _one(found: list[tuple[str, dict[str, Any], dict[str, Any], Detection]], source: str) -> None:
    if len(found) > 1:
        claims = "; ".join(f"{name} ({d.signature})" for name, _, _, d in found)
        raise SrkitError(f"{source} fits several formats: {claims}. Pass arch=NAME (and please report this)")


def detect_arch(state: dict[str, Any], *, source: str = "checkpoint") -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The registered model name, constructor arguments and (key-converted) state that fit ``state``.

    Every known format is tried; exactly one may claim the state dict (the formats are mutually exclusive, so
    their order does not matter).

    Raises:
        SrkitError: no format fits, or several do (an ambiguity in srkit's detectors: please report it).
    """
    found = _claims(state)
    _one(found, source)
    if not found:
        raise SrkitError(_unrecognised(state, source))
    name, kwargs, converted, _ = found[0]
    return name, kwargs, converted


def _shipped_name(source: str | os.PathLike[str]) -> str | None:
    """``source`` as the name of a shipped model, or None. A shipped name wins over a file or folder of the same
    name in the current folder; a string that looks like a path (``./srkit``, ``models/srkit``) or a ``Path`` is
    a path."""
    if not isinstance(source, str) or source not in SHIPPED:
        return None
    return source


def load_model(
    source: str | os.PathLike[str], *, arch: str | None = None, scale: int | None = None, device: str = "cpu"
) -> nn.Module:
    """Load a checkpoint into the srkit model it belongs to, in eval mode, with ``model.card`` set.

    Args:
        source: the name of one of srkit's shipped models (``"srkit"``, the default quality model;
            ``"srkit_fast"``), a ``.pth``/``.pt``/``.ckpt``/``.bin``/``.safetensors`` state dict, or an OpenCV
            ``dnn_superres`` ``.pb`` graph (ESPCN, FSRCNN, FSRCNN-small). A shipped name always means the shipped
            model, even if a file or folder of that name is in the current folder: write ``./srkit`` for that.
            A state dict srkit's zoo does not recognise is built by spandrel when it is installed
            (``srkit[spandrel]``: Real-ESRGAN compact, SPAN, HAT, OmniSR, ...; :mod:`srkit.archs.community`).
        arch: the registered model name, when detection from the keys is not wanted or not possible.
        scale: the scale, when the checkpoint does not tell it (e.g. PAN x2 and x3 have identical shapes); a
            different scale than the checkpoint's is an error, except for multi-scale models.
        device: where to put the model.

    Raises:
        SrkitError: the file is missing or unreadable, no registered model fits, or the weights do not fit the
            model (the message lists missing, unexpected and mis-shaped tensors).
    """
    name = _shipped_name(source)
    if name is not None:
        return _load_shipped(name, scale=scale, device=device)
    path = Path(source)
    if not path.exists() and isinstance(source, str) and source in MODELS:
        raise SrkitError(
            f"{source!r} is a model name, and srkit ships no weights for it yet: pass a checkpoint file, or build it "
            "untrained with srkit.build_model"
        )
    if path.is_dir():
        raise SrkitError(f"{path} is a folder, not a checkpoint file")
    if path.suffix.lower() == ".pb":
        from srkit.archs.tf_graph import load_opencv_pb

        model, info = load_opencv_pb(path)
        card = MODELS.get(str(info["name"])).card.for_instance(int(info["scale"]))
        return with_card(model, card).to(device).eval()
    state = read_state_dict(path)
    stored = _stored_arch(path) if arch is None else None
    if stored is not None:  # written by srkit train: the architecture and its constructor arguments
        arch, options = stored
        found_scale = options.pop("scale", None)
        card = MODELS.get(arch).card
        chosen = scale if scale is not None else found_scale if found_scale in card.scales else card.default_scale()
        model = build_model(arch, scale=chosen, **options)
        load_state(model, state, source=str(path))
        training = shipped_card_entries(path)  # a copy of a shipped file keeps its training record
        if training:
            model = with_card(model, dataclasses.replace(card_of(model), training=training))
        return model.to(device).eval()
    if arch is None:
        found = _claims(state)
        _one(found, str(path))
        if not found:  # not one of srkit's formats: a community architecture, through spandrel if installed
            message = _unrecognised(state, str(path))
            return load_community(state, source=str(path), scale=scale, unrecognised=message).to(device).eval()
        arch, kwargs, state, _ = found[0]
    else:
        MODELS.get(arch)  # an unknown name raises, listing the known ones
        detection = next((d for d in DETECTIONS if d.arch == arch or (d.name_of and arch.startswith(d.arch))), None)
        converted = _converted(detection, state) if detection else state
        state = converted if converted is not None else state
        kwargs = (detection.detect(state) if detection else None) or {}
    kwargs = dict(kwargs)
    found_scale = kwargs.pop("scale", None)
    card = MODELS.get(arch).card
    if card.multi_scale and found_scale is not None:  # one model for several scales
        found_scale = scale if scale in card.scales else card.default_scale()
    if scale is not None and found_scale is not None and scale != found_scale:
        raise SrkitError(f"{path} holds a x{found_scale} {arch} model, not x{scale}")
    chosen = scale if scale is not None else found_scale
    if chosen is None:
        raise SrkitError(f"cannot tell the scale of {path} from its tensors: pass scale=S")
    model = build_model(arch, scale=chosen, **kwargs)
    load_state(model, state, source=str(path))
    return model.to(device).eval()


def _stored_arch(path: Path) -> tuple[str, dict[str, Any]] | None:
    """``(arch, constructor arguments)`` from a ``.safetensors`` file's metadata when ``srkit_arch`` names a
    registered model, else None: ``hparams`` as ``srkit train`` writes them, or a shipped file's default arguments
    (``srkit_training`` and the optional ``srkit_scale``, as :func:`srkit.archs.shipped.save_shipped` writes them)."""
    if path.suffix.lower() != ".safetensors":
        return None
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception:
        return None
    arch = meta.get("srkit_arch")
    if arch is None or arch not in MODELS:
        return None
    if "hparams" not in meta:
        if "srkit_training" not in meta:
            return None
        return arch, ({"scale": int(meta["srkit_scale"])} if "srkit_scale" in meta else {})
    options = yaml.safe_load(meta["hparams"]) or {}
    return (arch, dict(options)) if isinstance(options, dict) else None


def _load_shipped(name: str, *, scale: int | None, device: str) -> nn.Module:
    """One of srkit's shipped models; its card carries the shipped name and the training entries stored with the
    weights."""
    path = shipped_path(name)
    assert path is not None
    arch = SHIPPED[name][0]
    card = MODELS.get(arch).card
    served = (fixed,) if (fixed := shipped_scale(path)) is not None else card.scales
    if scale is not None and scale not in served:
        raise SrkitError(f"{name!r} serves scales {', '.join(map(str, served))}, not {scale}")
    model = build_model(arch, scale=scale if scale is not None else fixed or card.default_scale())
    load_state(model, read_state_dict(path), source=str(path))
    card = card_of(model)
    notes = card.notes.replace(f"srkit.load_model('{DEFAULT_MODEL}')", f"srkit.load_model('{name}')")
    shipped = dataclasses.replace(card, name=name, notes=notes, training=shipped_card_entries(path))
    return with_card(model, shipped).to(device).eval()
