"""``srkit bench``: evaluate methods on benchmark sets and scales, as the papers measure them."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import srkit
import srkit.unsupervised
from srkit._core.fileio import check_output_path
from srkit.archs.shipped import SHIPPED
from srkit.data.paths import resolve_data_path

EXAMPLES = """examples:
  srkit bench                                   bicubic on the bundled example images, x2 x3 x4
  srkit bench --model srkit --data ../shared/data/bench/Set5 --scale 4        srkit's default model (its card's figures)
  srkit bench --weights IMDN_x4.pth --data Set5 --scale 4                     any checkpoint srkit.load_model reads
  srkit bench --method bicubic lanczos --data ../shared/data/bench/Set5 ../shared/data/bench/Set14 --scale 2 3 4
  srkit bench --data Set5 --scale 3 --degradation BD --markdown results.md
  srkit bench --model srkit_real --data Set14 --scale 4 --degradation bsrgan --seed 0   a synthetic real-world set
  srkit bench --no-reference --data photos/ --method bicubic --model srkit_real --scale 4   NIQE, no ground truth
  srkit bench --data Set5_matlab_pairs/image_SRF_4 --scale 4     LR read from *_LR files
  srkit bench --data DIV2KRK --scale 2 4 --per-image     a blind set (gt/, lr_x2/, gt_k_x2/...): LR files, kernels
  srkit bench --weights runs/camera/model_ema.safetensors --data City100_iPhoneX_40 --scale 1
                                                 same-size real pairs (NNN_HR/NNN_LR): a vdsr_camera model at x1
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "bench",
        help="evaluate methods on benchmark sets (PSNR/SSIM per the standard protocol)",
        description="Evaluate SR methods on benchmark image folders and print PSNR, SSIM and time per image. "
        "LR images are made from the HR folder by the chosen degradation (MATLAB-exact bicubic by default) "
        "or read from *_LR files / an --lr folder / a blind set's lr_xS folders (DIV2KRK's layout, or 'srkit "
        "blindset'), whose kernels are passed to the methods.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--method",
        "-m",
        nargs="+",
        default=None,
        metavar="NAME",
        help=f"methods to evaluate (default bicubic, unless --weights); one of: {', '.join(srkit.method_names())}",
    )
    p.add_argument(
        "--model",
        metavar="NAME",
        help="a shipped model (srkit, srkit_fast, srkit_real, srkit_real_gan, srkit_prior) on its own, or with "
        "--weights the architecture of the checkpoint (a zoo name, see 'srkit models')",
    )
    p.add_argument(
        "--weights",
        metavar="FILE",
        help="checkpoint of the model (.pth/.pt/.safetensors, or OpenCV .pb); the architecture is detected from "
        "it when --model is not given",
    )
    p.add_argument("--device", default="cpu", help="device for models (cpu, cuda, mps)")
    p.add_argument(
        "--precision",
        choices=("fp32", "bf16", "fp16", "auto"),
        default="fp32",
        help="precision of models (default fp32, as the model cards are measured; auto: as 'srkit upscale')",
    )
    p.add_argument(
        "--data",
        "-d",
        nargs="+",
        metavar="DIR",
        help="benchmark folders of HR images (default: the bundled example images)",
    )
    p.add_argument(
        "--scale",
        "-s",
        nargs="+",
        type=_scale,
        default=None,
        metavar="N",
        help="integer scale factors (default 2 3 4; with --cubes 4)",
    )
    p.add_argument(
        "--degradation",
        default="BI",
        type=str.upper,
        choices=srkit.PROTOCOLS,
        help="how LR is made from HR: BI (MATLAB bicubic, default), BD (blur + subsample), DN (noise), or a fixed "
        "synthetic real-world test set: REAL_ESRGAN or BSRGAN (the training pipelines, parameters drawn per image "
        "from --seed and the image name)",
    )
    p.add_argument("--lr", metavar="DIR", help="read LR images from this folder instead of degrading the HR")
    p.add_argument(
        "--no-reference",
        action="store_true",
        help="the --data folders hold real LR photos without ground truth: upscale them and report the outputs' "
        "NIQE (no-reference quality, lower is more natural) instead of PSNR/SSIM",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random degradations (DN, REAL_ESRGAN, BSRGAN)")
    p.add_argument(
        "--gray-as-rgb",
        action="store_true",
        help="score grayscale images on the Y of their three equal channels (as IMDN's, PAN's and CARN's scripts do; "
        "default: on the gray value, as the MATLAB scripts)",
    )
    p.add_argument("--rgb", action="store_true", help="measure on RGB instead of the Y channel")
    p.add_argument(
        "--y-round",
        action="store_true",
        help="round Y to integers as MATLAB rgb2ycbcr on uint8 (the second common table)",
    )
    p.add_argument(
        "--cubes",
        action="store_true",
        help="the --data entries are hyperspectral cubes (files, or folders of .npy/.npz/.mat/.tif cubes): score "
        "HSI methods under Wald's protocol (Gaussian PSF with FWHM = ratio; srkit.hsi) by band-mean PSNR/SSIM, "
        "SAM, ERGAS and RMSE. Methods: bicubic and deep (srkit's HSI network, or --weights), or, with --response, "
        "the fusion methods bicubic, gsa, cnmf, regression and deep (an HR guide simulated through the response)",
    )
    p.add_argument(
        "--response",
        metavar="FILE.csv",
        help="with --cubes: score fusion with a guide seen through this spectral response (a CSV of wavelength "
        "and one column per channel, or 'cie' for CIE 1931); the cubes need wavelengths (in the file, or "
        "--wavelengths)",
    )
    p.add_argument("--wavelengths", metavar="FIRST:LAST", help="with --cubes: band centres (nm) of cubes without them")
    p.add_argument("--csv", metavar="FILE", help="write the results as CSV")
    p.add_argument("--json", metavar="FILE", help="write the results, per image, as JSON")
    p.add_argument("--markdown", metavar="FILE", help="write the table as Markdown")
    p.add_argument("--per-image", action="store_true", help="print and write (CSV) one row per image, with its seconds")
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress (default: a bar on a terminal, a plain line every 30 s in logs)",
    )
    p.set_defaults(run=run)


def _scale(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value != int(value) or value < 1:
        raise argparse.ArgumentTypeError(f"benchmark scales are integers >= 1 (1: same-size LR files), got {text}")
    return int(value)


def _model_method(args: argparse.Namespace) -> srkit.ModelMethod:
    """The model of ``--model``/``--weights``, run through srkit's one image path (as ``srkit upscale``)."""
    if args.weights is None:
        model = srkit.load_model(args.model)  # a shipped model
        return srkit.ModelMethod(model, device=args.device, precision=args.precision)
    scale = args.scale[0] if len(args.scale) == 1 else None  # for checkpoints that do not tell their scale
    model = srkit.load_model(args.weights, arch=args.model, scale=scale)
    return srkit.ModelMethod(model, name=args.model, device=args.device, precision=args.precision)


def _lr_note(sets: list[srkit.BenchmarkSet], protocol: srkit.Protocol) -> str | None:
    """Where LR images come from when some sets read them from files (None: all made by the degradation)."""
    from_files = [s for s in sets if s.reads_lr_files]
    if not from_files:
        return None
    notes = [f"{s.name} from files" + (" with their kernels" if s.scales is not None else "") for s in from_files]
    if len(from_files) < len(sets):
        notes.append(f"other sets {protocol.made_lr()}")
    return "; ".join(notes)


def run(args: argparse.Namespace) -> int:
    if args.cubes:
        from srkit.cli.hsi import bench_cubes

        return bench_cubes(args)
    if args.response or args.wavelengths:
        raise srkit.SrkitError("--response and --wavelengths apply to hyperspectral cubes: add --cubes")
    args.scale = args.scale or [2, 3, 4]
    if args.y_round and args.rgb:
        raise srkit.SrkitError("--y-round applies to the Y channel; it cannot be combined with --rgb")
    methods: list[srkit.SRMethod] = [srkit.get_method(name) for name in dict.fromkeys(args.method or [])]
    if args.model and not args.weights and args.model not in SHIPPED:
        raise srkit.SrkitError(
            f"--model {args.model} needs --weights FILE (srkit ships weights for {', '.join(sorted(SHIPPED))})"
        )
    if args.weights or args.model:
        methods.append(_model_method(args))
    if not methods:
        methods = [srkit.get_method("bicubic")]
    outputs = {"csv_path": args.csv, "json_path": args.json, "markdown_path": args.markdown}
    for path in outputs.values():
        if path is not None:
            check_output_path(path)
    folders = [resolve_data_path(f, key="--data").path for f in args.data] if args.data else [srkit.example_folder()]
    if args.no_reference:
        return _run_no_reference(args, methods, folders)
    lr_root = resolve_data_path(args.lr, key="--lr").path if args.lr else None  # ../shared/data/...: $SRKIT_SHARED_DATA
    sets = [srkit.BenchmarkSet(f, lr_root=lr_root) for f in folders]
    protocol = srkit.Protocol(
        degradation=args.degradation,
        test_y_channel=not args.rgb,
        y_round=args.y_round,
        seed=args.seed,
        gray_as_rgb=args.gray_as_rgb,
    )
    protocol = dataclasses.replace(protocol, lr_note=_lr_note(sets, protocol))
    scales = list(dict.fromkeys(args.scale))
    progress = False if args.no_progress else None
    results = [r for m in methods for r in srkit.evaluate(m, sets, scales, protocol, progress=progress)]
    print(srkit.format_table(results, protocol))
    if args.per_image:
        for r in results:
            for i in r.images:
                print(
                    f"{r.method} {r.dataset} x{r.scale} {i.name}: {i.psnr:.2f} dB, SSIM {i.ssim:.4f}, {i.seconds:.3f} s"
                )
    srkit.write_reports(results, protocol, per_image=args.per_image, **outputs)
    return 0


def _run_no_reference(args: argparse.Namespace, methods: list[srkit.SRMethod], folders: list[Any]) -> int:
    """``--no-reference``: NIQE of each method's outputs on real LR photos."""
    from srkit.evaluation.noref import evaluate_no_reference, format_no_reference

    clash = [o for o, given in (("--lr", args.lr), ("--rgb", args.rgb), ("--y-round", args.y_round)) if given]
    clash += [o for o in ("csv", "json", "markdown") if getattr(args, o)]
    if args.degradation != "BI":
        clash.append("--degradation")
    if clash:
        raise srkit.SrkitError(f"--no-reference scores real photos with NIQE alone; drop {', '.join(clash)}")
    scales = list(dict.fromkeys(args.scale))
    progress = False if args.no_progress else None
    results = [r for m in methods for r in evaluate_no_reference(m, folders, scales, progress=progress)]
    print(format_no_reference(results))
    if args.per_image:
        for r in results:
            for name, value in r.images:
                print(f"{r.method} {r.dataset} x{r.scale} {name}: NIQE {value:.3f}")
    return 0
