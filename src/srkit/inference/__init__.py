"""Inference helpers: padding to a model card's size rules, tiled memory-bounded upscaling, and export to ONNX
and TorchScript.

Example::

    from srkit.inference import upscale_tensor
    sr = upscale_tensor(model.eval(), lr, tile="auto")
"""

from srkit.inference.api import get_upscaler, upscale, upscale_file
from srkit.inference.export import check_onnx, export_onnx, export_torchscript, onnx_metadata
from srkit.inference.tiling import auto_tile_size, crop_to, iter_tiles, pad_to_multiple, run_piece, upscale_tensor
from srkit.inference.upscale import (
    ImagePipeline,
    Upscaler,
    auto_precision,
    check_precision,
    default_output,
    describe,
    native_bf16,
    resolve_device,
)

__all__ = [
    "ImagePipeline",
    "Upscaler",
    "auto_precision",
    "auto_tile_size",
    "check_onnx",
    "check_precision",
    "crop_to",
    "default_output",
    "describe",
    "export_onnx",
    "export_torchscript",
    "get_upscaler",
    "iter_tiles",
    "native_bf16",
    "onnx_metadata",
    "pad_to_multiple",
    "resolve_device",
    "run_piece",
    "upscale",
    "upscale_file",
    "upscale_tensor",
]
