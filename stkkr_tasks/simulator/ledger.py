"""Journal-entry checks (FiEntries): balance, journal and period, refused the way AFAS refuses them.

AFAS checks a financial entry as a whole: debit and credit of its lines must be equal, its journal must
exist, and its period must exist and be open ("For this administration, period 8 of the year 2024 is
blocked."). The messages name fields and periods, never amounts or accounts.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from stkkr_tasks.simulator.catalogue import LedgerDef
from stkkr_tasks.simulator.errors import AfasFault
from stkkr_tasks.simulator.validation import ParsedElement

_NUMBERS = itertools.count(70001)


def check_entry(ledger: LedgerDef, entry: ParsedElement, today: date | None = None) -> None:
    """Refuse an entry that is out of balance, in an unknown journal, or in a closed or unknown period.

    Raises:
        AfasFault: With AFAS's kind of message.
    """
    journal = entry.values.get(ledger.journal)
    if journal is None or str(journal) not in ledger.journals:
        raise AfasFault(f"The entered value for 'Journal' ({ledger.journal}) does not exist.")
    year, period = entry.values.get(ledger.year), entry.values.get(ledger.period)
    this_year = (today or date.today()).year
    if not isinstance(period, int) or not 1 <= period <= ledger.periods:
        raise AfasFault(f"The period ({ledger.period}) does not exist for this administration.")
    if not isinstance(year, int) or not this_year - ledger.open_years_back <= year <= this_year + 1:
        raise AfasFault(f"For this administration, period {period} of the year {year} is blocked.")
    lines = entry.objects.get(ledger.lines, [])
    if not lines:
        raise AfasFault(f"The journal entry has no lines ({ledger.lines}).")
    if _total(lines, ledger.debit) != _total(lines, ledger.credit):
        raise AfasFault("The journal entry is not in balance: the total debit differs from the total credit.")


def entry_result(ledger: LedgerDef, entry: ParsedElement) -> dict[str, Any]:
    """AFAS's `results` of an accepted entry: its administration and a new entry number."""
    result: dict[str, Any] = {"UnId": str(entry.values.get("UnId") or 1)}
    if ledger.entry_number:
        result[ledger.entry_number] = str(next(_NUMBERS))
    return result


def _total(lines: list[ParsedElement], field_id: str) -> Decimal:
    return sum((Decimal(str(line.values.get(field_id) or 0)) for line in lines), Decimal(0))
