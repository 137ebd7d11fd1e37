"""Forming batches of writes: consecutive items of one action, up to the size; deletes alone."""

from __future__ import annotations

from stkkr_tasks.afas import Element
from stkkr_tasks.tasks import WriteItem
from stkkr_tasks.tasks._batches import batches, split


def _item(action: str, n: int) -> WriteItem:
    if action == "delete":
        return WriteItem(row={"n": n}, action="delete", delete_keys={"K": n})
    return WriteItem(row={"n": n}, action=action, element=Element(fields={"N": n}))  # type: ignore[arg-type]


def test_batches_keep_order_and_split_on_size_action_and_deletes() -> None:
    actions = ["update"] * 5 + ["insert"] * 2 + ["delete"] * 2 + ["update"] * 3
    items = [_item(action, n) for n, action in enumerate(actions)]

    shapes = [[(item.action, item.row["n"]) for item in batch] for batch in batches(items, 3)]

    assert [[n for _, n in batch] for batch in shapes] == [[0, 1, 2], [3, 4], [5, 6], [7], [8], [9, 10, 11]]
    assert all(len({action for action, _ in batch}) == 1 for batch in shapes)


def test_batch_one_sends_every_item_alone() -> None:
    items = [_item("update", n) for n in range(4)]
    assert [len(batch) for batch in batches(items, 1)] == [1, 1, 1, 1]


def test_a_refused_batch_goes_again_in_four_parts_and_a_small_part_element_by_element() -> None:
    items = [_item("update", n) for n in range(50)]

    parts = split(items)

    assert [len(part) for part in parts] == [12, 13, 12, 13]
    assert [item.row["n"] for part in parts for item in part] == list(range(50))
    assert [len(part) for part in split(items[:8])] == [1] * 8
    assert [len(part) for part in split(items[:9])] == [2, 2, 2, 3]
