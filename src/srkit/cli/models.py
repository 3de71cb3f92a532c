"""``srkit models``: the model zoo with its cards."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

import srkit
from srkit._core.fileio import atomic_write_text, check_output_path
from srkit.archs.shipped import DEFAULT_MODEL, SHIPPED


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "models",
        help="list srkit's shipped models and the model zoo (parameters, FLOPs, scales, published numbers)",
        description="List srkit's shipped models (trained weights in the package: srkit, srkit_fast, srkit_real, "
        "srkit_real_gan, srkit_prior) "
        "with their "
        "measured Set5 x4 figures, then the registered SR architectures with their cards. FLOPs are for one "
        "forward pass on one 64x64 LR input (--size) at the model's first scale, counted without running the "
        "model.",
    )
    p.add_argument(
        "names", nargs="*", metavar="NAME", help="show these models in full, shipped names included (default: list all)"
    )
    p.add_argument("--size", type=int, default=64, help="LR input size for the FLOPs column (default 64)")
    p.add_argument("--no-flops", action="store_true", help="skip counting FLOPs (faster)")
    p.add_argument("--json", metavar="FILE", help="also write the cards as JSON")
    p.set_defaults(run=run)


def _params(card: srkit.ModelCard) -> str:
    return "/".join(
        f"{card.params[s] / 1e6:.3g}M" if card.params[s] >= 1e5 else f"{card.params[s] / 1e3:.3g}K"
        for s in card.scales
        if s in card.params
    )


def run(args: argparse.Namespace) -> int:
    if args.json:
        check_output_path(args.json)
    cards = [_card(n) for n in args.names] if args.names else srkit.list_models()
    rows = []
    for card in cards:
        registered = SHIPPED[card.name][0] if card.name in SHIPPED else card.name  # srkit -> srkit_net
        flops = None if args.no_flops else srkit.model_flops(registered, size=args.size)
        rows.append((card, flops))
    if args.names:
        for card, flops in rows:
            _show(card, flops, args.size)
    else:
        _print_shipped()
        print()
        print("architectures (srkit.build_model(NAME) untrained, or a checkpoint file; srkit models NAME for a card):")
        header = ("name", "arch", "scales", "channels", "params", f"GFLOPs ({args.size}px)")
        _print_table(
            header,
            [
                (
                    c.name,
                    c.arch,
                    ",".join(f"x{s}" for s in c.scales),
                    f"{c.in_channels}->{c.out_channels}",
                    _params(c),
                    "?" if f is None else f"{f / 1e9:.3g}",
                )
                for c, f in rows
            ],
        )
    if args.json:
        payload = [{**_card_dict(c), "flops": f, "flops_input": args.size} for c, f in rows]
        atomic_write_text(args.json, json.dumps(payload, indent=2, default=str) + "\n")
    return 0


def _print_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    table = [header, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for i, r in enumerate(table):
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


ROLES = {
    DEFAULT_MODEL: "default, quality tier",
    "srkit_fast": "fast tier",
    "srkit_prior": "DPSR's prior (noise map)",
    "srkit_real": "real photos, fidelity",
    "srkit_real_gan": "real photos, perceptual",
    "srkit_face_x8": "aligned faces x8, FSRNet",
    "srkit_face_x4": "aligned faces x4, FSRNet",
    "srkit_face_generic_x8": "aligned faces x8, no priors",
    "srkit_face_generic_x4": "aligned faces x4, no priors",
    "srkit_hsi_x4": "hyperspectral cubes x4",
    "srkit_hsi_fusion": "hyperspectral fusion x4/x8",
}
# scores of models measured on their own domain's held-out data instead of Set5/Set14 (faces, hyperspectral cubes)
_DOMAIN_SCORES = ("Helen val", "CAVE balloons x")


def _print_shipped() -> None:
    """srkit's shipped models with the figures their cards record (measured with ``srkit bench``)."""
    print("shipped models (trained weights in the package; srkit.load_model(NAME), srkit upscale --model NAME):")
    rows = []
    for name in srkit.shipped_models():
        card = _card(name)
        faces = [
            f"{k} {v.split(' /')[0].split(',')[0]}"
            for k, v in card.training.items()
            if k.startswith(_DOMAIN_SCORES) and "(bicubic)" not in k
        ]
        tier = "; ".join([ROLES.get(name, ""), *faces[:1]])  # a face/cube model's score is on its held-out data
        unscored = "-" if faces else "?"
        rows.append(
            (
                name,
                SHIPPED[name][0],
                ",".join(f"x{s}" for s in card.scales),
                _params(card).split("/")[0],
                card.training.get("Set5 x4", unscored),
                card.training.get("Set14 x4", unscored),
                tier,
            )
        )
    _print_table(("name", "architecture", "scales", "params", "Set5 x4", "Set14 x4", ""), rows)


def _card(name: str) -> srkit.ModelCard:
    """A registered model's card; for a shipped model (``srkit``, ``srkit_fast``), with its training record."""
    if name in SHIPPED:
        return srkit.card_of(srkit.load_model(name))
    return srkit.model_card(name)


def _card_dict(card: srkit.ModelCard) -> dict[str, Any]:
    d = dict(vars(card))
    d["params"] = {str(k): v for k, v in card.params.items()}
    d["published_params"] = {str(k): v for k, v in card.published_params.items()}
    d["published"] = [vars(p) for p in card.published]
    return d


def _show(card: srkit.ModelCard, flops: int | None, size: int) -> None:
    print(f"{card.name}: {card.arch}")
    print(f"  paper: {card.paper}")
    print(f"  scales: {', '.join(f'x{s}' for s in card.scales)}; channels {card.in_channels} -> {card.out_channels}")
    for s in card.scales:
        pub = card.published_params.get(s)
        extra = f" (paper: {pub:,})" if pub else ""
        print(f"  parameters x{s}: {card.params.get(s, 0):,}{extra}")
    print(
        f"  FLOPs: {'unknown' if flops is None else f'{flops / 1e9:.2f} G'} for one {size}x{size} LR input "
        f"at x{card.scales[0]}"
    )
    called = (
        "forward(x, scale), one model for every scale"
        if card.multi_scale
        else ("forward(x, scale)" if card.scale_arg else "forward(x)")
    )
    if card.kind == "cube":
        called = "forward(cube): (N, bands, h, w), any band count (srkit hsi sr)"
    elif card.kind == "cube_fusion":
        called = "forward(lr_cube, guide, response): any band count and response (srkit hsi fuse)"
    elif card.kind == "clip":
        called = "forward(clip): (N, T, 3, h, w) LR frames -> (N, T, 3, sh, sw) (srkit video)"
    colour = "Y (Cb/Cr by MATLAB bicubic)" if card.color == "y" else "RGB" if card.kind == "image" else "bands"
    extra = f"; forward_all: {card.forward_all}" if card.forward_all else ""
    f32 = "; float32 image path under bf16/fp16" if card.float32_io else ""
    print(f"  called: {called}; colour {colour}, values in [0, {card.pixel_range:g}]{f32}{extra}")
    print(
        f"  input: multiple of {card.multiple_of}, at least {card.min_size} px; tiling "
        f"{'safe' if card.tiling else 'not safe'} (receptive field {card.receptive_field} px); "
        f"fp16 {'ok' if card.fp16 else 'no'}, bf16 {'ok' if card.bf16 else 'no'}"
    )
    for p in card.published:
        ssim = f" / {p.ssim:.4f}" if p.ssim is not None else ""
        print(f"  published: {p.dataset} x{p.scale} {p.psnr:.2f}{ssim} {p.source}")
    if card.notes:
        print(f"  notes: {card.notes}")
    if card.training:
        print("  srkit's shipped weights:")
        for key, value in sorted(card.training.items(), key=lambda kv: (" x" in kv[0], kv[0])):
            print(f"    {key}: {value}")
