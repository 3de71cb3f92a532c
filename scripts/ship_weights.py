"""Turn a finished srkit training run into shipped weights: evaluate it and write the weights with its model card.

The run's EMA weights (else its plain weights) are scored through the upscaler users get (``srkit.Upscaler``, whole
image, fp32) on Set5 and Set14 at every scale the model serves, under the standard protocol (EVALUATION.md: MATLAB
bicubic LR, Y channel, shave = scale, SR rounded to uint8); the scores, the recipe, the data, the steps, the wall
time and the hardware are stored in the safetensors metadata (``card.training`` once loaded).

Run: python scripts/ship_weights.py runs/srkit_fast --name srkit_fast [--data ../shared/data/bench]
     --hardware "2-core AMD EPYC CPU, fp32" [--out src/srkit/assets/weights/srkit_fast.safetensors]
"""

from __future__ import annotations

import argparse
import csv
import datetime
from pathlib import Path

import srkit
from srkit.archs.shipped import SHIPPED, save_shipped, weights_dir

ROOT = Path(__file__).resolve().parents[1]


def _wall_seconds(run: Path) -> float:
    """Training time from log.csv; its clock restarts at each resume, so the segments are added up (the time
    between a segment's last log line and the kill is not counted)."""
    with (run / "log.csv").open() as f:
        seconds = [float(r["seconds"]) for r in csv.DictReader(f) if r.get("seconds")]
    total, last = 0.0, 0.0
    for s in seconds:
        if s < last:
            total += last
        last = s
    return total + last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="the training run folder (config.yaml, log.csv, weights)")
    parser.add_argument("--name", required=True, choices=sorted(set(SHIPPED) - {"srkit"}))
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bench")
    parser.add_argument("--sets", nargs="+", default=["Set5", "Set14"])
    parser.add_argument("--hardware", required=True, help="what trained it, e.g. '2-core AMD EPYC CPU, bf16'")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    model, config = srkit.load_run(args.run)
    arch, filename = SHIPPED[args.name]
    if config.model.name != arch:
        raise SystemExit(f"{args.run} trained {config.model.name}, not {arch}")
    card = srkit.model_card(arch)
    object.__setattr__(model, "card", card)
    up = srkit.Upscaler(model, tile=None, precision="fp32")
    sets = [srkit.BenchmarkSet(args.data / s) for s in args.sets]
    results = srkit.evaluate(srkit.UpscalerMethod(up, args.name), sets, list(card.scales), progress=False)
    recipe = Path(config.output).name
    recipe_file = next((p for p in (ROOT / "configs" / "srkit").glob("*.yaml") if recipe in p.read_text()), None)
    steps = config.steps
    training = {
        "recipe": str(recipe_file.relative_to(ROOT)) if recipe_file else recipe,
        "data": ", ".join(Path(t).name for t in config.data.train)
        + f" (bicubic LR on the fly, {config.data.patch_size}x{config.data.patch_size} LR patches, "
        f"batch {config.data.batch_size}, scales {config.data.scales})",
        "steps": str(steps),
        "wall_time": f"{_wall_seconds(args.run) / 60:.0f} min",
        "hardware": args.hardware,
        "weights": "EMA" if (args.run / "model_ema.safetensors").exists() else "final",
        "evaluated": f"{datetime.date.today().isoformat()}, srkit.Upscaler fp32 untiled, EVALUATION.md protocol",
    }
    for r in results:
        training[f"{r.dataset} x{r.scale}"] = f"{r.psnr:.2f} dB / {r.ssim:.4f}"
        print(f"{r.dataset} x{r.scale}: PSNR {r.psnr:.2f} SSIM {r.ssim:.4f}")
    out = args.out or weights_dir() / filename
    save_shipped(out, model.state_dict(), training, arch=arch)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
