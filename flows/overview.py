"""The `stkkr-overview` artifact after each run: the library reaches it through `stkkr_tasks.seam`.

It reads deployments and run history (the deploy floor), which the run floor may not import.
"""

from __future__ import annotations

from stkkr_tasks.deploy.overview import update_overview

__all__ = ["update_overview"]
