"""Async client of AFAS Profit's REST API (no Prefect): connectors, metainfo, paging, filters, updates."""

from __future__ import annotations

from stkkr_tasks.afas.client import AfasClient
from stkkr_tasks.afas.elements import Element
from stkkr_tasks.afas.exceptions import (
    AfasAuthError,
    AfasBadRequestError,
    AfasConfigError,
    AfasConnectError,
    AfasError,
    AfasForbiddenError,
    AfasNotFoundError,
    AfasPayloadTooLargeError,
    AfasQueryTooLongError,
    AfasResponseError,
    AfasServerError,
    AfasTimeoutError,
    AfasTransportError,
    AfasUnavailableError,
    AfasUnexpectedResponseError,
    AfasValidationError,
)
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

__all__ = [
    "AfasAuthError",
    "AfasBadRequestError",
    "AfasClient",
    "AfasConfigError",
    "AfasConnectError",
    "AfasError",
    "AfasForbiddenError",
    "AfasNotFoundError",
    "AfasPayloadTooLargeError",
    "AfasQueryTooLongError",
    "AfasResponseError",
    "AfasServerError",
    "AfasTimeoutError",
    "AfasTransportError",
    "AfasUnavailableError",
    "AfasUnexpectedResponseError",
    "AfasValidationError",
    "AllowedValue",
    "ConnectorInfo",
    "ConnectorList",
    "Element",
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
