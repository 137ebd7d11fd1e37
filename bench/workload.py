"""The benchmark's workload, once for all three contenders: read, keep, transform, update.

Every row of the GetConnector `Profit_Projects` is read in pages ordered on `ProjectId`; a filter keeps the
rows whose booked hours reach a share of their budget (the simulator draws that share uniformly between 0.1
and 1.3, so a threshold of 0.7 keeps about half and 1.288 about 1%); three fields are transformed; each kept
row is updated with a PUT to the UpdateConnector `PtProject`. The baselines use the Python functions below,
stkkr uses `stkkr_text`, which says the same in a stkkr file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from stkkr_tasks.afas.auth import token_header

GET_CONNECTOR = "Profit_Projects"
ORDER_KEY = "ProjectId"
UPDATE_CONNECTOR = "PtProject"
DAYS_LATER = 30


@dataclass(frozen=True)
class Keep:
    """A filter threshold: keep rows with HoursBooked ≥ HoursBudget × numerator / denominator.

    Attributes:
        numerator: The threshold's numerator (whole numbers keep the comparison exact).
        denominator: The threshold's denominator.
        label: How the report names the share the filter keeps.
    """

    numerator: int
    denominator: int
    label: str

    def keeps(self, row: dict[str, Any]) -> bool:
        """Whether a row (as plain JSON gives it) passes the filter."""
        booked, budget = row.get("HoursBooked"), row.get("HoursBudget")
        if booked is None or budget is None:
            return False
        return booked * self.denominator >= budget * self.numerator

    def expression(self) -> str:
        """The same filter as a stkkr `filter` expression."""
        return f"row.HoursBooked * {self.denominator} >= row.HoursBudget * {self.numerator}"


HALF = Keep(7, 10, "about half")
ALL = Keep(0, 1, "all")
ONE_PERCENT = Keep(1288, 1000, "about 1%")


def auth_header(token: str) -> dict[str, str]:
    """The `Authorization` header of AFAS's token auth (Base64 of the whole token XML)."""
    return {"Authorization": token_header(token)}


def page_params(skip: int, take: int) -> dict[str, str | int]:
    """The query of one GetConnector page, ordered on the key so that paging is stable."""
    return {"skip": skip, "take": take, "orderbyfieldids": ORDER_KEY}


def update_body(row: dict[str, Any]) -> dict[str, Any]:
    """The PUT body of a kept row: three fields transformed (what the stkkr file's `transform` says)."""
    booked, budget, end = row.get("HoursBooked"), row.get("HoursBudget"), row.get("EndDate")
    finished = booked is not None and budget is not None and booked >= budget
    fields = {
        "Ds": (row.get("Description") or "").strip().upper() or None,
        "DtGp": (date.fromisoformat(end[:10]) + timedelta(days=DAYS_LATER)).isoformat() if end else None,
        "PrSt": "Gereed" if finished else row.get("Status"),
    }
    return {UPDATE_CONNECTOR: {"Element": {"@PrId": row[ORDER_KEY], "Fields": fields}}}


#: The columns of the upload scenario's CSV file: what the workload reads of each row.
UPLOAD_COLUMNS = (ORDER_KEY, "Description", "EndDate", "HoursBudget", "HoursBooked", "Status")


def stkkr_text(
    name: str,
    connection: str,
    keep: Keep,
    page_size: int,
    *,
    batch: int = 1,
    refuse_one_in: int = 0,
    upload: bool = False,
    refusal: str = "metainfo",
) -> str:
    """The workload as a stkkr file.

    Args:
        name: The stkkr's name.
        connection: The AfasConnection block to use.
        keep: The filter threshold.
        page_size: Rows per GetConnector page.
        batch: Elements per request (`update.batch`).
        refuse_one_in: When above 0, one project in this many is refused by AFAS.
        upload: Read an uploaded CSV file of `UPLOAD_COLUMNS` (`input:`) instead of the GetConnector.
        refusal: How: `metainfo` gives it a date that is none (the UpdateConnector's metainfo refuses it),
            `rule` a key no project has (AFAS refuses to update a record that does not exist).

    Returns:
        The YAML text of the stkkr.
    """
    end_date = f"add_days(row.EndDate, {DAYS_LATER}) | date"
    key = f"row.{ORDER_KEY}"
    refused = f"int(row.{ORDER_KEY}) % {refuse_one_in} == 0"
    if refuse_one_in and refusal == "metainfo":
        end_date = f"'never' if {refused} else ({end_date})"
    elif refuse_one_in:
        key = f"'X' ~ row.{ORDER_KEY} if {refused} else row.{ORDER_KEY}"
    source = (
        f"input: {{key: [{ORDER_KEY}], page_size: {page_size}, "
        "columns: {EndDate: date, HoursBudget: decimal, HoursBooked: decimal}}"
        if upload
        else f"get: {{connector: {GET_CONNECTOR}, order_by: [{ORDER_KEY}], page_size: {page_size}}}"
    )
    return f"""\
stkkr: {name}
description: Benchmark workload ({keep.label} of the projects kept, three fields updated)
connection: {connection}
{source}
filter: "{keep.expression()}"
transform:
  keys: {{"@PrId": "{{{{ {key} }}}}"}}
  fields:
    Ds: "{{{{ row.Description | trim | upper }}}}"
    DtGp: "{{{{ {end_date} }}}}"
    PrSt: "{{{{ 'Gereed' if row.HoursBooked >= row.HoursBudget else row.Status }}}}"
update:
  connector: {UPDATE_CONNECTOR}
  action: update
  batch: {batch}
on_error: continue
"""
