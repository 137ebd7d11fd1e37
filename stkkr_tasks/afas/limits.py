"""At most N requests in flight per AFAS environment, shared by all clients in one event loop.

AFAS documents a maximum of 8 parallel calls per environment. Clients of the same base URL running in the
same event loop share one limiter; when they ask for different limits, the lowest one applies.
"""

from __future__ import annotations

import asyncio
import weakref

import anyio

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "in_flight_limiter"]

DEFAULT_MAX_IN_FLIGHT = 8

_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, anyio.CapacityLimiter]] = (
    weakref.WeakKeyDictionary()
)


def in_flight_limiter(base_url: str, max_in_flight: int) -> anyio.CapacityLimiter:
    """Return the running event loop's limiter for `base_url`, lowered to `max_in_flight` if needed.

    Must be called from inside the event loop (it is, from the client's request method).
    """
    per_url = _LIMITERS.setdefault(asyncio.get_running_loop(), {})
    key = base_url.lower()
    limiter = per_url.get(key)
    if limiter is None:
        limiter = per_url[key] = anyio.CapacityLimiter(max_in_flight)
    elif max_in_flight < limiter.total_tokens:
        limiter.total_tokens = max_in_flight
    return limiter
