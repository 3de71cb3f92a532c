"""NIQE, the Naturalness Image Quality Evaluator: a no-reference ("completely blind") quality metric.

NIQE fits a multivariate Gaussian (MVG) to natural-scene-statistics features of an image's patches and measures
its distance to the MVG of pristine natural images: ``sqrt((mu_p - mu_t)^T pinv((S_p + S_t) / 2) (mu_p - mu_t))``.
Lower is more natural. It needs no reference image, so it scores SR outputs on their own (PIRM 2018 used it
in its perceptual index); it is only comparable between scores made with the same pristine model.

The steps follow the authors' MATLAB release (``computequality.m``, ``computefeature.m``,
``estimateaggdparam.m``, ``estimatemodelparam.m``):

* the image as gray float64 on the 0-255 scale, cropped to a multiple of the block (96) in both sides;
* MSCN coefficients ``(I - mu) / (sigma + 1)``, ``mu`` and ``sigma`` from a 7x7 Gaussian window (sigma 7/6,
  normalised to sum 1) with replicated borders, ``sigma = sqrt(|E[I^2] - mu^2|)``;
* 18 features per patch and scale: an AGGD fit of the MSCN values (shape, mean of the left and right scales),
  and for the products of each coefficient with its right, lower, lower-right and upper-right neighbour (MATLAB
  ``circshift`` by ``[0 1]``, ``[1 0]``, ``[1 1]``, ``[1 -1]``, wrapping around inside the patch) an AGGD fit
  (shape, mean, left scale, right scale); shapes are looked up on the grid 0.2:0.001:10 by moment matching;
* two scales: the patches of the image and those of the image shrunk by MATLAB ``imresize(I, 0.5)`` (bicubic,
  antialiased, unrounded) with half-size patches, so every patch has 36 features;
* the pristine MVG keeps, in each image, the patches whose mean ``sigma`` exceeds 0.75 times the image's
  largest; a test image's MVG uses all its patches.

srkit ships its own pristine model (``srkit/assets/niqe_pristine.json``), fitted by ``scripts/niqe_model.py``
on the classic SR training images T91, BSD200 and General100 (half size). It is not the authors'
``modelparameters.mat`` (125 pristine photographs), so srkit's NIQE values are not comparable to numbers made
with the MATLAB release, BasicSR or pyiqa, only to each other.

Differences from the MATLAB release:

* gray is the unrounded Y of MATLAB ``rgb2ycbcr`` (BT.601, 16-235), not ``rgb2gray`` (rounded to uint8);
* MSCN values smaller than 1e-8 in magnitude (rounding noise of ``I - mu`` in a flat region) are set to 0, so
  a flat patch has undefined features (0 / 0) and is left out of the MVG, instead of features fitted to
  rounding noise; MATLAB's ``nanmean`` / ``nancov`` drop undefined values too;
* a patch with any undefined feature is left out of both the mean and the covariance (``nanmean`` would keep
  its other features in the mean);
* a test image needs two blocks in each side (192x192 pixels for 96), so that its MVG has at least four patches.

References:
    A. Mittal, R. Soundararajan, A. C. Bovik, "Making a 'Completely Blind' Image Quality Analyzer", IEEE Signal
    Processing Letters 20(3), 2013. https://doi.org/10.1109/LSP.2012.2227726

    N.-E. Lasmar, Y. Stitou, Y. Berthoumieu, "Multiscale skewed heavy tailed model for texture analysis", ICIP
    2009 (the AGGD moment-matching estimator). https://doi.org/10.1109/ICIP.2009.5414404
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from srkit._core.errors import SrkitError
from srkit.functional.color import rgb_to_y
from srkit.functional.resize import imresize
from srkit.metrics._prepare import Float64Array

__all__ = ["FEATURE_NAMES", "AGGDParams", "NIQEModel", "fit_aggd", "fit_niqe_model", "load_niqe_model", "niqe"]

BLOCK = 96
SHARPNESS = 0.75
N_FEATURES = 36
_C = 1.0  # the MSCN stabilising constant, on the 0-255 scale
_RADIUS = 3  # 7x7 window
_SIGMA = 7.0 / 6.0
_ROUNDING = 1e-8  # |I - mu| below this is rounding noise of a flat region (real detail is >= ~1e-4 on 0-255)
# (row, column) circshift of the four neighbours: right, below, below-right, above-right.
_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))
_ORIENTATIONS = ("horizontal", "vertical", "main_diagonal", "secondary_diagonal")

FEATURE_NAMES = tuple(
    f"scale{s}_{name}"
    for s in (1, 2)
    for name in (
        "mscn_shape",
        "mscn_scale",
        *(f"{o}_{p}" for o in _ORIENTATIONS for p in ("shape", "mean", "left_scale", "right_scale")),
    )
)

# The shape grid 0.2:0.001:10 and Gamma(1/a), Gamma(2/a), Gamma(3/a) on it.
_SHAPES = np.arange(200, 10001, dtype=np.float64) / 1000.0
_G1, _G2, _G3 = (np.array([math.gamma(k / a) for a in _SHAPES]) for k in (1.0, 2.0, 3.0))
# Gamma(2/a)^2 / (Gamma(1/a) Gamma(3/a)): (E|x|)^2 / E[x^2] of a generalised Gaussian, increasing in a.
_RATIO = _G2**2 / (_G1 * _G3)
assert np.all(np.diff(_RATIO) > 0)


def _gaussian_1d() -> Float64Array:
    """The 1-D factor of MATLAB ``fspecial('gaussian', 7, 7/6)``: the 2-D window is its outer product."""
    x = np.arange(-_RADIUS, _RADIUS + 1, dtype=np.float64)
    g = np.exp(-(x**2) / (2.0 * _SIGMA**2))
    out: Float64Array = g / g.sum()
    return out


_GAUSS = _gaussian_1d()


class AGGDParams(NamedTuple):
    """Parameters of an asymmetric generalised Gaussian, one value per fitted sample set (NaN: undefined).

    The density is ``a / ((bl + br) Gamma(1/a)) exp(-(-x / bl)^a)`` for ``x < 0`` and ``exp(-(x / br)^a)`` for
    ``x >= 0``; ``mean = (br - bl) Gamma(2/a) / Gamma(1/a)``.
    """

    shape: Float64Array
    mean: Float64Array
    left_scale: Float64Array
    right_scale: Float64Array


def fit_aggd(samples: NDArray[Any]) -> AGGDParams:
    """Fit an asymmetric generalised Gaussian to each row of ``samples`` by moment matching.

    As the authors' ``estimateaggdparam.m``: the left and right standard deviations ``sl``, ``sr`` (of the
    negative and positive values), ``r = (E|x|)^2 / E[x^2]`` normalised by ``g = sl / sr`` to
    ``r (g^3 + 1)(g + 1) / (g^2 + 1)^2``, matched to the nearest ``Gamma(2/a)^2 / (Gamma(1/a) Gamma(3/a))`` on the
    shape grid 0.2:0.001:10 (the first on a tie, as MATLAB's ``min``); the scales are
    ``b = s sqrt(Gamma(1/a) / Gamma(3/a))``. A symmetric sample gives a generalised Gaussian fit (``bl = br``).

    Args:
        samples: ``(..., N)``, fitted along the last axis.

    Returns:
        ``AGGDParams`` of arrays of shape ``samples.shape[:-1]``; NaN where a row has no negative or no positive
        value, or only zeros.

    Example:
        >>> x = np.random.default_rng(0).laplace(size=(1, 100_000))
        >>> round(float(fit_aggd(x).shape[0]), 1)
        1.0
    """
    x = np.asarray(samples, dtype=np.float64)
    sq = x * x
    neg, pos = x < 0, x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.sqrt(np.where(neg, sq, 0.0).sum(-1) / neg.sum(-1))
        right = np.sqrt(np.where(pos, sq, 0.0).sum(-1) / pos.sum(-1))
        g = left / right
        r = np.abs(x).mean(-1) ** 2 / sq.mean(-1)
        r_norm = r * (g**3 + 1) * (g + 1) / (g**2 + 1) ** 2
    valid = np.isfinite(r_norm)
    i = _nearest(_RATIO, np.where(valid, r_norm, 0.0))
    shape = np.where(valid, _SHAPES[i], np.nan)
    root = np.sqrt(_G1[i] / _G3[i])
    bl, br = left * root, right * root
    mean = (br - bl) * _G2[i] / _G1[i]
    return AGGDParams(shape, np.where(valid, mean, np.nan), np.where(valid, bl, np.nan), np.where(valid, br, np.nan))


def _nearest(table: Float64Array, values: Float64Array) -> NDArray[np.intp]:
    """Index of the entry of the increasing ``table`` nearest to each value (the lower one on a tie)."""
    hi = np.clip(np.searchsorted(table, values), 1, len(table) - 1)
    lo = hi - 1
    return np.where(np.abs(table[hi] - values) < np.abs(values - table[lo]), hi, lo)


# ----------------------------------------------------------------------------------------------- features


def _filter(x: Float64Array) -> Float64Array:
    """The 7x7 Gaussian window over the last two axes, borders replicated (MATLAB ``imfilter(.., 'replicate')``)."""
    pad = [(0, 0)] * (x.ndim - 2) + [(_RADIUS, _RADIUS)] * 2
    padded = np.pad(x, pad, mode="edge")
    rows = sliding_window_view(padded, 2 * _RADIUS + 1, axis=-1) @ _GAUSS
    out: Float64Array = sliding_window_view(rows, 2 * _RADIUS + 1, axis=-2) @ _GAUSS
    return out


def _mscn(image: Float64Array) -> tuple[Float64Array, Float64Array]:
    """MSCN coefficients and the local deviation ``sigma`` of a 2-D image on the 0-255 scale."""
    mu, second = _filter(np.stack([image, image * image]))
    sigma = np.sqrt(np.abs(second - mu * mu))
    diff = image - mu
    diff[np.abs(diff) < _ROUNDING] = 0.0
    return diff / (sigma + _C), sigma


def _patches(x: Float64Array, size: int) -> Float64Array:
    """Non-overlapping ``size x size`` patches of a 2-D array whose sides are multiples of ``size``: ``(N, s, s)``."""
    h, w = x.shape
    return x.reshape(h // size, size, w // size, size).swapaxes(1, 2).reshape(-1, size, size)


def _patch_features(mscn: Float64Array) -> Float64Array:
    """The 18 features of each MSCN patch ``(N, s, s)`` -> ``(N, 18)``, as ``computefeature.m``."""
    n = mscn.shape[0]
    own = fit_aggd(mscn.reshape(n, -1))
    columns = [own.shape, (own.left_scale + own.right_scale) / 2]
    for shift in _SHIFTS:
        pairs = mscn * np.roll(mscn, shift, axis=(1, 2))
        columns.extend(fit_aggd(pairs.reshape(n, -1)))
    return np.stack(columns, axis=1)


def _features(gray: Float64Array, block: int) -> tuple[Float64Array, Float64Array]:
    """``(N, 36)`` features and ``(N,)`` sharpness (mean ``sigma``) of the ``block`` patches of a gray image."""
    h, w = gray.shape
    image = gray[: h - h % block, : w - w % block]
    per_scale = []
    sharpness = np.empty(0)
    for scale in (1, 2):
        mscn, sigma = _mscn(image)
        if scale == 1:
            sharpness = _patches(sigma, block).mean(axis=(1, 2))
            image = imresize(image, 0.5)
        per_scale.append(_patch_features(_patches(mscn, block // scale)))
    return np.concatenate(per_scale, axis=1), sharpness


def _mvg(features: Float64Array, what: str) -> tuple[Float64Array, Float64Array]:
    """Mean and covariance (normalised by N - 1; zero for one patch) of the patches with every feature defined."""
    kept = features[np.isfinite(features).all(axis=1)]
    if len(kept) == 0:
        raise SrkitError(f"{what} has no patch with texture (flat or constant image): NIQE is undefined")
    cov = np.zeros((N_FEATURES, N_FEATURES)) if len(kept) == 1 else np.cov(kept, rowvar=False)
    return kept.mean(axis=0), (cov + cov.T) / 2


def _pinv(a: Float64Array) -> Float64Array:
    """Moore-Penrose inverse with MATLAB ``pinv``'s tolerance ``max(size) * norm(A) * eps``."""
    u, s, vt = np.linalg.svd(a)
    tol = max(a.shape) * (s[0] if s.size else 0.0) * np.finfo(np.float64).eps
    inv = np.where(s > tol, 1.0 / np.where(s > tol, s, 1.0), 0.0)
    out: Float64Array = (vt.T * inv) @ u.T
    return out


# ----------------------------------------------------------------------------------------------- input


def _gray(image: object, name: str) -> Float64Array:
    """The checked image as 2-D float64 gray on the 0-255 scale (Y of 3-channel images)."""
    if isinstance(image, torch.Tensor):
        if image.ndim == 4 and image.shape[0] == 1:
            image = image[0]
        if image.ndim != 3:
            raise SrkitError(f"{name} must be a tensor (C, H, W) or (1, C, H, W), got shape {tuple(image.shape)}")
        image = image.detach().cpu().movedim(0, -1)
        image = (image.to(torch.float64) if image.is_floating_point() else image).numpy()
    if not isinstance(image, np.ndarray):
        raise SrkitError(f"{name} must be a numpy array or a torch tensor, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] not in (1, 3)):
        raise SrkitError(f"{name} must have shape (H, W), (H, W, 1) or (H, W, 3), got {image.shape}")
    is_uint8 = image.dtype == np.uint8
    if not (is_uint8 or np.issubdtype(image.dtype, np.floating)):
        raise SrkitError(f"{name} must be uint8 (0-255) or floating point (0-1), got dtype {image.dtype}")
    if image.ndim == 3 and image.shape[-1] == 3:
        gray = rgb_to_y(image)
    else:
        gray = (image if image.ndim == 2 else image[..., 0]).astype(np.float64)
    gray = gray if is_uint8 else gray * 255.0
    if not np.isfinite(gray).all():
        raise SrkitError(f"{name} has NaN or infinite values")
    return np.ascontiguousarray(gray, dtype=np.float64)


def _check_block(block: object) -> int:
    if isinstance(block, bool) or not isinstance(block, numbers.Integral) or block < 8 or block % 2:
        raise SrkitError(f"block must be an even integer >= 8, got {block!r}")
    return int(block)


# ----------------------------------------------------------------------------------------------- model


@dataclass(frozen=True, eq=False)
class NIQEModel:
    """A pristine multivariate Gaussian: what NIQE measures the distance to.

    Attributes:
        mu: ``(36,)`` mean feature vector (order: :data:`FEATURE_NAMES`).
        cov: ``(36, 36)`` covariance, symmetric positive semi-definite.
        block: the patch size the features were computed on (a test image uses the same).
        sharpness: the patch-selection threshold (fraction of each image's sharpest patch).
        n_images: images the model was fitted on.
        n_patches: patches kept.
        source: how the model was made (data, command).
    """

    mu: Float64Array
    cov: Float64Array
    block: int = BLOCK
    sharpness: float = SHARPNESS
    n_images: int = 0
    n_patches: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        mu = np.array(self.mu, dtype=np.float64)
        cov = np.array(self.cov, dtype=np.float64)
        if mu.shape != (N_FEATURES,) or cov.shape != (N_FEATURES, N_FEATURES):
            raise SrkitError(f"a NIQE model needs mu (36,) and cov (36, 36), got {mu.shape} and {cov.shape}")
        if not (np.isfinite(mu).all() and np.isfinite(cov).all()):
            raise SrkitError("a NIQE model's mu and cov must be finite")
        mu.flags.writeable = False
        cov.flags.writeable = False
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "cov", cov)
        object.__setattr__(self, "block", _check_block(self.block))


def fit_niqe_model(
    images: Iterable[NDArray[Any] | torch.Tensor], block: int = BLOCK, sharpness: float = SHARPNESS, *, source: str = ""
) -> NIQEModel:
    """Fit a pristine NIQE model to natural images, as the authors' ``estimatemodelparam.m``.

    In each image, the patches whose mean local deviation exceeds ``sharpness`` times the image's largest are
    kept; one MVG is fitted to the kept patches of all images.

    Args:
        images: pristine images, each accepted by :func:`niqe` and at least ``block`` pixels in both sides.
        block: patch size (even).
        sharpness: fraction of each image's sharpest patch that a patch must exceed, in [0, 1).
        source: free text recorded on the model (what data, which command).

    Returns:
        The fitted :class:`NIQEModel`.

    Raises:
        SrkitError: an image that is not accepted or is smaller than one block; no textured patch at all.
    """
    block = _check_block(block)
    if not 0.0 <= float(sharpness) < 1.0:
        raise SrkitError(f"sharpness must be in [0, 1), got {sharpness!r}")
    kept, count = [], 0
    for index, image in enumerate(images):
        gray = _gray(image, f"images[{index}]")
        if min(gray.shape) < block:
            raise SrkitError(
                f"images[{index}] is {gray.shape[0]}x{gray.shape[1]}, smaller than a {block}x{block} block"
            )
        features, sharp = _features(gray, block)
        kept.append(features[sharp > sharpness * sharp.max()])
        count += 1
    if not kept:
        raise SrkitError("fit_niqe_model needs at least one image")
    pooled = np.concatenate(kept)
    mu, cov = _mvg(pooled, "the pristine set")
    n_patches = int(np.isfinite(pooled).all(axis=1).sum())
    return NIQEModel(mu, cov, block, float(sharpness), count, n_patches, source)


def shipped_model_path() -> Path:
    """The pristine model shipped with srkit (``srkit/assets/niqe_pristine.json``)."""
    return Path(str(resources.files("srkit") / "assets" / "niqe_pristine.json"))


def load_niqe_model(path: str | os.PathLike[str] | None = None) -> NIQEModel:
    """Read a NIQE model from JSON: srkit's shipped pristine model by default (cached).

    The file holds ``mu`` (36 numbers), ``cov`` (36 rows of 36), ``block``, ``sharpness``, ``images.count``,
    ``patches`` and ``source``, as ``scripts/niqe_model.py`` writes them; other keys are ignored.

    Raises:
        SrkitError: a missing or malformed file.
    """
    return _shipped() if path is None else _read_model(Path(path))


@lru_cache(maxsize=1)
def _shipped() -> NIQEModel:
    path = shipped_model_path()
    if not path.is_file():
        raise SrkitError(f"srkit's NIQE model is missing from the installation ({path}): reinstall srkit")
    return _read_model(path)


def _read_model(path: Path) -> NIQEModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return NIQEModel(
            mu=np.asarray(data["mu"], dtype=np.float64),
            cov=np.asarray(data["cov"], dtype=np.float64),
            block=int(data["block"]),
            sharpness=float(data["sharpness"]),
            n_images=int(data["images"]["count"]),
            n_patches=int(data["patches"]),
            source=str(data["source"]),
        )
    except OSError as err:
        raise SrkitError(f"cannot read NIQE model {path}: {err.strerror or err}") from None
    except (ValueError, KeyError, TypeError) as err:
        raise SrkitError(f"{path} is not a NIQE model file: {type(err).__name__}: {err}") from None


# ----------------------------------------------------------------------------------------------- metric


def niqe(image: NDArray[Any] | torch.Tensor, *, params: NIQEModel | None = None, block: int | None = None) -> float:
    """NIQE of one image against a pristine model (see the module docstring); lower is more natural.

    Args:
        image: numpy ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``, or a torch tensor ``(C, H, W)`` or
            ``(1, C, H, W)`` with C = 1 or 3; uint8 means the 0-255 scale, floating point the 0-1 scale.
            3-channel images are measured on the Y of MATLAB ``rgb2ycbcr`` (unrounded).
        params: the pristine model; srkit's shipped one (:func:`load_niqe_model`) by default.
        block: patch size; must equal ``params.block`` (96 for the shipped model) when given.

    Returns:
        The NIQE score, a python float >= 0.

    Raises:
        SrkitError: a wrong kind, shape or dtype; an image smaller than two blocks in either side (192x192 for
            the default 96, i.e. two 48x48 patches per side after the 2x downscale); a block that differs from
            the model's; an image with no textured patch.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> clean = np.clip(rng.normal(128, 40, (192, 192)), 0, 255).astype(np.uint8)
        >>> niqe(clean) > 0
        True
    """
    model = load_niqe_model() if params is None else params
    if block is not None and _check_block(block) != model.block:
        raise SrkitError(f"block={block} differs from the model's block {model.block}: fit a model with that block")
    gray = _gray(image, "image")
    h, w = gray.shape
    least = 2 * model.block
    if h < least or w < least:
        raise SrkitError(
            f"niqe needs an image of at least {least}x{least} pixels (two {model.block}-pixel patches per side, "
            f"two {model.block // 2}-pixel patches after the 2x downscale), got {h}x{w}"
        )
    features, _ = _features(gray, model.block)
    mu, cov = _mvg(features, "the image")
    diff = model.mu - mu
    distance = float(diff @ _pinv((model.cov + cov) / 2.0) @ diff)
    return math.sqrt(max(distance, 0.0))
