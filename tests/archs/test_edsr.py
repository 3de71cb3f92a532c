"""EDSR (Lim et al. 2017): shapes, EDSR-PyTorch key layout and semantics, detection, parameter counts."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError
from srkit.archs.edsr import EDSR, ZOO, detect, edsr, edsr_baseline
from srkit.blocks.common import RGB_MEAN

TINY = {"n_feats": 8, "n_blocks": 2}


@pytest.fixture(scope="module")
def full_counts() -> dict[tuple[str, int], int]:
    """Parameter counts of every full default builder at every scale (built once, on the meta device)."""
    counts = {}
    for builder, card in ZOO:
        for s in card.scales:
            with torch.device("meta"):
                model = builder(scale=s)
            counts[card.name, s] = sum(p.numel() for p in model.parameters())
    return counts


@pytest.mark.parametrize(("name", "scale"), [(c.name, s) for _, c in ZOO for s in c.scales])
def test_full_parameter_count_matches_card_and_paper(
    full_counts: dict[tuple[str, int], int], name: str, scale: int
) -> None:
    card = next(c for _, c in ZOO if c.name == name)
    assert full_counts[name, scale] == card.params[scale]
    assert abs(card.params[scale] - card.published_params[scale]) <= 0.01 * card.published_params[scale]


@pytest.mark.parametrize("scale", [1, 2, 3, 4, 8])
def test_shapes(scale: int) -> None:
    torch.manual_seed(0)
    model = EDSR(scale=scale, **TINY)
    x = torch.rand(2, 3, 8, 12)
    before = x.clone()
    y = model(x)
    assert y.shape == (2, 3, 8 * scale, 12 * scale)
    assert torch.equal(x, before)


def test_builders_set_the_papers_hyperparameters() -> None:
    keys = ("n_feats", "n_blocks", "res_scale")
    with torch.device("meta"):
        base, big, small = edsr_baseline(scale=2), edsr(scale=2), edsr_baseline(scale=2, n_feats=8)
    assert [base.hparams[k] for k in keys] == [64, 16, 1.0]  # type: ignore[index]
    assert [big.hparams[k] for k in keys] == [256, 32, 0.1]  # type: ignore[index]
    assert small.hparams["n_feats"] == 8  # type: ignore[index]  # overrides win


def test_official_key_layout() -> None:
    state = EDSR(scale=4, **TINY).state_dict()
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    assert shapes["sub_mean.weight"] == (3, 3, 1, 1) and shapes["add_mean.bias"] == (3,)
    assert shapes["head.0.weight"] == (8, 3, 3, 3)
    assert shapes["body.1.body.2.weight"] == (8, 8, 3, 3)
    assert shapes["body.2.weight"] == (8, 8, 3, 3)  # the body's closing convolution
    assert shapes["tail.0.0.weight"] == (32, 8, 3, 3) and shapes["tail.0.2.weight"] == (32, 8, 3, 3)
    assert shapes["tail.1.weight"] == (3, 8, 3, 3)
    per_block = {f"body.{i}.body.{j}.{p}" for i in range(2) for j in (0, 2) for p in ("weight", "bias")}
    convs = {f"{m}.{p}" for m in ("head.0", "body.2", "tail.0.0", "tail.0.2", "tail.1") for p in ("weight", "bias")}
    means = {f"{m}.{p}" for m in ("sub_mean", "add_mean") for p in ("weight", "bias")}
    assert set(state) == per_block | convs | means
    assert EDSR(scale=3, **TINY).state_dict()["tail.0.0.weight"].shape == (72, 8, 3, 3)


def test_mean_shift_is_a_constant_not_a_parameter() -> None:
    model = EDSR(scale=2, **TINY)
    names = {n for n, _ in model.named_parameters()}
    assert not any("mean" in n for n in names)
    torch.testing.assert_close(model.sub_mean.bias, -torch.tensor(RGB_MEAN))
    torch.testing.assert_close(model.add_mean.bias, torch.tensor(RGB_MEAN))


def _reference(state: dict[str, torch.Tensor], x255: torch.Tensor, n_blocks: int, res_scale: float) -> torch.Tensor:
    """EDSR-PyTorch's forward written out from the state dict, on [0, 255] pixels."""

    def conv(name: str, t: torch.Tensor) -> torch.Tensor:
        w = state[f"{name}.weight"]
        return F.conv2d(t, w, state[f"{name}.bias"], padding=w.shape[-1] // 2)

    x = conv("head.0", conv("sub_mean", x255))
    res = x
    for i in range(n_blocks):
        res = res + res_scale * conv(f"body.{i}.body.2", F.relu(conv(f"body.{i}.body.0", res)))
    res = conv(f"body.{n_blocks}", res) + x
    j = 0
    while f"tail.0.{j}.weight" in state:
        res = F.pixel_shuffle(conv(f"tail.0.{j}", res), 2)
        j += 2
    return conv("add_mean", conv("tail.1", res))


def test_matches_edsr_pytorch_on_0_255_weights() -> None:
    torch.manual_seed(0)
    model = EDSR(scale=4, res_scale=0.1, pixel_range=255.0, **TINY).eval()
    state = model.state_dict()
    torch.testing.assert_close(state["sub_mean.bias"], -255 * torch.tensor(RGB_MEAN))  # as EDSR-PyTorch stores it
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(model(x), _reference(state, 255 * x, 2, 0.1) / 255)


def test_detect_reads_every_hyperparameter_and_loads_strictly() -> None:
    model = EDSR(scale=3, n_feats=8, n_blocks=3, pixel_range=255.0)
    found = detect(model.state_dict())
    assert found == {
        "scale": 3,
        "in_channels": 3,
        "out_channels": 3,
        "n_feats": 8,
        "n_blocks": 3,
        "res_scale": 1.0,
        "kernel_size": 3,
        "pixel_range": 255.0,
    }
    EDSR(**found).load_state_dict(model.state_dict(), strict=True)


def test_detect_refuses_other_architectures() -> None:
    from srkit.archs.mdsr import MDSR
    from srkit.archs.rcan import RCAN

    assert detect(RCAN(scale=2, n_feats=16, n_groups=1, n_blocks=1, reduction=4).state_dict()) is None
    assert detect(MDSR(scale=2, n_feats=8, n_blocks=1).state_dict()) is None
    assert detect({"conv.weight": torch.zeros(1, 1, 3, 3)}) is None


def test_half_and_double_follow_the_input() -> None:
    model = EDSR(scale=2, **TINY).double()
    assert model(torch.rand(1, 3, 4, 4, dtype=torch.float64)).dtype == torch.float64


@pytest.mark.parametrize("kwargs", [{"scale": 0}, {"scale": 2.0}, {"scale": 2, "pixel_range": 0.0}])
def test_bad_arguments_raise(kwargs: dict[str, float]) -> None:
    with pytest.raises(SrkitError):
        EDSR(**kwargs, **TINY)  # type: ignore[arg-type]


def test_cards() -> None:
    names = [c.name for _, c in ZOO]
    assert names == ["edsr_baseline", "edsr"]
    for _, card in ZOO:
        assert card.arch == "EDSR" and card.scales == (2, 3, 4) and card.tiling
        assert {(p.dataset, p.scale) for p in card.published} == {(d, s) for d in ("Set5", "Set14") for s in (2, 3, 4)}
    assert ZOO[0][1].receptive_field == 36 and ZOO[1][1].receptive_field == 68
