"""Export srkit models to ONNX and TorchScript, and check an ONNX file against PyTorch.

Both exporters trace the model: they run it once on an example input and record the operations it performed.
Python branches that depend on the input's shape (``if pad_h: ...``) are frozen to the branch the example took.
Fully convolutional models (ESPCN, FSRCNN, EDSR, IMDN, PAN, CARN) export for any input size. SwinIR exports and
matches PyTorch at every size that is a multiple of its window (the card's ``multiple_of``; the example is one), but
its pad-to-window branch is frozen off, so other sizes fail at run time: pad inputs to ``card.multiple_of`` first,
as srkit's inference does. :func:`check_onnx` measures the agreement at several sizes.

Multi-scale models (``forward(x, scale)``: CARN, MDSR) are exported at one fixed scale, the model's built scale
unless ``scale`` is given.

Example:
    >>> import srkit
    >>> from srkit.inference.export import check_onnx, export_onnx
    >>> model = srkit.build_model("espcn", scale=2)
    >>> path = export_onnx(model, "espcn_x2.onnx")  # doctest: +SKIP
    >>> check_onnx(model, path) < 1e-4  # doctest: +SKIP
    True
"""

from __future__ import annotations

import inspect
import os
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path, check_output_path

__all__ = ["check_onnx", "export_onnx", "export_torchscript"]

INPUT_NAME = "lr"
OUTPUT_NAME = "sr"
DEFAULT_OPSET = 17


class _FixedScale(nn.Module):
    """A multi-scale model (``forward(x, scale)``) called at one fixed scale, so it has a single-input forward."""

    def __init__(self, model: nn.Module, scale: int) -> None:
        super().__init__()
        self.model = model
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.model(x, self.scale)
        return out


def _is_multi_scale(model: nn.Module) -> bool:
    return "scale" in inspect.signature(model.forward).parameters


def _prepare(model: nn.Module, scale: int | None) -> nn.Module:
    """The model in eval mode, wrapped at one scale if it is multi-scale."""
    if not isinstance(model, nn.Module):
        raise SrkitError(f"expected an nn.Module, got {type(model).__name__}")
    model.eval()
    if _is_multi_scale(model):
        s = scale if scale is not None else getattr(model, "scale", None)
        if not isinstance(s, int):
            raise SrkitError(f"{type(model).__name__} is multi-scale: pass scale= to export it")
        return _FixedScale(model, s)
    if scale is not None and scale != getattr(model, "scale", scale):
        raise SrkitError(f"{type(model).__name__} is built for scale {model.scale}, not {scale}")
    return model


def _card_facts(model: nn.Module) -> tuple[str, int, int, int]:
    """``(name, in_channels, multiple_of, min_size)`` from the model's card, or defaults for a card-less model."""
    card = getattr(model, "card", None)
    if card is None:
        return type(model).__name__, 3, 1, 1
    return str(card.name), int(card.in_channels), int(card.multiple_of), int(card.min_size)


def _example_input(model: nn.Module, height: int = 16, width: int = 16, *, seed: int = 0) -> torch.Tensor:
    """A random input ``(1, in_channels, H, W)`` with ``H, W`` rounded up to the card's ``multiple_of``/``min_size``."""
    _, channels, multiple, min_size = _card_facts(model)
    h, w = (max(_round_up(v, multiple), _round_up(min_size, multiple)) for v in (height, width))
    param = next(iter(model.parameters()), None)
    dtype = param.dtype if param is not None else torch.float32
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(1, channels, h, w, generator=gen, dtype=dtype)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def export_onnx(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    opset: int = DEFAULT_OPSET,
    dynamic: bool = True,
    scale: int | None = None,
) -> Path:
    """Export ``model`` to an ONNX file with input ``lr`` and output ``sr``.

    Uses PyTorch's TorchScript-based exporter (``torch.onnx.export(..., dynamo=False)``) at ONNX opset ``opset``
    (default 17). With ``dynamic=True`` the batch, height and width axes are dynamic. The model card's facts are
    stored as ONNX metadata (``metadata_props``): ``srkit.name``, ``srkit.scale``, ``srkit.in_channels``,
    ``srkit.multiple_of``. The file is written atomically: a failed export leaves ``path`` as it was.

    Args:
        model: an srkit model (``srkit.build_model``) or any ``nn.Module`` mapping an image to an image; it is put in
            eval mode.
        path: the ``.onnx`` file to write (its folder must exist).
        opset: the ONNX opset version.
        dynamic: export dynamic batch/height/width axes (else the example's fixed ``1 x C x 16 x 16``).
        scale: the scale to export a multi-scale model (``forward(x, scale)``) at; default its built scale.

    Returns:
        ``path`` as a :class:`Path`.

    Raises:
        SrkitError: ``path`` cannot be written, ``onnx`` is not installed, or the export fails.

    Shape:
        ``lr``: ``(B, in_channels, H, W)`` -> ``sr``: ``(B, out_channels, s*H, s*W)``.

    Example:
        >>> export_onnx(srkit.build_model("fsrcnn", scale=3), "fsrcnn_x3.onnx")  # doctest: +SKIP
        PosixPath('fsrcnn_x3.onnx')
    """
    target = check_output_path(path)
    onnx = _require("onnx")
    net = _prepare(model, scale)
    example = _example_input(model)
    try:
        with torch.no_grad():
            out_scale = net(example).shape[-1] // example.shape[-1]
    except Exception as err:
        raise SrkitError(f"{type(model).__name__} fails on a {tuple(example.shape)} example: {err}") from err
    axes = {0: "batch", 2: "height", 3: "width"}
    dynamic_axes = {INPUT_NAME: axes, OUTPUT_NAME: axes} if dynamic else None
    name, channels, multiple, _ = _card_facts(model)
    with atomic_path(target) as tmp:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tracer warnings about frozen branches; check_onnx measures them
                torch.onnx.export(
                    net,
                    (example,),
                    str(tmp),
                    input_names=[INPUT_NAME],
                    output_names=[OUTPUT_NAME],
                    dynamic_axes=dynamic_axes,
                    opset_version=opset,
                    dynamo=False,
                )
        except Exception as err:
            raise SrkitError(f"ONNX export of {name} failed: {type(err).__name__}: {err}") from err
        proto = onnx.load(str(tmp))
        facts = {"name": name, "scale": out_scale, "in_channels": channels, "multiple_of": multiple}
        for key, value in facts.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = f"srkit.{key}", str(value)
        onnx.save(proto, str(tmp))
    return target


def onnx_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file as a dict (``{"srkit.scale": "2", ...}``)."""
    onnx = _require("onnx")
    proto = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in proto.metadata_props}


def check_onnx(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    sizes: tuple[tuple[int, int], ...] = ((17, 23), (32, 40)),
    batch: int = 1,
    scale: int | None = None,
    seed: int = 0,
) -> float:
    """Run the ONNX file with onnxruntime (CPU) and ``model`` with PyTorch, and return the max abs difference.

    Args:
        model: the PyTorch model that was exported.
        path: the ONNX file.
        sizes: input ``(H, W)`` sizes to compare at, each rounded up to the card's ``multiple_of``; several sizes
            check that the dynamic axes really are dynamic.
        batch: the batch size of the random inputs.
        scale: the scale a multi-scale model was exported at (default its built scale).
        seed: seed of the random inputs.

    Returns:
        The largest ``|onnx - torch|`` over all sizes (``inf`` if an output shape differs).

    Raises:
        SrkitError: onnxruntime is not installed, or the file cannot be loaded or run.

    Example:
        >>> check_onnx(model, "espcn_x2.onnx")  # doctest: +SKIP
        3.5762786865234375e-07
    """
    ort = _require("onnxruntime")
    net = _prepare(model, scale)
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as err:
        raise SrkitError(f"cannot load ONNX file {path}: {err}") from err
    worst = 0.0
    for i, (h, w) in enumerate(sizes):
        x = _example_input(model, h, w, seed=seed + i).float().expand(batch, -1, -1, -1).contiguous()
        with torch.no_grad():
            expected = net(x).float()
        try:
            (got,) = session.run([OUTPUT_NAME], {INPUT_NAME: x.numpy()})
        except Exception as err:
            raise SrkitError(f"onnxruntime failed on a {tuple(x.shape)} input: {err}") from err
        actual = torch.from_numpy(got)
        if actual.shape != expected.shape:
            return float("inf")
        worst = max(worst, float((actual - expected).abs().max()))
    return worst


def export_torchscript(model: nn.Module, path: str | os.PathLike[str], *, scale: int | None = None) -> Path:
    """Trace ``model`` with ``torch.jit.trace`` and save it (atomically) with ``torch.jit.save``.

    Tracing records the operations of one run on a ``1 x C x 16 x 16`` example (sides rounded up to the card's
    ``multiple_of``): shape-dependent Python branches are frozen to that example's path, while tensor sizes stay
    symbolic. Fully convolutional models (ESPCN, FSRCNN, EDSR, IMDN, PAN, CARN at a fixed scale) then work at any input
    size; SwinIR works at multiples of its window size only (its padding branch is frozen off). Load the file with
    ``torch.jit.load(path)``.

    Args:
        model: the model to trace (put in eval mode).
        path: the file to write (its folder must exist).
        scale: the scale of a multi-scale model (default its built scale).

    Returns:
        ``path`` as a :class:`Path`.

    Raises:
        SrkitError: ``path`` cannot be written, or tracing fails.

    Example:
        >>> export_torchscript(srkit.build_model("espcn"), "espcn.pt")  # doctest: +SKIP
        PosixPath('espcn.pt')
    """
    target = check_output_path(path)
    net = _prepare(model, scale)
    example = _example_input(model)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(net, (example,), check_trace=False)
    except Exception as err:
        raise SrkitError(f"TorchScript tracing of {type(model).__name__} failed: {err}") from err
    with atomic_path(target) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.9+ deprecates TorchScript; it still works
        torch.jit.save(traced, str(tmp))
    return target


def _require(module: str) -> Any:
    """Import an optional dependency, or raise an SrkitError naming the pip command."""
    try:
        return __import__(module)
    except ImportError:
        raise SrkitError(f"{module} is not installed: pip install {module} (or pip install 'srkit[export]')") from None
