"""Training: typed configs, recipes (one step each), the resumable loop, checkpoints, EMA, schedules."""

from srkit.engine.checkpoint import load_checkpoint, save_checkpoint
from srkit.engine.config import TrainConfig, config_from_dict, config_to_dict, load_config
from srkit.engine.ema import EMA
from srkit.engine.loop import TrainResult, build_network, load_run, train, validate
from srkit.engine.recipes import SupervisedRecipe
from srkit.engine.schedule import lr_factor

__all__ = [
    "EMA",
    "SupervisedRecipe",
    "TrainConfig",
    "TrainResult",
    "build_network",
    "config_from_dict",
    "config_to_dict",
    "load_checkpoint",
    "load_config",
    "load_run",
    "lr_factor",
    "save_checkpoint",
    "train",
    "validate",
]
