"""The commands: exit codes, one-line errors without tracebacks, summaries, --resume rules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cardtrain.cli import app

runner = CliRunner()

TINY_OPTIONS = [
    "--crop-size", "32", "--load-size", "36", "--depth", "5", "--ngf", "8", "--ndf", "8", "--d-layers", "2",
    "--norm", "instance", "--batch-size", "2", "--epochs", "1", "--log-every", "1", "--samples", "2",
    "--device", "cpu",
]  # fmt: skip


def _error_line(result) -> str:  # noqa: ANN001 (click's Result)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture(scope="module")
def cli_run(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("cli") / "run"
    result = runner.invoke(app, ["fit", str(tiny_data / "manifest.csv"), "--out", str(run), *TINY_OPTIONS])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("trained 4 steps in ")
    assert "val L1" in result.output and str(run / "checkpoints" / "best.pt") in result.output
    return run


def test_every_command_has_help() -> None:
    for command in ("fit", "eval", "predict"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
    assert "--batch-size" in runner.invoke(app, ["fit", "--help"]).output


def test_fit_options_override_the_preset(cli_run: Path) -> None:
    config = json.loads((cli_run / "config.json").read_text())["config"]
    assert (config["ngf"], config["crop_size"], config["lr"]) == (8, 32, 2e-4)  # lr from the seed preset


def test_eval_prints_json_and_writes_a_grid(cli_run: Path, tiny_data: Path) -> None:
    result = runner.invoke(app, ["eval", str(cli_run / "checkpoints" / "best.pt"), str(tiny_data), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert metrics["images"] == 4 and set(metrics) >= {"l1", "psnr", "ssim", "pip_iou"}
    assert (cli_run / "eval-val-best" / "grid.jpg").is_file()
    assert json.loads((cli_run / "eval-val-best" / "metrics.json").read_text()) == metrics


def test_predict_summary(cli_run: Path, tiny_data: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["predict", str(cli_run / "checkpoints" / "best.pt"), str(tiny_data / "val"),
                                 "--out", str(tmp_path / "out"), "--device", "cpu"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith("translated 4 frames in ")


def test_resume_a_finished_run_with_more_epochs_is_refused(cli_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(cli_run, run)
    line = _error_line(runner.invoke(app, ["fit", "--resume", str(run), "--epochs", "3"]))
    assert "keeps the run's own config" in line
    result = runner.invoke(app, ["fit", "--resume", str(run), "--device", "cpu"])
    assert result.exit_code == 0 and result.output.startswith("nothing to do:")


@pytest.fixture(scope="module")
def broken_inputs(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny data with a manifest missing a column, one naming a missing file,
    and a video file that is not a video."""
    root = tmp_path_factory.mktemp("broken") / "data"
    shutil.copytree(tiny_data, root)
    (root / "bad_columns.csv").write_text("path,splitt\ntrain/train_000.png,train\n")
    (root / "missing_file.csv").write_text("path,split\ntrain/train_000.png,train\ntrain/gone.png,train\n")
    (root / "broken.mp4").write_bytes(b"\x00" * 64)
    return root


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["fit"], "give DATA"),
        (["fit", "{data}/nope/manifest.csv"], "nope/manifest.csv: does not exist"),
        (["fit", "{data}/bad_columns.csv", "--out", "{tmp}/r"], "bad_columns.csv: missing column(s) split"),
        (["fit", "{data}/missing_file.csv", "--out", "{tmp}/r"], "line 3: train/gone.png does not exist"),
        (["fit", "{data}", "--out", "{tmp}/r", "--crop-size", "48"], "crop_size 48 is not divisible"),
        (["eval", "{data}/manifest.csv", "{data}"], "manifest.csv: not a readable torch checkpoint"),
        (["predict", "{ckpt}", "{data}/broken.mp4", "--out", "{tmp}/o.mp4"], "broken.mp4: not a video OpenCV can read"),
        (["predict", "{ckpt}", "{tmp}/nothing.png", "--out", "{tmp}/o"], "nothing.png: does not exist"),
        # issue 13: each of these was a traceback
        (["fit", "{data}", "--out", "{data}/manifest.csv/r", *TINY_OPTIONS], "manifest.csv/r: cannot write here"),
        (["fit", "{data}", "--out", "{tmp}/r", "--device", "meta"], "--device meta: not available here"),
        (["fit", "{data}", "--out", "{tmp}/r", "--device", "mps"], "--device mps: not available here"),
        (["fit", "{data}", "--out", "{tmp}/r", "--device", "xpu"], "--device xpu: not available here"),
        (["fit", "{data}", "--out", "{tmp}/r", "--lr", "nan"], "--lr must be positive and finite, got nan"),
        (["fit", "{data}", "--out", "{tmp}/r", "--beta1", "5"], "--beta1 must be in [0, 1), got 5.0"),
        (["fit", "{data}", "--out", "{tmp}/r", "--l1-weight", "-5"], "--l1-weight must be 0 or more"),
        (["eval", "{ckpt}", "{data}", "--batch-size", "0"], "--batch-size and --samples must be at least 1"),
        (["eval", "{ckpt}", "{data}", "--samples", "0"], "--batch-size and --samples must be at least 1"),
        (["eval", "{ckpt}", "{data}", "--split", "tset"], "--split must be one of train, val, test, got 'tset'"),
        (["predict", "{ckpt}", "{data}/val", "--out", "{data}/val"], "is the input"),
    ],
)
def test_errors_are_one_line(
    args: list[str], expected: str, cli_run: Path, broken_inputs: Path, tmp_path: Path
) -> None:
    names = {"data": broken_inputs, "tmp": tmp_path, "ckpt": cli_run / "checkpoints" / "best.pt"}
    line = _error_line(runner.invoke(app, [a.format(**names) for a in args]))
    assert line.startswith("error: ") and expected in line
    assert not (tmp_path / "r").exists()  # a failed fit leaves no run folder behind


def test_eval_checks_its_options_before_scoring(cli_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: `eval --samples 0` scored the whole split, then failed."""
    monkeypatch.setattr("cardtrain.evaluate.load_generator", lambda *a: pytest.fail("loaded before checking"))
    line = _error_line(runner.invoke(app, ["eval", str(cli_run / "checkpoints" / "best.pt"), str(tmp_path / "none"),
                                           "--samples", "0"]))  # fmt: skip
    assert "--samples must be at least 1" in line


def test_ctrl_c_before_the_first_checkpoint_says_how_to_resume(
    tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: Ctrl-C during fit said nothing about --resume, and a run stopped before its
    first checkpoint could be neither resumed (no latest.pt) nor restarted (folder not empty)."""
    import cardtrain.gan

    real_step, calls = cardtrain.gan.GanStep.train_step, []

    def interrupted_at_step_3(self, real_a, real_b):  # noqa: ANN001, ANN202
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_step(self, real_a, real_b)

    run = tmp_path / "run"
    monkeypatch.setattr(cardtrain.gan.GanStep, "train_step", interrupted_at_step_3)
    result = runner.invoke(app, ["fit", str(tiny_data), "--out", str(run), *TINY_OPTIONS])
    assert result.exit_code == 130 and "Traceback" not in result.output
    assert result.output.strip() == f"interrupted; continue with: cardtrain fit --resume {run}  " \
                                    "(step 0: no checkpoint was written yet)"  # fmt: skip
    assert not (run / "checkpoints" / "latest.pt").exists()
    resumed = runner.invoke(app, ["fit", "--resume", str(run), "--device", "cpu"])
    assert resumed.exit_code == 0, resumed.output
    assert resumed.output.startswith("trained 4 steps in ")
