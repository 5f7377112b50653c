"""Stages 4 and 5: judge a message against the administration, and apply it.

In one transaction the message's client (for a declaration: every client of it, and the
provider) is locked, what the rules need is loaded, the rules run header first, then on the
message, per client and per line, each line seeing what the lines before it did, and the
changes of an accepted message (a declaration's granted and refused lines alike) are
written, all or nothing. Messages the service composes itself (a relay, a subcontractor's
301) are judged here too, by the same rules, as if their Afzender had sent them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from lxml import etree

from app import retour
from app.administration import records as rec
from app.administration import rules as _admin_rules  # noqa: F401  (registers the rules)
from app.administration.context import Context, Contracts, ProductCodeList
from app.administration.crypto import BSN, RAW, Vault
from app.administration.handlers import HANDLERS
from app.administration.kinds import MessageStatus
from app.administration.store import Tx
from app.findings import TECHNICAL_REJECTION, Finding, enclosing
from app.intake.store import Inbox, now
from app.routing.router import Composed
from app.rules.registry import REGISTRY, Rule
from app.standard import catalogue, codec
from app.standard.catalogue import MessageType
from app.validation import Validator, listed

__all__ = ["ComposeError", "Judge", "refuses_message", "verdict_of"]


class ComposeError(RuntimeError):
    """A message the service composed fails its own schema or message rules."""

    def __init__(self, message_type: str, findings: list[dict[str, Any]]) -> None:
        super().__init__(f"the service composed an invalid {message_type}: {findings}")
        self.findings = findings


def _rules_by_level(name: str) -> dict[str, list[Rule]]:
    levels: dict[str, list[Rule]] = {"header": [], "message": [], "client": [], "line": []}
    for r in sorted(REGISTRY.values(), key=lambda r: r.code):
        if r.scope != "message" and name in r.messages:
            levels[r.level].append(r)
    return levels


_RULES = {mt.name: _rules_by_level(mt.name) for mt in catalogue.ALL}


class Judge:
    def __init__(
        self,
        inbox: Inbox,
        vault: Vault,
        validator: Validator,
        clock: Callable[[], date],
        product_codes: ProductCodeList,
        contracts: Contracts,
    ) -> None:
        self.inbox = inbox
        self.vault = vault
        self.validator = validator
        self.clock = clock
        self.product_codes = product_codes
        self.contracts = contracts

    # --- the context a message is judged in ----------------------------------------------

    def context(self, tx: Tx, mt: MessageType, msg: Any, message_id: int, sha: str) -> Context:
        """What the rules may ask of the administration about this message, with its client
        (or clients) locked for the rest of the transaction."""
        h = msg.Header
        gemeente, aanbieder = (
            (h.Afzender, h.Ontvanger) if mt.sender == "gemeente" else (h.Ontvanger, h.Afzender)
        )
        ctx = Context(
            tx=tx,
            vault=self.vault,
            today=self.clock(),
            message_type=mt,
            message_id=message_id,
            municipality_code=gemeente,
            provider_code=aanbieder,
            sha256=sha,
            code_list=self.product_codes,
            contracts=self.contracts,
            extra_municipalities=self.validator.settings.extra_municipality_codes,
        )
        if mt.name in ("WMO323", "WMO325"):
            # One provider's declarations are judged one at a time: line numbers and
            # declaration numbers must be unique per provider.
            tx.scalar(tx.lock("SELECT id FROM participants WHERE code = ?"), (aanbieder,))
            self._declaration_clients(tx, mt, msg, ctx)
        elif mt.name == "WMO319":
            verzoek = ctx.verzoek(msg.Antwoord.ReferentieAanbieder)
            if verzoek is not None:
                found = tx.one(
                    tx.lock("SELECT id, municipality_code FROM clients WHERE id = ?"),
                    (verzoek.client_id,),
                )
                if found is not None:
                    ctx.client = rec.Client(id=found[0], municipality_code=found[1])
        else:
            ctx.client = self._client(tx, gemeente, msg.Client.Bsn)
        return ctx

    def _declaration_clients(self, tx: Tx, mt: MessageType, msg: Any, ctx: Context) -> None:
        if mt.name == "WMO325":
            source = tx.one(
                "SELECT m.id, m.raw_encrypted FROM identificatie_claims c "
                "JOIN messages m ON m.id = c.message_id WHERE c.message_type = 'WMO323' "
                "AND c.sender_code = ? AND c.identificatie = ? AND m.receiver_code = ? "
                "AND m.dagtekening = ?",
                (
                    ctx.provider_code,
                    msg.Header.DeclaratieIdentificatie.Identificatie,
                    ctx.municipality_code,
                    msg.Header.DeclaratieIdentificatie.Dagtekening,
                ),
            )
            if source is not None:
                found = tx.load(rec.Declaration, "declaraties", "message_id = ?", (source[0],))
                if found:
                    ctx.declaration = found[0]
                    ctx.declaration.lines = tx.load(
                        rec.Line, "prestaties", "declaratie_id = ?", (found[0].id,)
                    )
                    original = codec.decode(
                        etree.fromstring(self.vault.decrypt(bytes(source[1]), RAW))
                    )
                    ctx.declaration_xsd_versie = original.Header.XsdVersie
            clients = msg.DeclaratieAntwoord.Clienten if msg.DeclaratieAntwoord else []
        else:
            clients = msg.Declaratie.Clienten
        records = self._clients(tx, ctx.municipality_code, [c.Bsn for c in clients])
        for client in clients:
            ctx.line_clients[codec.path_of(client)] = records[client.Bsn]

    def _clients(self, tx: Tx, municipality: str, bsns: list[str]) -> dict[str, rec.Client]:
        """The clients of a declaration, created when new and locked, as ``_client`` does
        for one, in a few statements however many. They are locked in a fixed order (of their
        hash) so two declarations never wait on each other."""
        by_hash = {self.vault.bsn_hash(bsn): bsn for bsn in bsns}
        ordered = sorted(by_hash)
        ids: dict[str, int] = {}
        if not tx.sqlite and ordered:
            ids = self._lock_known_clients(tx, municipality, ordered)
            if len(ids) < len(ordered):
                # Some are new: create them and lock all in one pass, in the same order.
                rows = tx.all(
                    "INSERT INTO clients (municipality_code, bsn_hash, bsn_encrypted, "
                    "created_at) SELECT ?, t.bsn_hash, t.bsn_encrypted, ? "
                    "FROM unnest(?::text[], ?::bytea[]) WITH ORDINALITY "
                    "AS t(bsn_hash, bsn_encrypted, n) ORDER BY t.n "
                    "ON CONFLICT (municipality_code, bsn_hash) "
                    "DO UPDATE SET municipality_code = excluded.municipality_code "
                    "RETURNING id, bsn_hash",
                    [
                        municipality,
                        now(),
                        tx.array(ordered),
                        tx.array(
                            [self.vault.encrypt(by_hash[k].encode("ascii"), BSN) for k in ordered]
                        ),
                    ],
                )
                ids = {str(key): int(client_id) for client_id, key in rows}
        elif ordered:
            # SQLite: the transaction holds the database's only write lock, so adding the
            # new ones and then reading every id cannot race with another writer.
            encrypt = self.vault.encrypt
            tx.execute_many(
                "INSERT INTO clients (municipality_code, bsn_hash, bsn_encrypted, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (municipality_code, bsn_hash) DO NOTHING",
                (
                    [municipality, key, encrypt(by_hash[key].encode("ascii"), BSN), now()]
                    for key in ordered
                ),
            )
            ids = self._known_clients(tx, municipality, ordered)
        return {
            bsn: rec.Client(id=ids[key], municipality_code=municipality)
            for key, bsn in by_hash.items()
        }

    @staticmethod
    def _lock_known_clients(tx: Tx, municipality: str, ordered: list[str]) -> dict[str, int]:
        """Lock the clients that exist of those hashes, in their order, and return their
        ids; an empty dict when some do not exist (nothing is locked then). Clients are
        never deleted, so those found unlocked are all there to lock. Locking a row costs
        a fraction of the insert that would find it exists."""
        ids = Judge._known_clients(tx, municipality, ordered)
        if len(ids) < len(ordered):
            return {}
        tx.all(
            # By the primary key, the only index there is to probe with the list.
            "SELECT id FROM clients WHERE id = ANY(?) ORDER BY bsn_hash FOR UPDATE",
            [tx.array(list(ids.values()))],
        )
        return ids

    @staticmethod
    def _known_clients(tx: Tx, municipality: str, hashes: list[str]) -> dict[str, int]:
        """The ids of the clients of these hashes that exist, by hash: one probe per hash
        through the unique key (municipality, hash)."""
        rows = tx.select_in(
            "id, bsn_hash",
            "clients",
            "municipality_code = ?",
            [municipality],
            "bsn_hash",
            hashes,
            by_key=True,
        )
        return {str(key): int(client_id) for client_id, key in rows}

    def _client(self, tx: Tx, municipality: str, bsn: str) -> rec.Client:
        """The client, created when new, locked for the rest of the transaction. DO UPDATE
        (to the same value) rather than DO NOTHING returns the row either way and, on
        PostgreSQL, locks it until the transaction ends."""
        client_id = tx.scalar(
            "INSERT INTO clients (municipality_code, bsn_hash, bsn_encrypted, created_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (municipality_code, bsn_hash) "
            "DO UPDATE SET municipality_code = excluded.municipality_code RETURNING id",
            (
                municipality,
                self.vault.bsn_hash(bsn),
                self.vault.encrypt(bsn.encode("ascii"), BSN),
                now(),
            ),
        )
        return rec.Client(id=int(client_id), municipality_code=municipality)

    def claim(self, tx: Tx, mt: MessageType, msg: Any, message_id: int) -> int:
        """Claim the identification for its sender and type (TR056); returns the message
        that holds the claim: this one, unless the identification was used before."""
        key = (msg.Header.Afzender, mt.name, msg.Header.BerichtIdentificatie.Identificatie)
        claimed = tx.scalar(
            "INSERT INTO identificatie_claims (sender_code, message_type, identificatie, "
            "message_id) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (sender_code, message_type, identificatie) DO NOTHING "
            "RETURNING message_id",
            (*key, message_id),
        )
        if claimed is not None:
            return int(claimed)
        holder = tx.scalar(
            "SELECT message_id FROM identificatie_claims WHERE sender_code = ? "
            "AND message_type = ? AND identificatie = ?",
            key,
        )
        return int(holder)

    # --- judging and applying ------------------------------------------------------------

    def judge(
        self, mt: MessageType, msg: Any, ctx: Context, refused_lines: Sequence[Finding] = ()
    ) -> list[Finding]:
        """Judge the message and apply it: the findings (none: accepted). ``refused_lines``
        are findings made before (message rules, the service's own checks) that refuse a
        line, not the message."""
        levels = _RULES[mt.name]
        findings = _run(levels["header"], msg, ctx)
        if findings:
            return [*findings, *refused_lines]
        findings = _run(levels["message"], msg, ctx)
        if findings:
            # The lines below the refused class are not judged (0233).
            return [*findings, *refused_lines]
        handler = HANDLERS[mt.name]
        if handler.begin is not None:
            handler.begin(msg, ctx)
        lines = handler.lines(msg)
        line_paths = {codec.path_of(line) for line in lines}
        # Findings made before the lines are judged, by the line they refuse (a declaration
        # may hold thousands of lines): the message rules' and the service's own, and those
        # of rules per client that name a line. A finding on a client itself leaves its
        # lines unjudged (0233, IV087).
        preset: dict[str, list[Finding]] = {}
        stray: list[Finding] = []
        unjudged: set[str] = set()
        early = list(refused_lines)
        for client in handler.clients(msg):
            for f in _run(levels["client"], msg, ctx, client):
                if enclosing(f.path, line_paths) is None:
                    findings.append(f)
                    unjudged.add(codec.path_of(client))
                else:
                    early.append(f)
        for f in early:
            line_path = enclosing(f.path, line_paths)
            (preset.setdefault(line_path, []) if line_path else stray).append(f)
        for line in lines:
            if ctx.budget is not None:
                ctx.budget.check()
            where = codec.path_of(line)
            found = list(preset.get(where, ()))
            if enclosing(where, unjudged) is None:
                found += _run(levels["line"], msg, ctx, line)
            elif not found:
                if handler.refuse_line is not None:
                    handler.refuse_line(msg, line, ctx, [retour.NOT_JUDGED])
                continue
            if not found:
                handler.apply_line(msg, line, ctx)
            elif handler.refuse_line is not None:
                handler.refuse_line(
                    msg, line, ctx, list(dict.fromkeys(f.return_code for f in found))
                )
            findings.extend(found)
        findings.extend(stray)
        if handler.per_line or not findings:
            ctx.flush()  # all or nothing: a refused message writes none of its changes
        return findings

    # --- what the service composes itself --------------------------------------------------

    def judge_composed(self, tx: Tx, msg: Any) -> Composed:
        """Judge and apply, in the caller's transaction, a message the service composed
        itself (a delegation's 301, a relay), as if its Afzender had sent it. It is stored
        like a received message, but as produced by the service (direction ``out``)."""
        body = codec.to_bytes(msg)
        report = self.validator.check(body)
        if not report.clean:
            # The service writes these messages itself: a finding here is a fault in the
            # service or its configuration, not in anyone's input.
            raise ComposeError(catalogue.of(msg).name, [f.as_json() for f in report.findings])
        mt = report.message_type
        assert mt is not None
        message_id = self.inbox.keep_out(tx, msg, body, None, status=MessageStatus.RECEIVED)
        sha = hashlib.sha256(body).hexdigest()
        ctx = self.context(tx, mt, msg, message_id, sha)
        ctx.claim_holder = self.claim(tx, mt, msg, message_id)
        findings = self.judge(mt, msg, ctx)
        tx.update("messages", message_id, self.judged(findings, ctx))
        return Composed(message_id, findings, ctx)

    def store_composed(self, tx: Tx, msg: Any, body: bytes, *, client_id: int | None = None) -> int:
        """Store a message the service composed but does not judge (a relay sent again),
        claiming its identification so that its retour finds it."""
        message_id = self.inbox.keep_out(tx, msg, body, None, status=MessageStatus.SENT)
        tx.update("messages", message_id, {"client_id": client_id})
        self.claim(tx, catalogue.of(msg), msg, message_id)
        return message_id

    def judged(self, findings: list[Finding], ctx: Context) -> dict[str, Any]:
        """What a judged message's record holds."""
        shown, omitted = listed(findings, self.validator.settings.max_findings)
        return {
            "client_id": ctx.client.id if ctx.client is not None else None,
            "status": verdict_of(findings, ctx),
            "findings": shown,
            "findings_omitted": omitted,
            "processed_at": now(),
        }


def verdict_of(findings: list[Finding], ctx: Context) -> str:
    if not findings:
        return MessageStatus.ACCEPTED
    return MessageStatus.PARTIALLY_ACCEPTED if ctx.granted_any else MessageStatus.REJECTED


def refuses_message(
    mt: MessageType, findings: Sequence[Finding], *, service_checks: bool = False
) -> bool:
    """Whether findings made before judging refuse the message as a whole. Those with
    0001 do (IV032). Message rules do too, except in a declaration, which is judged line by
    line: a rule there with a code of its own (TR319, 9319) refuses the performance it
    names, and the other lines are judged as usual (IV087). The service's own checks refuse
    only the lines they name, unless they carry 0001."""
    if not findings:
        return False
    if any(f.return_code == TECHNICAL_REJECTION for f in findings):
        return True
    if service_checks:
        return False
    return not (mt.name in HANDLERS and HANDLERS[mt.name].per_line)


def _run(rules: list[Rule], msg: Any, ctx: Context, line: Any = None) -> list[Finding]:
    found = []
    for r in rules:
        violations = r.check(msg, ctx) if line is None else r.check(msg, line, ctx)
        for path, text in violations:
            found.append(Finding(r.code, r.return_code, path, text))
    return found
