"""srkit: deep-learning image super-resolution, measured the way the papers measure it.

The public API is what ``__all__`` lists (what users call; the command line's plumbing lives in the internal
modules it imports); everything else may change. Example::

    import srkit
    lr = srkit.imresize(hr, 1 / 4)                 # MATLAB-exact bicubic downscaling
    print(srkit.psnr(sr, hr, crop_border=4))       # Y-channel PSNR as in the papers
"""

from srkit._core.cards import ModelCard, Published, call_model, call_model_all, card_of, with_card
from srkit._core.errors import SrkitError
from srkit.archs import build_model, list_models, load_model, model_card
from srkit.archs.profile import model_flops
from srkit.archs.shipped import DEFAULT_MODEL, shipped_models
from srkit.data import BenchmarkPair, BenchmarkSet, example_folder, list_images, read_image, write_image
from srkit.degradations import PROTOCOLS, degrade
from srkit.engine import TrainConfig, TrainResult, load_config, load_run, train
from srkit.evaluation import (
    ModelMethod,
    Protocol,
    SetResult,
    SRMethod,
    evaluate,
    format_table,
    get_method,
    method_names,
    to_csv,
    to_json,
    to_markdown,
    write_reports,
)
from srkit.frameworks import FRAMEWORKS, ModelSpec, create_model
from srkit.functional import (
    KERNEL_NAMES,
    imresize,
    modcrop,
    rgb_to_y,
    rgb_to_ycbcr,
    shave,
    to_float,
    to_uint8,
    ycbcr_to_rgb,
)
from srkit.inference import (
    Upscaler,
    check_onnx,
    export_onnx,
    export_torchscript,
    upscale,
    upscale_tensor,
)
from srkit.metrics import MSSSIM, PSNR, SSIM, ms_ssim, psnr, ssim

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODEL",
    "FRAMEWORKS",
    "KERNEL_NAMES",
    "MSSSIM",
    "PROTOCOLS",
    "PSNR",
    "SSIM",
    "BenchmarkPair",
    "BenchmarkSet",
    "ModelCard",
    "ModelMethod",
    "ModelSpec",
    "Protocol",
    "Published",
    "SRMethod",
    "SetResult",
    "SrkitError",
    "TrainConfig",
    "TrainResult",
    "Upscaler",
    "__version__",
    "build_model",
    "call_model",
    "call_model_all",
    "card_of",
    "check_onnx",
    "create_model",
    "degrade",
    "evaluate",
    "example_folder",
    "export_onnx",
    "export_torchscript",
    "format_table",
    "get_method",
    "imresize",
    "list_images",
    "list_models",
    "load_config",
    "load_model",
    "load_run",
    "method_names",
    "modcrop",
    "model_card",
    "model_flops",
    "ms_ssim",
    "psnr",
    "read_image",
    "rgb_to_y",
    "rgb_to_ycbcr",
    "shave",
    "shipped_models",
    "ssim",
    "to_csv",
    "to_float",
    "to_json",
    "to_markdown",
    "to_uint8",
    "train",
    "upscale",
    "upscale_tensor",
    "with_card",
    "write_image",
    "write_reports",
    "ycbcr_to_rgb",
]
