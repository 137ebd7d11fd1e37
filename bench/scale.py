"""`make scale`: stkkrs on a process work pool with two workers, one shared PostgreSQL, one AFAS limit each.

Starts a Prefect server on a fresh PostgreSQL database (scheduler on), simulators with latency (one per AFAS
environment, in this process so their in-flight counts can be read), saves a connection block per
environment, deploys N stkkrs on 1-minute schedules (`stkkr deploy --work-pool`), starts the workers
(`prefect worker start --pool`), each with its own STKKR_HOME and PREFECT_HOME and the shared stkkr database
(`STKKR_DATABASE_URL`), lets the schedules run for M minutes, then pauses them and checks the claims of issue
14 (see `check`). The commands are the ones of the README's multi-machine recipe and docs/scale/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from bench.harness import PREFECT_START_S, _Child, base_env, free_port, machine

POOL = "stkkr"
# The recipe's commands (README "Many workers", docs/scale/); tests/bench/test_scale_recipe.py compares them.
SERVER_COMMAND = ["prefect", "server", "start"]
SERVER_ENV = ("PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_SERVER_ENCRYPTION_KEY")
DEPLOY_COMMAND = ["stkkr", "deploy", "--work-pool", POOL]
WORKER_COMMAND = ["prefect", "worker", "start", "--pool", POOL]
WORKER_ENV = ("PREFECT_API_URL", "STKKR_DATABASE_URL")
ADMIN_URL = os.environ.get("STKKR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
RESULTS = Path(__file__).with_name("RESULTS.md")
_DRAIN_S = 600.0
AFTER_KILL_S = 75.0
"""The scenario goes on at least this long after the kill: one schedule interval (1 minute) and a margin.
The environment's runs take turns, so the insert stkkr's first insert, and the kill, can come after the next
minute's runs were taken (one of them by the worker then killed). A CI run failed once with no run left to
show that the slots came back and the stkkr went on; this is the likely cause, and the extension covers
it."""
_POLL_S = 2.0

UPDATE_STKKR = """stkkr: {name}
connection: {connection}
schedule: {{every: 1m}}
get: {{connector: Profit_Projects, order_by: [ProjectId], page_size: 50}}
transform:
  keys: {{"@PrId": "{{{{ row.ProjectId }}}}"}}
  fields: {{ChOu: true}}
update: {{connector: PtProject, action: update}}
"""
INSERT_STKKR = """stkkr: {name}
connection: {connection}
schedule: {{every: 1m}}
get:
  connector: Profit_OrgPer
  where: [{{field: Type, op: "=", value: O}}]
  order_by: [BcCo]
  page_size: {page_size}
unique: [BcCo]
transform:
  fields: {{BcCoOga: "{{{{ row.BcCo }}}}", ViKc: AFD, ExAd: {name}}}
update: {{connector: KnContact, action: insert}}
"""


@dataclass(frozen=True)
class ScaleSettings:
    """What `make scale` runs: N stkkrs over E environments on W workers for M minutes."""

    stkkrs: int = 20
    minutes: float = 10.0
    workers: int = 2
    environments: int = 3
    rows: int = 200
    latency_ms: int = 20
    kill_worker: bool = False
    """Kill the worker running the first insert run mid-run (its whole process tree, as a lost machine)."""
    missed_heartbeats: int | None = None
    """Heartbeats a run may miss before the crash automation marks it Crashed (None: what `stkkr deploy` sets,
    3 of 30 s). The CI-sized test takes 2, so its killed worker's run is Crashed 30 s sooner."""
    poll_s: float | None = None
    """How often workers poll the pool and a run waiting for its stkkr's slot tries again (None: Prefect's
    10 s and 30 s). The CI-sized test takes 2 s, so the run after the crashed one starts soon."""


@dataclass(frozen=True)
class Killed:
    """The insert run whose worker was killed, the worker, when, after how many inserts, and every run the
    worker had started (any of them may have been running: all died with it)."""

    run_id: str
    worker: str
    at: datetime
    inserted: int
    run_ids: frozenset[str]


@dataclass
class ScaleResult:
    """The checks (claim, held, detail) and the figures of one run."""

    settings: ScaleSettings
    killed: Killed | None = None
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> list[str]:
        """The claims that did not hold, with their details."""
        return [f"{claim}: {detail}" for claim, held, detail in self.checks if not held]

    def markdown(self) -> str:
        """The result as a section of bench/RESULTS.md."""
        s = self.settings
        lines = [
            f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — `make scale` — {machine()}",
            "",
            f"Settings: {s.stkkrs} stkkrs over {s.environments} environments, {s.workers} workers, "
            f"{s.minutes:g} minutes, {s.rows} rows per connector, latency {s.latency_ms} ms.",
            "",
            "| figure | value |",
            "| --- | ---: |",
            *(f"| {name} | {value} |" for name, value in self.figures.items()),
            "",
            *(
                f"- {'held' if held else '**FAILED**'}: {claim} ({detail})"
                for claim, held, detail in self.checks
            ),
            "",
        ]
        return "\n".join(lines)


class ScaleServer(_Child):
    """`prefect server start` on PostgreSQL with its scheduler, as the recipe's server runs."""

    name = "prefect-server"

    def __init__(self, folder: Path, database_url: str, slot_wait_s: float | None = None) -> None:
        super().__init__(folder)
        self.database_url = database_url
        self.slot_wait_s = slot_wait_s
        self.encryption_key = Fernet.generate_key().decode("ascii")
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        """Start the server; `wait` until it is healthy."""
        env = {
            **base_env(self.folder),
            **dict(zip(SERVER_ENV, (self.database_url, self.encryption_key), strict=True)),
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",  # schedule new deployments at once
        }
        if self.slot_wait_s is not None:
            env["PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS"] = f"{self.slot_wait_s:g}"
        self._spawn([*_installed(SERVER_COMMAND), "--host", "127.0.0.1", "--port", str(self.port)], env)

    def wait(self) -> None:
        """Poll `/api/health` until the server answers."""
        self._wait_until(
            lambda: httpx.get(f"{self.api_url}/health", timeout=5).status_code == 200, PREFECT_START_S
        )

    def client_env(self) -> dict[str, str]:
        """The environment of a process that uses this server."""
        return {**base_env(self.folder), "PREFECT_API_URL": self.api_url}


class Worker(_Child):
    """`prefect worker start --pool POOL` with its own homes and the shared stkkr database."""

    def __init__(self, folder: Path, number: int, env: dict[str, str]) -> None:
        self.name = f"worker-{number}"
        home = folder / self.name
        home.mkdir()
        super().__init__(home)
        self.env = {**env, "STKKR_HOME": str(home / "stkkr"), "PREFECT_HOME": str(home / "prefect")}

    def start(self) -> None:
        """Start polling the pool."""
        self._spawn([*_installed(WORKER_COMMAND), "--name", self.name], self.env)

    def wait(self) -> None:
        """A worker is ready once started; the pool's runs wait for it otherwise."""

    def stop(self, grace_s: float = 3.0) -> None:
        """Stop the worker once its runs' processes ended (within 15 s); kill it after `grace_s`.

        A run's process lives a moment after its final state (it sends its last logs and events). The worker,
        idle then, was seen to take more than 15 s to stop on SIGTERM after it had run flows (Prefect 3.9.1),
        so it is not given that long: nothing it still does counts.
        """
        deadline = time.monotonic() + 15
        while self.process is not None and _descendants(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)  # polling the process tree, not synchronising a test
        super().stop(grace_s)


async def postgres_admin(statement: str) -> None:
    """Run one statement on the PostgreSQL server of `STKKR_TEST_POSTGRES_URL` (default: the local one)."""
    import asyncpg  # lazy: only the PostgreSQL set-up needs the driver

    connection = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _database_url(name: str, driver: str) -> str:
    from sqlalchemy.engine import make_url  # lazy: the URL helper only

    return make_url(ADMIN_URL).set(drivername=driver, database=name).render_as_string(hide_password=False)


def _installed(command: list[str]) -> list[str]:
    """A recipe command with its program taken from this virtual environment."""
    return [str(Path(sys.executable).with_name(command[0])), *command[1:]]


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> None:
    done = subprocess.run(args, input=stdin, text=True, capture_output=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed ({done.returncode}): {done.stdout}{done.stderr}")


def run_scale(settings: ScaleSettings, folder: Path) -> ScaleResult:
    """Run the scenario in `folder` and check it; every process and both databases are gone afterwards."""
    tag = secrets.token_hex(4)
    prefect_db, stkkr_db = f"prefect_scale_{tag}", f"stkkr_scale_{tag}"
    for name in (prefect_db, stkkr_db):
        asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
    try:
        with ExitStack() as stack:
            return _scenario(settings, folder, stack, prefect_db, stkkr_db)
    finally:
        for name in (prefect_db, stkkr_db):
            asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _scenario(
    settings: ScaleSettings, folder: Path, stack: ExitStack, prefect_db: str, stkkr_db: str
) -> ScaleResult:
    from stkkr_tasks.simulator import Faults, Simulator  # lazy: the simulators run in this process

    server = ScaleServer(folder, _database_url(prefect_db, "postgresql+asyncpg"), settings.poll_s)
    stack.enter_context(server)
    stkkr_url = _database_url(stkkr_db, "postgresql")
    deployments = folder / "deployments"
    deployments.mkdir()
    client = dict(zip(WORKER_ENV, (server.api_url, stkkr_url), strict=True))
    env = {**server.client_env(), **client, "STKKR_DEPLOYMENTS_DIR": str(deployments)}
    if settings.poll_s is not None:
        env["PREFECT_WORKER_QUERY_SECONDS"] = f"{settings.poll_s:g}"
    sims: list[Any] = []
    for number in range(settings.environments):
        sim = Simulator(rows=settings.rows, seed=number + 1, faults=Faults(latency_ms=settings.latency_ms))
        base_url = stack.enter_context(sim.serve())
        sims.append(sim)
        _run(
            _installed(
                ["stkkr", "connection", "set", f"env-{number}", "--base-url", base_url, "--token-file", "-"]
            ),
            env,
            sim.token,
        )
    for number in range(settings.stkkrs):
        text = INSERT_STKKR if number % 2 else UPDATE_STKKR
        name = f"scale-{number:02d}"
        connection = f"env-{number % settings.environments}"
        page_size = 5 if settings.kill_worker else 50  # a slow first insert run, to be killed in its middle
        (deployments / f"{name}.yaml").write_text(
            text.format(name=name, connection=connection, page_size=page_size), encoding="utf-8"
        )
    old = asyncio.run(_old_error_record(stkkr_url))
    project = Path(__file__).resolve().parent.parent
    _run([*_installed(DEPLOY_COMMAND), str(deployments)], {**env, "STKKR_PROJECT_DIR": str(project)})
    if settings.missed_heartbeats is not None:
        asyncio.run(_crash_after(server.api_url, settings.missed_heartbeats))
    started = datetime.now(UTC)
    workers = [Worker(folder, number + 1, env) for number in range(settings.workers)]
    for worker in workers:
        worker.start()
        stack.callback(worker.stop)
    end = time.monotonic() + settings.minutes * 60
    killed = (
        _kill_mid_run(server.api_url, sims[1 % len(sims)], workers, end) if settings.kill_worker else None
    )
    if killed is not None:  # the killed stkkr's next run is scheduled after the kill, for the other worker
        end = max(end, time.monotonic() + AFTER_KILL_S)
    time.sleep(max(end - time.monotonic(), 0))  # the scenario's length: the schedules run meanwhile
    ended = datetime.now(UTC)
    runs = asyncio.run(_finish(server.api_url, started, ended))
    pruned = asyncio.run(_retention(server.api_url, stkkr_url, old))
    for worker in workers:
        worker.stop()
    result = check(settings, runs, sims, pruned, [w.folder for w in workers], started, ended, killed)
    if settings.kill_worker:
        asyncio.run(_check_kill(result, runs, sims[1 % len(sims)], server.api_url, stkkr_url))
    return result


def _kill_mid_run(api_url: str, sim: Any, workers: list[Worker], end: float) -> Killed | None:
    """Once `scale-01` (an insert stkkr) has inserted some rows, kill the worker running it, with its runs."""
    while time.monotonic() < end:
        inserted = sum(1 for write in sim.writes if write.method == "POST")
        if inserted:
            run_id = asyncio.run(_running("scale-01", api_url))
            worker = next((w for w in workers if run_id and _runs_flow_run(w, run_id)), None)
            if worker is not None and worker.process is not None:
                for pid in [*_descendants(worker.process.pid), worker.process.pid]:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                worker.process.wait()
                started = frozenset(re.findall(r"submitting flow run '([0-9a-f-]+)'", worker.log.read_text()))
                return Killed(str(run_id), worker.name, datetime.now(UTC), inserted, started)
        time.sleep(0.1)  # polling the simulator's log, not synchronising a test
    return None


def _runs_flow_run(worker: Worker, run_id: str) -> bool:
    """Whether one of the worker's processes runs the flow run (not its log: both workers log the runs they
    tried to submit, and the one that lost the race aborts)."""
    marker = f"PREFECT__FLOW_RUN_ID={run_id}".encode()
    for pid in _descendants(worker.process.pid) if worker.process is not None else []:
        with contextlib.suppress(OSError):
            if marker in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                return True
    return False


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (children first found through /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *_descendants(int(child))]
    return found


async def _crash_after(api_url: str, missed: int) -> None:
    """Make the deployed crash automation mark a run Crashed after `missed` heartbeats did not come."""
    from prefect import get_client  # lazy: see _finish
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from stkkr_tasks.deploy.crashes import ensure_crash_automation  # lazy: the library, as a client would

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        async with get_client() as client:
            await ensure_crash_automation(client, missed)


async def _running(stkkr: str, api_url: str) -> str | None:
    """The id of the stkkr's Running flow run, if any."""
    from prefect import get_client  # lazy: see _finish
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.settings import PREFECT_API_URL, temporary_settings

    running = FlowRunFilter(
        tags=FlowRunFilterTags(all_=[f"stkkr:{stkkr}"]),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING])),
    )
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        async with get_client() as client:
            runs = await client.read_flow_runs(flow_run_filter=running, limit=1)
    return str(runs[0].id) if runs else None


async def _check_kill(result: ScaleResult, runs: list[Any], sim: Any, api_url: str, stkkr_url: str) -> None:
    """A killed worker's claims: its run Crashed, its slots came back, the next run went on, no row lost."""
    from prefect import get_client  # lazy: see _finish
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from sqlalchemy import select

    from stkkr_tasks.afas.environment import environment_scope  # lazy: the library, as a client would
    from stkkr_tasks.run.limit import limit_name
    from stkkr_tasks.store import ErrorStore, aget_fingerprint_key, key_fingerprint
    from stkkr_tasks.store._schema import run_once_keys

    killed = result.killed
    checks = result.checks
    if killed is None:
        checks.append(("a worker was killed in the middle of an insert run", False, "the run ended first"))
        return
    run = next((run for run in runs if str(run.id) == killed.run_id), None)
    state = run.state_name if run else "not found"
    died = [
        r.state_name for r in runs if str(r.id) in killed.run_ids and not (r.state and r.state.is_completed())
    ]
    crashed = state == "Crashed" and all(name == "Crashed" for name in died)
    checks.append(
        ("the killed worker's runs were marked Crashed", crashed, f"the insert run {state}; {died}")
    )
    after = [
        r for r in runs if r.start_time and r.start_time > killed.at and r.state and r.state.is_completed()
    ]
    first = min((r.start_time for r in after), default=None)
    wait = (
        f"first run of the environment {(first - killed.at).total_seconds():.0f} s after the kill"
        if first
        else "none"
    )
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        async with get_client() as client:
            name = limit_name(environment_scope(base_url=sim.base_url))
            active = (await client.read_global_concurrency_limit_by_name(name)).active_slots
        secret = await aget_fingerprint_key()
    checks.append(
        (
            "its AFAS slots came back when the lease ended",
            bool(after) and active == 0,
            f"{wait}; {active} active at the end",
        )
    )
    nexts = [r for r in after if _stkkr_of(r) == "scale-01"]
    checks.append(
        (
            "the stkkr's next scheduled run proceeded",
            bool(nexts),
            f"{len(nexts)} completed runs after the kill",
        )
    )
    eligible = {row["BcCo"] for row in sim.rows("Profit_OrgPer") if row["Type"] == "O"}
    inserted = Counter(key for stkkr, key in map(_inserted, sim.writes) if stkkr == "scale-01")
    async with ErrorStore(stkkr_url) as store, store.engine.connect() as connection:
        held = set(
            (
                await connection.execute(
                    select(run_once_keys.c.fingerprint).where(
                        run_once_keys.c.stkkr == "scale-01", run_once_keys.c.state != "done"
                    )
                )
            ).scalars()
        )
    lost = [key for key in eligible - set(inserted) if key_fingerprint(secret, "scale-01", [key]) not in held]
    twice = [key for key, n in inserted.items() if n > 1]
    checks.append(
        (
            "no row lost or written twice (a row not written is held as of unknown outcome)",
            not lost and not twice,
            f"{len(eligible)} rows, {len(inserted)} inserted, {len(held)} held unknown, "
            f"lost {lost[:3]}, twice {twice[:3]}",
        )
    )
    result.figures["killed"] = f"{killed.worker} after {killed.inserted} inserts"


async def _old_error_record(url: str) -> str:
    """Put an error record of 40 days ago in the shared database; the retention deployment must prune it."""
    from stkkr_tasks.store import ErrorStore, NewErrorRecord  # lazy: the store is only needed here

    stkkr = f"scale-old-{secrets.token_hex(3)}"
    async with ErrorStore(url) as store:
        record = NewErrorRecord(stkkr, None, None, "update", "0" * 64, 500, None, None, "old record")
        await store.add_errors([record], now=datetime.now(UTC) - timedelta(days=40))
    return stkkr


async def _finish(api_url: str, started: datetime, ended: datetime) -> list[Any]:
    """Pause the stkkrs' schedules, drop later runs, wait for the rest; return the runs due in the window."""
    from prefect import get_client  # lazy: Prefect's client reads PREFECT_API_URL when imported first
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterExpectedStartTime
    from prefect.settings import PREFECT_API_URL, temporary_settings

    later = FlowRunFilter(expected_start_time=FlowRunFilterExpectedStartTime(after_=ended))
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        async with get_client() as client:
            for deployment in await client.read_deployments():
                if any(tag.startswith("stkkr:scale-") for tag in deployment.tags):
                    await client.pause_deployment(deployment.id)
            for run in await client.read_flow_runs(flow_run_filter=later, limit=200):
                if _stkkr_of(run) and run.state and run.state.is_scheduled():
                    await client.delete_flow_run(run.id)
            deadline = time.monotonic() + _DRAIN_S
            while True:
                due = [run for run in await _runs_due(client, ended) if _stkkr_of(run)]
                if all(run.state and run.state.is_final() for run in due) or time.monotonic() > deadline:
                    return due
                await asyncio.sleep(_POLL_S)


async def _runs_due(client: Any, ended: datetime) -> list[Any]:
    """Every flow run expected to start before `ended`, page by page (the API returns 200 at most)."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
    )  # lazy: see _finish

    due = FlowRunFilter(expected_start_time=FlowRunFilterExpectedStartTime(before_=ended))
    runs: list[Any] = []
    while page := await client.read_flow_runs(flow_run_filter=due, limit=200, offset=len(runs)):
        runs += page
    return runs


async def _retention(api_url: str, stkkr_url: str, old_stkkr: str) -> bool:
    """Run the retention deployment on the pool; True when the old record is gone from the shared database."""
    from prefect.deployments import run_deployment  # lazy: see _finish
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from stkkr_tasks.store import ErrorStore  # lazy: see _old_error_record

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        run = await run_deployment(  # type: ignore[misc]
            "prune-error-records/nightly", timeout=_DRAIN_S, poll_interval=_POLL_S
        )
    async with ErrorStore(stkkr_url) as store:
        left = await store.list_errors(old_stkkr, limit=10, now=datetime.now(UTC) - timedelta(days=41))
    return bool(run.state and run.state.is_completed()) and not left


def _stkkr_of(run: Any) -> str:
    """The stkkr of a scenario's run (its `stkkr:scale-NN` tag), or "" for any other run."""
    return next((tag[6:] for tag in run.tags if tag.startswith("stkkr:scale-")), "")


def check(
    settings: ScaleSettings,
    runs: list[Any],
    sims: list[Any],
    pruned: bool,
    worker_folders: list[Path],
    started: datetime,
    ended: datetime,
    killed: Killed | None = None,
) -> ScaleResult:
    """Check the claims of issue 14 on what happened, and gather the figures (a killed run may be Crashed)."""
    result = ScaleResult(settings, killed)
    by_stkkr: dict[str, list[Any]] = {}
    for run in runs:
        by_stkkr.setdefault(_stkkr_of(run), []).append(run)
    slots = Counter((_stkkr_of(run), run.expected_start_time) for run in runs)
    not_completed = [
        f"{_stkkr_of(run)} {run.state_name}"
        for run in runs
        if (not run.state or not run.state.is_completed())
        and not (killed and str(run.id) in killed.run_ids and run.state_name == "Crashed")
    ]
    twice = [run.name for run in runs if run.run_count != 1] + [str(key) for key, n in slots.items() if n > 1]
    missing = [f"scale-{n:02d}" for n in range(settings.stkkrs) if f"scale-{n:02d}" not in by_stkkr]
    result.checks.append(
        (
            "every scheduled run ran exactly once",
            not (not_completed or twice or missing),
            f"{len(runs)} runs; not completed {not_completed[:5]}, twice {twice[:5]}, none {missing}",
        )
    )
    overlaps = overlapping(by_stkkr, ended, killed)
    result.checks.append(("no two runs of one stkkr overlapped", not overlaps, f"overlaps: {overlaps[:5]}"))
    peaks = [sim.max_in_flight for sim in sims]
    result.checks.append(
        ("requests in flight per environment ≤ the block's limit (8)", max(peaks) <= 8, f"peaks {peaks}")
    )
    duplicates = []
    for sim in sims:
        inserted = Counter(_inserted(w) for w in sim.writes if w.method == "POST")  # per stkkr: its own keys
        duplicates += [key for key, n in inserted.items() if n > 1]
    result.checks.append(
        ("no unique row written twice across workers", not duplicates, f"{len(duplicates)} twice")
    )
    result.checks.append(
        ("the retention deployment pruned the shared database", pruned, "a 40-day-old record")
    )
    leaked = _row_values_in(worker_folders, sims)
    result.checks.append(("nothing of any row in the workers' files", not leaked, f"found {leaked[:3]}"))
    late = [(run.start_time - run.expected_start_time).total_seconds() for run in runs if run.start_time]
    durations = [run.total_run_time.total_seconds() for run in runs]
    written = sum(1 for sim in sims for w in sim.writes)
    minutes = (ended - started).total_seconds() / 60
    result.figures = {
        "runs due in the window": str(len(runs)),
        "writes accepted (all environments)": f"{written:,}",
        "writes per minute": f"{written / minutes:,.0f}",
        "late start p50 / max (s)": f"{_p(late, 0.5):.1f} / {max(late, default=0):.1f}",
        "run time p50 / max (s)": f"{_p(durations, 0.5):.1f} / {max(durations, default=0):.1f}",
        "peak requests in flight per environment": ", ".join(str(p) for p in peaks),
        "runs started per worker": ", ".join(str(_started(folder)) for folder in worker_folders),
    }
    return result


def overlapping(by_stkkr: dict[str, list[Any]], ended: datetime, killed: Killed | None = None) -> list[str]:
    """The stkkrs with a run that started before the one before it had stopped (once per such pair).

    A run that died with its killed worker stopped at the kill; its end time is only when it was marked
    Crashed, later, by Prefect or by the stkkr's next run (which may be running by then).
    """
    overlaps = []
    for name, group in by_stkkr.items():
        ordered = sorted(group, key=lambda run: run.start_time or ended)
        for before, after in itertools.pairwise(ordered):
            stopped = before.end_time
            if stopped and killed is not None and str(before.id) in killed.run_ids:
                stopped = min(stopped, killed.at)
            if stopped and after.start_time and after.start_time < stopped:
                overlaps.append(name)
    return overlaps


def _started(worker_folder: Path) -> int:
    """How many flow runs a worker started, from its log."""
    log = worker_folder / f"{worker_folder.name}.log"
    return log.read_text(errors="replace").count("submitted to infrastructure") if log.exists() else 0


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1] if len(values) > 1 else sum(values)


def _inserted(write: Any) -> tuple[str, str]:
    """The stkkr (its name is the contact's department, `ExAd`) and the organisation of an insert."""
    return str(_field(write.body, "ExAd")), str(_field(write.body, "BcCoOga"))


def _field(body: Any, name: str) -> Any:
    """The first value of `name` anywhere in a request body."""
    values: list[Any]
    if isinstance(body, dict):
        if name in body:
            return body[name]
        values = list(body.values())
    elif isinstance(body, list):
        values = body
    else:
        return None
    for value in values:
        found = _field(value, name)
        if found is not None:
            return found
    return None


def _row_values_in(folders: list[Path], sims: list[Any]) -> list[str]:
    """Distinctive text values of the simulators' rows that occur in any file under the folders."""
    values: set[bytes] = set()
    for sim in sims:
        for connector in ("Profit_Projects", "Profit_OrgPer"):
            for row in sim.rows(connector):
                values.update(str(v).encode() for v in row.values() if isinstance(v, str) and len(v) >= 8)
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                found += [f"{path.name}: {v[:3]!r}…" for v in values if v in data]
    return found


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.scale`: run, print, append the report to RESULTS.md; exit 1 on a failed claim."""
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--stkkrs", type=int, default=20, help="stkkrs on 1-minute schedules (20)")
    parser.add_argument("--minutes", type=float, default=10, help="how long the schedules run (10)")
    parser.add_argument("--workers", type=int, default=2, help="prefect worker processes (2)")
    parser.add_argument("--environments", type=int, default=3, help="AFAS environments (simulators) (3)")
    parser.add_argument("--latency-ms", type=int, default=20, help="simulator latency per request (20)")
    parser.add_argument("--rows", type=int, default=200, help="rows per connector of each simulator (200)")
    parser.add_argument(
        "--kill-worker", action="store_true", help="kill a worker in the middle of an insert run"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="report file (bench/RESULTS.md)")
    args = parser.parse_args(argv)
    settings = ScaleSettings(
        args.stkkrs,
        args.minutes,
        args.workers,
        args.environments,
        args.rows,
        args.latency_ms,
        args.kill_worker,
    )
    with tempfile.TemporaryDirectory(prefix="stkkr-scale-") as folder:
        result = run_scale(settings, Path(folder))
    report = result.markdown()
    print(report)
    with args.results.open("a", encoding="utf-8") as out:
        out.write("\n" + report)
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
