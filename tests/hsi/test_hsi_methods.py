"""The HSI methods on a synthetic scene: fusion beats bicubic, the guide's units and response are recovered,
networks give the same cube tiled and whole, and outputs keep the input's dtype and units."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from cubes_fixture import scene

from srkit import SrkitError, build_model
from srkit.archs.hsi import HSI3DNet, HSIFusionNet
from srkit.data.cube import Cube
from srkit.hsi.api import fuse, simulate, super_resolve
from srkit.hsi.evaluate import evaluate_fusion, format_scores
from srkit.hsi.guide import calibrate_guide, estimate_response
from srkit.hsi.response import cie_xyz
from srkit.metrics.spectral import psnr_bands

pytestmark = pytest.mark.usefixtures("one_thread")


def test_every_fusion_method_beats_bicubic() -> None:
    cube = scene(bands=16, size=64)
    rows = {r.method: r for r in evaluate_fusion(cube, "synthetic", 4, cie_xyz(), model=HSIFusionNet(scale=4))}
    for method in ("gsa", "cnmf", "regression", "deep"):
        assert rows[method].psnr > rows["bicubic"].psnr + 2, (method, rows[method].psnr, rows["bicubic"].psnr)
    assert rows["deep"].psnr == pytest.approx(rows["regression"].psnr, abs=1e-3)  # untrained: its starting point
    assert "| synthetic | x4 | gsa |" in format_scores(list(rows.values()))


def test_guide_units_and_response_are_recovered() -> None:
    cube = scene(bands=12, size=32)
    lr, guide = simulate(cube, 4, cie_xyz())
    y = torch.from_numpy(lr.float_data()[0])
    r = torch.from_numpy(cie_xyz().matrix(cube.wavelengths)).float()
    z = torch.from_numpy(guide) / float(lr.float_data()[1])
    camera = 200.0 * z + 7.0  # an 8-bit-like camera: gain and offset
    torch.testing.assert_close(calibrate_guide(y, camera, r, 4), z, atol=2e-3, rtol=0)
    estimated = estimate_response(y, camera, 4)
    assert estimated.shape == (3, 12) and torch.allclose(estimated.sum(dim=1), torch.ones(3))
    # what matters: the estimated response predicts the guide from the cube as well as the true one does
    pred = torch.einsum("cb,bhw->chw", estimated, torch.from_numpy(cube.data))
    corr = [np.corrcoef(pred[c].flatten(), z[c].flatten())[0, 1] for c in range(3)]
    assert min(corr) > 0.99


def test_guide_of_another_scene_is_refused() -> None:
    cube = scene(bands=12, size=32)
    lr, guide = simulate(cube, 4, cie_xyz())
    wrong = np.ascontiguousarray(guide[:, ::-1, ::-1])  # the scene turned upside down
    with pytest.raises(SrkitError, match="does not follow the cube"):
        fuse(lr, wrong, ratio=4, response=cie_xyz(), method="gsa")


def test_networks_tile_like_whole_and_keep_dtype() -> None:
    cube = scene(bands=10, size=64, dtype=np.uint16)
    lr, guide = simulate(cube, 4, cie_xyz())
    torch.manual_seed(0)
    sr_net = HSI3DNet(scale=4, n_feats=8, n_blocks=1).eval()
    whole = super_resolve(lr, 4, model=sr_net, tile=None)
    tiled = super_resolve(lr, 4, model=sr_net, tile=5)
    assert whole.data.dtype == np.uint16 and whole.shape == (10, 64, 64)
    assert np.abs(whole.data.astype(int) - tiled.data.astype(int)).max() <= 1
    net = HSIFusionNet(scale=4, n_feats=8, n_blocks=1)
    for stage in net.stages:  # non-zero updates, so tiles really run the network
        torch.nn.init.normal_(stage.tail.weight, std=0.01)
    net.eval()
    a = fuse(lr, guide, ratio=4, response=cie_xyz(), model=net, tile=None)
    b = fuse(lr, guide, ratio=4, response=cie_xyz(), model=net, tile=6)
    assert np.abs(a.data.astype(int) - b.data.astype(int)).max() <= 1
    assert psnr_bands(a.data, cube.data) > psnr_bands(fuse(lr, guide, ratio=4, method="bicubic").data, cube.data)


def test_fusion_input_errors() -> None:
    cube = scene(bands=8, size=32)
    lr, guide = simulate(cube, 4, cie_xyz())
    with pytest.raises(SrkitError, match="exactly ratio x"):
        fuse(lr, guide[:, :-4], ratio=4, response=cie_xyz())
    with pytest.raises(SrkitError, match="response has 3 channels, the guide 1"):
        fuse(lr, guide[:1], ratio=4, response=cie_xyz(), method="gsa")
    with pytest.raises(SrkitError, match="covers 5 bands, the cube has 8"):
        fuse(lr, guide, ratio=4, response=np.ones((3, 5)), method="gsa")
    nan = guide.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(SrkitError, match="NaN"):
        fuse(lr, nan, ratio=4, response=cie_xyz())
    with pytest.raises(SrkitError, match="unknown method"):
        fuse(lr, guide, ratio=4, method="magic")
    with pytest.raises(SrkitError, match="not an HSIFusionNet"):
        fuse(lr, guide, ratio=4, response=cie_xyz(), model=HSI3DNet(scale=4))


def test_image_paths_refuse_hsi_networks() -> None:
    import srkit

    model = build_model("hsi3d", scale=4)
    with pytest.raises(SrkitError, match="hyperspectral network, not an image SR model: use srkit hsi"):
        srkit.upscale(np.zeros((8, 8, 3), np.uint8), model=model)


def test_tiles_bound_what_the_network_sees() -> None:
    """Memory is bounded by the tile: the network never sees more than a tile plus its margins."""
    seen: list[tuple[int, ...]] = []

    class Recording(HSI3DNet):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(tuple(x.shape))
            return super().forward(x)

    cube = scene(bands=4, size=64)
    lr, _ = simulate(cube, 2)
    out = super_resolve(lr, 2, model=Recording(scale=2, n_feats=4, n_blocks=1).eval(), tile=8)
    assert out.shape == (4, 64, 64) and len(seen) == 16
    assert max(max(s[2:]) for s in seen) <= 8 + 2 * 12


def test_outputs_keep_the_map_with_a_finer_pixel() -> None:
    base = scene(bands=4, size=32)
    geo = {33550: (12, 3, (30.0, 30.0, 0.0)), 33922: (12, 6, (0.0, 0.0, 0.0, 5e5, 4e6, 0.0))}
    cube = Cube(base.data[:, :8, :8], base.wavelengths, geo)
    out = super_resolve(cube, 4, method="bicubic")
    assert out.geo[33550][2] == (7.5, 7.5, 0.0) and out.geo[33922] == geo[33922]
    assert out.wavelengths is not None and out.data.dtype == np.float32
