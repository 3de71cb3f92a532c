"""``srkit export WEIGHTS --format onnx|torchscript -o OUT``."""

from __future__ import annotations

import argparse
from typing import Any

import srkit
from srkit._core.fileio import check_output_path


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export a model checkpoint to ONNX (dynamic size, checked with onnxruntime) or TorchScript",
        description="Export the model of a checkpoint (any file 'srkit bench --weights' reads) to ONNX, opset 17, "
        "with dynamic batch, height and width, and check it against PyTorch with onnxruntime (needs "
        "'pip install srkit[export]'); or to TorchScript by tracing.",
    )
    p.add_argument("weights", help="checkpoint (.pth/.pt/.safetensors or OpenCV .pb)")
    p.add_argument("--format", choices=("onnx", "torchscript"), default="onnx")
    p.add_argument("-o", "--output", required=True, help="the file to write (.onnx / .pt)")
    p.add_argument("--model", metavar="NAME", help="architecture, when it cannot be detected from the weights")
    p.add_argument("--scale", type=int, help="scale, when the weights do not tell it (or for a multi-scale model)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_output_path(args.output, overwrite=args.overwrite)
    model = srkit.load_model(args.weights, arch=args.model, scale=args.scale)
    if args.format == "torchscript":
        srkit.export_torchscript(model, args.output, scale=args.scale)
        print(f"wrote {args.output} (TorchScript, traced)")
        return 0
    srkit.export_onnx(model, args.output, scale=args.scale)
    diff = srkit.check_onnx(model, args.output, scale=args.scale)
    if not diff <= 1e-4:
        raise srkit.SrkitError(f"the ONNX model differs from PyTorch by {diff:.2e} (> 1e-4): {args.output} kept")
    print(f"wrote {args.output} (ONNX opset 17, dynamic size); onnxruntime vs PyTorch max difference {diff:.1e}")
    return 0
