"""Measure what srkit.face.photo.MAX_FIT separates: the landmark fit (FaceResult.fit) of true faces (held-out Helen
faces shrunk to about 15 px, framed as the detector would) and of random 12-20 px crops of Set14's face-free
images (seed 0), through the shipped x8 face model.

Run: python scripts/face_fit_calibration.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

import srkit
from srkit.data.io import read_image
from srkit.face import face_split
from srkit.face.photo import align_faces

ROOT = Path(__file__).resolve().parents[1]
WITH_FACES = ("face", "lenna", "barbara", "man", "foreman", "comic")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    others = []
    for path in sorted((args.data / "bench" / "Set14").glob("*.png")):
        if any(k in path.name for k in WITH_FACES):
            continue
        img = read_image(path, gray_to_rgb=True)
        h, w = img.shape[:2]
        boxes = []
        for _ in range(20):
            s = int(rng.integers(12, 20))
            boxes.append((int(rng.integers(0, w - s)), int(rng.integers(0, h - s)), s, s))
        others += [f.fit for f in align_faces(img, boxes, 8)]
    faces = []
    for path in face_split(args.data / "face" / "Helen_train_128", "val")[:60]:
        small = srkit.imresize(read_image(path, gray_to_rgb=True), 0.15)
        side, box = small.shape[0], round(small.shape[0] / 1.3)
        padded = np.pad(small, ((20, 20), (20, 20), (0, 0)), mode="edge")
        at = 20 + (side - box) // 2
        faces += [f.fit for f in align_faces(padded, [(at, at, box, box)], 8)]
    print("random crops: 1/5/10/50th percentiles", np.percentile(others, [1, 5, 10, 50]).round(3).tolist())
    print("Helen faces: 50/90/95/99/100th percentiles", np.percentile(faces, [50, 90, 95, 99, 100]).round(3).tolist())


if __name__ == "__main__":
    main()
