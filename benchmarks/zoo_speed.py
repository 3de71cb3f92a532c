"""Forward throughput of every zoo model on the CPU, and srkit vs OpenCV ``dnn_superres`` on the same weights.

Part 1: every registered SR model (random weights; speed does not depend on them) at x4 where it has x4, else its
first scale, on one LR input of ``--size`` x ``--size`` (channels from the card): output megapixels per second,
median of ``--repeats`` after a warm-up.

Part 2: OpenCV's ESPCN, FSRCNN and FSRCNN-small ``.pb`` graphs (``../shared/weights``), each run by OpenCV and by
srkit (the same weights read by ``srkit.load_model``) in the same run with the same thread count: the network
alone on the same Y input (``cv2.dnn.readNetFromTensorflow``), and the whole upscale of a colour uint8 image
(``cv2.dnn_superres.upsample`` vs ``srkit.ModelMethod.upscale``: Y through the network, chroma interpolated;
OpenCV's chroma is bilinear, srkit's MATLAB bicubic). Ratios > 1 mean srkit is faster.

Run: python benchmarks/zoo_speed.py [--size 64] [--repeats 3] [--threads 2] [--only NAME ...] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

import srkit
from _opencv import pb_peer_problem  # benchmarks/_opencv.py
from _timing import median_seconds  # benchmarks/_timing.py

WEIGHTS = Path(os.environ.get("SRKIT_SHARED_WEIGHTS", Path(__file__).resolve().parents[2] / "shared" / "weights"))


def zoo(size: int, repeats: int, only: list[str] | None) -> list[dict[str, Any]]:
    rows = []
    for card in srkit.list_models():
        if (only and card.name not in only) or card.out_channels != card.in_channels:
            continue  # discriminators are not SR models
        scale = 4 if 4 in card.scales else card.scales[0]
        model = srkit.build_model(card.name, scale=scale).eval()
        side = size + (-size) % card.multiple_of
        x = torch.rand(1, card.in_channels, side, side)

        def run(model: Any = model, x: torch.Tensor = x, scale: int = scale) -> None:
            with torch.inference_mode():
                srkit.call_model(model, x, scale)

        seconds = median_seconds(run, repeats)
        mpx = (side * scale) ** 2 / 1e6 / seconds
        rows.append({"name": card.name, "scale": scale, "input": side, "seconds": seconds, "mpx_per_s": mpx})
        print(
            f"{card.name:22s} x{scale}  {side}x{side} -> {side * scale}x{side * scale}: "
            f"{seconds * 1e3:9.1f} ms  {mpx:8.3f} Mpx/s",
            flush=True,
        )
    return rows


def pb_graphs() -> list[Path]:
    """OpenCV's ESPCN, FSRCNN and FSRCNN-small graphs in ``WEIGHTS`` ([] when absent)."""
    return sorted(WEIGHTS.glob("ESPCN_opencv_pb/*.pb")) + sorted(WEIGHTS.glob("FSRCNN_opencv_pb/*.pb"))


def opencv_peer(size: int, repeats: int) -> list[dict[str, Any]]:
    """Same weights, same input, same threads: the network alone, and the whole upscale of a colour image."""
    import cv2

    cv2.dnn_superres.DnnSuperResImpl_create()  # registers OpenCV's DepthToSpace layer for readNetFromTensorflow
    rows = []
    graphs = pb_graphs()
    rng = np.random.default_rng(0)
    y = rng.random((size, size), dtype=np.float32)
    bgr = (rng.random((size, size, 3)) * 255).astype(np.uint8)
    for pb in graphs:
        net = cv2.dnn.readNetFromTensorflow(str(pb))
        blob = y[None, None]

        def run_cv(net: Any = net, blob: np.ndarray = blob) -> None:
            net.setInput(blob)
            net.forward()

        model = srkit.load_model(pb)
        x = torch.from_numpy(blob.copy())

        def run_srkit(model: Any = model, x: torch.Tensor = x) -> None:
            with torch.inference_mode():
                model(x)

        algo, scale = ("espcn" if "ESPCN" in pb.name else "fsrcnn"), int(pb.stem[-1])
        sr = cv2.dnn_superres.DnnSuperResImpl_create()
        sr.readModel(str(pb))
        sr.setModel(algo, scale)
        method = srkit.ModelMethod(model)
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        net_cv, net_sk = median_seconds(run_cv, repeats), median_seconds(run_srkit, repeats)
        full_cv = median_seconds(lambda sr=sr: sr.upsample(bgr), repeats)
        full_sk = median_seconds(lambda m=method, s=scale, im=rgb: m.upscale(im, s), repeats)
        rows.append(
            {
                "graph": pb.name,
                "network_opencv_s": net_cv,
                "network_srkit_s": net_sk,
                "upscale_opencv_s": full_cv,
                "upscale_srkit_s": full_sk,
            }
        )
        print(
            f"{pb.name:24s} network: OpenCV {net_cv * 1e3:7.2f} ms, srkit {net_sk * 1e3:7.2f} ms "
            f"({net_cv / net_sk:4.2f}x)   colour upscale: OpenCV {full_cv * 1e3:7.2f} ms, "
            f"srkit {full_sk * 1e3:7.2f} ms ({full_cv / full_sk:4.2f}x)",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64, help="LR input height and width")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--only", nargs="+", help="only these zoo models (part 1)")
    parser.add_argument("--skip-zoo", action="store_true", help="only part 2 (OpenCV peer)")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        import cv2

        cv2.setNumThreads(args.threads)
    except ImportError:
        pass  # part 2 says why it is skipped
    print(
        f"torch {torch.__version__}, {args.threads} threads, LR input {args.size}x{args.size}, "
        f"median of {args.repeats}\n"
    )
    result: dict[str, Any] = {"size": args.size, "threads": args.threads}
    if not args.skip_zoo:
        result["zoo"] = zoo(args.size, args.repeats, args.only)
    graphs = pb_graphs()
    problem = pb_peer_problem(graphs[0]) if graphs else f"no OpenCV .pb graphs in {WEIGHTS}"
    if problem:  # OpenCV or the graphs missing, or an OpenCV that cannot read them (5.1 and newer)
        print(f"\n{problem}: peer comparison skipped")
    else:
        print()
        result["opencv"] = opencv_peer(args.size * 4, args.repeats)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
