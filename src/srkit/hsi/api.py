"""The hyperspectral API: single-image SR of a cube, fusion of an LR cube with an HR guide, Wald's simulation.

Every function takes and gives :class:`~srkit.data.cube.Cube` objects in the user's own dtype and units: inside,
the LR cube is divided by its maximum (the networks' [0, 1] range) and the result multiplied back, integers
rounded and clipped. Networks run in spatial tiles of ``tile`` LR pixels with a margin of overlap, so a cube of
any size runs in bounded memory (the input and the output are held whole); the classical fusion methods (GSA,
CNMF) fit statistics of the whole scene and run on it whole.

Example:
    >>> cube = Cube(np.random.default_rng(0).random((8, 32, 32)).astype(np.float32), np.linspace(400, 700, 8))
    >>> lr, guide = simulate(cube, 4, cie_xyz())
    >>> fuse(lr, guide, ratio=4, response=cie_xyz(), method="gsa").shape
    (8, 32, 32)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.archs import load_model
from srkit.archs.hsi import HSI3DNet, HSIFusionNet, detail_injection, detail_regression
from srkit.data.cube import Cube
from srkit.degradations.wald import spatial_down
from srkit.hsi.classical import bicubic, cnmf, gsa
from srkit.hsi.guide import calibrate_guide, estimate_response, response_tensor
from srkit.hsi.response import SpectralResponse

__all__ = ["FUSION_METHODS", "FUSION_MODEL", "SR_METHODS", "SR_MODELS", "fuse", "simulate", "super_resolve"]

FUSION_METHODS = ("deep", "regression", "gsa", "cnmf", "bicubic")
SR_METHODS = ("deep", "bicubic")
FUSION_MODEL = "srkit_hsi_fusion"  # one set of weights for every ratio it was trained on (4 and 8)
SR_MODELS = {4: "srkit_hsi_x4"}
DEFAULT_TILE = 96  # LR pixels per tile side
_MARGIN = 12  # LR pixels of overlap on each side of a tile (the networks' cards: reach 10 and 8 LR pixels)

Progress = Callable[[int, int], None] | None


def _prepare(cube: Cube, source: str) -> tuple[torch.Tensor, float]:
    cube.check_finite(source)
    data, peak = cube.float_data()
    return torch.from_numpy(data), peak


def _output(lr: Cube, values: torch.Tensor, peak: float, ratio: int) -> Cube:
    out = lr.like(values.detach().cpu().numpy(), peak=peak)
    geo = dict(out.geo)
    if 33550 in geo:  # ModelPixelScaleTag: ground size of a pixel, now ratio times finer
        dtype, count, value = geo[33550]
        scaled = tuple(float(v) / ratio if i < 2 else float(v) for i, v in enumerate(value))
        geo[33550] = (dtype, count, scaled)
    if 34264 in geo:  # ModelTransformationTag: the pixel-to-map matrix's scale terms
        dtype, count, value = geo[34264]
        m = [float(v) for v in value]
        for i in (0, 1, 4, 5):
            m[i] /= ratio
        geo[34264] = (dtype, count, tuple(m))
    return dataclasses.replace(out, geo=geo)


def _tiled(
    run: Callable[[slice, slice], torch.Tensor],
    size: tuple[int, int],
    ratio: int,
    tile: int | None,
    progress: Progress,
) -> torch.Tensor | None:
    """``run(rows, cols)`` on LR windows (tiles plus margin), the HR results' centres pasted together."""
    h, w = size
    step = max(1, tile) if tile else max(h, w)
    boxes = [(y, x) for y in range(0, h, step) for x in range(0, w, step)]
    out: torch.Tensor | None = None
    for i, (y, x) in enumerate(boxes):
        y0, x0 = max(0, y - _MARGIN), max(0, x - _MARGIN)
        y1, x1 = min(h, y + step + _MARGIN), min(w, x + step + _MARGIN)
        with torch.inference_mode():
            part = run(slice(y0, y1), slice(x0, x1))
        if out is None:
            out = torch.empty(part.shape[0], h * ratio, w * ratio, dtype=torch.float32)
        ty, tx = min(step, h - y), min(step, w - x)
        out[:, y * ratio : (y + ty) * ratio, x * ratio : (x + tx) * ratio] = part[
            :, (y - y0) * ratio : (y - y0 + ty) * ratio, (x - x0) * ratio : (x - x0 + tx) * ratio
        ]
        if progress is not None:
            progress(i + 1, len(boxes))
    return out


_ARCH_NAMES: dict[type[nn.Module], str] = {HSI3DNet: "hsi3d", HSIFusionNet: "hsi_fusion"}


def _network(model: str | nn.Module, scale: int | None, arch: type[nn.Module]) -> nn.Module:
    net = load_model(model, arch=_ARCH_NAMES[arch], scale=scale) if not isinstance(model, nn.Module) else model
    if not isinstance(net, arch):
        what = model if isinstance(model, str) else "the model"
        raise SrkitError(f"{what} is not an {arch.__name__} network (it is a {type(net).__name__})")
    return net.eval()


def super_resolve(
    cube: Cube,
    scale: int = 4,
    *,
    method: str = "deep",
    model: str | nn.Module | None = None,
    tile: int | None = DEFAULT_TILE,
    progress: Progress = None,
) -> Cube:
    """Single-image SR of ``cube`` by ``scale``: srkit's HSI network (``deep``) or ``bicubic``.

    Args:
        cube: the LR cube.
        scale: the factor (the shipped network serves 4; another model file may serve others).
        method: ``deep`` or ``bicubic``.
        model: a shipped name or weights file of an ``hsi3d`` network (default: srkit's for the scale).
        tile: LR pixels per tile side (None: the whole cube at once).
        progress: called with (tiles done, tiles) after each tile.
    """
    if method not in SR_METHODS:
        raise SrkitError(f"unknown method {method!r} (use {', '.join(SR_METHODS)})")
    lr, peak = _prepare(cube, "the cube")
    if method == "bicubic":
        return _output(cube, bicubic(lr, scale), peak, scale)
    if model is None and scale not in SR_MODELS:
        raise SrkitError(f"srkit ships an HSI SR network for x{', x'.join(map(str, SR_MODELS))}, not x{scale}")
    net = _network(model or SR_MODELS[scale], scale, HSI3DNet)
    if net.scale != scale:
        raise SrkitError(f"that network upscales x{net.scale}, not x{scale}")
    out = _tiled(lambda r, c: net(lr[None, :, r, c])[0], cube.shape[1:], scale, tile, progress)
    assert out is not None
    return _output(cube, out, peak, scale)


def _response_matrix(response: SpectralResponse | np.ndarray | torch.Tensor | None, cube: Cube) -> torch.Tensor | None:
    if response is None:
        return None
    if isinstance(response, SpectralResponse):
        return torch.from_numpy(response.matrix(cube.wavelengths, cube.bands)).float()
    r = response_tensor(response)
    if r.shape[1] != cube.bands:
        raise SrkitError(f"the response covers {r.shape[1]} bands, the cube has {cube.bands}")
    return r / r.sum(dim=1, keepdim=True).clamp(min=1e-12)


def _guide_tensor(guide: np.ndarray | torch.Tensor) -> torch.Tensor:
    g = torch.as_tensor(np.asarray(guide)).float()
    if g.ndim == 2:
        g = g[None]
    if g.ndim != 3:
        raise SrkitError(f"the guide is (channels, H, W), got shape {tuple(g.shape)}")
    if not torch.isfinite(g).all():
        raise SrkitError("the guide holds NaN or infinite values; fill or mask them first")
    return g


def fuse(
    lr: Cube,
    guide: np.ndarray | torch.Tensor,
    *,
    ratio: int | None = None,
    response: SpectralResponse | np.ndarray | torch.Tensor | None = None,
    method: str = "deep",
    model: str | nn.Module | None = None,
    tile: int | None = DEFAULT_TILE,
    progress: Progress = None,
) -> Cube:
    """Fuse the LR cube ``lr`` with the HR ``guide`` ``(C, H, W)`` (RGB, MS or PAN; any dtype and units).

    Args:
        lr: the LR cube.
        guide: the HR image of the same scene, ``ratio`` times finer and aligned with the cube.
        ratio: the resolution ratio (default: the guide's size over the cube's; it must be an integer).
        response: the guide's spectral response (a :class:`SpectralResponse` placed by the cube's wavelengths, or a
            ``(C, bands)`` matrix); None: estimated from the two images (:func:`estimate_response`).
        method: ``deep`` (srkit's fusion network), ``regression`` (its starting point alone: the band-dependent
            detail injection fitted on the LR grid, :mod:`srkit.archs.hsi`), ``gsa``, ``cnmf`` or ``bicubic``
            (the guide unused).
        model: an ``hsi_fusion`` network or its weights (default: srkit's shipped one).
        tile: LR pixels per tile side for the network (None: whole).
        progress: called with (tiles done, tiles).

    Raises:
        SrkitError: sizes that are not a multiple of the ratio, a response that does not match the bands or the
            guide's channels, NaNs, or a guide that does not follow the cube through the response.
    """
    if method not in FUSION_METHODS:
        raise SrkitError(f"unknown method {method!r} (use {', '.join(FUSION_METHODS)})")
    y, peak = _prepare(lr, "the LR cube")
    g = _guide_tensor(guide)
    _, h, w = y.shape
    gh, gw = g.shape[1:]
    if ratio is None:
        ratio = gh // h
    if ratio < 1 or (gh, gw) != (h * ratio, w * ratio):
        raise SrkitError(
            f"the guide is {gw}x{gh} and the cube {w}x{h}: the guide must be exactly ratio x {ratio} the cube's size"
            if ratio >= 1
            else f"the guide ({gw}x{gh}) is smaller than the cube ({w}x{h})"
        )
    if method == "bicubic":
        return _output(lr, bicubic(y, ratio), peak, ratio)
    r = _response_matrix(response, lr)
    if r is None:
        r = estimate_response(y, g, ratio)
    if r.shape[0] != g.shape[0]:
        raise SrkitError(f"the response has {r.shape[0]} channels, the guide {g.shape[0]}")
    z = calibrate_guide(y, g, r, ratio)
    if method == "gsa":
        out = gsa(y, z, ratio)
    elif method == "cnmf":
        out = cnmf(y, z, r, ratio)
    elif method == "regression":
        out = detail_injection(y[None], z[None], detail_regression(y[None], z[None]))[0]
    else:
        net = _network(model or FUSION_MODEL, None, HSIFusionNet)
        weights = detail_regression(y[None], z[None], net.sigma)  # type: ignore[arg-type]  # the whole scene's fit

        def run(rows: slice, cols: slice) -> torch.Tensor:
            hr_rows = slice(rows.start * ratio, rows.stop * ratio)
            hr_cols = slice(cols.start * ratio, cols.stop * ratio)
            return net(y[None, :, rows, cols], z[None, :, hr_rows, hr_cols], r, weights)[0]

        tiled = _tiled(run, (h, w), ratio, tile, progress)
        assert tiled is not None
        out = tiled
    return _output(lr, out, peak, ratio)


def simulate(
    cube: Cube,
    ratio: int,
    response: SpectralResponse | np.ndarray | torch.Tensor | None = None,
    *,
    seed: int = 0,
    lr_snr: float | None = None,
    guide_snr: float | None = None,
) -> tuple[Cube, np.ndarray | None]:
    """Wald's simulation (:mod:`srkit.degradations.wald`): the LR cube (same dtype as ``cube``) and, with a
    ``response``, the HR guide ``(C, H, W)`` float32 in the cube's units; both cropped to a multiple of ``ratio``.
    ``lr_snr``/``guide_snr``: add white Gaussian noise at that signal-to-noise ratio (dB), seeded by ``seed``."""
    x, peak = _prepare(cube, "the cube")
    h, w = (x.shape[1] // ratio) * ratio, (x.shape[2] // ratio) * ratio
    if h == 0 or w == 0:
        raise SrkitError(f"a {x.shape[2]}x{x.shape[1]} cube is smaller than the ratio {ratio}")
    x = x[:, :h, :w].double()
    gen = torch.Generator().manual_seed(seed)
    lr = spatial_down(x[None], ratio)[0]
    lr = _noisy(lr, lr_snr, gen)
    cropped = dataclasses.replace(cube, data=cube.data[:, :h, :w])
    lr_cube = cropped.like(lr.numpy(), peak=peak)
    r = _response_matrix(response, cube)
    if r is None:
        return lr_cube, None
    z = torch.einsum("cb,bhw->chw", r.double(), x)
    return lr_cube, (_noisy(z, guide_snr, gen) * peak).float().numpy()


def _noisy(x: torch.Tensor, snr: float | None, gen: torch.Generator) -> torch.Tensor:
    if snr is None:
        return x
    sigma = float(x.pow(2).mean().sqrt()) / (10.0 ** (snr / 20.0))
    return x + sigma * torch.randn(x.shape, generator=gen, dtype=x.dtype)
