"""The four SR frameworks of the survey (where upsampling happens) and composition of models from specs."""

from srkit.frameworks.base import INTERPOLATIONS, Framework, check_interpolation, interpolate
from srkit.frameworks.compose import FRAMEWORKS, ModelSpec, create_model
from srkit.frameworks.iterative import IterativeUpDown
from srkit.frameworks.post import PostUpsampling
from srkit.frameworks.pre import PreUpsampling
from srkit.frameworks.progressive import Progressive, ProgressiveStage

__all__ = [
    "FRAMEWORKS",
    "INTERPOLATIONS",
    "Framework",
    "IterativeUpDown",
    "ModelSpec",
    "PostUpsampling",
    "PreUpsampling",
    "Progressive",
    "ProgressiveStage",
    "check_interpolation",
    "create_model",
    "interpolate",
]
