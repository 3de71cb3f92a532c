"""Discriminators (SRGAN, ESRGAN's VGG-style, Real-ESRGAN's U-Net with spectral norm): logits shapes, key
layouts, size checks, gradients, hparams round trip, parameter counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.archs.discriminators import (
    DISCRIMINATORS,
    SRGANDiscriminator,
    UNetDiscriminatorSN,
    VGGStyleDiscriminator,
    srgan_discriminator,
)

TINY: dict[str, tuple[Callable[[], nn.Module], tuple[int, int]]] = {
    "srgan": (lambda: SRGANDiscriminator(n_feats=4, input_size=32), (32, 32)),
    "vgg": (lambda: VGGStyleDiscriminator(n_feats=4, input_size=32), (32, 32)),
    "unet": (lambda: UNetDiscriminatorSN(n_feats=4), (16, 24)),
}


@pytest.fixture(scope="module")
def full_counts() -> dict[str, int]:
    """Parameter counts of the full default builders (built once, on the meta device)."""
    counts = {}
    for builder, card in DISCRIMINATORS:
        with torch.device("meta"):
            counts[card.name] = sum(p.numel() for p in builder(scale=1).parameters())
    return counts


@pytest.mark.parametrize("name", [c.name for _, c in DISCRIMINATORS])
def test_full_parameter_count_matches_card(full_counts: dict[str, int], name: str) -> None:
    card = next(c for _, c in DISCRIMINATORS if c.name == name)
    assert full_counts[name] == card.params[1]
    assert card.scales == (1,) and card.in_channels == 3 and card.out_channels == 1 and not card.tiling
    assert card.notes.startswith("discriminator: image -> realness logits")


@pytest.mark.parametrize("name", TINY)
def test_logits_shape_gradients_and_input_untouched(name: str) -> None:
    factory, (h, w) = TINY[name]
    torch.manual_seed(0)
    model = factory()
    x = torch.rand(2, 3, h, w)
    before = x.clone()
    y = model(x)
    assert y.shape == ((2, 1, h, w) if name == "unet" else (2, 1))
    assert torch.isfinite(y).all() and torch.equal(x, before)
    y.square().mean().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("name", TINY)
def test_rebuild_from_hparams(name: str) -> None:
    factory, (h, w) = TINY[name]
    model = factory().eval()
    rebuilt = type(model)(**model.hparams).eval()  # type: ignore[arg-type]
    rebuilt.load_state_dict(model.state_dict(), strict=True)
    x = torch.rand(1, 3, h, w)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), model(x))


def test_full_size_inputs() -> None:
    (srgan, _), (vgg, _), (unet, _) = DISCRIMINATORS
    torch.manual_seed(0)
    assert srgan().eval()(torch.rand(1, 3, 96, 96)).shape == (1, 1)
    assert vgg().eval()(torch.rand(1, 3, 128, 128)).shape == (1, 1)
    assert unet().eval()(torch.rand(1, 3, 16, 16)).shape == (1, 1, 16, 16)


def test_wrong_sizes_raise() -> None:
    with pytest.raises(SrkitError, match="96, 96"):
        srgan_discriminator()(torch.rand(1, 3, 64, 64))
    with pytest.raises(SrkitError, match="32, 32"):
        VGGStyleDiscriminator(n_feats=4, input_size=32)(torch.rand(1, 3, 32, 16))
    with pytest.raises(SrkitError, match="multiples of 8"):
        UNetDiscriminatorSN(n_feats=4)(torch.rand(1, 3, 12, 16))
    with pytest.raises(SrkitError):
        VGGStyleDiscriminator(input_size=100)
    with pytest.raises(SrkitError):
        SRGANDiscriminator(input_size=40)


@pytest.mark.parametrize("index", range(3))
def test_builders_refuse_a_scale(index: int) -> None:
    builder, _ = DISCRIMINATORS[index]
    with pytest.raises(SrkitError, match="scale must be 1"):
        builder(scale=4)


def test_srgan_layout() -> None:
    model = SRGANDiscriminator()
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.stride[0]) for c in convs] == [
        (64, 1),
        (64, 2),
        (128, 1),
        (128, 2),
        (256, 1),
        (256, 2),
        (512, 1),
        (512, 2),
    ]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.features) == 7
    assert model.classifier[1].in_features == 512 * 6 * 6 and model.classifier[1].out_features == 1024


def test_vgg_basicsr_keys() -> None:
    with torch.device("meta"):
        state = VGGStyleDiscriminator().state_dict()
        state256 = VGGStyleDiscriminator(input_size=256).state_dict()
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    assert shapes["conv0_0.weight"] == (64, 3, 3, 3) and "conv0_0.bias" in shapes
    assert shapes["conv0_1.weight"] == (64, 64, 4, 4) and "conv0_1.bias" not in shapes
    assert shapes["conv3_0.weight"] == (512, 256, 3, 3) and shapes["bn4_1.running_var"] == (512,)
    assert shapes["linear1.weight"] == (100, 512 * 4 * 4) and shapes["linear2.weight"] == (1, 100)
    assert "conv5_0.weight" not in shapes and "conv5_1.weight" in state256


def test_unet_real_esrgan_keys() -> None:
    with torch.device("meta"):
        state = UNetDiscriminatorSN().state_dict()
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    assert shapes["conv0.weight"] == (64, 3, 3, 3) and "conv0.bias" in shapes
    assert shapes["conv1.weight_orig"] == (128, 64, 4, 4) and shapes["conv1.weight_u"] == (128,)
    assert shapes["conv3.weight_v"] == (256 * 4 * 4,)
    assert shapes["conv4.weight_orig"] == (256, 512, 3, 3) and shapes["conv8.weight_orig"] == (64, 64, 3, 3)
    assert shapes["conv9.weight"] == (1, 64, 3, 3) and "conv9.bias" in shapes
    assert not any(k.startswith(("conv1.bias", "conv8.bias")) for k in shapes)
