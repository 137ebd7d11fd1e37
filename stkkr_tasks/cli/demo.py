"""`stkkr demo` (``make demo``): run the example stkkrs against the simulator on the local Prefect server.

Exit status: 0 every example run completed (failed rows of the example that fails on purpose included);
1 the demo could not start (also while `stkkr up` runs) or an example run failed; 2 an example file does not
validate; 130 Ctrl-C.
"""

from __future__ import annotations

from typing import Annotated

import typer

from stkkr_tasks.cli._store import err as console_err
from stkkr_tasks.cli._store import out


def register(app: typer.Typer) -> None:
    """Attach `stkkr demo` to the main app."""
    app.command("demo")(demo)


def demo(
    port: Annotated[
        int, typer.Option("--port", help="Port of the local Prefect server if it starts; 0: 4200 or free.")
    ] = 0,
    simulator_port: Annotated[
        int, typer.Option("--simulator-port", help="Port of the AFAS simulator; 0 picks a free one.")
    ] = 0,
    rows: Annotated[int, typer.Option("--rows", min=1, help="Rows per connector in the simulator.")] = 500,
) -> None:
    """Start the simulator (and the local Prefect server), run every example stkkr, print their summaries."""
    from stkkr_tasks.demo import DemoError, run_demo
    from stkkr_tasks.run import ThenError
    from stkkr_tasks.spec import SpecError
    from stkkr_tasks.spec.files import StkkrFileError

    err = console_err()
    try:
        run_demo(console=out(), port=port, simulator_port=simulator_port, rows=rows)
    except (SpecError, ThenError) as exc:
        err.print("[red]An example stkkr does not validate:[/red]")
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    except (DemoError, StkkrFileError) as exc:
        err.print(f"[red]The demo failed:[/red] {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("Interrupted; the simulator was stopped.")
        raise typer.Exit(130) from None
