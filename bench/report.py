"""The benchmark's figures: what each contender did, the ratios against the targets, the report text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

from bench.cpu import CpuSeconds

#: The targets of issues 6 and 15, reported as ratios (never asserted as timed tests): stkkr against the async
#: baseline (the hand-written script that waits at each page, `async8-paged`) in the run itself and over the
#: whole process (start-up included), against naive, and its share of the ceiling. The ratios to `async8`,
#: which reads the next page ahead, are shown beside them.
TARGET_VS_ASYNC = 1.0
TARGET_WHOLE_VS_ASYNC = 0.9
TARGET_VS_NAIVE = 6.0
TARGET_CEILING_SHARE = 0.9
#: Issue 15: `stkkr run` of a small stkkr and `stkkr connection set` on a warm machine, wall-clock seconds.
TARGET_CLI_S = 3.0
TARGET_RSS_RATIO = 1.1
TASK_RUNS_PER_PAGE = 4
TASK_RUNS_CONSTANT = 8
#: The targets of issue 17: batch 50 against batch 1, and what 1% refused elements may cost of that gain.
TARGET_BATCH_GAIN = 5.0
TARGET_REFUSAL_COST = 0.2
#: The target of issue 12: an upload reads within 10% of the rows/s of the same stkkr on the GetConnector.
TARGET_UPLOAD_SPEED = 0.9


@dataclass(frozen=True)
class Throughput:
    """What one contender did in one run.

    Attributes:
        name: naive, async8-paged, async8 or stkkr.
        read: Rows read.
        kept: Rows the filter kept.
        updated: Rows updated (PUT answered with success).
        failed: Updates AFAS refused.
        seconds: Wall-clock time of the work (for stkkr: the flow run's duration).
        cpu: CPU seconds of the client, the simulator and the Prefect server meanwhile.
        process_s: Wall-clock time of the contender's whole process, interpreter start-up included (0 when
            it ran inside the benchmark's own process).
    """

    name: str
    read: int
    kept: int
    updated: int
    failed: int
    seconds: float
    cpu: CpuSeconds = field(default_factory=CpuSeconds)
    process_s: float = 0.0

    @property
    def rows_per_s(self) -> float:
        """Rows read per second."""
        return self.read / self.seconds if self.seconds else 0.0

    @property
    def updates_per_s(self) -> float:
        """Rows updated per second."""
        return self.updated / self.seconds if self.seconds else 0.0

    @property
    def process_updates_per_s(self) -> float:
        """Rows updated per second of the whole process (0 when it ran inside the benchmark)."""
        return self.updated / self.process_s if self.process_s else 0.0


@dataclass(frozen=True)
class StkkrRun:
    """A `stkkr run` subprocess: its throughput, Prefect task runs and peak RSS.

    Attributes:
        throughput: The run's counts over the flow's duration (and its whole process's wall-clock time).
        task_runs: Prefect task runs of the flow run, counted through the Prefect API afterwards.
        pages: GetConnector pages with rows (the final empty or short page counts as one).
        peak_rss_mib: Peak resident memory of the process (and its children), in MiB.
    """

    throughput: Throughput
    task_runs: int
    pages: int
    peak_rss_mib: float


@dataclass(frozen=True)
class Round:
    """async8-paged, async8 and stkkr, run one after the other on the same simulator.

    The machine's speed drifts over minutes: ratios within a round compare runs made moments apart.
    """

    paged: Throughput
    async8: Throughput
    stkkr: StkkrRun

    @property
    def in_run(self) -> float:
        """stkkr / async8-paged updates/s, each over its own work (the target's first ratio)."""
        return _ratio(self.stkkr.throughput.updates_per_s, self.paged.updates_per_s)

    @property
    def whole(self) -> float:
        """stkkr / async8-paged updates/s over their whole processes."""
        return _ratio(self.stkkr.throughput.process_updates_per_s, self.paged.process_updates_per_s)


def median_round(rounds: list[Round]) -> Round:
    """The round whose stkkr / async8-paged ratio in the run is the median (the lower one of an even count).

    Raises:
        ValueError: No rounds.
    """
    if not rounds:
        raise ValueError("no rounds")
    ordered = sorted(rounds, key=lambda r: r.in_run)
    return ordered[(len(ordered) - 1) // 2]


@dataclass(frozen=True)
class BatchRun:
    """The stkkr with `update.batch` on the batch scenario's simulator (a cost per request and per element).

    Attributes:
        batch: Elements per request.
        refuse_one_in: One row in this many was refused by AFAS (0: none).
        run: The `stkkr run` figures.
        refusal: What refuses them: `metainfo` (a value the UpdateConnector's metainfo refuses, found before
            sending) or `rule` (AFAS's own rule: the record to update does not exist, found by splitting).
    """

    batch: int
    refuse_one_in: int
    run: StkkrRun
    refusal: str = "metainfo"


@dataclass(frozen=True)
class UploadRuns:
    """The upload scenario (issue 12): the workload's stkkr reading a CSV file instead of the GetConnector.

    Attributes:
        same_rows: On a CSV of the throughput run's rows (compared with that run's rows/s).
        memory: With the 1% filter, on the two CSV sizes (peak RSS compared).
    """

    same_rows: StkkrRun
    memory: list[StkkrRun]


@dataclass(frozen=True)
class Settings:
    """The benchmark's settings, printed with its figures."""

    rows: int
    latency_ms: int
    concurrency: int
    page_size: int
    naive_rows: int
    memory_rows: tuple[int, int]
    note: str = ""
    batch_rows: int = 0
    element_ms: int = 0
    upload_rows: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class CliTiming:
    """One everyday command, timed several times on a warm machine (the local server already running).

    Attributes:
        command: The command as a user types it.
        wall_s: Wall-clock seconds of each run of its whole process.
        cpu_s: CPU seconds (user + system) of each run.
        log_lines: Prefect log lines that reached its console, over all runs (the target is none).
    """

    command: str
    wall_s: tuple[float, ...]
    cpu_s: tuple[float, ...]
    log_lines: int


@dataclass
class Report:
    """All figures of one benchmark run; `markdown()` is what is printed and appended to RESULTS.md.

    `python -m bench --cli` measures only the everyday commands: then there are no rounds and no naive run.
    """

    settings: Settings
    machine: str
    server: str
    naive: Throughput | None = None
    #: Every round of async8-paged, async8 and stkkr; the table and the verdicts show the median one.
    rounds: list[Round] = field(default_factory=list)
    memory: list[StkkrRun] = field(default_factory=list)
    batches: list[BatchRun] = field(default_factory=list)
    uploads: UploadRuns | None = None
    cli: list[CliTiming] = field(default_factory=list)
    #: Updates/s of the reach probe (`bench.reach`): what any client gets on this machine; 0 when not run.
    reach: float = 0.0
    when: datetime = field(default_factory=lambda: datetime.now(UTC))

    def ceiling(self) -> float:
        """The most updates per second AFAS allows: `concurrency` calls in flight, each taking the latency."""
        latency_ms = self.settings.latency_ms
        return self.settings.concurrency * 1000 / latency_ms if latency_ms else 0.0

    def markdown(self) -> str:
        """The report as a Markdown section."""
        s = self.settings
        lines = [
            f"## {self.when:%Y-%m-%d %H:%M} UTC — {self.machine}" + (f" — {s.note}" if s.note else ""),
            "",
            f"Prefect: {self.server}.",
        ]
        naive = self.naive
        chosen = median_round(self.rounds) if self.rounds else None
        stkkr = chosen.stkkr if chosen is not None else None
        if naive is not None and chosen is not None:
            lines += [
                "",
                f"Settings: {s.rows:,} rows, latency {s.latency_ms} ms per request, page size {s.page_size}, "
                f"concurrency {s.concurrency}; naive on the first {min(s.naive_rows, s.rows):,} rows. "
                "async8-paged (waits at each page), async8 (reads the next page ahead) and stkkr run as "
                "processes of their own: *seconds* is their work (stkkr: the flow run), *process s* the "
                "whole process, interpreter start-up and imports included." + self._rounds_note(),
                "",
                "| contender | rows read | kept | updated | failed | seconds | process s | rows/s "
                "| updates/s | updates/s, whole process | CPU s: client / simulator / Prefect server |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
                *(_row(t) for t in (naive, chosen.paged, chosen.async8, chosen.stkkr.throughput)),
                "",
                *self._verdicts(naive, chosen),
            ]
        if self.cli:
            lines += ["", *self._cli_lines()]
        if self.memory:
            lines += ["", *self._memory_lines()]
        if len(self.batches) >= 3:
            lines += ["", *self._batch_lines()]
        if self.uploads is not None and stkkr is not None:
            lines += ["", *self._upload_lines(self.uploads, stkkr)]
        return "\n".join(lines) + "\n"

    def _verdicts(self, naive: Throughput, chosen: Round) -> list[str]:
        paged, async8, run = chosen.paged, chosen.async8, chosen.stkkr
        stkkr = run.throughput
        per_paged, whole = chosen.in_run, chosen.whole
        per_async8 = _ratio(stkkr.updates_per_s, async8.updates_per_s)
        whole_async8 = _ratio(stkkr.process_updates_per_s, async8.process_updates_per_s)
        per_naive = _ratio(stkkr.updates_per_s, naive.updates_per_s)
        ceiling = self.ceiling()
        share = _ratio(stkkr.updates_per_s, ceiling)
        allowed = TASK_RUNS_PER_PAGE * run.pages + TASK_RUNS_CONSTANT
        per_page = run.task_runs / run.pages if run.pages else 0.0
        return [
            f"- stkkr / async8-paged updates/s, the run itself: **{per_paged:.2f}** "
            f"(target ≥ {TARGET_VS_ASYNC}) "
            + _mark(per_paged >= TARGET_VS_ASYNC)
            + f"; stkkr / async8 (reads ahead): {per_async8:.2f}",
            f"- stkkr / async8-paged updates/s, whole process (stkkr {stkkr.process_s:.1f} s, async8-paged "
            f"{paged.process_s:.1f} s): **{whole:.2f}** (target ≥ {TARGET_WHOLE_VS_ASYNC}) "
            + _mark(whole >= TARGET_WHOLE_VS_ASYNC)
            + f"; stkkr / async8 (async8 {async8.process_s:.1f} s): {whole_async8:.2f}",
            f"- stkkr / naive updates/s: **{per_naive:.1f}** (target ≥ {TARGET_VS_NAIVE:g}) "
            + _mark(per_naive >= TARGET_VS_NAIVE),
            f"- stkkr's share of the ceiling ({ceiling:.0f} updates/s = {self.settings.concurrency} / "
            f"{self.settings.latency_ms} ms): **{share:.0%}** (target ≥ {TARGET_CEILING_SHARE:.0%}) "
            + _mark(share >= TARGET_CEILING_SHARE)
            + f"; async8-paged's: {_ratio(paged.updates_per_s, ceiling):.0%}, async8's: "
            f"{_ratio(async8.updates_per_s, ceiling):.0%}",
            *self._round_lines(),
            *self._reach_lines(ceiling, paged, async8, stkkr),
            f"- outside the run: stkkr's process {stkkr.process_s - stkkr.seconds:.1f} s (start-up, opening "
            f"the run, summary and exit), async8's {async8.process_s - async8.seconds:.1f} s",
            f"- client CPU s per 1,000 rows read: stkkr {_per_thousand(stkkr)} (start-up included), "
            f"async8-paged {_per_thousand(paged)}, async8 {_per_thousand(async8)}",
            f"- Prefect task runs: **{run.task_runs}** for {run.pages} pages ({per_page:.2f} per page; "
            f"target ≤ {TASK_RUNS_PER_PAGE} per page + {TASK_RUNS_CONSTANT} = {allowed}) "
            + _mark(run.task_runs <= allowed),
            f"- stkkr peak RSS: **{run.peak_rss_mib:.0f} MiB** (its CPU seconds include the start-up)",
        ]

    def _rounds_note(self) -> str:
        if len(self.rounds) < 2:
            return ""
        return (
            f" The three ran {len(self.rounds)} rounds, one after the other in each; the table and the "
            "verdicts are the median round by stkkr / async8-paged in the run."
        )

    def _round_lines(self) -> list[str]:
        if len(self.rounds) < 2:
            return []
        in_run = ", ".join(f"{r.in_run:.2f}" for r in self.rounds)
        whole = ", ".join(f"{r.whole:.2f}" for r in self.rounds)
        return [
            f"- stkkr / async8-paged in each of the {len(self.rounds)} rounds, in order: the run itself "
            f"{in_run}; whole process {whole}"
        ]

    def _reach_lines(
        self, ceiling: float, paged: Throughput, async8: Throughput, stkkr: Throughput
    ) -> list[str]:
        if not self.reach:
            return []
        shares = ", ".join(
            f"{t.name} {_ratio(t.updates_per_s, self.reach):.0%}" for t in (stkkr, paged, async8)
        )
        return [
            f"- what this machine allows (the reach probe: raw PUTs on {self.settings.concurrency} "
            f"connections, bodies prepared beforehand, nothing read or decoded): "
            f"**{self.reach:.0f} updates/s = {_ratio(self.reach, ceiling):.0%} of the ceiling**; "
            f"of that, {shares}"
        ]

    def _cli_lines(self) -> list[str]:
        lines = [
            "Everyday commands on a warm machine (the Prefect server running; each run "
            f"{len(self.cli[0].wall_s)} times after one warm-up; median, min–max in brackets; CPU = user + "
            "system of the process):",
            "",
            "| command | wall s | CPU s | Prefect log lines on the console |",
            "| --- | ---: | ---: | ---: |",
        ]
        for timing in self.cli:
            lines.append(
                f"| `{timing.command}` | {_spread(timing.wall_s)} | {_spread(timing.cpu_s)} | "
                f"{timing.log_lines} |"
            )
        lines.append("")
        for timing in self.cli:
            wall = median(timing.wall_s)
            lines.append(
                f"- `{timing.command}`: median **{wall:.2f} s** wall (target < {TARGET_CLI_S:g} s) "
                + _mark(wall < TARGET_CLI_S)
                + f", {median(timing.cpu_s):.2f} CPU s; Prefect log lines: **{timing.log_lines}** (target 0) "
                + _mark(timing.log_lines == 0)
            )
        return lines

    def _memory_lines(self) -> list[str]:
        lines = [
            "Memory (filter keeps about 1%):",
            "",
            "| rows | kept | updated | seconds | task runs | peak RSS MiB |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for run in self.memory:
            t = run.throughput
            lines.append(
                f"| {t.read:,} | {t.kept:,} | {t.updated:,} | {t.seconds:.1f} | {run.task_runs} | "
                f"{run.peak_rss_mib:.0f} |"
            )
        small, large = self.memory[0], self.memory[-1]
        ratio = _ratio(large.peak_rss_mib, small.peak_rss_mib)
        rows = f"{large.throughput.read:,} / {small.throughput.read:,} rows"
        lines += [
            "",
            f"- peak RSS {rows}: **{ratio:.3f}** (target ≤ {TARGET_RSS_RATIO}) "
            + _mark(ratio <= TARGET_RSS_RATIO),
        ]
        return lines

    def _batch_lines(self) -> list[str]:
        s = self.settings
        lines = [
            f"Several elements per request ({s.batch_rows:,} rows, all kept; {s.latency_ms} ms per request "
            f"plus {s.element_ms} ms per element). Refused by the metainfo: a date that is none, found "
            "before sending (no request); by AFAS's rule: the record to update does not exist, found by "
            "splitting the refused batch (AFAS spends its time per element before refusing it).",
            "",
            "| batch | refused | by | updated | failed | seconds | updates/s |",
            "| ---: | ---: | --- | ---: | ---: | ---: | ---: |",
        ]
        for batch in self.batches:
            t = batch.run.throughput
            share = f"1 in {batch.refuse_one_in:,}" if batch.refuse_one_in else "none"
            by = _REFUSALS[batch.refusal] if batch.refuse_one_in else ""
            lines.append(
                f"| {batch.batch} | {share} | {by} | {t.updated:,} | {t.failed:,} | {t.seconds:.1f} | "
                f"{t.updates_per_s:,.1f} |"
            )
        single, batched = (b.run.throughput.updates_per_s for b in self.batches[:2])
        gain = _ratio(batched, single)
        size = self.batches[1].batch
        lines += [
            "",
            f"- batch {size} / batch 1 updates/s: **{gain:.1f}** (target ≥ {TARGET_BATCH_GAIN:g}) "
            + _mark(gain >= TARGET_BATCH_GAIN),
        ]
        for run in self.batches[2:]:
            cost = _ratio(batched - run.run.throughput.updates_per_s, batched - single)
            hit = 1 - (1 - 1 / run.refuse_one_in) ** size  # batches holding a refused element
            lines.append(
                f"- share of that gain lost when 1 element in {run.refuse_one_in:,} is refused by "
                f"{_REFUSALS[run.refusal]} ({hit:.0%} of the batches): **{cost:.2f}** "
                f"(target < {TARGET_REFUSAL_COST}) " + _mark(cost < TARGET_REFUSAL_COST)
            )
        return lines

    def _upload_lines(self, uploads: UploadRuns, stkkr: StkkrRun) -> list[str]:
        lines = [
            "Uploads (the same stkkr reading a `;`-separated CSV file, `input:`, not the GetConnector):",
            "",
            "| source | rows read | kept | updated | seconds | rows/s | task runs | peak RSS MiB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        runs = [("GetConnector", stkkr), ("CSV upload", uploads.same_rows)]
        runs += [("CSV upload, 1% kept", run) for run in uploads.memory]
        for source, run in runs:
            t = run.throughput
            lines.append(
                f"| {source} | {t.read:,} | {t.kept:,} | {t.updated:,} | {t.seconds:.1f} | "
                f"{t.rows_per_s:,.0f} | {run.task_runs} | {run.peak_rss_mib:.0f} |"
            )
        speed = _ratio(uploads.same_rows.throughput.rows_per_s, stkkr.throughput.rows_per_s)
        lines += [
            "",
            f"- upload / GetConnector rows/s on the same {stkkr.throughput.read:,} rows: "
            f"**{speed:.2f}** (target ≥ {TARGET_UPLOAD_SPEED}) " + _mark(speed >= TARGET_UPLOAD_SPEED),
        ]
        if len(uploads.memory) == 2:
            small, large = uploads.memory
            ratio = _ratio(large.peak_rss_mib, small.peak_rss_mib)
            rows = f"{large.throughput.read:,} / {small.throughput.read:,} rows"
            lines.append(
                f"- upload peak RSS {rows}: **{ratio:.3f}** (target ≤ {TARGET_RSS_RATIO}) "
                + _mark(ratio <= TARGET_RSS_RATIO)
            )
        return lines


#: How the batch table names what refused the elements.
_REFUSALS = {"metainfo": "the metainfo", "rule": "AFAS's rule"}


def _row(t: Throughput) -> str:
    cpu = t.cpu
    process, whole = (f"{t.process_s:.1f}", f"{t.process_updates_per_s:,.1f}") if t.process_s else ("", "")
    return (
        f"| {t.name} | {t.read:,} | {t.kept:,} | {t.updated:,} | {t.failed:,} | {t.seconds:.1f} | "
        f"{process} | {t.rows_per_s:,.0f} | {t.updates_per_s:,.1f} | {whole} | "
        f"{cpu.client:.1f} / {cpu.simulator:.1f} / {cpu.prefect:.1f} |"
    )


def _per_thousand(t: Throughput) -> str:
    return f"{t.cpu.client * 1000 / t.read:.2f}" if t.read else "–"


def _spread(values: tuple[float, ...]) -> str:
    return f"{median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def _mark(ok: bool) -> str:
    return "— met" if ok else "— **missed**"


def append(path: Path, text: str) -> None:
    """Append a report section to the results file (created with a title when missing)."""
    header = "" if path.exists() else "# stkkr benchmark results\n\nNewest last; written by `make bench`.\n"
    with path.open("a", encoding="utf-8") as out:
        out.write(f"{header}\n{text}")
