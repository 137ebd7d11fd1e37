"""Where stkkr keeps its files: the stkkr home folder (`$STKKR_HOME`, default `~/.stkkr`).

Apart from the store on purpose: the local Prefect server and the commands that only need this folder must
not import the store's database layer (SQLAlchemy costs a command about 0.4 CPU s of start-up).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["HOME_ENV", "stkkr_home"]

HOME_ENV = "STKKR_HOME"


def stkkr_home() -> Path:
    """The stkkr home folder: `$STKKR_HOME`, default `~/.stkkr`."""
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".stkkr").expanduser()
