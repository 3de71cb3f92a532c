"""Models from data: a spec (dict or YAML) names a framework, an upsampler and the body's blocks.

Example (EDSR-baseline at x2, in ten lines)::

    model = create_model({
        "framework": "post", "scale": 2, "n_feats": 64, "mean_shift": True,
        "body": [{"block": "resblock", "repeat": 16}],
        "upsampler": {"type": "subpixel"},
    })

Invalid combinations raise :class:`SrkitError` naming the conflict.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from torch import nn

from srkit._core.cards import ModelCard, with_card
from srkit._core.errors import SrkitError, parse_error
from srkit.blocks import BLOCKS, UPSAMPLERS, build_block, build_upsampler
from srkit.frameworks.base import Framework, check_interpolation
from srkit.frameworks.iterative import IterativeUpDown
from srkit.frameworks.post import PostUpsampling
from srkit.frameworks.pre import PreUpsampling
from srkit.frameworks.progressive import Progressive, ProgressiveStage

FRAMEWORKS = ("pre", "post", "progressive", "iterative")
_RESIDUALS = {
    "pre": ("image", "none"),
    "post": ("features", "image", "both", "none"),
    "progressive": ("image",),
    "iterative": ("none", "image"),
}
# Blocks whose role is "special" and the framework each one belongs to.
_SPECIAL_HOME = {"laplacian_step": "progressive", "feedback_loop": "post", "wavelet_sr": "pre"}
_IMAGE_LEVEL = {"wavelet_sr"}  # blocks that work on the image, not on features


@dataclass(frozen=True)
class ModelSpec:
    """A validated model description (see :func:`create_model` for the meaning of each field)."""

    framework: str
    scale: float = 4
    in_channels: int = 3
    out_channels: int | None = None
    n_feats: int = 64
    body: tuple[Mapping[str, Any], ...] = ()
    upsampler: Mapping[str, Any] | None = None
    global_residual: str | None = None
    interpolation: str = "bicubic"
    mean_shift: bool = False
    body_conv: bool = True
    tail: bool = True
    head_kernel: int = 3
    tail_kernel: int = 3
    n_init: int = 256
    n_stages: int = 3
    dense: bool = True

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        """Validate ``data``: unknown keys and wrong types raise :class:`SrkitError` naming the key."""
        if not isinstance(data, Mapping):
            raise SrkitError(f"a model spec is a mapping, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise SrkitError(f"unknown model spec key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        if "framework" not in data:
            raise SrkitError(f"the model spec needs a 'framework': one of {', '.join(FRAMEWORKS)}")
        kwargs = dict(data)
        kwargs["body"] = tuple(_normalise_body(data.get("body", ())))
        for key in ("in_channels", "n_feats", "head_kernel", "tail_kernel", "n_init", "n_stages"):
            if key in kwargs and (isinstance(kwargs[key], bool) or not isinstance(kwargs[key], int) or kwargs[key] < 1):
                raise SrkitError(f"model spec key {key!r} must be an integer >= 1, got {kwargs[key]!r}")
        scale = kwargs.get("scale", 4)
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
            raise SrkitError(f"model spec key 'scale' must be a number > 0, got {scale!r}")
        if kwargs.get("upsampler") is not None and not isinstance(kwargs["upsampler"], Mapping):
            raise SrkitError(
                f"model spec key 'upsampler' must be a mapping like {{type: subpixel}}, got {kwargs['upsampler']!r}"
            )
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :func:`create_model` accepts (what ``model.spec`` holds)."""
        out = dataclasses.asdict(self)
        out["body"] = [dict(b) for b in self.body]
        return out


def _normalise_body(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, Mapping):
        body = [body]
    if not isinstance(body, list | tuple):
        raise SrkitError(f"model spec key 'body' must be a list of block specs, got {type(body).__name__}")
    out = []
    for i, item in enumerate(body):
        if not isinstance(item, Mapping) or "block" not in item:
            raise SrkitError(f"body[{i}] must be a mapping with a 'block' name, got {item!r}")
        out.append(dict(item))
    return out


def _expand(body: tuple[Mapping[str, Any], ...]) -> list[dict[str, Any]]:
    """Repeat blocks with ``repeat: N`` (separate weights)."""
    blocks = []
    for i, item in enumerate(body):
        spec = dict(item)
        repeat = spec.pop("repeat", 1)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
            raise SrkitError(f"body[{i}] ({spec['block']}): 'repeat' must be an integer >= 1, got {repeat!r}")
        blocks += [spec] * repeat
    return blocks


def _check_body(spec: ModelSpec, blocks: list[dict[str, Any]]) -> None:
    for i, b in enumerate(blocks):
        name = str(b["block"])
        entry = BLOCKS.get(name)
        if entry.role in ("upsample", "downsample") and spec.framework != "iterative":
            raise SrkitError(
                f"block {name!r} changes the resolution ({entry.role}); the {spec.framework} framework's body "
                "must keep it (put upsampling in 'upsampler', or use framework 'iterative' for projection units)"
            )
        home = _SPECIAL_HOME.get(name)
        if entry.role == "special" and home is None:
            raise SrkitError(f"block {name!r} is a part of other blocks or architectures, not a framework body block")
        if entry.role == "special" and home != spec.framework:
            raise SrkitError(f"block {name!r} works only in the {home} framework, not in {spec.framework!r}")
        if b.get("return_all") and i != len(blocks) - 1:
            raise SrkitError(f"block {name!r} returns several outputs (return_all) and must be the last body block")


def create_model(spec: Mapping[str, Any] | str | os.PathLike[str]) -> Framework:
    """Build an SR model from a spec: a mapping, or the path of a YAML file holding one.

    Keys: ``framework`` (``pre``, ``post``, ``progressive``, ``iterative``), ``scale``, ``in_channels``,
    ``out_channels``, ``n_feats``, ``body`` (a list of ``{block: name, repeat: N, **options}``), ``upsampler``
    (``{type: subpixel|transposed|interpolation|meta, **options}``), ``global_residual`` (pre: image/none; post:
    features/image/both/none; iterative: none/image), ``interpolation`` (for pre-upsampling and image skips),
    ``mean_shift``, ``body_conv``, ``tail``, ``head_kernel``, ``tail_kernel``; iterative: ``n_stages``,
    ``n_init``, ``dense``. The returned model keeps its spec in ``model.spec``.

    A model with an integer scale gets a card (``model.card``) like a zoo model's, so srkit's image path, training
    and evaluation run it: ``forward(x)`` at its scale; ``forward_all`` gives an output per body step at the HR
    size (``"hr"``) or, for the progressive framework, one per x2 level (``"pyramid"``); one input channel means
    the Y channel (with the chroma upscaled by MATLAB bicubic), three RGB. Composed models declare no receptive
    field, so they run on whole images, never tiled (``tiling=False``). A fractional scale (``meta`` upsampler)
    gives no card: call such a model directly.
    """
    if isinstance(spec, str | os.PathLike):
        spec = _load_yaml(Path(spec))
    ms = ModelSpec.from_dict(spec)
    if ms.framework not in FRAMEWORKS:
        raise SrkitError(f"unknown framework {ms.framework!r}; choose one of {', '.join(FRAMEWORKS)}")
    check_interpolation(ms.interpolation)
    residual = ms.global_residual or _RESIDUALS[ms.framework][0]
    if residual not in _RESIDUALS[ms.framework]:
        raise SrkitError(
            f"global_residual {residual!r} does not apply to the {ms.framework} framework; "
            f"choose one of {', '.join(_RESIDUALS[ms.framework])}"
        )
    blocks = _expand(ms.body)
    _check_body(ms, blocks)
    builder = {"pre": _pre, "post": _post, "progressive": _progressive, "iterative": _iterative}[ms.framework]
    model = builder(ms, blocks, residual)
    model.spec = ms.to_dict()
    if float(ms.scale) == int(ms.scale) and ms.scale >= 1:
        with_card(model, _card(ms, model))
    return model


def _card(ms: ModelSpec, model: Framework) -> ModelCard:
    """The card of a composed model (see :func:`create_model`)."""
    scale = int(ms.scale)
    return ModelCard(
        name=f"composed_{ms.framework}",
        arch=type(model).__name__,
        paper="srkit composition of the survey's components (Wang, Chen, Hoi, TPAMI 2020)",
        scales=(scale,),
        in_channels=ms.in_channels,
        out_channels=_out(ms),
        color="y" if ms.in_channels == 1 and _out(ms) == 1 else "rgb",
        forward_all="pyramid" if ms.framework == "progressive" else "hr",
        tiling=False,
        params={scale: sum(p.numel() for p in model.parameters())},
        notes="built by srkit.create_model from a spec (model.spec)",
    )


def _load_yaml(path: Path) -> Mapping[str, Any]:
    if not path.is_file():
        raise SrkitError(f"model spec file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise SrkitError(parse_error(path, err)) from None
    if not isinstance(data, Mapping):
        raise SrkitError(f"{path} must hold a mapping (a model spec), got {type(data).__name__}")
    return data.get("model", data) if isinstance(data.get("model"), Mapping) else data


def _body(ms: ModelSpec, blocks: list[dict[str, Any]]) -> list[nn.Module]:
    return [build_block(b, n_feats=ms.n_feats, scale=ms.scale) for b in blocks]


def _out(ms: ModelSpec) -> int:
    return ms.out_channels or ms.in_channels


def _pre(ms: ModelSpec, blocks: list[dict[str, Any]], residual: str) -> Framework:
    if ms.upsampler is not None:
        raise SrkitError(
            "the pre framework interpolates the input first and takes no upsampler "
            f"(got {ms.upsampler.get('type')!r}); choose the interpolation with 'interpolation', "
            "or use framework 'post' for a learned upsampler"
        )
    image_level = [b["block"] in _IMAGE_LEVEL for b in blocks]
    if any(image_level) and not all(image_level):
        raise SrkitError(
            f"image-level blocks ({', '.join(sorted(_IMAGE_LEVEL))}) refine the interpolated image itself and "
            "cannot be mixed with feature-level blocks in one pre-upsampling body"
        )
    feature_space = not (blocks and all(image_level))
    body = [build_block(b, n_feats=ms.n_feats, scale=ms.scale, in_channels=ms.in_channels) for b in blocks]
    return PreUpsampling(
        scale=ms.scale,
        body=body,
        in_channels=ms.in_channels,
        out_channels=_out(ms),
        n_feats=ms.n_feats,
        interpolation=ms.interpolation,
        global_residual=residual == "image" and (feature_space or ms.global_residual == "image"),
        head_kernel=ms.head_kernel,
        tail_kernel=ms.tail_kernel,
        feature_space=feature_space,
    )


def _upsampler(ms: ModelSpec, scale: float, out_channels: int) -> nn.Module:
    up = dict(ms.upsampler or {"type": "subpixel"})
    kind = str(up.get("type"))
    if kind not in UPSAMPLERS:
        UPSAMPLERS.get(kind)  # raises, listing the names
    if kind != "meta" and float(scale) != int(scale):
        raise SrkitError(f"scale {scale} is not an integer; only the 'meta' upsampler handles fractional scales")
    up.setdefault("scale", float(scale) if kind == "meta" else int(scale))
    return build_upsampler(up, in_channels=ms.n_feats, out_channels=out_channels)


def _post(ms: ModelSpec, blocks: list[dict[str, Any]], residual: str) -> Framework:
    up_channels = ms.n_feats if ms.tail else _out(ms)
    return PostUpsampling(
        scale=ms.scale,
        body=_body(ms, blocks),
        upsampler=_upsampler(ms, ms.scale, up_channels),
        in_channels=ms.in_channels,
        out_channels=_out(ms),
        n_feats=ms.n_feats,
        upsampler_channels=up_channels,
        tail=ms.tail,
        body_conv=ms.body_conv and bool(blocks),
        feature_skip=residual in ("features", "both"),
        image_skip=ms.interpolation if residual in ("image", "both") else None,
        mean_shift=ms.mean_shift,
        head_kernel=ms.head_kernel,
    )


def _progressive(ms: ModelSpec, blocks: list[dict[str, Any]], residual: str) -> Framework:
    levels = math.log2(ms.scale) if ms.scale >= 2 else 0.5
    if levels != int(levels):
        raise SrkitError(f"the progressive framework cascades x2 stages; scale {ms.scale} is not a power of two >= 2")
    if ms.upsampler is not None and ms.upsampler.get("type") == "meta":
        raise SrkitError("the progressive framework upsamples by 2 per stage; the 'meta' upsampler does not apply")
    stages: list[nn.Module] = []
    for _ in range(int(levels)):
        if blocks and blocks[0]["block"] == "laplacian_step":
            if len(blocks) != 1:
                raise SrkitError("a progressive body of 'laplacian_step' takes that one block (it is the whole stage)")
            stages.append(build_block(blocks[0], n_feats=ms.n_feats, in_channels=_out(ms)))
        else:
            stages.append(
                ProgressiveStage(
                    body=_body(ms, blocks),
                    upsampler=_upsampler(ms, 2, ms.n_feats),
                    n_feats=ms.n_feats,
                    out_channels=_out(ms),
                    interpolation=ms.interpolation if ms.interpolation != "matlab" else "bicubic",
                )
            )
    return Progressive(scale=int(ms.scale), stages=stages, in_channels=ms.in_channels, n_feats=ms.n_feats)


def _iterative(ms: ModelSpec, blocks: list[dict[str, Any]], residual: str) -> Framework:
    if blocks:
        raise SrkitError(
            "the iterative framework builds its body from projection units; leave 'body' empty and set 'n_stages'"
        )
    if ms.upsampler is not None:
        raise SrkitError("the iterative framework upsamples with its up-projection units; leave 'upsampler' out")
    if float(ms.scale) != int(ms.scale):
        raise SrkitError(f"projection units need an integer scale, got {ms.scale}")
    s, n = int(ms.scale), ms.n_feats
    ups = [
        build_block({"block": "up_projection"}, n_feats=n, scale=s, in_channels=n * (t + 1 if ms.dense else 1))
        for t in range(ms.n_stages)
    ]
    downs = [
        build_block({"block": "down_projection"}, n_feats=n, scale=s, in_channels=n * (t + 1 if ms.dense else 1))
        for t in range(ms.n_stages - 1)
    ]
    return IterativeUpDown(
        scale=s,
        up_units=ups,
        down_units=downs,
        in_channels=ms.in_channels,
        out_channels=_out(ms),
        n_feats=n,
        n_init=ms.n_init,
        dense=ms.dense,
        image_skip=ms.interpolation if residual == "image" else None,
    )
