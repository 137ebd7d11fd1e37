"""Pydantic models of AFAS metainfo answers.

AFAS's key names vary between endpoints and versions (`decimalsFieldId` in GetConnector metainfo,
`decimalFieldId` in UpdateConnector metainfo, `notzero`), so the models accept each known variant, ignore
keys they do not know, and treat a missing list or `null` as empty.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

__all__ = [
    "AllowedValue",
    "ConnectorInfo",
    "ConnectorList",
    "GetConnectorMeta",
    "GetField",
    "UpdateConnectorMeta",
    "UpdateField",
    "UpdateObjectMeta",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, hide_input_in_errors=True)

    @field_validator("*", mode="before")
    @classmethod
    def _null_as_default(cls, value: Any, info: ValidationInfo) -> Any:
        """AFAS writes `null` for absent text and numbers; use the field's default instead."""
        field = cls.model_fields.get(info.field_name or "")
        if value is None and field is not None and not field.is_required():
            return field.get_default(call_default_factory=True)
        return value


class ConnectorInfo(_Model):
    """A connector the token may use."""

    id: str
    description: str = ""


class ConnectorList(_Model):
    """The answer of `GET /metainfo`: the Get- and UpdateConnectors the token may use."""

    get_connectors: list[ConnectorInfo] = Field(
        default_factory=list, validation_alias=AliasChoices("getConnectors")
    )
    update_connectors: list[ConnectorInfo] = Field(
        default_factory=list, validation_alias=AliasChoices("updateConnectors")
    )


class GetField(_Model):
    """A field of a GetConnector; rows, filters and ordering use its `id`."""

    id: str
    field_id: str = Field("", validation_alias=AliasChoices("fieldId", "field_id"))
    data_type: str = Field("string", validation_alias=AliasChoices("dataType", "data_type"))
    label: str = ""
    length: int = 0
    control_type: int | None = Field(None, validation_alias=AliasChoices("controlType", "control_type"))
    decimals: int = 0
    decimals_field_id: str = Field(
        "", validation_alias=AliasChoices("decimalsFieldId", "decimalFieldId", "decimals_field_id")
    )


class GetConnectorMeta(_Model):
    """The answer of `GET /metainfo/get/{id}`."""

    name: str = Field("", validation_alias=AliasChoices("name", "id"))
    description: str = ""
    fields: list[GetField] = Field(default_factory=list)

    def field(self, field_id: str) -> GetField | None:
        """Return the field whose `id` is `field_id`, or None."""
        return next((f for f in self.fields if f.id == field_id), None)

    def names(self) -> set[str]:
        """The connector's name and every field's `id`, `fieldId` and label (what AFAS's messages name)."""
        return ({self.name} | {name for f in self.fields for name in (f.id, f.field_id, f.label)}) - {""}


class AllowedValue(_Model):
    """One entry of a field's code table."""

    id: str
    description: str = ""

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value


class UpdateField(_Model):
    """A field of an UpdateConnector object; bodies use its `field_id`."""

    field_id: str = Field(validation_alias=AliasChoices("fieldId", "field_id", "id"))
    primary_key: bool = Field(False, validation_alias=AliasChoices("primaryKey", "primary_key"))
    data_type: str = Field("string", validation_alias=AliasChoices("dataType", "data_type"))
    label: str = ""
    mandatory: bool = False
    length: int = 0
    decimals: int = 0
    decimals_field_id: str = Field(
        "", validation_alias=AliasChoices("decimalFieldId", "decimalsFieldId", "decimals_field_id")
    )
    not_zero: bool = Field(False, validation_alias=AliasChoices("notzero", "notZero", "not_zero"))
    control_type: int | None = Field(None, validation_alias=AliasChoices("controlType", "control_type"))
    values: list[AllowedValue] | None = None


class _FieldsAndObjects(_Model):
    fields: list[UpdateField] = Field(default_factory=list)
    objects: list[UpdateObjectMeta] = Field(default_factory=list)

    def field(self, field_id: str) -> UpdateField | None:
        """Return the field whose `field_id` is `field_id` (with or without `@`), or None."""
        return self._by_id.get(field_id.removeprefix("@"))

    @cached_property
    def _by_id(self) -> dict[str, UpdateField]:
        """The fields by id (a run checks every element it sends against them); the first of an id wins."""
        by_id: dict[str, UpdateField] = {}
        for item in self.fields:
            by_id.setdefault(item.field_id, item)
        return by_id

    def object(self, name: str) -> UpdateObjectMeta | None:
        """Return the direct sub-object called `name`, or None."""
        return next((o for o in self.objects if o.name == name), None)

    def names(self) -> set[str]:
        """Every field id and label and every sub-object's name, nested objects included."""
        found = {name for f in self.fields for name in (f.field_id, f.label)}
        for sub in self.objects:
            found |= {sub.name} | sub.names()
        return found - {""}


class UpdateObjectMeta(_FieldsAndObjects):
    """A (sub-)object of an UpdateConnector with its fields and nested objects.

    `multiple` is False when the metainfo says the sub-object takes one line only (no `Element` array);
    None when it does not say.
    """

    name: str = Field(validation_alias=AliasChoices("name", "id"))
    multiple: bool | None = None


class UpdateConnectorMeta(_FieldsAndObjects):
    """The answer of `GET /metainfo/update/{id}`: the connector's main object and its sub-objects.

    `name` is the main object's name, the root key of request bodies: usually the connector id, but e.g.
    `FiEntryPar` for FiEntries.
    """

    name: str = Field("", validation_alias=AliasChoices("name", "id"))
    description: str = ""

    def names(self) -> set[str]:
        """The connector's name, every field id and label and every sub-object's name."""
        return ({self.name} | super().names()) - {""}
