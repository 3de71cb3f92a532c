"""srkit's own trained weights, shipped inside the package (``srkit/assets/weights``), and how names map to them.

``srkit.load_model("srkit")`` (the default model, the quality tier), ``"srkit_net"`` (the same),
``"srkit_fast"`` (the fast tier) and ``"srkit_prior"`` (DPSR's prior: the quality network with a noise-level
map input, :mod:`srkit.unsupervised.dpsr`) load these files. Each is a safetensors file whose metadata holds the
model card's ``training`` entries (recipe, data, steps, wall time, hardware, measured PSNR/SSIM): srkit writes them with
:func:`save_shipped` after training and evaluating, and :func:`shipped_card_entries` reads them back.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path

DEFAULT_MODEL = "srkit"
# shipped name -> (registered architecture, weights file)
SHIPPED: dict[str, tuple[str, str]] = {
    "srkit": ("srkit_net", "srkit_net.safetensors"),
    "srkit_net": ("srkit_net", "srkit_net.safetensors"),
    "srkit_fast": ("srkit_fast", "srkit_fast.safetensors"),
    "srkit_prior": ("srkit_prior", "srkit_prior.safetensors"),  # DPSR's prior (srkit.unsupervised.dpsr)
    "srkit_real": ("srkit_net", "srkit_real.safetensors"),  # real photos: synthetic real-world degradations, L1
    "srkit_real_gan": ("srkit_net", "srkit_real_gan.safetensors"),  # the same, perceptual (L1 + content + GAN)
    # aligned faces (srkit.face, srkit face): FSRNet with facial priors, and the same-size generic model
    "srkit_face_x8": ("fsrnet", "srkit_face_x8.safetensors"),
    "srkit_face_x4": ("fsrnet", "srkit_face_x4.safetensors"),
    "srkit_face_generic_x8": ("fsrnet_generic", "srkit_face_generic_x8.safetensors"),
    "srkit_face_generic_x4": ("fsrnet_generic", "srkit_face_generic_x4.safetensors"),
    # hyperspectral cubes (srkit.hsi, srkit hsi): single-image SR x4, and fusion with an RGB/MS/PAN guide
    "srkit_hsi_x4": ("hsi3d", "srkit_hsi_x4.safetensors"),
    "srkit_hsi_fusion": ("hsi_fusion", "srkit_hsi_fusion.safetensors"),
}


# which photo each shipped model suits (srkit upscale --help, srkit models)
SUITS: dict[str, str] = {
    "srkit": "clean images: renders, screenshots, photos downscaled without noise or heavy JPEG (the default)",
    "srkit_fast": "the same images, about 8x faster, a little less sharp",
    "srkit_real": "real photos: camera blur, sensor noise, JPEG artefacts; removes them and stays faithful",
    "srkit_real_gan": "real photos, when crisp textures matter more than fidelity: it invents plausible detail",
    "srkit_prior": "noisy bicubic-downscaled images of a known noise level (--noise), and DPSR's prior",
    "srkit_face_x8": "aligned 16x16 faces only (x8); for faces in photos use srkit face",
    "srkit_face_x4": "aligned 32x32 faces only (x4); for faces in photos use srkit face --scale 4",
    "srkit_face_generic_x8": "the x8 face model without facial priors, for comparison (docs/face.md)",
    "srkit_face_generic_x4": "the x4 face model without facial priors, for comparison (docs/face.md)",
    "srkit_hsi_x4": "hyperspectral cubes (any band count), x4, by themselves: srkit hsi sr",
    "srkit_hsi_fusion": "hyperspectral cubes fused with an HR RGB/MS/PAN image (x4, x8): srkit hsi fuse",
}


def shipped_models() -> list[str]:
    """The names of srkit's shipped models (``srkit``, the default; ``srkit_fast``; ``srkit_prior``, DPSR's prior;
    ``srkit_real`` and ``srkit_real_gan`` for real photos; the face models of ``srkit.face``; the hyperspectral
    networks of ``srkit.hsi``); ``srkit_net`` is
    another name of ``srkit``.

    Example:
        >>> [n for n in shipped_models() if not n.startswith(("srkit_face", "srkit_hsi"))]
        ['srkit', 'srkit_fast', 'srkit_prior', 'srkit_real', 'srkit_real_gan']
    """
    return sorted(n for n in SHIPPED if n != "srkit_net")


def weights_dir() -> Path:
    """The folder of the shipped weights inside the installed package."""
    return Path(str(resources.files("srkit") / "assets" / "weights"))


def shipped_path(name: str) -> Path | None:
    """The weights file of shipped model ``name``, or None if ``name`` is not a shipped model.

    Raises:
        SrkitError: ``name`` is a shipped model but its file is missing (a broken install).
    """
    if name not in SHIPPED:
        return None
    path = weights_dir() / SHIPPED[name][1]
    if not path.is_file():
        raise SrkitError(f"srkit's weights for {name!r} are missing from the installation ({path}): reinstall srkit")
    return path


def shipped_scale(path: str | os.PathLike[str]) -> int | None:
    """The one scale a shipped weights file serves (``srkit_scale`` in its metadata), None if it does not say."""
    with safe_open(str(path), framework="pt") as f:
        value = (f.metadata() or {}).get("srkit_scale")
    return int(value) if value is not None else None


def shipped_card_entries(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``training`` entries stored in a shipped weights file's metadata (empty if it has none)."""
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    raw = meta.get("srkit_training")
    if raw is None:
        return {}
    entries = json.loads(raw)
    return {str(k): str(v) for k, v in entries.items()}


def save_shipped(
    path: str | os.PathLike[str],
    state: dict[str, torch.Tensor],
    training: dict[str, str],
    *,
    arch: str,
    scale: int | None = None,
) -> None:
    """Write weights for shipping: float32 tensors, ``srkit_arch`` and the ``training`` card entries in the
    safetensors metadata, atomically; ``scale`` for weights that serve one scale of a several-scale architecture
    (``srkit_scale``: the face models, one file per scale)."""
    tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in state.items()}
    meta = {"srkit_arch": arch, "srkit_training": json.dumps(training, sort_keys=True)}
    if scale is not None:
        meta["srkit_scale"] = str(scale)
    with atomic_path(Path(path), overwrite=True) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
