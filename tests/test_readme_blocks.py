"""Every shell and Python block of the README runs as pasted, against the simulator and a Prefect test server.

A block that cannot run here (it needs a real AFAS environment, runs until Ctrl-C, or only lists a command's
options) says so in the README with `<!-- readme-test: skip (why) -->` on the line before its fence; a block
without that marker must run and exit 0. The connections the README names (`acme-test`, `demo-simulator`)
point at the simulator.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIP = re.compile(r"^<!-- readme-test: skip \((.+)\) -->$")
FENCE = re.compile(r"^```(bash|python)\s*$")
CONNECTIONS = ("acme-test", "demo-simulator")


@dataclass(frozen=True)
class Block:
    """A fenced block of the README: its language, first line number, text and skip reason (if any)."""

    language: str
    line: int
    text: str
    skip: str | None


def readme_blocks() -> list[Block]:
    """The bash and Python blocks of the README, in order."""
    lines = README.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        end = lines.index("```", index + 1)
        previous = next((line for line in reversed(lines[:index]) if line.strip()), "")
        marker = SKIP.match(previous)
        text = "\n".join(lines[index + 1 : end]) + "\n"
        blocks.append(Block(fence.group(1), index + 2, text, marker.group(1) if marker else None))
        index = end + 1
    return blocks


BLOCKS = readme_blocks()


def test_the_readme_has_blocks_that_run() -> None:
    runnable = [block for block in BLOCKS if block.skip is None]
    assert len(runnable) >= 4, "most of the README's blocks would be skipped"


@pytest.fixture(scope="module")
def environment(prefect_server: None, stkkr_home: str) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    bin_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "STKKR_HOME": stkkr_home,
        "COLUMNS": "200",
    }


@pytest.fixture(scope="module")
def connections(prefect_server: None) -> Iterator[None]:
    """The README's connections, saved for a simulator that runs while the module's tests do."""
    from blocks import AfasConnection
    from stkkr_tasks.simulator import Simulator

    simulator = Simulator(rows=200, seed=1)
    with simulator.serve() as base_url:
        for name in CONNECTIONS:
            AfasConnection(base_url=base_url, token=simulator.token).save(name, overwrite=True)
        yield


@pytest.mark.parametrize("block", BLOCKS, ids=[f"README.md:{block.line}" for block in BLOCKS])
def test_readme_block_runs_as_pasted(
    block: Block, environment: dict[str, str], connections: None, tmp_path: Path
) -> None:
    if block.skip is not None:
        pytest.skip(block.skip)
    if block.language == "bash":
        if "source .venv/bin/activate" in block.text and not (ROOT / ".venv" / "bin" / "activate").exists():
            pytest.skip("no .venv in this checkout (installed elsewhere)")
        argv = ["bash", "-euo", "pipefail", "-c", block.text]
    else:
        script = tmp_path / "block.py"
        script.write_text(block.text, encoding="utf-8")
        argv = [sys.executable, str(script)]

    result = subprocess.run(
        argv, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False
    )

    assert result.returncode == 0, f"README.md:{block.line} failed:\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
