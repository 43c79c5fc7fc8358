"""``cardprep augment``: aligned pairs -> the 1000/300 A|B training dataset with its manifest.

Every AugmentConfig field is an option (``--n``, ``--rotate``, ``--hflip/--no-hflip``...),
generated from the dataclass so that its type, default, help and option name are written
once, in cardprep/augment/params.py; a strength whose default depends on the pairs' frame
shows both defaults, from ``FRAME_DEFAULTS``.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from pathlib import Path
from typing import Annotated, Any, Optional, get_origin, get_type_hints

import typer
from rich.markup import escape

from cardprep.augment import AugmentConfig, build_dataset
from cardprep.align import Frame
from cardprep.augment.params import FRAME_DEFAULTS, option
from cardprep.cli._common import app, err_console, output_path, progress_bar, user_errors

DEFAULT_OUT = Path("dataset")
_OUT_HELP = "Dataset folder to write (new, empty, or an earlier dataset, which is replaced whole)."

HELP = (
    "Write DATASET/train and DATASET/val (side-by-side A|B JPEGs) and DATASET/manifest.csv.\n\n"
    "Each image draws one rotation, zoom, shear and shift and applies it to both halves.\n\n"
    "The defaults follow the frame ALIGNED/align.json records. Photo frame: geometry only. Card frame "
    "(cardprep align --frame card): small geometric changes, and the light and camera of new footage "
    "(brightness, contrast, white balance, gamma, shadow and glare bands, blur, noise, JPEG), one draw per "
    "image for both halves. A strength of 0 switches its effect off.\n\n"
    "The manifest records each image's pair, seed and parameters: any row can be made again.\n\n"
    "A stem without its partner is reported and skipped; an unreadable image stops the run.\n"
)


def parse_names(text: str) -> tuple[str, ...]:
    """'s1, s2' -> ('s1', 's2'); empty items dropped."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _config_parameters() -> list[inspect.Parameter]:
    """One keyword option per AugmentConfig field: its option name, default and help from the field."""
    hints = get_type_hints(AugmentConfig)
    parameters = []
    for f in dataclasses.fields(AugmentConfig):
        kind, default, names, metavar = hints[f.name], f.default, (option(f.name),), None
        help = f.metadata["help"]
        if f.name in FRAME_DEFAULTS[Frame.PHOTO]:
            defaults = ", ".join(f"{FRAME_DEFAULTS[frame][f.name]:g} {frame.value} frame" for frame in Frame)
            help += f" [default: {defaults}]"
        if kind is bool:  # a pair shown without a type, so that --hflip never looks as if it took a value
            names, metavar = (f"{option(f.name)}/--no-{option(f.name).removeprefix('--')}",), ""
        elif get_origin(kind) is tuple:  # names, given comma-separated
            kind, default = str, ",".join(default)
        annotation = Annotated[kind, typer.Option(*names, help=escape(help), metavar=metavar,
                                                  rich_help_panel="Dataset")]
        parameters.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                            annotation=annotation))
    return parameters


def _config(settings: dict[str, Any]) -> AugmentConfig:
    """The config from the options' values (comma-separated names back to tuples)."""
    hints = get_type_hints(AugmentConfig)
    return AugmentConfig(**{name: parse_names(value) if get_origin(hints[name]) is tuple else value
                            for name, value in settings.items()})


def augment_command(
    aligned: Annotated[Path, typer.Argument(help="Aligned pairs: ALIGNED/A/<stem>.png and ALIGNED/B/<stem>.png (cardprep align's output).")] = Path("aligned"),
    out: Annotated[Optional[Path], typer.Argument(help=escape(f"{_OUT_HELP} [default: {DEFAULT_OUT}]"), show_default=False)] = None,  # noqa: UP045
    *,
    out_option: Annotated[Optional[Path], typer.Option("--out", "-o", help="The dataset folder, as OUT.", show_default=False)] = None,  # noqa: UP045
    workers: Annotated[int, typer.Option(help="Worker processes (0: all cores). The files do not depend on it.", min=0)] = 0,
    **settings: Any,
) -> None:
    start = time.perf_counter()
    with user_errors():
        out = output_path(out, out_option, default=DEFAULT_OUT)
        config = _config(settings)
        with progress_bar() as bar:
            task = bar.add_task("augmenting", total=config.n_train + config.n_val)
            summary = build_dataset(aligned, out, config, workers=workers or None,
                                    on_progress=lambda done: bar.advance(task, done))
    warnings = [*(f"{aligned}: {o.stem}: {o.reason}; skipped" for o in summary.orphans), *summary.warnings]
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    held = f", val from held-out {', '.join(summary.val_sources)}" if summary.val_sources else ""
    skipped = f", {len(summary.orphans)} unpaired skipped" if summary.orphans else ""
    typer.echo(f"{summary.n_train + summary.n_val} images ({summary.n_train} train, {summary.n_val} val) from "
               f"{len(summary.sources)} {summary.frame.value}-frame pairs{held}{skipped} in {time.perf_counter() - start:.1f} s -> {summary.out}")


# typer reads the signature: the fixed parameters above, then one option per config field
# in place of **settings.
_fixed = inspect.signature(augment_command, eval_str=True).parameters.values()
augment_command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [p for p in _fixed if p.kind is not inspect.Parameter.VAR_KEYWORD] + _config_parameters()
)
augment_command.__doc__ = HELP
app.command("augment")(augment_command)
