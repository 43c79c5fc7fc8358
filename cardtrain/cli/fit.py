"""``cardtrain fit``: train pix2pix into a run folder, or resume one.

Every TrainConfig field is an option (``--batch-size``, ``--norm``...), generated from the
dataclass so that its type, choices and help are written once, in cardtrain/config.py.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from pathlib import Path
from typing import Annotated, Any, Optional, get_type_hints

import typer
from rich.markup import escape
from rich.progress import TextColumn

from cardtrain.cli._common import app, duration, err_console, is_main_process, progress_bar, user_errors
from cardtrain.config import PRESETS, PresetName, TrainConfig, field_help
from cardtrain.errors import CardtrainError
from cardtrain.train import FitResult, fit

HELP = """Train pix2pix on DATA (a manifest.csv, or a folder with train/ and val/ of A|B images).

Writes RUN/config.json, metrics.csv, samples/ and checkpoints/ (latest.pt; best.pt by val L1).\n
Start from a --preset and change any of its values with the options below.\n
Resume a stopped run at the same step: cardtrain fit --resume RUN.\n
Several processes (DDP, --batch-size is per process): torchrun --nproc_per_node N -m cardtrain fit DATA ...
"""


def _config_parameters() -> list[inspect.Parameter]:
    """One keyword option per TrainConfig field, default None ("the preset's value")."""
    hints, helps = get_type_hints(TrainConfig), field_help()
    parameters = []
    for f in dataclasses.fields(TrainConfig):
        presets = ", ".join(f"{name} {getattr(cfg, f.name)}" for name, cfg in PRESETS.items())
        names = (f"--{f.name.replace('_', '-')}/--no-{f.name.replace('_', '-')}",) if hints[f.name] is bool else ()
        help_text = f"{helps[f.name]} {escape(f'[{presets}]')}"
        option = typer.Option(*names, help=help_text, rich_help_panel="Training config")
        annotation = Annotated[Optional[hints[f.name]], option]  # noqa: UP045 (typer reads the annotation)
        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters.append(inspect.Parameter(f.name, keyword, default=None, annotation=annotation))
    return parameters


def _summary(result: FitResult) -> str:
    if result.steps == result.start_step:
        return f"nothing to do: {result.run} already finished its {result.steps} steps"
    resumed = f" (resumed at {result.start_step})" if result.start_step else ""
    speed = f"{duration(result.seconds)} ({result.images_per_s:.1f} images/s)"
    line = f"trained {result.steps - result.start_step} steps{resumed} in {speed}"
    if result.val is not None:
        v = result.val
        line += f"; val L1 {v.l1:.4f} PSNR {v.psnr:.2f} SSIM {v.ssim:.3f} pip IoU {v.pip_iou:.3f}"
    best = result.run / "checkpoints" / ("best.pt" if result.best_val_l1 is not None else "latest.pt")
    return f"{line} -> {best}"


def _interrupted(run: Path) -> str:
    """The one line a Ctrl-C prints: how to go on."""
    if (run / "checkpoints" / "latest.pt").is_file():
        where = "its last checkpoint"
    elif (run / "config.json").is_file():
        where = "step 0: no checkpoint was written yet"
    else:
        return f"interrupted before {run} was started; nothing to resume"
    return f"interrupted; continue with: cardtrain fit --resume {run}  ({where})"


def fit_command(
    data: Annotated[
        Optional[Path], typer.Argument(help="manifest.csv, or a folder with train/ and val/.", show_default=False)
    ] = None,
    *,
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help=escape("Run folder to create [default: runs/PRESET-TIME]."))
    ] = None,
    preset: Annotated[
        Optional[PresetName],
        typer.Option(help="Starting values: seed (the paper's), fast (GPU), cpu-demo." + escape(" [default: seed]")),
    ] = None,
    resume: Annotated[
        Optional[Path],
        typer.Option(help="Continue this run from its checkpoints/latest.pt, at the same step.", metavar="RUN"),
    ] = None,
    device: Annotated[str, typer.Option(help="auto (the GPU if any), cpu, cuda, cuda:N.")] = "auto",
    **overrides: Any,
) -> None:
    with user_errors():
        given = {k: v for k, v in overrides.items() if v is not None}
        if resume is not None:
            if given or preset or out:
                raise CardtrainError(
                    f"--resume {resume} keeps the run's own config; drop --preset, --out and the options"
                )
            config, run = None, resume
        else:
            if data is None:
                raise CardtrainError("give DATA (a manifest.csv or a folder with train/), or --resume RUN")
            config = PRESETS[preset or "seed"].override(**given)
            run = out or Path("runs") / f"{preset or 'seed'}-{time.strftime('%Y%m%d-%H%M%S')}"
        with progress_bar(TextColumn("{task.fields[ips]}"), TextColumn("{task.fields[l1]}")) as bar:
            task = bar.add_task("training", total=None, ips="", l1="")

            def report(step: int, total: int, stats: dict[str, float]) -> None:
                ips = f"{stats['images_per_s']:.1f} img/s" if "images_per_s" in stats else ""
                l1 = f"L1 {stats['loss_g_l1']:.3f}" if "loss_g_l1" in stats else ""
                bar.update(task, completed=step, total=total, ips=ips, l1=l1)

            try:
                result = fit(data, run, config, resume=resume is not None, device=device, progress=report)
            except KeyboardInterrupt:
                if is_main_process():
                    err_console.print(_interrupted(run), highlight=False, soft_wrap=True, markup=False)
                raise typer.Exit(130) from None
        if is_main_process():
            typer.echo(_summary(result))


# typer reads the signature: the fixed parameters above, then one option per config field
# in place of **overrides.
_fixed = inspect.signature(fit_command, eval_str=True).parameters.values()
fit_command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [p for p in _fixed if p.kind is not inspect.Parameter.VAR_KEYWORD] + _config_parameters()
)
fit_command.__doc__ = HELP
app.command("fit")(fit_command)
