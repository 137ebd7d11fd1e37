"""A measured child process: its exit status, output, wall-clock time, CPU seconds and peak RSS.

`os.wait4` gives the resources of the child itself (and the descendants it waited for), so a figure never
includes the benchmark's own work or another child's.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finished:
    """A child process that ended.

    Attributes:
        returncode: Its exit status.
        stdout: What it printed on stdout.
        stderr: What it printed on stderr.
        wall_s: Wall-clock seconds from start to exit (interpreter start-up included).
        cpu_s: CPU seconds, user plus system.
        peak_rss_mib: Its largest resident set, in MiB.
    """

    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float
    peak_rss_mib: float


def run_measured(
    argv: list[str], env: dict[str, str], *, cwd: Path | None = None, stdin: str | None = None
) -> Finished:
    """Run `argv` to its end and measure it; its output goes through files, so a large one never blocks it.

    Args:
        argv: The command.
        env: Its whole environment.
        cwd: Its working directory.
        stdin: Text written to its standard input (closed at once when None).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as given:
        given.write((stdin or "").encode())
        given.seek(0)
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdin=given, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Finished(
            returncode=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            peak_rss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
        )
