"""Frozen TensorFlow graphs read without TensorFlow, and OpenCV's dnn_superres models in srkit.

Synthetic graphs (built here with the reader's own schema) test the reader and the ESPCN loader against
TensorFlow's op definitions written out in numpy; the nine OpenCV ``.pb`` files in ``../shared/weights`` (skipped
when absent) are compared with OpenCV's own network output. That comparison skips, with the reason, when OpenCV is
missing or cannot read the graphs: OpenCV 5.1 dropped the TensorFlow importer that ``dnn_superres`` uses, so only
OpenCV 4.8 to 5.0 (``opencv-contrib-python-headless>=4.8,<5.1``, as pyproject.toml bounds it) serve as the peer.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs import tf_graph
from srkit.archs.espcn import ESPCN
from srkit.archs.fsrcnn import FSRCNN
from srkit.archs.tf_graph import detect_pb, load_opencv_pb, read_frozen_graph

PB_FILES = [
    *(f"ESPCN_opencv_pb/ESPCN_x{s}.pb" for s in (2, 3, 4)),
    *(f"FSRCNN_opencv_pb/FSRCNN_x{s}.pb" for s in (2, 3, 4)),
    *(f"FSRCNN_opencv_pb/FSRCNN-small_x{s}.pb" for s in (2, 3, 4)),
]


def _weights_dir() -> Path:
    default = Path(__file__).resolve().parents[2].parent / "shared" / "weights"
    folder = Path(os.environ.get("SRKIT_SHARED_WEIGHTS") or default)
    if not folder.is_dir():
        pytest.skip(f"../shared/weights not found: {folder} (set SRKIT_SHARED_WEIGHTS to its location)")
    return folder


@functools.cache
def _opencv_cannot_read_pb(graph: str) -> str | None:
    """Why the installed OpenCV cannot serve as the peer on ``.pb`` graphs, or None when it can.

    Found by trying once (``dnn_superres`` and ``cv2.dnn.readNetFromTensorflow`` on one graph), not from the version
    number: OpenCV 5.1 fails with ``model_proto.has_graph()`` (its importer reads ONNX only) and has no
    ``readNetFromTensorflow``.
    """
    try:
        import cv2
    except ImportError:
        return "OpenCV is not installed (opencv-contrib-python-headless, the 'bench' extra)"
    version = getattr(cv2, "__version__", "of unknown version")
    if not hasattr(cv2, "dnn_superres"):
        return f"OpenCV {version} has no contrib module dnn_superres (install opencv-contrib-python-headless)"
    try:
        cv2.dnn_superres.DnnSuperResImpl_create().readModel(graph)
        cv2.dnn.readNetFromTensorflow(graph)
    except (cv2.error, AttributeError) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return (
            f"OpenCV {version} dnn_superres cannot read TensorFlow .pb graphs ({detail}); "
            "needs opencv-contrib-python-headless>=4.8,<5.1"
        )
    return None


# ---------------------------------------------------------------- synthetic graphs


def _node(graph: Any, name: str, op: str, inputs: tuple[str, ...] = (), **attrs: Any) -> None:
    node = graph.node.add(name=name, op=op)
    node.input.extend(inputs)
    for key, value in attrs.items():
        entry = node.attr.add(key=key)
        if isinstance(value, np.ndarray):
            t = entry.value.tensor
            t.dtype = {np.dtype("float32"): 1, np.dtype("int32"): 3}[value.dtype]
            for size in value.shape:
                t.tensor_shape.dim.add(size=size)
            t.tensor_content = value.astype(value.dtype.newbyteorder("<")).tobytes()
        elif isinstance(value, str):
            entry.value.s = value.encode()
        elif isinstance(value, list):
            entry.value.list.i.extend(value)
        else:
            entry.value.i = value


def _espcn_graph(weights: dict[str, np.ndarray], scale: int, padding: str = "SAME") -> bytes:
    """ESPCN as OpenCV's graphs have it: conv + bias, ReLU x2, conv + bias, DepthToSpace, Tanh, NCHW transpose."""
    g = tf_graph._graph_def_class()()
    _node(g, "IteratorGetNext", "Placeholder", dtype=1)
    for name, value in weights.items():
        _node(g, name, "Const", value=value, dtype=1)
    conv = {"padding": padding, "strides": [1, 1, 1, 1], "data_format": "NHWC"}
    _node(g, "conv1", "Conv2D", ("IteratorGetNext", "f1"), **conv)
    _node(g, "add", "Add", ("conv1", "b1"))
    _node(g, "Relu", "Relu", ("add",))
    _node(g, "conv2", "Conv2D", ("Relu", "f2"), **conv)
    _node(g, "add_1", "Add", ("conv2", "b2"))
    _node(g, "Relu_1", "Relu", ("add_1",))
    _node(g, "conv3", "Conv2D", ("Relu_1", "f3"), **conv)
    _node(g, "add_2", "Add", ("conv3", "b3"))
    _node(g, "DepthToSpace", "DepthToSpace", ("add_2",), block_size=scale, data_format="NHWC")
    _node(g, "NHWC_output", "Tanh", ("DepthToSpace",))
    _node(g, "NCHW_output/perm", "Const", value=np.array([0, 3, 1, 2], dtype=np.int32))
    _node(g, "NCHW_output", "Transpose", ("NHWC_output", "NCHW_output/perm"))
    data: bytes = g.SerializeToString()
    return data


def _tf_conv_same(x: np.ndarray, f: np.ndarray, b: np.ndarray) -> np.ndarray:
    """TensorFlow's Conv2D (NHWC input, HWIO filter, SAME, stride 1) + bias, written out."""
    kh, kw = f.shape[:2]
    pad = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    h, w = x.shape[1:3]
    out = sum(np.einsum("nhwc,co->nhwo", pad[:, i : i + h, j : j + w], f[i, j]) for i in range(kh) for j in range(kw))
    return np.asarray(out) + b


def _tf_depth_to_space(x: np.ndarray, s: int) -> np.ndarray:
    """TensorFlow's DepthToSpace (NHWC): ``out[n, h*s+i, w*s+j, c] = in[n, h, w, (i*s+j)*C + c]``."""
    n, h, w, d = x.shape
    c = d // (s * s)
    return x.reshape(n, h, w, s, s, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, h * s, w * s, c)


def _random_espcn(scale: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    shapes = {"f1": (5, 5, 1, 6), "b1": (6,), "f2": (3, 3, 6, 4), "b2": (4,), "f3": (3, 3, 4, scale * scale)}
    shapes["b3"] = (scale * scale,)
    return {k: rng.standard_normal(v).astype(np.float32) * 0.5 for k, v in shapes.items()}


@pytest.mark.parametrize("scale", [2, 3])
def test_synthetic_espcn_graph_matches_tensorflow_semantics(scale: int) -> None:
    rng = np.random.default_rng(scale)
    w = _random_espcn(scale, rng)
    model, info = load_opencv_pb(_espcn_graph(w, scale))
    assert isinstance(model, ESPCN) and not model.training
    assert info["name"] == "espcn" and info["scale"] == scale
    assert info["hparams"] == {
        "scale": scale,
        "in_channels": 1,
        "out_channels": 1,
        "n_feats": 6,
        "n_mapping": 4,
        "act": "relu",
        "out_act": "tanh",
    }
    x = rng.random((2, 7, 5, 1), dtype=np.float32)  # NHWC, non-square, so a swapped H/W would show
    h = np.maximum(_tf_conv_same(x, w["f1"], w["b1"]), 0)
    h = np.maximum(_tf_conv_same(h, w["f2"], w["b2"]), 0)
    expected = np.tanh(_tf_depth_to_space(_tf_conv_same(h, w["f3"], w["b3"]), scale)).transpose(0, 3, 1, 2)
    with torch.no_grad():
        ours = model(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_reader_decodes_nodes_and_constants() -> None:
    rng = np.random.default_rng(0)
    graph = read_frozen_graph(_espcn_graph(_random_espcn(2, rng), 2))
    assert graph.op_types == ["Placeholder", "Const", "Conv2D", "Add", "Relu", "DepthToSpace", "Tanh", "Transpose"]
    assert graph.consts["f1"].shape == (5, 5, 1, 6) and graph.consts["f1"].dtype == np.float32
    assert graph.consts["NCHW_output/perm"].tolist() == [0, 3, 1, 2]
    conv = graph.node("conv1:0")
    assert conv.inputs == ("IteratorGetNext", "f1")
    assert conv.attrs == {"padding": "SAME", "strides": [1, 1, 1, 1], "data_format": "NHWC"}
    assert [n.name for n in graph.consumers("add")] == ["Relu"]
    with pytest.raises(SrkitError, match="no node"):
        graph.node("missing")


def test_tensor_value_fields() -> None:
    """Constants stored as typed value lists, including TensorFlow's 'repeat the last value' rule."""
    proto = tf_graph._graph_def_class()()
    node = proto.node.add(name="c", op="Const")
    t = node.attr.add(key="value").value.tensor
    t.dtype = 1
    t.tensor_shape.dim.add(size=2)
    t.tensor_shape.dim.add(size=3)
    t.float_val.extend([1.5, 2.5])
    half = proto.node.add(name="h", op="Const").attr.add(key="value").value.tensor
    half.dtype = 19
    half.half_val.append(int(np.array([0.25], dtype=np.float16).view(np.uint16)[0]))
    ints = proto.node.add(name="i", op="Const").attr.add(key="value").value.tensor
    ints.dtype = 9
    ints.int64_val.extend([7])
    consts = read_frozen_graph(proto.SerializeToString()).consts
    np.testing.assert_array_equal(consts["c"], [[1.5, 2.5, 2.5], [2.5, 2.5, 2.5]])
    assert consts["h"].dtype == np.float16 and float(consts["h"]) == 0.25
    assert consts["i"].dtype == np.int64 and consts["i"].shape == () and int(consts["i"]) == 7


def test_errors() -> None:
    with pytest.raises(SrkitError, match="GraphDef"):
        read_frozen_graph(b"\xff\xff\xff\xff not a protobuf")
    with pytest.raises(SrkitError, match="no graph nodes"):
        read_frozen_graph(b"")
    rng = np.random.default_rng(0)
    with pytest.raises(SrkitError, match="SAME-padded"):
        detect_pb(_espcn_graph(_random_espcn(2, rng), 2, padding="VALID"))
    other = tf_graph._graph_def_class()()
    _node(other, "x", "Placeholder", dtype=1)
    _node(other, "w", "Const", value=np.zeros((3, 3, 1, 1), dtype=np.float32))
    with pytest.raises(SrkitError, match="not an OpenCV"):
        load_opencv_pb(other.SerializeToString())


def test_missing_protobuf_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    tf_graph._graph_def_class.cache_clear()
    for module in [m for m in sys.modules if m == "google.protobuf" or m.startswith("google.protobuf.")]:
        monkeypatch.setitem(sys.modules, module, None)  # None in sys.modules: the import fails
    try:
        with pytest.raises(SrkitError, match="pip install protobuf"):
            read_frozen_graph(b"")
    finally:
        monkeypatch.undo()
        tf_graph._graph_def_class.cache_clear()


# ---------------------------------------------------------------- OpenCV's models


@pytest.mark.parametrize("name", PB_FILES)
def test_opencv_models_detected_and_loaded(name: str) -> None:
    path = _weights_dir() / name
    scale = int(name[-4])
    info = detect_pb(path)
    expected = "espcn" if "ESPCN" in name else "fsrcnn_s" if "small" in name else "fsrcnn"
    assert (info["name"], info["scale"]) == (expected, scale)
    if expected == "espcn":
        assert info["ops"] == ["Const", "Placeholder", "Conv2D", "Add", "Relu", "DepthToSpace", "Tanh", "Transpose"]
    else:
        ops = ["Const", "Placeholder", "Conv2D", "Add", "Abs", "Sub", "Mul", "Relu", "DepthToSpace", "BiasAdd"]
        assert info["ops"] == [*ops, "Transpose"]
    model, _ = load_opencv_pb(path)
    assert isinstance(model, ESPCN if expected == "espcn" else FSRCNN)
    assert sum(p.numel() for p in model.parameters()) == sum(
        v.size for k, v in read_frozen_graph(path).consts.items() if k[0] in "fba"
    )


@pytest.mark.parametrize("name", PB_FILES)
def test_opencv_models_reproduce_opencv(name: str) -> None:
    """srkit's network output equals OpenCV dnn's on the same Y input (raw float output, to 1e-4), and
    ``DnnSuperResImpl.upsample`` on a grayscale uint8 image (OpenCV feeds ``Y / 255`` and rounds ``out * 255``)."""
    weights = _weights_dir()
    path = weights / name
    problem = _opencv_cannot_read_pb(str(weights / PB_FILES[0]))  # the peer, tried once on one graph
    if problem:
        pytest.skip(problem)
    import cv2

    scale = int(name[-4])
    model, _ = load_opencv_pb(path)
    sr = cv2.dnn_superres.DnnSuperResImpl_create()  # also registers OpenCV's DepthToSpace layer for dnn
    sr.readModel(str(path))
    sr.setModel("espcn" if "ESPCN" in name else "fsrcnn", scale)
    rng = np.random.default_rng(scale)
    y = rng.random((1, 1, 13, 17), dtype=np.float32)
    net = cv2.dnn.readNetFromTensorflow(str(path))
    net.setInput(y)
    theirs = net.forward()
    with torch.no_grad():
        ours = model(torch.from_numpy(y)).numpy()
    assert theirs.shape == ours.shape == (1, 1, 13 * scale, 17 * scale)
    np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=0)
    gray = (rng.random((13, 17)) * 255).astype(np.uint8)
    up = sr.upsample(gray)
    with torch.no_grad():
        out = model(torch.from_numpy(gray.astype(np.float32) / 255)[None, None])[0, 0].numpy()
    ref = np.clip(np.round(out * 255), 0, 255)
    assert up.shape == ref.shape and np.abs(up.astype(np.float64) - ref).max() <= 1  # rounding ties only
