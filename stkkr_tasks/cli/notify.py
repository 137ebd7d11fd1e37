"""`stkkr notify add`: save a Prefect notification block that a stkkr's `alerts:` can name.

`--webhook URL` saves a Custom Webhook block that POSTs JSON `{"subject": ..., "body": ...}`; `--slack URL`
saves a Slack Webhook block (the URL is kept as a secret). Other kinds (Teams, e-mail, ...) are made in the
Prefect UI under Blocks; alerts can name any block that can notify.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from stkkr_tasks.names import NAME_RULE, is_name

if TYPE_CHECKING:
    from prefect.blocks.notifications import NotificationBlock

notify_app = typer.Typer(help="Notification blocks for alerts.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach `stkkr notify` to the main app."""
    app.add_typer(notify_app, name="notify")


@notify_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The block name that alerts use, e.g. ops-webhook.")],
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="POST JSON {subject, body} to this URL.")
    ] = None,
    slack: Annotated[str | None, typer.Option("--slack", help="A Slack incoming-webhook URL.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a block of that name.")] = False,
) -> None:
    """Save the notification block NAME (exactly one of --webhook and --slack)."""
    err = Console(stderr=True, soft_wrap=True)
    if not is_name(name):
        err.print(
            f"{name!r} is not a valid block name: {NAME_RULE}.", style="red", highlight=False, markup=False
        )
        raise typer.Exit(2)
    if (webhook is None) == (slack is None):
        err.print("Give exactly one of --webhook URL and --slack URL.", style="red")
        raise typer.Exit(2)
    block = notification_block(webhook=webhook, slack=slack)
    try:
        block.save(name, overwrite=overwrite)
    except ValueError as exc:  # Prefect: the name is taken
        if "already" not in str(exc):
            raise
        err.print(f"A block called {name!r} already exists; add --overwrite to replace it.", style="red")
        raise typer.Exit(2) from None
    kind = "Slack webhook" if slack else "webhook"
    typer.echo(f"Saved the {kind} notification block {name!r}; name it under `notify:` in a stkkr's alerts.")


def notification_block(*, webhook: str | None = None, slack: str | None = None) -> NotificationBlock:
    """A Custom Webhook block posting ``{"subject", "body"}`` JSON to ``webhook``, or a Slack block."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock, SlackWebhook
    from pydantic import SecretStr

    if slack is not None:
        return SlackWebhook(url=SecretStr(slack))
    return CustomWebhookNotificationBlock(
        name="stkkr alert",
        url=str(webhook),
        method="POST",
        json_data={"subject": "{{subject}}", "body": "{{body}}"},
    )
