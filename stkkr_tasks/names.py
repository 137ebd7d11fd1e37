"""The one rule for names: stkkrs and AFAS connections (Prefect block names) alike.

The stkkr file schema (`stkkr_tasks.spec.model.Name`) and the CLI (`stkkr connection set`) both check
against it, so a connection the CLI creates is always one a stkkr file can name.
"""

from __future__ import annotations

import re

__all__ = ["NAME_MAX_LENGTH", "NAME_PATTERN", "NAME_RULE", "deployment_name", "is_name"]

NAME_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
"""Lowercase letters and digits in words joined by single dashes: `acme-test`, not `acme-` or `acme--x`."""

NAME_MAX_LENGTH = 63

NAME_RULE = "lowercase letters, digits and single dashes, like 'close-finished-projects'"
"""The rule in words, for messages."""

_NAME = re.compile(NAME_PATTERN)


def is_name(text: str) -> bool:
    """Whether `text` is a valid stkkr or connection name."""
    return len(text) <= NAME_MAX_LENGTH and _NAME.match(text) is not None


def deployment_name(stkkr: str) -> str:
    """The full deployment name of a stkkr: ``<name>/<name>`` (flow and deployment are named after it).

    Args:
        stkkr: The stkkr name.

    Returns:
        The name ``run_deployment`` accepts.
    """
    return f"{stkkr}/{stkkr}"
