"""Check an element against the UpdateConnector's metainfo before it is sent.

A value AFAS would refuse for its type, length or allowed values, or an empty mandatory field of an insert,
is found here: the row fails at stage `update` without costing a request, and a batch (`update.batch`) is
not refused as a whole for it (finding a refused element in a batch takes several requests). Only what the
metainfo says is checked, and only where AFAS surely refuses: fields the metainfo does not know are left to
the online validation and to AFAS. The message names the field, never the value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stkkr_tasks.spec import misfit

if TYPE_CHECKING:
    from stkkr_tasks.afas import Element
    from stkkr_tasks.afas.models import UpdateConnectorMeta, UpdateField, UpdateObjectMeta

NOT_SENT = "; not sent (checked against the metainfo)"


def element_problem(
    element: Element, meta: UpdateConnectorMeta | UpdateObjectMeta, owner: str, *, insert: bool
) -> str | None:
    """Return why AFAS would refuse the element by its metainfo, or None when it fits.

    Args:
        element: The element to send.
        meta: The metainfo of the (sub-)object it is an element of.
        owner: How the message names that object, e.g. `UpdateConnector 'PtProject'`.
        insert: True for an insert: its mandatory fields must not be empty.

    Returns:
        The first problem, naming the field and the object, or None.

    Example:
        >>> from stkkr_tasks.afas import Element
        >>> from stkkr_tasks.afas.models import UpdateConnectorMeta
        >>> meta = UpdateConnectorMeta.model_validate({"fields": [{"fieldId": "DtGp", "dataType": "date"}]})
        >>> print(element_problem(Element(fields={"DtGp": "never"}), meta, "PtProject", insert=False))
        field 'DtGp' of PtProject: must be a date like 2024-05-01; not sent (checked against the metainfo)
    """
    for name, value in (*element.keys.items(), *element.fields.items()):
        field = meta.field(name)
        problem = None if field is None else misfit(value, field.data_type, field.length, field.values)
        if field is not None and problem is not None:
            return f"field {_named(field)} of {owner}: {problem}{NOT_SENT}"
    if insert:
        given = {
            name.removeprefix("@"): value for name, value in (*element.keys.items(), *element.fields.items())
        }
        for field in meta.fields:
            if field.mandatory and given.get(field.field_id) in (None, ""):
                return f"mandatory field {_named(field)} of {owner} is empty{NOT_SENT}"
    for name, children in element.objects.items():
        sub = meta.object(name)
        if sub is None:
            continue
        for child in children:
            problem = element_problem(child, sub, f"{owner} object {name!r}", insert=insert)
            if problem is not None:
                return problem
    return None


def _named(field: UpdateField) -> str:
    """A field as messages name it: its id and, when the metainfo has one, its label."""
    return f"{field.field_id!r}" + (f" ({field.label})" if field.label else "")
