"""Data access: image files (checked reading, atomic writing) and benchmark sets."""

from srkit.data.benchmark import BenchmarkPair, BenchmarkSet
from srkit.data.cache import ImageCache
from srkit.data.examples import example_folder
from srkit.data.io import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, list_images, read_image, write_image
from srkit.data.loader import Batch, RangeSampler, loader_throughput, make_loader
from srkit.data.train import PatchParams, TrainPatches

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "Batch",
    "BenchmarkPair",
    "BenchmarkSet",
    "ImageCache",
    "PatchParams",
    "RangeSampler",
    "TrainPatches",
    "example_folder",
    "list_images",
    "loader_throughput",
    "make_loader",
    "read_image",
    "write_image",
]
