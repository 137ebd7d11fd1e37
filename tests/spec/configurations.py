"""Tables of valid and invalid stkkr files (as dicts), in the style of dlt's rest_api source_configs."""

from __future__ import annotations

import copy
from typing import Any

import yaml

BASE: dict[str, Any] = {
    "stkkr": "close-finished-projects",
    "description": "Close projects whose end date has passed",
    "connection": "acme-test",
    "get": {
        "connector": "Profit_Projects",
        "where": [{"field": "Blocked", "op": "=", "value": False}],
        "order_by": ["ProjectId"],
    },
    "transform": {
        "keys": {"@PrId": "{{ row.ProjectId }}"},
        "fields": {"PrSt": "Afgesloten", "DtGp": "{{ row.EndDate | date }}"},
    },
    "update": {"connector": "PtProject", "action": "update"},
}


def variant(*changes: tuple[str, Any]) -> dict[str, Any]:
    """Return BASE with changes applied: ("get.page_size", 10) sets, ("filter", DELETE) removes."""
    config = copy.deepcopy(BASE)
    for path, value in changes:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        if value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    return config


def as_yaml(config: dict[str, Any]) -> str:
    """Return a config as YAML text."""
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


DELETE = object()

RESPOND: dict[str, Any] = {
    "transform": {
        "keys": {"@BcCo": "{{ row.Customer }}"},
        "fields": {"Re": "Project {{ response.PrId }} ({{ row.ProjectId }}) afgesloten"},
    },
    "update": {"connector": "KnOrganisation", "action": "update"},
}

VALID: list[tuple[str, dict[str, Any]]] = [
    ("base", BASE),
    ("every-15m", variant(("schedule", {"every": "15m"}))),
    ("every-90s", variant(("schedule", {"every": "90s"}))),
    ("every-1d", variant(("schedule", {"every": "1d"}))),
    ("cron-default-tz", variant(("schedule", {"cron": "0 7 * * 1-5"}))),
    ("cron-tz", variant(("schedule", {"cron": "*/5 * * * *", "timezone": "UTC"}))),
    ("no-where", variant(("get.where", DELETE))),
    (
        "op-symbols",
        variant(
            ("get.where", [{"field": "A", "op": ">=", "value": 3}, {"field": "B", "op": "*", "value": "x"}])
        ),
    ),
    (
        "any-groups",
        variant(
            (
                "get.where",
                [
                    {"field": "Blocked", "op": "=", "value": False},
                    {
                        "any": [
                            {"field": "A", "op": "empty"},
                            [{"field": "B", "op": "<", "value": "{{ today }}"}],
                        ]
                    },
                ],
            )
        ),
    ),
    ("page-size-max", variant(("get.page_size", 10_000))),
    ("filter", variant(("filter", "row.HoursBooked >= row.HoursBudget and row.Manager"))),
    ("unique", variant(("unique", ["ProjectId"]))),
    (
        "lookups",
        variant(("lookups", {"status": {"open": "O", 1: "One"}}), ("filter", "lookup('status', 1) == 'One'")),
    ),
    (
        "get-lookup",
        variant(
            (
                "lookups",
                {
                    "mail": {"connector": "Profit_OrgPer", "key": "BcCo", "value": "MailWork"},
                    "org": {
                        "connector": "Profit_OrgPer",
                        "key": "BcCo",
                        "where": [{"field": "ModifiedDate", "op": "<", "value": "{{ today }}"}],
                        "max_rows": 500,
                    },
                },
            ),
            ("filter", "lookup('mail', row.BcCo, '') != '' and lookup('org', row.BcCo).Name"),
        ),
    ),
    ("insert", variant(("update.action", "insert"), ("transform.keys", {}))),
    ("delete", variant(("update.action", "delete"), ("transform.fields", {}))),
    (
        "delete-sub-object",
        variant(
            ("update", {"connector": "PtProject", "action": "delete", "object": "PtProjectStage"}),
            ("transform", {"keys": {"PrId": "{{ row.ProjectId }}", "PrSt": "1"}}),
        ),
    ),
    (
        "nested-objects",
        variant(
            (
                "transform.objects",
                {
                    "PtProjectStage": [{"fields": {"PrSt": "A"}}, {"fields": {"PrSt": "B"}}],
                    "KnBasicAddressAdr": {"fields": {"CoId": "NL"}, "objects": {}},
                },
            ),
        ),
    ),
    ("on-error-stop", variant(("on_error", "stop"))),
    ("max-errors", variant(("max_errors", 5))),
    ("then", variant(("then", ["notify-project-owner"]), ("tenant", "acme"))),
    (
        "alerts",
        variant(
            ("schedule", {"every": "1h"}),
            (
                "alerts",
                [
                    {"when": "failed", "notify": ["ops-webhook"]},
                    {"when": {"failed_rows": 10}, "notify": ["ops-slack", "ops-mail"]},
                    {"when": {"no_success_for": "2h"}, "notify": ["ops-webhook"]},
                ],
            ),
        ),
    ),
    (
        "literal-types",
        variant(("transform.fields", {"A": 1, "B": 1.5, "C": True, "D": None, "E": "2024-01-01"})),
    ),
    (
        "grouped-journal-entry",
        variant(
            ("get.order_by", ["ProjectGroup", "ProjectId"]),
            ("group_by", ["ProjectGroup"]),
            ("unique", ["ProjectGroup"]),
            ("max_group_rows", 500),
            (
                "transform.objects",
                {
                    "PtProjectStage": [
                        {"each": "rows", "fields": {"Ds": "{{ line.ProjectId }}"}},
                        {"fields": {"Ds": "{{ rows | length }} lines of {{ row.ProjectGroup }}"}},
                    ]
                },
            ),
        ),
    ),
    ("action-expression", variant(("update.action", "{{ 'insert' if row.X is none else 'update' }}"))),
    ("limit", variant(("limit", 10))),
    (
        "input-csv",
        variant(
            ("get", DELETE),
            (
                "input",
                {"delimiter": ";", "key": ["ProjectId"], "columns": {"EndDate": "date", "Hours": "decimal"}},
            ),
            ("input_delete", True),
        ),
    ),
    (
        "input-xlsx",
        variant(
            ("get", DELETE), ("input", {"format": "xlsx", "sheet": "Blad 1", "key": ["ProjectId", "Line"]})
        ),
    ),
    ("update-connection", variant(("update.connection", "acme-production"))),
    ("respond", variant(("respond", RESPOND))),
    (
        "respond-elsewhere-delete",
        variant(
            (
                "respond",
                {
                    "transform": {"keys": {"@CdId": "{{ response.CdId }}"}},
                    "update": {"connector": "KnContact", "action": "delete", "connection": "acme-production"},
                },
            )
        ),
    ),
]

INVALID: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    # (id, config, [(path, part of the message), ...]) - every listed problem must be reported
    ("bad-name", variant(("stkkr", "Close_Projects")), [("stkkr", "lowercase letters, digits")]),
    ("typo-key", variant(("fitler", "row.A")), [("", "unknown key 'fitler' (did you mean 'filter'?)")]),
    (
        "typo-nested",
        variant(("get.oder_by", ["X"])),
        [("get", "unknown key 'oder_by' (did you mean 'order_by'?)")],
    ),
    ("missing-order-by", variant(("get.order_by", DELETE)), [("get", "required key 'order_by' is missing")]),
    ("empty-order-by", variant(("get.order_by", [])), [("get.order_by", "must not be empty")]),
    ("missing-connection", variant(("connection", DELETE)), [("", "required key 'connection' is missing")]),
    ("page-size-0", variant(("get.page_size", 0)), [("get.page_size", "at least 1")]),
    ("page-size-big", variant(("get.page_size", 10_001)), [("get.page_size", "at most 10000")]),
    ("page-size-bool", variant(("get.page_size", True)), [("get.page_size", "whole number")]),
    (
        "schedule-both",
        variant(("schedule", {"cron": "0 7 * * *", "every": "1h"})),
        [("schedule", "unknown key 'every'")],
    ),
    ("page-size-text", variant(("get.page_size", "many")), [("get.page_size", "whole number")]),
    (
        "bad-op",
        variant(("get.where", [{"field": "A", "op": "like", "value": 1}])),
        [("get.where[0].op", "unknown operator; use one of: =, >=")],
    ),
    (
        "op-needs-value",
        variant(("get.where", [{"field": "A", "op": "="}])),
        [("get.where[0]", "needs a value")],
    ),
    (
        "where-list-value",
        variant(("get.where", [{"field": "A", "op": "=", "value": [1]}])),
        [("get.where[0].value", "single value")],
    ),
    (
        "where-uses-row",
        variant(("get.where", [{"field": "A", "op": "=", "value": "{{ row.B }}"}])),
        [("get.where[0].value", "'row' is not available here")],
    ),
    ("any-empty", variant(("get.where", [{"any": []}])), [("get.where[0].any", "must not be empty")]),
    (
        "any-typo",
        variant(("get.where", [{"any": [[{"fild": "A", "op": "empty"}]]}])),
        [("get.where[0].any[0][0]", "unknown key 'fild' (did you mean 'field'?)")],
    ),
    ("every-bad", variant(("schedule", {"every": "15 minutes"})), [("schedule.every", "number and a unit")]),
    ("cron-bad", variant(("schedule", {"cron": "61 * * * *"})), [("schedule.cron", "not a valid cron")]),
    ("cron-fields", variant(("schedule", {"cron": "* * *"})), [("schedule.cron", "five fields")]),
    (
        "tz-bad",
        variant(("schedule", {"cron": "0 7 * * *", "timezone": "Mars/Olympus"})),
        [("schedule.timezone", "unknown time zone")],
    ),
    ("schedule-extra", variant(("schedule", {"every": "1h", "at": "7"})), [("schedule", "unknown key 'at'")]),
    ("filter-syntax", variant(("filter", "row.A >")), [("filter", "invalid expression")]),
    (
        "filter-unknown-name",
        variant(("filter", "todya > 1")),
        [("filter", "unknown name 'todya' (did you mean 'today'?)")],
    ),
    (
        "filter-unsafe",
        variant(("filter", "row.__class__")),
        [("filter", "access to '__class__' is not allowed")],
    ),
    (
        "template-unknown-filter",
        variant(("transform.fields", {"A": "{{ row.B | dat }}"})),
        [("transform.fields.A", "unknown filter 'dat' (did you mean 'date'?)")],
    ),
    (
        "template-statement",
        variant(("transform.fields", {"A": "{% for x in row %}x{% endfor %}"})),
        [("transform.fields.A", "statements")],
    ),
    (
        "bad-field-key",
        variant(("transform.fields", {"Da En": 1})),
        [("transform.fields.Da En", "this key must be")],
    ),
    (
        "bad-action",
        variant(("update.action", "upsert")),
        [("update.action", "'insert', 'update' or 'delete'")],
    ),
    ("bad-on-error", variant(("on_error", "ignore")), [("on_error", "'continue' or 'stop'")]),
    ("max-errors-0", variant(("max_errors", 0)), [("max_errors", "at least 1")]),
    ("max-errors-stop", variant(("max_errors", 3), ("on_error", "stop")), [("max_errors", "no effect")]),
    (
        "delete-without-keys",
        variant(("update.action", "delete"), ("transform.keys", {}), ("transform.fields", {})),
        [("transform.keys", "a delete needs transform.keys")],
    ),
    (
        "delete-with-fields",
        variant(("update.action", "delete")),
        [("transform.fields", "a delete sends only keys")],
    ),
    (
        "insert-without-fields",
        variant(("update.action", "insert"), ("transform.fields", {})),
        [("transform.fields", "an insert needs transform.fields")],
    ),
    ("object-on-update", variant(("update.object", "PtProjectStage")), [("update.object", "only a delete")]),
    (
        "empty-sub-object",
        variant(("transform.objects", {"PtProjectStage": {}})),
        [("transform.objects.PtProjectStage", "needs fields")],
    ),
    (
        "unknown-lookup",
        variant(("lookups", {"status": {"a": 1}}), ("filter", "lookup('stauts', row.A) == 1")),
        [("filter", "lookup table 'stauts' is not declared under lookups (did you mean 'status'?)")],
    ),
    (
        "unknown-lookup-among-other-problems",  # all in one pass, not after the others are fixed
        variant(("get.page_size", 0), ("filter", "lookup('stauts', row.A) == 1")),
        [("get.page_size", ""), ("filter", "lookup table 'stauts' is not declared under lookups")],
    ),
    (
        "empty-with-a-value",
        variant(("get.where", [{"field": "DateReady", "op": "empty", "value": "x"}])),
        [("get.where[0]", "operator 'empty' takes no value")],
    ),
    (
        "delete-everything",
        variant(("get.where", DELETE), ("transform.fields", DELETE), ("update.action", "delete")),
        [("update.action", "add a where or filter, or `confirm_all: true`")],
    ),
    ("then-self", variant(("then", ["close-finished-projects"])), [("then[0]", "cannot start itself")]),
    ("reserved-name", variant(("stkkr", "overview")), [("stkkr", "is reserved")]),
    (
        "alert-when-typo",
        variant(("alerts", [{"when": "fail", "notify": ["x"]}])),
        [("alerts[0].when", "failed")],
    ),
    (
        "alert-no-notify",
        variant(("alerts", [{"when": "failed", "notify": []}])),
        [("alerts[0].notify", "empty")],
    ),
    (
        "alert-rows-0",
        variant(("alerts", [{"when": {"failed_rows": 0}, "notify": ["x"]}])),
        [("alerts[0].when.failed_rows", "at least 1")],
    ),
    (
        "alert-no-schedule",
        variant(("alerts", [{"when": {"no_success_for": "2h"}, "notify": ["x"]}])),
        [("alerts[0].when", "needs a schedule")],
    ),
    (
        "alert-twice",
        variant(("alerts", [{"when": "failed", "notify": ["x"]}, {"when": "failed", "notify": ["y"]}])),
        [("alerts[1]", "listed twice")],
    ),
    ("duplicate-order-by", variant(("get.order_by", ["A", "A"])), [("get.order_by[1]", "listed twice")]),
    (
        "too-many-groups",
        variant(("get.where", [{"any": [{"field": f"F{i}", "op": "empty"} for i in range(3)]}] * 4)),
        [("get.where", "more than 64 alternatives")],
    ),
    ("lookup-table-nested", variant(("lookups", {"t": {"a": {"b": 1}}})), [("lookups.t", "lookup table")]),
    (
        "group-order",
        variant(("group_by", ["ProjectGroup"])),
        [("get.order_by", "must start with the group_by fields (ProjectGroup)")],
    ),
    (
        "group-unique",
        variant(("get.order_by", ["A", "ProjectId"]), ("group_by", ["A"]), ("unique", ["ProjectId"])),
        [("unique[0]", "unique works per group")],
    ),
    (
        "each-without-group",
        variant(("transform.objects", {"PtProjectStage": {"each": "rows", "fields": {"Ds": "x"}}})),
        [("transform.objects.PtProjectStage.each", "each: rows needs group_by")],
    ),
    (
        "line-outside-each",
        variant(
            ("get.order_by", ["A", "ProjectId"]),
            ("group_by", ["A"]),
            ("transform.fields", {"Ds": "{{ line.A }}"}),
        ),
        [("transform.fields.Ds", "'line' is only available inside a sub-object with each: rows")],
    ),
    (
        "rows-without-group",
        variant(("transform.fields", {"Ds": "{{ rows | length }}"})),
        [("transform.fields.Ds", "'rows' is only available with group_by")],
    ),
    ("limit-zero", variant(("limit", 0)), [("limit", "at least 1")]),
    (
        "bad-update-connection",
        variant(("update.connection", "Acme Production")),
        [("update.connection", "lowercase letters, digits")],
    ),
    (
        "response-outside-respond",
        variant(("transform.fields", {"Ds": "{{ response.PrId }}"})),
        [("transform.fields.Ds", "'response' is only available in respond.transform")],
    ),
    (
        "respond-with-batch",
        variant(("respond", RESPOND), ("update.batch", 10)),
        [("update.batch", "respond needs AFAS's answer per element")],
    ),
    (
        "respond-incomplete",
        variant(
            ("respond", {"transform": {"keys": {"@BcCo": "x"}}, "update": {"connector": "KnOrganisation"}})
        ),
        [("respond.update", "required key 'action'")],
    ),
    (
        "respond-update-without-fields",
        variant(("respond", {**RESPOND, "transform": {"keys": {"@BcCo": "x"}}})),
        [("respond.transform.fields", "an update needs respond.transform.fields")],
    ),
    (
        "respond-delete-with-fields",
        variant(("respond", {**RESPOND, "update": {"connector": "KnOrganisation", "action": "delete"}})),
        [("respond.transform.fields", "a delete sends only keys")],
    ),
    (
        "get-lookup-incomplete",
        variant(("lookups", {"t": {"connector": "Profit_OrgPer", "max_rows": 0, "vaule": "Name"}})),
        [
            ("lookups.t", "required key 'key'"),
            ("lookups.t.max_rows", "must be at least 1"),
            ("lookups.t", "unknown key 'vaule'"),
        ],
    ),
    (
        "get-lookup-where-uses-row",
        variant(
            (
                "lookups",
                {
                    "t": {
                        "connector": "C",
                        "key": "K",
                        "where": [{"field": "A", "op": "=", "value": "{{ row.A }}"}],
                    }
                },
            )
        ),
        [("lookups.t.where[0].value", "row")],
    ),
    ("no-source", variant(("get", DELETE)), [("get", "give get: (a GetConnector to read) or input:")]),
    ("get-and-input", variant(("input", {"key": ["ProjectId"]})), [("input", "not both")]),
    ("input-without-key", variant(("get", DELETE), ("input", {})), [("input", "required key 'key'")]),
    (
        "input-column-type",
        variant(("get", DELETE), ("input", {"key": ["K"], "columns": {"A": "money"}})),
        [("input.columns.A", "'text'")],
    ),
    (
        "input-csv-options-on-xlsx",
        variant(("get", DELETE), ("input", {"format": "xlsx", "key": ["K"], "delimiter": ";"})),
        [("input.delimiter", "is for csv files")],
    ),
    (
        "input-sheet-on-csv",
        variant(("get", DELETE), ("input", {"key": ["K"], "sheet": "S"})),
        [("input.sheet", "is for xlsx files")],
    ),
    (
        "input-encoding",
        variant(("get", DELETE), ("input", {"key": ["K"], "encoding": "utf-9"})),
        [("input.encoding", "unknown encoding")],
    ),
    (
        "input-delimiter-quote",
        variant(("get", DELETE), ("input", {"key": ["K"], "delimiter": '"'})),
        [("input.delimiter", "cannot be a quote")],
    ),
    (
        "input-duplicate-key",
        variant(("get", DELETE), ("input", {"key": ["K", "K"]})),
        [("input.key[1]", "listed twice")],
    ),
    (
        "input-delete-without-input",
        variant(("input_delete", True)),
        [("input_delete", "only a stkkr with input:")],
    ),
]
