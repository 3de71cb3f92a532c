"""RDN (Zhang et al. 2018): shapes, EDSR-PyTorch key layout and semantics, detection, parameter counts."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError
from srkit.archs.rdn import RDN, ZOO, detect

TINY = {"n_feats": 8, "n_blocks": 2, "n_layers": 2, "growth": 4}


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


@pytest.mark.parametrize("scale", [1, 2, 3, 4])
def test_shapes(scale: int) -> None:
    torch.manual_seed(0)
    x = torch.rand(2, 3, 6, 8)
    before = x.clone()
    assert RDN(scale=scale, **TINY)(x).shape == (2, 3, 6 * scale, 8 * scale)
    assert torch.equal(x, before)


def test_key_layout() -> None:
    state = RDN(scale=4, **TINY).state_dict()
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    assert shapes["SFENet1.weight"] == (8, 3, 3, 3) and shapes["SFENet2.weight"] == (8, 8, 3, 3)
    assert shapes["RDBs.1.convs.1.conv.0.weight"] == (4, 8 + 4, 3, 3)  # G0 + c*G inputs
    assert shapes["RDBs.1.LFF.weight"] == (8, 8 + 2 * 4, 1, 1)
    assert shapes["GFF.0.weight"] == (8, 2 * 8, 1, 1) and shapes["GFF.1.weight"] == (8, 8, 3, 3)
    assert shapes["UPNet.0.weight"] == (16, 8, 3, 3)  # G0 -> 4G
    assert shapes["UPNet.2.weight"] == (16, 4, 3, 3)  # G -> 4G
    assert shapes["UPNet.4.weight"] == (3, 4, 3, 3)
    assert RDN(scale=3, **TINY).state_dict()["UPNet.0.weight"].shape == (36, 8, 3, 3)
    assert len(state) == 2 * (2 + 2 * (2 + 1) + 2 + 3)  # weight + bias of every convolution


def _reference(state: dict[str, torch.Tensor], x: torch.Tensor, n_blocks: int, n_layers: int) -> torch.Tensor:
    """EDSR-PyTorch's rdn.py forward written out from the state dict (x2)."""

    def conv(name: str, t: torch.Tensor) -> torch.Tensor:
        w = state[f"{name}.weight"]
        return F.conv2d(t, w, state[f"{name}.bias"], padding=w.shape[-1] // 2)

    f1 = conv("SFENet1", x)
    f = conv("SFENet2", f1)
    outs = []
    for d in range(n_blocks):
        h = f
        for c in range(n_layers):
            h = torch.cat([h, F.relu(conv(f"RDBs.{d}.convs.{c}.conv.0", h))], 1)
        f = conv(f"RDBs.{d}.LFF", h) + f
        outs.append(f)
    f = conv("GFF.1", conv("GFF.0", torch.cat(outs, 1))) + f1
    return conv("UPNet.2", F.pixel_shuffle(conv("UPNet.0", f), 2))


def test_matches_the_reference_forward() -> None:
    torch.manual_seed(0)
    model = RDN(scale=2, **TINY).eval()
    x = torch.rand(1, 3, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(model(x), _reference(model.state_dict(), x, 2, 2))


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_detect_reads_every_hyperparameter_and_loads_strictly(scale: int) -> None:
    model = RDN(scale=scale, n_feats=8, n_blocks=3, n_layers=2, growth=4)
    found = detect(model.state_dict())
    assert found == {
        "scale": scale,
        "in_channels": 3,
        "out_channels": 3,
        "n_feats": 8,
        "n_blocks": 3,
        "n_layers": 2,
        "growth": 4,
        "kernel_size": 3,
    }
    RDN(**found).load_state_dict(model.state_dict(), strict=True)
    assert detect({"SFENet1.weight": torch.zeros(1, 1, 3, 3)}) is None


def test_bad_arguments_raise() -> None:
    with pytest.raises(SrkitError):
        RDN(scale=0, **TINY)
    with pytest.raises(SrkitError):
        RDN(scale=2, n_feats=8, n_blocks=0)


def test_card() -> None:
    card = ZOO[0][1]
    assert card.name == "rdn" and card.arch == "RDN" and card.tiling and card.receptive_field == 133
    assert card.params == {2: 22_123_395, 3: 22_308_035, 4: 22_271_107}
