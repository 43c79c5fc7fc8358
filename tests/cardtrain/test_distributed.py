"""DDP through torchrun: 2 CPU processes with gloo train exactly what one process would, draw
their own dropout and jitter, and resume bit for bit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from cardtrain.checkpoint import load_checkpoint
from cardtrain.train import fit
from tests.cardtrain.conftest import TINY

REPO = Path(__file__).resolve().parents[2]

# No dropout and no jitter: the only randomness left is the shuffle, which every process
# shares, so 2 processes x batch 1 must equal 1 process x batch 2 (gradients averaged).
DETERMINISTIC = TINY.override(dropout=0.0, load_size=32, flip=False, epochs=2)


def torchrun(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """2 processes, one thread each. --standalone: the rendezvous store binds a free port
    itself (port 0) rather than a port looked up free beforehand, which another job on a shared
    machine can take in between; a generous timeout, as the machine may be loaded."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=cwd)
    assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-3000:]
    return done


def test_two_processes_equal_one_with_the_double_batch(tiny_data: Path, tmp_path: Path) -> None:
    options = {
        "--crop-size": 32, "--load-size": 32, "--depth": 5, "--ngf": 8, "--ndf": 8, "--d-layers": 2,
        "--norm": "instance", "--dropout": 0.0, "--epochs": 2, "--log-every": 1, "--samples": 2,
        "--batch-size": 1, "--device": "cpu",
    }  # fmt: skip
    done = torchrun("-m", "cardtrain", "fit", str(tiny_data), "--out", str(tmp_path / "ddp"), "--no-flip",
                    *[str(x) for item in options.items() for x in item], cwd=tmp_path)  # fmt: skip
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


# Each process runs a whole 8-step run, then the same run stopped after step 7 (latest.pt is
# step 6's), then resumes it. Dropout 0.5 and jitter (resize 36, crop 32, flip) are on. The
# three runs share one process group: a gloo group made again in the same processes (fit's own,
# once per call) hung now and then, reading the previous group's addresses from the store.
RESUME_SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    import torch.distributed as dist
    from cardtrain.train import fit
    from tests.cardtrain.conftest import TINY

    dist.init_process_group("gloo")

    data, root = Path(sys.argv[1]), Path(sys.argv[2])
    config = TINY.override(batch_size=1, epochs=2, eval_every=3)

    class Stop(Exception):
        pass

    def stop_after_step_7(step, total, stats):
        if step == 7:  # in every process, as torchrun stops them all when one dies
            raise Stop

    fit(data, root / "whole", config, device="cpu")
    try:
        fit(data, root / "stopped", config, device="cpu", progress=stop_after_step_7)
    except Stop:
        pass
    fit(None, root / "stopped", resume=True, device="cpu")
    dist.destroy_process_group()
""")


def test_ranks_draw_their_own_dropout_and_a_stopped_run_resumes_exactly(tiny_data: Path, tmp_path: Path) -> None:
    script = tmp_path / "resume.py"
    script.write_text(RESUME_SCRIPT)
    torchrun(str(script), str(tiny_data), str(tmp_path), cwd=tmp_path)

    whole = load_checkpoint(tmp_path / "whole" / "checkpoints" / "latest.pt").state
    ranks = whole["rng"]
    assert whole["config"]["dropout"] == 0.5 and len(ranks) == 2
    # The same number of draws from each rank's streams, yet different states: different seeds,
    # so each process drops different units and crops differently (the batch is not duplicated).
    assert not torch.equal(ranks[0]["torch"], ranks[1]["torch"])
    assert not torch.equal(ranks[0]["jitter"], ranks[1]["jitter"])

    stopped = load_checkpoint(tmp_path / "stopped" / "checkpoints" / "latest.pt").state
    assert stopped["step"] == whole["step"] == 8
    for key in ("generator", "discriminator"):
        for name, tensor in whole[key].items():
            assert torch.equal(stopped[key][name], tensor), f"{key}.{name}"
    for rank in range(2):
        for stream in ("torch", "jitter"):
            assert torch.equal(stopped["rng"][rank][stream], ranks[rank][stream])
