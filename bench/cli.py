"""`python -m bench --cli`: the everyday commands on a warm machine, start-up included.

`stkkr connection set` and `stkkr run` of a small stkkr (22 rows, all kept and written) run against the
benchmark's Prefect server (by default stkkr's local server, already running, as on a user's machine): once to
warm up, then `repeats` times each. The wall-clock and CPU seconds (user + system) of each whole process are
kept (on a shared machine the wall-clock time depends on the other jobs, the CPU time much less), and what
they print is searched for Prefect's log lines (`12:00:00.000 | INFO    | …`), which the CLI shows only with
`-v`.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench.harness import PrefectServer, SimulatorProcess, stkkr_command
from bench.process import run_measured
from bench.report import CliTiming
from bench.stkkr_run import save_connection
from bench.workload import ALL, stkkr_text

SMALL_ROWS = 22
CONNECTION = "bench-cli"
_PREFECT_LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \| [A-Z]+ +\|", re.MULTILINE)


def time_commands(server: PrefectServer, folder: Path, *, repeats: int, latency_ms: int) -> list[CliTiming]:
    """Time `stkkr connection set` and `stkkr run` of a 22-row stkkr, each `repeats` times after a warm-up.

    Args:
        server: The Prefect server the commands use (already running).
        folder: Where the stkkr file and the simulator's log go.
        repeats: Measured runs of each command.
        latency_ms: The simulator's latency per request.

    Raises:
        RuntimeError: A command failed (its output is included).
    """
    name = "bench-cli-run"
    path = folder / f"{name}.yaml"
    path.write_text(stkkr_text(name, CONNECTION, ALL, page_size=100), encoding="utf-8")
    env = server.client_env()
    with SimulatorProcess(folder, rows=SMALL_ROWS, latency_ms=latency_ms) as sim:
        save = save_connection(sim, CONNECTION)
        return [
            _time(
                f"stkkr connection set {CONNECTION} --base-url URL --token-file -",
                save,
                env,
                sim.token,
                repeats,
            ),
            _time(
                f"stkkr run {path.name} ({SMALL_ROWS} rows)",
                stkkr_command("run", str(path)),
                env,
                None,
                repeats,
            ),
        ]


def _time(label: str, argv: list[str], env: dict[str, str], stdin: str | None, repeats: int) -> CliTiming:
    """Run a command once to warm up and `repeats` times measured; its log lines are counted in every run."""
    runs = [run_measured(argv, env, stdin=stdin) for _ in range(repeats + 1)]
    for done in runs:
        if done.returncode != 0:
            raise RuntimeError(f"`{label}` exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    measured = runs[1:]
    return CliTiming(
        label,
        wall_s=tuple(done.wall_s for done in measured),
        cpu_s=tuple(done.cpu_s for done in measured),
        log_lines=sum(len(_PREFECT_LOG_LINE.findall(done.stdout + done.stderr)) for done in runs),
    )
