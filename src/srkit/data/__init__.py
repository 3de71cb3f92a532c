"""Data access: image files (checked reading, atomic writing) and benchmark sets."""

from srkit.data.benchmark import BenchmarkPair, BenchmarkSet
from srkit.data.examples import example_folder
from srkit.data.io import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, list_images, read_image, write_image

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "BenchmarkPair",
    "BenchmarkSet",
    "example_folder",
    "list_images",
    "read_image",
    "write_image",
]
