"""Data access: image files (checked reading, atomic writing), benchmark sets and blind sets with kernels."""

from srkit.data.benchmark import BenchmarkPair, BenchmarkSet
from srkit.data.blindset import KernelSetLayout, find_kernel_layout, make_blindset
from srkit.data.cache import ImageCache
from srkit.data.cube import CUBE_SUFFIXES, Cube, read_cube, write_cube
from srkit.data.examples import example_folder
from srkit.data.io import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, list_images, read_image, write_image
from srkit.data.kernelfile import KERNEL_SUFFIXES, check_kernel, read_kernel, write_kernel
from srkit.data.loader import Batch, RangeSampler, loader_throughput, make_loader
from srkit.data.train import PatchParams, TrainPatches

__all__ = [
    "CUBE_SUFFIXES",
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "KERNEL_SUFFIXES",
    "Batch",
    "BenchmarkPair",
    "BenchmarkSet",
    "Cube",
    "ImageCache",
    "KernelSetLayout",
    "PatchParams",
    "RangeSampler",
    "TrainPatches",
    "check_kernel",
    "example_folder",
    "find_kernel_layout",
    "list_images",
    "loader_throughput",
    "make_blindset",
    "make_loader",
    "read_cube",
    "read_image",
    "read_kernel",
    "write_cube",
    "write_image",
    "write_kernel",
]
