"""Feature networks (VGG19 from a synthetic torchvision-shaped file, srkit's fixed random features), content and
texture losses, Gram matrices."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit.losses import (
    VGG19_LAYERS,
    PerceptualLoss,
    SRKitFeatures,
    TextureLoss,
    VGG19Features,
    gram_matrix,
    perceptual_loss,
    texture_loss,
)

VGG19_CONVS = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]


def image(seed: int = 0, size: int = 16, batch: int = 2) -> torch.Tensor:
    """Edges and texture: a few sinusoids plus noise, in [0, 1]."""
    gen = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    base = 0.5 + 0.2 * torch.sin(xx / 1.5) * torch.cos(yy / 2.5)
    noise = 0.2 * torch.rand(batch, 3, size, size, generator=gen)
    return (base + noise).clamp(0, 1)


def blur(x: torch.Tensor, k: int = 5) -> torch.Tensor:
    return F.avg_pool2d(F.pad(x, [k // 2] * 4, mode="replicate"), k, stride=1)


@pytest.fixture(scope="module")
def vgg_state() -> dict[str, torch.Tensor]:
    """A state dict with torchvision's exact VGG19 key names and shapes (He-scaled random values)."""
    gen = torch.Generator().manual_seed(0)
    state: dict[str, torch.Tensor] = {}
    channels = 3
    widths = [64] * 2 + [128] * 2 + [256] * 4 + [512] * 8
    for i, out in zip(VGG19_CONVS, widths, strict=True):
        state[f"features.{i}.weight"] = torch.randn(out, channels, 3, 3, generator=gen) * (2 / (9 * channels)) ** 0.5
        state[f"features.{i}.bias"] = 0.01 * torch.randn(out, generator=gen)
        channels = out
    state["classifier.6.bias"] = torch.zeros(1000)  # classifier keys are ignored
    return state


@pytest.fixture(scope="module")
def vgg_file(vgg_state: dict[str, torch.Tensor], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vgg") / "vgg19-dcbbc4f6.pth"
    torch.save(vgg_state, path)
    return path


def test_vgg19_layer_names_follow_torchvision_indices() -> None:
    assert len(VGG19_LAYERS) == 37
    expected = {"conv1_1": 0, "relu1_1": 1, "relu2_2": 8, "relu3_4": 17, "conv5_4": 34, "relu5_4": 35, "pool5": 36}
    assert {name: VGG19_LAYERS.index(name) for name in expected} == expected
    assert [VGG19_LAYERS.index(n) for n in VGG19_LAYERS if n.startswith("conv")] == VGG19_CONVS


def test_vgg19_loads_a_torchvision_state_dict(vgg_state: dict[str, torch.Tensor], vgg_file: Path) -> None:
    net = VGG19Features(layers=["relu5_4", "relu1_1", "conv5_4"], weights=vgg_file)
    assert net.layers == ("relu1_1", "conv5_4", "relu5_4") and len(net.body) == 36  # built up to relu5_4
    for i in VGG19_CONVS:
        conv = net.body[i]
        assert isinstance(conv, nn.Conv2d)
        assert torch.equal(conv.weight, vgg_state[f"features.{i}.weight"])
    assert all(not p.requires_grad for p in net.parameters())
    x = image(size=16, batch=1).requires_grad_(True)
    out = net(x)
    assert out["relu1_1"].shape == (1, 64, 16, 16) and out["conv5_4"].shape == (1, 512, 1, 1)
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    normalised = (x - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
    w0, b0 = vgg_state["features.0.weight"], vgg_state["features.0.bias"]
    torch.testing.assert_close(out["relu1_1"], F.relu(F.conv2d(normalised, w0, b0, padding=1)))
    assert (out["conv5_4"] < 0).any()  # before the activation, as ESRGAN uses it
    torch.testing.assert_close(out["relu5_4"], F.relu(out["conv5_4"]))
    out["conv5_4"].sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def constant_vgg_state(prefix: str = "features.") -> dict[str, torch.Tensor]:
    """Torchvision's VGG19 keys and shapes, each tensor the constant ``i`` as a 1-element expanded view (a tiny
    file: only the storage is saved)."""
    state: dict[str, torch.Tensor] = {}
    channels = 3
    widths = [64] * 2 + [128] * 2 + [256] * 4 + [512] * 8
    for i, out in zip(VGG19_CONVS, widths, strict=True):
        state[f"{prefix}{i}.weight"] = torch.full((1, 1, 1, 1), float(i)).expand(out, channels, 3, 3)
        state[f"{prefix}{i}.bias"] = torch.full((1,), float(i)).expand(out)
        channels = out
    return state


def test_vgg19_accepts_a_features_only_state_dict(tmp_path: Path) -> None:
    torch.save(constant_vgg_state(prefix=""), tmp_path / "features.pth")
    net = VGG19Features(layers=["relu2_2"], weights=tmp_path / "features.pth")
    assert len(net.body) == 9
    conv = net.body[7]
    assert isinstance(conv, nn.Conv2d) and (conv.weight == 7).all() and conv.bias is not None and (conv.bias == 7).all()


def test_vgg19_bad_files_name_the_expected_keys(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match=r"not found.*does not download"):
        VGG19Features(weights=tmp_path / "absent.pth")
    state = constant_vgg_state()
    vgg16_like = {k: v for k, v in state.items() if not k.startswith("features.34.")}
    torch.save(vgg16_like, tmp_path / "vgg16.pth")
    with pytest.raises(SrkitError, match=r"missing features\.34\.weight.*expected keys features\.\{i\}\.weight"):
        VGG19Features(weights=tmp_path / "vgg16.pth")
    wrong = dict(state, **{"features.0.weight": torch.zeros(64, 3, 5, 5)})
    torch.save(wrong, tmp_path / "wrong.pth")
    with pytest.raises(SrkitError, match=r"features\.0\.weight has shape \(64, 3, 5, 5\), expected \(64, 3, 3, 3\)"):
        VGG19Features(layers=["relu1_1"], weights=tmp_path / "wrong.pth")
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(SrkitError, match=r"missing 0\.weight; missing 0\.bias; missing 2\.weight \(and 29 more\)"):
        VGG19Features(weights=tmp_path / "other.pth")
    torch.save(torch.zeros(3), tmp_path / "tensor.pth")
    with pytest.raises(SrkitError, match="does not hold a state dict"):
        VGG19Features(weights=tmp_path / "tensor.pth")
    (tmp_path / "garbage.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(SrkitError, match="cannot read VGG19 weights"):
        VGG19Features(weights=tmp_path / "garbage.pth")


def test_bad_layer_names_and_inputs() -> None:
    with pytest.raises(SrkitError, match="unknown layer 'relu6_1'; choose from conv1_1"):
        VGG19Features(layers=["relu6_1"])
    with pytest.raises(SrkitError, match="unknown layer 'relu5'"):
        SRKitFeatures(layers=["relu1", "relu5"])
    with pytest.raises(SrkitError, match="non-empty sequence"):
        SRKitFeatures(layers="relu1")
    with pytest.raises(SrkitError, match=r"takes \(B, 3, H, W\)"):
        SRKitFeatures(layers=["relu1"])(torch.rand(1, 1, 8, 8))


def test_srkit_features_are_deterministic_and_pinned() -> None:
    a, b = SRKitFeatures(), SRKitFeatures()
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    other = SRKitFeatures(seed=1).state_dict()
    assert not torch.equal(sa["body.0.weight"], other["body.0.weight"])
    # Golden values: a change here changes what the fallback loss measures.
    torch.testing.assert_close(
        sa["body.0.weight"].flatten()[:3], torch.tensor([-0.3064148128, -0.3136327267, -0.0681988522])
    )
    assert sa["body.0.weight"].double().sum().item() == pytest.approx(8.882262178, abs=1e-5)
    assert sa["body.9.weight"].double().sum().item() == pytest.approx(-45.221151206, abs=1e-4)
    assert all(not p.requires_grad for p in a.parameters())
    x = image()
    torch.testing.assert_close(a(x)["relu3"], b(x)["relu3"])


def test_perceptual_loss_zero_on_itself_positive_on_blur_and_grows_with_blur() -> None:
    loss = PerceptualLoss(layers={"relu1": 1.0, "relu2": 1.0, "relu3": 1.0, "relu4": 1.0})
    x = image()
    assert loss(x, x.clone()).item() == 0.0
    mild, strong = loss(blur(x, 3), x).item(), loss(blur(x, 7), x).item()
    assert 0 < mild < strong


def test_perceptual_loss_gradients_weights_and_reductions() -> None:
    net = SRKitFeatures(layers=["relu1", "relu3"])
    x, y = image(0), image(1)
    pred = x.clone().requires_grad_(True)
    value = perceptual_loss(pred, y, feature_net=net, layers={"relu1": 1.0, "relu3": 0.5})
    value.backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0
    one = perceptual_loss(x, y, feature_net=net, layers={"relu1": 1.0})
    torch.testing.assert_close(perceptual_loss(x, y, feature_net=net, layers={"relu1": 2.0}), 2 * one)
    per_sample = perceptual_loss(x, y, feature_net=net, layers={"relu1": 1.0, "relu3": 0.5}, reduction="none")
    assert per_sample.shape == (2,)
    torch.testing.assert_close(per_sample.mean(), value.detach())
    fx, fy = net(x)["relu3"], net(y)["relu3"]
    l2 = perceptual_loss(x, y, feature_net=net, layers={"relu3": 1.0}, criterion="l2")
    torch.testing.assert_close(l2, (fx - fy).square().mean())


def test_perceptual_target_is_detached_unless_asked() -> None:
    net = SRKitFeatures(layers=["relu2"])
    pred, target = image(0).requires_grad_(True), image(1).requires_grad_(True)
    perceptual_loss(pred, target, feature_net=net, layers={"relu2": 1.0}).backward()
    assert target.grad is None
    perceptual_loss(pred, target, feature_net=net, layers={"relu2": 1.0}, detach_target=False).backward()
    assert target.grad is not None and target.grad.abs().sum() > 0


def test_perceptual_module_equals_function_with_vgg19(vgg_file: Path) -> None:
    net = VGG19Features(layers=["relu2_2", "conv5_4"], weights=vgg_file)
    module = PerceptualLoss(layers={"conv5_4": 1.0, "relu2_2": 0.1}, criterion="charbonnier", feature_net=net)
    x, y = image(0, size=16, batch=1), image(1, size=16, batch=1)
    expected = perceptual_loss(x, y, feature_net=net, layers={"conv5_4": 1.0, "relu2_2": 0.1}, criterion="charbonnier")
    torch.testing.assert_close(module(x, y), expected)
    eps = 1e-3 * (1.0 + 0.1)  # Charbonnier is eps where the features agree
    assert module(x, x).item() == pytest.approx(eps) and module(blur(x), x).item() > eps


def test_perceptual_errors() -> None:
    net = SRKitFeatures(layers=["relu1"])
    x = image()
    with pytest.raises(SrkitError, match="layer 'relu2' is not among the feature network's layers"):
        perceptual_loss(x, x, feature_net=net, layers={"relu2": 1.0})
    with pytest.raises(SrkitError, match="layer 'relu2' is not among"):
        PerceptualLoss(layers={"relu2": 1.0}, feature_net=net)
    with pytest.raises(SrkitError, match="unknown layer 'relu5_4'"):
        PerceptualLoss(layers={"relu5_4": 1.0})  # the default network is SRKitFeatures
    with pytest.raises(SrkitError, match="same shape"):
        perceptual_loss(x, x[..., :8], feature_net=net, layers={"relu1": 1.0})
    with pytest.raises(SrkitError, match=r"must have shape \(B, C, H, W\)"):
        perceptual_loss(x[0], x[0], feature_net=net, layers={"relu1": 1.0})
    with pytest.raises(SrkitError, match="unknown criterion 'l0'"):
        PerceptualLoss(layers={"relu1": 1.0}, criterion="l0")
    with pytest.raises(SrkitError, match="unknown reduction 'sum'; choose one of mean, none"):
        perceptual_loss(x, x, feature_net=net, layers={"relu1": 1.0}, reduction="sum")
    with pytest.raises(SrkitError, match="non-empty mapping"):
        PerceptualLoss(layers={})
    with pytest.raises(SrkitError, match="must be a srkit FeatureNetwork"):
        perceptual_loss(x, x, feature_net=nn.Identity(), layers={"relu1": 1.0})  # type: ignore[arg-type]


def test_gram_of_known_feature_maps() -> None:
    f = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    assert gram_matrix(f).item() == pytest.approx(30 / 4)
    two = torch.stack([torch.ones(2, 2), torch.tensor([[1.0, 2.0], [3.0, 4.0]])])[None]
    torch.testing.assert_close(gram_matrix(two), torch.tensor([[[4.0, 10.0], [10.0, 30.0]]]) / 8)


def test_gram_global_ignores_positions_patchwise_does_not() -> None:
    f = torch.rand(2, 4, 6, 6, generator=torch.Generator().manual_seed(0))
    perm = torch.randperm(36, generator=torch.Generator().manual_seed(1))
    shuffled = f.flatten(2)[..., perm].reshape(f.shape)
    torch.testing.assert_close(gram_matrix(shuffled), gram_matrix(f))
    assert not torch.allclose(gram_matrix(shuffled, patch_size=3), gram_matrix(f, patch_size=3))


def test_patch_gram_shapes_values_and_remainder() -> None:
    f = torch.rand(1, 3, 5, 7, generator=torch.Generator().manual_seed(0))
    g = gram_matrix(f, patch_size=2)
    assert g.shape == (1, 6, 3, 3)  # 2 x 3 patches; the last row and column are left out
    torch.testing.assert_close(g[0, 4], gram_matrix(f[..., 2:4, 2:4])[0])  # row 1, column 1
    torch.testing.assert_close(gram_matrix(f, patch_size=5)[:, 0], gram_matrix(f[..., :5, :5]))
    with pytest.raises(SrkitError, match=r"patch_size must be an integer in \[1, 5\]"):
        gram_matrix(f, patch_size=6)
    with pytest.raises(SrkitError, match="patch_size"):
        gram_matrix(f, patch_size=0)


def test_texture_loss_measures_statistics_not_positions() -> None:
    layers = {"relu1": 1.0, "relu2": 1.0}
    tex, per = TextureLoss(layers=layers), PerceptualLoss(layers=layers)
    x = image()
    shifted = torch.roll(x, shifts=(5, 7), dims=(2, 3))
    assert tex(x, x.clone()).item() == 0.0 and tex(blur(x), x).item() > 0
    # A shift changes every feature (content) but hardly their correlations (texture); a blur changes both.
    assert tex(shifted, x) < 0.2 * tex(blur(x), x)
    assert per(shifted, x) > per(blur(x), x)


def test_texture_patch_of_image_size_equals_global_and_module_equals_function() -> None:
    net = SRKitFeatures(layers=["relu1", "relu2"])
    layers = {"relu1": 1.0, "relu2": 0.5}
    x, y = image(0), image(1)
    whole = texture_loss(x, y, feature_net=net, layers=layers)
    torch.testing.assert_close(texture_loss(x, y, feature_net=net, layers=layers, patch_size=16), whole)
    patched = texture_loss(x, y, feature_net=net, layers=layers, patch_size=4)
    assert patched.item() != pytest.approx(whole.item())
    module = TextureLoss(layers=layers, patch_size=4, feature_net=net)
    torch.testing.assert_close(module(x, y), patched)
    per_sample = texture_loss(x, y, feature_net=net, layers=layers, patch_size=4, reduction="none")
    assert per_sample.shape == (2,)
    torch.testing.assert_close(per_sample.mean(), patched)
    pred = x.clone().requires_grad_(True)
    texture_loss(pred, y, feature_net=net, layers=layers, patch_size=8, criterion="l1").backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


def test_texture_errors() -> None:
    with pytest.raises(SrkitError, match="patch_size must be an integer >= 1 or None"):
        TextureLoss(layers={"relu1": 1.0}, patch_size=0)
    net = SRKitFeatures(layers=["relu1"])
    x = image()
    with pytest.raises(SrkitError, match="patch_size must be an integer >= 1 or None"):
        texture_loss(x, x, feature_net=net, layers={"relu1": 1.0}, patch_size=2.5)  # type: ignore[arg-type]
    with pytest.raises(SrkitError, match="layer 'relu3' is not among"):
        texture_loss(x, x, feature_net=net, layers={"relu3": 1.0})
