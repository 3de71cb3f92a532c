"""The four SR frameworks of the survey (where upsampling happens) and composition of models from specs."""

from srkit.frameworks.base import Framework, interpolate
from srkit.frameworks.compose import FRAMEWORKS, ModelSpec, create_model
from srkit.frameworks.iterative import IterativeUpDown
from srkit.frameworks.post import PostUpsampling
from srkit.frameworks.pre import PreUpsampling
from srkit.frameworks.progressive import Progressive, ProgressiveStage

__all__ = [
    "FRAMEWORKS",
    "Framework",
    "IterativeUpDown",
    "ModelSpec",
    "PostUpsampling",
    "PreUpsampling",
    "Progressive",
    "ProgressiveStage",
    "create_model",
    "interpolate",
]
