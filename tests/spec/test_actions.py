"""`update.action` as a fixed action or a per-row expression: what it can give, the rules, evaluation."""

from __future__ import annotations

import pytest

from stkkr_tasks.spec import ExpressionError, SpecError, compile_spec, load_stkkr_text
from stkkr_tasks.spec._actions import possible_actions

BASE = """\
stkkr: sync
connection: sim
get: {{connector: Profit_Projects, order_by: [ProjectId]}}
transform:
{transform}
update: {{connector: PtProject, action: "{action}"}}
"""
KEYS_AND_FIELDS = '  keys: {"@PrId": "{{ row.ProjectId }}"}\n  fields: {Ds: x}'


@pytest.mark.parametrize(
    ("action", "possible"),
    [
        ("update", {"update"}),
        ("{{ 'insert' if row.AfasId is none else 'update' }}", {"insert", "update"}),
        ("{{ 'delete' if row.X else ('insert' if row.Y else 'update') }}", {"insert", "update", "delete"}),
        ("{{ 'delete' if row.X else 'update' }}", {"delete", "update"}),
        ("{{ row.Action }}", {"insert", "update", "delete"}),
        ("{{ 'upsert' if row.X else 'update' }}", {"insert", "update", "delete"}),
        ("{{ 'delete' if row.X }}", {"insert", "update", "delete"}),
    ],
)
def test_possible_actions_of_an_expression(action: str, possible: set[str]) -> None:
    assert possible_actions(action) == possible


def test_the_expression_chooses_per_row_and_refuses_other_answers() -> None:
    action = "{{ 'insert' if row.ProjectId is none else ('update' if row.ProjectId else 'upsert') }}"
    compiled = compile_spec(load_stkkr_text(BASE.format(transform=KEYS_AND_FIELDS, action=action)))

    assert compiled.action({"ProjectId": None}) == "insert"
    assert compiled.action({"ProjectId": "P1"}) == "update"
    with pytest.raises(ExpressionError, match=r"^update\.action: .*insert, update or delete"):
        compiled.action({"ProjectId": ""})


def test_a_possible_delete_needs_keys_and_a_possible_write_needs_fields() -> None:
    action = "{{ 'delete' if row.Blocked else 'update' }}"
    with pytest.raises(SpecError) as caught:
        load_stkkr_text(BASE.format(transform="  fields: {Ds: x}", action=action))
    assert [(p.path, p.message[:15]) for p in caught.value.problems] == [
        ("transform.keys", "a delete needs ")
    ]
    with pytest.raises(SpecError) as caught:
        load_stkkr_text(BASE.format(transform='  keys: {"@PrId": "{{ row.ProjectId }}"}', action=action))
    assert [p.message for p in caught.value.problems] == [
        "an update needs transform.fields: the fields to write"
    ]


def test_an_action_that_is_neither_fixed_nor_an_expression_is_refused() -> None:
    with pytest.raises(SpecError) as caught:
        load_stkkr_text(BASE.format(transform=KEYS_AND_FIELDS, action="upsert"))
    assert "or a {{ }} expression" in caught.value.problems[0].message


def test_batch_is_refused_for_deletes_only() -> None:
    keys = '  keys: {"@PrId": "{{ row.ProjectId }}"}'
    delete = (
        BASE.format(transform=keys, action="delete").replace(
            'action: "delete"}', "action: delete, batch: 50}"
        )
        + "confirm_all: true\n"
    )  # a delete of every record read must say so
    with pytest.raises(SpecError) as caught:
        load_stkkr_text(delete)
    assert [p.path for p in caught.value.problems] == ["update.batch"]

    mixed = BASE.format(transform=KEYS_AND_FIELDS, action="{{ 'delete' if row.X else 'update' }}")
    spec = load_stkkr_text(mixed.replace('}}"}', '}}", batch: 50}'))
    assert spec.update.batch == 50  # the updates are batched, each delete goes alone
