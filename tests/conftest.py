"""What every test shares: Python's own Ctrl-C handler, before and after each test.

Two ways a test could find SIGINT ignored, and a test that sends SIGINT (to itself, or to a
command it starts, which inherits an ignored signal across exec) would then wait for an
interrupt that never comes:
- the suite started as a background job of a non-interactive shell (as CI may run it), which
  starts every process with SIGINT ignored, so Python installs no handler;
- ``cardprep.common.cli.user_errors`` ignores SIGINT once it is exiting 130 on a Ctrl-C (a
  second Ctrl-C late in the shutdown would lose the exit code), and a test that drives that
  path in-process (CliRunner) would leave it so for every later test.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def python_handles_ctrl_c() -> Iterator[None]:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, signal.default_int_handler)
