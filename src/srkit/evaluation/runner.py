"""Evaluate SR methods on benchmark sets, per the protocol of ``docs/evaluation.md``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from srkit._core.checks import check_scale
from srkit._core.errors import SrkitError
from srkit._core.progress import Progress
from srkit.data.benchmark import BenchmarkPair, BenchmarkSet
from srkit.degradations import PROTOCOLS
from srkit.evaluation.methods import SRMethod
from srkit.metrics import psnr, ssim

_SSIM_WINDOW = 11


@dataclass(frozen=True)
class Protocol:
    """How numbers are measured: the degradation, the channel, and the options of EVALUATION.md.

    ``lr_note``, when given, says where LR images come from instead of the degradation (sets that read LR files,
    such as a blind set: ``"DIV2KRK: LR files with their kernels"``).
    """

    degradation: str = "BI"
    test_y_channel: bool = True
    y_round: bool = False
    seed: int = 0
    gray_as_rgb: bool = False
    lr_note: str | None = None

    def __post_init__(self) -> None:
        if self.degradation.upper() not in PROTOCOLS:
            raise SrkitError(f"unknown degradation {self.degradation!r}; choose one of {', '.join(PROTOCOLS)}")
        object.__setattr__(self, "degradation", self.degradation.upper())
        if self.y_round and not self.test_y_channel:
            raise SrkitError("y_round applies to the Y channel; it cannot be combined with RGB evaluation")

    def describe(self) -> str:
        """A one-line description, printed under every table."""
        channel = "RGB" if not self.test_y_channel else "Y (BT.601, " + ("rounded" if self.y_round else "float") + ")"
        if self.gray_as_rgb:
            channel += ", gray images as RGB"
        lr = self.lr_note or self.made_lr()
        return f"LR: {lr}; metric on {channel}; shave = scale; SR rounded to uint8"

    def made_lr(self) -> str:
        """How the degradation makes LR images from HR ones, in a few words."""
        lr = {
            "BI": "MATLAB bicubic",
            "BD": "Gaussian 7x7 s1.6 + nearest",
            "DN": f"bicubic + noise 30 (seed {self.seed})",
            "REAL_ESRGAN": f"Real-ESRGAN's synthetic degradation (seed {self.seed})",
            "BSRGAN": f"BSRGAN's synthetic degradation (seed {self.seed})",
        }
        return lr.get(self.degradation, self.degradation)


@dataclass(frozen=True)
class ImageResult:
    """Scores of one image."""

    name: str
    psnr: float
    ssim: float
    seconds: float


@dataclass(frozen=True)
class SetResult:
    """Mean scores of one method on one set at one scale (means of per-image values)."""

    method: str
    dataset: str
    scale: int
    psnr: float
    ssim: float
    seconds_per_image: float
    images: tuple[ImageResult, ...] = field(repr=False)


def check_scorable(pair: BenchmarkPair, scale: int) -> None:
    """Raise :class:`SrkitError` if the HR image is too small to be scored at ``scale``."""
    h, w = pair.hr.shape[:2]
    if min(h, w) - 2 * scale < _SSIM_WINDOW:
        raise SrkitError(
            f"{pair.name} ({h}x{w}) is too small to score at x{scale}: shaving {scale} pixels per side must leave "
            f"at least {_SSIM_WINDOW}x{_SSIM_WINDOW} for SSIM"
        )


def score(sr: np.ndarray, pair: BenchmarkPair, scale: int, protocol: Protocol) -> tuple[float, float]:
    """PSNR and SSIM of an SR uint8 image against the pair's HR, with ``scale`` pixels shaved.

    A grayscale source is compared on its gray value (the SR channels, rounded mean, against the gray HR), as
    the MATLAB evaluation scripts do; colour images on Y (default) or RGB. With ``protocol.gray_as_rgb`` a gray
    source is scored like a colour one, on the Y of its three equal channels, as the scripts of IMDN, PAN and
    CARN do (Y = 16 + 219/255 gray shrinks its errors: about +0.09 dB on the Set14 mean).
    """
    if sr.shape != pair.hr.shape or sr.dtype != np.uint8:
        raise SrkitError(f"{pair.name}: the method returned {sr.dtype} {sr.shape}, expected uint8 {pair.hr.shape}")
    check_scorable(pair, scale)
    hr, out = pair.hr, sr
    gray = pair.gray and not protocol.gray_as_rgb
    if gray:
        hr = pair.hr[..., 0]
        out = np.floor(sr.astype(np.float64).mean(axis=-1) + 0.5).astype(np.uint8)
    y_round = protocol.y_round and not gray
    p = psnr(out, hr, crop_border=scale, test_y_channel=protocol.test_y_channel, y_round=y_round)
    s = ssim(out, hr, crop_border=scale, test_y_channel=protocol.test_y_channel, y_round=y_round)
    return p, s


def evaluate(
    method: SRMethod,
    sets: Sequence[BenchmarkSet],
    scales: Sequence[int],
    protocol: Protocol = Protocol(),
    *,
    progress: bool | None = None,
) -> list[SetResult]:
    """Run ``method`` on every image of every set at every scale and score it; a set with kernels (a blind set)
    passes each image's kernel to ``method.upscale(lr, scale, kernel=...)``, and each image's wall time is kept.

    Args:
        method: what to evaluate (see :mod:`srkit.evaluation.methods`).
        sets: benchmark sets.
        scales: integer scale factors.
        protocol: degradation and metric options.
        progress: None (default) or True: a bar on a terminal, a plain line every 30 s otherwise (logs);
            False: nothing.

    Returns:
        One :class:`SetResult` per (set, scale), in the order given.
    """
    for scale in scales:
        check_scale("a benchmark", scale)
    total = sum(len(s) for s in sets) * len(scales)
    results: list[SetResult] = []
    with Progress(total=total, desc=method.name, unit="img", show=None if progress else progress, leave=False) as bar:
        for bench in sets:
            for scale in scales:
                if scale == 1 and not bench.reads_lr_files:
                    raise SrkitError(
                        f"{bench.name}: scale 1 needs same-size LR files (NNN_HR/NNN_LR pairs or an LR folder); "
                        "without them the LR images would be the HR ones"
                    )
                images = []
                for pair in bench.pairs(scale, protocol.degradation, seed=protocol.seed):
                    check_scorable(pair, scale)
                    start = time.perf_counter()
                    sr = _upscale(method, pair, scale)
                    seconds = time.perf_counter() - start
                    p, s = score(sr, pair, scale, protocol)
                    images.append(ImageResult(pair.name, p, s, seconds))
                    bar.update(set=f"{bench.name} x{scale}", image=pair.name)
                results.append(_summarise(method.name, bench.name, scale, images))
    return results


def _upscale(method: SRMethod, pair: BenchmarkPair, scale: int) -> np.ndarray:
    """``method.upscale`` with the pair's kernel when it has one (a method written before kernels were passed, with
    ``upscale(lr, scale)``, still runs on sets without kernels)."""
    if pair.kernel is None:
        return method.upscale(pair.lr, scale)
    try:
        return method.upscale(pair.lr, scale, kernel=pair.kernel)
    except TypeError as err:
        if "kernel" not in str(err):
            raise
        raise SrkitError(
            f"{method.name}: its upscale() does not take kernel=, which this set passes (SRMethod: "
            "upscale(lr, scale, *, kernel=None))"
        ) from None


def _summarise(method: str, dataset: str, scale: int, images: list[ImageResult]) -> SetResult:
    return SetResult(
        method=method,
        dataset=dataset,
        scale=scale,
        psnr=float(np.mean([i.psnr for i in images])),
        ssim=float(np.mean([i.ssim for i in images])),
        seconds_per_image=float(np.mean([i.seconds for i in images])),
        images=tuple(images),
    )
