"""RCAN (Zhang et al. 2018): shapes, official key layout and semantics, detection, parameter counts."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError
from srkit.archs.rcan import RCAN, ZOO, detect

TINY = {"n_feats": 16, "n_groups": 2, "n_blocks": 2, "reduction": 4}


@pytest.fixture(scope="module")
def full_counts() -> dict[int, int]:
    """The full default model's parameter count at every scale (built on the meta device)."""
    builder, card = ZOO[0]
    counts = {}
    for s in card.scales:
        with torch.device("meta"):
            counts[s] = sum(p.numel() for p in builder(scale=s).parameters())
    return counts


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_full_parameter_count_matches_card_and_paper(full_counts: dict[int, int], scale: int) -> None:
    card = ZOO[0][1]
    assert full_counts[scale] == card.params[scale]
    assert abs(full_counts[scale] - card.published_params[scale]) <= 0.01 * card.published_params[scale]


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_shapes(scale: int) -> None:
    torch.manual_seed(0)
    x = torch.rand(2, 3, 6, 8)
    before = x.clone()
    assert RCAN(scale=scale, **TINY)(x).shape == (2, 3, 6 * scale, 8 * scale)
    assert torch.equal(x, before)


def test_official_key_layout() -> None:
    state = RCAN(scale=4, **TINY).state_dict()
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    assert shapes["sub_mean.weight"] == (3, 3, 1, 1) and shapes["add_mean.bias"] == (3,)
    assert shapes["head.0.weight"] == (16, 3, 3, 3)
    assert shapes["body.1.body.1.body.0.weight"] == (16, 16, 3, 3)
    assert shapes["body.1.body.1.body.2.weight"] == (16, 16, 3, 3)
    assert shapes["body.0.body.0.body.3.conv_du.0.weight"] == (4, 16, 1, 1)
    assert shapes["body.0.body.0.body.3.conv_du.2.weight"] == (16, 4, 1, 1)
    assert shapes["body.0.body.2.weight"] == (16, 16, 3, 3)  # the group's closing convolution
    assert shapes["body.2.weight"] == (16, 16, 3, 3)  # the body's closing convolution
    assert shapes["tail.0.0.weight"] == (64, 16, 3, 3) and shapes["tail.0.2.weight"] == (64, 16, 3, 3)
    assert shapes["tail.1.weight"] == (3, 16, 3, 3)
    assert len(state) == 4 + 2 + 2 * (2 * 8 + 2) + 2 + 4 + 2  # means, head, groups, body conv, upsampler, tail


def _reference(state: dict[str, torch.Tensor], x: torch.Tensor, n_groups: int, n_blocks: int) -> torch.Tensor:
    """The official RCAN forward written out from the state dict."""

    def conv(name: str, t: torch.Tensor) -> torch.Tensor:
        w = state[f"{name}.weight"]
        return F.conv2d(t, w, state[f"{name}.bias"], padding=w.shape[-1] // 2)

    x = conv("head.0", conv("sub_mean", x))
    res = x
    for g in range(n_groups):
        h = res
        for b in range(n_blocks):
            p = f"body.{g}.body.{b}.body"
            r = conv(f"{p}.2", F.relu(conv(f"{p}.0", h)))
            gate = torch.sigmoid(conv(f"{p}.3.conv_du.2", F.relu(conv(f"{p}.3.conv_du.0", r.mean((2, 3), True)))))
            h = h + r * gate
        res = res + conv(f"body.{g}.body.{n_blocks}", h)
    res = conv(f"body.{n_groups}", res) + x
    res = F.pixel_shuffle(conv("tail.0.0", res), 3)
    return conv("add_mean", conv("tail.1", res))


def test_matches_the_official_forward_on_0_255_weights() -> None:
    torch.manual_seed(0)
    model = RCAN(scale=3, pixel_range=255.0, **TINY).eval()
    x = torch.rand(1, 3, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(model(x), _reference(model.state_dict(), 255 * x, 2, 2) / 255)


def test_detect_reads_every_hyperparameter_and_loads_strictly() -> None:
    model = RCAN(scale=2, n_feats=16, n_groups=3, n_blocks=2, reduction=8, pixel_range=255.0)
    found = detect(model.state_dict())
    assert found == {
        "scale": 2,
        "in_channels": 3,
        "out_channels": 3,
        "n_feats": 16,
        "n_groups": 3,
        "n_blocks": 2,
        "reduction": 8,
        "kernel_size": 3,
        "pixel_range": 255.0,
    }
    RCAN(**found).load_state_dict(model.state_dict(), strict=True)


def test_detect_refuses_other_architectures() -> None:
    from srkit.archs.edsr import EDSR

    assert detect(EDSR(scale=2, n_feats=8, n_blocks=1).state_dict()) is None
    state = RCAN(scale=2, **TINY).state_dict()
    del state["sub_mean.bias"]  # third-party RCANs without the mean shift would not load
    assert detect(state) is None


def test_bad_arguments_raise() -> None:
    with pytest.raises(SrkitError):
        RCAN(scale=0, **TINY)
    with pytest.raises(SrkitError):
        RCAN(scale=2, n_feats=16, n_groups=1, n_blocks=1, reduction=32)


def test_card() -> None:
    card = ZOO[0][1]
    assert card.name == "rcan" and card.arch == "RCAN" and not card.tiling and not card.fp16
    assert card.receptive_field == 414
    set5 = card.published_for("Set5", 4)
    assert set5 is not None and (set5.psnr, set5.ssim) == (32.63, 0.9002)
