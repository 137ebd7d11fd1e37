"""In-process hooks of a run: live counts and the dry-run preview, for the terminal only.

The hooks travel in a context variable, never as flow parameters, so nothing they see reaches Prefect. They
only listen: the run's summary comes back in its final state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from stkkr_tasks.tasks import Counts

ProgressCallback = Callable[[Counts], None]
PreviewCallback = Callable[[dict[str, Any]], None]
DEFAULT_PREVIEW = 5
"""How many elements a dry run previews unless told otherwise (`stkkr run --dry-run --preview N`)."""


@dataclass
class RunHooks:
    """Callbacks of one in-process run.

    Attributes:
        on_progress: Called with the run's counts so far each time a task's counts are added to them.
        on_preview: Dry run only: called with each of the first `preview_limit` elements that would be sent.
        preview_limit: How many elements a dry run previews.
    """

    on_progress: ProgressCallback | None = None
    on_preview: PreviewCallback | None = None
    preview_limit: int = DEFAULT_PREVIEW


_HOOKS: ContextVar[RunHooks | None] = ContextVar("stkkr_run_hooks", default=None)


def current_hooks() -> RunHooks:
    """The hooks of the run in this context (empty hooks when nobody listens)."""
    return _HOOKS.get() or RunHooks()


@contextmanager
def use_hooks(hooks: RunHooks) -> Iterator[RunHooks]:
    """Make `hooks` the hooks of the runs started inside the `with` block."""
    token = _HOOKS.set(hooks)
    try:
        yield hooks
    finally:
        _HOOKS.reset(token)
