"""Load an `AfasConnection` block by name, telling "there is none" apart from "it cannot be read".

The class comes through the seam (`stkkr_tasks.seam.connection_block`): the library never imports blocks/.

Prefect raises a `ValueError` for a missing block and a `RuntimeError` caused by a pydantic
`ValidationError` (itself a `ValueError`) for a block saved with a schema this stkkr no longer accepts.
Treating both as "missing" made `stkkr connection set` overwrite an outdated block as if it were new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prefect.utilities.asyncutils import run_coro_as_sync
from pydantic import ValidationError

from stkkr_tasks.errors import StkkrError
from stkkr_tasks.seam import connection_block

if TYPE_CHECKING:
    from stkkr_tasks.seam import ConnectionBlock

__all__ = [
    "ConnectionBlockError",
    "ConnectionNotFoundError",
    "ConnectionOutdatedError",
    "aload_connection",
    "load_connection",
]


class ConnectionBlockError(StkkrError, LookupError):
    """An AfasConnection block cannot be loaded; `name` is the block name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


class ConnectionNotFoundError(ConnectionBlockError):
    """There is no AfasConnection block of that name."""

    def __init__(self, name: str) -> None:
        super().__init__(
            name,
            f"There is no AFAS connection named {name!r}: create it with "
            f"`stkkr connection set {name} --environment N --type test --token-file FILE`.",
        )


class ConnectionOutdatedError(ConnectionBlockError):
    """The block exists but was saved with a schema this stkkr cannot read; `fields` names the misfits."""

    def __init__(self, name: str, fields: list[str]) -> None:
        listed = ", ".join(fields) or "unknown"
        super().__init__(
            name,
            f"The AFAS connection {name!r} exists but cannot be read: it was saved by another version of "
            f"stkkr and these fields do not fit: {listed}. Set it again, with its token: "
            f"`stkkr connection set {name} ... --token-file FILE`.",
        )
        self.fields = fields


async def aload_connection(name: str) -> ConnectionBlock:
    """Load the AfasConnection block `name`.

    Args:
        name: The block name.

    Returns:
        The connection.

    Raises:
        ConnectionNotFoundError: No block has that name.
        ConnectionOutdatedError: The block does not validate against the current `AfasConnection`.

    Example:
        `connection = await aload_connection("acme-test")`
    """
    try:
        connection: ConnectionBlock = await connection_block().aload(name)
        return connection
    except ValidationError as exc:
        raise ConnectionOutdatedError(name, _fields(exc)) from None
    except ValueError:  # Prefect's "Unable to find block document named ..."
        raise ConnectionNotFoundError(name) from None
    except RuntimeError as exc:  # Prefect's "Unable to load ... due to failed validation"
        if isinstance(exc.__cause__, ValidationError):
            raise ConnectionOutdatedError(name, _fields(exc.__cause__)) from None
        raise


def load_connection(name: str) -> ConnectionBlock:
    """Sync form of `aload_connection` (for code outside an event loop, such as CLI commands)."""
    return run_coro_as_sync(aload_connection(name))


def _fields(exc: ValidationError) -> list[str]:
    """The dotted paths of the failing fields; never the values (a token could be among them)."""
    return sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
