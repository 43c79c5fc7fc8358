"""The training loop: it learns, its run folder follows Contract 4, and resume is exact."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import cv2
import pytest
import torch

from cardtrain.checkpoint import REQUIRED, load_checkpoint, load_generator, save_checkpoint
from cardtrain.config import TrainConfig
from cardtrain.data import load_split
from cardtrain.errors import CardtrainError
from cardtrain.evaluate import score_pairs
from cardtrain.models import build_generator, init_weights
from cardtrain.train import METRIC_COLUMNS, _lr_at, fit
from tests.cardtrain.conftest import TINY

CPU = torch.device("cpu")


def _weights(run: Path) -> dict[str, dict[str, torch.Tensor]]:
    state = load_checkpoint(run / "checkpoints" / "latest.pt").state
    return {"generator": state["generator"], "discriminator": state["discriminator"]}


def _metrics(run: Path) -> list[dict[str, str]]:
    with (run / "metrics.csv").open(newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def tiny_run(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 epochs of TINY (8 steps), validated every 3 steps and at the end."""
    run = tmp_path_factory.mktemp("runs") / "tiny"
    fit(tiny_data, run, TINY.override(eval_every=3), device="cpu")
    return run


def test_a_few_steps_reduce_the_l1_loss(tiny_data: Path, tmp_path: Path) -> None:
    config = TINY.override(lr=1e-3, epochs=8, load_size=32, flip=False)
    untrained = build_generator(config)
    init_weights(untrained, torch.Generator().manual_seed(config.seed))  # fit's own init
    train = load_split(tiny_data, "train", size=32).pairs
    before = score_pairs(untrained, train, batch_size=8, device=CPU, precision="fp32")[0].l1
    fit(tiny_data, tmp_path / "run", config, device="cpu")
    trained, _ = load_generator(tmp_path / "run" / "checkpoints" / "latest.pt", CPU)
    after = score_pairs(trained, train, batch_size=8, device=CPU, precision="fp32")[0].l1
    assert after < 0.5 * before  # 32 steps: measured 0.54 -> 0.21


class TestRunFolder:
    def test_has_every_contract_4_file(self, tiny_run: Path) -> None:
        for name in ("config.json", "metrics.csv", "checkpoints/latest.pt", "checkpoints/best.pt"):
            assert (tiny_run / name).is_file(), name
        assert sorted(p.name for p in (tiny_run / "samples").iterdir()) == [
            "step_0000003.jpg", "step_0000006.jpg", "step_0000008.jpg",
        ]  # fmt: skip
        grid = cv2.imread(str(tiny_run / "samples" / "step_0000008.jpg"))
        assert grid.shape == (2 * 32, 3 * 32, 3)  # TINY.samples rows of input | target | output
        assert not list(tiny_run.rglob(".*"))  # no temporary file left behind

    def test_metrics_csv_has_losses_and_validation_rows(self, tiny_run: Path) -> None:
        rows = _metrics(tiny_run)
        assert tuple(rows[0]) == METRIC_COLUMNS
        train_rows = [r for r in rows if r["loss_g_l1"]]
        val_rows = [r for r in rows if r["val_l1"]]
        assert [int(r["step"]) for r in train_rows] == list(range(1, 9))
        assert [int(r["step"]) for r in val_rows] == [3, 6, 8]
        assert all(float(r["images_per_s"]) > 0 for r in train_rows)

    def test_checkpoint_holds_everything_to_resume_and_to_predict(self, tiny_run: Path) -> None:
        checkpoint = load_checkpoint(tiny_run / "checkpoints" / "latest.pt")
        assert set(REQUIRED) <= set(checkpoint.state)
        assert checkpoint.config == TINY.override(eval_every=3)
        assert (checkpoint.step, checkpoint.epoch) == (8, 2)
        assert checkpoint.state["opt_g"]["state"]  # Adam moments, not just hyper-parameters
        best = load_checkpoint(tiny_run / "checkpoints" / "best.pt")
        val_l1 = [float(r["val_l1"]) for r in _metrics(tiny_run) if r["val_l1"]]
        assert best.state["best_val_l1"] == pytest.approx(min(val_l1), rel=1e-5)
        assert best.state["val"]["l1"] == best.state["best_val_l1"]

    def test_refuses_to_overwrite_a_run(self, tiny_data: Path, tiny_run: Path) -> None:
        with pytest.raises(CardtrainError, match="already exists and is not empty; pass --resume"):
            fit(tiny_data, tiny_run, TINY, device="cpu")


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    config = TINY.override(ngf=4)
    generator = build_generator(config)
    init_weights(generator, torch.Generator().manual_seed(1))
    state = {key: None for key in REQUIRED} | {
        "config": config.to_dict(), "generator": generator.state_dict(), "step": 5, "epoch": 1
    }  # fmt: skip
    save_checkpoint(tmp_path / "c.pt", state)
    loaded, loaded_config = load_generator(tmp_path / "c.pt", CPU)
    assert loaded_config == config
    assert not loaded.training  # eval mode: no dropout at inference
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    torch.testing.assert_close(loaded(x), generator.eval()(x), rtol=0, atol=0)


def test_kill_and_resume_ends_with_the_same_weights(tiny_data: Path, tmp_path: Path) -> None:
    """Stopped after step 8, the run resumes from latest.pt (step 6) and ends bit-identical
    to a run never stopped: weights, Adam moments, every RNG stream (jitter, dropout)."""
    config = TINY.override(epochs=3, eval_every=3)  # 12 steps
    fit(tiny_data, tmp_path / "whole", config, device="cpu")

    class Killed(Exception):
        pass

    def kill_after_step_8(step: int, total: int, stats: object) -> None:
        if step == 8:
            raise Killed

    with pytest.raises(Killed):
        fit(tiny_data, tmp_path / "stopped", config, device="cpu", progress=kill_after_step_8)
    assert load_checkpoint(tmp_path / "stopped" / "checkpoints" / "latest.pt").step == 6
    result = fit(None, tmp_path / "stopped", resume=True, device="cpu")
    assert result.steps == 12
    whole, resumed = _weights(tmp_path / "whole"), _weights(tmp_path / "stopped")
    for net in whole:
        for name, tensor in whole[net].items():
            assert torch.equal(tensor, resumed[net][name]), f"{net}.{name}"
    drop_speed = lambda rows: [{k: v for k, v in r.items() if k != "images_per_s"} for r in rows]  # noqa: E731
    assert drop_speed(_metrics(tmp_path / "whole")) == drop_speed(_metrics(tmp_path / "stopped"))


def test_resume_checks_config_and_process_count(tiny_data: Path, tiny_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    with pytest.raises(CardtrainError, match="keeps the config it was started with"):
        fit(None, run, TINY.override(lr=1.0), resume=True, device="cpu")
    latest = run / "checkpoints" / "latest.pt"
    state = load_checkpoint(latest).state
    save_checkpoint(latest, {**state, "world_size": 4})
    with pytest.raises(CardtrainError, match="was trained by 4 processes"):
        fit(None, run, resume=True, device="cpu")


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_fast_path_runs_on_cpu(tiny_data: Path, tmp_path: Path, precision: str) -> None:
    """The GPU path's pieces (autocast, grad scaler, channels_last, device-resident uint8
    data and on-device jitter) run on a CPU too and still learn."""
    config = TINY.override(
        precision=precision, channels_last=True, data_on_device=True, lr=1e-3, epochs=4, dropout=0.0
    )
    result = fit(tiny_data, tmp_path / "run", config, device="cpu")
    rows = [r for r in _metrics(tmp_path / "run") if r["loss_g_l1"]]
    assert float(rows[-1]["loss_g_l1"]) < float(rows[0]["loss_g_l1"])
    assert result.val is not None and result.val.l1 < 0.5
    scaler = load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt").state["scaler"]
    assert bool(scaler) == (precision == "fp16")  # only fp16 needs (and saves) a loss scale


def test_learning_rate_schedule() -> None:
    constant = TrainConfig()
    assert _lr_at(0, 100, constant) == _lr_at(99, 100, constant) == 2e-4
    decaying = TrainConfig(lr_decay=0.5)
    assert _lr_at(49, 100, decaying) == 2e-4
    assert _lr_at(75, 100, decaying) == pytest.approx(1e-4)
    assert _lr_at(99, 100, decaying) == pytest.approx(2e-4 / 50)


@pytest.mark.skipif(
    os.environ.get("CARDTRAIN_SLOW_TESTS") != "1", reason="torch.compile on a CPU takes ~1 min; CARDTRAIN_SLOW_TESTS=1"
)
def test_compiled_training_runs(tiny_data: Path, tmp_path: Path) -> None:
    result = fit(tiny_data, tmp_path / "run", TINY.override(compile=True, epochs=1), device="cpu")
    assert result.steps == 4 and result.val is not None
