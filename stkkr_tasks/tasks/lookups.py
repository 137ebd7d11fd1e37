"""Reading the GetConnector lookups of a run (joins) into memory, once, before the first page.

Each lookup is read through the same `Pager` as the stkkr's own GetConnector, ordered on its key, and held
as a mapping of key text to value (or to the whole row) for `lookup('name', key)`. The tables belong to the
run's compiled stkkr (`CompiledStkkr.with_lookups`) and go with it when the run ends. Nothing of them is
logged or handed to Prefect; a table past its `max_rows` stops the run before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stkkr_tasks.afas import AfasError, AfasPagingTiesError
from stkkr_tasks.spec.helpers import key_text
from stkkr_tasks.spec.sandbox import Row
from stkkr_tasks.tasks._errors import RunAborted, fatal_reason, unexpected

if TYPE_CHECKING:
    from stkkr_tasks.afas import AfasClient
    from stkkr_tasks.spec import CompiledStkkr
    from stkkr_tasks.spec.model import GetLookup

__all__ = ["LOOKUP_PAGE_SIZE", "read_lookups"]

LOOKUP_PAGE_SIZE = 1_000
"""Rows per GetConnector request while reading a lookup."""


async def read_lookups(client: AfasClient, compiled: CompiledStkkr) -> CompiledStkkr:
    """Read every GetConnector lookup of the stkkr and return a compiled stkkr for this run that uses them.

    Args:
        client: The run's open AFAS client.
        compiled: The compiled stkkr (not changed).

    Returns:
        `compiled` itself when the stkkr has no GetConnector lookup, else a copy for this run only.

    Raises:
        RunAborted: A lookup could not be read, has more rows than its `max_rows`, or its key is not
            unique; the message names the lookup and holds no row value.
    """
    if not compiled.get_lookups:
        return compiled
    tables = {
        name: await _read_table(client, compiled, name, lookup)
        for name, lookup in compiled.get_lookups.items()
    }
    return compiled.with_lookups(tables)


async def _read_table(
    client: AfasClient, compiled: CompiledStkkr, name: str, lookup: GetLookup
) -> dict[str, Any]:
    where = compiled.lookup_where(name) or None
    pager = client.pager(lookup.connector, order_by=[lookup.key], where=where, page_size=LOOKUP_PAGE_SIZE)
    table: dict[str, Any] = {}
    what = f"lookup {name!r} (GetConnector {lookup.connector})"
    try:
        while (page := await pager.next_page()) is not None:
            if pager.rows_read > lookup.max_rows:
                raise RunAborted(
                    f"The {what} has more than {lookup.max_rows} rows (its max_rows); narrow it with a "
                    "where, or raise max_rows if the memory allows. Nothing was written."
                )
            for row in page:
                table[key_text(row.get(lookup.key))] = (
                    Row(row) if lookup.value is None else row.get(lookup.value)
                )
    except RunAborted:
        raise
    except AfasPagingTiesError:
        raise RunAborted(
            f"The {what} has rows that share a value of its key {lookup.key!r}; the key must identify a "
            "row (choose another key, or narrow the lookup with a where). Nothing was written."
        ) from None
    except Exception as exc:
        detail = fatal_reason(exc) or (
            str(exc) if isinstance(exc, AfasError) else unexpected(exc, "reading it")
        )
        raise RunAborted(f"Reading the {what} failed: {detail}") from None
    return table
