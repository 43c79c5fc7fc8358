"""The training loop: it learns, its run folder follows Contract 4, and resume is exact."""

from __future__ import annotations

import csv
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import pytest
import torch

from cardtrain.checkpoint import REQUIRED, CheckpointWriter, load_checkpoint, load_generator, save_checkpoint
from cardtrain.config import TrainConfig
from cardtrain.data import load_split
from cardtrain.errors import CardtrainError
from cardtrain.evaluate import score_pairs
from cardtrain.models import build_generator, init_weights
from cardtrain.train import METRIC_COLUMNS, _lr_at, fit
from tests.cardtrain.conftest import TINY, make_dataset

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


def test_validation_and_checkpoints_have_their_own_cadence(
    tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validate every 2 steps, write latest.pt every 3 (and both at the end): best.pt is
    written on its own when val L1 improves between two latest.pt."""
    config = TINY.override(eval_every=2, checkpoint_every=3)
    saved: list[int] = []

    def watch(step: int, total: int, stats: object) -> None:
        latest = tmp_path / "run" / "checkpoints" / "latest.pt"
        saved.append(load_checkpoint(latest).step if latest.is_file() else 0)

    real_submit = CheckpointWriter.submit

    def submit_and_wait(self: CheckpointWriter, *args: object, **kwargs: object) -> None:
        real_submit(self, *args, **kwargs)  # type: ignore[arg-type]
        self.wait()  # on disk before the next step, so that watch sees it

    monkeypatch.setattr(CheckpointWriter, "submit", submit_and_wait)
    fit(tiny_data, tmp_path / "run", config, device="cpu", progress=watch)
    assert saved == [0, 0, 3, 3, 3, 6, 6, 8]
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == [
        "step_0000002.jpg", "step_0000004.jpg", "step_0000006.jpg", "step_0000008.jpg",
    ]  # fmt: skip
    val_l1 = {int(r["step"]): float(r["val_l1"]) for r in _metrics(tmp_path / "run") if r["val_l1"]}
    best = load_checkpoint(tmp_path / "run" / "checkpoints" / "best.pt")
    assert best.step == min(val_l1, key=val_l1.get) and best.state["best_val_l1"] == pytest.approx(min(val_l1.values()))


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


def test_learning_rate_scales_with_the_images_per_step() -> None:
    """Linear scaling from the reference batch (RESEARCH.md: batch 64 at 8e-4 kept the quality
    of batch 16 at 2e-4), counting every process's batch, with a linear warm-up."""
    rule = TrainConfig(lr=2e-4, lr_batch=16, batch_size=64)
    assert _lr_at(0, 100, rule) == pytest.approx(8e-4)
    assert _lr_at(0, 100, rule.override(batch_size=16), world_size=4) == pytest.approx(8e-4)  # 4 x 16 images
    assert _lr_at(0, 100, rule.override(batch_size=16)) == 2e-4
    warm = rule.override(lr_warmup=0.1, lr_decay=0.5)  # 10 steps up, 50 down
    assert [_lr_at(s, 100, warm) for s in (0, 4, 9, 10, 50)] == pytest.approx([8e-5, 4e-4, 8e-4, 8e-4, 8e-4])
    assert _lr_at(75, 100, warm) == pytest.approx(4e-4)


def test_fit_logs_the_scaled_and_warmed_up_learning_rate(tiny_data: Path, tmp_path: Path) -> None:
    config = TINY.override(lr=1e-3, lr_batch=1, lr_warmup=0.5, epochs=2)  # batch 2: lr 2e-3, 4 warm-up steps
    fit(tiny_data, tmp_path / "run", config, device="cpu")
    logged = [float(r["lr"]) for r in _metrics(tmp_path / "run") if r["lr"]]
    assert logged == pytest.approx([5e-4, 1e-3, 1.5e-3, 2e-3, 2e-3, 2e-3, 2e-3, 2e-3])
    adam = load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt").state["opt_g"]["param_groups"][0]
    assert adam["lr"] == pytest.approx(2e-3)  # what the optimiser used, not only what was logged


def test_a_run_stopped_before_its_first_checkpoint_resumes_from_step_0(
    tiny_data: Path, tiny_run: Path, tmp_path: Path
) -> None:
    """Issue 13: Ctrl-C before the first checkpoint left a folder that neither --resume (no
    latest.pt) nor --out (not empty) accepted. Resumed, it ends as a run never stopped."""

    def stop_at_step_2(step: int, total: int, stats: object) -> None:
        if step == 2:
            raise KeyboardInterrupt

    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        fit(tiny_data, run, TINY.override(eval_every=3), device="cpu", progress=stop_at_step_2)
    assert (run / "config.json").is_file() and not (run / "checkpoints" / "latest.pt").exists()
    with pytest.raises(CardtrainError, match="already exists and is not empty; pass --resume"):
        fit(tiny_data, run, TINY.override(eval_every=3), device="cpu")
    result = fit(None, run, resume=True, device="cpu")
    assert (result.start_step, result.steps) == (0, 8)
    whole, resumed = _weights(tiny_run), _weights(run)
    assert all(torch.equal(whole["generator"][k], v) for k, v in resumed["generator"].items())


def test_resume_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(CardtrainError, match="not a cardtrain run"):
        fit(None, tmp_path, resume=True, device="cpu")


def test_without_a_val_split_it_warns_and_writes_no_best(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = make_dataset(tmp_path / "data", train=4, val=0)
    with caplog.at_level(logging.WARNING, logger="cardtrain"):
        result = fit(data, tmp_path / "run", TINY.override(epochs=1), device="cpu")
    assert result.val is None and result.best_val_l1 is None
    assert "no val split, so no validation metrics and no best.pt" in caplog.text
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == ["latest.pt"]


class TestCheckpointWriter:
    def test_writes_a_snapshot_taken_at_submit(self, tmp_path: Path) -> None:
        """Training goes on updating the tensors in place while the thread writes."""
        weights = torch.zeros(1000)
        with CheckpointWriter() as writer:
            writer.submit(tmp_path / "latest.pt", {"w": weights, "nested": [{"m": weights}]}, also=tmp_path / "best.pt")
            weights.add_(1)  # the next optimiser step, before the write is done
        for name in ("latest.pt", "best.pt"):
            state = torch.load(tmp_path / name, weights_only=True)
            assert not state["w"].any() and not state["nested"][0]["m"].any()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "latest.pt"]

    def test_an_error_in_the_thread_reaches_the_caller(self, tmp_path: Path) -> None:
        (tmp_path / "file").write_text("")
        writer = CheckpointWriter()
        writer.submit(tmp_path / "file" / "latest.pt", {"step": 1})  # cannot be written under a file
        with pytest.raises(Exception, match="cannot write here"):
            writer.close()

    def test_a_kill_while_writing_leaves_the_previous_latest_loadable(self, tmp_path: Path) -> None:
        """SIGKILL in the middle of the background write of step 2: latest.pt is still step 1's."""
        script = textwrap.dedent(f"""
            import sys, time, torch
            from pathlib import Path
            import cardtrain.checkpoint as checkpoint
            latest = Path({str(tmp_path / "latest.pt")!r})
            with checkpoint.CheckpointWriter() as writer:
                writer.submit(latest, {{"step": 1, "w": torch.ones(10)}})
            real_save = torch.save
            def slow_save(state, path):  # half a file, then the kill
                real_save(state, path)
                data = Path(path).read_bytes()
                Path(path).write_bytes(data[: len(data) // 2])
                print("writing", flush=True)
                time.sleep(60)
            checkpoint.torch.save = slow_save
            writer = checkpoint.CheckpointWriter()
            writer.submit(latest, {{"step": 2, "w": torch.zeros(10)}})
            writer.wait()
        """)
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout is not None and child.stdout.readline() == "writing\n"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        state = torch.load(tmp_path / "latest.pt", weights_only=True)
        assert state["step"] == 1 and torch.equal(state["w"], torch.ones(10))


@pytest.mark.skipif(
    os.environ.get("CARDTRAIN_SLOW_TESTS") != "1", reason="torch.compile on a CPU takes ~1 min; CARDTRAIN_SLOW_TESTS=1"
)
def test_compiled_training_runs(tiny_data: Path, tmp_path: Path) -> None:
    result = fit(tiny_data, tmp_path / "run", TINY.override(compile=True, epochs=1), device="cpu")
    assert result.steps == 4 and result.val is not None
