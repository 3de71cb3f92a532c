"""Foundations shared by every layer: errors and input checks (imports torch, numpy and stdlib only)."""

from srkit._core.checks import check_positive_scale, check_scale, check_shape
from srkit._core.errors import SrkitError

__all__ = ["SrkitError", "check_positive_scale", "check_scale", "check_shape"]
