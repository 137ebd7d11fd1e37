"""The monthly flow `purge-inactive-customers`: personal data of customers without a valid licence and
without interaction for 36 months is removed; their invoices stay, anonymised, 7 years after their date.
It reports counts only. The stkkrs of each tenant come from the stkkr files (their `tenant:`), so the
run-once fingerprints of those stkkrs go too.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from prefect import flow
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.states import State

from stkkr_tasks.run.artifacts import finish_with_counts
from stkkr_tasks.spec.files import valid_stkkr_files
from stkkr_tasks.store import ErrorStore
from stkkr_tasks.tenants import TenantStore
from stkkr_tasks.tenants.purge import INVOICE_YEARS, PERSONAL_DATA_MONTHS, check_periods, purge_inactive

ARTIFACT_KEY = "purge-inactive-customers"
MONTHLY_CRON = "0 4 1 * *"
TIMEZONE = "Europe/Amsterdam"


def stkkrs_by_tenant() -> dict[str, list[str]]:
    """The stkkr names of each tenant, from the valid stkkr files in the deployments directory."""
    found: defaultdict[str, list[str]] = defaultdict(list)
    for file in valid_stkkr_files():
        if file.spec.tenant:
            found[file.spec.tenant].append(file.spec.stkkr)
    return dict(found)


@flow(
    name="purge-inactive-customers",
    description="Remove personal data of customers inactive for 36 months; invoices after 7 years.",
    persist_result=False,
)
async def purge_inactive_customers(
    months: int = PERSONAL_DATA_MONTHS,
    invoice_years: int = INVOICE_YEARS,
    dry_run: bool = False,
    now: datetime | None = None,
) -> State[dict[str, Any]]:
    """Purge inactive customers (see `stkkr_tasks.tenants.purge`).

    Args:
        months: Months without interaction (at most 36; longer is refused).
        invoice_years: Years invoices are kept (7; other periods are refused).
        dry_run: Only count.
        now: The current time (for tests); default: the clock.

    Returns:
        A Completed state whose result is the counts.
    """
    check_periods(months, invoice_years)
    async with ErrorStore() as store:
        counts = await purge_inactive(
            TenantStore(store),
            stkkrs_by_tenant(),
            now=now,
            months=months,
            invoice_years=invoice_years,
            dry_run=dry_run,
        )
    verb = "Would purge" if dry_run else "Purged"
    message = (
        f"{verb} {counts['tenants']} customer(s) inactive for {months} months "
        f"({counts['users']} users, {counts['error_records']} error records); "
        f"{counts['invoices_deleted']} invoice(s) older than {invoice_years} years "
        f"{'to delete' if dry_run else 'deleted'}"
    )
    data = {**counts, "dry_run": dry_run}
    return await finish_with_counts(counts, key=ARTIFACT_KEY, message=message, column="what", data=data)


def purge_deployment() -> RunnerDeployment:
    """The monthly deployment of `purge-inactive-customers`: the 1st at 04:00 Europe/Amsterdam."""
    return RunnerDeployment.from_flow(
        purge_inactive_customers,
        name="monthly",
        schedules=[Cron(MONTHLY_CRON, timezone=TIMEZONE)],
        concurrency_limit=1,
        tags=["stkkr", "privacy"],
        description="Monthly purge of customers without a licence or interaction for 36 months.",
    )
