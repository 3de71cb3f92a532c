"""Face hallucination with facial priors (survey section 6: domain-specific SR), after FSRNet (Chen et al. 2018).

- :func:`hallucinate`: an aligned LR face (16x16 at x8, 32x32 at x4) -> 128x128, with srkit's shipped FSRNet.
- :func:`landmarks`: the 68 landmarks of an aligned face (the prior estimation network alone).
- :func:`upscale_with_faces`: a photo upscaled by the default model with its small faces found, aligned, restored
  and pasted back (``srkit face``).
- :mod:`srkit.face.priors`: landmark heatmaps and parsing maps made from 68 landmarks, and landmarks read back.
- :mod:`srkit.face.data`: aligned faces with landmark files, the fixed validation split, training batches.
- :mod:`srkit.face.train`: ``srkit train`` with ``data.kind: faces`` and ``recipe: face_prior`` (FSRNet's
  multi-supervised loss), for ``fsrnet`` and the same-size ``fsrnet_generic`` (``srkit.archs.fsrnet``).
- :mod:`srkit.face.evaluate`: PSNR/SSIM and landmark error on held-out faces.
"""

from srkit.face.api import FACE_MODELS, GENERIC_MODELS, hallucinate, hallucinate_all, landmarks, mean_shape
from srkit.face.data import FaceBatches, face_split, read_landmarks
from srkit.face.evaluate import FaceScores, evaluate_faces
from srkit.face.photo import FaceResult, detect_faces, upscale_with_faces
from srkit.face.priors import PARSING, heatmaps, landmarks_from_heatmaps, parsing_maps
from srkit.face.train import FacePriorRecipe  # registers data kind faces and recipe face_prior

__all__ = [
    "FACE_MODELS",
    "GENERIC_MODELS",
    "PARSING",
    "FaceBatches",
    "FacePriorRecipe",
    "FaceResult",
    "FaceScores",
    "detect_faces",
    "evaluate_faces",
    "face_split",
    "hallucinate",
    "hallucinate_all",
    "heatmaps",
    "landmarks",
    "landmarks_from_heatmaps",
    "mean_shape",
    "parsing_maps",
    "read_landmarks",
    "upscale_with_faces",
]
