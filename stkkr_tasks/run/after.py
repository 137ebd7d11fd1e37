"""What every stkkr run does after its summary: the event, the failed-rows artifact and the overview.

Each step is best effort: the run's outcome is already decided, so a failure here is logged as a warning
(with the exception's type only) and never changes the run's state. The overview reads deployments and
history (the deploy floor), so it is reached through the seam (`flows/overview.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prefect import get_run_logger

from stkkr_tasks import seam
from stkkr_tasks.run.artifacts import create_failure_artifact
from stkkr_tasks.run.events import emit_finished

if TYPE_CHECKING:
    from stkkr_tasks.run.summary import RunSummary
    from stkkr_tasks.spec import StkkrSpec


async def after_run(spec: StkkrSpec, summary: RunSummary) -> None:
    """Emit `stkkr.run.finished`, list failed rows as an artifact, and update the `stkkr-overview` artifact.

    Args:
        spec: The stkkr that ran.
        summary: Its run's summary.
    """
    logger = get_run_logger()
    try:
        emit_finished(spec, summary)
    except Exception as exc:
        logger.warning("Could not emit the stkkr.run.finished event (%s).", type(exc).__name__)
    if summary.failed and not summary.dry_run:
        try:
            await create_failure_artifact(summary)
        except Exception as exc:
            logger.warning("Could not create the failed-rows artifact (%s).", type(exc).__name__)
    try:
        await seam.update_overview(summary)
    except Exception as exc:
        logger.warning("Could not update the stkkr-overview artifact (%s).", type(exc).__name__)
