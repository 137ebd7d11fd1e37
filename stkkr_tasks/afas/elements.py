"""UpdateConnector elements and the JSON body AFAS expects for them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stkkr_tasks.afas.values import NumberTooLargeError, encode_body_value

__all__ = ["Element", "elements_body"]


def _encode_fields(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    encoded = {}
    for name, value in values.items():
        try:
            encoded[name] = encode_body_value(value)
        except TypeError as exc:
            raise TypeError(f"{where}.{name}: {exc}") from None
        except NumberTooLargeError:
            raise NumberTooLargeError(f"{where}.{name}") from None
    return encoded


@dataclass
class Element:
    """One record for an UpdateConnector, with its sub-objects.

    Attributes:
        fields: Field ids and values; they go into `Fields`.
        keys: Key field ids (with or without `@`) and values; they go beside `Fields` as `"@Key": value`.
        objects: Sub-object name -> its elements, e.g. `{"KnBasicAddressAdr": [Element(fields={...})]}`.

    Example:
        >>> Element(keys={"PrId": "P1"}, fields={"StPr": "Closed"}).to_body("PtProject")
        {'PtProject': {'Element': {'@PrId': 'P1', 'Fields': {'StPr': 'Closed'}}}}
    """

    fields: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, list[Element]] = field(default_factory=dict)

    def has_keyless_objects(self) -> bool:
        """Whether a sub-object (at any depth) has no key fields: AFAS inserts it, even within a PUT."""
        return any(
            not child.keys or child.has_keyless_objects()
            for children in self.objects.values()
            for child in children
        )

    def to_element(self, where: str = "Element") -> dict[str, Any]:
        """Return the content of this element's `Element` key: `{"@K": v, "Fields": {...}, "Objects": [...]}`.

        A sub-object with one element gets it as an object, with several as an array (AFAS's examples use
        both; some sub-objects refuse arrays).

        Raises:
            TypeError: When a value has a type AFAS cannot take; the message names the field, not the value.
            NumberTooLargeError: When a number is too long to write (see `values.check_number`).
        """
        body: dict[str, Any] = {
            "@" + name.removeprefix("@"): value for name, value in _encode_fields(self.keys, where).items()
        }
        body["Fields"] = _encode_fields(self.fields, where)
        objects = []
        for name, elements in self.objects.items():
            rendered = [element.to_element(f"{where}.{name}") for element in elements]
            if rendered:
                objects.append({name: {"Element": rendered[0] if len(rendered) == 1 else rendered}})
        if objects:
            body["Objects"] = objects
        return body

    def to_body(self, connector_id: str) -> dict[str, Any]:
        """Return the request body for POST/PUT: `{connector_id: {"Element": {...}}}`.

        Decimal values stay `Decimal`; the client writes them as exact JSON numbers.
        """
        return {connector_id: {"Element": self.to_element(connector_id)}}


def elements_body(root: str, elements: Sequence[Element]) -> dict[str, Any]:
    """Return the body of several records in one request: `{root: {"Element": [{...}, {...}]}}`.

    AFAS handles such a message as one transaction. Its OpenAPI schemas show a single top-level element;
    whether a connector accepts several must be tried on a test environment.
    """
    return {root: {"Element": [element.to_element(root) for element in elements]}}
