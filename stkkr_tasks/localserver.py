"""The persistent local Prefect server under ``$STKKR_HOME``: started in the background on first use, reused.

Every `stkkr` command without PREFECT_API_URL, `stkkr demo` and `stkkr up` share it, so a connection saved by
the demo is there for `stkkr run`, and a command does not pay a server start. Its state (SQLite) is in
``$STKKR_HOME/prefect``; the key that encrypts its blocks (the AFAS tokens) is a separate file,
``$STKKR_HOME/prefect-encryption.key`` (or ``$STKKR_SERVER_KEY_FILE``), so one copy of the Prefect folder
does not hold the tokens together with their key. ``$STKKR_HOME/server.json`` says where the server runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from prefect.settings import PREFECT_API_URL

from stkkr_tasks.home import stkkr_home
from stkkr_tasks.localstack import (
    STOP_GRACE_S,
    LocalStackError,
    api_url,
    free_port,
    prefect_env,
    prefect_home,
    wait_healthy,
)

DEFAULT_PORT = 4200
"""The port the local server asks for first (the Prefect UI's usual one); a free one when it is taken."""
PORT_ENV = "STKKR_SERVER_PORT"
KEY_FILE_ENV = "STKKR_SERVER_KEY_FILE"
ENCRYPTION_KEY_ENV = "PREFECT_SERVER_ENCRYPTION_KEY"
SERVER_LOG = "server.log"
"""The file under PREFECT_HOME that receives the local server's output."""


@dataclass(frozen=True)
class LocalServer:
    """A running local Prefect server.

    Attributes:
        pid: Its process id (also its process group).
        port: Its port on 127.0.0.1.
    """

    pid: int
    port: int

    @property
    def url(self) -> str:
        """Its API URL."""
        return api_url(self.port)

    @property
    def ui(self) -> str:
        """Its UI URL."""
        return self.url.removesuffix("/api")

    def where(self) -> str:
        """One line for the user: where the server and its state are."""
        return f"Prefect: local server {self.ui} (state in {prefect_home()}; `stkkr server stop` stops it)"


@dataclass(frozen=True)
class EncryptionKey:
    """The local server's block encryption key.

    Attributes:
        value: The Fernet key.
        path: The file it is kept in.
        created: True when this call created the file.
    """

    value: str
    path: Path
    created: bool


def _home() -> Path:
    home = stkkr_home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home


def state_file() -> Path:
    """``$STKKR_HOME/server.json``: the pid and port of the running local server."""
    return _home() / "server.json"


def key_file() -> Path:
    """Where the local server's encryption key is kept: ``$STKKR_SERVER_KEY_FILE`` or next to the database."""
    configured = os.environ.get(KEY_FILE_ENV)
    return Path(configured).expanduser() if configured else _home() / "prefect-encryption.key"


def database_key() -> str | None:
    """The encryption key Prefect stored in its own database (done when no key was given), or None."""
    database = prefect_home() / "prefect.db"
    if not database.exists():
        return None
    with contextlib.closing(sqlite3.connect(database)) as db:
        try:
            row = db.execute("SELECT value FROM configuration WHERE key = 'ENCRYPTION_KEY'").fetchone()
        except sqlite3.Error:
            return None
    return None if row is None else str(json.loads(row[0])["fernet_key"])


def _drop_database_key() -> None:
    with contextlib.closing(sqlite3.connect(prefect_home() / "prefect.db")) as db, db:
        db.execute("DELETE FROM configuration WHERE key = 'ENCRYPTION_KEY'")


def encryption_key() -> EncryptionKey:
    """The local server's block encryption key, created (0600) on first use.

    A Prefect database that already holds its own key (made before stkkr kept one) gives it up: the key moves
    to the file, so the blocks encrypted with it stay readable and the database no longer holds it.
    """
    path = key_file()
    if path.exists():
        return EncryptionKey(path.read_text(encoding="utf-8").strip(), path, created=False)
    adopted = database_key()
    value = adopted or Fernet.generate_key().decode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(value + "\n")
    if adopted:
        _drop_database_key()
    return EncryptionKey(value, path, created=True)


def server_env(url: str, key: str) -> dict[str, str]:
    """The environment of the local server: `prefect_env` plus its encryption key."""
    return {**prefect_env(url), ENCRYPTION_KEY_ENV: key}


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child that has exited
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"{api_url(port)}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def status() -> LocalServer | None:
    """The running local server, or None (a stale state file is removed)."""
    path = state_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        server = LocalServer(pid=int(data["pid"]), port=int(data["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if _alive(server.pid) and _healthy(server.port):
        return server
    if not _alive(server.pid):
        path.unlink(missing_ok=True)
    return None


@contextlib.contextmanager
def _start_lock() -> Iterator[None]:
    """One process at a time starts the server; the others wait and then find it running."""
    with (_home() / "server.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _choose_port(preferred: int | None) -> int:
    wanted = preferred or int(os.environ.get(PORT_ENV) or DEFAULT_PORT)
    return wanted if _port_is_free(wanted) else free_port()


def ensure_running(*, port: int | None = None, on_start: Callable[[str], None] | None = None) -> LocalServer:
    """The local server, started in the background when it does not run yet.

    Args:
        port: The port to start it on (default ``$STKKR_SERVER_PORT`` or 4200; a free one when taken).
            A server that runs already keeps its port.
        on_start: Told in one line that the server is starting (and about a newly created key file).

    Returns:
        The running server.

    Raises:
        LocalStackError: It did not start (the message names its log file).
    """
    running = status()
    if running is not None:
        return running
    with _start_lock():
        running = status()
        if running is not None:
            return running
        key = encryption_key()
        if on_start is not None:
            _announce(on_start, key)
        return _start(_choose_port(port), key.value)


def stack_api_url(*, port: int | None = None, on_start: Callable[[str], None] | None = None) -> str:
    """The Prefect API of `stkkr up` and `stkkr demo`: PREFECT_API_URL when set, else the local server's.

    Args:
        port: The port to start the local server on when it does not run yet.
        on_start: Told in one line that the server is starting.

    Raises:
        LocalStackError: The local server did not start.
    """
    configured = PREFECT_API_URL.value()
    if configured:
        return str(configured)
    return ensure_running(port=port, on_start=on_start).url


def _announce(on_start: Callable[[str], None], key: EncryptionKey) -> None:
    if key.created:
        on_start(
            "Created the key that encrypts the Prefect server's blocks (your AFAS tokens): "
            f"{key.path} (mode 0600). Back it up, apart from the Prefect folder: without it "
            "saved connections cannot be read."
        )
    home = prefect_home()
    on_start(f"Starting the local Prefect server (state in {home}); the first start takes a while…")


def _start(port: int, key: str) -> LocalServer:
    prefect = str(Path(sys.executable).with_name("prefect"))
    argv = [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    log = prefect_home() / SERVER_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        process = subprocess.Popen(
            argv,
            env=server_env(api_url(port), key),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
        )
    try:
        wait_healthy(f"{api_url(port)}/health", process)
    except LocalStackError as exc:
        _stop_group(process.pid)
        raise LocalStackError(f"{exc}; its output is in {log}") from None
    server = LocalServer(pid=process.pid, port=port)
    state_file().write_text(json.dumps({"pid": server.pid, "port": server.port}), encoding="utf-8")
    return server


@contextlib.contextmanager
def stack_lock(what: str) -> Iterator[None]:
    """Hold the lock of `stkkr up` and `stkkr demo` on this STKKR_HOME while they run.

    Both save the connection blocks of their own simulator into the same server, so one at a time.

    Raises:
        LocalStackError: Another `stkkr up` or `stkkr demo` holds it (the message says which process).
    """
    path = _home() / "stack.lock"
    with path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise LocalStackError(
                f"{holder} is running on {_home()}; stop it first (Ctrl-C in its terminal)"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"`stkkr {what}` (pid {os.getpid()})")
        lock.flush()
        try:
            yield
        finally:
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)


def stop_server() -> LocalServer | None:
    """Stop the local server; returns the server that was stopped, or None when none ran."""
    server = status()
    path = state_file()
    if server is None:
        path.unlink(missing_ok=True)
        return None
    _stop_group(server.pid)
    path.unlink(missing_ok=True)
    return server


def _stop_group(pid: int) -> None:
    """SIGINT, then SIGTERM, then SIGKILL to the server's process group, each after a grace period."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.1)
