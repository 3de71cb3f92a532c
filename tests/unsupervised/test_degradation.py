"""Two-step degradation learning (Bulat et al. 2018) through srkit train: the High-to-Low stage trains the
generator and the LR discriminator only, the Low-to-High stage the SR model and the HR discriminator; losses
finite; resume is bit for bit across the stage boundary; one-line config errors; the networks' shapes."""

from __future__ import annotations

import copy
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from unpaired_run import interrupted_then_resumed, same_modules, tiny_unpaired_set, unpaired_config

from srkit import SrkitError
from srkit._core.cards import call_model
from srkit.data.paths import resolve_data_paths
from srkit.degradations.kernels import blur, isotropic_gaussian_kernel
from srkit.engine import config_from_dict, load_checkpoint, load_config, train
from srkit.engine.run import Run
from srkit.unsupervised._two_step_nets import H2LGenerator, SNResNetDiscriminator
from srkit.unsupervised.degradation import TwoStepRecipe

pytestmark = pytest.mark.usefixtures("one_thread")
PLAYERS = {"h2l", "d_lr", "d_hr", "model"}


@pytest.fixture(scope="module")
def unpaired(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_unpaired_set(tmp_path_factory.mktemp("two_step"))


def _config(root: Path, out: Path, **extra: dict) -> dict:
    data, options = {"patch_size": 8, **extra.pop("data", {})}, {"h2l_steps": 3, **extra.pop("recipe_options", {})}
    return unpaired_config(root, out, "two_step", data=data, recipe_options=options, **extra)


def _initial(cfg: dict) -> dict[str, dict[str, torch.Tensor]]:
    config = config_from_dict(cfg)
    run = Run(config, resolve_data_paths(config.data.train, None, None), torch.device("cpu"), 0, 1)
    return {n: copy.deepcopy(p.module.state_dict()) for n, p in run.players.items()}


def _changed(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return any(not torch.equal(a[k], b[k]) for k in a if a[k].is_floating_point())


def test_two_stages_train_their_players_and_resume_bit_for_bit(
    unpaired: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _config(unpaired, tmp_path / "whole")
    initial = _initial(cfg)
    assert set(initial) == PLAYERS
    result = train(config_from_dict(cfg), progress=False)
    assert torch.isfinite(torch.tensor(result.loss))
    whole = load_checkpoint(tmp_path / "whole" / "latest.pt")["modules"]
    assert all(_changed(initial[n], whole[n]) for n in PLAYERS)
    rows = list(csv.DictReader((tmp_path / "whole" / "log.csv").read_text().splitlines()))
    assert [r["loss"] == "" for r in rows] == [True] * 3 + [False] * 3  # the model trains in the second stage only

    resumed = _config(unpaired, tmp_path / "resumed")
    stopped = interrupted_then_resumed(resumed, monkeypatch, at=3)["modules"]
    assert _changed(initial["h2l"], stopped["h2l"]) and _changed(initial["d_lr"], stopped["d_lr"])
    assert same_modules({n: initial[n] for n in ("model", "d_hr")}, {n: stopped[n] for n in ("model", "d_hr")})
    assert same_modules(whole, load_checkpoint(tmp_path / "resumed" / "latest.pt")["modules"])
    assert (tmp_path / "resumed" / "model.safetensors").is_file()


def test_the_first_stage_matches_the_loss_written_out(unpaired: Path, tmp_path: Path) -> None:
    """One High-to-Low step equals the paper's losses computed by hand (hinge, L2 on [-1, 1] x 1 + GAN x 0.05)."""
    config = config_from_dict(_config(unpaired, tmp_path / "run"))
    run = Run(config, resolve_data_paths(config.data.train, None, None), torch.device("cpu"), 0, 1)
    recipe = run.recipe
    assert isinstance(recipe, TwoStepRecipe)
    g, d = copy.deepcopy(run.players["h2l"].module), copy.deepcopy(run.players["d_lr"].module)
    batch = {"hr": torch.rand(2, 3, 32, 32), "lr": torch.rand(2, 3, 8, 8), "real_lr": torch.rand(2, 3, 8, 8)}
    torch.manual_seed(5)
    losses = run.step(0, {**batch, "scale": 4})
    torch.manual_seed(5)
    fake = g(batch["hr"], torch.randn(2, 64))
    d_loss = torch.relu(1 - d(batch["real_lr"])).mean() + torch.relu(1 + d(fake.detach())).mean()
    assert abs(losses["d_lr"] - float(d_loss.detach())) < 1e-5
    assert set(losses) == {"d_lr", "h2l"}
    opt = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.9, 0.99))
    opt.zero_grad()
    d_loss.backward()
    opt.step()
    pooled = torch.nn.functional.avg_pool2d(batch["hr"], 4)
    g_loss = ((2 * fake - 1) - (2 * pooled - 1)).square().mean() - 0.05 * d(fake).mean()
    assert abs(losses["h2l"] - float(g_loss.detach())) < 1e-5


def test_config_errors_are_one_line(unpaired: Path, tmp_path: Path) -> None:
    def fails(match: str, **extra: dict) -> None:
        cfg = _config(unpaired, tmp_path / "bad", **extra)
        with pytest.raises(SrkitError, match=match) as err:
            train(config_from_dict(cfg), progress=False)
        assert "\n" not in str(err.value)

    fails("unknown recipe_options \\['noise'\\]", recipe_options={"noise": 3})
    fails("recipe_options.gan_weight must be >= 0, got -1.0", recipe_options={"gan_weight": -1})
    fails("recipe_options.pixel_target must be one of avgpool, bicubic", recipe_options={"pixel_target": "x"})
    fails("recipe_options.noise_dim must be int, got 2.5", recipe_options={"noise_dim": 2.5})
    fails("recipe_options.h2l_residual must be bool, got 1", recipe_options={"h2l_residual": 1})
    fails("recipe_options.frequency_split must be >= 0, got -1.0", recipe_options={"frequency_split": -1})
    fails("recipe_options.d_lr_factor must be > 0", recipe_options={"d_lr_factor": 0.0})
    fails("h2l_steps \\(6\\) must be below steps \\(6\\)", recipe_options={"h2l_steps": 6})
    fails("set data.unpaired_lr", data={"unpaired_lr": None})
    fails("trains one scale", data={"scales": [2, 4]})
    fails("patch side must be a power of two", data={"patch_size": 12})
    assert not (tmp_path / "bad").exists()


def test_srkit_train_knows_the_recipe(unpaired: Path, tmp_path: Path) -> None:
    """``srkit train`` in a fresh process: the CLI imports srkit.unsupervised, so ``recipe: two_step`` exists."""
    cfg = _config(unpaired, tmp_path / "cli", steps=2, recipe_options={"h2l_steps": 1})
    (tmp_path / "two_step.yaml").write_text(yaml.safe_dump(cfg))
    command = [sys.executable, "-m", "srkit", "train", str(tmp_path / "two_step.yaml"), "--no-progress"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    assert "trained 2 steps" in done.stdout and (tmp_path / "cli" / "model.safetensors").is_file()


def test_the_shipped_config_builds(unpaired: Path) -> None:
    config = load_config(
        Path(__file__).resolve().parents[2] / "configs" / "unsupervised" / "two_step.yaml",
        [f"data.train=[{unpaired / 'hr'}]", f"data.unpaired_lr=[{unpaired / 'lr_x4'}]", "model.init=null"],
    )
    run = Run(config, resolve_data_paths(config.data.train, None, None), torch.device("cpu"), 0, 1)
    recipe = run.recipe
    assert isinstance(recipe, TwoStepRecipe) and recipe.h2l_steps == 800 and recipe.weights == (1.0, 0.05, 0.0)
    assert recipe.split.sigma == 1.0 and run.players["h2l"].module.hparams["lr_head"] is True
    assert run.optimizers["h2l"].defaults["betas"] == (0.0, 0.9) and run.optimizers["model"].defaults["lr"] == 1e-4


def test_residual_generator_starts_as_pooling() -> None:
    g = H2LGenerator(scale=4, input_size=32, n_feats=8, residual=True)
    hr = torch.rand(2, 3, 32, 32)
    torch.testing.assert_close(g(hr, torch.randn(2, 64)), torch.nn.functional.avg_pool2d(hr, 4))
    assert g.hparams["residual"] is True


def test_lr_head_starts_as_pooling_and_makes_per_pixel_noise() -> None:
    """``lr_head``: the untrained residual generator is still the pooling; once its last layer is not zero, the
    noise map changes each LR pixel on its own (a different map gives a different output, the same map the same)."""
    g = H2LGenerator(scale=4, input_size=32, n_feats=8, residual=True, lr_head=True, map_channels=3)
    hr, z = torch.rand(2, 3, 32, 32), torch.randn(2, 64)
    torch.testing.assert_close(g(hr, z), torch.nn.functional.avg_pool2d(hr, 4))
    torch.nn.init.normal_(g.tail.weight, std=0.1)
    g.eval()  # batch norm on running statistics: the output depends on the inputs only
    m = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        a, b, c = g(hr, z, m), g(hr, z, m), g(hr, z, torch.randn(2, 3, 8, 8))
    torch.testing.assert_close(a, b)
    assert float((a - c).abs().amax(dim=1).gt(1e-6).float().mean()) > 0.9  # nearly every pixel moves
    with pytest.raises(SrkitError, match="noise map must be \\(2, 3, 8, 8\\)"):
        g(hr, z, torch.randn(2, 3, 4, 4))
    with pytest.raises(SrkitError, match="map_channels must be >= 1"):
        H2LGenerator(scale=4, input_size=32, lr_head=True, map_channels=0)


def test_frequency_split(unpaired: Path, tmp_path: Path) -> None:
    """``frequency_split: sigma``: the High-to-Low pixel term compares Gaussian low-passed images (sigma in LR
    pixels, kernel side 2 ceil(3 sigma) + 1, reflect padding); the discriminator sees what the low-pass leaves."""
    options = {"frequency_split": 0.8, "h2l_residual": True, "h2l_lr_head": True}
    config = config_from_dict(_config(unpaired, tmp_path / "run", recipe_options=options))
    run = Run(config, resolve_data_paths(config.data.train, None, None), torch.device("cpu"), 0, 1)
    g, d = copy.deepcopy(run.players["h2l"].module), copy.deepcopy(run.players["d_lr"].module)
    batch = {"hr": torch.rand(2, 3, 32, 32), "lr": torch.rand(2, 3, 8, 8), "real_lr": torch.rand(2, 3, 8, 8)}
    torch.nn.init.normal_(g.tail.weight, std=0.1)  # so that the output is not the pooling itself
    run.players["h2l"].module.load_state_dict(g.state_dict())
    torch.manual_seed(5)
    losses = run.step(0, {**batch, "scale": 4})
    torch.manual_seed(5)
    fake = g(batch["hr"], torch.randn(2, 64))
    k = isotropic_gaussian_kernel(7, 0.8)
    real, high = batch["real_lr"] - blur(batch["real_lr"], k), fake - blur(fake, k)
    d_loss = torch.relu(1 - d(real)).mean() + torch.relu(1 + d(high.detach())).mean()
    assert abs(losses["d_lr"] - float(d_loss.detach())) < 1e-5
    opt = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.9, 0.99))
    opt.zero_grad()
    d_loss.backward()
    opt.step()
    low = blur(fake, k) - blur(torch.nn.functional.avg_pool2d(batch["hr"], 4), k)
    g_loss = 4 * low.square().mean() - 0.05 * d(high).mean()
    assert abs(losses["h2l"] - float(g_loss.detach())) < 1e-5
    whole = 4 * (fake - torch.nn.functional.avg_pool2d(batch["hr"], 4)).square().mean() - 0.05 * d(fake).mean()
    assert abs(losses["h2l"] - float(whole.detach())) > 1e-4  # not the whole-image terms


def test_discriminators_learning_rate_factor(unpaired: Path, tmp_path: Path) -> None:
    config = config_from_dict(_config(unpaired, tmp_path / "run", recipe_options={"d_lr_factor": 4.0}))
    run = Run(config, resolve_data_paths(config.data.train, None, None), torch.device("cpu"), 0, 1)
    lr = run.optimizers["h2l"].defaults["lr"]
    assert run.optimizers["model"].defaults["lr"] == lr == config.optim.lr
    assert run.optimizers["d_lr"].defaults["lr"] == run.optimizers["d_hr"].defaults["lr"] == 4 * lr


def test_pixel_only_low_to_high_leaves_its_discriminator(unpaired: Path, tmp_path: Path) -> None:
    """``l2h_gan_weight: 0``: the second stage trains the model on the L2 loss alone; the HR discriminator stays."""
    options = {"h2l_steps": 1, "l2h_gan_weight": 0.0, "h2l_residual": True}
    config = config_from_dict(_config(unpaired, tmp_path / "run", recipe_options=options))
    run = Run(config, resolve_data_paths(config.data.train, None, None), torch.device("cpu"), 0, 1)
    recipe = run.recipe
    assert isinstance(recipe, TwoStepRecipe) and recipe.weights == (1.0, 0.05, 0.0)
    d_hr = copy.deepcopy(run.players["d_hr"].module.state_dict())
    model = copy.deepcopy(run.players["model"].module)
    hr = torch.rand(2, 3, 32, 32)
    torch.manual_seed(3)
    losses = run.step(1, {"hr": hr, "lr": torch.rand(2, 3, 8, 8), "scale": 4})
    assert set(losses) == {"model"}
    assert same_modules({"d": d_hr}, {"d": run.players["d_hr"].module.state_dict()})
    torch.manual_seed(3)
    lr = recipe.degrade(run.players["h2l"].module, hr).clamp(0, 1)
    sr = call_model(model, lr, 4, card=recipe.card)
    assert abs(losses["model"] - float(4 * (sr - hr).square().mean().detach())) < 1e-5


def test_networks() -> None:
    g = H2LGenerator(scale=2, input_size=32, n_feats=8)
    out = g(torch.rand(2, 3, 32, 32), torch.randn(2, 64)).detach()
    assert out.shape == (2, 3, 16, 16) and float(out.min()) >= 0 and float(out.max()) <= 1
    assert g.hparams == {
        "scale": 2, "input_size": 32, "noise_dim": 64, "n_feats": 8, "residual": False, "lr_head": False,
        "map_channels": 8,
    }  # fmt: skip
    with pytest.raises(SrkitError, match="multiple of 16"):
        H2LGenerator(scale=4, input_size=40)
    with pytest.raises(SrkitError, match="takes \\(B, 3, 32, 32\\)"):
        g(torch.rand(2, 3, 16, 16), torch.randn(2, 64))
    d = SNResNetDiscriminator(n_feats=8, n_down=4, n_plain=1)
    assert d(torch.rand(2, 3, 64, 64)).shape == (2, 1)
    assert sum(p.numel() for p in SNResNetDiscriminator(n_down=2, n_plain=3).parameters()) > 1_000_000
