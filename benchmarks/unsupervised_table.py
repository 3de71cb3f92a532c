"""The tables of docs/unsupervised.md, regenerated: blind and unsupervised SR measured side by side on this CPU.

Three measurements, each cached image by image under ``--work`` (default ``runs/unsupervised``) so that an
interrupted run resumes where it stopped (delete a method's folder there to measure it again):

``blind``
    A blind benchmark built with :func:`srkit.data.blindset.make_blindset` (the DIV2KRK protocol: a random
    anisotropic Gaussian kernel with multiplicative noise per image, x2 and x4, seed 0) from HR images no srkit
    model trained on: Set14 and the first ``--city`` HR photographs of City100 (natural photographs like BSD's;
    BSD200 itself is in srkit's training set). On it: bicubic, srkit's default model (bicubic-trained), ZSSR with
    the bicubic kernel, KernelGAN's kernel estimate (its error against the true kernel), KernelGAN + ZSSR, DPSR with
    the true kernel and with KernelGAN's, and (``--methods ... dip``) Deep Image Prior. PSNR / SSIM on Y with
    ``scale`` pixels shaved (EVALUATION.md), and process CPU seconds per image (every job runs on one thread).
``dip-set5``
    Deep Image Prior on Set5 x4 under its paper's protocol (the DIP repository's notebook and
    ``super-resolution_eval_script.py``): HR centre-cropped to a multiple of 32, LR by Pillow's Lanczos
    (``ANTIALIAS``) downscale, 2000 steps, PSNR on Y (BT.601, [16, 235]) inside a 4-pixel border (rows and columns
    ``4 .. H - 6``, as the script's slice). Published: 29.90 dB.
``report``
    Scores what the cache holds and prints the tables; ``--write-docs docs/unsupervised.md`` replaces the block
    between ``<!-- unsupervised-table:start -->`` and ``<!-- unsupervised-table:end -->`` (atomically) and
    ``--json FILE`` keeps every number, per image included. ``all`` runs ``blind``, then ``dip-set5``, then
    ``report``.

Per-image jobs run in ``--jobs`` processes of one thread each (KernelGAN, ZSSR and DIP are faster on one thread
than on two on this 2-core CPU). Costs here (AMD EPYC, 2 cores): the blind set of 20 images at x2 and x4 is
about 6 CPU hours (KernelGAN ~1-4 min and ZSSR's fast schedule ~1-2 min per image and scale: 56 and 61 CPU s per
image at x2, measured on a CPU with native bf16); DIP on Set5 x4 is 15-17 CPU hours.

Run:
    python benchmarks/unsupervised_table.py all --write-docs docs/unsupervised.md [--jobs 2]
    python benchmarks/unsupervised_table.py blind [--hr DIR ...] [--city 6] [--scales 2 4] [--methods ...]
    python benchmarks/unsupervised_table.py dip-set5 [--images baby bird ...]
    python benchmarks/unsupervised_table.py report [--write-docs docs/unsupervised.md] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from _docs import cpu_model, replace_block  # benchmarks/_docs.py
from srkit import imresize, psnr, read_image
from srkit._core.fileio import atomic_write_text
from srkit.data.benchmark import BenchmarkPair, BenchmarkSet
from srkit.data.blindset import make_blindset
from srkit.data.io import write_image
from srkit.data.kernelfile import read_kernel, write_kernel
from srkit.degradations import bicubic_kernel, kernel_error
from srkit.evaluation import ModelMethod
from srkit.evaluation.runner import Protocol, score
from srkit.unsupervised import dip, dpsr, estimate_kernel, zssr

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SRKIT_SHARED_DATA") or ROOT.parent / "shared" / "data")
START, END = "<!-- unsupervised-table:start -->", "<!-- unsupervised-table:end -->"
NA = "\N{EN DASH}"
SEED = 0
BLIND_METHODS = ("bicubic", "srkit", "zssr", "kernelgan", "kernelgan_zssr", "dpsr", "dpsr_kernelgan")
NEEDS_KERNELGAN = ("kernelgan_zssr", "dpsr_kernelgan")
LABELS = {
    "bicubic": "bicubic",
    "srkit": "srkit default model (bicubic-trained)",
    "zssr": "ZSSR (bicubic kernel)",
    "kernelgan_zssr": "KernelGAN + ZSSR",
    "dpsr": "DPSR, true kernel",
    "dpsr_kernelgan": "DPSR, KernelGAN's kernel",
    "dip": "Deep Image Prior",
}
# KernelGAN paper (Bell-Kligler et al., NeurIPS 2019) Table 1 on DIV2KRK: PSNR / SSIM (../shared/docs/PUBLISHED.md)
PUBLISHED_DIV2KRK = {
    "bicubic": {2: (28.73, 0.8040), 4: (25.33, 0.6795)},
    "zssr": {2: (29.10, 0.8215), 4: (25.61, 0.6911)},
    "kernelgan_zssr": {2: (30.36, 0.8669), 4: (26.81, 0.7316)},
}
DIP_PUBLISHED_SET5_X4 = 29.90  # DIP paper, its own protocol (PUBLISHED.md)


# --- one job: one method on one image at one scale --------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """``method`` on image ``name`` of ``bench`` at ``scale``; its result goes to ``out`` (``.png`` or ``.npy``)
    with a ``.json`` of its seconds beside it."""

    method: str
    bench: str
    scale: int
    name: str
    out: str
    zssr_fast: bool = True
    kernelgan: str | None = None  # the cached KernelGAN kernel this job uses
    steps: int | None = None  # trial runs only: every method's step cap

    @property
    def meta(self) -> Path:
        return Path(self.out).with_suffix(".json")

    def done(self) -> bool:
        return self.meta.exists()


def _pair(bench: str, scale: int, name: str) -> BenchmarkPair:
    if bench == "dip-set5":
        return dip_paper_pair(DATA / "bench" / "Set5" / f"{name}.png")
    for p in BenchmarkSet(bench).pairs(scale):
        if p.name == name:
            return p
    raise SystemExit(f"{name} is not in {bench}")


def _result(job: Job, pair: BenchmarkPair) -> tuple[np.ndarray, dict[str, Any]]:
    """Run the job's method; the SR image (or the kernel) and facts to keep."""
    s, lr = job.scale, pair.lr
    if job.method == "kernelgan":
        res = estimate_kernel(lr, s, steps=job.steps, seed=SEED, progress=False)
        return res.kernel, {"steps": res.log.steps}
    if job.method == "bicubic":
        return imresize(lr, s), {}
    if job.method == "srkit":
        return ModelMethod("srkit").upscale(lr, s), {}
    if job.method in ("zssr", "kernelgan_zssr"):
        kernel = "bicubic" if job.kernelgan is None else read_kernel(job.kernelgan)
        out = zssr(lr, s, kernel=kernel, fast=job.zssr_fast, steps=job.steps, seed=SEED, progress=False)
        return out.image, {"steps": out.log.steps, "schedule": "fast" if job.zssr_fast else "paper"}
    if job.method in ("dpsr", "dpsr_kernelgan"):
        kernel = pair.kernel if job.kernelgan is None else read_kernel(job.kernelgan)
        if kernel is None:
            raise SystemExit(f"{pair.name}: the set has no true kernel for dpsr")
        out = dpsr(lr, s, kernel=kernel, seed=SEED, progress=False)
        return out.image, {"steps": out.log.steps}
    if job.method == "dip":
        out = dip(lr, s, steps=job.steps, seed=SEED, progress=False)
        return out.image, {"steps": out.log.steps}
    raise SystemExit(f"unknown method {job.method}")


def run_job(job: Job) -> Job:
    """Run one job on one thread and cache its result (atomically; the ``.json`` is written last)."""
    torch.set_num_threads(1)
    pair = _pair(job.bench, job.scale, job.name)
    wall, cpu = time.perf_counter(), time.process_time()
    result, facts = _result(job, pair)
    facts |= {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu, "threads": 1}
    Path(job.out).parent.mkdir(parents=True, exist_ok=True)
    if job.out.endswith(".npy"):
        write_kernel(job.out, result)
    else:
        write_image(job.out, result)
    atomic_write_text(job.meta, json.dumps(facts, indent=1) + "\n")
    return job


def run_jobs(jobs: Sequence[Job], n_procs: int) -> None:
    """Run the jobs not yet cached, ``n_procs`` at a time; a job that needs a KernelGAN kernel waits for it."""
    todo = [j for j in jobs if not j.done()]
    print(f"{len(jobs) - len(todo)} of {len(jobs)} jobs cached; {len(todo)} to run on {n_procs} processes", flush=True)
    if not todo:
        return
    pending: dict[Future[Job], Job] = {}
    with ProcessPoolExecutor(n_procs, mp_context=get_context("spawn")) as pool:
        while todo or pending:
            ready = [j for j in todo if j.kernelgan is None or Path(j.kernelgan).with_suffix(".json").exists()]
            for job in ready[: max(0, n_procs - len(pending))]:
                todo.remove(job)
                pending[pool.submit(run_job, job)] = job
            if not pending:
                raise SystemExit("jobs wait for KernelGAN kernels that no job makes: " + ", ".join(j.out for j in todo))
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                job = pending.pop(fut)
                fut.result()  # a failed job stops the run with its error
                facts = json.loads(job.meta.read_text())
                print(f"{job.method} x{job.scale} {job.name}: {facts['cpu_s']:.0f} CPU s", flush=True)


# --- the blind benchmark ----------------------------------------------------------------------------------------------


def stage_hr(work: Path, hr: Sequence[str] | None, city: int) -> list[Path]:
    """The HR folders of the blind set: the given ones, or Set14 and the first ``city`` City100 HR photographs
    (linked into ``work/hr/City100`` as ``NNN.png``: City100 keeps its LR shots in the same folder)."""
    if hr:
        return [Path(h) for h in hr]
    city_dir = work / "hr" / "City100"
    city_dir.mkdir(parents=True, exist_ok=True)
    sources = sorted((DATA / "real" / "City100_iPhoneX_40").glob("*_HR.png"))[:city]
    if len(sources) < city:
        raise SystemExit(f"City100 HR images not found under {DATA / 'real'}")
    for src in sources:
        link = city_dir / (src.stem.removesuffix("_HR") + ".png")
        if not link.exists():
            link.symlink_to(src.resolve())
    return [DATA / "bench" / "Set14", city_dir]


def blind_set(args: argparse.Namespace) -> Path:
    out = args.work / "blindset"
    if not (out / "protocol.json").exists():
        make_blindset(stage_hr(args.work, args.hr, args.city), out, scales=args.scales, seed=SEED, progress=True)
    return out


def _method_dir(work: Path, method: str, zssr_fast: bool) -> Path:
    schedule = "_fast" if zssr_fast and method in ("zssr", "kernelgan_zssr") else ""
    return work / "blind" / f"{method}{schedule}"


def blind_jobs(args: argparse.Namespace, bench: Path) -> list[Job]:
    names = BenchmarkSet(bench).names
    jobs = []
    first = {"kernelgan": 0, "dip": 1, "zssr": 2}  # KernelGAN first: it unlocks the jobs using its kernel
    # image by image (each scale in turn): an interrupted run leaves whole rows, comparable on the same images
    for scale in args.scales:
        for name in names:
            for method in sorted(args.methods, key=lambda m: first.get(m, 3)):
                folder = _method_dir(args.work, method, args.zssr == "fast") / f"x{scale}"
                kg = None
                if method in NEEDS_KERNELGAN:
                    kg = str(_method_dir(args.work, "kernelgan", False) / f"x{scale}" / f"{name}.npy")
                suffix = ".npy" if method == "kernelgan" else ".png"
                out = str(folder / (name + suffix))
                jobs.append(Job(method, str(bench), scale, name, out, args.zssr == "fast", kg, args.steps))
    return jobs


def cmd_blind(args: argparse.Namespace) -> None:
    bench = blind_set(args)
    methods = set(args.methods)
    if methods & set(NEEDS_KERNELGAN):
        methods.add("kernelgan")
    args.methods = [m for m in (*BLIND_METHODS, "dip") if m in methods]
    run_jobs(blind_jobs(args, bench), args.jobs)


# --- DIP on Set5 under its paper's protocol ---------------------------------------------------------------------------


def dip_paper_pair(path: Path, scale: int = 4) -> BenchmarkPair:
    """The DIP notebook's pair: HR centre-cropped to a multiple of 32, LR by Pillow's Lanczos downscale."""
    img = Image.open(path).convert("RGB")
    w, h = img.size
    nw, nh = w - w % 32, h - h % 32
    left, top = (w - nw) // 2, (h - nh) // 2
    hr = img.crop((left, top, left + nw, top + nh))
    lr = hr.resize((nw // scale, nh // scale), Image.Resampling.LANCZOS)
    return BenchmarkPair(path.stem, np.asarray(hr), np.asarray(lr), False)


def dip_paper_psnr(sr: np.ndarray, hr: np.ndarray) -> float:
    """The DIP script's Y-PSNR: BT.601 Y in [16, 235], rows and columns ``4 .. H - 6`` (its ``t[0] + 4 : t[-1] -
    4`` slice of a full image)."""
    h, w = hr.shape[:2]
    return psnr(sr[4 : h - 5, 4 : w - 5], hr[4 : h - 5, 4 : w - 5], crop_border=0, test_y_channel=True)


def dip_jobs(args: argparse.Namespace) -> list[Job]:
    folder = args.work / "dip_set5" / "x4"
    return [Job("dip", "dip-set5", 4, n, str(folder / f"{n}.png"), steps=args.steps) for n in args.images]


def cmd_dip_set5(args: argparse.Namespace) -> None:
    run_jobs(dip_jobs(args), args.jobs)


# --- scoring and tables -----------------------------------------------------------------------------------------------


def _meta(path: Path) -> dict[str, Any] | None:
    meta = path.with_suffix(".json")
    return json.loads(meta.read_text()) if meta.exists() else None


def score_blind(args: argparse.Namespace) -> dict[str, Any]:
    """Per-image PSNR / SSIM / CPU seconds of every cached blind result, and KernelGAN's kernel errors."""
    bench_dir = args.work / "blindset"
    if not (bench_dir / "protocol.json").exists():
        return {}
    bench = BenchmarkSet(bench_dir)
    protocol = Protocol(lr_note="blind set files (DIV2KRK protocol)")
    zfast = args.zssr == "fast"
    out: dict[str, Any] = {"images": bench.names, "scales": {}}
    for scale in bench.scales or ():
        per: dict[str, dict[str, Any]] = {}
        for pair in bench.pairs(scale):
            assert pair.kernel is not None
            kg_path = _method_dir(args.work, "kernelgan", False) / f"x{scale}" / f"{pair.name}.npy"
            kg = _meta(kg_path)
            if kg is not None:
                per.setdefault("kernelgan", {})[pair.name] = {
                    "kernel_error": kernel_error(read_kernel(kg_path), pair.kernel),
                    "bicubic_kernel_error": kernel_error(bicubic_kernel(scale), pair.kernel),
                    "cpu_s": kg["cpu_s"],
                }
            for method in (*BLIND_METHODS, "dip"):
                if method == "kernelgan":
                    continue
                path = _method_dir(args.work, method, zfast) / f"x{scale}" / f"{pair.name}.png"
                facts = _meta(path)
                if facts is None:
                    continue
                p, s = score(read_image(path, gray_to_rgb=True), pair, scale, protocol)
                cpu = facts["cpu_s"] + (kg["cpu_s"] if method in NEEDS_KERNELGAN and kg else 0.0)
                per.setdefault(method, {})[pair.name] = {"psnr": p, "ssim": s, "cpu_s": cpu}
        out["scales"][scale] = per
    return out


def score_dip_set5(args: argparse.Namespace) -> dict[str, Any]:
    folder = args.work / "dip_set5" / "x4"
    rows: dict[str, Any] = {}
    for name in ("baby", "bird", "butterfly", "head", "woman"):
        facts = _meta(folder / f"{name}.png")
        if facts is None:
            continue
        pair = dip_paper_pair(DATA / "bench" / "Set5" / f"{name}.png")
        sr = read_image(folder / f"{name}.png")
        bicubic = np.asarray(Image.fromarray(pair.lr).resize(pair.hr.shape[1::-1], Image.Resampling.BICUBIC))
        rows[name] = {
            "psnr": dip_paper_psnr(sr, pair.hr),
            "bicubic_psnr": dip_paper_psnr(bicubic, pair.hr),
            "cpu_s": facts["cpu_s"],
            "steps": facts.get("steps"),
        }
    return rows


def _mean(rows: dict[str, dict[str, Any]], key: str, names: Sequence[str] | None = None) -> float:
    names = list(rows) if names is None else names
    return float(np.mean([rows[n][key] for n in names]))


def _seconds(s: float) -> str:
    return f"{s:.1f}" if s < 10 else f"{s:.0f}"


def _cell(rows: dict[str, Any] | None, names: Sequence[str] | None = None) -> str:
    if not rows:
        return NA
    return f"{_mean(rows, 'psnr', names):.2f} / {_mean(rows, 'ssim', names):.4f}"


def blind_table(blind: dict[str, Any]) -> str:
    scales = sorted(blind["scales"])
    n = len(blind["images"])
    head = "| method | " + " | ".join(f"x{s} PSNR / SSIM | x{s} CPU s/image" for s in scales) + " |"
    lines = [head, "|---" * (1 + 2 * len(scales)) + "|"]
    notes = []
    for method in (*BLIND_METHODS, "dip"):
        if method == "kernelgan":
            continue
        cells = []
        for s in scales:
            rows = blind["scales"][s].get(method, {})
            if rows and len(rows) < n:
                ref = blind["scales"][s].get("srkit", {})
                same = [k for k in rows if k in ref]
                notes.append(
                    f"{LABELS[method]} x{s}: {len(rows)} of {n} images ({', '.join(sorted(rows))}); srkit's default "
                    f"model on the same images: {_cell(ref, same) if same else NA}"
                )
            cells += [_cell(rows), _seconds(_mean(rows, "cpu_s")) if rows else NA]
        lines.append(f"| {LABELS[method]} | " + " | ".join(cells) + " |")
    for method, pub in PUBLISHED_DIV2KRK.items():
        cells = []
        for s in scales:
            cells += [f"{pub[s][0]:.2f} / {pub[s][1]:.4f}" if s in pub else NA, NA]
        lines.append(f"| *published, DIV2KRK:* {LABELS[method]} | " + " | ".join(cells) + " |")
    kern = ["", "| KernelGAN | " + " | ".join(f"x{s}" for s in scales) + " |", "|---" * (1 + len(scales)) + "|"]
    cells = {"err": [], "bic": [], "cpu": []}
    for s in scales:
        rows = blind["scales"][s].get("kernelgan", {})
        cells["err"].append(f"{_mean(rows, 'kernel_error'):.3f} ({len(rows)} images)" if rows else NA)
        cells["bic"].append(f"{_mean(rows, 'bicubic_kernel_error'):.3f}" if rows else NA)
        cells["cpu"].append(_seconds(_mean(rows, "cpu_s")) if rows else NA)
    kern += [
        "| kernel error of the estimate, mean | " + " | ".join(cells["err"]) + " |",
        "| kernel error of the bicubic kernel (what non-blind methods assume) | " + " | ".join(cells["bic"]) + " |",
        "| CPU seconds per image | " + " | ".join(cells["cpu"]) + " |",
    ]
    text = "\n".join(lines + kern)
    if notes:
        text += "\n\n" + "\n".join(f"- {note}" for note in notes)
    return text


def dip_table(rows: dict[str, Any]) -> str:
    if not rows:
        return "DIP on Set5 x4: not measured yet (`python benchmarks/unsupervised_table.py dip-set5`)."
    lines = ["| image | DIP PSNR | bicubic PSNR | steps | CPU hours |", "|---|---|---|---|---|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['psnr']:.2f} | {r['bicubic_psnr']:.2f} | {r['steps']} | {r['cpu_s'] / 3600:.1f} |")
    mean = _mean(rows, "psnr")
    label = "mean" if len(rows) == 5 else f"mean of {len(rows)} of 5"
    lines.append(f"| **{label}** | **{mean:.2f}** | {_mean(rows, 'bicubic_psnr'):.2f} | | |")
    lines.append(f"| *published (DIP paper)* | {DIP_PUBLISHED_SET5_X4:.2f} | | 2000 | |")
    return "\n".join(lines)


def report(args: argparse.Namespace) -> dict[str, Any]:
    blind, dip_rows = score_blind(args), score_dip_set5(args)
    cmd = "python benchmarks/" + " ".join(shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]])
    produced = (
        f"Produced by `{cmd}` on {time.strftime('%Y-%m-%d')}: {cpu_model()}, {os.cpu_count()} cores, torch "
        f"{torch.__version__}; every job on one thread, {args.jobs} at a time; ZSSR's {args.zssr} schedule."
    )
    parts = [produced]
    if blind:
        parts += [f"**Blind benchmark** ({len(blind['images'])} images, seed {SEED}):", blind_table(blind)]
    parts += ["**Deep Image Prior, Set5 x4, the DIP paper's protocol:**", dip_table(dip_rows)]
    block = "\n\n".join(parts)
    print(block)
    if args.write_docs:
        replace_block(args.write_docs, START, END, block)
    result = {"blind": blind, "dip_set5": dip_rows}
    if args.json:
        atomic_write_text(Path(args.json), json.dumps(result, indent=1) + "\n")
    return result


# --- command line -----------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=["all", "blind", "dip-set5", "report"])
    p.add_argument("--work", type=Path, default=ROOT / "runs" / "unsupervised", help="cache and blind set folder")
    p.add_argument("--hr", nargs="+", help="HR folders of the blind set (default: Set14 and City100 HR photos)")
    p.add_argument("--city", type=int, default=6, help="how many City100 HR photographs join Set14 (default 6)")
    p.add_argument("--scales", type=int, nargs="+", default=[2, 4], choices=[2, 4])
    p.add_argument("--methods", nargs="+", default=list(BLIND_METHODS), choices=[*BLIND_METHODS, "dip"])
    p.add_argument("--zssr", choices=["fast", "paper"], default="fast", help="ZSSR's schedule (default fast)")
    p.add_argument("--images", nargs="+", default=["baby", "bird", "butterfly", "head", "woman"], help="Set5 for DIP")
    p.add_argument("--steps", type=int, help="trial runs only: cap every method's steps (use another --work)")
    p.add_argument("--jobs", type=int, default=2, help="one-thread processes at a time (default 2)")
    p.add_argument("--write-docs", metavar="MD", help="replace the table block of this markdown file")
    p.add_argument("--json", metavar="FILE", help="write every number, per image included")
    return p.parse_args(argv)


COMMANDS: dict[str, Callable[[argparse.Namespace], object]] = {
    "blind": cmd_blind,
    "dip-set5": cmd_dip_set5,
    "report": report,
}


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    for what in ("blind", "dip-set5", "report") if args.what == "all" else (args.what,):
        COMMANDS[what](args)


if __name__ == "__main__":
    main()
