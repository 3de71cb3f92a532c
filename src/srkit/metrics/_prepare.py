"""Input checks and conversion shared by every metric (EVALUATION.md steps 4 and 5).

A metric receives ``sr`` and ``hr`` as numpy arrays ``(H, W)`` / ``(H, W, C)`` (channels last) or torch
tensors ``(C, H, W)`` / ``(B, C, H, W)`` (channels first); ``uint8`` means the 0-255 scale and floating point
the 0-1 scale. After the checks, both images are shaved by ``crop_border``, reduced to the Y channel when
asked, and returned as float64 on the 0-255 scale: numpy ``(C, H, W)``, torch ``(B, C, H, W)``. The numpy path
never touches torch.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import NDArray

from srkit._core.checks import check_shape
from srkit._core.errors import SrkitError
from srkit.functional.color import rgb_to_y

Float64Array = NDArray[np.float64]
Kind = Literal["numpy", "torch"]

_LAYOUTS = {"numpy": ("(H, W) or (H, W, C)", (2, 3)), "torch": ("(C, H, W) or (B, C, H, W)", (3, 4))}


@dataclass(frozen=True)
class MetricOptions:
    """The options every metric takes, checked once.

    Attributes:
        crop_border: pixels shaved from every border of both images (>= 0).
        test_y_channel: measure the MATLAB ``rgb2ycbcr`` Y of 3-channel images (1-channel images as they are).
        y_round: round Y to an integer on the 0-255 scale, as MATLAB ``rgb2ycbcr`` on uint8 does.
    """

    crop_border: int = 0
    test_y_channel: bool = True
    y_round: bool = False

    def __post_init__(self) -> None:
        crop = self.crop_border
        if isinstance(crop, bool) or not isinstance(crop, numbers.Integral) or crop < 0:
            raise SrkitError(f"crop_border must be an integer >= 0, got {crop!r}")
        object.__setattr__(self, "crop_border", int(crop))
        if self.y_round and not self.test_y_channel:
            raise SrkitError("y_round=True rounds the Y channel and needs test_y_channel=True")


def _kind(name: str, image: object) -> Kind:
    if isinstance(image, np.ndarray):
        return "numpy"
    if isinstance(image, torch.Tensor):
        return "torch"
    raise SrkitError(f"{name} must be a numpy array or a torch tensor, got {type(image).__name__}")


def _check_dtype(name: str, image: NDArray[Any] | torch.Tensor) -> None:
    if isinstance(image, np.ndarray):
        ok = image.dtype == np.uint8 or np.issubdtype(image.dtype, np.floating)
    else:
        ok = image.dtype == torch.uint8 or image.is_floating_point()
    if not ok:
        raise SrkitError(f"{name} must be uint8 (0-255) or floating point (0-1), got dtype {image.dtype}")


def check_pair(sr: object, hr: object, opts: MetricOptions, metric: str, min_size: int) -> Kind:
    """Check kinds, layouts, dtypes, devices and sizes of ``sr`` and ``hr``; return their common kind.

    Args:
        sr: the super-resolved image.
        hr: the reference image.
        opts: the metric's options.
        metric: the metric's name, for messages.
        min_size: the smallest height and width the metric can measure after ``crop_border``.

    Returns:
        ``"numpy"`` or ``"torch"``.
    """
    kind, hr_kind = _kind("sr", sr), _kind("hr", hr)
    if kind != hr_kind:
        raise SrkitError(f"sr and hr must be of the same kind, got sr as {kind} and hr as {hr_kind}")
    assert isinstance(sr, np.ndarray | torch.Tensor)
    assert isinstance(hr, np.ndarray | torch.Tensor)
    what, ndims = _LAYOUTS[kind]
    check_shape("sr", sr.shape, ndims, f"{what} for {kind} input")
    check_shape("hr", hr.shape, ndims, f"{what} for {kind} input")
    if tuple(sr.shape) != tuple(hr.shape):
        raise SrkitError(f"sr and hr must have the same shape, got sr {tuple(sr.shape)} and hr {tuple(hr.shape)}")
    _check_dtype("sr", sr)
    _check_dtype("hr", hr)
    if isinstance(sr, torch.Tensor) and isinstance(hr, torch.Tensor) and sr.device != hr.device:
        raise SrkitError(f"sr and hr must be on the same device, got sr on {sr.device} and hr on {hr.device}")
    _check_channels(kind, tuple(sr.shape), opts)
    _check_size(kind, tuple(sr.shape), opts.crop_border, metric, min_size)
    return kind


def _check_channels(kind: Kind, shape: tuple[int, ...], opts: MetricOptions) -> None:
    numpy_channels = 1 if len(shape) == 2 else shape[-1]
    channels = numpy_channels if kind == "numpy" else shape[-3]
    if opts.test_y_channel and channels not in (1, 3):
        layout = "channels last (H, W, C)" if kind == "numpy" else "channels first (..., C, H, W)"
        raise SrkitError(
            f"test_y_channel=True needs 1 or 3 channels, got {channels} in shape {shape} ({kind} input is "
            f"{layout}); pass test_y_channel=False to measure over all channels"
        )


def _check_size(kind: Kind, shape: tuple[int, ...], crop: int, metric: str, min_size: int) -> None:
    height, width = (shape[0], shape[1]) if kind == "numpy" else (shape[-2], shape[-1])
    left_h, left_w = height - 2 * crop, width - 2 * crop
    if left_h <= 0 or left_w <= 0:
        raise SrkitError(f"crop_border={crop} leaves nothing of a {height}x{width} image")
    if left_h < min_size or left_w < min_size:
        after = f" after crop_border={crop}" if crop else ""
        raise SrkitError(
            f"{metric} needs an image of at least {min_size}x{min_size} pixels{after}, got {left_h}x{left_w}"
        )


def _round_y(y: Any) -> Any:
    """Round half up and saturate to 0-255, as MATLAB's uint8 ``rgb2ycbcr`` does (numpy or torch)."""
    if isinstance(y, np.ndarray):
        return np.clip(np.floor(y + 0.5), 0.0, 255.0)
    return torch.floor(y + 0.5).clamp(0.0, 255.0)


def prepare_numpy(sr: NDArray[Any], hr: NDArray[Any], opts: MetricOptions) -> tuple[Float64Array, Float64Array]:
    """Shave, take Y if asked, and convert both (checked) images to float64 ``(C, H, W)``, 0-255 scale."""
    return _to_255_numpy(sr, opts), _to_255_numpy(hr, opts)


def _to_255_numpy(image: NDArray[Any], opts: MetricOptions) -> Float64Array:
    c = opts.crop_border
    if image.ndim == 2:
        image = image[:, :, None]
    if c:
        image = image[c:-c, c:-c]
    is_uint8 = image.dtype == np.uint8
    if opts.test_y_channel and image.shape[-1] == 3:
        y: Float64Array = rgb_to_y(image)
        if not is_uint8:
            y = y * 255.0
        if opts.y_round:
            y = _round_y(y)
        return y[None]
    x = image.astype(np.float64)
    if not is_uint8:
        x *= 255.0
    return np.ascontiguousarray(np.moveaxis(x, -1, 0))


def prepare_torch(sr: torch.Tensor, hr: torch.Tensor, opts: MetricOptions) -> tuple[torch.Tensor, torch.Tensor]:
    """Shave, take Y if asked, and convert both (checked) tensors to float64 ``(B, C, H, W)``, 0-255 scale."""
    return _to_255_torch(sr, opts), _to_255_torch(hr, opts)


def _to_255_torch(image: torch.Tensor, opts: MetricOptions) -> torch.Tensor:
    c = opts.crop_border
    if image.ndim == 3:
        image = image.unsqueeze(0)
    if c:
        image = image[..., c:-c, c:-c]
    is_uint8 = image.dtype == torch.uint8
    if not is_uint8:
        image = image.to(torch.float64)
    if opts.test_y_channel and image.shape[-3] == 3:
        y: torch.Tensor = rgb_to_y(image)
        if not is_uint8:
            y = y * 255.0
        if opts.y_round:
            y = _round_y(y)
        return y.unsqueeze(-3)
    return image.to(torch.float64) if is_uint8 else image * 255.0


class MetricModule(torch.nn.Module):
    """Base of the thin metric modules: holds the (checked) options; ``forward`` takes tensors only."""

    def __init__(self, *, crop_border: int = 0, test_y_channel: bool = True, y_round: bool = False) -> None:
        super().__init__()
        opts = MetricOptions(crop_border=crop_border, test_y_channel=test_y_channel, y_round=y_round)
        self.crop_border = opts.crop_border
        self.test_y_channel = opts.test_y_channel
        self.y_round = opts.y_round

    def _check_tensors(self, sr: object, hr: object) -> None:
        for name, image in (("sr", sr), ("hr", hr)):
            if not isinstance(image, torch.Tensor):
                raise SrkitError(
                    f"{type(self).__name__} takes torch tensors, got {name} as {type(image).__name__}; "
                    "call the function for numpy arrays"
                )

    def extra_repr(self) -> str:
        return f"crop_border={self.crop_border}, test_y_channel={self.test_y_channel}, y_round={self.y_round}"
