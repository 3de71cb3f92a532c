"""Face hallucination with facial priors (survey section 6: domain-specific SR).

- :mod:`srkit.face.priors`: landmark heatmaps and parsing maps made from 68 landmarks, and landmarks read back.
- :mod:`srkit.face.data`: aligned faces with landmark files, the fixed validation split, training batches.
- :mod:`srkit.face.train`: ``srkit train`` with ``data.kind: faces`` and ``recipe: face_prior`` (FSRNet's
  multi-supervised loss), for ``fsrnet`` and the same-size ``fsrnet_generic`` (``srkit.archs.fsrnet``).
"""

from srkit.face.data import FaceBatches, face_split, read_landmarks
from srkit.face.priors import PARSING, heatmaps, landmarks_from_heatmaps, parsing_maps
from srkit.face.train import FacePriorRecipe  # registers data kind faces and recipe face_prior

__all__ = [
    "PARSING",
    "FaceBatches",
    "FacePriorRecipe",
    "face_split",
    "heatmaps",
    "landmarks_from_heatmaps",
    "parsing_maps",
    "read_landmarks",
]
