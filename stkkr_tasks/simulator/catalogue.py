"""The simulator's catalogue: which connectors exist, their metainfo, and how updates reach the data.

A catalogue file (JSON or YAML) has this shape (every key except the connector maps is optional)::

    format: 1
    include_builtin: true          # false: only the connectors of this file
    get_connectors:
      Profit_Projects:             # GetConnector id
        description: Projects
        fields:                    # the row columns, in order; the first one is unique
          - {id: ProjectId, label: Projectnummer, type: string, length: 15,
             gen: {kind: seq, format: "{n}", start: 100001}}
    update_connectors:
      PtProject:                   # UpdateConnector id
        description: Project
        fields:                    # metainfo of the root object
          - {field_id: PrId, label: Project, type: string, length: 15, primary_key: true}
        objects:                   # nested objects: {name, fields, objects}
          - {name: KnBasicAddressAdr, fields: [...]}
        target:                    # optional: where accepted writes land
          get_connector: Profit_Projects
          keys: [{PrId: ProjectId}]            # alternative key sets: update field -> column
          columns: {Description: Ds, AdressLine1: "{KnBasicAddressAdr.Ad} {KnBasicAddressAdr.HmNr}"}
          scope: {Type: P}                     # column values of this connector's rows
          created: [CreateDate]                # columns set to "now" on insert
          modified: [ModifiedDate]             # columns set to "now" on insert and update

Types are AFAS's metainfo data types: ``string``, ``int``, ``decimal``, ``boolean``, ``date``, ``blob``.
``gen`` says how rows are generated (see :mod:`stkkr_tasks.simulator.datagen`); without it a
generator is chosen from the field's type, label and length.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DataType = Literal["string", "int", "decimal", "boolean", "date", "blob"]
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class CatalogueError(ValueError):
    """A catalogue file or mapping is invalid; the message names the file and the path of each problem."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class GetFieldDef(_Model):
    """One column of a GetConnector."""

    id: str = Field(min_length=1)
    label: str = ""
    type: DataType = "string"
    length: int = 0
    decimals: int = 0
    field_id: str = ""
    control_type: int | None = None
    gen: dict[str, Any] | None = None


class GetConnectorDef(_Model):
    """A GetConnector: its description and its columns (the first column is unique)."""

    description: str = ""
    fields: tuple[GetFieldDef, ...] = Field(min_length=1)

    def field(self, field_id: str) -> GetFieldDef | None:
        """Return the column with this id, or None."""
        return next((f for f in self.fields if f.id == field_id), None)


class AllowedValue(_Model):
    """One entry of an update field's list of allowed values."""

    id: str
    description: str = ""


class UpdateFieldDef(_Model):
    """One field of an UpdateConnector object, as its metainfo describes it."""

    field_id: str = Field(min_length=1)
    label: str = ""
    type: DataType = "string"
    length: int = 0
    decimals: int = 0
    mandatory: bool = False
    primary_key: bool = False
    control_type: int | None = None
    values: tuple[AllowedValue, ...] | None = None


class UpdateObjectDef(_Model):
    """An UpdateConnector object (the root or a nested one) with its fields and sub-objects.

    `multiple` says whether a sub-object takes several lines (an `Element` array): False refuses arrays,
    as AFAS does for e.g. every sub-object of KnOrganisation; None leaves it unsaid (arrays accepted).
    """

    name: str = ""
    fields: tuple[UpdateFieldDef, ...] = ()
    objects: tuple[UpdateObjectDef, ...] = ()
    multiple: bool | None = None

    def field(self, field_id: str) -> UpdateFieldDef | None:
        """Return the field with this id, or None."""
        return next((f for f in self.fields if f.field_id == field_id), None)

    def object(self, name: str) -> UpdateObjectDef | None:
        """Return the sub-object with this name, or None."""
        return next((o for o in self.objects if o.name == name), None)


class TargetDef(_Model):
    """How writes of an UpdateConnector change the rows of a GetConnector."""

    get_connector: str
    keys: tuple[dict[str, str], ...] = ()
    columns: dict[str, str] = Field(default_factory=dict)
    scope: dict[str, Any] = Field(default_factory=dict)
    created: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()


class LedgerDef(_Model):
    """Journal-entry checks of an UpdateConnector like FiEntries, with AFAS's refusals.

    Every entry's lines (sub-object `lines`) must balance (sum of `debit` = sum of `credit`), its `journal`
    must be one of `journals`, and its period (`year`, `period`) must exist and be open: periods 1 to
    `periods` of the years from `open_years_back` years ago to next year.
    """

    lines: str
    debit: str
    credit: str
    journal: str
    journals: tuple[str, ...]
    year: str
    period: str
    periods: int = 12
    open_years_back: int = 1
    entry_number: str = ""


class UpdateConnectorDef(_Model):
    """An UpdateConnector: metainfo of its root object and, optionally, the rows it writes to.

    `object_name` names the root object when it differs from the connector: a FiEntries body is
    `{"FiEntryPar": {"Element": …}}`.
    """

    description: str = ""
    object_name: str = ""
    fields: tuple[UpdateFieldDef, ...] = ()
    objects: tuple[UpdateObjectDef, ...] = ()
    target: TargetDef | None = None
    ledger: LedgerDef | None = None

    def root(self, name: str) -> UpdateObjectDef:
        """The root object, named after the connector unless `object_name` says otherwise."""
        return UpdateObjectDef(name=self.object_name or name, fields=self.fields, objects=self.objects)


class Catalogue(_Model):
    """The connectors a simulator offers; see the module docstring for the file format."""

    format: Literal[1] = 1
    include_builtin: bool = True
    get_connectors: dict[str, GetConnectorDef] = Field(default_factory=dict)
    update_connectors: dict[str, UpdateConnectorDef] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_targets(self) -> Catalogue:
        problems = [p for cid, c in self.update_connectors.items() for p in _target_problems(self, cid, c)]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @classmethod
    def builtin(cls) -> Catalogue:
        """The built-in catalogue: AFAS standard connectors with their real field ids and types."""
        return _builtin()

    @classmethod
    def from_dict(cls, data: Any, source: str = "<catalogue>") -> Catalogue:
        """Validate a catalogue given as plain data.

        Raises:
            CatalogueError: naming `source` and the path of every problem.
        """
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            lines = [f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()]
            raise CatalogueError(f"{source}: invalid catalogue:\n  " + "\n  ".join(lines)) from None

    @classmethod
    def load(cls, path: str | Path) -> Catalogue:
        """Read a catalogue file (``.json``, ``.yaml`` or ``.yml``).

        Raises:
            CatalogueError: the file cannot be read or parsed, or does not describe a valid catalogue.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise CatalogueError(f"{path}: cannot read catalogue: {type(exc).__name__}") from None
        return cls.from_dict(data, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """The catalogue as plain data, in the file format (defaults left out)."""
        return self.model_dump(mode="json", exclude_defaults=True) | {"format": 1}

    def save(self, path: str | Path) -> None:
        """Write the catalogue to a ``.json`` or ``.yaml`` file."""
        path = Path(path)
        data = self.to_dict()
        if path.suffix.lower() == ".json":
            text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
        else:
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")

    def with_builtin(self) -> Catalogue:
        """This catalogue on top of the built-in one when `include_builtin` is set (own connectors win)."""
        if not self.include_builtin:
            return self
        base = _builtin()
        return Catalogue(
            get_connectors=base.get_connectors | self.get_connectors,
            update_connectors=base.update_connectors | self.update_connectors,
        )


def _target_problems(catalogue: Catalogue, connector_id: str, connector: UpdateConnectorDef) -> list[str]:
    target = connector.target
    if target is None:
        return []
    where = f"update_connectors.{connector_id}.target"
    get = catalogue.get_connectors.get(target.get_connector)
    if get is None:
        return [f"{where}.get_connector: unknown GetConnector '{target.get_connector}'"]
    root = connector.root(connector_id)
    problems: list[str] = []
    columns = [*target.columns, *target.scope, *target.created, *target.modified]
    columns += [c for keys in target.keys for c in keys.values()]
    problems += [
        f"{where}: unknown column '{c}' of {target.get_connector}" for c in columns if not get.field(c)
    ]
    paths = [p for keys in target.keys for p in keys]
    paths += [p for spec in target.columns.values() for p in template_fields(spec)]
    problems += [f"{where}: unknown update field '{p}'" for p in paths if _resolve_path(root, p) is None]
    return problems


def template_fields(spec: str) -> list[str]:
    """The update field paths a column mapping reads: ``"Ds"`` or a template ``"{Ad} {HmNr}"``."""
    found = _PLACEHOLDER.findall(spec)
    return found if found else [spec]


def _resolve_path(root: UpdateObjectDef, path: str) -> UpdateFieldDef | None:
    *objects, field_id = path.split(".")
    node: UpdateObjectDef | None = root
    for name in objects:
        node = node.object(name) if node else None
    return node.field(field_id) if node else None


@cache
def _builtin() -> Catalogue:
    text = resources.files(__package__).joinpath("builtin_catalogue.json").read_text(encoding="utf-8")
    return Catalogue.from_dict(json.loads(text), source="builtin_catalogue.json")
