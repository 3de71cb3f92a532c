"""The model zoo: the survey's classic architectures, one file per paper, registered with their model cards.

Every architecture module is listed here explicitly; its ``ZOO`` entries (builder, card) are registered, and
the formats of official checkpoints that srkit can load are listed in ``DETECTIONS``.
"""

from srkit.archs._registry import MODELS, Builder, ModelEntry, build_model, list_models, model_card, register_model
from srkit.archs.checkpoint import Detection, load_state, read_state_dict, unwrap
from srkit.archs.loader import DETECTIONS, detect_arch, load_model

__all__ = [
    "DETECTIONS",
    "MODELS",
    "Builder",
    "Detection",
    "ModelEntry",
    "build_model",
    "detect_arch",
    "list_models",
    "load_model",
    "load_state",
    "model_card",
    "read_state_dict",
    "register_model",
    "unwrap",
]
