"""Turn a finished srkit training run into shipped weights: evaluate it and write the weights with its model card.

The run's EMA weights (else its plain weights) are scored through srkit's one image path (``srkit.ModelMethod``:
``srkit.Upscaler`` on whole images in fp32, exactly what ``srkit bench --model NAME`` runs) on Set5 and Set14 at
every scale the model serves, under the standard protocol (EVALUATION.md: MATLAB bicubic LR, Y channel, shave =
scale, SR rounded to uint8); the scores, the recipe, the data, the steps, the wall time and the hardware are stored
in the safetensors metadata (``card.training`` once loaded).

A hyperspectral network (``hsi3d``, ``hsi_fusion``) is scored on the held-out CAVE balloons cube under Wald's
protocol (``srkit.hsi.evaluate``: single-image SR at its scale; fusion at x8 with the CIE 1931 response, which
training never saw), band-mean PSNR and SAM, shave = ratio.

A face model (``fsrnet``, ``fsrnet_generic``: one file per scale) is scored instead on the held-out faces of
``--faces`` (Helen_train_128's validation split, ``srkit.face.evaluate``): PSNR/SSIM on Y (shave = scale) and the
landmark error of its outputs.

Run: python scripts/ship_weights.py runs/srkit_fast --name srkit_fast [--data ../shared/data/bench]
     --hardware "2-core AMD EPYC CPU, fp32" [--out src/srkit/assets/weights/srkit_fast.safetensors]
     python scripts/ship_weights.py runs/face/fsrnet_x8 --name srkit_face_x8 --hardware "..."
     python scripts/ship_weights.py runs/srkit_quality_stage2 --name srkit_net --continues --hardware "..."
     python scripts/ship_weights.py --rescore srkit_fast     # re-measure a shipped file, same tensors
"""

from __future__ import annotations

import argparse
import csv
import datetime
from pathlib import Path

from torch import nn

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


def _scores(
    model: nn.Module, name: str, data: Path, set_names: list[str], real_world: list[str] | None = None
) -> dict[str, str]:
    """``{"Set5 x4": "31.61 dB / 0.8873", ...}`` through srkit's one image path, fp32, whole images; with
    ``real_world`` (e.g. ``["BSRGAN"]``), also x4 on each set's fixed synthetic real-world test set, seed 0
    (``"Set14 x4 BSRGAN seed 0"``: what ``srkit bench --degradation bsrgan --seed 0 --scale 4`` prints)."""
    method = srkit.ModelMethod(model, name=name, precision="fp32", tile=None)
    sets = [srkit.BenchmarkSet(data / s) for s in set_names]
    results = srkit.evaluate(method, sets, list(method.scales), progress=False)
    scores = {f"{r.dataset} x{r.scale}": f"{r.psnr:.2f} dB / {r.ssim:.4f}" for r in results}
    for degradation in real_world or []:
        protocol = srkit.Protocol(degradation=degradation, seed=0)
        for r in srkit.evaluate(method, sets, [4], protocol, progress=False):
            scores[f"{r.dataset} x4 {protocol.degradation} seed 0"] = f"{r.psnr:.2f} dB / {r.ssim:.4f}"
    for key, value in scores.items():
        print(f"{key}: {value}")
    return scores


FACE_ARCHS = ("fsrnet", "fsrnet_generic")
HSI_ARCHS = ("hsi3d", "hsi_fusion")
VIDEO_ARCHS = ("basicvsr_lite", "basicvsr_uni", "vespcn", "srkit_vsr", "srkit_vsr_uni")


def _face_scores(model: nn.Module, name: str, faces: Path) -> dict[str, str]:
    """``{"Helen val x8": "26.01 dB / 0.7712", "Helen val x8 landmark NME": "0.0712"}`` on the held-out faces."""
    from srkit.face.api import LANDMARK_MODEL
    from srkit.face.evaluate import evaluate_faces, face_model_method

    scale = int(model.scale)
    marker = model if name == LANDMARK_MODEL else None  # the landmark estimator is this model's prior network
    rows, _ = evaluate_faces(faces, scale, {name: face_model_method(model=model)}, landmark_model=marker)
    row = rows[-1]
    key = f"{faces.name.split('_')[0]} val x{scale}"
    scores = {key: f"{row.psnr:.2f} dB / {row.ssim:.4f}", f"{key} landmark NME": f"{row.nme:.4f}"}
    for k, v in scores.items():
        print(f"{k}: {v}")
    return scores


def _hsi_scores(model: nn.Module, hsi_root: Path) -> dict[str, str]:
    """``{"CAVE balloons x4": "37.50 dB, SAM 2.01", "... bicubic": ...}`` under Wald's protocol (held out)."""
    from srkit.hsi.evaluate import evaluate_fusion, evaluate_sr
    from srkit.hsi.response import cie_xyz
    from srkit.hsi.scenes import load_scene

    cube = load_scene("cave_balloons", hsi_root)
    if type(model).__name__ == "HSIFusionNet":
        rows = evaluate_fusion(cube, "CAVE balloons", 8, cie_xyz(), ("bicubic", "deep"), model=model)
        what = " + CIE 1931 RGB"
    else:
        rows = evaluate_sr(cube, "CAVE balloons", int(model.scale), model=model)
        what = ""
    return {
        f"CAVE balloons x{r.ratio}{what}" + (" (bicubic)" if r.method == "bicubic" else ""): (
            f"{r.psnr:.2f} dB, SAM {r.sam:.2f} deg"
        )
        for r in rows
    }


def _video_scores(model: nn.Module, vid4: Path) -> dict[str, str]:
    """``{"Vid4 calendar x4": "21.50 dB / 0.6800, tOF 0.40", ...}``: Vid4 BI x4 (srkit.video.evaluate)."""
    from srkit.video.evaluate import evaluate_clip, load_clip
    from srkit.video.upscale import clip_upscaler

    up = clip_upscaler(model)
    scores = {}
    for clip in ("calendar", "city"):
        (row,) = evaluate_clip(clip, load_clip(vid4 / clip), {"model": lambda f: list(up(iter(f)))}, 4)
        scores[f"Vid4 {clip} x4"] = f"{row.psnr:.2f} dB / {row.ssim:.4f}, tOF {row.tof:.3f}"
    return scores


def _lr_note(config: srkit.TrainConfig) -> str:
    """How the recipe made its LR patches, in a few words."""
    d = config.data
    if d.kind == "clips":
        return "synthetic clips from the stills (random camera paths, moving patches), MATLAB bicubic LR"
    if d.kind == "cubes":
        guide = ", HR guides through random responses" if d.options.get("guide") else ""
        return f"Wald's protocol: Gaussian PSF with FWHM = ratio{guide}"
    if d.kind == "faces":
        return "whole aligned faces, training split; LR by MATLAB bicubic; priors from the landmarks"
    if d.degradation_mix:
        mix = ", ".join(f"{k} {v:g}" for k, v in d.degradation_mix.items())
        return f"LR on the fly by a mixture of degradations per patch ({mix})"
    return "bicubic LR on the fly" if d.degradation.upper() == "BI" else f"{d.degradation} LR on the fly"


PROTOCOL = "LR by MATLAB bicubic; PSNR/SSIM on the BT.601 Y channel; shave = scale; SR rounded to uint8"
REPO_NOTE = " (srkit's source repository)"


def _evaluated_note(name: str) -> str:
    """How the scores were measured, self-contained (the card travels without the repository's docs)."""
    return f"{datetime.date.today().isoformat()}, srkit bench --model {name} (fp32, whole images; {PROTOCOL})"


def rescore(name: str, data: Path, set_names: list[str], real_world: list[str] | None = None) -> None:
    """Re-measure the shipped weights of ``name`` and rewrite their stored scores (the tensors stay as they are)."""
    model = srkit.load_model(name)
    card = srkit.card_of(model)
    training = dict(card.training)
    training.update(_scores(model, name, data, set_names, real_world))
    training["evaluated"] = _evaluated_note(name)
    if not training.get("recipe", "").endswith(REPO_NOTE):
        training["recipe"] = training.get("recipe", "") + REPO_NOTE
    arch, filename = SHIPPED[name]
    out = weights_dir() / filename
    save_shipped(out, model.state_dict(), training, arch=arch)
    print(f"rewrote the scores of {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, nargs="?", help="the training run folder (config.yaml, log.csv, weights)")
    parser.add_argument("--name", choices=sorted(set(SHIPPED) - {"srkit"}))
    parser.add_argument("--rescore", choices=sorted(set(SHIPPED) - {"srkit_net"}), help="re-measure a shipped file")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bench")
    parser.add_argument("--sets", nargs="+", default=["Set5", "Set14"])
    parser.add_argument(
        "--faces",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "face" / "Helen_train_128",
        help="aligned faces with landmarks whose validation split scores a face model",
    )
    parser.add_argument(
        "--hsi", type=Path, default=ROOT.parent / "shared" / "data" / "hsi", help="the hyperspectral scenes folder"
    )
    parser.add_argument(
        "--vid4", type=Path, default=ROOT.parent / "shared" / "data" / "video" / "Vid4", help="Vid4's frame folders"
    )
    parser.add_argument("--hardware", help="what trained it, e.g. '2-core AMD EPYC CPU, bf16'")
    parser.add_argument(
        "--real-world",
        nargs="+",
        default=None,
        metavar="NAME",
        help="also score x4 on each set's fixed synthetic real-world test set (e.g. BSRGAN), seed 0",
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--continues",
        action="store_true",
        help="the run trained on from an earlier stage of the same model (model.init, a shipped file's copy): add "
        "that stage's steps and wall time to the record (earlier_steps, earlier_wall_time)",
    )
    args = parser.parse_args()
    if args.rescore:
        rescore(args.rescore, args.data, args.sets, args.real_world)
        return
    if args.run is None or args.name is None or args.hardware is None:
        parser.error("a run folder, --name and --hardware are needed (or --rescore NAME)")

    model, config = srkit.load_run(args.run)
    arch, filename = SHIPPED[args.name]
    if config.model.name != arch:
        raise SystemExit(f"{args.run} trained {config.model.name}, not {arch}")
    recipe = Path(config.output).name
    recipe_file = next(
        (p for p in sorted((ROOT / "configs").glob("*/*.yaml")) if f"output: {config.output}\n" in p.read_text()),
        None,
    )
    steps = config.steps
    training = {
        "recipe": (str(recipe_file.relative_to(ROOT)) if recipe_file else recipe) + REPO_NOTE,
        "data": ", ".join(config.data.options.get("scenes") or [Path(t).name for t in config.data.train])
        + (
            f" ({_lr_note(config)}, batch {config.data.batch_size}, x{config.model.scale})"
            if config.data.kind == "faces"
            else f" ({_lr_note(config)}, {config.data.patch_size}x{config.data.patch_size} HR crops of "
            f"{config.data.options.get('bands', 16)} bands, batch {config.data.batch_size}, scales "
            f"{config.data.scales or [config.model.scale]})"
            if config.data.kind == "cubes"
            else f" ({_lr_note(config)}, {config.data.options.get('frames', 7)} frames of "
            f"{config.data.patch_size}x{config.data.patch_size} LR, batch {config.data.batch_size}, "
            f"x{config.model.scale})"
            if config.data.kind == "clips"
            else f" ({_lr_note(config)}, {config.data.patch_size}x{config.data.patch_size} LR patches, "
            f"batch {config.data.batch_size}, scales {config.data.scales})"
        ),
        "steps": str(steps),
        "wall_time": f"{_wall_seconds(args.run) / 60:.0f} min",
        "hardware": args.hardware,
        "weights": "EMA" if (args.run / "model_ema.safetensors").exists() else "final",
        "evaluated": _evaluated_note("srkit" if args.name == "srkit_net" else args.name),
    }
    if config.data.holdout:
        training["data"] += f"; held out of training: {', '.join(config.data.holdout)}"
    if config.model.init:
        init = Path(config.model.init)
        named = init.parent.name if init.stem in ("model", "model_ema") else init.stem if init.suffix else init.name
        training["init"] = f"fine-tuned from {named}'s weights"
        if args.continues:  # an earlier stage of the same model (issue 17): its steps and time count too
            earlier = srkit.card_of(srkit.load_model(config.model.init)).training
            if not (earlier.get("steps") and earlier.get("wall_time")):
                raise SystemExit(f"{config.model.init} holds no training record (steps, wall_time) to continue")
            training["init"] = f"trained on from {named} ({earlier.get('recipe', '?').replace(REPO_NOTE, '')})"
            training["earlier_steps"] = earlier["steps"]
            training["earlier_wall_time"] = earlier["wall_time"]
        if config.loss.gan:
            training["loss"] = (
                f"{config.loss.pixel_weight:g} x {config.loss.pixel} + {config.loss.perceptual_weight:g} x content + "
                f"{config.loss.gan_weight:g} x {config.loss.gan} GAN ({config.loss.discriminator})"
            )
    face = arch in FACE_ARCHS
    if face:
        training["recipe"] = training["recipe"].replace(REPO_NOTE, f" (recipe {config.recipe})" + REPO_NOTE)
        training["evaluated"] = training["evaluated"].split(", srkit bench")[0] + (
            ", scripts/ship_weights.py (srkit.face.evaluate: held-out Helen faces, MATLAB bicubic LR, "
            "Y channel, shave = scale; landmark NME by srkit.face.landmarks)"
        )
        training.update(_face_scores(model, args.name, args.faces))
    elif arch in VIDEO_ARCHS:
        training["evaluated"] = training["evaluated"].split(", srkit bench")[0] + (
            ", scripts/ship_weights.py (srkit.video.evaluate: Vid4 BI x4, MATLAB bicubic LR, per-frame Y-PSNR/SSIM "
            "with 4 px shaved, TecoGAN's tOF; windows of 15 frames overlapping by 3)"
        )
        training.update(_video_scores(model, args.vid4))
    elif arch in HSI_ARCHS:
        training["evaluated"] = training["evaluated"].split(", srkit bench")[0] + (
            ", scripts/ship_weights.py (srkit.hsi.evaluate: held-out CAVE balloons, Wald's protocol, band-mean "
            "PSNR, SAM, shave = ratio)"
        )
        training.update(_hsi_scores(model, args.hsi))
    else:
        training.update(_scores(model, args.name, args.data, args.sets, args.real_world))
    out = args.out or weights_dir() / filename
    one_scale = face or arch in ("hsi3d", *VIDEO_ARCHS)  # weights for one scale of a several-scale architecture
    save_shipped(out, model.state_dict(), training, arch=arch, scale=int(model.scale) if one_scale else None)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
