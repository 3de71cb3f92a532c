"""GAN training in the loop: the discriminator is a player like the model (its own optimiser, scaler, clipping,
DDP, checkpoint entry); one step is the discriminator's update on detached SR, then the generator's through the
frozen discriminator; resume after SIGKILL is bit for bit and two processes train like one."""

from __future__ import annotations

import copy
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
import yaml
from tiny_run import tiny_config

from srkit import SrkitError
from srkit.archs import build_discriminator
from srkit.data.paths import resolve_data_paths
from srkit.engine import config_from_dict, load_checkpoint, train
from srkit.engine.loop import _batches
from srkit.engine.run import Run
from srkit.losses import GANLoss

TINY_D = {"gan": "ragan", "discriminator": "unet_discriminator", "discriminator_options": {"n_feats": 8}}
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}  # subprocesses compute like this process (see one_thread)


pytestmark = pytest.mark.usefixtures("one_thread")


def _gan_config(images: Path, out: Path, **extra: Any) -> dict[str, Any]:
    cfg = tiny_config(images, out, loss={**TINY_D, "perceptual_weight": 1.0}, optim={"grad_clip": 10.0})
    cfg.update({"steps": 6, "ckpt_every": 3, **extra})
    return cfg


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], exact: bool = True) -> None:
    assert a.keys() == b.keys()
    for k in a:
        if exact:
            assert torch.equal(a[k], b[k]), k
        else:
            torch.testing.assert_close(b[k], a[k], rtol=1e-5, atol=1e-6, msg=k)


def test_one_step_is_the_discriminator_then_the_generator_through_the_frozen_discriminator(
    images: Path, tmp_path: Path
) -> None:
    """A loop step equals the plain-PyTorch GAN step written out by hand."""
    loss = {**TINY_D, "gan": "vanilla", "perceptual_weight": 0.0, "pixel_weight": 0.5, "gan_weight": 0.1}
    cfg = config_from_dict(_gan_config(images, tmp_path / "run", loss=loss, optim={"lr": 1e-3}, steps=2))
    paths = resolve_data_paths(cfg.data.train, None, None)
    run = Run(cfg, paths, torch.device("cpu"), 0, 1)
    assert [p.name for p in run.recipe.players] == ["discriminator", "model"]
    g, d = copy.deepcopy(run.model), copy.deepcopy(run.players["discriminator"].module)
    _, batch = next(_batches(cfg, paths, 0, 3))
    run.step(0, batch)

    lr, hr = batch["lr"], batch["hr"]
    g_opt = torch.optim.AdamW(g.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.0)
    d_opt = torch.optim.Adam(d.parameters(), lr=cfg.loss.d_lr, betas=(0.9, 0.99))
    gan = GANLoss(kind="vanilla")
    sr = g(lr)
    d_loss = gan.discriminator_loss(d(hr), d(sr.detach()))
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    d.requires_grad_(False)
    real = d(hr).detach()  # before d(sr), as the recipe does (spectral norm steps its power iteration per call)
    g_loss = 0.5 * F.l1_loss(sr, hr) + 0.1 * gan.generator_loss(d(sr), real)
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    _assert_same(g.state_dict(), run.model.state_dict())
    _assert_same(d.state_dict(), run.players["discriminator"].module.state_dict())
    assert all(p.requires_grad for p in run.players["discriminator"].module.parameters())  # unfrozen after the step


def test_checkpoint_is_one_dict_of_every_player(images: Path, tmp_path: Path) -> None:
    train(config_from_dict(_gan_config(images, tmp_path / "gan", steps=2, ckpt_every=2)), progress=False)
    state = load_checkpoint(tmp_path / "gan" / "latest.pt")
    for key in ("modules", "optimizers", "schedulers", "scalers"):
        assert set(state[key]) == {"model", "discriminator"}, key
    assert state["scalers"] == {"model": None, "discriminator": None}  # fp32: no loss scaling
    d = build_discriminator("unet_discriminator", n_feats=8)
    d.load_state_dict(state["modules"]["discriminator"])  # strict: the whole discriminator is saved
    assert state["optimizers"]["discriminator"]["param_groups"][0]["lr"] == pytest.approx(1e-4)
    sup = tmp_path / "sup"  # a supervised run's checkpoint cannot continue as a GAN
    train(config_from_dict({**_gan_config(images, sup, steps=2, ckpt_every=2), "loss": {}}), progress=False)
    gan = config_from_dict(_gan_config(images, sup, steps=4, ckpt_every=2))
    with pytest.raises(SrkitError, match="holds no discriminator"):
        train(gan, resume=True, progress=False)
    with pytest.raises(SrkitError, match=r"config\.loss\.gan must be one of"):
        config_from_dict(_gan_config(images, tmp_path / "x", loss={"gan": "nope"}))


def test_earlier_checkpoint_layout_still_loads(tmp_path: Path) -> None:
    old = {
        "model": {"w": torch.ones(2)},
        "optimizer": {"state": {}},
        "scheduler": {"last_epoch": 3},
        "step": 3,
        "recipe": {"discriminator": {"v": torch.zeros(1)}, "d_optimizer": {"state": {}}},
    }
    torch.save(old, tmp_path / "latest.pt")
    state = load_checkpoint(tmp_path / "latest.pt")
    assert set(state["modules"]) == {"model", "discriminator"} and state["step"] == 3
    assert state["schedulers"]["model"] == {"last_epoch": 3} and "recipe" not in state


def _seconds(log: Path) -> list[float]:
    with log.open(encoding="utf-8") as f:
        return [float(row["seconds"]) for row in csv.DictReader(f) if row["seconds"]]


def test_gan_resume_after_sigkill_is_bit_for_bit(images: Path, tmp_path: Path) -> None:
    steps = 40
    train(config_from_dict(_gan_config(images, tmp_path / "plain", steps=steps, ckpt_every=4)), progress=False)
    cfg_path = tmp_path / "killed.yaml"
    cfg_path.write_text(yaml.safe_dump(_gan_config(images, tmp_path / "killed", steps=steps, ckpt_every=4)))
    cmd = [sys.executable, "-m", "srkit", "train", str(cfg_path), "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ONE_THREAD)
    latest, deadline = tmp_path / "killed" / "latest.pt", time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if latest.exists() and load_checkpoint(latest)["step"] >= 8:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stopped_at = load_checkpoint(latest)["step"]
    assert 0 < stopped_at < steps, "the run ended before it could be killed mid-way"
    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, check=False, env=ONE_THREAD)
    assert resumed.returncode == 0, resumed.stderr
    a, b = load_checkpoint(tmp_path / "plain" / "latest.pt"), load_checkpoint(latest)
    assert b["step"] == steps
    for name in ("model", "discriminator"):
        _assert_same(a["modules"][name], b["modules"][name])
    seconds = _seconds(tmp_path / "killed" / "log.csv")
    assert seconds == sorted(seconds) and len(seconds) == steps  # training time goes on across the resume


def test_two_processes_train_a_gan_like_one(images: Path, tmp_path: Path) -> None:
    """RaGAN's batch means mix samples: the logits are gathered over the processes, so 2 processes train both
    players like 1 (without the gather the discriminator's deep layers differ by ~1e-4 after these steps).

    Two steps: a few steps later the random-init spectral-norm discriminator's gradients turn ill-conditioned
    (a 1e-6 change of its weights changes its deepest gradients by 1e-3), which amplifies rounding.
    """
    base = _gan_config(images, tmp_path / "one", steps=2, ckpt_every=2)
    train(config_from_dict(base), progress=False)
    cfg = tmp_path / "ddp.yaml"
    cfg.write_text(yaml.safe_dump({**base, "output": str(tmp_path / "two")}))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    done = subprocess.run(
        [*cmd, "-m", "srkit", "train", str(cfg), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=ONE_THREAD,
    )
    if done.returncode != 0 and "gloo" in done.stderr.lower() and "not available" in done.stderr.lower():
        pytest.skip("torch.distributed gloo backend not available")
    assert done.returncode == 0, done.stderr[:4000] + "\n...\n" + done.stderr[-1500:]  # the cause is near the top
    one, two = load_checkpoint(tmp_path / "one" / "latest.pt"), load_checkpoint(tmp_path / "two" / "latest.pt")
    _assert_same(one["modules"]["model"], two["modules"]["model"], exact=False)
    # The relativistic losses are unchanged by a constant added to every logit, so the last bias's gradient is
    # rounding noise (~1e-7) that Adam normalises into steps of up to d_lr: it is bounded, not compared.
    d1, d2 = one["modules"]["discriminator"], two["modules"]["discriminator"]
    assert abs(float(d1.pop("conv9.bias")) - float(d2.pop("conv9.bias"))) <= 2 * 2 * 1e-4
    _assert_same(d1, d2, exact=False)
