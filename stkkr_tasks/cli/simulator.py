"""`stkkr simulator`: serve the local AFAS simulator; `stkkr simulator capture`: catalogue from metainfo."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from stkkr_tasks.afas import AfasError
from stkkr_tasks.afas.urls import EnvironmentType
from stkkr_tasks.simulator import CatalogueError, Faults, Refusals, Simulator

console = Console(highlight=False)
app = typer.Typer(
    help="A local AFAS Profit simulator with generated data, to try stkkrs safely.",
    no_args_is_help=False,
    pretty_exceptions_show_locals=False,
)


def _fail(message: str, code: int = 2) -> NoReturn:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


@app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port on 127.0.0.1 (0: free port).")] = 8000,
    rows: Annotated[int, typer.Option(min=0, help="Rows generated per GetConnector.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the generated data and the default token.")] = 1,
    token: Annotated[
        str | None,
        typer.Option(help="Token clients must send (XML or data part); default from the seed."),
    ] = None,
    catalogue: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="Catalogue file adding connectors."),
    ] = None,
    latency_ms: Annotated[
        int, typer.Option(min=0, help="Answer time of every request (the simulator works within it).")
    ] = 0,
    unavailable_rate: Annotated[float, typer.Option(min=0, max=1, help="Share answered 503.")] = 0.0,
    retry_after: Annotated[int, typer.Option(min=0, help="Retry-After seconds of 503 and 429.")] = 1,
    throttle_rate: Annotated[float, typer.Option(min=0, max=1, help="Share answered 429.")] = 0.0,
    bad_gateway_rate: Annotated[float, typer.Option(min=0, max=1, help="Share answered 502.")] = 0.0,
    gateway_timeout_rate: Annotated[float, typer.Option(min=0, max=1, help="Share answered 504.")] = 0.0,
    lock_error_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of writes locked.")] = 0.0,
    drop_rate: Annotated[float, typer.Option(min=0, max=1, help="Share dropped unanswered.")] = 0.0,
    slow_page_ms: Annotated[int, typer.Option(min=0, help="Extra delay of every GetConnector page.")] = 0,
    element_ms: Annotated[int, typer.Option(min=0, help="Extra delay of a write per element.")] = 0,
    element_arrays: Annotated[
        bool, typer.Option(help="Accept several top-level elements per request (--no-… refuses).")
    ] = True,
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault draws.")] = 0,
    refusals: Annotated[
        Refusals,
        typer.Option(
            help="How refused writes are worded: plain (fields only) or afas-formatted (also the values "
            "sent and another record's name, formatted the way AFAS does: 1.234,50, 1 mei 2024, PIET)."
        ),
    ] = Refusals.PLAIN,
) -> None:
    """Serve the simulator on 127.0.0.1 until Ctrl-C; prints its base URL and token."""
    if ctx.invoked_subcommand is not None:
        return
    faults = Faults(
        latency_ms=latency_ms,
        unavailable_rate=unavailable_rate,
        retry_after_s=retry_after,
        throttle_rate=throttle_rate,
        bad_gateway_rate=bad_gateway_rate,
        gateway_timeout_rate=gateway_timeout_rate,
        lock_error_rate=lock_error_rate,
        drop_rate=drop_rate,
        slow_page_ms=slow_page_ms,
        element_ms=element_ms,
        element_arrays=element_arrays,
        seed=fault_seed,
    )
    try:
        sim = Simulator(
            rows=rows, seed=seed, token=token, catalogue=catalogue, faults=faults, refusals=refusals
        )
    except (CatalogueError, ValueError) as exc:
        _fail(str(exc))
    try:
        with sim.serve(port) as base_url:
            typer.echo(f"AFAS simulator at {base_url}")
            typer.echo(f"token: {sim.token}")
            console.print("Press Ctrl-C to stop.", style="dim")
            threading.Event().wait()
    except KeyboardInterrupt:
        console.print("stopped")
    except OSError as exc:
        _fail(f"cannot serve on port {port}: {exc.strerror or exc}")


@app.command()
def capture(
    out: Annotated[Path, typer.Option(dir_okay=False, help="Catalogue file to write (.yaml or .json).")],
    connection: Annotated[
        str | None, typer.Option(help="Name of an AfasConnection block to read the metainfo with.")
    ] = None,
    environment: Annotated[str | None, typer.Option(help="AFAS environment number.")] = None,
    environment_type: Annotated[
        EnvironmentType, typer.Option(help="The environment type.")
    ] = EnvironmentType.production,
    base_url: Annotated[str | None, typer.Option(help="Explicit base URL (proxy, simulator).")] = None,
    token_env: Annotated[str, typer.Option(help="Environment variable holding the token.")] = "AFAS_TOKEN",
    get: Annotated[list[str] | None, typer.Option("--get", help="GetConnector (repeatable).")] = None,
    update: Annotated[
        list[str] | None, typer.Option("--update", help="UpdateConnector (repeatable).")
    ] = None,
) -> None:
    """Write a catalogue shaped like a real environment's connectors, from its metainfo only (no data)."""
    from stkkr_tasks.simulator.capture import catalogue_from_metainfo

    if connection is None and environment is None and base_url is None:
        _fail("give --connection, or --environment/--base-url with the token in $" + token_env)
    if connection is not None:
        from stkkr_tasks.cli._prefect import use_prefect
        from stkkr_tasks.connections import ConnectionBlockError, load_connection

        use_prefect()
        try:
            client = load_connection(connection).get_client()
        except ConnectionBlockError as exc:
            _fail(str(exc))
    else:
        from stkkr_tasks.afas import AfasClient

        token = os.environ.get(token_env)
        if not token:
            _fail(f"no token: set the environment variable {token_env}")
        client = AfasClient(
            token, environment=environment, environment_type=environment_type, base_url=base_url
        )

    async def run() -> None:
        async with client:
            result = await catalogue_from_metainfo(client, get, update)
        result.save(out)
        console.print(
            f"Wrote {out}: {len(result.get_connectors)} GetConnectors, "
            f"{len(result.update_connectors)} UpdateConnectors."
        )

    try:
        asyncio.run(run())
    except AfasError as exc:
        _fail(f"cannot read the metainfo: {exc}", code=1)


def register(main: typer.Typer) -> None:
    """Attach `stkkr simulator` (and `stkkr simulator capture`) to the main app."""
    main.add_typer(app, name="simulator")
