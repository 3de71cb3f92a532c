"""Frozen TensorFlow graphs (``.pb``) read without TensorFlow, and OpenCV's ``dnn_superres`` models loaded into
srkit's ESPCN and FSRCNN.

A frozen ``GraphDef`` is a protocol-buffer message. It is parsed here with the ``protobuf`` package and a minimal
schema built in code (the fields of ``GraphDef``, ``NodeDef``, ``AttrValue``, ``TensorProto`` and
``TensorShapeProto`` that frozen inference graphs use, with TensorFlow's field numbers); fields the schema leaves
out are kept as unknown fields and ignored. ``protobuf`` is imported only when a graph is read.

The OpenCV models (GSoC 2019, linked from ``opencv_contrib/modules/dnn_superres``):

- ESPCN (fannymonori/TF-ESPCN): ``Conv2D(f1) + b1 -> Relu -> Conv2D(f2) + b2 -> Relu -> Conv2D(f3) + b3 ->
  DepthToSpace -> Tanh -> Transpose(NCHW)``: srkit's :class:`~srkit.archs.espcn.ESPCN` with ``act="relu"``,
  ``out_act="tanh"`` (the paper uses tanh inside and no output activation).
- FSRCNN and FSRCNN-small (Saafke/FSRCNN_Tensorflow): ``Conv2D(f_k) + b_k`` then a PReLU written as
  ``Relu(x) + alpha_k * (x - Abs(x)) * 0.5`` for every layer but the last, which is a 1x1 ``Conv2D(f_N)``
  without bias, ``DepthToSpace`` and ``+ b_N`` (one scalar): srkit's :class:`~srkit.archs.fsrcnn.FSRCNN` with
  ``tail="subpixel"``.

Filters are stored HWIO (TensorFlow) and become OIHW (PyTorch). Every convolution must be ``SAME``-padded,
stride 1, NHWC, which srkit's 'same' zero padding reproduces exactly.
"""

from __future__ import annotations

import functools
import importlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.archs.espcn import ESPCN
from srkit.archs.fsrcnn import FSRCNN

# TensorFlow DataType enum values -> numpy dtypes (types.proto).
_DTYPES: dict[int, np.dtype[Any]] = {
    1: np.dtype("<f4"),
    2: np.dtype("<f8"),
    3: np.dtype("<i4"),
    4: np.dtype("u1"),
    5: np.dtype("<i2"),
    6: np.dtype("i1"),
    9: np.dtype("<i8"),
    10: np.dtype("?"),
    17: np.dtype("<u2"),
    19: np.dtype("<f2"),
    22: np.dtype("<u4"),
    23: np.dtype("<u8"),
}
# which repeated TensorProto field holds the values of each dtype when ``tensor_content`` is empty
_VALUE_FIELDS = {1: "float_val", 2: "double_val", 9: "int64_val", 10: "bool_val", 19: "half_val", 23: "uint64_val"}
_VALUE_FIELDS.update({dt: "int_val" for dt in (3, 4, 5, 6, 17)})
_VALUE_FIELDS[22] = "uint32_val"


@dataclass(frozen=True)
class GraphNode:
    """One ``NodeDef``: its name, op type, inputs (``"^name"`` marks a control input) and decoded attributes
    (strings, numbers, bools, shapes as tuples, tensors as numpy arrays, lists of those)."""

    name: str
    op: str
    inputs: tuple[str, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FrozenGraph:
    """A frozen ``GraphDef``: its nodes in file order and the values of its ``Const`` nodes by name."""

    nodes: tuple[GraphNode, ...]
    consts: Mapping[str, np.ndarray]

    @property
    def op_types(self) -> list[str]:
        """The op types in the graph, each once, in order of first appearance (``Const`` included)."""
        return list(dict.fromkeys(n.op for n in self.nodes))

    def node(self, name: str) -> GraphNode:
        """The node called ``name`` (an input reference such as ``"add:0"`` or ``"^add"`` also works)."""
        key = name.lstrip("^").split(":")[0]
        for n in self.nodes:
            if n.name == key:
                return n
        raise SrkitError(f"the graph has no node {key!r}")

    def consumers(self, name: str) -> list[GraphNode]:
        """The nodes that take ``name``'s output as a data input."""
        return [n for n in self.nodes if any(i.split(":")[0] == name for i in n.inputs if not i.startswith("^"))]


# The parts of TensorFlow's graph.proto / node_def.proto / attr_value.proto / tensor.proto / tensor_shape.proto
# that frozen inference graphs use, with TensorFlow's field numbers: message -> (field, number, type, repeated).
# ``map<string, AttrValue> attr`` is, on the wire, a repeated (key = 1, value = 2) message: ``AttrEntry``.
_SCHEMA: dict[str, list[tuple[str, int, str, bool]]] = {
    "Dim": [("size", 1, "int64", False), ("name", 2, "string", False)],
    "TensorShapeProto": [("dim", 2, "Dim", True), ("unknown_rank", 3, "bool", False)],
    "TensorProto": [
        ("dtype", 1, "int32", False),
        ("tensor_shape", 2, "TensorShapeProto", False),
        ("version_number", 3, "int32", False),
        ("tensor_content", 4, "bytes", False),
        ("float_val", 5, "float", True),
        ("double_val", 6, "double", True),
        ("int_val", 7, "int32", True),
        ("string_val", 8, "bytes", True),
        ("int64_val", 10, "int64", True),
        ("bool_val", 11, "bool", True),
        ("half_val", 13, "int32", True),
        ("uint32_val", 16, "uint32", True),
        ("uint64_val", 17, "uint64", True),
    ],
    "ListValue": [
        ("s", 2, "bytes", True),
        ("i", 3, "int64", True),
        ("f", 4, "float", True),
        ("b", 5, "bool", True),
        ("type", 6, "int32", True),
        ("shape", 7, "TensorShapeProto", True),
        ("tensor", 8, "TensorProto", True),
    ],
    "AttrValue": [  # one of these is set: the oneof "value"
        ("list", 1, "ListValue", False),
        ("s", 2, "bytes", False),
        ("i", 3, "int64", False),
        ("f", 4, "float", False),
        ("b", 5, "bool", False),
        ("type", 6, "int32", False),
        ("shape", 7, "TensorShapeProto", False),
        ("tensor", 8, "TensorProto", False),
        ("placeholder", 9, "string", False),
    ],
    "AttrEntry": [("key", 1, "string", False), ("value", 2, "AttrValue", False)],
    "NodeDef": [
        ("name", 1, "string", False),
        ("op", 2, "string", False),
        ("input", 3, "string", True),
        ("device", 4, "string", False),
        ("attr", 5, "AttrEntry", True),
    ],
    "GraphDef": [("node", 1, "NodeDef", True)],
}


@functools.lru_cache(maxsize=1)
def _graph_def_class() -> Any:
    """The ``GraphDef`` message class of :data:`_SCHEMA`, built in a private descriptor pool (so it never clashes
    with TensorFlow's own ``tensorflow.GraphDef`` when TensorFlow is installed too)."""
    try:  # imported by name: protobuf is optional and ships no type stubs
        descriptor_pb2 = importlib.import_module("google.protobuf.descriptor_pb2")
        descriptor_pool = importlib.import_module("google.protobuf.descriptor_pool")
        message_factory = importlib.import_module("google.protobuf.message_factory")
    except ImportError:
        raise SrkitError("reading TensorFlow .pb graphs needs the 'protobuf' package: pip install protobuf") from None
    fd = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(name="srkit_tf_graph.proto", package="srkit_tf", syntax="proto3")
    for name, fields in _SCHEMA.items():
        msg = proto.message_type.add(name=name)
        if name == "AttrValue":
            msg.oneof_decl.add(name="value")
        for field_name, number, kind, repeated in fields:
            f = msg.field.add(name=field_name, number=number)
            f.label = fd.LABEL_REPEATED if repeated else fd.LABEL_OPTIONAL
            if kind in _SCHEMA:
                f.type, f.type_name = fd.TYPE_MESSAGE, f".srkit_tf.{kind}"
            else:
                f.type = getattr(fd, f"TYPE_{kind.upper()}")
            if name == "AttrValue":
                f.oneof_index = 0
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("srkit_tf.GraphDef"))


def _shape(shape: Any) -> tuple[int, ...] | None:
    return None if shape.unknown_rank else tuple(int(d.size) for d in shape.dim)


def _tensor(t: Any) -> np.ndarray:
    """A ``TensorProto`` as a numpy array (a string tensor as an object array of bytes)."""
    shape = _shape(t.tensor_shape) or ()
    size = math.prod(shape)
    if t.dtype == 7:  # DT_STRING
        return np.array(list(t.string_val), dtype=object).reshape(shape) if size else np.empty(shape, dtype=object)
    if t.dtype not in _DTYPES:
        raise SrkitError(f"unsupported TensorFlow tensor dtype {t.dtype}")
    dtype = _DTYPES[t.dtype]
    if t.tensor_content:
        return np.frombuffer(t.tensor_content, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    values = list(getattr(t, _VALUE_FIELDS[t.dtype]))
    if t.dtype == 19:  # half_val holds the float16 bit patterns
        values = list(np.array(values, dtype=np.uint16).view(np.float16))
    if 0 < len(values) < size:  # TensorFlow repeats the last value to fill the tensor
        values += [values[-1]] * (size - len(values))
    array = np.array(values, dtype=dtype) if values else np.zeros(size, dtype=dtype)
    return array.reshape(shape).astype(dtype.newbyteorder("="))


def _attr(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "list":
        lst = value.list
        for name in ("s", "i", "f", "b", "type", "shape", "tensor"):
            items = list(getattr(lst, name))
            if items:
                if name == "s":
                    return [x.decode("utf-8", "replace") for x in items]
                if name == "shape":
                    return [_shape(x) for x in items]
                if name == "tensor":
                    return [_tensor(x) for x in items]
                return items
        return []
    if kind == "s":
        return value.s.decode("utf-8", "replace")
    if kind == "shape":
        return _shape(value.shape)
    if kind == "tensor":
        return _tensor(value.tensor)
    return getattr(value, kind)


def read_frozen_graph(source: str | Path | bytes) -> FrozenGraph:
    """Parse a frozen TensorFlow ``GraphDef`` (a ``.pb`` file or its bytes) without TensorFlow.

    Returns:
        The graph's nodes (name, op, inputs, decoded attributes) and ``{const_name: numpy array}`` for every
        ``Const`` node, in TensorFlow's layout (filters HWIO).

    Example:
        >>> graph = read_frozen_graph("ESPCN_x3.pb")  # doctest: +SKIP
        >>> graph.consts["f1"].shape, graph.op_types[:3]  # doctest: +SKIP
        ((5, 5, 1, 64), ['Const', 'Placeholder', 'Conv2D'])
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    graph_def = _graph_def_class()()
    try:
        graph_def.ParseFromString(data)
    except Exception as err:  # protobuf's DecodeError (its module path depends on the implementation)
        raise SrkitError(f"not a TensorFlow GraphDef: {err}") from None
    nodes, consts = [], {}
    for n in graph_def.node:
        attrs = {entry.key: _attr(entry.value) for entry in n.attr}
        nodes.append(GraphNode(name=n.name, op=n.op, inputs=tuple(n.input), attrs=attrs))
        if n.op == "Const" and isinstance(attrs.get("value"), np.ndarray):
            consts[n.name] = attrs["value"]
    if not nodes:
        raise SrkitError("the file holds no graph nodes: not a frozen TensorFlow GraphDef")
    return FrozenGraph(nodes=tuple(nodes), consts=consts)


def _numbered(consts: Mapping[str, np.ndarray], prefix: str) -> dict[int, np.ndarray]:
    return {int(m.group(1)): v for k, v in consts.items() if (m := re.fullmatch(rf"{prefix}(\d+)", k))}


def _check_convs(graph: FrozenGraph) -> None:
    for n in graph.nodes:
        if n.op != "Conv2D":
            continue
        fmt = n.attrs.get("data_format", "NHWC")
        strides, dilations = n.attrs.get("strides", [1, 1, 1, 1]), n.attrs.get("dilations", [1, 1, 1, 1])
        if n.attrs.get("padding") != "SAME" or fmt != "NHWC" or set(strides) != {1} or set(dilations) != {1}:
            raise SrkitError(
                f"convolution {n.name!r} is not a SAME-padded, stride-1, NHWC convolution "
                f"(padding={n.attrs.get('padding')!r}, data_format={fmt!r}, strides={strides}): not supported"
            )


def _activation_after(graph: FrozenGraph, name: str) -> str:
    """``relu``/``tanh``/``none``: the activation applied to the output of node ``name`` (through a bias Add)."""
    nxt = graph.consumers(name)
    if len(nxt) == 1 and nxt[0].op in ("Add", "AddV2", "BiasAdd"):
        nxt = graph.consumers(nxt[0].name)
    ops = {n.op for n in nxt}
    if ops == {"Relu"}:
        return "relu"
    if ops == {"Tanh"}:
        return "tanh"
    if ops <= {"Transpose", "Identity", "DepthToSpace", "Conv2D"}:
        return "none"
    raise SrkitError(f"unsupported activation after {name!r}: {sorted(ops)}")


def detect_pb(source: str | Path | bytes | FrozenGraph) -> dict[str, Any]:
    """Say which OpenCV ``dnn_superres`` model a frozen graph holds, from its tensor names and shapes.

    Returns:
        ``{"arch": "ESPCN" | "FSRCNN", "name": registry name ("espcn", "fsrcnn", "fsrcnn_s"), "scale": int,
        "hparams": constructor arguments, "ops": op types}``.

    Raises:
        SrkitError: when the graph is neither of them.
    """
    graph = source if isinstance(source, FrozenGraph) else read_frozen_graph(source)
    _check_convs(graph)
    f, b, alpha = (_numbered(graph.consts, p) for p in ("f", "b", "alpha"))
    n = len(f)
    if n < 3 or sorted(f) != list(range(1, n + 1)) or sorted(b) != sorted(f):
        raise SrkitError(f"not an OpenCV ESPCN/FSRCNN graph: constants {sorted(graph.consts)}")
    last = f[n]
    if last.ndim != 4 or math.isqrt(last.shape[3]) ** 2 != last.shape[3]:
        raise SrkitError(f"the last filter {last.shape} does not end in scale^2 channels")
    scale = math.isqrt(last.shape[3])
    shuffles = [x for x in graph.nodes if x.op == "DepthToSpace"]
    if len(shuffles) != 1 or shuffles[0].attrs.get("block_size") != scale:
        raise SrkitError(f"expected one DepthToSpace with block_size {scale}, got {[x.attrs for x in shuffles]}")
    if not alpha and n == 3:
        act = _activation_after(graph, _conv_reading(graph, "f1"))
        if _activation_after(graph, _conv_reading(graph, "f2")) != act:
            raise SrkitError("the two hidden layers of this ESPCN graph use different activations: not supported")
        out_act = _activation_after(graph, shuffles[0].name)
        hparams = {"scale": scale, "in_channels": f[1].shape[2], "out_channels": 1, "n_feats": f[1].shape[3]}
        hparams |= {"n_mapping": f[2].shape[3], "act": act, "out_act": out_act}
        return {"arch": "ESPCN", "name": "espcn", "scale": scale, "hparams": hparams, "ops": graph.op_types}
    if n >= 4 and sorted(alpha) == list(range(1, n)) and b[n].size == 1 and last.shape[:2] == (1, 1):
        halves = [v for k, v in graph.consts.items() if k.startswith("mul_") and k.endswith("/y")]
        if len(halves) != n - 1 or not all(np.allclose(v, 0.5) for v in halves):
            raise SrkitError("unexpected PReLU constants: expected relu(x) + alpha * (x - |x|) * 0.5 per layer")
        d, s, m = f[1].shape[3], f[2].shape[3], n - 4
        name = {(56, 12, 4): "fsrcnn", (32, 5, 1): "fsrcnn_s"}.get((d, s, m), "fsrcnn")
        hparams = {"scale": scale, "in_channels": f[1].shape[2], "out_channels": 1, "n_feats": d, "n_shrink": s}
        hparams |= {"n_layers": m, "tail": "subpixel"}
        return {"arch": "FSRCNN", "name": name, "scale": scale, "hparams": hparams, "ops": graph.op_types}
    raise SrkitError(f"not an OpenCV ESPCN/FSRCNN graph: constants {sorted(graph.consts)}")


def _conv_reading(graph: FrozenGraph, const: str) -> str:
    return next(n.name for n in graph.nodes if n.op == "Conv2D" and any(i.split(":")[0] == const for i in n.inputs))


def _oihw(hwio: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(hwio.transpose(3, 2, 0, 1), dtype=np.float32))


def _vector(v: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32).reshape(-1))


def load_opencv_pb(source: str | Path | bytes | FrozenGraph) -> tuple[nn.Module, dict[str, Any]]:
    """Build srkit's ESPCN or FSRCNN / FSRCNN-s with the weights of an OpenCV ``dnn_superres`` ``.pb`` file.

    The model maps the Y channel in [0, 1] (``(B, 1, H, W)``) to the upscaled Y channel, exactly as OpenCV's
    network does (OpenCV feeds ``Y / 255`` of ``cvtColor(BGR2YCrCb)`` and upscales Cr/Cb bilinearly).

    Returns:
        ``(model, info)``: the model in eval mode and :func:`detect_pb`'s answer.

    Example:
        >>> model, info = load_opencv_pb("FSRCNN_x3.pb")  # doctest: +SKIP
        >>> info["name"], info["scale"]  # doctest: +SKIP
        ('fsrcnn', 3)
    """
    graph = source if isinstance(source, FrozenGraph) else read_frozen_graph(source)
    info = detect_pb(graph)
    f, b = _numbered(graph.consts, "f"), _numbered(graph.consts, "b")
    state: dict[str, torch.Tensor] = {}
    model: nn.Module
    if info["arch"] == "ESPCN":
        model = ESPCN(**info["hparams"])
        for k in (1, 2, 3):
            state[f"conv{k}.weight"], state[f"conv{k}.bias"] = _oihw(f[k]), _vector(b[k])
    else:
        model = FSRCNN(**info["hparams"])
        alpha, n = _numbered(graph.consts, "alpha"), len(f)
        state["first_part.0.weight"], state["first_part.0.bias"] = _oihw(f[1]), _vector(b[1])
        state["first_part.1.weight"] = _vector(alpha[1])
        for k in range(2, n):
            i = 2 * (k - 2)
            state[f"mid_part.{i}.weight"], state[f"mid_part.{i}.bias"] = _oihw(f[k]), _vector(b[k])
            state[f"mid_part.{i + 1}.weight"] = _vector(alpha[k])
        state["last_part.conv.weight"], state["last_part.bias"] = _oihw(f[n]), _vector(b[n])
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:  # filters whose shapes do not chain into this architecture
        raise SrkitError(f"the graph's tensors do not fit {info['arch']}: {err}") from None
    return model.eval(), info


__all__ = ["FrozenGraph", "GraphNode", "detect_pb", "load_opencv_pb", "read_frozen_graph"]
