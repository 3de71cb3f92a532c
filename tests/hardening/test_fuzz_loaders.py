"""Fuzzing the YAML recipe loader and the checkpoint loader (hypothesis).

Recipes: random text, byte-mutated and structurally mutated copies of every recipe in configs/ (values of any type
in any place, keys removed and added), alias bombs, random ``--set`` overrides: :func:`srkit.engine.load_config`
returns a config or raises :class:`srkit.SrkitError`, nothing else.

Checkpoints: random bytes, mutated copies of a real checkpoint in each format (safetensors, torch zip, torch
legacy), random state dicts (any keys, shapes, dtypes, non-tensor values), and pickles that carry code:
:func:`srkit.load_model` returns a model or raises :class:`srkit.SrkitError`, and the pickled code never runs.
"""

from __future__ import annotations

import io
import pathlib
import pickle
import tempfile
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from fuzz_support import QUICK, SLOW, mutated, run_fuzz
from hypothesis import strategies as st
from safetensors.torch import save as save_safetensors

import srkit
from srkit.engine.config import load_config

pytestmark = pytest.mark.usefixtures("one_thread")

ROOT = Path(__file__).resolve().parents[2]
RECIPES = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "configs").rglob("*.yaml"))]


# -- recipes ------------------------------------------------------------------------------------------------------
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def structural(draw: Any) -> str:
    """A recipe with values replaced, keys removed and keys added anywhere."""
    data = yaml.safe_load(draw(st.sampled_from(RECIPES)))
    for _ in range(draw(st.integers(1, 4))):
        node = data
        while isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node, key=str)))
            if not isinstance(node[key], dict):
                break
            node = node[key]
        if not isinstance(node, dict):
            continue
        action = draw(st.sampled_from(("set", "delete", "add")))
        keys = sorted(node, key=str)
        if action == "delete" and keys:
            del node[draw(st.sampled_from(keys))]
        elif action == "set" and keys:
            node[draw(st.sampled_from(keys))] = draw(_values)
        else:
            node[draw(st.text(max_size=10))] = draw(_values)
    return yaml.safe_dump(data, allow_unicode=True)


_BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    + "model: *j\n"
)


def recipes() -> st.SearchStrategy[tuple[str, list[str]]]:
    texts = st.one_of(
        st.text(max_size=200),
        mutated([(".yaml", r.encode()) for r in RECIPES]).map(lambda c: c[1].decode("utf-8", "replace")),
        structural(),
        st.sampled_from([*RECIPES, _BOMB]),
    )
    overrides = st.lists(
        st.one_of(
            st.text(max_size=30), st.sampled_from(["steps=-1", "model.name=x", "optim.lr=nan", "a.b.c=1", "data=3"])
        ),
        max_size=2,
    )
    return st.tuples(texts, overrides)


def check_recipe(case: tuple[str, list[str]]) -> None:
    text, overrides = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "recipe.yaml"
        path.write_text(text, encoding="utf-8", errors="replace")
        try:
            load_config(path, overrides)
        except srkit.SrkitError as err:
            message = str(err)
        else:
            message = "ok"
    assert message


# -- checkpoints --------------------------------------------------------------------------------------------------
class _Code:
    """Pickles as a call that creates ``marker``: loading must never run it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (pathlib.Path.touch, (self.marker,))


def _torch_bytes(obj: Any, *, legacy: bool = False) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


def _real_checkpoints() -> list[tuple[str, bytes]]:
    state = {k: v.clone() for k, v in srkit.load_model("srkit_fast").state_dict().items()}
    return [
        (".safetensors", save_safetensors(state)),
        (".pth", _torch_bytes(state)),
        (".pt", _torch_bytes({"params_ema": state}, legacy=True)),
    ]


_REAL = _real_checkpoints()
_KEYS = sorted(torch.load(io.BytesIO(_REAL[1][1]), weights_only=True))  # srkit_fast's real key names
_DTYPES = (torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.uint8, torch.bool)


@st.composite
def state_dicts(draw: Any) -> tuple[str, bytes]:
    """A random state dict (real key names and random ones; any shape and dtype; sometimes non-tensor values)."""
    keys = draw(st.lists(st.one_of(st.sampled_from(_KEYS), st.text(min_size=1, max_size=12)), max_size=8))
    state: dict[str, Any] = {}
    for key in keys:
        shape = draw(st.lists(st.integers(0, 5), max_size=4))
        state[key] = torch.zeros(shape, dtype=draw(st.sampled_from(_DTYPES)))
    fmt = draw(st.sampled_from((".safetensors", ".pth", ".pth-odd")))
    if fmt == ".safetensors":
        return fmt, save_safetensors(state) if state else b""
    if fmt == ".pth-odd":  # non-tensor values and nesting, as wrappers and trainers write them
        state[draw(st.sampled_from(["params", "state_dict", "epoch", "model"]))] = draw(_values)
    return ".pth", _torch_bytes(state)


def checkpoints(marker: Path) -> st.SearchStrategy[tuple[str, bytes]]:
    suffixes = st.sampled_from((".pth", ".pt", ".safetensors", ".ckpt", ".bin"))
    code = [
        (".pth", _torch_bytes({"weight": torch.zeros(1), "x": _Code(marker)})),
        (".pth", _torch_bytes(_Code(marker))),
        (".pt", _torch_bytes({"params": {"w": _Code(marker)}}, legacy=True)),
        *((".pth", pickle.dumps({"w": _Code(marker)}, protocol=p)) for p in range(2, 6)),
    ]
    return st.one_of(
        st.tuples(suffixes, st.binary(max_size=300)),
        mutated(_REAL).map(lambda c: (c[0] if c[0] in (".safetensors", ".pth", ".pt") else ".pth", c[1])),
        state_dicts(),
        st.sampled_from(code),
        mutated(code),
        st.sampled_from(_REAL),
    )


def _check_checkpoint(marker: Path) -> Any:
    def check(case: tuple[str, bytes]) -> None:
        suffix, data = case
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"model{suffix}"
            path.write_bytes(data)
            try:
                model: Any = srkit.load_model(path)
            except srkit.SrkitError as err:
                model = str(err)
        if isinstance(model, str):
            assert model and "weights_only=False" not in model
        else:
            assert isinstance(model, torch.nn.Module) and model.card.name
        assert not marker.exists(), "pickled code ran"

    return check


def test_recipes_quick() -> None:
    assert run_fuzz(recipes(), check_recipe, QUICK) >= QUICK


def test_checkpoints_quick(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    assert run_fuzz(checkpoints(marker), _check_checkpoint(marker), QUICK) >= QUICK


@pytest.mark.slow
def test_recipes_many() -> None:
    assert run_fuzz(recipes(), check_recipe, SLOW) >= SLOW


@pytest.mark.slow
def test_checkpoints_many(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    assert run_fuzz(checkpoints(marker), _check_checkpoint(marker), SLOW) >= SLOW
