"""Noise-level-map models (DPSR's prior): the card field, the training recipe, and the image path's noise level."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_run import tiny_config

import srkit
from srkit import SrkitError
from srkit._core.cards import ModelCard, with_noise_map
from srkit.engine import NoiseMapRecipe, config_from_dict, train
from srkit.engine.recipes import MODEL

pytestmark = pytest.mark.usefixtures("one_thread")


def _prior(scale: int = 2) -> torch.nn.Module:
    torch.manual_seed(0)
    return srkit.build_model("srkit_prior", scale=scale, n_feats=8, n_blocks=1)


def test_the_card_declares_the_map() -> None:
    card = srkit.model_card("srkit_prior")
    assert card.noise_map and (card.in_channels, card.out_channels) == (4, 3)
    with pytest.raises(SrkitError, match="plus one map channel"):
        ModelCard(name="x", arch="X", paper="", scales=(2,), in_channels=3, noise_map=True)
    x = with_noise_map(torch.zeros(2, 3, 4, 4), torch.tensor([0.1, 0.2]))
    assert x.shape == (2, 4, 4, 4) and torch.allclose(x[1, 3], torch.full((4, 4), 0.2))


def test_the_map_conditions_the_output() -> None:
    model = _prior().eval()
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        clean = srkit.call_model(model, with_noise_map(x, 0.0), 2)
        noisy = srkit.call_model(model, with_noise_map(x, 0.2), 2)
    assert clean.shape == (1, 3, 16, 16) and not torch.allclose(clean, noisy)


def test_upscaler_appends_the_noise_level() -> None:
    model = _prior()
    image = (np.random.default_rng(0).random((12, 10, 3)) * 255).astype(np.uint8)
    clean = srkit.Upscaler(model, tile=None, noise_level=0).upscale_array(image, 2)
    noisy = srkit.Upscaler(model, tile=None, noise_level=25).upscale_array(image, 2)
    assert clean.shape == (24, 20, 3) and not np.array_equal(clean, noisy)
    with pytest.raises(SrkitError, match="noise_level is a standard deviation"):
        srkit.Upscaler(model, noise_level=-1).upscale_array(image, 2)


def test_the_recipe_adds_known_noise_and_the_map() -> None:
    model = _prior()
    card = srkit.card_of(model)
    recipe = NoiseMapRecipe(model, card=card, sigma_min=10, sigma_max=10)
    seen: list[torch.Tensor] = []
    model.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    lr, hr = torch.full((2, 3, 6, 6), 0.5), torch.rand(2, 3, 12, 12)
    ((player, losses),) = list(recipe.training_step({"lr": lr, "hr": hr, "scale": 2}, {MODEL: model}))
    assert player == MODEL and torch.isfinite(losses["loss"])
    fed = seen[0]
    assert torch.allclose(fed[:, 3], torch.full((2, 6, 6), 10 / 255))
    assert abs(float((fed[:, :3] - 0.5).std()) - 10 / 255) < 0.01
    with pytest.raises(SrkitError, match="take a noise-level map"):
        NoiseMapRecipe(srkit.build_model("espcn", scale=2), card=srkit.model_card("espcn"))


def test_training_the_prior_through_the_engine(images: Path, tmp_path: Path) -> None:
    cfg = tiny_config(
        images,
        tmp_path / "prior",
        model={"name": "srkit_prior", "scale": 2, "options": {"n_feats": 8, "n_blocks": 1}},
        recipe="noise_map",
        recipe_options={"sigma_max": 30},
        steps=4,
    )
    result = train(config_from_dict(cfg), progress=False)
    assert np.isfinite(result.loss)
    from srkit.unsupervised import dpsr  # the trained run serves DPSR as its prior: its folder or its latest.pt

    lr = np.zeros((12, 12, 3), np.uint8)
    for prior in (tmp_path / "prior", tmp_path / "prior" / "latest.pt"):
        out = dpsr(lr, 2, kernel=np.ones((3, 3)), prior=prior, iterations=1, progress=False)
        assert out.image.shape == (24, 24, 3)
    with pytest.raises(SrkitError, match="unknown recipe_options"):
        train(config_from_dict({**cfg, "output": str(tmp_path / "bad"), "recipe_options": {"sigma": 3}}))
    with pytest.raises(SrkitError, match=r"unknown recipe 'nope'; available: .*noise_map"):
        train(config_from_dict({**cfg, "output": str(tmp_path / "bad2"), "recipe": "nope"}))
