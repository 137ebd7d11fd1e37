"""Async client of AFAS Profit's REST API (no Prefect): connectors, metainfo, paging, filters, updates."""

from __future__ import annotations

from stkkr_tasks.afas import exceptions
from stkkr_tasks.afas.client import AfasClient
from stkkr_tasks.afas.elements import Element
from stkkr_tasks.afas.exceptions import *  # noqa: F403 - the exception classes, listed in exceptions.__all__
from stkkr_tasks.afas.filters import Filter, Operator
from stkkr_tasks.afas.models import (
    AllowedValue,
    ConnectorInfo,
    ConnectorList,
    GetConnectorMeta,
    GetField,
    UpdateConnectorMeta,
    UpdateField,
    UpdateObjectMeta,
)
from stkkr_tasks.afas.paging import Pager
from stkkr_tasks.afas.retry import RetryPolicy
from stkkr_tasks.afas.urls import EnvironmentType

__all__ = [
    "AfasClient",
    "AllowedValue",
    "ConnectorInfo",
    "ConnectorList",
    "Element",
    "EnvironmentType",
    "Filter",
    "GetConnectorMeta",
    "GetField",
    "Operator",
    "Pager",
    "RetryPolicy",
    "UpdateConnectorMeta",
    "UpdateField",
    "UpdateObjectMeta",
]
__all__ += exceptions.__all__
