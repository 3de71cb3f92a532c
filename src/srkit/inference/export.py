"""Export srkit models to ONNX and TorchScript, and check an ONNX file against PyTorch.

Both exporters trace the model: they run it once on an example input and record the operations it performed.
Python branches that depend on the input's shape (``if pad_h: ...``) are frozen to the branch the example took.
Fully convolutional models (ESPCN, FSRCNN, EDSR, IMDN, PAN, CARN) export for any input size. SwinIR exports and
matches PyTorch at every size that is a multiple of its window (the card's ``multiple_of``; the example is one), but
its pad-to-window branch is frozen off, so other sizes fail at run time: pad inputs to ``card.multiple_of`` first,
as srkit's inference does. :func:`check_onnx` measures the agreement at several sizes.

Everything about how the model is called comes from its card: a model whose ``forward`` takes the scale (the
card's ``scale_arg``: CARN, MDSR, srkit's own) is exported at one fixed scale (``scale``, default the scale it
was built for), with the ``float32_io`` convention kept (float32 in and out); :func:`check_onnx` compares the file with
srkit's own tensor path (:func:`srkit.inference.run_piece`: padding and calling as the card says).

Example:
    >>> import srkit
    >>> from srkit.inference.export import check_onnx, export_onnx
    >>> model = srkit.build_model("espcn", scale=2)
    >>> path = export_onnx(model, "espcn_x2.onnx")  # doctest: +SKIP
    >>> check_onnx(model, path) < 1e-4  # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard, call_model, card_of
from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path, check_output_path

__all__ = ["check_onnx", "export_onnx", "export_torchscript"]

INPUT_NAME = "lr"
OUTPUT_NAME = "sr"
DEFAULT_OPSET = 17


class _AtScale(nn.Module):
    """The model called as its card says at one fixed scale, so the exported graph has a single input."""

    def __init__(self, model: nn.Module, card: ModelCard, scale: int) -> None:
        super().__init__()
        self.model, self.model_card, self.scale = model, card, scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return call_model(self.model, x, self.scale, card=self.model_card)


def _prepare(model: nn.Module, scale: int | None) -> tuple[_AtScale, ModelCard, int]:
    """The model in eval mode wrapped at one scale it serves (default: the scale it was built for), with its card."""
    if not isinstance(model, nn.Module):
        raise SrkitError(f"expected an nn.Module, got {type(model).__name__}")
    card = card_of(model)
    s = card.default_scale() if scale is None else scale
    if s not in card.scales:
        raise SrkitError(f"model {card.name!r} serves {', '.join(f'x{v}' for v in card.scales)}, not x{s}")
    model.eval()
    return _AtScale(model, card, s), card, s


def _example_input(
    model: nn.Module, card: ModelCard, height: int = 16, width: int = 16, *, seed: int = 0
) -> torch.Tensor:
    """A random input ``(1, in_channels, H, W)`` with ``H, W`` rounded up to the card's ``multiple_of``/``min_size``,
    in the dtype the model takes (float32 for ``float32_io`` cards, else its weights')."""
    h, w = (max(_round_up(v, card.multiple_of), _round_up(card.min_size, card.multiple_of)) for v in (height, width))
    param = next(iter(model.parameters()), None)
    dtype = torch.float32 if card.float32_io or param is None else param.dtype
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(1, card.in_channels, h, w, generator=gen, dtype=torch.float32).to(dtype) * card.pixel_range


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
        scale: the scale to export at, one the model serves (default: the scale it was built for).

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
    net, card, out_scale = _prepare(model, scale)
    example = _example_input(model, card)
    try:
        with torch.no_grad():
            net(example)
    except Exception as err:
        raise SrkitError(f"{card.name} fails on a {tuple(example.shape)} example: {err}") from err
    axes = {0: "batch", 2: "height", 3: "width"}
    dynamic_axes = {INPUT_NAME: axes, OUTPUT_NAME: axes} if dynamic else None
    name, channels, multiple = card.name, card.in_channels, card.multiple_of
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
        facts = {
            "name": name,
            "scale": out_scale,
            "in_channels": channels,
            "multiple_of": multiple,
            "color": card.color,
            "pixel_range": card.pixel_range,
        }
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
        scale: the scale it was exported at (default: the scale the model was built for).
        seed: seed of the random inputs.

    Returns:
        The largest ``|onnx - torch|`` over all sizes (``inf`` if an output shape differs).

    Raises:
        SrkitError: onnxruntime is not installed, or the file cannot be loaded or run.

    Example:
        >>> check_onnx(model, "espcn_x2.onnx")  # doctest: +SKIP
        3.5762786865234375e-07
    """
    from srkit.inference.tiling import run_piece

    ort = _require("onnxruntime")
    _, card, s = _prepare(model, scale)
    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as err:
        raise SrkitError(f"cannot load ONNX file {path}: {err}") from err
    worst = 0.0
    for i, (h, w) in enumerate(sizes):
        x = _example_input(model, card, h, w, seed=seed + i).float().expand(batch, -1, -1, -1).contiguous()
        with torch.no_grad():  # srkit's tensor path, on the [0, 1] scale
            expected, _ = run_piece(model, x / card.pixel_range, s, device, dtype)
            expected = expected * card.pixel_range
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
        scale: the scale to trace at, one the model serves (default: the scale it was built for).

    Returns:
        ``path`` as a :class:`Path`.

    Raises:
        SrkitError: ``path`` cannot be written, or tracing fails.

    Example:
        >>> export_torchscript(srkit.build_model("espcn"), "espcn.pt")  # doctest: +SKIP
        PosixPath('espcn.pt')
    """
    target = check_output_path(path)
    net, card, _ = _prepare(model, scale)
    example = _example_input(model, card)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(net, (example,), check_trace=False)
    except Exception as err:
        raise SrkitError(f"TorchScript tracing of {card.name} failed: {err}") from err
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
