"""Seeded generation of realistic Dutch rows for a GetConnector.

Each column has a generator spec ``gen`` (a mapping with ``kind``); without one a generator is inferred
from the column's type, id and label. Kinds:

=============  ==========================================================================================
``seq``        ``start`` + row number, through ``format`` (e.g. ``"{n}"``, ``"PR{n:05d}"``) for strings
``block``      like ``seq``, but ``size`` consecutive rows share a number (the lines of one statement)
``pick``       a random member of another connector's ``seq`` (``start``, ``step``, ``format``): a reference
``cycle``      ``values[row % len(values)]``
``choice``     a random member of ``values`` (optional ``weights``)
``case``       the generator of ``cases[<value of column>]`` (a column generated earlier in the row)
``const``      ``value``
``bool``       true with probability ``p`` (default 0.5)
``int``        ``min`` .. ``max``
``decimal``    ``min`` .. ``max`` with ``decimals`` (default 2)
``ratio``      the value of ``column`` times a factor in ``min`` .. ``max``, rounded to 2 decimals
``date``       a day between ``from`` and ``to`` days relative to today (``datetime``: with a time)
identity       ``person_name``, ``first_name``, ``last_name``, ``initials``, ``gender``, ``company``,
               ``search_name``, ``street``, ``postcode_city``, ``country``, ``email``, ``phone``, ``mobile``,
               ``url``, ``coc``, ``employee``, ``project``, ``text``, ``null``
=============  ==========================================================================================

Any spec may add ``null_rate`` (0..1). Rows are coherent: a person's name, e-mail and search name
belong together.
Generation is deterministic for (seed, connector id, row count, today's date).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from stkkr_tasks.simulator import _names as names
from stkkr_tasks.simulator.catalogue import CatalogueError, GetConnectorDef, GetFieldDef

Row = dict[str, Any]
_Gen = Callable[[int, random.Random, "_Identity", Row], Any]


def _pick(rng: random.Random, items: Sequence[Any]) -> Any:
    return items[int(rng.random() * len(items))]


class _Identity:
    """A coherent synthetic person and organisation for one row, drawn lazily from the row generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    @cached_property
    def female(self) -> bool:
        return self.rng.random() < 0.5

    @cached_property
    def first(self) -> str:
        return _pick(self.rng, names.FIRST_NAMES_V if self.female else names.FIRST_NAMES_M)

    @cached_property
    def prefix(self) -> str:
        return _pick(self.rng, names.PREFIXES)

    @cached_property
    def last(self) -> str:
        return _pick(self.rng, names.LAST_NAMES)

    @cached_property
    def company(self) -> str:
        r = self.rng
        return f"{_pick(r, names.LAST_NAMES)} {_pick(r, names.COMPANY_WORDS)} {_pick(r, names.COMPANY_FORMS)}"

    @cached_property
    def city(self) -> tuple[str, str]:
        return _pick(self.rng, names.CITIES)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first, self.prefix, self.last) if p)

    def street(self) -> str:
        return f"{_pick(self.rng, names.STREETS)} {1 + int(self.rng.random() * 250)}"

    def postcode_city(self) -> str:
        r = self.rng
        city, area = self.city
        return f"{area}{10 + int(r.random() * 90)} {_pick(r, _LETTERS)}{_pick(r, _LETTERS)}  {city.upper()}"

    def email(self) -> str:
        last = f"{self.prefix}{self.last}".replace(" ", "").lower()
        return f"{self.first[0].lower()}.{last}@{_pick(self.rng, names.EMAIL_DOMAINS)}"


_LETTERS = "ABDEGHJKLNPRSTVXZ"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _phone(rng: random.Random, mobile: bool) -> str:
    number = f"{int(rng.random() * 1e8):08d}"
    return f"06-{number}" if mobile else f"0{10 + int(rng.random() * 70)}-{number[1:]}"


_IDENTITY: dict[str, _Gen] = {
    "person_name": lambda i, r, p, row: p.full_name,
    "first_name": lambda i, r, p, row: p.first,
    "last_name": lambda i, r, p, row: p.last,
    "initials": lambda i, r, p, row: f"{p.first[0]}.",
    "gender": lambda i, r, p, row: "V" if p.female else "M",
    "company": lambda i, r, p, row: p.company,
    "search_name": lambda i, r, p, row: _slug(p.last if row.get("Type") != "O" else p.company)[:10].upper(),
    "street": lambda i, r, p, row: p.street(),
    "postcode_city": lambda i, r, p, row: p.postcode_city(),
    "city": lambda i, r, p, row: p.city[0],
    "country": lambda i, r, p, row: "Nederland",
    "email": lambda i, r, p, row: p.email(),
    "phone": lambda i, r, p, row: _phone(r, mobile=False),
    "mobile": lambda i, r, p, row: _phone(r, mobile=True),
    "url": lambda i, r, p, row: f"https://www.{_slug(p.company)[:20]}.example",
    "coc": lambda i, r, p, row: f"{10000000 + int(r.random() * 9e7)}",
    "employee": lambda i, r, p, row: f"{_slug(p.last)[:7].upper()}{p.first[0]}",
    "project": lambda i, r, p, row: f"{_pick(r, names.PROJECT_WORDS)} {p.city[0]}",
    "text": lambda i, r, p, row: f"{_pick(r, names.COMPANY_WORDS)} {_pick(r, names.LAST_NAMES)}",
    "null": lambda i, r, p, row: None,
}


def format_date(value: date | datetime) -> str:
    """A date or local datetime as AFAS writes it in rows: ``YYYY-MM-DDTHH:MM:SSZ`` (local time)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_gen(spec: dict[str, Any], with_time: bool) -> _Gen:
    today = date.today()
    low, high = int(spec.get("from", -3650)), int(spec.get("to", 365))
    days = [(today + timedelta(days=d)).isoformat() for d in range(low, high + 1)]
    if not with_time:
        midnight = [f"{d}T00:00:00Z" for d in days]
        return lambda i, r, p, row: _pick(r, midnight)
    return lambda i, r, p, row: f"{_pick(r, days)}T{_pick(r, _TIMES)}Z"


_TIMES = tuple(f"{h:02d}:{m:02d}:{s:02d}" for h in range(7, 19) for m in range(60) for s in range(0, 60, 7))


def _weighted(values: list[Any], weights: list[int] | None) -> list[Any]:
    """The values repeated by their (small integer) weights, for picking by index."""
    if not weights:
        return values
    return [v for v, w in zip(values, weights, strict=True) for _ in range(int(w))]


def _seq_text(spec: dict[str, Any], n: int, numeric: bool) -> Any:
    return n if numeric else str(spec.get("format", "{n}")).format(n=n)


def _compile(spec: dict[str, Any], field: GetFieldDef, rows: int, where: str) -> _Gen:
    kind = spec.get("kind")
    numeric = field.type in ("int", "decimal")
    gen: _Gen
    if kind == "seq":
        start = int(spec.get("start", 1))
        gen = lambda i, r, p, row: _seq_text(spec, start + i, numeric)  # noqa: E731
    elif kind == "block":
        first, size = int(spec.get("start", 1)), max(1, int(spec.get("size", 1)))
        gen = lambda i, r, p, row: _seq_text(spec, first + i // size, numeric)  # noqa: E731
    elif kind == "pick":
        start, step = int(spec.get("start", 1)), int(spec.get("step", 1))
        count = max(1, -(-rows // step))
        gen = lambda i, r, p, row: _seq_text(spec, start + step * int(r.random() * count), numeric)  # noqa: E731
    elif kind == "cycle":
        values = list(spec["values"])
        gen = lambda i, r, p, row: values[i % len(values)]  # noqa: E731
    elif kind == "choice":
        values = _weighted(list(spec["values"]), spec.get("weights"))
        gen = lambda i, r, p, row: _pick(r, values)  # noqa: E731
    elif kind == "case":
        column = spec["column"]
        cases = {k: _compile(v, field, rows, f"{where}.cases.{k}") for k, v in spec["cases"].items()}
        gen = lambda i, r, p, row: cases[row[column]](i, r, p, row) if row.get(column) in cases else None  # noqa: E731
    elif kind == "const":
        value = spec.get("value")
        gen = lambda i, r, p, row: value  # noqa: E731
    elif kind == "bool":
        chance = float(spec.get("p", 0.5))
        gen = lambda i, r, p, row: r.random() < chance  # noqa: E731
    elif kind == "int":
        low, span = int(spec.get("min", 0)), int(spec.get("max", 1000)) - int(spec.get("min", 0)) + 1
        gen = lambda i, r, p, row: low + int(r.random() * span)  # noqa: E731
    elif kind == "decimal":
        lo, hi, dec = float(spec.get("min", 0)), float(spec.get("max", 1000)), int(spec.get("decimals", 2))
        gen = lambda i, r, p, row: round(r.uniform(lo, hi), dec)  # noqa: E731
    elif kind == "ratio":
        column, lo, hi = spec["column"], float(spec.get("min", 0)), float(spec.get("max", 1))
        gen = lambda i, r, p, row: round((row.get(column) or 0) * r.uniform(lo, hi), 2)  # noqa: E731
    elif kind in ("date", "datetime"):
        gen = _date_gen(spec, with_time=kind == "datetime")
    elif kind in _IDENTITY:
        gen = _IDENTITY[kind]
    else:
        raise CatalogueError(f"{where}: unknown generator kind {kind!r}")
    null_rate = float(spec.get("null_rate", 0))
    if null_rate <= 0:
        return gen
    return lambda i, r, p, row: None if r.random() < null_rate else gen(i, r, p, row)


_LABEL_HINTS: tuple[tuple[str, str], ...] = (
    (r"e-?mail", "email"),
    (r"mobiel|mobile", "mobile"),
    (r"telefoon|phone", "phone"),
    (r"website|homepage|url", "url"),
    (r"voornaam|first ?name", "first_name"),
    (r"achternaam|last ?name|surname", "last_name"),
    (r"zoeknaam|search ?name", "search_name"),
    (r"woonplaats|plaats|city|residence", "city"),
    (r"straat|street|adres|address", "street"),
    (r"land|country", "country"),
    (r"organisatie|organisation|company|bedrijf", "company"),
    (r"naam|name", "person_name"),
    (r"omschrijving|description", "project"),
)


def infer_gen(field: GetFieldDef, position: int) -> dict[str, Any]:
    """A generator spec for a column without one: first column unique, others by type/label."""
    if position == 0:
        return {"kind": "seq", "start": 1 if field.type == "int" else 100001}
    if field.type == "boolean":
        return {"kind": "bool", "p": 0.3}
    if field.type == "int":
        return {"kind": "int", "min": 1, "max": 1000}
    if field.type == "decimal":
        return {"kind": "decimal", "min": 0, "max": 10000, "decimals": field.decimals or 2}
    if field.type == "date":
        return {"kind": "datetime" if field.control_type == 8 else "date", "from": -1825, "to": 365}
    text = f"{field.id} {field.label}".lower()
    for pattern, kind in _LABEL_HINTS:
        if re.search(pattern, text):
            return {"kind": kind}
    return {"kind": "text", "null_rate": 0.2}


def _fit(field: GetFieldDef, gen: _Gen) -> _Gen:
    if field.type not in ("string", "blob") or not field.length:
        return gen
    length = field.length

    def fitted(i: int, r: random.Random, p: _Identity, row: Row) -> Any:
        value = gen(i, r, p, row)
        return value[:length] if isinstance(value, str) else value

    return fitted


def generate_rows(connector_id: str, connector: GetConnectorDef, rows: int, seed: int) -> list[Row]:
    """Generate `rows` rows for a GetConnector, deterministic for the seed and connector id.

    Raises:
        CatalogueError: a column has an unknown generator kind or a malformed spec.
    """
    gens: list[tuple[str, _Gen]] = []
    for position, field in enumerate(connector.fields):
        spec = field.gen or infer_gen(field, position)
        where = f"get_connectors.{connector_id}.fields.{field.id}.gen"
        try:
            gens.append((field.id, _fit(field, _compile(spec, field, rows, where))))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, CatalogueError):
                raise
            raise CatalogueError(f"{where}: malformed generator spec ({type(exc).__name__})") from None
    digest = hashlib.sha256(f"{seed}:{connector_id}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    out: list[Row] = []
    for i in range(rows):
        ident = _Identity(rng)
        row: Row = {}
        for column, gen in gens:
            row[column] = gen(i, rng, ident, row)
        out.append(row)
    return out
