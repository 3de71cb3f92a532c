"""The README results table, regenerated from scratch: srkit's shipped upscalers against bicubic and OpenCV.

Methods: bicubic (srkit's MATLAB-exact ``imresize``), OpenCV's ``dnn_superres`` running the ESPCN and FSRCNN
``.pb`` graphs of ``../shared/weights`` (``$SRKIT_SHARED_WEIGHTS``), and each ``--model`` (default ``srkit_fast``
and ``srkit``) through ``srkit.Upscaler``. For each, in one run with one thread count for everyone:

* quality: PSNR / SSIM on Set5 and Set14 at x2, x3, x4 under srkit's default protocol (docs/EVALUATION.md:
  MATLAB bicubic LR, float BT.601 Y, shave = scale), measured by ``srkit.evaluate``;
* speed: output megapixels per second of a whole colour upscale (uint8 RGB in, uint8 RGB out) of one fixed
  ``--size`` x ``--size`` image (Set14 ``lenna`` resized with MATLAB bicubic; a seeded synthetic image when the
  data is absent), median of ``--repeats`` after a warm-up, per scale;
* the published Set5/Set14 PSNR(/SSIM) of FSRCNN and ESPCN, from srkit's model cards (../shared/docs/PUBLISHED.md);
* parameters and multiply-accumulates per LR pixel at x4 (the network alone; srkit's cards and FLOP counter).

The table is printed; ``--write-readme README.md`` replaces the block between ``<!-- upscaler-table:start -->``
and ``<!-- upscaler-table:end -->`` (atomically); ``--json FILE`` keeps every number, per image included.

Run: python benchmarks/upscaler_table.py [--sets Set5 Set14] [--scales 2 3 4] [--model srkit_fast --model srkit]
     [--threads 2] [--repeats 5] [--size 256] [--no-peers] [--json FILE] [--write-readme README.md]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import srkit
from _opencv import pb_peer_problem  # benchmarks/_opencv.py
from _timing import median_seconds  # benchmarks/_timing.py
from srkit._core.fileio import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = Path(os.environ.get("SRKIT_SHARED_WEIGHTS") or ROOT.parent / "shared" / "weights")
DATA = Path(os.environ.get("SRKIT_SHARED_DATA") or ROOT.parent / "shared" / "data") / "bench"
START, END = "<!-- upscaler-table:start -->", "<!-- upscaler-table:end -->"
SPEED_IMAGE = ("Set14", "lenna.png")
PEERS = {"ESPCN": ("espcn", "ESPCN_opencv_pb"), "FSRCNN": ("fsrcnn", "FSRCNN_opencv_pb")}  # label: (algo, folder)
NA = "\N{EN DASH}"  # an empty cell
FLOP_SIZE = 64  # LR side for counting MACs (per-pixel counts barely depend on it)


class OpenCVMethod:
    """OpenCV ``dnn_superres`` on one ``.pb`` graph per scale, as an srkit method (RGB in, RGB out).

    OpenCV handles colour itself: the network sees the Y of its full-range YCrCb, the chroma is resized bilinearly.
    """

    def __init__(self, name: str, algo: str, graphs: dict[int, Path]) -> None:
        self.name, self.algo, self.graphs = name, algo, graphs
        self.scales = tuple(sorted(graphs))
        self._impl: dict[int, Any] = {}

    def _sr(self, scale: int) -> Any:
        if scale not in self._impl:
            import cv2

            sr = cv2.dnn_superres.DnnSuperResImpl.create()
            sr.readModel(str(self.graphs[scale]))
            sr.setModel(self.algo, scale)
            self._impl[scale] = sr
        return self._impl[scale]

    def upscale(self, lr: np.ndarray, scale: int) -> np.ndarray:
        out = self._sr(scale).upsample(np.ascontiguousarray(lr[..., ::-1]))
        return np.ascontiguousarray(out[..., ::-1])


@dataclass
class Entry:
    """One row of the table: a method, the scales it serves, and its size at x4 (None where meaningless)."""

    method: Any  # an srkit.SRMethod, timed (and scored unless ``quality`` is given)
    scales: tuple[int, ...]
    kind: str  # "interpolation", "peer" or "ours"
    params: int | None = None
    macs_per_lr_pixel: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    quality: Any = None  # the method scored, when it differs from the timed one (srkit's: fp32, as the cards)


def _card_size(name: str) -> tuple[int | None, float | None]:
    """Parameters and MACs per LR pixel at x4 of the registered model ``name`` as its paper builds it."""
    card = srkit.model_card(name)
    scale = 4 if 4 in card.scales else max(card.scales)
    flops = srkit.model_flops(name, scale=scale, size=FLOP_SIZE)
    params = card.published_params.get(scale) or card.params.get(scale)
    return params, flops / 2 / FLOP_SIZE**2 if flops is not None else None


def network_size(model: nn.Module, scale: int) -> tuple[int, float]:
    """Parameters and MACs per LR pixel of the network itself at ``scale`` (counted on a small input)."""
    card = srkit.card_of(model)
    dtype = torch.float32 if card.float32_io else next(model.parameters()).dtype
    x = torch.zeros(1, card.in_channels, FLOP_SIZE, FLOP_SIZE, dtype=dtype)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        srkit.call_model(model, x, scale)
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() / 2 / FLOP_SIZE**2


def peer_entries(weights: Path, scales: Sequence[int]) -> list[Entry]:
    """OpenCV ESPCN and FSRCNN for the scales that have a ``.pb`` graph; [] with a note if unavailable."""
    probe = next((p for _, folder in PEERS.values() for p in sorted((weights / folder).glob("*.pb"))), None)
    problem = pb_peer_problem(probe)  # OpenCV missing, or one that cannot read the graphs (5.1 and newer)
    if problem:
        print(f"note: {problem}: OpenCV rows skipped")
        return []
    entries = []
    for label, (algo, folder) in PEERS.items():
        graphs = {s: weights / folder / f"{label}_x{s}.pb" for s in scales}
        graphs = {s: p for s, p in graphs.items() if p.is_file()}
        if not graphs:
            print(f"note: no {label}_x*.pb in {weights / folder}: OpenCV {label} skipped")
            continue
        x4 = weights / folder / f"{label}_x4.pb"
        sized = (x4, 4) if x4.is_file() else (graphs[max(graphs)], max(graphs))
        params, macs = network_size(srkit.load_model(sized[0]), sized[1])  # srkit's reading of the same graph
        method = OpenCVMethod(f"{label} (OpenCV dnn_superres)", algo, graphs)
        entries.append(
            Entry(method, method.scales, "peer", params, macs, {"graphs": [str(p) for p in graphs.values()]})
        )
    return entries


def model_label(source: str) -> str:
    """The row name of a ``--model`` value: a shipped name as is, a weights file by its stem."""
    return source if source in srkit.shipped_models() else Path(source).stem


def model_entry(label: str, source: str | nn.Module, precision: str = "auto") -> Entry:
    """One of ours: a shipped name, a checkpoint file, or (for development) a module with a card. Scored in fp32
    through srkit's image path (what ``srkit bench --model`` prints and the model cards hold), timed at
    ``precision`` (default auto: what ``srkit upscale`` runs)."""
    method = srkit.ModelMethod(srkit.Upscaler(source, tile=None, precision=precision), name=label)
    quality = srkit.ModelMethod(source, name=label, precision="fp32", tile=None)
    scales = method.scales
    params, macs = network_size(method.upscaler.net, 4 if 4 in scales else max(scales))
    notes = {
        "arch": method.upscaler.card.arch,
        "precision": method.upscaler.precision,
        "training": dict(method.upscaler.card.training),
    }
    return Entry(method, method.scales, "ours", params, macs, notes, quality)


def speed_image(data_root: Path, size: int) -> tuple[np.ndarray, str]:
    """The fixed speed input: Set14 ``lenna``, centre square, MATLAB-bicubic resized to ``size``; else synthetic."""
    path = data_root.joinpath(*SPEED_IMAGE)
    if path.is_file():
        img = srkit.read_image(path, gray_to_rgb=True)
        h, w = img.shape[:2]
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        square = np.ascontiguousarray(img[top : top + side, left : left + side])
        return srkit.imresize(square, size=(size, size)), f"Set14 {path.stem} resized to {size}x{size}"
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size] / size
    smooth = np.stack([np.sin(7 * xx + 3 * yy), np.cos(5 * yy - 2 * xx), np.sin(4 * (xx + yy))], axis=-1)
    img = np.clip(127.5 + 90 * smooth + rng.normal(0, 12, smooth.shape), 0, 255)
    return np.floor(img + 0.5).astype(np.uint8), f"seeded synthetic {size}x{size} (Set14 not found)"


def measure(entry: Entry, sets: list[Any], scales: Sequence[int], image: np.ndarray, repeats: int) -> dict[str, Any]:
    """Quality (per set and scale) and speed (per scale) of one entry, as JSON-ready numbers."""
    served = [s for s in scales if s in entry.scales]
    quality: dict[str, dict[str, Any]] = {}
    if sets and served:
        for r in srkit.evaluate(entry.quality or entry.method, sets, served):
            images = {i.name: {"psnr": i.psnr, "ssim": i.ssim} for i in r.images}
            quality.setdefault(r.dataset, {})[str(r.scale)] = {"psnr": r.psnr, "ssim": r.ssim, "images": images}
    speed: dict[str, Any] = {}
    for s in served:

        def once(s: int = s) -> object:
            return entry.method.upscale(image, s)

        seconds = median_seconds(once, repeats)
        out_px = image.shape[0] * image.shape[1] * s * s
        speed[str(s)] = {"seconds": seconds, "mpx_per_s": out_px / 1e6 / seconds}
    row = {
        "name": entry.method.name,
        "kind": entry.kind,
        "scales": list(entry.scales),
        "params": entry.params,
        "macs_per_lr_pixel_x4": entry.macs_per_lr_pixel,
        "quality": quality,
        "speed": speed,
    }
    return row | entry.notes


def published_rows(names: Sequence[str] = ("fsrcnn", "espcn")) -> list[dict[str, Any]]:
    """The papers' Set5/Set14 numbers from srkit's model cards, in the rows' JSON shape."""
    rows = []
    for name in names:
        card = srkit.model_card(name)
        quality: dict[str, dict[str, Any]] = {}
        for p in card.published:
            quality.setdefault(p.dataset, {})[str(p.scale)] = {"psnr": p.psnr, "ssim": p.ssim, "source": p.source}
        params, macs = _card_size(name)
        sources = sorted({p.source for p in card.published})
        label = f"{card.arch} (published, {', '.join(sources)})"
        rows.append(
            {
                "name": label,
                "kind": "published",
                "params": params,
                "macs_per_lr_pixel_x4": macs,
                "quality": quality,
                "speed": {},
            }
        )
    return rows


def _count(n: float | None) -> str:
    if n is None:
        return NA
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}K" if n >= 1e3 else f"{n:.0f}"


def _cell(q: dict[str, Any] | None) -> str:
    if not q:
        return NA
    return f"{q['psnr']:.2f} / " + (f"{q['ssim']:.4f}" if q.get("ssim") is not None else NA)


def markdown_table(result: dict[str, Any]) -> str:
    """The Markdown table (and the line saying how it was made) of a result dict as written by ``--json``."""
    sets, scales = result["sets"], result["scales"]
    head = ["Method"] + [f"{d} x{s}" for d in sets for s in scales] + [f"Mpx/s x{s}" for s in scales]
    head += ["Params", "MACs / LR px (x4)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in result["rows"]:
        cells = [row["name"]] + [_cell(row["quality"].get(d, {}).get(str(s))) for d in sets for s in scales]
        speed = [row["speed"].get(str(s)) for s in scales]
        cells += [f"{v['mpx_per_s']:.2f}" if v else NA for v in speed]
        cells += [_count(row.get("params")), _count(row.get("macs_per_lr_pixel_x4"))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + result["produced_by"] + "\n"


def replace_block(text: str, block: str) -> str:
    """``text`` with what lies between the upscaler-table markers replaced by ``block`` (markers kept).

    Raises:
        srkit.SrkitError: the markers are missing, repeated or out of order.
    """
    i, j = text.find(START), text.find(END)
    if i < 0 or j < 0 or text.count(START) != 1 or text.count(END) != 1 or j < i:
        raise srkit.SrkitError(
            f"the file must contain {START} and then {END}, once each, on their own lines: add them where the "
            "table belongs"
        )
    return text[: i + len(START)] + "\n" + block.strip("\n") + "\n" + text[j:]


def write_readme(path: Path, block: str) -> None:
    """Replace the table block of the README at ``path`` in place, atomically."""
    new = replace_block(path.read_text(encoding="utf-8"), block)
    atomic_write_text(path, new)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def produced_by(args: argparse.Namespace, image_desc: str, protocol: str) -> str:
    import importlib.util

    cv = "not installed"
    if importlib.util.find_spec("cv2") is not None:
        import cv2

        cv = cv2.__version__
    command = "python benchmarks/upscaler_table.py " + shlex.join(sys.argv[1:])
    return (
        f"Produced by `{command.strip()}` on {_cpu_model()} ({os.cpu_count()} logical CPUs) with {args.threads} "
        f"threads for torch and OpenCV; speed: {image_desc}, whole colour upscale (uint8 RGB in and out), output "
        f"Mpx/s, median of {args.repeats} after a warm-up; quality: {protocol}; torch {torch.__version__}, "
        f"OpenCV {cv}, srkit {srkit.__version__}, {datetime.date.today().isoformat()}; srkit's rows: quality in "
        "fp32 through srkit's image path (what `srkit bench --model` prints and the model cards hold), speed with "
        f"--precision {args.precision} ({_resolved_precision(args.precision)} here). OpenCV rows: `dnn_superres` "
        "on the `.pb` graphs (its own colour handling); Params and MACs: the network alone, at x4 (for the "
        "published rows, as the paper builds it)."
    )


def _resolved_precision(precision: str) -> str:
    if precision != "auto":
        return precision
    return srkit.inference.auto_precision(srkit.model_card("srkit_fast"), torch.device("cpu"))


def load_sets(data_root: Path, names: Sequence[str]) -> list[Any]:
    """The benchmark sets (a name under ``data_root`` or a folder); [] with a note when the data is absent."""
    if not data_root.is_dir() and not all(Path(n).is_dir() for n in names):
        print(f"note: benchmark data not found at {data_root} (set SRKIT_SHARED_DATA or --data-root): no quality")
        return []
    sets = []
    for n in names:
        folder = Path(n) if Path(n).is_dir() else data_root / n
        if not folder.is_dir():
            raise srkit.SrkitError(f"benchmark set {n!r} not found in {data_root}")
        sets.append(srkit.BenchmarkSet(folder))
    return sets


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=DATA, help="folder holding the sets (default %(default)s)")
    parser.add_argument("--sets", nargs="+", default=["Set5", "Set14"])
    parser.add_argument("--scales", nargs="+", type=int, default=[2, 3, 4], choices=[2, 3, 4])
    parser.add_argument(
        "--model", action="append", help="shipped name or weights file (repeatable; default: srkit_fast and srkit)"
    )
    parser.add_argument("--threads", type=int, default=2, help="threads for torch and OpenCV (default 2)")
    parser.add_argument(
        "--precision", default="auto", help="srkit's precision (default auto: what `srkit upscale` uses)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per method and scale (median)")
    parser.add_argument("--size", type=int, default=256, help="side of the square LR speed input (default 256)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS, help="folder of the OpenCV .pb graphs")
    parser.add_argument("--no-peers", action="store_true", help="skip the OpenCV rows")
    parser.add_argument("--json", type=Path, help="also write every number here")
    parser.add_argument("--write-readme", type=Path, metavar="README", help="replace the table block in this file")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.repeats < 1 or args.size < 8:
        parser.error("--threads and --repeats must be >= 1 and --size >= 8")
    args.model = args.model or ["srkit_fast", "srkit"]
    return args


def run(args: argparse.Namespace, models: Sequence[tuple[str, str | nn.Module]] | None = None) -> dict[str, Any]:
    """Measure everything and return the result dict; ``models`` ((row name, source) pairs, where a source may be
    a module with a card) replaces ``args.model``."""
    torch.set_num_threads(args.threads)
    if not args.no_peers:
        try:
            import cv2

            cv2.setNumThreads(args.threads)
        except ImportError:
            pass
    if args.write_readme is not None:
        replace_block(args.write_readme.read_text(encoding="utf-8"), "")  # fail before the long work
    sets = load_sets(args.data_root, args.sets)
    image, image_desc = speed_image(args.data_root, args.size)
    entries = [Entry(_Renamed(srkit.get_method("bicubic"), "Bicubic (MATLAB imresize)"), (2, 3, 4), "interpolation")]
    if not args.no_peers:
        entries += peer_entries(args.weights, args.scales)
    if models is None:
        models = [(model_label(m), m) for m in args.model]
    entries += [model_entry(label, source, args.precision) for label, source in models]
    rows = []
    for entry in entries:
        print(f"measuring {entry.method.name} ...", flush=True)
        rows.append(measure(entry, sets, args.scales, image, args.repeats))
    rows += published_rows()
    protocol = srkit.Protocol().describe()
    return {
        "sets": [s.name for s in sets] or list(args.sets),
        "scales": list(args.scales),
        "threads": args.threads,
        "repeats": args.repeats,
        "speed_input": {"size": args.size, "image": image_desc},
        "protocol": protocol,
        "rows": rows,
        "produced_by": produced_by(args, image_desc, protocol),
    }


@dataclass(frozen=True)
class _Renamed:
    """A method under another name in the table."""

    inner: Any
    name: str

    def upscale(self, lr: np.ndarray, scale: int) -> np.ndarray:
        out: np.ndarray = self.inner.upscale(lr, scale)
        return out


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        result = run(args)
    except srkit.SrkitError as e:
        sys.exit(f"error: {e}")
    table = markdown_table(result)
    print("\n" + table)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.write_readme is not None:
        write_readme(args.write_readme, table)
        print(f"updated {args.write_readme}")


if __name__ == "__main__":
    main()
