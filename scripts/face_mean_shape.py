"""Write the mean face shape srkit.face aligns faces to: the mean of the 68 landmarks of the training split of
Helen_train_128 (128x128 crops; srkit.face.data.face_split), as src/srkit/assets/face_mean_shape.json.

Run: python scripts/face_mean_shape.py [--faces ../shared/data/face/Helen_train_128]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from srkit._core.fileio import atomic_write_text
from srkit.face.data import face_split, read_landmarks

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=ROOT.parent / "shared" / "data" / "face" / "Helen_train_128")
    args = parser.parse_args()
    faces = face_split(args.faces, "train")
    mean = np.mean([read_landmarks(p.with_suffix(".txt")) for p in faces], axis=0)
    data = {
        "size": 128,
        "source": f"mean of the 68 landmarks of {len(faces)} faces: Helen_train_128, training split",
        "points": [[round(float(x), 2), round(float(y), 2)] for x, y in mean],
    }
    out = ROOT / "src" / "srkit" / "assets" / "face_mean_shape.json"
    atomic_write_text(out, json.dumps(data) + "\n")
    print(f"wrote {out} ({len(faces)} faces)")


if __name__ == "__main__":
    main()
