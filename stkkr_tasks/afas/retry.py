"""When and how long the client waits before repeating a failed request.

Which failures are retryable is decided by the exceptions themselves (`AfasError.retryable`); this module
holds the one rule they share — which HTTP methods may be re-sent when their outcome is unknown — and the
backoff policy.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

__all__ = ["RESENDABLE_METHODS", "RetryPolicy", "may_resend"]

RESENDABLE_METHODS = frozenset({"GET", "PUT"})
"""Methods whose repetition has the same effect as sending them once (a PUT sets the same values again).

A POST may insert a second record and a DELETE of a vanished record fails, so neither is re-sent after a
timeout or dropped connection.
"""


def may_resend(method: str, *, inserts: bool = False) -> bool:
    """Whether a request whose outcome is unknown may be sent again with the same effect.

    Args:
        method: The HTTP method.
        inserts: Whether the request may insert records although its method is PUT: AFAS inserts the
            sub-objects of a PUT that carry no key fields, so re-sending it could insert them twice.
    """
    return method in RESENDABLE_METHODS and not inserts


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for retryable failures.

    Attributes:
        attempts: Total number of attempts per request, the first one included (1 = never retry).
        base_delay: Delay in seconds before the first retry; it doubles with every further retry.
        max_delay: Upper bound of the backoff delay in seconds.
        retry_after_cap: Upper bound in seconds for a `Retry-After` that AFAS asks for (429, 503).
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    retry_after_cap: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.retry_after_cap) < 0:
            raise ValueError("RetryPolicy delays must not be negative")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based) before the next one.

        Args:
            attempt: The number of the attempt that just failed, starting at 1.
            retry_after: AFAS's `Retry-After` advice in seconds, when it gave one.

        Returns:
            The `Retry-After` advice clamped to 0..`retry_after_cap`, or else (no advice, or one that is not
            a number such as NaN) an exponential backoff (`base_delay * 2**(attempt-1)`, capped at
            `max_delay`) of which the upper half is random, so that clients failing together do not retry
            together.
        """
        if retry_after is not None and not math.isnan(retry_after):
            return min(max(retry_after, 0.0), self.retry_after_cap)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)
