"""stkkr: automate work inside AFAS Profit with YAML stkkr files, compiled into Prefect flows.

The public entry points load lazily, so `import stkkr_tasks.afas` (the Prefect-free client) does not pull in
Prefect.

```python
from stkkr_tasks import run_stkkr

summary = run_stkkr("deployments/examples/close-projects.yaml", dry_run=True)
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stkkr_tasks.errors import StkkrError

if TYPE_CHECKING:
    from stkkr_tasks.deploy import start_run, trigger
    from stkkr_tasks.run import RunSummary, arun_stkkr, run_stkkr

__all__ = ["RunSummary", "StkkrError", "arun_stkkr", "run_stkkr", "start_run", "trigger"]


def __getattr__(name: str) -> Any:
    """Load the public names on first use."""
    if name in ("start_run", "trigger"):
        import stkkr_tasks.deploy as deploy  # lazy: `import stkkr_tasks.afas` must not load Prefect

        return getattr(deploy, name)
    if name in __all__:
        import stkkr_tasks.run as run  # lazy: `import stkkr_tasks.afas` must not load Prefect

        return getattr(run, name)
    raise AttributeError(f"module 'stkkr_tasks' has no attribute {name!r}")
