"""`stkkr schema` and `stkkr validate`: the JSON Schema of the stkkr format, and checking stkkr files.

`validate` prints one line per problem, `file:line: path: message`, and exits 0 when every file is valid,
2 otherwise. With `--online` it also checks each file against the metainfo of its connection.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from stkkr_tasks.spec import Problem, StkkrSpec


def register(app: typer.Typer) -> None:
    """Attach `stkkr schema` and `stkkr validate` to the main app."""
    app.command("schema")(schema)
    app.command("validate")(validate)


def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the schema to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of stkkr files (for editor completion and checks)."""
    from stkkr_tasks.spec.schema import json_schema_text

    text = json_schema_text()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote the stkkr JSON Schema to {output}.")


def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="Stkkr files, or directories searched for *.yaml/*.yml.")
    ],
    online: Annotated[
        bool, typer.Option("--online", help="Also check connectors and fields against the connection's AFAS.")
    ] = False,
    input: Annotated[
        str | None,
        typer.Option("--input", help="Check this file's header against a stkkr with input: (path or URL)."),
    ] = None,
) -> None:
    """Check stkkr files; print every problem as file:line: path: message. Exit 0 when all are valid."""
    if online:
        from stkkr_tasks.cli._prefect import use_prefect

        use_prefect()
    raise typer.Exit(0 if check_files(paths, online=online, upload=input) else 2)


def check_files(paths: list[Path], *, online: bool, upload: str | None = None) -> bool:
    """Check the stkkr files under `paths` as `stkkr validate` does, printing its lines; True when all pass.

    Args:
        paths: Files or directories.
        online: Also check each file against its connection's AFAS (the Prefect API must be set up).
        upload: An uploaded file whose header is checked against each stkkr with `input:`.
    """
    from stkkr_tasks.deploy.chain import then_problems
    from stkkr_tasks.spec import SpecError, load_stkkr

    files, all_valid = _stkkr_files(paths)
    for file in files:
        try:
            spec = load_stkkr(file)
        except SpecError as exc:
            _report(exc.problems)
            all_valid = False
            continue
        problems = asyncio.run(_check_online(spec)) if online else []
        problems += then_problems(file, spec)  # `then:` names known stkkrs and makes no cycle
        problems += _upload_problems(spec, upload) if upload is not None else []
        _report(problems)
        all_valid = all_valid and not problems
        if not problems:
            named = " and ".join(repr(name) for name in spec.connections)
            checked = f" (checked against connection {named})" if online else ""
            typer.echo(f"{file}: valid{checked}")
    return all_valid


def _upload_problems(spec: StkkrSpec, upload: str) -> list[Problem]:
    """The header of the uploaded file against the columns the stkkr reads (as a run checks it first)."""
    from stkkr_tasks.spec import row_fields
    from stkkr_tasks.uploads import UploadError, UploadFile, location

    if spec.input is None:
        return [
            spec.problem_at(("get",), "--input is for a stkkr with input:; this one reads a GetConnector")
        ]
    try:
        with UploadFile(spec.input, location(upload), row_fields(spec)):
            return []
    except UploadError as exc:
        return [spec.problem_at(("input",), str(exc))]


def _stkkr_files(paths: list[Path]) -> tuple[list[Path], bool]:
    """The files named and the stkkr files in the directories named; False when a directory has none."""
    from stkkr_tasks.spec.files import StkkrFileError, stkkr_paths

    files: list[Path] = []
    found_all = True
    for path in paths:
        if not path.is_dir():
            files.append(path)  # a missing file is reported by the loader, as a problem of that file
            continue
        try:
            found = stkkr_paths([path])
        except StkkrFileError as exc:
            typer.echo(f"{path}: {exc}")
            found = []
        if not found:
            typer.echo(f"{path}: no stkkr files (*.yaml, *.yml) in this directory")
            found_all = False
        files.extend(_relative(p) for p in found)
    return files, found_all


def _relative(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        typer.echo(str(problem))


async def _check_online(spec: StkkrSpec) -> list[Problem]:
    """Validate against the connections' metainfo; a missing connection or failing AFAS is a problem too.

    Each UpdateConnector is checked in the environment it writes to (`update.connection`,
    `respond.update.connection`).
    """
    from contextlib import AsyncExitStack

    from stkkr_tasks.afas import AfasError
    from stkkr_tasks.connections import ConnectionBlockError, aload_connection
    from stkkr_tasks.spec import validate_online

    alert_problems = await _alert_problems(spec)
    places: dict[str, tuple[str, ...]] = {spec.connection: ("connection",)}
    if spec.update.connection:
        places.setdefault(spec.update.connection, ("update", "connection"))
    if spec.respond is not None and spec.respond.update.connection:
        places.setdefault(spec.respond.update.connection, ("respond", "update", "connection"))
    async with AsyncExitStack() as stack:
        clients = {}
        for name, place in places.items():
            try:
                connection = await aload_connection(name)
                clients[name] = await stack.enter_async_context(connection.get_client())
            except (ConnectionBlockError, AfasError) as exc:
                return [spec.problem_at(place, str(exc)), *alert_problems]
            if name == spec.connection:
                continue
            try:  # a connection only written with: its refused token belongs at its place, not `connection`
                await clients[name].list_connectors()
            except AfasError as exc:
                return [spec.problem_at(place, f"cannot check against AFAS: {exc}"), *alert_problems]
        try:
            return await validate_online(spec, clients[spec.connection], clients) + alert_problems
        except AfasError as exc:
            return [spec.problem_at(("connection",), f"cannot check against AFAS: {exc}"), *alert_problems]


async def _alert_problems(spec: StkkrSpec) -> list[Problem]:
    """A problem for every notification block an alert names that the Prefect server does not have."""
    from prefect import get_client

    from stkkr_tasks.deploy.alerts import AlertBlockError, missing_blocks_message, notification_blocks

    names = [name for alert in spec.alerts for name in alert.notify]
    if not names:
        return []
    try:
        async with get_client() as client:
            found = await notification_blocks(client, names)
    except AlertBlockError as exc:
        return [spec.problem_at(("alerts",), str(exc))]
    return [
        spec.problem_at(("alerts", index, "notify", position), missing_blocks_message([name]))
        for index, alert in enumerate(spec.alerts)
        for position, name in enumerate(alert.notify)
        if name not in found
    ]
