"""The pydantic model of a stkkr file (see README section "The stkkr file").

Unknown keys are errors everywhere (`extra="forbid"`). Values are checked as they are read: names, field
ids, operators (against the one AFAS operator table, `stkkr_tasks.afas.Operator`), schedules, and every
expression compiles in the sandbox. Checks that span several fields live in `stkkr_tasks.spec._rules`.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PrivateAttr,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from stkkr_tasks.afas import Operator
from stkkr_tasks.names import NAME_MAX_LENGTH, NAME_PATTERN
from stkkr_tasks.spec import _rules
from stkkr_tasks.spec._actions import ACTIONS, possible_actions
from stkkr_tasks.spec._values import check_expression, check_lookup_table, check_value, problem
from stkkr_tasks.spec._yaml import Origin
from stkkr_tasks.spec.errors import Problem
from stkkr_tasks.spec.expressions import is_template
from stkkr_tasks.spec.helpers import AMSTERDAM

__all__ = [
    "Alert",
    "AnyGroup",
    "Condition",
    "CronSchedule",
    "ElementSpec",
    "EverySchedule",
    "FailedRows",
    "GetLookup",
    "GetSpec",
    "InputSpec",
    "NoSuccessFor",
    "RespondSpec",
    "RespondUpdate",
    "StkkrSpec",
    "UpdateSpec",
]

FIELD_PATTERN = r"^[A-Za-z0-9_]+$"
KEY_PATTERN = r"^@?[A-Za-z0-9_]+$"
LOOKUP_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
EVERY_PATTERN = r"^[1-9][0-9]*(s|m|h|d)$"
DEFAULT_TIMEZONE = AMSTERDAM.key

Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=NAME_MAX_LENGTH)]
FieldId = Annotated[str, Field(pattern=FIELD_PATTERN, max_length=100)]
ConnectorId = Annotated[str, Field(pattern=FIELD_PATTERN, max_length=100)]


def _operator(value: Any) -> Operator:
    try:
        return Operator.parse(value)
    except ValueError:
        valid = ", ".join(op.symbol for op in Operator)
        raise PydanticCustomError(
            "stkkr", "unknown operator; use one of: {valid}", {"valid": valid}
        ) from None


OperatorField = Annotated[
    Operator,
    BeforeValidator(_operator),
    PlainSerializer(lambda op: op.symbol, return_type=str),
    WithJsonSchema({"enum": [op.symbol for op in Operator], "description": "How to compare."}),
]
_VALUE_SCHEMA = {"type": ["string", "number", "integer", "boolean", "null"]}
WhereValue = Annotated[Any, BeforeValidator(check_value(allow_row=False)), WithJsonSchema(_VALUE_SCHEMA)]
ElementValue = Annotated[Any, BeforeValidator(check_value(allow_row=True)), WithJsonSchema(_VALUE_SCHEMA)]
LookupTable = Annotated[
    dict[str, Any],
    BeforeValidator(check_lookup_table),
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": _VALUE_SCHEMA,
            "not": {"required": ["connector"]},  # a mapping with `connector` is a GetLookup
            "description": "A static table: key to value.",
        }
    ),
]


def _action(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str) and value in ACTIONS:
        return value
    if not isinstance(value, str) or not is_template(value):
        raise problem("use 'insert', 'update' or 'delete', or a {{ }} expression giving one of them per row")
    return check_value(allow_row=True)(value, info)


ActionField = Annotated[
    str,
    BeforeValidator(_action),
    WithJsonSchema(
        {
            "anyOf": [{"enum": list(ACTIONS)}, {"type": "string", "pattern": r"\{\{"}],
            "description": "insert (POST), update (PUT), delete (DELETE), or a {{ }} expression giving one "
            "of them per row, e.g. \"{{ 'insert' if row.AfasId is none else 'update' }}\".",
        }
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, use_attribute_docstrings=True)


class EverySchedule(_Model):
    """Run at a fixed interval."""

    every: str = Field(pattern=EVERY_PATTERN, examples=["15m", "1h", "90s", "1d"])
    """The interval: a whole number and a unit, s (seconds), m (minutes), h (hours) or d (days), e.g. 15m."""

    @property
    def interval(self) -> timedelta:
        """The interval as a timedelta."""
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[self.every[-1]]
        return timedelta(**{unit: int(self.every[:-1])})


class CronSchedule(_Model):
    """Run on a cron schedule."""

    cron: str = Field(examples=["0 7 * * 1-5"])
    """A cron expression of five fields: minute hour day-of-month month day-of-week."""
    timezone: str = DEFAULT_TIMEZONE
    """The IANA time zone the cron times are in (default Europe/Amsterdam)."""

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        # lazy: `import stkkr_tasks.spec` loads no Prefect (about a second) until a cron is checked
        from prefect.client.schemas.schedules import CronSchedule as PrefectCron

        if len(value.split()) != 5:
            raise PydanticCustomError(
                "stkkr", "a cron expression has five fields: minute hour day month weekday"
            )
        try:
            PrefectCron(cron=value)
        except ValueError:
            raise PydanticCustomError("stkkr", "not a valid cron expression") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "stkkr", "unknown time zone; use an IANA name like Europe/Amsterdam"
            ) from None
        return value


def _key_tag(key: str, model: type[BaseModel], present: str, absent: str) -> Callable[[Any], str]:
    """Return a discriminator: `present` for a mapping with `key` (or a `model`), else `absent`."""

    def tag(value: Any) -> str:
        return present if isinstance(value, model) or (isinstance(value, dict) and key in value) else absent

    return tag


def _list_tag(many: str, one: str) -> Callable[[Any], str]:
    """Return a discriminator: `many` for a list, `one` for anything else."""
    return lambda value: many if isinstance(value, list) else one


Schedule = Annotated[
    Annotated[EverySchedule, Tag("~every")] | Annotated[CronSchedule, Tag("~cron")],
    Discriminator(_key_tag("cron", CronSchedule, "~cron", "~every")),
]


class Condition(_Model):
    """One filter sent to AFAS: `{field: EndDate, op: "<", value: "{{ today }}"}`."""

    field: FieldId
    """The GetConnector field id to filter on."""
    op: OperatorField
    """The operator: = >= <= > < contains != empty not_empty starts_with not_contains not_starts_with
    ends_with not_ends_with."""
    value: WhereValue = ""
    """The value to compare with; may be a {{ }} template using today, now and the helpers (not row)."""

    @model_validator(mode="after")
    def _needs_value(self) -> Condition:
        if "value" not in self.model_fields_set and self.op.takes_value:
            raise PydanticCustomError("stkkr", "operator '{op}' needs a value", {"op": self.op.symbol})
        if not self.op.takes_value and self.value not in ("", None):
            raise PydanticCustomError(
                "stkkr", "operator '{op}' takes no value; remove it", {"op": self.op.symbol}
            )
        return self


Alternative = Annotated[
    Annotated[Condition, Tag("~condition")] | Annotated[list[Condition], Tag("~all"), Field(min_length=1)],
    Discriminator(_list_tag("~all", "~condition")),
]


class AnyGroup(_Model):
    """OR group: at least one alternative must hold; an alternative is a condition or a list (AND)."""

    any: list[Alternative] = Field(min_length=1)
    """The alternatives; a list of conditions is one alternative whose conditions must all hold."""


WhereItem = Annotated[
    Annotated[Condition, Tag("~condition")] | Annotated[AnyGroup, Tag("~any")],
    Discriminator(_key_tag("any", AnyGroup, "~any", "~condition")),
]


class GetSpec(_Model):
    """What to read from AFAS."""

    connector: ConnectorId
    """The GetConnector id, e.g. Profit_Projects."""
    where: list[WhereItem] = []
    """Filters sent to AFAS: all items must hold (AND); an `any:` item holds when one alternative does."""
    order_by: list[FieldId] = Field(min_length=1)
    """Field ids that identify a row (a unique key); AFAS orders on them so that paging is stable."""
    order_by_unique: bool = Field(True, strict=True)
    """False: order_by is deliberately not unique; paging then counts rows (skip), with no tie check."""
    page_size: int = Field(500, ge=1, le=10_000, strict=True)
    """Rows per GetConnector request (1 to 10000)."""


ColumnName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")]
ColumnType = Literal["text", "int", "decimal", "date", "boolean"]


class InputSpec(_Model):
    """A file uploaded at run time (CSV or Excel), read instead of a GetConnector; it is given per run."""

    format: Literal["csv", "xlsx"] = "csv"
    """The file's format: csv (text, one row per line) or xlsx (an Excel workbook)."""
    delimiter: str | None = Field(None, min_length=1, max_length=1)
    """csv only: the character between cells, e.g. ";"; omit it to have it sniffed from the file's start."""
    encoding: str = "utf-8"
    """csv only: the text encoding, e.g. utf-8 (the default; a BOM is allowed) or cp1252."""
    sheet: str | None = None
    """xlsx only: the worksheet to read; default the first one."""
    key: list[ColumnName] = Field(min_length=1)
    """The columns that identify a row: its key for fingerprints, `unique` and error records."""
    columns: dict[ColumnName, ColumnType] = {}
    """Column types: text, int, decimal (12.50 or 12,50), date (2024-05-01 or 01-05-2024) or boolean;
    columns not named here are text. A cell that does not fit its type makes its row fail."""
    page_size: int = Field(500, ge=1, le=10_000, strict=True)
    """Rows per page (1 to 10000)."""

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise PydanticCustomError("stkkr", "unknown encoding; use e.g. utf-8 or cp1252") from None
        return value

    @field_validator("delimiter")
    @classmethod
    def _usable_delimiter(cls, value: str | None) -> str | None:
        if value is not None and value in '"\r\n':
            raise PydanticCustomError("stkkr", "a delimiter cannot be a quote or a line break")
        return value


DEFAULT_LOOKUP_ROWS = 100_000


class GetLookup(_Model):
    """A lookup table read from a GetConnector (a join): once per run, into memory, before the first page."""

    connector: ConnectorId
    """The GetConnector id to read, e.g. Profit_OrgPer."""
    key: FieldId
    """The field whose value `lookup('name', key)` is given; it must identify a row (unique)."""
    value: FieldId | None = None
    """The field lookup() returns; omit it to get the whole row (`lookup('name', row.BcCo).Name`)."""
    where: list[WhereItem] = []
    """Filters sent to AFAS, as in `get.where`: only the rows that match are read."""
    max_rows: int = Field(DEFAULT_LOOKUP_ROWS, ge=1, le=1_000_000, strict=True)
    """The most rows the table may have; more stop the run before anything is written."""


Lookups = Annotated[
    Annotated[GetLookup, Tag("~connector")] | Annotated[LookupTable, Tag("~table")],
    Discriminator(_key_tag("connector", GetLookup, "~connector", "~table")),
]


class ElementSpec(_Model):
    """One UpdateConnector element: keys, fields and nested objects; values may be {{ }} templates."""

    each: Literal["rows"] | None = None
    """In a sub-object of a stkkr with group_by: `rows` makes one element per row of the group, `line`."""
    keys: dict[Annotated[str, Field(pattern=KEY_PATTERN)], ElementValue] = {}
    """Key fields outside `Fields`, e.g. {"@PrId": "{{ row.ProjectId }}"} (the @ is optional)."""
    fields: dict[FieldId, ElementValue] = {}
    """Field id to value: a literal, or a {{ }} template over row, today, now, lookups and the helpers."""
    objects: dict[
        FieldId,
        Annotated[
            Annotated[ElementSpec, Tag("~one")] | Annotated[list[ElementSpec], Tag("~many")],
            Discriminator(_list_tag("~many", "~one")),
        ],
    ] = {}
    """Sub-objects by name, each one element or a list of elements."""


class UpdateSpec(_Model):
    """What to write to AFAS."""

    connector: ConnectorId
    """The UpdateConnector id, e.g. PtProject."""
    action: ActionField
    """insert (POST), update (PUT), delete (DELETE), or a {{ }} expression that gives one of them per row."""
    object: FieldId | None = None
    """For a delete of a sub-object: its name (the URL's object part); default the connector itself."""
    batch: int = Field(1, ge=1, le=500, strict=True)
    """Elements per request: up to this many inserts or updates go out as one `"Element": [...]`; a refused
    request is split into parts until the refused elements are found. Try it on a test environment first."""
    connection: Name | None = None
    """Write with this AfasConnection block (another environment or token) instead of the stkkr's
    `connection`, which still reads; concurrency, retries and `unique` go by the environment written to."""

    @property
    def actions(self) -> frozenset[str]:
        """The actions this update can send: the fixed one, or every one its expression can give."""
        return possible_actions(self.action)


class RespondUpdate(_Model):
    """Where the response write goes: an UpdateConnector, one element per written row."""

    connector: ConnectorId
    """The UpdateConnector id, e.g. KnOrganisation."""
    action: Literal["insert", "update", "delete"]
    """insert (POST), update (PUT) or delete (DELETE)."""
    object: FieldId | None = None
    """For a delete of a sub-object: its name (the URL's object part); default the connector itself."""
    connection: Name | None = None
    """Write the response with this AfasConnection block; default the one `update` writes with."""


class RespondSpec(_Model):
    """A second write after each successful one, built from the row and AFAS's answer (`response`)."""

    transform: ElementSpec
    """The element of the second write; expressions see `row` (and `rows`) and `response`, the element AFAS
    answered the first write with (for an insert its new keys, e.g. `response.CdId`)."""
    update: RespondUpdate
    """The UpdateConnector the second write goes to."""


class FailedRows(_Model):
    """Alert on a completed run with at least this many failed rows."""

    failed_rows: int = Field(ge=1, strict=True)
    """The number of failed rows (at least 1) from which a completed run alerts."""


class NoSuccessFor(_Model):
    """Alert when the stkkr has had no Completed run for this long."""

    no_success_for: str = Field(pattern=EVERY_PATTERN, examples=["2h", "1d"])
    """How long: a whole number and a unit, s, m, h or d, e.g. 2h."""

    @property
    def period(self) -> timedelta:
        """The period as a timedelta."""
        return EverySchedule(every=self.no_success_for).interval


AlertWhen = Annotated[
    Annotated[Literal["failed"], Tag("~failed")]
    | Annotated[FailedRows, Tag("~failed_rows")]
    | Annotated[NoSuccessFor, Tag("~no_success_for")],
    Discriminator(
        lambda value: (
            "~failed"
            if isinstance(value, str)
            else _key_tag("no_success_for", NoSuccessFor, "~no_success_for", "~failed_rows")(value)
        )
    ),
]


class Alert(_Model):
    """A Prefect automation that notifies people when the stkkr goes wrong."""

    when: AlertWhen
    """failed (the run ended Failed), {failed_rows: N} (a completed run with at least N failed rows) or
    {no_success_for: 2h} (no Completed run for that long; needs a schedule)."""
    notify: list[Name] = Field(min_length=1)
    """Names of Prefect notification blocks (e.g. made with `stkkr notify add`) to send the alert to."""

    @property
    def slug(self) -> str:
        """A short name of the condition, e.g. `failed`, `failed-rows-10`, `no-success-for-2h`."""
        if isinstance(self.when, FailedRows):
            return f"failed-rows-{self.when.failed_rows}"
        if isinstance(self.when, NoSuccessFor):
            return f"no-success-for-{self.when.no_success_for}"
        return "failed"


class StkkrSpec(_Model):
    """A stkkr: read a GetConnector (or an uploaded file), keep some rows, turn each into an UpdateConnector
    element, write it."""

    model_config = ConfigDict(title="stkkr file")

    stkkr: Name
    """The stkkr's name: lowercase letters, digits and dashes; the name of its flow and deployment."""
    description: str = ""
    """What the stkkr does, for people."""
    tenant: Name | None = None
    """The customer this stkkr works for; runs are tagged with it."""
    connection: Name
    """The name of the AfasConnection block (environment and token) to use."""
    schedule: Schedule | None = None
    """When to run: {every: 15m} or {cron: "0 7 * * 1-5", timezone: Europe/Amsterdam}; omit to run by hand."""
    get: GetSpec | None = None
    """The GetConnector to read (a stkkr has either `get` or `input`)."""
    input: InputSpec | None = None
    """An uploaded file (CSV or Excel) to read instead of a GetConnector; the file is given per run."""
    input_delete: bool = False
    """With `input`: delete the uploaded file after a completed run (not after a failed or dry run)."""
    group_by: list[FieldId] | None = Field(None, min_length=1)
    """Row fields whose values form a group: consecutive rows with the same values become one element
    (`row` is the group's first row, `rows` all of them); get.order_by must start with these fields."""
    max_group_rows: int = Field(10_000, ge=1, le=1_000_000, strict=True)
    """The most rows one group may have; a larger group stops the run with a clear error."""
    filter: Annotated[str, BeforeValidator(check_expression)] | None = None
    """An expression evaluated per row; rows for which it is false are left alone."""
    unique: list[FieldId] | None = Field(None, min_length=1)
    """Run-once guard: row fields whose values, once written successfully, are skipped on later runs."""
    lookups: dict[Annotated[str, Field(pattern=LOOKUP_PATTERN)], Lookups] = {}
    """Tables for lookup('name', key, default): name to a mapping of key to value, or to a GetConnector
    ({connector, key, value, where, max_rows}) read once per run."""
    transform: ElementSpec
    """How a kept row becomes an UpdateConnector element."""
    update: UpdateSpec
    """The UpdateConnector to write to, and how."""
    respond: RespondSpec | None = None
    """After each successful write, a second write built from the row and AFAS's answer (`response`)."""
    on_error: Literal["continue", "stop"] = "continue"
    """What to do when a row fails: continue with the next row, or stop the run."""
    max_errors: int | None = Field(None, ge=1, strict=True)
    """Stop the run when more rows than this have failed."""
    then: list[Name] = []
    """Stkkrs to start after a successful run."""
    alerts: list[Alert] = []
    """Notifications through Prefect automations: when a run fails, has failed rows or success stays away."""
    limit: int | None = Field(None, ge=1, strict=True)
    """Stop after this many kept rows (or groups): a careful first run writes ten records, not thousands."""
    confirm_all: bool = False
    """A delete without get.where or filter deletes every record the GetConnector returns: true means it."""

    _origin: Origin | None = PrivateAttr(None)

    @property
    def key_fields(self) -> list[str]:
        """The fields that identify a row: `get.order_by`, or `input.key` for an uploaded file."""
        if self.input is not None:
            return list(self.input.key)
        return list(self.get.order_by) if self.get is not None else []

    @property
    def source(self) -> str:
        """What the stkkr reads, for people: the GetConnector id, or `an uploaded csv` / `xlsx` file."""
        if self.input is not None:
            return f"an uploaded {self.input.format} file"
        return self.get.connector if self.get is not None else ""

    @property
    def write_connection(self) -> str:
        """The connection `update` writes with: `update.connection`, or the stkkr's `connection`."""
        return self.update.connection or self.connection

    @property
    def respond_connection(self) -> str | None:
        """The connection the `respond` write goes with (default the one `update` writes with), or None."""
        if self.respond is None:
            return None
        return self.respond.update.connection or self.write_connection

    @property
    def connections(self) -> list[str]:
        """Every connection the stkkr uses, the reading one first, each once."""
        names = [self.connection, self.write_connection, self.respond_connection]
        return list(dict.fromkeys(name for name in names if name is not None))

    def problem_at(self, loc: tuple[str | int, ...], message: str) -> Problem:
        """Return a Problem at a place of this spec, e.g. `("get", "connector")`.

        A spec loaded from a file names the file and the line; otherwise the file is the stkkr's name.
        """
        return (self._origin or Origin(self.stkkr)).problem(loc, message)

    @model_validator(mode="after")
    def _cross_field_rules(self) -> StkkrSpec:
        _rules.raise_problems(self)
        return self
