"""A faithful local AFAS Profit REST server with generated data, for demos, tests and benchmarks.

>>> from stkkr_tasks.simulator import Simulator
>>> with Simulator(rows=500, seed=1).serve() as base_url: ...
"""

from __future__ import annotations

from stkkr_tasks.simulator.catalogue import Catalogue, CatalogueError
from stkkr_tasks.simulator.faults import Faults
from stkkr_tasks.simulator.refusals import Refusals
from stkkr_tasks.simulator.server import Simulator
from stkkr_tasks.simulator.state import RefusedWrite, RequestRecord, WriteRecord

__all__ = [
    "Catalogue",
    "CatalogueError",
    "Faults",
    "Refusals",
    "RefusedWrite",
    "RequestRecord",
    "Simulator",
    "WriteRecord",
]
