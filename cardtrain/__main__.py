"""``python -m cardtrain`` and ``torchrun -m cardtrain fit ...``."""

from cardtrain.cli import app

app(prog_name="cardtrain")
