"""`message_template`: AFAS's message keeps its wording and field labels; every value, in any format, goes."""

from __future__ import annotations

import pytest

from stkkr_tasks.simulator.errors import LOCK_MESSAGE, UNEXPECTED_MESSAGE, UPDATE_CONNECTOR_UNKNOWN
from stkkr_tasks.store import PLACEHOLDER, message_template

LABELS = [
    "Achternaam",
    "LaNm",
    "Datum in dienst",
    "DaBe",
    "Postcode",
    "ZpCd",
    "E-mail werk",
    "EmAd",
    "KnPerson",
]
V = PLACEHOLDER

# (AFAS's message, the values in it that must go); several realistic messages per kind of value.
FIXTURES: dict[str, list[tuple[str, list[str]]]] = {
    "quoted span": [
        ("De waarde 'Gereed met opmerkingen' is niet toegestaan.", ["Gereed met opmerkingen"]),
        ('Omschrijving "kapotte lamp in hal" is te lang.', ["kapotte lamp in hal"]),
        ("Zoeknaam ‘JANSEN’ bestaat al.", ["JANSEN"]),
        ("Invalid value 'x-47b' for field 'Achternaam' (LaNm).", ["x-47b"]),
    ],
    "number": [
        ("Medewerker 4711 is niet gevonden.", ["4711"]),
        ("Nummer 123 bestaat niet (was 000123).", ["123"]),
        ("Er is al een record met nummer 1.234.567.", ["1.234.567"]),
    ],
    "amount": [
        ("Het bedrag 1.234,50 is hoger dan het maximum van 1.000,00.", ["1.234,50", "1.000,00"]),
        ("Bedrag € 12.345,67 overschrijdt het budget.", ["12.345,67"]),
        ("Het saldo wordt -250,00 en dat is niet toegestaan.", ["250,00"]),
        ("Amount 1,234.50 exceeds the limit.", ["1,234.50"]),
    ],
    "date": [
        ("De datum 1 mei 2024 valt buiten de periode.", ["1 mei 2024", "mei"]),
        ("Op 01-05-24 is geen rooster ingesteld.", ["01-05-24"]),
        ("Ingangsdatum 2024-05-01T00:00:00 ligt voor de Datum in dienst.", ["2024-05-01"]),
        ("Periode 01/05/2024 t/m 31-12-2024 overlapt.", ["01/05/2024", "31-12-2024"]),
        ("Verlof op maandag 3 juni is al geboekt.", ["maandag", "3 juni", "juni"]),
        ("The date May 1, 2024 is outside the period.", ["May", "2024"]),
    ],
    "e-mail": [
        ("Het e-mailadres jan.jansen@example.nl is al in gebruik.", ["jan.jansen", "example.nl"]),
        ("E-mail werk 'P.deBoer@Acme-BV.com' is ongeldig.", ["deBoer", "Acme"]),
        (
            "Bij relatie met e-mailadres status.piet@example.nl is geen contactpersoon.",
            ["piet", "status.piet"],
        ),
    ],
    "postcode": [
        ("Postcode 1234 AB is onbekend.", ["1234 AB", "1234"]),
        ("De postcode 9999ZZ hoort niet bij de woonplaats Amsterdam.", ["9999ZZ", "Amsterdam"]),
        ("Adres 1234 ab bestaat al.", ["1234 ab"]),
    ],
    "IBAN or long digits": [
        ("IBAN NL91 ABNA 0417 1643 00 is ongeldig.", ["NL91", "ABNA", "0417"]),
        ("Rekeningnummer NL91ABNA0417164300 hoort bij een andere relatie.", ["NL91ABNA0417164300"]),
        ("Burgerservicenummer 123456782 is al bekend.", ["123456782"]),
        ("Telefoonnummer 0612345678 is ongeldig.", ["0612345678", "612345678"]),
    ],
    "HTML-escaped": [
        ("Zoeknaam O&#39;Brien bestaat al.", ["Brien", "&#39;"]),
        ("De waarde &quot;Smit &amp; Zn&quot; is niet toegestaan.", ["Smit", "Zn"]),
        ("Relatie D&#39;ANGELO is geblokkeerd.", ["ANGELO"]),
    ],
    "name": [
        ("Medewerker Piet de Boer is uit dienst.", ["Piet", "Boer", "de Boer"]),
        ("Medewerker PIET VAN DER BERG is uit dienst.", ["PIET", "BERG", "VAN DER"]),
        ("Dit record is vergrendeld door Esther Schouten.", ["Esther", "Schouten"]),
        ("De Vries heeft al een dienstverband.", ["Vries", "De Vries"]),
        (
            "Contactpersoon Anouk ter Meijer heeft geen rol bij deze organisatie.",
            ["Anouk", "Meijer", "ter Meijer"],
        ),
        ("Groot is uit dienst.", ["Groot"]),
    ],
    "cut short": [
        ("De waarde 'Jansen-de Vri...' is te lang.", ["Jansen", "Vri"]),
        ("Relatie JANSEN-DE VRI... bestaat al.", ["JANSEN", "VRI"]),
    ],
}
CASES = [(kind, message, secrets) for kind, items in FIXTURES.items() for message, secrets in items]


@pytest.mark.parametrize(
    ("kind", "message", "secrets"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_no_value_survives(kind: str, message: str, secrets: list[str]) -> None:
    template = message_template(message, LABELS)

    assert PLACEHOLDER in template, kind
    assert [s for s in secrets if s.casefold() in template.casefold()] == [], template


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Medewerker Piet de Boer is uit dienst per 1 mei 2024.",
            f"Medewerker {V} is uit dienst per {V}.",
        ),
        (
            "De waarde 'O&#39;BRIEN' voor veld 'Achternaam' (LaNm) is te lang.",
            f"De waarde {V} voor veld 'Achternaam' (LaNm) is te lang.",
        ),
        (
            "Het veld Datum in dienst (DaBe) moet na 01-05-24 liggen.",
            f"Het veld Datum in dienst (DaBe) moet na {V} liggen.",
        ),
        (
            "Veld 'E-mail werk' (EmAd) van object KnPerson: jan@example.nl is ongeldig.",
            f"Veld 'E-mail werk' (EmAd) van object KnPerson: {V} is ongeldig.",
        ),
        ("Postcode 1234 AB is onbekend.", f"Postcode {V} is onbekend."),
        ("Het bedrag 1.234,50 is hoger dan 1.000,00.", f"Het bedrag {V} is hoger dan {V}."),
    ],
)
def test_field_labels_ids_and_afas_wording_stay(message: str, expected: str) -> None:
    assert message_template(message, LABELS) == expected


@pytest.mark.parametrize(
    "message",
    [
        LOCK_MESSAGE,
        UNEXPECTED_MESSAGE,
        UPDATE_CONNECTOR_UNKNOWN,
        "Invalid value for field 'Achternaam' (LaNm) in object 'KnPerson': expected an integer.",
        "The value for field 'Achternaam' (LaNm) in object 'KnPerson' is longer than characters.",
        "The entered value for 'Achternaam' (LaNm) in object 'KnPerson' does not exist.",
        "Field 'Achternaam' (LaNm) is mandatory in object 'KnPerson'.",
        "The record to update does not exist (KnPerson): check the key fields.",
        "A record with this key already exists (KnPerson).",
    ],
)
def test_afas_messages_without_values_are_kept_whole(message: str) -> None:
    assert message_template(message, LABELS) == message


def test_a_label_glued_to_other_text_is_not_kept() -> None:
    assert message_template("Adres postcode.jansen@example.nl is fout", LABELS) == f"Adres {V} is fout"


def test_without_labels_the_field_names_are_values_too() -> None:
    assert message_template("Field 'Achternaam' (LaNm) is mandatory.") == f"Field {V} ({V}) is mandatory."


def test_the_placeholder_and_masks_of_earlier_redaction_stay_one_value() -> None:
    assert message_template(f"Waarde {V} en *** zijn ongeldig.") == f"Waarde {V} en {V} zijn ongeldig."


def test_a_long_message_is_cut_before_it_is_templated() -> None:
    message = "De waarde " + "'a" * 200_000 + " Jansen"

    template = message_template(message, LABELS)

    assert template.endswith(" …") and "Jansen" not in template and len(template) < 100
