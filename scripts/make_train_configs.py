"""Write configs/train/<model>.yaml (the paper's recipe) and <model>_quick.yaml (minutes on a CPU) for every
zoo model: python scripts/make_train_configs.py

The paper settings below (LR patch size, batch, learning rate, iterations, schedule, loss) are the papers'
training recipes as described in their sections on training details; data is the classic 291-image set that the
team provides (T91 + BSD200 + half of General100); validation on Set5.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import srkit

OUT = Path(__file__).resolve().parents[1] / "configs" / "train"
TRAIN = ["../shared/data/train/T91", "../shared/data/train/BSD200", "../shared/data/train/General100_half"]
VAL = "../shared/data/bench/Set5"

HALVE_EVERY_200K = {"kind": "step", "milestones": [200_000, 400_000, 600_000, 800_000], "gamma": 0.5}
SWINIR = {"kind": "step", "milestones": [250_000, 400_000, 450_000, 475_000], "gamma": 0.5}
DRRN = {"kind": "step", "milestones": [25_000, 50_000, 75_000], "gamma": 0.5}
VDSR = {"kind": "step", "milestones": [20_000, 40_000, 60_000], "gamma": 0.1}

# model: (LR patch, batch, lr, iterations, schedule, loss, supervise)
PAPER: dict[str, tuple[int, int, float, int, dict[str, Any], str, str]] = {
    "srcnn_915": (11, 128, 1e-4, 300_000, {"kind": "constant"}, "l2", "last"),
    "srcnn_955": (11, 128, 1e-4, 300_000, {"kind": "constant"}, "l2", "last"),
    "fsrcnn": (10, 128, 1e-3, 300_000, {"kind": "constant"}, "l2", "last"),
    "fsrcnn_s": (10, 128, 1e-3, 300_000, {"kind": "constant"}, "l2", "last"),
    "espcn": (17, 64, 1e-3, 100_000, {"kind": "step", "milestones": [70_000], "gamma": 0.1}, "l2", "last"),
    "vdsr": (41, 64, 1e-1, 80_000, VDSR, "l2", "last"),
    "drcn": (41, 64, 1e-2, 100_000, {"kind": "step", "milestones": [50_000], "gamma": 0.1}, "l2", "all"),
    "drrn_b1u9": (31, 128, 1e-1, 100_000, DRRN, "l2", "last"),
    "drrn_b1u25": (31, 128, 1e-1, 100_000, DRRN, "l2", "last"),
    "lapsrn": (32, 64, 1e-5, 100_000, {"kind": "step", "milestones": [50_000], "gamma": 0.5}, "charbonnier", "all"),
    "ms_lapsrn": (32, 64, 1e-4, 100_000, {"kind": "step", "milestones": [50_000], "gamma": 0.5}, "charbonnier", "all"),
    "memnet": (31, 64, 1e-1, 100_000, {"kind": "step", "milestones": [50_000], "gamma": 0.1}, "l2", "all"),
    "dwsr": (41, 64, 1e-2, 100_000, {"kind": "step", "milestones": [50_000], "gamma": 0.1}, "l2", "last"),
    "edsr_baseline": (48, 16, 1e-4, 300_000, {"kind": "step", "milestones": [200_000], "gamma": 0.5}, "l1", "last"),
    "edsr": (48, 16, 1e-4, 300_000, {"kind": "step", "milestones": [200_000], "gamma": 0.5}, "l1", "last"),
    "mdsr": (48, 16, 1e-4, 300_000, {"kind": "step", "milestones": [200_000], "gamma": 0.5}, "l1", "last"),
    "srresnet": (24, 16, 1e-4, 1_000_000, {"kind": "constant"}, "l2", "last"),
    "rrdbnet": (32, 16, 2e-4, 1_000_000, HALVE_EVERY_200K, "l1", "last"),
    "rcan": (48, 16, 1e-4, 1_000_000, HALVE_EVERY_200K, "l1", "last"),
    "rdn": (32, 16, 1e-4, 1_000_000, HALVE_EVERY_200K, "l1", "last"),
    "msrn": (64, 16, 1e-4, 1_000_000, HALVE_EVERY_200K, "l1", "last"),
    "ddbpn": (40, 20, 1e-4, 1_000_000, {"kind": "step", "milestones": [500_000], "gamma": 0.1}, "l1", "last"),
    "srfbn": (40, 16, 1e-4, 1_000_000, HALVE_EVERY_200K, "l1", "all"),
    "carn": (64, 64, 1e-4, 600_000, {"kind": "step", "milestones": [400_000], "gamma": 0.5}, "l1", "last"),
    "carn_m": (64, 64, 1e-4, 600_000, {"kind": "step", "milestones": [400_000], "gamma": 0.5}, "l1", "last"),
    "carn_single": (64, 64, 1e-4, 600_000, {"kind": "step", "milestones": [400_000], "gamma": 0.5}, "l1", "last"),
    "carn_m_single": (64, 64, 1e-4, 600_000, {"kind": "step", "milestones": [400_000], "gamma": 0.5}, "l1", "last"),
    "imdn": (64, 16, 2e-4, 1_000_000, HALVE_EVERY_200K, "l1", "last"),
    "pan": (64, 32, 1e-3, 1_000_000, {"kind": "cosine", "min_ratio": 1e-4}, "l1", "last"),
    "swinir": (48, 32, 2e-4, 500_000, SWINIR, "l1", "last"),
    "swinir_light": (64, 64, 2e-4, 500_000, SWINIR, "l1", "last"),
}


def recipe(name: str, quick: bool) -> dict[str, Any]:
    card = srkit.model_card(name)
    patch, batch, lr, steps, schedule, loss, supervise = PAPER[name]
    scale = 4 if 4 in card.scales else card.scales[0]
    if quick:  # minutes on a 2-core CPU: smaller batches, cosine decay, Adam at 1e-3 (small) / 2e-4 (large)
        small = card.params[scale] < 100_000
        patch, batch, steps = (min(patch, 32), min(batch, 16), 2000) if small else (min(patch, 24), 8, 400)
        lr = 1e-3 if small else 2e-4
        schedule = {"kind": "cosine", "warmup": 20}
    cfg = {
        "model": {"name": name, "scale": scale},
        "data": {"train": TRAIN, "val": VAL, "patch_size": patch, "batch_size": batch, "workers": 2},
        "optim": {"lr": lr, "grad_clip": 0.4 if lr >= 1e-2 else None},
        "schedule": schedule,
        "loss": {"pixel": loss, "supervise": supervise},
        "steps": steps,
        "ema": None if quick else 0.999,
        "log_every": 20 if quick else 1000,
        "ckpt_every": 100 if quick else 10_000,
        "output": f"runs/{name}{'_quick' if quick else ''}_x{scale}",
    }
    if quick:
        cfg["precision"] = "fp32"
    return cfg


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in PAPER:
        for quick in (False, True):
            path = OUT / f"{name}{'_quick' if quick else ''}.yaml"
            kind = "quick CPU variant" if quick else "paper recipe"
            head = f"# {srkit.model_card(name).paper}\n# {kind}; made by scripts/make_train_configs.py\n"
            path.write_text(head + yaml.safe_dump(recipe(name, quick), sort_keys=False), encoding="utf-8")
    print(f"wrote {2 * len(PAPER)} recipes to {OUT}")


if __name__ == "__main__":
    main()
