"""Training: typed configs, recipes (the losses of one step), the resumable loop, checkpoints, EMA, schedules,
data paths."""

from srkit.data.paths import resolve_data_path
from srkit.engine.checkpoint import load_checkpoint, save_checkpoint
from srkit.engine.config import TrainConfig, config_from_dict, config_to_dict, load_config
from srkit.engine.ema import EMA
from srkit.engine.loop import TrainResult, build_network, load_run, train, validate
from srkit.engine.recipes import MODEL, GANRecipe, NoiseMapRecipe, Player, Recipe, SupervisedRecipe, Updates, adamw
from srkit.engine.run import DATASETS, RECIPES, make_recipe, register_dataset, register_recipe
from srkit.engine.schedule import lr_factor

__all__ = [
    "DATASETS",
    "EMA",
    "MODEL",
    "RECIPES",
    "GANRecipe",
    "NoiseMapRecipe",
    "Player",
    "Recipe",
    "SupervisedRecipe",
    "TrainConfig",
    "TrainResult",
    "Updates",
    "adamw",
    "build_network",
    "config_from_dict",
    "config_to_dict",
    "load_checkpoint",
    "load_config",
    "load_run",
    "lr_factor",
    "make_recipe",
    "register_dataset",
    "register_recipe",
    "resolve_data_path",
    "save_checkpoint",
    "train",
    "validate",
]
