"""The `respond` write: after a successful write, a second one built from the row and AFAS's answer.

The first write's `unique` key is settled (done) before the response is written, so a failed response never
makes a later run repeat the first write; the failure becomes an error record at stage `respond`, and the
row stays written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stkkr_tasks.spec import ExpressionError
from stkkr_tasks.tasks._context import WriteItem
from stkkr_tasks.tasks._errors import failure_from, fatal_reason
from stkkr_tasks.tasks._precheck import element_problem
from stkkr_tasks.tasks._recorder import Failure, WriteTarget

if TYPE_CHECKING:
    from stkkr_tasks.afas import AfasClient
    from stkkr_tasks.afas.models import UpdateConnectorMeta
    from stkkr_tasks.spec import Action
    from stkkr_tasks.tasks._context import RunContext


@dataclass(frozen=True, slots=True)
class Responder:
    """Where the response writes of a run go.

    Attributes:
        client: The open client of `respond.update.connection` (or the one `update` writes with).
        connector: The UpdateConnector id.
        root: The root object of request bodies (the main object's name from metainfo).
        action: insert, update or delete.
        object_name: For a delete of a sub-object, its name.
        environment: The AFAS environment written to (`environment_scope`), named in error records.
        connection: The AfasConnection block name, named in error records (`stkkr errors retry`).
        meta: The UpdateConnector's metainfo: each element is checked against it before it is sent
            (`_precheck`), as first writes are; None checks nothing.
    """

    client: AfasClient
    connector: str
    root: str
    action: Action
    object_name: str | None
    environment: str
    connection: str | None = None
    meta: UpdateConnectorMeta | None = None


def answer_element(results: Mapping[str, Any], root: str) -> dict[str, Any]:
    """The element AFAS answered a write with: `results[root]`, e.g. `{"CdId": "123"}`.

    AFAS names the answer after the body's root object; an answer under one other name is taken as well.
    A list (AFAS lists every record it created when there are several) gives its first entry, the main
    record. No answer (a PUT or DELETE often has none) gives `{}`.
    """
    answer = results.get(root)
    if answer is None and len(results) == 1:
        answer = next(iter(results.values()))
    if isinstance(answer, list):
        answer = answer[0] if answer else None
    return dict(answer) if isinstance(answer, Mapping) else {}


async def respond(ctx: RunContext, item: WriteItem, results: Mapping[str, Any]) -> str | None:
    """Send the response write of a written item; a failure becomes an error record at stage `respond`.

    Args:
        ctx: The run's shared context (its `responder` is set).
        item: The item that was written.
        results: AFAS's `results` of that write.

    Returns:
        None when the response was written; otherwise "" when only this response failed (AFAS refused it,
        or would by the metainfo, which costs no request), or the reason the whole run must stop (AFAS
        refused the token of the response's connection, or is unreachable).
    """
    responder = ctx.responder
    if responder is None:
        raise ValueError("the stkkr has no respond")
    sent = WriteItem(row=item.row, rows=item.rows, action=responder.action)
    problem: str | None = None
    try:
        element = ctx.compiled.respond_element(item.row, answer_element(results, ctx.body_root), item.rows)
        if responder.action == "delete":
            sent.delete_keys = {name.removeprefix("@"): value for name, value in element.keys.items()}
            await responder.client.delete(responder.connector, sent.delete_keys, responder.object_name)
        else:
            sent.element = element
            problem = _problem(responder, sent)
            if problem is None:
                write = responder.client.insert if responder.action == "insert" else responder.client.update
                await write(responder.connector, element, root=responder.root)
    except Exception as exc:
        if isinstance(exc, ExpressionError):
            failure = Failure(stage="respond", row=item.row, message=str(exc))
        else:
            failure = failure_from(exc, stage="respond", row=item.row, item=sent)
        reason = fatal_reason(exc)
        if reason is not None:
            ctx.stop.set(reason, fatal=True)
    else:
        if problem is None:
            return None
        failure, reason = Failure(stage="respond", row=item.row, message=problem, item=sent), None
    failure.rows, failure.root, failure.environment = item.rows, responder.root, responder.environment
    failure.target = WriteTarget(responder.connector, responder.object_name, responder.connection)
    ctx.recorder.fail(failure)
    return reason or ""


def _problem(responder: Responder, sent: WriteItem) -> str | None:
    """Why AFAS would refuse the response element by the UpdateConnector's metainfo, or None."""
    if responder.meta is None or sent.element is None:
        return None
    owner = f"UpdateConnector {responder.connector!r}"
    return element_problem(sent.element, responder.meta, owner, insert=sent.action == "insert")
