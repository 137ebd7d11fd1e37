"""The privacy proof: row values and tokens end up nowhere but in AFAS (and, under consent, encrypted).

A simulator is seeded with a catalogue whose rows carry a unique marker value in every field (texts, whole
numbers, decimals, dates, e-mail addresses, postcodes, IBANs, phone numbers and persons' names; booleans
cannot be markers). Stkkrs that write, that delete by a marker key, that AFAS refuses (validation errors; 500
answers that quote the row's values, as JSON and as plain text; refusals that quote the values the way AFAS
formats them - `1.234,50`, `1 mei 1917`, upper-cased, HTML-escaped, cut short - and name another record),
whose filter and transform expressions fail, stkkrs that write to another environment (`update.connection`)
and that write a response built from AFAS's answer and the row (`respond`; written, and refused with 500s
quoting it), a grouped stkkr (one element per group of rows, a line per row;
written, and refused with 500s quoting every row of the group), stkkrs that join the rows with GetConnector
lookups (read whole into memory; refused, and failing on keys the lookup lacks), stkkrs that read the rows
from an uploaded CSV file instead (written, refused with 500s quoting them, and with cells that do not fit
their column types), and one with a wrong token run as Prefect flows - first with the tenant's consent off,
then on (payload key set). Afterwards no marker value and no token is in: Prefect's database file (raw bytes
of the file and its WAL, and a logical dump), its result storage folder and PREFECT_HOME, the flow runs' logs,
states, parameters, artifacts and events (read through the Prefect client), the log records of this process,
the stkkr database (bytes and dump), any file under STKKR_HOME or the output of `stkkr errors list/show
--json` - neither as sent nor in any of AFAS's formats. Under consent the refused payloads and AFAS's full
messages are stored encrypted and decrypt to the row values.

Positive controls keep the proof honest: a canary flow puts a known text into a parameter, a log, an
artifact and a persisted result, and each search must find it; the simulator must have received the
marker values, so they really went through the flows.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import csv
import itertools
import json
import logging
import re
import secrets
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from cryptography.fernet import Fernet
from prefect import flow, get_client, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId
from prefect.events.filters import (
    EventAnyResourceFilter,
    EventFilter,
    EventOccurredFilter,
    EventResourceFilter,
)
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import (
    PREFECT_HOME,
    PREFECT_RESULTS_LOCAL_STORAGE_PATH,
    PREFECT_SERVER_DATABASE_CONNECTION_URL,
    temporary_settings,
)
from typer.testing import CliRunner

from blocks import AfasConnection
from stkkr_tasks.afas.values import dumps_json
from stkkr_tasks.cli import errors as errors_cli
from stkkr_tasks.run import RunSummary, run_stkkr
from stkkr_tasks.simulator import Catalogue, Simulator
from stkkr_tasks.spec import load_stkkr_text
from stkkr_tasks.store import PLACEHOLDER, ErrorRecord, ErrorStore, decrypt_payload
from tests.prefect_events import drain_prefect_workers, recorded_task_runs

pytestmark = pytest.mark.usefixtures("prefect_server")

TENANT = "privacy"
ROWS = 24
TAG = secrets.token_hex(3).upper()  # fresh per session: leftovers of earlier sessions cannot match
INT_START = 1_100_000_000 + secrets.randbelow(800_000_000)
DECIMAL_START = 1_100_000_000 + secrets.randbelow(800_000_000)
CANARY = f"CANARY{secrets.token_hex(6)}"
GROUP_ROWS = 4  # rows per group of the grouped stkkr
_MONTHS = "januari februari maart april mei juni juli augustus september oktober november december"
MONTHS = _MONTHS.split()


def _word(length: int) -> str:
    """A random pronounceable word (lowercase), so names are markers no other text holds."""
    return "".join(secrets.choice("bdfghjklmnprstvwz") + secrets.choice("aeiou") for _ in range(length))


def _names() -> list[str]:
    """Persons' names with particles and an apostrophe, the way AFAS names other records."""
    particles = ["de", "van der", "ter", "O'"]
    return [
        f"{_word(3).capitalize()} {particles[n % 4]}{'' if n % 4 == 3 else ' '}{_word(3).capitalize()}"
        for n in range(ROWS)
    ]


NAMES = _names()


def _letters(count: int) -> str:
    """Random capitals that are not hexadecimal digits, so no id or hash in the searched places matches."""
    return "".join(secrets.choice("GHJKLMNPRSTVWXZ") for _ in range(count))


POSTCODES = [f"{1000 + secrets.randbelow(9000)}{_letters(2)}" for _ in range(ROWS)]
IBANS = [f"NL{10 + secrets.randbelow(90)}{_letters(4)}{secrets.randbelow(10**10):010d}" for _ in range(ROWS)]
PHONES = [f"06{10**7 + secrets.randbelow(9 * 10**7)}" for _ in range(ROWS)]

CATALOGUE = {
    "format": 1,
    "include_builtin": False,
    "get_connectors": {
        "Priv_Items": {
            "fields": [
                {
                    "id": "ItemId",
                    "type": "string",
                    "length": 20,
                    "gen": {"kind": "seq", "format": f"PK{TAG}{{n:04d}}"},
                },
                {
                    "id": "Name",
                    "type": "string",
                    "length": 40,
                    "gen": {"kind": "seq", "format": f"PN{TAG}{{n:04d}}"},
                },
                {
                    "id": "Note",
                    "type": "string",
                    "length": 60,
                    "gen": {"kind": "seq", "format": f"PT{TAG}{{n:04d}}"},
                },
                {
                    "id": "Code",
                    "type": "string",
                    "length": 20,
                    "gen": {"kind": "seq", "format": f"PC{TAG}{{n:04d}}"},
                },
                {"id": "Qty", "type": "int", "gen": {"kind": "seq", "start": INT_START}},
                {
                    "id": "Amount",
                    "type": "decimal",
                    "decimals": 2,
                    "gen": {"kind": "seq", "start": DECIMAL_START},
                },
                {"id": "Day", "type": "date", "gen": {"kind": "date", "from": -40000, "to": -39990}},
                {"id": "Owner", "type": "string", "length": 40, "gen": {"kind": "cycle", "values": NAMES}},
                {
                    "id": "Email",
                    "type": "string",
                    "length": 60,
                    "gen": {"kind": "seq", "format": f"Pe.{TAG}{{n:04d}}@Example.nl"},
                },
                {
                    "id": "Postcode",
                    "type": "string",
                    "length": 7,
                    "gen": {"kind": "cycle", "values": POSTCODES},
                },
                {"id": "Iban", "type": "string", "length": 34, "gen": {"kind": "cycle", "values": IBANS}},
                {"id": "Phone", "type": "string", "length": 15, "gen": {"kind": "cycle", "values": PHONES}},
                {
                    "id": "Batch",
                    "type": "string",
                    "length": 20,
                    "gen": {"kind": "block", "size": GROUP_ROWS, "format": f"PB{TAG}{{n:03d}}"},
                },
            ],
        },
    },
    "update_connectors": {
        "PrItem": {
            "fields": [
                {"field_id": "ItId", "type": "string", "length": 20, "primary_key": True},
                {"field_id": "Nm", "type": "string", "length": 40},
                {"field_id": "Nt", "type": "string", "length": 60},
                {"field_id": "Cd", "label": "Artikelcode", "type": "string", "length": 3},
                {"field_id": "Qt", "type": "int"},
                {"field_id": "Am", "type": "decimal", "decimals": 2},
                {"field_id": "Dy", "type": "date"},
                {"field_id": "Em", "label": "E-mail werk", "type": "string", "length": 60},
                {"field_id": "Pc", "label": "Postcode", "type": "string", "length": 7},
                {"field_id": "Ib", "label": "Bankrekening", "type": "string", "length": 34},
                {"field_id": "Ph", "label": "Telefoon werk", "type": "string", "length": 15},
            ],
            "objects": [
                {
                    "name": "PrItemLine",
                    "multiple": True,
                    "fields": [
                        {"field_id": "Nm", "type": "string", "length": 40},
                        {"field_id": "Nt", "type": "string", "length": 60},
                        {"field_id": "Qt", "type": "int"},
                        {"field_id": "Am", "type": "decimal", "decimals": 2},
                        {"field_id": "Dy", "type": "date"},
                    ],
                }
            ],
            "target": {
                "get_connector": "Priv_Items",
                "keys": [{"ItId": "ItemId"}],
                "columns": {"Name": "Nm", "Note": "Nt", "Qty": "Qt", "Amount": "Am", "Day": "Dy"},
            },
        },
    },
}

HEAD = """
stkkr: {name}
tenant: privacy
connection: {connection}
get: {connector: Priv_Items, order_by: [ItemId], page_size: 10}
update: {connector: PrItem, action: update}
"""
UPDATE_ALL = (
    HEAD
    + """
transform:
  keys: {"@ItId": "{{ row.ItemId }}"}
  fields: {Nm: "{{ row.Name }}", Nt: "{{ row.Note }}", Qt: "{{ row.Qty }}", Am: "{{ row.Amount }}",
           Dy: "{{ row.Day | date }}"}
"""
)
WRITE = UPDATE_ALL + "unique: [ItemId]\n"
GROUPED = """
stkkr: {name}
tenant: privacy
connection: {connection}
get: {connector: Priv_Items, order_by: [Batch, ItemId], page_size: 10}
group_by: [Batch]
unique: [Batch]
transform:
  keys: {"@ItId": "{{ row.ItemId }}"}
  fields: {Nt: "{{ row.Batch }}", Am: "{{ rows | sum(attribute='Amount') }}"}
  objects:
    PrItemLine:
      - each: rows
        fields: {Nm: "{{ line.Name }}", Nt: "{{ line.Note }}", Qt: "{{ line.Qty }}", Am: "{{ line.Amount }}",
                 Dy: "{{ line.Day | date }}"}
update: {connector: PrItem, action: update}
"""
TOO_LONG = (
    HEAD
    + """
transform:
  keys: {"@ItId": "{{ row.ItemId }}"}
  fields: {Nm: "{{ row.Name }}", Cd: "{{ row.Code }}", Qt: "{{ row.Qty }}", Dy: "{{ row.Day | date }}"}
"""
)
FORMATTED = (  # inserts of records that exist: AFAS's own rule refuses them, quoting the values it was sent
    HEAD.replace("action: update", "action: insert")
    + """
transform:
  keys: {"@ItId": "{{ row.ItemId }}"}
  fields: {Nm: "{{ row.Name }}", Nt: "{{ row.Code }}", Qt: "{{ row.Qty }}", Am: "{{ row.Amount }}",
           Dy: "{{ row.Day | date }}", Em: "{{ row.Email }}", Pc: "{{ row.Postcode }}", Ib: "{{ row.Iban }}",
           Ph: "{{ row.Phone }}"}
"""
)
DELETE = (
    HEAD.replace("action: update", "action: delete")
    + """
confirm_all: true
transform:
  keys: {ItId: "{{ row.ItemId }}"}
"""
)
BAD_EXPRESSIONS = (
    HEAD
    + """
filter: "row.Qty % 2 == 0 or int(row.Name) > 0"
transform:
  keys: {"@ItId": "{{ row.ItemId }}"}
  fields: {Qt: "{{ int(row.Note) }}"}
"""
)
LOOKUPS = """
lookups:
  item: {connector: Priv_Items, key: ItemId}
  note: {connector: Priv_Items, key: ItemId, value: Note, where: [{field: Code, op: not_empty}]}
"""
JOINED = (
    HEAD
    + LOOKUPS
    + """
transform:
  keys: {"@ItId": "{{ row.ItemId }}"}
  fields: {Nm: "{{ lookup('item', row.ItemId).Name }}", Nt: "{{ lookup('note', row.ItemId) }}",
           Qt: "{{ lookup('item', row.ItemId).Qty }}"}
"""
)
ELSEWHERE = UPDATE_ALL.replace("action: update}", "action: update, connection: {elsewhere}}")
RESPONDED = (
    UPDATE_ALL
    + """
respond:
  transform:
    keys: {"@ItId": "{{ response.ItId }}"}
    fields: {Nm: "{{ row.Name }}", Nt: "{{ response.ItId }} {{ row.Note }}", Qt: "{{ row.Qty }}",
             Am: "{{ row.Amount }}", Dy: "{{ row.Day | date }}"}
  update: {connector: PrItem, action: update, connection: {elsewhere}}
"""
)
JOIN_MISSES = (
    HEAD
    + LOOKUPS
    + """
transform:
  keys: {"@ItId": "{{ row.ItemId }}"}
  fields: {Nt: "{{ lookup('note', row.Name) }}"}
"""
)


UPLOAD = """
stkkr: {name}
tenant: privacy
connection: {connection}
input: {format: csv, key: [ItemId], columns: {Qty: int, Amount: decimal, Day: date}, page_size: 10}
update: {connector: PrItem, action: update}
transform:
  keys: {"@ItId": "{{ row.ItemId }}"}
  fields: {Nm: "{{ row.Name }}", Nt: "{{ row.Note }}", Qt: "{{ row.Qty }}", Am: "{{ row.Amount }}",
           Dy: "{{ row.Day }}", Em: "{{ row.Email }}"}
"""
MISTYPED = UPLOAD.replace("Qty: int, Amount: decimal, Day: date", "Name: int, Note: decimal, Email: date")


def _upload(folder: Path, rows: list[dict[str, Any]]) -> Path:
    """The rows as a `;`-separated CSV file (outside every searched place: it is the customer's upload)."""
    path = folder / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows({**row, "Day": str(row["Day"])[:10]} for row in rows)
    return path


@dataclass
class Proof:
    """What the runs did, and what must be found nowhere."""

    markers: list[str]
    formatted: list[str]
    hidden: dict[str, str]
    summaries: dict[str, RunSummary] = field(default_factory=dict)
    flow_run_ids: list[str] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    storage: Path = Path()
    payload_key: bytes = b""
    received: str = ""
    sim_writes: int = 0
    deleted: int = 0
    received_elsewhere: str = ""


def _marker_forms(rows: list[dict[str, Any]]) -> list[str]:
    """Every row value as text that would show up wherever the value is written (dates as ISO and repr)."""
    forms: set[str] = set()
    for row in rows:
        for column, value in row.items():
            assert value is not None and not isinstance(value, bool), column
            if column == "Day":
                day = str(value)[:10]
                year, month, dom = (int(part) for part in day.split("-"))
                forms.update({day, f"{year}, {month}, {dom}"})
            else:
                forms.add(str(value))
    return sorted(forms)


def _afas_forms(rows: list[dict[str, Any]]) -> list[str]:
    """Each row value the way AFAS writes it in its messages (and the parts of a name that identify)."""
    forms: set[str] = set()
    for row in rows:
        year, month, day = (int(part) for part in str(row["Day"])[:10].split("-"))
        forms |= {f"{day} {MONTHS[month - 1]} {year}", f"{day:02d}-{month:02d}-{year % 100:02d}"}
        for number in (row["Qty"], row["Amount"]):
            dutch = f"{number:,.2f}".translate(str.maketrans(",.", ".,"))
            forms |= {dutch, dutch.removesuffix(",00")}
        forms |= {row[column][:10] for column in ("ItemId", "Name", "Note", "Code")}
        owner = row["Owner"]
        forms |= {owner.upper(), owner.replace("'", "&#39;")}
        forms |= {part.strip("'") for part in re.split(r"[ ']", owner) if len(part) >= 6}
        local = row["Email"].split("@")[0]
        forms |= {row["Email"].lower(), local, local.lower()}
        forms.add(f"{row['Postcode'][:4]} {row['Postcode'][4:]}")
        grouped = " ".join(row["Iban"][i : i + 4] for i in range(0, len(row["Iban"]), 4))
        forms |= {grouped, grouped[:9]}
        forms.add(row["Phone"].lstrip("0"))
    return sorted(forms)


def _token_forms(token_xml: str) -> list[str]:
    data = token_xml.split("<data>")[1].split("</data>")[0]
    return [data, token_xml, base64.b64encode(token_xml.encode()).decode()]


def _quoting_500(app: Any) -> Any:
    """Wrap the simulator: each write is answered 500 quoting the body's values (as JSON, or plain text)."""
    answers = itertools.count()

    def leaves(data: Any) -> Iterator[Any]:
        if isinstance(data, dict):
            for key, value in data.items():
                yield key
                yield from leaves(value)
        elif isinstance(data, list):
            for value in data:
                yield from leaves(value)
        else:
            yield data

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            await app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        quoted = ", ".join(f"'{value}'" for value in leaves(json.loads(body)))
        if next(answers) % 2 == 0:
            content_type = b"application/json"
            error = {
                "externalMessage": f"Ongeldige waarden: {quoted}.",
                "errorNumber": -2147467259,
                "profitLogReference": secrets.token_hex(16),
            }
            answer = json.dumps(error).encode()
        else:
            content_type, answer = b"text/plain", f"Internal error while saving {quoted}".encode()
        headers = [(b"content-type", content_type)]
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    return wrapped


class _Records(logging.Handler):
    """Keeps the text of every log record of this process."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage() + ("" if record.exc_text is None else record.exc_text))


def _run(proof: Proof, text: str, connection: str, label: str, upload: Path | None = None) -> RunSummary:
    name = f"privacy-{label}-{uuid.uuid4().hex[:6]}"
    spec = load_stkkr_text(text.replace("{name}", name).replace("{connection}", connection))
    summary = run_stkkr(spec, input=upload)
    proof.summaries[label] = summary
    proof.flow_run_ids.append(summary.flow_run_id)
    return summary


def _retry(proof: Proof, text: str, connection: str, label: str, *, of: str) -> RunSummary:
    """Retry the failed rows of the run labelled `of` (`stkkr retry`): the same stkkr, its records' rows."""
    name = proof.summaries[of].stkkr
    spec = load_stkkr_text(text.replace("{name}", name).replace("{connection}", connection))
    summary = run_stkkr(spec, retry=True)
    proof.summaries[label] = summary
    proof.flow_run_ids.append(summary.flow_run_id)
    return summary


async def _set_consent(on: bool) -> None:
    async with ErrorStore() as store:
        await store.set_consent(TENANT, on)


@task(persist_result=True)
def _canary_result(text: str) -> str:
    return text


@flow(persist_result=True)
def _canary_flow(note: str) -> str:
    get_run_logger().warning("canary %s", note)
    create_markdown_artifact(f"canary {note}", key="privacy-canary")
    return _canary_result(note)


@pytest.fixture(scope="module")
def proof(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proof]:
    """Run every stkkr of the proof, with consent off and then on; everything is flushed to Prefect."""
    sim = Simulator(rows=ROWS, seed=5, catalogue=Catalogue.from_dict(CATALOGUE))
    quoting = Simulator(rows=ROWS, seed=5, catalogue=Catalogue.from_dict(CATALOGUE))
    quoting.app = _quoting_500(quoting.app)
    wrong_token = f"<token><version>1</version><data>{secrets.token_hex(32).upper()}</data></token>"
    payload_key = Fernet.generate_key()
    formatting = Simulator(
        rows=ROWS, seed=5, catalogue=Catalogue.from_dict(CATALOGUE), refusals="afas-formatted"
    )
    other = Simulator(rows=ROWS, seed=5, catalogue=Catalogue.from_dict(CATALOGUE))  # another environment
    proof = Proof(
        markers=_marker_forms(sim.rows("Priv_Items")),
        formatted=_afas_forms(sim.rows("Priv_Items")),
        hidden={"token": sim.token, "wrong token": wrong_token, "payload key": payload_key.decode()},
        storage=tmp_path_factory.mktemp("result-storage"),
        payload_key=payload_key,
    )
    loggers = [logging.getLogger(name) for name in ("prefect", "stkkr_tasks", "flows", "blocks", "httpx")]
    handler = _Records(proof.log_lines)
    drain_prefect_workers()  # the proof's events and logs go to the session's server, whatever ran before
    with ExitStack() as stack, pytest.MonkeyPatch.context() as env:
        stack.enter_context(temporary_settings(updates={PREFECT_RESULTS_LOCAL_STORAGE_PATH: proof.storage}))
        stack.enter_context(sim.serve())
        stack.enter_context(quoting.serve())
        stack.enter_context(formatting.serve())
        stack.enter_context(other.serve())
        for logger in loggers:
            logger.addHandler(handler)
            stack.callback(logger.setLevel, logger.level)
            logger.setLevel(logging.DEBUG)
            stack.callback(logger.removeHandler, handler)
        good, bad_token, refusing, formats, elsewhere = (f"privacy-{uuid.uuid4().hex[:8]}" for _ in range(5))
        AfasConnection(base_url=sim.base_url, token=sim.token).save(good)
        AfasConnection(base_url=sim.base_url, token=wrong_token).save(bad_token)
        AfasConnection(base_url=quoting.base_url, token=quoting.token).save(refusing)
        AfasConnection(base_url=formatting.base_url, token=formatting.token).save(formats)
        AfasConnection(base_url=other.base_url, token=other.token).save(elsewhere)

        asyncio.run(_set_consent(False))
        _run(proof, WRITE, good, "write")
        _run(proof, TOO_LONG, good, "too-long-off")
        _run(proof, BAD_EXPRESSIONS, good, "expressions")
        _run(proof, UPDATE_ALL, refusing, "500-off")
        _run(proof, WRITE, bad_token, "wrong-token")
        _run(proof, GROUPED, good, "grouped")
        _run(proof, GROUPED, refusing, "grouped-500-off")
        _run(proof, FORMATTED, formats, "formatted-off")
        _run(proof, JOINED, refusing, "lookup-500")
        _run(proof, JOIN_MISSES, good, "lookup-misses")
        upload = _upload(tmp_path_factory.mktemp("uploads"), sim.rows("Priv_Items"))
        _run(proof, UPLOAD, good, "upload", upload)
        _run(proof, UPLOAD, refusing, "upload-500", upload)
        _run(proof, MISTYPED, good, "upload-mistyped", upload)
        _run(proof, ELSEWHERE.replace("{elsewhere}", elsewhere), good, "elsewhere")
        _run(proof, RESPONDED.replace("{elsewhere}", elsewhere), good, "respond")
        _run(proof, RESPONDED.replace("{elsewhere}", refusing), good, "respond-500-off")

        env.setenv("STKKR_PAYLOAD_KEY", payload_key.decode())
        asyncio.run(_set_consent(True))
        _run(proof, TOO_LONG, good, "too-long-on")
        _run(proof, UPDATE_ALL, refusing, "500-on")
        _retry(proof, UPDATE_ALL, refusing, "500-on-retry", of="500-on")
        _run(proof, GROUPED, refusing, "grouped-500-on")
        _run(proof, FORMATTED, formats, "formatted-on")
        _run(proof, RESPONDED.replace("{elsewhere}", refusing), good, "respond-500-on")
        asyncio.run(_set_consent(False))
        _run(proof, DELETE, formats, "delete")
        proof.deleted = len(formatting.writes)

        proof.flow_run_ids.append(str(_canary_flow(CANARY, return_state=True).state_details.flow_run_id))
        proof.received = json.dumps([w.body for w in sim.writes], default=str)
        proof.sim_writes = len(sim.writes)
        proof.received_elsewhere = json.dumps([w.body for w in other.writes], default=str)
        # A bound: a Prefect worker whose task died never finishes draining (seen once in CI, a hang).
        APILogWorker.drain_all(timeout=120)
        EventsWorker.drain_all(timeout=120)
        asyncio.run(_wait_for_events(proof.flow_run_ids[-1]))
        yield proof


async def _wait_for_events(flow_run_id: str) -> None:
    """Until the server stored the terminal event of the last run (events are persisted in batches)."""
    async with get_client() as client:
        for _ in range(300):
            page = await client.read_events(_about(flow_run_id), limit=50)
            if "prefect.flow-run.Completed" in {event.event for event in page.events}:
                return
            await asyncio.sleep(0.1)
    raise AssertionError("the server did not store the events of the last run in 30 s")


def _recent() -> EventOccurredFilter:
    return EventOccurredFilter(since=datetime.now(UTC) - timedelta(hours=1))


def _about(flow_run_id: str) -> EventFilter:
    resource = EventResourceFilter(id=[f"prefect.flow-run.{flow_run_id}"])
    return EventFilter(resource=resource, occurred=_recent())


async def _events(client: Any, flow_run_id: str) -> list[Any]:
    """Every event about a flow run or related to it (its task runs), page by page."""
    related = EventAnyResourceFilter(id=[f"prefect.flow-run.{flow_run_id}"])
    page = await client.read_events(EventFilter(any_resource=related, occurred=_recent()), limit=50)
    events = list(page.events)
    while page.next_page is not None:
        page = await client.read_events_page(str(page.next_page))
        events.extend(page.events)
    return events


def _found(text: str | bytes, needles: Iterable[str]) -> list[str]:
    """The needles the text holds; a needle that starts or ends with a digit must not touch another digit.

    A number inside a longer run of digits (a float, a timestamp) is a different number: the Prefect
    database holds thousands of those, and one held a 9-digit phone marker by chance once.
    """
    haystack = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
    return sorted(
        {
            needle
            for needle in needles
            if needle.encode() in haystack and _digit_bounded(needle).search(haystack)
        }
    )


def _digit_bounded(needle: str) -> re.Pattern[bytes]:
    before = rb"(?<![0-9])" if needle[:1].isdigit() else b""
    after = rb"(?![0-9])" if needle[-1:].isdigit() else b""
    return re.compile(before + re.escape(needle.encode()) + after)


def _files(root: Path) -> Iterator[Path]:
    yield from (path for path in root.rglob("*") if path.is_file())


def _sqlite_dump(path: Path) -> str:
    """Every row of a SQLite database as SQL text (finds values that straddle a page boundary)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def _prefect_db() -> Path:
    url = str(PREFECT_SERVER_DATABASE_CONNECTION_URL.value())
    assert url.startswith("sqlite+aiosqlite:///"), url
    return Path(url.removeprefix("sqlite+aiosqlite:///"))


def _leaks(proof: Proof, content: str | bytes) -> dict[str, list[str]]:
    found = {"row values": _found(content, proof.markers)}
    found["row values as AFAS formats them"] = _found(content, proof.formatted)
    found.update(
        {
            name: _found(content, _token_forms(value) if "token" in name else [value])
            for name, value in proof.hidden.items()
        }
    )
    return {what: values for what, values in found.items() if values}


def test_the_runs_carried_the_marker_values_and_failed_as_intended(proof: Proof) -> None:
    s = proof.summaries
    assert (s["write"].state, s["write"].written, s["write"].failed) == ("Completed", ROWS, 0)
    for label in ("too-long-off", "too-long-on", "500-off", "500-on", "formatted-off", "formatted-on"):
        assert (s[label].state, s[label].written, s[label].failed) == ("Completed", 0, ROWS), label
    retried = s["500-on-retry"]  # `stkkr retry`: the same rows again, found by fingerprint; refused again
    assert (retried.retry, retried.written, retried.failed, retried.not_retried) == (True, 0, ROWS, 0)
    assert (s["delete"].state, s["delete"].written, proof.deleted) == ("Completed", ROWS, ROWS)
    assert (s["expressions"].state, s["expressions"].failed) == ("Completed", ROWS)
    for label in ("lookup-500", "lookup-misses"):  # GetConnector lookups held every row in memory
        assert (s[label].state, s[label].written, s[label].failed) == ("Completed", 0, ROWS), label
    assert s["wrong-token"].state == "Failed" and "401" in s["wrong-token"].message
    assert (s["upload"].state, s["upload"].read, s["upload"].written) == ("Completed", ROWS, ROWS)
    for label in ("upload-500", "upload-mistyped"):  # refused by AFAS; cells that do not fit their types
        assert (s[label].state, s[label].written, s[label].failed) == ("Completed", 0, ROWS), label
    names = [m for m in proof.markers if m.startswith(("PN", "PT"))]
    assert len(names) == 2 * ROWS and all(m in proof.received for m in names)
    assert str(INT_START) in proof.received and str(DECIMAL_START) in proof.received
    groups = ROWS // GROUP_ROWS
    grouped = s["grouped"]
    assert (grouped.written, grouped.groups_written, grouped.failed) == (ROWS, groups, 0)
    for label in ("grouped-500-off", "grouped-500-on"):
        assert (s[label].failed, s[label].groups_failed, s[label].written) == (ROWS, groups, 0), label
    for label in ("elsewhere", "respond"):  # another environment got the values: the write, the response
        assert (s[label].state, s[label].written, s[label].failed) == ("Completed", ROWS, 0), label
    assert (s["respond"].responded, s["respond"].respond_failed) == (ROWS, 0)
    for label in ("respond-500-off", "respond-500-on"):
        assert (s[label].written, s[label].responded, s[label].respond_failed) == (ROWS, 0, ROWS), label
    assert all(m in proof.received_elsewhere for m in names if m.startswith("PN"))  # Notes were rewritten
    # the write, the upload, the grouped stkkr and the first writes of the three respond stkkrs got through
    assert proof.sim_writes == 2 * ROWS + groups + 3 * ROWS


def test_no_value_or_token_in_the_prefect_database_file(proof: Proof) -> None:
    db = _prefect_db()
    files = [path for path in db.parent.iterdir() if path.name.startswith(db.name)]  # the file, -wal, -shm
    assert db in files
    raw = b"".join(path.read_bytes() for path in files)
    dump = _sqlite_dump(db)
    assert CANARY in dump and CANARY.encode() in raw  # the search sees what Prefect stores

    assert _leaks(proof, raw) == {}
    assert _leaks(proof, dump) == {}


def _stored(path: Path) -> bytes:
    """A file's bytes, followed by their base64 decoding when they are base64 (Prefect's pickled results)."""
    raw = path.read_bytes()
    try:
        return raw + b"\n" + base64.b64decode(raw, validate=False)
    except (binascii.Error, ValueError):
        return raw


def test_no_value_or_token_in_result_storage_or_prefect_home(proof: Proof) -> None:
    stored = list(_files(proof.storage))
    assert any(CANARY.encode() in _stored(path) for path in stored)  # results do land here, base64-encoded

    for root in (proof.storage, Path(PREFECT_HOME.value())):
        for path in _files(root):
            assert _leaks(proof, _stored(path)) == {}, path


def test_no_value_or_token_in_logs_states_parameters_artifacts_or_events(proof: Proof) -> None:
    texts = asyncio.run(_prefect_api_texts(proof.flow_run_ids))

    assert CANARY in texts["logs"] and CANARY in texts["artifacts"] and CANARY in texts["flow runs"]
    for source in ("logs", "artifacts", "flow runs", "events"):  # the runs' own summaries are there
        assert "read 24" in texts[source], source
    assert "Get page" in texts["task runs"]
    for source, text in texts.items():
        assert _leaks(proof, text) == {}, source


async def _prefect_api_texts(flow_run_ids: list[str]) -> dict[str, str]:
    ids = [uuid.UUID(i) for i in flow_run_ids]
    runs = FlowRunFilter(id=FlowRunFilterId(any_=ids))
    async with get_client() as client:
        by_run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids))
        logs: list[Any] = []
        while len(page := await client.read_logs(by_run, limit=200, offset=len(logs))) > 0:
            logs.extend(page)
        flow_runs = await client.read_flow_runs(flow_run_filter=runs)
        task_runs = await recorded_task_runs(client, runs)
        artifacts = await client.read_artifacts(flow_run_filter=runs)
        events = [event for run_id in flow_run_ids for event in await _events(client, run_id)]
    dump = lambda items: "\n".join(item.model_dump_json() for item in items)  # noqa: E731
    return {
        "logs": dump(logs),
        "flow runs": dump(flow_runs),
        "task runs": dump(task_runs),
        "artifacts": dump(artifacts),
        "events": dump(events),
    }


def test_no_value_or_token_in_the_log_records_of_this_process(proof: Proof) -> None:
    text = "\n".join(proof.log_lines)

    assert CANARY in text
    assert _leaks(proof, text) == {}


def test_no_value_or_token_in_the_stkkr_database_or_under_stkkr_home(proof: Proof, stkkr_home: str) -> None:
    database = Path(stkkr_home) / "stkkr.db"
    dump = _sqlite_dump(database)
    fingerprints = [r.row_key for r in asyncio.run(_records(proof.summaries["too-long-off"].stkkr))]
    assert fingerprints and all(fingerprint in dump for fingerprint in fingerprints)  # the records are read

    assert _leaks(proof, dump) == {}
    for path in _files(Path(stkkr_home)):
        assert _leaks(proof, path.read_bytes()) == {}, path


def test_under_consent_refused_payloads_are_stored_encrypted_and_decrypt_to_the_values(proof: Proof) -> None:
    records = {
        label: asyncio.run(_records(proof.summaries[label].stkkr))
        for label in (
            "too-long-off",
            "500-off",
            "expressions",
            "too-long-on",
            "500-on",
            "grouped-500-off",
            "grouped-500-on",
            "respond-500-off",
            "respond-500-on",
        )
    }

    for label in ("too-long-off", "500-off", "expressions"):
        assert len(records[label]) == ROWS and not any(r.has_payload or r.consent for r in records[label])
    assert {r.stage for r in records["expressions"]} == {"filter", "transform"}
    quoted = [r for r in records["500-off"] if r.error_number is not None]
    assert quoted and all(
        PLACEHOLDER in r.message for r in quoted
    )  # AFAS quoted the values; they were removed
    assert {r.http_status for r in records["500-off"]} == {500}

    responses = records["respond-500-off"]  # the refused response writes quoted the row and the answer
    assert len(responses) == ROWS and {r.stage for r in responses} == {"respond"}
    assert not any(r.has_payload for r in responses)
    quoted = [r for r in responses if r.error_number is not None]
    assert quoted and all(PLACEHOLDER in r.message for r in quoted)

    assert all(r.retries == 1 for r in records["500-on"]), "the retry updated its records, added none"
    for label in ("too-long-on", "500-on", "respond-500-on"):
        assert len(records[label]) == ROWS and all(r.consent and r.has_payload for r in records[label])
        clear = dumps_json(_decrypted(records[label], proof.payload_key)).decode()
        assert all(f"PN{TAG}{n:04d}" in clear for n in range(1, ROWS + 1))
        assert _found("".join(r.payload_encrypted or "" for r in records[label]), proof.markers) == []

    groups = ROWS // GROUP_ROWS  # one error record per group; AFAS quoted every row of it
    assert len(records["grouped-500-off"]) == groups
    assert not any(r.has_payload for r in records["grouped-500-off"])
    quoted = [r for r in records["grouped-500-off"] if r.error_number is not None]
    assert quoted and all(PLACEHOLDER in r.message for r in quoted)
    assert len(records["grouped-500-on"]) == groups and all(r.has_payload for r in records["grouped-500-on"])
    clear = dumps_json(_decrypted(records["grouped-500-on"], proof.payload_key)).decode()
    assert all(f"PN{TAG}{n:04d}" in clear for n in range(1, ROWS + 1))


async def _records(stkkr: str) -> list[ErrorRecord]:
    async with ErrorStore() as store:
        return await store.list_errors(stkkr, limit=1000)


def test_afas_formatted_values_and_other_records_leave_only_a_template(proof: Proof) -> None:
    off = asyncio.run(_records(proof.summaries["formatted-off"].stkkr))
    on = asyncio.run(_records(proof.summaries["formatted-on"].stkkr))

    assert len(off) == ROWS and not any(r.has_payload for r in off)
    for record in off:  # AFAS's wording and the field label it named stay; every value went
        assert record.message.startswith("A record with this key already exists (PrItem).")
        assert record.message.count(PLACEHOLDER) >= 8, record.message
    assert any("is uit dienst" in r.message for r in off)  # another record was named; its name went
    assert _found("".join(r.message for r in off), proof.formatted + proof.markers) == []

    messages = [payload["message"] for payload in _decrypted(on, proof.payload_key)]
    clear = " ".join(messages)  # positive control: AFAS did quote the values, in its own formats
    assert len(messages) == ROWS and all(" mei " in m or "-" in m for m in messages)
    assert any(owner in clear or owner.upper() in clear for owner in NAMES)
    assert len(_found(clear, proof.formatted)) > 5 * ROWS
    assert _found("".join(r.message for r in on), proof.formatted + proof.markers) == []


def test_no_value_in_the_output_of_stkkr_errors_list_and_show(proof: Proof) -> None:
    runner, stkkr_cli = CliRunner(), typer.Typer()
    errors_cli.register(stkkr_cli)
    outputs = []
    for label in ("formatted-off", "formatted-on", "500-off", "too-long-off"):
        listed = runner.invoke(
            stkkr_cli,
            ["errors", "list", "--json", "--limit", "1000", "--stkkr", proof.summaries[label].stkkr],
        )
        assert listed.exit_code == 0, listed.output
        records = json.loads(listed.stdout)
        assert len(records) == ROWS, label
        outputs.append(listed.stdout)
        for record in records[:5]:
            shown = runner.invoke(stkkr_cli, ["errors", "show", str(record["id"]), "--json"])
            assert shown.exit_code == 0 and json.loads(shown.stdout)["message"] == record["message"]
            outputs.append(shown.stdout)
    text = "\n".join(outputs)

    assert "Artikelcode" in text and PLACEHOLDER in text
    assert _leaks(proof, text) == {}


def _decrypted(records: Iterable[ErrorRecord], key: bytes) -> list[dict[str, Any]]:
    """The decrypted payloads of records that must have one."""
    payloads = [r.payload_encrypted for r in records]
    assert all(payloads), "a record without a payload"
    return [decrypt_payload(payload, key) for payload in payloads if payload]
