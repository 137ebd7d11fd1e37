"""The deployment entrypoints of the stkkrs: ``flows/stkkrs.py:<stkkr name with _>``, one flow per stkkr.

``prefect.yaml``, ``stkkr deploy`` and ``stkkr serve`` name a stkkr's flow as an attribute of this module,
e.g. ``flows/stkkrs.py:close_finished_projects``. Importing the module reads no stkkr file: asking for an
attribute finds that one stkkr's file by name in ``$STKKR_DEPLOYMENTS_DIR`` (default ``./deployments``),
loads it once and builds its flow once (`stkkr_tasks.deploy.entry`), so a run runs the file as it is *now*
and a broken file breaks only its own runs. Every global of this module starts with an underscore, which no
stkkr name does: a stkkr can never shadow one, nor be shadowed.
"""

import typing as _typing

from stkkr_tasks.deploy.entry import deployment_flow as _deployment_flow

_flows: dict[str, _typing.Any] = {}


def __getattr__(attribute: str) -> _typing.Any:
    """The flow of the stkkr named by ``attribute`` (dashes as underscores), built on first use."""
    if attribute not in _flows:
        _flows[attribute] = _deployment_flow(attribute)
    return _flows[attribute]
