"""Pure wire formats: row decoding, body values and bodies, token header, base and delete URLs."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from stkkr_tasks.afas import AfasConfigError, Element
from stkkr_tasks.afas.auth import AfasTokenAuth
from stkkr_tasks.afas.urls import delete_path, resolve_base_url
from stkkr_tasks.afas.values import (
    AMSTERDAM,
    NumberTooLargeError,
    decode_json,
    decode_row,
    dumps_json,
    format_value,
)

DATA = "A1B2C3D4" * 8
XML = f"<token><version>1</version><data>{DATA}</data></token>"


def test_rows_decode_decimals_and_amsterdam_timestamps() -> None:
    page = decode_json(
        b'{"rows":[{"Amount":20.10,"Count":3,"At":"2024-07-01T09:30:00Z","Day":"2024-01-15T00:00:00Z",'
        b'"Frac":"2024-01-15T10:00:00.25Z","Text":"2024-07-01","Null":null,"Ok":true}]}'
    )
    row = decode_row(page["rows"][0])
    assert row["Amount"] == Decimal("20.10") and isinstance(row["Amount"], Decimal)
    assert row["Count"] == 3 and isinstance(row["Count"], int)
    assert row["At"] == datetime(2024, 7, 1, 9, 30, tzinfo=AMSTERDAM)
    assert row["At"].utcoffset().total_seconds() == 7200  # summer time: 09:30 local is 07:30 UTC
    assert row["Day"].utcoffset().total_seconds() == 3600
    assert row["Frac"].microsecond == 250000
    assert row["Text"] == "2024-07-01"
    assert row["Null"] is None and row["Ok"] is True


def test_body_building_with_keys_fields_and_nested_objects() -> None:
    address = Element(fields={"CoId": "NL", "Ad": "Dorpsstraat"})
    contact = Element(
        keys={"CdId": 7},
        fields={"ViKc": "PRS"},
        objects={
            "KnContactAutRole": [Element(fields={"AutRoleDs": "A"}), Element(fields={"AutRoleDs": "B"})]
        },
    )
    element = Element(
        keys={"@BcCo": "100", "PadAdr": True},
        fields={
            "Amount": Decimal("12.50"),
            "DaBi": date(1990, 12, 12),
            "At": datetime(2024, 1, 1, 12, 0, tzinfo=UTC),
            "Naive": datetime(2024, 2, 3, 4, 5, 6, 789),
            "Flag": False,
            "Empty": "",
            "None": None,
        },
        objects={"KnBasicAddressAdr": [address], "KnContact": [contact], "Unused": []},
    )
    body = element.to_body("KnPerson")
    assert body == {
        "KnPerson": {
            "Element": {
                "@BcCo": "100",
                "@PadAdr": True,
                "Fields": {
                    "Amount": Decimal("12.50"),
                    "DaBi": "1990-12-12",
                    "At": "2024-01-01T13:00:00",
                    "Naive": "2024-02-03T04:05:06",
                    "Flag": False,
                    "Empty": "",
                    "None": None,
                },
                "Objects": [
                    {"KnBasicAddressAdr": {"Element": {"Fields": {"CoId": "NL", "Ad": "Dorpsstraat"}}}},
                    {
                        "KnContact": {
                            "Element": {
                                "@CdId": 7,
                                "Fields": {"ViKc": "PRS"},
                                "Objects": [
                                    {
                                        "KnContactAutRole": {
                                            "Element": [
                                                {"Fields": {"AutRoleDs": "A"}},
                                                {"Fields": {"AutRoleDs": "B"}},
                                            ]
                                        }
                                    }
                                ],
                            }
                        }
                    },
                ],
            }
        }
    }
    text = dumps_json(body).decode()
    assert '"Amount":12.50' in text
    assert '"Flag":false' in text and '"None":null' in text
    assert json.loads(text)["KnPerson"]["Element"]["Fields"]["DaBi"] == "1990-12-12"


def test_dumps_keeps_unicode_and_exact_decimals() -> None:
    assert dumps_json({"a": ["é", Decimal("1E+2"), Decimal("0.1000000000000000000001"), 1.5]}) == (
        '{"a":["é",100,0.1000000000000000000001,1.5]}'.encode()
    )
    with pytest.raises(ValueError, match="finite"):
        dumps_json({"a": Decimal("NaN")})


def test_dumps_indented_for_people_keeps_exact_decimals_and_json_layout() -> None:
    body = {"a": {"b": [1, "é", {}, [], None, True], "c": {}}, "d": [{"e": 2.5}]}
    assert dumps_json(body, indent=2).decode() == json.dumps(body, indent=2, ensure_ascii=False)
    exact = dumps_json({"a": [Decimal("12.50"), Decimal("1E+2")]}, indent=2).decode()
    assert exact == '{\n  "a": [\n    12.50,\n    100\n  ]\n}'
    assert decode_json(exact) == {"a": [Decimal("12.50"), Decimal("100")]}


@pytest.mark.parametrize(
    "number", [Decimal("1E+999999999"), Decimal("-1E-999999999"), Decimal(10**61), 10**61]
)
def test_numbers_too_long_to_write_are_refused_naming_the_field(number: Decimal | int) -> None:
    element = Element(keys={"BcCo": 1}, fields={"Amount": number})
    with pytest.raises(NumberTooLargeError, match=r"^KnPerson\.Amount: the number has more than 60 digits"):
        element.to_body("KnPerson")
    with pytest.raises(NumberTooLargeError):
        format_value(number)  # filters and DELETE URLs
    if isinstance(number, Decimal):  # ints cost little to write: Python bounds them itself (4300 digits)
        with pytest.raises(NumberTooLargeError):
            dumps_json({"a": number})


def test_numbers_within_the_bound_are_written_exactly() -> None:
    body = Element(fields={"A": Decimal("1.5E+58"), "B": 10**59, "C": Decimal("0.000001")}).to_body("X")
    assert dumps_json(body) == (
        b'{"X":{"Element":{"Fields":{"A":1' + b"5" + b"0" * 57 + b',"B":1' + b"0" * 59 + b',"C":0.000001}}}}'
    )


def test_unsupported_body_value_names_field_not_value() -> None:
    with pytest.raises(TypeError, match=r"KnPerson\.Secret: .*not set") as info:
        Element(fields={"Secret": {"marker-value-123"}}).to_body("KnPerson")
    assert "marker-value-123" not in str(info.value)


@pytest.mark.parametrize(
    "token", [XML, DATA, f"  {XML}\n", f"<token>\n <version>1</version>\n <data>{DATA}</data>\n</token>"]
)
def test_token_header_from_both_forms(token: str) -> None:
    auth = AfasTokenAuth(token)
    request = next(auth.auth_flow(httpx.Request("GET", "https://x.invalid/")))
    scheme, _, encoded = request.headers["Authorization"].partition(" ")
    assert scheme == "AfasToken"
    decoded = base64.b64decode(encoded).decode()
    assert DATA in decoded and decoded.startswith("<token>") and decoded.endswith("</token>")
    assert DATA not in repr(auth) and encoded not in repr(auth)


@pytest.mark.parametrize("bad", ["", "   ", "<token><data>x</data>", "not a token!", f"<tok>{DATA}</tok>"])
def test_malformed_token_is_refused_without_echo(bad: str) -> None:
    with pytest.raises(AfasConfigError) as info:
        AfasTokenAuth(bad)
    assert not bad.strip() or bad.strip() not in str(info.value)


@pytest.mark.parametrize(
    ("environment", "kind", "expected"),
    [
        (12345, "production", "https://12345.rest.afas.online/ProfitRestServices"),
        ("12345", "test", "https://12345.resttest.afas.online/ProfitRestServices"),
        (12345, "Accept", "https://12345.restaccept.afas.online/ProfitRestServices"),
    ],
)
def test_base_url_from_environment(environment: str | int, kind: str, expected: str) -> None:
    assert resolve_base_url(environment, kind) == expected


def test_explicit_base_url_wins_and_loses_trailing_slash() -> None:
    assert resolve_base_url(12345, "test", "http://127.0.0.1:8080/ProfitRestServices/") == (
        "http://127.0.0.1:8080/ProfitRestServices"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"environment": 1, "environment_type": "staging"}, "valid types: production, test, accept"),
        ({"environment": None}, "environment number or an explicit base_url"),
        ({"environment": "12345.evil.example/x"}, "letters and digits"),
        ({"base_url": "ftp://host/x"}, "absolute http"),
        ({"base_url": "/relative"}, "absolute http"),
    ],
)
def test_bad_connection_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(AfasConfigError, match=message):
        resolve_base_url(**kwargs)


def test_delete_path_escapes_values() -> None:
    path = delete_path("KnCurrencyRates", {"@Cu": "EUR", "Sn": "a,b/c d"})
    assert path == "/connectors/KnCurrencyRates/KnCurrencyRates/@Cu,@Sn/EUR,a%2Cb%2Fc%20d"
    assert delete_path("KnPerson", {"CdId": 5}, "KnContact") == "/connectors/KnPerson/KnContact/@CdId/5"
    assert delete_path("X", {"D": date(2024, 1, 2)}).endswith("/@D/2024-01-02")
    with pytest.raises(ValueError, match="at least one key"):
        delete_path("KnPerson", {})
