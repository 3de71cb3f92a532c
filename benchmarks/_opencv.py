"""OpenCV as a peer: whether the installed OpenCV runs the ``dnn_superres`` ``.pb`` graphs, found by trying.

OpenCV 5.1 dropped the TensorFlow importer: ``DnnSuperResImpl.readModel`` fails with ``model_proto.has_graph()`` and
``cv2.dnn.readNetFromTensorflow`` is gone. OpenCV 4.8 to 5.0 read the graphs (``opencv-contrib-python-headless>=4.8,
<5.1``, as pyproject.toml bounds it). The check tries one graph rather than trusting a version number.
"""

from __future__ import annotations

from pathlib import Path


def pb_peer_problem(graph: Path | None) -> str | None:
    """Why OpenCV cannot be the peer on ``.pb`` graphs (a sentence for a note), or None when it can.

    ``graph``: one ``.pb`` file to try; None checks only that OpenCV with ``dnn_superres`` is importable.
    """
    try:
        import cv2
    except ImportError:
        return "OpenCV is not installed (opencv-contrib-python-headless, the 'bench' extra)"
    version = getattr(cv2, "__version__", "of unknown version")
    if not hasattr(cv2, "dnn_superres"):
        return f"OpenCV {version} has no contrib module dnn_superres (install opencv-contrib-python-headless)"
    if graph is None:
        return None
    try:
        cv2.dnn_superres.DnnSuperResImpl_create().readModel(str(graph))
        cv2.dnn.readNetFromTensorflow(str(graph))
    except (cv2.error, AttributeError) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return (
            f"OpenCV {version} dnn_superres cannot read TensorFlow .pb graphs ({detail}); "
            "needs opencv-contrib-python-headless>=4.8,<5.1"
        )
    return None
