"""What administration rules may look at, for one message being processed: the
administration as it stands, read through one transaction, cached for the message.

Rules ask the same questions several times (is there an allocation 101? which starts does
it have?), so answers are kept for the message. Handlers that apply a line change the
cached records and queue the writes; later lines of the same message see the change in
memory, and the writes reach the database only when the message is accepted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from app.administration import records as r
from app.administration.crypto import Vault
from app.administration.kinds import Variant
from app.administration.store import Tx, values_of
from app.standard.catalogue import MessageType
from app.standard.scan import Budget

EXECUTION_VARIANTS = tuple(Variant)

Write = Callable[[Tx], object]  # what a queued write returns is ignored


class ContractTerms(Protocol):
    """What the rules ask of a contract between a municipality and a provider."""

    @property
    def main_contractor(self) -> str: ...

    @property
    def variant(self) -> str: ...

    @property
    def product_tariffs(self) -> Mapping[str, int]: ...


class Contracts(Protocol):
    """The contracts in force (the routing layer keeps them; the rules only ask)."""

    def between(self, municipality: str, provider: str, day: date) -> Iterable[ContractTerms]: ...


@dataclass
class _Insert:
    """A queued insert of a record; ``extra`` columns are computed when it is written."""

    table: str
    record: r.Record
    extra: dict[str, Callable[[], Any]]

    def values(self) -> dict[str, Any]:
        found = values_of(self.record)
        found.update({k: get() for k, get in self.extra.items()})
        return found


# Rows written by one statement at most: a declaration's lines in a few statements, with
# the parameters of no more than this many rows held at once.
_BATCH = 5000


def _write_inserts(tx: Tx, batch: list[_Insert]) -> None:
    """Write queued inserts into one table, in order, and give each record its id. Rows
    are written together as far as their columns agree."""
    at = 0
    while at < len(batch):
        first = batch[at].values()
        rows = [first]
        end = at + 1
        while end < len(batch) and end - at < _BATCH:
            row = batch[end].values()
            if row.keys() != first.keys():
                break
            rows.append(row)
            end += 1
        for insert, new_id in zip(
            batch[at:end], tx.insert_many(batch[at].table, rows), strict=True
        ):
            insert.record.id = new_id
        at = end


class ProductCodeList:
    """The product code lists, per municipality and category, remembered for ``ttl``
    seconds: asked for nearly every message, changed rarely (a change applies within the
    ttl). A municipality's own codes in a category are its list; without any, the
    service-wide default's (gemeente '') are."""

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._cached: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def codes(self, tx: Tx, gemeente: str, categorie: str) -> frozenset[str]:
        now = time.monotonic()
        with self._lock:
            hit = self._cached.get((gemeente, categorie))
        if hit is not None and hit[0] > now:
            return hit[1]
        lists: dict[str, set[str]] = {gemeente: set(), "": set()}
        for owner, code in tx.all(
            "SELECT gemeente, code FROM product_codes WHERE categorie = ? AND gemeente IN (?, '')",
            (categorie, gemeente),
        ):
            lists[owner].add(code)
        codes = frozenset(lists[gemeente] or lists[""])
        with self._lock:
            self._cached[(gemeente, categorie)] = (now + self.ttl, codes)
        return codes

    def forget(self) -> None:
        with self._lock:
            self._cached.clear()


@dataclass
class Context:
    tx: Tx
    vault: Vault
    today: date
    message_type: MessageType
    message_id: int
    municipality_code: str  # the municipality party of the message
    provider_code: str  # the provider party (AGB) of the message
    client: r.Client | None = None  # the message's client, when it has exactly one
    # Declarations hold many clients: the client of each line, by the line's path.
    line_clients: dict[str, r.Client | None] = field(default_factory=dict)
    # The declaration the message is about: the one a WMO323 creates, or a WMO325 answers.
    declaration: r.Declaration | None = None
    declaration_xsd_versie: object = None  # its XsdVersie, from the stored WMO323
    sha256: str = ""
    claim_holder: int | None = None  # the message that first used this identification
    writes: list[Write | _Insert] = field(default_factory=list)  # queued, in order
    _clients: dict[str, r.Client | None] = field(default_factory=dict)
    _allocations: dict[int, r.Allocation | None] = field(default_factory=dict)
    _client_allocations: list[r.Allocation] | None = None
    _allocated_here: dict[int | None, bool] = field(default_factory=dict)
    _starts: dict[tuple[int, int | None], list[r.Start]] = field(default_factory=dict)
    _verzoeken: dict[str, r.Request | None] = field(default_factory=dict)
    _lines: dict[str, r.Line | None] = field(default_factory=dict)
    _line_ids: dict[int, r.Line] = field(default_factory=dict)
    # This message's lines granted so far, by allocation and by the line they credit: a
    # declaration of thousands of lines asks for them at every line.
    _granted_now: dict[int | None, list[r.Line]] = field(default_factory=dict)
    _credits_now: dict[str | None, list[r.Line]] = field(default_factory=dict)
    _stored_granted: dict[int, list[r.Line]] = field(default_factory=dict)
    _stored_credits: dict[str, list[r.Line]] = field(default_factory=dict)
    _declared: dict[str, r.Line] | None = None  # the answered declaration's lines, by number
    # The contracts between these parties, by day: asked at every line of a declaration.
    _terms: dict[date, tuple[ContractTerms, ...]] = field(default_factory=dict)
    # Requests this message honours (301): its other lines may still name them (TR379).
    honoured_now: set[int] = field(default_factory=set)
    code_list: ProductCodeList = field(default_factory=lambda: ProductCodeList(ttl=0))
    contracts: Contracts | None = None
    # Municipality codes accepted besides the CBS list (TR378; a setting).
    extra_municipalities: tuple[str, ...] = ()
    # The time the message may still take: judging looks at it line by line.
    budget: Budget | None = None

    def write(self, action: Write) -> None:
        self.writes.append(action)

    def insert(self, table: str, record: r.Record, extra: dict[str, Callable[[], Any]]) -> None:
        """Queue an insert of ``record`` (its id is set when written); ``extra`` columns are
        computed then. Inserts queued one after another into one table are written
        together."""
        self.writes.append(_Insert(table, record, extra))

    def flush(self) -> None:
        batch: list[_Insert] = []
        for action in self.writes:
            if isinstance(action, _Insert):
                if batch and batch[0].table != action.table:
                    _write_inserts(self.tx, batch)
                    batch = []
                batch.append(action)
                continue
            _write_inserts(self.tx, batch)
            batch = []
            action(self.tx)
        _write_inserts(self.tx, batch)
        self.writes.clear()

    # --- clients ------------------------------------------------------------------------

    def client_by_bsn(self, bsn: str) -> r.Client | None:
        if bsn not in self._clients:
            found = self.tx.one(
                "SELECT id, municipality_code FROM clients "
                "WHERE municipality_code = ? AND bsn_hash = ?",
                (self.municipality_code, self.vault.bsn_hash(bsn)),
            )
            self._clients[bsn] = (
                r.Client(id=found[0], municipality_code=found[1]) if found else None
            )
        return self._clients[bsn]

    def client_of_line(self, line: object) -> r.Client | None:
        from app.standard.codec import path_of

        return self.line_clients.get(path_of(line).rsplit("/Prestaties/", 1)[0])

    def client_of(self, client: object) -> r.Client | None:
        """The client record of one Client of a declaration or declaration answer."""
        from app.standard.codec import path_of

        return self.line_clients.get(path_of(client))

    def has_allocations_here(self, client: r.Client) -> bool:
        """Whether the client has any allocation from this municipality, at any provider."""
        if client.id not in self._allocated_here:
            # Asked for every client of a declaration: look them all up at once.
            known = {c.id for c in self.line_clients.values() if c is not None}
            ids = sorted(i for i in known | {client.id} if i is not None)
            ids = [i for i in ids if i not in self._allocated_here]
            # Through the index on client_id, one probe per client; the municipality is
            # compared here, since with it in the query a table never analysed was read
            # by municipality for every client (1.6 s for 5,000; see Tx.select_in).
            found = {
                client_id
                for client_id, municipality in self.tx.select_in(
                    "client_id, municipality_code",
                    "toewijzingen",
                    "TRUE",
                    (),
                    "client_id",
                    ids,
                    by_key=True,
                )
                if municipality == self.municipality_code
            }
            self._allocated_here.update({i: i in found for i in ids})
        return self._allocated_here.get(client.id, False)

    # --- allocations ------------------------------------------------------------------------

    def allocation(self, nummer: int) -> r.Allocation | None:
        if nummer not in self._allocations:
            found = self.tx.load(
                r.Allocation,
                "toewijzingen",
                "municipality_code = ? AND nummer = ?",
                (self.municipality_code, nummer),
            )
            self._allocations[nummer] = found[0] if found else None
        return self._allocations[nummer]

    def preload_lines(self, nummers: list[int], referenties: list[str]) -> None:
        """Load at once what judging a declaration's lines asks about each line: the
        allocations they name, the stored lines with their numbers (TR314) or crediting
        them, and the granted lines on those allocations; a few queries for the message,
        not several for every line."""
        wanted = [n for n in dict.fromkeys(nummers) if n not in self._allocations]
        found = self.tx.load_in(
            r.Allocation,
            "toewijzingen",
            "municipality_code = ?",
            (self.municipality_code,),
            "nummer",
            wanted,
            by_key=True,
        )
        by_nummer = {a.nummer: a for a in found}
        for n in wanted:
            self._allocations[n] = by_nummer.get(n)
        refs = [ref for ref in dict.fromkeys(referenties) if ref not in self._lines]
        stored = self._known_lines(
            self.tx.load_in(
                r.Line,
                "prestaties",
                "provider_code = ?",
                (self.provider_code,),
                "referentienummer",
                refs,
            )
        )
        for ref in refs:
            self._lines[ref] = None
        for line in stored:  # ordered by id: the first line with a number is the one
            if self._lines.get(line.referentienummer) is None:
                self._lines[line.referentienummer] = line
        credits = self._known_lines(
            self.tx.load_in(
                r.Line,
                "prestaties",
                "provider_code = ? AND status = 'toegekend'",
                (self.provider_code,),
                "vorig_referentienummer",
                referenties,
            )
        )
        self._stored_credits.update({ref: [] for ref in referenties})
        for line in credits:
            self._stored_credits.setdefault(line.vorig_referentienummer or "", []).append(line)
        ids = [a.id for a in by_nummer.values() if a.id is not None]
        ids = [i for i in ids if i not in self._stored_granted]
        granted = self._known_lines(
            self.tx.load_in(r.Line, "prestaties", "status = 'toegekend'", (), "toewijzing_id", ids)
        )
        for i in ids:
            self._stored_granted[i] = []
        for line in granted:
            self._stored_granted[line.toewijzing_id or 0].append(line)

    def remember_allocation(self, allocation: r.Allocation) -> None:
        self._allocations[allocation.nummer] = allocation

    def allocations_of_client(self) -> list[r.Allocation]:
        """The client's allocations at this provider from this municipality."""
        if self.client is None or self.client.id is None:
            return []
        if self._client_allocations is None:
            found = self.tx.load(
                r.Allocation,
                "toewijzingen",
                "client_id = ? AND provider_code = ? AND municipality_code = ?",
                (self.client.id, self.provider_code, self.municipality_code),
                order="nummer",
            )
            # Share records with the by-number cache, so both see the same changes.
            self._client_allocations = [
                self._allocations.setdefault(a.nummer, a) or a for a in found
            ]
        return self._client_allocations

    def variant(self) -> str:
        """The execution variant agreed between this municipality and provider. Without a
        contract the standard's default, effort-based, applies; so it does for a
        subcontractor, which works under the allocations the service issues it."""
        for c in self._contracts_on(self.today):
            if c.main_contractor == self.provider_code:
                return c.variant
        return Variant.INSPANNINGSGERICHT

    def contract_tariff(self, product_code: str, day: date) -> int | None:
        """The contractual tariff (cents a unit) of a product between these parties on
        ``day``, when a contract names one (TR418)."""
        for c in self._contracts_on(day):
            if product_code in c.product_tariffs:
                return c.product_tariffs[product_code]
        return None

    def _contracts_on(self, day: date) -> tuple[ContractTerms, ...]:
        found = self._terms.get(day)
        if found is None:
            found = ()
            if self.contracts is not None:
                found = tuple(
                    self.contracts.between(self.municipality_code, self.provider_code, day)
                )
            self._terms[day] = found
        return found

    # --- deliveries -------------------------------------------------------------------------

    def _all_starts(self, client_id: int, toewijzing_nummer: int | None) -> list[r.Start]:
        key = (client_id, toewijzing_nummer)
        if key not in self._starts:
            number = (
                "toewijzing_nummer = ?"
                if toewijzing_nummer is not None
                else "toewijzing_nummer IS NULL"
            )
            params: list[Any] = [client_id, self.provider_code]
            if toewijzing_nummer is not None:
                params.append(toewijzing_nummer)
            starts = self.tx.load(
                r.Start, "starts", f"client_id = ? AND provider_code = ? AND {number}", params
            )
            if starts:
                stops = self.tx.load_in(
                    r.Stop, "stops", "TRUE", (), "start_id", [s.id for s in starts]
                )
                by_start = {s.id: s for s in starts}
                for stop in stops:
                    by_start[stop.start_id].stops.append(stop)
            self._starts[key] = starts
        return self._starts[key]

    def starts(self, client_id: int | None, toewijzing_nummer: int | None) -> list[r.Start]:
        """Starts of this client at this provider for an allocation number, not withdrawn."""
        if client_id is None:
            return []
        return [
            s for s in self._all_starts(client_id, toewijzing_nummer) if s.deleted_by_id is None
        ]

    def remember_start(self, start: r.Start) -> None:
        self._all_starts(start.client_id, start.toewijzing_nummer).append(start)

    # --- requests ---------------------------------------------------------------------------

    def verzoek(self, referentie: str) -> r.Request | None:
        if referentie not in self._verzoeken:
            found = self.tx.load(
                r.Request,
                "verzoeken",
                "provider_code = ? AND referentie_aanbieder = ?",
                (self.provider_code, referentie),
            )
            self._verzoeken[referentie] = found[0] if found else None
        return self._verzoeken[referentie]

    def remember_verzoek(self, verzoek: r.Request) -> None:
        self._verzoeken[verzoek.referentie_aanbieder] = verzoek

    def pending_verzoeken(self) -> list[r.Request]:
        if self.client is None or self.client.id is None:
            return []
        return self.tx.load(
            r.Request,
            "verzoeken",
            "client_id = ? AND provider_code = ? AND status IN ('open', 'in_onderzoek')",
            (self.client.id, self.provider_code),
        )

    def antwoorden(self, verzoek_id: int | None) -> list[r.Answer]:
        if verzoek_id is None:  # recorded by this message: nothing stored yet
            return []
        return self.tx.load(r.Answer, "antwoorden", "verzoek_id = ?", (verzoek_id,))

    # --- declarations -----------------------------------------------------------------------

    def declaratie(self, nummer: str) -> r.Declaration | None:
        found = self.tx.load(
            r.Declaration,
            "declaraties",
            "provider_code = ? AND declaratienummer = ?",
            (self.provider_code, nummer),
        )
        return found[0] if found else None

    def last_declaratie(self) -> r.Declaration | None:
        found = self.tx.load(
            r.Declaration,
            "declaraties",
            "provider_code = ? AND municipality_code = ?",
            (self.provider_code, self.municipality_code),
            order="periode_begin DESC",
        )
        return found[0] if found else None

    def declared_line(self, referentienummer: str) -> r.Line | None:
        """A line of the declaration being answered, by its ReferentieNummer (the first
        with it)."""
        if self.declaration is None:
            return None
        if self._declared is None:
            self._declared = {}
            for line in self.declaration.lines:
                self._declared.setdefault(line.referentienummer, line)
        return self._declared.get(referentienummer)

    def _known_lines(self, lines: list[r.Line]) -> list[r.Line]:
        """The same record for the same row, however it was found: a change made through
        one look-up (a line credited by an earlier line) shows in every other."""
        return [
            self._line_ids.setdefault(line.id, line) if line.id is not None else line
            for line in lines
        ]

    def prestatie(self, referentienummer: str) -> r.Line | None:
        if referentienummer not in self._lines:
            found = self._known_lines(
                self.tx.load(
                    r.Line,
                    "prestaties",
                    "provider_code = ? AND referentienummer = ?",
                    (self.provider_code, referentienummer),
                    limit=1,
                )
            )
            self._lines[referentienummer] = found[0] if found else None
        return self._lines[referentienummer]

    def remember_line(self, line: r.Line) -> None:
        """A line recorded in this message: later lines repeating its number see it."""
        if self.prestatie(line.referentienummer) is None:
            self._lines[line.referentienummer] = line

    def credits_of(self, referentienummer: str) -> list[r.Line]:
        """Granted credits of a line, stored or granted earlier in this message."""
        stored = self._stored_credits.get(referentienummer)
        if stored is None:
            stored = self._known_lines(
                self.tx.load(
                    r.Line,
                    "prestaties",
                    "provider_code = ? AND vorig_referentienummer = ? AND status = 'toegekend'",
                    (self.provider_code, referentienummer),
                )
            )
        now = self._credits_now.get(referentienummer, [])
        return stored + now

    def granted_lines(self, toewijzing_id: int | None) -> list[r.Line]:
        """Granted lines on an allocation, credits included (their amounts are negative),
        with the lines of this message granted so far."""
        if toewijzing_id is None:
            return []
        stored = self._stored_granted.get(toewijzing_id)
        if stored is None:
            # Asked by several rules for each line (TR322, TR369, TR389); what is stored
            # does not change while a message is judged, only this message's lines add up.
            stored = self._stored_granted[toewijzing_id] = self._known_lines(
                self.tx.load(
                    r.Line,
                    "prestaties",
                    "toewijzing_id = ? AND status = 'toegekend'",
                    (toewijzing_id,),
                )
            )
        return stored + self._granted_now.get(toewijzing_id, [])

    def uncredited_debits(self, toewijzing_id: int | None) -> list[r.Line]:
        """Granted debit lines on an allocation without a granted credit for the same
        ProductPeriode (TR389). Judged from the lines' current verdicts, so a municipality's
        own WMO325 refusing or granting a credit counts at once."""
        granted = self.granted_lines(toewijzing_id)
        credited = {
            (c.vorig_referentienummer, c.periode_begin, c.periode_eind)
            for c in granted
            if not c.debet
        }
        return [
            d
            for d in granted
            if d.debet and (d.referentienummer, d.periode_begin, d.periode_eind) not in credited
        ]

    @property
    def granted_any(self) -> bool:
        """Whether any line of this message was granted (a WMO323 may be partly granted)."""
        return bool(self._granted_now)

    def granted_now(self, line: r.Line) -> None:
        self._granted_now.setdefault(line.toewijzing_id, []).append(line)
        self._credits_now.setdefault(line.vorig_referentienummer, []).append(line)

    # --- code lists -------------------------------------------------------------------------

    def product_codes(self, categorie: str) -> frozenset[str]:
        """The codes of a category on this municipality's product code list (TR381)."""
        return self.code_list.codes(self.tx, self.municipality_code, categorie)
