"""CPU seconds spent by each process of a measurement: the client, the simulator, the Prefect server.

On a small machine all three share the cores, so CPU spent by one slows the others; the report shows where
the CPU went. Linux only (`/proc`); elsewhere the figures are 0.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CpuSeconds:
    """CPU seconds (user + system) of one measurement.

    Attributes:
        client: The measured client: this process plus the children it waited for (`stkkr run`).
        simulator: The simulator process.
        prefect: The Prefect server (with its own children).
    """

    client: float = 0.0
    simulator: float = 0.0
    prefect: float = 0.0


def group_cpu_seconds(pgid: int | None) -> float:
    """CPU seconds of every process in a process group, including the children they reaped."""
    if pgid is None:
        return 0.0
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(fields[2]) == pgid:  # pgrp; utime, stime, cutime, cstime follow at 11..14
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@contextmanager
def measure_cpu(simulator_pgid: int | None, prefect_pgid: int | None) -> Iterator[CpuSeconds]:
    """Measure the CPU seconds spent inside the `with` block; the yielded object is filled in at its end.

    Args:
        simulator_pgid: The simulator's process group (its pid), or None.
        prefect_pgid: The Prefect server's process group, or None when it runs elsewhere.
    """
    spent = CpuSeconds()
    own, sim, prefect = _own_cpu_seconds(), group_cpu_seconds(simulator_pgid), group_cpu_seconds(prefect_pgid)
    yield spent
    spent.client = _own_cpu_seconds() - own
    spent.simulator = group_cpu_seconds(simulator_pgid) - sim
    spent.prefect = group_cpu_seconds(prefect_pgid) - prefect
