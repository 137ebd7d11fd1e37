"""Where stkkr files live: the deployments directory, finding files, resolving a stkkr by name.

A deployment stores only the stkkr's *name*; the process that runs it (``stkkr serve``, a worker) finds the
file again by name under the deployments directory, so editing a file changes what the next run does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stkkr_tasks.errors import StkkrError

if TYPE_CHECKING:
    from stkkr_tasks.spec import StkkrSpec

DEPLOYMENTS_DIR_ENV = "STKKR_DEPLOYMENTS_DIR"
"""Environment variable naming the deployments directory (default ``./deployments``)."""

_SUFFIXES = (".yaml", ".yml")


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
    from stkkr_tasks.spec import load_stkkr

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
    from stkkr_tasks.spec import SpecError, load_stkkr

    root = root or deployments_dir()
    files = []
    for path in stkkr_paths([root]) if root.is_dir() else []:
        try:
            files.append(StkkrFile(path, load_stkkr(path)))
        except SpecError:
            continue
    return files


def find_stkkr_file(name: str, root: Path | None = None) -> Path:
    """The file under the deployments directory whose ``stkkr:`` is ``name``.

    Files named ``<name>.yaml`` are tried first, so a lookup usually reads one file.

    Args:
        name: The stkkr name.
        root: The directory to search; default the deployments directory.

    Returns:
        The file's path.

    Raises:
        StkkrFileError: No file (or more than one) defines the stkkr.
    """
    from stkkr_tasks.spec import SpecError, load_stkkr

    root = root or deployments_dir()
    candidates = stkkr_paths([root]) if root.is_dir() else []
    matches: list[Path] = []
    for path in sorted(candidates, key=lambda p: p.stem != name):  # <name>.yaml first
        try:
            defines = load_stkkr(path).stkkr == name
        except SpecError:
            continue
        if defines and path.stem == name:
            return path
        if defines:
            matches.append(path)
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


def _refuse_duplicate_names(files: Iterable[StkkrFile]) -> None:
    seen: dict[str, Path] = {}
    for file in files:
        if file.name in seen:
            raise StkkrFileError(f"stkkr {file.name!r} is defined twice: {seen[file.name]} and {file.path}")
        seen[file.name] = file.path
