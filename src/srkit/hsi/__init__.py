"""Hyperspectral super-resolution (survey section 6.2): single-image HSI SR and fusion with RGB/MS/PAN."""

from srkit.hsi.train import HSIRecipe  # registers data kind cubes and recipe hsi

__all__ = ["HSIRecipe"]
