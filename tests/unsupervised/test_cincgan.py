"""CinCGAN (Yuan et al. 2018) through srkit train: the LR cycle first (G1, G2, D1), then the SR cycle joins (SR,
G3, D2); losses as the paper writes them; resume bit for bit across the stages; one-line config errors; the
test-time network SR(G1(x)) built from a run and run through srkit's image path."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from unpaired_run import interrupted_then_resumed, same_modules, tiny_unpaired_set, unpaired_config

import srkit
from srkit import SrkitError
from srkit.data.paths import resolve_data_paths
from srkit.engine import config_from_dict, load_checkpoint, load_config, save_checkpoint, train
from srkit.engine.run import Run
from srkit.losses import total_variation
from srkit.unsupervised import CinCGANRecipe, load_cincgan
from srkit.unsupervised._cincgan_nets import CinCGANDiscriminator, CinCGANGenerator
from srkit.unsupervised._frequency import FrequencySplit

pytestmark = pytest.mark.usefixtures("one_thread")
PLAYERS = {"d1", "d2", "generators", "model"}
SMALL = {"n_feats": 8, "n_blocks": 1, "lr_cycle_steps": 3}


@pytest.fixture(scope="module")
def unpaired(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_unpaired_set(tmp_path_factory.mktemp("cincgan"))


def _config(root: Path, out: Path, **extra: dict) -> dict:
    data, options = {"patch_size": 24, **extra.pop("data", {})}, {**SMALL, **extra.pop("recipe_options", {})}
    return unpaired_config(root, out, "cincgan", data=data, recipe_options=options, **extra)


def _run(cfg: dict) -> Run:
    config = config_from_dict(cfg)
    return Run(config, resolve_data_paths(config.data.train, None, None), torch.device("cpu"), 0, 1)


def _changed(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], prefix: str = "") -> bool:
    return any(not torch.equal(a[k], b[k]) for k in a if k.startswith(prefix) and a[k].is_floating_point())


@pytest.fixture(scope="module")
def trained(unpaired: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, threads = tmp_path_factory.mktemp("runs") / "whole", torch.get_num_threads()
    torch.set_num_threads(1)  # as the one_thread fixture: the resumed run is compared with this one bit for bit
    try:
        result = train(config_from_dict(_config(unpaired, out)), progress=False)
    finally:
        torch.set_num_threads(threads)
    assert np.isfinite(result.loss)
    return out


def test_stages_train_their_players_and_resume_bit_for_bit(
    unpaired: Path, trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    initial = {
        n: copy.deepcopy(p.module.state_dict()) for n, p in _run(_config(unpaired, tmp_path / "x")).players.items()
    }
    assert set(initial) == PLAYERS
    whole = load_checkpoint(trained / "latest.pt")["modules"]
    assert all(_changed(initial[n], whole[n]) for n in PLAYERS)
    stopped = interrupted_then_resumed(_config(unpaired, tmp_path / "resumed"), monkeypatch, at=3)["modules"]
    g0, g = initial["generators"], stopped["generators"]
    assert _changed(g0, g, "g1.") and _changed(g0, g, "g2.") and not _changed(g0, g, "g3.")  # the LR cycle only
    assert _changed(initial["d1"], stopped["d1"])
    assert same_modules({n: initial[n] for n in ("model", "d2")}, {n: stopped[n] for n in ("model", "d2")})
    assert same_modules(whole, load_checkpoint(tmp_path / "resumed" / "latest.pt")["modules"])


@pytest.mark.parametrize("split", [0.0, 1.0])
def test_the_lr_cycle_step_is_the_papers_loss(unpaired: Path, tmp_path: Path, split: float) -> None:
    """Stage one: D1's least-squares loss, then L_LR = LSGAN + 10 L2 cycle + 5 L1 identity + 0.5 TV; with
    ``frequency_split`` D1 sees the images less their Gaussian low-pass, and nothing else changes."""
    run = _run(_config(unpaired, tmp_path / "run", recipe_options={"frequency_split": split}))
    hp = FrequencySplit(split).high
    assert isinstance(run.recipe, CinCGANRecipe)
    gens, d1 = copy.deepcopy(run.players["generators"].module), copy.deepcopy(run.players["d1"].module)
    x, y, z = torch.rand(2, 3, 24, 24), torch.rand(2, 3, 24, 24), torch.rand(2, 3, 96, 96)
    losses = run.step(0, {"real_lr": x, "lr": y, "hr": z, "scale": 4})
    assert set(losses) == {"d1", "generators"}
    clean = gens.g1(x)
    d_loss = (d1(hp(y)) - 1).square().mean() + d1(hp(clean.detach())).square().mean()
    assert abs(losses["d1"] - float(d_loss.detach())) < 1e-5
    whole = (d1(y) - 1).square().mean() + d1(clean).square().mean()
    assert split == 0 or abs(losses["d1"] - float(whole.detach())) > 1e-4
    opt = torch.optim.Adam(d1.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt.zero_grad()
    d_loss.backward()
    opt.step()
    lr_loss = (
        (d1(hp(clean)) - 1).square().mean()
        + 10 * (gens.g2(clean) - x).square().mean()
        + 5 * (gens.g1(y) - y).abs().mean()
        + 0.5 * total_variation(clean)
    )
    assert abs(losses["generators"] - float(lr_loss.detach())) < 1e-4


def test_config_errors_are_one_line(unpaired: Path, tmp_path: Path) -> None:
    def fails(match: str, **extra: dict) -> None:
        with pytest.raises(SrkitError, match=match) as err:
            train(config_from_dict(_config(unpaired, tmp_path / "bad", **extra)), progress=False)
        assert "\n" not in str(err.value)

    fails("unknown recipe_options \\['w1'\\]", recipe_options={"w1": 3})
    fails("recipe_options.hr_tv_weight must be >= 0", recipe_options={"hr_tv_weight": -2})
    fails("recipe_options.lr must be > 0, got 0.0", recipe_options={"lr": 0})
    fails("recipe_options.residual_generators must be bool", recipe_options={"residual_generators": "yes"})
    fails("recipe_options.frequency_split must be >= 0", recipe_options={"frequency_split": -0.5})
    fails("lr_cycle_steps \\(9\\) must be below steps \\(6\\)", recipe_options={"lr_cycle_steps": 9})
    fails("data.patch_size must be >= 24", data={"patch_size": 16})
    fails("data.degradation must be BI", data={"degradation": "BD"})
    fails("remove data.lr_train", data={"lr_train": [str(unpaired / "lr_x4")]})
    assert not (tmp_path / "bad").exists()


def test_the_test_time_network(unpaired: Path, trained: Path, tmp_path: Path) -> None:
    net = load_cincgan(trained)
    state = load_checkpoint(trained / "latest.pt")
    card = srkit.card_of(net)
    assert card.name == "cincgan" and card.receptive_field > srkit.model_card("srkit_net").receptive_field
    x = torch.rand(1, 3, 12, 14)
    sr = srkit.build_model("srkit_net", scale=4, n_feats=8, n_blocks=1)
    sr.load_state_dict(state["modules"]["model"])
    g1 = CinCGANGenerator(n_feats=8, n_blocks=1)
    g1.load_state_dict({k[3:]: v for k, v in state["modules"]["generators"].items() if k.startswith("g1.")})
    with torch.no_grad():
        assert torch.allclose(net(x, 4), sr.eval()(g1.eval()(x), 4))
    image = (np.random.default_rng(0).random((12, 14, 3)) * 255).astype(np.uint8)
    assert srkit.Upscaler(net, tile=None).upscale_array(image, 4).shape == (48, 56, 3)
    bf16 = srkit.Upscaler(net, tile=None, precision="bf16").upscale_array(image, 4)  # the card's float32 image path
    fp32 = srkit.Upscaler(net, tile=None, precision="fp32").upscale_array(image, 4)
    assert bf16.shape == fp32.shape and np.abs(bf16.astype(int) - fp32.astype(int)).mean() < 3
    state["config"]["recipe"] = "two_step"
    save_checkpoint(tmp_path / "other.pt", state)
    with pytest.raises(SrkitError, match="not a checkpoint of a cincgan run"):
        load_cincgan(tmp_path / "other.pt")


def test_residual_generators_start_as_identity_and_pooling() -> None:
    x = torch.rand(2, 3, 16, 16)
    g1, g3 = CinCGANGenerator(n_feats=8, n_blocks=1, residual=True), CinCGANGenerator(down=4, n_feats=8, residual=True)
    torch.testing.assert_close(g1(x), x)
    torch.testing.assert_close(g3(x), torch.nn.functional.avg_pool2d(x, 4))


def test_the_shipped_config_builds(unpaired: Path) -> None:
    config = load_config(
        Path(__file__).resolve().parents[2] / "configs" / "unsupervised" / "cincgan.yaml",
        [f"data.train=[{unpaired / 'hr'}]", f"data.unpaired_lr=[{unpaired / 'lr_x4'}]", "model.init=null"],
    )
    run = Run(config, resolve_data_paths(config.data.train, None, None), torch.device("cpu"), 0, 1)
    recipe = run.recipe
    assert isinstance(recipe, CinCGANRecipe) and recipe.lr_cycle_steps == 800
    assert recipe.split_lr.sigma == 1.0 and recipe.split_hr.sigma == 4.0
    assert recipe.w == {
        "lr_cycle_weight": 10.0,
        "lr_identity_weight": 5.0,
        "lr_tv_weight": 0.5,
        "hr_cycle_weight": 10.0,
        "hr_identity_weight": 5.0,
        "hr_tv_weight": 2.0,
    }
    assert run.optimizers["d1"].defaults["betas"] == (0.5, 0.999) and run.optimizers["d1"].defaults["lr"] == 2e-4
    assert run.players["generators"].module.g1.residual  # srkit's residual generators


def test_networks() -> None:
    assert CinCGANGenerator(n_feats=8, n_blocks=1)(torch.rand(1, 3, 10, 12)).shape == (1, 3, 10, 12)
    assert CinCGANGenerator(down=2, n_feats=8, n_blocks=1)(torch.rand(1, 3, 10, 12)).shape == (1, 3, 5, 6)
    with pytest.raises(SrkitError, match="multiples of 4"):
        CinCGANGenerator(down=4, n_feats=8, n_blocks=1)(torch.rand(1, 3, 10, 12))
    assert CinCGANDiscriminator(n_feats=8)(torch.rand(1, 3, 96, 96)).shape == (1, 1, 10, 10)
    with pytest.raises(SrkitError, match="n_strided must be in"):
        CinCGANDiscriminator(n_strided=5)
