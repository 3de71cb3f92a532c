"""Checks at the boundary of public functions, with messages that name the problem."""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Sequence

from srkit._core.errors import SrkitError


def check_shape(name: str, shape: Sequence[int], ndims: Sequence[int], what: str) -> None:
    """Raise :class:`SrkitError` unless ``len(shape)`` is one of ``ndims``.

    Args:
        name: the argument's name, for the message.
        shape: the shape to check.
        ndims: the allowed numbers of dimensions.
        what: how the allowed layouts read, e.g. ``"(H, W) or (H, W, C)"``.
    """
    if len(shape) not in ndims:
        raise SrkitError(f"{name} must have shape {what}, got {tuple(shape)}")
    if any(s == 0 for s in shape):
        raise SrkitError(f"{name} is empty: shape {tuple(shape)}")


def check_positive_scale(scale: object, name: str = "scale") -> float:
    """Return ``scale`` as a float after checking that it is finite and > 0."""
    try:
        value = float(scale)  # type: ignore[arg-type]  # anything float() takes; the rest raises below
    except (TypeError, ValueError):
        raise SrkitError(f"{name} must be a number, got {scale!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise SrkitError(f"{name} must be a finite number > 0, got {scale!r}")
    return value


def check_scale(owner: str, scale: object, *, allowed: Collection[int] | None = None, minimum: int = 1) -> int:
    """``scale`` as an int, checked: an integer >= ``minimum`` and, if given, one of ``allowed``; a
    :class:`SrkitError` naming ``owner`` otherwise (the one scale check of every block and architecture).

    Example:
        >>> check_scale("EDSR", 3)
        3
        >>> check_scale("CARN", 8, allowed=(2, 3, 4))
        Traceback (most recent call last):
        ...
        srkit._core.errors.SrkitError: CARN supports scales 2, 3, 4, got 8
    """
    if isinstance(scale, bool) or not isinstance(scale, numbers.Integral):
        raise SrkitError(f"{owner} needs an integer scale >= {minimum}, got {scale!r}")
    value = int(scale)
    if allowed is not None and value not in allowed:
        raise SrkitError(f"{owner} supports scales {', '.join(map(str, sorted(allowed)))}, got {scale!r}")
    if value < minimum:
        raise SrkitError(f"{owner} needs an integer scale >= {minimum}, got {scale!r}")
    return value
