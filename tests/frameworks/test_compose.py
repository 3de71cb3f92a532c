"""Frameworks and composition from data: every framework's contract, the YAML examples, and clear conflicts."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

import srkit
from srkit import SrkitError
from srkit.frameworks import FRAMEWORKS, Framework, create_model

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs" / "compose").glob("*.yaml"))

SMALL: dict[str, dict[str, Any]] = {
    "pre": {"framework": "pre", "n_feats": 8, "body": [{"block": "resblock", "repeat": 2}]},
    "post": {"framework": "post", "n_feats": 8, "body": [{"block": "rcab", "reduction": 4}]},
    "progressive": {"framework": "progressive", "n_feats": 8, "body": [{"block": "resblock"}]},
    "iterative": {"framework": "iterative", "n_feats": 8, "n_init": 8, "n_stages": 2},
}
SCALES = {"pre": [2, 3, 4], "post": [2, 3, 4, 8], "progressive": [2, 4, 8], "iterative": [2, 4, 8]}


def _model(framework: str, scale: int, **extra: Any) -> Framework:
    torch.manual_seed(0)
    return create_model({**SMALL[framework], "scale": scale, **extra})


@pytest.mark.parametrize(("framework", "scale"), [(f, s) for f in FRAMEWORKS for s in SCALES[f]])
def test_framework_contract(framework: str, scale: int) -> None:
    m = _model(framework, scale)
    x = torch.rand(2, 3, 8, 8)
    before = x.clone()
    outs = m.forward_all(x)
    assert outs[-1].shape == (2, 3, 8 * scale, 8 * scale)
    assert torch.equal(m(x), outs[-1])
    assert torch.equal(x, before)
    sum(o.mean() for o in outs).backward()  # type: ignore[union-attr]
    assert all(p.grad is not None for p in m.parameters())
    assert m.double()(x.double()).dtype == torch.float64


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_framework_rebuilds_from_spec_and_traces(framework: str) -> None:
    m = _model(framework, 2).eval()
    rebuilt = create_model(m.spec)
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.testing.assert_close(rebuilt(x), m(x))
        torch.testing.assert_close(torch.jit.trace(m, x)(x), m(x))


def test_progressive_emits_one_output_per_level() -> None:
    outs = _model("progressive", 8).forward_all(torch.rand(1, 3, 4, 4))
    assert [o.shape[-1] for o in outs] == [8, 16, 32]


def test_post_with_meta_upsampler_any_scale() -> None:
    m = create_model(
        {
            "framework": "post",
            "scale": 2.7,
            "n_feats": 8,
            "body": [{"block": "resblock"}],
            "upsampler": {"type": "meta"},
            "tail": False,
        }
    )
    assert m(torch.rand(1, 3, 10, 10)).shape == (1, 3, 27, 27)


def test_create_model_is_public() -> None:
    assert srkit.create_model is create_model


# --- the YAML examples: at least 12 different framework x upsampler x design combinations ---------------------------


def _combination(spec: dict[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    up = (spec.get("upsampler") or {}).get("type", "interpolate-first" if spec["framework"] == "pre" else "-")
    return spec["framework"], str(up), tuple(sorted({b["block"] for b in spec.get("body", [])}))


def test_yaml_examples_cover_many_combinations() -> None:
    combos = {_combination(yaml.safe_load(p.read_text())) for p in CONFIGS}
    assert len(combos) >= 12, combos
    assert {c[0] for c in combos} == set(FRAMEWORKS)
    assert {c[1] for c in combos} >= {"subpixel", "transposed", "interpolation", "meta"}


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_yaml_example_builds_and_trains(path: Path) -> None:
    torch.manual_seed(0)
    m = create_model(path)
    scale = float(m.spec["scale"])
    x = torch.rand(1, 3, 16, 16)
    outs = m.forward_all(x)
    side = math.ceil(16 * scale - 1e-9)
    assert outs[-1].shape == (1, 3, side, side)
    loss = sum(torch.nn.functional.l1_loss(o, torch.rand_like(o)) for o in outs)
    loss.backward()  # type: ignore[union-attr]
    assert all(p.grad is not None for p in m.parameters())
    assert all(torch.isfinite(o).all() for o in outs)


# --- conflicts and bad input -------------------------------------------------------------------------------------

CONFLICTS = [
    ({"framework": "pre", "upsampler": {"type": "subpixel"}}, "pre framework interpolates the input first"),
    ({"framework": "progressive", "scale": 3}, "not a power of two"),
    ({"framework": "progressive", "scale": 4, "upsampler": {"type": "meta"}}, "'meta' upsampler does not apply"),
    ({"framework": "post", "scale": 2.5}, "only the 'meta' upsampler handles fractional scales"),
    ({"framework": "post", "body": [{"block": "up_projection"}]}, "changes the resolution"),
    ({"framework": "pre", "body": [{"block": "laplacian_step"}]}, "works only in the progressive framework"),
    ({"framework": "post", "body": [{"block": "feedback"}]}, "not a framework body block"),
    ({"framework": "iterative", "body": [{"block": "resblock"}]}, "leave 'body' empty"),
    ({"framework": "iterative", "upsampler": {"type": "subpixel"}}, "leave 'upsampler' out"),
    ({"framework": "pre", "global_residual": "features"}, "does not apply to the pre framework"),
    (
        {"framework": "post", "body": [{"block": "recursive", "return_all": True}, {"block": "resblock"}]},
        "must be the last body block",
    ),
    ({"framework": "pre", "body": [{"block": "wavelet_sr"}, {"block": "resblock"}]}, "cannot be mixed"),
    ({"framework": "warp"}, "unknown framework 'warp'"),
    ({"framework": "post", "body": [{"block": "nope"}]}, "unknown block 'nope'"),
    ({"framework": "post", "upsampler": {"type": "nope"}}, "unknown upsampler 'nope'"),
    ({"framework": "post", "body": [{"block": "resblock", "colour": 1}]}, "has no option 'colour'"),
    ({"framework": "post", "n_feats": 0}, "'n_feats' must be an integer >= 1"),
    ({"framework": "post", "scale": -2}, "'scale' must be a number > 0"),
    ({"framework": "post", "widht": 3}, r"unknown model spec key\(s\) widht"),
    ({"scale": 2}, "needs a 'framework'"),
    ({"framework": "post", "body": [{"block": "resblock", "repeat": 0}]}, "'repeat' must be an integer >= 1"),
    ({"framework": "post", "body": ["resblock"]}, r"body\[0\] must be a mapping"),
]


@pytest.mark.parametrize(("spec", "match"), CONFLICTS)
def test_conflicts_are_named(spec: dict[str, Any], match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        create_model(spec)


def test_yaml_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match="model spec file not found"):
        create_model(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("framework: [post\n")
    with pytest.raises(SrkitError, match="cannot parse"):
        create_model(bad)
    listing = tmp_path / "list.yaml"
    listing.write_text("- framework: post\n")
    with pytest.raises(SrkitError, match="must hold a mapping"):
        create_model(listing)
