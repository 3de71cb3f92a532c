"""The model zoo: the survey's classic architectures, one file per paper, registered with their model cards."""

from srkit.archs._registry import MODELS, Builder, ModelEntry, build_model, list_models, model_card, register_model

__all__ = ["MODELS", "Builder", "ModelEntry", "build_model", "list_models", "model_card", "register_model"]
