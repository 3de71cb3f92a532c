"""Official checkpoint layouts, synthetically: for each zoo model with a widely used release, a state dict with
exactly the official names and shapes (a small configuration, random values) goes through its ``Detection``
(``convert`` then ``detect``) into a strict load of srkit's model, which then runs; no detection claims another
architecture's state dict; where a conversion changes numbers (zero biases, per-channel PReLU slopes, the [0, 255]
range folded into the first and last convolutions) the loaded model computes what the original network computes.

The layouts follow the official code: SwinIR (JingyunLiang/SwinIR ``models/network_swinir.py``), D-DBPN
(alterzero/DBPN-Pytorch ``dbpn.py`` + ``base_networks.py``), SRFBN (Paper99/SRFBN_CVPR19 ``networks/srfbn_arch.py``
+ ``blocks.py``), MSRN (MIVRC/MSRN-PyTorch ``MSRN/Train/model/msrn.py``), ESRGAN (xinntao/ESRGAN
``RRDBNet_arch.py`` and the first release's ``architecture.py``/``block.py``), VDSR and LapSRN (twtygqyy),
DRRN (jt827859032/DRRN-pytorch, yjn870/DRRN-pytorch), SRResNet (Lornatang/SRGAN-PyTorch ``model.py``, both namings).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import torch
import torch.nn.functional as F

import srkit
from srkit import SrkitError, archs
from srkit.archs import DETECTIONS, MODELS, Detection, build_model, load_state
from srkit.blocks._build import accepts
from srkit.blocks.common import RGB_MEAN
from srkit.frameworks.base import interpolate

State = dict[str, torch.Tensor]


pytestmark = pytest.mark.usefixtures("one_thread")


# ---------------------------------------------------------------------------------------------- official layouts
class _Layout:
    """Collects ``name -> random tensor`` with the shapes of PyTorch layers (small values: deep random nets stay
    finite)."""

    def __init__(self, seed: int = 0) -> None:
        self.state: State = {}
        self.gen = torch.Generator().manual_seed(seed)

    def t(self, name: str, *shape: int, scale: float = 0.05) -> None:
        self.state[name] = torch.randn(*shape, generator=self.gen) * scale

    def conv(self, name: str, out: int, inp: int, k: int, bias: bool = True) -> None:
        self.t(f"{name}.weight", out, inp, k, k, scale=1.0 / (inp * k * k) ** 0.5)
        if bias:
            self.t(f"{name}.bias", out)

    def deconv(self, name: str, inp: int, out: int, k: int, bias: bool = True) -> None:
        self.t(f"{name}.weight", inp, out, k, k, scale=1.0 / (inp * k) ** 0.5)
        if bias:
            self.t(f"{name}.bias", out)

    def linear(self, name: str, out: int, inp: int) -> None:
        self.t(f"{name}.weight", out, inp)
        self.t(f"{name}.bias", out)

    def prelu(self, name: str, n: int = 1) -> None:
        self.state[f"{name}.weight"] = torch.full((n,), 0.25)

    def norm(self, name: str, n: int, batch: bool = False) -> None:
        self.state[f"{name}.weight"] = 1 + torch.randn(n, generator=self.gen) * 0.05
        self.t(f"{name}.bias", n)
        if batch:
            self.t(f"{name}.running_mean", n)
            self.state[f"{name}.running_var"] = 0.5 + torch.rand(n, generator=self.gen)
            self.state[f"{name}.num_batches_tracked"] = torch.tensor(7)

    def mean_shift(self, name: str, sign: int, pixel_range: float = 255.0) -> None:
        self.state[f"{name}.weight"] = torch.eye(3).view(3, 3, 1, 1)
        self.state[f"{name}.bias"] = sign * pixel_range * torch.tensor(RGB_MEAN)


def _official_relative_index(ws: int) -> torch.Tensor:
    """The index as the official WindowAttention computes it (independently of srkit's)."""
    coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += ws - 1
    rel[:, :, 1] += ws - 1
    rel[:, :, 0] *= 2 * ws - 1
    return rel.sum(-1)


def swinir_official(scale: int = 2, light: bool = False, buffers: bool = True, dim: int = 12, ws: int = 4) -> State:
    """SwinIR (embed 12, depths (2, 2), heads (2, 3), window 4, MLP ratio 2), trained on 8x8 patches (2x2 windows)."""
    lay = _Layout(1)
    lay.conv("conv_first", dim, 3, 3)
    lay.norm("patch_embed.norm", dim)
    for i, heads in enumerate((2, 3)):
        for j in range(2):
            b = f"layers.{i}.residual_group.blocks.{j}"
            lay.norm(f"{b}.norm1", dim)
            lay.t(f"{b}.attn.relative_position_bias_table", (2 * ws - 1) ** 2, heads)
            lay.linear(f"{b}.attn.qkv", 3 * dim, dim)
            lay.linear(f"{b}.attn.proj", dim, dim)
            lay.norm(f"{b}.norm2", dim)
            lay.linear(f"{b}.mlp.fc1", 2 * dim, dim)
            lay.linear(f"{b}.mlp.fc2", dim, 2 * dim)
            if buffers:
                lay.state[f"{b}.attn.relative_position_index"] = _official_relative_index(ws)
                if j % 2:
                    lay.state[f"{b}.attn_mask"] = torch.zeros(4, ws * ws, ws * ws)
        lay.conv(f"layers.{i}.conv", dim, dim, 3)
    lay.norm("norm", dim)
    lay.conv("conv_after_body", dim, dim, 3)
    if light:
        lay.conv("upsample.0", 3 * scale * scale, dim, 3)
    else:
        lay.conv("conv_before_upsample.0", 64, dim, 3)
        for i, step in enumerate([3] if scale == 3 else [2] * (scale.bit_length() - 1)):
            lay.conv(f"upsample.{2 * i}", step * step * 64, 64, 3)
        lay.conv("conv_last", 3, 64, 3)
    return lay.state


def dbpn_official(scale: int = 2, n_stages: int = 3, nf: int = 8, feat: int = 16) -> State:
    """D-DBPN (dbpn.py's Net; T = 3 here, 7 in dbpn.py, 10 in dbpn_v1.py), every ConvBlock/DeconvBlock with PReLU."""
    k = {2: 6, 4: 8, 8: 12}[scale]
    lay = _Layout(2)

    def block(name: str, out: int, inp: int, ks: int, kind: str = "conv") -> None:  # ConvBlock/DeconvBlock
        (lay.conv if kind == "conv" else lay.deconv)(f"{name}.{kind}", out, inp, ks)  # square: in/out order moot
        lay.prelu(f"{name}.act")

    block("feat0", feat, 3, 3)
    block("feat1", nf, feat, 1)
    for t in range(1, n_stages + 1):  # up1, up2: UpBlock; up3...: D_UpBlock with a 1x1 ConvBlock "conv" first
        if t >= 3:
            block(f"up{t}.conv", nf, (t - 1) * nf, 1)
        for sub, kind in (("up_conv1", "deconv"), ("up_conv2", "conv"), ("up_conv3", "deconv")):
            block(f"up{t}.{sub}", nf, nf, k, kind)
    for t in range(1, n_stages):  # down1: DownBlock; down2...: D_DownBlock
        if t >= 2:
            block(f"down{t}.conv", nf, t * nf, 1)
        for sub, kind in (("down_conv1", "conv"), ("down_conv2", "deconv"), ("down_conv3", "conv")):
            block(f"down{t}.{sub}", nf, nf, k, kind)
    lay.conv("output_conv.conv", 3, n_stages * nf, 3)
    return lay.state


def srfbn_official(scale: int = 3, m: int = 8, groups: int = 2) -> State:
    """SRFBN (srfbn_arch.py; m = 8, G = 2): ConvBlock/DeconvBlock are nn.Sequential(conv, PReLU)."""
    k = {2: 6, 3: 7, 4: 8, 8: 12}[scale]
    lay = _Layout(3)
    lay.mean_shift("sub_mean", -1)
    lay.mean_shift("add_mean", +1)
    for name, out, inp, ks in (("conv_in", 4 * m, 3, 3), ("feat_in", m, 4 * m, 1), ("block.compress_in", m, 2 * m, 1)):
        lay.conv(f"{name}.0", out, inp, ks)
        lay.prelu(f"{name}.1")
    for i in range(groups):
        lay.deconv(f"block.upBlocks.{i}.0", m, m, k)
        lay.prelu(f"block.upBlocks.{i}.1")
        lay.conv(f"block.downBlocks.{i}.0", m, m, k)
        lay.prelu(f"block.downBlocks.{i}.1")
        if i > 0:
            for name in ("uptranBlocks", "downtranBlocks"):
                lay.conv(f"block.{name}.{i - 1}.0", m, m * (i + 1), 1)
                lay.prelu(f"block.{name}.{i - 1}.1")
    lay.conv("block.compress_out.0", m, groups * m, 1)
    lay.prelu("block.compress_out.1")
    lay.deconv("out.0", m, m, k)
    lay.prelu("out.1")
    lay.conv("conv_out.0", 3, m, 3)
    return lay.state


def msrn_official(scale: int = 4, nf: int = 8, n_blocks: int = 2) -> State:
    """MSRN (msrn.py; 8 features, 2 MSRBs), EDSR-PyTorch mean shifts for pixel_range 255."""
    lay = _Layout(4)
    lay.mean_shift("sub_mean", -1)
    lay.mean_shift("add_mean", +1)
    lay.conv("head.0", nf, 3, 3)
    for i in range(n_blocks):
        lay.conv(f"body.{i}.conv_3_1", nf, nf, 3)
        lay.conv(f"body.{i}.conv_3_2", 2 * nf, 2 * nf, 3)
        lay.conv(f"body.{i}.conv_5_1", nf, nf, 5)
        lay.conv(f"body.{i}.conv_5_2", 2 * nf, 2 * nf, 5)
        lay.conv(f"body.{i}.confusion", nf, 4 * nf, 1)
    lay.conv("tail.0", nf, (n_blocks + 1) * nf, 1)
    lay.conv("tail.1", nf, nf, 3)
    for i, step in enumerate([3] if scale == 3 else [2] * (scale.bit_length() - 1)):
        lay.conv(f"tail.2.{2 * i}", step * step * nf, nf, 3)
    lay.conv("tail.3", 3, nf, 3)
    return lay.state


def _rrdb_convs(lay: _Layout, name: Callable[[int, int, int], str], n_blocks: int, nf: int, gc: int) -> None:
    for i in range(n_blocks):
        for k in (1, 2, 3):
            for m in range(1, 6):
                lay.conv(name(i, k, m), nf if m == 5 else gc, nf + (m - 1) * gc, 3)


def esrgan_official(nf: int = 8, n_blocks: int = 2, gc: int = 4) -> State:
    """xinntao/ESRGAN RRDBNet_arch.py (RRDB_ESRGAN_x4.pth layout)."""
    lay = _Layout(5)
    lay.conv("conv_first", nf, 3, 3)
    _rrdb_convs(lay, lambda i, k, m: f"RRDB_trunk.{i}.RDB{k}.conv{m}", n_blocks, nf, gc)
    for name in ("trunk_conv", "upconv1", "upconv2", "HRconv"):
        lay.conv(name, nf, nf, 3)
    lay.conv("conv_last", 3, nf, 3)
    return lay.state


def esrgan_old(nf: int = 8, n_blocks: int = 2, gc: int = 4, upconvs: tuple[int, ...] = (3, 6)) -> State:
    """The first release (architecture.py: one flattened nn.Sequential ``model``), x4: upconvs at 3 and 6."""
    lay = _Layout(6)
    lay.conv("model.0", nf, 3, 3)
    _rrdb_convs(lay, lambda i, k, m: f"model.1.sub.{i}.RDB{k}.conv{m}.0", n_blocks, nf, gc)
    lay.conv(f"model.1.sub.{n_blocks}", nf, nf, 3)
    for index in upconvs:
        lay.conv(f"model.{index}", nf, nf, 3)
    hr = upconvs[-1] + 2
    lay.conv(f"model.{hr}", nf, nf, 3)
    lay.conv(f"model.{hr + 2}", 3, nf, 3)
    return lay.state


def vdsr_official(nf: int = 8, n_layers: int = 5) -> State:
    """twtygqyy/pytorch-vdsr: bias-free ``input``, ``residual_layer.{i}.conv``, ``output`` (18 middle layers there)."""
    lay = _Layout(7)
    lay.conv("input", nf, 1, 3, bias=False)
    for i in range(n_layers - 2):
        lay.conv(f"residual_layer.{i}.conv", nf, nf, 3, bias=False)
    lay.conv("output", 1, nf, 3, bias=False)
    return lay.state


def vdsr_features(nf: int = 8, n_layers: int = 4) -> State:
    """twtygqyy/pytorch-vdsr's first layout: one nn.Sequential ``features`` (convolutions at even indices)."""
    lay = _Layout(12)
    for i in range(n_layers):
        lay.conv(f"features.{2 * i}", 1 if i == n_layers - 1 else nf, 1 if i == 0 else nf, 3, bias=False)
    return lay.state


def drrn_jt(nf: int = 8) -> State:
    """jt827859032/DRRN-pytorch (B1U25; 128 filters there): four bias-free convolutions."""
    lay = _Layout(8)
    lay.conv("input", nf, 1, 3, bias=False)
    lay.conv("conv1", nf, nf, 3, bias=False)
    lay.conv("conv2", nf, nf, 3, bias=False)
    lay.conv("output", 1, nf, 3, bias=False)
    return lay.state


def drrn_yjn(nf: int = 8, n_blocks: int = 2) -> State:
    """yjn870/DRRN-pytorch: ConvLayer = Sequential(ReLU, bias-free conv), so every weight is ``module.1``."""
    lay = _Layout(9)
    for b in range(n_blocks):
        lay.conv(f"rbs.{b}.h0.module.1", nf, 1 if b == 0 else nf, 3, bias=False)
        lay.conv(f"rbs.{b}.ru.module.0.module.1", nf, nf, 3, bias=False)
        lay.conv(f"rbs.{b}.ru.module.1.module.1", nf, nf, 3, bias=False)
    lay.conv("rec.module.1", 1, nf, 3, bias=False)
    return lay.state


def lapsrn_official(nf: int = 8, depth: int = 2, levels: int = 2) -> State:
    """twtygqyy/pytorch-LapSRN (x4; 64 filters and d = 10 there): bias-free, 4x4 feature transposed convolution."""
    lay = _Layout(10)
    lay.conv("conv_input", nf, 1, 3, bias=False)
    for k in range(1, levels + 1):
        lay.deconv(f"convt_I{k}", 1, 1, 4, bias=False)
        lay.conv(f"convt_R{k}", 1, nf, 3, bias=False)
        for j in range(depth):
            lay.conv(f"convt_F{k}.0.cov_block.{2 * j}", nf, nf, 3, bias=False)
        lay.deconv(f"convt_F{k}.0.cov_block.{2 * depth}", nf, nf, 4, bias=False)
    return lay.state


def srresnet_lornatang(names: tuple[str, str, str] = ("conv_block1", "conv_block2", "conv_block3")) -> State:
    """Lornatang/SRGAN-PyTorch SRResNet x4 (8 features, 2 blocks), one-slope PReLUs; the newer naming is conv1/2/3."""
    nf, lay = 8, _Layout(11)
    first, mid, last = names
    lay.conv(f"{first}.0", nf, 3, 9)
    lay.prelu(f"{first}.1")
    for i in range(2):
        lay.conv(f"trunk.{i}.rcb.0", nf, nf, 3, bias=False)
        lay.norm(f"trunk.{i}.rcb.1", nf, batch=True)
        lay.prelu(f"trunk.{i}.rcb.2")
        lay.conv(f"trunk.{i}.rcb.3", nf, nf, 3, bias=False)
        lay.norm(f"trunk.{i}.rcb.4", nf, batch=True)
    lay.conv(f"{mid}.0", nf, nf, 3, bias=False)
    lay.norm(f"{mid}.1", nf, batch=True)
    for j in range(2):
        lay.conv(f"upsampling.{j}.upsample_block.0", 4 * nf, nf, 3)
        lay.prelu(f"upsampling.{j}.upsample_block.2")
    lay.conv(last, 3, nf, 9)
    return lay.state


class Case(NamedTuple):
    make: Callable[[], State]  # the official state dict
    arch: str  # the Detection that should claim it
    name: str  # the registry name it should build
    scale: int | None  # scale to build when detect gives none (one network for every scale)
    expected: dict[str, Any]  # a part of detect's answer


CASES = {
    "swinir_x2": Case(swinir_official, "swinir", "swinir", None, {"scale": 2, "depths": (2, 2), "n_heads": (2, 3)}),
    "swinir_x3_no_buffers": Case(
        lambda: swinir_official(3, buffers=False), "swinir", "swinir", None, {"scale": 3, "window_size": 4}
    ),
    "swinir_x8": Case(lambda: swinir_official(8), "swinir", "swinir", None, {"scale": 8, "mlp_ratio": 2.0}),
    "swinir_light_x4": Case(
        lambda: swinir_official(4, light=True), "swinir", "swinir_light", None, {"upsampler": "pixelshuffledirect"}
    ),
    "ddbpn_x2": Case(dbpn_official, "ddbpn", "ddbpn", None, {"scale": 2, "n_stages": 3, "n_init_feats": 16}),
    "ddbpn_x8": Case(lambda: dbpn_official(8, n_stages=2), "ddbpn", "ddbpn", None, {"scale": 8, "n_stages": 2}),
    "srfbn_x3": Case(srfbn_official, "srfbn", "srfbn", None, {"scale": 3, "n_feats": 8, "n_groups": 2}),
    "msrn_x4": Case(msrn_official, "msrn", "msrn", None, {"scale": 4, "n_feats": 8, "n_blocks": 2}),
    "msrn_x3": Case(lambda: msrn_official(3), "msrn", "msrn", None, {"scale": 3}),
    "esrgan": Case(esrgan_official, "rrdbnet", "rrdbnet", None, {"scale": 4, "n_blocks": 2, "growth": 4}),
    "esrgan_old_arch": Case(esrgan_old, "rrdbnet", "rrdbnet", None, {"scale": 4, "n_feats": 8, "n_blocks": 2}),
    "vdsr_twtygqyy": Case(vdsr_official, "vdsr", "vdsr", 3, {"in_channels": 1, "n_feats": 8, "n_layers": 5}),
    "vdsr_twtygqyy_features": Case(vdsr_features, "vdsr", "vdsr", 2, {"n_feats": 8, "n_layers": 4}),
    "drrn_jt827859032": Case(drrn_jt, "drrn_b1u25", "drrn_b1u25", 2, {"n_feats": 8, "n_blocks": 1, "bn": False}),
    "drrn_yjn870": Case(drrn_yjn, "drrn_b1u9", "drrn_b1u9", 4, {"n_feats": 8, "n_blocks": 2, "bn": False}),
    "lapsrn_twtygqyy": Case(lapsrn_official, "lapsrn", "lapsrn", None, {"scale": 4, "depth": 2, "up_kernel_size": 4}),
    "srresnet_lornatang": Case(srresnet_lornatang, "srresnet", "srresnet", None, {"scale": 4, "n_blocks": 2}),
    "srresnet_lornatang_new": Case(
        lambda: srresnet_lornatang(("conv1", "conv2", "conv3")), "srresnet", "srresnet", None, {"n_feats": 8}
    ),
}


def _detection(arch: str) -> Detection:
    return next(d for d in DETECTIONS if d.arch == arch)


def _load(case: str) -> tuple[torch.nn.Module, State, dict[str, Any], int]:
    make, arch, name, scale, expected = CASES[case]
    d = _detection(arch)
    assert d.convert is not None
    converted = d.convert(make())
    kwargs = d.detect(converted)
    assert kwargs is not None, f"{arch} did not recognise its converted state"
    assert (d.name_of(kwargs) if d.name_of else d.arch) == name
    assert expected.items() <= kwargs.items(), f"{kwargs} lacks {expected}"
    kwargs = dict(kwargs)
    chosen = kwargs.pop("scale", scale)
    torch.manual_seed(0)
    model = build_model(name, scale=chosen, **kwargs).eval()
    load_state(model, converted, source=case)
    return model, converted, kwargs, chosen


@pytest.mark.parametrize("case", list(CASES))
def test_official_layout_loads_strictly_and_runs(case: str) -> None:
    model, _, kwargs, scale = _load(case)
    channels = int(kwargs.get("in_channels", 3))
    side = 8 if kwargs.get("window_size") else 4
    x = torch.rand(1, channels, side, side, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        y = model(x)
    assert y.shape == (1, channels, side * scale, side * scale)
    assert torch.isfinite(y).all()


# ------------------------------------------------------------------------------------------- no false positives
_TINY: dict[str, Any] = {"n_feats": 16, "n_blocks": 1, "n_groups": 1, "n_layers": 2, "n_units": 2, "n_recursions": 2}
_TINY |= {"n_stages": 2, "n_steps": 2, "n_modules": 1, "n_memories": 1, "depth": 1, "growth": 8}
_TINY_BY_MODEL: dict[str, dict[str, object]] = {
    name: {"n_feats": 12, "depths": (2, 2), "n_heads": (2, 2)} for name in ("swinir", "swinir_light")
}
_TINY_BY_MODEL |= {name: {"image_init": None} for name in ("srkit_vsr", "srkit_vsr_uni")}  # srkit's size only


def _srkit_state(name: str) -> State:
    entry = MODELS.get(name)
    scale = entry.card.scales[-1]
    with torch.device("meta"):
        probe = entry.builder(scale=scale)
    overrides = {k: v for k, v in _TINY.items() if accepts(type(probe), k)} | _TINY_BY_MODEL.get(name, {})
    return {k: v.detach() for k, v in build_model(name, scale=scale, **overrides).state_dict().items()}


def _claims(d: Detection, state: State) -> bool:
    try:
        converted = d.convert(state) if d.convert else state
    except SrkitError:
        return False
    return d.detect(converted) is not None


@pytest.mark.parametrize("case", list(CASES))
def test_only_its_own_detection_claims_an_official_layout(case: str) -> None:
    state, arch = CASES[case][0](), CASES[case][1]
    claimed = {d.arch for d in DETECTIONS if _claims(d, state)}
    assert claimed == {arch}


@pytest.mark.parametrize("name", MODELS.names())
def test_no_detection_claims_another_models_srkit_state(name: str) -> None:
    """srkit's own state dicts (random tiny models of every registered name) are claimed by their family's
    detection at most (``edsr`` for ``edsr_baseline``, ``carn`` for ``carn_m``...), never by another's."""
    state = _srkit_state(name)
    wrong = {d.arch for d in DETECTIONS if _claims(d, state) and not name.startswith(d.arch)}
    assert not wrong, f"{name}'s state dict is claimed by {wrong}"


# ------------------------------------------------------------------------------------- same function as the original
def _x(channels: int = 1, side: int = 4) -> torch.Tensor:
    return torch.rand(1, channels, side, side, generator=torch.Generator().manual_seed(3))


def test_vdsr_twtygqyy_computes_the_original_function() -> None:
    state, model = vdsr_official(), _load("vdsr_twtygqyy")[0]
    x = _x()
    up = interpolate(x, 3, "matlab")
    h = F.relu(F.conv2d(up, state["input.weight"], padding=1))
    for i in range(3):
        h = F.relu(F.conv2d(h, state[f"residual_layer.{i}.conv.weight"], padding=1))
    with torch.no_grad():
        torch.testing.assert_close(model(x), F.conv2d(h, state["output.weight"], padding=1) + up)


def _drrn_reference(
    x: torch.Tensor, blocks: list[tuple[torch.Tensor, ...]], out: torch.Tensor, units: int
) -> torch.Tensor:
    h = x
    for conv_in, conv1, conv2 in blocks:
        entry = F.conv2d(F.relu(h), conv_in, padding=1)
        h = entry
        for _ in range(units):
            h = entry + F.conv2d(F.relu(F.conv2d(F.relu(h), conv1, padding=1)), conv2, padding=1)
    return F.conv2d(F.relu(h), out, padding=1) + x


def test_drrn_releases_compute_the_original_functions() -> None:
    x = _x()
    jt, model = drrn_jt(), _load("drrn_jt827859032")[0]  # B1U25, forward(x) at x2
    up = interpolate(x, 2, "matlab")
    expected = _drrn_reference(
        up, [(jt["input.weight"], jt["conv1.weight"], jt["conv2.weight"])], jt["output.weight"], 25
    )
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected)
    yjn, model = drrn_yjn(), _load("drrn_yjn870")[0]  # B2U9, x4
    blocks = [
        tuple(yjn[f"rbs.{b}.{n}.module.1.weight"] for n in ("h0", "ru.module.0", "ru.module.1")) for b in range(2)
    ]
    up = interpolate(x, 4, "matlab")
    with torch.no_grad():
        torch.testing.assert_close(model(x), _drrn_reference(up, blocks, yjn["rec.module.1.weight"], 9))


def test_lapsrn_twtygqyy_computes_the_original_function() -> None:
    s, model = lapsrn_official(), _load("lapsrn_twtygqyy")[0]
    assert isinstance(model, archs.lapsrn.LapSRN)
    x = _x()
    feats, image = F.leaky_relu(F.conv2d(x, s["conv_input.weight"], padding=1), 0.2), x
    outs = []
    for k in (1, 2):
        for j in range(2):
            feats = F.leaky_relu(F.conv2d(feats, s[f"convt_F{k}.0.cov_block.{2 * j}.weight"], padding=1), 0.2)
        feats = F.leaky_relu(F.conv_transpose2d(feats, s[f"convt_F{k}.0.cov_block.4.weight"], stride=2, padding=1), 0.2)
        image = F.conv_transpose2d(image, s[f"convt_I{k}.weight"], stride=2, padding=1)
        image = image + F.conv2d(feats, s[f"convt_R{k}.weight"], padding=1)
        outs.append(image)
    with torch.no_grad():
        for got, want in zip(model.forward_all(x), outs, strict=True):
            torch.testing.assert_close(got, want)


@pytest.mark.parametrize(
    ("case", "first", "last"), [("srfbn_x3", "conv_in.0", "conv_out"), ("msrn_x4", "head.0", "tail.3")]
)
def test_pixel_range_folding_is_exact(case: str, first: str, last: str) -> None:
    """The loaded model on [0, 1] equals the official network on [0, 255] (srkit's model with the unfolded
    weights and 255-range mean shifts, fed 255 x), divided by 255."""
    model, converted, kwargs, scale = _load(case)
    official = dict(converted)
    official[f"{first}.weight"] = converted[f"{first}.weight"] / 255
    for key in (f"{last}.weight", f"{last}.bias", "sub_mean.bias", "add_mean.bias"):
        official[key] = converted[key] * 255
    in_255 = build_model(CASES[case][2], scale=scale, **kwargs).eval()
    load_state(in_255, official)
    x = _x(3)
    with torch.no_grad():
        torch.testing.assert_close(model(x), in_255(255 * x) / 255, rtol=1e-4, atol=1e-5)
    assert torch.allclose(converted["sub_mean.bias"], -torch.tensor(RGB_MEAN))


def test_srresnet_prelu_slopes_are_repeated_per_channel() -> None:
    converted = archs.srresnet.convert_official(srresnet_lornatang())
    assert converted["head.1.weight"].shape == (8,) and torch.all(converted["head.1.weight"] == 0.25)
    assert converted["upsample.5.weight"].shape == (8,)
    assert converted["upsample.3.weight"].shape == (32, 8, 3, 3)  # a convolution, untouched


# ------------------------------------------------------------------------------------ refusals and the loader path
def test_esrgan_old_layouts_srkit_cannot_build_are_refused() -> None:
    with pytest.raises(SrkitError, match=r"model\.\{3, 5, 7\}.*x4 network"):
        archs.esrgan.convert_official(esrgan_old(upconvs=(3,)))  # x2: one upsampling step
    assert archs.esrgan.convert_official(
        {"conv_first.weight": torch.zeros(1), "body.0.rdb1.conv1.weight": torch.zeros(1)}
    )


def test_swinir_variants_srkit_does_not_build_are_not_detected() -> None:
    state = archs.swinir.convert_official(swinir_official())
    nearest = {k: v for k, v in state.items() if not k.startswith(("conv_before_upsample", "upsample", "conv_last"))}
    nearest |= {"conv_before_upsample.0.weight": torch.zeros(64, 12, 3, 3), "conv_up1.weight": torch.zeros(1)}
    assert archs.swinir.detect(nearest) is None  # real-world SwinIR ("nearest+conv")
    three = {k.replace("layers.0.conv.", "layers.0.conv.0."): v for k, v in state.items()}
    assert archs.swinir.detect(three) is None  # the large model's "3conv" residual connections
    bad = swinir_official()
    bad["layers.0.residual_group.blocks.0.attn.relative_position_index"] = torch.zeros(16, 16, dtype=torch.long)
    with pytest.raises(SrkitError, match="relative-position index"):
        archs.swinir.convert_official(bad)


@pytest.mark.parametrize(
    ("case", "wrap", "scale"),
    [
        ("swinir_light_x4", "params_ema", None),
        ("ddbpn_x2", "module", None),
        ("srfbn_x3", "state_dict", None),
        ("esrgan_old_arch", "", None),
        ("drrn_yjn870", "", 3),
    ],
)
def test_load_model_reads_official_files(tmp_path: Path, case: str, wrap: str, scale: int | None) -> None:
    """Through srkit.load_model (wrappers and prefixes stripped)."""
    state = CASES[case][0]()
    if wrap == "module":
        raw: Any = {f"module.{k}": v for k, v in state.items()}
    else:
        raw = {wrap: state, "epoch": 3} if wrap else state
    path = tmp_path / "official.pth"
    torch.save(raw, path)
    model = srkit.load_model(path, scale=scale)
    assert model.card.name == CASES[case][2]  # type: ignore[union-attr]
    if scale is not None:  # one network for every scale: the file does not tell it
        with pytest.raises(SrkitError, match="pass scale=S"):
            srkit.load_model(path)
