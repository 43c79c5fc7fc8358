"""DDP through torchrun: 2 CPU processes with gloo train exactly what one process would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from cardtrain.checkpoint import load_checkpoint
from cardtrain.train import fit
from tests.cardtrain.conftest import TINY

# No dropout and no jitter: the only randomness left is the shuffle, which every process
# shares, so 2 processes x batch 1 must equal 1 process x batch 2 (gradients averaged).
DETERMINISTIC = TINY.override(dropout=0.0, load_size=32, flip=False, epochs=2)


def test_two_processes_equal_one_with_the_double_batch(tiny_data: Path, tmp_path: Path) -> None:
    options = {
        "--crop-size": 32, "--load-size": 32, "--depth": 5, "--ngf": 8, "--ndf": 8, "--d-layers": 2,
        "--norm": "instance", "--dropout": 0.0, "--epochs": 2, "--log-every": 1, "--samples": 2,
        "--batch-size": 1, "--device": "cpu",
    }  # fmt: skip
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "cardtrain", "fit",
               str(tiny_data), "--out", str(tmp_path / "ddp"), "--no-flip",
               *[str(x) for item in options.items() for x in item]]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    summaries = [line for line in done.stdout.splitlines() if line.startswith("trained ")]
    assert len(summaries) == 1  # rank 0 alone reports
    written = sorted(p.name for p in (tmp_path / "ddp").iterdir())
    assert written == ["checkpoints", "config.json", "metrics.csv", "samples"]  # no stray temp files

    ddp = load_checkpoint(tmp_path / "ddp" / "checkpoints" / "latest.pt")
    assert ddp.state["world_size"] == 2 and len(ddp.state["rng"]) == 2
    assert ddp.step == 8  # 8 images / (2 processes x batch 1) per epoch, 2 epochs

    fit(tiny_data, tmp_path / "single", DETERMINISTIC, device="cpu")  # batch 2, one process
    single = load_checkpoint(tmp_path / "single" / "checkpoints" / "latest.pt")
    for net in ("generator", "discriminator"):
        for name, tensor in single.state[net].items():
            torch.testing.assert_close(ddp.state[net][name], tensor, atol=1e-4, rtol=1e-4, msg=f"{net}.{name}")
