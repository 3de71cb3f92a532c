"""FSRNet (Chen et al. 2018) and its same-size generic ablation: every output at its size, the generic model's
parameter count within 2% of FSRNet's, priors only where the branch exists, one-line errors for bad sizes."""

from __future__ import annotations

import pytest
import torch

from srkit import SrkitError, build_model
from srkit.archs.fsrnet import FSRNet, heatmap_peaks

SMALL = {"n_feats": 8, "coarse_blocks": 1, "encoder_blocks": 1, "decoder_blocks": 1, "hourglass_depth": 2}


@pytest.mark.parametrize("scale", [4, 8])
def test_every_output_has_its_size(scale: int) -> None:
    net = FSRNet(scale=scale, **SMALL).eval()
    x = torch.rand(2, 3, 32 // scale, 32 // scale)
    with torch.no_grad():
        out = net.forward_priors(x)
        assert out["coarse"].shape == out["fine"].shape == (2, 3, 32, 32)
        assert out["heatmaps"].shape == (2, 68, 16, 16) and out["parsing"].shape == (2, 7, 16, 16)
        assert torch.equal(net(x), out["fine"])
        assert [t.shape for t in net.forward_all(x)] == [(2, 3, 32, 32)] * 2


def test_the_generic_model_has_the_same_size_and_no_priors() -> None:
    prior, generic = build_model("fsrnet", scale=8), build_model("fsrnet_generic", scale=8)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert abs(count(generic) / count(prior) - 1) < 0.02
    out = generic.forward_priors(torch.rand(1, 3, 16, 16))
    assert set(out) == {"coarse", "fine"}
    with pytest.raises(SrkitError, match="without the prior branch"):
        generic.estimate_priors(torch.rand(1, 3, 128, 128))


def test_the_coarse_face_starts_near_bicubic() -> None:
    # the coarse network learns a residual over the bicubic face: small weights give a face near bicubic
    net = FSRNet(scale=4, **SMALL)
    x = torch.rand(1, 3, 8, 8)
    up = torch.nn.functional.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
    assert (net.forward_priors(x)["coarse"] - up).abs().mean() < 0.5


def test_sizes_the_hourglass_cannot_halve_are_refused() -> None:
    net = FSRNet(scale=4, **SMALL)
    with pytest.raises(SrkitError, match="multiple of 8"):
        net(torch.rand(1, 3, 5, 5))
    with pytest.raises(SrkitError, match="upscales by 2 or more"):
        FSRNet(scale=1)


def test_heatmap_peaks_are_one_at_each_maximum() -> None:
    peaks = heatmap_peaks(torch.randn(2, 3, 8, 8))
    assert torch.allclose(peaks.amax(dim=(2, 3)), torch.ones(2, 3)) and float(peaks.min()) > 0
