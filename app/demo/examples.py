"""The project's own sample messages: two clients' chains among the demo's parties, each
message accepted when posted in order (``iwmo examples``, `examples/`, and the request
examples of `POST /v1/berichten` in the API docs).

* **A request, an allocation and a declaration** (client 1, Amersfoort 0307 and the main
  contractor 99000001, beschermd wonen 15N01 under the effort-based contract): the main
  contractor asks (315), the municipality allocates (301), the main contractor starts
  (305), asks for a change that the municipality turns down (317, 319), stops (307) and
  declares April (323), which the municipality grants (325). Every message is answered by
  its receiver's retour (316, 302, 306, 318, 320, 308): all 14 message types.
* **A generic decision with a delegation and a relay** (client 2, Amersfoort and the main
  contractor under the task-based contract, subcontractor 99000002): the municipality
  decides (generic 301), the main contractor delegates begeleiding IN2 to the
  subcontractor over the API, the subcontractor answers the WMO301 the service sent it
  (302) and starts (305); the service relays the start to the municipality at function
  level, and the municipality accepts the relay (306).

The steps of the second chain after the delegation answer what the service wrote — a
number from its range, identifications of its own — so they are built while posting, from
what the service answers (`post`). Everything else is fixed: the files are the same on
every run, and posting them again gets the stored answers.

The people are made up: BSNs from the top of the 9999xxxxx range (never issued, and out
of the demo's reach: it counts up from 999900001), names and addresses invented.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from lxml import etree

from app import retour
from app.demo import asgi
from app.standard import codec, parsing
from app.standard import messages as m
from app.standard.catalogue import XSD_VERSIE

MUNICIPALITY = "0307"  # Amersfoort
MAIN_CONTRACTOR = "99000001"
SUBCONTRACTOR = "99000002"  # Subcontractor A: ambulant support
POSTERS = {
    MUNICIPALITY: "municipality Amersfoort",
    MAIN_CONTRACTOR: "main contractor",
    SUBCONTRACTOR: "subcontractor A",
}

TODAY = date(2027, 12, 31)
"""A day on or after every date in the chains (IWMO_TODAY until it has passed: a message
dated after the service's today is refused, TR135). It is also the demo's last day."""

BSN_REQUEST = "999999990"  # client 1
BSN_DECISION = "999999989"  # client 2
ALLOCATION_NUMBER = 26_500_001  # the municipality's own numbers: below the demo's 27000001
DECISION_NUMBER = 26_500_002
FUNCTION = "begeleiding-in2"
DELEGATION_BEGIN = date(2027, 3, 8)
APPROVED = frozenset({"0200", "8001"})


def _xsd() -> m.XsdVersie:
    return m.XsdVersie(BasisschemaXsdVersie=XSD_VERSIE, BerichtXsdVersie=XSD_VERSIE)


def _ident(identificatie: str, day: date) -> m.BerichtIdentificatie:
    return m.BerichtIdentificatie(Identificatie=identificatie, Dagtekening=day)


def _municipality(code: str, receiver: str, identificatie: str, day: date) -> m.GemeenteHeader:
    return m.GemeenteHeader(
        BerichtCode=code,
        BerichtVersie=3,
        BerichtSubversie=2,
        Afzender=MUNICIPALITY,
        Ontvanger=receiver,
        BerichtIdentificatie=_ident(identificatie, day),
        XsdVersie=_xsd(),
    )


def _provider(code: str, sender: str, identificatie: str, day: date) -> m.AanbiederHeader:
    return m.AanbiederHeader(
        BerichtCode=code,
        BerichtVersie=3,
        BerichtSubversie=2,
        Afzender=sender,
        Ontvanger=MUNICIPALITY,
        BerichtIdentificatie=_ident(identificatie, day),
        XsdVersie=_xsd(),
    )


@dataclass(frozen=True)
class Person:
    bsn: str
    birth: date
    gender: str
    surname: str
    first_names: str
    initials: str
    street: str
    number: int
    postcode: str

    def full_name(self) -> m.VolledigeNaam:
        return m.VolledigeNaam(
            Geslachtsnaam=m.Achternaam(Achternaam=self.surname),
            Voornamen=self.first_names,
            Voorletters=self.initials,
            NaamGebruik="1",
        )

    def short_name(self) -> m.VerkorteNaam:
        return m.VerkorteNaam(
            Geslachtsnaam=m.Achternaam(Achternaam=self.surname), Voorletters=self.initials
        )

    def contact(self) -> m.Contact:
        address = m.Adres(
            Huis=m.Huis(Huisnummer=self.number),
            Postcode=self.postcode,
            Straatnaam=self.street,
            Plaatsnaam="Amersfoort",
            LandCode="NL",
        )
        return m.Contact(Soort="01", Adres=address)

    def identified(self) -> dict[str, Any]:
        """How a request, start or stop names its client."""
        return {
            "Bsn": self.bsn,
            "Geboortedatum": m.Geboortedatum(Datum=self.birth),
            "Geslacht": self.gender,
            "Naam": self.short_name(),
        }


CLIENT_1 = Person(
    BSN_REQUEST, date(1961, 6, 14), "2", "Veldkamp", "Marieke", "M", "Kersenlaan", 7, "3817GT"
)
CLIENT_2 = Person(
    BSN_DECISION, date(1988, 11, 2), "1", "Brouwer", "Sander", "S", "Lindelaan", 23, "3816BK"
)

# Client 1: beschermd wonen, seven days and nights a week, from 15 March 2027.
PRODUCT = m.Product(Categorie="15", Code="15N01")
WEEKLY = m.Omvang(Volume=7, Eenheid="14", Frequentie="2")  # 7 x 24 hours a week
BEGIN, END = date(2027, 3, 15), date(2027, 12, 31)
STOPPED = date(2027, 4, 30)
TARIFF = 14_500  # cents per 24 hours: the contract's tariff for 15N01 (TR418)
APRIL = m.GeslotenPeriode(Begindatum=date(2027, 4, 1), Einddatum=date(2027, 4, 30))
REQUEST_REF, CHANGE_REF = "EX-AANVRAAG-0001", "EX-VERZOEK-0001"


def request() -> m.WMO315:
    product = m.AangevraagdProduct(
        ReferentieAanbieder=REQUEST_REF,
        Product=PRODUCT,
        ToewijzingIngangsdatum=BEGIN,
        ToewijzingEinddatum=END,
        Omvang=WEEKLY,
        Verwijzer=m.Verwijzer(Type="01"),  # referred by the municipality's local team
    )
    client = m.AanvraagClient(**CLIENT_1.identified(), AangevraagdeProducten=[product])
    header = _provider("444", MAIN_CONTRACTOR, "EX2700000315", date(2027, 3, 1))
    return m.WMO315(Header=header, Client=client)


def allocation() -> m.WMO301:
    day = date(2027, 3, 8)
    product = m.ToegewezenProduct(
        ToewijzingNummer=ALLOCATION_NUMBER,
        ReferentieAanbieder=REQUEST_REF,
        Product=PRODUCT,
        Toewijzingsdatum=day,
        Toewijzingstijd=time(10, 0),
        Ingangsdatum=BEGIN,
        Einddatum=END,
        Omvang=WEEKLY,
    )
    client = m.ToewijzingClient(
        Bsn=CLIENT_1.bsn,
        Geboortedatum=m.Geboortedatum(Datum=CLIENT_1.birth),
        Geslacht=CLIENT_1.gender,
        Naam=CLIENT_1.full_name(),
        Contactgegevens=[CLIENT_1.contact()],
        ToegewezenProducten=[product],
    )
    header = _municipality("414", MAIN_CONTRACTOR, "EX2700000301", day)
    return m.WMO301(Header=header, Client=client)


def start() -> m.WMO305:
    line = m.StartProduct(
        ToewijzingNummer=ALLOCATION_NUMBER,
        Product=PRODUCT,
        ToewijzingIngangsdatum=BEGIN,
        Begindatum=BEGIN,
        StatusAanlevering="1",
    )
    header = _provider("418", MAIN_CONTRACTOR, "EX2700000305", date(2027, 3, 16))
    return m.WMO305(
        Header=header, Client=m.StartClient(**CLIENT_1.identified(), StartProducten=[line])
    )


def change_request() -> m.WMO317:
    """The main contractor asks to extend the stay into 2028."""
    change = m.TeWijzigenProduct(
        ToewijzingNummer=ALLOCATION_NUMBER,
        GewensteIngangsdatum=date(2027, 4, 12),
        Einddatum=date(2028, 6, 30),
        Omvang=WEEKLY,
    )
    verzoek = m.Verzoek(
        ReferentieAanbieder=CHANGE_REF, RedenVerzoek="2", TeWijzigenProducten=[change]
    )
    header = _provider("480", MAIN_CONTRACTOR, "EX2700000317", date(2027, 4, 6))
    return m.WMO317(Header=header, Client=m.VerzoekClient(Bsn=CLIENT_1.bsn, Verzoek=verzoek))


def answer() -> m.WMO319:
    """The municipality turns the change down on its content."""
    antwoord = m.Antwoord(
        ReferentieAanbieder=CHANGE_REF, VerzoekAntwoord="1", RedenAfwijzingVerzoek="7"
    )
    header = _municipality("482", MAIN_CONTRACTOR, "EX2700000319", date(2027, 4, 9))
    return m.WMO319(Header=header, Antwoord=antwoord)


def stop() -> m.WMO307:
    """The stay ends early, by agreement, on 30 April."""
    line = m.StopProduct(
        ToewijzingNummer=ALLOCATION_NUMBER,
        Product=PRODUCT,
        ToewijzingIngangsdatum=BEGIN,
        Begindatum=BEGIN,
        RedenBeeindiging="23",
        Einddatum=STOPPED,
        StatusAanlevering="1",
    )
    header = _provider("420", MAIN_CONTRACTOR, "EX2700000307", date(2027, 5, 3))
    return m.WMO307(
        Header=header, Client=m.StopClient(**CLIENT_1.identified(), StopProducten=[line])
    )


def declaration() -> m.WMO323:
    """April: 30 times 24 hours at the contract's tariff."""
    amount = 30 * TARIFF
    prestatie = m.Prestatie(
        ProductReferentie=m.Referentie(ReferentieNummer="EX-202704-0001"),
        ToewijzingNummer=ALLOCATION_NUMBER,
        ProductCategorie=PRODUCT.Categorie,
        ProductCode=PRODUCT.Code or "",
        ProductPeriode=APRIL,
        GeleverdVolume=30,
        Eenheid="14",
        ProductTarief=TARIFF,
        IngediendBedrag=m.BedragMetDC(Bedrag=amount, DebetCredit="D"),
    )
    declaratie = m.Declaratie(
        DeclaratieNummer="EX202704",
        DeclaratiePeriode=APRIL,
        DeclaratieDagtekening=date(2027, 5, 4),
        TotaalIngediendBedrag=m.TotaalBedragMetDC(TotaalBedrag=amount, DebetCredit="D"),
        Clienten=[m.DeclaratieClient(Bsn=CLIENT_1.bsn, Prestaties=[prestatie])],
    )
    header = _provider("484", MAIN_CONTRACTOR, "EX2700000323", date(2027, 5, 4))
    return m.WMO323(Header=header, Declaratie=declaratie)


def decision() -> m.WMO301:
    """Client 2: a generic decision, no product and a budget, for the rest of 2027."""
    day = date(2027, 3, 1)
    product = m.ToegewezenProduct(
        ToewijzingNummer=DECISION_NUMBER,
        Toewijzingsdatum=day,
        Toewijzingstijd=time(9, 0),
        Ingangsdatum=DELEGATION_BEGIN,
        Einddatum=END,
        Budget=300_000,  # cents: EUR 3,000
    )
    client = m.ToewijzingClient(
        Bsn=CLIENT_2.bsn,
        Geboortedatum=m.Geboortedatum(Datum=CLIENT_2.birth),
        Geslacht=CLIENT_2.gender,
        Naam=CLIENT_2.full_name(),
        Contactgegevens=[CLIENT_2.contact()],
        ToegewezenProducten=[product],
    )
    header = _municipality("414", MAIN_CONTRACTOR, "EX2700001301", day)
    return m.WMO301(Header=header, Client=client)


def delegated_start(nummer: int, ingangsdatum: date) -> m.WMO305:
    """The subcontractor's start on the allocation the service sent it."""
    line = m.StartProduct(
        ToewijzingNummer=nummer,
        Product=m.Product(Categorie="02", Code="02N02"),
        ToewijzingIngangsdatum=ingangsdatum,
        Begindatum=DELEGATION_BEGIN,
        StatusAanlevering="1",
    )
    header = _provider("418", SUBCONTRACTOR, "EX2700001305", date(2027, 3, 10))
    return m.WMO305(
        Header=header, Client=m.StartClient(**CLIENT_2.identified(), StartProducten=[line])
    )


def answer_of(original: Any, identificatie: str, day: date | None = None) -> Any:
    """The receiver's own retour (or WMO325): fully approved, dated ``day`` or, without
    one, the original's Dagtekening."""
    day = day or original.Header.BerichtIdentificatie.Dagtekening
    if isinstance(original, m.WMO323):
        return retour.declaratie_antwoord(original, identificatie=identificatie, dagtekening=day)
    return retour.build(original, identificatie=identificatie, dagtekening=day)


# --- the steps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing a party does, in order. ``body`` is the XML it posts to /v1/berichten
    (None: built while posting, from what the service answered)."""

    name: str  # the file's name, without the extension
    poster: str
    says: str  # one line for people
    body: bytes | None = None
    delegation: dict[str, Any] | None = None  # POST /v1/delegations (decision_id filled in)

    @property
    def message_type(self) -> str:
        return self.name.split("-")[1]


def _xml(message: Any) -> bytes:
    return codec.to_bytes(message)


def steps() -> list[Step]:
    """Both chains, in the order they are posted."""
    mc, mu, sc = MAIN_CONTRACTOR, MUNICIPALITY, SUBCONTRACTOR
    req, alloc, st, chg, ans, sp, decl, dec = (
        request(),
        allocation(),
        start(),
        change_request(),
        answer(),
        stop(),
        declaration(),
        decision(),
    )
    return [
        Step(
            "01-WMO315-request", mc, "asks Amersfoort for beschermd wonen for client 1", _xml(req)
        ),
        Step(
            "02-WMO316-request-retour",
            mu,
            "approves the request (its own retour)",
            _xml(answer_of(req, "EX2700000316")),
        ),
        Step(
            "03-WMO301-allocation",
            mu,
            "allocates 15N01, 7 x 24 hours a week, from 15 March",
            _xml(alloc),
        ),
        Step(
            "04-WMO302-allocation-retour",
            mc,
            "approves the allocation",
            _xml(answer_of(alloc, "EX2700000302")),
        ),
        Step("05-WMO305-start", mc, "starts delivery on 15 March", _xml(st)),
        Step(
            "06-WMO306-start-retour", mu, "approves the start", _xml(answer_of(st, "EX2700000306"))
        ),
        Step("07-WMO317-change-request", mc, "asks to extend the stay into 2028", _xml(chg)),
        Step(
            "08-WMO318-change-request-retour",
            mu,
            "approves the request message",
            _xml(answer_of(chg, "EX2700000318")),
        ),
        Step("09-WMO319-answer", mu, "turns the change down (reason 7: care content)", _xml(ans)),
        Step(
            "10-WMO320-answer-retour",
            mc,
            "approves the answer",
            _xml(answer_of(ans, "EX2700000320")),
        ),
        Step("11-WMO307-stop", mc, "stops delivery on 30 April (23: ended by agreement)", _xml(sp)),
        Step("12-WMO308-stop-retour", mu, "approves the stop", _xml(answer_of(sp, "EX2700000308"))),
        Step("13-WMO323-declaration", mc, "declares April: 30 x 24 hours at EUR 145", _xml(decl)),
        Step(
            "14-WMO325-declaration-answer",
            mu,
            "grants the declaration in full (8001)",
            _xml(answer_of(decl, "EX2700000325", date(2027, 5, 10))),
        ),
        Step(
            "15-WMO301-generic-decision",
            mu,
            "decides for client 2: generic, EUR 3,000, from 8 March",
            _xml(dec),
        ),
        Step(
            "16-WMO302-generic-decision-retour",
            mc,
            "approves the decision",
            _xml(answer_of(dec, "EX2700001302")),
        ),
        Step(
            "17-delegation",
            mc,
            f"delegates {FUNCTION} to {sc} (POST /v1/delegations)",
            delegation={
                "function": FUNCTION,
                "subcontractor": sc,
                "begindatum": DELEGATION_BEGIN.isoformat(),
            },
        ),
        Step(
            "18-WMO302-delegated-allocation-retour",
            sc,
            "approves the WMO301 the service sent it for the delegation",
        ),
        Step(
            "19-WMO305-delegated-start",
            sc,
            "starts begeleiding IN2 on 8 March; the service "
            "relays it to Amersfoort at function level",
            _xml(delegated_start(900_000_000, DELEGATION_BEGIN)),
        ),
        Step("20-WMO306-relay-retour", mu, "approves the relayed start"),
    ]


def readme() -> str:
    lines = [
        "# Sample messages",
        "",
        "Two clients' messages among the demo's parties (`iwmo demo`), accepted when posted",
        "in this order. Written by `iwmo examples write examples/`; posted by",
        "`iwmo examples post --url http://127.0.0.1:8000 --keys demo-keys.json`, which uses",
        "each poster's key from the file `iwmo demo` writes. The dates are in 2027: until",
        f"{TODAY} has passed, run the service with `IWMO_TODAY={TODAY}` (a message dated",
        "after the service's today is refused, TR135).",
        "",
        "| step | posted by | what |",
        "|---|---|---|",
    ]
    for s in steps():
        what = f"`{s.name}.{'json' if s.delegation is not None else 'xml'}`"
        if s.body is None and s.delegation is None:
            what = f"{s.name[:2]}: built while posting"
        lines.append(f"| {what} | {s.poster} ({POSTERS[s.poster]}) | {s.says} |")
    lines += [
        "",
        "Client 1 (BSN 999999990) and client 2 (BSN 999999989) are made up; the BSNs lie",
        "outside what the demo hands out. Every message but the last few is fixed, and",
        "posting it again gets the stored answer. From step 17 on, the chain answers what",
        "the service writes itself:",
        "",
        "* `17-delegation.json` is the body of `POST /v1/delegations` without its",
        "  `decision_id`: the id `GET /v1/decisions?client_id=...` shows for decision",
        f"  {DECISION_NUMBER} (find the client with `POST /v1/clienten/zoeken`).",
        "* 18: the subcontractor answers the WMO301 the service put in its mailbox (its",
        "  `last_message_id` in the delegation) with a WMO302.",
        "* `19-WMO305-delegated-start.xml` names the delegation's `toewijzing_nummer`:",
        "  900000000 on a fresh database; `iwmo examples post` puts in the one the",
        "  service gave.",
        "* 20: Amersfoort answers the relay (`GET /v1/relays`, then the relay message's",
        "  XML) with a WMO306.",
        "",
    ]
    return "\n".join(lines)


def files() -> dict[str, bytes]:
    """What ``iwmo examples write`` writes: name -> content."""
    found: dict[str, bytes] = {"README.md": readme().encode()}
    for s in steps():
        if s.body is not None:
            found[f"{s.name}.xml"] = s.body
        elif s.delegation is not None:
            found[f"{s.name}.json"] = (json.dumps(s.delegation, indent=2) + "\n").encode()
    return found


# --- posting --------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Send = Callable[[str, str, str, "bytes | dict[str, Any] | None"], Awaitable[Reply]]
"""(key, method, path, body) -> the answer: XML bodies are bytes, JSON ones dicts."""


@dataclass
class Outcome:
    step: str
    poster: str
    status: int
    verdict: str  # accepted, or what went wrong
    codes: list[str] = field(default_factory=list)
    delegation: dict[str, Any] | None = None  # the delegation step's: as the service made it

    @property
    def accepted(self) -> bool:
        return self.verdict == "accepted"


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def retour_codes(body: bytes) -> list[str]:
    """The codes in a retour or WMO325 that refuse something (empty: fully approved)."""
    root = etree.fromstring(body, _PARSER)
    return sorted({el.text or "" for el in root.iter("{*}RetourCode")} - APPROVED)


def _judged(step: str, poster: str, reply: Reply) -> Outcome:
    if reply.status != 200:
        return Outcome(step, poster, reply.status, f"HTTP {reply.status}", [])
    if reply.content_type.startswith("application/json"):  # a retour or WMO325 recorded
        status = str(reply.json().get("status"))
        return Outcome(step, poster, reply.status, status)
    codes = retour_codes(reply.body)
    return Outcome(step, poster, reply.status, "rejected" if codes else "accepted", codes)


class ExampleError(Exception):
    pass


def _ok(reply: Reply, what: str) -> Any:
    if reply.status not in (200, 201):
        raise ExampleError(
            f"{what}: HTTP {reply.status}: {reply.body[:300].decode(errors='replace')}"
        )
    return reply.json()


async def post(send: Send, keys: dict[str, str]) -> list[Outcome]:
    """Post every step in order, each with its poster's key, and return each step's
    outcome. A step that depends on an earlier one the service did not take (the
    delegation, the relay) is not posted: its outcome says why. ExampleError when a
    poster has no key."""
    missing = sorted({s.poster for s in steps()} - set(keys))
    if missing:
        raise ExampleError(f"no key for {', '.join(missing)}")
    outcomes: list[Outcome] = []
    delegation: dict[str, Any] | None = None
    for s in steps():
        try:
            outcomes.append(await _step(send, keys[s.poster], s, delegation))
        except ExampleError as exc:
            outcomes.append(Outcome(s.name, s.poster, 0, f"not posted: {exc}"))
            continue
        if s.delegation is not None:
            delegation = outcomes[-1].delegation
    return outcomes


async def _step(send: Send, key: str, s: Step, delegation: dict[str, Any] | None) -> Outcome:
    body = s.body
    if s.delegation is not None:
        made = await _delegate(send, key, s)
        return Outcome(s.name, s.poster, 201, "accepted", delegation=made)
    if s.name.startswith(("18-", "19-")) and delegation is None:
        raise ExampleError("the delegation was not made")
    if s.name.startswith("18-"):
        assert delegation is not None
        body = await _answer_delegated(send, key, delegation)
    elif s.name.startswith("19-"):
        assert delegation is not None
        ingangsdatum = date.fromisoformat(delegation["begindatum"])
        body = _xml(delegated_start(int(delegation["toewijzing_nummer"]), ingangsdatum))
    elif s.name.startswith("20-"):
        body = await _answer_relay(send, key)
    assert body is not None
    return _judged(s.name, s.poster, await send(key, "POST", "/v1/berichten", body))


async def _client_id(send: Send, key: str, bsn: str) -> int:
    found = _ok(await send(key, "POST", "/v1/clienten/zoeken", {"bsn": bsn}), "client search")
    if len(found) != 1:
        raise ExampleError(f"client search found {len(found)} clients for the example's BSN")
    return int(found[0]["id"])


async def _delegate(send: Send, key: str, step: Step) -> dict[str, Any]:
    """The delegation: made, or the one made by an earlier run (the same one)."""
    assert step.delegation is not None
    client = await _client_id(send, key, BSN_DECISION)
    decisions = _ok(await send(key, "GET", f"/v1/decisions?client_id={client}", None), "decisions")
    ids = [d["id"] for d in decisions["items"] if d["toewijzing_nummer"] == DECISION_NUMBER]
    if not ids:
        raise ExampleError(f"no decision {DECISION_NUMBER} for the example's client")
    reply = await send(key, "POST", "/v1/delegations", {"decision_id": ids[0], **step.delegation})
    if reply.status == 409:  # posted before: the delegation is there
        listed = _ok(await send(key, "GET", "/v1/delegations?limit=500", None), "delegations")
        for d in listed["items"]:
            if d["decision_id"] == ids[0] and d["function_key"] == FUNCTION:
                return dict(d)
    found: dict[str, Any] = _ok(reply, "the delegation")
    return found


async def _message(send: Send, key: str, message_id: int) -> Any:
    reply = await send(key, "GET", f"/v1/berichten/{message_id}/xml", None)
    if reply.status != 200:
        raise ExampleError(f"message {message_id}: HTTP {reply.status}")
    return codec.decode(parsing.parse(reply.body).root)


async def _answer_delegated(send: Send, key: str, delegation: dict[str, Any]) -> bytes:
    sent = await _message(send, key, int(delegation["last_message_id"]))
    return _xml(answer_of(sent, "EX2700001312"))


async def _answer_relay(send: Send, key: str) -> bytes:
    client = await _client_id(send, key, BSN_DECISION)
    after, relay = 0, None
    while True:
        page = _ok(await send(key, "GET", f"/v1/relays?after={after}&limit=500", None), "relays")
        relay = next((r for r in page["items"] if r["client_id"] == client), relay)
        if page["next_after"] is None:
            break
        after = page["next_after"]
    if relay is None:
        raise ExampleError("no relay for the example's client")
    relayed = await _message(send, key, int(relay["relay_message_id"]))
    return _xml(answer_of(relayed, "EX2700001306"))


def _request(body: bytes | dict[str, Any] | None) -> tuple[bytes | None, str | None]:
    if body is None:
        return None, None
    if isinstance(body, bytes):
        return body, "application/xml"
    return json.dumps(body).encode(), "application/json"


def in_process(app: Any) -> Send:
    """Requests to the ASGI application ``app`` itself, through every middleware."""

    async def send(key: str, method: str, path: str, body: bytes | dict[str, Any] | None) -> Reply:
        content, media = _request(body)
        route, _, query = path.partition("?")
        r = await asgi.Client(app, key).request(
            method, route, params=dict(parse_qsl(query)), content=content, content_type=media
        )
        return Reply(r.status_code, r.headers.get("content-type", ""), r.content)

    return send


def over_http(url: str, timeout: float = 30.0) -> Send:
    """Requests to a running service at ``url`` (http://host:port)."""
    base = url.rstrip("/")

    def call(key: str, method: str, path: str, body: bytes | dict[str, Any] | None) -> Reply:
        content, media = _request(body)
        headers = {"Authorization": f"Bearer {key}", "Accept": "application/xml, application/json"}
        if media is not None:
            headers["Content-Type"] = media
        request = urllib.request.Request(base + path, data=content, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                return Reply(r.status, r.headers.get("content-type", ""), r.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.headers.get("content-type", ""), exc.read())

    async def send(key: str, method: str, path: str, body: bytes | dict[str, Any] | None) -> Reply:
        return await asyncio.to_thread(call, key, method, path, body)

    return send


def read_keys(path: Path) -> dict[str, str]:
    """The parties' API keys from the file ``iwmo demo`` writes (code -> {"key": ...});
    a plain {code: key} object is read too. ValueError when it is neither."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object of participant codes")
    keys = {}
    for code, entry in data.items():
        key = entry.get("key") if isinstance(entry, dict) else entry
        if not isinstance(key, str) or not key:
            raise ValueError(f"no key for {code}")
        keys[str(code)] = key
    return keys
