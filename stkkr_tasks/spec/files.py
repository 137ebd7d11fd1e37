"""Where stkkr files live: the deployments directory, finding files, resolving a stkkr by name.

A deployment stores only the stkkr's *name*; the process that runs it (``stkkr serve``, a worker) finds the
file again by name under the deployments directory, so editing a file changes what the next run does. A file
that does not load, however broken, is skipped by every lookup of *another* stkkr (a lookup by name reports it
as a warning on the ``stkkr.files`` logger), so one broken file never takes down the others.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from stkkr_tasks.errors import StkkrError
from stkkr_tasks.spec.loader import load_stkkr
from stkkr_tasks.spec.model import StkkrSpec

DEPLOYMENTS_DIR_ENV = "STKKR_DEPLOYMENTS_DIR"
"""Environment variable naming the deployments directory (default ``./deployments``)."""

_SUFFIXES = (".yaml", ".yml")
_logger = logging.getLogger("stkkr.files")


class StkkrFileError(StkkrError, LookupError):
    """A stkkr file could not be found, or two files claim the same stkkr name."""


@dataclass(frozen=True)
class StkkrFile:
    """A stkkr file that loaded and validated.

    Attributes:
        path: The file.
        spec: Its validated model.
    """

    path: Path
    spec: StkkrSpec

    @property
    def name(self) -> str:
        """The stkkr's name (also its flow and deployment name)."""
        return self.spec.stkkr


def deployments_dir() -> Path:
    """The deployments directory: ``$STKKR_DEPLOYMENTS_DIR``, else ``./deployments``.

    Returns:
        The directory as an absolute path (it need not exist).
    """
    return Path(os.environ.get(DEPLOYMENTS_DIR_ENV) or "deployments").expanduser().absolute()


def stkkr_paths(paths: Sequence[str | os.PathLike[str]] | None = None) -> list[Path]:
    """The stkkr files named by ``paths`` (files, or directories searched recursively), sorted.

    Args:
        paths: Files or directories; ``None`` or empty means the deployments directory.

    Returns:
        The YAML files found, each once, in a stable order.

    Raises:
        StkkrFileError: A path does not exist.
    """
    roots = [Path(p) for p in paths] if paths else [deployments_dir()]
    found: set[Path] = set()
    for root in roots:
        if root.is_dir():
            found.update(p.absolute() for p in root.rglob("*") if p.suffix in _SUFFIXES and p.is_file())
        elif root.is_file():
            found.add(root.absolute())
        else:
            raise StkkrFileError(f"no stkkr file or directory at {root}")
    return sorted(found)


def load_stkkr_files(paths: Sequence[str | os.PathLike[str]] | None = None) -> list[StkkrFile]:
    """Load and validate every stkkr file under ``paths``; refuse two files with the same stkkr name.

    Args:
        paths: Files or directories; ``None`` means the deployments directory.

    Returns:
        The loaded files, sorted by path.

    Raises:
        stkkr_tasks.spec.SpecError: A file does not validate (all problems of that file).
        StkkrFileError: A path does not exist, or a name is used by two files.
    """
    files = [StkkrFile(path, load_stkkr(path)) for path in stkkr_paths(paths)]
    _refuse_duplicate_names(files)
    return files


def valid_stkkr_files(root: Path | None = None) -> list[StkkrFile]:
    """Every stkkr file under ``root`` that validates; others are skipped (``stkkr validate`` says why).

    Args:
        root: The directory to search; default the deployments directory (missing: no files).

    Returns:
        The valid files, sorted by path.
    """
    root = root or deployments_dir()
    files = []
    for path in stkkr_paths([root]) if root.is_dir() else []:
        spec = _load_or_none(path)
        if spec is not None:
            files.append(StkkrFile(path, spec))
    return files


def find_stkkr_file(name: str, root: Path | None = None) -> Path:
    """The file under the deployments directory whose ``stkkr:`` is ``name``.

    Args:
        name: The stkkr name.
        root: The directory to search; default the deployments directory.

    Returns:
        The file's path.

    Raises:
        StkkrFileError: No file (or more than one) defines the stkkr.
    """
    return load_stkkr_by_name(name, root).path


def load_stkkr_by_name(name: str, root: Path | None = None) -> StkkrFile:
    """The stkkr ``name`` from its file under the deployments directory, loaded once.

    Files named ``<name>.yaml`` are tried first, so a lookup usually reads one file. A file that does not
    load is skipped with a warning (it may define another stkkr).

    Args:
        name: The stkkr name.
        root: The directory to search; default the deployments directory.

    Returns:
        The file and its validated model.

    Raises:
        StkkrFileError: No file (or more than one) defines the stkkr.
    """
    root = root or deployments_dir()
    candidates = stkkr_paths([root]) if root.is_dir() else []
    matches: list[StkkrFile] = []
    for path in sorted(candidates, key=lambda p: p.stem != name):  # <name>.yaml first
        spec = _load_or_none(path, report=True)
        if spec is None or spec.stkkr != name:
            continue
        if path.stem == name:
            return StkkrFile(path, spec)
        matches.append(StkkrFile(path, spec))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise StkkrFileError(f"stkkr {name!r} is defined by more than one file under {root}")
    raise StkkrFileError(f"no valid stkkr file named {name!r} under {root} (set {DEPLOYMENTS_DIR_ENV})")


def flow_attribute(name: str) -> str:
    """The Python identifier under which ``flows/stkkrs.py`` exposes the stkkr's flow.

    Args:
        name: The stkkr name (lowercase letters, digits, dashes).

    Returns:
        The name with dashes replaced by underscores, e.g. ``close_finished_projects``.
    """
    return name.replace("-", "_")


def _load_or_none(path: Path, *, report: bool = False) -> StkkrSpec | None:
    """The file's stkkr, or None when it does not load (with a warning when ``report``)."""
    try:
        return load_stkkr(path)
    except Exception as exc:  # however broken a file is, the lookup of the others goes on
        if report:
            _logger.warning(
                "Skipped %s: it does not load (%s); `stkkr validate` says why.", path, type(exc).__name__
            )
        return None


def _refuse_duplicate_names(files: Iterable[StkkrFile]) -> None:
    seen: dict[str, Path] = {}
    for file in files:
        if file.name in seen:
            raise StkkrFileError(f"stkkr {file.name!r} is defined twice: {seen[file.name]} and {file.path}")
        seen[file.name] = file.path
