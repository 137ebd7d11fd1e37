"""How refusals word their message: `plain` names fields only; `afas-formatted` quotes values as AFAS does.

AFAS does not quote a value the way the client sent it. It writes amounts and numbers the Dutch way
(`1.234,50`, `1.234.567`), dates as `1 mei 2024` or `01-05-24`, strips leading zeros, groups IBANs, writes a
postcode as `1234 AB`, collapses spaces, upper-cases names, HTML-escapes (`O&#39;Brien`) and cuts long
texts short; and it names *other* records than the one refused ("Medewerker Piet de Boer is uit dienst").
In `afas-formatted` mode each refusal of a write adds such sentences about the values it was sent and
about another record of the target table, so the client's redaction can be tested against them.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

__all__ = ["Refusals", "afas_formatted", "flatten"]


class Refusals(StrEnum):
    """How the simulator words the messages of refused writes."""

    PLAIN = "plain"
    AFAS_FORMATTED = "afas-formatted"


_MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_POSTCODE = re.compile(r"^(\d{4})\s*([a-z]{2})$", re.IGNORECASE)
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_DIGITS = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")
_NAME = re.compile(r"^[A-Z][^\s\d@]*(?: [^\s\d@]+)+$")
_CUT = 10

#: Sentences per kind of value; the n-th value of a kind uses the n-th wording (round robin).
_WORDING: dict[str, tuple[str, ...]] = {
    "amount": (
        "Het bedrag {} is hoger dan het maximum.",
        "Bedrag {} overschrijdt het budget van dit project.",
        "Het saldo wordt {} en dat is niet toegestaan.",
    ),
    "number": (
        "Nummer {} bestaat niet.",
        "Medewerker {} is niet gevonden.",
        "Er is al een record met nummer {}.",
    ),
    "date": (
        "De datum {} valt buiten de periode.",
        "Op {} is geen rooster ingesteld.",
        "Ingangsdatum {} ligt voor de datum in dienst.",
    ),
    "email": (
        "Het e-mailadres {} is al in gebruik.",
        "E-mail {} is ongeldig.",
        "Bij relatie met e-mailadres {} is geen contactpersoon.",
    ),
    "postcode": (
        "Postcode {} is onbekend.",
        "De postcode {} hoort niet bij de woonplaats.",
        "Adres met postcode {} bestaat al.",
    ),
    "iban": (
        "IBAN {} is ongeldig.",
        "Rekeningnummer {} hoort bij een andere relatie.",
        "Het rekeningnummer {} is geblokkeerd.",
    ),
    "text": (
        "De waarde '{}' is niet toegestaan.",
        "Zoeknaam {} bestaat al.",
        'Omschrijving "{}" is te lang.',
        "Relatie {} is geblokkeerd.",
    ),
    "other": (
        "Medewerker {} is uit dienst.",
        "Dit record is vergrendeld door {}.",
        "Contactpersoon {} heeft geen rol bij deze organisatie.",
    ),
}


def afas_formatted(
    message: str, values: Iterator[Any], other_record: Mapping[str, Any] | None, turn: int
) -> str:
    """AFAS's refusal `message` followed by sentences that quote `values` and another record, as AFAS would.

    Args:
        message: The refusal as the plain mode words it (fields only).
        values: The values the refused write was sent (fields and keys, any nesting flattened).
        other_record: A row of the target table (another record than the one written), or None.
        turn: Counts the refusals of this simulator: wordings and formats vary with it.

    Returns:
        The message with one sentence per value (booleans and empty values are left out) and, when the
        other record has a name-like value, a sentence naming it.
    """
    counters: dict[str, itertools.count[int]] = {}
    sentences = [message]
    for value in values:
        quoted = _quote(value, turn)
        if quoted is not None:
            kind, text = quoted
            sentences.append(_sentence(kind, text, turn + next(counters.setdefault(kind, itertools.count()))))
    name = _other_name(other_record)
    if name is not None:
        text = name.upper() if turn % 2 else name
        sentences.append(_sentence("other", text, turn))
    return " ".join(sentences)


def flatten(data: Any) -> Iterator[Any]:
    """Every leaf value of a JSON body (the keys of its objects left out)."""
    if isinstance(data, Mapping):
        for value in data.values():
            yield from flatten(value)
    elif isinstance(data, list):
        for value in data:
            yield from flatten(value)
    else:
        yield data


def _sentence(kind: str, text: str, turn: int) -> str:
    wordings = _WORDING[kind]
    return wordings[turn % len(wordings)].format(text)


def _quote(value: Any, turn: int) -> tuple[str, str] | None:
    """(kind, AFAS's rendering) of a value, or None for booleans and empty values."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, int):
        return "number", _dutch_number(Decimal(value), decimals=0)
    if isinstance(value, float):
        return "amount", _dutch_number(Decimal(str(value)), decimals=2)
    text = str(value)
    if date := _DATE.match(text):
        return "date", _dutch_date(*(int(part) for part in date.groups()), long=turn % 2 == 0)
    if _EMAIL.match(text):
        return "email", text.lower()
    if postcode := _POSTCODE.match(text):
        return "postcode", f"{postcode[1]} {postcode[2].upper()}"
    if _IBAN.match(text):
        return "iban", " ".join(text[i : i + 4] for i in range(0, len(text), 4))
    if _DIGITS.match(text):
        return "number", text.lstrip("0") or "0"
    if _DECIMAL.match(text):
        try:
            return "amount", _dutch_number(Decimal(text), decimals=2)
        except InvalidOperation:
            return None
    return "text", _text(text, turn)


def _text(text: str, turn: int) -> str:
    """Upper-cased, HTML-escaped, spaces collapsed or cut short, in turn."""
    collapsed = " ".join(text.split())
    variants = (
        collapsed.upper(),
        html.escape(collapsed, quote=True).replace("&#x27;", "&#39;"),
        collapsed,
        collapsed[:_CUT] + "..." if len(collapsed) > _CUT else collapsed,
    )
    return variants[turn % len(variants)]


def _dutch_number(value: Decimal, *, decimals: int) -> str:
    """`1.234.567` or `1.234,50`: a dot between thousands, a decimal comma."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _dutch_date(year: int, month: int, day: int, *, long: bool) -> str:
    """`1 mei 2024` or `01-05-24`."""
    return f"{day} {_MONTHS[month - 1]} {year}" if long else f"{day:02d}-{month:02d}-{year % 100:02d}"


def _other_name(record: Mapping[str, Any] | None) -> str | None:
    """The first name-like value of a record (two or more words, capitalised, no digits)."""
    if record is None:
        return None
    return next((v for v in record.values() if isinstance(v, str) and _NAME.match(v)), None)
